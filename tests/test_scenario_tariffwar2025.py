"""The 2025 tariff war scenarios: shocks read from the stored series, on every baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared
from techties.errors import ConfigError
from techties.simulation.baselines import OneSectorBaseline
from techties.simulation.library import LIBRARY, library_names
from techties.simulation.scenario import Scenario
from techties.simulation.tariffwar2025 import EPISODES, EU27, resolve, series_levels
from techties.store import Store
from techties.store.ingest import ingest_files
from test_sources_tariff_war_2025 import tracker, ttd

LIB = [n for n in library_names() if n.startswith("tariffwar2025_")]


def test_every_episode_with_and_without_retaliation_on_both_baselines() -> None:
    want = {f"tariffwar2025_{e}{r}_{b}" for e in EPISODES for r in ("", "_retaliation")
            for b in ("icio2022", "liberation_day")}  # fmt: skip
    assert set(LIB) == want


def test_shocks_from_a_small_store(store: Store, tmp_path: Path) -> None:
    ingest_files(store, "tariff_war_2025", [tracker(tmp_path), ttd(tmp_path)])
    sc = Scenario.from_dict({"name": "t", "baseline": "wiod2014", "elasticities": {"sigma": 5},
                             "tariff_war_2025": {"episode": "truce", "retaliation": "china"}})  # fmt: skip
    assert sc.tariff_war is not None
    countries = ("CHN", "DEU", "FRA", "JPN", "USA", "VNM")
    shocks, log, ids = resolve(sc.tariff_war, store, countries)
    got = {(s.imposer, s.target): s.add for s in shocks}
    mean_ex_china = (10 * 6e11 + 7.5 * 1.4e11) / (6e11 + 1.4e11)
    assert got[("USA", "CHN")] == 27 and got[("USA", "DEU")] == got[("USA", "FRA")] == 10
    assert got[("USA", "JPN")] == pytest.approx(mean_ex_china)
    assert got[("CHN", "USA")] == pytest.approx(((20 - 10) * 1e6 + (15 - 5) * 3e6) / 4e6)
    assert "retaliation: China" in log[-1] and ids


def test_missing_date_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    ingest_files(store, "tariff_war_2025", [tracker(tmp_path), ttd(tmp_path)])
    from techties.errors import NoDataError

    with pytest.raises(NoDataError, match="no date 2025-04-10"):
        series_levels(store, "april2")  # the small TTD file has 12 April, not 10 April
    lv = series_levels(store, "truce")
    assert lv.chn_increase == pytest.approx(((20 - 10) * 1e6 + (15 - 5) * 3e6) / 4e6)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"episode": "peek"}, "Did you mean 'peak'"),
        ({"episode": "peak", "retaliate": "china"}, "unknown key 'retaliate'"),
        ({"episode": "peak", "retaliation": "all"}, "retaliation 'all'"),
        ({"episode": "peak", "others": "max"}, "others is 'mean' or a number"),
        ({"retaliation": "china"}, "needs 'episode'"),
    ],
)
def test_block_is_validated(block: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Scenario.from_dict({"name": "t", "baseline": "icio2022", "tariff_war_2025": block})


def test_run_on_a_small_store_logs_what_was_applied(store: Store, tmp_path: Path) -> None:
    ingest_files(store, "tariff_war_2025", [tracker(tmp_path), ttd(tmp_path)])
    countries = ("CHN", "DEU", "USA")
    trade = np.array([[500.0, 20, 40], [10, 800, 30], [15, 25, 900]])
    base = OneSectorBaseline(countries=countries, trade=trade, name="toy")
    sc = Scenario.from_dict({"name": "t", "baseline": "liberation_day",
                             "elasticities": {"sigma": 5},
                             "tariff_war_2025": {"episode": "truce", "retaliation": "mirror"}})  # fmt: skip
    res = sc.run(store=store, base=base)
    steps = "\n".join(res.steps)
    assert "tariff_war_2025 truce: US increases of 2025-05-12" in steps
    assert "tariff USA on CHN: +27 pp" in steps and "tariff CHN on USA: +27 pp" in steps
    assert res.tidy().set_index("country").loc["CHN", "welfare_pct"] < 0


# --------------------------------------------------------------------------- real data


def _tracker_csv() -> pd.DataFrame:
    return pd.read_csv(shared("trade-tariffs", "trade-war-redux-2025", "country-by-time.csv"))


def _ttd_mean(date: str) -> float:
    df = pd.read_csv(shared("trade-tariffs", "wto-ttd", "C156_C840.csv"), dtype={"hs_code": str})
    wide = df.pivot(index="hs_code", columns="year_dt", values="best_avlbl")
    w = df.groupby("hs_code")["imports"].max()
    ok = wide[date].notna() & wide["2025-01-01"].notna() & (w > 0)
    return float(np.average((wide[date] - wide["2025-01-01"])[ok], weights=w[ok]))


@pytest.mark.parametrize("baseline", ["icio2022", "liberation_day"])
@pytest.mark.parametrize("episode", list(EPISODES))
def test_tariff_inputs_equal_the_stored_series(real_store: Store, episode: str, baseline: str) -> None:
    from techties.simulation.mc_multisector import load_named_baseline

    sc = Scenario.from_yaml(LIBRARY / f"tariffwar2025_{episode}_retaliation_{baseline}.yaml")
    base = load_named_baseline(baseline, real_store)
    assert sc.tariff_war is not None
    shocks, _, _ = resolve(sc.tariff_war, real_store, base.countries)
    got = {(s.imposer, s.target): s.add for s in shocks}
    csv = _tracker_csv()
    us_date, chn_date = EPISODES[episode]
    us_date = us_date or csv["date"].max()
    at = csv[csv.date == us_date].set_index("country_name")["effective tariff"]
    for name, iso in {"CHINA": "CHN", "VIETNAM": "VNM", "MEXICO": "MEX", "CANADA": "CAN",
                      "JAPAN": "JPN", "INDIA": "IND"}.items():  # fmt: skip
        assert got[("USA", iso)] == pytest.approx(at[name], abs=1e-8), (iso, us_date)
    for member in EU27:
        assert got[("USA", member)] == pytest.approx(at["EUROPEAN UNION"], abs=1e-8)
    assert got[("CHN", "USA")] == pytest.approx(_ttd_mean(chn_date or "2026-05-01"), abs=1e-8)
    assert len([k for k in got if k[0] == "USA"]) == len(base.countries) - 1


ZERO = {"tariff": {"imposer": "USA", "target": "CHN", "add": 0}}


@pytest.mark.parametrize("baseline", ["cp2015", "eora2017", "icio2022", "wiod2014", "liberation_day"])
def test_zero_shock_gives_zero_change(real_store: Store, baseline: str) -> None:
    one = baseline in ("wiod2014", "liberation_day")
    sc = Scenario.from_dict({"name": "zero", "baseline": baseline, "shocks": [ZERO],
                             **({"elasticities": {"sigma": 5}} if one else {})})  # fmt: skip
    t = sc.run(store=real_store).tidy().drop(columns="country")
    assert np.abs(t.to_numpy()).max() < 1e-6, baseline


@pytest.fixture(scope="module")
def tariff_war(real_store: Store) -> dict[str, pd.DataFrame]:
    return {n: Scenario.from_yaml(LIBRARY / f"{n}.yaml").run(store=real_store, draws=3, workers=1)
            .tidy().set_index("country") for n in LIB}  # fmt: skip


def test_one_sector_us_gains_without_retaliation_and_less_with_it(tariff_war: dict) -> None:
    for ep in EPISODES:
        alone = tariff_war[f"tariffwar2025_{ep}_liberation_day"]
        hit = tariff_war[f"tariffwar2025_{ep}_retaliation_liberation_day"]
        # a large country with σ = 5 gains from tariffs below its optimum when nobody
        # retaliates (Ignatenko et al. 2025: "modest welfare gains"); retaliation cuts that
        assert 0 < alone.loc["USA", "welfare_pct"] < 2, ep
        assert hit.loc["USA", "welfare_pct"] < alone.loc["USA", "welfare_pct"], ep
        assert alone.loc["CHN", "welfare_pct"] < 0, ep
        assert len(alone) == 194 and {"welfare_pct_low", "welfare_pct_high"} <= set(alone.columns)


def test_multisector_has_every_icio_economy_with_intervals(tariff_war: dict) -> None:
    for ep in EPISODES:
        t = tariff_war[f"tariffwar2025_{ep}_retaliation_icio2022"]
        assert len(t) == 81
        assert (t.real_income_change_low <= t.real_income_change_high).all()
        assert t.loc["CHN", "real_income_change"] < 0, ep
