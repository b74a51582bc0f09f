"""Stokman's exchange model: vote trading across issues (MODELS.md §4).

Sources: Stokman & Van Oosten (1994), "The exchange of voting positions", in Bueno de Mesquita &
Stokman (eds.), European Community Decision Making; Dijkstra, Van Assen, Stokman & Draaijer
(2018) for the randomised Equal Gain variant. Behaviour is matched to decide-exchange-model
(the only open implementation) on its shipped data; every rule below names the step of
MODELS.md §4.3 it implements, and the places where decide's bookkeeping departs from a literal
reading are options (``duplicate_tie="peer"``), documented where they act.

One round (§4.3): outcomes O_d (capability x salience weighted means) split the actors into
sides on every issue; every pair of actors on opposite sides of both issues of an issue pair is a
candidate exchange in which each actor gives ground on the issue it cares less about (relative
to the partner) and gains on the other, with equal gains; exchanges are realised greedily by gain
and the others recalculated from the realised voting positions; at the end of the round voting
positions give the voting outcome, and each actor that exchanged moves its own position part of
the way toward its vote.

A round is a sequential greedy process, so this kernel is a loop over exchanges (with array
bookkeeping per round) and the batch axis (Monte Carlo draws, repetitions) is a loop of
independent runs, each with its own seeded tie-breaking stream.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, ClassVar, Literal

import numpy as np

from detente.compile import Batch
from detente.models.base import Trajectory, bounded, register

SALIENCE_WEIGHT = 0.4  # §4.3 step 8
FIXED_WEIGHT = 0.1
TIE = 1e-12  # relative: decide's Decimal ties (|ΔG| < 1e-20) are mathematical ties; in floats
# two equal gains reached by different paths differ by round-off, so ties are judged relatively


@dataclass(frozen=True)
class ExchangeOptions:
    """Options of the exchange model.

    rounds: number of rounds (decide's iterations; default 10).
    p: randomisation of gains in [0, 1] (Dijkstra et al. 2018); 0 is Equal Gain.
    repetitions: independent runs per draw (ties are broken at random, so runs differ).
    seed: seed of the tie-breaking (and randomisation) streams.
    duplicate_tie: 'peer' keeps decide's quirk of leaving a second reference to the runner-up in
        the list after a tie is decided for the leader, which can let that exchange be realised
        twice; 'fixed' breaks the tie without it.
    engine: 'compiled' runs each round as compiled loops (the ``fast`` extra, numba; coin flips
        then come from numba's generator, seeded per round), 'python' the reference
        implementation here, 'auto' the compiled one when numba is installed.
    """

    rounds: int = 10
    p: float = 0.0
    repetitions: int = 1
    seed: int = 0
    duplicate_tie: Literal["peer", "fixed"] = "peer"
    engine: Literal["auto", "python", "compiled"] = "auto"

    def check(self) -> None:
        bounded("rounds", self.rounds, 1, 1000)
        bounded("p", self.p, 0.0, 1.0)
        bounded("repetitions", self.repetitions, 1, 100_000)


@dataclass(slots=True)
class Party:
    """One actor's side of an exchange: it supplies (moves) on one issue and demands the other."""

    actor: int
    supply: int
    demand: int
    x: float  # current position on the supply issue (moves within a round)
    start: float  # round-start position on the supply issue
    demand_x: float  # own position on the demand issue
    s_sup: float
    s_dem: float
    c_sup: float
    move: float = 0.0
    y: float = math.nan  # voting position on the supply issue
    moves: list[float] = field(default_factory=list)
    eu: float = 0.0
    eu_max: float | None = None
    nbs0: float = 0.0
    nbs1: float = 0.0

    def move_ok(self, move: float) -> bool:
        """§4.3 step 6: a move must be real, keep the actor on the scale, and not reverse."""
        if abs(move) > 100 or abs(move) <= 1e-10:
            return False
        if not 0 <= self.x + move <= 100:
            return False
        if sum(self.moves) > 100:
            return False
        lo, hi = min(self.moves), max(self.moves)
        return (lo < 0 and hi < 0) or (lo > 0 and hi > 0)


class Round:
    """The positions, weights and outcomes every exchange of one round is computed from."""

    __slots__ = ("c", "cs", "outcome", "s", "total", "weight", "x")

    def __init__(self, x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray) -> None:
        cs = np.where(present, c * s, 0.0)
        xs = np.where(present, x, 0.0)
        self.outcome = (cs * xs).sum(axis=0) / cs.sum(axis=0)  # O_d
        # the per-exchange arithmetic is scalar: plain floats are far faster than numpy scalars
        self.x, self.s, self.c = x.tolist(), s.tolist(), c.tolist()
        self.cs = cs.tolist()
        self.weight = cs.sum(axis=0).tolist()  # W_d
        self.total = (cs * xs).sum(axis=0).tolist()  # Σ c s x per issue

    def shift(self, actor: int, issue: int, move: float) -> float:
        """ΔO on ``issue`` when ``actor`` moves by ``move`` (§4.2)."""
        return abs(move) * self.cs[actor][issue] / self.weight[issue]

    def move_for(self, actor: int, issue: int, delta_outcome: float) -> float:
        """|Δx| that shifts the outcome by ``delta_outcome`` (§4.3 step 4, reversed)."""
        return delta_outcome * self.weight[issue] / self.cs[actor][issue]

    def outcome_with(self, issue: int, updates: dict[int, float], actor: int,
                     position: float) -> float:
        """O on ``issue`` with recorded partner positions and ``actor`` at ``position``."""
        total = self.total[issue]
        cs, x = self.cs, self.x
        for k, v in updates.items():
            if k != actor:
                total += cs[k][issue] * (v - x[k][issue])
        total += cs[actor][issue] * (position - x[actor][issue])
        return total / self.weight[issue]

    def move_to_outcome(self, issue: int, updates: dict[int, float], actor: int, from_x: float,
                        target: float) -> float:
        """Move of ``actor`` (from ``from_x``) that puts the outcome exactly on ``target``."""
        positions = {actor: from_x, **updates}
        total = self.total[issue]
        cs, x = self.cs, self.x
        for k, v in positions.items():
            total += cs[k][issue] * (v - x[k][issue])
        return (target * self.weight[issue] - total) / cs[actor][issue]


class Exchange:
    """A candidate exchange between two actors on an issue pair (§4.3 steps 3-6)."""

    __slots__ = ("gain", "i", "j", "p", "q", "randomised", "rnd", "updates", "valid")

    def __init__(self, rnd: Round, a: int, b: int, p: int, q: int) -> None:
        s = rnd.s
        # step 3: the actor with the larger s_p/s_q demands p and supplies q
        first, second = (b, a) if s[a][p] / s[a][q] < s[b][p] / s[b][q] else (a, b)
        self.rnd, self.p, self.q = rnd, p, q
        self.i = self._party(first, supply=q, demand=p)
        self.j = self._party(second, supply=p, demand=q)
        self.gain = 0.0
        self.valid = True
        self.updates: dict[int, dict[int, float]] = {}
        self.randomised = False

    def _party(self, actor: int, supply: int, demand: int) -> Party:
        r = self.rnd
        return Party(actor, supply, demand, r.x[actor][supply], r.x[actor][supply],
                     r.x[actor][demand], r.s[actor][supply], r.s[actor][demand],
                     r.c[actor][supply])

    def partner(self, party: Party) -> Party:
        return self.j if party is self.i else self.i

    def recorded(self, issue: int) -> dict[int, float]:
        return self.updates.setdefault(issue, {})

    # -- step 4-6 -------------------------------------------------------------------------------

    def calculate(self, rng: np.random.Generator | None, p_random: float) -> None:
        """Equal-gain moves, validity, the outcome cap (and the randomised gain if p > 0)."""
        r, i, j = self.rnd, self.i, self.j
        # first try: j moves all the way to i's position on p
        dp = r.shift(j.actor, j.supply, i.demand_x - j.x)
        dq = dp * (j.s_sup + i.s_dem) / (j.s_dem + i.s_sup)
        i.move = r.move_for(i.actor, i.supply, dq)
        j.move = abs(i.demand_x - j.x)
        if abs(i.move) > abs(j.demand_x - i.x):  # i would overshoot: i moves fully instead
            dq = r.shift(i.actor, i.supply, j.demand_x - i.x)
            dp = dq * (i.s_sup + j.s_dem) / (i.s_dem + j.s_sup)
            i.move = abs(j.demand_x - i.x)
            j.move = r.move_for(j.actor, j.supply, dp)
        if i.x > j.demand_x:
            i.move = -i.move
        if j.x > i.demand_x:
            j.move = -j.move
        i.moves.append(i.move)
        j.moves.append(j.move)
        i.y, j.y = i.x + i.move, j.x + j.move
        self.gain = abs(dq * i.s_sup - dp * i.s_dem)  # = G_j by construction (§4.3 step 5)
        i.eu = j.eu = self.gain
        self.valid = i.move_ok(i.move) and j.move_ok(j.move) and self.gain >= 1e-10
        if not self.valid:
            return
        self._cap(i)
        self._cap(j)
        self.valid = i.move_ok(i.move) and j.move_ok(j.move)
        if p_random > 0 and rng is not None:
            self._randomise(rng, p_random)

    def _cap(self, party: Party) -> None:
        """Outcome cap (§4.3 step 6): the supply move may not carry the outcome past the
        demanding partner's position; if it would, it is shortened to land exactly there and the
        partner's move follows from the equal-gain rate."""
        r, other = self.rnd, self.partner(party)
        updates = self.recorded(party.supply)
        party.nbs0 = r.outcome_with(party.supply, updates, party.actor, party.x)
        party.nbs1 = r.outcome_with(party.supply, updates, party.actor, party.y)
        target = other.demand_x
        if (target - party.nbs0 >= 0 and target - party.nbs1 >= 0) or (
                target - party.nbs0 <= 0 and target - party.nbs1 <= 0):
            return
        delta = abs(r.move_to_outcome(party.supply, updates, party.actor, party.x, target))
        d_own = r.shift(party.actor, party.supply, delta)
        d_other = d_own * (party.s_sup + other.s_dem) / (party.s_dem + other.s_sup)
        other.move = abs(r.move_for(other.actor, other.supply, d_other))
        party.move = delta
        if other.x > party.demand_x:
            other.move = -other.move
        if party.x > other.demand_x:
            party.move = -party.move
        other.moves[-1] = other.move
        party.moves[-1] = party.move
        other.y, party.y = other.x + other.move, party.x + party.move
        self.gain = abs(d_other * other.s_sup - d_own * other.s_dem)
        party.eu = other.eu = self.gain
        self.valid = other.move_ok(other.move) and party.move_ok(party.move)
        party.nbs1 = r.outcome_with(party.supply, updates, party.actor, party.y)

    def _randomise(self, rng: np.random.Generator, p_random: float) -> None:
        """Randomised Equal Gain (§4.4): one party's gain is pushed up or down by p·z."""
        u, v, z = rng.random(3)
        self._maximum_gains()
        a = self.i if u < 0.5 else self.j
        b = self.partner(a)
        r = self.rnd
        if v < 0.5:
            gain_a = self.gain + p_random * z * ((a.eu_max or 0.0) - self.gain)
        else:
            gain_a = self.gain - p_random * z * self.gain
        # a moves fully to b's position on its supply issue; b's move follows from gain_a
        d_a = r.shift(a.actor, a.supply, a.x - b.demand_x)
        d_b = (gain_a + d_a * a.s_sup) / a.s_dem
        move_a = abs(a.x - b.demand_x)
        move_b = r.move_for(b.actor, b.supply, d_b)
        if abs(move_b) > abs(b.x - a.demand_x):  # b cannot move that far: cap b, solve a
            d_b = r.shift(b.actor, b.supply, b.x - a.demand_x)
            d_a = abs((gain_a - d_b * a.s_dem) / a.s_sup)
            move_b = abs(b.x - a.demand_x)
            move_a = r.move_for(a.actor, a.supply, d_a)
        gain_b = abs(d_b * b.s_sup - d_a * b.s_dem)
        a.eu, b.eu = abs(gain_a), gain_b
        a.move = -move_a if a.x > b.demand_x else move_a
        b.move = -move_b if b.x > a.demand_x else move_b
        a.moves[-1], b.moves[-1] = a.move, b.move
        a.y, b.y = a.x + a.move, b.x + b.move
        self.valid = a.move_ok(a.move) and b.move_ok(b.move)
        self.randomised = True
        for party in (a, b):
            updates = self.recorded(party.supply)
            party.nbs0 = self.rnd.outcome_with(party.supply, updates, party.actor, party.x)
            party.nbs1 = self.rnd.outcome_with(party.supply, updates, party.actor, party.y)

    def _maximum_gains(self) -> None:
        """The largest gain each party could get with the other pushed to its limit (§4.4)."""
        r, i, j = self.rnd, self.i, self.j
        di = abs(i.nbs0 - r.outcome_with(i.supply, self.recorded(i.supply), i.actor,
                                         i.y if i.demand_x == i.y else j.demand_x))
        dj = abs(j.nbs0 - r.outcome_with(j.supply, self.recorded(j.supply), j.actor,
                                         j.y if j.demand_x == j.y else i.demand_x))
        loss_i, gain_j = dj * j.s_sup, dj * i.s_dem
        loss_j, gain_i = di * i.s_sup, di * j.s_dem
        if gain_j > gain_i:
            actor, gain, loss = j, gain_i, loss_j
        else:
            actor, gain, loss = i, gain_j, loss_i
        other = self.partner(actor)
        share = actor.s_sup / (actor.s_sup + other.s_dem)
        other.eu_max = share * other.s_dem * (gain / (share * actor.s_sup)) - loss
        actor.eu_max = gain - share * actor.s_sup * (loss / (share * other.s_dem))

    # -- step 7: recalculation after another exchange is realised -------------------------------

    def shares_supply(self, done: Exchange) -> bool:
        """Take over the realised voting positions of an actor on its supply issue (its moves
        accumulate); keeps decide's move history, in which the realised move replaces nothing."""
        hit = False
        for mine in (self.i, self.j):
            for theirs in (done.i, done.j):
                if mine.actor == theirs.actor and mine.supply == theirs.supply:
                    mine.x = theirs.y
                    mine.moves.append(theirs.moves[-1])
                    hit = True
                    break
        if hit:
            self.i.moves.pop()
            self.j.moves.pop()
        return hit

    def record(self, done_party: Party, issue: int) -> None:
        """Record a realised voting position for outcome computations on ``issue``."""
        book = self.recorded(issue)
        if done_party.actor not in book:
            book[done_party.actor] = done_party.y
            return
        seen = book[done_party.actor]
        if done_party.start <= seen:
            book[done_party.actor] = min(seen, done_party.y)
        else:
            book[done_party.actor] = max(seen, done_party.y)

    def recalculate(self, done: Exchange, rng: np.random.Generator | None,
                    p_random: float) -> None:
        again = self.shares_supply(done)
        for realised, other in ((done.j, done.i), (done.i, done.j)):
            demands = [(mine.actor, mine.demand) for mine in (self.i, self.j)]
            if (realised.actor, realised.demand) in demands:
                self.record(other, realised.demand)
                if not again:
                    self.i.moves.pop()
                    self.j.moves.pop()
                    again = True
        if again:
            self.calculate(rng, p_random)


by_gain = attrgetter("gain")


def run_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray, opts:
              ExchangeOptions, rng: np.random.Generator) -> dict[str, Any]:
    """One round on the 0-100 scale: returns voting positions, new positions and exchanges."""
    rnd = Round(x, s, c, present)
    left = x <= rnd.outcome[None, :]  # step 1
    d = x.shape[1]
    trades = present & (c * s > 0)  # a pair without weight cannot trade on that issue (§0.2)
    pool: list[Exchange] = []
    for p, q in itertools.combinations(range(d), 2):  # step 2
        both = trades[:, p] & trades[:, q]
        group = np.where(both, left[:, p] * 1 + left[:, q] * 2, -1)  # 0 A, 1 B, 2 C, 3 D
        for g_i, g_j in ((0, 3), (1, 2)):
            for a in np.flatnonzero(group == g_i):
                for b in np.flatnonzero(group == g_j):
                    e = Exchange(rnd, int(a), int(b), p, q)
                    e.calculate(rng, opts.p)
                    pool.append(e)
    involving: dict[int, set[int]] = {}  # actor -> ids of the exchanges it takes part in
    for e in pool:
        for actor in (e.i.actor, e.j.actor):
            involving.setdefault(actor, set()).add(id(e))
    realised: list[Exchange] = []
    snapshots: list[Realised] = []
    ties = 0
    while pool:
        pool.sort(key=by_gain, reverse=True)  # stable: ties keep their order
        top = pool.pop(0)
        if pool and abs(top.gain - pool[0].gain) <= TIE * max(1.0, top.gain):  # step 7 tie
            ties += 1
            runner_up = pool[0]
            if rng.random() >= 0.5:
                pool.append(top)
                top = pool.pop(0)
            elif opts.duplicate_tie == "peer":
                pool.append(runner_up)
        if not top.valid:
            continue
        # decide may recalculate a realised exchange (through a duplicate reference left by a
        # tie), which changes the object but not the votes already cast: record it now
        snapshots.append(Realised(replace(top.i, moves=[]), replace(top.j, moves=[]), top.gain))
        affected = involving[top.i.actor] | involving[top.j.actor]
        kept = []
        for e in pool:  # in list order, so random draws (p > 0) come in the same order
            if not e.valid:
                continue
            if id(e) in affected:
                e.recalculate(top, rng, opts.p)
                if not e.valid:
                    continue
            kept.append(e)
        pool = kept
        realised.append(top)
    voting = x.copy()
    for e in realised:  # later exchanges carry the accumulated positions
        voting[e.i.actor, e.i.supply] = e.i.y
        voting[e.j.actor, e.j.supply] = e.j.y
    new = voting.copy()
    for e in realised:  # step 8
        for party in (e.i, e.j):
            w = SALIENCE_WEIGHT * (1 - party.s_sup) + FIXED_WEIGHT
            new[party.actor, party.supply] = (1 - w) * party.start + w * party.y
    return {"voting": voting, "new": new, "exchanges": snapshots, "ties": ties}


@dataclass(frozen=True)
class Realised:
    """An exchange as it was when realised."""

    i: Party
    j: Party
    gain: float


def weighted_outcome(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray
                     ) -> np.ndarray:
    cs = np.where(present, c * s, 0.0)
    return (cs * np.where(present, x, 0.0)).sum(axis=-2) / cs.sum(axis=-2)


def use_compiled(opts: ExchangeOptions) -> bool:
    from detente.models import exchange_fast

    if opts.engine == "compiled" and not exchange_fast.AVAILABLE:
        from detente.errors import ModelError

        raise ModelError("engine=compiled needs numba (pip install 'detente[fast]')")
    return opts.engine != "python" and exchange_fast.AVAILABLE


def compiled_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                   opts: ExchangeOptions, seed: int) -> dict[str, Any] | None:
    """A round through the compiled loops; None if a move history overflowed."""
    from detente.models import exchange_fast

    ok, voting, new, rows, ties = exchange_fast.run_round(
        np.ascontiguousarray(x), np.ascontiguousarray(s), np.ascontiguousarray(c),
        np.ascontiguousarray(present), float(opts.p), opts.duplicate_tie == "peer", seed)
    if not ok:
        return None
    realised = []
    for row in rows:
        sides = []
        for base in (0, 7):
            a, sup, dem = (int(row[base]), int(row[base + 1]), int(row[base + 2]))
            sides.append(Party(a, sup, dem, row[base + 3], row[base + 3], x[a, dem], s[a, sup],
                               s[a, dem], c[a, sup], move=row[base + 5], y=row[base + 4],
                               eu=row[base + 6]))
        realised.append(Realised(sides[0], sides[1], float(row[14])))
    return {"voting": voting, "new": new, "exchanges": realised, "ties": int(ties)}


