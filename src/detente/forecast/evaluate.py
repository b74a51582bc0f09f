"""Scores of the ledger's resolved questions: every forecaster (model and baselines) per question,
time-averaged, with skill against each baseline and the Murphy decomposition (MODELS §6.2-6.4)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import numpy as np

from detente.errors import InputError, problem
from detente.forecast import scoring as S
from detente.forecast.questions import Question

ANNUL = "annul"
HEADLINE = {"binary": "brier", "multi": "brier", "numeric": "crps", "date": "crps"}


def parse_outcome(q: Question, text: str) -> Any:
    """An outcome as typed on the command line, checked against the question; ``annul`` voids."""
    t = text.strip()
    if t.lower() == ANNUL:
        return ANNUL
    bad = None
    if q.type == "binary":
        if t.lower() in ("yes", "true", "1"):
            return True
        if t.lower() in ("no", "false", "0"):
            return False
        bad = "yes or no (or annul)"
    elif q.type == "multi":
        if t in (q.options or ()):
            return t
        bad = f"one of {', '.join(q.options or ())} (or annul)"
    elif q.type == "numeric":
        try:
            return float(t)
        except ValueError:
            bad = "a number (or annul)"
    else:
        try:
            return date.fromisoformat(t).isoformat()
        except ValueError:
            bad = "an ISO date YYYY-MM-DD (or annul)"
    raise InputError([problem(f"outcome of {q.id} must be {bad}", ("outcome",), value=text)])


def outcome_number(q: Question, outcome: Any) -> float:
    """The outcome as the scorer uses it: 0/1, an option index, a number clipped into the
    bounds (an open tail resolves to its bound), or a date's ordinal day."""
    if q.type == "binary":
        return float(bool(outcome))
    if q.type == "multi":
        return float((q.options or ()).index(outcome))
    assert q.bounds is not None
    value = float(date.fromisoformat(outcome).toordinal()) if q.type == "date" else float(outcome)
    lo, hi = (float(b.value.toordinal()) if isinstance(b.value, date) else float(b.value)
              for b in (q.bounds.lower, q.bounds.upper))
    return float(np.clip(value, lo, hi))


def score_forecast(q: Question, forecast: dict[str, Any], y: float) -> dict[str, float]:
    """All scores of one forecast of ``q`` against the outcome number ``y``."""
    if q.type == "binary":
        p = float(S.clip_probability(forecast["p"]))
        return {"brier": float(S.brier_binary(p, y)),
                "log": float(S.log_score(p if y == 1 else 1 - p))}
    if q.type == "multi":
        probs = np.asarray(forecast["probabilities"], dtype=float)
        k = int(y)
        out = {"brier": float(S.brier_multi(probs[None], [k])[0]),
               "log": float(S.log_score(probs[k]))}
        if q.ordered:
            out["rps"] = float(S.rps(probs[None], [k])[0])
        return out
    x = np.asarray(forecast["samples"], dtype=float)
    out = {"crps": float(S.crps_ensemble(x, y)[0]),
           "crps_fair": float(S.crps_ensemble(x, y, fair=True)[0])}
    for a in S.ALPHAS:
        lo, hi = S.central_interval(x, a)
        out[f"interval_{a}"] = float(S.interval_score(lo, hi, np.asarray([y]), a)[0])
        out[f"covered_{a}"] = float(lo[0] <= y <= hi[0])
    return out


def latest_resolutions(resolutions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The latest resolution row per question (a correction is appended, never edited)."""
    out: dict[str, dict[str, Any]] = {}
    for r in resolutions:
        out[r["question_id"]] = r
    return out


def score_ledger(forecasts: list[dict[str, Any]], resolutions: list[dict[str, Any]],
                 seed: int = 0, resamples: int = 10_000) -> dict[str, Any]:
    """Scores of every resolved, non-annulled question: per forecaster, time-averaged over the
    days the question was open; skill of each model against each baseline (paired bootstrap over
    questions); Murphy decomposition of binary forecasts."""
    resolved = latest_resolutions(resolutions)
    per_q: dict[str, dict[str, list[tuple[date, dict[str, float]]]]] = defaultdict(
        lambda: defaultdict(list))
    questions: dict[str, Question] = {}
    latest_p: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for f in forecasts:
        res = resolved.get(f["question_id"])
        if res is None or res["forecast"]["outcome"] == ANNUL:
            continue
        if res["question_version"] != f["question_version"]:
            continue  # a forecast of an earlier wording is not scored against this resolution
        q = Question.model_validate(f["question"])
        questions[q.id] = q
        y = outcome_number(q, res["forecast"]["outcome"])
        made = date.fromisoformat(f["created_at"][:10])
        for name, fc in [(f["model"], f["forecast"]),
                         *((f"baseline:{b}", v) for b, v in f["baselines"].items())]:
            per_q[q.id][name].append((made, score_forecast(q, fc, y)))
            if q.type == "binary":
                latest_p[name][q.id] = (float(S.clip_probability(fc["p"])), y)
    table = {qid: {name: _time_average(rows, questions[qid].close_date)
                   for name, rows in by.items()} for qid, by in per_q.items()}
    return {"brier_forms": S.BRIER_FORMS, "log_score": "natural log of p(outcome), higher is "
            "better; p clipped into [0.001, 0.999]",
            "questions": {qid: {"type": questions[qid].type,
                                "outcome": resolved[qid]["forecast"]["outcome"],
                                "scores": table[qid]} for qid in table},
            "means": _means(table),
            "skill": _skill(table, questions, seed, resamples),
            "murphy": {name: S.murphy(*map(np.asarray, zip(*pairs.values(), strict=True)))
                       for name, pairs in latest_p.items() if pairs}}


def _time_average(rows: list[tuple[date, dict[str, float]]], close: date) -> dict[str, float]:
    keys = rows[0][1].keys()
    made = [d for d, _ in rows]
    return {k: S.time_averaged(made, [s[k] for _, s in rows], close) for k in keys}


def _means(table: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, Any]]:
    acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for by in table.values():
        for name, scores in by.items():
            for k, v in scores.items():
                acc[name][k].append(v)
    return {name: {k: {"mean": float(np.mean(v)), "n": len(v)} for k, v in d.items()}
            for name, d in acc.items()}


def _skill(table: dict[str, dict[str, dict[str, float]]], questions: dict[str, Question],
           seed: int, resamples: int) -> list[dict[str, Any]]:
    """Each model against each baseline, per headline score (Brier, CRPS), paired over the
    questions both forecast."""
    names = {n for by in table.values() for n in by}
    models = sorted(n for n in names if not n.startswith("baseline:"))
    bases = sorted(n for n in names if n.startswith("baseline:"))
    out = []
    for score in ("brier", "crps"):
        for m in models:
            for b in bases:
                qids = [q for q, by in table.items() if HEADLINE[questions[q].type] == score
                        and m in by and b in by]
                if not qids:
                    continue
                a = np.asarray([table[q][m][score] for q in qids])
                r = np.asarray([table[q][b][score] for q in qids])
                out.append({"model": m, "baseline": b, "score": score,
                            **S.paired_bootstrap(a, r, resamples=resamples, seed=seed)})
    return out
