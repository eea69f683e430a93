"""verify with worker processes (--jobs, lv.verify_files(jobs=...)): the same Results, in
the same order, as one process; a worker that stops costs its file only; a bug in a worker
is shown, not swallowed; this process never imports TensorFlow."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CASES, ROOT, run_cli

import lstm_verify as lv
from lstm_verify import parallel, suite


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Some bundled cases (pass, known mistakes, GRU, SimpleRNN, backward), a failing
    case, a file that is not valid YAML and one with a bad key."""
    root = tmp_path_factory.mktemp("suite")
    for path in ["seed-article.yaml", "mistake-gate-order.yaml", "gru/masking.yaml",
                 "simple_rnn/relu.yaml", "backward/one-step-by-hand.yaml",
                 "go-backwards.yaml"]:
        shutil.copy(CASES / path, root / path.replace("/", "-"))
    text = (CASES / "seed-article-corrected.yaml").read_text()
    (root / "fails.yaml").write_text(text.replace("  h: [0, 4, 0]", "  h: [0, 4, 1]"))
    (root / "broken.yaml").write_text("inputs: [[1, 2\nweights: {}\n")
    (root / "bad-key.yaml").write_text(text.replace("units:", "unitz:"))
    return root


def verify_json(folder, jobs):
    done = run_cli("verify", "--json", "--jobs", jobs, folder)
    return done.returncode, json.loads(done.stdout)["cases"]


def test_two_workers_give_what_one_process_gives_in_the_same_order(folder):
    code_one, one = verify_json(folder, 1)
    code_two, two = verify_json(folder, 2)
    assert code_one == code_two == 2          # an error file: exit 2
    assert [c["file"] for c in two] == [c["file"] for c in one]
    assert one == two
    statuses = {c["file"].rsplit("/", 1)[-1]: c["status"] for c in two}
    assert statuses["fails.yaml"] == "fail" and statuses["broken.yaml"] == "error"
    assert statuses["seed-article.yaml"] == "known-mistake"
    assert "unitz" in next(c["error"] for c in two if c["file"].endswith("bad-key.yaml"))


def test_a_worker_that_stops_costs_its_file_only(folder, monkeypatch):
    files = suite.collect([folder]).files
    victim = files[2]

    class Dying(parallel._Worker):
        def verify(self, task):
            if task[0] == victim:
                self.process.kill()       # as the OOM killer or a crash in TensorFlow would
            return super().verify(task)

    monkeypatch.setattr(parallel, "_Worker", Dying)
    results = list(suite.verify_files(files, jobs=2))
    assert [r.file for r in results] == [str(f) for f in files]
    stopped = results[2]
    assert stopped.status == "error"
    assert "worker process verifying it stopped (exit code -9)" in stopped.error
    alone = list(suite.verify_files(files[3:], jobs=1))
    assert [r.status for r in results[3:]] == [r.status for r in alone]


def test_every_worker_stopping_ends_the_run_with_errors_not_a_hang(folder, monkeypatch):
    class Dead(parallel._Worker):
        def verify(self, task):
            self.process.kill()
            return super().verify(task)

    monkeypatch.setattr(parallel, "_Worker", Dead)
    files = suite.collect([folder]).files
    results = list(suite.verify_files(files, jobs=2))
    assert len(results) == len(files)
    assert all(r.status == "error" and "stopped" in r.error for r in results)


def test_a_bug_in_a_worker_is_raised_here_with_its_traceback(folder):
    files = suite.collect([folder]).files[:3]
    with pytest.raises(RuntimeError, match="(?s)worker process failed.*TypeError.*surprise"):
        list(suite.verify_files(files, jobs=2, surprise=1))


def test_the_parallel_run_does_not_import_tensorflow_here(folder):
    code = ("import sys, lstm_verify as lv\n"
            f"results = [v.status for v in lv.verify_files({str(folder)!r}, jobs=2)]\n"
            "print(len(results), 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.stdout.split() == ["9", "False", "False"], done.stderr[-2000:]


def test_auto_jobs_is_one_for_a_small_suite_and_at_most_the_idle_cores():
    import os
    assert parallel.auto_jobs(1) == 1
    assert parallel.auto_jobs(15) == 1
    cores = len(os.sched_getaffinity(0))
    assert 1 <= parallel.auto_jobs(10_000) <= min(4, cores)


def test_auto_jobs_is_one_when_every_core_is_busy():
    import os
    cores = len(os.sched_getaffinity(0))
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(cores)]
    try:
        import time
        time.sleep(0.3)
        assert parallel._idle_share() < 0.5
        assert parallel.auto_jobs(10_000) == 1
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def test_verify_files_api_yields_verifications_in_order(folder):
    suite_run = lv.verify_files(folder, jobs=1)
    assert len(suite_run) == 9
    verifications = list(suite_run)
    names = [Path(v.result.file).name for v in verifications]
    assert names == sorted(names)
    by_name = {Path(v.result.file).stem: v for v in verifications}
    assert by_name["fails"].status == "fail" and not by_name["fails"].passed
    assert by_name["fails"].first_divergence.quantity == "h"
    assert by_name["seed-article"].status == "known-mistake"
    assert by_name["broken"].status == "error"


