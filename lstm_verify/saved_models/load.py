"""Saved Keras models: load them safely, find every recurrent layer and read its options.

Keras is imported only inside functions (through keras_run._import_keras, which
hides TensorFlow's start-up lines), so importing this module stays cheap.
Recurrent layers of every cell the tool knows (cells/: LSTM, GRU, SimpleRNN) are
found wherever a model can hide them: stacked in a Sequential or functional model,
inside a nested model used as a layer, and as the forward and backward halves of a
Bidirectional wrapper; ``RNN(GRUCell(...))`` counts as a GRU, and so on for each cell.
What ``inspect`` shows of them is in inspection.py; ``extract`` is extract.py.
"""

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import cells, reading
from ..errors import CaseError

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# Keras arguments that only set a cell's starting weights: shown by inspect, not part
# of a case; each is shown for the layers whose Keras cell has it
INITIALISER_OPTIONS = ("unit_forget_bias",)


@dataclass
class RecurrentLayer:
    """One recurrent Keras layer found in a model, and the cell description it runs.
    ``path`` names it through its containers (``encoder/gru``,
    ``bidirectional/backward_lstm``); ``direction`` is forward or backward inside a
    Bidirectional (``wrapper``), else None."""

    path: str
    layer: object
    cell: cells.Cell
    direction: str = None
    wrapper: object = None
    model: object = None      # the model it was found in, when extract needs it

    @property
    def weights(self):
        """{'kernel': (F, nU), 'recurrent_kernel': (U, nU), 'bias': as the cell says}
        as numpy, n = the cell's number of blocks; no bias when use_bias is false."""
        keras_cell = self.layer.cell
        found = dict(kernel=keras_cell.kernel, recurrent_kernel=keras_cell.recurrent_kernel,
                     bias=keras_cell.bias if keras_cell.use_bias else None)
        return {name: np.asarray(w) for name, w in found.items() if w is not None}


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
    try:
        return _load_keras3(path, unsafe, verbose)
    except CaseError as refused:
        if path.suffix.lower() == ".keras" or "safe mode" in str(refused) or \
                not _has_keras2():
            raise
        return _load_keras2(path, unsafe, refused)


def _has_keras2():
    import importlib.util
    return importlib.util.find_spec("tf_keras") is not None


def _load_keras2(path, unsafe, refused):
    """An .h5 model Keras 3 could not load, loaded by Keras 2 (tf_keras), which wrote many
    of them; the model remembers why (keras2_note)."""
    import tf_keras
    said = str(refused).split("could not be loaded by Keras: ", 1)[-1]
    try:
        model = tf_keras.models.load_model(path, compile=False, safe_mode=not unsafe)
    except Exception as exc:   # both refused it: say what each said
        keras2_said = re.sub(r"<[^<>]* object at 0x[0-9a-f]+>", "the file",
                             _first_sentence(exc))   # tf_keras names its file handle
        raise CaseError(f"could not be loaded by Keras 3 ({said}) nor by Keras 2, tf_keras "
                        f"({keras2_said})", path) from None
    note = (f"loaded with Keras 2 (tf_keras {tf_keras.__version__}): Keras 3 could not load "
            f"this .h5 file ({said})")
    object.__setattr__(model, "_lstm_verify_keras2_note", note)   # past Keras's tracking
    return model


def keras2_note(model):
    """Why ``model`` was loaded with Keras 2, or None for a Keras 3 model."""
    return getattr(model, "_lstm_verify_keras2_note", None)


def keras_of(model):
    """The Keras that loaded ``model``: tf_keras for a Keras 2 model, else Keras 3."""
    if type(model).__module__.startswith("tf_keras"):
        import tf_keras
        return tf_keras
    from ..keras_run import _import_keras
    return _import_keras()


def _load_keras3(path, unsafe, verbose):
    from ..keras_run import _import_keras
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


def cell_of(layer, keras):
    """The cell description of a Keras layer (LSTM, GRU, SimpleRNN, or an RNN over one of
    their cells: the same loop), or None for any other layer."""
    if not isinstance(layer, keras.layers.RNN):
        return None
    return next((cell for cell in cells.CELLS.values()
                 if isinstance(layer.cell, getattr(keras.layers, cell.keras_cell))), None)


