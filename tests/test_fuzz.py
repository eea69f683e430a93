"""Fuzz the case loader with hostile and broken YAML (issue 5, part 2).

Every malformed case must end in a CaseError naming the file (and, where a key
is at fault, the key) -- never another exception, never a hang.  Bulk runs go
through lstm_verify.case.load_case in-process; a few go through the real CLI.

Profiles: "ci" (default, bounded) and "thorough" (HYPOTHESIS_PROFILE=thorough).
"""

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from lstm_verify.case import load_case
from lstm_verify.errors import CaseError

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "cases" / "two-steps-linear.yaml").read_text())

settings.register_profile("ci", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(10 ** 400), st.just([]), st.just([[]]), st.just({}),
    st.just([[1, 2], [3]]), st.just([["a", 1]]), st.just([[[[[[1]]]]]]),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5),
)


def key_paths(data, prefix=()):
    """Every path of keys/indices into the document."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from key_paths(v, prefix + (k,))
    elif isinstance(data, list):
        for n, v in enumerate(data):
            yield from key_paths(v, prefix + (n,))


PATHS = [p for p in key_paths(BASE) if p]


def set_at(data, path, value):
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def delete_at(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


def near_miss(name):
    return name[:-1] + ("x" if name[-1] != "x" else "y") if len(name) > 2 else name + "s"


@st.composite
def mutated_documents(draw):
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        kind = draw(st.sampled_from(["replace", "delete", "rename", "unknown"]))
        try:
            if kind == "replace":
                set_at(doc, path, draw(HOSTILE_VALUES))
            elif kind == "delete":
                delete_at(doc, path)
            elif kind == "rename" and isinstance(path[-1], str):
                parent = doc
                for part in path[:-1]:
                    parent = parent[part]
                parent[near_miss(path[-1])] = parent.pop(path[-1])
            elif kind == "unknown":
                doc[draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))] = 1
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed the target; the document is still hostile
    return yaml.safe_dump(doc, allow_unicode=True)


def check_loads_or_case_error(tmp_path, text, name="case.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    try:
        load_case(path)
    except CaseError as err:
        message = str(err)
        assert name in message, message
        assert "\n" not in err.message.strip() or len(message) < 2000
        return err
    return None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow], deadline=None)
@given(mutated_documents())
def test_mutated_cases_end_in_case_error(tmp_path, text):
    err = check_loads_or_case_error(tmp_path, text)
    # the document is valid YAML, so whatever is wrong is wrong at some key: name it
    assert err is None or err.key, str(err)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_ends_in_case_error(tmp_path, text):
    check_loads_or_case_error(tmp_path, text)


BILLION_LAUGHS = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},"
    f"*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},"
    f"*{chr(97 + n)},*{chr(97 + n)}]\n" for n in range(8))

HOSTILE_FILES = {
    "python-tag": "units: 1\ninputs: !!python/object/apply:os.system ['touch PWNED']\n",
    "python-name": "units: !!python/name:os.system\n",
    "alias-bomb": BILLION_LAUGHS,
    "deep-nesting": "inputs: " + "[" * 5000 + "]" * 5000 + "\n",
    "duplicate-key": "units: 1\nunits: 2\ninputs: [[1]]\n",
    "nan-inputs": "units: 1\ninputs: [[.nan]]\nweights: {kernel: [[1,1,1,1]], "
                  "recurrent_kernel: [[1,1,1,1]]}\n",
    "inf-weights": "units: 1\ninputs: [[1]]\nweights: {kernel: [[.inf,1,1,1]], "
                   "recurrent_kernel: [[1,1,1,1]]}\n",
    "huge-number": "units: 1\ninputs: [[1e400]]\nweights: {kernel: [[1,1,1,1]], "
                   "recurrent_kernel: [[1,1,1,1]]}\n",
    "string-number": "units: one\ninputs: [[1]]\n",
    "ragged": "units: 1\ninputs: [[1, 2], [3]]\nweights: {kernel: [[1,1,1,1]], "
              "recurrent_kernel: [[1,1,1,1]]}\n",
    "empty-list": "units: 1\ninputs: []\nweights: {kernel: [[1,1,1,1]], "
                  "recurrent_kernel: [[1,1,1,1]]}\n",
    "not-a-map": "- 1\n- 2\n",
    "empty": "",
    "binary-ish": "\x00\x01",
}


@pytest.mark.parametrize("label", sorted(HOSTILE_FILES))
def test_hostile_files_end_in_case_error(tmp_path, label):
    err = check_loads_or_case_error(tmp_path, HOSTILE_FILES[label])
    assert err is not None, f"{label} was accepted"
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_python_tag_names_the_key(tmp_path):
    err = check_loads_or_case_error(tmp_path, HOSTILE_FILES["python-tag"])
    assert err.key == "inputs" and "tag" in err.message


def test_alias_bomb_is_refused_as_too_many_values(tmp_path):
    err = check_loads_or_case_error(tmp_path, BILLION_LAUGHS)
    assert "--max-values" in err.message


def test_near_miss_key_gets_did_you_mean(tmp_path):
    doc = copy.deepcopy(BASE)
    doc["weights"]["kernal"] = doc["weights"].pop("kernel")
    err = check_loads_or_case_error(tmp_path, yaml.safe_dump(doc))
    assert err is not None and "kernel" in str(err), str(err)


@pytest.mark.parametrize("label", ["python-tag", "alias-bomb", "deep-nesting", "duplicate-key",
                                   "ragged", "empty"])
def test_cli_validate_exit_code_two_without_traceback(tmp_path, label):
    path = tmp_path / f"{label}.yaml"
    path.write_text(HOSTILE_FILES[label], encoding="utf-8")
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "validate", str(path)],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and path.name in run.stderr


def test_regression_integer_beyond_float_range_is_a_case_error(tmp_path):
    # found by the fuzzer: np.array raised OverflowError for a 400-digit YAML integer
    err = check_loads_or_case_error(tmp_path, HOSTILE_FILES["huge-number"].replace(
        "1e400", "1" + "0" * 400))
    assert err is not None and err.key == "inputs" and "1e30" in err.message
