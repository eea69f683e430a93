"""`new`, `record` and atomic writes."""

import os

import numpy as np
import pytest
import yaml

from conftest import CASES, run_cli
from lstm_verify import cli, forward
from lstm_verify.authoring import expected_span, flow, new_case_text, number, record
from lstm_verify.case import load_case
from lstm_verify.errors import CaseError
from lstm_verify.files import write_atomic
from lstm_verify.suite import verify_case

COMMENTED = """\
# My hand-worked example.   (odd   spacing kept)
name: commented
units: 2
activation: null          # linear, so I can check by hand
recurrent_activation: null
inputs: [[1], [2]]
weights:
  kernel:
    - [1, 0,   1, 1,   1, 2,   0, 1]   # i | f | c | o
  recurrent_kernel:
    - [0, 1,   0, 0,   1, 0,   1, 0]
    - [1, 0,   0, 0,   0, 1,   0, 1]
  bias: [0, 0,   0, 0,   0, 0,   1, 0]
{expected}
# a closing remark after the expected block
tolerance: {{atol: 0.001}}   # generous on purpose
"""
OLD_EXPECTED = """\
expected:
  # my wrong guess
  h: [15, 8]
  c:
    - 8
    - 4
"""


def outside_span(text):
    lines = text.splitlines(keepends=True)
    start, end = expected_span(text)
    return "".join(lines[:start]), "".join(lines[end:])


def test_number_formatting():
    assert number(3.0) == "3" and number(-0.5) == "-0.5"
    assert number(1 / 3) == "0.3333333"
    for value in (1e-8, 2e-6, 1e20, -3e-7, 1.5e-8):   # PyYAML reads "1e-08" as a string
        assert yaml.safe_load(number(value)) == pytest.approx(value, rel=1e-6)
    assert flow(np.array([[1.0, 0.25]])) == "[[1, 0.25]]"


def test_write_atomic_refuses_existing_file_and_leaves_it_untouched(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("mine\n")
    with pytest.raises(CaseError, match="already exists"):
        write_atomic(path, "theirs\n")
    assert path.read_text() == "mine\n"
    write_atomic(path, b"theirs\n", overwrite=True)
    assert path.read_text() == "theirs\n"
    assert os.listdir(tmp_path) == ["case.yaml"]  # no temp files left behind


def test_write_atomic_cleans_up_when_writing_fails(tmp_path):
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "x.yaml", object())
    assert os.listdir(tmp_path) == []


