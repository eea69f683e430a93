"""calc's forward trace: the reference's pre-activations, gates and states per step, in
tables cut to the terminal's width as verify's are. No computation here."""

from . import tables
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


def _options(case):
    options = [f"units={case.units}", f"input_dim={case.input_dim}", f"steps={case.steps}",
               f"batch={case.batch}", f"activation={case.activation or 'linear'}"]
    if case.cell.has_recurrent_activation:
        options.append(f"recurrent_activation={case.recurrent_activation or 'linear'}")
    if "reset_after" in case.cell.options:
        options.append(f"reset_after={'true' if case.reset_after else 'false'}")
    return " ".join(options) + (" go_backwards" if case.go_backwards else "")


def render_trace(console, case, trace, all_units=False):
    """The reference calculator's full trace: each step's input, a table of its
    pre-activations, gates and states (units past MAX_UNITS_SHOWN only with
    ``all_units``), then every unit of the final state."""
    tables.heading(console, f"[bold]{escape(case.name)}[/]  [dim]{escape(str(case.path))}[/]")
    tables.say(console, f"{case.cell.title}: {_options(case)}")
    units, units_note = tables.leading_units(case.units, all_units)
    rows = trace_rows(case.cell)
    for b in range(case.batch):
        batch = f", batch {b}" if case.batch > 1 else ""
        for k in range(case.steps):
            masked = " (masked: state carried over)" if trace.masked[k, b] else ""
            tables.say_array(console, f"step {k + 1}{batch}: x", trace.x[k, b], indent=0)
            console.print(*tables.fitted(
                f"step {k + 1}{batch}{masked}", [name for _, name in rows],
                [f"unit {u}" for u in units],
                [[fmt(trace.steps[key][k, b, u]) for u in units] for key, _ in rows],
                console.width, span=tables.unit_span))
        for s in case.cell.states:
            tables.say_array(console, f"final {s}{batch}", trace.final[s][b], indent=0)
    if units_note:
        tables.say(console, f"[dim]{units_note}[/]")
