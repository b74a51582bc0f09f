"""One protocol for every negotiation model: ``run(batch, options) -> Trajectory``.

Options are frozen dataclasses whose fields carry the published defaults; :func:`parse_options`
turns ``key=value`` strings (CLI, HTTP) into them and reports unknown keys or values with the
allowed ones.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

from detente.compile import Batch
from detente.errors import InputError, problem


@dataclass(frozen=True)
class Trajectory:
    """What a model returns, with the batch axis first.

    ``positions`` (B, T+1, N, D) in issue units, turn 0 being the input and turns after a draw's
    stop repeating its final state; ``forecast`` (B, D); ``turns`` (B,) turns actually taken;
    ``stop_reason`` (B,) text; ``probabilities`` (B, T+1, N) where the model gives outcome
    probabilities; ``diagnostics`` holds model-specific arrays (risk exponents, ...).
    """

    positions: np.ndarray
    forecast: np.ndarray
    turns: np.ndarray
    stop_reason: np.ndarray
    probabilities: np.ndarray | None = None
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def max_turns(self) -> int:
        return int(self.positions.shape[1] - 1)


class NegotiationModel(Protocol):
    """A negotiation kernel: arrays in, arrays out; never reads files or prints."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Options: ClassVar[type]

    def run(self, batch: Batch, options: Any) -> Trajectory: ...


REGISTRY: dict[str, NegotiationModel] = {}


def register(model: NegotiationModel) -> NegotiationModel:
    REGISTRY[model.name] = model
    return model


def get_model(name: str) -> NegotiationModel:
    from detente import models  # noqa: F401  (populates the registry)

    if name not in REGISTRY:
        raise InputError([problem(f"unknown model (available: {', '.join(sorted(REGISTRY))})",
                                  ("model",), value=name)])
    return REGISTRY[name]


def _coerce(name: str, annotation: Any, raw: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        allowed = typing.get_args(annotation)
        for a in allowed:
            if raw == a or str(raw) == str(a):
                return a
        raise InputError([problem(f"option {name!r} must be one of {', '.join(map(str, allowed))}",
                                  ("options", name), value=raw)])
    target = annotation
    try:
        if target is bool:
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in ("1", "true", "yes", "on"):
                return True
            if str(raw).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if target is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(raw)
        if target is float:
            value = float(raw)
            if not np.isfinite(value):
                raise ValueError
            return value
    except (TypeError, ValueError):
        raise InputError([problem(f"option {name!r} must be a finite {target.__name__}",
                                  ("options", name), value=raw)]) from None
    return raw


def parse_options(cls: type, given: dict[str, Any] | None, base: Any = None) -> Any:
    """Build an options dataclass from ``given`` (strings allowed) on top of ``base``/defaults."""
    given = dict(given or {})
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in given if k not in names]
    if unknown:
        raise InputError([problem(f"unknown option for this model (allowed: {', '.join(names)})",
                                  ("options", k), value=k) for k in unknown])
    values = {k: _coerce(k, hints[k], v) for k, v in given.items()}
    out = dataclasses.replace(base, **values) if base is not None else cls(**values)
    check = getattr(out, "check", None)
    if check is not None:
        check()
    return out


def options_dict(options: Any) -> dict[str, Any]:
    return dataclasses.asdict(options) if dataclasses.is_dataclass(options) else {}


def bounded(name: str, value: float, lo: float, hi: float) -> None:
    """Raise a located error unless lo <= value <= hi."""
    if not lo <= value <= hi:
        raise InputError([problem(f"option {name!r} must lie in [{lo:g}, {hi:g}]",
                                  ("options", name), value=value)])
