"""Ledger fixtures: a SQLite file, and a fresh database on the PostgreSQL server that `make test`
starts (its URL in DETENTE_TEST_PG_URL; the postgres-marked tests skip without it)."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("DETENTE_TEST_PG_URL")


def _pg_database() -> Iterator[str]:
    import psycopg

    name = f"detente_test_{uuid.uuid4().hex[:12]}"
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = admin.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    if not PG_URL:
        pytest.skip("no PostgreSQL server: set DETENTE_TEST_PG_URL (make test starts one)")
    yield from _pg_database()
