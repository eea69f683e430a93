"""Cases blind to gate order: found by recomputing each of the 23 other orders."""

import dataclasses

import numpy as np
import pytest

from conftest import CASES, run_cli
from lstm_verify import forward
from lstm_verify.render import report
from lstm_verify.diagnose import symmetry
from lstm_verify.case import load_case, parse_case
from lstm_verify.cells import get as get_cell

LSTM_ORDERS = symmetry.orders(get_cell("lstm"))

CONSTANT = """\
# what constant initialisers give: every gate block the same
units: 2
inputs: [[0.5, -1.0], [1.0, 0.3]]
weights:
  kernel: [[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]]
  recurrent_kernel: [[0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]]
  bias: [0, 0, 0, 0, 0, 0, 0, 0]
expected:
  h: [0.0, 0.0]   # whatever the author wrote: only the weights matter for the warning
"""

ASYMMETRIC = """\
units: 2
inputs: [[0.5, -1.0], [1.0, 0.3]]
weights:
  kernel: [[0.1, -0.4, 0.7, 0.2, -0.9, 0.5, 0.3, -0.6], [0.8, 0.0, -0.2, 0.6, 0.4, -0.7, 0.9, 0.1]]
  recurrent_kernel: [[0.2, 0.5, -0.3, 0.9, 0.1, -0.8, 0.4, 0.6], [-0.5, 0.3, 0.8, -0.1, 0.7, 0.2, -0.6, 0.0]]
  bias: [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.0, -0.1]
"""


def test_constant_weights_are_blind_to_every_order(write_case):
    case = load_case(write_case(CONSTANT))
    assert symmetry.blind_orders(case) == LSTM_ORDERS and len(LSTM_ORDERS) == 23
    text = symmetry.warning(case)
    assert "blind to 23 of the 23 other gate orders" in text
    assert "i, c, f, o; " in text and "o, c, f, i" in text
    assert "give the four gate blocks different weights" in text
    assert "lstm-verify new --asymmetric" in text


def test_asymmetric_weights_do_not_warn(write_case):
    case = load_case(write_case(ASYMMETRIC))
    assert symmetry.blind_orders(case) == [] and symmetry.warning(case) is None


def test_two_equal_blocks_hide_exactly_the_orders_that_swap_them(write_case):
    # Make the f and o blocks equal in every matrix: only orders swapping f and o hide.
    data = load_case(write_case(ASYMMETRIC))
    for name in ("kernel", "recurrent_kernel", "bias"):
        matrix = getattr(data, name)
        matrix[..., 6:8] = matrix[..., 2:4]
    assert symmetry.blind_orders(data) == [("i", "o", "c", "f")]


def test_equal_activations_hide_i_and_c_unless_the_gates_are_written():
    # With linear gates and candidate, c = f·c + i·c~ cannot tell i from c~: the published
    # seed article (h and c only) is blind to that, the corrected one (every gate) is not.
    published = load_case(CASES / "seed-article.yaml")
    assert ("c", "f", "i", "o") in symmetry.blind_orders(published)
    # record would erase the recorded wrong answer, so a known mistake is told "by hand"
    assert "expected.steps by hand" in symmetry.warning(published)
    assert "lstm-verify record" not in symmetry.warning(published)
    unmarked = dataclasses.replace(published, known_mistake=None)
    assert "lstm-verify record --steps" in symmetry.warning(unmarked)
    corrected = load_case(CASES / "seed-article-corrected.yaml")
    assert symmetry.blind_orders(corrected) == []


def test_read_blocks_as_moves_the_blocks_the_author_swapped(write_case):
    case = load_case(write_case(ASYMMETRIC))
    read = symmetry.read_blocks_as(case, ("i", "c", "f", "o"))
    k, r = np.split(case.kernel, 4, axis=-1), np.split(read.kernel, 4, axis=-1)
    # Keras's f is what the author calls c (block 2) and vice versa; i and o stay.
    for ours, theirs in ((0, 0), (1, 2), (2, 1), (3, 3)):
        np.testing.assert_array_equal(r[ours], k[theirs])


def test_huge_case_falls_back_to_equal_blocks_without_recomputing():
    steps = symmetry.MAX_RECOMPUTED_STEPS + 1
    data = {"inputs": [[[0.1]] * steps],
            "weights": {"kernel": [[0.5, 0.5, 0.5, 0.5]], "recurrent_kernel": [[0.2] * 4],
                        "bias": [0.0, 0.0, 0.0, 0.0]}}
    assert symmetry.blind_orders(parse_case(data, "long.yaml")) == LSTM_ORDERS
    data["weights"]["bias"] = [0.0, 0.1, 0.2, 0.3]
    assert symmetry.blind_orders(parse_case(data, "long.yaml")) == []


def test_validate_warns_on_stderr_and_still_exits_0(write_case):
    constant = write_case(CONSTANT, "constant.yaml")
    asymmetric = write_case(ASYMMETRIC, "asymmetric.yaml")
    result = run_cli("validate", constant, asymmetric)
    assert result.returncode == 0, result.stderr
    assert f"ok {constant}" in result.stdout and f"ok {asymmetric}" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "constant.yaml: blind to 23 of the 23" in warnings[0]


def test_verify_reports_the_warning_without_failing(write_case):
    from lstm_verify.suite import verify_case

    result = verify_case(load_case(write_case(CONSTANT.split("expected:")[0])))
    assert result.status == "pass", result.verdict
    warnings = report.result_json(result)["warnings"]
    assert len(warnings) == 1 and "blind to 23 of the 23 other gate orders" in warnings[0]
    assert report.result_json(verify_case(load_case(write_case(ASYMMETRIC))))["warnings"] == []


def test_new_symmetric_warns_and_new_asymmetric_does_not(write_case):
    from lstm_verify.authoring import new_case_text

    for seed in range(3):
        symmetric = load_case(write_case(new_case_text(seed=seed, asymmetric=False), "s.yaml"))
        assert symmetry.blind_orders(symmetric) == LSTM_ORDERS
        asymmetric = load_case(write_case(new_case_text(seed=seed, asymmetric=True), "a.yaml"))
        assert symmetry.warning(asymmetric) is None


@pytest.mark.parametrize("cell,reset_after", [("lstm", True), ("gru", True), ("gru", False)])
def test_orders_run_together_equal_each_order_run_alone(cell, reset_after):
    # blind_orders runs all gate orders in one pass (weights stacked on a leading axis);
    # every order's numbers must be exactly those of its own forward run
    from test_reference_vs_keras import random_case
    case = random_case(9, "tanh", "hard_sigmoid", True, True, False, "float64", cell=cell,
                       reset_after=reset_after)
    group = symmetry.orders(case.cell)[:4]
    together = symmetry._orders_run(case, group)
    for n, order in enumerate(group):
        alone = forward.run(symmetry.read_blocks_as(case, order))
        for name in case.cell.quantities:
            np.testing.assert_allclose(together.steps[name][:, n], alone.steps[name],
                                       rtol=1e-13, atol=1e-13, err_msg=name)
        # the sequence stacks the steps on axis 1: (orders, T, B, U) here, (B, T, U) alone
        np.testing.assert_allclose(together.sequence[n], np.swapaxes(alone.sequence, 0, 1),
                                   rtol=1e-13, atol=1e-13)
