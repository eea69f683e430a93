"""explain: the walkthrough's numbers, exact fractions where the maths allows, summaries."""

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from cell_cases import GRU_EXACT, RNN, dec, factor, gru_steps, gru_text, rnn_steps
from conftest import CASES, ROOT, run_cli

from lstm_verify import activations, cells, exact, reference
from lstm_verify.case import load_case
from lstm_verify.cells.teaching import activated, column, evaluate
from lstm_verify.errors import CaseError
from lstm_verify.exact import EXACT, check_against, exact_text, numbers
from lstm_verify.explain import walkthrough

THIRDS = """\
name: hard_sigmoid gives thirds
activation: null
recurrent_activation: hard_sigmoid
inputs: [[1]]
initial_state: {c: [[0.5]]}
weights:
  kernel: [[1, 3, 1, 0]]
  recurrent_kernel: [[0, 0, 0, 0]]
  bias: [0, 0, 0, 0]
"""


def text_of(path, **kwargs):
    return "\n".join(walkthrough(load_case(path), **kwargs))


def test_hard_sigmoid_walkthrough_is_exact_thirds_and_sixths(write_case):
    # z_i = 1 -> i = 1/6 + 1/2 = 2/3; f = 1; c~ = 1; o = 1/2; c = 1·1/2 + 2/3·1 = 7/6
    text = text_of(write_case(THIRDS))
    assert "Arithmetic: exact" in text
    assert "z_i[0] = 1·1 + 0 + 0 = 1;   i[0] = clip(1/6 + 1/2, 0, 1) = 2/3 ≈ 0.6667" in text
    assert "f[0] = clip(3/6 + 1/2, 0, 1) = 1" in text
    assert "o[0] = clip(0/6 + 1/2, 0, 1) = 0.5" in text
    assert "c[0] = 1·0.5 + 2/3·1 = 7/6 ≈ 1.1667" in text
    assert "h[0] = 0.5·7/6 = 7/12" in text
    assert text.endswith("h = [7/12]   c = [7/6]")


def test_seed_example_walkthrough_has_the_articles_numbers():
    text = text_of(CASES / "seed-article-corrected.yaml")
    for line in ("unit 0: z_i[0] = (1·2 + 0·1) + 0 + 3 = 5;   i[0] = 5",
                 "unit 2: z_f[2] = (1·0 + 0·0) + 0 + 0 = 0;   f[2] = 0",
                 "unit 1: z_c[1] = (1·1 + 0·1) + 0 + 1 = 2;   c̃[1] = 2",
                 "unit 0: z_o[0] = (1·0 + 0·0) + 0 + 2 = 2;   o[0] = 2",
                 "unit 1: c[1] = 1·0 + 2·2 = 4",
                 "unit 2: h[2] = 0·1 = 0",          # the article's mistake: o[2] = 0
                 "after step 1: h = [0, 4, 0]   c = [0, 4, 1]"):
        assert line in text


def test_second_step_puts_h_prev_through_the_recurrent_kernel():
    text = text_of(CASES / "two-steps-linear.yaml")
    assert "Step 2: x = [2] (input 2), h_prev = [1, 0], c_prev = [1, 0]" in text
    # z_i[0] = 2·1 + (1·0 + 0·1) + 0 = 2 and c[0] = f·c_prev + i·c~ = 2·1 + 2·3 = 8
    assert "unit 0: z_i[0] = 2·1 + (1·0 + 0·1) + 0 = 2;   i[0] = 2" in text
    assert "unit 0: c[0] = 2·1 + 2·3 = 8" in text
    assert "unit 0: h[0] = 2·8 = 16" in text


def test_masked_and_backwards_steps_are_said_so():
    masked = text_of(CASES / "masking-repeat-output.yaml")
    assert "masked: h and c stay as they were; the output is [2] (the previous output" in masked
    backwards = text_of(CASES / "go-backwards.yaml")
    assert "go_backwards (step 1 reads the last input)" in backwards
    steps = load_case(CASES / "go-backwards.yaml").steps
    assert "Step 1: x = " in backwards and f"(input {steps})" in backwards


def test_curved_activations_give_decimals_at_the_chosen_precision():
    path = CASES / "tanh-sigmoid-three-steps.yaml"
    text = text_of(path, precision=2)
    assert "decimals rounded to 2 places (tanh is not piecewise linear" in text
    assert "i[0] = sigmoid(0.05) = 0.51" in text     # sigmoid(0.05) = 0.51250
    text6 = text_of(path, precision=6)
    assert "i[0] = sigmoid(0.05) = 0.512497" in text6
    with pytest.raises(CaseError, match="--precision is -1"):
        walkthrough(load_case(path), precision=-1)


