"""Baselines: compromise (weighted mean), weighted median, Nash and Kalai–Smorodinsky bargaining
(MODELS.md §1).

On EU legislative data the capability x salience weighted mean has beaten every dynamic model in
open tests (PEERS.md §10), so it is reported beside any dynamic model.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from detente.compile import Batch
from detente.errors import ModelError
from detente.models.base import Trajectory
from detente.options import KSOptions, MeanOptions, MedianOptions, NashOptions, Weights
from detente.seeds import Streams


def model_weights(batch: Batch, weights: Weights) -> np.ndarray:
    """Voting weights (B, N, D) under the ``weights`` option of MODELS.md §1.1; 0 where masked."""
    w = {
        "cs": lambda: batch.capability * batch.salience,
        "c": lambda: batch.capability,
        "s": lambda: batch.salience,
        "equal": lambda: np.ones_like(batch.salience),
    }[weights]()
    return np.where(batch.mask, w, 0.0)


def weighted_mean(x: np.ndarray, w: np.ndarray, axis: int = -2) -> np.ndarray:
    """O_d = sum_i w_i x_i / sum_i w_i (MODELS.md §1.1, Achen 2006)."""
    total = _sum(w, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _sum(w * x, axis) / total


def _sum(a: np.ndarray, axis: int) -> np.ndarray:
    """``a.sum(axis)``; fewer than 8 terms are added one after another, the order numpy itself
    uses for so few (the same bits), without its slow reduction over a short inner axis."""
    n = a.shape[axis]
    if not 0 < n < 8 or a.dtype.kind != "f":
        return a.sum(axis=axis)
    parts = np.moveaxis(a, axis, 0)
    out = parts[0].copy()
    for k in range(1, n):
        out += parts[k]
    return out


def weighted_median(x: np.ndarray, w: np.ndarray, axis: int = -2,
                    tie: Literal["lower", "midpoint"] = "lower") -> np.ndarray:
    """Weighted median voter position (MODELS.md §1.2).

    The lower weighted median: the smallest x_(k) whose cumulative weight reaches half the total.
    In one dimension with distance-based preferences it is the Condorcet winner of Scholz et al.
    (2011) eqs. 26-29. ``tie="midpoint"`` averages x_(k) and x_(k+1) when the cumulative weight
    equals exactly half.
    """
    w = np.broadcast_to(w, x.shape)
    if axis in (-2, x.ndim - 2):  # the usual layout (..., N, D): swapping is cheap
        x, w = x.swapaxes(-1, -2), w.swapaxes(-1, -2)
    elif axis not in (-1, x.ndim - 1):
        x, w = np.moveaxis(x, axis, -1), np.moveaxis(w, axis, -1)
    shape, n = x.shape[:-1], x.shape[-1]
    x, w = x.reshape(-1, n), w.reshape(-1, n)  # (problems, voters): plain row indexing below
    rows = np.arange(x.shape[0])
    order = np.argsort(x, axis=-1, kind="stable")
    xs = x[rows[:, None], order]
    cum = np.cumsum(w[rows[:, None], order], axis=-1)
    half = 0.5 * cum[:, -1]
    tol = 1e-12 * cum[:, -1]
    k = np.argmax(cum >= (half - tol)[:, None], axis=-1)
    med = xs[rows, k]
    if tie == "midpoint":
        at_half = np.abs(cum[rows, k] - half) <= tol
        med = np.where(at_half, 0.5 * (med + xs[rows, np.minimum(k + 1, n - 1)]), med)
    return med.reshape(shape)


def static_trajectory(batch: Batch, forecast: np.ndarray, reason: str) -> Trajectory:
    """A model without dynamics: turn 0 only, plus its forecast."""
    b = batch.draws
    return Trajectory(
        positions=batch.position[:, None],
        forecast=forecast,
        turns=np.zeros(b, dtype=int),
        stop_reason=np.full(b, reason, dtype=object),
    )


class MeanModel:
    """Compromise model: capability x salience weighted mean (MODELS.md §1.1)."""

    def run(self, batch: Batch, options: MeanOptions, streams: Streams | None = None
            ) -> Trajectory:
        w = model_weights(batch, options.weights)
        return static_trajectory(batch, weighted_mean(batch.position, w), "static")


class MedianModel:
    """Weighted median voter (MODELS.md §1.2)."""

    def run(self, batch: Batch, options: MedianOptions, streams: Streams | None = None
            ) -> Trajectory:
        w = model_weights(batch, options.weights)
        forecast = weighted_median(batch.position, w, tie=options.tie)
        return static_trajectory(batch, forecast, "static")


def nash_1d(x: np.ndarray, w: np.ndarray, present: np.ndarray, d: np.ndarray,
            utility: str = "linear", iterations: int = 60) -> np.ndarray:
    """Weighted Nash bargaining solution on one issue (MODELS.md §1.3), batched over rows.

    Maximises f(o) = sum_i w_i log(u_i(o) - u_i(d)) over F = {o : u_i(o) >= u_i(d) for every
    present i}, which for distance utilities is the interval ∩_i [x_i - |d - x_i|, x_i + |d - x_i|].
    f is concave on F, so its maximiser is where the left derivative is >= 0 >= the right one.
    Linear utility has a kink at every ideal x_i: the one-sided derivatives there bracket the
    maximiser between two neighbouring kinks (or give it as a kink), and between kinks f' is
    smooth and decreasing, so safeguarded Newton steps on f' (f'' = -sum_i w_i/g_i^2 for linear,
    -sum_i 2 w_i (g_i + 2 off_i^2)/g_i^2 for quadratic utility, g_i the gain) converge to
    round-off in a few steps; a step leaving the bracket is replaced by bisection (Press et al.,
    Numerical Recipes, rtsafe). If F is the single point d (some actor's ideal is d, so it can
    only lose), the answer is d; with no actor of positive weight, the middle of F.
    x, w, present: (B, N); d: (B,).
    """
    reach = np.abs(d[:, None] - x)
    lo = np.where(present, x - reach, -np.inf).max(axis=1)
    hi = np.where(present, x + reach, np.inf).min(axis=1)
    lo, hi = np.minimum(lo, d), np.maximum(hi, d)
    live = (w > 0) & present
    a, b = lo.copy(), hi.copy()
    if utility != "quadratic":  # bracket between the kinks
        for k in range(x.shape[1]):
            at = x[:, k]
            inside = live[:, k] & (at > a) & (at < b)
            if not inside.any():
                continue
            left, right, _ = _nash_slopes(np.where(inside, at, 0.5 * (a + b)), x, w, reach, live,
                                          utility)
            a = np.where(inside & (right > 0), at, a)
            b = np.where(inside & (left < 0), at, b)
            kink = inside & (left >= 0) & (right <= 0)
            a, b = np.where(kink, at, a), np.where(kink, at, b)
    o = 0.5 * (a + b)
    with np.errstate(invalid="ignore"):  # F unbounded (nobody present): NaN rows, stopped
        tol = 4.0 * np.spacing(np.maximum(np.abs(lo), np.abs(hi)))
    rows = np.flatnonzero(a < b)  # the rows still moving
    for _ in range(iterations):
        if not rows.size:
            break
        oo, aa, bb = o[rows], a[rows], b[rows]
        slope, _, curve = _nash_slopes(oo, x[rows], w[rows], reach[rows], live[rows], utility)
        aa, bb = np.where(slope > 0, oo, aa), np.where(slope < 0, oo, bb)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = oo - slope / curve
        nxt = np.where((step >= aa) & (step <= bb), step, 0.5 * (aa + bb))
        nxt = np.where(slope == 0, oo, np.where(aa >= bb, aa, nxt))
        o[rows], a[rows], b[rows] = nxt, aa, bb
        rows = rows[np.abs(nxt - oo) > tol[rows]]
    return np.where(hi - lo <= 0, d, np.where(live.any(axis=1), o, 0.5 * (lo + hi)))


def _nash_slopes(o: np.ndarray, x: np.ndarray, w: np.ndarray, reach: np.ndarray,
                 live: np.ndarray, utility: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left and right derivatives of the Nash product's log f at o, and f'' (between kinks);
    o (B,), the others (B, N)."""
    off = o[:, None] - x
    quadratic = utility == "quadratic"
    if quadratic:
        gain = reach**2 - off**2
        left = right = -2.0 * off
    else:
        gain = reach - np.abs(off)
        left, right = np.where(off > 0, -1.0, 1.0), np.where(off >= 0, -1.0, 1.0)
    # gain vanishes only at the edges of F (or when F = {d}), where the slope is infinite
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.where(live, w / gain, 0.0)
        curve = scale / gain * (2.0 * (gain + 2.0 * off**2) if quadratic else 1.0)
        return (_sum(scale * left, 1), _sum(scale * right, 1),
                -_sum(np.where(live, curve, 0.0), 1))


