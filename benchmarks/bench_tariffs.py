"""Benchmark: applied-tariff lookup for every HTS8 line × 12 monthly dates × 2 partners.

Builds a store from the staged real files (HTS 2018 rev. 8.1 MFN schedule, USITC China Tariffs
table, GTA-coded measures), then times in the same run:

- techties: ``applied_tariff(store, None, ["CHN", "DEU"], 12 dates, with_measures=False)``
  (one DuckDB query: MFN in force, prefix join of measures, interval filter, sums), and the
  same with the text column naming the measures (the default);
- peer: the same lookup written directly in pandas (merge of lines × dates × partners with the
  measures on exact product code, interval filter, group-by sum) — a straightforward
  implementation a user would write.

Target (issue 3): techties < 1 s on the 2-core machine. Prints rows/s and the ratio
techties / pandas (below 1 = techties faster).
Run: ``.venv/bin/python benchmarks/bench_tariffs.py [DATA_DIR]``
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from techties.indicators.tariffs import applied_tariff
from techties.store import Store, open_store
from techties.store.ingest import ingest_files

DATES = [f"2019-{m:02d}-15" for m in range(1, 13)]
PARTNERS = ["CHN", "DEU"]


def build(data: Path, folder: Path) -> Store:
    t = data / "trade-tariffs"
    st = open_store(folder / "bench.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ingest_files(st, "usitc_tariffs", [t / "hts-revisions" / "hts_2018_revision_8_1_csv.csv"])
        ingest_files(st, "section301", [t / "tradewar-tracker" / "China-Tariffs.xlsx"])
        ingest_files(st, "gta", [t / "us_tariff_data" / "measures.csv"])
    return st


def pandas_peer(st: Store) -> pd.DataFrame:
    m = st.df("SELECT * FROM tariff_measures WHERE status = 'in_force'")
    mfn = m[m.kind == "mfn"][["product_code", "rate_pct"]].rename(columns={"rate_pct": "mfn"})
    grid = mfn.merge(pd.DataFrame({"on_date": pd.to_datetime(DATES)}), how="cross").merge(
        pd.DataFrame({"partner": PARTNERS}), how="cross"
    )
    add = m[(m.kind == "additional") & m.dataset.isin(["usitc_china_tariffs", "gta"])]
    j = grid.merge(add[["product_code", "target", "rate_pct", "start_date", "end_date"]],
                   left_on=["product_code", "partner"], right_on=["product_code", "target"])
    start = pd.to_datetime(j.start_date)
    end = pd.to_datetime(j.end_date)
    j = j[(start <= j.on_date) & (end.isna() | (j.on_date <= end))]
    s = j.groupby(["product_code", "on_date", "partner"]).rate_pct.sum().rename("additional")
    out = grid.merge(s.reset_index(), how="left", on=["product_code", "on_date", "partner"])
    out["applied"] = out.mfn + out.additional.fillna(0)
    return out


def best_of(fn: object, n: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    with tempfile.TemporaryDirectory() as tmp:
        st = build(data, Path(tmp))
        t_tt, res = best_of(
            lambda: applied_tariff(st, None, PARTNERS, DATES, with_measures=False).tidy()
        )
        t_tm, _ = best_of(lambda: applied_tariff(st, None, PARTNERS, DATES).tidy())
        t_pd, peer = best_of(lambda: pandas_peer(st))
        rows = len(res)  # type: ignore[arg-type]
        print(f"lines × dates × partners: {rows:,} "
              f"({rows // (len(DATES) * len(PARTNERS)):,} HTS8 lines)")
        print(f"techties applied_tariff: {t_tt:.3f} s  ({rows / t_tt:,.0f} rows/s)  target < 1 s")
        print(f"  with the measures text column: {t_tm:.3f} s")
        print(f"pandas peer (exact-code join only): {t_pd:.3f} s  ({len(peer):,} rows)")  # type: ignore[arg-type]
        print(f"ratio techties / pandas: {t_tt / t_pd:.2f}")
        st.close()


if __name__ == "__main__":
    main()
