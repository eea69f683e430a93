"""Authoring cases: ``new`` writes a fresh case, ``record`` writes the reference's answers.

``record`` edits the YAML as text: it finds the top-level ``expected:`` block's
line span from PyYAML's composer marks and replaces only those lines (or appends
the block), so every comment, key order and spacing elsewhere stays byte for byte.
"""

import numpy as np
import yaml

from . import cells, reference
from .case import load_case, parse_case
from .errors import CaseError
from .files import write_atomic
from .yaml_source import float_text

NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}
COMPUTED_NOTE = "computed by the reference calculator (lstm-verify), not hand-derived"


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


def expected_block(case, steps=False):
    """The ``expected:`` block (YAML text) holding the reference's values for ``case``."""
    trace = reference.run(case)
    one = case.batch == 1

    def value(arr):  # (B, U) -> [U] for a single sequence
        return flow(arr[0] if one else arr)

    out = ["expected:", f"  # {COMPUTED_NOTE}"]
    if steps:
        out.append("  steps:")
        for t in range(case.steps):
            parts = [f"t: {t + 1}"] + [f"{q}: {value(trace.steps[q][t])}"
                                       for q in case.cell.rows]
            out.append("    - {" + ", ".join(parts) + "}")
    out += [f"  {state}: {value(trace.final[state])}" for state in case.cell.states]
    if case.backward is not None:
        out += gradients_block(case, trace, steps)
    return "\n".join(out) + "\n"


def gradients_block(case, trace, steps=False):
    """The lines of ``expected.gradients``: the reference's gradients, each step from the
    last backwards (the order the backward pass runs), the weights in the case's own
    form, the inputs and the initial state."""
    from .backward import run
    from .backward.forms import in_case_form, step_rows

    grads = run(case, trace)
    one = case.batch == 1

    def value(arr):
        return flow(arr[0] if one else arr)

    out = ["  gradients:"]
    if steps:
        out.append("    steps:")
        for t in range(case.steps, 0, -1):
            parts = [f"t: {t}"] + [f"{q}: {value(grads.steps[q][t - 1])}"
                                   for q in step_rows(case.cell)]
            out.append("      - {" + ", ".join(parts) + "}")
    w = grads.weights
    for key, array in in_case_form(case, w["kernel"], w["recurrent_kernel"],
                                   w["bias"]).items():
        out.append(f"    {key}: {flow(array)}")
    out.append(f"    inputs: {value(grads.inputs)}")
    out.append("    initial_state: {" + ", ".join(
        f"{s}: {value(grads.initial_state[s])}" for s in case.cell.states) + "}")
    return out


def expected_span(text):
    """(first line, end line) of the top-level ``expected`` block, 0-based, end exclusive,
    or None. Trailing blank and comment-only lines stay outside (they belong to what follows)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "expected":
            lines = text.splitlines(keepends=True)
            start = key.start_mark.line
            end = value.end_mark.line + (1 if value.end_mark.column > 0 else 0)
            end = min(end, len(lines))
            while end > start + 1 and lines[end - 1].strip()[:1] in ("", "#"):
                end -= 1
            return start, end
    return None


def record(path, steps=False, force=False):
    """Add or refresh ``expected`` in the case file at ``path``; return the new text."""
    case = load_case(path)
    if case.known_mistake and not force:
        raise CaseError("has known_mistake set: its expected block is the recorded wrong "
                        "answer, and recording would erase it; pass --force to overwrite "
                        "it anyway", path, "known_mistake", case.lines.get("known_mistake"))
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    block = expected_block(case, steps=steps)
    span = expected_span(text)
    lines = text.splitlines(keepends=True)
    if span is None:
        if text and not text.endswith("\n"):
            text += "\n"
        new_text = text + block
    else:
        start, end = span
        new_text = "".join(lines[:start]) + block + "".join(lines[end:])
    write_atomic(path, new_text, overwrite=True)
    return new_text


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
    print(f"wrote {args.path}")
    return 0
