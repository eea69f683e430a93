"""Weight layouts (layouts/): exact round trips on asymmetric weights for every cell and
layout it has, each layout read against the framework that defines it (torch.nn.LSTM/GRU/
RNN, ONNX Runtime's LSTM/GRU/RNN, TensorFlow's TF1 LSTMBlockCell op, cuDNN's documented
equations), and the LSTM layouts' errors.  `convert` is tested in test_convert.py."""

import numpy as np
import pytest
from cell_weights import CELL_LAYOUTS, case_data, load, random_keras

from lstm_verify import cells, forward
from lstm_verify.case import layouts
from lstm_verify.errors import CaseError


@pytest.mark.parametrize("cell,layout,reset_after", CELL_LAYOUTS)
@pytest.mark.parametrize("use_bias", [True, False])
def test_keras_to_layout_and_back_is_exact(cell, layout, reset_after, use_bias):
    rng = np.random.default_rng(7)
    w = random_keras(rng, use_bias=use_bias, cell=cell, reset_after=reset_after)
    # Keras's own layout cannot say reset_after: the case's top-level key does
    options = {"reset_after": reset_after} if layout == "keras" and not reset_after else {}
    case = load(case_data(layouts.export(layout, w), layout, rng, use_bias=use_bias,
                          cell=cell, **options))
    assert np.array_equal(case.kernel, w.kernel)
    assert np.array_equal(case.recurrent_kernel, w.recurrent_kernel)
    assert (case.bias is None) if not use_bias else np.array_equal(case.bias, w.keras_bias())
    assert case.reset_after == reset_after and case.cell.name == cell


def test_the_layouts_really_reorder_and_transpose():
    """The exported arrays are not Keras's own: a missing reorder would fail here."""
    w = random_keras(np.random.default_rng(1), F=2, U=3)
    U = 3
    onnx = layouts.export("onnx", w)
    assert onnx["W"].shape == (1, 12, 2) and onnx["B"].shape == (1, 24)
    assert np.array_equal(onnx["W"][0, U:2 * U], w.kernel[:, 3 * U:].T)      # ONNX's o block
    assert np.array_equal(onnx["B"][0, 2 * U:3 * U], w.bias[U:2 * U])       # ONNX's f block
    tf1 = layouts.export("tf1", w)
    assert np.array_equal(tf1["kernel"][:2, U:2 * U], w.kernel[:, 2 * U:3 * U])  # j = c~
    assert np.array_equal(tf1["kernel"][2:, 2 * U:3 * U], w.recurrent_kernel[:, U:2 * U])
    cudnn = layouts.export("cudnn", w)
    assert np.array_equal(cudnn["R_o"], w.recurrent_kernel[:, 3 * U:].T)


# ------------------------------------------------------------ each layout vs its framework

TORCH_MODULES = [("lstm", "LSTM", "tanh"), ("gru", "GRU", "tanh"), ("simple_rnn", "RNN", "tanh"),
                 ("simple_rnn", "RNN", "relu")]


@pytest.mark.parametrize("cell,module,activation", TORCH_MODULES)
def test_pytorch_layout_matches_real_torch(cell, module, activation):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    options = {"nonlinearity": activation} if module == "RNN" else {}
    net = getattr(torch.nn, module)(2, 3, batch_first=True, dtype=torch.float64,
                                    **options)   # torch's own init: asymmetric
    rng = np.random.default_rng(0)
    state = {k[:-3]: v.detach().numpy() for k, v in net.state_dict().items()}
    case = load(case_data(state, "pytorch", rng, activation=activation, dtype="float64",
                          cell=cell))
    initial = tuple(torch.tensor(case.initial_state[s][None]) for s in case.cell.states)
    with torch.no_grad():
        out, final = net(torch.tensor(case.inputs), initial if len(initial) > 1 else initial[0])
    final = final if isinstance(final, tuple) else (final,)
    trace = forward.run(case)
    assert case.reset_after     # torch.nn.GRU is Keras's reset_after true
    assert np.allclose(trace.sequence, out.numpy(), atol=1e-12)
    for s, value in zip(case.cell.states, final):
        assert np.allclose(trace.final[s], value[0].numpy(), atol=1e-12), s


