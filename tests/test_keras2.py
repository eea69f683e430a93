"""Keras 2 (tf_keras) as an engine: `verify --against keras2` for every cell, agreeing with
the reference except exactly where hard_sigmoid is used, which the report calls Keras 2's
definition."""

import json

import numpy as np
import pytest
from cell_weights import CELLS, case_data, layouts, load, random_keras, reset_after_values
from conftest import CASES
from test_verify_against import cli

from lstm_verify import forward
from lstm_verify.engines import keras2
from lstm_verify.engines.runner import Runner


def _case(cell, reset_after, **options):
    rng = np.random.default_rng(21)
    weights = layouts.export("keras", random_keras(rng, cell=cell, reset_after=reset_after))
    extra = {} if reset_after else {"reset_after": False}
    return load(case_data(weights, "keras", rng, cell=cell, **extra, **options))


CELL_VARIANTS = [(cell, r) for cell in CELLS for r in reset_after_values(cell)]


@pytest.mark.parametrize("cell, reset_after", CELL_VARIANTS)
def test_keras2_agrees_with_the_reference_for_every_cell(cell, reset_after):
    pytest.importorskip("tf_keras")
    case = _case(cell, reset_after, mask=[[True, False, True], [True, True, False]])
    [outcome] = Runner(["keras2"]).run(case, forward.run(case))
    assert outcome.status == "pass", outcome
    assert outcome.version.startswith("Keras 2 (tf_keras 2.")
    assert max(outcome.max_abs_diff.values()) < 1e-5


@pytest.mark.parametrize("cell, reset_after", CELL_VARIANTS)
def test_keras2_differs_by_definition_where_hard_sigmoid_is_used(cell, reset_after):
    pytest.importorskip("tf_keras")
    option = "activation" if cell == "simple_rnn" else "recurrent_activation"
    case = _case(cell, reset_after, **{option: "hard_sigmoid"})
    reference = forward.run(case)
    [outcome] = Runner(["keras2"]).run(case, reference)
    assert outcome.status == "definition", outcome
    assert max(outcome.max_abs_diff.values()) > 1e-3     # 0.2x + 0.5 is not x/6 + 0.5
    assert f"differs where hard_sigmoid is used ({option})" in outcome.note
    assert "the Keras 2 definition, not a bug" in outcome.note
    # and Keras 2's numbers are exactly the reference with its own hard_sigmoid
    final, sequence, _ = keras2.run_keras2(case)
    np.testing.assert_allclose(sequence, keras2.keras2_reference(case).sequence,
                               atol=1e-5, rtol=1e-4)


def test_keras2_hard_sigmoid_definition_matches_keras2_itself():
    tf_keras = pytest.importorskip("tf_keras")
    import tensorflow as tf
    x = np.array([-3.0, -2.5, -1.0, 0.0, 0.4, 2.5, 3.0], np.float32)
    np.testing.assert_allclose(keras2.keras2_hard_sigmoid(x),
                               tf_keras.activations.hard_sigmoid(tf.constant(x)).numpy(),
                               atol=1e-7)


def test_verify_against_keras2_end_to_end():
    pytest.importorskip("tf_keras")
    done = cli("verify", CASES / "mistake-keras2-hard-sigmoid.yaml",
               CASES / "gru" / "masking.yaml", "--against", "keras2", "--json")
    assert done.returncode == 0, done.stderr
    hard, gru = ({o["engine"]: o for o in c["engines"]} for c in json.loads(done.stdout)["cases"])
    assert hard["keras2"]["status"] == "definition"
    assert "Keras 2 defines it as 0.2x + 0.5 clipped" in hard["keras2"]["note"]
    assert gru["keras2"]["status"] == "pass" and list(gru["keras2"]["max_abs_diff"]) == [
        "h", "sequence"]


def test_verify_against_keras2_absent_is_skipped_with_the_extra():
    done = cli("verify", CASES / "written-by-new.yaml", "--against", "keras2",
               block=("tf_keras",))
    assert done.returncode == 0, done.stderr
    rows = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert any("│ keras2 │ - │ - │ - │ skipped │ not installed (tf_keras missing): "
               "pip install 'lstm-verify[keras2]'" in row for row in rows), rows
