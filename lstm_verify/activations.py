"""Activation functions by their Keras 3 names, in numpy (float64).

Each one follows the definition in ``keras/src/activations/activations.py`` with
Keras's default arguments, so the reference calculator applies exactly the
function the Keras layer applies.  ``None`` means linear, as in Keras.
"""

import math

import numpy as np


def linear(x):
    return x


def d_linear(x, y):
    return np.ones_like(x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def d_sigmoid(x, y):
    return y * (1.0 - y)                       # σ' = σ(1 − σ), evaluated at σ(x)


def hard_sigmoid(x):
    # Keras 3: x/6 + 0.5 clipped to [0, 1]  (Keras 2 used 0.2x + 0.5).
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def d_hard_sigmoid(x, y):
    # 1/6 strictly inside (-3, 3), 0 on and past the corners (TensorFlow's relu6 rule)
    return np.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0)


def tanh(x):
    return np.tanh(x)


def d_tanh(x, y):
    return 1.0 - y * y                         # tanh' = 1 − tanh², not 1 − tanh


def relu(x):
    return np.maximum(x, 0.0)


def d_relu(x, y):
    return np.where(x > 0, 1.0, 0.0)           # 0 at x = 0, as TensorFlow takes it


def relu6(x):
    return np.clip(x, 0.0, 6.0)


def d_relu6(x, y):
    return np.where((x > 0) & (x < 6.0), 1.0, 0.0)


def leaky_relu(x):
    return np.where(x >= 0, x, 0.2 * x)


def d_leaky_relu(x, y):
    return np.where(x > 0, 1.0, 0.2)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def d_elu(x, y, alpha=1.0):
    return np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def d_selu(x, y):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * d_elu(x, None, alpha)


def celu(x, alpha=1.0):
    return np.maximum(x, 0.0) + np.minimum(0.0, alpha * np.expm1(np.minimum(x, 0.0) / alpha))


def d_celu(x, y, alpha=1.0):
    # max(x, 0) + min(0, α·expm1(min(x, 0)/α)): at x = 0 TensorFlow gives each branch its
    # full slope, so 2
    return np.where(x >= 0, 1.0, 0.0) + np.exp(np.minimum(x, 0.0) / alpha) * (x <= 0)


def softplus(x):
    return np.logaddexp(0.0, x)


def d_softplus(x, y):
    return sigmoid(x)


def softsign(x):
    return x / (np.abs(x) + 1.0)


def d_softsign(x, y):
    return 1.0 / (np.abs(x) + 1.0) ** 2


def silu(x):
    return x * sigmoid(x)


def d_silu(x, y):
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def hard_silu(x):
    return x * hard_sigmoid(x)


def d_hard_silu(x, y):
    return hard_sigmoid(x) + x * d_hard_sigmoid(x, None)


def gelu(x):
    # Keras's default is the exact form, x * Phi(x).
    erf = np.vectorize(math.erf, otypes=[float])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def d_gelu(x, y):
    erf = np.vectorize(math.erf, otypes=[float])
    phi = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0))) + x * phi


def mish(x):
    return x * np.tanh(softplus(x))


def d_mish(x, y):
    t = np.tanh(softplus(x))
    return t + x * (1.0 - t * t) * sigmoid(x)


def squareplus(x, b=4.0):
    return (x + np.sqrt(x * x + b)) / 2.0


def d_squareplus(x, y, b=4.0):
    return (1.0 + x / np.sqrt(x * x + b)) / 2.0


def exponential(x):
    return np.exp(x)


def d_exponential(x, y):
    return y


def hard_tanh(x):
    return np.clip(x, -1.0, 1.0)


def d_hard_tanh(x, y):
    return np.where((x >= -1.0) & (x <= 1.0), 1.0, 0.0)   # TensorFlow keeps the corners


def tanh_shrink(x):
    return x - np.tanh(x)


def d_tanh_shrink(x, y):
    t = np.tanh(x)
    return t * t


def soft_shrink(x, threshold=0.5):
    return np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0.0))


def d_soft_shrink(x, y, threshold=0.5):
    return np.where(np.abs(x) > threshold, 1.0, 0.0)


def hard_shrink(x, threshold=0.5):
    return np.where(np.abs(x) > threshold, x, 0.0)


def d_hard_shrink(x, y, threshold=0.5):
    return np.where(np.abs(x) > threshold, 1.0, 0.0)


def sparse_plus(x):
    return np.where(x <= -1, 0.0, np.where(x < 1, 0.25 * (x + 1) ** 2, x))


def d_sparse_plus(x, y):
    return np.where(x <= -1, 0.0, np.where(x < 1, 0.5 * (x + 1), 1.0))


def sparse_sigmoid(x):
    return np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, 0.5 * (x + 1)))


def d_sparse_sigmoid(x, y):
    return np.where((x > -1) & (x < 1), 0.5, 0.0)


def log_sigmoid(x):
    return -softplus(-x)


def d_log_sigmoid(x, y):
    return sigmoid(-x)


def softmax(x):
    # Over the last axis (the units), as Keras's softmax(axis=-1).
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


# softmax and log_softmax mix the units, so their backward pass is a vector-Jacobian
# product over the last axis rather than an element-wise derivative.
def vjp_softmax(x, y, g):
    return y * (g - np.sum(g * y, axis=-1, keepdims=True))


def vjp_log_softmax(x, y, g):
    return g - np.exp(y) * np.sum(g, axis=-1, keepdims=True)


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


def vjp(name):
    """vjp(x, y, g) -> dL/dx for the activation ``name`` applied to x giving y, with g =
    dL/dy: g times the derivative (written next to each definition above), or for
    softmax and log_softmax the product with their Jacobian."""
    name = display_name(name)
    special = {"softmax": vjp_softmax, "log_softmax": vjp_log_softmax}
    if name in special:
        return special[name]
    derivative = globals()["d_" + ("silu" if name == "swish" else "hard_silu"
                                   if name == "hard_swish" else name)]
    return lambda x, y, g: g * derivative(x, y)


def display_name(name):
    return "linear" if name is None else name
