"""Benchmark: DuckDB vs Spark on one machine — ingest, indicators and the parallel jobs.

In one run, each step on both engines (the peer is the local path, measured beside it):

- ingest: generated BACI yearly CSV files (``bench_indicators.generate``: 220 countries with
  real ISO3 codes, 5,200 HS6 products, 5 years, one row per exporter × importer × product ×
  year; ``--rows`` in all) loaded the way a user does — DuckDB ``ingest_files(store, "baci", …)``
  (checked, mapped, Parquet parts) vs Spark :func:`techties.spark.ingest.ingest_baci` (the same
  checks, transpiled; Parquet partitioned by year × reporter);
- indicators: :func:`supplier_concentration` and :func:`chokepoints` of every exporter at HS6
  on the DuckDB store and on the Spark-ingested Parquet (:func:`parquet_store`; with
  ``--no-spark-ingest`` on DuckDB's export of the store, :func:`spark_store`, instead), each
  timed ``--runs`` times (default twice; the faster counts); the tables are checked equal
  (1e-9 relative);
- per-product PPML: ``--products`` products of a generated 3-way gravity panel, fitted with
  ``fit_by_product`` with 1 and 2 worker processes, and as Spark tasks over 1 and 2 partitions;
  the fits are checked equal;
- Monte Carlo: ``--draws`` draws of a one-sector scenario on a generated 40-country baseline
  with 1 and 2 worker processes, and as Spark tasks over 1 and 2 partitions; checked equal.

Prints times, ratios and the load average beside each step. Usage: ``python
benchmarks/bench_spark.py [--rows 10000000] [--folder /tmp/techties-bench-spark]
[--master local[2]] [--steps ingest,indicators,products,draws] [--runs 2] [--no-spark-ingest] [--keep]``
(the generated files are deleted afterwards unless ``--keep``).
The issue's scale is ≥ 100 million rows (``--rows 100000000``).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_indicators import generate


def _best(label: str, fn: Callable[[], Any], runs: int = 2) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    print(f"  {label:<44} {min(times):8.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times)}; "
          f"load {os.getloadavg()[0]:.1f})")
    return min(times), out


def baci_folder(folder: Path, rows: int) -> list[Path]:
    """The generated BACI files and their country list (real ISO 3166 codes)."""
    marker = folder / "csv_done"
    if not marker.exists():
        t0 = time.perf_counter()
        generate(folder, rows)
        print(f"generated {rows:,} rows in {time.perf_counter() - t0:.0f} s")
        marker.touch()
    return sorted(folder.glob("BACI_*.csv"))


def bench_ingest_and_indicators(
    folder: Path,
    rows: int,
    spark: Any,
    master: str,
    *,
    spark_ingest: bool = True,
    runs: int = 2,
    indicators: bool = True,
) -> None:
    """Both ingests and both indicator runs; without ``spark_ingest`` Spark reads DuckDB's
    export of the store (:func:`spark_store`, the same year × reporter layout) instead."""
    from techties.indicators.concentration import chokepoints, supplier_concentration
    from techties.spark.ingest import ingest_baci, parquet_store
    from techties.spark.store import spark_store
    from techties.store import open_store
    from techties.store.ingest import ingest_files

    files = baci_folder(folder / "csv", rows)
    size = sum(f.stat().st_size for f in files) / 1e9
    print(f"ingest: {len(files)} BACI files, {rows:,} rows, {size:.2f} GB of CSV")
    for old in folder.glob("store.duckdb*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    with open_store(folder / "store.duckdb") as duck:
        t0 = time.perf_counter()
        ingest_files(duck, "baci", files)
        d = time.perf_counter() - t0
        print(f"  {'DuckDB ingest_files (checked, Parquet parts)':<44} {d:8.1f} s  "
              f"(load {os.getloadavg()[0]:.1f})")
        t0 = time.perf_counter()
        if spark_ingest:
            done = ingest_baci(files, folder / "spark", spark=spark)
            label, n = f"Spark {master} ingest_baci (checked, year/reporter)", done.rows
            on_spark = parquet_store(done.folder, spark)
        else:
            on_spark = spark_store(duck, spark, folder=folder / "export")
            label = "DuckDB export for Spark (year/reporter)"
            n = int(on_spark.scalar("SELECT count(*) FROM trade_flows"))
        s = time.perf_counter() - t0
        print(f"  {label:<44} {s:8.1f} s  (load {os.getloadavg()[0]:.1f})")
        print(f"  rows {n:,}; Spark / DuckDB = {s / d:.1f}x")
        if not indicators:
            return
        kw: dict[str, Any] = {"reporter": None, "flow": "export", "level": 6}
        for name, func in (("concentration", supplier_concentration), ("chokepoints", chokepoints)):
            print(name)
            d, a = _best("DuckDB", lambda f=func: f(duck, **kw).tidy(), runs)
            s, b = _best(f"Spark {master}", lambda f=func: f(on_spark, **kw).tidy(), runs)
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
            print(f"  rows {len(a):,}; equal on both engines; Spark / DuckDB = {s / d:.1f}x")


def gravity_products(n_products: int, n: int = 30, years: int = 6) -> pd.DataFrame:
    """``n_products`` 3-way panels (n exporters × n importers × years), Poisson outcomes."""
    parts = []
    for k in range(n_products):
        rng = np.random.default_rng(100 + k)
        c = np.arange(n)
        e, i, t = (a.ravel() for a in np.meshgrid(c, c, np.arange(years), indexing="ij"))
        lnd = np.log1p(np.abs(e - i)) + rng.normal(0, 0.1, e.size)
        rta = ((rng.random((n, n)) < 0.3)[e, i] & (t >= years // 2)).astype(float)
        mean = np.exp(rng.normal(0, 1, (n, years))[e, t] + rng.normal(0, 1, (n, years))[i, t]
                      + rng.normal(0, 0.7, (n, n))[e, i] + 0.5 * rta - 0.8 * lnd)  # fmt: skip
        parts.append(pd.DataFrame({"exporter": e, "importer": i, "year": 2000 + t,
                                   "trade": rng.poisson(mean).astype(float), "rta": rta,
                                   "product": f"P{k:03d}"}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def bench_products(spark: Any, n_products: int) -> None:
    from techties.models.gravity import GravitySpec
    from techties.models.products import _fit_one, fit_by_product
    from techties.spark.jobs import apply_by_key

    spec = GravitySpec(regressors=("rta",), fixed_effects=("exporter_time", "importer_time",
                       "pair"), symmetric_pair=False, separation="fe")  # fmt: skip
    data = gravity_products(n_products)
    print(f"per-product PPML: {n_products} products × {len(data) // n_products:,} rows")
    warnings.simplefilter("ignore")
    t1, ref = _best("local, 1 worker", lambda: fit_by_product(data, spec, "product"), runs=1)
    t2, two = _best("local, 2 workers",
                    lambda: fit_by_product(data, spec, "product", workers=2), runs=1)  # fmt: skip
    fit = functools.partial(_fit_one, spec=spec)
    s1, a = _best("Spark, 1 partition", lambda: apply_by_key(data, "product", fit, spark=spark,
                  partitions=1).complete(), runs=1)  # fmt: skip
    s2, b = _best("Spark, 2 partitions", lambda: apply_by_key(data, "product", fit, spark=spark,
                  partitions=2).complete(), runs=1)  # fmt: skip
    for got in (two, a, b):
        for p, r in ref.items():
            np.testing.assert_allclose(got[p].table["estimate"], r.table["estimate"], rtol=1e-9)
    print(f"  speed-up 2 vs 1: local {t1 / t2:.2f}x, Spark {s1 / s2:.2f}x; "
          f"Spark 2 / local 2 = {s2 / t2:.2f}x")  # fmt: skip


def bench_draws(spark: Any, draws: int) -> None:
    from techties.simulation.baselines import OneSectorBaseline
    from techties.simulation.scenario import Scenario

    rng = np.random.default_rng(3)
    n = 40
    names = ("USA", "CHN", *(f"C{k:02d}" for k in range(n - 2)))
    trade = rng.gamma(1.0, 100.0, (n, n)) + np.diag(rng.gamma(5.0, 2000.0, n))
    base = OneSectorBaseline(countries=names, trade=trade, name="generated")
    sc = Scenario.from_dict({
        "name": "bench", "baseline": "wiod2014",
        "shocks": [{"tariff": {"imposer": "USA", "target": "CHN", "add": 25}},
                   {"tariff": {"imposer": "CHN", "target": "USA", "add": 25}}],
        "elasticities": {"sigma": 5, "sigma_range": [3, 7]},
    })  # fmt: skip
    print(f"Monte Carlo: {draws} draws, one-sector, {n} countries")
    out = {}
    for engine in ("duckdb", "spark"):
        for w in (1, 2):
            label = f"{'local' if engine == 'duckdb' else 'Spark'}, {w} " + (
                "worker(s)" if engine == "duckdb" else "partition(s)"
            )
            out[engine, w] = _best(label, lambda w=w, e=engine: sc.run(
                base=base, draws=draws, seed=1, workers=w, engine=e).draws, runs=1)  # fmt: skip
    ref = out["duckdb", 1][1]
    for _, got in out.values():
        np.testing.assert_allclose(got, ref, rtol=1e-12)
    (l1, _), (l2, _) = out["duckdb", 1], out["duckdb", 2]
    (s1, _), (s2, _) = out["spark", 1], out["spark", 2]
    print(f"  speed-up 2 vs 1: local {l1 / l2:.2f}x, Spark {s1 / s2:.2f}x; "
          f"Spark 2 / local 2 = {s2 / l2:.2f}x")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--folder", type=Path, default=Path("/tmp/techties-bench-spark"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--products", type=int, default=24)
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--steps", default="ingest,indicators,products,draws",
                    help="comma-separated: ingest, indicators (after ingest), products, draws")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--runs", type=int, default=2, help="runs of each indicator (the faster counts)")
    ap.add_argument("--no-spark-ingest", action="store_true",
                    help="Spark reads DuckDB's Parquet export instead of ingesting the CSVs")
    args = ap.parse_args()
    steps = set(args.steps.split(",")) - ({"ingest"} if args.skip_ingest else set())
    from techties.spark.session import session

    spark = session(args.master, shuffle_partitions=8, spark__driver__memory="3g")
    print(f"Spark master {args.master}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    if "ingest" in steps:
        folder: Path = args.folder / f"rows_{args.rows}"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            bench_ingest_and_indicators(folder, args.rows, spark, args.master,
                                        spark_ingest=not args.no_spark_ingest, runs=args.runs,
                                        indicators="indicators" in steps)
        finally:
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    if "products" in steps:
        bench_products(spark, args.products)
    if "draws" in steps:
        bench_draws(spark, args.draws)
    spark.stop()


if __name__ == "__main__":
    main()
