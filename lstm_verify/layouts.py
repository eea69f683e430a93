"""LSTM weights in other frameworks' layouts, read into Keras's form and written back out.

Keras computes ``z = x·kernel + h·recurrent_kernel + bias`` with row vectors, so its
matrices are [in, out]: kernel [F, 4U], recurrent_kernel [U, 4U], bias [4U], column
blocks in gate order i, f, c, o.  The others (U = units = hidden_size, F = input_dim):

  pytorch  weight_ih [4U, F], weight_hh [4U, U], bias_ih [4U], bias_hh [4U]
           z = W_ih·x + b_ih + W_hh·h + b_hh; row blocks i, f, g, o (g is c~)
  onnx     W [1, 4U, F], R [1, 4U, U], B [1, 8U] = [Wb, Rb] (leading num_directions
           axis optional); z = W·x + R·h + Wb + Rb; row blocks i, o, f, c
  cudnn    cuDNN's canonical per-gate parameters, named as cuDNN's CUDNN_LSTM equations
           name them (i_t = σ(W_i·x + R_i·h + b_Wi + b_Ri)); cudnnGetRNNLinLayerMatrixParams
           returns them by linLayerID 0..3 = W_i, W_f, W_c, W_o [U, F] and 4..7 = R_i,
           R_f, R_c, R_o [U, U], and the biases b_Wi..b_Wo, b_Ri..b_Ro [U] by the same ids
           (Keras 2's CuDNNLSTM kept the same two bias sets, in the same order i, f, c, o)
  tf1      tf.compat.v1 LSTMCell / BasicLSTMCell: kernel [F + U, 4U] applied to
           concat([x, h]) (input rows first), column blocks i, j, f, o (j is c~),
           bias [4U], and forget_bias (default 1.0) ADDED to f's pre-activation at
           run time, so Keras's f bias = bias_f + forget_bias

The frameworks that multiply column vectors (PyTorch, ONNX, cuDNN) store [out, in]
matrices: each is Keras's block transposed.  Keras has one bias; a two-bias layout is
read as the sum, and written as (bias, zeros), so keras -> X -> keras is exact.
"""

from dataclasses import dataclass

import numpy as np

from .checks import describe

GATE_ORDER = {"keras": "ifco", "pytorch": "ifco", "onnx": "iofc", "cudnn": "ifco",
              "tf1": "icfo"}   # c is the candidate c~ (PyTorch's g, TF1's j)
GATE_NAMES = {"keras": "i, f, c, o", "pytorch": "i, f, g, o", "onnx": "i, o, f, c",
              "cudnn": "i, f, c, o", "tf1": "i, j, f, o"}
