"""A compiled round of the exchange model (optional: ``pip install detente[fast]``, numba).

The same rules as :mod:`detente.models.exchange` (MODELS.md §4.3-4.4, decide's bookkeeping
included), with exchanges held as rows of arrays instead of objects: per party its actor,
issues, positions, move and a bounded move history; per exchange its recorded voting positions
on its two issues. Coin flips and randomised gains draw from numba's generator, seeded per
round, so results equal the Python path's wherever no random draw is made (tested on tie-free
cases) and match decide's ensembles like it (tested).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from detente.models import aot

AOT_MODULE = "_exchange_aot"  # the ahead-of-time build of run_round, beside this file
AOT_SIGNATURE = ("Tuple((b1, f8[:, ::1], f8[:, ::1], f8[:, ::1], i8))"
                 "(f8[:, ::1], f8[:, ::1], f8[:, ::1], b1[:, ::1], f8, b1, i8)")


def source_digest() -> int:
    """A 63-bit digest of this file: the prebuilt module is used only if it was built from it."""
    return aot.source_digest(Path(__file__))


# the ahead-of-time module if it exists and matches this source (``DETENTE_EXCHANGE_AOT=0`` ignores
# it: the build itself, and tests of the just-in-time loops); numba's njit only without it
PREBUILT, njit = aot.prebuilt_or_numba(AOT_MODULE, source_digest, "DETENTE_EXCHANGE_AOT")
AVAILABLE = PREBUILT is not None or njit is not None
MAX_MOVES = 96  # move-history depth per party; a deeper history falls back to Python
TIE = 1e-12


def _jit(fn):  # type: ignore[no-untyped-def]
    return njit(cache=True)(fn) if njit is not None else fn


# party fields: floats F[e, side, field], integers IV[e, side, field]; H = move histories
X, START, DEMAND_X, S_SUP, S_DEM, MOVE, Y, EU, EU_MAX, NBS0, NBS1 = range(11)
ACTOR, SUPPLY, DEMAND, NMOVES = range(4)


@_jit
def _outcome_with(e, slot, issue, actor, position, upd, x0, cs, total, weight):  # type: ignore[no-untyped-def]
    acc = total[issue]
    for k in range(x0.shape[0]):
        v = upd[e, slot, k]
        if k != actor and not math.isnan(v):
            acc += cs[k, issue] * (v - x0[k, issue])
    acc += cs[actor, issue] * (position - x0[actor, issue])
    return acc / weight[issue]


@_jit
def _move_to_outcome(e, slot, issue, actor, from_x, target, upd, x0, cs, total, weight):  # type: ignore[no-untyped-def]
    acc = total[issue]
    for k in range(x0.shape[0]):
        v = upd[e, slot, k]
        if math.isnan(v):
            if k == actor:
                acc += cs[k, issue] * (from_x - x0[k, issue])
        else:
            acc += cs[k, issue] * (v - x0[k, issue])
    return (target * weight[issue] - acc) / cs[actor, issue]


@_jit
def _move_ok(F, IV, H, e, side, move):  # type: ignore[no-untyped-def]
    if abs(move) > 100 or abs(move) <= 1e-10:
        return False
    pos = F[e, side, X] + move
    if pos < 0 or pos > 100:
        return False
    n = IV[e, side, NMOVES]
    total, lo, hi = 0.0, np.inf, -np.inf
    for k in range(n):
        v = H[e, side, k]
        total += v
        lo = min(lo, v)
        hi = max(hi, v)
    if total > 100:
        return False
    return (lo < 0 and hi < 0) or (lo > 0 and hi > 0)


@_jit
def _push(IV, H, e, side, value):  # type: ignore[no-untyped-def]
    n = IV[e, side, NMOVES]
    if n >= H.shape[2]:
        return False
    H[e, side, n] = value
    IV[e, side, NMOVES] = n + 1
    return True


@_jit
def _pop(IV, e, side):  # type: ignore[no-untyped-def]
    IV[e, side, NMOVES] -= 1


@_jit
def _slot(P, e, issue):  # type: ignore[no-untyped-def]
    return 0 if P[e, 0] == issue else 1


@_jit
def _cap(F, IV, H, P, upd, e, side, x0, cs, total, weight):  # type: ignore[no-untyped-def]
    """Outcome cap (§4.3 step 6): returns False if the exchange became invalid."""
    other = 1 - side
    a, sup = IV[e, side, ACTOR], IV[e, side, SUPPLY]
    slot = _slot(P, e, sup)
    F[e, side, NBS0] = _outcome_with(e, slot, sup, a, F[e, side, X], upd, x0, cs, total, weight)
    F[e, side, NBS1] = _outcome_with(e, slot, sup, a, F[e, side, Y], upd, x0, cs, total, weight)
    target = F[e, other, DEMAND_X]
    n0, n1 = F[e, side, NBS0], F[e, side, NBS1]
    if (target - n0 >= 0 and target - n1 >= 0) or (target - n0 <= 0 and target - n1 <= 0):
        return True
    delta = abs(_move_to_outcome(e, slot, sup, a, F[e, side, X], target, upd, x0, cs, total,
                                 weight))
    d_own = delta * cs[a, sup] / weight[sup]
    d_other = d_own * (F[e, side, S_SUP] + F[e, other, S_DEM]) / (F[e, side, S_DEM]
                                                                  + F[e, other, S_SUP])
    b, bsup = IV[e, other, ACTOR], IV[e, other, SUPPLY]
    other_move = abs(d_other * weight[bsup] / cs[b, bsup])
    own_move = delta
    if F[e, other, X] > F[e, side, DEMAND_X]:
        other_move = -other_move
    if F[e, side, X] > F[e, other, DEMAND_X]:
        own_move = -own_move
    F[e, other, MOVE] = other_move
    F[e, side, MOVE] = own_move
    H[e, other, IV[e, other, NMOVES] - 1] = other_move
    H[e, side, IV[e, side, NMOVES] - 1] = own_move
    F[e, other, Y] = F[e, other, X] + other_move
    F[e, side, Y] = F[e, side, X] + own_move
    gain = abs(d_other * F[e, other, S_SUP] - d_own * F[e, other, S_DEM])
    F[e, side, EU] = gain
    F[e, other, EU] = gain
    F[e, 0, EU] = gain
    valid = _move_ok(F, IV, H, e, other, other_move) and _move_ok(F, IV, H, e, side, own_move)
    F[e, side, NBS1] = _outcome_with(e, slot, sup, a, F[e, side, Y], upd, x0, cs, total, weight)
    return valid


@_jit
def _maximum_gains(F, IV, P, upd, e, x0, cs, total, weight):  # type: ignore[no-untyped-def]
    di_target = F[e, 0, Y] if F[e, 0, DEMAND_X] == F[e, 0, Y] else F[e, 1, DEMAND_X]
    dj_target = F[e, 1, Y] if F[e, 1, DEMAND_X] == F[e, 1, Y] else F[e, 0, DEMAND_X]
    si, sj = IV[e, 0, SUPPLY], IV[e, 1, SUPPLY]
    di = abs(F[e, 0, NBS0] - _outcome_with(e, _slot(P, e, si), si, IV[e, 0, ACTOR], di_target, upd,
                                           x0, cs, total, weight))
    dj = abs(F[e, 1, NBS0] - _outcome_with(e, _slot(P, e, sj), sj, IV[e, 1, ACTOR], dj_target, upd,
                                           x0, cs, total, weight))
    loss_i, gain_j = dj * F[e, 1, S_SUP], dj * F[e, 0, S_DEM]
    loss_j, gain_i = di * F[e, 0, S_SUP], di * F[e, 1, S_DEM]
    if gain_j > gain_i:
        side, gain, loss = 1, gain_i, loss_j
    else:
        side, gain, loss = 0, gain_j, loss_i
    other = 1 - side
    share = F[e, side, S_SUP] / (F[e, side, S_SUP] + F[e, other, S_DEM])
    F[e, other, EU_MAX] = share * F[e, other, S_DEM] * (gain / (share * F[e, side, S_SUP])) - loss
    F[e, side, EU_MAX] = gain - share * F[e, side, S_SUP] * (loss / (share * F[e, other, S_DEM]))


@_jit
def _randomise(F, IV, H, P, upd, e, gain, p_random, x0, cs, total, weight):  # type: ignore[no-untyped-def]
    u, v, z = np.random.random(), np.random.random(), np.random.random()
    _maximum_gains(F, IV, P, upd, e, x0, cs, total, weight)
    a = 0 if u < 0.5 else 1
    b = 1 - a
    eu_max = F[e, a, EU_MAX]
    if v < 0.5:
        gain_a = gain + p_random * z * ((0.0 if math.isnan(eu_max) else eu_max) - gain)
    else:
        gain_a = gain - p_random * z * gain
    aa, asup = IV[e, a, ACTOR], IV[e, a, SUPPLY]
    ba, bsup = IV[e, b, ACTOR], IV[e, b, SUPPLY]
    d_a = abs(F[e, a, X] - F[e, b, DEMAND_X]) * cs[aa, asup] / weight[asup]
    d_b = (gain_a + d_a * F[e, a, S_SUP]) / F[e, a, S_DEM]
    move_a = abs(F[e, a, X] - F[e, b, DEMAND_X])
    move_b = d_b * weight[bsup] / cs[ba, bsup]
    if abs(move_b) > abs(F[e, b, X] - F[e, a, DEMAND_X]):
        d_b = abs(F[e, b, X] - F[e, a, DEMAND_X]) * cs[ba, bsup] / weight[bsup]
        d_a = abs((gain_a - d_b * F[e, a, S_DEM]) / F[e, a, S_SUP])
        move_b = abs(F[e, b, X] - F[e, a, DEMAND_X])
        move_a = d_a * weight[asup] / cs[aa, asup]
    F[e, a, EU] = abs(gain_a)
    F[e, b, EU] = abs(d_b * F[e, b, S_SUP] - d_a * F[e, b, S_DEM])
    F[e, a, MOVE] = -move_a if F[e, a, X] > F[e, b, DEMAND_X] else move_a
    F[e, b, MOVE] = -move_b if F[e, b, X] > F[e, a, DEMAND_X] else move_b
    H[e, a, IV[e, a, NMOVES] - 1] = F[e, a, MOVE]
    H[e, b, IV[e, b, NMOVES] - 1] = F[e, b, MOVE]
    F[e, a, Y] = F[e, a, X] + F[e, a, MOVE]
    F[e, b, Y] = F[e, b, X] + F[e, b, MOVE]
    valid = _move_ok(F, IV, H, e, a, F[e, a, MOVE]) and _move_ok(F, IV, H, e, b, F[e, b, MOVE])
    for side in range(2):
        sup = IV[e, side, SUPPLY]
        slot = _slot(P, e, sup)
        F[e, side, NBS0] = _outcome_with(e, slot, sup, IV[e, side, ACTOR], F[e, side, X], upd, x0,
                                         cs, total, weight)
        F[e, side, NBS1] = _outcome_with(e, slot, sup, IV[e, side, ACTOR], F[e, side, Y], upd, x0,
                                         cs, total, weight)
    return valid


@_jit
def _calculate(F, IV, H, P, upd, gains, valid, e, p_random, x0, cs, total, weight):  # type: ignore[no-untyped-def]
    """Equal-gain moves, validity and the outcome cap (§4.3 steps 4-6); False on overflow."""
    i_act, i_sup = IV[e, 0, ACTOR], IV[e, 0, SUPPLY]
    j_act, j_sup = IV[e, 1, ACTOR], IV[e, 1, SUPPLY]
    dp = abs(F[e, 0, DEMAND_X] - F[e, 1, X]) * cs[j_act, j_sup] / weight[j_sup]
    dq = dp * (F[e, 1, S_SUP] + F[e, 0, S_DEM]) / (F[e, 1, S_DEM] + F[e, 0, S_SUP])
    i_move = dq * weight[i_sup] / cs[i_act, i_sup]
    j_move = abs(F[e, 0, DEMAND_X] - F[e, 1, X])
    if abs(i_move) > abs(F[e, 1, DEMAND_X] - F[e, 0, X]):
        dq = abs(F[e, 1, DEMAND_X] - F[e, 0, X]) * cs[i_act, i_sup] / weight[i_sup]
        dp = dq * (F[e, 0, S_SUP] + F[e, 1, S_DEM]) / (F[e, 0, S_DEM] + F[e, 1, S_SUP])
        i_move = abs(F[e, 1, DEMAND_X] - F[e, 0, X])
        j_move = dp * weight[j_sup] / cs[j_act, j_sup]
    if F[e, 0, X] > F[e, 1, DEMAND_X]:
        i_move = -i_move
    if F[e, 1, X] > F[e, 0, DEMAND_X]:
        j_move = -j_move
    F[e, 0, MOVE], F[e, 1, MOVE] = i_move, j_move
    if not _push(IV, H, e, 0, i_move) or not _push(IV, H, e, 1, j_move):
        return False
    F[e, 0, Y] = F[e, 0, X] + i_move
    F[e, 1, Y] = F[e, 1, X] + j_move
    gain = abs(dq * F[e, 0, S_SUP] - dp * F[e, 0, S_DEM])
    gains[e] = gain
    F[e, 0, EU] = gain
    F[e, 1, EU] = gain
    ok = _move_ok(F, IV, H, e, 0, i_move) and _move_ok(F, IV, H, e, 1, j_move) and gain >= 1e-10
    valid[e] = ok
    if not ok:
        return True
    ok = _cap(F, IV, H, P, upd, e, 0, x0, cs, total, weight)
    ok = _cap(F, IV, H, P, upd, e, 1, x0, cs, total, weight)
    gains[e] = F[e, 0, EU]
    ok = _move_ok(F, IV, H, e, 0, F[e, 0, MOVE]) and _move_ok(F, IV, H, e, 1, F[e, 1, MOVE])
    valid[e] = ok
    if p_random > 0:  # as decide: after the cap, whatever its verdict
        valid[e] = _randomise(F, IV, H, P, upd, e, gains[e], p_random, x0, cs, total, weight)
    return True


@_jit
def _record(upd, P, e, issue, actor, y, start):  # type: ignore[no-untyped-def]
    """Record a realised voting position for exchange e's outcomes on ``issue`` (step 7)."""
    slot = 0 if P[e, 0] == issue else 1
    seen = upd[e, slot, actor]
    if math.isnan(seen):
        upd[e, slot, actor] = y
    elif start <= seen:
        upd[e, slot, actor] = min(seen, y)
    else:
        upd[e, slot, actor] = max(seen, y)


