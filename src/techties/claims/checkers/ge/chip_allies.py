"""Claim 8: chip export controls disrupted the chip supply chain and cost Japan, Korea and the
Netherlands (observed disruption, not measurable on the staged data, AND modelled cost)."""

from __future__ import annotations

import pandas as pd

from techties.claims.base import Checker, register
from techties.claims.checkers.ge._common import (
    ALLIES,
    CHIP_SCENARIO,
    DRAWS,
    MODEL_CAVEAT,
    WELFARE_EPS_PCT,
)
from techties.claims.checkers.ge.scenarios import _runs
from techties.claims.checkers.ge.welfare import (
    _bars,
    _direction_sentences,
    _figures,
    _fmt,
    _panel,
    _rationale,
    _tests,
)
from techties.claims.rules import Test, Threshold, combine, decide
from techties.claims.shared import icio_flows
from techties.claims.verdict import Figure, Verdict
from techties.simulation.baselines import icio_datasets
from techties.store import Store

#: context for claim 8: the allies' chip exports to the world since the October 2022 controls
ALLY_BASE_YEAR = 2022
#: the October 2022 controls: the first full year after them (the disruption test needs it)
CONTROLS_FIRST_FULL_YEAR = 2023
#: claim 8's disruption rule (if it could be measured): the allies' combined exports of chips
#: and chip equipment to China after the controls relative to 2022, minus the same change in
#: their exports of these goods to other destinations (the comparator), pp
DISRUPTION_SUPPORT_PCT, DISRUPTION_CONTRADICT_PCT = -10.0, 0.0
#: ICIO 2023 sectors holding chips (C26 computer, electronic and optical) and chip-making
#: equipment (C28 machinery n.e.c., which contains HS 8486)
ICIO_SECTORS = {"C26": "computer, electronic and optical products", "C28": "machinery n.e.c."}


def _disruption_test(store: Store) -> tuple[Test, pd.DataFrame, list[int]]:
    """The 'disrupted the supply chain' half: the allies' exports of chips and chip-making
    equipment to China after the October 2022 controls relative to 2022. Staged bilateral data
    end in 2022 (ICIO) or have partner World only (Comtrade), so it is not measured; the ICIO
    series up to 2022 are returned as context."""
    icio, ids = _ally_icio_exports(store)
    last = int(icio["year"].max()) if not icio.empty else None
    seen = (
        f"the OECD ICIO tables in the store end in {last}, the year the controls began "
        "(7 October 2022)"
        if last is not None
        else "the OECD ICIO tables are not in the store"
    )
    missing = (
        "Whether the controls disrupted the chip supply chain — Japan's, Korea's and the "
        "Netherlands' exports of chips and chip-making equipment to China in "
        f"{CONTROLS_FIRST_FULL_YEAR} and later against 2022 — is not measurable in the staged "
        f"data: {seen}; UN Comtrade files give these countries' chip (HS 8542) exports to the "
        "world only, and the chip-equipment file (HS 848620, 903082, 903141) ends in 2020."
    )
    test = Test(
        key="ally_chip_exports_to_china",
        label=f"JPN+KOR+NLD chip and chip-equipment exports to China, {CONTROLS_FIRST_FULL_YEAR}+ "
        "vs 2022, minus the change to other destinations",
        estimate=None,
        unit="pp",
        support=Threshold("<=", DISRUPTION_SUPPORT_PCT),
        contradict=Threshold(">=", DISRUPTION_CONTRADICT_PCT),
        kind="observed",
        missing=missing,
        digits=1,
    )
    return test, icio, ids


def _ally_icio_exports(store: Store) -> tuple[pd.DataFrame, list[int]]:
    """Exports of ICIO sectors C26 and C28 by Japan, Korea and the Netherlands to China and to
    the world (excluding domestic sales), USD bn, 2014–2022 (OECD ICIO 2023, basic prices; the
    store's ``icio2014`` … ``icio2022`` model inputs)."""
    cols = ["exporter", "sector", "year", "to_china_usd_bn", "to_world_usd_bn", "china_share_pct"]
    rows = []
    ids: set[int] = set()
    for dataset in icio_datasets(store):
        cube = icio_flows(store, dataset)  # shared with claims 2 and 4 (techties.claims.shared)
        ids |= set(cube.provenance_ids)
        chn = cube.countries.index("CHN")
        for code in ICIO_SECTORS:
            block = cube.flows[cube.sectors.index(code)]  # [destination, origin]
            for c in ALLIES:
                i = cube.countries.index(c)
                world = float(block[:, i].sum() - block[i, i])
                china = float(block[chn, i])
                rows.append((c, code, cube.year, china / 1e3, world / 1e3, 100 * china / world))
    return pd.DataFrame(rows, columns=cols), sorted(ids)


