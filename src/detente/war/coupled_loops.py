"""The coupled kernel's week of fighting (MODELS.md §7.6, §5.4, §5.8) and its third parties'
step (§7.5) as compiled loops over the runs (numba; ``detente[fast]``); :func:`parties` is
described where it is defined.

:meth:`detente.war.coupled._Simulation.fight` is several dozen numpy steps a week on the runs
still fighting. :func:`fight` does the same arithmetic one run at a time, operation for
operation in the order the numpy step evaluates it, in two passes between which the driver
(:mod:`detente.war.coupled_fast`) takes numpy's own ``exp`` (on AVX-512 machines numpy's SIMD
exp differs from the C library's in the last bit, so only numpy evaluates it):

0. the battle (R's contest-success probability, the Bernoulli signal both sides learn from), the
   front's move (drift outside the stalemate band, noise, fortifications; or the lattice's ±1
   step), casualties, forces, the week's costs (R's revenue shortfall and intensity), discontent's
   decay and the red lines' softening; then the exponent of R's collapse hazard, which numpy
   exponentiates in place;
1. the ends of the war, the last that holds of: U exhausted, R exhausted, U collapses, R
   collapses, U wins, R wins (the numpy step's order, each overwriting the one before); the
   front clipped to [0, 1].

Every operation is exact IEEE arithmetic (no fused multiply-add, no fast-math) with ``maximum``
and ``minimum`` resolved as numpy resolves them (NaN propagates; of two equal values, the
second), so the compiled week gives the numpy step's numbers bit for bit
(tests/test_coupled_fast.py). Where the numpy step adds +0.0 to a run that is not fighting
(its costs, beliefs and red lines' softening), the loops leave the value as it is: the same
unless it is -0, which these never are (each starts at +0 or above and only sums, and a sum is
-0 only when both terms are).

Arrays (rows named in :mod:`detente.war.coupled_layout`), B runs: ``par`` (len(PAR), B) the
week's parameters in force; ``fixed`` (len(FIXED), B) the simulation's constants; ``state``
(len(STATE), B) the state, updated in place; ``tempo`` (B,) the month's tempo; ``fort`` (2, F)
the fortified bands' starts and widths, ``fort_factor`` (B, F); ``engaged`` and ``aid`` (J, B)
the third parties' engagement and aid; ``red`` (2 Lr, B) the red lines' softening thresholds,
then their steps, ``red_r`` (Lr,) whether R holds each, ``red_offset`` (Lr, B); ``draws`` (4, B)
the week's battle uniform, front noise, R's and U's collapse uniforms; ``status`` and
``end_week`` (B,) integers; ``high`` (B,) R's high intensity.
"""

from __future__ import annotations

import numpy as np

from detente.war.base import (
    COLLAPSE_R,
    COLLAPSE_U,
    EXHAUSTED_R,
    EXHAUSTED_U,
    FIGHTING,
    FORCE_FLOOR,
    VICTORY_R,
    VICTORY_U,
)
from detente.war.coupled_layout import (
    BAND,
    BELIEF_RA,
    BELIEF_RB,
    BELIEF_UA,
    BELIEF_UB,
    CAP_R,
    CAP_U,
    CAS_R,
    CAS_U,
    CASCOST_R,
    CASCOST_U,
    COLLAPSE_R_P,
    COLLAPSE_U_P,
    COST_R,
    COST_R_P,
    COST_U,
    COST_U_P,
    DECAY,
    DISCONTENT,
    EFF_R,
    EFF_U,
    EPS,
    EXIT_BASE,
    EXIT_SLOPE,
    FORCES0_R,
    FORCES0_U,
    FORCES_R,
    FORCES_U,
    FRUST_ESC,
    FRUST_FAILED,
    HAZARD,
    HIGH_COST,
    HIGH_REVENUE,
    HIGH_TEMPO,
    LETH_R,
    LETH_U,
    NOISE,
    OUTPUT,
    PERSIST,
    PRICE,
    RECRUIT_R,
    RECRUIT_U,
    RET_BASE,
    RET_SLOPE,
    REVENUE0,
    SHORTFALL,
    SLOPE,
    STEP,
    U_BATTLE,
    U_COLLAPSE_R,
    U_COLLAPSE_U,
    K,
)
from detente.war.jit import _inline, _jit, njit  # noqa: F401 (njit: the builds ask)


