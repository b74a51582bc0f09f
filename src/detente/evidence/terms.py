"""Content words, normalised: the terms that retrieval and citation checking compare.

A term is a word of three letters or more that is not a spaCy English stopword and not a number,
lower-cased, with a possessive "'s" removed, British "-ise/-isation" spelt "-ize/-ization"
("mobilisation" meets "mobilization"), and reduced by the Snowball English stemmer
("exhausted", "exhaustion" -> "exhaust"; "sanctions" -> "sanction").
"""

from __future__ import annotations

import functools
import re

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_BRITISH = re.compile(r"is(ation|ations|e|ed|es|ing)$")


@functools.lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def words(text: str) -> list[str]:
    """Content words of a text in order, lower-cased, possessives removed."""
    stop = _stop()
    out = []
    for m in _WORD.finditer(text):
        w = re.sub(r"['’]s$", "", m.group(0).lower()).replace("’", "'")
        if len(w) > 5:
            w = _BRITISH.sub(r"iz\1", w)
        if len(w) >= 3 and w not in stop:
            out.append(w)
    return out


def terms(text: str) -> list[str]:
    """Stemmed content words of a text, in order (repeats kept, for BM25)."""
    return _stemmer().stemWords(words(text))


def term_forms(text: str) -> dict[str, str]:
    """Each stem of a text with the first word form it came from (for showing shared terms)."""
    ws = words(text)
    out: dict[str, str] = {}
    for stem, w in zip(_stemmer().stemWords(ws), ws, strict=True):
        out.setdefault(stem, w)
    return out
