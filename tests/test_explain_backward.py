"""explain and export of the backward pass: the walkthrough's numbers worked out here
independently (numpy lines in the test, not the package), exact fractions checked
against the float BPTT, the LaTeX compiling and the HTML page in a real Chromium."""

import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest
from conftest import CASES, run_cli
from test_export import LATEX_SAFE, latex_structure_ok

from lstm_verify import activations, backward
from lstm_verify.case import load_case
from lstm_verify.render.exact import EXACT_SLOPE
from lstm_verify.render.exact_backward import backward_numbers
from lstm_verify.render.explain import walkthrough
from lstm_verify.render.export import render

BACKWARD = CASES / "backward"


def text_of(path):
    return "\n".join(walkthrough(load_case(path)))


def vec(values):
    """A vector as the walkthrough writes integers and fractions: [4, -5/6]."""
    return "[" + ", ".join(q(v) for v in values) + "]"


def q(value):
    """4, 4.5 (a short decimal), -29/6."""
    value = Fraction(value).limit_denominator(10_000)
    if value.denominator == 1:
        return str(value.numerator)
    if 10 ** 6 % value.denominator == 0:
        return str(float(value))
    return f"{value.numerator}/{value.denominator}"


def lstm_linear(case_path):
    """The LSTM with linear activations, forward then backward, written out here:
    z = x·K + h·R + b; c = f·c_prev + i·c̃; h = o·c; then, from the last step,
    do = dh·c, dc = dc_in + dh·o, di = dc·c̃, df = dc·c_prev, dc̃ = dc·i, dz = (di, df, dc̃, do),
    dh_prev = dz·Rᵀ, dc_prev = dc·f, dx = dz·Kᵀ, dK = Σ xᵀ·dz."""
    case = load_case(case_path)
    K, R, b = case.kernel, case.recurrent_kernel, case.bias
    x = case.inputs[0]
    h, c = np.zeros(case.units), np.zeros(case.units)
    steps = []
    for x_t in x:
        i, f, c_tilde, o = np.split(x_t @ K + h @ R + b, 4)
        c_prev, h_prev = c, h
        c = f * c_prev + i * c_tilde
        h = o * c
        steps.append(dict(x=x_t, i=i, f=f, c_tilde=c_tilde, o=o, c=c, c_prev=c_prev,
                          h_prev=h_prev))
    up = case.backward["upstream"]
    d_out = up.get("sequence", np.zeros((1, len(x), case.units)))[0]
    dh_later = up.get("h", np.zeros((1, case.units)))[0]
    dc_in = up.get("c", np.zeros((1, case.units)))[0]
    out, dK = [], np.zeros_like(K)
    for s, d_output in zip(reversed(steps), reversed(d_out)):
        dh = d_output + dh_later
        do = dh * s["c"]
        dc = dc_in + dh * s["o"]
        di, df, dc_tilde = dc * s["c_tilde"], dc * s["c_prev"], dc * s["i"]
        dz = np.concatenate([di, df, dc_tilde, do])
        out.append(dict(d_output=d_output, dh_later=dh_later, dh=dh, dc_in=dc_in, do=do,
                        dc=dc, di=di, df=df, dc_tilde=dc_tilde, s=s))
        dK += np.outer(s["x"], dz)
        dh_later, dc_in = dz @ R.T, dc * s["f"]
    return out[::-1], dK, dh_later, dc_in


