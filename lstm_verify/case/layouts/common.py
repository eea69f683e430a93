"""What every layout shares: Keras-ordered Weights, block reordering, size checks.

A layout module (keras, pytorch, onnx, cudnn, tf1) says its keys, reads them into
``Weights`` (Keras's order and shapes) and writes ``Weights`` back in its own.  Block
orders come from the cell (``Cell.layouts``: LSTM i, f, c, o; GRU z, r, h; SimpleRNN
one block), never from a layout module.
"""

from dataclasses import dataclass

import numpy as np

from ... import cells
from ..checks import describe


@dataclass
class Weights:
    """A cell's weights in Keras's order.  Keras has one bias, or (a GRU with reset_after)
    two rows; a two-bias layout keeps its recurrent-side bias apart in ``bias_h``, so a
    conversion between two two-bias layouts is exact."""

    kernel: np.ndarray            # (F, nU), column blocks in Keras's order
    recurrent_kernel: np.ndarray  # (U, nU)
    bias: np.ndarray = None       # (nU,) the input-side bias, or Keras's only bias
    bias_h: np.ndarray = None     # (nU,) the recurrent-side bias, when there is one
    cell: cells.Cell = cells.get(cells.DEFAULT)
    reset_after: bool = True      # a GRU's: where its reset gate applies

    @classmethod
    def from_keras(cls, kernel, recurrent_kernel, bias, cell, reset_after=True):
        """Keras's own arrays; a GRU's two bias rows become bias and bias_h."""
        w = cls(kernel, recurrent_kernel, bias, None, cell, reset_after)
        if bias is not None and w.two_rows:
            w.bias, w.bias_h = bias
        return w

    @classmethod
    def of_case(cls, case):
        return cls.from_keras(case.kernel, case.recurrent_kernel, case.bias, case.cell,
                              case.reset_after)

    @property
    def two_rows(self):
        """True when Keras keeps both biases, as the rows of a [2, nU] bias."""
        return keeps_two_rows(self.cell, self.reset_after)

    @property
    def units(self):
        return self.recurrent_kernel.shape[0]

    def keras_bias(self):
        """Keras's bias: the two rows (the recurrent one zero if absent), or the sum."""
        if self.bias is None:
            return None
        if self.two_rows:
            return np.stack([self.bias, np.zeros_like(self.bias) if self.bias_h is None
                             else self.bias_h])
        return self.bias if self.bias_h is None else self.bias + self.bias_h

    def bias_pair(self):
        """(input-side, recurrent-side) biases for a two-bias layout, or None without
        bias: Keras's one bias goes on the input side, with zeros on the other."""
        if self.bias is None:
            return None
        return self.bias, np.zeros_like(self.bias) if self.bias_h is None else self.bias_h


def keeps_two_rows(cell, reset_after):
    return len(cell.bias_shape(1, reset_after)[0]) == 2


def reorder(array, cell, source, target, axis):
    """Permute a cell's weight blocks along ``axis`` from one layout's order to another's."""
    order = cell.layouts
    blocks = dict(zip(order[source], np.split(array, len(cell.blocks), axis=axis)))
    return np.concatenate([blocks[g] for g in order[target]], axis=axis)


def own_names(cell, layout):
    """The blocks in ``layout``'s order, by its own names: 'i, f, g, o' for PyTorch's LSTM."""
    names = cell.layout_names.get(layout, {})
    return ", ".join(names.get(g, g) for g in cell.layouts[layout])


def blocks_note(cell, layout, what):
    """' (PyTorch's row blocks r, z, n)' for a message; nothing for a one-block cell."""
    if len(cell.blocks) == 1:
        return ""
    return f" ({what} {own_names(cell, layout)})"


def blocks_suffix(cell, layout, what):
    """', rows r, z, n' for a shape comment; nothing for a one-block cell."""
    if len(cell.blocks) == 1:
        return ""
    return f", {what} {own_names(cell, layout)}"


def width(cell, size):
    """'4*hidden_size' for the LSTM, '3*hidden_size' for the GRU, 'hidden_size' for one block."""
    n = len(cell.blocks)
    return size if n == 1 else f"{n}*{size}"


def units(r, units_given, inferred):
    if units_given is None:
        return inferred
    if isinstance(units_given, bool) or not isinstance(units_given, int) or units_given < 1:
        raise r.fail("units", f"is {describe(units_given)}, expected a positive whole number")
    return units_given


def matrix(r, weights, key, ndims, meaning):
    return r.array(weights[key], f"weights.{key}", ndims, meaning)


def two_bias_text(x_ref, h_ref, keras):
    """How a two-bias layout's biases of one block read Keras's (for mapping lines)."""
    if keras["two_rows"]:
        return f", {x_ref} = {keras['bias'][0]}, {h_ref} = {keras['bias'][1]}"
    if keras["two_biases"]:
        return f", {x_ref} + {h_ref} = {keras['bias']}"
    return f", {x_ref} = {keras['bias']}, {h_ref} = 0"