@_inline
def _max(a, b):  # type: ignore[no-untyped-def]
    """numpy's ``maximum``: NaN propagates; of two equal values (0 and -0), the second."""
    return a if a > b or a != a else b


@_inline
def _min(a, b):  # type: ignore[no-untyped-def]
    """numpy's ``minimum``, as :func:`_max`."""
    return a if a < b or a != a else b


@_jit
def fight(stage, t, lattice, steps, csf, par, fixed, state, tempo, fort, fort_factor,  # type: ignore[no-untyped-def]
          engaged, aid, red, red_r, red_offset, draws, status, end_week, high):
    """Pass ``stage`` (0 or 1, see the module docstring) of week ``t``'s fighting; ``csf``: the
    contest-success battle at exponent 1 (else Bernoulli); returns the runs fighting."""
    b = status.shape[0]
    j_n = engaged.shape[0]
    f_n = fort.shape[1]
    l_n = red_r.shape[0]
    fighting = 0
    for i in range(b):
        on = status[i] == FIGHTING
        fighting += on
        if stage == 1:
            if not on:
                state[K, i] = _min(_max(state[K, i], 0.0), 1.0)
                continue
            fr, fu, k = state[FORCES_R, i], state[FORCES_U, i], state[K, i]
            hazard_r = par[COLLAPSE_R_P, i] * state[HAZARD, i]
            ended = FIGHTING
            if state[COST_U, i] >= fixed[CAP_U, i] or fu < FORCE_FLOOR * fixed[FORCES0_U, i]:
                ended = EXHAUSTED_U
            if state[COST_R, i] >= fixed[CAP_R, i] or fr < FORCE_FLOOR * fixed[FORCES0_R, i]:
                ended = EXHAUSTED_R
            if draws[U_COLLAPSE_U, i] < par[COLLAPSE_U_P, i]:
                ended = COLLAPSE_U
            if draws[U_COLLAPSE_R, i] < hazard_r:
                ended = COLLAPSE_R
            if k <= 0.0:
                ended = VICTORY_U
            if k >= 1.0:
                ended = VICTORY_R
            if ended != FIGHTING:
                status[i] = ended
                end_week[i] = t + 1
            state[K, i] = _min(_max(k, 0.0), 1.0)
            continue
        state[CAS_R, i] = 0.0
        state[CAS_U, i] = 0.0
        if not on:  # every value stays; the others add +0.0 (see the module docstring)
            state[HAZARD, i] = fixed[SLOPE, i] * state[DISCONTENT, i]
            continue
        fr, fu = state[FORCES_R, i], state[FORCES_U, i]
        if j_n:  # U's aid multiplier 1 + Σ_j a_j·aid_j, summed in the parties' order
            total = engaged[0, i] * aid[0, i]
            for j in range(1, j_n):
                total += engaged[j, i] * aid[j, i]
            eff_u = par[EFF_U, i] * (1.0 + total)
        else:
            eff_u = par[EFF_U, i] * 1.0
        eff_r = par[EFF_R, i]
        if csf:
            a = eff_r * _max(fr, 1e-9)
            prob = a / (a + eff_u * _max(fu, 1e-9))
        else:
            prob = eff_r / (eff_r + eff_u)
        wins = draws[U_BATTLE, i] < prob
        won, lost = (1.0, 0.0) if wins else (0.0, 1.0)
        state[BELIEF_RA, i] += won
        state[BELIEF_RB, i] += lost
        state[BELIEF_UA, i] += won
        state[BELIEF_UB, i] += lost
        hi = high[i]
        iota = fixed[HIGH_TEMPO, i] if hi else 1.0
        hf = 1.0 if hi else 0.0
        k = state[K, i]
        if lattice:
            moved = (np.rint(k * steps) + (1.0 if wins else -1.0)) / steps
        else:
            edge = prob - 0.5
            drift = 0.0 if abs(edge) < fixed[BAND, i] else tempo[i] * iota * edge * fixed[STEP, i]
            move = drift + fixed[NOISE, i] * draws[EPS, i]
            for f in range(f_n):
                if k >= fort[0, f] and k < fort[0, f] + fort[1, f] and move > 0:
                    move = move * fort_factor[i, f]
            moved = k + move
        cr = par[LETH_U, i] * fu * iota
        cu = par[LETH_R, i] * fr * iota
        fr = _max(fr + par[RECRUIT_R, i] - cr, 0.0)
        fu = _max(fu + par[RECRUIT_U, i] - cu, 0.0)
        state[FORCES_R, i], state[FORCES_U, i] = fr, fu
        state[CAS_R, i], state[CAS_U, i] = cr, cu
        state[K, i] = moved
        revenue = par[OUTPUT, i] * par[PRICE, i] * (1.0 - hf * fixed[HIGH_REVENUE, i])
        short = _max(0.0, 1.0 - revenue / fixed[REVENUE0, i])
        base = par[COST_R_P, i] + par[CASCOST_R, i] * cr
        cost_r = state[COST_R, i] + (base + par[SHORTFALL, i] * short) * (
            1.0 + hf * fixed[HIGH_COST, i])
        cost_u = state[COST_U, i] + (par[COST_U_P, i] + par[CASCOST_U, i] * cu)
        state[COST_R, i], state[COST_U, i] = cost_r, cost_u
        discontent = state[DISCONTENT, i] * fixed[DECAY, i]
        state[DISCONTENT, i] = discontent
        for li in range(l_n):
            holder = cost_r if red_r[li] else cost_u
            if holder > red[li, i]:
                red_offset[li, i] += red[l_n + li, i]
        state[HAZARD, i] = fixed[SLOPE, i] * discontent
    return fighting


