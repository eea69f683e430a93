"""verify --junit-xml: one testcase per case, failures with the gate table, errors as <error>."""

import xml.etree.ElementTree as ET

from conftest import run_cli
from test_pytest_plugin import make_folder


def test_junit_xml_from_verify(tmp_path):
    (tmp_path / "cases").mkdir()
    folder = make_folder(tmp_path / "cases")
    (folder / "ci.yaml").unlink()   # verify treats every .yaml it is given as a case
    report = tmp_path / "out" / "junit.xml"
    report.parent.mkdir()
    report.write_text('<?xml version="1.0"?>\n<testsuites><testsuite name="old"/></testsuites>')
    out = run_cli("verify", folder, "--junit-xml", report)
    assert out.returncode == 2, out.stdout + out.stderr   # the broken file is an error
    suite = ET.parse(report).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    by_file = {c.get("classname").rsplit("/", 1)[-1]: c for c in suite.iter("testcase")}
    failure = by_file["wrong-h.yaml"].find("failure")
    assert failure is not None and failure.get("message")
    assert "step 1" in failure.text and "\x1b[" not in failure.text
    error = by_file["broken.yaml"].find("error")
    assert error is not None and "not valid YAML" in error.get("message")
    for name in ("two-steps-linear.yaml", "seed-article.yaml"):   # known mistake passes
        assert by_file[name].find("failure") is None and by_file[name].find("error") is None
    assert [p.name for p in report.parent.iterdir()] == ["junit.xml"]   # no temp file left


def test_junit_xml_into_missing_folder_is_a_user_error(tmp_path):
    out = run_cli("verify", "cases/two-steps-linear.yaml", "--junit-xml",
                  tmp_path / "nope" / "junit.xml")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "does not exist" in out.stdout + out.stderr


def test_junit_xml_refuses_to_replace_a_file_that_is_not_a_report(tmp_path):
    target = tmp_path / "two-steps-linear.yaml"   # e.g. a case file named by mistake
    original = b"# my notes\nunits: 2\n"
    target.write_bytes(original)
    out = run_cli("verify", "cases/two-steps-linear.yaml", "--junit-xml", target)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--force" in out.stdout + out.stderr and str(target) in out.stdout + out.stderr
    assert target.read_bytes() == original
    forced = run_cli("verify", "cases/two-steps-linear.yaml", "--junit-xml", target, "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert ET.parse(target).getroot().find("testsuite").get("tests") == "1"
