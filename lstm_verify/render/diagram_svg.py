"""The HTML page's cell diagram: inline SVG drawn from the cell's Diagram (cells/), and
the few lines of JavaScript that put a clicked row into it.

Every gate of unit j reads all of x_t and all of h_{t-1} (the recurrent matrix mixes
the units), so the two vectors are drawn whole, as strips of values below the cell,
each wired into the gates that read it; the unit's own element of h_{t-1} is outlined.
The boxes, c_{t-1}, c_t and h_t hold the unit's own values.  A strip wraps onto up to
three rows within its width; a longer vector shows a window of consecutive elements
around the clicked unit, and says which ("units 4–15 of 64 shown").  The values come
from the page (each step table's data-h_prev and data-x); the script only places them.
"""

import html
import json
import math
import re

from ..cells.teaching import activated, activation_name, diagram

CHAR = 14          # width of a bold 20 px character, SVG units (a digit is 0.7 em)
SLOT_HEIGHT, ROW, GAP, MAX_ROWS = 40, 46, 6, 3


def svg_maths(text):
    """Escaped SVG text with subscripts: h_prev·U_h -> h<tspan class="sub">t-1</tspan>·U…"""
    text = html.escape(text).replace("h_prev", "h_t-1").replace("c_prev", "c_t-1")
    return re.sub(r"\b([a-zA-Z])_(t-1|[a-z0-9]+(?:,(?:in|rec)\b)?)",
                  r'\1<tspan class="sub">\2</tspan>', text)


def input_vectors(doc, t, b):
    """{quantity: [text per element]}: what step t of sequence b reads, x (F,) and
    h_prev (U,), written as the step tables write numbers."""
    tr = doc.num.trace
    return {"x": [doc.num.fmt(v) for v in tr.x[t - 1, b]],
            "h_prev": [doc.num.fmt(v) for v in tr.steps["h_prev"][t - 1, b]]}


def input_data(doc, t, b):
    """The data- attributes of a step's table that the script reads into the strips."""
    return "".join(f' data-{q}="{html.escape(json.dumps(texts, ensure_ascii=False))}"'
                   for q, texts in input_vectors(doc, t, b).items())


def diagram_svg(doc):
    """The <figure> with the case's cell; value labels (ids v-*) and strips (ids in-*)
    are filled in by the script."""
    e, case = html.escape, doc.case
    drawing = diagram(case)
    gates = {g.name: g for g in activated(case.cell)}
    lines = "".join(f'<line x1="{a}" y1="{b}" x2="{c}" y2="{d}"'
                    + (' marker-end="url(#arrow)"/>' if arrow else "/>")
                    for a, b, c, d, arrow in drawing.wires)
    parts = [_box(q, x, y, gates[q].symbol, activation_name(case, gates[q].role))
             for q, x, y in drawing.boxes]
    parts += [_note(case, *note) for note in drawing.notes]
    parts += [_node(x, y, sign) for x, y, sign in drawing.nodes]
    labels = "".join(f'<text x="{x}" y="{y}" class="io">{e(name)}<tspan class="sub">'
                     f"{e(sub)}</tspan></text>" for x, y, name, sub in drawing.ends)
    labels += "".join(f'<text x="{x}" y="{y}" class="io val" id="v-{q}">–</text>'
                      for x, y, q in drawing.values)
    strips, height = [], 0
    for panel in drawing.inputs:
        svg, bottom = _strip(doc, *panel)
        strips.append(svg)
        height = max(height, bottom + 10)
    return (f'<figure class="diagram" data-batch="{case.batch}" data-cell="{case.cell.name}">'
            f'<svg id="cell-diagram" viewBox="0 0 960 {height}" '
            f'role="img" aria-label="{e(drawing.caption)}"><defs><marker id="arrow" '
            'viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>'
            f'<g class="wires">{lines}</g>{_crossings(drawing.wires)}'
            f'{_joints(drawing.wires)}{"".join(parts)}{labels}{"".join(strips)}</svg>'
            '<figcaption id="selection">click a row of a step table</figcaption></figure>')


