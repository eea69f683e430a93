"""`explain CASE`: a walkthrough of the arithmetic, step by step, for a class.

For each step and sequence: each gate's pre-activation z = x·W + h·U + b with the
numbers put in, unit by unit, then its activation, then c and h.  Numbers come from
exact.numbers: exact fractions (2/3, 7/6) where the maths allows, else decimals.
Big cases are summarised by the thresholds below, and the walkthrough says what it
left out.  Plain text; no TensorFlow.
"""

from . import activations
from .exact import activation_text, apply, approx, numbers

FULL_UNITS = 4      # more units than this: units 0 and 1 in full, the rest as values
UNITS_IN_FULL = 2
FULL_TERMS = 6      # a dot product with more terms is given by its value alone
FULL_STEPS = 8      # more steps: the first two and the last in full, the rest as h and c
FULL_BATCH = 2      # more sequences: sequence 0 in full, the others as final states
MAX_VECTOR = 8      # values listed in a vector before "…"

GATES = (("i", "input gate", 0), ("f", "forget gate", 1), ("c_tilde", "candidate", 2),
         ("o", "output gate", 3))
SYMBOL = {"i": "i", "f": "f", "c_tilde": "c̃", "o": "o"}
BLOCK_NAME = "ifco"


def walkthrough(case, precision=4):
    """The walkthrough as a list of text lines."""
    num = numbers(case, precision)
    plan = _plan(case)
    act = activations.display_name(case.activation)
    rec = activations.display_name(case.recurrent_activation)
    lines = [f"Walkthrough: {case.name}  ({case.path})"]
    if case.description:
        lines.append(" ".join(case.description.split()))
    lines += [
        f"units {case.units}, input_dim {case.input_dim}, {_count(case.steps, 'step')}, "
        f"batch {case.batch}; activation {act}, recurrent_activation {rec}"
        + (", go_backwards (step 1 reads the last input)" if case.go_backwards else ""),
        f"Arithmetic: {num.note}.",
        "",
        "Equations (Keras's LSTMCell; W_g, U_g, b_g are gate g's block of kernel, "
        "recurrent_kernel, bias):",
        "  z_g = x·W_g + h_prev·U_g" + (" + b_g" if case.use_bias else "")
        + "   for g in i, f, c, o",
        f"  i = {rec}(z_i)   f = {rec}(z_f)   c̃ = {act}(z_c)   o = {rec}(z_o)",
        f"  c = f·c_prev + i·c̃   h = o·{act}(c)",
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
        lines.append(f"{label}h = {_vector(num, num.trace.final_h[b])}   "
                     f"c = {_vector(num, num.trace.final_c[b])}")
    return lines


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
        notes.append(f"steps 3–{case.steps - 1} are given as their h and c only")
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
    h_prev, c_prev = num.trace.h_prev[k, b], num.trace.c_prev[k, b]
    return (f"Step {t}{who}: x = {_vector(num, num.trace.x[k, b])} (input {read}), "
            f"h_prev = {_vector(num, h_prev)}, c_prev = {_vector(num, c_prev)}")


def _step(case, num, plan, t, b):
    tr, k = num.trace, t - 1
    lines = [_step_header(case, num, t, b)]
    if tr.masked[k, b]:
        out = "0 (zero_output_for_mask)" if case.zero_output_for_mask else \
            f"{_vector(num, tr.sequence[b, k])} (the previous output, repeated)"
        return lines + [f"  masked: h and c stay as they were; the output is {out}"]
    for key, title, block in GATES:
        lines += _gate(case, num, plan, key, title, block, k, b)
    lines += _cell_and_hidden(case, num, plan, k, b)
    lines.append(f"  after step {t}: h = {_vector(num, tr.h[k, b])}   "
                 f"c = {_vector(num, tr.c[k, b])}")
    return lines


def _gate(case, num, plan, key, title, block, k, b):
    tr, z_name = num.trace, "z_" + BLOCK_NAME[block]
    name = case.activation if key == "c_tilde" else case.recurrent_activation
    symbol = SYMBOL[key]
    lines = [f"  {title} {symbol} = {activations.display_name(name)}({z_name}),   "
             f"{z_name} = x·W_{BLOCK_NAME[block]} + h_prev·U_{BLOCK_NAME[block]}"
             + (f" + b_{BLOCK_NAME[block]}" if case.use_bias else "")]
    for u in plan["units"]:
        col = block * case.units + u
        parts = [_dot(num, tr.x[k, b], num.kernel[:, col], "x·W"),
                 _dot(num, tr.h_prev[k, b], num.recurrent_kernel[:, col], "h·U")]
        if case.use_bias:
            parts.append(_factor(num, num.bias[col]))
        z = getattr(tr, z_name)[k, b, u]
        value = getattr(tr, key)[k, b, u]
        shown = activation_text(name, num.fmt(z), num)
        applied = f"{symbol}[{u}] = {shown} = {num.fmt(value)}" if shown else \
            f"{symbol}[{u}] = {num.fmt(value)}"
        lines.append(f"    unit {u}: {z_name}[{u}] = {' + '.join(parts)} = {num.fmt(z)};   "
                     f"{applied} {approx(value)}".rstrip())
    if len(plan["units"]) < case.units:
        lines.append(f"    all units: {symbol} = {_vector(num, getattr(tr, key)[k, b])}")
    return lines


def _cell_and_hidden(case, num, plan, k, b):
    tr = num.trace
    act = activations.display_name(case.activation)
    lines = ["  cell state c = f·c_prev + i·c̃"]
    for u in plan["units"]:
        f, cp, i, ct = (tr.f[k, b, u], tr.c_prev[k, b, u], tr.i[k, b, u],
                        tr.c_tilde[k, b, u])
        value = tr.c[k, b, u]
        lines.append(f"    unit {u}: c[{u}] = {_factor(num, f)}·{_factor(num, cp)} + "
                     f"{_factor(num, i)}·{_factor(num, ct)} = {num.fmt(value)} "
                     f"{approx(value)}".rstrip())
    lines.append(f"  hidden state h = o·{act}(c)" if act != "linear" else
                 "  hidden state h = o·c  (linear activation)")
    for u in plan["units"]:
        o, c, value = tr.o[k, b, u], tr.c[k, b, u], tr.h[k, b, u]
        shown = activation_text(case.activation, num.fmt(c), num)
        if act == "linear":
            middle = f"{_factor(num, o)}·{_factor(num, c)}"
        else:
            activated = apply(case.activation, c, num)
            middle = f"{_factor(num, o)}·{shown} = {_factor(num, o)}·{_factor(num, activated)}"
        lines.append(f"    unit {u}: h[{u}] = {middle} = {num.fmt(value)} "
                     f"{approx(value)}".rstrip())
    if len(plan["units"]) < case.units:
        lines.append(f"    all units: c = {_vector(num, tr.c[k, b])}")
        lines.append(f"    all units: h = {_vector(num, tr.h[k, b])}")
    return lines


def _step_summary(case, num, t, b):
    k = t - 1
    who = f" of sequence {b}" if case.batch > 1 else ""
    masked = " (masked: states unchanged)" if num.trace.masked[k, b] else ""
    return (f"Step {t}{who}{masked}: h = {_vector(num, num.trace.h[k, b])}   "
            f"c = {_vector(num, num.trace.c[k, b])}")
