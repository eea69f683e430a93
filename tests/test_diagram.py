"""The HTML page's cell diagram in a real Chromium: x_t and h_{t-1} each wired into every
gate that reads it, and drawn whole, with the clicked unit's own element outlined."""

from fractions import Fraction

import numpy as np
import pytest
from conftest import run_cli
from test_export import CELL_CASES, _rgb, computed

from lstm_verify import forward
from lstm_verify.case import load_case
from lstm_verify.render.export import export
from lstm_verify.render.export_html import contrast

# The gates each cell's equations feed with h_prev·U directly; the GRU's candidate reads
# h_prev only through the reset gate: r·h_prev, or r·(h_prev·U_h + b_h,rec) (reset_after)
READS_H_PREV = {"lstm": {"i", "f", "c_tilde", "o"}, "gru": {"z", "r"},
                "gru, reset_after false": {"z", "r"}, "simple_rnn": {"h"}}


def open_page(browser, tmp_path, text):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    case = load_case(path)
    export(path, "html", output=tmp_path / "case.html")
    browser.get((tmp_path / "case.html").as_uri())
    return case


def geometry(browser):
    """Everything the wiring test needs, in SVG user units, as the page draws it."""
    return browser.execute_script("""
        const svg = document.getElementById('cell-diagram');
        const box = b => { const r = b.getBBox(); return [r.x, r.y, r.x + r.width, r.y + r.height]; };
        const num = (e, a) => Number(e.getAttribute(a));
        return {
          wires: [...svg.querySelectorAll('g.wires line')].map(l =>
            [num(l, 'x1'), num(l, 'y1'), num(l, 'x2'), num(l, 'y2'), l.hasAttribute('marker-end')]),
          boxes: Object.fromEntries([...svg.querySelectorAll('g.gate[id^="box-"]')].map(g =>
            [g.id.slice(4), box(g.querySelector('rect'))])),
          notes: [...svg.querySelectorAll('g.act-box rect')].map(box),
          nodes: [...svg.querySelectorAll('g.node circle')].map(c =>
            [num(c, 'cx'), num(c, 'cy'), num(c, 'r')]),
          strips: Object.fromEntries([...svg.querySelectorAll('g.input')].map(g =>
            [g.id.slice(3), box(g)])),
        };""")


def on_segment(point, wire):
    (px, py), (x1, y1, x2, y2) = point, wire[:4]
    return (min(x1, x2) - 0.5 <= px <= max(x1, x2) + 0.5 and
            min(y1, y2) - 0.5 <= py <= max(y1, y2) + 0.5 and
            abs((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)) < 1)


def connected(wires, start):
    """The wires joined (end on end, or end on the middle of another) to the wires that
    ``start`` picks: one drawn signal, up to where it enters a box, node or note."""
    found = [w for w in wires if start(w)]
    while True:
        more = [w for w in wires if w not in found and any(joined(w, other) for other in found)]
        if not more:
            return found
        found += more


def joined(a, b):
    return any(on_segment(end, b) for end in (a[:2], a[2:4])) or \
        any(on_segment(end, a) for end in (b[:2], b[2:4]))


def on_rect(point, rect, slack=2.5):
    (x, y), (x1, y1, x2, y2) = point, rect
    inside = x1 - slack <= x <= x2 + slack and y1 - slack <= y <= y2 + slack
    return inside and min(abs(x - x1), abs(x - x2), abs(y - y1), abs(y - y2)) <= slack


def on_node(point, node):
    (x, y), (cx, cy, r) = point, node
    return abs(np.hypot(x - cx, y - cy) - r) <= 2.5


def arrives(signal, touches):
    """True when a wire of the signal ends with its arrow on the element."""
    return any(w[4] and touches(w[2:4]) for w in signal)


def leaving(wires, touches):
    """The signal drawn out of an element (from wires starting on it)."""
    return connected(wires, lambda w: touches(w[:2]))


