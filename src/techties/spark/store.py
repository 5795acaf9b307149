"""A store whose trade tables are read by Spark: the indicator functions run on it unchanged.

:class:`SparkStore` wraps an open DuckDB :class:`~techties.store.Store`. Each query is routed
by the tables it reads (:func:`techties.spark.sql.tables_of`):

- a query reading a table registered with Spark (``trade_flows`` by default, read as Parquet)
  runs on Spark, transpiled from the DuckDB text the store's query builders wrote
  (:func:`techties.spark.sql.to_spark`); small store tables it joins (``provenance``,
  ``hs_concordance``) are copied to Spark once, when first read;
- every other query (provenance, store metadata, ``information_schema``) runs in DuckDB.

So there is one definition of every indicator — :mod:`techties.store.queries` and the indicator
modules — and two engines. Results are pandas frames either way.

:func:`export_tables` writes the store's tables to a Parquet dataset Spark reads (partitioned
by year and reporter); :func:`spark_store` does it for a store once per content (a fingerprint
of the provenance table), in ``<store>.spark/``.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlglot import exp

from techties.errors import UnknownNameError, did_you_mean
from techties.spark import sql as spark_sql
from techties.store import Store
from techties.store.parts import sql_str

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: tables read by Spark unless told otherwise (the large ones)
SPARK_TABLES = ("trade_flows",)
#: partition columns of an exported table (when it has them): the layout of the Spark ingest
#: (:mod:`techties.spark.ingest`), so a query selecting years or reporters reads only their files
PARTITIONS = ("year", "reporter")


class SparkStore(Store):
    """The tables of ``store`` with ``tables`` (name → Parquet file or folder) read by Spark.

    A :class:`~techties.store.Store` for every reader of one (the indicator functions take it
    as they take a DuckDB store). It does not own ``store``: closing it leaves ``store`` open.
    """

    def __init__(self, store: Store, spark: SparkSession, tables: Mapping[str, str | Path]) -> None:
        self.__dict__.update(vars(store))  # the DuckDB side: connection, path, parts
        self.base = store
        self.spark = spark
        self.spark_tables: dict[str, list[str]] = {}
        for name, path in tables.items():
            self.register(name, path, spark_schema(store, name) if store.has_table(name) else None)

    def register(self, name: str, path: str | Path, schema: str | None = None) -> None:
        """Read table ``name`` from the Parquet file or folder ``path`` on Spark (``schema``: a
        Spark DDL string, e.g. the store's types from :func:`spark_schema`)."""
        reader = self.spark.read if schema is None else self.spark.read.schema(schema)
        frame = reader.parquet(str(path))
        frame.createOrReplaceTempView(name)
        self.spark_tables[name] = list(frame.columns)

    def _copy_small(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self.spark_tables or not self.base.has_table(name):
                continue
            frame = self.base.df(f'SELECT * FROM "{name}"')
            self.spark.createDataFrame(frame).createOrReplaceTempView(name)
            self.spark_tables[name] = list(frame.columns)

    def close(self) -> None:  # the wrapped store belongs to its opener
        return None

    def on_spark(self, sql: str, params: Sequence[Any] | None = None) -> str | None:
        """The Spark SQL of a query that reads a Spark table; None for a DuckDB query."""
        tree = spark_sql.parse(sql, params)
        read = spark_sql.tables_of(tree)
        if not read & set(self.spark_tables) or "tables" in read:  # information_schema.tables
            return None
        self._copy_small(read - set(self.spark_tables))
        return spark_sql.to_spark(sql, params, self.spark_tables)

    def df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        query = self.on_spark(sql, params)
        if query is None:
            return super().df(sql, params)
        return to_pandas(self.spark.sql(query))

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        query = self.on_spark(sql, params)
        if query is None:
            return super().scalar(sql, params)
        rows = self.spark.sql(query).limit(1).collect()
        return rows[0][0] if rows else None

    def _check_table(self, table: str) -> None:
        if table not in self.spark_tables:
            self.base._check_table(table)


#: Spark integer types → the pandas nullable dtype DuckDB returns for them
_NULLABLE_INT = {"tinyint": "Int8", "smallint": "Int16", "int": "Int32", "bigint": "Int64"}


def to_pandas(frame: Any) -> pd.DataFrame:
    """A Spark DataFrame as pandas, integer columns with NULLs as nullable integers (as DuckDB
    returns them) rather than floats."""
    out = frame.toPandas()
    for field in frame.schema.fields:
        dtype = _NULLABLE_INT.get(field.dataType.simpleString())
        if dtype and out[field.name].dtype.kind == "f":
            out[field.name] = out[field.name].astype(dtype)
    return out


def spark_schema(store: Store, table: str) -> str:
    """The Spark DDL schema of a store table (its DuckDB types transpiled by sqlglot)."""
    typed = store.con.execute(f'DESCRIBE "{table}"').fetchall()
    return ", ".join(
        f"`{col}` {exp.DataType.build(str(kind), dialect='duckdb').sql('spark')}"
        for col, kind, *_ in typed
    )


def fingerprint(store: Store) -> str:
    """Changes whenever an ingest is added or removed (the provenance table's ids and hashes)."""
    rows = (
        store.df("SELECT id, sha256 FROM provenance ORDER BY id")
        if store.has_table("provenance")
        else pd.DataFrame()
    )
    return hashlib.sha256(rows.to_csv(index=False).encode()).hexdigest()[:16]


def export_tables(
    store: Store,
    folder: str | Path,
    tables: Sequence[str] = SPARK_TABLES,
    partition_by: Sequence[str] = PARTITIONS,
) -> dict[str, Path]:
    """Write ``tables`` to Parquet datasets ``folder/<table>/`` (hive layout, partitioned by
    the columns of ``partition_by`` the table has: ``year=2017/reporter=CHN/``), streamed by
    DuckDB. Returns name → folder."""
    out: dict[str, Path] = {}
    for name in tables:
        store._check_table(name)
        target = Path(folder) / name
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        cols = set(store.df(f'SELECT * FROM "{name}" LIMIT 0').columns)
        parts = [c for c in partition_by if c in cols]
        by = f", PARTITION_BY ({', '.join(parts)})" if parts else ""
        store.con.execute(
            f"COPY (SELECT * FROM \"{name}\") TO '{sql_str(target)}' (FORMAT parquet{by})"
        )
        out[name] = target
    return out


def spark_store(
    store: Store,
    spark: SparkSession | None = None,
    *,
    folder: str | Path | None = None,
    tables: Sequence[str] = SPARK_TABLES,
    partition_by: Sequence[str] = PARTITIONS,
) -> SparkStore:
    """``store`` with ``tables`` read by Spark from a Parquet export kept in ``folder``
    (default ``<store>.spark/``; a temporary folder for an in-memory store), re-exported when
    the store's ingests changed; ``partition_by``: the export's hive partition columns."""
    from techties.spark.session import session

    for name in tables:
        if not store.has_table(name):
            known = list(store.tables()["table"])
            raise UnknownNameError(
                f"No table {name!r} to read on Spark.", hint=did_you_mean(name, known)
            )
    if folder is None:
        scratch = store.path == ":memory:"
        folder = tempfile.mkdtemp(prefix="techties-spark-") if scratch else f"{store.path}.spark"
    root = Path(folder)
    stamp = root / "fingerprint"
    current = f"{fingerprint(store)} {','.join(partition_by)}"
    have = all((root / t).is_dir() for t in tables)
    if not (have and stamp.exists() and stamp.read_text() == current):
        export_tables(store, root, tables, partition_by)
        stamp.write_text(current)
    return SparkStore(store, spark or session(), {t: root / t for t in tables})
