"""Reading scenario files: YAML/JSON, or a peer's format through :mod:`importers`.

Every failure becomes an :class:`~detente.errors.InputError` whose problems carry the file name,
the line (where the format has lines) and the field path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import yaml

from detente.errors import InputError, Path, Problem, problem
from detente.scenario.schema import Scenario
from detente.scenario.validate import problems_from_validation, validate_document

__all__ = ["FORMATS", "load_scenario", "problems_from_validation", "validate_document"]

FORMATS = ("yaml", "json", "bdm-csv", "ktab-csv", "ktab-xml", "decide")


# -- line numbers --------------------------------------------------------------------------------

def yaml_lines(text: str) -> tuple[dict[Path, int], list[Problem]]:
    """Map each field path of a YAML (or JSON) document to its 1-based line; flag duplicate keys."""
    lines: dict[Path, int] = {}
    dups: list[Problem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines, dups

    def walk(node: yaml.Node | None, path: Path) -> None:
        if node is None:
            return
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, child in node.value:
                name = str(key.value)
                if name in seen:
                    dups.append(problem("duplicate key (each key may appear once)", (*path, name),
                                        line=key.start_mark.line + 1))
                seen.add(name)
                lines[(*path, name)] = key.start_mark.line + 1
                walk(child, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for k, child in enumerate(node.value):
                walk(child, (*path, k))

    walk(root, ())
    return lines, dups


# -- file formats --------------------------------------------------------------------------------

def parse_yaml(text: str, file: str | None) -> tuple[Any, dict[Path, int]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        what = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError([problem(f"malformed YAML: {what}",
                                  line=mark.line + 1 if mark else None)], file) from None
    lines, dups = yaml_lines(text)
    if dups:
        raise InputError(dups, file)
    return data, lines


def parse_json(text: str, file: str | None) -> tuple[Any, dict[Path, int]]:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise InputError([problem(f"malformed JSON: {err.msg} (column {err.colno})",
                                  line=err.lineno)], file) from None
    except ValueError as err:
        raise InputError([problem(str(err))], file) from None
    lines, _ = yaml_lines(text)
    return data, lines


def _reject_constant(name: str) -> float:
    raise ValueError(f"JSON constant {name} is not allowed: numbers must be finite")


def detect_format(path: FilePath, text: str) -> str:
    """Guess a file's format from its name and first lines."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".xml":
        return "ktab-xml"
    head = [ln.strip() for ln in text.splitlines() if ln.strip()][:3]
    first = head[0] if head else ""
    if first.lstrip("'\"").startswith("#"):
        return "decide"
    cells = [c.strip().strip('"').lower() for c in first.split(",")]
    if {"actor", "capability", "position", "salience"} <= set(cells):
        return "bdm-csv"
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
    from detente.scenario import importers

    return {
        "bdm-csv": importers.read_bdm_csv,
        "ktab-csv": importers.read_ktab_csv,
        "ktab-xml": importers.read_ktab_xml,
        "decide": importers.read_decide,
    }[fmt]


def read_text(path: FilePath) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([problem("file not found")], str(path)) from None
    except IsADirectoryError:
        raise InputError([problem("is a directory, expected a file")], str(path)) from None
    except OSError as err:
        raise InputError([problem(f"cannot read file: {err.strerror}")], str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError([problem(f"not UTF-8 text (byte {err.start})")], str(path)) from None


def load_scenario(path: str | FilePath, fmt: str | None = None, **options: Any) -> Scenario:
    """Read and validate a scenario file in any supported format (auto-detected by default)."""
    path = FilePath(path)
    text = read_text(path)
    if fmt is not None and fmt not in FORMATS:
        raise InputError([problem(f"unknown format (allowed: {', '.join(FORMATS)})", value=fmt)],
                         str(path))
    fmt = fmt or detect_format(path, text)
    if fmt in ("yaml", "json"):
        data, lines = (parse_yaml if fmt == "yaml" else parse_json)(text, str(path))
        return validate_document(data, str(path), lines)
    return _importer(fmt)(text, file=str(path), **options)
