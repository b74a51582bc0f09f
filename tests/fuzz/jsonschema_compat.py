"""hypothesis-jsonschema 0.23 on current Hypothesis.

hypothesis-jsonschema's object strategy drives Hypothesis's private ``many`` helper through the
old ``while elements.more():`` protocol; Hypothesis 6.13x replaced it with a context manager and
an iterator. :func:`from_schema` installs a small adapter that speaks the old protocol on top of
the new one, then returns hypothesis-jsonschema's own strategy.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class _OldMany:
    """``many(data, ...)`` with ``more()`` and ``reject()``, over the iterator protocol."""

    def __init__(self, data: Any, **sizes: Any) -> None:
        from hypothesis.internal.conjecture.utils import many

        self._many = many(data, **sizes)
        self._steps: Any = None

    def more(self) -> bool:
        if self._steps is None:
            self._many.__enter__()
            self._steps = iter(self._many)
        try:
            next(self._steps)
        except StopIteration:
            self._many.__exit__(None)
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject()


def from_schema(schema: dict[str, Any]) -> Any:
    """hypothesis-jsonschema's strategy for ``schema``, made to run on this Hypothesis."""
    from hypothesis.internal.conjecture import utils
    from hypothesis_jsonschema import _from_schema

    if not hasattr(utils.many, "more"):
        _from_schema.cu = SimpleNamespace(**{**vars(utils), "many": _OldMany})
    return _from_schema.from_schema(schema)
