"""Per-paragraph extraction: quotes with speakers, numbers with units, dates, mentions.

The pipeline is spaCy's ``blank("en")`` tokenizer with a sentencizer and an ``entity_ruler`` of
date patterns (:mod:`detente.evidence.dates`); nothing is downloaded and the result is
deterministic. Numbers are read off the tokens outside DATE spans
(:mod:`detente.evidence.numbers`), quotes off the paragraph text
(:mod:`detente.evidence.quotes`), mentions by :mod:`detente.evidence.mentions`.
Character offsets are into the paragraph as :func:`detente.evidence.read.paragraphs_of` gives it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from detente.evidence.dates import MONTHS, WEEKDAYS, date_patterns, resolve
from detente.evidence.mentions import (
    MentionSpan,
    find_named,
    find_scenario_mentions,
    scenario_names,
)
from detente.evidence.numbers import NumberSpan, find_numbers
from detente.evidence.quotes import QuoteSpan, find_quotes
from detente.evidence.read import Article


@dataclass(frozen=True)
class DateSpan:
    start: int
    end: int
    date: str | None
    partial: bool
    text: str


@dataclass
class Paragraph:
    """What one paragraph holds (offsets are into its text)."""

    number: int
    text: str
    quotes: list[QuoteSpan] = field(default_factory=list)
    numbers: list[NumberSpan] = field(default_factory=list)
    dates: list[DateSpan] = field(default_factory=list)
    mentions: list[MentionSpan] = field(default_factory=list)


@dataclass
class Extraction:
    """An article and what was found in each of its paragraphs."""

    article: Article
    paragraphs: list[Paragraph]

    @property
    def unresolved_dates(self) -> int:
        return sum(d.date is None for p in self.paragraphs for d in p.dates)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape of one article."""
        a = self.article
        return {
            "path": a.path, "sha256": a.sha256,
            "date": a.date.isoformat() if a.date else None,
            "paragraphs": len(a.paragraphs),
            "quotes": [{"paragraph": p.number, "speaker": q.speaker, "text": q.text}
                       for p in self.paragraphs for q in p.quotes],
            "numbers": [{"paragraph": p.number, "value": _value(n.value), "unit": n.unit,
                         "text": n.text} for p in self.paragraphs for n in p.numbers],
            "dates": [{"paragraph": p.number, "date": d.date, "partial": d.partial,
                       "text": d.text} for p in self.paragraphs for d in p.dates],
            "mentions": [{"paragraph": p.number, "kind": m.kind, "id": m.id, "text": m.text}
                         for p in self.paragraphs for m in p.mentions],
        }


def _value(v: float | tuple[float, float]) -> float | int | list[float | int]:
    def one(x: float) -> float | int:
        return int(x) if float(x).is_integer() else x

    return [one(v[0]), one(v[1])] if isinstance(v, tuple) else one(v)


@functools.lru_cache(maxsize=1)
def pipeline() -> Any:
    """spaCy blank English + sentencizer + entity ruler for dates (built once per process)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(date_patterns())
    return nlp


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


_CALENDAR = {*MONTHS, *(w.capitalize() for w in WEEKDAYS)}


def dates_of(doc: Any, text: str, base: dt.date | None,
             resolved: bool = True) -> list[DateSpan]:
    """The DATE spans of a paragraph, resolved against the article date ``base`` (with
    ``resolved`` False left unresolved, ``date`` None: dateparser is not called)."""
    out = []
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        first = ent.start
        if doc[first].lower_ in ("by", "until", "before") and ent.end < len(doc) \
                and doc[ent.end].text in ("'s", "’s"):
            first += 1  # "triggered by Monday's call": a possessive date is not a deadline
        s, e = doc[first].idx, ent.end_char
        found = resolve(text[s:e], base) if resolved else (None, False)
        out.append(DateSpan(s, e, *found, text[s:e]))
    return out


def extract(article: Article, scenario: Any = None, resolve_dates: bool = True) -> Extraction:
    """Everything found in an article, paragraph by paragraph. With ``resolve_dates`` False the
    DATE spans are found (numbers inside them are still skipped) but not resolved (``date``
    None): for callers that show numbers and quotes only, such as the report, which then never
    import dateparser."""
    nlp = pipeline()
    stop = set(stop_words())
    names = scenario_names(scenario) if scenario is not None else None
    people: dict[str, str] = {}
    speaker: str | None = None
    out = []
    # spaCy does not split at an em dash glued to words ("weeks”—famously"); a space of the
    # same length keeps every character offset
    spaced = (p.replace("—", " ") for p in article.paragraphs)
    for number, (text, doc) in enumerate(zip(article.paragraphs, nlp.pipe(spaced),
                                             strict=True), start=1):
        para = Paragraph(number, text, dates=dates_of(doc, text, article.date,
                                                          resolve_dates))
        taken = {i for ent in doc.ents if ent.label_ == "DATE" for i in range(ent.start, ent.end)}
        para.numbers = find_numbers(doc, taken, stop)
        named = find_named(text, stop, _CALENDAR, people)  # also collects full names
        para.mentions = find_scenario_mentions(text, names) if names is not None else named
        para.quotes, speaker = find_quotes(text, stop, speaker, list(people.values()))
        out.append(para)
    return Extraction(article, out)
