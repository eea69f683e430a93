"""Diagnosis of wrong hand answers: each hypothesis on a case constructed to exhibit it.

The wrong numbers are made without diagnose.py wherever the mistake can be expressed as
different weights or options for the plain reference (a permuted kernel, a bias with +1
on its f block, Keras 2's 0.2x + 0.5 as Keras 3's hard_sigmoid of 1.2x, ...), and by a
few explicit lines of numpy otherwise, so a wrong hypothesis in diagnose.py cannot make
its own test pass.
"""

from dataclasses import replace

import numpy as np
import pytest

from conftest import CASES, run_cli
from lstm_verify import diagnose, forward
from lstm_verify.diagnose import mistakes
from lstm_verify.render import report
from lstm_verify.activations import sigmoid
from lstm_verify.case import load_case, parse_case
from lstm_verify.compare import compare
from lstm_verify.cells import get as get_cell
from lstm_verify.diagnose.symmetry import orders

ORDERS = orders(get_cell("lstm"))

QUANTITIES = ("i", "f", "c_tilde", "o", "c", "h")


def case_data(seed=1, units=2, features=2, steps=3, activation="tanh",
              recurrent_activation="sigmoid", **options):
    """A small asymmetric case: one-decimal weights, nonzero h0 and c0."""
    rng = np.random.default_rng(seed)
    def tenths(*shape):
        return (rng.integers(-9, 10, size=shape) / 10).tolist()
    return {"activation": activation, "recurrent_activation": recurrent_activation,
            "inputs": tenths(1, steps, features),
            "initial_state": {"h": tenths(1, units), "c": tenths(1, units)},
            "weights": {"kernel": tenths(features, 4 * units),
                        "recurrent_kernel": tenths(units, 4 * units),
                        "bias": tenths(4 * units)}, **options}


def with_numbers(data, trace, sequence=False):
    """The case with the trace's numbers as the author's expected: every step, h and c."""
    steps = [{"t": t + 1, **{q: getattr(trace, q)[t].tolist() for q in QUANTITIES}}
             for t in range(trace.i.shape[0])]
    expected = {"steps": steps, "h": trace.final_h.tolist(), "c": trace.final_c.tolist()}
    if sequence:
        expected["sequence"] = trace.sequence.tolist()
    return parse_case({**data, "expected": expected}, "constructed.yaml")


def explained(case):
    mismatches, _, _ = compare(case, forward.run(case))
    author = [m for m in mismatches if m.between == "expected-reference"]
    return diagnose.explain_mismatches(case, author)


def found(case):
    return [(d.id, d.detail) for d in explained(case).diagnoses]


def blocks(matrix):
    return dict(zip("ifco", np.split(np.asarray(matrix, float), 4, axis=-1)))


def assert_only(case, hypothesis_id, detail_start):
    result = found(case)
    assert [i for i, _ in result] == [hypothesis_id], result
    assert result[0][1].startswith(detail_start), result


def test_the_right_numbers_have_no_diagnosis():
    data = case_data()
    case = with_numbers(data, forward.run(parse_case(data, "x.yaml")))
    assert explained(case).diagnoses == [] and explained(case).first is None


@pytest.mark.parametrize("order", ORDERS, ids=["".join(order) for order in ORDERS])
def test_gate_order(order):
    data = case_data()
    # The author takes stored block k to be gate order[k]; so their gate g is block
    # order.index(g): rebuild Keras's matrices so Keras's g uses that block.
    def as_read(matrix):
        parts = np.split(np.asarray(matrix, float), 4, axis=-1)
        return np.concatenate([parts[order.index(g)] for g in "ifco"], axis=-1).tolist()
    weights = {k: as_read(v) for k, v in data["weights"].items()}
    wrong = forward.run(parse_case({**data, "weights": weights}, "x.yaml"))
    case = with_numbers(data, wrong)
    assert_only(case, "gate-order", ", ".join(order))
    if order == ("i", "o", "f", "c"):
        assert found(case)[0][1] == "i, o, f, c (ONNX's order)"


def test_hard_sigmoid_in_place_of_sigmoid():
    data = case_data()
    wrong = forward.run(parse_case({**data, "recurrent_activation": "hard_sigmoid"}, "x"))
    assert_only(with_numbers(data, wrong), "hard-sigmoid", "hard_sigmoid (x/6 + 0.5) in place "
                "of sigmoid on the gates")


