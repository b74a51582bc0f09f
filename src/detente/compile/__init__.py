"""Scenario -> Batch: the arrays every kernel runs on (MODELS.md §0.3).

This is the only place randomness is drawn. One seeded generator fills a (draws - 1, Q) matrix of
uniforms, one column per uncertain quantity, which inverse CDFs turn into values; draw 0 is always
the point estimate. Because numpy fills the matrix row by row, draw k's values do not depend on
how many draws were asked for, so a 10-draw run is the first 10 draws of a 10,000-draw run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from detente.errors import InputError, problem
from detente.scenario.schema import Quantity, Scenario


@dataclass(frozen=True)
class Batch:
    """Model inputs with a leading batch axis B (draws).

    Shapes: ``capability``, ``position``, ``salience`` and ``mask`` are (B, N, D); ``low`` and
    ``high`` are (D,); ``reference`` is (B, D) with NaN where an issue has no status quo.
    Positions are in issue units, saliences on [0, 1]; masked (absent) entries hold zeros.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    mask: np.ndarray
    low: np.ndarray
    high: np.ndarray
    reference: np.ndarray
    seed: int | None = None
    scenario_sha256: str | None = None
    actor_names: tuple[str, ...] = field(default=())
    issue_names: tuple[str, ...] = field(default=())
    accommodation: np.ndarray | None = None  # (N, N) ideal-adjustment weights, None = identity
    # per issue, the actors in the order the scenario lists their stances (empty: actor order);
    # it changes nothing but the order of sums, which a peer's rounding can depend on
    stance_order: tuple[tuple[int, ...], ...] = ()

    @property
    def draws(self) -> int:
        return int(self.position.shape[0])

    @property
    def shape(self) -> tuple[int, int, int]:
        b, n, d = self.position.shape
        return int(b), int(n), int(d)

    def weights(self) -> np.ndarray:
        """Voting weight w = capability x salience, zero where masked (MODELS.md §0.2)."""
        return np.where(self.mask, self.capability * self.salience, 0.0)

    @property
    def complete(self) -> bool:
        return bool(self.mask.all())

    def repeat(self, times: int) -> Batch:
        """Each draw's row ``times`` times, draw-major (draws x repetitions)."""
        def rep(a: np.ndarray) -> np.ndarray:
            return np.repeat(a, times, axis=0)

        return replace(self, capability=rep(self.capability), position=rep(self.position),
                       salience=rep(self.salience), mask=rep(self.mask),
                       reference=rep(self.reference))

    def take(self, rows: slice) -> Batch:
        """The draws ``rows`` of this batch (the runner's blocks)."""
        return replace(self, capability=self.capability[rows], position=self.position[rows],
                       salience=self.salience[rows], mask=self.mask[rows],
                       reference=self.reference[rows])


SAMPLE_ROWS = 4096  # rows of uniforms drawn at a time: each block is transposed in cache


def sample_quantities(quantities: list[Quantity], draws: int,
                      seed: int | np.random.SeedSequence | None) -> np.ndarray:
    """Values of each quantity for every draw, shape (draws, Q); row 0 holds point estimates.

    The result is column-major (each quantity's draws lie contiguous in memory): every caller
    reads it one quantity at a time, and at 100,000 draws strided columns made this function
    and its callers several times slower.
    """
    return sample_columns(quantities, range(len(quantities)), draws, seed)


def sample_columns(quantities: Sequence[Quantity], columns: Iterable[int], draws: int,
                   seed: int | np.random.SeedSequence | None) -> np.ndarray:
    """``sample_quantities(quantities, draws, seed)[:, columns]``, shape (draws, C), computing
    the inverse CDFs of those columns only.

    One generator fills a (draws - 1, U) matrix of uniforms row by row, one column per uncertain
    quantity, so a column's values depend on every uncertain quantity before and after it: all
    U columns are still drawn, but by blocks of SAMPLE_ROWS rows (the stream continues from one
    block to the next, so the numbers are those of one call), keeping only the columns asked for
    and transposing each block while it is in cache (column-major, like sample_quantities).
    """
    cols = list(columns)
    out = np.empty((len(cols), draws))
    out[:, 0] = [quantities[k].point() for k in cols]
    if draws == 1 or not cols:
        return out.T
    rank = {k: r for r, k in enumerate(k for k, x in enumerate(quantities) if x.uncertain)}
    drawn = [c for c, k in enumerate(cols) if k in rank]
    picks = [rank[cols[c]] for c in drawn]
    every = picks == list(range(len(rank)))
    rng = np.random.default_rng(seed)
    u = np.empty((len(drawn), draws - 1))
    for start in range(0, draws - 1 if drawn else 0, SAMPLE_ROWS):
        block = rng.random((min(SAMPLE_ROWS, draws - 1 - start), len(rank)))
        u[:, start:start + len(block)] = (block if every else block[:, picks]).T
    for c, row in zip(drawn, u, strict=True):
        out[c, 1:] = inverse_cdf(quantities[cols[c]], row)
    certain = [c for c, k in enumerate(cols) if k not in rank]
    out[certain, 1:] = out[certain, :1]
    return out.T


