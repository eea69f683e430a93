"""`explain CASE` for a case with `backward:`: the backward pass walked through, from the
last processing step to the first, unit by unit with the numbers put in.

Each step says what reaches it (dh_t: this step's output gradient plus what step t+1
sends back; an LSTM's carried dc), then the cell's backward equations in the order its
backward step computes them (cells' teaching.backward), then what it sends to step t-1
and to x_t.  The weight gradients follow, summed over steps and named as the case names
its weights.  The numbers come from exact_backward.backward_numbers: exact fractions
where the forward pass is exact, else decimals.  Plain text; no TensorFlow.
"""

import numpy as np

from .. import activations
from ..backward.forms import in_case_form
from ..cells.teaching import activation_name, symbol
from .exact import EXACT_SLOPE, approx
from .exact_backward import backward_numbers

FULL_UNITS = 4      # as explain.py: more units than this, units 0 and 1 in full
UNITS_IN_FULL = 2
FULL_STEPS = 8      # more steps: the last two and the first in full, the rest as dh (dc)
FULL_BATCH = 2      # more sequences: sequence 0 in full
MAX_VECTOR = 8

NOT_PER_UNIT = ("prev", "x", "kernel", "recurrent_kernel", "bias")   # in a backward step's result


def definitions(case):
    """What each gradient is, in words: authors differ on them."""
    others = "".join(f", likewise d{s} for {s}_t" for s in case.cell.states[1:])
    gates = ("; dg is with respect to a gate g after its activation, dz_g before it"
             if case.cell.gates else "; dz_h is with respect to the pre-activation")
    return (f"dh is the whole dL/dh_t (from this step's output and from step t+1){others}"
            f"{gates}; the loss is a sum over batch, time and units, never a mean")


def walkthrough(case, precision=4):
    """The backward pass as a list of text lines (empty for a case without backward)."""
    if case.backward is None:
        return []
    bn = backward_numbers(case, precision)
    fmt, cell = bn.num.fmt, case.cell
    lines = ["", "Backward pass (backpropagation through time), from the last step to the "
             "first:", f"  {loss_text(case)}", f"  {definitions(case)}.",
             f"  Arithmetic: {bn.note}.", "", "Equations of one backward step:"]
    lines += ["  " + line for line in equations(case)]
    units = list(range(case.units)) if case.units <= FULL_UNITS else list(range(UNITS_IN_FULL))
    full = set(range(case.steps)) if case.steps <= FULL_STEPS else \
        {0, case.steps - 2, case.steps - 1}
    notes = ([f"units {UNITS_IN_FULL}–{case.units - 1} as values only"]
             if len(units) < case.units else [])
    notes += ([f"steps 2–{case.steps - 2} as their state gradients only"]
              if len(full) < case.steps else [])
    if case.batch > FULL_BATCH:
        rest = (f"sequences {FULL_BATCH}–{case.batch - 1}" if case.batch > FULL_BATCH + 1
                else f"sequence {FULL_BATCH}")
        notes.append(f"{rest} in the totals only")
    if notes:
        lines += ["", "Summarised (a big case): " + "; ".join(notes) + "."]
    for b in range(min(case.batch, FULL_BATCH)):
        for k in reversed(range(case.steps)):
            lines.append("")
            if k in full:
                lines += _step(case, bn, k, b, units)
            else:
                lines.append(_step_summary(case, bn, k, b))
    lines += ["", "Weight gradients (summed over steps and sequences), named as the case "
              "names its weights:"]
    lines += ["  " + line for line in weight_lines(case, bn)]
    g = bn.gradients
    lines += ["", "dL/dx (in input order):"]
    for b in range(case.batch):
        label = "  " if case.batch == 1 else f"  sequence {b}: "
        lines.append(label + "[" + ", ".join(_vector(fmt, row) for row in g.inputs[b]) + "]")
    lines += ["", "dL/d(initial state):"]
    for b in range(case.batch):
        label = "  " if case.batch == 1 else f"  sequence {b}: "
        lines.append(label + "   ".join(f"d{s}_0 = {_vector(fmt, g.initial_state[s][b])}"
                                        for s in cell.states))
    return lines


def loss_text(case):
    """What the gradient reaching the layer's outputs is, in words."""
    spec = case.backward
    if spec.get("loss") is not None:
        of = spec["loss"]["of"]
        what = "every output" if of == "sequence" else "the final h"
        return (f"the loss is L = ½·Σ(output − target)² over {what}, so dL/d(output) = "
                "output − target")
    given = ", ".join(f"dL/d({'output' if n == 'sequence' else 'final ' + n})"
                      for n in spec.get("upstream", {}))
    return f"upstream gradients given: {given or 'none'} (others zero)"


def _formula(line, case):
    text = line.formula(case) if callable(line.formula) else line.formula
    return text.format(act=activation_name(case, "activation"),
                       rec=activation_name(case, "recurrent")
                       if case.cell.has_recurrent_activation else "")


def equations(case):
    """The cell's backward equations, then what goes back to step t-1 and to x."""
    teaching, cell = case.cell.teaching.backward, case.cell
    out = [f"{name(cell, line.name)} = {_formula(line, case)}" for line in teaching.lines]
    for state, formula in teaching.carry:
        text = formula(case) if callable(formula) else formula
        out.append(f"to step t-1: d{state}_prev = {text}")
    out.append(f"to the input: dx = {teaching.inputs}")
    return out


