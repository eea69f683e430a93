"""Authoring cases: ``new`` writes a fresh case, ``record`` writes the reference's answers.

``record`` edits the YAML as text (splice.py): it replaces only the top-level
``expected`` entry (or adds it), so every comment, key order and spacing elsewhere
stays byte for byte, and it reads the result back before writing it.
"""

from pathlib import Path

import numpy as np
import yaml

from . import cells, forward, reading, splice
from .case import parse_case
from .record_changes import COMPUTED_NOTE, changes, listed, written_by_record
from .errors import CaseError
from .files import write_atomic
from .render.safe_text import visible
from .case.yaml_source import MAX_FILE_BYTES, MAX_VALUES, float_text, load_yaml

NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}


def number(value):
    """A value as readable YAML: integers as integers, else up to 7 significant digits."""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return float_text(f"{value:.7g}")


def flow(array):
    """A nested flow-style YAML list of readable numbers."""
    array = np.asarray(array)
    if array.ndim == 0:
        return number(array)
    return "[" + ", ".join(flow(row) for row in array) + "]"


def asymmetric_weights(rng, rows, units, n=4):
    """[rows, n*units] one-decimal weights in [-1, 1] whose n gate blocks all differ."""
    while True:
        matrix = rng.integers(-10, 11, size=(rows, n * units)) / 10
        blocks = np.split(matrix, n, axis=1)
        if all(not np.array_equal(a, b) for n, a in enumerate(blocks) for b in blocks[n + 1:]):
            return matrix


def new_case_text(units=2, input_dim=1, steps=2, batch=1, activation="tanh",
                  recurrent_activation="sigmoid", seed=0, asymmetric=True,
                  with_expected=False, name=None, cell="lstm", reset_after=True,
                  backward=False):
    """The YAML text of a fresh case for ``cell`` (weights one-decimal, gate blocks all
    different)."""
    for label, value in (("units", units), ("input_dim", input_dim), ("steps", steps),
                         ("batch", batch)):
        if value < 1:
            raise CaseError(f"--{label.replace('_', '-')} is {value}, expected a whole "
                            "number of at least 1")
    if cell not in cells.CELLS:
        raise CaseError(f"--cell is '{cell}', expected one of {', '.join(cells.CELLS)}")
    description = cells.get(cell)
    n = len(description.blocks)
    two_rows = len(description.bias_shape(units, reset_after)[0]) == 2
    size = batch * steps * input_dim + n * units * (input_dim + units + 2)
    if size > MAX_VALUES:
        raise CaseError(f"--units {units}, --input-dim {input_dim}, --steps {steps} and "
                        f"--batch {batch} make a case of {size:,} values, more than the "
                        f"{MAX_VALUES:,} a case may hold; choose smaller sizes (a case is "
                        "for checking by hand)")
    rng = np.random.default_rng(seed)
    if asymmetric:
        kernel = asymmetric_weights(rng, input_dim, units, n)
        recurrent = asymmetric_weights(rng, units, units, n)
        bias = asymmetric_weights(rng, 2 if two_rows else 1, units, n)
    else:  # one block repeated: blind to gate order, useful only to show that warning
        kernel = np.tile(rng.integers(-10, 11, (input_dim, units)) / 10, n)
        recurrent = np.tile(rng.integers(-10, 11, (units, units)) / 10, n)
        bias = np.tile(rng.integers(-10, 11, (2 if two_rows else 1, units)) / 10, n)
    bias = bias if two_rows else bias[0]
    inputs = rng.integers(-10, 11, size=(batch, steps, input_dim)) / 10
    shown_inputs = inputs[0] if batch == 1 else inputs
    act = "null" if activation is None else activation
    rec = "null" if recurrent_activation is None else recurrent_activation
    width = "units" if n == 1 else f"{n}*units"
    blocks = "" if n == 1 else ": blocks " + " | ".join(description.blocks)
    if n == 1:
        kind = ""
    elif asymmetric:
        kind = (f" with all {NUMBER_WORDS[n]} gate blocks different, so a gate-order mistake "
                "cannot hide")
    else:
        kind = f" with {NUMBER_WORDS[n]} equal gate blocks (blind to gate order)"
    options = [] if cell == cells.DEFAULT else [f"cell: {cell}"]
    if "reset_after" in description.options:
        options.append(f"reset_after: {'true' if reset_after else 'false'}")
    lines = [
        f"name: {name or f'new case, seed {seed}'}",
        "description: >",
        f"  A case written by lstm-verify new (seed {seed}): {units} units, input_dim "
        f"{input_dim}, {steps} steps, batch {batch}, one-decimal weights{kind}.",
        f"source: lstm-verify new --seed {seed}" + ("" if cell == cells.DEFAULT
                                                    else f" --cell {cell}"),
        *options,
        f"units: {units}",
        f"activation: {act}",
        *([f"recurrent_activation: {rec}"] if description.has_recurrent_activation else []),
        f"inputs: {flow(shown_inputs)}   # [{'batch, ' if batch > 1 else ''}time, features]",
        "weights:",
        f"  kernel:            # [input_dim, {width}] = [{input_dim}, {n * units}]{blocks}",
        *[f"    - {flow(row)}" for row in kernel],
        f"  recurrent_kernel:  # [units, {width}] = [{units}, {n * units}]",
        *[f"    - {flow(row)}" for row in recurrent],
    ]
    if two_rows:
        lines += [f"  bias:              # [2, {width}] = [input bias; recurrent bias]",
                  *[f"    - {flow(row)}" for row in bias]]
    else:
        lines.append(f"  bias: {flow(bias)}")
    if backward:   # a one-decimal upstream gradient on the final h: L = Σ upstream·h
        upstream = rng.integers(-10, 11, size=(batch, units)) / 10
        lines += ["backward:",
                  f"  upstream: {{h: {flow(upstream[0] if batch == 1 else upstream)}}}"
                  "   # dL/dh: L = Σ upstream·h"]
    text = "\n".join(lines) + "\n"
    if with_expected:
        case = parse_case(yaml.safe_load(text), "new.yaml")
        text += expected_block(case, steps=True)
    return text


