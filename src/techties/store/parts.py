"""Parquet parts: bulk files stored as one Parquet file per ingest beside the store file.

Why: a 10M-row BACI year inserted into DuckDB's native table spends most of its time compressing
and checkpointing the table (nine VARCHAR columns, six of them the same for every row of the
file), about 3x slower than converting the CSV to Parquet. A bulk source therefore writes a
*part* — ``<store>.parts/<table>/<provenance_id>.parquet`` holding only the per-row columns
(reporter, partner, year, product_code, value_usd, quantity for BACI) — and the columns that are
constant for the file (source, flow, vintage…) live once in ``store_parts.constants``.

The logical table stays readable by name: ``trade_flows`` is a view ::

    SELECT <columns> FROM trade_flows_rows                    -- rows written by store.write
    UNION ALL SELECT <part columns, constants, provenance_id> FROM read_parquet('<part 1>')
    UNION ALL ...

rebuilt inside the ingest transaction whenever a part is added or removed. Writes by name go to
the native table ``PHYSICAL[table]``.

All-or-nothing: a part is written under a temporary name, checked, renamed to its final name
(the view must see it to be created) and registered, all inside the store transaction; a
rollback deletes it, and a part replaced by ``--replace`` is deleted only after COMMIT. Files a
crash left behind (not registered in ``store_parts``) are swept on the next writable open.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import duckdb

#: logical table → native table holding the rows written by ``Store.write``
PHYSICAL = {"trade_flows": "trade_flows_rows"}
#: store tables that are bookkeeping, not data (hidden from ``Store.tables``)
INTERNAL = {"store_parts", "store_meta", *PHYSICAL.values()}


def physical(table: str) -> str:
    """The native table behind a logical table name (itself for ordinary tables)."""
    return PHYSICAL.get(table, table)


def sql_str(p: Path | str) -> str:
    return str(p).replace("'", "''")


def part_file(root: Path, table: str, provenance_id: int) -> tuple[Path, str]:
    """(absolute path, path relative to ``root``) of the part of one ingest."""
    rel = f"{table}/{provenance_id}.parquet"
    return root / rel, rel


def view_sql(con: duckdb.DuckDBPyConnection, table: str, root: Path, *, temp: bool = False) -> str:
    """``CREATE OR REPLACE VIEW table`` over the native rows and every registered part."""
    typed = con.execute(f'DESCRIBE "{physical(table)}"').fetchall()
    names = ", ".join(f'"{c}"' for c, *_ in typed)
    branches = [f'SELECT {names} FROM "{physical(table)}"']
    parts = con.execute(
        "SELECT provenance_id, file, columns, constants FROM store_parts WHERE table_name = ? "
        "ORDER BY provenance_id",
        [table],
    ).fetchall()
    for pid, rel, columns, constants in parts:
        stored, const = json.loads(columns), json.loads(constants)
        exprs = []
        for name, kind, *_ in typed:
            if name == "provenance_id":
                value = str(int(pid))
            elif name in stored:
                value = f'"{name}"'
            else:
                value = const.get(name, "NULL")
            exprs.append(f'CAST({value} AS {kind}) AS "{name}"')
        branches.append(f"SELECT {', '.join(exprs)} FROM read_parquet('{sql_str(root / rel)}')")
    kind = "TEMP VIEW" if temp else "VIEW"
    return f'CREATE OR REPLACE {kind} "{table}" AS ' + "\nUNION ALL ".join(branches)


def rebuild_views(con: duckdb.DuckDBPyConnection, root: Path, *, temp: bool = False) -> None:
    """Recreate every logical view and record the parts folder they point at."""
    for table in PHYSICAL:
        con.execute(view_sql(con, table, root, temp=temp))
    if not temp:
        con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES ('parts_root', ?)", [str(root.resolve())]
        )


def sync_views(con: duckdb.DuckDBPyConnection, root: Path, *, read_only: bool) -> None:
    """On open: point the views at this store's parts folder (the store may have been moved)."""
    if not con.execute("SELECT count(*) FROM store_parts").fetchall()[0][0]:
        return
    known = con.execute("SELECT value FROM store_meta WHERE key = 'parts_root'").fetchall()
    if known and known[0][0] == str(root.resolve()):
        return
    if read_only:
        rebuild_views(con, root, temp=True)  # shadows the stored view for this connection only
        return
    con.execute("BEGIN TRANSACTION")
    try:
        rebuild_views(con, root)
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


#: part files an open transaction of this process is writing (absolute paths). DuckDB lets one
#: process open a database file more than once; a store opened meanwhile must not sweep them.
#: (Another process cannot open the file for writing while a writer holds it.)
_IN_FLIGHT: set[Path] = set()
_IN_FLIGHT_LOCK = threading.Lock()


def hold(paths: list[Path]) -> None:
    """Mark part files as being written (not orphans) until :func:`release`."""
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.update(p.resolve() for p in paths)


def release(paths: list[Path]) -> None:
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.difference_update(p.resolve() for p in paths)


def sweep_orphans(con: duckdb.DuckDBPyConnection, root: Path) -> list[Path]:
    """Delete part files no committed ``store_parts`` row refers to (left by a crash), except
    those an open transaction in this process is writing."""
    if not root.is_dir():
        return []
    live = {root / r[0] for r in con.execute("SELECT file FROM store_parts").fetchall()}
    gone = []
    for table in PHYSICAL:
        folder = root / table
        if not folder.is_dir():
            continue
        for f in folder.iterdir():
            if not (f.is_file() and f.name.endswith((".parquet", ".tmp")) and f not in live):
                continue
            with _IN_FLIGHT_LOCK:
                busy = f.resolve() in _IN_FLIGHT
            if not busy:
                f.unlink(missing_ok=True)
                gone.append(f)
    return gone


def part_stats(
    con: duckdb.DuckDBPyConnection, path: Path, not_null: tuple[str, ...]
) -> tuple[int, dict[str, int]]:
    """(rows, {column: nulls}) of a Parquet file, from its footer statistics."""
    rows = int(
        con.execute(
            f"SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata('{sql_str(path)}')"
        ).fetchall()[0][0]
    )
    if not not_null:
        return rows, {}
    found = con.execute(
        "SELECT path_in_schema, sum(stats_null_count), count_if(stats_null_count IS NULL) "
        f"FROM parquet_metadata('{sql_str(path)}') GROUP BY 1"
    ).fetchall()
    nulls: dict[str, int] = {}
    for name, n, unknown in found:
        if name not in not_null:
            continue
        if unknown:  # no statistics written: count
            n = con.execute(
                f"SELECT count(*) FROM read_parquet('{sql_str(path)}') WHERE \"{name}\" IS NULL"
            ).fetchall()[0][0]
        if n:
            nulls[name] = int(n)
    return rows, nulls
