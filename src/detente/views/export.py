"""Spreadsheet out: a tidy (long) table written as CSV, Parquet or XLSX by its file suffix.

:func:`write_table` takes any pandas DataFrame, so it serves every kind of result, e.g.
``write_table(results.to_frame("forecast"), "forecast.xlsx")`` with
:meth:`detente.results.Results.to_frame` (one row per value: a column per dimension, ``value``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.errors import InputError, problem

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".csv", ".parquet", ".xlsx")
XLSX_ROWS = 1_048_576  # a worksheet's row limit, header included


def write_table(frame: pd.DataFrame, path: str | Path, sheet: str = "results") -> Path:
    """Write ``frame`` to ``path`` as CSV, Parquet (pyarrow) or XLSX (openpyxl), by its suffix.

    The file appears whole or not at all (written beside it, then renamed).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError([problem(f"unknown table format (allowed suffixes: "
                                  f"{', '.join(SUFFIXES)})", ("out",), value=path.name)])
    if not path.parent.is_dir():
        raise InputError([problem("output folder does not exist", ("out",),
                                  value=str(path.parent))])
    if suffix == ".xlsx" and len(frame) + 1 > XLSX_ROWS:
        raise InputError([problem(f"{len(frame)} rows do not fit a worksheet ({XLSX_ROWS - 1} "
                                  "at most): write .parquet or .csv, or fewer draws", ("out",),
                                  value=path.name)])
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        _writers()[suffix](frame, tmp, sheet)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _writers() -> dict[str, Any]:
    return {
        ".csv": lambda f, p, _: f.to_csv(p, index=False),
        ".parquet": lambda f, p, _: f.to_parquet(p, engine="pyarrow", index=False),
        ".xlsx": lambda f, p, sheet: f.to_excel(p, sheet_name=sheet, index=False,
                                                engine="openpyxl"),
    }
