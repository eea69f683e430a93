"""One value of a trace written out as the arithmetic that produces it.

Used to tell an author why the right value is right, e.g.
``h[2] = o[2]·c[2] = 0·1 = 0`` (linear activation) or
``i[0] = sigmoid(z_i[0]) = sigmoid(x·W + h·U + b = 1 + 0 + 3 = 4) = 0.982014``.
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


def _applied(name, inner, value_in):
    """'tanh(1)' or, for a linear activation, just the inner value."""
    if name is None or name == "linear":
        return fmt(value_in), inner
    return f"{name}({fmt(value_in)})", f"{name}({inner})"


def _last_live_step(trace, t, b):
    """Index of the last unmasked step at or before step t (1-based), or None."""
    for k in range(t - 1, -1, -1):
        if not trace.masked[k, b]:
            return k
    return None


def _pre_activation(case, trace, k, b, block, u):
    """z for gate block (0 i, 1 f, 2 c, 3 o), unit u, at step index k: x·W + h·U + b."""
    col = block * case.units + u
    x_part = float(trace.x[k, b] @ case.kernel[:, col])
    h_part = float(trace.h_prev[k, b] @ case.recurrent_kernel[:, col])
    if not case.use_bias:
        return f"x·W + h·U = {fmt(x_part)} + {fmt(h_part)}"
    return f"x·W + h·U + b = {fmt(x_part)} + {fmt(h_part)} + {fmt(float(case.bias[col]))}"


def formula(case, trace, quantity, t, b, u):
    """The arithmetic behind trace's value of ``quantity`` at step t (None: final state)."""
    if quantity in ("h", "c", "sequence"):
        steps = case.steps if t is None else t
        k = _last_live_step(trace, steps, b)
        if quantity == "sequence" and trace.masked[t - 1, b]:
            if case.zero_output_for_mask:
                return f"output[{u}] at step {t} = 0 (step masked, zero_output_for_mask)"
            note = "the output of step {}" .format(k + 1) if k is not None else "zero"
            return (f"output[{u}] at step {t} = {fmt(trace.sequence[b, t - 1, u])} (step "
                    f"masked: repeats {note})")
        if k is None:
            start = case.h0 if quantity != "c" else case.c0
            return f"{quantity}[{u}] = {fmt(start[b, u])} (every step masked: initial state)"
        carried = "" if k == steps - 1 else f" (carried from step {k + 1}; later steps masked)"
        if quantity == "c":
            f_, cp, i_, ct = (trace.f[k, b, u], trace.c_prev[k, b, u], trace.i[k, b, u],
                              trace.c_tilde[k, b, u])
            return (f"c[{u}] = f[{u}]·c_prev[{u}] + i[{u}]·c~[{u}] = {fmt(f_)}·{fmt(cp)} + "
                    f"{fmt(i_)}·{fmt(ct)} = {fmt(trace.c[k, b, u])}{carried}")
        o, c = trace.o[k, b, u], trace.c[k, b, u]
        act_c, symbolic = _applied(display_name(case.activation), f"c[{u}]", c)
        return (f"{'h' if quantity == 'h' else 'output'}[{u}] = o[{u}]·{symbolic} = "
                f"{fmt(o)}·{act_c} = {fmt(trace.h[k, b, u])}{carried}")
    block = {"i": 0, "f": 1, "c_tilde": 2, "o": 3}[quantity]
    name = case.activation if quantity == "c_tilde" else case.recurrent_activation
    z_name = "z_" + "ifco"[block]
    z = getattr(trace, z_name)[t - 1, b, u]
    value = getattr(trace, quantity)[t - 1, b, u]
    z_text = f"{z_name}[{u}] = {_pre_activation(case, trace, t - 1, b, block, u)} = {fmt(z)}"
    symbol = "c~" if quantity == "c_tilde" else quantity
    if name is None or name == "linear":
        return f"{symbol}[{u}] = {z_name}[{u}] (linear); {z_text}"
    return f"{symbol}[{u}] = {name}({z_name}[{u}]) = {name}({fmt(z)}) = {fmt(value)}; {z_text}"


