"""Issue 12: the concatenated textbook form in either order, said by the author
(``concat: [x, h]``), and the concat-order diagnosis."""

import numpy as np
import pytest
import yaml

from conftest import CASES, run_cli
from lstm_verify import diagnose, forward
from lstm_verify.case import load_case, parse_case
from lstm_verify.compare import compare
from lstm_verify.errors import CaseError

H_FIRST = yaml.safe_load((CASES / "textbook-concatenated.yaml").read_text())


def x_first(data):
    """The same case written Wcat·[x; h]: each Wcat_g's x column moved to the front
    (one feature, two units: columns h_1, h_2 | x become x | h_1, h_2)."""
    weights = {k: ([[row[2], row[0], row[1]] for row in v] if k.startswith("Wcat_") else v)
               for k, v in data["weights"].items()}
    return {**data, "weights": {"concat": ["x", "h"], **weights}}


def test_x_first_reads_as_the_author_says_and_gives_the_same_keras_weights():
    book = parse_case(H_FIRST, "h-first.yaml")
    flipped = parse_case(x_first(H_FIRST), "x-first.yaml")
    assert flipped.concat == ("x", "h") and book.concat == ("h", "x")
    np.testing.assert_array_equal(flipped.kernel, book.kernel)
    np.testing.assert_array_equal(flipped.recurrent_kernel, book.recurrent_kernel)
    assert compare(flipped, forward.run(flipped))[0] == []


def test_x_first_case_passes_against_keras(write_case):
    path = write_case(yaml.safe_dump(x_first(H_FIRST)))
    done = run_cli("verify", path)
    assert done.returncode == 0 and "PASS" in done.stdout


@pytest.mark.parametrize("concat, message", [
    (["x", "y"], "weights.concat: is a list of 2, expected [h, x] (Wcat_g·[h_{t-1}; x_t], "
                 "the default) or [x, h]"),
    ("x, h", "weights.concat: is the text 'x, h', expected [h, x]")])
def test_concat_errors(concat, message):
    data = x_first(H_FIRST)
    data["weights"]["concat"] = concat
    with pytest.raises(CaseError) as error:
        parse_case(data, "bad.yaml")
    assert message in str(error.value)


def test_concat_needs_the_concatenated_form():
    data = yaml.safe_load((CASES / "textbook-per-gate.yaml").read_text())
    data["weights"]["concat"] = ["x", "h"]
    with pytest.raises(CaseError) as error:
        parse_case(data, "bad.yaml")
    assert "weights.concat: is given, but the weights are not in the concatenated textbook " \
           "form (Wcat_g)" in str(error.value)


def test_concat_order_diagnosis_on_numbers_from_the_other_split():
    """The case says [x, h]; the author split each Wcat_g as [h | x]: first two columns
    for h, the last for x. Their numbers come from a Keras-form case built from that
    split by hand here."""
    data = x_first(H_FIRST)
    W_read = {g: [[row[2]] for row in data["weights"][f"Wcat_{g}"]] for g in "ifco"}
    U_read = {g: [row[:2] for row in data["weights"][f"Wcat_{g}"]] for g in "ifco"}
    authors = parse_case({**H_FIRST, "expected": {},
                          "weights": {"kernel": np.hstack([np.array(W_read[g]).T
                                                           for g in "ifco"]).tolist(),
                                      "recurrent_kernel": np.hstack([np.array(U_read[g]).T
                                                                     for g in "ifco"]).tolist(),
                                      "bias": [0, 0, 0, 0, 0, 0, 1, 0]}}, "authors.yaml")
    trace = forward.run(authors)
    steps = [{"t": t + 1, **{q: trace.steps[q][t, 0].tolist()
                             for q in ("i", "f", "c_tilde", "o", "c", "h")}} for t in range(2)]
    case = parse_case({**data, "expected": {"steps": steps}}, "wrong.yaml")
    author = compare(case, forward.run(case))[0]
    assert author
    found = diagnose.explain_mismatches(case, author).diagnoses
    assert [(d.id, d.detail) for d in found] == [("concat-order", "[x; h] read as [h; x]")]


# ---------------------------------------------------------- textbook forms keep the book's symbols

def test_a_textbook_case_is_explained_and_exported_with_the_books_W():
    for name in ("textbook-per-gate.yaml", "textbook-concatenated.yaml"):
        explained = run_cli("explain", CASES / name).stdout
        assert "z_g = W_g·x + U_g·h_prev + b_g   for g in i, f, c, o" in explained
        assert "z_i = W_i·x + U_i·h_prev + b_i" in explained and "x·W_i" not in explained
        exported = run_cli("export", CASES / name, "--format", "markdown").stdout
        assert "z_g = W_g·x + U_g·h_prev + b_g" in exported and "x·W_g" not in exported
        assert "a textbook's W_g is the transpose" not in exported
        assert "| W_i[u, 0] (x[0]) | 1 | 0 |" in exported     # W_i = [[1], [0]] as written
    keras_form = run_cli("explain", CASES / "two-steps-linear.yaml").stdout
    assert "z_g = x·W_g + h_prev·U_g + b_g" in keras_form


def test_a_transposed_matrix_in_a_textbook_case_is_named_as_the_book_names_it():
    """The author applied U_g^T: numbers from a Keras-form case whose recurrent blocks
    are each transposed by hand here."""
    data = yaml.safe_load((CASES / "textbook-per-gate.yaml").read_text())
    book = parse_case(data, "book.yaml")
    U = book.recurrent_kernel
    transposed = np.hstack([U[:, 2 * k:2 * k + 2].T for k in range(4)])
    authors = forward.run(parse_case({**data, "expected": {}, "weights": {
        "kernel": book.kernel.tolist(), "recurrent_kernel": transposed.tolist(),
        "bias": book.bias.tolist()}}, "authors.yaml"))
    steps = [{"t": t + 1, **{q: authors.steps[q][t, 0].tolist()
                             for q in ("i", "f", "c_tilde", "o", "c", "h")}} for t in range(2)]
    case = parse_case({**data, "expected": {"steps": steps}}, "wrong.yaml")
    texts = [d.text for d in diagnose.explain_mismatches(
        case, compare(case, forward.run(case))[0]).diagnoses]
    assert "U_g used transposed (U_g^T·h_prev in place of U_g·h_prev)" in texts
