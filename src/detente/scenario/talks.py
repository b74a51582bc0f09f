"""Talks while fighting: the scenario sections of the coupled model (MODELS.md §7).

A ``war`` section with a ``talks`` entry runs the coupled kernel (:mod:`detente.war.coupled`):
the front is a continuous share k of the contested area held by R (``front.continuous``), a
negotiation model from the registry proposes terms on every issue on talks weeks, every veto
player accepts or refuses against its value of fighting on, red lines veto, partial deals settle
subsets of issues, strategic third parties grow frustrated and retaliate or walk away, and R's
war economy and home front (revenue, offensive intensity, mobilisation, discontent) feed back.

Units: weeks; costs are shares of the stakes per week (as in §5); utilities lie on [0, 1]
(1 = an actor's ideal on every issue); positions and red-line bounds are in issue units; k and
engagement lie on [0, 1]. Every number is a :class:`Quantity` (uncertain, with evidence) and
is named by a dotted path (:func:`coupled_quantities`) that hypotheses may set.
"""


from typing import Any, Literal

from pydantic import Field

from detente.scenario.quantity import Citation, Quantity, Strict

INF = float("inf")


def q(value: float) -> Quantity:
    return Quantity(value=value)


def _qf(value: float, text: str) -> Any:
    """A Quantity field with a default, the default stated in the schema description."""
    return Field(default_factory=lambda: q(value), description=f"{text} Default {value:g}.")


class Fortification(Strict):
    """A fortified belt at front position ``at``: advances across it run at ``factor`` speed."""

    at: float = Field(gt=0.0, lt=1.0, description="Front position k of the belt (0..1).")
    width: float = Field(0.02, gt=0.0, le=0.5, description="Depth of the belt in k. Default 0.02.")
    factor: Quantity = _qf(0.5, "Speed multiplier inside the belt (0..1).")


class ContinuousFront(Strict):
    """Continuous front (MODELS.md §7.6): Δk = τ(month)·ι_R·(p − ½)·step + ε, ε ~ N(0, noise²).

    k is R's share of the contested area (the start is ``front.start / front.steps``); no net
    movement while |p − ½| < band; k = 1 is R's total victory, k = 0 U's.
    """

    step: Quantity = _qf(0.05, "Weekly movement of k per unit of (p - 1/2) at tempo 1 and low "
                               "intensity.")
    noise: Quantity = _qf(0.002, "Standard deviation of the weekly random movement of k.")
    band: Quantity = _qf(0.0, "Stalemate band: no drift while |p - 1/2| is below it.")
    tempo: dict[int, Quantity] = Field(
        default_factory=dict,
        description="Seasonal tempo τ by calendar month (1-12) counted from the scenario's "
                    "as_of date (week 0 = as_of; without as_of week 0 is in January). Default: "
                    "tempo 1 in every month not listed.")
    fortified: tuple[Fortification, ...] = Field((), description="Fortified belts. Default none.")
    line_issues: tuple[str, ...] = Field(
        (), description="Issues whose freeze terms follow the front (territory, ceasefire line): "
                        "at front k they sit at U's ideal + k x (R's ideal - U's ideal). Other "
                        "issues freeze at their reference point, else midway between R and U. "
                        "Default none.")


class Meeting(Strict):
    """A scheduled round of talks (a summit) that may be called off."""

    week: int = Field(ge=0, description="Week of the meeting (0 = as_of).")
    name: str | None = None
    probability: Quantity = _qf(1.0, "Chance the meeting takes place.")


class PartialDeal(Strict):
    """An issue subset that can be settled on its own while the war goes on (e.g. an energy truce).

    A partial deal fixes those issues at the proposal's terms; it is tried when the whole deal
    fails and accepted when every veto player prefers the terms to its expected outcome on those
    issues from fighting on (no war costs are saved: the war goes on).
    """

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    issues: tuple[str, ...] = Field(min_length=1)


