"""The ``onnxruntime`` engine: a case as a one-node ONNX ``LSTM``, ``GRU`` or ``RNN`` model
run by ONNX Runtime.

The model is built with onnx.helper: the weights in ONNX's layout (layouts/onnx.py) as
initializers, X [T, B, F], one initial_<state> [1, B, U] per state of the cell, the
case's activations mapped to ONNX's, the GRU's reset_after as ``linear_before_reset``,
and go_backwards as ``direction: reverse``.  onnx and onnxruntime are imported only
when a model is built or run.
"""

import numpy as np

from ..case import layouts

# Keras activation -> (ONNX name, alpha, beta); Affine(1, 0) is the identity.
ONNX_ACTIVATIONS = {None: ("Affine", 1.0, 0.0), "linear": ("Affine", 1.0, 0.0),
                    "sigmoid": ("Sigmoid", None, None), "tanh": ("Tanh", None, None),
                    "relu": ("Relu", None, None),
                    # Keras 3: x/6 + 0.5; ONNX's HardSigmoid defaults are Keras 2's 0.2, 0.5
                    "hard_sigmoid": ("HardSigmoid", 1 / 6, 0.5),
                    "softsign": ("Softsign", None, None), "softplus": ("Softplus", None, None),
                    "elu": ("Elu", 1.0, None), "leaky_relu": ("LeakyRelu", 0.2, None)}

# by Keras layer (Cell.keras_layer): the ONNX operator, and the case's option behind each
# of its activations, in the order of its ``activations`` attribute
ONNX_OPS = {"LSTM": ("LSTM", ("recurrent_activation", "activation", "activation")),  # f g h
            "GRU": ("GRU", ("recurrent_activation", "activation")),                  # f g
            "SimpleRNN": ("RNN", ("activation",))}                                   # f


def onnx_op(case):
    return ONNX_OPS[case.cell.keras_layer][0]


def onnx_unsupported(case):
    op, slots = ONNX_OPS[case.cell.keras_layer]
    for key in dict.fromkeys(slots):
        name = getattr(case, key)
        if name not in ONNX_ACTIVATIONS:
            return (f"ONNX's {op} has no activation matching Keras's {name} ({key}); it has "
                    "Sigmoid, Tanh, Relu, HardSigmoid, Affine, Elu, LeakyRelu, Softsign, "
                    "Softplus")
    if case.mask is not None and not case.mask.all():   # an all-true mask changes nothing
        if right_padded_lengths(case) is None:
            return (f"ONNX's {op} expresses a mask only as sequence_lens: right padding "
                    "(true... then false..., at least one true) with zero_output_for_mask: "
                    "true and no go_backwards; this case's mask is beyond that")
    return None


def right_padded_lengths(case):
    """Each sequence's length when the mask is right padding (true... then false..., at
    least one true) with zero_output_for_mask and no go_backwards, else None: then, and
    only then, Keras's mask means what a sequence length means to ONNX and torch (steps
    past the end output zeros and leave the final state alone)."""
    lengths = case.mask.sum(axis=1)
    prefix = (case.mask == (np.arange(case.steps) < lengths[:, None])).all()
    if prefix and lengths.min() >= 1 and case.zero_output_for_mask and not case.go_backwards:
        return lengths
    return None


def _activations(slots, case):
    """The ``activations`` attribute, and alpha/beta for those that take them."""
    names, alphas, betas = [], [], []
    for key in slots:
        name, alpha, beta = ONNX_ACTIVATIONS[getattr(case, key)]
        names.append(name)
        # ONNX Runtime consumes activation_alpha/beta only for the activations that take
        # them, in order (measured): so list only those, never a placeholder
        alphas += [] if alpha is None else [alpha]
        betas += [] if beta is None else [beta]
    attributes = {"activations": names}
    if alphas:
        attributes["activation_alpha"] = alphas
    if betas:
        attributes["activation_beta"] = betas
    return attributes


def onnx_model(case):
    """A one-node ONNX model of the case's cell with its weights as initializers."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    B, T, F, U = case.batch, case.steps, case.input_dim, case.units
    op, slots = ONNX_OPS[case.cell.keras_layer]
    weights = layouts.export("onnx", layouts.Weights.of_case(case))
    # linear_before_reset is the operator's attribute, not an input
    attributes = {key: weights.pop(key) for key in ("linear_before_reset",) if key in weights}
    attributes.update(_activations(slots, case), hidden_size=U,
                      direction="reverse" if case.go_backwards else "forward")
    states = case.cell.states
    inputs = ["X", "W", "R", "B" if case.use_bias else "",
              "sequence_lens" if case.mask is not None else ""]
    inputs += [f"initial_{s}" for s in states]
    node = helper.make_node(op, inputs, ["Y"] + [f"Y_{s}" for s in states], **attributes)
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        [node], "lstm_verify_case",
        [helper.make_tensor_value_info("X", f32, [T, B, F])]
        + [helper.make_tensor_value_info(f"initial_{s}", f32, [1, B, U]) for s in states]
        + ([helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [B])]
           if case.mask is not None else []),
        [helper.make_tensor_value_info("Y", f32, [T, 1, B, U])]
        + [helper.make_tensor_value_info(f"Y_{s}", f32, [1, B, U]) for s in states],
        initializer=[numpy_helper.from_array(v.astype(np.float32), k)
                     for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)],
                              ir_version=8)
    onnx.checker.check_model(model)
    return model


def run_onnxruntime(case):
    """({state: (B, U)}, sequence (B, T, U), version) from ONNX Runtime (float32: its
    CPU kernels have no float64; the note says so)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = 1, 3
    session = ort.InferenceSession(onnx_model(case).SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    states = case.cell.states
    feeds = {"X": np.swapaxes(case.inputs, 0, 1).astype(np.float32)}      # (T, B, F)
    feeds.update({f"initial_{s}": case.initial_state[s][None].astype(np.float32)
                  for s in states})
    if case.mask is not None:
        feeds["sequence_lens"] = case.mask.sum(axis=1).astype(np.int32)
    Y, *finals = session.run(None, feeds)                # Y (T, 1, B, U)
    sequence = np.swapaxes(Y[:, 0], 0, 1).astype(np.float64)                # (B, T, U)
    if case.go_backwards:   # ONNX's reverse direction keeps Y in input order
        sequence = sequence[:, ::-1]
    return ({s: f[0].astype(np.float64) for s, f in zip(states, finals)}, sequence,
            f"onnxruntime {ort.__version__}")
