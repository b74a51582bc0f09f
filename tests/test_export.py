"""Spreadsheet out: tidy results written as CSV, Parquet and XLSX read back the same."""

from __future__ import annotations

import pandas as pd
import pytest

from detente.errors import InputError
from detente.results import negotiate
from detente.scenario import load_scenario
from detente.views.export import negotiation_frame, write_table

from .conftest import FIXTURES


@pytest.fixture(scope="module")
def result():
    return negotiate(load_scenario(FIXTURES / "minimal.yaml"), "eum", draws=5, seed=1)


def test_tidy_frame_holds_every_position_and_forecast(result):
    frame = negotiation_frame(result)
    traj = result.trajectory
    pos = frame[frame.quantity == "position"]
    n, d = traj.positions.shape[2:]
    assert len(pos) == sum((int(t) + 1) * n * d for t in traj.turns)  # taken turns only
    row = pos[(pos.draw == 2) & (pos.turn == 1) & (pos.actor == "B") & (pos.issue == "money")]
    assert row.value.item() == traj.positions[2, 1, 1, 1]
    fc = frame[frame.quantity == "forecast"].pivot(index="draw", columns="issue", values="value")
    assert fc[list(result.batch.issues)].to_numpy().tolist() == traj.forecast.tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_written_tables_read_back(result, tmp_path, suffix):
    frame = negotiation_frame(result)
    path = write_table(frame, tmp_path / f"out{suffix}")
    back = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix](path)
    assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
    pd.testing.assert_series_equal(back["value"], frame["value"], check_dtype=False)
    assert back["actor"].isna().sum() == frame["actor"].isna().sum()
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]  # no temporary left


def test_unknown_suffix_and_missing_folder(result, tmp_path):
    frame = negotiation_frame(result)
    with pytest.raises(InputError, match=r"allowed suffixes: \.csv, \.parquet, \.xlsx"):
        write_table(frame, tmp_path / "out.json")
    with pytest.raises(InputError, match="output folder does not exist"):
        write_table(frame, tmp_path / "nowhere" / "out.csv")
