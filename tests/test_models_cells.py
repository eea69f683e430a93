"""Saved models with GRU and SimpleRNN layers next to an LSTM: inspect, extract, verify.

One small model holds a layer of every cell the tool knows (LSTM; GRU with
reset_after true and false; SimpleRNN), alone, stacked, inside a Bidirectional and a
nested model, and spelt RNN(GRUCell) / RNN(SimpleRNNCell); it is saved as .keras and
.h5 with random weights in every block, so a block or bias-row slip cannot pass.
Masks and initial states need a second model (.keras only: Keras 3.15 cannot load the
Masking layer's NotEqual op back from .h5).  Real Keras throughout.
"""

import json

import numpy as np
import pytest

from conftest import run_cli
from lstm_verify import cells
from lstm_verify.case import load_case
from lstm_verify.cli import main
from lstm_verify.errors import CaseError
from lstm_verify.saved_models.extract import extract
from lstm_verify.saved_models.inspection import describe_model
from lstm_verify.keras_run import _import_keras
from lstm_verify.saved_models import find_layers, load_model
from lstm_verify.suite import verify_case

# one layer of each cell in the stacked model, by the path inspect gives it
LAYER_OF = {"lstm": "lstm", "gru": "gru", "simple_rnn": "simple"}
PATHS = ["lstm", "gru", "gru_v1", "simple", "bi/forward_pair", "bi/backward_pair",
         "encoder/inner_rnn", "gru_cells", "simple_cells"]


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.5, size=weight.shape).astype("float32"))


def _stacked(keras):
    L = keras.layers
    inner_in = keras.Input((4, 2))
    encoder = keras.Model(inner_in, L.SimpleRNN(2, return_sequences=True, name="inner_rnn")(
        inner_in), name="encoder")
    inp = keras.Input((4, 2))
    x = L.LSTM(3, return_sequences=True, name="lstm")(inp)
    x = L.GRU(3, return_sequences=True, name="gru")(x)                     # reset_after true
    x = L.GRU(2, reset_after=False, return_sequences=True, name="gru_v1")(x)
    x = L.SimpleRNN(2, activation="relu", return_sequences=True, name="simple")(x)
    x = L.Bidirectional(L.GRU(2, return_sequences=True, name="pair"), name="bi")(x)     # (B, T, 4)
    x = encoder(L.Dense(2, name="pre")(x))
    x = L.RNN(L.GRUCell(2), return_sequences=True, name="gru_cells")(x)
    out = L.RNN(L.SimpleRNNCell(3), name="simple_cells")(x)
    model = keras.Model(inp, out, name="cells")
    _randomize(model, 11)
    return model


@pytest.fixture(scope="module")
def keras():
    return _import_keras()


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    """{suffix: path} of the stacked model, and the input it runs on ('x': .npy)."""
    folder = tmp_path_factory.mktemp("cells")
    model = _stacked(keras)
    out = {suffix: folder / f"cells{suffix}" for suffix in (".keras", ".h5")}
    for path in out.values():
        model.save(path)
    out["x"] = folder / "x.npy"
    np.save(out["x"], np.random.default_rng(12).normal(size=(2, 4, 2)))
    return out


def _layer_output(keras, model, name, x):
    """What layer ``name`` returns on ``x`` in ``model``, from a sub-model (an independent
    route to the model's own numbers)."""
    return np.asarray(keras.Model(model.inputs, model.get_layer(name).output)(x))


# ----- inspect -----

