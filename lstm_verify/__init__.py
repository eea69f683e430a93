"""lstm-verify: check the arithmetic of LSTM, GRU and SimpleRNN layers gate by gate.

The public API (README.md, "Python API"): load_case, case_from_arrays, case_from_layer,
reference, verify, verify_files, assert_matches, and CaseError; everything else is private.
"""

from .api import (CaseError, Verification, Verifications, assert_matches,
                  case_from_arrays, case_from_layer, load_case, reference, verify,
                  verify_files)

__all__ = ["CaseError", "Verification", "Verifications", "assert_matches",
           "case_from_arrays", "case_from_layer", "load_case", "reference", "verify",
           "verify_files"]
__version__ = "0.1.0"
