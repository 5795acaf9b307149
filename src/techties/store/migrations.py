"""Numbered schema migrations, applied in order when a store is opened.

Migrations are SQL files ``NNNN_name.sql`` in ``techties/store/migrations/``; the applied ones
are recorded in ``schema_migrations``. Each file runs in its own transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from techties.errors import MigrationError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """All migrations shipped with the package, sorted by version."""
    folder = resources.files("techties.store").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda mg: mg.version)
    versions = [mg.version for mg in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"Duplicate migration numbers: {versions}")
    return found


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def pending(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    done = applied(con)
    return [m for m in available() if m.version not in done]


def pending_read_only(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """The migrations a store opened read-only still needs (nothing is created or written)."""
    has_log = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
    ).fetchone()
    done: set[int] = set()
    if has_log and has_log[0]:
        done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    return [m for m in available() if m.version not in done]


def migrate(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """Apply every pending migration; return those applied."""
    todo = pending(con)
    for mg in todo:
        try:
            con.execute("BEGIN TRANSACTION")
            con.execute(mg.sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [mg.version, mg.name]
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise MigrationError(f"Migration {mg.version:04d}_{mg.name} failed: {exc}") from exc
    return todo
