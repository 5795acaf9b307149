"""Composed scenarios (status quo made of scenarios, ``lift``) and the proposals table.

Lifting is checked where its answer is known exactly: lifting everything a status quo imposes
returns to the baseline, draw by draw, so the change is the inverse of imposing it with the same
draw; lifted tariffs are the status quo's percentage points negated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from techties.errors import ConfigError
from techties.simulation.library import LIBRARY
from techties.simulation.proposals import PROPOSALS, STATUS_QUOS, cells, compare_proposals
from techties.simulation.scenario import Scenario, run_scenarios
from techties.simulation.shocks import ExportControlShock, TariffShock
from techties.store import Store
from techties.store.ingest import ingest_files
from test_scenario_shocks import _calibrated_toy
from test_sources_tariff_war_2025 import tracker, ttd

IMPOSED: dict[str, Any] = {
    "name": "imposed",
    "baseline": "eora2017",
    "elasticities": {"range": [0.75, 1.25]},
    "shocks": [
        {"tariff": {"imposer": "USA", "target": "CHN", "sectors": ["Goods"], "add": 20}},
        {"tariff": {"imposer": "CHN", "target": "USA", "by_sector": {"Goods": 15}}},
        {"export_control": {"from": "USA", "to": "CHN", "sectors": ["Goods"], "share": 0.3,
                            "share_range": [0.1, 0.5]}},
    ],
}  # fmt: skip


def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _composed(tmp_path: Path, **kw: Any) -> Scenario:
    _write(tmp_path, "imposed", IMPOSED)
    data = {"name": "lifted", "baseline": "eora2017", "elasticities": {"range": [0.75, 1.25]},
            "status_quo": [{"scenario": "imposed.yaml"}], **kw}  # fmt: skip
    return Scenario.from_yaml(_write(tmp_path, "lifted", data))


def test_lifting_everything_is_the_exact_inverse_draw_by_draw(tmp_path: Path) -> None:
    base = _calibrated_toy()
    sc = _composed(tmp_path, lift={"tariffs": "all", "export_controls": "all"})
    imposed = Scenario.from_yaml(tmp_path / "imposed.yaml")
    got = sc.run(draws=6, seed=3, base=base, workers=1)
    ref = imposed.run(draws=6, seed=3, base=base, workers=1)
    assert got.draws is not None and ref.draws is not None
    k = list(got.measures).index("real_income_change")
    inverse = 100 * (1 / (1 + ref.draws[:, :, k] / 100) - 1)
    np.testing.assert_allclose(got.draws[:, :, k], inverse, atol=1e-7)
    # the draws really move the covered share (a lift that drew its own share would not cancel)
    assert np.ptp(ref.draws[:, 1, k]) > 1e-3
    central = got.tidy().set_index("country")["real_income_change"]
    ref_central = ref.tidy().set_index("country")["real_income_change"]
    np.testing.assert_allclose(central, 100 * (1 / (1 + ref_central / 100) - 1), atol=1e-7)


def test_lift_between_negates_only_the_pairs_inside(tmp_path: Path) -> None:
    sq = [{"tariff": {"imposer": "USA", "target": "CHN", "add": 20}},
          {"tariff": {"imposer": "USA", "target": "MEX", "add": 10}},
          {"tariff": {"imposer": "CHN", "target": "USA", "by_sector": {"Goods": 15}}},
          {"export_control": {"from": "USA", "to": "CHN", "share": 0.2}},
          {"tariff": {"imposer": "MEX", "target": "all", "add": 5}}]  # fmt: skip
    sc = Scenario.from_dict({"name": "t", "baseline": "eora2017", "status_quo": sq,
                             "lift": {"tariffs": {"between": ["USA", "CHN"]}}})  # fmt: skip
    assert [(s.imposer, s.target) for s in sc.shocks if isinstance(s, TariffShock)] == [
        ("USA", "CHN"), ("CHN", "USA")]  # fmt: skip
    first, second = sc.shocks
    assert isinstance(first, TariffShock) and first.add == -20
    assert isinstance(second, TariffShock) and second.by_sector == (("Goods", -15.0),)
    assert first.source == "lifts status quo item 1" and second.source == "lifts status quo item 3"
    ctl = Scenario.from_dict({"name": "t", "baseline": "eora2017", "status_quo": sq,
                              "lift": {"export_controls": {"from": ["USA"]}}}).shocks  # fmt: skip
    assert len(ctl) == 1 and isinstance(ctl[0], ExportControlShock)
    assert ctl[0].remove and ctl[0].lifts == 3 and ctl[0].share == 0.2


def test_the_run_log_says_what_was_lifted(tmp_path: Path) -> None:
    sc = _composed(tmp_path, lift={"tariffs": "all", "export_controls": "all"})
    res = sc.run(base=_calibrated_toy())
    lines = [s for s in res.steps if s.startswith("shock:")]
    assert "-20 pp on sector Goods (lifts status quo item 1)" in lines[0]
    assert "by_sector, lifts status quo item 2" in lines[1]
    assert "lift export control USA → CHN" in lines[2]
    assert "the share drawn for status quo item 3" in lines[2]


SQ = [{"tariff": {"imposer": "USA", "target": ["CHN", "MEX"], "add": 20}}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status_quo": SQ, "lift": {"tariffs": {"between": ["USA", "CHN"]}}},
         "covers listed and unlisted countries"),
        ({"status_quo": [{"tariff": {"imposer": "USA", "target": "CHN", "to": 25}}],
          "lift": {"tariffs": "all"}}, r"sets a level \('to'\)"),
        ({"status_quo": [{"tariff": {"imposer": "USA", "target": "all", "add": 20}}],
          "lift": {"tariffs": {"between": ["USA", "CHN"]}}}, "cannot be lifted in part"),
        ({"status_quo": [{"scenario": "missing.yaml"}], "shocks": []},
         r"status_quo\[0\]: scenario .* is neither a file nor a library scenario"),
        ({"status_quo": SQ, "lift": {"export_controls": "all"}},
         "matches no export controls of the status quo"),
        ({"status_quo": SQ, "lift": {"tarifs": "all"}}, "Did you mean 'tariffs'"),
        ({"status_quo": SQ, "lift": {"tariffs": ["USA"]}}, "is 'all' or {between"),
        ({"status_quo": SQ, "lift": {"tariffs": {"between": "all"}}}, "is 'all' or {between"),
        ({"status_quo": SQ, "lift": []}, "lift is a mapping"),
        ({"status_quo": [{"scenario": "uschina_escalatoin"}], "shocks": []},
         "Did you mean 'uschina_escalation'"),
        ({"status_quo": [{"scenario": "tariffwar2025_latest_icio2022"}], "shocks": []},
         "its baseline is icio2022"),
        ({"status_quo": SQ, "shocks": [{"scenario": "uschina_escalation"}]},
         "belongs in status_quo"),
        ({"tariff_war_2025": {"episode": "latest", "role": "world"}},
         "role 'world' is not one of policy, status_quo"),
    ],
)  # fmt: skip
def test_composition_errors_say_what_to_do(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Scenario.from_dict({"name": "t", "baseline": "eora2017", **data})


def test_a_scenario_cannot_include_itself(tmp_path: Path) -> None:
    path = _write(tmp_path, "loop", {"name": "loop", "baseline": "eora2017", "shocks": [],
                                     "status_quo": [{"scenario": "loop.yaml"}]})  # fmt: skip
    with pytest.raises(ConfigError, match="includes itself"):
        Scenario.from_yaml(path)


def test_the_library_proposals_compose_the_library_scenarios() -> None:
    """The status quo is uschina_escalation's and chip_export_controls' shocks, unchanged."""
    parts = [Scenario.from_yaml(LIBRARY / f"{n}.yaml").shocks
             for n in ("uschina_escalation", "chip_export_controls")]  # fmt: skip
    world = (*parts[0], *parts[1])
    names = {name for _, _, name in cells()}
    assert names == {f"proposal_{s}_{p}" for s in STATUS_QUOS for p in PROPOSALS}
    for name in sorted(names):
        sc = Scenario.from_yaml(LIBRARY / f"{name}.yaml")
        assert sc.status_quo == world, name
    both = Scenario.from_yaml(LIBRARY / "proposal_2024_lift_both.yaml")
    tariffs = [s for s in both.shocks if isinstance(s, TariffShock)]
    assert [dict(s.by_sector or ()) for s in tariffs] == [
        {k: -v for k, v in (s.by_sector or ())} for s in parts[0] if isinstance(s, TariffShock)
    ]
    controls = [s for s in both.shocks if isinstance(s, ExportControlShock)]
    assert [c.lifts for c in controls] == [2, 3, 4, 5, 6] and all(c.remove for c in controls)
    # lifting from 2025 waits for the tariff war's shocks, read from the store at run time
    late = Scenario.from_yaml(LIBRARY / "proposal_2025_lift_tariffs.yaml")
    assert late.shocks == () and late.pending_lift is not None


def test_tariff_war_in_the_status_quo_is_lifted_between_the_pair(
    store: Store, tmp_path: Path
) -> None:
    ingest_files(store, "tariff_war_2025", [tracker(tmp_path), ttd(tmp_path)])
    sc = Scenario.from_dict({
        "name": "t", "baseline": "eora2017",
        "status_quo": [{"tariff": {"imposer": "USA", "target": "CHN", "add": 5}}],
        "tariff_war_2025": {"episode": "truce", "retaliation": "china", "role": "status_quo"},
        "lift": {"tariffs": {"between": ["USA", "CHN"]}},
    })  # fmt: skip
    countries = ("CHN", "DEU", "FRA", "JPN", "USA", "VNM")
    plain, log, ids = sc.with_tariff_war(store, countries)
    war = {(s.imposer, s.target): s.add for s in plain.status_quo[1:] if isinstance(s, TariffShock)}
    assert war[("USA", "CHN")] == 27 and war[("USA", "DEU")] == 10
    # the typed 5 pp and the stored 27 pp on China, and China's retaliation; nothing else
    adds = sorted((s.imposer, s.target, s.add) for s in plain.shocks if isinstance(s, TariffShock))
    assert adds == sorted([("USA", "CHN", -5.0), ("USA", "CHN", -27.0),
                           ("CHN", "USA", -war[("CHN", "USA")])])  # fmt: skip
    assert all(line.startswith("status quo: ") for line in log) and ids


def _family(tmp_path: Path) -> list[Scenario]:
    """Three policies from one status quo, as the proposals table has them."""
    return [
        _composed(tmp_path, lift={"tariffs": "all"}),
        _composed(tmp_path, lift={"export_controls": "all"}),
        _composed(tmp_path, lift={"tariffs": "all", "export_controls": "all"}),
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_shared_status_quo_gives_the_numbers_of_separate_runs(
    tmp_path: Path, workers: int
) -> None:
    base = _calibrated_toy()
    family = _family(tmp_path)
    alone = [sc.run(draws=8, seed=5, base=base, workers=workers) for sc in family]
    together = run_scenarios(family, draws=8, seed=5, base=base, workers=workers)
    for one, two in zip(alone, together, strict=True):
        assert one.draws is not None and two.draws is not None
        np.testing.assert_array_equal(two.draws, one.draws)  # the same computations
        assert two.tidy().equals(one.tidy())
        assert any("status quo solved once for the 3 scenarios" in s for s in two.steps)
    # the three policies differ, so each really got its own policy solve
    k = list(alone[0].measures).index("real_income_change")
    assert len({round(float(r.draws[0, 0, k]), 9) for r in together}) == 3  # type: ignore[index]


def test_status_quos_that_differ_are_not_shared(tmp_path: Path) -> None:
    base = _calibrated_toy()
    other = Scenario.from_dict({"name": "other", "baseline": "eora2017",
                                "elasticities": {"range": [0.75, 1.25]},
                                "status_quo": [{"tariff": {"imposer": "USA", "target": "CHN",
                                                           "add": 5}}],
                                "shocks": [{"tariff": {"imposer": "CHN", "target": "USA",
                                                       "add": 5}}]})  # fmt: skip
    # a policy that draws a covered share of its own moves the status quo's draws after the
    # first: that scenario is run on its own, with its own numbers
    drawn = _composed(tmp_path, shocks=[{"export_control": {
        "from": "USA", "to": "CHN", "sectors": ["Goods"], "share": 0.1,
        "share_range": [0.05, 0.2]}}])  # fmt: skip
    lifted = _composed(tmp_path, lift={"tariffs": "all"})
    scs = [other, drawn, lifted]
    together = run_scenarios(scs, draws=4, seed=1, base=base, workers=1)
    for sc, two in zip(scs, together, strict=True):
        one = sc.run(draws=4, seed=1, base=base, workers=1)
        np.testing.assert_array_equal(two.draws, one.draws)  # type: ignore[arg-type]
        assert not any("solved once" in s for s in two.steps), sc.name


@pytest.mark.realdata
@pytest.mark.slow
def test_proposals_table_on_the_real_data(real_store: Store) -> None:
    """Central cases of the six cells (Eora26 2017, θ of FGO 2022), pinned to ±5e-4 pp."""
    t = compare_proposals(real_store, draws=0).wide().set_index(["status_quo", "proposal"])
    pins = {
        ("2024", "lift_tariffs"): (0.0591, 0.2343),
        ("2024", "lift_controls"): (0.0073, 0.1109),
        ("2024", "lift_both"): (0.0694, 0.3501),
        ("2025", "lift_tariffs"): (0.0782, 0.4070),
        ("2025", "lift_both"): (0.0887, 0.5222),
    }
    for key, (usa, chn) in pins.items():
        assert t.loc[key, "USA"] == pytest.approx(usa, abs=5e-4), key
        assert t.loc[key, "CHN"] == pytest.approx(chn, abs=5e-4), key
    # the two lifts interact: lifting both is not the sum of lifting each
    both, parts = t.loc[("2024", "lift_both")], t.loc[("2024", "lift_tariffs")] + t.loc[
        ("2024", "lift_controls")]  # fmt: skip
    assert abs(both["CHN"] - parts["CHN"]) > 1e-3
