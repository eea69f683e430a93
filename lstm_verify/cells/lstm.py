"""The LSTM, as Keras's LSTMCell computes it (keras/src/layers/rnn/lstm.py).

    z = x_t·kernel + h_{t-1}·recurrent_kernel + bias      split into z_i, z_f, z_c, z_o
    i = σ(z_i)   f = σ(z_f)   c̃ = act(z_c)   o = σ(z_o)
    c_t = f ⊙ c_{t-1} + i ⊙ c̃
    h_t = o ⊙ act(c_t)

σ is recurrent_activation (sigmoid by default), act is activation (tanh).
"""

from dataclasses import replace

import numpy as np

from .. import activations
from .cell import Cell, Gate, Mistake, affine_text, blocks, factor
from .teaching import (Act, Backward, BackwardLine, Bias, Diagram, Dot, Product, Q, Sum,
                       Teaching, Update)

BLOCKS = ("i", "f", "c", "o")


def step(x_t, prev, a):
    """One LSTM step for a batch. x_t (B, F); prev h, c (B, U). Returns (B, U) arrays."""
    sigma, act, keep = a.recurrent_activation, a.activation, a.keep
    z = x_t @ a.kernel + prev["h"] @ a.recurrent_kernel + a.bias          # (B, 4*units)
    z_i, z_f, z_c, z_o = blocks(z, 4)
    i = keep(sigma(z_i))
    f = keep(sigma(z_f))
    c_tilde = keep(act(z_c))
    o = keep(sigma(z_o))
    c = keep(f * prev["c"] + i * c_tilde)
    act_c = keep(a.cell_activation(c))
    h = keep(o * act_c)
    return dict(z_i=z_i, z_f=z_f, z_c=z_c, z_o=z_o, i=i, f=f, c_tilde=c_tilde, o=o,
                act_c=act_c, c=c, h=h)


def backward(s, d, a):
    """One LSTM step backwards: dh and dc are the whole gradients of h_t and c_t from
    later steps (and, for h, this step's output)."""
    keep = a.keep
    do = keep(d["h"] * s["act_c"])                              # h = o·act(c)
    dc = keep(d["c"] + a.cell_activation_vjp(s["c"], s["act_c"], d["h"] * s["o"]))
    di = keep(dc * s["c_tilde"])                                # c = f·c_prev + i·c̃
    df = keep(dc * s["c_prev"])
    dc_tilde = keep(dc * s["i"])
    dz_i = keep(a.recurrent_activation_vjp(s["z_i"], s["i"], di))
    dz_f = keep(a.recurrent_activation_vjp(s["z_f"], s["f"], df))
    dz_c = keep(a.activation_vjp(s["z_c"], s["c_tilde"], dc_tilde))
    dz_o = keep(a.recurrent_activation_vjp(s["z_o"], s["o"], do))
    dz = np.concatenate([dz_i, dz_f, dz_c, dz_o], axis=-1)     # (B, 4*units)
    return dict(dh=d["h"], dc=dc, do=do, dc_tilde=dc_tilde, di=di, df=df, dz_i=dz_i,
                dz_f=dz_f, dz_c=dz_c, dz_o=dz_o,
                prev={"h": keep(dz @ a.recurrent_kernel.T), "c": keep(dc * s["f"])},
                x=dz @ a.kernel.T, kernel=s["x"].T @ dz, recurrent_kernel=s["h_prev"].T @ dz,
                bias=dz.sum(axis=0))


def equations(case):
    act = case.activation or "linear"
    sigma = case.recurrent_activation or "linear"
    return [f"z_g = x·W_g + h_prev·U_g{' + b_g' if case.use_bias else ''}   "
            "for g in i, f, c, o",
            f"i = {sigma}(z_i)   f = {sigma}(z_f)   c̃ = {act}(z_c)   o = {sigma}(z_o)",
            f"c = f·c_prev + i·c̃   h = o·{act}(c)"]


