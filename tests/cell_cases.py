"""GRU and SimpleRNN cases for the teaching tests, with their numbers computed here in
a few lines of numpy, as Keras's GRUCell and SimpleRNNCell compute them, independently
of the package."""

import numpy as np

GRU_INPUTS = [[0.5, -1], [1, 0.25]]
GRU_H0 = [0.1, -0.2]
GRU_KERNEL = [[0.1, 0.2, -0.3, 0.4, 0.5, -0.6], [0.7, -0.8, 0.9, 0.1, -0.2, 0.3]]
GRU_RECURRENT = [[0.2, -0.1, 0.4, 0.3, -0.5, 0.6], [0.1, 0.3, -0.2, 0.5, 0.4, -0.3]]
GRU_BIAS = {"true": [[0.1, -0.1, 0.2, 0, 0.3, -0.2], [0.05, 0.1, -0.1, 0.2, 0.1, 0.4]],
            "false": [0.15, 0, 0.1, 0.2, 0.4, 0.2]}


def gru_text(reset_after):
    return (f"name: a GRU with reset_after {reset_after}\ncell: gru\n"
            f"reset_after: {reset_after}\ninputs: {GRU_INPUTS}\n"
            f"initial_state: {{h: [{GRU_H0}]}}\n"
            f"weights:\n  kernel: {GRU_KERNEL}\n  recurrent_kernel: {GRU_RECURRENT}\n"
            f"  bias: {GRU_BIAS[reset_after]}\n")


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def gru_steps(reset_after):
    """Per step, {quantity: (2,)}: h = z·h_prev + (1 − z)·h̃, blocks z, r, h."""
    W, U, b = np.array(GRU_KERNEL), np.array(GRU_RECURRENT), np.array(GRU_BIAS[reset_after])
    b_in, b_rec = (b[0], b[1]) if reset_after == "true" else (b, np.zeros(6))
    h, steps = np.array(GRU_H0), []
    for x in np.array(GRU_INPUTS):
        xw, hu = x @ W + b_in, h @ U + b_rec
        z_z, z_r = xw[0:2] + hu[0:2], xw[2:4] + hu[2:4]
        z, r = sigmoid(z_z), sigmoid(z_r)
        if reset_after == "true":
            z_h = xw[4:] + r * hu[4:]
        else:
            z_h = xw[4:] + (r * h) @ U[:, 4:]
        h_tilde = np.tanh(z_h)
        h_prev, h = h, z * h + (1 - z) * h_tilde
        steps.append(dict(z_z=z_z, z_r=z_r, z_h=z_h, z=z, r=r, h_tilde=h_tilde, h=h,
                          h_prev=h_prev))
    return steps


RNN_INPUTS = [[1, 2], [-1, 0.5], [0, 1]]
RNN_KERNEL = [[0.5, -0.3], [0.2, 0.8]]
RNN_RECURRENT = [[0.1, 0.4], [-0.6, 0.3]]
RNN_BIAS = [0.05, -0.1]
RNN = (f"name: a SimpleRNN\ncell: simple_rnn\ninputs: {RNN_INPUTS}\n"
       f"weights:\n  kernel: {RNN_KERNEL}\n  recurrent_kernel: {RNN_RECURRENT}\n"
       f"  bias: {RNN_BIAS}\n")


def rnn_steps():
    """Per step, {z_h, h, h_prev}: h = tanh(x·W + h_prev·U + b)."""
    h, steps = np.zeros(2), []
    for x in np.array(RNN_INPUTS):
        z_h = x @ np.array(RNN_KERNEL) + h @ np.array(RNN_RECURRENT) + np.array(RNN_BIAS)
        h_prev, h = h, np.tanh(z_h)
        steps.append(dict(z_h=z_h, h=h, h_prev=h_prev))
    return steps


# hard_sigmoid gates and a linear candidate: every value an exact fraction (worked out
# by hand in test_explain.test_gru_walkthrough_is_exact_with_piecewise_linear_activations)
GRU_EXACT = """\
name: a GRU in fractions
cell: gru
activation: null
recurrent_activation: hard_sigmoid
inputs: [[1, 0], [0, -2]]
weights:
  kernel: [[1, 2, 3, 0, 1, -1], [0, 1, 1, 0, -1, 2]]
  recurrent_kernel: [[0.5, 0, 0, 0, 1, 0], [0, 0, 0, 1, 0, 1]]
  bias: [[0, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 2]]
"""


def dec(value, places=4):
    """A number as the walkthrough writes decimals: rounded, trailing zeros dropped."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def factor(value, places=4):
    """A number inside a product, bracketed when negative: (-0.2)."""
    text = dec(value, places)
    return f"({text})" if text.startswith("-") else text
