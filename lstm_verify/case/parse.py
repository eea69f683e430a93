"""Load and validate a case file into a plain :class:`Case` (numpy arrays and options).

Every user mistake is found here, before anything runs, and raised as a
:class:`CaseError` naming the file, the key, its line, what was found and what
was expected.  Arrays are float64 with the batch axis always present.  What a case
may hold (weight shapes, states, per-step quantities) is its cell's (cells/).
"""

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import cells
from . import npz_arrays
from ..backward import case as backward_case
from .checks import Reader, describe
from ..errors import CaseError
from .weights import parse_weights
from .yaml_source import MAX_VALUES, load_yaml

TOP_KEYS = ("name", "description", "source", "cell", "units", "activation",
            "recurrent_activation", "reset_after",
            "use_bias", "go_backwards", "zero_output_for_mask", "dtype", "inputs", "mask",
            "initial_state", "weights", "backward", "expected", "tolerance", "known_mistake",
            "arrays",  # arrays: a sibling .npz whose entries the case names as npz:NAME
            "keras")   # keras: 2 -- the numbers came from Keras 2 (a tf_keras model)
DEFAULT_TOLERANCE = {"float32": {"atol": 1e-5, "rtol": 1e-5},
                     "float64": {"atol": 1e-9, "rtol": 1e-9}}


@dataclass
class Case:
    """One example for one cell. Shapes (n = the cell's number of weight blocks: 4 for
    the LSTM, 3 for the GRU, 1 for the SimpleRNN): inputs (B, T, F); kernel (F, nU);
    recurrent_kernel (U, nU); bias as the cell says ((nU,), or (2, 3U) for a GRU with
    reset_after) or None; mask (B, T) bool or None; h0 (B, U) and, for the LSTM, c0.
    ``expected`` maps each state -> (B, U), sequence -> (B, T, U),
    steps -> {t: {quantity: (B, U)}}."""

    path: Path
    name: str
    inputs: np.ndarray
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray = None
    mask: np.ndarray = None
    h0: np.ndarray = None
    c0: np.ndarray = None
    cell: cells.Cell = cells.get(cells.DEFAULT)
    reset_after: bool = True          # the GRU's; Keras's default
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"
    use_bias: bool = True
    go_backwards: bool = False
    zero_output_for_mask: bool = False
    dtype: str = "float32"
    description: str = ""
    source: str = ""
    expected: dict = field(default_factory=dict)
    atol: float = 1e-5
    rtol: float = 1e-5
    known_mistake: str = None
    lines: dict = field(default_factory=dict)
    # how the case wrote its weights: keras, per-gate, concatenated, or a layout's name
    weight_form: str = "keras"
    # the concatenated textbook form's order: ("h", "x") for Wcat·[h; x], ("x", "h")
    concat: tuple = None
    # the backward pass asked for: {"upstream": {sequence|h|c: array}} or
    # {"loss": {"target": array, "of": "sequence"|"h"}}; None when the case has none
    backward: dict = None
    keras: int = 3        # 2: expected came from Keras 2 (tf_keras); verify runs it too

    @property
    def batch(self):
        return self.inputs.shape[0]

    @property
    def steps(self):
        return self.inputs.shape[1]

    @property
    def input_dim(self):
        return self.inputs.shape[2]

    @property
    def units(self):
        return self.recurrent_kernel.shape[0]

    @property
    def initial_state(self):
        """{state: (B, U)} for each of the cell's states."""
        return {s: getattr(self, f"{s}0") for s in self.cell.states}


def load_case(path, max_values=MAX_VALUES):
    """Read and validate one case file; raise CaseError on any problem."""
    path = Path(path)
    data, lines = load_yaml(path, max_values=max_values)
    return parse_case(data, path, lines, max_values=max_values)


