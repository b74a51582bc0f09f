"""Request checks shared by the dashboard's war endpoints (a view: no model code here)."""

from __future__ import annotations

from collections.abc import Sequence

from detente.scenario.schema import Scenario


def check_variant(sc: Scenario, hypothesis: str, levers: Sequence[str], error: type[Exception],
                  lever_field: str = "levers[{k}]") -> None:
    """Refuse a scenario without a war, an unknown hypothesis, unknown or repeated levers with
    ``error(422, message, field)``, the field naming the bad lever by its place."""
    if sc.war is None:
        raise error(422, "this scenario has no war part", "scenario")
    known = [h.id for h in sc.hypotheses]
    if hypothesis != "baseline" and hypothesis not in known:
        raise error(422, f"unknown hypothesis (defined: baseline, {', '.join(known)})",
                    "hypothesis")
    ids = [lv.id for lv in sc.levers]
    for k, lever in enumerate(levers):
        if lever not in ids:
            raise error(422, f"unknown lever (defined: {', '.join(ids)})", lever_field.format(k=k))
    if len(set(levers)) != len(levers):
        raise error(422, "a lever is listed twice", "levers")
