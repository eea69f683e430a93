"""The progress bar: drawn on a terminal (real pseudo-terminal), never in piped output."""

import io
import os
import pty
import re
import sys

from rich.console import Console

from conftest import ROOT, run_cli
from lstm_verify.render.progress import wants_progress

TWO_CASES = ["cases/two-steps-linear.yaml", "cases/no-bias.yaml"]
BAR = re.compile(r"checking \S+.*\d/2")   # "checking <case> ━━━ 1/2"


def test_decision():
    terminal = Console(file=io.StringIO(), force_terminal=True)
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert wants_progress(terminal, 2)
    assert not wants_progress(terminal, 1)                     # one case: nothing to show
    assert not wants_progress(terminal, 2, json_output=True)   # --json stays clean
    assert not wants_progress(piped, 100)


def test_piped_output_has_no_bar():
    out = run_cli("verify", *TWO_CASES)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 cases: 2 passed" in out.stdout
    assert not BAR.search(out.stdout + out.stderr) and "\x1b[" not in out.stdout


def test_terminal_output_has_bar():
    pid, fd = pty.fork()
    if pid == 0:   # child: the real CLI on a pseudo-terminal
        os.chdir(ROOT)
        os.environ.update(TF_CPP_MIN_LOG_LEVEL="3", COLUMNS="100", TERM="xterm")
        os.execv(sys.executable, [sys.executable, "cli.py", "verify", *TWO_CASES])
    out = bytearray()
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:   # the child closed the terminal
            break
        if not data:
            break
        out.extend(data)
    _, status = os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert BAR.search(text), text
    assert "2 cases: 2 passed" in text
