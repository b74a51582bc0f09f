"""Uncertain numbers with their evidence.

Any number in a scenario may be written as a plain number, or as a mapping that gives a point
value and/or a distribution, plus the evidence for it::

    capability: 0.16
    capability: {value: 0.16, cite: [{source: bdm1994, paragraph: 3, says: "..."}]}
    salience: {dist: triangular, lo: 60, mode: 80, hi: 95, assumption: "analyst judgement"}

Distributions (MODELS.md §0.3): ``uniform`` (lo, hi), ``triangular`` (lo, mode, hi), ``normal``
(mean, sd, optional lo/hi truncation bounds) and ``beta`` (a, b, scaled to [lo, hi], default
[0, 1]). The point estimate used by draw 0 is ``value`` when given, else the mode of a
triangular, the midpoint of a uniform, the mean of a (truncated) normal or of a beta.

Every number lies within ±1e12 (:data:`MAX_MAGNITUDE`) and beta shapes within (0, 1e6]
(:data:`MAX_BETA_SHAPE`), so no draw, and no product the models form, overflows.
"""


import datetime as dt
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Confidence = Literal["low", "medium", "high"]
Support = Literal["direct", "inferred"]

MAX_MAGNITUDE = 1e12
"""Largest |number| a quantity may hold (value, bounds, mode, mean, sd): products of a few such
numbers (capability x salience x utility, over hundreds of actors) stay far from overflow."""
MAX_BETA_SHAPE = 1e6
"""Largest beta shape a, b: beyond it the beta is a point for every purpose, and the inverse CDF
loses its precision."""


class Strict(BaseModel):
    """Base for every scenario record: unknown fields and non-finite numbers are errors."""

    # defer_build: a record's own validator is built when it is first used, not at import; a
    # scenario file is validated by Scenario's alone, so a command builds one instead of about 30
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, defer_build=True)


class Source(Strict):
    """A document that justifies numbers in the scenario."""

    id: str = Field(min_length=1, description="Identifier that citations refer to.")
    title: str = Field(min_length=1)
    outlet: str | None = None
    author: str | None = None
    date: dt.date | None = None
    url: str | None = None
    file: str | None = Field(None, description="Path of a local copy (e.g. a corpus file).")
    note: str | None = None


class Citation(Strict):
    """Where in a source a value comes from, paraphrased (never quoted at length)."""

    source: str = Field(min_length=1, description="Id of a source in `sources`.")
    paragraph: int | None = Field(None, ge=1, description="1-based paragraph number.")
    says: str = Field(min_length=1, max_length=400, description="Short paraphrase.")
    confidence: Confidence = "medium"
    support: Support | None = Field(
        None,
        description=(
            "How the cited passage backs the value. `direct`: the passage states the claim in "
            "`says`, and the claim fixes the value with no further step (an explicit demand put "
            "at its end of the issue's scale, a date, a count, the existence of a proposal or a "
            "policy). `inferred`: the passage states the claim in `says`, and the value is the "
            "analyst's translation of it into a magnitude the passage does not give. Default: "
            "not stated (None), for a citation not yet reviewed."
        ),
    )


DistName = Literal["uniform", "triangular", "normal", "beta"]


