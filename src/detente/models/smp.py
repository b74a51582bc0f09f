"""KTAB's Spatial Model of Politics with Probabilistic Condorcet Elections (MODELS.md §3).

Every actor bargains on several dimensions at once. Each turn (§3.7-3.10): risk attitudes come
from a PCE over the actors' positions; each actor challenges the rival whose challenge it expects
to gain most from, with third parties joining the side they expect to win (§3.8); the challenge's
victory probability and the actors' saliences give a bargain (§3.9); every actor then picks,
by a PCE over its queue of bargains, the one the group most likely accepts, and adopts its side.

The kernel is an array program over (batch, actor, actor, actor): the O(N³) of a turn is a few
tensor operations instead of KTAB's nested loops and per-intermediate SQLite writes. Positions
and saliences are on the unit scale inside (KTAB reads 0-100 and divides by 100). The nine
parameters of KTAB's XML schema are options with KTAB's CSV defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.compile import Batch
from detente.errors import ModelError
from detente.models.base import Trajectory
from detente.models.smp_prebuilt import prebuilt
from detente.options import SMPOptions
from detente.seeds import Streams

VICTORY_EXPONENT = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}
RISK_ADJUST = {"Full": 0.0, "TwoThirds": 1 / 3, "Half": 0.5, "OneThird": 2 / 3, "No": 1.0}
STEP_EPS = 1e-6  # bargain interpolation ε (§3.9)
GROUP_TOL = 1e-3  # positions closer than this (unit scale) count as one option (§3.10.7)


# -- utilities and votes --------------------------------------------------------------------------

def distances(ideal: np.ndarray, salience: np.ndarray, points: np.ndarray) -> np.ndarray:
    """δ[b, k, m]: salience-weighted distance from k's ideal to point m (MODELS.md §3.3).

    δ_k(y) = sqrt(Σ_d s_kd² (x̂_kd - y_d)² / Σ_d s_kd²); ideal, salience (B, K, D), points (B, M, D).
    """
    s2 = salience**2
    diff2 = (ideal[:, :, None, :] - points[:, None, :, :]) ** 2
    total = s2.sum(axis=2)[:, :, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(np.einsum("bkd,bkmd->bkm", s2, diff2) / total)


def utility(delta: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """u(δ; R) = (1 - δ)(1 + δR) for δ <= 1, (1 - δ)(1 + R) beyond (KTAB's round-off guard,
    evaluated only where some δ is beyond 1: round-off, or a NaN)."""
    near = (1.0 - delta) * (1.0 + delta * risk)
    if (delta <= 1.0).all():
        return near
    return np.where(delta <= 1.0, near, (1.0 - delta) * (1.0 + risk))


def vote(weight: np.ndarray, ua: np.ndarray, ub: np.ndarray, rule: str) -> np.ndarray:
    """v_k(a:b) for utility difference Δ = u_a - u_b (MODELS.md §3.4)."""
    d = ua - ub
    if rule == "Proportional":
        return weight * d
    binary = np.clip(d / 1e-8, -1.0, 1.0)
    if rule == "Binary":
        return weight * binary
    if rule == "PropBin":
        return weight * (0.8 * d + 0.2 * binary)
    if rule == "PropCbc":
        return weight * (0.5 * d + 0.5 * d**3)
    if rule == "Cubic":
        return weight * d**3
    return weight * np.where(d < 0, d, 2.0 / 3.0 * d)  # ASymProsp


def victory(c_ab: np.ndarray, c_ba: np.ndarray, model: str) -> np.ndarray:
    """P[a ≻ b] from coalition strengths (MODELS.md §3.5)."""
    if model == "Binary":
        ratio = c_ab / (c_ab + c_ba)
        ramp = np.clip((2.1 * ratio - 1.0) / 0.1, 0.0, 1.0)
        win = np.where(c_ab >= 1.1 * c_ba, 1.0, np.where(c_ba >= 1.1 * c_ab, 0.0, ramp))
        # KTAB gives the loser a floor of 1e-6 instead of 0
        return np.where(win == 1.0, 1.0 / (1.0 + 1e-6), np.where(win == 0.0, 1e-6 / (1 + 1e-6),
                                                                   win))
    nu = VICTORY_EXPONENT[model]
    a, b = c_ab**nu, c_ba**nu
    return a / (a + b)


def pairwise(util: np.ndarray, weight: np.ndarray, opts: SMPOptions) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Coalitions C (B, M, M) and victory probabilities P over M options; util is (B, K, M)."""
    v = vote(weight[:, :, None, None], util[:, :, :, None], util[:, :, None, :], opts.VotingRule)
    coalition = 1e-8 + np.maximum(v, 0.0).sum(axis=1)
    m = util.shape[2]
    eye = np.eye(m, dtype=bool)
    coalition = np.where(eye, 1e-8, coalition)
    p = victory(coalition, np.swapaxes(coalition, 1, 2), opts.VictoryProbModel)
    return coalition, np.where(eye, 0.5, p)


