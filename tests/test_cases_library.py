"""The bundled case library, in the spirit of JSON-Schema-Test-Suite: every file is a
well-formed case with a unique, non-empty description and a unique name."""

import pytest

from conftest import CASES
from lstm_verify.case import load_case

FILES = sorted(CASES.rglob("*.yaml"))


def test_library_has_at_least_fifteen_cases():
    assert len(FILES) >= 15


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CASES)))
def test_case_parses_with_a_description_and_expected_values(path):
    case = load_case(path)
    assert case.description.strip(), f"{path.name} has no description"
    assert case.expected, f"{path.name} has no expected values to check"


def test_names_and_descriptions_are_unique():
    cases = [load_case(p) for p in FILES]
    names = [c.name for c in cases]
    descriptions = [" ".join(c.description.split()) for c in cases]
    assert len(set(names)) == len(names), names
    assert len(set(descriptions)) == len(descriptions)
