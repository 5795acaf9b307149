"""The embedded DuckDB store: one opener, migrations on open, transactional ingest, provenance.

This is the only package that imports duckdb. Every row written by :meth:`Store.write` or
:meth:`Store.write_plan` carries the id of one append-only ``provenance`` row (source, version,
location, sha256 of the input bytes, rows written, time, techties version).

Bulk files (a source offering ``csv_plan``) are stored as Parquet parts beside the database file
and ``trade_flows`` is a view over the native rows plus the parts — see :mod:`techties.store.parts`
for why (measured: the native insert was ~3x slower than a CSV→Parquet conversion) and how the
all-or-nothing and provenance contracts are kept.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import duckdb

from techties import config
from techties._version import __version__
from techties.errors import (
    ConfigError,
    ReadOnlyQueryError,
    SourceFormatError,
    StoreError,
    UnknownNameError,
    did_you_mean,
)
from techties.store import parts
from techties.store.inputs import (  # noqa: F401  (re-exported)
    IngestResult,
    PlanFailed,
    file_sha256,
    write_batches,
)
from techties.store.migrations import migrate, pending_read_only
from techties.store.parts import physical, sql_str

# Opening and reading a store loads neither the source registry nor pandas, pyarrow, polars or
# numpy: the writing path imports its validation, repeat checks and Arrow where it runs.
if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from techties.sources.containers import CsvPlan
    from techties.store import repeats

    ArrowLike: TypeAlias = pa.Table | pa.RecordBatchReader


class _Ask:
    """:meth:`Store.write`'s default ``previous``: look the bytes up."""


_ASK = _Ask()


_WRITE_WORDS = re.compile(
    r"\b(insert|update|delete|drop|create|alter|attach|detach|copy|export|import|install|load|"
    r"pragma|set|call|checkpoint|vacuum|truncate|begin|commit|rollback)\b",
    re.IGNORECASE,
)


