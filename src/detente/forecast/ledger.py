"""The forecast ledger: append-only rows chained by SHA-256, in SQLite or PostgreSQL.

Each row (a forecast or a resolution) stores the question id and version, the UTC time, the model,
its options, detente's version, the inputs and their hash, the question as sealed, the forecast
(or the resolution) and the baselines recorded beside it, and ``hash`` = SHA-256 of the canonical
JSON of all of these together with ``id`` and ``prev_hash``, the previous row's hash. One
transaction per seal: it locks the chain head (SQLite: ``BEGIN IMMEDIATE`` in WAL mode;
PostgreSQL: ``SELECT ... FOR UPDATE`` on the head row), appends the row and moves the head, so a
process killed mid-seal leaves either the whole row or none. The schema is under Alembic
migrations (``forecast/migrations``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from detente.errors import InputError, problem

GENESIS = "0" * 64
MIGRATIONS = Path(__file__).with_name("migrations")
JSON_COLUMNS = ("options", "inputs", "question", "forecast", "baselines")
HASHED = ("id", "kind", "question_id", "question_version", "created_at", "model", "options",
          "detente_version", "inputs_hash", "inputs", "question", "forecast", "baselines",
          "prev_hash")

metadata = sa.MetaData()
entries = sa.Table(
    "ledger_entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    *(sa.Column(name, sa.String) for name in ("kind", "question_id")),
    sa.Column("question_version", sa.Integer),
    *(sa.Column(name, sa.String) for name in ("created_at", "model", "options",
                                              "detente_version", "inputs_hash", "inputs",
                                              "question", "forecast", "baselines", "prev_hash",
                                              "hash")),
)
head = sa.Table("ledger_head", metadata, sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("last_id", sa.Integer), sa.Column("last_hash", sa.String))


def canonical(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces, finite numbers only): what is hashed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def entry_hash(row: dict[str, Any]) -> str:
    """SHA-256 of a row's canonical JSON over :data:`HASHED` (JSON columns as stored text)."""
    return hashlib.sha256(canonical({k: row[k] for k in HASHED}).encode()).hexdigest()


def inputs_hash(inputs: dict[str, Any], options: dict[str, Any]) -> str:
    """SHA-256 of what a forecast is computed from: the inputs (scenario hash, hypothesis,
    levers, runs, seed, horizon) and the model options."""
    return hashlib.sha256(canonical({"inputs": inputs, "options": options}).encode()).hexdigest()


def database_url(ledger: str | Path) -> str:
    """A ledger argument into a SQLAlchemy URL: a file path means SQLite; ``postgresql://`` is
    read as ``postgresql+psycopg://`` (psycopg 3)."""
    text = str(ledger)
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        if not text.startswith(("postgresql+psycopg://", "sqlite://")):
            raise InputError([problem("a ledger is a file path (SQLite) or a postgresql:// URL",
                                      ("ledger",), value=text)])
        return text
    path = Path(text).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def default_ledger() -> Path:
    """The ledger file in the user's data directory (platformdirs)."""
    import platformdirs

    return platformdirs.user_data_path("detente") / "ledger.sqlite"


def _sqlite_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock before reading the head

    return engine


@dataclass
class Ledger:
    """An open ledger; ``url`` names the database (a SQLite file or a PostgreSQL server)."""

    engine: sa.Engine
    url: str

    def append(self, kind: str, question: dict[str, Any], model: str, options: dict[str, Any],
               inputs: dict[str, Any], forecast: dict[str, Any], baselines: dict[str, Any],
               created_at: datetime | None = None) -> dict[str, Any]:
        """Seal one row in one transaction and return it (with its id and hash)."""
        from detente import __version__

        when = (created_at or datetime.now(UTC)).astimezone(UTC)
        row: dict[str, Any] = {
            "kind": kind, "question_id": question["id"],
            "question_version": int(question["version"]),
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "model": model,
            "options": canonical(options), "detente_version": __version__,
            "inputs_hash": inputs_hash(inputs, options),
            "inputs": canonical(inputs), "question": canonical(question),
            "forecast": canonical(forecast), "baselines": canonical(baselines),
        }
        with self.engine.begin() as conn:
            top = conn.execute(sa.select(head.c.last_id, head.c.last_hash)
                               .where(head.c.id == 1).with_for_update()).one()
            row["id"], row["prev_hash"] = top.last_id + 1, top.last_hash
            row["hash"] = entry_hash(row)
            conn.execute(entries.insert().values(**row))
            conn.execute(head.update().where(head.c.id == 1)
                         .values(last_id=row["id"], last_hash=row["hash"]))
        return decode(row)

    def check_versions(self, questions: list[dict[str, Any]]) -> None:
        """A question sealed before under the same id and version must read the same: any
        wording change bumps the version (MODELS §6.1)."""
        sealed: dict[tuple[str, int], dict[str, Any]] = {}
        for e in self.entries("forecast"):
            sealed[(e["question_id"], e["question_version"])] = e["question"]
        problems = [problem(f"question {q['id']} differs from its version {q['version']} "
                            f"sealed before (fields {', '.join(_changed(old, q))}); bump "
                            "its version", ("questions", k, "version"), value=q["version"])
                    for k, q in enumerate(questions)
                    if (old := sealed.get((q["id"], q["version"]))) is not None and old != q]
        if problems:
            raise InputError(problems)

    def rows(self) -> list[dict[str, Any]]:
        """Every row as stored, in id order (JSON columns left as text)."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(entries)
                                                           .order_by(entries.c.id))]

    def head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            top = conn.execute(sa.select(head.c.last_id, head.c.last_hash)
                               .where(head.c.id == 1)).one()
        return int(top.last_id), str(top.last_hash)

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Rows with their JSON columns decoded, optionally of one kind."""
        return [decode(r) for r in self.rows() if kind is None or r["kind"] == kind]


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def decode(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.loads(v) if k in JSON_COLUMNS else v) for k, v in row.items()}