def inverse_cdf(q: Quantity, u: np.ndarray) -> np.ndarray:
    """Map uniforms on (0, 1) to draws of ``q``'s distribution."""
    lo, hi = q.support()
    if q.dist == "uniform":
        return lo + u * (hi - lo)
    if q.dist == "triangular":
        if hi == lo:
            return np.full_like(u, lo)
        return _triangular(u, lo, q.mode, hi)  # type: ignore[arg-type]
    from scipy import special

    if q.dist == "beta":
        return lo + (hi - lo) * special.betaincinv(q.a, q.b, u)
    mean, sd = q.mean, q.sd
    if sd == 0:
        return np.full_like(u, mean)
    plo = special.ndtr((lo - mean) / sd)  # type: ignore[operator]
    phi = special.ndtr((hi - mean) / sd)  # type: ignore[operator]
    x = mean + sd * special.ndtri(plo + u * (phi - plo))  # type: ignore[operator]
    return np.clip(x, lo, hi)  # guards only against round-off at the truncation points


def _triangular(u: np.ndarray, lo: float, mode: float, hi: float) -> np.ndarray:
    """Triangular inverse CDF: lo + sqrt(u (hi - lo)(mode - lo)) below the mode's quantile
    (mode - lo) / (hi - lo), hi - sqrt((1 - u)(hi - lo)(hi - mode)) above; each operation in
    that order, in place (two buffers instead of seven temporaries)."""
    left = np.array(u, dtype=float)
    left *= hi - lo
    left *= mode - lo
    np.sqrt(left, out=left)
    left += lo
    right = np.subtract(1.0, u, out=np.empty_like(left))
    right *= hi - lo
    right *= hi - mode
    np.sqrt(right, out=right)
    np.subtract(hi, right, out=right)
    np.copyto(right, left, where=u < (mode - lo) / (hi - lo))
    return right


def late_levers(scenario: Scenario, levers: Sequence[str], horizon: int | None) -> list[Any]:
    """The located problems of every lever in ``levers`` that starts at or after ``horizon``:
    such a lever would change nothing, so a run that asks for it is refused, not run."""
    if horizon is None:
        return []
    return [problem(f"lever {lv.id!r} starts in week {lv.start}, outside the {horizon}-week "
                    "horizon (it would change nothing): lengthen the horizon or leave the lever "
                    "off", ("horizon",), value=horizon)
            for lv in scenario.levers if lv.id in levers and lv.start >= horizon]


def _stance_quantities(scenario: Scenario) -> tuple[
        list[Quantity], list[tuple[str, int, int]], list[tuple[int, int, int]],
        list[tuple[int, Quantity]]]:
    """The uncertain numbers of the negotiation, in the column order of its draws: per stance
    its position, salience and (own or first-met actor) capability, then the references.
    Returns (quantities, slots (array, actor, issue) per column, shared actor capabilities
    (column, actor, issue), references (issue, quantity))."""
    a_index = {a.id: k for k, a in enumerate(scenario.actors)}
    i_index = {i.id: k for k, i in enumerate(scenario.issues)}
    quantities: list[Quantity] = []
    slots: list[tuple[str, int, int]] = []  # (array, actor, issue)
    # an actor's own capability is one number per draw, shared by every issue it takes part in;
    # only a stance's own capability (decide's per-issue power) is drawn per issue
    actor_column: dict[int, int] = {}
    shared: list[tuple[int, int, int]] = []  # (column, actor, issue)
    for st in scenario.stances:
        i, j = a_index[st.actor], i_index[st.issue]
        for name, qty in (("position", st.position), ("salience", st.salience)):
            quantities.append(qty)
            slots.append((name, i, j))
        if st.capability is not None:
            quantities.append(st.capability)
            slots.append(("capability", i, j))
        else:
            if i not in actor_column:
                actor_column[i] = len(quantities)
                quantities.append(scenario.actors[i].capability)  # type: ignore[arg-type]
                slots.append(("actor-capability", i, -1))
            shared.append((actor_column[i], i, j))
    ref_slots = [(j, iss.reference) for j, iss in enumerate(scenario.issues) if iss.reference]
    quantities += [q for _, q in ref_slots]  # type: ignore[misc]
    return quantities, slots, shared, ref_slots  # type: ignore[return-value]


