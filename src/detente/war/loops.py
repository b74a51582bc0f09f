"""One week of the §5 war kernel as compiled loops over the runs (numba; ``detente[fast]``).

:mod:`detente.war.kernel` spends its time in numpy's per-call overhead: about 150 array
operations a week on blocks of 8,192 runs, most of them already settled. :func:`week` does the
week's arithmetic one run at a time, operation for operation in the order the numpy kernel
evaluates it (MODELS.md §5.4-5.9), in three passes between which the driver
(:mod:`detente.war.fast`) evaluates the transcendental functions with numpy itself:

0. breakdowns of agreements in force (§5.9); for each run still fighting its weekly costs and
   both sides' believed odds p̂ (§5.6), clipped as in :func:`~detente.war.theory.gamblers_ruin`;
   then numpy takes ``log1p(-p̂)`` and ``log(p̂)``;
1. the exponents of the gambler's ruin, ``a s`` and ``n s`` with s = -|log ω|; numpy ``expm1``;
2. the values of fighting on, the offer and its acceptance (§5.6), the battle, its casualties
   and costs (§5.4-5.5), termination (§5.8) and the week's rows of the outputs.

numpy's ``log``, ``log1p`` and ``expm1`` are SIMD routines on AVX-512 machines that differ from
the C library's in the last bit, so only numpy evaluates them: everything else is exact IEEE
arithmetic (no fused multiply-add, no fast-math), ties and NaNs resolved as numpy's ``maximum``
and ``clip`` resolve them, so the compiled week gives the numpy kernel's numbers bit for bit.

Arrays (rows and offsets named in :mod:`detente.war.layout`): ``state`` (len(STATE), B)
floats and ``counts`` (len(COUNTS), B) integers; ``par`` (len(PARAMS), B) the week's
parameters; ``u`` (B, 4) the week's uniforms (battle, breakdown, collapse of R, collapse of
U); ``scratch`` (SCRATCH x B,) the passes' buffers, of which the first ``m`` (or 2m, 4m)
entries are in use.
"""

from __future__ import annotations

import numpy as np

from detente.war.base import (
    AGREEMENT,
    COLLAPSE_R,
    COLLAPSE_U,
    EXHAUSTED_R,
    EXHAUSTED_U,
    FIGHTING,
    FORCE_FLOOR,
    VICTORY_R,
    VICTORY_U,
)
from detente.war.jit import _inline, _jit, njit  # noqa: F401 (njit: the builds ask)
from detente.war.layout import (
    A_R,
    A_U,
    B_R,
    B_U,
    BREAKDOWNS,
    CAS_R,
    CAS_U,
    COST_R,
    COST_U,
    DL_A,
    DL_B,
    END_WEEK,
    EXPM1,
    EXPONENTS,
    FIRST,
    FORCES_R,
    FORCES_U,
    LOG,
    LOG1P,
    NEG_ODDS,
    ODDS,
    P_CAP_R,
    P_CAP_U,
    P_CASCOST_R,
    P_CASCOST_U,
    P_COLLAPSE_R,
    P_COLLAPSE_U,
    P_COST_R,
    P_COST_U,
    P_EFF_R,
    P_EFF_U,
    P_GUARANTEES,
    P_GVALUE,
    P_LETH_R,
    P_LETH_U,
    P_RECRUIT_R,
    P_RECRUIT_U,
    SHARE,
    START_R,
    START_U,
    STATUS,
    WEEK_COST_R,
    WEEK_COST_U,
    K,
)


@_inline
def _clip(x, lo, hi):  # type: ignore[no-untyped-def]
    """numpy's ``clip``: NaN stays NaN, -0 stays -0."""
    return lo if x < lo else hi if x > hi else x


@_inline
def _floor_zero(x):  # type: ignore[no-untyped-def]
    """numpy's ``maximum(x, 0.0)``: NaN stays NaN, -0 becomes 0."""
    return x if x > 0.0 or x != x else 0.0


@_inline
def _ruin(k, n, p, lw, e_a, e_n):  # type: ignore[no-untyped-def]
    """Gambler's ruin (win, expected battles) from p̂, log ω and expm1 of the two exponents, as
    :func:`detente.war.theory.gamblers_ruin` combines them."""
    if abs(p - 0.5) < 1e-7:
        return k / n, _floor_zero(k * (n - k))
    q = e_a / e_n
    win = 1.0 - q if lw > 0 else q
    return win, _floor_zero((k - n * win) / (1.0 - 2.0 * p))


