"""Everything a report shows about a scenario, computed once, as plain data.

The report and the dashboard render this; they never run a model themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detente import __version__
from detente.analysis.compare import compare, is_coupled, variant_summary, war_options
from detente.collector import paused
from detente.errors import InputError, ModelError, problem
from detente.results import Results
from detente.runtime import negotiate
from detente.scenario.schema import Scenario, iter_quantities

# Every registered model the report shows: the one-round forecasts first, then the dynamic ones.
REPORT_MODELS = ("mean", "median", "nash", "ks", "eum", "smp", "exchange")
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
        **levers_and_hypotheses(scenario),
        **{part: parameter_rows(getattr(scenario, part)) for part in ("war", "talks")
           if getattr(scenario, part, None) is not None},
    }


def quantity_row(path: str, q: Any) -> dict[str, Any]:
    """One uncertain number as a table row: point (draw 0), distribution, support, evidence."""
    lo, hi = q.support()
    return {"path": path, "point": q.point(), "dist": q.dist,
            "support": [lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None],
            "evidence": evidence_of(q)}


def parameter_rows(part: Any) -> list[dict[str, Any]]:
    """Every number of the war (or talks) part, by its dotted path, with its evidence."""
    from detente.errors import format_path

    return [quantity_row(format_path(path), q) for path, q in iter_quantities(part)]


def _record_evidence(record: Any) -> list[dict[str, Any]]:
    if record.assumption is not None:
        return [{"assumption": record.assumption}]
    return [c.model_dump(mode="json") for c in record.cite]


def levers_and_hypotheses(scenario: Scenario) -> dict[str, Any]:
    """Levers (what each changes, from when) and hypotheses (which parameters each sets)."""
    levers = [{
        "id": lv.id, "name": lv.name, "description": lv.description, "start": lv.start,
        "end": lv.end, "evidence": _record_evidence(lv),
        "effects": [{"param": e.param, "add": None if e.add is None else quantity_row("add", e.add),
                     "mul": None if e.mul is None else quantity_row("mul", e.mul)}
                    for e in lv.effects],
        "deadline": None if lv.deadline is None else {
            "credibility": quantity_row("credibility", lv.deadline.credibility),
            "every": lv.deadline.every},
    } for lv in scenario.levers]
    hypotheses = [{
        "id": h.id, "name": h.name, "description": h.description,
        "evidence": _record_evidence(h),
        "parameters": [quantity_row(k, q) for k, q in h.parameters.items()],
        "lever_scale": [quantity_row(k, q) for k, q in h.lever_scale.items()],
    } for h in scenario.hypotheses]
    return {"levers": levers, "hypotheses": hypotheses}


def negotiation_run(scenario: Scenario, model: str, draws: int, seed: int) -> dict[str, Any]:
    """One model over ``draws`` Monte Carlo draws: trajectory (draw 0), forecast per draw and,
    for a dynamic model, the 5-95 % band of the weighted mean path. Raises ModelError."""
    result = negotiate(scenario, model, DRAW_OPTIONS.get(model), draws=draws, seed=seed)
    data = result.to_dict()
    out = {key: data[key] for key in ("turns", "positions", "mean", "median", "forecast",
                                      "options")}
    out["draws"] = data.get("draws")
    out["one_round"] = result.trajectory.max_turns == 0
    out["forecast_draws"] = forecast_draws(result)
    if not out["one_round"]:
        out["bands"] = mean_path_bands(result)
    return out


def negotiation_runs(scenario: Scenario, draws: int, seed: int) -> dict[str, Any]:
    """Every report model's run; a model that cannot run says why (``skipped``)."""
    out: dict[str, Any] = {}
    for model in REPORT_MODELS:
        try:
            out[model] = negotiation_run(scenario, model, draws, seed)
        except (ModelError, InputError) as err:
            out[model] = {"skipped": str(err).splitlines()[0]}
    return out


def forecast_draws(result: Results) -> dict[str, list[float]]:
    """Each issue's forecast in every Monte Carlo draw (row 0: the point estimates), 4 decimals;
    for a model that repeats each draw, the mean over its repetitions."""
    f = np.round(result.forecast_by_draw(), 4)  # (B, D)
    return {d: f[:, j].tolist() for j, d in enumerate(result.batch.issues)}


