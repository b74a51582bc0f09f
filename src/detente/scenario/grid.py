"""Spreadsheet in: a scenario from an actors x issues table (CSV or XLSX).

The table holds one row per actor, as KTAB's grid editor and most analysts' sheets do::

    actor,   capability, Donetsk position, Donetsk salience, Sanctions position, ...
    Russia,  0.55,       95,               0.95,             10,                 ...

Columns match case-insensitively: ``actor`` (the name; its id is the name made safe),
``capability``, and for each issue ``<issue> position`` and ``<issue> salience`` (optionally
``<issue> capability`` for an issue-specific capability). An actor whose position and salience
cells on an issue are both empty takes no part in it. Every issue's scale is ``low..high``
(0-100 unless given); saliences are on 0-1 or 0-100, read from the values unless given.

Each problem names the file, the row (the sheet's row number, header = row 1 in a sheet with no
blank rows above it) and the column as the sheet names it; all problems of a table come in one
pass. The result is validated by the same :class:`~detente.scenario.schema.Scenario` as a YAML
file, and its problems are mapped back onto the cell they came from.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path as FilePath
from typing import Any, Literal

from detente.errors import InputError, Problem, format_path, problem
from detente.scenario.importers import slug
from detente.scenario.schema import Scenario
from detente.scenario.validate import validate_document

SalienceScale = Literal["auto", 1, 100]
Row = tuple[int, list[Any]]
ISSUE_COLUMN = re.compile(r"^(?P<issue>.*\S)\s+(?P<field>position|salience|capability)$", re.I)
HEADER_RULE = ("expected columns actor, capability and, per issue, '<issue> position' and "
               "'<issue> salience'")


def is_grid_header(cells: Sequence[str]) -> bool:
    """Whether a CSV header looks like an actors x issues table (for format detection)."""
    names = [c.strip().strip('"').lower() for c in cells]
    return "actor" in names and any(n.endswith(" position") for n in names)


class _Cells:
    """Reads cells, collecting located problems (row, column) instead of stopping at the first."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, message: str, row: int, column: str | None = None, **kw: Any) -> None:
        where = f"column {column!r}: " if column else ""
        self.problems.append(problem(where + message, line=row, **kw))

    def number(self, cell: Any, row: int, column: str) -> float | None:
        """A finite number, or None for an empty cell."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return None
        if isinstance(cell, bool):
            self.fail("expected a number, not a truth value", row, column, value=cell)
            return math.nan
        try:
            value = float(cell.strip().strip("'\"") if isinstance(cell, str) else cell)
        except (TypeError, ValueError):
            self.fail("expected a number", row, column, value=cell)
            return math.nan
        if not math.isfinite(value):
            self.fail("must be a finite number (NaN and infinity are not allowed)", row, column,
                      value=cell)
        return value

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems, self.file)


def _header(cells: _Cells, row: int, header: list[Any]) -> tuple[dict[str, int], dict[str, dict]]:
    """Column index of actor and capability, and per issue (in sheet order) its columns."""
    fixed: dict[str, int] = {}
    issues: dict[str, dict[str, Any]] = {}
    for j, raw in enumerate(header):
        name = "" if raw is None else str(raw).strip()
        if not name:
            continue
        low = name.lower()
        if low in ("actor", "capability"):
            if low in fixed:
                cells.fail("appears twice in the header", row, name)
            fixed[low] = j
            continue
        found = ISSUE_COLUMN.match(name)
        if found is None:
            cells.fail(f"unknown column ({HEADER_RULE})", row, name)
            continue
        issue = found["issue"].strip()
        entry = issues.setdefault(issue.lower(), {"name": issue, "columns": {}})
        field = found["field"].lower()
        if field in entry["columns"]:
            cells.fail("appears twice in the header", row, name)
        entry["columns"][field] = (j, name)
    if "actor" not in fixed:
        cells.fail(f"the header has no 'actor' column ({HEADER_RULE})", row)
    for entry in issues.values():
        for need in ("position", "salience"):
            if need not in entry["columns"]:
                cells.fail(f"issue {entry['name']!r} has no '{entry['name']} {need}' column", row)
    if not issues:
        cells.fail(f"the header names no issue ({HEADER_RULE})", row)
    return fixed, issues


def read_grid(rows: Sequence[Row], file: str | None = None, *, name: str | None = None,
              low: float = 0.0, high: float = 100.0,
              salience_scale: SalienceScale = "auto") -> Scenario:
    """A scenario from table rows ``(row number, cells)``; the first row is the header."""
    cells = _Cells(file)
    rows = [(n, r) for n, r in rows if any(c is not None and str(c).strip() for c in r)]
    if not rows:
        cells.fail(f"empty table: {HEADER_RULE}", 1)
        cells.raise_if_any()
    header_row, header = rows[0]
    fixed, issues = _header(cells, header_row, header)
    cells.raise_if_any()
    doc_issues = [{"id": slug(e["name"]), "name": e["name"], "low": low, "high": high}
                  for e in issues.values()]
    actors: list[dict[str, Any]] = []
    stances: list[dict[str, Any]] = []
    where: dict[tuple, tuple[int, str]] = {}  # field path -> (row, column) it came from
    saliences: list[float] = []

    def cell(r: list[Any], j: int) -> Any:
        return r[j] if j < len(r) else None

    for row, r in rows[1:]:
        actor = cell(r, fixed["actor"])
        label = "" if actor is None else str(actor).strip()
        if not label:
            cells.fail("the actor's name is empty", row, str(header[fixed["actor"]]).strip())
            continue
        k = len(actors)
        record: dict[str, Any] = {"id": slug(label), "name": label}
        if "capability" in fixed:
            cap = cells.number(cell(r, fixed["capability"]), row, "capability")
            if cap is not None:  # an unreadable one (reported) stands in as 1 to check the rest
                record["capability"] = 1.0 if math.isnan(cap) else cap
            where[("actors", k, "capability")] = (row, str(header[fixed["capability"]]).strip())
        where[("actors", k)] = (row, str(header[fixed["actor"]]).strip())
        actors.append(record)
        for issue, entry in zip(doc_issues, issues.values(), strict=True):
            values = {f: (cells.number(cell(r, j), row, col), col)
                      for f, (j, col) in entry["columns"].items()}
            pos, sal = values["position"][0], values["salience"][0]
            if pos is None and sal is None:
                continue
            if any(v is not None and math.isnan(v) for v, _ in values.values()):
                continue  # unreadable: already reported
            if pos is None or sal is None:
                missing = "position" if pos is None else "salience"
                cells.fail(f"{label!r} has a {'salience' if pos is None else 'position'} on "
                           f"{issue['name']!r} but no {missing}: fill both or neither", row,
                           values[missing][1])
                continue
            s = len(stances)
            stance = {"actor": record["id"], "issue": issue["id"], "position": pos,
                      "salience": sal}
            if values.get("capability", (None,))[0] is not None:
                stance["capability"] = values["capability"][0]
            stances.append(stance)
            saliences.append(sal)
            where[("stances", s)] = (row, values["position"][1])
            for f, (_, col) in values.items():
                where[("stances", s, f)] = (row, col)
    scale = salience_scale if salience_scale != "auto" else (
        100 if any(v > 1 for v in saliences if math.isfinite(v)) else 1)
    doc = {"name": name or _stem(file) or "grid", "salience_scale": scale,
           "issues": doc_issues, "actors": actors, "stances": stances}
    scenario, at_cells, in_header = _validate(doc, file, where, header_row)
    # with cells already unreadable, issue-wide findings (e.g. nobody holds a position) may
    # only echo them: then the cells' own problems are reported, in row order
    problems = cells.problems + at_cells + ([] if cells.problems else in_header)
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line or 0), file)
    return scenario  # type: ignore[return-value]


def _stem(file: str | None) -> str | None:
    return FilePath(file).stem if file else None


def _validate(doc: dict[str, Any], file: str | None, where: dict[tuple, tuple[int, str]],
              header_row: int) -> tuple[Scenario | None, list[Problem], list[Problem]]:
    """Validate as a Scenario; each problem moves onto the row and column it came from.

    Returns the scenario (or None), the problems placed at a cell, and those of whole issues
    or the table (placed at the header row).
    """
    try:
        return validate_document(doc, file), [], []
    except InputError as err:
        at_cells, in_header = [], []
        for p in err.problems:
            path = p.path
            value = {"value": p.value} if p.has_value else {}
            cut = next((c for c in range(len(path), 0, -1) if path[:c] in where), 0)
            if cut:
                row, column = where[path[:cut]]
                at_cells.append(problem(f"column {column!r}: {p.message}", line=row, **value))
            else:
                label = f"{format_path(path)}: " if path else ""
                in_header.append(problem(label + p.message, line=header_row, **value))
        return None, at_cells, in_header


def read_grid_csv(text: str, file: str | None = None, **options: Any) -> Scenario:
    """An actors x issues table as CSV (comma, or semicolon as European spreadsheets write)."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [(n, next(csv.reader(io.StringIO(line), delimiter=delimiter)))
            for n, line in enumerate(lines, start=1) if line.strip()]
    return read_grid(rows, file, **options)


def read_grid_xlsx(path: str | FilePath, *, sheet: str | None = None,
                   **options: Any) -> Scenario:
    """An actors x issues table from an XLSX workbook (the active sheet unless ``sheet``).

    Formulas are read through the values the spreadsheet cached when it last saved the file
    (a formula never computed by a spreadsheet reads as an empty cell).
    """
    import zipfile

    from openpyxl import load_workbook

    path = FilePath(path)
    file = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError([problem("file not found")], file) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise InputError([problem(f"not a readable XLSX workbook ({err})")], file) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError([problem(f"no sheet of that name (sheets: "
                                      f"{', '.join(book.sheetnames)})", value=sheet)], file)
        ws = book[sheet] if sheet is not None else book.active
        rows = [(n, list(values)) for n, values in
                enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)]
    finally:
        book.close()
    return read_grid(rows, file, **{"name": path.stem, **options})
