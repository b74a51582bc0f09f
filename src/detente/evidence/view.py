"""Views of the evidence: a cited paragraph's text with its numbers marked, for hovers.

The repository stores paragraph numbers and paraphrases, never an article's sentences; the text
shown is read from the user's article file when the view is asked for. The result is data only
(character spans), so the report and the dashboard can render it as they like.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detente.evidence.extract import Extraction, extract
from detente.evidence.read import read_article


def cited_paragraph(citation: Any, file: str | Path | None,
                    extraction: Extraction | None = None) -> dict[str, Any] | None:
    """The paragraph a citation names, read from ``file`` now, with number and quote spans.

    Returns ``{"source", "paragraph", "says", "text", "numbers": [{"start", "end", "value",
    "unit"}], "quotes": [{"start", "end", "speaker"}]}`` (offsets into ``text``), or None when
    there is no file or paragraph to show. ``extraction`` saves re-reading a file already read.
    """
    if file is None or citation.paragraph is None:
        return None
    ex = extraction if extraction is not None else extract(read_article(file))
    if citation.paragraph > len(ex.paragraphs):
        return None
    p = ex.paragraphs[citation.paragraph - 1]
    return {
        "source": citation.source, "paragraph": p.number, "says": citation.says, "text": p.text,
        "numbers": [{"start": n.start, "end": n.end,
                     "value": list(n.value) if isinstance(n.value, tuple) else n.value,
                     "unit": n.unit} for n in p.numbers],
        "quotes": [{"start": q.start, "end": q.end, "speaker": q.speaker} for q in p.quotes],
    }


def cited_paragraphs(scenario: Any, scenario_path: str | Path,
                     articles: list[Path] | None = None) -> dict[str, list[dict[str, Any]]]:
    """For every field with citations, its cited paragraphs (as :func:`cited_paragraph`); each
    article file is read once."""
    from detente.errors import format_path
    from detente.evidence.check import iter_citations
    from detente.evidence.sources import locate

    files = {s.id: s.file for s in locate(scenario, Path(scenario_path), articles or [])}
    read: dict[str, Extraction] = {}
    out: dict[str, list[dict[str, Any]]] = {}
    for path, _, c in iter_citations(scenario):
        file = files.get(c.source)
        if file is not None and c.source not in read:
            read[c.source] = extract(read_article(file))
        shown = cited_paragraph(c, file, read.get(c.source))
        if shown is not None:
            out.setdefault(format_path(path), []).append(shown)
    return out