class NashModel:
    """Weighted Nash bargaining solution, status quo as disagreement point (MODELS.md §1.3)."""

    def run(self, batch: Batch, options: NashOptions, streams: Streams | None = None
            ) -> Trajectory:
        missing = [batch.issues[j] for j in range(len(batch.issues))
                   if np.isnan(batch.reference[:, j]).any()]
        if missing:
            raise ModelError(
                "model 'nash' needs a status quo (disagreement point) on every issue; "
                f"give issues[].reference for: {', '.join(missing)}")
        w = model_weights(batch, options.weights)
        b, n, dims = batch.shape

        def rows(a: np.ndarray) -> np.ndarray:  # (B, N, D) -> (B·D, N): one row per problem
            return a.transpose(0, 2, 1).reshape(b * dims, n)

        # issues are bargained separately (see docstring of nash_1d), all in one batch
        forecast = nash_1d(rows(batch.position), rows(w), rows(batch.mask),
                           batch.reference.reshape(b * dims), options.utility)
        return static_trajectory(batch, forecast.reshape(b, dims), "static")


def ks_1d(x: np.ndarray, present: np.ndarray, d: np.ndarray, utility: str = "linear",
          iterations: int = 100) -> np.ndarray:
    """Kalai–Smorodinsky solution on one issue (MODELS.md §1.4), batched over rows.

    F = ∩_i [x_i - |d - x_i|, x_i + |d - x_i|] as for Nash; g_i(o) = u_i(o) - u_i(d) is the
    gain, G_i = max_F g_i = g_i(clip(x_i, F)) the ideal gain and ĝ_i = g_i / G_i the normalised
    gain. o_KS maximises h(o) = min_i ĝ_i(o) over the actors with G_i > 0 (Kalai & Smorodinsky
    1975; for two actors, the point of equal normalised gains). Each ĝ_i is a tent (linear
    utility) or a parabola (quadratic) with one peak, so h is concave with a single maximiser,
    which a ternary search finds to round-off; the tie rule of §1.4 (toward the compromise
    point) never has to act in one dimension. F = {d} (an actor's ideal is d) gives d.
    x, present: (B, N); d: (B,).
    """
    reach = np.abs(d[:, None] - x)
    lo = np.minimum(np.where(present, x - reach, -np.inf).max(axis=1), d)
    hi = np.maximum(np.where(present, x + reach, np.inf).min(axis=1), d)
    power = 2 if utility == "quadratic" else 1
    own_best = np.clip(x, lo[:, None], hi[:, None])
    ideal = np.where(present, reach**power - np.abs(own_best - x) ** power, 0.0)
    live = present & (ideal > 1e-12 * np.maximum(reach**power, 1.0))

    def h(o: np.ndarray) -> np.ndarray:
        gain = reach**power - np.abs(o[:, None] - x) ** power
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(live, gain / ideal, np.inf).min(axis=1)

    a, b = lo.copy(), hi.copy()
    for _ in range(iterations):
        m1, m2 = a + (b - a) / 3, b - (b - a) / 3
        right = h(m1) < h(m2)
        a, b = np.where(right, m1, a), np.where(right, b, m2)
    return np.where((hi - lo <= 0) | ~live.any(axis=1), d, 0.5 * (a + b))


class KSModel:
    """Kalai–Smorodinsky bargaining solution, status quo as disagreement point (MODELS.md §1.4)."""

    def run(self, batch: Batch, options: KSOptions, streams: Streams | None = None
            ) -> Trajectory:
        missing = [batch.issues[j] for j in range(len(batch.issues))
                   if np.isnan(batch.reference[:, j]).any()]
        if missing:
            raise ModelError(
                "model 'ks' needs a status quo (disagreement point) on every issue; "
                f"give issues[].reference for: {', '.join(missing)}")
        b, _, dims = batch.shape
        forecast = np.empty((b, dims))
        for j in range(dims):  # issues are bargained separately, as for Nash
            forecast[:, j] = ks_1d(batch.position[:, :, j], batch.mask[:, :, j],
                                   batch.reference[:, j], options.utility)
        return static_trajectory(batch, forecast, "static")
