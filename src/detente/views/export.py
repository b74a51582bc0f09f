"""Spreadsheet out: a tidy (long) table of results written as CSV, Parquet or XLSX by suffix.

:func:`write_table` takes any pandas DataFrame, so it serves every kind of result;
:func:`negotiation_frame` turns a negotiation result into the tidy table: one row per value,
with the columns ``quantity`` (``position`` or ``forecast``), ``draw``, ``turn``, ``actor``,
``issue`` and ``value`` (positions in the issue's own units; draw 0 holds the point estimates).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.errors import InputError, problem

if TYPE_CHECKING:
    import pandas as pd

    from detente.results import NegotiationResult

SUFFIXES = (".csv", ".parquet", ".xlsx")
XLSX_ROWS = 1_048_576  # a worksheet's row limit, header included


def negotiation_frame(result: NegotiationResult) -> pd.DataFrame:
    """Positions per draw, turn, actor and issue (turns a draw took, not the repeats after its
    stop), then each draw's forecast per issue (``turn`` and ``actor`` empty).

    ``trajectory.positions`` is (B, T+1, N, D) and ``forecast`` (B, D); ``draw`` is the row
    of B: a Monte Carlo draw (or, for a model that repeats each draw, one repetition).
    """
    import numpy as np
    import pandas as pd

    traj, batch = result.trajectory, result.batch
    b, t1, n, d = traj.positions.shape
    draw, turn, actor, issue = np.meshgrid(np.arange(b), np.arange(t1), np.arange(n),
                                           np.arange(d), indexing="ij")
    taken = turn <= traj.turns[draw]
    actors, issues = np.asarray(batch.actors, dtype=object), np.asarray(batch.issues, dtype=object)
    positions = pd.DataFrame({
        "quantity": "position", "draw": draw[taken], "turn": turn[taken],
        "actor": actors[actor[taken]], "issue": issues[issue[taken]],
        "value": traj.positions[taken]})
    fdraw, fissue = np.meshgrid(np.arange(traj.forecast.shape[0]), np.arange(d), indexing="ij")
    forecasts = pd.DataFrame({
        "quantity": "forecast", "draw": fdraw.ravel(), "turn": pd.NA, "actor": None,
        "issue": issues[fissue.ravel()], "value": traj.forecast.ravel()})
    frame = pd.concat([positions, forecasts], ignore_index=True)
    frame["turn"] = frame["turn"].astype("Int64")
    frame["actor"] = frame["actor"].astype("string")
    frame["issue"] = frame["issue"].astype("string")
    return frame


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