@pytest.mark.parametrize("variant", CELL_CASES)
def test_h_prev_is_wired_into_every_gate_that_reads_it_like_x(browser, tmp_path, variant):
    case = open_page(browser, tmp_path, CELL_CASES[variant])
    g = geometry(browser)
    wires = [tuple(w) for w in g["wires"]]

    def from_strip(name):
        x1, y1, x2, y2 = g["strips"][name]
        return connected(wires, lambda w: any(x1 - 15 <= x <= x2 + 15 and y1 - 15 <= y <= y2
                                              for x, y in (w[:2], w[2:4])))

    h_prev, x = from_strip("h_prev"), from_strip("x")
    assert h_prev and x
    assert not set(h_prev) & set(x), "h_prev and x share a wire: one bus for both"
    boxes = g["boxes"]
    for gate in boxes:          # every gate reads all of x_t
        assert arrives(x, lambda p: on_rect(p, boxes[gate])), f"x_t not wired into {gate}"
    for gate in READS_H_PREV[variant]:
        assert arrives(h_prev, lambda p: on_rect(p, boxes[gate])), f"h_t-1 not into {gate}"
    for gate in set(boxes) - READS_H_PREV[variant]:
        assert not arrives(h_prev, lambda p: on_rect(p, boxes[gate])), gate
    if case.cell.name != "gru":
        return
    # the candidate: h_prev (or h_prev·U_h + b_h,rec, a note) and r meet in a × node whose
    # product goes into h~
    nodes = g["nodes"]
    if case.reset_after:
        (note,) = g["notes"]
        assert arrives(h_prev, lambda p: on_rect(p, note))
        recurrent = leaving(wires, lambda p: on_rect(p, note))
    else:
        assert g["notes"] == []
        recurrent = h_prev
    r_out = leaving(wires, lambda p: on_rect(p, boxes["r"]))
    (reset,) = [n for n in nodes if arrives(recurrent, lambda p: on_node(p, n))
                and arrives(r_out, lambda p: on_node(p, n))]
    assert arrives(leaving(wires, lambda p: on_node(p, reset)),
                   lambda p: on_rect(p, boxes["h_tilde"]))
    # and h_prev, kept where z is 1: h_prev and z meet in the × on the top line
    z_out = leaving(wires, lambda p: on_rect(p, boxes["z"]))
    assert [n for n in nodes if arrives(h_prev, lambda p: on_node(p, n))
            and arrives(z_out, lambda p: on_node(p, n)) and n[1] < 100]


def number(text):
    return float(Fraction(text))


def slots(browser, name):
    """(unit or feature shown, text, outlined) per slot of a strip."""
    return [(int(s.get_attribute("data-u")), s.text, "own" in s.get_attribute("class"))
            for s in browser.find_elements("css selector", f"#in-{name} .slot")]


@pytest.mark.parametrize("variant", CELL_CASES)
def test_a_clicked_row_shows_the_whole_h_prev_and_x_its_step_reads(browser, tmp_path, variant):
    case = open_page(browser, tmp_path, CELL_CASES[variant])
    trace = forward.run(case)
    for t in range(1, case.steps + 1):
        unit = t % case.units
        row = browser.find_element("css selector", f"#step-{t}-0 tr.unit[data-u='{unit}']")
        browser.execute_script("arguments[0].scrollIntoView()", row)
        row.click()
        # h_{t-1}: the previous step's h (the initial state at step 1), every unit of it
        previous = case.h0[0] if t == 1 else trace.steps["h"][t - 2, 0]
        shown = slots(browser, "h_prev")
        assert [u for u, _, _ in shown] == list(range(case.units))
        assert np.allclose([number(text) for _, text, _ in shown], previous, atol=6e-5), t
        assert [u for u, _, own in shown if own] == [unit]
        # x_t: the step's whole input, nothing outlined (a feature is no unit)
        inputs = slots(browser, "x")
        assert [u for u, _, _ in inputs] == list(range(case.input_dim))
        assert np.allclose([number(text) for _, text, _ in inputs], trace.x[t - 1, 0])
        assert not any(own for _, _, own in inputs)
    # the outline: the own element's text reads at 4.5:1 or more on its highlight, and its
    # box is drawn thicker than the others
    own = browser.find_element("css selector", "#in-h_prev .slot.own")
    other = browser.find_element("css selector", "#in-h_prev .slot:not(.own) rect")
    rect, text = own.find_element("tag name", "rect"), own.find_element("tag name", "text")
    assert contrast(_rgb(computed(browser, text, "fill")),
                    _rgb(computed(browser, rect, "fill"))) >= 4.5
    assert computed(browser, rect, "fill") != computed(browser, other, "fill")
    width = lambda e: float(computed(browser, e, "strokeWidth").rstrip("px"))  # noqa: E731
    assert width(rect) > width(other)


