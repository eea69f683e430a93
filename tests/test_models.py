"""Saved models: inspect, extract, and verify the extracted cases (real Keras throughout).

The models are small, saved in a temporary folder as .keras and .h5, with random
weights in every gate block (so a gate-order slip in extraction cannot pass).
Keras runs in this process (started once), except for the end-to-end CLI tests.
"""

import os
import re

import numpy as np
import pytest
import yaml

from conftest import run_cli
from lstm_verify import forward
from lstm_verify.case import load_case
from lstm_verify.cli import main
from lstm_verify.errors import CaseError
from lstm_verify.saved_models.extract import extract
from lstm_verify.keras_run import _import_keras
from lstm_verify.saved_models.inspection import describe_model
from lstm_verify.saved_models import find_layers, load_model
from lstm_verify.suite import verify_case


def _randomize(model, seed):
    """Random weights everywhere (the forget bias included), so every gate block differs."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.5, size=weight.shape).astype("float32"))


def _build_models(keras):
    L = keras.layers
    sequential = keras.Sequential([keras.Input((4, 2)), L.LSTM(3, name="lstm")],
                                  name="sequential")
    inp = keras.Input((5, 3))
    x = L.LSTM(4, return_sequences=True, name="first")(inp)
    stacked = keras.Model(inp, L.LSTM(2, activation="relu", name="second")(x), name="stacked")
    inp = keras.Input((4, 2))
    bi = keras.Model(inp, L.Bidirectional(L.LSTM(3, return_sequences=True, name="lstm"), name="bi")(inp),
                     name="bidirectional")
    inner_in = keras.Input((4, 3))
    inner = keras.Model(inner_in, L.LSTM(2, return_sequences=True, name="inner_lstm")(
        inner_in), name="encoder")
    inp = keras.Input((4, 2))
    nested = keras.Model(inp, inner(L.Dense(3, name="pre")(inp)), name="nested")
    for n, model in enumerate((sequential, stacked, bi, nested)):
        _randomize(model, n)
    return dict(sequential=sequential, stacked=stacked, bi=bi, nested=nested)


@pytest.fixture(scope="module")
def keras():
    return _import_keras()


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    """{(name, suffix): path} of every test model saved as .keras and .h5."""
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for name, model in _build_models(keras).items():
        for suffix in (".keras", ".h5"):
            out[name, suffix] = folder / f"{name}{suffix}"
            model.save(out[name, suffix])
    inp = keras.Input((4, 2))
    x = keras.layers.Lambda(lambda t: t * 2, name="double")(inp)
    lam = keras.Model(inp, keras.layers.LSTM(2, name="after_lambda")(x))
    for suffix in (".keras", ".h5"):
        out["lambda", suffix] = folder / f"lambda{suffix}"
        lam.save(out["lambda", suffix])
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Input files: a batch of two for each input shape, as .npy."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(42)
    out = {}
    for features in (2, 3):
        out[features] = folder / f"x{features}.npy"
        np.save(out[features], rng.normal(size=(2, 5 if features == 3 else 4, features)))
    return out


def _input_for(name, data):
    return data[3] if name == "stacked" else data[2]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_inspect_finds_every_lstm_layer_with_its_options(saved, suffix):
    found = {}
    for name in ("sequential", "stacked", "bi", "nested"):
        description = describe_model(saved[name, suffix], load_model(saved[name, suffix]))
        found[name] = {layer["path"]: layer for layer in description["lstm_layers"]}
    assert list(found["sequential"]) == ["lstm"]
    assert list(found["stacked"]) == ["first", "second"]
    assert list(found["bi"]) == ["bi/forward_lstm", "bi/backward_lstm"]
    assert list(found["nested"]) == ["encoder/inner_lstm"]
    assert found["stacked"]["second"]["options"]["activation"] == "relu"
    assert found["stacked"]["first"]["options"]["return_sequences"] is True
    backward = found["bi"]["bi/backward_lstm"]
    assert backward["direction"] == "backward" and backward["options"]["go_backwards"]
    assert not found["bi"]["bi/forward_lstm"]["options"]["go_backwards"]


def test_inspect_statistics_are_per_gate_block(saved):
    model = load_model(saved["stacked", ".keras"])
    kernel, recurrent, bias = model.get_layer("first").get_weights()
    layer = describe_model("m", model)["lstm_layers"][0]
    rows = {(row["matrix"], row["gate"]): row for row in layer["gates"]}
    units = 4
    for n, gate in enumerate("ifco"):
        block = slice(n * units, (n + 1) * units)
        assert rows["kernel", gate]["shape"] == [3, units]
        assert rows["kernel", gate]["mean"] == pytest.approx(kernel[:, block].mean())
        assert rows["recurrent_kernel", gate]["max"] == pytest.approx(recurrent[:, block].max())
        assert rows["bias", gate]["min"] == pytest.approx(bias[block].min())
    assert "forget-gate bias mean" in layer["forget_bias_note"]


def test_untrained_forget_bias_is_pointed_out(keras, tmp_path, capsys):
    model = keras.Sequential([keras.Input((3, 2)), keras.layers.LSTM(2, name="fresh")])
    model.save(tmp_path / "fresh.keras")
    assert main(["inspect", str(tmp_path / "fresh.keras")]) == 0
    out = capsys.readouterr().out
    assert "bias             f           2          1          0          1          1  <- " \
           "forget gate" in out
    assert "forget-gate bias is exactly 1" in out and "unit_forget_bias" in out


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_layer_is_refused_in_safe_mode_and_loads_with_unsafe(saved, suffix):
    with pytest.raises(CaseError) as refused:
        load_model(saved["lambda", suffix])
    message = str(refused.value)
    assert "Lambda" in message and "--unsafe" in message and str(saved["lambda", suffix]) \
        in message
    model = load_model(saved["lambda", suffix], unsafe=True)
    assert [e.path for e in find_layers(model, "after_lambda", "m")] == ["after_lambda"]


def _model_outputs(keras, model, layer, x):
    """What ``layer`` of ``model`` returns on ``x``, from a sub-model (an independent route)."""
    return np.asarray(keras.Model(model.inputs, layer.output)(x))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_extracted_stacked_cases_hold_the_models_own_numbers_and_verify(
        keras, saved, data, tmp_path, suffix):
    model = load_model(saved["stacked", suffix])
    x = np.load(data[3])
    first_out = _model_outputs(keras, model, model.get_layer("first"), x)
    second_out = np.asarray(model(x))
    for name in ("first", "second"):
        (path,) = extract(saved["stacked", suffix], name, data[3], tmp_path / f"{name}.yaml")
        case = load_case(path)
        result = verify_case(case)
        assert result.status == "pass", result
        if name == "first":
            np.testing.assert_allclose(case.expected["sequence"], first_out, atol=1e-6)
            np.testing.assert_allclose(case.expected["h"], first_out[:, -1], atol=1e-6)
            np.testing.assert_allclose(case.inputs, x, atol=1e-6)
        else:  # the second layer's input is the first layer's output, as the model made it
            np.testing.assert_allclose(case.inputs, first_out, atol=1e-6)
            np.testing.assert_allclose(case.expected["h"], second_out, atol=1e-6)
            assert case.activation == "relu"
        # c comes from the model's run; the reference, fed the same weights, agrees
        np.testing.assert_allclose(case.expected["c"], forward.run(case).final_c,
                                   atol=1e-5)


def test_bidirectional_gives_one_case_per_direction_in_processing_order(
        keras, saved, data, tmp_path):
    written = extract(saved["bi", ".keras"], "bi", data[2], tmp_path / "bi.yaml")
    assert [p.name for p in written] == ["bi.forward.yaml", "bi.backward.yaml"]
    forward, backward = (load_case(p) for p in written)
    merged = np.asarray(load_model(saved["bi", ".keras"])(np.load(data[2])))  # (B, T, 2U)
    assert not forward.go_backwards and backward.go_backwards
    np.testing.assert_allclose(forward.expected["sequence"], merged[..., :3], atol=1e-6)
    # the wrapper flips the backward sequence back to input order; the case keeps
    # processing order, so flipping it once more must give the model's output
    np.testing.assert_allclose(backward.expected["sequence"][:, ::-1], merged[..., 3:],
                               atol=1e-6)
    for case in (forward, backward):
        assert verify_case(case).status == "pass"


def test_a_layer_inside_a_nested_model_gets_the_outer_layers_output(
        keras, saved, data, tmp_path):
    model = load_model(saved["nested", ".h5"])
    x = np.load(data[2])
    (path,) = extract(saved["nested", ".h5"], "inner_lstm", data[2], tmp_path / "n.yaml")
    case = load_case(path)
    np.testing.assert_allclose(case.inputs, np.asarray(model.get_layer("pre")(x)), atol=1e-6)
    np.testing.assert_allclose(case.expected["sequence"], np.asarray(model(x)), atol=1e-6)
    assert verify_case(case).status == "pass"


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_rnn_of_an_lstm_cell_is_found_extracted_and_verified(keras, data, tmp_path, suffix):
    # keras.layers.RNN(LSTMCell(...)) runs the same loop as keras.layers.LSTM; it used to
    # be invisible to inspect and extract ("has no LSTM layer").
    L = keras.layers
    inp = keras.Input((4, 2))
    x = L.RNN(L.LSTMCell(3), return_sequences=True, name="cell_rnn")(inp)
    out = L.Bidirectional(L.RNN(L.LSTMCell(2), return_sequences=True), name="bi_cells")(x)
    model = keras.Model(inp, out)
    _randomize(model, 9)
    model.save(tmp_path / f"cells{suffix}")
    loaded = load_model(tmp_path / f"cells{suffix}")
    paths = [layer["path"] for layer in describe_model("m", loaded)["lstm_layers"]]
    assert paths[0] == "cell_rnn" and len(paths) == 3 and paths[1].startswith("bi_cells/")
    x_in = np.load(data[2])
    (first,) = extract(tmp_path / f"cells{suffix}", "cell_rnn", data[2], tmp_path / "a.yaml")
    case = load_case(first)
    np.testing.assert_allclose(
        case.expected["sequence"], _model_outputs(keras, loaded, loaded.get_layer("cell_rnn"),
                                                  x_in), atol=1e-6)
    assert verify_case(case).status == "pass"
    forward, backward = extract(tmp_path / f"cells{suffix}", "bi_cells", data[2],
                                tmp_path / "b.yaml")
    merged = np.asarray(loaded(x_in))
    np.testing.assert_allclose(load_case(forward).expected["sequence"], merged[..., :2],
                               atol=1e-6)
    for path in (forward, backward):
        assert verify_case(load_case(path)).status == "pass"


def test_the_mask_and_initial_state_the_model_gave_the_layer_are_recorded(keras, tmp_path):
    L = keras.layers
    inp = keras.Input((4, 2))
    masked = L.Masking(mask_value=0.0, name="padding")(inp)
    _, h, c = L.LSTM(3, return_state=True, name="encoder")(masked)
    decoded = L.LSTM(3, return_sequences=True, name="decoder")(masked, initial_state=[h, c])
    plain = L.LSTM(3, return_sequences=True, name="plain")(masked)
    model = keras.Model(inp, [decoded, plain])
    _randomize(model, 7)
    model.save(tmp_path / "seq2seq.keras")
    x = np.random.default_rng(8).normal(size=(2, 4, 2))
    x[0, 2:] = 0.0  # padding: the last two steps of the first sequence are masked
    np.save(tmp_path / "x.npy", x)
    model_decoded, model_plain = (np.asarray(v) for v in model(x))
    cases = {}
    for name in ("decoder", "plain"):
        (path,) = extract(tmp_path / "seq2seq.keras", name, tmp_path / "x.npy",
                          tmp_path / f"{name}.yaml")
        cases[name] = load_case(path)
        assert verify_case(cases[name]).status == "pass"
    np.testing.assert_array_equal(cases["plain"].mask, [[True, True, False, False],
                                                        [True] * 4])
    np.testing.assert_allclose(cases["plain"].expected["sequence"], model_plain, atol=1e-6)
    # (Keras 3.15 does not pass the Masking layer's mask on to a layer called with
    # initial_state; the case records what the layer really received)
    encoder_h, encoder_c = (np.asarray(v) for v in keras.Model(inp, [h, c])(x))
    np.testing.assert_allclose(cases["decoder"].h0, encoder_h, atol=1e-6)
    np.testing.assert_allclose(cases["decoder"].c0, encoder_c, atol=1e-6)
    np.testing.assert_allclose(cases["decoder"].expected["sequence"], model_decoded,
                               atol=1e-6)


def test_large_arrays_go_to_the_npz_and_the_case_still_verifies(saved, data, tmp_path):
    (path,) = extract(saved["sequential", ".keras"], "lstm", data[2], tmp_path / "s.yaml",
                      inline_max=4)
    text = path.read_text()
    assert "arrays: s.npz" in text and "kernel: npz:kernel" in text
    assert "inputs: npz:inputs" in text and "bias: npz:bias" in text  # 16 values > 4
    assert yaml.safe_load(text)["weights"]["kernel"] == "npz:kernel"
    with np.load(tmp_path / "s.npz") as arrays:
        assert arrays["kernel"].shape == (2, 12) and arrays["kernel"].dtype == np.float32
    case = load_case(path)
    assert verify_case(case).status == "pass"
    # everything else works with such a case too (no Keras needed)
    assert main(["validate", str(path)]) == 0
    assert main(["calc", str(path)]) == 0


def test_extract_refuses_to_overwrite_without_force(saved, data, tmp_path):
    target = tmp_path / "s.yaml"
    target.write_text("my own notes\n")
    with pytest.raises(CaseError, match="already exists; pass --force"):
        extract(saved["sequential", ".keras"], "lstm", data[2], target)
    assert target.read_text() == "my own notes\n"
    (tmp_path / "t.npz").write_bytes(b"mine")  # the sibling .npz is protected as well
    with pytest.raises(CaseError, match="t.npz: already exists"):
        extract(saved["sequential", ".keras"], "lstm", data[2], tmp_path / "t.yaml")
    assert not (tmp_path / "t.yaml").exists()
    extract(saved["sequential", ".keras"], "lstm", data[2], target, force=True)
    assert load_case(target).units == 3


def test_input_files_npz_key_and_csv_one_sequence(saved, tmp_path):
    x = np.random.default_rng(3).normal(size=(4, 2))  # [time, features]
    np.savez(tmp_path / "in.npz", other=np.zeros((1, 4, 2)), mine=x)
    np.savetxt(tmp_path / "in.csv", x, delimiter=",", header="a,b", comments="")
    model_path = saved["sequential", ".keras"]
    (from_npz,) = extract(model_path, "lstm", tmp_path / "in.npz", tmp_path / "a.yaml",
                          key="mine")
    (from_csv,) = extract(model_path, "lstm", tmp_path / "in.csv", tmp_path / "b.yaml")
    for path in (from_npz, from_csv):
        case = load_case(path)
        assert case.batch == 1
        np.testing.assert_allclose(case.inputs[0], x, rtol=1e-6)
    with pytest.raises(CaseError, match="has no array named 'nope'.*other, mine"):
        extract(model_path, "lstm", tmp_path / "in.npz", tmp_path / "c.yaml", key="nope")
    np.save(tmp_path / "wrong.npy", np.zeros((4, 3)))
    with pytest.raises(CaseError, match=r"is 1x4x3, but the model's input is anyx4x2"):
        extract(model_path, "lstm", tmp_path / "wrong.npy", tmp_path / "d.yaml")


def test_layer_names_unknown_or_ambiguous_are_clear(saved):
    model = load_model(saved["stacked", ".keras"])
    with pytest.raises(CaseError, match="--layer third is not an LSTM layer in it; its LSTM "
                                        "layers are: first, second"):
        find_layers(model, "third", "m")
    bi = load_model(saved["bi", ".keras"])
    assert [e.direction for e in find_layers(bi, "bi", "m")] == ["forward", "backward"]
    assert [e.direction for e in find_layers(bi, "bi/backward_lstm", "m")] == ["backward"]


# ----- npz references in hand-written cases -----

SEED = """\
units: 3
activation: null
recurrent_activation: null
arrays: w.npz
inputs: [[1, 0]]
weights:
  kernel: npz:kernel
  recurrent_kernel: {rk}
  bias: [3, 1, 0, 1, 1, 0, 0, 1, 0, 2, 0, 0]