def _box(key, x, y, symbol, activation, w=124, h=104):
    e = html.escape
    return (f'<g class="gate" id="box-{key}"><rect x="{x - w / 2}" y="{y - h / 2}" width="{w}" '
            f'height="{h}" rx="10"/><text x="{x}" y="{y - 20}" class="sym">{e(symbol)}</text>'
            f'<text x="{x}" y="{y + 2}" class="act">{e(activation)}</text>'
            f'<text x="{x}" y="{y + 38}" class="val" id="v-{key}">–</text></g>')


def _note(case, x, y, w, h, role, argument):
    """A box with no value: an activation applied on the way (role(argument)), or a sum
    written out (role None)."""
    text = argument if role is None else f"{activation_name(case, role)}({argument})"
    return (f'<g class="gate act-box"><rect x="{x}" y="{y}" width="{w}" height="{h}" '
            f'rx="10"/><text x="{x + w / 2:g}" y="{y + h / 2 + 7:g}" class="act">'
            f"{svg_maths(text)}</text></g>")


def _node(x, y, sign):
    wide = ' class="wide"' if len(sign) > 1 else ""     # 1− in a circle made for × and +
    return (f'<g class="node"><circle cx="{x}" cy="{y}" r="17"/>'
            f'<text x="{x}" y="{y + 8}"{wide}>{sign}</text></g>')


def _inside(value, a, b):
    return min(a, b) + 1 < value < max(a, b) - 1


def _crossings(wires):
    """Where a vertical wire crosses a horizontal one without joining it: a white gap in
    the horizontal wire, so the two read as passing each other."""
    marks = []
    for hx1, hy, hx2, hy2, _ in wires:
        for vx, vy1, vx2, vy2, _ in wires:
            if hy == hy2 and vx == vx2 and _inside(vx, hx1, hx2) and _inside(hy, vy1, vy2):
                marks.append(f'<line class="gap" x1="{vx - 9}" y1="{hy}" x2="{vx + 9}" '
                             f'y2="{hy}"/><line x1="{vx}" y1="{hy - 10}" x2="{vx}" '
                             f'y2="{hy + 10}"/>')
    return f'<g class="crossings">{"".join(marks)}</g>'


def _joints(wires):
    """A dot where a wire ends on the middle of another: there the value branches."""
    dots = {(x, y) for wire in wires for x, y in (wire[:2], wire[2:4])
            for x1, y1, x2, y2, _ in wires
            if (x1 == x2 == x and _inside(y, y1, y2)) or (y1 == y2 == y and _inside(x, x1, x2))}
    return "".join(f'<circle class="joint" cx="{x}" cy="{y}" r="6"/>' for x, y in sorted(dots))


