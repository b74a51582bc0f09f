"""Compiled turns for KTAB's SMP in its default configuration (optional: ``pip install
detente[fast]``, which brings numba).

For small cases the numpy kernel in :mod:`detente.models.smp` spends its time in numpy's per-call
overhead (about 490 array calls a turn); these loops do the same arithmetic, equation for
equation (MODELS.md §3.3-3.10, the same order of operations where it matters), so they must agree
with the numpy kernel to round-off, which tests check. Only the defaults are compiled: Linear
victory, Conditional PCE, Deterministic transitions, Proportional votes, OneThird, Mid,
SemiCommit, S2P2, InitOnlyInterp, no ideal adjustment; anything else runs on numpy.

Savings that change no bit: in a challenge (§3.8) the estimator i's utilities U^i[m, k] are
tabled once per i (N² utilities) instead of three per (i, j, m) triple (3 N³); a coalition
sum (§3.5) runs once per unordered pair of options, since the vote of k on (b, a) is exactly
the negated vote on (a, b).

:func:`run_batch` takes B problems at once (the coupled model's talks rounds call it with
thousands of 4-actor problems). :func:`build` compiles it ahead of time (``python -m
detente.warm``) into ``_smp_aot`` beside this file, which
:func:`detente.models.smp_prebuilt.prebuilt` loads, without importing numba, when it was built
from this very source (a digest).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is an optional extra
    njit = None

AVAILABLE = njit is not None
AOT_SIGNATURE = ("Tuple((f8[:, :, :, ::1], f8[:, :, ::1], f8[:, :, ::1], i8[::1], f8[::1]))"
                 "(f8[:, :, ::1], f8[:, :, ::1], f8[:, ::1], i8, f8)")
FIRST_TURNS = 32  # turns allocated at first (grown by doubling up to the cap)


def _jit(fn):  # type: ignore[no-untyped-def]
    return njit(cache=True, nogil=True, fastmath=False, error_model="numpy")(fn) \
        if AVAILABLE else fn


@_jit
def _distances(ideal, sal, pts, out):  # type: ignore[no-untyped-def]
    """δ[k, m] into ``out`` (MODELS.md §3.3)."""
    k_n, d_n = ideal.shape
    m_n = pts.shape[0]
    for k in range(k_n):
        total = 0.0
        for d in range(d_n):
            total += sal[k, d] * sal[k, d]
        for m in range(m_n):
            acc = 0.0
            for d in range(d_n):
                diff = ideal[k, d] - pts[m, d]
                acc += sal[k, d] * sal[k, d] * diff * diff
            out[k, m] = math.sqrt(acc / total)


@_jit
def _u(delta, risk):  # type: ignore[no-untyped-def]
    if delta <= 1.0:
        return (1.0 - delta) * (1.0 + delta * risk)
    return (1.0 - delta) * (1.0 + risk)


@_jit
def _victory(opt, weight, c, p):  # type: ignore[no-untyped-def]
    """P[a, b] into ``p`` over options from voters' utilities opt[a, k] (Linear, Proportional).

    C[a, b] = 1e-8 + Σ_k max(w_k (u_ka - u_kb), 0), voters in order; both C[a, b] and C[b, a]
    from one pass (the vote on (b, a) is the vote on (a, b) negated, bit for bit; NaN joins both).
    """
    m_n, k_n = opt.shape
    for a in range(m_n):  # (element indexing throughout: a view of a row costs two atomics)
        c[a, a] = 1e-8
        for b in range(a + 1, m_n):
            acc_ab, acc_ba = 0.0, 0.0
            for k in range(k_n):
                v = weight[k] * (opt[a, k] - opt[b, k])
                if not v <= 0.0:  # NaN propagates, as in the numpy kernel
                    acc_ab += v
                if not v >= 0.0:
                    acc_ba += -v
            c[a, b] = 1e-8 + acc_ab
            c[b, a] = 1e-8 + acc_ba
    for a in range(m_n):
        for b in range(m_n):
            p[a, b] = 0.5 if a == b else c[a, b] / (c[a, b] + c[b, a])


@_jit
def _conditional(p, member, score, prob):  # type: ignore[no-untyped-def]
    """Conditional PCE over the options marked in ``member`` into ``prob`` (MODELS.md §3.6)."""
    m_n = p.shape[0]
    best = -np.inf
    for a in range(m_n):
        score[a] = -np.inf
        if not member[a]:
            continue
        acc = 0.0
        for b in range(m_n):
            if member[b]:
                acc += math.log(p[a, b])
        score[a] = acc
        best = max(best, acc)
    total = 0.0
    for a in range(m_n):
        prob[a] = 0.0
        if member[a]:
            prob[a] = math.exp(score[a] - best)
            total += prob[a]
    for a in range(m_n):
        prob[a] /= total


@_jit
def _round4(x):  # type: ignore[no-untyped-def]
    return math.floor(x * 1e4 + 0.5) / 1e4


@_jit
def _state(pos, sal, cap, delta, risk, shown, reps, w):  # type: ignore[no-untyped-def]
    """δ, the risk attitudes (§3.7) and the outcome probabilities (§3.10.7) of ``pos``, into
    delta (N, N), risk, shown and reps (N,); ``w`` the batch's scratch."""
    opt, c, p, score, prob, member, close, rep = w[0], w[1], w[2], w[6], w[7], w[8], w[9], w[10]
    n, d_n = pos.shape
    _distances(pos, sal, pos, delta)
    # risk attitudes: a PCE over the positions with risk-neutral utilities 1 - δ
    for a in range(n):
        for k in range(n):
            opt[a, k] = 1.0 - delta[k, a]
    _victory(opt, cap, c, p)
    for a in range(n):
        member[a] = True
    _conditional(p, member, score, prob)
    lo, hi = prob[0], prob[0]
    for a in range(n):  # numpy's min and max: NaN wins
        x = prob[a]
        lo = x if x < lo or x != x or lo != lo else lo
        hi = x if x > hi or x != x or hi != hi else hi
    for i in range(n):
        risk[i] = (3 * prob[i] - hi - 2 * lo) / (2 * (hi - lo)) if hi - lo > 0 else 0.0
    # outcome: groups within 1e-3 of a representative, a PCE over the representatives
    for k in range(n):
        for m in range(n):
            acc = 0.0
            for d in range(d_n):
                diff = pos[k, d] - pos[m, d]
                acc += diff * diff
            close[k, m] = math.sqrt(acc) < 1e-3
    for k in range(n):
        rep[k] = True
        for m in range(k):
            if rep[m] and close[k, m]:
                rep[k] = False
                break
    for a in range(n):
        for k in range(n):
            opt[a, k] = _u(delta[k, a], risk[k])
    _victory(opt, cap, c, p)
    _conditional(p, rep, score, prob)
    for k in range(n):
        last = -1
        for m in range(n):
            if rep[m] and close[k, m]:
                last = m
        shown[k] = prob[last]
        reps[k] = prob[k]


