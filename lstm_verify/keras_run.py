"""Run a case through its real Keras layer and record the gates Keras computed.

The only module that imports TensorFlow/Keras (with keras_traced and keras_backward);
import it lazily (TensorFlow takes seconds to start).

Keras's own cell (``LSTMCell``, ``GRUCell``, ``SimpleRNNCell``) runs inside Keras's own
``RNN`` loop with the case's weights, its activation functions wrapped so each records
what Keras fed it and what it returned: the per-step gates, and the sequence and final
states the loop returns.  That loop over that cell *is* what ``keras.layers.LSTM``,
``GRU`` and ``SimpleRNN`` run wherever their fused cuDNN kernel cannot (no GPU, see
``_fused_kernel_possible``), so one run gives both the layer's answer and the gates
behind it; where a GPU could take the fused path, the plain layer runs as well and
must agree.  A shape of layer seen many times runs as one traced graph (keras_traced).
"""

import importlib.util
import os

import numpy as np

from .errors import CaseError
from .forward import Trace


class KerasMismatch(Exception):
    """The instrumented cell disagrees with the real layer (a bug here or in Keras)."""


def _import_keras(verbose=False):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec(
            "tensorflow") is None:
        raise CaseError("this command runs a real Keras layer, but TensorFlow/Keras is "
                        "not installed; install it with pip install 'lstm-verify[cpu]' (or "
                        "'lstm-verify[tensorflow]' for the GPU build)")
    if verbose:
        import keras
        return keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # TensorFlow's C++ start-up lines ignore TF_CPP_MIN_LOG_LEVEL; silence stderr at the
    # file-descriptor level while it loads, and only then.
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras
            import absl.logging
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    absl.logging.set_verbosity(absl.logging.ERROR)
    return keras


def keras_version(verbose=False):
    keras = _import_keras(verbose)
    import tensorflow as tf
    return f"Keras {keras.__version__}, TensorFlow {tf.__version__}"


class _Log:
    """What the recording cell saw. A plain object: Keras would copy a list attribute."""

    def __init__(self):
        self.calls = []  # (role, activation input, activation output), in call order
        self.steps = []  # one dict per cell call


class _Recorder:
    """Wraps an activation; logs (role, input, output) for every call, as Keras's own
    tensors (so the backward pass can ask the gradient tape about them)."""

    def __init__(self, fn, role, log):
        self.fn, self.role, self.log = fn, role, log
        self.__name__ = getattr(fn, "__name__", role)

    def __call__(self, x):
        y = self.fn(x)
        self.log.calls.append((self.role, x, y))
        return y


def _layer_options(case):
    # The case's weights replace the initial ones (set_weights), so zero initialisers:
    # the default orthogonal one costs a QR decomposition per layer, ~15 ms a case.
    options = dict(units=case.units, activation=case.activation, use_bias=case.use_bias,
                   kernel_initializer="zeros", recurrent_initializer="zeros",
                   bias_initializer="zeros", dtype=case.dtype)
    if case.cell.has_recurrent_activation:
        options["recurrent_activation"] = case.recurrent_activation
    if "reset_after" in case.cell.options:
        options["reset_after"] = case.reset_after
    return options


def _weights(case):
    weights = [case.kernel, case.recurrent_kernel]
    if case.use_bias:
        weights.append(case.bias)
    return [w.astype(case.dtype) for w in weights]


def _call_args(case):
    inputs = case.inputs.astype(case.dtype)
    states = [case.initial_state[s].astype(case.dtype) for s in case.cell.states]
    kwargs = {"initial_state": states}
    if case.mask is not None:
        kwargs["mask"] = case.mask
    return inputs, kwargs


def _as64(value):
    return np.asarray(value, dtype=np.float64)


