"""Issue 12, section 1: explanations that are never wrong.

Each author number here is written by hand (or as the reference's value plus a slip), so
a wrong arithmetic line, a wrong consequence or a missed diagnosis fails with a number.
"""

import numpy as np
import pytest
import yaml

from lstm_verify import forward
from lstm_verify.arithmetic import fmt
from lstm_verify.case import parse_case
from lstm_verify.compare import compare, explain_value

N_BLOCKS = {"lstm": 4, "gru": 3, "simple_rnn": 1}
GATES = {"lstm": ("i", "f", "c_tilde", "o"), "gru": ("z", "r", "h_tilde"), "simple_rnn": ()}
ACTIVATIONS = ("sigmoid", "tanh", "hard_sigmoid", "relu", None)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def small_case(cell, activation="tanh", recurrent_activation="sigmoid", expected=None):
    """One unit, one feature, two steps; weights in tenths so every gate is distinct."""
    n = N_BLOCKS[cell]
    data = {"cell": cell, "units": 1, "activation": activation,
            "inputs": [[0.5], [-0.3]],
            "weights": {"kernel": [[0.1 * (k + 1) for k in range(n)]],
                        "recurrent_kernel": [[0.2 - 0.1 * k for k in range(n)]],
                        "bias": ([[0.1] * n, [0.2] * n] if cell == "gru" else [0.1] * n)}}
    if cell != "simple_rnn":
        data["recurrent_activation"] = recurrent_activation
    if expected:
        data["expected"] = expected
    return parse_case(data, f"{cell}.yaml")


def why_of(case, quantity, t=1):
    mismatches, _, _ = compare(case, forward.run(case))
    m = next(m for m in mismatches if m.quantity == quantity and m.t == t)
    return explain_value(case, forward.run(case), m), m


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_authors_value_sits_on_the_gate_it_was_written_for(cell, activation):
    for gate in GATES[cell]:
        plain = small_case(cell, activation, activation)
        value = float(forward.run(plain).steps[gate][0, 0, 0])
        case = small_case(cell, activation, activation,
                          {"steps": [{"t": 1, gate: [value + 0.25]}]})
        why, m = why_of(case, gate)
        head, pre_activation = why.split("; ")
        # the gate's line ends with its own value and then the author's, never the z line
        assert head.endswith(f"= {fmt(value)}, not {fmt(value + 0.25)}") \
            or head.endswith(f"= {fmt(value)} (linear), not {fmt(value + 0.25)}"), why
        assert pre_activation.startswith("z_") and "not" not in pre_activation, why


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
def test_a_wrong_state_ends_with_the_authors_value(cell):
    plain = small_case(cell)
    h = float(forward.run(plain).steps["h"][0, 0, 0])
    why, _ = why_of(small_case(cell, expected={"steps": [{"t": 1, "h": [h + 0.5]}]}), "h")
    own = why.split("; ")[0]    # a SimpleRNN's z_h line follows, without the author's value
    assert own.startswith("h[0] = ") and own.endswith(f"= {fmt(h)}, not {fmt(h + 0.5)}"), why
    assert why.count("not") == 1


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
def test_pre_activations_can_be_written_and_are_checked(cell):
    plain = forward.run(small_case(cell))
    for z in {"lstm": ("z_i", "z_f", "z_c", "z_o"), "gru": ("z_z", "z_r", "z_h"),
              "simple_rnn": ("z_h",)}[cell]:
        right = float(plain.steps[z][1, 0, 0])
        good = small_case(cell, expected={"steps": [{"t": 2, z: [round(right, 6)]}]})
        assert compare(good, forward.run(good))[0] == []
        bad = small_case(cell, expected={"steps": [{"t": 2, z: [right + 1]}]})
        why, m = why_of(bad, z, t=2)
        assert (m.quantity, m.t, m.expected) == (z, 2, right + 1)
        assert why.startswith(f"{z}[0] = x·W") and why.endswith(
            f"= {fmt(right)}, not {fmt(right + 1)}")


def test_act_c_is_the_activation_of_c_before_the_output_gate():
    plain = forward.run(small_case("lstm"))
    c = float(plain.steps["c"][0, 0, 0])
    good = small_case("lstm", expected={"steps": [{"t": 1, "act_c": [float(np.tanh(c))]}]})
    assert compare(good, forward.run(good))[0] == []
    bad = small_case("lstm", expected={"steps": [{"t": 1, "act_c": [c]}]})   # tanh forgotten
    why, _ = why_of(bad, "act_c")
    assert why == f"act_c[0] = tanh(c[0]) = tanh({fmt(c)}) = {fmt(np.tanh(c))}, not {fmt(c)}"


