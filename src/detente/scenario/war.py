"""The war part of a scenario: belligerents, front, forces, cost flows, beliefs, levers, hypotheses.

Units (MODELS.md §5): one period is one week; the stakes are worth 1 (a settlement gives R the
share x and U the share 1 - x); costs are flows per week in those units; forces are in thousands
of troops. Every number is a :class:`Quantity`, so it can be uncertain and carry its evidence.
Parameters are named by dotted paths (``R.cost``, ``U.effectiveness``, ``guarantees``) that
levers and hypotheses refer to; :data:`LEVER_PARAMETERS` lists those a lever may change while
the war runs, :func:`war_parameters` every path a hypothesis may set.
"""


from typing import Literal

from pydantic import Field

from detente.scenario.quantity import Citation, Quantity, Strict
from detente.scenario.quantity import range_problem as _range_problem
from detente.scenario.talks import (
    LEVER_COUPLED,
    Aims,
    Check,
    ContinuousFront,
    Economy,
    Prospect,
    RedLine,
    Talks,
    ThirdParty,
    bounds_of,
    check_talks,
    coupled_quantities,
)


def q(value: float) -> Quantity:
    return Quantity(value=value)


class Belief(Strict):
    """Beta(a, b) belief about R's chance of winning a week's battle (Smith & Stam 2004)."""

    a: Quantity = Field(description="Pseudo-count of R wins (> 0).")
    b: Quantity = Field(description="Pseudo-count of U wins (> 0).")


class Side(Strict):
    """One belligerent's forces, costs and beliefs."""

    forces: Quantity = Field(description="Troops in the theatre, thousands (> 0).")
    effectiveness: Quantity = Field(default_factory=lambda: q(1.0),
                                    description="Multiplier in the contest-success function.")
    recruitment: Quantity = Field(default_factory=lambda: q(0.0),
                                  description="New troops per week, thousands.")
    lethality: Quantity = Field(default_factory=lambda: q(0.0),
                                description="Enemy casualties per week per thousand own troops "
                                            "(Lanchester square law).")
    cost: Quantity = Field(description="Cost of a week of war as a share of the stakes "
                                       "(military, economic and political).")
    casualty_cost: Quantity = Field(default_factory=lambda: q(0.0),
                                    description="Added cost per thousand own casualties.")
    capacity: Quantity | None = Field(None, description="Cumulative cost at which this side is "
                                                        "exhausted (none: never).")
    collapse: Quantity = Field(default_factory=lambda: q(0.0),
                               description="Chance per week that this side's war effort collapses.")
    belief: Belief = Field(description="This side's Beta belief about R's weekly win chance.")


class Front(Strict):
    """The front as a random walk on 0..steps (Smith & Stam): steps = R's total victory."""

    steps: int = Field(20, ge=2, le=1000)
    start: Quantity = Field(description="Where the front stands now, strictly between 0 and steps.")
    unit: str | None = Field(None, description="What one step means on the ground.")
    continuous: ContinuousFront | None = Field(
        None, description="The coupled model's continuous front (MODELS.md §7.6); with `talks` "
                          "and no entry here its defaults apply.")


class Breakdown(Strict):
    """Post-agreement hazard h = base * exp(-guarantee_effect * guarantees) (MODELS.md §5.9)."""

    base: Quantity = Field(default_factory=lambda: q(0.0),
                           description="Weekly hazard without guarantees.")
    guarantee_effect: Quantity = Field(default_factory=lambda: q(0.0), description="gamma >= 0.")


class War(Strict):
    """Bargaining while fighting between R and U, with third parties acting through levers."""

    R: str = Field(description="Actor id of belligerent R (x is R's share of the stakes).")
    U: str = Field(description="Actor id of belligerent U.")
    horizon: int = Field(104, ge=1, le=1040, description="Weeks simulated.")
    front: Front
    sides: dict[Literal["R", "U"], Side]
    breakdown: Breakdown = Field(default_factory=Breakdown)
    guarantees: Quantity = Field(default_factory=lambda: q(0.0),
                                 description="Strength of security guarantees, 0..1.")
    guarantee_value: Quantity = Field(default_factory=lambda: q(0.0),
                                      description="What guarantees are worth to U, in shares.")
    deadline_belief: Belief = Field(
        default_factory=lambda: Belief(a=q(1.0), b=q(1.0)),
        description="R's Beta belief that a third party enforces its deadlines.")
    talks: Talks | None = Field(None, description="Talks while fighting: with it the coupled "
                                                  "model runs (MODELS.md §7).")
    red_lines: tuple[RedLine, ...] = Field((), description="Red lines of veto players (§7.4).")
    third_parties: tuple[ThirdParty, ...] = Field((), description="Strategic third parties "
                                                                  "(§7.5).")
    economy: Economy | None = Field(None, description="R's war economy and home front (§7.6).")
    aims: Aims | None = Field(None, description="Private aims types (§5.2, §7).")
    checks: tuple[Check, ...] = Field((), description="Stylised facts the baseline must "
                                                      "reproduce (§7.7, `detente check`).")


