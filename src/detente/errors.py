"""Errors raised at the boundary, each naming where the bad value sits.

Every problem with an input carries a location (file, line, field path), the offending value and
what would have been allowed. The CLI prints them and exits with status 2; the Python API raises
:class:`InputError`. Inside the package, code trusts its (already validated) inputs.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """Render a field path as ``stances[3].position``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<document>"


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxlong, _REPR.maxother = 3, 60, 40, 60


def show_value(value: Any, limit: int = 60) -> str:
    """A short ``repr`` of a value; never recurses deeper than three levels, never fails."""
    try:
        text = _REPR.repr(value)
    except (ValueError, RecursionError):  # e.g. an int beyond Python's digit limit
        digits = f" of about {value.bit_length() * 0.30103:.0f} digits" if isinstance(
            value, int) else ""
        text = f"<{type(value).__name__}{digits}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what, and what would be allowed."""

    message: str
    path: Path = ()
    line: int | None = None
    value: Any = field(default=None, compare=False)
    has_value: bool = False
    allowed: Any = field(default=None, compare=False)
    """What would have been accepted (a range, a list of names), where the check knows it."""

    def render(self, file: str | None) -> str:
        where = file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        field_part = f" {format_path(self.path)}:" if self.path else ""
        got = f" (got {show_value(self.value)})" if self.has_value else ""
        return f"{where}:{field_part} {self.message}{got}"


def problem(message: str, path: Path = (), *, value: Any = ..., line: int | None = None,
            allowed: Any = None) -> Problem:
    """Build a :class:`Problem`; pass ``value`` to have it shown as ``(got ...)`` and
    ``allowed`` for what would have been accepted (``--json`` reports it as a field)."""
    if value is ...:
        return Problem(message, tuple(path), line, allowed=allowed)
    return Problem(message, tuple(path), line, value, True, allowed)


class InputError(Exception):
    """Bad input: one or more problems, each with its location."""

    def __init__(self, problems: Sequence[Problem], file: str | None = None) -> None:
        self.problems = list(problems)
        self.file = file
        super().__init__(self.render())

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its problems and file: a pool's worker hands it back to the parent
        (from its rendered text alone it could not be rebuilt, and the pool broke)."""
        return type(self), (self.problems, self.file)

    def render(self) -> str:
        return "\n".join(p.render(self.file) for p in self.problems)

    def located(self, file: str | None, lines: dict[Path, int] | None = None) -> InputError:
        """Attach a file name and (where known) line numbers to every problem."""
        lines = lines or {}
        placed = []
        for p in self.problems:
            line = p.line
            if line is None:
                for cut in range(len(p.path), -1, -1):
                    if p.path[:cut] in lines:
                        line = lines[p.path[:cut]]
                        break
            placed.append(Problem(p.message, p.path, line, p.value, p.has_value, p.allowed))
        return InputError(placed, file if file is not None else self.file)


    def records(self) -> list[dict[str, Any]]:
        """Every problem as a JSON-ready record: file, line, field, value, allowed, message."""
        return [{"file": self.file, "line": p.line, "field": format_path(p.path) if p.path
                 else None, "value": _plain(p.value) if p.has_value else None,
                 "allowed": _plain(p.allowed), "message": p.message} for p in self.problems]


def _plain(value: Any) -> Any:
    """A value as JSON data when it is small plain data, else its short ``repr``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if value.bit_length() < 64 else show_value(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else show_value(value)
    if isinstance(value, list | tuple) and len(value) <= 20 and all(
            v is None or isinstance(v, bool | int | float | str) for v in value):
        return [_plain(v) for v in value]
    return show_value(value)


class ModelError(Exception):
    """A model cannot run on the given batch (e.g. Nash without a status quo)."""
