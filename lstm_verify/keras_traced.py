"""The gate capture as one traced TensorFlow graph, for a shape of layer seen many times.

keras_run records gates on the Python side, which works only eagerly (~6 ms a small
case).  Here the same recording cell also returns, as extra columns of each step's
output, every value its activations were fed and returned and its new states; Keras's
own RNN loop stacks them like any output, so one ``tf.function`` call per case (~0.5 ms
once traced) gives the whole trace.  Cases with a mask stay eager: a masked step's
output is replaced by the previous one, and its gates with it.  Tested equal to the
eager capture for every cell and option (tests/test_keras_capture.py).
"""

import numpy as np

from .forward import Trace
from .keras_run import KerasMismatch, _as64, _gates, _recording_cell_class, _weights


def run(built, case, inputs, kwargs):
    """Like keras_run's eager run of ``built.recorded``, through the traced graph."""
    if built.traced is None:
        built.traced = _Traced(built, case)
    return built.traced(case, inputs, kwargs["initial_state"])


class _Traced:
    def __init__(self, built, case):
        import tensorflow as tf

        keras, description = built.keras, case.cell
        base = _recording_cell_class(keras, description)
        self.names = []               # the extra columns, in order, set while tracing

        traced = self

        class CapturingCell(base):
            def call(self, inputs, states, training=False):
                start = len(self.log.calls)
                output, new_states = super().call(inputs, states, training=training)
                gates = _gates(description, self.log.calls[start:])
                traced.names = list(gates)
                return keras.ops.concatenate(
                    [output, *gates.values(), *new_states], axis=-1), new_states

        cell = CapturingCell(**built.options, log=built.log)
        self.layer = keras.layers.RNN(cell, **built.rnn_options, dtype=case.dtype)
        self.layer.build((None, None, case.input_dim))
        spec = tf.TensorSpec
        self.graph = tf.function(
            lambda x, *initial: self.layer(x, initial_state=list(initial)),
            input_signature=[spec((None, None, case.input_dim), case.dtype)]
            + [spec((None, case.units), case.dtype)] * len(description.states))

    def __call__(self, case, inputs, initial):
        self.layer.set_weights(_weights(case))
        columns, *final = (_as64(v) for v in self.graph(inputs, *initial))
        return _trace_from_columns(case, self.names, columns, final, inputs, initial)


def _trace_from_columns(case, names, columns, final, inputs, initial):
    """The Trace keras_run builds from its log, from the stacked columns instead:
    (B, T, U · (1 + gates + states)), in processing order."""
    cell, u = case.cell, case.units
    blocks = np.split(columns, columns.shape[-1] // u, axis=-1)   # each (B, T, U)
    per_step = {name: np.swapaxes(block, 0, 1) for name, block in zip(names, blocks[1:])}
    new = {s: np.swapaxes(b, 0, 1) for s, b in zip(cell.states, blocks[1 + len(names):])}
    if len(names) + 1 + len(cell.states) != len(blocks):
        raise KerasMismatch(f"the traced gate capture returned {len(blocks)} blocks of "
                            f"{u} columns for case {case.name}, expected "
                            f"{1 + len(names) + len(cell.states)}")
    x = np.swapaxes(_as64(inputs), 0, 1)                                # (T, B, F)
    if case.go_backwards:
        x = x[::-1]
    for name, start in zip(cell.states, initial):
        per_step[f"{name}_prev"] = np.concatenate([_as64(start)[None], new[name][:-1]])
        per_step[name] = new[name]
    return Trace(cell=cell, x=x, masked=np.zeros((case.steps, case.batch), bool),
                 steps=per_step, sequence=blocks[0],
                 final=dict(zip(cell.states, final)), cell_states=new)
