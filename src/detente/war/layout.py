"""The array layout shared by the compiled weekly loops (:mod:`detente.war.loops`) and their
driver (:mod:`detente.war.fast`): rows of the state, count and parameter matrices, offsets of
the scratch buffer, the codes of the rules, and the loops' signature. Plain constants: the
driver imports them without numba."""

STATE = ("front", "forces.R", "forces.U", "start.R", "start.U", "belief.R.a", "belief.R.b",
         "belief.U.a", "belief.U.b", "deadline_belief.a", "deadline_belief.b", "share",
         "cost.R", "cost.U", "casualties.R", "casualties.U")
(K, FORCES_R, FORCES_U, START_R, START_U, A_R, B_R, A_U, B_U, DL_A, DL_B, SHARE, COST_R,
 COST_U, CAS_R, CAS_U) = range(len(STATE))
COUNTS = ("status", "end_week", "first_agreement", "breakdowns")
STATUS, END_WEEK, FIRST, BREAKDOWNS = range(len(COUNTS))
PARAMS = ("R.cost", "U.cost", "R.casualty_cost", "U.casualty_cost", "guarantee_value",
          "guarantees", "R.effectiveness", "U.effectiveness", "R.lethality", "U.lethality",
          "R.recruitment", "U.recruitment", "R.collapse", "U.collapse", "R.capacity",
          "U.capacity")
(P_COST_R, P_COST_U, P_CASCOST_R, P_CASCOST_U, P_GVALUE, P_GUARANTEES, P_EFF_R, P_EFF_U,
 P_LETH_R, P_LETH_U, P_RECRUIT_R, P_RECRUIT_U, P_COLLAPSE_R, P_COLLAPSE_U, P_CAP_R,
 P_CAP_U) = range(len(PARAMS))
# scratch offsets, in units of B: odds p̂ (R's then U's), -p̂, log1p(-p̂), log p̂ (2B each), the
# exponents a s then n s and their expm1 (4B each), weekly costs of R and U (B each)
ODDS, NEG_ODDS, LOG1P, LOG, EXPONENTS, EXPM1, WEEK_COST_R, WEEK_COST_U = (
    0, 2, 4, 6, 8, 12, 16, 17)
SCRATCH = 18
# rule codes: proposer + 4 offer rule + 8 battle
PROPOSERS = ("mediator", "alternating", "R", "U")
OFFER_RULES = ("midpoint", "tioli")
BATTLES = ("csf", "bernoulli")
SIGNATURE = ("i8(i8, i8, i8, i8, i8, f8[:, ::1], i8[:, ::1], f8[:, ::1], f8[:, ::1], f8[::1], "
             "f8[::1], i8[::1], f8[::1], b1[::1], f8[::1])")
