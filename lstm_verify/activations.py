"""Activation functions by their Keras 3 names, in numpy (float64).

Each one follows the definition in ``keras/src/activations/activations.py`` with
Keras's default arguments, so the reference calculator applies exactly the
function the Keras layer applies.  ``None`` means linear, as in Keras.
"""

import math

import numpy as np


def linear(x):
    return x


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def hard_sigmoid(x):
    # Keras 3: x/6 + 0.5 clipped to [0, 1]  (Keras 2 used 0.2x + 0.5).
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def tanh(x):
    return np.tanh(x)


def relu(x):
    return np.maximum(x, 0.0)


def relu6(x):
    return np.clip(x, 0.0, 6.0)


def leaky_relu(x):
    return np.where(x >= 0, x, 0.2 * x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def celu(x, alpha=1.0):
    return np.maximum(x, 0.0) + np.minimum(0.0, alpha * np.expm1(np.minimum(x, 0.0) / alpha))


def softplus(x):
    return np.logaddexp(0.0, x)


def softsign(x):
    return x / (np.abs(x) + 1.0)


def silu(x):
    return x * sigmoid(x)


def hard_silu(x):
    return x * hard_sigmoid(x)


def gelu(x):
    # Keras's default is the exact form, x * Phi(x).
    erf = np.vectorize(math.erf, otypes=[float])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def mish(x):
    return x * np.tanh(softplus(x))


def squareplus(x, b=4.0):
    return (x + np.sqrt(x * x + b)) / 2.0


def exponential(x):
    return np.exp(x)


def hard_tanh(x):
    return np.clip(x, -1.0, 1.0)


def tanh_shrink(x):
    return x - np.tanh(x)


def soft_shrink(x, threshold=0.5):
    return np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0.0))


def hard_shrink(x, threshold=0.5):
    return np.where(np.abs(x) > threshold, x, 0.0)


def sparse_plus(x):
    return np.where(x <= -1, 0.0, np.where(x < 1, 0.25 * (x + 1) ** 2, x))


def sparse_sigmoid(x):
    return np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1)))


def log_sigmoid(x):
    return -softplus(-x)


def softmax(x):
    # Over the last axis (the units), as Keras's softmax(axis=-1).
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


ACTIVATIONS = {
    "linear": linear,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": tanh,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "celu": celu,
    "softplus": softplus,
    "softsign": softsign,
    "silu": silu,
    "swish": silu,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "gelu": gelu,
    "mish": mish,
    "squareplus": squareplus,
    "exponential": exponential,
    "hard_tanh": hard_tanh,
    "tanh_shrink": tanh_shrink,
    "soft_shrink": soft_shrink,
    "hard_shrink": hard_shrink,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "log_sigmoid": log_sigmoid,
    "softmax": softmax,
    "log_softmax": log_softmax,
}

# Keras activations that cannot stand in an LSTM cell unchanged: glu halves the
# units axis, threshold has required arguments, sparsemax is left out for now.
UNSUPPORTED = {"glu", "threshold", "sparsemax"}

# Activations made only of straight pieces: with them, integer inputs give exact
# rational arithmetic (used by teaching output).
PIECEWISE_LINEAR = {
    "linear", "hard_sigmoid", "relu", "relu6", "leaky_relu", "hard_tanh",
    "soft_shrink", "hard_shrink", "sparse_sigmoid",
}


def get(name):
    """The numpy function for a Keras activation name; None means linear."""
    return ACTIVATIONS["linear" if name is None else name]


def display_name(name):
    return "linear" if name is None else name
