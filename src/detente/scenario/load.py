"""Reading scenario files: YAML/JSON, or a peer's format through :mod:`importers`.

Every failure becomes an :class:`~detente.errors.InputError` whose problems carry the file name,
the line (where the format has lines) and the field path.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from detente.errors import InputError, Path, Problem, problem, show_value
from detente.scenario.schema import Scenario
from detente.scenario.validate import problems_from_validation, validate_document

__all__ = ["FORMATS", "load_scenario", "problems_from_validation", "validate_document"]

FORMATS = ("yaml", "json", "bdm-csv", "ktab-csv", "ktab-xml", "decide", "grid-csv", "grid-xlsx")


# -- bounded YAML ---------------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Largest scenario file read (the flagship is under 100 KB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a scenario needs about 8 levels)."""
MAX_NODES = 500_000
"""Most nodes a document may hold once every alias is expanded (what validation will walk)."""


class _Bounds:
    """Bounds on nesting and alias expansion while composing, for either loader below.

    Every node's expanded size (itself plus its children, an alias counting as the whole node it
    names) is known when the node is complete, so a document whose aliases would expand beyond
    :data:`MAX_NODES` is refused before anything is expanded; an alias inside the node it names
    (a recursive structure) is refused outright.
    """

    sizes: dict[int, int]
    depth: int

    def _start_bounds(self) -> None:
        self.sizes = {}
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


class _BoundedLoader(_Bounds, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, bounded: the reference, whose error messages (and
    marks) are the ones reported."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._start_bounds()


LOADERS: tuple[type, ...] = (_BoundedLoader,)
"""The loaders tried in turn; the last one's error is the one reported."""

if yaml.__with_libyaml__:
    class _FastLoader(_Bounds, Composer, yaml.cyaml.CParser, SafeConstructor, Resolver):
        """The same loader on libyaml's scanner and parser (C; six times faster on the
        flagship): PyYAML's composer, the bounds, the resolver and the constructor stay in
        Python, so the node tree, its marks and the values are the reference loader's. A
        document it refuses is read again by the reference loader, which words the error
        (libyaml words its own differently)."""

        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
            self._start_bounds()

    LOADERS = (_FastLoader, _BoundedLoader)


def compose_yaml(text: str, loader_class: type = _BoundedLoader) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (bounded; raises ``yaml.YAMLError``) and its loader."""
    loader = loader_class(text)
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
    for loader_class in LOADERS:
        try:
            return node_lines(compose_yaml(text, loader_class)[0])
        except (yaml.YAMLError, RecursionError, UnicodeError):  # libyaml takes UTF-8 only
            continue
    return {}, []


# -- file formats --------------------------------------------------------------------------------

def _yaml_problem(err: yaml.YAMLError) -> Problem:
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    return problem(f"malformed YAML: {what}", line=mark.line + 1 if mark else None)


def _check_size(text: str, file: str | None) -> None:
    if len(text) > MAX_DOCUMENT_BYTES:
        raise InputError([problem(f"the document is larger than {MAX_DOCUMENT_BYTES:,} bytes",
                                  value=len(text))], file)


def _compose_construct(text: str, file: str | None, loader_class: type,
                       ) -> tuple[Any, dict[Path, int]]:
    root, loader = compose_yaml(text, loader_class)
    lines, dups = node_lines(root)
    if dups:
        raise InputError(dups, file)
    return None if root is None else loader.construct_document(root), lines


def parse_yaml(text: str, file: str | None) -> tuple[Any, dict[Path, int]]:
    """Compose once (bounded), then build both the data and the line numbers from that tree:
    on libyaml's parser, and where that refuses the document, again on the reference loader,
    whose message is the one reported (libyaml words its errors differently)."""
    _check_size(text, file)
    try:
        for loader_class in LOADERS[:-1]:
            with contextlib.suppress(yaml.YAMLError, RecursionError, UnicodeError):
                return _compose_construct(text, file, loader_class)
        return _compose_construct(text, file, LOADERS[-1])
    except yaml.YAMLError as err:
        raise InputError([_yaml_problem(err)], file) from None
    except RecursionError:
        raise InputError([problem(f"malformed YAML: nested deeper than {MAX_DEPTH} levels")],
                         file) from None


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
        data, lines = (parse_yaml if fmt == "yaml" else parse_json)(text, str(path))
        return validate_document(data, str(path), lines)
    return _importer(fmt)(text, file=str(path), **options)
