"""The HTML form of export: one self-contained page for a projector.

Inline CSS, SVG and a few lines of JavaScript; nothing is fetched.  The page has a
diagram of the LSTM cell (gates i, f, c̃, o, the cell state c and the output h, and
how they connect), and each step's table is a heat map: a cell's background is its
value on a blue-white-red scale shared by every step of that quantity, so a class
sees a gate open (red) or close (white) from one step to the next.  Clicking a row
puts that unit's values into the diagram.
"""

import html
import re

from .export import QUANTITIES, Table

POSITIVE = (178, 24, 43)     # dark red: large positive values
NEGATIVE = (33, 102, 172)    # dark blue: large negative values
WHITE = (255, 255, 255)


def heat_colour(value, scale):
    """The background 'rgb(r, g, b)' for ``value`` on a scale where ±scale is darkest."""
    share = 0.0 if scale <= 0 or value != value else max(-1.0, min(1.0, value / scale))
    target = POSITIVE if share >= 0 else NEGATIVE
    rgb = (round(w + abs(share) * (c - w)) for w, c in zip(WHITE, target))
    return "rgb({}, {}, {})".format(*rgb)


def text_colour(value, scale):
    """White text on dark cells, near-black on light ones (contrast for a projector)."""
    share = 0.0 if scale <= 0 or value != value else abs(value) / scale
    return "#ffffff" if share > 0.55 else "#111111"


def scales(doc):
    """Per quantity, the largest |value| over every step and sequence: one colour scale."""
    out = {q: 0.0 for q in QUANTITIES}
    for kind, body in doc.blocks:
        if kind == "table" and body.step:
            for row in body.values:
                for q, v in zip(QUANTITIES, row):
                    if v == v and abs(v) != float("inf"):
                        out[q] = max(out[q], abs(v))
    return out


def maths(text):
    """Escaped text with subscripts: z_i -> z<sub>i</sub>, h_prev -> h<sub>t-1</sub>."""
    text = html.escape(text).replace("h_prev", "h_t-1").replace("c_prev", "c_t-1")
    return re.sub(r"\b([a-zA-Z])_(t-1|[a-z0-9]+)\b", r"\1<sub>\2</sub>", text)


def page(doc):
    e = html.escape
    scale = scales(doc)
    parts = [f"<h1>{e(doc.title)}</h1>"]
    for kind, body in doc.blocks:
        if kind == "h2":
            if body == "Setup":      # the diagram right after the description
                parts.append(_diagram(doc))
            parts.append(f"<h2>{e(body)}</h2>")
            if body == "Every gate at every step":
                parts.append(_legend())
        elif kind == "p":
            parts.append(f"<p>{maths(body)}</p>")
        elif kind == "math":
            parts.append('<pre class="equations">' + maths("\n".join(body)) + "</pre>")
        elif body.step:
            parts.append(_heat_table(doc, body, scale))
        else:
            parts.append(_table(body))
    return PAGE.format(title=e(doc.title), css=CSS, body="\n".join(parts), script=SCRIPT)


