"""The backward pass's numbers for teaching output: exact fractions where the forward
pass is exact, else the float64 reference's decimals.

The exact pass is the one BPTT loop (backward.bptt.run) on the exact forward trace, with
exact.exact_arithmetic: Fraction weights, exact activations and their exact derivatives
(TensorFlow's value at each corner).  It is checked against the float BPTT, as the
exact forward pass is checked against the float forward pass.  Every call of the cell's
backward step is recorded, so a walkthrough can show what each step received (``d``:
dL/dh_t, and the carried dL/dc_t) and what it sent on.
"""

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .. import backward, forward
from .exact import _bounded, _Inexact, decimal_numbers, exact_arithmetic, numbers, \
    to_fractions


@dataclass
class BackwardNumbers:
    """The forward Numbers (``num``: trace, weights, ``fmt``), the backward pass's
    Gradients, and per processing step index k ``calls[k] = (d, g)``: the states'
    gradients the cell's backward step received and everything it returned.
    ``upstream`` is dL/d(outputs) as bptt.upstream_of gives it; ``note`` says which
    arithmetic and why."""

    num: object
    gradients: backward.Gradients
    calls: list
    upstream: dict
    note: str

    @property
    def exact(self):
        return self.num.exact


def _recording(step, calls):
    def recorded(s, d, a):
        g = step(s, d, a)
        calls.append((d, g))
        return g
    return recorded


def backward_numbers(case, precision=4):
    """Exact BackwardNumbers when the forward pass is exact and the backward pass stays
    readable, else the float reference's at ``precision``."""
    num = numbers(case, precision)
    ref = backward.run(case)
    if num.exact:
        try:
            return _exact(case, num, ref)
        except _Inexact as why:
            num = decimal_numbers(case, forward.run(case), precision,
                                  f"the backward pass: {why}")
    calls = []
    gradients = backward.run(case, num.trace, _recording(case.cell.backward, calls))
    calls.reverse()
    return BackwardNumbers(num, gradients, calls, backward.upstream_of(case, num.trace),
                           num.note)


def _exact(case, num, ref):
    a = exact_arithmetic(case, num.kernel, num.recurrent_kernel, num.bias)
    up = exact_upstream(case, num.trace)
    calls = []
    step = _bounded(_recording(case.cell.backward, calls), "backward ")
    gradients = backward.run(case, num.trace, step, arithmetic=a, upstream=up)
    calls.reverse()
    check_gradients(gradients, ref)
    note = num.note + "; the gradients too, with each activation's exact derivative"
    return BackwardNumbers(num, gradients, calls, up, note)


def exact_upstream(case, trace):
    """bptt.upstream_of in Fractions: the case's upstream gradients, or output − target
    for its squared-error loss; zeros where not given."""
    spec = case.backward

    def zeros(like):
        return np.full(np.shape(like), Fraction(0), dtype=object)

    out = {"sequence": zeros(trace.sequence)}
    out.update({s: zeros(trace.final[s]) for s in case.cell.states})
    if spec.get("loss") is not None:       # L = ½·Σ(output − target)²
        loss = spec["loss"]
        produced = trace.sequence if loss["of"] == "sequence" else trace.final["h"]
        out[loss["of"]] = produced - to_fractions(loss["target"], "backward.loss target")
    else:
        out.update({name: to_fractions(value, f"backward.upstream.{name}")
                    for name, value in spec.get("upstream", {}).items()})
    return out


def check_gradients(exact, ref):
    """Raise AssertionError where the exact and the float backward passes disagree: both
    evaluate the same equations, so a disagreement is a bug, never the user's."""
    checked = [(f"steps.{k}", exact.steps[k], ref.steps[k]) for k in ref.steps]
    checked += [(k, exact.weights[k], ref.weights[k]) for k in ref.weights]
    checked += [("inputs", exact.inputs, ref.inputs)]
    checked += [(f"initial_state.{k}", exact.initial_state[k], ref.initial_state[k])
                for k in ref.initial_state]
    for key, exact_values, ref_values in checked:
        exact_values = np.asarray(exact_values, dtype=float)
        finite = np.isfinite(ref_values)
        close = np.isclose(exact_values, ref_values, rtol=1e-9, atol=1e-9)
        if not np.all(close | ~finite):
            where = tuple(int(n) for n in np.argwhere(~close & finite)[0])
            raise AssertionError(f"exact and float backward passes disagree on {key} at "
                                 f"{where}: {exact_values[where]} vs {ref_values[where]}")
