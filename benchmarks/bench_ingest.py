"""Benchmark: techties ingest of a BACI-format CSV vs the fastest raw CSV → Parquet conversion.

Generates ``BACI_HS17_Y2017_V202201.csv`` (t,i,j,k,v,q; k with leading zeros, q sometimes NA)
plus its ``country_codes_V202201.csv`` in a temporary folder, then measures in the same run:

- techties: ``ingest_files(store, "baci", [csv])`` into a fresh on-disk store — header check,
  country-code mapping, value/product checks, sha256 of the input and provenance included;
- peers: DuckDB ``COPY (SELECT * FROM read_csv(...)) TO parquet`` and Polars
  ``scan_csv(...).sink_parquet(...)`` of the same file.

Each measurement runs in its own subprocess so peak memory (``ru_maxrss``) is per tool.
Usage: ``python benchmarks/bench_ingest.py [--rows 10000000] [--small 2500000]``.
Targets (issue 2): ratio techties / fastest peer ≥ 0.75; peak memory < 2 GiB and flat in rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

N_COUNTRIES = 200


def generate(folder: Path, rows: int, seed: int = 1) -> Path:
    """Write a BACI-layout CSV of ``rows`` rows and its country code list; return the CSV."""
    rng = np.random.default_rng(seed)
    codes = np.arange(4, 4 + 4 * N_COUNTRIES, 4)
    pl.DataFrame(
        {
            "country_code": codes,
            "country_name_abbreviation": [f"C{c}" for c in codes],
            "country_name_full": [f"Country {c}" for c in codes],
            "iso_2digit_alpha": [
                f"{chr(65 + k // 26 % 26)}{chr(65 + k % 26)}" for k in range(len(codes))
            ],
            "iso_3digit_alpha": [
                f"{chr(65 + k // 676 % 26)}{chr(65 + k // 26 % 26)}{chr(65 + k % 26)}"
                for k in range(len(codes))
            ],
        }
    ).write_csv(folder / "country_codes_V202201.csv")
    products = np.array([f"{p:06d}" for p in rng.integers(10_000, 970_000, 5_000)])
    path = folder / "BACI_HS17_Y2017_V202201.csv"
    chunk = 2_000_000
    with open(path, "wb") as fh:
        fh.write(b"t,i,j,k,v,q\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            q = np.round(rng.lognormal(2, 2, n), 3).astype(str).astype(object)
            q[rng.random(n) < 0.05] = "NA"
            frame = pl.DataFrame(
                {
                    "t": np.full(n, 2017),
                    "i": rng.choice(codes, n),
                    "j": rng.choice(codes, n),
                    "k": rng.choice(products, n),
                    "v": np.round(rng.lognormal(3, 2, n), 3),
                    "q": q.astype(str),
                }
            )
            frame.write_csv(fh, include_header=False)
    return path


def _run_techties(csv: str, out: str) -> int:
    from techties.store import open_store
    from techties.store.ingest import ingest_files

    with open_store(out) as st:
        res = ingest_files(st, "baci", [csv])
        return res[0].rows


def _run_duckdb(csv: str, out: str) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv}', types = {{'k': 'VARCHAR'}})) "
        f"TO '{out}' (FORMAT parquet)"
    )
    return int(con.execute(f"SELECT count(*) FROM '{out}'").fetchall()[0][0])


def _run_polars(csv: str, out: str) -> int:
    pl.scan_csv(csv, schema_overrides={"k": pl.String}).sink_parquet(out)
    return int(pl.scan_parquet(out).select(pl.len()).collect().item())


def _child(tool: str, csv: str, out: str) -> None:
    t0 = time.perf_counter()
    rows = {"techties": _run_techties, "duckdb": _run_duckdb, "polars": _run_polars}[tool](csv, out)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({"tool": tool, "rows": rows, "seconds": secs, "peak_bytes": peak}))


def measure(tool: str, csv: Path, work: Path) -> dict[str, float]:
    out = work / f"out-{tool}.{'duckdb' if tool == 'techties' else 'parquet'}"
    out.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", tool, str(csv), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(rows: int, work: Path) -> dict[str, dict[str, float]]:
    folder = work / f"baci-{rows}"
    folder.mkdir()
    t0 = time.perf_counter()
    csv = generate(folder, rows)
    mb = csv.stat().st_size / 1e6
    print(f"\n{rows:,} rows, {mb:,.0f} MB generated in {time.perf_counter() - t0:.1f} s")
    found = {tool: measure(tool, csv, work) for tool in ("techties", "duckdb", "polars")}
    for tool, r in found.items():
        assert r["rows"] == rows, (tool, r)
        print(
            f"  {tool:9s} {rows / r['seconds'] / 1e6:6.2f} M rows/s  {r['seconds']:6.2f} s  "
            f"peak {r['peak_bytes'] / 2**30:5.2f} GiB"
        )
    best = min(found["duckdb"]["seconds"], found["polars"]["seconds"])
    print(
        f"  ratio techties / fastest peer = {best / found['techties']['seconds']:.2f} "
        f"(target >= 0.75)"
    )
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--small", type=int, default=2_500_000, help="second size (memory flatness)")
    ap.add_argument("--child", nargs=3, metavar=("TOOL", "CSV", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        small = run(args.small, Path(tmp))
        big = run(args.rows, Path(tmp))
    grow = big["techties"]["peak_bytes"] / small["techties"]["peak_bytes"]
    print(
        f"\ntechties peak memory {args.rows // args.small}x rows: x{grow:.2f} "
        f"({small['techties']['peak_bytes'] / 2**30:.2f} → "
        f"{big['techties']['peak_bytes'] / 2**30:.2f} GiB; target < 2 GiB, flat)"
    )


if __name__ == "__main__":
    main()
