"""Date expressions: found by spaCy entity-ruler patterns, resolved by dateparser.

dateparser is only ever given the DATE spans the ruler found (STACK.md §7.2: ``search_dates``
over a whole article returns false positives). A span resolves against the article's date
(``RELATIVE_BASE``); what it names decides the precision kept:

* a day ("on Wednesday", "next Tuesday", "28 February", "by the end of June") -> ``YYYY-MM-DD``;
* a month ("January", "late June") -> ``YYYY-MM``, partial;
* a year ("last year", "since 2014", "late last year") -> ``YYYY``, partial;
* a week ("last week") -> ISO week ``YYYY-Www``, partial.

"by"/"until"/"before" prefer the future (a deadline: "by Friday" is the coming Friday); everything
else prefers the current period, so a bare weekday is the most recent one ("on Friday" in a
Monday article is three days before), as news uses it. Without an article date only spans with
a year resolve.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from typing import Any

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
              "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.",
              "Nov.", "Dec.")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_YEAR = r"^(1[89]|20)\d\d$"
_DAYNUM = r"^([012]?\d|3[01])(st|nd|rd|th)?$"
_PREP = {"in", "since", "by", "until", "till", "from", "before", "after", "of", "on", "through"}
_DEADLINE = ("by ", "until ", "till ", "before ")
_EDGE = re.compile(r"^(?:the\s+)?(end|beginning|start|middle)\s+of\s+(.+)$")
_PART = re.compile(r"^(early|mid|late)[\s-]+(.+)$")


def _month() -> dict[str, Any]:
    return {"ORTH": {"IN": [*MONTHS, *MONTH_ABBR]}}


def date_patterns() -> list[dict[str, Any]]:
    """Token patterns for the entity ruler (label DATE)."""
    day = {"TEXT": {"REGEX": _DAYNUM}}
    year = {"TEXT": {"REGEX": _YEAR}}
    comma = {"ORTH": ",", "OP": "?"}
    rel = {"LOWER": {"IN": ["last", "next", "this", "past", "coming"]}}
    unit = {"LOWER": {"IN": ["week", "month", "year", "weekend", "decade"]}}
    deadline = {"LOWER": {"IN": ["by", "until", "till", "before"]}, "OP": "?"}
    edge = [{"LOWER": "the", "OP": "?"}, {"LOWER": {"IN": ["end", "beginning", "start",
                                                           "middle"]}}, {"LOWER": "of"}]
    part = {"LOWER": {"IN": ["early", "mid", "late"]}}
    dash = {"ORTH": "-", "OP": "?"}
    shapes: list[list[dict[str, Any]]] = [
        [{"LOWER": {"IN": ["next", "last", "this", "by", "until", "before"]}, "OP": "?"},
         {"LOWER": {"IN": WEEKDAYS}}],
        [_month(), day, comma, {**year, "OP": "?"}],
        [day, _month(), {**year, "OP": "?"}],
        [{"LOWER": "the"}, day, {"LOWER": "of"}, _month(), {**year, "OP": "?"}],
        [_month(), {**year, "OP": "?"}],
        [rel, unit],
        [{"LOWER": {"IN": ["yesterday", "today", "tomorrow"]}}],
        [{"LOWER": {"IN": sorted(_PREP)}}, year],
        [part, dash, _month(), {**year, "OP": "?"}],
        [part, dash, year],
        [part, dash, rel, unit],
        [{"LOWER": {"IN": ["by", "until", "till", "before"]}}, _month(), {**year, "OP": "?"}],
        [{"LOWER": {"IN": ["by", "until", "till", "before"]}}, _month(), day, comma,
         {**year, "OP": "?"}],
        [{"LOWER": {"IN": ["spring", "summer", "autumn", "fall", "winter"]}}, {**year}],
        [deadline, *edge, _month(), {**year, "OP": "?"}],
        [deadline, *edge, rel, unit],
        [deadline, *edge, {"LOWER": "the"}, unit],
        [deadline, *edge, year],
    ]
    return [{"label": "DATE", "pattern": p} for p in shapes]


@functools.lru_cache(maxsize=64)
def _parser(base: dt.date | None, prefer: str) -> Any:
    from dateparser.date import DateDataParser

    settings: dict[str, Any] = {"PREFER_DATES_FROM": prefer, "RETURN_TIME_AS_PERIOD": True}
    if base is not None:
        settings["RELATIVE_BASE"] = dt.datetime(base.year, base.month, base.day)
    return DateDataParser(languages=["en"], settings=settings)


def _has_year(text: str) -> bool:
    return re.search(r"\b(1[89]|20)\d\d\b", text) is not None


def resolve(text: str, base: dt.date | None) -> tuple[str | None, bool]:
    """A DATE span into (ISO date or partial date, partial?); (None, False) if unresolvable."""
    t = " ".join(text.lower().replace("-", " ").split())
    prefer = "future" if t.startswith(_DEADLINE) else "current_period"
    words = t.split()
    while words and words[0] in _PREP:
        words = words[1:]
    core = " ".join(words)
    edge = None
    if m := _EDGE.match(core):
        edge, core = m.group(1), m.group(2)
    elif m := _PART.match(core):  # "late June" is June: kept at the month's precision
        core = m.group(2)
    core = core.removeprefix("the ")
    if core in ("year", "month", "week"):
        core = f"this {core}"  # "by the end of the year"
    if m := re.match(r"^(spring|summer|autumn|fall|winter) (\d{4})$", core):
        return m.group(2), True  # a season: its year, partial
    if base is None and not _has_year(core):
        return None, False
    data = _parser(base, prefer).get_date_data(core)
    if data is None or data.date_obj is None:
        return None, False
    return _shape(data.date_obj.date(), data.period, edge)


def _shape(d: dt.date, period: str, edge: str | None) -> tuple[str, bool]:
    if period == "day":
        return d.isoformat(), False
    if period == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}", True
    if period == "month":
        if edge is not None:
            last = calendar.monthrange(d.year, d.month)[1]
            day = {"end": last, "middle": 15}.get(edge, 1)
            return dt.date(d.year, d.month, day).isoformat(), False
        return f"{d.year}-{d.month:02d}", True
    if edge == "end":
        return dt.date(d.year, 12, 31).isoformat(), False
    if edge in ("beginning", "start"):
        return dt.date(d.year, 1, 1).isoformat(), False
    return f"{d.year}", True
