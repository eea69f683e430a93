"""Three-way comparison: the author's ``expected``, the reference and Keras.

Pure functions over a Case and two Traces; no printing.  The reference is the
pivot: Keras is compared with it everywhere, the author's numbers wherever given.
"""

from dataclasses import dataclass, field

import numpy as np

from . import consequences
from .arithmetic import describe_position, formula, symbol
# Keras in float32 cannot match a float64 reference more closely than this.
KERAS_FLOOR = {"float32": {"atol": 1e-5, "rtol": 1e-4}, "float64": {"atol": 1e-8, "rtol": 1e-7}}


@dataclass
class Mismatch:
    quantity: str          # a state (h, c), sequence, or a gate of the cell (i, z, h_tilde…)
    t: int                 # 1-based processing step; None for the final h and c
    batch: int
    unit: int
    expected: float
    reference: float
    keras: float
    between: str           # "expected-reference" or "keras-reference"
    why: str = ""          # the arithmetic behind the reference value, when useful
    index: tuple = None    # the element's whole index, for arrays not shaped (batch, units)
    # right given the author's own numbers it depends on (consequences.py): not a new slip
    consequence: bool = False
    recomputed: float = None   # the value from the author's own numbers before it
    because: list = field(default_factory=list)   # a consequence's consequences.Cause


@dataclass
class Result:
    """The outcome of one case. ``status`` is pass, fail, error or known-mistake."""

    file: str
    name: str
    status: str
    error: str = None
    case: object = None
    reference: object = None
    keras: object = None
    mismatches: list = field(default_factory=list)
    keras_vs_reference: float = None
    expected_vs_reference: float = None
    verdict: str = ""
    # diagnose.Explanation of the author's mismatches (first divergence, diagnoses), when
    # Keras agrees with the reference; diagnoses lists the mistakes that reproduce them.
    explanation: object = None
    diagnoses: list = field(default_factory=list)
    warnings: list = field(default_factory=list)   # e.g. symmetry.warning: not failures
    engines: list = field(default_factory=list)    # engines.Outcome per --against engine
    # the backward pass, when the case asks for one: backward.Gradients from the
    # reference and from TensorFlow, and the mismatches among gradients
    gradients: object = None
    keras_gradients: object = None
    gradient_mismatches: list = field(default_factory=list)
    backward_explanation: object = None   # diagnose.Explanation of the author's gradients
    # the terminal report, when the caller asked for it where the case was verified
    # (verify's worker processes render the cases they verify: suite.verify_files)
    rendered: str = None


KNOWN_MISTAKE_GONE = ("marked known_mistake, but the author's numbers now match the "
                      "reference and Keras; remove known_mistake or restore the wrong answer")


def keras_tolerance(case):
    floor = KERAS_FLOOR[case.dtype]
    return max(case.atol, floor["atol"]), max(case.rtol, floor["rtol"])


def _close(a, b, atol, rtol):
    return np.abs(a - b) <= atol + rtol * np.abs(b)


def expected_arrays(case):
    """The author's numbers as (quantity, t, array (B, U)) triples, in report order."""
    out = []
    for t, step in sorted(case.expected.get("steps", {}).items()):
        for q in case.cell.written:
            if q in step:
                out.append((q, t, step[q]))
    if "sequence" in case.expected:
        for n in range(case.steps):
            out.append(("sequence", n + 1, case.expected["sequence"][:, n]))
    for q in case.cell.states:
        if q in case.expected:
            out.append((q, None, case.expected[q]))
    return out


def count_given(case):
    """How many numbers the author wrote (a null states none)."""
    return sum(int(np.count_nonzero(~np.isnan(arr))) for _, _, arr in expected_arrays(case))


def unstated_note(case):
    """' (checked: ...; null elsewhere)' when the author left elements null: which ones."""
    parts = []
    for q, t, arr in expected_arrays(case):
        stated = ~np.isnan(arr)
        if stated.all():
            continue
        where = "final " if t is None else ""
        at = "" if t is None else f" at step {t}"
        cells = ", ".join(f"{symbol(q)}[{u}]" + ("" if case.batch == 1 else f" batch {b}")
                          for b, u in zip(*np.nonzero(stated)))
        parts.append(f"{where}{cells}{at}")
    if not parts:
        return ""
    return f" (checked only what was written: {'; '.join(parts)}; null elsewhere)"


def trace_value(trace, quantity, t):
    """(B, U) array of a quantity at step t (1-based) or, with t None, the final state."""
    if t is None:
        return trace.final[quantity]
    if quantity == "sequence":
        return trace.sequence[:, t - 1]
    return trace.steps[quantity][t - 1]


def _all_positions(case):
    for t in range(1, case.steps + 1):
        for q in case.cell.rows:
            yield q, t
    for t in range(1, case.steps + 1):
        yield "sequence", t
    for q in case.cell.states:
        yield q, None


