"""`export --with-keras`: the same weights through the real Keras layer (keras.layers.LSTM,
GRU or SimpleRNN), side by side.

A worked solution is more convincing with the framework's own answer next to it:
this adds a section with, per quantity, the largest difference between Keras's values
and the reference's over every step, unit and sequence, judged at the tolerance
`verify` uses, and Keras's final states.  Imports TensorFlow (via keras_run).
"""

import numpy as np

from .. import forward
from ..compare import keras_tolerance
from ..errors import CaseError
from ..cells.teaching import symbol
from .exact import decimal
from .export import Table, quantities


def keras_blocks(case, precision):
    from .. import keras_run

    try:
        ker = keras_run.run(case)
    except keras_run.KerasMismatch as exc:
        raise CaseError(f"--with-keras: Keras's gate capture failed: {exc}", case.path)
    return comparison_blocks(case, forward.run(case), ker, keras_run.keras_version(),
                             precision)


def comparison_blocks(case, ref, ker, version, precision):
    """Blocks comparing the Keras trace ``ker`` with the reference trace ``ref``."""
    atol, rtol = keras_tolerance(case)
    cell, rows, agree = case.cell, [], True
    checked = [(q, symbol(cell, q), ker.steps[q], ref.steps[q]) for q in quantities(cell)]
    checked += [(s, f"final {s}", ker.final[s], ref.final[s]) for s in cell.states]
    for q, name, keras_values, ref_values in checked:
        diff = np.abs(keras_values - ref_values)
        ok = bool(np.all(diff <= atol + rtol * np.abs(ref_values)))
        agree &= ok
        largest = float(np.max(diff))
        rows.append([name, "0" if largest == 0 else f"{largest:.1e}", "yes" if ok else "NO"])
    verdict = ("Keras agrees with every value above" if agree else
               "Keras DISAGREES with the values above where marked NO")
    blocks = [("h2", "Checked against Keras"),
              ("p", f"The same case run through keras.layers.{cell.keras_layer} ({version}, "
                    f"{case.dtype}). {verdict}, at atol {atol:g} + rtol {rtol:g}·|reference|."),
              ("table", Table("largest |Keras − reference| over every step, unit and sequence",
                              ["quantity", "largest difference", "within tolerance"], rows))]
    header = ([] if case.batch == 1 else ["sequence"]) + [""] + [f"unit {u}"
                                                                for u in range(case.units)]
    final = []
    for b in range(case.batch):
        for name in cell.states:
            final.append(([] if case.batch == 1 else [str(b)]) + [f"{name} (Keras)"]
                         + [decimal(v, max(precision, 6)) for v in ker.final[name][b]])
    blocks.append(("table", Table(f"Keras's final {' and '.join(cell.states)}", header,
                                  final)))
    return blocks
