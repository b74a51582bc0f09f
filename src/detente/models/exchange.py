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

Engines: binary floating point (a Python reference and compiled loops that give the same
numbers) and 28-digit decimals (``engine="decimal"``), which reproduce decide-exchange-model's
arithmetic exactly, rounding included, and with it the frequencies of its paths.

A round is a sequential greedy process, so this kernel is a loop over exchanges (with array
bookkeeping per round) and the batch axis (Monte Carlo draws, repetitions) is a loop of
independent runs, each with its own seeded tie-breaking stream.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any, ClassVar

import numpy as np

from detente.collector import paused
from detente.compile import Batch
from detente.models.base import Trajectory
from detente.options import ExchangeOptions
from detente.seeds import Streams

SALIENCE_WEIGHT = 0.4  # §4.3 step 8
FIXED_WEIGHT = 0.1
TIE_DECIMAL = Decimal("1e-20")  # decide's absolute tie threshold on 28-digit gains
DECIMAL_SALIENCE_WEIGHT = Decimal(SALIENCE_WEIGHT)  # decide builds them from the floats
DECIMAL_FIXED_WEIGHT = Decimal(FIXED_WEIGHT)
CROSSING_MARGIN = Decimal("1e-12")  # see DecimalRound.crosses
MOVE_LIMIT = Decimal(10) ** 6
MAX_FILTERED_ACTORS = 10_000
TIE = 1e-12  # relative: decide's Decimal ties (|ΔG| < 1e-20) are mathematical ties; in floats
# two equal gains reached by different paths differ by round-off, so ties are judged relatively


Number = float | Decimal
NO_UPDATES: dict[int, Any] = {}  # an exchange without recorded positions on an issue


@dataclass(slots=True)
class Party:
    """One actor's side of an exchange: it supplies (moves) on one issue and demands the other.
    Numbers are floats, or decimals in the decimal engine."""

    actor: int
    supply: int
    demand: int
    x: Number  # current position on the supply issue (moves within a round)
    start: Number  # round-start position on the supply issue
    demand_x: Number  # own position on the demand issue
    s_sup: Number
    s_dem: Number
    c_sup: Number
    rate: Any = None  # converts this party's outcome shift into the partner's (§4.3 step 4)
    move: Number = 0.0
    d_outcome: Number = 0.0  # ΔO of the move on the supply issue, as computed (§4.2)
    y: Number = math.nan  # voting position on the supply issue
    moves: list[Number] = field(default_factory=list)
    eu: Number = 0.0
    eu_max: Number | None = None
    # the limits in the round's number type (comparing a decimal with an int converts it)
    tiny: ClassVar[Number] = 1e-10  # smallest real move
    zero: ClassVar[Number] = 0.0
    hundred: ClassVar[Number] = 100.0

    def cast(self) -> Party:
        """A copy without the move history: the party's side as it voted."""
        return type(self)(self.actor, self.supply, self.demand, self.x, self.start,
                          self.demand_x, self.s_sup, self.s_dem, self.c_sup, self.rate,
                          self.move, self.d_outcome, self.y, [], self.eu, self.eu_max)

    def move_ok(self) -> bool:
        """§4.3 step 6: the party's move (the last of its history; its vote y = x + move)
        must be real, keep the actor on the scale, and not reverse."""
        size = abs(self.move)
        hundred, zero = self.hundred, self.zero
        if size > hundred or size <= self.tiny:
            return False
        if not zero <= self.y <= hundred:
            return False
        moves = self.moves
        if len(moves) == 1:  # the checks below hold for one real move
            return True
        if sum(moves, zero) > hundred:
            return False
        lo, hi = min(moves), max(moves)
        return (lo < zero and hi < zero) or (lo > zero and hi > zero)


class DecimalParty(Party):
    """A party of the decimal engine."""

    __slots__ = ()
    tiny = Decimal.from_float(1e-10)  # exact: compares as decide's Decimal-with-float test
    zero = Decimal(0)
    hundred = Decimal(100)


