"""The numbers teaching output shows: exact fractions where the maths allows, else decimals.

When every activation is piecewise linear (activations.PIECEWISE_LINEAR) and every
input, weight and initial state is a short decimal, every quantity of the LSTM is a
rational number: hard_sigmoid(1) is exactly 1/6 + 1/2 = 2/3.  Then the whole forward
pass is evaluated a second time, separately, in fractions.Fraction, and checked
against the float reference calculator, so a class sees 2/3 rather than 0.666667.
Otherwise the float64 reference's values are shown, rounded to a chosen precision.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import activations, reference
from .errors import CaseError

MAX_DECIMALS = 6          # a "short decimal" has at most this many digits after the point
MAX_DENOMINATOR_DIGITS = 7    # a longer denominator teaches nothing: decimals are shown instead
MAX_WHOLE_DIGITS = 12        # and |value| < 1e12, so numerators stay within 12 + 7 digits
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


@dataclass
class Numbers:
    """The case's numbers and its trace, all Fractions (exact) or all floats (decimal).

    kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U,), h0/c0 (B, U); trace as
    reference.Trace.  ``fmt`` writes one number; ``note`` says which arithmetic and why."""

    exact: bool
    trace: reference.Trace
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
    ref = reference.run(case)
    try:
        return _exact_numbers(case, ref)
    except _Inexact as why:
        bias = case.bias if case.use_bias else np.zeros(4 * case.units)
        note = (f"decimals rounded to {precision} places ({why}); values from the float64 "
                "reference calculator")
        return Numbers(False, ref, case.kernel, case.recurrent_kernel, bias, case.h0,
                       case.c0, lambda v: decimal(v, precision), note)


def _exact_numbers(case, ref):
    names = [activations.display_name(n) for n in (case.activation,
                                                   case.recurrent_activation)]
    curved = [n for n in names if n not in EXACT]
    if curved:
        raise _Inexact(f"{curved[0]} is not piecewise linear, so its values are not fractions")
    products = case.steps * case.batch * 4 * case.units * (case.input_dim + case.units)
    if products > MAX_EXACT_PRODUCTS:
        raise _Inexact(f"{products:,} multiplications are too many to do in fractions")
    bias = case.bias if case.use_bias else np.zeros(4 * case.units)
    arrays = {}
    for key, value in (("inputs", case.inputs), ("kernel", case.kernel),
                       ("recurrent_kernel", case.recurrent_kernel), ("bias", bias),
                       ("initial h", case.h0), ("initial c", case.c0)):
        arrays[key] = to_fractions(value, key)
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


def run_exact(case, arrays):
    """The forward pass of reference.run, in Fractions: same equations, masks, go_backwards."""
    act = np.vectorize(EXACT[activations.display_name(case.activation)][0], otypes=[object])
    rec_act = np.vectorize(EXACT[activations.display_name(case.recurrent_activation)][0],
                           otypes=[object])
    x = np.swapaxes(arrays["inputs"], 0, 1)                              # (T, B, F)
    mask = np.ones((case.steps, case.batch), bool) if case.mask is None else case.mask.T
    if case.go_backwards:
        x, mask = x[::-1], mask[::-1]
    h, c = arrays["initial h"], arrays["initial c"]
    output = np.full(h.shape, Fraction(0), dtype=object)
    steps, outputs = [], []
    for t, (x_t, keep) in enumerate(zip(x, mask), start=1):
        step = exact_step(x_t, h, c, arrays["kernel"], arrays["recurrent_kernel"],
                          arrays["bias"], act, rec_act)
        keep = keep[:, None]                                             # (B, 1)
        step["h_prev"], step["c_prev"] = h, c
        h = np.where(keep, step["h"], h)
        c = np.where(keep, step["c"], c)
        step["h"], step["c"] = h, c
        masked_output = np.full(h.shape, Fraction(0), dtype=object) \
            if case.zero_output_for_mask else output
        output = np.where(keep, h, masked_output)
        shown = np.concatenate([step[q].ravel() for q in ("i", "f", "c_tilde", "o", "c", "h")])
        digits = max(len(str(q.denominator)) for q in shown)
        if digits > MAX_DENOMINATOR_DIGITS:
            raise _Inexact(f"exact fractions grew past {MAX_DENOMINATOR_DIGITS}-digit "
                           f"denominators by step {t}")
        if any(abs(q.numerator) >= q.denominator * 10 ** MAX_WHOLE_DIGITS for q in shown):
            raise _Inexact(f"exact fractions grew past 1e{MAX_WHOLE_DIGITS} (numerators of "
                           f"more than {MAX_WHOLE_DIGITS} digits) by step {t}")
        steps.append(step)
        outputs.append(output)
    stacked = {key: np.stack([s[key] for s in steps]) for key in steps[0]}
    return reference.Trace(x=x, masked=~mask, sequence=np.stack(outputs, axis=1),
                           final_h=h, final_c=c, **stacked)


def exact_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias, act, rec_act):
    """One step in Fractions, written out apart from reference.lstm_step so that the
    check against the float reference compares two codings of the equations, not one."""
    units = h_prev.shape[-1]
    step = {}
    for n, gate in enumerate("ifco"):
        block = slice(n * units, (n + 1) * units)        # Keras's gate blocks i, f, c, o
        step[f"z_{gate}"] = (x_t.dot(kernel[:, block]) + h_prev.dot(recurrent_kernel[:, block])
                             + bias[block])                              # (B, U)
    step["i"], step["f"] = rec_act(step["z_i"]), rec_act(step["z_f"])
    step["c_tilde"], step["o"] = act(step["z_c"]), rec_act(step["z_o"])
    step["c"] = step["f"] * c_prev + step["i"] * step["c_tilde"]
    step["h"] = step["o"] * act(step["c"])
    return step


CHECKED = ("z_i", "z_f", "z_c", "z_o", "i", "f", "c_tilde", "o", "c", "h", "sequence",
           "final_h", "final_c")


def check_against(exact, ref):
    """Raise AssertionError if the exact trace and the float reference disagree anywhere.

    Both evaluate the same equations, so a disagreement is a bug in one of them, never
    the user's; float rounding stays far below the tolerance used here."""
    for key in CHECKED:
        exact_values = np.asarray(getattr(exact, key), dtype=float)
        ref_values = getattr(ref, key)
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
