"""The classic mistakes every cell shares, each as something the reference loop can rerun.

A mistake (cells.Mistake) says how the author computed: a changed copy of the case
(weights read in another gate order, a doubled bias, go_backwards flipped, ...), other
arithmetic (another activation, values rounded as they were written down), a wrapped
step, or a relabelling of the results.  The cell adds its own (cells/*.py: the LSTM's
forget bias of +1 and forgotten output gate, the GRU's flipped update rule, ...).
diagnose.py reruns each and keeps those that reproduce every number the author wrote.
"""

from dataclasses import replace

import numpy as np

from .. import activations
from ..cells import Mistake
from ..cells.teaching import book_form
from ..compare import expected_arrays
from .biases import bias_mistakes
from .symmetry import orders, order_text, read_blocks_as

MAX_DECIMALS = 6   # an author writing more decimals than this did not round by hand


def keras2_hard_sigmoid(x):
    # Keras 2 (and TF 1): 0.2x + 0.5 clipped; Keras 3 uses x/6 + 0.5.
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def keras2_hard_sigmoid_vjp(x, y, g):
    return g * np.where((x > -2.5) & (x < 2.5), 0.2, 0.0)


def _named(name):
    """An activation by name, with its derivative for the backward pass."""
    return activations.get(name), activations.vjp(name)


def input_order(trace):
    """Steps and sequence listed by input time rather than processing order."""
    per_step = {k: trace.steps[k][::-1] for k in trace.cell.written}
    return trace.replace(sequence=trace.sequence[:, ::-1], **per_step)


def written_decimals(case):
    """The fewest decimals that write every author number exactly, or None if over 6."""
    values = np.concatenate([arr.ravel() for _, _, arr in expected_arrays(case)] + [[]])
    return fewest_decimals(values[~np.isnan(values)])     # null: not stated


def fewest_decimals(values):
    """The fewest decimals that write every one of ``values`` exactly, or None if over 6."""
    for d in range(MAX_DECIMALS + 1):
        if np.all(np.abs(values - np.round(values, d)) <= 1e-9 * np.maximum(1, np.abs(values))):
            return d
    return None


def _name(act):
    return activations.display_name(act)


def with_activation(f):
    """Arithmetic with ``f`` = (function, its vjp) wherever the case's ``activation`` is
    used, forwards and (for the backward pass) backwards."""
    fn, vjp = f

    def change(a):
        cell = a.cell_activation is not None
        return replace(a, activation=fn, activation_vjp=vjp,
                       cell_activation=fn if cell else None,
                       cell_activation_vjp=vjp if cell else None)
    return change


def with_recurrent_activation(f):
    fn, vjp = f
    return lambda a: replace(a, recurrent_activation=fn, recurrent_activation_vjp=vjp)


def _activation_mistakes(case):
    cell, rec, act = case.cell, case.recurrent_activation, case.activation
    gate_names = ", ".join(g.name for g in cell.gates if g.role == "recurrent")
    gates = f"the gates {gate_names}"
    sigmoids = ("sigmoid", "hard_sigmoid")
    swaps = [(act, cell.activation_targets, with_activation)]
    if cell.has_recurrent_activation:
        swaps.insert(0, (rec, gates, with_recurrent_activation))
    for name, where, make in swaps:
        if name in sigmoids:
            other = sigmoids[name == "sigmoid"]
            formula = " (x/6 + 0.5)" if other == "hard_sigmoid" else ""
            text = f"{other}{formula} in place of {name} on {where}"
            yield Mistake("hard-sigmoid", text, text, arithmetic=make(_named(other)))
            was = "Keras 3's (x/6 + 0.5)" if name == "hard_sigmoid" else "sigmoid"
            text = f"Keras 2's hard_sigmoid (0.2x + 0.5) in place of {was} on {where}"
            yield Mistake("keras2-hard-sigmoid", text, text,
                          arithmetic=make((keras2_hard_sigmoid, keras2_hard_sigmoid_vjp)))
    linear, tanh, sigmoid = _named(None), _named("tanh"), _named("sigmoid")
    if _name(act) == "linear":
        text = (f"tanh applied to {cell.activation_targets} where Keras applies none "
                "(activation is linear)")
        yield Mistake("linear-activation", text, text, arithmetic=with_activation(tanh))
    else:
        text = f"linear in place of {act} on {cell.activation_targets}"
        yield Mistake("linear-activation", text, text, arithmetic=with_activation(linear))
    if not cell.has_recurrent_activation:
        return
    if _name(rec) == "linear":
        text = ("sigmoid applied to the gates where Keras applies none (recurrent_activation "
                "is linear)")
        yield Mistake("linear-activation", text, text,
                      arithmetic=with_recurrent_activation(sigmoid))
        if _name(act) == "linear":
            text = ("Keras's default activations (sigmoid gates, tanh) used where the case's "
                    "are linear")
            yield Mistake("linear-activation", text, text, arithmetic=lambda a:
                          with_recurrent_activation(sigmoid)(with_activation(tanh)(a)))
    else:
        text = f"the gates taken as linear (no {rec} on {gate_names})"
        yield Mistake("linear-activation", text, text,
                      arithmetic=with_recurrent_activation(linear))


