"""The compiled decimal number type pinned to Python's ``decimal`` default context (28 digits,
ROUND_HALF_EVEN) on random operands: exact floats (up to 81 digits), the decimals ``as_written``
gives, 28-digit results, ties at the 28th digit, far-apart exponents, zeros of both signs and
exact quotients (issue 14; models/exact_decimal.py)."""

from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from detente.models import exact_decimal as xd
from detente.models.exchange import as_written

assert decimal.getcontext().prec == 28 and decimal.getcontext().rounding == decimal.ROUND_HALF_EVEN

OPS = {
    "+": (xd.dec_add, lambda a, b: a + b),
    "-": (xd.dec_sub, lambda a, b: a - b),
    "*": (xd.dec_mul, lambda a, b: a * b),
    "/": (xd.dec_div, lambda a, b: a / b),
}


def fits(value: Decimal) -> bool:
    return len(value.as_tuple().digits) <= xd.DIGITS * xd.LIMBS


def same(number: np.ndarray, expected: Decimal) -> bool:
    """Equal values and, for zeros, the same sign."""
    got = xd.to_decimal(number)
    return got == expected and got.is_signed() == expected.is_signed()


def exact_floats() -> st.SearchStrategy[Decimal]:
    return st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12,
                     max_value=1e12).map(Decimal).filter(fits)


def short(digits: int = 28) -> st.SearchStrategy[Decimal]:
    """Coefficients of up to ``digits`` digits with exponents around the model's scale."""
    return st.builds(lambda sign, c, e: Decimal((sign, tuple(map(int, str(c))), e)),
                     st.integers(0, 1), st.integers(0, 10 ** digits - 1), st.integers(-45, 12))


def tie_pairs() -> st.SearchStrategy[tuple[Decimal, Decimal]]:
    """a + b (and a - b) whose exact result has exactly 5 after the 28th digit (half-even
    decides), or a product ending in ...5 just past the 28th digit."""
    def build(c: int, e: int, sign: int) -> tuple[Decimal, Decimal]:
        a = Decimal((0, tuple(map(int, str(c))), e))
        half = Decimal((sign, (5,), e - 1))
        return a, half
    return st.builds(build, st.integers(10 ** 27, 10 ** 28 - 1), st.integers(-30, 5),
                     st.integers(0, 1))


operands = st.one_of(exact_floats(), short(), short(6), short(40).filter(fits),
                     st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(as_written),
                     st.sampled_from([Decimal(0), Decimal("-0"), Decimal("0E-30"),
                                      Decimal.from_float(0.4), Decimal.from_float(0.1),
                                      Decimal.from_float(1e-10),
                                      Decimal(1), Decimal(-1), Decimal(100), Decimal("1e-20"),
                                      Decimal("1e-12")]))


def check(op: str, a: Decimal, b: Decimal) -> None:
    fn, ref = OPS[op]
    if op == "/" and b == 0:
        with pytest.raises(ZeroDivisionError):
            fn(xd.from_decimal(a), xd.from_decimal(b), np.zeros(xd.SIZE, dtype=np.int64))
        return
    out = np.zeros(xd.SIZE, dtype=np.int64)
    fn(xd.from_decimal(a), xd.from_decimal(b), out)
    assert same(out, ref(a, b)), (op, a, b, xd.to_decimal(out), ref(a, b))


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(sorted(OPS)), operands, operands)
@example("+", Decimal("9999999999999999999999999999"), Decimal("0.5"))
@example("+", Decimal("9999999999999999999999999998"), Decimal("0.5"))
@example("-", Decimal("1"), Decimal("1E-60"))
@example("+", Decimal("-0"), Decimal("-0"))
@example("-", Decimal("-0"), Decimal("0"))
@example("*", Decimal("-3"), Decimal("0"))
@example("/", Decimal("0"), Decimal("-7"))
@example("/", Decimal("1"), Decimal("3"))
@example("/", Decimal("2"), Decimal("8"))
@example("*", Decimal.from_float(0.4), Decimal("0.9999999999999999999999999999"))
def test_operations_match_decimal(op: str, a: Decimal, b: Decimal) -> None:
    check(op, a, b)


@settings(max_examples=1500, deadline=None)
@given(tie_pairs(), st.sampled_from(["+", "-"]))
def test_half_even_ties_at_the_28th_digit(pair: tuple[Decimal, Decimal], op: str) -> None:
    check(op, *pair)


