"""Python's ``decimal`` default context (28 significant digits, ROUND_HALF_EVEN) in compiled code.

The decimal engine of the exchange model (MODELS.md §4, ``DecimalRound``) reproduces
decide-exchange-model's arithmetic digit for digit: every result of +, -, *, / is the exact result
rounded once to 28 significant digits, half to even, and the operands are not all 28-digit ones
(``Decimal(float)`` is exact: ``Decimal(0.4)`` has 53 digits, ``Decimal.from_float(1e-10)`` 77).
This module gives the same numbers as numba-compatible loops over fixed-size integer arrays, so
a compiled round can do the same arithmetic without Python objects.

Representation: a number is an ``int64`` array of ``SIZE`` = 2 + ``LIMBS`` entries,
``[sign, exponent, c_0, ..., c_8]``: the value is (-1)^sign · Σ c_i 10^(9 i) · 10^exponent with
limbs 0 <= c_i < 10^9 (little-endian, base 10^9), so a coefficient holds up to 81 digits: every
rounded result (28 digits) and every exact float of up to 81 digits (positive normal floats down
to about 1e-16 with any mantissa, and any float with a short mantissa). A float or a decimal with
a longer exact expansion is rejected (``ValueError``), never rounded. Zeros keep their sign as
Python's do (``-0`` from a product or a quotient, ``+0`` from ``x - x``).

Only values are reproduced, not exponents of equal values (``Decimal("1.0")`` and
``Decimal("1")`` are one number here): every result of the operations depends on the operands'
values only, and the model's outputs are values.

Working widths: a product of two 81-digit coefficients has at most 162 digits (18 limbs); a sum
is computed exactly on up to 172 digits after an operand lying entirely more than 90 digits below
the other's leading digit is replaced by a one-digit stand-in of the same sign 100 digits below
it (which lies, like the operand, strictly inside the same interval between two rounding
boundaries, so the rounded sum is unchanged: the stand-in decimal itself uses); a quotient is
computed to 29-30 digits by long division (Knuth's algorithm D in base 10^9) with the remainder
kept as a sticky digit, as ``decimal`` does.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

try:
    from numba import njit
except ImportError:  # numba is an optional extra: the same functions run as Python
    njit = None

BASE = 1_000_000_000  # limb base, 10^9
DIGITS = 9  # decimal digits per limb
LIMBS = 9  # limbs of a stored coefficient: 81 digits
SIZE = 2 + LIMBS
SIGN, EXP = 0, 1  # entries of a number; limbs from index 2
PREC = 28  # the default context's precision
WIDE = 2 * LIMBS + 4  # limbs of a working accumulator: 198 digits
POW10 = np.array([10 ** k for k in range(DIGITS + 1)], dtype=np.int64)
MAX_COEFFICIENT = 10 ** (DIGITS * LIMBS)


def _jit(fn):  # type: ignore[no-untyped-def]
    return njit(cache=True)(fn) if njit is not None else fn


# -- magnitudes: little-endian base-10^9 limb arrays -------------------------------------------

@_jit
def _limb_digits(v):  # type: ignore[no-untyped-def]
    """Decimal digits of one limb (0 for 0)."""
    n = 0
    while n < DIGITS and v >= POW10[n]:
        n += 1
    return n


@_jit
def _ndigits(w, n):  # type: ignore[no-untyped-def]
    """Decimal digits of the magnitude in limbs w[0:n] (0 for zero)."""
    top = n - 1
    while top >= 0 and w[top] == 0:
        top -= 1
    if top < 0:
        return 0
    return DIGITS * top + _limb_digits(w[top])


@_jit
def _digit(w, pos):  # type: ignore[no-untyped-def]
    """The decimal digit at position ``pos`` (0 = units) of limbs w."""
    return (w[pos // DIGITS] // POW10[pos % DIGITS]) % 10


@_jit
def _nonzero_below(w, pos):  # type: ignore[no-untyped-def]
    """Is any digit below position ``pos`` non-zero?"""
    limb, r = pos // DIGITS, pos % DIGITS
    for i in range(limb):
        if w[i] != 0:
            return True
    return r > 0 and w[limb] % POW10[r] != 0


@_jit
def _shift_into(src, n_src, k, dst):  # type: ignore[no-untyped-def]
    """dst = src[0:n_src] · 10^k (dst zeroed first; it must be wide enough)."""
    dst[:] = 0
    q, r = k // DIGITS, k % DIGITS
    mult = POW10[r]
    carry = 0
    for i in range(n_src):
        t = src[i] * mult + carry
        dst[i + q] = t % BASE
        carry = t // BASE
    if carry:
        dst[n_src + q] = carry


@_jit
def _compare_mag(x, y, n):  # type: ignore[no-untyped-def]
    for i in range(n - 1, -1, -1):
        if x[i] != y[i]:
            return 1 if x[i] > y[i] else -1
    return 0


@_jit
def _add_mag(x, y, n):  # type: ignore[no-untyped-def]
    """x += y on n limbs (no carry out of the top: callers leave a spare limb)."""
    carry = 0
    for i in range(n):
        t = x[i] + y[i] + carry
        if t >= BASE:
            x[i] = t - BASE
            carry = 1
        else:
            x[i] = t
            carry = 0


@_jit
def _sub_mag(x, y, out, n):  # type: ignore[no-untyped-def]
    """out = x - y on n limbs, x >= y."""
    borrow = 0
    for i in range(n):
        t = x[i] - y[i] - borrow
        if t < 0:
            out[i] = t + BASE
            borrow = 1
        else:
            out[i] = t
            borrow = 0


@_jit
def _finish(sign, w, n, exp, out):  # type: ignore[no-untyped-def]
    """out = (-1)^sign · w[0:n] · 10^exp rounded to PREC digits, half to even (decimal's _fix
    in the default context; the exponent range never binds here)."""
    nd = _ndigits(w, n)
    out[SIGN] = sign
    for i in range(LIMBS):
        out[2 + i] = 0
    if nd == 0:
        out[EXP] = 0
        return
    if nd <= PREC:
        for i in range((nd + DIGITS - 1) // DIGITS):
            out[2 + i] = w[i]
        out[EXP] = exp
        return
    # drop k = nd - PREC digits: scaled by 10^(9 - r) (r = k mod 9, none if r = 0) they are
    # the ``drop`` lowest whole limbs, so every division below is by a constant
    k = nd - PREC
    r = k % DIGITS
    mult = POW10[DIGITS - r] if r else 1
    drop = k // DIGITS + (1 if r else 0)
    carry = 0
    sticky = False
    round_digit = 0
    for i in range(n + 1):
        t = (w[i] * mult if i < n else 0) + carry
        limb = t % BASE
        carry = t // BASE
        if i < drop - 1:
            sticky = sticky or limb != 0
        elif i == drop - 1:
            round_digit = limb // 100_000_000
            sticky = sticky or limb % 100_000_000 != 0
        elif i - drop < 4:  # 28 digits: 4 limbs
            out[2 + i - drop] = limb
        else:
            break
    exp += k
    if round_digit > 5 or (round_digit == 5 and (sticky or out[2] % 2 == 1)):
        i = 2
        out[i] += 1
        while out[i] == BASE:
            out[i] = 0
            i += 1
            out[i] += 1
        if out[5] >= POW10[PREC - 3 * DIGITS]:  # 10^28: 29 digits, drop the (zero) last one
            out[2], out[3], out[4], out[5] = 0, 0, 0, POW10[PREC - 3 * DIGITS - 1]
            exp += 1
    out[EXP] = exp


# -- numbers -----------------------------------------------------------------------------------

@_jit
def dec_zero(out):  # type: ignore[no-untyped-def]
    out[:] = 0


@_jit
def dec_from_int(value, out):  # type: ignore[no-untyped-def]
    """An integer, exactly (|value| < 2^63)."""
    out[:] = 0
    if value < 0:
        out[SIGN] = 1
        value = -value
    i = 2
    while value:
        out[i] = value % BASE
        value //= BASE
        i += 1


@_jit
def _scale_limbs(w, n, factor):  # type: ignore[no-untyped-def]
    """w[0:n] *= factor (< 2^31) in place; False if the result needs more than n limbs."""
    carry = 0
    for i in range(n):
        t = w[i] * factor + carry
        w[i] = t % BASE
        carry = t // BASE
    return carry == 0


@_jit
def dec_from_float(value, out):  # type: ignore[no-untyped-def]
    """The exact value of a float (``Decimal(value)``); ValueError for NaN, infinities and
    floats whose exact expansion has more than 81 digits."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("exact decimal: NaN or infinite float")
    out[:] = 0
    if value < 0 or (value == 0 and math.copysign(1.0, value) < 0):
        out[SIGN] = 1
    value = abs(value)
    if value == 0:
        return
    m, e = math.frexp(value)
    mant = np.int64(m * 9007199254740992.0)  # 2^53 m: exact
    e2 = e - 53
    while mant % 2 == 0:
        mant //= 2
        e2 += 1
    w = out[2:]
    w[0] = mant % BASE
    w[1] = mant // BASE
    ok = True
    if e2 >= 0:  # an integer: mant 2^e2
        while e2 > 0 and ok:
            step = min(e2, 29)
            ok = _scale_limbs(w, LIMBS, 1 << step)
            e2 -= step
    else:  # mant 2^-k = mant 5^k 10^-k
        k = -e2
        out[EXP] = -k
        while k > 0 and ok:
            step = min(k, 12)
            ok = _scale_limbs(w, LIMBS, 5 ** step)
            k -= step
    if not ok:
        raise ValueError("exact decimal: float's exact expansion exceeds 81 digits")


