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
    return json.dumps(clean(obj), allow_nan=False, **kwargs)
