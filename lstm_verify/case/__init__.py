"""Reading a case: YAML with line numbers (yaml_source), typed checks (checks),
weights in any form (weights, textbook, layouts/), npz references (npz_arrays); parse.py
turns a document into a checked Case."""

from .parse import (  # noqa: F401
    TOP_KEYS,
    DEFAULT_TOLERANCE,
    Case,
    load_case,
    parse_case)
