"""Arrays kept in a sibling ``.npz`` file, referenced from a case as ``npz:NAME``.

A case with large weights or inputs names the file once at the top level,
``arrays: model-layer.npz`` (relative to the case file's folder), and writes the
string ``npz:NAME`` wherever an array goes.  References are replaced by the numpy
arrays before the case is validated, so every shape check applies to them as to
inline lists; ``Reader.origins`` remembers where each one came from so that an
error can name the entry as well as the key.
"""

import re
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .. import reading
from .checks import describe
from ..errors import CaseError

PREFIX = "npz:"
ARRAY_KEYS = ("inputs", "mask", "initial_state", "weights", "expected")
# keys under ARRAY_KEYS that hold a name or a single number, never an array
NOT_ARRAYS = re.compile(r"weights\.(layout|forget_bias|units)|expected\.steps\[\d+\]\.t")
NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float; never object (no pickles)


def resolve(r, data, case_path, max_values):
    """``data`` with every ``npz:NAME`` string replaced by that entry's array."""
    # only where arrays go, so a description that happens to start with "npz:" stays text
    references = dict(_references({k: v for k, v in data.items() if k in ARRAY_KEYS}, ""))
    for key, value in references.items():
        if NOT_ARRAYS.fullmatch(key):
            raise r.fail(key, f"is '{value}', a reference into a .npz file, but {key} takes "
                         f"{'a name' if key.endswith('layout') else 'a single number'}, not "
                         "an array; a .npz entry can stand only where an array goes")
        if key.endswith("]"):
            whole = key[:key.index("[")]
            raise r.fail(key, f"is '{value}' inside a list; a .npz reference stands for a "
                         f"whole array, so write {whole}: {value} with the complete array "
                         "stored under that name in the .npz")
    if "arrays" not in data:
        if references:
            key, value = next(iter(references.items()))
            raise r.fail(key, f"is '{value}', a reference into a .npz file, but the case has "
                         "no top-level 'arrays' key naming that file (e.g. arrays: "
                         "model-layer.npz next to the case)")
        return data
    npz_path = _npz_path(r, data["arrays"], Path(case_path))
    if not references:
        return data
    budget = max_values - getattr(r.lines, "values_read", 0)   # what the YAML left over
    return _replace(data, "", _read_references(r, npz_path, references, max_values, budget))


def referenced_entries(data, case_path, max_values, skip=("weights",)):
    """{entry name: array} of the entries the case references outside the ``skip`` keys,
    read with the same checks as ``resolve`` (for a tool that writes the case a new .npz)."""
    references = dict(_references({k: v for k, v in data.items()
                                   if k in ARRAY_KEYS and k not in skip}, ""))
    if "arrays" not in data or not references:
        return {}
    from .checks import Reader
    r = Reader(Path(case_path), {})
    arrays = _read_references(r, _npz_path(r, data["arrays"], Path(case_path)), references,
                              max_values)
    return {references[key][len(PREFIX):]: array for key, array in arrays.items()}


def _read_references(r, npz_path, references, max_values, budget=None):
    """{dotted key: array} for ``references`` ({dotted key: 'npz:NAME'}).

    Every reference counts against --max-values (``budget`` is what the YAML left), each
    counted from its header before any data is read; an entry named twice is read once."""
    budget = max_values if budget is None else budget
    arrays, read, total = {}, {}, 0
    with _open(r, npz_path) as archive:
        names = sorted(n[:-4] for n in archive.namelist() if n.endswith(".npy"))
        for key, value in references.items():
            name = value[len(PREFIX):]
            if name not in names:
                raise r.fail(key, f"is '{value}', but {npz_path.name} has no array named "
                             f"'{name}'; it holds: {', '.join(names) or 'nothing'}")
            r.origins[key] = f"{npz_path.name} entry '{name}'"
            total += _entry_size(r, archive, npz_path, key, name, max_values)
            if total > budget:
                raise r.fail(key, f"brings the case past {max_values:,} values: its "
                             f"{len(references)} .npz reference(s) hold {total:,} values so "
                             f"far and the YAML itself {max_values - budget:,} (each "
                             "reference counts, even to an entry named before); pass "
                             "--max-values N to allow a genuinely large case")
        for key, value in references.items():
            name = value[len(PREFIX):]
            if name not in read:
                read[name] = _read_entry(r, archive, npz_path, key, name)
            arrays[key] = read[name]
    return arrays


