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

from .cell import Cell, Gate, Mistake, affine_text, blocks, factor
from .teaching import (Backward, BackwardLine, Bias, Diagram, Dot, OneMinus, Product, Q, Sum,
                       Teaching, Update, symbolic)

BLOCKS = ("z", "r", "h")


def step(x_t, prev, a):
    """One GRU step for a batch. x_t (B, F); prev h (B, U). Returns (B, U) arrays."""
    sigma, act, keep = a.recurrent_activation, a.activation, a.keep
    h_prev = prev["h"]
    W_z, W_r, W_h = blocks(a.kernel, 3)
    U_z, U_r, U_h = blocks(a.recurrent_kernel, 3)
    if a.reset_after:
        b_x, b_h = a.bias[..., 0, :], a.bias[..., 1, :]   # input row, recurrent row
    else:
        b_x, b_h = a.bias, 0 * a.bias                  # one bias, on the input side
    bx_z, bx_r, bx_h = blocks(b_x, 3)
    bh_z, bh_r, bh_h = blocks(b_h, 3)
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


def backward(s, d, a):
    """One GRU step backwards: dh is the whole gradient of h_t."""
    keep, h_prev = a.keep, s["h_prev"]
    W_z, W_r, W_h = blocks(a.kernel, 3)
    U_z, U_r, U_h = blocks(a.recurrent_kernel, 3)
    dh = d["h"]
    dz = keep(dh * (h_prev - s["h_tilde"]))                # h = z·h_prev + (1 − z)·h̃
    dh_tilde = keep(dh * (1 - s["z"]))
    dz_h = keep(a.activation_vjp(s["z_h"], s["h_tilde"], dh_tilde))
    if a.reset_after:                                      # z_h = x·W_h + b_in + r·(h·U_h + b_rec)
        recurrent_h = h_prev @ U_h + blocks(a.bias[1], 3)[2]
        dr = keep(dz_h * recurrent_h)
        d_recurrent_h = dz_h * s["r"]                      # reaches U_h and b_rec through r
        dh_prev_h = d_recurrent_h @ U_h.T
        dU_h = h_prev.T @ d_recurrent_h
    else:                                                  # z_h = x·W_h + (r·h)·U_h + b
        d_reset_h = dz_h @ U_h.T
        dr = keep(d_reset_h * h_prev)
        dh_prev_h = d_reset_h * s["r"]
        dU_h = (s["r"] * h_prev).T @ dz_h
        d_recurrent_h = np.zeros_like(dz_h)                # no recurrent bias
    dz_z = keep(a.recurrent_activation_vjp(s["z_z"], s["z"], dz))
    dz_r = keep(a.recurrent_activation_vjp(s["z_r"], s["r"], dr))
    d_gates = np.concatenate([dz_z, dz_r], axis=-1)        # (B, 2*units)
    dz_x = np.concatenate([dz_z, dz_r, dz_h], axis=-1)     # what reaches the kernel
    dh_prev = keep(dh * s["z"] + d_gates @ np.concatenate([U_z, U_r], axis=-1).T + dh_prev_h)
    recurrent_kernel = np.concatenate([h_prev.T @ d_gates, dU_h], axis=-1)
    if a.reset_after:   # row 0 the input bias, row 1 the recurrent bias
        bias = np.stack([dz_x.sum(axis=0),
                         np.concatenate([d_gates, d_recurrent_h], axis=-1).sum(axis=0)])
    else:
        bias = dz_x.sum(axis=0)
    return dict(dh=dh, dz=dz, dr=dr, dh_tilde=dh_tilde, dz_z=dz_z, dz_r=dz_r, dz_h=dz_h,
                prev={"h": dh_prev}, x=dz_x @ a.kernel.T, kernel=s["x"].T @ dz_x,
                recurrent_kernel=recurrent_kernel, bias=bias)


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
    """h[u] = z[u]·h_prev[u] + (1 − z[u])·h̃[u] = …"""
    z = s["z"][u]
    return (f"{label}[{u}] = z[{u}]·h_prev[{u}] + (1 − z[{u}])·h̃[{u}] = {factor(fmt, z)}·"
            f"{factor(fmt, s['h_prev'][u])} + {factor(fmt, 1 - z)}·"
            f"{factor(fmt, s['h_tilde'][u])} = {fmt(s['h'][u])}")


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


# ------------------------------------------------------------------ as explain and export show it

def pre_activation(block, case):
    """z_z and z_r: x·W_g + h_prev·U_g + bias; the candidate's z_h takes the reset gate
    after the recurrent matmul (its bias included) with reset_after, before it without."""
    x_part, h_part = Dot(("x",), "kernel"), Dot(("h_prev",), "recurrent_kernel")
    if not case.reset_after:
        if block == "h":
            h_part = Dot(("r", "h_prev"), "recurrent_kernel")
        return Sum((x_part, h_part) + ((Bias(),) if case.use_bias else ()))
    input_bias, recurrent_bias = ((Bias(0),), (Bias(1),)) if case.use_bias else ((), ())
    if block == "h":
        return Sum((x_part,) + input_bias
                   + (Product((Q("r"), Sum((h_part,) + recurrent_bias))),))
    return Sum((x_part, h_part) + input_bias + recurrent_bias)


