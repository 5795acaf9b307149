"""Check a canonical table against its rules (:mod:`techties.store.schemas`) before it is written.

The checks run in DuckDB over the Arrow table (registered, not copied) or over a Parquet part
(``read_parquet``), so a 10-million-row BACI year costs a few vectorised passes: one aggregate
for every value check and rule, one ``GROUP BY`` per coded column, one for the key. Nothing is
looped over rows in Python.

Rows are named by the file row when the reader keeps it — a ``_row`` column (1-based file row of
each table row; the store never writes it) or, for a part, ``row_base`` + the Parquet row number —
and otherwise by table row, saying so. Every problem found is counted; the error raised is the
first one, and its message lists the others (``also: …``), so one run shows what to fix.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from techties.countries import nearest_codes
from techties.errors import (
    DuplicateKeyError,
    InvalidValueError,
    SourceFormatError,
    StoreError,
    UnknownCodeError,
)
from techties.store.arrow_probe import IDX, arrow_probe, indexed, needs_staging, stage  # noqa: F401  (re-exported)
from techties.store.parts import sql_str
from techties.store.schemas import SCHEMAS, Col, Effective, Rule

#: optional reader column: the 1-based row of the source file each table row comes from
ROW = "_row"
_IDX = IDX  # 0-based table row (added by indexed)
#: Parquet metadata of a part: the key order its writer expects the rows in, as JSON
#: ``{"columns": [key columns, most significant first], "ranks": {column: [values in order]}}``
#: (columns without ranks compare by value); see :func:`key_increasing`
KEY_ORDER = b"techties.key_order"


@dataclass(slots=True)
class Checked:
    """A table that passed: ``data`` (repeated rows removed where a source allows it), the
    ``details`` to record in provenance, and the table rows removed (0-based, ascending)."""

    data: pa.Table
    details: dict[str, Any] = field(default_factory=dict)
    dropped: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Problem:
    summary: str
    error: SourceFormatError


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Where the table came from: the file, and the file's name of each canonical column."""

    path: str
    names: Mapping[str, str] = field(default_factory=dict)

    def column(self, name: str) -> str:
        return self.names.get(name, name)

    def label(self, name: str) -> str:
        src = self.names.get(name)
        return f"{name} (file column {src!r})" if src and src != name else name


def source_columns(schema: pa.Schema) -> dict[str, str]:
    """The file's name of each canonical column, as the reader recorded it (imported here, not
    above, so that opening a store does not load the source registry)."""
    from techties.sources.containers import COLUMNS_KEY

    raw = (schema.metadata or {}).get(COLUMNS_KEY)
    return dict(json.loads(raw)) if raw else {}


def validate_table(
    con: duckdb.DuckDBPyConnection,
    data: pa.Table,
    *,
    table: str,
    source: str,
    path: str,
    staged: str | None = None,
) -> Checked:
    """Check ``data`` (canonical columns, optional ``_row``) for ``table`` as written by
    ``source``; raise the first problem (a :class:`SourceFormatError` subclass) or return it.

    ``staged``: the temporary table :func:`stage` made of ``data``; the checks read it instead
    of the Arrow table."""
    schema = SCHEMAS.get(table)
    if schema is None:
        return Checked(data)
    rules = schema.for_source(source)
    _check_types(data.schema, rules, path, table)
    name = staged or f"_tt_check_{uuid.uuid4().hex[:12]}"
    if staged is None:
        con.register(name, indexed(data))
    try:
        has_rows = ROW in data.schema.names
        rel = f'(SELECT * {"" if has_rows else f", NULL::BIGINT AS {ROW}"} FROM "{name}")'
        ctx = _Ctx(path, source_columns(data.schema))
        drop = _run(con, rel, rules, ctx, arrow=None if staged else data)
    finally:
        if staged is None:
            con.unregister(name)
    if not drop:
        return Checked(data)
    mask = np.ones(data.num_rows, dtype=bool)
    mask[drop] = False
    details = {"duplicates_collapsed": {"rows": len(drop), "reason": rules.collapse}}
    return Checked(data.filter(pa.array(mask)), details, drop)


