"""``--out`` is written whole or not at all: a failure half way leaves the previous output (or
nothing) and no temporary file, and the command exits 2 naming the file."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import InputError
from detente.runtime import Experiment, run
from detente.scenario import load_scenario

EMISSIONS = Path(__file__).resolve().parents[1] / "scenarios" / "bdm1994-emissions.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def results():
    scenario = load_scenario(EMISSIONS)
    return [run(Experiment(scenario, "eum", {"rounds": r}, draws=3)) for r in (3, 5)]


def _full_disk(real):
    """``real`` writes part of its output, then the disk is full (as a write would fail)."""
    def write(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


def test_a_zarr_folder_is_replaced_only_when_the_new_one_is_complete(tmp_path, results,
                                                                     monkeypatch):
    first, second = results
    out = tmp_path / "r.zarr"
    first.write(out)
    second.write(out)  # replaced whole: the second's numbers, nothing of the first's
    back = xr.open_zarr(out)
    np.testing.assert_array_equal(back["positions"].values, second.output.positions)
    assert not np.array_equal(back["positions"].values, first.output.positions)
    monkeypatch.setattr(xr.Dataset, "to_zarr", _full_disk(xr.Dataset.to_zarr))
    with pytest.raises(InputError) as err:
        first.write(out)
    assert "No space left on device" in str(err.value) and out.name in str(err.value)
    np.testing.assert_array_equal(xr.open_zarr(out)["positions"].values,
                                  second.output.positions)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.zarr"]


def test_a_failed_csv_leaves_the_old_file_and_no_partial_one(tmp_path, results, monkeypatch):
    first, second = results
    out = tmp_path / "r.csv"
    first.write(out)
    before = out.read_bytes()
    monkeypatch.setattr(pd.DataFrame, "to_csv", _full_disk(pd.DataFrame.to_csv))
    with pytest.raises(InputError):
        second.write(out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]
    fresh = tmp_path / "new.csv"
    with pytest.raises(InputError):
        second.write(fresh)
    assert not fresh.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_the_command_exits_2_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(xr.Dataset, "to_netcdf", _full_disk(xr.Dataset.to_netcdf))
    out = tmp_path / "r.nc"
    result = runner.invoke(app, ["run", str(EMISSIONS), "-m", "eum", "--draws", "3",
                                 "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "out" in result.output and "No space left on device" in result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "made"), [("r.csv", "folder"), ("r.zarr", "file")])
def test_an_output_of_the_other_kind_is_refused_untouched(tmp_path, results, name, made):
    out = tmp_path / name
    if made == "folder":
        out.mkdir()
        (out / "keep").write_text("x")
    else:
        out.write_text("x")
    with pytest.raises(InputError) as err:
        results[0].write(out)
    assert f"it exists and is a {made}" in str(err.value)
    assert (out / "keep").read_text() == "x" if made == "folder" else out.read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == [name]