@settings(max_examples=1500, deadline=None)
@given(st.integers(1, 10 ** 14), st.integers(1, 10 ** 14), st.integers(-20, 20),
       st.integers(-20, 20), st.integers(0, 1))
def test_ties_and_exact_products_and_quotients(c1: int, c2: int, e1: int, e2: int, sign: int
                                               ) -> None:
    """Products of two 14-digit numbers have up to 28 digits (exact), quotients of a product by
    one factor are exact, and numbers ending in 5 multiplied by 5s make ties."""
    a = Decimal((sign, tuple(map(int, str(c1))), e1))
    b = Decimal((0, tuple(map(int, str(c2))), e2))
    check("*", a, b)
    check("/", a * b, b)
    check("/", a, b)
    tie = Decimal((0, tuple(map(int, str(c1 * 10 ** 15 + 5))), e1))  # 16-29 digits, ...5
    check("*", tie, Decimal(1))
    check("+", tie, Decimal(0))
    check("*", tie, Decimal(3))


@settings(max_examples=1500, deadline=None)
@given(operands, operands, st.integers(-200, 200))
def test_far_apart_exponents(a: Decimal, b: Decimal, shift: int) -> None:
    b = b.scaleb(shift)
    for op in "+-*/":
        check(op, a, b)


@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
@example(0.4)
@example(1e-10)
@example(-0.0)
@example(5e-324)
@example(2.0 ** 200)
def test_exact_float_conversion(value: float) -> None:
    out = np.zeros(xd.SIZE, dtype=np.int64)
    expected = Decimal(value)
    if not fits(expected):
        with pytest.raises(ValueError):
            xd.dec_from_float(value, out)
        return
    xd.dec_from_float(value, out)
    assert same(out, expected)


@settings(max_examples=1500, deadline=None)
@given(operands, operands)
def test_comparisons_negation_abs(a: Decimal, b: Decimal) -> None:
    na, nb = xd.from_decimal(a), xd.from_decimal(b)
    order = xd.dec_cmp(na, nb)
    assert order == (a > b) - (a < b)
    out = np.zeros(xd.SIZE, dtype=np.int64)
    xd.dec_neg(na, out)
    assert same(out, -a)
    xd.dec_abs(na, out)
    assert same(out, abs(a))
    xd.dec_plus(na, out)
    assert same(out, +a)
    assert xd.dec_is_zero(na) == (a == 0)


@settings(max_examples=500, deadline=None)
@given(st.lists(operands, max_size=30), st.sampled_from([Decimal(0), Decimal("-0")]))
def test_sum_left_to_right(terms: list[Decimal], start: Decimal) -> None:
    arr = np.zeros((len(terms), xd.SIZE), dtype=np.int64)
    for k, t in enumerate(terms):
        xd.from_decimal(t, arr[k])
    out = np.zeros(xd.SIZE, dtype=np.int64)
    xd.dec_sum(arr, xd.from_decimal(start), out)
    assert same(out, sum(terms, start))


@given(short(28), st.integers(-1, 1))
def test_from_int_and_round_trip(value: Decimal, small: int) -> None:
    assert same(xd.from_decimal(value), value)
    out = np.zeros(xd.SIZE, dtype=np.int64)
    xd.dec_from_int(small * 123456789012345678, out)
    assert same(out, Decimal(small * 123456789012345678))


def test_too_wide_operands_are_rejected() -> None:
    with pytest.raises(ValueError, match="81 digits"):
        xd.from_decimal(Decimal.from_float(5e-324))
    with pytest.raises(ValueError, match="exceeds 81 digits"):
        xd.dec_from_float(1e-300, np.zeros(xd.SIZE, dtype=np.int64))
    with pytest.raises(ValueError, match="NaN or infinite"):
        xd.dec_from_float(float("nan"), np.zeros(xd.SIZE, dtype=np.int64))


@settings(max_examples=2000, deadline=None)
@given(st.integers(1, 10 ** 81 - 1), st.integers(1, 10 ** 81 - 1), st.integers(-30, 30))
def test_long_division_of_wide_coefficients(c1: int, c2: int, e: int) -> None:
    """Quotients of coefficients of up to 81 digits (Knuth D's correction steps)."""
    a = Decimal((0, tuple(map(int, str(c1))), e))
    b = Decimal((1, tuple(map(int, str(c2))), -e))
    check("/", a, b)
    check("/", b, a)
    check("*", a, b)
