"""Forecasts from the models for a list of questions, with the baselines recorded beside them.

MODELS.md §6.1: simulate every run at least up to the date that matters; an event question's
forecast is the share of runs in which the event has occurred by then, a numeric question's the
distribution across runs. Weeks count from the scenario's ``as_of``. Every use of the war
simulation's output goes through :func:`war_arrays` (extraction) and :func:`forecast_from_runs`
(the mapping), so a new Results type only has to re-point :func:`war_arrays`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from detente.errors import InputError, problem
from detente.forecast.questions import Question
from detente.forecast.scoring import clip_probability

NEVER = np.inf  # event_week of a run in which the event does not happen within the horizon
UNIFORM_POINTS = 101
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


@dataclass(frozen=True)
class Setup:
    """What a forecast is made from: the inputs stored in the ledger to re-run it."""

    scenario: Path
    hypothesis: str | None = None
    levers: tuple[str, ...] = ()
    runs: int = 1000
    seed: int = 0
    horizon: int | None = None

    def inputs(self, scenario_sha256: str) -> dict[str, Any]:
        return {"scenario": str(self.scenario.resolve()), "scenario_sha256": scenario_sha256,
                "hypothesis": self.hypothesis or "baseline", "levers": list(self.levers),
                "runs": self.runs, "seed": self.seed, "horizon": self.horizon}


def weeks_until(as_of: date, when: date) -> int:
    """Whole weeks from ``as_of`` until ``when`` (a partial week counts: the run must reach it)."""
    return max(math.ceil((when - as_of).days / 7), 0)


def target_date(q: Question) -> date:
    """The date a run must reach: resolve_by, or a date question's upper bound."""
    if q.type == "date" and q.bounds is not None:
        return q.bounds.upper.value  # type: ignore[return-value]
    return q.resolve_date


def forecast_from_runs(q: Question, as_of: date, horizon: int, event_week: np.ndarray,
                       samples: np.ndarray | None = None) -> dict[str, Any]:
    """Map per-run simulation output onto the question (the one adapter, MODELS §6.1).

    ``event_week`` (runs,): the week (0 = the week after ``as_of``) by whose end the event holds,
    :data:`NEVER` if not within the horizon. ``samples`` (runs,): the numeric quantity per run
    (date questions: days after ``as_of``, NEVER past the horizon). A horizon that ends before the
    date the question needs is an error, never a "no".
    """
    needed = weeks_until(as_of, target_date(q))
    if needed > horizon:
        end = as_of + timedelta(weeks=horizon)
        raise InputError([problem(
            f"question {q.id}: the simulation's {horizon}-week horizon ends on {end}, before "
            f"{target_date(q)}; raise war.horizon (or --horizon) to at least {needed} weeks",
            ("horizon",), value=horizon)])
    if q.type == "binary":
        return {"p": float(np.mean(np.asarray(event_week) <= needed - 1))}
    assert samples is not None and q.bounds is not None
    values = np.asarray(samples, dtype=float)
    if q.type == "date":
        values = values + as_of.toordinal()
    return numeric_forecast(q, values)


def numeric_forecast(q: Question, values: np.ndarray) -> dict[str, Any]:
    """Samples clipped into the bounds (an open tail resolves to its bound), with quantiles.
    Date questions carry ordinal days (``date.toordinal``)."""
    assert q.bounds is not None
    lo, hi = (_number(b.value) for b in (q.bounds.lower, q.bounds.upper))
    clipped = np.clip(values, lo, hi)
    out = {"samples": clipped.tolist(),
           "quantiles": {str(p): float(v) for p, v in zip(QUANTILES,
                                                          np.quantile(clipped, QUANTILES),
                                                          strict=True)},
           "share_at_lower": float(np.mean(values <= lo)),
           "share_at_upper": float(np.mean(values >= hi))}
    if q.type == "date":
        out["unit"] = "days (date.toordinal)"
    return out


def _number(v: float | date) -> float:
    return float(v.toordinal()) if isinstance(v, date) else float(v)


