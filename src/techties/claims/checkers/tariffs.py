"""Checker of claim 7 (tariff incidence): the estimation layer's pass-through estimates for the
Section 301 tariffs and for the Section 232 steel and aluminium products, and the duties paid on
US imports from China (Census calculated duties).

Pass-through to duty-inclusive prices is ``1 + β_P`` where ``β_P`` is the elasticity of the
duty-exclusive unit value to ``1 + τ`` (``techties.models.incidence``). 1 is full pass-through
(exporters did not cut their prices; US buyers paid the whole duty); above 1 means duty-exclusive
unit values *rose* with the tariff — exporters raised prices or, more likely with HS6 unit values,
the mix shifted towards dearer varieties (quality and composition).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, provenance_of, register
from techties.claims.rules import Decision, Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError, TechtiesError
from techties.indicators.exposure import effective_duty_rates
from techties.models import incidence as mod
from techties.models import panels as pan
from techties.models.incidence import incidence
from techties.store import Store
from techties.store.derived import cached

BASE_YEAR = 2017
#: the rule: the whole 95 % interval of the pass-through against these (neutral: half borne)
PASS_HIGH, PASS_LOW, PASS_NEUTRAL = 0.8, 0.2, 0.5
FULL_PASS_THROUGH = 1.0
SPEC_301, SPEC_232 = "section 301", "section 232"
#: the estimation-sample alternatives of the robustness panel (applied to the Section 301 fit)
SAMPLE_ALTERNATIVES = {
    "comparator Vietnam only (Mexico dropped)": "no_mex",
    "comparator Mexico only (Vietnam dropped)": "no_vnm",
    "2015–2019 only (before COVID)": "to_2019",
}


@register
class TariffIncidence(Checker):
    """Claim 7: US buyers bore the Section 232/301 tariffs (pass-through to US prices)."""

    name = "tariff_incidence"
    claim_id = "tariff-cost-on-us"
    method = (
        "Fits the estimation layer's incidence model (ln unit value on ln(1 + tariff), "
        "product×partner, product×year and partner×year fixed effects, SEs clustered by product) "
        "on 2015–2021 Comtrade HS6 US imports from China, Vietnam and Mexico, once for the "
        "Section 301 tariffs on China and once for the Section 232 steel and aluminium products "
        "(232 duty on every partner, Mexico exempt from May 2019, plus 301 on China); "
        "pass-through to duty-inclusive prices is 1 + β_P. Each part is supported when its whole "
        f"95 % interval is ≥ {PASS_HIGH} and contradicted when it is ≤ {PASS_LOW} (the claim needs "
        "both parts); the duties paid on imports from China (Census calculated duties, 2025 "
        "months included) are the observed legal incidence."
    )

    def evaluate(self, store: Store) -> Verdict:
        duties = _duties_paid(store)
        ytd = _duties_same_months(store)
        try:
            t, fit_ids = _incidence_fits(store)
        except Missing as m:
            if duties is None:
                raise
            v = Verdict.unverifiable(
                self.claim_id, m.reason, m.what + _DUTY_NOTE, method=self.method
            )
            v.figures, v.evidence, v.provenance_ids, v.chart = duties
            v.figures = v.figures + (ytd[0] if ytd else [])
            return v
        uv = t[t["outcome"] == "unit_value"].set_index("spec")
        if SPEC_301 not in uv.index:
            raise Missing("no_data", "the incidence panel identifies no unit-value response.")
        main_301 = _pass_test(uv, SPEC_301, "Section 301 pass-through (1 + β_P)")
        main_232 = _pass_test(uv, SPEC_232, "Section 232 steel/aluminium pass-through")
        decision = _pass_decision(uv, main_301, main_232)
        return self._verdict(decision, t, fit_ids, _Pass301.of(uv), main_232, duties, ytd)

    def _verdict(
        self,
        decision: Decision,
        t: pd.DataFrame,
        fit_ids: list[int],
        p: _Pass301,
        main_232: Test,
        duties: _Duties | None,
        ytd: _SameMonths | None,
    ) -> Verdict:
        figs, ids, chart = _pass_figures(p, main_232, duties, ytd)
        rationale, part_232 = _pass_rationale(p, main_232)
        ev_for, ev_against = _pass_evidence_text(p, part_232, duties, ytd)
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=rationale,
            figures=figs,
            evidence=t,
            provenance_ids=sorted({*ids, *fit_ids}),
            chart=chart,
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                "Difference-in-differences in HS6 unit values: taxed China lines against the same "
                "lines from Vietnam and Mexico (product×year, partner×year FE), for Section 301 and "
                "separately for the Section 232 products."
            ),
        )


#: the calculated duties by full year: figures, tidy rows, provenance ids, chart
_Duties = tuple[list[Figure], pd.DataFrame, list[int], Any]
#: the duties of the latest year's months so far: figures, provenance ids, the months' label
_SameMonths = tuple[list[Figure], list[int], str]


@dataclass(frozen=True)
class _Pass301:
    """The Section 301 pass-through (1 + β_P) with its interval and the p-value against full
    pass-through."""

    est: float
    lo: float
    hi: float
    p_full: float

    @classmethod
    def of(cls, uv: pd.DataFrame) -> _Pass301:
        r: dict[Any, Any] = uv.loc[SPEC_301].to_dict()
        est, lo, hi = (1 + float(r[k]) for k in ("estimate", "conf_low", "conf_high"))
        p_full = float(r["p_value"])  # H0: β_P = 0 ⇔ pass-through = 1
        return cls(est, lo, hi, p_full)


def _pass_decision(uv: pd.DataFrame, main_301: Test, main_232: Test) -> Decision:
    """Both parts decide; the sample alternatives replace the Section 301 fit."""
    alts = {
        name: [_pass_test(uv, key, f"301 pass-through ({name})"), main_232]
        for name, key in SAMPLE_ALTERNATIVES.items()
    }
    notes = {
        name: f"Section 301 part alone: {tests[0].status} ({tests[0].interval_text()})"
        for name, tests in alts.items()
    }
    notes["main specification"] = (
        f"Section 301 part alone: {main_301.status}; Section 232 part: {main_232.status}"
    )
    return decide([main_301, main_232], alts, notes=notes)


def _pass_figures(
    p: _Pass301, main_232: Test, duties: _Duties | None, ytd: _SameMonths | None
) -> tuple[list[Figure], list[int], Any]:
    """The figures, the duties' provenance ids and the chart (the duties paid, if staged)."""
    est, lo, hi, p_full = p.est, p.lo, p.hi, p.p_full
    figs = [
        Figure("pass_through", "Pass-through to duty-inclusive prices (1 + β_P), Section 301", est, "share", 2),
        Figure("conf_low", "95 % interval, low", lo, "share", 2),
        Figure("conf_high", "95 % interval, high", hi, "share", 2),
        Figure("p_full", "p-value against full pass-through (= 1)", p_full, "share", 3),
    ]  # fmt: skip
    if main_232.estimate is not None:
        lo2, hi2 = main_232.bounds
        figs += [
            Figure("pass_through_232", "Pass-through, Section 232 steel/aluminium products", main_232.estimate, "share", 2),
            Figure("conf_low_232", "232: 95 % interval, low", lo2, "share", 2),
            Figure("conf_high_232", "232: 95 % interval, high", hi2, "share", 2),
        ]  # fmt: skip
    ids: list[int] = []
    chart = None
    if duties is not None:
        figs += duties[0]
        ids, chart = duties[2], duties[3]
    if ytd is not None:
        figs += ytd[0]
        ids = sorted(set(ids) | set(ytd[1]))
    return figs, ids, chart


