"""The public Python API, used only through ``import lstm_verify``: loading and building
cases, the reference alone (no TensorFlow), verify, assert_matches, case_from_layer."""

import subprocess
import sys

import numpy as np
import pytest

import lstm_verify as lv
from conftest import CASES, ROOT

SEED = CASES / "seed-article.yaml"


def seed_arrays():
    case = lv.load_case(SEED)
    return case.inputs, case.kernel, case.recurrent_kernel, case.bias


def test_public_names_are_few_and_importable():
    assert set(lv.__all__) == {"CaseError", "Verification", "Verifications",
                               "assert_matches", "case_from_arrays", "case_from_layer",
                               "load_case", "reference", "verify", "verify_files"}


def test_load_case_errors_name_file_and_key(write_case):
    path = write_case("inputs: [[1, 0]]\nweights: {kernel: [[1, 2]], recurrent_kernel: [[1]]}\n")
    with pytest.raises(lv.CaseError) as info:
        lv.load_case(path)
    assert str(path) in str(info.value) and "weights.recurrent_kernel" in str(info.value)


def test_case_from_arrays_is_the_file_case():
    inputs, kernel, recurrent, bias = seed_arrays()
    case = lv.case_from_arrays(inputs, kernel, recurrent, bias, activation=None,
                               recurrent_activation=None)
    assert lv.reference(case).final["h"].tolist() == [[0, 4, 0]]
    assert lv.reference(case).final["c"].tolist() == [[0, 4, 1]]


def test_case_from_arrays_checks_like_a_file():
    inputs, kernel, recurrent, bias = seed_arrays()
    with pytest.raises(lv.CaseError) as info:
        lv.case_from_arrays(inputs, kernel[:, :8], recurrent, bias)
    assert "weights.kernel: is 2x8, expected 2x12 = [input_dim, 4*units]" in str(info.value)


def test_case_from_arrays_takes_any_weight_form_and_cell():
    rng = np.random.default_rng(0)
    W = {g: rng.normal(size=(2, 3)) for g in "zrh"}
    U = {g: rng.normal(size=(2, 2)) for g in "zrh"}
    weights = {**{f"W_{g}": W[g] for g in "zrh"}, **{f"U_{g}": U[g] for g in "zrh"},
               **{f"b_{g}": np.zeros(2) for g in "zrh"}}
    inputs = rng.normal(size=(1, 4, 3))
    case = lv.case_from_arrays(inputs, None, None, cell="gru", reset_after=False,
                               weights=weights)
    keras_form = lv.case_from_arrays(
        inputs, np.concatenate([W[g].T for g in "zrh"], 1),
        np.concatenate([U[g].T for g in "zrh"], 1), np.zeros(6), cell="gru",
        reset_after=False)
    np.testing.assert_allclose(lv.reference(case).final["h"],
                               lv.reference(keras_form).final["h"])


