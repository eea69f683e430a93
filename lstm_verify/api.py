"""The public Python API: a few stable names for people who write recurrent-layer code and
its tests, and for notebooks.

    import lstm_verify as lv
    case = lv.load_case("cases/seed-article.yaml")      # or lv.case_from_arrays(...)
    trace = lv.reference(case)                         # numpy only: no TensorFlow
    result = lv.verify(case)                           # reference + Keras + diagnosis
    for result in lv.verify_files("cases/"): ...       # a whole suite, in order
    lv.assert_matches(case, {"h": my_h})               # AssertionError with the gate table

Everything else in the package is private.  Keras is imported only by verify and
case_from_layer.
"""

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .case import parse as _case
from . import forward as _forward
from .errors import CaseError

__all__ = ["CaseError", "Verification", "Verifications", "assert_matches",
           "case_from_arrays", "case_from_layer", "load_case", "reference", "verify",
           "verify_files"]


def load_case(path):
    """Read and check a case file (YAML); raise CaseError, naming file, key and line, on
    any problem."""
    return _case.load_case(path)


def case_from_arrays(inputs, kernel, recurrent_kernel, bias=None, *, cell="lstm",
                     expected=None, name="arrays", **options):
    """A case from numpy arrays (or nested lists), with the checks and messages of a
    file. ``inputs`` [batch, time, features] (or [time, features]); the weights in Keras's
    layout for ``cell`` (lstm, gru, simple_rnn), or pass ``weights={...}`` in any form a
    case file accepts (textbook W_i..., ``layout: pytorch`` ...) instead of the three.
    ``options`` are the case file's other keys: activation, recurrent_activation,
    reset_after, use_bias, go_backwards, zero_output_for_mask, dtype, mask,
    initial_state, tolerance, backward, description. ``expected`` as in a case file."""
    weights = options.pop("weights", None)
    if weights is None:
        weights = {"kernel": kernel, "recurrent_kernel": recurrent_kernel}
        if bias is not None:
            weights["bias"] = bias
        if bias is None and options.get("use_bias", True):
            options["use_bias"] = False
    data = {"cell": cell, "name": name, "inputs": _plain(inputs),
            "weights": _plain(weights), **{k: _plain(v) for k, v in options.items()}}
    if expected is not None:
        data["expected"] = _plain(expected)
    return _case.parse_case(data, Path(f"<{name}>"))


def _plain(value):
    """Arrays as the case reader takes them: numpy arrays whole (checked as arrays),
    mappings and lists element by element."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], dict):
        return [_plain(v) for v in value]
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):   # a tensor
        value = value.numpy()
    if isinstance(value, np.ndarray) and value.dtype.kind == "b":
        return value.tolist()
    return value


def reference(case):
    """The reference calculator's trace (numpy, float64): ``trace.steps[name]`` (T, B, U)
    for every per-step quantity (z_i, i, f, c_tilde, o, c, h for the LSTM; z, r,
    h_tilde, h for the GRU ...), ``trace.sequence``, ``trace.final['h']``. No TensorFlow."""
    return _forward.run(case)


@dataclass
class Verification:
    """The outcome of verify or assert_matches: ``status`` (pass, fail, error,
    known-mistake), ``mismatches`` (an author's that follow from their own earlier
    numbers have ``consequence`` true and ``because``), ``consequences`` (those in
    words), ``first_divergence``, ``diagnoses``, ``warnings``, ``verdict``, and
    ``report``, the terminal report as plain text."""

    status: str
    verdict: str
    mismatches: list
    first_divergence: object
    diagnoses: list
    warnings: list
    result: object = field(repr=False)

    @property
    def passed(self):
        return self.status in ("pass", "known-mistake")

    @property
    def consequences(self):
        """Each of the author's numbers that is right given their own earlier ones, in
        words: 'h[0] at step 2 = o[0]·tanh(c[0]) = 0.112564 is right for your c[0] at
        step 2 = 0.196876; it differs only because c[0] does' (the mismatch's
        ``because`` lists those numbers)."""
        from .consequences import because_text
        return [because_text(self.result.case, m) for m in self.mismatches
                if getattr(m, "consequence", False)]

    @property
    def report(self):
        return _plain_report(self.result)

    def _repr_html_(self):
        from .render.notebook import result_html
        return result_html(self.result)


def _show_in_notebooks():
    """In a Jupyter kernel, cases and traces display as the HTML export's tables."""
    import sys
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "display_formatter"):
        from .render.notebook import register
        register(shell)


_show_in_notebooks()


def _verification(result):
    first = result.explanation.first if result.explanation is not None else None
    return Verification(status=result.status, verdict=result.verdict,
                        mismatches=list(result.mismatches) + list(result.gradient_mismatches),
                        first_divergence=first, diagnoses=list(result.diagnoses),
                        warnings=list(result.warnings), result=result)


def verify(case, against=()):
    """Reference, the real Keras layer, comparison and diagnosis: a Verification.
    ``against``: other implementations to compare with the reference too (torch,
    onnxruntime, keras-jax, keras-torch, keras2); a case recorded from a Keras 2 model
    (``keras: 2``) also runs through Keras 2, as verify does on the command line."""
    from .suite import verify_case
    return _verification(_with_engines(_runner(against), [verify_case(case)])[0])


