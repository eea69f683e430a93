"""JUnit XML for CI systems: one <testcase> per case.

A failing case gets <failure message=verdict> with the plain-text gate table as
its body; a case that could not be checked (bad file, Keras capture failed) gets
<error>.  The file named by --junit-xml is a report file: like pytest's own
--junitxml, it replaces its previous output, atomically, so a CI system never
reads half a file.  Unlike pytest, it replaces only an earlier JUnit report: a
path that holds anything else (a mistyped case file, say) needs --force.
"""

import io
import xml.etree.ElementTree as ET
from pathlib import Path

from .. import files, reading
from ..errors import CaseError
from .report import summary_counts
from .safe_text import xml


def render_plain(result, width=100):
    """The gate table ``verify`` prints, as plain text (no colour codes)."""
    from rich.console import Console

    from . import report
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False,
                      highlight=False, soft_wrap=False, emoji=False)
    report.render(console, result)
    return buffer.getvalue()


def to_xml(results, suite_name="lstm-verify"):
    """The JUnit XML text for a list of verify Results."""
    counts = summary_counts(results)
    suite = ET.Element("testsuite", name=xml(suite_name), tests=str(len(results)),
                       failures=str(counts["failed"]), errors=str(counts["errors"]),
                       skipped="0")
    for result in results:   # every text from a case goes through xml(): XML 1.0 forbids
        case = ET.SubElement(suite, "testcase", classname=xml(result.file),  # most controls
                             name=xml(result.name))
        if result.status == "fail":
            failure = ET.SubElement(case, "failure", message=xml(result.verdict or "mismatch"))
            failure.text = xml(render_plain(result))
        elif result.status == "error":
            error = ET.SubElement(case, "error", message=xml(result.error or "error"))
            error.text = xml(result.error)
        elif result.status == "known-mistake":
            ET.SubElement(case, "system-out").text = xml(result.verdict)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def is_junit_report(path):
    """True when ``path`` holds a JUnit XML report (ours or any tool's)."""
    with reading.open_regular(path, "a JUnit XML report") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith(b"<?xml") and (b"<testsuites" in head or b"<testsuite" in head)


def check_target(path, force=False):
    """Refuse (CaseError) a target that cannot be written (a folder, a device, a missing or
    read-only folder, ...) or that is a file other than an earlier JUnit report, so that
    verify refuses before any case runs."""
    path = Path(path)
    try:
        files.check_target(path, overwrite=True)
    except CaseError as exc:
        raise CaseError(f"--junit-xml: {exc.message}", path) from None
    if force or not path.exists():
        return
    if not is_junit_report(path):
        raise CaseError("--junit-xml: the file exists and is not a JUnit XML report; "
                        "refusing to replace it (pass --force to replace it anyway)", path)


def write(path, results, force=False):
    """Write the report atomically; only an earlier JUnit report is replaced without force."""
    check_target(path, force)
    return files.write_atomic(path, to_xml(results), overwrite=True)