def mean_path_bands(result: Results) -> dict[str, dict[str, list[float]]]:
    """The capability x salience weighted mean position per round: 5/50/95 % across draws.

    ``mean_path`` is (B*R, T+1, D) (R repetitions per draw, 1 for most models); a draw that
    stopped early repeats its final state (:class:`~detente.models.base.Trajectory`), so every
    round has every row.
    """
    path = result.mean_path()
    q = np.round(np.percentile(path, [5, 50, 95], axis=0), 4)  # (3, T+1, D)
    return {d: {"p05": q[0, :, j].tolist(), "p50": q[1, :, j].tolist(),
                "p95": q[2, :, j].tolist()} for j, d in enumerate(result.batch.issues)}


collector_paused = paused  # detente.collector.paused, under the name this module used


def report_data(scenario: Scenario, runs: int = 5000, seed: int = 0,
                draws: int = 200, backend: Any = None) -> dict[str, Any]:
    """The scenario, every negotiation model, and (with a war part) simulations and levers
    (their blocks on ``backend``, default this process), with the garbage collector paused
    (:func:`collector_paused`)."""
    with collector_paused():
        return _report_data(scenario, runs, seed, draws, backend)


def _report_data(scenario: Scenario, runs: int, seed: int, draws: int, backend: Any
                 ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "scenario": scenario_overview(scenario),
        "negotiation": negotiation_runs(scenario, draws, seed),
        "provenance": {"scenario_sha256": scenario.sha256(), "version": __version__,
                       "seed": seed, "runs": runs, "draws": draws},
    }
    if scenario.war is not None:
        data["war"] = war_section(scenario, runs, seed, backend)
    return data


def war_section(scenario: Scenario, runs: int, seed: int, backend: Any = None) -> dict[str, Any]:
    """Every lever beside the baseline under every hypothesis (common random numbers). On a
    coupled scenario the §7.8 outputs per hypothesis (:func:`coupled_view`), built from the
    comparison's own baseline runs; on a §5 scenario each baseline's outcome distribution too
    (:func:`~detente.analysis.compare.variant_summary` of the comparison's baseline runs)."""
    opts = war_options()
    hypotheses = ["baseline", *[h.id for h in scenario.hypotheses]]
    baselines: dict[str, Any] = {}
    comparison = compare(scenario, hypotheses, [lv.id for lv in scenario.levers], runs, seed,
                         opts, backend=backend, baselines=baselines)
    if is_coupled(scenario, opts):
        return {"coupled": coupled_view(scenario, comparison, runs), "comparison": comparison,
                "options": opts.as_dict()}
    return {"hypotheses": {h: variant_summary(baselines[h], h, ()) for h in hypotheses},
            "comparison": comparison, "options": opts.as_dict()}


