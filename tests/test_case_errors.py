"""Every shape and option error: one paragraph naming file, key, line, found and expected."""

import pytest

from lstm_verify.case import load_case
from lstm_verify.errors import CaseError

VALID = """\
units: 3
activation: null
recurrent_activation: null
inputs: [[[1, 0]]]
weights:
  kernel:
    - [2, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0]
    - [1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0]
  recurrent_kernel:
    - [1, 0, 0, 1, 2, 1, 0, 1, 2, 0, 1, 0]
    - [1, 1, 0, 0, 2, 1, 0, 1, 2, 2, 0, 0]
    - [1, 0, 1, 2, 0, 1, 0, 1, 1, 0, 1, 0]
  bias: [3, 1, 0, 1, 1, 0, 0, 1, 0, 2, 0, 0]
"""


def error_for(write_case, text):
    path = write_case(text)
    with pytest.raises(CaseError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    return message


def test_valid_case_loads(write_case):
    case = load_case(write_case(VALID))
    assert (case.batch, case.steps, case.input_dim, case.units) == (1, 1, 2, 3)


def test_kernel_with_wrong_width(write_case):
    text = VALID.replace("[2, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0]", "[2, 1, 1, 0, 0, 0, 0, 1, 1]")
    text = text.replace("[1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0]", "[1, 1, 0, 1, 1, 0, 0, 1, 1]")
    message = error_for(write_case, text)
    assert ":6: weights.kernel: is 2x9, expected 2x12 = [input_dim, 4*units]" in message
    assert "units=3" in message and "gate blocks i, f, c, o" in message


def test_kernel_rows_must_match_input_features(write_case):
    message = error_for(write_case, VALID.replace("inputs: [[[1, 0]]]", "inputs: [[[1, 0, 5]]]"))
    assert "weights.kernel: is 2x12, expected 3x12 = [input_dim, 4*units] with input_dim=3" \
        in message


def test_recurrent_kernel_shape(write_case):
    text = VALID.replace("    - [1, 0, 1, 2, 0, 1, 0, 1, 1, 0, 1, 0]\n", "")
    message = error_for(write_case, text.replace("units: 3\n", ""))
    assert "weights.recurrent_kernel: is 2x12, expected 2x8 = [units, 4*units]" in message


def test_units_disagreeing_with_weights(write_case):
    message = error_for(write_case, VALID.replace("units: 3", "units: 4"))
    assert "weights.recurrent_kernel: is 3x12, expected 4x16" in message
    assert "units=4 from units" in message


def test_bias_shape(write_case):
    message = error_for(write_case, VALID.replace("bias: [3, 1, 0, ", "bias: ["))
    assert ":13: weights.bias: is 9, expected 12 = [4*units]" in message


def test_bias_missing_and_bias_without_use_bias(write_case):
    message = error_for(write_case, VALID.replace("  bias: [3, 1, 0, 1, 1, 0, 0, 1, 0, 2, 0, 0]\n",
                                                  ""))
    assert "weights: has no 'bias'" in message and "use_bias: false" in message
    message = error_for(write_case, "use_bias: false\n" + VALID)
    assert "weights.bias: is given but use_bias is false" in message


def test_ragged_rows(write_case):
    message = error_for(write_case, VALID.replace("[1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0]",
                                                  "[1, 1, 0]"))
    assert "weights.kernel: is ragged" in message


def test_text_where_a_number_goes(write_case):
    message = error_for(write_case, VALID.replace("bias: [3,", "bias: [three,"))
    assert "weights.bias: contains the text 'three' at position [0], expected numbers" in message


def test_nan_and_infinity(write_case):
    message = error_for(write_case, VALID.replace("bias: [3,", "bias: [.nan,"))
    assert "weights.bias: contains a non-finite number" in message


def test_inputs_rank(write_case):
    message = error_for(write_case, VALID.replace("inputs: [[[1, 0]]]", "inputs: [1, 0]"))
    assert ":4: inputs: is 2, expected a 2-D or 3-D list" in message
    assert "[batch, time, features]" in message


def test_mask_shape(write_case):
    message = error_for(write_case, VALID + "mask: [[true, false]]\n")
    assert "mask: is 1x2, expected 1x1 = [batch, time]" in message


def test_initial_state_shape(write_case):
    message = error_for(write_case, VALID + "initial_state: {h: [1, 2]}\n")
    assert "initial_state.h: is 1x2, expected 1x3 = [batch, units] = [1, 3]" in message


def test_expected_shapes(write_case):
    message = error_for(write_case, VALID + "expected: {h: [0, 4]}\n")
    assert "expected.h: is 1x2, expected 1x3" in message
    message = error_for(write_case, VALID + "expected: {sequence: [[0, 4, 0], [1, 1, 1]]}\n")
    assert "expected.sequence: is 1x2x3, expected 1x1x3 = [batch, time, units]" in message
    message = error_for(write_case, VALID + "expected:\n  steps:\n    - {t: 2, i: [1, 2, 3]}\n")
    assert "expected.steps[0].t: is the number 2, expected the step number" in message
    message = error_for(write_case, VALID + "expected:\n  steps:\n    - {t: 1, g: [1, 2, 3]}\n")
    assert "expected.steps[0].g: is not a known key" in message


def test_batch_axis_required_for_batches(write_case):
    text = VALID.replace("inputs: [[[1, 0]]]", "inputs: [[[1, 0]], [[0, 1]]]")
    message = error_for(write_case, text + "expected: {h: [0, 4, 0]}\n")
    assert "expected.h: is 3 with no batch axis, expected 2x3" in message


def test_unknown_key_with_suggestion(write_case):
    message = error_for(write_case, VALID.replace("units: 3", "unit: 3"))
    assert ":1: unit: is not a known key (did you mean 'units'?)" in message


def test_unknown_activation_with_suggestion(write_case):
    message = error_for(write_case, VALID.replace("activation: null\nrecurrent", "activation: tahn\nrecurrent"))
    assert "activation: is 'tahn', not a Keras activation name (did you mean 'tanh'?)" in message


def test_refused_activation(write_case):
    message = error_for(write_case, VALID.replace("recurrent_activation: null", "recurrent_activation: glu"))
    assert "recurrent_activation: is 'glu'" in message


def test_options_types(write_case):
    assert "go_backwards: is the text 'yes please', expected true or false" in error_for(
        write_case, VALID + "go_backwards: yes please\n")
    assert "dtype: is the text 'float16', expected float32 or float64" in error_for(
        write_case, VALID + "dtype: float16\n")
    assert "tolerance.atol: is the number -1" in error_for(
        write_case, VALID + "tolerance: {atol: -1}\n")
    assert "units: is the text 'three', expected a positive whole number" in error_for(
        write_case, VALID.replace("units: 3", "units: three"))


def test_missing_required_keys(write_case):
    assert "has no 'inputs' key" in error_for(write_case, "units: 3\nweights: {}\n")
    assert "has no 'weights' key" in error_for(write_case, "inputs: [[1]]\n")


def test_not_yaml_and_empty(write_case):
    assert "is not valid YAML" in error_for(write_case, "inputs: [[1, 0]\n")
    assert "is empty" in error_for(write_case, "")
    assert "expected a mapping" in error_for(write_case, "- 1\n- 2\n")


def test_duplicate_key(write_case):
    message = error_for(write_case, VALID + "units: 3\n")
    assert "units: appears twice (lines 1 and 14)" in message


def test_python_tags_are_refused(write_case):
    message = error_for(write_case, VALID + "name: !!python/object/apply:os.system ['true']\n")
    assert "tag:yaml.org,2002:python/object/apply:os.system" in message