@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_inspect_finds_every_gru_and_simple_rnn_layer_with_its_cell(saved, suffix):
    description = describe_model(saved[suffix], load_model(saved[suffix]))
    layers = {layer["path"]: layer for layer in description["layers"]}
    assert list(layers) == PATHS
    assert [layers[p]["cell"] for p in PATHS] == [
        "lstm", "gru", "gru", "simple_rnn", "gru", "gru", "simple_rnn", "gru", "simple_rnn"]
    assert layers["gru_cells"]["keras_class"] == "RNN" and layers["gru"]["keras_class"] == "GRU"
    assert layers["gru"]["options"]["reset_after"] is True
    assert layers["gru_v1"]["options"]["reset_after"] is False
    assert layers["bi/backward_pair"]["options"]["go_backwards"] is True
    simple = layers["simple"]["options"]
    assert simple["activation"] == "relu"
    # only the options the cell has: no recurrent_activation or reset_after on a
    # SimpleRNN, unit_forget_bias on the LSTM alone
    assert "recurrent_activation" not in simple and "reset_after" not in simple
    assert "unit_forget_bias" not in layers["gru"]["options"]
    assert layers["lstm"]["options"]["unit_forget_bias"] is True
    # scripts written before GRU and SimpleRNN still find the LSTM layers where they were
    assert [layer["path"] for layer in description["lstm_layers"]] == ["lstm"]
    assert "forget_bias_note" in layers["lstm"] and "forget_bias_note" not in layers["gru"]


@pytest.mark.parametrize("cell", list(cells.CELLS))
def test_inspect_statistics_are_per_block_of_the_cell(saved, cell):
    model = load_model(saved[".keras"])
    name = LAYER_OF[cell]
    keras_cell = model.get_layer(name).cell
    layer = next(layer for layer in describe_model("m", model)["layers"]
                 if layer["path"] == name)
    rows = {(row["matrix"], row["gate"]): row for row in layer["gates"]}
    blocks, units = cells.get(cell).blocks, keras_cell.units
    bias = np.asarray(keras_cell.bias)
    biases = ({"input_bias": bias[0], "recurrent_bias": bias[1]} if bias.ndim == 2
              else {"bias": bias})
    assert len(rows) == len(blocks) * (2 + len(biases))
    for n, block in enumerate(blocks):
        columns = slice(n * units, (n + 1) * units)
        assert rows["kernel", block]["shape"] == [keras_cell.kernel.shape[0], units]
        assert rows["kernel", block]["mean"] == pytest.approx(
            np.asarray(keras_cell.kernel)[:, columns].mean())
        assert rows["recurrent_kernel", block]["max"] == pytest.approx(
            np.asarray(keras_cell.recurrent_kernel)[:, columns].max())
        for matrix, values in biases.items():
            assert rows[matrix, block]["shape"] == [units]
            assert rows[matrix, block]["min"] == pytest.approx(values[columns].min())


def test_a_gru_without_reset_after_has_one_bias_split_by_block(saved):
    layer = next(layer for layer in describe_model("m", load_model(saved[".h5"]))["layers"]
                 if layer["path"] == "gru_v1")
    assert [(row["matrix"], row["gate"]) for row in layer["gates"] if "bias" in
            row["matrix"]] == [("bias", "z"), ("bias", "r"), ("bias", "h")]


def test_inspect_text_names_each_cell_and_marks_the_update_gate_bias(saved, capsys):
    assert main(["inspect", str(saved[".keras"])]) == 0
    out = capsys.readouterr().out
    assert "model 'cells', 9 recurrent layers (1 LSTM, 5 GRU, 3 SimpleRNN)" in out
    assert "\ngru\n  GRU, units 3, input_dim 3\n" in out
    assert "\ngru_cells\n  GRU as RNN(GRUCell), units 2, input_dim 2\n" in out
    assert "\nsimple_cells\n  SimpleRNN as RNN(SimpleRNNCell), units 3" in out
    assert "use_bias true, reset_after false," in out and "reset_after true," in out
    marked = [line.split()[:2] for line in out.splitlines() if "<- update gate" in line]
    # both bias rows of each of the four reset_after GRUs, one bias of the other
    assert marked.count(["input_bias", "z"]) == 4 and marked.count(["recurrent_bias", "z"]) \
        == 4 and marked.count(["bias", "z"]) == 1 and len(marked) == 9
    assert "note: update-gate bias mean" in out
    assert main(["inspect", "--json", str(saved[".keras"])]) == 0
    described = json.loads(capsys.readouterr().out)
    assert [layer["cell"] for layer in described["layers"]][:4] == [
        "lstm", "gru", "gru", "simple_rnn"]


