"""Explain a wrong hand answer: which classic mistake reproduces the author's numbers.

Each hypothesis (mistakes.py) is a way people really get an LSTM wrong (gate blocks
read in another order, the other sigmoid, a forget bias of +1, ...).  It is checked by
recomputing the whole case under that assumption and comparing with every number the
author wrote, within the case tolerance; a hypothesis is reported only if all of them
agree.  Nothing is guessed from the size or place of a difference.
"""

from dataclasses import dataclass, field

import numpy as np

from . import activations
from .compare import expected_arrays, trace_value
from .mistakes import Assumption, hypotheses
from .reference import Trace, split_gates

STEP_ORDER = ("i", "f", "c_tilde", "o", "c", "h", "sequence")
# Past this many steps or gate values per pass (steps x batch x 4*units) we do not
# diagnose: some forty recomputations of a huge case would make verify crawl.
MAX_DIAGNOSED_STEPS = 512
MAX_DIAGNOSED_VALUES = 1_000_000


def recompute(case, assume=Assumption()):
    """The reference forward pass (reference.run) with the author's departures; a Trace."""
    rec = assume.gate or activations.get(case.recurrent_activation)
    cand = assume.candidate or activations.get(case.activation)
    cell = assume.cell or activations.get(case.activation)
    keep = (lambda v: v) if assume.decimals is None else (lambda v: np.round(v, assume.decimals))
    bias = case.bias if case.use_bias else np.zeros(4 * case.units)
    x = np.swapaxes(case.inputs, 0, 1)                               # (T, B, F)
    mask = np.ones((case.steps, case.batch), bool)
    if case.mask is not None and not assume.ignore_mask:
        mask = case.mask.T
    if case.go_backwards:
        x, mask = x[::-1], mask[::-1]
    h, c, output = case.h0, case.c0, np.zeros_like(case.h0)
    steps, outputs = [], []
    for x_t, live in zip(x, mask[:, :, None]):
        with np.errstate(all="ignore"):
            z = x_t @ case.kernel + (c if assume.feed_c else h) @ case.recurrent_kernel + bias
            z_i, z_f, z_c, z_o = split_gates(z)
            i, f = keep(rec(z_i)), keep(rec(z_f + assume.forget_bias))
            c_tilde, o = keep(cand(z_c)), keep(rec(z_o))
            c_new = keep(f * c + i * c_tilde)
            h_new = keep((o if assume.output_gate else 1.0) * keep(cell(c_new)))
        step = dict(z_i=z_i, z_f=z_f, z_c=z_c, z_o=z_o, i=i, f=f, c_tilde=c_tilde, o=o,
                    h_prev=h, c_prev=c)
        h, c = np.where(live, h_new, h), np.where(live, c_new, c)
        output = np.where(live, h, 0.0 if case.zero_output_for_mask else output)
        steps.append(dict(step, h=h, c=c))
        outputs.append(output)
    stacked = {key: np.stack([s[key] for s in steps]) for key in steps[0]}
    return Trace(x=x, masked=~mask, sequence=np.stack(outputs, axis=1), final_h=h,
                 final_c=c, **stacked)


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
            if not np.all(np.abs(given - value) <= case.atol + case.rtol * np.abs(value)
                          + slack):
                return False
    return True


def first_divergence(mismatches):
    """The earliest author mismatch: by step, then i, f, c~, o, c, h, output; finals last."""
    def position(m):
        final = m.t is None
        return (final, m.t or 0, ("h", "c").index(m.quantity) if final
                else STEP_ORDER.index(m.quantity), m.batch, m.unit)
    return min(mismatches, key=position) if mismatches else None


def explain_mismatches(case, author_mismatches):
    """Find the first divergence and every hypothesis that reproduces the author's numbers."""
    out = Explanation(first=first_divergence(author_mismatches),
                      given=sum(arr.size for _, _, arr in expected_arrays(case)))
    if not author_mismatches:
        return out
    size = case.steps * case.batch * 4 * case.units
    if size > MAX_DIAGNOSED_VALUES or case.steps > MAX_DIAGNOSED_STEPS:
        out.note = (f"not diagnosed: the case has {case.steps:,} steps and {size:,} gate "
                    f"values per pass, over the cap ({MAX_DIAGNOSED_STEPS} steps, "
                    f"{MAX_DIAGNOSED_VALUES:,} values) for trying some forty recomputations")
        return out
    for hyp in hypotheses(case):
        out.tried += 1
        trace = recompute(hyp.case, hyp.assume)
        if hyp.relabel is not None:
            trace = hyp.relabel(trace)
        if reconciles(case, trace, hyp.slack):
            out.diagnoses.append(Diagnosis(hyp.id, hyp.detail, hyp.text))
    if not out.diagnoses:
        out.note = (f"no diagnosis fits: none of the {out.tried} mistakes tried (gate order, "
                    "activations, biases, output gate, transposed kernels, h/c swapped, "
                    "go_backwards, masking, rounding) reproduces all of the author's numbers")
    return out