@_jit
def dec_copy(a, out):  # type: ignore[no-untyped-def]
    for i in range(SIZE):
        out[i] = a[i]


@_jit
def scratch():  # type: ignore[no-untyped-def]
    """Working space of the ``*_w`` operations (rows of WIDE limbs): a caller doing many
    operations allocates it once and passes it to each."""
    return np.empty((3, WIDE), dtype=np.int64)


@_jit
def _rounded(a, sign, out):  # type: ignore[no-untyped-def]
    _rounded_w(a, sign, out, scratch())


@_jit
def _rounded_w(a, sign, out, W):  # type: ignore[no-untyped-def]
    if _ndigits(a[2:], LIMBS) <= PREC:  # already 28 digits: the same number
        for i in range(SIZE):
            out[i] = a[i]
        out[SIGN] = sign
        return
    w = W[0, :LIMBS]
    for i in range(LIMBS):
        w[i] = a[2 + i]
    _finish(sign, w, LIMBS, a[EXP], out)


@_jit
def dec_neg(a, out):  # type: ignore[no-untyped-def]
    """-a as Python computes it: rounded to 28 digits, and -0 is +0 (not ROUND_FLOOR)."""
    dec_neg_w(a, out, scratch())


@_jit
def dec_neg_w(a, out, W):  # type: ignore[no-untyped-def]
    zero = _ndigits(a[2:], LIMBS) == 0
    _rounded_w(a, 0 if zero else 1 - a[SIGN], out, W)


