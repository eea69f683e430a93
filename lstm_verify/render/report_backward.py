"""Render the backward pass: per-step gradient tables in reverse step order, the weight
gradients, and the gradient mismatches. No computation here."""

import numpy as np
from rich.markup import escape

from . import tables
from ..arithmetic import fmt
from ..backward.compare import describe_position, value
from ..backward.forms import in_case_form, step_rows

LEGEND = ("backward pass: L = Σ upstream·outputs (or ½·Σ(output − target)²), a sum over "
          "batch, time and units, never a mean; dh at step t is the whole dL/dh_t (from "
          "that step's output and from step t+1), dc likewise; di, df, ... are with respect "
          "to the gates after their activation, dz_i, dz_f, ... before it; each cell: "
          "reference / K = TensorFlow's gradient tape / A = author")
MAX_WEIGHT_VALUES = 48      # a weight gradient with more values is summarised


def _author(case, q, t):
    given = case.expected.get("gradients", {})
    if t is not None:
        return given.get("steps", {}).get(t, {}).get(q)
    if q.startswith("initial_state."):
        return given.get("initial_state", {}).get(q.split(".", 1)[1])
    return given.get(q)


def _mark(value, bad):
    return f"[red]{value} ✗[/]" if bad else f"[green]{value} ✓[/]"


def _cell(result, q, t, index, bad):
    """Compact, as the forward tables: the reference value (✓ when the author's agrees),
    a K or A line only where TensorFlow or the author differs from it."""
    case = result.case
    author = _author(case, q, t)
    author_bad = (q, t, index, "expected-reference") in bad
    lines = [f"[bold]{fmt(value(case, result.gradients, q, t)[index])}[/]"
             + (" [green]✓[/]" if author is not None and not author_bad else "")]
    if result.keras_gradients is not None and (q, t, index, "keras-reference") in bad:
        tf = value(case, result.keras_gradients, q, t)[index]
        lines.append(_mark(f"K {fmt(tf)}", True))
    if author is not None and author_bad:
        lines.append(_mark(f"A {fmt(author[index])}", True))
    return "\n".join(lines)


def render(console, result):
    """The backward pass of one verified case (nothing when the case has none)."""
    case = result.case
    if result.gradients is None:
        return
    bad = {(m.quantity, m.t if m.quantity != "inputs" else None, m.index, m.between)
           for m in result.gradient_mismatches}
    tables.say(console, f"[dim]{LEGEND}[/]")
    rows = step_rows(case.cell)
    units, units_note = tables.units_to_show(case.units, {
        m.index[-1] for m in result.gradient_mismatches
        if m.t is not None and m.quantity in rows and m.index is not None})
    for t in range(case.steps, 0, -1):
        for b in range(case.batch):
            batch = f", batch {b}" if case.batch > 1 else ""
            masked = " (masked: gradients pass through)" if result.reference.masked[t - 1, b] \
                else ""
            console.print(*tables.fitted(
                f"backward, step {t}{batch}{masked}", [q.replace("_tilde", "~") for q in rows],
                [f"unit {u}" for u in units],
                [[_cell(result, q, t, (b, u), bad) for u in units] for q in rows],
                console.width, span=tables.unit_span))
    if units_note:
        tables.say(console, f"[dim]{units_note}[/]")
    _render_weights(console, case, result.gradients, result.gradient_mismatches)


def _render_weights(console, case, grads, mismatches=None):
    """Each weight gradient in the case's own form, the inputs' and the initial state's,
    one matrix row per line; with ``mismatches`` (verify), each marked ✓ or ✗."""
    named = in_case_form(case, case.kernel, case.recurrent_kernel, case.bias)
    names = list(named) + ["inputs"] + [f"initial_state.{s}" for s in case.cell.states]
    for q in names:
        ref = value(case, grads, q, None)
        mark = ""
        if mismatches is not None:
            wrong = any(m.quantity == q for m in mismatches)
            given = " (the author's given)" if _author(case, q, None) is not None else ""
            mark = (" [red]✗[/]" if wrong else " [green]✓[/]") + given
        if ref.size > MAX_WEIGHT_VALUES:
            tables.say(console, f"dL/d{escape(q)}: {'x'.join(map(str, ref.shape))} values, "
                                f"max |value| {fmt(np.max(np.abs(ref)))}{mark}", 2)
        else:
            tables.say_array(console, f"dL/d{q}", ref, mark)


def render_mismatches(console, result, limit=20):
    batch = result.case.batch
    for m in result.gradient_mismatches[:limit]:
        source = "author" if m.between == "expected-reference" else "TensorFlow"
        other = m.expected if source == "author" else m.keras
        tables.say(console, f"[red]✗[/] {describe_position(m, batch)}: {source} {fmt(other)}, "
                            f"reference {fmt(m.reference)}"
                            + ("" if m.keras is None else f", TensorFlow {fmt(m.keras)}"), 2)
    if len(result.gradient_mismatches) > limit:
        console.print(f"  ... and {len(result.gradient_mismatches) - limit} more gradient "
                      "mismatches (see --json)")
    explanation = result.backward_explanation
    if explanation is None or explanation.first is None:
        return
    tables.say_explanation(console, explanation, describe_position(explanation.first, batch),
                           label=" (backward)", numbers="gradients")


def render_trace(console, case, grads, all_units=False):
    """calc: the reference's gradients alone, each step from the last backwards (units
    past MAX_UNITS_SHOWN only with ``all_units``)."""
    tables.say(console, f"[dim]{LEGEND.split('; each cell')[0]}[/]")
    units, units_note = tables.leading_units(case.units, all_units)
    rows = step_rows(case.cell)
    for t in range(case.steps, 0, -1):
        for b in range(case.batch):
            batch = f", batch {b}" if case.batch > 1 else ""
            console.print(*tables.fitted(
                f"backward, step {t}{batch}", [q.replace("_tilde", "~") for q in rows],
                [f"unit {u}" for u in units],
                [[fmt(grads.steps[q][t - 1, b, u]) for u in units] for q in rows],
                console.width, span=tables.unit_span))
    if units_note:
        tables.say(console, f"[dim]{units_note}[/]")
    _render_weights(console, case, grads)
