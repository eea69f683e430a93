"""Explain wrong hand-derived gradients: which classic backward-pass mistake reproduces them.

As the forward diagnosis does, each mistake is checked by recomputing the whole backward
pass under it (the one BPTT loop, backward.run, with a wrapped backward step, other
derivatives, or a relabelling of the result) and comparing with every gradient the author
wrote, within the case tolerance.  A forward mistake (mistakes.py) that changes the case
or its arithmetic is tried too, forward and backward together, for an author whose
gradients inherit a slip in their forward numbers.
"""

from dataclasses import dataclass, replace

import numpy as np

from .. import forward
from ..diagnose import Diagnosis, Explanation, recompute, reconciles
from ..diagnose.mistakes import hypotheses as forward_mistakes
from ..diagnose.mistakes import fewest_decimals
from .compare import expected_arrays, first_divergence, value
from .bptt import run

MAX_DIAGNOSED_VALUES = 250_000     # steps x batch x n*units: some thirty backward passes


@dataclass(frozen=True)
class BackwardMistake:
    id: str
    detail: str
    text: str
    step: object = None          # wraps the cell's backward step: step -> step
    arithmetic: object = None    # Arithmetic -> Arithmetic (other derivatives, rounding)
    relabel: object = None       # Gradients -> Gradients, when the labels are the mistake
    slack: float = 0.0


def _without(state):
    """A backward step that sends nothing back along ``state`` to the step before."""
    def wrap(step):
        def wrapped(s, d, a):
            g = step(s, d, a)
            g["prev"] = dict(g["prev"], **{state: np.zeros_like(g["prev"][state])})
            return g
        return wrapped
    return wrap


def _derivatives(case, name, vjp):
    """Arithmetic with ``vjp`` wherever the activation ``name`` is differentiated."""
    def change(a):
        swaps = {}
        if case.activation == name:
            swaps.update(activation_vjp=vjp, cell_activation_vjp=vjp)
        if case.cell.has_recurrent_activation and case.recurrent_activation == name:
            swaps.update(recurrent_activation_vjp=vjp)
        return replace(a, **swaps)
    return change


def _scaled(factor):
    def relabel(g):
        return g.replace(steps={k: v * factor for k, v in g.steps.items()},
                         weights={k: None if v is None else v * factor
                                  for k, v in g.weights.items()},
                         inputs=g.inputs * factor,
                         initial_state={k: v * factor for k, v in g.initial_state.items()})
    return relabel


def _transposed_blocks(case, names):
    """Gradients with the units x units blocks of the named weight matrices transposed."""
    n = len(case.cell.blocks)

    def flip(matrix):
        return np.concatenate([b.T for b in np.split(matrix, n, axis=-1)], axis=-1)

    def relabel(g):
        return g.replace(weights=dict(g.weights, **{k: flip(g.weights[k]) for k in names}))
    return relabel


def hypotheses(case):
    """The backward pass's classic mistakes that apply to this case."""
    cell = case.cell
    if "c" in cell.states:
        text = "the cell-state carry path left out: no f_{t+1}·dc_{t+1} in dc_t"
        yield BackwardMistake("carry-path-dropped", "dc_t without f·dc_{t+1}", text,
                              step=_without("c"))
        text = ("the output-gate path into dc left out: dc_t without o·act'(c)·dh_t, only "
                "what step t+1 sends back")
        yield BackwardMistake("output-path-dropped", "dc_t without o·act'(c)·dh_t", text,
                              arithmetic=lambda a: replace(
                                  a, cell_activation_vjp=lambda x, y, g: 0 * g))
    if case.steps > 1:
        text = "the recurrent path left out: no dh from step t+1 (through U) in dh_t"
        yield BackwardMistake("recurrent-path-dropped", "dh_t without U·dz_{t+1}", text,
                              step=_without("h"))
    names = {case.activation} | ({case.recurrent_activation}
                                 if cell.has_recurrent_activation else set())
    if "tanh" in names:
        yield BackwardMistake("tanh-derivative", "1 − tanh", "tanh' taken as 1 − tanh "
                              "(it is 1 − tanh²)", arithmetic=_derivatives(
                                  case, "tanh", lambda x, y, g: g * (1 - y)))
        yield BackwardMistake("tanh-derivative", "1 − x² (at the input)", "tanh' evaluated "
                              "at its input, 1 − c² (or 1 − z²), not at tanh(c)",
                              arithmetic=_derivatives(case, "tanh",
                                                      lambda x, y, g: g * (1 - x * x)))
    if "sigmoid" in names:
        yield BackwardMistake("sigmoid-derivative", "σ", "σ' taken as σ (it is σ·(1 − σ))",
                              arithmetic=_derivatives(case, "sigmoid", lambda x, y, g: g * y))
        yield BackwardMistake("sigmoid-derivative", "z·(1 − z) (at the input)",
                              "σ' evaluated at its input, z·(1 − z), not at σ(z)",
                              arithmetic=_derivatives(case, "sigmoid",
                                                      lambda x, y, g: g * x * (1 - x)))
    if case.units > 1:
        square = [("recurrent_kernel",)]
        if case.input_dim == case.units:
            square += [("kernel",), ("kernel", "recurrent_kernel")]
        for names in square:
            which = " and ".join(names)
            text = f"the gradient of {which} written with its units x units blocks transposed"
            yield BackwardMistake("weight-gradient-transposed", which, text,
                                  relabel=_transposed_blocks(case, names))
    if case.batch > 1:
        text = (f"every gradient divided by the batch size {case.batch} (a mean, where the "
                "loss is a sum)")
        yield BackwardMistake("batch-mean", f"divided by {case.batch}", text,
                              relabel=_scaled(1.0 / case.batch))
    text = "the upstream gradient's sign flipped (target − output for output − target)"
    yield BackwardMistake("upstream-sign-flipped", "every gradient negated", text,
                          relabel=_scaled(-1.0))
    d = written_decimals_of_gradients(case)
    if d is not None:
        half = 0.5 * 10.0 ** -d * (1 + 1e-9)
        text = f"gradients rounded to {d} decimals as computed, and carried on"
        yield BackwardMistake("rounding", f"{d} decimals (carried backwards)", text,
                              arithmetic=lambda a: replace(a, keep=lambda v: np.round(v, d)),
                              slack=half)


