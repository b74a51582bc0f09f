"""Bueno de Mesquita's expected-utility ("challenge") model, after Scholz, Calbert & Smith (2011).

Equation numbers are those of Scholz et al. (2011), "Unravelling Bueno De Mesquita's group
decision model", J. Theoretical Politics 23(4). The model runs one issue at a time; a batch of
B draws x D issues is folded into B*D independent problems and run as one array computation.

Each round (MODELS.md §2.1): risk exponents are reset to 1; first-pass probabilities P and
expected utilities E give every actor's security (eqs. 32-34) and so its risk exponent r_i;
second-pass P and E with those exponents classify every ordered dyad into an octant (Scholz §6,
fig. 6) and form offers; each actor accepts at most one offer; positions update.

Every ambiguity of MODELS.md §2.9 is an option. The default preset ``scholz-code`` is the only
configuration known to reproduce Scholz's Table 2: on the BDM (1994) emissions case it gives the
medians 8.42, 9.61, 9.96, 9.96, 9.96, 7.47, 8.82, 9.67 against the published 8.4, 9.9, 9.9, 9.9,
9.9, 7.4, 8.8, 9.6 (and every mean within 0.1). Round 2 is off by 0.29: Belgium's round-2
compromise with the UK lands at 9.61 where Scholz's table implies about 9.9. No option of
MODELS.md §2.9 brings round 2 to 9.9 without breaking other rounds (see
``docs/eum-table2.md``); we report the deviation rather than tune it away.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detente.compile import Batch
from detente.errors import ModelError
from detente.models.base import Trajectory
from detente.models.baselines import weighted_median
from detente.options import EUM_PRESETS as PRESETS
from detente.options import EUMOptions, parse_options
from detente.seeds import Streams

__all__ = ["PRESETS", "EUMModel", "EUMOptions", "eum_options", "run_eum"]


def eum_options(given: dict[str, Any] | None = None) -> EUMOptions:
    """Options from a preset plus explicit overrides (the preset's values fill the rest)."""
    return parse_options(EUMOptions, given)  # type: ignore[return-value]


# -- the pieces of one round ---------------------------------------------------------------------

SMALL_MARGINS = 2**18  # b x k x i x j elements up to which vote margins are one array expression

def vote_margins(x: np.ndarray, w: np.ndarray, r: np.ndarray | None, R: np.ndarray) -> np.ndarray:
    """M[b, i, j] = sum_k max(0, w_k [(|x_k - x_j|/R)^r_k - (|x_k - x_i|/R)^r_k]).

    The support i gets against j from voters closer to i (Scholz eq. 31's numerator; with the
    voters' own exponents r_k it is the variant of Scholz's code, MODELS.md §2.4).

    A small problem is one array expression over [b, k, i, j]; a large one adds the voters one
    at a time into [b, i, j] (memory O(B N^2) instead of O(B N^3), and faster once the 4-d array
    leaves the cache). Both add the voters in order k = 0, 1, ..., so they give the same bits.
    """
    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]  # [b, k, a]
    wv = w[:, :, None] * (dist if r is None else dist ** r[:, :, None])
    if wv.size * wv.shape[1] <= SMALL_MARGINS:
        diff = wv[:, :, None, :] - wv[:, :, :, None]  # [b, k, i, j] = wv[k, j] - wv[k, i]
        np.maximum(diff, 0.0, out=diff)
        return diff.sum(axis=1)
    margins = np.zeros(wv.shape)
    step = np.empty(wv.shape)
    for k in range(wv.shape[1]):
        np.subtract(wv[:, k, None, :], wv[:, k, :, None], out=step)
        np.maximum(step, 0.0, out=step)
        margins += step
    return margins


def win_probability(x: np.ndarray, w: np.ndarray, r: np.ndarray | None, R: np.ndarray,
                    variant: str) -> np.ndarray:
    """P[b, i, j]: probability that i prevails over j (MODELS.md §2.4, Scholz eqs. 30-31).

    ``all_pairs_risk`` divides by the total vote over *all* ordered pairs (so P is small and
    P_ij + P_ji != 1), as Scholz's code does; ``paper`` divides by the votes on this pair only;
    ``signed_clip`` nets the votes before clipping at 0 (Masad 2014). P = 0 when x_i = x_j.
    """
    if variant != "all_pairs_risk":
        r = None
    m = vote_margins(x, w, r, R)
    pair_total = m + np.swapaxes(m, 1, 2)
    if variant == "all_pairs_risk":
        den = pair_total.sum(axis=(1, 2))[:, None, None]  # = sum_k sum_a sum_b |delta|
        num = m
    elif variant == "paper":
        den, num = pair_total, m
    else:
        net = m - np.swapaxes(m, 1, 2)
        den, num = pair_total, np.maximum(net, 0.0)
    apart = x[:, :, None] != x[:, None, :]
    return np.divide(num, den, out=np.zeros(num.shape), where=(den > 0) & apart)


