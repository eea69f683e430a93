"""`convert`: a case's weights rewritten in another layout, for every cell — exact round
trips through files, two biases kept apart, reset_after kept, the layouts a cell cannot
have refused, and the command line (atomic writes, stdout, .npz, no TensorFlow)."""

import numpy as np
import pytest
import yaml
from cell_weights import CELL_LAYOUTS, case_data, case_file, gru_onnx, random_keras
from conftest import CASES, run_cli

from lstm_verify.case import layouts
from lstm_verify.case import load_case
from lstm_verify.convert import convert, number
from lstm_verify.errors import CaseError


def test_numbers_are_written_exactly():
    for value in (0.1, 1e-05, -2.5e-300, 1 / 3, 12345678.9, 3.0, -0.0, 2 ** 60):
        assert yaml.safe_load(number(value)) == value, number(value)
        assert isinstance(yaml.safe_load(number(value)), (int, float))


def test_two_biases_survive_conversion_between_two_bias_layouts(tmp_path):
    rng = np.random.default_rng(3)
    torch_form = {"weight_ih": rng.normal(size=(12, 2)), "weight_hh": rng.normal(size=(12, 3)),
                  "bias_ih": rng.normal(size=12), "bias_hh": rng.normal(size=12)}
    path = tmp_path / "torch.yaml"
    path.write_text(yaml.safe_dump(case_data(torch_form, "pytorch", rng)))
    for layout in ("onnx", "cudnn", "pytorch"):
        text, _, _ = convert(path, layout)
        path = tmp_path / f"{layout}.yaml"
        path.write_text(text)
    back = yaml.safe_load(path.read_text())["weights"]
    for key, value in torch_form.items():
        assert np.array_equal(np.array(back[key]), value), key


# ------------------------------------------------------------ every cell, every layout

