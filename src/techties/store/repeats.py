"""Rows one file repeats from another file of the same source (checked after each write).

A table's key (:mod:`techties.store.schemas`) holds within one ingest; this module holds it
across the files of one source. Two BACI releases of the same year, or an edited copy of a
Census file under a new name, have different bytes (so neither is skipped as already ingested)
but the same keys: both stored, every total would count the year twice.

What happens to an ingest whose rows repeat keys of an earlier file of its source:

- the repeated rows carry the same values (one official figure published in two files, e.g.
  Comtrade's annual totals inside both a totals extract and an HS6 extract): rows held in the
  store's own tables are not stored again, and provenance records how many and from which file;
- values differ (a revision, another release), or the rows are in a Parquet part, which cannot
  be thinned: refused with counts, the first key and both files, unless ``replace``;
- with ``replace`` (the user's word that this file is the one to keep) every earlier file the
  ingest overlaps, same values or not, has its rows dropped (all of them: the new file
  supersedes it) and provenance says so.

Runs inside the write's transaction, so a refusal leaves the store as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from techties.errors import DuplicateKeyError
from techties.store.parts import physical
from techties.store.schemas import SCHEMAS


@dataclass(frozen=True, slots=True)
class Repeat:
    """Rows of ingest ``pid`` whose key an earlier ingest ``earlier`` of the source holds."""

    earlier: int
    location: str
    rows: int
    differ: int  # of them, rows whose values differ


def find(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    pid: int,
    hashes: KeyHashes | None = None,
) -> list[Repeat]:
    """Earlier ingests of ``source`` in ``table`` sharing keys with ingest ``pid``.

    ``hashes``: the key hashes kept by the open transaction (:class:`KeyHashes`), so the
    pre-check does not hash the earlier files' rows again for every file."""
    schema = SCHEMAS.get(table)
    if schema is None or not schema.key:
        return []
    others = [
        int(r[0])
        for r in con.execute(
            "SELECT id FROM provenance WHERE source = ? AND target_table = ? AND id <> ? "
            "ORDER BY id",
            [source, table, pid],
        ).fetchall()
    ]
    if not others:
        return []
    key = [*schema.key, *schema.file_key]
    if hashes is not None:
        if not hashes.may_repeat(con, table, source, key, pid, others):
            return []
    elif not _may_repeat(con, table, key, pid, others):
        return []
    values = [c for c in schema.columns if c not in key]
    on = " AND ".join(f'n."{k}" IS NOT DISTINCT FROM o."{k}"' for k in key)
    same = " AND ".join(f'n."{c}" IS NOT DISTINCT FROM o."{c}"' for c in values) or "true"
    year = ' AND o."year" IN (SELECT DISTINCT "year" FROM n)' if "year" in key else ""
    earlier = ", ".join(map(str, others))
    rows = con.execute(
        f'WITH n AS (SELECT * FROM "{table}" WHERE provenance_id = ?) '
        f"SELECT o.provenance_id, any_value(p.location), count(*), count(*) FILTER (WHERE NOT "
        f'({same})) FROM n JOIN "{table}" o ON {on} JOIN provenance p ON p.id = o.provenance_id '
        f"WHERE o.provenance_id IN ({earlier}){year} GROUP BY 1 ORDER BY 1",
        [pid],
    ).fetchall()
    return [Repeat(int(e), str(loc), int(n), int(d)) for e, loc, n, d in rows]


def _key_hash(key: list[str]) -> str:
    return f"hash({', '.join(f'{chr(34)}{k}{chr(34)}' for k in key)})"


def _may_repeat(
    con: duckdb.DuckDBPyConnection, table: str, key: list[str], pid: int, others: list[int]
) -> bool:
    """False when no row of the ``others`` ingests has a key hash of ingest ``pid``.

    Equal keys (NULLs included) always hash alike, so False is exact and the full key join
    above only runs when a repeat is possible. One hash per row of the key columns alone and a
    hash semi-join, no sort: ~10x cheaper than joining every column of both sides."""
    h = _key_hash(key)
    year = (
        f' AND "year" IN (SELECT DISTINCT "year" FROM "{table}" WHERE provenance_id = {pid})'
        if "year" in key
        else ""
    )
    earlier = ", ".join(map(str, others))
    found = con.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE provenance_id IN ({earlier}){year} '
        f'AND {h} IN (SELECT {h} FROM "{table}" WHERE provenance_id = ?))',
        [pid],
    ).fetchall()[0][0]
    return bool(found)


@dataclass(slots=True)
class _Seen:
    ids: set[int] = field(default_factory=set)
    hashes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))


