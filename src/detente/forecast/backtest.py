"""Backtests of negotiation models against observed outcomes (MODELS.md §6.3-6.4).

``read_deu`` reads the DEU layout as it circulates (Thomson et al., *Decision-making in the
European Union*; CC BY 4.0, doi:10.34810/data53): one row per issue with ``isnr``, ``prname``, the
reference point ``rp``, the outcome ``out`` and a ``p<actor>`` / ``s<actor>`` pair of columns
(position, salience, both 0-100) for the Commission, the Parliament and each member state. The
delimiter (semicolon or tab) is sniffed, headers may be quoted, a semicolon file may use decimal
commas; blank cells, ``NA``, ``.`` and 999-style codes (any value outside 0-100) are missing.
Models run through ``compile.batch_from_arrays`` in groups of issues that share the same actors,
so models that need every actor present (eum, smp) run on every issue.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detente.errors import InputError, Problem, problem
from detente.forecast.scoring import paired_bootstrap

MISSING_TEXT = {"", "na", "n/a", ".", "-"}
SCALE = (0.0, 100.0)


@dataclass(frozen=True)
class DeuData:
    """Issues (B) by actors (N): positions and saliences with NaN where missing."""

    issues: tuple[str, ...]
    names: tuple[str, ...]
    actors: tuple[str, ...]
    position: np.ndarray  # (B, N)
    salience: np.ndarray  # (B, N), 0-100
    reference: np.ndarray  # (B,)
    outcome: np.ndarray  # (B,)


def _dialect(text: str, file: str) -> str:
    head = text.splitlines()[0] if text.strip() else ""
    counts = {d: head.count(d) for d in (";", "\t")}
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0:
        raise InputError([problem("cannot find the delimiter: a DEU file is separated by "
                                  "semicolons or tabs", line=1, value=head[:60])], file)
    return best


def _cell(raw: str, decimal_comma: bool) -> float | str | None:
    t = raw.strip()
    if t.lower() in MISSING_TEXT:
        return None
    if decimal_comma:
        t = t.replace(",", ".")
    try:
        v = float(t)
    except ValueError:
        return raw
    return None if not SCALE[0] <= v <= SCALE[1] else v


def read_deu(path: Path) -> DeuData:
    """Read a DEU-format file; every bad cell comes back as a located problem."""
    from detente.scenario.load import read_text

    file = str(path)
    text = read_text(path)
    delim = _dialect(text, file)
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    header = [h.strip().strip('"').lower() for h in rows[0]]
    missing = [c for c in ("isnr", "rp", "out") if c not in header]
    if missing:
        raise InputError([problem(f"missing column(s) {', '.join(missing)} (a DEU file has "
                                  "isnr, prname, rp, out and p<actor>/s<actor> columns)",
                                  line=1, value=header[:8])], file)
    actors = tuple(h[1:] for h in header if h.startswith("p") and h != "prname"
                   and f"s{h[1:]}" in header)
    if len(actors) < 2:
        raise InputError([problem("fewer than two actors with both p<actor> and s<actor> "
                                  "columns", line=1, value=header[:8])], file)
    col = {h: k for k, h in enumerate(header)}
    problems: list[Problem] = []
    issues, names, pos, sal, ref, out = [], [], [], [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def get(name: str, row: list[str] = row, line: int = line) -> float:
            raw = row[col[name]] if col[name] < len(row) else ""
            v = _cell(raw, delim == ";")
            if isinstance(v, str):
                problems.append(problem("must be a number on 0-100, blank, or a missing code",
                                        (name,), value=v, line=line))
                return np.nan
            return np.nan if v is None else v

        issues.append(row[col["isnr"]].strip())
        names.append(row[col["prname"]].strip() if "prname" in col else "")
        pos.append([get(f"p{a}") for a in actors])
        sal.append([get(f"s{a}") for a in actors])
        ref.append(get("rp"))
        out.append(get("out"))
    if problems:
        raise InputError(problems, file)
    return DeuData(tuple(issues), tuple(names), actors, np.asarray(pos), np.asarray(sal),
                   np.asarray(ref), np.asarray(out))


def read_capabilities(path: Path, actors: tuple[str, ...]) -> np.ndarray:
    """An ``actor,capability`` table into (N,) in the DEU file's actor order."""
    from detente.scenario.load import read_text

    rows = list(csv.reader(io.StringIO(read_text(path))))
    table: dict[str, float] = {}
    problems = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[0].strip():
            continue
        try:
            table[row[0].strip().lower()] = float(row[1])
        except ValueError:
            problems.append(problem("capability must be a number", ("capability",),
                                    value=row[1], line=line))
    absent = [a for a in actors if a not in table]
    if absent:
        problems.append(problem(f"no capability for actor(s) {', '.join(absent)}", ("actor",),
                                line=1))
    if problems:
        raise InputError(problems, str(path))
    return np.asarray([table[a] for a in actors])


