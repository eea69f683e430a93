"""Find case files, check them, and run them through the reference and Keras."""

from pathlib import Path

from . import reference, symmetry
from .case import load_case
from .compare import Result, judge
from .errors import CaseError

CASE_SUFFIXES = (".yaml", ".yml")


def collect(paths):
    """Case files named by ``paths`` (files, or folders searched recursively), sorted."""
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in CASE_SUFFIXES
                           and p.is_file())
            if not found:
                raise CaseError("is a folder with no .yaml case files in it", path)
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CaseError("does not exist; expected a case file or a folder of cases", path)
    return list(dict.fromkeys(files))


def load_all(files, **load_options):
    """(path, Case or CaseError) for each file; a bad file does not stop the others."""
    out = []
    for path in files:
        try:
            out.append((path, load_case(path, **load_options)))
        except CaseError as exc:
            out.append((path, exc))
    return out


def verify_case(case, verbose=False):
    """Reference, Keras and comparison for one loaded case."""
    from . import keras_run  # TensorFlow starts here, once per process

    ref = reference.run(case)
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


def verify_files(files, verbose=False, **load_options):
    """Yield one Result per file, in order; bad files become status 'error'."""
    for path, loaded in load_all(files, **load_options):
        if isinstance(loaded, CaseError):
            yield Result(file=str(path), name=path.stem, status="error", error=str(loaded))
        else:
            yield verify_case(loaded, verbose=verbose)
