"""Checker on export controls: China's access to advanced chips (claim 13).

Claim 13 needs China's access to *controlled* advanced chips, which no staged series measures
(HS 8542 is every integrated circuit): that part is unverifiable. The proxy — the mainland + Hong
Kong share of Taiwan's HS 8542 exports — is tested against its 2013–2022 trend projected to the
latest full year (prediction interval), with placebo dates, mainland alone, a product comparator
(processors, where controlled advanced-computing chips fall, against other ICs) and other windows.
The proxy can only tell a direction: it can contradict the claim (chips to China above the old
trend) but never confirm it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from techties.claims.base import Checker, Missing, provenance_of, register, require_table
from techties.claims.rules import Decision, Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError
from techties.models import breaks
from techties.store import Store

#: two-sided level of the pre-trend prediction intervals (the project's default)
LEVEL = breaks.LEVEL
CHIP_HS = "8542"
CHINA_DESTINATIONS = ("CHN", "HKG")
#: the last year before the October 2022 controls (the pre-trend is fitted up to it)
CHIP_BASE_YEAR = 2022
CHIP_FIRST_YEAR = 2013
#: the proxy supports the direction when the whole interval of the gap to the pre-trend is at
#: least this far below it; it contradicts when the whole interval is above the trend
CHIP_DROP_PP = 3.0
#: placebo break years (gap two years later, like 2022 → 2024), all before the controls
CHIP_PLACEBOS = (2016, 2017, 2018, 2019, 2020)
#: processors and controllers: the heading where controlled advanced-computing ICs fall
PROCESSORS = "854231"
#: a year whose total is below this fraction of the year before is treated as partial: eight of
#: twelve months give about 0.67 (the staged file's 2025, cut in September), while the largest
#: full-year fall in the Taiwan series is 9.5 % (2023)
PARTIAL_YEAR_FRACTION = 0.8
TAIWAN_FILE = "tech-semiconductors/taiwan_exports_by_country_2013_2025.csv"
ADVANCED_MISSING = (
    "China's imports of controlled advanced chips (ECCN 3A090/4A090 items, chips made at "
    "controlled nodes) are not in any staged series: HS 8542 covers every integrated circuit, "
    "and licence or shipment data on controlled items are not public"
)
#: the rows of the robustness panel that the figures and the evidence text quote
MAINLAND_ALONE = "proxy only — mainland China alone (Hong Kong left out)"
PROCESSORS_VS_OTHERS = "proxy only — comparator: processors minus other ICs (difference in gaps)"
#: the staged rows: Taiwan's HS 8542 exports by destination, full years only
TAIWAN_WHERE = (
    "reporter = 'TWN' AND flow = 'export' AND product_code LIKE ? "
    "AND partner NOT IN ('WLD') AND month IS NULL"
)


@dataclass(frozen=True)
class _ChipSeries:
    """Taiwan's IC exports by year and the main test's pre-trend gap."""

    #: every staged year (partial ones flagged) with its export values and shares
    df: pd.DataFrame
    #: the full years, indexed by year
    s: pd.DataFrame
    #: the mainland + Hong Kong share of the full years (``s["share_pct"]``)
    share: pd.Series
    #: the latest full year
    last: int
    #: the gap of the share to its pre-trend in ``last``
    gap: breaks.BreakResult
    #: the year of the share's peak up to the base year
    peak: int
    #: the years flagged partial
    partial_years: list[int]


@dataclass(frozen=True)
class _Placebos:
    """The gap at the placebo break years, for mainland + Hong Kong and for the mainland."""

    both: pd.DataFrame
    mainland: pd.DataFrame

    @property
    def falls(self) -> pd.DataFrame:
        """The placebo dates with a significant fall of at least the threshold."""
        return self.both[self.both["conf_high"] <= -CHIP_DROP_PP]


@register
class ChipAccess(Checker):
    """Claim 13: controls slowed China's access to advanced chips (proxy: Taiwan's IC exports)."""

    name = "chip_access"
    claim_id = "controls-slowed-chip-access"
    method = (
        "China's imports of controlled advanced chips are not measured by any staged series, so "
        "that decisive part is unverifiable. As a directional proxy, the mainland-China-plus-Hong-"
        f"Kong share of Taiwan's HS {CHIP_HS} exports (trade_flows, Taiwan customs) in the latest "
        f"full year is compared with its {CHIP_FIRST_YEAR}–{CHIP_BASE_YEAR} linear trend "
        f"projected forward ({LEVEL:.0%} prediction interval), with placebo break years, mainland "
        "alone, processors against other ICs and other windows in the robustness panel."
    )

    def evaluate(self, store: Store) -> Verdict:
        cs = _chip_series(_taiwan_chip_exports(store))
        advanced = Test(
            key="advanced_chips",
            label="China's access to controlled advanced chips",
            estimate=None,
            unit="",
            support=Threshold("<=", -CHIP_DROP_PP),
            contradict=Threshold(">", 0.0),
            missing=ADVANCED_MISSING + ".",
        )
        main = _proxy_test(cs.gap, "China + HK share of Taiwan's IC exports, gap to pre-trend")
        alts = _chip_alternatives(cs, main)
        notes = {
            k: "the controlled-item part stays unmeasured; this row is the proxy's direction only"
            for k in alts
        }
        decision = decide([advanced, main], alts, notes=notes)
        return self._verdict(store, decision, cs, main, alts, _chip_placebos(cs))

    def _verdict(
        self,
        store: Store,
        decision: Decision,
        cs: _ChipSeries,
        main: Test,
        alts: dict[str, list[Test]],
        plac: _Placebos,
    ) -> Verdict:
        ev_for, ev_against = _chip_evidence_text(cs, main, alts, plac)
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=_chip_rationale(cs, main, plac),
            figures=_chip_figures(cs, alts, plac),
            evidence=_chip_evidence(cs, plac),
            provenance_ids=provenance_of(store, "trade_flows", TAIWAN_WHERE, [CHIP_HS + "%"]),
            chart=breaks.counterfactual_chart(
                cs.gap.frame.copy(),
                last_pre=CHIP_BASE_YEAR,
                title="Mainland China + Hong Kong share of Taiwan's IC exports against its pre-trend",
                unit="% of Taiwan's HS 8542 exports",
                source="Taiwan customs (ROC Ministry of Finance), HS 8542",
            ),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                f"Controlled-item access unmeasured (unverifiable); proxy: gap of the China + HK "
                f"share to its {CHIP_FIRST_YEAR}–{CHIP_BASE_YEAR} trend with placebo dates, "
                "mainland alone and a processors-vs-other-ICs comparator."
            ),
        )


def _taiwan_chip_exports(store: Store) -> pd.DataFrame:
    """Taiwan's HS 8542 exports by year (USD bn: total, mainland, Hong Kong, both), the China + HK
    and mainland shares, the processors and other-IC shares (%) and a ``partial`` flag."""
    require_table(
        store,
        "trade_flows",
        needed_for="Taiwan's chip exports by destination",
        loaded_by="ingest tech-semiconductors/taiwan_exports_by_country_2013_2025.csv",
    )
    raw = store.df(
        "SELECT year, substr(product_code, 1, 6) AS hs6, "
        "sum(value_usd) / 1e9 AS total_bn, "
        "sum(value_usd) FILTER (WHERE partner = 'CHN') / 1e9 AS china_bn, "
        "sum(value_usd) FILTER (WHERE partner = 'HKG') / 1e9 AS hk_bn "
        f"FROM trade_flows WHERE {TAIWAN_WHERE} GROUP BY ALL ORDER BY year",
        [CHIP_HS + "%"],
    )
    if raw.empty and not _taiwan_reader():
        raise Missing(
            "not_yet",
            f"no source reads the staged Taiwan customs file ({TAIWAN_FILE}) yet; Taiwan's "
            f"HS {CHIP_HS} exports by destination are needed.",
        )
    raw[["china_bn", "hk_bn"]] = raw[["china_bn", "hk_bn"]].fillna(0.0)
    df = raw.groupby("year", as_index=False)[["total_bn", "china_bn", "hk_bn"]].sum()
    if df.empty or CHIP_BASE_YEAR not in set(df["year"]):
        raise Missing(
            "no_data",
            f"Taiwan's HS {CHIP_HS} exports by destination for {CHIP_BASE_YEAR} and later are not "
            "in the store; ingest tech-semiconductors/taiwan_exports_by_country_2013_2025.csv.",
        )
    df["china_hk_bn"] = df["china_bn"] + df["hk_bn"]
    df["share_pct"] = 100 * df["china_hk_bn"] / df["total_bn"]
    df["mainland_pct"] = 100 * df["china_bn"] / df["total_bn"]
    df["partial"] = df["total_bn"] < PARTIAL_YEAR_FRACTION * df["total_bn"].shift(1)
    proc = raw[raw["hs6"] == PROCESSORS].groupby("year")[["total_bn", "china_bn", "hk_bn"]].sum()
    rest = raw[raw["hs6"] != PROCESSORS].groupby("year")[["total_bn", "china_bn", "hk_bn"]].sum()
    df = df.set_index("year")
    for name, part in (("processors_pct", proc), ("other_ics_pct", rest)):
        df[name] = 100 * (part["china_bn"] + part["hk_bn"]) / part["total_bn"]
    return df.reset_index()


def _chip_series(df: pd.DataFrame) -> _ChipSeries:
    """The full years of ``df`` and the gap of the China + HK share to its pre-trend in the
    latest of them."""
    full = df[~df["partial"]]
    last = int(full["year"].max())
    if last <= CHIP_BASE_YEAR:
        raise Missing("no_data", f"no full year of Taiwan's chip exports after {CHIP_BASE_YEAR}.")
    s = full.set_index("year")
    try:
        gap = breaks.pre_trend_gap(s.index, s["share_pct"], last_pre=CHIP_BASE_YEAR, year=last)
    except NoDataError as exc:
        raise Missing(
            "no_data",
            f"the pre-trend of the China + HK share needs {breaks.MIN_PRE_POINTS} years up to "
            f"{CHIP_BASE_YEAR} ({exc.message}).",
        ) from None
    share = s["share_pct"]
    return _ChipSeries(
        df=df,
        s=s,
        share=share,
        last=last,
        gap=gap,
        peak=int(str(share.loc[:CHIP_BASE_YEAR].idxmax())),
        partial_years=[int(y) for y in df.loc[df["partial"], "year"]],
    )


def _alt_gap(series: pd.Series, label: str, **kw: Any) -> Test:
    """The proxy test on another series or window (unverifiable when it cannot be fitted)."""
    try:
        r = breaks.pre_trend_gap(series.index, series, **kw)
    except NoDataError as exc:
        return _proxy_test(None, label, missing=exc.message)
    return _proxy_test(r, label)


def _chip_alternatives(cs: _ChipSeries, main: Test) -> dict[str, list[Test]]:
    """The robustness panel: mainland alone, the processors comparator, other windows, the
    partial year and moved thresholds."""
    s, share, last = cs.s, cs.share, cs.last
    alts: dict[str, list[Test]] = {
        MAINLAND_ALONE: [
            _alt_gap(s["mainland_pct"], "Mainland share, gap", last_pre=CHIP_BASE_YEAR, year=last)
        ],
        PROCESSORS_VS_OTHERS: [
            _alt_gap(
                (s["processors_pct"] - s["other_ics_pct"]).dropna(),
                "Processors − other ICs, gap",
                last_pre=CHIP_BASE_YEAR,
                year=last,
            )
        ],
        "proxy only — trend fitted from 2015": [
            _alt_gap(share, "Gap (trend from 2015)", last_pre=CHIP_BASE_YEAR, year=last, start=2015)
        ],
        "proxy only — trend fitted from 2017": [
            _alt_gap(share, "Gap (trend from 2017)", last_pre=CHIP_BASE_YEAR, year=last, start=2017)
        ],
        "proxy only — trend to 2021 (2022 as a post year)": [
            _alt_gap(share, "Gap (trend to 2021)", last_pre=2021, year=last)
        ],
        "proxy only — trend to 2020 (before the 2020 Huawei FDP rule)": [
            _alt_gap(share, "Gap (trend to 2020)", last_pre=2020, year=last)
        ],
    }
    partial_years = cs.partial_years
    if partial_years and partial_years[-1] > last:
        py = partial_years[-1]
        ser = pd.concat([share, cs.df.set_index("year").loc[[py], "share_pct"]])
        alts[f"proxy only — {py} partial year (months not stated) as the latest year"] = [
            _alt_gap(ser, f"Gap in {py} (partial)", last_pre=CHIP_BASE_YEAR, year=py)
        ]
    for f in (0.5, 1.5):
        alts[f"proxy only — thresholds × {f:g}"] = [main.moved(f)]
    return alts


def _chip_placebos(cs: _ChipSeries) -> _Placebos:
    """The gap at the placebo break years, as far after each as the latest year is after 2022."""
    plac = breaks.placebo(
        cs.share.index, cs.share, dates=CHIP_PLACEBOS, design="gap",
        horizon=cs.last - CHIP_BASE_YEAR, end=CHIP_BASE_YEAR,
    )  # fmt: skip
    plac_m = breaks.placebo(
        cs.s.index, cs.s["mainland_pct"], dates=CHIP_PLACEBOS, design="gap",
        horizon=cs.last - CHIP_BASE_YEAR, end=CHIP_BASE_YEAR,
    )  # fmt: skip
    return _Placebos(both=plac, mainland=plac_m)


def _chip_rationale(cs: _ChipSeries, main: Test, plac: _Placebos) -> str:
    share, last, peak, gap = cs.share, cs.last, cs.peak, cs.gap
    plac_text = ", ".join(
        f"{int(d)}: {e:+.1f} pp"
        for d, e in zip(plac.both["placebo"], plac.both["estimate"], strict=True)
    )
    lo, hi = main.bounds
    return (
        f"The decisive quantity — China's access to controlled advanced chips — is not "
        f"measured: HS 8542 is every integrated circuit. The proxy: mainland China and Hong "
        f"Kong took {share[last]:.1f} % of Taiwan's IC exports in {last}, {-gap.estimate:.1f} pp "
        f"below the {CHIP_FIRST_YEAR}–{CHIP_BASE_YEAR} trend ({LEVEL:.0%} prediction interval "
        f"{lo:+.1f} to {hi:+.1f} pp), but the share peaked in {peak} ({share[peak]:.1f} %), "
        f"before the October 2022 controls, and placebo breaks give {plac_text}."
        + (
            f" {', '.join(str(y) for y in cs.partial_years)} is a partial year (the file has no "
            "months) and is left out of the main test."
            if cs.partial_years
            else ""
        )
    )


def _chip_figures(cs: _ChipSeries, alts: dict[str, list[Test]], plac: _Placebos) -> list[Figure]:
    s, share, last, peak, gap = cs.s, cs.share, cs.last, cs.peak, cs.gap
    mgap, comp = alts[MAINLAND_ALONE][0], alts[PROCESSORS_VS_OTHERS][0]
    pl = plac.both
    return [
        Figure("share_base", f"China + HK share {CHIP_BASE_YEAR}", share[CHIP_BASE_YEAR], "%"),
        Figure("share_last", f"China + HK share {last}", share[last], "%"),
        Figure("share_peak", f"China + HK share at its pre-control peak ({peak})", share[peak], "%"),
        Figure("change", f"Change {CHIP_BASE_YEAR}–{last} (before/after, not decisive)", share[last] - share[CHIP_BASE_YEAR], "pp"),
        Figure("trend_last", f"Pre-trend projected to {last}", share[last] - gap.estimate, "%"),
        Figure("gap", f"Gap to the pre-trend in {last}", gap.estimate, "pp"),
        Figure("gap_low", f"Gap, {LEVEL:.0%} prediction interval low", gap.conf_low, "pp"),
        Figure("gap_high", f"Gap, {LEVEL:.0%} prediction interval high", gap.conf_high, "pp"),
        Figure("mainland_change", f"Mainland-only share change {CHIP_BASE_YEAR}–{last}", s["mainland_pct"][last] - s["mainland_pct"][CHIP_BASE_YEAR], "pp"),
        Figure("mainland_gap", f"Mainland-only gap to pre-trend in {last}", mgap.estimate, "pp"),
        Figure("comparator_gap", "Processors minus other ICs, gap to pre-trend", comp.estimate, "pp"),
        Figure("placebo_min", "Most negative placebo gap", float(pl["estimate"].min()) if not pl.empty else None, "pp"),
        Figure("placebo_falls", f"Placebo dates with a significant fall ≥ {CHIP_DROP_PP:.0f} pp", float(len(plac.falls)), "count"),
        Figure("value_last", f"Exports to China + HK {last}", float(s["china_hk_bn"][last]), "USD bn"),
    ]  # fmt: skip


def _chip_evidence_text(
    cs: _ChipSeries, main: Test, alts: dict[str, list[Test]], plac: _Placebos
) -> tuple[list[str], list[str]]:
    """The evidence for and against the claim as stated, one sentence each."""
    s, share, last, peak, gap = cs.s, cs.share, cs.last, cs.peak, cs.gap
    pl, plac_fall = plac.both, plac.falls
    mgap = alts[MAINLAND_ALONE][0]
    lo, hi = main.bounds
    ev_for = [
        f"In {last} the mainland + Hong Kong share of Taiwan's IC exports was "
        f"{-gap.estimate:.1f} pp below its {CHIP_FIRST_YEAR}–{CHIP_BASE_YEAR} trend, outside "
        f"the {LEVEL:.0%} prediction interval ({lo:+.1f} to {hi:+.1f} pp).",
        f"The gap is larger than at every placebo date (most negative "
        f"{pl['estimate'].min():+.1f} pp)."
        if not pl.empty and gap.estimate < pl["estimate"].min()
        else f"The mainland-only share also fell below its pre-trend ({mgap.estimate:+.1f} pp).",
    ]
    ev_against = [
        f"{ADVANCED_MISSING}; a share of all ICs can at most tell a direction.",
        f"The share peaked in {peak} at {share[peak]:.1f} % and was already falling before the "
        "October 2022 controls"
        + (
            f"; the placebo break at {int(plac_fall['placebo'].iloc[-1])} shows a significant "
            f"fall of {plac_fall['estimate'].iloc[-1]:+.1f} pp"
            if not plac_fall.empty
            else ""
        )
        + " (the 2020 Huawei rule, the 2021–22 chip cycle and China's own substitution "
        "are rival explanations).",
    ]
    main_fall = s["mainland_pct"][CHIP_BASE_YEAR] - s["mainland_pct"][last]
    both_fall = s["share_pct"][CHIP_BASE_YEAR] - s["share_pct"][last]
    if main_fall < 0.5 * both_fall:
        ev_against.append(
            f"Mainland China alone fell {main_fall:.1f} pp from {CHIP_BASE_YEAR} to {last} "
            f"(mainland + Hong Kong {both_fall:.1f} pp): Hong Kong, a re-export hub, carries "
            "most of the fall."
        )
    return ev_for, ev_against


def _chip_evidence(cs: _ChipSeries, plac: _Placebos) -> pd.DataFrame:
    """The yearly series with the pre-trend band, then the placebo gaps of both series."""
    frame = cs.gap.frame.copy()
    evidence = cs.df.merge(
        frame[["year", "trend", "trend_low", "trend_high"]], on="year", how="left"
    )
    placebos = pd.concat(
        [plac.both.assign(series="mainland + HK"), plac.mainland.assign(series="mainland")],
        ignore_index=True,
    )
    return pd.concat([evidence, placebos.rename(columns={"estimate": "placebo_gap"})],
                     ignore_index=True)  # fmt: skip


def _proxy_test(r: breaks.BreakResult | None, label: str, *, missing: str = "") -> Test:
    return Test(
        key="proxy_gap",
        label=label,
        estimate=None if r is None else r.estimate,
        unit="pp",
        support=Threshold("<=", -CHIP_DROP_PP),
        contradict=Threshold(">", 0.0),
        kind="estimated",
        low=None if r is None else r.conf_low,
        high=None if r is None else r.conf_high,
        interval=f"{LEVEL:.0%} prediction interval of the pre-trend",
        missing=missing,
        digits=1,
    )


def _taiwan_reader() -> bool:
    """True when a registered source accepts the Taiwan customs export file."""
    from techties.sources import all_sources

    name = Path(TAIWAN_FILE).name
    return any(
        fnmatch.fnmatch(name, pat)
        for src in all_sources().values()
        if src.table == "trade_flows"
        for pat in src.patterns
        if pat not in ("*", "*.csv")
    )