@_jit
def dec_abs(a, out):  # type: ignore[no-untyped-def]
    """abs(a), rounded to 28 digits."""
    _rounded_w(a, 0, out, scratch())


@_jit
def dec_abs_w(a, out, W):  # type: ignore[no-untyped-def]
    _rounded_w(a, 0, out, W)


@_jit
def dec_plus(a, out):  # type: ignore[no-untyped-def]
    """+a: a rounded to 28 digits, and +(-0) is +0, as Python's."""
    zero = _ndigits(a[2:], LIMBS) == 0
    _rounded(a, 0 if zero else a[SIGN], out)


@_jit
def _signed_sum(a, sign_a, b, sign_b, out):  # type: ignore[no-untyped-def]
    _signed_sum_w(a, sign_a, b, sign_b, out, scratch())


@_jit
def _signed_sum_w(a, sign_a, b, sign_b, out, W):  # type: ignore[no-untyped-def]
    """out = (-1)^sign_a |a| + (-1)^sign_b |b|, rounded (W: ``scratch()``)."""
    ca, cb = a[2:], b[2:]
    na, nb = _ndigits(ca, LIMBS), _ndigits(cb, LIMBS)
    if na == 0 and nb == 0:
        dec_zero(out)
        out[SIGN] = 1 if (sign_a == 1 and sign_b == 1) else 0  # half-even: -0 only from -0 + -0
        return
    if nb == 0:
        _rounded_w(a, sign_a, out, W)
        return
    if na == 0:
        _rounded_w(b, sign_b, out, W)
        return
    ea, eb = a[EXP], b[EXP]
    ta, tb = ea + na, eb + nb
    if ta < tb:  # A: the operand with the higher leading digit
        ca, cb, na, nb, ea, eb, ta, tb, sign_a, sign_b = (cb, ca, nb, na, eb, ea, tb, ta,
                                                          sign_b, sign_a)
    if tb < ta - 90:  # B lies wholly far below A's rounding position: a stand-in of its sign
        stand_in = W[2, :LIMBS]
        stand_in[:] = 0
        stand_in[0] = 1
        cb, eb = stand_in, ta - 100
    base = min(ea, eb)
    # limbs of the aligned sum: its digits (A's leading digit down to base) and a carry limb
    width = (ta - base) // DIGITS + 2
    la = (na + DIGITS - 1) // DIGITS
    lb = (_ndigits(cb, LIMBS) + DIGITS - 1) // DIGITS
    wa = W[0, :width]
    wb = W[1, :width]
    _shift_into(ca, la, ea - base, wa)
    _shift_into(cb, lb, eb - base, wb)
    if sign_a == sign_b:
        _add_mag(wa, wb, width)
        _finish(sign_a, wa, width, base, out)
        return
    order = _compare_mag(wa, wb, width)
    if order == 0:
        dec_zero(out)  # x - x is +0 under ROUND_HALF_EVEN
    elif order > 0:
        _sub_mag(wa, wb, wa, width)
        _finish(sign_a, wa, width, base, out)
    else:
        _sub_mag(wb, wa, wb, width)
        _finish(sign_b, wb, width, base, out)


