"""The ``weights`` block of a case, in any of the forms a case may use.

Every form ends as Keras's own matrices: kernel [input_dim, 4*units],
recurrent_kernel [units, 4*units] and bias [4*units] (or None), with the gate
blocks in Keras's order i, f, c, o.
"""

from .checks import describe

WEIGHT_KEYS = ("kernel", "recurrent_kernel", "bias")


def parse_weights(r, weights, case, units_given):
    """(kernel, recurrent_kernel, bias) from a case's ``weights`` mapping."""
    if not isinstance(weights, dict):
        raise r.fail("weights", f"is {describe(weights)}, expected a mapping with kernel, "
                     "recurrent_kernel and bias")
    layout = weights.get("layout", "keras")
    if layout != "keras":  # another framework's names, shapes and gate order (layouts.py)
        from . import layouts
        if layout not in layouts.LAYOUTS:
            raise r.fail("weights.layout", f"is {describe(layout)}, expected one of "
                         f"{', '.join(layouts.LAYOUTS)}")
        w = layouts.parse(r, weights, case, units_given, layout)
        return w.kernel, w.recurrent_kernel, w.keras_bias()
    weights = {k: v for k, v in weights.items() if k != "layout"}
    from .textbook import is_textbook, textbook_form
    if is_textbook(weights):  # textbook forms are known by their keys (W_i, U_i, Wcat_i, ...)
        return textbook_form(r, weights, case, units_given, WEIGHT_KEYS)
    return keras_form(r, weights, case, units_given)


def keras_form(r, weights, case, units_given):
    """kernel [F, 4U], recurrent_kernel [U, 4U], bias [4U], gate blocks i, f, c, o."""
    r.keys(weights, "weights", WEIGHT_KEYS)
    for key in ("kernel", "recurrent_kernel"):
        if key not in weights:
            raise r.fail("weights", f"has no '{key}'; expected kernel [input_dim, 4*units], "
                         "recurrent_kernel [units, 4*units] and bias [4*units]")
    kernel = r.array(weights["kernel"], "weights.kernel", (2,),
                     "[input_dim, 4*units] (gate blocks i, f, c, o)")
    recurrent = r.array(weights["recurrent_kernel"], "weights.recurrent_kernel", (2,),
                        "[units, 4*units] (gate blocks i, f, c, o)")
    if units_given is not None:
        if isinstance(units_given, bool) or not isinstance(units_given, int) or units_given < 1:
            raise r.fail("units", f"is {describe(units_given)}, expected a positive whole "
                         "number")
        units = units_given
    else:
        units = recurrent.shape[0]
    source = "units" if units_given is not None else "the rows of weights.recurrent_kernel"
    gates = f"with units={units} from {source} (gate blocks i, f, c, o)"
    r.shaped(recurrent, "weights.recurrent_kernel", (units, 4 * units),
             f"[units, 4*units] {gates}")
    r.shaped(kernel, "weights.kernel", (case.input_dim, 4 * units),
             f"[input_dim, 4*units] with input_dim={case.input_dim} from the last axis of "
             f"inputs and units={units} (gate blocks i, f, c, o)")
    bias = None
    if case.use_bias:
        if "bias" not in weights:
            raise r.fail("weights", f"has no 'bias', expected bias [4*units] = [{4 * units}] "
                         "because use_bias is true (set use_bias: false for a layer "
                         "without bias)")
        bias = r.array(weights["bias"], "weights.bias", (1,), "[4*units] (blocks i, f, c, o)")
        bias = r.shaped(bias, "weights.bias", (4 * units,), f"[4*units] {gates}")
    elif "bias" in weights:
        raise r.fail("weights.bias", "is given but use_bias is false; remove the bias or "
                     "set use_bias: true")
    return kernel, recurrent, bias
