"""Reading an article: bytes -> text -> numbered paragraphs, and the article's date.

A paragraph is the n-th non-empty line of the text (title lines included), numbered from 1: the
numbering that scenario citations use (``cite: [{source, paragraph}]``). HTML is reduced to text
by trafilatura (the ``[nlp]`` extra), one paragraph per line, the page title first.

Bad input (a binary file, an empty article, text that is not UTF-8 or UTF-16 with a byte-order
mark, HTML with no article text) raises :class:`~detente.errors.InputError` naming the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from detente.errors import InputError, problem

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATELINE = re.compile(
    r"(?:^|[\s,:;—-])(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
    r"(\d{1,2}\s+[A-Z][a-z]+\s+\d{4}|[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4})$")


@dataclass(frozen=True)
class Article:
    """One article as the extractor sees it.

    ``date`` is the date relative dates resolve against; ``date_from`` says where it came from
    (``option``, ``scenario``, ``text``, ``metadata``) or is None when no date is known.
    """

    path: str
    sha256: str
    paragraphs: tuple[str, ...]
    date: dt.date | None = None
    date_from: str | None = None


def parse_date_option(text: str | None) -> dt.date | None:
    """``--date YYYY-MM-DD`` into a date; anything else is an input error."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError([problem("--date must be a calendar date written YYYY-MM-DD",
                                  ("date",), value=text)]) from None


def decode(raw: bytes, path: str) -> str:
    """UTF-8 (or UTF-16/UTF-8 with a byte-order mark) into text; binary data is refused."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as e:
                raise _bad_encoding(path, codec, e) from None
    if b"\x00" in raw[:8192]:
        raise InputError([problem("this is a binary file, not an article (it holds NUL bytes; "
                                  "UTF-16 text needs a byte-order mark); give plain text or "
                                  "HTML")], path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _bad_encoding(path, "utf-8", e) from None


def _bad_encoding(path: str, codec: str, e: UnicodeDecodeError) -> InputError:
    return InputError([problem(
        f"cannot read the text as {codec}: byte {e.object[e.start:e.start + 1]!r} at offset "
        f"{e.start} is invalid; save the article as UTF-8")], path)


def is_html(path: str, text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return path.lower().endswith(HTML_SUFFIXES) or head.startswith(("<!doctype html", "<html"))


def html_to_text(html: str, path: str) -> tuple[str, dt.date | None]:
    """The main text of a web page (trafilatura), title first, and the page's date if it has one."""
    import trafilatura

    body = trafilatura.extract(html, output_format="txt", include_comments=False,
                               include_tables=False, favor_precision=True)
    if not body or not body.strip():
        raise InputError([problem("no article text found in this HTML page")], path)
    meta = trafilatura.extract_metadata(html)
    title = (meta.title or "").strip() if meta else ""
    if title and not body.lstrip().startswith(title):
        body = f"{title}\n{body}"
    date = None
    if meta and meta.date:
        try:
            date = dt.date.fromisoformat(meta.date[:10])
        except ValueError:
            date = None
    return body, date


def paragraphs_of(text: str) -> tuple[str, ...]:
    """The non-empty lines of a text, stripped: paragraph n is element n - 1."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def date_in_text(paragraphs: tuple[str, ...]) -> dt.date | None:
    """A dateline among the first three paragraphs: a short line that ends with a full date
    and no full stop
    ("Published 22 August 2025", "By our reporter, Lutz, 9 September 2026", "2025-08-22")."""
    for para in paragraphs[:3]:
        iso = _ISO_DATE.search(para)
        if iso and len(para) <= 80:
            try:
                return dt.date(*map(int, iso.groups()))
            except ValueError:
                continue
        line = _DATELINE.search(para) if len(para) <= 80 else None
        if line:
            import dateparser

            found = dateparser.parse(line.group(1), languages=["en"])
            if found:
                return found.date()
    return None


def read_article(path: str | Path, date: dt.date | None = None,
                 fallback_date: dt.date | None = None) -> Article:
    """Read one article; ``date`` (from ``--date``) wins, then a date the text or page gives,
    then ``fallback_date`` (the scenario source's date)."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([problem("no such file")], name) from None
    except IsADirectoryError:
        raise InputError([problem("this is a folder, not an article file")], name) from None
    except OSError as e:
        raise InputError([problem(f"cannot read the file: {e.strerror}")], name) from None
    text = decode(raw, name)
    meta_date = None
    if is_html(name, text):
        text, meta_date = html_to_text(text, name)
    paragraphs = paragraphs_of(text)
    if not paragraphs:
        raise InputError([problem("the article is empty (no non-empty line of text)")], name)
    found: tuple[dt.date | None, str | None] = (None, None)
    for candidate, source in ((date, "option"), (meta_date, "metadata"),
                              (date_in_text(paragraphs), "text"), (fallback_date, "scenario")):
        if candidate is not None:
            found = (candidate, source)
            break
    return Article(name, hashlib.sha256(raw).hexdigest(), paragraphs, *found)