def _pass_rationale(p: _Pass301, main_232: Test) -> tuple[str, str]:
    """The rationale and its sentence on the Section 232 part."""
    est, lo, hi, p_full = p.est, p.lo, p.hi, p.p_full
    above = (
        f"The point is above 1 ({est:.2f}): duty-exclusive unit values rose with the tariff — "
        "more likely a shift in the HS6 mix towards dearer varieties (quality and composition) "
        "than exporters raising prices — but the interval includes 1 "
        f"(p = {p_full:.2f} against full pass-through)."
        if est > FULL_PASS_THROUGH and lo <= FULL_PASS_THROUGH
        else f"Full pass-through (1) is {'inside' if lo <= 1 <= hi else 'outside'} the interval "
        f"(p = {p_full:.2f})."
    )
    part_232 = (
        f"For the Section 232 steel and aluminium products the estimate is "
        f"{main_232.estimate:.2f} ({main_232.interval_text()}), too wide to decide."
        if main_232.estimate is not None and main_232.status == "mixed"
        else f"Section 232 part: {main_232.status}."
    )
    rationale = (
        f"A 1 % Section 301 tariff raised the tariff-inclusive price of US imports from China by "
        f"{est:.2f} % (95 % interval {lo:.2f} to {hi:.2f}; 1 = full pass-through), from "
        f"{INCIDENCE_YEARS[0]}–{INCIDENCE_YEARS[-1]} HS6 unit values. {above} {part_232}"
    )
    return rationale, part_232


