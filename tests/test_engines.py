"""Other engines (engines.py, keras_backends.py): real torch.nn.LSTM, real ONNX Runtime and
Keras on other backends agree with the reference; cases they cannot express are skipped
with the reason; `verify --against` end to end, including engines that are not installed."""

import copy
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import CASES, ROOT

from lstm_verify import engines, reference
from lstm_verify.case import load_case, parse_case
from lstm_verify.errors import CaseError


def random_case(seed, F=2, U=3, T=4, B=2, **options):
    """A case with asymmetric random weights, inputs and initial state."""
    rng = np.random.default_rng(seed)
    data = {"inputs": rng.normal(size=(B, T, F)).tolist(),
            "initial_state": {"h": rng.normal(size=(B, U)).tolist(),
                              "c": rng.normal(size=(B, U)).tolist()},
            "weights": {"kernel": rng.normal(size=(F, 4 * U)).tolist(),
                        "recurrent_kernel": rng.normal(size=(U, 4 * U)).tolist()},
            **options}
    if options.get("use_bias", True):
        data["weights"]["bias"] = rng.normal(size=4 * U).tolist()
    return parse_case(data, f"random-{seed}.yaml")


def outcome(engine, case):
    runner = engines.Runner([engine])
    try:
        return runner.run(case, reference.run(case))[0]
    finally:
        runner.close()


VARIANTS = [dict(), dict(dtype="float64"), dict(go_backwards=True), dict(use_bias=False),
            dict(go_backwards=True, dtype="float64", B=1, T=6)]


@pytest.mark.parametrize("options", VARIANTS, ids=lambda o: ",".join(o) or "default")
def test_torch_agrees_with_the_reference(options):
    pytest.importorskip("torch")
    case = random_case(1, **options)
    result = outcome("torch", case)
    assert result.status == "pass", result
    tight = 1e-12 if case.dtype == "float64" else 1e-5
    assert max(result.max_abs_diff.values()) < tight
    assert result.version.startswith("torch ")


@pytest.mark.parametrize("options", VARIANTS, ids=lambda o: ",".join(o) or "default")
def test_onnxruntime_agrees_with_the_reference(options):
    pytest.importorskip("onnxruntime")
    result = outcome("onnxruntime", random_case(2, **options))
    assert result.status == "pass", result
    assert max(result.max_abs_diff.values()) < 1e-5
    if options.get("dtype") == "float64":
        assert "ran in float32" in result.note


@pytest.mark.parametrize("act,rec", [(None, "hard_sigmoid"), ("relu", "sigmoid"),
                                     ("elu", "hard_sigmoid"), ("softsign", None),
                                     ("leaky_relu", "sigmoid"), ("softplus", "hard_sigmoid"),
                                     ("tanh", None)])
def test_onnxruntime_activations_match_keras_definitions(act, rec):
    """HardSigmoid needs alpha 1/6 (Keras 3, not ONNX's default 0.2) and ONNX Runtime
    reads activation_alpha only for activations that take one: both would show here."""
    pytest.importorskip("onnxruntime")
    case = random_case(3, activation=act, recurrent_activation=rec)
    result = outcome("onnxruntime", case)
    assert result.status == "pass", result


def test_a_gate_order_slip_in_an_engine_would_be_caught():
    """Feed torch the kernel with two gate blocks swapped: it must disagree."""
    pytest.importorskip("torch")
    case = random_case(4)
    ref = reference.run(case)
    slipped = copy.copy(case)
    blocks = np.split(case.kernel, 4, axis=1)
    slipped.kernel = np.concatenate([blocks[0], blocks[2], blocks[1], blocks[3]], axis=1)
    final, seq, version = engines.run_torch(slipped)
    judged = engines.judge_engine("torch", case, ref, final, seq, version, "float32")
    assert judged.status == "fail" and judged.max_abs_diff["h"] > 1e-3


@pytest.mark.parametrize("engine", ["torch", "onnxruntime"])
def test_an_all_true_mask_is_no_obstacle(engine):
    case = random_case(9, mask=[[True] * 4] * 2, go_backwards=True)
    result = outcome(engine, case)
    if result.note.startswith("not installed"):
        pytest.skip(result.note)
    assert result.status == "pass", result


@pytest.mark.parametrize("engine", ["torch", "onnxruntime"])
def test_right_padded_masks_run_as_sequence_lengths(engine):
    # ONNX's sequence_lens and torch's packed sequences (torch used to skip every mask)
    pytest.importorskip(engine)
    mask = [[True, True, True, False], [True, False, False, False]]
    case = random_case(5, mask=mask, zero_output_for_mask=True)
    result = outcome(engine, case)
    assert result.status == "pass", result
    assert result.max_abs_diff["sequence"] < 1e-5
    unmasked = random_case(5, zero_output_for_mask=True)   # the mask really took effect
    assert not np.allclose(reference.run(unmasked).final_h, reference.run(case).final_h)