def open_ledger(ledger: str | Path | None = None) -> Ledger:
    """Open (and, when new or behind, migrate) the ledger at a path or URL."""
    url = database_url(ledger if ledger is not None else default_ledger())
    engine = _sqlite_engine(url) if url.startswith("sqlite") else sa.create_engine(
        url, poolclass=sa.pool.NullPool)
    try:
        _migrate(engine)
    except sa.exc.OperationalError as err:
        raise InputError([problem(f"cannot open the ledger: {err.orig}", ("ledger",),
                                  value=str(ledger))]) from None
    return Ledger(engine, url)


@functools.cache
def _alembic() -> tuple[Any, str | None]:
    """Alembic's configuration for the packaged migrations and the head revision."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg, ScriptDirectory.from_config(cfg).get_current_head()


def _migrate(engine: sa.Engine) -> None:
    """Bring the schema to Alembic's head, inside one locked transaction (safe when two
    processes open a new ledger at once)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg, target = _alembic()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7301975)")
        if MigrationContext.configure(conn).get_current_revision() == target:
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


# -- verification ---------------------------------------------------------------------------------

def verify_chain(rows: list[dict[str, Any]], head_id: int, head_hash: str) -> list[dict[str, Any]]:
    """Recompute the chain; one finding per edited, deleted or reordered row, named by id.

    ``rows`` in id order as stored. An edited row no longer matches its own hash; a deleted row
    leaves a gap in the ids (or, at the end, a head that points past the last row); a reordered
    row's ``prev_hash`` names a row other than the one before it.
    """
    findings: list[dict[str, Any]] = []
    by_hash = {r["hash"]: r["id"] for r in rows}
    ids = [r["id"] for r in rows]
    prev_hash, expected = GENESIS, 1
    for r in rows:
        if r["id"] != expected:
            gone = list(range(expected, r["id"]))
            findings.append({"id": r["id"], "problem": "deleted",
                             "detail": f"rows {gone} are missing before row {r['id']}"})
        if entry_hash(r) != r["hash"]:
            moved = _original_id(r, ids)
            findings.append({"id": r["id"], "problem": "reordered",
                             "detail": f"this is row {moved}'s sealed content, moved"}
                            if moved is not None else
                            {"id": r["id"], "problem": "edited",
                             "detail": "the row's content no longer matches its hash"})
        elif r["prev_hash"] != prev_hash and r["id"] == expected:
            other = by_hash.get(r["prev_hash"])
            what = "reordered" if other is not None else "chain broken"
            findings.append({"id": r["id"], "problem": what,
                             "detail": f"its previous hash names row {other}" if other else
                             "its previous hash names no row in the ledger"})
        prev_hash, expected = r["hash"], r["id"] + 1
    last_id = rows[-1]["id"] if rows else 0
    if head_id != last_id:
        findings.append({"id": head_id, "problem": "deleted",
                         "detail": f"the head names row {head_id}; the last row is {last_id}"})
    elif head_hash != prev_hash:
        findings.append({"id": last_id, "problem": "edited",
                         "detail": "the head's hash differs from the last row's hash"})
    return findings


def _original_id(row: dict[str, Any], ids: list[int]) -> int | None:
    """The id a row was sealed under, if its content is intact but now sits at another id."""
    return next((k for k in ids if k != row["id"] and entry_hash({**row, "id": k}) == row["hash"]),
                None)
