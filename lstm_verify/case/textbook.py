"""Textbook weight forms, packed into Keras's matrices.

Per-gate form (g is one of the cell's blocks: i, f, c, o for the LSTM; z, r, h for
the GRU; h for the SimpleRNN), as books print it:

    g_t = act(W_g · x_t + U_g · h_{t-1} + b_g)    W_g [units, input_dim], U_g [units, units]

Concatenated form:

    g_t = act(Wcat_g · [h_{t-1}, x_t] + b_g)       Wcat_g [units, units + input_dim]

so Wcat_g = [U_g | W_g]; with ``concat: [x, h]`` (said by the author, never guessed)
g_t = act(Wcat_g · [x_t, h_{t-1}] + b_g) and Wcat_g = [W_g | U_g].  Keras multiplies row vectors from the right (x · kernel),
so each W_g enters kernel transposed: kernel[:, block g] = W_g^T, and likewise
recurrent_kernel[:, block g] = U_g^T, bias[block g] = b_g, blocks in Keras's order.

A GRU with reset_after true has two biases per gate, named as PyTorch names them:
b_ig on the input side and b_hg on the recurrent side (b_iz, b_hz, b_ir, ...); they
are the rows of Keras's bias [2, 3*units].
"""

import numpy as np

from .checks import describe

PREFIXES = ("W_", "U_", "Wcat_", "b_")


def bias_keys(cell, reset_after):
    """[(key, bias row or None, block)]: b_g per block, or b_ig and b_hg for two rows."""
    if len(cell.bias_shape(1, reset_after)[0]) == 2:
        return [(f"b_{side}{g}", row, g) for row, side in enumerate("ih") for g in cell.blocks]
    return [(f"b_{g}", None, g) for g in cell.blocks]


def keys(cell, reset_after, concatenated):
    """The keys of one textbook form for a cell, matrices first."""
    matrices = ([f"Wcat_{g}" for g in cell.blocks] if concatenated
                else [f"{m}_{g}" for m in ("W", "U") for g in cell.blocks])
    return tuple(matrices) + tuple(key for key, _, _ in bias_keys(cell, reset_after))


CONCAT_ORDERS = (("h", "x"), ("x", "h"))


def concat_order(r, weights, concatenated):
    """The order of the concatenated form's [h; x] or [x; h], as the case says it."""
    if "concat" not in weights:
        return ("h", "x") if concatenated else None
    order = weights["concat"]
    if not concatenated:
        raise r.fail("weights.concat", "is given, but the weights are not in the concatenated "
                     "textbook form (Wcat_g); concat says the order of [h, x] in Wcat_g·[h, x]")
    if not isinstance(order, list) or tuple(order) not in CONCAT_ORDERS:
        raise r.fail("weights.concat", f"is {describe(order)}, expected [h, x] (Wcat_g·"
                     "[h_{t-1}; x_t], the default) or [x, h] (Wcat_g·[x_t; h_{t-1}])")
    return tuple(order)


def is_textbook(weights):
    """True when the weights mapping uses any textbook key (W_i, U_i, b_i, Wcat_i, ...)."""
    return any(str(key).startswith(PREFIXES) for key in weights)


