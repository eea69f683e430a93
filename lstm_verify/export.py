"""`export CASE --format markdown|latex|html`: a worked solution to publish.

One document (title, setup, equations, inputs, weights split per gate, a table of
every gate at every step, the final state) built once from the reference calculator
(exact fractions where exact.numbers allows), then written as Markdown (here), LaTeX
(a compilable article: export_latex) or one self-contained HTML page (export_html).
No TensorFlow, unless --with-keras asks for Keras's values (export_keras).
"""

from dataclasses import dataclass, field

from . import activations, safe_text
from .exact import numbers

QUANTITIES = ("z_i", "z_f", "z_c", "z_o", "i", "f", "c_tilde", "o", "c", "h")
LABEL = {"z_i": "z_i", "z_f": "z_f", "z_c": "z_c", "z_o": "z_o", "i": "i", "f": "f",
         "c_tilde": "c̃", "o": "o", "c": "c", "h": "h"}
GATE_BLOCKS = (("i", "input gate"), ("f", "forget gate"), ("c", "candidate c̃"),
               ("o", "output gate"))


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
    act = activations.display_name(case.activation)
    rec = activations.display_name(case.recurrent_activation)
    fmt, tr = num.fmt, num.trace
    blocks = []
    if case.description:
        blocks.append(("p", " ".join(case.description.split())))
    if case.source:
        blocks.append(("p", f"Source: {case.source}"))
    blocks.append(("h2", "Setup"))
    blocks.append(("p", f"{case.units} unit{'' if case.units == 1 else 's'}, "
                        f"input dimension {case.input_dim}, "
                        f"{case.steps} time step{'' if case.steps == 1 else 's'}, "
                        f"batch {case.batch}; activation {act}, "
                        f"recurrent activation {rec}"
                        + ("" if case.use_bias else ", no bias")
                        + ("; go_backwards: step 1 reads the last input" if case.go_backwards
                           else "")
                        + ("; some steps are masked" if case.mask is not None
                           and not case.mask.all() else "") + "."))
    blocks.append(("p", f"Arithmetic: {num.note}."))
    blocks.append(("h2", "Equations"))
    blocks.append(("math", equations(case, act, rec)))
    blocks.append(("h2", "Inputs"))
    blocks += [("table", table) for table in _inputs_tables(case, num)]
    blocks.append(("h2", "Weights per gate"))
    blocks.append(("p", "W_g, U_g and b_g are gate g's block of Keras's kernel, "
                        "recurrent_kernel and bias (columns = units), so z_g = x·W_g + "
                        "h_prev·U_g + b_g; a textbook's W_g is the transpose."))
    for g, title in GATE_BLOCKS:
        for units in _unit_groups(case):
            blocks.append(("table", _weights_table(case, num, g, title, units)))
    blocks.append(("h2", "Every gate at every step"))
    for b in range(case.batch):
        for t in range(1, case.steps + 1):
            blocks.append(("table", _step_table(case, num, t, b)))
    blocks.append(("h2", "Final state"))
    for units in _unit_groups(case):
        header = ([] if case.batch == 1 else ["sequence"]) + ["", *map(_unit, units)]
        rows = []
        for b in range(case.batch):
            for name, values in (("h", tr.final_h[b]), ("c", tr.final_c[b])):
                rows.append(([] if case.batch == 1 else [str(b)]) + [name]
                            + [fmt(values[u]) for u in units])
        blocks.append(("table", Table("final h and c" + _group_note(case, units), header,
                                      rows)))
    if with_keras:
        from .export_keras import keras_blocks  # TensorFlow starts here, only on request
        blocks += keras_blocks(case, precision)
    return Document(case.name, blocks, case, num)


UNITS_PER_TABLE = 8   # tables with units as columns are cut so that they fit a page


def _unit_groups(case):
    return [range(u, min(u + UNITS_PER_TABLE, case.units))
            for u in range(0, case.units, UNITS_PER_TABLE)]


def _group_note(case, units):
    return "" if case.units <= UNITS_PER_TABLE else f" (units {units[0]}–{units[-1]})"


def _unit(u):
    return f"unit {u}"


def equations(case, act, rec):
    bias = " + b_g" if case.use_bias else ""
    return [f"z_g = x·W_g + h_prev·U_g{bias}   (g = i, f, c, o)",
            f"i = {rec}(z_i),  f = {rec}(z_f),  c̃ = {act}(z_c),  o = {rec}(z_o)",
            "c = f·c_prev + i·c̃",
            f"h = o·{act}(c)"]


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


def _weights_table(case, num, g, title, units):
    block = "ifco".index(g)
    cols = [block * case.units + u for u in units]
    rows = [[f"W_{g} row {r} (x[{r}])"] + [num.fmt(v) for v in num.kernel[r, cols]]
            for r in range(case.input_dim)]
    rows += [[f"U_{g} row {r} (h_prev[{r}])"] + [num.fmt(v)
                                                  for v in num.recurrent_kernel[r, cols]]
             for r in range(case.units)]
    if case.use_bias:
        rows.append([f"b_{g}"] + [num.fmt(v) for v in num.bias[cols]])
    caption = f"{title}: W_{g}, U_{g}" + (f", b_{g}" if case.use_bias else "")
    return Table(caption + _group_note(case, units), [""] + [_unit(u) for u in units], rows)


def _step_table(case, num, t, b):
    tr, k = num.trace, t - 1
    who = f", sequence {b}" if case.batch > 1 else ""
    caption = f"step {t}{who}"
    if tr.masked[k, b]:
        caption += " (masked: h and c carried unchanged, gates not applied)"
    rows, values = [], []
    for u in range(case.units):
        row_values = [getattr(tr, q)[k, b, u] for q in QUANTITIES]
        rows.append([str(u)] + [num.fmt(v) for v in row_values])
        values.append([float(v) for v in row_values])
    return Table(caption, ["unit"] + [LABEL[q] for q in QUANTITIES], rows, step=(t, b),
                 values=values)


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
    from .case import load_case
    from .files import write_atomic

    case = load_case(path) if max_values is None else load_case(path, max_values=max_values)
    text = safe_text.visible(render(case, fmt, precision, with_keras))   # no terminal controls
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return None
    return write_atomic(output, text, overwrite=force)
