"""Gradients named as the case names its weights, and each cell's backward rows."""

import numpy as np


def step_rows(cell):
    """The per-step gradients of a cell, in the order the backward pass computes them:
    the states' (dh, dc), the gates' after their activation, the pre-activations'."""
    states = tuple(f"d{s}" for s in cell.states)
    gates = tuple(f"d{g.name}" for g in reversed(cell.gates))
    return states + gates + tuple(f"d{z}" for z in cell.pre_activations)


def in_case_form(case, kernel, recurrent_kernel, bias):
    """{key: array} of Keras-layout weights (or their gradients) in the case's own weight
    form: kernel/recurrent_kernel/bias, W_g/U_g/b_g, Wcat_g/b_g, or a layout's names.
    Every form is a re-indexing of Keras's matrices, so gradients map exactly as the
    weights do; a layout's two biases both get the Keras bias's gradient (they add up)."""
    form = case.weight_form
    if form == "keras":
        out = {"kernel": kernel, "recurrent_kernel": recurrent_kernel}
        return out if bias is None or not case.use_bias else {**out, "bias": bias}
    if form in ("per-gate", "concatenated"):
        return _textbook(case, kernel, recurrent_kernel, bias, form == "concatenated")
    from ..case import layouts
    w = layouts.Weights.from_keras(kernel, recurrent_kernel,
                                   bias if case.use_bias else None, case.cell,
                                   case.reset_after)
    if w.bias is not None and not w.two_rows:
        w.bias_h = w.bias      # Keras's one bias is the layout's two added: each gets its gradient
    exported = layouts.export(form, w)
    return {key: np.asarray(value) for key, value in exported.items()
            if np.ndim(value) > 0}   # not the settings (forget_bias, linear_before_reset)


def _textbook(case, kernel, recurrent_kernel, bias, concatenated):
    from ..case.textbook import bias_keys
    cell, units = case.cell, case.units
    out = {}
    for k, g in enumerate(cell.blocks):
        block = slice(k * units, (k + 1) * units)
        W, U = kernel[:, block].T, recurrent_kernel[:, block].T
        if concatenated:
            out[f"Wcat_{g}"] = np.concatenate([W, U] if case.concat == ("x", "h") else [U, W],
                                              axis=1)
        else:
            out[f"W_{g}"], out[f"U_{g}"] = W, U
    if bias is not None and case.use_bias:
        for key, row, g in bias_keys(cell, case.reset_after):
            k = cell.blocks.index(g)
            block = slice(k * units, (k + 1) * units)
            out[key] = bias[block] if row is None else bias[row, block]
    return out
