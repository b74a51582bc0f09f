"""The ledger: append-only rows chained by hash, tamper found by id, reliable under SIGKILL and
concurrent sealing, in SQLite and in a real PostgreSQL server."""

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from detente.errors import InputError
from detente.forecast.ledger import GENESIS, entry_hash, open_ledger, verify_chain

SEALER = Path(__file__).with_name("sealer.py")
SRC = Path(__file__).parents[2] / "src"
Q = {"id": "Q-LEDGER-TEST", "version": 1}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _seal_some(url: str, n: int = 5) -> list[dict]:
    book = open_ledger(url)
    return [book.append("forecast", Q, "m", {"k": i}, {"seed": i}, {"p": i / 10}, {"uniform":
                                                                                  {"p": 0.5}})
            for i in range(n)]


def _check(url: str) -> list[dict]:
    book = open_ledger(url)
    return verify_chain(book.rows(), *book.head())


def test_rows_chain_to_genesis_and_hash_their_content(ledger_url: str) -> None:
    rows = _seal_some(ledger_url)
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))
    stored = open_ledger(ledger_url).rows()
    assert all(entry_hash(r) == r["hash"] for r in stored)
    assert _check(ledger_url) == []
    # any change to a hashed field changes the hash
    assert entry_hash({**stored[2], "forecast": '{"p":0.21}'}) != stored[2]["hash"]


def _sql(path: str, statement: str) -> None:
    subprocess.run(["sqlite3", path, statement], check=True)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 command line is absent")
def test_sqlite3_command_line_edits_deletes_and_reorders_are_found_by_id(tmp_path: Path) -> None:
    url = str(tmp_path / "l.sqlite")
    _seal_some(url, 6)
    _sql(url, "UPDATE ledger_entries SET forecast = '{\"p\":0.99}' WHERE id = 2")
    _sql(url, "DELETE FROM ledger_entries WHERE id = 4")
    _sql(url, "UPDATE ledger_entries SET id = -1 WHERE id = 5; UPDATE ledger_entries SET id = 5 "
              "WHERE id = 6; UPDATE ledger_entries SET id = 6 WHERE id = -1")
    found = {(f["id"], f["problem"]) for f in _check(url)}
    assert {(2, "edited"), (5, "deleted"), (5, "reordered"), (6, "reordered")} <= found
    assert not any(f[0] in (1, 3) for f in found)
    from typer.testing import CliRunner

    from detente.cli import app

    res = CliRunner().invoke(app, ["ledger", "verify", "--ledger", url, "--no-rerun"])
    assert res.exit_code == 1
    assert "row 2: edited" in res.output


def test_deleting_the_last_row_is_found(ledger_url: str, tmp_path: Path) -> None:
    _seal_some(ledger_url, 3)
    book = open_ledger(ledger_url)
    with book.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM ledger_entries WHERE id = 3")
    assert [(f["id"], f["problem"]) for f in _check(ledger_url)] == [(3, "deleted")]


def test_sigkill_while_sealing_loses_no_committed_row(ledger_url: str) -> None:
    trials = 200
    res = subprocess.run([sys.executable, str(SEALER), "kill", ledger_url, str(trials), "7"],
                         capture_output=True, text=True, env=_env(), timeout=600, check=True)
    reported = json.loads(res.stdout)
    book = open_ledger(ledger_url)
    rows = book.rows()
    ids = [r["id"] for r in rows]
    assert set(reported) <= set(ids)  # no committed row lost
    assert ids == list(range(1, len(ids) + 1))  # no gap, no half row
    assert all(r["forecast"] == '{"p":0.5}' and r["hash"] for r in rows)
    assert verify_chain(rows, *book.head()) == []
    assert len(reported) > 0  # some trials got rows in before the kill


def test_two_processes_sealing_at_once_keep_one_valid_chain(ledger_url: str) -> None:
    open_ledger(ledger_url)
    n = 40
    procs = [subprocess.Popen([sys.executable, str(SEALER), "seal", ledger_url, str(n), tag],
                              stdout=subprocess.PIPE, text=True, env=_env()) for tag in "ab"]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    got = [sorted(int(x) for x in o.split()) for o in outs]
    assert sorted(got[0] + got[1]) == list(range(1, 2 * n + 1))
    rows = open_ledger(ledger_url).rows()
    assert {r["model"] for r in rows} == {"a", "b"}
    assert _check(ledger_url) == []


def test_sqlite_ledger_runs_in_wal_mode_and_urls_are_read(tmp_path: Path) -> None:
    from detente.forecast.ledger import database_url

    book = open_ledger(tmp_path / "w.sqlite")
    with book.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert database_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert database_url(tmp_path / "x.sqlite") == f"sqlite:///{tmp_path / 'x.sqlite'}"
    with pytest.raises(InputError, match="postgresql:// URL"):
        database_url("mysql://u@h/db")
