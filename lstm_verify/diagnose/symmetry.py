"""Gate orders, and cases that cannot tell them apart.

Keras stores a cell's gates as column blocks of kernel, recurrent_kernel and bias (the
LSTM's i, f, c, o; the GRU's z, r, h).  Reading those blocks in another order is the
commonest hand-calculation mistake,
and a case whose blocks are equal (constant-initialised weights, say) cannot catch it:
every order gives the same numbers.  We find such orders by recomputing, not by
inspecting the weights, so coincidences (a zero input hiding a kernel difference) count.
"""

from dataclasses import replace
from itertools import permutations

import numpy as np

from .. import forward
from ..compare import expected_arrays, trace_value

ORDER_NAMES = {("i", "o", "f", "c"): "ONNX's order",
               ("i", "c", "f", "o"): "TensorFlow 1's LSTMCell order i, j, f, o",
               ("r", "z", "h"): "PyTorch's order r, z, n"}


NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}


def orders(cell):
    """Every other order of the cell's blocks (23 for the LSTM, 5 for the GRU, none for
    the SimpleRNN)."""
    return [order for order in permutations(cell.blocks) if order != cell.blocks]

# Past this many steps, or gate values per pass (steps x batch x 4*units), only orders
# that swap equal blocks are reported: recomputing 23 orders would make validate slow
# (the reference's per-step Python costs some 50 us, 2000 steps x 23 orders ~ 2 s).
MAX_RECOMPUTED_STEPS = 256
MAX_RECOMPUTED_VALUES = 250_000
ORDERS_AT_ONCE_VALUES = 400_000   # gate values of all the orders run together


def order_text(order):
    """'i, c, f, o', naming a framework whose order it is."""
    text = ", ".join(order)
    return f"{text} ({ORDER_NAMES[tuple(order)]})" if tuple(order) in ORDER_NAMES else text


def read_blocks_as(case, order):
    """The case as computed by someone who reads the weight blocks in ``order``.

    ``order`` names the gate each stored block is taken to be: with ("i", "c", "f", "o")
    the author uses block 1 (Keras's f) as the candidate and block 2 (Keras's c) as f.
    Returns a copy whose blocks are rearranged so Keras's arithmetic does what they did.
    """
    keras_order = case.cell.blocks
    source = [order.index(gate) for gate in keras_order]   # block the author uses as gate g

    def rearrange(matrix):
        blocks = np.split(matrix, len(keras_order), axis=-1)
        return np.concatenate([blocks[k] for k in source], axis=-1)

    bias = None if case.bias is None else rearrange(case.bias)
    return replace(case, kernel=rearrange(case.kernel),
                   recurrent_kernel=rearrange(case.recurrent_kernel), bias=bias)


def compared_positions(case, every_gate=False):
    """What a case checks: the outputs, plus the per-step gates the author wrote down
    (or, with every_gate, all of them)."""
    positions = [("sequence", t) for t in range(1, case.steps + 1)]
    positions += [(state, None) for state in case.cell.states]
    if every_gate:
        steps = range(1, case.steps + 1)
        return positions + [(q, t) for t in steps for q in case.cell.rows]
    return positions + [(q, t) for q, t, _ in expected_arrays(case) if t is not None
                        and q != "sequence"]


def _same(batched, truth, positions):
    """For each order of a batched run, whether it gives the truth's numbers at every
    position (a boolean per order)."""
    alike = None
    for q, t in positions:
        x, y = trace_value(batched, q, t), trace_value(truth, q, t)   # (orders, B, U), (B, U)
        with np.errstate(invalid="ignore"):
            close = np.all(np.abs(x - y) <= 1e-12 * (1.0 + np.abs(y)), axis=(-2, -1))
        alike = close if alike is None else alike & close
    return alike