@_jit
def dec_add(a, b, out):  # type: ignore[no-untyped-def]
    """out = a + b (out may be a or b)."""
    _signed_sum(a, a[SIGN], b, b[SIGN], out)


@_jit
def dec_sub(a, b, out):  # type: ignore[no-untyped-def]
    """out = a - b (decimal adds a and b with its sign flipped)."""
    _signed_sum(a, a[SIGN], b, 1 - b[SIGN], out)


@_jit
def dec_add_w(a, b, out, W):  # type: ignore[no-untyped-def]
    _signed_sum_w(a, a[SIGN], b, b[SIGN], out, W)


@_jit
def dec_sub_w(a, b, out, W):  # type: ignore[no-untyped-def]
    _signed_sum_w(a, a[SIGN], b, 1 - b[SIGN], out, W)


@_jit
def dec_mul(a, b, out):  # type: ignore[no-untyped-def]
    """out = a · b; the sign of a zero product is the sign rule's."""
    dec_mul_w(a, b, out, scratch())


@_jit
def dec_mul_w(a, b, out, W):  # type: ignore[no-untyped-def]
    la = LIMBS
    while la > 0 and a[1 + la] == 0:
        la -= 1
    lb = LIMBS
    while lb > 0 and b[1 + lb] == 0:
        lb -= 1
    w = W[0, :la + lb + 1]
    w[:] = 0
    # column sums first, carried once per column: a column adds at most LIMBS = 9 products
    # below 10^18, so it stays below 9.1e18 < 2^63 with its carry
    for i in range(la):
        ai = a[2 + i]
        if ai == 0:
            continue
        for j in range(lb):
            w[i + j] += ai * b[2 + j]
    carry = 0
    for k in range(la + lb + 1):
        t = w[k] + carry
        w[k] = t % BASE
        carry = t // BASE
    _finish(a[SIGN] ^ b[SIGN], w, la + lb + 1, a[EXP] + b[EXP], out)


