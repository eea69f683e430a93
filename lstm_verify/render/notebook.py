"""How a verified result, a case and a reference trace show themselves in Jupyter.

The tables and colours are the HTML export's (export_html): a step is a table whose cells
are heat-coloured on a blue-white-red scale shared by every step of that quantity.  What
differs is size: a notebook cell is about 900 pixels wide, so the font is the page's
body size, the tables are compact, and a wide one scrolls inside its own box.  Every
style is scoped under ``.lstm-verify`` so it cannot restyle the rest of the notebook.

``register(ipython)`` tells IPython how to show a Case and a Trace (the result object of
the API has its own ``_repr_html_``); the API calls it when it is imported in a kernel.
"""

import html

from ..arithmetic import fmt
from ..compare import describe_position, trace_value
from ..consequences import because_text
from .export import equations, quantities
from .export_html import heat_colour, maths, text_colour
from .report import label

STATUS_COLOUR = {"pass": "#1a7f37", "known-mistake": "#9a6700", "fail": "#cf222e",
                 "error": "#cf222e"}
MAX_UNITS = 8      # wider layers: the first units, and a note
MAX_TABLES = 6     # longer runs: the steps that disagree, and the last


def result_html(result):
    """A verify Result: status, the per-step tables (reference, Keras, author), the
    first divergence and diagnosis, warnings, engines, the verdict."""
    e = html.escape
    colour = STATUS_COLOUR[result.status]
    word = result.status.upper().replace("-", " ")
    parts = [f'<div class="lv-head"><span class="lv-status" style="background:{colour}">'
             f"{word}</span> <b>{e(result.name)}</b> <span class=\"lv-dim\">"
             f"{e(result.file)}</span></div>"]
    case = result.case
    if case is None:
        return _wrap(parts + [f'<p class="lv-bad">{e(result.error or "")}</p>'])
    if case.description:
        parts.append(f'<p class="lv-dim">{e(" ".join(case.description.split()))}</p>')
    if result.reference is not None:
        parts.append(_result_tables(result))
    parts.append(_explanation(result))
    if result.engines:
        parts.append(_engines(result))
    parts.append(f'<p><b style="color:{colour}">{word}</b>: '
                 f"{e(result.verdict or result.error or '')}</p>")
    return _wrap(parts)


def _result_tables(result):
    case, trace = result.case, result.reference
    bad = {(m.quantity, m.t, m.batch, m.unit, m.between) for m in result.mismatches}
    who = "reference / K = Keras / A = author" if result.keras is not None else \
        "reference / A = the values checked"
    parts = [f'<p class="lv-dim">each cell: {who} (✓ agrees, ✗ differs)</p>']
    rows = case.cell.rows + (("sequence",) if case.mask is not None else ())
    scale = _scales(trace, rows)
    for t, b in _steps_shown(case, {(t, b) for (_, t, b, _, _) in bad if t is not None}):
        masked = " (masked: state carried over)" if trace.masked[t - 1, b] else ""
        caption = f"step {t}{_batch(case, b)}{masked}"
        parts.append(_table(caption, case.cell, rows, case.units, lambda q, u: _cell(
            result, q, t, b, u, bad, scale)))
    for b in range(case.batch):
        parts.append(_table(f"final state{_batch(case, b)}", case.cell, case.cell.states,
                            case.units, lambda q, u: _cell(result, q, None, b, u, bad,
                                                           _scales(trace, case.cell.states))))
    return "".join(parts)


def _cell(result, q, t, b, u, bad, scale):
    """One table cell: the reference value, heat-coloured, then Keras and the author."""
    from .report import _author_value
    ref = trace_value(result.reference, q, t)[b, u]
    lines = [html.escape(fmt(ref))]
    if result.keras is not None:
        ker = trace_value(result.keras, q, t)[b, u]
        lines.append(_mark("K", ker, (q, t, b, u, "keras-reference") in bad))
    author = _author_value(result.case, q, t, b, u)
    if author is not None:
        lines.append(_mark("A", author, (q, t, b, u, "expected-reference") in bad))
    return _heat_td(ref, scale[q], "<br>".join(lines))


def _mark(who, value, wrong):
    sign = '<span class="lv-bad">✗</span>' if wrong else '<span class="lv-ok">✓</span>'
    return f'<span class="lv-small">{who} {html.escape(fmt(value))} {sign}</span>'


