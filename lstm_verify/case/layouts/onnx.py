"""ONNX's layout: the W, R and B inputs of the LSTM, GRU and RNN operators.

W [1, nU, F], R [1, nU, U] (W·x: [out, in], each of Keras's blocks transposed) and
B [1, 2nU] = [Wb, Rb]; the leading num_directions axis may be left out.  Row blocks:
LSTM i, o, f, c; GRU z, r, h (Keras's order); RNN one.  Wb and Rb are both added
before the activation, except in the GRU's candidate with ``linear_before_reset``:

    1:  h~ = g(x·W_h^T + Wb_h + r ⊙ (h·R_h^T + Rb_h))     Keras's reset_after true,
                                                           bias rows [Wb; Rb]
    0:  h~ = g(x·W_h^T + (r ⊙ h)·R_h^T + Rb_h + Wb_h)     Keras's reset_after false,
        (ONNX's default)                                   bias Wb + Rb, exactly

A case gives ``linear_before_reset`` inside ``weights``, as the operator's attribute.
"""

import numpy as np

from ..checks import describe
from .common import (Weights, blocks_note, blocks_suffix, matrix, reorder, two_bias_text,
                     units, width)

KEYS = ("W", "R", "B", "linear_before_reset")
BIAS_KEYS = ("B",)
OPTIONAL = ("linear_before_reset",)
RESET_AFTER = (True, False)
ATTRIBUTE = "linear_before_reset"


def keys(cell):
    return KEYS


def bias_keys(cell):
    return BIAS_KEYS


def reset_after(r, weights, cell, given):
    """linear_before_reset, as Keras's reset_after (None for a cell without one); a
    top-level reset_after that says otherwise is an error naming both."""
    if "reset_after" not in cell.options:
        if ATTRIBUTE in weights:
            raise r.fail(f"weights.{ATTRIBUTE}", f"is given, but {cell.a_title} has no reset "
                         "gate: linear_before_reset is an attribute of ONNX's GRU only; "
                         "remove it")
        return None
    value = weights.get(ATTRIBUTE, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1):
        raise r.fail(f"weights.{ATTRIBUTE}", f"is {describe(value)}, expected 0 or 1 (ONNX's "
                     "GRU attribute: 1 applies the reset gate after the recurrent matmul, "
                     "Keras's reset_after true; 0, ONNX's default, before it, Keras's "
                     "reset_after false)")
    fixed = value == 1
    if given is not None and given != fixed:
        source = f"weights.{ATTRIBUTE} is {value}" + (
            "" if ATTRIBUTE in weights else " (ONNX's default: weights does not give it)")
        where = "after" if fixed else "before"
        raise r.fail("reset_after", f"is {str(given).lower()}, but {source}, which is "
                     f"Keras's reset_after {str(fixed).lower()} (the reset gate applied "
                     f"{where} the recurrent matmul); make the two agree, or leave "
                     "reset_after out and the layout decides")
    return fixed


def export(w, **_options):
    cell = w.cell
    # ONNX: W·x too, blocks in ONNX's order; a leading num_directions axis of 1
    out = {"W": reorder(w.kernel, cell, "keras", "onnx", 1).T[None],
           "R": reorder(w.recurrent_kernel, cell, "keras", "onnx", 1).T[None]}
    if "reset_after" in cell.options:
        out = {ATTRIBUTE: int(w.reset_after), **out}
    biases = w.bias_pair()
    if biases is None:
        return out
    return {**out, "B": np.concatenate([reorder(b, cell, "keras", "onnx", 0)
                                        for b in biases])[None]}


def parse(r, weights, case, units_given):
    cell, F = case.cell, case.input_dim
    gates = blocks_note(cell, "onnx", "ONNX's row blocks")
    rows, n = width(cell, "hidden_size"), len(cell.blocks)
    arrays = {}
    for key, full, meaning in (("R", 3, f"[num_directions, {rows}, hidden_size]"),
                               ("W", 3, f"[num_directions, {rows}, input_size]"),
                               ("B", 2, f"[num_directions, {2 * n}*hidden_size] = "
                                        "[Wb, Rb]")):
        if key not in weights:
            continue
        arr = matrix(r, weights, key, (full - 1, full), f"{meaning}{gates} (the leading "
                     "num_directions axis may be left out)")
        if arr.ndim == full:
            if arr.shape[0] != 1:
                raise r.fail(f"weights.{key}", f"has num_directions={arr.shape[0]} "
                             f"(shape {'x'.join(map(str, arr.shape))}); a case holds one "
                             "direction: give W[0], R[0], B[0] for forward, or W[1], R[1], "
                             "B[1] with go_backwards: true for the reverse direction")
            arr = arr[0]
        arrays[key] = arr
    U = units(r, units_given, arrays["R"].shape[1])
    size = f"hidden_size={U} from " + ("units" if units_given is not None
                                       else "the last axis of weights.R")
    r.shaped(arrays["R"], "weights.R", (n * U, U), f"[{rows}, hidden_size] "
             f"(after the num_directions axis) with {size}{gates}")
    r.shaped(arrays["W"], "weights.W", (n * U, F), f"[{rows}, input_size] (after "
             f"the num_directions axis) with input_size={F} from the last axis of inputs "
             f"and hidden_size={U}{gates}")
    # ONNX's [out, in] rows in its order -> Keras's [in, out] columns in Keras's
    out = Weights(reorder(arrays["W"].T, cell, "onnx", "keras", 1),
                  reorder(arrays["R"].T, cell, "onnx", "keras", 1), cell=cell)
    if case.use_bias:
        B = r.shaped(arrays["B"], "weights.B", (2 * n * U,), f"[{2 * n}*hidden_size] = "
                     f"[Wb, Rb] (after the num_directions axis) with {size}{gates}")
        out.bias, out.bias_h = (reorder(half, cell, "onnx", "keras", 0)
                                for half in np.split(B, 2))
    return out


def meanings(cell, reset_after):
    rows = blocks_suffix(cell, "onnx", "rows")
    n = len(cell.blocks)
    return {"W": f"[num_directions, {width(cell, 'hidden_size')}, input_size]{rows}",
            "R": f"[num_directions, {width(cell, 'hidden_size')}, hidden_size]{rows}",
            "B": f"[num_directions, {2 * n}*hidden_size] = [Wb, Rb]",
            ATTRIBUTE: ("the reset gate after the recurrent matmul: Keras's reset_after true"
                        if reset_after else "the reset gate before the recurrent matmul: "
                        "Keras's reset_after false")}


def block_line(cell, g, n, F, U, keras):
    blocks = len(cell.blocks)
    row, row2 = f"{n * U}:{(n + 1) * U}", f"{(blocks + n) * U}:{(blocks + n + 1) * U}"
    line = f"W[0, {row}] = {keras['kernel']}^T, R[0, {row}] = {keras['recurrent_kernel']}^T"
    if keras["bias"] is not None:
        line += two_bias_text(f"B[0, {row}]", f"B[0, {row2}]", keras)
    return line
