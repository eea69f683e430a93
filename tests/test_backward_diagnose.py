"""Diagnosis of hand-derived gradients: each backward-pass mistake on a case built to show
it. The wrong gradients come from the plain BPTT loop (backward.run) with a step wrapped
here, in the test, or from explicit numpy — never from backward/diagnose.py."""

from dataclasses import replace

import numpy as np
import pytest

from lstm_verify import backward, forward
from lstm_verify.backward.compare import compare
from lstm_verify.backward.diagnose import explain
from lstm_verify.case import parse_case


def lstm_data(seed=3, steps=3, batch=1, **options):
    rng = np.random.default_rng(seed)
    def tenths(*shape):
        return (rng.integers(-9, 10, size=shape) / 10).tolist()
    units, features = 2, 2
    return {"inputs": tenths(batch, steps, features),
            "initial_state": {"h": tenths(batch, units), "c": tenths(batch, units)},
            "weights": {"kernel": tenths(features, 4 * units),
                        "recurrent_kernel": tenths(units, 4 * units),
                        "bias": tenths(4 * units)},
            "backward": {"upstream": {"sequence": tenths(batch, steps, units)}}, **options}


def with_gradients(data, grads, trace):
    """The case with ``grads`` as the author's gradients: every step, weights, inputs."""
    case = parse_case(data, "x.yaml")
    steps = [{"t": t + 1, **{q: v[t].tolist() for q, v in grads.steps.items()}}
             for t in range(case.steps)]
    gradients = {"steps": steps, "kernel": grads.weights["kernel"].tolist(),
                 "recurrent_kernel": grads.weights["recurrent_kernel"].tolist(),
                 "bias": grads.weights["bias"].tolist(), "inputs": grads.inputs.tolist()}
    expected = {"sequence": trace.sequence.tolist(), "gradients": gradients}
    return parse_case({**data, "expected": expected}, "constructed.yaml")


def found(case):
    mismatches, _, _ = compare(case, backward.run(case))
    author = [m for m in mismatches if m.between == "expected-reference"]
    assert author, "the constructed gradients should differ from the right ones"
    return [(d.id, d.detail) for d in explain(case, author).diagnoses]


def assert_only(case, hypothesis_id, detail_start=""):
    result = found(case)
    assert [i for i, _ in result] == [hypothesis_id], result
    assert result[0][1].startswith(detail_start), result


def wrong_gradients(data, wrap=None, arithmetic=None):
    case = parse_case(data, "x")
    trace = forward.run(case)
    a = forward.arithmetic_of(case) if arithmetic is None else arithmetic(
        forward.arithmetic_of(case))
    step = case.cell.backward if wrap is None else wrap(case.cell.backward)
    return backward.run(case, trace, backward_step=step, arithmetic=a), trace


def test_right_gradients_have_no_diagnosis():
    data = lstm_data()
    case = parse_case(data, "x")
    trace = forward.run(case)
    case = with_gradients(data, backward.run(case, trace), trace)
    mismatches, _, _ = compare(case, backward.run(case))
    assert [m for m in mismatches if m.between == "expected-reference"] == []


def test_carry_path_left_out():
    def no_carry(step):
        def wrapped(s, d, a):
            g = step(s, d, a)
            g["prev"]["c"] = 0 * g["prev"]["c"]      # no f·dc sent to the step before
            return g
        return wrapped
    data = lstm_data()
    grads, trace = wrong_gradients(data, wrap=no_carry)
    assert_only(with_gradients(data, grads, trace), "carry-path-dropped")


def test_recurrent_path_left_out():
    def no_recurrent(step):
        def wrapped(s, d, a):
            g = step(s, d, a)
            g["prev"]["h"] = 0 * g["prev"]["h"]
            return g
        return wrapped
    data = lstm_data()
    grads, trace = wrong_gradients(data, wrap=no_recurrent)
    assert_only(with_gradients(data, grads, trace), "recurrent-path-dropped")