def run_exchange(x0: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                 opts: ExchangeOptions, seed: int) -> dict[str, Any]:
    """One run of ``opts.rounds`` rounds on the 0-100 scale (positions (N, D))."""
    compiled = use_compiled(opts)
    round_seeds = np.random.SeedSequence(seed).generate_state(opts.rounds)
    x = x0.copy()
    positions, voting, exchanges, ties = [x.copy()], [], [], 0
    for r in range(opts.rounds):
        out = compiled_round(x, s, c, present, opts, int(round_seeds[r])) if compiled else None
        if out is None:
            # the same Mersenne Twister stream numba draws from in the compiled round, so both
            # engines give the same numbers for the same seed
            stream = np.random.RandomState(int(round_seeds[r]))
            out = run_round(x, s, c, present, opts, stream)  # type: ignore[arg-type]
        voting.append(out["voting"])
        exchanges.append(out["exchanges"])
        ties += out["ties"]
        x = out["new"]
        positions.append(x.copy())
    return {"positions": np.stack(positions), "voting": np.stack(voting),
            "exchanges": exchanges, "ties": ties}


def exchange_record(e: Realised, low: np.ndarray, span: np.ndarray, actors: tuple[str, ...],
                    issues: tuple[str, ...]) -> dict[str, Any]:
    """A realised exchange as plain data, positions on the issues' own scales."""
    def side(party: Party) -> dict[str, Any]:
        scale = lambda v: float(low[party.supply] + v * span[party.supply] / 100)  # noqa: E731
        return {"actor": actors[party.actor], "supply": issues[party.supply],
                "demand": issues[party.demand], "start": scale(party.x),
                "voting": scale(party.y), "move": float(party.move * span[party.supply] / 100),
                "gain": float(party.eu)}
    return {"gain": float(e.gain), "i": side(e.i), "j": side(e.j)}


