"""What a cell description says, and what one step computes with.

In the spirit of Keras's own RNN design (keras/src/layers/rnn/rnn.py), where one loop
drives any cell that has ``call(inputs, states)`` and a ``state_size``: a Cell says
its gates, its states, its weight shapes, one step of its equations, the order in
which Keras's cell calls its activations, its equations as text, its block orders in
other frameworks' layouts and its own classic mistakes.  Nothing here loops over
time, reads files or prints.
"""

from dataclasses import dataclass, field, replace


def as_is(value):
    return value


@dataclass(frozen=True)
class Arithmetic:
    """What one step computes with. Weights in Keras's layout: kernel (F, nU),
    recurrent_kernel (U, nU), bias (nU,) — (2, 3U) for a GRU with reset_after — and
    zeros when the layer has no bias.  The activations by the option they come from;
    ``cell_activation`` is the LSTM's activation on c (h = o·act(c)).  ``keep`` is
    applied to each value as it is computed: as is, or (diagnosis) rounded the way an
    author rounds by hand, or (exact walkthrough) checked for size."""

    kernel: object
    recurrent_kernel: object
    bias: object
    activation: object
    recurrent_activation: object = None
    cell_activation: object = None
    reset_after: bool = True
    keep: object = as_is
    # the backward pass: vjp(x, y, g) -> dL/dx for each activation (activations.vjp)
    activation_vjp: object = None
    recurrent_activation_vjp: object = None
    cell_activation_vjp: object = None


@dataclass(frozen=True)
class Gate:
    """A per-step quantity computed from one weight block through one activation."""

    name: str        # the trace's name for it: i, c_tilde, z, h_tilde
    block: str       # the weight block it reads (a letter of Cell.blocks)
    role: str        # "recurrent" (recurrent_activation) or "activation"
    title: str       # "input gate"
    symbol: str      # how reports write it: i, c̃, h̃


@dataclass(frozen=True)
class Mistake:
    """One of a cell's own classic mistakes, as something the reference loop can rerun:
    a changed case, a wrapped step, or a relabelling of the finished trace."""

    id: str
    detail: str                  # for --json: the order, the decimals, which activation
    text: str                    # plain words for the report and the verdict
    case: object = None          # the case as the author read it (None: unchanged)
    step: object = None          # step(x_t, prev, a) as the author computed it
    arithmetic: object = None    # Arithmetic -> Arithmetic (other activations, rounding)
    relabel: object = None       # trace -> trace, when the labels are the mistake
    slack: float = 0.0           # extra absolute tolerance (half a unit of written decimals)