def wilson_band(p: np.ndarray, n: int, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's (1927) score interval of a share ``p`` (any shape) over ``n`` runs: the
    Monte Carlo band of a probability, which stays inside [0, 1] and is not empty at p = 0."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def banded(curve: list[float], n: int) -> dict[str, list[float]]:
    """A weekly share (T,) with its 95 % Monte Carlo band over ``n`` runs, 4 decimals."""
    p = np.asarray(curve, dtype=float)
    lo, hi = wilson_band(p, n)
    return {"p": np.round(p, 4).tolist(), "lo": np.round(lo, 4).tolist(),
            "hi": np.round(hi, 4).tolist()}


def _rounded(curve: list[float]) -> list[float]:
    return np.round(np.asarray(curve, dtype=float), 4).tolist()


def veto_players(scenario: Scenario) -> list[str]:
    """The coupled model's veto players: ``war.talks.veto``, else R and U (as compiled)."""
    war = scenario.war
    assert war is not None and war.talks is not None
    return list(war.talks.veto or (war.R, war.U))


def coupled_view(scenario: Scenario, comparison: dict[str, Any], runs: int) -> dict[str, Any]:
    """The coupled model's outputs (MODELS.md §7.8) per hypothesis, shaped for the report's
    charts from :func:`~detente.analysis.compare.compare`'s result (no model is run here)."""
    names = {"baseline": "the scenario as written", **{h.id: h.name for h in scenario.hypotheses}}
    issues = [i.id for i in scenario.issues]
    return {"hypotheses": {hyp: {"name": names.get(hyp, hyp),
                                 **hypothesis_view(entry, issues, runs)}
                           for hyp, entry in comparison["hypotheses"].items()},
            "issues": issues, "veto_players": veto_players(scenario), "runs": runs}


def hypothesis_view(entry: dict[str, Any], issues: list[str], runs: int) -> dict[str, Any]:
    """One hypothesis of a coupled comparison: P(deal) and P(partial deal) per week with Wilson
    bands; the terms on each issue (quantiles, histogram) and the vetoes by player and reason,
    in the baseline and under each lever; third parties' engagement, front and revenue curves;
    each lever's paired effects at the checkpoints (13/26/52 weeks and the horizon)."""
    base, levers = entry["baseline"], entry["levers"]
    c = base["coupled"]
    variants = {"baseline": c, **{lv: e["coupled"] for lv, e in levers.items()}}
    return {
        "checkpoints": c["checkpoints"], "p_deal": c["p_deal"], "p_partial": c["p_partial"],
        "deal_curve": banded(c["p_deal_curve"], runs),
        "partial_curves": {pid: banded(v, runs) for pid, v in c["p_partial_curve"].items()},
        "end_mode": base["end_mode"], "duration_weeks": base["duration_weeks"],
        "censored_share": base["censored_share"],
        "terms": {d: {v: s["terms"][d]["deal"] for v, s in variants.items()} for d in issues},
        "vetoes": {v: s["vetoes"] for v, s in variants.items()},
        "third_parties": {p: {**v, "mean_curve": _rounded(v["mean_curve"])}
                          for p, v in c["third_parties"].items()},
        "front": {"quantiles": c["front"]["quantiles"],
                  "median_curve": _rounded(c["front"]["median_curve"])},
        "revenue_R": {"median": c["revenue_R"]["median"],
                      "mean_curve": _rounded(c["revenue_R"]["mean_curve"])},
        "effects": {lv: e["coupled"]["effects"] for lv, e in levers.items()},
        "warnings": entry["warnings"],
    }


def sensitivity_outcome(scenario: Scenario, outcome: str) -> Any:
    """The parsed war outcome of ``--sensitivity``; InputError without a war part or for an
    unknown outcome (checked before any model runs)."""
    from detente.analysis.outcomes import parse_outcome

    if scenario.war is None:
        raise InputError([problem("--sensitivity needs a scenario with a war part",
                                  ("sensitivity",), value=outcome)])
    return parse_outcome(outcome, scenario)


def sensitivity_section(scenario: Scenario, outcome: str, runs_per_sample: int = 100,
                        samples: int = 8, seed: int = 0) -> dict[str, Any]:
    """The report's sensitivity part: a tornado of ``outcome`` over the baseline's uncertain
    inputs (each bar end with its paired 95 % interval for mean-type outcomes, each input with
    its evidence status), and the robust ranking of each lever alone on P(deal in force at the
    outcome's week, else week 26) over the hypotheses. Small sample counts: a first look;
    ``detente sensitivity`` and ``detente robust`` go further."""
    from detente.analysis.robust import robust_ranking
    from detente.analysis.sensitivity import analyse, war_problem

    parsed = sensitivity_outcome(scenario, outcome)
    opts = war_options()
    tornado = analyse(war_problem(scenario, parsed, options=opts), "tornado",
                      runs_per_sample=runs_per_sample, seed=seed)
    out: dict[str, Any] = {"tornado": {k: v for k, v in tornado.items() if k not in ("x", "y")}}
    levers = [lv.id for lv in scenario.levers]
    if not levers:
        out["robust_skipped"] = "the scenario has no levers to rank"
    else:
        hypotheses = ["baseline", *[h.id for h in scenario.hypotheses]]
        out["robust"] = robust_ranking(scenario, hypotheses, levers, week=parsed.week or 26,
                                       samples=samples, runs_per_sample=runs_per_sample,
                                       seed=seed, pairs=False, options=opts)
    return out
