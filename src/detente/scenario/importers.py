"""Importers for the peers' formats (PEERS.md §1.1, §2.2, §3.1).

Each reader turns a file's text into the same dictionary a YAML scenario would hold, remembers
which line every record came from, and validates it through :class:`Scenario`, so a bad value
is reported with the file's own line number.
"""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Any, Literal

from detente.errors import InputError, Path, Problem, problem
from detente.scenario.schema import Scenario
from detente.scenario.validate import validate_document

SalienceScale = Literal["auto", 1, 100]


def slug(text: str) -> str:
    """An id from a free-text name: letters, digits and ``_.:-`` kept, the rest becomes '-'."""
    out = re.sub(r"[^A-Za-z0-9_.:-]+", "-", text.strip()).strip("-")
    return out or "x"


class _Rows:
    """Collects parse problems with line numbers while reading cells."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def number(self, cell: str, line: int, column: str) -> float:
        text = cell.strip().strip("'\"")
        try:
            value = float(text)
        except ValueError:
            self.problems.append(problem(f"column {column!r}: expected a number", line=line,
                                         value=text))
            return math.nan
        if not math.isfinite(value):
            self.problems.append(problem(
                f"column {column!r}: must be a finite number (NaN and infinity are not allowed)",
                line=line, value=text))
        return value

    def fail(self, message: str, line: int | None = None, **kw: Any) -> None:
        self.problems.append(problem(message, line=line, **kw))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems, self.file)


def _salience_scale(values: list[float], choice: SalienceScale) -> int:
    if choice != "auto":
        return int(choice)
    return 100 if any(v > 1 for v in values if math.isfinite(v)) else 1


def _reader(text: str, delimiter: str = ",", quotechar: str = '"', file: str | None = None
            ) -> list[tuple[int, list[str]]]:
    """Rows with their 1-based line numbers; blank lines skipped; CR-only files read too."""
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cells = next(csv.reader(io.StringIO(line), delimiter=delimiter, quotechar=quotechar))
        except csv.Error as err:
            limit = csv.field_size_limit()
            raise InputError([problem(f"unreadable CSV row: {err} (a cell may hold at most "
                                      f"{limit:,} characters)", line=n)], file) from None
        rows.append((n, cells))
    return rows


def read_bdm_csv(
    text: str, file: str | None = None, *, salience_scale: SalienceScale = "auto",
    issue_name: str | None = None,
) -> Scenario:
    """BDM / Scholz CSV: header ``actor,capability,position,salience``, one issue per file.

    Column names match case-insensitively; the salience scale (0-1 or 0-100) is read from the
    values unless given. The issue's scale runs from the lowest to the highest position.
    """
    rows = _reader(text, file=file)
    parse = _Rows(file)
    if not rows:
        parse.fail("empty file: expected a header actor,capability,position,salience", line=1)
        parse.raise_if_any()
    header_line, header = rows[0]
    names = [h.strip().lower() for h in header]
    need = ("actor", "capability", "position", "salience")
    missing = [c for c in need if c not in names]
    if missing:
        parse.fail(f"header lacks column(s) {', '.join(missing)} (expected {', '.join(need)})",
                   line=header_line, value=",".join(header))
        parse.raise_if_any()
    col = {c: names.index(c) for c in need}
    actors, stances, lines = [], [], {}
    saliences = []
    for k, (line, cells) in enumerate(rows[1:]):
        if len(cells) < len(names):
            parse.fail(f"expected {len(names)} columns, found {len(cells)}", line=line)
            continue
        name = cells[col["actor"]].strip()
        cap = parse.number(cells[col["capability"]], line, "capability")
        pos = parse.number(cells[col["position"]], line, "position")
        sal = parse.number(cells[col["salience"]], line, "salience")
        saliences.append(sal)
        actors.append({"id": slug(name), "name": name or f"row {line}", "capability": cap})
        stances.append({"actor": slug(name), "issue": "issue", "position": pos, "salience": sal})
        lines[("actors", k)] = lines[("stances", k)] = line
    parse.raise_if_any()
    positions = [s["position"] for s in stances]
    low, high = (min(positions), max(positions)) if positions else (0.0, 1.0)
    if positions and low == high:
        parse.fail("every actor holds the same position: the issue's scale cannot be inferred",
                   line=header_line + 1, value=low)
        parse.raise_if_any()
    doc = {
        "name": issue_name or (file.rsplit("/", 1)[-1].rsplit(".", 1)[0] if file else "bdm"),
        "salience_scale": _salience_scale(saliences, salience_scale),
        "issues": [{"id": "issue", "name": issue_name or "issue", "low": low, "high": high}],
        "actors": actors,
        "stances": stances,
    }
    return validate_document(doc, file, lines)


def read_ktab_csv(text: str, file: str | None = None) -> Scenario:
    """KTAB SMP CSV: line 1 ``name, description, N, D``; line 2 the header; N actor rows.

    Positions and saliences are on 0-100. KTAB's own limits (3-250 actors, an actor's saliences
    summing to at most 100) belong to the ``smp`` model and are checked there, not here.
    """
    rows = _reader(text, file=file)
    parse = _Rows(file)
    if len(rows) < 2:
        parse.fail("a KTAB CSV needs a title line, a header line and actor rows", line=1)
        parse.raise_if_any()
    (l1, title), (_, header) = rows[0], rows[1]
    if len(title) < 4:
        parse.fail("line 1 must be: scenario name, description, number of actors, number of "
                   "dimensions", line=l1, value=",".join(title))
        parse.raise_if_any()
    n_actors = parse.number(title[2], l1, "number of actors")
    n_dims = parse.number(title[3], l1, "number of dimensions")
    parse.raise_if_any()
    if n_dims != int(n_dims) or n_dims < 1 or n_actors != int(n_actors) or n_actors < 1:
        parse.fail("the actor and dimension counts must be positive whole numbers", line=l1,
                   value=[title[2].strip(), title[3].strip()])
        parse.raise_if_any()
    body = rows[2:]
    widest = max(len(cells) for _, cells in rows[1:])
    if n_dims > (widest - 3) // 2:
        parse.fail(f"line 1 announces {title[3].strip()} dimensions, but no row has the "
                   f"{3 + 2 * n_dims:g} columns that needs (the widest has {widest})", line=l1,
                   value=title[3].strip())
        parse.raise_if_any()
    n, d = int(n_actors), int(n_dims)
    if len(body) != n:
        parse.fail(f"line 1 announces {n} actors but the file has {len(body)} actor rows",
                   line=l1, value=n)
        parse.raise_if_any()
    dim_names = []
    for j in range(d):
        cell = header[3 + 2 * j].strip() if len(header) > 3 + 2 * j else f"Dim{j}"
        dim_names.append(re.sub(r"\s*position$", "", cell, flags=re.I) or f"Dim{j}")
    issues = [{"id": slug(nm), "name": nm, "low": 0.0, "high": 100.0} for nm in dim_names]
    actors, stances, lines = [], [], {}
    for k, (line, cells) in enumerate(body):
        cells = [c for c in cells]
        while cells and not cells[-1].strip():
            cells.pop()
        if len(cells) < 3 + 2 * d:
            parse.fail(f"expected {3 + 2 * d} columns (name, description, capability and a "
                       f"position and salience for each of {d} dimensions), found {len(cells)}",
                       line=line)
            continue
        name = cells[0].strip()
        cap = parse.number(cells[2], line, header[2].strip() if len(header) > 2 else "capability")
        actors.append({"id": slug(name), "name": name, "description": cells[1].strip() or None,
                       "capability": cap})
        lines[("actors", k)] = line
        for j in range(d):
            pos = parse.number(cells[3 + 2 * j], line, f"{dim_names[j]} position")
            sal = parse.number(cells[4 + 2 * j], line, f"{dim_names[j]} salience")
            lines[("stances", len(stances))] = line
            stances.append({"actor": slug(name), "issue": issues[j]["id"], "position": pos,
                            "salience": sal})
    parse.raise_if_any()
    doc = {
        "name": title[0].strip() or "ktab",
        "description": title[1].strip() or None,
        "salience_scale": 100,
        "issues": issues,
        "actors": actors,
        "stances": stances,
    }
    return validate_document(doc, file, lines)


def _decide_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="\t,;").delimiter
    except csv.Error:
        return "\t"


def read_decide(text: str, file: str | None = None) -> Scenario:
    """decide-exchange-model rows: ``#A`` actors, ``#P`` issues, ``#M`` scale points, ``#D`` data.

    Power is given per actor and issue, so it becomes each stance's capability; ``#M`` rows set
    the issue's range (smallest to largest; 0-100 without them) and, where described, labelled
    points. Saliences are on 0-1.
    """
    parse = _Rows(file)
    rows = _reader(text, delimiter=_decide_delimiter(text), quotechar="'", file=file)
    actors: dict[str, dict[str, Any]] = {}
    issues: dict[str, dict[str, Any]] = {}
    marks: dict[str, list[tuple[float, str]]] = {}
    data: list[tuple[int, list[str]]] = []
    lines: dict[Path, int] = {}
    for line, raw in rows:
        cells = [c.strip().strip("'") for c in raw]
        tag = cells[0]
        if tag in ("#0", "#/") or not tag:
            continue
        if tag == "#A":
            if len(cells) < 2 or not cells[1]:
                parse.fail("#A row needs an actor key", line=line)
                continue
            lines[("actors", len(actors))] = line
            actors[cells[1]] = {"id": slug(cells[1]), "name": (cells[2] if len(cells) > 2 and
                                                                 cells[2] else cells[1]),
                                "description": cells[3] if len(cells) > 3 and cells[3] else None}
        elif tag == "#P":
            if len(cells) < 2 or not cells[1]:
                parse.fail("#P row needs an issue key", line=line)
                continue
            lines[("issues", len(issues))] = line
            issues[cells[1]] = {"id": slug(cells[1]), "name": (cells[2] if len(cells) > 2 and
                                                                 cells[2] else cells[1]),
                                "description": cells[3] if len(cells) > 3 and cells[3] else None}
        elif tag == "#M":
            if len(cells) < 3:
                parse.fail("#M row needs: issue key, position, description", line=line)
                continue
            value = parse.number(cells[2], line, "position")
            marks.setdefault(cells[1], []).append((value, cells[3] if len(cells) > 3 else ""))
        elif tag == "#D":
            if len(cells) < 6:
                parse.fail("#D row needs: actor key, issue key, position, salience, power",
                           line=line, value="\t".join(cells))
                continue
            data.append((line, cells))
        else:
            parse.fail("unknown row type (allowed: #A, #P, #M, #D, #0, #/)", line=line, value=tag,
                       allowed=["#A", "#P", "#M", "#D", "#0", "#/"])
    for key, points in marks.items():
        if key not in issues:
            parse.fail(f"#M row names issue {key!r}, which no #P row defines", value=key)
        values = [v for v, _ in points]
        issues.get(key, {}).update(
            low=min(values), high=max(values),
            points={v: label for v, label in points if label})
    stances = []
    for line, cells in data:
        actor, issue = cells[1], cells[2]
        if actor not in actors:
            parse.fail(f"#D row names actor {actor!r}, which no #A row defines", line=line,
                       value=actor)
        if issue not in issues:
            parse.fail(f"#D row names issue {issue!r}, which no #P row defines", line=line,
                       value=issue)
        pos = parse.number(cells[3], line, "position")
        sal = parse.number(cells[4], line, "salience")
        power = parse.number(cells[5], line, "power")
        lines[("stances", len(stances))] = line
        stances.append({"actor": actors.get(actor, {}).get("id", slug(actor)),
                        "issue": issues.get(issue, {}).get("id", slug(issue)),
                        "position": pos, "salience": sal, "capability": power})
    if not actors or not issues:
        parse.fail("a decide file needs #A (actor) and #P (issue) rows", line=1)
    parse.raise_if_any()
    doc = {
        "name": file.rsplit("/", 1)[-1].rsplit(".", 1)[0] if file else "decide",
        "salience_scale": 1,
        "issues": list(issues.values()),
        "actors": list(actors.values()),
        "stances": stances,
    }
    return validate_document(doc, file, lines)


# -- KTAB XML -------------------------------------------------------------------------------------

class _Node:
    """An XML element with the line it starts on (ElementTree keeps no line numbers)."""

    def __init__(self, tag: str, line: int) -> None:
        self.tag, self.line, self.text, self.children = tag, line, "", []

    def find(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]


class _LinedTarget:
    """ElementTree parser target that builds :class:`_Node` trees with their start lines."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.stack = [_Node("#document", 1)]

    def start(self, tag: str, _attrs: dict[str, str]) -> None:
        node = _Node(tag, self.parser.parser.CurrentLineNumber)
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def end(self, _tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        self.stack[-1].text += text

    def close(self) -> _Node:
        return self.stack[0]


def _parse_xml(text: str, parse: _Rows) -> _Node | None:
    """Parse with defusedxml: entity declarations, external entities and DTD-driven expansion
    are refused (a "billion laughs" file fails at once instead of expanding)."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    target = _LinedTarget()
    parser = DefusedXMLParser(target=target)
    target.parser = parser
    try:
        parser.feed(text)
        root = parser.close()
    except DefusedXmlException as err:
        parse.fail(f"XML entity and DTD declarations are not allowed ({type(err).__name__})",
                   line=parser.parser.CurrentLineNumber)
        return None
    except ParseError as err:
        parse.fail(f"malformed XML: {str(err).split(':')[0]}", line=err.position[0])
        return None
    return root.find("Scenario") or (parse.fail("the root element must be <Scenario>", line=1)
                                     or None)


def read_ktab_xml(text: str, file: str | None = None) -> Scenario:
    """KTAB's XML scenario (PEERS.md §1.1): model parameters, dimensions, actors and the
    ideal-adjustment pairs. The nine parameters become the scenario's ``smp`` options."""
    from detente.options import SMPOptions, parse_options

    parse = _Rows(file)
    sc = _parse_xml(text, parse)
    parse.raise_if_any()
    assert sc is not None
    name = (sc.find("name").text.strip() if sc.find("name") else "") or "ktab"  # type: ignore[union-attr]
    desc = sc.find("desc")
    options: dict[str, Any] = {}
    params = sc.find("ModelParameters")
    for node in params.children if params else []:
        options[node.tag] = node.text.strip()
    # prngSeed seeds KTAB's own generator, which no other program can reproduce; runs here are
    # seeded by the experiment's seed (--seed), so the field is read past
    try:
        parse_options(SMPOptions, options)
    except InputError as err:
        for p in err.problems:
            node = params.find(str(p.path[-1])) if params else None
            parse.fail(f"<ModelParameters>: {p.message}", line=node.line if node else None,
                       value=p.value)
    dims = sc.find("Dimensions")
    dim_names = [d.text.strip() for d in dims.all("dName")] if dims else []
    actors_node = sc.find("Actors")
    actor_nodes = actors_node.all("Actor") if actors_node else []
    if not actor_nodes:
        parse.fail("<Actors> with at least one <Actor> is required", line=sc.line)
    parse.raise_if_any()
    n_dims = len(dim_names) or len(actor_nodes[0].find("Position").all("dCoord")  # type: ignore[union-attr]
                                   if actor_nodes[0].find("Position") else [])
    dim_names = dim_names or [f"Dim{j}" for j in range(n_dims)]
    issues = [{"id": slug(d), "name": d, "low": 0.0, "high": 100.0} for d in dim_names]
    actors, stances, lines = [], [], {}
    for k, node in enumerate(actor_nodes):
        actor_name = (node.find("name").text.strip() if node.find("name") else "")  # type: ignore[union-attr]
        if not actor_name:
            parse.fail("<Actor> needs a <name>", line=node.line)
            continue
        cap_node = node.find("capability")
        cap = parse.number(cap_node.text if cap_node else "", cap_node.line if cap_node else
                           node.line, f"capability of {actor_name}")
        description = node.find("description")
        actors.append({"id": slug(actor_name), "name": actor_name, "capability": cap,
                       "description": (description.text.strip() or None) if description else None})
        lines[("actors", k)] = node.line
        coords = node.find("Position").all("dCoord") if node.find("Position") else []  # type: ignore[union-attr]
        sals = node.find("Salience").all("dSal") if node.find("Salience") else []  # type: ignore[union-attr]
        if len(coords) != n_dims or len(sals) != n_dims:
            parse.fail(f"actor {actor_name!r} needs {n_dims} <dCoord> and {n_dims} <dSal> "
                       f"values, found {len(coords)} and {len(sals)}", line=node.line)
            continue
        for j in range(n_dims):
            pos = parse.number(coords[j].text, coords[j].line,
                               f"<dCoord> {j + 1} of {actor_name}")
            sal = parse.number(sals[j].text, sals[j].line, f"<dSal> {j + 1} of {actor_name}")
            lines[("stances", len(stances))] = coords[j].line
            stances.append({"actor": slug(actor_name), "issue": issues[j]["id"], "position": pos,
                            "salience": sal})
    pairs = []
    adjust = sc.find("IdealAdjustment")
    for k, pair in enumerate(adjust.all("iaPair") if adjust else []):
        fields = {f: pair.find(f) for f in ("adjustingIdeal", "referencePos", "adjust")}
        if any(v is None for v in fields.values()):
            parse.fail("<iaPair> needs <adjustingIdeal>, <referencePos> and <adjust>",
                       line=pair.line)
            continue
        weight = parse.number(fields["adjust"].text, fields["adjust"].line, "adjust")  # type: ignore[union-attr]
        lines[("accommodation", k)] = pair.line
        pairs.append({"actor": slug(fields["adjustingIdeal"].text),  # type: ignore[union-attr]
                      "toward": slug(fields["referencePos"].text), "weight": weight})  # type: ignore[union-attr]
    parse.raise_if_any()
    doc = {
        "name": name,
        "description": desc.text.strip() or None if desc else None,
        "salience_scale": 100,
        "issues": issues,
        "actors": actors,
        "stances": stances,
        "model_options": {"smp": options} if options else {},
        "accommodation": pairs,
    }
    return validate_document(doc, file, lines)
