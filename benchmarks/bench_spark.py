"""Benchmark: DuckDB vs Spark on one machine — ingest, indicators and the parallel jobs.

In one run, each step on both engines (the peer is the local path, measured beside it):

- ingest: generated BACI yearly CSV files (``bench_indicators.generate``: 220 countries with
  real ISO3 codes, 5,200 HS6 products, 5 years, one row per exporter × importer × product ×
  year; ``--rows`` in all) loaded the way a user does — DuckDB ``ingest_files(store, "baci", …)``
  (checked, mapped, Parquet parts) vs Spark :func:`techties.spark.ingest.ingest_baci` (the same
  checks, transpiled; Parquet partitioned by year × reporter);
- indicators: :func:`supplier_concentration` and :func:`chokepoints` of every exporter at HS6
  on the DuckDB store and on the Spark-ingested Parquet (:func:`parquet_store`), each timed
  twice (the faster counts); the tables are checked equal (1e-9 relative);
- per-product PPML: ``--products`` products of a generated 3-way gravity panel, fitted with
  ``fit_by_product`` with 1 and 2 worker processes, and as Spark tasks over 1 and 2 partitions;
  the fits are checked equal;
- Monte Carlo: ``--draws`` draws of a one-sector scenario on a generated 40-country baseline
  with 1 and 2 worker processes, and as Spark tasks over 1 and 2 partitions; checked equal.

Prints times and ratios. Usage: ``python benchmarks/bench_spark.py [--rows 10000000]
[--folder /tmp/techties-bench-spark] [--master local[2]] [--skip-ingest]``.
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
from bench_indicators import N_COUNTRIES, RELEASE, generate


def _best(label: str, fn: Callable[[], Any], runs: int = 2) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    print(f"  {label:<44} {min(times):8.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times)})")
    return min(times), out


def baci_folder(folder: Path, rows: int) -> list[Path]:
    """The generated BACI files, their country list rewritten with real ISO3 codes."""
    from techties.countries import country_codes

    marker = folder / "csv_done"
    if not marker.exists():
        generate(folder, rows)
        iso = sorted(c for c in country_codes() if c.isalpha() and len(c) == 3)[:N_COUNTRIES]
        codes = np.arange(4, 4 + 4 * N_COUNTRIES, 4)
        lines = ["country_code,country_name,country_iso2,country_iso3"]
        lines += [f"{c},Country {c},{s[:2]},{s}" for c, s in zip(codes, iso, strict=True)]
        (folder / f"country_codes_{RELEASE}.csv").write_text("\n".join(lines) + "\n")
        marker.touch()
    return sorted(folder.glob("BACI_*.csv"))


def bench_ingest_and_indicators(folder: Path, rows: int, spark: Any, master: str) -> None:
    from techties.indicators.concentration import chokepoints, supplier_concentration
    from techties.spark.ingest import ingest_baci, parquet_store
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
        print(f"  {'DuckDB ingest_files (checked, Parquet parts)':<44} {d:8.1f} s")
        t0 = time.perf_counter()
        done = ingest_baci(files, folder / "spark", spark=spark)
        s = time.perf_counter() - t0
        print(f"  {f'Spark {master} ingest_baci (checked, year/reporter)':<44} {s:8.1f} s")
        print(f"  rows {done.rows:,}; Spark / DuckDB = {s / d:.1f}x")
        on_spark = parquet_store(done.folder, spark)
        kw: dict[str, Any] = {"reporter": None, "flow": "export", "level": 6}
        for name, func in (("concentration", supplier_concentration), ("chokepoints", chokepoints)):
            print(name)
            d, a = _best("DuckDB", lambda f=func: f(duck, **kw).tidy())
            s, b = _best(f"Spark {master}", lambda f=func: f(on_spark, **kw).tidy())
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
        os.environ["TECHTIES_ENGINE"] = engine
        for w in (1, 2):
            label = f"{'local' if engine == 'duckdb' else 'Spark'}, {w} " + (
                "worker(s)" if engine == "duckdb" else "partition(s)"
            )
            out[engine, w] = _best(label, lambda w=w: sc.run(base=base, draws=draws, seed=1,
                                                             workers=w).draws, runs=1)  # fmt: skip
    os.environ.pop("TECHTIES_ENGINE")
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
    args = ap.parse_args()
    from techties.spark.session import session

    spark = session(args.master, shuffle_partitions=8, spark__driver__memory="3g")
    print(f"Spark master {args.master}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    if not args.skip_ingest:
        folder: Path = args.folder / f"rows_{args.rows}"
        folder.mkdir(parents=True, exist_ok=True)
        bench_ingest_and_indicators(folder, args.rows, spark, args.master)
    bench_products(spark, args.products)
    bench_draws(spark, args.draws)
    spark.stop()


if __name__ == "__main__":
    main()
