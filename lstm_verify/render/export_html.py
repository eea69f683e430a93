"""The HTML form of export: one self-contained page for a projector.

Inline CSS, SVG and a few lines of JavaScript; nothing is fetched.  The page has a
diagram of the case's cell (its own gates — an LSTM's i, f, c̃, o, a GRU's z, r, h̃ —
its states and how they connect, drawn from the cell's Diagram in cells/), and each
step's table is a heat map: a cell's background is its value on a blue-white-red
scale shared by every step of that quantity, so a class sees a gate open (red) or
close (white) from one step to the next.  Clicking a row puts that unit's values
into the diagram, with the whole x_t and h_{t-1} its gates read (diagram_svg).
"""

import html
import re

from ..cells.teaching import diagram
from .diagram_svg import CSS as diagram_css
from .diagram_svg import SCRIPT, diagram_svg, input_data
from .export import Table, quantities

POSITIVE = (178, 24, 43)     # dark red: large positive values
NEGATIVE = (33, 102, 172)    # dark blue: large negative values
WHITE = (255, 255, 255)


def _heat_rgb(value, scale):
    share = 0.0 if scale <= 0 or value != value else max(-1.0, min(1.0, value / scale))
    target = POSITIVE if share >= 0 else NEGATIVE
    return tuple(round(w + abs(share) * (c - w)) for w, c in zip(WHITE, target))


def heat_colour(value, scale):
    """The background 'rgb(r, g, b)' for ``value`` on a scale where ±scale is darkest."""
    return "rgb({}, {}, {})".format(*_heat_rgb(value, scale))


def luminance(rgb):
    """WCAG 2 relative luminance of an (r, g, b) colour, 0..255 each."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
              for c in (v / 255 for v in rgb)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    """WCAG 2 contrast ratio of two (r, g, b) colours (1 to 21; text needs 4.5)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colour(value, scale):
    """White or black, whichever contrasts more with the cell's background: one of them
    always reaches 4.5:1 (a near-black would leave a band of mid reds where neither does)."""
    background = _heat_rgb(value, scale)
    white = contrast(background, WHITE) >= contrast(background, (0, 0, 0))
    return "#ffffff" if white else "#000000"


def scales(doc):
    """Per quantity, the largest |value| over every step and sequence: one colour scale."""
    names = quantities(doc.case.cell)
    out = {q: 0.0 for q in names}
    for kind, body in doc.blocks:
        if kind == "table" and body.step:
            for row in body.values:
                for q, v in zip(names, row):
                    if v == v and abs(v) != float("inf"):
                        out[q] = max(out[q], abs(v))
    return out


def maths(text):
    """Escaped text with subscripts: z_i -> z<sub>i</sub>, h_prev -> h<sub>t-1</sub>,
    b_z,in -> b<sub>z,in</sub>."""
    text = html.escape(text).replace("h_prev", "h_t-1").replace("c_prev", "c_t-1")
    return re.sub(r"\b([a-zA-Z])_(t-1|[a-z0-9]+(?:,(?:in|rec)\b)?)\b", r"\1<sub>\2</sub>",
                  text)


def page(doc):
    e = html.escape
    scale = scales(doc)
    parts = [f"<h1>{e(doc.title)}</h1>"]
    legend = True
    for kind, body in doc.blocks:
        if kind == "h2":
            if body == "Setup":      # the diagram right after the description
                parts.append(diagram_svg(doc))
            parts.append(f"<h2>{e(body)}</h2>")
        elif kind == "p":
            parts.append(f"<p>{maths(body)}</p>")
        elif kind == "math":
            parts.append('<pre class="equations">' + maths("\n".join(body)) + "</pre>")
        elif body.step:
            if legend:               # once, above the first step's table
                parts.append(_legend())
                legend = False
            parts.append(_heat_table(doc, body, scale))
        else:
            parts.append(_table(body))
    return PAGE.format(title=e(doc.title), css=CSS + diagram_css, body="\n".join(parts),
                       script=SCRIPT)