def bias_shape(units, reset_after=True):
    return (4 * units,), "[4*units] (blocks i, f, c, o)"


def pre_activation_text(name, s, u, case, fmt):
    return affine_text(case, s, BLOCKS.index(name[-1]), u, fmt)


def state_text(name, label, s, u, case, fmt):
    """c[u] = f[u]·c_prev[u] + i[u]·c̃[u] = …, or h[u] = o[u]·tanh(c[u]) = …"""
    if name == "c":
        f, c_prev, i, c_tilde = (factor(fmt, s[q][u]) for q in ("f", "c_prev", "i", "c_tilde"))
        return (f"c[{u}] = f[{u}]·c_prev[{u}] + i[{u}]·c̃[{u}] = {f}·{c_prev} + {i}·{c_tilde} = "
                f"{fmt(s['c'][u])}")
    c, act = s["c"][u], case.activation or "linear"
    if act == "linear":
        symbolic, applied = f"c[{u}]", factor(fmt, c)
    else:
        symbolic, applied = f"{act}(c[{u}])", f"{act}({fmt(c)})"
    return (f"{label}[{u}] = o[{u}]·{symbolic} = {factor(fmt, s['o'][u])}·{applied} = "
            f"{fmt(s['h'][u])}")


# ------------------------------------------------------------------ the LSTM's own mistakes

def swap_h_c(trace):
    return trace.replace(h=trace.steps["c"], c=trace.steps["h"],
                         final={"h": trace.final["c"], "c": trace.final["h"]})


def _without_output_gate(x_t, prev, a):
    values = step(x_t, prev, a)
    values["h"] = values["act_c"]
    return values


def _with_cell_state(values, c, a):
    """The step's values with another cell state, and h = o·act(c) from it."""
    c = a.keep(c)
    act_c = a.keep(a.cell_activation(c))
    return {**values, "c": c, "act_c": act_c, "h": a.keep(values["o"] * act_c)}


def _forget_term_dropped(x_t, prev, a):
    values = step(x_t, prev, a)
    return _with_cell_state(values, values["i"] * values["c_tilde"], a)


def _coupled_gates(x_t, prev, a):
    values = step(x_t, prev, a)
    f = values["f"]
    return _with_cell_state(values, f * prev["c"] + (1 - f) * values["c_tilde"], a)


def _feeding_c(x_t, prev, a):
    return step(x_t, {"h": prev["c"], "c": prev["c"]}, a)


def _forget_bias_plus_one(case):
    one = np.zeros(4 * case.units)
    one[case.units:2 * case.units] = 1.0
    bias = one if not case.use_bias else case.bias + one
    return replace(case, use_bias=True, bias=bias)


def _one_activation_mistakes(case):
    """activation swapped on c~ alone or on the cell output alone (both at once is one of
    every cell's mistakes)."""
    linear = dict(f=activations.get(None), d=activations.vjp(None))
    tanh = dict(f=activations.get("tanh"), d=activations.vjp("tanh"))
    if (case.activation or "linear") == "linear":
        for where, change in (("c~", dict(activation=tanh["f"], activation_vjp=tanh["d"])),
                              ("the cell output (h = o·tanh(c))",
                               dict(cell_activation=tanh["f"], cell_activation_vjp=tanh["d"]))):
            text = f"tanh applied to {where} where Keras applies none (activation is linear)"
            yield Mistake("linear-activation", text, text,
                          arithmetic=lambda a, change=change: replace(a, **change))
    else:
        for where, change in (("the candidate c~", dict(activation=linear["f"],
                                                         activation_vjp=linear["d"])),
                              ("the cell output (h = o·c)",
                               dict(cell_activation=linear["f"],
                                    cell_activation_vjp=linear["d"]))):
            text = f"linear in place of {case.activation} on {where}"
            yield Mistake("linear-activation", text, text,
                          arithmetic=lambda a, change=change: replace(a, **change))


