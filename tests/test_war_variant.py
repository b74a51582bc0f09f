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


@pytest.mark.parametrize("aot", ["1", "0"])
def test_a_coupled_only_lever_effect_under_a_section5_variant_warns_and_changes_nothing(
        flagship, monkeypatch, tmp_path, aot):
    """oil-sanctions also moves economy.price, which only the coupled model has: under
    `-O variant=smith-stam` it crashed with a KeyError (in the compiled weeks and the numpy
    kernel alike); now that effect is named in a warning, and a far larger price cut gives the
    same §5 outcome."""
    import yaml

    monkeypatch.setenv("DETENTE_WAR_AOT", aot)
    doc = yaml.safe_load((SCENARIOS / "ukraine-2025.yaml").read_text())
    lever = next(lv for lv in doc["levers"] if lv["id"] == "oil-sanctions")
    price = next(e for e in lever["effects"] if e["param"] == "economy.price")
    price["mul"].update(lo=0.1, mode=0.2, hi=0.3)  # a far larger cut: the same draws' slots
    (tmp_path / "deeper.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    deeper = load_scenario(tmp_path / "deeper.yaml")
    opts = war_options({"variant": "smith-stam"})
    full = simulate_summary(flagship, None, ("oil-sanctions",), 200, 3, opts)
    other = simulate_summary(deeper, None, ("oil-sanctions",), 200, 3, opts)
    said = [w for w in full["warnings"] if "'oil-sanctions'" in w]
    assert len(said) == 1 and "economy.price" in said[0] and "§5 kernel" in said[0]
    for key in ("p_agreement", "end_mode", "duration_weeks", "terms", "agreement_curve",
                "shares"):
        assert full[key] == other[key]


def test_compare_prints_each_warning_once():
    """The baseline and the all-levers variant shared the §5 note and every lever's warning, so
    each was printed twice on stderr; the CLI now prints each warning once."""
    from typer.testing import CliRunner

    from detente.cli import app

    res = CliRunner().invoke(app, ["compare", str(SCENARIOS / "ukraine-2025.yaml"), "--runs",
                                   "100", "-O", "variant=smith-stam"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("warning: ")]
    assert any("'oil-sanctions'" in ln for ln in lines)
    assert len(lines) == len(set(lines))