def write(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("cell,reset_after", [("gru", True), ("gru", False),
                                              ("simple_rnn", True)])
def test_convert_round_trips_through_every_layout_of_the_cell(tmp_path, cell, reset_after):
    """keras -> each layout in turn -> keras, through files: the same Keras arrays every
    time, and the same reset_after (said by the layout where it can, else kept)."""
    rng = np.random.default_rng(10)
    w = random_keras(rng, cell=cell, reset_after=reset_after)
    options = {} if reset_after else {"reset_after": False}
    path = write(tmp_path / "keras.yaml", case_data(layouts.export("keras", w), "keras", rng,
                                                    cell=cell, **options))
    chain = [layout for c, layout, r in CELL_LAYOUTS if c == cell and r == reset_after]
    for layout in chain[1:] + ["keras"]:
        text, mapping, _ = convert(path, layout)
        path = tmp_path / f"{layout}.yaml"
        path.write_text(text)
        case = load_case(path)
        assert mapping[-1] == "read back: the same Keras kernel, recurrent_kernel and bias, " \
            "exactly"
        assert np.array_equal(case.kernel, w.kernel), layout
        assert np.array_equal(case.recurrent_kernel, w.recurrent_kernel), layout
        assert np.array_equal(case.bias, w.keras_bias()), layout
        assert case.reset_after is reset_after, layout
    assert yaml.safe_load(path.read_text())["weights"]["bias"] == w.keras_bias().tolist()


def test_two_gru_biases_survive_conversion_between_two_bias_layouts(tmp_path):
    """PyTorch's two biases -> ONNX -> PyTorch, and ONNX's Wb, Rb with
    linear_before_reset 0 -> ONNX: each bias as it was, not only their Keras form."""
    rng = np.random.default_rng(11)
    torch_form = {"weight_ih": rng.normal(size=(9, 2)), "weight_hh": rng.normal(size=(9, 3)),
                  "bias_ih": rng.normal(size=9), "bias_hh": rng.normal(size=9)}
    path = write(tmp_path / "torch.yaml", case_data(torch_form, "pytorch", rng, cell="gru"))
    for layout in ("onnx", "pytorch"):
        text, _, _ = convert(path, layout)
        path = tmp_path / f"{layout}.yaml"
        path.write_text(text)
    back = yaml.safe_load(path.read_text())["weights"]
    for key, value in torch_form.items():
        assert np.array_equal(np.array(back[key]), value), key
    onnx_form = gru_onnx(rng, linear_before_reset=0)
    path = write(tmp_path / "onnx0.yaml", case_data(onnx_form, "onnx", rng, cell="gru"))
    text, _, _ = convert(path, "onnx")
    again = yaml.safe_load(text)["weights"]
    assert again["linear_before_reset"] == 0
    assert np.array_equal(np.array(again["B"]), onnx_form["B"])


def test_convert_to_keras_keeps_reset_after_false_from_linear_before_reset(tmp_path):
    rng = np.random.default_rng(12)
    path = write(tmp_path / "onnx0.yaml", case_data(gru_onnx(rng, linear_before_reset=0),
                                                    "onnx", rng, cell="gru"))
    text, _, _ = convert(path, "keras")
    old, new = path.read_text().splitlines(), text.splitlines()
    added = [line for line in new if line.startswith("reset_after")]
    assert added == ["reset_after: false   # as the onnx layout had it; added by lstm-verify "
                     "convert"]
    assert new[new.index(added[0]) + 1] == "weights:"          # just before the weights
    assert [line for line in old if not line.startswith(" ")] == \
        [line for line in new if not line.startswith(" ") and line not in added]
    assert load_case(path).bias.shape == (9,)
    after = write(tmp_path / "onnx1.yaml", case_data(gru_onnx(rng, linear_before_reset=1),
                                                     "onnx", rng, cell="gru"))
    assert "reset_after" not in convert(after, "keras")[0]    # Keras's default: nothing to add


@pytest.mark.parametrize("cell,to,why", [
    ("gru", "cudnn", "cannot convert to cudnn: the cudnn layout is for LSTM weights only; a "
                     "GRU has the layouts keras, pytorch, onnx"),
    ("simple_rnn", "tf1", "cannot convert to tf1: the tf1 layout is for LSTM weights only; a "
                          "SimpleRNN has the layouts keras, pytorch, onnx"),
    ("gru-before", "pytorch", "cannot convert to pytorch: PyTorch's GRU is reset_after true: "
                              "n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)) applies the reset "
                              "gate after the recurrent matmul, so a GRU with reset_after "
                              "false has no PyTorch form (its ONNX form is "
                              "linear_before_reset: 0)"),
])
def test_convert_refuses_a_layout_the_cell_cannot_have(tmp_path, cell, to, why):
    rng = np.random.default_rng(13)
    options = {"reset_after": False} if cell == "gru-before" else {}
    cell = cell.split("-")[0]
    w = random_keras(rng, cell=cell, reset_after=not options)
    path = write(tmp_path / "case.yaml", case_data(layouts.export("keras", w), "keras", rng,
                                                   cell=cell, **options))
    with pytest.raises(CaseError) as info:
        convert(path, to)
    assert str(info.value) == f"{path}: {why}"


# ------------------------------------------------------------ convert on the command line

def test_convert_writes_atomically_refuses_to_overwrite_and_keeps_the_rest(tmp_path):
    source = CASES / "written-by-new.yaml"
    target = tmp_path / "onnx.yaml"
    done = run_cli("convert", source, "--to", "onnx", "-o", target)
    assert done.returncode == 0, done.stderr
    assert "W[0, 3:6] = kernel[:, 9:12]^T" not in done.stderr   # units 2 here
    assert "gate o (o): W[0, 2:4] = kernel[:, 6:8]^T" in done.stderr
    assert "read back: the same Keras kernel, recurrent_kernel and bias, exactly" in done.stderr
    old, new = source.read_text().splitlines(), target.read_text().splitlines()
    assert [line for line in old if not line.startswith(" ") and line != "weights:"] == \
        [line for line in new if not line.startswith(" ") and line != "weights:"]
    assert old[-3:] == new[-3:]                           # the expected block, byte for byte
    again = run_cli("convert", source, "--to", "tf1", "-o", target)
    assert again.returncode == 2 and "already exists; pass --force" in again.stderr
    assert "layout: onnx" in target.read_text()           # untouched
    forced = run_cli("convert", target, "--to", "pytorch", "-o", target, "--force")
    assert forced.returncode == 0, forced.stderr
    a, b = load_case(source), load_case(target)
    assert np.array_equal(a.kernel, b.kernel) and np.array_equal(a.bias, b.bias)
    assert [p.name for p in tmp_path.iterdir()] == ["onnx.yaml"]   # no temp files left


def test_convert_prints_to_stdout_without_output_file():
    done = run_cli("convert", CASES / "two-steps-linear.yaml", "--to", "tf1")
    assert done.returncode == 0, done.stderr
    assert "layout: tf1" in done.stdout and "forget_bias: 0" in done.stdout
    assert "bias[4:6] = bias[2:4] - forget_bias" in done.stderr


def test_convert_runs_without_tensorflow_torch_or_onnx():
    import subprocess
    import sys

    from conftest import ROOT
    code = ("import sys, importlib.abc\n"
            "class Block(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('tensorflow', 'keras', 'torch', 'onnx'):\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from lstm_verify.cli import main\n"
            f"sys.exit(main(['convert', {str(CASES / 'batch-of-two.yaml')!r}, '--to', 'onnx']))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "layout: onnx" in done.stdout


def test_convert_with_forget_bias(tmp_path):
    text, mapping, _ = convert(CASES / "two-steps-linear.yaml", "tf1", forget_bias=1.0)
    weights = yaml.safe_load(text)["weights"]
    assert weights["forget_bias"] == 1.0
    assert weights["bias"][4:6] == [-1, -1]         # f block i, j, f, o: 0 - 1
    assert "exactly" in mapping[-1]


def test_convert_says_when_forget_bias_rounds(tmp_path):
    """bias_f = 1e-17: (1e-17 - 1) + 1 is 0 in floating point, and convert says so."""
    rng = np.random.default_rng(0)
    w = random_keras(rng, F=1, U=1)
    w.bias[1] = 1e-17
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(case_data(layouts.export("keras", w), "keras", rng,
                                             F=1, U=1)))
    _, mapping, _ = convert(path, "tf1", forget_bias=1.0)
    assert mapping[-1].startswith("read back: differs by up to 1e-17")
    _, exact, _ = convert(path, "tf1")
    assert exact[-1].endswith("exactly")


def test_convert_a_gru_on_the_command_line(tmp_path):
    rng = np.random.default_rng(14)
    w = random_keras(rng, cell="gru")
    source = write(tmp_path / "gru.yaml", case_data(layouts.export("keras", w), "keras", rng,
                                                    cell="gru"))
    done = run_cli("convert", source, "--to", "pytorch", "-o", tmp_path / "torch.yaml")
    assert done.returncode == 0, done.stderr
    assert "gate h (n): weight_ih[6:9] = kernel[:, 6:9]^T" in done.stderr
    assert "read back: the same Keras kernel, recurrent_kernel and bias, exactly" in done.stderr
    text = (tmp_path / "torch.yaml").read_text()
    assert "layout: pytorch   # gates r, z, n; converted from keras" in text
    assert "weight_ih:   # 9x2: [3*hidden_size, input_size], rows r, z, n" in text
    refused = run_cli("convert", source, "--to", "tf1")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "the tf1 layout is for LSTM weights only" in refused.stderr


# ------------------------------------------------------------ each layout through real Keras

@pytest.mark.parametrize("cell,layout,reset_after",
                         [c for c in CELL_LAYOUTS if c[1] != "keras"])
def test_a_case_in_each_layout_verifies_with_real_keras(tmp_path, cell, layout, reset_after):
    from lstm_verify.suite import verify_case

    text, _, _ = convert(case_file(tmp_path, cell, reset_after), layout)
    path = tmp_path / f"{layout}.yaml"
    path.write_text(text)
    case = load_case(path)
    assert case.cell.name == cell and case.reset_after == reset_after
    result = verify_case(case)
    assert result.status == "pass", result.verdict
    assert result.keras_vs_reference < 1e-5
    assert result.expected_vs_reference < 1e-5


def test_convert_keeps_a_large_cases_arrays_in_a_npz_of_its_own(tmp_path):
    # Regression: convert wrote every weight inline and kept `arrays: w.npz`, which
    # named a file that does not exist next to an output in another folder.
    rng = np.random.default_rng(3)
    F, U = 12, 16                                  # kernel 12x64 = 768 values > 256
    src = tmp_path / "src"
    src.mkdir()
    np.savez(src / "w.npz", kernel=rng.normal(size=(F, 4 * U)),
             recurrent=rng.normal(size=(U, 4 * U)), x=rng.normal(size=(2, 3, F)),
             unused=np.zeros(3))
    (src / "big.yaml").write_text(
        "# a comment that stays\narrays: w.npz   # mine\ninputs: npz:x\nweights:\n"
        "  kernel: npz:kernel\n  recurrent_kernel: npz:recurrent\n"
        f"  bias: {rng.normal(size=4 * U).round(3).tolist()}\n")
    out = tmp_path / "out" / "torch.yaml"
    out.parent.mkdir()
    done = run_cli("convert", src / "big.yaml", "--to", "pytorch", "-o", out)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("# a comment that stays\narrays: torch.npz   # mine\n")
    assert "weight_ih: npz:pytorch_weight_ih" in text and "inputs: npz:x" in text
    assert "bias_ih: [" in text                    # 64 values: inline
    with np.load(out.with_suffix(".npz")) as written:
        assert sorted(written.files) == ["pytorch_weight_hh", "pytorch_weight_ih", "x"]
    a, b = load_case(src / "big.yaml"), load_case(out)
    for name in ("inputs", "kernel", "recurrent_kernel", "bias"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    again = run_cli("convert", src / "big.yaml", "--to", "onnx", "-o", out)
    assert again.returncode == 2 and "torch.yaml" in again.stderr
    assert "weight_ih" in out.read_text()          # refused before either file was touched
    printed = run_cli("convert", src / "big.yaml", "--to", "onnx")
    assert printed.returncode == 0 and "arrays: w.npz" in printed.stdout
    assert "still names w.npz" in printed.stderr