def test_one_step_lstm_walkthrough_has_the_hand_numbers():
    text = text_of(BACKWARD / "one-step-by-hand.yaml")
    (step,), dK, dh0, dc0 = lstm_linear(BACKWARD / "one-step-by-hand.yaml")
    assert "Backward pass (backpropagation through time)" in text
    assert "upstream gradients given: dL/d(final h)" in text
    assert "dc = dc_in + dh·o·linear'(c)" in text
    assert (f"dh = dL/d(output_1) + dL/d(final h) = {vec(step['d_output'])} + "
            f"{vec(step['dh_later'])} = {vec(step['dh'])}") in text
    for u in range(2):
        s = step["s"]
        assert f"unit {u}: do[{u}] = {q(step['dh'][u])}·{q(s['c'][u])} = {q(step['do'][u])}" \
            in text
        assert (f"unit {u}: dc[{u}] = 0 + {q(step['dh'][u])}·{q(s['o'][u])}·1 = "
                f"{q(step['dc'][u])}") in text
        assert (f"unit {u}: dc̃[{u}] = {q(step['dc'][u])}·{q(s['i'][u])} = "
                f"{q(step['dc_tilde'][u])}") in text
        assert f"unit {u}: dz_i[{u}] = {q(step['di'][u])}·1 = {q(step['di'][u])}" in text
    assert f"to the initial state: dh_prev = {vec(dh0)}, dc_prev = {vec(dc0)}" in text
    assert "dL/dkernel = [" + ", ".join(vec(row) for row in dK) + "]" in text
    # the case's own numbers, for the record: do = dh·c = [2, 2], di = dc·c̃ = [4, 2]
    assert "unit 0: di[0] = 2·2 = 4" in text and "unit 1: do[1] = 1·2 = 2" in text


def test_three_step_lstm_walkthrough_goes_backwards_with_the_carry():
    text = text_of(BACKWARD / "three-steps-by-hand.yaml")
    steps, dK, dh0, dc0 = lstm_linear(BACKWARD / "three-steps-by-hand.yaml")
    assert text.index("Step 3, backwards") < text.index("Step 2, backwards") \
        < text.index("Step 1, backwards")
    for t, step in enumerate(steps, start=1):
        later = "dL/d(final h)" if t == 3 else f"from step {t + 1}"
        assert (f"dh = dL/d(output_{t}) + {later} = {vec(step['d_output'])} + "
                f"{vec(step['dh_later'])} = {vec(step['dh'])}") in text
        if t < 3:
            assert f"dc_in = from step {t + 1} = {vec(step['dc_in'])}" in text
        for u in range(2):
            assert (f"unit {u}: dc[{u}] = {q(step['dc_in'][u])} + {q(step['dh'][u])}·"
                    f"{q(step['s']['o'][u])}·1 = {q(step['dc'][u])}") in text
            assert (f"unit {u}: df[{u}] = {q(step['dc'][u])}·{q(step['s']['c_prev'][u])} = "
                    f"{q(step['df'][u])}") in text
    # step 2 receives the carry f_3·dc_3 = [2·1, 1·2]: the path the known mistake leaves out
    assert "dc_in = from step 3 = [2, 2]" in text
    assert "dL/dkernel = [" + ", ".join(vec(row) for row in dK) + "]" in text
    assert f"dh_0 = {vec(dh0)}   dc_0 = {vec(dc0)}" in text


def hard_sigmoid(z):
    return np.array([min(max(v / 6 + Fraction(1, 2), Fraction(0)), Fraction(1)) for v in z],
                    dtype=object)