class Talks(Strict):
    """Talks rounds while fighting (MODELS.md §7.3-7.4)."""

    model: str = Field("mean", description="Negotiation model from the registry that proposes "
                                           "the terms (mean, median, nash, smp, eum, ...). "
                                           "Default mean.")
    every: int | None = Field(2, ge=1, le=520, description="A round every this many weeks (none: "
                                                           "only at meetings). Default 2.")
    rounds: int = Field(1, ge=1, le=100, description="Model rounds (turns) per talks week for "
                                                     "dynamic models. Default 1.")
    options: dict[str, Any] = Field(default_factory=dict,
                                    description="Options of the talks model. Default none.")
    meetings: tuple[Meeting, ...] = Field((), description="Scheduled meetings. Default none.")
    proposer: Literal["model", "mediator", "R", "U"] = Field(
        "model", description="model: the model's forecast is the proposal; mediator: the "
                             "midpoint (shifted by mediator_bias) of the range both "
                             "belligerents accept on the line between their ideals, else the "
                             "model's forecast; R / U: the best point for the proposer between "
                             "the forecast and its own ideal that it expects the other to "
                             "accept. Default model.")
    mediator_bias: Quantity = _qf(0.0, "Mediator's bias in [-1, 1]: +1 proposes R's end of the "
                                       "acceptable range, -1 U's end.")
    veto: tuple[str, ...] = Field((), description="Veto players (actor ids). Default: the two "
                                                  "belligerents.")
    partial: tuple[PartialDeal, ...] = Field((), description="Partial-deal subsets, tried in "
                                                             "order. Default none.")
    lookahead: int = Field(52, ge=1, le=1040, description="Weeks over which a side values "
                                                          "fighting on. Default 52.")
    anticipation: bool = Field(True, description="Belligerents integrate over third parties' "
                                                 "future engagement (false: hold today's "
                                                 "engagement fixed). Default true.")
    weariness: Quantity = _qf(1.0, "War weariness: a side weighs its expected remaining cost by "
                                   "1 + weariness x cumulative cost / capacity.")
    theta_forces: Quantity = _qf(1.0, "Exponent of forces in talks capability (§7.2).")
    theta_revenue: Quantity = _qf(1.0, "Exponent of R's war revenue in R's talks capability.")
    theta_aid: Quantity = _qf(1.0, "Exponent of third-party aid in the aided side's capability.")
    theta_front: Quantity = _qf(1.0, "Exponent of held ground (k for R, 1 - k for U, relative to "
                                     "the start) in talks capability.")


class RedLine(Strict):
    """A veto on one side of a threshold on one issue, softening with exhaustion (§7.4)."""

    actor: str
    issue: str
    vetoes: Literal["above", "below"] = Field(description="Terms above (or below) the bound are "
                                                          "vetoed.")
    bound: Quantity = Field(description="The threshold in issue units.")
    softening: Quantity = _qf(0.0, "Issue units per week the bound moves toward the other side "
                                    "while cumulative cost exceeds the threshold.")
    threshold: Quantity = _qf(0.0, "Cumulative cost (shares) above which the line softens.")


class ThirdParty(Strict):
    """A strategic third party (§7.5): engagement, aid, frustration, retaliation, exit."""

    actor: str = Field(description="Actor id (its talks weight scales with its engagement).")
    engagement: Quantity = _qf(1.0, "Engagement now, 0..1.")
    aid: Quantity = _qf(0.0, "Aid to U: U's effectiveness is multiplied by 1 + engagement x aid.")
    persistence: Quantity = _qf(0.9, "ρ: weekly persistence of frustration, 0..1.")
    frustration_failed: Quantity = _qf(0.0, "f: frustration added by a failed talks round.")
    frustration_escalation: Quantity = _qf(0.0, "g: frustration added per unit of R's "
                                                "escalation (a high-intensity week).")
    retaliate_base: Quantity = _qf(-8.0, "α_ret: logit of the weekly retaliation chance at zero "
                                         "frustration.")
    retaliate_slope: Quantity = _qf(0.0, "β_ret: logit per unit of frustration.")
    exit_base: Quantity = _qf(-8.0, "α_exit: logit of the weekly exit chance at zero "
                                    "frustration.")
    exit_slope: Quantity = _qf(0.0, "β_exit: logit per unit of frustration.")
    pressure: tuple[str, ...] = Field((), description="Lever ids switched on when it retaliates "
                                                      "(until it exits). Default none.")