class Round:
    """The positions, weights and outcomes every exchange of one round is computed from, and
    the arithmetic of the exchange formulas (binary floating point, fastest order)."""

    __slots__ = ("c", "cs", "outcome", "s", "total", "weight", "x")
    zero, tiny, party = Party.zero, Party.tiny, Party

    def __init__(self, x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray) -> None:
        cs = np.where(present, c * s, 0.0)
        xs = np.where(present, x, 0.0)
        self.outcome = ((cs * xs).sum(axis=0) / cs.sum(axis=0)).tolist()  # O_d
        # the per-exchange arithmetic is scalar: plain floats are far faster than numpy scalars
        self.x, self.s, self.c = x.tolist(), s.tolist(), c.tolist()
        self.cs = cs.tolist()
        self.weight = cs.sum(axis=0).tolist()  # W_d
        self.total = (cs * xs).sum(axis=0).tolist()  # Σ c s x per issue

    @staticmethod
    def num(value: float) -> Any:
        return value

    @staticmethod
    def tied(a: Any, b: Any) -> bool:
        """Equal gains: judged relatively, as two gains equal in exact arithmetic but reached by
        different paths differ by round-off in floats."""
        return abs(a - b) <= TIE * max(1.0, a)

    @staticmethod
    def rate(num: Any, den: Any) -> Any:
        """The equal-gain exchange rate (s_own,sup + s_other,dem) / (s_own,dem + s_other,sup)
        of §4.3 step 4, kept as its two sums (the float engines multiply before dividing)."""
        return num, den

    @staticmethod
    def transfer(ratio: Any, rate: Any) -> Any:
        """The partner's outcome shift from one's own (§4.3 step 4): ratio · num / den."""
        return ratio * rate[0] / rate[1]

    @staticmethod
    def next_position(salience: Any, start: Any, vote: Any) -> Any:
        """§4.3 step 8: x + w (y - x), w = 0.4 (1 - s) + 0.1."""
        w = SALIENCE_WEIGHT * (1 - salience) + FIXED_WEIGHT
        return (1 - w) * start + w * vote

    def equal_gain_moves(self, i: Party, j: Party) -> tuple[Any, Any, Any, Any]:
        """§4.3 step 4: (ΔO_p, ΔO_q, |Δx_i|, |Δx_j|) for i supplying q and j supplying p.
        First try: j moves all the way to i's position on p; if i would then overshoot j's
        position on q, i moves all the way instead."""
        j_full = i.demand_x - j.x
        dp = self.shift(j.actor, j.supply, j_full)
        dq = self.transfer(dp, j.rate)
        i_move = self.move_for(i.actor, i.supply, dq)
        j_move = abs(j_full)
        i_full = abs(j.demand_x - i.x)
        if abs(i_move) > i_full:  # i would overshoot: i moves fully instead
            dq = self.shift(i.actor, i.supply, i_full)
            dp = self.transfer(dq, i.rate)
            i_move = i_full
            j_move = self.move_for(j.actor, j.supply, dp)
        return dp, dq, i_move, j_move

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

    def crosses(self, party: Party, updates: dict[int, Any], target: Any) -> bool:
        """Does the party's move (from x to its vote y on its supply issue) carry the outcome
        (with the recorded positions) across ``target``? On it counts as on either side (§4.3
        step 6)."""
        issue, actor = party.supply, party.actor
        before = target - self.outcome_with(issue, updates, actor, party.x)
        after = target - self.outcome_with(issue, updates, actor, party.y)
        return not ((before >= 0 and after >= 0) or (before <= 0 and after <= 0))

    def move_to_outcome(self, issue: int, updates: dict[int, float], actor: int, from_x: float,
                        target: float) -> float:
        """Move of ``actor`` (from ``from_x``) that puts the outcome exactly on ``target``."""
        positions = {actor: from_x, **updates}
        total = self.total[issue]
        cs, x = self.cs, self.x
        for k, v in positions.items():
            total += cs[k][issue] * (v - x[k][issue])
        return (target * self.weight[issue] - total) / cs[actor][issue]


