"""The DEU backtest reader and scores, on a DEU-format fixture we wrote, and the BDM 1994 case."""

from pathlib import Path

import numpy as np
import pytest

from detente.errors import InputError
from detente.forecast.backtest import backtest_deu, backtest_scenario, read_deu, run_models

FIX = Path(__file__).parents[1] / "fixtures" / "forecast"
DEU = FIX / "deu-small.csv"


def test_reader_handles_quotes_missing_codes_and_decimal_commas() -> None:
    d = read_deu(DEU)
    assert d.actors == ("com", "ep", "de", "fr", "uk", "it")
    assert len(d.issues) == 10
    assert np.isnan(d.position[2, 3]) and np.isnan(d.position[3, 4])  # blank, 999
    assert d.outcome[4] == 65.5
    assert np.isnan(d.outcome[7]) and np.isnan(d.reference[6])


def test_tab_separated_unquoted_file_reads_the_same(tmp_path: Path) -> None:
    tab = tmp_path / "deu.tsv"
    tab.write_text(DEU.read_text().replace('"', "").replace("65,5", "65.5").replace(";", "\t"))
    a, b = read_deu(DEU), read_deu(tab)
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.outcome, b.outcome)


def test_bad_cell_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(DEU.read_text().replace('"70";"80";"100"', '"70";"high";"100"'))
    with pytest.raises(InputError, match=r"bad.csv:2: scom: must be a number"):
        read_deu(bad)


def test_weighted_mean_forecast_and_error_table() -> None:
    d = read_deu(DEU)
    f = run_models(d, np.ones(6), ["mean", "nash"])
    x = np.array([70, 100, 50, 80, 0, 60])
    s = np.array([80, 90, 60, 50, 100, 40])
    assert f["mean"][0] == pytest.approx((x * s).sum() / s.sum())
    assert np.isnan(f["mean"][7])  # no outcome
    assert np.isnan(f["nash"][6]) and not np.isnan(f["mean"][6])  # no reference point
    r = backtest_deu(DEU, ["mean", "median", "nash"])
    ok = ~np.isnan(d.outcome)
    e = np.abs(f["mean"][ok] - d.outcome[ok])
    assert r["models"]["mean"]["mae"] == pytest.approx(e.mean())
    assert r["models"]["mean"]["rmse"] == pytest.approx(np.sqrt((e ** 2).mean()))
    assert r["models"]["mean"]["hit10"] == pytest.approx((e <= 10).mean())
    assert r["models"]["nash"]["n"] == 8
    med = r["against_mean"]["median"]
    assert med["difference_low"] <= med["difference"] <= med["difference_high"]


def test_bdm1994_case_scored_against_the_actual_8833() -> None:
    root = Path(__file__).parents[2]
    r = backtest_scenario(root / "scenarios" / "bdm1994-emissions.yaml", ["mean", "eum"],
                          {"year": "8.833"})
    # the capability x salience weighted mean of BDM's table is 7.39 (MODELS §2.10)
    assert r["forecasts"]["mean"]["year"] == pytest.approx(7.39, abs=0.01)
    assert r["models"]["mean"]["mae"] == pytest.approx(8.833 - r["forecasts"]["mean"]["year"])