@_jit
def _recalculate(F, IV, H, P, upd, gains, valid, e, d, p_random, x0, cs, total, weight):  # type: ignore[no-untyped-def]
    """Step 7 for exchange e after exchange d was realised; False on history overflow."""
    hit = False
    for mine in range(2):
        for theirs in range(2):
            if IV[e, mine, ACTOR] == IV[d, theirs, ACTOR] and IV[e, mine, SUPPLY] == IV[d, theirs,
                                                                                     SUPPLY]:
                F[e, mine, X] = F[d, theirs, Y]
                if not _push(IV, H, e, mine, H[d, theirs, IV[d, theirs, NMOVES] - 1]):
                    return False
                hit = True
                break
    if hit:
        _pop(IV, e, 0)
        _pop(IV, e, 1)
    again = hit
    for realised in (1, 0):
        other = 1 - realised
        ra, rd = IV[d, realised, ACTOR], IV[d, realised, DEMAND]
        if (ra == IV[e, 0, ACTOR] and rd == IV[e, 0, DEMAND]) or (
                ra == IV[e, 1, ACTOR] and rd == IV[e, 1, DEMAND]):
            _record(upd, P, e, rd, IV[d, other, ACTOR], F[d, other, Y], F[d, other, START])
            if not again:
                _pop(IV, e, 0)
                _pop(IV, e, 1)
                again = True
    if again:
        return _calculate(F, IV, H, P, upd, gains, valid, e, p_random, x0, cs, total, weight)
    return True


