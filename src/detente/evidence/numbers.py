"""Numbers with their units, read off spaCy tokens; spelled-out numbers by number-parser.

A number is a run of numeric tokens (spaCy's ``like_num``: "1,200", "4.2", "two", "million"),
with a scale word ("billion", "bn", "50B"), a currency sign before it ("$", "€", "£"), an
approximation word before it ("about", "nearly", ...) kept in its text, and a unit after it:
"%"/"percent", a currency word, a measure ("miles", "tonnes") or the counted noun ("soldiers",
"drones"), singularised. Ranges ("10 to 20 percent", "10-20%", "between 5 and 7 miles") give
``value = (lo, hi)``: we never average them (STACK.md §7.3 on quantulum3).

Left out on purpose: tokens inside a DATE span (years, days of the month), ordinals, a bare
year-like number (1800-2099) without a unit, and a spelled-out number without a unit ("either
one on one").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9,
          "mn": 1e6, "m": 1e6, "b": 1e9, "k": 1e3, "tn": 1e12}
SCALE_WORDS = {"thousand", "million", "billion", "trillion", "bn", "mn", "tn"}
CURRENCY_SIGNS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₽": "RUB"}
CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR",
                  "pound": "GBP", "pounds": "GBP", "ruble": "RUB", "rubles": "RUB",
                  "rouble": "RUB", "roubles": "RUB", "yuan": "CNY", "hryvnia": "UAH",
                  "hryvnias": "UAH"}
MEASURES = {"mile": "mile", "miles": "mile", "km": "km", "kilometre": "km", "kilometres": "km",
            "kilometer": "km", "kilometers": "km", "metre": "m", "metres": "m", "meter": "m",
            "meters": "m", "tonne": "tonne", "tonnes": "tonne", "ton": "tonne", "tons": "tonne",
            "barrel": "barrel", "barrels": "barrel", "bpd": "barrel/day", "kg": "kg",
            "square": "square"}
APPROX = {"about", "around", "nearly", "almost", "some", "roughly", "approximately", "over",
          "under", "only", "just", "exactly", "barely"}
APPROX_PAIRS = {("more", "than"), ("less", "than"), ("fewer", "than"), ("at", "least"),
                ("up", "to"), ("as", "many"), ("as", "much")}
_SUFFIXED = re.compile(r"^(\d[\d,]*(?:\.\d+)?)(bn|mn|tn|b|m|k)$", re.IGNORECASE)
_DIGITS = re.compile(r"^\d[\d,]*(?:\.\d+)?$")
_ORDINAL_DIGITS = re.compile(r"^\d+(st|nd|rd|th)$")
_STOP_UNITS = {"of", "and", "or", "to", "in", "on", "a", "the", "than", "per", "for", "by"}


@dataclass(frozen=True)
class NumberSpan:
    """A number found in a paragraph; ``start``/``end`` are character offsets in it."""

    start: int
    end: int
    value: float | tuple[float, float]
    unit: str | None
    text: str


def _is_ordinal(text: str) -> bool:
    low = text.lower()
    return bool(_ORDINAL_DIGITS.match(low)) or (low.isalpha() and (
        low.endswith("th") or low in {"first", "second", "third"}))


def _numeric(tok: Any) -> bool:
    text = tok.text
    if _SUFFIXED.match(text):
        return True
    return bool(tok.like_num) and not _is_ordinal(text)


def _run(doc: Any, i: int) -> int:
    """End (exclusive) of the numeric run starting at token i ("two hundred and fifty")."""
    j = i + 1
    while j < len(doc):
        t = doc[j]
        words_go_on = _numeric(t) and not _DIGITS.match(t.text) \
            and not _DIGITS.match(doc[j - 1].text)
        if words_go_on or t.lower_ in SCALE_WORDS:
            j += 1
        elif (t.text in ("-", "and") and j + 1 < len(doc) and doc[j + 1].is_alpha
              and _numeric(doc[j + 1]) and doc[j - 1].is_alpha):
            j += 2
        else:
            break
    return j


def parse_value(tokens: list[str]) -> float | None:
    """Numeric value of a run of tokens: digits with scale words, or words via number-parser."""
    first = tokens[0].replace(",", "")
    scale = 1.0
    rest = tokens[1:]
    if m := _SUFFIXED.match(first):
        first, scale = m.group(1).replace(",", ""), SCALES[m.group(2).lower()]
    if _DIGITS.match(first):
        value = float(first) * scale
        for word in rest:
            value *= SCALES.get(word.lower(), 1.0)
        return value
    from number_parser import parse_number

    words = " ".join(tokens).replace(" - ", "-").lower()
    parsed = parse_number(words)
    return float(parsed) if parsed is not None else None


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _unit_after(doc: Any, j: int, stop: set[str]) -> tuple[str | None, int]:
    """The unit right after a number (token j on) and the end of the span."""
    if j >= len(doc):
        return None, j
    if doc[j].text == "-" and j + 1 < len(doc) and doc[j + 1].is_alpha:
        j += 1  # "nine-mile", "60-kilometre"
    t = doc[j]
    low = t.lower_
    if t.text == "%" or low == "percent":
        return "%", j + 1
    if low == "per" and j + 1 < len(doc) and doc[j + 1].lower_ == "cent":
        return "%", j + 2
    if low == "percentage" and j + 1 < len(doc) and doc[j + 1].lower_ == "points":
        return "percentage point", j + 2
    if low in CURRENCY_WORDS:
        return CURRENCY_WORDS[low], j + 1
    if low == "cubic" and j + 1 < len(doc) and doc[j + 1].lower_ in MEASURES:
        return MEASURES[doc[j + 1].lower_] + "3", j + 2  # "cubic metres" -> m3
    if low in MEASURES:
        return MEASURES[low], j + 1
    if t.is_alpha and t.is_lower and low not in stop and low not in _STOP_UNITS and len(low) > 2:
        return _singular(low), j + 1
    return None, j


def _start_with_prefix(doc: Any, i: int) -> tuple[int, str | None]:
    """Token index where the span starts (currency sign and approximation words) and currency."""
    start, currency = i, None
    if start > 0 and doc[start - 1].text in CURRENCY_SIGNS:
        start -= 1
        currency = CURRENCY_SIGNS[doc[start].text]
    while start > 0:
        if doc[start - 1].lower_ in APPROX:
            start -= 1
        elif start > 1 and (doc[start - 2].lower_, doc[start - 1].lower_) in APPROX_PAIRS:
            start -= 2
        else:
            break
    return start, currency


def find_numbers(doc: Any, taken: set[int], stop: set[str]) -> list[NumberSpan]:
    """Every number in a spaCy Doc, skipping token indices in ``taken`` (DATE spans)."""
    out: list[NumberSpan] = []
    i = 0
    while i < len(doc):
        tok = doc[i]
        if i in taken or not _numeric(tok) or tok.lower_ in SCALE_WORDS:
            i += 1
            continue
        j = _run(doc, i)
        found = _number_at(doc, i, j, taken, stop)
        if found is None:
            i = j
            continue
        span, i = found
        out.append(span)
    return out


def _number_at(doc: Any, i: int, j: int, taken: set[int],
               stop: set[str]) -> tuple[NumberSpan, int] | None:
    value = parse_value([t.text for t in doc[i:j]])
    if value is None:
        return None
    start, currency = _start_with_prefix(doc, i)
    between = start > 0 and doc[start - 1].lower_ == "between"
    lo_hi: float | tuple[float, float] = value
    end = j
    second = _second(doc, end, taken, between)  # "10 to 20 percent", "$3bn-$3.5bn"
    if second is not None:
        lo_hi, end = (value, second[0]), second[1]
    unit, stop_at = _unit_after(doc, end, stop)
    if currency is not None:
        unit, stop_at = currency, end
    if second is None and unit is not None:  # "from 10% to 2.5%": the unit comes twice
        again = _second(doc, stop_at, taken, between)
        unit_again, stop_again = _unit_after(doc, again[1], stop) if again else (None, 0)
        if again is not None and unit_again == unit:
            lo_hi, stop_at = (value, again[0]), stop_again
    if unit is None and _bare_excluded(doc, i, j, value):
        return None
    s, e = doc[start].idx, doc[stop_at - 1].idx + len(doc[stop_at - 1].text)
    return NumberSpan(s, e, lo_hi, unit, doc.text[s:e]), stop_at


def _second(doc: Any, end: int, taken: set[int], between: bool) -> tuple[float, int] | None:
    """The upper end of a range starting at token ``end`` ("to 20", "- $3.5bn", "and 7")."""
    if end + 1 >= len(doc) or not (doc[end].text in ("-", "–", "to") or (
            between and doc[end].lower_ == "and")):
        return None
    k = end + 1
    if k < len(doc) and doc[k].text in CURRENCY_SIGNS:
        k += 1
    if k >= len(doc) or k in taken or not _numeric(doc[k]):
        return None
    k_end = _run(doc, k)
    value = parse_value([t.text for t in doc[k:k_end]])
    return None if value is None else (value, k_end)


def _bare_excluded(doc: Any, i: int, j: int, value: float) -> bool:
    text = doc[i].text
    if not _DIGITS.match(text.replace(",", "")) and not _SUFFIXED.match(text):
        return True  # a spelled-out number with no unit: "either one"
    return j - i == 1 and "," not in text and "." not in text and 1800 <= value <= 2099
