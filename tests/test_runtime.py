"""The experiment runner from the command line: backends, one seed, Results files, options
validated at load, progress outside a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.runtime import Experiment, run
from detente.scenario import load_scenario

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
EMISSIONS = ROOT / "scenarios" / "bdm1994-emissions.yaml"
runner = CliRunner()


def test_dask_local_and_in_process_give_identical_files(tmp_path):
    """The issue's acceptance command: the same numbers with and without dask."""
    args = ["run", str(EMISSIONS), "-m", "eum", "--draws", "1000", "--seed", "7", "--json"]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "a.parquet")])
    dask = runner.invoke(app, [*args, "--dask-local", "2", "--out", str(tmp_path / "b.parquet")])
    assert local.exit_code == 0 and dask.exit_code == 0, dask.output
    a, b = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    assert len(a) > 100_000
    pd.testing.assert_frame_equal(a, b)
    meta_a, meta_b = json.loads(local.stdout), json.loads(dask.stdout)
    assert meta_a["draws"] == meta_b["draws"]
    assert meta_b["provenance"]["backend"] == "dask" and meta_b["provenance"]["workers"] == 2
    assert meta_a["provenance"]["backend"] == "in-process"


def test_results_files_carry_provenance_and_round_trip(tmp_path):
    import pyarrow.parquet as pq
    import xarray as xr

    res = run(Experiment(load_scenario(EMISSIONS), "eum", {"rounds": 3}, draws=5, seed=2))
    res.write(tmp_path / "r.nc")
    back = xr.open_dataset(tmp_path / "r.nc", engine="scipy")
    np.testing.assert_array_equal(back["positions"].values, res.output.positions)
    assert back.attrs["model"] == "eum" and json.loads(back.attrs["options"])["rounds"] == 3
    res.write(tmp_path / "r.parquet")
    meta = json.loads(pq.read_schema(tmp_path / "r.parquet").metadata[b"detente"])
    assert meta["scenario_sha256"] == load_scenario(EMISSIONS).sha256()
    frame = res.to_frame("forecast")
    assert list(frame.columns) == ["variable", "draw", "issue", "value"] and len(frame) == 5


def test_seed_changes_the_exchange_models_tie_breaking():
    """--seed reaches every stream, the exchange model's coin included."""
    path = FIXTURES / "decide" / "sample_data.txt"
    out = [runner.invoke(app, ["run", str(path), "-m", "exchange", "-O", "rounds=3",
                               "--seed", s, "--json"]) for s in ("0", "5", "0")]
    pos = [json.loads(r.stdout)["positions"] for r in out]
    assert pos[0] == pos[2] and pos[0] != pos[1]


def test_bad_option_in_a_scenario_file_is_reported_by_validate_with_its_line(tmp_path):
    text = (FIXTURES / "minimal.yaml").read_text()
    path = tmp_path / "opts.yaml"
    path.write_text(text + "model_options:\n  eum:\n    q: 7\n    colour: red\n")
    line_q = len(text.splitlines()) + 3
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"opts.yaml:{line_q}: model_options.eum.q: option 'q' must lie in [0, 1]" in \
        result.output
    assert "model_options.eum.colour: unknown option" in result.output


def test_unknown_model_in_scenario_options_is_located(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text((FIXTURES / "minimal.yaml").read_text() + "model_options:\n  bdm: {}\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "model_options.bdm: unknown model" in result.output


def test_progress_outside_a_terminal_is_a_plain_line():
    result = runner.invoke(app, ["run", str(EMISSIONS), "-m", "mean", "--draws", "2000"])
    assert result.exit_code == 0
    assert "blocks" in result.stderr and "\x1b[" not in result.stderr


def test_only_one_backend_at_a_time():
    result = runner.invoke(app, ["run", str(EMISSIONS), "--workers", "2", "--dask-local", "2"])
    assert result.exit_code == 2 and "choose one of" in result.output


@pytest.mark.parametrize("flag", [["--workers", "2"]])
def test_local_processes_give_the_same_numbers(flag):
    base = ["run", str(EMISSIONS), "-m", "eum", "--draws", "3000", "--seed", "1", "--json"]
    a = json.loads(runner.invoke(app, base).stdout)
    b = json.loads(runner.invoke(app, [*base, *flag]).stdout)
    assert a["draws"] == b["draws"] and b["provenance"]["backend"] == "processes"


def test_the_budget_is_checked_before_anything_is_allocated():
    """Issue 13 item 11: limits checked together, from the request's shapes, in the CLI too."""
    flagship = ROOT / "scenarios" / "ukraine-2025.yaml"
    result = runner.invoke(app, ["simulate", str(flagship), "--runs", "2000000", "--horizon",
                                 "1040", "--json"])
    assert result.exit_code == 2 and "over the limit" in result.output
    small = runner.invoke(app, ["run", str(EMISSIONS), "--draws", "100000", "--max-memory",
                                "100M"])
    assert small.exit_code == 2 and "max_memory" in small.output
    ok = runner.invoke(app, ["run", str(EMISSIONS), "--draws", "100", "--max-memory", "100M"])
    assert ok.exit_code == 0


def _fails_in_turn(job: tuple[int, float]) -> int:
    """Job k sleeps, then raises an error naming k (top level: processes pickle it)."""
    import time

    k, delay = job
    time.sleep(delay)
    raise ValueError(f"job {k}")


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_a_failing_block_raises_the_first_jobs_error_not_the_fastest(backend):
    """Two blocks fail; the later one fails first. The error is the first block's, as on one
    worker (it used to be whichever finished first, so messages changed run to run)."""
    from detente.runtime.backends import InProcess, Processes

    pool = InProcess(threads=2) if backend == "threads" else Processes(2)
    with pytest.raises(ValueError, match="job 0"):
        pool.map(_fails_in_turn, [(0, 0.3), (1, 0.0)], None)


def test_the_smp_limit_message_is_the_same_on_every_run():
    """The flagship breaks KTAB's salience limit in every block: the message names block 0's
    totals whichever thread ends first (it changed between runs before)."""
    from detente.errors import ModelError
    from detente.runtime import negotiate
    from detente.runtime.backends import InProcess

    sc = load_scenario(Path(__file__).parents[1] / "scenarios" / "ukraine-2025.yaml")
    messages = set()
    for threads in (1, 2, 2, 2):
        with pytest.raises(ModelError) as err:
            negotiate(sc, "smp", draws=300, seed=0, backend=InProcess(threads=threads))
        messages.add(str(err.value))
    assert len(messages) == 1
