"""Running a negotiation model end to end and the result it returns, with provenance.

``negotiate(scenario, model, ...)`` compiles the scenario, runs the kernel and wraps the arrays in a
:class:`NegotiationResult`; ``to_dict`` gives the JSON object of ``detente run --json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from detente import __version__
from detente.compile import Batch, compile_scenario
from detente.errors import InputError, problem
from detente.models.base import Trajectory, get_model, options_dict, parse_options
from detente.models.baselines import weighted_mean, weighted_median
from detente.scenario.schema import Scenario


@dataclass(frozen=True)
class NegotiationResult:
    """A model's trajectory over a batch, with everything needed to reproduce it."""

    model: str
    options: Any
    batch: Batch
    trajectory: Trajectory

    def weights(self) -> np.ndarray:
        """Capability x salience weights, one row per trajectory row (repetitions repeat a draw)."""
        w = self.batch.weights()
        per_draw = self.trajectory.positions.shape[0] // w.shape[0]
        return np.repeat(w, per_draw, axis=0) if per_draw > 1 else w

    def mean_path(self) -> np.ndarray:
        """Capability x salience weighted mean per turn and issue, (B, T+1, D)."""
        return weighted_mean(self.trajectory.positions, self.weights()[:, None])

    def median_path(self) -> np.ndarray:
        """Weighted median per turn and issue, (B, T+1, D)."""
        return weighted_median(self.trajectory.positions, self.weights()[:, None])

    def provenance(self) -> dict[str, Any]:
        return {
            "scenario_sha256": self.batch.scenario_sha256,
            "version": __version__,
            "model": self.model,
            "seed": self.batch.seed,
            "draws": self.batch.draws,
            "options": options_dict(self.options),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``detente run --json`` (draw 0 = point estimates)."""
        t = int(self.trajectory.turns[0])
        issues = list(self.batch.issues)
        probs = self.trajectory.probabilities
        out: dict[str, Any] = {
            "model": self.model,
            "options": options_dict(self.options),
            "dimensions": issues,
            "actors": list(self.batch.actors),
            "turns": t,
            "stop_reason": str(self.trajectory.stop_reason[0]),
            "positions": _floats(self.trajectory.positions[0, : t + 1]),
            "probabilities": None if probs is None else _floats(probs[0, : t + 1]),
            "mean": _floats(self.mean_path()[0, : t + 1]),
            "median": _floats(self.median_path()[0, : t + 1]),
            "forecast": dict(zip(issues, map(float, self.trajectory.forecast[0]), strict=True)),
            "provenance": self.provenance(),
        }
        if self.batch.draws > 1 or self.trajectory.forecast.shape[0] > 1:
            out["draws"] = {"forecast": self.draw_summary()}
        diag = self.trajectory.diagnostics
        if "voting_positions" in diag:  # the exchange model
            start = self.trajectory.positions[0, :1]
            out["voting_positions"] = _floats(np.concatenate([start, diag["voting_positions"][0]]))
            out["voting_outcome"] = _floats(diag["voting_outcome"][0])
            out["exchanges"] = diag["exchanges"][0].tolist()
            out["ties"] = int(diag["ties"][0])
            if int(diag["repetitions"]) > 1:
                out["ensemble"] = self.ensemble_summary()
        return out

    def ensemble_summary(self) -> dict[str, Any]:
        """Mean and sample sd over repetitions of the preference and voting outcomes."""
        diag = self.trajectory.diagnostics
        out: dict[str, Any] = {"repetitions": int(diag["repetitions"])}
        for key, name in (("preference_outcome", "preference"), ("voting_outcome", "voting")):
            values = diag[key]
            out[name] = {d: {"mean": _floats(values[:, :, j].mean(0)),
                             "sd": _floats(values[:, :, j].std(0, ddof=1))}
                         for j, d in enumerate(self.batch.issues)}
        return out

    def draw_summary(self) -> dict[str, dict[str, float]]:
        """Forecast distribution across Monte Carlo draws: mean and 5/50/95 percentiles."""
        f = self.trajectory.forecast
        q = np.percentile(f, [5, 50, 95], axis=0)
        return {
            d: {"mean": float(f[:, j].mean()), "p05": float(q[0, j]), "p50": float(q[1, j]),
                "p95": float(q[2, j])}
            for j, d in enumerate(self.batch.issues)
        }


def _floats(a: np.ndarray) -> Any:
    return np.asarray(a, dtype=float).tolist()


def model_options(model: str, given: dict[str, Any] | None = None) -> Any:
    """Parse options for ``model`` (its presets included) from a mapping of strings or values."""
    m = get_model(model)
    if model == "eum":
        from detente.models.eum import eum_options

        return eum_options(given)
    return parse_options(m.Options, given)


def negotiate(
    scenario: Scenario,
    model: str = "eum",
    options: dict[str, Any] | None = None,
    *,
    rounds: int | None = None,
    draws: int = 1,
    seed: int | None = 0,
) -> NegotiationResult:
    """Compile ``scenario`` into ``draws`` draws and run ``model`` on them in one call."""
    given = {**scenario.model_options.get(model, {}), **(options or {})}
    if rounds is not None:
        fields = getattr(get_model(model).Options, "__dataclass_fields__", {})
        name = next((f for f in ("rounds", "max_turns") if f in fields), None)
        if name is None:
            raise InputError([problem(f"model {model!r} has no rounds (it is not dynamic)",
                                      ("rounds",), value=rounds)])
        given[name] = rounds
    opts = model_options(model, given)
    batch = compile_scenario(scenario, draws=draws, seed=seed)
    trajectory = get_model(model).run(batch, opts)
    return NegotiationResult(model, opts, batch, trajectory)
