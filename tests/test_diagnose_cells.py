"""Diagnosis of GRU and SimpleRNN hand mistakes, each on a case built to exhibit it.

As in test_diagnose.py, the wrong numbers come from the plain reference on different
weights or options, or from a few explicit lines of numpy, never from diagnose.py or
the cells' own mistake code, so a wrong hypothesis cannot make its own test pass."""

from itertools import permutations

import numpy as np
import pytest

from lstm_verify import diagnose, forward
from lstm_verify.diagnose import symmetry
from lstm_verify.case import parse_case
from lstm_verify.compare import compare


def gru_data(seed=1, units=2, features=2, steps=3, reset_after=True, **options):
    """A small asymmetric GRU: one-decimal weights, a nonzero h0."""
    rng = np.random.default_rng(seed)
    def tenths(*shape):
        return (rng.integers(-9, 10, size=shape) / 10).tolist()
    return {"cell": "gru", "reset_after": reset_after, "inputs": tenths(1, steps, features),
            "initial_state": {"h": tenths(1, units)},
            "weights": {"kernel": tenths(features, 3 * units),
                        "recurrent_kernel": tenths(units, 3 * units),
                        "bias": tenths(2, 3 * units) if reset_after else tenths(3 * units)},
            **options}


def simple_data(seed=2, units=2, features=2, steps=3, **options):
    rng = np.random.default_rng(seed)
    def tenths(*shape):
        return (rng.integers(-9, 10, size=shape) / 10).tolist()
    return {"cell": "simple_rnn", "inputs": tenths(1, steps, features),
            "initial_state": {"h": tenths(1, units)},
            "weights": {"kernel": tenths(features, units),
                        "recurrent_kernel": tenths(units, units), "bias": tenths(units)},
            **options}


def with_numbers(data, trace):
    """The case with the trace's numbers as the author's: every step's rows, the sequence
    and the final h."""
    case = parse_case(data, "x.yaml")
    steps = [{"t": t + 1, **{q: trace.steps[q][t].tolist() for q in case.cell.rows}}
             for t in range(case.steps)]
    expected = {"steps": steps, "h": trace.final["h"].tolist(),
                "sequence": trace.sequence.tolist()}
    return parse_case({**data, "expected": expected}, "constructed.yaml")


def found(case):
    mismatches, _, _ = compare(case, forward.run(case))
    author = [m for m in mismatches if m.between == "expected-reference"]
    return [(d.id, d.detail) for d in diagnose.explain_mismatches(case, author).diagnoses]


def assert_only(case, hypothesis_id, detail_start=""):
    result = found(case)
    assert [i for i, _ in result] == [hypothesis_id], result
    assert result[0][1].startswith(detail_start), result


def test_right_gru_and_simple_rnn_numbers_have_no_diagnosis():
    for data in (gru_data(), gru_data(reset_after=False), simple_data()):
        case = with_numbers(data, forward.run(parse_case(data, "x")))
        assert found(case) == []