class DecimalRound:
    """The arithmetic of ``Round`` in 28-digit decimal arithmetic, every formula in the order of
    operations decide-exchange-model uses (Python ``decimal``, default context).

    Exact ties between two exchanges' gains and an outcome landing exactly on a partner's
    position happen often (a capped move puts the outcome on that position by construction).
    Which way such a case goes then depends on the last digit of a rounded result, so only the
    same arithmetic in the same order reproduces the peer's choices, and with them the
    frequencies of its paths (MODELS.md §4.6). Sums over actors run in ``order`` (per issue,
    the order in which the scenario lists the stances: decide sums in the order of its ``#D``
    rows).
    """

    __slots__ = ("c", "cs", "denominator", "memo", "outcome", "prefix", "s", "slot",
                 "sums_small", "terms", "x")
    zero, tiny, party = DecimalParty.zero, DecimalParty.tiny, DecimalParty

    def __init__(self, x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                 order: tuple[tuple[int, ...], ...] = ()) -> None:
        n, d_n = x.shape
        self.x = [[Decimal(v) for v in row] for row in x.tolist()]
        self.s = [[as_written(v) for v in row] for row in s.tolist()]
        self.c = [[as_written(v) for v in row] for row in c.tolist()]
        self.cs = [[cv * sv for cv, sv in zip(c_row, s_row, strict=True)]
                   for c_row, s_row in zip(self.c, self.s, strict=True)]  # decide's c · s
        actors = [[k for k in (order[d] if order else range(n)) if present[k, d]]
                  for d in range(d_n)]
        # x s c of every actor on an issue, in summation order; a sum with some positions
        # replaced recomputes only their terms (the same numbers, added in the same order)
        self.slot = [{k: at for at, k in enumerate(ks)} for ks in actors]
        self.terms = [[self.x[k][d] * self.s[k][d] * self.c[k][d] for k in ks]
                      for d, ks in enumerate(actors)]
        # prefix[d][m] = 0 + t_0 + ... + t_{m-1}, added left to right as ``sum`` adds: a sum
        # whose first replaced term is at slot m starts from it and gives the same number
        self.prefix = [list(itertools.accumulate(ts, initial=Decimal(0))) for ts in self.terms]
        self.denominator = [sum((self.s[k][d] * self.c[k][d] for k in ks), Decimal(0))
                            for d, ks in enumerate(actors)]
        self.memo: dict[tuple[Any, ...], Decimal] = {}
        self.outcome = [self.prefix[d][-1] / w if w else self.zero
                        for d, w in enumerate(self.denominator)]
        self.sums_small = n <= MAX_FILTERED_ACTORS  # the round-off bound of ``crosses`` holds

    @staticmethod
    def num(value: float) -> Decimal:
        return Decimal(value)

    @staticmethod
    def tied(a: Decimal, b: Decimal) -> bool:
        return bool(abs(a - b) < TIE_DECIMAL)

    @staticmethod
    def rate(num: Decimal, den: Decimal) -> Decimal:
        return num / den  # decide divides first: (num / den) · ratio

    @staticmethod
    def transfer(ratio: Decimal, rate: Decimal) -> Decimal:
        return rate * ratio

    @staticmethod
    def next_position(salience: Decimal, start: Decimal, vote: Decimal) -> Decimal:
        toward = (1 - salience) * DECIMAL_SALIENCE_WEIGHT
        return (toward * vote + DECIMAL_FIXED_WEIGHT * vote
                + (1 - toward - DECIMAL_FIXED_WEIGHT) * start)

    def shift(self, actor: int, issue: int, move: Decimal) -> Decimal:
        return abs(move) * self.s[actor][issue] * self.c[actor][issue] / self.denominator[issue]

    def move_for(self, actor: int, issue: int, delta_outcome: Decimal) -> Decimal:
        return delta_outcome * self.denominator[issue] / self.cs[actor][issue]

    def equal_gain_moves(self, i: Party, j: Party) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """``Round.equal_gain_moves`` with ``shift``, ``transfer`` and ``move_for`` written
        out (the hottest lines of the engine; the same operations in the same order)."""
        p, q, a_i, a_j = j.supply, i.supply, i.actor, j.actor
        s_i, c_i, s_j, c_j, den = self.s[a_i], self.c[a_i], self.s[a_j], self.c[a_j], \
            self.denominator
        j_move = abs(i.demand_x - j.x)
        dp = j_move * s_j[p] * c_j[p] / den[p]
        dq = j.rate * dp
        i_move = dq * den[q] / self.cs[a_i][q]
        i_full = abs(j.demand_x - i.x)
        if i_move > i_full:  # i would overshoot: i moves fully instead (moves are >= 0)
            dq = i_full * s_i[q] * c_i[q] / den[q]
            dp = i.rate * dq
            i_move = i_full
            j_move = dp * den[p] / self.cs[a_j][p]
        return dp, dq, i_move, j_move

    def _weighted_sum(self, issue: int, positions: dict[int, Decimal]) -> Decimal:
        """Σ x s c on ``issue`` with ``positions`` replacing some actors' positions, added in
        summation order (the terms before the first replaced one come from ``prefix``)."""
        slot = self.slot[issue]
        s, c = self.s, self.c
        replaced = {slot[k]: v * s[k][issue] * c[k][issue] for k, v in positions.items()
                    if k in slot}
        if not replaced:
            return self.prefix[issue][-1]
        first = min(replaced)
        tail = self.terms[issue][first:]
        for at, term in replaced.items():
            tail[at - first] = term
        return sum(tail, self.prefix[issue][first])  # prefix + t_first + ..., left to right

    def outcome_with(self, issue: int, updates: dict[int, Decimal], actor: int,
                     position: Decimal) -> Decimal:
        if not updates and position == self.x[actor][issue]:
            return self.outcome[issue]  # the same terms, so the same sum
        if self.denominator[issue] == 0:
            return self.zero
        # the key names the positions: the recorded ones, then the actor's (which wins)
        key = (issue, actor, position, *updates.items())
        seen = self.memo.get(key)
        if seen is None:  # the same outcome is asked for again and again within a round
            positions = {**updates, actor: position}
            seen = self.memo[key] = self._weighted_sum(issue, positions) / self.denominator[issue]
        return seen

    def crosses(self, party: Party, updates: dict[int, Decimal], target: Decimal) -> bool:
        """``Round.crosses`` with the outcome after the move taken as the outcome before it
        plus the move's shift ``d_outcome`` (§4.2, computed with the move) wherever that lands
        more than ``CROSSING_MARGIN`` from ``target``. The two differ only by the round-off of
        the 28-digit sums and of the shift, at most (N + 4)·5e-28·V (N actors, V the largest
        position or move, here under 10^6), some ten orders of magnitude below the margin;
        within it the sum is computed."""
        issue, actor, from_x = party.supply, party.actor, party.x
        if not updates and from_x == self.x[actor][issue]:
            before = target - self.outcome[issue]
        else:  # the memo of ``outcome_with``, looked up here first (most answers come from it)
            seen = self.memo.get((issue, actor, from_x, *updates.items()))
            before = target - (self.outcome_with(issue, updates, actor, from_x) if seen is None
                               else seen)
        if not before:
            return False  # on the target: no crossing whatever the move
        zero, move = self.zero, party.move
        if self.sums_small and abs(move) < MOVE_LIMIT:
            d_outcome = party.d_outcome
            after = before - d_outcome if move > zero else before + d_outcome
            if abs(after) > CROSSING_MARGIN:
                return (before > zero) != (after > zero)
        after = target - self.outcome_with(issue, updates, actor, party.y)
        return (before > zero and after < zero) or (before < zero and after > zero)

    def move_to_outcome(self, issue: int, updates: dict[int, Decimal], actor: int,
                        from_x: Decimal, target: Decimal) -> Decimal:
        total = self._weighted_sum(issue, {actor: from_x, **updates})
        return ((target * self.denominator[issue] - total)
                / (self.s[actor][issue] * self.c[actor][issue]))


