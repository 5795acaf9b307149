"""Claims 1, 8 and 11: GE verdicts decided by Monte Carlo bands against fixed thresholds.

Rule tests replace :func:`techties.claims.checkers.ge.scenarios.run_scenario` (the simulation
layer on the store's model inputs) with frames of central values and bands; real-data tests run
the scenarios on the baselines of the real store and pin the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import pytest

from techties.claims import check_claim
from techties.claims.checkers import ge
from techties.store import Store

Cell = tuple[float, float, float]  # central, 5th, 95th percentile (%)
CLEAR_LOSS: Cell = (-0.06, -0.08, -0.04)
CLEAR_GAIN: Cell = (0.06, 0.04, 0.08)


def _frame(values: Mapping[str, Cell]) -> pd.DataFrame:
    """A run_scenario frame; the 95 % band is the 90 % band widened by 0.002 each way."""
    rows = [
        {"country": c, "welfare_pct": e, "p_low": lo, "p_high": hi,
         "p95_low": lo - 0.002, "p95_high": hi + 0.002}
        for c, (e, lo, hi) in values.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


Spec = Mapping[str, Mapping[str, Cell]]


def _fake(
    main: Spec, variants: Mapping[str, Spec] | None = None, calls: list | None = None
) -> Callable[..., tuple[pd.DataFrame, list[int], str]]:
    """``run_scenario`` returning ``main[scenario]`` (and ``variants[variant][scenario]``,
    defaulting to the main values), with no provenance ids."""

    def fake(
        store: Store, name: str, *, draws: int = 0, variant: str = "main"
    ) -> tuple[pd.DataFrame, list[int], str]:
        if calls is not None:
            calls.append((name, draws, variant))
        spec = (variants or {}).get(variant, main)
        df = _frame(spec.get(name, main[name]))
        df["scenario"], df["scenario_label"], df["variant"] = name, name, variant
        return df, [], "eora2017"

    return fake


def _patch(monkeypatch: pytest.MonkeyPatch, fake: Any) -> None:
    """The GE checkers' runs (``run_scenarios``) answered by ``fake``, one scenario at a time."""

    def many(
        store: Store, names: list[str], *, draws: int = 0, variant: str = "main"
    ) -> list[tuple[pd.DataFrame, list[int], str]]:
        return [fake(store, name, draws=draws, variant=variant) for name in names]

    monkeypatch.setattr(ge.scenarios, "run_scenarios", many)


@pytest.fixture(autouse=True)
def _no_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)


def _both(usa: Cell, chn: Cell) -> dict[str, Cell]:
    return {"USA": usa, "CHN": chn, "JPN": (0.01, 0.0, 0.02)}


# -- claim 1 ---------------------------------------------------------------------------------
def _restrictions(tariff_usa: Cell, chip_usa: Cell = CLEAR_LOSS) -> dict[str, dict[str, Cell]]:
    return {
        ge.TARIFF_SCENARIO: _both(tariff_usa, (-0.24, -0.25, -0.23)),
        ge.CHIP_SCENARIO: _both(chip_usa, (-0.11, -0.15, -0.08)),
    }


@pytest.mark.parametrize(
    ("tariff_usa", "chip_usa", "status"),
    [
        (CLEAR_LOSS, CLEAR_LOSS, "supported"),
        # a clear US gain under the tariff escalation contradicts "hurts both"
        ((0.05, 0.03, 0.07), CLEAR_LOSS, "contradicted"),
        # the real-data case: the US band under the chip controls straddles −0.01 %
        (CLEAR_LOSS, (-0.0103, -0.0131, -0.0070), "mixed"),
        # a negligible change (inside ±0.01 % throughout) is neither a loss nor a gain
        (CLEAR_LOSS, (-0.004, -0.006, -0.002), "mixed"),
    ],
)
def test_claim1_rule_decides_on_the_band(
    monkeypatch: pytest.MonkeyPatch, store: Store, tariff_usa: Cell, chip_usa: Cell, status: str
) -> None:
    calls: list = []
    _patch(monkeypatch, _fake(_restrictions(tariff_usa, chip_usa), calls=calls))
    v = check_claim(store, "restrictions-hurt-both", strict=True)
    assert v.status == status and v.decision is not None
    assert v.kind == "modelled" and all(t.kind == "modelled" for t in v.tests)
    assert [t.key for t in v.tests] == [
        f"{c}_{s}" for s in (ge.TARIFF_SCENARIO, ge.CHIP_SCENARIO) for c in ("USA", "CHN")
    ]
    usa_chip = v.tests[2]
    assert (usa_chip.low, usa_chip.high) == pytest.approx(chip_usa[1:])
    assert usa_chip.support.value == -ge.WELFARE_EPS_PCT
    assert usa_chip.contradict.value == ge.WELFARE_EPS_PCT
    assert v.figure(f"USA_{ge.CHIP_SCENARIO}_low") == pytest.approx(chip_usa[1])
    # claim 1 uses draws: main runs at DRAWS, alternatives at ALT_DRAWS
    assert {(d, var) for _, d, var in calls} == {
        (ge.DRAWS, "main"), (ge.ALT_DRAWS, "theta_cp2015"), (ge.ALT_DRAWS, "wiod2014")
    }  # fmt: skip
    specs = list(v.robustness["spec"])
    assert specs[:4] == [
        "main specification",
        ge.BAND_ALT,
        ge.VARIANT_LABELS["theta_cp2015"],
        ge.VARIANT_LABELS["wiod2014"],
    ]
    assert len(specs) == 6  # plus thresholds × 0.5 and × 1.5
    assert v.evidence_for or v.evidence_against
    assert ge.MODEL_CAVEAT in v.evidence_against


