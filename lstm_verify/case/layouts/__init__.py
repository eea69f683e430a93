"""A cell's weights in other frameworks' layouts, read into Keras's form and written back.

Keras computes ``z = x·kernel + h·recurrent_kernel + bias`` with row vectors, so its
matrices are [in, out]: kernel [F, nU], recurrent_kernel [U, nU], column blocks in the
cell's Keras order (LSTM i, f, c, o; GRU z, r, h; SimpleRNN one block), n blocks of U
= units = hidden_size columns each.  One module per layout says its keys and shapes:

  keras    Keras's own (the form every other is read into)
  pytorch  torch.nn.LSTM / GRU / RNN: weight_ih, weight_hh [out, in], bias_ih, bias_hh
  onnx     the LSTM / GRU / RNN operators: W, R [1, out, in], B = [Wb, Rb], and the
           GRU's linear_before_reset
  cudnn    cuDNN's canonical per-gate matrices and biases (LSTM only)
  tf1      tf.compat.v1 LSTMCell: one kernel on concat([x, h]), forget_bias (LSTM only)

The frameworks that multiply column vectors store [out, in] matrices: each is Keras's
block transposed.  A two-bias layout is read as Keras's one bias (the sum) — or as
Keras's two rows, for a GRU with reset_after — and Keras's one bias is written as (bias,
zeros), so keras -> X -> keras is exact.  Which layouts a cell has, and their block
orders, the cell says (``Cell.layouts``).
"""

from ... import cells
from . import cudnn, keras, onnx, pytorch, tf1
from .common import Weights, own_names

LAYOUTS = {"keras": keras, "pytorch": pytorch, "onnx": onnx, "cudnn": cudnn, "tf1": tf1}

__all__ = ["LAYOUTS", "Weights", "export", "mapping_lines", "meanings", "own_names", "parse",
           "unsupported"]


def unsupported(cell, layout, reset_after=True):
    """Why ``layout`` cannot hold this cell's weights (None: it can)."""
    if layout not in cell.layouts:
        owners = [c.title for c in cells.CELLS.values() if layout in c.layouts]
        return (f"the {layout} layout is for {' and '.join(owners)} weights only; "
                f"{cell.a_title} has the layouts {', '.join(cell.layouts)}")
    kinds = LAYOUTS[layout].RESET_AFTER
    if "reset_after" in cell.options and kinds is not None and reset_after not in kinds:
        return LAYOUTS[layout].NO_RESET_AFTER_FALSE
    return None


def export(layout, w, forget_bias=0.0):
    """A {key: array} mapping of ``w`` (Weights) in ``layout``'s own names and shapes
    (``forget_bias``: TF1's, subtracted from f's bias)."""
    why = unsupported(w.cell, layout, w.reset_after)
    if why:
        raise ValueError(why)
    return LAYOUTS[layout].export(w, forget_bias=forget_bias)


def meanings(layout, cell, reset_after):
    """{key: its shape and block order in words}, for comments next to the arrays."""
    return LAYOUTS[layout].meanings(cell, reset_after)


def parse(r, weights, case, units_given, layout, reset_after_given=None):
    """Weights (Keras's order) from a case's ``weights`` mapping in ``layout``; every shape
    is checked and named by the framework's own axis meanings.  ``reset_after_given``
    is the case's top-level reset_after (None when absent): a layout that fixes it
    (PyTorch's GRU, ONNX's linear_before_reset) decides it when absent and refuses a
    contradiction."""
    cell, module = case.cell, LAYOUTS[layout]
    if layout not in cell.layouts:
        raise r.fail("weights.layout", f"is {layout}, but {unsupported(cell, layout)}")
    r.keys(weights, "weights", ("layout",) + module.keys(cell))
    reset_after = module.reset_after(r, weights, cell, reset_after_given)
    needed = [k for k in module.keys(cell)
              if k not in module.bias_keys(cell) and k not in module.OPTIONAL]
    if case.use_bias:
        needed += list(module.bias_keys(cell))
    missing = [k for k in needed if k not in weights]
    if missing:
        raise r.fail("weights", f"has no {', '.join(missing)}; layout {layout} needs "
                     f"{', '.join(needed)}" + ("" if case.use_bias else " (use_bias is false)"))
    if not case.use_bias:
        extra = [k for k in module.bias_keys(cell) if k in weights]
        if extra:
            raise r.fail(f"weights.{extra[0]}", "is given but use_bias is false; remove "
                         "the bias or set use_bias: true")
    w = module.parse(r, weights, case, units_given)
    w.reset_after = case.reset_after if reset_after is None else reset_after
    return w


def mapping_lines(layout, w):
    """How Keras's blocks of ``w`` correspond to ``layout``'s (for people; printed by
    convert).  When ``w`` holds two biases, the layout's two add up to Keras's one."""
    cell, module = w.cell, LAYOUTS[layout]
    F, U, n = w.kernel.shape[0], w.units, len(cell.blocks)
    use_bias = w.bias is not None
    bias = ("" if not use_bias else f", bias [2, {n * U}]" if w.two_rows
            else f", bias [{n * U}]")
    word = "gate" if cell.gates else "block"
    theirs = own_names(cell, layout)
    theirs = f"gates {theirs}" if cell.gates else _blocks(theirs, n)
    head = (f"Keras kernel [{F}, {n * U}], recurrent_kernel [{U}, {n * U}]{bias} (column "
            f"{_blocks(', '.join(cell.blocks), n)}) and {layout} ({theirs}):")
    lines = [head]
    own = own_names(cell, layout).split(", ")
    order = cell.layouts[layout]
    for k, g in enumerate(cell.blocks):
        a, b = k * U, (k + 1) * U
        keras_refs = {"kernel": f"kernel[:, {a}:{b}]",
                      "recurrent_kernel": f"recurrent_kernel[:, {a}:{b}]",
                      "bias": None, "two_rows": w.two_rows,
                      "two_biases": w.bias_h is not None}
        if use_bias:
            keras_refs["bias"] = ((f"bias[0, {a}:{b}]", f"bias[1, {a}:{b}]") if w.two_rows
                                  else f"bias[{a}:{b}]")
        position = order.index(g)
        line = module.block_line(cell, g, position, F, U, keras_refs)
        lines.append(f"  {word} {g} ({own[position]}): {line}")
    return lines


def _blocks(names, n):
    return f"blocks {names}" if n > 1 else f"block {names}"