def expected_values(case, steps=False):
    """The reference's values as an ``expected`` entry: a dict of YAML flow texts (each
    state; ``steps``, a list of dicts, when asked for; ``gradients`` for a case with a
    backward pass), in the order they are written."""
    trace = forward.run(case)
    one = case.batch == 1
    written = list(trace.final.values()) + (
        [trace.steps[q] for q in case.cell.rows] if steps else [])
    if not all(np.all(np.isfinite(a) & (np.abs(a) <= 1e30)) for a in written):
        raise CaseError("has values that grow past 1e30 (or overflow) in the reference "
                        "calculator, more than a case may hold, so no expected block is "
                        "written; the file is left untouched", case.path)

    def value(arr):  # (B, U) -> [U] for a single sequence
        return flow(arr[0] if one else arr)

    out = {}
    if steps:
        out["steps"] = [{"t": str(t + 1), **{q: value(trace.steps[q][t])
                                             for q in case.cell.rows}}
                        for t in range(case.steps)]
    out.update({state: value(trace.final[state]) for state in case.cell.states})
    if case.backward is not None:
        out["gradients"] = gradient_values(case, trace, steps)
    return out


def gradient_values(case, trace, steps=False):
    """``expected.gradients`` as flow texts: each step from the last backwards (the order
    the backward pass runs), the weights in the case's own form, the inputs and the
    initial state."""
    from .backward import run
    from .backward.forms import in_case_form, step_rows

    grads = run(case, trace)
    one = case.batch == 1

    def value(arr):
        return flow(arr[0] if one else arr)

    out = {}
    if steps:
        out["steps"] = [{"t": str(t), **{q: value(grads.steps[q][t - 1])
                                         for q in step_rows(case.cell)}}
                        for t in range(case.steps, 0, -1)]
    w = grads.weights
    out.update({key: flow(array) for key, array in in_case_form(
        case, w["kernel"], w["recurrent_kernel"], w["bias"]).items()})
    out["inputs"] = value(grads.inputs)
    out["initial_state"] = {s: value(grads.initial_state[s]) for s in case.cell.states}
    return out


def expected_lines(values):
    """The ``expected:`` entry as block YAML lines (indentation 0, no line endings)."""
    return ["expected:", f"  # {COMPUTED_NOTE}"] + _block_lines(values, "  ")


def _block_lines(values, indent):
    out = []
    for key, value in values.items():
        if isinstance(value, str):
            out.append(f"{indent}{key}: {value}")
        elif isinstance(value, list):      # steps: one flow mapping per line
            out.append(f"{indent}{key}:")
            out += [f"{indent}  - {{" + ", ".join(f"{q}: {v}" for q, v in item.items())
                    + "}" for item in value]
        else:
            out.append(f"{indent}{key}:")
            out += _block_lines(value, indent + "  ")
    return out


