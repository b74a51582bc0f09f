"""Summaries of the coupled model (MODELS.md §7.8) as plain data, and its stylised-fact checks.

Everything here reads a :class:`CoupledOutcome` (arrays with the runs axis first) and returns
numbers, lists and dicts ready for JSON; no model is computed here. Probabilities carry their
Monte Carlo standard error sqrt(p(1 - p)/n); lever effects are paired differences over runs that
share every random draw (common random numbers), so their intervals use the spread of the
per-run differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from detente.compile.coupled import CoupledInputs
from detente.war.coupled import END_MODES, HORIZON, VETO_REASONS, CoupledOutcome

QUANTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class CoupledRun:
    """One variant (hypothesis x levers) of the coupled model over many runs: ``outcome`` every
    run's arrays, or (``run_coupled(..., digest=True)``) the :class:`CoupledDigest` of them."""

    inputs: CoupledInputs
    outcome: CoupledOutcome | CoupledDigest
    levers: tuple[str, ...]
    provenance: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()


def checkpoints(horizon: int) -> list[int]:
    """Checkpoint weeks that fit the horizon: 13, 26, 52, 104 where they fit, else quarters."""
    fixed = [w for w in (13, 26, 52, 104) if w <= horizon]
    if len(fixed) >= 2:
        return fixed if fixed[-1] == horizon else [*fixed, horizon]
    return sorted({max(1, horizon // 4), max(1, horizon // 2), horizon})


PAIRWISE_LEAF = 128  # numpy's PW_BLOCKSIZE: the pairwise sum adds runs of up to 128 directly


class RunSum:
    """The sum over the runs axis of (B, ...) float rows that arrive block by block, with the
    very additions ``np.add.reduce(rows, axis=0)`` makes on all ``runs`` rows at once, so that
    ``sum / runs`` is numpy's mean to the bit, keeping at most one leaf of rows.

    Where the runs axis is the array's fastest (the kernel's (T, B)-major outputs) numpy adds
    pairwise (its ``pairwise_sum``: halves split at multiples of 8, leaves of at most 128 rows
    summed in 8 lanes); the leaves are summed as they fill and the tree at the end. Otherwise
    numpy adds the rows one after another, and so does this, block after block.
    """

    def __init__(self, runs: int, first: np.ndarray) -> None:
        self.whole = len(first) == runs  # one block: numpy's own sum of it
        self.pairwise = first.ndim > 1 and first.strides[0] < min(first.strides[1:])
        self.tree = _pairwise_tree(0, runs)
        self.leaves = _tree_leaves(self.tree)
        self.sums: list[np.ndarray] = []
        self.pending = np.empty((0, *first.shape[1:]))
        self.at = 0  # rows before ``pending`` already summed
        self.total: np.ndarray | None = None

    def add(self, rows: np.ndarray) -> None:
        if self.whole:  # as the summaries summed it, one trailing column at a time
            self.total = (np.add.reduce(rows, axis=0) if rows.ndim < 3 else np.stack(
                [np.add.reduce(rows[..., k], axis=0) for k in range(rows.shape[-1])], axis=-1))
            return
        if not self.pairwise:
            self.total = (np.add.reduce(rows, axis=0) if self.total is None else
                          np.add.reduce(np.concatenate([self.total[None], rows]), axis=0))
            return
        self.pending = np.ascontiguousarray(np.concatenate([self.pending, rows]))
        while len(self.sums) < len(self.leaves):
            lo, n = self.leaves[len(self.sums)]
            if lo + n > self.at + len(self.pending):
                break
            self.sums.append(_leaf_sum(self.pending[lo - self.at:lo - self.at + n]))
        lo = self.leaves[len(self.sums)][0] if len(self.sums) < len(self.leaves) else \
            self.at + len(self.pending)
        self.pending, self.at = self.pending[lo - self.at:], lo

    def result(self) -> np.ndarray:
        if self.whole or not self.pairwise:
            assert self.total is not None
            return self.total
        return _tree_sum(self.tree, iter(self.sums))


def _pairwise_tree(lo: int, n: int) -> Any:
    """numpy's pairwise split of rows [lo, lo + n): a leaf (lo, n) or a pair of subtrees."""
    if n <= PAIRWISE_LEAF:
        return (lo, n)
    half = n // 2
    half -= half % 8
    return [_pairwise_tree(lo, half), _pairwise_tree(lo + half, n - half)]


def _tree_leaves(tree: Any) -> list[tuple[int, int]]:
    return [tree] if isinstance(tree, tuple) else [leaf for t in tree for leaf in _tree_leaves(t)]


def _tree_sum(tree: Any, sums: Any) -> np.ndarray:
    if isinstance(tree, tuple):
        return next(sums)
    left = _tree_sum(tree[0], sums)
    return left + _tree_sum(tree[1], sums)


def _leaf_sum(x: np.ndarray) -> np.ndarray:
    """numpy's pairwise-sum leaf of n <= 128 rows: below 8 rows one after another from 0;
    else 8 lanes row-group by row-group, the lanes added as ((0+1)+(2+3))+((4+5)+(6+7)), then
    the rows left over one by one."""
    n = len(x)
    if n < 8:
        res = np.zeros(x.shape[1:])
        for row in x:
            res = res + row
        return res
    full = n - n % 8
    r = np.add.reduce(x[:full].reshape(full // 8, 8, *x.shape[1:]), axis=0)
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for row in x[full:]:
        res = res + row
    return res


# Per-run columns the digest keeps whole: exact quantiles and paired differences need every run.
RUN_COLUMNS = ("end_week", "first_deal", "terms", "partial_terms", "proposal", "front",
               "revenue_at", "pape_at", "deal_at", "deal_bits")
SUMMED = ("engagement", "revenue_R")  # float fields whose mean over runs is printed


@dataclass(frozen=True)
class CoupledDigest:
    """What the summaries read of a :class:`CoupledOutcome`, without its (B, T) arrays: B runs,
    T weeks, K checkpoint ``weeks``, S partial subsets, J third parties, N actors, D issues.

    runs; counts over runs (int64): deal (T,) deals in force, partial (T, S), end_mode (modes,),
    veto (N, reasons) talks rounds in which actor n was the first to refuse for each reason
    (VETO_REASONS), engaged (T, J) engagement > 0, retaliated (J,), high_intensity (T,) ι > 1;
    talks_held, mobilised, breakdowns: totals over runs and weeks. engagement_sum (T, J) and
    revenue_sum (T,): sums over runs added run after run, the additions numpy's mean over the
    runs axis makes, so sum / runs is that mean to the bit. Per run: end_week, first_deal (B,),
    terms, partial_terms, proposal (B, D), front (B, T+1) (its weekly median needs every run),
    revenue_at (B, K) Y_R at each checkpoint, pape_at (B, K) the latest talks-week Pape score up
    to each checkpoint (NaN: none yet), deal_at (B, K) bool deal in force, deal_bits (B, ⌈T/8⌉)
    the deal_in_force rows bit-packed (two variants' runs are compared whole).
    """

    weeks: tuple[int, ...]
    runs: int
    counts: dict[str, np.ndarray]
    talks_held: int
    mobilised: int
    breakdowns: int
    engagement_sum: np.ndarray
    revenue_sum: np.ndarray
    end_week: np.ndarray
    first_deal: np.ndarray
    terms: np.ndarray
    partial_terms: np.ndarray
    proposal: np.ndarray
    front: np.ndarray
    revenue_at: np.ndarray
    pape_at: np.ndarray
    deal_at: np.ndarray
    deal_bits: np.ndarray

    def deal_in_force_at(self, week: int) -> np.ndarray:
        """(B,) bool: a whole deal in force at the end of ``week`` (a checkpoint)."""
        return self.deal_at[:, self.weeks.index(week)]

    def same_runs(self, other: CoupledDigest) -> bool:
        """Whether every run ended alike in both: deals week by week, end weeks, terms."""
        return (np.array_equal(self.deal_bits, other.deal_bits)
                and np.array_equal(self.end_week, other.end_week)
                and np.allclose(self.terms, other.terms, equal_nan=True))


@dataclass(frozen=True)
class DigestFold:
    """The runner's fold (:func:`detente.runtime.run_payload`) of the CoupledOutcome blocks of
    ``runs`` runs into a :class:`CoupledDigest` at the checkpoint ``weeks``: counts are added
    block by block in block order, the float sums with numpy's additions (:class:`RunSum`); the
    per-run columns are gathered and joined once at the end."""

    weeks: tuple[int, ...]
    runs: int

    def add(self, state: dict[str, Any] | None, out: CoupledOutcome) -> dict[str, Any]:
        part = self._reduce(out)
        if state is None:
            state = {**part, **{k: [] for k in RUN_COLUMNS},
                     "sums": {k: RunSum(self.runs, getattr(out, k)) for k in SUMMED}}
        else:
            state["counts"] = {k: state["counts"][k] + v for k, v in part["counts"].items()}
            for k in ("runs", "talks_held", "mobilised", "breakdowns"):
                state[k] += part[k]
        for k in RUN_COLUMNS:
            state[k].append(part[k])
        for k, acc in state["sums"].items():
            acc.add(getattr(out, k))
        return state

    def finish(self, state: dict[str, Any]) -> CoupledDigest:
        if state["runs"] != self.runs:
            raise ValueError(f"folded {state['runs']} runs, expected {self.runs}")
        sums = state.pop("sums")
        for k in RUN_COLUMNS:
            state[k] = np.concatenate(state[k])
        return CoupledDigest(weeks=self.weeks, engagement_sum=sums["engagement"].result(),
                             revenue_sum=sums["revenue_R"].result(), **state)

    @classmethod
    def of(cls, out: CoupledOutcome, weeks: Sequence[int] = ()) -> CoupledDigest:
        """The digest of one whole outcome."""
        fold = cls(tuple(weeks), int(out.end_mode.size))
        return fold.finish(fold.add(None, out))

    def _reduce(self, out: CoupledOutcome) -> dict[str, Any]:
        at = [w - 1 for w in self.weeks]
        held = out.talks_held
        n_actors = out.positions.shape[1]
        by, why = out.vetoed_by.T, out.veto_reason.T  # week-major, as the kernel wrote them
        refused = held.T & (by >= 0)
        veto = np.bincount(by[refused].astype(np.int64) * len(VETO_REASONS) + why[refused],
                           minlength=n_actors * len(VETO_REASONS))
        counts = {
            "deal": _count_runs(out.deal_in_force),
            "partial": _count_runs(out.partial_in_force),
            "end_mode": np.bincount(out.end_mode, minlength=len(END_MODES)).astype(np.int64),
            "veto": veto.reshape(n_actors, len(VETO_REASONS)).astype(np.int64),
            "engaged": _count_runs(out.engagement > 0),
            "retaliated": _count_runs(out.retaliated),
            "high_intensity": _count_runs(out.intensity > 1.0),
        }
        return {
            "runs": int(out.end_mode.size), "counts": counts,
            "talks_held": int(np.count_nonzero(held)),  # 5x held.sum() on a strided view
            "mobilised": int(out.mobilised.sum()), "breakdowns": int(out.breakdowns.sum()),
            "end_week": out.end_week, "first_deal": out.first_deal, "terms": out.terms,
            "partial_terms": out.partial_terms, "proposal": out.proposal, "front": out.front,
            "revenue_at": out.revenue_R[:, at],
            "pape_at": np.stack([_latest(out.pape_R, i) for i in at], axis=1),
            "deal_at": out.deal_in_force[:, at],
            # packed from a contiguous copy: packbits along a strided (week-major) row was 2.5x
            "deal_bits": np.packbits(np.ascontiguousarray(out.deal_in_force), axis=1),
        }


def _count_runs(mask: np.ndarray) -> np.ndarray:
    """True values over the runs axis of a bool (B, T) or (B, T, K) array, int64 (T,) or
    (T, K); a (B, T, K) array is counted one k at a time (summing it whole ran ten times slower
    on the kernel's week-major layout)."""
    if mask.ndim < 3:
        return mask.sum(axis=0, dtype=np.int64)
    return np.stack([mask[..., k].sum(axis=0, dtype=np.int64) for k in range(mask.shape[-1])],
                    axis=-1).reshape(mask.shape[1:])


def _latest(values: np.ndarray, week: int) -> np.ndarray:
    """Each run's latest value (a talks week) in columns 0..``week``, NaN where there is none."""
    upto = values[:, :week + 1]
    seen = ~np.isnan(upto)
    return np.where(seen.any(axis=1), upto[np.arange(upto.shape[0]),
                                           upto.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1)],
                    np.nan)


def digested(run: CoupledRun, weeks: Sequence[int] | None = None) -> CoupledRun:
    """``run`` with its outcome as a :class:`CoupledDigest` at ``weeks`` (default: the
    checkpoints of its horizon); a run already digested at those weeks as it is."""
    weeks = tuple(weeks or checkpoints(run.inputs.horizon))
    out = run.outcome
    if isinstance(out, CoupledDigest):
        if out.weeks != weeks:
            raise ValueError(f"digested at weeks {out.weeks}, not {weeks}")
        return run
    return replace(run, outcome=DigestFold.of(out, weeks))


def share_of(count: Any, n: int) -> dict[str, float]:
    """:func:`share` of a mask with ``count`` true values among ``n``."""
    p = float(count / n) if n else float("nan")
    return {"p": p, "se": float(np.sqrt(p * (1 - p) / n)) if n else float("nan")}


def share(mask: np.ndarray) -> dict[str, float]:
    """A probability over runs with its Monte Carlo standard error."""
    n = mask.size
    p = float(mask.mean()) if n else float("nan")
    return {"p": p, "se": float(np.sqrt(p * (1 - p) / n)) if n else float("nan")}


def spread(values: np.ndarray, low: float | None = None, high: float | None = None,
           bins: int = 10) -> dict[str, Any]:
    """Quantiles and a histogram of ``values`` (NaN dropped) as plain data: the numbers of
    ``np.percentile(v, QUANTILES)`` and ``np.histogram(v, bins, range=(low, high))``, from one
    sort of the sample (:func:`sorted_percentiles`, :func:`sorted_histogram`)."""
    v = values[~np.isnan(values)]
    if not v.size:
        return {"n": 0, "quantiles": None, "histogram": None}
    rng = (low, high) if low is not None and high is not None else None
    s = np.sort(v) if v.dtype == np.float64 and v.ndim == 1 else None
    if s is None or rng is None or not all(type(b) in (int, float, np.float64) for b in rng):
        counts, edges = np.histogram(v, bins=bins, range=rng)  # (a float32 range: its own edges)
    else:
        counts, edges = sorted_histogram(s, bins, rng)
    q = sorted_percentiles(s, QUANTILES) if s is not None else None
    if q is None:
        q = np.percentile(v, QUANTILES)
    return {"n": int(v.size), "mean": float(v.mean()),
            "quantiles": {f"p{k}": float(x) for k, x in zip(QUANTILES, q, strict=True)},
            "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}}


def sorted_percentiles(s: np.ndarray, q: Sequence[float]) -> np.ndarray | None:
    """``np.percentile(v, q)`` (its default 'linear' method, Hyndman & Fan's 7th) to the bit,
    (len(q),), from ``s = np.sort(v)`` of a 1-D float64 sample of n > 0 values: the same
    virtual indices (n - 1) q / 100, the same neighbours and the same two-sided interpolation
    (numpy's ``_lerp``); numpy partitions where this reads the sorted sample, and order
    statistics are the same numbers. None (use numpy) where the sample holds a NaN, whose
    handling numpy owns, or a zero: partitioning and sorting may leave -0.0 and 0.0, equal as
    numbers, in different places."""
    n = s.size
    if n == 0 or np.isnan(s[-1]) or (s[0] <= 0.0 <= s[-1] and np.any(s == 0.0)):
        return None
    virtual = (n - 1) * np.true_divide(q, 100)
    prev = np.floor(virtual)
    above = virtual >= n - 1
    prev[above] = -1
    nxt = prev + 1
    nxt[above] = -1
    lo, hi = prev.astype(np.intp), nxt.astype(np.intp)
    gamma = virtual - lo
    a, b = s[lo], s[hi]
    diff = b - a
    out = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


def _percentiles(v: np.ndarray, q: Sequence[float]) -> list[float]:
    """``[float(np.percentile(v, k)) for k in q]`` of a 1-D float sample (no NaN), from one sort
    (:func:`sorted_percentiles`; numpy's own where that declines)."""
    got = sorted_percentiles(np.sort(v), q) if v.dtype == np.float64 and v.ndim == 1 else None
    if got is None:
        return [float(np.percentile(v, k)) for k in q]
    return [float(x) for x in got]


@lru_cache(maxsize=256)
def _bin_edges(low: float, high: float, bins: int) -> np.ndarray:
    """numpy's edges of ``bins`` equal bins over [low, high], read-only (shared)."""
    edges = np.histogram_bin_edges(np.empty(0), bins, (low, high))
    edges.flags.writeable = False
    return edges


def sorted_histogram(s: np.ndarray, bins: int, rng: tuple[float, float]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``np.histogram(v, bins, range=rng)`` from ``s = np.sort(v)`` (1-D float64, no NaN):
    numpy's edges (``histogram_bin_edges``, which with a range do not depend on the values;
    returned read-only) and its counts, which are those edges' intervals [e_k, e_k+1), the last
    closed, values outside the range left out (numpy's index estimate and its corrections
    settle on them)."""
    edges = _bin_edges(float(rng[0]), float(rng[1]), bins)
    below = np.searchsorted(s, edges, side="left")  # values < each edge
    counts = np.diff(below)
    counts[-1] += np.searchsorted(s, edges[-1], side="right") - below[-1]
    return counts, edges


def vetoes(inputs: CoupledInputs, out: CoupledOutcome | CoupledDigest) -> dict[str, Any]:
    """Of the talks rounds held, the share each veto player refused, split by reason."""
    d = out if isinstance(out, CoupledDigest) else DigestFold.of(out)
    rounds = d.talks_held
    refused = d.counts["veto"]
    return {"rounds_held": rounds, "by_actor": {
        inputs.actors[v]: {reason: float(refused[v, code] / max(rounds, 1))
                           for code, reason in enumerate(VETO_REASONS) if code}
        for v in inputs.veto}}


def summarize_coupled(run: CoupledRun, weeks: Sequence[int] | None = None) -> dict[str, Any]:
    """The §7.8 outputs of one variant: deals, terms, vetoes, engagement, front, revenue."""
    run = digested(run, weeks)
    x, out = run.inputs, run.outcome
    assert isinstance(out, CoupledDigest)
    n, c = out.runs, out.counts
    weeks = list(out.weeks)
    at = {str(w): w - 1 for w in weeks}
    issues = {}
    for d, issue in enumerate(x.issues):
        issues[issue] = {"deal": spread(out.terms[:, d], x.low[d], x.high[d]),
                         "partial": spread(out.partial_terms[:, d], x.low[d], x.high[d]),
                         "last_proposal": spread(out.proposal[:, d], x.low[d], x.high[d])}
    parties = {x.actors[a]: {
        "mean_curve": [float(v) for v in out.engagement_sum[:, j] / n],
        "engaged": {w: share_of(c["engaged"][i, j], n) for w, i in at.items()},
        "retaliated": share_of(c["retaliated"][j], n)} for j, a in enumerate(x.parties)}
    front = out.front
    return {
        "checkpoints": weeks,
        "p_deal": {w: share_of(c["deal"][i], n) for w, i in at.items()},
        "p_partial": {pid: {w: share_of(c["partial"][i, s], n) for w, i in at.items()}
                      for s, pid in enumerate(x.partial_ids)},
        "p_deal_curve": [float(v) for v in c["deal"] / n],
        "p_partial_curve": {pid: [float(v) for v in c["partial"][:, s] / n]
                            for s, pid in enumerate(x.partial_ids)},
        "end_mode": _end_modes(out),
        "terms": issues,
        "vetoes": vetoes(x, out),
        "third_parties": parties,
        "front": {"quantiles": {w: dict(zip([f"p{q}" for q in QUANTILES],
                                            map(float, np.percentile(front[:, i + 1], QUANTILES)),
                                            strict=True)) for w, i in at.items()},
                  "median_curve": [float(v) for v in median_rows(front)]},
        "revenue_R": {"median": {w: float(np.median(out.revenue_at[:, k]))
                                 for k, w in enumerate(at)},
                      "mean_curve": [float(v) for v in out.revenue_sum / n]},
        "high_intensity": {w: share_of(c["high_intensity"][i], n) for w, i in at.items()},
        "pape_R": {w: _median_or_none(out.pape_at[:, k]) for k, w in enumerate(at)},
        "mobilised": float(out.mobilised / n),
        "breakdowns": float(out.breakdowns / n),
    }


def _end_modes(out: CoupledDigest) -> dict[str, float]:
    """Share of runs in each end mode that occurs (fighting, never an end, left out)."""
    count = out.counts["end_mode"]
    return {m: float(count[c] / out.runs) for c, m in enumerate(END_MODES)
            if m != "fighting" and count[c] > 0}


def median_rows(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=0)`` of a (B, T) float array to the bit, (T,): the same partition
    of each column (at the middle rows and the last), the same mean of the middle rows, and a
    column with a NaN NaN. numpy's own NaN check reads the last row with ``take``, which on the
    kernel's runs-fastest layout cost as much as the partition itself."""
    n = a.shape[0]
    if n == 0 or a.ndim != 2 or a.dtype.kind != "f":
        return np.median(a, axis=0)
    mid = [n // 2 - 1, n // 2] if n % 2 == 0 else [n // 2]
    part = np.partition(a, [*mid, -1], axis=0)
    out = np.mean(part[mid[0]:mid[-1] + 1], axis=0)
    last = part[-1]
    nan = np.isnan(last)
    if nan.any():
        np.copyto(out, last, where=nan)
    return out


def _median_or_none(values: np.ndarray) -> float | None:
    """Median over runs, NaN ignored; None when every run is NaN."""
    return None if np.isnan(values).all() else float(np.nanmedian(values))


def paired(values: np.ndarray) -> dict[str, Any]:
    """Mean of per-run paired differences with its normal 95 % interval (NaN runs dropped)."""
    v = values[~np.isnan(values)]
    if v.size < 2:
        return {"mean": None, "ci95": None, "n": int(v.size)}
    mean, half = float(v.mean()), 1.96 * float(v.std(ddof=1)) / np.sqrt(v.size)
    return {"mean": mean, "ci95": [mean - half, mean + half], "n": int(v.size)}


def _deal_at(out: CoupledOutcome | CoupledDigest, week: int) -> np.ndarray:
    if isinstance(out, CoupledDigest):
        return out.deal_in_force_at(week)
    return out.deal_in_force[:, week - 1]


def lever_effects(alt: CoupledRun, base: CoupledRun, weeks: Sequence[int] | None = None
                  ) -> dict[str, Any]:
    """Paired (common random numbers) effects of a lever: on P(deal in force) at checkpoints and
    on each issue's terms (runs with a deal in both variants) and last proposal."""
    weeks = list(weeks or checkpoints(base.inputs.horizon))
    a, b = alt.outcome, base.outcome
    return {
        "delta_p_deal": {str(w): paired(_deal_at(a, w).astype(float) - _deal_at(b, w))
                         for w in weeks},
        "delta_terms": {issue: paired(a.terms[:, d] - b.terms[:, d])
                        for d, issue in enumerate(base.inputs.issues)},
        "delta_proposal": {issue: paired(a.proposal[:, d] - b.proposal[:, d])
                           for d, issue in enumerate(base.inputs.issues)},
    }


def legacy_summary(run: CoupledRun) -> dict[str, Any]:
    """The keys `simulate --json` has always had (p_agreement, end_mode, duration_weeks, ...)."""
    run = digested(run)
    out, x = run.outcome, run.inputs
    assert isinstance(out, CoupledDigest)
    duration = out.end_week.astype(float)
    terms = {}
    for d, issue in enumerate(x.issues):
        v = out.terms[:, d][~np.isnan(out.terms[:, d])]
        p05, p95 = _percentiles(v, (5, 95)) if v.size else (None, None)
        terms[issue] = ({"mean": float(v.mean()), "p05": p05, "p95": p95} if v.size else
                        {"mean": None, "p05": None, "p95": None})
    return {
        "p_agreement": {str(w): float(out.counts["deal"][w - 1] / out.runs) for w in out.weeks},
        "end_mode": _end_modes(out),
        "duration_weeks": dict(zip(("p10", "p50", "p90"), _percentiles(duration, (10, 50, 90)),
                                   strict=True)),
        "censored_share": float(out.counts["end_mode"][HORIZON] / out.runs),
        "share_R": {"mean": None},
        "terms": terms,
    }


# -- stylised facts (§7.7) ----------------------------------------------------------------------

def check_value(run: CoupledRun, outcome: str, week: int, party: str | None = None,
                bootstrap: int = 200) -> tuple[float, float]:
    """The estimate of a check's outcome at ``week`` and its Monte Carlo standard error
    (binomial for probabilities, a bootstrap over runs for medians and means)."""
    out, x = run.outcome, run.inputs
    n = out.end_mode.size
    i = max(week - 1, 0)
    if outcome in ("p_deal", "p_partial"):
        mask = (out.deal_in_force[:, i] if outcome == "p_deal"
                else out.partial_in_force[:, i].any(axis=1)) if week > 0 else np.zeros(n, bool)
        s = share(mask)
        return s["p"], s["se"]
    if outcome.startswith("p_"):
        codes = {"p_victory_R": ("victory_R",), "p_victory_U": ("victory_U",),
                 "p_collapse_R": ("collapse_R",),
                 "p_ended": tuple(m for m in END_MODES if m not in ("fighting", "horizon"))}
        by = np.isin(out.end_mode, [END_MODES.index(m) for m in codes[outcome]])
        s = share(by & (out.end_week <= week))
        return s["p"], s["se"]
    if outcome.startswith("front_"):
        q = {"front_median": 50, "front_p05": 5, "front_p95": 95}[outcome]
        values, stat = out.front[:, week], lambda v: np.percentile(v, q)
    elif outcome == "monthly_move_median":
        moves = np.abs(out.front[:, 4:week + 1] - out.front[:, :max(week - 3, 0)])
        values, stat = moves.mean(axis=1) if moves.size else np.zeros(n), np.median
    elif outcome == "engagement_mean":
        j = [x.actors[a] for a in x.parties].index(party)
        values, stat = out.engagement[:, i, j], np.mean
    else:  # revenue_median
        values, stat = out.revenue_R[:, i], np.median
    estimate = float(stat(values))
    rng = np.random.default_rng(0)
    boots = [stat(values[rng.integers(0, n, n)]) for _ in range(bootstrap)] if n > 1 else [0]
    return estimate, float(np.std(boots))


def evaluate_check(run: CoupledRun, check: Any) -> dict[str, Any]:
    """Pass/fail of one stylised fact, with its estimate and Monte Carlo standard error; a
    result within two standard errors of the threshold is flagged ``close``."""
    value, se = check_value(run, check.outcome, check.week, check.party)
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    passed = bool(ops[check.compare](value, check.threshold))
    return {"id": check.id, "statement": check.statement, "outcome": check.outcome,
            "week": check.week, "compare": check.compare, "threshold": check.threshold,
            "estimate": value, "se": se, "passed": passed,
            "close": bool(se > 0 and abs(value - check.threshold) <= 2 * se),
            "evidence": ([c.model_dump(mode="json") for c in check.cite] or check.assumption)}


def coupled_options(options: Any) -> tuple[Any, list[str]]:
    """The coupled kernel's options from what `-O` gave, and warnings for what they cannot
    carry: CoupledOptions as they are; from the war kernel's options ``battle`` and
    ``csf_exponent`` carry over, while ``proposer``, ``offer_rule`` and the powell settings
    belong to the §5 kernel (on a coupled scenario ``talks.proposer`` decides)."""
    from detente.options import CoupledOptions, WarOptions

    if isinstance(options, CoupledOptions):
        return options, []
    ignored = [f for f in ("proposer", "offer_rule", "powell_uncertainty", "type_spread",
                           "tough_prior") if f in options.model_fields_set]
    notes = [f"option(s) {', '.join(ignored)} do nothing in the coupled model "
             "(talks.proposer sets the proposer)"] if ignored else []
    given = {f: getattr(options, f) for f in ("battle", "csf_exponent")
             if f in options.model_fields_set}
    assert isinstance(options, WarOptions)
    return CoupledOptions(**given), notes


def run_coupled(scenario: Any, hypothesis: str | None, levers: Sequence[str], runs: int,
                seed: int, options: Any, horizon: int | None = None,
                strength: dict[str, float] | None = None, backend: Any = None,
                max_memory: int | None = None, digest: bool = False) -> CoupledRun:
    """One variant of the coupled model through the runner (named streams from ``seed``); with
    ``digest`` its outcome is the :class:`CoupledDigest` the summaries read, folded block by
    block (memory bounded by the block, not the runs), not every run's arrays."""
    from detente.runtime import Experiment, run

    opts, notes = coupled_options(options)
    fold = DigestFold(tuple(checkpoints(horizon or scenario.war.horizon)), runs) if digest \
        else None
    res = run(Experiment(scenario, "coupled", opts.model_dump(mode="json", exclude_unset=True),
                         hypothesis, tuple(levers), runs, horizon=horizon, seed=seed,
                         strength=strength, max_memory=max_memory), backend,
              fold=fold)
    return CoupledRun(res.inputs, res.outcome, tuple(levers), res.provenance,
                      (*notes, *res.warnings))


def run_checks(scenario: Any, runs: int, seed: int, options: Any = None,
               hypotheses: Sequence[str] | None = None) -> dict[str, Any]:
    """Every stylised-fact check of the scenario (§7.7) under the baseline and each hypothesis:
    the object of `detente check --json`; ``passed`` is true when every check passes."""
    from detente import __version__
    from detente.errors import InputError, problem
    from detente.options import CoupledOptions

    war = scenario.war
    if war is None or war.talks is None:
        raise InputError([problem("checks need a coupled scenario (a `war.talks` section)",
                                  ("war", "talks"))])
    if not war.checks:
        raise InputError([problem("the scenario lists no checks (war.checks)", ("war", "checks"))])
    options = options or CoupledOptions()
    names = list(hypotheses) if hypotheses else ["baseline", *(h.id for h in scenario.hypotheses)]
    result: dict[str, Any] = {"hypotheses": {}, "passed": True}
    for hyp in names:
        run = run_coupled(scenario, hyp, (), runs, seed, options)
        checks = [evaluate_check(run, c) for c in war.checks]
        result["hypotheses"][hyp] = checks
        result["passed"] &= all(c["passed"] for c in checks)
    result["provenance"] = {"scenario_sha256": scenario.sha256(), "version": __version__,
                            "seed": seed, "runs": runs}
    return result
