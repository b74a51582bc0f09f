"""The CLI's default backend (issue 14): a pool of processes only where it pays (a GIL-bound
kernel, two blocks or more, a long estimate, two cores or more), this process otherwise, the same
numbers either way, and the backend that ran named in the provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.runtime.backends import (
    AUTO_MIN_SECONDS,
    Auto,
    InProcess,
    Processes,
    make_backend,
    resolve,
    usable_cores,
)

runner = CliRunner()
FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "ukraine-2025.yaml"
LONG = AUTO_MIN_SECONDS * 2


@pytest.mark.parametrize(("cores", "jobs", "threads_ok", "seconds"), [
    (2, 4, True, LONG),                 # the kernel releases the GIL: threads in this process
    (2, 1, False, LONG),                # one block: nothing to share out
    (1, 4, False, LONG),                # one core: a pool only adds its start-up
    (2, 4, False, AUTO_MIN_SECONDS / 2),  # too short to pay for the pool
])
def test_auto_stays_in_this_process_where_a_pool_cannot_pay(cores, jobs, threads_ok, seconds):
    assert isinstance(Auto(cores=cores).choose(jobs, threads_ok, seconds), InProcess)


@pytest.mark.parametrize(("cores", "jobs", "workers"), [(2, 4, 2), (8, 3, 3), (4, 2, 2)])
def test_auto_starts_one_process_per_core_up_to_one_per_block(cores, jobs, workers):
    chosen = Auto(cores=cores).choose(jobs, False, AUTO_MIN_SECONDS)
    assert isinstance(chosen, Processes) and chosen.workers == workers


def test_resolve_names_the_backend_that_runs():
    assert isinstance(resolve(None, 8, False, LONG), InProcess)
    assert isinstance(resolve(Processes(4), 1, False, LONG), InProcess)  # one job: no pool
    pool = Processes(3)
    assert resolve(pool, 5, True, 0.0) is pool  # asked for explicitly: kept
    assert isinstance(resolve(Auto(cores=2), 5, False, LONG), Processes)


def test_the_cli_flags_make_their_backends():
    assert isinstance(make_backend(), Auto)
    assert isinstance(make_backend(workers=1), InProcess)
    assert isinstance(make_backend(workers=3), Processes)
    assert usable_cores() >= 1


def _simulate(*extra: str) -> dict:
    result = runner.invoke(app, ["simulate", str(FLAGSHIP), "--seed", "3", "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _strip(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "provenance"}


def test_a_short_run_stays_in_this_process_by_default():
    out = _simulate("--runs", "400")
    assert out["provenance"]["backend"] == "in-process" and out["provenance"]["workers"] == 1


@pytest.mark.skipif(usable_cores() < 2, reason="one core: the default never starts a pool")
def test_a_long_coupled_run_uses_every_core_with_the_same_numbers():
    """10,240 coupled runs are two blocks estimated at over 6 s: the default shares them over
    processes; ``--workers 1`` keeps them here; every number but the provenance agrees."""
    auto = _simulate("--runs", "10240")
    here = _simulate("--runs", "10240", "--workers", "1")
    assert auto["provenance"]["backend"] == "processes"
    assert auto["provenance"]["workers"] == min(2, usable_cores())
    assert here["provenance"]["backend"] == "in-process"
    assert _strip(auto) == _strip(here)

