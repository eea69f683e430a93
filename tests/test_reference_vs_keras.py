"""The reference calculator against a real keras.layers.LSTM on randomized cases.

Covers shapes, activations, go_backwards, masks (both output conventions), initial
states, use_bias and both dtypes; every per-step gate is compared with the gates
captured from Keras's own cell, and the outputs with the real layer's.
"""

import itertools
import zlib

import numpy as np
import pytest

from lstm_verify import keras_run, reference
from lstm_verify.case import parse_case

ACTIVATION_PAIRS = [("tanh", "sigmoid"), (None, None), ("relu", "hard_sigmoid"),
                    ("softsign", "sigmoid"), ("elu", "hard_sigmoid"), ("selu", "sigmoid"),
                    ("gelu", "sigmoid"), ("swish", "hard_sigmoid"), ("softmax", "sigmoid"),
                    ("hard_tanh", "sparse_sigmoid"), ("mish", "log_sigmoid")]
QUANTITIES = ("z_i", "z_f", "z_c", "z_o", "i", "f", "c_tilde", "o", "c", "h",
              "sequence", "final_h", "final_c")


def random_case(seed, activation, recurrent_activation, go_backwards, masked,
                zero_output, dtype, use_bias=True, initial_state=True):
    rng = np.random.default_rng(seed)
    # Small weights: with linear activations h grows like the square of the last step's h,
    # and normal(0, 1) weights overflow float32 within five steps.
    scale = 0.25 if activation is None else 0.5
    batch, steps, features, units = (int(rng.integers(1, 4)), int(rng.integers(1, 6)),
                                     int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    data = {
        "activation": activation, "recurrent_activation": recurrent_activation,
        "go_backwards": go_backwards, "zero_output_for_mask": zero_output, "dtype": dtype,
        "use_bias": use_bias,
        "inputs": rng.normal(size=(batch, steps, features)).tolist(),
        "weights": {"kernel": rng.normal(0, scale, size=(features, 4 * units)).tolist(),
                    "recurrent_kernel": rng.normal(0, scale, size=(units, 4 * units)).tolist()},
    }
    if use_bias:
        data["weights"]["bias"] = rng.normal(size=4 * units).tolist()
    if initial_state:
        data["initial_state"] = {"h": rng.normal(size=(batch, units)).tolist(),
                                 "c": rng.normal(size=(batch, units)).tolist()}
    if masked:
        mask = rng.random((batch, steps)) > 0.4
        mask[0, 0] = False  # a masked first step: the "previous output" is zeros, not h0
        data["mask"] = mask.tolist()
    return parse_case(data, f"random-{seed}.yaml")


def assert_traces_agree(case, ref, ker, atol, rtol=None):
    rtol = atol if rtol is None else rtol
    for q in QUANTITIES:
        np.testing.assert_allclose(getattr(ker, q), getattr(ref, q), rtol=rtol, atol=atol,
                                   err_msg=f"{q} differs in {case.name}")


OPTIONS = list(itertools.product([False, True], [False, True], [False, True]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("go_backwards,masked,zero_output", OPTIONS)
def test_options_against_keras(dtype, go_backwards, masked, zero_output):
    for n, (act, rec) in enumerate(ACTIVATION_PAIRS[:4]):
        case = random_case(100 * n + 7 * go_backwards + 3 * masked + zero_output, act, rec,
                           go_backwards, masked, zero_output, dtype)
        ref, ker = reference.run(case), keras_run.run(case)
        if dtype == "float32":  # float32 rounding grows with |value| over the steps
            assert_traces_agree(case, ref, ker, atol=2e-5, rtol=2e-4)
        else:
            assert_traces_agree(case, ref, ker, atol=1e-9)


@pytest.mark.parametrize("activation,recurrent_activation", ACTIVATION_PAIRS)
def test_activations_against_keras(activation, recurrent_activation):
    # crc32, not hash(): str hashes change with every process (PYTHONHASHSEED), and a
    # failure must be reproducible.
    seed = zlib.crc32(f"{activation}/{recurrent_activation}".encode()) % 1000
    case = random_case(seed, activation, recurrent_activation, False, False, False, "float64")
    # TensorFlow's exact gelu in float64 is off by up to 5e-9 (its erf is not), and the
    # error grows through the steps.
    atol = 1e-7 if activation == "gelu" else 1e-9
    assert_traces_agree(case, reference.run(case), keras_run.run(case), atol)


def test_no_bias_and_default_initial_state():
    case = random_case(5, "tanh", "sigmoid", False, False, False, "float64", use_bias=False,
                       initial_state=False)
    assert case.bias is None
    assert_traces_agree(case, reference.run(case), keras_run.run(case), 1e-9)


def test_float64_gate_capture_runs_in_float64():
    # Regression: the instrumented RNN once ran in float32 while the real layer ran in
    # float64, so captured gates differed from the reference by ~1e-7.
    case = random_case(11, "tanh", "sigmoid", True, True, False, "float64")
    ref, ker = reference.run(case), keras_run.run(case)
    for q in ("z_i", "i", "f", "c_tilde", "o"):
        np.testing.assert_allclose(getattr(ker, q), getattr(ref, q), rtol=0, atol=1e-12)


def test_all_steps_masked_keeps_initial_state_and_outputs_zero():
    case = random_case(3, "tanh", "sigmoid", False, False, False, "float32")
    case.mask = np.zeros((case.batch, case.steps), bool)
    ref, ker = reference.run(case), keras_run.run(case)
    np.testing.assert_allclose(ref.final_h, case.h0)
    np.testing.assert_array_equal(ref.sequence, 0.0)
    assert_traces_agree(case, ref, ker, 2e-5)


def test_cases_of_one_shape_reuse_the_built_layers_with_their_own_weights():
    # Layers are built once per (options, input_dim) and reused: each run must still use
    # its own weights, batch, length, mask and initial state, never the previous case's.
    keras = keras_run._import_keras()
    cases = []
    for seed, (batch, steps) in enumerate([(1, 2), (3, 5), (2, 1)]):
        rng = np.random.default_rng(seed)
        data = {"dtype": "float64", "inputs": rng.normal(size=(batch, steps, 3)).tolist(),
                "mask": (rng.random((batch, steps)) > 0.3).tolist(),
                "initial_state": {"h": rng.normal(size=(batch, 2)).tolist(),
                                  "c": rng.normal(size=(batch, 2)).tolist()},
                "weights": {"kernel": rng.normal(size=(3, 8)).tolist(),
                            "recurrent_kernel": rng.normal(size=(2, 8)).tolist(),
                            "bias": rng.normal(size=8).tolist()}}
        cases.append(parse_case(data, f"same-shape-{seed}.yaml"))
    assert keras_run._layers(keras, cases[0]) is keras_run._layers(keras, cases[2])
    for case in cases + cases[:1]:
        assert_traces_agree(case, reference.run(case), keras_run.run(case), 1e-9)