def _pass_evidence_text(
    p: _Pass301, part_232: str, duties: _Duties | None, ytd: _SameMonths | None
) -> tuple[list[str], list[str]]:
    """The evidence for and against the claim as stated, one sentence each."""
    est, lo, hi = p.est, p.lo, p.hi
    duty_text = ""
    if ytd is not None:
        f = {x.key: x.value for x in ytd[0]}
        duty_text = (
            f"US importers paid USD {f['duties_ytd']:.1f} bn of duties on imports from China in "
            f"{ytd[2]} ({f['duties_ytd_prev']:.1f} bn in the same months of the year before), "
            "the legal incidence (it includes the 2025 IEEPA tariffs, not only 232/301)."
        )
    ev_for = [
        f"Section 301 pass-through {est:.2f} with a 95 % interval of {lo:.2f} to {hi:.2f}, "
        f"entirely above {PASS_HIGH}: Chinese exporters did not cut their prices."
    ]
    if duty_text:
        ev_for.append(duty_text)
    elif duties is not None:
        ev_for.append(
            "US importers of record paid the calculated duties on imports from China "
            f"({duties[0][0].formatted()} at the peak year)."
        )
    ev_against = [
        part_232,
        "Border pass-through says who paid at the dock, not how US importers, retailers and "
        "consumers split it downstream; HS6 unit values mix quality and composition.",
    ]
    if est > FULL_PASS_THROUGH:
        ev_against.append(
            f"A point estimate above 1 ({est:.2f}) is not a price cut by exporters and not "
            "literally possible as incidence; it signals composition change within HS6 lines."
        )
    return ev_for, ev_against


def _pass_test(uv: pd.DataFrame, spec: str, label: str) -> Test:
    if spec not in uv.index:
        return Test(
            key=spec.replace(" ", "_"),
            label=label,
            estimate=None,
            unit="",
            support=Threshold(">=", PASS_HIGH),
            contradict=Threshold("<=", PASS_LOW),
            missing=f"the {spec} incidence fit is not available",
        )
    r: dict[Any, Any] = uv.loc[spec].to_dict()
    return Test(
        key=spec.replace(" ", "_"),
        label=label,
        estimate=1 + float(r["estimate"]),
        unit="",
        support=Threshold(">=", PASS_HIGH),
        contradict=Threshold("<=", PASS_LOW),
        kind="estimated",
        low=1 + float(r["conf_low"]),
        high=1 + float(r["conf_high"]),
        interval="95 % CI, clustered by product",
        neutral=PASS_NEUTRAL,
    )


#: US imports from China and two untaxed comparison partners (Comtrade HS6, quantities kept)
INCIDENCE_PARTNERS = ("CHN", "VNM", "MEX")
INCIDENCE_YEARS = range(2015, 2022)