def validate_part(
    con: duckdb.DuckDBPyConnection,
    part: Path,
    *,
    table: str,
    source: str,
    path: str,
    constants: Mapping[str, str],
    row_base: int | None,
    names: Mapping[str, str] | None = None,
) -> None:
    """Check a Parquet part (per-row columns + the file's ``constants``) before it is registered.

    File rows: the part's ``_row`` column if it has one, else ``row_base`` + Parquet row number.
    """
    schema = SCHEMAS.get(table)
    if schema is None:
        return
    rules = schema.for_source(source)
    stored = pq.read_schema(part)
    _check_types(stored, rules, path, table, constants=constants)
    cols = []
    for name, col in rules.columns.items():
        value = f'"{name}"' if name in stored.names else constants.get(name, "NULL")
        cols.append(f'CAST({value} AS {col.sql}) AS "{name}"')
    if ROW in stored.names:
        row = f'"{ROW}"'
    else:
        row = "NULL" if row_base is None else f"file_row_number + {int(row_base)}"
    rel = (
        f"(SELECT {', '.join(cols)}, file_row_number AS {_IDX}, CAST({row} AS BIGINT) AS {ROW} "
        f"FROM read_parquet('{sql_str(part)}', file_row_number = true))"
    )
    fixed = frozenset(rules.columns) - set(stored.names)  # the file's constants
    distinct = key_increasing(part, [k for k in rules.key if k not in fixed])
    ctx = _Ctx(path, names or source_columns(stored))
    few = _coded_text(con, part, stored)
    if _run(con, rel, rules, ctx, constant=fixed, distinct=distinct, few=few):
        raise StoreError("A Parquet part cannot drop repeated rows; the source must not allow it.")


def _run(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    rules: Effective,
    ctx: _Ctx,
    *,
    constant: frozenset[str] = frozenset(),
    distinct: bool = False,
    few: frozenset[str] = frozenset(),
    arrow: pa.Table | None = None,
) -> list[int]:
    """All checks; raise the first problem (listing the others), else the rows to drop.

    One probe query answers "is anything wrong?" for every check at once (rows failing a value
    check, the distinct values of each coded column, rows minus distinct hashes of the key —
    8 bytes a row, the file's ``constant`` columns left out; skipped when ``distinct``: the key
    was proven to have no repeats); the per-check counts, first rows and the exact key
    comparison only run for what fails. A check that reads only ``few`` columns (besides the
    constants) is asked of their distinct values instead of every row: the same answer, as a
    check is a function of the columns it names (a BACI part's product_code: ~5,000 values);
    one that reads only constants, and the values of a constant coded column, of one row.
    ``arrow``: the rows of ``rel`` as Arrow, if they are: codes and key asked of Arrow/Polars
    (:func:`~techties.store.arrow_probe.arrow_probe`), the value checks of DuckDB."""
    checks = value_checks(rules)
    coded = [n for n, col in rules.columns.items() if col.codes is not None]
    by_value: dict[tuple[str, ...], list[_Check]] = {}  # () : checks of constants only
    for check in checks:
        named = tuple(n for n in rules.columns if re.search(rf"\b{re.escape(n)}\b", check.ok))
        if named and set(named) <= constant:
            by_value.setdefault((), []).append(check)
        elif set(named) - constant and set(named) - constant <= few:
            by_value.setdefault(named, []).append(check)
    checks_by_row = [c for c in checks if not any(c in cs for cs in by_value.values())]
    once = [n for n in coded if n in constant]
    found: dict[str, list[object] | None] = {}  # coded column -> its distinct values
    failed = 0
    if once or () in by_value:  # one row holds every constant (no row: nothing to check)
        ok = " AND ".join(f"coalesce(({c.ok}), true)" for c in by_value.pop((), [])) or "true"
        values = "".join(f', list("{n}")' for n in once)
        got = con.execute(
            f"SELECT count_if(NOT ({ok})){values} FROM (SELECT * FROM {rel} LIMIT 1)"
        ).fetchall()[0]
        failed, found = int(got[0] or 0), dict(zip(once, got[1:], strict=True))
    for named, group in by_value.items():  # DISTINCT over a dictionary column: ~0.02 s
        ok = " AND ".join(f"coalesce(({c.ok}), true)" for c in group)
        cols = ", ".join(f'"{n}"' for n in named)
        failed += con.execute(
            f"SELECT count_if(NOT ({ok})) FROM (SELECT DISTINCT {cols} FROM {rel})"
        ).fetchall()[0][0]
    good = " AND ".join(f"coalesce(({c.ok}), true)" for c in checks_by_row) or "true"
    key = ", ".join(f'"{k}"' for k in rules.key if k not in constant) or "1"
    per_row = [n for n in coded if n not in constant]
    known = arrow_probe(arrow, rules.key, per_row, distinct) if arrow is not None else None
    if known is not None:
        probe = (con.execute(f"SELECT count_if(NOT ({good})) FROM {rel}").fetchall()[0][0], *known)
    else:
        lists = "".join(f', list(DISTINCT "{n}")' for n in per_row)
        repeats = "0" if distinct else f"count(*) - count(DISTINCT hash({key}))"
        probe = con.execute(  # one scan (a 10M-row BACI part: ~0.3 s, ~1.3 s with the key hash)
            f"SELECT count_if(NOT ({good})), {repeats}{lists} FROM {rel}"
        ).fetchall()[0]
    problems = _values(con, rel, checks, ctx) if probe[0] or failed else []
    found |= dict(zip(per_row, probe[2:], strict=True))
    problems += _codes(con, rel, rules, ctx, {n: found[n] for n in coded})
    dup, drop = _duplicates(con, rel, rules, ctx.path) if probe[1] else ([], [])
    problems += dup
    if problems:
        first = problems[0].error
        if len(problems) > 1:
            others = "; ".join(p.summary for p in problems[1:6])
            more = f" and {len(problems) - 6} more" if len(problems) > 6 else ""
            first.message += f"\nalso: {others}{more}"
            first.args = (first.message,)
        raise first
    return drop


