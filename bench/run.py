"""Speed benchmark for lstm-verify (issue 5, part 3). Not a test: prints RATIOS measured
side by side in one run, each the median of a few repeats.

    python3 bench/run.py            # about a minute or two
    BENCH_SUITE=20 python3 bench/run.py   # fewer suite cases, quicker
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REPEATS = 3
SMALL = ("units: 2\ninputs: [[1], [2]]\nweights:\n  kernel: [[1, 0, 1, 1, 1, 2, 0, 1]]\n"
         "  recurrent_kernel: [[0, 1, 0, 0, 1, 0, 1, 0], [1, 0, 0, 0, 0, 1, 0, 1]]\n"
         "  bias: [0, 0, 0, 0, 0, 0, 1, 0]\n")
ENV = {k: v for k, v in dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3").items()
       if k != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(func, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(*funcs, repeats=5):
    """The median time of each function, measured in turns (a, b, a, b, ...), so a change
    in the machine's load falls on both sides of a ratio alike."""
    times = [[] for _ in funcs]
    for _ in range(repeats):
        for func, kept in zip(funcs, times):
            start = time.perf_counter()
            func()
            kept.append(time.perf_counter() - start)
    return [statistics.median(kept) for kept in times]


def run_process(args):
    return lambda: subprocess.run(args, capture_output=True, check=False, env=ENV, cwd=ROOT)


def row(what, seconds, baseline, target):
    ratio = seconds / baseline
    verdict = "ok" if ratio <= target else f"MISSED by {ratio / target:.2f}x"
    print(f"{what:<52} {seconds * 1000:9.1f} ms {ratio:7.2f}x  target <= {target}x  {verdict}")


def startup(tmp):
    case = tmp / "small.yaml"
    case.write_text(SMALL)
    base = median_seconds(run_process([sys.executable, "-c", "import numpy, yaml"]))
    print(f"{'baseline: python -c ' + repr('import numpy, yaml'):<52} {base * 1000:9.1f} ms")
    for command in ("validate", "calc"):
        took = median_seconds(run_process([sys.executable, "cli.py", command, str(case)]))
        row(f"start-up: {command} small case", took, base, 1.5)


# cell -> (number of weight blocks, bias text for 2 units)
SUITE_CELLS = {"lstm": (4, "[0, 0, 0, 0, 0, 0, 0, 0]"),
               "gru": (3, "[[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]"),
               "simple_rnn": (1, "[0, 0]")}