@_jit
def _challenges(delta, risk, sigma, weight, target, p_init, est):  # type: ignore[no-untyped-def]
    """Each actor's best challenge and its victory probability (MODELS.md §3.8), into
    ``target`` (-1 for none) and ``p_init``; delta, the (N, N) distances of the state; est,
    (N, N) scratch for est[k, m] = U^i[m, k] = u(δ[m, k]; (2 R_i + R_m) / 3)."""
    n = delta.shape[0]
    for i in range(n):
        r_i = risk[i]
        for m in range(n):
            r_hat = (2 * r_i + risk[m]) / 3
            for k in range(n):
                est[k, m] = _u(delta[m, k], r_hat)
        best, best_j, best_p = -np.inf, -1, 0.0
        uii = est[i, i]
        for j in range(n):
            if j == i:
                continue
            uij, uji, ujj = est[j, i], est[i, j], est[j, j]
            vi = weight[i] * (uii - uij)
            vj = weight[j] * (uji - ujj)
            cij0 = 1e-10 + max(vi, 0.0) + max(vj, 0.0)
            cji0 = 1e-10 + max(-vi, 0.0) + max(-vj, 0.0)
            cij, cji = 0.0, 0.0
            for m in range(n):
                if m == i or m == j:  # noqa: SIM109 (plain compares compile to branches)
                    continue
                umi, umj, umm = est[i, m], est[j, m], est[m, m]
                v0 = weight[m] * (umi - umj)
                cp_ij = cij0 + max(v0, 0.0)
                cp_ji = cji0 + max(-v0, 0.0)
                p_in = cp_ij / (cp_ij + cp_ji)
                p_jn = 1.0 - p_in
                join_i = p_in * (2 * umi + umm) + p_jn * 3 * umj
                join_j = p_in * 3 * umi + p_jn * (2 * umj + umm)
                vn = weight[m] * (join_i - join_j)
                cij += max(vn, 0.0)
                cji += max(-vn, 0.0)
            cij += cij0
            cji += cji0
            prob = cij / (cij + cji)
            s_j = sigma[j]
            eu = (1 - s_j) * 2 * uii + s_j * (prob * 2 * uii + (1 - prob) * 2 * uij)
            gain = eu - (uii + uij)
            if gain > best:
                best, best_j, best_p = gain, j, prob
        target[i] = best_j if best > 1e-5 else -1
        p_init[i] = best_p if best > 1e-5 else 0.0