class Economy(Strict):
    """R's war economy and home front (§7.1, §7.6)."""

    output: Quantity = _qf(1.0, "Oil (export) output, relative units; levers may change it.")
    price: Quantity = _qf(1.0, "Realised price, relative units; levers may change it.")
    shortfall_cost: Quantity = _qf(0.0, "Added weekly cost to R per unit of revenue shortfall "
                                        "1 - Y/Y(0).")
    high_tempo: Quantity = _qf(1.5, "Offensive intensity ι of R's high choice (low = 1).")
    high_cost: Quantity = _qf(0.5, "Share by which high intensity raises R's weekly cost.")
    high_revenue: Quantity = _qf(0.0, "Share of revenue high intensity consumes.")
    mobilise_below: Quantity = _qf(0.0, "R considers mobilising when forces fall below this "
                                        "share of the start (0: never).")
    mobilise_amount: Quantity = _qf(0.0, "Troops (thousands) a mobilisation adds.")
    mobilise_discontent: Quantity = _qf(1.0, "Discontent a mobilisation adds to D_R.")
    discontent_cost: Quantity = _qf(0.01, "What a unit of discontent costs R, in shares.")
    discontent_decay: Quantity = _qf(0.98, "Weekly persistence of discontent, 0..1.")
    collapse_slope: Quantity = _qf(0.0, "λ: R's weekly collapse hazard is R.collapse x "
                                        "exp(λ D_R).")


class AimsType(Strict):
    """A belligerent's private aims type (MODELS.md §5.2, §5.13; Spaniel & Bils 2018).

    The maximal type holds the scenario's positions and red lines; the limited type's ideal lies
    ``concession`` of the way toward the opponent's ideal and it has no red lines. The opponent
    starts from ``belief`` and updates it by Bayes' rule from refusals and offensive choices.
    """

    maximal: Quantity = _qf(0.5, "True chance this side is the maximal type (drawn per run).")
    belief: Quantity = _qf(0.5, "The opponent's prior that this side is maximal.")
    concession: Quantity = _qf(0.3, "How far toward the opponent the limited type's ideal lies.")
    tremble: Quantity = _qf(0.1, "Chance a type acts against its type (keeps Bayes' rule "
                                 "defined).")


class Aims(Strict):
    R: AimsType | None = None
    U: AimsType | None = None


class ProspectPoint(Strict):
    week: int = Field(ge=0)
    probability: Quantity


class Prospect(Strict):
    """A lever that may be enacted (§7.5): π(t) moves on a schedule; the draw falls at its start.

    Before the lever's start week R values its effects at E[π(t)]; at the start the lever is
    enacted with probability π(start) (stream ``deadline:<lever id>``).
    """

    probability: Quantity = Field(description="π now.")
    schedule: tuple[ProspectPoint, ...] = Field(
        (), description="Later values of π (piecewise constant from each week). Default none.")


OUTCOMES = ("p_deal", "p_partial", "p_victory_R", "p_victory_U", "p_collapse_R", "p_ended",
            "front_median", "front_p95", "front_p05", "monthly_move_median", "engagement_mean",
            "revenue_median")


class Check(Strict):
    """A stylised fact the baseline must reproduce (§7.7): outcome at week, compared with a number.

    Outcomes: p_deal (whole deal in force at week), p_partial (a partial deal in force),
    p_victory_R / p_victory_U / p_collapse_R / p_ended (by week), front_median / front_p05 /
    front_p95 (k at week), monthly_move_median (the median over runs of each run's mean
    |k(t+4) - k(t)| over t + 4 <= week),
    engagement_mean (of ``party`` at week), revenue_median (R's revenue at week).
    """

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    statement: str = Field(min_length=1)
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    week: int = Field(ge=0)
    compare: Literal["<", "<=", ">", ">="]
    threshold: float
    party: str | None = Field(None, description="Third-party actor for engagement_mean.")
    cite: tuple[Citation, ...] = ()
    assumption: str | None = None


LEVER_COUPLED = ("economy.output", "economy.price", "economy.shortfall_cost")
THIRD_PARTY_FIELDS = ("engagement", "aid", "persistence", "frustration_failed",
                      "frustration_escalation", "retaliate_base", "retaliate_slope",
                      "exit_base", "exit_slope")
ECONOMY_FIELDS = ("output", "price", "shortfall_cost", "high_tempo", "high_cost",
                  "high_revenue", "mobilise_below", "mobilise_amount", "mobilise_discontent",
                  "discontent_cost", "discontent_decay", "collapse_slope")
TALKS_FIELDS = ("mediator_bias", "weariness", "theta_forces", "theta_revenue", "theta_aid",
                "theta_front")