def one_slip_case(path):
    """Three LSTM steps by hand with one slip: at step 2 the forget term f·c_prev is left
    out (c = i·c̃); every later number is computed correctly from the author's own."""
    x = [[0.5], [1.0], [-0.5]]
    W, U = np.array([[0.5, 0.4, 0.3, 0.2]]), np.array([[0.1, 0.2, 0.3, 0.4]])
    b = np.array([0.1, 0.2, 0.0, 0.1])
    h, c, steps = np.zeros(1), np.zeros(1), []
    for t, x_t in enumerate(x, 1):
        z = np.array(x_t) @ W + h @ U + b
        i, f, c_tilde, o = sigmoid(z[0:1]), sigmoid(z[1:2]), np.tanh(z[2:3]), sigmoid(z[3:4])
        c = i * c_tilde if t == 2 else f * c + i * c_tilde
        h = o * np.tanh(c)
        steps.append({"t": t, **{q: [round(float(v[0]), 6)] for q, v in
                                 dict(i=i, f=f, c_tilde=c_tilde, o=o, c=c, h=h).items()}})
    path.write_text(yaml.safe_dump({
        "units": 1, "inputs": x,
        "weights": {"kernel": W.tolist(), "recurrent_kernel": U.tolist(), "bias": b.tolist()},
        "tolerance": {"atol": 1.0e-6},
        "expected": {"steps": steps, "h": steps[-1]["h"], "c": steps[-1]["c"]}}))
    return path


def test_one_slip_reads_as_one_slip_with_its_consequences_grouped(tmp_path):
    import json
    from conftest import run_cli
    path = one_slip_case(tmp_path / "one-slip.yaml")
    done = run_cli("verify", "--json", path)
    mismatches = json.loads(done.stdout)["cases"][0]["mismatches"]
    own = [(m["quantity"], m["t"]) for m in mismatches if not m["consequence"]]
    following = [(m["quantity"], m["t"]) for m in mismatches if m["consequence"]]
    assert own == [("c", 2)]
    assert following == [("h", 2), ("i", 3), ("f", 3), ("c_tilde", 3), ("o", 3), ("c", 3),
                         ("h", 3), ("h", None), ("c", None)]
    # each consequence names the author's own numbers it follows from
    because = {(m["quantity"], m["t"]): m["because"] for m in mismatches}
    assert because[("h", 2)] == [{"quantity": "c", "t": 2, "batch": 0, "unit": 0,
                                  "author": 0.196876}]
    assert because[("i", 3)] == [{"quantity": "h", "t": 2, "batch": 0, "unit": 0,
                                  "author": 0.112564}]
    assert {(c["quantity"], c["t"]) for c in because[("c", 3)]} == \
        {("f", 3), ("c", 2), ("i", 3), ("c_tilde", 3)}
    assert because[("c", 2)] == []
    written = yaml.safe_load(path.read_text())["expected"]["steps"]
    o2, c2, h2 = written[1]["o"][0], written[1]["c"][0], written[1]["h"][0]
    h_from_own = o2 * np.tanh(c2)            # what h at step 2 is from the author's o and c
    assert next(m for m in mismatches if (m["quantity"], m["t"]) == ("h", 2))[
        "recomputed"] == pytest.approx(h_from_own)
    raw = run_cli("verify", path, "--all-steps").stdout
    assert raw.count("  ✗ ") == 1   # one line per slip, none per consequence
    text = " ".join(raw.split())
    assert "✗ c[0] at step 2: author 0.196876, reference 0.253458" in text
    assert "9 consequences, right given the author's own" in text
    assert (f"h[0] at step 2 = o[0]·tanh(c[0]) = {fmt(h_from_own)} is right for your c[0] at "
            "step 2 = 0.196876; it differs only because c[0] does") in text
    assert ("i[0] at step 3 = sigmoid(x·W_i + h_prev·U_i + b_i) = 0.46537 is right for "
            f"your h[0] at step 2 = {fmt(h2)}; it differs only because h[0] at step 2 "
            "does") in text
    assert "and 6 more: c̃[0] at step 3, o[0] at step 3" in text
    # the slip comes first, its consequences under it, then the first divergence
    assert text.index("✗ c[0] at step 2") < text.index("h[0] at step 2 = o[0]") \
        < text.index("first divergence")
    assert "9 of them follow from the author's own earlier numbers, 1 is wrong on its own " \
           "terms" in text


