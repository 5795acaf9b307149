"""BACI CSV files straight to ``trade_flows`` as Parquet partitioned by year and reporter, on Spark.

One definition, two engines — nothing of the BACI layout or of the store's rules is restated:

- the layout comes from :mod:`techties.sources.baci`: the header check, the country code list
  beside each file, the HS vintage and year in the file name, and the per-file constant columns
  of the store's direct load (:meth:`~techties.sources.baci.Baci.csv_plan`, DuckDB SQL literals);
- the per-row columns (:data:`ROW_SQL`, one for each of ``baci.PART_COLUMNS``) are DuckDB SQL;
- the checks are :func:`techties.store.validate.value_checks` of the ``trade_flows`` schema for
  source ``baci`` (every value check and cross-column rule the DuckDB store runs), its code
  lists (:meth:`~techties.store.schemas.Effective.known`) and its key; the BACI reader's own
  refusals (text that is not a number, a code missing from the country list, a row of another
  year than the file's) are DuckDB SQL too (:data:`FILE_CHECKS`).

Every SQL text is transpiled to Spark by sqlglot (:mod:`techties.spark.sql`). A file the DuckDB
store refuses is refused here with the same error type (:class:`InvalidValueError`,
:class:`UnknownCodeError`, :class:`SourceFormatError`, :class:`DuplicateKeyError`), naming the
file, its row and the file's column; a line without six fields gets the BACI reader's own
message (:func:`_short_line`). Rows are numbered only when a check fails: the failing
file is read again as numbered lines (``zipWithIndex``) to find the first bad row, so a clean
ingest reads each CSV twice (once for the checks, once for the write).

:func:`ingest_baci` writes ``<folder>/trade_flows/year=…/reporter=…/*.parquet`` (hive layout,
one file per partition) and ``<folder>/provenance.parquet``; :func:`parquet_store` opens the
folder as a :class:`~techties.spark.store.SparkStore`, on which the indicator functions run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from techties._version import __version__
from techties.countries import nearest_codes
from techties.errors import (
    DuplicateKeyError,
    InvalidValueError,
    SourceFormatError,
    UnknownCodeError,
)
from techties.sources import baci
from techties.spark import sql as spark_sql
from techties.spark.store import SparkStore
from techties.store import Store, open_store
from techties.store.core import file_sha256
from techties.store.schemas import SCHEMAS
from techties.store.validate import value_checks

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TABLE = "trade_flows"
SOURCE = "baci"
RULES = SCHEMAS[TABLE].for_source(SOURCE)
#: where the Parquet rows are partitioned (hive layout: ``year=2017/reporter=CHN/``)
PARTITION_BY = ("year", "reporter")
#: the BACI file's columns, all read as text (``t,i,j,k,v,q``), and ``_line``: the line as
#: written when it does not have six fields (Spark's CSV reader would fill a short line with
#: NULLs and drop the fields past the sixth)
RAW_SCHEMA = ", ".join(f"{c} STRING" for c in [*baci.COLUMNS, "_line"])
CSV_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_line"}
#: the reader marks a line of the wrong length only when it parses every field
NO_PRUNING = "spark.sql.csv.parser.columnPruning.enabled"
#: each per-row canonical column from the file's columns ``r.*`` and the country list joined
#: on the exporter (``ci``) and importer (``cj``) codes, as :mod:`techties.sources.baci` maps them:
#: value_usd = 1000·v, q ``NA`` = unknown, k six digits with its leading zeros
ROW_SQL = {
    "reporter": "ci.iso3",
    "partner": "cj.iso3",
    "year": "TRY_CAST(r.t AS SMALLINT)",
    "product_code": "CASE WHEN length(r.k) < 6 THEN lpad(r.k, 6, '0') ELSE r.k END",
    "value_usd": "TRY_CAST(r.v AS DOUBLE) * 1000.0",
    "quantity": "TRY_CAST(nullif(r.q, 'NA') AS DOUBLE)",
}
if set(ROW_SQL) != set(baci.PART_COLUMNS):  # pragma: no cover - a change to the BACI reader
    raise ImportError("spark.ingest.ROW_SQL must define exactly baci.PART_COLUMNS")


@dataclass(frozen=True, slots=True)
class Check:
    """SQL true on a good row (NULL counts as good) of the ``canon`` relation."""

    kind: str  # "value" (InvalidValueError), "format"/"fields" (SourceFormatError), "code"
    column: str  # the file's column it names
    ok: str
    what: str
    expected: str
    hint: str | None = None
    value: str | None = None  # SQL of the value shown (default: the column)


_NUMBER = "r_{c} IS NULL OR TRY_CAST(r_{c} AS DOUBLE) IS NOT NULL"
#: a line without six fields (checked first: the other checks skip such lines)
FIELDS = Check(
    "fields",
    ",".join(baci.COLUMNS),
    "_line IS NULL",
    "lines without six fields",
    "UTF-8 CSV with 6 fields per line (t,i,j,k,v,q)",
    "The file may be truncated or not a BACI CSV; download it again.",
    value="_line",
)
#: the BACI reader's own refusals (before the store's rules)
FILE_CHECKS = (
    FIELDS,
    *(
        Check("format", c, _NUMBER.format(c=c) + (" OR r_q = 'NA'" if c == "q" else ""),
              "is not a number", "a finite number (no blanks)", value=f"r_{c}")
        for c in ("t", "i", "j", "v", "q")
    ),
    Check("format", "t", r"r_t IS NULL OR regexp_full_match(r_t, '\d+')", "is not a whole year",
          "a year such as 2017", value="r_t"),
    *(
        Check("code", c, f"r_{c} IS NULL OR {name} IS NOT NULL", "unknown code",
              "a code in the BACI country_codes file", value=f"r_{c}")
        for c, name in (("i", "reporter"), ("j", "partner"))
    ),
    Check("format", "t", "_year IS NULL OR year = _year", "is not the file's year",
          "t = the year in the file name",
          "Each BACI file holds one year: the file was renamed or edited.", value="r_t"),
)  # fmt: skip


def store_checks(not_null: Sequence[str] = ()) -> list[Check]:
    """The ``trade_flows`` checks the DuckDB store runs for BACI, and the direct load's
    ``not_null`` columns (named by the file's columns in place of the canonical ones)."""
    out = [
        Check("value", baci.FILE_COLUMNS.get(c, c), f'"{c}" IS NOT NULL', f"no {c}",
              f"a {c} in every row", "Fill the cell; this column cannot be blank.", value=f'"{c}"')
        for c in not_null if not RULES.columns[c].required
    ]  # fmt: skip
    for c in value_checks(RULES):
        cols = c.columns or ((c.column,) if c.column else ())
        name = ", ".join(baci.FILE_COLUMNS.get(x, x) for x in cols)
        value = ", ".join(f'"{x}"' for x in cols)
        out.append(Check("value", name, c.ok, c.what, c.expected, c.hint, value=value))
    return out


@dataclass(slots=True)
class SparkIngest:
    """What :func:`ingest_baci` wrote: the files, rows per file and the Parquet folder."""

    folder: Path
    provenance: pd.DataFrame

    @property
    def rows(self) -> int:
        return int(self.provenance["rows_written"].sum())

    @property
    def flows(self) -> Path:
        return self.folder / TABLE


class _Files:
    """The files of one ingest as Spark views: ``raw_<n>`` (text), ``codes_<m>`` (country
    lists) and ``canon`` (canonical rows beside the file's text, the union of every file)."""

    def __init__(self, spark: SparkSession, paths: Sequence[Path]) -> None:
        self.spark, self.paths = spark, list(paths)
        self.plans = [baci.Baci().csv_plan(p) for p in self.paths]  # checks each header
        self.code_files: dict[Path, int] = {}
        for plan in self.plans:
            codes = baci.country_codes_file(plan.path)
            if codes not in self.code_files:
                self.code_files[codes] = len(self.code_files)
                table = pd.DataFrame(list(baci.country_table(codes).items()),
                                     columns=["code", "iso3"])  # fmt: skip
                spark.createDataFrame(table).createOrReplaceTempView(
                    f"codes_{len(self.code_files) - 1}"
                )
        for n in range(len(self.paths)):
            self.raw(n, numbered=False).createOrReplaceTempView(f"raw_{n}")
        canon = " UNION ALL ".join(self.select(n, f"raw_{n}") for n in range(len(self.paths)))
        spark.sql(spark_sql.to_spark(canon)).createOrReplaceTempView("canon")

    def raw(self, n: int, *, numbered: bool) -> DataFrame:
        """File ``n``'s fields as trimmed text, with ``_row`` (the 1-based file line) when
        ``numbered`` (else NULL)."""
        from pyspark.sql import functions as F

        path = str(self.paths[n])
        if numbered:
            lines = self.spark.sparkContext.textFile(path).zipWithIndex()
            frame = lines.toDF(["line", "idx"]).where("idx > 0 AND trim(line) <> ''")
            frame = frame.select(F.from_csv("line", RAW_SCHEMA, CSV_OPTIONS).alias("f"),
                                 (F.col("idx") + 1).alias("_row")).select("f.*", "_row")  # fmt: skip
        else:
            frame = self.spark.read.csv(path, schema=RAW_SCHEMA, header=True, **CSV_OPTIONS)
            frame = frame.withColumn("_row", F.lit(None).cast("bigint"))
        return frame.select(*(F.trim(c).alias(c) for c in baci.COLUMNS), "_line", "_row")

    def select(self, n: int, relation: str) -> str:
        """DuckDB SQL of file ``n``'s canonical rows read from ``relation`` (a ``raw`` view)."""
        plan = self.plans[n]
        codes = f"codes_{self.code_files[baci.country_codes_file(plan.path)]}"
        cols = []
        for name, col in RULES.columns.items():
            expr = ROW_SQL.get(name) or plan.constants[name]
            cols.append(f'CAST({expr} AS {col.sql}) AS "{name}"')
        year = baci.file_year(plan.path)
        raw = ", ".join([*(f"r.{c} AS r_{c}" for c in baci.COLUMNS), "r._line AS _line"])
        return (
            f"SELECT {', '.join(cols)}, CAST({n + 1} AS INTEGER) AS provenance_id, {raw}, "
            f"{n} AS _file, r._row AS _row, CAST({'NULL' if year is None else year} AS SMALLINT) "
            f"AS _year FROM {relation} r LEFT JOIN {codes} ci ON ci.code = r.i "
            f"LEFT JOIN {codes} cj ON cj.code = r.j"
        )

    def numbered(self, n: int) -> str:
        """A view of file ``n``'s canonical rows with their file lines (``_row``)."""
        self.raw(n, numbered=True).createOrReplaceTempView("raw_numbered")
        view = f"canon_numbered_{n}"
        self.spark.sql(spark_sql.to_spark(self.select(n, "raw_numbered"))).createOrReplaceTempView(
            view
        )
        return view


def _good(check: Check) -> str:
    """Spark SQL true on a row that passes ``check``; a line without six fields fails only
    :data:`FIELDS` (its other columns are not the file's)."""
    ok = f"coalesce(({spark_sql.expression(check.ok)}), true)"
    return ok if check is FIELDS else f"(_line IS NOT NULL OR {ok})"


def _coded_check(name: str, bad: Sequence[str]) -> Check:
    listed = ", ".join("'" + v.replace("'", "''") + "'" for v in bad)
    return Check("code", baci.FILE_COLUMNS.get(name, name), f'NOT ("{name}" IN ({listed}))',
                 f"unknown {name} code", f"a code of the {RULES.columns[name].codes!r} code list",
                 value=f'"{name}"')  # fmt: skip


def _unknown(name: str, values: Sequence[Any] | None) -> list[str]:
    known, pattern = RULES.known(name), RULES.code_patterns.get(name)
    return sorted(
        str(v) for v in values or [] if v is not None and v not in known
        and not (pattern and re.fullmatch(pattern, str(v)))
    )  # fmt: skip


def validate(files: _Files) -> list[int]:
    """Run every check over all files at once; raise the first problem (naming the file, row and
    column, the other problems listed), else return the rows of each file."""
    checks = [*FILE_CHECKS, *store_checks(files.plans[0].not_null)]
    coded = [n for n, col in RULES.columns.items() if col.codes is not None]
    key = ", ".join(f"`{k}`" for k in RULES.key)
    n_files = len(files.paths)
    probe = files.spark.sql(
        "SELECT " + ", ".join([
            *(f"count_if(NOT {_good(c)})" for c in checks),
            *(f"collect_set(`{c}`)" for c in coded),
            f"count(*) - count(DISTINCT xxhash64({key}))",
            *(f"count_if(_file = {n})" for n in range(n_files)),
        ]) + " FROM canon"
    ).collect()[0]  # fmt: skip
    counts = list(probe[: len(checks)])
    sets = dict(zip(coded, probe[len(checks) : len(checks) + len(coded)], strict=True))
    repeats = int(probe[len(checks) + len(coded)])
    rows = [int(r) for r in probe[len(checks) + len(coded) + 1 :]]
    failing = [(c, int(n)) for c, n in zip(checks, counts, strict=True) if n]
    for name, values in sets.items():
        bad = _unknown(name, values)
        if bad:
            check = _coded_check(name, bad)
            failing.append((check, int(files.spark.sql(
                f"SELECT count_if(NOT {_good(check)}) FROM canon").collect()[0][0])))  # fmt: skip
    summaries = [f"{n:,} " + (c.what if c is FIELDS else f"rows: {c.column} {c.what}")
                 for c, n in failing]  # fmt: skip
    error: SourceFormatError | None = _problem(files, *failing[0]) if failing else None
    if repeats:
        dup = _duplicates(files)
        if dup is not None:
            summaries.append(f"{dup.count:,} repeated rows")
            error = error or dup
    if error is not None:
        if len(summaries) > 1:
            error.message += "\nalso: " + "; ".join(summaries[1:6])
            error.args = (error.message,)
        raise error
    return rows


def _problem(files: _Files, check: Check, count: int) -> SourceFormatError:
    """The error of the first row failing ``check`` (``count`` rows fail it in all files)."""
    good = _good(check)
    value_sql = spark_sql.expression(check.value or f'"{check.column}"')
    first = 0
    if len(files.paths) > 1:
        first = int(
            files.spark.sql(f"SELECT min(_file) FROM canon WHERE NOT {good}").collect()[0][0]
        )
    path = files.paths[first]
    view = files.numbered(first)
    got = files.spark.sql(
        f"SELECT _row, {value_sql} FROM {view} WHERE NOT {good} ORDER BY _row LIMIT 1"
    ).collect()[0]
    row, values = int(got[0]), list(got[1:])
    value: Any = values[0] if len(values) == 1 else dict(zip(check.column.split(", "), values,
                                                             strict=True))  # fmt: skip
    rows = "row" if count == 1 else "rows"
    if check.kind == "fields":
        return _short_line(path, row, str(value))
    if check.kind == "code":
        found = files.spark.sql(
            f"SELECT {value_sql}, count(*) FROM canon WHERE NOT {good} GROUP BY 1"
        ).collect()
        tally = {str(code): int(n) for code, n in found}
        known = [str(r[0]) for r in files.spark.sql("SELECT code FROM codes_0").collect()]
        return UnknownCodeError(
            path, check.column, tally, first_row=row, expected=check.expected,
            nearest={c: nearest_codes(c, frozenset(known)) for c in list(tally)[:5]},
            hint="If the publisher defines this code, map it explicitly in the source (see "
            "docs/data.md, Validation); techties never stores an unknown code as it is.",
        )  # fmt: skip
    if check.kind == "format":
        return SourceFormatError(path, f"value {value!r} {check.what} ({count:,} {rows})",
                                 row=row, column=check.column, expected=check.expected,
                                 hint=check.hint)  # fmt: skip
    problem = (
        f"{count:,} {rows} with {check.what} (file column {check.column!r}), first at row "
        f"{row:,}: {value!r}"
    )
    return InvalidValueError(path, problem, check=check.what, count=count, value=value, row=row,
                             table_row=row - 1, column=check.column, expected=check.expected,
                             hint=check.hint)  # fmt: skip


def _short_line(path: Path, row: int, line: str) -> SourceFormatError:
    """The BACI reader's error for a line without six fields (its CSV parser's words, the
    first missing column named as :func:`techties.sources.baci.iter_batches` names it)."""
    line = line.rstrip("\r\n")
    got = len(line.split(","))
    return SourceFormatError(
        path, f"malformed CSV: CSV parse error: Expected {len(baci.COLUMNS)} columns, got {got}: "
        f"{line}", row=row, column=baci.COLUMNS[got] if got < len(baci.COLUMNS) else None,
        expected=FIELDS.expected, hint=FIELDS.hint,
    )  # fmt: skip


def _duplicates(files: _Files) -> DuplicateKeyError | None:
    """The first repeated key (exact: the probe compared 64-bit hashes), or None."""
    key = ", ".join(f"`{k}`" for k in RULES.key)
    found = files.spark.sql(
        f"SELECT count(*), sum(n - 1), min(f) FROM (SELECT count(*) AS n, min(_file) AS f "
        f"FROM canon GROUP BY {key} HAVING count(*) > 1)"
    ).collect()[0]
    if not found[0]:
        return None
    extra, first = int(found[1]), int(found[2])
    view = files.numbered(first)
    got = files.spark.sql(
        f"SELECT {key}, sort_array(collect_list(_row)) AS held, min(_row) AS first FROM {view} "
        f"GROUP BY {key} HAVING count(*) > 1 ORDER BY first LIMIT 1"
    ).collect()[0]
    values = dict(zip(RULES.key, got[: len(RULES.key)], strict=True))
    rows = [int(r) for r in got[len(RULES.key)]][:5]
    shown = ", ".join(f"{k}={v}" for k, v in values.items() if v is not None)
    return DuplicateKeyError(
        files.paths[first], f"{extra:,} repeated row(s); first: {shown} at rows "
        f"{', '.join(f'{r:,}' for r in rows)}", count=extra,
        key={k: v for k, v in values.items() if v is not None}, rows=rows, row=rows[1],
        expected=f"one row per ({', '.join(RULES.key)})",
        hint="A repeated row is counted twice in every total: remove the repeats or ingest the "
        "file as published.",
    )  # fmt: skip


def baci_files(paths: Sequence[str | Path]) -> list[Path]:
    """The BACI yearly CSV files among ``paths`` (files, or folders searched for
    ``BACI_*.csv``), sorted; a :class:`SourceFormatError` when there are none."""
    found: list[Path] = []
    for p in map(Path, paths):
        found += sorted(p.glob(baci.Baci.patterns[0])) if p.is_dir() else [p]
    if not found:
        raise SourceFormatError(", ".join(map(str, paths)), "no BACI yearly files",
                                expected="BACI_HS<rev>_Y<year>_V<release>.csv files")  # fmt: skip
    return sorted(found)


def ingest_baci(
    paths: Sequence[str | Path],
    folder: str | Path,
    *,
    spark: SparkSession | None = None,
    partition_by: Sequence[str] = PARTITION_BY,
) -> SparkIngest:
    """Check BACI CSV ``paths`` (files or folders) and write them to ``folder`` as
    ``trade_flows`` Parquet partitioned by ``partition_by`` (module doc); nothing is written
    when any file fails a check. Replaces what ``folder`` held."""
    from techties.spark.session import session

    spark = spark or session()
    pruning = spark.conf.get(NO_PRUNING, None)
    spark.conf.set(NO_PRUNING, "false")
    try:
        return _ingest(spark, baci_files(paths), Path(folder), partition_by)
    finally:
        if pruning is None:
            spark.conf.unset(NO_PRUNING)
        else:
            spark.conf.set(NO_PRUNING, pruning)


def _ingest(
    spark: SparkSession, paths: Sequence[Path], out: Path, partition_by: Sequence[str]
) -> SparkIngest:
    files = _Files(spark, paths)
    rows = validate(files)
    out.mkdir(parents=True, exist_ok=True)
    partial = out / f".{TABLE}.partial"
    columns = ", ".join(f'"{c}"' for c in [*RULES.columns, "provenance_id"])
    frame = spark.sql(spark_sql.to_spark(f"SELECT {columns} FROM canon"))
    by = list(partition_by)
    frame.repartition(*by).write.mode("overwrite").partitionBy(*by).parquet(str(partial))
    if (out / TABLE).exists():
        shutil.rmtree(out / TABLE)
    partial.rename(out / TABLE)
    prov = _provenance(files, rows)
    prov.to_parquet(out / "provenance.parquet", index=False)
    return SparkIngest(out, prov)


def _provenance(files: _Files, rows: Sequence[int]) -> pd.DataFrame:
    now = dt.datetime.now(dt.UTC)
    return pd.DataFrame([
        {"id": n + 1, "source": SOURCE, "version": baci.release(plan.path)[1],
         "location": str(plan.path), "sha256": file_sha256(plan.path),
         "bytes": plan.path.stat().st_size, "target_table": TABLE, "rows_written": rows[n],
         "ingested_at": now, "techties_version": __version__, "replaces": None,
         "details": json.dumps({**plan.details, "engine": "spark",
                                "partitioned_by": list(PARTITION_BY)})}
        for n, plan in enumerate(files.plans)
    ])  # fmt: skip


def parquet_store(folder: str | Path, spark: SparkSession | None = None) -> SparkStore:
    """The ``trade_flows`` Parquet of :func:`ingest_baci` (or of
    :func:`~techties.spark.store.export_tables`) in ``folder`` as a store the indicator
    functions take: Spark reads the rows; the provenance lines sit in an in-memory DuckDB store."""
    from techties.spark.session import session

    root = Path(folder)
    base = open_store(":memory:")
    _load_provenance(base, root / "provenance.parquet")
    return SparkStore(base, spark or session(), {TABLE: root / TABLE})


def _load_provenance(store: Store, path: Path) -> None:
    if not path.exists():
        return
    prov = pd.read_parquet(path)
    cols = ", ".join(prov.columns)
    store.con.register("_tt_provenance", prov)
    try:
        store.con.execute(f"INSERT INTO provenance ({cols}) SELECT {cols} FROM _tt_provenance")
    finally:
        store.con.unregister("_tt_provenance")
