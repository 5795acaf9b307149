"""Declarative scenarios: validation errors, baselines, the US–China library, uncertainty, CLI.

Signs asserted for the library (2017 Eora26 baseline, calibrated) follow from the model:
tariffs the US and China levy on each other lower both countries' real income (efficiency and
terms-of-trade losses dominate with θ of 3–9 and revenue rebated) and raise that of close
substitutes such as Mexico and Vietnam (trade diversion); lifting them reverses the signs, and
lifting China's retaliation too helps the US more than lifting US tariffs alone (its exports
face lower duties). Export controls shut part of Korea's and Taiwan's sales to China: both lose,
as does China; removing the controls from that world is the exact inverse.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from conftest import FIXTURES, SHARED_DATA, shared
from techties.errors import ConfigError, UnknownNameError
from techties.simulation.scenario import Scenario
from techties.store import Store

LIBRARY = Path(__file__).resolve().parents[1] / "src/techties/simulation/scenarios"


def _scenario(**kw: object) -> Scenario:
    data = {"name": "t", "baseline": "eora2017", "shocks": [], **kw}
    return Scenario.from_dict(data)


def _run(store: Store, sc: Scenario, **kw: object):  # type: ignore[no-untyped-def]
    return sc.run(store=store, workers=1, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ({"baseline": "eora2071"}, UnknownNameError, "Did you mean 'eora2017'"),
        ({"shocks": [{"tarif": {}}]}, ConfigError, "Did you mean 'tariff'"),
        (
            {"shocks": [{"tariff": {"imposer": "USA", "target": "CHN"}}]},
            ConfigError,
            "exactly one of add, to, by_sector",
        ),
        (
            {"shocks": [{"tariff": {"imposer": "USA", "target": "CHN", "to": -5}}]},
            ConfigError,
            "impossible",
        ),
        (
            {"shocks": [{"export_control": {"from": "USA", "to": "CHN", "share": 1.5}}]},
            ConfigError,
            "share = 1.5 is impossible",
        ),
        (
            {"shocks": [{"export_control": {"from": "USA", "to": "CHN", "cots": 5}}]},
            ConfigError,
            "Did you mean 'cost'",
        ),
        ({"elasticities": {"range": [1.2, 0.8]}}, ConfigError, "low 1.2 is above high 0.8"),
        ({"baseline": "wiod2014"}, ConfigError, "needs elasticities.sigma"),
        ({"colour": 1}, ConfigError, "unknown key 'colour'"),
    ],
)
def test_invalid_scenarios_fail_clearly(data: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        _scenario(**data)


def test_coefficient_file_is_checked(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"terms": ["FTA"], "estimate": [0.4]}))
    spec = {"file": "c.json", "term": "RTA", "pairs": [["USA", "CHN"]]}
    with pytest.raises(UnknownNameError, match="Did you mean 'FTA'"):
        Scenario.from_dict(
            {"name": "t", "baseline": "eora2017", "shocks": [{"coefficient": spec}]},
            base_dir=tmp_path,
        )


def test_unknown_country_and_sector_at_run(real_store: Store) -> None:
    bad_country = _scenario(shocks=[{"tariff": {"imposer": "USA", "target": "CHINA", "add": 5}}])
    with pytest.raises(UnknownNameError, match="unknown country 'CHINA'"):
        _run(real_store, bad_country)
    bad_sector = _scenario(
        shocks=[{"tariff": {"imposer": "USA", "target": "CHN", "sectors": ["Chips"], "add": 5}}]
    )
    with pytest.raises(UnknownNameError, match="unknown sector 'Chips'"):
        _run(real_store, bad_sector)


# --------------------------------------------------------------------------- baselines


def test_eora_raw_is_not_an_equilibrium_but_calibrated_is(real_store: Store) -> None:
    from techties.simulation.baselines import load_eora2017
    from techties.simulation.caliendo_parro import solve_caliendo_parro

    raw = load_eora2017(real_store, calibrate=False)
    assert raw.value_added[raw.index_of("USA")] / 1e6 == pytest.approx(18_545.3, abs=0.1)  # bn USD
    moved = solve_caliendo_parro(raw)
    assert 0.005 < np.max(np.abs(moved.w_hat - 1)) < 0.012  # catalog: about 0.85 %
    zero = _run(real_store, _scenario())
    values = zero.tidy().drop(columns="country").to_numpy()
    assert len(zero.tidy()) == 37 and np.max(np.abs(values)) < 1e-8


def test_one_sector_loaders(real_store: Store) -> None:
    from techties.simulation.baselines import load_liberation_day, load_wiod2014_onesector

    w = load_wiod2014_onesector(real_store)
    assert w.trade.shape == (44, 44) and w.trade[w.index_of("CHN"), w.index_of("CHN")] > 0
    ld = load_liberation_day(real_store)
    chn, usa = ld.index_of("CHN"), ld.index_of("USA")
    assert ld.trade[chn, usa] / 1e6 == pytest.approx(440.5, abs=0.1)  # catalog §10.4
    assert ld.tariff is not None and ld.tariff[chn, usa] == pytest.approx(0.54)
    assert not ld.has_domestic


# --------------------------------------------------------------------------- library


def _lib(name: str) -> Scenario:
    return Scenario.from_yaml(LIBRARY / f"{name}.yaml")


@pytest.fixture(scope="module")
def library(real_store: Store) -> dict:
    names = [
        "uschina_escalation",
        "uschina_lift301",
        "uschina_lift_all",
        "chip_export_controls",
        "chip_export_controls_removal",
    ]
    return {
        n: _lib(n).run(store=real_store, draws=3, workers=1).tidy().set_index("country")
        for n in names
    }


def test_library_reports_every_country_with_intervals(library: dict) -> None:
    for name, t in library.items():
        assert len(t) == 37, name
        lo, mid, hi = t.real_income_change_low, t.real_income_change, t.real_income_change_high
        assert (lo <= hi).all(), name
        # the central θ factor (1) lies inside the draw range, so intervals bracket it loosely
        assert ((lo - 0.05 <= mid) & (mid <= hi + 0.05)).all(), name


def test_tariff_escalation_signs(library: dict) -> None:
    esc = library["uschina_escalation"].real_income_change
    assert esc["USA"] < 0 and esc["CHN"] < 0
    assert esc["CHN"] < esc["USA"]  # China is more exposed (larger trade share of GDP)
    assert esc["MEX"] > 0 and esc["VNM"] > 0  # trade diversion
    l301 = library["uschina_lift301"].real_income_change
    lall = library["uschina_lift_all"].real_income_change
    assert l301["USA"] > 0 and l301["CHN"] > 0
    assert lall["USA"] > l301["USA"]
    assert lall["MEX"] < 0  # diversion unwinds


def test_export_controls_and_their_removal(library: dict) -> None:
    imp = library["chip_export_controls"].real_income_change
    rem = library["chip_export_controls_removal"].real_income_change
    for c in ("CHN", "KOR", "TWN"):
        assert imp[c] < 0
    # removal from the controlled world is the exact inverse of imposing them
    assert np.allclose((1 + imp / 100) * (1 + rem / 100), 1, atol=1e-8)


@pytest.mark.slow
def test_library_rates_match_the_derivation() -> None:
    import importlib.util

    shared("trade-flows", "us-comtrade-hs6-2015-2025", "us_china.rds")
    path = FIXTURES / "simulation" / "derive_uschina_rates.py"
    spec = importlib.util.spec_from_file_location("derive_uschina_rates", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rates = mod.derive(SHARED_DATA)
    esc = yaml.safe_load((LIBRARY / "uschina_escalation.yaml").read_text())
    assert esc["shocks"][0]["tariff"]["by_sector"] == pytest.approx(rates["us_all"], abs=0.01)
    assert esc["shocks"][1]["tariff"]["by_sector"] == pytest.approx(
        rates["china_retaliation"], abs=0.01
    )
    lift = yaml.safe_load((LIBRARY / "uschina_lift301.yaml").read_text())
    neg = {k: -v for k, v in rates["us_301"].items()}
    assert lift["shocks"][0]["tariff"]["by_sector"] == pytest.approx(neg, abs=0.01)


# --------------------------------------------------------------------------- coefficients


def test_fta_coefficient_draws_one_sector(tmp_path: Path, real_store: Store) -> None:
    (tmp_path / "fta.json").write_text(
        json.dumps(
            {
                "terms": ["FTA"],
                "estimate": [0.4],
                "vcov": [[0.01]],
                "se_type": "cluster",
                "nobs": 7744,
            }
        )
    )
    sc = Scenario.from_dict(
        {
            "name": "US–China FTA",
            "baseline": "wiod2014",
            "elasticities": {"sigma": 5, "sigma_range": [4, 6], "source": "assumed"},
            "shocks": [
                {
                    "coefficient": {
                        "file": "fta.json",
                        "term": "FTA",
                        "pairs": [["USA", "CHN"], ["CHN", "USA"]],
                    }
                }
            ],
        },
        base_dir=tmp_path,
    )
    res = sc.run(store=real_store, draws=6, workers=2, seed=3)
    t = res.tidy().set_index("country")
    assert t.loc["USA", "welfare_pct"] > 0 and t.loc["CHN", "welfare_pct"] > 0
    assert (t.welfare_pct_low <= t.welfare_pct_high).all()
    assert res.draws is not None and res.draws.shape == (6, 44, 4)
    assert len(res.draws_long()) == 6 * 44 * 4


def test_tariff_equivalent_control_is_smaller_than_prohibitive(real_store: Store) -> None:
    def ctl(cost: object) -> float:
        sc = _scenario(
            shocks=[
                {
                    "export_control": {
                        "from": "USA",
                        "to": "CHN",
                        "sectors": ["Electrical and Machinery"],
                        "cost": cost,
                    }
                }
            ]
        )
        return float(
            _run(real_store, sc).tidy().set_index("country").loc["CHN", "real_income_change"]
        )

    assert ctl("prohibitive") < ctl(50) < 0


# --------------------------------------------------------------------------- CLI


def test_cli_simulate_writes_outputs(tmp_path: Path, real_store: Store) -> None:
    from techties.cli.main import app

    out = tmp_path / "out"
    # --data ingests the folder's files not yet in --store (here: none, all are in real_store)
    where = ["--data", str(SHARED_DATA), "--store", str(real_store.path)]
    r = CliRunner().invoke(
        app, ["simulate", "uschina_escalation", *where, "--out", str(out), "--json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["baseline"] == "eora2017" and len(doc["table"]) == 37
    names = {p.name for p in out.iterdir()}
    assert {"countries.parquet", "countries.csv", "result.json", "chart.svg"} <= names
    bad = CliRunner().invoke(app, ["simulate", "uschina_escalaton", *where])
    assert bad.exit_code != 0


def test_per_sector_elasticity_draws(real_store: Store) -> None:
    from techties.simulation.mc_multisector import random_draws

    sc = _scenario(
        elasticities={"range": [0.5, 1.5], "per_sector": True},
        shocks=[{"tariff": {"imposer": "USA", "target": "CHN", "add": 10}}],
    )
    draws = random_draws(sc, 3, seed=1, base_sectors=tuple("abc"))
    assert all(np.shape(d.theta_factor) == (3,) for d in draws)
    assert all(0.5 <= f <= 1.5 for d in draws for f in np.atleast_1d(d.theta_factor))
    t = _run(real_store, sc, draws=3).tidy().set_index("country")
    assert t.loc["CHN", "real_income_change_low"] <= t.loc["CHN", "real_income_change_high"] < 0
    with pytest.raises(ConfigError, match="per_sector must be true or false"):
        _scenario(elasticities={"per_sector": "yes"})


def test_scenario_chart_has_interval_rules(tmp_path: Path, real_store: Store) -> None:
    from techties.charts import to_svg

    sc = _scenario(
        shocks=[{"tariff": {"imposer": "USA", "target": "CHN", "add": 10}}],
        elasticities={"range": [0.8, 1.2]},
    )
    res = _run(real_store, sc, draws=2)
    spec = res.plot().to_dict()
    layer = spec["vconcat"][0]["layer"]
    assert layer[1]["mark"]["type"] == "rule" and layer[1]["encoding"]["y"]["field"] == (
        "real_income_change_low"
    )
    assert "<svg" in to_svg(res.plot("welfare_cp"))
    with pytest.raises(UnknownNameError, match="Did you mean 'welfare_cp'"):
        res.plot("welfare")


def test_coefficient_shock_multisector(tmp_path: Path, real_store: Store) -> None:
    """An FTA coefficient of 0.5 on USA↔CHN goods: κ̂_j = exp(−0.5/θ_j); both gain, trade grows."""
    (tmp_path / "fta.json").write_text(
        json.dumps({"terms": ["FTA"], "estimate": [0.5], "vcov": [[0.0025]], "nobs": 100})
    )
    sc = Scenario.from_dict(
        {
            "name": "FTA",
            "baseline": "eora2017",
            "shocks": [
                {
                    "coefficient": {
                        "file": "fta.json",
                        "term": "FTA",
                        "pairs": [["USA", "CHN"], ["CHN", "USA"]],
                    }
                }
            ],
        },
        base_dir=tmp_path,
    )
    res = _run(real_store, sc, draws=2)
    t = res.tidy().set_index("country")
    assert t.loc["USA", "real_income_change"] > 0 and t.loc["CHN", "real_income_change"] > 0
    assert t.loc["CHN", "exports_change"] > 0
    # the US imports from China in goods rise by less than the partial effect e^0.5 − 1 = 65 %
    assert 0 < res.central.bilateral_imports_change("USA", ["CHN"]) < 65


def test_one_sector_tariff_scenario(real_store: Store) -> None:
    """A 20 pp US tariff on China in the 44-economy WIOD aggregate (σ = 5): China loses."""
    sc = Scenario.from_dict(
        {
            "name": "US tariff",
            "baseline": "wiod2014",
            "elasticities": {"sigma": 5},
            "shocks": [{"tariff": {"imposer": "USA", "target": "CHN", "add": 20}}],
        }
    )
    t = sc.run(store=real_store).tidy().set_index("country")
    assert t.loc["CHN", "welfare_pct"] < 0 and t.loc["CHN", "exports_full_pct"] < 0
    assert len(t) == 44
    bad = Scenario.from_dict(
        {
            "name": "x",
            "baseline": "wiod2014",
            "elasticities": {"sigma": 5},
            "shocks": [
                {"tariff": {"imposer": "USA", "target": "CHN", "sectors": ["Food"], "add": 5}}
            ],
        }
    )
    with pytest.raises(ConfigError, match="without sectors"):
        bad.run(store=real_store)
