"""The inventory of a selection answered from the metadata of bulk Parquet parts
(``store.queries.part_inventory``) against the scan of every row: the same inventory for every
filter, the same resolved plan and the same panel tables, on a generated store (rows written by
``Store.write`` beside BACI parts of one year and of several years) and on real rows (the
Comtrade HS6 files, with their export rows also loaded as BACI files)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import FIXTURES
from fixtures.indicators.flows import write_flows
from techties.indicators.concentration import materialise_panel
from techties.indicators.shares import Selection, resolve
from techties.store import Store, open_store, queries
from techties.store.ingest import ingest_files
from techties.store.parts import rebuild_views
from techties.store.queries import FlowFilter, inventory, part_inventory

CODES = FIXTURES / "baci" / "country_codes_V202201.csv"
#: BACI numeric codes of the fixture's code list (CHN, FRA, USA)
BACI_CODES = {"CHN": 156, "FRA": 251, "USA": 842}

FILTERS = [
    FlowFilter(flow="export"),
    FlowFilter(flow="import"),
    FlowFilter(flow="export", years=(2018, 2019)),
    FlowFilter(flow="export", years=(2030, 2031)),
    FlowFilter(flow="export", source="baci", value_basis="FOB"),
    FlowFilter(flow="export", source="test"),
    FlowFilter(flow="import", classifications=("NAICS", "TOTAL")),
    FlowFilter(flow="export", classifications=("HS", "HTS", "TOTAL"), value_basis="customs"),
]
#: filters the metadata does not answer (the rows are scanned): a reporter, the mirror
SCANNED = [FlowFilter(flow="export", reporter="CHN"), FlowFilter(flow="import", mirror=True)]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _same_inventory(store: Store, flows: FlowFilter) -> pd.DataFrame:
    fast = inventory(store, flows)
    scan = inventory(store, flows, metadata=False)
    pd.testing.assert_frame_equal(_sorted(fast), _sorted(scan))
    return fast


def _baci_file(folder: Path, name: str, rows: list[tuple[int, int, int, str, float]]) -> Path:
    """A BACI file ``name`` (t, i, j, k, v, q; sorted by t, i, j, k as CEPII ships them)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / CODES.name).exists():
        shutil.copy(CODES, folder)
    path = folder / name
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["t", "i", "j", "k", "v", "q"])
        for t, i, j, k, v in sorted(rows):
            out.writerow([t, i, j, k, f"{v:.3f}", "NA"])
    return path


def _generated(store: Store, folder: Path) -> None:
    """Rows written by Store.write (two sources, monthly and annual, HS and NAICS, levels 2 and
    6) and BACI parts: the fixture year, one generated year per file, and one file of two
    years in one row group (its years are not pinned by the statistics)."""
    rng = np.random.default_rng(5)
    rows = []
    for year in (2018, 2019, 2020):
        for month in (None, 3):
            for code in ("85", "854231", "847130"):
                rows.append(
                    {"reporter": "USA", "partner": "CHN", "flow": "import", "year": year,
                     "month": month, "product_code": code, "value_usd": float(rng.integers(1, 99)),
                     "value_basis": "customs_consumption"}
                )  # fmt: skip
        rows.append(
            {"reporter": "USA", "partner": "VNM", "flow": "export", "year": year,
             "product_code": "847130", "value_usd": 5.0, "value_basis": "customs"}
        )  # fmt: skip
    naics = [
        {"reporter": "USA", "partner": "CHN", "flow": "import", "year": 2019, "month": 1,
         "classification": "NAICS", "vintage": None, "product_code": "334",
         "value_usd": 7.0, "source": "naics_test"}
    ]  # fmt: skip
    write_flows(store, rows, location="native.csv")
    write_flows(store, naics, location="naics.csv")
    pairs = [(i, j) for i in BACI_CODES.values() for j in BACI_CODES.values() if i != j]
    files = [folder / "fixture" / "BACI_HS17_Y2017_V202201.csv"]
    (folder / "fixture").mkdir(parents=True)
    shutil.copy(FIXTURES / "baci" / files[0].name, files[0])
    shutil.copy(CODES, folder / "fixture")
    for year in (2018, 2019):
        cells = [(year, i, j, k, float(rng.uniform(1, 500))) for i, j in pairs
                 for k in ("854231", "847130")]  # fmt: skip
        files.append(_baci_file(folder / f"y{year}", f"BACI_HS17_Y{year}_V202201.csv", cells))
    two = [(t, i, j, "010121", 3.0) for t in (2021, 2022) for i, j in pairs]
    files.append(_baci_file(folder / "two", "baci_two_years.csv", two))  # no year, no vintage
    ingest_files(store, "baci", files[:3])
    assert part_inventory(store, FILTERS[0]) is not None  # every part answered by metadata
    ingest_files(store, "baci", files[3:])


