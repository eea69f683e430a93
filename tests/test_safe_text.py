"""Nothing the case says reaches the terminal or a report raw (issue 11, class 4)."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import run_cli
from lstm_verify.case import load_case
from lstm_verify.compare import Result
from lstm_verify.errors import CaseError
from lstm_verify.render.junit import to_xml
from lstm_verify.render.safe_text import visible

HOSTILE = {"esc": "\x1b[2J\x1b]0;owned\x07", "nul": "a\x00b", "bidi": "txt.\u202eexe",
           "c1": "\x9b31m", "surrogate": "\ud800"}


def test_visible_escapes_every_control_and_keeps_tabs_and_newlines():
    assert visible("a\x1b[31mb\tc\nd\u202e\x00") == "a\\x1b[31mb\tc\nd\\u202e\\x00"
    assert visible("plain text, ünïcödé, 2/3") == "plain text, ünïcödé, 2/3"


SMALL = """units: 1
activation: null
recurrent_activation: null
inputs: [[1], [2]]
weights: {kernel: [[1, 2, 3, 4]], recurrent_kernel: [[1, 0, 1, 0]], bias: [0, 1, 0, 0]}
"""


def hostile_case(tmp_path):
    # YAML double-quoted escapes put real control characters into the values
    path = tmp_path / "case.yaml"
    path.write_text('name: "\\e[31mred\\e[0m \\u202egnp.exe"\n'
                    'description: "clears \\e[2J the screen \\0 and \\x9b"\n' + SMALL)
    return path


@pytest.mark.parametrize("command", ["calc", "explain"])
def test_case_text_is_escaped_on_the_terminal(tmp_path, command):
    path = hostile_case(tmp_path)
    case = load_case(path)
    assert "\x1b" in case.name and "\u202e" in case.name   # the values really hold them
    run = run_cli(command, path, timeout=60)
    assert run.returncode == 0, run.stderr
    for raw in ("\x1b", "\u202e", "\x00", "\x9b"):
        assert raw not in run.stdout
    assert "\\x1b[31mred" in run.stdout and "\\u202egnp.exe" in run.stdout


def test_a_file_name_with_controls_is_escaped_in_an_error(tmp_path):
    path = tmp_path / "bad\x1b[2J.yaml"
    path.write_text("inputs: [[1\n")
    run = run_cli("validate", path, timeout=60)
    assert run.returncode == 2 and "\x1b" not in run.stderr and "bad\\x1b[2J" in run.stderr


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_junit_xml_stays_well_formed_whatever_the_text(label):
    text = HOSTILE[label]
    results = [Result(file=f"cases/{text}.yaml", name=text, status="error",
                      error=f"cases/{text}.yaml: name: {text}"),
               Result(file="k.yaml", name="k", status="known-mistake", verdict=text)]
    document = to_xml(results)
    root = ET.fromstring(document.encode("utf-8"))   # raises on a character XML forbids
    case = root.find("testsuite/testcase")
    assert case.get("name") == visible(text)


def test_markdown_export_shows_raw_html_as_text(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text('name: "<img src=x onerror=alert(1)>"\n'
                    "description: '<script>alert(1)</script> & <b>bold</b>'\n" + SMALL)
    run = run_cli("export", path, "--format", "markdown", timeout=60)
    assert run.returncode == 0, run.stderr
    assert "<script>" not in run.stdout and "<img" not in run.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in run.stdout
    assert "# &lt;img src=x onerror=alert(1)&gt;" in run.stdout


@pytest.mark.parametrize("arrays", ["../outside.npz", "sub/../../outside.npz"])
def test_arrays_may_not_leave_the_case_folder(tmp_path, arrays):
    folder = tmp_path / "cases"
    (folder / "sub").mkdir(parents=True)
    np.savez(tmp_path / "outside.npz", x=np.ones((2, 1)))
    path = folder / "c.yaml"
    path.write_text(f"arrays: {arrays}\ninputs: npz:x\nweights: {{kernel: [[1, 1, 1, 1]], "
                    "recurrent_kernel: [[1, 1, 1, 1]], bias: [0, 0, 0, 0]}\n")
    with pytest.raises(CaseError, match=r"leaves the case's folder \(\.\.\)") as info:
        load_case(path)
    assert info.value.key == "arrays"


def test_an_authors_emoji_codes_stay_text_in_every_terminal_report(tmp_path):
    """rich turns ':x:' into an emoji by default; an author's words are shown as written."""
    from conftest import CASES, run_cli

    import lstm_verify as lv
    text = (CASES / "seed-article.yaml").read_text()
    path = tmp_path / "emoji.yaml"
    path.write_text('name: "gate :x: and :smile:"\n' + "\n".join(
        line for line in text.splitlines() if not line.startswith("name:")) + "\n")
    outputs = [run_cli("calc", path).stdout, run_cli("verify", path).stdout,
               lv.verify(lv.load_case(path)).report]
    try:
        lv.assert_matches(lv.load_case(path), {"h": [[0, 4, 1]]})
    except AssertionError as failure:
        outputs.append(str(failure))
    for output in outputs:
        assert "gate :x: and :smile:" in output
        assert "❌" not in output and "😄" not in output
