"""The backward pass in TensorFlow: tf.GradientTape through the real Keras layer.

Like keras_run (whose built layers it shares), two runs with the case's weights:

1. the real layer (keras.layers.LSTM, GRU or SimpleRNN) under a gradient tape gives the
   gradients of the loss with respect to kernel, recurrent_kernel, bias, the inputs and
   the initial state;
2. Keras's own cell in Keras's own RNN loop, with its activations recording the tensors
   Keras fed them and got back, under the same kind of tape, gives the gradients with
   respect to the very gate values Keras computed at each step (never a re-derivation).
   Its weight gradients must equal the real layer's.

The loss is L = Σ upstream·outputs (or ½·Σ(output − target)² for a squared-error case),
a sum, never a mean.  TensorFlow is imported here and in keras_run only.
"""

import numpy as np

from .backward import Gradients
from .keras_run import KerasMismatch, _as64, _call_args, _import_keras, _layers, _weights


def _loss(tf, case, sequence, final, upstream):
    loss = (case.backward or {}).get("loss")
    if loss is not None:
        produced = sequence if loss["of"] == "sequence" else final["h"]
        return 0.5 * tf.reduce_sum((produced - loss["target"].astype(case.dtype)) ** 2)
    total = tf.reduce_sum(sequence * upstream["sequence"].astype(case.dtype))
    for name, value in final.items():
        total += tf.reduce_sum(value * upstream[name].astype(case.dtype))
    return total


def _grad(tape, loss, tensor):
    g = tape.gradient(loss, tensor)
    return np.zeros(tensor.shape) if g is None else _as64(g)


def run(case, upstream, verbose=False):
    """Gradients of the case's loss as TensorFlow computes them through the real layer.
    ``upstream``: dL/d(outputs) as backward.upstream_of gives them (used unless the case
    has a loss of its own)."""
    keras = _import_keras(verbose)
    import tensorflow as tf

    states = case.cell.states
    inputs, kwargs = _call_args(case)
    x = tf.constant(inputs)
    initial = [tf.constant(s) for s in kwargs.pop("initial_state")]
    built = _layers(keras, case)
    layer, recorded, log = built.plain, built.recorded, built.log

    layer.set_weights(_weights(case))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        tape.watch(initial)
        sequence, *final = layer(x, initial_state=initial, **kwargs)
        loss = _loss(tf, case, sequence, dict(zip(states, final)), upstream)
    cell = layer.cell
    weights = {"kernel": _grad(tape, loss, cell.kernel),
               "recurrent_kernel": _grad(tape, loss, cell.recurrent_kernel)}
    if case.use_bias:
        weights["bias"] = _grad(tape, loss, cell.bias)
    inputs_grad = _grad(tape, loss, x)
    initial_grad = {s: _grad(tape, loss, t) for s, t in zip(states, initial)}
    del tape

    recorded.set_weights(_weights(case))
    log.calls.clear()
    log.steps.clear()
    with tf.GradientTape(persistent=True) as tape:
        rec_sequence, *rec_final = recorded(x, initial_state=initial, **kwargs)
        rec_loss = _loss(tf, case, rec_sequence, dict(zip(states, rec_final)), upstream)
    steps = _step_gradients(case, tape, rec_loss, log.steps[-case.steps:], rec_final)
    _check_weights(case, tape, rec_loss, recorded.cell, weights)
    del tape
    if not case.use_bias:
        weights["bias"] = None
    return Gradients(steps=steps, weights=weights, inputs=inputs_grad,
                     initial_state=initial_grad)


def _step_gradients(case, tape, loss, steps, final):
    """Per processing step: dL/d(each gate value Keras computed) and dL/d(each
    pre-activation), and the whole gradient of each state after the step."""
    cell = case.cell
    mask = np.ones((case.steps, case.batch), bool) if case.mask is None else case.mask.T
    if case.go_backwards:
        mask = mask[::-1]
    out = {}
    for k, step in enumerate(steps):
        grads = {}
        for (_, fed, returned), (_, z, value) in zip(cell.keras_calls, step["calls"]):
            if fed:
                grads[f"d{fed}"] = _grad(tape, loss, z)
            if returned and f"d{returned}" not in grads:
                grads[f"d{returned}"] = _grad(tape, loss, value)
        # a state's whole gradient: through the cell's own output where the step ran,
        # through the carried state (the next step's input, or the returned state) where
        # it was masked
        carried = steps[k + 1]["prev"] if k + 1 < len(steps) else final
        for n, name in enumerate(cell.states):
            own = _grad(tape, loss, step["new"][n])
            through = _grad(tape, loss, carried[n])
            grads[f"d{name}"] = np.where(mask[k][:, None], own, through)
        grads.pop("dact_c", None)   # LSTM: act(c)'s input is c itself, counted in dc
        for name, value in grads.items():
            out.setdefault(name, []).append(value)
    return {name: np.stack(values) for name, values in out.items()}


def _check_weights(case, tape, loss, cell, layer_weights):
    """The recording run's weight gradients must be the real layer's."""
    tol = dict(rtol=1e-5, atol=1e-5) if case.dtype == "float32" else dict(rtol=1e-10,
                                                                         atol=1e-10)
    own = {"kernel": cell.kernel, "recurrent_kernel": cell.recurrent_kernel}
    if case.use_bias:
        own["bias"] = cell.bias
    for name, variable in own.items():
        got, want = _grad(tape, loss, variable), layer_weights[name]
        if not np.allclose(got, want, equal_nan=True, **tol):
            worst = float(np.nanmax(np.abs(got - want)))
            raise KerasMismatch(f"the gate capture's gradient of {name} differs from "
                                f"keras.layers.{case.cell.keras_layer}'s by up to "
                                f"{worst:.3g} in case {case.name}")
