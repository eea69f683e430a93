"""The reference calculator against the real Keras layer on randomized cases, for every
cell (keras.layers.LSTM, GRU with both reset_after settings, SimpleRNN).

Covers shapes, activations, go_backwards, masks (both output conventions), initial
states, use_bias and both dtypes; every per-step quantity is compared with the one
captured from Keras's own cell, and the outputs with the real layer's.
"""

import itertools
import zlib

import numpy as np
import pytest

from lstm_verify import cells, forward, keras_run
from lstm_verify.case import parse_case

ACTIVATION_PAIRS = [("tanh", "sigmoid"), (None, None), ("relu", "hard_sigmoid"),
                    ("softsign", "sigmoid"), ("elu", "hard_sigmoid"), ("selu", "sigmoid"),
                    ("gelu", "sigmoid"), ("swish", "hard_sigmoid"), ("softmax", "sigmoid"),
                    ("hard_tanh", "sparse_sigmoid"), ("mish", "log_sigmoid")]
# (cell, reset_after): every cell, and the GRU both ways
CELLS = [("lstm", True), ("gru", True), ("gru", False), ("simple_rnn", True)]
CELL_IDS = ["lstm", "gru", "gru-reset-before", "simple_rnn"]


def random_case(seed, activation, recurrent_activation, go_backwards, masked,
                zero_output, dtype, use_bias=True, initial_state=True, cell="lstm",
                reset_after=True):
    rng = np.random.default_rng(seed)
    description = cells.get(cell)
    n = len(description.blocks)
    # Small weights: with linear activations h grows like the square of the last step's h,
    # and normal(0, 1) weights overflow float32 within five steps.
    scale = 0.25 if activation is None else 0.5
    batch, steps, features, units = (int(rng.integers(1, 4)), int(rng.integers(1, 6)),
                                     int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    data = {
        "cell": cell, "activation": activation,
        "go_backwards": go_backwards, "zero_output_for_mask": zero_output, "dtype": dtype,
        "use_bias": use_bias,
        "inputs": rng.normal(size=(batch, steps, features)).tolist(),
        "weights": {"kernel": rng.normal(0, scale, size=(features, n * units)).tolist(),
                    "recurrent_kernel": rng.normal(0, scale, size=(units, n * units)).tolist()},
    }
    if description.has_recurrent_activation:
        data["recurrent_activation"] = recurrent_activation
    if "reset_after" in description.options:
        data["reset_after"] = reset_after
    if use_bias:
        shape, _ = description.bias_shape(units, reset_after)
        data["weights"]["bias"] = rng.normal(size=shape).tolist()
    if initial_state:
        data["initial_state"] = {s: rng.normal(size=(batch, units)).tolist()
                                 for s in description.states}
    if masked:
        mask = rng.random((batch, steps)) > 0.4
        mask[0, 0] = False  # a masked first step: the "previous output" is zeros, not h0
        data["mask"] = mask.tolist()
    return parse_case(data, f"random-{seed}.yaml")


def assert_traces_agree(case, ref, ker, atol, rtol=None):
    rtol = atol if rtol is None else rtol
    assert set(ker.steps) >= set(case.cell.quantities)
    pairs = [(q, ker.steps[q], ref.steps[q]) for q in case.cell.quantities]
    pairs += [("sequence", ker.sequence, ref.sequence)]
    pairs += [(f"final {s}", ker.final[s], ref.final[s]) for s in case.cell.states]
    for q, got, want in pairs:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                   err_msg=f"{q} differs in {case.name}")


OPTIONS = list(itertools.product([False, True], [False, True], [False, True]))


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("go_backwards,masked,zero_output", OPTIONS)
def test_options_against_keras(cell, reset_after, dtype, go_backwards, masked, zero_output):
    for n, (act, rec) in enumerate(ACTIVATION_PAIRS[:4]):
        case = random_case(100 * n + 7 * go_backwards + 3 * masked + zero_output, act, rec,
                           go_backwards, masked, zero_output, dtype, cell=cell,
                           reset_after=reset_after)
        ref, ker = forward.run(case), keras_run.run(case)
        if dtype == "float32":  # float32 rounding grows with |value| over the steps
            assert_traces_agree(case, ref, ker, atol=2e-5, rtol=2e-4)
        else:
            assert_traces_agree(case, ref, ker, atol=1e-9)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("activation,recurrent_activation", ACTIVATION_PAIRS)
def test_activations_against_keras(cell, reset_after, activation, recurrent_activation):
    # crc32, not hash(): str hashes change with every process (PYTHONHASHSEED), and a
    # failure must be reproducible.
    seed = zlib.crc32(f"{activation}/{recurrent_activation}".encode()) % 1000
    case = random_case(seed, activation, recurrent_activation, False, False, False, "float64",
                       cell=cell, reset_after=reset_after)
    # TensorFlow's exact gelu in float64 is off by up to 5e-9 (its erf is not), and the
    # error grows through the steps.
    atol = 1e-7 if activation == "gelu" else 1e-9
    assert_traces_agree(case, forward.run(case), keras_run.run(case), atol)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_no_bias_and_default_initial_state(cell, reset_after):
    case = random_case(5, "tanh", "sigmoid", False, False, False, "float64", use_bias=False,
                       initial_state=False, cell=cell, reset_after=reset_after)
    assert case.bias is None
    assert_traces_agree(case, forward.run(case), keras_run.run(case), 1e-9)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_float64_gate_capture_runs_in_float64(cell, reset_after):
    # Regression: the instrumented RNN once ran in float32 while the real layer ran in
    # float64, so captured gates differed from the reference by ~1e-7.
    case = random_case(11, "tanh", "sigmoid", True, True, False, "float64", cell=cell,
                       reset_after=reset_after)
    ref, ker = forward.run(case), keras_run.run(case)
    for q in case.cell.pre_activations + tuple(g.name for g in case.cell.gates):
        np.testing.assert_allclose(ker.steps[q], ref.steps[q], rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_all_steps_masked_keeps_initial_state_and_outputs_zero(cell, reset_after):
    case = random_case(3, "tanh", "sigmoid", False, False, False, "float32", cell=cell,
                       reset_after=reset_after)
    case.mask = np.zeros((case.batch, case.steps), bool)
    ref, ker = forward.run(case), keras_run.run(case)
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
        assert_traces_agree(case, forward.run(case), keras_run.run(case), 1e-9)