def pce(p: np.ndarray, coalition: np.ndarray, member: np.ndarray, opts: SMPOptions
        ) -> tuple[np.ndarray, np.ndarray]:
    """Probability that each option is the group's choice (MODELS.md §3.6).

    p, coalition: (B, M, M) over all options; member (B, Q, M) marks which options take part in
    each of Q separate elections (KTAB's queues). Returns (B, Q, M) probabilities (0 off the
    ballot) and a (B, Q) flag of Markov iterations that did not converge.
    """
    memb = member.astype(float)
    if opts.PCEModel == "Conditional":
        score = np.einsum("bam,bqm->bqa", np.log(p), memb)  # log Π_b P[a ≻ b] over the ballot
        score = np.where(member, score, -np.inf)
        score -= score.max(axis=2, keepdims=True)
        w = np.exp(score)
        return w / w.sum(axis=2, keepdims=True), np.zeros(member.shape[:2], dtype=bool)
    size = memb.sum(axis=2, keepdims=True)
    prob = memb / size
    if opts.PCEModel == "MarkovIncentive":
        incentive = coalition * p + np.eye(p.shape[1])[None] * 1e-10
        # π[a→b] = n[a→b] / Σ_c n[c→b], the sum running over the options on the ballot
        col = np.einsum("bcm,bqc->bqm", incentive, memb)
        tol = 1e-8
    else:
        tol = 1e-6
    converged = np.zeros(member.shape[:2], dtype=bool)
    for _ in range(opts.markov_max_iterations):
        if opts.PCEModel == "MarkovUniform":
            # q_a = (1/M) Σ_b P[a≻b](p_a + p_b)
            pb = np.einsum("bam,bqm->bqa", p, prob * memb)
            pa = np.einsum("bam,bqm->bqa", p, memb) * prob
            q = (pa + pb) / size
        else:
            pi = incentive[:, None] / col[:, :, None, :]  # π[a→b] (B, Q, M, M)
            # q_a = Σ_b P[a≻b] (p_a π[b→a] + p_b π[a→b])
            t1 = prob * np.einsum("bam,bqma,bqm->bqa", p, pi, memb)
            t2 = np.einsum("bam,bqam,bqm->bqa", p, pi, prob * memb)
            q = t1 + t2
        q = np.where(member, q, 0.0)
        done = np.abs(q - prob).max(axis=2) < tol
        prob = 0.5 * (prob + q)
        converged |= done
        if converged.all():
            break
    prob = prob / prob.sum(axis=2, keepdims=True)
    return prob, ~converged


def risk_attitudes(delta: np.ndarray, cap: np.ndarray, opts: SMPOptions) -> np.ndarray:
    """R_i from a PCE over the actors' positions with risk-neutral utilities (MODELS.md §3.7).

    ``delta`` holds the distances from every actor's ideal to every actor's position.
    """
    u0 = 1.0 - delta
    coalition, p = pairwise(u0, cap, opts)
    b, n = delta.shape[:2]
    prob, _ = pce(p, coalition, np.ones((b, 1, n), dtype=bool), opts)
    prob = prob[:, 0]
    lo, hi = prob.min(axis=1, keepdims=True), prob.max(axis=1, keepdims=True)
    spread = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        if opts.BigRRange == "Min":
            r = (prob - lo) / spread
        elif opts.BigRRange == "Mid":
            r = (3 * prob - hi - 2 * lo) / (2 * spread)
        else:
            r = (2 * prob - hi - lo) / spread
    return np.where(spread > 0, r, 0.0)  # KTAB divides by zero here; detente sets R = 0


