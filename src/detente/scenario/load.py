"""Reading scenario files: YAML/JSON, or a peer's format through :mod:`importers`.

Every failure becomes an :class:`~detente.errors.InputError` whose problems carry the file name,
the line (where the format has lines) and the field path.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from detente.errors import InputError, Path, Problem, problem, show_value
from detente.scenario.schema import Scenario

FORMATS = ("yaml", "json", "bdm-csv", "ktab-csv", "ktab-xml", "decide")


# -- bounded YAML ---------------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Largest scenario file read (the flagship is under 100 KB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a scenario needs about 8 levels)."""
MAX_NODES = 500_000
"""Most nodes a document may hold once every alias is expanded (what validation will walk)."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that bounds nesting and alias expansion while composing.

    Every node's expanded size (itself plus its children, an alias counting as the whole node it
    names) is known when the node is complete, so a document whose aliases would expand beyond
    :data:`MAX_NODES` is refused before anything is expanded; an alias inside the node it names
    (a recursive structure) is refused outright.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.sizes: dict[int, int] = {}
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self.sizes:
                raise ComposerError(None, None, f"alias *{event.anchor} lies inside the node it "
                                    "names (recursive structures are not allowed)",
                                    event.start_mark)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                self.peek_event().start_mark)
        node = super().compose_node(parent, index)
        self.depth -= 1
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [n for pair in node.value for n in pair]
                    if isinstance(node, yaml.MappingNode) else [])
        size = 1 + sum(self.sizes[id(c)] for c in children)
        if size > MAX_NODES:
            raise ComposerError(None, None, f"expands to more than {MAX_NODES:,} values once "
                                "its aliases are resolved", node.start_mark)
        self.sizes[id(node)] = size
        return node

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, KeyError, IndexError, AttributeError, TypeError,
                OverflowError) as err:
            detail = str(err).split(";")[0] if isinstance(err, ValueError) else "not readable"
            raise ConstructorError(None, None, f"value {show_value(node.value)} is not a valid "
                                   f"{node.tag.rsplit(':', 1)[-1]} ({detail})",
                                   node.start_mark) from None


def compose_yaml(text: str) -> tuple[yaml.Node | None, _BoundedLoader]:
    """The document's node tree (bounded; raises ``yaml.YAMLError``) and its loader."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_node(), loader
    finally:
        loader.dispose()


def node_lines(root: yaml.Node | None) -> tuple[dict[Path, int], list[Problem]]:
    """Map each field path of a composed document to its 1-based line; flag duplicate keys.

    The walk follows aliases, so it visits at most :data:`MAX_NODES` nodes (the composer's bound).
    """
    lines: dict[Path, int] = {}
    dups: list[Problem] = []

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


def yaml_lines(text: str) -> tuple[dict[Path, int], list[Problem]]:
    """Line numbers and duplicate keys of a YAML (or JSON) text; empty when it does not parse."""
    try:
        root, _ = compose_yaml(text)
    except (yaml.YAMLError, RecursionError):
        return {}, []
    return node_lines(root)


# -- pydantic errors into problems ---------------------------------------------------------------

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


# -- file formats --------------------------------------------------------------------------------

def _yaml_problem(err: yaml.YAMLError) -> Problem:
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    return problem(f"malformed YAML: {what}", line=mark.line + 1 if mark else None)


def _check_size(text: str, file: str | None) -> None:
    if len(text) > MAX_DOCUMENT_BYTES:
        raise InputError([problem(f"the document is larger than {MAX_DOCUMENT_BYTES:,} bytes",
                                  value=len(text))], file)


def parse_yaml(text: str, file: str | None) -> tuple[Any, dict[Path, int]]:
    """Compose once (bounded), then build both the data and the line numbers from that tree."""
    _check_size(text, file)
    try:
        root, loader = compose_yaml(text)
        lines, dups = node_lines(root)
        if dups:
            raise InputError(dups, file)
        data = None if root is None else loader.construct_document(root)
    except yaml.YAMLError as err:
        raise InputError([_yaml_problem(err)], file) from None
    except RecursionError:
        raise InputError([problem(f"malformed YAML: nested deeper than {MAX_DEPTH} levels")],
                         file) from None
    return data, lines


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
    _check_size(text, file)
    if _json_depth(text) > MAX_DEPTH:
        raise InputError([problem(f"malformed JSON: nested deeper than {MAX_DEPTH} levels")],
                         file)
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
    text = read_text(path)
    if fmt is not None and fmt not in FORMATS:
        raise InputError([problem(f"unknown format (allowed: {', '.join(FORMATS)})", value=fmt,
                                  allowed=list(FORMATS))], str(path))
    fmt = fmt or detect_format(path, text)
    if fmt in ("yaml", "json"):
        data, lines = (parse_yaml if fmt == "yaml" else parse_json)(text, str(path))
        return validate_document(data, str(path), lines)
    return _importer(fmt)(text, file=str(path), **options)
