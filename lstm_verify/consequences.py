"""Which of the author's wrong numbers are consequences of their own earlier ones, and of
which of them.

One slip early in a hand calculation makes every later number differ from the
reference, though each may be right *given the author's own numbers before it*.  Here
each step is recomputed from the author's numbers wherever they wrote one (the previous
states, and within the step every gate and state before the quantity), the reference's
elsewhere; a mismatch whose author value agrees with that recomputation is a
consequence, not a new mistake.  Its cause is what its equation reads (the cell's own
expressions, cells/teaching.py) that the author wrote and got wrong: h at step 2 reads
o and c at step 2; i at step 3 reads every unit of h at step 2, through U.
"""

from dataclasses import dataclass, replace

import numpy as np

from . import forward
from .arithmetic import describe_position, fmt, symbol
from .cells.cell import computed_order
from .cells.teaching import Act, Dot, Q, activated, activation_name, parts, symbolic

SHOWN_CAUSES = 3     # a consequence names this many of its causes, then "and N more"
TOLD = 3             # a slip's consequences told in full; the rest are listed
LISTED = 8


@dataclass
class Cause:
    """One of the author's own numbers a consequence follows from (itself wrong)."""

    quantity: str
    t: int
    batch: int
    unit: int
    author: float


def _authors(given, name, t, computed):
    """The author's value of ``name`` at step t where written (not null), else ``computed``."""
    author = given.get((name, t))
    return computed if author is None else np.where(np.isnan(author), computed, author)


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
        names = iter(computed_order(cell, x_t, prev, a))

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
    """Set ``consequence`` on each of the author's mismatches, ``recomputed`` (the value
    from the author's own numbers) and, on a consequence, ``because``: its Causes."""
    if not any(m.between == "expected-reference" for m in mismatches):
        return          # nothing to recompute: a case with no author numbers stays cheap
    own = recomputed_from_authors(case, reference, given)
    wrong = {(m.quantity, m.t, m.batch, m.unit) for m in mismatches
             if m.between == "expected-reference"}
    for m in mismatches:
        if m.between != "expected-reference":
            continue
        state = m.quantity == "sequence" or m.t is None   # the output and final state: h, c
        q = ("h" if m.quantity == "sequence" else m.quantity) if state else m.quantity
        t = m.t or case.steps
        if reference.masked[t - 1, m.batch] or (q, t) not in own:
            continue
        value = (_authors(given, q, t, own[(q, t)]) if state else own[(q, t)])[m.batch, m.unit]
        m.recomputed = float(value)
        m.consequence = bool(abs(m.expected - value) <= case.atol + case.rtol * abs(value))
        if m.consequence:
            m.because = _unique(_read(case, given, wrong, q, t, m.batch, m.unit) if state
                                else _causes(case, given, wrong, q, t, m.batch, m.unit))


# ----------------------------------------------------------------------- causes

def _formula(case, quantity):
    """(expression, weight block) a step computes ``quantity`` with: a gate is its
    activation of its pre-activation; a state or extra its update."""
    teaching = case.cell.teaching
    for gate in activated(case.cell):
        if gate.name == quantity:
            return Act(gate.role, teaching.pre_activation(gate.block, case)), gate.block
    for update in teaching.updates + teaching.extras:
        if update.name == quantity:
            return update.expression, None
    block = quantity[len("z_"):]                      # a pre-activation z_i
    return teaching.pre_activation(block, case), block


def _reads(expr, extras):
    """(name, whole) for what an expression reads; ``whole`` when through a matrix (every
    unit of it). An extra's expression inside reads the extra (h = o·act(c) reads act_c)."""
    for extra in extras:
        if expr == extra.expression:
            return [(extra.name, False)]
    if isinstance(expr, Q):
        return [(expr.name, False)]
    if isinstance(expr, Dot):
        return [(name, True) for name in expr.vector if name != "x"]
    return [read for part in parts(expr) for read in _reads(part, extras)]


def _causes(case, given, wrong, quantity, t, b, u):
    """The author's wrong numbers that ``quantity`` at step t, unit u, reads: directly,
    or through a value of the same step the author did not write."""
    expr, _ = _formula(case, quantity)
    extras = [e for e in case.cell.teaching.extras if e.name != quantity]
    out = []
    for name, whole in _reads(expr, extras):
        source, at = (name[:-len("_prev")], t - 1) if name.endswith("_prev") else (name, t)
        for unit in (range(case.units) if whole else [u]):
            out += _read(case, given, wrong, source, at, b, unit, within=at == t)
    return out


