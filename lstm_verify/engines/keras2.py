"""Keras 2 as an engine: ``verify --against keras2``.

The ``tf-keras`` package is Keras 2 (``tf.keras`` up to TensorFlow 2.15) on today's
TensorFlow.  It imports beside Keras 3 in one process (measured with tf-keras 2.21.0 and
Keras 3.15: each keeps its own layers), so it runs here, in the verifier's process,
with TensorFlow already loaded, through ``tf_keras.layers.LSTM``, ``GRU`` or
``SimpleRNN`` with the case's weights and options.

Keras 2's ``hard_sigmoid`` is 0.2x + 0.5 clipped to [0, 1]; Keras 3's (the reference's)
is x/6 + 0.5.  Where a case uses it, Keras 2 differs from the reference by definition:
the difference is reported as that, and Keras 2 is also checked against the reference
recomputed with its own hard_sigmoid, which it must match.
"""

from dataclasses import replace

import numpy as np

from .. import forward

HARD_SIGMOID = "hard_sigmoid"


def keras2_hard_sigmoid(x):
    # Keras 2 (and TF 1): 0.2x + 0.5 clipped; Keras 3 uses x/6 + 0.5.
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def hard_sigmoid_options(case):
    """The case's options that name hard_sigmoid (activation, recurrent_activation)."""
    options = ["activation"]
    if case.cell.has_recurrent_activation:
        options.append("recurrent_activation")
    return [key for key in options if getattr(case, key) == HARD_SIGMOID]


def keras2_reference(case):
    """The reference trace with Keras 2's hard_sigmoid wherever the case uses it."""
    a = forward.arithmetic_of(case)
    where = hard_sigmoid_options(case)
    if "activation" in where:
        a = replace(a, activation=keras2_hard_sigmoid,
                    cell_activation=keras2_hard_sigmoid if a.cell_activation else None)
    if "recurrent_activation" in where:
        a = replace(a, recurrent_activation=keras2_hard_sigmoid)
    return forward.run(case, arithmetic=a)


def unsupported(case):
    """Why tf_keras cannot build this case's layer (an activation Keras 2 lacks), or None."""
    import tf_keras
    for key in ("activation", "recurrent_activation"):
        name = getattr(case, key) if key == "activation" or case.cell.has_recurrent_activation \
            else None
        if name is None:
            continue
        try:
            tf_keras.activations.get(name)
        except (ValueError, TypeError):
            return f"Keras 2 has no activation '{name}' ({key})"
    return None


def run_keras2(case):
    """({state: (B, U)}, sequence (B, T, U), version) from the case's tf_keras layer."""
    import tensorflow as tf
    import tf_keras

    options = {"units": case.units, "activation": case.activation, "use_bias": case.use_bias,
               "go_backwards": case.go_backwards,
               "zero_output_for_mask": case.zero_output_for_mask, "dtype": case.dtype}
    if case.cell.has_recurrent_activation:
        options["recurrent_activation"] = case.recurrent_activation
    options.update({key: getattr(case, key) for key in case.cell.options})   # reset_after
    layer = getattr(tf_keras.layers, case.cell.keras_layer)(
        **options, return_sequences=True, return_state=True)
    inputs = tf.constant(case.inputs, dtype=case.dtype)   # Keras 2 wants tensors, not numpy
    layer.build(inputs.shape)
    weights = [case.kernel, case.recurrent_kernel] + ([case.bias] if case.use_bias else [])
    layer.set_weights([np.asarray(w, dtype=case.dtype) for w in weights])
    states = case.cell.states
    kwargs = {"initial_state": [tf.constant(case.initial_state[s], dtype=case.dtype)
                                for s in states]}
    if case.mask is not None:
        kwargs["mask"] = tf.constant(case.mask, dtype=tf.bool)
    sequence, *final = (np.asarray(v, dtype=np.float64) for v in layer(inputs, **kwargs))
    version = f"Keras 2 (tf_keras {tf_keras.__version__}) on TensorFlow {tf.__version__}"
    return dict(zip(states, final)), sequence, version


def judge_keras2(case, reference, final, sequence, version, judge_engine):
    """Keras 2 against the reference; where hard_sigmoid is used and they differ, against
    the reference with Keras 2's hard_sigmoid, which Keras 2 must match."""
    outcome = judge_engine("keras2", case, reference, final, sequence, version, case.dtype)
    where = hard_sigmoid_options(case)
    if outcome.status == "pass" or not where:
        return outcome
    own = judge_engine("keras2", case, keras2_reference(case), final, sequence, version,
                       case.dtype)
    on = " and ".join(where)
    if own.status != "pass":
        outcome.note = (f"differs even from the reference recomputed with Keras 2's "
                        f"hard_sigmoid on {on} (max |diff| "
                        f"{max(own.max_abs_diff.values()):.2g})")
        return outcome
    outcome.status = "definition"
    outcome.note = (f"differs where hard_sigmoid is used ({on}): Keras 2 defines it as "
                    "0.2x + 0.5 clipped, Keras 3 as x/6 + 0.5; the Keras 2 definition, not "
                    "a bug (with it, the reference agrees: max |diff| "
                    f"{max(own.max_abs_diff.values()):.2g})")
    return outcome
