"""Issue 12, section 1: explanations that are never wrong.

Each author number here is written by hand (or as the reference's value plus a slip), so
a wrong arithmetic line, a wrong consequence or a missed diagnosis fails with a number.
"""

import numpy as np
import pytest

from lstm_verify import forward
from lstm_verify.arithmetic import fmt
from lstm_verify.case import parse_case
from lstm_verify.compare import compare, explain_value

N_BLOCKS = {"lstm": 4, "gru": 3, "simple_rnn": 1}
GATES = {"lstm": ("i", "f", "c_tilde", "o"), "gru": ("z", "r", "h_tilde"), "simple_rnn": ()}
ACTIVATIONS = ("sigmoid", "tanh", "hard_sigmoid", "relu", None)


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
