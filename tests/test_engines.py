"""Other engines (engines.py, onnx_engine.py, keras_backends.py): real torch.nn.LSTM/GRU/RNN,
real ONNX Runtime and Keras on other backends agree with the reference for every cell;
cases they cannot express are skipped with the reason.  `verify --against` end to end is
in test_verify_against.py."""

import copy

import numpy as np
import pytest
from conftest import CASES

from lstm_verify import cells, engines, forward
from lstm_verify.case import load_case, parse_case
from lstm_verify.errors import CaseError

CELLS = tuple(cells.CELLS)


def random_case(seed, F=2, U=3, T=4, B=2, cell="lstm", **options):
    """A case of ``cell`` with asymmetric random weights, inputs and initial state."""
    rng = np.random.default_rng(seed)
    c = cells.get(cell)
    n = len(c.blocks)
    data = {"inputs": rng.normal(size=(B, T, F)).tolist(),
            "initial_state": {s: rng.normal(size=(B, U)).tolist() for s in c.states},
            "weights": {"kernel": rng.normal(size=(F, n * U)).tolist(),
                        "recurrent_kernel": rng.normal(size=(U, n * U)).tolist()},
            **options}
    if cell != "lstm":
        data["cell"] = cell
    if options.get("use_bias", True):
        shape, _ = c.bias_shape(U, options.get("reset_after", True))
        data["weights"]["bias"] = rng.normal(size=shape).tolist()
    return parse_case(data, f"random-{seed}.yaml")


def outcome(engine, case):
    runner = engines.Runner([engine])
    try:
        return runner.run(case, forward.run(case))[0]
    finally:
        runner.close()


VARIANTS = [dict(), dict(dtype="float64"), dict(go_backwards=True), dict(use_bias=False),
            dict(go_backwards=True, dtype="float64", B=1, T=6)]


def variant_id(value):
    return ",".join(f"{k}={v}" for k, v in value.items()) or "default" \
        if isinstance(value, dict) else value


CELL_VARIANTS = [(cell, options) for cell in CELLS for options in VARIANTS]
# ONNX's GRU has linear_before_reset; torch's has no reset_after false (skipped, below)
GRU_BEFORE = [("gru", dict(reset_after=False)), ("gru", dict(reset_after=False, use_bias=False))]


@pytest.mark.parametrize("cell,options", CELL_VARIANTS, ids=variant_id)
def test_torch_agrees_with_the_reference(cell, options):
    pytest.importorskip("torch")
    case = random_case(1, cell=cell, **options)
    result = outcome("torch", case)
    assert result.status == "pass", result
    tight = 1e-12 if case.dtype == "float64" else 1e-5
    assert max(result.max_abs_diff.values()) < tight
    assert list(result.max_abs_diff) == [*case.cell.states, "sequence"]
    assert result.version.startswith("torch ")


@pytest.mark.parametrize("cell,options", CELL_VARIANTS + GRU_BEFORE, ids=variant_id)
def test_onnxruntime_agrees_with_the_reference(cell, options):
    pytest.importorskip("onnxruntime")
    case = random_case(2, cell=cell, **options)
    result = outcome("onnxruntime", case)
    assert result.status == "pass", result
    assert max(result.max_abs_diff.values()) < 1e-5
    assert list(result.max_abs_diff) == [*case.cell.states, "sequence"]
    if options.get("dtype") == "float64":
        assert "ran in float32" in result.note


@pytest.mark.parametrize("cell,act,rec", [
    ("lstm", None, "hard_sigmoid"), ("lstm", "relu", "sigmoid"), ("lstm", "elu", "hard_sigmoid"),
    ("lstm", "softsign", None), ("lstm", "leaky_relu", "sigmoid"),
    ("lstm", "softplus", "hard_sigmoid"), ("lstm", "tanh", None),
    ("gru", "elu", "hard_sigmoid"), ("gru", None, "leaky_relu"),
    ("simple_rnn", "hard_sigmoid", None), ("simple_rnn", None, None),
    ("simple_rnn", "leaky_relu", None)])
