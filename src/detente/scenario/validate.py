"""Validating a parsed document against the scenario language, problems located by field path
(shared by the YAML/JSON loader and the peer-format importers)."""

from __future__ import annotations

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


def problems_from_validation(err: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Translate pydantic's errors into located, readable problems."""
    out = []
    for e in err.errors():
        loc: Path = tuple(
            p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind = e["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_fields(root, loc[:-1])
            out.append(problem(f"unknown field {loc[-1]!r} (allowed: {', '.join(allowed)})", loc))
        elif kind == "missing":
            out.append(problem("required field is missing", loc))
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if kind in ("finite_number",):
                msg = "must be a finite number (NaN and infinity are not allowed)"
            out.append(problem(msg, loc, value=e.get("input")))
    return out


def validate_document(
    data: Any, file: str | None, lines: dict[Path, int] | None = None,
    root: type[BaseModel] = Scenario,
) -> Any:
    """Validate a parsed document as ``root``; problems come back located in ``file``."""
    if not isinstance(data, dict):
        raise InputError(
            [problem("the document must be a mapping of fields", value=type(data).__name__)], file)
    try:
        return root.model_validate(data)
    except ValidationError as err:
        raise InputError(problems_from_validation(err, root)).located(file, lines) from None
    except InputError as err:
        raise err.located(file, lines) from None
