"""Property: ``record`` on any valid layout of a case gives the same case plus the new
``expected`` (issue 11).  Layouts are drawn at random: block at indentation 0, 2 or 4,
flow, JSON on one line or pretty, comments between and after entries, anchors and
aliases, an old expected block or flow (or none, first or last), ``---`` and ``...``
markers, CRLF line endings, a final newline or not."""

import json

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from lstm_verify import forward
from lstm_verify.authoring import record
from lstm_verify.case import load_case
from lstm_verify.errors import CaseError


def numbers(shape):
    return st.lists(st.integers(-3, 3), min_size=int(np.prod(shape)),
                    max_size=int(np.prod(shape))).map(
        lambda flat: np.array(flat, dtype=float).reshape(shape).astype(int).tolist())


@st.composite
def cases(draw):
    units, features, steps = draw(st.integers(1, 2)), draw(st.integers(1, 2)), \
        draw(st.integers(1, 3))
    doc = {"name": draw(st.sampled_from(["a case", "x: y", "# not a comment", "quoted 'q'"])),
           "activation": None, "recurrent_activation": None,
           "inputs": draw(numbers((steps, features))),
           "weights": {"kernel": draw(numbers((features, 4 * units))),
                       "recurrent_kernel": draw(numbers((units, 4 * units))),
                       "bias": draw(numbers((4 * units,)))}}
    if draw(st.booleans()):
        state = draw(numbers((units,)))
        doc["initial_state"] = {"h": state, "c": state}   # the same list: an alias
    if draw(st.booleans()):
        doc["expected"] = {"h": draw(numbers((units,)))}
    order = draw(st.permutations(list(doc)))
    return {key: doc[key] for key in order}


def flow(value):
    return json.dumps(value)


def block_text(doc, indent, comment, anchors, expected_flow):
    pad = " " * indent
    lines = []
    for key, value in doc.items():
        if comment:
            lines.append(f"{pad}# about {key}")
        if key == "initial_state" and anchors:
            lines += [f"{pad}initial_state:", f"{pad}  h: &h0 {flow(value['h'])}",
                      f"{pad}  c: *h0   # the same state"]
        elif key == "expected" and anchors and "initial_state" in doc \
                and list(doc).index("initial_state") < list(doc).index("expected"):
            lines.append(f"{pad}expected: {{h: *h0}}   # an alias into initial_state")
        elif key == "expected" and expected_flow:
            lines.append(f"{pad}expected: {flow(value)}  # my guess")
        elif isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            for name, item in value.items():
                if isinstance(item, list) and item and isinstance(item[0], list) and comment:
                    lines.append(f"{pad}  {name}:")
                    lines += [f"{pad}    - {flow(row)}" for row in item]
                else:
                    lines.append(f"{pad}  {name}: {flow(item)}")
        else:
            lines.append(f"{pad}{key}: {flow(value)}")
    if comment:
        lines.append("# the end")
    return "\n".join(lines)


@st.composite
def layouts(draw):
    doc = draw(cases())
    style = draw(st.sampled_from(["block", "flow", "json", "pretty json"]))
    if style == "block":
        text = block_text(doc, draw(st.sampled_from([0, 2, 4])), draw(st.booleans()),
                          draw(st.booleans()), draw(st.booleans()))
    elif style == "flow":
        text = "{" + ", ".join(f"{k}: {flow(v)}" for k, v in doc.items()) + "}"
    else:
        text = json.dumps(doc, indent=2 if style == "pretty json" else None)
    if draw(st.booleans()):
        text = "---\n" + text
    if draw(st.booleans()):
        text += "\n..."
    if draw(st.booleans()):
        text += "\n"
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return doc, text.replace("\n", newline), newline


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(layouts())
def test_record_reads_back_as_the_same_case_plus_the_new_expected(tmp_path, drawn):
    doc, text, newline = drawn
    path = tmp_path / "case.yaml"
    path.write_bytes(text.encode())
    ref = forward.run(load_case(path))
    if not all(np.all(np.abs(a) <= 1e30) for a in (ref.final_h, ref.final_c)):
        with pytest.raises(CaseError, match="grow past 1e30"):   # never a case it would refuse
            record(path, force=True)
        assert path.read_bytes() == text.encode()
        return
    record(path, force=True)   # the drawn old expected holds placeholder numbers
    raw = path.read_bytes().decode()
    after = yaml.safe_load(raw)
    expected = after.pop("expected")
    before = {k: v for k, v in doc.items() if k != "expected"}
    assert after == before
    np.testing.assert_allclose(np.array(expected["h"], dtype=float), ref.final_h[0], rtol=1e-6)
    np.testing.assert_allclose(np.array(expected["c"], dtype=float), ref.final_c[0], rtol=1e-6)
    if newline == "\r\n":
        assert raw.count("\n") == raw.count("\r\n")
