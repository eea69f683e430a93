"""Issue 12, section 2: what real authors write — slices with null, pre-activations
(tested in test_explanations_right.py), tolerance from the decimals written."""

import json

import numpy as np
import pytest

from conftest import run_cli
from lstm_verify import forward
from lstm_verify.case import parse_case
from lstm_verify.compare import compare, count_given
from lstm_verify.errors import CaseError

# two sequences, two units, integer weights: every number is exact (as two-steps-linear)
BASE = {"units": 2, "activation": None, "recurrent_activation": None,
        "inputs": [[[1], [2]], [[0], [1]]],
        "weights": {"kernel": [[1, 0, 1, 1, 1, 2, 0, 1]],
                    "recurrent_kernel": [[0, 1, 0, 0, 1, 0, 1, 1], [1, 0, 0, 0, 0, 1, 0, 1]],
                    "bias": [0, 0, 0, 0, 0, 0, 1, 0]}}
# sequence 0 by hand (two-steps-linear.yaml): h1 = [1, 0], h2 = [16, 12], c2 = [8, 4]


def case(expected, **top):
    return parse_case({**BASE, **top, "expected": expected}, "partial.yaml")


def author_mismatches(c):
    return [m for m in compare(c, forward.run(c))[0] if m.between == "expected-reference"]


def test_null_marks_elements_not_stated_and_only_the_written_ones_are_checked():
    # a course prints unit 0 of sequence 0 only; the rest is null
    c = case({"h": [[16, None], [None, None]], "c": [[None, 4], [None, None]],
              "steps": [{"t": 1, "i": [[1, None], [None, None]]}],
              "sequence": [[[1, None], [16, None]], [[None, None], [None, None]]]})
    assert count_given(c) == 5
    assert author_mismatches(c) == []
    wrong = case({"h": [[17, None], [None, None]]})
    assert [(m.quantity, m.batch, m.unit, m.expected) for m in author_mismatches(wrong)] == \
        [("h", 0, 0, 17.0)]


def test_null_in_expected_gradients_too():
    data = {**BASE, "backward": {"upstream": {"h": [[1, 0], [0, 0]]}},
            "expected": {"gradients": {"bias": [None, None, None, None, None, None, 99, None]}}}
    c = parse_case(data, "g.yaml")
    assert np.isnan(c.expected["gradients"]["bias"]).sum() == 7
    from lstm_verify.backward import bptt, compare as backward_compare
    mismatches = backward_compare.compare(c, bptt.run(c))[0]
    assert [(m.quantity, m.index, m.expected) for m in mismatches] == [("bias", (6,), 99.0)]


def test_null_is_refused_outside_expected_and_where_everything_is_null():
    with pytest.raises(CaseError) as outside:
        parse_case({**BASE, "inputs": [[[1], [None]], [[0], [1]]]}, "bad.yaml")
    assert "inputs: contains empty (null) at position [0, 1, 0], expected numbers only" \
        in str(outside.value)
    with pytest.raises(CaseError) as empty:
        case({"h": [[None, None], [None, None]]})
    assert "expected.h: is null everywhere, expected [batch, units]" in str(empty.value)
    assert "null marks only the elements not stated" in str(empty.value)


def test_the_report_says_which_elements_were_checked(write_case):
    import yaml
    path = write_case(yaml.safe_dump({**BASE, "expected": {"h": [[16, None], [None, 13]]}}))
    text = " ".join(run_cli("verify", path).stdout.split())
    assert "FAIL: 1 of the author's 2 numbers differ" in text
    assert "(checked only what was written: final h[0] batch 0, h[1] batch 1; null " \
           "elsewhere)" in text


def test_decimals_sets_half_a_unit_of_the_last_decimal():
    c = case({"h": [[16.00004, 12], [None, None]]}, tolerance={"decimals": 4})
    assert (c.atol, c.rtol) == (pytest.approx(0.5e-4), 0.0)
    assert author_mismatches(c) == []
    assert len(author_mismatches(case({"h": [[16.00006, 12], [None, None]]},
                                      tolerance={"decimals": 4}))) == 1


@pytest.mark.parametrize("tolerance, message", [
    ({"decimals": 4.5}, "tolerance.decimals: is the number 4.5, expected the number of "
                        "decimals the author wrote, a whole number from 0 to 15"),
    ({"decimals": 4, "atol": 1.0e-3}, "tolerance.decimals: is given with atol or rtol; "
                                      "decimals sets both")])
def test_decimals_errors(tolerance, message):
    with pytest.raises(CaseError) as error:
        case({}, tolerance=tolerance)
    assert message in str(error.value)


def test_5e_5_without_a_dot_explains_yamls_rule(write_case):
    path = write_case("units: 1\ninputs: [[0]]\ntolerance: {atol: 5e-5}\nweights:\n"
                      "  kernel: [[0, 0, 0, 0]]\n  recurrent_kernel: [[0, 0, 0, 0]]\n"
                      "  bias: [0, 0, 0, 0]\n")
    done = run_cli("verify", path)
    assert ":3: tolerance.atol: is the text '5e-5' (YAML reads a number with an exponent " \
           "only with a dot and a signed exponent: write 5.0e-5)" in done.stdout


def test_numbers_right_at_their_decimals_get_the_line_to_add(write_case):
    import yaml
    trace = forward.run(case({}, activation="tanh", recurrent_activation="sigmoid"))
    h = np.round(trace.final["h"], 3).tolist()     # written with 3 decimals, as by hand
    path = write_case(yaml.safe_dump({**BASE, "activation": "tanh",
                                      "recurrent_activation": "sigmoid",
                                      "expected": {"h": h}}))
    result = json.loads(run_cli("verify", "--json", path).stdout)["cases"][0]
    assert result["status"] == "fail"
    assert {"id": "rounding", "detail": "3 decimals (only the written values)"} \
        in result["diagnoses"]
    text = " ".join(run_cli("verify", path).stdout.split())
    assert "agree with the reference at the 3 decimals they were written with, but the case " \
           "tolerance is tighter: add the line `tolerance: {decimals: 3}` to the case" in text
