"""Validating a parsed document against the scenario language, problems located by field path
(shared by the YAML/JSON loader and the peer-format importers).

Field errors (pydantic's) and the cross-field checks of :func:`~detente.scenario.schema.
check_scenario` come back together, so ``detente validate`` reports everything in one pass.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from detente.errors import InputError, Path, Problem, problem
from detente.scenario.schema import Scenario


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_fields(root: type[BaseModel], loc: Path) -> list[str]:
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
    return list(model.model_fields) if model else []


_BOUNDS = {"less_than_equal": ("le", "<="), "less_than": ("lt", "<"),
           "greater_than_equal": ("ge", ">="), "greater_than": ("gt", ">")}


def _allowed_from(e: Any) -> Any:
    """What pydantic's error says would be accepted: a bound, the literal choices, a length."""
    ctx = e.get("ctx") or {}
    if e["type"] in _BOUNDS:
        key, sign = _BOUNDS[e["type"]]
        return f"{sign} {ctx.get(key)}"
    if e["type"] == "literal_error":
        return ctx.get("expected")
    if e["type"] in ("too_short", "too_long"):
        return f"length {'>=' if e['type'] == 'too_short' else '<='} " + str(
            ctx.get("min_length", ctx.get("max_length")))
    return None


def problems_from_validation(err: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Translate pydantic's errors into located, readable problems."""
    out = []
    for e in err.errors():
        loc: Path = tuple(
            p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = e["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_fields(root, loc[:-1])
            out.append(problem(f"unknown field {loc[-1]!r} (allowed: {', '.join(allowed)})", loc,
                               value=e.get("input"), allowed=allowed))
        elif kind == "missing":
            out.append(problem("required field is missing", loc))
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if kind in ("finite_number",):
                msg = "must be a finite number (NaN and infinity are not allowed)"
            out.append(problem(msg, loc, value=e.get("input"), allowed=_allowed_from(e)))
    return out


# -- every problem in one pass -------------------------------------------------------------------

_LISTS = ("sources", "issues", "actors", "stances", "accommodation", "levers", "hypotheses")


def _item_model(annotation: Any) -> type[BaseModel] | None:
    """``Issue`` for ``tuple[Issue, ...]``; ``None`` for anything else."""
    if typing.get_origin(annotation) is tuple:
        return _model_in(annotation)
    return None


def _partial_scenario(data: dict[str, Any]) -> tuple[Scenario, dict[str, list[int]], set[str],
                                                      set[str]] | None:
    """The valid parts of a document as a Scenario (built without its cross checks), the map from
    each kept record's index to its index in the file, the ids of records left out, and the
    fields left out; ``None`` when a required list is missing or not a list."""
    from pydantic import TypeAdapter

    fields: dict[str, Any] = {}
    index: dict[str, list[int]] = {}
    dropped_ids: set[str] = set()
    failed: set[str] = set()
    for name, info in Scenario.model_fields.items():
        if name not in data:
            if info.is_required() and name != "name":
                return None
            continue
        raw, item = data[name], _item_model(info.annotation)
        if item is not None:
            if not isinstance(raw, list):
                return None
            kept, where = [], []
            for k, rec in enumerate(raw):
                try:
                    kept.append(item.model_validate(rec))
                    where.append(k)
                except (ValidationError, InputError):
                    failed.add(name)
                    if isinstance(rec, dict) and isinstance(rec.get("id"), str):
                        dropped_ids.add(rec["id"])
            fields[name], index[name] = tuple(kept), where
            continue
        try:
            fields[name] = TypeAdapter(info.annotation).validate_python(raw)
        except (ValidationError, InputError):
            failed.add(name)
    fields.setdefault("name", "?")
    return Scenario.model_construct(**fields), index, dropped_ids, failed


def _remap(p: Problem, index: dict[str, list[int]]) -> Problem:
    path = p.path
    if len(path) > 1 and path[0] in index and isinstance(path[1], int):
        path = (path[0], index[str(path[0])][path[1]], *path[2:])
    message = re.sub(rf"\b({'|'.join(_LISTS)})\[(\d+)\]",
                     lambda m: f"{m[1]}[{index[m[1]][int(m[2])]}]" if m[1] in index else m[0],
                     p.message)
    return Problem(message, path, p.line, p.value, p.has_value, p.allowed)


def cross_problems(data: dict[str, Any]) -> list[Problem]:
    """The cross-field checks (:func:`check_scenario`) over the records that are valid on their
    own, so that ``validate`` reports field errors and cross-field errors in one pass.

    Problems that only follow from a record left out (a reference to an invalid actor, too few
    actors, levers without a valid war part) are not reported: the field error says it.
    """
    from detente.scenario.schema import check_scenario

    partial = _partial_scenario(data)
    if partial is None:
        return []
    sc, index, dropped, failed = partial
    try:
        found = check_scenario(sc)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError):  # a half-valid record
        return []
    out = []
    for p in found:
        if isinstance(p.value, str) and p.value in dropped and "not defined" in p.message:
            continue
        if "actors" in failed and p.path == ("actors",):
            continue
        if failed & {"war", "levers", "hypotheses"} and p.path[:1] in (("war",), ("levers",),
                                                                      ("hypotheses",)):
            continue
        out.append(_remap(p, index))
    return out


def validate_document(
    data: Any, file: str | None, lines: dict[Path, int] | None = None,
    root: type[BaseModel] = Scenario,
) -> Any:
    """Validate a parsed document as ``root``; problems come back located in ``file``.

    Field errors and the cross-field checks of the records that are valid come back together.
    """
    if not isinstance(data, dict):
        raise InputError(
            [problem("the document must be a mapping of fields", value=type(data).__name__)], file)
    try:
        return root.model_validate(data)
    except ValidationError as err:
        found = problems_from_validation(err, root)
        if root is Scenario:
            seen = {(p.path, p.message) for p in found}
            found += [p for p in cross_problems(data) if (p.path, p.message) not in seen]
        raise InputError(found).located(file, lines) from None
    except InputError as err:
        raise err.located(file, lines) from None
