"""calc's trace and the backward pass fit an 80-column terminal (issue 12, section 3):
tables split by unit, never a cut number, weight gradients one matrix row per line
wrapped between numbers, wide layers summarised and said so, for every cell."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml
from rich.text import Text

from conftest import ROOT, run_cli

from lstm_verify import backward, forward
from lstm_verify.arithmetic import fmt
from lstm_verify.backward.compare import all_positions, value
from lstm_verify.case import load_case
from lstm_verify.render.report_backward import MAX_WEIGHT_VALUES
from lstm_verify.render.trace import trace_rows

CELLS = {"lstm": ["--cell", "lstm"], "gru-reset-after": ["--cell", "gru", "--reset-after"],
         "gru-reset-before": ["--cell", "gru", "--no-reset-after"],
         "simple_rnn": ["--cell", "simple_rnn"]}


def written(folder, cell, units, *flags):
    """A fresh `new` case: 3 inputs, 2 steps, one-decimal weights (numbers of 6 digits)."""
    path = folder / f"{cell}-{units}.yaml"
    made = run_cli("new", path, *CELLS[cell], "--units", units, "--input-dim", 3,
                   "--steps", 2, "--seed", 5, "--force", *flags, timeout=60)
    assert made.returncode == 0, made.stderr
    return path


def run_at_80(path, command, *flags):
    """The command on a short relative path, as a terminal of 80 columns shows it."""
    env = dict(os.environ, COLUMNS="80", TERM="dumb")
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), command, *flags, path.name],
                          cwd=path.parent, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def assert_fits(out):
    assert "…" not in out
    too_long = [line for line in out.splitlines() if Text(line.rstrip()).cell_len > 80]
    assert not too_long, too_long[0]


def table_cells(out):
    """{(title without its units part, row label, unit): the cell's first line} of every
    table printed."""
    cells, title, units = {}, None, []
    lines = out.splitlines()
    for previous, line in zip([""] + lines, lines):
        if line.startswith("┏"):
            title = re.sub(r", units \d+–\d+$", "", previous.strip())
        elif line.startswith("┃"):
            units = [int(h.split()[-1]) if h.strip() else None for h in line.split("┃")[1:-1]]
        elif line.startswith("│"):
            label, *values = (v.strip() for v in line.split("│")[1:-1])
            if label:   # a K or A line under a cell has no label
                for u, v in zip(units[1:], values):
                    cells[title, label, u] = v.removesuffix(" ✓")
    return cells


def array_after(out, name):
    """The numbers printed after `name = ` up to its last closing bracket, in order."""
    start = out.index(f"{name} = ") + len(name) + 3
    depth = 0
    for end in range(start, len(out)):
        depth += {"[": 1, "]": -1}.get(out[end], 0)
        if depth == 0:
            break
    return [n for n in re.split(r"[\s,\[\]]+", out[start:end]) if n]


def assert_trace_shown(out, case, units):
    """Every pre-activation, gate and state of every step in its table cell, for `units`,
    and the whole final state."""
    trace = forward.run(case)
    cells = table_cells(out)
    for k in range(case.steps):
        for key, name in trace_rows(case.cell):
            for u in units:
                assert cells[f"step {k + 1}", name, u] == fmt(trace.steps[key][k, 0, u]), \
                    (k, key, u)
    for s in case.cell.states:   # the final state is the last step's: every unit, whole
        assert array_after(out, f"final {s}") == [fmt(v) for v in trace.final[s][0]], s
    return trace


def assert_gradients_shown(out, case, trace, units):
    """Every step's gradient in its table cell for `units`; each weight, input and initial
    state gradient whole, number for number, or summarised with its shape."""
    grads = backward.run(case, trace)
    cells = table_cells(out)
    for q, t in all_positions(case):
        ref = value(case, grads, q, t)
        if t is not None:
            for u in units:
                label = q.replace("_tilde", "~")
                assert cells[f"backward, step {t}", label, u] == fmt(ref[0, u]), (q, t, u)
        elif ref.size > MAX_WEIGHT_VALUES:
            assert (f"dL/d{q}: {'x'.join(map(str, ref.shape))} values, max |value| "
                    f"{fmt(np.max(np.abs(ref)))}") in out
        else:
            assert array_after(out, f"dL/d{q}") == [fmt(v) for v in ref.flat], q


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("trace")


def calc_at_80(folder, cell, units, *flags):
    """calc of a fresh case at 80 columns (``flags``: new's, then calc's after "--")."""
    split = flags.index("--") if "--" in flags else len(flags)
    path = written(folder, cell, units, *flags[:split])
    out = run_at_80(path, "calc", *flags[split + 1:])
    assert_fits(out)
    return out, load_case(path)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_calc_forward_fits_80_columns_with_every_number_whole(folder, cell):
    out, case = calc_at_80(folder, cell, 8)
    assert_trace_shown(out, case, range(8))
    assert "step 1, units 0–" in out   # 8 units do not fit one table at 80 columns
    assert "not shown" not in out


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_calc_backward_fits_80_columns_and_weight_rows_wrap_between_numbers(folder, cell):
    out, case = calc_at_80(folder, cell, 8, "--backward")
    assert_gradients_shown(out, case, assert_trace_shown(out, case, range(8)), range(8))
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  dL/dinputs = "))
    # one matrix row per line (inputs: batch 1 x 2 steps x 3), the second under the first
    assert lines[start + 1].startswith(" " * len("  dL/dinputs = [[")), lines[start:start + 2]
    assert lines[start + 1].lstrip().startswith("[")
    # every array's wrapped and further rows stay under its first bracket
    starts = [i for i, line in enumerate(lines) if line.startswith("  dL/d")]
    blocks = [lines[start:end] for start, end in zip(starts, starts[1:] + [len(lines)])
              if " = [" in lines[start]]
    for block in blocks:
        under = " " * (block[0].index(" = [") + 4)
        assert all(line.startswith(under) for line in block[1:]), block
    assert any(len(block) > 2 for block in blocks)   # some took more than two lines


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_calc_of_a_64_unit_layer_shows_8_units_says_so_and_every_final_value(folder, cell):
    out, case = calc_at_80(folder, cell, 64, "--backward")
    trace = assert_trace_shown(out, case, range(8))
    assert_gradients_shown(out, case, trace, range(8))
    assert not any(u >= 8 for (_, _, u) in table_cells(out))
    assert out.count("units 8..63 of 64 not shown in the step tables (--all-units shows "
                     "them)") == 2   # forward and backward
    every, _ = calc_at_80(folder, cell, 64, "--backward", "--", "--all-units")
    assert_gradients_shown(every, case, assert_trace_shown(every, case, range(64)),
                           range(64))
    assert "not shown" not in every


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_verify_backward_fits_80_columns_with_every_number_whole(folder, cell):
    path = written(folder, cell, 8, "--backward", "--with-expected")
    text = yaml.safe_load(path.read_text())
    step = text["expected"]["gradients"]["steps"][0]
    step["dh"][5] += 0.25   # one wrong gradient
    path.write_text(yaml.safe_dump(text))
    out = run_at_80(path, "verify")
    assert_fits(out)
    case = load_case(path)
    trace = forward.run(case)
    assert_gradients_shown(out, case, trace, range(8))
    wrong, t = fmt(step["dh"][5]), step["t"]
    right = fmt(backward.run(case, trace).steps["dh"][t - 1, 0, 5])
    assert f"A {wrong} ✗" in out
    said = " ".join(out.split())
    assert f"dh[5] at step {t}" in said and f"author {wrong}, reference {right}" in said


def test_a_title_too_long_for_the_rule_is_printed_whole_above_it(folder):
    path = written(folder, "lstm", 2)
    name = "a case whose name alone " + "goes on and on " * 5 + "to the end"
    path.write_text(path.read_text().replace("name: new case, seed 5", f"name: {name}"))
    out = run_at_80(path, "calc")
    assert_fits(out)   # rich's rule cut such a title with "…"
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("─"))
    assert " ".join(" ".join(lines[:rule]).split()) == f"{name} {path.name}"
