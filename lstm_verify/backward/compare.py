"""The author's gradients beside the reference's and TensorFlow's (pure; no printing).

Positions are (quantity, t): a per-step gradient (dh, di, dz_i, ...) at processing step
t, or with t None a weight gradient in the case's own form (kernel, W_i, weight_ih ...),
``inputs`` or ``initial_state.h``.  The reference is the pivot, as in compare.py.
"""

import numpy as np

from ..compare import KNOWN_MISTAKE_GONE, Mismatch, keras_tolerance
from .forms import in_case_form, step_rows


def expected_arrays(case):
    """The author's gradients as (quantity, t, array) triples: the steps from the last
    backwards (the order the backward pass runs), then weights, inputs, initial state."""
    given = case.expected.get("gradients", {})
    out = []
    for t, step in sorted(given.get("steps", {}).items(), reverse=True):
        out += [(q, t, step[q]) for q in step_rows(case.cell) if q in step]
    out += [(q, None, arr) for q, arr in given.items()
            if q not in ("steps", "inputs", "initial_state")]
    if "inputs" in given:
        out.append(("inputs", None, given["inputs"]))
    for s, arr in given.get("initial_state", {}).items():
        out.append((f"initial_state.{s}", None, arr))
    return out


def value(case, grads, quantity, t):
    """A gradient array of ``grads`` (backward.Gradients) at a position."""
    if t is not None:
        return grads.steps[quantity][t - 1]
    if quantity == "inputs":
        return grads.inputs
    if quantity.startswith("initial_state."):
        return grads.initial_state[quantity.split(".", 1)[1]]
    w = grads.weights
    return in_case_form(case, w["kernel"], w["recurrent_kernel"], w.get("bias"))[quantity]


def all_positions(case):
    for t in range(case.steps, 0, -1):
        for q in step_rows(case.cell):
            yield q, t
    yield from ((q, None) for q in in_case_form(case, case.kernel, case.recurrent_kernel,
                                                case.bias))
    yield "inputs", None
    yield from ((f"initial_state.{s}", None) for s in case.cell.states)


def _close(a, b, atol, rtol):
    return np.abs(a - b) <= atol + rtol * np.abs(b)


def _where(quantity, t, index):
    """(t, batch, unit) of an element: per-step (batch, unit); inputs (batch, time,
    feature) with t the input's time; initial states (batch, unit); weights none."""
    if t is not None or quantity.startswith("initial_state."):
        return t, int(index[0]), int(index[1])
    if quantity == "inputs":
        return int(index[1]) + 1, int(index[0]), int(index[2])
    return None, None, None


def compare(case, reference, keras=None):
    """(mismatches, TensorFlow vs reference max |diff|, author vs reference max |diff|)."""
    given = {(q, t): arr for q, t, arr in expected_arrays(case)}
    mismatches, keras_diff, expected_diff = [], None, None

    def add(q, t, ok, between):
        ref = value(case, reference, q, t)
        ker = value(case, keras, q, t) if keras is not None else None
        exp = given.get((q, t))
        for index in zip(*np.nonzero(~ok)):
            when, b, u = _where(q, t, index)
            mismatches.append(Mismatch(
                q, when, b, u, None if exp is None else float(exp[index]),
                float(ref[index]), None if ker is None else float(ker[index]), between,
                index=tuple(int(i) for i in index)))

    for (q, t), exp in given.items():
        ref = value(case, reference, q, t)
        expected_diff = max(expected_diff or 0.0, float(np.nanmax(np.abs(exp - ref))))
        add(q, t, _close(exp, ref, case.atol, case.rtol) | np.isnan(exp),   # null: unstated
            "expected-reference")
    if keras is not None:
        atol, rtol = keras_tolerance(case)
        keras_diff = 0.0
        for q, t in all_positions(case):
            ker, ref = value(case, keras, q, t), value(case, reference, q, t)
            with np.errstate(invalid="ignore"):
                keras_diff = max(keras_diff, float(np.max(np.abs(ker - ref), initial=0.0)))
            add(q, t, _close(ker, ref, atol, rtol), "keras-reference")
    return mismatches, keras_diff, expected_diff


def describe_position(m, batch=None):
    """'dh[0] at step 2', 'dh[0] at step 2, batch 1' (the batch named unless ``batch``,
    the case's batch size, says there is a single sequence), 'dL/dkernel[1, 3]',
    'dL/dinputs[0, 1, 0]'."""
    if m.t is not None and m.quantity != "inputs":
        return (f"{m.quantity.replace('_tilde', '~')}[{m.unit}] at step {m.t}"
                + ("" if batch == 1 else f", batch {m.batch}"))
    return f"dL/d{m.quantity}[{', '.join(map(str, m.index))}]"


def first_divergence(case, mismatches):
    """The author's first wrong gradient in the order the backward pass runs: the last
    step first, within a step dh, dc, the gates, the pre-activations; then the weights,
    the inputs and the initial state."""
    rows = step_rows(case.cell)

    def position(m):
        per_step = m.t is not None and m.quantity in rows
        return (not per_step, -(m.t or 0) if per_step else 0,
                rows.index(m.quantity) if per_step else 0, m.index)
    return min(mismatches, key=position) if mismatches else None


def judge(result, case, reference, keras):
    """Add the backward pass to a forward verify Result: its mismatches, and the status
    and verdict they call for (a wrong gradient fails a case as a wrong gate does)."""
    mismatches, keras_diff, expected_diff = compare(case, reference, keras)
    result.gradients, result.keras_gradients = reference, keras
    result.gradient_mismatches = mismatches
    keras_bad = [m for m in mismatches if m.between == "keras-reference"]
    author_bad = [m for m in mismatches if m.between == "expected-reference"]
    n_given = sum(int(np.count_nonzero(~np.isnan(arr))) for _, _, arr in expected_arrays(case))
    if keras_bad:
        result.status = "fail"
        note = (f"TensorFlow's gradients and the reference's disagree at {len(keras_bad)} "
                f"value(s) (max |diff| {keras_diff:.3g}); first: "
                f"{describe_position(keras_bad[0], case.batch)}")
    elif author_bad:
        from .diagnose import explain
        explanation = explain(case, author_bad)
        result.backward_explanation = explanation
        result.diagnoses = list(result.diagnoses) + explanation.diagnoses
        likely = "; or ".join(d.text for d in explanation.diagnoses[:3])
        note = (f"{len(author_bad)} of the author's {n_given} gradients differ from the "
                f"reference and TensorFlow; first "
                f"{describe_position(explanation.first, case.batch)}"
                + (f"; likely: {likely}" if likely else ""))
        if case.known_mistake and result.status in ("pass", "known-mistake"):
            result.status = "known-mistake"
            note = "known mistake, confirmed: " + note
        elif result.status == "pass":
            result.status = "fail"
    else:
        given = f"the author's {n_given} gradients agree" if n_given else "no author gradients"
        note = f"TensorFlow's gradients agree with the reference (max |diff| {keras_diff:.2g}); {given}"
        if case.known_mistake and result.status == "pass":
            result.status, note = "fail", KNOWN_MISTAKE_GONE
    result.verdict = f"{result.verdict}; backward: {note}" if result.verdict else note
    return result
