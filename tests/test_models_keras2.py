"""Models saved by Keras 2 (tf_keras) as .h5: Keras 3 refuses them (time_major), so inspect
and extract load them with tf_keras and say so; the extracted cases say keras: 2 and
verify, with Keras 2 run on them too."""

import json

import numpy as np
import pytest
from test_verify_against import cli

from lstm_verify.case import parse_case
from lstm_verify.errors import CaseError


@pytest.fixture(scope="module")
def keras2_model(tmp_path_factory):
    """Masking -> LSTM (Keras 2's hard_sigmoid gates) -> Bidirectional(GRU) -> SimpleRNN,
    saved by tf_keras as .h5, and an input whose second step is masked."""
    k2 = pytest.importorskip("tf_keras")
    folder = tmp_path_factory.mktemp("keras2")
    k2.utils.set_random_seed(3)
    model = k2.Sequential([
        k2.layers.Masking(0.0, input_shape=(3, 2)),
        k2.layers.LSTM(3, return_sequences=True, recurrent_activation="hard_sigmoid",
                       name="lstm"),
        k2.layers.Bidirectional(k2.layers.GRU(2, return_sequences=True, name="gru"),
                                name="bidi"),
        k2.layers.SimpleRNN(2, name="rnn")], name="old")
    for layer in model.layers[1:]:   # non-zero biases, so no bias is left untested
        layer.set_weights([w + 0.1 * (k + 1) if w.ndim == 1 else w
                           for k, w in enumerate(layer.get_weights())])
    model.save(folder / "old.h5")
    np.save(folder / "x.npy", np.array([[[1, 0.5], [0, 0], [-1, 2]]], np.float32))
    return folder


def test_inspect_loads_a_keras2_h5_with_tf_keras_and_says_so(keras2_model):
    done = cli("inspect", keras2_model / "old.h5", "--json")
    assert done.returncode == 0, done.stderr
    description = json.loads(done.stdout)
    assert description["keras"] == 2
    assert description["note"].startswith("loaded with Keras 2 (tf_keras 2.")
    assert "Keras 3 could not load this .h5 file" in description["note"]
    assert "time_major" in description["note"]      # what Keras 3 said
    assert [(layer["path"], layer["cell"]) for layer in description["layers"]] == [
        ("lstm", "lstm"), ("bidi/forward_gru", "gru"), ("bidi/backward_gru", "gru"),
        ("rnn", "simple_rnn")]
    assert description["layers"][0]["options"]["recurrent_activation"] == "hard_sigmoid"
    text = cli("inspect", keras2_model / "old.h5")
    assert text.returncode == 0, text.stderr
    assert "note: loaded with Keras 2 (tf_keras" in text.stdout


def test_extract_and_verify_a_keras2_model(keras2_model):
    folder = keras2_model
    for layer, out in (("lstm", "lstm.yaml"), ("bidi", "bidi.yaml"), ("rnn", "rnn.yaml")):
        done = cli("extract", folder / "old.h5", "--layer", layer, "--input",
                   folder / "x.npy", "-o", folder / out, "--force")
        assert done.returncode == 0, done.stderr
    cases = [folder / n for n in ("lstm.yaml", "bidi.forward.yaml", "bidi.backward.yaml",
                                  "rnn.yaml")]
    assert all("\nkeras: 2 " in path.read_text() for path in cases)
    assert "known_mistake: \"Keras 2's hard_sigmoid" in cases[0].read_text()
    done = cli("verify", *cases, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout)["cases"]
    statuses = [r["status"] for r in results]
    assert statuses == ["known-mistake", "pass", "pass", "pass"]
    assert [d["id"] for d in results[0]["diagnoses"]] == ["keras2-hard-sigmoid"]
    engines = [{o["engine"]: o for o in r["engines"]} for r in results]
    assert engines[0]["keras2"]["status"] == "definition"
    assert all(e["keras2"]["status"] == "pass" for e in engines[1:])
    assert all(e["keras2"]["max_abs_diff"]["sequence"] < 1e-5 for e in engines[1:])


def test_a_case_says_which_keras_its_numbers_came_from():
    data = {"inputs": [[[1.0]]], "cell": "simple_rnn",
            "weights": {"kernel": [[1.0]], "recurrent_kernel": [[1.0]], "bias": [0.0]}}
    assert parse_case(data, "c.yaml").keras == 3
    assert parse_case({**data, "keras": 2}, "c.yaml").keras == 2
    with pytest.raises(CaseError) as error:
        parse_case({**data, "keras": "2.15"}, "c.yaml")
    assert str(error.value) == (
        "c.yaml: keras: is the text '2.15', expected 2 (the numbers came from Keras 2, "
        "tf_keras, as extract writes for an .h5 model only Keras 2 loads) or 3 (the "
        "default)")


def test_an_h5_neither_keras_can_load_says_what_each_said(tmp_path):
    pytest.importorskip("tf_keras")
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "weights-only.h5", "w") as f:
        f.create_dataset("x", data=[1.0])
    done = cli("inspect", tmp_path / "weights-only.h5")
    assert done.returncode == 2 and done.stdout == ""
    path = tmp_path / "weights-only.h5"
    assert done.stderr.strip() == (
        f"error: {path}: could not be loaded by Keras 3 (No model config found in the file "
        f"at {path}) nor by Keras 2, tf_keras (No model config found in the file at the "
        "file)")
