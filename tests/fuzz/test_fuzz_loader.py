"""Property tests over the loader, every importer and the JSON Schema (issue 13, fuzz suite).

Property: a valid Scenario (whose models then give strict, finite JSON) or an InputError, never
another exception. ``DETENTE_FUZZ_EXAMPLES=100000`` runs the long budget.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from . import properties as p


@p.budget(40)
@given(st.text(max_size=2000), st.sampled_from(["yaml", "json"]))
def test_any_text(text, fmt):
    p.check_text(text, fmt)


@p.budget(60)
@given(p.yaml_soup)
def test_yaml_token_soup(text):
    p.check_text(text, "yaml")


@p.budget(40)
@given(p.json_soup)
def test_json_token_soup(text):
    p.check_text(text, "json")


@p.budget(60)
@given(p.mutated_minimal(), st.sampled_from(["yaml", "json"]))
def test_mutated_scenarios(doc, fmt):
    p.check_document(doc, fmt)


@p.budget(40)
@given(p.mutate_text(p.MINIMAL))
def test_mutated_yaml_text(text):
    p.check_text(text, "yaml")


@p.budget(10)
@given(p.scenario_schema_documents(), st.sampled_from(["yaml", "json"]))
def test_json_schema_documents(doc, fmt):
    p.check_document(doc, fmt)


@p.budget(40)
@given(p.bdm_csv)
def test_bdm_csv(text):
    p.check_text(text, "bdm-csv")


@p.budget(40)
@given(p.ktab_csv())
def test_ktab_csv(text):
    p.check_text(text, "ktab-csv")


@p.budget(30)
@given(p.ktab_xml())
def test_ktab_xml(text):
    p.check_text(text, "ktab-xml")


@p.budget(40)
@given(p.decide_rows())
def test_decide(text):
    p.check_text(text, "decide")


FOUND = sorted((p.FIXTURES / "hostile").glob("found-*"))
FORMAT_OF = {".yaml": "yaml", ".json": "json", ".xml": "ktab-xml", ".csv": "bdm-csv",
             ".ktab": "ktab-csv", ".txt": "decide"}


def test_every_failure_found_stays_fixed():
    """Each input the fuzzers once broke the loader with (tests/fixtures/hostile/found-*)."""
    assert FOUND
    for path in FOUND:
        assert p.check_text(path.read_text(), FORMAT_OF[path.suffix]) == "refused", path.name