def test_the_export_says_what_each_consequence_follows_from(tmp_path):
    from lstm_verify.render.export import document
    from lstm_verify.case import load_case
    path = one_slip_case(tmp_path / "one-slip.yaml")
    paragraphs = [body for kind, body in document(load_case(path)).blocks if kind == "p"]
    assert "Following from c[0] at step 2: 9 consequences, right given the author's own " \
           "earlier numbers:" in paragraphs
    assert any(p.startswith("h[0] at step 2 = o[0]·tanh(c[0]) = ") and
               p.endswith("is right for your c[0] at step 2 = 0.196876; it differs only "
                          "because c[0] does") for p in paragraphs), paragraphs


def gru_one_slip():
    """Three GRU steps, two units, by hand (Keras's equations, reset_after true) with one
    slip: at step 2 the author drops (1 − z)·h̃ from h[0] (h[0] = z[0]·h_prev[0]); every
    later number is computed right from the author's own."""
    x = np.array([[0.5], [1.0], [-0.5]])
    W = np.array([[0.5, -0.4, 0.3, 0.2, 0.6, -0.3]])
    U = np.array([[0.1, 0.2, -0.3, 0.4, 0.2, 0.1], [0.3, -0.2, 0.1, 0.2, -0.4, 0.5]])
    b = np.array([[0.1, 0.2, 0.0, 0.1, 0.2, -0.1], [0.0, 0.1, 0.2, -0.1, 0.1, 0.3]])
    h, steps = np.zeros(2), []
    for t, x_t in enumerate(x, 1):
        x_part, h_part = x_t @ W + b[0], h @ U + b[1]
        z = sigmoid(x_part[0:2] + h_part[0:2])
        r = sigmoid(x_part[2:4] + h_part[2:4])
        h_tilde = np.tanh(x_part[4:6] + r * h_part[4:6])
        h = z * h + (1 - z) * h_tilde
        if t == 2:
            h[0] = z[0] * steps[-1]["h"][0]
        steps.append({"t": t, "z": z.tolist(), "r": r.tolist(), "h_tilde": h_tilde.tolist(),
                      "h": h.tolist()})
    return {"cell": "gru", "units": 2, "inputs": x.tolist(),
            "weights": {"kernel": W.tolist(), "recurrent_kernel": U.tolist(),
                        "bias": b.tolist()},
            "expected": {"steps": steps, "h": steps[-1]["h"]}}


def test_a_gru_slip_reads_as_one_slip_with_what_each_consequence_follows_from(tmp_path):
    import json
    from conftest import run_cli
    data = gru_one_slip()
    path = tmp_path / "gru-one-slip.yaml"
    path.write_text(yaml.safe_dump(data))
    mismatches = json.loads(run_cli("verify", "--json", path).stdout)["cases"][0]["mismatches"]
    own = [(m["quantity"], m["t"], m["unit"]) for m in mismatches if not m["consequence"]]
    assert own == [("h", 2, 0)]
    because = {(m["quantity"], m["t"], m["unit"]): [(c["quantity"], c["t"], c["unit"])
                                                    for c in m["because"]]
               for m in mismatches if m["consequence"]}
    # both units' gates at step 3 read h at step 2 through U: only its unit 0 is wrong
    assert because[("z", 3, 1)] == [("h", 2, 0)]
    assert because[("r", 3, 0)] == [("h", 2, 0)]
    assert set(because[("h", 3, 0)]) == {("z", 3, 0), ("h", 2, 0), ("h_tilde", 3, 0)}
    assert because[("h", None, 1)] == [("h", 3, 1)]
    steps = data["expected"]["steps"]
    z3, h2 = steps[2]["z"][1], steps[1]["h"][0]
    raw = run_cli("verify", path).stdout
    assert raw.count("  ✗ ") == 1
    text = " ".join(raw.split())
    assert (f"z[1] at step 3 = sigmoid(x·W_z + h_prev·U_z + b_z,in + b_z,rec) = {fmt(z3)} is "
            f"right for your h[0] at step 2 = {fmt(h2)}; it differs only because h[0] at "
            "step 2 does") in text


