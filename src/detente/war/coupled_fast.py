"""The coupled kernel's week of fighting and its third parties' step on compiled loops
(:mod:`detente.war.coupled_loops`), when they are built.

:func:`fight` is :meth:`detente.war.coupled._Simulation.fight` with the run-by-run arithmetic in
:func:`detente.war.coupled_loops.fight`: the same draws, numpy's ``exp`` for R's collapse hazard,
the same state bit for bit (tests/test_coupled_fast.py). It covers the Bernoulli battle and the
contest-success battle at exponent 1 (numpy's ``x ** 1.0`` is x), with fewer than 8 third
parties (numpy sums more in another order); other options run the numpy step.
:func:`third_parties` is :meth:`~detente.war.coupled._Simulation.third_parties` likewise, with
scipy's ``expit`` for the probabilities of retaliation and exit, for any number of parties.

As the §5 loops (:mod:`detente.war.fast`), the loops are used only from their ahead-of-time
build, ``_coupled_aot`` beside this file (``python -m detente.warm`` builds it at install; it
loads in a millisecond, without numba, and only when built from the present source).
``DETENTE_COUPLED_AOT=0`` ignores the build.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from detente.models import aot
from detente.war import coupled_layout as layout

# the simulations these steps read and update are detente.war.coupled._Simulation objects (not
# imported: that module imports this one)
_Simulation = Any

AOT_MODULE = "_coupled_aot"
SOURCES = tuple(Path(__file__).with_name(f)  # what the build compiles in
                for f in ("coupled_loops.py", "coupled_layout.py", "base.py", "jit.py"))
PARTY_SUM_ORDERED = 8  # coupled.party_sum adds in the parties' order below this many


def source_digest() -> int:
    """The digest of the loops' sources: the prebuilt module is used only if built from them."""
    return aot.source_digest(*SOURCES)


PREBUILT = aot.load_prebuilt(AOT_MODULE, source_digest, "DETENTE_COUPLED_AOT", "detente.war")


def covered(battle: str, csf_exponent: float, parties: int) -> bool:
    """Whether :func:`detente.war.coupled_loops.fight` computes these options."""
    return (battle == "bernoulli" or csf_exponent == 1.0) and parties < PARTY_SUM_ORDERED


def loops_for(battle: str, csf_exponent: float, parties: int) -> Callable[..., int] | None:
    """The prebuilt loops where they cover these options, else None (the numpy step)."""
    if PREBUILT is None or not covered(battle, csf_exponent, parties):
        return None
    return PREBUILT.fight  # type: ignore[no-any-return]


def party_loops() -> Callable[..., int] | None:
    """The prebuilt third parties' loops (any number of parties), else None (the numpy step)."""
    return None if PREBUILT is None else PREBUILT.parties  # type: ignore[no-any-return]


class Fighting:
    """The simulation's constant arrays the loops read, packed once."""

    def __init__(self, sim: _Simulation, week: Callable[..., int]) -> None:
        x = sim.x
        e, f, par = x.economy, x.front, x.war.params
        columns = {"high_tempo": e["high_tempo"], "band": f["band"], "step": f["step"],
                   "noise": f["noise"], "high_revenue": e["high_revenue"],
                   "high_cost": e["high_cost"], "revenue0": sim.revenue0,
                   "discontent_decay": e["discontent_decay"],
                   "collapse_slope": e["collapse_slope"], "U.capacity": par["U.capacity"],
                   "R.capacity": par["R.capacity"], "U.forces0": sim.forces0["U"],
                   "R.forces0": sim.forces0["R"]}
        b = sim.n_runs
        self.fixed = np.empty((len(layout.FIXED), b))
        for row, key in enumerate(layout.FIXED):
            self.fixed[row] = columns[key]
        self.fort = np.ascontiguousarray(np.stack([np.asarray(x.fort_at, dtype=float),
                                                   np.asarray(x.fort_width, dtype=float)]))
        self.fort_factor = np.asarray(x.fort_factor, dtype=float)
        self.red = np.ascontiguousarray(np.concatenate([sim.red_threshold, sim.red_softening]),
                                        dtype=float)
        self.red_r = np.ascontiguousarray(np.asarray(x.red_actor) == x.r, dtype=np.bool_)
        self.aid = sim.th["aid"] if x.parties.size else np.zeros((0, b))
        self.lattice = bool(sim.m.lattice)
        self.steps = float(x.war.steps)
        self.csf = sim.o.battle != "bernoulli"
        self.week = week
        self.par = np.empty((len(layout.PAR), b))
        self.draws = np.empty((4, b))