@_jit
def parties(stage, th, phi, engaged, retaliated, failed, high, status, z, draws):  # type: ignore[no-untyped-def]
    """Pass ``stage`` of the week's third parties (§7.5), after the fighting, on (J, B) arrays:
    0. each party's frustration φ ← ρφ + f·1[talks failed] + g·1[high intensity] in the runs
       still fighting, and where it is engaged there the logits of retaliation and exit into
       ``z`` (2, J, B), which scipy's ``expit`` turns into probabilities in place;
    1. an engaged party retaliates when its probability exceeds its uniform (``draws`` (2, J,
       B)) and exits (engagement 0) likewise. Returns the (party, run) pairs that exited."""
    j_n, b = phi.shape
    gone = 0
    for i in range(b):
        if status[i] != FIGHTING:
            continue
        for j in range(j_n):
            if stage == 0:
                value = th[PERSIST, j, i] * phi[j, i] + th[FRUST_FAILED, j, i] * (
                    1.0 if failed[i] else 0.0) + th[FRUST_ESC, j, i] * (1.0 if high[i] else 0.0)
                phi[j, i] = value
                if engaged[j, i] > 0:
                    z[0, j, i] = th[RET_BASE, j, i] + th[RET_SLOPE, j, i] * value
                    z[1, j, i] = th[EXIT_BASE, j, i] + th[EXIT_SLOPE, j, i] * value
            elif engaged[j, i] > 0:
                if z[0, j, i] > draws[0, j, i]:
                    retaliated[j, i] = True
                if z[1, j, i] > draws[1, j, i]:
                    engaged[j, i] = 0.0
                    gone += 1
    return gone
