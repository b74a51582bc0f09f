"""The analyst's language: issues, actors, stances, sources (MODELS.md §0).

One set of pydantic models validates YAML/JSON files, API request bodies and Python calls, and
generates the JSON Schema (``detente schema``). Type errors are pydantic's; cross-field rules
(ids defined once, references resolved, values inside their scales) are checked in
:func:`check_scenario`, which reports every problem with its field path.
"""


import hashlib
import json
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from detente.errors import InputError, Path, Problem, problem
from detente.scenario.quantity import MAX_MAGNITUDE, Citation, Quantity, Source, Strict
from detente.scenario.war import Hypothesis, Lever, War, check_war

Id = str


class Issue(Strict):
    """One dimension of the negotiation, on a labelled scale (MODELS.md §0.1)."""

    id: Id = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = Field((), description="Other names articles use for it "
                                     "(matched by `detente evidence`).")
    description: str | None = None
    low: float = Field(0.0, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE,
                       description="Lower end of the scale (|low| <= 1e12).")
    high: float = Field(100.0, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE,
                        description="Upper end of the scale (|high| <= 1e12).")
    low_label: str | None = Field(None, description="What the low end means.")
    high_label: str | None = Field(None, description="What the high end means.")
    unit: str | None = None
    points: dict[float, str] = Field(
        default_factory=dict, description="Labelled interior points (decide's #M rows)."
    )
    reference: Quantity | None = Field(
        None, description="Status quo / reference point: the disagreement point of Nash."
    )

    @model_validator(mode="before")
    @classmethod
    def _scale_from_points(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("points"):
            try:
                keys = [float(k) for k in data["points"]]
            except (TypeError, ValueError):
                return data
            data = dict(data)
            data.setdefault("low", min(keys))
            data.setdefault("high", max(keys))
        return data

    @model_validator(mode="after")
    def _check_scale(self) -> "Issue":
        if not self.low < self.high:
            raise ValueError(f"scale needs low < high, got low={self.low}, high={self.high}")
        outside = [k for k in self.points if not self.low <= k <= self.high]
        if outside:
            raise ValueError(
                f"labelled points {outside} lie outside the scale [{self.low}, {self.high}]"
            )
        return self


class Actor(Strict):
    """A participant: a state, a faction, a person, a bloc."""

    id: Id = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = Field((), description="Other names articles use for it "
                                     "(matched by `detente evidence`).")
    description: str | None = None
    group: str | None = None
    capability: Quantity | None = Field(
        None,
        description="Clout on every issue; may be left out if every stance gives its own.",
    )


class Stance(Strict):
    """An actor's position and salience on one issue."""

    actor: Id
    issue: Id
    position: Quantity
    salience: Quantity
    capability: Quantity | None = Field(
        None, description="Issue-specific capability (decide's per-issue power)."
    )


class Accommodation(Strict):
    """KTAB's ideal adjustment: ``actor``'s ideal moves toward ``toward``'s position each turn."""

    actor: Id
    toward: Id
    weight: float = Field(ge=0.0, le=1.0)


class Scenario(Strict):
    """A negotiation written down: who, on what, wanting what, how much, with what evidence."""

    detente: Literal[1] = Field(1, description="Scenario language version.")
    name: str = Field(min_length=1)
    description: str | None = None
    as_of: date | None = None
    salience_scale: Literal[1, 100] = Field(
        1, description="Saliences are given on 0-1 (1) or 0-100 (100)."
    )
    require_evidence: bool = Field(
        False, description="If true, every number must cite a source or state an assumption."
    )
    sources: tuple[Source, ...] = ()
    issues: tuple[Issue, ...] = Field(min_length=1)
    actors: tuple[Actor, ...]
    stances: tuple[Stance, ...]
    war: War | None = Field(None, description="Bargaining while fighting (MODELS.md §5).")
    model_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Options per model name (e.g. smp: {PCEModel: MarkovIncentive}); options "
                    "given on the command line override them.")
    accommodation: tuple[Accommodation, ...] = Field(
        (), description="Ideal-adjustment pairs (KTAB); actors not named keep ideal = position.")
    levers: tuple[Lever, ...] = ()
    hypotheses: tuple[Hypothesis, ...] = ()

    @model_validator(mode="after")
    def _cross_check(self) -> "Scenario":
        problems = check_scenario(self)
        if problems:
            raise InputError(problems)
        return self

    def sha256(self) -> str:
        """Hash of the canonical JSON form: the same scenario from any file format hashes alike."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def issue(self, issue_id: str) -> Issue:
        return next(i for i in self.issues if i.id == issue_id)

    def stance(self, actor_id: str, issue_id: str) -> Stance | None:
        return next(
            (s for s in self.stances if s.actor == actor_id and s.issue == issue_id), None
        )


def json_schema() -> dict[str, Any]:
    """The scenario language's JSON Schema, with each model's declared options under
    ``model_options`` (types, allowed values, bounds, defaults and their sources)."""
    from detente.registry import MODELS

    schema = Scenario.model_json_schema()
    defs = schema.setdefault("$defs", {})
    props = {}
    for name, spec in MODELS.items():
        sub = spec.options.model_json_schema()
        title = f"{spec.options.__name__}"
        defs[title] = {k: v for k, v in sub.items() if k != "$defs"}
        props[name] = {"$ref": f"#/$defs/{title}"}
    schema["properties"]["model_options"] = {
        "type": "object", "properties": props, "additionalProperties": False,
        "description": Scenario.model_fields["model_options"].description,
    }
    return schema


def iter_quantities(node: Any, path: Path = ()) -> Iterator[tuple[Path, Quantity]]:
    """Every :class:`Quantity` in a record tree, with its field path."""
    if isinstance(node, Quantity):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from iter_quantities(getattr(node, name), (*path, name))
    elif isinstance(node, tuple | list):
        for k, item in enumerate(node):
            yield from iter_quantities(item, (*path, k))
    elif isinstance(node, dict):
        for k, item in node.items():
            yield from iter_quantities(item, (*path, str(k)))


def _duplicates(records: tuple[Any, ...], key: str, where: str) -> list[Problem]:
    seen: dict[str, int] = {}
    out = []
    for k, rec in enumerate(records):
        ident = getattr(rec, key)
        if ident in seen:
            out.append(
                problem(
                    f"duplicate id; {where}[{seen[ident]}] already uses it (ids must be unique)",
                    (where, k, key),
                    value=ident,
                )
            )
        else:
            seen[ident] = k
    return out


def _within(q: Quantity, lo: float, hi: float, path: Path, what: str) -> list[Problem]:
    qlo, qhi = q.support()
    if q.dist == "normal" and ((qlo < lo and q.lo is None) or (qhi > hi and q.hi is None)):
        return [_unbounded_normal(q, lo, hi, path, what)]
    if qlo < lo or qhi > hi:
        shown: Any = q.value if not q.uncertain else [qlo, qhi]
        return [problem(f"{what} must lie in [{lo:g}, {hi:g}]", path, value=shown,
                        allowed=[lo, hi])]
    return []


def _unbounded_normal(q: Quantity, lo: float, hi: float, path: Path, what: str) -> Problem:
    """A normal without the bound it needs: say so, and which bound to give."""
    gives, risks = [], []
    if q.lo is None and lo > -float("inf"):
        gives.append(f"lo: {lo:g}")
        risks.append("be negative" if lo == 0 else f"fall below {lo:g}")
    if q.hi is None and hi < float("inf"):
        gives.append(f"hi: {hi:g}")
        risks.append(f"exceed {hi:g}")
    return problem(f"{what} must lie in [{lo:g}, {hi:g}], and a normal distribution without "
                   f"bounds can {' or '.join(risks)}; give {' and '.join(gives)}", path,
                   value={"dist": "normal", "mean": q.mean, "sd": q.sd}, allowed=[lo, hi])


def check_scenario(s: Scenario) -> list[Problem]:
    """Cross-field rules; each problem names the field path, the value and what is allowed."""
    out: list[Problem] = []
    out += _duplicates(s.issues, "id", "issues")
    out += _duplicates(s.actors, "id", "actors")
    out += _duplicates(s.sources, "id", "sources")
    if len(s.actors) < 2:
        out.append(problem("a scenario needs at least two actors", ("actors",),
                           value=len(s.actors)))
    issues = {i.id: i for i in s.issues}
    actors = {a.id: a for a in s.actors}
    for k, issue in enumerate(s.issues):
        if issue.reference is not None:
            out += _within(
                issue.reference, issue.low, issue.high, ("issues", k, "reference"),
                f"reference point of issue {issue.id!r}",
            )
    for k, actor in enumerate(s.actors):
        if actor.capability is not None:
            out += _within(actor.capability, 0.0, float("inf"), ("actors", k, "capability"),
                           "capability")
    seen: dict[tuple[str, str], int] = {}
    for k, st in enumerate(s.stances):
        at = ("stances", k)
        if st.actor not in actors:
            out.append(problem(f"actor is not defined (defined: {', '.join(actors)})",
                               (*at, "actor"), value=st.actor, allowed=list(actors)))
        if st.issue not in issues:
            out.append(problem(f"issue is not defined (defined: {', '.join(issues)})",
                               (*at, "issue"), value=st.issue, allowed=list(issues)))
            continue
        if (st.actor, st.issue) in seen:
            out.append(problem(
                f"duplicate stance for actor {st.actor!r} on issue {st.issue!r} "
                f"(first at stances[{seen[(st.actor, st.issue)]}])", at))
        seen[(st.actor, st.issue)] = k
        issue = issues[st.issue]
        out += _within(st.position, issue.low, issue.high, (*at, "position"),
                       f"position on issue {issue.id!r} (scale)")
        out += _within(st.salience, 0.0, float(s.salience_scale), (*at, "salience"),
                       f"salience (salience_scale {s.salience_scale})")
        if st.capability is not None:
            out += _within(st.capability, 0.0, float("inf"), (*at, "capability"), "capability")
        elif st.actor in actors and actors[st.actor].capability is None:
            out.append(problem(
                f"actor {st.actor!r} has no capability: give actors[].capability or "
                "stances[].capability", (*at, "capability")))
    if not out:
        out += _check_totals(s)
    out += check_war(s.war, s.levers, s.hypotheses, set(actors), set(seen), list(issues))
    out += _check_accommodation(s, set(actors))
    out += _check_evidence(s)
    out += _check_model_options(s)
    return out


def _check_model_options(s: Scenario) -> list[Problem]:
    """Options given in the scenario for each model, against the model's declaration."""
    from detente.options import parse_options
    from detente.registry import MODELS

    out: list[Problem] = []
    for name, given in s.model_options.items():
        if name not in MODELS:
            out.append(problem(f"unknown model (available: {', '.join(sorted(MODELS))})",
                               ("model_options", name), value=name))
            continue
        try:
            parse_options(MODELS[name].options, given, prefix=("model_options", name))
        except InputError as err:
            out += err.problems
    return out