def _table(table: Table):
    e = html.escape
    head = "".join(f"<th>{maths(h)}</th>" for h in table.header)
    rows = "".join(f"<tr><th>{maths(row[0])}</th>" + "".join(f"<td>{e(c)}</td>"
                                                            for c in row[1:]) + "</tr>"
                   for row in table.rows)
    return (f'<table><caption>{maths(table.caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _heat_table(doc, table, scale):
    e = html.escape
    t, b = table.step
    tr = doc.num.trace
    gap = ' class="gap"'   # a thick rule where the gates and the states begin
    head = "".join(f"<th{gap if h in ('i', 'c') else ''}>{maths(h)}</th>" for h in table.header)
    groups = ('<tr class="groups"><th></th><th colspan="4">pre-activations z</th>'
              '<th colspan="4" class="gap">gates</th><th colspan="2" class="gap">states</th></tr>')
    rows = []
    for u, (cells, values) in enumerate(zip(table.rows, table.values)):
        x = ", ".join(doc.num.fmt(v) for v in tr.x[t - 1, b])
        prev = (f'data-h-prev="{e(doc.num.fmt(tr.h_prev[t - 1, b, u]))}" '
                f'data-c-prev="{e(doc.num.fmt(tr.c_prev[t - 1, b, u]))}" data-x="= [{e(x)}]"')
        tds = [f"<th>{e(cells[0])}</th>"]
        for q, text, v in zip(QUANTITIES, cells[1:], values):
            style = f"background-color: {heat_colour(v, scale[q])}; " \
                    f"color: {text_colour(v, scale[q])}"
            gap = ' class="gap"' if q in ("i", "c") else ""
            tds.append(f'<td data-q="{q}"{gap} style="{style}">{e(text)}</td>')
        rows.append(f'<tr class="unit" data-t="{t}" data-b="{b}" data-u="{u}" {prev}>'
                    + "".join(tds) + "</tr>")
    masked = " masked" if tr.masked[t - 1, b] else ""
    return (f'<div class="scroll"><table class="heat{masked}" id="step-{t}-{b}"><caption>'
            f"{maths(table.caption)}</caption><thead>{groups}<tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _legend():
    stops = ", ".join(heat_colour(v, 1.0) for v in (-1, -0.5, 0, 0.5, 1))
    return ('<div class="legend"><span>negative</span>'
            f'<span class="bar" style="background: linear-gradient(to right, {stops})"></span>'
            "<span>positive</span><span class=\"note\">each column coloured on its own scale, "
            "the same for every step; click a row to see that unit in the diagram</span></div>")


def _box(key, x, y, symbol, activation, w=124, h=104):
    e = html.escape
    return (f'<g class="gate" id="box-{key}"><rect x="{x - w / 2}" y="{y - h / 2}" width="{w}" '
            f'height="{h}" rx="10"/><text x="{x}" y="{y - 20}" class="sym">{e(symbol)}</text>'
            f'<text x="{x}" y="{y + 2}" class="act">{e(activation)}</text>'
            f'<text x="{x}" y="{y + 38}" class="val" id="v-{key}">–</text></g>')


def _node(x, y, sign):
    return (f'<g class="node"><circle cx="{x}" cy="{y}" r="17"/>'
            f'<text x="{x}" y="{y + 8}">{sign}</text></g>')


def _diagram(doc):
    """Inline SVG of one LSTM cell; value labels (ids v-*) are filled in by the script."""
    from .activations import display_name
    act = display_name(doc.case.activation)
    rec = display_name(doc.case.recurrent_activation)
    wires = [  # (x1, y1, x2, y2, arrow): the cell state line on top, the [h_prev, x] bus below
        (95, 60, 133, 60, 1), (167, 60, 403, 60, 1), (437, 60, 725, 60, 1),   # c_prev -> c
        (95, 360, 590, 360, 0), (90, 430, 90, 362, 1),                        # h_prev, x bus
        (150, 360, 150, 324, 1), (285, 360, 285, 324, 1), (420, 360, 420, 324, 1),
        (590, 360, 590, 324, 1),                                              # bus -> gates
        (150, 218, 150, 78, 1),                                               # f -> x
        (285, 218, 285, 150, 0), (285, 150, 402, 150, 1),                     # i -> x
        (420, 218, 420, 168, 1), (420, 133, 420, 78, 1),                      # c~ -> x -> +
        (590, 60, 590, 103, 1), (590, 155, 590, 172, 1),                      # c -> act -> x
        (590, 218, 590, 208, 1), (607, 190, 725, 190, 1),                     # o -> x -> h
    ]
    lines = "".join(f'<line x1="{a}" y1="{b}" x2="{c}" y2="{d}"'
                    + (' marker-end="url(#arrow)"/>' if arrow else "/>")
                    for a, b, c, d, arrow in wires)
    labels = (
        '<text x="10" y="52" class="io">c<tspan class="sub">t-1</tspan></text>'
        '<text x="10" y="84" class="io val" id="v-c_prev">–</text>'
        '<text x="10" y="316" class="io">h<tspan class="sub">t-1</tspan></text>'
        '<text x="10" y="350" class="io val" id="v-h_prev">–</text>'
        '<text x="102" y="440" class="io">x<tspan class="sub">t</tspan></text>'
        '<text x="140" y="440" class="io val" id="v-x"></text>'
        '<text x="732" y="52" class="io">c<tspan class="sub">t</tspan></text>'
        '<text x="732" y="84" class="io val" id="v-c">–</text>'
        '<text x="732" y="182" class="io">h<tspan class="sub">t</tspan></text>'
        '<text x="732" y="214" class="io val" id="v-h">–</text>')
    parts = [_box("f", 150, 270, "f", rec), _box("i", 285, 270, "i", rec),
             _box("c_tilde", 420, 270, "c̃", act), _box("o", 590, 270, "o", rec),
             f'<g class="gate act-box"><rect x="530" y="105" width="120" height="50" rx="10"/>'
             f'<text x="590" y="137" class="act">{html.escape(act)}(c)</text></g>',
             _node(150, 60, "×"), _node(420, 60, "+"), _node(420, 150, "×"),
             _node(590, 190, "×")]
    return (f'<figure class="diagram" data-batch="{doc.case.batch}">'
            '<svg id="cell-diagram" viewBox="0 0 960 450" '
            'role="img" aria-label="LSTM cell: gates i, f, candidate, o; cell state c; '
            'output h"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>'
            f'<g class="wires">{lines}</g>{"".join(parts)}{labels}</svg>'
            '<figcaption id="selection">click a row of a step table</figcaption></figure>')


CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 22px; color: #111;
       background: #fff; margin: 1.5em auto; max-width: 1250px; padding: 0 1em;
       line-height: 1.4; }
h1 { font-size: 2em; margin: 0.2em 0; } h2 { font-size: 1.45em; margin-top: 1.4em;
     border-bottom: 3px solid #111; }
table { border-collapse: collapse; margin: 0.8em 0 1.4em; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding: 0.2em 0; font-size: 1.05em; }
th, td { border: 2px solid #333; padding: 0.3em 0.7em; text-align: right; min-width: 2.6em; }
thead th { background: #111; color: #fff; }
tbody th { background: #eee; text-align: left; }
table.heat td { font-weight: bold; font-size: 1.05em; }
table.heat tr.unit { cursor: pointer; }
table.heat { width: 100%; white-space: nowrap; }
table.heat td { padding: 0.3em 0.45em; width: 8.6%; }   /* equal columns, step after step */
table.heat .gap { border-left: 6px solid #111; }
table.heat tr.groups th { background: #444; text-align: center; font-size: 0.85em; }
table.heat tr.selected { outline: 6px solid #f5a000; outline-offset: -3px; }
div.scroll { overflow-x: auto; }
table.masked caption { color: #8a4b00; }
pre.equations { font-size: 1.15em; background: #f3f3f3; border-left: 6px solid #111;
                padding: 0.6em 1em; white-space: pre-wrap; }
figure.diagram { margin: 0.5em 0 1em; } #cell-diagram { width: 100%; max-width: 1150px;
                                                          height: auto; }
figcaption { font-size: 1em; font-weight: bold; }
svg line { stroke: #111; stroke-width: 3; } svg marker path { fill: #111; }
svg .gate rect { fill: #fff; stroke: #111; stroke-width: 3; }
svg .act-box rect { fill: #f3f3f3; }
svg text { font-family: "DejaVu Sans", Arial, sans-serif; text-anchor: middle;
           fill: #111; font-size: 26px; }
svg .sym { font-weight: bold; font-size: 28px; } svg .act { font-size: 15px; font-weight: normal; }
svg .val { font-weight: bold; font-size: 24px; }
svg .io { text-anchor: start; font-weight: bold; }
svg .sub { font-size: 16px; baseline-shift: sub; }
svg .node circle { fill: #fff; stroke: #111; stroke-width: 3; }
.legend { display: flex; align-items: center; gap: 0.6em; flex-wrap: wrap; }
.legend .bar { display: inline-block; width: 260px; height: 26px; border: 2px solid #333; }
.legend .note { font-size: 0.85em; }
"""

SCRIPT = """
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
  document.getElementById('v-h_prev').textContent = row.dataset.hPrev;
  document.getElementById('v-c_prev').textContent = row.dataset.cPrev;
  document.getElementById('v-x').textContent = row.dataset.x;
  const batch = Number(document.querySelector('figure.diagram').dataset.batch);
  const seq = batch > 1 ? ', sequence ' + row.dataset.b : '';
  document.getElementById('selection').textContent =
    'step ' + row.dataset.t + seq + ', unit ' + row.dataset.u + ' (click a row of a step table)';
}
document.querySelectorAll('tr.unit').forEach(row => row.addEventListener('click', () => show(row)));
const first = document.querySelector('tr.unit');
if (first) show(first);
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<script>{script}</script>
</body>
</html>
"""