def name(cell, gradient):
    """How a gradient is written: dc̃ for dc_tilde, dz_i as it is."""
    return "d" + symbol(cell, gradient[1:])


class _Numbers:
    """What a BackwardLine's ``numbers`` writes with: factors and activation slopes."""

    def __init__(self, case, bn):
        self.case, self.exact, self.fmt = case, bn.exact, bn.num.fmt

    def f(self, value):
        text = self.fmt(value)
        return f"({text})" if text.startswith("-") else text

    def slope(self, role, z, y):
        act = activations.display_name(activation_name(self.case, role))
        if self.exact:
            return self.f(EXACT_SLOPE[act](z))
        if act in ("softmax", "log_softmax"):   # not elementwise: a slope per unit means nothing
            return f"{act}'({self.fmt(z)})"
        one = np.ones(1)
        return self.f(activations.vjp(act)(np.array([float(z)]), np.array([float(y)]), one)[0])


def _later(bn, k):
    """{state: dL/d(state after step k)} from later steps: the upstream at the last step,
    else what step k+1 sent back (all of it through a masked step)."""
    g, tr = bn.gradients, bn.num.trace
    if k == len(bn.calls) - 1:
        return {s: bn.upstream[s] for s in tr.final}
    _, sent = bn.calls[k + 1]
    masked = tr.masked[k + 1][:, None]
    return {s: np.where(masked, g.steps[f"d{s}"][k + 1], sent["prev"][s]) for s in tr.final}


def _step(case, bn, k, b, units):
    cell, tr, fmt = case.cell, bn.num.trace, bn.num.fmt
    d, g = bn.calls[k]
    later = _later(bn, k)
    t, who = k + 1, f" of sequence {b}" if case.batch > 1 else ""
    source = "dL/d(final h)" if k == case.steps - 1 else f"from step {t + 1}"
    dh = bn.gradients.steps["dh"][k, b]
    lines = [f"Step {t}{who}, backwards:"]
    if tr.masked[k, b]:
        passed = " and ".join(f"d{s} = {_vector(fmt, bn.gradients.steps[f'd{s}'][k, b])}"
                              for s in cell.states)
        return lines + [f"  masked: no gate gets a gradient; {passed} pass to step {t - 1} "
                        "unchanged (with the output's gradient, when the output repeats "
                        "an earlier one)"]
    own = dh - later["h"][b]
    lines.append(f"  dh = dL/d(output_{t}) + {source} = {_vector(fmt, own)} + "
                 f"{_vector(fmt, later['h'][b])} = {_vector(fmt, dh)}")
    for s in cell.states[1:]:
        origin = f"dL/d(final {s})" if k == case.steps - 1 else f"from step {t + 1}"
        lines.append(f"  d{s}_in = {origin} = {_vector(fmt, d[s][b])}")
    values = {**{q: v[b] for q, v in tr.at(k).items()},
              **{q: v[b] for q, v in g.items() if q not in NOT_PER_UNIT},
              **{f"d{s}_in": d[s][b] for s in cell.states}}
    n = _Numbers(case, bn)
    for line in cell.teaching.backward.lines:
        shown = name(cell, line.name)
        lines.append(f"  {shown} = {_formula(line, case)}")
        for u in units:
            value = g[line.name][b, u]
            put_in = line.numbers({q: v[u] for q, v in values.items()}, n) \
                if line.numbers else None
            middle = f" = {put_in}" if put_in else ""
            lines.append(f"    unit {u}: {shown}[{u}]{middle} = {fmt(value)} "
                         f"{approx(value)}".rstrip())
        if len(units) < case.units:
            lines.append(f"    all units: {shown} = {_vector(fmt, g[line.name][b])}")
    sent = ", ".join(f"d{s}_prev = {_vector(fmt, g['prev'][s][b])}" for s in cell.states)
    lines.append(f"  to step {t - 1}: {sent}" if t > 1 else
                 f"  to the initial state: {sent}")
    lines.append(f"  to the input: dx = {_vector(fmt, g['x'][b])}")
    return lines


def _step_summary(case, bn, k, b):
    who = f" of sequence {b}" if case.batch > 1 else ""
    return f"Step {k + 1}{who}, backwards: " + "   ".join(
        f"d{s} = {_vector(bn.num.fmt, bn.gradients.steps[f'd{s}'][k, b])}"
        for s in case.cell.states)


def weight_gradients(case, bn):
    """{key: array} of the weight gradients in the case's own weight form."""
    w = bn.gradients.weights
    return in_case_form(case, w["kernel"], w["recurrent_kernel"], w["bias"])


def weight_lines(case, bn):
    out = []
    for key, value in weight_gradients(case, bn).items():
        value = np.asarray(value)
        if value.ndim == 1:
            out.append(f"dL/d{key} = {_vector(bn.num.fmt, value)}")
        else:
            out.append(f"dL/d{key} = [" + ", ".join(_vector(bn.num.fmt, row) for row in value)
                       + "]")
    return out


def _vector(fmt, values):
    shown = [fmt(v) for v in values[:MAX_VECTOR]]
    more = len(values) - MAX_VECTOR
    return "[" + ", ".join(shown) + (f", … ({len(values)} values)" if more > 0 else "") + "]"
