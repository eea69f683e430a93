"""Reads that are bounded (issue 11, class 2): regular files only, --max-values over the
whole case, .keras members checked before inflating, exact arithmetic bounded, numeric
options validated."""

import io
import os
import tracemalloc
import zipfile

import numpy as np
import pytest

from conftest import CASES, run_cli
from lstm_verify import cli
from lstm_verify.case import load_case
from lstm_verify.errors import CaseError
from lstm_verify.render.exact import numbers
from lstm_verify.case.yaml_source import load_yaml

TWO_STEPS = CASES / "two-steps-linear.yaml"


@pytest.fixture
def fifo_folder(tmp_path):
    for name in ("case.yaml", "model.keras", "input.npy", "arrays.npz"):
        os.mkfifo(tmp_path / name)
    (tmp_path / "garbage.keras").write_bytes(b"not read: the input is refused first")
    (tmp_path / "with-npz.yaml").write_text(
        TWO_STEPS.read_text() + "arrays: arrays.npz\n")
    return tmp_path


@pytest.mark.parametrize("args, culprit", [
    (["validate", "case.yaml"], "case.yaml"),
    (["calc", "case.yaml"], "case.yaml"),
    (["verify", "case.yaml"], "case.yaml"),
    (["explain", "case.yaml"], "case.yaml"),
    (["export", "case.yaml", "--format", "markdown"], "case.yaml"),
    (["pack", "case.yaml"], "case.yaml"),
    (["record", "case.yaml"], "case.yaml"),
    (["convert", "case.yaml", "--to", "pytorch"], "case.yaml"),
    (["inspect", "model.keras"], "model.keras"),
    (["extract", "model.keras", "--layer", "l", "--input", "x.npy", "-o", "o.yaml"],
     "model.keras"),
    (["extract", "garbage.keras", "--layer", "l", "--input", "input.npy", "-o", "o.yaml"],
     "input.npy"),
    (["validate", "with-npz.yaml"], "arrays.npz"),
])
def test_a_fifo_is_refused_at_once_by_every_command(fifo_folder, args, culprit):
    run = run_cli(*args, cwd=fifo_folder, timeout=60)   # a blocking open would time out
    said = run.stdout + run.stderr   # verify reports a bad file in its report, on stdout
    assert run.returncode == 2, said
    assert culprit in said and "named pipe (FIFO)" in said, said
    assert "does not exist" not in said and "Traceback" not in said


def test_a_device_behind_a_case_name_is_refused_not_read(tmp_path):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    run = run_cli("calc", tmp_path / "zero.yaml", timeout=60)
    assert run.returncode == 2 and "is a character device, not a regular file" in run.stderr


def test_watch_never_opens_a_fifo(tmp_path):
    from lstm_verify.watch import fingerprint
    os.mkfifo(tmp_path / "case.yaml")
    seen = fingerprint(tmp_path / "case.yaml")   # would block forever if it opened it
    assert seen is not None and "named pipe" in seen[0]