@_jit
def run_round(x, s, c, present, p_random, duplicate_peer, seed):  # type: ignore[no-untyped-def]
    """One round; returns (ok, voting, new, records, ties). ``ok`` False: history overflow."""
    np.random.seed(seed)
    n, d_n = x.shape
    cs = np.zeros((n, d_n))
    total = np.zeros(d_n)
    weight = np.zeros(d_n)
    outcome = np.zeros(d_n)
    for k in range(n):
        for d in range(d_n):
            if present[k, d]:
                cs[k, d] = c[k, d] * s[k, d]
                weight[d] += cs[k, d]
                total[d] += cs[k, d] * x[k, d]
    for d in range(d_n):
        outcome[d] = total[d] / weight[d]
    # candidate exchanges in decide's order (step 2)
    count = 0
    for p in range(d_n):
        for q in range(p + 1, d_n):
            ga = np.zeros(4, dtype=np.int64)
            for k in range(n):
                if cs[k, p] > 0 and cs[k, q] > 0:  # weightless pairs do not trade
                    g = (1 if x[k, p] <= outcome[p] else 0) + (2 if x[k, q] <= outcome[q] else 0)
                    ga[g] += 1
            count += ga[0] * ga[3] + ga[1] * ga[2]
    E = count
    F = np.full((E, 2, 11), np.nan)
    IV = np.zeros((E, 2, 4), dtype=np.int64)
    H = np.zeros((E, 2, MAX_MOVES))
    P = np.zeros((E, 2), dtype=np.int64)
    upd = np.full((E, 2, n), np.nan)
    gains = np.zeros(E)
    valid = np.zeros(E, dtype=np.bool_)
    records = np.zeros((E + 8, 15))
    e = 0
    for p in range(d_n):
        for q in range(p + 1, d_n):
            group = np.full(n, -1)
            for k in range(n):
                if cs[k, p] > 0 and cs[k, q] > 0:  # weightless pairs do not trade
                    group[k] = (1 if x[k, p] <= outcome[p] else 0) + (
                        2 if x[k, q] <= outcome[q] else 0)
            for gi, gj in ((0, 3), (1, 2)):
                for a in range(n):
                    if group[a] != gi:
                        continue
                    for b in range(n):
                        if group[b] != gj:
                            continue
                        first, second = a, b
                        if s[a, p] / s[a, q] < s[b, p] / s[b, q]:
                            first, second = b, a
                        P[e, 0], P[e, 1] = p, q
                        for side, actor, sup, dem in ((0, first, q, p), (1, second, p, q)):
                            IV[e, side, ACTOR], IV[e, side, SUPPLY], IV[e, side, DEMAND] = (
                                actor, sup, dem)
                            F[e, side, X] = x[actor, sup]
                            F[e, side, START] = x[actor, sup]
                            F[e, side, DEMAND_X] = x[actor, dem]
                            F[e, side, S_SUP] = s[actor, sup]
                            F[e, side, S_DEM] = s[actor, dem]
                        if not _calculate(F, IV, H, P, upd, gains, valid, e, p_random, x, cs,
                                          total, weight):
                            return False, x, x, records[:0], 0
                        e += 1
    # actors -> exchanges (for the recalculation after a realisation)
    involve = np.zeros((n, E), dtype=np.bool_)
    for k in range(E):
        involve[IV[k, 0, ACTOR], k] = True
        involve[IV[k, 1, ACTOR], k] = True
    pool = np.empty(2 * E + 16, dtype=np.int64)
    length = E
    for k in range(E):
        pool[k] = k
    order_keys = np.empty(2 * E + 16)
    realised = np.empty(E + 8, dtype=np.int64)
    n_real = 0
    ties = 0
    while length > 0:
        for k in range(length):
            order_keys[k] = -gains[pool[k]]
        order = np.argsort(order_keys[:length], kind="mergesort")
        pool[:length] = pool[:length][order]
        top = pool[0]
        pool[: length - 1] = pool[1:length]
        length -= 1
        if length > 0 and abs(gains[top] - gains[pool[0]]) <= TIE * max(1.0, gains[top]):
            ties += 1
            runner = pool[0]
            if np.random.random() >= 0.5:
                pool[length] = top
                length += 1
                top = pool[0]
                pool[: length - 1] = pool[1:length]
                length -= 1
            elif duplicate_peer:
                pool[length] = runner
                length += 1
        if not valid[top]:
            continue
        if n_real >= records.shape[0]:
            return False, x, x, records[:0], 0
        r = records[n_real]
        for side in range(2):
            base = side * 7
            r[base + 0] = IV[top, side, ACTOR]
            r[base + 1] = IV[top, side, SUPPLY]
            r[base + 2] = IV[top, side, DEMAND]
            r[base + 3] = F[top, side, X]
            r[base + 4] = F[top, side, Y]
            r[base + 5] = F[top, side, MOVE]
            r[base + 6] = F[top, side, EU]
        r[14] = gains[top]
        realised[n_real] = top
        n_real += 1
        a1, a2 = IV[top, 0, ACTOR], IV[top, 1, ACTOR]
        kept = 0
        for k in range(length):
            ex = pool[k]
            if not valid[ex]:
                continue
            if involve[a1, ex] or involve[a2, ex]:
                if not _recalculate(F, IV, H, P, upd, gains, valid, ex, top, p_random, x, cs,
                                    total, weight):
                    return False, x, x, records[:0], 0
                if not valid[ex]:
                    continue
            pool[kept] = ex
            kept += 1
        length = kept
    voting = x.copy()
    for k in range(n_real):
        ex = realised[k]
        for side in range(2):
            voting[IV[ex, side, ACTOR], IV[ex, side, SUPPLY]] = F[ex, side, Y]
    new = voting.copy()
    for k in range(n_real):
        ex = realised[k]
        for side in range(2):
            w = 0.4 * (1 - F[ex, side, S_SUP]) + 0.1
            new[IV[ex, side, ACTOR], IV[ex, side, SUPPLY]] = (1 - w) * F[ex, side, START] + w * F[
                ex, side, Y]
    return True, voting, new, records[:n_real], ties


def compiled_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, present: np.ndarray,
                   p_random: float, duplicate_peer: bool, seed: int) -> tuple[Any, ...]:
    """:func:`run_round` on any arrays, through the prebuilt module when there is one (its
    numba generator is the same Mersenne Twister, seeded the same way: the same numbers)."""
    f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    fn = PREBUILT.run_round if PREBUILT is not None else run_round
    return fn(f64(x), f64(s), f64(c), np.ascontiguousarray(present, dtype=np.bool_),
              float(p_random), bool(duplicate_peer), int(seed))


def build(output_dir: Path | None = None) -> Path:
    """Compile :func:`run_round` ahead of time into ``_exchange_aot`` beside this file, so later
    processes load it without importing numba (see :func:`detente.models.aot.build_module`).

    Run with ``DETENTE_EXCHANGE_AOT=0`` (``detente.warm`` does): the loops must be numba's here.
    """
    from detente.models.aot import build_module

    if njit is None:
        raise RuntimeError("building the compiled exchange round needs numba, "
                           "DETENTE_EXCHANGE_AOT=0")
    return build_module(AOT_MODULE, "run_round", run_round.py_func, AOT_SIGNATURE,
                        source_digest(), output_dir, error_model="python")  # as its njit
