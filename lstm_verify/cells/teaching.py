"""What `explain` and `export` show of a cell: its equations as small expressions, and
its diagram as plain geometry.

A cell's step computes; these say the same sums in a form a walkthrough can write
out three ways — as symbols (``c = f·c_prev + i·c̃``), with the numbers put in
(``c[0] = 1·0.5 + 2/3·1``), and evaluated (a test checks every cell's expressions
against its step).  The renderers read them; they never name a gate.

    Q("f")                                  a per-step quantity at this unit
    Dot(("x",), "kernel")                   x · the block's column of kernel
    Dot(("r", "h_prev"), "recurrent_kernel")   (r ⊙ h_prev) · a recurrent_kernel column
    Bias()  Bias(0)  Bias(1)                the block's bias (or the GRU's input/recurrent row)
    Sum(...)  Product(...)  OneMinus(Q("z"))  Act("activation", Q("c"))
"""

from typing import NamedTuple

# NamedTuples, not frozen dataclasses: the same immutable records, made ~6x faster at
# import (every command imports the cells; calc must start in 1.5x `import numpy`).


class Q(NamedTuple):
    name: str


class Dot(NamedTuple):
    vector: tuple          # quantity names multiplied elementwise: ("x",), ("r", "h_prev")
    weights: str           # "kernel" or "recurrent_kernel"


class Bias(NamedTuple):
    row: int = None        # None: bias is [n*units]; 0/1: a GRU's input/recurrent row


class Sum(NamedTuple):
    terms: tuple


class Product(NamedTuple):
    factors: tuple


class OneMinus(NamedTuple):
    arg: object


class Act(NamedTuple):
    role: str              # "activation" or "recurrent": the case option it comes from
    arg: object


class Update(NamedTuple):
    """A quantity a step computes from its gates (the LSTM's c and h, the GRU's h)."""

    name: str
    title: str             # "cell state"
    expression: object


# The two vectors every gate reads in full, drawn below the cell as strips of values:
# (quantity, symbol, subscript, x, y, width) in SVG user units; each cell wires the
# strips' feeds (from (40, 420) and (600, 420)) into its buses.
INPUTS = (("h_prev", "h", "t-1", 10, 420, 550), ("x", "x", "t", 580, 420, 370))


class Diagram(NamedTuple):
    """The cell drawn on the HTML page (SVG user units, 960 wide; the input strips below
    y = 420 make it as tall as they need)."""

    caption: str           # for screen readers
    boxes: tuple           # (quantity, x, y): one box per activated quantity, with its value
    notes: tuple           # (x, y, width, height, role, argument): role(argument), no value;
                           # role None: the argument is the note's whole text
    nodes: tuple           # (x, y, sign): ×, +, 1−
    wires: tuple           # (x1, y1, x2, y2, arrow)
    ends: tuple            # (x, y, name, subscript): the labels c_t-1, c_t, h_t
    values: tuple          # (x, y, quantity): where a clicked row's c_prev, c, h go
    inputs: tuple = INPUTS


class Teaching(NamedTuple):
    """``activated``: the quantities a step gets as act(pre-activation), each a Gate
    (None: the cell's gates; a SimpleRNN's h).  ``pre_activation(block, case)``:
    z_block as an expression.  ``updates``: what follows from them, in order."""

    activated: tuple
    pre_activation: object
    updates: tuple
    diagram: object            # a Diagram, or diagram(case) -> Diagram (the GRU's options)
    backward: object = None    # Backward: the backward step as explain walks through it
    # other quantities a step computes and an author may write, each an Update whose
    # expression is part of an update's (the LSTM's act_c = act(c), inside h = o·act(c))
    extras: tuple = ()


class BackwardLine(NamedTuple):
    """One equation of a cell's backward step as a walkthrough writes it.  ``formula``
    names the activations {act} and {rec}: "dh·o·{act}'(c)" (or is formula(case) -> str).
    ``numbers(v, n)`` writes it at one unit with the numbers put in: ``v`` maps each
    forward quantity, each gradient and d<state>_in (what later steps send to the state)
    to its value there; ``n.f(value)`` writes a factor, ``n.slope(role, z, y)`` the
    derivative of the role's activation at z (giving y).  None: a product of vectors,
    given by its value."""

    name: str
    formula: object
    numbers: object = None


class Backward(NamedTuple):
    """``lines``: BackwardLine in the order the backward step computes them; ``carry``:
    (state, formula) for the gradient sent to each state before the step; ``inputs``:
    the formula of dL/dx_t."""

    lines: tuple
    carry: tuple
    inputs: str


def diagram(case):
    """The case's cell drawing: a Diagram, drawn for the case's options where they matter."""
    drawing = case.cell.teaching.diagram
    return drawing(case) if callable(drawing) else drawing


def activated(cell):
    """The Gates a step computes as act(pre-activation), in order."""
    return cell.gates if cell.teaching.activated is None else cell.teaching.activated


# ----------------------------------------------------------------------- as symbols

def symbol(cell, name):
    """How equations write a quantity: c̃ for c_tilde, c_prev as it is."""
    return next((g.symbol for g in activated(cell) if g.name == name), name)


def activation_name(case, role):
    name = case.activation if role == "activation" else case.recurrent_activation
    return name or "linear"


def two_bias_rows(case):
    """True when the case's bias has an input row and a recurrent row (a GRU with
    reset_after)."""
    return case.use_bias and len(case.cell.bias_shape(case.units, case.reset_after)[0]) == 2


