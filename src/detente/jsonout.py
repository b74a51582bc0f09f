"""JSON that is always JSON: NaN and infinities become ``null`` with a stated reason.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no JSON parser accepts. Every
result the tool prints goes through :func:`dumps`: a non-finite number becomes ``null`` and the
document gains ``null_reasons``, a mapping from the field path (``mean[0][1]``) to why the value
is undefined; ``allow_nan=False`` then guarantees nothing non-finite is left.
"""

from __future__ import annotations

import json
import math
from typing import Any

from detente.errors import Path, format_path

NULL_REASONS = "null_reasons"


def _reason(x: float) -> str:
    if math.isnan(x):
        return "undefined (not a number: the computation has no value here)"
    return f"{'+' if x > 0 else '-'}infinite (the value overflows a float)"


def _all_finite(array: Any) -> bool:
    """True for a numeric numpy array or scalar with no NaN or infinity (checked in one pass)."""
    import numpy as np

    kind = getattr(getattr(array, "dtype", None), "kind", None)
    if kind in ("b", "i", "u"):
        return True
    return kind in ("f", "c") and bool(np.isfinite(array).all())


def finite_tree(obj: Any, path: Path = (), reasons: dict[str, str] | None = None) -> Any:
    """``obj`` as plain JSON data (numpy scalars and arrays included), non-finite numbers
    replaced by ``None`` and their paths recorded in ``reasons``."""
    reasons = {} if reasons is None else reasons
    if isinstance(obj, dict):
        return {k: finite_tree(v, (*path, str(k)), reasons) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_tree(v, (*path, k), reasons) for k, v in enumerate(obj)]
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy arrays and scalars
        if _all_finite(obj):  # no element to replace: skip the walk over every number
            return obj.tolist()
        return finite_tree(obj.tolist(), path, reasons)
    if isinstance(obj, float) and not math.isfinite(obj):
        reasons[format_path(path)] = _reason(obj)
        return None
    return obj


def clean(obj: Any) -> Any:
    """``obj`` with non-finite numbers as ``null``; a mapping gains ``null_reasons`` when any
    were replaced, anything else is wrapped as ``{"result": ..., "null_reasons": ...}``."""
    reasons: dict[str, str] = {}
    tree = finite_tree(obj, (), reasons)
    if not reasons:
        return tree
    if isinstance(tree, dict):
        return {**tree, NULL_REASONS: reasons}
    return {"result": tree, NULL_REASONS: reasons}


def dumps(obj: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``obj`` (see :func:`clean`); never contains NaN or Infinity."""
    if kwargs == {"indent": 2}:  # what every command prints
        text = _indented(obj)
        if text is not None:
            return text
    return json.dumps(clean(obj), allow_nan=False, **kwargs)


class _Slow(Exception):
    """Raised inside :func:`_indented` where only the reference path will do."""


def _finite_repr(x: float) -> str:
    if not math.isfinite(x):
        raise _Slow
    return float.__repr__(x)


_NUMBERS = frozenset((float, int))


def _indented(obj: Any) -> str | None:
    """``json.dumps(clean(obj), allow_nan=False, indent=2)`` of a tree with no non-finite number,
    or None where that must run itself (a NaN or infinity to replace, a type other than the
    plain JSON ones and numpy's, a key that is not a str, a cycle...).

    The same text in one pass (issue 14): ``clean`` walks every number in Python and ``json``
    with ``indent`` writes one at a time in Python too (its C encoder takes no indent), 40 ms
    of a 900 kB result; here a list of plain numbers is written in one ``join`` of their
    ``repr`` (json's own ``float.__repr__`` and ``int.__repr__``), a scalar as json writes it
    (its C string encoder quotes the strings). ``tests/test_cli_direct.py`` checks the two agree.
    """
    from json.encoder import encode_basestring_ascii as quote

    scalar: dict[type, Any] = {str: quote, float: _finite_repr, int: int.__repr__,
                               type(None): lambda _: "null",
                               bool: lambda b: "true" if b else "false"}
    out: list[str] = []
    append = out.append

    def write(node: Any, level: int) -> None:
        kind = type(node)
        if kind in scalar:
            append(scalar[kind](node))
        elif kind is dict:
            if not node:
                append("{}")
                return
            inner = "\n" + "  " * (level + 1)
            lead = "{" + inner
            for key, value in node.items():
                if type(key) is not str:
                    raise _Slow
                encode = scalar.get(type(value))
                if encode is not None:
                    append(lead + quote(key) + ": " + encode(value))
                else:
                    append(lead + quote(key) + ": ")
                    write(value, level + 1)
                lead = "," + inner
            append("\n" + "  " * level + "}")
        elif kind is list or kind is tuple:
            if not node:
                append("[]")
                return
            inner = "\n" + "  " * (level + 1)
            if set(map(type, node)) <= _NUMBERS:
                body = ("," + inner).join(map(repr, node))
                if "n" in body:  # inf or nan (a finite float's repr has no n)
                    raise _Slow
                append("[" + inner + body + "\n" + "  " * level + "]")
                return
            lead = "[" + inner
            for value in node:
                append(lead)
                write(value, level + 1)
                lead = "," + inner
            append("\n" + "  " * level + "]")
        elif not isinstance(node, dict | list | tuple) and callable(getattr(node, "tolist", None)):
            if not _all_finite(node):  # numpy arrays and scalars, as finite_tree takes them
                raise _Slow
            write(node.tolist(), level)
        else:
            raise _Slow

    try:
        write(obj, 0)
    except (_Slow, RecursionError, ValueError):
        return None
    return "".join(out)
