"""A compiled turn for KTAB's SMP in its default configuration (optional: ``pip install
detente[fast]``, which brings numba).

For small cases the numpy kernel in :mod:`detente.models.smp` spends its time in numpy's per-call
overhead (about 490 array calls a turn); these loops do the same arithmetic, equation for
equation (MODELS.md §3.3-3.10, the same order of operations where it matters), so they must agree
with the numpy kernel to round-off, which tests check. Only the defaults are compiled: Linear
victory, Conditional PCE, Deterministic transitions, Proportional votes, OneThird, Mid,
SemiCommit, S2P2, InitOnlyInterp, no ideal adjustment; anything else runs on numpy.
"""

from __future__ import annotations

import math

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is an optional extra
    njit = None

AVAILABLE = njit is not None


def _jit(fn):  # type: ignore[no-untyped-def]
    return njit(cache=True, fastmath=False, error_model="numpy")(fn) if AVAILABLE else fn


@_jit
def _distances(ideal, sal, pts):  # type: ignore[no-untyped-def]
    k_n, d_n = ideal.shape
    m_n = pts.shape[0]
    out = np.empty((k_n, m_n))
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
    return out


@_jit
def _u(delta, risk):  # type: ignore[no-untyped-def]
    if delta <= 1.0:
        return (1.0 - delta) * (1.0 + delta * risk)
    return (1.0 - delta) * (1.0 + risk)


@_jit
def _victory(util, weight):  # type: ignore[no-untyped-def]
    """P[a, b] over options from voters' utilities util[k, a] (Linear, Proportional)."""
    k_n, m_n = util.shape
    c = np.full((m_n, m_n), 1e-8)
    for a in range(m_n):
        for b in range(m_n):
            if a == b:
                continue
            acc = 0.0
            for k in range(k_n):
                v = weight[k] * (util[k, a] - util[k, b])
                if not v <= 0.0:  # NaN propagates, as in the numpy kernel
                    acc += v
            c[a, b] = 1e-8 + acc
    p = np.empty((m_n, m_n))
    for a in range(m_n):
        for b in range(m_n):
            p[a, b] = 0.5 if a == b else c[a, b] / (c[a, b] + c[b, a])
    return p


@_jit
def _conditional(p, member):  # type: ignore[no-untyped-def]
    """Conditional PCE over the options marked in ``member`` (MODELS.md §3.6)."""
    m_n = p.shape[0]
    score = np.full(m_n, -np.inf)
    best = -np.inf
    for a in range(m_n):
        if not member[a]:
            continue
        acc = 0.0
        for b in range(m_n):
            if member[b]:
                acc += math.log(p[a, b])
        score[a] = acc
        best = max(best, acc)
    prob = np.zeros(m_n)
    total = 0.0
    for a in range(m_n):
        if member[a]:
            prob[a] = math.exp(score[a] - best)
            total += prob[a]
    for a in range(m_n):
        prob[a] /= total
    return prob


@_jit
def _risk(delta, cap):  # type: ignore[no-untyped-def]
    n = delta.shape[0]
    p = _victory(1.0 - delta, cap)
    prob = _conditional(p, np.ones(n, dtype=np.bool_))
    lo, hi = prob.min(), prob.max()
    out = np.zeros(n)
    if hi - lo > 0:
        for i in range(n):
            out[i] = (3 * prob[i] - hi - 2 * lo) / (2 * (hi - lo))
    return out


@_jit
def _round4(x):  # type: ignore[no-untyped-def]
    return math.floor(x * 1e4 + 0.5) / 1e4


@_jit
def _outcome(pos, delta, risk, cap):  # type: ignore[no-untyped-def]
    """Per-actor shown probabilities and the representatives' probabilities (§3.10.7)."""
    n, d_n = pos.shape
    close = np.zeros((n, n), dtype=np.bool_)
    for k in range(n):
        for m in range(n):
            acc = 0.0
            for d in range(d_n):
                diff = pos[k, d] - pos[m, d]
                acc += diff * diff
            close[k, m] = math.sqrt(acc) < 1e-3
    rep = np.zeros(n, dtype=np.bool_)
    for k in range(n):
        rep[k] = True
        for m in range(k):
            if rep[m] and close[k, m]:
                rep[k] = False
                break
    own = np.empty((n, n))
    for k in range(n):
        for m in range(n):
            own[k, m] = _u(delta[k, m], risk[k])
    prob = _conditional(_victory(own, cap), rep)
    shown = np.empty(n)
    for k in range(n):
        last = -1
        for m in range(n):
            if rep[m] and close[k, m]:
                last = m
        shown[k] = prob[last]
    return shown, prob