def recurrent_layers(model):
    """Every recurrent layer in ``model`` (of a cell the tool knows), in the order the
    model lists its layers."""
    keras = keras_of(model)
    found = []

    def walk(container, prefix):
        for layer in getattr(container, "layers", []):
            path, cell = prefix + layer.name, cell_of(layer, keras)
            if cell is not None:
                found.append(RecurrentLayer(path, layer, cell))
            elif isinstance(layer, keras.layers.Bidirectional):
                for direction in ("forward", "backward"):
                    inner = getattr(layer, f"{direction}_layer")
                    inner_cell = cell_of(inner, keras)
                    if inner_cell is not None:
                        found.append(RecurrentLayer(f"{path}/{inner.name}", inner,
                                                    inner_cell, direction, layer))
            elif hasattr(layer, "layers"):  # a model (or other container) used as a layer
                walk(layer, path + "/")

    walk(model, "")
    return found


def _kinds(found, joint="or"):
    """'LSTM', 'GRU or SimpleRNN': the kinds of cell in ``found``, in the registry's order."""
    titles = [cell.title for cell in cells.CELLS.values() if cell in found]
    return ", ".join(titles[:-1]) + f" {joint} " + titles[-1] if len(titles) > 1 \
        else titles[0]


def find_layers(model, name, model_path):
    """The recurrent layer(s) called ``name``: a full path, or a plain layer name when it
    is unique; a Bidirectional's name gives both directions."""
    layers = recurrent_layers(model)
    if not layers:
        every = list(cells.CELLS.values())
        spelt = ", ".join(f"RNN({cell.keras_cell})" for cell in every)
        raise CaseError(f"has no {_kinds(every)} layer (searched stacked layers, nested "
                        f"models, Bidirectional wrappers and {spelt} layers)", model_path)
    matches = ([e for e in layers if e.path == name]
               or [e for e in layers if _owner(e) == name]
               or [e for e in layers if name in (e.path.split("/")[-1],
                                                 _owner(e).split("/")[-1])])
    if not matches or len({_owner(e) for e in matches}) > 1:
        found = [e.cell for e in layers]
        known = ", ".join(e.path for e in layers)
        first = next(cell for cell in cells.CELLS.values() if cell in found)
        article = first.a_title.split()[0]  # 'an' LSTM, 'a' GRU
        what = ("matches more than one layer" if matches
                else f"is not {article} {_kinds(found)} layer in it")
        raise CaseError(f"--layer {name} {what}; its {_kinds(found, 'and')} layers are: "
                        f"{known} (give the full path as shown by lstm-verify inspect)",
                        model_path)
    return matches


def _owner(entry):
    """The path a user points at: the layer's own, or its Bidirectional wrapper's."""
    return entry.path.rsplit("/", 1)[0] if entry.wrapper is not None else entry.path


def activation_name(function):
    """The Keras name of an activation function, or None for linear."""
    name = getattr(function, "__name__", type(function).__name__)
    return None if name == "linear" else name


def options(entry):
    """The layer's configuration, as the case format and `inspect` name it: the options
    every cell has, the cell's own (recurrent_activation, reset_after), the RNN loop's,
    then arguments that only set the starting weights (unit_forget_bias)."""
    layer, keras_cell, cell = entry.layer, entry.layer.cell, entry.cell
    found = dict(units=keras_cell.units, activation=activation_name(keras_cell.activation))
    if cell.has_recurrent_activation:
        found["recurrent_activation"] = activation_name(keras_cell.recurrent_activation)
    found["use_bias"] = keras_cell.use_bias
    found.update({key: getattr(keras_cell, key) for key in cell.options})
    found.update(return_sequences=layer.return_sequences, return_state=layer.return_state,
                 go_backwards=layer.go_backwards, stateful=layer.stateful,
                 unroll=layer.unroll, zero_output_for_mask=layer.zero_output_for_mask)
    found.update({key: getattr(keras_cell, key) for key in INITIALISER_OPTIONS
                  if hasattr(keras_cell, key)})
    found.update(dropout=keras_cell.dropout, recurrent_dropout=keras_cell.recurrent_dropout,
                 dtype=getattr(layer.dtype_policy, "name", layer.dtype))
    return found
