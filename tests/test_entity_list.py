"""Export-control list readers, events view, CSL download, and acceptance on the staged lists."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES, shared
from techties.errors import FetchError, NoDataError, SourceFormatError, UnknownNameError
from techties.indicators.entities import entity_counts_by_year, entity_events, entries_citing
from techties.sources import get_source
from techties.sources.entity_lists import CSL_URL, split_citations
from techties.store.ingest import ingest_files

FIX = FIXTURES / "tech"


def test_split_citations_pairs_each_fr_reference_with_its_date() -> None:
    got = split_citations("84 FR 22963, 5/21/19. 85 FR 29853, 5/19/20.\n86 FR 30145 (June 7, 2021)")
    assert got == [
        ("84 FR 22963", dt.date(2019, 5, 21)),
        ("85 FR 29853", dt.date(2020, 5, 19)),
        ("86 FR 30145", dt.date(2021, 6, 7)),
    ]
    assert split_citations("86 FR 67319") == [("86 FR 67319", None)]
    assert split_citations("73 FR 1, 9/22/98") == [("73 FR 1", dt.date(1998, 9, 22))]


def test_entity_list_reader_earliest_citation_is_date_added() -> None:
    t = get_source("export_lists").read(FIX / "bis_entity_list_small.json").to_pylist()
    assert len(t) == 6
    huawei = t[0]
    assert huawei["list"] == "BIS Entity List"
    assert huawei["date_added"] == dt.date(2019, 5, 21)
    assert huawei["first_citation"] == "84 FR 22963"
    assert huawei["citations"] == ["84 FR 22963", "85 FR 29853", "85 FR 51603"]
    assert huawei["country_iso3"] == "CHN"
    assert huawei["license_requirement"].startswith("For all items subject to the EAR")
    assert t[2]["date_added"] == dt.date(2020, 12, 22)  # four-digit year form
    assert t[3]["date_added"] == dt.date(2024, 12, 5)  # revision in 2025 is not the addition
    assert t[4]["date_added"] is None and t[4]["first_citation"] == "86 FR 67319"
    assert t[5]["country_iso3"] == "RUS" and t[5]["aliases"] == ["Techcomplect LLC"]


def test_events_view_and_counts(store) -> None:
    ingest_files(store, "export_lists", [FIX / "bis_entity_list_small.json"])
    ev = entity_events(store, country="China", since=2019)
    assert list(ev["rule_citation"]) == ["84 FR 22963", "84 FR 54002", "85 FR 83420", "89 FR 96837"]
    counts = entity_counts_by_year(store, country="CHN")
    assert counts["year_added"].astype("Int64").tolist()[:3] == [2019, 2020, 2024]
    assert counts["year_added"].isna().tolist() == [False, False, False, True]  # undated entry kept
    assert counts["entries_still_listed"].tolist() == [2, 1, 1, 1]
    cites = entries_citing(store, "2025-01-06")
    assert cites.set_index("country")["entries"].to_dict() == {"China": 1}
    with pytest.raises(UnknownNameError, match="Did you mean 'BIS Entity List'"):
        entity_events(store, list_name="BIS Entity Lst")


def test_no_lists_is_a_typed_error(store) -> None:
    with pytest.raises(NoDataError, match="no export-control list entries"):
        entity_events(store)


def test_effective_date_lists_and_mofcom(store) -> None:
    ingest_files(store, "export_lists", [FIX / "dow_1260h_small.json", FIX / "bis_meu_small.json"])
    ingest_files(store, "mofcom_countermeasures", [FIX / "china-mofcom.csv"])
    df = store.df(
        "SELECT list, name, date_added, date_basis, country_iso3 FROM entity_list ORDER BY list, entry"
    )
    rows = {r["name"]: r for r in df.to_dict(orient="records")}
    assert rows["Aerospace CH UAV Co., Ltd."]["date_basis"] == "earliest citation"
    assert str(rows["Aerospace CH UAV Co., Ltd."]["date_added"])[:10] == "2026-06-10"
    assert str(rows["AECC Aero Science & Technology Co. Ltd."]["date_added"])[:10] == "2020-12-23"
    lm = rows["Lockheed Martin Missiles and Fire Control"]
    assert lm["list"] == "MOFCOM Unreliable Entity List" and lm["country_iso3"] == "USA"
    assert lm["date_basis"] == "listed on"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"list_id": "bis-entity-list", "entities": [{"name": "A"}', "not valid JSON"),
        ('{"list_id": "bis-entity-list", "rows": []}', "no 'entities' list"),
        (
            '{"list_id": "bis-entity-list", "entities": [{"name": "A"}, {"name": " "}]}',
            "entity without a name",
        ),
        ('{"list_id": "x", "count": 3, "entities": [{"name": "A"}]}', "'count' says 3"),
        ('{"list_id": "x", "entities": [{"name": "A", "aliases": "B"}]}', "aliases is str"),
    ],
)
def test_bad_json_is_rejected_and_store_unchanged(
    store, tmp_path: Path, text: str, problem: str
) -> None:
    ingest_files(store, "export_lists", [FIX / "bis_meu_small.json"])
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError, match=problem) as err:
        ingest_files(store, "export_lists", [FIX / "dow_1260h_small.json", bad])
    assert str(bad) in str(err.value)
    assert store.count("entity_list") == 1
    assert len(store.provenance()) == 1


def test_bad_row_names_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"list_id": "x", "entities": [{"name": "A"}, {"name": ""}]}))
    with pytest.raises(SourceFormatError) as err:
        get_source("export_lists").read(bad)
    assert err.value.row == 2 and err.value.column == "name"


def test_mofcom_bad_date(tmp_path: Path) -> None:
    text = (FIX / "china-mofcom.csv").read_text("utf-8-sig").replace("2024-10-10", "10th Oct")
    bad = tmp_path / "china-mofcom.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError, match="not readable") as err:
        get_source("mofcom_countermeasures").read(bad)
    assert err.value.row == 3 and err.value.column == "listed_on"


def test_csl_reader_and_download(store, tmp_path: Path) -> None:
    body = (FIX / "consolidated_csl.json").read_bytes()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=body)

    src = get_source("trade_gov_csl")
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        files = src.download(tmp_path / "dl", client=client)
    assert seen == [CSL_URL]
    ingest_files(store, "trade_gov_csl", files)
    df = store.df(
        "SELECT list, name, country_iso3, date_added, license_policy, aliases FROM entity_list ORDER BY entry"
    )
    assert df["list"].tolist() == ["BIS Entity List", "OFAC SDN"]
    assert df["country_iso3"].tolist() == ["CHN", "RUS"]
    assert str(df["date_added"][0])[:10] == "2019-05-21"
    assert df["license_policy"][0] == "Presumption of denial."
    assert list(df["aliases"][0]) == ["Huawei"]


def test_csl_download_http_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        pytest.raises(FetchError, match="503"),
    ):
        get_source("trade_gov_csl").download(tmp_path, client=client)

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>maintenance</html>")

    with (
        httpx.Client(transport=httpx.MockTransport(html)) as client,
        pytest.raises(FetchError, match="HTML page, not JSON"),
    ):
        get_source("trade_gov_csl").download(tmp_path, client=client)
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob(".*.part"))


# -- acceptance on the staged lists ---------------------------------------------------------
@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory):
    from techties.store import open_store

    folder = shared("tech-export-controls")
    st = open_store(tmp_path_factory.mktemp("el") / "s.duckdb")
    files = [p for p in sorted(folder.glob("*.json")) if p.name != "lists.json"]
    ingest_files(st, "export_lists", files)
    ingest_files(
        st, "mofcom_countermeasures", [folder / "china_countermeasures" / "china-mofcom.csv"]
    )
    yield st
    st.close()


def test_entity_list_china_survivor_counts(real_store) -> None:
    """Catalog 'Published figures' 1: 1,106 China entries; by year first added (survivors)."""
    n = real_store.scalar(
        "SELECT count(*) FROM entity_list WHERE list='BIS Entity List' AND country='China'"
    )
    assert n == 1106
    c = entity_counts_by_year(real_store, country="China", since=2017).dropna()
    got = dict(zip(c["year_added"].astype(int), c["entries_still_listed"], strict=False))
    assert got == {
        2017: 1,
        2018: 29,
        2019: 85,
        2020: 147,
        2021: 81,
        2022: 68,
        2023: 154,
        2024: 264,
        2025: 130,
    }
    allc = entity_counts_by_year(real_store, since=2018).dropna()
    assert dict(
        zip(allc["year_added"].astype(int), allc["entries_still_listed"], strict=False)
    ) == {2018: 116, 2019: 182, 2020: 287, 2021: 163, 2022: 518, 2023: 465, 2024: 518, 2025: 182}
    by_country = real_store.df(
        "SELECT country, count(*) n FROM entity_list WHERE list='BIS Entity List' GROUP BY 1"
    )
    d = by_country.set_index("country")["n"].to_dict()
    assert (d["Russia"], d["Pakistan"], d["Iran"]) == (1081, 183, 115)


@pytest.mark.parametrize(
    ("date", "china", "total"),
    [
        ("2019-05-21", 39, 66),
        ("2019-10-09", 28, 28),
        ("2022-10-13", 24, 24),
        ("2023-03-06", 27, 37),
        ("2023-10-11", 42, 52),
        ("2025-01-16", 25, 28),
        ("2025-03-28", 53, 83),
        # the catalog matched the literal 'M/D/YY' text; one entry each cites these rules with a
        # four-digit year ('12/22/2020', '12/5/2024'), which the date parser also counts
        ("2020-12-22", 60 + 1, 76 + 1),
        ("2024-12-05", 135 + 1, 139 + 1),
    ],
)
def test_entries_citing_rule_dates(real_store, date: str, china: int, total: int) -> None:
    got = entries_citing(real_store, date)
    assert int(got.loc[got["country"] == "China", "entries"].sum()) == china
    assert int(got["entries"].sum()) == total


def test_other_list_sizes(real_store) -> None:
    d = real_store.df(
        "SELECT list, count(*) n, sum((country_iso3='CHN')::INT) chn FROM entity_list GROUP BY 1"
    )
    d = d.set_index("list")
    assert d.loc["OFAC NS-CMIC", "n"] == 68 and d.loc["OFAC NS-CMIC", "chn"] == 64
    assert d.loc["DoW 1260H", "n"] == 80 and d.loc["DHS UFLPA", "n"] == 148
    assert d.loc["FCC Covered List", "n"] == 15 and d.loc["OFAC EO 14032 Annex", "n"] == 59
    assert (
        d.loc["State Nonproliferation", "n"] == 528
        and d.loc["State Nonproliferation", "chn"] == 131
    )
    mofcom = d[d.index.str.startswith("MOFCOM")]["n"]
    assert sorted(mofcom.tolist()) == [33, 43, 120]


def test_ofac_sdn_legacy_csv(store, tmp_path: Path) -> None:
    path = FIX / "ofac_sdn" / "2021-08-18" / "sdn.csv"
    ingest_files(store, "ofac_sdn", [path])
    df = store.df("SELECT entry, name, aliases, notes, snapshot FROM entity_list ORDER BY entry")
    assert df["entry"].tolist() == [36, 306, 9999]  # the Ctrl-Z end-of-file mark is not a row
    assert list(df["aliases"][2]) == ["EXTECH", "EX TECH HK"]
    assert df["notes"][0] == "Program: CUBA"
    assert str(df["snapshot"][0])[:10] == "2021-08-18"
    bad = tmp_path / "sdn.csv"
    bad.write_text("ent_num,SDN_Name\n1,X\n")
    with pytest.raises(SourceFormatError, match="2 columns"):
        get_source("ofac_sdn").read(bad)
    bad.write_text(path.read_text().replace("306,", "3O6,"))
    with pytest.raises(SourceFormatError, match="'3O6' is not a number") as err:
        get_source("ofac_sdn").read(bad)
    assert (err.value.row, err.value.column) == (2, "ent_num")


def test_ofac_sdn_snapshots_published_counts(store) -> None:
    """Catalog figure 9: 9,084 → 14,966 lines (the count includes OFAC's end-of-file mark);
    rows naming China/Hong Kong/PRC in name or remarks: 182 → 433."""
    folder = shared("tech-export-controls", "ofac_sdn")
    ingest_files(store, "ofac_sdn", sorted(folder.glob("*/sdn.csv")))
    df = store.df(
        "SELECT CAST(snapshot AS VARCHAR) AS snap, count(*) AS n, "
        "sum(regexp_matches(name || ' ' || coalesce(notes, ''), 'China|Hong Kong|PRC')::INT) AS cn "
        "FROM entity_list GROUP BY 1 ORDER BY 1"
    )
    assert df.values.tolist() == [["2021-08-18", 9083, 182], ["2024-05-03", 14965, 433]]
