"""TensorFlow 1's LSTM layout (tf.compat.v1 LSTMCell / BasicLSTMCell; an LSTM layout).

kernel [F + U, 4U] applied to concat([x, h]) (input rows first), column blocks i, j,
f, o (j is c~), bias [4U], and forget_bias (default 1.0) ADDED to f's pre-activation
at run time, so Keras's f bias = bias_f + forget_bias.
"""

import numpy as np

from ..checks import describe
from .common import Weights, blocks_note, matrix, reorder, units

KEYS = ("kernel", "bias", "forget_bias")
BIAS_KEYS = ("bias",)
OPTIONAL = ("forget_bias",)
RESET_AFTER = None
FORGET = "f"   # the block forget_bias is added to (Keras's letter)


def keys(cell):
    return KEYS


def bias_keys(cell):
    return BIAS_KEYS


def reset_after(r, weights, cell, given):
    return None


def _forget_columns(cell, U, layout):
    n = cell.layouts[layout].index(FORGET)
    return slice(n * U, (n + 1) * U)


def export(w, forget_bias=0.0, **_options):
    # TF1 multiplies concat([x, h])·kernel: Keras's kernel on top of recurrent_kernel,
    # blocks in TF1's order; forget_bias is subtracted here, added back at run time
    cell = w.cell
    kernel = np.concatenate([w.kernel, w.recurrent_kernel], axis=0)
    out = {"kernel": reorder(kernel, cell, "keras", "tf1", 1)}
    if w.bias is None:    # a layer without bias has nothing to hold forget_bias
        return {**out, "forget_bias": 0.0}
    bias = reorder(w.keras_bias(), cell, "keras", "tf1", 0).copy()
    bias[_forget_columns(cell, w.units, "tf1")] -= forget_bias
    return {**out, "bias": bias, "forget_bias": float(forget_bias)}


def parse(r, weights, case, units_given):
    cell, F = case.cell, case.input_dim
    gates, n = blocks_note(cell, "tf1", "TF1's column blocks"), len(cell.blocks)
    kernel = matrix(r, weights, "kernel", (2,), f"[input_dim + units, {n}*units]{gates}")
    if units_given is None and kernel.shape[1] % n:
        raise r.fail("weights.kernel", f"is {kernel.shape[0]}x{kernel.shape[1]}, expected "
                     f"[input_dim + units, {n}*units]{gates}: {kernel.shape[1]} columns is "
                     f"not a multiple of {n}")
    U = units(r, units_given, kernel.shape[1] // n)
    size = f"units={U} from " + ("units" if units_given is not None
                                 else f"the columns of weights.kernel / {n}")
    r.shaped(kernel, "weights.kernel", (F + U, n * U), f"[input_dim + units, {n}*units] with "
             f"input_dim={F} from the last axis of inputs and {size}; rows are x's then h's, "
             f"as TF1 multiplies concat([x, h]){gates}")
    forget_bias = weights.get("forget_bias", 1.0)
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)) or not (
            np.isfinite(forget_bias)):
        raise r.fail("weights.forget_bias", f"is {describe(forget_bias)}, expected a number "
                     "(TF1's LSTMCell default is 1.0)")
    # the x rows and the h rows of concat([x, h])·kernel are Keras's two matrices
    out = Weights(reorder(kernel[:F], cell, "tf1", "keras", 1),
                  reorder(kernel[F:], cell, "tf1", "keras", 1), cell=cell)
    if case.use_bias:
        bias = r.shaped(matrix(r, weights, "bias", (1,), f"[{n}*units]"), "weights.bias",
                        (n * U,), f"[{n}*units] with {size}{gates}")
        out.bias = reorder(bias, cell, "tf1", "keras", 0).copy()
        # TF1 adds forget_bias to f at run time; Keras cannot
        out.bias[_forget_columns(cell, U, "keras")] += forget_bias
    elif forget_bias != 0:
        default = "" if "forget_bias" in weights else " (the default)"
        raise r.fail("weights.forget_bias", f"is {forget_bias}{default}, but use_bias is "
                     "false: TF1 adds forget_bias to the forget gate and a Keras layer "
                     "without bias cannot; set use_bias: true with a bias, or forget_bias: 0")
    return out


def meanings(cell, reset_after):
    names = ", ".join(cell.layout_names.get("tf1", {}).get(g, g) for g in cell.layouts["tf1"])
    n = len(cell.blocks)
    return {"kernel": f"[input_dim + units, {n}*units]: rows x then h, blocks {names}",
            "bias": f"[{n}*units], blocks {names}",
            "forget_bias": "added to f's pre-activation at run time (already in bias if 0)"}


def block_line(cell, g, n, F, U, keras):
    row = f"{n * U}:{(n + 1) * U}"
    line = (f"kernel[0:{F}, {row}] = {keras['kernel']}, "
            f"kernel[{F}:{F + U}, {row}] = {keras['recurrent_kernel']}")
    if keras["bias"] is not None:
        line += f", bias[{row}] = {keras['bias']}" + (" - forget_bias" if g == FORGET else "")
    return line
