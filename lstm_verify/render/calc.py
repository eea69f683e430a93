"""`calc CASE`: the reference calculator's full trace as tables. No computation here."""

from .safe_text import markup as escape
from ..arithmetic import fmt


def trace_rows(cell):
    """The rows of calc's table: each gate after its pre-activation, then the states."""
    rows, shown = [], set()
    for gate in cell.gates:
        rows += [(f"z_{gate.block}", f"z_{gate.block}"), (gate.name, gate.symbol)]
        shown.add(f"z_{gate.block}")
    rows += [(z, z) for z in cell.pre_activations if z not in shown]
    return rows + [(q, q) for q in cell.rows if q in cell.states]


def render_trace(console, case, trace):
    """The reference calculator's full trace: pre-activations, gates and states per step."""
    from rich.table import Table

    console.rule(f"[bold]{escape(case.name)}[/]  [dim]{escape(str(case.path))}[/]",
                 align="left")
    options = [f"units={case.units}", f"input_dim={case.input_dim}", f"steps={case.steps}",
               f"batch={case.batch}", f"activation={case.activation or 'linear'}"]
    if case.cell.has_recurrent_activation:
        options.append(f"recurrent_activation={case.recurrent_activation or 'linear'}")
    if "reset_after" in case.cell.options:
        options.append(f"reset_after={'true' if case.reset_after else 'false'}")
    console.print(f"{case.cell.title}: " + " ".join(options) + (" go_backwards" if case.go_backwards else ""))
    for b in range(case.batch):
        for k in range(case.steps):
            masked = " (masked: state carried over)" if trace.masked[k, b] else ""
            batch = f", batch {b}" if case.batch > 1 else ""
            table = Table(title=f"step {k + 1}{batch}{masked}  x = "
                          f"[{', '.join(fmt(v) for v in trace.x[k, b])}]",
                          title_justify="left")
            table.add_column("")
            for u in range(case.units):
                table.add_column(f"unit {u}", justify="right")
            for key, name in trace_rows(case.cell):
                table.add_row(name, *(fmt(v) for v in trace.steps[key][k, b]))
            console.print(table)
        console.print("final " + ", ".join(
            f"{s} = [{', '.join(fmt(v) for v in trace.final[s][b])}]"
            for s in case.cell.states))
