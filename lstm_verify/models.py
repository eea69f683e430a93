"""Saved Keras models: load them safely, find every LSTM layer, show its weights by gate.

Keras is imported only inside functions (through keras_run._import_keras, which
hides TensorFlow's start-up lines), so importing this module stays cheap.
LSTM layers are found wherever a model can hide them: stacked in a Sequential or
functional model, inside a nested model used as a layer, and as the forward and
backward halves of a Bidirectional wrapper; ``RNN(LSTMCell(...))`` counts as an LSTM.
"""

import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import reading
from .errors import CaseError

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
GATE_BLOCKS = ("i", "f", "c", "o")  # Keras's column order in kernel, recurrent_kernel, bias
OPTIONS = ("units", "activation", "recurrent_activation", "use_bias", "return_sequences",
           "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
           "unit_forget_bias", "dropout", "recurrent_dropout", "dtype")


@dataclass
class LstmLayer:
    """One keras LSTM layer found in a model. ``path`` names it through its containers
    (``encoder/lstm``, ``bidirectional/backward_lstm``); ``direction`` is forward or
    backward inside a Bidirectional (``wrapper``), else None."""

    path: str
    layer: object
    direction: str = None
    wrapper: object = None

    @property
    def weights(self):
        """{'kernel': (F, 4U), 'recurrent_kernel': (U, 4U), 'bias': (4U,)} as numpy."""
        names = ("kernel", "recurrent_kernel", "bias")
        return {name: np.asarray(w) for name, w in zip(names, self.layer.get_weights())}


def load_model(path, unsafe=False, verbose=False):
    """The model saved at ``path`` (.keras or .h5), loaded with Keras's safe mode unless
    ``unsafe``; without compiling it (only its forward pass is needed)."""
    path = Path(path)
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise CaseError(f"is not a saved Keras model: expected a .keras or .h5 file, found "
                        f"a '{path.suffix or 'suffix-less'}' file", path)
    problem = reading.problem(path, "a saved Keras model (.keras or .h5)")  # FIFO: never opened
    if problem:
        raise CaseError(problem, path)
    _check_container(path)
    from .keras_run import _import_keras
    keras = _import_keras(verbose)
    try:
        return keras.saving.load_model(path, safe_mode=not unsafe, compile=False)
    except ValueError as exc:
        if "safe_mode" in str(exc) or "unsafe" in str(exc):
            raise CaseError(
                "holds code (a Lambda layer or a custom Python function) that Keras's safe "
                "mode will not run, since loading it would execute Python code stored in "
                "the file; pass --unsafe only if you trust where the file comes from "
                f"(Keras said: {_first_sentence(exc)})", path) from None
        raise CaseError(f"could not be loaded by Keras: {_first_sentence(exc)}",
                        path) from None
    except TypeError as exc:  # Keras's word for a class it cannot locate
        raise CaseError(
            f"could not be loaded by Keras: {_first_sentence(exc)}; a model with custom "
            "layers or objects needs their Python code, which lstm-verify does not have",
            path) from None
    except (OSError, KeyError) as exc:
        raise CaseError(f"could not be loaded by Keras: {_first_sentence(exc)}",
                        path) from None


def _check_container(path):
    """Refuse a file that is not a zip (.keras) or HDF5 (.h5) file before Keras sees it:
    Keras's own message for a damaged .keras file is 'File not found'."""
    if path.suffix.lower() == ".keras":
        if not zipfile.is_zipfile(path):
            raise CaseError("is not a .keras model file (one is a zip archive holding "
                            "config.json and the weights)", path)
        reading.check_model_archive(path)   # member sizes, before anything is inflated
    else:
        with open(path, "rb") as handle:
            if handle.read(8) != HDF5_SIGNATURE:
                raise CaseError("is not an HDF5 file, so not a Keras .h5 model", path)


def _first_sentence(exc):
    text = " ".join(str(exc).split())
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) < 300 else first[:300] + "..."


def lstm_layers(model):
    """Every LSTM layer in ``model``, in the order the model lists its layers."""
    from .keras_run import _import_keras
    keras = _import_keras()
    found = []

    def is_lstm(layer):  # keras.layers.LSTM, or the same loop spelt RNN(LSTMCell(...))
        return (isinstance(layer, keras.layers.RNN)
                and isinstance(layer.cell, keras.layers.LSTMCell))

    def walk(container, prefix):
        for layer in getattr(container, "layers", []):
            path = prefix + layer.name
            if is_lstm(layer):
                found.append(LstmLayer(path, layer))
            elif isinstance(layer, keras.layers.Bidirectional):
                for direction in ("forward", "backward"):
                    inner = getattr(layer, f"{direction}_layer")
                    if is_lstm(inner):
                        found.append(LstmLayer(f"{path}/{inner.name}", inner, direction,
                                               layer))
            elif hasattr(layer, "layers"):  # a model (or other container) used as a layer
                walk(layer, path + "/")

    walk(model, "")
    return found


def find_layers(model, name, model_path):
    """The LSTM layer(s) called ``name``: a full path, or a plain layer name when it is
    unique; a Bidirectional's name gives both directions."""
    layers = lstm_layers(model)
    if not layers:
        raise CaseError("has no LSTM layer (searched stacked layers, nested models, "
                        "Bidirectional wrappers and RNN(LSTMCell) layers)", model_path)
    matches = ([e for e in layers if e.path == name]
               or [e for e in layers if _owner(e) == name]
               or [e for e in layers if name in (e.path.split("/")[-1],
                                                 _owner(e).split("/")[-1])])
    if not matches or len({_owner(e) for e in matches}) > 1:
        known = ", ".join(e.path for e in layers)
        what = "matches more than one layer" if matches else "is not an LSTM layer in it"
        raise CaseError(f"--layer {name} {what}; its LSTM layers are: {known} (give the "
                        "full path as shown by lstm-verify inspect)", model_path)
    return matches


