"""A compiled expected-utility round (optional: ``pip install detente[fast]``, which brings numba).

The numpy kernel in :mod:`detente.models.eum` works on [problems, k, i, j] arrays: for one draw
it spends its time in numpy's per-call overhead (about 180 calls a round), for 10,000 draws in
the 4-d temporaries of the vote margins. These loops do the same arithmetic one problem at a
time in a few N x N scratch arrays, equation for equation (MODELS.md §2.1-2.8, Scholz et al.
2011 eqs. 15-16, 22-25, 30-36), with numpy's order of summation (the voters k in order, numpy's
pairwise sum where numpy sums a contiguous axis). They agree with the numpy kernel to round-off:
numpy's ``power`` uses the SIMD (SVML) routine on AVX-512 machines and numba the C library's
``pow``, which differ in the last bit for about 5 % of arguments.

Savings that do not change a bit: actors at the same position have the same distances, so
every power and every vote margin is computed once per distinct position (representative
``rep[j]``, the first actor at x_j) and copied to the others; at distance 0 no power is taken
twice (U_s = U_f) or at all (0 ** r = 0); a problem stops as soon as its own rule fires, and the
outputs are sized for the rounds actually run, not for the cap. ``pow`` remains a third of the
time (about 200 calls a round at N = 10).

:func:`build` compiles :func:`run_block` ahead of time (``python -m detente.warm`` runs it at
install) into ``_eum_aot`` beside this file; it is loaded only when it was built from this very
source (a digest), and then numba is not imported at all. Otherwise numba's just-in-time loops
(cached) serve, and without numba :mod:`detente.models.eum` runs its numpy kernel.
Every option of :class:`~detente.options.EUMOptions` is compiled; they arrive as small integers
(see :func:`codes`). Where numpy's ``power`` is the C library's (``NPY_DISABLE_CPU_FEATURES``
naming the AVX-512 groups) the two engines agree bit for bit, which a test checks; U_sq is
therefore read from U_s at distance 0 rather than written ``0.5 ** r``, a constant base that
LLVM would rewrite into a differently rounded ``exp2``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from detente.models import aot

AOT_MODULE = "_eum_aot"  # the ahead-of-time build of run_block, beside this file
AOT_SIGNATURE = ("Tuple((f8[:, :, ::1], f8[:, :, ::1], i8[:, :, ::1], i8[::1], b1[::1], "
                 "f8[::1]))"
                 "(f8[:, ::1], f8[:, ::1], f8[:, ::1], f8[::1], i8[::1], f8, i8, f8, i8)")


def source_digest() -> int:
    """A 63-bit digest of this file: the prebuilt module is used only if it was built from it."""
    return aot.source_digest(Path(__file__))


# the ahead-of-time module if it exists and matches this source (``DETENTE_EUM_AOT=0`` ignores
# it: the build itself, and tests of the just-in-time loops); numba's njit only without it
PREBUILT, njit = aot.prebuilt_or_numba(AOT_MODULE, source_digest, "DETENTE_EUM_AOT")
AVAILABLE = PREBUILT is not None or njit is not None

PROBABILITY = ("all_pairs_risk", "paper", "signed_clip")
PERSPECTIVE = ("evaluator", "own")
SECURITY = ("adversary", "row")
CONFLICT = ("loser_moves", "no_move")
SELECTION = ("scholz_code", "least_move", "highest_eu", "most_enforceable")
CAPITULATION = ("paper", "velev_bug")
UPDATE = ("simultaneous", "sequential")
RANGE = ("initial", "current", "scale")
RISK = ("on", "off")
STOP = ("rounds", "median_stable")
FIELDS = (("probability", PROBABILITY), ("perspective", PERSPECTIVE), ("security", SECURITY),
          ("conflict_rule", CONFLICT), ("offer_selection", SELECTION),
          ("capitulation", CAPITULATION), ("update", UPDATE), ("range", RANGE), ("risk", RISK),
          ("stop", STOP))
# positions of the codes in the array :func:`codes` returns
C_PROB, C_PERSP, C_SEC, C_CONFLICT, C_SEL, C_CAPIT, C_UPDATE, C_RANGE, C_RISK, C_STOP = range(10)
# planes of the (8, N, N) scratch: distances |x_i - x_j| / R, voters' weighted distances (stored
# transposed, [actor, voter]), vote margins, P, both EUs, U_s, U_f
D, WVT, M, P, A, B, US, UF = range(8)
NONE, CONFRONTATION, COMPROMISE, CAPITULATION_OFFER = 0, 1, 2, 3
FIRST_ROUNDS = 16  # rounds allocated at first under median_stable (grown by doubling)


def codes(opts: object) -> np.ndarray:
    """The categorical options as int64 codes, in the order of :data:`FIELDS`."""
    return np.array([choices.index(getattr(opts, name)) for name, choices in FIELDS],
                    dtype=np.int64)


def _jit(fn):  # type: ignore[no-untyped-def]
    return njit(cache=True, nogil=True, fastmath=False, error_model="numpy")(fn) \
        if njit is not None else fn


def _lean(fn):  # type: ignore[no-untyped-def]
    """The round: with its pieces inlined, compiled without reference counting (it allocates
    nothing), so passing and aliasing arrays costs no atomic increments."""
    return njit(cache=True, nogil=True, fastmath=False, error_model="numpy", _nrt=False)(fn) \
        if njit is not None else fn


def _inline(fn):  # type: ignore[no-untyped-def]
    """A piece of the round, inlined into its caller (numba's IR inlining): one machine-code
    function per round, without the reference counting of array arguments at each call."""
    return njit(cache=True, nogil=True, fastmath=False, error_model="numpy",
                inline="always")(fn) if njit is not None else fn


@_inline
def _pairwise_block(a, start, n):  # type: ignore[no-untyped-def]
    """numpy's pairwise sum of a[start:start + n] for n <= 128 (8 accumulators)."""
    if n < 8:
        res = 0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    while i < n - n % 8:
        k = start + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@_inline
def _pairwise(a, n, stack, left):  # type: ignore[no-untyped-def]
    """numpy's pairwise sum of a[:n], the same bits as ``a[:n].sum()``: blocks of at most 128
    summed by :func:`_pairwise_block`, halves (cut at a multiple of 8) added as numpy's
    recursion adds them. Iterative (numba's cache cannot hold a recursive function), on the
    caller's (3, 64) int and (64,) float stacks."""
    if n <= 128:
        return _pairwise_block(a, 0, n)
    start_, size, stage = stack[0], stack[1], stack[2]
    start_[0], size[0], stage[0] = 0, n, 0
    top, ret = 1, 0.0
    while top > 0:
        k = top - 1
        m = size[k]
        if m <= 128:
            ret = _pairwise_block(a, start_[k], m)
            top -= 1
            continue
        half = m // 2 - (m // 2) % 8
        if stage[k] == 0:
            stage[k] = 1
            start_[top], size[top], stage[top] = start_[k], half, 0
            top += 1
        elif stage[k] == 1:
            left[k], stage[k] = ret, 2
            start_[top], size[top], stage[top] = start_[k] + half, m - half, 0
            top += 1
        else:
            ret = left[k] + ret
            top -= 1
    return ret


@_inline
def _median(x, w, order):  # type: ignore[no-untyped-def]
    """Lower weighted median (baselines.weighted_median): stable sort, first cum >= half - tol."""
    n = x.size
    for i in range(n):
        order[i] = i
    for i in range(1, n):  # insertion sort: stable
        k = order[i]
        j = i - 1
        while j >= 0 and x[order[j]] > x[k]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = k
    total = 0.0
    for i in range(n):
        total += w[order[i]]
    half = 0.5 * total
    tol = 1e-12 * total
    cum = 0.0
    for i in range(n):
        cum += w[order[i]]
        if cum >= half - tol:
            return x[order[i]]
    return x[order[0]]


@_inline
def _representatives(x, rep):  # type: ignore[no-untyped-def]
    """rep[j] = the first actor at x_j (powers and margins are computed for it alone)."""
    n = x.size
    for j in range(n):
        rep[j] = j
        for i in range(j):
            if x[i] == x[j]:
                rep[j] = i
                break


@_inline
def _distances(x, R, ws):  # type: ignore[no-untyped-def]
    """ws[D, i, j] = |x_i - x_j| / R, once a round (|x_i - x_j| and |x_j - x_i| are one value)."""
    n = x.size
    for i in range(n):
        for j in range(i, n):
            d = abs(x[i] - x[j]) / R
            ws[D, i, j] = d
            ws[D, j, i] = d


@_inline
def _probability(x, w, r, use_r, variant, rep, ws, flat, stack, left):  # type: ignore[no-untyped-def]
    """P[i, j] into ws[P] (MODELS.md §2.4; eum.win_probability); ws[WVT], ws[M], flat scratch.

    M[i, j] = sum_k max(0, wv[k, j] - wv[k, i]) adds the voters k in order; M[j, i] adds the
    negated differences, so each pair i < j of distinct positions is one pass over the voters.
    """
    n = x.size
    for a in range(n):
        if rep[a] != a:
            continue
        for k in range(n):
            d = ws[D, k, a]
            if use_r:  # 0 ** r = 0 (r > 0): no call to pow
                ws[WVT, a, k] = w[k] * (d ** r[k] if d > 0.0 else 0.0)
            else:
                ws[WVT, a, k] = w[k] * d
    for i in range(n):
        ws[M, i, i] = 0.0
        if rep[i] != i:
            continue
        for j in range(i + 1, n):
            if rep[j] != j:
                continue
            up, down = 0.0, 0.0
            for k in range(n):  # adding 0.0 changes no bit (the sums are never -0.0)
                diff = ws[WVT, j, k] - ws[WVT, i, k]
                up += diff if diff > 0.0 else 0.0
                down += -diff if diff < 0.0 else 0.0
            ws[M, i, j] = up
            ws[M, j, i] = down
    for i in range(n):
        for j in range(n):
            if rep[i] != i or rep[j] != j:
                ws[M, i, j] = ws[M, rep[i], rep[j]]
    if variant == 0:
        for i in range(n):
            for j in range(n):
                flat[i * n + j] = ws[M, i, j] + ws[M, j, i]
        den = _pairwise(flat, n * n, stack, left)
        for i in range(n):
            for j in range(n):
                ws[P, i, j] = ws[M, i, j] / den if den > 0.0 and x[i] != x[j] else 0.0
    else:
        for i in range(n):
            for j in range(n):
                pair = ws[M, i, j] + ws[M, j, i]
                if variant == 1:
                    num = ws[M, i, j]
                else:
                    net = ws[M, i, j] - ws[M, j, i]
                    num = net if net > 0.0 else 0.0
                ws[P, i, j] = num / pair if pair > 0.0 and x[i] != x[j] else 0.0


@_inline
def _util(base, e, use_e):  # type: ignore[no-untyped-def]
    """2 - 4 base^e (eqs. 15-16, 22-24); e = 1 when not use_e."""
    if not use_e:
        return 2.0 - 4.0 * base
    return 2.0 - 4.0 * (base if base > 0.0 else 0.0) ** e


@_inline
def _sq_term(xi, xj, d, R, q, mu, e, use_e, usq):  # type: ignore[no-untyped-def]
    """Q U_sq + (1 - Q)[T U_b + (1 - T) U_w] for challenger at xi and target at xj (eqs. 22-24)."""
    terms = q * usq
    if q < 1.0:
        gap = abs(xi - mu)
        spread = 0.25 * (gap / R + d)
        if gap < abs(xi - xj):
            terms = terms + (1.0 - q) * _util(0.5 - spread, e, use_e)
        else:
            terms = terms + (1.0 - q) * _util(0.5 + spread, e, use_e)
    return terms


@_inline
def _eus(x, s, r, use_r, R, q, mu, both, evaluator, rep, ws):  # type: ignore[no-untyped-def]
    """ws[A, m, p] = E^m(U_mp) and, when ``both``, ws[B, m, p] = E(U_pm) (eqs. 5-7, 25) from P
    in ws[P]; ws[US], ws[UF] hold U_s and U_f priced with the row's exponent."""
    n = x.size
    for i in range(n):
        for j in range(n):
            if rep[j] != j:
                ws[US, i, j] = ws[US, i, rep[j]]
                ws[UF, i, j] = ws[UF, i, rep[j]]
                continue
            d = ws[D, i, j]
            ws[US, i, j] = _util(0.5 - 0.5 * d, r[i], use_r)
            ws[UF, i, j] = ws[US, i, j] if d == 0.0 else _util(0.5 + 0.5 * d, r[i], use_r)
    for i in range(n):
        usq = ws[US, i, i] if use_r else 0.0  # eq. 24: U_s at distance 0 (0.5 ** r_i)
        for j in range(n):
            pij = ws[P, i, j]
            us, uf = ws[US, i, j], ws[UF, i, j]
            v = s[j] * (pij * us + (1.0 - pij) * uf) + (1.0 - s[j]) * us
            ws[A, i, j] = v - _sq_term(x[i], x[j], ws[D, i, j], R, q, mu, r[i], use_r, usq)
    if not both:
        return
    if not evaluator or not use_r:
        for i in range(n):
            for j in range(n):
                ws[B, i, j] = ws[A, j, i]
        return
    for i in range(n):  # E(i challenges j) priced with the target's exponent r_j; b = its transpose
        for j in range(n):
            pij = ws[P, i, j]
            us, uf = ws[US, j, i], ws[UF, j, i]
            v = s[j] * (pij * us + (1.0 - pij) * uf) + (1.0 - s[j]) * us
            usq = ws[US, j, j]
            ws[B, j, i] = v - _sq_term(x[i], x[j], ws[D, i, j], R, q, mu, r[j], use_r, usq)


@_inline
def _risk(x, w, s, R, mu, cfg, q, rep, ws, flat, stack, left, sec, r):  # type: ignore[no-untyped-def]
    """Risk exponents from security into r (eqs. 32-34; eum.risk_exponents); leaves the P of
    exponents 1 in ws[P]."""
    n = x.size
    if cfg[C_RISK] == 1:
        for i in range(n):
            r[i] = 1.0
        return
    _probability(x, w, r, False, cfg[C_PROB], rep, ws, flat, stack, left)
    _eus(x, s, r, False, R, q, mu, False, False, rep, ws)
    for i in range(n):
        if cfg[C_SEC] == 0:  # column sum over adversaries, in row order (numpy's axis-1 sum)
            acc = 0.0
            for j in range(n):
                acc += ws[A, j, i] if j != i else 0.0
            sec[i] = acc
        else:
            for j in range(n):
                flat[j] = ws[A, i, j] if j != i else 0.0
            sec[i] = _pairwise(flat, n, stack, left)
    hi, lo = sec[0], sec[0]
    for i in range(n):
        hi = max(hi, sec[i])
        lo = min(lo, sec[i])
    for i in range(n):
        risk = (2.0 * sec[i] - hi - lo) / (hi - lo) if hi > lo else 0.0
        r[i] = (1.0 - risk / 3.0) / (1.0 + risk / 3.0)


@_inline
def _choose(x, cfg, ws, new, pick):  # type: ignore[no-untyped-def]
    """Offers by octant (Scholz fig. 6, eq. 36) and the one each actor accepts (A4-A6)."""
    n = x.size
    sel = cfg[C_SEL]
    for m in range(n):
        best, best_tier = -1, 99
        bk0, bk1, bk2 = np.inf, np.inf, np.inf
        for q_ in range(n):
            if q_ == m or x[m] == x[q_]:
                continue
            am, bm = ws[A, m, q_], ws[B, m, q_]
            kind = NONE
            if bm > am and am > 0.0 and cfg[C_CONFLICT] == 0:
                kind = CONFRONTATION
            elif bm > 0.0 and am < 0.0 and bm > abs(am):
                kind = COMPROMISE
            elif bm > 0.0 and am < 0.0 and abs(am) > bm and cfg[C_CAPIT] == 0:
                kind = CAPITULATION_OFFER
            if kind == NONE:
                continue
            target = x[q_]
            if kind == COMPROMISE:
                target = x[m] + (x[q_] - x[m]) * abs(am / bm)
            move = abs(target - x[m])
            if sel == 0:  # scholz_code: tiers, then least move / lowest EU-weighted position
                tier = kind
                if kind == COMPROMISE:
                    key = (abs(am) * x[m] + abs(bm) * x[q_]) / (abs(am) + abs(bm))
                else:
                    key = move
                better = tier < best_tier or (tier == best_tier and key < bk0)
                if better:
                    best, best_tier, bk0 = q_, tier, key
            elif sel == 1:
                if move < bk0:
                    best, bk0 = q_, move
            else:  # highest proposer EU, then least move (then lower target)
                k0, k1 = -bm, move
                k2 = target if sel == 3 else 0.0
                if k0 < bk0 or (k0 == bk0 and (k1 < bk1 or (k1 == bk1 and k2 < bk2))):
                    best, bk0, bk1, bk2 = q_, k0, k1, k2
            if best == q_:
                new[m] = target
        if best < 0:
            new[m] = x[m]
        pick[m] = best


@_lean
def _round(x, w, s, R, cfg, q, ws, flat, stack, left, sec, order, rep, r, new, pick
           ):  # type: ignore[no-untyped-def]
    """One simultaneous round of one problem: new positions, exponents r, proposer accepted.
    Under ``paper`` and ``signed_clip`` P takes no exponent, so the P of the risk pass serves
    the round."""
    n = x.size
    live = R > 0.0
    if not live:
        R = 1.0
    _representatives(x, rep)
    _distances(x, R, ws)
    mu = _median(x, w, order)
    _risk(x, w, s, R, mu, cfg, q, rep, ws, flat, stack, left, sec, r)
    if cfg[C_PROB] == 0 or cfg[C_RISK] == 1:
        _probability(x, w, r, cfg[C_PROB] == 0, cfg[C_PROB], rep, ws, flat, stack, left)
    _eus(x, s, r, True, R, q, mu, True, cfg[C_PERSP] == 0, rep, ws)
    _choose(x, cfg, ws, new, pick)
    if not live:
        for i in range(n):
            new[i] = x[i]
            pick[i] = -1


@_lean
def _sequential(x, w, s, R, cfg, q, ws, flat, stack, left, sec, order, rep, new, pick, seq_x,
                seq_r, seq_new, seq_pick):  # type: ignore[no-untyped-def]
    """A13: after the first actor's move, actors move one at a time in list order, each on the
    state its predecessors left (eum._sequential)."""
    n = x.size
    for i in range(n):
        seq_x[i] = x[i]
    seq_x[0] = new[0]
    for m in range(1, n):
        _round(seq_x, w, s, R, cfg, q, ws, flat, stack, left, sec, order, rep, seq_r, seq_new,
               seq_pick)
        seq_x[m] = seq_new[m]
        pick[m] = seq_pick[m]
    for i in range(n):
        new[i] = seq_x[i]


@_lean
def _range(x):  # type: ignore[no-untyped-def]
    lo, hi = x[0], x[0]
    for i in range(x.size):
        lo, hi = min(lo, x[i]), max(hi, x[i])
    return hi - lo


@_lean
def _start(x, w, order):  # type: ignore[no-untyped-def]
    """(initial range, weighted median) of a problem's first positions (no reference counts)."""
    return _range(x), _median(x, w, order)


@_lean
def _stop_median(x, w, order):  # type: ignore[no-untyped-def]
    """The weighted median of positions, called from :func:`run_block` without reference
    counting."""
    return _median(x, w, order)


@_jit
def run_block(x0, c, s, scale, cfg, q, rounds, eps, stable_k):  # type: ignore[no-untyped-def]
    """Every problem to its stop: x0, c, s (B, N); scale (B,). Returns positions (B, T+1, N),
    risk exponents (B, T, N), proposer accepted (B, T, N; -1 none), turns (B,), stable (B,)
    and the forecast (B,), the weighted median of the last positions; T is the rounds run (plus
    one padded round when every problem stopped before the cap); rounds after a problem's stop
    repeat its positions with r = 1 and no offer."""
    b, n = x0.shape
    cap = rounds if cfg[C_STOP] == 0 else min(rounds, FIRST_ROUNDS)
    xs = np.empty((b, cap + 1, n))
    rs = np.ones((b, cap, n))
    picks = np.full((b, cap, n), -1, dtype=np.int64)
    turns = np.zeros(b, dtype=np.int64)
    stable = np.zeros(b, dtype=np.bool_)
    forecast = np.empty(b)
    ws, flat, sec = np.empty((8, n, n)), np.empty(n * n), np.empty(n)
    stack, left = np.zeros((3, 64), dtype=np.int64), np.empty(64)
    order, rep = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    seq_x, seq_r, seq_new = np.empty(n), np.empty(n), np.empty(n)
    seq_pick = np.empty(n, dtype=np.int64)
    x, new, r, w, sp = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    pick = np.empty(n, dtype=np.int64)
    for p in range(b):
        for i in range(n):
            x[i] = x0[p, i]
            w[i] = c[p, i] * s[p, i]
            sp[i] = s[p, i]
            xs[p, 0, i] = x[i]
        initial, mu_prev = _start(x, w, order)
        run, calm = 0, 0
        for t in range(rounds):
            if t == rs.shape[1]:  # median_stable ran past the rounds allocated
                xs, rs, picks = _grow(xs, rs, picks, min(rounds, 2 * t))
            R = initial if cfg[C_RANGE] == 0 else _range(x) if cfg[C_RANGE] == 1 else scale[p]
            _round(x, w, sp, R, cfg, q, ws, flat, stack, left, sec, order, rep, r, new, pick)
            if cfg[C_UPDATE] == 1 and R > 0.0:
                _sequential(x, w, sp, R, cfg, q, ws, flat, stack, left, sec, order, rep, new,
                            pick, seq_x, seq_r, seq_new, seq_pick)
            for i in range(n):
                x[i] = new[i]
                xs[p, t + 1, i] = new[i]
                rs[p, t, i] = r[i]
                picks[p, t, i] = pick[i]
            run = t + 1
            if cfg[C_STOP] == 1:
                mu = _stop_median(x, w, order)
                calm = calm + 1 if abs(mu - mu_prev) < eps else 0
                mu_prev = mu
                if calm >= stable_k:
                    stable[p] = True
                    break
        turns[p] = run
        forecast[p] = _stop_median(x, w, order)
        for t in range(run + 1, xs.shape[1]):
            for i in range(n):
                xs[p, t, i] = x[i]
    last = 0
    for p in range(b):
        last = max(last, turns[p])
    keep = min(last + 1, rounds)
    if keep > rs.shape[1]:
        xs, rs, picks = _grow(xs, rs, picks, keep)
    if keep == rs.shape[1]:  # sized already: no copies
        return xs, rs, picks, turns, stable, forecast
    return (xs[:, :keep + 1].copy(), rs[:, :keep].copy(), picks[:, :keep].copy(), turns,
            stable, forecast)


@_jit
def _grow(xs, rs, picks, cap):  # type: ignore[no-untyped-def]
    """Room for ``cap`` rounds; new rounds repeat each problem's last positions (r = 1, none)."""
    b, t1, n = xs.shape
    xs2 = np.empty((b, cap + 1, n))
    rs2 = np.ones((b, cap, n))
    picks2 = np.full((b, cap, n), -1, dtype=np.int64)
    for p in range(b):
        for t in range(cap + 1):
            for i in range(n):
                xs2[p, t, i] = xs[p, min(t, t1 - 1), i]
        for t in range(t1 - 1):
            for i in range(n):
                rs2[p, t, i] = rs[p, t, i]
                picks2[p, t, i] = picks[p, t, i]
    return xs2, rs2, picks2


def run(x0: np.ndarray, c: np.ndarray, s: np.ndarray, scale: np.ndarray, opts: Any
        ) -> tuple[np.ndarray, ...]:
    """:func:`run_block` on any arrays, through the prebuilt module when there is one."""
    f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    fn = PREBUILT.run_block if PREBUILT is not None else run_block
    return fn(f64(x0), f64(c), f64(s), f64(scale), _codes(opts), float(opts.q),
              int(opts.rounds), float(opts.stable_eps), int(opts.stable_k))


@functools.lru_cache(maxsize=64)
def _codes(opts: Any) -> np.ndarray:
    """:func:`codes`, once per options object (they are frozen, so hashable)."""
    return codes(opts)


def build(output_dir: Path | None = None) -> Path:
    """Compile :func:`run_block` ahead of time into ``_eum_aot`` beside this file, so later
    processes load it without importing numba (see :func:`detente.models.aot.build_module`).

    Run with ``DETENTE_EUM_AOT=0`` (``detente.warm`` does): the loops must be numba's here.
    """
    from detente.models.aot import build_module

    if njit is None:
        raise RuntimeError("building the compiled eum round needs numba, DETENTE_EUM_AOT=0")
    return build_module(AOT_MODULE, "run_block", run_block.py_func, AOT_SIGNATURE,
                        source_digest(), output_dir, error_model="numpy")