def test_sigmoid_in_place_of_hard_sigmoid():
    data = case_data(recurrent_activation="hard_sigmoid")
    wrong = forward.run(parse_case({**data, "recurrent_activation": "sigmoid"}, "x"))
    assert_only(with_numbers(data, wrong), "hard-sigmoid", "sigmoid in place of hard_sigmoid")


def test_keras2_hard_sigmoid():
    # 0.2z + 0.5 = (1.2z)/6 + 0.5: Keras 2's gates are Keras 3's with the i, f, o blocks
    # scaled by 1.2. The candidate is linear so the c block must stay as it is.
    data = case_data(activation=None, recurrent_activation="hard_sigmoid")
    def scaled(matrix):
        parts = blocks(matrix)
        return np.concatenate([parts[g] * (1.0 if g == "c" else 1.2) for g in "ifco"],
                              axis=-1).tolist()
    weights = {k: scaled(v) for k, v in data["weights"].items()}
    wrong = forward.run(parse_case({**data, "weights": weights}, "x"))
    assert_only(with_numbers(data, wrong), "keras2-hard-sigmoid",
                "Keras 2's hard_sigmoid (0.2x + 0.5) in place of Keras 3's")


def one_step_by_hand(data, candidate, cell, output_gate=True):
    """One step written out: z = x·W + h0·U + b; sigmoid gates; the given activations."""
    x, h0, c0 = (np.asarray(v, float) for v in (data["inputs"][0][0],
                 data["initial_state"]["h"], data["initial_state"]["c"]))
    w = data["weights"]
    z = x @ np.asarray(w["kernel"]) + h0 @ np.asarray(w["recurrent_kernel"]) + w["bias"]
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    i, f, c_tilde, o = sigmoid(z_i), sigmoid(z_f), candidate(z_c), sigmoid(z_o)
    c = f * c0 + i * c_tilde
    h = (o if output_gate else 1.0) * cell(c)
    expected = {"steps": [{"t": 1, "i": i.tolist(), "f": f.tolist(),
                           "c_tilde": c_tilde.tolist(), "o": o.tolist(), "c": c.tolist(),
                           "h": h.tolist()}], "h": h.tolist(), "c": c.tolist()}
    return parse_case({**data, "expected": expected}, "by-hand.yaml")


@pytest.mark.parametrize("candidate, cell, detail", [
    (lambda z: z, np.tanh, "linear in place of tanh on the candidate c~"),
    (np.tanh, lambda c: c, "linear in place of tanh on the cell output"),
])
def test_linear_in_place_of_tanh(candidate, cell, detail):
    data = case_data(steps=1)
    assert_only(one_step_by_hand(data, candidate, cell), "linear-activation", detail)


def test_tanh_applied_where_keras_applies_none():
    data = case_data(activation=None)
    wrong = forward.run(parse_case({**data, "activation": "tanh"}, "x"))
    assert_only(with_numbers(data, wrong), "linear-activation",
                "tanh applied to c~ and the cell output where Keras applies none")


def test_output_gate_ignored_on_the_seed_article():
    case = load_case(CASES / "seed-article.yaml")
    assert found(case) == [("output-gate-ignored", "h = c")]
    by_hand = one_step_by_hand(case_data(steps=1), np.tanh, np.tanh, output_gate=False)
    assert found(by_hand) == [("output-gate-ignored", "h = tanh(c)")]


def test_forget_bias_plus_one():
    data = case_data()
    bias = blocks(data["weights"]["bias"])
    bias["f"] = bias["f"] + 1.0
    wrong_bias = np.concatenate([bias[g] for g in "ifco"]).tolist()
    wrong = forward.run(parse_case({**data, "weights": {**data["weights"],
                                                          "bias": wrong_bias}}, "x"))
    assert_only(with_numbers(data, wrong), "forget-bias-plus-one", "1 added to z_f")


@pytest.mark.parametrize("factor, hypothesis_id", [(2.0, "bias-doubled"),
                                                   (0.0, "bias-dropped")])
def test_bias_doubled_or_dropped(factor, hypothesis_id):
    data = case_data()
    bias = (np.asarray(data["weights"]["bias"]) * factor).tolist()
    wrong = forward.run(parse_case({**data, "weights": {**data["weights"], "bias": bias}},
                                     "x"))
    assert_only(with_numbers(data, wrong), hypothesis_id, "bias")