def test_onnxruntime_activations_match_keras_definitions(cell, act, rec):
    """HardSigmoid needs alpha 1/6 (Keras 3, not ONNX's default 0.2) and ONNX Runtime
    reads activation_alpha only for activations that take one: both would show here."""
    pytest.importorskip("onnxruntime")
    options = {} if cell == "simple_rnn" else {"recurrent_activation": rec}
    case = random_case(3, cell=cell, activation=act, **options)
    result = outcome("onnxruntime", case)
    assert result.status == "pass", result


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_gate_order_slip_in_an_engine_would_be_caught(cell):
    """Feed torch the kernel with two gate blocks swapped: it must disagree."""
    pytest.importorskip("torch")
    case = random_case(4, cell=cell)
    ref = forward.run(case)
    slipped = copy.copy(case)
    blocks = np.split(case.kernel, len(case.cell.blocks), axis=1)
    blocks[1], blocks[2] = blocks[2], blocks[1]
    slipped.kernel = np.concatenate(blocks, axis=1)
    final, seq, version = engines.run_torch(slipped)
    judged = engines.judge_engine("torch", case, ref, final, seq, version, "float32")
    assert judged.status == "fail" and judged.max_abs_diff["h"] > 1e-3


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("engine", ["torch", "onnxruntime"])
def test_an_all_true_mask_is_no_obstacle(engine, cell):
    case = random_case(9, cell=cell, mask=[[True] * 4] * 2, go_backwards=True)
    result = outcome(engine, case)
    if result.note.startswith("not installed"):
        pytest.skip(result.note)
    assert result.status == "pass", result


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("engine", ["torch", "onnxruntime"])
def test_right_padded_masks_run_as_sequence_lengths(engine, cell):
    # ONNX's sequence_lens and torch's packed sequences (torch used to skip every mask)
    pytest.importorskip(engine)
    mask = [[True, True, True, False], [True, False, False, False]]
    case = random_case(5, cell=cell, mask=mask, zero_output_for_mask=True)
    result = outcome(engine, case)
    assert result.status == "pass", result
    assert result.max_abs_diff["sequence"] < 1e-5
    unmasked = random_case(5, cell=cell, zero_output_for_mask=True)   # the mask took effect
    assert not np.allclose(forward.run(unmasked).final_h, forward.run(case).final_h)


@pytest.mark.parametrize("options,engine,why", [
    (dict(activation=None), "torch", "sigmoid gates and tanh only"),
    (dict(mask=[[True, True, False, True]] * 2), "torch", "no per-step mask"),
    (dict(mask=[[True, True, True, False]] * 2), "torch", "zero_output_for_mask: true"),
    (dict(mask=[[True, False, True, True]] * 2, zero_output_for_mask=True), "onnxruntime",
     "only as sequence_lens: right padding"),
    (dict(mask=[[True, True, True, False]] * 2), "onnxruntime", "zero_output_for_mask"),
    (dict(activation="gelu"), "onnxruntime", "no activation matching Keras's gelu"),
    (dict(cell="gru", reset_after=False), "torch",
     "PyTorch's GRU is reset_after true: n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn))"),
    (dict(cell="gru", activation="relu"), "torch",
     "torch.nn.GRU computes sigmoid gates and tanh only; this case has activation=relu, "
     "recurrent_activation=sigmoid"),
    (dict(cell="simple_rnn", activation="elu"), "torch",
     "torch.nn.RNN computes tanh or relu only (its nonlinearity); this case has "
     "activation=elu"),
    (dict(cell="simple_rnn", activation=None), "torch", "this case has activation=linear"),
    (dict(cell="simple_rnn", mask=[[True, False, True, True]] * 2), "torch",
     "torch.nn.RNN has no per-step mask"),
    (dict(cell="gru", mask=[[True, False, True, True]] * 2, zero_output_for_mask=True),
     "onnxruntime", "ONNX's GRU expresses a mask only as sequence_lens: right padding"),
    (dict(cell="simple_rnn", activation="gelu"), "onnxruntime",
     "ONNX's RNN has no activation matching Keras's gelu (activation)"),
])
def test_cases_an_engine_cannot_express_are_skipped_with_the_reason(options, engine, why):
    result = outcome(engine, random_case(6, **options))
    if result.note.startswith("not installed"):
        pytest.skip(result.note)
    assert result.status == "skipped" and why in result.note, result.note