def _ort(op, W, R, B, x, initial, **attributes):
    """ONNX Runtime's ``op`` on raw ONNX-layout tensors (built here, not by onnx_engine.py);
    ``initial`` {state: (B, U)}.  Returns [Y, Y_h(, Y_c)]."""
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    T, Bn, F = x.shape
    U = R.shape[-1]
    f32 = TensorProto.FLOAT
    states = list(initial)
    node = helper.make_node(op, ["X", "W", "R", "B", ""] + [f"{s}0" for s in states],
                            ["Y"] + [f"Y_{s}" for s in states], hidden_size=U, **attributes)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("X", f32, [T, Bn, F])]
        + [helper.make_tensor_value_info(f"{s}0", f32, [1, Bn, U]) for s in states],
        [helper.make_tensor_value_info("Y", f32, [T, 1, Bn, U])]
        + [helper.make_tensor_value_info(f"Y_{s}", f32, [1, Bn, U]) for s in states],
        initializer=[numpy_helper.from_array(a.astype(np.float32), n)
                     for n, a in (("W", W), ("R", R), ("B", B))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    f = lambda a: a.astype(np.float32)
    return session.run(None, {"X": f(x), **{f"{s}0": f(v[None]) for s, v in initial.items()}})


# (cell, ONNX operator, its attributes in the case's weights)
ONNX_OPS = [("lstm", "LSTM", {}), ("gru", "GRU", {"linear_before_reset": 1}),
            ("gru", "GRU", {"linear_before_reset": 0}), ("simple_rnn", "RNN", {})]


@pytest.mark.parametrize("cell,op,attributes", ONNX_OPS, ids=str)
@pytest.mark.parametrize("leading_axis", [True, False])
def test_onnx_layout_matches_real_onnxruntime(cell, op, attributes, leading_axis):
    rng = np.random.default_rng(5)
    n = len(cells.get(cell).blocks)
    W, R = rng.normal(size=(1, n * 3, 2)), rng.normal(size=(1, n * 3, 3))
    B = rng.normal(size=(1, 2 * n * 3))
    given = {"W": W, "R": R, "B": B} if leading_axis else {"W": W[0], "R": R[0], "B": B[0]}
    case = load(case_data({**given, **attributes}, "onnx", rng, cell=cell))
    Y, *finals = _ort(op, W, R, B, np.swapaxes(case.inputs, 0, 1), case.initial_state,
                      **attributes)
    trace = forward.run(case)
    assert case.reset_after == bool(attributes.get("linear_before_reset", 1))
    assert np.allclose(trace.sequence, np.swapaxes(Y[:, 0], 0, 1), atol=1e-5)
    for s, value in zip(case.cell.states, finals):
        assert np.allclose(trace.final[s], value[0], atol=1e-5), s


@pytest.fixture(scope="module")
def tf():
    from lstm_verify import keras_run
    keras_run._import_keras()      # TensorFlow quietly, once per process
    import tensorflow
    return tensorflow


@pytest.mark.parametrize("forget_bias", [1.0, 0.0, -0.5])
def test_tf1_layout_and_forget_bias_match_tensorflows_lstm_block_cell(tf, forget_bias):
    """tf.raw_ops.LSTMBlockCell is TF1's LSTM arithmetic: [i, j, f, o] = [x, h]·w + b,
    f += forget_bias at run time."""
    rng = np.random.default_rng(11)
    kernel, bias = rng.normal(size=(5, 12)), rng.normal(size=12)
    case = load(case_data({"kernel": kernel, "bias": bias, "forget_bias": forget_bias}, "tf1",
                          rng))
    h, c, zeros = case.h0, case.c0, np.zeros(3, np.float32)
    f32 = lambda a: np.asarray(a, np.float32)
    for x in np.swapaxes(case.inputs, 0, 1):
        out = tf.raw_ops.LSTMBlockCell(x=f32(x), cs_prev=f32(c), h_prev=f32(h), w=f32(kernel),
                                       wci=zeros, wcf=zeros, wco=zeros, b=f32(bias),
                                       forget_bias=forget_bias, cell_clip=-1.0,
                                       use_peephole=False)
        c, h = out[1].numpy(), out[6].numpy()
    trace = forward.run(case)
    assert np.allclose(trace.final_h, h, atol=1e-5) and np.allclose(trace.final_c, c, atol=1e-5)


def test_tf1_forget_bias_is_folded_into_keras_f_bias():
    rng = np.random.default_rng(2)
    kernel, bias = rng.normal(size=(5, 12)), rng.normal(size=12)
    default = load(case_data({"kernel": kernel, "bias": bias}, "tf1", rng))
    zero = load(case_data({"kernel": kernel, "bias": bias, "forget_bias": 0}, "tf1", rng))
    assert np.array_equal(default.bias[3:6], zero.bias[3:6] + 1.0)   # f block, default 1.0
    assert np.array_equal(default.bias[:3], zero.bias[:3])
    assert np.array_equal(default.bias[6:], zero.bias[6:])


def test_cudnn_layout_follows_cudnns_documented_equations():
    """cuDNN: i = σ(W_i·x + R_i·h + b_Wi + b_Ri), c' = tanh(W_c·x + R_c·h + b_Wc + b_Rc)..."""
    rng = np.random.default_rng(4)
    p = {k: rng.normal(size=(3, 2) if k[0] == "W" else (3, 3) if k[0] == "R" else 3)
         for k in layouts.LAYOUTS["cudnn"].keys(cells.get("lstm"))}
    case = load(case_data(p, "cudnn", rng, T=1))
    x, h, c = case.inputs[:, 0], case.h0, case.c0
    sig = lambda v: 1 / (1 + np.exp(-v))
    gate = {g: x @ p[f"W_{g}"].T + h @ p[f"R_{g}"].T + p[f"b_W{g}"] + p[f"b_R{g}"]
            for g in "ifco"}
    c_new = sig(gate["f"]) * c + sig(gate["i"]) * np.tanh(gate["c"])
    assert np.allclose(forward.run(case).final_h, sig(gate["o"]) * np.tanh(c_new), atol=1e-12)


# ------------------------------------------------------------ errors

def error(data):
    with pytest.raises(CaseError) as info:
        load(data)
    return str(info.value)


def test_shape_errors_use_the_frameworks_axis_names():
    rng = np.random.default_rng(0)
    w = random_keras(rng)
    torch_form = layouts.export("pytorch", w)
    bad = dict(torch_form, weight_ih=np.zeros((12, 5)))
    message = error(case_data(bad, "pytorch", rng))
    assert "weights.weight_ih: is 12x5, expected 12x2 = [4*hidden_size, input_size]" in message
    assert "input_size=2" in message and "i, f, g, o" in message
    onnx_form = dict(layouts.export("onnx", w), R=np.zeros((1, 12, 4)))
    assert "weights.R: is 12x4, expected 16x4 = [4*hidden_size, hidden_size] (after the " \
        "num_directions axis) with hidden_size=4" in error(case_data(onnx_form, "onnx", rng))
    onnx_form = dict(layouts.export("onnx", w), W=np.zeros((1, 12, 3)))
    assert "weights.W: is 12x3, expected 12x2 = [4*hidden_size, input_size]" in error(
        case_data(onnx_form, "onnx", rng))
    two_way = dict(layouts.export("onnx", w), W=np.zeros((2, 12, 2)))
    assert "num_directions=2" in error(case_data(two_way, "onnx", rng))
    tf1 = dict(layouts.export("tf1", w), kernel=np.zeros((5, 10)))
    assert "not a multiple of 4" in error(case_data(tf1, "tf1", rng))
    cudnn = dict(layouts.export("cudnn", w), W_f=np.zeros((3, 3)))
    assert "weights.W_f: is 3x3, expected 3x2 = [units, input_dim]" in error(
        case_data(cudnn, "cudnn", rng))


def test_layout_key_errors():
    rng = np.random.default_rng(0)
    w = random_keras(rng)
    assert "weights.layout: is the text 'caffe', expected one of keras, pytorch" in error(
        case_data(layouts.export("keras", w), "caffe", rng))
    no_hh = {k: v for k, v in layouts.export("pytorch", w).items() if k != "bias_hh"}
    assert "has no bias_hh" in error(case_data(no_hh, "pytorch", rng))
    keras_keys_in_torch = dict(layouts.export("pytorch", w), kernel=w.kernel)
    assert "weights.kernel: is not a known key" in error(
        case_data(keras_keys_in_torch, "pytorch", rng))
    tf1_no_bias = {"kernel": layouts.export("tf1", w)["kernel"]}
    assert "forget_bias: is 1.0 (the default), but use_bias is false" in error(
        case_data(tf1_no_bias, "tf1", rng, use_bias=False))
