"""Spreadsheet out: tidy results written as CSV, Parquet and XLSX read back the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.errors import InputError
from detente.runtime import negotiate
from detente.scenario import load_scenario
from detente.views.export import write_table

from .conftest import FIXTURES

READ = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}


@pytest.fixture(scope="module")
def result():
    return negotiate(load_scenario(FIXTURES / "minimal.yaml"), "eum", draws=5, seed=1)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_written_tables_read_back(result, tmp_path, suffix):
    frame = result.to_frame("positions")
    path = write_table(frame, tmp_path / f"out{suffix}")
    back = READ[suffix](path)
    assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
    pd.testing.assert_series_equal(back["value"], frame["value"], check_dtype=False)
    row = back[(back["draw"] == 2) & (back["round"] == 1) & (back["actor"] == "B")
               & (back["issue"] == "money")]
    assert row["value"].item() == result.trajectory.positions[2, 1, 1, 1]
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]  # no temporary left


def test_forecasts_per_draw_in_a_sheet(result, tmp_path):
    path = write_table(result.to_frame("forecast"), tmp_path / "f.xlsx", sheet="forecast")
    back = pd.read_excel(path, sheet_name="forecast")
    table = back.pivot(index="draw", columns="issue", values="value")
    # a worksheet keeps 15 significant digits
    np.testing.assert_allclose(table[list(result.batch.issues)].to_numpy(),
                               result.trajectory.forecast, rtol=1e-14)


def test_unknown_suffix_missing_folder_and_too_many_rows(result, tmp_path):
    frame = result.to_frame("forecast")
    with pytest.raises(InputError, match=r"allowed suffixes: \.csv, \.parquet, \.xlsx"):
        write_table(frame, tmp_path / "out.json")
    with pytest.raises(InputError, match="output folder does not exist"):
        write_table(frame, tmp_path / "nowhere" / "out.csv")
    big = pd.DataFrame({"value": range(1_048_576)})
    with pytest.raises(InputError, match="do not fit a worksheet"):
        write_table(big, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()