@_jit
def _turn(pos, sal, cap, delta, risk):  # type: ignore[no-untyped-def]
    """One turn in the default configuration (MODELS.md §3.7-3.10)."""
    n, d_n = pos.shape
    sigma = sal.sum(axis=1)
    weight = sigma * cap
    target = np.full(n, -1)
    p_init = np.zeros(n)
    for i in range(n):
        best, best_j, best_p = -np.inf, -1, 0.0
        r_i = risk[i]
        for j in range(n):
            if j == i:
                continue
            # U^i[k, m] = u(δ[k, m]; (2 R_i + R_k) / 3)
            uii = _u(delta[i, i], (2 * r_i + risk[i]) / 3)
            uij = _u(delta[i, j], (2 * r_i + risk[i]) / 3)
            uji = _u(delta[j, i], (2 * r_i + risk[j]) / 3)
            ujj = _u(delta[j, j], (2 * r_i + risk[j]) / 3)
            vi = weight[i] * (uii - uij)
            vj = weight[j] * (uji - ujj)
            cij0 = 1e-10 + max(vi, 0.0) + max(vj, 0.0)
            cji0 = 1e-10 + max(-vi, 0.0) + max(-vj, 0.0)
            cij, cji = 0.0, 0.0
            for m in range(n):
                if m == i or m == j:  # noqa: SIM109 (plain compares compile to branches)
                    continue
                r_hat = (2 * r_i + risk[m]) / 3
                umi = _u(delta[m, i], r_hat)
                umj = _u(delta[m, j], r_hat)
                umm = _u(delta[m, m], r_hat)
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
        if best > 1e-5:
            target[i] = best_j
            p_init[i] = best_p
    # bargains (S2P2, rounded to 4 decimals)
    b_init = np.empty((n, d_n))
    b_rcvr = np.empty((n, d_n))
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
    # value of the status quo and of each bargain to every actor
    own = np.empty((n, n))
    for k in range(n):
        for m in range(n):
            own[k, m] = _u(delta[k, m], risk[k])
    values = np.empty((n, n + 1))
    d_bi = _distances(pos, sal, b_init)
    d_bj = _distances(pos, sal, b_rcvr)
    for k in range(n):
        base = own[k].sum()
        values[k, 0] = base / n
        for i in range(n):
            j = target[i]
            if j < 0:
                values[k, i + 1] = base / n
                continue
            values[k, i + 1] = (base - own[k, i] - own[k, j] + _u(d_bi[k, i], risk[k])
                                + _u(d_bj[k, i], risk[k])) / n
    p = _victory(values, cap)
    new = pos.copy()
    for k in range(n):
        member = np.zeros(n + 1, dtype=np.bool_)
        member[0] = True
        for i in range(n):
            if target[i] >= 0 and (i == k or target[i] == k):
                member[i + 1] = True
        prob = _conditional(p, member)
        choice = 0
        for a in range(n + 1):
            if prob[a] > prob[choice]:
                choice = a
        if choice > 0:
            i = choice - 1
            for d in range(d_n):
                new[k, d] = b_init[i, d] if i == k else b_rcvr[i, d]
    return new


@_jit
def run_one(pos0, sal, cap, max_turns, stop_ratio):  # type: ignore[no-untyped-def]
    """One problem until KTAB's stopping rule; returns the same arrays as ``run_smp``."""
    n, d_n = pos0.shape
    positions = np.empty((max_turns + 1, n, d_n))
    shown = np.empty((max_turns + 1, n))
    reps = np.empty((max_turns + 1, n))
    positions[0] = pos0
    delta = _distances(pos0, sal, pos0)
    risk = _risk(delta, cap)
    shown[0], reps[0] = _outcome(pos0, delta, risk, cap)
    first, ratio, turns = 0.0, np.nan, 0
    pos = pos0.copy()
    for t in range(1, max_turns + 1):
        new = _turn(pos, sal, cap, delta, risk)
        change = 0.0
        for k in range(n):
            acc = 0.0
            for d in range(d_n):
                acc += (new[k, d] - pos[k, d]) ** 2
            change += math.sqrt(acc)
        if t == 1:
            first = change
        ratio = change / (first + 1e-4)
        turns = t
        pos = new
        positions[t] = pos
        delta = _distances(pos, sal, pos)
        risk = _risk(delta, cap)
        shown[t], reps[t] = _outcome(pos, delta, risk, cap)
        if t >= 2 and ratio < stop_ratio:
            break
    return positions[: turns + 1], shown[: turns + 1], reps[: turns + 1], turns, ratio