def fits(browser):
    """Every slot's number inside its slot, everything inside the viewBox, no sideways
    scroll of the page."""
    return browser.execute_script("""
        const svg = document.getElementById('cell-diagram'), view = svg.viewBox.baseVal;
        const all = svg.getBBox();
        const cut = [...svg.querySelectorAll('.slot')].filter(s => {
          const r = s.querySelector('rect').getBBox(), t = s.querySelector('text').getBBox();
          return t.x < r.x || t.x + t.width > r.x + r.width; }).map(s => s.textContent);
        return {right: all.x + all.width, bottom: all.y + all.height, width: view.width,
                height: view.height, cut: cut,
                scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                figure: svg.getBoundingClientRect().right - document.documentElement.clientWidth};""")


def test_eight_units_fit_1024_px_with_the_whole_h_prev(browser, tmp_path):
    path = tmp_path / "eight.yaml"
    assert run_cli("new", path, "--units", 8, "--input-dim", 3, "--steps", 2, "--seed", 5,
                   timeout=60).returncode == 0
    case = load_case(path)
    browser.set_window_size(1024, 900)
    try:
        open_page(browser, tmp_path, path.read_text())
        row = browser.find_element("css selector", "#step-2-0 tr.unit[data-u='6']")
        browser.execute_script("arguments[0].click()", row)
        shown = slots(browser, "h_prev")
        assert [u for u, _, _ in shown] == list(range(8))
        assert np.allclose([number(text) for _, text, _ in shown],
                           forward.run(case).steps["h"][0, 0], atol=6e-5)
        assert [u for u, _, own in shown if own] == [6]
        size = fits(browser)
        assert size["cut"] == [] and size["right"] <= size["width"] == 960, size
        assert size["bottom"] <= size["height"] and size["scroll"] <= 0, size
        assert size["figure"] <= 0, size
    finally:
        browser.set_window_size(1400, 1100)


def test_a_long_vector_shows_a_window_around_the_clicked_unit_and_says_so(browser, tmp_path):
    path = tmp_path / "wide.yaml"
    assert run_cli("new", path, "--units", 20, "--input-dim", 12, "--steps", 2, "--seed", 3,
                   timeout=60).returncode == 0
    case = load_case(path)
    open_page(browser, tmp_path, path.read_text())
    row = browser.find_element("css selector", "#step-2-0 tr.unit[data-u='13']")
    browser.execute_script("arguments[0].click()", row)
    shown = slots(browser, "h_prev")
    units = [u for u, _, _ in shown]
    assert 8 <= len(units) < 20 and units == list(range(units[0], units[0] + len(units)))
    assert [u for u, _, own in shown if own] == [13]
    assert np.allclose([number(text) for _, text, _ in shown],
                       forward.run(case).steps["h"][0, 0, units[0]:units[-1] + 1], atol=6e-5)
    note = browser.find_element("css selector", "#in-h_prev .more").text
    assert note == f"units {units[0]}–{units[-1]} of 20 shown"
    assert len(slots(browser, "x")) == 12 or browser.find_elements("css selector", "#in-x .more")
    size = fits(browser)
    assert size["cut"] == [] and size["right"] <= 960 and size["bottom"] <= size["height"]