def test_reference_alone_imports_no_tensorflow():
    code = ("import sys, lstm_verify as lv\n"
            f"trace = lv.reference(lv.load_case({str(SEED)!r}))\n"
            "assert trace.steps['o'][0, 0].tolist() == [2, 1, 0]\n"
            "lv.assert_matches(lv.load_case({0!r}), {{'h': [0, 4, 0]}})\n".format(str(SEED))
            + "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_verify_gives_status_first_divergence_diagnoses_and_a_report():
    result = lv.verify(lv.load_case(SEED))
    assert result.status == "known-mistake" and result.passed
    first = result.first_divergence
    assert (first.quantity, first.t, first.unit, first.expected, first.reference) == (
        "h", None, 2, 1.0, 0.0)
    assert "output-gate-ignored" in [d.id for d in result.diagnoses]
    assert any("blind to 3 of the 23" in w for w in result.warnings)
    report = result.report
    assert "h[2] = o[2]·c[2] = 0·1 = 0, not 1" in report and "unit 2" in report
    assert "\x1b[" not in report          # plain text


def test_assert_matches_passes_for_right_numbers_and_partial_steps():
    case = lv.load_case(CASES / "seed-article-corrected.yaml")
    outcome = lv.assert_matches(case, {"h": [0, 4, 0], "steps": {1: {"o": [2, 1, 0]}}})
    assert outcome.status == "pass"


def test_assert_matches_raises_with_the_table_divergence_and_diagnosis():
    case = lv.load_case(CASES / "seed-article-corrected.yaml")
    with pytest.raises(AssertionError) as info:
        lv.assert_matches(case, {"h": np.array([0, 4, 1]), "c": [0, 4, 1]})
    message = str(info.value)
    assert "┃ unit 0 ┃" in message and "A 1 ✗" in message
    assert "first divergence: final h[2]: author 1, reference 0" in message
    assert "diagnosis: the output gate left out" in message


def test_a_gate_order_warning_and_a_mismatch_reach_the_assertion_message():
    case = lv.load_case(SEED)       # blind to three gate orders, as published
    with pytest.raises(AssertionError) as info:
        lv.assert_matches(case, {"h": [0, 4, 1]})
    message = str(info.value)
    assert "warning:" in message and "blind to 3 of the 23 other gate orders" in message
    assert "✗ final h[2]: author 1, reference 0" in message


def test_assert_matches_rejects_a_wrong_shape_with_the_key():
    case = lv.load_case(CASES / "seed-article-corrected.yaml")
    with pytest.raises(lv.CaseError) as info:
        lv.assert_matches(case, {"h": [0, 4]})
    assert "expected.h: is 1x2, expected 1x3" in str(info.value)


@pytest.fixture(scope="module")
def keras():
    from lstm_verify.keras_run import _import_keras
    return _import_keras()


@pytest.mark.parametrize("make", ["LSTM", "GRU", "SimpleRNN", "RNN(GRUCell)", "bi-backward"])
def test_case_from_layer_holds_the_layers_own_output_and_verifies(keras, make):
    L = keras.layers
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    layer = {"LSTM": lambda: L.LSTM(2), "GRU": lambda: L.GRU(2, reset_after=False),
             "SimpleRNN": lambda: L.SimpleRNN(2, activation="relu"),
             "RNN(GRUCell)": lambda: L.RNN(L.GRUCell(2)),
             "bi-backward": lambda: L.Bidirectional(L.GRU(2))}[make]()
    layer(x)
    target = layer.backward_layer if make == "bi-backward" else layer
    case = lv.case_from_layer(target, x)
    assert case.cell.name == {"LSTM": "lstm", "SimpleRNN": "simple_rnn"}.get(make, "gru")
    assert case.go_backwards is (make == "bi-backward")
    result = lv.verify(case)
    assert result.status == "pass", result.report
    assert case.expected["sequence"].shape == (2, 4, 2)


def test_case_from_layer_refuses_a_whole_bidirectional(keras):
    layer = keras.layers.Bidirectional(keras.layers.LSTM(2))
    with pytest.raises(lv.CaseError) as info:
        lv.case_from_layer(layer, np.zeros((1, 2, 3), "float32"))
    assert "pass its forward_layer or backward_layer" in str(info.value)


def test_api_names_survive_importing_every_module():
    # A submodule named like an API function (verify.py, reference.py once) replaces the
    # function on the package as soon as anything imports it.
    import importlib
    import pkgutil
    for module in pkgutil.walk_packages(lv.__path__, "lstm_verify."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    for name in lv.__all__:
        assert not type(getattr(lv, name)).__name__ == "module", name
    assert lv.verify.__module__ == lv.reference.__module__ == "lstm_verify.api"


def test_the_readme_example_runs():
    text = (ROOT / "README.md").read_text()
    start = text.index("## Python API")
    block = text[text.index("```python\n", start) + len("```python\n"):]
    block = block[:block.index("```")]
    done = subprocess.run([sys.executable, "-c", block + "\nimport sys\n"
                           "assert 'tensorflow' not in sys.modules\n"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[2. 1. 0.] [0. 4. 0.]"