def _incidence_fits(store: Store) -> tuple[pd.DataFrame, list[int]]:
    """The estimation layer's incidence fits on the store's Comtrade HS6 panel, one block of
    rows per ``spec`` (Section 301 main, the sample alternatives, Section 232); cached in the
    store's ``derived`` table by the provenance ids of the rows used and the code version."""
    try:
        flows = pan.comtrade_hs6(store, INCIDENCE_PARTNERS, years=INCIDENCE_YEARS)
        waves = pan.bown_waves(store)
    except NoDataError as exc:
        raise Missing(
            "no_data",
            "the pass-through estimate needs the Comtrade HS6 US imports from China, Vietnam and "
            f"Mexico and Bown's tariff waves in the store: {exc.message} {exc.hint}",
        ) from None
    missing = set(INCIDENCE_PARTNERS) - set(flows["partner"])
    if missing:
        raise Missing(
            "no_data", f"the store has no Comtrade HS6 US imports from {sorted(missing)}."
        )
    ids = sorted({*flows.attrs["provenance_ids"], *waves.attrs["provenance_ids"]})

    def fit() -> pd.DataFrame:
        tar = mod.bown_annual_tariff(waves, INCIDENCE_YEARS)
        panel = mod.comtrade_incidence_panel(pan.stable_codes(flows), tar)
        samples = {
            SPEC_301: (panel, "comtrade_hs6_annual"),
            "no_mex": (panel[panel["partner"] != "MEX"], "comtrade_hs6_annual"),
            "no_vnm": (panel[panel["partner"] != "VNM"], "comtrade_hs6_annual"),
            "to_2019": (panel[panel["period"] <= 2019], "comtrade_hs6_annual"),
        }
        t232 = mod.bown_annual_232(waves, INCIDENCE_YEARS)
        samples[SPEC_232] = (mod.section_232_panel(panel, t232), "comtrade_hs6_232")
        out = []
        for spec, (p, name) in samples.items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t = incidence(p, panel_name=name).tidy()
            except TechtiesError:
                continue  # a sample the model cannot fit leaves its test unverifiable
            out.append(t.assign(spec=spec))
        return pd.concat(out, ignore_index=True)

    table = cached(
        store,
        "incidence-specs",
        inputs=ids,
        modules=("techties.models.incidence", "techties.models.panels", __name__),
        compute=fit,
        params=f"years={INCIDENCE_YEARS.start}-{INCIDENCE_YEARS.stop - 1}",
    )
    return table, ids


_DUTY_NOTE = " The duties paid on imports from China are shown; they say how much was collected, not who bore it."


