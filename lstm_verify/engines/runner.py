"""Other implementations of the same cell, run on a case and compared with the reference.

``verify --against keras,torch,onnxruntime,keras-jax,keras-torch``:

- ``torch``: torch.nn's counterpart of the case's Keras layer (``LSTM``, ``GRU`` — Keras's
  reset_after true —, ``RNN``) with the weights in PyTorch's layout (layouts/);
  go_backwards is the input flipped in time (Keras then returns the outputs in that
  processing order, as torch does for the flipped input); a right-padding mask with
  zero_output_for_mask is a packed sequence.
- ``onnxruntime``: a one-node ONNX ``LSTM``, ``GRU`` or ``RNN`` model built with
  onnx.helper and run by ONNX Runtime (onnx_engine.py); go_backwards is ``direction:
  reverse`` (ONNX keeps Y in input order, so Y is flipped back into Keras's processing
  order).
- ``keras-jax``, ``keras-torch``: Keras itself on another backend, in a subprocess with
  KERAS_BACKEND set (keras_backends.py).
- ``keras2``: Keras 2 (the tf-keras package), in this process (keras2.py); it differs
  from the reference by definition where the case uses hard_sigmoid.

None of these but keras2 imports TensorFlow.  Each gives the cell's final states (h, and c for
the LSTM) and the sequence; where an engine cannot express a case (an activation
torch's module does not have, a GRU with reset_after false in torch, a mask) it is
skipped with the reason, never approximated.
"""

import importlib.util
from dataclasses import dataclass, field

import numpy as np

from ..case import layouts
from ..compare import KERAS_FLOOR
from ..errors import CaseError
from . import keras2
from .onnx_engine import onnx_op, onnx_unsupported, right_padded_lengths, run_onnxruntime

ENGINES = ("keras", "torch", "onnxruntime", "keras-jax", "keras-torch", "keras2")
NEEDS = {"torch": ("torch",), "onnxruntime": ("onnx", "onnxruntime"),
         "keras-jax": ("keras", "jax"), "keras-torch": ("keras", "torch"),
         "keras2": ("tf_keras",)}
EXTRA = {"torch": "torch", "onnxruntime": "onnx", "keras-jax": "jax", "keras-torch": "torch",
         "keras2": "keras2"}


@dataclass
class Outcome:
    """One engine on one case. ``status``: pass, fail, skipped (absent, or the case is
    beyond it), error (it crashed) or definition (it differs where its own definition
    of an activation differs, and agrees with the reference recomputed with that one). ``max_abs_diff``: each of the cell's states and
    the sequence vs the reference."""

    engine: str
    status: str
    note: str = ""
    version: str = ""
    max_abs_diff: dict = field(default_factory=dict)


def parse_against(text):
    """The engine names of ``--against a,b,c`` (keras, the verifier's own, always runs)."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    for name in names:
        if name not in ENGINES:
            raise CaseError(f"--against: '{name}' is not an engine; known engines: "
                            f"{', '.join(ENGINES)}")
    return list(dict.fromkeys(n for n in names if n != "keras"))


def missing_modules(engine):
    """The modules ``engine`` needs that cannot be imported here (none: it can run)."""
    missing = []
    for module in NEEDS[engine]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):   # a finder refusing it, or a broken stub
            found = False
        if not found:
            missing.append(module)
    return missing


# ------------------------------------------------------------------------- torch

@dataclass(frozen=True)
class TorchModule:
    """torch.nn's counterpart of a Keras layer and what it can compute."""

    name: str              # torch.nn.<name>
    activations: dict      # the case's option -> the values torch has for it
    computes: str          # those, in words


# by Keras layer (Cell.keras_layer); nn.GRU is Keras's reset_after true (layouts/pytorch.py)
TORCH = {"LSTM": TorchModule("LSTM", {"activation": ("tanh",),
                                      "recurrent_activation": ("sigmoid",)},
                             "sigmoid gates and tanh only"),
         "GRU": TorchModule("GRU", {"activation": ("tanh",),
                                    "recurrent_activation": ("sigmoid",)},
                            "sigmoid gates and tanh only"),
         "SimpleRNN": TorchModule("RNN", {"activation": ("tanh", "relu")},
                                  "tanh or relu only (its nonlinearity)")}


