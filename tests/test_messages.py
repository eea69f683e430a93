"""Messages that teach (issue 11, class 5)."""

import os

import pytest

from lstm_verify.case import load_case
from lstm_verify.errors import CaseError

SMALL = """units: 1
inputs: [[1], [2]]
weights: {kernel: [[1, 2, 3, 4]], recurrent_kernel: [[1, 0, 1, 0]], bias: [0, 1, 0, 0]}
"""


@pytest.mark.parametrize("typed, fix", [("1e-3", "1.0e-3"), ("1.0e8", "1.0e+8"),
                                        ("-2E5", "-2.0E+5"), (".5e3", ".5e+3")])
def test_yaml_number_traps_show_the_spelling_that_works(write_case, typed, fix):
    path = write_case(SMALL.replace("[[1], [2]]", f"[[1], [{typed}]]"))
    with pytest.raises(CaseError) as info:
        load_case(path)
    message = info.value.message
    assert info.value.key == "inputs" and f"the text '{typed}'" in message
    assert "a dot and a signed exponent" in message and f"write {fix}" in message


def test_the_fix_shown_for_a_number_trap_is_read_as_that_number(write_case):
    path = write_case(SMALL.replace("[[1], [2]]", "[[1], [1.0e+8]]").replace(
        "units: 1", "units: 1\ntolerance: {atol: 1.0e-3}"))
    case = load_case(path)
    assert case.inputs[0, 1, 0] == 1e8 and case.atol == 1e-3


def test_an_unquoted_date_says_quote_this_text(write_case):
    with pytest.raises(CaseError) as info:
        load_case(write_case("name: 2024-03-01\n" + SMALL))
    assert info.value.key == "name" and 'quote this text: "2024-03-01"' in info.value.message
    assert "tag:yaml.org" not in info.value.message
    assert load_case(write_case('name: "2024-03-01"\n' + SMALL)).name == "2024-03-01"


BOOK = """inputs: [[1]]
weights:
  W_i: {w_i}
  W_f: [[1]]
  W_c: [[1]]
  W_o: [[1]]
  U_i: {u_i}
  U_f: [[1]]
  U_c: [[1]]
  U_o: [[1]]
  b_i: [0]
  b_f: [0]
  b_c: [0]
  b_o: [0]
"""


@pytest.mark.parametrize("w_i, u_i, key", [("[[1]]", "2", "weights.U_i"),
                                           ("3", "[[1]]", "weights.W_i")])
def test_a_textbook_scalar_where_a_matrix_belongs_names_that_key(write_case, w_i, u_i, key):
    with pytest.raises(CaseError) as info:
        load_case(write_case(BOOK.format(w_i=w_i, u_i=u_i)))
    assert info.value.key == key and "expected a 2-D list" in info.value.message
    assert "units" not in str(info.value.key)


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_fifo_or_a_folder_is_never_called_missing(tmp_path, write_case, kind):
    target = tmp_path / "a.npz"
    os.mkdir(target) if kind == "folder" else os.mkfifo(target)
    with pytest.raises(CaseError) as info:
        load_case(write_case("arrays: a.npz\n" + SMALL))
    assert "does not exist" not in info.value.message
    assert ("is a folder" if kind == "folder" else "is a named pipe") in info.value.message


def test_merge_overrides_are_applied_as_yaml_defines_them(write_case):
    path = write_case(SMALL + "expected: &zero {h: [0], c: [0]}\n"
                              "initial_state:\n  <<: *zero\n  h: [1]\n")
    case = load_case(path)
    assert case.h0.tolist() == [[1.0]] and case.c0.tolist() == [[0.0]]


def test_a_merge_list_gives_the_earlier_mapping_priority(write_case):
    path = write_case(SMALL + "expected: &a {h: [2]}\ntolerance: &b {atol: 0.5, rtol: 0.25}\n"
                              "initial_state:\n  <<: [*a, {h: [7], c: [3]}]\n")
    case = load_case(path)
    assert case.h0.tolist() == [[2.0]] and case.c0.tolist() == [[3.0]]


def test_a_key_written_twice_is_still_refused(write_case):
    with pytest.raises(CaseError, match="appears twice"):
        load_case(write_case(SMALL + "units: 1\n"))