class KeyHashes:
    """The key hashes of the rows of a source's ingests, kept while one transaction is open.

    :func:`_may_repeat` hashes the keys of every earlier file of the source again for each new
    file: for the 82 Census files of the data folder that is ~20 million row hashes. Here each
    ingest's rows are hashed once (when first needed: ingests stored before the transaction
    are read from the table) and kept as one sorted array per (table, source); a new file's
    hashes are looked up in it. The answer is :func:`_may_repeat`'s. Rows join an ingest only
    in its own write, before its hashes are taken, so every row of a kept ingest has its hash
    kept; a row removed later keeps its hash, which can only send a file to the exact check in
    :func:`find`, never away from it (as can the year filter left out here: ``year`` is part
    of the key where it is used). Provenance ids are not reused inside a transaction, and the
    store drops this object when the transaction ends.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], _Seen] = {}

    def may_repeat(
        self,
        con: duckdb.DuckDBPyConnection,
        table: str,
        source: str,
        key: list[str],
        pid: int,
        others: list[int],
    ) -> bool:
        """:func:`_may_repeat`'s answer; then ingest ``pid``'s hashes join the kept ones."""
        seen = self._seen.setdefault((table, source), _Seen())
        missing = [i for i in others if i not in seen.ids]
        if missing:
            self._add(seen, missing, _hashes(con, table, key, missing))
        new = _hashes(con, table, key, [pid])
        at = np.searchsorted(seen.hashes, new)
        found = at < len(seen.hashes)
        found[found] = seen.hashes[at[found]] == new[found]
        self._add(seen, [pid], new[~found], at[~found])
        return bool(found.any())

    @staticmethod
    def _add(seen: _Seen, ids: list[int], new: np.ndarray, at: np.ndarray | None = None) -> None:
        """Merge sorted unique ``new`` hashes (``at``: their places, when known) into ``seen``."""
        if at is None:
            new = new[~np.isin(new, seen.hashes, assume_unique=True)]
            at = np.searchsorted(seen.hashes, new)
        seen.hashes = np.insert(seen.hashes, at, new)
        seen.ids.update(ids)


def _hashes(
    con: duckdb.DuckDBPyConnection, table: str, key: list[str], ids: list[int]
) -> np.ndarray:
    """Sorted distinct key hashes of the rows of ingests ``ids``."""
    got = con.execute(
        f'SELECT {_key_hash(key)} AS h FROM "{table}" '
        f"WHERE provenance_id IN ({', '.join(map(str, ids))})"
    ).fetchnumpy()["h"]
    out = np.sort(np.asarray(got, dtype=np.uint64))  # np.unique is ~50x slower here (numpy 2.4)
    keep = np.empty(len(out), dtype=bool)
    keep[:1] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


def refuse(
    con: duckdb.DuckDBPyConnection, table: str, pid: int, path: str, found: list[Repeat]
) -> DuplicateKeyError:
    """The error for rows repeating another file's keys (first repeated key named)."""
    schema = SCHEMAS[table]
    key = [*schema.key, *schema.file_key]
    first = found[0]
    on = " AND ".join(f'n."{k}" IS NOT DISTINCT FROM o."{k}"' for k in key)
    cols = ", ".join(f'n."{k}"' for k in key)
    example = con.execute(
        f'SELECT {cols} FROM "{table}" n JOIN "{table}" o ON {on} '
        "WHERE n.provenance_id = ? AND o.provenance_id = ? LIMIT 1",
        [pid, first.earlier],
    ).fetchall()[0]
    shown = {k: v for k, v in zip(key, example, strict=True) if v is not None}
    files = "; ".join(
        f"{_rows(r.rows)} of {r.location} (ingest {r.earlier}), {r.differ:,} with other values"
        for r in found
    )
    total = sum(r.rows for r in found)
    return DuplicateKeyError(
        path,
        f"{_rows(total)} {'repeats' if total == 1 else 'repeat'} rows another file of this source already stored: {files}; "
        f"first: {', '.join(f'{k}={v}' for k, v in shown.items())}",
        count=total,
        key=shown,
        rows=[],
        row=None,
        expected=f"one row per ({', '.join(key)}) across the files of a source",
        hint="Both files would be counted in every total (another release or an edited copy "
        "of the same data). Keep one: ingest again with --replace to drop the earlier file's "
        "rows in favour of this one, or build the store without the file you do not want.",
    )


def settle(
    con: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    pid: int,
    path: str,
    *,
    thin: bool,
    replace: bool,
    drop: Callable[[str, int], None],
    hashes: KeyHashes | None = None,
) -> tuple[int, dict[str, Any]]:
    """Apply the rules above to ingest ``pid`` just written; returns (rows removed from it,
    provenance details to add). ``thin``: its rows are in a store table (not a part), so
    same-valued repeats can be left out; ``drop(table, id)`` removes an earlier ingest."""
    found = find(con, table, source, pid, hashes)
    if not found:
        return 0, {}
    clash = [r for r in found if r.differ or not thin or replace]
    if clash and not replace:
        raise refuse(con, table, pid, path, clash)
    details: dict[str, Any] = {}
    for r in clash:
        drop(table, r.earlier)
        con.execute(  # no longer live: re-ingesting that file is not skipped as done
            "UPDATE provenance SET details = json_merge_patch(coalesce(details, '{}'), ?) "
            "WHERE id = ?",
            [json.dumps({"superseded_by": pid}), r.earlier],
        )
    if clash:
        details["supersedes"] = [_note(r) for r in clash]
    same = [r for r in found if r not in clash]
    removed = 0
    if same:
        schema = SCHEMAS[table]
        on = " AND ".join(
            f'n."{k}" IS NOT DISTINCT FROM o."{k}"' for k in (*schema.key, *schema.file_key)
        )
        earlier = ", ".join(str(r.earlier) for r in same)
        removed = int(
            con.execute(
                f'DELETE FROM "{physical(table)}" n WHERE n.provenance_id = ? AND EXISTS '
                f'(SELECT 1 FROM "{table}" o WHERE o.provenance_id IN ({earlier}) AND {on})',
                [pid],
            ).fetchall()[0][0]
        )
        details["repeats_not_stored"] = [_note(r) for r in same]
    return removed, details


def _note(r: Repeat) -> dict[str, Any]:
    return {"ingest": r.earlier, "location": r.location, "rows": r.rows}


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"
