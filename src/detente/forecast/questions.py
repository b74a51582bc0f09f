"""Forecast questions that pass the clairvoyance test (MODELS.md §6.1).

One pydantic model, :class:`Question`, used by question files and by the ledger. A question file
is YAML with a list under ``questions``; every bad field comes back located (file:line, field,
value, what is allowed) through the scenario loader's machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date
from pathlib import Path as FilePath
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from detente.errors import InputError, Problem, problem

QUESTION_TYPES = ("binary", "multi", "numeric", "date")
# what the war simulation measures (see forecast.simulate): the event a run has by a week
WAR_EVENTS = ("agreement_signed", "ceasefire_in_force", "war_ended", "agreement_terms")
# numeric quantities: weeks to the first agreement, or an issue's outcome
QUANTITIES = ("agreement_date", "issue_outcome")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bound(Strict):
    """One end of a numeric or date range; ``open``: values beyond it resolve to the bound."""

    value: float | date
    tail: Literal["open", "closed"] = "closed"


class Bounds(Strict):
    lower: Bound
    upper: Bound



class Simulated(Strict):
    """How detente's models answer the question (left out: only baselines can forecast it).

    ``event`` (binary questions): the run-level event by ``resolve_by``; ``agreement_terms``
    needs ``issue`` and one of ``at_most`` / ``at_least`` (the agreed term on that issue).
    ``quantity`` (numeric/date): ``agreement_date`` or ``issue_outcome`` (with ``issue``;
    ``model`` is the negotiation model, default eum).
    """

    event: Literal[WAR_EVENTS] | None = None  # type: ignore[valid-type]
    quantity: Literal[QUANTITIES] | None = None  # type: ignore[valid-type]
    issue: str | None = None
    at_most: float | None = None
    at_least: float | None = None
    model: str = "eum"



class BaseRate(Strict):
    """The base-rate baseline: a stated probability with its source, or a reference class."""

    probability: float | None = Field(None, ge=0, le=1)
    source: str | None = None
    reference_class: Literal["war_duration"] | None = None
    conflict_start: date | None = None



class Question(Strict):
    """A forecast question (MODELS.md §6.1); ``version`` is bumped on any wording change."""

    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,80}$")
    version: int = Field(1, ge=1)
    text: str = Field(min_length=10)
    event_definition: str = Field(min_length=10)
    resolution_source: str = Field(min_length=5)
    type: Literal["binary", "multi", "numeric", "date"]
    options: tuple[str, ...] | None = None
    ordered: bool = False
    bounds: Bounds | None = None
    unit: str | None = None
    open_date: date
    close_date: date
    resolve_by: AwareDatetime
    ambiguity_rule: str = Field(description="annul | resolve_no | 'fallback: <the rule>'")
    status_quo: bool | str | float | None = Field(
        None, description="What holds at open_date: the status-quo baseline's answer.")
    base_rate: BaseRate | None = None
    simulated_by: Simulated | None = None

    @field_validator("ambiguity_rule")
    @classmethod
    def _rule(cls, v: str) -> str:
        if v in ("annul", "resolve_no") or (v.startswith("fallback: ") and len(v) > 15):
            return v
        raise ValueError("allowed: annul, resolve_no, or 'fallback: ' followed by the rule")

    @model_validator(mode="after")
    def _cross_check(self) -> Question:
        problems = question_problems(self)
        if problems:
            raise InputError(problems)
        return self

    @property
    def resolve_date(self) -> date:
        """The UTC calendar date of ``resolve_by``."""
        return self.resolve_by.astimezone(UTC).date()

    def option_count(self) -> int:
        return 2 if self.type == "binary" else len(self.options or ())


def question_problems(q: Question) -> list[Problem]:
    """Every cross-field problem of a question, with paths relative to the question."""
    out = _type_problems(q) + _date_problems(q)
    if q.bounds is not None:
        out += [_at(p, "bounds") for p in _bounds_problems(q.bounds)]
    if q.simulated_by is not None:
        out += [_at(p, "simulated_by") for p in _simulated_problems(q)]
    if q.base_rate is not None:
        out += [_at(p, "base_rate") for p in _base_rate_problems(q.base_rate)]
    return out


def _at(p: Problem, *prefix: str | int) -> Problem:
    return Problem(p.message, (*prefix, *p.path), p.line, p.value, p.has_value)


def _bounds_problems(b: Bounds) -> list[Problem]:
    lo, hi = b.lower.value, b.upper.value
    if isinstance(lo, date) != isinstance(hi, date):
        return [problem("lower and upper bounds must both be numbers or both dates",
                        ("upper", "value"), value=str(hi))]
    if not lo < hi:  # type: ignore[operator]
        return [problem(f"upper bound must exceed the lower bound ({lo})", ("upper", "value"),
                        value=str(hi))]
    return []


def _simulated_problems(q: Question) -> list[Problem]:
    s = q.simulated_by
    assert s is not None
    out: list[Problem] = []
    if (s.event is None) == (s.quantity is None):
        out.append(problem("give exactly one of `event` (binary questions) or `quantity` "
                           "(numeric and date questions)", ("event",), value=s.event))
    elif s.event is not None and q.type != "binary":
        out.append(problem("`event` answers binary questions only", ("event",), value=s.event))
    elif s.quantity == "agreement_date" and q.type != "date":
        out.append(problem("agreement_date answers date questions only", ("quantity",),
                           value=s.quantity))
    elif s.quantity == "issue_outcome" and q.type != "numeric":
        out.append(problem("issue_outcome answers numeric questions only", ("quantity",),
                           value=s.quantity))
    needs_issue = s.event == "agreement_terms" or s.quantity == "issue_outcome"
    if needs_issue and s.issue is None:
        out.append(problem("this event or quantity needs `issue` (an issue id of the scenario)",
                           ("issue",)))
    if s.event == "agreement_terms" and (s.at_most is None) == (s.at_least is None):
        out.append(problem("agreement_terms needs exactly one of at_most or at_least",
                           ("at_most",), value=s.at_most))
    return out


def _base_rate_problems(b: BaseRate) -> list[Problem]:
    if (b.probability is None) == (b.reference_class is None):
        return [problem("give exactly one of probability or reference_class", ("probability",),
                        value=b.probability)]
    if b.reference_class and b.conflict_start is None:
        return [problem("a war_duration reference class needs conflict_start",
                        ("conflict_start",))]
    if b.probability is not None and not b.source:
        return [problem("a stated base rate needs its source", ("source",))]
    return []


def _type_problems(q: Question) -> list[Problem]:
    out: list[Problem] = []
    if q.type == "binary" and q.options is not None:
        out.append(problem("a binary question has no options (its outcomes are yes and no)",
                           ("options",), value=list(q.options)))
    if q.type == "multi":
        if not q.options or len(q.options) < 2:
            out.append(problem("a multi question needs at least two exclusive, exhaustive options",
                               ("options",), value=list(q.options or ())))
        elif len(set(q.options)) != len(q.options):
            out.append(problem("options must be distinct", ("options",), value=list(q.options)))
    if q.type in ("numeric", "date"):
        if q.bounds is None:
            out.append(problem(f"a {q.type} question needs bounds (lower and upper, open or "
                               "closed)", ("bounds",)))
        elif isinstance(q.bounds.lower.value, date) != (q.type == "date"):
            out.append(problem(f"bounds of a {q.type} question must be "
                               + ("dates" if q.type == "date" else "numbers"),
                               ("bounds", "lower", "value"), value=str(q.bounds.lower.value)))
        if q.options is not None:
            out.append(problem(f"a {q.type} question has no options", ("options",)))
    elif q.bounds is not None:
        out.append(problem(f"a {q.type} question has no bounds", ("bounds",)))
    if q.ordered and q.type != "multi":
        out.append(problem("only multi questions have ordered options", ("ordered",), value=True))
    out += _status_quo_problems(q)
    return out


def _status_quo_problems(q: Question) -> list[Problem]:
    sq = q.status_quo
    if sq is None:
        return []
    ok = {"binary": isinstance(sq, bool), "multi": isinstance(sq, str) and sq in (q.options or ()),
          "numeric": isinstance(sq, int | float) and not isinstance(sq, bool),
          "date": isinstance(sq, str)}[q.type]
    if ok:
        return []
    allowed = {"binary": "true or false", "multi": f"one of {', '.join(q.options or ())}",
               "numeric": "a number", "date": "an ISO date"}[q.type]
    return [problem(f"status_quo must be {allowed}", ("status_quo",), value=sq)]


def _date_problems(q: Question) -> list[Problem]:
    out: list[Problem] = []
    if q.close_date < q.open_date:
        out.append(problem(f"close_date must not be before open_date ({q.open_date})",
                           ("close_date",), value=str(q.close_date)))
    if q.close_date > q.resolve_date:
        out.append(problem(f"close_date (the last forecast) must not be after resolve_by "
                           f"({q.resolve_date})", ("close_date",), value=str(q.close_date)))
    if q.type == "date" and q.bounds is not None and isinstance(q.bounds.upper.value, date) \
            and q.bounds.upper.value > q.resolve_date:
        out.append(problem(f"the upper date bound must not be after resolve_by "
                           f"({q.resolve_date})", ("bounds", "upper", "value"),
                           value=str(q.bounds.upper.value)))
    return out


class QuestionFile(Strict):
    """A question file: ``questions:`` a list of questions with distinct ids."""

    detente_questions: Literal[1] = 1
    description: str | None = None
    questions: tuple[dict[str, Any], ...] = Field(min_length=1)


def load_questions(path: str | FilePath) -> tuple[Question, ...]:
    """Read and validate a YAML question file; problems are located as file:line field."""
    from detente.scenario.load import parse_yaml, read_text, validate_document

    path = FilePath(path)
    data, lines = parse_yaml(read_text(path), str(path))
    raw = validate_document(data, str(path), lines, root=QuestionFile).questions
    questions, problems = validate_questions(raw)
    if problems:
        raise InputError(problems).located(str(path), lines)
    return questions


def validate_questions(raw: Sequence[dict[str, Any]]) -> tuple[tuple[Question, ...],
                                                               list[Problem]]:
    """Validate each question, collecting every problem of every question in one pass."""
    from detente.scenario.load import problems_from_validation

    out: list[Question] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for k, item in enumerate(raw):
        try:
            q = Question.model_validate(item)
        except ValidationError as err:
            problems += [_at(p, "questions", k) for p in problems_from_validation(err, Question)]
            continue
        except InputError as err:
            problems += [_at(p, "questions", k) for p in err.problems]
            continue
        if q.id in seen:
            problems.append(problem("question ids must be distinct", ("questions", k, "id"),
                                    value=q.id))
        seen.add(q.id)
        out.append(q)
    return tuple(out), problems
