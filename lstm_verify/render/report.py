"""Render results: rich tables for people, JSON for machines. No computation here."""

import json
from dataclasses import dataclass
import math

from .safe_text import markup as escape  # case text: not markup, no terminal controls

from . import tables
from .. import consequences
from ..arithmetic import fmt
from ..compare import describe_position, trace_value

STATUS_STYLE = {"pass": ("PASS", "bold green"), "fail": ("FAIL", "bold red"),
                "error": ("ERROR", "bold red"), "known-mistake": ("KNOWN MISTAKE", "bold yellow")}
MAX_TABLES = 6


def _cell(result, q, t, b, u, mismatched):
    """The reference value, marked ✓ when the author's agrees; a K or A line only where
    Keras or the author differs from it (the compact form: one value when all agree)."""
    ref = trace_value(result.reference, q, t)[b, u]
    author = _author_value(result.case, q, t, b, u)
    author_bad = (q, t, b, u, "expected-reference") in mismatched
    lines = [f"[bold]{fmt(ref)}[/]" + (" [green]✓[/]" if author is not None
                                       and not author_bad else "")]
    if result.keras is not None and (q, t, b, u, "keras-reference") in mismatched:
        lines.append(f"[red]K {fmt(trace_value(result.keras, q, t)[b, u])} ✗[/]")
    if author is not None and author_bad:
        lines.append(f"[red]A {fmt(author)} ✗[/]")
    return "\n".join(lines)


def _author_value(case, q, t, b, u):
    """The author's number there, or None where they wrote none (or null)."""
    expected = case.expected
    if t is None:
        value = expected[q][b, u] if q in expected else None
    elif q == "sequence":
        value = expected["sequence"][b, t - 1, u] if "sequence" in expected else None
    else:
        step = expected.get("steps", {}).get(t, {})
        value = step[q][b, u] if q in step else None
    return None if value is None or math.isnan(value) else value


def label(cell, quantity):
    """How a table row names a quantity: the gate's symbol (c̃, h̃), output, or the name."""
    if quantity == "sequence":
        return "output"
    return next((g.symbol for g in cell.gates if g.name == quantity), quantity)


def _tables(console, result, title, rows, t, b, mismatched, units):
    cell = result.case.cell
    return tables.fitted(title, [label(cell, q) for q in rows], [f"unit {u}" for u in units],
                         [[_cell(result, q, t, b, u, mismatched) for u in units]
                          for q in rows], console.width, span=tables.unit_span)


def _steps_to_show(result, all_steps, mismatched):
    case = result.case
    every = [(t, b) for b in range(case.batch) for t in range(1, case.steps + 1)]
    if all_steps or len(every) <= MAX_TABLES:
        return every, 0
    bad = {(t, b) for (_, t, b, _, _) in mismatched if t is not None}
    keep = [(t, b) for (t, b) in every if (t, b) in bad or t == case.steps][:MAX_TABLES]
    return keep, len(every) - len(keep)


def render(console, result, all_steps=False):
    """Print one case: a gate table per step, the final state, mismatches, the verdict."""
    word, style = STATUS_STYLE[result.status]
    tables.heading(console, f"[{style}]{word}[/] {escape(result.name)}  "
                            f"[dim]{escape(result.file)}[/]")
    if result.case is None:   # soft_wrap: a long path must stay one piece to be copied
        console.print(f"[red]{escape(result.error)}[/]", soft_wrap=True)
        return
    case = result.case
    if case.description:
        console.print(f"[dim]{escape(case.description.strip())}[/]")
    if result.reference is not None:
        mismatched = {(m.quantity, m.t, m.batch, m.unit, m.between) for m in result.mismatches}
        tables.say(console, "[dim]each cell: the reference value, = Keras unless a K line "
                   "shows Keras's; ✓ the author's number agrees; A the author's number "
                   "where it differs[/]"
                   if result.keras is not None else
                   "[dim]each cell: the reference value; ✓ = the value checked agrees, "
                   "A = the value checked where it differs[/]")
        units, units_note = tables.units_to_show(case.units, {u for (*_, u, _) in mismatched})
        shown, hidden = _steps_to_show(result, all_steps, mismatched)
        for t, b in shown:
            masked = " (masked: state carried over)" if result.reference.masked[t - 1, b] else ""
            rows = case.cell.rows + (("sequence",) if case.mask is not None else ())
            batch = f", batch {b}" if case.batch > 1 else ""
            console.print(*_tables(console, result, f"step {t}{batch}{masked}", rows, t, b,
                                   mismatched, units))
        if hidden:
            console.print(f"[dim]{hidden} step tables hidden; --all-steps shows them[/]")
        for b in range(case.batch):
            batch = f", batch {b}" if case.batch > 1 else ""
            console.print(*_tables(console, result, f"final state{batch}", case.cell.states,
                                   None, b, mismatched, units))
        if units_note:
            tables.say(console, f"[dim]{units_note}[/]")
    _render_mismatches(console, result)
    if result.gradients is not None:
        from . import report_backward
        report_backward.render(console, result)
        report_backward.render_mismatches(console, result)
    _render_explanation(console, result)
    _render_engines(console, result)
    if result.error:
        console.print(f"[red]{escape(result.error)}[/]", soft_wrap=True)
    tables.say(console, f"[{style}]{word}[/]: {escape(result.verdict or result.error)}")


