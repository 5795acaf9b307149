"""Benchmark: techties ingest of a BACI-format CSV vs the fastest raw CSV → Parquet conversion.

Generates ``BACI_HS17_Y2017_V202201.csv`` (t,i,j,k,v,q; k with leading zeros, q sometimes NA)
plus its ``country_codes_V202201.csv`` in a temporary folder, then measures in the same run:

- techties: ``ingest_files(store, "baci", [csv])`` into a fresh on-disk store — header check,
  country-code mapping, value/product checks, sha256 of the input and provenance included;
- peers: DuckDB ``COPY (SELECT * FROM read_csv(...)) TO parquet`` and Polars
  ``scan_csv(...).sink_parquet(...)`` of the same file.

Each measurement runs in its own subprocess so peak memory (``ru_maxrss``) is per tool. Each
tool's modules are imported before its clock starts (the peers' imports are not timed either);
techties' import time is printed separately. The clock covers opening a fresh store (migrations),
the ingest (hashing, conversion, checks, provenance, view) and closing the store.

The machine is shared, so the tools run ``--repeat`` times interleaved and the ratio uses each
tool's fastest run (the least disturbed); CPU seconds (user + system, all threads) are printed as
a load-independent cross-check.
Usage: ``python benchmarks/bench_ingest.py [--rows 30000000] [--small 10000000] [--repeat 3]
[--order sorted|scattered]``. CEPII ships each year sorted by (t, i, j, k), the default here;
``scattered`` rows take the store's slower exact repeat check (a hash of every key).
Polars' streaming buffers (and so every tool's memory) fill up during the first few million rows
and then stay level, so the flatness check compares two sizes past that point (10M and 30M).
Targets (issue 2): ratio techties / fastest peer ≥ 0.75; peak memory < 2 GiB and flat in rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

N_COUNTRIES = 200


def generate(folder: Path, rows: int, seed: int = 1, *, order: str = "sorted") -> Path:
    """Write a BACI-layout CSV of ``rows`` rows and its country code list; return the CSV.

    Like a real BACI year, every (exporter, importer, product) appears once and the countries
    carry real ISO3 codes: the store refuses repeated keys and unknown codes. ``order``:
    ``sorted`` by (i, j, k) as CEPII ships its files, or ``scattered`` (no order).
    """
    import pycountry

    rng = np.random.default_rng(seed)
    codes = np.arange(4, 4 + 4 * N_COUNTRIES, 4)
    iso = sorted(pycountry.countries, key=lambda c: c.alpha_3)[:N_COUNTRIES]
    pl.DataFrame(
        {
            "country_code": codes,
            "country_name_abbreviation": [c.alpha_3 for c in iso],
            "country_name_full": [c.name for c in iso],
            "iso_2digit_alpha": [c.alpha_2 for c in iso],
            "iso_3digit_alpha": [c.alpha_3 for c in iso],
        }
    ).write_csv(folder / "country_codes_V202201.csv")
    picked = rng.choice(np.arange(10_000, 970_000), 5_000, False)
    products = np.array([f"{p:06d}" for p in np.sort(picked)])
    space = N_COUNTRIES * N_COUNTRIES * len(products)
    if rows > space:
        raise SystemExit(f"at most {space:,} distinct rows")
    # distinct cells of the exporter x importer x product cube: an affine map mod the cube size
    # (multiplier coprime to it) sends 0..rows-1 to distinct cells, in a scattered order
    mult, shift = 2_654_435_761 % space | 1, int(rng.integers(space))
    while np.gcd(mult, space) != 1:
        mult += 2
    path = folder / "BACI_HS17_Y2017_V202201.csv"
    chunk = 2_000_000
    with open(path, "wb") as fh:
        fh.write(b"t,i,j,k,v,q\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            at = np.arange(start, start + n, dtype=np.int64)
            # sorted: evenly spread cells in increasing (i, j, k) order
            cell = at * (space // rows) if order == "sorted" else (at * mult + shift) % space
            q = np.round(rng.lognormal(2, 2, n), 3).astype(str).astype(object)
            q[rng.random(n) < 0.05] = "NA"
            frame = pl.DataFrame(
                {
                    "t": np.full(n, 2017),
                    "i": codes[cell // (N_COUNTRIES * len(products))],
                    "j": codes[cell // len(products) % N_COUNTRIES],
                    "k": products[cell % len(products)],
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
        assert st.count("trade_flows") == res[0].rows
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


def _import(tool: str) -> float:
    t0 = time.perf_counter()
    if tool == "techties":
        import techties.sources
        import techties.store.ingest

        techties.sources.get_source("baci")
    elif tool == "duckdb":
        import duckdb  # noqa: F401
    return time.perf_counter() - t0


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


class _AnonSampler(threading.Thread):
    """Highest anonymous resident memory (RssAnon) seen, sampled every 5 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _status("RssAnon"))
            time.sleep(0.005)


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _peaks(sampler: _AnonSampler) -> tuple[int, int]:
    """(peak resident set incl. mapped file pages, peak anonymous memory) of this process.

    ``VmHWM`` belongs to this process image; ``ru_maxrss`` would carry over the parent's peak
    across fork/exec (the parent generated the CSV)."""
    sampler.running = False
    sampler.join()
    return _status("VmHWM"), max(sampler.peak, _status("RssAnon"))