def _owner(entry):
    """The path a user points at: the layer's own, or its Bidirectional wrapper's."""
    return entry.path.rsplit("/", 1)[0] if entry.wrapper is not None else entry.path


def activation_name(function):
    """The Keras name of an activation function, or None for linear."""
    name = getattr(function, "__name__", type(function).__name__)
    return None if name == "linear" else name


def options(layer):
    """The layer's configuration, as the case format and `inspect` name it."""
    cell = layer.cell
    return dict(
        units=cell.units, activation=activation_name(cell.activation),
        recurrent_activation=activation_name(cell.recurrent_activation),
        use_bias=cell.use_bias, return_sequences=layer.return_sequences,
        return_state=layer.return_state, go_backwards=layer.go_backwards,
        stateful=layer.stateful, unroll=layer.unroll,
        zero_output_for_mask=layer.zero_output_for_mask,
        unit_forget_bias=cell.unit_forget_bias, dropout=cell.dropout,
        recurrent_dropout=cell.recurrent_dropout, dtype=layer.dtype_policy.name)


def gate_stats(entry):
    """[(matrix, gate, shape, mean, std, min, max)] for each weight matrix split by gate."""
    rows = []
    for matrix, value in entry.weights.items():
        for gate, block in zip(GATE_BLOCKS, np.split(value, 4, axis=-1)):
            rows.append((matrix, gate, block.shape, float(block.mean()), float(block.std()),
                         float(block.min()), float(block.max())))
    return rows


def forget_bias_note(entry):
    """A sentence about the forget gate's bias, which decides how much the cell keeps."""
    bias = entry.weights.get("bias")
    if bias is None:
        return "no bias (use_bias is false): the forget gate starts from f = rec(0)"
    blocks = dict(zip(GATE_BLOCKS, np.split(bias, 4)))
    f, rest = blocks["f"], np.concatenate([blocks[g] for g in "ico"])
    if np.allclose(f, 1.0, atol=1e-6) and np.allclose(rest, 0.0, atol=1e-6):
        return ("forget-gate bias is exactly 1 and every other bias 0: the values "
                "unit_forget_bias=True starts with (this layer looks untrained)")
    if np.allclose(f, 1.0, atol=0.1):
        return f"forget-gate bias is ~1 (mean {f.mean():.3g}), near unit_forget_bias's start"
    return (f"forget-gate bias mean {f.mean():.3g} (other gates' bias mean "
            f"{rest.mean():.3g}): {'keeps' if f.mean() > rest.mean() else 'forgets'} "
            "more than the other gates open")


def describe_model(model_path, model):
    """A JSON-ready description of every LSTM layer: options, weights by gate, notes."""
    layers = []
    for entry in lstm_layers(model):
        kernel = entry.weights["kernel"]
        layers.append(dict(
            path=entry.path, direction=entry.direction,
            wrapper=None if entry.wrapper is None else entry.wrapper.name,
            merge_mode=None if entry.wrapper is None else entry.wrapper.merge_mode,
            input_dim=int(kernel.shape[0]), options=options(entry.layer),
            gates=[dict(matrix=m, gate=g, shape=list(s), mean=mean, std=std, min=lo, max=hi)
                   for m, g, s, mean, std, lo, hi in gate_stats(entry)],
            forget_bias_note=forget_bias_note(entry)))
    return dict(model=str(model_path), name=model.name, lstm_layers=layers)


def inspect_lines(description):
    """Plain-text lines of ``inspect`` from :func:`describe_model`'s description."""
    layers = description["lstm_layers"]
    out = [f"{description['model']}: model '{description['name']}', {len(layers)} LSTM "
           f"layer{'s' if len(layers) != 1 else ''}"]
    for layer in layers:
        opts = layer["options"]
        where = (f"  ({layer['direction']} half of Bidirectional '{layer['wrapper']}', "
                 f"merge_mode {layer['merge_mode']})" if layer["wrapper"] else "")
        out += ["", f"{layer['path']}{where}",
                f"  units {opts['units']}, input_dim {layer['input_dim']}"]
        shown = [f"{k} {_text(opts[k])}" for k in OPTIONS if k != "units"]
        out += textwrap.wrap(", ".join(shown), 88, initial_indent="  ",
                             subsequent_indent="  ")
        out.append(f"  {'weights':<17}{'gate':<5}{'shape':>8}{'mean':>11}{'std':>11}"
                   f"{'min':>11}{'max':>11}")
        for row in layer["gates"]:
            mark = "  <- forget gate" if row["matrix"] == "bias" and row["gate"] == "f" else ""
            out.append(f"  {row['matrix']:<17}{row['gate']:<5}"
                       f"{'x'.join(map(str, row['shape'])):>8}"
                       + "".join(f"{row[k]:>11.4g}" for k in ("mean", "std", "min", "max"))
                       + mark)
        out += textwrap.wrap(f"note: {layer['forget_bias_note']}", 88, initial_indent="  ",
                             subsequent_indent="        ")
    return out


def _text(value):
    if value is None:
        return "null (linear)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
