"""The bias mistakes every cell shares: counted twice, left out, or added after the
activation instead of before it.  What a quantity's bias is comes from the cell's own
expressions (cells/teaching.py): the Bias terms of its pre-activation."""

from dataclasses import replace

import numpy as np

from ..cells import Mistake
from ..cells.cell import computed_order
from ..cells.teaching import (Bias, Product, Sum, activated, column, parts, symbolic,
                             two_bias_rows)


def bias_mistakes(case):
    """The bias counted twice, left out, or added after the activation."""
    if case.use_bias and case.bias is not None and np.any(case.bias):
        text = ("bias counted twice (PyTorch's b_ih + b_hh or cuDNN's two biases, both set "
                "to the Keras bias)")
        yield Mistake("bias-doubled", text, text, case=replace(case, bias=2 * case.bias))
        yield Mistake("bias-dropped", "bias left out", "the bias left out",
                      case=replace(case, use_bias=False))
        yield _bias_after_activation(case)


def _biases(expr):
    """The Bias terms of a pre-activation (a GRU's candidate has its recurrent row inside
    r·(...))."""
    return [expr] if isinstance(expr, Bias) else [b for p in parts(expr) for b in _biases(p)]


def _without_bias(expr):
    if isinstance(expr, Sum):
        return Sum(tuple(_without_bias(t) for t in expr.terms if not isinstance(t, Bias)))
    if isinstance(expr, Product):
        return Product(tuple(_without_bias(f) for f in expr.factors))
    return expr


def _bias_after_activation(case):
    """act(x·W + h·U) + b for every quantity a step activates (each gate, a SimpleRNN's
    h): the bias terms its pre-activation has in the cell's own expressions (both rows of
    a GRU with reset_after) added to the activation's value instead, and the rest of
    the step computed from the gates so changed."""
    cell, teaching = case.cell, case.cell.teaching
    pre = {g.name: teaching.pre_activation(g.block, case) for g in activated(cell)}
    blocks = {g.name: g.block for g in activated(cell)}

    def added(bias, name):
        cols = slice(column(case, blocks[name], 0), column(case, blocks[name], case.units))
        return sum(bias[..., cols] if b.row is None else bias[..., b.row, cols]
                   for b in _biases(pre[name]))

    def step(x_t, prev, a):
        without = replace(a, bias=np.zeros_like(a.bias))
        names = iter(computed_order(cell, x_t, prev, without))

        def keep(value):
            name = next(names)
            return a.keep(value + added(a.bias, name) if name in pre else value)
        return cell.step(x_t, prev, replace(without, keep=keep))

    forms = {}
    for g in activated(cell):
        forms.setdefault(symbolic(pre[g.name], case, "g"), []).append(g.block)
    said = []
    for blocks_of_form in forms.values():
        block = "g" if len(blocks_of_form) > 1 else blocks_of_form[0]
        expr = teaching.pre_activation(blocks_of_form[0], case)
        after = " + ".join(symbolic(b, case, block) for b in _biases(expr))
        said.append(f"act({symbolic(_without_bias(expr), case, block)}) + {after} in place "
                    f"of act({symbolic(expr, case, block)})"
                    + (f" for g in {', '.join(blocks_of_form)}" if block == "g" else ""))
    both = ("both bias rows (input and recurrent) added after the activation"
            if two_bias_rows(case) else "the bias added after the activation")
    detail = "g = act(x·W + h·U) + " + ("b_in + b_rec" if two_bias_rows(case) else "b")
    return Mistake("bias-after-activation", detail, f"{both}: {'; '.join(said)}", step=step)
