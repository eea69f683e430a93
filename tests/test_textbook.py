"""Textbook weight forms: they pack into exactly Keras's matrices, and mistakes are named."""

import numpy as np
import pytest
import yaml

from conftest import CASES, run_cli
from lstm_verify import keras_run
from lstm_verify.case import load_case, parse_case
from lstm_verify.errors import CaseError


def keras_form_case():
    return load_case(CASES / "two-steps-linear.yaml")


@pytest.mark.parametrize("name", ["textbook-per-gate.yaml", "textbook-concatenated.yaml"])
def test_textbook_forms_pack_into_the_keras_matrices(name):
    book, keras = load_case(CASES / name), keras_form_case()
    np.testing.assert_array_equal(book.kernel, keras.kernel)
    np.testing.assert_array_equal(book.recurrent_kernel, keras.recurrent_kernel)
    np.testing.assert_array_equal(book.bias, keras.bias)


def random_textbook(rng, units, input_dim, concatenated):
    W = {g: rng.normal(size=(units, input_dim)) for g in "ifco"}
    U = {g: rng.normal(size=(units, units)) for g in "ifco"}
    b = {g: rng.normal(size=units) for g in "ifco"}
    weights = {f"b_{g}": b[g].tolist() for g in "ifco"}
    for g in "ifco":
        if concatenated:
            weights[f"Wcat_{g}"] = np.hstack([U[g], W[g]]).tolist()
        else:
            weights[f"W_{g}"], weights[f"U_{g}"] = W[g].tolist(), U[g].tolist()
    inputs = rng.normal(size=(2, 4, input_dim))
    return W, U, b, inputs, {"inputs": inputs.tolist(), "weights": weights}


def textbook_lstm(W, U, b, inputs):
    """The textbook equations, column vectors, written independently of the packing."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    finals = []
    for seq in inputs:
        h, c = np.zeros(len(b["i"])), np.zeros(len(b["i"]))
        for x in seq:
            gate = {g: W[g] @ x + U[g] @ h + b[g] for g in "ifco"}
            i, f, o, c_tilde = sig(gate["i"]), sig(gate["f"]), sig(gate["o"]), np.tanh(gate["c"])
            c = f * c + i * c_tilde
            h = o * np.tanh(c)
        finals.append(h)
    return np.array(finals)


@pytest.mark.parametrize("concatenated", [False, True])
def test_textbook_form_matches_real_keras(concatenated):
    rng = np.random.default_rng(5 + concatenated)
    W, U, b, inputs, data = random_textbook(rng, units=3, input_dim=2,
                                            concatenated=concatenated)
    case = parse_case(data, "book.yaml")
    ker = keras_run.run(case)
    np.testing.assert_allclose(ker.final_h, textbook_lstm(W, U, b, inputs), atol=1e-5)


def parse(text):
    return parse_case(yaml.safe_load(text), "case.yaml")


BASE = "inputs: [[1, 2]]\nunits: 2\nweights:\n"
PER_GATE = "".join(f"  W_{g}: [[1, 0], [0, 1]]\n  U_{g}: [[1, 0], [0, 1]]\n  b_{g}: [0, 0]\n"
                   for g in "ifco")


def test_per_gate_case_parses():
    case = parse(BASE + PER_GATE)
    assert case.kernel.shape == (2, 8) and case.recurrent_kernel.shape == (2, 8)


def test_mixing_keras_and_textbook_keys_names_both():
    with pytest.raises(CaseError) as err:
        parse(BASE + PER_GATE + "  kernel: [[0, 0, 0, 0, 0, 0, 0, 0]]\n")
    assert "kernel" in str(err.value) and "W_c" in str(err.value)


def test_mixing_per_gate_and_concatenated_is_an_error():
    with pytest.raises(CaseError) as err:
        parse(BASE + PER_GATE + "  Wcat_i: [[1, 0, 0, 0], [0, 1, 0, 0]]\n")
    assert "Wcat_i" in str(err.value) and "per-gate" in str(err.value)


def test_wrong_shape_names_key_line_and_expected_shape(write_case):
    text = BASE + PER_GATE.replace("W_f: [[1, 0], [0, 1]]", "W_f: [[1, 0, 0], [0, 1, 0]]")
    with pytest.raises(CaseError) as err:
        load_case(write_case(text))
    message = str(err.value)
    assert "weights.W_f" in message and "2x3" in message and "[units, input_dim]" in message
    assert err.value.line == 7  # the W_f line


def test_missing_gate_is_named():
    with pytest.raises(CaseError, match="U_o"):
        parse(BASE + PER_GATE.replace("  U_o: [[1, 0], [0, 1]]\n", ""))


def test_pack_command_shows_the_transposed_blocks():
    proc = run_cli("pack", CASES / "textbook-per-gate.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "kernel[:, columns 2..3] = W_f^T" in proc.stdout
    assert "tensorflow" not in proc.stderr.lower()


def test_square_brackets_in_case_text_are_printed_not_eaten_as_markup():
    # Bug found while adding the textbook cases: rich took "[h, x]" and
    # "[units, input_dim]" for style tags and dropped them from names and errors.
    from rich.console import Console

    from lstm_verify.render import report
    from lstm_verify.compare import Result

    proc = run_cli("calc", CASES / "textbook-concatenated.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "Wcat·[h, x]" in proc.stdout
    console = Console(record=True, width=200)
    report.render(console, Result(file="bad.yaml", name="bad [units]", status="error",
                                  error="weights.W_f is 2x3, expected [units, input_dim]"))
    text = console.export_text()
    assert "expected [units, input_dim]" in text and "bad [units]" in text