expected: {{h: [0, 4, 0], c: [0, 4, 1]}}
"""
KERNEL = [[2, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0], [1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0]]
RECURRENT = [[1, 0, 0, 1, 2, 1, 0, 1, 2, 0, 1, 0], [1, 1, 0, 0, 2, 1, 0, 1, 2, 2, 0, 0],
             [1, 0, 1, 2, 0, 1, 0, 1, 1, 0, 1, 0]]


@pytest.fixture
def npz_case(tmp_path, write_case):
    np.savez(tmp_path / "w.npz", kernel=np.array(KERNEL, np.float32),
             recurrent=np.array(RECURRENT), wrong=np.zeros((3, 5)),
             nan=np.where(np.eye(3, 12) > 0, np.nan, 0.0))
    return lambda rk="npz:recurrent", **kw: write_case(SEED.format(rk=rk), **kw)


def test_npz_references_resolve_to_the_same_case_as_inline_lists(npz_case):
    case = load_case(npz_case())
    np.testing.assert_array_equal(case.kernel, KERNEL)
    np.testing.assert_array_equal(case.recurrent_kernel, RECURRENT)
    np.testing.assert_array_equal(forward.run(case).final_h, [[0, 4, 0]])


@pytest.mark.parametrize("rk, message", [
    ("npz:wrong", r"case.yaml:8: weights.recurrent_kernel: is 3x5, expected 3x12 = "
                  r"\[units, 4\*units\].* \(the array comes from w.npz entry 'wrong'\)"),
    ("npz:nope", r"case.yaml:8: weights.recurrent_kernel: is 'npz:nope', but w.npz has no "
                 r"array named 'nope'; it holds: kernel, nan, recurrent, wrong"),
    ("npz:nan", r"weights.recurrent_kernel: contains a non-finite number \(NaN or "
                r"infinity\) at position \[0, 0\].*w.npz entry 'nan'"),
])
def test_npz_reference_errors_name_file_key_and_entry(npz_case, rk, message):
    with pytest.raises(CaseError, match=message):
        load_case(npz_case(rk))


def test_an_npz_reference_inside_a_list_says_it_stands_for_a_whole_array(npz_case):
    # Regression: [npz:recurrent, npz:recurrent] was reported as "is 2, expected a 2-D list".
    with pytest.raises(CaseError, match=r"case.yaml:8: weights.recurrent_kernel\[0\]: is "
                                        r"'npz:recurrent' inside a list; a .npz reference "
                                        r"stands for a whole array"):
        load_case(npz_case("[npz:recurrent, npz:recurrent]"))


def test_a_missing_npz_file_or_arrays_key_is_clear(npz_case, tmp_path, write_case):
    path = npz_case()
    (tmp_path / "w.npz").unlink()
    with pytest.raises(CaseError, match=r"case.yaml:4: arrays: names w.npz, but .*w.npz does "
                                        r"not exist"):
        load_case(path)
    no_key = write_case(SEED.format(rk="npz:recurrent").replace("arrays: w.npz\n", ""),
                        name="no-key.yaml")
    with pytest.raises(CaseError, match=r"no-key.yaml:6: weights.kernel: is 'npz:kernel', a "
                                        r"reference into a .npz file, but the case has no "
                                        r"top-level 'arrays' key"):
        load_case(no_key)


def test_a_huge_npz_entry_is_refused_before_it_is_read(npz_case, tmp_path):
    np.savez(tmp_path / "w.npz", kernel=np.zeros((2, 12)), recurrent=np.zeros((300, 12)))
    with pytest.raises(CaseError, match="weights.recurrent_kernel: refers to w.npz entry "
                                        "'recurrent', which holds 3,600 values, more than "
                                        "the 1,000 allowed; pass --max-values N"):
        load_case(npz_case(), max_values=1000)


def test_a_pickled_npz_entry_is_refused_without_unpickling(tmp_path, write_case):
    np.savez(tmp_path / "p.npz", obj=np.array([{"x": 1}, None], dtype=object))
    path = write_case("arrays: p.npz\ninputs: npz:obj\nweights:\n"
                      "  kernel: [[1, 1, 1, 1]]\n  recurrent_kernel: [[0, 0, 0, 0]]\n"
                      "  bias: [0, 0, 0, 0]\n")
    with pytest.raises(CaseError, match="inputs: refers to p.npz entry 'obj', of type object; "
                                        "expected numbers"):
        load_case(path)


def test_an_npz_mask_of_booleans_is_accepted(tmp_path, write_case):
    np.savez(tmp_path / "m.npz", mask=np.array([[True, False]]))
    path = write_case("arrays: m.npz\ninputs: [[1], [2]]\nmask: npz:mask\nweights:\n"
                      "  kernel: [[1, 1, 1, 1]]\n  recurrent_kernel: [[0, 0, 0, 0]]\n"
                      "  bias: [0, 0, 0, 0]\n")
    np.testing.assert_array_equal(load_case(path).mask, [[True, False]])


# ----- end to end through the real command line -----

def test_cli_extract_then_verify_end_to_end(saved, tmp_path):
    x = np.random.default_rng(5).normal(size=(5, 3))
    np.savetxt(tmp_path / "seq.csv", x, delimiter=",")
    done = run_cli("extract", saved["stacked", ".h5"], "--layer", "second", "--input",
                   tmp_path / "seq.csv", "-o", tmp_path / "second.yaml", "--inline-max", "8")
    assert done.returncode == 0, done.stderr
    assert f"wrote {tmp_path / 'second.yaml'}" in done.stdout
    checked = run_cli("verify", tmp_path / "second.yaml", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '"status": "pass"' in checked.stdout
    again = run_cli("extract", saved["stacked", ".h5"], "--layer", "second", "--input",
                    tmp_path / "seq.csv", "-o", tmp_path / "second.yaml")
    assert again.returncode == 2 and "already exists; pass --force" in again.stderr


def test_cli_inspect_refuses_a_lambda_model_with_exit_2(saved):
    done = run_cli("inspect", saved["lambda", ".keras"])
    assert done.returncode == 2
    assert "Lambda" in done.stderr and "--unsafe" in done.stderr
    assert "Traceback" not in done.stderr
    unsafe = run_cli("inspect", saved["lambda", ".keras"], "--unsafe")
    assert unsafe.returncode == 0 and "after_lambda" in unsafe.stdout


def test_a_million_value_npz_array_is_checked_whole_not_element_by_element(
        tmp_path, write_case, monkeypatch):
    from lstm_verify.case import checks
    np.savez(tmp_path / "big.npz", inputs=np.full((1, 250_000, 4), 0.5))
    path = write_case("arrays: big.npz\ninputs: npz:inputs\nweights:\n"
                      "  kernel: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]\n"
                      "  recurrent_kernel: [[0, 0, 0, 0]]\n  bias: [0, 0, 0, 0]\n")

    def lists_only(function):  # the per-element walk stays for YAML lists only
        def guarded(value, *rest):
            if isinstance(value, np.ndarray):
                raise AssertionError("a numpy array went through the per-element checks")
            return function(value, *rest)
        return guarded
    monkeypatch.setattr(checks, "_flat", lists_only(checks._flat))
    monkeypatch.setattr(checks, "_shape", lists_only(checks._shape))
    case = load_case(path)
    assert case.inputs.shape == (1, 250_000, 4) and case.inputs.dtype == np.float64


@pytest.mark.parametrize("name, message", [
    ("broken.keras", "is not a .keras model file (one is a zip archive"),
    ("broken.h5", "is not an HDF5 file, so not a Keras .h5 model"),
    ("model.pt", "is not a saved Keras model: expected a .keras or .h5 file, found a '.pt'"),
    ("absent.keras", "does not exist; expected a saved Keras model"),
])
def test_files_that_are_not_keras_models_are_named_clearly(tmp_path, name, message):
    if name != "absent.keras":
        (tmp_path / name).write_text("not a model\n")
    with pytest.raises(CaseError, match=re.escape(message)):
        load_model(tmp_path / name)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_extract_never_writes_a_case_verify_would_refuse(saved, tmp_path, bad):
    x = np.random.default_rng(5).normal(size=(1, 4, 2))
    x[0, 2, 1] = bad
    np.save(tmp_path / "x.npy", x)
    target = tmp_path / "case.yaml"
    with pytest.raises(CaseError, match="finite numbers") as info:
        extract(saved["sequential", ".keras"], "lstm", tmp_path / "x.npy", target)
    assert "inputs" in info.value.message and "[0, 2, 1]" in info.value.message
    assert sorted(os.listdir(tmp_path)) == ["x.npy"]


def test_extract_writes_one_matrix_row_per_line_with_its_shape(saved, data, tmp_path):
    out = tmp_path / "rows.yaml"
    done = run_cli("extract", saved["stacked", ".keras"], "--layer", "second", "--input",
                   data[3], "-o", out, "--inline-max", "100000")
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    case = load_case(out)
    lines = text.splitlines()
    at = lines.index(f"  kernel:   # {case.input_dim}x{4 * case.units}: [input_dim, 4*units], "
                     "blocks i, f, c, o")
    assert all(line.startswith("    - [") and line.endswith("]")
               for line in lines[at + 1:at + 1 + case.input_dim])
    assert lines[at + 1 + case.input_dim].startswith("  recurrent_kernel:   # ")
    at = lines.index(f"inputs:   # {case.batch}x{case.steps}x{case.input_dim}: "
                     "[batch, time, features]")
    assert lines[at + 1].startswith("  - - [") and lines[at + 2].startswith("    - [")
    assert f"  h:   # {case.batch}x{case.units}: [batch, units]" in lines
    assert case.expected["h"].shape == (case.batch, case.units)   # it reads back as a case
