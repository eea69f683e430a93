"""Keras on another backend (jax, torch), in a subprocess with KERAS_BACKEND set.

Keras picks its backend once, at import, and this process already runs it on
TensorFlow; so each other backend gets one long-lived worker process
(``python -m lstm_verify.engines.keras_backends BACKEND``) that reads one case per line as
JSON on stdin and answers one line of JSON on stdout: the final states and the
sequence from the case's own layer (``keras.layers.LSTM``, ``GRU`` or ``SimpleRNN``,
with return_sequences=True, return_state=True).  JSON floats are Python's exact repr,
so the worker gets the very same weights.
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

OPTIONS = ("units", "activation", "use_bias", "go_backwards", "zero_output_for_mask",
           "dtype")


def case_message(case):
    """A case as one JSON-able dict: its layer, options and arrays (nested lists)."""
    cell = case.cell
    options = {key: getattr(case, key) for key in OPTIONS}
    if cell.has_recurrent_activation:
        options["recurrent_activation"] = case.recurrent_activation
    options.update({key: getattr(case, key) for key in cell.options})   # reset_after
    message = {"layer": cell.keras_layer, "states": list(cell.states), "options": options}
    for key in ("inputs", "kernel", "recurrent_kernel", "bias", "mask"):
        value = getattr(case, key)
        message[key] = None if value is None else np.asarray(value).tolist()
    message["initial_state"] = {s: v.tolist() for s, v in case.initial_state.items()}
    return message


# the folder that holds the lstm_verify package, so `python -m` finds this copy of it
PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Worker:
    """One Keras process on ``backend``, started on first use and kept for later cases."""

    def __init__(self, backend):
        self.backend = backend
        self.log = tempfile.TemporaryFile(mode="w+")   # the worker's stderr, for errors
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lstm_verify.engines.keras_backends", backend],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=env, cwd=PROJECT)
        hello = self._read()
        self.version = hello["version"]

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            self.log.seek(0)
            tail = self.log.read()[-800:].strip()
            raise RuntimeError(f"the Keras {self.backend} worker stopped: {tail}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def run(self, case):
        """({state: (B, U)}, sequence (B, T, U), version) for ``case``."""
        self.process.stdin.write(json.dumps(case_message(case)) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        final = {s: np.array(v) for s, v in answer["final"].items()}
        return final, np.array(answer["sequence"]), self.version

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def _precision(backend, dtype):
    """jax computes float64 only with x64 on (else it turns float64 arrays into float32,
    silently); and with x64 on, Keras's jax GRU (3.15, the no-bias path of
    backend.jax.rnn.gru) makes float64 zeros for a float32 layer.  So x64 is on for
    float64 cases only."""
    if backend != "jax":
        return contextlib.nullcontext()
    import jax
    return jax.enable_x64(dtype == "float64")


def _run_layer(keras, message):
    options = message["options"]
    dtype = options["dtype"]
    inputs = np.array(message["inputs"], dtype=dtype)
    layer = getattr(keras.layers, message["layer"])(**options, return_sequences=True,
                                                    return_state=True)
    layer.build(inputs.shape)
    weights = [message["kernel"], message["recurrent_kernel"]]
    weights += [message["bias"]] if options["use_bias"] else []
    layer.set_weights([np.array(w, dtype=dtype) for w in weights])
    states = message["states"]
    kwargs = {"initial_state": [np.array(message["initial_state"][s], dtype=dtype)
                                for s in states]}
    if message["mask"] is not None:
        kwargs["mask"] = np.array(message["mask"], dtype=bool)
    sequence, *final = (keras.ops.convert_to_numpy(v).astype(np.float64).tolist()
                        for v in layer(inputs, **kwargs))
    return {"final": dict(zip(states, final)), "sequence": sequence}


def main(backend):
    """The worker: one JSON case per stdin line, one JSON answer per stdout line."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)   # anything a library prints goes to stderr, never into the answers
    try:
        os.environ["KERAS_BACKEND"] = backend
        import keras
        module = __import__(backend)
        version = f"Keras {keras.__version__} on {backend} {module.__version__}"
        if keras.backend.backend() != backend:
            raise RuntimeError(f"Keras started on {keras.backend.backend()}, not {backend}")
    except Exception as exc:
        answers.write(json.dumps({"error": f"Keras on {backend} cannot start: "
                                  f"{type(exc).__name__}: {exc}"}) + "\n")
        answers.flush()
        return 1
    answers.write(json.dumps({"version": version}) + "\n")
    answers.flush()
    for line in sys.stdin:
        try:
            message = json.loads(line)
            with _precision(backend, message["options"]["dtype"]):
                answer = _run_layer(keras, message)
        except Exception as exc:
            answer = {"error": f"Keras on {backend}: {type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
