"""The war-termination base rate: the hazard of a war ending by a date given how long it has lasted.

MODELS.md §6.4 asks for a reference class of conflict durations (e.g. UCDP's conflict-termination
data, CC BY 4.0). No such data set can be downloaded in detente's build environment, so the table
below is an ASSUMPTION written by us, not data: 40 stylised war durations in months, shaped after
what the literature reports qualitatively (Bennett & Stam 1996; most interstate wars end within a
year, a long tail lasts five years or more). Pass real durations to :func:`ending_probability`
(``durations=``) to replace it; every output that uses the table says so.
"""

from __future__ import annotations

from datetime import date

import numpy as np

REFERENCE_NOTE = ("war-duration base rate from a stylised table of 40 durations written by "
                  "detente's authors (an assumption, not a data set: no conflict-termination "
                  "data could be obtained); see detente.forecast.reference_class")

# months; an assumption (see the module docstring), sorted for reading
ASSUMED_DURATIONS_MONTHS: tuple[float, ...] = (
    0.25, 0.5, 0.5, 0.75, 1, 1, 1, 1.5, 2, 2, 2.5, 3, 3, 4, 4, 5, 6, 6, 7, 8,
    9, 10, 12, 12, 14, 16, 18, 20, 24, 27, 30, 36, 40, 48, 56, 64, 72, 96, 100, 120,
)
MIN_AT_RISK = 5  # fewer wars than this still going: use the constant-hazard tail
DAYS_PER_MONTH = 365.25 / 12


def ending_probability(elapsed_months: float, within_months: float,
                       durations: np.ndarray | tuple[float, ...] = ASSUMED_DURATIONS_MONTHS,
                       ) -> float:
    """P(a war ends within ``within_months`` | it has lasted ``elapsed_months``).

    Empirical survival S: (S(d) - S(d + h)) / S(d). When fewer than 5 wars of the class lasted
    beyond d, a constant hazard λ fitted to the wars that outlasted the median (ends / months at
    risk beyond the median) gives 1 - exp(-λ h).
    """
    t = np.sort(np.asarray(durations, dtype=float))
    at_risk = t[t > elapsed_months]
    if at_risk.size >= MIN_AT_RISK:
        return float(np.mean(at_risk <= elapsed_months + within_months))
    median = float(np.median(t))
    tail = t[t > median]
    rate = tail.size / float((tail - median).sum())
    return float(1.0 - np.exp(-rate * within_months))


def war_ending_by(conflict_start: date, as_of: date, by: date,
                  durations: np.ndarray | tuple[float, ...] = ASSUMED_DURATIONS_MONTHS) -> float:
    """The base rate for "the war has ended by ``by``", seen from ``as_of``."""
    elapsed = (as_of - conflict_start).days / DAYS_PER_MONTH
    within = max((by - as_of).days, 0) / DAYS_PER_MONTH
    return ending_probability(elapsed, within, durations)