def war_arrays(run: Any, q: Question, week: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The per-run arrays of one question from a war run (``analysis.compare.WarRun``).

    Returns ``event_week`` (runs,) and, for numeric questions, samples (runs,). ``week``: the
    number of weeks the question needs; a state on a date (``ceasefire_in_force``,
    ``agreement_terms``) holds at the end of week ``week - 1`` from the start of its spell.
    """
    from detente.war.kernel import FIGHTING, HORIZON

    out, spec = run.outcome, q.simulated_by
    assert spec is not None
    if spec.quantity == "agreement_date":
        first = out.first_agreement.astype(float)
        return np.full(first.shape, NEVER), np.where(first >= 0, (first + 1) * 7, NEVER)
    if spec.event == "agreement_signed":
        first = out.first_agreement.astype(float)
        return np.where(first >= 0, first, NEVER), None
    if spec.event == "war_ended":
        ended = ~np.isin(out.end_mode, (FIGHTING, HORIZON))
        return np.where(ended, out.end_week.astype(float), NEVER), None
    holds = _spell_start(out.in_force, week)
    if spec.event == "agreement_terms":
        j = list(run.inputs.issues).index(spec.issue)
        terms = out.terms[:, j]
        ok = terms <= spec.at_most if spec.at_most is not None else terms >= spec.at_least
        holds = np.where(ok, holds, NEVER)
    return holds, None


def _spell_start(in_force: np.ndarray, week: int) -> np.ndarray:
    """Per run, the week the agreement in force at the end of week ``week - 1`` began, else
    NEVER; in_force (runs, T)."""
    window = in_force[:, :week]
    on = window[:, -1]
    off_before = np.where(~window, np.arange(week), -1).max(axis=1)
    return np.where(on, off_before + 1, NEVER).astype(float)


def issue_samples(scenario: Any, model: str, issue: str, setup: Setup) -> np.ndarray:
    """A negotiation model's forecast of one issue across Monte Carlo draws (runs,)."""
    from detente.runtime import negotiate

    ids = [i.id for i in scenario.issues]
    if issue not in ids:
        raise InputError([problem(f"unknown issue (defined: {', '.join(ids)})",
                                  ("simulated_by", "issue"), value=issue)])
    res = negotiate(scenario, model, draws=setup.runs, seed=setup.seed)
    return np.asarray(res.trajectory.forecast[:, ids.index(issue)], dtype=float)


# -- the records a seal stores --------------------------------------------------------------------

def make_forecasts(questions: Sequence[Question], scenario: Any, setup: Setup,
                   today: date | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """One record per question the models can answer (model, options, inputs, forecast,
    baselines), and a warning for each question they cannot (only baselines could answer it)."""
    from detente.analysis.compare import run_variant, war_options

    if scenario.as_of is None:
        raise InputError([problem("forecasts need the scenario's as_of date (weeks count from "
                                  "it)", ("as_of",))], str(setup.scenario))
    check_open(questions, today or date.today())
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    war_qs = [q for q in questions if q.simulated_by and q.simulated_by.quantity != "issue_outcome"]
    if not war_qs and (setup.hypothesis or setup.levers or setup.horizon):
        warnings.append("--hypothesis, --lever and --horizon change nothing: no question is "
                        "answered by the war simulation")
    options = war_options({})
    run = (run_variant(scenario, setup.hypothesis, setup.levers, setup.runs, setup.seed, options,
                       setup.horizon) if war_qs else None)
    inputs = setup.inputs(scenario.sha256())
    for q in questions:
        spec = q.simulated_by
        if spec is None:
            warnings.append(f"question {q.id} has no simulated_by: no model answers it")
            continue
        if spec.quantity == "issue_outcome":
            samples = issue_samples(scenario, spec.model, spec.issue or "", setup)
            forecast = numeric_forecast(q, samples)
            model, opts = f"negotiation[{spec.model}]", {}
        else:
            assert run is not None
            week = weeks_until(scenario.as_of, target_date(q))
            horizon = run.inputs.horizon
            event_week, samples = war_arrays(run, q, min(week, horizon))
            forecast = forecast_from_runs(q, scenario.as_of, horizon, event_week, samples)
            levers = "".join(f"+{lv}" for lv in setup.levers)
            model, opts = f"war[{setup.hypothesis or 'baseline'}{levers}]", options.as_dict()
        records.append({"question": q.model_dump(mode="json"), "model": model, "options": opts,
                        "inputs": inputs, "forecast": forecast,
                        "baselines": baselines(q, scenario, setup)})
    return records, warnings


def check_open(questions: Sequence[Question], today: date) -> None:
    """Forecasts are made on or before a question's close date."""
    late = [problem(f"question {q.id} closed on {q.close_date}; forecasts are sealed on or "
                    "before the close date", ("questions", k, "close_date"), value=str(today))
            for k, q in enumerate(questions) if today > q.close_date]
    if late:
        raise InputError(late)


def baselines(q: Question, scenario: Any, setup: Setup) -> dict[str, Any]:
    """The baselines recorded with a forecast (MODELS §6.4): status quo, uniform, base rate and,
    for issue outcomes, the compromise model (capability x salience weighted mean)."""
    from detente.forecast.reference_class import REFERENCE_NOTE, war_ending_by

    out: dict[str, Any] = {"uniform": uniform_forecast(q)}
    sq = status_quo_forecast(q, scenario)
    if sq is not None:
        out["status_quo"] = sq
    if q.base_rate is not None:
        if q.base_rate.probability is not None:
            out["base_rate"] = {"p": float(clip_probability(q.base_rate.probability)),
                                "source": q.base_rate.source}
        elif q.type == "binary":
            assert q.base_rate.conflict_start is not None
            p = war_ending_by(q.base_rate.conflict_start, scenario.as_of, q.resolve_date)
            out["base_rate"] = {"p": float(clip_probability(p)), "source": REFERENCE_NOTE}
    spec = q.simulated_by
    if spec is not None and spec.quantity == "issue_outcome":
        out["compromise"] = numeric_forecast(q, issue_samples(scenario, "mean", spec.issue or "",
                                                              setup))
    return out


def uniform_forecast(q: Question) -> dict[str, Any]:
    """Equal probabilities, or evenly spread values across the bounds."""
    if q.type == "binary":
        return {"p": 0.5}
    if q.type == "multi":
        k = q.option_count()
        return {"probabilities": [1 / k] * k}
    assert q.bounds is not None
    lo, hi = (_number(b.value) for b in (q.bounds.lower, q.bounds.upper))
    grid = lo + (np.arange(UNIFORM_POINTS) + 0.5) / UNIFORM_POINTS * (hi - lo)
    return numeric_forecast(q, grid)


def status_quo_forecast(q: Question, scenario: Any) -> dict[str, Any] | None:
    """No change: what holds at the open date (the question's status_quo, or for an issue
    outcome the scenario's status quo of that issue)."""
    sq = q.status_quo
    if q.type == "binary" and isinstance(sq, bool):
        return {"p": float(clip_probability(float(sq)))}
    if q.type == "multi" and isinstance(sq, str):
        k = q.option_count()
        hit = (q.options or ()).index(sq)
        return {"probabilities": [0.999 if i == hit else 0.001 / (k - 1) for i in range(k)]}
    if q.type == "numeric":
        spec = q.simulated_by
        if sq is None and spec is not None and spec.quantity == "issue_outcome":
            ref = next((i.reference for i in scenario.issues if i.id == spec.issue), None)
            sq = None if ref is None else ref.point()
        return None if sq is None else numeric_forecast(q, np.asarray([float(sq)]))
    if q.type == "date" and isinstance(sq, str):
        return numeric_forecast(q, np.asarray([float(date.fromisoformat(sq).toordinal())]))
    return None


def reproduce(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-run sealed forecasts from their stored inputs, one simulation per distinct inputs:
    per entry ``{"id", "status": "reproduced" | "differs" | "cannot", "detail"}``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        groups.setdefault(e["inputs_hash"], []).append(e)
    out = {}
    for group in groups.values():
        for e, status in zip(group, _reproduce_group(group), strict=True):
            out[e["id"]] = {"id": e["id"], **status}
    return [out[e["id"]] for e in entries]


def _reproduce_group(group: list[dict[str, Any]]) -> list[dict[str, str]]:
    from detente.scenario import load_scenario

    inputs = group[0]["inputs"]
    path = Path(inputs["scenario"])
    try:
        scenario = load_scenario(path)
    except InputError as err:
        return [{"status": "cannot", "detail": f"scenario {path}: {err.problems[0].message}"}
                ] * len(group)
    if scenario.sha256() != inputs["scenario_sha256"]:
        return [{"status": "cannot", "detail": f"scenario {path} changed since the seal"}
                ] * len(group)
    qs = [Question.model_validate(e["question"]) for e in group]
    setup = Setup(path, None if inputs["hypothesis"] == "baseline" else inputs["hypothesis"],
                  tuple(inputs["levers"]), inputs["runs"], inputs["seed"], inputs["horizon"])
    first = min(date.fromisoformat(e["created_at"][:10]) for e in group)
    records, _ = make_forecasts(qs, scenario, setup, today=min(first, *(q.close_date
                                                                         for q in qs)))
    made = {r["question"]["id"]: r["forecast"] for r in records}
    return [{"status": "reproduced", "detail": ""} if made.get(e["question_id"]) == e["forecast"]
            else {"status": "differs", "detail": "the re-run forecast differs from the sealed one"}
            for e in group]