class Store:
    """An open techties store. Use :func:`open_store` to get one."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self._scratch = path == ":memory:"
        #: folder of the Parquet parts (a throwaway folder for an in-memory store)
        self.parts_root = (
            Path(tempfile.mkdtemp(prefix="techties-parts-"))
            if self._scratch
            else Path(f"{path}.parts")
        )
        self._files: _FileChanges | None = None  # set while a transaction is open
        self._hashes: repeats.KeyHashes | None = None  # likewise
        self._seen_tables: set[str] = set()  # names _check_table found
        self._stored_columns: dict[str, list[str]] = {}  # _append's columns of each table

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()
        if self._scratch:
            shutil.rmtree(self.parts_root, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------
    def tables(self) -> pd.DataFrame:
        """Tables and views with their row counts (``trade_flows`` counts rows and parts)."""
        import pandas as pd

        names = self.con.execute(
            "SELECT table_name, min(table_type) FROM information_schema.tables "
            "WHERE table_schema = 'main' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        rows = []
        for name, kind in names:
            if name in parts.INTERNAL:
                continue
            n = self.scalar(f'SELECT count(*) FROM "{name}"')
            view = kind == "VIEW" and name not in parts.PHYSICAL
            rows.append({"table": name, "kind": "view" if view else "table", "rows": int(n or 0)})
        return pd.DataFrame(rows, columns=["table", "kind", "rows"])

    def get_meta(self, key: str) -> str | None:
        """A fact recorded about this store (``store_meta``), or None."""
        value = self.scalar("SELECT value FROM store_meta WHERE key = ?", [key])
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        """Record a fact about this store (e.g. ``data_folder``)."""
        self._check_writable()
        self.con.execute(
            "INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
            [key, value],
        )

    def has_table(self, name: str) -> bool:
        """True for a table or view of the store (as :meth:`tables` lists it; nothing counted)."""
        if name in parts.INTERNAL:
            return False
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_name = ?",
                [name],
            )
        )

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """First column of the first row (None if no rows); the result is fully consumed."""
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run SQL and return a pandas DataFrame."""
        return self.con.execute(sql, params or []).df()

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run SQL and return a pyarrow Table (no extra copy of the rows)."""
        res: pa.Table = self.con.sql(sql, params=list(params) if params else None).to_arrow_table()
        return res

    def count(self, table: str) -> int:
        self._check_table(table)
        return int(self.scalar(f'SELECT count(*) FROM "{table}"') or 0)

    def read_only_query(self, sql: str) -> pd.DataFrame:
        """Run one SELECT/WITH/DESCRIBE/SHOW query; anything that could write is refused."""
        text = sql.strip().rstrip(";").strip()
        first = text.split(None, 1)[0].lower() if text else ""
        if first not in {
            "select",
            "with",
            "describe",
            "show",
            "summarize",
            "from",
            "values",
            "table",
        }:
            raise ReadOnlyQueryError(
                f"Only read-only queries are allowed; got a statement starting with {first!r}.",
                hint="Start the query with SELECT, WITH, DESCRIBE, SHOW or SUMMARIZE.",
            )
        if ";" in text:
            raise ReadOnlyQueryError("Only one statement is allowed.", hint="Remove the ';'.")
        if _WRITE_WORDS.search(re.sub(r"'[^']*'", "''", text)) and first not in {
            "describe",
            "show",
        }:
            raise ReadOnlyQueryError(
                "The query contains a statement keyword that can change data or files.",
                hint="Use a plain SELECT; export tables with `techties export`.",
            )
        try:
            return self.con.execute(text).df()
        except duckdb.Error as exc:
            raise ReadOnlyQueryError(f"Query failed: {exc}".splitlines()[0]) from exc

    def provenance(self, ids: Sequence[int] | None = None) -> pd.DataFrame:
        if ids is None:
            return self.df("SELECT * FROM provenance ORDER BY id")
        return self.df(
            "SELECT * FROM provenance WHERE id IN (SELECT unnest(?)) ORDER BY id", [list(ids)]
        )

    def export(self, table: str, path: str | Path) -> Path:
        """Write a table or view to Parquet."""
        self._check_table(table)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{sql_str(out)}' (FORMAT parquet)")
        return out

    def _check_table(self, table: str) -> None:
        if table in self._seen_tables:  # tables are only created by migrations, never dropped
            return
        known = {
            r[0]
            for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        if table not in known:
            raise UnknownNameError(
                f"No table named {table!r} in the store.", hint=did_you_mean(table, known)
            )
        self._seen_tables.add(table)

    # -- writing ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing block: everything inside commits together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        from techties.store import repeats

        files = self._files = _FileChanges()
        self._hashes = repeats.KeyHashes()
        try:
            try:
                yield
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")
        except BaseException:
            files.undo()  # parts written by this transaction
            raise
        finally:
            self._files, self._hashes = None, None
            parts.release(files.created)
        files.done()  # parts replaced by this transaction

    def find_ingest(self, source: str, sha256: str, table: str) -> int | None:
        """Id of the live ingest of these bytes by this source (not superseded), if any."""
        if not self.con.execute(  # bytes never seen (most files of a new store): one probe
            "SELECT EXISTS (SELECT 1 FROM provenance WHERE source = ? AND sha256 = ? "
            "AND target_table = ?)",
            [source, sha256, table],
        ).fetchall()[0][0]:
            return None
        found = self.scalar(
            "SELECT max(id) FROM provenance p WHERE source = ? AND sha256 = ? AND target_table = ? "
            "AND NOT EXISTS (SELECT 1 FROM provenance q WHERE q.replaces = p.id) "
            "AND json_extract(coalesce(details, '{}'), '$.superseded_by') IS NULL",
            [source, sha256, table],
        )
        return None if found is None else int(found)

    def live_ingests(self, source: str, table: str) -> dict[str, int]:
        """:meth:`find_ingest` of every sha256 this source holds in ``table``, in one query."""
        rows = self.con.execute(
            "SELECT sha256, max(id) FROM provenance p WHERE source = ? AND target_table = ? "
            "AND NOT EXISTS (SELECT 1 FROM provenance q WHERE q.replaces = p.id) "
            "AND json_extract(coalesce(details, '{}'), '$.superseded_by') IS NULL GROUP BY 1",
            [source, table],
        ).fetchall()
        return {str(sha): int(i) for sha, i in rows}

    def write(
        self,
        *,
        source: str,
        table: str,
        data: ArrowLike,
        location: str,
        sha256: str,
        nbytes: int,
        version: str | None = None,
        details: dict[str, Any] | None = None,
        replace: bool = False,
        previous: int | _Ask | None = _ASK,
    ) -> IngestResult:
        """Append ``data`` to ``table`` under a new provenance row. Call inside :meth:`transaction`.

        If the same bytes were already ingested by this source the call is a no-op, unless
        ``replace`` is true: then the earlier rows are deleted and the new provenance row records
        which ingest it replaces. ``previous``: :meth:`find_ingest`'s answer for these bytes,
        when the caller has it (the ingest loop knows it for every file), else it is asked.
        """
        import pyarrow as pa

        from techties.store import repeats
        from techties.store.validate import IDX, validate_table

        self._check_writable()
        self._check_table(table)
        if isinstance(previous, _Ask):
            previous = self.find_ingest(source, sha256, table)
        if previous is not None and not replace:
            return IngestResult(source, location, table, 0, previous, skipped=True)
        table_data = data.read_all() if isinstance(data, pa.RecordBatchReader) else data
        with self._staged(table_data) as staged:
            checked = validate_table(
                self.con, table_data, table=table, source=source, path=location, staged=staged
            )
            data, details = checked.data, {**(details or {}), **checked.details}
            if staged is not None and checked.dropped:
                self.con.execute(
                    f'DELETE FROM "{staged}" WHERE {IDX} IN (SELECT unnest(?))', [checked.dropped]
                )
            if previous is not None:
                self._drop_ingest(table, previous)
            pid = int(
                self.scalar(
                    "INSERT INTO provenance (source, version, location, sha256, bytes, "
                    "target_table, rows_written, techties_version, replaces, details) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
                    [
                        source,
                        version,
                        location,
                        sha256,
                        nbytes,
                        table,
                        data.num_rows,  # the rows _append inserts (_record corrects it)
                        __version__,
                        previous,
                        json.dumps(details or {}, sort_keys=True, default=str),
                    ],
                )
            )
            rows = self._append(table, staged or data, pid)
        removed, more = repeats.settle(self.con, table, source, pid, location, thin=True,
                                       replace=replace, drop=self._drop_ingest,
                                       hashes=self._hashes)  # fmt: skip
        if rows != data.num_rows or removed or more:
            self._record(pid, rows - removed, {**(details or {}), **more} if more else None)
        rows, details = rows - removed, {**(details or {}), **more}
        return IngestResult(source, location, table, rows, pid, replaced=previous, details=details)

    @contextmanager
    def _staged(self, data: pa.Table) -> Iterator[str | None]:
        """A temporary DuckDB copy of ``data`` while it is checked and inserted, when
        :func:`~techties.store.validate.needs_staging` says so (else None: Arrow is read)."""
        from techties.store.validate import needs_staging, stage

        if not needs_staging(data.schema):
            yield None
            return
        name = stage(self.con, data)
        try:
            yield name
        finally:
            self.con.execute(f'DROP TABLE IF EXISTS "{name}"')

    def write_plan(
        self,
        *,
        source: str,
        table: str,
        plan: CsvPlan,
        location: str,
        sha256: str | Future[str],
        nbytes: int,
        version: str | None = None,
        replace_id: int | None = None,
        replace: bool = False,
    ) -> IngestResult:
        """Store a large CSV as a Parquet part of ``table`` (call inside :meth:`transaction`).

        ``plan.write`` converts the file under a temporary name; its row count and the
        ``not_null`` checks come from the Parquet footer; then the part gets its final name
        ``<store>.parts/<table>/<provenance_id>.parquet``, is registered in ``store_parts`` and
        the ``table`` view is rebuilt. ``sha256`` may be a future (hashing runs beside the
        conversion); the provenance row gets the digest before the transaction ends. Raises
        :class:`PlanFailed` if the conversion or a check rejects the file — the caller then asks
        the source's reader which row is bad.
        """
        from techties.store import repeats

        self._check_writable()
        self._check_table(table)
        if self._files is None:
            raise StoreError("write_plan must run inside store.transaction().")
        if replace_id is not None:
            self._drop_ingest(table, replace_id)
        details = {**plan.details, "loader": "csv_plan", "storage": "parquet part"}
        pid = int(
            self.scalar(
                "INSERT INTO provenance (source, version, location, sha256, bytes, target_table, "
                "rows_written, techties_version, replaces, details) VALUES (?,?,?,'',?,?,0,?,?,?) "
                "RETURNING id",
                [
                    source,
                    version,
                    location,
                    nbytes,
                    table,
                    __version__,
                    replace_id,
                    json.dumps(details, sort_keys=True, default=str),
                ],
            )
        )
        rows = self._write_part(table, plan, pid, source=source, location=location)
        _, more = repeats.settle(self.con, table, source, pid, location, thin=False,
                                 replace=replace or replace_id is not None,
                                 drop=self._drop_ingest, hashes=self._hashes)  # fmt: skip
        details.update(more)
        digest = sha256 if isinstance(sha256, str) else sha256.result()
        self.con.execute("UPDATE provenance SET sha256 = ? WHERE id = ?", [digest, pid])
        self._record(pid, rows, details if more else None)
        return IngestResult(
            source, location, table, rows, pid, replaced=replace_id, details=details
        )

    def _write_part(
        self, table: str, plan: CsvPlan, pid: int, *, source: str, location: str
    ) -> int:
        from techties.store.validate import validate_part

        assert self._files is not None
        final, rel = parts.part_file(self.parts_root, table, pid)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{pid}-{uuid.uuid4().hex[:8]}.tmp")
        self._files.created += [tmp, final]  # deleted if the transaction does not commit
        parts.hold([tmp, final])  # not an orphan to a store opened meanwhile in this process
        columns, constants = plan.columns, plan.constants
        try:
            plan.write(tmp)
            rows, nulls = parts.part_stats(self.con, tmp, plan.not_null)
            if nulls:
                raise PlanFailed(f"missing values in {nulls}")
        except (SourceFormatError, duckdb.Error, PlanFailed) as exc:
            if plan.batches is None:
                raise PlanFailed(str(exc).splitlines()[0]) from exc
            # the validating reader names the bad row, or accepts what the fast path refused
            columns, constants = write_batches(tmp, plan.batches()), {}
            rows, _ = parts.part_stats(self.con, tmp, ())
        validate_part(self.con, tmp, table=table, source=source, path=location,
                      constants=constants, row_base=plan.row_base,
                      names=plan.source_columns)  # fmt: skip
        os.replace(tmp, final)
        self.con.execute(
            "INSERT INTO store_parts VALUES (?, ?, ?, ?, ?, ?)",
            [pid, table, rel, rows, json.dumps(columns), json.dumps(constants)],
        )
        parts.rebuild_views(self.con, self.parts_root)
        return rows

    def _drop_ingest(self, table: str, pid: int) -> None:
        """Remove the rows of one earlier ingest: native rows now, its part file after COMMIT."""
        self.con.execute(f'DELETE FROM "{physical(table)}" WHERE provenance_id = ?', [pid])
        found = self.con.execute(
            "DELETE FROM store_parts WHERE provenance_id = ? RETURNING file", [pid]
        ).fetchall()
        if found:
            if self._files is None:
                raise StoreError("Replacing a Parquet part must run inside store.transaction().")
            self._files.doomed += [self.parts_root / f for (f,) in found]
            parts.rebuild_views(self.con, self.parts_root)

    def _append(self, table: str, data: ArrowLike | str, pid: int) -> int:
        """Insert ``data`` (Arrow, or the name of a staged DuckDB table) under ingest ``pid``."""
        target = physical(table)
        if target not in self._stored_columns:  # tables change only by migrations, on open
            self._stored_columns[target] = self._columns(target)
        cols = [c for c in self._stored_columns[target] if c != "provenance_id"]
        names = self._columns(data) if isinstance(data, str) else data.schema.names
        missing = [c for c in cols if c not in names]
        if missing:
            raise StoreError(f"Data for {table!r} lacks columns {missing}; it has {names}.")
        col_list = ", ".join(f'"{c}"' for c in cols)
        insert = (
            f'INSERT INTO "{physical(table)}" ({col_list}, provenance_id) '
            f"SELECT {col_list}, {pid} FROM "
        )
        if isinstance(data, str):
            return int(self.con.execute(f'{insert} "{data}"').fetchall()[0][0])
        self.con.register("_techties_incoming", data)
        try:
            inserted = self.con.execute(f"{insert} _techties_incoming").fetchall()
        finally:
            self.con.unregister("_techties_incoming")
        return int(inserted[0][0])

    def _record(self, pid: int, rows: int, details: dict[str, Any] | None) -> None:
        """Set an ingest's row count (and its details, when they changed after the insert)."""
        self.con.execute("UPDATE provenance SET rows_written = ? WHERE id = ?", [rows, pid])
        if details is not None:
            self.con.execute(
                "UPDATE provenance SET details = ? WHERE id = ?",
                [json.dumps(details, sort_keys=True, default=str), pid],
            )

    def _columns(self, table: str) -> list[str]:
        return [r[0] for r in self.con.execute(f'DESCRIBE "{table}"').fetchall()]

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"The store {self.path} is open read-only.")


