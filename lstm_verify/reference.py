"""The reference calculator: an LSTM forward pass in plain numpy, float64.

For every processing step t and batch item it keeps the pre-activations, the
gates and the states, so that every number can be shown and compared.  It
follows Keras's LSTMCell (keras/src/layers/rnn/lstm.py) and Keras's RNN loop
for masks and go_backwards:

    z   = x_t · kernel + h_{t-1} · recurrent_kernel + bias     split into z_i, z_f, z_c, z_o
    i   = recurrent_activation(z_i)
    f   = recurrent_activation(z_f)
    c~  = activation(z_c)
    o   = recurrent_activation(z_o)
    c_t = f ⊙ c_{t-1} + i ⊙ c~
    h_t = o ⊙ activation(c_t)

A masked step leaves h and c as they were; its output repeats the previous
output (zeros before the first), or is zero when zero_output_for_mask is set.
"""

from dataclasses import dataclass

import numpy as np

from . import activations


@dataclass
class Trace:
    """Every quantity of a forward pass. Per-step arrays are (T, B, U), in processing order
    (with go_backwards, step 1 reads the last input). ``h``/``c`` are the states after each
    step; ``sequence`` (B, T, U) is what return_sequences=True returns; ``final_h`` and
    ``final_c`` (B, U) are the returned states; ``x`` (T, B, F) is the input each step read;
    ``masked`` (T, B) marks skipped steps."""

    x: np.ndarray
    z_i: np.ndarray
    z_f: np.ndarray
    z_c: np.ndarray
    z_o: np.ndarray
    i: np.ndarray
    f: np.ndarray
    c_tilde: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    masked: np.ndarray
    sequence: np.ndarray
    final_h: np.ndarray
    final_c: np.ndarray
    cell_h: np.ndarray = None  # Keras only: the cell's own h, c before mask handling
    cell_c: np.ndarray = None


def split_gates(matrix):
    """Split the last axis (4*units) into the Keras gate blocks i, f, c, o."""
    return np.split(matrix, 4, axis=-1)


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, act, rec_act):
    """One LSTM step for a batch. x_t (B, F); h_prev, c_prev (B, U). Returns a dict of (B, U)."""
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias       # (B, 4*units)
    z_i, z_f, z_c, z_o = split_gates(z)
    i = rec_act(z_i)
    f = rec_act(z_f)
    c_tilde = act(z_c)
    o = rec_act(z_o)
    c = f * c_prev + i * c_tilde
    h = o * act(c)
    return dict(z_i=z_i, z_f=z_f, z_c=z_c, z_o=z_o, i=i, f=f, c_tilde=c_tilde, o=o, c=c, h=h)


def run(case):
    """Run the case through the reference LSTM and return its Trace."""
    act = activations.get(case.activation)
    rec_act = activations.get(case.recurrent_activation)
    bias = case.bias if case.use_bias else np.zeros(4 * case.units)
    x = np.swapaxes(case.inputs, 0, 1)                               # (T, B, F)
    mask = np.ones((case.steps, case.batch), bool) if case.mask is None else case.mask.T
    if case.go_backwards:
        x, mask = x[::-1], mask[::-1]

    h, c = case.h0, case.c0
    output = np.zeros_like(h)        # Keras's "previous output" starts at zero, not h0
    steps, outputs = [], []
    for x_t, keep in zip(x, mask):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported, not warned
            step = lstm_step(x_t, h, c, case.kernel, case.recurrent_kernel, bias, act,
                             rec_act)
        keep = keep[:, None]                                         # (B, 1)
        step["h_prev"], step["c_prev"] = h, c
        h = np.where(keep, step["h"], h)
        c = np.where(keep, step["c"], c)
        step["h"], step["c"] = h, c  # states as Keras carries them (unchanged when masked)
        masked_output = 0.0 if case.zero_output_for_mask else output
        output = np.where(keep, h, masked_output)
        steps.append(step)
        outputs.append(output)

    stacked = {key: np.stack([s[key] for s in steps]) for key in steps[0]}
    return Trace(x=x, masked=~mask, sequence=np.stack(outputs, axis=1),
                 final_h=h, final_c=c, **stacked)
