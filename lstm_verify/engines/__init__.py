"""Other implementations of the same cell, run on a case and compared with the
reference: torch and ONNX Runtime (runner.py, onnx_engine.py), Keras on other
backends (keras_backends.py)."""

from .runner import (  # noqa: F401
    ENGINES,
    NEEDS,
    EXTRA,
    Outcome,
    parse_against,
    missing_modules,
    TorchModule,
    TORCH,
    torch_unsupported,
    run_torch,
    engine_tolerance,
    judge_engine,
    compared,
    Runner,
    keras_outcome,
    apply)
