"""Explain a wrong hand answer: which classic mistake reproduces the author's numbers.

Each hypothesis (mistakes.py, and the cell's own in cells/) is a way people really get
a recurrent cell wrong (gate blocks read in another order, the other sigmoid, a forget
bias of +1, a GRU's update rule the other way round, ...).  It is checked by
recomputing the whole case under that assumption and comparing with every number the
author wrote, within the case tolerance; a hypothesis is reported only if all of them
agree.  Nothing is guessed from the size or place of a difference.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import forward
from ..compare import count_given, expected_arrays, trace_value
from .mistakes import hypotheses

# Past this many steps or gate values per pass (steps x batch x n*units) we do not
# diagnose: some forty recomputations of a huge case would make verify crawl.
MAX_DIAGNOSED_STEPS = 512
MAX_DIAGNOSED_VALUES = 1_000_000
KINDS = {"gate-order": "gate order", "hard-sigmoid": "activations",
         "keras2-hard-sigmoid": "activations", "linear-activation": "activations",
         "forget-bias-plus-one": "biases", "bias-doubled": "biases", "bias-dropped": "biases",
         "gru-recurrent-bias-dropped": "biases", "output-gate-ignored": "output gate",
         "kernel-transposed": "transposed kernels", "h-c-swapped": "h/c swapped",
         "go-backwards-order": "go_backwards", "mask-output": "masking",
         "rounding": "rounding", "gru-update-flipped": "update rule",
         "gru-reset-after-flipped": "reset gate placement",
         "forget-term-dropped": "cell state update", "coupled-gates": "cell state update",
         "bias-after-activation": "biases", "concat-order": "concatenation order"}


def recompute(case, mistake):
    """The reference forward pass (the one loop, forward.run) as the author computed
    it under ``mistake``: its changed case, its wrapped step, its arithmetic, its labels."""
    case = mistake.case or case
    arithmetic = forward.arithmetic_of(case)
    if mistake.arithmetic is not None:
        arithmetic = mistake.arithmetic(arithmetic)
    trace = forward.run(case, step=mistake.step, arithmetic=arithmetic)
    return mistake.relabel(trace) if mistake.relabel is not None else trace


@dataclass
class Diagnosis:
    id: str
    detail: str
    text: str


@dataclass
class Explanation:
    """The first divergence, the hypotheses that reproduce every author number, and a note
    when none does (or when the case was too big to try)."""

    first: object = None
    diagnoses: list = field(default_factory=list)
    tried: int = 0
    given: int = 0       # how many numbers the author wrote (all reproduced by a diagnosis)
    note: str = ""


def reconciles(case, trace, slack=0.0):
    """True when the trace gives every number the author wrote, within tolerance."""
    for q, t, given in expected_arrays(case):
        value = trace_value(trace, q, t)
        with np.errstate(invalid="ignore"):
            if not np.all((np.abs(given - value) <= case.atol + case.rtol * np.abs(value)
                           + slack) | np.isnan(given)):    # null: not stated
                return False
    return True


def first_divergence(case, mismatches):
    """The earliest author mismatch: by step, then in the order the step computes (z_i…,
    i, f, c~, o, c, act_c, h for the LSTM), then the output; the final states last."""
    order = case.cell.written + ("sequence",)
    states = case.cell.states

    def position(m):
        final = m.t is None
        return (final, m.t or 0, states.index(m.quantity) if final
                else order.index(m.quantity), m.batch, m.unit)
    return min(mismatches, key=position) if mismatches else None


def explain_mismatches(case, author_mismatches):
    """Find the first divergence and every hypothesis that reproduces the author's numbers."""
    out = Explanation(first=first_divergence(case, author_mismatches),
                      given=count_given(case))
    if not author_mismatches:
        return out
    size = case.steps * case.batch * len(case.cell.blocks) * case.units
    if size > MAX_DIAGNOSED_VALUES or case.steps > MAX_DIAGNOSED_STEPS:
        out.note = (f"not diagnosed: the case has {case.steps:,} steps and {size:,} gate "
                    f"values per pass, over the cap ({MAX_DIAGNOSED_STEPS} steps, "
                    f"{MAX_DIAGNOSED_VALUES:,} values) for trying some forty recomputations")
        return out
    kinds = []
    for mistake in hypotheses(case):
        out.tried += 1
        kind = KINDS.get(mistake.id, mistake.id)
        kinds += [] if kind in kinds else [kind]
        if reconciles(case, recompute(case, mistake), mistake.slack):
            out.diagnoses.append(Diagnosis(mistake.id, mistake.detail, mistake.text))
    if not out.diagnoses:
        out.note = (f"no diagnosis fits: none of the {out.tried} mistakes tried "
                    f"({', '.join(kinds)}) reproduces all of the author's numbers")
    return out