LAYOUTS = tuple(GATE_ORDER)
CUDNN_MATRICES = tuple(f"{m}_{g}" for m in ("W", "R") for g in "ifco")
CUDNN_BIASES = tuple(f"b_{m}{g}" for m in ("W", "R") for g in "ifco")
KEYS = {"pytorch": ("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        "onnx": ("W", "R", "B"),
        "cudnn": CUDNN_MATRICES + CUDNN_BIASES,
        "tf1": ("kernel", "bias", "forget_bias")}
BIAS_KEYS = {"pytorch": ("bias_ih", "bias_hh"), "onnx": ("B",), "cudnn": CUDNN_BIASES,
             "tf1": ("bias",)}


@dataclass
class Weights:
    """Keras-ordered weights; ``bias_h`` is the second bias of a two-bias layout (or None)."""

    kernel: np.ndarray          # (F, 4U)
    recurrent_kernel: np.ndarray  # (U, 4U)
    bias: np.ndarray = None     # (4U,) the input-side bias, or Keras's only bias
    bias_h: np.ndarray = None   # (4U,) the recurrent-side bias of pytorch/onnx/cudnn

    def keras_bias(self):
        if self.bias is None or self.bias_h is None:
            return self.bias
        return self.bias + self.bias_h


def reorder(matrix, source, target, axis):
    """Permute the four gate blocks along ``axis`` from one layout's order to another's."""
    blocks = dict(zip(GATE_ORDER[source], np.split(matrix, 4, axis=axis)))
    return np.concatenate([blocks[g] for g in GATE_ORDER[target]], axis=axis)


# ---------------------------------------------------------------- Keras -> other layouts

def export(layout, w, forget_bias=0.0):
    """A {key: array} mapping of ``w`` (Weights) in ``layout``'s own names and shapes."""
    U = w.recurrent_kernel.shape[0]
    b_x, b_h = w.bias, w.bias_h
    if b_x is not None and b_h is None:
        b_h = np.zeros_like(b_x)    # Keras's one bias goes on the input side, 0 on the other
    if layout == "keras":
        out = {"kernel": w.kernel, "recurrent_kernel": w.recurrent_kernel}
        return out if w.bias is None else {**out, "bias": w.keras_bias()}
    if layout == "pytorch":
        # torch multiplies W·x (column vectors): its [4U, F] is Keras's [F, 4U] transposed;
        # the gate order i, f, g, o is Keras's, so the blocks stay where they are
        out = {"weight_ih": w.kernel.T, "weight_hh": w.recurrent_kernel.T}
        return out if b_x is None else {**out, "bias_ih": b_x, "bias_hh": b_h}
    if layout == "onnx":
        # ONNX: W·x too, blocks reordered to i, o, f, c; a leading num_directions axis of 1
        out = {"W": reorder(w.kernel, "keras", "onnx", 1).T[None],
               "R": reorder(w.recurrent_kernel, "keras", "onnx", 1).T[None]}
        if b_x is None:
            return out
        return {**out, "B": np.concatenate([reorder(b_x, "keras", "onnx", 0),
                                            reorder(b_h, "keras", "onnx", 0)])[None]}
    if layout == "cudnn":
        # one [out, in] matrix per gate and input side, as cuDNN hands them out
        out = {}
        for name, matrix in (("W", w.kernel), ("R", w.recurrent_kernel)):
            for g, block in zip("ifco", np.split(matrix, 4, axis=1)):
                out[f"{name}_{g}"] = block.T
        if b_x is not None:
            for name, vector in (("W", b_x), ("R", b_h)):
                for g, block in zip("ifco", np.split(vector, 4)):
                    out[f"b_{name}{g}"] = block
        return out
    if layout == "tf1":
        # TF1 multiplies concat([x, h])·kernel: Keras's kernel on top of recurrent_kernel,
        # blocks reordered to i, j, f, o; forget_bias is subtracted here, added back at run time
        kernel = np.concatenate([w.kernel, w.recurrent_kernel], axis=0)
        out = {"kernel": reorder(kernel, "keras", "tf1", 1)}
        if w.bias is None:    # a layer without bias has nothing to hold forget_bias
            return {**out, "forget_bias": 0.0}
        bias = reorder(w.keras_bias(), "keras", "tf1", 0).copy()
        bias[2 * U:3 * U] -= forget_bias
        return {**out, "bias": bias, "forget_bias": float(forget_bias)}
    raise ValueError(f"unknown layout {layout}")


def mapping_lines(layout, F, U, use_bias=True, two_biases=False):
    """How Keras's blocks correspond to ``layout``'s (for people; printed by convert).
    ``two_biases``: the layout's two biases are both given (and add up to Keras's)."""
    to = GATE_ORDER[layout]
    cols = {g: (n * U, (n + 1) * U) for n, g in enumerate("ifco")}
    head = (f"Keras kernel [{F}, {4 * U}], recurrent_kernel [{U}, {4 * U}]"
            + (f", bias [{4 * U}]" if use_bias else "") + " (column blocks i, f, c, o) and "
            f"{layout} (gates {GATE_NAMES[layout]}):")
    lines = [head]
    for g in "ifco":
        a, b = cols[g]
        k, rk, bias = f"kernel[:, {a}:{b}]", f"recurrent_kernel[:, {a}:{b}]", f"bias[{a}:{b}]"
        n = to.index(g)
        row, row2 = f"{n * U}:{(n + 1) * U}", f"{(4 + n) * U}:{(5 + n) * U}"
        x_bias, h_bias = {"pytorch": (f"bias_ih[{row}]", f"bias_hh[{row}]"),
                          "onnx": (f"B[0, {row}]", f"B[0, {row2}]"),
                          "cudnn": (f"b_W{g}", f"b_R{g}")}.get(layout, (None, None))
        if layout == "pytorch":
            line = f"weight_ih[{row}] = {k}^T, weight_hh[{row}] = {rk}^T"
        elif layout == "onnx":
            line = f"W[0, {row}] = {k}^T, R[0, {row}] = {rk}^T"
        elif layout == "cudnn":
            line = f"W_{g} = {k}^T, R_{g} = {rk}^T"
        elif layout == "tf1":
            line = f"kernel[0:{F}, {row}] = {k}, kernel[{F}:{F + U}, {row}] = {rk}"
            if use_bias:
                line += f", bias[{row}] = {bias}" + (" - forget_bias" if g == "f" else "")
        else:
            line = f"{k}, {rk}" + (f", {bias}" if use_bias else "") + " (as they are)"
        if use_bias and x_bias:
            line += (f", {x_bias} + {h_bias} = {bias}" if two_biases
                     else f", {x_bias} = {bias}, {h_bias} = 0")
        own = GATE_NAMES[layout].split(", ")[n]
        lines.append(f"  gate {g} ({own}): {line}")
    return lines


# ---------------------------------------------------------------- other layouts -> Keras

def parse(r, weights, case, units_given, layout):
    """Weights (Keras order) from a case's ``weights`` mapping in ``layout``; every shape is
    checked and named by the framework's own axis meanings."""
    allowed = ("layout",) + KEYS[layout]
    r.keys(weights, "weights", allowed)
    needed = [k for k in KEYS[layout] if k not in BIAS_KEYS[layout] and k != "forget_bias"]
    if case.use_bias:
        needed += [k for k in BIAS_KEYS[layout]]
    missing = [k for k in needed if k not in weights]
    if missing:
        raise r.fail("weights", f"has no {', '.join(missing)}; layout {layout} needs "
                     f"{', '.join(needed)}" + ("" if case.use_bias else " (use_bias is false)"))
    if not case.use_bias:
        extra = [k for k in BIAS_KEYS[layout] if k in weights]
        if extra:
            raise r.fail(f"weights.{extra[0]}", "is given but use_bias is false; remove "
                         "the bias or set use_bias: true")
    return {"pytorch": _pytorch, "onnx": _onnx, "cudnn": _cudnn, "tf1": _tf1}[layout](
        r, weights, case, units_given)


def _units(r, units_given, inferred):
    if units_given is None:
        return inferred
    if isinstance(units_given, bool) or not isinstance(units_given, int) or units_given < 1:
        raise r.fail("units", f"is {describe(units_given)}, expected a positive whole number")
    return units_given


def _matrix(r, weights, key, ndims, meaning):
    return r.array(weights[key], f"weights.{key}", ndims, meaning)


def _pytorch(r, weights, case, units_given):
    F, gates = case.input_dim, "(PyTorch's row blocks i, f, g, o)"
    w_hh = _matrix(r, weights, "weight_hh", (2,), f"[4*hidden_size, hidden_size] {gates}")
    U = _units(r, units_given, w_hh.shape[1])
    size = f"hidden_size={U} from " + ("units" if units_given is not None
                                       else "the columns of weights.weight_hh")
    r.shaped(w_hh, "weights.weight_hh", (4 * U, U), f"[4*hidden_size, hidden_size] with "
             f"{size} {gates}")
    w_ih = _matrix(r, weights, "weight_ih", (2,), f"[4*hidden_size, input_size] {gates}")
    r.shaped(w_ih, "weights.weight_ih", (4 * U, F), f"[4*hidden_size, input_size] with "
             f"input_size={F} from the last axis of inputs and hidden_size={U} {gates}")
    out = Weights(w_ih.T, w_hh.T)   # torch's [out, in] is Keras's [in, out] transposed
    if case.use_bias:
        out.bias, out.bias_h = (r.shaped(_matrix(r, weights, k, (1,), "[4*hidden_size]"),
                                         f"weights.{k}", (4 * U,),
                                         f"[4*hidden_size] with {size} {gates}")
                                for k in ("bias_ih", "bias_hh"))
    return out


def _onnx(r, weights, case, units_given):
    F, gates = case.input_dim, "(ONNX's row blocks i, o, f, c)"
    arrays = {}
    for key, full, meaning in (("R", 3, "[num_directions, 4*hidden_size, hidden_size]"),
                               ("W", 3, "[num_directions, 4*hidden_size, input_size]"),
                               ("B", 2, "[num_directions, 8*hidden_size] = [Wb, Rb]")):
        if key not in weights:
            continue
        arr = _matrix(r, weights, key, (full - 1, full), f"{meaning} {gates} (the leading "
                      "num_directions axis may be left out)")
        if arr.ndim == full:
            if arr.shape[0] != 1:
                raise r.fail(f"weights.{key}", f"has num_directions={arr.shape[0]} "
                             f"(shape {'x'.join(map(str, arr.shape))}); a case holds one "
                             "direction: give W[0], R[0], B[0] for forward, or W[1], R[1], "
                             "B[1] with go_backwards: true for the reverse direction")
            arr = arr[0]
        arrays[key] = arr
    U = _units(r, units_given, arrays["R"].shape[1])
    size = f"hidden_size={U} from " + ("units" if units_given is not None
                                       else "the last axis of weights.R")
    r.shaped(arrays["R"], "weights.R", (4 * U, U), f"[4*hidden_size, hidden_size] "
             f"(after the num_directions axis) with {size} {gates}")
    r.shaped(arrays["W"], "weights.W", (4 * U, F), f"[4*hidden_size, input_size] (after "
             f"the num_directions axis) with input_size={F} from the last axis of inputs "
             f"and hidden_size={U} {gates}")
    # ONNX's [out, in] rows in order i, o, f, c -> Keras's [in, out] columns i, f, c, o
    out = Weights(reorder(arrays["W"].T, "onnx", "keras", 1),
                  reorder(arrays["R"].T, "onnx", "keras", 1))
    if case.use_bias:
        B = r.shaped(arrays["B"], "weights.B", (8 * U,), f"[8*hidden_size] = [Wb, Rb] (after "
                     f"the num_directions axis) with {size} {gates}")
        out.bias, out.bias_h = (reorder(half, "onnx", "keras", 0) for half in np.split(B, 2))
    return out


def _cudnn(r, weights, case, units_given):
    F = case.input_dim
    first = _matrix(r, weights, "R_i", (2,), "[units, units]")
    U = _units(r, units_given, first.shape[0])
    size = f"units={U} from " + ("units" if units_given is not None else "the rows of R_i")
    blocks = {}
    for key in CUDNN_MATRICES:
        if key[0] == "W":   # applied to x
            cols, meaning = F, (f"[units, input_dim] with input_dim={F} from the last axis "
                                f"of inputs and {size}")
        else:               # applied to h
            cols, meaning = U, f"[units, units] with {size}"
        meaning += f" (cuDNN linLayerID {CUDNN_MATRICES.index(key)})"
        blocks[key] = r.shaped(_matrix(r, weights, key, (2,), meaning), f"weights.{key}",
                               (U, cols), meaning)
    # each cuDNN matrix is [out, in] for one gate: transposed, it is one Keras column block
    out = Weights(np.concatenate([blocks[f"W_{g}"].T for g in "ifco"], axis=1),
                  np.concatenate([blocks[f"R_{g}"].T for g in "ifco"], axis=1))
    if case.use_bias:
        vec = {k: r.shaped(_matrix(r, weights, k, (1,), "[units]"), f"weights.{k}", (U,),
                           f"[units] with {size}") for k in CUDNN_BIASES}
        out.bias = np.concatenate([vec[f"b_W{g}"] for g in "ifco"])
        out.bias_h = np.concatenate([vec[f"b_R{g}"] for g in "ifco"])
    return out


def _tf1(r, weights, case, units_given):
    F, gates = case.input_dim, "(TF1's column blocks i, j, f, o)"
    kernel = _matrix(r, weights, "kernel", (2,), f"[input_dim + units, 4*units] {gates}")
    if units_given is None and kernel.shape[1] % 4:
        raise r.fail("weights.kernel", f"is {kernel.shape[0]}x{kernel.shape[1]}, expected "
                     f"[input_dim + units, 4*units] {gates}: {kernel.shape[1]} columns is "
                     "not a multiple of 4")
    U = _units(r, units_given, kernel.shape[1] // 4)
    size = f"units={U} from " + ("units" if units_given is not None
                                 else "the columns of weights.kernel / 4")
    r.shaped(kernel, "weights.kernel", (F + U, 4 * U), f"[input_dim + units, 4*units] with "
             f"input_dim={F} from the last axis of inputs and {size}; rows are x's then h's, "
             f"as TF1 multiplies concat([x, h]) {gates}")
    forget_bias = weights.get("forget_bias", 1.0)
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)) or not (
            np.isfinite(forget_bias)):
        raise r.fail("weights.forget_bias", f"is {describe(forget_bias)}, expected a number "
                     "(TF1's LSTMCell default is 1.0)")
    # the x rows and the h rows of concat([x, h])·kernel are Keras's two matrices
    out = Weights(reorder(kernel[:F], "tf1", "keras", 1),
                  reorder(kernel[F:], "tf1", "keras", 1))
    if case.use_bias:
        bias = r.shaped(_matrix(r, weights, "bias", (1,), "[4*units]"), "weights.bias",
                        (4 * U,), f"[4*units] with {size} {gates}")
        out.bias = reorder(bias, "tf1", "keras", 0).copy()
        out.bias[U:2 * U] += forget_bias   # TF1 adds forget_bias to f at run time; Keras cannot
    elif forget_bias != 0:
        default = "" if "forget_bias" in weights else " (the default)"
        raise r.fail("weights.forget_bias", f"is {forget_bias}{default}, but use_bias is "
                     "false: TF1 adds forget_bias to the forget gate and a Keras layer "
                     "without bias cannot; set use_bias: true with a bias, or forget_bias: 0")
    return out
