"""The bounded YAML reader of scenario files (:func:`parse_yaml`), and the line numbers of a
YAML or JSON text (:func:`yaml_lines`); loaded only for a YAML or JSON file, so a peer's CSV
file is read without importing PyYAML."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from detente.errors import InputError, Path, Problem, problem, show_value
from detente.scenario.limits import MAX_DEPTH, MAX_NODES, check_size


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
"""The loaders, libyaml's first (:func:`loaders_for` says which a text tries in turn); the last
one's error is the one reported."""

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


_HEADER_COMMENT = re.compile(r"[-+0-9]*#")
_BEFORE_TAG = frozenset(" \t\r\n\x85\u2028\u2029[]{},")
_LINE_BREAKS = frozenset("\r\n\x85\u2028\u2029")
_BLANK_TAIL = re.compile(r"(?:\s|#[^\r\n\x85\u2028\u2029]*)*")


def _after(text: str, char: str, test: Callable[[int], bool]) -> bool:
    """Does ``test`` hold at some occurrence of ``char`` (str.find: a plain scan, quick)?"""
    at = text.find(char)
    while at >= 0:
        if test(at):
            return True
        at = text.find(char, at + 1)
    return False


def read_apart(text: str) -> bool:
    """May libyaml's scanner read ``text`` differently from the reference's? Tabs as separators
    (the reference refuses them), a byte-order mark left in the text, tags (a bare ``!`` reads
    as ``''``, not null), a comment glued to a block scalar's header (the reference refuses
    it), and a stream that ends on ``---`` and blanks or comments (the root's line) are where
    the two were seen to differ (tests/test_scenario_yaml_readers.py)."""
    return ("\t" in text or "\ufeff" in text
            or _after(text, "---", lambda at: (at == 0 or text[at - 1] in _LINE_BREAKS)
                      and _BLANK_TAIL.fullmatch(text, at + 3) is not None)
            or _after(text, "!", lambda at: at == 0 or text[at - 1] in _BEFORE_TAG)
            or any(_after(text, c, lambda at: _HEADER_COMMENT.match(text, at + 1) is not None)
                   for c in "|>"))


def loaders_for(text: str) -> tuple[type, ...]:
    """The loaders to try on ``text`` in turn: libyaml's first unless it may read it apart."""
    return LOADERS[-1:] if read_apart(text) else LOADERS


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
    for loader_class in loaders_for(text):
        try:
            return node_lines(compose_yaml(text, loader_class)[0])
        except (yaml.YAMLError, RecursionError, UnicodeError):  # libyaml takes UTF-8 only
            continue
    return {}, []


def _yaml_problem(err: yaml.YAMLError) -> Problem:
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    return problem(f"malformed YAML: {what}", line=mark.line + 1 if mark else None)


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
    check_size(text, file)
    loaders = loaders_for(text)
    try:
        for loader_class in loaders[:-1]:
            with contextlib.suppress(yaml.YAMLError, RecursionError, UnicodeError):
                return _compose_construct(text, file, loader_class)
        return _compose_construct(text, file, loaders[-1])
    except yaml.YAMLError as err:
        raise InputError([_yaml_problem(err)], file) from None
    except RecursionError:
        raise InputError([problem(f"malformed YAML: nested deeper than {MAX_DEPTH} levels")],
                         file) from None