def key_increasing(part: Path, key: list[str]) -> bool:
    """True if the part's rows are strictly increasing by ``key`` in file order (then no key
    repeats: exact, in one streamed pass without a hash of every key); False if not, or if the
    part declares no order (:data:`KEY_ORDER`, file metadata) over exactly these columns.

    The order is the writer's claim, checked here row by row: ``ranks`` give the position of
    each value (a value not listed gives False); other columns compare by value (coded text as
    text). A comparison a NULL leaves undecided gives False. Polars keeps the file's row order
    through the scan and ``shift``. False only means the hash check runs.
    """
    raw = (pq.read_metadata(part).metadata or {}).get(KEY_ORDER)
    if not raw or not key:
        return False
    order = json.loads(raw)
    columns, ranks = list(order.get("columns", [])), dict(order.get("ranks", {}))
    if sorted(columns) != sorted(key) or len(set(columns)) != len(columns):
        return False
    scan = pl.scan_parquet(part, glob=False)  # the path as it is, even with * or [ in it
    types = scan.collect_schema()
    value = {
        c: pl.col(c).cast(pl.Enum(ranks[c])).to_physical()
        if c in ranks
        else pl.col(c).cast(pl.String)  # coded text compares as text
        if isinstance(types.get(c), pl.Enum | pl.Categorical)
        else pl.col(c)
        for c in columns
    }
    later: pl.Expr | None = None  # row > the row before it, by the columns from c on
    for c in reversed(columns):
        now, before = value[c], value[c].shift(1)
        later = now > before if later is None else (now > before) | ((now == before) & later)
    assert later is not None
    try:
        found = scan.select(later.slice(1).fill_null(False).all()).collect()
    except pl.exceptions.PolarsError:  # e.g. a value outside its ranks
        return False
    return bool(found.item())


def _coded_text(con: duckdb.DuckDBPyConnection, part: Path, schema: pa.Schema) -> frozenset[str]:
    """Text columns of a part dictionary-encoded in every row group: codes (few distinct
    values; the writer found them repetitive), whose checks can run once per value."""
    text = [f.name for f in schema if _compatible(f.type, "VARCHAR")]
    if not text:
        return frozenset()
    found = con.execute(
        f"SELECT path_in_schema FROM parquet_metadata('{sql_str(part)}') "
        "GROUP BY 1 HAVING count_if(dictionary_page_offset IS NULL) = 0"
    ).fetchall()
    return frozenset(text) & {str(name) for (name,) in found}


