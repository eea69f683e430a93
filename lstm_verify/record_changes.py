"""What record changes in a case's expected block, and whether a person wrote it."""

import numpy as np

from .arithmetic import fmt

COMPUTED_NOTE = "computed by the reference calculator (lstm-verify), not hand-derived"


def written_by_record(text, span):
    """Whether the expected block (lines ``span``, from expected_span) carries the note
    record and new write into it: numbers without it were written by hand."""
    return span is not None and COMPUTED_NOTE in "".join(
        text.splitlines(keepends=True)[span[0]:span[1]])


def changes(old, new):
    """(label, old, new) for each of the old case's expected numbers that the new case's
    expected changes beyond the old case's tolerance."""
    out = []

    def walk(before, after, keys):
        if isinstance(before, dict):
            for key, value in before.items():
                if isinstance(after, dict) and key in after:
                    walk(value, after[key], keys + [key])
            return
        before, after = np.asarray(before, float), np.asarray(after, float)
        if before.shape != after.shape:
            return
        differ = ~np.isclose(before, after, atol=old.atol, rtol=old.rtol, equal_nan=True)
        for index in zip(*np.nonzero(differ)):
            out.append((_label(keys, index), before[index], after[index]))
    walk(old.expected, new.expected, [])
    return out


def _label(keys, index):
    """'h[0, 1] at step 2' from the keys ['steps', 2, 'h'] and the index (0, 1)."""
    steps = [f" at step {k}" for k in keys if isinstance(k, int)]
    name = ".".join(str(k) for k in keys if k != "steps" and not isinstance(k, int))
    return f"{name}[{', '.join(str(int(i)) for i in index)}]" + "".join(steps)


def listed(changed, first=3):
    """'2 values (h[0, 2] 1 → 0, c[0, 1] 4 → 4.5)': how many, and the first few."""
    shown = ", ".join(f"{label} {fmt(a)} → {fmt(b)}" for label, a, b in changed[:first])
    more = ", ..." if len(changed) > first else ""
    return f"{len(changed)} value{'s' if len(changed) != 1 else ''} ({shown}{more})"
