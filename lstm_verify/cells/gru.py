"""The GRU, as Keras's GRUCell computes it (keras/src/layers/rnn/gru.py).

    z  = σ(x·W_z + h_{t-1}·U_z + b_z)              update gate
    r  = σ(x·W_r + h_{t-1}·U_r + b_r)              reset gate
    h̃  = act(x·W_h + b_h,in + r ⊙ (h_{t-1}·U_h + b_h,rec))      reset_after: true (default)
    h̃  = act(x·W_h + (r ⊙ h_{t-1})·U_h + b_h)                    reset_after: false
    h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃

Keras keeps the previous state where z is 1; many textbooks (Cho et al., d2l) write
the same update the other way round, h_t = (1 − z)·h_{t-1} + z·h̃.  With reset_after
the bias is [2, 3*units]: an input row and a recurrent row (what cuDNN and PyTorch
have); without it one bias [3*units].  The class docstring in Keras describes
reset_after's default wrongly: the code's default is true.
"""

from dataclasses import replace

import numpy as np

from .cell import Cell, Gate, Mistake, affine_text

BLOCKS = ("z", "r", "h")


def step(x_t, prev, a):
    """One GRU step for a batch. x_t (B, F); prev h (B, U). Returns (B, U) arrays."""
    sigma, act, keep = a.recurrent_activation, a.activation, a.keep
    h_prev = prev["h"]
    W_z, W_r, W_h = np.split(a.kernel, 3, axis=-1)
    U_z, U_r, U_h = np.split(a.recurrent_kernel, 3, axis=-1)
    if a.reset_after:
        b_x, b_h = a.bias                              # input row, recurrent row
    else:
        b_x, b_h = a.bias, 0 * a.bias                  # one bias, on the input side
    bx_z, bx_r, bx_h = np.split(b_x, 3)
    bh_z, bh_r, bh_h = np.split(b_h, 3)
    z_z = (x_t @ W_z + bx_z) + (h_prev @ U_z + bh_z)
    z_r = (x_t @ W_r + bx_r) + (h_prev @ U_r + bh_r)
    z = keep(sigma(z_z))
    r = keep(sigma(z_r))
    if a.reset_after:                                  # reset applied after the matmul
        z_h = (x_t @ W_h + bx_h) + r * (h_prev @ U_h + bh_h)
    else:                                              # reset applied to h before it
        z_h = (x_t @ W_h + bx_h) + (r * h_prev) @ U_h
    h_tilde = keep(act(z_h))
    h = keep(z * h_prev + (1 - z) * h_tilde)
    return dict(z_z=z_z, z_r=z_r, z_h=z_h, z=z, r=r, h_tilde=h_tilde, h=h)


def equations(case):
    act = case.activation or "linear"
    sigma = case.recurrent_activation or "linear"
    if not case.use_bias:
        b, bx, bh = "", "", ""
    elif case.reset_after:
        b, bx, bh = " + b_g,in + b_g,rec", " + b_h,in", " + b_h,rec"
    else:
        b, bx, bh = " + b_g", " + b_h", ""
    candidate = (f"h̃ = {act}(x·W_h{bx} + r·(h_prev·U_h{bh}))" if case.reset_after
                 else f"h̃ = {act}(x·W_h + (r·h_prev)·U_h{bx})")
    return [f"z_g = x·W_g + h_prev·U_g{b}   for g in z, r",
            f"z = {sigma}(z_z)   r = {sigma}(z_r)   {candidate}",
            "h = z·h_prev + (1 − z)·h̃   (reset_after "
            f"{'true' if case.reset_after else 'false'})"]


def bias_shape(units, reset_after=True):
    if reset_after:
        return (2, 3 * units), ("[input bias; recurrent bias] for a GRU with reset_after "
                                "true (blocks z, r, h)")
    return (3 * units,), "[3*units] for a GRU with reset_after false (blocks z, r, h)"


def pre_activation_text(name, s, u, case, fmt):
    block = name[-1]
    two_rows = case.reset_after and case.use_bias
    if block != "h":
        return affine_text(case, s, BLOCKS.index(block), u, fmt, recurrent_bias=two_rows)
    col = 2 * case.units + u
    x_part = float(s["x"] @ case.kernel[:, col])
    r = s["r"]
    if case.reset_after:
        h_part = float(s["h_prev"] @ case.recurrent_kernel[:, col])
        if not case.use_bias:
            return (f"x·W + r·(h·U) = {fmt(x_part)} + {fmt(r[u])}·({fmt(h_part)})")
        b_x, b_h = case.bias[0, col], case.bias[1, col]
        return (f"x·W + b_x + r·(h·U + b_h) = {fmt(x_part)} + {fmt(b_x)} + "
                f"{fmt(r[u])}·({fmt(h_part)} + {fmt(b_h)})")
    h_part = float((r * s["h_prev"]) @ case.recurrent_kernel[:, col])
    if not case.use_bias:
        return f"x·W + (r·h)·U = {fmt(x_part)} + {fmt(h_part)}"
    return (f"x·W + (r·h)·U + b = {fmt(x_part)} + {fmt(h_part)} + "
            f"{fmt(float(case.bias[col]))}")