class Exchange:
    """A candidate exchange between two actors on an issue pair (§4.3 steps 3-6)."""

    __slots__ = ("crossed", "gain", "i", "j", "p", "q", "randomised", "realised", "rnd",
                 "uncapped", "updates", "valid")
    reuses_crossings: ClassVar[bool] = True  # see ``_settle``

    def __init__(self, rnd: Round, a: int, b: int, p: int, q: int,
                 pairs: dict[tuple[int, ...], tuple[Any, ...]] | None = None) -> None:
        """``pairs``: the roles and rates of the pairs seen in earlier rounds (they depend on
        saliences only, which do not change)."""
        s = rnd.s
        known = None if pairs is None else pairs.get((a, b, p, q))
        if known is None:
            # step 3: the actor with the larger s_p/s_q demands p and supplies q
            first, second = (b, a) if s[a][p] / s[a][q] < s[b][p] / s[b][q] else (a, b)
            s_i, s_j = s[first], s[second]
            i_rate = rnd.rate(s_i[q] + s_j[q], s_i[p] + s_j[p])  # i's shift on q -> j's on p
            j_rate = rnd.rate(s_j[p] + s_i[p], s_j[q] + s_i[q])
            if pairs is not None:
                pairs[a, b, p, q] = (first, second, i_rate, j_rate)
        else:
            first, second, i_rate, j_rate = known
            s_i, s_j = s[first], s[second]
        self.rnd, self.p, self.q = rnd, p, q
        make, x, c = rnd.party, rnd.x, rnd.c
        x_i, x_j = x[first], x[second]
        self.i = i = make(first, q, p, x_i[q], x_i[q], x_i[p], s_i[q], s_i[p], c[first][q])
        self.j = j = make(second, p, q, x_j[p], x_j[p], x_j[q], s_j[p], s_j[q], c[second][p])
        i.rate, j.rate = i_rate, j_rate
        self.gain = 0.0
        self.valid = True
        self.realised = False  # realised exchanges keep full state (their votes are cast)
        self.updates: dict[int, dict[int, float]] = {}
        self.randomised = False

    def partner(self, party: Party) -> Party:
        return self.j if party is self.i else self.i

    def recorded(self, issue: int) -> dict[int, float]:
        return self.updates.setdefault(issue, {})

    # -- step 4-6 -------------------------------------------------------------------------------

    def calculate(self, rng: np.random.Generator | None, p_random: float) -> None:
        """Equal-gain moves, validity, the outcome cap (and the randomised gain if p > 0)."""
        r, i, j = self.rnd, self.i, self.j
        ix, jx, i_wants, j_wants = i.x, j.x, i.demand_x, j.demand_x
        i_moves, j_moves = i.moves, j.moves
        if ((i_moves or j_moves) and not self.realised and not (p_random > 0 and rng is not None)
                and (reverses(i_moves, ix > j_wants, r.zero)
                     or reverses(j_moves, jx > i_wants, r.zero))):
            # a move against an earlier one is invalid whatever its size (step 6): an exchange
            # that drops out here is never read again (no random draw is skipped either)
            self.valid = False
            return
        dp, dq, i_move, j_move = r.equal_gain_moves(i, j)
        if ix > j_wants:
            i_move = -i_move
        if jx > i_wants:
            j_move = -j_move
        i.move, j.move = i_move, j_move
        i.d_outcome, j.d_outcome = dq, dp
        i_moves.append(i_move)
        j_moves.append(j_move)
        i.y, j.y = iy, jy = ix + i_move, jx + j_move
        self.gain = gain = abs(dq * i.s_sup - dp * i.s_dem)  # = G_j by construction (step 5)
        i.eu = j.eu = gain
        self.valid = gain >= r.tiny and i.move_ok() and j.move_ok()
        if not self.valid:
            return
        self.uncapped = (i_move, j_move, dp, dq, iy, jy, gain)
        self._settle(rng, p_random)

    def _settle(self, rng: np.random.Generator | None, p_random: float,
                recorded: tuple[int, ...] | None = None) -> None:
        """The outcome caps (step 6) and the randomised gain (§4.4) on valid equal-gain moves:
        i's cap is tried first and j's after it, on the moves i's cap left.

        ``recorded``: after ``_recap``, the issues on which recorded positions changed since
        the last settling of the same equal-gain moves. A crossing test reads the moves, the
        party's supply issue and its recorded positions only, so a test whose inputs did not
        change keeps its answer: i's if its supply issue is not among them, and j's if its
        issue is not and it tests the same moves (i's cap, unchanged or not applied)."""
        i, j = self.i, self.j
        crosses, updates = self.rnd.crosses, self.updates
        was_i, was_j = self.crossed if recorded is not None else (None, None)
        i_same = recorded is not None and i.supply not in recorded
        crossed_i = was_i if i_same else crosses(i, updates.get(i.supply, NO_UPDATES), j.demand_x)
        if crossed_i:
            self._cap(i, j)
        if (recorded is not None and j.supply not in recorded
                and (i_same or not (was_i or crossed_i))):
            crossed_j = was_j
        else:
            crossed_j = crosses(j, updates.get(j.supply, NO_UPDATES), i.demand_x)
        self.crossed = (crossed_i, crossed_j)
        if crossed_j:
            self._cap(j, i)
        if crossed_i or crossed_j:  # the moves changed
            self.valid = i.move_ok() and j.move_ok()
        if p_random > 0 and rng is not None:
            self._randomise(rng, p_random)

    def _recap(self, rng: np.random.Generator | None, p_random: float,
               recorded: tuple[int, ...]) -> None:
        """``calculate`` after a realised voting position was recorded on a demand issue and
        nothing else changed: the equal-gain moves are those of the last calculation (same
        positions, same move history, and it was valid), so only ``_settle`` runs again."""
        i, j = self.i, self.j
        i_move, j_move, dp, dq, i.y, j.y, gain = self.uncapped
        i.move, j.move = i_move, j_move
        i.moves[-1], j.moves[-1] = i_move, j_move
        i.d_outcome, j.d_outcome = dq, dp
        self.gain = i.eu = j.eu = gain
        self.valid = True
        self._settle(rng, p_random, recorded if self.reuses_crossings else None)

    def _cap(self, party: Party, other: Party) -> None:
        """Outcome cap (§4.3 step 6) of a supply move that carries the outcome past the
        demanding partner's (``other``'s) position (``Round.crosses``): it is shortened to land
        exactly there and the partner's move follows from the equal-gain rate."""
        r = self.rnd
        updates = self.updates.get(party.supply, NO_UPDATES)
        target = other.demand_x
        delta = abs(r.move_to_outcome(party.supply, updates, party.actor, party.x, target))
        d_own = r.shift(party.actor, party.supply, delta)
        d_other = r.transfer(d_own, party.rate)
        other.move = abs(r.move_for(other.actor, other.supply, d_other))
        party.move = delta
        party.d_outcome, other.d_outcome = d_own, d_other
        if other.x > party.demand_x:
            other.move = -other.move
        if party.x > other.demand_x:
            party.move = -party.move
        other.moves[-1] = other.move
        party.moves[-1] = party.move
        other.y, party.y = other.x + other.move, party.x + party.move
        self.gain = abs(d_other * other.s_sup - d_own * other.s_dem)
        party.eu = other.eu = self.gain

    def _randomise(self, rng: np.random.Generator, p_random: float) -> None:
        """Randomised Equal Gain (§4.4): one party's gain is pushed up or down by p·z."""
        u, v, z_draw = rng.random(3)
        self._maximum_gains()
        a = self.i if u < 0.5 else self.j
        b = self.partner(a)
        r = self.rnd
        pz = r.num(p_random) * r.num(z_draw)
        if v < 0.5:
            gain_a = self.gain + pz * ((r.zero if a.eu_max is None else a.eu_max) - self.gain)
        else:
            gain_a = self.gain - pz * self.gain
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
        self.valid = a.move_ok() and b.move_ok()
        self.randomised = True

    def _maximum_gains(self) -> None:
        """The largest gain each party could get with the other pushed to its limit (§4.4)."""
        r, i, j = self.rnd, self.i, self.j
        book_i, book_j = self.recorded(i.supply), self.recorded(j.supply)
        di = abs(r.outcome_with(i.supply, book_i, i.actor, i.x) - r.outcome_with(
            i.supply, book_i, i.actor, i.y if i.demand_x == i.y else j.demand_x))
        dj = abs(r.outcome_with(j.supply, book_j, j.actor, j.x) - r.outcome_with(
            j.supply, book_j, j.actor, j.y if j.demand_x == j.y else i.demand_x))
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

    def recalculate(self, done: Exchange, rng: np.random.Generator | None,
                    p_random: float) -> None:
        """Step 7 after ``done`` was realised. An actor that supplies the same issue takes over
        its realised voting position (its moves accumulate; decide's move history keeps the
        realised move in place of none, so both last moves are dropped), and a realised
        position on an issue this exchange's actor demands is recorded for the outcomes on it
        (an actor recorded twice keeps the smaller of the two if the first is not left of its
        start, else the larger, as decide does). Then the exchange is calculated again (only
        settled again if nothing moved)."""
        i, j = self.i, self.j
        d_i, d_j = done.i, done.j
        moved = False
        for mine in (i, j):
            actor, supply = mine.actor, mine.supply
            if actor == d_i.actor and supply == d_i.supply:
                theirs = d_i
            elif actor == d_j.actor and supply == d_j.supply:
                theirs = d_j
            else:
                continue
            mine.x = theirs.y
            mine.moves.append(theirs.moves[-1])
            moved = True
        if moved:
            i.moves.pop()
            j.moves.pop()
        recorded: tuple[int, ...] = ()
        keys = ((i.actor, i.demand), (j.actor, j.demand))
        for realised, other in ((d_j, d_i), (d_i, d_j)):
            key = (realised.actor, realised.demand)
            if key in keys:
                issue = key[1]
                book = self.recorded(issue)
                actor, y = other.actor, other.y
                seen = book.get(actor)
                if seen is None:
                    book[actor] = y
                else:
                    book[actor] = min(seen, y) if other.start <= seen else max(seen, y)
                recorded += (issue,)
        if moved:
            self.calculate(rng, p_random)
        elif recorded:  # decide drops both last moves and calculates them again
            self._recap(rng, p_random, recorded)


