"""The gate capture's two claims, for every cell and option:

1. one run of Keras's RNN loop over the recording cell *is* keras.layers.LSTM / GRU /
   SimpleRNN on a machine where the fused cuDNN kernel cannot run (no GPU): its
   sequence and final states equal the plain layer's;
2. the traced graph (keras_traced, for a shape seen many times) captures exactly what
   the eager run captures, and is traced once per shape whatever the batch and length.
"""

import numpy as np
import pytest

from lstm_verify import cells, forward, keras_run
from lstm_verify.case import parse_case
from test_reference_vs_keras import CELL_IDS, CELLS, assert_traces_agree, random_case

OPTIONS = [dict(go_backwards=False, initial_state=True, use_bias=True),
           dict(go_backwards=True, initial_state=False, use_bias=True),
           dict(go_backwards=False, initial_state=True, use_bias=False)]


def case_of(seed, cell, reset_after, dtype, masked=False, activation="tanh",
            go_backwards=False, initial_state=True, use_bias=True):
    return random_case(seed, activation, "sigmoid", go_backwards, masked, False, dtype,
                       use_bias=use_bias, initial_state=initial_state, cell=cell,
                       reset_after=reset_after)


def plain_layer_outputs(case):
    keras = keras_run._import_keras()
    built = keras_run._layers(keras, case)
    built.plain.set_weights(keras_run._weights(case))
    inputs, kwargs = keras_run._call_args(case)
    sequence, *final = built.plain(inputs, **kwargs)
    return np.asarray(sequence, np.float64), [np.asarray(f, np.float64) for f in final]


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_recording_run_is_the_plain_keras_layer(cell, reset_after, masked, dtype):
    assert not keras_run._fused_kernel_possible()   # this claim is for machines without GPU
    for n, options in enumerate(OPTIONS):
        for activation in ("tanh", "relu", None):
            case = case_of(31 * n + len(str(activation)), cell, reset_after, dtype,
                           masked=masked, activation=activation, **options)
            for traced in (False, True):
                trace = keras_run.run(case, traced=traced)
                sequence, final = plain_layer_outputs(case)
                np.testing.assert_array_equal(trace.sequence, sequence)
                for name, value in zip(case.cell.states, final):
                    np.testing.assert_array_equal(trace.final[name], value)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_traced_capture_is_the_eager_capture(cell, reset_after, dtype):
    tol = 1e-6 if dtype == "float32" else 1e-12
    for n, options in enumerate(OPTIONS):
        case = case_of(7 + n, cell, reset_after, dtype, **options)
        eager, traced = (keras_run.run(case, traced=t) for t in (False, True))
        assert sorted(traced.steps) == sorted(eager.steps)
        for name in eager.steps:
            np.testing.assert_allclose(traced.steps[name], eager.steps[name], rtol=0,
                                       atol=tol, err_msg=name)
        for name in ("x", "sequence"):
            np.testing.assert_allclose(getattr(traced, name), getattr(eager, name),
                                       rtol=0, atol=tol)
        for name in case.cell.states:
            np.testing.assert_allclose(traced.final[name], eager.final[name], rtol=0,
                                       atol=tol)
            np.testing.assert_allclose(traced.cell_states[name], eager.cell_states[name],
                                       rtol=0, atol=tol)
        assert not traced.masked.any()
        ref_tol = 2e-5 if dtype == "float32" else 1e-9
        assert_traces_agree(case, forward.run(case), traced, ref_tol, 2e-4 if
                            dtype == "float32" else None)


def shape_case(seed, cell, reset_after, masked):
    """Cases of one layer shape (3 units, 7 features, float64: no other test here builds
    it) with their own batch, length, weights and initial state."""
    description = cells.get(cell)
    rng = np.random.default_rng(seed)
    batch, steps, n = 1 + seed % 3, 1 + seed % 5, len(description.blocks)
    data = {"cell": cell, "dtype": "float64", "inputs": rng.normal(size=(batch, steps, 7)).tolist(),
            "initial_state": {s: rng.normal(size=(batch, 3)).tolist() for s in description.states},
            "weights": {"kernel": rng.normal(0, 0.5, size=(7, 3 * n)).tolist(),
                        "recurrent_kernel": rng.normal(0, 0.5, size=(3, 3 * n)).tolist(),
                        "bias": rng.normal(size=description.bias_shape(3, reset_after)[0]).tolist()}}
    if "reset_after" in description.options:
        data["reset_after"] = reset_after
    if masked:
        data["mask"] = (rng.random((batch, steps)) > 0.3).tolist()
    return parse_case(data, f"shape-{seed}.yaml")


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_a_repeated_shape_is_traced_once_and_masked_cases_stay_eager(cell, reset_after):
    keras = keras_run._import_keras()
    keras_run._LAYERS.clear()
    for seed in range(keras_run.TRACE_AFTER + 6):
        masked = seed % 4 == 3
        case = shape_case(seed, cell, reset_after, masked)
        built = keras_run._layers(keras, case)
        traces_before = built.traced and built.traced.graph.experimental_get_tracing_count()
        ker = keras_run.run(case)
        assert_traces_agree(case, forward.run(case), ker, 1e-9)
        if seed < keras_run.TRACE_AFTER:
            assert built.traced is None          # eager until the shape repeats
        if masked:     # eager (the traced graph would lose a masked step's gates)
            assert built.traced is None or \
                built.traced.graph.experimental_get_tracing_count() == traces_before
    assert built.traced is not None
    assert built.traced.graph.experimental_get_tracing_count() == 1  # every batch, length


def test_the_plain_layer_check_catches_a_disagreement():
    """Where a GPU could run the fused kernel, the plain layer runs too and must agree:
    handed another case's trace, the check says what differs."""
    case, other = (shape_case(seed, "lstm", True, False) for seed in (1, 16))
    assert case.inputs.shape == other.inputs.shape      # same shapes, other numbers
    keras = keras_run._import_keras()
    inputs, kwargs = keras_run._call_args(case)
    built = keras_run._layers(keras, case)
    keras_run._check_plain_layer(case, built, keras_run.run(case), inputs, kwargs)
    with pytest.raises(keras_run.KerasMismatch, match="differs from keras.layers.LSTM's"):
        keras_run._check_plain_layer(case, built, keras_run.run(other), inputs, kwargs)