# -- challenges ---------------------------------------------------------------------------------

ROW_BLOCK = 16  # challengers per block when N is large: bounds memory, spreads over cores


def challenge_matrix(util_h: np.ndarray, weight: np.ndarray, sigma: np.ndarray, opts: SMPOptions
                     ) -> tuple[np.ndarray, np.ndarray]:
    """P and gain of §3.8 for every (i, j); large N runs in blocks of challengers (so the
    intermediate arrays stay small)."""
    n = util_h.shape[1]
    if n < 3 * ROW_BLOCK:
        return challenge_rows(util_h, weight, sigma, opts, np.arange(n))
    parts = [challenge_rows(util_h, weight, sigma, opts, np.arange(k, min(k + ROW_BLOCK, n)))
             for k in range(0, n, ROW_BLOCK)]
    return np.concatenate([p for p, _ in parts], 1), np.concatenate([g for _, g in parts], 1)


def challenge_rows(util_h: np.ndarray, weight: np.ndarray, sigma: np.ndarray, opts: SMPOptions,
                   rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h's estimate of i challenging j, for every (i, j) at once (MODELS.md §3.8).

    util_h[b, i, n, m]: the estimator's view of n's utility for m's position, where the estimator
    of the pair (i, j) is given by the caller (i itself for InitOnlyInterp). Returns P[b, i, j]
    (victory probability of i over j, always linear) and gain[b, i, j] = ΔEU of the challenge
    to the challenger i.
    """
    n = util_h.shape[1]
    util = util_h[:, rows]  # the challengers' own estimates (estimator = row)
    ri = np.arange(rows.size)
    u_ni = util[:, ri, :, rows].transpose(1, 0, 2)  # [b, i, n] = U^i[n, i]
    u_nj = np.swapaxes(util, 2, 3)  # [b, i, j, n] = U^i[n, j]
    u_nn = np.diagonal(util, axis1=2, axis2=3)  # [b, i, n] = U^i[n, n]
    rule = opts.VotingRule
    w = weight[:, None, None, :]  # [b, ., ., n]
    # principals: i votes between its own and j's position, j likewise
    u_ii = u_nn[:, ri, rows][:, :, None]  # U^i[i, i]
    u_ij = util[:, ri, rows, :]  # [b, i, j] = U^i[i, j]
    u_ji = u_ni  # [b, i, j] = U^i[j, i]
    u_jj = u_nn  # [b, i, j] = U^i[j, j]
    v_i = vote(weight[:, rows, None], u_ii, u_ij, rule)
    v_j = vote(weight[:, None, :], u_ji, u_jj, rule)
    c_ij0 = 1e-10 + np.maximum(v_i, 0) + np.maximum(v_j, 0)
    c_ji0 = 1e-10 + np.maximum(-v_i, 0) + np.maximum(-v_j, 0)
    # third parties, each against the principals alone
    ui, uj, un = u_ni[:, :, None, :], u_nj, u_nn[:, :, None, :]
    v0 = vote(w, ui, uj, rule)
    cp_ij = c_ij0[..., None] + np.maximum(v0, 0)
    cp_ji = c_ji0[..., None] + np.maximum(-v0, 0)
    p_in = cp_ij / (cp_ij + cp_ji)
    p_jn = 1.0 - p_in
    commit = opts.ThirdPartyCommit
    if commit == "FullCommit":
        join_i = p_in * 3 * ui + p_jn * 3 * uj
        join_j = p_in * 3 * ui + p_jn * 3 * uj
    elif commit == "NoCommit":
        join_i = p_in * (2 * ui + un) + p_jn * (2 * uj + un)
        join_j = join_i
    else:  # SemiCommit: a third party that backs the loser must adopt the winner's position
        join_i = p_in * (2 * ui + un) + p_jn * 3 * uj
        join_j = p_in * 3 * ui + p_jn * (2 * uj + un)
    v_n = vote(w, join_i, join_j, rule)
    every = np.arange(n)
    third = (every[None, None, :] != rows[:, None, None]) & (every[None, None, :]
                                                             != every[None, :, None])
    v_n = np.where(third[None], v_n, 0.0)
    c_ij = c_ij0 + np.maximum(v_n, 0).sum(axis=3)
    c_ji = c_ji0 + np.maximum(-v_n, 0).sum(axis=3)
    p = c_ij / (c_ij + c_ji)
    s_j = sigma[:, None, :]
    eu = (1 - s_j) * 2 * u_ii + s_j * (p * 2 * u_ii + (1 - p) * 2 * u_ij)
    gain = eu - (u_ii + u_ij)
    return p, gain


# -- bargains -----------------------------------------------------------------------------------

def round_half_up(x: np.ndarray, decimals: int = 4) -> np.ndarray:
    """KTAB rounds every interpolated bargain to 4 decimals on the unit scale, half up."""
    scale = 10.0**decimals
    return np.floor(x * scale + 0.5) / scale


def interpolate(t_i: np.ndarray, t_j: np.ndarray, s_i: np.ndarray, s_j: np.ndarray,
                p_i: np.ndarray, opts: SMPOptions) -> tuple[np.ndarray, np.ndarray]:
    """Bargain positions of initiator and receiver per dimension (MODELS.md §3.9.2).

    S2P2 / S1P1: weights w = s^n P^m (n = m = 2 or 1), each side ends near the weighted average,
    the ε asymmetry leaving each in place when neither cares nor can coerce; rounded to 4
    decimals. S2PMax: only the weaker side moves, by a share set by salience and advantage.
    """
    p_i = p_i[..., None]
    p_j = 1.0 - p_i
    if opts.InterVecBrgn == "S2PMax":
        d_i, d_j = np.maximum(0.0, p_j - p_i), np.maximum(0.0, p_i - p_j)
        e_i = d_i * s_j**2 / (d_i * s_j**2 + STEP_EPS + (1 - d_i) * s_i**2)
        e_j = d_j * s_i**2 / (d_j * s_i**2 + STEP_EPS + (1 - d_j) * s_j**2)
        return t_i + e_i * (t_j - t_i), t_j + e_j * (t_i - t_j)
    power = 2 if opts.InterVecBrgn == "S2P2" else 1
    w_i, w_j = s_i**power * p_i**power, s_j**power * p_j**power
    total = w_i + STEP_EPS + w_j
    b_i = ((w_i + STEP_EPS) * t_i + w_j * t_j) / total
    b_j = (w_i * t_i + (w_j + STEP_EPS) * t_j) / total
    return round_half_up(b_i), round_half_up(b_j)


def _estimator_view(util_h: np.ndarray, who: np.ndarray) -> np.ndarray:
    """Row i of the result holds the utility matrix as estimated by actor who[b, i]."""
    return np.take_along_axis(util_h, who[:, :, None, None], axis=1)


def propose(pos: np.ndarray, sal: np.ndarray, cap: np.ndarray, util_h: np.ndarray,
            opts: SMPOptions) -> dict[str, np.ndarray]:
    """Every actor's best challenge and the bargains it proposes (MODELS.md §3.9).

    Returns init, rcvr (B, L) actor indices, pos_init, pos_rcvr (B, L, D) and valid (B, L) for
    L bargain slots (N, or 2N under InitRcvrInterp: the initiator's and the receiver's).
    """
    b, n, _ = pos.shape
    sigma = sal.sum(axis=2)
    weight = sigma * cap
    p, gain = challenge_matrix(util_h, weight, sigma, opts)
    gain = np.where(np.eye(n, dtype=bool)[None], -np.inf, gain)
    target = np.argmax(gain, axis=2)  # first maximum: ties go to the lower index
    best = np.take_along_axis(gain, target[..., None], 2)[..., 0]
    valid = best > 1e-5
    init = np.broadcast_to(np.arange(n), (b, n))
    rows = np.arange(n)[None, :]
    bi_ = np.arange(b)[:, None]
    t_i, t_j = pos, pos[bi_, target]
    s_i, s_j = sal, sal[bi_, target]
    p_init = p[bi_, rows, target]
    a_i, a_j = interpolate(t_i, t_j, s_i, s_j, p_init, opts)
    if opts.BargnModel == "InitOnlyInterp":
        return {"init": init, "rcvr": target, "pos_init": a_i, "pos_rcvr": a_j, "valid": valid}
    # the receiver's view of the same contest: rows i evaluated with U^{target(i)}
    p_r, gain_r = challenge_matrix(_estimator_view(util_h, target), weight, sigma, opts)
    p_rcvr = p_r[bi_, rows, target]
    if opts.rcvr_estimate == "peer":  # KTAB passes the expected gain where P belongs (§3.9)
        p_rcvr = gain_r[bi_, rows, target]
    r_i, r_j = interpolate(t_i, t_j, s_i, s_j, p_rcvr, opts)
    if opts.BargnModel == "InitRcvrInterp":
        return {"init": np.concatenate([init, init], 1), "rcvr": np.concatenate([target, target],
                                                                                 1),
                "pos_init": np.concatenate([a_i, r_i], 1),
                "pos_rcvr": np.concatenate([a_j, r_j], 1),
                "valid": np.concatenate([valid, valid], 1)}
    cap_r = cap if opts.pwcomp_receiver_capability == "peer" else cap[bi_, target]
    w_i = (cap * sigma)[..., None]
    w_j = (cap_r * sigma[bi_, target])[..., None]
    mix = lambda x, y: (w_i * x + w_j * y) / (w_i + w_j)  # noqa: E731
    return {"init": init, "rcvr": target, "pos_init": mix(a_i, r_i), "pos_rcvr": mix(a_j, r_j),
            "valid": valid}


# -- a turn -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class State:
    """What a turn and the outcome distribution both need about one state of the game."""

    pos: np.ndarray
    ideal: np.ndarray
    delta: np.ndarray  # [b, k, m] distance from k's ideal to m's position
    risk: np.ndarray  # [b, k] risk attitudes from the PCE over positions (§3.7)
    own: np.ndarray  # [b, k, m] k's own risk-adjusted utility for m's position


def state(pos: np.ndarray, ideal: np.ndarray, sal: np.ndarray, cap: np.ndarray,
          opts: SMPOptions) -> State:
    delta = distances(ideal, sal, pos)
    risk = risk_attitudes(delta, cap, opts)
    return State(pos, ideal, delta, risk, utility(delta, risk[..., None]))


def estimated_utilities(st: State, opts: SMPOptions) -> np.ndarray:
    """U^h[k, m] for every estimator h: (B, H, K, M), with R̂_hk from BigRAdjust (§3.7.4)."""
    a = RISK_ADJUST[opts.BigRAdjust]
    r_hat = a * st.risk[:, :, None] + (1 - a) * st.risk[:, None, :]  # [b, h, k]
    return utility(st.delta[:, None], r_hat[..., None])


def smp_turn(st: State, sal: np.ndarray, cap: np.ndarray, accommodation: np.ndarray | None,
             opts: SMPOptions, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One turn for every problem: returns new positions, new ideals and the Markov flag."""
    pos, ideal, risk, own = st.pos, st.ideal, st.risk, st.own
    b, n, _ = pos.shape
    util_h = estimated_utilities(st, opts)
    bargains = propose(pos, sal, cap, util_h, opts)
    init, rcvr, valid = bargains["init"], bargains["rcvr"], bargains["valid"]
    bi_ = np.arange(b)[:, None]
    # value of each bargain to each actor: the mean of its utilities over the state it creates
    base = own.sum(axis=2)  # [b, n]
    u_bi = utility(distances(ideal, sal, bargains["pos_init"]), risk[..., None])  # [b, n, l]
    u_bj = utility(distances(ideal, sal, bargains["pos_rcvr"]), risk[..., None])
    u_xi = np.take_along_axis(own, np.broadcast_to(init[:, None, :], u_bi.shape), 2)
    u_xj = np.take_along_axis(own, np.broadcast_to(rcvr[:, None, :], u_bi.shape), 2)
    values = np.concatenate([base[..., None], base[..., None] - u_xi - u_xj + u_bi + u_bj],
                            axis=2) / n  # option 0 = status quo
    coalition, p = pairwise(values, cap, opts)
    actor = np.arange(n)[None, :, None]
    member = np.concatenate([np.ones((b, n, 1), dtype=bool),
                             valid[:, None, :] & ((init[:, None, :] == actor)
                                                  | (rcvr[:, None, :] == actor))], axis=2)
    prob, unconverged = pce(p, coalition, member, opts)
    if opts.StateTransitions == "Deterministic":
        choice = np.argmax(prob, axis=2)  # ties: status quo, then by initiator
    else:
        cum = np.cumsum(prob, axis=2)
        choice = np.minimum((cum < uniforms[..., None]).sum(axis=2), prob.shape[2] - 1)
    slot = np.maximum(choice - 1, 0)
    chosen_init = np.take_along_axis(init, slot, 1) == np.arange(n)[None]
    b_init = np.take_along_axis(bargains["pos_init"], slot[..., None], 1)
    b_rcvr = np.take_along_axis(bargains["pos_rcvr"], slot[..., None], 1)
    moved = np.where(chosen_init[..., None], b_init, b_rcvr)
    new = np.where((choice > 0)[..., None], moved, pos)
    del bi_
    if accommodation is None:
        return new, new, unconverged.any(axis=1)
    kept = 1.0 - accommodation.sum(axis=1)
    new_ideal = np.einsum("ij,bjd->bid", accommodation, new) + kept[None, :, None] * ideal
    return new, new_ideal, unconverged.any(axis=1)


def outcome_distribution(st: State, cap: np.ndarray, opts: SMPOptions
                         ) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's per-turn "winning probabilities" (MODELS.md §3.10.7).

    Actors are grouped in index order: one opens a group unless it lies within GROUP_TOL of a
    group's first member. A PCE over the groups' first members (each actor's own risk-adjusted
    utilities, weights c) gives each group's probability; every actor is shown the probability
    of the last group representative within the tolerance of its position. Returns (per-actor
    probabilities (B, N), probability of each representative (B, N), zero for non-members).
    """
    pos = st.pos
    b, n, _ = pos.shape
    gap = np.sqrt(((pos[:, :, None, :] - pos[:, None, :, :]) ** 2).sum(axis=3))  # [b, k, m]
    close = gap < GROUP_TOL
    rep = np.zeros((b, n), dtype=bool)
    for k in range(n):
        rep[:, k] = ~(close[:, k, :k] & rep[:, :k]).any(axis=1)
    coalition, p = pairwise(st.own, cap, opts)
    prob, _ = pce(p, coalition, rep[:, None, :], opts)
    prob = prob[:, 0]
    last = np.where(close & rep[:, None, :], np.arange(n)[None, None, :], -1).max(axis=2)
    return np.take_along_axis(prob, last, 1), prob


def check_limits(batch: Batch, opts: SMPOptions) -> list[str]:
    """KTAB's own limits, as messages (MODELS.md §3.1)."""
    msgs = []
    n = len(batch.actors)
    if not 3 <= n <= 250:
        msgs.append(f"KTAB takes 3 to 250 actors; this scenario has {n}")
    totals = batch.salience.sum(axis=2).max(axis=0)
    over = [f"{a} ({100 * t:.4g})" for a, t in zip(batch.actors, totals, strict=True)
            if t > 1 + 1e-9]
    if over:
        msgs.append("KTAB needs each actor's saliences to sum to at most 100 across dimensions; "
                    f"over: {', '.join(over)}")
    zero = [a for a, t in zip(batch.actors, batch.salience.sum(axis=2).min(axis=0), strict=True)
            if t <= 0]
    if zero:
        msgs.append(f"every actor needs a positive total salience (KTAB's voting weight); zero: "
                    f"{', '.join(zero)}")
    return msgs


def run_smp(pos0: np.ndarray, sal: np.ndarray, cap: np.ndarray, opts: SMPOptions,
            accommodation: np.ndarray | None = None, streams: Streams | None = None
            ) -> dict[str, np.ndarray]:
    """Run B problems on the unit scale until KTAB's stopping rule (MODELS.md §3.10.6) fires.

    Returns positions (B, T+1, N, D), probabilities (B, T+1, N), representative probabilities
    (B, T+1, N), turns (B,), the last fractional change (B,) and a Markov-non-convergence flag.
    """
    loops = compiled_loops(opts, accommodation, pos0.shape[0], pos0.shape[1])
    if loops is not None:
        return _run_compiled(loops, pos0, sal, cap, opts)
    b, n, _ = pos0.shape
    # Stochastic transitions: one stream per draw, keyed by the draw's index in the experiment
    streams = streams or Streams.from_seed(0)
    draw_rngs = ([streams.generator("smp.transitions", streams.offset + k) for k in range(b)]
                 if opts.StateTransitions == "Stochastic" else [])
    pos, ideal = pos0.copy(), pos0.copy()
    current = state(pos, ideal, sal, cap, opts)
    history = [pos]
    shown, reps = outcome_distribution(current, cap, opts)
    probs, rep_probs = [shown], [reps]
    running = np.ones(b, dtype=bool)
    turns = np.zeros(b, dtype=int)
    first_change = np.zeros(b)
    ratio = np.full(b, np.nan)
    unconverged = np.zeros(b, dtype=bool)
    for t in range(1, opts.max_turns + 1):
        uniforms = (np.stack([g.random(n) for g in draw_rngs]) if draw_rngs
                    else np.zeros((b, n)))
        everyone = bool(running.all())
        live = slice(None) if everyone else np.flatnonzero(running)  # stopped draws cost nothing
        sub = current if everyone else State(*(getattr(current, f)[live] for f in _STATE))
        new_live, ideal_live, flag = smp_turn(sub, sal[live], cap[live], accommodation, opts,
                                              uniforms[live])
        if everyone:
            new, ideal = new_live, ideal_live
        else:
            new, ideal = pos.copy(), ideal.copy()
            new[live], ideal[live] = new_live, ideal_live
        change = np.sqrt(((new - pos) ** 2).sum(axis=2)).sum(axis=1)
        if t == 1:
            first_change = change
        ratio[live] = change[live] / (first_change[live] + 1e-4)
        unconverged[live] |= flag
        turns[live] += 1
        pos = new
        next_live = state(pos[live], ideal[live], sal[live], cap[live], opts)
        shown_live, reps_live = outcome_distribution(next_live, cap[live], opts)
        if everyone:
            current = next_live
            probs.append(shown_live)
            rep_probs.append(reps_live)
        else:
            current = State(*(_scatter(getattr(current, f), live, getattr(next_live, f))
                              for f in _STATE))
            probs.append(_scatter(probs[-1], live, shown_live))
            rep_probs.append(_scatter(rep_probs[-1], live, reps_live))
        history.append(pos)
        running &= ~((t >= 2) & (ratio < opts.stop_ratio))
        if not running.any():
            break
    return {
        "positions": np.stack(history, axis=1),
        "probabilities": np.stack(probs, axis=1),
        "option_probabilities": np.stack(rep_probs, axis=1),
        "turns": turns,
        "fractional_change": ratio,
        "markov_unconverged": unconverged,
    }


_STATE = ("pos", "ideal", "delta", "risk", "own")
DEFAULTS = SMPOptions()
_NINE = ("VictoryProbModel", "PCEModel", "StateTransitions", "VotingRule", "BigRAdjust",
         "BigRRange", "ThirdPartyCommit", "InterVecBrgn", "BargnModel")


# 'auto' runs a single problem through numba's just-in-time loops only above this many actors
# (without the prebuilt module): below it, the numpy kernel finishes before numba would have
# loaded (its import, the BLAS check that imports scipy.linalg and the cache load cost about 1 s
# of CPU; benchmarks/bench_startup.py)
AUTO_COMPILED_ACTORS = 80
def compiled_loops(opts: SMPOptions, accommodation: np.ndarray | None, draws: int = 1,
                   actors: int = AUTO_COMPILED_ACTORS + 1) -> Any:
    """The module whose ``run_batch`` runs this call, or None for the numpy kernel.

    Only KTAB's defaults without ideal adjustment are compiled. 'compiled' takes the prebuilt
    module, else numba's just-in-time loops. 'auto' takes the prebuilt module for any problem
    (it loads in a millisecond), numba's loops only for a single draw of more than
    AUTO_COMPILED_ACTORS actors, and numpy otherwise; it imports numba only then."""
    if opts.engine == "numpy":
        return None
    fits = accommodation is None and all(getattr(opts, k) == getattr(DEFAULTS, k)
                                         for k in _NINE)
    if fits and prebuilt() is not None:
        return prebuilt()
    if opts.engine == "auto" and (not fits or draws > 1 or actors <= AUTO_COMPILED_ACTORS):
        return None
    from detente.models import smp_fast

    if opts.engine == "compiled" and not (fits and smp_fast.AVAILABLE):
        raise ModelError("engine=compiled needs numba (pip install 'detente[fast]') and KTAB's "
                         "default parameters without ideal adjustment")
    return smp_fast if fits and smp_fast.AVAILABLE else None


def _run_compiled(loops: Any, pos0: np.ndarray, sal: np.ndarray, cap: np.ndarray,
                  opts: SMPOptions) -> dict[str, np.ndarray]:
    """Every problem through the compiled loops, padded to a common number of turns."""
    # contiguous and writable: numba's just-in-time cache keys on the read-only flag too
    f64 = lambda a: np.require(a, np.float64, ["C", "W"])  # noqa: E731
    positions, shown, reps, turns, ratio = loops.run_batch(f64(pos0), f64(sal), f64(cap),
                                                           int(opts.max_turns),
                                                           float(opts.stop_ratio))
    return {
        "positions": positions,
        "probabilities": shown,
        "option_probabilities": reps,
        "turns": turns.astype(int),
        "fractional_change": ratio,
        "markov_unconverged": np.zeros(len(turns), dtype=bool),
    }


def _scatter(whole: np.ndarray, rows: np.ndarray, part: np.ndarray) -> np.ndarray:
    out = whole.copy()
    out[rows] = part
    return out


class SMPModel:
    """KTAB's spatial model of politics with probabilistic Condorcet elections (MODELS.md §3)."""

    def run(self, batch: Batch, options: SMPOptions, streams: Streams | None = None
            ) -> Trajectory:
        if not batch.complete:
            raise ModelError("model 'smp' needs every actor to hold a position on every issue")
        cap = batch.capability
        if not np.allclose(cap, cap[:, :, :1]):
            raise ModelError("model 'smp' takes one capability per actor, but this scenario "
                             "gives issue-specific capabilities; give actors[].capability")
        if (cap[:, :, 0] <= 0).any():
            raise ModelError("model 'smp' needs every capability > 0 (KTAB's voting weights)")
        problems = check_limits(batch, options)
        if problems and options.enforce_limits:
            raise ModelError("; ".join(problems) + " (set option enforce_limits=false to run "
                             "outside KTAB's limits)")
        span = batch.high - batch.low
        unit = (batch.position - batch.low) / span
        out = run_smp(unit, batch.salience, cap[:, :, 0], options, _accommodation(batch),
                      streams)
        positions = batch.low + out["positions"] * span
        reps = out["option_probabilities"]
        final = reps[:, -1]
        mode = np.take_along_axis(positions[:, -1], np.argmax(final, 1)[:, None, None], 1)[:, 0]
        expected = np.einsum("bn,bnd->bd", final, positions[:, -1])
        reason = np.where(out["turns"] >= options.max_turns, "turn_cap", "fractional_change")
        return Trajectory(
            positions=positions,
            forecast=mode,
            turns=out["turns"],
            stop_reason=reason.astype(object),
            probabilities=out["probabilities"],
            diagnostics={"fractional_change": out["fractional_change"],
                         "option_probabilities": reps,
                         "expected_outcome": expected,
                         "outside_ktab_limits": np.array(bool(problems)),
                         "markov_unconverged": out["markov_unconverged"]},
            series=("option_probabilities",),
        )


def _accommodation(batch: Batch) -> np.ndarray | None:
    return batch.accommodation