@pytest.mark.parametrize("options,engine,why", [
    (dict(activation=None), "torch", "sigmoid gates and tanh only"),
    (dict(mask=[[True, True, False, True]] * 2), "torch", "no per-step mask"),
    (dict(mask=[[True, True, True, False]] * 2), "torch", "zero_output_for_mask: true"),
    (dict(mask=[[True, False, True, True]] * 2, zero_output_for_mask=True), "onnxruntime",
     "only as sequence_lens: right padding"),
    (dict(mask=[[True, True, True, False]] * 2), "onnxruntime", "zero_output_for_mask"),
    (dict(activation="gelu"), "onnxruntime", "no activation matching Keras's gelu"),
])
def test_cases_an_engine_cannot_express_are_skipped_with_the_reason(options, engine, why):
    result = outcome(engine, random_case(6, **options))
    if result.note.startswith("not installed"):
        pytest.skip(result.note)
    assert result.status == "skipped" and why in result.note, result.note


def test_a_disagreeing_engine_fails_the_case():
    pytest.importorskip("torch")
    from lstm_verify.verify import verify_case

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

    from lstm_verify import report
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
    from lstm_verify.keras_backends import Worker

    worker = Worker(backend)
    try:
        assert worker.version.startswith("Keras 3") and f"on {backend}" in worker.version
        for case in (random_case(8, mask=[[True, False, True, True]] * 2),
                     load_case(CASES / "go-backwards.yaml")):
            ref = reference.run(case)
            final, seq, version = worker.run(case)
            judged = engines.judge_engine(f"keras-{backend}", case, ref, final, seq, version,
                                          case.dtype)
            assert judged.status == "pass", judged
    finally:
        worker.close()
    assert worker.process.returncode == 0


def test_keras_jax_worker_computes_float64_in_float64():
    """jax keeps float64 only with JAX_ENABLE_X64; linear activations keep Keras's own
    float32 tanh on jax (keras.ops.tanh, Keras 3.15) out of the way."""
    pytest.importorskip("jax")
    from lstm_verify.keras_backends import Worker

    case = random_case(12, dtype="float64", activation=None)
    worker = Worker("jax")
    try:
        final, seq, _ = worker.run(case)
    finally:
        worker.close()
    ref = reference.run(case)
    assert np.abs(seq - ref.sequence).max() < 1e-12
    assert np.abs(final["c"] - ref.final_c).max() < 1e-12


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
    return case, reference.run(case)


def test_a_worker_that_cannot_start_says_why():
    from lstm_verify.keras_backends import Worker

    with pytest.raises(RuntimeError, match="Keras on nosuchbackend cannot start"):
        Worker("nosuchbackend")


# ------------------------------------------------------------ the command line

def cli(*args, block=()):
    """The real CLI in a subprocess; modules in ``block`` cannot be imported there."""
    code = ("import sys, importlib.abc\n"
            "class Block(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            f"        if name.split('.')[0] in {list(block)!r}:\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from lstm_verify.cli import main\n"
            f"sys.exit(main({[str(a) for a in args]!r}))\n")
    env = dict(os.environ, COLUMNS="250")   # one table row per line, for the asserts
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)


def test_verify_against_end_to_end_json():
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    done = cli("verify", CASES / "written-by-new.yaml", CASES / "two-steps-linear.yaml",
               "--against", "keras,torch,onnxruntime", "--json")
    assert done.returncode == 0, done.stderr
    cases = json.loads(done.stdout)["cases"]
    first = {o["engine"]: o for o in cases[0]["engines"]}
    assert list(first) == ["keras", "torch", "onnxruntime"]
    assert all(o["status"] == "pass" for o in first.values())
    assert first["torch"]["max_abs_diff"]["sequence"] < 1e-5
    second = {o["engine"]: o for o in cases[1]["engines"]}
    assert second["torch"]["status"] == "skipped" and second["onnxruntime"]["status"] == "pass"


def test_verify_against_absent_engines_skips_with_a_note():
    done = cli("verify", CASES / "written-by-new.yaml", "--against", "torch,onnxruntime",
               block=("torch", "onnxruntime"))
    assert done.returncode == 0, done.stderr
    rows = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert any(row.startswith("│ torch │ - │ - │ - │ skipped │ not installed (torch missing): "
                              "pip install 'lstm-verify[torch]'") for row in rows), rows
    assert any("│ onnxruntime │ - │ - │ - │ skipped │ not installed (onnxruntime missing): "
               "pip install 'lstm-verify[onnx]'" in row for row in rows), rows
    assert any(row.startswith("│ keras │") and "✓ agrees" in row for row in rows)
    assert "1 case: 1 passed" in rows[-1]


def test_verify_against_keeps_tensorflow_out_of_torch_and_onnx():
    """The engines run in a process where TensorFlow cannot be imported."""
    pytest.importorskip("torch")
    code = ("import sys, importlib.abc\n"
            "class Block(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'tensorflow':\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from lstm_verify import engines, reference\n"
            "from lstm_verify.case import load_case\n"
            f"case = load_case({str(CASES / 'written-by-new.yaml')!r})\n"
            "out = engines.Runner(['torch', 'onnxruntime']).run(case, reference.run(case))\n"
            "print(' '.join(o.status for o in out))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "pass"


def test_verify_against_unknown_engine_is_a_usage_error():
    done = cli("verify", CASES / "two-steps-linear.yaml", "--against", "caffe")
    assert done.returncode == 2
    assert "--against: 'caffe' is not an engine" in done.stderr
    assert "Traceback" not in done.stderr