def _u(base: np.ndarray, e: np.ndarray | None) -> np.ndarray:
    """2 - 4 base^e, the utility form of eqs. 15-16 and 22-24 (e = None means e = 1)."""
    if e is None:
        return 2.0 - 4.0 * base
    return 2.0 - 4.0 * np.maximum(base, 0.0) ** e  # clip guards round-off only


def _status_quo_terms(x: np.ndarray, d: np.ndarray, R: np.ndarray, q: float, mu: np.ndarray,
                      e: np.ndarray | None, usq: np.ndarray | float) -> np.ndarray:
    """Q U_sq + (1 - Q)[T U_b + (1 - T) U_w] for challenger i (rows), target j (columns)."""
    terms = q * usq
    if q < 1.0:
        gap = np.abs(x - mu[:, None])[:, :, None]
        better = gap < np.abs(x[:, :, None] - x[:, None, :])
        spread = 0.25 * (gap / R[:, None, None] + d)
        terms = terms + (1.0 - q) * np.where(better, _u(0.5 - spread, e), _u(0.5 + spread, e))
    return terms


def dyad_eus(x: np.ndarray, s: np.ndarray, p: np.ndarray, r: np.ndarray | None, R: np.ndarray,
             q: float, mu: np.ndarray, perspective: str = "evaluator"
             ) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of every dyad: a[m, p] = E^m(U_mp) and b[m, p] = E(U_pm) (eqs. 5-7, 25).

    E(i challenges j) = s_j [P_ij U_s + (1 - P_ij) U_f] + (1 - s_j) U_s - Q U_sq
    - (1 - Q)[T U_b + (1 - T) U_w], the leading salience being the responder's (A1) and
    T = 1 iff |x_i - mu| < |x_i - x_j| (§2.3). ``a`` is priced with m's exponent. Under the
    ``evaluator`` perspective m also prices p's challenge with its own exponent (Scholz's code);
    under ``own`` p's challenge carries p's exponent, so b = a transposed. ``r = None`` means
    every exponent is 1. Because distances are symmetric, U_s and U_f under m's exponent serve
    both sides: U_s(d_pm; r_m) is the transpose of U_s(d_mp; r_m).
    """
    d = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    e_row = None if r is None else r[:, :, None]
    us, uf = _u(0.5 - 0.5 * d, e_row), _u(0.5 + 0.5 * d, e_row)
    s_col = s[:, None, :]
    a = s_col * (p * us + (1.0 - p) * uf) + (1.0 - s_col) * us
    usq = 0.0 if r is None else _u(np.full(r.shape, 0.5), r)  # eq. 24, per evaluator
    a -= _status_quo_terms(x, d, R, q, mu, e_row, usq if r is None else usq[:, :, None])
    if perspective == "own" or r is None:
        return a, np.swapaxes(a, 1, 2)
    # E_t[i, j] = E(i challenges j) priced with the target's exponent r_j; b = E_t transposed
    us_t, uf_t = np.swapaxes(us, 1, 2), np.swapaxes(uf, 1, 2)
    e_col = r[:, None, :]
    e_t = s_col * (p * us_t + (1.0 - p) * uf_t) + (1.0 - s_col) * us_t
    e_t -= _status_quo_terms(x, d, R, q, mu, e_col, usq[:, None, :])  # type: ignore[index]
    return a, np.swapaxes(e_t, 1, 2)


def risk_exponents(x: np.ndarray, w: np.ndarray, s: np.ndarray, R: np.ndarray, mu: np.ndarray,
                   opts: EUMOptions) -> np.ndarray:
    """r_i from security (eqs. 32-34, BDM 1985 form), computed with every exponent at 1.

    Sec_i = sum_{j != i} E[j, i] (adversaries' view, A2) or sum_{j != i} E[i, j] ('row');
    R_i = (2 Sec_i - Sec_max - Sec_min) / (Sec_max - Sec_min); r_i = (1 - R_i/3) / (1 + R_i/3).
    If every security is equal, r = 1 (A16).
    """
    if opts.risk == "off":
        return np.ones_like(x)
    p = win_probability(x, w, None, R, opts.probability)
    e1, _ = dyad_eus(x, s, p, None, R, opts.q, mu)
    n = x.shape[1]
    off = ~np.eye(n, dtype=bool)
    sec = np.where(off, e1, 0.0).sum(axis=1 if opts.security == "adversary" else 2)
    hi, lo = sec.max(axis=1, keepdims=True), sec.min(axis=1, keepdims=True)
    risk = np.divide(2.0 * sec - hi - lo, hi - lo, out=np.zeros(sec.shape), where=hi > lo)
    return (1.0 - risk / 3.0) / (1.0 + risk / 3.0)


OFFER_NONE, OFFER_CONFRONTATION, OFFER_COMPROMISE, OFFER_CAPITULATION = 0, 1, 2, 3


def offers(x: np.ndarray, a: np.ndarray, b: np.ndarray,
           opts: EUMOptions) -> tuple[np.ndarray, np.ndarray]:
    """Octant classification (Scholz §6, fig. 6): offer type and target position for every (m, p).

    a[m, p] = m's EU of challenging p; b[m, p] = EU of p challenging m. Strict inequalities, so a
    tie makes no offer (A4). Compromise: m moves by (x_p - x_m)|a|/b (eq. 36).
    """
    xm, xp = x[:, :, None], x[:, None, :]
    n = x.shape[1]
    valid = (xm != xp) & ~np.eye(n, dtype=bool)
    confront = valid & (b > a) & (a > 0)
    compromise = valid & (b > 0) & (a < 0) & (b > np.abs(a))
    capitulate = valid & (b > 0) & (a < 0) & (np.abs(a) > b)
    if opts.capitulation == "velev_bug":
        capitulate = np.zeros_like(capitulate)
    if opts.conflict_rule == "no_move":
        confront = np.zeros_like(confront)
    kind = np.where(confront, OFFER_CONFRONTATION, np.where(
        compromise, OFFER_COMPROMISE, np.where(capitulate, OFFER_CAPITULATION, OFFER_NONE)))
    ratio = np.divide(a, b, out=np.zeros(a.shape), where=compromise)  # b > 0 there
    target = np.where(compromise, xm + (xp - xm) * np.abs(ratio), xp)
    return kind, target


def choose_offer(x: np.ndarray, a: np.ndarray, b: np.ndarray, kind: np.ndarray,
                 target: np.ndarray, opts: EUMOptions) -> tuple[np.ndarray, np.ndarray]:
    """Each actor accepts at most one offer (A5); returns (chosen proposer or -1, new position).

    scholz_code: confrontations first (least move), else compromises ranked by the lowest
    EU-weighted position (|a| x_m + |b| x_p)/(|a| + |b|) (a quirk of Scholz's code), else
    capitulations (least move). least_move: the offer that moves m least. highest_eu: the
    proposer's highest EU b, ties by least move. most_enforceable: highest b, then least move,
    then the lower target. Remaining ties go to the lower actor index.
    """
    xm = x[:, :, None]
    move = np.abs(target - xm)
    has = kind != OFFER_NONE
    inf = np.inf
    if opts.offer_selection == "scholz_code":
        xp = x[:, None, :]
        abs_a, abs_b = np.abs(a), np.abs(b)
        weighted = np.divide(abs_a * xm + abs_b * xp, abs_a + abs_b, out=np.full(a.shape, inf),
                             where=kind == OFFER_COMPROMISE)  # |b| > 0 there
        key = np.full(kind.shape, inf)
        chosen_tier = np.zeros(x.shape, dtype=bool)
        for tier, score in ((OFFER_CONFRONTATION, move), (OFFER_COMPROMISE, weighted),
                            (OFFER_CAPITULATION, move)):
            in_tier = kind == tier
            use = in_tier & ~chosen_tier[:, :, None]
            key = np.where(use, score, key)
            chosen_tier |= in_tier.any(axis=2)
        pick = np.argmin(key, axis=2)
    elif opts.offer_selection == "least_move":
        pick = np.argmin(np.where(has, move, inf), axis=2)
    else:
        # lexicographic: highest b, then least move (then lower target for most_enforceable)
        keys = [np.where(has, target, inf), np.where(has, move, inf), np.where(has, -b, inf)]
        if opts.offer_selection == "highest_eu":
            keys = keys[1:]
        order = np.lexsort(keys, axis=2)
        pick = order[..., 0]
    any_offer = has.any(axis=2)
    new = target[np.arange(x.shape[0])[:, None], np.arange(x.shape[1]), pick]
    return np.where(any_offer, pick, -1), np.where(any_offer, new, x)


def eum_round(x: np.ndarray, c: np.ndarray, s: np.ndarray, R: np.ndarray,
              opts: EUMOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One round for every problem: returns (new positions, risk exponents, chosen proposer)."""
    w = c * s
    mu = weighted_median(x, w, axis=-1)
    live = R > 0
    R = np.where(live, R, 1.0)
    r = risk_exponents(x, w, s, R, mu, opts)
    p = win_probability(x, w, r, R, opts.probability)
    a, b = dyad_eus(x, s, p, r, R, opts.q, mu, opts.perspective)
    kind, target = offers(x, a, b, opts)
    pick, new = choose_offer(x, a, b, kind, target, opts)
    if opts.update == "sequential":
        new, pick = _sequential(x, c, s, R, opts, new, pick)
    new = np.where(live[:, None], new, x)
    return new, r, np.where(live[:, None], pick, -1)


def _sequential(x: np.ndarray, c: np.ndarray, s: np.ndarray, R: np.ndarray, opts: EUMOptions,
                first: np.ndarray, pick0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Actors move one at a time in list order, each on the state its predecessors left (A13)."""
    simultaneous = opts.model_copy(update={"update": "simultaneous"})
    x = x.copy()
    x[:, 0] = first[:, 0]
    picks = pick0.copy()
    for m in range(1, x.shape[1]):
        new, _, pick = eum_round(x, c, s, R, simultaneous)
        x[:, m] = new[:, m]
        picks[:, m] = pick[:, m]
    return x, picks


BLOCK = 1024  # problems per cache block at N = 10 (results do not depend on it)
AUTO_COMPILED = 64  # problems from which "auto" uses numba's just-in-time loops (no prebuilt)


def use_compiled(problems: int, opts: EUMOptions) -> bool:
    """Whether this call runs :mod:`detente.models.eum_fast`: ``engine="compiled"``; or
    ``"auto"`` with the prebuilt module loaded (any size: it loads in a millisecond), or with
    numba's just-in-time loops for :data:`AUTO_COMPILED` problems or more (importing numba
    and loading its cache cost about a second, which a single problem does not repay)."""
    from detente.models import eum_fast

    if opts.engine == "compiled" and not eum_fast.AVAILABLE:
        raise ModelError("engine=compiled needs numba (pip install 'detente[fast]')")
    if opts.engine == "numpy" or not eum_fast.AVAILABLE:
        return False
    return (opts.engine == "compiled" or eum_fast.PREBUILT is not None
            or problems >= AUTO_COMPILED)


def run_eum(x0: np.ndarray, c: np.ndarray, s: np.ndarray, scale: np.ndarray,
            opts: EUMOptions) -> dict[str, np.ndarray]:
    """Run the model on B independent one-issue problems: x0, c, s (B, N); scale (B,) = high-low.

    Returns positions (B, T+1, N), risk exponents (B, T, N), proposer accepted (B, T, N; -1 for
    none), turns (B,), the stop flag (B,) telling whether ``median_stable`` fired and the
    forecast (B,), the capability x salience weighted median of the last positions. T is the
    rounds run: ``rounds``, or under ``median_stable`` the last stop plus one round that shows
    it (r = 1, no offer), so outputs are sized for the rounds run and not for the cap. Rounds
    after a problem's stop repeat its positions. The compiled engine takes the problems one at
    a time; the numpy kernel takes them in cache-sized blocks (the runner parallelises).
    """
    if use_compiled(x0.shape[0], opts):
        from detente.models import eum_fast

        xs, rs, picks, turns, stable, forecast = eum_fast.run(x0, c, s, scale, opts)
        return {"positions": xs, "risk": rs, "accepted": picks, "turns": turns,
                "stable": stable, "forecast": forecast}
    n = x0.shape[1]
    block = max(1, BLOCK * 1000 // n**3)
    parts = [_run_block(x0[k:k + block], c[k:k + block], s[k:k + block], scale[k:k + block],
                        opts) for k in range(0, x0.shape[0], block)]
    keep = max(p["risk"].shape[1] for p in parts)
    out = {key: np.concatenate([_pad(p[key], keep + (key == "positions")) for p in parts])
           for key in parts[0]}
    out["forecast"] = weighted_median(out["positions"][:, -1, :, None], (c * s)[:, :, None])[:, 0]
    return out


def _pad(a: np.ndarray, length: int) -> np.ndarray:
    """A block's round axis to ``length`` by repeating its last round (a padded one, or the
    cap); arrays without a round axis pass through."""
    if a.ndim < 2 or a.shape[1] == length:
        return a
    return np.concatenate([a, np.repeat(a[:, -1:], length - a.shape[1], axis=1)], axis=1)


def _run_block(x0: np.ndarray, c: np.ndarray, s: np.ndarray, scale: np.ndarray,
               opts: EUMOptions) -> dict[str, np.ndarray]:
    b, n = x0.shape
    xs, rs, picks = [x0], [], []
    w = c * s
    running = np.ones(b, dtype=bool)
    turns = np.zeros(b, dtype=int)
    stable = np.zeros(b, dtype=int)
    mu_prev = weighted_median(x0[:, :, None], w[:, :, None])[:, 0]
    initial_range = x0.max(axis=1) - x0.min(axis=1)
    x = x0
    for _ in range(opts.rounds):
        if not running.any():  # one padded round shows the stop (see run_eum)
            xs.append(x)
            rs.append(np.ones((b, n)))
            picks.append(np.full((b, n), -1))
            break
        if opts.range == "initial":
            R = initial_range
        elif opts.range == "current":
            R = x.max(axis=1) - x.min(axis=1)
        else:
            R = scale
        new, r, pick = eum_round(x, c, s, R, opts)
        x = np.where(running[:, None], new, x)
        xs.append(x)
        rs.append(np.where(running[:, None], r, 1.0))
        picks.append(np.where(running[:, None], pick, -1))
        turns += running
        if opts.stop == "median_stable":
            mu = weighted_median(x[:, :, None], w[:, :, None])[:, 0]
            stable = np.where(np.abs(mu - mu_prev) < opts.stable_eps, stable + 1, 0)
            mu_prev = mu
            running &= stable < opts.stable_k
    return {"positions": np.stack(xs, axis=1), "risk": np.stack(rs, axis=1),
            "accepted": np.stack(picks, axis=1), "turns": turns,
            "stable": ~running if opts.stop == "median_stable" else np.zeros(b, bool)}


def _fold(a: np.ndarray) -> np.ndarray:
    """(B, N, D) -> (B*D, N): row b*D + d holds problem (b, d) (a view when D = 1)."""
    bsz, n, d = a.shape
    return a.reshape(bsz, n) if d == 1 else a.transpose(0, 2, 1).reshape(bsz * d, n)


class EUMModel:
    """Bueno de Mesquita's expected-utility model (Scholz, Calbert & Smith 2011), per issue."""

    def run(self, batch: Batch, options: EUMOptions, streams: Streams | None = None
            ) -> Trajectory:
        if not batch.complete:
            _, n, d = np.nonzero(~batch.mask)
            raise ModelError(
                "model 'eum' needs every actor to hold a position on every issue; missing: "
                f"actor {batch.actors[n[0]]!r} on issue {batch.issues[d[0]]!r}")
        bsz, n, d = batch.shape
        out = run_eum(_fold(batch.position), _fold(batch.capability), _fold(batch.salience),
                      np.tile(batch.high - batch.low, bsz), options)
        t1 = out["positions"].shape[1]
        positions = out["positions"].reshape(bsz, d, t1, n).transpose(0, 2, 3, 1)
        turns = out["turns"].reshape(bsz, d).max(axis=1)
        stable = out["stable"].reshape(bsz, d).all(axis=1)
        reason = np.where(stable, "median_stable", "rounds").astype(object)
        return Trajectory(
            positions=positions,
            forecast=out["forecast"].reshape(bsz, d),
            turns=turns,
            stop_reason=reason,
            diagnostics={
                "risk_exponent": out["risk"].reshape(bsz, d, t1 - 1, n).transpose(0, 2, 3, 1),
                "accepted_offer_from": out["accepted"].reshape(bsz, d, t1 - 1, n)
                .transpose(0, 2, 3, 1),
            },
            series=("risk_exponent", "accepted_offer_from"),
        )

