"""The seed article's worked example: exact numbers from the reference and from Keras."""

import numpy as np

from lstm_verify import forward, keras_run
from lstm_verify.case import load_case
from lstm_verify.compare import judge

from conftest import CASES


def test_reference_gives_the_seed_numbers():
    trace = forward.run(load_case(CASES / "seed-article.yaml"))
    np.testing.assert_array_equal(trace.i[0, 0], [5, 2, 1])
    np.testing.assert_array_equal(trace.f[0, 0], [1, 1, 0])
    np.testing.assert_array_equal(trace.c_tilde[0, 0], [0, 2, 1])
    np.testing.assert_array_equal(trace.o[0, 0], [2, 1, 0])
    np.testing.assert_array_equal(trace.final_c[0], [0, 4, 1])
    np.testing.assert_array_equal(trace.final_h[0], [0, 4, 0])


def test_keras_gives_the_seed_numbers_and_the_gates_behind_them():
    trace = keras_run.run(load_case(CASES / "seed-article.yaml"))
    np.testing.assert_array_equal(trace.final_h[0], [0, 4, 0])
    np.testing.assert_array_equal(trace.final_c[0], [0, 4, 1])
    np.testing.assert_array_equal(trace.o[0, 0], [2, 1, 0])
    np.testing.assert_array_equal(trace.z_i[0, 0], [5, 2, 1])


def test_the_published_answer_is_a_confirmed_known_mistake_at_h2():
    case = load_case(CASES / "seed-article.yaml")
    result = judge(case, forward.run(case), keras_run.run(case))
    assert result.status == "known-mistake"
    [m] = result.mismatches
    assert (m.quantity, m.t, m.batch, m.unit) == ("h", None, 0, 2)
    assert (m.expected, m.reference, m.keras) == (1.0, 0.0, 0.0)
    assert m.why == "h[2] = o[2]·c[2] = 0·1 = 0, not 1"


def test_the_corrected_twin_passes():
    case = load_case(CASES / "seed-article-corrected.yaml")
    result = judge(case, forward.run(case), keras_run.run(case))
    assert result.status == "pass", result.verdict
    assert result.mismatches == []
    assert result.keras_vs_reference == 0.0
