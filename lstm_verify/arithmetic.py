"""One value of a trace written out as the arithmetic that produces it.

Used to tell an author why the right value is right, e.g.
``h[2] = o[2]·c[2] = 0·1 = 0`` (linear activation) or
``i[0] = sigmoid(z_i[0]) = sigmoid(4) = 0.982014; z_i[0] = x·W + h·U + b = 1 + 0 + 3 = 4``.
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


def _last_live_step(trace, t, b):
    """Index of the last unmasked step at or before step t (1-based), or None."""
    for k in range(t - 1, -1, -1):
        if not trace.masked[k, b]:
            return k
    return None


def _gate(case, trace, gate, t, b, u):
    """g[u] = act(z_g[u]) = act(z) = value; z_g[u] = x·W + h·U + b = … = z"""
    k = t - 1
    name = case.activation if gate.role == "activation" else case.recurrent_activation
    name = display_name(name)
    z_name = f"z_{gate.block}"
    s = trace.at(k, b)
    z, value = s[z_name][u], s[gate.name][u]
    z_text = (f"{z_name}[{u}] = {case.cell.pre_activation_text(z_name, s, u, case, fmt)} = "
              f"{fmt(z)}")
    symbol = gate.name.replace("_tilde", "~")
    if name == "linear":
        return f"{symbol}[{u}] = {z_name}[{u}] (linear); {z_text}"
    return f"{symbol}[{u}] = {name}({z_name}[{u}]) = {name}({fmt(z)}) = {fmt(value)}; {z_text}"


def formula(case, trace, quantity, t, b, u):
    """The arithmetic behind trace's value of ``quantity`` at step t (None: final state)."""
    cell = case.cell
    if quantity not in cell.states and quantity != "sequence":
        return _gate(case, trace, cell.gate(quantity), t, b, u)
    steps = case.steps if t is None else t
    k = _last_live_step(trace, steps, b)
    if quantity == "sequence" and trace.masked[t - 1, b]:
        if case.zero_output_for_mask:
            return f"output[{u}] at step {t} = 0 (step masked, zero_output_for_mask)"
        note = f"the output of step {k + 1}" if k is not None else "zero"
        return (f"output[{u}] at step {t} = {fmt(trace.sequence[b, t - 1, u])} (step "
                f"masked: repeats {note})")
    if k is None:
        start = case.initial_state["h" if quantity == "sequence" else quantity]
        return f"{quantity}[{u}] = {fmt(start[b, u])} (every step masked: initial state)"
    carried = "" if k == steps - 1 else f" (carried from step {k + 1}; later steps masked)"
    state, label = ("h", "output") if quantity == "sequence" else (quantity, quantity)
    return cell.state_text(state, label, trace.at(k, b), u, case, fmt) + carried
