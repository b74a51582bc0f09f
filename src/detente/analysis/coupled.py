"""Summaries of the coupled model (MODELS.md §7.8) as plain data, and its stylised-fact checks.

Everything here reads a :class:`CoupledOutcome` (arrays with the runs axis first) and returns
numbers, lists and dicts ready for JSON; no model is computed here. Probabilities carry their
Monte Carlo standard error sqrt(p(1 - p)/n); lever effects are paired differences over runs that
share every random draw (common random numbers), so their intervals use the spread of the
per-run differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.compile.coupled import CoupledInputs
from detente.war.coupled import END_MODES, HORIZON, VETO_REASONS, CoupledOutcome

QUANTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class CoupledRun:
    """One variant (hypothesis x levers) of the coupled model over many runs."""

    inputs: CoupledInputs
    outcome: CoupledOutcome
    levers: tuple[str, ...]
    provenance: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()


def checkpoints(horizon: int) -> list[int]:
    """Checkpoint weeks that fit the horizon: 13, 26, 52, 104 where they fit, else quarters."""
    fixed = [w for w in (13, 26, 52, 104) if w <= horizon]
    if len(fixed) >= 2:
        return fixed if fixed[-1] == horizon else [*fixed, horizon]
    return sorted({max(1, horizon // 4), max(1, horizon // 2), horizon})


def share(mask: np.ndarray) -> dict[str, float]:
    """A probability over runs with its Monte Carlo standard error."""
    n = mask.size
    p = float(mask.mean()) if n else float("nan")
    return {"p": p, "se": float(np.sqrt(p * (1 - p) / n)) if n else float("nan")}


def spread(values: np.ndarray, low: float | None = None, high: float | None = None,
           bins: int = 10) -> dict[str, Any]:
    """Quantiles and a histogram of ``values`` (NaN dropped) as plain data."""
    v = values[~np.isnan(values)]
    if not v.size:
        return {"n": 0, "quantiles": None, "histogram": None}
    rng = (low, high) if low is not None and high is not None else None
    counts, edges = np.histogram(v, bins=bins, range=rng)
    return {"n": int(v.size), "mean": float(v.mean()),
            "quantiles": {f"p{q}": float(x) for q, x in zip(QUANTILES, np.percentile(
                v, QUANTILES), strict=True)},
            "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}}


def vetoes(inputs: CoupledInputs, out: CoupledOutcome) -> dict[str, Any]:
    """Of the talks rounds held, the share each veto player refused, split by reason."""
    held = out.talks_held
    rounds = int(held.sum())
    result: dict[str, Any] = {"rounds_held": rounds, "by_actor": {}}
    for v in inputs.veto:
        by = (out.vetoed_by == v) & held
        result["by_actor"][inputs.actors[v]] = {
            reason: float(((out.veto_reason == code) & by).sum() / max(rounds, 1))
            for code, reason in enumerate(VETO_REASONS) if code}
    return result


def summarize_coupled(run: CoupledRun, weeks: Sequence[int] | None = None) -> dict[str, Any]:
    """The §7.8 outputs of one variant: deals, terms, vetoes, engagement, front, revenue."""
    x, out = run.inputs, run.outcome
    weeks = list(weeks or checkpoints(x.horizon))
    at = {str(w): w - 1 for w in weeks}
    deal = out.deal_in_force
    issues = {}
    for d, issue in enumerate(x.issues):
        issues[issue] = {"deal": spread(out.terms[:, d], x.low[d], x.high[d]),
                         "partial": spread(out.partial_terms[:, d], x.low[d], x.high[d]),
                         "last_proposal": spread(out.proposal[:, d], x.low[d], x.high[d])}
    parties = {x.actors[a]: {
        "mean_curve": [float(v) for v in out.engagement[:, :, j].mean(axis=0)],
        "engaged": {w: share(out.engagement[:, i, j] > 0) for w, i in at.items()},
        "retaliated": share(out.retaliated[:, j])} for j, a in enumerate(x.parties)}
    front = out.front
    return {
        "checkpoints": weeks,
        "p_deal": {w: share(deal[:, i]) for w, i in at.items()},
        "p_partial": {pid: {w: share(out.partial_in_force[:, i, s]) for w, i in at.items()}
                      for s, pid in enumerate(x.partial_ids)},
        "p_deal_curve": [float(v) for v in deal.mean(axis=0)],
        "p_partial_curve": {pid: [float(v) for v in out.partial_in_force[:, :, s].mean(axis=0)]
                            for s, pid in enumerate(x.partial_ids)},
        "end_mode": {m: float(np.mean(out.end_mode == c)) for c, m in enumerate(END_MODES)
                     if m != "fighting" and np.any(out.end_mode == c)},
        "terms": issues,
        "vetoes": vetoes(x, out),
        "third_parties": parties,
        "front": {"quantiles": {w: dict(zip([f"p{q}" for q in QUANTILES],
                                            map(float, np.percentile(front[:, i + 1], QUANTILES)),
                                            strict=True)) for w, i in at.items()},
                  "median_curve": [float(v) for v in np.median(front, axis=0)]},
        "revenue_R": {"median": {w: float(np.median(out.revenue_R[:, i])) for w, i in at.items()},
                      "mean_curve": [float(v) for v in out.revenue_R.mean(axis=0)]},
        "high_intensity": {w: share(out.intensity[:, i] > 1.0) for w, i in at.items()},
        "pape_R": {w: _median_recent(out.pape_R, i) for w, i in at.items()},
        "mobilised": float(out.mobilised.mean()),
        "breakdowns": float(out.breakdowns.mean()),
    }


def _median_recent(values: np.ndarray, week: int) -> float | None:
    """Median over runs of each run's latest value (a talks week) up to ``week``, NaN ignored."""
    upto = values[:, :week + 1]
    seen = ~np.isnan(upto)
    if not seen.any():
        return None
    last = np.where(seen.any(axis=1), upto[np.arange(upto.shape[0]),
                                            upto.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1)],
                    np.nan)
    return float(np.nanmedian(last))