def gru_by_hand(case, flipped=False, bias_after=False):
    """The GRU's steps written out in numpy as an author computes them: the update rule
    the other way round (``flipped``), or every bias added after the activation
    (``bias_after``; with reset_after both rows), the rest as Keras does."""
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    W = np.split(case.kernel, 3, axis=1)
    U = np.split(case.recurrent_kernel, 3, axis=1)
    reset_after = case.reset_after
    b_in, b_rec = (case.bias[0], case.bias[1]) if reset_after else (case.bias, 0 * case.bias)
    bi, br = np.split(b_in, 3), np.split(b_rec, 3)
    if bias_after:   # each gate g = act(x·W + h·U) + b_in + b_rec
        after = [bi[k] + br[k] for k in range(3)]
        bi = br = [0 * b for b in bi]
    h, rows = case.h0, []
    for x in case.inputs[0][:, None, :]:
        z = sig(x @ W[0] + bi[0] + h @ U[0] + br[0])
        r = sig(x @ W[1] + bi[1] + h @ U[1] + br[1])
        if bias_after:
            z, r = z + after[0], r + after[1]
        if reset_after:
            h_tilde = np.tanh(x @ W[2] + bi[2] + r * (h @ U[2] + br[2]))
        else:
            h_tilde = np.tanh(x @ W[2] + (r * h) @ U[2] + bi[2])
        if bias_after:
            h_tilde = h_tilde + after[2]
        h = (1 - z) * h + z * h_tilde if flipped else z * h + (1 - z) * h_tilde
        rows.append({"z": z, "r": r, "h_tilde": h_tilde, "h": h})
    steps = {q: np.stack([row[q] for row in rows]) for q in ("z", "r", "h_tilde", "h")}
    return forward.run(case).replace(**steps, sequence=np.swapaxes(steps["h"], 0, 1),
                                     final={"h": h})


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_update_rule_flipped(reset_after):
    data = gru_data(reset_after=reset_after)
    # the author's convention, written out: h = (1 - z)·h_prev + z·h~, carried forward
    wrong = gru_by_hand(parse_case(data, "x"), flipped=True)
    assert_only(with_numbers(data, wrong), "gru-update-flipped", "h = (1 − z)·h_prev + z·h̃")


def simple_rnn_bias_after(case):
    """A SimpleRNN's steps in numpy with the bias added after tanh: h = tanh(x·W + h·U) + b."""
    h, hs = case.h0, []
    for x in case.inputs[0][:, None, :]:
        h = np.tanh(x @ case.kernel + h @ case.recurrent_kernel) + case.bias
        hs.append(h)
    return forward.run(case).replace(h=np.stack(hs), sequence=np.swapaxes(np.stack(hs), 0, 1),
                                     final={"h": h})


@pytest.mark.parametrize("data", [gru_data(), gru_data(reset_after=False), simple_data()],
                         ids=["gru-reset-after", "gru-reset-before", "simple_rnn"])
def test_bias_after_activation_for_every_cell(data):
    case = parse_case(data, "x")
    wrong = (gru_by_hand(case, bias_after=True) if case.cell.name == "gru"
             else simple_rnn_bias_after(case))
    assert_only(with_numbers(data, wrong), "bias-after-activation",
                "g = act(x·W + h·U) + " + ("b_in + b_rec" if case.cell.name == "gru"
                                           and case.reset_after else "b"))
    # the right numbers are not what that mistake gives
    from lstm_verify.diagnose.mistakes import hypotheses
    right = with_numbers(data, forward.run(case))
    mistake = next(m for m in hypotheses(right) if m.id == "bias-after-activation")
    assert not diagnose.reconciles(right, diagnose.recompute(right, mistake))
    if case.cell.name == "gru" and case.reset_after:
        assert "both bias rows (input and recurrent) added after the activation" in mistake.text


def test_gru_reset_applied_before_when_the_case_says_after():
    data = gru_data(reset_after=True)
    bias = np.asarray(data["weights"]["bias"])
    # reset before the matmul, both bias rows added outside the reset
    author = {**data, "reset_after": False,
              "weights": {**data["weights"], "bias": (bias[0] + bias[1]).tolist()}}
    wrong = forward.run(parse_case(author, "x"))
    assert_only(with_numbers(data, wrong), "gru-reset-after-flipped", "reset before")


def test_gru_reset_applied_after_when_the_case_says_before():
    data = gru_data(reset_after=False)
    bias = np.asarray(data["weights"]["bias"])
    author = {**data, "reset_after": True,
              "weights": {**data["weights"], "bias": [bias.tolist(), [0.0] * bias.size]}}
    wrong = forward.run(parse_case(author, "x"))
    assert_only(with_numbers(data, wrong), "gru-reset-after-flipped", "reset after")


def test_gru_recurrent_bias_row_dropped():
    data = gru_data(reset_after=True)
    bias = np.asarray(data["weights"]["bias"])
    author = {**data, "weights": {**data["weights"], "bias": [bias[0].tolist(),
                                                              [0.0] * bias.shape[1]]}}
    wrong = forward.run(parse_case(author, "x"))
    assert_only(with_numbers(data, wrong), "gru-recurrent-bias-dropped", "bias[1]")


