"""Write the flagship's evidence tables into docs/flagship.md (section "Evidence status").

    python docs/evidence_status.py            # print the tables
    python docs/evidence_status.py --write    # replace them in docs/flagship.md

Two tables, from the scenario file itself: every citation (what it backs, source, paragraph,
support, confidence) and every value that rests on an `assumption:` (its point value and reason).
tests/test_flagship_evidence.py checks that docs/flagship.md holds what this prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from detente.scenario import load_scenario
from detente.scenario.quantity import Citation, Quantity
from detente.scenario.schema import Scenario, iter_quantities

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "ukraine-2025.yaml"
DOC = ROOT / "docs" / "flagship.md"
BEGIN, END = "<!-- evidence-status:begin -->", "<!-- evidence-status:end -->"


def field_name(scenario: Scenario, path: tuple[Any, ...]) -> str:
    """A reader's name for the value at a record path, e.g. ('stances', 0, 'position')."""
    head, rest = path[0], path[1:]
    if head == "actors":
        return f"{scenario.actors[rest[0]].id} {'.'.join(map(str, rest[1:]))}"
    if head == "stances":
        st = scenario.stances[rest[0]]
        return f"{st.actor} · {st.issue} {'.'.join(map(str, rest[1:]))}"
    if head == "war":
        return ".".join(str(p) for p in rest if p != "sides")
    if head == "levers":
        lever = scenario.levers[rest[0]]
        if rest[1] == "effects":
            effect = lever.effects[rest[2]]
            return f"lever {lever.id}: {effect.param} {rest[3]}"
        return f"lever {lever.id}: {'.'.join(map(str, rest[1:]))}"
    if head == "hypotheses":
        return f"{scenario.hypotheses[rest[0]].id}: {' '.join(map(str, rest[2:]))}" + (
            "" if rest[1] == "parameters" else f" ({rest[1]})")
    return ".".join(map(str, path))


def quantities(scenario: Scenario) -> Iterator[tuple[str, Quantity]]:
    for path, q in iter_quantities(scenario):
        yield field_name(scenario, path), q


def citations(scenario: Scenario) -> Iterator[tuple[str, Citation]]:
    """Every citation with the name of what it backs; a lever's or hypothesis's own citations
    say why it exists."""
    for name, q in quantities(scenario):
        for c in q.cite:
            yield name, c
    for kind, records in (("lever", scenario.levers), ("hypothesis", scenario.hypotheses)):
        for record in records:
            for c in record.cite:
                yield f"{kind} {record.id} (why it exists)", c


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def tables(scenario: Scenario) -> str:
    cites = list(citations(scenario))
    counts = {s: sum(c.support == s for _, c in cites) for s in ("direct", "inferred", None)}
    lines = [f"{len(cites)} citations: {counts['direct']} direct, {counts['inferred']} inferred"
             + (f", {counts[None]} without a stated support" if counts[None] else "") + ".", "",
             "| value | source | ¶ | support | confidence |", "|---|---|---|---|---|"]
    lines += [f"| {_cell(name)} | {c.source} | {c.paragraph or '–'} | {c.support or '–'} | "
              f"{c.confidence} |" for name, c in cites]
    assumed = [(n, q) for n, q in quantities(scenario) if q.assumption is not None]
    lines += ["", f"{len(assumed)} values rest on an assumption:", "",
              "| value | point | range | reason |", "|---|---|---|---|"]
    for name, q in assumed:
        lo, hi = q.support()
        span = "–" if lo == hi else f"{lo:g} – {hi:g}"
        lines.append(f"| {_cell(name)} | {q.point():g} | {span} | {_cell(q.assumption)} |")
    return "\n".join(lines)


def spliced(doc: str, body: str) -> str:
    """The document with the text between the markers replaced by ``body``."""
    start, stop = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    return f"{doc[:start]}\n{body}\n{doc[stop:]}"


def main(argv: list[str]) -> None:
    body = tables(load_scenario(SCENARIO))
    if argv == ["--write"]:
        DOC.write_text(spliced(DOC.read_text(), body))
    else:
        print(body)


if __name__ == "__main__":
    main(sys.argv[1:])
