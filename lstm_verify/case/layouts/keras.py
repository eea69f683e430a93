"""Keras's own layout, the one every other is read into: kernel [F, nU], recurrent_kernel
[U, nU] (x·kernel: row vectors, column blocks in Keras's order) and bias [nU], or
[2, 3U] for a GRU with reset_after (input row, recurrent row).  Reading it is
weights.keras_form; here it is only written."""

from .common import width

KEYS = ("kernel", "recurrent_kernel", "bias")
BIAS_KEYS = ("bias",)
OPTIONAL = ()
RESET_AFTER = None   # the case's top-level reset_after says it, not the weights


def keys(cell):
    return KEYS


def bias_keys(cell):
    return BIAS_KEYS


def reset_after(r, weights, cell, given):
    return None


def export(w, **_options):
    out = {"kernel": w.kernel, "recurrent_kernel": w.recurrent_kernel}
    return out if w.bias is None else {**out, "bias": w.keras_bias()}


def meanings(cell, reset_after):
    blocks = "" if len(cell.blocks) == 1 else f", blocks {', '.join(cell.blocks)}"
    shape, _ = cell.bias_shape(1, reset_after)
    bias = (f"[2, {width(cell, 'units')}]: rows input, recurrent{blocks}" if len(shape) == 2
            else f"[{width(cell, 'units')}]{blocks}")
    return {"kernel": f"[input_dim, {width(cell, 'units')}]{blocks}",
            "recurrent_kernel": f"[units, {width(cell, 'units')}]{blocks}", "bias": bias}


def block_line(cell, g, n, F, U, keras):
    line = f"{keras['kernel']}, {keras['recurrent_kernel']}"
    if keras["bias"] is not None:
        bias = keras["bias"]
        line += f", {bias[0]}, {bias[1]}" if keras["two_rows"] else f", {bias}"
    return line + " (as they are)"
