"""Robust lever ranking across hypotheses and sampled inputs (robust decision making).

Every lever and every pair of levers is simulated beside the baseline (no lever) under every
hypothesis, over the same Latin-hypercube sample of the uncertain inputs (same uniforms in every
hypothesis, mapped through each hypothesis's own distributions) and the same random streams
(common random numbers). E[h, o, s] is option o's paired effect on P(deal in force at week W) in
hypothesis h and input sample s. Each option is ranked by

* expected effect: the mean of E over samples and hypotheses (hypotheses weighted equally),
* worst case: the minimum of E over samples and hypotheses,
* minimax regret: the maximum over (h, s) of max_o' E[h, o', s] - E[h, o, s], with doing
  nothing (effect 0) among the alternatives (Savage's criterion).

The ranking "changes across hypotheses" when the options ordered by expected effect within each
hypothesis do not all put the same option first.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np

from detente.analysis.outcomes import parse_outcome
from detente.analysis.sensitivity import (
    WarProblem,
    kernel_options,
    simulate_variants,
    to_values,
    war_inputs,
)
from detente.scenario.schema import Scenario

NONE = "(none)"


def lever_options(levers: Sequence[str], pairs: bool = True) -> list[tuple[str, ...]]:
    """Each lever alone and, with ``pairs``, every pair of them."""
    single = [(lv,) for lv in levers]
    return single + (list(combinations(levers, 2)) if pairs else [])


def effects(scenario: Scenario, hypotheses: Sequence[str], levers: Sequence[str], week: int = 26,
            samples: int = 32, runs_per_sample: int = 200, seed: int = 0, pairs: bool = True,
            options: Any = None, horizon: int | None = None, backend: Any = None
            ) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """The options and their paired effects E (H, O, S) on P(deal in force at ``week``), on
    the coupled kernel for a scenario with ``war.talks`` (its coupled numbers sampled too)."""
    from scipy.stats import qmc

    coupled, options = kernel_options(scenario, options)
    outcome = parse_outcome(f"p_deal@{week}", scenario)
    opts = lever_options(levers, pairs)
    per_hyp = {h: war_inputs(scenario, None if h == "baseline" else h, levers, coupled=coupled)
               for h in hypotheses}
    names = sorted({inp.name for inputs in per_hyp.values() for inp in inputs})
    u = qmc.LatinHypercube(d=max(len(names), 1), seed=np.random.default_rng(seed)).random(samples)
    out = np.zeros((len(hypotheses), len(opts), samples))
    for i, h in enumerate(hypotheses):
        inputs = per_hyp[h]
        cols = [names.index(inp.name) for inp in inputs]
        x = to_values(inputs, u[:, cols])
        problem_ = WarProblem(scenario, outcome, inputs, None if h == "baseline" else h, (),
                              options, horizon, coupled)
        p = [outcome.reduce(simulate_variants(problem_, x, runs_per_sample, seed, [v],
                                              backend=backend), samples)
             for v in [(), *opts]]  # one variant at a time: only its outcome is kept
        out[i] = np.array(p[1:]) - p[0]
    return opts, out


def robust_ranking(scenario: Scenario, hypotheses: Sequence[str], levers: Sequence[str],
                   week: int = 26, samples: int = 32, runs_per_sample: int = 200, seed: int = 0,
                   pairs: bool = True, options: Any = None,
                   horizon: int | None = None, backend: Any = None) -> dict[str, Any]:
    """Rank levers and pairs by expected effect, worst case and minimax regret: plain data."""
    opts, e = effects(scenario, hypotheses, levers, week, samples, runs_per_sample, seed, pairs,
                      options, horizon, backend)
    ranked = rank_options(["+".join(o) for o in opts], hypotheses, e)
    levers_of = {"+".join(o): list(o) for o in opts}
    for row in ranked["ranking"]:
        row["levers"] = levers_of.get(row["option"], [])
    return {"outcome": f"p_deal@{week}", "week": week, "samples": samples,
            "runs_per_sample": runs_per_sample, "seed": seed, **ranked}


def rank_options(labels: Sequence[str], hypotheses: Sequence[str], e: np.ndarray
                 ) -> dict[str, Any]:
    """Rank options from their effects ``e`` (H, O, S) (module docstring), doing nothing added."""
    names = [NONE, *labels]
    e = np.concatenate([np.zeros((e.shape[0], 1, e.shape[2])), e], axis=1)
    regret = e.max(axis=1, keepdims=True) - e
    expected, worst = e.mean(axis=(0, 2)), e.min(axis=(0, 2))
    max_regret = regret.max(axis=(0, 2))
    per_hyp = e.mean(axis=2)  # (H, O)
    rank = {key: _ranks(v) for key, v in (("expected", -expected), ("worst", -worst),
                                          ("regret", max_regret))}
    rows = [{"option": names[o], "expected": float(expected[o]), "worst": float(worst[o]),
             "max_regret": float(max_regret[o]),
             "rank": {k: int(r[o]) for k, r in rank.items()},
             "by_hypothesis": {h: float(per_hyp[i, o]) for i, h in enumerate(hypotheses)}}
            for o in range(len(names))]
    rows.sort(key=lambda r: r["rank"]["expected"])
    order = {h: [names[o] for o in np.argsort(-per_hyp[i], kind="stable")]
             for i, h in enumerate(hypotheses)}
    tops = {h: ordered[0] for h, ordered in order.items()}
    best = {k: names[int(np.argmin(r))] for k, r in rank.items()}
    return {"hypotheses": list(hypotheses), "ranking": rows, "best": best,
            "order_by_hypothesis": order, "top_by_hypothesis": tops,
            "ranking_changes": len(set(tops.values())) > 1,
            "criteria_agree": len(set(best.values())) == 1}


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, smallest value first, ties in order of appearance."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(values.size, dtype=int)
    ranks[order] = np.arange(1, values.size + 1)
    return ranks