@dataclass(frozen=True)
class Cell:
    name: str                  # as a case writes it: lstm, gru, simple_rnn
    title: str                 # LSTM, GRU, SimpleRNN
    keras_layer: str           # keras.layers.<keras_layer>
    keras_cell: str            # keras.layers.<keras_cell>, for the gate capture
    blocks: tuple              # the weight column blocks, in Keras's order
    gates: tuple               # Gate, in report order
    states: tuple              # ("h", "c") or ("h",); h is always the output
    rows: tuple                # what a step shows and an author may write, in order
    pre_activations: tuple     # the step's z_… quantities, by block
    extras: tuple              # other per-step quantities the step returns (act_c)
    step: object               # step(x_t (B, F), prev {state: (B, U)}, a) -> {name: (B, U)}
    # backward(s, d, a): one step of backpropagation through time. s: the step's forward
    # values (B, U) with x and the previous states; d: {state: dL/d(state after the step)},
    # each the whole gradient (output and later steps). Returns the step's gradients
    # (d + each row and pre-activation), "prev" {state: dL/d(state before)}, "x", and
    # this step's share of the weight gradients "kernel", "recurrent_kernel", "bias".
    backward: object
    # Keras's cell calls its activations in this order within a step: (role, the
    # quantity fed in or None, the quantity returned or None), for the gate capture.
    keras_calls: tuple
    equations: object          # equations(case) -> lines of text for reports
    bias_shape: object         # bias_shape(units, reset_after) -> (shape, meaning)
    pre_activation_text: object  # (name, s, u, case, fmt) -> "x·W + h·U + b = 1 + 0 + 3"
    state_text: object         # (name, label, s, u, case, fmt) -> "c[0] = f[0]·c_prev[0] + …"
    mistakes: object           # mistakes(case) -> iterable of Mistake
    symbols: dict              # quantity -> plain-text symbol (c~, h~)
    activation_targets: str    # what `activation` is applied to, in words
    options: dict = field(default_factory=dict)   # cell-only options and Keras defaults
    has_recurrent_activation: bool = True
    layouts: dict = field(default_factory=dict)   # layout -> its block order, Keras's letters
    # the gate whose bias decides how much of the previous state a step keeps (LSTM f,
    # GRU z); inspect marks its bias in a saved layer and says how it compares
    keep_gate: str = None
    teaching: object = None    # teaching.Teaching: what explain and export show
    # layout -> {Keras's block letter: the layout's own name for it}, where they differ
    layout_names: dict = field(default_factory=dict)

    def __reduce__(self):
        # a cell pickles as its name (its equations are functions, some lambdas), so a
        # Result can cross to another process (suite's parallel verify)
        return _cell_named, (self.name,)

    @property
    def a_title(self):
        """'an LSTM', 'a GRU', 'a SimpleRNN'."""
        return ("an " if self.title[0] in "AEFHILMNORSX" and self.title.isupper() else "a ") \
            + self.title

    @property
    def written(self):
        """What an author may write for a step, in the order a step computes it: the
        pre-activations, then the rows with the extras (the LSTM's act_c) before h."""
        return self.pre_activations + self.rows[:-1] + self.extras + self.rows[-1:]

    @property
    def quantities(self):
        """Every per-step quantity of a trace."""
        return self.pre_activations + self.rows + self.extras

    def block_index(self, block):
        return self.blocks.index(block)

    def gate(self, name):
        return next(g for g in self.gates if g.name == name)

    def symbol(self, quantity):
        return self.symbols.get(quantity, quantity)


def _cell_named(name):
    from . import get
    return get(name)


def blocks(array, n):
    """The n equal column blocks of ``array`` (last axis), as views: z_i, z_f, z_c, z_o
    of an LSTM's z.  np.split's own bookkeeping costs more than a small step's sums."""
    width = array.shape[-1] // n
    return [array[..., k * width:(k + 1) * width] for k in range(n)]


def factor(fmt, value):
    """A number as a factor of a product: a negative one in parentheses, 0.5·(-0.3)."""
    text = fmt(value)
    return f"({text})" if text.startswith("-") else text


def affine_text(case, s, block_index, u, fmt, recurrent_bias=False):
    """'x·W + h·U + b = 1 + 0 + 3' for unit u of one weight block: the input and the
    previous h each dotted with the block's column, then the bias (with a GRU's second
    bias row when ``recurrent_bias``)."""
    col = block_index * case.units + u
    x_part = float(s["x"] @ case.kernel[:, col])
    h_part = float(s["h_prev"] @ case.recurrent_kernel[:, col])
    if not case.use_bias:
        return f"x·W + h·U = {fmt(x_part)} + {fmt(h_part)}"
    if recurrent_bias:
        b_x, b_h = case.bias[0, col], case.bias[1, col]
        return (f"x·W + b_x + h·U + b_h = {fmt(x_part)} + {fmt(b_x)} + {fmt(h_part)} + "
                f"{fmt(b_h)}")
    return f"x·W + h·U + b = {fmt(x_part)} + {fmt(h_part)} + {fmt(float(case.bias[col]))}"


def zeros_bias(case):
    """The case's bias, or zeros of its shape for a layer without bias."""
    import numpy as np

    if case.use_bias:
        return case.bias
    shape, _ = case.cell.bias_shape(case.units, case.reset_after)
    return np.zeros(shape)


def computed_order(cell, x_t, prev, a):
    """The names of a step's values in the order the step passes them through ``keep``
    (i, f, c~, o, c, act_c, h for the LSTM): the order its equations compute them."""
    import numpy as np

    seen = []

    def record(value):
        copy = np.array(value)   # its own object: a linear activation returns its input
        seen.append(copy)
        return copy
    values = cell.step(x_t, prev, replace(a, keep=record))
    return [next((n for n, v in values.items() if v is kept), None) for kept in seen]