def torch_unsupported(case):
    module = TORCH[case.cell.keras_layer]
    if any(getattr(case, key) not in values for key, values in module.activations.items()):
        given = ", ".join(f"{key}={getattr(case, key) or 'linear'}"
                          for key in module.activations)
        return f"torch.nn.{module.name} computes {module.computes}; this case has {given}"
    why = layouts.unsupported(case.cell, "pytorch", case.reset_after)
    if why:
        return why
    if case.mask is not None and not case.mask.all() and right_padded_lengths(case) is None:
        return (f"torch.nn.{module.name} has no per-step mask; packed sequences express only "
                "right padding (true... then false..., at least one true) with "
                "zero_output_for_mask: true and no go_backwards, and this mask is beyond that")
    return None


def run_torch(case):
    """({state: (B, U)}, sequence (B, T, U), version) from the torch.nn module."""
    import torch

    dtype = torch.float64 if case.dtype == "float64" else torch.float32
    module = TORCH[case.cell.keras_layer]
    options = {"nonlinearity": case.activation} if module.name == "RNN" else {}
    net = getattr(torch.nn, module.name)(case.input_dim, case.units, bias=case.use_bias,
                                         batch_first=True, dtype=dtype, **options)
    params = layouts.export("pytorch", layouts.Weights.of_case(case))
    states = case.cell.states
    with torch.no_grad():
        for key, value in params.items():
            getattr(net, f"{key}_l0").copy_(torch.tensor(value, dtype=dtype))
        # Keras's go_backwards reads x_T first and returns outputs in that order: the
        # same as a forward pass over the time-reversed input
        x = case.inputs[:, ::-1] if case.go_backwards else case.inputs
        initial = tuple(torch.tensor(case.initial_state[s][None], dtype=dtype)
                        for s in states)                     # each (1, B, U)
        initial = initial if len(initial) > 1 else initial[0]   # LSTM (h, c); else h
        x = torch.tensor(x.copy(), dtype=dtype)
        if case.mask is None or case.mask.all():
            sequence, final = net(x, initial)   # (B, T, U)
        else:   # right padding: a packed batch, zeros past each sequence's end
            pack = torch.nn.utils.rnn
            lengths = torch.tensor(right_padded_lengths(case))
            packed, final = net(pack.pack_padded_sequence(x, lengths, batch_first=True,
                                                          enforce_sorted=False), initial)
            sequence, _ = pack.pad_packed_sequence(packed, batch_first=True,
                                                   total_length=case.steps)
    final = final if isinstance(final, tuple) else (final,)
    as64 = lambda t: t.detach().numpy().astype(np.float64)
    return ({s: as64(f[0]) for s, f in zip(states, final)}, as64(sequence),
            f"torch {torch.__version__}")


# ------------------------------------------------------------------------- running

def engine_tolerance(case, dtype):
    """Keras's tolerance against the reference, for an engine computing in ``dtype``."""
    floor = KERAS_FLOOR[dtype]
    return max(case.atol, floor["atol"]), max(case.rtol, floor["rtol"])


def judge_engine(engine, case, reference, final, sequence, version, dtype):
    """An engine's final states ({state: (B, U)}) and sequence against the reference."""
    atol, rtol = engine_tolerance(case, dtype)
    diffs, ok = {}, True
    for name, got, want in compared(final, sequence, reference):
        got = np.asarray(got, dtype=np.float64).reshape(want.shape)
        with np.errstate(invalid="ignore"):
            diffs[name] = float(np.max(np.abs(got - want)))
            ok &= bool(np.all(np.abs(got - want) <= atol + rtol * np.abs(want)))
    note = (f"ran in float32 (ONNX Runtime's CPU {onnx_op(case)} has no float64); float32 "
            "tolerance" if dtype != case.dtype else "")
    return Outcome(engine, "pass" if ok else "fail", note, version, diffs)