def paired(values: np.ndarray) -> dict[str, Any]:
    """Mean of per-run paired differences with its normal 95 % interval (NaN runs dropped)."""
    v = values[~np.isnan(values)]
    if v.size < 2:
        return {"mean": None, "ci95": None, "n": int(v.size)}
    mean, half = float(v.mean()), 1.96 * float(v.std(ddof=1)) / np.sqrt(v.size)
    return {"mean": mean, "ci95": [mean - half, mean + half], "n": int(v.size)}


def lever_effects(alt: CoupledRun, base: CoupledRun, weeks: Sequence[int] | None = None
                  ) -> dict[str, Any]:
    """Paired (common random numbers) effects of a lever: on P(deal in force) at checkpoints and
    on each issue's terms (runs with a deal in both variants) and last proposal."""
    weeks = list(weeks or checkpoints(base.inputs.horizon))
    a, b = alt.outcome, base.outcome
    return {
        "delta_p_deal": {str(w): paired(a.deal_in_force[:, w - 1].astype(float)
                                        - b.deal_in_force[:, w - 1]) for w in weeks},
        "delta_terms": {issue: paired(a.terms[:, d] - b.terms[:, d])
                        for d, issue in enumerate(base.inputs.issues)},
        "delta_proposal": {issue: paired(a.proposal[:, d] - b.proposal[:, d])
                           for d, issue in enumerate(base.inputs.issues)},
    }


def legacy_summary(run: CoupledRun) -> dict[str, Any]:
    """The keys `simulate --json` has always had (p_agreement, end_mode, duration_weeks, ...)."""
    out, x = run.outcome, run.inputs
    weeks = checkpoints(x.horizon)
    ended = out.end_mode != HORIZON
    duration = out.end_week.astype(float)
    terms = {}
    for d, issue in enumerate(x.issues):
        v = out.terms[:, d][~np.isnan(out.terms[:, d])]
        terms[issue] = ({"mean": float(v.mean()), "p05": float(np.percentile(v, 5)),
                         "p95": float(np.percentile(v, 95))} if v.size else
                        {"mean": None, "p05": None, "p95": None})
    return {
        "p_agreement": {str(w): float(out.deal_in_force[:, w - 1].mean()) for w in weeks},
        "end_mode": {m: float(np.mean(out.end_mode == c)) for c, m in enumerate(END_MODES)
                     if m != "fighting" and np.any(out.end_mode == c)},
        "duration_weeks": {f"p{q}": float(np.percentile(duration, q)) for q in (10, 50, 90)},
        "censored_share": float(np.mean(~ended)),
        "share_R": {"mean": None},
        "terms": terms,
    }


# -- stylised facts (§7.7) ----------------------------------------------------------------------

def check_value(run: CoupledRun, outcome: str, week: int, party: str | None = None,
                bootstrap: int = 200) -> tuple[float, float]:
    """The estimate of a check's outcome at ``week`` and its Monte Carlo standard error
    (binomial for probabilities, a bootstrap over runs for medians and means)."""
    out, x = run.outcome, run.inputs
    n = out.end_mode.size
    i = max(week - 1, 0)
    if outcome in ("p_deal", "p_partial"):
        mask = (out.deal_in_force[:, i] if outcome == "p_deal"
                else out.partial_in_force[:, i].any(axis=1)) if week > 0 else np.zeros(n, bool)
        s = share(mask)
        return s["p"], s["se"]
    if outcome.startswith("p_"):
        codes = {"p_victory_R": ("victory_R",), "p_victory_U": ("victory_U",),
                 "p_collapse_R": ("collapse_R",),
                 "p_ended": tuple(m for m in END_MODES if m not in ("fighting", "horizon"))}
        by = np.isin(out.end_mode, [END_MODES.index(m) for m in codes[outcome]])
        s = share(by & (out.end_week <= week))
        return s["p"], s["se"]
    if outcome.startswith("front_"):
        q = {"front_median": 50, "front_p05": 5, "front_p95": 95}[outcome]
        values, stat = out.front[:, week], lambda v: np.percentile(v, q)
    elif outcome == "monthly_move_median":
        moves = np.abs(out.front[:, 4:week + 1] - out.front[:, :max(week - 3, 0)])
        values, stat = moves.mean(axis=1) if moves.size else np.zeros(n), np.median
    elif outcome == "engagement_mean":
        j = [x.actors[a] for a in x.parties].index(party)
        values, stat = out.engagement[:, i, j], np.mean
    else:  # revenue_median
        values, stat = out.revenue_R[:, i], np.median
    estimate = float(stat(values))
    rng = np.random.default_rng(0)
    boots = [stat(values[rng.integers(0, n, n)]) for _ in range(bootstrap)] if n > 1 else [0]
    return estimate, float(np.std(boots))