def test_verify_files_refuses_an_unknown_engine_before_any_work(folder):
    with pytest.raises(lv.CaseError, match="'tensorflow' is not an engine"):
        lv.verify_files(folder, against=["tensorflow"])


def test_verify_runs_a_keras2_case_through_keras2_as_the_cli_does():
    pytest.importorskip("tf_keras")
    case = lv.load_case(CASES / "seed-article-corrected.yaml")
    case.keras = 2
    engines = lv.verify(case).result.engines
    assert [e.engine for e in engines] == ["keras", "keras2"]
    assert engines[1].status == "pass"
    plain = lv.load_case(CASES / "seed-article-corrected.yaml")
    assert [e.engine for e in lv.verify(plain, against=["torch"]).result.engines][:2] == \
        ["keras", "torch"]


@pytest.mark.parametrize("options", [[], ["--quiet"], ["--failures"], ["--all-steps"]])
def test_the_text_report_is_the_same_with_workers(folder, options):
    one = run_cli("verify", *options, "--jobs", "1", folder)
    two = run_cli("verify", *options, "--jobs", "2", folder)
    assert one.returncode == two.returncode == 2
    assert one.stdout == two.stdout
    assert "FAIL" in two.stdout and "ERROR" in two.stdout


def test_a_report_drawn_in_a_worker_is_the_one_drawn_here_from_its_result(folder):
    """What a worker sends (the Result and its rendered text) is whole: drawing the
    received Result again here gives the same text, for every kind of case."""
    import functools
    import io

    from rich.console import Console

    from lstm_verify.render import report
    look = report.Look(width=80, color_system="truecolor", terminal=True)
    files = suite.collect([folder]).files
    results = list(suite.verify_files(files, jobs=2,
                                      render=functools.partial(report.rendered, look=look)))
    assert len({r.status for r in results}) == 4          # pass, fail, error, known-mistake
    for result in results:
        assert result.rendered is not None and "\x1b[" in result.rendered   # coloured
        here = io.StringIO()
        report.show(Console(file=here, width=80, color_system="truecolor",
                            force_terminal=True, highlight=False, soft_wrap=False,
                            emoji=False), result, look)
        assert here.getvalue() == result.rendered


def test_workers_read_relative_paths_from_the_callers_folder(folder, tmp_path):
    """A worker starts in the caller's folder: `verify some/case.yaml --jobs 2` run
    anywhere finds its files (the package is found through PYTHONPATH, not the cwd)."""
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(folder, elsewhere / "cases")
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "verify", "--json",
                           "--jobs", "2", "cases"], cwd=elsewhere, capture_output=True,
                          text=True, timeout=600)
    cases = json.loads(done.stdout)["cases"]
    assert [c["file"] for c in cases] == sorted(c["file"] for c in cases)
    assert all(c["file"].startswith("cases/") for c in cases)
    statuses = {c["file"]: c["status"] for c in cases}
    assert statuses["cases/fails.yaml"] == "fail"
    assert statuses["cases/seed-article.yaml"] == "known-mistake"
    assert not any("not found" in (c.get("error") or "") or "No such file" in
                   (c.get("error") or "") for c in cases)


def test_auto_jobs_keeps_to_the_free_memory():
    assert parallel._memory_for(each=2 ** 60) == 0      # no machine holds an exabyte worker
    assert parallel._memory_for() >= 1


def test_verbose_lets_the_workers_tensorflow_lines_through(folder):
    import os
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    lines = {}
    for jobs in ("1", "2"):
        done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "verify", "--quiet",
                               "--verbose", "--jobs", jobs, folder], env=env,
                              capture_output=True, text=True, timeout=600)
        lines[jobs] = done.stderr
    assert "oneDNN" in lines["1"]          # what TensorFlow says at start-up on a CPU
    assert lines["2"].count("oneDNN") >= 2  # once per worker


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_keras2_case_is_drawn_with_its_keras2_engine(tmp_path, jobs):
    """A report drawn where its case was verified predates the engines run afterwards
    (keras2 for a `keras: 2` case): such a case is drawn again, with its engine table."""
    pytest.importorskip("tf_keras")
    for n in range(2):
        text = (CASES / "seed-article-corrected.yaml").read_text()
        (tmp_path / f"k{n}.yaml").write_text("keras: 2\n" + text)
    done = run_cli("verify", "--jobs", jobs, tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert done.stdout.count("engines vs the reference") == 2
    assert done.stdout.count("Keras 2 (tf_keras") == 2
