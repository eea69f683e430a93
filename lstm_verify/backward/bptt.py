"""Backpropagation through time: the one backward loop, in plain numpy (float64), around
a cell's backward step.

Given the forward Trace (forward.run) and the gradient of the loss with respect to the
layer's outputs (``upstream``: the sequence, the final h, the final c), it walks the
processing steps in reverse:

    for t = T .. 1:
        dh_t = dL/d(output_t) (where step t is unmasked) + what step t+1 sends back
        the cell's backward step gives every gate's gradient, this step's share of the
        weight gradients, dL/dx_t and what flows on to h_{t-1} (and c_{t-1})
        a masked step passes its states' gradients through unchanged, and its output's
        gradient to the previous output (it repeats it) or nowhere (zero_output_for_mask)

The loss is a sum over batch, time and units (never a mean).  The diagnosis reruns this
same loop with a wrapped backward step or other arithmetic, and the exact walkthrough
runs it on Fractions (render/exact.py): its zeros are written 0, not 0.0, so they keep
Fractions exact.
"""

from dataclasses import dataclass

import numpy as np

from .. import forward


@dataclass
class Gradients:
    """Every gradient of a backward pass. ``steps[name]`` is (T, B, U) in processing order:
    dh, dc (LSTM) — the whole gradient of each state after step t — then the gates' (di,
    df, dc_tilde, do; dz, dr, dh_tilde) and the pre-activations' (dz_i, ...). ``weights``
    holds kernel, recurrent_kernel and bias in Keras's layout; ``inputs`` (B, T, F) is in
    input order like the case's inputs; ``initial_state`` maps each state to (B, U)."""

    steps: dict
    weights: dict
    inputs: np.ndarray
    initial_state: dict

    def replace(self, **changes):
        from dataclasses import replace
        return replace(self, **changes)


def upstream_of(case, trace):
    """dL/d(outputs): the case's own upstream gradients, or those of its loss, each full
    size (zeros where not given). sequence (B, T, U) in processing order; states (B, U)."""
    backward = case.backward
    shape = trace.sequence.shape
    out = {"sequence": np.zeros(shape)}
    out.update({s: np.zeros_like(trace.final[s]) for s in case.cell.states})
    if backward.get("loss") is not None:       # L = ½·Σ(output − target)²
        loss = backward["loss"]
        produced = trace.sequence if loss["of"] == "sequence" else trace.final["h"]
        out[loss["of"]] = produced - loss["target"]
    else:
        out.update(backward.get("upstream", {}))
    return out


def run(case, trace=None, backward_step=None, arithmetic=None, upstream=None):
    """Backpropagate ``upstream`` (default: the case's) through the forward ``trace``
    (default: forward.run(case)); return Gradients."""
    cell = case.cell
    trace = trace if trace is not None else forward.run(case, arithmetic=arithmetic)
    a = arithmetic or forward.arithmetic_of(case)
    step = backward_step or cell.backward
    up = upstream if upstream is not None else upstream_of(case, trace)
    d_state = {s: np.asarray(up[s]) for s in cell.states}   # float, or Fractions (exact)
    d_carried_output = np.zeros_like(d_state["h"])   # to the output a masked step repeated
    weights = {"kernel": np.zeros_like(a.kernel),
               "recurrent_kernel": np.zeros_like(a.recurrent_kernel),
               "bias": np.zeros_like(a.bias, dtype=np.result_type(a.bias, float))}
    per_step, d_x = [], []
    for k in reversed(range(case.steps)):
        live = ~trace.masked[k][:, None]                                 # (B, 1)
        d_output = up["sequence"][:, k] + d_carried_output
        d_here = dict(d_state, h=d_state["h"] + np.where(live, d_output, 0))
        masked_goes = 0 if case.zero_output_for_mask else d_output
        d_carried_output = np.where(live, 0, masked_goes)
        with np.errstate(over="ignore", invalid="ignore"):
            g = step(trace.at(k),
                     {s: np.where(live, d_here[s], 0) for s in cell.states}, a)
        # a masked step: no gate gradient; its states were carried, so are their gradients
        d_state = {s: g["prev"][s] + np.where(live, 0, d_here[s]) for s in cell.states}
        for name in weights:
            weights[name] = weights[name] + g[name]
        row = {name: value for name, value in g.items() if name not in
               ("prev", "x", "kernel", "recurrent_kernel", "bias")}
        for s in cell.states:   # the whole gradient of the state, masked steps included
            row[f"d{s}"] = np.where(live, row[f"d{s}"], d_here[s])
        per_step.append(row)
        d_x.append(g["x"])
    per_step.reverse()
    d_x.reverse()
    inputs = np.stack(d_x, axis=1)                                       # (B, T, F)
    if case.go_backwards:       # processing order back to the order of the inputs
        inputs = inputs[:, ::-1]
    steps = {name: np.stack([row[name] for row in per_step]) for name in per_step[0]}
    return Gradients(steps=steps, weights=weights, inputs=inputs, initial_state=d_state)