def parse_case(data, path, lines=None, max_values=MAX_VALUES):
    """Validate an already-read document (a dict) into a Case."""
    path = Path(path)
    r = Reader(path, lines or {})
    if not isinstance(data, dict):
        raise CaseError(f"holds {describe(data)}, expected a mapping with at least the keys "
                        "inputs and weights", path)
    r.keys(data, "", TOP_KEYS)
    data = npz_arrays.resolve(r, data, path, max_values)  # npz:NAME -> the entry's array
    for key in ("inputs", "weights"):
        if key not in data:
            raise CaseError(f"has no '{key}' key; every case needs inputs and weights", path,
                            key)
    dtype = data.get("dtype", "float32")
    if not isinstance(dtype, str) or dtype not in DEFAULT_TOLERANCE:
        raise r.fail("dtype", f"is {describe(dtype)}, expected float32 or float64")
    cell = _cell(r, data)
    case = Case(
        path=path,
        name=r.text(data, "name", None) or path.stem,
        description=r.text(data, "description", "") or "",
        source=r.text(data, "source", "") or "",
        cell=cell,
        reset_after=_reset_after(r, data, cell),
        activation=r.activation(data, "activation", "tanh"),
        recurrent_activation=_recurrent_activation(r, data, cell),
        use_bias=r.flag(data, "use_bias", True),
        go_backwards=r.flag(data, "go_backwards", False),
        zero_output_for_mask=r.flag(data, "zero_output_for_mask", False),
        dtype=dtype,
        known_mistake=r.text(data, "known_mistake", None),
        keras=_keras_version(r, data),
        inputs=_inputs(r, data["inputs"]),
        kernel=None, recurrent_kernel=None, lines=r.lines,
    )
    case.kernel, case.recurrent_kernel, case.bias = parse_weights(
        r, data["weights"], case, data.get("units"), data.get("reset_after"))
    _mask(r, data, case)
    _initial_state(r, data, case)
    _tolerance(r, data, case)
    if data.get("backward") is not None:
        case.backward = backward_case.parse_backward(r, data["backward"], case, _batched)
    if "expected" in data:
        case.expected = _expected(r, data["expected"], case)
    return case


def _keras_version(r, data):
    value = data.get("keras", 3)
    if isinstance(value, bool) or value not in (2, 3):
        raise r.fail("keras", f"is {describe(value)}, expected 2 (the numbers came from "
                     "Keras 2, tf_keras, as extract writes for an .h5 model only Keras 2 "
                     "loads) or 3 (the default)")
    return value


def _cell(r, data):
    name = data.get("cell", cells.DEFAULT)
    if not isinstance(name, str) or name not in cells.CELLS:
        raise r.fail("cell", f"is {describe(name)}, expected one of "
                     f"{', '.join(cells.CELLS)}")
    return cells.get(name)


def _option_of(r, data, key, cell, owners):
    """An option only some cells have: an error naming the case's cell on the others."""
    if key in data and cell.name not in owners:
        raise r.fail(key, f"is given, but {cell.a_title} has no {key} (only "
                     f"{' and '.join(cells.get(n).title for n in owners)} "
                     f"{'has' if len(owners) == 1 else 'have'} it); remove it")


def _reset_after(r, data, cell):
    _option_of(r, data, "reset_after", cell, ("gru",))
    return r.flag(data, "reset_after", True)


def _recurrent_activation(r, data, cell):
    _option_of(r, data, "recurrent_activation", cell, ("lstm", "gru"))
    if not cell.has_recurrent_activation:
        return None
    return r.activation(data, "recurrent_activation", "sigmoid")


def _inputs(r, value):
    arr = r.array(value, "inputs", (2, 3),
                  "[batch, time, features], or [time, features] for one sequence")
    return arr[None] if arr.ndim == 2 else arr


def _batched(r, value, key, inner, meaning, case, nulls=False):
    """An array of shape (B, *inner); the batch axis may be left out when B is 1.
    ``nulls``: an expected array, where null marks an element the author did not state."""
    arr = r.array(value, key, (len(inner), len(inner) + 1), meaning, nulls=nulls)
    if arr.ndim == len(inner):
        if case.batch != 1:
            raise r.fail(key, f"is {'x'.join(map(str, arr.shape))} with no batch axis, "
                         f"expected {'x'.join(map(str, (case.batch,) + inner))} = {meaning} "
                         f"because inputs has a batch of {case.batch}")
        arr = arr[None]
    return r.shaped(arr, key, (case.batch,) + tuple(inner), meaning)


