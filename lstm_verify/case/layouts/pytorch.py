"""PyTorch's layout: the parameters of torch.nn.LSTM, GRU and RNN (layer 0).

torch multiplies column vectors, W·x, so its matrices are [out, in], each of Keras's
blocks transposed: weight_ih [nU, F], weight_hh [nU, U], and two biases, bias_ih and
bias_hh [nU].  Row blocks: LSTM i, f, g, o (g is c~); GRU r, z, n (n is h~); RNN one.
Both biases are added before the activation, z = W_ih·x + b_ih + W_hh·h + b_hh, except
the GRU's candidate, n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)): the reset applies
after the recurrent matmul, with b_hn inside it — Keras's GRU with reset_after true,
whose two bias rows are bias_ih and bias_hh, reordered.
"""

from .common import (Weights, blocks_note, blocks_suffix, matrix, reorder, two_bias_text,
                     units, width)

KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
BIAS_KEYS = ("bias_ih", "bias_hh")
OPTIONAL = ()
RESET_AFTER = (True,)
NO_RESET_AFTER_FALSE = ("PyTorch's GRU is reset_after true: n = tanh(W_in·x + b_in + "
                        "r·(W_hn·h + b_hn)) applies the reset gate after the recurrent "
                        "matmul, so a GRU with reset_after false has no PyTorch form (its "
                        "ONNX form is linear_before_reset: 0)")


def keys(cell):
    return KEYS


def bias_keys(cell):
    return BIAS_KEYS


def reset_after(r, weights, cell, given):
    """Always true for a cell with a reset_after (the GRU); None for the others."""
    if "reset_after" not in cell.options:
        return None
    if given is False:
        raise r.fail("reset_after", f"is false, but weights.layout is pytorch: "
                     f"{NO_RESET_AFTER_FALSE}; remove reset_after: false, or give the "
                     "weights in Keras's or ONNX's layout")
    return True


def export(w, **_options):
    cell = w.cell
    # torch's [out, in] is Keras's [in, out] transposed, blocks in torch's order
    out = {"weight_ih": reorder(w.kernel, cell, "keras", "pytorch", 1).T,
           "weight_hh": reorder(w.recurrent_kernel, cell, "keras", "pytorch", 1).T}
    biases = w.bias_pair()
    if biases is None:
        return out
    b_ih, b_hh = (reorder(b, cell, "keras", "pytorch", 0) for b in biases)
    return {**out, "bias_ih": b_ih, "bias_hh": b_hh}


def parse(r, weights, case, units_given):
    cell, F = case.cell, case.input_dim
    gates = blocks_note(cell, "pytorch", "PyTorch's row blocks")
    rows = width(cell, "hidden_size")
    n = len(cell.blocks)
    w_hh = matrix(r, weights, "weight_hh", (2,), f"[{rows}, hidden_size]{gates}")
    U = units(r, units_given, w_hh.shape[1])
    size = f"hidden_size={U} from " + ("units" if units_given is not None
                                       else "the columns of weights.weight_hh")
    r.shaped(w_hh, "weights.weight_hh", (n * U, U), f"[{rows}, hidden_size] with "
             f"{size}{gates}")
    w_ih = matrix(r, weights, "weight_ih", (2,), f"[{rows}, input_size]{gates}")
    r.shaped(w_ih, "weights.weight_ih", (n * U, F), f"[{rows}, input_size] with "
             f"input_size={F} from the last axis of inputs and hidden_size={U}{gates}")
    out = Weights(reorder(w_ih.T, cell, "pytorch", "keras", 1),
                  reorder(w_hh.T, cell, "pytorch", "keras", 1), cell=cell)
    if case.use_bias:
        out.bias, out.bias_h = (
            reorder(r.shaped(matrix(r, weights, k, (1,), f"[{rows}]"), f"weights.{k}",
                             (n * U,), f"[{rows}] with {size}{gates}"),
                    cell, "pytorch", "keras", 0)
            for k in BIAS_KEYS)
    return out


def meanings(cell, reset_after):
    rows = blocks_suffix(cell, "pytorch", "rows")
    return {"weight_ih": f"[{width(cell, 'hidden_size')}, input_size]{rows}",
            "weight_hh": f"[{width(cell, 'hidden_size')}, hidden_size]{rows}",
            "bias_ih": f"[{width(cell, 'hidden_size')}]",
            "bias_hh": f"[{width(cell, 'hidden_size')}]"}


def block_line(cell, g, n, F, U, keras):
    row = f"{n * U}:{(n + 1) * U}"
    line = (f"weight_ih[{row}] = {keras['kernel']}^T, "
            f"weight_hh[{row}] = {keras['recurrent_kernel']}^T")
    if keras["bias"] is not None:
        line += two_bias_text(f"bias_ih[{row}]", f"bias_hh[{row}]", keras)
    return line
