"""The numbers teaching output shows: exact fractions where the maths allows, else decimals.

When every activation is piecewise linear (activations.PIECEWISE_LINEAR) and every
input, weight and initial state is a short decimal, every quantity of the LSTM is a
rational number: hard_sigmoid(1) is exactly 1/6 + 1/2 = 2/3.  Then the whole forward
pass is evaluated a second time, separately, in fractions.Fraction, and checked
against the float reference calculator, so a class sees 2/3 rather than 0.666667.
Otherwise the float64 reference's values are shown, rounded to a chosen precision.
The exact pass is the reference's own loop and the cell's own step, run on Fraction
arrays with exact activations.
"""

import itertools
import math
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from .. import activations, forward
from ..cells.cell import Arithmetic, zeros_bias
from ..errors import CaseError

MAX_DECIMALS = 6          # a "short decimal" has at most this many digits after the point
MAX_DENOMINATOR_DIGITS = 7    # a longer denominator teaches nothing: decimals are shown instead
MAX_EXACT_MAGNITUDE = 10 ** 15  # nor a huge number; a linear cell's grow without bound
MAX_EXACT_PRODUCTS = 2_000_000  # multiply-adds of one exact pass; bigger cases get decimals

HALF = Fraction(1, 2)


def _clip(x, low, high):
    return min(max(x, Fraction(low)), Fraction(high))


# Keras's piecewise linear activations (keras/src/activations/activations.py, default
# arguments) in exact arithmetic, with the formula a person writes for each.
EXACT = {
    "linear": (lambda z: z, None),
    "hard_sigmoid": (lambda z: _clip(z / 6 + HALF, 0, 1), "clip({z}/6 + 1/2, 0, 1)"),
    "relu": (lambda z: max(z, Fraction(0)), "max({z}, 0)"),
    "relu6": (lambda z: _clip(z, 0, 6), "clip({z}, 0, 6)"),
    "leaky_relu": (lambda z: z if z >= 0 else z / 5, "{z} if {z} ≥ 0 else 0.2·{z}"),
    "hard_tanh": (lambda z: _clip(z, -1, 1), "clip({z}, -1, 1)"),
    "soft_shrink": (lambda z: z - HALF if z > HALF else z + HALF if z < -HALF else Fraction(0),
                    "soft_shrink({z}) with threshold 1/2"),
    "hard_shrink": (lambda z: z if abs(z) > HALF else Fraction(0),
                    "{z} if |{z}| > 1/2 else 0"),
    "sparse_sigmoid": (lambda z: Fraction(0) if z <= -1 else Fraction(1) if z >= 1
                       else (z + 1) / 2, "clip(({z} + 1)/2, 0, 1)"),
}


# Their derivatives, for the exact backward pass, with TensorFlow's value at each corner
# (activations.py documents them: relu' is 0 at 0, hard_tanh keeps its corners, ...).
ZERO, ONE = Fraction(0), Fraction(1)
EXACT_SLOPE = {
    "linear": lambda z: ONE,
    "hard_sigmoid": lambda z: Fraction(1, 6) if -3 < z < 3 else ZERO,
    "relu": lambda z: ONE if z > 0 else ZERO,
    "relu6": lambda z: ONE if 0 < z < 6 else ZERO,
    "leaky_relu": lambda z: ONE if z > 0 else Fraction(1, 5),
    "hard_tanh": lambda z: ONE if -1 <= z <= 1 else ZERO,
    "soft_shrink": lambda z: ONE if abs(z) > HALF else ZERO,
    "hard_shrink": lambda z: ONE if abs(z) > HALF else ZERO,
    "sparse_sigmoid": lambda z: HALF if -1 < z < 1 else ZERO,
}


@dataclass
class Numbers:
    """The case's numbers and its trace, all Fractions (exact) or all floats (decimal).

    kernel (F, nU), recurrent_kernel (U, nU), bias as the cell has it, h0/c0 (B, U) (c0
    None without a cell state); trace as forward.Trace.  ``fmt`` writes one number;
    ``note`` says which arithmetic and why."""

    exact: bool
    trace: forward.Trace
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    fmt: object
    note: str


