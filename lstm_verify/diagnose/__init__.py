"""Explaining a wrong hand answer: the classic mistakes (mistakes.py and each cell's
own), rerun through the one forward loop (search.py), and gate orders a case cannot
tell apart (symmetry.py)."""

from .search import (  # noqa: F401
    MAX_DIAGNOSED_STEPS,
    MAX_DIAGNOSED_VALUES,
    KINDS,
    recompute,
    Diagnosis,
    Explanation,
    reconciles,
    first_divergence,
    explain_mismatches)