@_jit
def _turn(pos, sal, cap, delta, risk, new, w, t):  # type: ignore[no-untyped-def]
    """One turn in the default configuration (MODELS.md §3.7-3.10): new positions into ``new``;
    ``w`` and ``t`` the batch's scratch."""
    n, d_n = pos.shape
    opt, c, p, score, prob, member = w[3], w[4], w[5], w[6], w[7], w[8]
    sigma, weight, p_init, est, b_init, b_rcvr, d_bi, d_bj = t
    target = w[11]
    for k in range(n):
        total = 0.0
        for d in range(d_n):
            total += sal[k, d]
        sigma[k] = total
        weight[k] = total * cap[k]
    _challenges(delta, risk, sigma, weight, target, p_init, est)
    # bargains (S2P2, rounded to 4 decimals)
    for i in range(n):
        j = target[i]
        if j < 0:
            continue
        pi, pj = p_init[i], 1.0 - p_init[i]
        for d in range(d_n):
            wi = sal[i, d] ** 2 * pi**2
            wj = sal[j, d] ** 2 * pj**2
            total = wi + 1e-6 + wj
            b_init[i, d] = _round4(((wi + 1e-6) * pos[i, d] + wj * pos[j, d]) / total)
            b_rcvr[i, d] = _round4((wi * pos[i, d] + (wj + 1e-6) * pos[j, d]) / total)
    # value of the status quo and of each bargain to every actor: opt[option, actor]
    _distances(pos, sal, b_init, d_bi)
    _distances(pos, sal, b_rcvr, d_bj)
    for k in range(n):
        base = 0.0
        for m in range(n):
            base += _u(delta[k, m], risk[k])
        opt[0, k] = base / n
        for i in range(n):
            j = target[i]
            if j < 0:
                opt[i + 1, k] = base / n
                continue
            opt[i + 1, k] = (base - _u(delta[k, i], risk[k]) - _u(delta[k, j], risk[k])
                             + _u(d_bi[k, i], risk[k]) + _u(d_bj[k, i], risk[k])) / n
    _victory(opt, cap, c, p)
    for k in range(n):
        for d in range(d_n):
            new[k, d] = pos[k, d]
        member[0] = True
        for i in range(n):
            member[i + 1] = target[i] >= 0 and (i == k or target[i] == k)
        _conditional(p, member, score, prob)
        choice = 0
        for a in range(n + 1):
            if prob[a] > prob[choice]:
                choice = a
        if choice > 0:
            i = choice - 1
            for d in range(d_n):
                new[k, d] = b_init[i, d] if i == k else b_rcvr[i, d]


@_jit
def _grow(positions, shown, reps, size):  # type: ignore[no-untyped-def]
    """The history arrays with room for ``size`` states (the turns run so far copied)."""
    b_n, old, n, d_n = positions.shape
    pos2 = np.empty((b_n, size, n, d_n))
    shown2 = np.empty((b_n, size, n))
    reps2 = np.empty((b_n, size, n))
    pos2[:, :old] = positions
    shown2[:, :old] = shown
    reps2[:, :old] = reps
    return pos2, shown2, reps2


