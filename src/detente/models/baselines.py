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
        "cs": batch.capability * batch.salience,
        "c": batch.capability,
        "s": batch.salience,
        "equal": np.ones_like(batch.salience),
    }[weights]
    return np.where(batch.mask, w, 0.0)


def weighted_mean(x: np.ndarray, w: np.ndarray, axis: int = -2) -> np.ndarray:
    """O_d = sum_i w_i x_i / sum_i w_i (MODELS.md §1.1, Achen 2006)."""
    total = w.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w * x).sum(axis=axis) / total


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
            utility: str = "linear", iterations: int = 200) -> np.ndarray:
    """Weighted Nash bargaining solution on one issue (MODELS.md §1.3), batched over rows.

    Maximises f(o) = sum_i w_i log(u_i(o) - u_i(d)) over F = {o : u_i(o) >= u_i(d) for every
    present i}, which for distance utilities is the interval ∩_i [x_i - |d - x_i|, x_i + |d - x_i|].
    f is concave on F, so its maximiser is where the left derivative is >= 0 >= the right one;
    bisection on those one-sided derivatives finds it to round-off, kinks at ideal points
    included (linear utility has one at every x_i). If F is the single point d (some actor's
    ideal is d, so it can only lose), the answer is d. x, w, present: (B, N); d: (B,).
    """
    reach = np.abs(d[:, None] - x)
    lo = np.where(present, x - reach, -np.inf).max(axis=1)
    hi = np.where(present, x + reach, np.inf).min(axis=1)
    lo, hi = np.minimum(lo, d), np.maximum(hi, d)
    live = (w > 0) & present

    def slopes(o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Left and right derivatives of f at o."""
        off = o[:, None] - x
        if utility == "quadratic":
            gain = reach**2 - off**2
            left = right = -2.0 * off
        else:
            gain = reach - np.abs(off)
            left, right = np.where(off > 0, -1.0, 1.0), np.where(off >= 0, -1.0, 1.0)
        # gain vanishes only at the edges of F (or when F = {d}), where the slope is infinite
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            scale = np.where(live, w / gain, 0.0)
            return (scale * left).sum(axis=1), (scale * right).sum(axis=1)

    a, b = lo.copy(), hi.copy()
    for _ in range(iterations):
        m = 0.5 * (a + b)
        left, right = slopes(m)
        go_right, go_left = right > 0, left < 0
        a = np.where(go_right, m, np.where(go_left, a, m))
        b = np.where(go_left & ~go_right, m, np.where(go_right, b, m))
    return np.where(hi - lo <= 0, d, 0.5 * (a + b))


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
        b, _, dims = batch.shape
        forecast = np.empty((b, dims))
        for j in range(dims):  # issues are bargained separately (see docstring of nash_1d)
            forecast[:, j] = nash_1d(batch.position[:, :, j], w[:, :, j], batch.mask[:, :, j],
                                     batch.reference[:, j], options.utility)
        return static_trajectory(batch, forecast, "static")


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