AIMS_FIELDS = ("maximal", "belief", "concession", "tremble")
UNIT = (0.0, 1.0, False)
POS = (0.0, INF, False)
BOUNDS: dict[str, tuple[float, float, bool]] = {
    "front.step": POS, "front.noise": POS, "front.band": (0.0, 0.5, False),
    "front.tempo": POS, "front.fortified": UNIT,
    "talks.mediator_bias": (-1.0, 1.0, False), "talks.weariness": POS,
    **{f"talks.{t}": (-10.0, 10.0, False) for t in TALKS_FIELDS[2:]},
    "talks.meeting": UNIT,
    "economy.output": (0.0, INF, True), "economy.price": (0.0, INF, True),
    "economy.high_tempo": (1.0, 10.0, False), "economy.discontent_decay": UNIT,
    "economy.mobilise_below": UNIT, "economy.high_revenue": UNIT,
    "third_parties.engagement": UNIT, "third_parties.persistence": UNIT,
    "third_parties.retaliate_base": (-50.0, 50.0, False),
    "third_parties.retaliate_slope": (-50.0, 50.0, False),
    "third_parties.exit_base": (-50.0, 50.0, False),
    "third_parties.exit_slope": (-50.0, 50.0, False),
    "red_lines.bound": (-INF, INF, False), "red_lines.softening": POS,
    "red_lines.threshold": POS, "prospect": UNIT, "aims": UNIT,
}


def bounds_of(path: str) -> tuple[float, float, bool]:
    """The allowed range of a coupled parameter, by its dotted path."""
    head = path.split(".")[0]
    if head in ("third_parties", "red_lines"):
        key = f"{head}.{path.split('.')[-1]}"
    elif head in ("prospect", "aims"):
        key = head
    elif path.startswith("front.tempo"):
        key = "front.tempo"
    elif path.startswith("front.fortified"):
        key = "front.fortified"
    elif path.startswith("talks.meeting"):
        key = "talks.meeting"
    else:
        key = path
    return BOUNDS.get(key, POS)


def coupled_quantities(war: Any, levers: tuple[Any, ...]) -> dict[str, Quantity]:
    """Every number of the coupled sections by dotted path (the names hypotheses may set).

    ``front.step|noise|band``, ``front.tempo.<month>``, ``front.fortified.<k>``,
    ``talks.<field>``, ``talks.meeting.<k>`` (a meeting's probability), ``economy.<field>``,
    ``third_parties.<actor>.<field>``, ``red_lines.<actor>.<issue>.<bound|softening|threshold>``,
    ``prospect.<lever>`` (π now), ``prospect.<lever>.<k>`` (schedule point k),
    ``aims.<R|U>.<field>``.
    """
    out: dict[str, Quantity] = {}
    cont = war.front.continuous or ContinuousFront()
    out.update({f"front.{f}": getattr(cont, f) for f in ("step", "noise", "band")})
    out.update({f"front.tempo.{m}": v for m, v in cont.tempo.items()})
    out.update({f"front.fortified.{k}": f.factor for k, f in enumerate(cont.fortified)})
    talks = war.talks or Talks()
    out.update({f"talks.{f}": getattr(talks, f) for f in TALKS_FIELDS})
    out.update({f"talks.meeting.{k}": m.probability for k, m in enumerate(talks.meetings)})
    economy = war.economy or Economy()
    out.update({f"economy.{f}": getattr(economy, f) for f in ECONOMY_FIELDS})
    for tp in war.third_parties:
        out.update({f"third_parties.{tp.actor}.{f}": getattr(tp, f) for f in THIRD_PARTY_FIELDS})
    for rl in war.red_lines:
        out.update({f"red_lines.{rl.actor}.{rl.issue}.{f}": getattr(rl, f)
                    for f in ("bound", "softening", "threshold")})
    for lv in levers:
        if lv.prospect is not None:
            out[f"prospect.{lv.id}"] = lv.prospect.probability
            out.update({f"prospect.{lv.id}.{k}": pt.probability
                        for k, pt in enumerate(lv.prospect.schedule)})
    aims = war.aims or Aims()
    for side in ("R", "U"):
        kind = getattr(aims, side)
        if kind is not None:
            out.update({f"aims.{side}.{f}": getattr(kind, f) for f in AIMS_FIELDS})
    return out