def _render_mismatches(console, result):
    """Each slip with its arithmetic, and under it the author's numbers that only follow
    from it (right given their own earlier numbers): the first few with the numbers they
    follow from, the rest in one line."""
    keras = [m for m in result.mismatches if m.between != "expected-reference"]
    groups = consequences.grouped(result.mismatches)
    slips = [(slip, following) for slip, following in groups if slip is not None] \
        + [(m, []) for m in keras]
    for m, following in slips[:20]:
        source = "author" if m.between == "expected-reference" else "Keras"
        other = m.expected if source == "author" else m.keras
        where = describe_position(m, result.case.batch)
        tables.say(console, f"[red]✗[/] {where}: {source} {fmt(other)}, "
                            f"reference {fmt(m.reference)}"
                            + ("" if m.keras is None else f", Keras {fmt(m.keras)}"), 2)
        if m.why:
            tables.say(console, f"[cyan]{m.why}[/]", 4)
        _render_consequences(console, result.case, following, 4)
    if len(slips) > 20:
        tables.say(console, f"... and {len(slips) - 20} more (see --json)", 2)
        following = [m for _, group in slips[20:] for m in group]
        _render_consequences(console, result.case, following, 2)
    for slip, following in groups:
        if slip is None:    # consequences whose slip was not found among the mismatches
            _render_consequences(console, result.case, following, 2)


def _render_consequences(console, case, following, indent):
    if not following:
        return
    heading, sentences, rest = consequences.told(case, following)
    tables.say(console, f"[yellow]↳[/] {heading}", indent)
    for line in sentences + ([rest] if rest else []):
        tables.say(console, escape(line), indent + 2)


ENGINE_MARK = {"pass": "[green]✓ agrees[/]", "fail": "[red]✗ disagrees[/]",
               "skipped": "[yellow]skipped[/]", "error": "[red]✗ error[/]",
               "definition": "[yellow]≠ by definition[/]"}   # keras2's hard_sigmoid


def _render_engines(console, result):
    """verify --against: each engine's max |diff| from the reference, side by side."""
    from rich.table import Table

    if not result.engines:
        return
    table = Table(title="engines vs the reference (max |diff|)", title_justify="left")
    compared = result.case.cell.states + ("sequence",)   # what engines.compared lists
    for column in ("engine", *compared, "", "version / note"):
        table.add_column(column, justify="right" if column in compared else "left")
    for o in result.engines:
        diffs = [f"{o.max_abs_diff[q]:.2g}" if q in o.max_abs_diff else "-"
                 for q in compared]
        table.add_row(o.engine, *diffs, ENGINE_MARK[o.status],
                      escape(" ".join(p for p in (o.version, o.note) if p)))
    console.print(table)


def _render_explanation(console, result):
    """The first divergence, each mistake that reproduces the author's numbers, warnings."""
    explanation = result.explanation
    if explanation is not None and explanation.first is not None:
        tables.say_explanation(console, explanation,
                               describe_position(explanation.first, result.case.batch))
        if explanation.diagnoses and result.case.known_mistake:
            tables.say(console, f"recorded as: {escape(result.case.known_mistake)}", 2)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")


def summary_counts(results):
    passed = sum(r.status in ("pass", "known-mistake") for r in results)
    return {"passed": passed, "failed": sum(r.status == "fail" for r in results),
            "errors": sum(r.status == "error" for r in results),
            "known_mistakes": sum(r.status == "known-mistake" for r in results)}


