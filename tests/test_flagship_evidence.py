"""Evidence that holds: every citation of the flagship says what its paragraph says.

Each `says` of a corpus citation must share its key terms with the cited paragraph (a paragraph
is the n-th non-empty line of the article, title lines included): content words after
lower-casing, British/American spelling folded, simple suffix stripping and a stopword list;
the belligerents' and the US's names are left out because nearly every paragraph has them. Every
number in `says` must appear in the paragraph. `support: direct` needs more overlap than
`support: inferred`, and a direct citation must point at the paragraph of its article that
matches it best (so an off-by-one paragraph fails).

The articles are read from ``../shared/corpus`` beside the checkout (or the folder in
``$DETENTE_CORPUS``) at test time; the tests that need them skip cleanly when it is absent.
The matcher's own tests use sentences we wrote (no corpus needed) and prove it can fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from detente.scenario import load_scenario
from detente.scenario.quantity import Citation
from detente.scenario.schema import iter_quantities

from .conftest import ROOT, SCENARIOS

FLAGSHIP = SCENARIOS / "ukraine-2025.yaml"
CORPUS = Path(os.environ.get("DETENTE_CORPUS", ROOT.parent / "shared" / "corpus"))

# overlap = shared key terms / key terms of `says`; each kind also needs two shared terms
MIN_OVERLAP = {"direct": 0.5, "inferred": 0.3}
MIN_SHARED = 2

_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either even ever
every few for from further had has have having he her here hers him his how i if in into is it
its itself just may me might more most much must my neither no nor not now of off on once one
only or other our out over own same she should so some such than that the their them then there
these they this those through to too under until up upon very was we were what when where which
while who whom why will with would yet you your s t
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# names that nearly every paragraph of the three articles carries: not evidence of a match
_UBIQUITOUS_TEXT = """
russia russian russians putin kremlin moscow ukraine ukrainian ukrainians kyiv zelensky trump
us u washington american america war
"""
UBIQUITOUS = frozenset(_UBIQUITOUS_TEXT.split())

_TOKEN = re.compile(r"[a-z]+|\d[\d,]*(?:\.\d+)?")
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""),
             ("ly", ""))


def stem(word: str) -> str:
    """Crude stem: -ise spellings to -ize, one inflectional suffix off, a final 'e' off."""
    word = re.sub(r"is(e|ed|es|ing|ation|ations)$", r"iz\1", word)
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    return word.rstrip("e") if len(word) > 3 else word


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'"))


def numbers(text: str) -> set[str]:
    """Numbers written with digits, thousands separators dropped ('1,000' -> '1000')."""
    return {t.replace(",", "").rstrip(".") for t in _tokens(text) if t[0].isdigit()}


def key_terms(text: str) -> set[str]:
    """Stems of the content words of `text`."""
    return {stem(t) for t in _tokens(text)
            if t.isalpha() and len(t) > 1 and t not in STOPWORDS and t not in UBIQUITOUS}


def overlap(says: str, paragraph: str) -> tuple[float, set[str]]:
    """Share of the key terms of `says` found in `paragraph`, and the terms shared."""
    said = key_terms(says)
    shared = said & key_terms(paragraph)
    return (len(shared) / len(said) if said else 0.0), shared


def mismatch(says: str, paragraph: str, support: str) -> str | None:
    """Why `paragraph` does not back `says` at this level of support, or None when it does."""
    missing = numbers(says) - numbers(paragraph)
    if missing:
        return f"numbers {sorted(missing)} are not in the paragraph"
    share, shared = overlap(says, paragraph)
    if share < MIN_OVERLAP[support] or len(shared) < MIN_SHARED:
        return (f"only {len(shared)} of {len(key_terms(says))} key terms shared ({share:.2f}, "
                f"{support} needs {MIN_OVERLAP[support]} and {MIN_SHARED} terms): {sorted(shared)}")
    return None


# -- the matcher on sentences we wrote -------------------------------------------------------------

PARAGRAPH = ("The foreign minister told the envoy that his country would refuse any truce along "
             "the present front, and that 40 missiles had been fired overnight at the capital.")


def test_matcher_accepts_a_faithful_paraphrase():
    says = "the minister refused a truce on the present front"
    assert mismatch(says, PARAGRAPH, "direct") is None
    assert mismatch("40 missiles were fired at the capital overnight", PARAGRAPH, "direct") is None


def test_matcher_rejects_a_wrong_citation():
    """The deliberate error: a claim about recruitment cited to a paragraph about a truce."""
    wrong = "recruitment is falling and no new mobilisation has been ordered"
    assert "key terms shared" in mismatch(wrong, PARAGRAPH, "inferred")
    # a number the paragraph does not give fails even when the words match
    assert "numbers ['400']" in mismatch("400 missiles fired at the capital", PARAGRAPH, "inferred")


def test_direct_needs_more_overlap_than_inferred():
    says = "the minister refused to attend the summit in Budapest"  # 2 of 5 terms shared
    assert mismatch(says, PARAGRAPH, "inferred") is None
    assert mismatch(says, PARAGRAPH, "direct") is not None


def test_stems_fold_inflection_and_spelling():
    assert stem("guarantees") == stem("guarantee")
    assert stem("mobilisation") == stem("mobilization")
    assert stem("refineries") == stem("refinery")
    assert stem("accepted") == stem("accepts") == stem("accept")
    assert numbers("$100B and 1,000 miles") == {"100", "1000"}
    assert key_terms("Putin said Russia would not") == {"said"}


# -- the flagship's citations against the articles ----------------------------------------------


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(FLAGSHIP)


@pytest.fixture(scope="module")
def corpus(flagship) -> dict[str, list[str]]:
    """Source id -> the article's non-empty lines, for the sources that are corpus files."""
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is not present")
    out = {}
    for src in flagship.sources:
        if src.file and "corpus" in src.file:
            lines = (CORPUS / Path(src.file).name).read_text(encoding="utf-8").splitlines()
            out[src.id] = [ln for ln in lines if ln.strip()]
    return out