class PlainExchange(Exchange):
    """An exchange that computes every crossing test (the reference ``shortcuts`` is tested
    against)."""

    __slots__ = ()
    reuses_crossings = False


def reverses(history: list[Number], leftward: bool, zero: Number) -> bool:
    """Would a move left (or right) go against one of the earlier ``history`` moves?"""
    if not history:
        return False
    return max(history) >= zero if leftward else min(history) <= zero


by_gain = attrgetter("gain")
is_valid = attrgetter("valid")
by_supply, by_demand = attrgetter("supply"), attrgetter("demand")


def run_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray, opts:
              ExchangeOptions, rng: np.random.Generator,
              order: tuple[tuple[int, ...], ...] = (),
              pairs: dict[tuple[int, ...], tuple[Any, ...]] | None = None,
              shortcuts: bool = True) -> dict[str, Any]:
    """One round on the 0-100 scale: returns voting positions, new positions and exchanges.
    ``order``: per issue, the order of sums over actors (used by the decimal engine);
    ``pairs``: filled with the pairs' roles and rates, for later rounds with the same s and c;
    ``shortcuts``: False runs decide's loop literally (every recalculation in pool order, every
    crossing test computed), the reference the shortcuts must agree with exactly."""
    rnd = DecimalRound(x, s, c, present, order) if opts.engine == "decimal" else Round(
        x, s, c, present)
    left = np.array([[x[k, d] <= rnd.outcome[d] for d in range(x.shape[1])]  # step 1
                     for k in range(x.shape[0])], dtype=bool).reshape(x.shape)
    d = x.shape[1]
    trades = present & (c * s > 0)  # a pair without weight cannot trade on that issue (§0.2)
    kind = Exchange if shortcuts else PlainExchange
    pool: list[Exchange] = []
    for p, q in itertools.combinations(range(d), 2):  # step 2
        both = trades[:, p] & trades[:, q]
        group = np.where(both, left[:, p] * 1 + left[:, q] * 2, -1)  # 0 A, 1 B, 2 C, 3 D
        for g_i, g_j in ((0, 3), (1, 2)):
            partners = np.flatnonzero(group == g_j).tolist()
            for a in np.flatnonzero(group == g_i).tolist():
                for b in partners:
                    e = kind(rnd, a, b, p, q, pairs)
                    e.calculate(rng, opts.p)
                    pool.append(e)
    # (actor, issue) -> the exchanges in which that actor supplies (demands) that issue: only
    # those are changed by a realised exchange (step 7 matches actor and supply issue, or actor
    # and demand issue; the others' recalculation does nothing). An exchange leaves them when
    # it can no longer be recalculated: invalid, or realised with no reference left in the pool
    supplying: dict[tuple[int, int], set[Exchange]] = {}
    demanding: dict[tuple[int, int], set[Exchange]] = {}
    for e in filter(is_valid, pool):
        for party in (e.i, e.j):
            supplying.setdefault((party.actor, party.supply), set()).add(e)
            demanding.setdefault((party.actor, party.demand), set()).add(e)

    def unindex(e: Exchange) -> None:
        for party in (e.i, e.j):
            supplying[party.actor, party.supply].discard(e)
            demanding[party.actor, party.demand].discard(e)

    realised: list[Exchange] = []
    snapshots: list[Realised] = []
    ties = 0
    stale = True  # the pool may hold invalid exchanges (at first: those calculated invalid)
    # references in the pool to the exchanges a tie duplicated (any other valid exchange is in
    # the pool once until it is realised)
    references: dict[Exchange, int] = {}
    while pool:
        pool.sort(key=by_gain, reverse=True)  # stable: ties keep their order
        top = pool.pop(0)
        if pool and rnd.tied(top.gain, pool[0].gain):  # step 7 tie
            ties += 1
            runner_up = pool[0]
            if rng.random() >= 0.5:
                pool.append(top)
                top = pool.pop(0)
            elif opts.duplicate_tie == "peer":
                pool.append(runner_up)
                references[runner_up] = references.get(runner_up, 1) + 1
        if top in references:
            references[top] -= 1
        if not top.valid:
            continue
        # decide may recalculate a realised exchange (through a duplicate reference left by a
        # tie), which changes the object but not the votes already cast: record it now
        snapshots.append(Realised(top.i.cast(), top.j.cast(), top.gain))
        top.realised = True
        if not references.get(top):
            unindex(top)
        affected = set().union(*(index[(party.actor, issue(party))] for party in (top.i, top.j)
                                 for index, issue in ((supplying, by_supply),
                                                      (demanding, by_demand))))
        # in list order, so random draws (p > 0) come in the same order; a second reference to
        # one exchange is recalculated again only if the first left it valid (an invalid
        # exchange is never recalculated, so it stays invalid)
        # nothing is drawn (p = 0) and no recalculation reads another than ``top`` (out of the
        # pool): the order does not matter, and the pool need not be searched
        any_order = shortcuts and opts.p == 0 and not references.get(top)
        for e in affected if any_order else filter(affected.__contains__, pool):
            for _ in range(references.get(e, 1) if any_order else 1):
                if e.valid:
                    e.recalculate(top, rng, opts.p)
                    if not e.valid:
                        stale = True
                        unindex(e)
        if stale:
            pool, stale = list(filter(is_valid, pool)), False
        realised.append(top)
    voting = x.copy()
    for e in realised:  # later exchanges carry the accumulated positions
        voting[e.i.actor, e.i.supply] = e.i.y
        voting[e.j.actor, e.j.supply] = e.j.y
    new = voting.copy()
    for e in realised:  # step 8
        for party in (e.i, e.j):
            new[party.actor, party.supply] = rnd.next_position(party.s_sup, party.start, party.y)
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
    if opts.engine in ("decimal", "python"):
        return False  # without importing numba (a third of a second of start-up)
    from detente.models import exchange_fast

    if opts.engine == "compiled" and not exchange_fast.AVAILABLE:
        from detente.errors import ModelError

        raise ModelError("engine=compiled needs numba (pip install 'detente[fast]')")
    return opts.engine in ("auto", "compiled") and exchange_fast.AVAILABLE