def expected_flow(values):
    """The ``expected`` value as one flow mapping with quoted keys (valid JSON too)."""
    if isinstance(values, str):
        return values
    if isinstance(values, list):
        return "[" + ", ".join(expected_flow(item) for item in values) + "]"
    return "{" + ", ".join(f'"{key}": {expected_flow(value)}'
                           for key, value in values.items()) + "}"


def expected_block(case, steps=False):
    """The ``expected:`` block (YAML text) holding the reference's values for ``case``."""
    return "\n".join(expected_lines(expected_values(case, steps))) + "\n"


def expected_span(text):
    """(first line, end line) of the top-level ``expected`` entry, 0-based, end exclusive,
    or None. Trailing blank and comment-only lines stay outside (they belong to what follows)."""
    found = splice.layout(text)
    entry = next((e for e in found.entries if e.name == "expected"), None) if found else None
    if entry is None:
        return None
    start = text.rfind("\n", 0, entry.key_start) + 1
    end = text.find("\n", entry.value_end)
    return text.count("\n", 0, start), text.count("\n", 0, len(text) if end < 0 else end + 1)


def record(path, steps=False, force=False, tell=None):
    """Add or refresh ``expected`` in the case file at ``path``; return the new text.

    Everything comes from one read of the file: the case is computed from the bytes that
    are edited, the edit is read back (it must be the same case with the new expected),
    and the file is replaced only if it still holds those bytes. Hand-written numbers
    (an expected block without record's own note) that differ from the reference's are
    never replaced without ``force``; ``tell(line)`` hears what changes, before the write."""
    path = Path(path)
    raw = reading.read_bytes(path, "a case file", MAX_FILE_BYTES)
    text = _decoded(raw, path)
    data, lines = load_yaml(path, text=text)
    case = parse_case(data, path, lines)
    if case.known_mistake and not force:
        raise CaseError("has known_mistake set: its expected block is the recorded wrong "
                        "answer, and recording would erase it; pass --force to overwrite "
                        "it anyway", path, "known_mistake", case.lines.get("known_mistake"))
    values = expected_values(case, steps=steps)
    try:
        new_text = splice.replace_entry(text, "expected", expected_lines(values),
                                        expected_flow(values))
    except CaseError as exc:
        raise CaseError(exc.message, path) from None
    _check_read_back(path, new_text, data, values)
    again, again_lines = load_yaml(path, text=new_text)
    changed = changes(case, parse_case(again, path, again_lines))
    if changed and not force and not written_by_record(text, expected_span(text)):
        raise CaseError(f"has hand-written numbers that differ from the reference's: "
                        f"{listed(changed)}; record would replace them, so the file is left "
                        "untouched. Check them with lstm-verify verify, or pass --force to "
                        "replace them", path, "expected", case.lines.get("expected"))
    if changed and tell is not None:
        tell(f"replacing {listed(changed)}")
    write_atomic(path, new_text.encode("utf-8"), overwrite=True, unchanged=raw)
    return new_text


def _decoded(raw, path):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseError("is not UTF-8 text; a case file is YAML text", path) from None


def _check_read_back(path, new_text, data, values):
    """Refuse (nothing written) unless ``new_text`` is the same case with the new expected."""
    want = {**data, "expected": load_yaml(path, text=expected_flow(values))[0]}
    try:
        again, lines = load_yaml(path, text=new_text)
        parse_case(again, path, lines)
        problem = None if again == want else "it would read back as a different case"
    except CaseError as exc:
        problem = f"the result would not read back: {exc.message}"
    if problem:
        raise CaseError(f"could not be given a new expected without changing the rest of "
                        f"the case ({problem}); the file is left untouched. Write the "
                        "expected values in by hand, or simplify the file's layout", path)


def cmd_new(args):
    """Body of ``lstm-verify new``: write a fresh case file (refuses to overwrite)."""
    act = None if args.activation in ("null", "linear", "none") else args.activation
    rec = (None if args.recurrent_activation in ("null", "linear", "none")
           else args.recurrent_activation)
    text = new_case_text(units=args.units, input_dim=args.input_dim, steps=args.steps,
                         batch=args.batch, activation=act, recurrent_activation=rec,
                         seed=args.seed, asymmetric=not args.symmetric,
                         with_expected=args.with_expected, cell=args.cell,
                         reset_after=args.reset_after, backward=args.backward)
    load_check = yaml.safe_load(text)  # the text must be a valid case before it is written
    parse_case(load_check, args.path)
    write_atomic(args.path, text, overwrite=args.force)
    print(visible(f"wrote {args.path}"))
    return 0
