"""``convert``: rewrite a case's ``weights`` block in another framework's layout.

Only the lines of the top-level ``weights:`` block change (located with PyYAML's
composer marks, as ``record`` does for ``expected``), and, when a case's arrays move to
a .npz of its own, the file name after ``arrays:``; every other line stays byte for
byte.  Numbers are written with Python's shortest exact repr, so a conversion never
rounds: reading the new case gives exactly the same Keras matrices (checked before
anything is written).
"""

import io
from pathlib import Path

import numpy as np
import yaml

from .case import layouts, npz_arrays
from . import reading
from .case import load_case, parse_case
from .case.checks import Reader
from .errors import CaseError
from .files import write_atomic
from .case.yaml_source import MAX_VALUES, float_text, load_yaml

INLINE_MAX = 256   # as extract: a converted weight array larger than this goes to the .npz

def number(value):
    """A float as YAML text that reads back to exactly the same float."""
    value = float(value)
    if value.is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    return float_text(repr(value))


def _flow(array):
    array = np.asarray(array)
    if array.ndim == 0:
        return number(array)
    return "[" + ", ".join(_flow(row) for row in array) + "]"


def _block_list(array, indent):
    """A 2-D or 3-D array as YAML block sequences of flow rows."""
    pad = " " * indent
    if array.ndim == 2:
        return [f"{pad}- {_flow(row)}" for row in array]
    lines = []
    for matrix in array:   # "- - [row]" then "  - [row]": a list of matrices
        rows = [_flow(row) for row in matrix]
        lines.append(f"{pad}- - {rows[0]}")
        lines += [f"{pad}  - {row}" for row in rows[1:]]
    return lines


def weights_block(layout, arrays, source, cell, reset_after, references=None):
    """The ``weights:`` block (YAML text) holding ``arrays`` (key -> array) in ``layout``;
    a key in ``references`` (key -> .npz entry name) is written as ``npz:NAME``."""
    references = references or {}
    lines = ["weights:"]
    if layout != "keras":
        blocks = layouts.own_names(cell, layout)
        blocks = f"gates {blocks}" if cell.gates else f"block {blocks}"
        lines.append(f"  layout: {layout}   # {blocks}; converted from {source} by "
                     "lstm-verify convert")
    meanings = layouts.meanings(layout, cell, reset_after)
    for key, value in arrays.items():
        value = np.asarray(value, dtype=float)
        meaning = meanings.get(key, "")
        comment = (f"   # {'x'.join(map(str, value.shape))}: {meaning}" if value.ndim
                   else f"   # {meaning}")
        if key in references:
            lines.append(f"  {key}: npz:{references[key]}{comment}")
        elif value.ndim <= 1:
            lines.append(f"  {key}: {_flow(value)}{comment}")
        else:
            lines.append(f"  {key}:{comment}")
            lines += _block_list(value, 4)
    return "\n".join(lines) + "\n"