def run(case, verbose=False, traced=None):
    """Run ``case`` in Keras; return a Trace of Keras's own numbers (float64 copies).
    ``traced``: True or False to choose the traced graph or the eager run (a masked
    case is always eager); by default, traced once its shape has run TRACE_AFTER times."""
    keras = _import_keras(verbose)
    inputs, kwargs = _call_args(case)
    built = _layers(keras, case)
    built.runs += 1
    if traced is None:
        traced = built.runs > TRACE_AFTER
    if traced and case.mask is None:
        from . import keras_traced     # a shape seen many times: one traced graph
        trace = keras_traced.run(built, case, inputs, kwargs)
    else:
        trace = _run_recorded(case, built, inputs, kwargs)
    if _fused_kernel_possible():
        _check_plain_layer(case, built, trace, inputs, kwargs)
    return trace


def _run_recorded(case, built, inputs, kwargs):
    """Keras's RNN loop over the recording cell, eagerly: the cell's log holds every
    step's inputs, states and activation calls as Keras computed them."""
    built.recorded.set_weights(_weights(case))
    built.log.calls.clear()
    built.log.steps.clear()
    sequence, *final = (_as64(v) for v in built.recorded(inputs, **kwargs))
    trace = _trace_from_steps(case, built.log.steps[-case.steps:],
                              dict(zip(case.cell.states, final)), sequence)
    _check_carried_states(case, trace)
    return trace


# After this many runs of one shape of layer, its cases run as one traced graph: tracing
# costs ~15 eager runs, and a suite of same-shaped cases repays it many times over.
TRACE_AFTER = 8


def _fused_kernel_possible():
    """On a GPU, keras.layers.LSTM/GRU may run cuDNN's fused kernel instead of its cell
    (keras/src/backend/tensorflow/rnn.py: cudnn_ok needs a GPU); then the plain layer is
    run too and must agree.  Without one, the layer's call is Keras's RNN loop over its
    cell, which is what the recording run is (tests/test_keras_capture.py checks it)."""
    global _GPU
    if _GPU is None:
        import tensorflow as tf
        _GPU = bool(tf.config.list_logical_devices("GPU"))
    return _GPU


_GPU = None


class _Built:
    """The Keras layers for one shape of case (cell, options, input_dim), built once:
    each run replaces all their weights with set_weights, and none keeps state between
    calls (not stateful, no dropout)."""

    def __init__(self, keras, case, options, rnn_options):
        # the shape only: holding the first case would keep its arrays for the cache's life
        self.keras, self.options, self.rnn_options = keras, options, rnn_options
        self.layer_name, self.input_dim = case.cell.keras_layer, case.input_dim
        self.log = _Log()
        cell = _recording_cell_class(keras, case.cell)(**options, log=self.log)
        self.recorded = keras.layers.RNN(cell, **rnn_options, dtype=case.dtype)
        self.recorded.build((None, None, case.input_dim))
        self.runs = 0
        self.traced = None          # keras_traced's graph, once this shape repeats
        self._plain = None

    @property
    def plain(self):
        """The real layer (keras.layers.LSTM, GRU, SimpleRNN) with the same options."""
        if self._plain is None:
            self._plain = getattr(self.keras.layers, self.layer_name)(
                **self.options, **self.rnn_options)
            self._plain.build((None, None, self.input_dim))
        return self._plain


_LAYERS = {}        # _Built by options; a suite of same-shaped cases builds them once
_MAX_LAYERS = 64


def _layers(keras, case):
    """The built layers for the case's cell, options and input_dim (~6 ms to build)."""
    options = _layer_options(case)
    rnn_options = dict(return_sequences=True, return_state=True,
                       go_backwards=case.go_backwards,
                       zero_output_for_mask=case.zero_output_for_mask)
    key = (case.cell.name, tuple(options.items()), tuple(rnn_options.items()),
           case.input_dim)
    if key not in _LAYERS:
        if len(_LAYERS) >= _MAX_LAYERS:
            del _LAYERS[next(iter(_LAYERS))]
        _LAYERS[key] = _Built(keras, case, options, rnn_options)
    return _LAYERS[key]


_RECORDING = {}