def _strip(doc, q, symbol, sub, x0, y0, width):
    """A vector as a strip of value slots right of its label, wrapped within ``width``;
    returns the SVG and the strip's lowest y."""
    e, case = html.escape, doc.case
    texts = [text for t in range(1, case.steps + 1) for b in range(case.batch)
             for text in input_vectors(doc, t, b)[q]]
    n = case.input_dim if q == "x" else case.units
    slot = max(48, CHAR * max(map(len, texts)) + 16)
    left = x0 + 18 * len(symbol) + 11 * len(sub) + 14
    per_row = max(1, (x0 + width - left + GAP) // (slot + GAP))
    shown = min(n, per_row * MAX_ROWS)
    rows = math.ceil(shown / per_row)
    slots = []
    for k in range(shown):
        x, y = left + k % per_row * (slot + GAP), y0 + 8 + k // per_row * ROW
        slots.append(f'<g class="slot"><rect x="{x}" y="{y}" width="{slot}" '
                     f'height="{SLOT_HEIGHT}" rx="6"/><text x="{x + slot / 2:g}" y="{y + 27}">'
                     "–</text></g>")
    bottom = y0 + 8 + rows * ROW
    if shown < n:      # a window of the vector: the script says which part
        what = "features" if q == "x" else "units"
        slots.append(f'<text class="more" x="{left}" y="{bottom + 14}" data-what="{what}">'
                     f"{what} 0–{shown - 1} of {n} shown</text>")
        bottom += 22
    # x is indexed by feature; h_prev by unit, so the clicked unit's element is outlined
    own = "" if q == "x" else ' data-own="unit"'
    return (f'<g class="input" id="in-{q}" data-n="{n}"{own}><text x="{x0}" y="{y0 + 36}" '
            f'class="io">{e(symbol)}<tspan class="sub">{e(sub)}</tspan></text>'
            f'{"".join(slots)}</g>'), bottom


CSS = """
figure.diagram { margin: 0.5em 0 1em; } #cell-diagram { width: 100%; max-width: 1150px;
                                                          height: auto; }
figcaption { font-size: 1em; font-weight: bold; }
svg line { stroke: #111; stroke-width: 3; } svg marker path { fill: #111; }
svg line.gap { stroke: #fff; stroke-width: 9; } svg circle.joint { fill: #111; }
svg .gate rect { fill: #fff; stroke: #111; stroke-width: 3; }
svg .act-box rect { fill: #f3f3f3; }
svg text { font-family: "DejaVu Sans", Arial, sans-serif; text-anchor: middle;
           fill: #111; font-size: 26px; }
svg .sym { font-weight: bold; font-size: 28px; } svg .act { font-size: 15px; font-weight: normal; }
svg .val { font-weight: bold; font-size: 24px; }
svg .io { text-anchor: start; font-weight: bold; }
svg .sub { font-size: 16px; baseline-shift: sub; } svg .act .sub { font-size: 11px; }
svg .node circle { fill: #fff; stroke: #111; stroke-width: 3; }
svg .node text.wide { font-size: 17px; font-weight: bold; }
svg .slot rect { fill: #fff; stroke: #111; stroke-width: 2; }
svg .slot text { font-size: 20px; }
svg .slot.own rect { fill: #ffd98a; stroke: #111; stroke-width: 5; }
svg .slot.own text { font-weight: bold; }
svg text.more { font-size: 16px; text-anchor: start; }
"""

SCRIPT = """
function fill(strip, values, unit) {
  // more values than slots: the window of consecutive elements around the unit
  const slots = strip.querySelectorAll('.slot');
  const start = Math.max(0, Math.min(unit - (slots.length >> 1), values.length - slots.length));
  slots.forEach((slot, k) => {
    slot.dataset.u = start + k;
    slot.querySelector('text').textContent = values[start + k];
    slot.classList.toggle('own', start + k === unit);
  });
  const more = strip.querySelector('.more');
  if (more) more.textContent = more.dataset.what + ' ' + start + '–' +
    (start + slots.length - 1) + ' of ' + values.length + ' shown';
}
function show(row) {
  document.querySelectorAll('tr.selected').forEach(r => r.classList.remove('selected'));
  row.classList.add('selected');
  row.querySelectorAll('td[data-q]').forEach(cell => {
    const label = document.getElementById('v-' + cell.dataset.q);
    if (label) label.textContent = cell.textContent;
    const box = document.querySelector('#box-' + cell.dataset.q + ' rect');
    if (box) box.style.fill = getComputedStyle(cell).backgroundColor;
    if (box && label) label.style.fill = getComputedStyle(cell).color;
  });
  // data-c-prev: the unit's own c_prev, into v-c_prev
  Object.entries(row.dataset).forEach(([key, value]) => {
    const label = key.endsWith('Prev') && document.getElementById('v-' + key.slice(0, -4) + '_prev');
    if (label) label.textContent = value;
  });
  // the table's data-x and data-h_prev: the whole vectors the step reads
  const table = row.closest('table');
  document.querySelectorAll('g.input').forEach(strip => {
    const unit = strip.dataset.own ? Number(row.dataset.u) : -1;
    fill(strip, JSON.parse(table.getAttribute('data-' + strip.id.slice(3))), unit);
  });
  const batch = Number(document.querySelector('figure.diagram').dataset.batch);
  const seq = batch > 1 ? ', sequence ' + row.dataset.b : '';
  document.getElementById('selection').textContent =
    'step ' + row.dataset.t + seq + ', unit ' + row.dataset.u + ' (click a row of a step table)';
}
document.querySelectorAll('tr.unit').forEach(row => row.addEventListener('click', () => show(row)));
const first = document.querySelector('tr.unit');
if (first) show(first);
"""
