"""Literal numbers, in the style of Keras's own gru_test.py: a layer built with constant
weights (kernel 0.01, recurrent kernel 0.02, bias 0.03) on np.arange inputs, and the
numbers Keras's tests assert for it.  Here the reference calculator alone (no Keras)
must give them, so a wrong GRU equation fails with a number, not with a disagreement
between two of our own computations."""

import numpy as np
import pytest

from lstm_verify import forward
from lstm_verify.case import parse_case


def constant_case(cell, units, inputs, reset_after=True, use_bias=True, **options):
    n = {"gru": 3, "simple_rnn": 1, "lstm": 4}[cell]
    features = inputs.shape[-1]
    data = {"cell": cell, "use_bias": use_bias, "inputs": inputs.tolist(),
            "weights": {"kernel": np.full((features, n * units), 0.01).tolist(),
                        "recurrent_kernel": np.full((units, n * units), 0.02).tolist()},
            **options}
    if cell == "gru":
        data["reset_after"] = reset_after
    if use_bias:
        shape = (2, 3 * units) if cell == "gru" and reset_after else (n * units,)
        data["weights"]["bias"] = np.full(shape, 0.03).tolist()
    return parse_case(data, f"constant-{cell}.yaml")


SEQUENCE = np.arange(72).reshape((3, 6, 4)).astype("float32")


@pytest.mark.parametrize("options, expected", [
    ({}, [0.5217289, 0.6371659, 0.39384964]),
    ({"go_backwards": True}, [0.24406259, 0.611516, 0.3928808]),
    ({"reset_after": False}, [0.51447755, 0.6426879, 0.40208298]),
    ({"use_bias": False}, [0.49988455, 0.64701194, 0.4103359]),
])
def test_gru_constant_weights(options, expected):
    trace = forward.run(constant_case("gru", 3, SEQUENCE, **options))
    np.testing.assert_allclose(trace.final_h, np.repeat(np.array(expected)[:, None], 3, 1),
                               atol=1e-5, rtol=1e-5)


def test_gru_initial_state():
    sequence = np.arange(24).reshape((2, 4, 3)).astype("float32")
    h0 = np.arange(4).reshape((2, 2)).astype("float32").tolist()
    ahead = forward.run(constant_case("gru", 2, sequence, initial_state={"h": h0}))
    backward = forward.run(constant_case("gru", 2, sequence, initial_state={"h": h0},
                                         go_backwards=True))
    np.testing.assert_allclose(ahead.final_h, [[0.23774096, 0.33508456],
                                                 [0.83659905, 1.0227708]], atol=1e-5)
    np.testing.assert_allclose(backward.final_h, [[0.13486053, 0.23261218],
                                                  [0.78257304, 0.9691353]], atol=1e-5)


@pytest.mark.parametrize("zero_output", [False, True])
def test_gru_masking(zero_output):
    sequence = np.arange(24).reshape((2, 4, 3)).astype("float32")
    mask = [[True, True, False, True], [True, False, False, True]]
    trace = forward.run(constant_case("gru", 2, sequence, mask=mask,
                                        zero_output_for_mask=zero_output))
    masked = 0.0 if zero_output else None
    first = [0.03606692, 0.09497581, masked if zero_output else 0.09497581, 0.19393763]
    second = [0.16051409, masked if zero_output else 0.16051409,
              masked if zero_output else 0.16051409, 0.30818558]
    np.testing.assert_allclose(trace.sequence[0, :, 0], first, atol=1e-5)
    np.testing.assert_allclose(trace.sequence[1, :, 0], second, atol=1e-5)
    np.testing.assert_allclose(trace.final_h[:, 0], [0.19393763, 0.30818558], atol=1e-5)


def test_simple_rnn_by_hand():
    # h1 = tanh(0.01·(0 + 1) + 0 + 0.03) = tanh(0.04); h2 = tanh(0.01·(2 + 3) + 0.02·2·h1
    # + 0.03): two units, input [[0, 1], [2, 3]], everything written out.
    trace = forward.run(constant_case("simple_rnn", 2, np.array([[[0, 1], [2, 3]]])))
    h1 = np.tanh(0.04)
    h2 = np.tanh(0.05 + 0.02 * 2 * h1 + 0.03)
    np.testing.assert_allclose(trace.h[:, 0, 0], [h1, h2], rtol=1e-12)
    np.testing.assert_allclose(trace.final_h, [[h2, h2]], rtol=1e-12)


def test_gru_one_step_by_hand_both_reset_placements():
    # units 1, input 1: z = σ(x·0.01 + 0.03 + h·0.02 + 0.03); the candidate differs only
    # in where r meets h·U_h and its bias.
    x, h0 = 2.0, 0.5
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    z = sig(x * 0.01 + 0.03 + h0 * 0.02 + 0.03)
    r = z                                     # constant weights: r's pre-activation is z's
    after = np.tanh(x * 0.01 + 0.03 + r * (h0 * 0.02 + 0.03))
    before_z = sig(x * 0.01 + 0.03 + h0 * 0.02)
    before = np.tanh(x * 0.01 + (before_z * h0) * 0.02 + 0.03)
    for reset_after, z_, h_tilde in ((True, z, after), (False, before_z, before)):
        case = constant_case("gru", 1, np.array([[[x]]]), reset_after=reset_after,
                             initial_state={"h": [[h0]]})
        trace = forward.run(case)
        np.testing.assert_allclose(trace.z[0, 0, 0], z_, rtol=1e-12)
        np.testing.assert_allclose(trace.h_tilde[0, 0, 0], h_tilde, rtol=1e-12)
        np.testing.assert_allclose(trace.final_h[0, 0], z_ * h0 + (1 - z_) * h_tilde,
                                   rtol=1e-12)
