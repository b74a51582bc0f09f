"""Bargaining while fighting, vectorised over runs (MODELS.md §5.2-5.10).

Each week, for every run at once: levers and deadlines act; agreements in force may break down;
the proposer makes an offer that each side accepts when it is worth at least its value of
fighting on under its own beliefs; otherwise a battle moves the front one step, casualties and
costs accrue, beliefs update, and termination (victory, collapse, exhaustion) is checked.

Randomness comes from one ``numpy.random.Generator`` that the caller seeds. Every week draws the
same number of uniforms whatever the state, so two variants run with the same seed see the same
battles, breakdowns and deadline draws: lever comparisons use common random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from detente.compile import WarInputs
from detente.models.base import bounded
from detente.war.theory import fearon_outcomes, gamblers_ruin

END_MODES = ("fighting", "agreement", "victory_R", "victory_U", "collapse_R", "collapse_U",
             "exhaustion_R", "exhaustion_U", "horizon")
FIGHTING, AGREEMENT, VICTORY_R, VICTORY_U, COLLAPSE_R, COLLAPSE_U, EXHAUSTED_R, EXHAUSTED_U, \
    HORIZON = range(len(END_MODES))
FORCE_FLOOR = 0.1  # a side whose forces fall below this share of their start is exhausted


@dataclass(frozen=True)
class WarOptions:
    """Options of the war kernel.

    variant: 'smith-stam' (non-common Beta priors over battle odds, random-walk front; Smith &
        Stam 2004), 'powell' (R privately knows whether it is a tough or soft type, in costs or
        in power; U screens with its offers; Powell 2004), 'fearon' (one-shot take-it-or-leave-it
        demand against a private cost; Fearon 1995).
    proposer: 'mediator' offers the midpoint of the true bargaining range (MODELS.md §5.15's
        reference protocol), 'R' / 'U' propose from their own beliefs, 'alternating' switches.
    offer_rule: 'midpoint' of the range the proposer perceives, or 'tioli' (the most the
        proposer believes the other accepts).
    battle: 'csf' contest-success function on forces x effectiveness, or 'bernoulli' with
        p = eff_R / (eff_R + eff_U) and forces ignored.
    powell_uncertainty, type_spread, tough_prior: the powell variant's private type: costs (or
        effectiveness) are (1 -/+ type_spread) times the scenario's for the tough/soft type.
    """

    variant: Literal["smith-stam", "powell", "fearon"] = "smith-stam"
    proposer: Literal["mediator", "alternating", "R", "U"] = "mediator"
    offer_rule: Literal["midpoint", "tioli"] = "midpoint"
    battle: Literal["csf", "bernoulli"] = "csf"
    csf_exponent: float = 1.0
    powell_uncertainty: Literal["cost", "power"] = "cost"
    type_spread: float = 0.5
    tough_prior: float = 0.5

    def check(self) -> None:
        bounded("csf_exponent", self.csf_exponent, 0.0, 10.0)
        bounded("type_spread", self.type_spread, 0.0, 0.99)
        bounded("tough_prior", self.tough_prior, 0.0, 1.0)


@dataclass(frozen=True)
class WarOutcome:
    """Per-run results (leading axis = runs) and per-week series.

    end_mode (B,) codes into END_MODES; end_week (B,) the week the final state began (the
    horizon if censored); first_agreement (B,) week of the first accepted offer or -1; share (B,)
    R's share of the stakes in the final state (NaN if censored); terms (B, D) the share mapped
    onto the issues; in_force (B, T) an agreement holds at the end of week t; front (B, T+1).
    """

    end_mode: np.ndarray
    end_week: np.ndarray
    first_agreement: np.ndarray
    share: np.ndarray
    terms: np.ndarray
    in_force: np.ndarray
    breakdowns: np.ndarray
    front: np.ndarray
    cost_R: np.ndarray
    cost_U: np.ndarray


def _effective(inputs: WarInputs, t: int, enforced: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Parameters in force in week t: base values changed by the active levers."""
    p = dict(inputs.params)
    for lv in inputs.levers:
        if t < lv.start or (lv.end is not None and t >= lv.end):
            continue
        on = enforced.get(lv.id)
        for param, op, size in lv.effects:
            changed = p[param] + size if op == "add" else p[param] * size
            p[param] = changed if on is None else np.where(on, changed, p[param])
    return p


