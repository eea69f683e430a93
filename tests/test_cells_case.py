"""Case files for every cell: what each cell's case may hold, and the errors that name the
cell's own meaning (one paragraph: file, key, line, found, expected)."""

import numpy as np
import pytest

from conftest import run_cli
from lstm_verify import forward
from lstm_verify.case import load_case
from lstm_verify.errors import CaseError

GRU = """\
cell: gru
inputs: [[1, 0], [0, 1]]
initial_state: {h: [0.5, -0.5]}
weights:
  kernel:
    - [1, 0, 2, -1, 1, 2]
    - [0, 1, 1, 0, 0, 2]
  recurrent_kernel:
    - [1, 0, 0, 1, 1, 0]
    - [0, 1, 1, 0, 0, 2]
  bias:
    - [0, 3, 0, 0, 1, 0]
    - [2, 0, 1, 0, 0, 1]
"""
SIMPLE = """\
cell: simple_rnn
inputs: [[1, 0], [0, 1]]
weights:
  kernel: [[1, 0], [0, 1]]
  recurrent_kernel: [[1, 0], [-1, 1]]
  bias: [1, -1]
"""


def error_for(write_case, text):
    path = write_case(text)
    with pytest.raises(CaseError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message, message
    return message


def test_each_cell_loads_with_its_own_shapes(write_case):
    gru, simple = load_case(write_case(GRU, "g.yaml")), load_case(write_case(SIMPLE, "s.yaml"))
    assert (gru.cell.name, gru.reset_after, gru.bias.shape, gru.c0) == ("gru", True, (2, 6),
                                                                        None)
    assert (simple.cell.name, simple.recurrent_activation, simple.bias.shape) == (
        "simple_rnn", None, (2,))
    assert load_case(write_case(GRU.replace("cell: gru", "cell: gru\nreset_after: true"),
                                "t.yaml")).reset_after is True


def test_unknown_cell(write_case):
    message = error_for(write_case, GRU.replace("cell: gru", "cell: lstn"))
    assert ":1: cell: is the text 'lstn', expected one of lstm, gru, simple_rnn" in message


def test_reset_after_is_a_gru_option(write_case):
    message = error_for(write_case, "reset_after: false\n" + SIMPLE)
    assert "reset_after: is given, but a SimpleRNN has no reset_after (only GRU has it)" \
        in message


def test_recurrent_activation_is_an_error_on_simple_rnn(write_case):
    message = error_for(write_case, SIMPLE + "recurrent_activation: sigmoid\n")
    assert "recurrent_activation: is given, but a SimpleRNN has no recurrent_activation " \
           "(only LSTM and GRU have it)" in message


@pytest.mark.parametrize("where, text", [
    ("initial_state.c", "initial_state: {h: [0.5, -0.5], c: [0, 0]}"),
    ("expected.c", "initial_state: {h: [0.5, -0.5]}\nexpected: {h: [0, 0], c: [0, 0]}"),
    ("expected.steps[0].c", "initial_state: {h: [0.5, -0.5]}\n"
                            "expected: {steps: [{t: 1, z: [0, 0], c: [0, 0]}]}"),
])
def test_a_gru_has_no_cell_state(write_case, where, text):
    message = error_for(write_case, GRU.replace("initial_state: {h: [0.5, -0.5]}", text))
    assert f"{where}: is given, but a GRU has no cell state c; its only state is h" in message


def test_lstm_gate_names_are_not_gru_steps(write_case):
    text = GRU + "expected: {steps: [{t: 1, i: [0, 0]}]}\n"
    message = error_for(write_case, text)
    assert "expected.steps[0].i: is not a known key" in message
    assert "known keys here: t, z_z, z_r, z_h, z, r, h_tilde, h" in message


def test_gru_bias_with_one_row_under_reset_after(write_case):
    text = GRU.replace("  bias:\n    - [0, 3, 0, 0, 1, 0]\n    - [2, 0, 1, 0, 0, 1]\n",
                       "  bias: [0, 3, 0, 0, 1, 0]\n")
    message = error_for(write_case, text)
    assert ("weights.bias: is 6, expected 2x6 = [input bias; recurrent bias] for a GRU with "
            "reset_after true") in message


def test_gru_bias_with_two_rows_under_reset_before(write_case):
    message = error_for(write_case, GRU.replace("cell: gru", "cell: gru\nreset_after: false"))
    assert "weights.bias: is a 2-D list" not in message
    assert "weights.bias: is 2x6, expected a 1-D list: [3*units] (blocks z, r, h)" in message


def test_gru_kernel_width_names_the_three_blocks(write_case):
    message = error_for(write_case, GRU.replace("[1, 0, 2, -1, 1, 2]", "[1, 0, 2, -1]")
                        .replace("[0, 1, 1, 0, 0, 2]\n  recurrent", "[0, 1, 1, 0]\n  recurrent"))
    assert ("weights.kernel: is 2x4, expected 2x6 = [input_dim, 3*units] with input_dim=2 "
            "from the last axis of inputs and units=2 (gate blocks z, r, h)") in message


def test_simple_rnn_recurrent_kernel_is_square(write_case):
    message = error_for(write_case, SIMPLE.replace("[[1, 0], [-1, 1]]", "[[1, 0, 0], [-1, 1, 0]]"))
    assert "weights.recurrent_kernel: is 2x3, expected 2x2 = [units, units]" in message


def test_gru_textbook_form_with_input_and_recurrent_biases(write_case):
    keras = load_case(write_case(GRU, "keras.yaml"))
    W = {g: keras.kernel[:, k * 2:(k + 1) * 2].T for k, g in enumerate("zrh")}
    U = {g: keras.recurrent_kernel[:, k * 2:(k + 1) * 2].T for k, g in enumerate("zrh")}
    lines = ["cell: gru", "inputs: [[1, 0], [0, 1]]", "initial_state: {h: [0.5, -0.5]}",
             "weights:"]
    for g in "zrh":
        lines += [f"  W_{g}: {W[g].tolist()}", f"  U_{g}: {U[g].tolist()}"]
        lines += [f"  b_i{g}: {keras.bias[0, 'zrh'.index(g) * 2:][:2].tolist()}",
                  f"  b_h{g}: {keras.bias[1, 'zrh'.index(g) * 2:][:2].tolist()}"]
    book = load_case(write_case("\n".join(lines) + "\n", "book.yaml"))
    np.testing.assert_array_equal(book.kernel, keras.kernel)
    np.testing.assert_array_equal(book.recurrent_kernel, keras.recurrent_kernel)
    np.testing.assert_array_equal(book.bias, keras.bias)
    np.testing.assert_array_equal(forward.run(book).final_h, forward.run(keras).final_h)
    missing = "\n".join(line for line in lines if not line.startswith("  b_hz")) + "\n"
    assert "weights: has no b_hz" in error_for(write_case, missing)


@pytest.mark.parametrize("cell, flags", [("gru", []), ("gru", ["--no-reset-after"]),
                                         ("simple_rnn", []), ("lstm", [])])
def test_new_writes_a_case_of_each_cell_that_verifies(tmp_path, cell, flags):
    path = tmp_path / f"{cell}.yaml"
    made = run_cli("new", path, "--cell", cell, "--with-expected", "--units", "2",
                   "--input-dim", "2", *flags)
    assert made.returncode == 0, made.stderr
    case = load_case(path)
    assert case.cell.name == cell and set(case.expected) == set(case.cell.states) | {"steps"}
    assert case.reset_after is (flags == [])
    checked = run_cli("verify", path, "--json")
    assert checked.returncode == 0, checked.stdout[-2000:]
    assert '"warnings": []' in checked.stdout     # every block different: order-sensitive
