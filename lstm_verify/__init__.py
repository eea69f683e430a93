"""lstm-verify: check the arithmetic of LSTM, GRU and SimpleRNN layers gate by gate.

The public API (README.md, "Python API"): load_case, case_from_arrays, case_from_layer,
reference, verify, assert_matches, and CaseError; everything else is private.
"""

from .api import (CaseError, Verification, assert_matches, case_from_arrays,
                  case_from_layer, load_case, reference, verify)

__all__ = ["CaseError", "Verification", "assert_matches", "case_from_arrays",
           "case_from_layer", "load_case", "reference", "verify"]
__version__ = "0.1.0"
