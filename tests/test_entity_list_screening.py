"""Name screening: normalisation, aliases, and a near-miss test set on the staged lists."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import FIXTURES, shared
from techties.errors import NoDataError
from techties.indicators.screening import Screener, load_screener, normalize, screen
from techties.store.ingest import ingest_files

FIX = FIXTURES / "tech"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD"),
        ("Huawei Technologies Company Limited", "huawei tech"),
        ("Peking University", "Beijing University"),
        ("Tsinghua Unigroup", "Qinghua Unigroup"),
        ("Xi'an Aerospace", "Xian Aerospace"),
        ("Hong Kong Tianyi", "HongKong Tianyi"),
        ("Ålesund Électronique GmbH", "alesund electronique"),
        ("北京某某科技有限公司", "北京某某科技"),
        ("Shenzhen Youxian Gongsi Kejian", "Shenzhen Kejian"),
        ("A & B Trading LLC", "A and B Trading"),
    ],
)
def test_normalisation_equates_variants(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_normalisation_keeps_distinct_words() -> None:
    assert normalize("Beijing University of Chemical Technology") != normalize(
        "Beijing University of Technology"
    )


def _entries(rows: list[tuple[str, list[str]]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "list": "L",
                "entry": i,
                "name": n,
                "aliases": a,
                "country": "China",
                "date_added": None,
                "provenance_id": 1,
            }
            for i, (n, a) in enumerate(rows, start=1)
        ]
    )


def test_score_rules_on_a_small_list() -> None:
    sc = Screener(
        _entries(
            [
                ("Hangzhou Hikvision Digital Technology Co., Ltd.", []),
                ("Beijing University of Chemical Technology", []),
                ("Nanjing University of Science and Technology", []),
                ("Academy of Aerospace Solid Propulsion Technology (AASPT)", []),
                ("DJI", ["Da-Jiang Innovations", "SZ DJI Technology Co., Ltd."]),
            ]
        )
    )
    assert [m.name for m in sc.screen("Hik Vision")] == [
        "Hangzhou Hikvision Digital Technology Co., Ltd."
    ]
    assert sc.screen("Hikvision")[0].score == pytest.approx(0.9)  # weak words only missing
    assert sc.screen("Beijing University of Technology") == []
    assert sc.screen("Nanjing University") == []
    assert sc.screen("Nanjing University of Science and Technology Library") == []
    assert [m.matched_on for m in sc.screen("AASPT")] == ["AASPT"]
    assert sc.screen("Da Jiang Innovations Technology Co")[0].name == "DJI"
    assert sc.screen("Hangzhou Hikvisoin Digital Technology")[0].score >= 0.85  # typo (6+ letters)


def test_screen_needs_lists(store) -> None:
    with pytest.raises(NoDataError, match="no export-control list entries"):
        screen(store, "Huawei")


def test_screen_on_fixture_store(store) -> None:
    ingest_files(
        store, "export_lists", [FIX / "bis_entity_list_small.json", FIX / "dow_1260h_small.json"]
    )
    df = screen(store, "SMIC")
    assert df["name"].tolist() == ["Semiconductor Manufacturing International Corporation (SMIC)"]
    assert df["date_added"].tolist() == ["2020-12-22"]
    assert screen(store, "dji", lists=["DoW 1260H"])["name"].tolist() == [
        "Shenzhen DJI Technology Co., Ltd."
    ]
    assert screen(store, "Techcomplect")["country"].tolist() == ["Russia"]


# -- near-miss test set on the staged lists -------------------------------------------------
TRUE_MATCHES = {
    # query → a listed name that must be among the matches
    "HUAWEI TECHNOLOGIES CO LTD": "Huawei Technologies Co., Ltd.",
    "Hikvision": "Hangzhou Hikvision Digital Technology Co., Ltd.",
    "Hik-Vision Digital Tech": "Hangzhou Hikvision Digital Technology Co., Ltd.",
    "SMIC": "Semiconductor Manufacturing International Corporation",
    "Semiconductor Manufacturing Intl Corp": "Semiconductor Manufacturing International Corporation",
    "YMTC": "Yangtze Memory Technologies Co., Ltd.",
    "Sugon": "Sugon",
    "Dawning Information Industry Company Limited": "Dawning Information Industry Co., Ltd.",
    "iFLYTEK": "IFLYTEK",
    "Harbin Institute of Tech": "Harbin Institute of Technology",
    "Northwestern Polytechnical Univ.": "Northwestern Polytechnical University",
    "Hefei Bitland": "Hefei Bitland Information Technology Co., Ltd",
    "ZTE Corp": "ZTE Corporation",
    "Megvii": "Megvii Technology",
}
NEAR_MISSES = [
    # names that resemble listed ones but are different organisations (must NOT match)
    "Beijing University of Technology",
    "Nanjing University",
    "Northwestern University",
    "Shanghai Jiao Tong University",
    "Peking University",
    "ZTT International",
    "Apple Inc.",
    "Xiaomi Corporation",
    "Harbin Engineering Consulting",
    "Huawen Technologies",
]


@pytest.fixture(scope="module")
def real_screener(tmp_path_factory: pytest.TempPathFactory):
    from techties.store import open_store

    folder = shared("tech-export-controls")
    st = open_store(tmp_path_factory.mktemp("scr") / "s.duckdb")
    ingest_files(
        st, "export_lists", [p for p in sorted(folder.glob("*.json")) if p.name != "lists.json"]
    )
    sc = load_screener(st)
    yield sc
    st.close()


@pytest.mark.parametrize(("query", "listed"), sorted(TRUE_MATCHES.items()))
def test_true_matches_are_found(real_screener: Screener, query: str, listed: str) -> None:
    names = [m.name for m in real_screener.screen(query)]
    assert listed in names, f"{query!r} did not find {listed!r}; got {names[:5]}"


@pytest.mark.parametrize("query", NEAR_MISSES)
def test_near_misses_are_not_matched(real_screener: Screener, query: str) -> None:
    got = [(m.score, m.name) for m in real_screener.screen(query)]
    assert got == []


def test_exact_full_name_ranks_first(real_screener: Screener) -> None:
    got = real_screener.screen("Huawei Technologies Co., Ltd.")
    assert got[0].name == "Huawei Technologies Co., Ltd." and got[0].country == "China"
    assert len(got) > 5  # affiliates with country qualifiers also match (score 1.0 after folding)