def block_span(text, name):
    """(first line, end line) of a top-level key's block, 0-based, end exclusive, or None.
    Trailing blank and comment-only lines stay outside (they belong to what follows)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    lines = text.splitlines(keepends=True)
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            start = key.start_mark.line
            end = min(value.end_mark.line + (1 if value.end_mark.column > 0 else 0),
                      len(lines))
            while end > start + 1 and lines[end - 1].strip()[:1] in ("", "#"):
                end -= 1
            return start, end
    return None


def source_weights(path, max_values=MAX_VALUES):
    """(Case, layouts.Weights, source layout name, the case's YAML data with npz references
    unresolved) of a case file; a two-bias source keeps its two biases apart, so pytorch
    -> onnx -> pytorch is exact too."""
    path = Path(path)
    case = load_case(path, max_values=max_values)        # every check, before anything else
    raw, lines = load_yaml(path, max_values=max_values)
    r = Reader(path, lines)
    data = npz_arrays.resolve(r, raw, path, max_values)
    weights = data["weights"]
    layout = weights.get("layout", "keras")
    if layout == "keras":
        keys = "textbook" if any(k not in ("kernel", "recurrent_kernel", "bias", "layout")
                                 for k in weights) else "keras"
        return case, layouts.Weights.of_case(case), keys, raw
    w = layouts.parse(r, weights, case, data.get("units"), layout, data.get("reset_after"))
    return case, w, layout, raw


def convert(path, to, forget_bias=0.0, max_values=MAX_VALUES, npz_out=None):
    """(new case text, mapping lines, {entry: array} for ``npz_out`` or None) for the case
    at ``path`` with weights in layout ``to``.

    A case that keeps arrays in a .npz (``arrays:``) gets, when ``npz_out`` names a file,
    a new .npz of its own: the entries the rest of the case references, and the converted
    weight arrays of more than INLINE_MAX values; its ``arrays:`` line then names it.
    Without ``npz_out`` (stdout) the weights are written inline."""
    if to not in layouts.LAYOUTS:
        raise CaseError(f"--to is '{to}', expected one of {', '.join(layouts.LAYOUTS)}")
    case, w, source, raw = source_weights(path, max_values)
    why = layouts.unsupported(case.cell, to, case.reset_after)
    if why:
        raise CaseError(f"cannot convert to {to}: {why}", path)
    if forget_bias and not case.use_bias:
        raise CaseError("--forget-bias needs a bias, but the case has use_bias: false", path)
    arrays = layouts.export(to, w, forget_bias=forget_bias)
    text = reading.read_text(path, "a case file")
    text = _keep_reset_after(text, case, to, source, raw)

    def block(references=None):
        return weights_block(to, arrays, source, case.cell, case.reset_after, references)

    inline = replace_block(text, "weights", block())
    mapping = [] if source in ("keras", "textbook") else layouts.mapping_lines(
        source, w)   # read: the same equalities
    mapping += layouts.mapping_lines(to, w)
    mapping += _check_exact(case, inline, path, max_values, forget_bias)
    if "arrays" not in raw:
        return inline, mapping, None
    if npz_out is None:
        return inline, mapping + [f"weights written inline; arrays: still names "
                                  f"{raw['arrays']}, next to {Path(path).name} (give -o "
                                  "FILE to get a .npz of the case's own)"], None
    entries = npz_arrays.referenced_entries(raw, path, max_values)
    names = {}
    for key, value in arrays.items():
        if np.size(value) > INLINE_MAX:
            names[key] = _free_name(f"{to}_{key}", entries)
            entries[names[key]] = np.asarray(value, dtype=float)
    new_text = replace_block(text, "weights", block(names))
    new_text = replace_value(new_text, "arrays", Path(npz_out).name)
    held = ", ".join(sorted(entries)) or "no entries (the case references none)"
    return new_text, mapping + [f"{Path(npz_out).name}: {held}"], entries


def _keep_reset_after(text, case, to, source, raw):
    """A GRU whose source layout said reset_after (ONNX's linear_before_reset: 0) keeps
    it in Keras's layout, which does not: as a top-level reset_after line before
    ``weights:``, where Keras's default would otherwise read it wrongly."""
    default = case.cell.options.get("reset_after")
    if (default is None or "reset_after" in raw or case.reset_after == default
            or layouts.LAYOUTS[to].RESET_AFTER is not None):
        return text
    start, _ = block_span(text, "weights")
    lines = text.splitlines(keepends=True)
    line = (f"reset_after: {str(case.reset_after).lower()}   # as the {source} layout had it; "
            "added by lstm-verify convert\n")
    return "".join(lines[:start]) + line + "".join(lines[start:])


def replace_block(text, name, block):
    """``text`` with the top-level key ``name``'s lines replaced by ``block``."""
    start, end = block_span(text, name)
    lines = text.splitlines(keepends=True)
    return "".join(lines[:start]) + block + "".join(lines[end:])


def replace_value(text, name, value):
    """``text`` with the scalar value of the top-level key ``name`` replaced by ``value``
    (its comment and everything else kept)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for key, node in root.value:
        if key.value == name:
            return text[:node.start_mark.index] + value + text[node.end_mark.index:]
    return text


def _free_name(name, taken):
    n, free = 2, name
    while free in taken:
        free, n = f"{name}_{n}", n + 1
    return free


def _check_exact(case, new_text, path, max_values, forget_bias):
    """Read the converted case back: its Keras matrices must equal the original's."""
    again = parse_case(yaml.safe_load(new_text), path, max_values=max_values)
    if again.reset_after != case.reset_after:
        raise AssertionError("conversion changed reset_after: a bug")
    pairs = [(case.kernel, again.kernel), (case.recurrent_kernel, again.recurrent_kernel),
             (case.bias, again.bias)]
    worst = max(0.0 if a is None else float(np.max(np.abs(a - b))) for a, b in pairs)
    if all((a is None and b is None) or np.array_equal(a, b) for a, b in pairs):
        return ["read back: the same Keras kernel, recurrent_kernel and bias, exactly"]
    if forget_bias:   # (b - forget_bias) + forget_bias can round in the last bit
        note = (f"read back: differs by up to {worst:.3g} (rounding of bias_f - forget_bias "
                "+ forget_bias); use --forget-bias 0 for an exact copy")
        return [note]
    raise AssertionError(f"conversion is not exact (max |diff| {worst:.3g}): a bug")


def run(path, to, output=None, force=False, forget_bias=0.0, max_values=MAX_VALUES):
    """Body of ``lstm-verify convert``: returns (text for stdout or None, mapping lines)."""
    npz_out = None if output is None else Path(output).with_suffix(".npz")
    new_text, mapping, entries = convert(path, to, forget_bias=forget_bias,
                                         max_values=max_values, npz_out=npz_out)
    if output is None:
        return new_text, mapping
    if entries is not None:
        for target in (Path(output), npz_out):   # refuse before writing either file
            if target.exists() and not force:
                raise CaseError(f"already exists; pass --force to replace it (convert writes "
                                f"{Path(output).name} and {npz_out.name})", target)
        buffer = io.BytesIO()
        np.savez(buffer, **entries)
        write_atomic(npz_out, buffer.getvalue(), overwrite=force)   # first: never a case
        mapping.append(f"wrote {npz_out}")                         # naming a missing file
    write_atomic(output, new_text, overwrite=force)
    return None, mapping + [f"wrote {output}"]
