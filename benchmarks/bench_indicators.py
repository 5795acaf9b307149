"""Benchmark: share and concentration indicators over a BACI-scale panel vs one DuckDB aggregation.

Generates (once, in a child process) a Parquet panel in the BACI layout — year, exporter,
importer, HS6 product, value — with ``--rows`` rows (default 50 million), 220 countries and
5,200 products, one row per importer × exporter × product × year. In one store and one run it
times:

- peer: the single DuckDB aggregation query that reads the same data
  (``CREATE TEMP TABLE … AS SELECT reporter, year, product, sum(value_usd) … GROUP BY ALL``),
  timed first and last, the faster run counts;
- techties, :func:`techties.indicators.concentration.materialise_panel` with
  ``unique_rows=True`` (rows unique per importer × exporter × product × year, as in BACI):

  1. concentration indicators: for every importer × HS6 × year (5.7 million) the import total,
     supplier count, HHI = Σ v² / (Σ v)², top-supplier share = max v / Σ v and the top supplier
     (ties → larger code), all from ONE grouped aggregation of the rows; then the chokepoint
     counts (top share > 0.5 / > 0.7, by importer × year, overall and by top supplier);
  2. + every partner share (share = v / Σ v for each of the 50 million importer × exporter ×
     product × year rows) computed — as a lazy view, read once by ``count``, ``sum``, ``min``,
     ``max`` of the shares (every share is computed and consumed, none stored);
  3. + the same 50 million shares written to a Parquet file (``COPY … TO``, streamed);
  4. + the same shares materialised as a DuckDB temporary table (the default output);
- techties on the general path (rows may repeat: first aggregating to the importer × exporter ×
  product × year grain), shares to Parquet, and that partner-grain aggregation alone
  (skipped with ``--skip-general``).

Each techties time includes its own pre-scans (source and level resolution, the partner list).
After timing it checks HHI ∈ [1/n, 1], Σ shares = 1 per importer × product × year and, when the
general path ran, that both paths give the same concentration table. Prints times, ratios
techties / peer (target ≤ 3) and the peak resident memory of the process (target ≤ 8 GiB).
Usage: ``python benchmarks/bench_indicators.py [--rows 50000000] [--folder /tmp/...]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

N_COUNTRIES = 220
N_PRODUCTS = 5200
YEARS = (2019, 2020, 2021, 2022, 2023)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write the panel: for every year and importer, distinct (exporter, product) pairs drawn
    without replacement (so rows are unique per importer × exporter × product × year, as in
    BACI), log-normal values. Written in chunks with pyarrow (bounded memory)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    countries = np.array([f"C{c:03d}" for c in range(N_COUNTRIES)])
    products = np.sort(rng.choice(np.arange(10000, 999999), N_PRODUCTS, replace=False))
    codes = np.array([f"{p:06d}" for p in products])
    cells = N_COUNTRIES * N_PRODUCTS
    per = rows // (len(YEARS) * N_COUNTRIES)
    extra = rows - per * len(YEARS) * N_COUNTRIES
    schema = pa.schema(
        [
            ("t", pa.int16()),
            ("i_exp", pa.string()),
            ("j_imp", pa.string()),
            ("k", pa.string()),
            ("v", pa.float64()),
        ]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for year in YEARS:
            for imp in range(N_COUNTRIES):
                n = per + (1 if extra > 0 else 0)
                extra -= 1
                pick = rng.choice(cells, n, replace=False)
                writer.write_table(
                    pa.table(
                        {
                            "t": np.full(n, year, dtype=np.int16),
                            "i_exp": countries[pick // N_PRODUCTS],
                            "j_imp": np.full(n, countries[imp]),
                            "k": codes[pick % N_PRODUCTS],
                            "v": np.round(rng.lognormal(8.0, 2.5, n), 3),
                        },
                        schema=schema,
                    )
                )


VIEW = """
CREATE OR REPLACE VIEW bench_flows AS
SELECT 'baci' AS source, j_imp AS reporter, i_exp AS partner,
       'import' AS flow, t AS year, NULL::TINYINT AS month, 'HS' AS classification,
       'HS2017' AS vintage, k AS product_code, 6::TINYINT AS product_level, v AS value_usd,
       NULL::DOUBLE AS duties_usd, 'FOB' AS value_basis, 1 AS provenance_id
