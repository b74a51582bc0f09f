"""Which war kernel a command runs, and what the report's scripts are handed of its data."""

from __future__ import annotations

import pytest

from detente.analysis.compare import is_coupled, simulate_summary, war_options
from detente.report import chart_data
from detente.scenario import load_scenario

from .conftest import FIXTURES, SCENARIOS


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(SCENARIOS / "ukraine-2025.yaml")


def test_a_variant_given_explicitly_selects_the_section5_kernel(flagship):
    """`-O variant=smith-stam` on a coupled scenario ran the coupled model without a word; now
    any variant given runs the §5 kernel, while the other options keep the coupled model."""
    assert is_coupled(flagship, war_options())
    assert is_coupled(flagship, war_options({"battle": "bernoulli"}))
    for variant in ("smith-stam", "powell", "fearon"):
        assert not is_coupled(flagship, war_options({"variant": variant}))
    section5 = simulate_summary(flagship, None, (), 50, 0, war_options({"variant": "smith-stam"}))
    coupled = simulate_summary(flagship, None, (), 50, 0, war_options())
    assert "coupled" not in section5 and "coupled" in coupled
    assert section5["provenance"]["model"] == "war" and coupled["provenance"]["model"] == "coupled"


def test_a_section5_variant_on_a_coupled_scenario_says_what_it_leaves_unused(flagship):
    """No silent no-op: the §5 kernel ignores talks, red lines and third parties, and says so;
    a scenario without talks (nothing unused) gets no such warning."""
    section5 = simulate_summary(flagship, None, (), 20, 0, war_options({"variant": "powell"}))
    said = [w for w in section5["warnings"] if "runs the §5 kernel" in w]
    assert len(said) == 1 and "variant=powell" in said[0] and "war.talks" in said[0]
    plain = load_scenario(FIXTURES / "war-2025.yaml")
    alone = simulate_summary(plain, None, (), 20, 0, war_options({"variant": "powell"}))
    assert not [w for w in alone["warnings"] if "runs the §5 kernel" in w]


def test_the_report_scripts_get_the_comparison_only_where_a_chart_reads_it():
    """The coupled report draws from war.coupled (the comparison's numbers are in its tables),
    so the embedded data leaves the comparison out; the §5 report's forest plot reads it."""
    coupled = {"scenario": {}, "war": {"coupled": {"h": 1}, "comparison": {"c": 2}, "options": {}}}
    section5 = {"scenario": {}, "war": {"hypotheses": {}, "comparison": {"c": 2}}}
    assert chart_data(coupled) == {"scenario": {}, "war": {"coupled": {"h": 1}, "options": {}}}
    assert coupled["war"]["comparison"] == {"c": 2}  # the page's own data is left whole
    assert chart_data(section5) == section5
    assert chart_data({"scenario": {}}) == {"scenario": {}}
