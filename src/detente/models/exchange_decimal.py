"""Parts of the decimal engine's round (``DecimalRound``, MODELS.md §4.2-4.3) in compiled code on
the exact decimal type of :mod:`detente.models.exact_decimal`, the same operations in the same
order, so each gives ``DecimalRound``'s numbers digit for digit (tests/test_exchange_decimal.py).

Not yet a round: the exchange loop (steps 4-7 with decide's bookkeeping) still runs in
``exchange.run_round``; these are the building blocks a compiled decimal round is made of, and
nothing the user runs selects them yet (issue 14).

Numbers are rows of ``SIZE`` int64 entries (see ``exact_decimal``); tables of numbers are arrays
(..., SIZE): x, s, c (N, D, SIZE) for N actors on D issues.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from detente.models import exact_decimal as xd
from detente.models.exact_decimal import (
    SIZE,
    _jit,
    dec_abs,
    dec_add,
    dec_cmp,
    dec_div,
    dec_from_float,
    dec_from_int,
    dec_is_zero,
    dec_mul,
    dec_sub,
    dec_zero,
)

SALIENCE_WEIGHT, FIXED_WEIGHT = 0.4, 0.1  # §4.3 step 8; decide builds the Decimals from floats


def as_numbers(values: Any) -> np.ndarray:
    """A nested list (or object array) of ``Decimal`` as a number table (..., SIZE)."""
    arr = np.asarray(values, dtype=object)
    out = np.zeros((*arr.shape, SIZE), dtype=np.int64)
    for index in np.ndindex(arr.shape):
        xd.from_decimal(Decimal(arr[index]), out[index])
    return out


def as_decimals(numbers: np.ndarray) -> np.ndarray:
    """A number table (..., SIZE) as an object array of ``Decimal``."""
    shape = numbers.shape[:-1]
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        out[index] = xd.to_decimal(numbers[index])
    return out


@_jit
def round_tables(x, s, c, actors, counts):  # type: ignore[no-untyped-def]
    """``DecimalRound.__init__``'s tables: cs = c · s (N, D), the terms x · s · c of each issue's
    actors in summation order (D, N; ``actors[d, :counts[d]]``, the order of decide's rows),
    their running sums prefix (D, N + 1) from 0, added left to right, the denominators
    W_d = Σ s · c (D) in the same order and the outcomes O_d = prefix_d[-1] / W_d (0 if W_d = 0)
    (§4.2)."""
    n, d_n = x.shape[0], x.shape[1]
    cs = np.zeros((n, d_n, SIZE), dtype=np.int64)
    terms = np.zeros((d_n, n, SIZE), dtype=np.int64)
    prefix = np.zeros((d_n, n + 1, SIZE), dtype=np.int64)
    denominator = np.zeros((d_n, SIZE), dtype=np.int64)
    outcome = np.zeros((d_n, SIZE), dtype=np.int64)
    sc = np.zeros(SIZE, dtype=np.int64)
    for k in range(n):
        for d in range(d_n):
            dec_mul(c[k, d], s[k, d], cs[k, d])
    for d in range(d_n):
        dec_from_int(0, prefix[d, 0])
        dec_from_int(0, denominator[d])
        for m in range(counts[d]):
            k = actors[d, m]
            dec_mul(x[k, d], s[k, d], terms[d, m])
            dec_mul(terms[d, m], c[k, d], terms[d, m])
            dec_add(prefix[d, m], terms[d, m], prefix[d, m + 1])
            dec_mul(s[k, d], c[k, d], sc)
            dec_add(denominator[d], sc, denominator[d])
        if dec_is_zero(denominator[d]):
            dec_zero(outcome[d])
        else:
            dec_div(prefix[d, counts[d]], denominator[d], outcome[d])
    return cs, terms, prefix, denominator, outcome


@_jit
def equal_gain_moves(i_x, i_demand_x, j_x, j_demand_x, i_rate, j_rate, s_i_q, c_i_q, s_j_p,  # type: ignore[no-untyped-def]
                     c_j_p, cs_i_q, cs_j_p, den_p, den_q, out):
    """``DecimalRound.equal_gain_moves`` (§4.3 step 4): out (4, SIZE) = (ΔO_p, ΔO_q, |Δx_i|,
    |Δx_j|) for i supplying q and j supplying p; j first moves all the way to i's position on p,
    and if i would then overshoot j's position on q, i moves fully instead."""
    dp, dq, i_move, j_move = out[0], out[1], out[2], out[3]
    i_full = np.zeros(SIZE, dtype=np.int64)
    dec_sub(i_demand_x, j_x, j_move)
    dec_abs(j_move, j_move)  # j_move = |i.demand_x - j.x|
    dec_mul(j_move, s_j_p, dp)
    dec_mul(dp, c_j_p, dp)
    dec_div(dp, den_p, dp)  # dp = j_move s_j c_j / W_p
    dec_mul(j_rate, dp, dq)
    dec_mul(dq, den_q, i_move)
    dec_div(i_move, cs_i_q, i_move)
    dec_sub(j_demand_x, i_x, i_full)
    dec_abs(i_full, i_full)
    if dec_cmp(i_move, i_full) > 0:  # i would overshoot: i moves fully instead
        dec_mul(i_full, s_i_q, dq)
        dec_mul(dq, c_i_q, dq)
        dec_div(dq, den_q, dq)
        dec_mul(i_rate, dq, dp)
        for f in range(SIZE):
            i_move[f] = i_full[f]
        dec_mul(dp, den_p, j_move)
        dec_div(j_move, cs_j_p, j_move)


@_jit
def next_position(salience, start, vote, out):  # type: ignore[no-untyped-def]
    """``DecimalRound.next_position`` (§4.3 step 8): toward = (1 - s) · Decimal(0.4), then
    toward · y + Decimal(0.1) · y + (1 - toward - Decimal(0.1)) · x, left to right."""
    one = np.zeros(SIZE, dtype=np.int64)
    weight = np.zeros(SIZE, dtype=np.int64)
    fixed = np.zeros(SIZE, dtype=np.int64)
    toward = np.zeros(SIZE, dtype=np.int64)
    term = np.zeros(SIZE, dtype=np.int64)
    dec_from_int(1, one)
    dec_from_float(SALIENCE_WEIGHT, weight)
    dec_from_float(FIXED_WEIGHT, fixed)
    dec_sub(one, salience, toward)
    dec_mul(toward, weight, toward)
    dec_mul(toward, vote, out)
    dec_mul(fixed, vote, term)
    dec_add(out, term, out)
    dec_sub(one, toward, term)
    dec_sub(term, fixed, term)
    dec_mul(term, start, term)
    dec_add(out, term, out)