def _recording_cell_class(keras, description):
    """Keras's own cell class for ``description``, unchanged but remembering each call's
    inputs, states and the values its activations saw and returned."""
    if description.name in _RECORDING:
        return _RECORDING[description.name]
    base = getattr(keras.layers, description.keras_cell)

    class RecordingCell(base):
        def __init__(self, log, **options):
            super().__init__(**options)
            self.log = log
            self.activation = _Recorder(self.activation, "activation", log)
            if description.has_recurrent_activation:
                self.recurrent_activation = _Recorder(self.recurrent_activation,
                                                      "recurrent", log)

        def call(self, inputs, states, training=False):
            # Keras calls the cell once more than there are steps (a first call to learn
            # the output's shape); the caller keeps the last T calls.
            start = len(self.log.calls)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            output, new_states = super().call(inputs, states, training=training)
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) \
                else [new_states]
            self.log.steps.append(dict(x=inputs, prev=states, new=new_states,
                                       calls=self.log.calls[start:]))
            return output, new_states

    RecordingCell.__name__ = f"Recording{description.keras_cell}"
    _RECORDING[description.name] = RecordingCell
    return RecordingCell


def _gates(cell, calls):
    """{quantity: value} from one step's activation calls, in the cell's call order."""
    roles = [role for role, _, _ in calls]
    if roles != [role for role, _, _ in cell.keras_calls]:
        raise KerasMismatch(f"Keras's {cell.keras_cell} called its activations in an "
                            f"unexpected order ({roles}); the gate capture needs updating "
                            "for this Keras version")
    gates = {}
    for (_, fed, returned), (_, z, value) in zip(cell.keras_calls, calls):
        if fed:
            gates[fed] = z
        if returned:
            gates[returned] = value
    return gates


def _trace_from_steps(case, steps, final, sequence):
    """Per-step Keras values. States after step t are the states Keras fed into step t+1
    (after its mask handling); after the last step they are the layer's returned states."""
    cell = case.cell
    gates = [_gates(cell, step["calls"]) for step in steps]
    stack = lambda values: np.stack([_as64(v) for v in values])  # noqa: E731
    mask = np.ones((case.steps, case.batch), bool) if case.mask is None else case.mask.T
    if case.go_backwards:
        mask = mask[::-1]
    per_step = {name: stack(g[name] for g in gates) for name in gates[0]}
    for n, name in enumerate(cell.states):
        per_step[f"{name}_prev"] = stack(s["prev"][n] for s in steps)
        per_step[name] = stack([s["prev"][n] for s in steps[1:]] + [final[name]])
    return Trace(cell=cell, x=stack(s["x"] for s in steps), masked=~mask, steps=per_step,
                 sequence=sequence, final=final,
                 cell_states={name: stack(s["new"][n] for s in steps)
                              for n, name in enumerate(cell.states)})


def _tolerance(case):
    return dict(rtol=1e-6, atol=1e-6) if case.dtype == "float32" else dict(rtol=1e-12,
                                                                           atol=1e-12)


def _check_plain_layer(case, built, trace, inputs, kwargs):
    """The real layer's outputs must be the recording run's."""
    built.plain.set_weights(_weights(case))
    sequence, *final = (_as64(v) for v in built.plain(inputs, **kwargs))
    checks = [("sequence", trace.sequence, sequence)]
    checks += [(f"final {name}", trace.final[name], value)
               for name, value in zip(case.cell.states, final)]
    _agree(case, checks, f"differs from keras.layers.{case.cell.keras_layer}'s")


def _check_carried_states(case, trace):
    """Each unmasked step's cell output must be the state Keras carried on (the eager
    log's two records of it; the traced graph has one, its cell's output)."""
    live = ~trace.masked
    _agree(case, [(f"per-step {name}", trace.cell_states[name][live],
                   trace.steps[name][live]) for name in case.cell.states],
           "differs from the state Keras carried on")


def _agree(case, checks, what_differs):
    for what, recorded, other in checks:
        if not np.allclose(recorded, other, equal_nan=True, **_tolerance(case)):
            worst = float(np.nanmax(np.abs(recorded - other)))
            raise KerasMismatch(f"the gate capture's {what} {what_differs} by up to "
                                f"{worst:.3g} in case {case.name}")
