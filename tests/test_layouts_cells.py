"""Layouts of the GRU and the SimpleRNN: where reset_after comes from (PyTorch's GRU is
always reset_after true, ONNX says it with linear_before_reset), the errors when a case
and its layout disagree or a layout does not hold a cell, and the mapping lines naming
the cell's blocks.  Round trips and the comparison with real torch and ONNX Runtime for
every cell are in test_layouts.py; `convert` in test_convert.py."""

import numpy as np
import pytest
from cell_weights import case_data, gru_onnx, load, random_keras

from lstm_verify.case import layouts
from lstm_verify.errors import CaseError


def error(data):
    with pytest.raises(CaseError) as info:
        load(data)
    message = str(info.value)
    assert "\n" not in message and message.startswith("memory.yaml: ")
    return message


# ------------------------------------------------------------ reset_after from the layout

@pytest.mark.parametrize("weights,given,expected", [
    ({"linear_before_reset": 1}, None, True),
    ({"linear_before_reset": 0}, None, False),
    ({}, None, False),                              # ONNX's default linear_before_reset is 0
    ({"linear_before_reset": 1}, True, True),
    ({"linear_before_reset": 0}, False, False),
])
def test_onnx_linear_before_reset_decides_reset_after(weights, given, expected):
    rng = np.random.default_rng(1)
    options = {} if given is None else {"reset_after": given}
    case = load(case_data(gru_onnx(rng, **weights), "onnx", rng, cell="gru", **options))
    assert case.reset_after is expected
    W, R, B = gru_onnx(np.random.default_rng(1)).values()
    Wb, Rb = np.split(B[0], 2)
    # true: Keras's two rows are [Wb; Rb]; false: one bias, Wb + Rb (added outside the reset)
    assert np.array_equal(case.bias, np.stack([Wb, Rb]) if expected else Wb + Rb)


def test_pytorch_gru_is_reset_after_true():
    rng = np.random.default_rng(2)
    w = random_keras(rng, cell="gru")
    case = load(case_data(layouts.export("pytorch", w), "pytorch", rng, cell="gru"))
    assert case.reset_after is True and case.bias.shape == (2, 9)


def test_reset_after_contradicting_the_layout_is_an_error_naming_both():
    rng = np.random.default_rng(3)
    message = error(case_data(gru_onnx(rng, linear_before_reset=1), "onnx", rng, cell="gru",
                              reset_after=False))
    assert "reset_after: is false, but weights.linear_before_reset is 1, which is Keras's " \
        "reset_after true (the reset gate applied after the recurrent matmul); make the two " \
        "agree, or leave reset_after out and the layout decides" in message
    message = error(case_data(gru_onnx(rng), "onnx", rng, cell="gru", reset_after=True))
    assert "reset_after: is true, but weights.linear_before_reset is 0 (ONNX's default: " \
        "weights does not give it), which is Keras's reset_after false" in message
    torch_form = layouts.export("pytorch", random_keras(rng, cell="gru"))
    message = error(case_data(torch_form, "pytorch", rng, cell="gru", reset_after=False))
    assert "reset_after: is false, but weights.layout is pytorch: PyTorch's GRU is " \
        "reset_after true: n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn))" in message
    assert "remove reset_after: false, or give the weights in Keras's or ONNX's layout" in message


@pytest.mark.parametrize("value", [2, True, "1", 0.5])
def test_linear_before_reset_must_be_0_or_1(value):
    rng = np.random.default_rng(4)
    message = error(case_data(gru_onnx(rng, linear_before_reset=value), "onnx", rng,
                              cell="gru"))
    assert "weights.linear_before_reset: is " in message
    assert "expected 0 or 1 (ONNX's GRU attribute: 1 applies the reset gate after the " \
        "recurrent matmul, Keras's reset_after true" in message


@pytest.mark.parametrize("cell", ["lstm", "simple_rnn"])
def test_linear_before_reset_on_a_cell_without_reset_gate(cell):
    rng = np.random.default_rng(5)
    weights = dict(layouts.export("onnx", random_keras(rng, cell=cell)), linear_before_reset=1)
    message = error(case_data(weights, "onnx", rng, cell=cell))
    title = {"lstm": "an LSTM", "simple_rnn": "a SimpleRNN"}[cell]
    assert f"weights.linear_before_reset: is given, but {title} has no reset gate: " \
        "linear_before_reset is an attribute of ONNX's GRU only; remove it" in message