def _reset_gradient(case):
    """dr: the reset gate scales the recurrent part after the matmul, or h_prev before it."""
    if case.reset_after:
        return "dz_h·(h_prev·U_h + b_h,rec)" if case.use_bias else "dz_h·(h_prev·U_h)"
    return "(dz_h·U_hᵀ)·h_prev"


def _into_h_prev(case):
    through_candidate = "(dz_h·r)·U_hᵀ" if case.reset_after else "(dz_h·U_hᵀ)·r"
    return f"dh·z + dz_z·U_zᵀ + dz_r·U_rᵀ + {through_candidate}"


BACKWARD = Backward(
    lines=(BackwardLine("dz", "dh·(h_prev − h̃)",
                        lambda v, n: f"{n.f(v['dh'])}·({n.f(v['h_prev'])} − "
                                     f"{n.f(v['h_tilde'])})"),
           BackwardLine("dh_tilde", "dh·(1 − z)",
                        lambda v, n: f"{n.f(v['dh'])}·(1 − {n.f(v['z'])})"),
           BackwardLine("dz_h", "dh̃·{act}'(z_h)",
                        lambda v, n: f"{n.f(v['dh_tilde'])}·"
                                     f"{n.slope('activation', v['z_h'], v['h_tilde'])}"),
           BackwardLine("dr", _reset_gradient),
           BackwardLine("dz_z", "dz·{rec}'(z_z)",
                        lambda v, n: f"{n.f(v['dz'])}·{n.slope('recurrent', v['z_z'], v['z'])}"),
           BackwardLine("dz_r", "dr·{rec}'(z_r)",
                        lambda v, n: f"{n.f(v['dr'])}·{n.slope('recurrent', v['z_r'], v['r'])}")),
    carry=(("h", _into_h_prev),),
    inputs="dz_z·W_zᵀ + dz_r·W_rᵀ + dz_h·W_hᵀ",
)


def diagram(case):
    """h_prev comes up the left: into the top line (kept where z is 1), into the buses of
    z and r, and through the reset gate into h~: as r·h_prev, or with reset_after as
    r·(h_prev·U_h + b_h,rec), a note between z and h~."""
    if case.reset_after:      # r scales h_prev·U_h + b_h,rec: a note between z and h~
        recurrent = Sum((Dot(("h_prev",), "recurrent_kernel"),)
                        + ((Bias(1),) if case.use_bias else ()))
        notes = ((450, 248, 140, 44, None, symbolic(recurrent, case, "h")),)
        reset, bus_end, read = (520, 170, "×"), 520, "r·(h_t-1·U_h)"
        wires = ((520, 360, 520, 292, 1), (520, 248, 520, 188, 1),             # h_prev·U_h
                 (170, 218, 170, 170, 0), (170, 170, 503, 170, 1), (537, 170, 610, 170, 0))
    else:                     # r scales h_prev itself
        notes, reset, bus_end, read = (), (170, 170, "×"), 305, "r·h_t-1"
        wires = ((170, 218, 170, 188, 1), (40, 170, 153, 170, 1), (187, 170, 610, 170, 0))
    return Diagram(
        caption="GRU cell: update gate z and reset gate r, each reading all of h_t-1 and all "
                f"of x_t; candidate h~ reading x_t and {read}; output h",
        boxes=(("r", 170, 270), ("z", 330, 270), ("h_tilde", 700, 270)),
        notes=notes,
        nodes=((330, 60, "×"), (700, 60, "+"), (700, 150, "×"), (450, 110, "1−"), reset),
        wires=((40, 420, 40, 60, 0), (40, 60, 313, 60, 1),                      # h_prev up
               (347, 60, 683, 60, 1), (717, 60, 825, 60, 1),                    # h line
               (40, 360, bus_end, 360, 0),                                      # h_prev bus
               (145, 360, 145, 324, 1), (305, 360, 305, 324, 1),
               (600, 420, 600, 395, 0), (195, 395, 725, 395, 0),                # x bus
               (195, 395, 195, 324, 1), (355, 395, 355, 324, 1), (725, 395, 725, 324, 1),
               (610, 170, 610, 270, 0), (610, 270, 636, 270, 1),                # reset -> h~
               (330, 218, 330, 78, 1),                                          # z -> x
               (330, 110, 433, 110, 1), (467, 110, 640, 110, 0),                # 1 - z
               (640, 110, 640, 150, 0), (640, 150, 683, 150, 1),
               (700, 218, 700, 168, 1), (700, 133, 700, 78, 1)) + wires,        # h~ -> x -> +
        ends=((832, 52, "h", "t"),),
        values=((832, 84, "h"),))


TEACHING = Teaching(
    activated=None,     # the gates
    pre_activation=pre_activation,
    updates=(Update("h", "hidden state", Sum((Product((Q("z"), Q("h_prev"))),
                                              Product((OneMinus(Q("z")), Q("h_tilde")))))),),
    diagram=diagram,
    backward=BACKWARD,
)


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
    step=step, backward=backward,
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
    keep_gate="z",   # h = z·h_prev + (1 − z)·h̃
    teaching=TEACHING,
    layout_names={"pytorch": {"h": "n"}},
)