def options_text(case):
    """'activation tanh, recurrent_activation sigmoid, reset_after true': the cell's."""
    names = ["activation"] + (["recurrent_activation"]
                              if case.cell.has_recurrent_activation else [])
    parts = [f"{name} {activation_name(case, name.split('_')[0])}" for name in names]
    for key in case.cell.options:
        value = getattr(case, key)
        parts.append(f"{key} {str(value).lower() if isinstance(value, bool) else value}")
    return ", ".join(parts)


def book_form(case):
    """True when the case wrote its weights as a textbook does (W_g [units, input_dim],
    applied as W_g·x): then W_g is the case's own matrix, shown as the book writes it."""
    return case.weight_form in ("per-gate", "concatenated")


def symbolic(expr, case, block=None, show_linear=True, unit=None):
    """The expression in symbols; ``block`` names the weight block (or "g" for any).
    With ``show_linear`` false, a linear activation is left out: h = o·c.  A textbook
    case keeps the book's order, W_g·x; a Keras-form case x·W_g (W_g a kernel block).
    With ``unit``, a quantity read at that unit is indexed: o[0]·tanh(c[0])."""
    def text(e, inside=False):
        if isinstance(e, Q):
            return symbol(case.cell, e.name) + ("" if unit is None else f"[{unit}]")
        if isinstance(e, Dot):
            vector = "·".join(e.vector)
            vector = f"({vector})" if len(e.vector) > 1 else vector
            matrix = f"{'W' if e.weights == 'kernel' else 'U'}_{block}"
            dot = f"{matrix}·{vector}" if book_form(case) else f"{vector}·{matrix}"
            return f"({dot})" if inside else dot
        if isinstance(e, Bias):
            return f"b_{block}" + ("" if e.row is None else (",in", ",rec")[e.row])
        if isinstance(e, Sum):
            if len(e.terms) == 1:
                return text(e.terms[0], inside)
            joined = " + ".join(text(t) for t in e.terms)
            return f"({joined})" if inside else joined
        if isinstance(e, Product):      # factors bracketed: r·(h_prev·U_h + b_h,rec)
            return "·".join(text(f, inside=True) for f in e.factors)
        if isinstance(e, OneMinus):
            return f"(1 − {text(e.arg)})"
        name = activation_name(case, e.role)
        if name == "linear" and not show_linear:
            return text(e.arg, inside)
        return f"{name}({text(e.arg)})"
    return text(expr)


def parts(expr):
    """The expressions an expression is made of (none for Q, Dot and Bias)."""
    if isinstance(expr, Sum):
        return expr.terms
    if isinstance(expr, Product):
        return expr.factors
    return (expr.arg,) if isinstance(expr, (OneMinus, Act)) else ()


def has_linear_activation(expr, case):
    """True when the expression applies an activation that is linear in this case."""
    return (isinstance(expr, Act) and activation_name(case, expr.role) == "linear") or \
        any(has_linear_activation(p, case) for p in parts(expr))


def equation_lines(case, for_each="   for g in {}", separator="   ", one_line=True):
    """The cell's equations, one pre-activation form per line (blocks that share one
    are written once for g), then the activations, then the updates (on one line, or
    each on its own)."""
    teaching = case.cell.teaching
    forms = {}
    for block in case.cell.blocks:
        general = symbolic(teaching.pre_activation(block, case), case, "g")
        forms.setdefault(general, []).append(block)
    lines = []
    for general, blocks in forms.items():
        if len(blocks) > 1:
            lines.append(f"z_g = {general}{for_each.format(', '.join(blocks))}")
        else:
            block = blocks[0]
            lines.append(f"z_{block} = "
                         + symbolic(teaching.pre_activation(block, case), case, block))
    lines.append(separator.join(f"{g.symbol} = {activation_name(case, g.role)}(z_{g.block})"
                                for g in activated(case.cell)))
    updates = [f"{u.name} = {symbolic(u.expression, case)}" for u in teaching.updates]
    if updates:
        lines += [separator.join(updates)] if one_line else updates
    return lines


# ----------------------------------------------------------------------- evaluated

def column(case, block, u):
    """The column of kernel, recurrent_kernel and bias that unit u of a block reads."""
    return case.cell.blocks.index(block) * case.units + u


def left_vector(dot, values):
    """The row vector a Dot multiplies: x, h_prev, or r ⊙ h_prev. (F,) or (U,)."""
    vector = values[dot.vector[0]]
    for name in dot.vector[1:]:
        vector = vector * values[name]
    return vector


def evaluate(expr, values, u, weights=None, col=None, act=None):
    """The expression's value at unit u.  ``values``: {quantity: (U,)} of one step and
    sequence (x (F,) too); ``weights``: {kernel, recurrent_kernel, bias} with ``col``
    the unit's column; ``act``: {role: function of one number}.  Works on floats and on
    Fractions alike."""
    def value(e):
        if isinstance(e, Q):
            return values[e.name][u]
        if isinstance(e, Dot):
            return sum(left_vector(e, values) * weights[e.weights][:, col])
        if isinstance(e, Bias):
            bias = weights["bias"]
            return bias[col] if e.row is None else bias[e.row, col]
        if isinstance(e, Sum):
            return sum(value(t) for t in e.terms)
        if isinstance(e, Product):
            out = 1
            for f in e.factors:
                out = out * value(f)
            return out
        if isinstance(e, OneMinus):
            return 1 - value(e.arg)
        return act[e.role](value(e.arg))
    return value(expr)
