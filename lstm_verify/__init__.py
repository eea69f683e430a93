"""lstm-verify: check the arithmetic of LSTM, GRU and SimpleRNN layers gate by gate.

The public API (README.md, "Python API"): load_case, case_from_arrays, case_from_layer,
reference, verify, verify_files, assert_matches, and CaseError; everything else is
private.  The names load from api.py on first use, so a command that needs none of them
(calc, validate) starts without it.
"""

__all__ = ["CaseError", "Verification", "Verifications", "assert_matches",
           "case_from_arrays", "case_from_layer", "load_case", "reference", "verify",
           "verify_files"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in __all__:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'lstm_verify' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
