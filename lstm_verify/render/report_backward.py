"""Render the backward pass: per-step gradient tables in reverse step order, the weight
gradients, and the gradient mismatches. No computation here."""

import numpy as np
from rich.markup import escape

from ..arithmetic import fmt
from ..backward.compare import describe_position, value
from ..backward.forms import in_case_form, step_rows

LEGEND = ("backward pass: L = Σ upstream·outputs (or ½·Σ(output − target)²), a sum over "
          "batch, time and units, never a mean; dh at step t is the whole dL/dh_t (from "
          "that step's output and from step t+1), dc likewise; di, df, ... are with respect "
          "to the gates after their activation, dz_… before it; each cell: reference / "
          "K = TensorFlow's gradient tape / A = author")
MAX_UNITS_SHOWN = 8
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
    case = result.case
    lines = [f"[bold]{fmt(value(case, result.gradients, q, t)[index])}[/]"]
    if result.keras_gradients is not None:
        tf = value(case, result.keras_gradients, q, t)[index]
        lines.append(_mark(f"K {fmt(tf)}", (q, t, index, "keras-reference") in bad))
    author = _author(case, q, t)
    if author is not None:
        lines.append(_mark(f"A {fmt(author[index])}", (q, t, index, "expected-reference")
                           in bad))
    return "\n".join(lines)


def render(console, result):
    """The backward pass of one verified case (nothing when the case has none)."""
    from rich.table import Table

    case = result.case
    if result.gradients is None:
        return
    bad = {(m.quantity, m.t if m.quantity != "inputs" else None, m.index, m.between)
           for m in result.gradient_mismatches}
    console.print(f"[dim]{LEGEND}[/]")
    units = min(case.units, MAX_UNITS_SHOWN)
    for t in range(case.steps, 0, -1):
        for b in range(case.batch):
            batch = f", batch {b}" if case.batch > 1 else ""
            masked = " (masked: gradients pass through)" if result.reference.masked[t - 1, b] \
                else ""
            table = Table(title=f"backward, step {t}{batch}{masked}", title_justify="left",
                          show_lines=True)
            table.add_column("")
            for u in range(units):
                table.add_column(f"unit {u}", justify="right")
            for q in step_rows(case.cell):
                table.add_row(q.replace("_tilde", "~"),
                              *(_cell(result, q, t, (b, u), bad) for u in range(units)))
            console.print(table)
    _render_weights(console, case, result.gradients, result.gradient_mismatches)


def _nested(array):
    """[[1, 2], [3, 4]] with each number as fmt writes it, on one line."""
    if np.ndim(array) == 0:
        return fmt(array)
    return "[" + ", ".join(_nested(row) for row in array) + "]"


def _render_weights(console, case, grads, mismatches=None):
    """Each weight gradient in the case's own form, the inputs' and the initial state's;
    with ``mismatches`` (verify), each marked ✓ or ✗."""
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
            console.print(f"  dL/d{escape(q)}: {'x'.join(map(str, ref.shape))} values, max "
                          f"|value| {fmt(np.max(np.abs(ref)))}{mark}")
        else:
            console.print(f"  dL/d{escape(q)} = {_nested(ref)}{mark}", soft_wrap=True)


def render_mismatches(console, result, limit=20):
    for m in result.gradient_mismatches[:limit]:
        source = "author" if m.between == "expected-reference" else "TensorFlow"
        other = m.expected if source == "author" else m.keras
        console.print(f"  [red]✗[/] {describe_position(m)}: {source} {fmt(other)}, "
                      f"reference {fmt(m.reference)}"
                      + ("" if m.keras is None else f", TensorFlow {fmt(m.keras)}"))
    if len(result.gradient_mismatches) > limit:
        console.print(f"  ... and {len(result.gradient_mismatches) - limit} more gradient "
                      "mismatches (see --json)")
    explanation = result.backward_explanation
    if explanation is None or explanation.first is None:
        return
    m = explanation.first
    console.print(f"  first divergence (backward): {describe_position(m)}: author "
                  f"{fmt(m.expected)}, reference {fmt(m.reference)}")
    for d in explanation.diagnoses:
        console.print(f"  [yellow]diagnosis:[/] {escape(d.text)} ({d.id}); recomputed that "
                      f"way, all {explanation.given} of the author's gradients come out")
    if explanation.note:
        console.print(f"  {escape(explanation.note)}")


def render_trace(console, case, grads):
    """calc: the reference's gradients alone, each step from the last backwards."""
    from rich.table import Table

    console.print(f"[dim]{LEGEND.split('; each cell')[0]}[/]")
    for t in range(case.steps, 0, -1):
        for b in range(case.batch):
            batch = f", batch {b}" if case.batch > 1 else ""
            table = Table(title=f"backward, step {t}{batch}", title_justify="left")
            table.add_column("")
            for u in range(case.units):
                table.add_column(f"unit {u}", justify="right")
            for q in step_rows(case.cell):
                table.add_row(q.replace("_tilde", "~"),
                              *(fmt(v) for v in grads.steps[q][t - 1, b]))
            console.print(table)
    _render_weights(console, case, grads)
