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
from pathlib import Path
from typing import Any

import numpy as np

from detente.models import exact_decimal as xd
from detente.models.exact_decimal import (
    BASE,
    DIGITS,
    LIMBS,
    PREC,
    SIZE,
    _jit,
    _ndigits,
    _shift_into,
    dec_abs,
    dec_abs_w,
    dec_add,
    dec_add_w,
    dec_cmp,
    dec_cmp_w,
    dec_copy,
    dec_div,
    dec_div_w,
    dec_from_float,
    dec_from_int,
    dec_is_zero,
    dec_mul,
    dec_mul_w,
    dec_neg_w,
    dec_sub,
    dec_sub_w,
    dec_zero,
    scratch,
)

SALIENCE_WEIGHT, FIXED_WEIGHT = 0.4, 0.1  # §4.3 step 8; decide builds the Decimals from floats

if xd.njit is not None:
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def borrowed(typingctx, arr):  # type: ignore[no-untyped-def]
        """A view of ``arr`` that does not own its memory (no reference count): views taken
        from it (a number of a table, ``F[e, side, field]``) then cost no atomic counter
        updates, which are otherwise most of a decimal operation's time. The caller keeps
        ``arr`` itself alive while the view is used."""
        if not isinstance(arr, types.Array):
            return None

        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            src = context.make_array(arr)(context, builder, value=args[0])
            out = context.make_array(arr)(context, builder)
            out.meminfo = cgutils.get_null_value(out.meminfo.type)
            out.parent = cgutils.get_null_value(out.parent.type)
            out.nitems, out.itemsize, out.data = src.nitems, src.itemsize, src.data
            out.shape, out.strides = src.shape, src.strides
            return out._getvalue()

        return arr(arr), codegen
else:
    def borrowed(arr):  # type: ignore[no-untyped-def]
        return arr


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


# -- the round: steps 1-8 with decide's bookkeeping, on exact decimals --------------------------
#
# ``run_round`` mirrors ``exchange.run_round`` with ``DecimalRound`` and ``PlainExchange`` (the
# literal loop the shortcuts are pinned to: recalculations in pool order, every crossing test
# computed, no memo), the same operations in the same order, so every number is the
# interpreted engine's. Randomised gains (p > 0) are not compiled: the caller runs those rounds
# interpreted. Exchanges are rows: per party its numbers F[e, side, field] (SIZE entries each),
# integers IV[e, side, field]; per exchange its recorded voting positions on its two issues
# (REC[e, slot, actor], HAS[e, slot, actor], NREC[e, slot]) and its gain G[e] with a sort key
# K[e] (three int64 ordering the 28-digit gains by value).
#
# A party's move history (``Party.moves``) is kept as its last move F[MOVE] and the prefix
# before it: its length NPRE and the ``move_ok`` / ``reverses`` aggregates of the prefix, its
# running sum from 0 added left to right (as ``sum(moves, zero)`` adds), its minimum and maximum.
# ``recalculate`` appends the partner's move and drops both last moves: for a party whose issue
# the realised exchange moved, its last move joins the prefix; for the other, the last is
# replaced.

PX, PSTART, PDEMX, PSSUP, PSDEM, PCSUP, PRATE, PMOVE, PDOUT, PY, PEU, PSUM, PMIN, PMAX = range(14)
NFIELDS = 18
RECORDED_FIELDS = 11  # PX .. PEU: a realised party as ``Party.cast`` keeps it
IA, ISUP, IDEM, NPRE = range(4)
UMOVE, UDOUT, UY, UGAIN = 14, 15, 16, 17  # ``Exchange.uncapped``: the equal-gain moves
MEMO_SLOTS = 1 << 15  # the memo of weighted sums, per round (open addressing)
MEMO_WORDS = 1 << 19  # its keys' storage, int64 words; a full memo stops growing
MEMO_MASK = (1 << 40) - 1
ZERO_KEY = -(1 << 62)


