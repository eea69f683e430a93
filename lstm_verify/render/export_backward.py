"""The backward pass in `export` (Markdown, LaTeX, HTML): the gradient definitions, the
cell's backward equations, a table of every gradient at every step in reverse
processing order, and the weight, input and initial-state gradients, the weights' in
the case's own weight form.  Built from exact_backward.backward_numbers (exact
fractions where the forward pass is exact) as export's blocks; no TensorFlow.
"""

from ..backward.forms import step_rows
from .exact_backward import backward_numbers
from .export import Table
from .explain_backward import definitions, equations, loss_text, name, weight_gradients

COLUMNS_PER_TABLE = 8   # as export's UNITS_PER_TABLE: a table must fit a page


def backward_blocks(case, precision=4):
    """export's blocks for the backward pass (none for a case without `backward:`)."""
    if case.backward is None:
        return []
    bn = backward_numbers(case, precision)
    blocks = [("h2", "The backward pass"),
              ("p", f"{loss_text(case)[0].upper()}{loss_text(case)[1:]}; {definitions(case)}."),
              ("p", f"Arithmetic of the backward pass: {bn.note}."),
              ("math", [_as_equation(line) for line in equations(case)]),
              ("h2", "Every gradient at every step, last step first")]
    for b in range(case.batch):
        for k in reversed(range(case.steps)):
            blocks.append(("table", _step_table(case, bn, k, b)))
    blocks.append(("h2", "Weight gradients"))
    blocks.append(("p", "Summed over steps and sequences, named as the case names its "
                   "weights (rows and columns as in the case)."))
    for key, value in weight_gradients(case, bn).items():
        blocks += [("table", table) for table in _matrix_tables(f"dL/d{key}", value, bn)]
    blocks.append(("h2", "Input and initial-state gradients"))
    blocks += [("table", t) for t in _input_tables(case, bn)]
    return blocks


def _as_equation(line):
    """'to step t-1: dc_prev = dc·f' -> 'dc_prev = dc·f'; Uᵀ as U^T (LaTeX maths reads it)."""
    return line.split(": ", 1)[-1].replace("ᵀ", "^T")


def _step_table(case, bn, k, b):
    rows_of_step, tr = step_rows(case.cell), bn.num.trace
    caption = f"step {k + 1}, backwards" + (f", sequence {b}" if case.batch > 1 else "")
    if tr.masked[k, b]:
        caption += (" (masked: no gate gradient; "
                    f"{' and '.join('d' + s for s in case.cell.states)} passed through)")
    steps = bn.gradients.steps
    rows = [[str(u)] + [bn.num.fmt(steps[q][k, b, u]) for q in rows_of_step]
            for u in range(case.units)]
    return Table(caption, ["unit"] + [name(case.cell, q) for q in rows_of_step], rows)


def _matrix_tables(title, value, bn):
    """A vector as one row; a matrix row by row, its columns cut into page-wide groups."""
    matrix = value if value.ndim == 2 else value[None]
    tables = []
    for start in range(0, matrix.shape[1], COLUMNS_PER_TABLE):
        cols = range(start, min(start + COLUMNS_PER_TABLE, matrix.shape[1]))
        caption = title + ("" if matrix.shape[1] <= COLUMNS_PER_TABLE
                           else f" (columns {cols[0]}–{cols[-1]})")
        rows = [[f"row {r}" if value.ndim == 2 else ""] + [bn.num.fmt(v) for v in
                                                           matrix[r, cols.start:cols.stop]]
                for r in range(matrix.shape[0])]
        tables.append(Table(caption, [""] + [f"col {j}" for j in cols], rows))
    return tables


def _input_tables(case, bn):
    g, fmt, tables = bn.gradients, bn.num.fmt, []
    for b in range(case.batch):
        who = f", sequence {b}" if case.batch > 1 else ""
        rows = [[str(t + 1)] + [fmt(v) for v in g.inputs[b, t]] for t in range(case.steps)]
        tables.append(Table(f"dL/dx in input order{who}",
                            ["input"] + [f"dx[{j}]" for j in range(case.input_dim)], rows))
    rows = [[f"d{s}_0" + (f", sequence {b}" if case.batch > 1 else "")]
            + [fmt(v) for v in g.initial_state[s][b]]
            for b in range(case.batch) for s in case.cell.states]
    tables.append(Table("dL/d(initial state)", [""] + [f"unit {u}" for u in range(case.units)],
                        rows))
    return tables
