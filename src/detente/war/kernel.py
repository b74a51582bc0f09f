"""Bargaining while fighting, vectorised over runs (MODELS.md §5.2-5.10).

Each week, for every run at once: levers and deadlines act; agreements in force may break down;
the proposer makes an offer that each side accepts when it is worth at least its value of
fighting on under its own beliefs; otherwise a battle moves the front one step, casualties and
costs accrue, beliefs update, and termination (victory, collapse, exhaustion) is checked.

The runner calls :meth:`WarModel.run` once per block of runs with the block's streams. Each
week draws from its own keyed stream (``war`` and one ``deadline:<lever id>`` per deadline lever,
indexed by block and week) a row of values per run, always the same number whatever the state,
so run k sees the same battles, breakdowns and deadline draws in every variant (lever comparisons
use common random numbers) whatever the number of runs, blocks or workers.
"""

from __future__ import annotations

import numpy as np

from detente.compile import WarInputs
from detente.options import WarOptions
from detente.seeds import Streams
from detente.war.base import (
    AGREEMENT,
    COLLAPSE_R,
    COLLAPSE_U,
    END_MODES,
    EXHAUSTED_R,
    EXHAUSTED_U,
    FIGHTING,
    FORCE_FLOOR,
    HORIZON,
    VICTORY_R,
    VICTORY_U,
    WarOutcome,
    deadline_state,
    deadlines,
    effective_parameters,
    outcome,
    threat_cost,
    weekly_draws,
)
from detente.war.theory import fearon_outcomes, gamblers_ruin

_BATTLE_KEYS = ("R.effectiveness", "U.effectiveness", "R.lethality", "U.lethality",
                "R.recruitment", "U.recruitment", "R.cost", "U.cost", "R.casualty_cost",
                "U.casualty_cost", "R.collapse", "U.collapse")


def battle_probability(p: dict[str, np.ndarray], forces_r: np.ndarray, forces_u: np.ndarray,
                       options: WarOptions) -> np.ndarray:
    """R's chance of winning this week's battle (MODELS.md §5.4)."""
    er, eu = p["R.effectiveness"], p["U.effectiveness"]
    if options.battle == "bernoulli":
        return er / (er + eu)
    m = options.csf_exponent
    a = er * np.maximum(forces_r, 1e-9) ** m
    b = eu * np.maximum(forces_u, 1e-9) ** m
    return a / (a + b)


class WarModel:
    """The war kernel behind the registry's ``war`` model: one block of runs per call."""

    def run(self, inputs: WarInputs, options: WarOptions, streams: Streams | None = None
            ) -> WarOutcome:
        """Every run of ``inputs`` for up to ``inputs.horizon`` weeks (MODELS.md §5.3)."""
        from detente.war import fast

        streams = streams or Streams.from_seed(0)
        if options.variant == "fearon":
            return _simulate_fearon(inputs, options, streams)
        if fast.compiled(options):
            return fast.simulate_block(inputs, options, streams)
        return _simulate_block(inputs, options, streams)