def state_text(name, label, s, u, case, fmt):
    """h[u] = z[u]·h_prev[u] + (1 − z[u])·h~[u] = …"""
    z = s["z"][u]
    return (f"{label}[{u}] = z[{u}]·h_prev[{u}] + (1 − z[{u}])·h~[{u}] = {fmt(z)}·"
            f"{fmt(s['h_prev'][u])} + {fmt(1 - z)}·{fmt(s['h_tilde'][u])} = "
            f"{fmt(s['h'][u])}")


# ------------------------------------------------------------------ the GRU's own mistakes

def _update_flipped(x_t, prev, a):
    values = step(x_t, prev, a)
    z = values["z"]
    values["h"] = a.keep((1 - z) * prev["h"] + z * values["h_tilde"])
    return values


def flip_reset_after(case):
    """The case as computed with the reset gate on the other side of the recurrent
    matmul. Keras's two bias rows become their sum (ONNX's linear_before_reset=0 adds
    both outside the reset); one bias becomes the input row, with a zero recurrent row."""
    if not case.use_bias:
        return replace(case, reset_after=not case.reset_after)
    if case.reset_after:
        return replace(case, reset_after=False, bias=case.bias[0] + case.bias[1])
    return replace(case, reset_after=True, bias=np.stack([case.bias, 0 * case.bias]))


def mistakes(case):
    text = ("update rule written the other way round: h = (1 − z)·h_prev + z·h̃ (the Cho "
            "et al. / d2l convention); Keras computes h = z·h_prev + (1 − z)·h̃")
    yield Mistake("gru-update-flipped", "h = (1 − z)·h_prev + z·h̃", text,
                  step=_update_flipped)
    if case.reset_after:
        text = ("reset gate applied before the recurrent matmul, h̃ = act(x·W_h + "
                "(r·h_prev)·U_h + b), where the case has reset_after true (r·(h_prev·U_h + "
                "b_rec))")
        detail = "reset before the matmul (reset_after false)"
    else:
        text = ("reset gate applied after the recurrent matmul, h̃ = act(x·W_h + "
                "r·(h_prev·U_h) + b), where the case has reset_after false ((r·h_prev)·U_h)")
        detail = "reset after the matmul (reset_after true)"
    yield Mistake("gru-reset-after-flipped", detail, text, case=flip_reset_after(case))
    if case.reset_after and case.use_bias and np.any(case.bias[1]):
        text = ("the recurrent bias row left out (reset_after true keeps two bias rows, "
                "input and recurrent; only the first was used)")
        bias = np.stack([case.bias[0], 0 * case.bias[1]])
        yield Mistake("gru-recurrent-bias-dropped", "bias[1] left out", text,
                      case=replace(case, bias=bias))


CELL = Cell(
    name="gru", title="GRU", keras_layer="GRU", keras_cell="GRUCell",
    blocks=BLOCKS,
    gates=(Gate("z", "z", "recurrent", "update gate", "z"),
           Gate("r", "r", "recurrent", "reset gate", "r"),
           Gate("h_tilde", "h", "activation", "candidate", "h̃")),
    states=("h",),
    rows=("z", "r", "h_tilde", "h"),
    pre_activations=("z_z", "z_r", "z_h"),
    extras=(),
    step=step,
    # z = rec(x_z + recurrent_z), r = rec(x_r + recurrent_r), hh = act(x_h + recurrent_h)
    keras_calls=(("recurrent", "z_z", "z"), ("recurrent", "z_r", "r"),
                 ("activation", "z_h", "h_tilde")),
    equations=equations, bias_shape=bias_shape, pre_activation_text=pre_activation_text,
    state_text=state_text, mistakes=mistakes,
    symbols={"h_tilde": "h~", "sequence": "output"},
    activation_targets="the candidate h~",
    options={"reset_after": True},
    # PyTorch's n is the candidate h~; ONNX keeps Keras's z, r, h
    layouts={"keras": "zrh", "pytorch": "rzh", "onnx": "zrh"},
    layout_names={"pytorch": {"h": "n"}},
)