@pytest.mark.parametrize("key", ["recurrent_kernel", "kernel"])
def test_kernel_transposed(key):
    data = case_data(units=2, features=2)   # square 2x2 blocks in both matrices
    parts = blocks(data["weights"][key])
    transposed = np.concatenate([parts[g].T for g in "ifco"], axis=-1).tolist()
    wrong = forward.run(parse_case({**data, "weights": {**data["weights"],
                                                          key: transposed}}, "x"))
    assert_only(with_numbers(data, wrong), "kernel-transposed", f"{key}'s units x units")


def test_kernel_transposed_is_not_tried_where_shapes_forbid_it():
    case = parse_case(case_data(units=2, features=3), "x")
    details = [h.detail for h in mistakes.hypotheses(case) if h.id == "kernel-transposed"]
    assert details == ["recurrent_kernel's units x units gate blocks used transposed"]


def test_h_and_c_swapped():
    data = case_data()
    right = forward.run(parse_case(data, "x"))
    swapped = right.replace(h=right.c, c=right.h,
                            final={"h": right.final_c, "c": right.final_h})
    assert_only(with_numbers(data, swapped), "h-c-swapped", "h and c swapped")


def test_go_backwards_forgotten():
    data = case_data(go_backwards=True)
    wrong = forward.run(parse_case({**data, "go_backwards": False}, "x"))
    assert_only(with_numbers(data, wrong, sequence=True), "go-backwards-order",
                "inputs read forwards, although go_backwards is true")


def test_go_backwards_listed_in_input_order():
    data = case_data(go_backwards=True)
    right = forward.run(parse_case(data, "x"))
    flipped = right.replace(sequence=right.sequence[:, ::-1],
                            **{q: getattr(right, q)[::-1] for q in QUANTITIES})
    assert_only(with_numbers(data, flipped, sequence=True), "go-backwards-order",
                "steps and sequence listed in input order")


@pytest.mark.parametrize("zero_output", [False, True])
def test_mask_output_convention(zero_output):
    data = case_data(steps=4, mask=[[True, False, True, True]],
                     zero_output_for_mask=zero_output)
    wrong = forward.run(parse_case({**data, "zero_output_for_mask": not zero_output}, "x"))
    case = with_numbers(data, wrong, sequence=True)
    assert_only(case, "mask-output", "masked steps repeat" if zero_output
                else "masked steps output 0")


def test_mask_ignored():
    data = case_data(steps=4, mask=[[True, False, True, True]])
    wrong = forward.run(parse_case({k: v for k, v in data.items() if k != "mask"}, "x"))
    assert_only(with_numbers(data, wrong, sequence=True), "mask-output", "the mask ignored")


def test_rounding_intermediates_to_the_written_decimals():
    # One unit, two steps, every intermediate rounded to 2 decimals and carried on.
    data = {"units": 1, "inputs": [[0.5], [1.0]],
            "weights": {"kernel": [[0.3, 0.6, 0.9, -0.4]],
                        "recurrent_kernel": [[0.7, -0.2, 0.5, 0.8]],
                        "bias": [0.1, 0.4, -0.3, 0.2]}}
    r = lambda v: round(v, 2)
    h = c = 0.0
    steps = []
    for t, x in enumerate((0.5, 1.0), start=1):
        w = data["weights"]
        z = [x * k + h * u + b for k, u, b in zip(w["kernel"][0], w["recurrent_kernel"][0],
                                                  w["bias"])]
        i, f, o = (r(1 / (1 + np.exp(-v))) for v in (z[0], z[1], z[3]))
        c_tilde = r(np.tanh(z[2]))
        c = r(f * c + i * c_tilde)
        h = r(o * r(np.tanh(c)))
        steps.append({"t": t, "i": [i], "f": [f], "c_tilde": [c_tilde], "o": [o], "c": [c],
                      "h": [h]})
    case = parse_case({**data, "expected": {"steps": steps, "h": [h], "c": [c]}}, "x")
    assert found(case) == [("rounding", "2 decimals (intermediates rounded and carried "
                                        "forward)")]


def test_written_decimals():
    case = parse_case({**case_data(), "expected": {"h": [[0.25, 1.5]]}}, "x")
    assert mistakes.written_decimals(case) == 2
    case = parse_case({**case_data(), "expected": {"h": [[0.1234567, 1]]}}, "x")
    assert mistakes.written_decimals(case) is None


