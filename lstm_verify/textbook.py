"""Textbook weight forms, packed into Keras's matrices.

Per-gate form (g is one of i, f, c, o), as books print it:

    g_t = act(W_g · x_t + U_g · h_{t-1} + b_g)    W_g [units, input_dim], U_g [units, units]

Concatenated form:

    g_t = act(Wcat_g · [h_{t-1}, x_t] + b_g)       Wcat_g [units, units + input_dim]

so Wcat_g = [U_g | W_g].  Keras multiplies row vectors from the right (x · kernel),
so each W_g enters kernel transposed: kernel[:, block g] = W_g^T, and likewise
recurrent_kernel[:, block g] = U_g^T, bias[block g] = b_g, blocks in order i, f, c, o.
"""

import numpy as np

from .checks import describe

GATE_ORDER = ("i", "f", "c", "o")
PER_GATE = tuple(f"{m}_{g}" for m in ("W", "U", "b") for g in GATE_ORDER)
CONCATENATED = tuple(f"Wcat_{g}" for g in GATE_ORDER) + tuple(f"b_{g}" for g in GATE_ORDER)
TEXTBOOK_KEYS = set(PER_GATE) | set(CONCATENATED)


def is_textbook(weights):
    """True when the weights mapping uses any textbook key (W_i, U_i, b_i, Wcat_i, ...)."""
    return any(key in TEXTBOOK_KEYS for key in weights)


def textbook_form(r, weights, case, units_given, keras_keys):
    """(kernel, recurrent_kernel, bias) from per-gate or concatenated textbook weights."""
    keras = sorted(k for k in weights if k in keras_keys)
    if keras:
        book = sorted(k for k in weights if k in TEXTBOOK_KEYS)
        raise r.fail("weights", f"mixes the Keras form ({', '.join(keras)}) with the textbook "
                     f"form ({', '.join(book)}); use one form per case")
    per_gate = sorted(k for k in weights if k[:2] in ("W_", "U_"))
    concat = sorted(k for k in weights if k.startswith("Wcat_"))
    if per_gate and concat:
        raise r.fail("weights", f"mixes the per-gate form ({', '.join(per_gate)}) with the "
                     f"concatenated form ({', '.join(concat)}); use one form per case")
    allowed = CONCATENATED if concat else PER_GATE
    r.keys(weights, "weights", allowed)
    needed = [k for k in allowed if not k.startswith("b_") or case.use_bias]
    missing = [k for k in needed if k not in weights]
    if missing:
        raise r.fail("weights", f"has no {', '.join(missing)}; the "
                     f"{'concatenated' if concat else 'per-gate'} textbook form needs "
                     f"{', '.join(needed)}")
    first = "Wcat_i" if concat else "U_i"
    units = units_given if units_given is not None else len(r.array(  # its rows, once a matrix
        weights[first], f"weights.{first}", (2,), "[units, units + input_dim]" if concat
        else "[units, units]"))
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise r.fail("units", f"is {describe(units)}, expected a positive whole number")
    F = case.input_dim
    W, U = {}, {}
    for g in GATE_ORDER:
        if concat:
            key = f"weights.Wcat_{g}"
            m = r.shaped(r.array(weights[f"Wcat_{g}"], key, (2,), "[units, units + input_dim]"),
                         key, (units, units + F),
                         f"[units, units + input_dim] = [{units}, {units} + {F}] "
                         "(applied as Wcat·[h_{t-1}, x_t])")
            U[g], W[g] = m[:, :units], m[:, units:]
        else:
            key = f"weights.W_{g}"
            W[g] = r.shaped(r.array(weights[f"W_{g}"], key, (2,), "[units, input_dim]"), key,
                            (units, F), f"[units, input_dim] = [{units}, {F}] with input_dim "
                            "from the last axis of inputs (applied as W·x)")
            key = f"weights.U_{g}"
            U[g] = r.shaped(r.array(weights[f"U_{g}"], key, (2,), "[units, units]"), key,
                            (units, units), f"[units, units] = [{units}, {units}] "
                            "(applied as U·h)")
    kernel = np.concatenate([W[g].T for g in GATE_ORDER], axis=1)
    recurrent = np.concatenate([U[g].T for g in GATE_ORDER], axis=1)
    bias = None
    if case.use_bias:
        parts = []
        for g in GATE_ORDER:
            key = f"weights.b_{g}"
            parts.append(r.shaped(r.array(weights[f"b_{g}"], key, (1,), "[units]"), key,
                                  (units,), f"[units] = [{units}]"))
        bias = np.concatenate(parts)
    else:
        given = [f"b_{g}" for g in GATE_ORDER if f"b_{g}" in weights]
        if given:
            raise r.fail(f"weights.{given[0]}", "is given but use_bias is false; remove "
                         "the b_ keys or set use_bias: true")
    return kernel, recurrent, bias


def packing_lines(case):
    """Lines of text telling where each textbook matrix lands in Keras's matrices."""
    U, F = case.units, case.input_dim
    lines = [f"Keras form: kernel [{F}, {4 * U}], recurrent_kernel [{U}, {4 * U}]"
             f"{', bias [' + str(4 * U) + ']' if case.use_bias else ''}; blocks i, f, c, o."]
    for n, g in enumerate(GATE_ORDER):
        cols = f"columns {n * U}..{(n + 1) * U - 1}"
        lines.append(f"  gate {g}: kernel[:, {cols}] = W_{g}^T   "
                     f"recurrent_kernel[:, {cols}] = U_{g}^T"
                     + (f"   bias[{n * U}..{(n + 1) * U - 1}] = b_{g}" if case.use_bias else "")
                     + f"   (Wcat_{g} = [U_{g} | W_{g}])")
    for name, matrix in (("kernel", case.kernel), ("recurrent_kernel", case.recurrent_kernel),
                         ("bias", case.bias)):
        if matrix is not None:
            lines.append(f"{name} = {np.array2string(np.asarray(matrix), precision=6)}")
    return lines
