"""The rows of the arrays the coupled kernel's compiled loops (:mod:`detente.war.coupled_loops`)
read and write, and the loops' signatures: apart from the loops, so that their driver
(:mod:`detente.war.coupled_fast`) names them without importing numba."""

from __future__ import annotations

# the week's parameters in force (p_now), rows of ``par``
PAR = ("R.effectiveness", "U.effectiveness", "U.lethality", "R.lethality", "R.recruitment",
       "U.recruitment", "R.cost", "R.casualty_cost", "U.cost", "U.casualty_cost",
       "economy.output", "economy.price", "economy.shortfall_cost", "R.collapse", "U.collapse")
(EFF_R, EFF_U, LETH_U, LETH_R, RECRUIT_R, RECRUIT_U, COST_R_P, CASCOST_R, COST_U_P, CASCOST_U,
 OUTPUT, PRICE, SHORTFALL, COLLAPSE_R_P, COLLAPSE_U_P) = range(len(PAR))
# the simulation's constants, rows of ``fixed``
FIXED = ("high_tempo", "band", "step", "noise", "high_revenue", "high_cost", "revenue0",
         "discontent_decay", "collapse_slope", "U.capacity", "R.capacity", "U.forces0",
         "R.forces0")
(HIGH_TEMPO, BAND, STEP, NOISE, HIGH_REVENUE, HIGH_COST, REVENUE0, DECAY, SLOPE, CAP_U, CAP_R,
 FORCES0_U, FORCES0_R) = range(len(FIXED))
# the state, rows of ``state``; HAZARD holds the collapse exponent, then numpy's exp of it
STATE = ("forces.R", "forces.U", "casualties.R", "casualties.U", "belief.R.a", "belief.R.b",
         "belief.U.a", "belief.U.b", "cost.R", "cost.U", "discontent", "k", "hazard")
(FORCES_R, FORCES_U, CAS_R, CAS_U, BELIEF_RA, BELIEF_RB, BELIEF_UA, BELIEF_UB, COST_R, COST_U,
 DISCONTENT, K, HAZARD) = range(len(STATE))
# the draws, rows of ``draws``
U_BATTLE, EPS, U_COLLAPSE_R, U_COLLAPSE_U = range(4)

SIGNATURE = ("i8(i8, i8, b1, f8, b1, f8[:, ::1], f8[:, ::1], f8[:, ::1], f8[:], f8[:, ::1], "
             "f8[:, :], f8[:, :], f8[:, :], f8[:, ::1], b1[::1], f8[:, :], f8[:, ::1], i8[:], "
             "i8[:], b1[:])")  # of coupled_loops.fight

# the third parties' constants, rows of ``th`` (each (J, B))
PARTY = ("persistence", "frustration_failed", "frustration_escalation", "retaliate_base",
         "retaliate_slope", "exit_base", "exit_slope")
PERSIST, FRUST_FAILED, FRUST_ESC, RET_BASE, RET_SLOPE, EXIT_BASE, EXIT_SLOPE = range(len(PARTY))

PARTIES_SIGNATURE = ("i8(i8, f8[:, :, ::1], f8[:, ::1], f8[:, ::1], b1[:, :], b1[:], b1[:], i8[:], "
                     "f8[:, :, ::1], f8[:, :, :])")  # of coupled_loops.parties