def compare(case, reference, keras=None):
    """Return (mismatches, keras_vs_reference max |diff|, expected_vs_reference max |diff|)."""
    given = {(q, t): arr for q, t, arr in expected_arrays(case)}
    mismatches, keras_diff, expected_diff = [], None, None

    def add(q, t, ok, between):
        ref = trace_value(reference, q, t)
        ker = trace_value(keras, q, t) if keras is not None else None
        exp = given.get((q, t))
        for b, u in zip(*np.nonzero(~ok)):
            mismatches.append(Mismatch(
                q, t, int(b), int(u),
                None if exp is None else float(exp[b, u]), float(ref[b, u]),
                None if ker is None else float(ker[b, u]), between))

    for (q, t), exp in given.items():
        ref = trace_value(reference, q, t)
        expected_diff = max(expected_diff or 0.0, float(np.nanmax(np.abs(exp - ref))))
        unstated = np.isnan(exp)   # null in the case: the author did not write it
        add(q, t, _close(exp, ref, case.atol, case.rtol) | unstated, "expected-reference")
    if keras is not None:
        atol, rtol = keras_tolerance(case)
        keras_diff = 0.0
        for q, t in _all_positions(case):
            ker, ref = trace_value(keras, q, t), trace_value(reference, q, t)
            with np.errstate(invalid="ignore"):
                keras_diff = max(keras_diff, float(np.max(np.abs(ker - ref))))
            add(q, t, _close(ker, ref, atol, rtol), "keras-reference")
    return mismatches, keras_diff, expected_diff


def examine(case, reference, author_mismatches):
    """Give each of the author's mismatches its arithmetic (``why``) and say which are
    consequences of their own earlier numbers, and of which (consequences.mark)."""
    for m in author_mismatches:
        m.why = explain_value(case, reference, m)
    consequences.mark(case, reference, {(q, t): arr for q, t, arr in expected_arrays(case)
                                        if q != "sequence" and t is not None},
                      author_mismatches)


def judge(case, reference, keras):
    """Compare and decide the case's status, with a one-line verdict."""
    mismatches, keras_diff, expected_diff = compare(case, reference, keras)
    keras_bad = [m for m in mismatches if m.between == "keras-reference"]
    author_bad = [m for m in mismatches if m.between == "expected-reference"]
    examine(case, reference, author_bad)
    n_own = sum(not m.consequence for m in author_bad)
    follow = (f"; {len(author_bad) - n_own} of them follow from the author's own earlier "
              f"numbers, {n_own} {'is' if n_own == 1 else 'are'} wrong on its own terms"
              if n_own < len(author_bad) else "")
    n_given = count_given(case)
    overflow = _non_finite_note(case, reference, keras)
    explanation = likely = None
    first = author_bad[0] if author_bad else None
    if author_bad and not keras_bad and not overflow:
        from .diagnose import explain_mismatches   # here: diagnose imports compare
        explanation = explain_mismatches(case, author_bad)
        first = explanation.first
        if explanation.diagnoses:
            likely = "; or ".join(d.text for d in explanation.diagnoses[:3])
    if keras_bad and overflow:
        status = "fail"
        verdict = overflow
    elif keras_bad:
        status = "fail"
        verdict = (f"Keras and the reference disagree at {len(keras_bad)} value(s) "
                   f"(max |diff| {keras_diff:.3g}); first: "
                   f"{describe_position(keras_bad[0], case.batch)}")
    elif case.known_mistake:
        if author_bad:
            status = "known-mistake"
            unexplained = "" if likely else "; no diagnosis reproduces the author's numbers"
            verdict = (f"confirmed: {likely or case.known_mistake} "
                       f"({len(author_bad)} of the author's {n_given} numbers differ, first "
                       f"{describe_position(first, case.batch)}){unexplained}")
        elif "gradients" in case.expected:   # the mistake may be in the backward pass
            status = "pass"
            verdict = (f"Keras agrees with the reference (max |diff| {keras_diff:.2g}); the "
                       f"author's {n_given} forward numbers agree")
        else:
            status = "fail"
            verdict = KNOWN_MISTAKE_GONE
    elif author_bad:
        status = "fail"
        verdict = (f"{len(author_bad)} of the author's {n_given} numbers differ from the "
                   f"reference and Keras; first {describe_position(first, case.batch)}"
                   + follow + unstated_note(case)
                   + (f"; likely: {likely}" if likely else ""))
    else:
        status = "pass"
        checked = f"the author's {n_given} numbers agree" if n_given else "no author numbers"
        checked += unstated_note(case)
        verdict = f"Keras agrees with the reference (max |diff| {keras_diff:.2g}); {checked}"
    return Result(file=str(case.path), name=case.name, status=status, case=case,
                  reference=reference, keras=keras, mismatches=mismatches,
                  keras_vs_reference=keras_diff, expected_vs_reference=expected_diff,
                  verdict=verdict, explanation=explanation,
                  diagnoses=explanation.diagnoses if explanation else [])


def _non_finite_note(case, reference, keras):
    """Say where values overflowed (linear LSTMs grow fast: h roughly squares each step)."""
    for name, trace in (("the reference (float64)", reference), (f"Keras ({case.dtype})", keras)):
        bad = ~np.isfinite(trace.steps["h"]).all(axis=(1, 2))
        if bad.any():
            return (f"{name} overflowed to infinity/NaN from step {int(np.argmax(bad)) + 1} "
                    "on; use smaller weights or inputs, or fewer steps")
    return None


def explain_value(case, trace, m):
    """The reference's arithmetic for the value at a mismatch, e.g.
    'h[2] = o[2]·c[2] = 0·1 = 0, not 1', the author's value on the quantity it was
    written for (f[0] = sigmoid(z_f[0]) = sigmoid(0) = 0.5, not 0.731059; z_f[0] = ...)."""
    return formula(case, trace, m.quantity, m.t, m.batch, m.unit, m.expected)
