"""pytest plugin: every case file is a test (``pytest cases/``).

Which YAML files are cases: a ``.yaml``/``.yml`` file whose text has ``weights`` and
``inputs`` keys (verify.looks_like_case, the rule ``verify DIR`` uses too).  The
test is textual on purpose, so a case that is not valid YAML still becomes a
(failing) item with its one-paragraph error, while other projects' YAML files (CI
configs, fixtures) are never collected.  ``lstm_verify_collect = false`` in the ini file turns collection off.

Keras is imported at the first item run, not at collection, and once per
process (each pytest-xdist worker has its own).
"""

import pytest

from . import reading
from .render import safe_text
from .errors import CaseError
from .render.junit import render_plain
from .suite import CASE_SUFFIXES
from .suite import looks_like_case as _looks_like_case
from .case.yaml_source import MAX_FILE_BYTES


def looks_like_case(path):
    """True when the file is a regular file with ``weights`` and ``inputs`` keys."""
    try:
        text = reading.read_bytes(path, limit=MAX_FILE_BYTES).decode("utf-8", "replace")
    except CaseError:   # a FIFO or device is never read (it could block collection);
        return reading.problem(path, "") is None   # a regular one fails with its reason
    return _looks_like_case(text)


def pytest_addoption(parser):
    parser.addini("lstm_verify_collect", type="bool", default=True,
                  help="collect lstm-verify case files (*.yaml with weights and inputs)")


def pytest_collect_file(file_path, parent):
    if file_path.suffix not in CASE_SUFFIXES:
        return None
    if not parent.config.getini("lstm_verify_collect") or not looks_like_case(file_path):
        return None
    return CaseFile.from_parent(parent, path=file_path)


class CaseFile(pytest.File):
    def collect(self):
        yield CaseItem.from_parent(self, name=self.path.stem)


class CaseFailed(Exception):
    """A case whose status is fail or error; carries the verify Result."""

    def __init__(self, result):
        super().__init__(result.verdict or result.error)
        self.result = result


class CaseWarning(UserWarning):
    """What verify warns about a case (e.g. gate orders it cannot tell apart), shown in
    pytest's warnings summary under the case file."""


class CaseItem(pytest.Item):
    def runtest(self):
        import warnings

        from .suite import verify_files
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="keras")
            result = next(verify_files([self.path]))
        for warning in result.warnings:   # outside the filter above: pytest records these
            warnings.warn_explicit(safe_text.visible(warning), CaseWarning, str(self.path), 1)
        self.user_properties.append(("status", result.status))
        if result.status not in ("pass", "known-mistake"):
            raise CaseFailed(result)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return render_plain(excinfo.value.result)
        if isinstance(excinfo.value, CaseError):
            return safe_text.visible(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"case {self.name}"