class Quantity(Strict):
    """A number, possibly uncertain, with its citations or an explicit assumption."""

    value: float | None = Field(None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE,
                                description="Point estimate (draw 0).")
    dist: DistName | None = None
    lo: float | None = Field(None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)
    mode: float | None = Field(None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)
    hi: float | None = Field(None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)
    mean: float | None = Field(None, ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)
    sd: float | None = Field(None, ge=0, le=MAX_MAGNITUDE)
    a: float | None = Field(None, gt=0, le=MAX_BETA_SHAPE)
    b: float | None = Field(None, gt=0, le=MAX_BETA_SHAPE)
    cite: tuple[Citation, ...] = ()
    assumption: str | None = Field(None, min_length=1)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # a plain number is accepted too (see _from_number)
        return {"anyOf": [{"type": "number"}, handler(core_schema)]}

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number or a mapping like {value: ..., dist: ...}")
        if isinstance(data, int | float):
            return {"value": data}
        if isinstance(data, str):
            raise ValueError(
                f"expected a number or a mapping like {{value: ..., dist: ...}}, got text {data!r}"
            )
        return data

    @model_validator(mode="after")
    def _check_shape(self) -> "Quantity":
        needs: dict[str | None, tuple[str, ...]] = {
            None: ("value",),
            "uniform": ("lo", "hi"),
            "triangular": ("lo", "mode", "hi"),
            "normal": ("mean", "sd"),
            "beta": ("a", "b"),
        }
        allowed: dict[str | None, set[str]] = {
            None: set(),
            "uniform": {"lo", "hi"},
            "triangular": {"lo", "mode", "hi"},
            "normal": {"mean", "sd", "lo", "hi"},
            "beta": {"a", "b", "lo", "hi"},
        }
        missing = [k for k in needs[self.dist] if getattr(self, k) is None]
        if missing:
            kind = f"distribution {self.dist!r}" if self.dist else "a point value"
            raise ValueError(f"{kind} needs field(s) {', '.join(missing)}")
        extra = [
            k
            for k in ("lo", "mode", "hi", "mean", "sd", "a", "b")
            if getattr(self, k) is not None and k not in allowed[self.dist]
        ]
        if extra:
            kind = f"distribution {self.dist!r}" if self.dist else "a point value without `dist`"
            raise ValueError(f"fields {', '.join(extra)} do not apply to {kind}")
        lo, hi = self.support()
        if lo > hi:
            raise ValueError(f"lo ({lo}) must not exceed hi ({hi})")
        if self.dist == "triangular" and not (lo <= self.mode <= hi):  # type: ignore[operator]
            raise ValueError(f"mode ({self.mode}) must lie in [lo, hi] = [{lo}, {hi}]")
        if self.dist == "normal" and not (lo <= self.mean <= hi):  # type: ignore[operator]
            raise ValueError(f"mean ({self.mean}) must lie in [lo, hi] = [{lo}, {hi}]")
        if self.value is not None and not (lo <= self.value <= hi):
            raise ValueError(f"value ({self.value}) lies outside the distribution's [{lo}, {hi}]")
        if self.assumption is not None and self.cite:
            raise ValueError("give either `cite` or `assumption`, not both")
        return self

    def support(self) -> tuple[float, float]:
        """Smallest interval that holds every possible draw."""
        if self.dist is None:
            return (self.value, self.value)  # type: ignore[return-value]
        if self.dist in ("uniform", "triangular"):
            return (self.lo, self.hi)  # type: ignore[return-value]
        if self.dist == "beta":
            return (0.0 if self.lo is None else self.lo, 1.0 if self.hi is None else self.hi)
        lo = -math.inf if self.lo is None else self.lo
        hi = math.inf if self.hi is None else self.hi
        return (lo, hi)

    def point(self) -> float:
        """The point estimate that draw 0 uses."""
        if self.value is not None:
            return self.value
        if self.dist == "uniform":
            return 0.5 * (self.lo + self.hi)  # type: ignore[operator]
        if self.dist == "triangular":
            return self.mode  # type: ignore[return-value]
        if self.dist == "beta":
            lo, hi = self.support()
            return lo + (hi - lo) * self.a / (self.a + self.b)  # type: ignore[operator]
        return _truncated_normal_mean(self.mean, self.sd, *self.support())  # type: ignore[arg-type]

    @property
    def uncertain(self) -> bool:
        return self.dist is not None

    @property
    def has_evidence(self) -> bool:
        return bool(self.cite) or self.assumption is not None


def _truncated_normal_mean(mean: float, sd: float, lo: float, hi: float) -> float:
    """Mean of N(mean, sd²) truncated to [lo, hi], computed stably.

    Bounds that coincide give that point; a range narrow against sd (under 1e-6 sd) gives its
    midpoint (the density is flat across it, to that order); otherwise scipy's ``truncnorm``,
    which works in log space in the tails.
    """
    if sd == 0 or (math.isinf(lo) and math.isinf(hi)):
        return mean
    if lo == hi:
        return lo
    a, b = (lo - mean) / sd, (hi - mean) / sd
    if b - a < 1e-6:
        return 0.5 * (lo + hi)
    import numpy as np
    from scipy.stats import truncnorm

    with np.errstate(all="ignore"):
        z = float(truncnorm.mean(a, b))
    return min(max(mean + sd * z, lo), hi) if math.isfinite(z) else 0.5 * (lo + hi)


def range_problem(qty: Quantity, bounds: tuple[float, float, bool], path: tuple, what: str
                  ) -> list:
    """A located problem when ``qty`` can fall outside ``bounds`` = (low, high, low_open)."""
    from detente.errors import problem

    lo, hi, open_low = bounds
    qlo, qhi = qty.support()
    bad = qlo <= lo if open_low else qlo < lo
    if bad or qhi > hi:
        low = "(" if open_low else "["
        shown = qty.value if not qty.uncertain else [qlo, qhi]
        return [problem(f"{what} must lie in {low}{lo:g}, {hi:g}]", path, value=shown)]
    return []