def check_talks(war: Any, levers: tuple[Any, ...], actors: set[str], issues: list[str]) -> list:
    """Cross-field rules of the coupled sections; every problem carries its field path."""
    from detente.errors import problem
    from detente.scenario.quantity import range_problem as _range_problem

    out: list = []
    if war.talks is None:
        extra = [n for n in ("red_lines", "third_parties", "checks") if getattr(war, n)]
        extra += [n for n in ("economy", "aims") if getattr(war, n) is not None]
        if war.front.continuous is not None:
            extra.append("front.continuous")
        extra += [f"levers[{k}].prospect" for k, lv in enumerate(levers) if lv.prospect]
        for name in extra:
            out.append(problem(f"{name} belongs to the coupled model: add a `war.talks` "
                               "section (otherwise it would change nothing)", ("war", name)))
        return out
    from detente.registry import negotiation_models

    talks = war.talks
    known = negotiation_models()
    if talks.model not in known:
        out.append(problem(f"unknown talks model (available: {', '.join(sorted(known))})",
                           ("war", "talks", "model"), value=talks.model))
    if talks.every is None and not talks.meetings:
        out.append(problem("talks need `every` or at least one meeting", ("war", "talks")))
    for k, m in enumerate(talks.meetings):
        if m.week >= war.horizon:
            out.append(problem(f"meeting week must lie in [0, {war.horizon - 1}]",
                               ("war", "talks", "meetings", k, "week"), value=m.week))
    belligerents = {war.R, war.U}
    veto = set(talks.veto) or belligerents
    for k, a in enumerate(talks.veto):
        if a not in actors:
            out.append(problem("veto player is not a defined actor", ("war", "talks", "veto", k),
                               value=a))
    for k, pd in enumerate(talks.partial):
        for j, i in enumerate(pd.issues):
            if i not in issues:
                out.append(problem(f"unknown issue (defined: {', '.join(issues)})",
                                   ("war", "talks", "partial", k, "issues", j), value=i))
    cont = war.front.continuous
    if cont is not None:
        for m in cont.tempo:
            if not 1 <= m <= 12:
                out.append(problem("tempo months are 1..12", ("war", "front", "continuous",
                                                              "tempo", str(m)), value=m))
        for j, i in enumerate(cont.line_issues):
            if i not in issues:
                out.append(problem(f"unknown issue (defined: {', '.join(issues)})",
                                   ("war", "front", "continuous", "line_issues", j), value=i))
    for k, rl in enumerate(war.red_lines):
        at = ("war", "red_lines", k)
        if rl.actor not in veto:
            out.append(problem(f"red lines are held by veto players ({', '.join(sorted(veto))})",
                               (*at, "actor"), value=rl.actor))
        if rl.issue not in issues:
            out.append(problem(f"unknown issue (defined: {', '.join(issues)})", (*at, "issue"),
                               value=rl.issue))
    lever_ids = {lv.id for lv in levers}
    seen: set[str] = set()
    for k, tp in enumerate(war.third_parties):
        at = ("war", "third_parties", k)
        if tp.actor not in actors or tp.actor in belligerents:
            out.append(problem("a third party is a defined actor other than the belligerents",
                               (*at, "actor"), value=tp.actor))
        if tp.actor in seen:
            out.append(problem("duplicate third party", (*at, "actor"), value=tp.actor))
        seen.add(tp.actor)
        for j, lid in enumerate(tp.pressure):
            if lid not in lever_ids:
                out.append(problem(f"unknown lever (defined: {', '.join(sorted(lever_ids))})",
                                   (*at, "pressure", j), value=lid))
    for k, ch in enumerate(war.checks):
        if ch.week > war.horizon:
            out.append(problem(f"check week must lie in [0, {war.horizon}]",
                               ("war", "checks", k, "week"), value=ch.week))
        if ch.outcome == "engagement_mean" and ch.party not in seen:
            out.append(problem("engagement_mean needs `party`: a third party's actor id",
                               ("war", "checks", k, "party"), value=ch.party))
    for k, lv in enumerate(levers):
        if lv.prospect is not None and lv.deadline is not None:
            out.append(problem("a lever is a prospect or a deadline, not both",
                               ("levers", k, "prospect")))
        if lv.prospect is not None:
            for j, pt in enumerate(lv.prospect.schedule):
                if pt.week > lv.start:
                    out.append(problem(f"prospect points fall before the lever's start week "
                                       f"({lv.start}), when it is decided",
                                       ("levers", k, "prospect", "schedule", j, "week"),
                                       value=pt.week))
    for path, qty in coupled_quantities(war, levers).items():
        out += _range_problem(qty, bounds_of(path), ("war", *path.split(".")), path)
    return out