def _check_accommodation(s: Scenario, actors: set[str]) -> list[Problem]:
    out = []
    totals: dict[str, float] = {}
    for k, pair in enumerate(s.accommodation):
        for field in ("actor", "toward"):
            if getattr(pair, field) not in actors:
                out.append(problem("actor is not defined", ("accommodation", k, field),
                                   value=getattr(pair, field)))
        totals[pair.actor] = totals.get(pair.actor, 0.0) + pair.weight
    for actor, total in totals.items():
        if total > 1 + 1e-12:
            out.append(problem(f"the adjustment weights of actor {actor!r} sum to more than 1",
                               ("accommodation",), value=total))
    return out


def _check_totals(s: Scenario) -> list[Problem]:
    out = []
    for k, issue in enumerate(s.issues):
        total = weighted = 0.0
        holders = 0
        for st in s.stances:
            if st.issue != issue.id:
                continue
            holders += 1
            cap = st.capability or s.actors[[a.id for a in s.actors].index(st.actor)].capability
            total += cap.point()  # type: ignore[union-attr]
            weighted += cap.point() * st.salience.point()  # type: ignore[union-attr]
        if holders == 0:
            out.append(problem("no actor holds a position on this issue", ("issues", k, "id"),
                               value=issue.id))
        elif total <= 0:
            out.append(problem(
                "total capability of the actors on this issue must be > 0",
                ("issues", k, "id"), value=issue.id))
        elif weighted <= 0:
            out.append(problem(
                "no actor has both capability and salience on this issue (capability x salience "
                "must sum to > 0: it weighs every model's outcome)", ("issues", k, "id"),
                value=issue.id))
    return out