@_inline
def _gather(b, state, counts, u, par, hazard, threat, idx, scratch):  # type: ignore[no-untyped-def]
    """Pass 0: breakdowns, then the runs still fighting into ``idx``; their costs and odds."""
    m = 0
    for i in range(b):
        if counts[STATUS, i] == AGREEMENT and u[i, 1] < hazard[i]:
            counts[STATUS, i] = FIGHTING
            counts[BREAKDOWNS, i] += 1
            state[SHARE, i] = np.nan
        if counts[STATUS, i] == FIGHTING:
            idx[m] = i
            credibility = state[DL_A, i] / (state[DL_A, i] + state[DL_B, i])
            scratch[WEEK_COST_R * b + m] = (par[P_COST_R, i] + par[P_CASCOST_R, i]
                                            * state[CAS_R, i] + credibility * threat[i])
            scratch[WEEK_COST_U * b + m] = par[P_COST_U, i] + par[P_CASCOST_U, i] * state[CAS_U, i]
            p_r = state[A_R, i] / (state[A_R, i] + state[B_R, i])
            p_u = state[A_U, i] / (state[A_U, i] + state[B_U, i])
            scratch[ODDS * b + m] = _clip(p_r, 1e-12, 1 - 1e-12)
            scratch[ODDS * b + b + m] = _clip(p_u, 1e-12, 1 - 1e-12)
            m += 1
        state[CAS_R, i] = 0.0
        state[CAS_U, i] = 0.0
    for j in range(m):  # U's odds right after R's
        scratch[ODDS * b + m + j] = scratch[ODDS * b + b + j]
    for j in range(2 * m):
        scratch[NEG_ODDS * b + j] = -scratch[ODDS * b + j]
    return m


@_inline
def _exponents(b, n, m, state, idx, scratch):  # type: ignore[no-untyped-def]
    """Pass 1: a s and n s per odds (R's m, then U's m), s = -|log ω| (-1 at fair odds)."""
    for j in range(2 * m):
        p = scratch[ODDS * b + j]
        lw = scratch[LOG1P * b + j] - scratch[LOG * b + j]
        s = -1.0 if abs(p - 0.5) < 1e-7 else -abs(lw)
        k = state[K, idx[j % m]]
        a = n - k if lw > 0 else k
        scratch[EXPONENTS * b + j] = a * s
        scratch[EXPONENTS * b + 2 * m + j] = n * s


