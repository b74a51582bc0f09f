"""One Results type for every model: labelled arrays (xarray) plus one provenance record.

``Results.dataset`` is an :class:`xarray.Dataset` with named dimensions (``draw``, ``repetition``,
``round``, ``actor``, ``issue`` for negotiation models; ``run``, ``week``, ``issue`` for the war)
and actor/issue ids as coordinates; its attributes are the provenance (scenario sha256, model,
options, hypothesis, levers, seed, detente version, backend, workers). It converts to tidy
pandas frames (:meth:`Results.to_frame`) and writes Parquet, netCDF, CSV or Zarr by suffix
(:meth:`Results.write`). The xarray object is built on first use, so a command that only prints
a table does not pay for importing xarray.

Views (text, report, dashboard) render a Results and compute no model.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from detente.errors import InputError, problem
from detente.options import Options

FIRST = slice(0, 1)  # the point-estimate draw (draw 0, its first repetition)
FORMATS = {".parquet": "parquet", ".nc": "netcdf", ".csv": "csv", ".zarr": "zarr"}



def percentiles(f: np.ndarray, q: tuple[float, ...]) -> np.ndarray:
    """``np.percentile(f, q, axis=0)`` (method "linear") of a float64 array (B, D), bit for bit,
    shape (len(q), D).

    numpy's own steps (``_quantile``): the same copy partitioned at the same sorted indices
    (the neighbours of each virtual index (B - 1) q / 100, and both ends), the same
    interpolation and a NaN where a column holds one; numpy finds those indices with
    ``np.unique``, which imports :mod:`numpy.ma` (~15 ms of a run's start-up, issue 14), and
    here a Python set sorts them. Anything else goes to ``np.percentile`` itself.
    ``tests/test_cli_direct.py`` checks the two agree (ties, signed zeros, NaN, one row).
    """
    if f.dtype != np.float64 or f.ndim != 2 or f.shape[0] == 0:
        return np.asarray(np.percentile(f, list(q), axis=0))
    arr = f.copy()
    n = arr.shape[0]
    virtual = (n - 1) * np.true_divide(list(q), 100)
    if not ((virtual >= 0) & (virtual <= n - 1)).all():  # q outside [0, 100], or NaN
        return np.asarray(np.percentile(f, list(q), axis=0))
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= n - 1
    previous[above] = -1
    following[above] = -1
    previous, following = previous.astype(np.intp), following.astype(np.intp)
    kth = sorted({0, -1, *previous.tolist(), *following.tolist()})
    arr.partition(np.array(kth, dtype=np.intp), axis=0)
    gamma = np.asarray(virtual - previous, dtype=virtual.dtype).reshape(-1, 1)
    a, b = arr[previous], arr[following]
    diff = b - a
    result = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=result, where=gamma >= 0.5, casting="unsafe",
                dtype=type(result.dtype))
    nan_columns = np.isnan(arr[-1, ...])
    if nan_columns.any():
        np.copyto(result, arr[-1, ...], where=nan_columns)
    return result

@dataclass(frozen=True)
class Results:
    """What the runner returns: the kernel's arrays, the inputs they came from, provenance.

    kind: 'negotiation' (``inputs`` is the Batch, ``output`` a Trajectory) or 'war'
    (``inputs`` the WarInputs, ``output`` a WarOutcome).
    """

    kind: str
    model: str
    options: Options
    provenance: dict[str, Any]
    inputs: Any
    output: Any
    warnings: tuple[str, ...] = ()

    # -- the old names, kept because they read well ----------------------------------------
    @property
    def batch(self) -> Any:
        return self.inputs

    @property
    def trajectory(self) -> Any:
        return self.output

    @property
    def outcome(self) -> Any:
        return self.output

    @property
    def repetitions(self) -> int:
        """Repetitions per draw (the exchange model's tie-breaking runs; 1 elsewhere)."""
        diag = getattr(self.output, "diagnostics", {})
        return int(diag["repetitions"]) if "repetitions" in diag else 1

    # -- negotiation summaries --------------------------------------------------------------
    def weights(self, rows: slice = slice(None)) -> np.ndarray:
        """Capability x salience weights, one row per trajectory row (B*R, N, D), or ``rows``
        of them."""
        if self.repetitions > 1:
            return np.repeat(self.inputs.weights(), self.repetitions, axis=0)[rows]
        return (self.inputs if rows == slice(None) else self.inputs.take(rows)).weights()

    def mean_path(self, rows: slice = slice(None)) -> np.ndarray:
        """Capability x salience weighted mean per turn and issue, (B*R, T+1, D), or of the
        trajectory ``rows`` only (each row's mean is computed alone: the same numbers)."""
        from detente.models.baselines import weighted_mean

        return weighted_mean(self.output.positions[rows], self.weights(rows)[:, None])

    def median_path(self, rows: slice = slice(None)) -> np.ndarray:
        """Weighted median per turn and issue, (B*R, T+1, D), or of the trajectory ``rows``."""
        from detente.models.baselines import weighted_median

        return weighted_median(self.output.positions[rows], self.weights(rows)[:, None])

    def forecast_by_draw(self) -> np.ndarray:
        """The forecast per draw (B, D): the mean over repetitions where a model has them."""
        f = self.output.forecast
        r = self.repetitions
        return f.reshape(-1, r, f.shape[-1]).mean(axis=1) if r > 1 else f

    def draw_summary(self) -> dict[str, dict[str, float]]:
        """Forecast distribution across Monte Carlo draws: mean and 5/50/95 percentiles."""
        f = self.forecast_by_draw()
        q = percentiles(f, (5, 50, 95))
        return {d: {"mean": float(f[:, j].mean()), "p05": float(q[0, j]),
                    "p50": float(q[1, j]), "p95": float(q[2, j])}
                for j, d in enumerate(self.inputs.issues)}

    def ensemble_summary(self, draw: int = 0) -> dict[str, Any]:
        """Mean and sample sd over one draw's repetitions of the preference and voting
        outcomes, per issue and round (the exchange model)."""
        diag = self.output.diagnostics
        r = self.repetitions
        rows = slice(draw * r, (draw + 1) * r)
        out: dict[str, Any] = {"repetitions": r, "draw": draw}
        for key, name in (("preference_outcome", "preference"), ("voting_outcome", "voting")):
            values = diag[key][rows]
            out[name] = {d: {"mean": _floats(values[:, :, j].mean(0)),
                             "sd": _floats(values[:, :, j].std(0, ddof=1))}
                         for j, d in enumerate(self.inputs.issues)}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``detente run --json`` (draw 0 = point estimates)."""
        if self.kind != "negotiation":
            raise TypeError("to_dict is the negotiation view; war summaries live in "
                            "detente.analysis.compare")
        traj, batch = self.output, self.inputs
        t = int(traj.turns[0])
        issues = list(batch.issues)
        probs = traj.probabilities
        out: dict[str, Any] = {
            "model": self.model,
            "options": self.options.as_dict(),
            "dimensions": issues,
            "actors": list(batch.actors),
            "turns": t,
            "stop_reason": str(traj.stop_reason[0]),
            "positions": _floats(traj.positions[0, : t + 1]),
            "probabilities": None if probs is None else _floats(probs[0, : t + 1]),
            "mean": _floats(self.mean_path(FIRST)[0, : t + 1]),
            "median": _floats(self.median_path(FIRST)[0, : t + 1]),
            "forecast": dict(zip(issues, map(float, traj.forecast[0]), strict=True)),
            "warnings": list(self.warnings),
            "provenance": self.provenance,
        }
        if batch.draws > 1:
            out["draws"] = {"forecast": self.draw_summary()}
        diag = traj.diagnostics
        if "voting_positions" in diag:  # the exchange model
            start = traj.positions[0, :1]
            out["voting_positions"] = _floats(np.concatenate([start, diag["voting_positions"][0]]))
            out["voting_outcome"] = _floats(diag["voting_outcome"][0])
            out["exchanges"] = [list(rnd) for rnd in diag["exchanges"][0]]
            out["ties"] = int(diag["ties"][0])
            if self.repetitions > 1:
                out["ensemble"] = self.ensemble_summary()
        return out

    # -- labelled arrays ----------------------------------------------------------------------
    @cached_property
    def dataset(self) -> Any:
        """The results as an :class:`xarray.Dataset` (built on first use)."""
        import xarray as xr

        variables, coords = (_negotiation_arrays(self) if self.kind == "negotiation"
                             else _war_arrays(self))
        ds = xr.Dataset({k: (dims, a) for k, (dims, a) in variables.items()}, coords=coords)
        ds.attrs = _attrs(self.provenance)
        return ds

    def to_frame(self, variable: str | None = None) -> Any:
        """Tidy pandas frame: one row per array element, a column per dimension and ``value``
        (``text`` for labels such as stop reasons); all variables stacked, with a ``variable``
        column, when none is named."""
        import pandas as pd

        ds = self.dataset
        names = [variable] if variable else list(ds.data_vars)
        frames = []
        for name in names:
            if name not in ds:
                raise InputError([problem(f"no such variable (available: {', '.join(ds)})",
                                          ("variable",), value=name)])
            frame = ds[name].to_dataframe(name="value").reset_index()
            frame.insert(0, "variable", name)
            if not np.issubdtype(ds[name].dtype, np.number) and ds[name].dtype != bool:
                frame["text"] = frame.pop("value").astype(str)  # labels, e.g. stop reasons
                frame["value"] = np.nan
            else:
                frame["value"] = frame["value"].astype(float)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def write(self, path: str | Path) -> Path:
        """Write to ``path`` in the format its suffix names (.parquet, .nc, .csv, .zarr)."""
        path = Path(path)
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise InputError([problem(f"unknown output format (allowed suffixes: "
                                      f"{', '.join(FORMATS)})", ("out",), value=str(path))])
        if not path.parent.is_dir():
            raise InputError([problem(f"no such folder: {path.parent}", ("out",),
                                      value=str(path))])
        if path.exists() and path.is_dir() != (fmt == "zarr"):
            kind = "a folder" if path.is_dir() else "a file"
            raise InputError([problem(f"cannot write it: it exists and is {kind}, and "
                                      f"{path.suffix} output is "
                                      f"{'a folder' if fmt == 'zarr' else 'one file'}",
                                      ("out",), value=str(path))])
        needs = {"parquet": ("pyarrow", "Parquet"), "zarr": ("zarr", "Zarr")}.get(fmt)
        if needs is not None and importlib.util.find_spec(needs[0]) is None:
            raise InputError([problem(f"{needs[1]} output needs {needs[0]} (pip install "
                                      "'detente[store]')", ("out",), value=str(path))])
        # written beside the target and moved into place whole: a failure half way (a full
        # disk, an interrupted write, a library's error) leaves the old output, or nothing
        temp = path.parent / f".{path.name}.partial-{os.getpid()}"
        try:
            self._write(temp, fmt)
            _move_into_place(temp, path)
        except OSError as e:
            raise InputError([problem(f"cannot write it ({e.strerror or e})", ("out",),
                                      value=str(path))]) from None
        finally:
            _remove(temp)
        return path

    def _write(self, path: Path, fmt: str) -> None:
        """:meth:`write`'s work, in format ``fmt``."""
        if fmt == "netcdf":
            _netcdf_ready(self.dataset).to_netcdf(path, engine="scipy")
        elif fmt == "zarr":
            _netcdf_ready(self.dataset).to_zarr(path, mode="w", zarr_format=2)  # a stable spec
        else:
            frame = self.to_frame()
            if fmt == "csv":
                frame.to_csv(path, index=False)
            else:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(frame, preserve_index=False)
                table = table.replace_schema_metadata(
                    {**(table.schema.metadata or {}),
                     b"detente": json.dumps(self.provenance).encode()})
                pq.write_table(table, path)


def _remove(path: Path) -> None:
    """Remove a file or folder if it is there."""
    if path.is_dir() and not path.is_symlink():
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _move_into_place(temp: Path, path: Path) -> None:
    """Put the finished ``temp`` at ``path``; a folder (Zarr) replaces the old one only after
    the new one is complete, so a failure leaves one or the other."""
    if temp.is_dir() and path.is_dir():
        old = path.parent / f".{path.name}.old-{os.getpid()}"
        path.rename(old)
        try:
            temp.rename(path)
        except OSError:
            old.rename(path)
            raise
        _remove(old)
    else:
        os.replace(temp, path)


def _floats(a: np.ndarray) -> Any:
    return np.asarray(a, dtype=float).tolist()


def _attrs(provenance: dict[str, Any]) -> dict[str, Any]:
    """Provenance as netCDF-safe attributes (text and numbers only)."""
    out: dict[str, Any] = {}
    for k, v in provenance.items():
        out[k] = v if isinstance(v, str | int | float) and not isinstance(v, bool) \
            else json.dumps(v)
    return out


def _netcdf_ready(ds: Any) -> Any:
    """Object-dtype text variables become fixed-width strings netCDF can store."""
    out = ds.copy()
    for name in list(out.data_vars):
        if out[name].dtype == object:
            out[name] = out[name].astype(str)
    return out


def _negotiation_arrays(res: Results) -> tuple[dict[str, Any], dict[str, Any]]:
    traj, batch = res.output, res.inputs
    r = res.repetitions
    b = batch.draws
    t1 = traj.positions.shape[1]

    def split(a: np.ndarray) -> np.ndarray:  # (B*R, ...) -> (B, R, ...)
        return a.reshape(b, r, *a.shape[1:])

    lead = ("draw", "repetition")
    variables: dict[str, Any] = {
        "positions": ((*lead, "round", "actor", "issue"), split(traj.positions)),
        "forecast": ((*lead, "issue"), split(traj.forecast)),
        "turns": (lead, split(traj.turns)),
        "stop_reason": (lead, split(np.asarray(traj.stop_reason, dtype=str))),
        "capability": (("draw", "actor", "issue"), batch.capability),
        "salience": (("draw", "actor", "issue"), batch.salience),
        "present": (("draw", "actor", "issue"), batch.mask),
    }
    if traj.probabilities is not None:
        variables["probabilities"] = ((*lead, "round", "actor"), split(traj.probabilities))
    for key, value in traj.diagnostics.items():
        value = np.asarray(value)
        if value.dtype == object or value.ndim == 0:
            continue  # records (exchanges) and flags stay in the Trajectory
        rows = split(value)
        if value.ndim == 4 and value.shape[1] == t1 - 1:  # per round after round 0
            pad = np.full((b, r, 1, *value.shape[2:]), np.nan)
            variables[key] = ((*lead, "round", "actor", "issue"),
                              np.concatenate([pad, rows.astype(float)], axis=2))
        elif value.ndim == 4 and value.shape[1] == t1:
            variables[key] = ((*lead, "round", "actor", "issue"), rows)
        elif value.ndim == 3 and value.shape[1:] == (t1, traj.positions.shape[2]):
            variables[key] = ((*lead, "round", "actor"), rows)
        elif value.ndim == 3 and value.shape[1] == t1:
            variables[key] = ((*lead, "round", "issue"), rows)
        elif value.ndim == 3 and value.shape[1] == t1 - 1:
            pad = np.full((b, r, 1, value.shape[2]), np.nan)
            variables[key] = ((*lead, "round", "issue"), np.concatenate([pad, rows], axis=2))
        elif value.ndim == 2 and value.shape[1] == len(batch.issues):
            variables[key] = ((*lead, "issue"), rows)
        elif value.ndim == 1:
            variables[key] = (lead, rows)
    if r == 1:  # models without repetitions: no repetition dimension
        variables = {k: (tuple(d for d in dims if d != "repetition"),
                         a[:, 0] if "repetition" in dims else a)
                     for k, (dims, a) in variables.items()}
    coords = {"draw": np.arange(b), "round": np.arange(t1), "actor": list(batch.actors),
              "issue": list(batch.issues)}
    if r > 1:
        coords["repetition"] = np.arange(r)
    return variables, coords


def _coupled_arrays(res: Results) -> tuple[dict[str, Any], dict[str, Any]]:
    """The coupled model's outcome: every field with the dimensions its class declares."""
    from dataclasses import fields

    from detente.war.coupled import END_MODES

    out, inputs = res.output, res.inputs
    variables: dict[str, Any] = {}
    for f in fields(out):
        value = np.asarray(getattr(out, f.name))
        if f.name == "end_mode":
            value = np.asarray(END_MODES, dtype=str)[value]
        variables[f.name] = (("run", *type(out).DIMS.get(f.name, ())), value)
    runs, weeks = out.deal_in_force.shape
    coords = {"run": np.arange(runs), "week": np.arange(1, weeks + 1),
              "step": np.arange(out.front.shape[1]), "issue": list(inputs.issues),
              "actor": list(inputs.actors), "side": ["R", "U"],
              "third_party": [inputs.actors[j] for j in inputs.parties],
              "subset": list(inputs.partial_ids)}
    return variables, coords


def _war_arrays(res: Results) -> tuple[dict[str, Any], dict[str, Any]]:
    from detente.war.kernel import END_MODES

    if res.model == "coupled":
        return _coupled_arrays(res)
    out, inputs = res.output, res.inputs
    runs, weeks = out.in_force.shape
    variables = {
        "in_force": (("run", "week"), out.in_force),
        "end_mode": (("run",), np.asarray(END_MODES, dtype=str)[out.end_mode]),
        "end_week": (("run",), out.end_week),
        "first_agreement": (("run",), out.first_agreement),
        "share_R": (("run",), out.share),
        "terms": (("run", "issue"), out.terms),
        "breakdowns": (("run",), out.breakdowns),
        "front": (("run", "step"), out.front),
        "cost_R": (("run",), out.cost_R),
        "cost_U": (("run",), out.cost_U),
    }
    coords = {"run": np.arange(runs), "week": np.arange(1, weeks + 1),
              "step": np.arange(out.front.shape[1]), "issue": list(inputs.issues)}
    return variables, coords


NegotiationResult = Results

__all__ = ["NegotiationResult", "Results"]
