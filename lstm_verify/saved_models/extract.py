"""Extract a verifiable case from one recurrent layer (LSTM, GRU, SimpleRNN) of a
saved model.

The whole model runs on the user's input, and the chosen layer's own ``call``
is wrapped for that one run to record what the model fed it (the output of the
layers before it, its mask and initial state) and what it returned.  The layer
is asked for its states too (``return_state`` is read by Keras's RNN at call
time), so an LSTM's final c comes from the same run as h, not from a
re-computation.  The case then holds the layer's cell, options and weights, that
input, and as ``expected`` the model's own answer; ``verify`` checks it against the
reference and a fresh Keras layer of the same cell.
"""

import io
import json
import warnings
from pathlib import Path

import numpy as np

from .. import activations, reading
from ..case.checks import refuse_unreadable
from ..errors import CaseError
from ..files import write_atomic
from ..case import layouts
from .load import find_layers, keras2_note, load_model, options
from ..case.yaml_source import float_text

INLINE_MAX = 256  # arrays with more values than this go to the sibling .npz


def read_input(path, key=None):
    """The input data: .npy, .npz (``key``, or its first array) or .csv (rows = time steps,
    columns = features: one sequence; a header row is skipped)."""
    path = Path(path)
    problem = reading.problem(path, "the model's input as .npy, .npz or .csv")
    if problem:   # a FIFO or a device would block or never end
        raise CaseError(problem, path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if not archive.files:
                    raise CaseError("holds no arrays; expected the model's input", path)
                if key is not None and key not in archive.files:
                    raise CaseError(f"has no array named '{key}' (--key); it holds: "
                                    f"{', '.join(archive.files)}", path)
                return archive[key if key is not None else archive.files[0]]
        if suffix == ".csv":
            return _read_csv(path)
    except (ValueError, OSError, EOFError) as exc:
        raise CaseError(f"could not be read as {suffix} data: {exc}", path) from None
    raise CaseError(f"has the suffix '{suffix}'; expected the input as .npy, .npz or .csv "
                    "(rows = time steps, columns = features)", path)


def _read_csv(path):
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError:  # most likely a header row of column names
        return np.loadtxt(path, delimiter=",", ndmin=2, skiprows=1)


def batched_input(model, data, input_path):
    """``data`` with a batch axis, checked against the model's single input."""
    if len(model.inputs) != 1:
        raise CaseError(f"the model takes {len(model.inputs)} inputs; extract feeds one "
                        "array, so it supports single-input models only", input_path)
    want = tuple(model.inputs[0].shape)
    if data.ndim == len(want) - 1:
        data = data[None]  # one sequence -> a batch of one
    shown = "x".join("any" if n is None else str(n) for n in want)
    if data.ndim != len(want) or any(n is not None and n != d for n, d in zip(want, data.shape)):
        raise CaseError(f"is {'x'.join(map(str, data.shape))}, but the model's input is "
                        f"{shown} (batch first, usually [batch, time, features]; 'any' is "
                        "any size; the batch axis may be left out)", input_path)
    return data


def capture(model, entries, inputs, input_path=None):
    """Run ``model`` once on ``inputs``; return, per entry path, what its layer received
    (inputs, mask, initial_state {state: (B, U)}) and returned (output, and each of the
    cell's states: h, and c for an LSTM), as numpy arrays."""
    records = {entry.path: [] for entry in entries}
    for entry in entries:
        _wrap_call(entry.layer, entry.cell.states, records[entry.path])
    try:
        with warnings.catch_warnings():  # Keras's notes on input structure are not for users
            warnings.simplefilter("ignore")
            model(inputs, training=False)
    except (ValueError, TypeError) as exc:  # the model refused the data (dtype, shape)
        said = " ".join(str(exc).split())[:300]
        raise CaseError(f"the model could not run on this input (Keras said: {said})",
                        input_path) from None
    finally:
        for entry in entries:
            del entry.layer.call  # back to the class's own call
    for entry in entries:
        if len(records[entry.path]) != 1:
            raise CaseError(f"layer {entry.path} ran {len(records[entry.path])} times in one "
                            "forward pass; extract needs a layer that runs exactly once")
    return {path: calls[0] for path, calls in records.items()}


def _wrap_call(layer, states, record):
    original = layer.call

    def call(sequences, initial_state=None, mask=None, training=False):
        if initial_state is None and layer.stateful:  # a stateful layer starts from its own
            initial_state = [np.asarray(s) for s in layer.states]  # (before the run moves it)
        if initial_state is not None and not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]  # a one-state cell's h may come bare
        returns_state = layer.return_state
        layer.return_state = True  # read by RNN.call at call time: the states of this run
        try:
            output, *final = original(sequences, initial_state=initial_state, mask=mask,
                                      training=training)
        finally:
            layer.return_state = returns_state
        record.append(dict(
            inputs=np.asarray(sequences), output=np.asarray(output),
            final={state: np.asarray(v) for state, v in zip(states, final)},
            mask=None if mask is None else np.asarray(mask, bool),
            initial_state=None if initial_state is None
            else {state: np.asarray(v) for state, v in zip(states, initial_state)}))
        return (output, *final) if returns_state else output

    layer.call = call