@pytest.mark.parametrize("derivative, detail", [
    (lambda x, y, g: g * (1 - y), "1 − tanh"),
    (lambda x, y, g: g * (1 - x * x), "1 − x²"),
])
def test_tanh_derivative(derivative, detail):
    data = lstm_data()
    grads, trace = wrong_gradients(data, arithmetic=lambda a: replace(
        a, activation_vjp=derivative, cell_activation_vjp=derivative))
    assert_only(with_gradients(data, grads, trace), "tanh-derivative", detail)


@pytest.mark.parametrize("derivative, detail", [
    (lambda x, y, g: g * y, "σ"),
    (lambda x, y, g: g * x * (1 - x), "z·(1 − z)"),
])
def test_sigmoid_derivative(derivative, detail):
    data = lstm_data()
    grads, trace = wrong_gradients(data, arithmetic=lambda a: replace(
        a, recurrent_activation_vjp=derivative))
    assert_only(with_gradients(data, grads, trace), "sigmoid-derivative", detail)


def test_output_gate_path_into_dc_left_out():
    data = lstm_data()
    grads, trace = wrong_gradients(data, arithmetic=lambda a: replace(
        a, cell_activation_vjp=lambda x, y, g: np.zeros_like(g)))
    assert_only(with_gradients(data, grads, trace), "output-path-dropped")


def test_recurrent_weight_gradient_transposed():
    data = lstm_data()
    case = parse_case(data, "x")
    trace = forward.run(case)
    grads = backward.run(case, trace)
    blocks = np.split(grads.weights["recurrent_kernel"], 4, axis=1)
    flipped = np.concatenate([b.T for b in blocks], axis=1)
    grads = grads.replace(weights=dict(grads.weights, recurrent_kernel=flipped))
    assert_only(with_gradients(data, grads, trace), "weight-gradient-transposed")


def test_mean_over_the_batch():
    data = lstm_data(batch=2)
    case = parse_case(data, "x")
    trace = forward.run(case)
    grads = backward.run(case, trace)
    halved = grads.replace(steps={k: v / 2 for k, v in grads.steps.items()},
                           weights={k: v / 2 for k, v in grads.weights.items()},
                           inputs=grads.inputs / 2)
    assert_only(with_gradients(data, halved, trace), "batch-mean", "divided by 2")


def test_squared_error_sign_flipped():
    data = lstm_data()
    case = parse_case(data, "x")
    trace = forward.run(case)
    target = np.round(trace.sequence + 0.5, 1)
    data = {**data, "backward": {"loss": {"squared_error": {"target": target.tolist()}}}}
    case = parse_case(data, "x")
    # target − output instead of output − target
    upstream = {"sequence": target - trace.sequence, "h": 0 * trace.final_h,
                "c": 0 * trace.final_c}
    grads = backward.run(case, trace, upstream=upstream)
    assert_only(with_gradients(data, grads, trace), "upstream-sign-flipped")


def test_gradients_from_a_forward_slip_are_traced_to_it():
    # the author used Keras 2's hard_sigmoid in the forward pass and differentiated that
    data = lstm_data(recurrent_activation="hard_sigmoid", activation=None)
    def scaled(matrix):
        i, f, c, o = np.split(np.asarray(matrix, float), 4, axis=-1)
        return np.concatenate([1.2 * i, 1.2 * f, c, 1.2 * o], axis=-1).tolist()
    author = {**data, "weights": {k: scaled(v) for k, v in data["weights"].items()}}
    author_case = parse_case(author, "x")
    trace = forward.run(author_case)
    grads = backward.run(author_case, trace)
    # the author's gradients are with respect to the weights they were given: the scaled
    # blocks' gradients carry the 1.2 (chain rule) as their own derivative would
    case = with_gradients(data, grads, trace)
    # the pre-activations' gradients are with respect to the scaled z here: keep the rest
    case.expected["gradients"] = {"steps": {t: {q: v for q, v in step.items()
                                                if not q.startswith("dz_")}
                                            for t, step in case.expected["gradients"]
                                            ["steps"].items()}}
    result = found(case)
    assert ("keras2-hard-sigmoid" in [i for i, _ in result]), result