def test_gru_walkthrough_has_exact_sixths():
    case = load_case(BACKWARD / "gru-one-step.yaml")
    frac = np.vectorize(lambda v: Fraction(str(v)), otypes=[object])
    K, R, bias = frac(case.kernel), frac(case.recurrent_kernel), frac(case.bias)
    x, h_prev, U = frac(case.inputs[0, 0]), frac(case.h0[0]), 2
    # reset_after: z_h = x·W_h + b_in + r·(h_prev·U_h + b_rec); h = z·h_prev + (1 − z)·h~
    x_part, h_part = x @ K + bias[0], h_prev @ R + bias[1]
    z = hard_sigmoid(x_part[:U] + h_part[:U])
    r = hard_sigmoid(x_part[U:2 * U] + h_part[U:2 * U])
    z_z = x_part[:U] + h_part[:U]
    h_tilde = x_part[2 * U:] + r * h_part[2 * U:]          # linear candidate
    dh = np.array([Fraction(1), Fraction(1)], dtype=object)
    dz = dh * (h_prev - h_tilde)
    dh_tilde = dh * (1 - z)
    dr = dh_tilde * h_part[2 * U:]
    slope_z = np.array([Fraction(1, 6) if -3 < v < 3 else Fraction(0) for v in z_z])
    text = text_of(BACKWARD / "gru-one-step.yaml")
    assert "dz = dh·(h_prev − h̃)" in text and "dr = dz_h·(h_prev·U_h + b_h,rec)" in text
    for u in range(U):
        shown_h = q(h_prev[u]) if h_prev[u] >= 0 else f"({q(h_prev[u])})"
        assert f"unit {u}: dz[{u}] = 1·({shown_h} − {q(h_tilde[u])}) = " in text
        assert f"unit {u}: dh̃[{u}] = 1·(1 − {q(z[u])}) = {q(dh_tilde[u])}" in text
        assert f"unit {u}: dr[{u}] = {q(dr[u])}" in text
        dz_z = dz[u] * slope_z[u]
        assert f"dz_z[{u}] = " in text and f"= {q(dz_z)}" in text
    assert "unit 1: dz[1] = 1·((-3) − 11/6) = -29/6" in text
    assert "unit 1: dz_z[1] = (-29/6)·1/6 = -29/36 ≈ -0.8056" in text
    assert "unit 0: dz_z[0] = (-1.5)·0 = 0" in text    # z_z = 3: hard_sigmoid's corner, slope 0


def test_simple_rnn_walkthrough_uses_relus_slope():
    case = load_case(BACKWARD / "simple-rnn-two-steps.yaml")
    K, R, b = case.kernel, case.recurrent_kernel, case.bias
    h, z_list = case.h0[0], []
    for x_t in case.inputs[0]:
        z_h = x_t @ K + h @ R + b
        z_list.append(z_h)
        h = np.maximum(z_h, 0)
    up = case.backward["upstream"]["sequence"][0]
    dh_later, lines = np.zeros(2), []
    for t in (2, 1):
        dh = up[t - 1] + dh_later
        slope = (z_list[t - 1] > 0).astype(float)
        dz_h = dh * slope
        lines += [f"unit {u}: dz_h[{u}] = {q(dh[u])}·{q(slope[u])} = {q(dz_h[u])}"
                  for u in range(2)]
        dh_later = dz_h @ R.T
    text = text_of(BACKWARD / "simple-rnn-two-steps.yaml")
    assert "dz_h = dh·relu'(z_h)" in text and "to step t-1: dh_prev = dz_h·Uᵀ" in text
    for line in lines:
        assert line in text
    assert f"dh_0 = {vec(dh_later)}" in text


HARD_SIGMOID_CASE = """\
name: hard_sigmoid gates, squared error, a masked step
activation: null
recurrent_activation: hard_sigmoid
inputs: [[[1, 0], [0, -2], [3, 1]], [[0, 1], [1, 1], [-1, 0]]]
mask: [[true, true, true], [true, false, true]]
initial_state: {h: [[0.5, 0], [0, -1]], c: [[1, 0], [0, 0.5]]}
weights:
  kernel: [[3, 0, 3, 0, 1, -1, 0, 3], [0, 3, 1, 0, -1, 2, 3, 0]]
  recurrent_kernel: [[0, 0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1, 0, 0]]
  bias: [0, 0, 0, 0, 0, 0, 0, 1]
backward:
  loss: {squared_error: {target: [[[1, 0], [0, 1], [0.5, 0.5]], [[0, 0], [1, 0], [0, 1]]],
                         of: sequence}}
"""


def test_exact_backward_fractions_match_the_float_bptt(write_case):
    case = load_case(write_case(HARD_SIGMOID_CASE))
    bn = backward_numbers(case)
    assert bn.exact and "exact derivative" in bn.note
    ref = backward.run(case)
    pairs = [(bn.gradients.steps[k], ref.steps[k]) for k in ref.steps]
    pairs += [(bn.gradients.weights[k], ref.weights[k]) for k in ref.weights]
    pairs += [(bn.gradients.inputs, ref.inputs)]
    pairs += [(bn.gradients.initial_state[s], ref.initial_state[s]) for s in ("h", "c")]
    sixths = False
    for exact_values, float_values in pairs:
        for value in np.ravel(exact_values):
            assert isinstance(value, Fraction), value
            sixths |= value.denominator % 3 == 0
        np.testing.assert_allclose(np.asarray(exact_values, dtype=float), float_values,
                                   rtol=1e-12, atol=1e-12)
    assert sixths    # hard_sigmoid' = 1/6 reached the gradients
    assert np.abs(ref.steps["dz_i"]).max() > 0


