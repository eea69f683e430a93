"""cuDNN's canonical per-gate parameters (an LSTM layout).

Named as cuDNN's CUDNN_LSTM equations name them (i_t = σ(W_i·x + R_i·h + b_Wi + b_Ri));
cudnnGetRNNLinLayerMatrixParams returns them by linLayerID 0..3 = W_i, W_f, W_c, W_o
[U, F] and 4..7 = R_i, R_f, R_c, R_o [U, U], and the biases b_Wi..b_Wo, b_Ri..b_Ro [U]
by the same ids (Keras 2's CuDNNLSTM kept the same two bias sets, in the same order
i, f, c, o).  Each matrix is [out, in] for one gate: one Keras column block, transposed.
"""

import numpy as np

from .common import Weights, matrix, two_bias_text, units

OPTIONAL = ()
RESET_AFTER = None


def matrix_keys(cell):
    return tuple(f"{m}_{g}" for m in ("W", "R") for g in cell.layouts["cudnn"])


def bias_keys(cell):
    return tuple(f"b_{m}{g}" for m in ("W", "R") for g in cell.layouts["cudnn"])


def keys(cell):
    return matrix_keys(cell) + bias_keys(cell)


def reset_after(r, weights, cell, given):
    return None


def export(w, **_options):
    out, order = {}, w.cell.layouts["cudnn"]
    for name, matrix_ in (("W", w.kernel), ("R", w.recurrent_kernel)):
        for g, block in zip(order, np.split(matrix_, len(order), axis=1)):
            out[f"{name}_{g}"] = block.T
    biases = w.bias_pair()
    if biases is not None:
        for name, vector in zip("WR", biases):
            for g, block in zip(order, np.split(vector, len(order))):
                out[f"b_{name}{g}"] = block
    return out


def parse(r, weights, case, units_given):
    cell, F = case.cell, case.input_dim
    order, names = cell.layouts["cudnn"], matrix_keys(cell)
    first = matrix(r, weights, f"R_{order[0]}", (2,), "[units, units]")
    U = units(r, units_given, first.shape[0])
    size = f"units={U} from " + ("units" if units_given is not None
                                 else f"the rows of R_{order[0]}")
    blocks = {}
    for key in names:
        if key[0] == "W":   # applied to x
            cols, meaning = F, (f"[units, input_dim] with input_dim={F} from the last axis "
                                f"of inputs and {size}")
        else:               # applied to h
            cols, meaning = U, f"[units, units] with {size}"
        meaning += f" (cuDNN linLayerID {names.index(key)})"
        blocks[key] = r.shaped(matrix(r, weights, key, (2,), meaning), f"weights.{key}",
                               (U, cols), meaning)
    # each cuDNN matrix is [out, in] for one gate: transposed, it is one Keras column block
    out = Weights(np.concatenate([blocks[f"W_{g}"].T for g in order], axis=1),
                  np.concatenate([blocks[f"R_{g}"].T for g in order], axis=1), cell=cell)
    if case.use_bias:
        vec = {k: r.shaped(matrix(r, weights, k, (1,), "[units]"), f"weights.{k}", (U,),
                           f"[units] with {size}") for k in bias_keys(cell)}
        out.bias = np.concatenate([vec[f"b_W{g}"] for g in order])
        out.bias_h = np.concatenate([vec[f"b_R{g}"] for g in order])
    return out


def meanings(cell, reset_after):
    out = {}
    for key in keys(cell):
        out[key] = ("[units, input_dim]" if key[:2] == "W_" else
                    "[units, units]" if key[:2] == "R_" else "[units]")
    return out


def block_line(cell, g, n, F, U, keras):
    line = f"W_{g} = {keras['kernel']}^T, R_{g} = {keras['recurrent_kernel']}^T"
    if keras["bias"] is not None:
        line += two_bias_text(f"b_W{g}", f"b_R{g}", keras)
    return line