def _plain_seed(seed: int | np.random.SeedSequence | None) -> int | None:
    """The seed a batch records: an int or None as given, None for a SeedSequence (tested
    without ``np.random`` for the first two, which would import numpy.random: issue 14)."""
    if seed is None or type(seed) is int:
        return seed
    return None if isinstance(seed, np.random.SeedSequence) else seed  # type: ignore[return-value]


def compile_scenario(scenario: Scenario, draws: int = 1,
                     seed: int | np.random.SeedSequence | None = 0) -> Batch:
    """Build the arrays for ``draws`` Monte Carlo draws (draw 0 = point estimates)."""
    if draws < 1:
        raise InputError([problem("draws must be at least 1", ("draws",), value=draws)])
    actors = [a.id for a in scenario.actors]
    issues = [i.id for i in scenario.issues]
    n, d = len(actors), len(issues)
    a_index = {a: k for k, a in enumerate(actors)}
    quantities, slots, shared, ref_slots = _stance_quantities(scenario)
    values = sample_quantities(quantities, draws, seed)
    # filled (N, D, B), each cell's draws contiguous like the columns of ``values``, then laid
    # out (B, N, D) in one pass each
    cells = {name: np.zeros((n, d, draws)) for name in ("position", "salience", "capability")}
    present = np.zeros((n, d), dtype=bool)
    for col, (name, i, j) in enumerate(slots):
        if name == "actor-capability":
            continue
        cells[name][i, j] = values[:, col]
        present[i, j] = True
    for col, i, j in shared:
        cells["capability"][i, j] = values[:, col]
    cells["salience"] /= scenario.salience_scale
    arrays = {name: np.ascontiguousarray(a.transpose(2, 0, 1)) for name, a in cells.items()}
    mask = np.broadcast_to(present, (draws, n, d)).copy()
    reference = np.full((draws, d), np.nan)
    for k, (j, _) in enumerate(ref_slots):
        reference[:, j] = values[:, len(slots) + k]
    accommodation = None
    if scenario.accommodation:
        accommodation = np.zeros((n, n))
        named = {p.actor for p in scenario.accommodation}
        for actor in set(actors) - named:  # actors not named keep ideal = position
            accommodation[a_index[actor], a_index[actor]] = 1.0
        for pair in scenario.accommodation:
            accommodation[a_index[pair.actor], a_index[pair.toward]] += pair.weight
    return Batch(
        actors=tuple(actors),
        issues=tuple(issues),
        accommodation=accommodation,
        capability=arrays["capability"],
        position=arrays["position"],
        salience=arrays["salience"],
        mask=mask,
        low=np.array([i.low for i in scenario.issues]),
        high=np.array([i.high for i in scenario.issues]),
        reference=reference,
        seed=_plain_seed(seed),
        scenario_sha256=scenario.sha256(),
        actor_names=tuple(a.name for a in scenario.actors),
        issue_names=tuple(i.name for i in scenario.issues),
        stance_order=tuple(tuple(i for name, i, j in slots if name == "position" and j == issue)
                           for issue in range(d)),
    )


def stance_positions(scenario: Scenario, actors: Sequence[str], draws: int,
                     seed: int | np.random.SeedSequence | None) -> list[np.ndarray]:
    """Per actor in ``actors``, its (draws, D) positions on the issues, zero where it takes no
    stance: ``compile_scenario(scenario, draws, seed).position[:, a, :]`` with only those
    columns sampled (the §5 war kernel reads no other value of the negotiation)."""
    quantities, slots, _, _ = _stance_quantities(scenario)
    index = {a.id: k for k, a in enumerate(scenario.actors)}
    rows = {index[a]: r for r, a in enumerate(actors)}
    wanted = [(col, rows[i], j) for col, (name, i, j) in enumerate(slots)
              if name == "position" and i in rows]
    values = sample_columns(quantities, [c for c, _, _ in wanted], draws, seed)
    out = [np.zeros((draws, len(scenario.issues))) for _ in actors]
    for v, (_, r, j) in enumerate(wanted):
        out[r][:, j] = values[:, v]
    return out


