"""Settings that change nothing, found before or after a war runs (no silent no-ops).

A lever or a hypothesis may set a parameter that nothing reads in this run because of another
value (a guarantees lever when no agreement can break down and guarantees are worth nothing to
U; a casualty cost when the enemy inflicts no casualties; a deadline belief without a deadline);
and a scenario may settle every run before the first battle. Each case becomes a warning naming
the setting and the value that makes it inert.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from detente.compile import WarInputs


def _changed_by_levers(inputs: WarInputs) -> set[str]:
    return {param for lv in inputs.levers for param, _, _ in lv.effects}


def _why_inert(param: str, inputs: WarInputs) -> str | None:
    """Why ``param`` cannot change any outcome of ``inputs`` (None if it can)."""
    p, moved = inputs.params, _changed_by_levers(inputs)
    if param not in p:
        return ("the §5 kernel has no such parameter (the coupled model's, MODELS.md §7: "
                "leave out -O variant to run it)")

    def zero(name: str) -> bool:
        return name not in moved and not np.any(p.get(name, np.zeros(1)) > 0)

    if param == "breakdown.guarantee_effect" and zero("breakdown.base"):
        return "breakdown.base is 0, so no agreement can break down"
    if param == "guarantee_value" and zero("guarantees"):
        return "guarantees is 0"
    if param == "guarantees" and zero("guarantee_value") and (
            zero("breakdown.base") or zero("breakdown.guarantee_effect")):
        return ("guarantee_value is 0 and guarantees cannot lower a breakdown hazard "
                "(breakdown.base or breakdown.guarantee_effect is 0)")
    for side, other in (("R", "U"), ("U", "R")):
        if param == f"{side}.casualty_cost" and zero(f"{other}.lethality"):
            return f"{other}.lethality is 0, so {side} suffers no casualties"
    if param.startswith("deadline_belief.") and not any(lv.credibility is not None
                                                        for lv in inputs.levers):
        return "no deadline lever is switched on"
    return None


def inert_settings(inputs: WarInputs, hypothesis: str, set_by_hypothesis: Iterable[str]
                   ) -> list[str]:
    """Warnings for lever effects and hypothesis parameters that nothing reads in this run."""
    out = []
    for lv in inputs.levers:
        for param, _, _ in lv.effects:
            why = _why_inert(param, inputs)
            if why:
                out.append(f"lever {lv.id!r} changes {param}, which changes nothing here: {why}")
    for param in sorted(set_by_hypothesis):
        why = _why_inert(param, inputs)
        if why:
            out.append(f"hypothesis {hypothesis!r} sets {param}, which changes nothing here: "
                       f"{why}")
    return out


def settled_at_once(end_week: np.ndarray, first_agreement: np.ndarray) -> list[str]:
    """A warning when every run settles in week 0, before any battle."""
    if end_week.size and np.all(first_agreement == 0):
        return ["every run settles in week 0, before any battle: under the starting beliefs "
                "and costs both sides prefer the offer to fighting (V_R + V_U <= 1, MODELS.md "
                "§5.6); beliefs further apart, lower costs or a deadline-free threat make war "
                "possible"]
    return []