def _runner(against):
    """The engines of ``against``: names, or one comma-separated string as --against."""
    from .engines import Runner, parse_against
    return Runner(parse_against(against if isinstance(against, str) else ",".join(against)))


def _with_engines(runner, results):
    try:
        return [runner.check(result) for result in results]
    finally:
        runner.close()


class Verifications:
    """What verify_files returns: ``len()`` case files, iterated as one Verification each,
    in order, as they are done; ``skipped`` the YAML files in the folders that are plainly
    not cases (no weights and inputs keys)."""

    def __init__(self, paths, against, jobs, max_values, verbose, render=None):
        from .suite import collect
        found = collect(paths)
        self.files, self.skipped, self.skipped_note = found.files, found.skipped, \
            found.skipped_note
        self._runner = _runner(against)
        self._options = dict(jobs=_jobs(jobs, len(self.files)), verbose=verbose,
                             render=None if against else render,
                             **({} if max_values is None else {"max_values": max_values}))

    def __len__(self):
        return len(self.files)

    def __iter__(self):
        from .suite import verify_files
        try:
            for result in verify_files(self.files, **self._options):
                result = self._runner.check(result)
                if result.engines:   # a keras: 2 case's engine changed it: draw it anew
                    result.rendered = None
                yield _verification(result)
        finally:
            self._runner.close()


def _jobs(jobs, count):
    from .parallel import auto_jobs
    return auto_jobs(count) if jobs is None else max(1, int(jobs))


def verify_files(paths, *, against=(), jobs=None, max_values=None, verbose=False,
                 _render=None):
    """verify for every case file named by ``paths`` (files, or folders searched
    recursively): a Verifications to iterate, one Verification per file in order (a bad
    file is status 'error', it does not stop the others).  ``jobs``: processes to verify
    with (default: more than one only for a large suite with idle cores; each imports
    TensorFlow once).  ``against`` as for verify; ``max_values`` caps a file's numbers
    (as --max-values); ``verbose`` lets TensorFlow's own messages through."""
    # _render (the command line's): a picklable function of a Result giving its report's
    # text, drawn where the case is verified; not with engines, which change the Result
    return Verifications([paths] if isinstance(paths, (str, Path)) else list(paths),
                         against, jobs, max_values, verbose, _render)


def _plain_report(result, width=100):
    from rich.console import Console

    from .render import report
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False,
                      soft_wrap=False, emoji=False)
    report.render(console, result)
    return buffer.getvalue()


def assert_matches(case, actual):
    """Assert that ``actual`` — numbers from your own implementation, in the vocabulary of
    a case's ``expected`` (h, c, sequence, steps: {t: {gate: ...}}; any subset, batch
    axis optional for batch 1) — are the reference's for ``case``. On failure raise an
    AssertionError whose message is the gate table, the first divergence and the
    diagnosis (and any gate-order warning), not a bare boolean. No TensorFlow."""
    from .diagnose import symmetry
    from .compare import Result, compare
    from .diagnose import explain_mismatches

    candidate = _with_expected(case, actual)
    trace = _forward.run(candidate)
    mismatches, _, _ = compare(candidate, trace)
    if not mismatches:
        return _verification(Result(file=str(case.path), name=case.name, status="pass",
                                    case=candidate, reference=trace,
                                    verdict="every value checked matches the reference"))
    explanation = explain_mismatches(candidate, mismatches)
    likely = "; or ".join(d.text for d in explanation.diagnoses[:3])
    verdict = (f"{len(mismatches)} of the values checked differ from the reference; first "
               f"{_describe(explanation.first, case.batch)}"
               + (f"; likely: {likely}" if likely else ""))
    from .compare import examine
    examine(candidate, trace, mismatches)
    blind = symmetry.warning(candidate)
    result = Result(file=str(case.path), name=case.name, status="fail", case=candidate,
                    reference=trace, mismatches=mismatches, verdict=verdict,
                    explanation=explanation, diagnoses=explanation.diagnoses,
                    warnings=[blind] if blind else [])
    raise AssertionError("\n" + _plain_report(result))


def _describe(m, batch):
    from .compare import describe_position
    return describe_position(m, batch)


def _with_expected(case, actual):
    """``case`` with ``actual`` as its expected values, checked as a case file's are."""
    from dataclasses import replace

    from .case.checks import Reader
    if not isinstance(actual, dict):
        raise CaseError(f"assert_matches: actual is {type(actual).__name__}, expected a "
                        "mapping such as {'h': ..., 'sequence': ..., 'steps': {1: {...}}}",
                        case.path)
    actual = _plain(actual)
    steps = actual.get("steps")
    if isinstance(steps, dict):   # {t: {...}} as well as a case file's [{t: 1, ...}]
        actual = {**actual, "steps": [{"t": t, **values} for t, values in steps.items()]}
    candidate = replace(case, expected={}, known_mistake=None)
    candidate.expected = _case._expected(Reader(case.path, {}), actual, candidate)
    return candidate


def case_from_layer(layer, inputs, initial_state=None, mask=None, name=None):
    """A case from an in-memory Keras layer (LSTM, GRU, SimpleRNN, RNN(cell), or either
    half of a Bidirectional: pass ``bidi.forward_layer`` or ``bidi.backward_layer``) and
    an input array, with the layer's own output as ``expected``: the in-process twin of
    ``lstm-verify extract``."""
    from .saved_models.from_layer import case_from_layer as from_layer
    return from_layer(layer, inputs, initial_state, mask, name)