def test_a_disagreeing_engine_fails_the_case():
    pytest.importorskip("torch")
    from lstm_verify.suite import verify_case

    case = random_case(7)
    result = verify_case(case)
    assert result.status == "pass"
    other = random_case(7)
    other.bias = other.bias + 0.1          # torch gets different weights: a real disagreement
    final, seq, version = engines.run_torch(other)
    bad = engines.judge_engine("torch", case, result.reference, final, seq, version,
                               "float32")
    engines.apply(result, [bad])
    assert result.status == "fail"
    assert "torch disagrees with the reference" in result.verdict
    assert [o.engine for o in result.engines] == ["keras", "torch"]
    assert result.engines[0].status == "pass"
    from rich.console import Console

    from lstm_verify.render import report
    console = Console(record=True, width=200)
    report.render(console, result)
    rows = [" ".join(line.split()) for line in console.export_text().splitlines()]
    assert any(row.startswith("│ torch │") and "✗ disagrees" in row for row in rows), rows
    assert rows[-1].startswith("FAIL: ") and "torch disagrees" in rows[-1]


def test_unknown_engine_names_are_refused():
    with pytest.raises(CaseError, match="'tensorrt' is not an engine; known engines: keras"):
        engines.parse_against("torch,tensorrt")
    assert engines.parse_against("keras, torch,torch") == ["torch"]


# ------------------------------------------------------------ Keras on other backends

@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_keras_on_another_backend_in_a_worker(backend):
    pytest.importorskip(backend)
    from lstm_verify.engines.keras_backends import Worker

    worker = Worker(backend)
    try:
        assert worker.version.startswith("Keras 3") and f"on {backend}" in worker.version
        for case in (random_case(8, mask=[[True, False, True, True]] * 2),
                     load_case(CASES / "go-backwards.yaml"),
                     random_case(8, cell="gru", mask=[[True, False, True, True]] * 2),
                     random_case(8, cell="gru", reset_after=False, go_backwards=True),
                     # jax's x64 mode broke Keras's float32 GRU without bias (3.15)
                     random_case(8, cell="gru", use_bias=False),
                     random_case(8, cell="simple_rnn", activation="relu")):
            ref = forward.run(case)
            final, seq, version = worker.run(case)
            judged = engines.judge_engine(f"keras-{backend}", case, ref, final, seq, version,
                                          case.dtype)
            assert judged.status == "pass", judged
            assert list(final) == list(case.cell.states)
    finally:
        worker.close()
    assert worker.process.returncode == 0


def test_keras_jax_worker_computes_float64_in_float64():
    """jax keeps float64 only with x64 on, which the worker turns on for float64 cases
    only (with it on, Keras's float32 GRU without bias fails on jax): a float64 case
    after a float32 one is float64 again.  Linear activations keep Keras's own float32
    tanh on jax (keras.ops.tanh, Keras 3.15) out of the way."""
    pytest.importorskip("jax")
    from lstm_verify.engines.keras_backends import Worker

    cases = [random_case(12, dtype="float64", activation=None),
             random_case(12, cell="gru", use_bias=False),
             random_case(12, cell="gru", dtype="float64", activation=None)]
    worker = Worker("jax")
    try:
        answers = [worker.run(case) for case in cases]
    finally:
        worker.close()
    for case, (final, seq, _) in zip(cases, answers):
        ref = forward.run(case)
        tight = 1e-12 if case.dtype == "float64" else 1e-5
        assert np.abs(seq - ref.sequence).max() < tight
        for s in case.cell.states:
            assert np.abs(final[s] - ref.final[s]).max() < tight, s


def test_runner_keeps_one_keras_worker_for_many_cases():
    pytest.importorskip("torch")
    runner = engines.Runner(["keras-torch"])
    try:
        first = runner.run(*_with_reference(random_case(10)))[0]
        pid = runner.workers["keras-torch"].process.pid
        second = runner.run(*_with_reference(load_case(CASES / "masking-repeat-output.yaml")))[0]
        assert runner.workers["keras-torch"].process.pid == pid
    finally:
        runner.close()
    assert first.status == second.status == "pass", (first, second)
    assert second.version.startswith("Keras 3") and "on torch" in second.version


def _with_reference(case):
    return case, forward.run(case)


def test_a_worker_that_cannot_start_says_why():
    from lstm_verify.engines.keras_backends import Worker

    with pytest.raises(RuntimeError, match="Keras on nosuchbackend cannot start"):
        Worker("nosuchbackend")
