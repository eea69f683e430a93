"""The pytest plugin: case files collected and run as tests, in real pytest subprocesses."""

import os
import re
import shutil
import subprocess
import sys
import tomllib

from conftest import CASES, ROOT

PLUGIN = ["-p", "lstm_verify.pytest_plugin"]


def run_pytest(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pytest", *PLUGIN, "-p", "no:cacheprovider",
                           "-o", "addopts=", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def make_folder(tmp_path):
    """Two good cases, one case whose author value is wrong, one broken, one foreign YAML."""
    for name in ("two-steps-linear", "seed-article"):
        shutil.copy(CASES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    text = (CASES / "two-steps-linear.yaml").read_text()
    wrong = text.replace("- {t: 1, i: [1, 0], f: [1, 1], c_tilde: [1, 2], o: [1, 1], "
                         "c: [1, 0], h: [1, 0]}",
                         "- {t: 1, i: [1, 0], f: [1, 1], c_tilde: [1, 2], o: [1, 1], "
                         "c: [1, 0], h: [7, 0]}")
    assert wrong != text
    (tmp_path / "wrong-h.yaml").write_text(wrong)
    (tmp_path / "broken.yaml").write_text("units: 2\ninputs: [[1]]\nweights: [oops\n")
    (tmp_path / "ci.yaml").write_text("jobs:\n  test:\n    runs-on: ubuntu\n")
    return tmp_path


def test_collect_only_finds_cases_not_other_yaml_and_no_tensorflow(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "conftest.py").write_text(
        "import sys\n"
        "def pytest_collection_finish(session):\n"
        "    print('TF_LOADED', 'tensorflow' in sys.modules)\n")
    out = run_pytest("--collect-only", "-q", "-s", ".", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    names = sorted(re.findall(r"::([\w-]+)", out.stdout))
    assert names == ["broken", "seed-article", "two-steps-linear", "wrong-h"]
    assert "TF_LOADED False" in out.stdout


def test_run_reports_gate_table_and_one_paragraph_error(tmp_path):
    make_folder(tmp_path)
    out = run_pytest("-q", "-rA", ".", cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "2 failed, 2 passed" in out.stdout   # seed-article is a known mistake: a pass
    assert "PASSED seed-article.yaml::seed-article" in out.stdout
    assert "FAILED wrong-h.yaml::wrong-h" in out.stdout
    assert "FAILED broken.yaml::broken" in out.stdout
    failure = out.stdout.split(" wrong-h ")[1]   # from its section's header (the path in
    # the report's title, printed whole, holds "wrong-h" too)
    assert "step 1" in failure and "h" in failure and "7" in failure   # the gate table
    assert "\x1b[" not in out.stdout                                    # no colour codes
    assert "broken.yaml:4: is not valid YAML" in out.stdout   # the one-paragraph error
    assert "Traceback" not in out.stdout


def test_k_and_x_select_and_stop(tmp_path):
    make_folder(tmp_path)
    out = run_pytest("-q", "-k", "two-steps", ".", cwd=tmp_path)
    assert out.returncode == 0 and "1 passed, 3 deselected" in out.stdout, out.stdout
    out = run_pytest("-q", "-x", "broken.yaml", "wrong-h.yaml", ".", cwd=tmp_path)
    assert "1 failed" in out.stdout and "passed" not in out.stdout, out.stdout


def test_xdist_two_workers_runs_the_bundled_cases():
    out = run_pytest("-q", "-n", "2", str(CASES), cwd=ROOT)
    count = len(list(CASES.rglob("*.yaml")))
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{count} passed" in out.stdout


def test_entry_point_declared_and_works_when_installed(tmp_path):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entry = project["entry-points"]["pytest11"]
    assert any(dep.startswith("pytest-xdist") for dep in project["optional-dependencies"]["test"])
    # Install the declared entry point as a dist-info (what pip writes), without
    # installing the project: pytest must load it, alone and together with -p.
    # (An entry point named differently from the module, e.g. "lstm_verify", makes
    # `-p lstm_verify.pytest_plugin` crash with "already registered".)
    info = tmp_path / "site" / "lstm_verify_probe-0.1.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text("Metadata-Version: 2.1\nName: lstm-verify-probe\n"
                                         "Version: 0.1\n")
    info.joinpath("entry_points.txt").write_text(
        "[pytest11]\n" + "".join(f"{k} = {v}\n" for k, v in entry.items()))
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(CASES / "no-bias.yaml", run)
    env = {**os.environ, "PYTHONPATH": f"{info.parent}{os.pathsep}{ROOT}"}
    for extra in ([], PLUGIN):
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              *extra, "."], cwd=run, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout + out.stderr


def test_a_cases_warnings_are_pytest_warnings(tmp_path):
    shutil.copy(CASES / "seed-article.yaml", tmp_path / "seed-article.yaml")
    out = run_pytest("-q", ".", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed, 1 warning" in out.stdout, out.stdout
    summary = " ".join(out.stdout.split("warnings summary")[1].split())
    assert "seed-article.yaml:1: CaseWarning: " in summary, summary
    assert "blind to 3 of the 23 other gate orders" in summary
