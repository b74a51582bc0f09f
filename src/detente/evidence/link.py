"""Suggesting evidence: the paragraphs most likely to support each value that cites nothing.

Every written value of the scenario (``iter_quantities``; defaults the file does not write are
left out) without a ``cite`` is a gap; a value resting on an ``assumption`` is a gap too, marked
as such. Each gap gets a query: the names and aliases of the actor, issue, lever or hypothesis
it belongs to, the issue's scale labels, the field's description in the schema, and a few words
for what the field measures. Paragraphs of every article are ranked by BM25 (Okapi, rank-bm25's
defaults k1 = 1.5, b = 0.75) over the stemmed content words of :mod:`detente.evidence.terms`;
the best ``top`` with a positive score are suggested, with their numbers and quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from detente.errors import Path as FieldPath
from detente.errors import format_path
from detente.evidence.extract import Extraction
from detente.evidence.terms import term_forms, terms

FIELD_WORDS = {
    "capability": "power strength leverage military economic",
    "position": "demand accept reject position wants",
    "salience": "priority matters aim core",
    "forces": "troops forces soldiers army manpower",
    "recruitment": "recruitment mobilization recruits soldiers",
    "lethality": "losses casualties killed inflicting",
    "cost": "cost burden economy damage",
    "casualty_cost": "casualties losses burden",
    "capacity": "afford exhausted burden discontent",
    "collapse": "collapse defeat",
    "effectiveness": "drones missiles weapons effective pushing",
    "start": "front line gains advances territory",
    "a": "win winning chances advantage",
    "b": "losing chances setbacks",
    "base": "ceasefire attacks violated breaks",
    "guarantee_effect": "guarantees security ceasefire",
    "guarantees": "guarantees security troops",
    "guarantee_value": "guarantees security value",
    "credibility": "deadline threat consequences",
    "reference": "status quo current",
}


@dataclass
class Suggestion:
    source: str
    paragraph: int
    score: float
    shared: list[str]
    numbers: list[dict[str, Any]]
    quotes: list[dict[str, Any]]


@dataclass
class Gap:
    """A value without a citation and the paragraphs suggested for it."""

    path: FieldPath
    value: float
    assumption: str | None
    query: list[str]
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def where(self) -> str:
        return format_path(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.where, "value": self.value, "assumption": self.assumption,
                "query": self.query,
                "suggestions": [s.__dict__ for s in self.suggestions]}


def _written(root: BaseModel, path: FieldPath) -> bool:
    """Whether every field on the path was written in the file (not a default)."""
    node: Any = root
    for part in path:
        if isinstance(node, BaseModel):
            if part not in node.model_fields_set:
                return False
            node = getattr(node, str(part))
        elif isinstance(node, dict):  # iter_quantities names keys as text (months are ints)
            node = next(v for k, v in node.items() if str(k) == str(part))
        else:
            node = node[int(part)]
    return True


def gaps(scenario: Any) -> list[Gap]:
    """Every written value with no citation, in file order."""
    from detente.scenario.schema import iter_quantities

    out = []
    for path, q in iter_quantities(scenario):
        if not q.cite and _written(scenario, path):
            out.append(Gap(path, q.point(), q.assumption, terms(query_text(scenario, path))))
    return out


def _names(rec: Any) -> str:
    return " ".join([rec.name, rec.description or "", *getattr(rec, "aliases", ())])


def query_text(scenario: Any, path: FieldPath) -> str:
    """Words that describe what the value at ``path`` is about."""
    parts = [FIELD_WORDS.get(str(path[-1]), ""), _description(scenario, path)]
    head = path[0]
    if head == "actors":
        parts.append(_names(scenario.actors[int(path[1])]))
    elif head == "issues":
        issue = scenario.issues[int(path[1])]
        parts += [_names(issue), issue.low_label or "", issue.high_label or ""]
    elif head == "stances":
        st = scenario.stances[int(path[1])]
        issue = scenario.issue(st.issue)
        actor = next(a for a in scenario.actors if a.id == st.actor)
        parts += [_names(actor), _names(issue)]
        if path[2] == "position":
            parts += [issue.low_label or "", issue.high_label or ""]
    elif head == "war" and scenario.war is not None:
        if len(path) > 2 and path[1] == "sides":
            side = scenario.war.R if path[2] == "R" else scenario.war.U
            parts.append(_names(next(a for a in scenario.actors if a.id == side)))
    elif head == "levers":
        parts.append(_names(scenario.levers[int(path[1])]))
    elif head == "hypotheses":
        hyp = scenario.hypotheses[int(path[1])]
        parts.append(_names(hyp))
        if len(path) > 3:
            parts.append(str(path[3]).replace(".", " ").replace("-", " "))
    return " ".join(p for p in parts if p)


def _description(root: BaseModel, path: FieldPath) -> str:
    """The schema's description of the field at ``path``."""
    node: Any = root
    text = ""
    for part in path:
        if isinstance(node, BaseModel) and isinstance(part, str) \
                and part in type(node).model_fields:
            text = type(node).model_fields[part].description or ""
            node = getattr(node, part)
        elif isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, tuple | list):
            node = node[int(part)]
    return text


