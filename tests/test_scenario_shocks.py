"""Typed scenario shocks: parsed once from YAML, applied once for both engines.

The application tests use small hand-built baselines (three countries, two sectors for the
multi-sector engine) whose solver inputs can be computed by hand: ``τ = 1 + tariff`` with 5 %
baseline tariffs off the diagonal, ``κ̂ = ((1 − s) + s (1 + t)^(−θ))^(−1/θ)`` for a covered share
``s`` at tariff equivalent ``t``, ``κ̂ = exp(−β Δx / θ)`` for a coefficient.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import ROOT
from techties.errors import ConfigError
from techties.simulation import shock_inputs
from techties.simulation.baselines import OneSectorBaseline, baseline_from_mrio
from techties.simulation.caliendo_parro import MultiSectorBaseline
from techties.simulation.mc_multisector import (
    central_draw,
    random_draws,
    solve_multisector,
    solve_onesector_scenario,
)
from techties.simulation.scenario import Scenario
from techties.simulation.shock_inputs import (
    MultiSectorInputs,
    OneSectorInputs,
    multisector_inputs,
    onesector_inputs,
)
from techties.simulation.shocks import (
    Coefficients,
    CoefficientShock,
    Elasticities,
    ExportControlShock,
    TariffShock,
)

COUNTRIES = ("USA", "CHN", "MEX")
SECTORS = ("Goods", "Services")
THETA = np.array([4.0, 8.0])
COEFS: dict[str, Any] = {
    "terms": ["FTA", "RTA"],
    "estimate": [0.4, 0.1],
    "vcov": [[0.01, 0.0], [0.0, 0.02]],
}


def _scenario(shocks: list[Any], baseline: str = "eora2017", **kw: Any) -> Scenario:
    data = {"name": "t", "baseline": baseline, "shocks": shocks, **kw}
    return Scenario.from_dict(data)


def _toy_base() -> MultiSectorBaseline:
    """Not an equilibrium (only the input arrays matter): 5 % tariffs off the diagonal."""
    n, j = len(COUNTRIES), len(SECTORS)
    tau = np.full((n, n, j), 1.05)
    tau[np.arange(n), np.arange(n), :] = 1.0
    return MultiSectorBaseline(
        countries=COUNTRIES,
        sectors=SECTORS,
        pi=np.full((n, n, j), 1 / n),
        tau=tau,
        expenditure=np.ones((n, j)),
        alpha=np.full((n, j), 0.5),
        beta=np.full((n, j), 0.5),
        gamma=np.full((n, j, j), 0.25),
        theta=THETA,
        value_added=np.ones(n),
        deficit=np.zeros(n),
        goods=("Goods",),
    )


def _toy_onesector() -> OneSectorBaseline:
    trade = np.array([[300.0, 20.0, 15.0], [40.0, 400.0, 10.0], [12.0, 8.0, 100.0]])
    tariff = np.full((3, 3), 0.05)
    np.fill_diagonal(tariff, 0.0)
    return OneSectorBaseline(countries=COUNTRIES, trade=trade, tariff=tariff, name="toy")


# --------------------------------------------------------------------------- parsing


def test_tariff_variants_parse_to_typed_values() -> None:
    sc = _scenario(
        [
            {"tariff": {"imposer": ["USA", "MEX"], "target": "CHN", "sectors": "Goods", "add": 25}},
            {"tariff": {"imposer": "CHN", "target": "all", "to": 10, "source": "x"}},
            {"tariff": {"imposer": "USA", "target": "CHN", "by_sector": {"Goods": 7.5}}},
        ]
    )
    add, to, by = sc.shocks
    assert all(isinstance(s, TariffShock) for s in sc.shocks)
    assert isinstance(by, TariffShock)
    assert add == TariffShock(imposer=("USA", "MEX"), target="CHN", add=25.0, sectors="Goods")
    assert isinstance(add.add, float) and add.plan() == (("Goods", 25.0),)
    assert to == TariffShock(imposer="CHN", target="all", to=10.0, source="x")
    assert to.plan() == (("goods", 10.0),)  # sectors not given: goods
    assert by.by_sector == (("Goods", 7.5),) and by.plan() == (("Goods", 7.5),)
    assert add.kind == "tariff" and add.describe() == "tariff ['USA', 'MEX'] on CHN (Goods) +25 pp"
    assert to.describe() == "tariff CHN on all (goods) to 10 %"
    assert by.describe() == "tariff USA on CHN: 1 sectors, +7.5 to +7.5 pp"


def test_export_control_parses_with_defaults_and_values() -> None:
    sc = _scenario(
        [{"export_control": {"from": "USA", "to": "CHN"}}],
        status_quo=[
            {
                "export_control": {
                    "from": ["USA", "JPN"],
                    "to": "CHN",
                    "sectors": ["Goods"],
                    "cost": 50,
                    "share": 0.2,
                    "share_range": [0.1, 0.3],
                    "remove": True,
                }
            }
        ],
    )
    (plain,), (full,) = sc.shocks, sc.status_quo
    assert plain == ExportControlShock(exporters="USA", importers="CHN")
    assert plain.cost == math.inf and plain.prohibitive and plain.share == 1.0
    assert plain.sectors is None and plain.share_range is None and not plain.remove
    assert full == ExportControlShock(
        exporters=("USA", "JPN"),
        importers="CHN",
        sectors=("Goods",),
        cost=50.0,
        share=0.2,
        share_range=(0.1, 0.3),
        remove=True,
    )
    assert plain.describe() == "impose export control USA → CHN (goods), cost prohibitive, share 1"
    assert full.describe() == (
        "lift export control ['USA', 'JPN'] → CHN (['Goods']), cost 50, share 0.2"
    )


def test_coefficient_parses_inline_and_from_file(tmp_path: Path) -> None:
    import json

    (tmp_path / "c.json").write_text(json.dumps({"terms": ["FTA"], "estimate": [0.5]}))
    sc = Scenario.from_dict(
        {
            "name": "t",
            "baseline": "eora2017",
            "shocks": [
                {"coefficient": {"coefficients": COEFS, "term": "RTA", "pairs": [["USA", "CHN"]]}},
                {"coefficient": {"file": "c.json", "term": "FTA", "pairs": [], "change": 2}},
            ],
        },
        base_dir=tmp_path,
    )
    inline, from_file = sc.shocks
    assert isinstance(inline, CoefficientShock) and isinstance(inline.coefficients, Coefficients)
    assert inline.term == "RTA" and inline.term_index == 1 and inline.change == 1.0
    assert inline.pairs == (("USA", "CHN"),) and inline.sectors is None
    assert inline.coefficients.terms == ("FTA", "RTA")
    np.testing.assert_array_equal(inline.coefficients.vcov, [[0.01, 0.0], [0.0, 0.02]])
    assert isinstance(from_file, CoefficientShock)
    assert from_file.file == "c.json" and from_file.change == 2.0
    np.testing.assert_array_equal(from_file.coefficients.vcov, [[0.0]])  # default: no variance
    assert inline.describe() == "coefficient RTA Δx=1 on 1 pairs"


def test_elasticities_are_typed() -> None:
    sc = _scenario([], elasticities={"scale": 2, "range": [1, 3], "per_sector": True})
    assert sc.elasticities == Elasticities(scale=2.0, range=(1.0, 3.0), per_sector=True)
    one = _scenario([], baseline="wiod2014", elasticities={"sigma": 5, "sigma_range": [4, 6]})
    assert one.elasticities.sigma == 5.0 and one.elasticities.sigma_range == (4.0, 6.0)


def test_spec_view_keeps_the_yaml_keys() -> None:
    """Code written against the untyped ``Shock.spec`` mapping reads the same keys."""
    tariff, control = _scenario(
        [
            {"tariff": {"imposer": "USA", "target": "CHN", "by_sector": {"Goods": 3}}},
            {"export_control": {"from": "USA", "to": "CHN", "share": 0.5, "share_range": [0, 1]}},
        ]
    ).shocks
    assert dict(tariff.spec) == {"imposer": "USA", "target": "CHN", "by_sector": {"Goods": 3.0}}
    assert "sectors" not in control.spec and control.spec["share_range"] == [0.0, 1.0]
    assert control.spec["cost"] == "prohibitive" and control.spec["remove"] is False
    with pytest.raises(TypeError):
        control.spec["share"] = 1  # type: ignore[index]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("shock", "message"),
    [
        (
            {"export_control": {"from": "USA", "to": "CHN", "shar": 0.5}},
            r"unknown key 'shar' in scenario: shocks\[1\]\.export_control\. .*Did you mean 'share'",
        ),
        (
            {"export_control": {"from": "USA", "to": "CHN", "share": 1.5}},
            r"scenario: shocks\[1\]\.export_control\.share = 1\.5 is impossible.*\nhint: ",
        ),
        (
            {"tariff": {"imposer": "USA", "target": "CHN", "add": "lots"}},
            r"shocks\[1\]\.tariff\.add must be a number, got 'lots'\nhint: percentage points",
        ),
        (
            {"tariff": {"imposer": True, "target": "CHN", "add": 5}},
            r"shocks\[1\]\.tariff\.imposer must be a name or a list of names.*\nhint: quote",
        ),
        (
            {"tariff": {"imposer": "USA", "target": "CHN", "by_sector": {}}},
            r"shocks\[1\]\.tariff\.by_sector must map sector",
        ),
        (
            {"export_control": {"from": "USA", "to": "CHN", "remove": "yes"}},
            r"shocks\[1\]\.export_control\.remove must be true or false",
        ),
        (
            {"coefficient": {"coefficients": COEFS, "term": "FTA", "pairs": [["USA"]]}},
            r"shocks\[1\]\.coefficient\.pairs must be a list of \[exporter, importer\]",
        ),
        ({"tariff": {"target": "CHN", "add": 5}}, r"shocks\[1\]\.tariff needs 'imposer'"),
    ],
)
def test_bad_shock_names_its_index_and_key(shock: dict[str, Any], message: str) -> None:
    ok = {"tariff": {"imposer": "USA", "target": "CHN", "add": 5}}
    with pytest.raises(ConfigError, match=message):
        _scenario([ok, shock])


def test_error_names_the_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: t\nbaseline: eora2017\nshocks: []\nstatus_quo:\n"
        "  - export_control: {from: USA, to: CHN, cost: -5}\n"
    )
    where = re.escape(f"{path}: status_quo[0].export_control.cost")
    with pytest.raises(ConfigError, match=where):
        Scenario.from_yaml(path)


# --------------------------------------------------------------------------- application


def test_multisector_inputs_match_the_hand_computed_baseline() -> None:
    base = _toy_base()
    sc = _scenario(
        [
            {"tariff": {"imposer": "USA", "target": "CHN", "add": 25}},  # goods only
            {"tariff": {"imposer": "CHN", "target": "all", "sectors": "all", "to": 10}},
            {"tariff": {"imposer": "MEX", "target": "USA", "by_sector": {"Services": -10}}},
            {"export_control": {"from": "USA", "to": "CHN", "share": 0.5}},
            {"export_control": {"from": "MEX", "to": "CHN", "cost": 50, "share": 0.5}},
            {
                "coefficient": {
                    "coefficients": COEFS,
                    "term": "FTA",
                    "pairs": [["USA", "MEX"]],
                    "change": 2,
                    "sectors": "all",
                }
            },
        ]
    )
    tau, kappa = multisector_inputs(base, enumerate(sc.shocks), central_draw(sc))
    want = base.tau.copy()
    usa, chn, mex = 0, 1, 2
    want[usa, chn, 0] = 1.30  # 1.05 + 0.25
    want[chn, [usa, mex], :] = 1.10  # set to 10 % (not on itself)
    want[mex, usa, 1] = 1.0  # 1.05 − 0.10, floored at no tariff
    np.testing.assert_allclose(tau, want, rtol=0, atol=1e-15)
    want_k = np.ones_like(base.pi)
    want_k[chn, usa, 0] = 0.5 ** (-1 / 4)
    want_k[chn, mex, 0] = (0.5 + 0.5 * 1.5**-4) ** (-1 / 4)
    want_k[mex, usa, :] = np.exp(-0.4 * 2 / THETA)
    np.testing.assert_allclose(kappa, want_k, rtol=1e-15)


def test_onesector_inputs_match_the_hand_computed_baseline() -> None:
    base = _toy_onesector()
    sc = _scenario(
        [
            {"tariff": {"imposer": "USA", "target": "CHN", "add": 20}},
            {"tariff": {"imposer": "CHN", "target": ["USA", "MEX"], "to": 15}},
            {"export_control": {"from": "USA", "to": "CHN", "share": 0.2}},
            {"export_control": {"from": "MEX", "to": "CHN", "share": 0.5, "remove": True}},
            {"coefficient": {"coefficients": COEFS, "term": "RTA", "pairs": [["USA", "MEX"]]}},
        ],
        baseline="wiod2014",
        elasticities={"sigma": 5},
    )
    got = onesector_inputs(base, enumerate(sc.shocks), central_draw(sc))
    usa, chn, mex = 0, 1, 2  # [exporter, importer]
    want_dt = np.zeros((3, 3))
    want_dt[chn, usa] = 0.20
    want_dt[[usa, mex], chn] = 0.15 - 0.05
    np.testing.assert_allclose(got.dtariff, want_dt, atol=1e-15)
    want_cost = np.ones((3, 3))
    want_cost[usa, chn] = 0.8
    want_cost[mex, chn] = 2.0
    want_cost[usa, mex] = np.exp(0.1)
    np.testing.assert_allclose(got.cost, want_cost, rtol=1e-15)
    np.testing.assert_array_equal(got.tariff0, base.tariff)


def _calibrated_toy() -> MultiSectorBaseline:
    n, s = len(COUNTRIES), len(SECTORS)
    rng = np.random.default_rng(0)
    z = rng.uniform(1, 5, size=(n * s, n * s)) + 20 * np.eye(n * s)
    f = rng.uniform(5, 10, size=(n * s, n)) + 40 * np.repeat(np.eye(n), s, axis=0)
    tariff = np.full((n, n, s), 0.05)
    tariff[np.arange(n), np.arange(n), :] = 0
    return baseline_from_mrio(z, f, COUNTRIES, SECTORS, THETA, tariff=tariff, goods=("Goods",))


def test_both_engines_apply_shocks_through_one_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """Solving a scenario on either engine goes through ``apply_shocks``; the multi-sector
    solution carries the hand-computed τ, the one-sector one the tariff change."""
    seen: list[type] = []
    real = shock_inputs.apply_shocks

    def spy(target: Any, shocks: Any, draw: Any) -> None:
        seen.append(type(target))
        real(target, shocks, draw)

    monkeypatch.setattr(shock_inputs, "apply_shocks", spy)
    tariff = {"tariff": {"imposer": "USA", "target": "CHN", "add": 25}}
    ms = _scenario([tariff], status_quo=[{"tariff": {"imposer": "CHN", "target": "USA", "add": 5}}])
    sq, res = solve_multisector(ms, _calibrated_toy(), central_draw(ms))
    want = _calibrated_toy().tau.copy()
    want[1, 0, 0] = 1.10  # status quo: 1.05 + 0.05 on goods
    assert sq is not None
    np.testing.assert_allclose(sq.tau_new, want, atol=1e-15)
    want[0, 1, 0] = 1.30
    np.testing.assert_allclose(res.tau_new, want, atol=1e-15)
    t = res.tidy()
    assert (t.loc[t.country == "CHN", "real_income_change"] < 0).all()
    one = _scenario([tariff], baseline="wiod2014", elasticities={"sigma": 5})
    out = solve_onesector_scenario(one, _toy_onesector(), central_draw(one))
    assert out.tidy().set_index("country").loc["CHN", "welfare_pct"] < 0
    assert seen == [MultiSectorInputs, MultiSectorInputs, OneSectorInputs]


def test_draws_sample_the_typed_parameters() -> None:
    sc = _scenario(
        [
            {
                "export_control": {
                    "from": "USA",
                    "to": "CHN",
                    "share": 0.5,
                    "share_range": [0.1, 0.2],
                }
            },
            {"coefficient": {"coefficients": COEFS, "term": "FTA", "pairs": [["USA", "CHN"]]}},
        ]
    )
    central = central_draw(sc)
    assert central.shares == {0: 0.5}
    np.testing.assert_array_equal(central.betas[1], [0.4, 0.1])
    (d,) = random_draws(sc, 1, seed=0)
    rng = np.random.default_rng(0)  # same order: shares, then coefficient vectors
    assert d.shares == {0: float(rng.uniform(0.1, 0.2))}
    np.testing.assert_array_equal(d.betas[1], rng.multivariate_normal([0.4, 0.1], COEFS["vcov"]))


def test_running_depends_on_the_scenario_module_one_way() -> None:
    """scenario → mc_multisector → shock_inputs → shocks; shocks is a leaf (errors, numpy)."""
    sim = ROOT / "src/techties/simulation"

    def imports(name: str) -> set[str]:
        tree = ast.parse((sim / f"{name}.py").read_text("utf-8"))
        return {
            n.module or ""
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("techties")
        }

    assert "techties.simulation.scenario" not in imports("mc_multisector")  # not even for types
    assert "techties.simulation.scenario" not in imports("shock_inputs")
    assert imports("shocks") == {"techties.errors"}
    assert "techties.simulation.mc_multisector" in imports("scenario")


def test_a_step_outside_the_positive_region_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    """An accelerated step that makes value added non-positive is not fatal: the solver goes
    back to the last point where the wage map was defined, takes a shorter damped step, and
    reaches the same equilibrium (checked by making the map refuse its second and third
    evaluations)."""
    from techties.errors import SolverError
    from techties.simulation import _cp_numerics
    from techties.simulation.caliendo_parro import solve_caliendo_parro

    base = _calibrated_toy()
    tau = base.tau.copy()
    tau[0, 1, 0] *= 1.3  # a 30 % tariff change on one cell
    ref = solve_caliendo_parro(base, tau)
    real = _cp_numerics.Kernel.wage_map
    calls = {"n": 0}

    def flaky(self: Any, lw: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] in (2, 3):
            raise SolverError("value added became non-positive during the iteration")
        return real(self, lw, state)

    monkeypatch.setattr(_cp_numerics.Kernel, "wage_map", flaky)
    got = solve_caliendo_parro(base, tau)
    assert calls["n"] > 3
    np.testing.assert_allclose(got.w_hat, ref.w_hat, rtol=1e-8)
    np.testing.assert_allclose(got.price_hat, ref.price_hat, rtol=1e-8)
    # a map that is never defined beyond the start still fails, with the same message
    monkeypatch.setattr(_cp_numerics.Kernel, "wage_map",
                        lambda self, lw, state: (_ for _ in ()).throw(SolverError("value added")))  # fmt: skip
    with pytest.raises(SolverError, match="value added"):
        solve_caliendo_parro(base, tau)