# -- column types ---------------------------------------------------------------------------
_INTS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}


def _compatible(typ: pa.DataType, sql: str) -> bool:
    if pa.types.is_null(typ):
        return True
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if sql.endswith("[]"):
        is_list = pa.types.is_list(typ) or pa.types.is_large_list(typ)
        return is_list and _compatible(typ.value_type, sql[:-2])
    checks = {
        "VARCHAR": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
        "DOUBLE": lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
        "DATE": pa.types.is_date,
        "BOOLEAN": pa.types.is_boolean,
    }
    if sql in _INTS:
        return bool(pa.types.is_integer(typ))
    if sql.startswith("MAP"):
        return bool(pa.types.is_map(typ))
    return bool(checks[sql](typ))


def _check_types(
    schema: pa.Schema,
    rules: Effective,
    path: str,
    table: str,
    *,
    constants: Mapping[str, str] | None = None,
) -> None:
    have = set(schema.names) | set(constants or {})
    missing = [c for c in rules.columns if c not in have]
    if missing:
        raise StoreError(f"Data for {table!r} lacks columns {missing}; it has {schema.names}.")
    for name, col in rules.columns.items():
        if name in schema.names and not _compatible(schema.field(name).type, col.sql):
            raise StoreError(
                f"{path}: column {name!r} of {table!r} is {schema.field(name).type}, "
                f"the table needs {col.sql}",
                hint="The reader built the wrong type; report it with the file.",
            )


# -- values and rules -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Check:
    column: str | None
    ok: str  # SQL true on a good row (NULL never means bad: wrapped in coalesce)
    what: str  # "negative value_usd"
    expected: str
    hint: str
    columns: tuple[str, ...] = ()


def _literal(value: float | str) -> str:
    return f"DATE '{value}'" if isinstance(value, str) else repr(float(value))


def _column_checks(name: str, col: Col, table: str) -> list[_Check]:
    q = f'"{name}"'
    out = []
    if col.required:
        out.append(_Check(name, f"{q} IS NOT NULL", f"no {name}", f"a {name} in every row",
                          "Fill the cell; this column cannot be blank."))  # fmt: skip
    number = col.sql in _INTS or col.sql == "DOUBLE"
    finite = f"NOT isfinite({q}) OR " if col.sql == "DOUBLE" else ""
    if col.sql == "DOUBLE":
        out.append(_Check(name, f"{q} IS NULL OR isfinite({q})", f"{name} not finite",
                          "a finite number (a blank cell if the value is missing)",
                          "NaN, inf and numbers beyond 1.8e308 (e.g. 1e400) are not values; "
                          "blank the cell or fix it."))  # fmt: skip
    if col.low is not None:
        what = f"negative {name}" if col.low == 0 and number else f"{name} below {col.low}"
        out.append(_Check(name, f"{finite}{q} >= {_literal(col.low)}", what,
                          f"{name} >= {col.low}" + _between(col),
                          f"{name} cannot be below {col.low} in {table}; check the sign, the "
                          "column order or the file's vintage."))  # fmt: skip
    if col.high is not None:
        out.append(_Check(name, f"{finite}{q} <= {_literal(col.high)}", f"{name} above {col.high}",
                          f"{name} <= {col.high}" + _between(col),
                          f"{name} cannot exceed {col.high} in {table}; check the unit or the "
                          "column order."))  # fmt: skip
    if col.pattern is not None:
        pat = col.pattern.replace("'", "''")
        out.append(_Check(name, f"regexp_full_match({q}, '{pat}')",
                          f"{name} not of the form {col.pattern}", f"{name} matching {col.pattern}",
                          "Codes are text with their leading zeros; check the cell."))  # fmt: skip
    return out


