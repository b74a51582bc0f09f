"""Talks while fighting: the coupled multi-actor, multi-issue kernel (MODELS.md §7).

One period is one week; every array has the runs axis B first. Each week, for every run at once
(fixed order, after §5.3):

1. prospects and deadlines falling due are decided (stream ``deadline:<lever id>``);
2. agreements in force may break down (§5.9; stream ``collapse``);
3. every ``intensity_every`` weeks R chooses its offensive intensity ι ∈ {1, high_tempo} and
   whether to mobilise, each by comparing its value of fighting on (§7.6);
4. on talks weeks (cadence or a meeting that takes place; stream ``talks``) the negotiation
   model from the registry proposes terms on every issue for the runs still fighting, batched;
   every veto player accepts iff no red line is crossed and u_i(y) >= V_i (§7.4); if the whole
   deal fails, partial deals are tried on the listed issue subsets;
5. the runs still fighting fight a week (stream ``battle``): a Bernoulli battle signal with R's
   contest-success probability p_t teaches both sides' Beta beliefs, and the front moves
   Δk = τ(month)·ι·(p_t − ½)·step + ε outside the stalemate band (option ``front='lattice'``:
   ±1/steps per battle, the §5 random walk); casualties, costs, revenue, discontent and red
   lines' softening accrue; victory, collapse and exhaustion end the war (§5.8);
6. third parties (stream ``third_party``) update frustration φ ← ρφ + f·1[talks failed] +
   g·escalation and may retaliate (switching on their pressure levers) or exit (engagement 0).

Values of fighting on (§7.4) use i's Beta mean p̂_i shifted by what i anticipates: expected
prospects (E[π]) and, with anticipation on, the third parties' mean engagement over the
look-ahead H, ā_j = a_j·(1/H)·Σ_{h=1..H} (1 − q_j)^h with q_j = σ(α_exit + β_exit·φ̄_j) the exit
hazard at the frustration R's current intensity sustains (φ̄_j = φ_j + g_j·esc/(1 − ρ_j)). With
the front's drift μ and noise σ, P_i(R wins within H) and P_i(U wins within H) are the first-passage
probabilities of a Brownian motion with drift (the inverse-Gaussian distribution function,
F(a) = Φ((μH − a)/(σ√H)) + e^{2μa/σ²}·Φ((−a − μH)/(σ√H)), each barrier taken alone, renormalised
if they sum above 1), the stalemate probability is the rest, and the expected remaining weeks
E[min(T, H)] integrate the survival function (trapezoid on ``grid`` points). With the lattice
front the gambler's-ruin closed forms (§5.6) give the values, with an infinite look-ahead.

The kernel is pure: arrays in, arrays out; randomness only from ``rng(name)``, and every stream
draws the same number of values every week whatever the state (common random numbers); a
deadline's stream leaves out its call in a week when no run decides the lever, where the stream
gives each call numbers of its own (:class:`detente.seeds.StreamBlocks`), so no other number
moves. Steps 5 and 6 run on compiled loops where they are built (:mod:`detente.war.coupled_fast`,
the same numbers bit for bit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np
from scipy.special import erfcx, expit, logit, ndtr

from detente.compile import batch_from_arrays
from detente.compile.coupled import CoupledInputs
from detente.options import CoupledOptions
from detente.seeds import Streams
from detente.war import coupled_fast
from detente.war.base import (
    AGREEMENT,
    COLLAPSE_R,
    COLLAPSE_U,
    END_MODES,
    EXHAUSTED_R,
    EXHAUSTED_U,
    FIGHTING,
    FORCE_FLOOR,
    HORIZON,
    VICTORY_R,
    VICTORY_U,
)
from detente.war.theory import gamblers_ruin

__all__ = ["END_MODES", "CoupledModel", "CoupledOptions", "CoupledOutcome", "simulate_coupled"]
RED_LINE, VALUE = 1, 2  # veto reasons; 0 = no veto
REACH = 8.0  # standard deviations: a barrier beyond this is not reached within the look-ahead
BIG = 1e6  # bounds of the mediator's search on the line between the ideals
TOL = 1e-12  # equality accepts (§5.3): u_i(y) >= V_i up to round-off
VETO_REASONS = ("none", "red_line", "value_of_fighting")
# the weekly steps gather the runs still fighting once fewer than 1 in GATHER_BELOW are (else
# they compute on every run and keep the fighting runs' values: gathering and writing back most
# of the runs costs more than computing on them all)
GATHER_BELOW = 3
# lever parameters are recomputed in the runs whose weights changed alone from this many runs
# on (stacked variants); in fewer, the whole recomputation's few long steps cost less
PARAMS_IN_RUNS_FROM = 8192


@dataclass(frozen=True)
class CoupledOutcome:
    """Results; B runs, T weeks, D issues, S partial-deal subsets, J third parties.

    end_mode (B,) codes into END_MODES; end_week (B,) week the final state began (horizon if
    censored); first_deal (B,) week of the first whole deal or -1; breakdowns (B,).
    deal_in_force (B, T) bool at the end of week t; partial_in_force (B, T, S) bool.
    terms (B, D) the whole deal in force at the end (NaN if none); partial_terms (B, D) terms
    fixed by partial deals (NaN elsewhere); proposal (B, D) the last proposal (NaN if none).
    talks_held (B, T) bool; vetoed_by (B, T) actor index of the first veto player to refuse the
    whole deal, -1 if none or no talks; veto_reason (B, T): 0 none, 1 red line, 2 value of
    fighting. engagement (B, T, J) third parties' engagement at the end of week t; retaliated
    (B, J) bool. front (B, T+1) k; revenue_R (B, T) R's war revenue Y_R; intensity (B, T) R's ι
    (0 when not fighting); cost_R, cost_U (B,) cumulative costs; discontent (B,) D_R at the end;
    mobilised (B,) mobilisations; maximal (B, 2) bool aims types of R and U; aims_belief (B, 2)
    the opponent's final belief that R (column 0) and U (column 1) are maximal; positions
    (B, N, D) the talks positions at the end (dynamic models move them; ideals otherwise);
    pape_R (B, T) Pape's coercion score for R in talks weeks (NaN in other weeks).
    """

    end_mode: np.ndarray
    end_week: np.ndarray
    first_deal: np.ndarray
    breakdowns: np.ndarray
    deal_in_force: np.ndarray
    partial_in_force: np.ndarray
    terms: np.ndarray
    partial_terms: np.ndarray
    proposal: np.ndarray
    talks_held: np.ndarray
    vetoed_by: np.ndarray
    veto_reason: np.ndarray
    engagement: np.ndarray
    retaliated: np.ndarray
    front: np.ndarray
    revenue_R: np.ndarray
    intensity: np.ndarray
    cost_R: np.ndarray
    cost_U: np.ndarray
    discontent: np.ndarray
    mobilised: np.ndarray
    maximal: np.ndarray
    aims_belief: np.ndarray
    positions: np.ndarray
    pape_R: np.ndarray

    # the dimensions of every field after the run axis (for the labelled Results)
    DIMS: ClassVar[dict[str, tuple[str, ...]]] = {
        "deal_in_force": ("week",), "partial_in_force": ("week", "subset"),
        "terms": ("issue",), "partial_terms": ("issue",), "proposal": ("issue",),
        "talks_held": ("week",), "vetoed_by": ("week",), "veto_reason": ("week",),
        "engagement": ("week", "third_party"), "retaliated": ("third_party",),
        "front": ("step",), "revenue_R": ("week",), "intensity": ("week",),
        "maximal": ("side",), "aims_belief": ("side",), "positions": ("actor", "issue"),
        "pape_R": ("week",)}

    @classmethod
    def concatenate(cls, parts: Sequence[CoupledOutcome]) -> CoupledOutcome:
        """Blocks of runs back into one outcome."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})


# -- the front model under a side's beliefs ---------------------------------------------------

def first_passage(a: np.ndarray, mu: np.ndarray, sigma: np.ndarray, t: float | np.ndarray
                  ) -> np.ndarray:
    """P(a Brownian motion with drift mu (toward the barrier) and sd sigma per week reaches a
    barrier at distance a >= 0 within t weeks): the inverse-Gaussian distribution function

        F = Φ((μt − a)/(σ√t)) + e^{2μa/σ²}·Φ(−(a + μt)/(σ√t)).

    The second term is evaluated as ½·erfcx(z/√2)·exp(−(a − μt)²/(2σ²t)) with z = (a + μt)/(σ√t)
    when z > 0 (no overflow of e^{2μa/σ²}), and directly when z <= 0 (then e^{2μa/σ²} <= 1).
    ``t`` may be an array broadcasting against the others (several look-aheads at once).
    """
    sigma = np.maximum(sigma, 1e-9)
    sd = sigma * np.sqrt(np.maximum(t, 1e-12))
    mu_t = mu * t
    z = (a + mu_t) / sd
    first = ndtr((mu_t - a) / sd)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = 0.5 * erfcx(np.maximum(z, 0.0) / np.sqrt(2.0)) * np.exp(
            -0.5 * ((a - mu_t) / sd) ** 2)
        direct = np.exp(np.minimum(2.0 * mu * a / sigma**2, 0.0)) * ndtr(-z)
    return clip(np.where(a <= 0, 1.0, first + np.where(z > 0, scaled, direct)), 0.0, 1.0)