def _simulate_block(inputs: WarInputs, options: WarOptions, streams: Streams) -> WarOutcome:
    """One block of runs, week by week."""
    b, n, horizon = inputs.runs, inputs.steps, inputs.horizon
    par = inputs.params
    k = np.rint(par["front.start"]).astype(float)
    forces_r, forces_u = par["R.forces"].copy(), par["U.forces"].copy()
    start_r, start_u = forces_r.copy(), forces_u.copy()
    belief = {s: [par[f"{s}.belief.a"].copy(), par[f"{s}.belief.b"].copy()] for s in "RU"}
    dl_a, dl_b = par["deadline_belief.a"].copy(), par["deadline_belief.b"].copy()
    status = np.full(b, FIGHTING)
    end_week = np.full(b, horizon)
    first = np.full(b, -1)
    share = np.full(b, np.nan)
    breakdowns = np.zeros(b, dtype=int)
    cost_r, cost_u = np.zeros(b), np.zeros(b)
    cas_r, cas_u = np.zeros(b), np.zeros(b)
    in_force = np.zeros((horizon, b), dtype=bool)  # week-major: each week writes one row
    front = np.empty((horizon + 1, b))
    front[0] = k
    due, threatened, enforced = deadline_state(inputs)
    tough = streams.block_generator("war.type").random(b) < options.tough_prior
    mu = np.full(b, options.tough_prior)
    for t in range(horizon):
        # battle, breakdown, collapse of R and of U: one row each, contiguous for the week's ops
        u = np.ascontiguousarray(weekly_draws(streams, "war", t, (b, 4)).T)
        deadlines(inputs, streams, t, status, due, threatened, enforced, dl_a, dl_b)
        p = effective_parameters(inputs, t, enforced)
        # agreements in force may break down (MODELS.md §5.9)
        hazard = p["breakdown.base"] * np.exp(-par["breakdown.guarantee_effect"] * p["guarantees"])
        broke = (status == AGREEMENT) & (u[1] < hazard)
        if broke.any():
            status[broke] = FIGHTING
            breakdowns += broke
            share[broke] = np.nan
        fighting = status == FIGHTING
        # values of fighting on, offers, acceptance
        credibility = dl_a / (dl_a + dl_b)
        c_r = p["R.cost"] + p["R.casualty_cost"] * cas_r + credibility * threat_cost(inputs, t,
                                                                                 threatened)
        c_u = p["U.cost"] + p["U.casualty_cost"] * cas_u
        bonus = p["guarantee_value"] * p["guarantees"]
        # offers only where the war goes on: most runs are settled after a few months
        idx = np.flatnonzero(fighting)
        beliefs = {s: [belief[s][0][idx], belief[s][1][idx]] for s in "RU"}
        x, accept = np.zeros(b), np.zeros(b, dtype=bool)
        if options.variant == "powell":
            p_idx = {key: v[idx] for key, v in p.items()}
            x[idx], accept[idx], mu[idx] = _powell_offer(
                options, k[idx], n, beliefs, c_r[idx], c_u[idx], bonus[idx], tough[idx],
                mu[idx], p_idx, forces_r[idx], forces_u[idx])
        else:
            x[idx], accept[idx] = _offer(options, t, k[idx], n, beliefs, c_r[idx], c_u[idx],
                                         bonus[idx])
        settle = fighting & accept
        status[settle] = AGREEMENT
        share[settle] = x[settle]
        first[settle & (first < 0)] = t
        end_week[settle] = t
        # the battle (MODELS.md §5.4), its costs and the end of the war, for runs still fighting
        f = np.flatnonzero(status == FIGHTING)
        cas_r[:] = 0.0
        cas_u[:] = 0.0
        if f.size:
            pf = {key: p[key][f] for key in _BATTLE_KEYS}
            fr, fu, kf = forces_r[f], forces_u[f], k[f]
            if options.variant == "powell" and options.powell_uncertainty == "power":
                p_true = _typed_probability(pf, fr, fu, options, tough[f])
                mu[f] = _bayes_power(mu[f], pf, fr, fu, options, u[0][f] < p_true)
            else:
                p_true = battle_probability(pf, fr, fu, options)
            r_wins = u[0][f] < p_true
            kf = kf + np.where(r_wins, 1.0, -1.0)
            for s in "RU":
                belief[s][0][f] += r_wins
                belief[s][1][f] += ~r_wins
            cr, cu = pf["U.lethality"] * fu, pf["R.lethality"] * fr
            fr = np.maximum(fr + pf["R.recruitment"] - cr, 0.0)
            fu = np.maximum(fu + pf["U.recruitment"] - cu, 0.0)
            cost_r[f] += pf["R.cost"] + pf["R.casualty_cost"] * cr
            cost_u[f] += pf["U.cost"] + pf["U.casualty_cost"] * cu
            k[f], forces_r[f], forces_u[f], cas_r[f], cas_u[f] = kf, fr, fu, cr, cu
            # termination (MODELS.md §5.8), the first cause listed wins
            ended = np.select(
                [kf >= n, kf <= 0, u[2][f] < pf["R.collapse"], u[3][f] < pf["U.collapse"],
                 (cost_r[f] >= par["R.capacity"][f]) | (fr < FORCE_FLOOR * start_r[f]),
                 (cost_u[f] >= par["U.capacity"][f]) | (fu < FORCE_FLOOR * start_u[f])],
                [VICTORY_R, VICTORY_U, COLLAPSE_R, COLLAPSE_U, EXHAUSTED_R, EXHAUSTED_U],
                FIGHTING)
            stop = ended != FIGHTING
            if stop.any():
                g = f[stop]
                status[g] = ended[stop]
                # victory and collapse hand everything to one side; an exhausted side settles
                # on the line where the front stands
                e = ended[stop]
                won_all = (e == VICTORY_R) | (e == COLLAPSE_U)
                lost_all = (e == VICTORY_U) | (e == COLLAPSE_R)
                share[g] = np.where(won_all, 1.0, np.where(lost_all, 0.0, kf[stop] / n))
                end_week[g] = t + 1
        in_force[t] = status == AGREEMENT
        front[t + 1] = k
        if not (status == FIGHTING).any() and not (
                (status == AGREEMENT) & (hazard > 0)).any():
            in_force[t + 1:] = status == AGREEMENT  # nothing can change any more
            front[t + 2:] = k
            break
    return outcome(inputs, status, end_week, first, share, in_force.T, breakdowns, front.T,
                   cost_r, cost_u, tough)