def suite(tmp, count, cells=("lstm",), shapes=1, target=1.3):
    """verify on ``count`` small cases cycling through ``cells``; with ``shapes`` > 1 the
    cases also vary in units, input_dim, steps, batch and options (``shapes`` distinct
    layers, as a real suite has)."""
    folder = tmp / f"suite-{'-'.join(cells)}-{shapes}"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for n in range(count):
        cell = cells[n % len(cells)]
        shape = n % shapes
        units, features = 1 + shape % 4, 1 + (shape // 4) % 3
        steps, batch = 1 + n % 5, 1 + n % 2
        blocks = SUITE_CELLS[cell][0]
        two_rows = cell == "gru"
        bias = np.round(rng.normal(size=(2, blocks * units) if two_rows else blocks * units), 3)
        options = ["go_backwards: true"] if shape >= 12 and shape % 2 else []
        (folder / f"c{n:03}.yaml").write_text("\n".join([
            f"cell: {cell}", f"units: {units}", *options,
            f"inputs: {np.round(rng.normal(size=(batch, steps, features)), 2).tolist()}",
            "weights:",
            f"  kernel: {np.round(rng.normal(size=(features, blocks * units)), 3).tolist()}",
            f"  recurrent_kernel: {np.round(rng.normal(size=(units, blocks * units)), 3).tolist()}",
            f"  bias: {bias.tolist()}", ""]))
    base = median_seconds(run_process([sys.executable, "-c", "import tensorflow"]), 2)
    print(f"{'baseline: python -c ' + repr('import tensorflow'):<52} {base * 1000:9.1f} ms")
    result = subprocess.run([sys.executable, "cli.py", "verify", str(folder)],
                            capture_output=True, text=True, env=ENV, cwd=ROOT)
    assert f"{count} cases: {count} passed" in result.stdout, result.stdout[-500:]
    took = median_seconds(run_process([sys.executable, "cli.py", "verify", str(folder)]), 2)
    kinds = f"{shapes} shapes" if shapes > 1 else "one shape"
    from lstm_verify.parallel import auto_jobs
    row(f"suite: verify {count} {'/'.join(cells)} cases, {kinds}", took, base, target)
    print(f"{'   (processes it chose now: %d)' % auto_jobs(count):<52}")
    alone = median_seconds(run_process([sys.executable, "cli.py", "verify", "--jobs", "1",
                                        str(folder)]), 1)
    print(f"{'   the same with --jobs 1 (one process)':<52} {alone * 1000:9.1f} ms "
          f"{alone / base:7.2f}x  (information)")
    print(f"{'   per case after start-up, one process':<52} "
          f"{(alone - base) / count * 1000:9.1f} ms")


def big_yaml_case(tmp, steps):
    """A case with ``steps`` x 10 six-decimal inputs written inline (~110 bytes a step):
    the plain YAML a user might keep without a .npz."""
    rng = np.random.default_rng(2)
    rows = ",\n  ".join("[" + ", ".join(f"{v:.6f}" for v in row) + "]"
                        for row in rng.normal(size=(steps, 10)))
    path = tmp / f"big-{steps}.yaml"
    path.write_text(f"units: 2\ninputs:\n  [{rows}]\nweights:\n"
                    f"  kernel: {np.round(rng.normal(size=(10, 8)), 1).tolist()}\n"
                    f"  recurrent_kernel: {np.round(rng.normal(size=(2, 8)), 1).tolist()}\n"
                    "  bias: [0, 0, 0, 0, 0, 0, 0, 0]\n")
    return path


def big_yaml(tmp):
    """validate on a 13 MB plain YAML case, against libyaml's event parse of the same file
    (the floor: reading it at all), and how time grows when the case doubles."""
    took = {}
    for steps in (60_000, 120_000):
        path = big_yaml_case(tmp, steps)
        took[steps] = median_seconds(run_process(
            [sys.executable, "cli.py", "validate", str(path), "--max-values", "2000000"]), 1)
    floor = median_seconds(run_process([sys.executable, "-c", (
        "import yaml; text = open(%r).read(); "
        "sum(1 for _ in yaml.parse(text, Loader=yaml.CSafeLoader))") % str(path)]), 1)
    size = path.stat().st_size / 2**20
    print(f"{'baseline: libyaml events of a %.0f MiB case' % size:<52} {floor * 1000:9.1f} ms")
    row(f"large YAML: validate a {size:.0f} MiB case", took[120_000], floor, 4.0)
    print(f"{'   time when the case doubles':<52} x{took[120_000] / took[60_000]:.2f} "
          "(linear is x2)")


def large_case(batch=32, steps=256, features=64, units=128, name="large", cell="lstm"):
    from lstm_verify import cells
    from lstm_verify.case import Case
    description = cells.get(cell)
    n = len(description.blocks)
    rng = np.random.default_rng(1)
    return Case(path=Path(f"{name}.yaml"), name=name, cell=description,
                inputs=rng.normal(size=(batch, steps, features)),
                kernel=rng.normal(size=(features, n * units)) * 0.1,
                recurrent_kernel=rng.normal(size=(units, n * units)) * 0.1,
                bias=np.zeros(description.bias_shape(units)[0]), h0=np.zeros((batch, units)),
                c0=np.zeros((batch, units)) if "c" in description.states else None)


def large(case):
    from lstm_verify import forward, keras_run
    keras = keras_run._import_keras()
    layer = getattr(keras.layers, case.cell.keras_layer)(case.units, return_sequences=True,
                                                         return_state=True)
    x = case.inputs.astype("float32")
    layer(x)  # build and trace once
    b, t, f = case.inputs.shape
    u, n = case.units, len(case.cell.blocks)
    a, w, r = np.ones((b, f)), case.kernel, case.recurrent_kernel
    h = np.ones((b, u))
    forward.run(case)
    ref, ker, per_step = side_by_side(lambda: forward.run(case), lambda: layer(x),
                                      lambda: [a @ w + h @ r for _ in range(t)])
    flops = 2 * b * t * (f + u) * n * u
    print(f"{'numpy matmul rate on these shapes':<52} {flops / per_step / 1e9:9.1f} GFLOP/s")
    row(f"large: reference vs keras.layers.{case.cell.keras_layer} forward", ref, ker, 1.0)
    row(f"large {case.cell.title}: reference vs its matmul floor", ref, per_step, 3.0)


def large_backward(case):
    """The backward reference (forward and BPTT) against a GradientTape pass (forward and
    gradients) through the Keras layer, on the same input."""
    import tensorflow as tf

    from lstm_verify import backward, forward, keras_run
    keras = keras_run._import_keras()
    rng = np.random.default_rng(2)
    upstream = rng.normal(size=(case.batch, case.steps, case.units))
    case.backward = {"upstream": {"sequence": upstream}}
    ours = median_seconds(lambda: backward.run(case, forward.run(case)))
    layer = getattr(keras.layers, case.cell.keras_layer)(case.units, return_sequences=True)
    x = tf.constant(case.inputs.astype("float32"))
    up = tf.constant(upstream.astype("float32"))
    layer(x)

    def tape():
        with tf.GradientTape() as t:
            t.watch(x)
            loss = tf.reduce_sum(layer(x) * up)
        return t.gradient(loss, [x] + layer.trainable_weights)
    tape()
    theirs = median_seconds(tape)
    row(f"large: backward reference vs GradientTape ({case.cell.title})", ours, theirs, 2.0)


def capture_vs_layer(case):
    """The gate capture (keras_run.run: Keras's RNN loop over the recording cell, one run)
    against one call of the plain Keras layer on the same input."""
    from lstm_verify import keras_run
    keras = keras_run._import_keras()
    layer = getattr(keras.layers, case.cell.keras_layer)(case.units, return_sequences=True,
                                                         return_state=True)
    x = case.inputs.astype("float32")
    layer(x)
    plain = median_seconds(lambda: layer(x), 1)
    keras_run.run(case)
    capture = median_seconds(lambda: keras_run.run(case), 1)
    row(f"gate capture vs one call of keras.layers.{case.cell.keras_layer}", capture, plain,
        3.0)


def capture_growth():
    from lstm_verify import keras_run
    print("gate capture (keras_run.run): time and peak Python-side memory (tracemalloc)")
    last = None
    for batch, steps in ((32, 64), (32, 128), (32, 256), (8, 256), (16, 256)):
        case = large_case(batch=batch, steps=steps)
        tracemalloc.start()
        took = median_seconds(lambda: keras_run.run(case), 1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        note = ""
        if last and (batch, steps) != (8, 256):
            note = f"  x{took / last[0]:.2f} time, x{peak / last[1]:.2f} memory per doubling"
        print(f"   batch {batch:3} steps {steps:4}: {took:7.2f} s {peak / 2**20:8.1f} MiB{note}")
        last = (took, peak)


def main():
    print(f"lstm-verify benchmark, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} (a shared machine inflates absolute times, not ratios)")
    # start-up as installed: with bytecode compiled (a shell with PYTHONDONTWRITEBYTECODE
    # would otherwise compile every edited module from source on every run)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "lstm_verify", "cli.py"],
                   check=True, cwd=ROOT, env=ENV)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        startup(tmp)
        big_yaml(tmp)
        count = int(os.environ.get("BENCH_SUITE", "100"))
        suite(tmp, count, target=1.3)
        suite(tmp, count + 12, cells=("lstm", "gru", "simple_rnn"), shapes=28, target=1.6)
    large(large_case(steps=512))
    large(large_case(cell="gru", steps=512))
    capture_vs_layer(large_case(steps=512))
    large_backward(large_case())
    capture_growth()


if __name__ == "__main__":
    main()
