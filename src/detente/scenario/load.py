"""Reading scenario files: YAML/JSON, or a peer's format through :mod:`importers`.

Every failure becomes an :class:`~detente.errors.InputError` whose problems carry the file name,
the line (where the format has lines) and the field path. The YAML reader lives in
:mod:`~detente.scenario.yaml_reader`, imported for a YAML or JSON file only (its names are
reachable from here too), so a peer's CSV file is read without PyYAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

from detente.errors import InputError, Path, problem
from detente.scenario.limits import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_NODES, check_size
from detente.scenario.schema import Scenario
from detente.scenario.validate import problems_from_validation, validate_document

__all__ = ["FORMATS", "MAX_DEPTH", "MAX_DOCUMENT_BYTES", "MAX_NODES", "check_size", "load_scenario",
           "problems_from_validation", "validate_document"]

FORMATS = ("yaml", "json", "bdm-csv", "ktab-csv", "ktab-xml", "decide", "grid-csv", "grid-xlsx")


_READER_NAMES = frozenset({"LOADERS", "compose_yaml", "loaders_for", "node_lines",
                           "parse_yaml", "read_apart", "yaml_lines"})


def __getattr__(name: str) -> Any:
    """The YAML reader's names, from :mod:`~detente.scenario.yaml_reader` on first use."""
    if name in _READER_NAMES:
        from detente.scenario import yaml_reader

        return getattr(yaml_reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _JSONRefusal(ValueError):
    """A JSON value refused while decoding: the message, and a text to locate it by."""

    def __init__(self, message: str, needle: str | None = None) -> None:
        super().__init__(message)
        self.needle = needle


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings (a linear scan, no recursion)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", bare):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > 300:
        raise _JSONRefusal(f"an integer of {len(digits)} digits is too long (at most 300)",
                           digits)
    return int(digits)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _JSONRefusal(f"duplicate key {key!r} (each key may appear once)", f'"{key}"')
        out[key] = value
    return out


def parse_json(text: str, file: str | None) -> tuple[Any, dict[Path, int]]:
    """Strict JSON: finite numbers, unique keys, bounded size and depth; lines from YAML's
    composer (JSON is YAML's subset; lines are left out where it disagrees)."""
    check_size(text, file)
    if _json_depth(text) > MAX_DEPTH:
        raise InputError([problem(f"malformed JSON: nested deeper than {MAX_DEPTH} levels")],
                         file)
    from detente.scenario.yaml_reader import yaml_lines

    lines, dups = yaml_lines(text)
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_json_int,
                          object_pairs_hook=_json_object)
    except json.JSONDecodeError as err:
        raise InputError([problem(f"malformed JSON: {err.msg} (column {err.colno})",
                                  line=err.lineno)], file) from None
    except _JSONRefusal as err:
        if dups and "duplicate key" in str(err):
            raise InputError(dups, file) from None
        at = text.find(err.needle) if err.needle else -1
        raise InputError([problem(str(err), line=text.count("\n", 0, at) + 1 if at >= 0
                                  else None)], file) from None
    except (ValueError, RecursionError) as err:
        raise InputError([problem(f"malformed JSON: {str(err).split(';')[0]}")], file) from None
    return data, lines


def _reject_constant(name: str) -> float:
    raise _JSONRefusal(f"JSON constant {name} is not allowed: numbers must be finite", name)


def detect_format(path: FilePath, text: str) -> str:
    """Guess a file's format from its name and first lines."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".xml":
        return "ktab-xml"
    from detente.scenario import grid  # the CSV readers load only for a CSV file

    head = [ln.strip() for ln in text.splitlines() if ln.strip()][:3]
    first = head[0] if head else ""
    if first.lstrip("'\"").startswith("#"):
        return "decide"
    cells = [c.strip().strip('"').lower() for c in first.split(",")]
    if {"actor", "capability", "position", "salience"} <= set(cells):
        return "bdm-csv"
    if grid.is_grid_header(cells):
        return "grid-csv"
    if len(head) > 1 and head[1].split(",")[0].strip().strip('"').lower() == "actor":
        return "ktab-csv"
    if suffix in (".csv", ".txt"):
        raise InputError([problem(
            "cannot tell the CSV dialect: expected a BDM header (actor,capability,position,"
            "salience), a KTAB file (line 2 starting with 'Actor') or decide rows (#A/#P/#D); "
            "use --format", line=1, value=first)], str(path))
    raise InputError([problem(
        f"unknown file type {suffix or '(none)'}; use --format with one of {', '.join(FORMATS)}")],
        str(path))


def _importer(fmt: str) -> Callable[..., Scenario]:
    from detente.scenario import grid, importers

    return {
        "bdm-csv": importers.read_bdm_csv,
        "ktab-csv": importers.read_ktab_csv,
        "ktab-xml": importers.read_ktab_xml,
        "decide": importers.read_decide,
        "grid-csv": grid.read_grid_csv,
    }[fmt]


def read_text(path: FilePath) -> str:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise InputError([problem("file not found")], str(path)) from None
    except IsADirectoryError:
        raise InputError([problem("is a directory, expected a file")], str(path)) from None
    except OSError as err:
        raise InputError([problem(f"cannot read file: {err.strerror}")], str(path)) from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InputError([problem(f"the file is larger than {MAX_DOCUMENT_BYTES:,} bytes")],
                         str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError([problem(f"not UTF-8 text (byte {err.start})")], str(path)) from None


def load_scenario(path: str | FilePath, fmt: str | None = None, **options: Any) -> Scenario:
    """Read and validate a scenario file in any supported format (auto-detected by default)."""
    path = FilePath(path)
    if fmt == "grid-xlsx" or (fmt is None and path.suffix.lower() == ".xlsx"):
        from detente.scenario import grid

        return grid.read_grid_xlsx(path, **options)
    text = read_text(path)
    if fmt is not None and fmt not in FORMATS:
        raise InputError([problem(f"unknown format (allowed: {', '.join(FORMATS)})", value=fmt,
                                  allowed=list(FORMATS))], str(path))
    fmt = fmt or detect_format(path, text)
    if fmt in ("yaml", "json"):
        from detente.scenario.yaml_reader import parse_yaml

        data, lines = (parse_yaml if fmt == "yaml" else parse_json)(text, str(path))
        return validate_document(data, str(path), lines)
    return _importer(fmt)(text, file=str(path), **options)
