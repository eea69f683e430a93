"""`explain CASE`: a walkthrough of the arithmetic, step by step, for a class.

For each step and sequence: each gate's pre-activation (z = x·W + h·U + b for most,
a GRU candidate's with its reset gate) with the numbers put in, unit by unit, then its
activation, then the states (an LSTM's c and h, a GRU's h).  What is summed comes from
the cell's own expressions (cells/teaching.py); the numbers from exact.numbers: exact
fractions (2/3, 7/6) where the maths allows, else decimals.  Big cases are summarised
by the thresholds below, and the walkthrough says what it left out.  Plain text; no
TensorFlow.
"""

from ..cells.teaching import (Act, Bias, Dot, OneMinus, Product, Q, Sum, activated, book_form,
                             activation_name, column, equation_lines, evaluate,
                             has_linear_activation, left_vector, options_text, parts,
                             symbolic, two_bias_rows)
from .exact import activation_text, apply, approx, numbers
from .explain_backward import walkthrough as backward_walkthrough

FULL_UNITS = 4      # more units than this: units 0 and 1 in full, the rest as values
UNITS_IN_FULL = 2
FULL_TERMS = 6      # a dot product with more terms is given by its value alone
FULL_STEPS = 8      # more steps: the first two and the last in full, the rest as states
FULL_BATCH = 2      # more sequences: sequence 0 in full, the others as final states
MAX_VECTOR = 8      # values listed in a vector before "…"


def walkthrough(case, precision=4):
    """The walkthrough as a list of text lines."""
    num = numbers(case, precision)
    plan = _plan(case)
    lines = [f"Walkthrough: {case.name}  ({case.path})"]
    if case.description:
        lines.append(" ".join(case.description.split()))
    lines += [
        f"units {case.units}, input_dim {case.input_dim}, {_count(case.steps, 'step')}, "
        f"batch {case.batch}; {options_text(case)}"
        + (", go_backwards (step 1 reads the last input)" if case.go_backwards else ""),
        f"Arithmetic: {num.note}.",
        "",
        f"Equations (Keras's {case.cell.keras_cell}; {_weights_note(case)}):",
        *("  " + line for line in equation_lines(case)),
    ]
    if plan["notes"]:
        lines += ["", "Summarised (a big case): " + "; ".join(plan["notes"]) + "."]
    for b in plan["batch"]:
        for t in range(1, case.steps + 1):
            if t in plan["steps"]:
                lines += ["", *_step(case, num, plan, t, b)]
            else:   # consecutive summary lines form one block
                lines += ([] if t - 1 not in plan["steps"] else [""]) + [
                    _step_summary(case, num, t, b)]
    lines += ["", "Final state" + (":" if case.batch == 1 else " (per sequence):")]
    for b in range(case.batch):
        label = "  " if case.batch == 1 else f"  sequence {b}: "
        lines.append(label + _states(case, num, num.trace.final, b))
    return lines + backward_walkthrough(case, precision)   # nothing without `backward:`


def _weights_note(case):
    if book_form(case):
        return ("W_g [units, input_dim], U_g [units, units], b_g as the case writes them "
                "(the book's form, applied as W_g·x)")
    if len(case.cell.blocks) == 1:
        g = case.cell.blocks[0]
        return f"W_{g}, U_{g}, b_{g} are kernel, recurrent_kernel, bias"
    if two_bias_rows(case):
        return ("W_g, U_g are gate g's block of kernel, recurrent_kernel; b_g,in and "
                "b_g,rec its block of bias rows 0 and 1")
    return "W_g, U_g, b_g are gate g's block of kernel, recurrent_kernel, bias"


def _states(case, num, values, b):
    """'h = [..]   c = [..]': each of the cell's states in ``values`` for sequence b."""
    return "   ".join(f"{s} = {_vector(num, values[s][b])}" for s in case.cell.states)


