"""One error path, and every file gets its verdict (issue 11, class 3)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import CASES, ROOT, run_cli
from lstm_verify.case import load_case
from lstm_verify.errors import CaseError
from lstm_verify.suite import collect

TWO_STEPS = (CASES / "two-steps-linear.yaml").read_text()
SMALL = """units: 1
inputs: [[1], [2]]
weights: {kernel: [[1, 2, 3, 4]], recurrent_kernel: [[1, 0, 1, 0]], bias: [0, 1, 0, 0]}
"""


@pytest.mark.parametrize("text, key", [
    (SMALL + "tolerance:\n  <<: 5\n  atol: 0.1\n", "tolerance.<<"),
    (SMALL + "dtype: [float32]\n", "dtype"),
    (SMALL + "dtype: {bits: 32}\n", "dtype"),
    ("units: 1\ninputs: [[1]]\nweights:\n  layout: tf1\n  kernel: [[1, 1, 1, 1], [1, 1, 1, 1]]\n"
     "  bias: [0, 0, 0, 0]\n  forget_bias: " + "9" * 40 + "\n", "weights.forget_bias"),
    ("units: 1\ninputs: [[1]]\nweights:\n  layout: tf1\n  kernel: [[1, 1, 1, 1], [1, 1, 1, 1]]\n"
     "  bias: [0, 0, 0, 0]\n  forget_bias: 100000000000000000000\n", "weights.forget_bias"),
    ("arrays: a.npz\n" + SMALL.replace("weights: {", "weights: {layout: npz:x, "),
     "weights.layout"),
    ("arrays: a.npz\n" + SMALL.replace("bias: [0, 1, 0, 0]}", "bias: [0, 1, 0, 0]}\n"
                                       "expected: {steps: [{t: npz:x}]}"), "expected.steps[0].t"),
])
def test_malformed_cases_exit_2_naming_file_and_key_never_a_traceback(tmp_path, text, key):
    np.savez(tmp_path / "a.npz", x=np.ones((1, 4)))
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert info.value.key == key, info.value
    run = run_cli("validate", path, timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{path}" in run.stderr and key in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def name_of(file):
    return os.path.basename(file)


def test_multi_file_verify_gives_every_file_its_verdict_in_valid_json(tmp_path):
    (tmp_path / "good.yaml").write_text(TWO_STEPS)
    (tmp_path / "broken.yaml").write_text("inputs: [[1\nweights: {}\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    run = run_cli("verify", "good.yaml", "missing.yaml", "broken.yaml", "pipe.yaml",
                  "good.yaml", "--json", cwd=tmp_path, timeout=300)
    assert run.returncode == 2, run.stderr
    report = json.loads(run.stdout)
    verdicts = {name_of(c["file"]): c["status"] for c in report["cases"]}
    assert verdicts == {"good.yaml": "pass", "missing.yaml": "error", "broken.yaml": "error",
                        "pipe.yaml": "error"}
    errors = {name_of(c["file"]): c["error"] for c in report["cases"] if c["error"]}
    assert "does not exist" in errors["missing.yaml"]
    assert "named pipe" in errors["pipe.yaml"] and "not valid YAML" in errors["broken.yaml"]
    assert report["summary"] == {"passed": 1, "failed": 0, "errors": 3, "known_mistakes": 0}


def test_a_closed_pipe_is_not_a_mismatch(tmp_path):
    for n in range(3):
        (tmp_path / f"c{n}.yaml").write_text(TWO_STEPS)
    shell = (f"{sys.executable} {ROOT / 'cli.py'} verify {tmp_path}; echo \"status $?\" >&2")
    run = subprocess.run(["bash", "-c", f"({shell}) | head -c 20"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert "status 141" in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_verify_dir_skips_what_is_plainly_not_a_case_and_hidden_folders(tmp_path):
    (tmp_path / "case.yaml").write_text(TWO_STEPS)
    (tmp_path / "json-case.yaml").write_text(json.dumps(
        {"inputs": [[1]], "weights": {"kernel": [[1, 1, 1, 1]],
                                      "recurrent_kernel": [[1, 1, 1, 1]],
                                      "bias": [0, 0, 0, 0]}}, indent=2))
    (tmp_path / "config.yaml").write_text("jobs:\n  test: {runs-on: ubuntu}\n")
    for hidden in (".git", ".github/workflows"):
        (tmp_path / hidden).mkdir(parents=True)
        (tmp_path / hidden / "x.yaml").write_text("inputs: [[\nweights: broken\n")
    found = collect([tmp_path])
    assert [p.name for p in found.files] == ["case.yaml", "json-case.yaml"]
    assert [p.name for p in found.skipped] == ["config.yaml"]
    run = run_cli("validate", tmp_path, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "skipped 1 YAML file with no weights and inputs keys" in run.stderr


def test_a_folder_of_no_cases_is_an_error_of_its_own(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "ok.yaml").write_text(TWO_STEPS)
    run = run_cli("validate", tmp_path / "empty", tmp_path / "ok.yaml", timeout=60)
    assert run.returncode == 2 and "is a folder with no .yaml case files" in run.stderr
    assert "ok " in run.stdout   # the good file still got its verdict


@pytest.mark.parametrize("target, message", [
    ("missing/report.xml", "the folder"),
    ("folder", "is a folder, not a regular file"),
])
def test_junit_targets_are_checked_before_any_case_runs(tmp_path, target, message):
    (tmp_path / "folder").mkdir()
    case = tmp_path / "c.yaml"
    case.write_text(TWO_STEPS)
    code = ("import sys; from lstm_verify import cli; "
            f"status = cli.main(['verify', {str(case)!r}, '--junit-xml', "
            f"{str(tmp_path / target)!r}]); "
            "print(status, 'tensorflow' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert run.stdout.strip().splitlines()[-1] == "2 False", run.stdout + run.stderr
    assert message in run.stderr and "--junit-xml" in run.stderr