def _explanation(result):
    e = html.escape
    items = [f'<li class="lv-bad">✗ {e(describe_position(m, result.case.batch))}: '
             + (f"author {e(fmt(m.expected))}" if m.between == "expected-reference"
                else f"Keras {e(fmt(m.keras))}")
             + f", reference {e(fmt(m.reference))}"
             + (f'<br><span class="lv-why">{e(m.why)}</span>' if m.why else "")
             + (f'<br><span class="lv-why">↳ {e(because_text(result.case, m))}</span>'
                if m.consequence else "") + "</li>"
             for m in result.mismatches[:10]]
    if len(result.mismatches) > 10:
        items.append(f"<li>... and {len(result.mismatches) - 10} more</li>")
    explanation = result.explanation
    if explanation is not None and explanation.first is not None:
        m = explanation.first
        items.append(f"<li><b>first divergence</b>: {e(describe_position(m, result.case.batch))}: author "
                     f"{e(fmt(m.expected))}, reference {e(fmt(m.reference))}</li>")
        items += [f"<li><b>diagnosis</b>: {e(d.text)} (<code>{e(d.id)}</code>); recomputed "
                  f"that way, all {explanation.given} of the author's numbers come out</li>"
                  for d in explanation.diagnoses]
        if explanation.note:
            items.append(f"<li>{e(explanation.note)}</li>")
        if explanation.diagnoses and result.case.known_mistake:
            items.append(f"<li>recorded as: {e(result.case.known_mistake)}</li>")
    items += [f'<li class="lv-warn"><b>warning</b>: {e(w)}</li>' for w in result.warnings]
    return f'<ul class="lv-list">{"".join(items)}</ul>' if items else ""


