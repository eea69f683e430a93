"""Safety: YAML never constructs objects; size limits are real and overridable (issue 5)."""

import subprocess
import sys
from pathlib import Path

import pytest

from lstm_verify.case import load_case
from lstm_verify.errors import CaseError
from lstm_verify.case.yaml_source import load_yaml

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, str(ROOT / "cli.py")]

# 1 x 3 steps x 1 feature, units 1: 3 inputs + 4 + 4 + 4 weights = a handful of values
SMALL = """units: 1
inputs: [[1], [2], [3]]
weights: {kernel: [[1, 2, 3, 4]], recurrent_kernel: [[1, 1, 1, 1]], bias: [0, 0, 0, 0]}
"""


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['echo hi']",
                                 "!!python/name:os.system", "!!binary aGk=",
                                 "!!set {a: null}", "!custom 1"])
def test_no_object_tag_is_constructed(tmp_path, tag):
    path = tmp_path / "c.yaml"
    path.write_text(f"units: {tag}\n")
    with pytest.raises(CaseError) as info:
        load_yaml(path)
    assert info.value.key == "units" and "tag" in info.value.message


def test_max_values_limit_and_override_in_process(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    with pytest.raises(CaseError, match="--max-values"):
        load_case(path, max_values=10)
    assert load_case(path, max_values=100).steps == 3


@pytest.mark.parametrize("command", ["validate", "calc"])
def test_max_values_option_on_the_cli(tmp_path, command):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    refused = subprocess.run(CLI + [command, str(path), "--max-values", "10"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--max-values" in refused.stderr
    assert "Traceback" not in refused.stderr
    allowed = subprocess.run(CLI + [command, str(path), "--max-values", "100"],
                             capture_output=True, text=True, timeout=60)
    assert allowed.returncode == 0, allowed.stderr


def test_validate_and_calc_do_not_import_tensorflow(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    code = ("import sys; from lstm_verify import cli; "
            f"cli.main(['validate', {str(path)!r}]); cli.main(['calc', {str(path)!r}]); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert run.stdout.strip().splitlines()[-1] == "False False", run.stdout + run.stderr
