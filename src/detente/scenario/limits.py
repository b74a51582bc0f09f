"""The bounds every scenario reader applies: a document's size and nesting, and how many
values its YAML aliases may expand to."""

from __future__ import annotations

from detente.errors import InputError, problem

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
"""Largest scenario file read (the flagship is under 100 KB)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a scenario needs about 8 levels)."""
MAX_NODES = 500_000
"""Most nodes a document may hold once every alias is expanded (what validation will walk)."""


def check_size(text: str, file: str | None) -> None:
    """Refuse a document larger than :data:`MAX_DOCUMENT_BYTES`."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise InputError([problem(f"the document is larger than {MAX_DOCUMENT_BYTES:,} bytes",
                                  value=len(text))], file)