def mistakes(case):
    yield from _one_activation_mistakes(case)
    text = "1 added to z_f at run time (TensorFlow 1's forget_bias=1.0)"
    yield Mistake("forget-bias-plus-one", text, f"forget bias +1: {text}",
                  case=_forget_bias_plus_one(case))
    act = "c" if (case.activation or "linear") == "linear" else f"{case.activation}(c)"
    yield Mistake("output-gate-ignored", f"h = {act}",
                  f"the output gate left out: h = {act} instead of h = o·{act}",
                  step=_without_output_gate)
    if case.steps > 1 or np.any(case.c0):
        yield Mistake("forget-term-dropped", "c = i·c~",
                      "the forget term left out: c = i·c~ instead of c = f·c_prev + i·c~",
                      step=_forget_term_dropped)
    yield Mistake("coupled-gates", "c = f·c_prev + (1 − f)·c~",
                  "the input gate coupled to the forget gate: c = f·c_prev + (1 − f)·c~ "
                  "(a peephole/CIFG variant) instead of c = f·c_prev + i·c~",
                  step=_coupled_gates)
    text = "h and c swapped (return_state gives output, h, c in that order)"
    yield Mistake("h-c-swapped", text, text, relabel=swap_h_c)
    if case.steps > 1 or np.any(case.c0 != case.h0):
        text = "c fed back in place of h (z = x·W + c_prev·U + b)"
        yield Mistake("h-c-swapped", text, text, step=_feeding_c)


# ------------------------------------------------------------------ as explain and export show it

def pre_activation(block, case):
    """z_g = x·W_g + h_prev·U_g + b_g, the same for every block."""
    bias = (Bias(),) if case.use_bias else ()
    return Sum((Dot(("x",), "kernel"), Dot(("h_prev",), "recurrent_kernel")) + bias)


def _through(gradient, role, z, y):
    """dz = d(gate)·act'(z), with its numbers."""
    return lambda v, n: f"{n.f(v[gradient])}·{n.slope(role, v[z], v[y])}"


def _times(left, right):
    return lambda v, n: f"{n.f(v[left])}·{n.f(v[right])}"


BACKWARD = Backward(
    lines=(BackwardLine("do", "dh·{act}(c)", _times("dh", "act_c")),
           BackwardLine("dc", "dc_in + dh·o·{act}'(c)",
                        lambda v, n: f"{n.f(v['dc_in'])} + {n.f(v['dh'])}·{n.f(v['o'])}·"
                                     f"{n.slope('activation', v['c'], v['act_c'])}"),
           BackwardLine("di", "dc·c̃", _times("dc", "c_tilde")),
           BackwardLine("df", "dc·c_prev", _times("dc", "c_prev")),
           BackwardLine("dc_tilde", "dc·i", _times("dc", "i")),
           BackwardLine("dz_i", "di·{rec}'(z_i)", _through("di", "recurrent", "z_i", "i")),
           BackwardLine("dz_f", "df·{rec}'(z_f)", _through("df", "recurrent", "z_f", "f")),
           BackwardLine("dz_c", "dc̃·{act}'(z_c)",
                        _through("dc_tilde", "activation", "z_c", "c_tilde")),
           BackwardLine("dz_o", "do·{rec}'(z_o)", _through("do", "recurrent", "z_o", "o"))),
    carry=(("h", "dz_i·U_iᵀ + dz_f·U_fᵀ + dz_c·U_cᵀ + dz_o·U_oᵀ"), ("c", "dc·f")),
    inputs="dz_i·W_iᵀ + dz_f·W_fᵀ + dz_c·W_cᵀ + dz_o·W_oᵀ",
)


