"""The reference calculator: the one forward loop, in plain numpy (float64), around a
cell's step.

For every processing step t and batch item it keeps the pre-activations, the gates
and the states, so that every number can be shown and compared.  It follows Keras's
RNN loop (keras/src/layers/rnn/rnn.py) for masks and go_backwards; the equations of
one step are the cell's (lstm_verify/cells/):

    for t in processing order (the inputs reversed when go_backwards):
        values = cell.step(x_t, states, arithmetic)
        states = values' states where the step is unmasked, else the states as they were
        output = h where unmasked; else the previous output (zeros before the first),
                 or zero when zero_output_for_mask is set

The diagnosis reruns this same loop with a changed case or a wrapped step, and the
exact walkthrough runs it on Fraction values: there is no other forward loop.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from . import activations
from .cells.cell import Arithmetic, zeros_bias


@dataclass
class Trace:
    """Every quantity of a forward pass.

    ``steps[name]`` is (T, B, U) in processing order (with go_backwards, step 1 reads the
    last input): the cell's pre-activations, gates and states after each step, and each
    state before it (``h_prev``, ``c_prev``); they read as attributes too (``trace.i``).
    ``sequence`` (B, T, U) is what return_sequences=True returns; ``final`` maps each
    state to its returned value (B, U) (also ``trace.final_h``); ``x`` (T, B, F) is the
    input each step read; ``masked`` (T, B) marks skipped steps.  ``cell_states``
    (Keras only) holds the cell's own states before mask handling."""

    cell: object
    x: np.ndarray
    masked: np.ndarray
    steps: dict
    sequence: np.ndarray
    final: dict
    cell_states: dict = field(default_factory=dict)

    def __getattr__(self, name):
        steps = self.__dict__.get("steps", {})
        if name in steps:
            return steps[name]
        if name.startswith("final_") and name[6:] in self.__dict__.get("final", {}):
            return self.final[name[6:]]
        raise AttributeError(name)

    def at(self, k, b=slice(None)):
        """Every quantity of step index k for sequence b ((U,) each, or (B, U) for all),
        with the input x."""
        values = {name: series[k, b] for name, series in self.steps.items()}
        values["x"] = self.x[k, b]
        return values

    def replace(self, **changes):
        """A copy with some quantities replaced: per-step ones by name, or the fields."""
        steps = {**self.steps, **{k: v for k, v in changes.items() if k in self.steps}}
        rest = {k: v for k, v in changes.items() if k not in self.steps}
        return replace(self, steps=steps, **rest)


def arithmetic_of(case):
    """What the case's cell computes with: its weights and activations as Keras has them."""
    act, d_act = activations.get(case.activation), activations.vjp(case.activation)
    sigma = d_sigma = None
    if case.cell.has_recurrent_activation:
        sigma = activations.get(case.recurrent_activation)
        d_sigma = activations.vjp(case.recurrent_activation)
    return Arithmetic(kernel=case.kernel, recurrent_kernel=case.recurrent_kernel,
                      bias=zeros_bias(case), activation=act, recurrent_activation=sigma,
                      cell_activation=act, reset_after=case.reset_after,
                      activation_vjp=d_act, recurrent_activation_vjp=d_sigma,
                      cell_activation_vjp=d_act)


def run(case, step=None, arithmetic=None):
    """Run the case through its cell, step by step, and return the Trace.

    ``step`` (default: the cell's) and ``arithmetic`` (default: the case's weights and
    activations) let the diagnosis rerun this loop the way an author computed."""
    cell = case.cell
    step = step or cell.step
    a = arithmetic or arithmetic_of(case)
    x = np.swapaxes(case.inputs, 0, 1)                               # (T, B, F)
    mask = np.ones((case.steps, case.batch), bool) if case.mask is None else case.mask.T
    if case.go_backwards:
        x, mask = x[::-1], mask[::-1]

    states = case.initial_state
    output = np.zeros_like(states["h"])  # Keras's "previous output" starts at zero, not h0
    stacked, outputs = {}, []
    for k, (x_t, live) in enumerate(zip(x, mask[:, :, None])):      # live (B, 1)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported, not warned
            values = step(x_t, states, a)
        values.update({f"{s}_prev": states[s] for s in cell.states})
        if live.all():      # no mask here: the step's states are carried on, h is output
            states = {s: values[s] for s in cell.states}
            output = states["h"]
        else:
            states = {s: np.where(live, values[s], states[s]) for s in cell.states}
            values.update(states)  # states as Keras carries them (unchanged when masked)
            masked_output = np.zeros_like(output) if case.zero_output_for_mask else output
            output = np.where(live, states["h"], masked_output)
        for name, value in values.items():     # into (T, …) arrays as the loop goes
            if k == 0:   # float64, or object for the exact walkthrough's Fractions
                kind = np.asarray(value).dtype
                stacked[name] = np.empty((case.steps,) + np.shape(value),
                                         object if kind == object else np.float64)
            stacked[name][k] = value
        outputs.append(output)

    return Trace(cell=cell, x=x, masked=~mask, steps=stacked,
                 sequence=np.stack(outputs, axis=1), final=states)