def _equal_block_orders(case):
    """Orders that only swap blocks holding identical kernel, recurrent and bias columns."""
    keras_order = case.cell.blocks
    parts = [case.kernel, case.recurrent_kernel]
    if case.use_bias and case.bias is not None:
        parts.append(case.bias.reshape(-1, case.bias.shape[-1]))
    stacked = np.concatenate(parts, axis=0)
    blocks = dict(zip(keras_order, np.split(stacked, len(keras_order), axis=-1)))
    return [order for order in orders(case.cell)
            if all(np.array_equal(blocks[g], blocks[r]) for g, r in zip(keras_order, order))]


def too_big_to_recompute(case):
    return (case.steps > MAX_RECOMPUTED_STEPS
            or case.steps * case.batch * len(case.cell.blocks) * case.units
            > MAX_RECOMPUTED_VALUES)


def blind_orders(case, every_gate=False, among=None):
    """The gate orders (among ``among``, default all; never Keras's own) that give the same
    checked numbers: those the case checks, or with every_gate every gate and state."""
    among = orders(case.cell) if among is None else among
    if not among:
        return []
    if too_big_to_recompute(case):
        return [order for order in _equal_block_orders(case) if order in among]
    truth = forward.run(case)
    positions = compared_positions(case, every_gate)
    size = case.steps * case.batch * len(case.cell.blocks) * case.units
    chunk = max(1, ORDERS_AT_ONCE_VALUES // size)
    blind = []
    for start in range(0, len(among), chunk):
        group = among[start:start + chunk]
        same = _same(_orders_run(case, group), truth, positions)
        blind += [order for order, alike in zip(group, same) if alike]
    return blind


def _orders_run(case, group):
    """One forward run for several gate orders at once: the loop and the cell's step as
    ever, with each order's weights stacked on a leading axis (numpy's matmul broadcasts
    the inputs and states over it), so every quantity gains that axis."""
    read = [read_blocks_as(case, order) for order in group]
    arithmetic = forward.arithmetic_of(case)
    bias = np.stack([forward.arithmetic_of(c).bias for c in read])
    states = {f"{s}0": np.stack([case.initial_state[s]] * len(group)) for s in case.cell.states}
    return forward.run(replace(case, **states), arithmetic=replace(
        arithmetic, kernel=np.stack([c.kernel for c in read]),
        recurrent_kernel=np.stack([c.recurrent_kernel for c in read]),
        bias=bias[:, None]))                                 # (orders, 1, ...): over batch


def warning(case):
    """A one-paragraph warning when the case is blind to some gate orders, else None."""
    blind = blind_orders(case)
    if not blind:
        return None
    # Some orders only hide in the outputs (with equal activations, i·c~ = c~·i): writing
    # every gate down exposes them; equal weight blocks hide an order whatever is written.
    hidden_by_weights = blind_orders(case, every_gate=True, among=blind)
    listed = "; ".join(", ".join(order) for order in blind)
    fixes = []
    if len(hidden_by_weights) < len(blind) and case.known_mistake:
        # record would overwrite the recorded wrong answer the case exists to keep
        fixes.append("write each step's gates in expected.steps by hand")
    elif len(hidden_by_weights) < len(blind):
        fixes.append("write each step's gates in expected.steps (`lstm-verify record "
                     "--steps` fills them in)")
    if hidden_by_weights and set(hidden_by_weights) <= set(_equal_block_orders(case)):
        fixes.append(f"give the {NUMBER_WORDS[len(case.cell.blocks)]} gate blocks different weights "
                     "(`lstm-verify new --asymmetric` writes such a case)")
    elif hidden_by_weights:  # different blocks, but the gates coincide at every step
        fixes.append("change the weights or inputs so those gates take different values "
                     "(`lstm-verify new --asymmetric` writes different gate blocks)")
    keras_order = ", ".join(case.cell.blocks)
    return (f"{case.path}: blind to {len(blind)} of the {len(orders(case.cell))} other "
            f"gate orders: reading the weight blocks as {listed} gives the same numbers as "
            f"Keras's {keras_order}, so that gate-order mistake would pass unnoticed. Fix: "
            f"{'; '.join(fixes)}.")