def test_long_decimals_are_not_treated_as_exact(write_case):
    text = text_of(write_case(THIRDS.replace("[[1, 3, 1, 0]]", "[[1, 3, 1, 0.1234567]]")))
    assert "decimals rounded to 4 places (kernel holds 0.1234567, not a decimal of at most " \
           "6 places)" in text
    assert "i[0] = hard_sigmoid(1) = 0.6667" in text


def random_case(write_case, rng, act, rec, units=2, features=2, steps=3, batch=2, name="r"):
    def one_decimal(*shape):
        return np.round(rng.uniform(-2, 2, shape), 1).tolist()
    mask = (rng.uniform(size=(batch, steps)) > 0.3).tolist()
    text = (f"activation: {act}\nrecurrent_activation: {rec}\n"
            f"go_backwards: {bool(rng.integers(2))}\n"
            f"inputs: {one_decimal(batch, steps, features)}\nmask: {mask}\n"
            f"initial_state: {{h: {one_decimal(batch, units)}, c: {one_decimal(batch, units)}}}\n"
            f"weights:\n  kernel: {one_decimal(features, 4 * units)}\n"
            f"  recurrent_kernel: {one_decimal(units, 4 * units)}\n"
            f"  bias: {one_decimal(4 * units)}\n")
    return load_case(write_case(text, f"{name}.yaml"))


def test_every_piecewise_linear_activation_has_an_exact_form_that_matches_the_reference(
        write_case, monkeypatch):
    assert set(EXACT) == activations.PIECEWISE_LINEAR
    monkeypatch.setattr(exact, "MAX_DENOMINATOR_DIGITS", 10_000)   # long fractions are fine here
    monkeypatch.setattr(exact, "MAX_EXACT_MAGNITUDE", 10 ** 10_000)   # and big numbers
    rng = np.random.default_rng(3)
    for n, name in enumerate(sorted(EXACT)):
        # each activation as the gates' and as the cell's, next to the other roles' linear
        for act, rec in ((name, "hard_sigmoid"), ("linear", name)):
            case = random_case(write_case, rng, act, rec, name=f"{n}-{act}-{rec}")
            num = numbers(case)       # runs the exact pass and checks it against the floats
            assert num.exact, (act, rec, num.note)
            assert all(isinstance(v, Fraction) for v in num.trace.h.ravel())


def test_the_exact_check_catches_a_disagreement(write_case):
    case = load_case(write_case(THIRDS))
    num = numbers(case)
    ref = reference.run(case)
    check_against(num.trace, ref)
    num.trace.c_tilde[0, 0, 0] += Fraction(1, 10**6)
    with pytest.raises(AssertionError, match="c_tilde"):
        check_against(num.trace, ref)


def test_growing_fractions_fall_back_to_decimals(write_case):
    steps = 10   # hard_sigmoid of one-decimal sums: denominators multiply step after step
    text = (f"activation: null\nrecurrent_activation: hard_sigmoid\ninputs: {[[0.3]] * steps}\n"
            "weights:\n  kernel: [[0.7, 0.3, 0.9, 0.1]]\n"
            "  recurrent_kernel: [[0.1, 0.3, 0.7, 0.3]]\n  bias: [0.1, 0.2, 0.3, 0.4]\n")
    num = numbers(load_case(write_case(text)))
    assert not num.exact
    assert "exact fractions grew past 7-digit denominators by step" in num.note


def test_exact_text():
    assert [exact_text(Fraction(*q)) for q in ((5, 1), (-3, 2), (1, 4), (7, 6), (-2, 3))] == \
        ["5", "-1.5", "0.25", "7/6", "-2/3"]


def test_big_case_is_summarised_and_says_what_it_left_out(write_case):
    rng = np.random.default_rng(5)
    case = random_case(write_case, rng, "tanh", "sigmoid", units=10, features=8, steps=10,
                       batch=3)
    lines = walkthrough(case)
    text = "\n".join(lines)
    assert ("Summarised (a big case): units 2–9 follow the same formulas and are given as "
            "values only; steps 3–9 are given as their h and c only; sequence 0 is walked "
            "through; sequences 1–2 appear in the final state only; dot products of more "
            "than 6 terms are given by their value.") in text
    assert "unit 1: z_i[1] = [x·W: " in text and "unit 2: z_i" not in text
    assert "    all units: i = [" in text and "… (10 values)]" in text
    step3 = [line for line in lines if line.startswith("Step 3")]
    assert len(step3) == 1 and " h = [" in step3[0]
    assert "Step 10 of sequence 0: x = " in text and "of sequence 1" not in text
    assert "  sequence 2: h = [" in text   # every sequence's final state is still given
    assert len(lines) < 200


