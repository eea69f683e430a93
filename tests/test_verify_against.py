"""`verify --against` end to end: the real CLI in a subprocess, with engines present,
absent or unknown, for every cell (each engine lists the states the cell has)."""

import json
import os
import subprocess
import sys

import pytest
from cell_weights import case_file
from conftest import CASES, ROOT


def cli(*args, block=()):
    """The real CLI in a subprocess; modules in ``block`` cannot be imported there."""
    code = ("import sys, importlib.abc\n"
            "class Block(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            f"        if name.split('.')[0] in {list(block)!r}:\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from lstm_verify.cli import main\n"
            f"sys.exit(main({[str(a) for a in args]!r}))\n")
    env = dict(os.environ, COLUMNS="250")   # one table row per line, for the asserts
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)


def test_verify_against_end_to_end_json():
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    done = cli("verify", CASES / "written-by-new.yaml", CASES / "two-steps-linear.yaml",
               "--against", "keras,torch,onnxruntime", "--json")
    assert done.returncode == 0, done.stderr
    cases = json.loads(done.stdout)["cases"]
    first = {o["engine"]: o for o in cases[0]["engines"]}
    assert list(first) == ["keras", "torch", "onnxruntime"]
    assert all(o["status"] == "pass" for o in first.values())
    assert first["torch"]["max_abs_diff"]["sequence"] < 1e-5
    second = {o["engine"]: o for o in cases[1]["engines"]}
    assert second["torch"]["status"] == "skipped" and second["onnxruntime"]["status"] == "pass"


def test_verify_against_absent_engines_skips_with_a_note():
    done = cli("verify", CASES / "written-by-new.yaml", "--against", "torch,onnxruntime",
               block=("torch", "onnxruntime"))
    assert done.returncode == 0, done.stderr
    rows = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert any(row.startswith("│ torch │ - │ - │ - │ skipped │ not installed (torch missing): "
                              "pip install 'lstm-verify[torch]'") for row in rows), rows
    assert any("│ onnxruntime │ - │ - │ - │ skipped │ not installed (onnxruntime missing): "
               "pip install 'lstm-verify[onnx]'" in row for row in rows), rows
    assert any(row.startswith("│ keras │") and "✓ agrees" in row for row in rows)
    assert "1 case: 1 passed" in rows[-1]


def test_verify_against_keeps_tensorflow_out_of_torch_and_onnx():
    """The engines run in a process where TensorFlow cannot be imported."""
    pytest.importorskip("torch")
    code = ("import sys, importlib.abc\n"
            "class Block(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'tensorflow':\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from lstm_verify import engines, forward\n"
            "from lstm_verify.case import load_case\n"
            f"case = load_case({str(CASES / 'written-by-new.yaml')!r})\n"
            "out = engines.Runner(['torch', 'onnxruntime']).run(case, forward.run(case))\n"
            "print(' '.join(o.status for o in out))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "pass"


def test_verify_against_unknown_engine_is_a_usage_error():
    done = cli("verify", CASES / "two-steps-linear.yaml", "--against", "caffe")
    assert done.returncode == 2
    assert "--against: 'caffe' is not an engine" in done.stderr
    assert "Traceback" not in done.stderr


def test_verify_against_end_to_end_for_a_gru_and_a_simple_rnn(tmp_path):
    """Each engine compares the states the cell has (h; no c), torch says why it skips
    a GRU with reset_after false, and every other engine runs the case's own layer."""
    for module in ("torch", "onnxruntime", "jax"):
        pytest.importorskip(module)
    files = [case_file(tmp_path, "gru"), case_file(tmp_path, "gru", reset_after=False),
             case_file(tmp_path, "simple_rnn")]
    done = cli("verify", *files, "--against", "keras,torch,onnxruntime,keras-jax,keras-torch",
               "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["passed"] == 3
    for case in report["cases"]:
        outcomes = {o["engine"]: o for o in case["engines"]}
        assert list(outcomes) == ["keras", "torch", "onnxruntime", "keras-jax", "keras-torch"]
        for name, o in outcomes.items():
            if name == "torch" and "before" in case["file"]:
                assert o["status"] == "skipped" and o["max_abs_diff"] == {}
                assert "cannot express this case: PyTorch's GRU is reset_after true" in o["note"]
                continue
            assert o["status"] == "pass", (case["file"], o)
            assert list(o["max_abs_diff"]) == ["h", "sequence"]
            assert max(o["max_abs_diff"].values()) < 1e-5
    versions = {o["engine"]: o["version"] for o in report["cases"][2]["engines"]}
    assert "on jax" in versions["keras-jax"] and "on torch" in versions["keras-torch"]


def test_the_engine_table_of_a_gru_has_no_c_column(tmp_path):
    pytest.importorskip("onnxruntime")
    done = cli("verify", case_file(tmp_path, "gru"), "--against", "onnxruntime")
    assert done.returncode == 0, done.stderr
    rows = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert any(row.startswith("┃ engine ┃ h ┃ sequence ┃") for row in rows), rows
    assert any(row.startswith("│ onnxruntime │") and "✓ agrees" in row for row in rows), rows