def test_nothing_fits_is_said_plainly():
    data = case_data()
    right = forward.run(parse_case(data, "x"))
    case = with_numbers(data, right)
    case.expected["h"] = case.expected["h"] + np.array([[0.123, 0.0]])   # a slip of the pen
    explanation = explained(case)
    assert explanation.diagnoses == []
    assert explanation.note.startswith("no diagnosis fits: none of the ")
    assert explanation.tried >= 39   # 23 gate orders and 16 others for this case


def test_first_divergence_is_the_earliest_step_then_gate_order():
    data = case_data()
    case = with_numbers(data, forward.run(parse_case(data, "x")))
    case.expected["steps"][2]["i"] = case.expected["steps"][2]["i"] + 1.0
    case.expected["steps"][2]["o"] = case.expected["steps"][2]["o"] + 1.0
    case.expected["steps"][3]["f"] = case.expected["steps"][3]["f"] + 1.0
    case.expected["c"] = case.expected["c"] + 1.0
    first = explained(case).first
    assert (first.quantity, first.t, first.unit) == ("i", 2, 0)


def test_huge_case_is_not_diagnosed_and_says_so():
    data = case_data(steps=3)
    case = with_numbers(data, forward.run(parse_case(data, "x")))
    case.expected["h"] = case.expected["h"] + 1.0
    mismatches, _, _ = compare(case, forward.run(case))
    big = replace(case, inputs=np.zeros((1, diagnose.MAX_DIAGNOSED_STEPS + 1, 2)))
    explanation = diagnose.explain_mismatches(big, [m for m in mismatches])
    assert explanation.diagnoses == [] and explanation.note.startswith("not diagnosed")


# Real Keras from here on: verify runs the case, judge diagnoses, the report shows it.

def test_verify_json_and_verdict_for_the_bundled_classic_mistakes():
    from lstm_verify.suite import verify_case

    want = {"mistake-gate-order.yaml": ("gate-order", "i, c, f, o"),
            "mistake-keras2-hard-sigmoid.yaml": ("keras2-hard-sigmoid", "Keras 2's"),
            "mistake-forget-bias.yaml": ("forget-bias-plus-one", "1 added to z_f"),
            "mistake-rounding.yaml": ("rounding", "2 decimals (intermediates rounded"),
            "seed-article.yaml": ("output-gate-ignored", "h = c")}
    for name, (hypothesis_id, detail) in want.items():
        result = verify_case(load_case(CASES / name))
        assert result.status == "known-mistake", (name, result.verdict)
        cases_json = report.result_json(result)
        assert [d["id"] for d in cases_json["diagnoses"]] == [hypothesis_id], name
        assert cases_json["diagnoses"][0]["detail"].startswith(detail)
        assert result.verdict.startswith(f"confirmed: "
                                         f"{result.diagnoses[0].text} ("), result.verdict
    gate_order = verify_case(load_case(CASES / "mistake-gate-order.yaml"))
    assert gate_order.verdict.startswith("confirmed: gate blocks read as "
                                         "i, c, f, o")
    assert report.result_json(gate_order)["first_divergence"] == {
        "quantity": "f", "t": 1, "batch": 0, "unit": 0}
    corrected = report.result_json(verify_case(load_case(CASES / "seed-article-corrected.yaml")))
    assert corrected["status"] == "pass" and corrected["diagnoses"] == []
    assert corrected["first_divergence"] is None


def test_verify_of_an_unmarked_mistake_fails_and_names_the_likely_cause(tmp_path):
    from lstm_verify.suite import verify_case

    text = (CASES / "mistake-gate-order.yaml").read_text()
    path = tmp_path / "unmarked.yaml"
    path.write_text(text.split("known_mistake:")[0])
    result = verify_case(load_case(path))
    assert result.status == "fail"
    assert "; likely: gate blocks read as i, c, f, o" in result.verdict


def test_cli_shows_the_diagnosis_and_exits_0():
    files = [CASES / n for n in ("mistake-gate-order.yaml", "mistake-keras2-hard-sigmoid.yaml",
                                 "mistake-forget-bias.yaml")]
    result = run_cli("verify", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())   # rich wraps long lines
    assert "confirmed: gate blocks read as i, c, f, o" in out
    assert "first divergence: f[0] at step 1: author 2, reference 1" in out
    assert ("diagnosis: Keras 2's hard_sigmoid (0.2x + 0.5) in place of Keras 3's "
            "(x/6 + 0.5) on the gates i, f, o (keras2-hard-sigmoid)") in out
    assert "confirmed: forget bias +1" in out