def value_checks(rules: Effective) -> list[_Check]:
    """Every value check and cross-column rule of ``rules``, as DuckDB SQL true on a good row
    (the checks this module runs; the Spark ingest runs the same SQL, transpiled)."""
    checks = [c for n, col in rules.columns.items() for c in _column_checks(n, col, rules.table)]
    return checks + [_rule_check(r) for r in rules.rules]


def _between(col: Col) -> str:
    if col.low is not None and col.high is not None:
        return f" (between {col.low} and {col.high})"
    return ""


def _rule_check(rule: Rule) -> _Check:
    return _Check(rule.columns[0] if len(rule.columns) == 1 else None, rule.sql,
                  f"rule {rule.name!r} broken", rule.expected, rule.hint, rule.columns)  # fmt: skip


def _values(
    con: duckdb.DuckDBPyConnection, rel: str, checks: list[_Check], ctx: _Ctx
) -> list[_Problem]:
    good = [f"coalesce(({c.ok}), true)" for c in checks]
    counts = con.execute(
        f"SELECT {', '.join(f'count_if(NOT {g})' for g in good)} FROM {rel}"
    ).fetchall()[0]
    problems = []
    for check, ok, count in zip(checks, good, counts, strict=True):
        if count:
            first = con.execute(f"SELECT min({_IDX}) FROM {rel} WHERE NOT {ok}").fetchall()[0][0]
            problems.append(_value_problem(con, rel, check, int(count), int(first), ctx))
    return problems


def _where(con: duckdb.DuckDBPyConnection, rel: str, idx: int) -> tuple[int | None, str]:
    row = con.execute(f"SELECT {ROW} FROM {rel} WHERE {_IDX} = ?", [idx]).fetchall()[0][0]
    if row is None:
        return None, f"table row {idx + 1:,} (the reader keeps no file rows)"
    return int(row), f"row {int(row):,}"


def _value_problem(
    con: duckdb.DuckDBPyConnection, rel: str, check: _Check, count: int, idx: int, ctx: _Ctx
) -> _Problem:
    cols = check.columns or ((check.column,) if check.column else ())
    got = con.execute(
        f"SELECT {', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)} FROM {rel} WHERE {_IDX} = ?",
        [idx],
    ).fetchall()[0]
    value: object = got[0] if len(cols) == 1 else dict(zip(cols, got, strict=True))
    row, where = _where(con, rel, idx)
    rows = "row" if count == 1 else "rows"
    what = check.what.replace(check.column, ctx.label(check.column)) if check.column else check.what
    problem = f"{count:,} {rows} with {what}, first at {where}: {value!r}"
    err = InvalidValueError(
        ctx.path, problem, check=check.what, count=count, value=value, row=row,
        table_row=idx + 1, column=ctx.column(check.column) if check.column else ", ".join(cols),
        expected=check.expected, hint=check.hint,
    )  # fmt: skip
    return _Problem(f"{count:,} {rows} with {check.what}", err)


# -- code lists -----------------------------------------------------------------------------
def _codes(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    rules: Effective,
    ctx: _Ctx,
    found: Mapping[str, list[object] | None],
) -> list[_Problem]:
    """Unknown codes of each coded column (``found``: its distinct values); counts and first
    rows only for a column that holds some."""
    problems = []
    for name, values in found.items():
        known, pattern = rules.known(name), rules.code_patterns.get(name)
        bad = [
            str(v)
            for v in values or []
            if v is not None and v not in known and not (pattern and re.fullmatch(pattern, str(v)))
        ]
        if not bad:
            continue
        seen = con.execute(
            f'SELECT "{name}", count(*), min({_IDX}) FROM {rel} '
            f'WHERE "{name}" IN (SELECT unnest(?)) GROUP BY 1',
            [bad],
        ).fetchall()
        unknown = [(str(code), int(n), int(first)) for code, n, first in seen]
        problems.append(_code_problem(con, rel, name, rules.columns[name], unknown, known, ctx))
    return problems


