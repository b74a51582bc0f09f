"""The dashboard's war panels shaped from simulated variants (a view: no model is computed here).

For a coupled scenario (MODELS.md §7.8) a simulation answers with the §7.8 summary of
:func:`detente.analysis.coupled.summarize_coupled` plus, per week, 95 % Wilson intervals on
P(deal in force) and P(partial deal) over the R runs, and each third party's mean engagement
with its 95 % interval beside the share of runs in which it is still engaged. With levers on,
the baseline (same hypothesis and seed, no lever) is simulated beside it so that the two can be
drawn together and the levers' effect read as paired differences (common random numbers) at
checkpoints that fit the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from detente.analysis.compare import run_variant, variant_summary
from detente.analysis.coupled import CoupledRun, lever_effects, summarize_coupled

Z95 = 1.959963984540054
"""The standard normal's 97.5 % quantile."""


def wilson(p: np.ndarray, n: int, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's (1927) score interval for binomial proportions ``p`` (any shape) over ``n``
    trials: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n). Unlike p ± z se it does not
    shrink to a point at p = 0 or 1."""
    p = np.asarray(p, dtype=float)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0.0, p), np.clip(centre + half, p, 1.0)  # rounding at 0, 1


def _band(curve: np.ndarray, n: int) -> dict[str, list[float]]:
    lo, hi = wilson(curve, n)
    return {"p": [float(v) for v in curve], "lo": [float(v) for v in lo],
            "hi": [float(v) for v in hi]}


def bands(run: CoupledRun) -> dict[str, Any]:
    """Weekly curves with their 95 % bands, (T,) each: deal and each partial deal (Wilson), and
    each third party's mean engagement (mean ± 1.96 sd / sqrt(R) over runs) beside the share of
    runs in which it is still engaged (engagement > 0; Wilson)."""
    out, x = run.outcome, run.inputs
    n = out.end_mode.size
    engagement = {}
    for j, a in enumerate(x.parties):
        e = out.engagement[:, :, j]
        mean, half = e.mean(axis=0), Z95 * e.std(axis=0, ddof=1) / np.sqrt(n)
        engagement[x.actors[a]] = {"p": [float(v) for v in mean],
                                   "lo": [float(v) for v in mean - half],
                                   "hi": [float(v) for v in mean + half],
                                   "engaged": _band((e > 0).mean(axis=0), n)}
    return {"runs": int(n),
            "deal": _band(out.deal_in_force.mean(axis=0), n),
            "partial": {pid: _band(out.partial_in_force[:, :, s].mean(axis=0), n)
                        for s, pid in enumerate(x.partial_ids)},
            "engagement": engagement}


def coupled_panels(run: CoupledRun) -> dict[str, Any]:
    """What the coupled panels draw of one variant: the §7.8 summary and the weekly bands."""
    return {**summarize_coupled(run), "bands": bands(run)}


def simulate_view(scenario: Any, hypothesis: str, levers: Sequence[str], runs: int, seed: int,
                  options: Any, horizon: int | None = None,
                  strength: dict[str, float] | None = None) -> dict[str, Any]:
    """The object of ``POST /api/simulate``: `simulate --json`'s summary of the variant and, on a
    coupled scenario, its panels (``coupled``) and, with levers on, the baseline's panels
    (``baseline``) and the levers' paired effects (``effects``)."""
    alt = run_variant(scenario, hypothesis, levers, runs, seed, options, horizon, strength)
    view = variant_summary(alt, hypothesis, levers)
    if not isinstance(alt, CoupledRun):
        return view
    view["coupled"] = coupled_panels(alt)
    if levers:
        base = run_variant(scenario, hypothesis, (), runs, seed, options, horizon)
        view["baseline"] = coupled_panels(base)
        view["effects"] = lever_effects(alt, base)
    return view


def compare_view(result: dict[str, Any], hypothesis: str) -> dict[str, Any]:
    """The object of ``POST /api/compare`` from :func:`detente.analysis.compare.compare`'s:
    per lever its paired effects on P(deal in force) at the checkpoints (those that fit the
    horizon) and, on a coupled scenario, on each issue's terms and last proposal."""
    entry = result["hypotheses"][hypothesis]
    base = entry["baseline"]
    levers = {}
    for lever, got in entry["levers"].items():
        effects = got.get("coupled", {}).get("effects", {})
        levers[lever] = {"p_deal": got["p_agreement"], "delta_p_deal": got["delta_p_agreement"],
                         "delta_terms": effects.get("delta_terms"),
                         "delta_proposal": effects.get("delta_proposal")}
    weeks = next(iter(levers.values()))["delta_p_deal"].keys() if levers else []
    return {"hypothesis": hypothesis, "checkpoints": [int(w) for w in weeks],
            "coupled": "coupled" in base, "baseline": {"p_deal": base["p_agreement"]},
            "levers": levers, "warnings": entry["warnings"], "provenance": result["provenance"]}