def _engines(result):
    e = html.escape
    compared = result.case.cell.states + ("sequence",)
    head = "".join(f"<th>{e(q)}</th>" for q in ("engine", *compared, "", "version / note"))
    rows = []
    for o in result.engines:
        diffs = "".join(f"<td>{o.max_abs_diff[q]:.2g}</td>" if q in o.max_abs_diff
                        else "<td>-</td>" for q in compared)
        mark = {"pass": "✓ agrees", "fail": "✗ disagrees", "error": "✗ error",
                "definition": "≠ by definition"}.get(
            o.status, o.status)
        note = " ".join(p for p in (o.version, o.note) if p)
        rows.append(f"<tr><th>{e(o.engine)}</th>{diffs}<td>{e(mark)}</td>"
                    f'<td class="lv-note">{e(note)}</td></tr>')
    return (f"<table><caption>engines vs the reference (max |diff|)</caption><thead><tr>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def case_html(case):
    """A Case: its name, description, setup, the cell's equations and its inputs."""
    from .export import _setup
    e = html.escape
    parts = [f'<div class="lv-head"><b>{e(case.name)}</b> <span class="lv-dim">'
             f"{e(str(case.path))}</span></div>"]
    if case.description:
        parts.append(f'<p class="lv-dim">{e(" ".join(case.description.split()))}</p>')
    parts.append(f"<p>{maths(_setup(case))}</p>")
    parts.append('<pre class="lv-eq">' + maths("\n".join(equations(case))) + "</pre>")
    given = ", ".join(k for k in case.expected) or "nothing"
    parts.append(f'<p class="lv-dim">expected values given: {e(given)}'
                 + (f"; known mistake: {e(case.known_mistake)}" if case.known_mistake else "")
                 + "</p>")
    return _wrap(parts)


def trace_html(trace):
    """A reference Trace: per step, every pre-activation, gate and state by unit, coloured
    as the HTML export colours them; then the final state."""
    cell = trace.cell
    rows = quantities(cell)
    scale = _scales(trace, rows)
    steps, batch, units = trace.steps[cell.states[0]].shape
    parts = []
    for b in range(batch):
        for t in list(range(1, steps + 1))[-MAX_TABLES:]:
            k = t - 1
            masked = " (masked: state carried over)" if trace.masked[k, b] else ""
            who = f", sequence {b}" if batch > 1 else ""
            parts.append(_table(f"step {t}{who}{masked}", cell, rows, units,
                                lambda q, u: _heat_td(trace.steps[q][k, b, u], scale[q],
                                                      html.escape(fmt(trace.steps[q][k, b, u])))))
    if steps > MAX_TABLES:
        parts.insert(0, f'<p class="lv-dim">the last {MAX_TABLES} of {steps} steps</p>')
    final = _scales(trace, cell.states)
    for b in range(batch):
        who = f", sequence {b}" if batch > 1 else ""
        parts.append(_table(f"final state{who}", cell, cell.states, units, lambda q, u: _heat_td(
            trace.final[q][b, u], final[q], html.escape(fmt(trace.final[q][b, u])))))
    return _wrap([f"<b>reference trace: {html.escape(cell.title)}</b>", *parts])


def _table(caption, cell, rows, units, td):
    """Quantities as rows, units as columns (at most MAX_UNITS): the report's layout."""
    shown = range(min(units, MAX_UNITS))
    more = f" (units 0–{MAX_UNITS - 1} of {units})" if units > MAX_UNITS else ""
    head = "<th></th>" + "".join(f"<th>unit {u}</th>" for u in shown)
    body = "".join(f"<tr><th>{maths(label(cell, q))}</th>"
                   + "".join(td(q, u) for u in shown) + "</tr>" for q in rows)
    return (f'<div class="lv-scroll"><table class="lv-heat"><caption>{maths(caption + more)}'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _heat_td(value, scale, content):
    value = float(value)
    return (f'<td style="background-color: {heat_colour(value, scale)}; '
            f'color: {text_colour(value, scale)}">{content}</td>')


def _scales(trace, names):
    """Per quantity, the largest finite |value| over every step: one colour scale."""
    import numpy as np
    out = {}
    for q in names:
        values = trace.sequence if q == "sequence" else (
            trace.steps[q] if q in trace.steps else trace.final[q])
        finite = np.abs(values[np.isfinite(values)])
        out[q] = float(finite.max()) if finite.size else 0.0
    return out


def _steps_shown(case, bad):
    every = [(t, b) for b in range(case.batch) for t in range(1, case.steps + 1)]
    if len(every) <= MAX_TABLES:
        return every
    return [(t, b) for (t, b) in every if (t, b) in bad or t == case.steps][:MAX_TABLES]


def _batch(case, b):
    return f", batch {b}" if case.batch > 1 else ""


def _wrap(parts):
    return f'<div class="lstm-verify"><style>{CSS}</style>{"".join(parts)}</div>'


def register(ipython):
    """Show Case and Trace objects as HTML in this IPython session."""
    from ..case.parse import Case
    from ..forward import Trace
    formatter = ipython.display_formatter.formatters["text/html"]
    formatter.for_type(Case, case_html)
    formatter.for_type(Trace, trace_html)


# the export page's table style, scaled to a notebook and scoped to its own output
CSS = """
.lstm-verify { font-family: "DejaVu Sans", Arial, sans-serif; color: #111; max-width: 100%;
               line-height: 1.35; }
.lstm-verify .lv-head { font-size: 1.1em; margin: 0.3em 0; }
.lstm-verify .lv-status { color: #fff; padding: 0.1em 0.5em; border-radius: 4px;
                          font-weight: bold; }
.lstm-verify .lv-dim { color: #555; }
.lstm-verify .lv-bad { color: #cf222e; } .lstm-verify .lv-ok { color: #1a7f37; }
.lstm-verify .lv-warn { color: #9a6700; }
.lstm-verify .lv-why { color: #0a6b7c; font-family: monospace; }
.lstm-verify .lv-small { font-size: 0.8em; font-weight: normal; }
.lstm-verify .lv-scroll { overflow-x: auto; max-width: 100%; }
.lstm-verify table { border-collapse: collapse; margin: 0.4em 0 0.8em;
                     font-variant-numeric: tabular-nums; }
.lstm-verify caption { text-align: left; font-weight: bold; padding: 0.1em 0; }
.lstm-verify th, .lstm-verify td { border: 1px solid #333; padding: 0.15em 0.5em;
                                   text-align: right; white-space: nowrap; }
.lstm-verify thead th { background: #111; color: #fff; }
.lstm-verify tbody th { background: #eee; text-align: left; }
.lstm-verify table.lv-heat td { font-weight: bold; min-width: 4em; }
.lstm-verify td .lv-small .lv-ok, .lstm-verify td .lv-small .lv-bad {
    background: #fff; border-radius: 3px; padding: 0 0.15em; }
.lstm-verify pre.lv-eq { background: #f3f3f3; border-left: 4px solid #111;
                         padding: 0.4em 0.8em; white-space: pre-wrap; }
.lstm-verify .lv-note { text-align: left; white-space: normal; }
.lstm-verify ul.lv-list { padding-left: 1.2em; }
"""
