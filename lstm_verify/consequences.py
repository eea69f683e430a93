"""Which of the author's wrong numbers are consequences of their own earlier ones.

One slip early in a hand calculation makes every later number differ from the
reference, though each may be right *given the author's own numbers before it*.  Here
each step is recomputed from the author's numbers wherever they wrote one (the previous
states, and within the step every gate and state before the quantity), the reference's
elsewhere; a mismatch whose author value agrees with that recomputation is a
consequence, not a new mistake.
"""

from dataclasses import replace

import numpy as np

from . import forward


def _authors(given, name, t, computed):
    """The author's value of ``name`` at step t where written (not null), else ``computed``."""
    author = given.get((name, t))
    return computed if author is None else np.where(np.isnan(author), computed, author)


def _keep_order(cell, x_t, prev, a):
    """The names of a step's values in the order the step passes them through ``keep``
    (i, f, c~, o, c, act_c, h for the LSTM): the order the equations compute them."""
    seen = []

    def record(value):
        copy = np.array(value)   # its own object: a linear activation returns its input
        seen.append(copy)
        return copy
    values = cell.step(x_t, prev, replace(a, keep=record))
    return [next((n for n, v in values.items() if v is kept), None) for kept in seen]


def recomputed_from_authors(case, reference, given):
    """{(quantity, t): (B, U)}: each step's values computed from the author's own numbers
    upstream (see the module docstring); ``given`` maps (quantity, t) -> the author's."""
    cell, a = case.cell, forward.arithmetic_of(case)
    out = {}
    for k in range(case.steps):
        t = k + 1
        prev = {s: _authors(given, s, t - 1, reference.steps[f"{s}_prev"][k])
                for s in cell.states}
        x_t = reference.x[k]
        names = iter(_keep_order(cell, x_t, prev, a))

        def keep(value):
            name = next(names)
            out[(name, t)] = value          # computed from the author's values before it
            return _authors(given, name, t, value)
        with np.errstate(over="ignore", invalid="ignore"):
            values = cell.step(x_t, prev, replace(a, keep=keep))
        for z in cell.pre_activations:
            out[(z, t)] = values[z]
    return out


def mark(case, reference, given, mismatches):
    """Set ``consequence`` on each of the author's mismatches."""
    if not any(m.between == "expected-reference" for m in mismatches):
        return          # nothing to recompute: a case with no author numbers stays cheap
    own = recomputed_from_authors(case, reference, given)
    last = case.steps
    for m in mismatches:
        if m.between != "expected-reference":
            continue
        if m.quantity == "sequence" or m.t is None:   # the output and final state are h, c
            k = (m.t or last) - 1
            if reference.masked[k, m.batch]:
                continue
            q = "h" if m.quantity == "sequence" else m.quantity
            value = _authors(given, q, k + 1, own[(q, k + 1)])[m.batch, m.unit]
        else:
            value = own.get((m.quantity, m.t))
            if value is None or reference.masked[m.t - 1, m.batch]:
                continue
            value = value[m.batch, m.unit]
        m.consequence = bool(abs(m.expected - value) <= case.atol + case.rtol * abs(value))
