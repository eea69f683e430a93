"""Run a case through a real ``keras.layers.LSTM`` and record the gates Keras computed.

The only module that imports TensorFlow/Keras; import it lazily (TensorFlow takes
seconds to start).  Two runs share the case's weights:

1. the real layer, ``keras.layers.LSTM(return_sequences=True, return_state=True)``,
   gives the sequence and the final h and c;
2. Keras's own ``LSTMCell`` inside Keras's own ``RNN`` loop, with the activation
   functions wrapped so each records what Keras fed it and what it returned, gives
   the per-step gates.  Its outputs must equal the real layer's, so the gates shown
   are the ones behind the layer's answer, not a re-derivation.
"""

import importlib.util
import os

import numpy as np

from .errors import CaseError
from .reference import Trace


class KerasMismatch(Exception):
    """The instrumented cell disagrees with the real layer (a bug here or in Keras)."""


def _import_keras(verbose=False):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec(
            "tensorflow") is None:
        raise CaseError("this command runs a real keras.layers.LSTM, but TensorFlow/Keras is "
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
    """Wraps an activation; logs (role, input, output) for every call."""

    def __init__(self, fn, role, log):
        self.fn, self.role, self.log = fn, role, log
        self.__name__ = getattr(fn, "__name__", role)

    def __call__(self, x):
        y = self.fn(x)
        self.log.calls.append((self.role, np.asarray(x, np.float64), np.asarray(y, np.float64)))
        return y


def _layer_options(case):
    # The case's weights replace the initial ones (set_weights), so zero initialisers:
    # the default orthogonal one costs a QR decomposition per layer, ~15 ms a case.
    return dict(units=case.units, activation=case.activation,
                recurrent_activation=case.recurrent_activation, use_bias=case.use_bias,
                kernel_initializer="zeros", recurrent_initializer="zeros",
                bias_initializer="zeros", dtype=case.dtype)


def _weights(case):
    weights = [case.kernel, case.recurrent_kernel]
    if case.use_bias:
        weights.append(case.bias)
    return [w.astype(case.dtype) for w in weights]


def _call_args(case):
    inputs = case.inputs.astype(case.dtype)
    kwargs = {"initial_state": [case.h0.astype(case.dtype), case.c0.astype(case.dtype)]}
    if case.mask is not None:
        kwargs["mask"] = case.mask
    return inputs, kwargs


def run(case, verbose=False):
    """Run ``case`` in Keras; return a Trace of Keras's own numbers (float64 copies)."""
    keras = _import_keras(verbose)
    inputs, kwargs = _call_args(case)
    layer, recorded, log = _layers(keras, case)

    layer.set_weights(_weights(case))
    sequence, final_h, final_c = (np.asarray(v, dtype=np.float64)
                                  for v in layer(inputs, **kwargs))

    recorded.set_weights(_weights(case))
    log.calls.clear()
    log.steps.clear()
    rec_sequence, rec_h, rec_c = (np.asarray(v, dtype=np.float64)
                                  for v in recorded(inputs, **kwargs))

    trace = _trace_from_steps(case, log.steps[-case.steps:], final_h, final_c, sequence)
    _check_agreement(case, trace, rec_sequence, rec_h, rec_c)
    return trace


_LAYERS = {}        # built layers by options; a suite of same-shaped cases builds them once
_MAX_LAYERS = 16


def _layers(keras, case):
    """The real LSTM layer and the recording RNN for the case's options and input_dim.
    Building both costs ~12 ms; each run replaces all their weights with set_weights, and
    neither keeps state between calls (not stateful, no dropout)."""
    options = _layer_options(case)
    rnn_options = dict(return_sequences=True, return_state=True,
                       go_backwards=case.go_backwards,
                       zero_output_for_mask=case.zero_output_for_mask)
    key = (tuple(options.items()), tuple(rnn_options.items()), case.input_dim)
    if key not in _LAYERS:
        if len(_LAYERS) >= _MAX_LAYERS:
            del _LAYERS[next(iter(_LAYERS))]
        layer = keras.layers.LSTM(**options, **rnn_options)
        layer.build((None, None, case.input_dim))
        log = _Log()
        cell = _recording_cell_class(keras)(**options, log=log)
        recorded = keras.layers.RNN(cell, **rnn_options, dtype=case.dtype)
        recorded.build((None, None, case.input_dim))
        _LAYERS[key] = layer, recorded, log
    return _LAYERS[key]


def _recording_cell_class(keras):
    class RecordingLSTMCell(keras.layers.LSTMCell):
        """Keras's LSTMCell, unchanged, but remembering each call's inputs and gates."""

        def __init__(self, log, **options):
            super().__init__(**options)
            self.log = log
            self.activation = _Recorder(self.activation, "activation", log)
            self.recurrent_activation = _Recorder(self.recurrent_activation, "recurrent", log)

        def call(self, inputs, states, training=False):
            # Keras calls the cell once more than there are steps (a first call to learn
            # the output's shape); the caller keeps the last T calls.
            start = len(self.log.calls)
            h, (h_state, c_state) = super().call(inputs, states, training=training)
            self.log.steps.append(dict(x=inputs, h_prev=states[0], c_prev=states[1], h=h,
                                       c=c_state, calls=self.log.calls[start:]))
            return h, [h_state, c_state]

    return RecordingLSTMCell


# The order in which LSTMCell calls its activations within one step:
# i = rec(z0), f = rec(z1), c~ = act(z2), o = rec(z3), then act(c) for h.
_CALL_ORDER = (("recurrent", "z_i", "i"), ("recurrent", "z_f", "f"),
               ("activation", "z_c", "c_tilde"), ("recurrent", "z_o", "o"),
               ("activation", "c", "act_c"))


def _gates(calls):
    roles = [role for role, _, _ in calls]
    if roles != [role for role, _, _ in _CALL_ORDER]:
        raise KerasMismatch(f"Keras's LSTMCell called its activations in an unexpected order "
                            f"({roles}); the gate capture needs updating for this Keras version")
    gates = {}
    for (_, z_name, name), (_, z, value) in zip(_CALL_ORDER, calls):
        gates[z_name], gates[name] = z, value
    return gates


def _trace_from_steps(case, steps, final_h, final_c, sequence):
    """Per-step Keras values. States after step t are the states Keras fed into step t+1
    (after its mask handling); after the last step they are the layer's returned states."""
    gates = [_gates(step["calls"]) for step in steps]
    h_after = [step["h_prev"] for step in steps[1:]] + [final_h]
    c_after = [step["c_prev"] for step in steps[1:]] + [final_c]
    as64 = lambda values: np.stack([np.asarray(v, dtype=np.float64) for v in values])  # noqa: E731
    mask = np.ones((case.steps, case.batch), bool) if case.mask is None else case.mask.T
    if case.go_backwards:
        mask = mask[::-1]
    return Trace(
        x=as64(s["x"] for s in steps),
        **{k: as64(g[k] for g in gates) for k in ("z_i", "z_f", "z_c", "z_o",
                                                  "i", "f", "c_tilde", "o")},
        c=as64(c_after), h=as64(h_after),
        h_prev=as64(s["h_prev"] for s in steps), c_prev=as64(s["c_prev"] for s in steps),
        masked=~mask, sequence=sequence, final_h=final_h, final_c=final_c,
        cell_h=as64(s["h"] for s in steps), cell_c=as64(s["c"] for s in steps),
    )


def _check_agreement(case, trace, rec_sequence, rec_h, rec_c):
    """The instrumented run must reproduce the real layer, and each unmasked step's cell
    output must be the state Keras carried on."""
    tol = dict(rtol=1e-6, atol=1e-6) if case.dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    checks = [("sequence", rec_sequence, trace.sequence), ("final h", rec_h, trace.final_h),
              ("final c", rec_c, trace.final_c)]
    live = ~trace.masked
    checks += [("per-step h", trace.cell_h[live], trace.h[live]),
               ("per-step c", trace.cell_c[live], trace.c[live])]
    for what, recorded, layer in checks:
        if not np.allclose(recorded, layer, equal_nan=True, **tol):
            worst = float(np.nanmax(np.abs(recorded - layer)))
            raise KerasMismatch(f"the gate capture's {what} differs from keras.layers.LSTM's "
                                f"by up to {worst:.3g} in case {case.name}")
