"""Keras on another backend (jax, torch), in a subprocess with KERAS_BACKEND set.

Keras picks its backend once, at import, and this process already runs it on
TensorFlow; so each other backend gets one long-lived worker process
(``python -m lstm_verify.keras_backends BACKEND``) that reads one case per line as
JSON on stdin and answers one line of JSON on stdout: the layer's final h, c and
sequence from ``keras.layers.LSTM(return_sequences=True, return_state=True)``.
JSON floats are Python's exact repr, so the worker gets the very same weights.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

OPTIONS = ("units", "activation", "recurrent_activation", "use_bias", "go_backwards",
           "zero_output_for_mask", "dtype")


def case_message(case):
    """A case as one JSON-able dict: options and arrays (nested lists of floats)."""
    message = {key: getattr(case, key) for key in OPTIONS}
    for key in ("inputs", "kernel", "recurrent_kernel", "bias", "mask", "h0", "c0"):
        value = getattr(case, key)
        message[key] = None if value is None else np.asarray(value).tolist()
    return message


class Worker:
    """One Keras process on ``backend``, started on first use and kept for later cases."""

    def __init__(self, backend):
        self.backend = backend
        self.log = tempfile.TemporaryFile(mode="w+")   # the worker's stderr, for errors
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        if backend == "jax":   # without it jax turns float64 arrays into float32, silently
            env["JAX_ENABLE_X64"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lstm_verify.keras_backends", backend],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
        """(h (B, U), c (B, U), sequence (B, T, U), version) for ``case``."""
        self.process.stdin.write(json.dumps(case_message(case)) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        return (np.array(answer["h"]), np.array(answer["c"]), np.array(answer["sequence"]),
                self.version)

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def _run_layer(keras, message):
    dtype = message["dtype"]
    inputs = np.array(message["inputs"], dtype=dtype)
    layer = keras.layers.LSTM(
        units=message["units"], activation=message["activation"],
        recurrent_activation=message["recurrent_activation"], use_bias=message["use_bias"],
        go_backwards=message["go_backwards"], dtype=dtype,
        zero_output_for_mask=message["zero_output_for_mask"],
        return_sequences=True, return_state=True)
    layer.build(inputs.shape)
    weights = [message["kernel"], message["recurrent_kernel"]]
    weights += [message["bias"]] if message["use_bias"] else []
    layer.set_weights([np.array(w, dtype=dtype) for w in weights])
    kwargs = {"initial_state": [np.array(message[k], dtype=dtype) for k in ("h0", "c0")]}
    if message["mask"] is not None:
        kwargs["mask"] = np.array(message["mask"], dtype=bool)
    sequence, h, c = (keras.ops.convert_to_numpy(v).astype(np.float64).tolist()
                      for v in layer(inputs, **kwargs))
    return {"h": h, "c": c, "sequence": sequence}


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
            answer = _run_layer(keras, json.loads(line))
        except Exception as exc:
            answer = {"error": f"Keras on {backend}: {type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