def test_a_simple_rnn_slip_reads_as_one_slip_in_assert_matches():
    """Three SimpleRNN steps, two units, by hand with one slip: the bias left out of h[0]
    at step 2. assert_matches (no Keras) says what the later numbers follow from."""
    import lstm_verify as lv
    x = np.array([[0.5, -0.2], [1.0, 0.3], [-0.5, 0.4]])
    W = np.array([[0.5, -0.4], [0.3, 0.2]])
    U = np.array([[0.1, 0.2], [-0.3, 0.4]])
    b = np.array([0.3, -0.1])
    h, hs = np.zeros(2), []
    for t, x_t in enumerate(x, 1):
        z = x_t @ W + h @ U + b
        if t == 2:
            z[0] -= b[0]
        h = np.tanh(z)
        hs.append(h)
    case = lv.case_from_arrays(x, W, U, b, cell="simple_rnn")
    with pytest.raises(AssertionError) as failed:
        lv.assert_matches(case, {"steps": {t: {"h": v} for t, v in enumerate(hs, 1)}})
    assert str(failed.value).count("  ✗ ") == 1
    text = " ".join(str(failed.value).split())
    assert "✗ h[0] at step 2" in text
    assert (f"h[1] at step 3 = tanh(x·W_h + h_prev·U_h + b_h) = {fmt(hs[2][1])} is right "
            f"for your h[0] at step 2 = {fmt(hs[1][0])}; it differs only because h[0] at "
            "step 2 does") in text


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
def test_numbers_right_given_the_authors_own_earlier_ones_are_consequences(cell):
    """h at step 1 written 0.5 too high; step 2 computed from that h (a one-step run
    starting from it), so only h at step 1 is a slip of its own."""
    base = small_case(cell)
    one = forward.run(base)
    wrong_h1 = one.steps["h"][0] + 0.5
    start = {s: (wrong_h1 if s == "h" else one.steps[s][0]).tolist() for s in base.cell.states}
    rest = parse_case({"cell": cell, "units": 1, "activation": "tanh",
                       **({} if cell == "simple_rnn" else {"recurrent_activation": "sigmoid"}),
                       "inputs": [[-0.3]], "initial_state": start,
                       "weights": {"kernel": base.kernel.tolist(),
                                   "recurrent_kernel": base.recurrent_kernel.tolist(),
                                   "bias": base.bias.tolist()}}, "rest.yaml")
    step2 = forward.run(rest)
    written = base.cell.written
    case = small_case(cell, expected={"steps": [
        {"t": 1, "h": wrong_h1[0].tolist()},
        {"t": 2, **{q: step2.steps[q][0, 0].tolist() for q in written}}]})
    from lstm_verify.compare import judge
    result = judge(case, forward.run(case), forward.run(case))   # Keras: see the CLI test
    own = [(m.quantity, m.t) for m in result.mismatches if not m.consequence]
    assert own == [("h", 1)]
    assert {m.quantity for m in result.mismatches if m.consequence} <= set(written)
    assert len(result.mismatches) > 1


def by_hand(rule):
    """Two LSTM steps written out in numpy with the cell-state rule (or gate rule) an
    author used: the numbers of a diagnosis test, made without the diagnosis's code."""
    x = [[0.5, -0.2], [1.0, 0.3]]
    W = np.array([[0.5, 0.4, 0.3, 0.2, -0.1, 0.6, 0.2, -0.3],
                  [0.1, -0.2, 0.4, 0.5, 0.3, -0.4, 0.1, 0.2]])
    U = np.array([[0.1, 0.2, 0.3, 0.4, -0.2, 0.1, 0.5, 0.3],
                  [-0.3, 0.2, 0.1, 0.2, 0.4, -0.1, 0.2, 0.1]])
    b = np.array([0.1, 0.2, 0.0, 0.1, 0.3, -0.2, 0.1, 0.4])
    h, c, steps = np.zeros(2), np.zeros(2), []
    for t, x_t in enumerate(x, 1):
        if rule == "bias-after-activation":
            z = np.array(x_t) @ W + h @ U
            i, f = sigmoid(z[0:2]) + b[0:2], sigmoid(z[2:4]) + b[2:4]
            c_tilde, o = np.tanh(z[4:6]) + b[4:6], sigmoid(z[6:8]) + b[6:8]
        else:
            z = np.array(x_t) @ W + h @ U + b
            i, f, c_tilde, o = sigmoid(z[0:2]), sigmoid(z[2:4]), np.tanh(z[4:6]), sigmoid(z[6:8])
        c = {"forget-term-dropped": i * c_tilde,
             "coupled-gates": f * c + (1 - f) * c_tilde}.get(rule, f * c + i * c_tilde)
        h = o * np.tanh(c)
        steps.append({"t": t, **{q: v.tolist() for q, v in
                                 dict(i=i, f=f, c_tilde=c_tilde, o=o, c=c, h=h).items()}})
    return parse_case({"units": 2, "inputs": x,
                       "weights": {"kernel": W.tolist(), "recurrent_kernel": U.tolist(),
                                   "bias": b.tolist()},
                       "expected": {"steps": steps, "h": h.tolist(), "c": c.tolist()}},
                      f"{rule}.yaml")


