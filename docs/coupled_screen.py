"""Which assumed numbers decide the flagship's verdicts on the coupled model: a one-at-a-time
screen.

    PYTHONPATH=src python docs/coupled_screen.py [--runs 2000]

For four assumed inputs of `scenarios/ukraine-2025.yaml` (the red lines' softening rate and cost
threshold, the front's step and the exponent of R's revenue in its talks capability), set each in
all runs to the low and then the high end of a plausible range on top of each hypothesis, and
recompute each lever's paired effect on P(deal in force) at week 104 (the verdicts at 13, 26 and
52 weeks are zero in the scenario as written) with its 95% interval, over common random numbers.
A screen, not a global sensitivity analysis: interactions between inputs are not explored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from detente.analysis.compare import compare, war_options
from detente.scenario import load_scenario
from detente.scenario.quantity import Quantity

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "ukraine-2025.yaml"
LEVERS = ["oil-sanctions", "tomahawks", "secondary-tariffs", "us-disengagement"]
WEEK = "104"


def settings(scenario) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """Input name -> (low, high) hypothesis parameters (dotted coupled paths)."""
    lines = [f"red_lines.{r.actor}.{r.issue}" for r in scenario.war.red_lines]
    return {
        "red-line softening 0.25 / 1.0": ({f"{p}.softening": 0.25 for p in lines},
                                          {f"{p}.softening": 1.0 for p in lines}),
        "red-line threshold 0.025 / 0.1": ({f"{p}.threshold": 0.025 for p in lines},
                                           {f"{p}.threshold": 0.1 for p in lines}),
        "front.step 0.025 / 0.1": ({"front.step": 0.025}, {"front.step": 0.1}),
        "talks.theta_revenue 0 / 2": ({"talks.theta_revenue": 0.0},
                                      {"talks.theta_revenue": 2.0}),
    }


def with_setting(scenario, values: dict[str, float]):
    """The scenario with every hypothesis also setting ``values`` (in all runs)."""
    extra = {k: Quantity(value=v, assumption="screen") for k, v in values.items()}
    hyps = tuple(h.model_copy(update={"parameters": {**h.parameters, **extra}})
                 for h in scenario.hypotheses)
    return scenario.model_copy(update={"hypotheses": hyps})


def effects(scenario, runs: int) -> dict[tuple[str, str], tuple[float, float, float]]:
    out = compare(scenario, [h.id for h in scenario.hypotheses], LEVERS, runs, 0, war_options())
    res = {}
    for hyp, entry in out["hypotheses"].items():
        for lever, lv in entry["levers"].items():
            d = lv["coupled"]["effects"]["delta_p_deal"][WEEK]
            res[(hyp, lever)] = (d["mean"], *d["ci95"])
    return res


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    runs = parser.parse_args().runs
    scenario = load_scenario(SCENARIO)
    base = effects(scenario, runs)
    fmt = "{:+.3f} [{:+.3f}, {:+.3f}]"
    print("| input | setting | hypothesis | " + " | ".join(LEVERS) + " |")
    print("|---|---|---|" + "---|" * len(LEVERS))
    for hyp in (h.id for h in scenario.hypotheses):
        cells = [fmt.format(*base[(hyp, lv)]) for lv in LEVERS]
        print(f"| as written | | {hyp} | " + " | ".join(cells) + " |")
    for name, (low, high) in settings(scenario).items():
        for label, values in (("low", low), ("high", high)):
            res = effects(with_setting(scenario, values), runs)
            for hyp in (h.id for h in scenario.hypotheses):
                cells = [fmt.format(*res[(hyp, lv)]) for lv in LEVERS]
                print(f"| {name} | {label} | {hyp} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
