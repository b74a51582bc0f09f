"""Voting power in a weighted voting body: Shapley-Shubik and Banzhaf indices.

A coalition S wins when its weight sum_{i in S} w_i reaches the quota q. Player i is pivotal
(a swing) for the coalition S of others when w(S) < q <= w(S) + w_i.

* Shapley & Shubik (1954): phi_i = sum over swing coalitions S of |S|! (n - |S| - 1)! / n!, the
  share of the n! orderings in which i turns a losing coalition into a winning one.
* Banzhaf (1965): the number of swings eta_i; raw index eta_i / 2^(n-1), normalised
  eta_i / sum_j eta_j.

Exact computation: for integer weights, dynamic programming over (coalition size, weight)
counts, O(n^2 W) for total weight W; for other weights up to ``EXACT_LIMIT`` players, every
coalition is enumerated. Above that, a seeded Monte Carlo estimate (random orderings for
Shapley-Shubik, random coalitions for Banzhaf). These are an aid beside capabilities: a share of
the weight is not a share of the power (Luxembourg held 1 of 17 votes and no power in the 1958
EEC Council), and nothing here changes a scenario's capabilities.
"""

from __future__ import annotations

from math import factorial
from typing import Any

import numpy as np

EXACT_LIMIT = 20


def _integer(weights: np.ndarray) -> bool:
    return bool(np.all(weights == np.round(weights))) and weights.sum() <= 10**6


def _counts_without(weights: np.ndarray, i: int, total: int) -> np.ndarray:
    """c[s, w]: coalitions of the players other than i with s members and weight w (objects)."""
    n = weights.size
    c = np.zeros((n, total + 1), dtype=object)
    c[0, 0] = 1
    for j, wj in enumerate(weights.astype(int)):
        if j == i:
            continue
        # add player j to every coalition counted so far (descending sizes: 0/1 knapsack)
        c[1:, wj:] = c[1:, wj:] + c[:-1, : total + 1 - wj]
    return c


def _exact_dp(weights: np.ndarray, quota: float) -> tuple[np.ndarray, np.ndarray]:
    """Shapley-Shubik values and Banzhaf swing counts by DP over integer weights."""
    n, total = weights.size, int(weights.sum())
    ss, swings = np.zeros(n), np.zeros(n)
    coef = [factorial(s) * factorial(n - s - 1) for s in range(n)]
    for i, wi in enumerate(weights.astype(int)):
        c = _counts_without(weights, i, total)
        lo, hi = max(int(np.ceil(quota - wi)), 0), min(int(np.ceil(quota)) - 1, total)
        if hi < lo:
            continue
        block = c[:, lo: hi + 1].sum(axis=1)  # swings by coalition size
        ss[i] = float(sum(int(block[s]) * coef[s] for s in range(n)) / factorial(n))
        swings[i] = float(sum(int(b) for b in block))
    return ss, swings


def _exact_enumeration(weights: np.ndarray, quota: float) -> tuple[np.ndarray, np.ndarray]:
    """The same by listing all 2^n coalitions (any real weights, n <= EXACT_LIMIT)."""
    n = weights.size
    members = (np.arange(2**n)[:, None] >> np.arange(n)) & 1  # (2^n, n)
    weight = members @ weights
    size = members.sum(axis=1)
    tol = 1e-9 * max(abs(quota), 1.0)
    coef = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    ss, swings = np.zeros(n), np.zeros(n)
    for i in range(n):
        out = members[:, i] == 0
        swing = out & (weight < quota - tol) & (weight + weights[i] >= quota - tol)
        ss[i] = coef[size[swing]].sum()
        swings[i] = swing.sum()
    return ss, swings


def _monte_carlo(weights: np.ndarray, quota: float, samples: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """Seeded estimates: pivots in random orderings, swings in random coalitions."""
    rng = np.random.default_rng(seed)
    n = weights.size
    ss = np.zeros(n)
    chunk = max(1, min(samples, 2**22 // n))
    done = 0
    while done < samples:
        m = min(chunk, samples - done)
        order = np.argsort(rng.random((m, n)), axis=1)
        cum = np.cumsum(weights[order], axis=1)
        pivot = order[np.arange(m), np.argmax(cum >= quota, axis=1)]
        ss += np.bincount(pivot, minlength=n)
        done += m
    ss /= samples
    members = rng.random((samples, n)) < 0.5
    weight = members @ weights
    swings = np.array([np.sum(~members[:, i] & (weight < quota) & (weight + weights[i] >= quota))
                       for i in range(n)], dtype=float) * 2 ** (n - 1) / samples * 2
    return ss, swings, float(1 / np.sqrt(samples))


def power_indices(weights: np.ndarray | list[float], quota: float, samples: int = 200_000,
                  seed: int = 0) -> dict[str, Any]:
    """Shapley-Shubik and Banzhaf indices of a weighted voting body [q; w_1, ..., w_n].

    weights (n,) >= 0; a coalition wins when its weight reaches ``quota`` (0 < quota <= total).
    Returns plain data: ``shapley_shubik`` (n,) summing to 1, ``banzhaf`` (normalised, n,),
    ``banzhaf_raw`` (swings / 2^(n-1)) and the ``method`` used ('dp', 'enumeration' or
    'monte-carlo' with its ``samples`` and ``seed``).
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or (w < 0).any():
        raise ValueError("weights must be a non-empty list of non-negative numbers")
    if not 0 < quota <= w.sum():
        raise ValueError(f"the quota must lie in (0, {w.sum():g}] (the total weight)")
    info: dict[str, Any] = {}
    if _integer(w):
        ss, swings = _exact_dp(w, quota)
        info["method"] = "dp"
    elif w.size <= EXACT_LIMIT:
        ss, swings = _exact_enumeration(w, quota)
        info["method"] = "enumeration"
    else:
        ss, swings, err = _monte_carlo(w, quota, samples, seed)
        info.update(method="monte-carlo", samples=samples, seed=seed, typical_error=err)
    total = swings.sum()
    return {"shapley_shubik": [float(v) for v in ss],
            "banzhaf": [float(v / total) if total else 0.0 for v in swings],
            "banzhaf_raw": [float(v / 2 ** (w.size - 1)) for v in swings],
            "quota": float(quota), **info}


def scenario_power(scenario: Any, quota: float = 0.5) -> dict[str, Any]:
    """Each actor's capability share beside its power indices, with the quota a share of the
    total capability (point values; an actor without one counts the mean of its stances'; the
    scenario is left unchanged)."""
    actors = [a.id for a in scenario.actors]
    caps = np.array([_capability(scenario, a) for a in scenario.actors])
    if not 0 < quota <= 1:
        raise ValueError("the quota is a share of the total capability, in (0, 1]")
    total = float(caps.sum())
    indices = power_indices(caps, quota * total)
    rows = [{"actor": a, "capability": float(c), "share": float(c / total),
             "shapley_shubik": indices["shapley_shubik"][k], "banzhaf": indices["banzhaf"][k]}
            for k, (a, c) in enumerate(zip(actors, caps, strict=True))]
    return {"quota_share": quota, "quota": quota * total, "method": indices["method"],
            "actors": rows}


def _capability(scenario: Any, actor: Any) -> float:
    """An actor's capability, or the mean of its stances' own where it gives none."""
    if actor.capability is not None:
        return float(actor.capability.point())
    own = [st.capability.point() for st in scenario.stances
           if st.actor == actor.id and st.capability is not None]
    return float(np.mean(own)) if own else 0.0
