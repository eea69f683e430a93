"""A suite of cases: find case files, check them, and run each through the reference,
Keras and the comparison (verify_case); the CLI, watch and the pytest plugin use it."""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import forward, reading
from .diagnose import symmetry
from .case import load_case
from .compare import Result, judge
from .errors import CaseError
from .case.yaml_source import MAX_FILE_BYTES

CASE_SUFFIXES = (".yaml", ".yml")
# A case has keys weights and inputs: at the start of a line (block style, any indent) or
# after { or , (flow style, JSON), quoted or not.  Textual on purpose: a case that is not
# valid YAML is still a case, and other YAML files (CI configs, fixtures) are not.
_KEY = r"""(?:^[ \t]*|[{{,]\s*)["']?{}["']?[ \t]*:"""
_CASE_KEYS = [re.compile(_KEY.format(key), re.MULTILINE) for key in ("weights", "inputs")]


def looks_like_case(text):
    """True when ``text`` has the keys ``weights`` and ``inputs``: what makes a case."""
    return all(key.search(text) for key in _CASE_KEYS)


@dataclass
class Collected:
    """What ``collect`` found: ``files`` holds a Path per case file in order, or a
    CaseError for a path that cannot be one; ``skipped`` the YAML files in folders that
    are plainly not cases."""

    files: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    @property
    def skipped_note(self):
        n = len(self.skipped)
        return (f"skipped {n} YAML file{'s' if n != 1 else ''} with no weights and inputs "
                f"keys (not case files), e.g. {self.skipped[0]}") if n else ""


def collect(paths):
    """Case files named by ``paths`` (files, or folders searched recursively, hidden
    folders such as .git left out), each folder's sorted; a path that cannot be read as
    a case stays in the list as its CaseError, so one bad path does not stop the others."""
    found = Collected()
    for raw in paths:
        path = Path(raw)
        problem = reading.problem(path, "a case file or a folder of cases")
        if problem is None:
            found.files.append(path)
        elif path.is_dir():
            _collect_folder(path, found)
        else:
            found.files.append(CaseError(problem, path))
    found.files = list(dict.fromkeys(found.files))
    return found


def _collect_folder(folder, found):
    before = len(found.files), len(found.skipped)
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if path.suffix not in CASE_SUFFIXES:
                continue
            try:
                text = reading.read_text(path, "a case file", MAX_FILE_BYTES)
            except CaseError as exc:   # not a regular file: its error; else load says why
                found.files.append(exc if reading.problem(path, "") else path)
                continue
            (found.files if looks_like_case(text) else found.skipped).append(path)
    if len(found.files) == before[0]:
        skipped = len(found.skipped) - before[1]
        why = (f" ({skipped} YAML file{'s' if skipped != 1 else ''} in it, none with "
               "weights and inputs keys)" if skipped else "")
        found.files.append(CaseError(f"is a folder with no .yaml case files in it{why}",
                                     folder))


def load_all(files, **load_options):
    """Yield (path, Case or CaseError) for each file, one at a time (a run over many big
    cases holds one at once); a bad file does not stop the others."""
    for path in files:
        if isinstance(path, CaseError):
            yield Path(path.file), path
            continue
        try:
            yield path, load_case(path, **load_options)
        except CaseError as exc:
            yield path, exc


def verify_case(case, verbose=False):
    """Reference, Keras and comparison for one loaded case."""
    from . import keras_run  # TensorFlow starts here, once per process

    ref = forward.run(case)
    try:
        ker = keras_run.run(case, verbose=verbose)
    except keras_run.KerasMismatch as exc:
        return Result(file=str(case.path), name=case.name, status="error",
                      error=f"Keras gate capture failed: {exc}", case=case, reference=ref)
    result = judge(case, ref, ker)
    if case.backward is not None:
        result = _backward(case, ref, result, verbose)
    blind = symmetry.warning(case)   # a case that cannot catch a gate-order mistake
    result.warnings += [blind] if blind else []
    return result


def _backward(case, ref, result, verbose):
    """The backward pass: the numpy BPTT and TensorFlow's gradient tape, compared."""
    from . import backward, keras_backward, keras_run
    from .backward.compare import judge as judge_backward

    grads = backward.run(case, ref)
    try:
        tf_grads = keras_backward.run(case, backward.upstream_of(case, ref), verbose=verbose)
    except keras_run.KerasMismatch as exc:
        result.status, result.error = "error", f"TensorFlow gradient capture failed: {exc}"
        return result
    return judge_backward(result, case, grads, tf_grads)


def verify_file(path, verbose=False, render=None, **load_options):
    """Load and verify one case file (or pass on collect's CaseError): its Result, with
    any problem with the file as status 'error'; ``render(result)``, if given, is kept
    as the Result's ``rendered`` text."""
    if isinstance(path, CaseError):
        result = error_result(Path(path.file), str(path))
    else:
        try:
            result = verify_case(load_case(path, **load_options), verbose=verbose)
        except CaseError as exc:   # reading it, or found while running it: its verdict
            result = error_result(path, str(exc))
    if render is not None:
        result.rendered = render(result)
    return result


def error_result(path, message):
    """A Result of status 'error' for ``path``, saying ``message``."""
    path = Path(path)
    return Result(file=str(path), name=path.stem, status="error", error=message)


def verify_files(files, verbose=False, jobs=1, render=None, **load_options):
    """Yield one Result per file, in order; bad files become status 'error'.  With
    ``jobs`` > 1, worker processes verify the files side by side (parallel.py), and
    ``render`` (a picklable function of a Result, giving its report's text) runs there
    too, so the reports are drawn side by side as well."""
    jobs = min(jobs, len(files))
    if jobs > 1:
        from .parallel import verify_in_workers
        yield from verify_in_workers(files, jobs, verbose, render, load_options)
        return
    for path in files:
        yield verify_file(path, verbose=verbose, render=render, **load_options)
