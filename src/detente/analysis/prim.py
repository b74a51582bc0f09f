"""PRIM, the patient rule induction method, for scenario discovery (Friedman & Fisher 1999).

Given sampled inputs x (n, k) and a yes/no outcome y (n,) ("the lever moves the outcome past
a threshold"), PRIM looks for a box, lo_j <= x_j <= hi_j on a few inputs, where y is mostly true.
Peeling starts from the box holding every point and repeatedly removes the share ``alpha`` of
the remaining points at the low or high end of one input, choosing the cut that most improves
the objective, until the box would hold fewer than ``mass_min`` of the points. Each step is a
point on the trade-off between

* coverage = (true points in the box) / (true points), and
* density  = (true points in the box) / (points in the box),

the peeling trajectory. Pasting (optional) then widens the chosen box again where that raises
its density. Written for detente; its trajectory agrees with the EMA workbench's Prim with the
same objective (tested where ema_workbench is installed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Objective = Literal["original", "lenient1"]


@dataclass(frozen=True)
class Box:
    """A box with per-input limits (k,) (-inf / inf where unrestricted) and its statistics."""

    lower: np.ndarray
    upper: np.ndarray
    coverage: float
    density: float
    mass: float

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Which rows of x (n, k) lie in the box, (n,)."""
        return np.all((x >= self.lower) & (x <= self.upper), axis=1)

    @property
    def restricted(self) -> list[int]:
        """Indices of the inputs the box restricts."""
        return [j for j in range(self.lower.size)
                if np.isfinite(self.lower[j]) or np.isfinite(self.upper[j])]


def _box(lower: np.ndarray, upper: np.ndarray, inside: np.ndarray, y: np.ndarray) -> Box:
    hits = float(y[inside].sum())
    return Box(lower.copy(), upper.copy(), hits / max(float(y.sum()), 1.0),
               hits / max(int(inside.sum()), 1), float(inside.mean()))


def _score(objective: Objective, y_old: np.ndarray, y_new: np.ndarray) -> float:
    """Friedman & Fisher's mean of the new box, or the gain in mean per point removed."""
    if y_new.size == 0:
        return -np.inf
    if objective == "original":
        return float(y_new.mean())
    removed = y_old.size - y_new.size
    return float((y_new.mean() - y_old.mean()) / removed) if removed else -np.inf


def peel(x: np.ndarray, y: np.ndarray, alpha: float = 0.05, mass_min: float = 0.05,
         objective: Objective = "original") -> list[Box]:
    """The peeling trajectory, first box (everything) to last, as a list of :class:`Box`."""
    n, k = x.shape
    y = y.astype(float)
    lower, upper = np.full(k, -np.inf), np.full(k, np.inf)
    inside = np.ones(n, dtype=bool)
    boxes = [_box(lower, upper, inside, y)]
    while True:
        best: tuple[float, int, int, float, np.ndarray] | None = None
        for j in range(k):
            values = x[inside, j]
            for side, q in ((0, alpha), (1, 1.0 - alpha)):
                cut = float(np.quantile(values, q))
                keep = inside & ((x[:, j] >= cut) if side == 0 else (x[:, j] <= cut))
                if keep.sum() == inside.sum():
                    continue
                score = _score(objective, y[inside], y[keep])
                free = -len(set(boxes[-1].restricted) | {j})  # fewer restricted inputs first
                if best is None or (score, free) > (best[0], best[1]):
                    best = (score, free, j * 2 + side, cut, keep)
        if best is None or best[4].mean() < mass_min or (objective == "original"
                                                         and best[0] <= 0):
            return boxes
        j, side = divmod(best[2], 2)
        (upper if side else lower)[j] = best[3]
        inside = best[4]
        boxes.append(_box(lower, upper, inside, y))


def paste(x: np.ndarray, y: np.ndarray, box: Box, alpha: float = 0.05) -> Box:
    """Widen ``box`` one side at a time while that raises its density (Friedman & Fisher §6)."""
    y = y.astype(float)
    while True:
        inside = box.contains(x)
        step = max(1, int(np.ceil(alpha * inside.sum())))
        best = box
        for j in box.restricted:
            others = np.ones(x.shape[1], dtype=bool)
            others[j] = False
            near = np.all((x[:, others] >= box.lower[others]) & (x[:, others] <= box.upper[others]),
                          axis=1) & ~inside
            for side in (0, 1):
                limit = box.upper[j] if side else box.lower[j]
                if not np.isfinite(limit):
                    continue
                beyond = near & ((x[:, j] > limit) if side else (x[:, j] < limit))
                if not beyond.any():
                    continue
                ordered = np.sort(x[beyond, j]) if side else -np.sort(-x[beyond, j])
                new = ordered[min(step, ordered.size) - 1]
                lower, upper = box.lower.copy(), box.upper.copy()
                (upper if side else lower)[j] = new
                wider = np.all((x >= lower) & (x <= upper), axis=1)
                candidate = _box(lower, upper, wider, y)
                if candidate.density > best.density:
                    best = candidate
        if best is box:
            return box
        box = best


def choose(boxes: Sequence[Box], threshold: float) -> int:
    """The box with the most coverage among those with density >= threshold (else the densest)."""
    dense = [i for i, b in enumerate(boxes) if b.density >= threshold]
    if dense:
        return max(dense, key=lambda i: (boxes[i].coverage, -i))
    return max(range(len(boxes)), key=lambda i: boxes[i].density)


def prim(x: np.ndarray, y: np.ndarray, names: Sequence[str], alpha: float = 0.05,
         mass_min: float = 0.05, threshold: float = 0.8, pasting: bool = False,
         objective: Objective = "original") -> dict[str, Any]:
    """Peel, choose a box, optionally paste; plain data for reports (limits in input units).

    x: (n, k) sampled inputs; y: (n,) booleans; names: the k input names.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    boxes = peel(x, y, alpha, mass_min, objective)
    chosen = choose(boxes, threshold)
    box = paste(x, y, boxes[chosen], alpha) if pasting else boxes[chosen]
    return {
        "cases": int(y.sum()), "points": int(y.size), "alpha": alpha, "mass_min": mass_min,
        "threshold": threshold, "objective": objective, "pasting": pasting,
        "box": describe(box, names, x), "chosen_step": chosen,
        "trajectory": [{"step": i, "coverage": b.coverage, "density": b.density,
                        "mass": b.mass, "restricted": len(b.restricted)}
                       for i, b in enumerate(boxes)],
    }


def describe(box: Box, names: Sequence[str], x: np.ndarray) -> dict[str, Any]:
    """A box as plain data: coverage, density, mass and each restricted input's limits."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    limits = [{"name": names[j],
               "lower": float(box.lower[j]) if np.isfinite(box.lower[j]) else None,
               "upper": float(box.upper[j]) if np.isfinite(box.upper[j]) else None,
               "sampled": [float(lo[j]), float(hi[j])]} for j in box.restricted]
    return {"coverage": box.coverage, "density": box.density, "mass": box.mass,
            "limits": limits}
