"""Benchmark: the indicator suite on DuckDB vs Spark local[2], on a generated BACI-scale panel.

Generates BACI yearly CSV files (``bench_indicators.generate``: 220 countries, 5,200 HS6
products, 5 years, one row per exporter × importer × product × year; ``--rows`` in all) and
ingests them the way a user does (``ingest_files(store, "baci", …)``, DuckDB). Then, in one run:

- ingest: DuckDB ingest of the CSVs (checked, ISO3-mapped, Parquet parts) vs Spark reading the
  same CSVs and writing Parquet partitioned by year and exporter (raw columns: the conversion
  only, no code mapping or validation — a lower bound of a Spark ingest);
- export: the store's ``trade_flows`` written to the Parquet dataset Spark reads
  (:func:`techties.spark.store.export_tables`, DuckDB);
- indicators: :func:`supplier_concentration` and :func:`chokepoints` of every exporter at HS6
  (``Selection(flow="export", level=6, reporter=None)``) on the DuckDB store and on
  :class:`techties.spark.store.SparkStore` (the same functions, the same SQL transpiled),
  each timed twice, the faster counts; the tables are checked equal (1e-9 relative).

Prints the times and the ratio Spark / DuckDB (the peer is DuckDB, measured in the same run).
Usage: ``python benchmarks/bench_spark.py [--rows 10000000] [--folder /tmp/techties-bench-spark]
[--master local[2]]``. The issue's scale is ≥ 100 million rows (``--rows 100000000``).
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

N_COUNTRIES = 200
N_PRODUCTS = 5200
YEARS = (2019, 2020, 2021, 2022, 2023)


def build_store(folder: Path, rows: int, seed: int = 7) -> tuple[Path, float | None]:
    """A store holding ``rows`` generated BACI-like export rows (one per exporter × importer ×
    product × year, real ISO3 codes), written year by year through ``Store.write`` (checked by
    the store's validation). Returns (path, seconds to write; None when cached)."""
    import numpy as np
    import pyarrow as pa

    from techties.countries import country_codes
    from techties.store import open_store

    target = folder / "panel.duckdb"
    marker = folder / "store_done"
    if marker.exists():
        return target, None
    for old in folder.glob("panel.duckdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    codes = np.array(sorted(c for c in country_codes() if c.isalpha() and len(c) == 3))
    codes = codes[:N_COUNTRIES]
    products = np.array([f"{k:06d}" for k in range(100101, 100101 + N_PRODUCTS)])
    rng = np.random.default_rng(seed)
    per_year = rows // len(YEARS)
    t0 = time.perf_counter()
    with open_store(target) as store:
        for year in YEARS:
            cells = rng.choice(N_COUNTRIES * N_COUNTRIES * N_PRODUCTS, per_year, replace=False)
            exp_i, rest = np.divmod(cells, N_COUNTRIES * N_PRODUCTS)
            imp_i, prod_i = np.divmod(rest, N_PRODUCTS)
            keep = exp_i != imp_i
            n = int(keep.sum())
            const = {"source": "baci", "flow": "export", "classification": "HS",
                     "vintage": "HS2017", "value_basis": "FOB"}  # fmt: skip
            table = pa.table({
                **{k: pa.array([v] * n) for k, v in const.items()},
                "reporter": pa.array(codes[exp_i[keep]]),
                "partner": pa.array(codes[imp_i[keep]]),
                "year": pa.array(np.full(n, year, dtype=np.int16)),
                "month": pa.nulls(n, pa.int8()),
                "product_code": pa.array(products[prod_i[keep]]),
                "product_level": pa.array(np.full(n, 6, dtype=np.int8)),
                "value_usd": pa.array(np.round(rng.lognormal(3, 2, n), 3) * 1000),
                "quantity": pa.nulls(n, pa.float64()),
                "quantity_unit": pa.nulls(n, pa.string()),
                "duties_usd": pa.nulls(n, pa.float64()),
            })  # fmt: skip
            pq.write_table(table, folder / f"flows_{year}.parquet")
            with store.transaction():
                store.write(source="baci", table="trade_flows", data=table,
                            location=f"generated_{year}", sha256=f"{seed}-{rows}-{year}",
                            nbytes=table.nbytes)  # fmt: skip
    took = time.perf_counter() - t0
    marker.touch()
    return target, took


def _best(label: str, fn: Callable[[], Any], runs: int = 2) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    print(f"  {label:<42} {min(times):8.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times)})")
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--folder", type=Path, default=Path("/tmp/techties-bench-spark"))
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args()
    import pandas as pd

    from techties.indicators.concentration import chokepoints, supplier_concentration
    from techties.spark.session import session
    from techties.spark.store import export_tables, spark_store
    from techties.store import open_store

    folder: Path = args.folder / f"rows_{args.rows}"
    folder.mkdir(parents=True, exist_ok=True)
    path, ingest_duck = build_store(folder, args.rows)
    spark = session(args.master, shuffle_partitions=8, spark__driver__memory="3g")
    print(f"panel: {args.rows:,} rows; Spark master {args.master}")

    flows = sorted(str(p) for p in folder.glob("flows_*.parquet"))
    t0 = time.perf_counter()
    (
        spark.read.parquet(*flows).write.mode("overwrite").partitionBy("year", "reporter")
        .parquet(str(folder / "spark_raw"))
    )  # fmt: skip
    ingest_spark = time.perf_counter() - t0
    print("ingest")
    if ingest_duck is not None:
        print(f"  {'DuckDB Store.write (validated)':<42} {ingest_duck:8.1f} s")
    else:
        print("  DuckDB ingest: cached store (run with a fresh --folder to time it)")
    print(f"  {'Spark Parquet -> Parquet by year/reporter':<42} {ingest_spark:8.1f} s")

    results: dict[str, dict[str, float]] = {}
    with open_store(path, read_only=True) as duck:
        t0 = time.perf_counter()
        export_tables(duck, folder / "spark")
        print(f"  {'export trade_flows to Parquet (DuckDB)':<42} {time.perf_counter() - t0:8.1f} s")
        on_spark = spark_store(duck, spark, folder=folder / "spark")
        kw: dict[str, Any] = {"reporter": None, "flow": "export", "level": 6}
        for name, func in (("concentration", supplier_concentration), ("chokepoints", chokepoints)):
            print(name)
            d, a = _best("DuckDB", lambda f=func: f(duck, **kw).tidy())
            s, b = _best(f"Spark {args.master}", lambda f=func: f(on_spark, **kw).tidy())
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
            results[name] = {"duckdb": d, "spark": s}
            print(f"  rows {len(a):,}; equal on both engines; Spark / DuckDB = {s / d:.1f}x")
    spark.stop()


if __name__ == "__main__":
    main()