def _transposed_blocks(matrix, n):
    return np.concatenate([block.T for block in np.split(matrix, n, axis=-1)], axis=-1)


def _transposed_mistakes(case):
    units, n = case.units, len(case.cell.blocks)
    if units == 1:
        return
    which = "gate blocks" if n > 1 else "matrix"
    # a textbook case is told in its own symbols: U_g, not a block of recurrent_kernel
    texts = ({"U": "U_g used transposed (U_g^T·h_prev in place of U_g·h_prev)",
              "W": "W_g used transposed (W_g^T·x in place of W_g·x)",
              "both": "W_g and U_g used transposed"}
             if book_form(case) else
             {"U": f"recurrent_kernel's units x units {which} used transposed",
              "W": f"kernel's units x units {which} used transposed",
              "both": f"kernel's and recurrent_kernel's {which} used transposed"})
    rk = _transposed_blocks(case.recurrent_kernel, n)
    text = texts["U"]
    yield Mistake("kernel-transposed", text, text, case=replace(case, recurrent_kernel=rk))
    if case.input_dim == units:
        kernel = _transposed_blocks(case.kernel, n)
        text = texts["W"]
        yield Mistake("kernel-transposed", text, text, case=replace(case, kernel=kernel))
        text = texts["both"]
        yield Mistake("kernel-transposed", text, text,
                      case=replace(case, kernel=kernel, recurrent_kernel=rk))


def _concat_order_mistakes(case):
    """Wcat_g·[x; h] read as Wcat_g·[h; x] (or the other way): the matrix the author
    wrote, split at the wrong column."""
    if case.concat is None:
        return
    units, F, n = case.units, case.input_dim, len(case.cell.blocks)
    W = np.split(case.kernel.T, n)             # W_g (units, F) per block
    U = np.split(case.recurrent_kernel.T, n)   # U_g (units, units)
    x_first = case.concat == ("x", "h")
    kernel, recurrent = [], []
    for W_g, U_g in zip(W, U):
        wcat = np.hstack([W_g, U_g] if x_first else [U_g, W_g])
        # read in the other order: the first columns taken for the other vector
        U_read, W_read = (wcat[:, :units], wcat[:, units:]) if x_first \
            else (wcat[:, F:], wcat[:, :F])
        kernel.append(W_read.T)
        recurrent.append(U_read.T)
    written, read = ("[x; h]", "[h; x]") if x_first else ("[h; x]", "[x; h]")
    text = (f"Wcat_g·{written} read as Wcat_g·{read}: each Wcat_g split at the wrong column "
            "(concat order)")
    yield Mistake("concat-order", f"{written} read as {read}", text,
                  case=replace(case, kernel=np.hstack(kernel),
                               recurrent_kernel=np.hstack(recurrent)))


def _order_mistakes(case):
    if case.steps > 1:
        if case.go_backwards:
            text = "inputs read forwards, although go_backwards is true"
        else:
            text = "inputs read from the last step, although go_backwards is false"
        yield Mistake("go-backwards-order", text, text,
                      case=replace(case, go_backwards=not case.go_backwards))
        if case.go_backwards:
            text = ("steps and sequence listed in input order; Keras lists them in processing "
                    "order (step 1 reads the last input)")
            yield Mistake("go-backwards-order", text, text, relabel=input_order)
    if case.mask is not None and not case.mask.all():
        if case.zero_output_for_mask:
            text = "masked steps repeat the last output; with zero_output_for_mask they output 0"
        else:
            text = "masked steps output 0; Keras repeats the last output (zero_output_for_mask " \
                   "is false)"
        yield Mistake("mask-output", text, text,
                      case=replace(case, zero_output_for_mask=not case.zero_output_for_mask))
        text = "the mask ignored: masked steps computed like the others"
        yield Mistake("mask-output", text, text, case=replace(case, mask=None))


def _rounding_mistakes(case):
    d = written_decimals(case)
    if d is None:
        return
    half_unit = 0.5 * 10.0 ** -d * (1 + 1e-9)
    text = f"values rounded to {d} decimals as computed, and the rounded values carried on"
    yield Mistake("rounding", f"{d} decimals (intermediates rounded and carried forward)",
                  text, arithmetic=lambda a: replace(a, keep=lambda v: np.round(v, d)),
                  slack=half_unit)
    text = (f"the author's numbers all agree with the reference at the {d} decimals they "
            f"were written with, but the case tolerance is tighter: add the line "
            f"`tolerance: {{decimals: {d}}}` to the case")
    yield Mistake("rounding", f"{d} decimals (only the written values)", text,
                  slack=half_unit)


def hypotheses(case):
    """Every mistake that applies to this case, cheapest to explain first."""
    for order in orders(case.cell):
        text = order_text(order)
        yield Mistake("gate-order", text, f"gate blocks read as {text}",
                      case=read_blocks_as(case, order))
    yield from _activation_mistakes(case)
    yield from case.cell.mistakes(case)
    yield from bias_mistakes(case)
    yield from _transposed_mistakes(case)
    yield from _concat_order_mistakes(case)
    yield from _order_mistakes(case)
    yield from _rounding_mistakes(case)
