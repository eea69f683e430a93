"""The classic LSTM mistakes, each as a recomputable assumption about the author.

A Hypothesis says how the author computed: a modified copy of the case (weights read
in another gate order, a doubled bias, go_backwards flipped, ...), an Assumption about
the arithmetic (another activation, +1 on z_f, the output gate left out, rounding), or
a relabelling of the results (h and c swapped).  diagnose.py recomputes each one and
keeps those that reproduce every number the author wrote.
"""

from dataclasses import dataclass, replace

import numpy as np

from . import activations
from .compare import expected_arrays
from .reference import split_gates
from .symmetry import ORDERS, order_text, read_blocks_as

MAX_DECIMALS = 6   # an author writing more decimals than this did not round by hand


def keras2_hard_sigmoid(x):
    # Keras 2 (and TF 1): 0.2x + 0.5 clipped; Keras 3 uses x/6 + 0.5.
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


@dataclass(frozen=True)
class Assumption:
    """Where the author's arithmetic departs from Keras's (the defaults follow Keras)."""

    gate: object = None         # function used on z_i, z_f, z_o instead of recurrent_activation
    candidate: object = None    # used on z_c instead of activation
    cell: object = None         # used on c in h = o·act(c) instead of activation
    output_gate: bool = True    # False: h = act(c)
    forget_bias: float = 0.0    # added to z_f at run time
    feed_c: bool = False        # c_{t-1} fed back where Keras feeds h_{t-1}
    ignore_mask: bool = False
    decimals: int = None        # gates, c, act(c) and h rounded as computed, then carried


def swap_h_c(trace):
    return replace(trace, h=trace.c, c=trace.h, final_h=trace.final_c, final_c=trace.final_h)


def input_order(trace):
    """Steps and sequence listed by input time rather than processing order."""
    per_step = {k: getattr(trace, k)[::-1] for k in ("i", "f", "c_tilde", "o", "c", "h")}
    return replace(trace, sequence=trace.sequence[:, ::-1], **per_step)


@dataclass
class Hypothesis:
    id: str
    detail: str        # for --json: the order, the decimals, which activation where
    text: str          # plain words for the report and the verdict
    case: object
    assume: Assumption = Assumption()
    relabel: object = None   # how the author labelled the numbers, when that is the mistake
    slack: float = 0.0       # extra absolute tolerance (half a unit of the written decimals)


def written_decimals(case):
    """The fewest decimals that write every author number exactly, or None if over 6."""
    values = np.concatenate([arr.ravel() for _, _, arr in expected_arrays(case)] + [[]])
    for d in range(MAX_DECIMALS + 1):
        if np.all(np.abs(values - np.round(values, d)) <= 1e-9 * np.maximum(1, np.abs(values))):
            return d
    return None


def _name(act):
    return activations.display_name(act)


def _activation_hypotheses(case):
    rec, act = case.recurrent_activation, case.activation
    sigmoids = ("sigmoid", "hard_sigmoid")
    get = activations.get
    gates, cells = "the gates i, f, o", "c~ and the cell output"
    for name, where, make in ((rec, gates, lambda f: Assumption(gate=f)),
                              (act, cells, lambda f: Assumption(candidate=f, cell=f))):
        if name in sigmoids:
            other = sigmoids[name == "sigmoid"]
            formula = " (x/6 + 0.5)" if other == "hard_sigmoid" else ""
            text = f"{other}{formula} in place of {name} on {where}"
            yield Hypothesis("hard-sigmoid", text, text, case, make(get(other)))
            was = "Keras 3's (x/6 + 0.5)" if name == "hard_sigmoid" else "sigmoid"
            text = f"Keras 2's hard_sigmoid (0.2x + 0.5) in place of {was} on {where}"
            yield Hypothesis("keras2-hard-sigmoid", text, text, case, make(keras2_hard_sigmoid))
    linear, tanh, sigmoid = get(None), get("tanh"), get("sigmoid")
    if _name(act) == "linear":
        for text, assume in (("c~", Assumption(candidate=tanh)),
                             ("the cell output (h = o·tanh(c))", Assumption(cell=tanh)),
                             ("c~ and the cell output", Assumption(candidate=tanh, cell=tanh))):
            text = f"tanh applied to {text} where Keras applies none (activation is linear)"
            yield Hypothesis("linear-activation", text, text, case, assume)
    else:
        for text, assume in (("the candidate c~", Assumption(candidate=linear)),
                             ("the cell output (h = o·c)", Assumption(cell=linear)),
                             ("c~ and the cell output", Assumption(candidate=linear,
                                                                   cell=linear))):
            text = f"linear in place of {act} on {text}"
            yield Hypothesis("linear-activation", text, text, case, assume)
    if _name(rec) == "linear":
        text = "sigmoid applied to the gates where Keras applies none (recurrent_activation " \
               "is linear)"
        yield Hypothesis("linear-activation", text, text, case, Assumption(gate=sigmoid))
        if _name(act) == "linear":
            text = "Keras's default activations (sigmoid gates, tanh) used where the case's " \
                   "are linear"
            yield Hypothesis("linear-activation", text, text, case,
                             Assumption(gate=sigmoid, candidate=tanh, cell=tanh))
    else:
        text = f"the gates taken as linear (no {rec} on i, f, o)"
        yield Hypothesis("linear-activation", text, text, case, Assumption(gate=linear))


