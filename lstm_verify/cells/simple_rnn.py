"""The SimpleRNN, as Keras's SimpleRNNCell computes it (keras/src/layers/rnn/simple_rnn.py).

    h_t = act(x_t·kernel + h_{t-1}·recurrent_kernel + bias)

One block, no gates, no recurrent_activation; activation is tanh by default.
"""

from .cell import Cell, Gate, affine_text
from .teaching import Backward, BackwardLine, Bias, Diagram, Dot, Sum, Teaching


def step(x_t, prev, a):
    """One SimpleRNN step for a batch. x_t (B, F); prev h (B, U). Returns (B, U) arrays."""
    z_h = x_t @ a.kernel + prev["h"] @ a.recurrent_kernel + a.bias       # (B, units)
    h = a.keep(a.activation(z_h))
    return dict(z_h=z_h, h=h)


def backward(s, d, a):
    """One SimpleRNN step backwards: dh is the whole gradient of h_t."""
    dz_h = a.keep(a.activation_vjp(s["z_h"], s["h"], d["h"]))   # h = act(z_h)
    return dict(dh=d["h"], dz_h=dz_h, prev={"h": a.keep(dz_h @ a.recurrent_kernel.T)},
                x=dz_h @ a.kernel.T, kernel=s["x"].T @ dz_h,
                recurrent_kernel=s["h_prev"].T @ dz_h, bias=dz_h.sum(axis=0))


def equations(case):
    act = case.activation or "linear"
    return [f"h = {act}(z_h),   z_h = x·W + h_prev·U{' + b' if case.use_bias else ''}"]


def bias_shape(units, reset_after=True):
    return (units,), "[units]"


def pre_activation_text(name, s, u, case, fmt):
    return affine_text(case, s, 0, u, fmt)


def state_text(name, label, s, u, case, fmt):
    """h[u] = tanh(z_h[u]) = tanh(0.5) = 0.462117; z_h[u] = x·W + h·U + b = …"""
    z, act = s["z_h"][u], case.activation or "linear"
    applied = f"{fmt(z)} (linear)" if act == "linear" else f"{act}({fmt(z)})"
    symbolic = f"z_h[{u}]" if act == "linear" else f"{act}(z_h[{u}])"
    return (f"{label}[{u}] = {symbolic} = {applied} = {fmt(s['h'][u])}; z_h[{u}] = "
            f"{affine_text(case, s, 0, u, fmt)} = {fmt(z)}")


def mistakes(case):
    return ()


# ------------------------------------------------------------------ as explain and export show it

def pre_activation(block, case):
    """z_h = x·W_h + h_prev·U_h + b_h."""
    bias = (Bias(),) if case.use_bias else ()
    return Sum((Dot(("x",), "kernel"), Dot(("h_prev",), "recurrent_kernel")) + bias)


TEACHING = Teaching(
    # no gates: the state itself is the activation of the one block
    activated=(Gate("h", "h", "activation", "hidden state", "h"),),
    pre_activation=pre_activation,
    updates=(),
    diagram=Diagram(
        caption="SimpleRNN cell: h = activation(x·W + h_prev·U + b), reading all of h_t-1 "
                "and all of x_t; output h",
        boxes=(("h", 400, 270),),
        notes=(),
        nodes=(),
        wires=((40, 420, 40, 360, 0), (40, 360, 375, 360, 0), (375, 360, 375, 324, 1),
               (600, 420, 600, 395, 0), (425, 395, 600, 395, 0), (425, 395, 425, 324, 1),
               (400, 218, 400, 60, 0), (400, 60, 725, 60, 1)),
        ends=((732, 52, "h", "t"),),
        values=()),
    backward=Backward(
        lines=(BackwardLine("dz_h", "dh·{act}'(z_h)",
                            lambda v, n: f"{n.f(v['dh'])}·"
                                         f"{n.slope('activation', v['z_h'], v['h'])}"),),
        carry=(("h", "dz_h·Uᵀ"),),
        inputs="dz_h·Wᵀ"),
)


CELL = Cell(
    name="simple_rnn", title="SimpleRNN", keras_layer="SimpleRNN",
    keras_cell="SimpleRNNCell",
    blocks=("h",),
    gates=(),
    states=("h",),
    rows=("h",),
    pre_activations=("z_h",),
    extras=(),
    step=step, backward=backward,
    keras_calls=(("activation", "z_h", None),),   # its output is the state h
    equations=equations, bias_shape=bias_shape, pre_activation_text=pre_activation_text,
    state_text=state_text, mistakes=mistakes,
    symbols={"sequence": "output"},
    activation_targets="h",
    has_recurrent_activation=False,
    layouts={"keras": "h", "pytorch": "h", "onnx": "h"},
    teaching=TEACHING,
)
