"""What the §5 war kernel's numpy reference (:mod:`detente.war.kernel`) and its compiled weeks
(:mod:`detente.war.fast`) share: the end modes, the outcome, the weekly draws, and the levers'
week by week effects (MODELS.md §5.3, §5.10)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from detente.compile import WarInputs
from detente.seeds import Streams

END_MODES = ("fighting", "agreement", "victory_R", "victory_U", "collapse_R", "collapse_U",
             "exhaustion_R", "exhaustion_U", "horizon")
FIGHTING, AGREEMENT, VICTORY_R, VICTORY_U, COLLAPSE_R, COLLAPSE_U, EXHAUSTED_R, EXHAUSTED_U, \
    HORIZON = range(len(END_MODES))
FORCE_FLOOR = 0.1  # a side whose forces fall below this share of their start is exhausted


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
    tough: np.ndarray  # (B,) the powell variant's private type of R (False elsewhere)

    @classmethod
    def concatenate(cls, parts: Sequence[WarOutcome]) -> WarOutcome:
        """Blocks of runs back into one outcome."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls)})


def effective_parameters(inputs: WarInputs, t: int, enforced: dict[str, np.ndarray]
                         ) -> dict[str, np.ndarray]:
    """Parameters in force in week t: base values changed by the active levers. An effect on a
    parameter the §5 kernel does not have (the coupled model's economy, talks or third parties,
    MODELS.md §7) changes nothing here; the runner warns of it (``war.diagnostics``)."""
    p = dict(inputs.params)
    for lv in inputs.levers:
        if t < lv.start or (lv.end is not None and t >= lv.end):
            continue
        on = enforced.get(lv.id)
        for param, op, size in lv.effects:
            if param not in p:
                continue
            changed = p[param] + size if op == "add" else p[param] * size
            p[param] = changed if on is None else np.where(on, changed, p[param])
    return p


def threat_cost(inputs: WarInputs, t: int, threatened: dict[str, np.ndarray]) -> np.ndarray:
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


def weekly_draws(streams: Streams, key: str, t: int, shape: tuple[int, ...]) -> np.ndarray:
    """Week t's draws of stream ``key``: a row per run, so run i's values do not depend on how
    many runs share the block."""
    return streams.generator(key, streams.block, t).random(shape)


def deadline_state(inputs: WarInputs) -> tuple[dict[str, np.ndarray], ...]:
    """Per deadline lever (B,) arrays: the week its deadline falls due, whether it is still
    threatened, whether it has been enforced."""
    b = inputs.runs
    due = {lv.id: np.full(b, lv.start) for lv in inputs.levers if lv.credibility is not None}
    threatened = {lid: np.ones(b, dtype=bool) for lid in due}
    enforced = {lid: np.zeros(b, dtype=bool) for lid in due}
    return due, threatened, enforced


def deadlines(inputs: WarInputs, streams: Streams, t: int, status: np.ndarray,
               due: dict[str, np.ndarray], threatened: dict[str, np.ndarray],
               enforced: dict[str, np.ndarray], dl_a: np.ndarray, dl_b: np.ndarray) -> None:
    """Deadlines falling due in week t are enforced with the lever's credibility, unless an
    agreement holds; each enforced or lapsed deadline teaches R's belief (dl_a, dl_b) about
    deadlines (MODELS.md §5.10). Updates the arrays in place."""
    for lv in (lv for lv in inputs.levers if lv.id in due):
        draw = weekly_draws(streams, f"deadline:{lv.id}", t, (inputs.runs,))
        hit = threatened[lv.id] & (due[lv.id] == t) & (status != AGREEMENT)
        win = hit & (draw < lv.credibility)  # type: ignore[operator]
        enforced[lv.id] |= win
        dl_a += win
        dl_b += hit & ~win
        threatened[lv.id] &= ~win
        if lv.every is None:
            threatened[lv.id] &= ~hit
        else:
            due[lv.id] = np.where(hit & ~win, due[lv.id] + lv.every, due[lv.id])


def outcome(inputs: WarInputs, status: np.ndarray, end_week: np.ndarray, first: np.ndarray,
            share: np.ndarray, in_force: np.ndarray, breakdowns: np.ndarray, front: np.ndarray,
            cost_r: np.ndarray, cost_u: np.ndarray, tough: np.ndarray) -> WarOutcome:
    """The block's WarOutcome from its final state (``in_force`` (B, T), ``front`` (B, T + 1))."""
    end_mode = np.where(status == FIGHTING, HORIZON, status)
    end_week = np.where(end_mode == HORIZON, inputs.horizon, end_week)
    terms = inputs.terms_low + share[:, None] * (inputs.terms_high - inputs.terms_low)
    return WarOutcome(end_mode, end_week, first, share, terms, in_force, breakdowns, front,
                      cost_r, cost_u, tough)
