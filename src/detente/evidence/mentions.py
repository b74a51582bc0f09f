"""Mentions: of the scenario's actors, issues and levers, or of people and organisations.

With a scenario, each actor, issue and lever is known by its name, its id (``oil-sanctions``
reads "oil sanctions") and the ``aliases`` the scenario declares. A name matches a run of words
in the paragraph when every word matches: equal, or rapidfuzz ``ratio`` >= 90 (spelling
variants: "Zelenskyy"), or an inflected form sharing all but the last letter of the name's word
and at most four more ("Russian", "Russia's", "Ukrainians", "Tomahawk"). Ids of three letters or
fewer ("US", "EU") match only exactly, case included. Longer names win over the shorter ones
they contain.

Without a scenario, runs of capitalised words are people or organisations: an organisation has an
organisation word ("Ministry", "Council", "Kremlin") or is an acronym ("NATO"); a person is
named after a title ("President", "minister") or is a run of two or three capitalised words with
no place or organisation word. This is a heuristic without a statistical model; it is not scored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\w+(?:\.\w+)+\.?|\w+(?:['’]\w+)*")  # "U.S." keeps its dots
ORG_WORDS = {"ministry", "council", "department", "agency", "union", "parliament", "congress",
             "senate", "commission", "committee", "bank", "fund", "organization", "organisation",
             "party", "institute", "university", "company", "corporation", "group", "authority",
             "kremlin", "pentagon", "treasury", "office", "administration", "court", "army",
             "forces", "assembly", "duma", "rada", "government", "house", "times", "post",
             "news", "council's", "alliance", "association"}
PLACE_WORDS = {"sea", "ocean", "river", "city", "region", "oblast", "street", "square", "bay",
               "mountains", "island", "islands", "lake", "valley", "gulf", "strait", "social",
               "east", "west", "north", "south", "eastern", "western", "northern", "southern",
               "central", "state", "states", "kingdom", "republic", "sunday", "monday"}
TITLES = {"president", "minister", "secretary", "senator", "mr", "ms", "mrs", "dr",
          "chancellor", "premier", "envoy", "general", "prime", "spokesman", "spokeswoman",
          "ambassador", "commander", "king", "queen", "prince", "pope", "adviser", "advisor",
          "leader", "dictator", "governor", "mayor", "representative", "state"}


@dataclass(frozen=True)
class MentionSpan:
    start: int
    end: int
    kind: str
    id: str
    text: str


@dataclass(frozen=True)
class Name:
    """One way a scenario record is written: its kind, id, and the words of the name."""

    kind: str
    id: str
    words: tuple[str, ...]
    exact: bool


def scenario_names(scenario: Any) -> list[Name]:
    """Names, ids and aliases of the scenario's actors, issues and levers, longest first."""
    out: list[Name] = []
    for kind, records in (("actor", scenario.actors), ("issue", scenario.issues),
                          ("lever", scenario.levers)):
        for rec in records:
            forms = [rec.name, rec.id.replace("-", " ").replace("_", " "),
                     *getattr(rec, "aliases", ())]
            for form in dict.fromkeys(forms):
                words = tuple(w.lower() for w in _WORD.findall(form))
                if words:
                    short = len(form) <= 3 and form.isupper()
                    out.append(Name(kind, rec.id, tuple(_WORD.findall(form)) if short else words,
                                    short))
    return sorted(out, key=lambda n: -len(n.words))


def _word_matches(name_word: str, word: str) -> bool:
    from rapidfuzz import fuzz

    if name_word == word:
        return True
    if len(name_word) < 4:
        return False
    common = 0
    for a, b in zip(name_word, word, strict=False):
        if a != b:
            break
        common += 1
    if common >= len(name_word) - 1 and 0 <= len(word) - len(name_word) <= 4:
        return True
    return fuzz.ratio(name_word, word) >= 90


def _norm(word: str) -> str:
    return re.sub(r"['’]s$", "", word.lower()).rstrip(".")


def find_scenario_mentions(text: str, names: list[Name]) -> list[MentionSpan]:
    """Mentions of scenario records in one paragraph, without overlaps."""
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    used: set[int] = set()
    out: list[MentionSpan] = []
    for name in names:
        n = len(name.words)
        for i in range(len(words) - n + 1):
            if any(k in used for k in range(i, i + n)):
                continue
            window = words[i:i + n]
            if name.exact:
                ok = all(w[2].rstrip(".") == nw for w, nw in zip(window, name.words, strict=True))
            else:
                ok = all(_word_matches(nw, _norm(w[2]))
                         for w, nw in zip(window, name.words, strict=True))
            if ok:
                used.update(range(i, i + n))
                s, e = window[0][0], window[-1][1]
                out.append(MentionSpan(s, e, name.kind, name.id, text[s:e]))
    return sorted(out, key=lambda m: m.start)


_CAP = r"[A-Z](?:[\w-]|['’](?!s\b)\w|\.(?=\w))*"  # a possessive "’s" ends a name
_CAPS = re.compile(rf"\b{_CAP}(?:\s+{_CAP})*")


def find_named(text: str, stop: set[str], skip: set[str],
               people: dict[str, str]) -> list[MentionSpan]:
    """People and organisations in one paragraph; ``people`` maps surnames to full names seen."""
    out: list[MentionSpan] = []
    tokens = text.split()
    if len(tokens) > 2 and sum(t[:1].isupper() for t in tokens) > 0.6 * len(tokens):
        return out  # a headline in title case: capitals say nothing about names
    for m in _CAPS.finditer(text):
        words = m.group(0).split()
        start = m.start()
        while words and (words[0].lower() in stop or words[0] in skip or (
                words[0].lower() in TITLES and len(words) > 1)):
            start = text.index(words[1], start) if len(words) > 1 else m.end()
            words = words[1:]
        while words and (words[-1].lower() in stop or words[-1] in skip):
            words = words[:-1]
        titled = [k for k, w in enumerate(words) if w.lower() in TITLES]
        if titled and 0 < titled[-1] < len(words) - 1:  # "Russian Foreign Minister S. Lavrov"
            start = text.index(words[titled[-1] + 1], start)
            words = words[titled[-1] + 1:]
        if not words or (len(words) > 1 and all(w.isupper() for w in words)):
            continue  # nothing left, or a run-in headline in capitals
        name = re.sub(r"['’]s$", "", " ".join(words)).rstrip(".")
        low = {w.lower().strip("'’s.") for w in words}
        before = text[max(0, start - 30):start].lower().split()[-1:]
        if low & ORG_WORDS or (len(words) == 1 and re.fullmatch(r"[A-Z]{2,6}", name)):
            out.append(MentionSpan(start, start + len(name), "org", name, name))
        elif len(words) == 1 and name in people:
            out.append(MentionSpan(start, start + len(name), "person", people[name], name))
        elif (before and before[0].strip(",") in TITLES) or (
                2 <= len(words) <= 3 and not low & PLACE_WORDS):
            if len(words) > 1:
                people[name.split()[-1]] = name
            out.append(MentionSpan(start, start + len(name), "person", name, name))
    return out
