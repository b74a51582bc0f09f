"""The §5 war kernel on compiled weekly loops (:mod:`detente.war.loops`), when they are built.

:func:`simulate_block` is :func:`detente.war.kernel._simulate_block` for the smith-stam variant
with the run-by-run arithmetic in :func:`detente.war.loops.week`: the same streams, drawn the
same way, the levers and deadlines applied by the numpy kernel's own functions, numpy's ``log``,
``log1p`` and ``expm1`` on the runs still fighting, and the same outputs bit for bit (a test
pins them). The contest-success function is compiled at exponent 1 (numpy's ``x ** 1.0`` is x);
other exponents, and the powell and fearon variants, run the numpy kernel.

The loops are used only from their ahead-of-time build, ``_war_aot`` beside this file
(``python -m detente.warm`` builds it at install; it loads in a millisecond, without numba, and
only when built from the present :mod:`~detente.war.loops` source). Without it the numpy
kernel runs: importing numba and loading its cache would cost about what the loops save on
one ``simulate``. ``DETENTE_WAR_AOT=0`` ignores the build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from detente.compile import WarInputs
from detente.models import aot
from detente.options import WarOptions
from detente.seeds import Streams
from detente.war import layout
from detente.war.base import (
    AGREEMENT,
    FIGHTING,
    WarOutcome,
    deadline_state,
    deadlines,
    effective_parameters,
    outcome,
    threat_cost,
    weekly_draws,
)

AOT_MODULE = "_war_aot"
# what the build compiles in: the loops, their layout, the codes they import
SOURCES = tuple(Path(__file__).with_name(f) for f in ("loops.py", "layout.py", "base.py",
                                                     "jit.py"))


def source_digest() -> int:
    """The digest of the loops' sources: the prebuilt module is used only if built from them."""
    return aot.source_digest(*SOURCES)


PREBUILT = aot.load_prebuilt(AOT_MODULE, source_digest, "DETENTE_WAR_AOT", "detente.war")


def compiled(options: WarOptions) -> bool:
    """Whether the compiled loops cover these options (and are built)."""
    return PREBUILT is not None and covered(options)


def covered(options: WarOptions) -> bool:
    """Whether :func:`simulate_block` computes these options (smith-stam; bernoulli or the
    contest-success function at exponent 1)."""
    return options.variant == "smith-stam" and (
        options.battle == "bernoulli" or options.csf_exponent == 1.0)


def rule_code(options: WarOptions) -> int:
    """The proposer, offer rule and battle as :func:`detente.war.loops.week`'s ``rule``."""
    return (layout.PROPOSERS.index(options.proposer)
            + 4 * layout.OFFER_RULES.index(options.offer_rule)
            + 8 * layout.BATTLES.index(options.battle))


def initial_state(inputs: WarInputs) -> tuple[np.ndarray, np.ndarray]:
    """The (len(STATE), B) float and (len(COUNTS), B) integer state before week 0."""
    b, par = inputs.runs, inputs.params
    state = np.zeros((len(layout.STATE), b))
    state[layout.K] = np.rint(par["front.start"])
    state[layout.FORCES_R] = state[layout.START_R] = par["R.forces"]
    state[layout.FORCES_U] = state[layout.START_U] = par["U.forces"]
    for row, key in ((layout.A_R, "R.belief.a"), (layout.B_R, "R.belief.b"),
                     (layout.A_U, "U.belief.a"), (layout.B_U, "U.belief.b"),
                     (layout.DL_A, "deadline_belief.a"), (layout.DL_B, "deadline_belief.b")):
        state[row] = par[key]
    state[layout.SHARE] = np.nan
    counts = np.zeros((len(layout.COUNTS), b), dtype=np.int64)
    counts[layout.STATUS] = FIGHTING
    counts[layout.END_WEEK] = inputs.horizon
    counts[layout.FIRST] = -1
    return state, counts


def _week_parameters(inputs: WarInputs, p: dict[str, np.ndarray], out: np.ndarray
                     ) -> np.ndarray:
    """The week's parameters into ``out`` (len(PARAMS), B) and the breakdown hazard (B,); the
    capacities and the guarantees' effect stay the scenario's, as in the numpy kernel."""
    par = inputs.params
    for row, key in enumerate(layout.PARAMS):
        out[row] = par[key] if key.endswith("capacity") else p[key]
    return p["breakdown.base"] * np.exp(-par["breakdown.guarantee_effect"] * p["guarantees"])