class LeverEffect(Strict):
    """One parameter change: add a number to it or multiply it."""

    param: str
    add: Quantity | None = None
    mul: Quantity | None = None


class Deadline(Strict):
    """A lever that is threatened for a date and applied only if enforced (MODELS.md §5.10)."""

    credibility: Quantity = Field(description="True chance the threat is enforced on the date.")
    every: int | None = Field(None, ge=1, description="Weeks until the next deadline if this one "
                                                      "passes unenforced (none: one deadline).")


class Lever(Strict):
    """A named intervention: documented parameter changes from a start week (MODELS.md §5.11)."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = Field((), description="Other names articles use for it "
                                     "(matched by `detente evidence`).")
    description: str | None = None
    start: int = Field(0, description="Week it takes effect (0 = now).")
    end: int | None = Field(None, description="Week it stops (exclusive); none: lasts.")
    effects: tuple[LeverEffect, ...] = Field(min_length=1)
    deadline: Deadline | None = None
    prospect: Prospect | None = Field(None, description="A lever that may be enacted at its "
                                                        "start (coupled model, §7.5).")
    cite: tuple[Citation, ...] = ()
    assumption: str | None = None


class Hypothesis(Strict):
    """A named reading of the evidence: parameter values and lever effect sizes."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1)
    description: str | None = None
    parameters: dict[str, Quantity] = Field(default_factory=dict)
    lever_scale: dict[str, Quantity] = Field(
        default_factory=dict, description="Multiplies every effect size of the named lever.")
    cite: tuple[Citation, ...] = ()
    assumption: str | None = None


SIDE_FLOWS = ("effectiveness", "recruitment", "lethality", "cost", "casualty_cost", "collapse")
LEVER_PARAMETERS: tuple[str, ...] = (
    *(f"{s}.{f}" for s in "RU" for f in SIDE_FLOWS),
    "guarantees", "guarantee_value", "breakdown.base",
)


def war_parameters() -> tuple[str, ...]:
    """Every dotted path a hypothesis may set."""
    static = [f"{s}.{f}" for s in "RU" for f in ("forces", "capacity", "belief.a", "belief.b")]
    return (*LEVER_PARAMETERS, *static, "front.start", "breakdown.guarantee_effect",
            "deadline_belief.a", "deadline_belief.b")


# (low, high, low_exclusive): the range each parameter must lie in
_SIDE_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "forces": (0.0, float("inf"), True),
    "effectiveness": (0.0, float("inf"), True),
    "recruitment": (0.0, float("inf"), False),
    "lethality": (0.0, float("inf"), False),
    "cost": (0.0, float("inf"), False),
    "casualty_cost": (0.0, float("inf"), False),
    "capacity": (0.0, float("inf"), True),
    "collapse": (0.0, 1.0, False),
    "belief.a": (0.0, float("inf"), True),
    "belief.b": (0.0, float("inf"), True),
}
_GLOBAL_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "guarantees": (0.0, 1.0, False),
    "guarantee_value": (0.0, float("inf"), False),
    "breakdown.base": (0.0, 1.0, False),
    "breakdown.guarantee_effect": (0.0, float("inf"), False),
    "deadline_belief.a": (0.0, float("inf"), True),
    "deadline_belief.b": (0.0, float("inf"), True),
}


def parameter_bounds(path: str, steps: int) -> tuple[float, float, bool]:
    """The allowed range of a war parameter (front.start lies strictly inside the front)."""
    if path == "front.start":
        return (0.0, float(steps), True)
    if path[:2] in ("R.", "U."):
        return _SIDE_BOUNDS[path[2:]]
    return _GLOBAL_BOUNDS[path]


def parameter_quantities(war: War) -> dict[str, Quantity | None]:
    """Every war parameter of the scenario by its dotted path."""
    out: dict[str, Quantity | None] = {"front.start": war.front.start,
                                       "guarantees": war.guarantees,
                                       "guarantee_value": war.guarantee_value,
                                       "breakdown.base": war.breakdown.base,
                                       "breakdown.guarantee_effect": war.breakdown.guarantee_effect,
                                       "deadline_belief.a": war.deadline_belief.a,
                                       "deadline_belief.b": war.deadline_belief.b}
    for name, side in war.sides.items():
        for f in ("forces", "capacity", *SIDE_FLOWS):
            out[f"{name}.{f}"] = getattr(side, f)
        out[f"{name}.belief.a"] = side.belief.a
        out[f"{name}.belief.b"] = side.belief.b
    return out


