"""Named outcomes of a war simulation: the numbers a verdict is about (MODELS.md §7.8).

Every outcome is a documented function of a war's :class:`~detente.results.Results` (or of its
per-run :class:`~detente.war.kernel.WarOutcome`, or of the coupled model's
:class:`~detente.war.coupled.CoupledOutcome`: the same names mean the same numbers). Each takes
``blocks``: the runs are read as ``blocks`` consecutive groups of equal size (a sensitivity
analysis runs M runs per input sample, sample after sample) and the outcome is computed per
group, shape (blocks,); ``blocks=1`` gives the outcome of the whole result.

Names (``parse_outcome``)::

    p_deal@W                 P(a deal is in force at the end of week W)
    p_partial@W[:SUBSET]     P(a partial deal, or the named one, is in force at week W) (coupled
                             model only)
    terms@W:ISSUE[:Q]        quantile Q (default 0.5) of the terms on ISSUE among runs with a deal
                             in force at week W
    duration[:Q]             quantile Q (default 0.5) of the weeks until the war's final state,
                             Kaplan-Meier with runs still fighting at the horizon censored
    delta_p_deal@W:LEVER     paired change in P(deal in force at W) when LEVER is switched on
                             (common random numbers)
    forecast:MODEL:ISSUE     a negotiation model's forecast on ISSUE (mean over draws)

"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.errors import InputError, problem
from detente.war.kernel import HORIZON, WarOutcome

KINDS = ("p_deal", "p_partial", "terms", "duration", "delta_p_deal", "forecast")


def _blocked(values: np.ndarray, blocks: int) -> np.ndarray:
    """(runs, ...) -> (blocks, runs // blocks, ...)."""
    return values.reshape(blocks, values.shape[0] // blocks, *values.shape[1:])


def war_outcome(result: Any) -> WarOutcome:
    """The per-run outcome of a runner's Results (``.output``), of a compare variant
    (WarRun, CoupledRun: ``.outcome``), or the WarOutcome / CoupledOutcome itself."""
    if hasattr(result, "output"):
        return result.output
    return result if hasattr(result, "end_mode") else result.outcome


def in_force(outcome: Any) -> np.ndarray:
    """Per run and week, whether a (whole) deal holds at the end of the week, (runs, weeks):
    ``in_force`` of the war kernel, ``deal_in_force`` of the coupled kernel."""
    outcome = war_outcome(outcome)
    return outcome.in_force if hasattr(outcome, "in_force") else outcome.deal_in_force


def deal_in_force(outcome: Any, week: int) -> np.ndarray:
    """Per run, 1.0 where an agreement holds at the end of ``week`` (1-based), (runs,)."""
    return in_force(outcome)[:, week - 1].astype(float)


def p_deal(outcome: Any, week: int, blocks: int = 1) -> np.ndarray:
    """P(a deal is in force at the end of week ``week``), (blocks,)."""
    return _blocked(deal_in_force(outcome, week), blocks).mean(axis=1)


def partial_in_force(outcome: Any, week: int, subset: int | None = None) -> np.ndarray:
    """Per run, 1.0 where a partial deal (any, or subset index ``subset``) holds at the end of
    ``week``, (runs,); the coupled outcome's ``partial_in_force`` is (runs, weeks, subsets)."""
    partial = np.asarray(war_outcome(outcome).partial_in_force)[:, week - 1]
    if partial.ndim == 1:
        return partial.astype(float)
    return (partial.any(axis=1) if subset is None else partial[:, subset]).astype(float)


def p_partial(outcome: Any, week: int, blocks: int = 1, subset: int | None = None
              ) -> np.ndarray:
    """P(a partial deal, or partial deal number ``subset``, is in force at week ``week``),
    (blocks,).

    Only the coupled model of MODELS.md §7 settles some issues and not others; its outcome
    carries ``partial_in_force`` (runs, weeks, subsets). The two-sided war kernel settles all or
    nothing.
    """
    partial = getattr(war_outcome(outcome), "partial_in_force", None)
    if partial is None:
        raise InputError([problem(
            "p_partial is not available: the war kernel settles all issues at once (partial "
            "deals come with the coupled model of MODELS.md §7); use p_deal", ("outcome",),
            value=f"p_partial@{week}")])
    return _blocked(partial_in_force(outcome, week, subset), blocks).mean(axis=1)


def terms_quantile(outcome: Any, week: int, issue: int, q: float = 0.5,
                   blocks: int = 1) -> np.ndarray:
    """Quantile ``q`` of the terms on issue index ``issue`` among runs with a deal in force at
    ``week``, (blocks,); NaN in a block where no run has one.

    The kernel records the terms of each run's final state, so a deal in force at W that later
    breaks down and is renegotiated contributes its final terms.
    """
    terms = np.where(in_force(outcome)[:, week - 1], war_outcome(outcome).terms[:, issue],
                     np.nan)
    blocked = _blocked(terms, blocks)
    out = np.full(blocks, np.nan)
    some = ~np.isnan(blocked).all(axis=1)
    if some.any():
        out[some] = np.nanquantile(blocked[some], q, axis=1)
    return out


def km_quantile(weeks: np.ndarray, censored: np.ndarray, q: float, horizon: int) -> float:
    """Quantile ``q`` of a duration with right-censoring, Kaplan-Meier (scipy.stats.ecdf).

    ``weeks`` (runs,) are end weeks, ``censored`` (runs,) marks runs still going at the horizon.
    Where the estimated distribution never reaches ``q`` (too many censored runs) the quantile
    lies beyond the horizon and ``horizon`` is returned as its lower bound.
    """
    from scipy import stats

    if censored.all():
        return float(horizon)
    data = stats.CensoredData(uncensored=weeks[~censored], right=weeks[censored])
    cdf = stats.ecdf(data).cdf
    reached = np.flatnonzero(cdf.probabilities >= q - 1e-12)
    return float(cdf.quantiles[reached[0]]) if reached.size else float(horizon)


def duration_quantile(outcome: Any, q: float = 0.5, blocks: int = 1,
                      horizon: int | None = None) -> np.ndarray:
    """Quantile ``q`` of the weeks until the war's final state began, censored at the horizon.

    A run still fighting at the horizon is censored (its war lasts at least that long), not
    ended; a deal that breaks down does not end the war. (blocks,).
    """
    horizon = in_force(outcome).shape[1] if horizon is None else horizon
    outcome = war_outcome(outcome)
    weeks = _blocked(outcome.end_week.astype(float), blocks)
    censored = _blocked(outcome.end_mode == HORIZON, blocks)
    return np.array([km_quantile(w, c, q, horizon) for w, c in zip(weeks, censored, strict=True)])


def delta_p_deal(with_lever: Any, baseline: Any, week: int,
                 blocks: int = 1) -> np.ndarray:
    """Paired change in P(deal in force at ``week``) from switching a lever on, (blocks,).

    Run i of both results shares its draws and random streams (common random numbers), so the
    mean of per-run differences has far less noise than two independent estimates.
    """
    diff = deal_in_force(with_lever, week) - deal_in_force(baseline, week)
    return _blocked(diff, blocks).mean(axis=1)


def forecast(result: Any, issue: int) -> float:
    """A negotiation model's forecast on issue index ``issue``, mean over its draws.

    ``result`` is a negotiation model's :class:`detente.results.Results` (from
    ``detente.runtime.negotiate``).
    """
    return float(np.mean(result.trajectory.forecast[:, issue]))


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome name: what to compute from which variants of the simulation."""

    name: str
    kind: str
    week: int | None = None
    issue: str | None = None
    q: float = 0.5
    lever: str | None = None
    model: str | None = None
    subset: str | None = None  # p_partial: one partial deal's id (None: any)

    @property
    def doc(self) -> str:
        """One line saying what the number is."""
        return {
            "p_deal": f"P(a deal is in force at the end of week {self.week})",
            "p_partial": f"P(a partial deal{' ' + self.subset if self.subset else ''} is in "
                         f"force at week {self.week})",
            "terms": f"quantile {self.q:g} of the terms on {self.issue} among runs with a deal "
                     f"in force at week {self.week}",
            "duration": f"quantile {self.q:g} of the war's duration in weeks (Kaplan-Meier, "
                        "runs fighting at the horizon censored)",
            "delta_p_deal": f"change in P(deal in force at week {self.week}) from lever "
                            f"{self.lever}, paired runs (common random numbers)",
            "forecast": f"model {self.model}'s forecast on {self.issue}",
        }[self.kind]

    @property
    def mean_type(self) -> bool:
        """True when the outcome is a mean of per-run values (so paired intervals exist)."""
        return self.kind in ("p_deal", "delta_p_deal")

    def variants(self, levers: Sequence[str]) -> list[tuple[str, ...]]:
        """The lever sets to simulate: one, or (without, with) the outcome's lever."""
        base = tuple(levers)
        if self.kind == "delta_p_deal":
            return [tuple(x for x in base if x != self.lever), (*base, self.lever)]  # type: ignore[arg-type]
        return [base]

    def per_run(self, results: Sequence[WarOutcome]) -> np.ndarray:
        """Per-run values whose block means are the outcome (mean-type outcomes only), (runs,)."""
        if self.kind == "p_deal":
            return deal_in_force(results[0], self.week)  # type: ignore[arg-type]
        if self.kind == "delta_p_deal":
            return deal_in_force(results[1], self.week) - deal_in_force(results[0], self.week)  # type: ignore[arg-type]
        raise ValueError(f"{self.name} is not a mean of per-run values")

    def reduce(self, results: Sequence[WarOutcome], blocks: int, issues: Sequence[str] = (),
               horizon: int | None = None, subsets: Sequence[str] = ()) -> np.ndarray:
        """The outcome per block of runs, (blocks,); ``results`` follow :meth:`variants`;
        ``subsets`` are the partial deals' ids (for ``p_partial@W:SUBSET``)."""
        if self.mean_type:
            return _blocked(self.per_run(results), blocks).mean(axis=1)
        first = results[0]
        if self.kind == "p_partial":
            sub = list(subsets).index(self.subset) if self.subset is not None else None
            return p_partial(first, self.week, blocks, sub)  # type: ignore[arg-type]
        if self.kind == "terms":
            return terms_quantile(first, self.week, list(issues).index(self.issue), self.q,  # type: ignore[arg-type]
                                  blocks)
        if self.kind == "duration":
            return duration_quantile(first, self.q, blocks, horizon)
        raise ValueError(f"{self.name} is not an outcome of a war simulation")


_PATTERNS = {
    "p_deal": r"p_deal@(?P<week>\d+)",
    "p_partial": r"p_partial@(?P<week>\d+)(:(?P<subset>[^:]+))?",
    "terms": r"terms@(?P<week>\d+):(?P<issue>[^:]+)(:(?P<q>[0-9.]+))?",
    "duration": r"duration(:(?P<q>[0-9.]+))?",
    "delta_p_deal": r"delta_p_deal@(?P<week>\d+):(?P<lever>[^:]+)",
    "forecast": r"forecast:(?P<model>[^:]+):(?P<issue>[^:]+)",
}
SYNTAX = ("p_deal@W, p_partial@W[:SUBSET], terms@W:ISSUE[:Q], duration[:Q], delta_p_deal@W:LEVER, "
          "forecast:MODEL:ISSUE")


def parse_outcome(name: str, scenario: Any = None) -> Outcome:
    """Parse an outcome name (module docstring); with ``scenario``, check weeks, issues, levers."""
    text = name.strip()
    for kind, pattern in _PATTERNS.items():
        m = re.fullmatch(pattern, text)
        if m is None:
            continue
        g = m.groupdict()
        out = Outcome(text, kind, int(g["week"]) if g.get("week") else None, g.get("issue"),
                      float(g["q"]) if g.get("q") else 0.5, g.get("lever"), g.get("model"),
                      g.get("subset"))
        if not 0.0 < out.q < 1.0:
            raise InputError([problem("the quantile must lie in (0, 1)", ("outcome",), value=name)])
        if scenario is not None:
            _check(out, scenario)
        return out
    raise InputError([problem(f"unknown outcome (allowed: {SYNTAX})", ("outcome",), value=name)])


def _check(out: Outcome, scenario: Any) -> None:
    problems = []
    horizon = scenario.war.horizon if scenario.war is not None else None
    if out.week is not None and horizon is not None and not 1 <= out.week <= horizon:
        problems.append(problem(f"week must lie in [1, {horizon}] (the horizon)", ("outcome",),
                                value=out.name))
    issues = [i.id for i in scenario.issues]
    if out.issue is not None and out.issue not in issues:
        problems.append(problem(f"unknown issue (defined: {', '.join(issues)})", ("outcome",),
                                value=out.issue))
    talks = scenario.war.talks if scenario.war is not None else None
    subsets = [pd.id for pd in talks.partial] if talks is not None else []
    if out.subset is not None and out.subset not in subsets:
        problems.append(problem(f"unknown partial deal (defined: {', '.join(subsets) or 'none'})",
                                ("outcome",), value=out.subset))
    levers = [lv.id for lv in scenario.levers]
    if out.lever is not None and out.lever not in levers:
        problems.append(problem(f"unknown lever (defined: {', '.join(levers) or 'none'})",
                                ("outcome",), value=out.lever))
    if problems:
        raise InputError(problems)


_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}


@dataclass(frozen=True)
class Condition:
    """``OUTCOME OP NUMBER``, e.g. ``delta_p_deal@26:oil-sanctions >= 0.05``."""

    outcome: str
    op: str
    threshold: float

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Where the condition holds, (n,) booleans."""
        return _OPS[self.op](values, self.threshold)

    def __str__(self) -> str:
        return f"{self.outcome} {self.op} {self.threshold:g}"


def parse_condition(text: str, lever: str | None = None) -> Condition:
    """Parse ``OUTCOME OP NUMBER`` (OP one of >=, <=, >, <); a ``delta_p_deal@W`` without a
    lever takes ``lever``."""
    m = re.fullmatch(r"\s*(\S+?)\s*(>=|<=|>|<)\s*([-+0-9.eE]+)\s*", text)
    if m is None:
        raise InputError([problem("expected OUTCOME OP NUMBER with OP one of >=, <=, >, < "
                                  "(e.g. 'delta_p_deal@26 >= 0.05')", ("where",), value=text)])
    name, op, number = m.groups()
    if re.fullmatch(r"delta_p_deal@\d+", name):
        if lever is None:
            raise InputError([problem("delta_p_deal@W needs a lever: give --lever or write "
                                      "delta_p_deal@W:LEVER", ("where",), value=text)])
        name = f"{name}:{lever}"
    try:
        value = float(number)
    except ValueError:
        raise InputError([problem("the threshold must be a number", ("where",),
                                  value=number)]) from None
    return Condition(name, op, value)