def test_explain_command_runs_without_tensorflow():
    code = ("import sys; sys.argv = ['lstm-verify'] + sys.argv[1:]; "
            "from lstm_verify.cli import main; rc = main(sys.argv[1:]); "
            "print('IMPORTED', any(m == 'tensorflow' or m.startswith('tensorflow.') or "
            "m == 'keras' or m.startswith('keras.') for m in sys.modules)); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, "explain",
                             str(CASES / "batch-of-two.yaml")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "f[1] = clip(0/6 + 1/2, 0, 1) = 0.5" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "IMPORTED False"


def test_explain_bad_precision_is_a_usage_error():
    result = run_cli("explain", CASES / "seed-article.yaml", "--precision", "99")
    assert result.returncode == 2
    assert "--precision is 99, expected a whole number of decimal places from 0 to 15" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_linear_integer_case_stops_exact_arithmetic_when_numbers_explode(write_case):
    # A 1-unit linear LSTM roughly squares h every step: in fractions the integers reach
    # millions of digits by step 20 and the walkthrough never finished. Past 1e15 the
    # walkthrough falls back to decimals and says why (bounded on magnitude as well as
    # on denominators).
    inputs = ", ".join(["[1]"] * 20)
    case = load_case(write_case(f"""\
units: 1
activation: null
recurrent_activation: null
inputs: [{inputs}]
weights: {{kernel: [[1, 1, 1, 1]], recurrent_kernel: [[2, 2, 2, 2]], bias: [1, 1, 1, 1]}}
"""))
    num = numbers(case)
    assert not num.exact
    assert "exact numbers grew past 1e+15 in size by step 4" in num.note


# --- every cell: the GRU and the SimpleRNN walked through with their own equations -----

@pytest.mark.parametrize("reset_after", ["true", "false"])
def test_gru_walkthrough_puts_the_numbers_into_each_gate(write_case, reset_after):
    text = text_of(write_case(gru_text(reset_after)))
    one, two = gru_steps(reset_after)
    r, z, h_tilde, h = one["r"], one["z"], one["h_tilde"], one["h"]
    assert "activation tanh, recurrent_activation sigmoid, reset_after " + reset_after in text
    assert "Step 1: x = [0.5, -1] (input 1), h_prev = [0.1, -0.2]\n" in text
    assert "c_prev" not in text and "cell state" not in text
    biases = "0.1 + 0.05" if reset_after == "true" else "0.15"
    assert (f"    unit 0: z_z[0] = (0.5·0.1 + (-1)·0.7) + (0.1·0.2 + (-0.2)·0.1) + {biases} = "
            f"{dec(one['z_z'][0])};   z[0] = sigmoid({dec(one['z_z'][0])}) = {dec(z[0])}\n"
            ) in text
    if reset_after == "true":    # the reset gate scales h_prev·U_h and its recurrent bias
        assert ("  candidate h̃ = tanh(z_h),   z_h = x·W_h + b_h,in + r·(h_prev·U_h + "
                "b_h,rec)\n") in text
        put_in = (f"(0.5·0.5 + (-1)·(-0.2)) + 0.3 + {factor(r[0])}·((0.1·(-0.5) + "
                  "(-0.2)·0.4) + 0.1)")
    else:                        # the reset gate scales h_prev before U_h
        reset = r * [0.1, -0.2]
        assert ("  candidate h̃ = tanh(z_h),   z_h = x·W_h + (r·h_prev)·U_h + b_h\n"
                f"    r·h_prev = [{dec(reset[0])}, {dec(reset[1])}]\n") in text
        put_in = (f"(0.5·0.5 + (-1)·(-0.2)) + ({factor(reset[0])}·(-0.5) + "
                  f"{factor(reset[1])}·0.4) + 0.4")
    assert (f"    unit 0: z_h[0] = {put_in} = {dec(one['z_h'][0])};   h̃[0] = "
            f"tanh({dec(one['z_h'][0])}) = {dec(h_tilde[0])}\n") in text
    assert "  hidden state h = z·h_prev + (1 − z)·h̃\n" in text
    assert (f"    unit 1: h[1] = {factor(z[1])}·(-0.2) + {factor(1 - z[1])}·"
            f"{factor(h_tilde[1])} = {dec(h[1])}\n") in text
    final = f"h = [{dec(two['h'][0])}, {dec(two['h'][1])}]"
    assert f"  after step 2: {final}\n" in text and text.endswith(f"Final state:\n  {final}")


def test_simple_rnn_walkthrough_is_one_activation_per_step(write_case):
    text = text_of(write_case(RNN))
    steps = rnn_steps()
    assert "units 2, input_dim 2, 3 steps, batch 1; activation tanh\n" in text
    assert ("Equations (Keras's SimpleRNNCell; W_h, U_h, b_h are kernel, recurrent_kernel, "
            "bias):\n  z_h = x·W_h + h_prev·U_h + b_h\n  h = tanh(z_h)\n") in text
    h1, two = steps[0]["h"], steps[1]
    assert f"Step 2: x = [-1, 0.5] (input 2), h_prev = [{dec(h1[0])}, {dec(h1[1])}]\n" in text
    # unit 1 reads column 1: kernel (-0.3, 0.8), recurrent_kernel (0.4, 0.3), bias -0.1
    assert (f"  hidden state h = tanh(z_h),   z_h = x·W_h + h_prev·U_h + b_h\n"
            f"    unit 0: z_h[0] = ((-1)·0.5 + 0.5·0.2) + ({factor(h1[0])}·0.1 + "
            f"{factor(h1[1])}·(-0.6)) + 0.05 = {dec(two['z_h'][0])};   h[0] = "
            f"tanh({dec(two['z_h'][0])}) = {dec(two['h'][0])}\n"
            f"    unit 1: z_h[1] = ((-1)·(-0.3) + 0.5·0.8) + ({factor(h1[0])}·0.4 + "
            f"{factor(h1[1])}·0.3) + (-0.1) = {dec(two['z_h'][1])};   h[1] = "
            f"tanh({dec(two['z_h'][1])}) = {dec(two['h'][1])}\n") in text
    final = steps[-1]["h"]
    assert text.endswith(f"Final state:\n  h = [{dec(final[0])}, {dec(final[1])}]")


def test_gru_walkthrough_is_exact_with_piecewise_linear_activations(write_case):
    # step 1, x = [1, 0], h_prev = 0: z_z = (1, 2) + b_in (0, 1) + b_rec (1, 0) = (2, 3), so
    # z = (2/6 + 1/2, 1) = (5/6, 1); z_r = (3, 0), r = (1, 1/2); z_h = x·W_h + b_h,in +
    # r·(0 + b_h,rec) = (1 + 1 + 0, -1 + 0 + 1/2·2) = (2, 0); h = (1 − z)·h~ = (1/3, 0).
    # step 2, x = [0, -2], h_prev = (1/3, 0): z_z[0] = 0 + 1/3·0.5 + 0 + 1 = 7/6, z[0] =
    # 7/36 + 1/2 = 25/36; z_r[0] = -2, r[0] = 1/6; z_h[0] = 2 + 1 + 1/6·(1/3) = 55/18;
    # h[0] = 25/36·1/3 + 11/36·55/18 = 755/648.  Unit 1: z = 1/3, r = 1/2, h~ = -4 + 0 +
    # 1/2·(0 + 2) = -3, h = 2/3·(-3) = -2.
    text = text_of(write_case(GRU_EXACT))
    assert "Arithmetic: exact, because every activation (linear and hard_sigmoid)" in text
    for line in ("    unit 0: z_z[0] = (1·1 + 0·0) + 0 + 0 + 1 = 2;   z[0] = "
                 "clip(2/6 + 1/2, 0, 1) = 5/6 ≈ 0.8333",
                 "    unit 1: z_h[1] = (1·(-1) + 0·2) + 0 + 0.5·(0 + 2) = 0;   h̃[1] = 0",
                 "    unit 0: h[0] = 5/6·0 + 1/6·2 = 1/3 ≈ 0.3333",
                 "    unit 0: z_z[0] = (0·1 + (-2)·0) + (1/3·0.5 + 0·0) + 0 + 1 = 7/6;   "
                 "z[0] = clip((7/6)/6 + 1/2, 0, 1) = 25/36 ≈ 0.6944",
                 "r[0] = clip((-2)/6 + 1/2, 0, 1) = 1/6",
                 "    unit 0: z_h[0] = (0·1 + (-2)·(-1)) + 1 + 1/6·((1/3·1 + 0·0) + 0) = "
                 "55/18;   h̃[0] = 55/18 ≈ 3.0556",
                 "    unit 0: h[0] = 25/36·1/3 + 11/36·55/18 = 755/648 ≈ 1.1651",
                 "    unit 1: h[1] = 1/3·0 + 2/3·(-3) = -2",
                 "  after step 2: h = [755/648, -2]"):
        assert line in text, line
    assert all(isinstance(v, Fraction) for v in numbers(load_case(write_case(GRU_EXACT)))
               .trace.h_tilde.ravel())


VARIANTS = {"lstm": "", "gru": "cell: gru\n", "gru, reset_after false":
            "cell: gru\nreset_after: false\n", "gru, no bias": "cell: gru\nuse_bias: false\n",
            "simple_rnn": "cell: simple_rnn\n"}


def cell_case(write_case, rng, head, units=2, features=2, steps=3, batch=2, mask=None,
              name="case.yaml"):
    """A random one-decimal case for the cell that ``head`` (its first lines) names;
    ``mask`` (batch, steps) by default random, and then go_backwards too."""
    cell = cells.get("gru" if "gru" in head else "simple_rnn" if "simple" in head else "lstm")
    n = len(cell.blocks)

    def one_decimal(*shape):
        return np.round(rng.uniform(-2, 2, shape), 1).tolist()
    no_bias = "use_bias: false" in head
    two_rows = cell.name == "gru" and "reset_after: false" not in head
    bias = "" if no_bias else (f"  bias: {one_decimal(2, n * units)}\n" if two_rows
                               else f"  bias: {one_decimal(n * units)}\n")
    state = ", ".join(f"{s}: {one_decimal(batch, units)}" for s in cell.states)
    backwards = mask is None and bool(rng.integers(2))
    mask = (rng.uniform(size=(batch, steps)) > 0.3).tolist() if mask is None else mask
    text = (head + f"go_backwards: {backwards}\n"
            f"inputs: {one_decimal(batch, steps, features)}\nmask: {mask}\n"
            + f"initial_state: {{{state}}}\n"
            f"weights:\n  kernel: {one_decimal(features, n * units)}\n"
            f"  recurrent_kernel: {one_decimal(units, n * units)}\n" + bias)
    return load_case(write_case(text, name))


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_cells_teaching_expressions_compute_what_its_step_computes(write_case, variant):
    # the walkthrough writes out the cell's expressions; they must be the step's own sums
    rng = np.random.default_rng(7)
    case = cell_case(write_case, rng, VARIANTS[variant])
    trace, cell = reference.run(case), case.cell
    weights = {"kernel": case.kernel, "recurrent_kernel": case.recurrent_kernel,
               "bias": case.bias}
    act = {"activation": activations.get(case.activation),
           "recurrent": activations.get(case.recurrent_activation)}
    act = {role: (lambda v, f=f: float(f(np.array([v]))[0])) for role, f in act.items()}
    checked = 0
    for k in range(case.steps):
        for b in range(case.batch):
            values = {**{q: series[k, b] for q, series in trace.steps.items()},
                      "x": trace.x[k, b]}
            for u in range(case.units):
                for gate in activated(cell):
                    expr = cell.teaching.pre_activation(gate.block, case)
                    col = column(case, gate.block, u)
                    z = evaluate(expr, values, u, weights, col, act)
                    assert z == pytest.approx(values[f"z_{gate.block}"][u], abs=1e-12)
                    if not (gate.name in cell.states and trace.masked[k, b]):
                        assert act[gate.role](z) == pytest.approx(values[gate.name][u],
                                                                  abs=1e-12)
                for update in cell.teaching.updates:
                    if not trace.masked[k, b]:   # a masked step keeps the state before it
                        assert evaluate(update.expression, values, u, act=act) == \
                            pytest.approx(values[update.name][u], abs=1e-12)
                        checked += 1
    assert checked or not cell.teaching.updates


def test_big_gru_walkthrough_is_summarised_in_its_own_states(write_case):
    rng = np.random.default_rng(11)
    mask = [[t != 1 for t in range(10)], [True] * 10, [True] * 10]   # step 2 of sequence 0
    case = cell_case(write_case, rng, "cell: gru\nactivation: tanh\n", units=6, features=3,
                     steps=10, batch=3, mask=mask)
    text = "\n".join(walkthrough(case))
    assert ("Summarised (a big case): units 2–5 follow the same formulas and are given as "
            "values only; steps 3–9 are given as their h only; sequence 0 is walked through; "
            "sequences 1–2 appear in the final state only.") in text
    assert "    all units: h̃ = [" in text and "    all units: h = [" in text
    assert "c_prev" not in text and " c = " not in text
    assert "  sequence 2: h = [" in text
    assert "\nStep 2 of sequence 0: x = [" in text
    assert "\n  masked: h stays as it was; the output is [" in text
