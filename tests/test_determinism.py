"""The same case gives the same report byte for byte, run after run (issue 5)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = [str(ROOT / "cases" / n) for n in
         ("seed-article-corrected.yaml", "seed-article.yaml", "batch-of-two.yaml")]


def run_verify(*extra):
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "verify", *CASES, *extra],
                         capture_output=True, timeout=300, cwd=ROOT,
                         env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "TERM": "dumb",
                              "PYTHONHASHSEED": "random", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert run.returncode in (0, 1), run.stderr.decode()[-2000:]
    return run.stdout


@pytest.mark.parametrize("extra", [(), ("--json",)], ids=["text", "json"])
def test_verify_report_is_byte_identical_across_runs(extra):
    first, second = run_verify(*extra), run_verify(*extra)
    assert first and first == second
