"""Benchmark: the main job (``techties report --data DIR``) on the real files in ../shared/data.

Targets (2-core machine): the main job from the data folder < 20 s; the report from an already
built store < 3 s. Measured in one run, as a user meets them:

1. ingest every manifest file into a new store, then check every claim and write the report
   (the GE scenarios are solved and cached in the store: the cold main job);
2. the report again from that store (what ``techties report`` costs once the store is built:
   the verdicts and charts kept by step 1 are read back, nothing having changed);
3. the report with every claim checked again on the built store (the kept verdicts dropped, as
   after an ingest: the cached model results are read, the charts kept by step 1 reused);
4. peers in the same run: reading the same files raw, without checks or canonical columns
   (pyarrow for Parquet/CSV, pyreadr for R files, pandas for Excel/Stata, bytes otherwise) —
   the floor of the ingest — and rendering the report's charts alone (vl-convert).

The three reports must be the same report (compared without the generation time): the kept
verdicts and charts are what checking and rendering again gives.

Prints each time, its ratio to its target and the ingest's ratio to the raw-read floor. The
machine is shared: run it twice and compare the ratios, not the seconds.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_report.py [DATA_DIR]``

``bench_report.py --compare REF.duckdb NEW.duckdb`` compares two stores built from the same
folder (e.g. by main and by a branch): every table's rows as multisets, row order within each
table, and provenance row by row without the ingest time. It prints one line per table and
exits non-zero on a difference.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TARGET_FULL, TARGET_REPORT = 20.0, 3.0


def raw_read(path: Path) -> int:
    """Parse one file with a plain reader (no checks); rows read (bytes for other formats)."""
    import pandas as pd
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    if suffix == ".parquet":
        return int(pq.read_table(path).num_rows)
    if suffix in {".csv", ".csv.gz"}:
        try:
            return int(pacsv.read_csv(path).num_rows)
        except Exception:  # ragged or non-UTF-8 CSV: the bytes are the floor
            return len(path.read_bytes())
    if suffix in {".rds", ".rda", ".rdata"}:
        import pyreadr

        return sum(len(v) for v in pyreadr.read_r(str(path)).values())
    if suffix in {".xlsx", ".xls"}:
        return sum(len(v) for v in pd.read_excel(path, sheet_name=None).values())
    if suffix == ".dta":
        return len(pd.read_stata(path))
    return len(path.read_bytes())


def _body(html: Path) -> str:
    """The report without its generation time."""
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", html.read_text("utf-8"))


def main(data: Path) -> None:
    from techties.charts import to_svg
    from techties.report import build_report
    from techties.store import open_store
    from techties.store.manifest import ingest_folder, load_manifest

    if not data.is_dir():
        sys.exit(f"data folder {data} is absent")
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TECHTIES_CACHE"] = str(Path(tmp) / "cache")
        store_path = Path(tmp) / "bench.duckdb"
        t0, c0 = time.perf_counter(), time.process_time()
        with open_store(store_path) as st:
            results = ingest_folder(st, data)
            t_ingest, c_ingest = time.perf_counter() - t0, time.process_time() - c0
            build_report(st, Path(tmp) / "full")
        t_full = time.perf_counter() - t0
        t1 = time.perf_counter()
        with open_store(store_path) as st:
            res = build_report(st, Path(tmp) / "again")
        t_report = time.perf_counter() - t1
        with open_store(store_path) as st:
            st.con.execute("DELETE FROM derived WHERE name = 'report-verdicts'")
            t4 = time.perf_counter()
            build_report(st, Path(tmp) / "checked")
            t_checked = time.perf_counter() - t4
        bodies = {d: _body(Path(tmp) / d / "report.html") for d in ("full", "again", "checked")}
        same = len(set(bodies.values()))
        for d in ("again", "checked"):  # where a report differs from the first
            a, b = bodies["full"], bodies[d]
            if a != b:
                at = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
                print(f"{d} differs from full at character {at:,}:\n  full: "
                      f"{a[max(at - 200, 0):at + 60]!r}\n  {d}: {b[at:at + 60]!r}")  # fmt: skip
        files = sorted({f for e in load_manifest(data) for f in e.resolve(data)})
        t2 = time.perf_counter()
        for f in files:
            raw_read(f)
        t_raw = time.perf_counter() - t2
        t3 = time.perf_counter()
        charts = [to_svg(v.chart) for v in res.verdicts if v.chart is not None]
        t_charts = time.perf_counter() - t3
    rows = sum(r.rows for r in results)
    print(
        f"ingest: {len(results)} files, {rows:,} rows in {t_ingest:.1f} s "
        f"({c_ingest:.1f} CPU s, every thread; load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"main job from the data folder: {t_full:.1f} s  target < {TARGET_FULL:.0f} s  "
        f"(x{t_full / TARGET_FULL:.2f} of target) {'OK' if t_full < TARGET_FULL else 'SLOW'}"
    )
    print(
        f"report from the built store:   {t_report:.1f} s  target < {TARGET_REPORT:.0f} s  "
        f"(x{t_report / TARGET_REPORT:.2f} of target) {'OK' if t_report < TARGET_REPORT else 'SLOW'}"
    )
    print(f"report with every claim checked again (model results cached): {t_checked:.1f} s")
    print(f"the three reports are {'the same' if same == 1 else 'DIFFERENT'}")
    print(
        f"peer: raw reads of the {len(files)} files {t_raw:.1f} s "
        f"(ingest / raw reads = {t_ingest / max(t_raw, 1e-9):.2f}x)"
    )
    print(
        f"peer: rendering the {sum(c is not None for c in charts)} charts alone {t_charts:.1f} s "
        f"(report / charts = {t_report / max(t_charts, 1e-9):.1f}x)"
    )
    print(f"verdicts: {res.counts()}")


def compare_stores(ref: Path, new: Path) -> bool:
    """True when the two stores hold the same rows, in the same order, and the same provenance
    (``ingested_at`` left out); prints one line per table."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"ATTACH '{ref}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{new}' AS b (READ_ONLY)")
    keep = "* EXCLUDE (ingested_at)"
    same = con.execute(f"SELECT {keep} FROM a.provenance ORDER BY id").fetchall() == (
        con.execute(f"SELECT {keep} FROM b.provenance ORDER BY id").fetchall()
    )
    print(f"{'provenance':20s} {'same' if same else 'DIFFERENT'}")
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a' AND NOT temporary "
        "AND table_name NOT IN ('provenance', 'schema_migrations') ORDER BY 1"
    ).fetchall()
    for (t,) in tables:
        a, b = f'a.main."{t}"', f'b.main."{t}"'
        n = [con.execute(f"SELECT count(*) FROM {x}").fetchall()[0][0] for x in (a, b)]
        extra = [
            con.execute(f"SELECT count(*) FROM (FROM {x} EXCEPT ALL FROM {y})").fetchall()[0][0]
            for x, y in ((a, b), (b, a))
        ]
        # row order: each row's position (by rowid) and a hash of the row, compared as sets
        order = "SELECT row_number() OVER (ORDER BY rowid) AS i, hash(COLUMNS(*)) AS h FROM {}"
        moved = con.execute(
            f"SELECT count(*) FROM ({order.format(a)} EXCEPT {order.format(b)})"
        ).fetchall()[0][0]
        ok = n[0] == n[1] and extra == [0, 0] and moved == 0
        same &= ok
        print(f"{t:20s} {n[0]:>10,} {n[1]:>10,} {'same' if ok else f'DIFFERENT {extra} {moved}'}")
    print("ALL SAME" if same else "DIFFERENT")
    return same


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        sys.exit(0 if compare_stores(Path(sys.argv[2]), Path(sys.argv[3])) else 1)
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA)
