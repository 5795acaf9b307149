"""Benchmark: share and concentration indicators over a BACI-scale panel vs one DuckDB aggregation.

Generates (once, in a child process) a Parquet panel in the BACI layout — year, exporter,
importer, HS6 product, value — with ``--rows`` rows (default 50 million), 220 countries and
5,200 products, then in one store and one run measures:

- peer: the single DuckDB aggregation query that reads the same data
  (``SELECT reporter, year, product, sum(value_usd) … GROUP BY ALL``, materialised);
- techties: every share and concentration indicator over the whole panel, computed in DuckDB
  through the store and materialised as tables: partner shares of each importer's imports at
  HS6 (every importer × exporter × product × year), supplier HHI and top-supplier share by
  importer × product × year, and the chokepoint counts (> 50 % / > 70 %) by importer and year.

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
from pathlib import Path

N_COUNTRIES = 220
N_PRODUCTS = 5200
YEARS = (2019, 2020, 2021, 2022, 2023)


def generate(path: Path, rows: int) -> None:
    """Write the panel with DuckDB (hash-based pseudo-random draws; deterministic)."""
    from techties.store import open_store

    path.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(":memory:")
    store.con.execute("SET memory_limit = '4GB'")
    store.con.execute(
        f"""
        COPY (
          SELECT ({YEARS[0]} + i % {len(YEARS)})::SMALLINT AS t,
                 'C' || lpad((hash(i, 1) % {N_COUNTRIES})::VARCHAR, 3, '0') AS i_exp,
                 'C' || lpad((hash(i, 2) % {N_COUNTRIES})::VARCHAR, 3, '0') AS j_imp,
                 lpad((100000 + hash(i, 3) % {N_PRODUCTS} * 173 % 899999)::VARCHAR, 6, '0') AS k,
                 round(exp((hash(i, 4) % 100000) / 100000.0 * 12), 3) AS v
          FROM range({rows}) r(i)
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    store.close()


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


def measure(path: Path) -> None:
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

    def indicators() -> None:
        counts.update(materialise_panel(store, sel, thresholds=(0.5, 0.7), prefix="panel_"))

    print("timings (same store, same run):")
    t_peer = _timed("peer: DuckDB GROUP BY reporter, year, product", peer)
    t_pg = _timed("reference: GROUP BY reporter, partner, year, product", peer_partner_grain)
    store.con.execute("DROP TABLE peer_pg")
    t_ind = _timed("techties: shares + HHI/top share + chokepoints, all", indicators)
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
        f"techties {t_ind:.2f} s vs peer {t_peer:.2f} s: ratio {t_ind / t_peer:.2f} "
        f"(target ≤ 3.0); vs the partner-grain aggregation {t_ind / t_pg:.2f}"
    )
    print(f"peak resident memory of this process: {peak:.2f} GiB (target ≤ 8 GiB)")
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--folder", type=Path, default=Path("/tmp/techties-bench-indicators"))
    ap.add_argument("--generate-only", action="store_true")
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
    measure(path)


if __name__ == "__main__":
    main()
