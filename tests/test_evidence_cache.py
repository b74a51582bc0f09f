"""The evidence cache behind the report's cited paragraphs (detente.evidence.cache): a cached
result is the fresh one, a changed article or a corrupt entry is recomputed, an unwritable
folder computes with one warning."""

from __future__ import annotations

import json
import shutil
import warnings

from detente.evidence import cache
from detente.evidence.extract import extract
from detente.evidence.read import read_article
from detente.evidence.view import cited_paragraph
from detente.report import render_report
from detente.report.data import SPAN_OPTIONS, cited_text, paragraph_spans, report_document
from detente.scenario import load_scenario

from .test_report_data import ARTICLE, cited_scenario


def reference_spans(path):
    """The spans as the uncached path gives them (cited_paragraph on a fresh extraction)."""
    ex = extract(read_article(path))

    class Cite:
        source, says = "s", None

    out = []
    for n in range(1, len(ex.paragraphs) + 1):
        Cite.paragraph = n
        shown = cited_paragraph(Cite, path, ex)
        out.append({"numbers": shown["numbers"], "quotes": shown["quotes"]})
    return out


def entries(folder):
    return sorted((folder / "evidence").glob("*.json"))


def test_report_html_is_the_same_cold_warm_and_without_cache(tmp_path, monkeypatch):
    path = cited_scenario(tmp_path)
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path / "c"))
    cold = render_report(report_document(load_scenario(path), path, draws=3))
    assert len(entries(tmp_path / "c")) == 1
    warm = render_report(report_document(load_scenario(path), path, draws=3))
    monkeypatch.setenv("DETENTE_NO_CACHE", "1")
    off = render_report(report_document(load_scenario(path), path, draws=3))
    assert "<mark>18%</mark>" in cold
    assert cold == warm == off


def test_a_warm_entry_is_used_and_equals_the_reference_path(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path))
    art = read_article(ARTICLE)
    fresh = paragraph_spans(art)
    assert fresh == reference_spans(ARTICLE)
    (entry,) = entries(tmp_path)
    doc = json.loads(entry.read_text())
    doc["value"][3]["numbers"] = []  # a tampered entry with the right key is what is returned
    entry.write_text(json.dumps(doc))
    assert paragraph_spans(art)[3]["numbers"] == []  # so the warm path does read the entry


def test_a_changed_article_gets_a_new_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path / "c"))
    copy = tmp_path / "a.txt"
    shutil.copy(ARTICLE, copy)
    before = paragraph_spans(read_article(copy))
    copy.write_text(copy.read_text().replace("18%", "27%"))
    after = paragraph_spans(read_article(copy))
    assert after == reference_spans(copy) != before
    assert len(entries(tmp_path / "c")) == 2
    assert cache.entry_key("a" * 64, SPAN_OPTIONS) != cache.entry_key("a" * 64, "other")


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path))
    art = read_article(ARTICLE)
    fresh = paragraph_spans(art)
    (entry,) = entries(tmp_path)
    for junk in ("{not json", "", json.dumps({"key": "other", "value": []}), "[1, 2]"):
        entry.write_text(junk)
        assert paragraph_spans(art) == fresh
        assert json.loads(entry.read_text())["value"] == fresh
    assert not list((tmp_path / "evidence").glob("*.tmp"))  # temporary files renamed or removed


def test_an_unwritable_cache_folder_computes_with_one_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(blocker))
    monkeypatch.setattr(cache, "_warned", False)
    path = cited_scenario(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = cited_text(load_scenario(path), path)
        shutil.copy(ARTICLE, tmp_path / "b.txt")
        paragraph_spans(read_article(tmp_path / "b.txt"))
    assert [str(w.message) for w in caught if "evidence cache" in str(w.message)] and \
        sum("evidence cache" in str(w.message) for w in caught) == 1
    monkeypatch.setenv("DETENTE_NO_CACHE", "1")
    assert first == cited_text(load_scenario(path), path)


def test_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("DETENTE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "detente" / "evidence"
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path / "x"))
    assert cache.cache_dir() == tmp_path / "x" / "evidence"
    monkeypatch.setenv("DETENTE_NO_CACHE", "1")
    assert cache.cache_dir() is None


def test_spans_without_date_resolution_equal_the_full_extraction(tmp_path, monkeypatch):
    """The report extracts without resolving dates (no dateparser); its spans must be those of
    the full extraction on every article we have (ours, and the corpus when present)."""
    from .conftest import FIXTURES, ROOT

    monkeypatch.setenv("DETENTE_NO_CACHE", "1")
    arts = sorted((FIXTURES / "evidence").glob("*.txt"))
    for corpus in (ROOT.parent / "shared" / "corpus", ROOT / "shared" / "corpus"):
        arts += sorted(corpus.glob("*.txt"))
    for a in arts:
        assert paragraph_spans(read_article(a)) == reference_spans(a), a


def test_the_same_bytes_read_as_html_and_as_text_are_separate_entries(tmp_path, monkeypatch):
    """The key was the file's raw bytes, but the spans are offsets into the paragraphs read from
    them, and an .htm file is read through trafilatura while a .txt is read line by line: the
    second file got the first one's offsets (reviewer's finding)."""
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path / "c"))
    body = "".join(f"<p>Paragraph {k}: the army moved {100 * k} troops and {k} tanks.</p>\n"
                   for k in range(1, 6))
    for name in ("b.htm", "b.txt", "b.htm"):  # each after the other has filled the cache
        path = tmp_path / name
        path.write_text(body)
        art = read_article(path)
        spans = paragraph_spans(art)
        assert spans == reference_spans(path), name
        for text, item in zip(art.paragraphs, spans, strict=True):
            for n in item["numbers"]:
                assert text[n["start"]:n["end"]].strip()[0].isdigit(), (name, text, n)


def test_an_entry_of_the_wrong_shape_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_CACHE_DIR", str(tmp_path))
    art = read_article(ARTICLE)
    fresh = paragraph_spans(art)
    (entry,) = entries(tmp_path)
    doc = json.loads(entry.read_text())
    for item in ({}, {"numbers": [], "quotes": None}, {"numbers": [{"start": "0", "end": 1}],
                                                       "quotes": []}, 7):
        doc["value"] = [item] * len(fresh)
        entry.write_text(json.dumps(doc))
        assert paragraph_spans(art) == fresh


def test_report_prints_the_cache_warning_as_its_own(tmp_path, monkeypatch):
    """An unwritable cache printed Python's warning (source path and code line) and failed under
    ``-W error``; it is now one of the CLI's ``warning:`` lines."""
    import subprocess
    import sys

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    path = cited_scenario(tmp_path)
    env = {**__import__("os").environ, "DETENTE_CACHE_DIR": str(blocker)}
    r = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c",
                        "from detente.cli import main; main()", "report", str(path), "-o",
                        str(tmp_path / "r.html"), "--draws", "2"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    lines = [x for x in r.stderr.splitlines() if "evidence cache" in x]
    assert len(lines) == 1 and lines[0].startswith("warning: cannot write the evidence cache")
    assert "Traceback" not in r.stderr and ".py:" not in r.stderr