@_jit
def _divide_limbs(u, m_plus_n, v, n, q):  # type: ignore[no-untyped-def]
    """Knuth's algorithm D in base 10^9: q = u // v (u: m+n limbs plus a spare zero limb at the
    top, v: n >= 1 limbs with v[n-1] != 0; both are scaled in place). Returns whether the
    remainder is non-zero."""
    m = m_plus_n - n
    q[:] = 0
    if n == 1:
        d = v[0]
        r = 0
        for i in range(m_plus_n - 1, -1, -1):
            t = r * BASE + u[i]
            q[i] = t // d
            r = t % d
        return r != 0
    d = BASE // (v[n - 1] + 1)  # normalise: v's top limb >= BASE / 2
    if d > 1:
        _scale_limbs(u, m_plus_n + 1, d)
        _scale_limbs(v, n, d)
    vt, vs = v[n - 1], v[n - 2]
    for j in range(m, -1, -1):
        num = u[j + n] * BASE + u[j + n - 1]
        qhat = num // vt
        rhat = num % vt
        while qhat >= BASE or qhat * vs > rhat * BASE + u[j + n - 2]:
            qhat -= 1
            rhat += vt
            if rhat >= BASE:
                break
        borrow = 0
        carry = 0
        for i in range(n):
            p = qhat * v[i] + carry
            carry = p // BASE
            t = u[i + j] - p % BASE - borrow
            if t < 0:
                u[i + j] = t + BASE
                borrow = 1
            else:
                u[i + j] = t
                borrow = 0
        t = u[j + n] - carry - borrow
        if t < 0:  # qhat was one too large: add v back
            u[j + n] = t + BASE
            qhat -= 1
            carry = 0
            for i in range(n):
                t = u[i + j] + v[i] + carry
                if t >= BASE:
                    u[i + j] = t - BASE
                    carry = 1
                else:
                    u[i + j] = t
                    carry = 0
            u[j + n] = (u[j + n] + carry) % BASE
        else:
            u[j + n] = t
        q[j] = qhat
    for i in range(n):  # noqa: SIM110 (a generator does not compile in numba)
        if u[i] != 0:
            return True
    return False


@_jit
def dec_div(a, b, out):  # type: ignore[no-untyped-def]
    """out = a / b, as ``Decimal.__truediv__``: a quotient of 29-30 digits whose last digit,
    if the division is inexact and that digit is 0 or 5, is raised by one (a sticky digit),
    then rounded to 28. ZeroDivisionError for b = 0."""
    dec_div_w(a, b, out, scratch())


@_jit
def dec_div_w(a, b, out, W):  # type: ignore[no-untyped-def]
    na, nb = _ndigits(a[2:], LIMBS), _ndigits(b[2:], LIMBS)
    sign = a[SIGN] ^ b[SIGN]
    if nb == 0:
        raise ZeroDivisionError("exact decimal: division by zero")
    if na == 0:
        dec_zero(out)
        out[SIGN] = sign
        return
    shift = nb - na + PREC + 1
    exp = a[EXP] - b[EXP] - shift
    u = W[0]
    v = W[1]
    if shift >= 0:
        _shift_into(a[2:], LIMBS, shift, u)
        _shift_into(b[2:], LIMBS, 0, v)
    else:
        _shift_into(a[2:], LIMBS, 0, u)
        _shift_into(b[2:], LIMBS, -shift, v)
    n = WIDE
    while v[n - 1] == 0:
        n -= 1
    m_plus_n = WIDE - 1
    while m_plus_n > n and u[m_plus_n - 1] == 0:
        m_plus_n -= 1
    q = W[2]
    inexact = _divide_limbs(u, m_plus_n, v, n, q)
    if inexact and q[0] % 5 == 0:
        q[0] += 1  # q[0] % 5 == 0 leaves room below BASE
    _finish(sign, q, WIDE, exp, out)