# ------------------------------------------------------------ layouts a cell does not have

@pytest.mark.parametrize("cell,layout", [("gru", "cudnn"), ("gru", "tf1"),
                                         ("simple_rnn", "cudnn"), ("simple_rnn", "tf1")])
def test_lstm_only_layouts_refuse_other_cells(cell, layout):
    rng = np.random.default_rng(6)
    lstm_weights = layouts.export(layout, random_keras(rng))
    title = {"gru": "a GRU", "simple_rnn": "a SimpleRNN"}[cell]
    message = error(case_data(lstm_weights, layout, rng, cell=cell))
    assert f"weights.layout: is {layout}, but the {layout} layout is for LSTM weights only; " \
        f"{title} has the layouts keras, pytorch, onnx" in message


def test_an_unknown_layout_lists_the_cells_own():
    rng = np.random.default_rng(6)
    message = error(case_data({}, "mxnet", rng, cell="gru"))
    assert "weights.layout: is the text 'mxnet', expected one of keras, pytorch, onnx" in message


def test_shape_errors_name_the_cells_blocks():
    rng = np.random.default_rng(7)
    gru = layouts.export("pytorch", random_keras(rng, cell="gru"))
    message = error(case_data(dict(gru, weight_ih=np.zeros((9, 5))), "pytorch", rng,
                              cell="gru"))
    assert "weights.weight_ih: is 9x5, expected 9x2 = [3*hidden_size, input_size] with " \
        "input_size=2 from the last axis of inputs and hidden_size=3 (PyTorch's row blocks " \
        "r, z, n)" in message
    message = error(case_data(gru_onnx(rng, B=np.zeros((1, 12))), "onnx", rng, cell="gru"))
    assert "weights.B: is 12, expected 18 = [6*hidden_size] = [Wb, Rb] (after the " \
        "num_directions axis) with hidden_size=3 from the last axis of weights.R " \
        "(ONNX's row blocks z, r, h)" in message
    rnn = layouts.export("pytorch", random_keras(rng, cell="simple_rnn"))
    message = error(case_data(dict(rnn, weight_hh=np.zeros((4, 3))), "pytorch", rng,
                              cell="simple_rnn"))
    assert "weights.weight_hh: is 4x3, expected 3x3 = [hidden_size, hidden_size] with " \
        "hidden_size=3 from the columns of weights.weight_hh" in message
    assert "row blocks" not in message


def test_a_gru_without_bias_in_onnx_layout_refuses_b():
    rng = np.random.default_rng(8)
    message = error(case_data(gru_onnx(rng, linear_before_reset=1), "onnx", rng, cell="gru",
                              use_bias=False))
    assert "weights.B: is given but use_bias is false" in message


# ------------------------------------------------------------ mapping lines

def test_mapping_lines_name_the_cells_blocks():
    rng = np.random.default_rng(9)
    after = random_keras(rng, cell="gru")
    lines = layouts.mapping_lines("pytorch", after)
    assert lines[0] == ("Keras kernel [2, 9], recurrent_kernel [3, 9], bias [2, 9] (column "
                        "blocks z, r, h) and pytorch (gates r, z, n):")
    assert lines[1] == ("  gate z (z): weight_ih[3:6] = kernel[:, 0:3]^T, weight_hh[3:6] = "
                        "recurrent_kernel[:, 0:3]^T, bias_ih[3:6] = bias[0, 0:3], "
                        "bias_hh[3:6] = bias[1, 0:3]")
    assert lines[3].startswith("  gate h (n): weight_ih[6:9] = kernel[:, 6:9]^T")
    before = random_keras(rng, cell="gru", reset_after=False)
    assert layouts.mapping_lines("onnx", before)[2].endswith(
        "B[0, 3:6] = bias[3:6], B[0, 12:15] = 0")
    rnn = layouts.mapping_lines("onnx", random_keras(rng, cell="simple_rnn"))
    assert rnn == ["Keras kernel [2, 3], recurrent_kernel [3, 3], bias [3] (column block h) "
                   "and onnx (block h):",
                   "  block h (h): W[0, 0:3] = kernel[:, 0:3]^T, R[0, 0:3] = "
                   "recurrent_kernel[:, 0:3]^T, B[0, 0:3] = bias[0:3], B[0, 3:6] = 0"]