def _threat(inputs: WarInputs, t: int, threatened: dict[str, np.ndarray]) -> np.ndarray:
    """Extra weekly cost R expects from threatened, not yet enforced deadline levers."""
    extra = np.zeros(inputs.runs)
    for lv in inputs.levers:
        if lv.credibility is None or (lv.end is not None and t >= lv.end):
            continue
        for param, op, size in lv.effects:
            if param == "R.cost":
                delta = size if op == "add" else inputs.params["R.cost"] * (size - 1.0)
                extra += np.where(threatened[lv.id], delta, 0.0)
    return extra


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


def simulate(inputs: WarInputs, options: WarOptions, rng: np.random.Generator) -> WarOutcome:
    """Run every run of ``inputs`` for up to ``inputs.horizon`` weeks."""
    if options.variant == "fearon":
        return _simulate_fearon(inputs, options, rng)
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
    in_force = np.zeros((b, horizon), dtype=bool)
    front = np.empty((b, horizon + 1))
    front[:, 0] = k
    due = {lv.id: np.full(b, lv.start) for lv in inputs.levers if lv.credibility is not None}
    threatened = {lid: np.ones(b, dtype=bool) for lid in due}
    enforced = {lid: np.zeros(b, dtype=bool) for lid in due}
    tough = rng.random(b) < options.tough_prior
    mu = np.full(b, options.tough_prior)
    for t in range(horizon):
        u = rng.random((5 + len(due), b))  # battle, breakdown, collapse R, collapse U, spare, deadlines
        for j, lv in enumerate(lv for lv in inputs.levers if lv.id in due):
            hit = threatened[lv.id] & (due[lv.id] == t) & (status != AGREEMENT)
            win = hit & (u[5 + j] < lv.credibility)  # type: ignore[operator]
            enforced[lv.id] |= win
            dl_a += win
            dl_b += hit & ~win
            threatened[lv.id] &= ~win
            if lv.every is None:
                threatened[lv.id] &= ~hit
            else:
                due[lv.id] = np.where(hit & ~win, due[lv.id] + lv.every, due[lv.id])
        p = _effective(inputs, t, enforced)
        # agreements in force may break down (MODELS.md §5.9)
        hazard = p["breakdown.base"] * np.exp(-par["breakdown.guarantee_effect"] * p["guarantees"])
        broke = (status == AGREEMENT) & (u[1] < hazard)
        status = np.where(broke, FIGHTING, status)
        breakdowns += broke
        share = np.where(broke, np.nan, share)
        fighting = status == FIGHTING
        # values of fighting on, offers, acceptance
        credibility = dl_a / (dl_a + dl_b)
        c_r = p["R.cost"] + p["R.casualty_cost"] * cas_r + credibility * _threat(inputs, t,
                                                                                 threatened)
        c_u = p["U.cost"] + p["U.casualty_cost"] * cas_u
        bonus = p["guarantee_value"] * p["guarantees"]
        p_true = battle_probability(p, forces_r, forces_u, options)
        if options.variant == "powell":
            x, accept = _powell_offer(options, k, n, belief, c_r, c_u, bonus, tough, mu, p,
                                      forces_r, forces_u)
        else:
            x, accept = _offer(options, t, k, n, belief, c_r, c_u, bonus)
        settle = fighting & accept
        status = np.where(settle, AGREEMENT, status)
        share = np.where(settle, x, share)
        first = np.where(settle & (first < 0), t, first)
        end_week = np.where(settle, t, end_week)
        fight = status == FIGHTING
        # the battle (MODELS.md §5.4) and its costs
        if options.variant == "powell" and options.powell_uncertainty == "power":
            p_true = _typed_probability(p, forces_r, forces_u, options, tough)
        r_wins = u[0] < p_true
        step = np.where(r_wins, 1.0, -1.0)
        k = np.where(fight, k + step, k)
        for s in "RU":
            belief[s][0] += fight & r_wins
            belief[s][1] += fight & ~r_wins
        if options.variant == "powell" and options.powell_uncertainty == "power":
            mu = np.where(fight, _bayes_power(mu, p, forces_r, forces_u, options, r_wins), mu)
        cas_r = np.where(fight, p["U.lethality"] * forces_u, 0.0)
        cas_u = np.where(fight, p["R.lethality"] * forces_r, 0.0)
        forces_r = np.where(fight, np.maximum(forces_r + p["R.recruitment"] - cas_r, 0.0), forces_r)
        forces_u = np.where(fight, np.maximum(forces_u + p["U.recruitment"] - cas_u, 0.0), forces_u)
        cost_r += np.where(fight, p["R.cost"] + p["R.casualty_cost"] * cas_r, 0.0)
        cost_u += np.where(fight, p["U.cost"] + p["U.casualty_cost"] * cas_u, 0.0)
        # termination (MODELS.md §5.8), first cause wins
        ends = [
            (k >= n, VICTORY_R, 1.0),
            (k <= 0, VICTORY_U, 0.0),
            (u[2] < p["R.collapse"], COLLAPSE_R, 0.0),
            (u[3] < p["U.collapse"], COLLAPSE_U, 1.0),
            ((cost_r >= par["R.capacity"]) | (forces_r < FORCE_FLOOR * start_r), EXHAUSTED_R,
             None),
            ((cost_u >= par["U.capacity"]) | (forces_u < FORCE_FLOOR * start_u), EXHAUSTED_U,
             None),
        ]
        for cond, mode, value in ends:
            stop = (status == FIGHTING) & fight & cond
            status = np.where(stop, mode, status)
            # an exhausted side settles on the line where the front stands
            share = np.where(stop, k / n if value is None else value, share)
            end_week = np.where(stop, t + 1, end_week)
        in_force[:, t] = status == AGREEMENT
        front[:, t + 1] = k
    end_mode = np.where(status == FIGHTING, HORIZON, status)
    end_week = np.where(end_mode == HORIZON, horizon, end_week)
    terms = inputs.terms_low + share[:, None] * (inputs.terms_high - inputs.terms_low)
    return WarOutcome(end_mode, end_week, first, share, terms, in_force, breakdowns, front,
                      cost_r, cost_u)


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
                  ) -> tuple[np.ndarray, np.ndarray]:
    """U, uninformed, screens R's private type with its offer (Powell 2004, two types).

    U compares offering the tough type's reservation value (both types accept) with offering the
    soft type's (only the soft type accepts; a refusal reveals toughness, so U's belief mu jumps
    to 1 — under cost uncertainty refusals are the only lesson, "skimming"). R accepts iff the
    offer reaches its own type's value of fighting on.
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
    mu[:] = np.where(~accept & (x < w_tough), 1.0, mu)  # only the tough type refuses w_soft
    return x, accept


def _simulate_fearon(inputs: WarInputs, options: WarOptions, rng: np.random.Generator
                     ) -> WarOutcome:
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
    u = rng.random((2, b))
    _, war, share = fearon_outcomes(p, c_r, u[0] * c_bar, c_bar, u[1])
    mode = np.where(war, np.where(share > 0.5, VICTORY_R, VICTORY_U), AGREEMENT)
    in_force = np.repeat((~war)[:, None], horizon, axis=1)
    start = np.rint(par["front.start"])
    front = np.repeat(start[:, None], horizon + 1, axis=1)
    terms = inputs.terms_low + share[:, None] * (inputs.terms_high - inputs.terms_low)
    zeros = np.zeros(b)
    return WarOutcome(mode, np.zeros(b, dtype=int), np.where(war, -1, 0), share, terms, in_force,
                      np.zeros(b, dtype=int), front, np.where(war, c_r, 0.0),
                      np.where(war, u[0] * c_bar, zeros))