def extract(model_path, layer_name, input_path, out, key=None, force=False, unsafe=False,
            inline_max=INLINE_MAX):
    """Write one case per direction of the chosen layer; return the case paths written."""
    model = load_model(model_path, unsafe=unsafe)
    entries = find_layers(model, layer_name, model_path)
    for entry in entries:
        entry.model = model   # the case records which Keras the model came from
    data = batched_input(model, read_input(input_path, key), input_path)
    out = Path(out)
    targets = [(entry, _case_path(out, entry, len(entries))) for entry in entries]
    for _, case_path in targets:
        _check_writable(case_path, force)
    captured = capture(model, entries, data, input_path)
    cases = [(case_path, *case_text(entry, captured[entry.path], model_path, input_path,
                                    case_path, inline_max))
             for entry, case_path in targets]  # all built before any file is written
    written = []
    for case_path, text, arrays in cases:
        if arrays:  # the arrays first, so the case never names a file not yet written
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            write_atomic(_npz_path(case_path), buffer.getvalue(), overwrite=force)
        write_atomic(case_path, text, overwrite=force)
        written.append(case_path)
    return written


def _case_path(out, entry, count):
    if count == 1 or entry.direction is None:
        return out
    return out.with_name(f"{out.stem}.{entry.direction}{out.suffix or '.yaml'}")


def _npz_path(case_path):
    return case_path.with_suffix(".npz")


def _check_writable(case_path, force):
    if force:
        return
    for path in (case_path, _npz_path(case_path)):
        if path.exists():
            raise CaseError("already exists; pass --force to replace it (extract writes "
                            f"{case_path.name} and, for large arrays, "
                            f"{_npz_path(case_path).name})", path)


def case_text(entry, record, model_path, input_path, case_path, inline_max=INLINE_MAX):
    """(YAML text, {npz entry: array}) of the case for one layer (one direction)."""
    cell, opts = entry.cell, options(entry)
    dtype = entry.layer.compute_dtype
    for key in ("activation", "recurrent_activation"):
        if opts.get(key) is not None and opts[key] not in activations.ACTIVATIONS:
            raise CaseError(f"layer {entry.path} uses the {key} '{opts[key]}', which the "
                            "case format cannot name (it takes Keras's built-in "
                            "activations)", model_path)
    if dtype not in ("float32", "float64"):
        raise CaseError(f"layer {entry.path} computes in {dtype} (policy "
                        f"{opts['dtype']}); a case runs in float32 or float64", model_path)
    arrays = {}
    writer = _ArrayWriter(arrays, dtype, inline_max)
    lines = _header(entry, opts, model_path, input_path)
    if keras2_note(entry.model):
        lines += _keras2_lines(opts)
    case_keys = ("units", "activation", "recurrent_activation", *cell.options, "use_bias",
                 "go_backwards", "zero_output_for_mask")
    lines += [f"{k}: {_scalar(opts[k])}" for k in case_keys if k in opts]
    lines.append(f"dtype: {dtype}")
    weights_meaning = layouts.meanings("keras", cell, opts.get("reset_after", True))
    body = [writer.line("inputs", "inputs", record["inputs"], "[batch, time, features]")]
    if record["mask"] is not None:
        body.append(writer.line("mask", "mask", record["mask"], "[batch, time]"))
    if record["initial_state"] is not None:
        body += ["initial_state:"] + [writer.line(f"  {state}", f"{state}0", value,
                                                  "[batch, units]")
                                      for state, value in record["initial_state"].items()]
    body += ["weights:"] + [writer.line(f"  {name}", name, value, weights_meaning.get(name))
                            for name, value in entry.weights.items()]
    body += ["expected:  # the model's own output for this layer"]
    body += [writer.line(f"  {state}", f"expected_{state}", value, "[batch, units]")
             for state, value in record["final"].items()]
    if opts["return_sequences"]:
        body.append(writer.line("  sequence", "expected_sequence", record["output"],
                                "[batch, time, units]"))
    if arrays:
        lines.append(f"arrays: {_npz_path(case_path).name}   # arrays of more than "
                     f"{inline_max} values, referenced as npz:NAME")
    return "\n".join(lines + body) + "\n", arrays


