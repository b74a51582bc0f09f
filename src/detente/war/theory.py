"""Closed forms the war kernel is built on and tested against (MODELS.md §5.6-5.7)."""

from __future__ import annotations

import numpy as np


def gamblers_ruin(k: np.ndarray, n: int, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Win probability and expected remaining battles of a random-walk front (MODELS.md §5.6).

    R wins a battle with probability p, the front moves one step, absorbing at 0 (U wins) and n
    (R wins). With ω = (1 - p)/p:
        P_R(k) = (1 - ω^k)/(1 - ω^n),  D(k) = k/(1 - 2p) - n/(1 - 2p) P_R(k)   (p != 1/2)
        P_R(k) = k/n,                  D(k) = k (n - k)                       (p = 1/2)
    ω^k is evaluated as expm1 of a non-positive exponent only: for ω > 1 the mirror identity
    P_R(k; p) = 1 - P_R(n - k; 1 - p) is used, so p near 0 or 1 neither overflows nor loses
    precision.
    """
    k = np.asarray(k, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    lw = np.log1p(-p) - np.log(p)  # log ω
    fair = np.abs(p - 0.5) < 1e-7
    up = lw > 0
    s = np.where(fair, -1.0, -np.abs(lw))
    a = np.where(up, n - k, k)
    q = np.expm1(a * s) / np.expm1(n * s)
    win = np.where(fair, k / n, np.where(up, 1.0 - q, q))
    denom = np.where(fair, 1.0, 1.0 - 2.0 * p)
    duration = np.where(fair, k * (n - k), (k - n * win) / denom)
    return win, np.maximum(duration, 0.0)


def fearon_demand(p: np.ndarray, cost_r: np.ndarray, cost_bar: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Fearon's (1995) risk-return trade-off: R's take-it-or-leave-it demand and Pr(war).

    U's cost c_U ~ Uniform[0, c̄] is private; U accepts x iff c_U >= x - p. Interior optimum
    x* = p + (c̄ - c_R)/2 and Pr(war) = (c̄ - c_R)/(2 c̄) when c_R < c̄ (MODELS.md §5.7); if
    c_R >= c̄ then x* = p, Pr(war) = 0; the demand is capped at 1, where Pr(war) = (1 - p)/c̄.
    """
    p, cost_r, cost_bar = np.broadcast_arrays(*(np.asarray(a, float) for a in
                                                 (p, cost_r, cost_bar)))
    interior = p + np.maximum(cost_bar - cost_r, 0.0) / 2.0
    demand = np.minimum(interior, 1.0)
    war = np.clip((demand - p) / cost_bar, 0.0, 1.0)
    return demand, war


def fearon_outcomes(p: np.ndarray, cost_r: np.ndarray, cost_u: np.ndarray, cost_bar: np.ndarray,
                    battle: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-shot bargaining with R's optimal demand against U's drawn private cost.

    Returns (demand, war, R's share): U fights iff its cost is below x* - p; war is then a
    lottery R wins with probability p (``battle`` holds uniforms deciding it).
    """
    demand, _ = fearon_demand(p, cost_r, cost_bar)
    war = cost_u < demand - p
    share = np.where(war, (battle < p).astype(float), demand)
    return demand, war, share