def test_exact_slopes_follow_tensorflows_corners():
    points = [-7, -6, -3.5, -3, -1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 2, 3, 5, 6, 7]
    for name, slope in EXACT_SLOPE.items():
        z = np.array(points, dtype=float)
        expected = globals_derivative(name)(z, activations.get(name)(z))
        got = [float(slope(Fraction(str(p)))) for p in points]
        np.testing.assert_allclose(got, expected, err_msg=name)
    assert set(EXACT_SLOPE) == activations.PIECEWISE_LINEAR


def globals_derivative(name):
    return getattr(activations, "d_" + name)


def test_a_long_upstream_gives_decimals_and_says_why(write_case):
    path = write_case((BACKWARD / "one-step-by-hand.yaml").read_text().replace(
        "upstream: {h: [1, 1]}", "upstream: {h: [1, 0.1234567]}"))
    bn = backward_numbers(load_case(path))
    assert not bn.exact
    assert "the backward pass: backward.upstream.h holds 0.1234567" in bn.note
    text = text_of(path)
    assert "unit 1: do[1] = 0.1235·2 = 0.2469" in text


def test_a_big_case_is_summarised_and_says_so(write_case):
    rng = np.random.default_rng(0)

    def array(*shape):
        return np.round(rng.normal(size=shape), 1).tolist()

    path = write_case(f"inputs: {array(3, 10, 2)}\nweights:\n  kernel: {array(2, 24)}\n"
                      f"  recurrent_kernel: {array(6, 24)}\n  bias: {array(24)}\n"
                      f"backward:\n  upstream: {{h: {array(3, 6)}}}\n")
    case = load_case(path)
    text = text_of(path)
    assert ("Summarised (a big case): units 2–5 as values only; steps 2–8 as their state "
            "gradients only; sequence 2 in the totals only.") in text
    dc = backward.run(case).steps["dc"][4, 0]
    four = [f"{v:.4f}".rstrip("0").rstrip(".").replace("-0", "0") if abs(v) < 5e-5
            else f"{v:.4f}".rstrip("0").rstrip(".") for v in dc]
    line = text.split("Step 5 of sequence 0, backwards: ")[1].split("\n")[0]
    assert line.startswith("dh = [") and line.endswith("dc = [" + ", ".join(four) + "]")
    assert "Step 10 of sequence 1, backwards:" in text
    assert "of sequence 2, backwards" not in text
    assert "unit 2:" not in text.split("Backward pass")[1]


def test_explain_without_backward_has_no_backward_section():
    assert "Backward pass" not in text_of(CASES / "seed-article-corrected.yaml")
    assert "backward" not in render(load_case(CASES / "seed-article-corrected.yaml"),
                                    "markdown").lower().replace("go_backwards", "")


def test_explain_command_walks_backwards_without_tensorflow():
    result = run_cli("explain", BACKWARD / "masked-step.yaml")
    assert result.returncode == 0, result.stderr
    assert "Step 2, backwards:\n  masked: no gate gets a gradient; dh = [0, 1] and " \
           "dc = [1, 1] pass to step 1 unchanged" in result.stdout


def test_markdown_export_has_the_backward_tables_last_step_first():
    text = render(load_case(BACKWARD / "three-steps-by-hand.yaml"), "markdown")
    assert text.index("**step 3, backwards**") < text.index("**step 1, backwards**")
    assert "| unit | dh | dc | do | dc̃ | df | di | dz_i | dz_f | dz_c | dz_o |" in text
    steps, dK, _, _ = lstm_linear(BACKWARD / "three-steps-by-hand.yaml")
    first = steps[0]
    assert (f"| 0 | {q(first['dh'][0])} | {q(first['dc'][0])} | {q(first['do'][0])} | "
            f"{q(first['dc_tilde'][0])} | {q(first['df'][0])} | {q(first['di'][0])} |") in text
    assert "| row 1 | " + " | ".join(q(v) for v in dK[1]) + " |" in text


