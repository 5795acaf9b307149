"""Benchmark: share and concentration indicators over a BACI-scale panel vs one DuckDB aggregation.

Generates (once, cached in ``--folder``) BACI yearly files in the official layout —
``BACI_HS17_Y{year}_V202401.csv`` with ``t,i,j,k,v,q`` (numeric country codes, HS6 product, value
in thousand USD with three decimals, quantity or ``NA``) and ``country_codes_V202401.csv`` —
with ``--rows`` rows in all (default 50 million), 220 countries, 5,200 products and 5 years,
one row per exporter × importer × product × year as in BACI. They are loaded the way a user
loads BACI (``ingest_files(store, "baci", …)``: checked, mapped to ISO3 and kept as Parquet parts
behind the store's ``trade_flows`` view). In one store and one run it then times:

- peer: the single DuckDB aggregation query that reads the same data
  (``CREATE TEMP TABLE … AS SELECT reporter, year, product_code, sum(value_usd) FROM trade_flows
  GROUP BY ALL``), timed first and last, the faster run counts;
- techties, :func:`techties.indicators.concentration.materialise_panel` on the selection
  ``Selection(flow="export", level=6)`` (every exporter, HS6, annual) with
  ``unique_rows=True`` (BACI has one row per exporter × importer × product × year):

  1. concentration indicators: for every exporter × HS6 × year (5.7 million groups) the total,
     partner count, HHI = Σ v² / (Σ v)², top share = max v / Σ v and the top partner (values
     to 0.001 USD, ties → larger code), then the chokepoint counts (top share > 0.5 / > 0.7,
     by exporter × year, overall and by top partner);
  2. + every partner share (share = v / Σ v for each of the 50 million rows) computed — the
     lazy view ``shares="view"``, read once by ``count``, ``sum``, ``min``, ``max`` of the
     shares (every share is computed and consumed, none stored);
  3. + the same 50 million shares written to a Parquet file (``COPY … TO``, streamed);
  4. + the same shares materialised as a DuckDB temporary table (the default output);
- techties on the general path (``unique_rows=False``: rows may repeat, so they are first
  aggregated to the exporter × importer × product × year grain), with every share computed as
  in 2; and that partner-grain aggregation alone as a reference (skipped with
  ``--skip-general``).

Each techties time includes its own pre-scans (source and level resolution, the partner list).
After timing it checks HHI ∈ [1/n, 1], Σ shares = 1 per exporter × product × year and, when the
general path ran, that both paths give the same concentration table. Prints times, ratios
techties / peer of wall and of CPU time (target ≤ 1.5) and the peak resident memory of the
process (target < 2 GiB): each step's own high-water mark (``VmHWM``, reset before the step),
and the process's peak. The benchmark drops each step's tables, and the peer's, once timed and
checked, so that no step runs beside an earlier step's results.
With ``--floors`` it also times, in the same run, what the share steps cannot do without: the
share rows' own columns read once (no group total), read with their group total (the join
of the lazy view, alone), written to Parquet by ``COPY`` and put in a temporary table, each
without the concentration pass (their ratios to the peer bound steps 2–4 from below).
Usage: ``python benchmarks/bench_indicators.py [--rows 50000000 | --quick] [--folder /tmp/...]
[--skip-general] [--floors] [--memory-limit 6GB]``; ``--memory-limit`` sets the techties ``memory``
setting (``TECHTIES_MEMORY``), without it DuckDB keeps its default (80 % of RAM); 1500MB keeps a
50-million-row run under 2 GiB (step 4's share table then spills to disk).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pycountry

N_COUNTRIES = 220
N_PRODUCTS = 5200
YEARS = (2019, 2020, 2021, 2022, 2023)
RELEASE = "V202401"
#: issue 16: every step within 1.5x of the peer, peak memory under 2 GiB
TARGET_RATIO, TARGET_GIB = 1.5, 2


def generate(folder: Path, rows: int, seed: int = 7) -> list[Path]:
    """Write the BACI files: for every year and importer, distinct (exporter, product) pairs
    drawn without replacement (so rows are unique per exporter × importer × product × year),
    log-normal values in thousand USD (median ~33, largest ~10^7) with three decimals."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    countries = sorted(pycountry.countries, key=lambda c: int(c.numeric))[:N_COUNTRIES]
    codes = np.array([int(c.numeric) for c in countries])  # real ISO 3166 codes: the store
    pl.DataFrame(  # refuses made-up ones
        {
            "country_code": codes,
            "country_name": [str(c.name) for c in countries],
            "country_iso2": [str(c.alpha_2) for c in countries],
            "country_iso3": [str(c.alpha_3) for c in countries],
        }
    ).write_csv(folder / f"country_codes_{RELEASE}.csv")
    products = np.sort(rng.choice(np.arange(10000, 999999), N_PRODUCTS, replace=False))
    names = np.array([f"{p:06d}" for p in products])  # BACI writes k with its leading zero
    cells = N_COUNTRIES * N_PRODUCTS
    per = rows // (len(YEARS) * N_COUNTRIES)
    extra = rows - per * len(YEARS) * N_COUNTRIES
    paths = []
    for year in YEARS:
        path = folder / f"BACI_HS17_Y{year}_{RELEASE}.csv"
        with open(path, "wb") as fh:
            fh.write(b"t,i,j,k,v,q\n")
            for imp in range(N_COUNTRIES):
                n = per + (1 if extra > 0 else 0)
                extra -= 1
                pick = rng.choice(cells, n, replace=False)
                q = np.round(rng.lognormal(1.0, 2.0, n), 3).astype(str).astype(object)
                q[rng.random(n) < 0.05] = "NA"
                pl.DataFrame(
                    {
                        "t": np.full(n, year, dtype=np.int16),
                        "i": codes[pick // N_PRODUCTS],
                        "j": np.full(n, codes[imp]),
                        "k": names[pick % N_PRODUCTS],
                        "v": np.round(rng.lognormal(3.5, 2.3, n), 3),
                        "q": q.astype(str),
                    }
                ).write_csv(fh, include_header=False)
        paths.append(path)
    return paths


def build_store(folder: Path, rows: int) -> tuple[Path, float | None]:
    """The store holding the generated panel (made once: files generated, then ingested)."""
    from techties.store import open_store
    from techties.store.ingest import ingest_files

    target = folder / "store" / "panel.duckdb"
    marker = folder / "store" / f"rows_{rows}"
    if marker.exists():
        return target, None
    shutil.rmtree(folder / "store", ignore_errors=True)
    csvs = sorted(folder.glob(f"BACI_HS17_Y*_{RELEASE}.csv"))
    if len(csvs) != len(YEARS) or not (folder / f"rows_{rows}").exists():
        t0 = time.perf_counter()
        csvs = generate(folder, rows)
        (folder / f"rows_{rows}").touch()
        print(f"generated {len(csvs)} BACI files in {time.perf_counter() - t0:.1f} s")
    target.parent.mkdir(parents=True)
    t0 = time.perf_counter()
    with open_store(target) as store:
        got = ingest_files(store, "baci", csvs)
    took = time.perf_counter() - t0
    marker.touch()
    print(f"ingested {sum(r.rows for r in got):,} rows with techties in {took:.1f} s")
    return target, took


#: CPU seconds (every thread of this process) of each timed step, by label
CPU: dict[str, float] = {}
#: peak resident memory (GiB) of each timed step, by label; "process": of everything so far
PEAK: dict[str, float] = {"process": 0.0}


def _high_water(reset: bool = False) -> float | None:
    """The process's peak resident memory in GiB since the last reset (``VmHWM``; Linux resets
    it when ``5`` is written to ``/proc/self/clear_refs``); None where that is not available."""
    try:
        if reset:
            Path("/proc/self/clear_refs").write_text("5")
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        return None
    return None


def _timed(label: str, fn: Callable[[], None]) -> float:
    """Wall seconds of ``fn`` (its CPU seconds go to :data:`CPU`: on a shared machine the
    CPU-time ratio is the steadier one; its own peak memory to :data:`PEAK`)."""
    _process_peak()
    _high_water(reset=True)
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    CPU[label] = time.process_time() - c0
    own = _high_water()
    PEAK[label] = float("nan") if own is None else own
    print(
        f"  {label:<58} {dt:8.2f} s  cpu {CPU[label]:7.2f} s  peak {PEAK[label]:4.2f} GiB "
        f"(process so far {_process_peak():4.2f} GiB)",
        flush=True,
    )
    return dt


def _process_peak() -> float:
    """The process's peak resident memory so far in GiB (the high-water marks between resets;
    ``ru_maxrss`` where ``VmHWM`` is not available: it is reset with it)."""
    now = _high_water()
    if now is None:
        now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    PEAK["process"] = max(PEAK["process"], now)
    return PEAK["process"]


def measure(
    folder: Path,
    rows: int,
    skip_general: bool = False,
    memory_limit: str | None = None,
    floors: bool = False,
) -> None:
    from techties.indicators.concentration import materialise_panel
    from techties.indicators.shares import Selection
    from techties.store import open_store

    path, _ = build_store(folder, rows)
    if memory_limit:  # the user's way: the techties memory setting
        os.environ["TECHTIES_MEMORY"] = memory_limit
    store = open_store(path)
    store.con.execute(f"SET temp_directory = '{folder / 'spill'}'")
    shape = store.df(
        "SELECT count(*) AS n, count(DISTINCT reporter) AS exporters, "
        "count(DISTINCT partner) AS importers, count(DISTINCT product_code) AS products, "
        "count(DISTINCT year) AS years FROM trade_flows"
    ).iloc[0]
    print(
        f"panel: {shape['n']:,} rows in the store (BACI parts), {shape['exporters']} exporters, "
        f"{shape['importers']} importers, {shape['products']:,} products, {shape['years']} years"
    )
    sel = Selection(reporter=None, flow="export", level=6)
    out = folder / "shares.parquet"
    counts: dict[str, int] = {}
    consumed: dict[str, tuple[int, float, float, float]] = {}

    peer_rows: list[int] = []

    def peer() -> None:
        store.con.execute(
            "CREATE OR REPLACE TEMP TABLE peer AS SELECT reporter, year, product_code, "
            "sum(value_usd) AS v FROM trade_flows GROUP BY ALL"
        )

    def drop_peer() -> None:  # after its clock: the result is not kept through later steps
        peer_rows.append(int(store.scalar("SELECT count(*) FROM peer") or 0))
        store.con.execute("DROP TABLE peer")

    def peer_partner_grain() -> None:
        store.con.execute(
            "CREATE OR REPLACE TEMP TABLE peer_pg AS SELECT reporter, partner, year, "
            "product_code, sum(value_usd) AS v FROM trade_flows GROUP BY ALL"
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
                ).fetchall()[0]
                consumed[prefix] = (int(row[0]), float(row[1]), float(row[2]), float(row[3]))

        return go

    print("timings (same store, same run):")
    t_peer = _timed("peer: DuckDB GROUP BY reporter, year, product", peer)
    drop_peer()
    t_conc = _timed(
        "1 concentration: HHI, top share, top partner, chokepoints", run("c_", True, False)
    )
    hhi_ok, groups = _keep_concentration(store, folder / "concentration.parquet")
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
            "general path (partner grain first), every share computed",
            run("g_", False, "view", True),
        )
    ours = _process_peak()  # up to the last techties step
    if not skip_general:
        t_pg = _timed("reference: GROUP BY reporter, partner, year, product", peer_partner_grain)
        store.con.execute("DROP TABLE peer_pg")
    if floors:
        _floors(store, folder / "floor.parquet")
    t_peer = min(t_peer, _timed("peer again", peer))
    drop_peer()
    print(
        f"result rows: peer {peer_rows[-1]:,}; "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    _checks(store, out, folder / "concentration.parquet", consumed, hhi_ok, groups, skip_general)
    peak = _process_peak()
    cpu_peer = min(CPU["peer: DuckDB GROUP BY reporter, year, product"], CPU["peer again"])
    print(f"peer time (best of two): {t_peer:.2f} s, cpu {cpu_peer:.2f} s")
    print(f"ratio techties / peer, wall and CPU time (target ≤ {TARGET_RATIO}):")
    for label, step, t in (
        ("1 concentration indicators", "1 concentration", t_conc),
        ("2 all indicators, shares computed, not stored", "2 + every share", t_view),
        ("3 all indicators, shares written to Parquet", "3 + every share", t_pq),
        ("4 all indicators, shares as a DuckDB table", "4 + every share", t_tab),
        ("general path, shares computed, not stored", "general path", t_gen),
        ("reference: partner-grain GROUP BY alone", "reference:", t_pg),
        *((f"floor: {k}", f"floor: {k}", FLOOR_WALL[k]) for k in FLOOR_WALL),
    ):
        cpu = next((v for k, v in CPU.items() if k.startswith(step)), float("nan"))
        print(f"RATIO {label:<50} {t:8.2f} s {t / t_peer:6.2f}")
        print(f"      {'(CPU time)':<50} {cpu:8.2f} s {cpu / cpu_peer:6.2f}")
    steps = max(v for k, v in PEAK.items() if k[0].isdigit() or k.startswith("general"))
    setting = store.scalar("SELECT current_setting('memory_limit')")
    print(
        f"peak resident memory up to the last techties step: {ours:.2f} GiB (target < "
        f"{TARGET_GIB} GiB); of the whole process, peer references included: {peak:.2f} GiB"
    )
    print(
        f"peak resident memory of one techties step (each step's own high-water mark, the "
        f"largest): {steps:.2f} GiB; DuckDB memory_limit {setting}"
    )
    store.close()


#: wall seconds of each floor (``--floors``), by name
FLOOR_WALL: dict[str, float] = {}
#: the share table's columns straight from the rows (a share of 1: no group total)
SHARE_ROWS = (
    "SELECT reporter, year, NULL::TINYINT AS month, product_code AS product, partner, "
    "value_usd, value_usd AS share FROM trade_flows"
)


def _floors(store: Any, path: Path) -> None:
    """The costs under the share steps, each without the concentration pass: the rows read once
    (their key columns hashed, values summed), the lazy share view read once on its own (its
    join to the group totals; the view and totals made off the clock), the rows copied to
    Parquet and into a temporary table."""
    from techties.indicators.concentration import materialise_panel
    from techties.indicators.shares import Selection

    def scan() -> None:
        store.con.execute(
            "SELECT count(*), sum(value_usd), max(hash(reporter, product_code, partner)) "
            "FROM trade_flows"
        ).fetchall()

    sel = Selection(reporter=None, flow="export", level=6)
    materialise_panel(store, sel, prefix="f_", unique_rows=True, shares="view")

    def read() -> None:
        store.con.execute(
            "SELECT count(*), sum(share), min(share), max(share) FROM f_shares"
        ).fetchall()

    def copy() -> None:
        store.con.execute(f"COPY ({SHARE_ROWS}) TO ? (FORMAT parquet)", [str(path)])

    def table() -> None:
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE f_rows AS {SHARE_ROWS}")

    store.con.execute("SET preserve_insertion_order = false")  # as the panel's steps run
    for name, fn in (
        ("the share rows read once, no total", scan),
        ("the lazy share view read once, alone", read),
        ("the share rows COPY'd to Parquet", copy),
        ("the share rows as a temporary table", table),
    ):
        FLOOR_WALL[name] = _timed(f"floor: {name}", fn)
        store.con.execute("DROP TABLE IF EXISTS f_rows")
    store.con.execute("RESET preserve_insertion_order")
    _drop(store, "f_")
    path.unlink(missing_ok=True)


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


def _keep_concentration(store: Any, path: Path) -> tuple[bool, int]:
    """After step 1 (not timed): its HHI check and group count, and its concentration table
    written to ``path`` for the comparison with the general path; then step 1's tables are
    dropped, so that no step holds an earlier step's tables (peak memory is per step)."""
    hhi_ok = bool(
        store.scalar(
            "SELECT bool_and(hhi BETWEEN 1.0 / n_suppliers - 1e-9 AND 1 + 1e-9) "
            "FROM c_concentration"
        )
    )
    groups = int(store.scalar("SELECT count(*) FROM c_concentration") or 0)
    store.con.execute("COPY c_concentration TO ? (FORMAT parquet)", [str(path)])
    _drop(store, "c_")
    return hhi_ok, groups


def _checks(
    store: Any,
    out: Path,
    concentration: Path,
    consumed: dict[str, tuple[int, float, float, float]],
    hhi_ok: bool,
    groups: int,
    skip_general: bool,
) -> None:
    """Correctness after timing: HHI bounds, Σ shares = 1, the lazy shares sum to the number of
    groups, and the two paths agree (step 1's table read back from ``concentration``)."""
    sums = store.scalar(
        "SELECT max(abs(s - 1)) FROM (SELECT sum(share) AS s FROM read_parquet(?) "
        "GROUP BY reporter, year, month, product)",
        [str(out)],
    )
    n, total, lo, hi = consumed["u_"]
    print(
        f"checks: HHI within [1/n, 1] everywhere: {hhi_ok}; max |Σ shares − 1| per product: "
        f"{sums:.2e}; lazy view: {n:,} shares in [{lo:.2e}, {hi:.4f}], Σ = {total:,.3f} "
        f"(= {groups:,} products × periods)"
    )
    if not skip_general:
        diff = store.scalar(
            "SELECT count(*) FROM read_parquet(?) c FULL JOIN g_concentration g "
            "USING (reporter, year, mkey, product) WHERE c.hhi IS NULL OR g.hhi IS NULL "
            "OR abs(c.hhi - g.hhi) > 1e-12 OR c.top_supplier <> g.top_supplier "
            "OR c.n_suppliers <> g.n_suppliers",
            [str(concentration)],
        )
        print(
            f"checks: rows where the unique-rows and general paths differ: {diff}; general "
            f"path shares: {consumed['g_'][0]:,}, Σ = {consumed['g_'][1]:,.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--quick", action="store_true", help="1 million rows (benchmarks/run_all)")
    ap.add_argument("--folder", type=Path, default=Path("/tmp/techties-bench-indicators"))
    ap.add_argument("--skip-general", action="store_true", help="Time only the unique-rows path.")
    ap.add_argument("--floors", action="store_true", help="Also time the share steps' floors.")
    ap.add_argument(
        "--memory-limit",
        default=None,
        help="TECHTIES_MEMORY for the run, e.g. 6GB (default: DuckDB's own, 80%% of RAM).",
    )
    args = ap.parse_args()
    measure(
        args.folder,
        1_000_000 if args.quick else args.rows,
        args.skip_general,
        args.memory_limit,
        args.floors,
    )


if __name__ == "__main__":
    main()