@register
class ChipControlsAllies(Checker):
    """Claim 8: chip export controls disrupted the chip supply chain and cost Japan, Korea and
    the Netherlands (observed disruption AND modelled cost)."""

    name = "chip_controls_allies"
    claim_id = "chip-controls-hurt-allies"
    method = (
        "The claim has two parts, both required. Disruption (observed): Japan's, Korea's and the "
        "Netherlands' exports of chips and chip-making equipment to China from "
        f"{CONTROLS_FIRST_FULL_YEAR} on against 2022, minus the same change in their exports to "
        f"other destinations — supported at ≤ {DISRUPTION_SUPPORT_PCT:g} pp, contradicted at ≥ "
        f"{DISRUPTION_CONTRADICT_PCT:g}; the staged data do not measure "
        "it (OECD ICIO by destination ends in 2022; Comtrade chip files are partner World). "
        f"Cost (model): the scenario {CHIP_SCENARIO!r} (Caliendo–Parro GE, Eora26 2017) with "
        f"{DRAWS} draws of θ and of the assumed covered shares; each ally's change in real "
        f"income is a cost if its whole 90 % band lies below −{WELFARE_EPS_PCT:g} % and a gain "
        f"above +{WELFARE_EPS_PCT:g} %. The verdict is the conjunction: contradicted if any part "
        "is, unverifiable while the disruption part is not measured."
    )

    def evaluate(self, store: Store) -> Verdict:
        cells = [(CHIP_SCENARIO, c) for c in ALLIES]
        df, ge_ids = _runs(store, [CHIP_SCENARIO], draws=DRAWS)
        cost = _tests(df, cells, gain=False)
        disruption, icio, icio_ids = _disruption_test(store)
        tests = [disruption, *cost]

        def with_disruption(t: list[Test]) -> list[Test]:
            return [disruption, *t]

        alts, notes, alt_ids, alt_df = _panel(
            store,
            [CHIP_SCENARIO], cells, gain=False, main=df, extra=with_disruption
        )
        for f in (0.5, 1.5):
            word = "closer to" if f < 1 else "further from"
            alts[f"cost thresholds × {f:g} ({word} neutral)"] = with_disruption(
                [t.moved(f) for t in cost]
            )
        for name, alt_tests in alts.items():
            part = [t for t in alt_tests if t.key != disruption.key]
            state = combine([t.status for t in part])
            notes[name] = (notes.get(name, "") + f"; cost part alone: {state}").lstrip("; ")
        notes["main specification"] += f"; cost part alone: {combine([t.status for t in cost])}"
        decision = decide(tests, alts, notes=notes)
        context, ids, note = _ally_chip_exports(store)
        cost_state = combine([t.status for t in cost])
        pro, con = _direction_sentences(cost, gain=False)
        pro += _icio_sentences(icio)
        con.append(
            "The covered shares of Japanese, Korean and Dutch exports to China that the controls "
            "shut in the model are assumptions (ranges 10–60 %), not measurements; the modelled "
            "cost follows from them."
        )
        con.append(disruption.missing)
        if context:
            con.append(
                "Context only: their chip (HS 8542) exports to the world changed "
                + ", ".join(f"{f.label.split()[0]} {f.value:+.1f} %" for f in context)
                + f" from {ALLY_BASE_YEAR} to the latest common year, which does not isolate "
                "exports to China or the controls."
            )
        con.append(MODEL_CAVEAT)
        rationale = (
            f"Unverifiable as stated: the disruption half is not measured ({disruption.missing}) "
            f"The modelled cost half alone is {cost_state}: "
            + "; ".join(f"{t.label.split(',')[0]} {_fmt(t)} → {t.status}" for t in cost)
            + f" (90 % bands over {DRAWS} draws; loss below −{WELFARE_EPS_PCT:g} %)"
            + (note or ".")
        )
        if decision.status != "unverifiable":
            rationale = _rationale(decision, tests) + note
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=rationale,
            figures=_figures(cost) + context + _icio_figures(icio),
            evidence=pd.concat([df, alt_df], ignore_index=True),
            provenance_ids=sorted({*ge_ids, *alt_ids, *icio_ids, *ids}),
            chart=_bars(df, "Real-income effects of the chip export controls (model)"),
            evidence_for=pro,
            evidence_against=con,
            design=(
                "Two parts: an observed before/after comparison of the allies' chip exports to "
                "China around October 2022 (not measurable on the staged data) and a "
                "Caliendo–Parro model counterfactual of their real income with Monte Carlo bands."
            ),
        )


