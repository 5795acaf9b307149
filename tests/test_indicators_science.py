"""Science and technology ties on the staged data; each value is a published figure from
CATALOG-tech.md "Published figures" (item numbers in the comments)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.indicators.real import real_store
from techties.errors import ConfigError, NoDataError
from techties.indicators import science
from techties.store import Store

pytestmark = pytest.mark.realdata


def test_coauthorship_ncses(shared_data: Path) -> None:
    # item 17: US–China co-authored 5,588 (2003) and 58,546 (2022); US international total
    # 241,823 and China 182,305 (2022) → 24.21 % of US international articles
    res = science.coauthorship(real_store(shared_data, "science"))
    assert res.value(2003, "pair") == 5588
    assert res.value(2022, "pair") == 58546
    assert res.value(2022, "share_of_usa") == pytest.approx(58546 / 241823)
    assert res.value(2022, "share_of_chn") == pytest.approx(58546 / 182305)
    assert res.source.startswith("ncses: data.csv (sha256 ")


@pytest.mark.slow
def test_coauthorship_openalex_peak_2020(shared_data: Path) -> None:
    # item 19: 84,025 works in 2020 (peak), 72,794 in 2023
    res = science.coauthorship(real_store(shared_data, "openalex"), source="openalex")
    t = res.tidy()
    assert int(t.loc[t["pair"].idxmax(), "year"]) == 2020
    assert res.value(2020, "pair") == 84025 and res.value(2023, "pair") == 72794


def test_doctorates_rd_ip(shared_data: Path) -> None:
    store = real_store(shared_data, "science", "wdi")
    # item 21: S&E doctorates 2018 — China 39,768, USA 41,071; China 2010: 31,410
    doc = science.indicator_series(store, "doctorates")
    assert doc.value(2018, country="CHN") == 39768 and doc.value(2018, country="USA") == 41071
    assert doc.value(2010, country="CHN") == 31410
    # item 24: R&D % GDP 2023 — China 2.57729, USA 3.44716
    rd = science.indicator_series(store, "rd_intensity")
    assert rd.value(2023, country="CHN") == pytest.approx(2.57729, abs=5e-6)
    assert rd.value(2023, country="USA") == pytest.approx(3.44716, abs=5e-6)
    # item 28: China IP payments 44.46 bn (2022); USA receipts 169.52 bn (2024)
    pay = science.indicator_series(store, "ip_payments")
    assert pay.value(2022, country="CHN") / 1e9 == pytest.approx(44.46, abs=0.005)
    rec = science.indicator_series(store, "ip_receipts")
    assert rec.value(2024, country="USA") / 1e9 == pytest.approx(169.52, abs=0.005)
    assert rec.plot().to_dict()["vconcat"][0]["title"]["text"].startswith("Charges for")


def test_entity_list_additions(shared_data: Path) -> None:
    # item 1: China entries by year of earliest citation 2018: 29, 2019: 85, 2020: 147,
    # 2023: 154, 2024: 264; all countries 2022: 518, 2024: 518
    res = science.entity_list_additions(real_store(shared_data, "entity_list"))
    for year, n in ((2018, 29), (2019, 85), (2020, 147), (2023, 154), (2024, 264)):
        assert res.value(year, "additions", "CHN") == n
    assert res.value(2022, "additions", "ALL") == 518
    assert res.value(2024, "additions", "ALL") == 518
    assert any("survivor basis" in n for n in res.notes)


def test_missing_tables_and_names(store: Store) -> None:
    with pytest.raises(NoDataError, match="no science/technology indicators"):
        science.indicator_series(store, "rd_intensity")
    with pytest.raises(ConfigError, match="rd_intensity"):
        science.indicator_series(store, "rnd")
    with pytest.raises(NoDataError, match="export-control lists"):
        science.entity_list_additions(store)