def _offer(options: WarOptions, t: int, k: np.ndarray, n: int, belief: dict, c_r: np.ndarray,
           c_u: np.ndarray, bonus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offer and acceptance with gambler's-ruin values under each side's belief (§5.6).

    V_R = P_R(k; p̂_R) - c_R D(k; p̂_R); V_U = 1 - P_R(k; p̂_U) - c_U D(k; p̂_U). R accepts x iff
    x >= V_R; U accepts iff 1 - x + bonus >= V_U (guarantees are worth ``bonus`` to U).
    """
    p_r = belief["R"][0] / (belief["R"][0] + belief["R"][1])
    p_u = belief["U"][0] / (belief["U"][0] + belief["U"][1])
    win_r, dur_r = gamblers_ruin(k, n, p_r)
    win_u, dur_u = gamblers_ruin(k, n, p_u)
    v_r = win_r - c_r * dur_r
    x_u_max = 1.0 - (1.0 - win_u - c_u * dur_u) + bonus  # the most U accepts
    proposer = options.proposer
    if proposer == "alternating":
        proposer = "R" if t % 2 == 0 else "U"
    if proposer == "mediator":  # the midpoint of the true range, as a share in [0, 1]
        return np.clip(0.5 * (v_r + x_u_max), 0, 1), v_r <= x_u_max
    if proposer == "R":  # R guesses U's limit with its own belief
        guess = np.clip(1.0 - (1.0 - win_r - c_u * dur_r) + bonus, 0, 1)
        x = guess if options.offer_rule == "tioli" else 0.5 * (np.clip(v_r, 0, 1) + guess)
        return x, (x <= x_u_max) & (x >= v_r)
    guess = np.clip(win_u - c_r * dur_u, 0, 1)  # U guesses R's limit with its own belief
    x = guess if options.offer_rule == "tioli" else 0.5 * (guess + np.clip(x_u_max, 0, 1))
    return x, (x >= v_r) & (x <= x_u_max)


def _typed_probability(p: dict[str, np.ndarray], forces_r: np.ndarray, forces_u: np.ndarray,
                       options: WarOptions, tough: np.ndarray | bool) -> np.ndarray:
    factor = np.where(tough, 1.0 + options.type_spread, 1.0 - options.type_spread)
    return battle_probability({**p, "R.effectiveness": p["R.effectiveness"] * factor},
                              forces_r, forces_u, options)


def _bayes_power(mu: np.ndarray, p: dict[str, np.ndarray], forces_r: np.ndarray,
                 forces_u: np.ndarray, options: WarOptions, r_wins: np.ndarray) -> np.ndarray:
    """Slantchev's (2003) update of U's belief that R is the strong type after a battle."""
    hi = _typed_probability(p, forces_r, forces_u, options, True)
    lo = _typed_probability(p, forces_r, forces_u, options, False)
    like_hi, like_lo = np.where(r_wins, hi, 1 - hi), np.where(r_wins, lo, 1 - lo)
    return mu * like_hi / (mu * like_hi + (1 - mu) * like_lo)


def _powell_offer(options: WarOptions, k: np.ndarray, n: int, belief: dict, c_r: np.ndarray,
                  c_u: np.ndarray, bonus: np.ndarray, tough: np.ndarray, mu: np.ndarray,
                  p: dict[str, np.ndarray], forces_r: np.ndarray, forces_u: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """U, uninformed, screens R's private type with its offer (Powell 2004, two types).

    U compares offering the tough type's reservation value (both types accept) with offering the
    soft type's (only the soft type accepts; a refusal reveals toughness, so U's belief mu jumps
    to 1 — under cost uncertainty refusals are the only lesson, "skimming"). R accepts iff the
    offer reaches its own type's value of fighting on. Returns (offer, accepted, updated mu).
    """
    s = options.type_spread
    p_u = belief["U"][0] / (belief["U"][0] + belief["U"][1])
    if options.powell_uncertainty == "cost":
        pr_t = pr_s = p_u
        cost_t, cost_s = c_r * (1 - s), c_r * (1 + s)
    else:
        pr_t = _typed_probability(p, forces_r, forces_u, options, True)
        pr_s = _typed_probability(p, forces_r, forces_u, options, False)
        cost_t = cost_s = c_r
    win_t, dur_t = gamblers_ruin(k, n, pr_t)
    win_s, dur_s = gamblers_ruin(k, n, pr_s)
    w_tough = np.clip(win_t - cost_t * dur_t, 0, 1)
    w_soft = np.clip(win_s - cost_s * dur_s, 0, 1)
    win_u, dur_u = gamblers_ruin(k, n, mu * pr_t + (1 - mu) * pr_s)
    v_u = 1.0 - win_u - c_u * dur_u
    pay_all = 1.0 - w_tough + bonus
    pay_screen = (1 - mu) * (1.0 - w_soft + bonus) + mu * v_u
    x = np.where(pay_all >= pay_screen, w_tough, w_soft)
    own = np.where(tough, w_tough, w_soft)
    accept = x >= own - 1e-12
    mu = np.where(~accept & (x < w_tough), 1.0, mu)  # only the tough type refuses w_soft
    return x, accept, mu


def _simulate_fearon(inputs: WarInputs, options: WarOptions, streams: Streams) -> WarOutcome:
    """The one-shot case: R demands x*, U with private cost accepts or fights one decisive war.

    p is the battle probability at the start; lump-sum costs are a week's cost times the
    expected length of the war at p (gambler's ruin); U's private cost is uniform on
    [0, 2 c_U], so c̄ = 2 c_U (an interpretation for running the closed form on a scenario).
    """
    b, horizon = inputs.runs, inputs.horizon
    par = inputs.params
    p = battle_probability(par, par["R.forces"], par["U.forces"], options)
    _, duration = gamblers_ruin(np.rint(par["front.start"]), inputs.steps, p)
    c_r, c_bar = par["R.cost"] * duration, 2.0 * par["U.cost"] * duration
    u = streams.block_generator("war.fearon").random((b, 2)).T
    _, war, share = fearon_outcomes(p, c_r, u[0] * c_bar, c_bar, u[1])
    mode = np.where(war, np.where(share > 0.5, VICTORY_R, VICTORY_U), AGREEMENT)
    in_force = np.repeat((~war)[:, None], horizon, axis=1)
    start = np.rint(par["front.start"])
    front = np.repeat(start[:, None], horizon + 1, axis=1)
    terms = inputs.terms_low + share[:, None] * (inputs.terms_high - inputs.terms_low)
    zeros = np.zeros(b)
    return WarOutcome(mode, np.zeros(b, dtype=int), np.where(war, -1, 0), share, terms, in_force,
                      np.zeros(b, dtype=int), front, np.where(war, c_r, 0.0),
                      np.where(war, u[0] * c_bar, zeros), np.zeros(b, dtype=bool))


__all__ = ["AGREEMENT", "COLLAPSE_R", "COLLAPSE_U", "END_MODES", "EXHAUSTED_R", "EXHAUSTED_U",
           "FIGHTING", "FORCE_FLOOR", "HORIZON", "VICTORY_R", "VICTORY_U", "WarModel",
           "WarOptions", "WarOutcome", "battle_probability", "effective_parameters"]
