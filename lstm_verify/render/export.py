"""`export CASE --format markdown|latex|html`: a worked solution to publish.

One document (title, setup, the cell's equations, inputs, weights split per gate, a
table of every gate at every step, the final state) built once from the reference
calculator (exact fractions where exact.numbers allows), then written as Markdown
(here), LaTeX (a compilable article: export_latex) or one self-contained HTML page
(export_html).
No TensorFlow, unless --with-keras asks for Keras's values (export_keras).
"""

from dataclasses import dataclass, field

from . import safe_text
from ..cells.teaching import (activated, book_form, equation_lines, options_text, symbol,
                             symbolic, two_bias_rows)
from .exact import numbers


def quantities(cell):
    """The columns of a step table: the pre-activations, then what the step shows."""
    return cell.pre_activations + cell.rows


@dataclass
class Table:
    caption: str
    header: list
    rows: list
    step: tuple = None            # (t, b) for a step's gate table: the HTML colours it
    values: list = field(default_factory=list)   # floats behind the rows, for colouring


@dataclass
class Document:
    """The worked solution as a list of blocks: ("h1"|"h2"|"p", text), ("math", lines),
    ("table", Table)."""

    title: str
    blocks: list
    case: object
    num: object


def document(case, precision=4, with_keras=False):
    num = numbers(case, precision)
    cell, fmt, tr = case.cell, num.fmt, num.trace
    blocks = []
    if case.description:
        blocks.append(("p", " ".join(case.description.split())))
    if case.source:
        blocks.append(("p", f"Source: {case.source}"))
    blocks.append(("h2", "Setup"))
    blocks.append(("p", _setup(case)))
    blocks.append(("p", f"Arithmetic: {num.note}."))
    blocks.append(("h2", "Equations"))
    blocks.append(("math", equations(case)))
    blocks.append(("h2", "Inputs"))
    blocks += [("table", table) for table in _inputs_tables(case, num)]
    blocks.append(("h2", "Weights per gate" if cell.gates else "Weights"))
    blocks.append(("p", _weights_paragraph(case)))
    for block in cell.blocks:
        for units in _unit_groups(case):
            blocks.append(("table", _weights_table(case, num, block, units)))
    blocks.append(("h2", "Every gate at every step" if cell.gates else "Every step"))
    for b in range(case.batch):
        for t in range(1, case.steps + 1):
            blocks.append(("table", _step_table(case, num, t, b)))
    blocks.append(("h2", "Final state"))
    for units in _unit_groups(case):
        header = ([] if case.batch == 1 else ["sequence"]) + ["", *map(_unit, units)]
        rows = []
        for b in range(case.batch):
            for name in cell.states:
                rows.append(([] if case.batch == 1 else [str(b)]) + [name]
                            + [fmt(tr.final[name][b, u]) for u in units])
        blocks.append(("table", Table(f"final {' and '.join(cell.states)}"
                                      + _group_note(case, units), header, rows)))
    from .export_author import author_blocks   # the author's numbers, when the case has them
    blocks += author_blocks(case, num, Table)
    from .export_backward import backward_blocks   # it builds on this module's Table
    blocks += backward_blocks(case, precision)         # nothing without `backward:`
    if with_keras:
        from .export_keras import keras_blocks  # TensorFlow starts here, only on request
        blocks += keras_blocks(case, precision)
    return Document(case.name, blocks, case, num)


def _setup(case):
    cell = case.cell
    return (f"{cell.title} (keras.layers.{cell.keras_layer}): "
            f"{case.units} unit{'' if case.units == 1 else 's'}, "
            f"input dimension {case.input_dim}, "
            f"{case.steps} time step{'' if case.steps == 1 else 's'}, batch {case.batch}; "
            + options_text(case).replace("recurrent_activation", "recurrent activation")
            + ("" if case.use_bias else ", no bias")
            + ("; go_backwards: step 1 reads the last input" if case.go_backwards else "")
            + ("; some steps are masked" if case.mask is not None and not case.mask.all()
               else "") + ".")


UNITS_PER_TABLE = 8   # tables with units as columns are cut so that they fit a page


def _unit_groups(case):
    return [range(u, min(u + UNITS_PER_TABLE, case.units))
            for u in range(0, case.units, UNITS_PER_TABLE)]


def _group_note(case, units):
    return "" if case.units <= UNITS_PER_TABLE else f" (units {units[0]}–{units[-1]})"


def _unit(u):
    return f"unit {u}"


def equations(case):
    """The cell's equations, each update on its own line."""
    return equation_lines(case, for_each="   (g = {})", separator=",  ", one_line=False)


def _weights_paragraph(case):
    blocks, pre = case.cell.blocks, case.cell.teaching.pre_activation
    if book_form(case):
        return ("W_g [units, input_dim], U_g [units, units] and b_g are the case's own, as "
                f"the book writes them, so z_g = {symbolic(pre(blocks[0], case), case, 'g')}; "
                "in the tables below, column u, row W_g[u, r] is the weight of unit u on "
                "x[r].")
    if len(blocks) == 1:
        g = blocks[0]
        return (f"W_{g}, U_{g} and b_{g} are Keras's kernel, recurrent_kernel and bias "
                f"(columns = units), so z_{g} = {symbolic(pre(g, case), case, g)}; a "
                f"textbook's W_{g} is the transpose.")
    names = ("W_g and U_g are gate g's block of Keras's kernel and recurrent_kernel "
             "(columns = units), b_g,in and b_g,rec its block of the bias's rows 0 and 1 (a "
             "textbook's b_ig and b_hg)" if two_bias_rows(case) else
             "W_g, U_g and b_g are gate g's block of Keras's kernel, recurrent_kernel and bias "
             "(columns = units)")
    first = symbolic(pre(blocks[0], case), case, "g")
    others = [g for g in blocks if symbolic(pre(g, case), case, "g") != first]
    elsewhere = "".join(f" (z_{g} as in the equations)" for g in others)
    return f"{names}, so z_g = {first}{elsewhere}; a textbook's W_g is the transpose."


