"""The bundled cases catch gate-order mistakes (issue 3): reading Keras's blocks i, f, c, o
in any of the 23 other orders changes a number the case checks.  Only the published seed
example is exempt: it reproduces an article's numbers verbatim."""

from dataclasses import replace

import numpy as np
import pytest

from conftest import CASES
from lstm_verify import forward
from lstm_verify.diagnose import symmetry
from lstm_verify.case import load_case
from lstm_verify.render.report import result_json
from lstm_verify.suite import verify_case

VERBATIM = {"seed-article.yaml"}   # the article's h and c only; its gates coincide
FILES = [p for p in sorted(CASES.rglob("*.yaml")) if p.name not in VERBATIM]
# Cases that were blind before their weights were changed; they must still pass real Keras.
MADE_SENSITIVE = ["two-steps-linear", "textbook-per-gate", "textbook-concatenated",
                  "go-backwards", "remember-first-input", "masking-repeat-output",
                  "masking-zero-output"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CASES)))
def test_bundled_case_is_not_blind_to_any_gate_order(path):
    case = load_case(path)
    assert symmetry.blind_orders(case) == [], symmetry.warning(case)


def test_changed_cases_pass_real_keras_without_warnings():
    for name in MADE_SENSITIVE:
        result = verify_case(load_case(CASES / f"{name}.yaml"))
        assert result.status == "pass", result
        assert result_json(result)["warnings"] == [], name


def test_textbook_forms_still_equal_two_steps_linear():
    linear = forward.run(load_case(CASES / "two-steps-linear.yaml"))
    for name in ("textbook-per-gate", "textbook-concatenated"):
        typed = forward.run(load_case(CASES / f"{name}.yaml"))
        for gate in ("i", "f", "c_tilde", "o", "c", "h"):
            np.testing.assert_array_equal(getattr(typed, gate), getattr(linear, gate))
    np.testing.assert_array_equal(linear.o[1, 0], [2, 3])   # o now differs from f = [2, 2]
    np.testing.assert_array_equal(linear.f[1, 0], [2, 2])


def test_remember_first_input_still_keeps_the_first_value():
    trace = forward.run(load_case(CASES / "remember-first-input.yaml"))
    assert trace.i.ravel().tolist() == [1] + [0] * 7
    assert trace.f.ravel().tolist() == [1] * 8
    assert trace.c.ravel().tolist() == [5] * 8
    assert trace.o.ravel().tolist() == [0] + [1] * 7       # o differs from f at step 1
    assert trace.h.ravel().tolist() == [0] + [5] * 7


@pytest.mark.parametrize("name, masked_output", [("masking-repeat-output", 2),
                                                 ("masking-zero-output", 0)])
def test_masked_step_outputs_what_the_case_teaches(name, masked_output):
    trace = forward.run(load_case(CASES / f"{name}.yaml"))
    assert trace.sequence.ravel().tolist() == [2, masked_output, 22]
    assert trace.c[1].item() == trace.c[0].item() == 2       # state carried through step 2


def test_go_backwards_description_numbers_are_true():
    case = load_case(CASES / "go-backwards.yaml")
    backwards = forward.run(case)
    forwards = forward.run(replace(case, go_backwards=False))
    assert backwards.final_h.item() == 38 and forwards.final_h.item() == 20
    assert "h = 20 instead of 38" in " ".join(case.description.split())