TEACHING = Teaching(
    activated=None,     # the gates
    pre_activation=pre_activation,
    updates=(Update("c", "cell state", Sum((Product((Q("f"), Q("c_prev"))),
                                            Product((Q("i"), Q("c_tilde")))))),
             Update("h", "hidden state", Product((Q("o"), Act("activation", Q("c")))))),
    # the cell state line on top, the gates below it, and under the gates two buses: all of
    # h_prev and all of x into every gate (the x taps cross the h_prev bus)
    diagram=Diagram(
        caption="LSTM cell: gates i, f, candidate, o, each reading all of h_t-1 and all of "
                "x_t; cell state c; output h",
        boxes=(("f", 150, 270), ("i", 285, 270), ("c_tilde", 420, 270), ("o", 590, 270)),
        notes=((530, 105, 120, 50, "activation", "c"),),
        nodes=((150, 60, "×"), (420, 60, "+"), (420, 150, "×"), (590, 190, "×")),
        wires=((95, 60, 133, 60, 1), (167, 60, 403, 60, 1), (437, 60, 725, 60, 1),  # c line
               (40, 420, 40, 360, 0), (40, 360, 565, 360, 0),                    # h_prev bus
               (125, 360, 125, 324, 1), (260, 360, 260, 324, 1), (395, 360, 395, 324, 1),
               (565, 360, 565, 324, 1),
               (600, 420, 600, 395, 0), (175, 395, 615, 395, 0),                 # x bus
               (175, 395, 175, 324, 1), (310, 395, 310, 324, 1), (445, 395, 445, 324, 1),
               (615, 395, 615, 324, 1),
               (150, 218, 150, 78, 1),                                          # f -> x
               (285, 218, 285, 150, 0), (285, 150, 402, 150, 1),                # i -> x
               (420, 218, 420, 168, 1), (420, 133, 420, 78, 1),                 # c~ -> x -> +
               (590, 60, 590, 103, 1), (590, 155, 590, 172, 1),                 # c -> act -> x
               (590, 218, 590, 208, 1), (607, 190, 725, 190, 1)),               # o -> x -> h
        ends=((10, 52, "c", "t-1"), (732, 52, "c", "t"), (732, 182, "h", "t")),
        values=((10, 84, "c_prev"), (732, 84, "c"), (732, 214, "h"))),
    backward=BACKWARD,
    extras=(Update("act_c", "activation of c", Act("activation", Q("c"))),),
)


CELL = Cell(
    name="lstm", title="LSTM", keras_layer="LSTM", keras_cell="LSTMCell",
    blocks=BLOCKS,
    gates=(Gate("i", "i", "recurrent", "input gate", "i"),
           Gate("f", "f", "recurrent", "forget gate", "f"),
           Gate("c_tilde", "c", "activation", "candidate", "c̃"),
           Gate("o", "o", "recurrent", "output gate", "o")),
    states=("h", "c"),
    rows=("i", "f", "c_tilde", "o", "c", "h"),
    pre_activations=("z_i", "z_f", "z_c", "z_o"),
    extras=("act_c",),
    step=step, backward=backward,
    # i = rec(z_i), f = rec(z_f), c~ = act(z_c), o = rec(z_o), then act(c) for h
    keras_calls=(("recurrent", "z_i", "i"), ("recurrent", "z_f", "f"),
                 ("activation", "z_c", "c_tilde"), ("recurrent", "z_o", "o"),
                 ("activation", None, "act_c")),
    equations=equations, bias_shape=bias_shape, pre_activation_text=pre_activation_text,
    state_text=state_text, mistakes=mistakes,
    symbols={"c_tilde": "c~", "sequence": "output"},
    activation_targets="c~ and the cell output",
    # PyTorch's g and TF1's j are the candidate c~
    layouts={"keras": "ifco", "pytorch": "ifco", "onnx": "iofc", "cudnn": "ifco",
             "tf1": "icfo"},
    keep_gate="f",
    teaching=TEACHING,
    layout_names={"pytorch": {"c": "g"}, "tf1": {"c": "j"}},
)