def npz_case(tmp_path, batch=50, steps=7):
    """A case whose expected.steps name the same small .npz entry 42 times."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "a.npz", x=rng.normal(size=(batch, steps, 1)).round(1),
             s=np.zeros((batch, 2)))
    quantities = ("i", "f", "c_tilde", "o", "c", "h")
    lines = ["arrays: a.npz", "inputs: npz:x", "weights:",
             "  kernel: [[1, 0, 1, 1, 1, 2, 0, 1]]",
             "  recurrent_kernel: [[0, 1, 0, 0, 1, 0, 1, 0], [1, 0, 0, 0, 0, 1, 0, 1]]",
             "  bias: [0, 0, 0, 0, 0, 0, 1, 0]", "expected:", "  steps:"]
    lines += ["    - {t: %d, %s}" % (t, ", ".join(f"{q}: npz:s" for q in quantities))
              for t in range(1, steps + 1)]
    path = tmp_path / "c.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_npz_reference_counts_against_max_values(tmp_path):
    path = npz_case(tmp_path)   # each reference: 100 values; 42 of them and 350 inputs
    with pytest.raises(CaseError, match="each reference counts") as info:
        load_case(path, max_values=2000)
    assert info.value.key.startswith("expected.steps[")
    case = load_case(path, max_values=10_000)
    assert case.expected["steps"][7]["h"].shape == (50, 2)


def test_a_large_plain_yaml_is_refused_while_it_is_read_and_says_why(tmp_path):
    path = tmp_path / "big.yaml"
    rows = ", ".join("[0.5, 0.25]" for _ in range(150_000))
    path.write_text(f"inputs: [{rows}]\nweights: {{}}\n")
    tracemalloc.start()
    with pytest.raises(CaseError) as info:
        load_yaml(path, max_values=1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "more than 1,000 values" in info.value.message
    assert "alias" not in info.value.message and ".npz" in info.value.message
    # the text itself (~2 MB, as bytes and as str) but never a tree of 450,000 nodes
    assert peak < 4 * path.stat().st_size, peak


def test_aliases_are_named_only_when_they_are_the_cause(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a]\n"
                    "c: [*b, *b, *b, *b, *b]\n")
    with pytest.raises(CaseError, match="aliases"):
        load_yaml(path, max_values=100)


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_max_values_itself_is_validated(value, capsys):
    assert cli.main(["validate", str(TWO_STEPS), "--max-values", value]) == 2
    err = capsys.readouterr().err
    assert "argument --max-values" in err and str(TWO_STEPS) not in err


@pytest.mark.parametrize("argv, option", [
    (["new", "x.yaml", "--seed", "-1"], "--seed"),
    (["new", "x.yaml", "--units", "0"], "--units"),
    (["new", "x.yaml", "--steps", "1000000000"], "--steps"),
    (["watch", str(TWO_STEPS), "--interval", "0"], "--interval"),
    (["watch", str(TWO_STEPS), "--interval", "nan"], "--interval"),
    (["watch", str(TWO_STEPS), "--interval", "inf"], "--interval"),
    (["convert", str(TWO_STEPS), "--to", "tf1", "--forget-bias", "nan"], "--forget-bias"),
    (["convert", str(TWO_STEPS), "--to", "tf1", "--forget-bias", "-inf"], "--forget-bias"),
])
def test_numeric_options_are_validated_and_blamed(tmp_path, monkeypatch, capsys, argv,
                                                   option):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"argument {option}:" in err and "Traceback" not in err
    assert not (tmp_path / "x.yaml").exists()


def test_new_refuses_a_size_no_case_may_hold(tmp_path, capsys):
    assert cli.main(["new", str(tmp_path / "x.yaml"), "--units", "5000"]) == 2
    assert "more than the 5,000,000" in capsys.readouterr().err


def zip_with(member, data, compress=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compress) as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr(member, data)
    return buffer.getvalue()


@pytest.mark.parametrize("member, size, message", [
    ("config.json", 65 * 2**20, "more than the 67,108,864 a model's description can need"),
    ("model.weights.h5", 40 * 2**20, "a zip bomb"),
])
def test_keras_zip_members_are_checked_before_inflating(tmp_path, member, size, message):
    path = tmp_path / "bomb.keras"
    path.write_bytes(zip_with(member, b" " * size))
    assert path.stat().st_size < 2**20
    run = run_cli("inspect", path, timeout=60)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert "before inflating" in run.stderr


LINEAR_GROWTH = """units: 1
activation: null
recurrent_activation: null
inputs: {inputs}
weights: {{kernel: [[1, 1, 1, 1]], recurrent_kernel: [[2, 2, 2, 2]], bias: [1, 1, 1, 1]}}
"""


@pytest.mark.parametrize("steps", [10, 20])
def test_exact_arithmetic_is_bounded_on_numerators_too(write_case, steps):
    case = load_case(write_case(LINEAR_GROWTH.format(inputs=[[1]] * steps)))
    num = numbers(case)   # crashed (int too large to convert) or ran for minutes before
    assert not num.exact and "grew past 1e+15 in size" in num.note


def test_explain_and_export_fall_back_to_decimals_and_say_why(write_case):
    path = write_case(LINEAR_GROWTH.format(inputs=[[1]] * 20))
    for args in (["explain", path], ["export", path, "--format", "markdown"]):
        run = run_cli(*args, timeout=60)
        assert run.returncode == 0, run.stderr
        assert "exact numbers grew past 1e+15 in size by step" in run.stdout