def _keras2_lines(opts):
    """A model saved by Keras 2: the case says so, and where the layer uses hard_sigmoid
    (Keras 2's 0.2x + 0.5, not Keras 3's x/6 + 0.5, which the case format means) its
    numbers are recorded as that known difference, which verify then confirms."""
    lines = ["keras: 2   # saved by Keras 2 (tf_keras): verify also runs it through tf_keras"]
    where = [key for key in ("activation", "recurrent_activation")
             if opts.get(key) == "hard_sigmoid"]
    if where:
        lines.append(f"known_mistake: \"Keras 2's hard_sigmoid (0.2x + 0.5) on "
                     f"{' and '.join(where)}: the model's numbers are Keras 2's, whose "
                     "hard_sigmoid is not Keras 3's (x/6 + 0.5)\"")
    return lines


def _header(entry, opts, model_path, input_path):
    """The case's name, description, source and cell: where it came from, what it holds."""
    model_name, cell = Path(model_path).name, entry.cell
    direction = f" ({entry.direction} direction)" if entry.direction else ""
    states = " and ".join(cell.states)
    backward = (["  This is the backward half of a Bidirectional layer: step 1 reads the last",
                 "  input" + (", and sequence is in that order too (the wrapper flips it "
                              "back to input order for its own output)."
                              if opts["return_sequences"] else ".")]
                if entry.direction == "backward" else [])
    return [
        f"name: {json.dumps(f'{entry.path} from {model_name}{direction}')}",
        "description: >",
        f"  Extracted by lstm-verify extract from the saved model {model_name},",
        f"  {cell.title} layer {entry.path}{direction}, run on {Path(input_path).name}. "
        "inputs is",
        "  that layer's input as the model computed it (the output of the layers",
        f"  before it); expected is the layer's own output in the model: final {states}",
        "  (and the sequence when the layer returns sequences), in processing order.",
        *backward,
        f"source: {json.dumps(f'{model_path}, layer {entry.path}, input {input_path}')}",
        f"cell: {cell.name}",
    ]


class _ArrayWriter:
    """Writes an array inline, a matrix one row per line under a comment with its shape
    (as `new` writes them, so a case reads and diffs row by row), or to the .npz when it
    is large."""

    def __init__(self, arrays, dtype, inline_max):
        self.arrays, self.dtype, self.inline_max = arrays, dtype, inline_max

    def line(self, label, name, value, meaning=None):
        value = np.asarray(value)
        refuse_unreadable(name, value)   # never write a case that verify would refuse
        shape = "x".join(map(str, value.shape)) + (f": {meaning}" if meaning else "")
        if value.size > self.inline_max:
            self.arrays[name] = value if value.dtype == bool else value.astype(self.dtype)
            return f"{label}: npz:{name}   # {shape}"
        if value.ndim < 2:
            return f"{label}: {self._flow(value)}"
        pad = " " * (len(label) - len(label.lstrip()) + 2)
        return "\n".join([f"{label}:   # {shape}", *self._rows(value, pad)])

    def _rows(self, value, pad):
        """A matrix as "- [row]" lines; a stack of them as "- - [row]" then "  - [row]"."""
        if value.ndim == 2:
            return [f"{pad}- {self._flow(row)}" for row in value]
        lines = []
        for matrix in value:
            rows = self._rows(matrix, pad + "  ")
            lines.append(f"{pad}- {rows[0].lstrip()}")
            lines += rows[1:]
        return lines

    def _flow(self, value):
        if value.ndim == 0:
            return self._number(value)
        return "[" + ", ".join(self._flow(row) for row in value) + "]"

    def _number(self, value):
        if value.dtype == bool:
            return "true" if value else "false"
        # the shortest text that reads back as the same float32 (or float64) value
        return float_text(str(np.float32(value)) if self.dtype == "float32"
                          else repr(float(value)))


def _scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