def render_summary(console, results):
    s = summary_counts(results)
    n = s["known_mistakes"]
    known = f" ({n} known mistake{'s' if n > 1 else ''} confirmed)" if n else ""
    style = "green" if not (s["failed"] or s["errors"]) else "red"
    console.print(f"[{style}]{len(results)} case{'s' if len(results) != 1 else ''}: "
                  f"{s['passed']} passed{known}, {s['failed']} failed, {s['errors']} "
                  f"error{'s' if s['errors'] != 1 else ''}[/]")
    for status, heading in (("fail", "failed"), ("error", "errors")):
        files = [r.file for r in results if r.status == status]
        if files:   # soft_wrap: each path stays whole, to be copied
            console.print(f"[red]{heading}:[/] " + " ".join(escape(f) for f in files),
                          soft_wrap=True)


@dataclass(frozen=True)
class Look:
    """How verify's terminal shows a result: the console's width, colour system and
    whether it is a terminal, and the command's --quiet, --failures, --all-steps."""

    width: int
    color_system: str = None
    terminal: bool = False
    quiet: bool = False
    failures: bool = False
    all_steps: bool = False


def show(console, result, look):
    """verify's report of one result: one line (--quiet, or a pass with --failures), or
    the tables."""
    if look.quiet or (look.failures and result.status in ("pass", "known-mistake")):
        render_line(console, result)
    else:
        render(console, result, all_steps=look.all_steps)


def rendered(result, look):
    """``show``'s output as text, drawn as ``look``'s console would draw it: a worker
    process renders the cases it verifies (suite.verify_files' ``render``)."""
    import io

    from rich.console import Console
    buffer = io.StringIO()
    console = Console(file=buffer, width=look.width, color_system=look.color_system,
                      force_terminal=look.terminal, highlight=False, soft_wrap=False,
                      emoji=False)
    show(console, result, look)
    return buffer.getvalue()


def render_line(console, result):
    """verify --quiet: the case in one line, its status, file and verdict."""
    word, style = STATUS_STYLE[result.status]
    console.print(f"[{style}]{word}[/] {escape(result.file)}: "
                  f"{escape(result.verdict or result.error)}", soft_wrap=True)


def _number(value):
    """JSON has no NaN or infinity: a non-finite number becomes null."""
    return value if value is None or math.isfinite(value) else None


def result_json(result):
    return {
        "file": result.file,
        "name": result.name,
        "status": result.status,
        "error": result.error,
        "max_abs_diff": {"keras_vs_reference": _number(result.keras_vs_reference),
                         "expected_vs_reference": _number(result.expected_vs_reference)},
        "mismatches": [{"quantity": m.quantity, "t": m.t, "batch": m.batch, "unit": m.unit,
                        "expected": _number(m.expected), "reference": _number(m.reference),
                        "keras": _number(m.keras), "between": m.between,
                        "consequence": m.consequence, "recomputed": _number(m.recomputed),
                        "because": [{"quantity": c.quantity, "t": c.t, "batch": c.batch,
                                     "unit": c.unit, "author": _number(c.author)}
                                    for c in m.because]}
                       for m in result.mismatches],
        "diagnoses": [{"id": d.id, "detail": d.detail} for d in result.diagnoses],
        "first_divergence": _position_json(result.explanation),
        "warnings": list(result.warnings),
        **({"gradients": [_mismatch_json(m) for m in result.gradient_mismatches],
            "backward_first_divergence": _position_json(result.backward_explanation)}
           if result.gradients is not None else {}),
        **({"engines": [{"engine": o.engine, "status": o.status, "note": o.note,
                         "version": o.version,
                         "max_abs_diff": {q: _number(v) for q, v in o.max_abs_diff.items()}}
                        for o in result.engines]} if result.engines else {}),
    }


def _mismatch_json(m):
    return {"quantity": m.quantity, "t": m.t, "batch": m.batch, "unit": m.unit,
            "index": list(m.index) if m.index is not None else None,
            "expected": _number(m.expected), "reference": _number(m.reference),
            "keras": _number(m.keras), "between": m.between}


def _position_json(explanation):
    if explanation is None or explanation.first is None:
        return None
    m = explanation.first
    position = {"quantity": m.quantity, "t": m.t, "batch": m.batch, "unit": m.unit}
    return position if m.index is None else {**position, "index": list(m.index)}


def to_json(results):
    return json.dumps({"cases": [result_json(r) for r in results],
                       "summary": summary_counts(results)}, indent=2)