@dataclass(slots=True)
class _FileChanges:
    """Part files touched by one transaction: ``created`` go on rollback, ``doomed`` on commit."""

    created: list[Path] = field(default_factory=list)
    doomed: list[Path] = field(default_factory=list)

    def undo(self) -> None:
        for f in self.created:
            f.unlink(missing_ok=True)

    def done(self) -> None:
        for f in self.doomed:
            f.unlink(missing_ok=True)


def _refuse_outdated(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """A read-only open never migrates: a store that needs migrations is refused with the fix."""
    todo = pending_read_only(con)
    if todo:
        con.close()
        raise StoreError(
            f"The store {target} predates this techties: {len(todo)} schema migration(s) "
            f"({todo[0].version:04d}_{todo[0].name} first) are not applied, and reading "
            "commands do not change a store.",
            hint=f"Upgrade it once with `techties migrate --store {target}`.",
        )


def open_store(path: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Open the store at ``path``, ``TECHTIES_STORE`` or the default.

    A writable open creates the file if needed and applies pending migrations; a read-only open
    changes nothing: a missing store or one that needs migrations is a :class:`StoreError` that
    says how to build or upgrade it. ``":memory:"`` gives a throwaway store.
    """
    target = config.get("store", path)
    assert target is not None
    threads = config.get("threads")
    if read_only and target != ":memory:" and not Path(target).is_file():
        raise StoreError(
            f"There is no store at {target}.",
            hint="Build one with `techties report --data DIR` or `techties ingest SOURCE FILES`, "
            "or pass --store (TECHTIES_STORE) with the path of an existing store.",
        )
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        if read_only and target != ":memory:":
            con = duckdb.connect(target, read_only=True)
            _refuse_outdated(con, target)
        else:
            con = duckdb.connect(target)
            migrate(con)
    except duckdb.IOException as exc:
        raise StoreError(
            f"Cannot open the store {target}: {exc}".splitlines()[0],
            hint="Another process may hold it open; close it or pass --store with another path.",
        ) from exc
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    memory = config.get("memory")
    if memory:
        try:
            con.execute(f"SET memory_limit = '{memory.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            con.close()
            raise ConfigError(
                f"TECHTIES_MEMORY={memory!r} is not a memory size.",
                hint="Use a size such as 6GB or 500MB, or unset it for DuckDB's default.",
            ) from exc
    store = Store(con, target, read_only=read_only)
    parts.sync_views(con, store.parts_root, read_only=read_only)
    if not read_only:
        parts.sweep_orphans(con, store.parts_root)
    return store
