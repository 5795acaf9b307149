"""Claim 2: China's high-technology exports depend on imported inputs, a good part of which come
from the US (a conjunction of two observed accounting numbers, see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from techties import charts
from techties.claims.base import (
    Checker,
    provenance_of,
    register,
)
from techties.claims.checkers.sourcing import inputs
from techties.claims.checkers.sourcing._common import (
    _absent,
    _rationale,
)
from techties.claims.checkers.sourcing.inputs import (
    RUV_ELECTRONICS,
    RUV_MAP,
    RUV_SECTORS,
    Icio,
    RuvChina,
)
from techties.claims.rules import Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import TechtiesError
from techties.store import Store

FVA_SUPPORT = Threshold(">=", 15.0)
FVA_CONTRA = Threshold("<", 10.0)
US_SUPPORT = Threshold(">=", 10.0)
US_CONTRA = Threshold("<", 5.0)
FVA_LOAD = "ingest tech-gvc/dva_gtrade.dta (source wiod_dva) with `techties report --data DIR`"
COMPONENTS = ("8541", "8542")
ELECTRONICS = ("C26",)
ELECTRONICS_WIDE = ("C26", "C27")
WIOD_ELECTRONICS = "Computer, electronic, optical"


def fva_share(icio: Icio, ruv: RuvChina, year: int) -> dict[str, float]:
    """China's foreign value-added share by RUV sector (module doc, test A), with the
    export-weighted shares of all exports and of goods exports; percent."""
    c = icio.idx("CHN")
    x = icio.flows[year]
    d, ex = [], []
    for s in RUV_SECTORS:
        idx = icio.sector_idx(RUV_MAP[s])
        use = x[idx, c, :].sum(axis=0)
        d.append(use[c] / use.sum() if use.sum() > 0 else 1.0)
        sold = x[idx, :, c].sum(axis=0)
        ex.append(sold.sum() - sold[c])
    dom, exports = np.array(d), np.array(ex)
    a = ruv.io[year] * (1.0 - ruv.beta[year])[None, :]
    leontief = np.linalg.inv(np.eye(len(RUV_SECTORS)) - a * dom[:, None])
    fva = 100.0 * (np.ones(len(RUV_SECTORS)) @ (a * (1.0 - dom)[:, None]) @ leontief)
    goods = [i for i, s in enumerate(RUV_SECTORS) if s != 113]
    e = RUV_SECTORS.index(RUV_ELECTRONICS)
    return {
        "electronics": float(fva[e]),
        "first_round": float(100.0 * (a[:, e] * (1.0 - dom)).sum()),
        "all": float((fva * exports).sum() / exports.sum()),
        "goods": float((fva[goods] * exports[goods]).sum() / exports[goods].sum()),
    }


def us_share(icio_like: Any, year: int | None, sectors: Sequence[str]) -> float:
    """US share (%) of China's imports of ``sectors`` (origin ≠ China)."""
    if year is None:  # a SectoralFlows cube (WIOD 2014)
        countries, x, secs = icio_like.countries, icio_like.flows, icio_like.sectors
    else:
        countries, x, secs = icio_like.countries, icio_like.flows[year], icio_like.sectors
    c, u = countries.index("CHN"), countries.index("USA")
    idx = [secs.index(s) for s in sectors]
    imp = x[idx, c, :].sum(axis=0)
    imp[c] = 0.0
    return float(100.0 * imp[u] / imp.sum())


def us_input_share(icio: Icio, ruv: RuvChina, year: int) -> float | None:
    """US share (%) of the imported inputs of China's electronics industry: origin shares of
    China's imports of each input k weighted by the industry's imported-input cost k."""
    c, u = icio.idx("CHN"), icio.idx("USA")
    x = icio.flows[year]
    e = RUV_SECTORS.index(RUV_ELECTRONICS)
    num = den = 0.0
    for i, s in enumerate(RUV_SECTORS):
        use = x[icio.sector_idx(RUV_MAP[s]), c, :].sum(axis=0)
        imported = use.sum() - use[c]
        if imported <= 0:
            continue
        w = ruv.io[year][i, e] * imported / use.sum()
        num += w * use[u] / imported
        den += w
    return 100.0 * num / den if den > 0 else None


def _fva_test(value: float | None, label: str, why: str = "") -> Test:
    if value is None:
        return _absent("fva", label, "%", FVA_SUPPORT, FVA_CONTRA, why)
    return Test("fva", label, value, "%", FVA_SUPPORT, FVA_CONTRA, digits=1)


