"""Everything a report shows about a scenario, computed once, as plain data.

The report and the dashboard render this; they never run a model themselves.
"""

from __future__ import annotations

from typing import Any

from detente import __version__
from detente.analysis.compare import compare, simulate_summary, war_options
from detente.errors import InputError, ModelError
from detente.runtime import negotiate
from detente.scenario.schema import Scenario, iter_quantities

REPORT_MODELS = ("mean", "median", "eum", "smp", "exchange")
# Model options for runs over many Monte Carlo draws (report, dashboard): the exchange model's
# float engine follows the same rules 15-25x faster; decide's decimal rounding is only needed
# to reproduce decide's ensembles (docs/exchange-parity.md).
DRAW_OPTIONS: dict[str, dict[str, str]] = {"exchange": {"engine": "auto"}}


def evidence_of(q: Any) -> list[dict[str, Any]]:
    if q is None:
        return []
    if q.assumption is not None:
        return [{"assumption": q.assumption}]
    return [c.model_dump(mode="json") for c in q.cite]


def scenario_overview(scenario: Scenario) -> dict[str, Any]:
    """Actors, issues and stances with every value's evidence."""
    sources = {s.id: s.model_dump(mode="json") for s in scenario.sources}
    stances = []
    for st in scenario.stances:
        stances.append({
            "actor": st.actor, "issue": st.issue,
            "position": st.position.point(), "position_range": list(st.position.support()),
            "salience": st.salience.point() / scenario.salience_scale,
            "position_evidence": evidence_of(st.position),
            "salience_evidence": evidence_of(st.salience),
        })
    return {
        "name": scenario.name,
        "description": scenario.description,
        "as_of": scenario.as_of.isoformat() if scenario.as_of else None,
        "sources": sources,
        "actors": [{"id": a.id, "name": a.name,
                    "capability": a.capability.point() if a.capability else None,
                    "capability_evidence": evidence_of(a.capability)} for a in scenario.actors],
        "issues": [{"id": i.id, "name": i.name, "low": i.low, "high": i.high,
                    "low_label": i.low_label, "high_label": i.high_label,
                    "points": {str(k): v for k, v in i.points.items()}} for i in scenario.issues],
        "stances": stances,
        "values": len(list(iter_quantities(scenario))),
    }


def negotiation_runs(scenario: Scenario, draws: int, seed: int) -> dict[str, Any]:
    """Each negotiation model's trajectory per issue (draw 0) and its forecast band."""
    out: dict[str, Any] = {}
    for model in REPORT_MODELS:
        try:
            result = negotiate(scenario, model, DRAW_OPTIONS.get(model), draws=draws, seed=seed)
        except (ModelError, InputError) as err:
            out[model] = {"skipped": str(err).splitlines()[0]}
            continue
        data = result.to_dict()
        out[model] = {key: data[key] for key in ("turns", "positions", "mean", "median",
                                                 "forecast", "options")}
        out[model]["draws"] = data.get("draws")
    return out


def report_data(scenario: Scenario, runs: int = 5000, seed: int = 0,
                draws: int = 200) -> dict[str, Any]:
    """The scenario, every negotiation model, and (with a war part) simulations and levers."""
    data: dict[str, Any] = {
        "scenario": scenario_overview(scenario),
        "negotiation": negotiation_runs(scenario, draws, seed),
        "provenance": {"scenario_sha256": scenario.sha256(), "version": __version__,
                       "seed": seed, "runs": runs, "draws": draws},
    }
    if scenario.war is not None:
        opts = war_options()
        hypotheses = ["baseline", *[h.id for h in scenario.hypotheses]]
        data["war"] = {
            "hypotheses": {h: simulate_summary(scenario, h, (), runs, seed, opts)
                           for h in hypotheses},
            "comparison": compare(scenario, hypotheses, [lv.id for lv in scenario.levers], runs,
                                  seed, opts),
            "options": opts.as_dict(),
        }
    return data