def _table(table: Table):
    e = html.escape
    head = "".join(f"<th>{maths(h)}</th>" for h in table.header)
    rows = "".join(f"<tr><th>{maths(row[0])}</th>" + "".join(f"<td>{e(c)}</td>"
                                                            for c in row[1:]) + "</tr>"
                   for row in table.rows)
    return (f'<table><caption>{maths(table.caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _groups(cell):
    """The step table's column groups: (title, quantities), empty groups left out."""
    names = quantities(cell)
    states = [q for q in names if q in cell.states]
    pre = list(cell.pre_activations)
    gates = [q for q in names if q not in pre and q not in states]
    return [(title, group) for title, group in (("pre-activations z", pre), ("gates", gates),
                                                ("states", states)) if group]


def _heat_table(doc, table, scale):
    e = html.escape
    t, b = table.step
    tr, cell = doc.num.trace, doc.case.cell
    groups = _groups(cell)
    starts = {group[0] for _, group in groups[1:]}   # a thick rule where a group begins
    names = quantities(cell)
    gap = ' class="gap"'
    head = "".join(f"<th{gap if q in starts else ''}>{maths(h)}</th>"
                   for q, h in zip(["unit", *names], table.header))
    group_row = ('<tr class="groups"><th></th>' + "".join(
        f'<th colspan="{len(group)}"{gap if n else ""}>{title}</th>'
        for n, (title, group) in enumerate(groups)) + "</tr>")
    whole = {q for q, *_ in diagram(doc.case).inputs}
    rows = []
    for u, (cells, values) in enumerate(zip(table.rows, table.values)):
        # the unit's own c_prev; h_prev is drawn whole, from the table's data-h_prev
        prev = "".join(f' data-{s}-prev="{e(doc.num.fmt(tr.steps[s + "_prev"][t - 1, b, u]))}"'
                       for s in cell.states if f"{s}_prev" not in whole)
        tds = [f"<th>{e(cells[0])}</th>"]
        for q, text, v in zip(names, cells[1:], values):
            style = f"background-color: {heat_colour(v, scale[q])}; " \
                    f"color: {text_colour(v, scale[q])}"
            tds.append(f'<td data-q="{q}"{gap if q in starts else ""} style="{style}">'
                       f"{e(text)}</td>")
        rows.append(f'<tr class="unit" data-t="{t}" data-b="{b}" data-u="{u}"{prev}>'
                    + "".join(tds) + "</tr>")
    masked = " masked" if tr.masked[t - 1, b] else ""
    return (f'<div class="scroll"><table class="heat{masked}" id="step-{t}-{b}"'
            f"{input_data(doc, t, b)}><caption>"
            f"{maths(table.caption)}</caption><thead>{group_row}<tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _legend():
    stops = ", ".join(heat_colour(v, 1.0) for v in (-1, -0.5, 0, 0.5, 1))
    return ('<div class="legend"><span>negative</span>'
            f'<span class="bar" style="background: linear-gradient(to right, {stops})"></span>'
            "<span>positive</span><span class=\"note\">each column coloured on its own scale, "
            "the same for every step; click a row to see that unit in the diagram</span></div>")


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
@media (max-width: 1100px) {   /* a 1024 px projector: every table fits, nothing scrolls */
  body { font-size: 18px; margin: 0.6em auto; padding: 0 0.4em; }
  th, td { padding: 0.25em 0.4em; min-width: 0; }
  table.heat td, table.heat th { padding: 0.2em 0.2em; }
  table.heat .gap { border-left-width: 4px; }
}
table.masked caption { color: #8a4b00; }
pre.equations { font-size: 1.15em; background: #f3f3f3; border-left: 6px solid #111;
                padding: 0.6em 1em; white-space: pre-wrap; }
.legend { display: flex; align-items: center; gap: 0.6em; flex-wrap: wrap; }
.legend .bar { display: inline-block; width: 260px; height: 26px; border: 2px solid #333; }
.legend .note { font-size: 0.85em; }
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