def front_outlook(k: np.ndarray, mu: np.ndarray, sigma: np.ndarray, horizon: int, grid: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P(k reaches 1 within H), P(k reaches 0 within H), E[min(T, H)] weeks), each (B,).

    A barrier more than REACH standard deviations beyond where the drift carries k by the
    horizon is not reached (probability below 1e-15): only the runs near a barrier are computed,
    at every point of the grid at once ((grid, B') arrays).
    """
    times = _grid_times(horizon, grid)
    reach = REACH * np.maximum(sigma, 1e-9) * np.sqrt(horizon)
    to_up = 1.0 - k
    near_up = np.flatnonzero(to_up - np.maximum(mu, 0.0) * horizon < reach)
    near_down = np.flatnonzero(k + np.minimum(mu, 0.0) * horizon < reach)
    up = _passage(to_up, mu, sigma, near_up, times)
    down = _passage(k, -mu, sigma, near_down, times)
    dx = horizon / grid
    after = np.minimum(np.maximum(1.0 - up - down, 0.0), 1.0)  # survival at each grid point
    before = np.empty_like(after)
    before[0], before[1:] = 1.0, after[:-1]
    panels = dx * (after + before) / 2.0  # the trapezoid rule on the survival function
    weeks = 0.0
    for g in range(grid):  # panel by panel, in order
        weeks = weeks + panels[g]
    total = np.maximum(up[-1] + down[-1], 1.0)
    return up[-1] / total, down[-1] / total, weeks


_TIMES: dict[tuple[int, int], np.ndarray] = {}


def _grid_times(horizon: int, grid: int) -> np.ndarray:
    """(grid, 1) the look-ahead's quadrature points H/grid, ..., H (made once per pair)."""
    if (horizon, grid) not in _TIMES:
        _TIMES[horizon, grid] = np.linspace(0.0, horizon, grid + 1)[1:, None]
    return _TIMES[horizon, grid]


def _passage(distance: np.ndarray, drift: np.ndarray, sigma: np.ndarray, near: np.ndarray,
             times: np.ndarray) -> np.ndarray:
    """(grid, B) first-passage probabilities to one barrier, computed in the runs ``near`` it
    (0 elsewhere)."""
    if near.size == distance.size:
        return first_passage(distance, drift, sigma, times)
    out = np.zeros((times.shape[0], distance.size))
    if near.size:
        out[:, near] = first_passage(distance[near], drift[near], sigma[near], times)
    return out


_BELIEF_FIELDS = ("p_hat", "tempo", "intensity", "cost", "kappa")


def clip(values: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray) -> np.ndarray:
    """np.clip's values (NaN stays NaN) without its wrapper's overhead, for the hot loops."""
    return np.minimum(np.maximum(values, lo), hi)


def power(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """base ** exponent; the base itself where every exponent is 1 (the default exponents; x¹ is
    x exactly), skipping the costly pow."""
    return base if (exponent == 1.0).all() else base**exponent


def row_sum(values: np.ndarray) -> np.ndarray:
    """Σ over the last (short: issues, third parties) axis of (B', K), column by column in
    order. numpy's own sum adds fewer than 8 terms in this order too (so the result is the same
    to the bit), but reducing a short last axis is several times slower than adding columns;
    from 8 terms on numpy sums pairwise, so its sum is kept there."""
    if values.shape[-1] >= 8:
        return values.sum(axis=-1)
    out = np.zeros(values.shape[:-1]) if values.shape[-1] == 0 else values[..., 0].copy()
    for j in range(1, values.shape[-1]):
        out += values[..., j]
    return out


def _rows_of(losses: Losses, rows: np.ndarray) -> Losses:
    """Some runs of a side's losses (None stays None)."""
    return tuple(None if a is None else a[rows] for a in losses)


def pick(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[rows] for run indices ``rows`` (``take`` copies many whole rows of a (B, ...) array
    in about half the time of fancy indexing; on (B,) arrays or few rows indexing is quicker)."""
    return values[rows] if values.ndim == 1 or rows.size < 512 else values.take(rows, axis=0)


def take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[rows] along the runs axis, without a copy when ``rows`` holds every run in order."""
    return values if rows.size == values.shape[0] else pick(values, rows)


def scatter(state: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``state`` (B,) with ``values`` (B',) in runs ``rows``: ``values`` itself when ``rows``
    holds every run in order (``state`` is left as it is), else ``state`` written there."""
    if rows.size == state.shape[0]:
        return values
    state[rows] = values
    return state


def take_last(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[:, rows] of a (J, B) third-party array (runs last), as :func:`take`."""
    return values if rows.size == values.shape[1] else values[:, rows]


def party_sum(values: np.ndarray) -> np.ndarray:
    """Σ over the third parties of (J, B'), in the order and to the bits of :func:`row_sum` on
    its (B', J) transpose (third-party arrays are kept runs-last: with J of 1 or 2, a (B, J) array
    takes several times longer per operation than its (J, B) transpose)."""
    if values.shape[0] >= 8:
        return np.ascontiguousarray(values.T).sum(axis=-1)
    out = np.zeros(values.shape[1:]) if values.shape[0] == 0 else values[0].copy()
    for j in range(1, values.shape[0]):
        out += values[j]
    return out


@dataclass
class _Beliefs:
    """What one side uses for its value of fighting: (B',) arrays."""

    p_hat: np.ndarray      # its Beta mean of R's weekly win chance, with anticipations applied
    tempo: np.ndarray      # mean seasonal tempo over the look-ahead
    intensity: np.ndarray  # R's ι it expects
    cost: np.ndarray       # its expected weekly cost
    kappa: np.ndarray      # war weariness 1 + weariness x C / capacity


class _Model:
    """Shared, fixed arrays of one simulation and the pieces of the value of fighting."""

    def __init__(self, inputs: CoupledInputs, options: CoupledOptions) -> None:
        self.x = inputs
        self.o = options
        self.span = inputs.high - inputs.low
        w = inputs.salience / np.maximum(inputs.salience.sum(axis=2, keepdims=True), 1e-12)
        w = w / self.span  # (B, N, D) salience weight per issue unit
        self.w = {a: np.ascontiguousarray(w[:, a]) for a in range(w.shape[1])}  # (B, D) each
        self.w_subset = []  # per partial subset, weights restricted and renormalised to it
        self.w_cols = []  # the same on the subset's own issues only, (B, D_s) each
        # row_sum adds the issues in order while there are fewer than 8 (below: numpy's pairwise
        # sum): the weights outside a subset are exactly 0, so leaving them out adds +0.0 less
        self.subset_cols = [np.flatnonzero(issues) if w.shape[2] < 8 else None
                            for issues in inputs.partial]
        for issues, cols in zip(inputs.partial, self.subset_cols, strict=True):
            ws = np.where(issues, w, 0.0)
            ws = ws / np.maximum((ws * self.span).sum(axis=2, keepdims=True), 1e-12)
            self.w_subset.append({a: np.ascontiguousarray(ws[:, a]) for a in range(w.shape[1])})
            self.w_cols.append(None if cols is None else {
                a: np.ascontiguousarray(ws[:, a][:, cols]) for a in range(w.shape[1])})
        self.xr = np.ascontiguousarray(inputs.ideal[:, inputs.r])
        self.xu = np.ascontiguousarray(inputs.ideal[:, inputs.u])
        line = inputs.line_issue
        ref = np.where(np.isnan(inputs.reference), 0.5 * (self.xr + self.xu), inputs.reference)
        self.line_base = np.where(line, self.xu, ref)  # (B, D) freeze terms at k = 0
        self.line_slope = np.where(line, self.xr - self.xu, 0.0)  # (B, D) their change with k
        # base + k·slope on the line issues alone: elsewhere the slope is 0 and the terms are
        # base + 0.0, taken here once
        self.line_cols = np.flatnonzero(line)
        self.line_rest = np.where(line, self.line_base, self.line_base + 0.0)
        self.lattice = options.front == "lattice"
        self.new_week()
        self.steps = inputs.war.steps
        h = inputs.lookahead
        month = inputs.month
        # (T + H, B) each week's tempo, week first (one week's row contiguous), and its sums
        tempo_week = np.ascontiguousarray(inputs.tempo.T)[month]
        csum = np.concatenate([np.zeros((1, inputs.runs)), np.cumsum(tempo_week, axis=0)])
        self.tempo_now = tempo_week[:inputs.horizon]  # (T, B)
        self.tempo_ahead = (csum[h:h + inputs.horizon] - csum[:inputs.horizon]) / h  # (T, B)

    def utility(self, actor: int, ideal: np.ndarray, y: np.ndarray, rows: np.ndarray,
                subset: int | None = None) -> np.ndarray:
        """u_i(y) = 1 − Σ_d ŵ_id |x̂_id − y_d| / (high_d − low_d) (§7.4), (B',); ``subset`` (a
        partial-deal index) restricts the sum to its issues with weights renormalised on them
        (issues already settled add the same constant to every side of a comparison)."""
        return self.utility_of(actor, np.abs(ideal - y), rows, subset)

    def utility_of(self, actor: int, loss: np.ndarray, rows: np.ndarray,
                   subset: int | None = None) -> np.ndarray:
        """u_i from the distances ``loss`` = |x̂_i − y| (B', D) already taken (see utility)."""
        if subset is None:
            return 1.0 - row_sum(self.gather(("w", actor), self.w[actor], rows) * loss)
        cols = self.subset_cols[subset]
        if cols is None:
            return 1.0 - row_sum(self.gather(("w", actor, subset), self.w_subset[subset][actor],
                                             rows) * loss)
        if not cols.size:
            return np.ones(loss.shape[0])
        w = self.gather(("w", actor, subset), self.w_cols[subset][actor], rows)
        total = w[:, 0] * loss[:, cols[0]]
        for j in range(1, cols.size):
            total += w[:, j] * loss[:, cols[j]]
        return 1.0 - total

    def gather(self, key: tuple, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``values[rows]`` of an array that does not change within a week, kept while the same
        ``rows`` array is asked for again (the talks ask for the same runs many times)."""
        if rows.size == values.shape[0]:
            return values
        if self._rows is not rows:
            self._rows, self._gathered = rows, {}
        if key not in self._gathered:
            self._gathered[key] = pick(values, rows)
        return self._gathered[key]

    def new_week(self) -> None:
        """Forget the gathered arrays (the red-line bounds change from week to week)."""
        self._rows, self._gathered = None, {}

    def line_terms(self, k: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Terms of a freeze at front k: line issues between U's (k = 0) and R's (k = 1) ideals,
        the others at the reference point (else midway), (B', D)."""
        out = self.gather(("line_rest",), self.line_rest, rows).copy()
        if self.line_cols.size:
            kc = clip(k, 0, 1)
            slope = self.gather(("line_slope",), self.line_slope, rows)
            for d in self.line_cols:
                out[:, d] += kc * slope[:, d]
        return out

    def outlook(self, k: np.ndarray, b: _Beliefs, band: np.ndarray, step: np.ndarray,
                noise: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(P(R wins), P(U wins), expected remaining weeks, expected k at the look-ahead)."""
        if self.lattice:
            win, weeks = gamblers_ruin(np.rint(k * self.steps), self.steps, b.p_hat)
            return win, 1.0 - win, weeks, k
        edge = b.p_hat - 0.5
        mu = np.where(np.abs(edge) < band, 0.0, b.tempo * b.intensity * edge * step)
        up, down, weeks = front_outlook(k, mu, noise, self.x.lookahead, self.o.grid)
        return up, down, weeks, clip(k + mu * self.x.lookahead, 0.0, 1.0)


Losses = tuple  # (win, lose, lose_limited, line): see _side_losses


def _side_losses(m: _Model, rows: np.ndarray, ideal: np.ndarray,
                 opp_ideals: tuple[np.ndarray, np.ndarray, np.ndarray], fixed: np.ndarray,
                 fixval: np.ndarray, k_end: np.ndarray) -> Losses:
    """|x̂_i − y| (B', D) for the terms at each end of the war, issues already settled at their
    terms: y_win (None when nothing is settled: no loss), y_lose against the opponent's maximal
    ideal and against its limited one (None when it has no aims type), and y_line, the freeze on
    the front at ``k_end``. Computed once, they serve the whole deal and every partial subset."""
    settled = fixed.any()

    def fix(y: np.ndarray) -> np.ndarray:
        return np.where(fixed, fixval, y) if settled else y

    win = np.abs(ideal - fix(ideal)) if settled else None
    lose = np.abs(ideal - fix(opp_ideals[0]))
    limited = (np.abs(ideal - fix(opp_ideals[1])) if opp_ideals[1] is not opp_ideals[0]
               else None)
    return win, lose, limited, np.abs(ideal - fix(m.line_terms(k_end, rows)))


def _side_value(m: _Model, side: int, rows: np.ndarray, losses: Losses,
                opp_maximal: np.ndarray | None, outlook: tuple, b: _Beliefs,
                mask: int | None = None) -> np.ndarray:
    """V_i = P(win)·u(y_win) + P(lose)·E[u(y_lose)] + P(stalemate)·u(y_line) − κ·c·E[weeks]
    (§7.4), under side i's outlook; ``losses`` from :func:`_side_losses`; ``opp_maximal`` the
    belief that the opponent is maximal; ``mask`` (a partial-deal index) restricts to its issues
    (no cost: the war goes on)."""
    up, down, weeks, _ = outlook
    win_p, lose_p = (up, down) if side == m.x.r else (down, up)
    stale = clip(1.0 - up - down, 0.0, 1.0)
    win, lose, limited, line = losses
    u_win = m.utility_of(side, win, rows, mask) if win is not None else 1.0
    u_lose = m.utility_of(side, lose, rows, mask)
    if limited is not None:  # the opponent may be of the limited type
        u_lim = m.utility_of(side, limited, rows, mask)
        u_lose = opp_maximal * u_lose + (1 - opp_maximal) * u_lim
    u_line = m.utility_of(side, line, rows, mask)
    value = win_p * u_win + lose_p * u_lose + stale * u_line
    return value if mask is not None else value - b.kappa * b.cost * weeks


def _streams(rng: Callable[[str], np.random.Generator], inputs: CoupledInputs
             ) -> dict[str, np.random.Generator]:
    keys = ["battle", "talks", "third_party", "collapse", "aims"]
    keys += [f"deadline:{lid}" for lid, kind in zip(inputs.lever_ids, inputs.kind, strict=True)
             if kind != "scheduled"]
    return {key: rng(key) for key in keys}


class CoupledModel:
    """The coupled kernel behind the registry's ``coupled`` model: one job of runs per call.
    Each named stream is drawn run-major per call in fixed stream blocks
    (:class:`detente.seeds.StreamBlocks`),
    so run k's numbers depend neither on how many runs share its job nor on how many there are."""

    def run(self, inputs: CoupledInputs, options: CoupledOptions, streams: Streams | None = None
            ) -> CoupledOutcome:
        streams = streams or Streams.from_seed(0)
        return simulate_coupled(inputs, options,
                                lambda key: streams.rows(key, inputs.runs))  # type: ignore[arg-type,return-value]


def simulate_coupled(inputs: CoupledInputs, options: CoupledOptions,
                     rng: Callable[[str], np.random.Generator]) -> CoupledOutcome:
    """Run every run of ``inputs`` for ``inputs.horizon`` weeks (MODELS.md §7; see the module)."""
    return _Simulation(inputs, options, _streams(rng, inputs)).run()


class _Simulation:
    """The state of every run and the weekly steps; ``run`` returns the outcome."""

    def __init__(self, inputs: CoupledInputs, options: CoupledOptions,
                 streams: dict[str, np.random.Generator], variants: int = 1) -> None:
        self.x = inputs
        self.o = options
        # ``variants`` V > 1: the runs are V variants' runs stacked (war/stacked.py), each a
        # segment of B / V runs, with ``selected`` (B, L) per run; every decision the kernel
        # takes over all runs at once is then taken per segment
        self.variants = variants
        sel = np.asarray(inputs.selected)
        if variants > 1:
            self.sel_any, self.sel_all = sel.any(axis=0), sel.all(axis=0)  # (L,) each
            seg_sel = sel.reshape(variants, -1, sel.shape[1])[:, 0]  # (V, L) per variant
            self.sel_spans = [self._spans(seg_sel[:, li]) for li in range(sel.shape[1])]
        else:
            self.sel_any = self.sel_all = sel.astype(bool)
            self.sel_spans = [[slice(None)] if on else [] for on in self.sel_any]
        self.m = _Model(inputs, options)
        self.n_runs = inputs.runs  # B (a property of the inputs, asked for many times a week)
        self.every = np.arange(inputs.runs)
        self.g = streams
        b, t_max, d = inputs.runs, inputs.horizon, len(inputs.issues)
        s, j = inputs.partial.shape[0], inputs.parties.size
        par = inputs.war.params
        self.anticipate = {"scenario": inputs.anticipation, "on": True,
                           "off": False}[options.anticipation]
        start = par["front.start"] / inputs.war.steps
        self.k = np.rint(par["front.start"]) / inputs.war.steps if self.m.lattice else start
        self.k0 = self.k.copy()
        self._k_clipped = False  # whether every run's k has been clipped to [0, 1] (see fight)
        self._fighting: coupled_fast.Fighting | bool | None = None  # see _fight_loops
        self._parties: coupled_fast.Parties | bool | None = None  # see _party_loops
        self._left = False  # whether a third party left this week (see record)
        self.forces = {"R": par["R.forces"].copy(), "U": par["U.forces"].copy()}
        self.forces0 = {s_: v.copy() for s_, v in self.forces.items()}
        self.belief = {s_: [par[f"{s_}.belief.a"].copy(), par[f"{s_}.belief.b"].copy()]
                       for s_ in "RU"}
        self.dl = [par["deadline_belief.a"].copy(), par["deadline_belief.b"].copy()]
        self.status = np.full(b, FIGHTING)
        self.end_week = np.full(b, t_max)
        self.first = np.full(b, -1)
        self.breakdowns = np.zeros(b, dtype=int)
        self.cost = {"R": np.zeros(b), "U": np.zeros(b)}
        self.casualties = {"R": np.zeros(b), "U": np.zeros(b)}
        self.terms = np.full((b, d), np.nan)
        self.proposal = np.full((b, d), np.nan)
        self.fixed = np.zeros((b, d), dtype=bool)
        self.fixval = np.zeros((b, d))
        self.partial_on = np.zeros((b, s), dtype=bool)
        self.positions = inputs.ideal.copy()
        # the scale's ends in the positions' full shape (B, N, D): clipping against them runs
        # in long steps, where broadcasting (D,) does inner loops of D
        self.lo_full = np.ascontiguousarray(np.broadcast_to(inputs.low, self.positions.shape))
        self.hi_full = np.ascontiguousarray(np.broadcast_to(inputs.high, self.positions.shape))
        # third parties' parameters and state are kept (J, B), runs last (see party_sum)
        self.th = {k: np.ascontiguousarray(v.T) for k, v in inputs.third.items()} if j else {}
        self.engaged = np.clip(self.th["engagement"], 0, 1) if j else np.zeros((0, b))
        self.aid0 = self.aid(self.engaged.copy(), self.every)  # (B,) U's aid multiplier at start
        if j:  # (J, B) 1 − ρ_j: the share of frustration that fades each week
            self.unheld = 1 - clip(self.th["persistence"], 0.0, 0.999)
        self.phi = np.zeros((j, b))
        self.retaliated = np.zeros((j, b), dtype=bool)
        n_l = len(inputs.lever_ids)
        self.decided = np.zeros((b, n_l), dtype=bool)
        self.enacted = np.zeros((b, n_l), dtype=bool)
        self.due = np.array([lv.start for lv in inputs.war.levers], dtype=int)[None, :].repeat(b, 0)
        self.high = np.zeros(b, dtype=bool)
        self.hazard = np.zeros(b)  # this week's breakdown hazard of agreements in force
        self.discontent = np.zeros(b)
        self.mobilised = np.zeros(b, dtype=int)
        # red lines' softening so far, thresholds and steps, (Lr, B): one line's row contiguous
        self.red_offset = np.zeros_like(inputs.red_bound.T)
        self.red_threshold = np.ascontiguousarray(inputs.red_threshold.T)
        self.red_softening = np.ascontiguousarray(inputs.red_softening.T)
        self.revenue0 = inputs.economy["output"] * inputs.economy["price"]
        self._aims_setup(b)
        self._shift_memo: list | None = None  # see anticipated_shift
        self._bounds: np.ndarray | None = None  # this week's red-line bounds, every run
        self._windows: np.ndarray | None = None  # (T, L) the levers' windows, see _window
        self._pressure: dict[int, list[int]] = {}  # pressure lever -> its third parties
        for party, lever in zip(*np.nonzero(inputs.pressure), strict=True):
            self._pressure.setdefault(int(lever), []).append(int(party))
        self._logit: dict[str, np.ndarray] = {}  # this week's belief log-odds, every run
        self._params: dict[bool, tuple] = {}  # last weights and params, see params_in_force
        self._lever_params = self._lever_bases()  # see params_in_runs
        self.rec = {
            "deal": np.zeros((t_max, b), dtype=bool),
            "partial": np.zeros((t_max, b, s), dtype=bool),
            "held": np.zeros((t_max, b), dtype=bool),
            "vetoed_by": np.full((t_max, b), -1, dtype=np.int16),
            "reason": np.zeros((t_max, b), dtype=np.int8),
            "engagement": np.zeros((t_max, b, j)),
            "front": np.empty((t_max + 1, b)),
            "revenue": np.zeros((t_max, b)),
            "intensity": np.zeros((t_max, b)),
            "pape": np.full((t_max, b), np.nan),
        }
        self.rec["front"][0] = self.k

    # -- aims types ---------------------------------------------------------------------------

    def _aims_setup(self, b: int) -> None:
        """Draw each side's private aims type and its two ideals (maximal, limited)."""
        x = self.x
        self.maximal = np.ones((b, 2), dtype=bool)
        self.mu = np.ones((b, 2))  # the opponent's belief that the side is maximal
        ideal_max = {0: self.m.xr, 1: self.m.xu}
        self.ideal_max = ideal_max
        self.ideal_lim = dict(ideal_max)
        self.has_aims = bool(x.aims)
        self.true_ideal = ideal_max
        if not self.has_aims:
            return
        draw = self.g["aims"].random((2, b))
        for s in (0, 1):
            if np.isnan(x.aims["maximal"][:, s]).all():
                continue
            other = ideal_max[1 - s]
            conc = x.aims["concession"][:, s][:, None]
            self.ideal_lim[s] = ideal_max[s] + conc * (other - ideal_max[s])
            self.maximal[:, s] = draw[s] < x.aims["maximal"][:, s]
            self.mu[:, s] = x.aims["belief"][:, s]
        self.true_ideal = {s: np.where(self.maximal[:, s][:, None], ideal_max[s],
                                       self.ideal_lim[s]) for s in (0, 1)}

    def ideal(self, s: int, rows: np.ndarray) -> np.ndarray:
        """Side s's (0 = R, 1 = U) true ideal in runs ``rows``, (B', D)."""
        return self.m.gather(("ideal", s), self.true_ideal[s], rows)

    # -- levers ---------------------------------------------------------------------------------

    def _window(self, t: int) -> np.ndarray:
        """(L,) whether each lever's window holds week t (the table is made on first use)."""
        if self._windows is None:
            self._windows = np.array([[w >= lv.start and (lv.end is None or w < lv.end)
                                       for lv in self.x.war.levers]
                                      for w in range(self.x.horizon)], dtype=bool)
        return self._windows[t]

    def _spans(self, segments: np.ndarray) -> list[slice]:
        """The rows of the stacked variants flagged in ``segments`` (V,) bool, as few slices
        (adjacent variants joined)."""
        seg = self.x.runs // self.variants
        out: list[slice] = []
        for i in np.flatnonzero(segments):
            if out and out[-1].stop == i * seg:
                out[-1] = slice(out[-1].start, (i + 1) * seg)
            else:
                out.append(slice(i * seg, (i + 1) * seg))
        return out

    def lever_weights(self, t: int, expected: bool) -> np.ndarray:
        """(B, L) weight of each lever's effects: 1 on, 0 off; ``expected`` puts undecided
        prospects at π(t) and undecided deadlines at R's belief in enforcement. Stacked
        variants: computed in the rows of the variants that have the lever (0 elsewhere, as a
        variant without it skips it)."""
        x = self.x
        window = self._window(t)
        on = np.zeros(self.enacted.shape)
        for li, kind in enumerate(x.kind):
            if not self.sel_any[li]:
                continue
            prospect = (x.prospect(li, min(t, x.horizon - 1))
                        if expected and kind == "prospect" else None)
            for sl in self.sel_spans[li]:
                if kind == "scheduled":
                    on[sl, li] = window[li]
                elif expected:
                    pending = ~self.decided[sl, li]
                    dl0, dl1 = self.dl[0][sl], self.dl[1][sl]
                    belief = prospect[sl] if prospect is not None else dl0 / (dl0 + dl1)
                    on[sl, li] = np.where(pending, belief, self.enacted[sl, li] & window[li])
                else:
                    on[sl, li] = self.enacted[sl, li] & window[li]
        if self._pressure:  # levers of third parties that retaliated and are still engaged
            active = self.retaliated & (self.engaged > 0)  # (J, B)
            for li, parties in self._pressure.items():
                if not window[li]:  # max(on, 0) leaves the lever's weights as they are
                    continue
                pressure = active[parties[0]].copy()
                for j in parties[1:]:
                    pressure |= active[j]
                on[:, li] = np.maximum(on[:, li], pressure)
        return on

    def _lever_bases(self) -> dict[str, np.ndarray] | None:
        """The parameters the levers change, as :meth:`params` starts from, (B,) each; None
        when one is not a float (B,) array (then :meth:`params_in_runs` is not used)."""
        p = dict(self.x.war.params)
        for f in ("output", "price", "shortfall_cost"):
            p[f"economy.{f}"] = self.x.economy[f]
        out = {}
        for lv in self.x.war.levers:
            for param, op, size in lv.effects:
                base = p.get(param)
                if not (isinstance(base, np.ndarray) and base.dtype == np.float64
                        and base.shape == (self.n_runs,) and op in ("add", "mul")
                        and np.ndim(size) in (0, 1)):
                    return None
                out[param] = base
        return out

    def params(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Parameters in force with lever weights (B, L): p + w·(changed − p)."""
        p = dict(self.x.war.params)
        for f in ("output", "price", "shortfall_cost"):
            p[f"economy.{f}"] = self.x.economy[f]
        wt = np.ascontiguousarray(weights.T)
        used = wt.any(axis=1)  # (L,): quicker than axis=0
        v = self.variants
        # stacked variants: (L, V) whether each variant's runs use the lever
        used_by = wt.reshape(wt.shape[0], v, -1).any(axis=2) if v > 1 else None
        for li, lv in enumerate(self.x.war.levers):
            if not used[li]:
                continue
            w = weights[:, li]
            if used_by is None or used_by[li].all():
                for param, op, size in lv.effects:
                    changed = p[param] + size if op == "add" else p[param] * size
                    p[param] = p[param] + w * (changed - p[param])
                continue
            # a variant that does not use the lever keeps p as it is (as alone): the change
            # is made in the rows of the variants that use it
            spans = self._spans(used_by[li])
            for param, op, size in lv.effects:
                new = np.array(p[param], dtype=float)
                for sl in spans:
                    old, by = p[param][sl], size[sl] if np.ndim(size) else size
                    changed = old + by if op == "add" else old * by
                    new[sl] = old + w[sl] * (changed - old)
                p[param] = new
        return p

    def params_in_force(self, weights: np.ndarray, expected: bool) -> dict[str, np.ndarray]:
        """:meth:`params` of ``weights``, kept apart for the realised and the ``expected``
        weights: last week's very dict when its weights were the same (they seldom change: a
        lever's window opens, a prospect is decided, a party retaliates); else, while few runs'
        weights changed, last week's parameters recomputed in those runs alone
        (:meth:`params_in_runs`; a stacked variant that starts or stops using a lever is
        recomputed whole, as :meth:`params` decides that per variant)."""
        last = self._params.get(expected)
        if last is not None and np.array_equal(last[0], weights):
            return last[2]
        if self._lever_params is None or self.n_runs < PARAMS_IN_RUNS_FROM:
            p = self.params(weights)
            self._params[expected] = (weights, None, p)
            return p
        if last is None:
            p = self.params(weights)
            self._params[expected] = (weights, self._uses(weights), p)
            return p
        w_last, uses_last, p_last = last
        diff = np.flatnonzero(w_last.ravel() != weights.ravel())
        uses = self._uses_after(weights, uses_last, diff)
        changed = np.zeros(self.n_runs, dtype=bool)
        changed[diff // weights.shape[1]] = True
        flipped = (uses != uses_last).any(axis=1)  # (V,)
        if flipped.any():
            changed |= np.repeat(flipped, self.n_runs // self.variants)
        rows = np.flatnonzero(changed)
        if GATHER_BELOW * rows.size >= self.n_runs:
            p = self.params(weights)
        else:
            p = self.params_in_runs(weights, uses, rows, p_last)
        self._params[expected] = (weights, uses, p)
        return p

    def _uses(self, weights: np.ndarray) -> np.ndarray:
        """(V, L) whether each stacked variant's runs use each lever (V = 1: whether any run
        does), as :meth:`params` decides."""
        v = self.variants
        return weights.reshape(v, self.n_runs // v, weights.shape[1]).any(axis=1)

    def _uses_after(self, weights: np.ndarray, uses: np.ndarray, diff: np.ndarray
                    ) -> np.ndarray:
        """:meth:`_uses` of ``weights`` from ``uses``, those of weights that differ only at the
        flat indices ``diff``: a (variant, lever) pair is used once a changed weight in it is
        nonzero, and is looked at again only when it was used and every changed weight in it
        is now 0."""
        n_l = weights.shape[1]
        pair = (diff // n_l) // (self.n_runs // self.variants) * n_l + diff % n_l
        out = uses.copy().ravel()
        nonzero = weights.ravel()[diff] != 0
        out[pair[nonzero]] = True
        recheck = np.zeros(out.size, dtype=bool)
        recheck[pair] = True
        recheck[pair[nonzero]] = False
        seg = self.n_runs // self.variants
        for pv in np.flatnonzero(recheck & out):
            v, li = divmod(int(pv), n_l)
            out[pv] = weights[v * seg:(v + 1) * seg, li].any()
        return out.reshape(uses.shape)

    def params_in_runs(self, weights: np.ndarray, uses: np.ndarray, rows: np.ndarray,
                       last: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """:meth:`params` of ``weights`` (B, L), given ``last``, its values for weights that
        differ only in runs ``rows``: the same chain of lever effects, in the same order,
        computed in those runs alone (a run's parameters depend on its own weights and on
        whether its variant uses each lever, ``uses`` (V, L)) and written into copies of
        ``last``'s arrays."""
        base = self._lever_params
        sub = {param: base[param][rows] for param in base}
        w_rows = weights[rows]
        variant = rows // (self.n_runs // self.variants)
        for li, lv in enumerate(self.x.war.levers):
            in_use = uses[variant, li]
            if not in_use.any():
                continue
            w = w_rows[:, li]
            for param, op, size in lv.effects:
                old, by = sub[param], size[rows] if np.ndim(size) else size
                changed = old + by if op == "add" else old * by
                new = old + w * (changed - old)
                sub[param] = new if in_use.all() else np.where(in_use, new, old)
        p = dict(last)
        for param, values in sub.items():
            p[param] = last[param].copy()
            p[param][rows] = values
        return p

    def decide_levers(self, t: int) -> None:
        """Prospects at their start and deadlines on their due dates are enacted or not."""
        x = self.x
        for li, kind in enumerate(x.kind):
            if kind == "scheduled":
                continue
            stream = self.g[f"deadline:{x.lever_ids[li]}"]
            skip = getattr(stream, "skip", None)
            if skip is not None and not (self.sel_any[li] and (self.due[:, li] == t).any()):
                # no run decides this lever this week, and each call of a run-major stream has
                # numbers of its own (seeds.RowStream), so leaving this one out moves no other
                skip()
                continue
            draw = stream.random(self.n_runs)
            if not self.sel_any[li]:
                continue
            lv = x.war.levers[li]
            pi = x.prospect(li, min(t, x.horizon - 1)) if kind == "prospect" else None
            for sl in self.sel_spans[li]:  # stacked: the variants with the lever decide
                hit = ~self.decided[sl, li] & (self.due[sl, li] == t) & (
                    self.status[sl] != AGREEMENT)
                if kind == "prospect":
                    win = hit & (draw[sl] < pi[sl])
                    self.decided[sl, li] |= hit
                else:
                    win = hit & (draw[sl] < lv.credibility[sl])
                    self.dl[0][sl] += win
                    self.dl[1][sl] += hit & ~win
                    self.decided[sl, li] |= win | (hit & (lv.every is None))
                    if lv.every is not None:
                        self.due[sl, li] = np.where(hit & ~win, self.due[sl, li] + lv.every,
                                                    self.due[sl, li])
                self.enacted[sl, li] |= win

    # -- beliefs and values ---------------------------------------------------------------------

    def aid(self, engaged: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """U's effectiveness multiplier from third-party aid, 1 + Σ_j a_j·aid_j, (B',), from
        the engagements (J, B')."""
        if not self.x.parties.size:
            return np.ones(rows.size)
        return 1.0 + party_sum(engaged * take_last(self.th["aid"], rows))

    def expected_engagement(self, rows: np.ndarray, escalation: np.ndarray) -> np.ndarray:
        """ā_j = a_j·(1/H)·Σ_{h=1..H}(1 − q_j)^h at the frustration ``escalation`` sustains,
        (J, B')."""
        a = take_last(self.engaged, rows)
        if not self.anticipate or not self.x.parties.size:
            return a
        th = {k: take_last(self.th[k], rows) for k in
              ("frustration_escalation", "exit_base", "exit_slope")}
        phi = take_last(self.phi, rows) + th["frustration_escalation"] * escalation / take_last(
            self.unheld, rows)
        q = clip(expit(th["exit_base"] + th["exit_slope"] * phi), 1e-12, 1.0)
        h = self.x.lookahead
        keep = 1.0 - q
        mean = np.where(q >= 1.0, 0.0, keep * -np.expm1(h * np.log1p(-np.minimum(q, 1 - 1e-12)))
                        / (h * q))
        return a * mean

    def beliefs(self, side: str, t: int, rows: np.ndarray, p_now: dict, p_exp: dict,
                high: np.ndarray, extra_forces: np.ndarray | float = 0.0) -> _Beliefs:
        """Side ``side``'s belief inputs in runs ``rows`` if R plays intensity ``high``."""
        x, par = self.x, self.x.war.params
        shift = self.anticipated_shift(rows, p_now, p_exp, high)
        if np.any(extra_forces):
            fr = take(self.forces["R"], rows)
            shift = shift + self.o.csf_exponent * np.log((fr + extra_forces) / np.maximum(fr, 1e-9))
        p_hat = expit(self.belief_logit(side, rows) + shift)
        tempo = np.ones(rows.size) if self.m.lattice else take(self.m.tempo_ahead[t], rows)
        iota = np.where(high, take(x.economy["high_tempo"], rows), 1.0)
        cost = self.weekly_cost(side, rows, p_exp, high)
        cap = take(par[f"{side}.capacity"], rows)
        spent = np.where(np.isfinite(cap), take(self.cost[side], rows) / cap, 0.0)
        kappa = 1.0 + take(x.talks["weariness"], rows) * spent
        return _Beliefs(p_hat, tempo, iota, cost, kappa)

    def belief_logit(self, side: str, rows: np.ndarray) -> np.ndarray:
        """The log-odds of side ``side``'s Beta mean of R's weekly win chance in runs ``rows``;
        on every run kept for the rest of the week (the beliefs learn after the talks)."""
        if rows is self.every and side in self._logit:
            return self._logit[side]
        a, b = take(self.belief[side][0], rows), take(self.belief[side][1], rows)
        out = logit(clip(a / (a + b), 1e-9, 1 - 1e-9))
        if rows is self.every:
            self._logit[side] = out
        return out

    def anticipated_shift(self, rows: np.ndarray, p_now: dict, p_exp: dict, high: np.ndarray
                          ) -> np.ndarray:
        """The shift of both sides' log-odds of R's weekly win chance by what they anticipate:
        expected lever effects and third parties' expected engagement (B',). The same for R and
        U, so the last one is kept for the next call with the same arrays (and its part that does
        not depend on R's intensity for the next call with the same runs)."""
        memo = self._shift_memo
        if memo is None or memo[0] is not rows or memo[1] is not p_now or memo[2] is not p_exp:
            eff = {k: take(p_exp[k], rows) / take(p_now[k], rows)
                   for k in ("R.effectiveness", "U.effectiveness")}
            shift = np.log(eff["R.effectiveness"]) - np.log(eff["U.effectiveness"])
            shift = shift + np.log(self.aid(take_last(self.engaged, rows), rows))
            memo = self._shift_memo = [rows, p_now, p_exp, shift, None, None]
        if memo[4] is not high:
            memo[4:] = high, memo[3] - np.log(
                self.aid(self.expected_engagement(rows, high.astype(float)), rows))
        return memo[5]

    def weekly_cost(self, side: str, rows: np.ndarray, p: dict, high: np.ndarray) -> np.ndarray:
        """A week's cost to ``side``: base + casualties (+ R's revenue shortfall, intensity)."""
        base = take(p[f"{side}.cost"], rows) + take(p[f"{side}.casualty_cost"], rows) * \
            take(self.casualties[side], rows)
        if side == "U":
            return base
        short = np.maximum(0.0, 1.0 - self.revenue(rows, p, high) / take(self.revenue0, rows))
        extra = take(p["economy.shortfall_cost"], rows) * short
        return (base + extra) * (1.0 + high * take(self.x.economy["high_cost"], rows))

    def revenue(self, rows: np.ndarray, p: dict, high: np.ndarray) -> np.ndarray:
        """R's war revenue Y_R = output × realised price (less what high intensity consumes)."""
        e = self.x.economy
        return take(p["economy.output"], rows) * take(p["economy.price"], rows) * (
            1.0 - high * take(e["high_revenue"], rows))

    def outlook(self, rows: np.ndarray, b: _Beliefs) -> tuple:
        f = self.x.front
        return self.m.outlook(take(self.k, rows), b, take(f["band"], rows),
                              take(f["step"], rows), take(f["noise"], rows))

    def value(self, s: int, rows: np.ndarray, b: _Beliefs, mask: int | None = None,
              outlook: tuple | None = None, ideal: np.ndarray | None = None,
              losses: Losses | None = None) -> np.ndarray:
        """Side s's (0 = R, 1 = U) value of fighting on in runs ``rows`` (``losses``: this
        side's :meth:`losses` under ``outlook``, when already taken)."""
        actor = self.x.r if s == 0 else self.x.u
        outlook = self.outlook(rows, b) if outlook is None else outlook
        if losses is None:
            losses = self.losses(s, rows, outlook, ideal)
        return _side_value(self.m, actor, rows, losses,
                           take(self.mu[:, 1 - s], rows) if self.has_aims else None, outlook, b,
                           mask)

    def relined(self, s: int, rows: np.ndarray, losses: Losses, outlook: tuple) -> Losses:
        """``losses`` with the freeze line moved to where ``outlook`` expects the front (the
        ends of the war are otherwise the same)."""
        y = self.m.line_terms(outlook[3], rows)
        fixed = take(self.fixed, rows)
        if fixed.any():
            y = np.where(fixed, take(self.fixval, rows), y)
        return (*losses[:3], np.abs(self.ideal(s, rows) - y))

    def losses(self, s: int, rows: np.ndarray, outlook: tuple,
               ideal: np.ndarray | None = None) -> Losses:
        """Side s's distances from the terms at each end of the war (:func:`_side_losses`)."""
        o = 1 - s
        most = take(self.ideal_max[o], rows)
        opp = ((most, take(self.ideal_lim[o], rows), take(self.mu[:, o], rows)) if self.has_aims
               else (most, most, None))
        return _side_losses(self.m, rows, self.ideal(s, rows) if ideal is None else ideal, opp,
                            take(self.fixed, rows), take(self.fixval, rows), outlook[3])

    # -- the weekly steps ----------------------------------------------------------------------

    def run(self) -> CoupledOutcome:
        x = self.x
        for t in range(x.horizon):
            self.week(t)
            if not (self.status == FIGHTING).any() and not (
                    (self.status == AGREEMENT) & (self.hazard > 0)).any():
                self._freeze(t)
                break
        return self.outcome()

    def _run_stacked(self) -> list[CoupledOutcome]:
        """:meth:`run` of V stacked variants: a variant whose runs can change no more freezes
        alone (its outcome is taken then, as its own run would stop), the others go on."""
        x, v = self.x, self.variants
        seg = self.n_runs // v
        done: dict[int, CoupledOutcome] = {}
        for t in range(x.horizon):
            self.week(t)
            live = ((self.status == FIGHTING)
                    | ((self.status == AGREEMENT) & (self.hazard > 0))).reshape(v, seg).any(axis=1)
            for i in np.flatnonzero(~live):
                if i in done:
                    continue
                part = slice(i * seg, (i + 1) * seg)
                for key in ("deal", "partial", "engagement", "revenue"):
                    self.rec[key][t + 1:, part] = self.rec[key][t, part]
                self.rec["front"][t + 2:, part] = self.rec["front"][t + 1, part]
                done[int(i)] = self._outcome_of(part)
            if len(done) == v:
                break
        if len(done) < v:
            out = self.outcome()
            for i in range(v):
                if i not in done:
                    done[i] = CoupledOutcome(**{f.name: getattr(out, f.name)[i * seg:(i + 1) * seg]
                                                for f in fields(CoupledOutcome)})
        return [done[i] for i in range(v)]

    def _outcome_of(self, part: slice) -> CoupledOutcome:
        """A copy of the runs ``part`` of :meth:`outcome` (the state goes on changing)."""
        out = self.outcome()
        return CoupledOutcome(**{f.name: np.array(getattr(out, f.name)[part])
                                 for f in fields(CoupledOutcome)})

    def week(self, t: int) -> None:
        """One week in the fixed order of the module docstring."""
        x = self.x
        self._shift_memo = self._bounds = None
        self._logit: dict[str, np.ndarray] = {}
        self.m.new_week()
        u_collapse = self.g["collapse"].random((3, self.n_runs))
        u_talks = self.g["talks"].random(self.n_runs)
        self.decide_levers(t)
        p_now, p_exp = (self.params_in_force(self.lever_weights(t, expected=e), e)
                        for e in (False, True))
        self.hazard = p_now["breakdown.base"] * np.exp(
            -x.war.params["breakdown.guarantee_effect"] * p_now["guarantees"])
        broke = (self.status == AGREEMENT) & (u_collapse[0] < self.hazard)
        if broke.any():
            self.status[broke] = FIGHTING
            self.breakdowns += broke
            self.terms[broke] = np.nan
        if t % self.o.intensity_every == 0:
            self.choose_intensity(t, p_now, p_exp)
        held = x.cadence[t] | np.zeros(self.n_runs, dtype=bool)
        for mi in np.flatnonzero(x.meeting_week == t):
            held |= u_talks < x.meeting_probability[:, mi]
        rows = np.flatnonzero(held & (self.status == FIGHTING))
        failed = np.zeros(self.n_runs, dtype=bool)
        if rows.size:
            failed[rows] = ~self.talks(t, rows, p_now, p_exp)
        self.rec["held"][t, rows] = True
        self.fight(t, p_now, u_collapse)
        self.third_parties(failed)
        self.record(t, p_now)

    def choose_intensity(self, t: int, p_now: dict, p_exp: dict) -> None:
        """R's monthly choice of ι and mobilisation, each maximising V_R (§7.6)."""
        rows = np.flatnonzero(self.status == FIGHTING)
        if not rows.size:
            return
        scope = self.scope(rows)
        lo, hi = np.zeros(scope.size, bool), np.ones(scope.size, bool)
        b_lo, b_hi = (self.beliefs("R", t, scope, p_now, p_exp, h) for h in (lo, hi))
        o_lo, o_hi = self.outlook(scope, b_lo), self.outlook(scope, b_hi)
        loss = self.losses(0, scope, o_lo)
        v_lo = self.value(0, scope, b_lo, outlook=o_lo, losses=loss)
        v_hi = self.value(0, scope, b_hi, outlook=o_hi, losses=self.relined(0, scope, loss, o_hi))
        choose = v_hi > v_lo if scope is rows else (v_hi > v_lo)[rows]
        if self.has_aims:
            self._learn_aims(0, rows, choose, t, p_now, p_exp)
        self.high[rows] = choose
        e = self.x.economy
        below = self.forces["R"][rows] < e["mobilise_below"][rows] * self.forces0["R"][rows]
        consider = rows[below & (e["mobilise_amount"][rows] > 0)]
        if consider.size:
            high = self.high[consider]
            amount = e["mobilise_amount"][consider]
            v0 = self.value(0, consider, self.beliefs("R", t, consider, p_now, p_exp, high))
            v1 = self.value(0, consider, self.beliefs("R", t, consider, p_now, p_exp, high,
                                                      amount))
            go = v1 - v0 > e["discontent_cost"][consider] * e["mobilise_discontent"][consider]
            g = consider[go]
            self.forces["R"][g] += amount[go]
            self.discontent[g] += e["mobilise_discontent"][g]
            self.mobilised[g] += 1

    def _learn_aims(self, s: int, rows: np.ndarray, observed: np.ndarray, t: int,
                    p_now: dict, p_exp: dict, proposal: np.ndarray | None = None,
                    v_now: np.ndarray | None = None) -> None:
        """Bayes' rule on the opponent's belief that side s is maximal, from an observed choice
        (R's high intensity, or a refusal of ``proposal``) and what each type would choose."""
        x = self.x
        unknown = np.isnan(x.aims["maximal"][rows, s])
        if unknown.all():
            return
        if self.variants > 1 and unknown.any():  # alone, a variant whose runs ``rows`` all lack
            seg = rows // (self.n_runs // self.variants)  # the type learns nothing
            lacking = np.ones(self.variants, dtype=bool)
            np.logical_and.at(lacking, seg, unknown)
            keep = ~lacking[seg]
            if not keep.all():
                rows, observed = rows[keep], observed[keep]
                proposal = None if proposal is None else proposal[keep]
        side = "R" if s == 0 else "U"
        actor = x.r if s == 0 else x.u
        would = {}
        if proposal is None:  # each type's beliefs are the same; its ideal differs
            lo, hi = np.zeros(rows.size, bool), np.ones(rows.size, bool)
            b_lo = self.beliefs(side, t, rows, p_now, p_exp, lo)
            b_hi = self.beliefs(side, t, rows, p_now, p_exp, hi)
            o_lo, o_hi = self.outlook(rows, b_lo), self.outlook(rows, b_hi)
        else:
            b = self.beliefs(side, t, rows, p_now, p_exp, self.high[rows])
            o_b = self.outlook(rows, b)
        for label, ideal in (("max", self.ideal_max[s][rows]), ("lim", self.ideal_lim[s][rows])):
            if proposal is None:
                v_lo = self.value(s, rows, b_lo, outlook=o_lo, ideal=ideal)
                v_hi = self.value(s, rows, b_hi, outlook=o_hi, ideal=ideal)
                would[label] = v_hi > v_lo
            else:
                v = self.value(s, rows, b, outlook=o_b, ideal=ideal)
                would[label] = self.m.utility(actor, ideal, proposal, rows) < v
        eps = np.clip(x.aims["tremble"][rows, s], 1e-6, 0.5)
        like_max = np.where(would["max"] == observed, 1 - eps, eps)
        like_lim = np.where(would["lim"] == observed, 1 - eps, eps)
        mu = self.mu[rows, s]
        self.mu[rows, s] = mu * like_max / (mu * like_max + (1 - mu) * like_lim)

    def scope(self, rows: np.ndarray) -> np.ndarray:
        """Where to compute values for ``rows``: every run while they are most of them (reading
        whole arrays costs less than gathering), else ``rows`` itself."""
        return self.every if 2 * rows.size > self.n_runs else rows

    def red_bounds(self, rows: np.ndarray) -> np.ndarray:
        """Current (softened) red-line bounds, (B', Lr); computed once a week on every run (the
        softening accrues after the talks)."""
        if self._bounds is None:
            x = self.x
            sign = np.where(x.red_above, 1.0, -1.0)
            bound = x.red_bound + sign * self.red_offset.T
            if self.has_aims:  # only a maximal type holds red lines
                side = np.where(x.red_actor == x.r, 0, np.where(x.red_actor == x.u, 1, -1))
                limited = np.where(side >= 0, ~self.maximal[:, np.maximum(side, 0)], False)
                bound = np.where(limited, sign * np.inf, bound)
            self._bounds = bound
        return self.m.gather(("red_bounds",), self._bounds, rows)

    def crossed(self, actor: int, y: np.ndarray, rows: np.ndarray,
                mask: int | None = None) -> np.ndarray:
        """Whether terms y cross one of ``actor``'s red lines (on partial subset ``mask``)."""
        x = self.x
        out = np.zeros(rows.size, dtype=bool)
        mine = np.flatnonzero(x.red_actor == actor)
        if not mine.size:
            return out
        bound = self.red_bounds(rows)
        for li in mine:
            d = x.red_issue[li]
            yd = y[:, d]
            hit = yd > bound[:, li] + 1e-9 if x.red_above[li] else yd < bound[:, li] - 1e-9
            if mask is not None and not x.partial[mask, d]:
                continue
            out |= hit
        return out

    def capabilities(self, rows: np.ndarray, p_now: dict) -> np.ndarray:
        """c_i(t) = c_i⁰ (F_i/F_i⁰)^θF (Y_i/Y_i⁰)^θY (aid)^θA (held ground)^θK; c_j = c_j⁰ a_j
        (§7.2), (B', N, D)."""
        x = self.x
        th = {k: x.talks[k] if (x.talks[k] == 1.0).all() else x.talks[k][rows]  # all 1: `power`
              for k in ("theta_forces", "theta_revenue", "theta_front", "theta_aid")}  # skips it
        factor = np.ones((rows.size, len(x.actors)))
        k, k0 = self.k[rows], self.k0[rows]
        y = self.revenue(rows, p_now, self.high[rows]) / self.revenue0[rows]
        fr = self.forces["R"][rows] / self.forces0["R"][rows]
        fu = self.forces["U"][rows] / self.forces0["U"][rows]
        aid = self.aid(self.engaged[:, rows], rows) / self.aid0[rows]
        factor[:, x.r] = (power(np.maximum(fr, 1e-9), th["theta_forces"])
                          * power(np.maximum(y, 1e-9), th["theta_revenue"])
                          * power(np.maximum(k / k0, 1e-9), th["theta_front"]))
        factor[:, x.u] = (power(np.maximum(fu, 1e-9), th["theta_forces"])
                          * power(aid, th["theta_aid"])
                          * power(np.maximum((1 - k) / (1 - k0), 1e-9), th["theta_front"]))
        if x.parties.size:
            factor[:, x.parties] = self.engaged[:, rows].T
        cap = pick(x.capability, rows)
        for d in range(cap.shape[2]):  # issue by issue: (B', N) steps, not inner loops of D
            cap[:, :, d] *= factor
        return cap

    def forecast(self, rows: np.ndarray, p_now: dict) -> np.ndarray:
        """The talks model's forecast for runs ``rows``, batched (§7.3); dynamic models' moved
        positions persist, clipped so nobody crosses its own (current) red line."""
        from detente.models import get_model

        x = self.x
        pos = pick(self.positions, rows)
        sal = pick(x.salience, rows)
        cap = self.capabilities(rows, p_now)
        if x.model == "smp":  # KTAB's limits: saliences sum to at most 1, capabilities > 0
            sal = sal / np.maximum(row_sum(sal)[..., None], 1.0)
            cap = np.maximum(cap, 1e-6)
        batch = batch_from_arrays(pos, sal, cap, low=x.low, high=x.high,
                                  reference=self.m.line_terms(self.k[rows], rows))
        traj = get_model(x.model).run(batch, x.model_options)
        moved = clip(traj.positions[:, -1], self.lo_full[:rows.size], self.hi_full[:rows.size])
        if x.red_actor.size:
            bound = self.red_bounds(rows)
            for li in range(x.red_actor.size):
                a, d = x.red_actor[li], x.red_issue[li]
                hold = np.minimum if x.red_above[li] else np.maximum
                moved[:, a, d] = hold(moved[:, a, d], bound[:, li])
        self.positions[rows] = moved
        return np.where(pick(self.fixed, rows), pick(self.fixval, rows), traj.forecast)

    def talks(self, t: int, rows: np.ndarray, p_now: dict, p_exp: dict) -> np.ndarray:
        """One talks round in runs ``rows``; returns (B',) whether a whole deal was agreed."""
        y = self.forecast(rows, p_now)
        # while most runs are in the talks, the round is computed on every run (no copies of the
        # state) and its decisions kept in the runs in the talks; once most have ended, on those
        # runs alone
        scope = self.scope(rows)
        if scope is rows:
            return self.round(t, rows, y, p_now, p_exp, None)
        inside = np.zeros(self.n_runs, dtype=bool)
        inside[rows] = True
        y_all = np.zeros_like(self.fixval)
        y_all[rows] = y
        return self.round(t, scope, y_all, p_now, p_exp, inside)[rows]

    def round(self, t: int, rows: np.ndarray, y: np.ndarray, p_now: dict, p_exp: dict,
              inside: np.ndarray | None) -> np.ndarray:
        """The proposal on the forecast y (B', D), the veto players' decisions and the partial
        deals in runs ``rows``, of which only those ``inside`` (every one if None) are in the
        talks (the others are computed and left unchanged); returns (B',) whether a whole deal
        was agreed."""
        x = self.x
        keep = rows if inside is None else np.flatnonzero(inside)  # the runs in the talks
        high = take(self.high, rows)
        beliefs = [self.beliefs(s, t, rows, p_now, p_exp, high) for s in "RU"]
        outlooks = [self.outlook(rows, b) for b in beliefs]
        losses = [self.losses(s, rows, outlooks[s]) for s in (0, 1)]
        values = [self.value(s, rows, beliefs[s], outlook=outlooks[s], losses=losses[s])
                  for s in (0, 1)]
        if x.proposer == "mediator":
            y = self.mediate(rows, y, values)
        elif x.proposer in ("R", "U"):
            y = self.propose(0 if x.proposer == "R" else 1, t, rows, y, p_now, p_exp, values)
        part = slice(None) if inside is None else keep
        self.proposal[keep] = y if inside is None else pick(y, keep)
        offer = {v: np.abs(self.actor_ideal(v, rows) - y) for v in {*x.veto, x.r}}  # |x̂_v − y|
        self.rec["pape"][t, keep] = self.pape(rows, offer[x.r], losses[0][0], outlooks[0],
                                              beliefs[0])[part]
        refused_by = np.full(rows.size, -1)
        reason = np.zeros(rows.size, dtype=np.int8)
        line = self.m.line_terms(take(self.k, rows), rows)
        for v in x.veto:
            red = self.crossed(v, y, rows)
            own = self.own_value(v, rows, values, line)
            low = self.m.utility_of(v, offer[v], rows) < own - TOL
            new = refused_by < 0
            refused_by = np.where(new & (red | low), v, refused_by)
            reason = np.where(new & red, RED_LINE, np.where(new & low & ~red, VALUE, reason))
        self.rec["vetoed_by"][t, keep] = refused_by[part]
        self.rec["reason"][t, keep] = reason[part]
        if self.has_aims:
            for s, actor in ((0, x.r), (1, x.u)):
                self._learn_aims(s, keep, (refused_by == actor)[part], t, p_now, p_exp, y[part])
        deal = refused_by < 0 if inside is None else (refused_by < 0) & inside
        g = rows[deal]
        self.status[g] = AGREEMENT
        self.terms[g] = y[deal]
        self.end_week[g] = t
        self.first[g[self.first[g] < 0]] = t
        failed = ~deal if inside is None else ~deal & inside
        if failed.any() and x.partial.shape[0]:
            if inside is None:
                self.partial_deals(rows[failed], y[failed],
                                   [tuple(o[failed] for o in out) for out in outlooks],
                                   [_Beliefs(*(getattr(b, f)[failed] for f in _BELIEF_FIELDS))
                                    for b in beliefs],
                                   [_rows_of(ls, failed) for ls in losses],
                                   {v: o[failed] for v, o in offer.items()})
            else:
                self.partial_deals(rows, y, outlooks, beliefs, losses, offer, failed, line)
        return deal

    def pape(self, rows: np.ndarray, offer: np.ndarray, win: np.ndarray | None, outlook: tuple,
             b: _Beliefs) -> np.ndarray:
        """Pape's (1996) coercion score for R, R_coerce = B·p(B) − C·p(C) (§5.11 mapping): B = what
        R's aims are worth beyond the terms on the table, u_R(ideal) − u_R(y); p(B) = P_R(win);
        C = its expected remaining cost κ·c·E[weeks]; p(C) = 1. Negative: concession predicted.
        ``offer`` = |x̂_R − y| and ``win`` R's distances from its aims with settled issues kept
        (None: nothing settled, u = 1), both (B', D)."""
        r = self.x.r
        aims = 1.0 if win is None else self.m.utility_of(r, win, rows)
        gain = aims - self.m.utility_of(r, offer, rows)
        return gain * outlook[0] - b.kappa * b.cost * outlook[2]

    def actor_ideal(self, actor: int, rows: np.ndarray) -> np.ndarray:
        if actor == self.x.r:
            return self.ideal(0, rows)
        if actor == self.x.u:
            return self.ideal(1, rows)
        return take(self.x.ideal[:, actor], rows)

    def own_value(self, actor: int, rows: np.ndarray, values: list, line: np.ndarray,
                  mask: int | None = None) -> np.ndarray:
        """A veto player's reservation utility: a belligerent's value of fighting on; another
        veto player's utility of a freeze on the current line."""
        if actor == self.x.r:
            return values[0]
        if actor == self.x.u:
            return values[1]
        return self.m.utility(actor, take(self.x.ideal[:, actor], rows), line, rows, mask)

    def mediate(self, rows: np.ndarray, fallback: np.ndarray, values: list) -> np.ndarray:
        """The midpoint (shifted by the bias) of the terms both belligerents accept on the line
        y(s) = x̂_U + s(x̂_R − x̂_U); the model's forecast when that range is empty."""
        x = self.x
        xr, xu = self.ideal_max[0][rows], self.ideal_max[1][rows]
        fixed, fixval = self.fixed[rows], self.fixval[rows]
        delta = np.where(fixed, 0.0, xr - xu)
        lo, hi = np.full(rows.size, -BIG), np.full(rows.size, BIG)
        for s, actor in ((0, x.r), (1, x.u)):
            ideal = self.ideal(s, rows)
            w = self.m.w[actor][rows]
            fixed_loss = row_sum(w * np.abs(ideal - fixval) * fixed)
            spread = row_sum(w * np.abs(delta))
            at = np.full(rows.size, 1.0 - s)  # where the side's ideal lies on the line
            if self.has_aims:
                conc = np.nan_to_num(x.aims["concession"][rows, s])
                at = np.where(self.maximal[rows, s], at, np.abs(at - conc))
            reach = np.clip((1.0 - fixed_loss - values[s]) / np.maximum(spread, 1e-12), -BIG, BIG)
            lo, hi = np.maximum(lo, at - reach), np.minimum(hi, at + reach)
        for li in range(x.red_actor.size):
            d = x.red_issue[li]
            bound = self.red_bounds(rows)[:, li]
            dd = delta[:, d]
            with np.errstate(divide="ignore", invalid="ignore"):
                s_at = (bound - xu[:, d]) / dd
            upper = x.red_above[li] == (dd > 0)
            lo = np.where((dd != 0) & ~upper, np.maximum(lo, s_at), lo)
            hi = np.where((dd != 0) & upper, np.minimum(hi, s_at), hi)
        bias = x.talks["mediator_bias"][rows]
        lo, hi = np.maximum(lo, -BIG), np.minimum(hi, BIG)
        s_star = np.clip(0.5 * (lo + hi) + bias * 0.5 * (hi - lo), 0.0, 1.0)
        y = np.where(fixed, fixval, xu + s_star[:, None] * (xr - xu))
        return np.where((lo <= hi)[:, None], y, fallback)

    def propose(self, s: int, t: int, rows: np.ndarray, forecast: np.ndarray, p_now: dict,
                p_exp: dict, values: list) -> np.ndarray:
        """R or U as proposer: the best point for itself on the segment from the forecast to its
        own ideal that it expects the other side to accept (its own belief about the battle
        odds; the model's forecast if none)."""
        x = self.x
        me, other = (x.r, x.u) if s == 0 else (x.u, x.r)
        side = "R" if s == 0 else "U"
        guess = self.beliefs(side, t, rows, p_now, p_exp, self.high[rows])
        v_other = self.value(1 - s, rows, guess)
        ideal_me, ideal_other = self.ideal(s, rows), self.actor_ideal(other, rows)
        best, best_u = forecast.copy(), np.full(rows.size, -np.inf)
        for lam in np.linspace(0.0, 1.0, 5):
            y = np.where(self.fixed[rows], self.fixval[rows],
                         forecast + lam * (ideal_me - forecast))
            ok = (self.m.utility(other, ideal_other, y, rows) >= v_other) & ~self.crossed(
                other, y, rows)
            u = np.where(ok, self.m.utility(me, ideal_me, y, rows), -np.inf)
            better = u > best_u
            best = np.where(better[:, None], y, best)
            best_u = np.maximum(u, best_u)
        return best

    def partial_deals(self, rows: np.ndarray, y: np.ndarray, outlooks: list, beliefs: list,
                      losses: list, offer: dict, inside: np.ndarray | None = None,
                      line: np.ndarray | None = None) -> None:
        """Try each issue subset not yet settled: every veto player accepts iff no red line on
        it is crossed and its restricted utility of the terms beats fighting on for them.
        ``losses``: the belligerents' :meth:`losses` in runs ``rows``; ``offer``: each veto
        player's |x̂_v − y|; ``inside`` (B',): the runs that try (every one if None); ``line``
        the freeze terms on the current front in ``rows`` when already taken."""
        x = self.x
        if line is None:
            line = self.m.line_terms(take(self.k, rows), rows)
        for si in range(x.partial.shape[0]):
            mask = np.broadcast_to(x.partial[si], y.shape) & ~take(self.fixed, rows)
            open_ = ~take(self.partial_on[:, si], rows) & (row_sum(mask) > 0)
            if inside is not None:
                open_ &= inside
            mask_index = si
            if not open_.any():
                continue
            ok = open_.copy()
            values = [self.value(s, rows, beliefs[s], mask_index, outlooks[s],
                                 losses=losses[s]) for s in (0, 1)]
            for v in x.veto:
                own = self.own_value(v, rows, values, line, mask_index)
                u = self.m.utility_of(v, offer[v], rows, mask_index)
                ok &= (u >= own - TOL) & ~self.crossed(v, y, rows, mask_index)
            g = rows[ok]
            self.partial_on[g, si] = True
            newly = mask[ok]
            self.fixval[g] = np.where(newly, y[ok], self.fixval[g])
            self.fixed[g] |= newly
            if g.size and si + 1 < x.partial.shape[0]:  # settled issues move the ends' terms
                losses = [self.losses(s, rows, outlooks[s]) for s in (0, 1)]

    def active(self, on: np.ndarray) -> np.ndarray:
        """The runs a weekly step computes for the runs ``on`` (B,) bool: every run (no gather:
        the step keeps the values where ``on`` with np.where, as reading whole arrays costs less
        than gathering most of them) unless fewer than one in GATHER_BELOW are on, then those
        runs alone (gathered, and their values written back there)."""
        n_on = int(np.count_nonzero(on))
        return self.every if GATHER_BELOW * n_on >= self.n_runs else np.flatnonzero(on)

    def fight(self, t: int, p_now: dict, u_collapse: np.ndarray) -> None:
        """A week of war for the runs still fighting (§7.6, §5.4, §5.8), computed on the runs of
        :meth:`active`; the others' state stays as it was (every draw is made for every run)."""
        x, o, p = self.x, self.o, p_now
        u_battle = self.g["battle"].random(self.n_runs)
        eps = self.g["battle"].standard_normal(self.n_runs)
        on_all = self.status == FIGHTING
        for side in "RU":
            self.casualties[side][:] = 0.0
        if not on_all.any():
            return
        fighting = self._fight_loops()
        if fighting is not None:  # the same step on compiled loops (war/coupled_fast.py)
            coupled_fast.fight(self, fighting, t, p, u_battle, eps, u_collapse)
            return
        rows = self.active(on_all)

        def at(values: np.ndarray) -> np.ndarray:
            return take(values, rows)

        on = at(on_all)
        fr, fu = at(self.forces["R"]), at(self.forces["U"])
        eff_u = at(p["U.effectiveness"]) * self.aid(take_last(self.engaged, rows), rows)
        eff_r = at(p["R.effectiveness"])
        if o.battle == "bernoulli":
            prob = eff_r / (eff_r + eff_u)
        else:
            a = eff_r * np.maximum(fr, 1e-9) ** o.csf_exponent
            prob = a / (a + eff_u * np.maximum(fu, 1e-9) ** o.csf_exponent)
        wins = at(u_battle) < prob
        won, lost = wins & on, ~wins & on
        for side in "RU":
            belief = self.belief[side]
            belief[0] = scatter(belief[0], rows, at(belief[0]) + won)
            belief[1] = scatter(belief[1], rows, at(belief[1]) + lost)
        high = at(self.high) & on
        iota = np.where(high, at(x.economy["high_tempo"]), 1.0)
        k = at(self.k)
        if self.m.lattice:
            moved = (np.rint(k * x.war.steps) + np.where(wins, 1.0, -1.0)) / x.war.steps
        else:
            edge = prob - 0.5
            drift = np.where(np.abs(edge) < at(x.front["band"]), 0.0,
                             at(self.m.tempo_now[t]) * iota * edge * at(x.front["step"]))
            move = drift + at(x.front["noise"]) * at(eps)
            for fi in range(x.fort_at.size):
                inside = (k >= x.fort_at[fi]) & (k < x.fort_at[fi] + x.fort_width[fi])
                move = np.where(inside & (move > 0), move * at(x.fort_factor[:, fi]), move)
            moved = k + move
        k = np.where(on, moved, k)
        cr = np.where(on, at(p["U.lethality"]) * fu * iota, 0.0)
        cu = np.where(on, at(p["R.lethality"]) * fr * iota, 0.0)
        fr = np.where(on, np.maximum(fr + at(p["R.recruitment"]) - cr, 0.0), fr)
        fu = np.where(on, np.maximum(fu + at(p["U.recruitment"]) - cu, 0.0), fu)
        self.forces["R"] = scatter(self.forces["R"], rows, fr)
        self.forces["U"] = scatter(self.forces["U"], rows, fu)
        self.casualties["R"] = scatter(self.casualties["R"], rows, cr)
        self.casualties["U"] = scatter(self.casualties["U"], rows, cu)
        cost_r = at(self.cost["R"]) + np.where(on, self.weekly_cost("R", rows, p, high), 0.0)
        cost_u = at(self.cost["U"]) + np.where(on, self.weekly_cost("U", rows, p, high), 0.0)
        self.cost["R"] = scatter(self.cost["R"], rows, cost_r)
        self.cost["U"] = scatter(self.cost["U"], rows, cost_u)
        discontent = at(self.discontent)
        discontent = np.where(on, discontent * at(x.economy["discontent_decay"]), discontent)
        self.discontent = scatter(self.discontent, rows, discontent)
        for li, a in enumerate(x.red_actor):  # red lines soften once their holder's cost is high
            holder = cost_r if a == x.r else cost_u
            self.red_offset[li] = scatter(
                self.red_offset[li], rows, at(self.red_offset[li]) + np.where(
                    on & (holder > at(self.red_threshold[li])), at(self.red_softening[li]), 0.0))
        hazard_r = at(p["R.collapse"]) * np.exp(at(x.economy["collapse_slope"]) * discontent)
        par = x.war.params
        ended = np.full(rows.size, FIGHTING)  # the first end that holds, in this order
        for cond, mode in (
                ((cost_u >= at(par["U.capacity"]))
                 | (fu < FORCE_FLOOR * at(self.forces0["U"])), EXHAUSTED_U),
                ((cost_r >= at(par["R.capacity"]))
                 | (fr < FORCE_FLOOR * at(self.forces0["R"])), EXHAUSTED_R),
                (at(u_collapse[2]) < at(p["U.collapse"]), COLLAPSE_U),
                (at(u_collapse[1]) < hazard_r, COLLAPSE_R),
                (k <= 0.0, VICTORY_U), (k >= 1.0, VICTORY_R)):
            np.copyto(ended, mode, where=cond)
        stop = np.flatnonzero(on & (ended != FIGHTING))
        self.status[rows[stop]] = ended[stop]
        self.end_week[rows[stop]] = t + 1
        self.k = scatter(self.k, rows, clip(k, 0.0, 1.0))
        if not self._k_clipped:  # every run's k clipped once, as when computed on every run
            self.k = clip(self.k, 0.0, 1.0)
            self._k_clipped = True

    def _fight_loops(self) -> coupled_fast.Fighting | None:
        """The compiled week of fighting where it is built and covers these options, its
        constant arrays packed on first use; else None (the numpy step)."""
        if self._fighting is None:
            week = coupled_fast.loops_for(self.o.battle, self.o.csf_exponent,
                                          int(self.x.parties.size))
            self._fighting = False if week is None else coupled_fast.Fighting(self, week)
        return self._fighting or None

    def _party_loops(self) -> coupled_fast.Parties | None:
        """The compiled third parties' step where it is built, as :meth:`_fight_loops`."""
        if self._parties is None:
            week = coupled_fast.party_loops()
            self._parties = False if week is None else coupled_fast.Parties(self, week)
        return self._parties or None

    def third_parties(self, failed: np.ndarray) -> None:
        """Frustration, then retaliation or exit of engaged third parties (§7.5), computed on the
        runs of :meth:`active` for those still fighting (the draws are made for every run)."""
        x = self.x
        j = x.parties.size
        draws = self.g["third_party"].random((2, j, self.n_runs)) if j else None
        self._left = False
        if not j:
            return
        fighting_all = self.status == FIGHTING
        if not fighting_all.any():
            return
        parties = self._party_loops()
        if parties is not None:  # the same step on compiled loops (war/coupled_fast.py)
            coupled_fast.third_parties(self, parties, failed, draws)
            return
        rows = self.active(fighting_all)
        th = {key: take_last(self.th[key], rows) for key in (  # (J, B') each
            "persistence", "frustration_failed", "frustration_escalation", "retaliate_base",
            "retaliate_slope", "exit_base", "exit_slope")}
        fighting = take(fighting_all, rows)
        esc = take(self.high, rows).astype(float)
        old = take_last(self.phi, rows)
        phi = th["persistence"] * old + th["frustration_failed"] * take(failed, rows) \
            + th["frustration_escalation"] * esc
        phi = np.where(fighting, phi, old)
        engaged_now = take_last(self.engaged, rows)
        engaged = fighting & (engaged_now > 0)
        d_ret, d_exit = take_last(draws[0], rows), take_last(draws[1], rows)
        need = np.flatnonzero(engaged)  # a party that is not engaged neither retaliates nor exits
        if 3 * need.size >= 2 * engaged.size:
            retaliate = expit(th["retaliate_base"] + th["retaliate_slope"] * phi) > d_ret
            leave = expit(th["exit_base"] + th["exit_slope"] * phi) > d_exit
        else:  # the (party, run) pairs engaged alone, as flat indices of the (J, B') arrays
            def flat(values: np.ndarray) -> np.ndarray:
                return np.ravel(values)[need]

            # (C order: the gathered (J, B') arrays need not be, so each is read by np.ravel)
            retaliate, leave = np.zeros(engaged.size, bool), np.zeros(engaged.size, bool)
            ph = flat(phi)
            retaliate[need] = expit(flat(th["retaliate_base"]) + flat(th["retaliate_slope"]) * ph) \
                > flat(d_ret)
            leave[need] = expit(flat(th["exit_base"]) + flat(th["exit_slope"]) * ph) > flat(d_exit)
            retaliate, leave = retaliate.reshape(engaged.shape), leave.reshape(engaged.shape)
        gone = engaged & leave
        if rows.size == self.n_runs:
            self.phi = phi
            self.retaliated |= engaged & retaliate
            self.engaged = np.where(gone, 0.0, engaged_now)
        else:
            self.phi[:, rows] = phi
            self.retaliated[:, rows] |= engaged & retaliate
            self.engaged[:, rows] = np.where(gone, 0.0, engaged_now)
        self._left = bool(gone.any())

    def record(self, t: int, p_now: dict) -> None:
        fighting = self.status == FIGHTING
        self.rec["deal"][t] = self.status == AGREEMENT
        self.rec["partial"][t] = self.partial_on
        if t == 0 or self._left:
            self.rec["engagement"][t] = self.engaged.T
        else:  # no party left this week (exits are the only change to the engagements)
            self.rec["engagement"][t] = self.rec["engagement"][t - 1]
        self.rec["front"][t + 1] = self.k
        rows = self.every
        self.rec["revenue"][t] = self.revenue(rows, p_now, self.high & fighting)
        self.rec["intensity"][t] = np.where(fighting, np.where(
            self.high, self.x.economy["high_tempo"], 1.0), 0.0)

    def _freeze(self, t: int) -> None:
        """Nothing can change any more: the remaining weeks repeat week t's state."""
        for key in ("deal", "partial", "engagement", "revenue"):
            self.rec[key][t + 1:] = self.rec[key][t]
        self.rec["front"][t + 2:] = self.rec["front"][t + 1]

    def outcome(self) -> CoupledOutcome:
        x = self.x
        end_mode = np.where(self.status == FIGHTING, HORIZON, self.status)
        end_week = np.where(end_mode == HORIZON, x.horizon, self.end_week)
        partial_terms = np.where(self.fixed, self.fixval, np.nan)
        r = self.rec
        return CoupledOutcome(
            end_mode=end_mode, end_week=end_week, first_deal=self.first,
            breakdowns=self.breakdowns, deal_in_force=r["deal"].T,
            partial_in_force=r["partial"].transpose(1, 0, 2), terms=self.terms,
            partial_terms=partial_terms, proposal=self.proposal, talks_held=r["held"].T,
            vetoed_by=r["vetoed_by"].T, veto_reason=r["reason"].T,
            engagement=r["engagement"].transpose(1, 0, 2),
            retaliated=np.ascontiguousarray(self.retaliated.T),
            front=r["front"].T, revenue_R=r["revenue"].T, intensity=r["intensity"].T,
            cost_R=self.cost["R"], cost_U=self.cost["U"], discontent=self.discontent,
            mobilised=self.mobilised, maximal=self.maximal, aims_belief=self.mu,
            positions=self.positions, pape_R=r["pape"].T)
