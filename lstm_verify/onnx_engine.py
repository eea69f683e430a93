"""The ``onnxruntime`` engine: a case as a one-node ONNX ``LSTM`` model run by ONNX Runtime.

The model is built with onnx.helper: the weights in ONNX's layout (layouts.py) as
initializers, X [T, B, F], initial_h and initial_c [1, B, U], the case's activations
mapped to ONNX's, and go_backwards as ``direction: reverse``.  onnx and onnxruntime are
imported only when a model is built or run.
"""

import numpy as np

from . import layouts

# Keras activation -> (ONNX name, alpha, beta); Affine(1, 0) is the identity.
ONNX_ACTIVATIONS = {None: ("Affine", 1.0, 0.0), "linear": ("Affine", 1.0, 0.0),
                    "sigmoid": ("Sigmoid", None, None), "tanh": ("Tanh", None, None),
                    "relu": ("Relu", None, None),
                    # Keras 3: x/6 + 0.5; ONNX's HardSigmoid defaults are Keras 2's 0.2, 0.5
                    "hard_sigmoid": ("HardSigmoid", 1 / 6, 0.5),
                    "softsign": ("Softsign", None, None), "softplus": ("Softplus", None, None),
                    "elu": ("Elu", 1.0, None), "leaky_relu": ("LeakyRelu", 0.2, None)}


def onnx_unsupported(case):
    for key in ("recurrent_activation", "activation"):
        name = getattr(case, key)
        if name not in ONNX_ACTIVATIONS:
            return (f"ONNX's LSTM has no activation matching Keras's {name} ({key}); it has "
                    "Sigmoid, Tanh, Relu, HardSigmoid, Affine, Elu, LeakyRelu, Softsign, "
                    "Softplus")
    if case.mask is not None and not case.mask.all():   # an all-true mask changes nothing
        if right_padded_lengths(case) is None:
            return ("ONNX's LSTM expresses a mask only as sequence_lens: right padding "
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


def onnx_model(case):
    """A one-node ONNX LSTM model with the case's weights as initializers."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    B, T, F, U = case.batch, case.steps, case.input_dim, case.units
    weights = layouts.export("onnx", layouts.Weights(case.kernel, case.recurrent_kernel,
                                                     case.bias))
    # f (gates), g (candidate), h (applied to c): Keras's rec, act, act
    names, alphas, betas = [], [], []
    for key in ("recurrent_activation", "activation", "activation"):
        name, alpha, beta = ONNX_ACTIVATIONS[getattr(case, key)]
        names.append(name)
        # ONNX Runtime consumes activation_alpha/beta only for the activations that take
        # them, in order (measured): so list only those, never a placeholder
        alphas += [] if alpha is None else [alpha]
        betas += [] if beta is None else [beta]
    attributes = dict(hidden_size=U, activations=names,
                      direction="reverse" if case.go_backwards else "forward")
    if alphas:
        attributes["activation_alpha"] = alphas
    if betas:
        attributes["activation_beta"] = betas
    inputs = ["X", "W", "R", "B" if case.use_bias else "", "sequence_lens" if
              case.mask is not None else "", "initial_h", "initial_c"]
    node = helper.make_node("LSTM", inputs, ["Y", "Y_h", "Y_c"], **attributes)
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        [node], "lstm_verify_case",
        [helper.make_tensor_value_info("X", f32, [T, B, F]),
         helper.make_tensor_value_info("initial_h", f32, [1, B, U]),
         helper.make_tensor_value_info("initial_c", f32, [1, B, U])]
        + ([helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [B])]
           if case.mask is not None else []),
        [helper.make_tensor_value_info("Y", f32, [T, 1, B, U]),
         helper.make_tensor_value_info("Y_h", f32, [1, B, U]),
         helper.make_tensor_value_info("Y_c", f32, [1, B, U])],
        initializer=[numpy_helper.from_array(v.astype(np.float32), k)
                     for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)],
                              ir_version=8)
    onnx.checker.check_model(model)
    return model


def run_onnxruntime(case):
    """(h, c, sequence, version) from ONNX Runtime's LSTM (float32: its CPU kernel has no
    float64; the note says so)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.log_severity_level = 1, 3
    session = ort.InferenceSession(onnx_model(case).SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    feeds = {"X": np.swapaxes(case.inputs, 0, 1).astype(np.float32),      # (T, B, F)
             "initial_h": case.h0[None].astype(np.float32),
             "initial_c": case.c0[None].astype(np.float32)}
    if case.mask is not None:
        feeds["sequence_lens"] = case.mask.sum(axis=1).astype(np.int32)
    Y, Y_h, Y_c = session.run(None, feeds)              # Y (T, 1, B, U)
    sequence = np.swapaxes(Y[:, 0], 0, 1).astype(np.float64)                # (B, T, U)
    if case.go_backwards:   # ONNX's reverse direction keeps Y in input order
        sequence = sequence[:, ::-1]
    return (Y_h[0].astype(np.float64), Y_c[0].astype(np.float64), sequence,
            f"onnxruntime {ort.__version__}")