@_inline
def _offer(t, rule, win_r, dur_r, win_u, dur_u, c_r, c_u, bonus):  # type: ignore[no-untyped-def]
    """(offer, accepted) as :func:`detente.war.kernel._offer` makes them."""
    v_r = win_r - c_r * dur_r
    x_u_max = 1.0 - (1.0 - win_u - c_u * dur_u) + bonus
    proposer, tioli = rule % 4, (rule // 4) % 2 == 1
    if proposer == 1:
        proposer = 2 if t % 2 == 0 else 3
    if proposer == 0:
        return _clip(0.5 * (v_r + x_u_max), 0.0, 1.0), v_r <= x_u_max
    if proposer == 2:
        guess = _clip(1.0 - (1.0 - win_r - c_u * dur_r) + bonus, 0.0, 1.0)
        x = guess if tioli else 0.5 * (_clip(v_r, 0.0, 1.0) + guess)
        return x, x <= x_u_max and x >= v_r
    guess = _clip(win_u - c_r * dur_u, 0.0, 1.0)
    x = guess if tioli else 0.5 * (guess + _clip(x_u_max, 0.0, 1.0))
    return x, x >= v_r and x <= x_u_max


@_inline
def _battle(i, t, n, bernoulli, state, counts, u, par):  # type: ignore[no-untyped-def]
    """The battle of a run still fighting (§5.4), its costs and termination (§5.8)."""
    fr, fu = state[FORCES_R, i], state[FORCES_U, i]
    er, eu = par[P_EFF_R, i], par[P_EFF_U, i]
    if bernoulli:
        p_true = er / (er + eu)
    else:  # the contest-success function at exponent 1
        a = er * max(fr, 1e-9)
        p_true = a / (a + eu * max(fu, 1e-9))
    r_wins = u[i, 0] < p_true
    k = state[K, i] + (1.0 if r_wins else -1.0)
    if r_wins:
        state[A_R, i] += 1.0
        state[A_U, i] += 1.0
    else:
        state[B_R, i] += 1.0
        state[B_U, i] += 1.0
    cr, cu = par[P_LETH_U, i] * fu, par[P_LETH_R, i] * fr
    fr = _floor_zero(fr + par[P_RECRUIT_R, i] - cr)
    fu = _floor_zero(fu + par[P_RECRUIT_U, i] - cu)
    state[COST_R, i] += par[P_COST_R, i] + par[P_CASCOST_R, i] * cr
    state[COST_U, i] += par[P_COST_U, i] + par[P_CASCOST_U, i] * cu
    state[K, i], state[FORCES_R, i], state[FORCES_U, i] = k, fr, fu
    state[CAS_R, i], state[CAS_U, i] = cr, cu
    if k >= n:
        ended = VICTORY_R
    elif k <= 0:
        ended = VICTORY_U
    elif u[i, 2] < par[P_COLLAPSE_R, i]:
        ended = COLLAPSE_R
    elif u[i, 3] < par[P_COLLAPSE_U, i]:
        ended = COLLAPSE_U
    elif state[COST_R, i] >= par[P_CAP_R, i] or fr < FORCE_FLOOR * state[START_R, i]:
        ended = EXHAUSTED_R
    elif state[COST_U, i] >= par[P_CAP_U, i] or fu < FORCE_FLOOR * state[START_U, i]:
        ended = EXHAUSTED_U
    else:
        return
    counts[STATUS, i] = ended
    if ended in (VICTORY_R, COLLAPSE_U):
        state[SHARE, i] = 1.0
    elif ended in (VICTORY_U, COLLAPSE_R):
        state[SHARE, i] = 0.0
    else:
        state[SHARE, i] = k / n
    counts[END_WEEK, i] = t + 1


@_inline
def _settle(b, t, n, m, rule, state, counts, u, par, hazard, idx, scratch, in_force, front):  # type: ignore[no-untyped-def]
    """Pass 2: offers, settlements, battles; the week's rows. 1 while anything can change."""
    bernoulli = rule // 8 == 1
    for j in range(m):
        i = idx[j]
        k = state[K, i]
        win_r, dur_r = _ruin(k, n, scratch[ODDS * b + j], scratch[LOG1P * b + j]
                             - scratch[LOG * b + j], scratch[EXPM1 * b + j],
                             scratch[EXPM1 * b + 2 * m + j])
        win_u, dur_u = _ruin(k, n, scratch[ODDS * b + m + j], scratch[LOG1P * b + m + j]
                             - scratch[LOG * b + m + j], scratch[EXPM1 * b + m + j],
                             scratch[EXPM1 * b + 3 * m + j])
        x, accept = _offer(t, rule, win_r, dur_r, win_u, dur_u, scratch[WEEK_COST_R * b + j],
                           scratch[WEEK_COST_U * b + j], par[P_GVALUE, i] * par[P_GUARANTEES, i])
        if accept:
            counts[STATUS, i] = AGREEMENT
            state[SHARE, i] = x
            if counts[FIRST, i] < 0:
                counts[FIRST, i] = t
            counts[END_WEEK, i] = t
        else:
            _battle(i, t, n, bernoulli, state, counts, u, par)
    more = 0
    for i in range(b):
        status = counts[STATUS, i]
        in_force[i] = status == AGREEMENT
        front[i] = state[K, i]
        if status == FIGHTING or (status == AGREEMENT and hazard[i] > 0):
            more = 1
    return more


@_jit
def week(step, t, n, m, rule, state, counts, u, par, hazard, threat, idx, scratch, in_force,
         front):  # type: ignore[no-untyped-def]
    """Pass ``step`` (0, 1, 2) of week ``t`` on a front of ``n`` steps with ``m`` runs fighting
    (from pass 0's return value); ``rule`` codes the proposer, offer rule and battle. Returns m
    after pass 0, 0 after pass 1, and after pass 2 whether anything can still change."""
    b = state.shape[1]
    if step == 0:
        return _gather(b, state, counts, u, par, hazard, threat, idx, scratch)
    if step == 1:
        _exponents(b, n, m, state, idx, scratch)
        return 0
    return _settle(b, t, n, m, rule, state, counts, u, par, hazard, idx, scratch, in_force,
                   front)