def compiled_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                   opts: ExchangeOptions, seed: int) -> dict[str, Any] | None:
    """A round through the compiled loops; None if a move history overflowed."""
    from detente.models import exchange_fast

    ok, voting, new, rows, ties = exchange_fast.compiled_round(
        x, s, c, present, opts.p, opts.duplicate_tie == "peer", seed)
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


LIMB = 10 ** 9  # exact_decimal's number layout: [sign, exponent, 9 limbs of 10^9, low first]
PX_, RATE_, MOVE_, D_OUT_, Y_, EU_ = 0, 6, 7, 8, 9, 10  # exchange_decimal's party fields


def decimal_prebuilt() -> Any:
    """The prebuilt decimal round's module if built from the current sources, else None."""
    from detente.models import aot

    return aot.load_prebuilt(aot.EXCHANGE_DECIMAL, aot.exchange_decimal_digest,
                             "DETENTE_EXCHANGE_DECIMAL_AOT")


def decimal_round_loops() -> Any:
    """The compiled decimal round (``exchange_decimal.run_round``): prebuilt if built from the
    current sources (``python -m detente.warm``; loads in milliseconds, no numba import), else
    numba's just-in-time loops where this process has imported numba already, else None (the
    interpreted ``DecimalRound`` serves). Not numba's loops in a fresh process: importing numba
    and loading its cache take longer than the interpreted rounds of a typical run, and their
    first compilation a minute. All give the same digits. ``DETENTE_EXCHANGE_DECIMAL_AOT=0``
    ignores the prebuilt module."""
    module = _decimal_prebuilt_once()
    if module is not None:
        return module.run_round
    if "numba" not in sys.modules:
        return None
    from detente.models import exchange_decimal

    return exchange_decimal.run_round


@functools.cache
def _decimal_prebuilt_once() -> Any:
    return decimal_prebuilt()


def decimal_numbers(values: Any) -> np.ndarray | None:
    """Decimals (a nested sequence, shape S) as exact_decimal numbers (S, 11); None if one is
    not finite or has more than 81 digits (the compiled round then refuses the problem)."""
    arr = np.asarray(values, dtype=object)
    out = np.zeros((arr.size, 11), dtype=np.int64)
    for at, value in enumerate(arr.flat):
        sign, digits, exp = (value if isinstance(value, Decimal) else Decimal(value)).as_tuple()
        if not isinstance(exp, int):
            return None
        coefficient = int("".join(map(str, digits)))
        if coefficient >= LIMB ** 9:
            return None
        row = out[at]
        row[0], row[1] = sign, exp
        for limb in range(2, 11):
            coefficient, row[limb] = divmod(coefficient, LIMB)
    return out.reshape((*arr.shape, 11))


