"""The resource budget (issue 13, item 11): refuse before allocating, naming sizes and limit."""

from __future__ import annotations

import pytest

from detente.budget import (
    check_budget,
    default_max_memory,
    estimate,
    machine_memory,
    parse_memory,
)
from detente.errors import InputError

GB = 10**9


def test_issue_examples_are_refused_under_16_gb():
    war = estimate("war", actors=2, issues=3, runs=2_000_000, weeks=1040)
    assert war.memory > 16 * GB  # the issue measured over 16 GB for this request
    with pytest.raises(InputError) as err:
        check_budget(war, max_memory=16 * GB)
    text = err.value.render()
    assert "runs 2,000,000" in text and "weeks 1,040" in text and "16 GB" in text
    eum = estimate("eum", actors=5000, issues=1)
    assert eum.memory > 900 * GB  # the old code tried to allocate 931 GiB
    with pytest.raises(InputError, match="actors 5,000"):
        check_budget(eum, max_memory=16 * GB)


def test_eum_estimate_matches_the_measured_peak():
    # the issue measured 7.7 GB for 1,000 actors on one issue; tracemalloc gave 8.1-8.8 B N^3
    assert 7 * GB < estimate("eum", actors=1000, issues=1).memory < 10 * GB


@pytest.mark.parametrize("model", ["eum", "smp", "exchange", "mean"])
def test_estimates_grow_with_every_shape(model):
    base = dict(actors=20, issues=3, draws=4, rounds=10)
    e0 = estimate(model, **base)
    for key in ("actors", "draws"):
        bigger = estimate(model, **{**base, key: base[key] * 2})
        assert bigger.memory > e0.memory and bigger.work > e0.work, key
    if model == "eum":  # cubic in the actors
        assert estimate(model, **{**base, "actors": 40}).memory == pytest.approx(8 * e0.memory)


def test_small_requests_pass_and_work_limit_applies():
    small = estimate("smp", actors=13, issues=2, draws=10)
    assert check_budget(small) is small
    with pytest.raises(InputError, match="operations"):
        check_budget(small, max_seconds=small.seconds / 2)
    assert check_budget(small, max_seconds=small.seconds * 2) is small


def test_default_limit_is_a_fraction_of_the_machine():
    assert 0 < default_max_memory() < machine_memory()


@pytest.mark.parametrize("text, value", [("8G", 8 * GB), ("512MB", 512 * 10**6), ("1000", 1000),
                                         ("2.5GiB", int(2.5 * 1024**3))])
def test_parse_memory(text, value):
    assert parse_memory(text) == value


@pytest.mark.parametrize("text", ["", "-1G", "lots", "nanG", "1e30"])
def test_parse_memory_refuses_nonsense(text):
    with pytest.raises(InputError, match="size like"):
        parse_memory(text)