def _us_test(value: float | None, label: str, why: str = "") -> Test:
    if value is None:
        return _absent("us", label, "%", US_SUPPORT, US_CONTRA, why)
    return Test("us", label, value, "%", US_SUPPORT, US_CONTRA, digits=1)


@register
class ChinaImportReliance(Checker):
    """Claim 2: China's high-tech exports embody much foreign value added, with a large US part."""

    name = "china_import_reliance"
    claim_id = "china-hightech-relies-on-imports"
    method = (
        "Foreign value-added share of China's electronics exports (ICIO sectors D26–D27) from the "
        "ICIO 2021 input–output and value-added shares with China's domestic shares of each "
        "input from the OECD ICIO 2023 cube (single-country Leontief measure), and the US share "
        "of China's imports of computer and electronic goods (ICIO C26), latest year. "
        f"Supported when the first is ≥ {FVA_SUPPORT.value:.0f} % and the second "
        f"≥ {US_SUPPORT.value:.0f} %; contradicted when either is below "
        f"{FVA_CONTRA.value:.0f} % / {US_CONTRA.value:.0f} %."
    )

    def evaluate(self, store: Store) -> Verdict:
        icio, why_i, ids_i = inputs.icio_or_why(store)
        ruv, why_r, ids_r = inputs.ruv_or_why(store)
        wiod, wiod_ids = _wiod_fva(store)
        tests = [_fva(icio, ruv, why_i or why_r, None), _us(icio, why_i, None)]
        alternatives = _reliance_alternatives(icio, ruv, why_i or why_r, why_i, tests, wiod)
        comp, comp_year, comp_ids = _us_component_share(store)
        if comp is not None:
            alternatives[f"China-reported HS 8541/8542 imports {comp_year}"] = [
                tests[0], _us_test(comp, f"US share of China's HS 8541/8542 imports {comp_year}")
            ]  # fmt: skip
        decision = decide(
            tests, alternatives,
            notes={"main specification": "ICIO: FVA latest year with IO shares (2018), US share "
                   "latest cube year (2022)"},
        )  # fmt: skip
        figs, series = _reliance_figures(icio, ruv, wiod, comp, comp_year)
        for_, against = _reliance_evidence(tests, figs)
        chart = _reliance_chart(pd.concat(series)) if series else None
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=_rationale(decision, tests),
            figures=figs,
            evidence=pd.concat(series) if series else pd.DataFrame(),
            method=self.method,
            provenance_ids=sorted(set(wiod_ids) | set(comp_ids) | set(ids_i) | set(ids_r)),
            chart=chart,
            evidence_for=for_,
            evidence_against=against,
            design=(
                "Observed input–output accounting: the foreign value-added share of China's "
                "electronics exports (single-country Leontief on ICIO shares) and the US share of "
                "China's electronics imports, each against a threshold fixed in advance."
            ),
        )


def _fva(
    icio: Icio | None,
    ruv: RuvChina | None,
    why: str,
    year: int | None,
    which: str = "electronics",
) -> Test:
    """Test A in ``year`` (None: the latest year of both the cube and the IO shares)."""
    label = (
        "Foreign value added, China's electronics exports"
        if which == "electronics"
        else "Foreign value added, all of China's exports"
    )
    if icio is None or ruv is None:
        return _fva_test(None, label, why)
    yrs = sorted(set(ruv.io) & set(icio.flows))
    if not yrs:
        return _fva_test(None, label, "no common year of the ICIO cube and the IO shares")
    y = yrs[-1] if year is None else year
    if y not in yrs:
        return _fva_test(None, label, f"no ICIO input–output shares for {y}")
    return _fva_test(fva_share(icio, ruv, y)[which], f"{label} {y}")


def _us(
    icio: Icio | None, why: str, year: int | None, sectors: Sequence[str] = ELECTRONICS
) -> Test:
    """Test B in ``year`` (None: the latest cube year)."""
    label = "US share of China's imports of computer and electronic goods"
    if icio is None:
        return _us_test(None, label, why)
    y = icio.years[-1] if year is None else year
    if y not in icio.flows:
        return _us_test(None, label, f"the ICIO cubes have no {y}")
    return _us_test(us_share(icio, y, sectors), f"{label} {y}")