FROM read_parquet('{path}')
"""


def _timed(label: str, fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    dt = time.perf_counter() - t0
    print(f"  {label:<58} {dt:8.2f} s", flush=True)
    return dt


def measure(path: Path, skip_general: bool = False) -> None:
    from techties.indicators.concentration import materialise_panel
    from techties.indicators.shares import Selection
    from techties.store import open_store

    store = open_store(path.parent / "bench.duckdb")
    store.con.execute("SET memory_limit = '6GB'")
    store.con.execute(f"SET temp_directory = '{path.parent / 'spill'}'")
    store.con.execute(VIEW.format(path=path))
    n = store.scalar("SELECT count(*) FROM read_parquet(?)", [str(path)])
    shape = store.df(
        "SELECT count(DISTINCT i_exp) AS exporters, count(DISTINCT j_imp) AS importers, "
        "count(DISTINCT k) AS products FROM read_parquet(?)",
        [str(path)],
    ).iloc[0]
    print(
        f"panel: {n:,} rows, {shape['importers']} importers, {shape['exporters']} exporters, "
        f"{shape['products']:,} products, {len(YEARS)} years ({path.stat().st_size / 2**20:,.0f} MiB)"
    )
    sel = Selection(reporter=None, level=6, table="bench_flows")
    out = path.parent / "shares.parquet"
    counts: dict[str, int] = {}
    consumed: list[tuple[int, float, float, float]] = []

    def peer() -> None:
        store.con.execute(
            "CREATE OR REPLACE TEMP TABLE peer AS SELECT reporter, year, product_code, "
            "sum(value_usd) AS v FROM bench_flows GROUP BY ALL"
        )

    def peer_partner_grain() -> None:
        store.con.execute(
            "CREATE OR REPLACE TEMP TABLE peer_pg AS SELECT reporter, partner, year, "
            "product_code, sum(value_usd) AS v FROM bench_flows GROUP BY ALL"
        )

    def run(prefix: str, unique: bool, shares: Any, consume: bool = False) -> Callable[[], None]:
        def go() -> None:
            got = materialise_panel(
                store,
                sel,
                prefix=prefix,
                unique_rows=unique,
                shares=shares,
                shares_path=out if shares == "parquet" else None,
            )
            counts.update({f"{prefix}{k}": v for k, v in got.items()})
            if consume:  # every share computed and read once; nothing stored
                row = store.con.execute(
                    f"SELECT count(*), sum(share), min(share), max(share) FROM {prefix}shares"
                ).fetchone()
                assert row is not None
                consumed.append((int(row[0]), float(row[1]), float(row[2]), float(row[3])))

        return go

    print("timings (same store, same run):")
    t_peer = _timed("peer: DuckDB GROUP BY reporter, year, product", peer)
    t_conc = _timed(
        "1 concentration: HHI, top share, top supplier, chokepoints", run("c_", True, False)
    )
    t_view = _timed(
        "2 + every share computed (lazy view, read once)", run("u_", True, "view", True)
    )
    _drop(store, "u_")
    t_pq = _timed("3 + every share written to Parquet (COPY, streamed)", run("q_", True, "parquet"))
    _drop(store, "q_")
    t_tab = _timed("4 + every share as a DuckDB table", run("t_", True, True))
    _drop(store, "t_")  # 50 million share rows held in memory: free them before going on
    t_gen = t_pg = float("nan")
    if not skip_general:
        t_gen = _timed(
            "general path (partner grain first), shares to Parquet", run("g_", False, "parquet")
        )
        t_pg = _timed("reference: GROUP BY reporter, partner, year, product", peer_partner_grain)
        store.con.execute("DROP TABLE peer_pg")
    t_peer = min(t_peer, _timed("peer again", peer))
    print(
        f"result rows: peer {store.scalar('SELECT count(*) FROM peer'):,}; "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    _checks(store, out, consumed, skip_general)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print("ratio techties / peer (target ≤ 3.0):")
    for label, t in (
        ("1 concentration indicators", t_conc),
        ("2 all indicators, shares computed, not stored", t_view),
        ("3 all indicators, shares written to Parquet", t_pq),
        ("4 all indicators, shares as a DuckDB table", t_tab),
        ("general path, shares to Parquet", t_gen),
        ("reference: partner-grain GROUP BY alone", t_pg),
    ):
        print(f"  {label:<50} {t / t_peer:6.2f}")
    print(f"peak resident memory of this process: {peak:.2f} GiB (target ≤ 8 GiB)")
    store.close()


def _drop(store: Any, prefix: str) -> None:
    """Drop the temporary views and tables one timed step left (so they hold no memory during
    the next step)."""
    found = store.df(
        "SELECT view_name AS name, 'VIEW' AS kind FROM duckdb_views() WHERE temporary "
        "AND starts_with(view_name, ?) UNION ALL SELECT table_name, 'TABLE' FROM "
        "duckdb_tables() WHERE temporary AND starts_with(table_name, ?) ORDER BY kind DESC",
        [prefix, prefix],
    )
    for name, kind in zip(found["name"], found["kind"], strict=True):
        store.con.execute(f"DROP {kind} {name}")


def _checks(
    store: Any, out: Path, consumed: list[tuple[int, float, float, float]], skip_general: bool
) -> None:
    """Correctness after timing: HHI bounds, Σ shares = 1, lazy shares = Parquet shares, and the
    two paths agree."""
    hhi_ok = store.scalar(
        "SELECT bool_and(hhi BETWEEN 1.0 / n_suppliers - 1e-9 AND 1 + 1e-9) FROM c_concentration"
    )
    sums = store.scalar(
        "SELECT max(abs(s - 1)) FROM (SELECT sum(share) AS s FROM read_parquet(?) "
        "GROUP BY reporter, year, month, product)",
        [str(out)],
    )
    n, total, lo, hi = consumed[0]
    groups = store.scalar("SELECT count(*) FROM c_concentration")
    print(
        f"checks: HHI within [1/n, 1] everywhere: {hhi_ok}; max |Σ shares − 1| per product: "
        f"{sums:.2e}; lazy view: {n:,} shares in [{lo:.2e}, {hi:.4f}], Σ = {total:,.3f} "
        f"(= {groups:,} products × periods)"
    )
    if not skip_general:
        diff = store.scalar(
            "SELECT count(*) FROM c_concentration c FULL JOIN g_concentration g "
            "USING (reporter, year, mkey, product) WHERE c.hhi IS NULL OR g.hhi IS NULL "
            "OR abs(c.hhi - g.hhi) > 1e-12 OR c.top_supplier <> g.top_supplier "
            "OR c.n_suppliers <> g.n_suppliers"
        )
        print(f"checks: rows where the unique-rows and general paths differ: {diff}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--folder", type=Path, default=Path("/tmp/techties-bench-indicators"))
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--skip-general", action="store_true", help="Time only the unique-rows path.")
    args = ap.parse_args()
    path = args.folder / f"panel_{args.rows}.parquet"
    if args.generate_only:
        generate(path, args.rows)
        return
    if not path.exists():
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--rows",
                str(args.rows),
                "--folder",
                str(args.folder),
                "--generate-only",
            ],
            check=True,
        )
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s (child process)")
    (args.folder / "bench.duckdb").unlink(missing_ok=True)
    measure(path, args.skip_general)


if __name__ == "__main__":
    main()