def _child(tool: str, csv: str, out: str) -> None:
    imported = _import(tool)
    sampler = _AnonSampler()
    sampler.start()
    t0, c0 = time.perf_counter(), _cpu()
    rows = {"techties": _run_techties, "duckdb": _run_duckdb, "polars": _run_polars}[tool](csv, out)
    secs, cpu = time.perf_counter() - t0, _cpu() - c0
    peak, anon = _peaks(sampler)
    print(
        json.dumps(
            {
                "tool": tool,
                "rows": rows,
                "seconds": secs,
                "cpu": cpu,
                "import": imported,
                "peak_bytes": peak,
                "peak_anon": anon,
            }
        )
    )


def measure(tool: str, csv: Path, work: Path) -> dict[str, float]:
    out = work / f"out-{tool}.{'duckdb' if tool == 'techties' else 'parquet'}"
    out.unlink(missing_ok=True)
    shutil.rmtree(f"{out}.parts", ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", tool, str(csv), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


TOOLS = ("techties", "duckdb", "polars")


def run(rows: int, work: Path, repeat: int, order: str) -> dict[str, dict[str, float]]:
    folder = work / f"baci-{rows}"
    folder.mkdir()
    t0 = time.perf_counter()
    csv = generate(folder, rows, order=order)
    mb = csv.stat().st_size / 1e6
    print(f"\n{rows:,} rows ({order}), {mb:,.0f} MB generated in {time.perf_counter() - t0:.1f} s")
    runs: dict[str, list[dict[str, float]]] = {tool: [] for tool in TOOLS}
    for _ in range(repeat):
        for tool in TOOLS:
            r = measure(tool, csv, work)
            assert r["rows"] == rows, (tool, r)
            runs[tool].append(r)
    found = {tool: min(rs, key=lambda r: r["seconds"]) for tool, rs in runs.items()}
    for tool, r in found.items():
        every = " ".join(f"{x['seconds']:.2f}" for x in runs[tool])
        print(
            f"  {tool:9s} {rows / r['seconds'] / 1e6:6.2f} M rows/s  {r['seconds']:6.2f} s  "
            f"cpu {min(x['cpu'] for x in runs[tool]):6.2f} s  "
            f"peak {max(x['peak_bytes'] for x in runs[tool]) / 2**30:5.2f} GiB "
            f"(anon {max(x['peak_anon'] for x in runs[tool]) / 2**30:4.2f})  runs: {every}"
        )
    print(f"  techties import (not timed above): {found['techties']['import']:.2f} s")
    best = min(("duckdb", "polars"), key=lambda t: found[t]["seconds"])
    cpu = {t: min(x["cpu"] for x in runs[t]) for t in TOOLS}
    print(
        f"  ratio techties / fastest peer ({best}) = "
        f"{found[best]['seconds'] / found['techties']['seconds']:.2f} (target >= 0.75); "
        f"CPU-time ratio {cpu[best] / cpu['techties']:.2f}"
    )
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=30_000_000)
    ap.add_argument("--small", type=int, default=10_000_000, help="first size (ratio, memory)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs per tool")
    ap.add_argument("--order", choices=("sorted", "scattered"), default="sorted",
                    help="row order of the generated file (CEPII ships it sorted)")  # fmt: skip
    ap.add_argument("--child", nargs=3, metavar=("TOOL", "CSV", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        small = run(args.small, Path(tmp), args.repeat, args.order)
        big = run(args.rows, Path(tmp), args.repeat, args.order)
    for key, what in (("peak_bytes", "resident"), ("peak_anon", "anonymous")):
        grow = big["techties"][key] / small["techties"][key]
        print(
            f"techties peak {what} memory at {args.rows / args.small:.0f}x rows: x{grow:.2f} "
            f"({small['techties'][key] / 2**30:.2f} → {big['techties'][key] / 2**30:.2f} GiB; "
            "target < 2 GiB, flat)"
        )


if __name__ == "__main__":
    main()