def evaluate_check(run: CoupledRun, check: Any) -> dict[str, Any]:
    """Pass/fail of one stylised fact, with its estimate and Monte Carlo standard error; a
    result within two standard errors of the threshold is flagged ``close``."""
    value, se = check_value(run, check.outcome, check.week, check.party)
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    passed = bool(ops[check.compare](value, check.threshold))
    return {"id": check.id, "statement": check.statement, "outcome": check.outcome,
            "week": check.week, "compare": check.compare, "threshold": check.threshold,
            "estimate": value, "se": se, "passed": passed,
            "close": bool(se > 0 and abs(value - check.threshold) <= 2 * se),
            "evidence": ([c.model_dump(mode="json") for c in check.cite] or check.assumption)}


def coupled_options(options: Any) -> tuple[Any, list[str]]:
    """The coupled kernel's options from what `-O` gave, and warnings for what they cannot
    carry: CoupledOptions as they are; from the war kernel's options ``battle`` and
    ``csf_exponent`` carry over, while ``proposer``, ``offer_rule`` and the powell settings
    belong to the §5 kernel (on a coupled scenario ``talks.proposer`` decides)."""
    from detente.options import CoupledOptions, WarOptions

    if isinstance(options, CoupledOptions):
        return options, []
    ignored = [f for f in ("proposer", "offer_rule", "powell_uncertainty", "type_spread",
                           "tough_prior") if f in options.model_fields_set]
    notes = [f"option(s) {', '.join(ignored)} do nothing in the coupled model "
             "(talks.proposer sets the proposer)"] if ignored else []
    given = {f: getattr(options, f) for f in ("battle", "csf_exponent")
             if f in options.model_fields_set}
    assert isinstance(options, WarOptions)
    return CoupledOptions(**given), notes


def run_coupled(scenario: Any, hypothesis: str | None, levers: Sequence[str], runs: int,
                seed: int, options: Any, horizon: int | None = None,
                strength: dict[str, float] | None = None, backend: Any = None,
                max_memory: int | None = None) -> CoupledRun:
    """One variant of the coupled model through the runner (named streams from ``seed``)."""
    from detente.runtime import Experiment, run

    opts, notes = coupled_options(options)
    res = run(Experiment(scenario, "coupled", opts.model_dump(mode="json", exclude_unset=True),
                         hypothesis, tuple(levers), runs, horizon=horizon, seed=seed,
                         strength=strength, max_memory=max_memory), backend)
    return CoupledRun(res.inputs, res.outcome, tuple(levers), res.provenance,
                      (*notes, *res.warnings))


def run_checks(scenario: Any, runs: int, seed: int, options: Any = None,
               hypotheses: Sequence[str] | None = None) -> dict[str, Any]:
    """Every stylised-fact check of the scenario (§7.7) under the baseline and each hypothesis:
    the object of `detente check --json`; ``passed`` is true when every check passes."""
    from detente import __version__
    from detente.errors import InputError, problem
    from detente.options import CoupledOptions

    war = scenario.war
    if war is None or war.talks is None:
        raise InputError([problem("checks need a coupled scenario (a `war.talks` section)",
                                  ("war", "talks"))])
    if not war.checks:
        raise InputError([problem("the scenario lists no checks (war.checks)", ("war", "checks"))])
    options = options or CoupledOptions()
    names = list(hypotheses) if hypotheses else ["baseline", *(h.id for h in scenario.hypotheses)]
    result: dict[str, Any] = {"hypotheses": {}, "passed": True}
    for hyp in names:
        run = run_coupled(scenario, hyp, (), runs, seed, options)
        checks = [evaluate_check(run, c) for c in war.checks]
        result["hypotheses"][hyp] = checks
        result["passed"] &= all(c["passed"] for c in checks)
    result["provenance"] = {"scenario_sha256": scenario.sha256(), "version": __version__,
                            "seed": seed, "runs": runs}
    return result
