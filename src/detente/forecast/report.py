"""The ledger as plain data for views (report section, dashboard page): questions, forecasts
over time, scores and the reliability diagram. Views render it; nothing here draws."""

from __future__ import annotations

from typing import Any

from detente.forecast.evaluate import latest_resolutions, score_ledger


def _headline(forecast: dict[str, Any]) -> dict[str, Any]:
    if "p" in forecast:
        return {"p": forecast["p"]}
    if "probabilities" in forecast:
        return {"probabilities": forecast["probabilities"]}
    return {"quantiles": forecast["quantiles"], "unit": forecast.get("unit")}


def ledger_view(entries: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """``entries``: decoded ledger rows (``Ledger.entries()``), in id order. Returns
    ``questions`` (per question: text, type, dates, resolution, and its forecasts over time with
    baselines), ``scores`` (``evaluate.score_ledger``) and ``reliability`` (per forecaster, the
    diagram's bins: forecast, observed frequency, count)."""
    forecasts = [e for e in entries if e["kind"] == "forecast"]
    resolutions = latest_resolutions([e for e in entries if e["kind"] == "resolution"])
    questions: dict[str, dict[str, Any]] = {}
    for f in forecasts:
        q = f["question"]
        item = questions.setdefault(q["id"], {
            "id": q["id"], "version": q["version"], "text": q["text"], "type": q["type"],
            "close_date": q["close_date"], "resolve_by": q["resolve_by"],
            "resolution": None, "forecasts": []})
        item["version"], item["text"] = q["version"], q["text"]
        item["forecasts"].append({
            "id": f["id"], "created_at": f["created_at"], "model": f["model"],
            "forecast": _headline(f["forecast"]),
            "baselines": {k: _headline(v) for k, v in f["baselines"].items()}})
    for qid, r in resolutions.items():
        if qid in questions:
            questions[qid]["resolution"] = {"outcome": r["forecast"]["outcome"],
                                            "source": r["forecast"]["source"],
                                            "resolved_at": r["created_at"]}
    scores = score_ledger(forecasts, list(resolutions.values()), seed=seed)
    return {"questions": list(questions.values()), "scores": scores,
            "reliability": {name: m["diagram"] for name, m in scores["murphy"].items()}}
