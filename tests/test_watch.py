"""watch PATH in a real subprocess: report, edit (by rename), half-written file, Ctrl-C."""

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading

import numpy as np
import yaml
from conftest import CASES, ROOT

GOOD = (CASES / "two-steps-linear.yaml").read_text()
H1 = "c: [1, 0], h: [1, 0]}"


def read_until(lines, marker, timeout):
    """Lines up to and including the next one containing ``marker``."""
    seen = []
    while True:
        line = lines.get(timeout=timeout)
        assert line is not None, "watch exited early:\n" + "".join(seen)
        seen.append(line)
        if marker in line:
            return "".join(seen)


@contextlib.contextmanager
def watching(case):
    """``watch case`` in a subprocess; yields a queue of its output lines (None at exit).
    On leaving: Ctrl-C, and watch must exit with 0."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "watch", str(case),
                             "--interval", "0.05"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    lines = queue.Queue()

    def pump():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)
    threading.Thread(target=pump, daemon=True).start()
    try:
        yield lines
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0


def save_by_rename(path, text):
    """Save the way many editors do: write a new file, rename it over the old one."""
    tmp = path.with_name(path.name + ".swp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_watch_reverifies_on_save_and_stops_on_ctrl_c(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text(GOOD)
    assert H1 in GOOD
    with watching(case) as lines:
        first = read_until(lines, "watching", timeout=180)
        assert "PASS" in first and "FAIL" not in first

        save_by_rename(case, GOOD.replace(H1, "c: [1, 0], h: [9, 0]}"))
        second = read_until(lines, "watching", timeout=60)
        assert "FAIL" in second and "9" in second

        case.write_text(GOOD[: GOOD.index("weights:") + 30])   # half-written
        third = read_until(lines, "watching", timeout=60)
        assert "ERROR" in third and "Traceback" not in third

        case.write_text(GOOD)   # fixed again: watch kept going
        fourth = read_until(lines, "watching", timeout=60)
        assert "PASS" in fourth


def test_watch_reverifies_when_the_cases_npz_changes(tmp_path):
    data = yaml.safe_load(GOOD)
    kernel = np.array(data["weights"]["kernel"], float)
    np.savez(tmp_path / "w.npz", kernel=kernel)
    case = tmp_path / "case.yaml"
    start = GOOD.index("  kernel:")
    end = GOOD.index("  recurrent_kernel:")
    case.write_text(GOOD[:start].replace("weights:", "arrays: w.npz\nweights:")
                    + "  kernel: npz:kernel\n" + GOOD[end:])
    assert "npz:kernel" in case.read_text()
    with watching(case) as lines:
        first = read_until(lines, "watching", timeout=180)
        assert "PASS" in first and "FAIL" not in first
        np.savez(tmp_path / "w.npz", kernel=kernel + 1)   # only the arrays change
        second = read_until(lines, "watching", timeout=60)
        assert "FAIL" in second