def _icio_latest(icio: pd.DataFrame, sector: str) -> pd.DataFrame:
    rows = icio[icio["sector"] == sector]
    return rows[rows["year"] == rows["year"].max()] if not rows.empty else rows


def _icio_sentences(icio: pd.DataFrame) -> list[str]:
    """Exposure (evidence for the cost part's mechanism, not an observed effect)."""
    if icio.empty:
        return []
    chips = _icio_latest(icio, "C26")
    equipment = {str(k): float(v) for k, v in
                 _icio_latest(icio, "C28").set_index("exporter")["china_share_pct"].items()}  # fmt: skip
    year = int(chips["year"].iloc[0])
    parts = ", ".join(
        f"{r['exporter']} {float(r['china_share_pct']):.0f} % and "
        f"{equipment.get(str(r['exporter']), float('nan')):.0f} %"
        for r in chips.to_dict("records")
    )
    return [
        f"China bought a large part of the allies' exports of computer, electronic and optical "
        f"products (ICIO C26, with chips) and of machinery (C28, with chip-making equipment) in "
        f"{year} — {parts} — so controls on that trade have something to bite on (exposure, "
        "not an observed effect)."
    ]


def _icio_figures(icio: pd.DataFrame) -> list[Figure]:
    out = []
    for code in ICIO_SECTORS:
        for r in _icio_latest(icio, code).to_dict("records"):
            out.append(
                Figure(
                    f"{r['exporter']}_{code}_china_share_{r['year']}",
                    f"{r['exporter']}: China's share of its ICIO {code} exports "
                    f"({ICIO_SECTORS[code]}), {r['year']} (context)",
                    float(r["china_share_pct"]),
                    "%",
                )
            )
    return out


def _ally_chip_exports(store: Store) -> tuple[list[Figure], list[int], str]:
    """Context, not part of the rule: HS 8542 exports to the WORLD of Japan, Korea and the
    Netherlands, change from 2022 (the controls' year) to the latest year all three report
    (``100 · (X[c, t1] / X[c, 2022] − 1)``, UN Comtrade, current US$)."""
    if not store.has_table("trade_flows"):
        return [], [], ""
    where = (
        "source IN ('comtrade', 'comtrade_latin1') AND flow = 'export' AND partner = 'WLD' "
        "AND product_code = '8542' AND month IS NULL AND reporter IN (SELECT unnest(?))"
    )
    params: list[object] = [list(ALLIES)]
    x = store.df(
        f"SELECT reporter, year, sum(value_usd) AS v FROM trade_flows WHERE {where} GROUP BY ALL",
        params,
    )
    full = x.groupby("year")["reporter"].nunique()
    years = [int(y) for y in full[full == len(ALLIES)].index if y >= ALLY_BASE_YEAR]
    if ALLY_BASE_YEAR not in years or max(years) == ALLY_BASE_YEAR:
        return [], [], ""
    last = max(years)
    v = x.set_index(["reporter", "year"])["v"]
    figs = [
        Figure(f"{c}_chip_exports_world_change",
               f"{c} HS 8542 exports to the world, {ALLY_BASE_YEAR}–{last} (context)",
               100 * (float(v[(c, last)]) / float(v[(c, ALLY_BASE_YEAR)]) - 1), "% change")
        for c in ALLIES
    ]  # fmt: skip
    ids = store.df(f"SELECT DISTINCT provenance_id FROM trade_flows WHERE {where}", params)
    note = (
        ". Context, not part of the rule: HS 8542 exports to the world changed "
        + ", ".join(f"{f.label.split()[0]} {f.value:+.1f} %" for f in figs)
        + f" from {ALLY_BASE_YEAR} to {last} (Comtrade; exports to China are not staged)."
    )
    return figs, sorted(int(i) for i in ids["provenance_id"]), note
