"""Spreadsheet in: actors x issues tables (CSV, XLSX) read into scenarios."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import InputError
from detente.runtime import negotiate
from detente.scenario import load_scenario
from detente.scenario.grid import read_grid_csv

from .conftest import FIXTURES

GRID = FIXTURES / "grid"


def _table(scenario):
    """Actors, their capabilities and (position, salience) per issue: what a grid holds."""
    return (
        [(a.id, a.capability.point()) for a in scenario.actors],
        sorted((s.actor, s.issue.lower(), s.position.point(), s.salience.point())
               for s in scenario.stances),
    )


def test_grid_csv_holds_what_the_bdm_csv_holds():
    bdm = load_scenario(FIXTURES / "bdm1994-emissions.csv")  # issue 'issue' on 4..10
    grid = load_scenario(GRID / "emissions.csv", "grid-csv", low=4, high=10)
    assert [i.id for i in grid.issues] == ["Year"] and grid.salience_scale == 100
    cap_b, st_b = _table(bdm)
    cap_g, st_g = _table(grid)
    assert cap_b == cap_g
    assert [s[:1] + s[2:] for s in st_b] == [s[:1] + s[2:] for s in st_g]
    # same inputs, same model outcome: BDM's expected utility model gives the same forecast
    f_b = negotiate(bdm, "eum", rounds=6).trajectory.forecast
    f_g = negotiate(grid, "eum", rounds=6).trajectory.forecast
    np.testing.assert_allclose(f_g, f_b)


def test_the_grid_format_is_detected_from_the_header():
    assert load_scenario(GRID / "emissions.csv").name == "emissions"


def test_ktab_grid_as_a_table_gives_the_ktab_importers_scenario(tmp_path):
    ktab = load_scenario(FIXTURES / "ktab" / "dummyData_3Dim.csv", "ktab-csv")
    rows = ["actor,capability," + ",".join(f"{i.name} position,{i.name} salience"
                                           for i in ktab.issues)]
    for a in ktab.actors:
        cells = []
        for i in ktab.issues:
            st = ktab.stance(a.id, i.id)
            cells += [f"{st.position.point():g}", f"{st.salience.point():g}"]
        rows.append(",".join([a.name, f"{a.capability.point():g}", *cells]))
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    grid = load_scenario(tmp_path / "t.csv", "grid-csv", salience_scale=100)
    assert _table(grid) == _table(ktab)


def test_xlsx_reads_like_csv(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for line in (GRID / "emissions.csv").read_text().splitlines():
        cells = line.split(",")
        sheet.append([cells[0], *(float(c) for c in cells[1:])] if cells[0] != "actor" else cells)
    book.save(tmp_path / "emissions.xlsx")
    from_xlsx = load_scenario(tmp_path / "emissions.xlsx")  # format from the suffix
    from_csv = load_scenario(GRID / "emissions.csv", "grid-csv")
    assert from_xlsx.sha256() == from_csv.sha256()


def test_every_problem_named_by_row_and_column_in_one_pass():
    with pytest.raises(InputError) as err:
        load_scenario(GRID / "bad.csv", "grid-csv")
    got = [(p.line, p.message) for p in err.value.problems]
    assert len(got) == 3, got
    assert got[0][0] == 3 and "column 'Donetsk salience'" in got[0][1]
    assert err.value.problems[0].value == "high"
    assert got[1][0] == 4 and "no salience" in got[1][1]
    assert got[2][0] == 5 and "column 'Donetsk position'" in got[2][1] and "[0, 100]" in got[2][1]
    assert err.value.file.endswith("bad.csv")


@pytest.mark.parametrize(("header", "says"), [
    ("actor,capability,Year position,Year salience,colour", "column 'colour': unknown column"),
    ("actor,capability,Year position", "no 'Year salience' column"),
    ("capability,Year position,Year salience", "no 'actor' column"),
])
def test_header_problems(header, says):
    with pytest.raises(InputError) as err:
        read_grid_csv(header + "\nA,1,4,50,x\n", "t.csv")
    assert any(says in p.message and p.line == 1 for p in err.value.problems), err.value.render()


def test_semicolon_tables_and_empty_cells_for_issues_an_actor_stays_out_of():
    sc = read_grid_csv("actor;capability;A position;A salience;B position;B salience\n"
                       "x;1;10;0.5;;\ny;2;90;0.5;20;0.4\nz;1;50;0.2;80;0.9\n", "t.csv")
    assert sc.stance("x", "B") is None and sc.stance("y", "B").position.point() == 20


def test_cli_import_and_validate(tmp_path):
    runner = CliRunner()
    out = tmp_path / "s.yaml"
    r = runner.invoke(app, ["import", str(GRID / "emissions.csv"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert load_scenario(out).sha256() == load_scenario(GRID / "emissions.csv").sha256()
    r = runner.invoke(app, ["validate", str(GRID / "bad.csv"), "--format", "grid-csv"])
    assert r.exit_code == 2 and "bad.csv:3: column 'Donetsk salience'" in r.output
