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
        t0 = time.perf_counter()
        with open_store(store_path) as st:
            results = ingest_folder(st, data)
            t_ingest = time.perf_counter() - t0
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
        same = len({_body(Path(tmp) / d / "report.html") for d in ("full", "again", "checked")})
        files = sorted({f for e in load_manifest(data) for f in e.resolve(data)})
        t2 = time.perf_counter()
        for f in files:
            raw_read(f)
        t_raw = time.perf_counter() - t2
        t3 = time.perf_counter()
        charts = [to_svg(v.chart) for v in res.verdicts if v.chart is not None]
        t_charts = time.perf_counter() - t3
    rows = sum(r.rows for r in results)
    print(f"ingest: {len(results)} files, {rows:,} rows in {t_ingest:.1f} s")
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


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA)
