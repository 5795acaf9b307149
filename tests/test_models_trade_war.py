"""Event studies, trade diversion and tariff incidence: synthetic truths, store loaders, and the
numbers obtained on the staged real panels.

Real-data pins (CATALOG-trade sections 3, 4, 11): checked by (a) the panel totals equal the
catalog check sums (US imports from China 2018 = 563.2 bn in the Comtrade files), (b) PPML, OLS
and the saturated (Sun–Abraham) estimator agree in sign and rough size, (c) the magnitudes match
the literature: imports of Section-301 products from China fell by roughly 30–40 % relative to
other products within two years (Fajgelbaum et al. 2020; Amiti, Redding & Weinstein 2019), and
duty-exclusive unit values did not fall (full pass-through). Tolerances 0.005 on coefficients
(deterministic fits; the slack covers BLAS differences).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from techties.errors import ModelError, NoDataError
from techties.models import event_study as es
from techties.models import incidence as inc
from techties.models import panels

TOL = 5e-3


def synthetic_panel(seed: int = 0, effect: float = -0.4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, years = 400, np.arange(2014, 2023)
    prod = np.repeat(np.arange(n), len(years))
    per = np.tile(years, n)
    event = np.where(np.arange(n) < 150, 2018.0, np.nan)[prod]
    post = (~np.isnan(event)) & (per >= 2018)
    mu = np.exp(rng.normal(2, 1, n)[prod] + 0.05 * (per - 2014) + effect * post)
    return pd.DataFrame(
        {
            "product": prod.astype(str),
            "partner": "CHN",
            "period": per,
            "value": rng.poisson(mu).astype(float),
            "event_period": event,
        }
    )


def test_event_study_recovers_known_effect() -> None:
    r = es.event_study(synthetic_panel(), es.EventStudySpec(window=(-3, 3)))
    t = r.tidy().set_index("event_time")
    assert set(t.index) == {-3, -2, 0, 1, 2, 3}
    assert t.loc[[0, 1, 2, 3], "estimate"].between(-0.5, -0.3).all()
    assert t.loc[[-3, -2], "estimate"].abs().max() < 0.1
    assert (t["conf_low"] < t["estimate"]).all() and "k=+2" in r.summary()
    chart = r.plot().to_dict()
    assert len(chart["layer"]) == 4  # band, line, zero rule, treatment-start rule
    assert chart["title"]["text"] == "Event study of imports around the tariff dates"


def test_event_study_ols_and_saturated_agree_on_synthetic() -> None:
    p = synthetic_panel(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ols = es.event_study(p, es.EventStudySpec(window=(-3, 3), estimator="ols")).tidy()
        sat = es.event_study(p, es.EventStudySpec(window=(-3, 3), estimator="saturated")).tidy()
    for t in (ols, sat):
        post = t[t["event_time"] >= 0]["estimate"]
        assert post.between(-0.55, -0.25).all(), t


def test_event_study_bad_input() -> None:
    p = synthetic_panel()
    with pytest.raises(ModelError, match="duplicate"):
        es.event_study(pd.concat([p, p.head(3)]))
    with pytest.raises(ModelError, match="no treated products"):
        es.event_study(p.assign(event_period=np.nan))
    with pytest.raises(ModelError, match="panel column 'event_period'"):
        es.event_study(p.drop(columns="event_period"))
    with pytest.raises(ModelError, match="outside the window"):
        es.event_study(p, es.EventStudySpec(window=(0, 3), reference=-1))
    with pytest.raises(ModelError, match="partners \\['VNM'\\]"):
        es.trade_diversion(p, ["VNM"])


def test_incidence_recovers_full_pass_through() -> None:
    rng = np.random.default_rng(3)
    prods, partners, years = 300, ["CHN", "VNM", "MEX"], range(2015, 2022)
    idx = pd.MultiIndex.from_product(
        [range(prods), partners, years], names=["product", "partner", "period"]
    )
    p = idx.to_frame(index=False)
    hit = (p["product"] < 120) & (p["partner"] == "CHN") & (p["period"] >= 2019)
    p["tariff"] = np.where(hit, 0.25, 0.0)
    price = np.exp(rng.normal(0, 0.05, len(p)))  # duty-exclusive price does not react
    qty = np.exp(3 + rng.normal(0, 0.1, len(p)) - 2.0 * np.log1p(p["tariff"]))
    p["quantity"], p["value"] = qty, qty * price
    r = inc.incidence(p)
    t = r.tidy().set_index("outcome")
    assert t.loc["quantity", "estimate"] == pytest.approx(-2.0, abs=0.1)
    assert t.loc["unit_value", "estimate"] == pytest.approx(0.0, abs=0.05)
    assert r.pass_through == pytest.approx(1.0, abs=0.05)
    assert "full" in r.summary()
    with pytest.raises(ModelError, match="looks like percent"):
        inc.incidence(p.assign(tariff=p["tariff"] * 100))
    only_value = inc.incidence(p, outcomes=("value",))
    assert only_value.pass_through is None
    assert "not identified" in only_value.summary()


def test_store_loaders(store) -> None:
    flows = pa.table(
        {
            "source": ["comtrade"] * 4,
            "reporter": ["USA"] * 4,
            "partner": ["CHN", "CHN", "VNM", "CHN"],
            "flow": ["import"] * 4,
            "year": pa.array([2017, 2019, 2019, 2019], pa.int16()),
            "month": pa.array([None] * 4, pa.int8()),
            "classification": ["HS"] * 4,
            "vintage": ["HS2017"] * 4,
            "product_code": ["847130", "847130", "847130", "TOTAL"],
            "product_level": pa.array([6, 6, 6, 0], pa.int8()),
            "value_usd": [10.0, 8.0, 5.0, 1.0],
            "quantity": [2.0, 1.0, 1.0, None],
            "quantity_unit": ["u"] * 4,
            "duties_usd": [None] * 4,
            "value_basis": ["CIF"] * 4,
        }
    )
    measures = pa.table(
        {
            "dataset": ["ustr_301_lists"] * 2,
            "imposer": ["USA"] * 2,
            "target": ["CHN"] * 2,
            "product_code": ["84713000", "84714100"],
            "vintage": ["HTS2018"] * 2,
            "product_level": pa.array([8, 8], pa.int8()),
            "measure": ["301_list4a", "301_list3"],
            "kind": ["additional"] * 2,
            "program": ["section_301"] * 2,
            "rate_pct": [15.0, 10.0],
            "specific_rate": [False, False],
            "rate_text": ["+15%", "+10%"],
            "start_date": pa.array(
                [pd.Timestamp("2019-09-01").date(), pd.Timestamp("2018-09-24").date()]
            ),
            "end_date": pa.array([None, None], pa.date32()),
            "status": ["in_force"] * 2,
            "legal_reference": ["9903.88.15", "9903.88.03"],
        }
    )
    with pytest.raises(NoDataError):
        panels.store_flows(store, ["CHN"])
    with store.transaction():
        store.write(source="t", table="trade_flows", data=flows, location="x", sha256="a", nbytes=1)
        store.write(
            source="t", table="tariff_measures", data=measures, location="y", sha256="b", nbytes=1
        )
    f = panels.store_flows(store, ["CHN", "VNM"])
    assert len(f) == 3 and f["value"].sum() == 23.0
    t = panels.store_treatment(store)
    assert dict(zip(t["product"], t["event_period"], strict=True)) == {
        "847130": 2019,
        "847141": 2018,
    }
    p = panels.attach_treatment(f, t)
    assert p.loc[p["partner"] == "VNM", "event_period"].iloc[0] == 2019.0


# ------------------------------------------------------------------------------ real panels
# built from the store (sources comtrade and bown_waves), as the incidence checker builds them


@pytest.fixture(scope="module")
def hs6_flows(real_store) -> pd.DataFrame:
    return panels.comtrade_hs6(real_store, ("CHN", "VNM", "MEX"), years=range(2015, 2025))


@pytest.fixture(scope="module")
def waves(real_store) -> pd.DataFrame:
    return panels.bown_waves(real_store)


def test_store_panels_trace_to_their_files(real_store, hs6_flows, waves) -> None:
    prov = real_store.provenance(hs6_flows.attrs["provenance_ids"])
    names = {p.rsplit("/", 1)[-1] for p in prov["location"]}
    assert {"us_china.rds", "us_vietnam_1521.rds", "us_mexico_2225.rds"} <= names
    assert real_store.provenance(waves.attrs["provenance_ids"])["location"].str.endswith(
        "TrumpTariffs-CHN-hs6.dta"
    ).all()
    # catalog §8.11: simple means over the 5,309 HS6 lines (pp)
    assert len(waves) == 5309
    means = waves.drop(columns="hs06").mean()
    for col, v in {"TT301_a": 2.42, "TT301_b": 0.80, "TT301_c": 5.48, "TT301_d": 8.21,
                   "TT301_e": 3.54, "TT301_f": -1.77, "TT232_1": 0.83}.items():  # fmt: skip
        assert means[col] == pytest.approx(v, abs=0.005), col


@pytest.mark.slow
def test_real_event_study_and_diversion(hs6_flows: pd.DataFrame, waves: pd.DataFrame) -> None:
    chn18 = hs6_flows[(hs6_flows["partner"] == "CHN") & (hs6_flows["period"] == 2018)]
    assert chn18["value"].sum() / 1e9 == pytest.approx(563.2, abs=0.1)  # catalog check sum
    treat = panels.bown_treatment(waves)
    assert treat["list"].value_counts()["301 List 1"] == 558
    stable = panels.stable_codes(hs6_flows)
    assert stable.attrs["stable_share"] == pytest.approx(0.878, abs=0.002)
    p = panels.attach_treatment(stable, treat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = es.event_study(p[p["partner"] == "CHN"], es.EventStudySpec(window=(-3, 5)))
        div = es.trade_diversion(p, ["MEX", "VNM"])
    t = r.tidy().set_index("event_time")["estimate"]
    for k, v in {-2: -0.021, 0: 0.058, 1: -0.181, 2: -0.377, 5: -0.509}.items():
        assert t[k] == pytest.approx(v, abs=TOL), k
    d = div.tidy().set_index(["partner", "event_time"])["estimate"]
    assert d[("MEX", 1)] == pytest.approx(0.139, abs=TOL)  # Mexico: diversion toward it
    assert d[("VNM", 1)] == pytest.approx(-0.600, abs=TOL)  # Vietnam: fast-growing untaxed lines
    assert "diversion" in div.summary()


@pytest.mark.slow
def test_real_incidence_comtrade_hs6(hs6_flows: pd.DataFrame, waves: pd.DataFrame) -> None:
    fl = hs6_flows[hs6_flows["period"] <= 2021]
    tar = inc.bown_annual_tariff(waves, range(2015, 2022))
    assert tar.groupby("period")["tariff"].mean()[2020] == pytest.approx(0.188, abs=0.001)
    p = inc.comtrade_incidence_panel(panels.stable_codes(fl), tar)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = inc.incidence(p, panel_name="comtrade_hs6_annual")
    t = r.tidy().set_index("outcome")["estimate"]
    # pinned on the store's Comtrade rows, where "N/A" quantities are missing (not a unit of
    # their own); the sample is then 61,533 value rows and 59,710 quantity rows
    assert r.nobs == {"value": 61533, "quantity": 59710, "unit_value": 59710}
    assert t["value"] == pytest.approx(-2.942, abs=TOL)
    assert t["quantity"] == pytest.approx(-3.282, abs=TOL)
    assert t["unit_value"] == pytest.approx(0.327, abs=TOL)
    # no fall in duty-exclusive prices: the 95 % CI of β_P lies at or above 0 (≈ +0.007 … +0.648)
    row = r.tidy().set_index("outcome").loc["unit_value"]
    assert 0 < row["conf_low"] < 0.05 and 0.6 < row["conf_high"] < 0.7
    assert "hence pass-through" in r.summary()


def test_real_incidence_census_monthly(real_store) -> None:
    hs2 = inc.census_monthly_panel(real_store, "census", level=2)
    chn17 = hs2[(hs2["partner"] == "CHN") & (hs2["period"] // 12 == 2017)]
    assert chn17["value"].sum() / 1e9 == pytest.approx(503.65, abs=0.01)  # catalog 11.1
    prov = real_store.provenance(hs2.attrs["provenance_ids"])
    assert prov["location"].str.endswith("data-2021-07.parquet").all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = inc.incidence(hs2, outcomes=("value",), panel_name="census_hs2_monthly")
        naics = inc.census_monthly_panel(real_store, "census_naics_monthly", level=3)
        rn = inc.incidence(naics, outcomes=("value",), panel_name="census_naics_monthly")
    assert r.tidy()["estimate"].iloc[0] == pytest.approx(-3.804, abs=TOL)
    assert rn.tidy()["estimate"].iloc[0] == pytest.approx(-3.180, abs=TOL)
    assert r.pass_through is None and "NO pass-through" in r.summary()