def compared(final, sequence, reference):
    """(name, engine's value, reference's) for each of the cell's states, then the
    sequence: what an engine outcome lists."""
    pairs = [(s, final[s], reference.final[s]) for s in reference.cell.states]
    return pairs + [("sequence", sequence, reference.sequence)]


class Runner:
    """Runs the chosen engines on case after case; keeps Keras-backend workers alive."""

    def __init__(self, engines):
        self.engines = list(engines)
        self.workers = {}
        self.absent = {e: missing_modules(e) for e in (*ENGINES[1:],)}

    def engines_for(self, case):
        """The chosen engines, and keras2 for a case whose numbers came from Keras 2."""
        extra = ["keras2"] if case.keras == 2 and "keras2" not in self.engines else []
        return self.engines + extra

    def run(self, case, reference):
        return [self._one(engine, case, reference) for engine in self.engines_for(case)]

    def _one(self, engine, case, reference):
        if self.absent[engine]:
            return Outcome(engine, "skipped", f"not installed ({', '.join(self.absent[engine])} "
                           f"missing): pip install 'lstm-verify[{EXTRA[engine]}]'")
        why = {"torch": torch_unsupported, "onnxruntime": onnx_unsupported,
               "keras2": keras2.unsupported}.get(engine, lambda case: None)(case)
        if why:
            return Outcome(engine, "skipped", f"cannot express this case: {why}")
        try:
            if engine == "torch":
                final, seq, version = run_torch(case)
                dtype = case.dtype
            elif engine == "onnxruntime":
                final, seq, version = run_onnxruntime(case)
                dtype = "float32"
            elif engine == "keras2":
                final, seq, version = keras2.run_keras2(case)
                return keras2.judge_keras2(case, reference, final, seq, version,
                                           judge_engine)
            else:
                final, seq, version = self._worker(engine).run(case)
                dtype = case.dtype
        except Exception as exc:   # an engine's own failure is reported, not hidden
            return Outcome(engine, "error", f"{type(exc).__name__}: {exc}")
        return judge_engine(engine, case, reference, final, seq, version, dtype)

    def _worker(self, engine):
        """The engine's Keras worker; one that failed to start is not retried per case."""
        from .keras_backends import Worker

        if isinstance(self.workers.get(engine), Exception):
            raise self.workers[engine]
        if engine not in self.workers:
            try:
                self.workers[engine] = Worker(engine.split("-", 1)[1])
            except Exception as exc:
                self.workers[engine] = exc
                raise
        return self.workers[engine]

    def check(self, result):
        """Run the engines on a verify Result's case and attach their outcomes."""
        if result.case is None or result.reference is None or not self.engines_for(
                result.case):
            return result
        return apply(result, self.run(result.case, result.reference))

    def close(self):
        for worker in self.workers.values():
            if not isinstance(worker, Exception):
                worker.close()
        self.workers = {}


def keras_outcome(result):
    """The verifier's own Keras run (TensorFlow), in the same terms as the other engines."""
    diffs = {}
    for name, got, want in compared(result.keras.final, result.keras.sequence,
                                    result.reference):
        with np.errstate(invalid="ignore"):
            diffs[name] = float(np.max(np.abs(got - want)))
    bad = any(m.between == "keras-reference" for m in result.mismatches)
    return Outcome("keras", "fail" if bad else "pass",
                   "TensorFlow; gates above", "", diffs)


def apply(result, outcomes):
    """Attach engine outcomes to a verify Result; a disagreeing engine fails the case."""
    result.engines = ([keras_outcome(result)] if result.keras is not None else []) + outcomes
    bad = [o for o in outcomes if o.status in ("fail", "error")]
    if bad and result.status in ("pass", "known-mistake"):
        result.status = "fail"
    if bad:
        result.verdict = (result.verdict or "") + "; " + "; ".join(
            f"{o.engine} disagrees with the reference (max |diff| "
            f"{max(o.max_abs_diff.values()):.3g})" if o.status == "fail"
            else f"{o.engine} failed to run: {o.note}" for o in bad)
    return result