def _check_evidence(s: Scenario) -> list[Problem]:
    out = []
    known = {src.id for src in s.sources}
    for path, q in iter_quantities(s):
        for j, c in enumerate(q.cite):
            if c.source not in known:
                out.append(problem(
                    "citation names an unknown source "
                    f"(defined: {', '.join(sorted(known)) or 'none'})",
                    (*path, "cite", j, "source"), value=c.source))
        if s.require_evidence and not q.has_evidence:
            out.append(problem(
                "require_evidence is on: this number needs `cite` or `assumption`", path,
                value=q.point()))
    for kind, records in (("levers", s.levers), ("hypotheses", s.hypotheses)):
        for k, rec in enumerate(records):
            for j, c in enumerate(rec.cite):
                if c.source not in known:
                    out.append(problem("citation names an unknown source",
                                       (kind, k, "cite", j, "source"), value=c.source))
            if s.require_evidence and not rec.cite and rec.assumption is None:
                out.append(problem("require_evidence is on: this needs `cite` or `assumption`",
                                   (kind, k), value=rec.id))
    return out


__all__ = [
    "Actor",
    "Citation",
    "Issue",
    "Quantity",
    "Scenario",
    "Source",
    "Stance",
    "check_scenario",
    "iter_quantities",
    "json_schema",
]
