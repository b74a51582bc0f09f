"""An on-disk cache of what the report shows of each article (its paragraphs' number and quote
spans), so a warm `detente report` neither imports spaCy nor runs the pipeline.

Where: ``$DETENTE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/detente`` (``~/.cache/detente``),
folder ``evidence/``. ``DETENTE_NO_CACHE=1`` turns the cache off. An entry is keyed by a
digest of the article's paragraphs (the text the extraction reads, so the same bytes read as
HTML or as plain text, or read by another trafilatura, are different entries) and everything the
result depends on: detente's version, the
versions of spaCy, dateparser and number-parser, a digest of the extraction's own source files
(:data:`_CODE`) and the extraction options; a changed article or library gets a new entry.

Safety: an entry is written to a temporary file and renamed into place (readers see a whole
entry or none); an entry that cannot be read or parsed is ignored (and rewritten); a folder that
cannot be written leaves the result computed, with one warning per process. A cached result
is the JSON of the fresh one, which round-trips exactly (ints, floats by ``repr``, strings).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

# the modules whose code decides the extraction (a change to any of them changes the key)
_CODE = ("extract.py", "numbers.py", "quotes.py", "mentions.py", "dates.py", "read.py",
         "view.py", "cache.py")
_warned = False


class CacheWarning(RuntimeWarning):
    """The evidence cache could not be written (the result is computed without it); the CLI
    prints it as one of its own ``warning:`` lines."""


def cache_dir() -> Path | None:
    """The evidence cache folder, or None when ``DETENTE_NO_CACHE`` is set (to anything but
    empty or ``0``)."""
    if os.environ.get("DETENTE_NO_CACHE", "") not in ("", "0"):
        return None
    root = os.environ.get("DETENTE_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "detente")
    return Path(root) / "evidence"


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    """Every version the extraction depends on, as one string (looked up once per process)."""
    from importlib.metadata import PackageNotFoundError, version

    from detente import __version__

    parts = [f"detente={__version__}"]
    for dist in ("spacy", "dateparser", "number-parser"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=none")
    code = hashlib.sha256()
    here = Path(__file__).parent
    for name in _CODE:
        try:
            code.update((here / name).read_bytes())
        except OSError:
            code.update(name.encode())
    parts.append(f"code={code.hexdigest()}")
    return ";".join(parts)


def paragraphs_digest(paragraphs: list[str] | tuple[str, ...]) -> str:
    """SHA-256 of an article's paragraphs, each length-prefixed (no two lists share it)."""
    h = hashlib.sha256()
    for text in paragraphs:
        data = text.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def entry_key(content_digest: str, options: str) -> str:
    """The file name of an article's entry: a digest of its paragraphs' digest
    (:func:`paragraphs_digest`), the versions and the extraction ``options``."""
    h = hashlib.sha256(f"{content_digest}|{options}|{_versions()}".encode())
    return h.hexdigest()


def load(key: str) -> Any | None:
    """The cached value under ``key``, or None when there is none or it cannot be read."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        doc = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key:
        return None
    return doc.get("value")


def store(key: str, value: Any) -> None:
    """Write ``value`` under ``key`` atomically; a failure to write warns once and is otherwise
    ignored (the caller already has the value)."""
    global _warned
    folder = cache_dir()
    if folder is None:
        return
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key[:16]}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"key": key, "value": value}, f, ensure_ascii=False)
        os.replace(tmp, folder / f"{key}.json")
        tmp = None
    except OSError as e:
        if not _warned:
            _warned = True
            warnings.warn(f"cannot write the evidence cache in {folder} ({e.strerror or e}); "
                          "computing without it (set DETENTE_CACHE_DIR to a writable folder "
                          "or DETENTE_NO_CACHE=1)", CacheWarning, stacklevel=2)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