def test_new_refuses_to_overwrite(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("# my careful work\n")
    proc = run_cli("new", path)
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert path.read_text() == "# my careful work\n"
    assert os.listdir(tmp_path) == ["case.yaml"]
    assert run_cli("new", path, "--force").returncode == 0
    assert load_case(path).units == 2


@pytest.mark.parametrize("seed", range(20))
def test_new_gate_blocks_all_differ(seed):
    case_text = new_case_text(units=2, input_dim=1, seed=seed)
    data = yaml.safe_load(case_text)
    for matrix in (data["weights"]["kernel"], data["weights"]["recurrent_kernel"],
                   [data["weights"]["bias"]]):
        blocks = np.split(np.array(matrix), 4, axis=1)
        assert all(not np.array_equal(a, b) for n, a in enumerate(blocks)
                   for b in blocks[n + 1:])


def test_new_with_expected_verifies_against_real_keras(tmp_path):
    path = tmp_path / "new.yaml"
    assert cli.main(["new", str(path), "--units", "3", "--input-dim", "2", "--steps", "3",
                     "--batch", "2", "--seed", "4", "--with-expected"]) == 0
    text = path.read_text()
    assert "not hand-derived" in text
    case = load_case(path)
    assert case.batch == 2 and case.units == 3 and 3 in case.expected["steps"]
    result = verify_case(case)
    assert result.status == "pass", result


def test_record_keeps_everything_outside_the_expected_block(tmp_path):
    path = tmp_path / "c.yaml"
    before = COMMENTED.format(expected=OLD_EXPECTED)
    path.write_text(before)
    after = record(path, steps=True, force=True)   # over "my wrong guess"
    assert path.read_text() == after
    assert outside_span(after) == outside_span(before)
    head, tail = before.split(OLD_EXPECTED)  # independent of expected_span itself
    assert after.startswith(head) and after.endswith(tail)
    assert "my wrong guess" not in after and "t: 2" in after
    case = load_case(path)
    np.testing.assert_array_equal(case.expected["h"], [[16, 8]])
    np.testing.assert_array_equal(case.expected["steps"][2]["c"], [[8, 4]])
    assert case.atol == 0.001
    assert os.listdir(tmp_path) == ["c.yaml"]


def test_record_appends_when_there_is_no_expected_block(tmp_path):
    path = tmp_path / "c.yaml"
    before = COMMENTED.format(expected="").rstrip("\n")  # also: no final newline
    path.write_text(before)
    after = record(path)
    assert after.startswith(before + "\n")
    case = load_case(path)
    ref = forward.run(case)
    np.testing.assert_allclose(case.expected["c"], ref.final_c)
    assert "steps" not in case.expected


def test_record_twice_is_stable(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text((CASES / "tanh-sigmoid-three-steps.yaml").read_text())
    first = record(path, steps=True)
    assert record(path, steps=True) == first
    assert verify_case(load_case(path)).status == "pass"


def test_record_refuses_a_known_mistake_case(tmp_path):
    source = next(p for p in sorted(CASES.rglob("*.yaml")) if load_case(p).known_mistake)
    path = tmp_path / "mistake.yaml"
    path.write_bytes(source.read_bytes())
    proc = run_cli("record", path)
    assert proc.returncode == 2 and "known_mistake" in proc.stderr
    assert path.read_bytes() == source.read_bytes()


def test_new_record_and_pack_do_not_import_tensorflow(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    path = tmp_path / "n.yaml"
    code = ("import sys; from lstm_verify import cli; "
            f"assert cli.main(['new', {str(path)!r}]) == 0; "
            f"assert cli.main(['record', {str(path)!r}, '--steps']) == 0; "
            f"assert cli.main(['pack', {str(path)!r}]) == 0; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "steps" in load_case(path).expected


def test_new_rejects_bad_arguments_without_writing(tmp_path):
    path = tmp_path / "n.yaml"
    assert cli.main(["new", str(path), "--units", "0"]) == 2
    assert cli.main(["new", str(path), "--activation", "tanhh"]) == 2
    assert not path.exists()


def test_record_refuses_hand_written_numbers_that_differ_unless_forced(tmp_path):
    path = tmp_path / "mine.yaml"
    text = (CASES / "seed-article-corrected.yaml").read_text().replace(
        "h: [0, 4, 0]", "h: [0, 4, 1]")
    path.write_text(text)
    proc = run_cli("record", path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (f"{path}:" in proc.stderr and ": expected: has hand-written numbers that differ "
            "from the reference's: 1 value (h[0, 2] 1 → 0); record would replace them, so "
            "the file is left untouched" in proc.stderr and "--force" in proc.stderr), \
        proc.stderr
    assert path.read_text() == text
    forced = run_cli("record", path, "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.startswith("replacing 1 value (h[0, 2] 1 → 0)\n"), forced.stdout
    np.testing.assert_array_equal(load_case(path).expected["h"], [[0, 4, 0]])


def test_record_says_what_it_changes_in_numbers_it_wrote_itself(tmp_path):
    path = tmp_path / "new.yaml"
    assert run_cli("new", path, "--units", 2, "--seed", 1, "--with-expected").returncode == 0
    h = load_case(path).expected["h"][0]
    path.write_text(path.read_text().replace("bias: [", "bias: [3, ", 1))
    text = path.read_text()
    bias = text.split("bias: [", 1)[1].split("]", 1)[0]
    path.write_text(text.replace(bias, bias.rsplit(", ", 1)[0], 1))   # still 4*units values
    proc = run_cli("record", path)
    assert proc.returncode == 0, proc.stderr   # its own numbers: replaced, and said so
    first = proc.stdout.splitlines()[0]
    assert first.startswith("replacing ") and " → " in first, proc.stdout
    assert not np.allclose(load_case(path).expected["h"][0], h)


def test_record_keeps_hand_written_numbers_that_agree(tmp_path):
    path = tmp_path / "agree.yaml"
    path.write_text((CASES / "seed-article-corrected.yaml").read_text())
    proc = run_cli("record", path, "--steps")
    assert proc.returncode == 0 and "replacing" not in proc.stdout, proc.stdout + proc.stderr