def test_bias_notes_for_untrained_and_bias_free_layers_of_every_cell(keras, tmp_path):
    L = keras.layers
    inp = keras.Input((3, 2))
    x = L.GRU(2, return_sequences=True, name="fresh_gru")(inp)
    x = L.SimpleRNN(2, return_sequences=True, name="fresh_simple")(x)
    x = L.GRU(2, use_bias=False, return_sequences=True, name="no_bias_gru")(x)
    x = L.SimpleRNN(2, use_bias=False, return_sequences=True, name="no_bias_simple")(x)
    model = keras.Model(inp, L.LSTM(2, use_bias=False, name="no_bias_lstm")(x))
    model.save(tmp_path / "fresh.keras")
    notes = {layer["path"]: layer["bias_note"] for layer in
             describe_model("m", load_model(tmp_path / "fresh.keras"))["layers"]}
    untrained = ("every bias is exactly 0: the values Keras's default bias_initializer "
                 "(zeros) starts with (this layer looks untrained)")
    assert notes == {
        "fresh_gru": untrained, "fresh_simple": untrained,
        "no_bias_gru": "no bias (use_bias is false): the update gate starts from z = rec(0)",
        "no_bias_simple": "no bias (use_bias is false)",
        "no_bias_lstm": "no bias (use_bias is false): the forget gate starts from f = rec(0)"}


# ----- extract -----

@pytest.mark.parametrize("cell", list(cells.CELLS))
def test_an_extracted_layer_of_every_cell_holds_the_models_numbers_and_verifies(
        keras, saved, tmp_path, cell):
    model, x = load_model(saved[".h5"]), np.load(saved["x"])
    name = LAYER_OF[cell]
    (path,) = extract(saved[".h5"], name, saved["x"], tmp_path / f"{name}.yaml")
    case = load_case(path)
    assert case.cell.name == cell and f"cell: {cell}\n" in path.read_text()
    sequence = _layer_output(keras, model, name, x)
    np.testing.assert_allclose(case.expected["sequence"], sequence, atol=1e-6)
    np.testing.assert_allclose(case.expected["h"], sequence[:, -1], atol=1e-6)
    assert set(case.expected) == set(case.cell.states) | {"sequence"}  # c: the LSTM's only
    assert verify_case(case).status == "pass"


@pytest.mark.parametrize("name, reset_after", [("gru", True), ("gru_v1", False)])
def test_an_extracted_gru_keeps_reset_after_and_its_bias_rows(saved, tmp_path, name,
                                                              reset_after):
    (path,) = extract(saved[".keras"], name, saved["x"], tmp_path / "g.yaml")
    case = load_case(path)
    assert case.reset_after is reset_after
    assert f"reset_after: {str(reset_after).lower()}\n" in path.read_text()
    bias = np.asarray(load_model(saved[".keras"]).get_layer(name).cell.bias)
    assert case.bias.shape == ((2, 9) if reset_after else (6,))  # units 3, then 2
    np.testing.assert_array_equal(case.bias.astype(np.float32), bias)  # written exactly
    assert verify_case(case).status == "pass"


def test_bidirectional_gru_gives_one_case_per_direction_in_processing_order(
        keras, saved, tmp_path):
    model, x = load_model(saved[".keras"]), np.load(saved["x"])
    forward, backward = (load_case(p) for p in extract(saved[".keras"], "bi", saved["x"],
                                                       tmp_path / "bi.yaml"))
    merged = _layer_output(keras, model, "bi", x)  # (B, T, 2U): forward, then backward
    assert forward.cell.name == backward.cell.name == "gru" and backward.go_backwards
    np.testing.assert_allclose(forward.expected["sequence"], merged[..., :2], atol=1e-6)
    np.testing.assert_allclose(backward.expected["sequence"][:, ::-1], merged[..., 2:],
                               atol=1e-6)
    for case in (forward, backward):
        assert verify_case(case).status == "pass"


@pytest.mark.parametrize("name, cell", [("gru_cells", "gru"), ("simple_cells", "simple_rnn"),
                                        ("inner_rnn", "simple_rnn")])
