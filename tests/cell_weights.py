"""Random asymmetric weights and cases of every cell, in any layout, for the layout,
convert and engine tests."""

import numpy as np
import yaml
from conftest import CASES

from lstm_verify import cells, forward
from lstm_verify.case import layouts
from lstm_verify.case import parse_case

CELLS = tuple(cells.CELLS)


def reset_after_values(cell):
    return (True, False) if "reset_after" in cells.get(cell).options else (True,)


# (cell, layout, reset_after) for every layout a cell has and can express
CELL_LAYOUTS = [(cell, layout, reset_after) for cell in CELLS
                for layout in cells.get(cell).layouts for reset_after in reset_after_values(cell)
                if not layouts.unsupported(cells.get(cell), layout, reset_after)]


def random_keras(rng, F=2, U=3, use_bias=True, cell="lstm", reset_after=True):
    """Weights whose gate blocks all differ, so a gate-order slip cannot hide."""
    c = cells.get(cell)
    n = len(c.blocks)
    bias = rng.normal(size=c.bias_shape(U, reset_after)[0]) if use_bias else None
    w = layouts.Weights.from_keras(rng.normal(size=(F, n * U)), rng.normal(size=(U, n * U)),
                                   bias, c, reset_after)
    blocks = np.split(w.kernel, n, axis=1)
    assert all(not np.allclose(a, b) for k, a in enumerate(blocks) for b in blocks[k + 1:])
    return w


def case_data(weights, layout, rng, F=2, U=3, T=3, B=2, use_bias=True, cell="lstm",
              **options):
    states = cells.get(cell).states
    data = {"inputs": rng.normal(size=(B, T, F)).tolist(), "use_bias": use_bias,
            "initial_state": {s: rng.normal(size=(B, U)).tolist() for s in states},
            "weights": {"layout": layout, **{k: np.asarray(v).tolist() if np.ndim(v) else v
                                             for k, v in weights.items()}}, **options}
    if cell != "lstm":
        data["cell"] = cell
    return data


def load(data):
    return parse_case(data, "memory.yaml")


def case_file(folder, cell, reset_after=True, seed=8):
    """A case file of ``cell`` in Keras's layout with random asymmetric weights, and the
    reference's final state and sequence as its expected numbers (the bundled
    written-by-new.yaml for the LSTM)."""
    if cell == "lstm":
        return CASES / "written-by-new.yaml"
    rng = np.random.default_rng(seed)
    options = {} if reset_after else {"reset_after": False}
    data = case_data(layouts.export("keras", random_keras(rng, cell=cell,
                                                          reset_after=reset_after)),
                     "keras", rng, cell=cell, **options)
    trace = forward.run(load(data))
    data["expected"] = {"h": trace.final_h.tolist(), "sequence": trace.sequence.tolist()}
    path = folder / f"{cell}-{'after' if reset_after else 'before'}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def gru_onnx(rng, **weights):
    """A GRU's W, R, B in ONNX's layout (no linear_before_reset unless given)."""
    return {"W": rng.normal(size=(1, 9, 2)), "R": rng.normal(size=(1, 9, 3)),
            "B": rng.normal(size=(1, 18)), **weights}