class _Inexact(Exception):
    """Exact arithmetic does not fit this case; the message says why."""


def numbers(case, precision=4):
    """Exact Numbers when the case allows, else the float reference's at ``precision``."""
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 15:
        raise CaseError(f"--precision is {precision}, expected a whole number of decimal "
                        "places from 0 to 15")
    ref = forward.run(case)
    try:
        return _exact_numbers(case, ref)
    except _Inexact as why:
        return decimal_numbers(case, ref, precision, why)


def decimal_numbers(case, ref, precision, why):
    """The float reference's Numbers, rounded to ``precision``; ``why`` not exact."""
    note = (f"decimals rounded to {precision} places ({why}); values from the float64 "
            "reference calculator")
    return Numbers(False, ref, case.kernel, case.recurrent_kernel, zeros_bias(case), case.h0,
                   case.c0, lambda v: decimal(v, precision), note)


def _exact_numbers(case, ref):
    names = [activations.display_name(case.activation)]
    if case.cell.has_recurrent_activation:
        names.append(activations.display_name(case.recurrent_activation))
    curved = [n for n in names if n not in EXACT]
    if curved:
        raise _Inexact(f"{curved[0]} is not piecewise linear, so its values are not fractions")
    products = (case.steps * case.batch * len(case.cell.blocks) * case.units
                * (case.input_dim + case.units))
    if products > MAX_EXACT_PRODUCTS:
        raise _Inexact(f"{products:,} multiplications are too many to do in fractions")
    arrays = {}
    for key, value in (("inputs", case.inputs), ("kernel", case.kernel),
                       ("recurrent_kernel", case.recurrent_kernel), ("bias", zeros_bias(case)),
                       ("initial h", case.h0), ("initial c", case.c0)):
        arrays[key] = None if value is None else to_fractions(value, key)
    trace = run_exact(case, arrays)
    check_against(trace, ref)
    used = " and ".join(dict.fromkeys(names))
    note = (f"exact, because every activation ({used}) is piecewise linear and every "
            "number in the case is a short decimal; each value is an exact fraction, computed "
            "in rational arithmetic and checked against the float reference calculator")
    return Numbers(True, trace, arrays["kernel"], arrays["recurrent_kernel"], arrays["bias"],
                   arrays["initial h"], arrays["initial c"], exact_text, note)


def to_fractions(array, key):
    """A float array as an object array of Fractions; _Inexact unless all are short decimals."""
    out = np.empty(np.shape(array), dtype=object)
    for index, value in np.ndenumerate(np.asarray(array, dtype=float)):
        if not math.isfinite(value):
            raise _Inexact(f"{key} holds {value}")
        # the decimal as typed: 0.1 -> 1/10, not the float's 3602879701896397/2**55
        q = Fraction(repr(float(value)))
        if (10 ** MAX_DECIMALS) % q.denominator:
            raise _Inexact(f"{key} holds {value}, not a decimal of at most {MAX_DECIMALS} places")
        out[index] = q
    return out


def _exact_activation(name):
    return np.vectorize(EXACT[activations.display_name(name)][0], otypes=[object])


def _exact_vjp(name):
    """vjp(x, y, g) = g·act'(x), the derivative exact (activations.vjp's contract)."""
    slope = np.vectorize(EXACT_SLOPE[activations.display_name(name)], otypes=[object])
    return lambda x, y, g: g * slope(x)


def exact_arithmetic(case, kernel, recurrent_kernel, bias):
    """The case's Arithmetic in Fractions: exact activations and their exact derivatives."""
    act, d_act = _exact_activation(case.activation), _exact_vjp(case.activation)
    sigma = d_sigma = None
    if case.cell.has_recurrent_activation:
        sigma = _exact_activation(case.recurrent_activation)
        d_sigma = _exact_vjp(case.recurrent_activation)
    return Arithmetic(kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias,
                      activation=act, recurrent_activation=sigma, cell_activation=act,
                      reset_after=case.reset_after, activation_vjp=d_act,
                      recurrent_activation_vjp=d_sigma, cell_activation_vjp=d_act)