@_jit
def dec_cmp(a, b):  # type: ignore[no-untyped-def]
    """-1, 0 or 1 as a <, =, > b, exactly (no rounding; -0 equals 0)."""
    return dec_cmp_w(a, b, scratch())


@_jit
def dec_cmp_w(a, b, W):  # type: ignore[no-untyped-def]
    na, nb = _ndigits(a[2:], LIMBS), _ndigits(b[2:], LIMBS)
    if na == 0 and nb == 0:
        return 0
    sa = 0 if na == 0 else (-1 if a[SIGN] else 1)
    sb = 0 if nb == 0 else (-1 if b[SIGN] else 1)
    if sa != sb:
        return 1 if sa > sb else -1
    ta, tb = a[EXP] + na, b[EXP] + nb
    if ta != tb:
        mag = 1 if ta > tb else -1
    elif a[EXP] == b[EXP]:  # aligned already
        mag = _compare_mag(a[2:], b[2:], LIMBS)
    else:  # aligned on the lower exponent, over the limbs the digits fill
        base = min(a[EXP], b[EXP])
        width = (ta - base) // DIGITS + 2
        wa = W[0, :width]
        wb = W[1, :width]
        _shift_into(a[2:], (na + DIGITS - 1) // DIGITS, a[EXP] - base, wa)
        _shift_into(b[2:], (nb + DIGITS - 1) // DIGITS, b[EXP] - base, wb)
        mag = _compare_mag(wa, wb, width)
    return mag * sa


@_jit
def dec_is_zero(a):  # type: ignore[no-untyped-def]
    return _ndigits(a[2:], LIMBS) == 0


@_jit
def dec_sum(terms, start, out):  # type: ignore[no-untyped-def]
    """out = ``sum(terms, start)``: start + t_0 + t_1 + ..., left to right, each sum rounded
    (terms: (K, SIZE))."""
    dec_copy(start, out)
    for k in range(terms.shape[0]):
        dec_add(out, terms[k], out)


# -- Python side: conversion to and from ``Decimal`` -------------------------------------------

def from_decimal(value: Decimal, out: np.ndarray | None = None) -> np.ndarray:
    """A ``Decimal`` (e.g. ``as_written``'s) as a number array, exactly; ValueError for NaN,
    infinities and coefficients of more than 81 digits."""
    if not value.is_finite():
        raise ValueError(f"exact decimal: {value} is not finite")
    sign, digits, exp = value.as_tuple()
    coefficient = int("".join(map(str, digits))) if digits else 0
    if coefficient >= MAX_COEFFICIENT:
        raise ValueError(f"exact decimal: {value} has more than {DIGITS * LIMBS} digits")
    out = np.zeros(SIZE, dtype=np.int64) if out is None else out
    out[:] = 0
    out[SIGN], out[EXP] = sign, exp
    for i in range(LIMBS):
        coefficient, out[2 + i] = divmod(coefficient, BASE)
    return out


def to_decimal(number: np.ndarray) -> Decimal:
    """The ``Decimal`` a number array holds (exact: built from its digits)."""
    coefficient = sum(int(number[2 + i]) * BASE ** i for i in range(LIMBS))
    text = f"{'-' if number[SIGN] else ''}{coefficient}E{int(number[EXP])}"
    return Decimal(text)