def rank(found: dict[str, Extraction], gap_list: list[Gap], top: int = 3) -> list[Gap]:
    """Fill each gap's suggestions with the best BM25 paragraphs over all articles."""
    from rank_bm25 import BM25Okapi

    index = [(sid, p) for sid, ex in found.items() for p in ex.paragraphs]
    if not index:
        return gap_list
    docs = [terms(p.text) or ["_"] for _, p in index]
    bm25 = BM25Okapi(docs)
    stems = [set(d) for d in docs]
    for gap in gap_list:
        scores = bm25.get_scores(gap.query)
        best = sorted(range(len(index)), key=lambda k: (-scores[k], k))[:top]
        for k in best:
            if scores[k] <= 0:
                continue
            sid, p = index[k]
            forms = term_forms(p.text)
            gap.suggestions.append(Suggestion(
                sid, p.number, round(float(scores[k]), 3),
                sorted({forms[t] for t in gap.query if t in stems[k]}),
                [{"value": n.value, "unit": n.unit, "text": n.text} for n in p.numbers],
                [{"speaker": q.speaker, "text": q.text} for q in p.quotes]))
    return gap_list


def with_citations(doc: dict[str, Any], accepted: list[tuple[Gap, Suggestion]],
                   new_sources: dict[str, str]) -> dict[str, Any]:
    """A scenario document (``scenario_document``) with each accepted suggestion as a ``cite``.

    The ``says`` text lists the shared terms and the paragraph's numbers (never its sentences);
    confidence is ``low`` until the analyst rewrites it as a paraphrase."""
    for gap, s in accepted:
        node: Any = doc
        for part in gap.path[:-1]:
            node = node[part]
        last = gap.path[-1]
        value = node.get(last, gap.value) if isinstance(node, dict) else node[last]
        q = dict(value) if isinstance(value, dict) else {"value": value}
        nums = ", ".join(n["text"] for n in s.numbers[:3])
        says = f"suggested by `detente evidence suggest` (BM25 {s.score:g}): shares " \
               f"{', '.join(s.shared) or 'no terms'}" + (f"; numbers: {nums}" if nums else "")
        q["cite"] = [*q.get("cite", []), {"source": s.source, "paragraph": s.paragraph,
                                          "says": says[:400], "confidence": "low"}]
        node[last] = q
    known = {src["id"] for src in doc.get("sources", [])}
    for sid, file in new_sources.items():
        if sid not in known and any(s.source == sid for _, s in accepted):
            doc.setdefault("sources", []).append({"id": sid, "title": f"article {file}",
                                                  "file": file})
    return doc
