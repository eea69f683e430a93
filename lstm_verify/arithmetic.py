"""One value of a trace written out as the arithmetic that produces it.

Used to tell an author why the right value is right, e.g.
``h[2] = o[2]·c[2] = 0·1 = 0`` (linear activation) or
``i[0] = sigmoid(z_i[0]) = sigmoid(4) = 0.982014, not 0.5; z_i[0] = x·W + h·U + b = 1 + 0 + 3 = 4``.
The cell writes its own equations (cells/); this module adds the numbers' place in
time: masked steps, states carried over, the initial state.
"""

import math

from .activations import display_name


def fmt(value):
    """A number as a person writes it: 4, 0.5, 0.761594."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return str(value)  # inf, -inf or nan
    if abs(value - round(value)) < 1e-9 * max(1.0, abs(value)) and abs(value) < 1e15:
        return str(int(round(value)))
    return f"{value:.6g}"


def symbol(quantity):
    """How a report writes a quantity: c_tilde -> c̃, h_tilde -> h̃ (as the tables and the
    book do), sequence -> output."""
    if quantity == "sequence":
        return "output"
    return quantity[0] + "\u0303" if quantity.endswith("_tilde") else quantity


def describe_position(m, batch=None):
    """'h[0] at step 2', 'final c[1]'; ', batch 1' added unless ``batch`` (the case's
    batch size) says there is a single sequence."""
    where = (f"final {symbol(m.quantity)}[{m.unit}]" if m.t is None
             else f"{symbol(m.quantity)}[{m.unit}] at step {m.t}")
    return where + ("" if batch == 1 else f", batch {m.batch}")


def _last_live_step(trace, t, b):
    """Index of the last unmasked step at or before step t (1-based), or None."""
    for k in range(t - 1, -1, -1):
        if not trace.masked[k, b]:
            return k
    return None


def _not(expected):
    """', not 0.731059': the author's value, on the quantity it was written for."""
    return "" if expected is None else f", not {fmt(expected)}"


def _pre_activation(case, s, z_name, u):
    """z_f[u] = x·W + h·U + b = 0 + 0 + 0 = 0"""
    return (f"{z_name}[{u}] = {case.cell.pre_activation_text(z_name, s, u, case, fmt)} = "
            f"{fmt(s[z_name][u])}")


def _gate(case, trace, gate, t, b, u, expected=None):
    """g[u] = act(z_g[u]) = act(z) = value, not X; z_g[u] = x·W + h·U + b = … = z"""
    name = case.activation if gate.role == "activation" else case.recurrent_activation
    name = display_name(name)
    z_name = f"z_{gate.block}"
    s = trace.at(t - 1, b)
    z, value = s[z_name][u], s[gate.name][u]
    symbol = gate.symbol
    if name == "linear":
        head = f"{symbol}[{u}] = {z_name}[{u}] = {fmt(value)} (linear)"
    else:
        head = f"{symbol}[{u}] = {name}({z_name}[{u}]) = {name}({fmt(z)}) = {fmt(value)}"
    return f"{head}{_not(expected)}; {_pre_activation(case, s, z_name, u)}"


def _act_c(case, trace, t, b, u, expected=None):
    """act_c[u] = tanh(c[u]) = tanh(c) = value, not X (the LSTM's h before the output gate)"""
    s = trace.at(t - 1, b)
    name = display_name(case.activation)
    return (f"act_c[{u}] = {name}(c[{u}]) = {name}({fmt(s['c'][u])}) = "
            f"{fmt(s['act_c'][u])}{_not(expected)}")


def formula(case, trace, quantity, t, b, u, expected=None):
    """The arithmetic behind trace's value of ``quantity`` at step t (None: final state),
    with ``expected`` (the author's value) after the value it was written for."""
    cell = case.cell
    if quantity in cell.pre_activations:
        return _pre_activation(case, trace.at(t - 1, b), quantity, u) + _not(expected)
    if quantity in cell.extras:
        return _act_c(case, trace, t, b, u, expected)
    if quantity not in cell.states and quantity != "sequence":
        return _gate(case, trace, cell.gate(quantity), t, b, u, expected)
    steps = case.steps if t is None else t
    k = _last_live_step(trace, steps, b)
    if quantity == "sequence" and trace.masked[t - 1, b]:
        if case.zero_output_for_mask:
            return (f"output[{u}] at step {t} = 0{_not(expected)} (step masked, "
                    "zero_output_for_mask)")
        note = f"the output of step {k + 1}" if k is not None else "zero"
        return (f"output[{u}] at step {t} = {fmt(trace.sequence[b, t - 1, u])}"
                f"{_not(expected)} (step masked: repeats {note})")
    if k is None:
        start = case.initial_state["h" if quantity == "sequence" else quantity]
        return (f"{quantity}[{u}] = {fmt(start[b, u])}{_not(expected)} (every step masked: "
                "initial state)")
    carried = "" if k == steps - 1 else f" (carried from step {k + 1}; later steps masked)"
    state, label = ("h", "output") if quantity == "sequence" else (quantity, quantity)
    # a state's own value ends its first clause; its pre-activation (SimpleRNN) follows
    value, sep, pre_activation = cell.state_text(state, label, trace.at(k, b), u, case,
                                                 fmt).partition("; ")
    return value + _not(expected) + carried + sep + pre_activation