def _repetition(job: tuple[Any, ...]) -> dict[str, Any]:
    """One repetition, with its exchanges turned into plain records (picklable)."""
    x, s, c, present, opts, seed, low, span, actors, issues = job
    out = run_exchange(x, s, c, present, opts, seed)
    out["exchanges"] = [[exchange_record(e, low, span, actors, issues) for e in rnd]
                        for rnd in out["exchanges"]]
    return out


def _map(jobs: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Repetitions are independent: spread them over processes when there are several."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2 or len(jobs) < 4 or "fork" not in mp.get_all_start_methods():
        return [_repetition(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        return list(pool.map(_repetition, jobs, chunksize=max(1, len(jobs) // (4 * workers))))


class ExchangeModel:
    name: ClassVar[str] = "exchange"
    summary: ClassVar[str] = "Stokman's exchange model (Equal Gain; randomised with p > 0)"
    Options: ClassVar[type] = ExchangeOptions

    def run(self, batch: Batch, options: ExchangeOptions) -> Trajectory:
        b = batch.draws
        span = batch.high - batch.low
        reps = options.repetitions
        seeds = np.random.SeedSequence(options.seed).generate_state(b * reps)
        jobs = [(100.0 * (batch.position[k] - batch.low) / span,  # decide's 0-100 scale
                 batch.salience[k], batch.capability[k], batch.mask[k], options,
                 int(seeds[k * reps + r]), batch.low, span, batch.actors, batch.issues)
                for k in range(b) for r in range(reps)]
        runs = _map(jobs)
        to_scale = lambda v: batch.low + v * span / 100  # noqa: E731
        positions = to_scale(np.stack([r["positions"] for r in runs]))  # (B*R, T+1, N, D)
        voting = to_scale(np.stack([r["voting"] for r in runs]))  # (B*R, T, N, D)
        mask = np.repeat(batch.mask, reps, axis=0)
        cap = np.repeat(batch.capability, reps, axis=0)
        sal = np.repeat(batch.salience, reps, axis=0)
        voting_outcome = weighted_outcome(voting, sal[:, None], cap[:, None], mask[:, None])
        preference = weighted_outcome(positions, sal[:, None], cap[:, None], mask[:, None])
        records = [r["exchanges"] for r in runs]
        return Trajectory(
            positions=positions,
            forecast=preference[:, -1],
            turns=np.full(b * reps, options.rounds),
            stop_reason=np.full(b * reps, "rounds", dtype=object),
            diagnostics={"voting_positions": voting, "voting_outcome": voting_outcome,
                         "preference_outcome": preference,
                         "exchanges": np.array(records, dtype=object),
                         "ties": np.array([r["ties"] for r in runs]),
                         "repetitions": np.array(reps)},
        )


register(ExchangeModel())