def from_numbers(rows: np.ndarray) -> list[Decimal]:
    """exact_decimal numbers (K, 11) as Decimals, exactly."""
    rows = np.ascontiguousarray(rows).reshape(-1, 11)
    if rows[:, 6:].any():  # more than 36 digits (not a rounded result): limb by limb
        out = []
        for row in rows.tolist():
            coefficient = 0
            for limb in reversed(row[2:]):
                coefficient = coefficient * LIMB + limb
            out.append(Decimal(f"{'-' if row[0] else ''}{coefficient}E{row[1]}"))
        return out
    low = (rows[:, 2] + rows[:, 3] * LIMB).tolist()  # < 10^18 each: int64
    high = (rows[:, 4] + rows[:, 5] * LIMB).tolist()
    return [Decimal(f"{'-' if sign else ''}{hi}{lo:018d}E{exp}" if hi else
                    f"{'-' if sign else ''}{lo}E{exp}")
            for sign, exp, hi, lo in zip(rows[:, 0].tolist(), rows[:, 1].tolist(), high, low,
                                         strict=True)]


def compiled_decimal_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                           opts: ExchangeOptions, seed: int,
                           order: tuple[tuple[int, ...], ...] = (),
                           cache: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """``run_round`` of the decimal engine through the compiled loops: the same numbers digit
    for digit (tests/test_exchange_decimal.py); None where they do not apply (randomised
    gains, numbers the exact type does not hold, no compiled loops), and the caller runs the
    round interpreted. ``cache``: one run's tables of s and c, the last round's new positions
    and the compiled round's working memory, kept between its rounds."""
    loops = decimal_round_loops() if opts.p == 0 else None
    if loops is None:
        return None
    cache = {} if cache is None else cache
    n, d_n = x.shape
    if "s" not in cache:
        s_dec = [[as_written(v) for v in row] for row in s.tolist()]
        c_dec = [[as_written(v) for v in row] for row in c.tolist()]
        present = np.ascontiguousarray(present, dtype=np.bool_)
        actors = np.zeros((d_n, max(n, 1)), dtype=np.int64)
        counts = np.zeros(d_n, dtype=np.int64)
        for d in range(d_n):
            ks = [k for k in (order[d] if order else range(n)) if present[k, d]]
            actors[d, :len(ks)] = ks
            counts[d] = len(ks)
        cache.update(s=s_dec, c=c_dec, sc=decimal_numbers(s_dec), cc=decimal_numbers(c_dec),
                     present=present, trades=np.ascontiguousarray(present & (c * s > 0)),
                     actors=actors, counts=counts)
    last = cache.get("new")
    xs = last[1] if last is not None and last[0] is x else decimal_numbers(x)
    if xs is None or cache["sc"] is None or cache["cc"] is None:
        return None
    ok, voting_n, new_n, changed, rec_f, rec_i, rec_g, ties, cache["work"] = loops(
        xs, cache["sc"], cache["cc"], cache["present"], cache["trades"], cache["actors"],
        cache["counts"], opts.duplicate_tie == "peer", int(seed),
        cache.get("work", np.empty(0, dtype=np.int64)))
    if not ok:
        return None
    voting, new = x.copy(), x.copy()
    cells = np.argwhere(changed).tolist()
    for (k, d), v, w in zip(cells, from_numbers(voting_n[changed]), from_numbers(new_n[changed]),
                            strict=True):
        voting[k, d], new[k, d] = v, w
    cache["new"] = (new, new_n)
    # per party: x, rate, move, d_outcome, y (converted); start, demand_x, s and c are the
    # round's own decimals; eu and the gain are one number in Equal Gain
    numbers = iter(from_numbers(rec_f[:, :, [PX_, RATE_, MOVE_, D_OUT_, Y_, EU_]]))
    gains = from_numbers(rec_g)
    s_dec, c_dec = cache["s"], cache["c"]
    realised = []
    for ints, gain in zip(rec_i.tolist(), gains, strict=True):
        sides = []
        for actor, supply, demand in ints:
            px, rate, move, d_out, y, eu = (next(numbers) for _ in range(6))
            sides.append(DecimalParty(actor, supply, demand, px, x[actor, supply],
                                      x[actor, demand], s_dec[actor][supply],
                                      s_dec[actor][demand], c_dec[actor][supply], rate, move,
                                      d_out, y, [], eu, None))
        realised.append(Realised(sides[0], sides[1], gain))
    return {"voting": voting, "new": new, "exchanges": realised, "ties": int(ties)}


collector_paused = paused  # detente.collector.paused, under the name this module used


def run_exchange(x0: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                 opts: ExchangeOptions, seed: int, order: tuple[tuple[int, ...], ...] = (),
                 shortcuts: bool = True, compiled_decimal: bool = True) -> dict[str, Any]:
    """One run of ``opts.rounds`` rounds on the 0-100 scale (positions (N, D));
    ``shortcuts``: see ``run_round``; ``compiled_decimal``: the decimal engine's rounds through
    the compiled loops where they apply (False: always the interpreted ``DecimalRound``)."""
    compiled = use_compiled(opts)
    exact_loops = compiled_decimal and shortcuts and opts.engine == "decimal"
    cache: dict[str, Any] = {}
    round_seeds = np.random.SeedSequence(seed).generate_state(opts.rounds)
    x = x0.copy()
    positions, voting, exchanges, ties = [x.copy()], [], [], 0
    pairs: dict[tuple[int, ...], tuple[Any, ...]] | None = {} if shortcuts else None
    for r in range(opts.rounds):
        out = compiled_round(x, s, c, present, opts, int(round_seeds[r])) if compiled else None
        if exact_loops:
            with collector_paused():
                out = compiled_decimal_round(x, s, c, present, opts, int(round_seeds[r]), order,
                                             cache)
        if out is None:
            # the same Mersenne Twister stream numba draws from in the compiled round, so both
            # engines give the same numbers for the same seed
            stream = np.random.RandomState(int(round_seeds[r]))
            with collector_paused():
                out = run_round(x, s, c, present, opts, stream,  # type: ignore[arg-type]
                                order, pairs, shortcuts)
        voting.append(out["voting"])
        exchanges.append(out["exchanges"])
        ties += out["ties"]
        x = out["new"]
        positions.append(x.copy())
    return {"positions": np.stack(positions).astype(float),
            "voting": np.stack(voting).astype(float), "exchanges": exchanges, "ties": ties}


