import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def run_cli(*args, cwd=ROOT, timeout=300):
    """Run the real command line in a subprocess; return CompletedProcess."""
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def write_case(tmp_path):
    """Write YAML text to a file and return its path."""
    def write(text, name="case.yaml"):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write