ORDERS = [o for o in permutations("zrh") if o != ("z", "r", "h")]


@pytest.mark.parametrize("order", ORDERS, ids=["".join(o) for o in ORDERS])
def test_gru_gate_order(order):
    data = gru_data(reset_after=True)
    def read_as(matrix):
        # the author takes stored block k as gate order[k]: gate g reads block order.index(g)
        stored = np.split(np.asarray(matrix, float), 3, axis=-1)
        return np.concatenate([stored[order.index(g)] for g in "zrh"], axis=-1).tolist()
    author = {**data, "weights": {k: read_as(v) for k, v in data["weights"].items()}}
    wrong = forward.run(parse_case(author, "x"))
    assert_only(with_numbers(data, wrong), "gate-order", ", ".join(order))


def test_gru_keras2_hard_sigmoid():
    # 0.2v + 0.5 = (1.2v)/6 + 0.5: Keras 2's gates are Keras 3's with the z and r blocks
    # (kernel, recurrent kernel, both bias rows) scaled by 1.2; the candidate is linear.
    data = gru_data(recurrent_activation="hard_sigmoid", activation=None)
    def scaled(matrix):
        z, r, h = np.split(np.asarray(matrix, float), 3, axis=-1)
        return np.concatenate([1.2 * z, 1.2 * r, h], axis=-1).tolist()
    author = {**data, "weights": {k: scaled(v) for k, v in data["weights"].items()}}
    wrong = forward.run(parse_case(author, "x"))
    assert_only(with_numbers(data, wrong), "keras2-hard-sigmoid", "Keras 2's hard_sigmoid")


@pytest.mark.parametrize("data", [gru_data(), simple_data()], ids=["gru", "simple_rnn"])
def test_bias_dropped(data):
    wrong = forward.run(parse_case({**data, "use_bias": False,
                                      "weights": {k: v for k, v in data["weights"].items()
                                                  if k != "bias"}}, "x"))
    assert_only(with_numbers(data, wrong), "bias-dropped")


def test_simple_rnn_recurrent_kernel_transposed():
    data = simple_data()
    transposed = np.asarray(data["weights"]["recurrent_kernel"]).T.tolist()
    wrong = forward.run(parse_case({**data, "weights": {**data["weights"],
                                                          "recurrent_kernel": transposed}},
                                     "x"))
    assert_only(with_numbers(data, wrong), "kernel-transposed", "recurrent_kernel")


def test_simple_rnn_linear_in_place_of_tanh():
    data = simple_data()
    wrong = forward.run(parse_case({**data, "activation": None}, "x"))
    assert_only(with_numbers(data, wrong), "linear-activation", "linear in place of tanh on h")


def test_gru_first_divergence_follows_the_cells_rows():
    data = gru_data()
    case = with_numbers(data, forward.run(parse_case(data, "x")))
    case.expected["steps"][2]["h_tilde"] = case.expected["steps"][2]["h_tilde"] + 1.0
    case.expected["steps"][2]["r"] = case.expected["steps"][2]["r"] + 1.0
    case.expected["h"] = case.expected["h"] + 1.0
    mismatches, _, _ = compare(case, forward.run(case))
    author = [m for m in mismatches if m.between == "expected-reference"]
    first = diagnose.explain_mismatches(case, author).first
    assert (first.quantity, first.t) == ("r", 2)


def test_gru_with_equal_blocks_is_blind_to_every_order_and_the_simple_rnn_to_none():
    data = gru_data()
    data["weights"] = {"kernel": [[0.1] * 6, [0.2] * 6], "recurrent_kernel": [[0.3] * 6] * 2,
                       "bias": [[0.1] * 6, [0.0] * 6]}
    case = parse_case(data, "constant.yaml")
    assert symmetry.blind_orders(case) == ORDERS
    assert "blind to 5 of the 5 other gate orders" in symmetry.warning(case)
    assert "Keras's z, r, h" in symmetry.warning(case)
    assert symmetry.blind_orders(parse_case(simple_data(), "s.yaml")) == []