def simulate_block(inputs: WarInputs, options: WarOptions, streams: Streams,
                   week: Callable[..., Any] | None = None) -> WarOutcome:
    """One block of runs, week by week, on the compiled loops ``week`` (default: the prebuilt
    module's); the numbers of :func:`detente.war.kernel._simulate_block`."""
    week = week or PREBUILT.week  # type: ignore[union-attr]
    b, n, horizon = inputs.runs, inputs.steps, inputs.horizon
    state, counts = initial_state(inputs)
    in_force = np.zeros((horizon, b), dtype=bool)  # week-major: each week writes one row
    front = np.empty((horizon + 1, b))
    front[0] = state[layout.K]
    due, threatened, enforced = deadline_state(inputs)
    tough = streams.block_generator("war.type").random(b) < options.tough_prior
    par = np.empty((len(layout.PARAMS), b))
    idx, scratch = np.empty(b, dtype=np.int64), np.empty(layout.SCRATCH * b)
    rule = rule_code(options)
    levers_on = None
    for t in range(horizon):
        u = weekly_draws(streams, "war", t, (b, 4))
        # a week in which no deadline falls due changes nothing of the deadlines (each week
        # draws from its own stream, so its draws are skipped without moving any other), and
        # the parameters change only when a deadline is enforced or a lever starts or ends
        falls_due = any((week_due == t).any() for week_due in due.values())
        if falls_due:
            deadlines(inputs, streams, t, counts[layout.STATUS], due, threatened, enforced,
                      state[layout.DL_A], state[layout.DL_B])
        now = tuple(lv.start <= t and (lv.end is None or t < lv.end) for lv in inputs.levers)
        if falls_due or now != levers_on:
            hazard = _week_parameters(inputs, effective_parameters(inputs, t, enforced), par)
            threat = threat_cost(inputs, t, threatened)
            levers_on = now
        args = (state, counts, u, par, hazard, threat, idx, scratch, in_force[t], front[t + 1])
        m = week(0, t, n, 0, rule, *args)
        if m:
            _logs(scratch, b, m)
            week(1, t, n, m, rule, *args)
            np.expm1(scratch[layout.EXPONENTS * b:layout.EXPONENTS * b + 4 * m],
                     out=scratch[layout.EXPM1 * b:layout.EXPM1 * b + 4 * m])
        if not week(2, t, n, m, rule, *args):  # nothing can change any more
            in_force[t + 1:] = counts[layout.STATUS] == AGREEMENT
            front[t + 2:] = state[layout.K]
            break
    # run-major here, in the block's thread (the week's row was written contiguous: writing
    # run-major columns from the loops took longer than this copy)
    return outcome(inputs, counts[layout.STATUS].copy(), counts[layout.END_WEEK].copy(),
                   counts[layout.FIRST].copy(), state[layout.SHARE].copy(),
                   np.ascontiguousarray(in_force.T), counts[layout.BREAKDOWNS].copy(),
                   np.ascontiguousarray(front.T), state[layout.COST_R].copy(),
                   state[layout.COST_U].copy(), tough)


def _logs(scratch: np.ndarray, b: int, m: int) -> None:
    """numpy's log1p(-p̂) and log(p̂) of the 2m odds of pass 0 (log ω = their difference)."""
    odds = slice(layout.ODDS * b, layout.ODDS * b + 2 * m)
    np.log1p(scratch[layout.NEG_ODDS * b:layout.NEG_ODDS * b + 2 * m],
             out=scratch[layout.LOG1P * b:layout.LOG1P * b + 2 * m])
    np.log(scratch[odds], out=scratch[layout.LOG * b:layout.LOG * b + 2 * m])


def build(output_dir: Path | None = None) -> Path:
    """Compile :func:`detente.war.loops.week` ahead of time into ``_war_aot`` beside this file
    (see :func:`detente.models.aot.build_module`); needs numba and a C compiler."""
    from detente.war import loops

    if loops.njit is None:
        raise RuntimeError("building the compiled war loops needs numba")
    return aot.build_module(AOT_MODULE, "week", loops.week.py_func, layout.SIGNATURE,
                            source_digest(), output_dir or Path(__file__).parent,
                            error_model="numpy")