def check_war(war: War | None, levers: tuple[Lever, ...], hypotheses: tuple[Hypothesis, ...],
              actors: set[str], stance_pairs: set[tuple[str, str]], issues: list[str]) -> list:
    """Cross-field rules of the war part; every problem carries its field path."""
    from detente.errors import problem

    out: list = []
    if war is None:
        if levers or hypotheses:
            out.append(problem("levers and hypotheses need a `war` section", ("war",)))
        return out
    for side in ("R", "U"):
        actor = getattr(war, side)
        if actor not in actors:
            out.append(problem(f"belligerent {side} is not a defined actor "
                               f"(defined: {', '.join(sorted(actors))})", ("war", side),
                               value=actor))
        for issue in issues:
            if actor in actors and (actor, issue) not in stance_pairs:
                out.append(problem(
                    f"belligerent {side} ({actor}) has no stance on issue {issue!r}: settlement "
                    "terms run between the two belligerents' positions", ("war", side)))
        if side not in war.sides:
            out.append(problem(f"war.sides needs an entry for {side}", ("war", "sides")))
    if war.R == war.U:
        out.append(problem("R and U must be different actors", ("war", "U"), value=war.U))
    steps = war.front.steps
    for path, qty in parameter_quantities(war).items():
        if qty is not None and (path[:2] not in ("R.", "U.") or path[0] in war.sides):
            at = ("war", *_field_path(path))
            out += _range_problem(qty, parameter_bounds(path, steps), at, path)
    allowed = (*LEVER_PARAMETERS, *(LEVER_COUPLED if war.talks else ()))
    seen: set[str] = set()
    for k, lever in enumerate(levers):
        at = ("levers", k)
        if lever.id in seen:
            out.append(problem("duplicate lever id", (*at, "id"), value=lever.id))
        seen.add(lever.id)
        if not 0 <= lever.start < war.horizon:
            out.append(problem(f"start week must lie in [0, {war.horizon - 1}] (the horizon is "
                               f"{war.horizon} weeks)", (*at, "start"), value=lever.start))
        if lever.end is not None and not lever.start < lever.end <= war.horizon:
            out.append(problem(f"end week must lie in ({lever.start}, {war.horizon}]",
                               (*at, "end"), value=lever.end))
        if lever.deadline is not None:
            out += _range_problem(lever.deadline.credibility, (0.0, 1.0, False),
                                  (*at, "deadline", "credibility"), "credibility (a probability)")
        for j, eff in enumerate(lever.effects):
            ep = (*at, "effects", j)
            if eff.param not in allowed:
                out.append(problem(f"unknown parameter (a lever may change: "
                                   f"{', '.join(allowed)})", (*ep, "param"),
                                   value=eff.param))
            if (eff.add is None) == (eff.mul is None):
                out.append(problem("give exactly one of `add` or `mul`", ep))
            if eff.mul is not None:
                out += _range_problem(eff.mul, (0.0, float("inf"), False), (*ep, "mul"), "mul")
    coupled = coupled_quantities(war, levers) if war.talks else {}
    known = (*war_parameters(), *coupled)
    for k, hyp in enumerate(hypotheses):
        at = ("hypotheses", k)
        for path, qty in hyp.parameters.items():
            if path not in known:
                out.append(problem(f"unknown parameter (allowed: {', '.join(known)})",
                                   (*at, "parameters", path), value=path))
            else:
                bounds = bounds_of(path) if path in coupled else parameter_bounds(path, steps)
                out += _range_problem(qty, bounds, (*at, "parameters", path), path)
        for lever_id, qty in hyp.lever_scale.items():
            if lever_id not in seen:
                out.append(problem(f"names an unknown lever (defined: {', '.join(sorted(seen))})",
                                   (*at, "lever_scale", lever_id), value=lever_id))
            out += _range_problem(qty, (0.0, float("inf"), False),
                                  (*at, "lever_scale", lever_id), "lever scale")
    out += check_talks(war, levers, actors, issues)
    ids = [h.id for h in hypotheses]
    for k, h in enumerate(hypotheses):
        if h.id == "baseline" or ids.index(h.id) != k:
            out.append(problem("hypothesis ids must be unique and not 'baseline'",
                               ("hypotheses", k, "id"), value=h.id))
    return out


def _field_path(path: str) -> tuple[str, ...]:
    parts = path.split(".")
    return ("sides", *parts) if parts[0] in ("R", "U") else tuple(parts)
