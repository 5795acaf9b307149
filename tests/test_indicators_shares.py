"""Shares and concentration on small frames written to a real store, and their invariants."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.indicators.flows import write_flows
from techties.errors import ConfigError, NoDataError
from techties.indicators.concentration import chokepoints, supplier_concentration
from techties.indicators.shares import Selection, partner_shares
from techties.store import Store, open_store


def _flows(values: dict[tuple[int, str, str], float]) -> list[dict[str, object]]:
    return [
        {"year": y, "partner": p, "product_code": k, "value_usd": v}
        for (y, p, k), v in values.items()
    ]


@pytest.fixture()
def small(store: Store) -> Store:
    rows = {}
    for y, (c, v, m, w) in {2017: (50, 20, 10, 100), 2024: (30, 30, 20, 100)}.items():
        for p, val in (("CHN", c), ("VNM", v), ("MEX", m), ("WLD", w)):
            rows[(y, p, "854231")] = float(val)
            rows[(y, p, "847130")] = float(val * 2)
    write_flows(store, _flows(rows), location="small.csv")
    return store


def test_world_share_and_labels(small: Store) -> None:
    res = partner_shares(small, level=2, partners=["CHN", "VNM"])
    # HS 84: 2017 CHN 100 of WLD 200 = 0.5; HS 85: 2024 VNM 30 of 100 = 0.3
    assert res.share("CHN", "84", 2017) == pytest.approx(0.5)
    assert res.share("VNM", "85", 2024) == pytest.approx(0.3)
    t = res.tidy()
    assert set(t["partner"]) == {"CHN", "VNM"}
    assert {"period", "product", "partner", "value_usd", "total_usd", "share"} <= set(t.columns)
    assert res.source == "test: small.csv (sha256 " + res.source.split("sha256 ")[1]
    d = res.to_dict()
    assert d["units"].startswith("share of imports") and d["table"][0]["share"] == 0.5


def test_partner_denominator_excludes_world(small: Store) -> None:
    res = partner_shares(small, level=6, denominator="partners")
    # 2017 HS 854231: CHN 50 / (50 + 20 + 10) = 0.625
    assert res.share("CHN", "854231", 2017) == pytest.approx(0.625)
    assert any("not the reporter's world total" in n for n in res.notes)


def test_no_world_total_is_an_error_not_an_approximation(store: Store) -> None:
    write_flows(store, _flows({(2017, "CHN", "854231"): 5.0, (2017, "VNM", "854231"): 5.0}))
    with pytest.raises(NoDataError, match=r"no world total \(partner WLD\).*CHN, VNM"):
        partner_shares(store, level=6)


def test_two_sources_must_be_chosen(small: Store) -> None:
    write_flows(
        small,
        [
            {
                "source": "other",
                "year": 2017,
                "partner": "CHN",
                "product_code": "854231",
                "value_usd": 1.0,
            }
        ],
        location="o.csv",
    )
    with pytest.raises(ConfigError, match="2 sources"):
        partner_shares(small, level=2)
    assert partner_shares(small, level=2, source="test").share("CHN", "85", 2017) == 0.5


def test_levels_are_not_added_together(store: Store) -> None:
    rows = [
        {"year": 2017, "partner": p, "product_code": code, "value_usd": v}
        for p, code, v in (
            ("CHN", "TOTAL", 10.0),
            ("WLD", "TOTAL", 40.0),
            ("CHN", "85", 10.0),
            ("WLD", "85", 40.0),
            ("CHN", "8542", 10.0),
            ("WLD", "8542", 40.0),
        )
    ]
    write_flows(store, rows)
    assert partner_shares(store, level=0).tidy()["value_usd"].tolist() == [10.0]
    assert partner_shares(store, level=2).tidy()["value_usd"].tolist() == [10.0]
    with pytest.raises(NoDataError, match="go only to 4 digits"):
        partner_shares(store, level=6)


def test_annual_from_monthly_counts_months(store: Store) -> None:
    rows = [
        {"year": 2025, "month": m, "partner": p, "product_code": "85", "value_usd": v}
        for m in range(1, 4)
        for p, v in (("CHN", 1.0), ("WLD", 4.0))
    ]
    write_flows(store, rows)
    res = partner_shares(store, level=2)
    assert res.tidy()["n_months"].tolist() == [3]
    assert res.share("CHN", "85", 2025) == 0.25
    assert any("incomplete years: [2025]" in n for n in res.notes)


def test_eu_member_counted_once(store: Store) -> None:
    rows = _flows(
        {(2024, "EUN", "8542"): 8.0, (2024, "SVK", "8542"): 2.0, (2024, "CHN", "8542"): 2.0}
    )
    write_flows(store, rows)
    res = partner_shares(store, level=4, denominator="partners")
    assert res.share("CHN", "8542", 2024) == pytest.approx(2 / 10)


def test_hs_vintages_harmonised_through_concordance(store: Store) -> None:
    rows = [
        {"year": 2017, "vintage": "HS2017", "partner": p, "product_code": "847130", "value_usd": v}
        for p, v in (("CHN", 6.0), ("WLD", 10.0))
    ] + [
        {"year": 2023, "vintage": "HS2022", "partner": p, "product_code": "847131", "value_usd": v}
        for p, v in (("CHN", 4.0), ("WLD", 10.0))
    ]
    write_flows(store, rows)
    conc = pa.table(
        {
            "from_vintage": ["HS2022"],
            "from_code": ["847131"],
            "to_vintage": ["HS2017"],
            "to_code": ["847130"],
            "relationship": ["n:1"],
            "weight": [1.0],
            "weight_basis": ["equal"],
        }
    )
    with store.transaction():
        store.write(
            source="test_concordance",
            table="hs_concordance",
            data=conc,
            location="conc.csv",
            sha256="c" * 64,
            nbytes=1,
        )
    plain = partner_shares(store, level=6, partners=["CHN"])
    assert set(plain.tidy()["product"]) == {"847130", "847131"}
    same = partner_shares(store, level=6, partners=["CHN"], hs_vintage="HS2017")
    assert set(same.tidy()["product"]) == {"847130"}
    assert same.share("CHN", "847130", 2023) == pytest.approx(0.4)
    assert any("harmonised to HS2017" in n for n in same.notes)


def test_concentration_and_chokepoints(small: Store) -> None:
    res = supplier_concentration(small, level=6, years=(2017, 2017))
    row = res.tidy().set_index("product").loc["854231"]
    # suppliers 50, 20, 10 → shares .625, .25, .125 → HHI = .390625 + .0625 + .015625
    assert row["hhi"] == pytest.approx(0.46875)
    assert row["top_share"] == pytest.approx(0.625) and row["top_supplier"] == "CHN"
    ck = chokepoints(small, level=6)
    assert ck.count(2017, 0.5) == 2 and ck.count(2017, 0.7) == 0
    assert ck.count(2024, 0.5) == 0
    assert ck.count(2017, 0.5, "CHN") == 2
    with pytest.raises(ConfigError):
        chokepoints(small, level=6, thresholds=(1.5,))


def test_bad_selection_names_the_fix() -> None:
    with pytest.raises(ConfigError, match="Use one of HS, NAICS"):
        Selection(classification="SITC")


def test_charts_render(small: Store, tmp_path: Path) -> None:
    from techties import charts

    res = partner_shares(small, level=2, partners=["CHN", "VNM"])
    spec = res.plot().to_dict()
    assert "CHN and VNM share of USA's imports" in str(spec)
    assert "Source: test: small.csv" in str(spec)
    stacked = res.plot(kind="stacked", products=["84"]).to_dict()
    assert "Suppliers of USA's imports, 84" in str(stacked)
    # the stack is CHN, VNM and "other" = 1 − listed shares (2017: 1 − 0.5 − 0.2)
    rows = next(iter(stacked["datasets"].values()))
    other = [r["share"] for r in rows if r["supplier"] == "other"]
    assert other == pytest.approx([0.3, 0.4])
    out = charts.save(supplier_concentration(small, level=6).plot(), tmp_path / "c.svg")
    assert out.read_text().startswith("<svg")


# -- properties ---------------------------------------------------------------------------------
PARTNERS = ["CHN", "VNM", "MEX", "KOR", "TWN", "DEU"]
panel = st.lists(
    st.tuples(
        st.sampled_from([2017, 2018]),
        st.sampled_from(PARTNERS),
        st.sampled_from(["854231", "847130", "850440"]),
        st.floats(min_value=0.01, max_value=1e9, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


_PROP: dict[str, object] = {}


def _prop_store() -> Store:
    """One in-memory store for every example; each example writes under its own source names."""
    if "store" not in _PROP:
        _PROP["store"] = open_store(":memory:")
        _PROP["n"] = 0
    return _PROP["store"]  # type: ignore[return-value]


def _write(s: Store, rows: list[tuple[int, str, str, float]], source: str) -> None:
    write_flows(
        s,
        [
            {"source": source, "year": y, "partner": p, "product_code": k, "value_usd": v}
            for y, p, k, v in rows
        ],
        location=f"{source}.csv",
    )


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(rows=panel, seed=st.randoms(use_true_random=False))
def test_properties_sum_hhi_order(rows: list[tuple[int, str, str, float]], seed: object) -> None:
    s = _prop_store()
    _PROP["n"] = n = int(_PROP["n"]) + 1  # type: ignore[call-overload]
    shuffled = list(rows)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    _write(s, rows, f"a{n}")
    _write(s, shuffled, f"b{n}")
    sa = partner_shares(s, level=6, denominator="partners", source=f"a{n}").tidy()
    sums = sa.groupby(["year", "product"])["share"].sum()
    assert all(math.isclose(x, 1.0, rel_tol=1e-9) for x in sums)
    ca = supplier_concentration(s, level=6, source=f"a{n}").tidy()
    k = ca["n_suppliers"]
    assert ((ca["hhi"] >= 1 / k - 1e-12) & (ca["hhi"] <= 1 + 1e-12)).all()
    assert (ca["top_share"] ** 2 <= ca["hhi"] + 1e-12).all()
    sb = partner_shares(s, level=6, denominator="partners", source=f"b{n}").tidy()
    cb = supplier_concentration(s, level=6, source=f"b{n}").tidy()
    cols = ["year", "product", "partner", "value_usd", "share"]
    pd.testing.assert_frame_equal(sa[cols], sb[cols], rtol=1e-12)
    keys = ["year", "product", "n_suppliers", "hhi", "top_share", "top_supplier"]
    pd.testing.assert_frame_equal(ca[keys], cb[keys], rtol=1e-12)


def test_one_value_basis_and_group_exclusions(store: Store) -> None:
    rows = []
    for basis, scale in (("customs_consumption", 1.0), ("customs_general", 1.5)):
        for p, code, v in (
            ("CHN", "854231", 6.0),
            ("CHN", "854140", 4.0),
            ("WLD", "854231", 10.0),
            ("WLD", "854140", 10.0),
        ):
            rows.append(
                {
                    "year": 2017,
                    "partner": p,
                    "product_code": code,
                    "value_usd": v * scale,
                    "value_basis": basis,
                }
            )
    write_flows(store, rows)
    res = partner_shares(store, level=0, partners=["CHN"])
    # customs_consumption only: 10 of 20, not 25 of 50 added across bases
    assert res.tidy()["value_usd"].tolist() == [10.0]
    ex_pv = partner_shares(store, level=0, group="semiconductors_ex_pv", partners=["CHN"])
    assert ex_pv.share("CHN", "semiconductors_ex_pv", 2017) == pytest.approx(0.6)
    assert any("excluding 854140" in n for n in ex_pv.notes)


@pytest.mark.parametrize("unique_rows", [False, True])
def test_materialised_panel_matches_the_functions(small: Store, unique_rows: bool) -> None:
    from techties.indicators.concentration import materialise_panel

    sel = Selection(reporter=None, level=6)
    counts = materialise_panel(small, sel, prefix="t_", unique_rows=unique_rows)
    # chokepoint rows: 2 years × 2 thresholds × (ALL + the one top supplier of that year)
    assert counts == {"shares": 12, "concentration": 4, "chokepoints": 8}
    conc = small.df("SELECT * FROM t_concentration ORDER BY product, year")
    ref = supplier_concentration(small, sel).tidy().sort_values(["product", "year"])
    assert conc["hhi"].tolist() == pytest.approx(ref["hhi"].tolist())
    assert conc["top_supplier"].tolist() == ref["top_supplier"].tolist()
    shares = small.df(
        "SELECT * FROM t_shares WHERE partner = 'CHN' AND product = '854231' ORDER BY year"
    )
    assert shares["share"].tolist() == pytest.approx([0.625, 0.375])
    assert (
        small.scalar(
            "SELECT sum(n_chokepoints) FROM t_chokepoints WHERE top_supplier = "
            "'ALL' AND threshold = 0.5"
        )
        == 2
    )