def _duties_paid(store: Store) -> _Duties | None:
    """Calculated duties on US imports from China and the world by full year (None if absent)."""
    try:
        found = store.df(
            "SELECT source, classification FROM trade_flows WHERE reporter = 'USA' "
            "AND flow = 'import' AND partner = 'CHN' AND duties_usd IS NOT NULL GROUP BY ALL "
            "ORDER BY count(DISTINCT year) DESC, source LIMIT 1"
        )
        if found.empty:
            return None
        source, cls = str(found["source"].iloc[0]), str(found["classification"].iloc[0])
        res = effective_duty_rates(store, reporter="USA", flow="import", source=source, classification=cls,
                  level=0, partners=["CHN", "WLD"])  # fmt: skip
    except (Missing, TechtiesError):
        return None
    full = set(
        store.df(
            "SELECT year FROM trade_flows WHERE source = ? AND reporter = 'USA' AND partner = 'CHN' "
            "GROUP BY year HAVING bool_or(month IS NULL) OR count(DISTINCT month) = 12",
            [source],
        )["year"]
    )
    t = res.tidy()
    t = t[t["month"].isna() & t["year"].isin(full)].copy()
    t["duties_bn"] = t["duties_usd"] / 1e9
    chn = t[t["partner"] == "CHN"].set_index("year")
    if chn.empty or BASE_YEAR not in chn.index:
        return None
    duties = chn["duties_bn"].astype(float)
    rate = chn["duty_rate"].astype(float)
    last = int(chn.index.max())
    peak = int(duties.idxmax())  # type: ignore[call-overload]
    figs = [
        Figure("duties_peak", f"Duties paid on imports from China {peak}", float(duties[peak]), "USD bn"),
        Figure("duties_base", f"Duties paid on imports from China {BASE_YEAR}", float(duties[BASE_YEAR]), "USD bn"),
        Figure("rate_base", f"Effective duty rate on China {BASE_YEAR}", 100 * float(rate[BASE_YEAR]), "%"),
        Figure("rate_last", f"Effective duty rate on China {last}", 100 * float(rate[last]), "%"),
    ]  # fmt: skip
    data = t.assign(who=t["partner"].map({"CHN": "China", "WLD": "All partners"}))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("duties_bn:Q", title="Calculated duties (USD bn)"),
            color=alt.Color(
                "who:N",
                title=None,
                sort=["All partners", "China"],
                scale=alt.Scale(
                    domain=["All partners", "China"], range=[charts.PALETTE[2], charts.PALETTE[0]]
                ),
            ),
            xOffset=alt.XOffset("who:N", sort=["All partners", "China"]),
            tooltip=["year", "who", alt.Tooltip("duties_bn:Q", format=",.1f")],
        )
    )
    chart = charts.finish(
        chart,
        title="Duties paid on US imports",
        subtitle="Calculated duties, USD bn, full years",
        source=f"US Census ({source}), imports for consumption",
    )
    return figs, t, list(res.provenance_ids), chart


def _duties_same_months(store: Store) -> _SameMonths | None:
    """Duties paid on imports from China in the latest (possibly partial) year, January to its
    latest month, against the same months of the year before and of the base year (Census
    monthly NAICS, observed); None when no monthly duties are staged."""
    src = "census_naics_monthly"
    where = (
        "source = ? AND reporter = 'USA' AND flow = 'import' AND partner = 'CHN' "
        "AND month IS NOT NULL AND duties_usd IS NOT NULL AND product_level = 3"
    )
    if not store.has_table("trade_flows"):
        return None
    m = store.df(
        f"SELECT year, month, sum(duties_usd) / 1e9 AS duties_bn, sum(value_usd) / 1e9 AS "
        f"value_bn FROM trade_flows WHERE {where} GROUP BY ALL",
        [src],
    )
    if m.empty:
        return None
    year = int(m["year"].max())
    last_month = int(m.loc[m["year"] == year, "month"].max())
    if m.loc[m["year"] == year, "month"].nunique() != last_month:
        return None
    sums = m[m["month"] <= last_month].groupby("year")[["duties_bn", "value_bn"]].sum()
    ytd: dict[int, dict[str, float]] = {
        int(str(y)): {str(k): float(v) for k, v in row.items()} for y, row in sums.iterrows()
    }
    if year - 1 not in ytd:
        return None
    months = "January" if last_month == 1 else f"January–{_MONTHS[last_month - 1]}"
    label = f"{months} {year}"
    figs = [
        Figure("duties_ytd", f"Duties paid on imports from China, {label}", ytd[year]["duties_bn"], "USD bn"),
        Figure("duties_ytd_prev", f"Same months of {year - 1}", ytd[year - 1]["duties_bn"], "USD bn"),
        Figure("rate_ytd", f"Effective duty rate on China, {label}", 100 * ytd[year]["duties_bn"] / ytd[year]["value_bn"], "%"),
    ]  # fmt: skip
    if BASE_YEAR in ytd:
        figs.append(
            Figure("duties_ytd_base", f"Same months of {BASE_YEAR}", ytd[BASE_YEAR]["duties_bn"], "USD bn")
        )  # fmt: skip
    return figs, provenance_of(store, "trade_flows", where, [src]), label


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