@_jit
def _gain_key(g, key, W):  # type: ignore[no-untyped-def]
    """A sort key of a gain g >= 0 of at most 28 digits: (adjusted exponent, top 14 and low 14
    digits of the coefficient scaled to 28 digits), ordered as the values."""
    nd = _ndigits(g[2:], LIMBS)
    if nd == 0:
        key[0], key[1], key[2] = ZERO_KEY, 0, 0
        return
    w = W[0, :LIMBS + 2]
    _shift_into(g[2:], (nd + DIGITS - 1) // DIGITS, PREC - nd, w)
    key[0] = g[1] + nd - 1
    key[1] = w[1] // 100_000 + w[2] * 10_000 + w[3] * 10_000_000_000_000
    key[2] = w[0] + (w[1] % 100_000) * BASE


@_jit
def _first(K, pool, a, b):  # type: ignore[no-untyped-def]
    """Does pool entry a come before entry b in ``pool.sort(key=gain, reverse=True)``? By gain,
    larger first, and in their present order when the gains are equal (a stable sort)."""
    ka, kb = K[pool[a]], K[pool[b]]
    for f in range(3):
        if ka[f] != kb[f]:
            return ka[f] > kb[f]
    return a < b


@_jit
def _merge_sort(K, pool, idx, tmp):  # type: ignore[no-untyped-def]
    """Sort the positions idx (of pool entries) by ``_first``, bottom-up merge sort."""
    n = idx.shape[0]
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            a, b, k = lo, mid, lo
            while a < mid and b < hi:
                if _first(K, pool, idx[b], idx[a]):
                    tmp[k] = idx[b]
                    b += 1
                else:
                    tmp[k] = idx[a]
                    a += 1
                k += 1
            while a < mid:
                tmp[k] = idx[a]
                a += 1
                k += 1
            while b < hi:
                tmp[k] = idx[b]
                b += 1
                k += 1
        for k in range(n):
            idx[k] = tmp[k]
        width *= 2


@_jit
def _sort_pool(K, pool, length, clean, dirty):  # type: ignore[no-untyped-def]
    """``pool.sort(key=gain, reverse=True)`` on pool[:length]: the entries whose exchange kept
    its gain since the last sort and that stood in the sorted part (positions < ``clean``) are
    in order already; the others are sorted and merged in, ties by present position (the
    result of a stable sort, whatever the algorithm)."""
    keep = np.empty(length, dtype=np.int64)
    moved = np.empty(length, dtype=np.int64)
    nk, nm = 0, 0
    for k in range(length):
        if k < clean and not dirty[pool[k]]:
            keep[nk] = k
            nk += 1
        else:
            moved[nm] = k
            nm += 1
    if nm == 0:
        return
    moved = moved[:nm]
    _merge_sort(K, pool, moved, np.empty(nm, dtype=np.int64))
    order = np.empty(length, dtype=np.int64)
    a, b, k = 0, 0, 0
    while a < nk and b < nm:
        if _first(K, pool, moved[b], keep[a]):
            order[k] = moved[b]
            b += 1
        else:
            order[k] = keep[a]
            a += 1
        k += 1
    while a < nk:
        order[k] = keep[a]
        a += 1
        k += 1
    while b < nm:
        order[k] = moved[b]
        b += 1
        k += 1
    old = pool[:length].copy()
    for k in range(length):
        pool[k] = old[order[k]]


@_jit
def _weighted_sum(tb, REC, HAS, e, slot, issue, actor, position, actor_wins, out):  # type: ignore[no-untyped-def]
    """``DecimalRound._weighted_sum``: Σ x s c on ``issue`` with exchange e's recorded positions
    (slot ``slot``) and ``actor`` at ``position`` (over a recorded one if ``actor_wins``, as
    ``outcome_with``; under it otherwise, as ``move_to_outcome``), in summation order, from the
    prefix before the first replaced term."""
    s, slotpos = tb[1], tb[10]
    table, keys, values, state, key = tb[13], tb[14], tb[15], tb[16], tb[17]
    # the memo (DecimalRound.memo): the sum is a function of the issue and the positions that
    # replace terms, so those, by actor, are the key; a hit is the same sum
    length, h = 2, issue
    for k in range(s.shape[0]):
        if slotpos[issue, k] < 0:
            continue
        if k == actor and (actor_wins or not HAS[e, slot, k]):
            v = position
        elif HAS[e, slot, k]:
            v = REC[e, slot, k]
        else:
            continue
        key[length] = k
        h = (h * 1_000_003 + k) & MEMO_MASK
        for f in range(SIZE):
            key[length + 1 + f] = v[f]
            h = (h * 1_000_003 + v[f]) & MEMO_MASK
        length += 1 + SIZE
    key[0], key[1] = length, issue
    at = h & (table.shape[0] - 1)
    while table[at] >= 0:
        start = table[at]
        same = keys[start] == length
        f = 1
        while same and f < length:
            same = keys[start + f] == key[f]
            f += 1
        if same:
            dec_copy(values[at], out)
            return
        at = (at + 1) & (table.shape[0] - 1)
    _sum_replaced(tb, REC, HAS, e, slot, issue, actor, position, actor_wins, out)
    if state[1] < table.shape[0] // 2 and state[0] + length <= keys.shape[0]:
        table[at] = state[0]
        for f in range(length):
            keys[state[0] + f] = key[f]
        dec_copy(out, values[at])
        state[0] += length
        state[1] += 1


@_jit
def _sum_replaced(tb, REC, HAS, e, slot, issue, actor, position, actor_wins, out):  # type: ignore[no-untyped-def]
    """The sum of ``_weighted_sum``, computed."""
    s, c, terms, prefix, actors, counts, slotpos = tb[1], tb[2], tb[4], tb[5], tb[8], tb[9], tb[10]
    W, term = tb[11], tb[12][0]
    count = counts[issue]
    first = count
    for k in range(s.shape[0]):
        if HAS[e, slot, k] or k == actor:
            m = slotpos[issue, k]
            if 0 <= m < first:
                first = m
    dec_copy(prefix[issue, first], out)
    for m in range(first, count):
        k = actors[issue, m]
        if k == actor and (actor_wins or not HAS[e, slot, k]):
            dec_mul_w(position, s[k, issue], term, W)
        elif HAS[e, slot, k]:
            dec_mul_w(REC[e, slot, k], s[k, issue], term, W)
        else:
            dec_add_w(out, terms[issue, m], out, W)
            continue
        dec_mul_w(term, c[k, issue], term, W)
        dec_add_w(out, term, out, W)


# constants: rows of the table CONST built by ``_constants``
C_ZERO, C_HUNDRED, C_TINY, C_MARGIN, C_MOVE_LIMIT, C_TIE, C_ONE = range(7)


@_jit
def _constants():  # type: ignore[no-untyped-def]
    """Decimal(0), Decimal(100), Decimal.from_float(1e-10) (exact), CROSSING_MARGIN 1e-12,
    MOVE_LIMIT 10^6, TIE_DECIMAL 1e-20 and 1, as ``exchange`` defines them."""
    out = np.zeros((7, SIZE), dtype=np.int64)
    dec_from_int(100, out[C_HUNDRED])
    dec_from_float(1e-10, out[C_TINY])
    out[C_MARGIN, 2], out[C_MARGIN, 1] = 1, -12
    dec_from_int(1_000_000, out[C_MOVE_LIMIT])
    out[C_TIE, 2], out[C_TIE, 1] = 1, -20
    dec_from_int(1, out[C_ONE])
    return out


@_jit
def _slot_of(P, e, issue):  # type: ignore[no-untyped-def]
    return 0 if P[e, 0] == issue else 1


@_jit
def _outcome_with(tb, REC, HAS, NREC, e, slot, issue, actor, position, out):  # type: ignore[no-untyped-def]
    """``DecimalRound.outcome_with``: O on ``issue`` with exchange e's recorded positions and
    ``actor`` at ``position`` (§4.2)."""
    xs, den, outcome, W = tb[0], tb[6], tb[7], tb[11]
    if NREC[e, slot] == 0 and dec_cmp_w(position, xs[actor, issue], W) == 0:
        dec_copy(outcome[issue], out)
        return
    if dec_is_zero(den[issue]):
        dec_zero(out)
        return
    _weighted_sum(tb, REC, HAS, e, slot, issue, actor, position, True, out)
    dec_div_w(out, den[issue], out, W)


@_jit
def _move_ok(F, IV, CONST, e, side, W):  # type: ignore[no-untyped-def]
    """``Party.move_ok`` (§4.3 step 6) on the party's last move and its history's prefix."""
    f = F[e, side]
    size = W[2, :SIZE]  # free between the operations
    dec_abs_w(f[PMOVE], size, W)
    if dec_cmp_w(size, CONST[C_HUNDRED], W) > 0 or dec_cmp_w(size, CONST[C_TINY], W) <= 0:
        return False
    if dec_cmp_w(f[PY], CONST[C_ZERO], W) < 0 or dec_cmp_w(f[PY], CONST[C_HUNDRED], W) > 0:
        return False
    if IV[e, side, NPRE] == 0:
        return True
    dec_add_w(f[PSUM], f[PMOVE], size, W)
    if dec_cmp_w(size, CONST[C_HUNDRED], W) > 0:
        return False
    lo = f[PMIN] if dec_cmp_w(f[PMIN], f[PMOVE], W) <= 0 else f[PMOVE]
    hi = f[PMAX] if dec_cmp_w(f[PMAX], f[PMOVE], W) >= 0 else f[PMOVE]
    zero = CONST[C_ZERO]
    return ((dec_cmp_w(lo, zero, W) < 0 and dec_cmp_w(hi, zero, W) < 0)
            or (dec_cmp_w(lo, zero, W) > 0 and dec_cmp_w(hi, zero, W) > 0))


@_jit
def _absorb(F, IV, e, side, W):  # type: ignore[no-untyped-def]
    """The party's last move joins its history's prefix (sum, minimum, maximum)."""
    f = F[e, side]
    if IV[e, side, NPRE] == 0:
        dec_copy(f[PMOVE], f[PSUM])  # 0 + m: m (of 28 digits), as sum(moves, zero) starts
        dec_copy(f[PMOVE], f[PMIN])
        dec_copy(f[PMOVE], f[PMAX])
    else:
        dec_add_w(f[PSUM], f[PMOVE], f[PSUM], W)
        if dec_cmp_w(f[PMOVE], f[PMIN], W) < 0:
            dec_copy(f[PMOVE], f[PMIN])
        if dec_cmp_w(f[PMOVE], f[PMAX], W) > 0:
            dec_copy(f[PMOVE], f[PMAX])
    IV[e, side, NPRE] += 1


@_jit
def _crosses(tb, F, IV, P, REC, HAS, NREC, CONST, sums_small, e, side, target):  # type: ignore[no-untyped-def]
    """``DecimalRound.crosses``: does the party's move carry the outcome on its supply issue
    across ``target`` (§4.3 step 6)? With the move's shift where the result lands more than
    the margin from the target, the sum otherwise."""
    f = F[e, side]
    issue, actor = IV[e, side, ISUP], IV[e, side, IA]
    slot = _slot_of(P, e, issue)
    zero, W = CONST[C_ZERO], tb[11]
    before, after, size = tb[12][2], tb[12][3], tb[12][4]
    _outcome_with(tb, REC, HAS, NREC, e, slot, issue, actor, f[PX], before)
    dec_sub_w(target, before, before, W)
    if dec_is_zero(before):
        return False
    dec_abs_w(f[PMOVE], after, W)
    if sums_small and dec_cmp_w(after, CONST[C_MOVE_LIMIT], W) < 0:
        if dec_cmp_w(f[PMOVE], zero, W) > 0:
            dec_sub_w(before, f[PDOUT], after, W)
        else:
            dec_add_w(before, f[PDOUT], after, W)
        dec_abs_w(after, size, W)
        if dec_cmp_w(size, CONST[C_MARGIN], W) > 0:
            return (dec_cmp_w(before, zero, W) > 0) != (dec_cmp_w(after, zero, W) > 0)
    _outcome_with(tb, REC, HAS, NREC, e, slot, issue, actor, f[PY], after)
    dec_sub_w(target, after, after, W)
    b, a = dec_cmp_w(before, zero, W), dec_cmp_w(after, zero, W)
    return (b > 0 and a < 0) or (b < 0 and a > 0)


@_jit
def _cap(tb, F, IV, P, REC, HAS, G, e, side):  # type: ignore[no-untyped-def]
    """``Exchange._cap`` (§4.3 step 6): the party's move shortened to put the outcome on the
    partner's position, the partner's move from the equal-gain rate."""
    s, c, cs, den, W = tb[1], tb[2], tb[3], tb[6], tb[11]
    other = 1 - side
    f, g = F[e, side], F[e, other]
    issue, actor = IV[e, side, ISUP], IV[e, side, IA]
    o_issue, o_actor = IV[e, other, ISUP], IV[e, other, IA]
    slot = _slot_of(P, e, issue)
    total, t = tb[12][5], tb[12][6]
    # move_to_outcome: (target W - Σ) / (s c), the recorded positions over the party's own
    _weighted_sum(tb, REC, HAS, e, slot, issue, actor, f[PX], False, total)
    dec_mul_w(g[PDEMX], den[issue], t, W)
    dec_sub_w(t, total, t, W)
    dec_mul_w(s[actor, issue], c[actor, issue], total, W)
    dec_div_w(t, total, t, W)
    delta = f[PMOVE]
    dec_abs_w(t, delta, W)  # party.move = delta
    d_own = f[PDOUT]
    dec_abs_w(delta, d_own, W)  # shift: |Δx| s c / W
    dec_mul_w(d_own, s[actor, issue], d_own, W)
    dec_mul_w(d_own, c[actor, issue], d_own, W)
    dec_div_w(d_own, den[issue], d_own, W)
    d_other = g[PDOUT]
    dec_mul_w(f[PRATE], d_own, d_other, W)  # transfer: rate · ratio
    dec_mul_w(d_other, den[o_issue], t, W)  # move_for
    dec_div_w(t, cs[o_actor, o_issue], t, W)
    dec_abs_w(t, g[PMOVE], W)
    if dec_cmp_w(g[PX], f[PDEMX], W) > 0:
        dec_neg_w(g[PMOVE], g[PMOVE], W)
    if dec_cmp_w(f[PX], g[PDEMX], W) > 0:
        dec_neg_w(f[PMOVE], f[PMOVE], W)
    dec_add_w(g[PX], g[PMOVE], g[PY], W)
    dec_add_w(f[PX], f[PMOVE], f[PY], W)
    dec_mul_w(d_other, g[PSSUP], t, W)
    dec_mul_w(d_own, g[PSDEM], total, W)
    dec_sub_w(t, total, t, W)
    dec_abs_w(t, G[e], W)
    dec_copy(G[e], f[PEU])
    dec_copy(G[e], g[PEU])


@_jit
def _reverses(F, IV, CONST, e, side, leftward, W):  # type: ignore[no-untyped-def]
    """``exchange.reverses`` on the party's history before its next move."""
    if IV[e, side, NPRE] == 0:
        return False
    if leftward:
        return dec_cmp_w(F[e, side, PMAX], CONST[C_ZERO], W) >= 0
    return dec_cmp_w(F[e, side, PMIN], CONST[C_ZERO], W) <= 0


@_jit
def _calculate(tb, F, IV, P, REC, HAS, NREC, G, K, valid, realised, CONST, sums_small, e):  # type: ignore[no-untyped-def]
    """``Exchange.calculate`` with p = 0 (§4.3 steps 4-6): equal-gain moves, validity, the
    outcome caps of i then j (every crossing test computed)."""
    s, c, cs, den, W = tb[1], tb[2], tb[3], tb[6], tb[11]
    fi, fj = F[e, 0], F[e, 1]
    a_i, a_j = IV[e, 0, IA], IV[e, 1, IA]
    q, p = IV[e, 0, ISUP], IV[e, 1, ISUP]
    i_left = dec_cmp_w(fi[PX], fj[PDEMX], W) > 0
    j_left = dec_cmp_w(fj[PX], fi[PDEMX], W) > 0
    if ((IV[e, 0, NPRE] > 0 or IV[e, 1, NPRE] > 0) and not realised[e]
            and (_reverses(F, IV, CONST, e, 0, i_left, W)
                 or _reverses(F, IV, CONST, e, 1, j_left, W))):
        valid[e] = False
        return
    dp, dq, i_move, j_move = fj[PDOUT], fi[PDOUT], fi[PMOVE], fj[PMOVE]
    i_full, t = tb[12][7], tb[12][8]
    dec_sub_w(fi[PDEMX], fj[PX], j_move, W)
    dec_abs_w(j_move, j_move, W)
    dec_mul_w(j_move, s[a_j, p], dp, W)
    dec_mul_w(dp, c[a_j, p], dp, W)
    dec_div_w(dp, den[p], dp, W)
    dec_mul_w(fj[PRATE], dp, dq, W)
    dec_mul_w(dq, den[q], i_move, W)
    dec_div_w(i_move, cs[a_i, q], i_move, W)
    dec_sub_w(fj[PDEMX], fi[PX], i_full, W)
    dec_abs_w(i_full, i_full, W)
    if dec_cmp_w(i_move, i_full, W) > 0:  # i would overshoot: i moves fully instead
        dec_mul_w(i_full, s[a_i, q], dq, W)
        dec_mul_w(dq, c[a_i, q], dq, W)
        dec_div_w(dq, den[q], dq, W)
        dec_mul_w(fi[PRATE], dq, dp, W)
        dec_copy(i_full, i_move)
        dec_mul_w(dp, den[p], j_move, W)
        dec_div_w(j_move, cs[a_j, p], j_move, W)
    if i_left:
        dec_neg_w(i_move, i_move, W)
    if j_left:
        dec_neg_w(j_move, j_move, W)
    dec_add_w(fi[PX], i_move, fi[PY], W)
    dec_add_w(fj[PX], j_move, fj[PY], W)
    dec_mul_w(dq, fi[PSSUP], i_full, W)
    dec_mul_w(dp, fi[PSDEM], t, W)
    dec_sub_w(i_full, t, i_full, W)
    dec_abs_w(i_full, G[e], W)
    dec_copy(G[e], fi[PEU])
    dec_copy(G[e], fj[PEU])
    ok = (dec_cmp_w(G[e], CONST[C_TINY], W) >= 0 and _move_ok(F, IV, CONST, e, 0, W)
          and _move_ok(F, IV, CONST, e, 1, W))
    if ok:
        for side in range(2):
            f = F[e, side]
            dec_copy(f[PMOVE], f[UMOVE])
            dec_copy(f[PDOUT], f[UDOUT])
            dec_copy(f[PY], f[UY])
        dec_copy(G[e], fi[UGAIN])
    _settle(tb, F, IV, P, REC, HAS, NREC, G, K, valid, CONST, sums_small, e, ok)


@_jit
def _settle(tb, F, IV, P, REC, HAS, NREC, G, K, valid, CONST, sums_small, e, ok):  # type: ignore[no-untyped-def]
    """``Exchange._settle`` with p = 0 (every crossing test computed): the outcome caps of i,
    then of j on the moves i's cap left, on valid (``ok``) equal-gain moves."""
    W, fi, fj = tb[11], F[e, 0], F[e, 1]
    if ok:
        crossed_i = _crosses(tb, F, IV, P, REC, HAS, NREC, CONST, sums_small, e, 0, fj[PDEMX])
        if crossed_i:
            _cap(tb, F, IV, P, REC, HAS, G, e, 0)
        crossed_j = _crosses(tb, F, IV, P, REC, HAS, NREC, CONST, sums_small, e, 1, fi[PDEMX])
        if crossed_j:
            _cap(tb, F, IV, P, REC, HAS, G, e, 1)
        if crossed_i or crossed_j:
            ok = _move_ok(F, IV, CONST, e, 0, W) and _move_ok(F, IV, CONST, e, 1, W)
    valid[e] = ok
    _gain_key(G[e], K[e], W)


@_jit
def _recalculate(tb, F, IV, P, REC, HAS, NREC, G, K, valid, realised, CONST, sums_small, e, d):  # type: ignore[no-untyped-def]
    """``Exchange.recalculate`` (§4.3 step 7) of exchange e after exchange d was realised: a
    party supplying the issue d's party supplied takes over its voting position (its last move
    joins its history), d's voting positions on issues e's actors demand are recorded, and e is
    calculated again."""
    W = tb[11]
    moved = False
    for mine in range(2):
        a, sup = IV[e, mine, IA], IV[e, mine, ISUP]
        if a == IV[d, 0, IA] and sup == IV[d, 0, ISUP]:
            theirs = 0
        elif a == IV[d, 1, IA] and sup == IV[d, 1, ISUP]:
            theirs = 1
        else:
            continue
        dec_copy(F[d, theirs, PY], F[e, mine, PX])
        _absorb(F, IV, e, mine, W)
        moved = True
    recorded = False
    for done in (1, 0):
        other = 1 - done
        ra, rd = IV[d, done, IA], IV[d, done, IDEM]
        if (ra == IV[e, 0, IA] and rd == IV[e, 0, IDEM]) or (ra == IV[e, 1, IA]
                                                             and rd == IV[e, 1, IDEM]):
            slot = _slot_of(P, e, rd)
            actor = IV[d, other, IA]
            y = F[d, other, PY]
            seen = REC[e, slot, actor]
            if not HAS[e, slot, actor]:
                dec_copy(y, seen)
                HAS[e, slot, actor] = True
                NREC[e, slot] += 1
            elif dec_cmp_w(F[d, other, PSTART], seen, W) <= 0:
                if dec_cmp_w(y, seen, W) < 0:
                    dec_copy(y, seen)
            elif dec_cmp_w(y, seen, W) > 0:
                dec_copy(y, seen)
            recorded = True
    if moved:
        _calculate(tb, F, IV, P, REC, HAS, NREC, G, K, valid, realised, CONST, sums_small, e)
    elif recorded:  # ``Exchange._recap``: the last equal-gain moves, settled again
        for side in range(2):
            f = F[e, side]
            dec_copy(f[UMOVE], f[PMOVE])
            dec_copy(f[UDOUT], f[PDOUT])
            dec_copy(f[UY], f[PY])
            dec_copy(F[e, 0, UGAIN], f[PEU])
        dec_copy(F[e, 0, UGAIN], G[e])
        _settle(tb, F, IV, P, REC, HAS, NREC, G, K, valid, CONST, sums_small, e, True)


@_jit
def _affected(IV, e, d):  # type: ignore[no-untyped-def]
    """Is exchange e among those ``exchange.run_round`` recalculates after d: a party of e with
    the actor and supply issue, or the actor and demand issue, of a party of d?"""
    for mine in range(2):
        for theirs in range(2):
            if IV[e, mine, IA] == IV[d, theirs, IA] and (
                    IV[e, mine, ISUP] == IV[d, theirs, ISUP]
                    or IV[e, mine, IDEM] == IV[d, theirs, IDEM]):
                return True
    return False


@_jit
def _tied(G, CONST, a, b, W):  # type: ignore[no-untyped-def]
    """``DecimalRound.tied``: |G_a - G_b| < 1e-20."""
    t = W[2, :SIZE]  # free between the operations
    dec_sub_w(G[a], G[b], t, W)
    dec_abs_w(t, t, W)
    return dec_cmp_w(t, CONST[C_TIE], W) < 0


@_jit
def run_round(x, s, c, present, trades, actors, counts, duplicate_peer, seed, work):  # type: ignore[no-untyped-def]
    """One round of the decimal engine with Equal Gain (p = 0), as ``exchange.run_round`` with
    ``DecimalRound``: x, s, c (N, D, SIZE) on the 0-100 scale, present and trades (N, D) (an
    actor trades on an issue where it is present with c s > 0), per issue the summation order
    ``actors[d, :counts[d]]``. Ties draw from numba's Mersenne Twister seeded with ``seed``
    (the stream of ``np.random.RandomState(seed)``). Returns (ok, voting, new, changed,
    rec_numbers (R, 2, 11, SIZE), rec_ints (R, 2, 3), rec_gains (R, SIZE), ties): the voting
    and new positions (N, D, SIZE; ``changed`` marks the cells a realised exchange set), and
    each realised exchange as it was when realised; ok False if the record table overflowed
    (the caller then runs the round interpreted), and the working memory: ``work`` if it was
    large enough, else a larger one (a run passes it to its next round, whose tables then
    reuse pages already mapped: a fresh 10 MB costs more in page faults than a round's
    arithmetic)."""
    np.random.seed(seed)
    n, d_n = x.shape[0], x.shape[1]
    owned = round_tables(x, s, c, actors, counts)
    x_in, s_in, c_in = x, s, c
    x, s, c = borrowed(x_in), borrowed(s_in), borrowed(c_in)
    cs, terms, prefix = borrowed(owned[0]), borrowed(owned[1]), borrowed(owned[2])
    den, outcome = borrowed(owned[3]), borrowed(owned[4])
    slotpos = np.full((d_n, n), -1, dtype=np.int64)
    for d in range(d_n):
        for m in range(counts[d]):
            slotpos[d, actors[d, m]] = m
    sums_small = n <= 10_000  # MAX_FILTERED_ACTORS
    left = np.zeros((n, d_n), dtype=np.bool_)  # step 1
    for k in range(n):
        for d in range(d_n):
            left[k, d] = dec_cmp(x[k, d], outcome[d]) <= 0
    group = np.full((d_n, d_n, n), -1, dtype=np.int64)
    count = 0
    for p in range(d_n):  # step 2
        for q in range(p + 1, d_n):
            sizes = np.zeros(4, dtype=np.int64)
            for k in range(n):
                if trades[k, p] and trades[k, q]:
                    group[p, q, k] = (1 if left[k, p] else 0) + (2 if left[k, q] else 0)
                    sizes[group[p, q, k]] += 1
            count += sizes[0] * sizes[3] + sizes[1] * sizes[2]
    E = count
    need = MEMO_WORDS + MEMO_SLOTS * SIZE + E * SIZE * (2 * NFIELDS + 2 * n + 1)
    if work.shape[0] < need:
        work = np.empty(need + need // 4, dtype=np.int64)
    w_own, tmp_own = scratch(), np.empty((9, SIZE), dtype=np.int64)
    memo_own = (np.full(MEMO_SLOTS, -1, dtype=np.int64), work[:MEMO_WORDS],
                work[MEMO_WORDS:MEMO_WORDS + MEMO_SLOTS * SIZE].reshape((MEMO_SLOTS, SIZE)),
                np.zeros(2, dtype=np.int64), np.empty(2 + n * (1 + SIZE), dtype=np.int64))
    const_own = _constants()
    CONST = borrowed(const_own)
    tb = (x, s, c, cs, terms, prefix, den, outcome, actors, counts, slotpos, borrowed(w_own),
          borrowed(tmp_own), memo_own[0], borrowed(memo_own[1]), borrowed(memo_own[2]),
          memo_own[3], borrowed(memo_own[4]))
    W = tb[11]
    at = MEMO_WORDS + MEMO_SLOTS * SIZE
    f_own = work[at:at + E * 2 * NFIELDS * SIZE].reshape((E, 2, NFIELDS, SIZE))  # set, then read
    at += E * 2 * NFIELDS * SIZE
    F = borrowed(f_own)
    IV = np.zeros((E, 2, 4), dtype=np.int64)
    P = np.zeros((E, 2), dtype=np.int64)
    rec_own = work[at:at + E * 2 * n * SIZE].reshape((E, 2, n, SIZE))
    at += E * 2 * n * SIZE
    REC = borrowed(rec_own)
    HAS = np.zeros((E, 2, n), dtype=np.bool_)
    NREC = np.zeros((E, 2), dtype=np.int64)
    g_own = work[at:at + E * SIZE].reshape((E, SIZE))
    G = borrowed(g_own)
    k_own = np.empty((E, 3), dtype=np.int64)
    K = borrowed(k_own)
    valid = np.zeros(E, dtype=np.bool_)
    realised = np.zeros(E, dtype=np.bool_)
    ra, rb = np.empty(SIZE, dtype=np.int64), np.empty(SIZE, dtype=np.int64)
    num, dnm = np.empty(SIZE, dtype=np.int64), np.empty(SIZE, dtype=np.int64)
    e = 0
    for p in range(d_n):
        for q in range(p + 1, d_n):
            for gi, gj in ((0, 3), (1, 2)):
                for a in range(n):
                    if group[p, q, a] != gi:
                        continue
                    for b in range(n):
                        if group[p, q, b] != gj:
                            continue
                        dec_div_w(s[a, p], s[a, q], ra, W)  # step 3: roles
                        dec_div_w(s[b, p], s[b, q], rb, W)
                        first, second = (b, a) if dec_cmp_w(ra, rb, W) < 0 else (a, b)
                        P[e, 0], P[e, 1] = p, q
                        for side, actor, sup, dem in ((0, first, q, p), (1, second, p, q)):
                            IV[e, side, IA], IV[e, side, ISUP], IV[e, side, IDEM] = actor, sup, dem
                            f = F[e, side]
                            dec_copy(x[actor, sup], f[PX])
                            dec_copy(x[actor, sup], f[PSTART])
                            dec_copy(x[actor, dem], f[PDEMX])
                            dec_copy(s[actor, sup], f[PSSUP])
                            dec_copy(s[actor, dem], f[PSDEM])
                            dec_copy(c[actor, sup], f[PCSUP])
                        # rates: i's shift on q -> j's on p, and back (§4.3 step 4)
                        dec_add_w(s[first, q], s[second, q], num, W)
                        dec_add_w(s[first, p], s[second, p], dnm, W)
                        dec_div_w(num, dnm, F[e, 0, PRATE], W)
                        dec_add_w(s[second, p], s[first, p], num, W)
                        dec_add_w(s[second, q], s[first, q], dnm, W)
                        dec_div_w(num, dnm, F[e, 1, PRATE], W)
                        _calculate(tb, F, IV, P, REC, HAS, NREC, G, K, valid, realised, CONST,
                                   sums_small, e)
                        e += 1
    indexed = valid.copy()
    refs = np.zeros(E, dtype=np.int64)
    referenced = np.zeros(E, dtype=np.bool_)
    dirty = np.zeros(E, dtype=np.bool_)
    pool = np.empty(E + 1, dtype=np.int64)
    for k in range(E):
        pool[k] = k
    length, clean = E, 0
    cap = 64  # records of realised exchanges, doubled when full
    rec_f_own = np.empty((cap, 2, RECORDED_FIELDS, SIZE), dtype=np.int64)
    rec_i = np.empty((cap, 2, 3), dtype=np.int64)
    rec_g_own = np.empty((cap, SIZE), dtype=np.int64)
    done = np.empty(cap, dtype=np.int64)
    n_real, ties = 0, 0
    stale = True
    while length > 0:
        _sort_pool(K, pool, length, clean, dirty)
        for k in range(length):
            dirty[pool[k]] = False
        top = pool[0]
        pool[:length - 1] = pool[1:length].copy()
        length -= 1
        clean = length
        if length > 0 and _tied(G, CONST, top, pool[0], W):  # step 7 tie
            ties += 1
            runner = pool[0]
            if np.random.random() >= 0.5:
                pool[length] = top
                top = pool[0]
                pool[:length] = pool[1:length + 1].copy()
                clean -= 1
            elif duplicate_peer:
                pool[length] = runner
                length += 1
                refs[runner] = (refs[runner] if referenced[runner] else 1) + 1
                referenced[runner] = True
        if referenced[top]:
            refs[top] -= 1
        if not valid[top]:
            continue
        if n_real >= cap:
            cap *= 2
            grown_f = np.empty((cap, 2, RECORDED_FIELDS, SIZE), dtype=np.int64)
            grown_f[:n_real] = rec_f_own[:n_real]
            grown_i = np.empty((cap, 2, 3), dtype=np.int64)
            grown_i[:n_real] = rec_i[:n_real]
            grown_g = np.empty((cap, SIZE), dtype=np.int64)
            grown_g[:n_real] = rec_g_own[:n_real]
            grown_done = np.empty(cap, dtype=np.int64)
            grown_done[:n_real] = done[:n_real]
            rec_f_own, rec_i, rec_g_own, done = grown_f, grown_i, grown_g, grown_done
        rec_f, rec_g = borrowed(rec_f_own), borrowed(rec_g_own)
        for side in range(2):
            for f in range(RECORDED_FIELDS):
                dec_copy(F[top, side, f], rec_f[n_real, side, f])
            for f in range(3):
                rec_i[n_real, side, f] = IV[top, side, f]
        dec_copy(G[top], rec_g[n_real])
        realised[top] = True
        if not (referenced[top] and refs[top] > 0):
            indexed[top] = False
        for k in range(length):
            ex = pool[k]
            if valid[ex] and indexed[ex] and _affected(IV, ex, top):
                _recalculate(tb, F, IV, P, REC, HAS, NREC, G, K, valid, realised, CONST,
                             sums_small, ex, top)
                dirty[ex] = True
                if not valid[ex]:
                    stale = True
                    indexed[ex] = False
        if stale:
            kept, kept_clean = 0, 0
            for k in range(length):
                ex = pool[k]
                if valid[ex]:
                    pool[kept] = ex
                    kept += 1
                    if k < clean:
                        kept_clean += 1
            length, clean, stale = kept, kept_clean, False
        done[n_real] = top
        n_real += 1
    voting_own = x_in.copy()
    voting = borrowed(voting_own)
    changed = np.zeros((n, d_n), dtype=np.bool_)
    for k in range(n_real):  # later exchanges carry the accumulated positions
        ex = done[k]
        for side in range(2):
            a, sup = IV[ex, side, IA], IV[ex, side, ISUP]
            dec_copy(F[ex, side, PY], voting[a, sup])
            changed[a, sup] = True
    new_own = voting_own.copy()
    new = borrowed(new_own)
    for k in range(n_real):  # step 8
        ex = done[k]
        for side in range(2):
            f = F[ex, side]
            next_position(f[PSSUP], f[PSTART], f[PY], new[IV[ex, side, IA], IV[ex, side, ISUP]])
    # the owners of the borrowed views, alive to here
    alive = (s_in.size + c_in.size + owned[0].size + owned[1].size + owned[2].size
             + owned[3].size + owned[4].size + w_own.size + tmp_own.size + memo_own[1].size
             + memo_own[2].size + memo_own[4].size + const_own.size + f_own.size + rec_own.size
             + g_own.size + k_own.size)
    return (alive > 0, voting_own, new_own, changed, rec_f_own[:n_real].copy(),
            rec_i[:n_real].copy(), rec_g_own[:n_real].copy(), ties, work)


AOT_SIGNATURE = ("Tuple((b1, i8[:, :, ::1], i8[:, :, ::1], b1[:, ::1], i8[:, :, :, ::1], "
                 "i8[:, :, ::1], i8[:, ::1], i8, i8[::1]))"
                 "(i8[:, :, ::1], i8[:, :, ::1], i8[:, :, ::1], b1[:, ::1], b1[:, ::1], "
                 "i8[:, ::1], i8[::1], b1, i8, i8[::1])")


def build(output_dir: Path | None = None) -> Path:
    """Compile :func:`run_round` ahead of time into ``aot.EXCHANGE_DECIMAL`` beside this file,
    so later processes load it without importing numba (``aot.build_module``); the module
    records the digest of this file and ``exact_decimal``'s, and is used only while they are
    unchanged."""
    from detente.models import aot

    if xd.njit is None:
        raise RuntimeError("building the compiled decimal round needs numba")
    return aot.build_module(aot.EXCHANGE_DECIMAL, "run_round", run_round.py_func,
                            AOT_SIGNATURE, aot.exchange_decimal_digest(), output_dir,
                            error_model="python")  # as exact_decimal's njit