def _references(value, key):
    """(dotted key, 'npz:NAME') for every reference, keys named as yaml_source names them."""
    if isinstance(value, str) and value.startswith(PREFIX):
        yield key, value
    elif isinstance(value, dict):
        for name, child in value.items():
            yield from _references(child, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list) and not set(map(type, value)) <= {int, float, bool}:
        for n, child in enumerate(value):   # (a row of numbers holds no reference)
            yield from _references(child, f"{key}[{n}]")


def _replace(value, key, arrays):
    if key in arrays:
        return arrays[key]
    if isinstance(value, dict):
        return {name: _replace(child, f"{key}.{name}" if key else str(name), arrays)
                for name, child in value.items()}
    if isinstance(value, list):
        return [_replace(child, f"{key}[{n}]", arrays) for n, child in enumerate(value)]
    return value


def _npz_path(r, value, case_path):
    if not isinstance(value, str) or not value.endswith(".npz"):
        raise r.fail("arrays", f"is {describe(value)}, expected the name of a .npz file "
                     "next to the case, such as model-layer.npz")
    path = Path(value)
    if path.is_absolute():
        raise r.fail("arrays", f"is the absolute path {value}; give it relative to the "
                     "case file's folder so the case and its arrays move together")
    if ".." in path.parts:
        raise r.fail("arrays", f"is {value}, which leaves the case's folder (..); keep the "
                     ".npz next to the case or in a folder below it, so a case cannot make "
                     "lstm-verify read files elsewhere and the two move together")
    path = case_path.parent / path
    problem = reading.problem(path, "the .npz file next to the case")
    if problem is not None:
        raise r.fail("arrays", f"names {value}, but {path} {problem} (it is written "
                     "together with the case)")
    return path


@contextmanager
def _open(r, npz_path):
    try:
        handle = reading.open_regular(npz_path, "a .npz file")
    except CaseError as exc:
        raise r.fail("arrays", f"names {npz_path.name}, which {exc.message}") from None
    with handle:
        try:
            archive = zipfile.ZipFile(handle)
        except (OSError, zipfile.BadZipFile) as exc:
            raise r.fail("arrays", f"names {npz_path.name}, which is not a readable .npz "
                         f"file ({exc})") from None
        with archive:
            yield archive


def _entry_size(r, archive, npz_path, key, name, max_values):
    """How many values an entry holds, from its .npy header alone (no data read)."""
    where = f"{npz_path.name} entry '{name}'"
    try:
        with archive.open(name + ".npy") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f".npy format version {version} is not a plain array")
            shape, _, dtype = read_header(handle)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise r.fail(key, f"refers to {where}, which cannot be read ({exc})") from None
    if dtype.kind not in NUMERIC_KINDS:
        raise r.fail(key, f"refers to {where}, of type {dtype}; expected numbers "
                     "(float, int or bool)")
    count = int(np.prod(shape, dtype=np.int64))
    if count > max_values:
        raise r.fail(key, f"refers to {where}, which holds {count:,} values, more "
                     f"than the {max_values:,} allowed; pass --max-values N to "
                     "allow a genuinely large case")
    return count


def _read_entry(r, archive, npz_path, key, name):
    """One array whose header _entry_size has checked (size, no pickled objects)."""
    where = f"{npz_path.name} entry '{name}'"
    try:
        with archive.open(name + ".npy") as handle:
            return np.lib.format.read_array(handle, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise r.fail(key, f"refers to {where}, which cannot be read ({exc})") from None
