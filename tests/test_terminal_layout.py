"""The terminal report fits where it is read (issue 12, section 3): 80 columns, compact
cells, wide layers summarised, --quiet and --failures, a summary naming the files."""

import os
import subprocess
import sys

import pytest
import yaml
from rich.text import Text

from conftest import CASES, ROOT, run_cli

from lstm_verify.arithmetic import fmt
from lstm_verify.case import load_case
from lstm_verify import forward


def verify_at(columns, folder, *args):
    """verify run in `folder` on file names relative to it (short paths in the report)."""
    env = dict(os.environ, COLUMNS=str(columns), TERM="dumb")
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "verify", *map(str, args)],
                          cwd=folder, capture_output=True, text=True, timeout=300, env=env)


def new_case(tmp_path, name, units, wrong_unit):
    """A fresh `new` case with every step recorded, the author's final h wrong in one unit."""
    path = tmp_path / name
    made = run_cli("new", path, "--units", units, "--steps", 2, "--seed", 3, "--with-expected",
                   timeout=60)
    assert made.returncode == 0, made.stderr
    case = yaml.safe_load(path.read_text())
    case["expected"]["h"][wrong_unit] += 0.01
    path.write_text(yaml.safe_dump(case))
    return path


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layout")
    (folder / "ok.yaml").write_text((CASES / "seed-article-corrected.yaml").read_text())
    new_case(folder, "eight.yaml", 8, 6)
    new_case(folder, "wide.yaml", 40, 17)
    (folder / "bad.yaml").write_text("inputs: [[[1]]]\n")
    return folder


def _case_block(out, file_name):
    """The lines of one case's report in a multi-case run."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if file_name in line and "──" in line)
    end = next((i for i in range(start + 1, len(lines)) if "──" in lines[i]
                and lines[i].split()[0] in ("PASS", "FAIL", "ERROR", "KNOWN")), len(lines))
    return lines[start:end]


@pytest.fixture(scope="module")
def at_80(cases):
    return verify_at(80, cases, "eight.yaml", "wide.yaml", "ok.yaml")


def test_an_8_unit_case_fits_80_columns_and_no_number_is_cut(cases, at_80):
    assert at_80.returncode == 1, at_80.stderr
    block = _case_block(at_80.stdout, "eight.yaml")
    assert "…" not in "\n".join(block)
    assert all(Text(line.rstrip()).cell_len <= 80 for line in block), \
        max(block, key=len)
    case = load_case(cases / "eight.yaml")
    trace = forward.run(case)
    table_text = "\n".join(block)
    for u in range(8):   # every unit's h at step 2 shows whole, each in some table
        assert f" {fmt(trace.steps['h'][1, 0, u])} " in table_text, u
    assert "step 1, units 0–" in table_text and "final state, units" in table_text
    author = case.expected["h"][0, 6]
    assert f"A {fmt(author)} ✗" in table_text


def test_passing_cells_are_compact_and_a_wrapped_line_keeps_its_indent(at_80):
    block = _case_block(at_80.stdout, "ok.yaml")
    rows = "\n".join(line for line in block if line.startswith("│"))
    assert "K " not in rows and "A " not in rows   # reference = Keras = author: one value
    assert "│ h │    0 ✓ │    4 ✓ │    0 ✓ │" in rows
    eight = _case_block(at_80.stdout, "eight.yaml")
    why = next(i for i, line in enumerate(eight) if line.startswith("    h[6] = "))
    # the arithmetic line is longer than 80 columns: its second line keeps the 4 spaces
    assert eight[why + 1].startswith("    ") and eight[why + 1].strip(), eight[why:why + 2]


def test_a_wide_layer_shows_the_unit_that_differs_and_says_so(at_80):
    block = _case_block(at_80.stdout, "wide.yaml")
    text = "\n".join(block)
    assert "unit 17" in text and "unit 0 " not in text and "unit 16 " not in text
    assert "showing the 1 unit(s) that differ; the other 39 of 40 units not shown: " \
           "nothing differs there" in " ".join(text.split())
    assert "…" not in text


def test_the_verdict_wraps_like_the_rest(at_80):
    assert all(Text(line.rstrip()).cell_len <= 80 for line in at_80.stdout.splitlines()
               if not line.startswith(("failed:", "errors:")))


def test_quiet_is_one_line_per_case_and_the_summary_names_failed_and_error_files(cases):
    run = verify_at(80, cases, "--quiet", "eight.yaml", "ok.yaml", "bad.yaml")
    assert run.returncode == 2, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("FAIL eight.yaml: 1 of the author's ")
    assert lines[1].startswith("PASS ok.yaml: ")
    assert lines[2].startswith("ERROR bad.yaml: ")
    assert lines[3] == "3 cases: 1 passed, 1 failed, 1 error"
    assert lines[4:] == ["failed: eight.yaml", "errors: bad.yaml"]


def test_failures_shows_tables_only_for_cases_that_did_not_pass(cases):
    run = verify_at(80, cases, "--failures", "eight.yaml", "ok.yaml")
    assert run.returncode == 1
    out = run.stdout
    assert "PASS ok.yaml: Keras agrees" in out
    assert "step 1, units 0–" in out   # the failing case's tables
    assert out.count("┏") == len([line for line in _case_block(out, "eight.yaml")
                                  if "┏" in line])
    assert verify_at(80, cases, "--quiet", "--failures", "eight.yaml").returncode == 2
