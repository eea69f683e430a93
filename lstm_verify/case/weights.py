"""The ``weights`` block of a case, in any of the forms a case may use.

Every form ends as Keras's own matrices for the case's cell: kernel
[input_dim, n*units], recurrent_kernel [units, n*units] and bias (or None), with
the n weight blocks in Keras's order (LSTM i, f, c, o; GRU z, r, h; SimpleRNN one).
"""

from .checks import describe

WEIGHT_KEYS = ("kernel", "recurrent_kernel", "bias")


def parse_weights(r, weights, case, units_given, reset_after_given=None):
    """(kernel, recurrent_kernel, bias) from a case's ``weights`` mapping.
    ``reset_after_given``: the case's top-level reset_after, or None when it has none;
    a layout that fixes it (PyTorch's GRU, ONNX's linear_before_reset) then sets
    ``case.reset_after``."""
    if not isinstance(weights, dict):
        raise r.fail("weights", f"is {describe(weights)}, expected a mapping with kernel, "
                     "recurrent_kernel and bias")
    layout = weights.get("layout", "keras")
    if layout != "keras":  # another framework's names, shapes and gate order (layouts/)
        from . import layouts
        if not isinstance(layout, str) or layout not in layouts.LAYOUTS:
            raise r.fail("weights.layout", f"is {describe(layout)}, expected one of "
                         f"{', '.join(case.cell.layouts)}")
        w = layouts.parse(r, weights, case, units_given, layout, reset_after_given)
        case.reset_after = w.reset_after
        case.weight_form = layout
        return w.kernel, w.recurrent_kernel, w.keras_bias()
    weights = {k: v for k, v in weights.items() if k != "layout"}
    from .textbook import is_textbook, textbook_form
    if is_textbook(weights):  # textbook forms are known by their keys (W_i, U_i, Wcat_i, ...)
        concatenated = any(str(key).startswith("Wcat_") for key in weights)
        case.weight_form = "concatenated" if concatenated else "per-gate"
        return textbook_form(r, weights, case, units_given, WEIGHT_KEYS)
    case.weight_form = "keras"
    return keras_form(r, weights, case, units_given)


def shapes_text(cell, units="units"):
    """How a cell's Keras matrices are shaped, in words: '[units, 4*units] (gate blocks
    i, f, c, o)'."""
    n = len(cell.blocks)
    width = units if n == 1 else f"{n}*{units}"
    blocks = "" if n == 1 else f" (gate blocks {', '.join(cell.blocks)})"
    return width, blocks


def keras_form(r, weights, case, units_given):
    """kernel [F, nU], recurrent_kernel [U, nU] and bias as the cell says (blocks in
    Keras's order)."""
    cell = case.cell
    n = len(cell.blocks)
    width, blocks = shapes_text(cell)
    r.keys(weights, "weights", WEIGHT_KEYS)
    two_rows = len(cell.bias_shape(1, case.reset_after)[0]) == 2
    bias_text = f"2, {width}" if two_rows else width
    for key in ("kernel", "recurrent_kernel"):
        if key not in weights:
            raise r.fail("weights", f"has no '{key}'; expected kernel [input_dim, {width}], "
                         f"recurrent_kernel [units, {width}] and bias [{bias_text}] for "
                         f"{cell.a_title}")
    kernel = r.array(weights["kernel"], "weights.kernel", (2,),
                     f"[input_dim, {width}]{blocks}")
    recurrent = r.array(weights["recurrent_kernel"], "weights.recurrent_kernel", (2,),
                        f"[units, {width}]{blocks}")
    if units_given is not None:
        if isinstance(units_given, bool) or not isinstance(units_given, int) or units_given < 1:
            raise r.fail("units", f"is {describe(units_given)}, expected a positive whole "
                         "number")
        units = units_given
    else:
        units = recurrent.shape[0]
    source = "units" if units_given is not None else "the rows of weights.recurrent_kernel"
    gates = f"with units={units} from {source}{blocks}"
    r.shaped(recurrent, "weights.recurrent_kernel", (units, n * units),
             f"[units, {width}] {gates}")
    r.shaped(kernel, "weights.kernel", (case.input_dim, n * units),
             f"[input_dim, {width}] with input_dim={case.input_dim} from the last axis of "
             f"inputs and units={units}{blocks}")
    bias = None
    shape, meaning = cell.bias_shape(units, case.reset_after)
    if case.use_bias:
        if "bias" not in weights:
            raise r.fail("weights", f"has no 'bias', expected bias "
                         f"[{'x'.join(map(str, shape))}] = {meaning} because use_bias is "
                         "true (set use_bias: false for a layer without bias)")
        if len(shape) == 1:   # one bias row: its blocks are the kernel's
            bias = r.array(weights["bias"], "weights.bias", (1,), f"[{width}]"
                           + blocks.replace("gate blocks", "blocks"))
            bias = r.shaped(bias, "weights.bias", shape, f"[{width}] {gates}")
        else:                 # the GRU's input and recurrent rows
            bias = r.array(weights["bias"], "weights.bias", (1, 2), meaning)
            bias = r.shaped(bias, "weights.bias", shape, meaning)
    elif "bias" in weights:
        raise r.fail("weights.bias", "is given but use_bias is false; remove the bias or "
                     "set use_bias: true")
    return kernel, recurrent, bias