def _plan(case):
    """Which units, steps and sequences are written in full, and notes on what is not."""
    notes = []
    units = list(range(case.units))
    if case.units > FULL_UNITS:
        units = units[:UNITS_IN_FULL]
        notes.append(f"units {UNITS_IN_FULL}–{case.units - 1} follow the same formulas and "
                     "are given as values only")
    steps = set(range(1, case.steps + 1))
    if case.steps > FULL_STEPS:
        steps = {1, 2, case.steps}
        notes.append(f"steps 3–{case.steps - 1} are given as their "
                     f"{' and '.join(case.cell.states)} only")
    batch = list(range(case.batch))
    if case.batch > FULL_BATCH:
        batch = [0]
        notes.append(f"sequence 0 is walked through; sequences 1–{case.batch - 1} appear in "
                     "the final state only")
    if max(case.input_dim, case.units) > FULL_TERMS:
        notes.append(f"dot products of more than {FULL_TERMS} terms are given by their value")
    return {"units": units, "steps": steps, "batch": batch, "notes": notes}


def _count(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def _vector(num, values):
    shown = [num.fmt(v) for v in values[:MAX_VECTOR]]
    more = len(values) - MAX_VECTOR
    return "[" + ", ".join(shown) + (f", … ({len(values)} values)" if more > 0 else "") + "]"


def _factor(num, value):
    """A number inside a product, bracketed when negative: 1·(-2)."""
    text = num.fmt(value)
    return f"({text})" if text.startswith("-") else text


def _dot(num, left, right, name):
    """'(1·2 + 0·1)' or, for long or all-zero vectors, the value alone."""
    total = num.fmt(sum(left * right) if len(left) else 0)
    if not any(left):
        return "0"
    if len(left) > FULL_TERMS:
        return f"[{name}: {total}]"
    terms = " + ".join(f"{_factor(num, a)}·{_factor(num, w)}" for a, w in zip(left, right))
    return f"({terms})" if len(left) > 1 else terms


def _step_header(case, num, t, b):
    k = t - 1
    who = f" of sequence {b}" if case.batch > 1 else ""
    read = case.steps - t + 1 if case.go_backwards else t
    before = ", ".join(f"{s}_prev = {_vector(num, num.trace.steps[f'{s}_prev'][k, b])}"
                       for s in case.cell.states)
    return f"Step {t}{who}: x = {_vector(num, num.trace.x[k, b])} (input {read}), {before}"


def _step(case, num, plan, t, b):
    tr, k = num.trace, t - 1
    lines = [_step_header(case, num, t, b)]
    if tr.masked[k, b]:
        out = "0 (zero_output_for_mask)" if case.zero_output_for_mask else \
            f"{_vector(num, tr.sequence[b, k])} (the previous output, repeated)"
        states = case.cell.states
        stay = (f"{' and '.join(states)} stay as they were" if len(states) > 1
                else f"{states[0]} stays as it was")
        return lines + [f"  masked: {stay}; the output is {out}"]
    values = _step_values(tr, k, b)
    for gate in activated(case.cell):
        lines += _gate(case, num, plan, gate, values, k, b)
    lines += _updates(case, num, plan, values, k, b)
    lines.append(f"  after step {t}: " + _states(case, num, tr.steps, (k, b)))
    return lines


def _step_values(trace, k, b):
    """{quantity: (U,)} of step index k for sequence b, and the input x (F,)."""
    return {**{name: series[k, b] for name, series in trace.steps.items()},
            "x": trace.x[k, b]}


def _gate(case, num, plan, gate, values, k, b):
    """The gate's pre-activation with the numbers put in, then its activation, per unit."""
    tr, z_name = num.trace, f"z_{gate.block}"
    name = activation_name(case, gate.role)
    expr = case.cell.teaching.pre_activation(gate.block, case)
    lines = [f"  {gate.title} {gate.symbol} = {name}({z_name}),   {z_name} = "
             + symbolic(expr, case, gate.block)]
    for dot in _products(expr):        # a GRU's r·h_prev, before it meets U_h
        lines.append(f"    {'·'.join(dot.vector)} = {_vector(num, left_vector(dot, values))}")
    for u in plan["units"]:
        col = column(case, gate.block, u)
        z, value = tr.steps[z_name][k, b, u], tr.steps[gate.name][k, b, u]
        shown = activation_text(name, num.fmt(z), num)
        applied = f"{gate.symbol}[{u}] = {shown} = {num.fmt(value)}" if shown else \
            f"{gate.symbol}[{u}] = {num.fmt(value)}"
        lines.append(f"    unit {u}: {z_name}[{u}] = {_put_in(case, num, expr, values, u, col)} "
                     f"= {num.fmt(z)};   {applied} {approx(value)}".rstrip())
    if len(plan["units"]) < case.units:
        lines.append(f"    all units: {gate.symbol} = {_vector(num, tr.steps[gate.name][k, b])}")
    return lines


def _products(expr):
    """The expression's Dots that read an elementwise product (r·h_prev)."""
    if isinstance(expr, Dot):
        return [expr] if len(expr.vector) > 1 else []
    return [dot for part in parts(expr) for dot in _products(part)]


def _updates(case, num, plan, values, k, b):
    """Each state the gates give (c = f·c_prev + i·c̃, ...), its numbers put in per unit;
    activations are written out, then replaced by their values (o·tanh(c) = o·0.76)."""
    tr, lines, summary = num.trace, [], []
    for update in case.cell.teaching.updates:
        expr = update.expression
        linear = "  (linear activation)" if has_linear_activation(expr, case) else ""
        lines.append(f"  {update.title} {update.name} = "
                     f"{symbolic(expr, case, show_linear=False)}{linear}")
        for u in plan["units"]:
            written = _put_in(case, num, expr, values, u)
            valued = _put_in(case, num, expr, values, u, valued=True)
            middle = written if written == valued else f"{written} = {valued}"
            value = tr.steps[update.name][k, b, u]
            lines.append(f"    unit {u}: {update.name}[{u}] = {middle} = {num.fmt(value)} "
                         f"{approx(value)}".rstrip())
        if len(plan["units"]) < case.units:
            summary.append(f"    all units: {update.name} = "
                           f"{_vector(num, tr.steps[update.name][k, b])}")
    return lines + summary


def _put_in(case, num, expr, values, u, col=None, valued=False):
    """The expression at unit u with the numbers put in: dot products term by term,
    activations written out ('tanh(1.2)', 'clip(1/6 + 1/2, 0, 1)') or, with
    ``valued``, replaced by their values."""
    weights = {"kernel": num.kernel, "recurrent_kernel": num.recurrent_kernel,
               "bias": num.bias}
    act = {role: (lambda v, name=activation_name(case, role): apply(name, v, num))
           for role in ("activation", "recurrent")}

    def value(e):
        return evaluate(e, values, u, weights, col, act)

    def text(e, inside=False):
        if isinstance(e, Q):
            return _factor(num, values[e.name][u])
        if isinstance(e, Dot):
            left = "·".join(n.replace("_prev", "") for n in e.vector)
            left = f"({left})" if len(e.vector) > 1 else left
            shown = _dot(num, left_vector(e, values), weights[e.weights][:, col],
                         f"{left}·{'W' if e.weights == 'kernel' else 'U'}")
            bare = inside and "·" in shown and not shown.startswith(("(", "["))
            return f"({shown})" if bare else shown
        if isinstance(e, Bias):
            return _factor(num, value(e))
        if isinstance(e, Sum):
            if len(e.terms) == 1:
                return text(e.terms[0], inside)
            joined = " + ".join(text(t) for t in e.terms)
            return f"({joined})" if inside else joined
        if isinstance(e, Product):
            return "·".join(text(f, inside=True) for f in e.factors)
        if isinstance(e, OneMinus):
            return _factor(num, value(e))
        assert isinstance(e, Act)
        name = activation_name(case, e.role)
        if name == "linear":
            return text(e.arg, inside)
        if valued:
            return _factor(num, value(e))
        return activation_text(name, num.fmt(value(e.arg)), num)
    return text(expr)


def _step_summary(case, num, t, b):
    k = t - 1
    who = f" of sequence {b}" if case.batch > 1 else ""
    masked = " (masked: states unchanged)" if num.trace.masked[k, b] else ""
    return f"Step {t}{who}{masked}: " + _states(case, num, num.trace.steps, (k, b))
