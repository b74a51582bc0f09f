"""Proper scores, the Murphy decomposition and paired skill against baselines (MODELS.md §6.2-6.4).

Plain numpy. Conventions: every score is negatively oriented (lower is better) except the log
score, which is ``log p(realised outcome)`` (natural log, higher is better). The Brier score of a
binary question is the 0-1 form ``(p - o)²``; of a multi-option question the Σ form of Brier (1950)
``Σ_c (p_c - o_c)²`` (0-2). Tests check these against scoringrules and properscoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

P_MIN, P_MAX = 0.001, 0.999  # probabilities are validated into this range at the boundary
ALPHAS = (0.5, 0.2, 0.1)
BRIER_FORMS = {"binary": "0-1 form (p - o)^2", "multi": "sum form sum_c (p_c - o_c)^2 (0-2)"}


def clip_probability(p: np.ndarray | float) -> np.ndarray:
    """Probabilities into [0.001, 0.999], so that log scores stay finite (MODELS §6.2)."""
    return np.clip(np.asarray(p, dtype=float), P_MIN, P_MAX)


def brier_binary(p: np.ndarray | float, o: np.ndarray | float) -> np.ndarray:
    """Brier score, 0-1 form: (p - o)², p the probability of "yes", o ∈ {0, 1}; (n,) -> (n,)."""
    return (np.asarray(p, dtype=float) - np.asarray(o, dtype=float)) ** 2


def one_hot(outcome: np.ndarray | int, k: int) -> np.ndarray:
    """Outcome indices (n,) into indicator rows (n, k)."""
    return np.eye(k)[np.asarray(outcome, dtype=int)]


def brier_multi(probs: np.ndarray, outcome: np.ndarray | int) -> np.ndarray:
    """Brier (1950) Σ form over K options: Σ_c (p_c - o_c)²; probs (n, K), outcome (n,) -> (n,)."""
    probs = np.atleast_2d(np.asarray(probs, dtype=float))
    return ((probs - one_hot(outcome, probs.shape[-1])) ** 2).sum(axis=-1)


def log_score(p_realised: np.ndarray | float) -> np.ndarray:
    """Log score log p(ω*) (natural log, higher is better), p clipped into [0.001, 0.999]."""
    return np.log(clip_probability(p_realised))


def rps(probs: np.ndarray, outcome: np.ndarray | int, normalised: bool = False) -> np.ndarray:
    """Ranked probability score Σ_c (F_c - O_c)² over cumulative probabilities of ordered options;
    ``normalised`` divides by K - 1 (range 0-1). probs (n, K), outcome (n,) -> (n,)."""
    probs = np.atleast_2d(np.asarray(probs, dtype=float))
    k = probs.shape[-1]
    cum_f = np.cumsum(probs, axis=-1)
    cum_o = np.cumsum(one_hot(outcome, k), axis=-1)
    score = ((cum_f - cum_o) ** 2).sum(axis=-1)
    return score / (k - 1) if normalised else score


def crps_ensemble(samples: np.ndarray, y: np.ndarray | float, fair: bool = False) -> np.ndarray:
    """CRPS of an m-member ensemble (Gneiting & Raftery 2007): E|X - y| - ½ E|X - X'|.

    The spread term uses sorted samples, Σ_i Σ_j |x_i - x_j| = 2 Σ_i (2i - m - 1) x_(i)
    (O(m log m));
    standard divides it by 2m², ``fair`` by 2m(m - 1). samples (n, m) or (m,), y (n,) -> (n,).
    """
    x = np.sort(np.atleast_2d(np.asarray(samples, dtype=float)), axis=-1)
    y = np.asarray(y, dtype=float).reshape(-1, 1)
    m = x.shape[-1]
    accuracy = np.abs(x - y).mean(axis=-1)
    rank = 2 * np.arange(1, m + 1) - m - 1
    pair_sum = 2 * (rank * x).sum(axis=-1)
    if fair:
        return accuracy - pair_sum / (2 * m * (m - 1)) if m > 1 else accuracy
    return accuracy - pair_sum / (2 * m * m)


def central_interval(samples: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The central (1 - α) interval of each row of samples (n, m): quantiles α/2 and 1 - α/2."""
    q = np.quantile(np.atleast_2d(samples), [alpha / 2, 1 - alpha / 2], axis=-1)
    return q[0], q[1]