def _reliance_alternatives(
    icio: Icio | None,
    ruv: RuvChina | None,
    why_fva: str,
    why_i: str,
    tests: list[Test],
    wiod: pd.DataFrame,
) -> dict[str, list[Test]]:
    """The robustness panel of claim 2 (the China-reported chip imports are added by the
    checker): all exports, other years, a wider sector, the US share of imported inputs and
    the WIOD 2014 tables."""

    def fva(year: int | None, which: str = "electronics") -> Test:
        return _fva(icio, ruv, why_fva, year, which)

    def us(year: int | None, sectors: Sequence[str] = ELECTRONICS) -> Test:
        return _us(icio, why_i, year, sectors)

    alternatives: dict[str, list[Test]] = {
        "all exports, not electronics only": [fva(None, "all"), tests[1]],
        "year 2018 (before the 2019–2022 controls)": [fva(2018), us(2018)],
        "year 2015": [fva(2015), us(2015)],
        "electronics and electrical (C26–C27) imports": [tests[0], us(None, ELECTRONICS_WIDE)],
    }
    if icio is not None and ruv is not None and 2018 in ruv.io and 2018 in icio.flows:
        alternatives["US share of all imported inputs of the electronics industry 2018"] = [
            tests[0],
            _us_test(us_input_share(icio, ruv, 2018),
                     "US share of the electronics industry's imported inputs 2018"),
        ]  # fmt: skip
    w_us = None
    if icio is not None and icio.wiod is not None and WIOD_ELECTRONICS in icio.wiod.sectors:
        w_us = us_share(icio.wiod, None, [WIOD_ELECTRONICS])
    w_last = wiod[wiod["year"] == wiod["year"].max()] if not wiod.empty else wiod
    alternatives["WIOD 2014 instead of ICIO (all exports)"] = [
        _fva_test(
            float(w_last["share_pct"].iloc[0]) if not w_last.empty else None,
            "Foreign value added, all of China's exports (WIOD 2014)", FVA_LOAD,
        ),
        _us_test(w_us, "US share of China's computer/electronic imports (WIOD 2014)",
                 "the WIOD 2014 cube (WIOD2014.mat) is not in the store"),
    ]  # fmt: skip
    return alternatives


def _reliance_figures(
    icio: Icio | None,
    ruv: RuvChina | None,
    wiod: pd.DataFrame,
    comp: float | None,
    comp_year: int | None,
) -> tuple[list[Figure], list[pd.DataFrame]]:
    """Figures and yearly series of claim 2: foreign value-added shares (ICIO, WIOD), the US
    share of China's electronics imports and of its chip imports."""
    w_last = wiod[wiod["year"] == wiod["year"].max()] if not wiod.empty else wiod
    figs: list[Figure] = []
    series: list[pd.DataFrame] = []
    if icio is not None and ruv is not None:
        yrs = sorted(set(ruv.io) & set(icio.flows))
        rows = {y: fva_share(icio, ruv, y) for y in yrs}
        last = yrs[-1]
        figs += [
            Figure("fva_electronics_pct", f"Foreign VA share, China's electronics exports {last}",
                   rows[last]["electronics"], "%"),
            Figure("fva_first_round_pct", f"…of which direct (first-round) imported inputs {last}",
                   rows[last]["first_round"], "%"),
            Figure("fva_all_pct", f"Foreign VA share, all of China's exports {last} (ICIO)",
                   rows[last]["all"], "%"),
            Figure("fva_electronics_first_pct", f"Foreign VA share, electronics exports {yrs[0]}",
                   rows[yrs[0]]["electronics"], "%"),
        ]  # fmt: skip
        series.append(pd.DataFrame({
            "year": yrs, "value": [rows[y]["electronics"] for y in yrs],
            "series": "Foreign VA share, electronics exports (ICIO)"}))  # fmt: skip
    if icio is not None:
        us_s = {y: us_share(icio, y, ELECTRONICS) for y in icio.years}
        figs += [
            Figure("us_c26_share_pct", f"US share of China's C26 imports {icio.years[-1]}",
                   us_s[icio.years[-1]], "%"),
            Figure("us_c26_share_first_pct", f"US share of China's C26 imports {icio.years[0]}",
                   us_s[icio.years[0]], "%"),
        ]  # fmt: skip
        series.append(pd.DataFrame({
            "year": list(us_s), "value": list(us_s.values()),
            "series": "US share of China's electronics (C26) imports (ICIO)"}))  # fmt: skip
    if not wiod.empty:
        figs.append(Figure("fva_wiod_pct", f"Foreign VA share, all of China's exports "
                           f"{int(w_last['year'].iloc[0])} (WIOD)",
                           float(w_last["share_pct"].iloc[0]), "%"))  # fmt: skip
        series.append(pd.DataFrame({"year": wiod["year"], "value": wiod["share_pct"],
                                    "series": "Foreign VA share, all exports (WIOD)"}))  # fmt: skip
    if comp is not None:
        figs.append(Figure("us_component_pct", f"US share of China's HS 8541/8542 imports "
                           f"{comp_year}", comp, "%"))  # fmt: skip
    return figs, series