def _code_problem(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    name: str,
    col: Col,
    unknown: list[tuple[str, int, int]],
    known: frozenset[str],
    ctx: _Ctx,
) -> _Problem:
    counts = {code: n for code, n, _ in unknown}
    idx = min(first for *_, first in unknown)
    row, where = _where(con, rel, idx)
    top = sorted(unknown, key=lambda u: (-u[1], u[0]))[:5]
    nearest = {code: nearest_codes(code, known) for code, *_ in top}
    listed = ", ".join(sorted(known)) if len(known) <= 12 else f"the {col.codes!r} code list"
    expected = f"a code of {listed}" + ("" if row is not None else f"; first at {where}")
    err = UnknownCodeError(
        ctx.path, ctx.column(name), counts, first_row=row, expected=expected, nearest=nearest,
        hint="If the publisher defines this code, map it explicitly in the source (see "
        "docs/data.md, Validation); techties never stores an unknown code as it is.",
    )  # fmt: skip
    total = sum(counts.values())
    return _Problem(f"{total:,} rows with unknown {name} codes ({len(counts)} codes)", err)


# -- repeated keys --------------------------------------------------------------------------
def _duplicates(
    con: duckdb.DuckDBPyConnection, rel: str, rules: Effective, path: str
) -> tuple[list[_Problem], list[int]]:
    key = ", ".join(f'"{k}"' for k in rules.key)
    found = con.execute(
        f"SELECT count(*), sum(n - 1), min(f) FROM (SELECT count(*) AS n, min({_IDX}) AS f "
        f"FROM {rel} GROUP BY {key} HAVING count(*) > 1)"
    ).fetchall()[0]
    if not found[0]:
        return [], []
    keys, extra = int(found[0]), int(found[1])
    if rules.collapse is not None:
        conflicts = _conflicts(con, rel, rules)
        if not conflicts:
            drop = con.execute(
                f"SELECT {_IDX} FROM (SELECT {_IDX}, row_number() OVER (PARTITION BY {key} "
                f"ORDER BY {_IDX}) AS rn FROM {rel}) WHERE rn > 1 ORDER BY 1"
            ).fetchall()
            return [], [int(r[0]) for r in drop]
    return [_duplicate_problem(con, rel, rules, keys, extra, int(found[2]), path)], []


def _conflicts(con: duckdb.DuckDBPyConnection, rel: str, rules: Effective) -> int:
    """Keys whose repeated rows differ in some column (those are never collapsed)."""
    key = ", ".join(f'"{k}"' for k in rules.key)
    whole = ", ".join(f'"{c}"' for c in rules.columns)
    return int(
        con.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM {rel} GROUP BY {key} "
            f"HAVING count(DISTINCT ROW({whole})) > 1)"
        ).fetchall()[0][0]
    )


def _duplicate_problem(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    rules: Effective,
    keys: int,
    extra: int,
    idx: int,
    path: str,
) -> _Problem:
    names = ", ".join(f'"{k}"' for k in rules.key)
    values = con.execute(f"SELECT {names} FROM {rel} WHERE {_IDX} = ?", [idx]).fetchall()[0]
    same = " AND ".join(f'"{k}" IS NOT DISTINCT FROM ?' for k in rules.key)
    held = con.execute(
        f"SELECT {_IDX}, {ROW} FROM {rel} WHERE {same} ORDER BY 1 LIMIT 5", list(values)
    ).fetchall()
    file_rows = all(r is not None for _, r in held)
    rows = [int(r) if file_rows else int(i) + 1 for i, r in held]
    label = "rows" if file_rows else "table rows (the reader keeps no file rows)"
    key = {k: v for k, v in zip(rules.key, values, strict=True) if v is not None}
    shown = ", ".join(f"{k}={v}" for k, v in key.items())
    problem = (
        f"{extra:,} repeated row(s) ({keys:,} key(s) appear more than once); first: {shown} "
        f"at {label} {', '.join(f'{r:,}' for r in rows)}"
    )
    why = (
        " (repeated rows differ, so they cannot be kept once)" if rules.collapse is not None else ""
    )
    err = DuplicateKeyError(
        path, problem + why, count=extra, key=key, rows=rows,
        row=rows[1] if file_rows and len(rows) > 1 else None,
        expected=f"one row per ({', '.join(rules.key)})",
        hint="A repeated row is counted twice in every total: remove the repeats or ingest the "
        "file as published.",
    )  # fmt: skip
    return _Problem(f"{extra:,} repeated rows", err)
