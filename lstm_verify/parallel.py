"""verify on many case files with more than one process: each worker
(``python -m lstm_verify.parallel``) imports TensorFlow once and verifies whole case files,
so the workers' TensorFlow start-ups run side by side and so do their cases; this process
never imports TensorFlow, and yields the Results in the files' order as they arrive.

The protocol: pickled messages, each behind an 8-byte length, on the worker's stdin and
stdout: a task ``(path, verbose, render, load_options)`` in, a Result out (or a bug's
traceback).
A worker's stdout is kept for answers (anything a library prints goes to its stderr, a
temporary file quoted if the worker stops).
"""

import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]   # so `python -m` finds this copy


def auto_jobs(count):
    """How many processes a suite of ``count`` case files is worth: one (this process)
    unless the suite is big enough to repay another TensorFlow start-up (16 cases or
    more), at least two cores are idle now and the free memory holds two workers."""
    if count < 16:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)
    return max(1, min(4, int(cores * _idle_share() + 0.5), count // 8, _memory_for()))


def _memory_for(each=2 ** 30):
    """How many workers the free memory holds (each with TensorFlow takes ~0.7 GiB)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // each
    except (OSError, ValueError, IndexError):
        pass
    return 4


def _idle_share(seconds=0.15):
    """The share of CPU time the machine left idle over a short look (Linux's
    /proc/stat); 1.0 where it cannot be read."""
    def sample():
        with open("/proc/stat") as f:            # "cpu  user nice system idle iowait …"
            fields = [int(v) for v in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)
    try:
        idle_a, total_a = sample()
        time.sleep(seconds)
        idle_b, total_b = sample()
    except (OSError, ValueError, IndexError):
        return 1.0
    return (idle_b - idle_a) / max(total_b - total_a, 1)


def _send(stream, message):
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _receive(stream):
    head = stream.read(8)
    if len(head) < 8:
        return None
    size, = struct.unpack("<Q", head)
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


class WorkerStopped(Exception):
    """A worker process ended without answering."""


class _Worker:
    def __init__(self, verbose=False):
        # the worker's stderr is kept to say why it stopped, or shown with --verbose
        self.log = None if verbose else tempfile.TemporaryFile()
        env = dict(os.environ)
        if not verbose:     # TensorFlow's C++ start-up lines, as in one process
            env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        # this copy of the package first on the path; the caller's folder as the
        # worker's, so the case paths it is given mean what they mean here
        env["PYTHONPATH"] = os.pathsep.join(
            [str(PROJECT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        self.process = subprocess.Popen([sys.executable, "-m", "lstm_verify.parallel"]
                                        + (["--verbose"] if verbose else []),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, env=env)

    def verify(self, task):
        try:
            _send(self.process.stdin, task)
            answer = _receive(self.process.stdout)
        except (OSError, pickle.UnpicklingError, EOFError):
            answer = None
        if answer is None:
            code = self.process.wait()
            tail = ""
            if self.log is not None:
                self.log.seek(0)
                tail = self.log.read().decode(errors="replace").strip()[-600:]
            raise WorkerStopped(f"the worker process verifying it stopped (exit code {code})"
                                + (f": {tail}" if tail else ""))
        kind, value = answer
        if kind == "bug":
            raise RuntimeError(f"a worker process failed with:\n{value}")
        return value

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()


def verify_in_workers(files, jobs, verbose, render, load_options):
    """Yield suite.verify_file's Result for each file, in order, computed by ``jobs`` worker
    processes; a file whose worker stopped gets an error Result saying so."""
    from .suite import error_result, verify_file
    results, lock = {}, threading.Condition()
    todo = iter(range(len(files)))
    state = {"alive": jobs, "stop": False, "bug": None}

    def drive(worker):
        while True:
            with lock:
                index = None if state["stop"] else next(todo, None)
            if index is None:
                return
            path = files[index]
            try:
                result = verify_file(path, render=render) if not isinstance(
                    path, (str, Path)) else worker.verify((path, verbose, render,
                                                           load_options))
            except WorkerStopped as exc:
                with lock:
                    results[index] = error_result(path, str(exc))
                    state["alive"] -= 1
                    if state["alive"] == 0:   # no worker left: the rest cannot run
                        for rest in todo:
                            results[rest] = error_result(files[rest], str(exc))
                    lock.notify_all()
                return
            except Exception as exc:          # a bug: stop, and show it in this process
                with lock:
                    state["bug"], state["stop"] = exc, True
                    lock.notify_all()
                return
            with lock:
                results[index] = result
                lock.notify_all()

    workers = [_Worker(verbose) for _ in range(jobs)]
    threads = [threading.Thread(target=drive, args=(w,), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    try:
        for index in range(len(files)):
            with lock:
                lock.wait_for(lambda: index in results or state["bug"] is not None)
                if index not in results:
                    raise state["bug"]
                result = results.pop(index)
            yield result
    finally:
        with lock:
            state["stop"] = True
        for worker in workers:
            worker.close()


def _one_thread_each(verbose):
    """The workers already run side by side: each keeps TensorFlow to one thread, as
    its thread pools otherwise spin on cores the other workers need (a small case's
    ops are too small to split anyway)."""
    from .keras_run import _import_keras
    _import_keras(verbose)
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def main(verbose=False):
    """A worker: verify each task's case file; answer with its Result."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)          # a library's prints go to stderr, never into the answers
    tasks = sys.stdin.buffer
    from .suite import verify_file
    _one_thread_each(verbose)
    while True:
        task = _receive(tasks)
        if task is None:   # the suite is done: leave now, as multiprocessing's workers do,
            answers.flush()            # without TensorFlow's second-long teardown
            os._exit(0)
        path, verbose, render, load_options = task
        try:
            answer = ("result", verify_file(path, verbose=verbose, render=render,
                                            **load_options))
        except Exception:
            answer = ("bug", traceback.format_exc())
        _send(answers, answer)


if __name__ == "__main__":
    sys.exit(main(verbose="--verbose" in sys.argv[1:]))
