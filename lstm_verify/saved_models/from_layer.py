"""A case from an in-memory Keras layer and an input array, with the layer's own output as
``expected``: the in-process twin of extract (the API's case_from_layer)."""

from pathlib import Path

import numpy as np

from ..case import parse as _case
from ..errors import CaseError


def case_from_layer(layer, inputs, initial_state=None, mask=None, name=None):
    """See lstm_verify.api.case_from_layer."""
    from ..keras_run import _import_keras
    from . import RecurrentLayer, cell_of, options
    keras = _import_keras()
    if isinstance(layer, keras.layers.Bidirectional):
        raise CaseError("case_from_layer: a Bidirectional holds two layers; pass its "
                        "forward_layer or backward_layer")
    cell = cell_of(layer, keras)
    if cell is None:
        raise CaseError(f"case_from_layer: {type(layer).__name__} is not a recurrent layer "
                        "of a cell lstm-verify knows (LSTM, GRU, SimpleRNN, or RNN over "
                        "their cells)")
    inputs = np.asarray(inputs)
    if not layer.built:
        layer.build(inputs.shape)
    entry = RecurrentLayer(layer.name, layer, cell)
    opts = options(entry)
    twin = type(layer).from_config({**layer.get_config(), "return_sequences": True,
                                    "return_state": True})
    twin.build(inputs.shape)
    twin.set_weights(layer.get_weights())
    kwargs = {}
    if initial_state is not None:
        kwargs["initial_state"] = [np.asarray(s) for s in (
            initial_state if isinstance(initial_state, (list, tuple)) else [initial_state])]
    if mask is not None:
        kwargs["mask"] = np.asarray(mask, bool)
    sequence, *final = (np.asarray(v) for v in twin(inputs, **kwargs))
    data = {key: opts[key] for key in ("units", "activation", "recurrent_activation",
                                       "use_bias", "go_backwards", "zero_output_for_mask",
                                       *cell.options) if key in opts}
    data.update(cell=cell.name, dtype=layer.compute_dtype, name=name or layer.name,
                inputs=inputs.astype(layer.compute_dtype), weights=entry.weights,
                expected={**dict(zip(cell.states, final)), "sequence": sequence})
    if initial_state is not None:
        data["initial_state"] = dict(zip(cell.states, kwargs["initial_state"]))
    if mask is not None:
        data["mask"] = np.asarray(mask, bool).tolist()
    return _case.parse_case(data, Path(f"<{data['name']}>"))