def batch_from_arrays(
    position: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    *,
    low: np.ndarray | float | None = None,
    high: np.ndarray | float | None = None,
    reference: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> Batch:
    """A Batch straight from arrays (tests, benchmarks, sweeps).

    ``position`` is (B, N, D); ``salience`` broadcasts to it; ``capability`` is (B, N, D) or
    (B, N), the latter shared by every issue. The scale defaults to the positions' range.
    """
    position = np.asarray(position, dtype=float)
    if position.ndim != 3:
        raise ValueError(f"position must be (B, N, D), got shape {position.shape}")
    b, n, d = position.shape
    salience = np.broadcast_to(np.asarray(salience, dtype=float), position.shape)
    capability = np.asarray(capability, dtype=float)
    if capability.ndim == 2:
        capability = capability[..., None]
    capability = np.broadcast_to(capability, position.shape)
    low_a = position.min(axis=(0, 1)) if low is None else np.broadcast_to(low, (d,))
    high_a = position.max(axis=(0, 1)) if high is None else np.broadcast_to(high, (d,))
    ref = np.full((b, d), np.nan) if reference is None else np.broadcast_to(reference, (b, d))
    return Batch(
        actors=tuple(f"A{k}" for k in range(n)),
        issues=tuple(f"D{k}" for k in range(d)),
        capability=capability,
        position=position,
        salience=salience,
        mask=np.ones((b, n, d), bool) if mask is None else np.broadcast_to(mask, (b, n, d)),
        low=np.asarray(low_a, dtype=float),
        high=np.asarray(high_a, dtype=float),
        reference=np.asarray(ref, dtype=float),
    )


# -- the war part ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LeverArrays:
    """One lever, compiled: its schedule and, per draw, the size of each effect."""

    id: str
    start: int
    end: int | None
    effects: tuple[tuple[str, str, np.ndarray], ...]  # (param, "add" | "mul", (B,) value)
    credibility: np.ndarray | None = None  # (B,) for a deadline lever, else None
    every: int | None = None


@dataclass(frozen=True)
class WarInputs:
    """Everything the war kernel needs, one (B,) array per parameter (MODELS.md §5.2).

    ``params`` maps dotted paths (``R.cost``, ``guarantees``) to (B,) arrays; ``levers`` holds
    the levers switched on in this variant; ``terms_low`` / ``terms_high`` (B, D) are U's and R's
    positions, between which a share x of the stakes maps onto issue terms.
    """

    params: dict[str, np.ndarray]
    levers: tuple[LeverArrays, ...]
    horizon: int
    steps: int
    issues: tuple[str, ...]
    terms_low: np.ndarray
    terms_high: np.ndarray
    hypothesis: str
    seed: int | None
    scenario_sha256: str | None

    @property
    def runs(self) -> int:
        return int(next(iter(self.params.values())).shape[0])

    def take(self, rows: slice) -> WarInputs:
        """The runs ``rows`` of these inputs (the runner's blocks)."""
        levers = tuple(replace(lv, effects=tuple((p, op, v[rows]) for p, op, v in lv.effects),
                               credibility=None if lv.credibility is None
                               else lv.credibility[rows]) for lv in self.levers)
        return replace(self, params={k: v[rows] for k, v in self.params.items()}, levers=levers,
                       terms_low=self.terms_low[rows], terms_high=self.terms_high[rows])


def compile_war(scenario: Scenario, hypothesis: str | None = None,
                levers: tuple[str, ...] | list[str] = (), runs: int = 1000,
                seed: Any = 0, strength: dict[str, float] | None = None) -> WarInputs:
    """Draw the war parameters of ``runs`` runs under ``hypothesis`` with ``levers`` on.

    Every war parameter and every lever effect of the scenario is sampled, whichever levers are
    switched on and whichever hypothesis holds, always in the same column order: so a run's
    draws are the same in every variant, and lever comparisons use common random numbers.
    A hypothesis replaces parameter values (same uniforms, other distribution) and scales
    lever effects; ``strength`` scales them further (a user's what-if, 1 = as written).
    """
    from detente.scenario.war import parameter_quantities
    from detente.seeds import key_code

    war = scenario.war
    if war is None:
        raise InputError([problem("this scenario has no `war` section", ("war",))])
    if runs < 1:
        raise InputError([problem("runs must be at least 1", ("runs",), value=runs)])
    hyp = None
    if hypothesis not in (None, "baseline"):
        names = [h.id for h in scenario.hypotheses]
        if hypothesis not in names:
            raise InputError([problem(f"unknown hypothesis (defined: baseline, {', '.join(names)})",
                                      ("hypothesis",), value=hypothesis)])
        hyp = scenario.hypotheses[names.index(hypothesis)]
    lever_ids = [lv.id for lv in scenario.levers]
    for lid in levers:
        if lid not in lever_ids:
            raise InputError([problem(f"unknown lever (defined: {', '.join(lever_ids) or 'none'})",
                                      ("lever",), value=lid)])
    base = {k: v for k, v in parameter_quantities(war).items() if v is not None}
    if hyp is not None:
        base.update(hyp.parameters)
    slots: list[tuple[str, ...]] = [("param", k) for k in sorted(base)]
    quantities = [base[k] for k in sorted(base)]
    for lv in scenario.levers:
        for j, eff in enumerate(lv.effects):
            slots.append(("effect", lv.id, str(j)))
            quantities.append(eff.add if eff.add is not None else eff.mul)  # type: ignore[arg-type]
        if lv.deadline is not None:
            slots.append(("credibility", lv.id))
            quantities.append(lv.deadline.credibility)
    # one named stream each for the war parameters, uncertain lever scales and the issues'
    # positions, from the experiment's one seed (``seed``: an int or the runner's Streams)
    from detente.seeds import Streams

    streams = seed if isinstance(seed, Streams) else Streams.from_seed(seed)
    values = sample_quantities(quantities, runs, streams.sequence("war.parameters"))
    column = {slot: values[:, k] for k, slot in enumerate(slots)}
    params = {k: column[("param", k)] for k in base}
    for side in ("R", "U"):
        params.setdefault(f"{side}.capacity", np.full(runs, np.inf))
    scale = {lid: (q.point() if not q.uncertain else None) for lid, q in
             (hyp.lever_scale.items() if hyp else [])}
    compiled = []
    for lv in scenario.levers:
        if lv.id not in levers:
            continue
        factor = scale.get(lv.id, 1.0)
        if factor is None:  # an uncertain scale: sample it with the lever's own stream
            factor = sample_quantities([hyp.lever_scale[lv.id]], runs,  # type: ignore[union-attr]
                                       streams.sequence("war.lever_scale", key_code(lv.id)))[:, 0]
        factor = factor * (strength or {}).get(lv.id, 1.0)
        effects = []
        for j, eff in enumerate(lv.effects):
            size = column[("effect", lv.id, str(j))]
            if eff.add is not None:
                effects.append((eff.param, "add", size * factor))
            else:  # scale the change, not the multiplier: mul 0.8 at half strength is 0.9
                effects.append((eff.param, "mul", 1.0 + (size - 1.0) * factor))
        cred = column.get(("credibility", lv.id))
        compiled.append(LeverArrays(lv.id, lv.start, lv.end, tuple(effects), cred,
                                    lv.deadline.every if lv.deadline else None))
    # the terms are U's and R's positions as the negotiation draws them (same stream)
    low, high = stance_positions(scenario, (war.U, war.R), runs, streams.sequence("sampling"))
    return WarInputs(
        params=params,
        levers=tuple(compiled),
        horizon=war.horizon,
        steps=war.front.steps,
        issues=tuple(i.id for i in scenario.issues),
        terms_low=low,
        terms_high=high,
        hypothesis=hypothesis or "baseline",
        seed=streams.entropy,
        scenario_sha256=scenario.sha256(),
    )


WAR_DEFAULTS: dict[str, float] = {
    "R.effectiveness": 1.0, "U.effectiveness": 1.0, "R.recruitment": 0.0, "U.recruitment": 0.0,
    "R.lethality": 0.0, "U.lethality": 0.0, "R.casualty_cost": 0.0, "U.casualty_cost": 0.0,
    "R.collapse": 0.0, "U.collapse": 0.0, "R.capacity": np.inf, "U.capacity": np.inf,
    "guarantees": 0.0, "guarantee_value": 0.0, "breakdown.base": 0.0,
    "breakdown.guarantee_effect": 0.0, "deadline_belief.a": 1.0, "deadline_belief.b": 1.0,
    "R.forces": 100.0, "U.forces": 100.0,
}


def war_inputs_from_values(values: dict[str, float | np.ndarray], runs: int, steps: int,
                           horizon: int, levers: tuple[LeverArrays, ...] = ()) -> WarInputs:
    """WarInputs straight from numbers (tests, benchmarks, theory checks): unnamed parameters
    take neutral defaults; ``R.cost``, ``U.cost``, ``front.start`` and the four belief counts
    must be given."""
    merged = {**WAR_DEFAULTS, **values}
    params = {k: np.broadcast_to(np.asarray(v, dtype=float), (runs,)).copy()
              for k, v in merged.items()}
    return WarInputs(params=params, levers=levers, horizon=horizon, steps=steps, issues=("x",),
                     terms_low=np.zeros((runs, 1)), terms_high=np.ones((runs, 1)),
                     hypothesis="baseline", seed=None, scenario_sha256=None)