def run_models(data: DeuData, capability: np.ndarray, models: list[str]) -> dict[str, np.ndarray]:
    """Each model's point forecast per issue (B,), NaN where it cannot run (e.g. Nash without a
    reference point); issues with the same actors present run as one batch."""
    from detente.compile import batch_from_arrays
    from detente.errors import ModelError
    from detente.registry import model_options
    from detente.runtime import run_arrays

    present = ~np.isnan(data.position) & ~np.isnan(data.salience)
    usable = (present.sum(axis=1) >= 2) & ~np.isnan(data.outcome)
    result = {m: np.full(len(data.issues), np.nan) for m in models}
    patterns = {tuple(present[b]) for b in np.flatnonzero(usable)}
    for pattern in patterns:
        cols = np.flatnonzero(pattern)
        rows = np.flatnonzero(usable & (present == np.asarray(pattern)).all(axis=1))
        for m in models:
            take = rows[~np.isnan(data.reference[rows])] if m == "nash" else rows
            if take.size == 0:
                continue
            batch = batch_from_arrays(
                data.position[np.ix_(take, cols)][..., None],
                data.salience[np.ix_(take, cols)][..., None] / 100.0,
                np.broadcast_to(capability[cols], (take.size, cols.size)),
                low=SCALE[0], high=SCALE[1], reference=data.reference[take][:, None])
            try:
                traj = run_arrays(m, batch, model_options(m, {}))
            except ModelError:
                continue
            result[m][take] = traj.forecast[:, 0]
    return result


def error_table(forecasts: dict[str, np.ndarray], outcome: np.ndarray, seed: int = 0,
                reference_model: str = "mean") -> dict[str, Any]:
    """MAE, RMSE and hit rates (|error| <= 5, <= 10) per model; each model's absolute error
    against the weighted mean's as a paired difference with a bootstrap interval."""
    table, paired = {}, {}
    for m, f in forecasts.items():
        ok = ~np.isnan(f) & ~np.isnan(outcome)
        e = np.abs(f[ok] - outcome[ok])
        if e.size == 0:
            continue
        table[m] = {"n": int(e.size), "mae": float(e.mean()),
                    "rmse": float(np.sqrt((e ** 2).mean())), "hit5": float((e <= 5).mean()),
                    "hit10": float((e <= 10).mean())}
    base = forecasts.get(reference_model)
    if base is not None:
        for m, f in forecasts.items():
            if m == reference_model:
                continue
            ok = ~np.isnan(f) & ~np.isnan(base) & ~np.isnan(outcome)
            if ok.any():
                r = paired_bootstrap(np.abs(f[ok] - outcome[ok]), np.abs(base[ok] - outcome[ok]),
                                     seed=seed)
                paired[m] = {k: r[k] for k in ("n", "difference", "difference_low",
                                               "difference_high", "level", "resamples")}
    return {"models": table, "against_mean": paired}


def backtest_deu(path: Path, models: list[str], capabilities: Path | None = None,
                 seed: int = 0) -> dict[str, Any]:
    """The DEU backtest: read, run every model on every usable issue, score."""
    _check_models(models)
    data = read_deu(path)
    cap = (read_capabilities(capabilities, data.actors) if capabilities is not None
           else np.ones(len(data.actors)))
    forecasts = run_models(data, cap, models)
    notes = [] if capabilities is not None else ["capabilities equal (no --capabilities table)"]
    skipped = int(np.isnan(data.outcome).sum())
    if skipped:
        notes.append(f"{skipped} issue(s) without an observed outcome skipped")
    return {"source": f"{path} (DEU format, {len(data.actors)} actors)",
            "cases": len(data.issues), "notes": notes,
            **error_table(forecasts, data.outcome, seed)}


def backtest_scenario(path: Path, models: list[str], outcomes: dict[str, str],
                      seed: int = 0) -> dict[str, Any]:
    """A scenario with its observed outcomes (e.g. BDM 1994: year = 8.833): each model's
    point forecast (draw 0) against them. Errors are on the issue's own scale."""
    from detente.runtime import negotiate
    from detente.scenario import load_scenario

    _check_models(models)
    sc = load_scenario(path)
    ids = [i.id for i in sc.issues]
    problems = [problem(f"unknown issue (defined: {', '.join(ids)})", ("outcome",), value=k)
                for k in outcomes if k not in ids]
    if not outcomes:
        problems.append(problem("give the observed outcome as --outcome ISSUE=VALUE",
                                ("outcome",)))
    if problems:
        raise InputError(problems)
    y = np.asarray([float(outcomes[k]) for k in outcomes])
    forecasts = {}
    for m in models:
        res = negotiate(sc, m)
        forecasts[m] = np.asarray([res.trajectory.forecast[0, ids.index(k)] for k in outcomes])
    table = error_table(forecasts, y, seed)
    table["forecasts"] = {m: dict(zip(outcomes, map(float, f), strict=True))
                          for m, f in forecasts.items()}
    return {"source": f"{path} (scenario; observed {outcomes})", "cases": len(y),
            "notes": ["errors on the issue's own scale; hit rates use 5 and 10 scale units"],
            **table}


def _check_models(models: list[str]) -> None:
    from detente.registry import negotiation_models

    known = negotiation_models()
    bad = [m for m in models if m not in known]
    if bad or not models:
        raise InputError([problem(f"unknown model(s) (available: {', '.join(sorted(known))})",
                                  ("models",), value=",".join(bad))])