def _bias_hypotheses(case):
    text = "1 added to z_f at run time (TensorFlow 1's forget_bias=1.0)"
    yield Hypothesis("forget-bias-plus-one", text, f"forget bias +1: {text}", case,
                     Assumption(forget_bias=1.0))
    if case.use_bias and case.bias is not None and np.any(case.bias):
        text = ("bias counted twice (PyTorch's b_ih + b_hh or cuDNN's two biases, both set "
                "to the Keras bias)")
        yield Hypothesis("bias-doubled", text, text, replace(case, bias=2 * case.bias))
        yield Hypothesis("bias-dropped", "bias left out", "the bias left out",
                         replace(case, use_bias=False))


def _transposed_blocks(matrix):
    return np.concatenate([block.T for block in split_gates(matrix)], axis=-1)


def _structure_hypotheses(case):
    act = "c" if _name(case.activation) == "linear" else f"{case.activation}(c)"
    text = f"the output gate left out: h = {act} instead of h = o·{act}"
    yield Hypothesis("output-gate-ignored", f"h = {act}", text, case,
                     Assumption(output_gate=False))
    units = case.units
    if units > 1:
        rk = _transposed_blocks(case.recurrent_kernel)
        text = "recurrent_kernel's units x units gate blocks used transposed"
        yield Hypothesis("kernel-transposed", text, text, replace(case, recurrent_kernel=rk))
        if case.input_dim == units:
            kernel = _transposed_blocks(case.kernel)
            text = "kernel's units x units gate blocks used transposed"
            yield Hypothesis("kernel-transposed", text, text, replace(case, kernel=kernel))
            text = "kernel's and recurrent_kernel's gate blocks used transposed"
            yield Hypothesis("kernel-transposed", text, text,
                             replace(case, kernel=kernel, recurrent_kernel=rk))
    text = "h and c swapped (return_state gives output, h, c in that order)"
    yield Hypothesis("h-c-swapped", text, text, case, relabel=swap_h_c)
    if case.steps > 1 or np.any(case.c0 != case.h0):
        text = "c fed back in place of h (z = x·W + c_prev·U + b)"
        yield Hypothesis("h-c-swapped", text, text, case, Assumption(feed_c=True))


def _order_hypotheses(case):
    if case.steps > 1:
        if case.go_backwards:
            text = "inputs read forwards, although go_backwards is true"
        else:
            text = "inputs read from the last step, although go_backwards is false"
        yield Hypothesis("go-backwards-order", text, text,
                         replace(case, go_backwards=not case.go_backwards))
        if case.go_backwards:
            text = ("steps and sequence listed in input order; Keras lists them in processing "
                    "order (step 1 reads the last input)")
            yield Hypothesis("go-backwards-order", text, text, case, relabel=input_order)
    if case.mask is not None and not case.mask.all():
        if case.zero_output_for_mask:
            text = "masked steps repeat the last output; with zero_output_for_mask they output 0"
        else:
            text = "masked steps output 0; Keras repeats the last output (zero_output_for_mask " \
                   "is false)"
        yield Hypothesis("mask-output", text, text,
                         replace(case, zero_output_for_mask=not case.zero_output_for_mask))
        text = "the mask ignored: masked steps computed like the others"
        yield Hypothesis("mask-output", text, text, case, Assumption(ignore_mask=True))


def _rounding_hypotheses(case):
    d = written_decimals(case)
    if d is None:
        return
    half_unit = 0.5 * 10.0 ** -d * (1 + 1e-9)
    text = f"values rounded to {d} decimals as computed, and the rounded values carried on"
    yield Hypothesis("rounding", f"{d} decimals (intermediates rounded and carried forward)",
                     text, case, Assumption(decimals=d), slack=half_unit)
    text = (f"the author's numbers are the reference's rounded to {d} decimals: the case "
            "tolerance is tighter than the decimals written")
    yield Hypothesis("rounding", f"{d} decimals (only the written values)", text, case,
                     slack=half_unit)


def hypotheses(case):
    """Every hypothesis that applies to this case, cheapest to explain first."""
    for order in ORDERS:
        text = order_text(order)
        yield Hypothesis("gate-order", text, f"gate blocks read as {text}",
                         read_blocks_as(case, order))
    yield from _activation_hypotheses(case)
    yield from _bias_hypotheses(case)
    yield from _structure_hypotheses(case)
    yield from _order_hypotheses(case)
    yield from _rounding_hypotheses(case)