def textbook_form(r, weights, case, units_given, keras_keys):
    """(kernel, recurrent_kernel, bias) from per-gate or concatenated textbook weights."""
    cell = case.cell
    keras = sorted(k for k in weights if k in keras_keys)
    if keras:
        book = sorted(k for k in weights if str(k).startswith(PREFIXES))
        raise r.fail("weights", f"mixes the Keras form ({', '.join(keras)}) with the textbook "
                     f"form ({', '.join(book)}); use one form per case")
    per_gate = sorted(k for k in weights if k[:2] in ("W_", "U_"))
    concat = sorted(k for k in weights if k.startswith("Wcat_"))
    if per_gate and concat:
        raise r.fail("weights", f"mixes the per-gate form ({', '.join(per_gate)}) with the "
                     f"concatenated form ({', '.join(concat)}); use one form per case")
    allowed = keys(cell, case.reset_after, bool(concat))
    case.concat = concat_order(r, weights, bool(concat))
    r.keys(weights, "weights", allowed + (("concat",) if concat else ()))
    needed = [k for k in allowed if not k.startswith("b_") or case.use_bias]
    missing = [k for k in needed if k not in weights]
    if missing:
        raise r.fail("weights", f"has no {', '.join(missing)}; the "
                     f"{'concatenated' if concat else 'per-gate'} textbook form needs "
                     f"{', '.join(needed)}")
    first = f"Wcat_{cell.blocks[0]}" if concat else f"U_{cell.blocks[0]}"
    units = units_given if units_given is not None else len(r.array(  # its rows, once a matrix
        weights[first], f"weights.{first}", (2,), "[units, units + input_dim]" if concat
        else "[units, units]"))
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise r.fail("units", f"is {describe(units)}, expected a positive whole number")
    F = case.input_dim
    W, U = {}, {}
    for g in cell.blocks:
        if concat:
            key = f"weights.Wcat_{g}"
            x_first = case.concat == ("x", "h")
            applied = "Wcat·[x_t, h_{t-1}]" if x_first else "Wcat·[h_{t-1}, x_t]"
            m = r.shaped(r.array(weights[f"Wcat_{g}"], key, (2,), "[units, units + input_dim]"),
                         key, (units, units + F),
                         f"[units, units + input_dim] = [{units}, {units} + {F}] "
                         f"(applied as {applied})")
            if x_first:
                W[g], U[g] = m[:, :F], m[:, F:]
            else:
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
    kernel = np.concatenate([W[g].T for g in cell.blocks], axis=1)
    recurrent = np.concatenate([U[g].T for g in cell.blocks], axis=1)
    bias = None
    if case.use_bias:
        named = bias_keys(cell, case.reset_after)
        parts = {key: r.shaped(r.array(weights[key], f"weights.{key}", (1,), "[units]"),
                               f"weights.{key}", (units,), f"[units] = [{units}]")
                 for key, _, _ in named}
        if named[0][1] is None:       # one bias: its blocks side by side
            bias = np.concatenate([parts[key] for key, _, _ in named])
        else:                         # the GRU's input row and recurrent row
            bias = np.stack([np.concatenate([parts[key] for key, row_of, _ in named
                                             if row_of == row]) for row in (0, 1)])
    else:
        given = [key for key in weights if str(key).startswith("b_")]
        if given:
            raise r.fail(f"weights.{given[0]}", "is given but use_bias is false; remove "
                         "the b_ keys or set use_bias: true")
    return kernel, recurrent, bias


def packing_lines(case):
    """Lines of text telling where each textbook matrix lands in Keras's matrices."""
    U, F, cell = case.units, case.input_dim, case.cell
    n = len(cell.blocks)
    bias_shape = ", ".join(map(str, cell.bias_shape(U, case.reset_after)[0]))
    lines = [f"Keras form ({cell.title}): kernel [{F}, {n * U}], recurrent_kernel "
             f"[{U}, {n * U}]{', bias [' + bias_shape + ']' if case.use_bias else ''}; "
             f"blocks {', '.join(cell.blocks)}."]
    named = bias_keys(cell, case.reset_after)
    for k, g in enumerate(cell.blocks):
        span = f"{k * U}..{(k + 1) * U - 1}"
        biases = "   ".join(f"bias[{'' if row is None else f'{row}, '}{span}] = {key}"
                           for key, row, block in named if block == g)
        lines.append(f"  {'gate' if n > 1 else 'block'} {g}: kernel[:, columns {span}] = "
                     f"W_{g}^T   recurrent_kernel[:, columns {span}] = U_{g}^T"
                     + (f"   {biases}" if case.use_bias else "")
                     + (f"   (Wcat_{g} = [W_{g} | U_{g}])" if case.concat == ("x", "h")
                        else f"   (Wcat_{g} = [U_{g} | W_{g}])"))
    for name, matrix in (("kernel", case.kernel), ("recurrent_kernel", case.recurrent_kernel),
                         ("bias", case.bias)):
        if matrix is not None:
            lines.append(f"{name} = {np.array2string(np.asarray(matrix), precision=6)}")
    return lines