def citations(scenario) -> Iterator[tuple[str, Citation]]:
    """Every citation of the scenario with the dotted path of what it backs."""
    for path, q in iter_quantities(scenario):
        for c in q.cite:
            yield ".".join(map(str, path)), c
    for kind in ("levers", "hypotheses"):
        for record in getattr(scenario, kind):
            for c in record.cite:
                yield f"{kind}.{record.id}", c


def test_every_flagship_citation_states_its_support(flagship):
    unstated = [where for where, c in citations(flagship) if c.support is None]
    assert not unstated


def test_every_says_is_made_by_its_paragraph(flagship, corpus):
    problems = []
    for where, c in citations(flagship):
        if c.source not in corpus:
            continue
        paragraphs = corpus[c.source]
        assert c.paragraph is not None and 1 <= c.paragraph <= len(paragraphs), (where, c)
        why = mismatch(c.says, paragraphs[c.paragraph - 1], c.support or "direct")
        if why:
            problems.append(f"{where}: {c.source} para {c.paragraph}: {c.says!r}: {why}")
    assert not problems, "\n".join(problems)


def test_direct_citations_point_at_the_best_paragraph(flagship, corpus):
    """No other paragraph of the article matches a direct citation's `says` better."""
    problems = []
    for where, c in citations(flagship):
        if c.source not in corpus or c.support != "direct":
            continue
        scores = [overlap(c.says, p)[0] for p in corpus[c.source]]
        if scores[c.paragraph - 1] < max(scores):
            best = scores.index(max(scores)) + 1
            problems.append(f"{where}: {c.says!r} cites para {c.paragraph} "
                            f"({scores[c.paragraph - 1]:.2f}) but para {best} matches better "
                            f"({max(scores):.2f})")
    assert not problems, "\n".join(problems)



def test_every_citation_moved_elsewhere_fails(flagship, corpus):
    """Mutation test on the real citations: cited to any other paragraph of its article, a `says`
    fails the matcher or matches that paragraph worse than its own (so an off-by-n error is
    caught). Today 880 of the 887 moves fail the matcher outright."""
    survivors, moves = [], 0
    for where, c in citations(flagship):
        if c.source not in corpus:
            continue
        paragraphs = corpus[c.source]
        own = overlap(c.says, paragraphs[c.paragraph - 1])[0]
        for n, other in enumerate(paragraphs, 1):
            if n == c.paragraph or n in NOTICES.get(c.source, ()):
                continue
            moves += 1
            if mismatch(c.says, other, c.support) is None and overlap(c.says, other)[0] >= own:
                survivors.append(f"{where}: para {c.paragraph} -> {n}")
    assert moves > 500
    assert not survivors

# -- docs/flagship.md: the claim table and the evidence tables -------------------------------------

DOC = ROOT / "docs" / "flagship.md"
NOTICES = {"apr": range(10, 15)}  # the publisher's subscription lines, no claim


def _evidence_status_module():
    spec = importlib.util.spec_from_file_location("evidence_status",
                                                  ROOT / "docs" / "evidence_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_evidence_tables_are_current(flagship):
    status = _evidence_status_module()
    doc = DOC.read_text(encoding="utf-8")
    assert status.spliced(doc, status.tables(flagship)) == doc, (
        "docs/flagship.md is behind the scenario: run python docs/evidence_status.py --write")


def test_claim_table_has_every_paragraph(corpus):
    doc = DOC.read_text(encoding="utf-8")
    missing = [f"{sid} ¶{n}" for sid, paragraphs in corpus.items()
               for n in range(1, len(paragraphs) + 1)
               if n not in NOTICES.get(sid, ()) and f"| {sid} ¶{n} |" not in doc]
    assert not missing


def test_flagship_doc_paraphrases(corpus):
    """The note shares no run of 8 words with any article."""
    words = lambda s: re.findall(r"[a-z0-9']+", s.lower().replace("’", "'"))  # noqa: E731
    text = " ".join(words(" ".join(" ".join(p) for p in corpus.values())))
    said = words(DOC.read_text(encoding="utf-8"))
    copied = {" ".join(said[k:k + 8]) for k in range(len(said) - 7)
              if " ".join(said[k:k + 8]) in text}
    assert not copied