def interval_score(lower: np.ndarray, upper: np.ndarray, y: np.ndarray,
                   alpha: float) -> np.ndarray:
    """IS_α = (u - l) + (2/α)(l - y)·1{y < l} + (2/α)(y - u)·1{y > u} (Gneiting & Raftery 2007)."""
    lower, upper, y = (np.asarray(a, dtype=float) for a in (lower, upper, y))
    return ((upper - lower) + (2 / alpha) * (lower - y) * (y < lower)
            + (2 / alpha) * (y - upper) * (y > upper))


def interval_scores(samples: np.ndarray, y: np.ndarray,
                    alphas: Sequence[float] = ALPHAS) -> dict[str, dict[str, float]]:
    """Mean interval score and coverage (share of y inside) per α, against nominal 1 - α."""
    out = {}
    for a in alphas:
        lo, hi = central_interval(samples, a)
        inside = (np.asarray(y) >= lo) & (np.asarray(y) <= hi)
        out[str(a)] = {"interval_score": float(interval_score(lo, hi, y, a).mean()),
                       "coverage": float(inside.mean()), "nominal": 1 - a}
    return out


def murphy(p: np.ndarray, o: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Murphy (1973) decomposition of the binary Brier score with K equal-width bins.

    REL = (1/N) Σ_k n_k (f_k - ō_k)², RES = (1/N) Σ_k n_k (ō_k - ō)², UNC = ō(1 - ō), with f_k the
    mean forecast in bin k; ``residual`` = BS - (REL - RES + UNC), zero when every forecast equals
    its bin value (the within-bin terms). ``diagram`` holds the reliability diagram's points.
    """
    p, o = np.asarray(p, dtype=float), np.asarray(o, dtype=float)
    n = p.size
    k = np.minimum((p * bins).astype(int), bins - 1)
    counts = np.bincount(k, minlength=bins)
    used = counts > 0
    f_k = np.bincount(k, p, bins)[used] / counts[used]
    o_k = np.bincount(k, o, bins)[used] / counts[used]
    base = o.mean()
    rel = float((counts[used] * (f_k - o_k) ** 2).sum() / n)
    res = float((counts[used] * (o_k - base) ** 2).sum() / n)
    unc = float(base * (1 - base))
    bs = float(brier_binary(p, o).mean())
    return {"brier": bs, "reliability": rel, "resolution": res, "uncertainty": unc,
            "residual": bs - (rel - res + unc), "bins": bins,
            "diagram": {"bin_low": (np.flatnonzero(used) / bins).tolist(),
                        "forecast": f_k.tolist(), "observed": o_k.tolist(),
                        "count": counts[used].tolist()}}


def paired_bootstrap(score: np.ndarray, reference: np.ndarray, resamples: int = 10_000,
                     seed: int = 0, level: float = 0.95) -> dict[str, float]:
    """Paired per-question differences score - reference with a percentile bootstrap interval
    over questions (MODELS §6.4), and skill 1 - S/S_ref with its interval from the same draws.
    Both scores negatively oriented; (n,) each."""
    a, b = np.asarray(score, dtype=float), np.asarray(reference, dtype=float)
    n = a.size
    idx = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    diffs = (a - b)[idx].mean(axis=1)
    ref_means = b[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        skills = 1 - a[idx].mean(axis=1) / ref_means
        skill = 1 - a.mean() / b.mean() if b.mean() != 0 else float("nan")
    tail = (1 - level) / 2 * 100
    d_lo, d_hi = np.percentile(diffs, [tail, 100 - tail])
    s_lo, s_hi = np.nanpercentile(skills, [tail, 100 - tail]) if np.isfinite(skills).any() \
        else (float("nan"), float("nan"))
    return {"n": int(n), "difference": float((a - b).mean()), "difference_low": float(d_lo),
            "difference_high": float(d_hi), "skill": float(skill), "skill_low": float(s_lo),
            "skill_high": float(s_hi), "level": level, "resamples": resamples, "seed": seed}


def time_averaged(made: Sequence[date], scores: Sequence[float], end: date) -> float:
    """Mean daily score over the days a question was open: each forecast stands from the day it
    was made until it is replaced; days run from the first forecast to ``end`` (close date)."""
    order = np.argsort(np.asarray([d.toordinal() for d in made]), kind="stable")
    days = np.asarray([made[i].toordinal() for i in order])
    vals = np.asarray([scores[i] for i in order], dtype=float)
    stop = max(end.toordinal() + 1, days[-1] + 1)
    span = np.diff(np.append(days, stop)).astype(float)
    if span.sum() == 0:
        return float(vals[-1])
    return float((vals * span).sum() / span.sum())
