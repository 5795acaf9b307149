"""Benchmark: the full techties report from the real files in ../shared/data.

Targets (2-core machine): ingest + report < 60 s; report from an already-built store < 15 s.
Prints both times and the ratio of the report-only time against a peer measured in the same run
(rendering the same charts alone). The first report solves the GE scenarios (cold cache); the
second reads them from the cache, as a user's second run does.

Run: ``.venv/bin/python benchmarks/bench_report.py [DATA_DIR]``
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from techties.charts import to_svg
from techties.claims import check_all
from techties.report import build_report
from techties.store import open_store
from techties.store.manifest import ingest_folder

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TARGET_FULL, TARGET_REPORT = 60.0, 15.0


def main(data: Path) -> None:
    if not data.is_dir():
        sys.exit(f"data folder {data} is absent")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TECHTIES_CACHE"] = str(Path(tmp) / "cache")  # GE results: cold, then cached
        store_path = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        with open_store(store_path) as st:
            results = ingest_folder(st, data)
            t_ingest = time.perf_counter() - t0
            build_report(st, Path(tmp) / "full", data=data)
        t_full = time.perf_counter() - t0
        t1 = time.perf_counter()
        with open_store(store_path) as st:
            res = build_report(st, Path(tmp) / "again", data=data)
        t_report = time.perf_counter() - t1
        with open_store(store_path, read_only=True) as st:
            verdicts = check_all(st, data=data)
        t2 = time.perf_counter()
        n_charts = sum(to_svg(v.chart) is not None for v in verdicts if v.chart is not None)
        t_charts = time.perf_counter() - t2
    rows = sum(r.rows for r in results)
    print(f"ingest: {len(results)} files, {rows:,} rows in {t_ingest:.1f} s")
    print(
        f"full report (ingest included): {t_full:.1f} s  target < {TARGET_FULL:.0f} s  "
        f"{'OK' if t_full < TARGET_FULL else 'SLOW'}"
    )
    print(
        f"report from built store:       {t_report:.1f} s  target < {TARGET_REPORT:.0f} s  "
        f"{'OK' if t_report < TARGET_REPORT else 'SLOW'}"
    )
    print(
        f"peer: rendering the {n_charts} charts alone {t_charts:.1f} s "
        f"(report / charts = {t_report / max(t_charts, 1e-9):.1f}x)"
    )
    print(f"verdicts: {res.counts()}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA)