def test_rnn_of_a_cell_and_a_layer_in_a_nested_model_are_extracted(saved, tmp_path, name,
                                                                   cell):
    (path,) = extract(saved[".keras"], name, saved["x"], tmp_path / "c.yaml")
    case = load_case(path)
    assert case.cell.name == cell
    assert ("sequence" in case.expected) is (name != "simple_cells")
    if name == "simple_cells":  # the model's output is this last layer's h
        model = load_model(saved[".keras"])
        np.testing.assert_allclose(case.expected["h"], np.asarray(model(np.load(saved["x"]))),
                                   atol=1e-6)
    assert verify_case(case).status == "pass"


def test_the_mask_and_the_bare_or_listed_initial_state_are_recorded(keras, tmp_path):
    L = keras.layers
    inp = keras.Input((4, 2))
    masked = L.Masking(mask_value=0.0, name="padding")(inp)
    _, h = L.GRU(3, return_state=True, name="encoder")(masked)
    decoded = L.GRU(3, return_sequences=True, name="decoder")(masked, initial_state=h)
    plain = L.GRU(3, reset_after=False, return_sequences=True, name="plain")(masked)
    simple = L.SimpleRNN(3, return_sequences=True, name="simple")(masked, initial_state=[h])
    model = keras.Model(inp, [decoded, plain, simple])
    _randomize(model, 13)
    model.save(tmp_path / "masked.keras")
    x = np.random.default_rng(14).normal(size=(2, 4, 2))
    x[0, 2:] = 0.0  # padding: the last two steps of the first sequence are masked
    np.save(tmp_path / "x.npy", x)
    outputs = dict(zip(("decoder", "plain", "simple"), (np.asarray(v) for v in model(x))))
    encoder_h = np.asarray(keras.Model(inp, h)(x))
    for name, output in outputs.items():
        (path,) = extract(tmp_path / "masked.keras", name, tmp_path / "x.npy",
                          tmp_path / f"{name}.yaml")
        case = load_case(path)
        np.testing.assert_allclose(case.expected["sequence"], output, atol=1e-6)
        assert "  c:" not in path.read_text()  # no cell state in a GRU or SimpleRNN case
        assert verify_case(case).status == "pass", name
        if name == "plain":
            np.testing.assert_array_equal(case.mask, [[True, True, False, False], [True] * 4])
        else:  # (Keras 3.15 drops the mask of a layer called with initial_state)
            np.testing.assert_allclose(case.h0, encoder_h, atol=1e-6)


# ----- messages -----

def test_a_layer_name_not_found_names_the_kinds_of_layer_the_model_has(keras):
    L = keras.layers
    inp = keras.Input((3, 2))
    model = keras.Model(inp, L.SimpleRNN(2, name="s")(L.GRU(2, return_sequences=True,
                                                            name="g")(inp)))
    with pytest.raises(CaseError, match="--layer nope is not a GRU or SimpleRNN layer in it; "
                                        "its GRU and SimpleRNN layers are: g, s"):
        find_layers(model, "nope", "m.keras")
    dense = keras.Sequential([keras.Input((3, 2)), L.Dense(2)])
    with pytest.raises(CaseError, match=r"m.keras: has no LSTM, GRU or SimpleRNN layer "
                                        r"\(searched stacked layers, nested models, "
                                        r"Bidirectional wrappers and RNN\(LSTMCell\), "
                                        r"RNN\(GRUCell\), RNN\(SimpleRNNCell\) layers\)"):
        find_layers(dense, "dense", "m.keras")


# ----- end to end through the real command line -----

def test_cli_extracts_a_gru_and_a_simple_rnn_that_verify(saved, tmp_path):
    written = []
    for suffix, name in ((".h5", "gru"), (".keras", "simple")):
        done = run_cli("extract", saved[suffix], "--layer", name, "--input", saved["x"],
                       "-o", tmp_path / f"{name}.yaml")
        assert done.returncode == 0, done.stderr
        written.append(tmp_path / f"{name}.yaml")
    checked = run_cli("verify", *written, "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert [case["status"] for case in report["cases"]] == ["pass", "pass"]