def test_metadata_inventory_equals_the_scan(store: Store, tmp_path: Path) -> None:
    """For every filter the inventory is the scan's, value for value and type for type; the
    parts of one year per row group are answered by metadata, a part whose row group holds two
    years sends the inventory back to the scan, and so do a reporter filter and the mirror."""
    _generated(store, tmp_path)
    parts = store.df("SELECT file FROM store_parts ORDER BY provenance_id")["file"].tolist()
    assert len(parts) == 4
    assert part_inventory(store, FILTERS[0]) is None  # the two-year part
    for flows in [*FILTERS, *SCANNED]:
        _same_inventory(store, flows)
    found = _same_inventory(store, FlowFilter(flow="export"))
    assert {2017, 2018, 2019, 2021, 2022} <= set(found["year"])
    store.con.execute(
        "DELETE FROM store_parts WHERE file = ?", [parts[-1]]
    )  # without the two-year part (its rows stay out of the view too)
    rebuild_views(store.con, store.parts_root)
    for flows in FILTERS:
        assert part_inventory(store, flows) is not None
        found = _same_inventory(store, flows)
        if flows in (FILTERS[0], FILTERS[4]):  # every BACI year
            assert {2017, 2018, 2019} <= set(found["year"])
    for flows in SCANNED:
        assert part_inventory(store, flows) is None
        _same_inventory(store, flows)


def test_empty_and_constant_year_parts(store: Store, tmp_path: Path) -> None:
    """A part with no rows adds no year (as the scan finds none); a part whose year is one of
    its constants adds that year."""
    _generated(store, tmp_path)
    pid = int(store.scalar("SELECT min(provenance_id) FROM store_parts"))
    store.con.execute(
        "UPDATE store_parts SET columns = json_object('reporter', 'VARCHAR', 'partner', "
        "'VARCHAR', 'product_code', 'VARCHAR', 'value_usd', 'DOUBLE'), constants = "
        'json_merge_patch(constants, \'{"year": "2017"}\') WHERE provenance_id = ?',
        [pid],
    )
    two = store.scalar("SELECT max(provenance_id) FROM store_parts")
    store.con.execute("DELETE FROM store_parts WHERE provenance_id = ?", [two])
    rebuild_views(store.con, store.parts_root)
    assert part_inventory(store, FILTERS[0]) is not None
    for flows in FILTERS:
        _same_inventory(store, flows)
    # an empty part (the first part's columns, no rows), registered as the store registers one
    first = store.scalar("SELECT file FROM store_parts WHERE provenance_id = ?", [pid + 1])
    table = pq.read_table(store.parts_root / first).slice(0, 0)
    pq.write_table(table, store.parts_root / "trade_flows" / "999.parquet")
    store.con.execute(
        "INSERT INTO store_parts SELECT 999, table_name, 'trade_flows/999.parquet', 0, columns, "
        "constants FROM store_parts WHERE provenance_id = ?",
        [pid + 1],
    )
    rebuild_views(store.con, store.parts_root)
    assert store.scalar("SELECT min(rows) FROM store_parts") == 0
    assert part_inventory(store, FILTERS[0]) is not None
    for flows in FILTERS:
        _same_inventory(store, flows)


def _panel_tables(store: Store, sel: Selection, prefix: str) -> dict[str, pd.DataFrame]:
    materialise_panel(store, sel, prefix=prefix, unique_rows=True)
    out = {n: store.df(f"SELECT * FROM {prefix}{n} ORDER BY ALL") for n in
           ("concentration", "chokepoints", "shares")}  # fmt: skip
    for n in out:
        store.con.execute(f"DROP TABLE {prefix}{n}")
    return out