def _mask(r, data, case):
    if data.get("mask") is None:
        return
    arr = r.array(data["mask"], "mask", (1, 2), "[batch, time] of true/false", dtype=bool)
    if arr.ndim == 1:
        arr = arr[None]
    case.mask = r.shaped(arr, "mask", (case.batch, case.steps),
                         f"[batch, time] = [{case.batch}, {case.steps}] from inputs")


def _no_cell_state(r, mapping, key, case):
    """A c where the cell has none gets its own message, not an unknown-key one."""
    if isinstance(mapping, dict) and "c" in mapping and "c" not in case.cell.states:
        raise r.fail(f"{key}.c", f"is given, but {case.cell.a_title} has no cell state c; "
                     "its only state is h")


def _initial_state(r, data, case):
    state = data.get("initial_state")
    shape = (case.batch, case.units)
    for key in case.cell.states:
        setattr(case, f"{key}0", np.zeros(shape))
    if state is None:
        return
    _no_cell_state(r, state, "initial_state", case)
    r.keys(state, "initial_state", case.cell.states)
    for key in case.cell.states:
        if key in state:
            meaning = f"[batch, units] = [{case.batch}, {case.units}]"
            arr = _batched(r, state[key], f"initial_state.{key}", (case.units,), meaning, case)
            setattr(case, f"{key}0", arr)


def half_unit(decimals):
    """Half a unit of the last decimal written: 0.00005 for 4 decimals (a hair more, so
    that a value rounded exactly at the half still passes in binary floating point)."""
    return 0.5 * 10.0 ** -decimals * (1 + 1e-9)


def _tolerance(r, data, case):
    tol = dict(DEFAULT_TOLERANCE[case.dtype])
    given = data.get("tolerance")
    if given is not None:
        r.keys(given, "tolerance", ("atol", "rtol", "decimals"))
        if "decimals" in given:
            decimals = given["decimals"]
            if isinstance(decimals, bool) or not isinstance(decimals, int) \
                    or not 0 <= decimals <= 15:
                raise r.fail("tolerance.decimals", f"is {describe(decimals)}, expected the "
                             "number of decimals the author wrote, a whole number from 0 "
                             "to 15 (4 for 0.7311)")
            if {"atol", "rtol"} & set(given):
                raise r.fail("tolerance.decimals", "is given with atol or rtol; decimals "
                             "sets both (atol half a unit of the last decimal, rtol 0): give "
                             "decimals alone, or atol and rtol")
            case.atol, case.rtol = half_unit(decimals), 0.0
            return
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    0 <= value < float("inf")):
                raise r.fail(f"tolerance.{key}", f"is {describe(value)}, expected a "
                             "non-negative number such as 1.0e-6")
            tol[key] = float(value)
    case.atol, case.rtol = tol["atol"], tol["rtol"]


def _expected(r, expected, case):
    _no_cell_state(r, expected, "expected", case)
    r.keys(expected, "expected", case.cell.states + ("sequence", "steps", "gradients"))
    units, out = case.units, {}
    state = f"[batch, units] = [{case.batch}, {units}] ([units] for batch 1)"
    for key in case.cell.states:
        if expected.get(key) is not None:
            out[key] = _batched(r, expected[key], f"expected.{key}", (units,), state, case,
                                nulls=True)
    if expected.get("sequence") is not None:
        meaning = (f"[batch, time, units] = [{case.batch}, {case.steps}, {units}] "
                   "([time, units] for batch 1)")
        out["sequence"] = _batched(r, expected["sequence"], "expected.sequence",
                                   (case.steps, units), meaning, case, nulls=True)
    if expected.get("steps") is not None:
        out["steps"] = _expected_steps(r, expected["steps"], case, state)
    if expected.get("gradients") is not None:
        out["gradients"] = backward_case.parse_expected_gradients(
            r, expected["gradients"], case, functools.partial(_batched, nulls=True))
    return out


def _expected_steps(r, steps, case, state):
    rows = case.cell.written
    return r.step_table(
        steps, "expected.steps", rows, case.steps,
        lambda value, key: _batched(r, value, key, (case.units,), state, case, nulls=True),
        f"{{t: 1, {rows[0]}: [...], h: [...]}}",
        check=lambda step, key: _no_cell_state(r, step, key, case))