@_jit
def run_batch(pos0, sal, cap, max_turns, stop_ratio):  # type: ignore[no-untyped-def]
    """B problems, each until KTAB's stopping rule (MODELS.md §3.10.6): pos0, sal (B, N, D) on
    the unit scale, cap (B, N). Returns positions (B, T+1, N, D), shown and representative
    probabilities (B, T+1, N), turns (B,) and the last fractional change (B,), T the most turns
    any problem ran; a problem that stopped earlier repeats its last state."""
    b_n, n, d_n = pos0.shape
    size = min(max_turns + 1, FIRST_TURNS)
    positions = np.empty((b_n, size, n, d_n))
    shown = np.empty((b_n, size, n))
    reps = np.empty((b_n, size, n))
    turns = np.zeros(b_n, dtype=np.int64)
    ratio = np.full(b_n, np.nan)
    # scratch, allocated once: victory over N options (opt, C, P), over N+1 (the bargains),
    # a PCE's score/prob/member, the outcome's groups, the challenge targets; the turn's own
    w = (np.empty((n, n)), np.empty((n, n)), np.empty((n, n)),
         np.empty((n + 1, n)), np.empty((n + 1, n + 1)), np.empty((n + 1, n + 1)),
         np.empty(n + 1), np.empty(n + 1), np.zeros(n + 1, dtype=np.bool_),
         np.zeros((n, n), dtype=np.bool_), np.zeros(n, dtype=np.bool_),
         np.full(n, -1, dtype=np.int64))
    t_w = (np.empty(n), np.empty(n), np.empty(n), np.empty((n, n)), np.empty((n, d_n)),
           np.empty((n, d_n)), np.empty((n, n)), np.empty((n, n)))
    delta, risk = np.empty((n, n)), np.empty(n)
    pos, new = np.empty((n, d_n)), np.empty((n, d_n))
    longest = 0
    for b in range(b_n):
        s, c = sal[b], cap[b]
        for k in range(n):
            for d in range(d_n):
                pos[k, d] = pos0[b, k, d]
                positions[b, 0, k, d] = pos0[b, k, d]
        _state(pos, s, c, delta, risk, shown[b, 0], reps[b, 0], w)
        first = 0.0
        for t in range(1, max_turns + 1):
            if t == positions.shape[1]:
                positions, shown, reps = _grow(positions, shown, reps, min(max_turns + 1, 2 * t))
            _turn(pos, s, c, delta, risk, new, w, t_w)
            change = 0.0
            for k in range(n):
                acc = 0.0
                for d in range(d_n):
                    acc += (new[k, d] - pos[k, d]) ** 2
                change += math.sqrt(acc)
            if t == 1:
                first = change
            ratio[b] = change / (first + 1e-4)
            turns[b] = t
            for k in range(n):
                for d in range(d_n):
                    pos[k, d] = new[k, d]
                    positions[b, t, k, d] = new[k, d]
            _state(pos, s, c, delta, risk, shown[b, t], reps[b, t], w)
            if t >= 2 and ratio[b] < stop_ratio:
                break
        longest = max(longest, turns[b])
    for b in range(b_n):
        for t in range(turns[b] + 1, longest + 1):
            positions[b, t] = positions[b, turns[b]]
            shown[b, t] = shown[b, turns[b]]
            reps[b, t] = reps[b, turns[b]]
    keep = longest + 1
    return (positions[:, :keep].copy(), shown[:, :keep].copy(), reps[:, :keep].copy(), turns,
            ratio)


def build(output_dir: Path | None = None) -> Path:
    """Compile :func:`run_batch` ahead of time into ``_smp_aot`` beside this file (see
    :func:`detente.models.aot.build_module`)."""
    from detente.models.aot import build_module
    from detente.models.smp_prebuilt import AOT_MODULE, loops_digest

    if njit is None:
        raise RuntimeError("building the compiled smp turns needs numba")
    return build_module(AOT_MODULE, "run_batch", run_batch.py_func, AOT_SIGNATURE,
                        loops_digest(), output_dir, error_model="numpy")