def _same_plans_and_tables(
    store: Store, sels: list[Selection], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each selection resolves to the same plan, and gives the same panel tables, whether the
    inventory reads the metadata or scans the rows."""
    fast = [(resolve(store, s), _panel_tables(store, s, "m_")) for s in sels]
    scan = queries.inventory
    monkeypatch.setattr(queries, "inventory", lambda st, fl: scan(st, fl, metadata=False))
    for sel, (plan, tables) in zip(sels, fast, strict=True):
        assert resolve(store, sel) == plan
        for name, table in _panel_tables(store, sel, "s_").items():
            pd.testing.assert_frame_equal(table, tables[name])


def test_generated_plans_and_panels_are_the_same(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _generated(store, tmp_path)
    two = store.scalar("SELECT max(provenance_id) FROM store_parts")
    store.con.execute("DELETE FROM store_parts WHERE provenance_id = ?", [two])
    rebuild_views(store.con, store.parts_root)
    sels = [
        Selection(reporter=None, flow="export", level=6, source="baci"),
        Selection(reporter=None, flow="export", level=4, years=(2018, 2019), source="baci"),
        Selection(reporter=None, flow="import", level=2, source="test"),
    ]
    _same_plans_and_tables(store, sels, monkeypatch)


def _real_baci(shared_data: Path, folder: Path) -> tuple[Store, int]:
    """A store with the real Comtrade HS6 files and their export rows between countries of
    BACI's code list written as BACI files (one a year, values in thousand USD)."""
    from fixtures.indicators.real import SETS

    source, names = SETS["comtrade_hs6"]
    paths = [shared_data / n for n in names]
    codes_file = shared_data / "trade-concordances" / "onecampaign" / "country_codes.csv"
    if not codes_file.exists() or not all(p.exists() for p in paths):
        pytest.skip("the real Comtrade HS6 files or the BACI country codes are absent")
    store = open_store(folder / "real.duckdb")
    ingest_files(store, source, paths)
    codes = pd.read_csv(codes_file, encoding="utf-8-sig", dtype={"country_code": int})
    iso = dict(zip(codes["iso_3digit_alpha"], codes["country_code"], strict=True))
    rows = store.df(
        "SELECT year, reporter, partner, product_code, sum(value_usd) AS v FROM trade_flows "
        "WHERE flow = 'export' AND product_level = 6 AND reporter <> partner GROUP BY ALL"
    )
    rows = rows[rows["reporter"].isin(iso) & rows["partner"].isin(iso) & (rows["v"] > 0)]
    baci = folder / "baci"
    baci.mkdir()
    codes.rename(columns=lambda c: c.strip()).to_csv(
        baci / "country_codes_V202401.csv", index=False
    )
    files = []
    for year, part in rows.groupby("year"):
        cells = [
            (int(year), int(iso[r]), int(iso[p]), str(k), round(float(v) / 1000, 3))
            for r, p, k, v in part[["reporter", "partner", "product_code", "v"]].itertuples(
                index=False
            )
        ]
        name = f"BACI_HS17_Y{int(year)}_V202401.csv"
        files.append(_baci_file(baci, name, [c for c in cells if c[4] > 0]))
    ingest_files(store, "baci", files)
    return store, len(rows)


def test_real_rows_metadata_inventory_plans_and_panels(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real rows: the Comtrade HS6 files (rows written by Store.write) beside BACI parts made
    of their export rows. The inventory of each filter is the scan's; the BACI panels resolve
    to the same plan and give the same concentration, chokepoint and share tables."""
    store, n = _real_baci(shared_data, tmp_path)
    try:
        assert n > 10_000 and store.scalar("SELECT count(*) FROM store_parts") >= 5
        assert part_inventory(store, FlowFilter(flow="export")) is not None
        for flows in [*FILTERS, *SCANNED, FlowFilter(flow="export", source="comtrade")]:
            _same_inventory(store, flows)
        sels = [
            Selection(reporter=None, flow="export", level=6, source="baci"),
            Selection(reporter=None, flow="export", level=4, source="baci", years=(2017, 2020)),
        ]
        _same_plans_and_tables(store, sels, monkeypatch)
    finally:
        store.close()