def _bounded(step, pass_name=""):
    """``step``, checking after each step that its fractions stay readable: a long
    denominator teaches nothing, and a linear cell's integers can grow so fast (h roughly
    squares each step) that the next step would not finish."""
    count = itertools.count(1)

    def checked(*args):
        values = step(*args)
        t = next(count)
        for q in _all_values(values):
            if len(str(q.denominator)) > MAX_DENOMINATOR_DIGITS:
                raise _Inexact(f"exact fractions grew past {MAX_DENOMINATOR_DIGITS}-digit "
                               f"denominators by {pass_name}step {t}")
            if abs(q) >= MAX_EXACT_MAGNITUDE:
                raise _Inexact(f"exact numbers grew past {MAX_EXACT_MAGNITUDE:.0e} in size "
                               f"by {pass_name}step {t}")
        return values
    return checked


def _all_values(values):
    """Every number in a step's result: arrays, and the dicts of arrays a backward step
    returns ("prev")."""
    for v in values.values():
        if isinstance(v, dict):
            yield from _all_values(v)
        else:
            yield from (Fraction(q) for q in np.ravel(v))


def run_exact(case, arrays):
    """The reference's forward pass (forward.run, the cell's own step) in Fractions."""
    a = exact_arithmetic(case, arrays["kernel"], arrays["recurrent_kernel"], arrays["bias"])
    exact_case = replace(case, inputs=arrays["inputs"], h0=arrays["initial h"],
                         c0=arrays["initial c"])
    return forward.run(exact_case, step=_bounded(case.cell.step), arithmetic=a)


def check_against(exact, ref):
    """Raise AssertionError if the exact trace and the float reference disagree anywhere.

    Both evaluate the same equations, so a disagreement is a bug in one of them, never
    the user's; float rounding stays far below the tolerance used here."""
    checked = [(f"steps.{k}", exact.steps[k], ref.steps[k]) for k in ref.steps]
    checked += [("sequence", exact.sequence, ref.sequence)]
    checked += [(f"final {k}", exact.final[k], ref.final[k]) for k in ref.final]
    for key, exact_values, ref_values in checked:
        exact_values = np.asarray(exact_values, dtype=float)
        finite = np.isfinite(ref_values)    # a float overflow is the float's problem
        close = np.isclose(exact_values, ref_values, rtol=1e-9, atol=1e-9)
        if not np.all(close | ~finite):
            where = tuple(int(n) for n in np.argwhere(~close & finite)[0])
            raise AssertionError(f"exact and float reference disagree on {key} at {where}: "
                                 f"{exact_values[where]} vs {ref_values[where]}")


def exact_text(q):
    """A Fraction as a person writes it: 5, -1.5, 0.25, 7/6, -2/3."""
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    if (10 ** MAX_DECIMALS) % q.denominator == 0:
        return decimal(q, MAX_DECIMALS)
    return f"{q.numerator}/{q.denominator}"


def decimal(value, precision):
    """A number rounded to ``precision`` places, trailing zeros dropped: 0.7311, 2, -0.5."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e15:
        return f"{value:.{max(precision, 1)}e}"
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def approx(value, precision=4):
    """'≈ 0.6667' for a value whose exact text is not already a decimal, else ''."""
    text = exact_text(value) if isinstance(value, Fraction) else None
    if text is None or "/" not in text:
        return ""
    return f"≈ {decimal(value, precision)}"


def apply(name, value, numbers):
    """The activation's value at one number, in the Numbers' own arithmetic."""
    name = activations.display_name(name)
    if numbers.exact:
        return EXACT[name][0](value)
    return float(activations.get(name)(np.array([float(value)]))[0])


def activation_text(name, z_text, numbers):
    """How the activation turns z into its value, written out: 'clip(1/6 + 1/2, 0, 1)'."""
    name = activations.display_name(name)
    if numbers.exact and EXACT[name][1]:
        inner = f"({z_text})" if ("/" in z_text or z_text.startswith("-")) else z_text
        return EXACT[name][1].format(z=inner)
    return None if name == "linear" else f"{name}({z_text})"
