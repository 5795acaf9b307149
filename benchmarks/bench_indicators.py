"""Benchmark: share and concentration indicators over a BACI-scale panel vs one DuckDB aggregation.

Generates (once, in a child process) a Parquet panel in the BACI layout — year, exporter,
importer, HS6 product, value — with ``--rows`` rows (default 50 million), 220 countries and
5,200 products, then in one store and one run measures:

- peer: the single DuckDB aggregation query that reads the same data
  (``SELECT reporter, year, product, sum(value_usd) … GROUP BY ALL``, materialised);
- techties (:func:`techties.indicators.concentration.materialise_panel`): every share and
  concentration indicator over the whole panel, computed in DuckDB through the store and
  materialised as tables: partner shares of each importer's imports at HS6 (every importer ×
  exporter × product × year), supplier HHI and top-supplier share by importer × product × year,
  and the chokepoint counts (> 50 % / > 70 %) by importer and year — on the general path (first
  aggregating to the importer × exporter × product × year grain) and with ``unique_rows=True``
  (one row per importer × exporter × product × year, as in BACI).

The panel is read through a view in the canonical ``trade_flows`` layout, so the indicators run
the same SQL they run on the store's own table. Prints times, the ratio techties / peer
(target ≤ 3) and the peak resident memory of the measuring process (target ≤ 8 GiB).
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

    sel = Selection(reporter=None, level=6, table="bench_flows")
    counts: dict[str, int] = {}

    def indicators(unique: bool, shares: bool = True) -> Callable[[], None]:
        def run() -> None:
            counts.update(
                materialise_panel(store, sel, prefix="panel_", unique_rows=unique, shares=shares)
            )

        return run

    print("timings (same store, same run):")
    t_peer = _timed("peer: DuckDB GROUP BY reporter, year, product", peer)
    t_pg = _timed("reference: GROUP BY reporter, partner, year, product", peer_partner_grain)
    store.con.execute("DROP TABLE peer_pg")
    t_conc = _timed("techties: HHI, top share, chokepoints (unique rows)", indicators(True, False))
    t_uni = _timed("techties: + shares of every importer × exporter × HS6", indicators(True))
    t_gen = float("nan")
    if not skip_general:
        t_gen = _timed("techties: all, general path (partner-grain pass first)", indicators(False))
    t_peer = min(t_peer, _timed("peer again", peer))
    print(
        f"result rows: peer {store.scalar('SELECT count(*) FROM peer'):,}; "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    hhi_ok = store.scalar(
        "SELECT bool_and(hhi BETWEEN 1.0 / n_suppliers - 1e-9 AND 1 + 1e-9) "
        "FROM panel_concentration"
    )
    sums = store.scalar(
        "SELECT max(abs(s - 1)) FROM (SELECT sum(share) AS s FROM panel_shares "
        "GROUP BY reporter, year, month, product)"
    )
    print(f"checks: HHI within [1/n, 1] everywhere: {hhi_ok}; max |Σ shares − 1|: {sums:.2e}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"ratio techties / peer: concentration indicators {t_conc / t_peer:.2f}; all share and "
        f"concentration indicators {t_uni / t_peer:.2f} with unique rows, {t_gen / t_peer:.2f} on "
        f"the general path (target ≤ 3.0); the partner-grain aggregation alone "
        f"{t_pg / t_peer:.2f}"
    )
    print(f"peak resident memory of this process: {peak:.2f} GiB (target ≤ 8 GiB)")
    store.close()


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
