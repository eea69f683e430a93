"""What ``lstm-verify inspect`` shows of a saved model: every recurrent layer with its
cell, options, weights cut into the cell's gate blocks, and a note on the bias.

One description (:func:`describe_model`, JSON-ready) feeds both the JSON and the
text (:func:`inspect_lines`); nothing here names a gate: the blocks, the gate whose
bias is noted and the options come from the cell description (cells/).
"""

import textwrap

import numpy as np

from .. import cells
from .load import keras2_note, options, recurrent_layers


def _matrices(entry):
    """(name, array) of each weight matrix. A GRU's bias with reset_after is two rows,
    shown apart: the input bias (added to x·W) and the recurrent bias (to h·U)."""
    for name, value in entry.weights.items():
        if name == "bias" and value.ndim == 2:
            yield "input_bias", value[0]
            yield "recurrent_bias", value[1]
        else:
            yield name, value


def gate_stats(entry):
    """[(matrix, block, shape, mean, std, min, max)] for each weight matrix split into the
    cell's blocks (LSTM i, f, c, o; GRU z, r, h; SimpleRNN h)."""
    blocks = entry.cell.blocks
    rows = []
    for matrix, value in _matrices(entry):
        for block, part in zip(blocks, np.split(value, len(blocks), axis=-1)):
            rows.append((matrix, block, part.shape, float(part.mean()), float(part.std()),
                         float(part.min()), float(part.max())))
    return rows


UNTRAINED = ("every bias is exactly 0: the values Keras's default bias_initializer (zeros) "
             "starts with (this layer looks untrained)")


def bias_note(entry, opts):
    """A sentence on the bias of the gate that decides how much of the previous state a
    step keeps (the LSTM's forget gate, the GRU's update gate), or on a bias still at
    Keras's starting values; None when there is nothing to say."""
    cell = entry.cell
    keep = cell.gate(cell.keep_gate) if cell.keep_gate else None
    bias = entry.weights.get("bias")
    if bias is None:
        return "no bias (use_bias is false)" + (
            f": the {keep.title} starts from {keep.symbol} = rec(0)" if keep else "")
    if bias.ndim == 2:  # a GRU's input and recurrent rows both add into z and r
        bias = bias.sum(axis=0)
    if keep is None:
        return None if np.any(bias) else UNTRAINED
    blocks = dict(zip(cell.blocks, np.split(bias, len(cell.blocks))))
    kept = blocks.pop(keep.block)
    rest = np.concatenate(list(blocks.values()))
    named = f"{keep.title.replace(' ', '-')} bias"       # forget-gate bias
    if "unit_forget_bias" in opts:  # the LSTM's: Keras starts the forget bias at 1
        if np.allclose(kept, 1.0, atol=1e-6) and np.allclose(rest, 0.0, atol=1e-6):
            return (f"{named} is exactly 1 and every other bias 0: the values "
                    "unit_forget_bias=True starts with (this layer looks untrained)")
        if np.allclose(kept, 1.0, atol=0.1):
            return (f"{named} is ~1 (mean {kept.mean():.3g}), near unit_forget_bias's "
                    "start")
    if not np.any(bias):
        return UNTRAINED
    return (f"{named} mean {kept.mean():.3g} (other gates' bias mean {rest.mean():.3g}): "
            f"{'keeps' if kept.mean() > rest.mean() else 'forgets'} more than the other "
            "gates open")


def describe_model(model_path, model):
    """A JSON-ready description of every recurrent layer: its cell, options, weights by
    gate block, a note on the bias."""
    layers = []
    for entry in recurrent_layers(model):
        opts = options(entry)
        layer = dict(
            path=entry.path, cell=entry.cell.name, keras_class=type(entry.layer).__name__,
            direction=entry.direction,
            wrapper=None if entry.wrapper is None else entry.wrapper.name,
            merge_mode=None if entry.wrapper is None else entry.wrapper.merge_mode,
            input_dim=int(entry.weights["kernel"].shape[0]), options=opts,
            gates=[dict(matrix=m, gate=g, shape=list(s), mean=mean, std=std, min=lo, max=hi)
                   for m, g, s, mean, std, lo, hi in gate_stats(entry)],
            bias_note=bias_note(entry, opts))
        if "unit_forget_bias" in opts:  # the note's name before GRU and SimpleRNN
            layer["forget_bias_note"] = layer["bias_note"]
        layers.append(layer)
    # lstm_layers: the LSTM ones alone, under the name scripts knew before other cells
    note = keras2_note(model)
    return dict(model=str(model_path), name=model.name, keras=2 if note else 3, note=note,
                layers=layers,
                lstm_layers=[layer for layer in layers if layer["cell"] == "lstm"])


def inspect_lines(description):
    """Plain-text lines of ``inspect`` from :func:`describe_model`'s description."""
    layers = description["layers"]
    counts = {cell.title: sum(layer["cell"] == cell.name for layer in layers)
              for cell in cells.CELLS.values()}
    kinds = [title for title, n in counts.items() if n]
    what = kinds[0] if len(kinds) == 1 else "recurrent"
    mixed = (" (" + ", ".join(f"{counts[title]} {title}" for title in kinds) + ")"
             if len(kinds) > 1 else "")
    out = [f"{description['model']}: model '{description['name']}', {len(layers)} {what} "
           f"layer{'s' if len(layers) != 1 else ''}{mixed}"]
    if description.get("note"):
        out += textwrap.wrap(f"note: {description['note']}", 88, subsequent_indent="      ")
    for layer in layers:
        out += [""] + _layer_lines(layer)
    return out


def _layer_lines(layer):
    """One layer: where it is, its cell and options, its weights by block, the note."""
    cell, opts = cells.get(layer["cell"]), layer["options"]
    where = (f"  ({layer['direction']} half of Bidirectional '{layer['wrapper']}', "
             f"merge_mode {layer['merge_mode']})" if layer["wrapper"] else "")
    spelt = ("" if layer["keras_class"] == cell.keras_layer
             else f" as {layer['keras_class']}({cell.keras_cell})")
    out = [f"{layer['path']}{where}",
           f"  {cell.title}{spelt}, units {opts['units']}, input_dim {layer['input_dim']}"]
    shown = [f"{k} {_text(v)}" for k, v in opts.items() if k != "units"]
    out += textwrap.wrap(", ".join(shown), 88, initial_indent="  ", subsequent_indent="  ")
    out.append(f"  {'weights':<17}{'gate':<5}{'shape':>8}{'mean':>11}{'std':>11}"
               f"{'min':>11}{'max':>11}")
    keep = cell.gate(cell.keep_gate) if cell.keep_gate else None
    for row in layer["gates"]:
        marked = keep and row["matrix"].endswith("bias") and row["gate"] == keep.block
        out.append(f"  {row['matrix']:<17}{row['gate']:<5}"
                   f"{'x'.join(map(str, row['shape'])):>8}"
                   + "".join(f"{row[k]:>11.4g}" for k in ("mean", "std", "min", "max"))
                   + (f"  <- {keep.title}" if marked else ""))
    if layer["bias_note"]:
        out += textwrap.wrap(f"note: {layer['bias_note']}", 88, initial_indent="  ",
                             subsequent_indent="        ")
    return out


def _text(value):
    if value is None:
        return "null (linear)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
