"""Baselines: compromise (weighted mean), weighted median, Nash bargaining (MODELS.md §1).

On EU legislative data the capability x salience weighted mean has beaten every dynamic model in
open tests (PEERS.md §10), so it is reported beside any dynamic model.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from detente.compile import Batch
from detente.errors import ModelError
from detente.models.base import Trajectory
from detente.options import MeanOptions, MedianOptions, NashOptions, Weights
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
    x = np.moveaxis(x, axis, -1)
    w = np.moveaxis(np.broadcast_to(w, np.moveaxis(x, -1, axis).shape), axis, -1)
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, -1)
    ws = np.take_along_axis(w, order, -1)
    cum = np.cumsum(ws, axis=-1)
    half = 0.5 * cum[..., -1:]
    tol = 1e-12 * cum[..., -1:]
    k = np.argmax(cum >= half - tol, axis=-1)[..., None]
    med = np.take_along_axis(xs, k, -1)
    if tie == "midpoint":
        at_half = np.abs(np.take_along_axis(cum, k, -1) - half) <= tol
        nxt = np.take_along_axis(xs, np.minimum(k + 1, xs.shape[-1] - 1), -1)
        med = np.where(at_half, 0.5 * (med + nxt), med)
    return med[..., 0]


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