def _read(case, given, wrong, quantity, t, b, u, within=True):
    """What reading ``quantity`` at step t brings: the author's number if they wrote it
    and it is wrong; if they did not write it, its own causes (within the step only: the
    recomputation takes the reference's previous states where the author wrote none)."""
    if t < 1:
        return []                                    # the initial state is the case's
    author = given.get((quantity, t))
    if author is not None and not np.isnan(author[b, u]):
        return ([Cause(quantity, t, b, u, float(author[b, u]))]
                if (quantity, t, b, u) in wrong else [])
    return _causes(case, given, wrong, quantity, t, b, u) if within else []


def _unique(causes):
    seen, out = set(), []
    for c in causes:
        key = (c.quantity, c.t, c.batch, c.unit)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


# ----------------------------------------------------------------------- in words

def _equation(case, m):
    """The right-hand side of the consequence's equation at its unit: o[0]·tanh(c[0])."""
    if m.quantity == "sequence" or m.t is None:
        state = "h" if m.quantity == "sequence" else m.quantity
        return describe_position(Cause(state, m.t or case.steps, m.batch, m.unit, None),
                                 case.batch)
    expr, block = _formula(case, m.quantity)
    if isinstance(expr, Act) and activation_name(case, expr.role) == "linear":
        expr = expr.arg
    return symbolic(expr, case, block, show_linear=False, unit=m.unit)


def because_text(case, m):
    """'h[0] at step 2 = o[0]·tanh(c[0]) = 0.178 is right for your c[0] at step 2 =
    0.196876; it differs only because c[0] does': a consequence and what it follows from."""
    where = describe_position(m, case.batch)
    head = f"{where} = {_equation(case, m)} = {fmt(m.recomputed)} is right for your "
    causes = m.because
    if not causes:
        return head + "own earlier numbers; it differs only because they do"
    shown = [f"{describe_position(c, case.batch)} = {fmt(c.author)}"
             for c in causes[:SHOWN_CAUSES]]
    more = len(causes) - SHOWN_CAUSES
    yours = (", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 and more <= 0
             else ", ".join(shown) + (f" and {more} more" if more > 0 else ""))
    if len(causes) > 2:
        return f"{head}{yours}; it differs only because those do"
    names = [f"{symbol(c.quantity)}[{c.unit}]" if c.t == m.t
             else describe_position(c, case.batch) for c in causes]
    return (f"{head}{yours}; it differs only because {' and '.join(names)} "
            f"{'does' if len(names) == 1 else 'do'}")


def told(case, following):
    """A slip's consequences in words: a heading, the first TOLD with what they follow
    from (because_text), and one line listing the rest (or none)."""
    heading = (f"{len(following)} consequence{'s' if len(following) > 1 else ''}, right "
               "given the author's own earlier numbers:")
    rest = following[TOLD:]
    listed = ", ".join(describe_position(m, case.batch) for m in rest[:LISTED])
    more = f" and {len(rest) - LISTED} more" if len(rest) > LISTED else ""
    return (heading, [because_text(case, m) for m in following[:TOLD]],
            f"and {len(rest)} more: {listed}{more}" if rest else None)


def grouped(mismatches):
    """[(slip, its consequences)] for the author's mismatches: each slip (a mismatch wrong
    on its own terms) with the consequences that follow from it, by their causes (under
    the earliest slip they reach); last (None, the rest) for consequences whose slip is
    not among them."""
    author = [m for m in mismatches if m.between == "expected-reference"]
    at = {(m.quantity, m.t, m.batch, m.unit): m for m in author}
    slips = [m for m in author if not m.consequence]
    groups = {id(s): [] for s in slips}
    rest = []
    for m in author:
        if m.consequence:
            root = _slip_of(m, at, slips)
            (groups[id(root)] if root is not None else rest).append(m)
    out = [(s, groups[id(s)]) for s in slips]
    return out + ([(None, rest)] if rest else [])


def _slip_of(m, at, slips):
    """The earliest slip (in ``slips`` order) that ``m``'s causes lead back to."""
    reached, todo, seen = set(), list(m.because), set()
    while todo:
        c = todo.pop()
        key = (c.quantity, c.t, c.batch, c.unit)
        if key in seen or key not in at:
            continue
        seen.add(key)
        source = at[key]
        if source.consequence:
            todo += source.because
        else:
            reached.add(id(source))
    return next((s for s in slips if id(s) in reached), None)