def _fig(figs: Sequence[Figure], key: str) -> float | None:
    hit = [f.value for f in figs if f.key == key]
    return hit[0] if hit else None


def _reliance_evidence(
    tests: Sequence[Test], figs: Sequence[Figure]
) -> tuple[list[str], list[str]]:
    for_: list[str] = []
    against: list[str] = []
    fva, us = tests
    if fva.estimate is not None:
        s = (
            f"Foreign value added is {fva.estimate:.1f} % of China's electronics exports "
            f"({fva.label.rsplit(' ', 1)[-1]}, ICIO-based)."
        )
        (for_ if fva.status == "supported" else against).append(s)
        allx = _fig(figs, "fva_all_pct")
        if allx is not None:
            (for_ if allx >= FVA_SUPPORT.value else against).append(
                f"Across all of China's exports the foreign value-added share is lower, "
                f"{allx:.1f} %, so the dependence is concentrated in electronics."
            )
    if us.estimate is not None:
        first = _fig(figs, "us_c26_share_first_pct")
        s = f"The US supplied {us.estimate:.1f} % of China's imports of computer and electronic goods ({us.label.rsplit(' ', 1)[-1]})"
        s += (
            f", down from {first:.1f} % in 2014."
            if first is not None and first > us.estimate
            else "."
        )
        (for_ if us.status == "supported" else against).append(s)
        against.append(
            "US technology embodied in chips made in Taiwan, Korea or Japan is recorded there, not "
            "as US supply, so the US share understates US-origin technology."
        ) if us.status != "supported" else None
    return for_, against


def _reliance_chart(df: pd.DataFrame) -> Any:
    data = df.assign(date=pd.to_datetime(df["year"].astype(int).astype(str) + "-07-01"))
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Year"),
            y=alt.Y("value:Q", title="%"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=1)),
            tooltip=["series", "year", alt.Tooltip("value:Q", format=".1f")],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"value": [FVA_SUPPORT.value, US_SUPPORT.value],
                                "rule": ["FVA threshold 15 %", "US-share threshold 10 %"]}))
        .mark_rule(strokeDash=[4, 3], color="#888")
        .encode(y="value:Q", tooltip=["rule"])
    )  # fmt: skip
    return charts.finish(
        lines + rules,
        title="China's imported content and the US part of its electronics imports",
        subtitle="% (foreign value added in exports; US share of China's C26 imports)",
        source="OECD ICIO 2023 and 2021 edition; WIOD 2016 via icio",
    )


def _wiod_fva(store: Store) -> tuple[pd.DataFrame, list[int]]:
    """The WIOD foreign value-added share of China's exports by year (empty when not stored)."""
    from techties.indicators.gvc import foreign_value_added_share

    try:
        res = foreign_value_added_share(store, exporter="CHN")
    except TechtiesError:
        return pd.DataFrame(columns=["year", "share_pct"]), []
    t = res.tidy().sort_values("year")
    return t[["year", "share_pct"]].reset_index(drop=True), list(res.provenance_ids)


def _us_component_share(store: Store) -> tuple[float | None, int | None, list[int]]:
    """US share (%) of China-reported imports of HS 8541/8542 in the latest year with a world
    total: ``100 · V[CHN ← USA] / V[CHN ← WLD]``; ``(None, None, [])`` when not stored."""
    if not store.has_table("trade_flows"):
        return None, None, []
    where = (
        "reporter = 'CHN' AND flow = 'import' AND classification = 'HS' AND month IS NULL "
        "AND product_level = 4 AND product_code IN (SELECT unnest(?)) AND partner IN ('USA', 'WLD')"
    )
    params: list[object] = [list(COMPONENTS)]
    df = store.df(
        "SELECT year, sum(value_usd) FILTER (WHERE partner = 'USA') AS us, "
        "sum(value_usd) FILTER (WHERE partner = 'WLD') AS world "
        f"FROM trade_flows WHERE {where} GROUP BY year HAVING world > 0 ORDER BY year",
        params,
    )
    if df.empty:
        return None, None, []
    last = df.iloc[-1]
    us = 0.0 if pd.isna(last["us"]) else float(last["us"])
    return (
        100 * us / float(last["world"]),
        int(last["year"]),
        provenance_of(store, "trade_flows", where, params),
    )
