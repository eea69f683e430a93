"""The export's section for a case with `expected`: the author's numbers beside the
correct ones, the first divergence and the diagnosis, as document blocks that every
format (Markdown, LaTeX, HTML) writes like the rest. No TensorFlow: the reference only."""

from .. import consequences, forward
from ..compare import compare, describe_position, examine, expected_arrays, trace_value
from ..diagnose.search import explain_mismatches
from ..cells.teaching import symbol

MAX_ROWS = 48   # more given numbers than this: the table keeps the ones that differ


def author_blocks(case, num, table_type):
    """Blocks ("h2", "p", "table") comparing the author's numbers with the reference's;
    none when the case gives no numbers. ``table_type`` is export's Table."""
    given = expected_arrays(case)
    if not given:
        return []
    trace = forward.run(case)
    mismatches = [m for m in compare(case, trace)[0] if m.between == "expected-reference"]
    explanation = explain_mismatches(case, mismatches)
    examine(case, trace, mismatches)
    wrong = {(m.quantity, m.t, m.batch, m.unit) for m in mismatches}
    first = explanation.first
    first_key = None if first is None else (first.quantity, first.t, first.batch, first.unit)
    total = sum(arr.size for _, _, arr in given)
    blocks = [("h2", "Your numbers beside the correct ones")]
    if not mismatches:
        blocks.append(("p", f"All {total} of the author's numbers agree with the reference."))
    else:
        blocks.append(("p", f"{len(mismatches)} of the author's {total} numbers differ from "
                            f"the reference. First divergence: {describe_position(first, case.batch)}: "
                            f"author {num.fmt(first.expected)}, correct "
                            f"{num.fmt(first.reference)}."))
        for d in explanation.diagnoses:
            blocks.append(("p", f"Diagnosis: {d.text} ({d.id}); recomputed that way, all "
                                f"{explanation.given} of the author's numbers come out."))
        if explanation.note:
            blocks.append(("p", explanation.note))
        blocks += _consequence_blocks(case, mismatches)
    rows = []
    for q, t, arr in given:
        correct = trace_value(trace, q, t)
        for b in range(arr.shape[0]):
            for u in range(arr.shape[1]):
                key = (q, t, b, u)
                if total > MAX_ROWS and key not in wrong:
                    continue
                verdict = ("first divergence" if key == first_key
                           else "differs" if key in wrong else "right")
                name = "output" if q == "sequence" else symbol(case.cell, q)
                rows.append(([] if case.batch == 1 else [str(b)])
                            + [f"{name}[{u}]", "final" if t is None else str(t),
                               num.fmt(arr[b, u]), num.fmt(correct[b, u]), verdict])
    header = ([] if case.batch == 1 else ["sequence"]) + ["value", "step", "author",
                                                           "correct", ""]
    caption = "the author's numbers" + ("" if total <= MAX_ROWS else
                                        f" that differ ({total - len(rows)} right ones left "
                                        "out)")
    if rows:
        blocks.append(("table", table_type(caption, header, rows)))
    return blocks


def _consequence_blocks(case, mismatches):
    """Under each slip, the author's numbers that only follow from it, and from what."""
    blocks = []
    for slip, following in consequences.grouped(mismatches):
        if not following:
            continue
        heading, sentences, rest = consequences.told(case, following)
        of = "" if slip is None else f"Following from {describe_position(slip, case.batch)}: "
        blocks.append(("p", of + heading))
        blocks += [("p", line) for line in sentences + ([rest] if rest else [])]
    return blocks
