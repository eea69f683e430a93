"""The backward pass in case files and on the command line: the format's keys and errors,
gradients in the case's own weight form, the JSON, calc, new --backward and the bundled
cases."""

import json

import numpy as np
import pytest

from conftest import CASES, run_cli
from lstm_verify import backward
from lstm_verify.case import load_case
from lstm_verify.errors import CaseError

ONE_STEP = CASES / "backward" / "one-step-by-hand.yaml"
BASE = """\
units: 2
activation: null
recurrent_activation: null
inputs: [[1, 2]]
weights:
  kernel: [[1, 0, 1, 1, 0, 1, 1, 0], [0, 1, 0, 1, 1, 0, 0, 1]]
  recurrent_kernel: [[0, 1, 0, 0, 1, 0, 1, 0], [1, 0, 0, 0, 0, 1, 0, 1]]
  bias: [0, 0, 0, 1, 0, 0, 1, 0]
"""


def error_for(write_case, text):
    path = write_case(text)
    with pytest.raises(CaseError) as info:
        load_case(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message, message
    return message


@pytest.mark.parametrize("text, expected", [
    ("backward: {}\n", "backward: needs exactly one of upstream"),
    ("backward: {upstream: {h: [1, 1]}, loss: {squared_error: {target: [[1, 1]]}}}\n",
     "backward: needs exactly one of upstream"),
    ("backward: {upstream: {o: [1, 1]}}\n", "backward.upstream.o: is not a known key"),
    ("backward: {upstream: {h: [1, 1, 1]}}\n",
     "backward.upstream.h: is 1x3, expected 1x2 = [batch, units]"),
    ("backward: {loss: {squared_error: {target: [[1, 1]], of: c}}}\n",
     "backward.loss.squared_error.of: is the text 'c', expected sequence or h"),
    ("backward: {loss: {squared_error: {of: h}}}\n",
     "backward.loss.squared_error: has no target"),
    ("backward: {loss: {squared_error: {target: [[1, 1], [1, 1]]}}}\n",
     "backward.loss.squared_error.target: is 1x2x2, expected 1x1x2"),
    ("expected: {gradients: {kernel: [[1]]}}\n",
     "expected.gradients: is given, but the case has no backward: block"),
    ("backward: {upstream: {h: [1, 1]}}\nexpected: {gradients: {W_i: [[1]]}}\n",
     "expected.gradients.W_i: is not a known key"),
    ("backward: {upstream: {h: [1, 1]}}\nexpected: {gradients: {kernel: [[1, 2]]}}\n",
     "expected.gradients.kernel: is 1x2, expected 2x8 = dL/dkernel, shaped like "
     "weights.kernel"),
    ("backward: {upstream: {h: [1, 1]}}\nexpected: {gradients: {steps: [{t: 1, dz: [1, 1]}]}}\n",
     "expected.gradients.steps[0].dz: is not a known key"),
    ("backward: {upstream: {h: [1, 1]}}\nexpected: {gradients: {steps: [{t: 2, dh: [1, 1]}]}}\n",
     "expected.gradients.steps[0].t: is the number 2, expected the step number"),
])
def test_backward_format_errors(write_case, text, expected):
    assert expected in error_for(write_case, BASE + text)


def test_gradients_in_the_textbook_form_are_the_kernel_blocks_transposed(write_case):
    keras = load_case(ONE_STEP)
    grads = backward.run(keras)
    lines = ["units: 2", "activation: null", "recurrent_activation: null",
             "inputs: [[1, 2]]", "weights:"]
    for k, g in enumerate("ifco"):
        block = slice(2 * k, 2 * k + 2)
        lines += [f"  W_{g}: {keras.kernel[:, block].T.tolist()}",
                  f"  U_{g}: {keras.recurrent_kernel[:, block].T.tolist()}",
                  f"  b_{g}: {keras.bias[block].tolist()}"]
    lines += ["backward: {upstream: {h: [1, 1]}}", "expected:", "  gradients:",
              f"    W_c: {grads.weights['kernel'][:, 4:6].T.tolist()}",
              f"    b_o: {grads.weights['bias'][6:8].tolist()}"]
    case = load_case(write_case("\n".join(lines) + "\n"))
    assert case.weight_form == "per-gate"
    from lstm_verify.backward.compare import compare
    mismatches, _, diff = compare(case, backward.run(case))
    assert mismatches == [] and diff == 0.0
    np.testing.assert_array_equal(case.expected["gradients"]["W_c"], [[2, 4], [4, 8]])


def test_verify_json_has_the_gradient_mismatches_and_the_diagnosis():
    done = run_cli("verify", CASES / "backward" / "mistake-carry-path.yaml", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["cases"][0]
    assert report["status"] == "known-mistake"
    assert {"id": "carry-path-dropped", "detail": "dc_t without f·dc_{t+1}"} in \
        report["diagnoses"]
    first = report["backward_first_divergence"]
    assert (first["quantity"], first["t"], first["unit"]) == ("dc", 2, 0)
    wrong = report["gradients"][0]
    assert set(wrong) == {"quantity", "t", "batch", "unit", "index", "expected",
                          "reference", "keras", "between"}
    kernel = [m for m in report["gradients"] if m["quantity"] == "kernel"][0]
    assert kernel["t"] is None and kernel["batch"] is None and len(kernel["index"]) == 2
    assert kernel["reference"] == kernel["keras"] != kernel["expected"]


def test_bundled_backward_cases_pass_with_exit_0():
    done = run_cli("verify", CASES / "backward")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "7 cases: 7 passed (1 known mistake confirmed)" in done.stdout


def test_one_step_case_numbers_by_hand():
    case = load_case(ONE_STEP)
    grads = backward.run(case)
    # o = [2, 2], c = [2, 2], c~ = [2, 1], i = [1, 2] (the forward table): with dh = 1,
    # do = c, dc = o, di = dc·c~, dc~ = dc·i, df = dc·c_prev = 0
    assert grads.steps["do"][0, 0].tolist() == [2, 2]
    assert grads.steps["dc"][0, 0].tolist() == [2, 2]
    assert grads.steps["di"][0, 0].tolist() == [4, 2]
    assert grads.steps["dc_tilde"][0, 0].tolist() == [2, 4]
    assert grads.steps["df"][0, 0].tolist() == [0, 0]
    assert grads.weights["kernel"].tolist() == [[4, 2, 0, 0, 2, 4, 2, 2],
                                                [8, 4, 0, 0, 4, 8, 4, 4]]


def test_a_wrong_gradient_fails_verify_with_exit_1(write_case):
    text = BASE + ("backward: {upstream: {h: [1, 1]}}\n"
                   "expected: {gradients: {steps: [{t: 1, do: [1, 3]}]}}\n")
    done = run_cli("verify", write_case(text))
    assert done.returncode == 1
    # one sequence: no ", batch 0" (as the forward report writes positions)
    assert "✗ do[0] at step 1: author 1, reference 2, TensorFlow 2" in done.stdout
    assert "batch 0" not in done.stdout


def test_a_backward_position_names_the_batch_when_there_are_several():
    from lstm_verify.backward.compare import describe_position
    from lstm_verify.compare import Mismatch
    m = Mismatch(quantity="dh", t=2, batch=1, unit=0, expected=2.0, reference=1.0,
                 keras=1.0, between="expected-reference")
    assert describe_position(m, 2) == "dh[0] at step 2, batch 1"
    assert describe_position(m, 1) == "dh[0] at step 2"


def test_calc_shows_the_reference_gradients_without_tensorflow():
    code = ("import sys; sys.argv = ['lstm-verify', 'calc', sys.argv[1]];"
            "from lstm_verify.cli import main; rc = main();"
            "assert 'tensorflow' not in sys.modules; sys.exit(rc)")
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", code, str(ONE_STEP)], capture_output=True,
                          text=True, cwd=CASES.parent)
    assert done.returncode == 0, done.stderr
    assert "backward, step 1" in done.stdout
    assert ("  dL/dkernel = [[4, 2, 0, 0, 2, 4, 2, 2],\n"     # one matrix row per line
            "                [8, 4, 0, 0, 4, 8, 4, 4]]\n") in done.stdout


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
def test_new_backward_writes_a_case_whose_gradients_verify(tmp_path, cell):
    path = tmp_path / "b.yaml"
    made = run_cli("new", path, "--backward", "--with-expected", "--cell", cell)
    assert made.returncode == 0, made.stderr
    case = load_case(path)
    assert set(case.backward["upstream"]) == {"h"}
    assert {"steps", "kernel", "recurrent_kernel", "bias", "inputs",
            "initial_state"} <= set(case.expected["gradients"])
    done = run_cli("verify", path)
    assert done.returncode == 0, done.stdout[-2000:]