def test_export_names_weight_gradients_in_the_cases_own_form():
    text = render(load_case(CASES / "backward" / "squared-error-loss.yaml"), "markdown")
    case = load_case(CASES / "backward" / "squared-error-loss.yaml")
    assert "The loss is L = ½·Σ(output − target)²" in text
    if case.weight_form == "keras":
        assert "**dL/dkernel**" in text and "**dL/dbias**" in text


def test_per_gate_form_gets_per_gate_gradients(write_case):
    per_gate = (BACKWARD / "one-step-by-hand.yaml").read_text().split("weights:")[0] + """\
weights:
  W_i: [[1, 0], [0, 1]]
  W_f: [[0, 1], [1, 0]]
  W_c: [[1, 0], [1, 0]]
  W_o: [[1, 0], [0, 1]]
  U_i: [[0, 1], [1, 0]]
  U_f: [[0, 0], [0, 0]]
  U_c: [[1, 0], [0, 1]]
  U_o: [[1, 0], [0, 1]]
  b_i: [0, 0]
  b_f: [0, 1]
  b_c: [0, 0]
  b_o: [1, 0]
backward:
  upstream: {h: [1, 1]}
"""
    case = load_case(write_case(per_gate))
    text = "\n".join(walkthrough(case))
    ref = backward.run(case)
    dW_i = ref.weights["kernel"][:, :2].T           # kernel block i, transposed
    assert "dL/dW_i = [" + ", ".join(vec(row) for row in dW_i) + "]" in text
    assert "dL/dkernel =" not in text


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="pdflatex is not installed "
                    "(Debian package texlive-latex-base, which .ci/run installs)")
@pytest.mark.parametrize("name", ["three-steps-by-hand", "gru-one-step",
                                  "squared-error-loss"])
def test_latex_with_the_backward_pass_compiles(tmp_path, name):
    tex = render(load_case(BACKWARD / f"{name}.yaml"), "latex")
    assert LATEX_SAFE.fullmatch(tex) and latex_structure_ok(tex)
    assert r"\subsection*{The backward pass}" in tex
    if name == "gru-one-step":
        assert r"$-\tfrac{29}{36}$" in tex
    (tmp_path / "case.tex").write_text(tex)
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                             "case.tex"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_browser_shows_the_backward_tables(browser, tmp_path):
    out = tmp_path / "gru.html"
    result = run_cli("export", BACKWARD / "gru-one-step.yaml", "--format", "html", "-o", out)
    assert result.returncode == 0, result.stderr
    browser.get(out.as_uri())
    headings = [h.text for h in browser.find_elements("css selector", "h2")]
    assert "The backward pass" in headings
    assert headings.index("The backward pass") > headings.index("Final state")
    tables = {t.find_element("tag name", "caption").text: t
              for t in browser.find_elements("css selector", "table")}
    step = tables["step 1, backwards"]
    assert step.is_displayed() and step.size["width"] > 200
    header = [th.text for th in step.find_elements("css selector", "thead th")]
    assert header == ["unit", "dh", "dh̃", "dr", "dz", "dz_z", "dz_r", "dz_h"]
    second = [cell.text for cell in step.find_elements("css selector", "tbody tr")[1]
              .find_elements("css selector", "th, td")]
    assert second == ["1", "1", "1/6", "-5/6", "-29/6", "-29/36", "-5/36", "1/6"]
    kernel = tables["dL/dkernel"]
    row_1 = kernel.find_elements("css selector", "tbody tr")[1]
    assert [cell.text for cell in row_1.find_elements("css selector", "th, td")] == \
        ["row 1", "0", "-29/18", "0", "-5/18", "0", "1/3"]
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