def fight(sim: _Simulation, fighting: Fighting, t: int, p: dict[str, np.ndarray],
          u_battle: np.ndarray, eps: np.ndarray, u_collapse: np.ndarray) -> None:
    """Week t's fighting for every run still fighting, into ``sim``'s state: what the numpy
    step gives. The state's arrays are new ones (as the numpy step's on every run), so an array
    read earlier in the week keeps its values."""
    par, draws = fighting.par, fighting.draws
    for row, key in enumerate(layout.PAR):
        par[row] = p[key]
    draws[layout.U_BATTLE], draws[layout.EPS] = u_battle, eps
    draws[layout.U_COLLAPSE_R], draws[layout.U_COLLAPSE_U] = u_collapse[1], u_collapse[2]
    state = np.empty((len(layout.STATE), sim.n_runs))
    for row, value in enumerate(_state_rows(sim)):
        state[row] = value
    engaged = sim.engaged if sim.x.parties.size else np.zeros((0, sim.n_runs))
    args: tuple[Any, ...] = (
        t, fighting.lattice, fighting.steps, fighting.csf, par, fighting.fixed, state,
        sim.m.tempo_now[t], fighting.fort, fighting.fort_factor, engaged, fighting.aid,
        fighting.red, fighting.red_r, sim.red_offset, draws, sim.status, sim.end_week,
        sim.high)
    fighting.week(0, *args)
    np.exp(state[layout.HAZARD], out=state[layout.HAZARD])
    fighting.week(1, *args)
    sim.forces["R"], sim.forces["U"] = state[layout.FORCES_R], state[layout.FORCES_U]
    sim.casualties["R"], sim.casualties["U"] = state[layout.CAS_R], state[layout.CAS_U]
    sim.belief["R"][:] = [state[layout.BELIEF_RA], state[layout.BELIEF_RB]]
    sim.belief["U"][:] = [state[layout.BELIEF_UA], state[layout.BELIEF_UB]]
    sim.cost["R"], sim.cost["U"] = state[layout.COST_R], state[layout.COST_U]
    sim.discontent = state[layout.DISCONTENT]
    sim.k = state[layout.K]
    sim._k_clipped = True


class Parties:
    """The third parties' constant arrays the loops read, packed once, and their logits."""

    def __init__(self, sim: _Simulation, week: Callable[..., int]) -> None:
        self.th = np.ascontiguousarray(np.stack([sim.th[key] for key in layout.PARTY]),
                                       dtype=float)  # (len(PARTY), J, B)
        self.z = np.zeros((2, *sim.phi.shape))
        self.week = week


def third_parties(sim: _Simulation, parties: Parties, failed: np.ndarray, draws: np.ndarray
                  ) -> None:
    """The week's frustration, retaliation and exits (``draws`` (2, J, B)) into ``sim``'s
    state: what the numpy step gives, in new arrays of φ and the engagements."""
    phi, engaged = sim.phi.copy(), sim.engaged.copy()
    args = (parties.th, phi, engaged, sim.retaliated, failed, sim.high, sim.status, parties.z,
            draws)
    parties.week(0, *args)
    expit(parties.z, out=parties.z)
    gone = parties.week(1, *args)
    sim.phi, sim.engaged = phi, engaged
    sim._left = gone > 0


def _state_rows(sim: _Simulation) -> tuple[np.ndarray, ...]:
    """The state's arrays in the order of :data:`detente.war.coupled_layout.STATE` (the last,
    the hazard's working row, any values)."""
    return (sim.forces["R"], sim.forces["U"], sim.casualties["R"], sim.casualties["U"],
            sim.belief["R"][0], sim.belief["R"][1], sim.belief["U"][0], sim.belief["U"][1],
            sim.cost["R"], sim.cost["U"], sim.discontent, sim.k, sim.discontent)


def build(output_dir: Path | None = None) -> Path:
    """Compile :func:`detente.war.coupled_loops.fight` and ``parties`` ahead of time into
    ``_coupled_aot`` beside this file (see :func:`detente.models.aot.build_module`); needs
    numba and a C compiler."""
    from detente.war import coupled_loops as loops

    if loops.njit is None:
        raise RuntimeError("building the compiled coupled loops needs numba")
    return aot.build_module(AOT_MODULE, "fight", loops.fight.py_func, layout.SIGNATURE,
                            source_digest(), output_dir or Path(__file__).parent,
                            more=(("parties", loops.parties.py_func, layout.PARTIES_SIGNATURE),),
                            error_model="numpy")