def _inputs_tables(case, num):
    """Per sequence (and per 8 features), x in processing order, one column per feature."""
    tr, tables = num.trace, []
    masked = case.mask is not None and not case.mask.all()
    for b in range(case.batch):
        for start in range(0, case.input_dim, UNITS_PER_TABLE):
            features = range(start, min(start + UNITS_PER_TABLE, case.input_dim))
            header = ["step", "reads input"] + [f"x[{j}]" for j in features]
            rows = []
            for t in range(1, case.steps + 1):
                read = case.steps - t + 1 if case.go_backwards else t
                rows.append([str(t), str(read)] + [num.fmt(tr.x[t - 1, b, j]) for j in features]
                            + (["masked" if tr.masked[t - 1, b] else ""] if masked else []))
            caption = "inputs in processing order" + (f", sequence {b}" if case.batch > 1 else "")
            if case.input_dim > UNITS_PER_TABLE:
                caption += f" (features {features[0]}–{features[-1]})"
            tables.append(Table(caption, header + (["mask"] if masked else []), rows))
    return tables


def _weights_table(case, num, g, units):
    cols = [case.cell.blocks.index(g) * case.units + u for u in units]
    gate = next(gate for gate in activated(case.cell) if gate.block == g)
    title = gate.title + ("" if gate.symbol == g else f" {gate.symbol}")
    # Keras's kernel row r, column u is the book's W_g[u, r]: the same number, named as
    # the case wrote it
    w_row, u_row = (("W_{}[u, {}]", "U_{}[u, {}]") if book_form(case)
                    else ("W_{} row {}", "U_{} row {}"))
    rows = [[f"{w_row.format(g, r)} (x[{r}])"] + [num.fmt(v) for v in num.kernel[r, cols]]
            for r in range(case.input_dim)]
    rows += [[f"{u_row.format(g, r)} (h_prev[{r}])"]
             + [num.fmt(v) for v in num.recurrent_kernel[r, cols]] for r in range(case.units)]
    biases = []
    if two_bias_rows(case):
        biases = [(f"b_{g},in", num.bias[0, cols]), (f"b_{g},rec", num.bias[1, cols])]
    elif case.use_bias:
        biases = [(f"b_{g}", num.bias[cols])]
    rows += [[name] + [num.fmt(v) for v in values] for name, values in biases]
    caption = f"{title}: " + ", ".join([f"W_{g}", f"U_{g}"] + [name for name, _ in biases])
    return Table(caption + _group_note(case, units), [""] + [_unit(u) for u in units], rows)


def _step_table(case, num, t, b):
    tr, k, cell = num.trace, t - 1, case.cell
    who = f", sequence {b}" if case.batch > 1 else ""
    caption = f"step {t}{who}"
    if tr.masked[k, b]:
        caption += (f" (masked: {' and '.join(cell.states)} carried unchanged, gates not "
                    "applied)")
    rows, values = [], []
    for u in range(case.units):
        row_values = [tr.steps[q][k, b, u] for q in quantities(cell)]
        rows.append([str(u)] + [num.fmt(v) for v in row_values])
        values.append([float(v) for v in row_values])
    return Table(caption, ["unit"] + [symbol(cell, q) for q in quantities(cell)], rows,
                 step=(t, b), values=values)


def render(case, fmt, precision=4, with_keras=False):
    """The document as text in ``fmt`` (markdown, latex or html)."""
    doc = document(case, precision, with_keras)
    if fmt == "html":
        from .export_html import page
        return page(doc)
    if fmt == "latex":
        from .export_latex import latex
        return latex(doc)
    return markdown(doc)


# --- Markdown -------------------------------------------------------------------------

def markdown(doc):
    out = [f"# {safe_text.markdown(doc.title)}", ""]
    for kind, body in doc.blocks:
        if kind == "h2":
            out += [f"## {body}", ""]
        elif kind == "p":   # the case's own text: raw HTML in it is shown, not rendered
            out += [safe_text.markdown(body), ""]
        elif kind == "math":
            out += ["```", *body, "```", ""]
        else:
            out += [f"**{body.caption}**", "", _md_row(body.header),
                    "|" + "|".join("---" if n == 0 else "---:" for n in
                                   range(len(body.header))) + "|"]
            out += [_md_row(row) for row in body.rows] + [""]
    return "\n".join(out)


def _md_row(cells):
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def export(path, fmt, output=None, force=False, precision=4, max_values=None,
           with_keras=False):
    """Render the case at ``path``; print it, or write ``output`` atomically. Returns the
    path written, or None when printed."""
    from ..case import load_case
    from ..files import write_atomic

    case = load_case(path) if max_values is None else load_case(path, max_values=max_values)
    text = safe_text.visible(render(case, fmt, precision, with_keras))   # no terminal controls
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return None
    return write_atomic(output, text, overwrite=force)