def test_claim1_supported_is_fragile_when_another_baseline_disagrees(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    main = _restrictions(CLEAR_LOSS)
    wiod = _restrictions((0.014, 0.008, 0.02))  # one-sector: a small US gain from the tariffs
    _patch(monkeypatch, _fake(main, {"wiod2014": wiod}))
    v = check_claim(store, "restrictions-hurt-both", strict=True)
    assert v.decision is not None
    assert (v.decision.main_status, v.status, v.fragile) == ("supported", "mixed", True)
    rob = v.robustness.set_index("spec")["status"]
    assert rob[ge.VARIANT_LABELS["wiod2014"]] == "mixed"
    assert rob[ge.VARIANT_LABELS["theta_cp2015"]] == "supported"
    assert any("WIOD 2014" in s and "mixed" in s for s in v.evidence_against)


def test_claim1_alternative_that_cannot_run_does_not_count(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    good = _fake(_restrictions(CLEAR_LOSS))

    def fake(store: Store, name: str, *, draws: int = 0, variant: str = "main") -> tuple:
        if variant == "wiod2014":
            raise ge.Missing("no_data", "no WIOD file")
        return good(store, name, draws=draws, variant=variant)

    _patch(monkeypatch, fake)
    v = check_claim(store, "restrictions-hurt-both", strict=True)
    rob = v.robustness.set_index("spec")["status"]
    assert rob[ge.VARIANT_LABELS["wiod2014"]] == "unverifiable"
    assert (v.status, v.fragile) == ("supported", False)


def test_band_must_hold_the_central_case() -> None:
    df = _frame({"USA": (-0.02, -0.015, -0.012)})  # central below its draws' band
    df["scenario"] = ge.CHIP_SCENARIO
    t = ge.welfare_test(df, ge.CHIP_SCENARIO, "USA", gain=False)
    assert t.bounds == pytest.approx((-0.02, -0.012)) and t.status == "supported"


# -- claim 11 --------------------------------------------------------------------------------
def _proposals(both_usa: Cell, controls_usa: Cell = CLEAR_GAIN) -> dict[str, dict[str, Cell]]:
    """The six proposal cells: lifting both from 2024 decides; the others are alternatives."""
    out = {name: _both(CLEAR_GAIN, (0.24, 0.23, 0.25)) for name in ge.LIFT_SCENARIOS}
    out[ge.LIFT_MAIN] = _both(both_usa, (0.35, 0.32, 0.38))
    out["proposal_2024_lift_controls"] = _both(controls_usa, (0.11, 0.08, 0.14))
    return out


@pytest.mark.parametrize(
    ("both_usa", "controls_usa", "status", "main_status"),
    [
        (CLEAR_GAIN, CLEAR_GAIN, "supported", "supported"),
        # a US loss from lifting both contradicts the rule; the other cells (clear gains in this
        # fake) make the panel disagree, so the verdict is fragile
        ((-0.05, -0.07, -0.03), CLEAR_GAIN, "mixed", "contradicted"),
        ((0.0103, 0.0070, 0.0131), CLEAR_GAIN, "mixed", "mixed"),  # straddles +ε
        # lifting both is a clear gain, the controls alone are not: the stricter reading moves it
        (CLEAR_GAIN, (0.0073, 0.0046, 0.0093), "mixed", "supported"),
    ],
)
def test_claim11_rule_is_lifting_both_with_each_alone_as_an_alternative(
    monkeypatch: pytest.MonkeyPatch, store: Store, both_usa: Cell, controls_usa: Cell,
    status: str, main_status: str,
) -> None:  # fmt: skip
    _patch(monkeypatch, _fake(_proposals(both_usa, controls_usa)))
    v = check_claim(store, "lifting-restrictions-benefits-both", strict=True)
    assert (v.status, v.decision.main_status, v.kind) == (status, main_status, "modelled")
    assert [t.key for t in v.tests] == [f"USA_{ge.LIFT_MAIN}", f"CHN_{ge.LIFT_MAIN}"]
    t = v.tests[0]
    assert (t.support.op, t.support.value) == (">", ge.WELFARE_EPS_PCT)
    assert (t.contradict.op, t.contradict.value) == ("<", -ge.WELFARE_EPS_PCT)
    rob = v.robustness.set_index("spec")["status"]
    alone = rob[next(k for k in rob.index if k.startswith("each removal on its own"))]
    assert alone == ("supported" if controls_usa == CLEAR_GAIN else "mixed")
    if controls_usa != CLEAR_GAIN:
        assert any("On its own: USA, lifting the chip controls (from 2024)" in s
                   for s in v.evidence_against)  # fmt: skip


# -- claim 8 ---------------------------------------------------------------------------------
def _allies(nld: Cell) -> dict[str, dict[str, Cell]]:
    return {
        ge.CHIP_SCENARIO: {
            "USA": (-0.01, -0.013, -0.007),
            "CHN": (-0.11, -0.15, -0.08),
            "JPN": (-0.033, -0.05, -0.017),
            "KOR": (-0.26, -0.35, -0.17),
            "NLD": nld,
        }
    }


def test_claim8_disruption_half_unmeasured_makes_it_unverifiable(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    _patch(monkeypatch, _fake(_allies((-0.03, -0.04, -0.02))))
    v = check_claim(store, "chip-controls-hurt-allies", strict=True)
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    disruption, *cost = v.tests
    assert disruption.estimate is None and disruption.kind == "observed"
    assert "not measurable" in disruption.missing and v.missing == disruption.missing
    assert [t.status for t in cost] == ["supported"] * 3
    assert "cost half alone is supported" in v.rationale
    assert v.kind == "modelled"
    rob = v.robustness
    assert set(rob["status"]) == {"unverifiable"}
    assert "cost part alone: supported" in rob.iloc[0]["note"]
    assert any("assumptions" in s for s in v.evidence_against)
    assert sum("loss below" in s for s in v.evidence_for) == 3


def test_claim8_modelled_cost_straddling_is_reported(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    _patch(monkeypatch, _fake(_allies((-0.014, -0.024, -0.0097))))
    v = check_claim(store, "chip-controls-hurt-allies", strict=True)
    assert v.status == "unverifiable"
    assert "cost half alone is mixed" in v.rationale
    assert any(s.startswith("NLD") and "straddles" in s for s in v.evidence_against)


def test_claim8_contradicted_when_an_ally_gains(
    monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    _patch(monkeypatch, _fake(_allies((0.03, 0.02, 0.04))))
    v = check_claim(store, "chip-controls-hurt-allies", strict=True)
    assert v.status == "contradicted"  # a measured contradiction beats an unmeasured part
    assert v.tests[-1].status == "contradicted"


def test_ge_claims_need_the_data_folder(store: Store) -> None:
    for claim in ("restrictions-hurt-both", "chip-controls-hurt-allies", "11"):
        v = check_claim(store, claim, strict=True)
        assert (v.status, v.reason) == ("unverifiable", "no_data")
        assert "Ingest it first: `techties ingest " in v.missing, v.missing


# -- real data -------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_claim1_on_real_data(real_store: Store) -> None:
    v = check_claim(real_store, "restrictions-hurt-both", strict=True)
    t = {x.key: x for x in v.tests}
    # central cases (draw-independent), Eora 2017 baseline
    assert t["USA_uschina_escalation"].estimate == pytest.approx(-0.0621, abs=5e-4)
    assert t["CHN_uschina_escalation"].estimate == pytest.approx(-0.2384, abs=5e-4)
    assert t["USA_chip_export_controls"].estimate == pytest.approx(-0.01033, abs=5e-5)
    assert t["CHN_chip_export_controls"].estimate == pytest.approx(-0.1154, abs=5e-4)
    # bands over the draws (tolerance: Monte Carlo noise of 150 draws)
    usa = t["USA_chip_export_controls"]
    assert usa.bounds == pytest.approx((-0.0131, -0.0070), abs=1e-3)
    assert usa.bounds[0] < -ge.WELFARE_EPS_PCT < usa.bounds[1]  # straddles the threshold
    assert usa.status == "mixed"
    assert [t[k].status for k in ("USA_uschina_escalation", "CHN_uschina_escalation",
                                  "CHN_chip_export_controls")] == ["supported"] * 3  # fmt: skip
    assert (v.status, v.fragile, v.kind) == ("mixed", False, "modelled")
    rob = v.robustness.set_index("spec")["status"]
    assert rob[ge.BAND_ALT] == "mixed"
    assert rob[ge.VARIANT_LABELS["theta_cp2015"]] == "mixed"
    assert rob[ge.VARIANT_LABELS["wiod2014"]] == "mixed"
    assert rob["thresholds × 0.5 (closer to neutral)"] == "supported"
    prov = real_store.provenance(v.provenance_ids)
    eora = prov[prov.source == "eora_cp"]
    assert eora.location.str.endswith("eora26-cp2017/data.npz").any()
    assert (eora.sha256.str.len() == 64).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_claim8_on_real_data(real_store: Store) -> None:
    v = check_claim(real_store, "chip-controls-hurt-allies", strict=True)
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    assert "end in 2022" in v.missing
    cost = {x.key: x for x in v.tests[1:]}
    assert cost["JPN_chip_export_controls"].estimate == pytest.approx(-0.0331, abs=5e-4)
    assert cost["KOR_chip_export_controls"].estimate == pytest.approx(-0.2631, abs=2e-3)
    nld = cost["NLD_chip_export_controls"]
    assert nld.estimate == pytest.approx(-0.0139, abs=5e-4)
    assert nld.status == "mixed" and nld.bounds[1] > -ge.WELFARE_EPS_PCT
    assert [cost[f"{c}_chip_export_controls"].status for c in ("JPN", "KOR")] == ["supported"] * 2
    # observed context: China's share of the allies' ICIO C26 exports in 2022
    assert v.figure("KOR_C26_china_share_2022") == pytest.approx(46.1, abs=0.1)
    assert v.figure("JPN_C26_china_share_2022") == pytest.approx(41.2, abs=0.1)
    prov = real_store.provenance(v.provenance_ids)
    icio = prov[prov.source == "icio_tariffwar"]
    assert icio.location.str.contains("ICIO").any()
    assert (icio.sha256.str.len() == 64).all()


@pytest.mark.realdata
@pytest.mark.slow
def test_claim11_on_real_data(real_store: Store) -> None:
    v = check_claim(real_store, "11", strict=True)
    t = {x.key: x for x in v.tests}
    usa, chn = t[f"USA_{ge.LIFT_MAIN}"], t[f"CHN_{ge.LIFT_MAIN}"]
    assert usa.estimate == pytest.approx(0.0694, abs=5e-4)
    assert chn.estimate == pytest.approx(0.3501, abs=5e-4)
    assert usa.bounds[0] > ge.WELFARE_EPS_PCT and usa.status == chn.status == "supported"
    # fragile: lifting the chip controls alone is no clear US gain, nor is lifting both in the
    # one-sector model
    assert (v.status, v.decision.main_status, v.kind) == ("mixed", "supported", "modelled")
    rob = v.robustness.set_index("spec")["status"]
    assert rob[next(k for k in rob.index if k.startswith("each removal on its own"))] == "mixed"
    assert rob[next(k for k in rob.index if k.startswith("from the 2025 status quo"))] == (
        "supported")  # fmt: skip
    assert rob[ge.VARIANT_LABELS["wiod2014"]] in {"mixed", "contradicted"}
    alone = v.figure("USA_proposal_2024_lift_controls")
    assert alone == pytest.approx(0.0073, abs=5e-4)


@pytest.mark.realdata
def test_one_sector_conversion_on_the_eora_flows(real_store: Store) -> None:
    """The WIOD alternative's bilateral equivalents: flow-weighted tariffs, covered shares."""
    from techties.simulation.scenario import Scenario

    base = ge._eora(real_store)
    sc = Scenario.from_yaml(ge.scenario_path(ge.TARIFF_SCENARIO))
    shocks = ge._one_sector_shocks(ge._worlds(sc)[1], base)
    add = {(s["tariff"]["imposer"], s["tariff"]["target"]): s["tariff"]["add"] for s in shocks}
    assert 0 < add[("USA", "CHN")] < 20.12 and 0 < add[("CHN", "USA")] < 24.56
    chip = Scenario.from_yaml(ge.scenario_path(ge.CHIP_SCENARIO))
    ctl = {s["export_control"]["from"]: s["export_control"] for s in
           ge._one_sector_shocks(ge._worlds(chip)[1], base)}  # fmt: skip
    assert 0 < ctl["KOR"]["share"] < 0.45 and ctl["KOR"]["share_range"][1] < 0.60
    removal = Scenario.from_yaml(ge.scenario_path("chip_export_controls_removal"))
    after = ge._worlds(removal)[1]
    assert not after["controls"] and not after["tariffs"]  # lifting returns to the baseline
    lift = Scenario.from_yaml(ge.scenario_path("uschina_lift_all"))
    stay = ge._worlds(lift)[1]["tariffs"][("USA", "CHN")]  # Section 232/201 duties stay
    assert stay["Metal Products"] == pytest.approx(20.55 - 18.84)
