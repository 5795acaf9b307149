"""Acceptance on the real staged files (skipped when ../shared/data is absent).

Published check values (CATALOG-trade.md §1, §3): Census 2024 HS10 imports for consumption and
calculated duties by partner; UN Comtrade US imports from China 2017–2019; Advanced Guide
Chapter 1 Application 1 shape and units. Amounts are compared in USD bn to 0.01 bn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import shared
from techties.store import Store, open_store
from techties.store.ingest import ingest_files

HS10 = ("trade-flows", "us-imports-hs10-2024")


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    files = {
        "census": [
            shared(*HS10, f"2024-hs10-imports{c}.parquet") for c in ("5700", "2010", "5520")
        ],
        "comtrade": [
            shared("trade-flows", "comtrade-totals", "TradeData_USA_China.csv"),
            shared("trade-flows", "us-comtrade-hs6-2015-2025", "us_china.rds"),
        ],
        "gravity": [shared("trade-agtpa", "Chapter1Application1.dta")],
    }
    st = open_store(tmp_path_factory.mktemp("real") / "real.duckdb")
    for source, paths in files.items():
        ingest_files(st, source, paths)
    yield st
    st.close()


@pytest.mark.parametrize(
    ("partner", "imports_bn", "duties_bn"),
    [("CHN", 429.43, 46.66), ("MEX", 503.44, 1.25), ("VNM", 141.36, 5.34)],
)
def test_census_2024_imports_and_duties(
    real_store: Store, partner: str, imports_bn: float, duties_bn: float
) -> None:
    got = real_store.df(
        "SELECT sum(value_usd) / 1e9 AS imports, sum(duties_usd) / 1e9 AS duties "
        "FROM trade_flows WHERE source = 'census' AND year = 2024 AND partner = ? "
        "AND value_basis = 'customs_consumption' AND product_level = 10",
        [partner],
    ).iloc[0]
    assert round(got.imports, 2) == imports_bn
    assert round(got.duties, 2) == duties_bn
    if partner == "CHN":
        assert round(100 * got.duties / got.imports, 2) == 10.87


def test_comtrade_totals_and_hs6_aggregate(real_store: Store) -> None:
    """Totals file vs the HS6 rows of us_china.rds: same CIF values, gap 0 % (tolerance 1 %)."""
    got = real_store.df(
        "SELECT year, sum(value_usd) FILTER (product_level = 0 AND location LIKE '%.csv') / 1e9 "
        "AS total, sum(value_usd) FILTER (product_level = 6) / 1e9 AS hs6 "
        "FROM trade_flows JOIN provenance p ON p.id = provenance_id "
        "WHERE trade_flows.source = 'comtrade' AND reporter = 'USA' AND partner = 'CHN' "
        "AND flow = 'import' AND year BETWEEN 2017 AND 2019 GROUP BY year ORDER BY year"
    )
    assert got.total.round(2).tolist() == [525.76, 563.20, 472.46]
    gap = (got.hs6 / got.total - 1).abs()
    assert (gap < 0.01).all(), gap.tolist()


def test_agtpa_chapter1_application1(real_store: Store) -> None:
    q = real_store.df(
        "SELECT count(*) AS n, count(DISTINCT exporter) AS exporters, "
        "list(DISTINCT trade_unit) AS units, list(DISTINCT year ORDER BY year) AS years "
        "FROM gravity WHERE dataset = 'chapter1application1'"
    ).iloc[0]
    assert q.n == 99_981 and q.exporters == 69 and list(q.units) == ["USD million"]
    assert set(range(1986, 2007, 4)) <= set(q.years)
    usa_chn = real_store.scalar(
        "SELECT trade FROM gravity WHERE dataset = 'chapter1application1' AND year = 2006 "
        "AND exporter = 'USA' AND importer = 'CHN'"
    )
    assert round(usa_chn, 1) == 47_377.9  # millions of USD (catalog §1)


def test_every_row_traces_to_its_file(real_store: Store) -> None:
    prov = real_store.df(
        "SELECT p.id, p.location, p.sha256, p.rows_written, coalesce(t.n, 0) + coalesce(g.n, 0) "
        "AS n FROM provenance p "
        "LEFT JOIN (SELECT provenance_id, count(*) n FROM trade_flows GROUP BY 1) t "
        "ON t.provenance_id = p.id "
        "LEFT JOIN (SELECT provenance_id, count(*) n FROM gravity GROUP BY 1) g "
        "ON g.provenance_id = p.id"
    )
    assert len(prov) == 6
    assert (prov.n == prov.rows_written).all()
    orphans = real_store.scalar(
        "SELECT count(*) FROM trade_flows WHERE provenance_id NOT IN (SELECT id FROM provenance)"
    )
    assert orphans == 0
    for loc, sha in zip(prov.location, prov.sha256, strict=True):
        assert hashlib.sha256(Path(loc).read_bytes()).hexdigest() == sha
