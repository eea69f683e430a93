"""The backward pass: the numpy BPTT (backward.run) against a central finite difference of
the reference itself, and against TensorFlow's gradient tape through the real Keras layer
(weights, inputs, initial state, and every per-step gate gradient), for every cell."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from lstm_verify import backward, forward, keras_backward
from test_reference_vs_keras import CELL_IDS, CELLS, random_case


def random_upstream(case, trace, seed):
    rng = np.random.default_rng(seed)
    return {"sequence": rng.normal(size=trace.sequence.shape),
            **{s: rng.normal(size=trace.final[s].shape) for s in case.cell.states}}


def loss(case, upstream):
    trace = forward.run(case)
    return float(np.sum(upstream["sequence"] * trace.sequence)
                 + sum(np.sum(upstream[s] * trace.final[s]) for s in case.cell.states))


def gradient_of(grads, name):
    if name in grads.weights:
        return grads.weights[name]
    return grads.inputs if name == "inputs" else grads.initial_state[name[0]]


OPTIONS = [(False, False, False), (True, True, False), (False, True, True), (True, False, True)]
ACTIVATIONS = [("tanh", "sigmoid"), ("softsign", "hard_sigmoid"), ("selu", "sigmoid"),
               ("softmax", "sigmoid")]


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_reference_gradients_match_central_finite_differences(cell, reset_after):
    worst = 0.0
    for n, ((act, rec), (go_backwards, masked, zero_output)) in enumerate(
            itertools.product(ACTIVATIONS, OPTIONS)):
        case = random_case(40 + n, act, rec, go_backwards, masked, zero_output, "float64",
                           cell=cell, reset_after=reset_after)
        upstream = random_upstream(case, forward.run(case), n)
        grads = backward.run(case, upstream=upstream)
        eps = 1e-6
        for name in ("kernel", "recurrent_kernel", "bias", "inputs", "h0", "c0"):
            array = getattr(case, name)
            if array is None:
                continue
            numeric = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                plus, minus = array.copy(), array.copy()
                plus[index] += eps
                minus[index] -= eps
                numeric[index] = (loss(replace(case, **{name: plus}), upstream)
                                  - loss(replace(case, **{name: minus}), upstream)) / (2 * eps)
            error = np.max(np.abs(numeric - gradient_of(grads, name)) / (1 + np.abs(numeric)))
            assert error < 1e-6, (case.name, name, error)
            worst = max(worst, error)
    assert worst > 0      # the check compared real numbers


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reference_gradients_against_tensorflow(cell, reset_after, dtype):
    for n, ((act, rec), (go_backwards, masked, zero_output)) in enumerate(
            zip(ACTIVATIONS, OPTIONS)):
        case = random_case(70 + n, act, rec, go_backwards, masked, zero_output, dtype,
                           cell=cell, reset_after=reset_after)
        trace = forward.run(case)
        upstream = random_upstream(case, trace, n)
        case.backward = {"upstream": upstream}
        ours = backward.run(case, trace, upstream=upstream)
        theirs = keras_backward.run(case, upstream)
        atol, rtol = (1e-9, 1e-9) if dtype == "float64" else (2e-4, 2e-3)
        assert set(theirs.steps) == set(ours.steps)
        for name in ours.steps:
            np.testing.assert_allclose(theirs.steps[name], ours.steps[name], atol=atol,
                                       rtol=rtol, err_msg=f"{name} in {case.name}")
        for name in ("kernel", "recurrent_kernel", "bias"):
            np.testing.assert_allclose(theirs.weights[name], ours.weights[name], atol=atol,
                                       rtol=rtol, err_msg=f"{name} in {case.name}")
        np.testing.assert_allclose(theirs.inputs, ours.inputs, atol=atol, rtol=rtol)
        for s in case.cell.states:
            np.testing.assert_allclose(theirs.initial_state[s], ours.initial_state[s],
                                       atol=atol, rtol=rtol)


def test_squared_error_loss_is_differentiated_by_both():
    case = random_case(5, "tanh", "sigmoid", False, False, False, "float64", cell="gru")
    trace = forward.run(case)
    target = np.random.default_rng(1).normal(size=trace.sequence.shape)
    case.backward = {"loss": {"target": target, "of": "sequence"}}
    upstream = backward.upstream_of(case, trace)
    np.testing.assert_array_equal(upstream["sequence"], trace.sequence - target)
    ours = backward.run(case, trace)
    theirs = keras_backward.run(case, upstream)
    np.testing.assert_allclose(theirs.weights["kernel"], ours.weights["kernel"], atol=1e-9)


def test_lstm_one_step_by_hand():
    # One unit, linear activations, x = 1, h0 = c0 = 0: i = 2, f = 1, c~ = 3, o = 2 and
    # c = i·c~ = 6, h = o·c = 12. With dL/dh = 1: do = c = 6, dc = o = 2, di = dc·c~ = 6,
    # dc~ = dc·i = 4, df = dc·c_prev = 0; linear, so dz = d(gate); dL/dkernel = x·dz.
    case = random_case(1, None, None, False, False, False, "float64")
    case = replace(case, inputs=np.ones((1, 1, 1)), kernel=np.array([[2.0, 1.0, 3.0, 2.0]]),
                   recurrent_kernel=np.zeros((1, 4)), bias=np.zeros(4), h0=np.zeros((1, 1)),
                   c0=np.zeros((1, 1)), mask=None, go_backwards=False)
    case.backward = {"upstream": {"h": np.ones((1, 1))}}
    grads = backward.run(case)
    got = {q: grads.steps[q].item() for q in ("dh", "do", "dc", "di", "df", "dc_tilde",
                                              "dz_i", "dz_f", "dz_c", "dz_o")}
    assert got == {"dh": 1, "do": 6, "dc": 2, "di": 6, "df": 0, "dc_tilde": 4, "dz_i": 6,
                   "dz_f": 0, "dz_c": 4, "dz_o": 6}
    assert grads.weights["kernel"].tolist() == [[6, 0, 4, 6]]
    assert grads.inputs.item() == 6 * 2 + 0 * 1 + 4 * 3 + 6 * 2