@pytest.mark.parametrize("rule", ["forget-term-dropped", "coupled-gates",
                                  "bias-after-activation"])
def test_the_new_lstm_diagnoses_reproduce_a_hand_calculation(rule):
    from lstm_verify import diagnose
    case = by_hand(rule)
    author = [m for m in compare(case, forward.run(case))[0]]
    assert author
    found = [d.id for d in diagnose.explain_mismatches(case, author).diagnoses]
    assert found == [rule]


def test_notation_negatives_in_parentheses_and_the_books_tilde():
    # linear LSTM, one unit: x = -1, kernel 1 everywhere: every gate -1, c = (-1)(0) + (-1)(-1)
    data = {"units": 1, "activation": None, "recurrent_activation": None, "inputs": [[-1]],
            "weights": {"kernel": [[1, 1, 1, 1]], "recurrent_kernel": [[0, 0, 0, 0]],
                        "bias": [0, 0, 0, 0]},
            "expected": {"steps": [{"t": 1, "c_tilde": [2], "c": [2], "h": [2]}]}}
    case = parse_case(data, "negatives.yaml")
    why = {m.quantity: explain_value(case, forward.run(case), m)
           for m in compare(case, forward.run(case))[0]}
    assert why["c"] == "c[0] = f[0]·c_prev[0] + i[0]·c̃[0] = (-1)·0 + (-1)·(-1) = 1, not 2"
    assert why["h"] == "h[0] = o[0]·c[0] = (-1)·1 = -1, not 2"
    assert why["c_tilde"].startswith("c̃[0] = z_c[0] = -1 (linear), not 2; ")
    gru = small_case("gru", expected={"steps": [{"t": 1, "h": [5]}]})
    line = explain_value(gru, forward.run(gru), compare(gru, forward.run(gru))[0][0])
    assert "(1 − z[0])·h̃[0] = " in line


def test_a_known_mistake_is_not_announced_twice():
    from conftest import run_cli
    out = " ".join(run_cli("verify", "cases/mistake-forget-bias.yaml").stdout.split())
    assert "KNOWN MISTAKE: confirmed: forget bias +1" in out
    assert "known mistake, confirmed" not in out and ", batch 0" not in out


def test_verification_and_the_notebook_say_what_each_consequence_follows_from(tmp_path):
    import lstm_verify as lv
    from lstm_verify.render.notebook import result_html
    path = one_slip_case(tmp_path / "one-slip.yaml")
    outcome = lv.verify(lv.load_case(path))
    assert len(outcome.consequences) == 9
    assert outcome.consequences[0].startswith("h[0] at step 2 = o[0]·tanh(c[0]) = ")
    assert outcome.consequences[0].endswith("is right for your c[0] at step 2 = 0.196876; "
                                            "it differs only because c[0] does")
    assert "↳ h[0] at step 2 = o[0]·tanh(c[0]) = " in result_html(outcome.result)


def test_a_textbook_case_tells_its_consequences_in_the_books_symbols(tmp_path):
    """The one-slip numbers with the weights typed as the book prints them (W_g·x): the
    consequence's equation keeps the book's W_i·x, as its explanation does."""
    import lstm_verify as lv
    data = yaml.safe_load(one_slip_case(tmp_path / "one-slip.yaml").read_text())
    W, U, b = (np.array(data["weights"][k]) for k in ("kernel", "recurrent_kernel", "bias"))
    book = {}
    for k, g in enumerate("ifco"):     # W_g [units, input_dim]: the kernel's block, transposed
        book.update({f"W_{g}": W[:, k:k + 1].T.tolist(), f"U_{g}": U[:, k:k + 1].T.tolist(),
                     f"b_{g}": [float(b[k])]})
    case = lv.case_from_arrays(data["inputs"], None, None, weights=book,
                               tolerance={"atol": 1.0e-6})
    steps = {s["t"]: {q: v for q, v in s.items() if q != "t"}
             for s in data["expected"]["steps"]}
    with pytest.raises(AssertionError) as failed:
        lv.assert_matches(case, {"steps": steps})
    text = " ".join(str(failed.value).split())
    assert "i[0] at step 3 = sigmoid(W_i·x + U_i·h_prev + b_i) = 0.46537 is right for your " \
           "h[0] at step 2 = 0.112564" in text
