"""The real command line, in subprocesses: exit codes, JSON schema, what gets imported."""

import json
import subprocess
import sys

from conftest import CASES, ROOT, run_cli

SEED = CASES / "seed-article.yaml"
CORRECTED = CASES / "seed-article-corrected.yaml"


def test_verify_known_mistake_and_pass_exit_0_and_point_at_h2():
    result = run_cli("verify", SEED, CORRECTED)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "KNOWN MISTAKE" in out and "PASS" in out
    assert "final h[2]: author 1, reference 0, Keras 0" in out
    assert "h[2] = o[2]·c[2] = 0·1 = 0, not 1" in out
    # TensorFlow's start-up lines stay out of the user's terminal.
    assert "oneDNN" not in result.stderr and "absl" not in result.stderr, result.stderr


def test_verify_mismatch_exits_1(tmp_path):
    text = CORRECTED.read_text().replace("h: [0, 4, 0]", "h: [0, 4, 1]")
    (tmp_path / "wrong.yaml").write_text(text)
    result = run_cli("verify", tmp_path / "wrong.yaml")
    assert result.returncode == 1
    assert "FAIL" in result.stdout


def test_known_mistake_that_matches_is_a_failure(tmp_path):
    text = SEED.read_text().replace("h: [0, 4, 1]", "h: [0, 4, 0]")
    (tmp_path / "fixed.yaml").write_text(text)
    result = run_cli("verify", "--json", tmp_path / "fixed.yaml")
    assert result.returncode == 1
    assert json.loads(result.stdout)["cases"][0]["status"] == "fail"


def test_bad_input_exits_2_with_one_paragraph_and_no_traceback(tmp_path):
    (tmp_path / "bad.yaml").write_text("inputs: [[1, 0]]\nweights:\n  kernel: [[1, 2]]\n")
    for command in ("verify", "validate", "calc"):
        result = run_cli(command, tmp_path / "bad.yaml")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        assert "bad.yaml" in result.stderr + result.stdout
        assert "weights" in result.stderr + result.stdout


def test_error_keeps_a_long_path_in_one_piece(tmp_path):
    # the terminal report used to wrap at 80 columns, cutting a long path in two
    folder = tmp_path / ("a-rather-long-folder-name-for-cases-" * 3)
    folder.mkdir()
    bad = folder / "bad.yaml"
    bad.write_text("inputs: [[1, 0]]\nweights:\n  kernel: [[1, 2]]\n")
    result = run_cli("verify", bad)
    assert result.returncode == 2 and str(bad) in result.stdout, result.stdout


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("verify").returncode == 2
    assert run_cli("frobnicate").returncode == 2
    missing = run_cli("validate", tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_json_schema(tmp_path):
    (tmp_path / "bad.yaml").write_text("units: 3\n")
    result = run_cli("verify", "--json", SEED, CORRECTED, tmp_path / "bad.yaml")
    assert result.returncode == 2  # one case is bad input
    report = json.loads(result.stdout)
    assert set(report) == {"cases", "summary"}
    assert {"passed", "failed", "errors"} <= set(report["summary"])
    assert report["summary"]["passed"] == 2 and report["summary"]["errors"] == 1
    seed, corrected, bad = report["cases"]
    for case in report["cases"]:
        assert {"file", "name", "status", "error", "max_abs_diff", "mismatches"} <= set(case)
        assert set(case["max_abs_diff"]) == {"keras_vs_reference", "expected_vs_reference"}
    assert seed["status"] == "known-mistake" and seed["error"] is None
    assert seed["max_abs_diff"] == {"keras_vs_reference": 0.0, "expected_vs_reference": 1.0}
    assert seed["mismatches"] == [{"quantity": "h", "t": None, "batch": 0, "unit": 2,
                                   "expected": 1.0, "reference": 0.0, "keras": 0.0,
                                   "between": "expected-reference",
                                   "consequence": False, "recomputed": 0.0,
                                   "because": []}]
    assert corrected["status"] == "pass" and corrected["mismatches"] == []
    assert bad["status"] == "error" and "has no 'inputs' key" in bad["error"]


def test_overflow_is_reported_and_json_stays_valid(tmp_path):
    # Linear activations square h every step: float32 Keras overflows, float64 does not.
    steps = [[[3.0]] * 4]  # h: 27, 35100, 4.5e13, 8.9e40 (past float32)
    text = ("activation: null\nrecurrent_activation: null\n"
            f"inputs: {steps}\n"
            "weights:\n  kernel: [[1, 1, 1, 1]]\n  recurrent_kernel: [[1, 1, 1, 1]]\n"
            "  bias: [0, 0, 0, 0]\n")
    (tmp_path / "boom.yaml").write_text(text)
    result = run_cli("verify", "--json", tmp_path / "boom.yaml")
    assert result.returncode == 1
    case = json.loads(result.stdout)["cases"][0]  # strict JSON: no NaN or Infinity
    assert case["status"] == "fail"
    assert any(m["keras"] is None for m in case["mismatches"])
    text_report = run_cli("verify", tmp_path / "boom.yaml").stdout
    assert "Keras (float32) overflowed to infinity/NaN from step" in " ".join(text_report.split())


def modules_after(*args):
    """Run the CLI in-process in a fresh interpreter; return its exit code and whether
    TensorFlow or Keras got imported."""
    code = ("import sys; from lstm_verify.cli import main; rc = main(sys.argv[1:]); "
            "print('IMPORTED', any(m.split('.')[0] in ('tensorflow', 'keras') "
            "for m in sys.modules)); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout.strip().splitlines()[-1]


def test_calc_and_validate_do_not_import_tensorflow():
    assert modules_after("calc", SEED) == (0, "IMPORTED False")
    assert modules_after("validate", CASES) == (0, "IMPORTED False")


def test_calc_shows_every_gate():
    result = run_cli("calc", SEED)
    assert result.returncode == 0
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines()
            if line.startswith("│")}
    for gate, values in (("i", "5 │      2 │      1"), ("o", "2 │      1 │      0"),
                         ("h", "0 │      4 │      0"), ("c", "0 │      4 │      1")):
        assert values in rows[gate], rows
    assert "final h = [0, 4, 0]\nfinal c = [0, 4, 1]\n" in result.stdout


def test_a_parser_built_for_one_command_parses_it_as_the_whole_parser_does():
    """main builds only the named command (a faster start-up): its arguments, defaults
    and help are the same as in the parser of every command; a misspelt command or
    --help alone gets the whole parser."""
    from lstm_verify import cli

    whole = cli.build_parser()
    subparsers = lambda parser: next(a for a in parser._actions  # noqa: E731
                                     if a.dest == "command").choices
    for name in cli.COMMANDS:
        alone = subparsers(cli.build_parser(name))[name]
        full = subparsers(whole)[name]
        assert alone.format_help() == full.format_help()
        assert [(a.dest, a.default) for a in alone._actions] == \
            [(a.dest, a.default) for a in full._actions]
    assert cli._command_in(["calc", "x.yaml"]) == "calc"
    assert cli._command_in(["--help"]) is None
    assert cli._command_in(["clac", "x.yaml"]) is None
    assert all(name in whole.format_help() for name in cli.COMMANDS)
