"""Checks on the values of a case file, each failing with a CaseError that says where.

``Reader`` knows the file and the line of every key, so a check only has to say
what it found and what it expected.
"""

import itertools

import numpy as np

from .. import activations
from ..errors import CaseError
from .yaml_source import number_trap


class Reader:
    """Checks values of one file, raising CaseError with file, key and line."""

    def __init__(self, path, lines):
        self.path = path
        self.lines = lines
        self.origins = {}  # key -> "file.npz entry 'NAME'" for arrays read from a .npz

    def fail(self, key, message):
        line = self.lines.get(key)
        if line is None and "[" in key:
            line = self.lines.get(key.split("[")[0])
        origin = self.origins.get(key) or self.origins.get(key.split("[")[0])
        if origin and origin not in message:
            message += f" (the array comes from {origin})"
        return CaseError(message, self.path, key, line)

    def keys(self, mapping, key, allowed):
        if not isinstance(mapping, dict):
            raise self.fail(key, f"is {describe(mapping)}, expected a mapping with keys "
                            f"{', '.join(allowed)}")
        for name in mapping:
            if name not in allowed:
                from difflib import get_close_matches   # only for a misspelt key
                close = get_close_matches(str(name), allowed, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                where = f"{key}.{name}" if key else str(name)
                raise self.fail(where, f"is not a known key{hint}; known keys here: "
                                f"{', '.join(allowed)}")

    def flag(self, data, key, default):
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"is {describe(value)}, expected true or false")
        return value

    def text(self, data, key, default):
        value = data.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"is {describe(value)}, expected text")
        return value

    def activation(self, data, key, default):
        name = data.get(key, default)
        if name is None:
            return None
        if not isinstance(name, str):
            raise self.fail(key, f"is {describe(name)}, expected a Keras activation name "
                            "such as tanh or sigmoid, or null for linear")
        if name in activations.UNSUPPORTED:
            raise self.fail(key, f"is '{name}', a Keras activation that cannot be used "
                            "element-wise inside an LSTM cell here")
        if name not in activations.ACTIVATIONS:
            from difflib import get_close_matches
            close = get_close_matches(name, list(activations.ACTIVATIONS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.fail(key, f"is '{name}', not a Keras activation name{hint}; "
                            "use e.g. tanh, sigmoid, hard_sigmoid, relu, or null for linear")
        return name

    def array(self, value, key, ndims, meaning, dtype=float, nulls=False):
        """A rectangular numeric array with one of the allowed ranks. With ``nulls`` (the
        author's expected numbers only) a null is an element not stated: NaN here."""
        if isinstance(value, np.ndarray):  # from a .npz: checked whole, never per element
            return self._ndarray(value, key, ndims, meaning, dtype)
        shape = _shape(value)
        if shape is None:
            raise self.fail(key, f"is ragged (its rows have different lengths), expected "
                            f"a rectangular {meaning}")
        if len(shape) not in ndims:
            want = " or ".join(f"{n}-D" for n in ndims)
            raise self.fail(key, f"is {_shape_text(shape, value)}, expected a {want} list: "
                            f"{meaning}")
        if 0 in shape:
            raise self.fail(key, f"is empty (shape {_shape_text(shape, value)}), expected "
                            f"{meaning} with no empty axis")
        flat = _flat(value, len(shape))
        unstated = None
        if nulls:
            unstated = np.array([v is None for v in flat]).reshape(shape)
            if unstated.all():
                raise self.fail(key, f"is null everywhere, expected {meaning} with at least "
                                "one number (null marks only the elements not stated)")
            flat = [float("nan") if v is None else v for v in flat]
        if not _plain_numbers(flat, dtype):   # the per-item loop only to say what is wrong
            self._first_bad_item(flat, key, shape, dtype)
        arr = np.array(flat, dtype=float if dtype is not bool else bool).reshape(shape)
        finite = np.isfinite(arr) if unstated is None else np.isfinite(arr) | unstated
        if dtype is not bool and not np.all(finite):
            bad = _index(shape, int(np.flatnonzero(~finite.ravel())[0]))
            raise self.fail(key, f"contains a non-finite number (NaN or infinity) at "
                            f"position {bad}, expected finite numbers")
        if dtype is not bool and np.nanmax(np.abs(arr)) > 1e30:
            raise self.fail(key, "contains a number larger than 1e30 in magnitude; "
                            "an LSTM case needs moderate numbers")
        return arr

    def _first_bad_item(self, flat, key, shape, dtype):
        for n, item in enumerate(flat):
            ok = (isinstance(item, bool) if dtype is bool
                  else isinstance(item, (int, float)) and not isinstance(item, bool))
            if dtype is bool and not ok and item in (0, 1) and not isinstance(item, float):
                ok = True
            if not ok:
                want = "true/false (or 1/0)" if dtype is bool else "numbers"
                raise self.fail(key, f"contains {describe(item)} at position "
                                f"{_index(shape, n)}, expected {want} only")
            # YAML integers are unbounded; one beyond float range would crash np.array
            if dtype is not bool and isinstance(item, int) and abs(item) > 1e30:
                raise self.fail(key, f"contains the integer {str(item)[:12]}... at position "
                                f"{_index(shape, n)}, larger than 1e30 in magnitude; an "
                                "LSTM case needs moderate numbers")

    def _ndarray(self, value, key, ndims, meaning, dtype):
        shape = "x".join(map(str, value.shape)) or "a single number"
        if value.ndim not in ndims:
            want = " or ".join(f"{n}-D" for n in ndims)
            raise self.fail(key, f"is {shape}, expected a {want} array: {meaning}")
        if 0 in value.shape:
            raise self.fail(key, f"is empty (shape {shape}), expected {meaning} with no "
                            "empty axis")
        if dtype is bool:
            if value.dtype.kind != "b" and not (value.dtype.kind in "iu"
                                               and np.isin(value, (0, 1)).all()):
                raise self.fail(key, f"holds {value.dtype} values, expected true/false "
                                "(or 1/0) only")
            return value.astype(bool)
        if value.dtype.kind not in "iuf":
            raise self.fail(key, f"holds {value.dtype} values, expected numbers only")
        arr = value.astype(float)
        if not np.all(np.isfinite(arr)):
            bad = _index(arr.shape, int(np.flatnonzero(~np.isfinite(arr.ravel()))[0]))
            raise self.fail(key, f"contains a non-finite number (NaN or infinity) at "
                            f"position {bad}, expected finite numbers")
        if np.max(np.abs(arr)) > 1e30:
            raise self.fail(key, "contains a number larger than 1e30 in magnitude; "
                            "an LSTM case needs moderate numbers")
        return arr

    def step_table(self, steps, key, rows, last_step, read, example, check=None):
        """{t: {row: array}} from a list of per-step mappings such as {t: 2, dh: [...]}:
        each t a step number from 1 to ``last_step``, given once; each row read by
        ``read(value, key)``; ``check(step, key)`` first, for a message of the caller's."""
        if not isinstance(steps, list):
            raise self.fail(key, f"is {describe(steps)}, expected a list of mappings such as "
                            f"{example}")
        out = {}
        for n, step in enumerate(steps):
            where = f"{key}[{n}]"
            if check is not None:
                check(step, where)
            self.keys(step, where, ("t",) + tuple(rows))
            t = step.get("t")
            if isinstance(t, bool) or not isinstance(t, int) or not 1 <= t <= last_step:
                raise self.fail(f"{where}.t", f"is {describe(t)}, expected the step number, "
                                f"a whole number from 1 to {last_step}")
            if t in out:
                raise self.fail(f"{where}.t", f"repeats step {t}; give each step once")
            out[t] = {q: read(step[q], f"{where}.{q}") for q in rows if step.get(q) is not None}
        return out

    def shaped(self, arr, key, want, meaning):
        if arr.shape != tuple(want):
            raise self.fail(key, f"is {'x'.join(map(str, arr.shape))}, expected "
                            f"{'x'.join(map(str, want))} = {meaning}")
        return arr


def refuse_unreadable(name, value):
    """CaseError unless every number of the array ``value``, which a tool is about to write
    into a case as ``name``, is finite and within 1e30, as Reader.array requires."""
    if value.dtype == bool:
        return
    bad = ~np.isfinite(value) | (np.abs(np.where(np.isfinite(value), value, 0)) > 1e30)
    if bad.any():
        at = [int(i) for i in np.argwhere(bad)[0]]
        raise CaseError(f"the case's {name} would hold {value[tuple(at)]} at {at}: a case "
                        "needs finite numbers within 1e30, so nothing is written (NaN or "
                        "infinity in the input data, or in what the model computed from it)")


def describe(value):
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "empty (null)"
    if isinstance(value, str):
        fixed = number_trap(value)
        if fixed:   # the YAML 1.1 trap: 1e-3 and 1.0e8 are read as text, not numbers
            return (f"the text '{value}' (YAML reads a number with an exponent only with a "
                    f"dot and a signed exponent: write {fixed})")
        return f"the text '{value[:40]}'"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _shape(value):
    """Shape of a nested list, or None when it is ragged."""
    if not isinstance(value, list):
        return ()
    if not value:
        return (0,)
    inner = [_shape(v) for v in value]
    if any(s is None or s != inner[0] for s in inner):
        return None
    return (len(value),) + inner[0]


def _shape_text(shape, value):
    if shape == ():
        return describe(value)
    return "x".join(map(str, shape))


def _flat(value, ndim):
    """The items of a rectangular nested list of ``ndim`` levels, in order."""
    for _ in range(ndim - 1):
        value = list(itertools.chain.from_iterable(value))
    return value


def _plain_numbers(flat, dtype):
    """True when every item is what ``dtype`` takes (a fast check in C, without a loop)."""
    types = set(map(type, flat))
    if dtype is bool:
        return types <= {bool}
    return types <= {float, int} and (int not in types or max(map(abs, (
        v for v in flat if type(v) is int))) <= 1e30)


def _index(shape, flat_index):
    if not shape:
        return "[]"
    return str(list(int(i) for i in np.unravel_index(flat_index, shape)))