def explain(case, author_mismatches):
    """The first wrong gradient and every mistake that reproduces all of the author's
    gradients (and their forward numbers, when they wrote any)."""
    given = sum(int(np.count_nonzero(~np.isnan(arr))) for _, _, arr in expected_arrays(case))
    out = Explanation(first=first_divergence(case, author_mismatches), given=given)
    size = case.steps * case.batch * len(case.cell.blocks) * case.units
    if size > MAX_DIAGNOSED_VALUES:
        out.note = (f"backward pass not diagnosed: {size:,} gate values per pass, over the "
                    f"cap of {MAX_DIAGNOSED_VALUES:,} for trying some thirty recomputations")
        return out
    for mistake in hypotheses(case):
        out.tried += 1
        a = forward.arithmetic_of(case)
        if mistake.arithmetic is not None:
            a = mistake.arithmetic(a)
        trace = forward.run(case, arithmetic=a)
        step = mistake.step(case.cell.backward) if mistake.step else None
        grads = run(case, trace, backward_step=step, arithmetic=a)
        if mistake.relabel is not None:
            grads = mistake.relabel(grads)
        if _fits(case, trace, grads, mistake.slack):
            out.diagnoses.append(Diagnosis(mistake.id, mistake.detail, mistake.text))
    for mistake in forward_mistakes(case):   # a forward slip the gradients inherit
        if mistake.step is not None or mistake.relabel is not None:
            continue
        out.tried += 1
        changed = mistake.case or case
        trace = recompute(case, mistake)
        a = forward.arithmetic_of(changed)
        if mistake.arithmetic is not None:
            a = mistake.arithmetic(a)
        grads = run(changed, trace, arithmetic=a)
        if _fits(case, trace, grads, mistake.slack):
            out.diagnoses.append(Diagnosis(mistake.id, mistake.detail,
                                           f"{mistake.text} (in the forward pass, and "
                                           "the gradients computed from it)"))
    if not out.diagnoses:
        out.note = (f"no diagnosis fits the gradients: none of the {out.tried} backward and "
                    "forward mistakes tried (carry and recurrent paths, derivatives, "
                    "transposed, mean, sign, rounding, and the forward slips) reproduces all "
                    "of the author's gradients")
    return out


def _fits(case, trace, grads, slack):
    if not reconciles(case, trace, slack):
        return False
    for q, t, given in expected_arrays(case):
        got = value(case, grads, q, t)
        with np.errstate(invalid="ignore"):
            if not np.all((np.abs(given - got) <= case.atol + case.rtol * np.abs(got) + slack)
                          | np.isnan(given)):     # null: not stated
                return False
    return True


def written_decimals_of_gradients(case):
    """The fewest decimals that write every gradient the author gave, or None if over 6."""
    return fewest_decimals(np.concatenate(
        [arr.ravel() for _, _, arr in expected_arrays(case)] + [[]]))