def to_percent(position: np.ndarray, low: np.ndarray, high: np.ndarray, exact: bool
               ) -> np.ndarray:
    """Positions on decide's 0-100 scale; ``exact``: as decide rescales them, in decimals
    (distance to the low end times the step 100 / (high - low))."""
    if not exact:
        return 100.0 * (position - low) / (high - low)
    lows = [as_written(v) for v in low.tolist()]
    steps = [100 / (as_written(hi) - lo) for lo, hi in zip(lows, high.tolist(), strict=True)]
    return np.array([[(as_written(v) - lo) * step
                      for v, lo, step in zip(row, lows, steps, strict=True)]
                     for row in position.tolist()], dtype=object)


def as_written(value: float) -> Decimal:
    """The decimal a number was written as (decide reads its input as decimals): the shortest
    decimal that reads back as the same float, exact for inputs of up to 15 digits."""
    return Decimal(repr(float(value)))


def exchange_record(e: Realised, low: Sequence[float], span: Sequence[float],
                    actors: tuple[str, ...], issues: tuple[str, ...]) -> dict[str, Any]:
    """A realised exchange as plain data, positions on the issues' own scales (``low`` and
    ``span`` per issue, as plain floats: a report's 200 draws make some 25,000 records, and
    Python float arithmetic gives the same doubles as numpy scalars, faster)."""
    return {"gain": float(e.gain), "i": _side(e.i, low, span, actors, issues),
            "j": _side(e.j, low, span, actors, issues)}


def _side(party: Party, low: Sequence[float], span: Sequence[float], actors: tuple[str, ...],
          issues: tuple[str, ...]) -> dict[str, Any]:
    """One party of :func:`exchange_record`: low + v · span / 100 on its supply issue."""
    supply = party.supply
    lo, step = low[supply], span[supply]
    return {"actor": actors[party.actor], "supply": issues[supply],
            "demand": issues[party.demand], "start": lo + float(party.x) * step / 100,
            "voting": lo + float(party.y) * step / 100,
            "move": float(party.move) * step / 100, "gain": float(party.eu)}


def _repetition(job: tuple[Any, ...]) -> dict[str, Any]:
    """One repetition, with its exchanges turned into plain records (picklable)."""
    x, s, c, present, opts, seed, low, span, actors, issues, order = job
    out = run_exchange(x, s, c, present, opts, seed, order)
    low, span = np.asarray(low, dtype=float).tolist(), np.asarray(span, dtype=float).tolist()
    out["exchanges"] = [[exchange_record(e, low, span, actors, issues) for e in rnd]
                        for rnd in out["exchanges"]]
    return out


class ExchangeModel:
    """Stokman's exchange model (MODELS.md §4): one run of ``rounds`` rounds per batch row.

    The runner gives this kernel one row per (draw, repetition) pair, draw-major (row = draw * R
    + repetition, R = ``options.repetitions``); the Results type reshapes the rows into separate
    ``draw`` and ``repetition`` dimensions. Each pair breaks its ties with its own stream, keyed
    by its draw and repetition in the experiment (so ``--seed`` changes them and a pair's numbers
    do not depend on the block it ran in).
    """

    def run(self, batch: Batch, options: ExchangeOptions, streams: Streams | None = None
            ) -> Trajectory:
        streams = streams or Streams.from_seed(0)
        rows = batch.draws
        span = batch.high - batch.low
        reps = options.repetitions
        runs = []
        for k in range(rows):
            draw, rep = divmod(streams.offset + k, reps)
            seed = int(streams.sequence("exchange.ties", draw, rep).generate_state(1)[0])
            start = to_percent(batch.position[k], batch.low, batch.high,
                               options.engine == "decimal")
            runs.append(_repetition((start, batch.salience[k], batch.capability[k],
                                     batch.mask[k], options, seed, batch.low, span,
                                     batch.actors, batch.issues, batch.stance_order)))
        to_scale = lambda v: batch.low + v * span / 100  # noqa: E731
        positions = to_scale(np.stack([r["positions"] for r in runs]))  # (B*R, T+1, N, D)
        voting = to_scale(np.stack([r["voting"] for r in runs]))  # (B*R, T, N, D)
        mask, cap, sal = batch.mask, batch.capability, batch.salience
        voting_outcome = weighted_outcome(voting, sal[:, None], cap[:, None], mask[:, None])
        preference = weighted_outcome(positions, sal[:, None], cap[:, None], mask[:, None])
        records = np.empty((rows, options.rounds), dtype=object)
        for row, r in enumerate(runs):
            for t, rnd in enumerate(r["exchanges"]):
                records[row, t] = rnd
        return Trajectory(
            positions=positions,
            forecast=preference[:, -1],
            turns=np.full(rows, options.rounds),
            stop_reason=np.full(rows, "rounds", dtype=object),
            diagnostics={"voting_positions": voting, "voting_outcome": voting_outcome,
                         "preference_outcome": preference,
                         "exchanges": records,
                         "ties": np.array([r["ties"] for r in runs]),
                         "repetitions": np.array(reps)},
        )
