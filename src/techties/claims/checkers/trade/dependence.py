"""Claim 12: tariffs reduced US dependence on China for critical technology goods (the NAICS
334 pre-trend gap AND the listed-vs-unlisted difference-in-differences)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd

from techties.claims.base import Checker, Missing, register
from techties.claims.checkers.trade._common import (
    BASE_YEAR,
    DEP_CONTRA_PP,
    DEP_SUPPORT_PP,
    LEVEL,
    PRE_START,
    _try,
)
from techties.claims.checkers.trade.hs6_did import (
    Did,
    Hs6Panel,
    did_test,
    hs6_panel,
    hs6_rows,
)
from techties.claims.checkers.trade.shares import (
    ShareSeries,
    _missing_test,
    china_share,
    gap_test,
)
from techties.claims.rules import Decision, Test, decide
from techties.claims.verdict import Figure, Verdict
from techties.models.breaks import counterfactual_chart
from techties.store import Store

#: technology goods of the pre-trend test: NAICS 334, computer and electronic products
TECH_PRODUCTS = ("334",)
#: HS technology group of the listed-vs-unlisted test (techties.indicators.groups)
TECH_GROUP = "ict_electronics"
ALT_GROUPS = ("advanced_technology", "semiconductors")


def _end_year(panel: Hs6Panel | None, wanted: int) -> int:
    if panel is None:
        return wanted
    years = set(panel.cells["year"])
    return wanted if wanted in years else max(y for y in years if y <= wanted) if years else wanted


@register
class TechDependence(Checker):
    """Claim 12: tariffs reduced US dependence on China for critical technology goods."""

    name = "tech_dependence"
    claim_id = "tariffs-cut-dependence"
    method = (
        "(A) China's share of US imports of computer and electronic products (NAICS 334, Census "
        f"monthly, world total) in the latest full year against its {PRE_START}–{BASE_YEAR} linear "
        f"trend projected forward ({LEVEL:.0%} prediction interval, models.breaks.pre_trend_gap); "
        "(B) difference-in-differences of China's share of US imports (among the staged "
        "suppliers, HS6) between technology products with a Section 301 line (Lists 1–4A) and "
        f"those without one, {BASE_YEAR} to the same year ({LEVEL:.0%} bootstrap interval over HS4 "
        f"headings). Both must be at or below {DEP_SUPPORT_PP:.0f} pp with the whole interval to "
        f"support the claim; either above {DEP_CONTRA_PP:.0f} pp with the whole interval "
        "contradicts it."
    )

    def evaluate(self, store: Store) -> Verdict:
        what334 = "China's share of US imports of NAICS 334"
        s334 = china_share(store, products=TECH_PRODUCTS, what=what334)
        if BASE_YEAR not in s334.share.index or s334.share.index.max() <= BASE_YEAR:
            raise Missing(
                "no_data", f"{what334} needs {BASE_YEAR} and a later full year in the store."
            )
        end = int(s334.share.index.max())
        rows, no_rows = _try(partial(hs6_rows, store))  # read once, split by each group
        panels: dict[str, tuple[Hs6Panel | None, str]] = {
            grp: _try(partial(hs6_panel, store, grp, rows=rows)) if rows else (None, no_rows)
            for grp in (TECH_GROUP, *ALT_GROUPS)
        }
        panel, why = panels[TECH_GROUP]
        hs_end = _end_year(panel, end)
        a, fit = gap_test(s334, last_pre=BASE_YEAR, year=end)
        b, did = did_test(panel, base=BASE_YEAR, end=hs_end, why=why)

        alts, notes = self._alternatives(store, s334, panels, end)
        decision = decide([a, b], alts, notes=notes)
        placebo_a = _placebo_gap(s334)
        placebo_b = (
            did_test(panel, base=panel_first(panel), end=BASE_YEAR)[0]
            if panel is not None and panel_first(panel) < BASE_YEAR
            else None
        )
        net = (
            did_test(panel, base=BASE_YEAR, end=hs_end, pre=panel_first(panel))[0]
            if panel is not None and panel_first(panel) < BASE_YEAR
            else None
        )
        return self._verdict(store, decision, s334, fit, panel, did, end, hs_end, a, b,
                             placebo_a, placebo_b, why, net)  # fmt: skip

    # -- robustness panel -------------------------------------------------------------------
    def _alternatives(
        self,
        store: Store,
        s334: ShareSeries,
        panels: dict[str, tuple[Hs6Panel | None, str]],
        end: int,
    ) -> tuple[dict[str, list[Test]], dict[str, str]]:
        panel, why = panels[TECH_GROUP]
        hs_end = _end_year(panel, end)
        alts: dict[str, list[Test]] = {}
        notes: dict[str, str] = {
            "main specification": (
                f"NAICS 334 gap in {end} (January–December); HS6 {TECH_GROUP} {BASE_YEAR}→{hs_end}"
            )
        }

        def add(name: str, tests: list[Test], note: str) -> None:
            alts[name] = tests
            notes[name] = note

        _window_alternatives(add, s334, panel, why, end, hs_end)
        _latest_months_alternative(add, store, s334, panel, end)
        _measure_alternatives(add, store, s334, panel, why, end, hs_end)
        _group_alternatives(add, s334, panels, end)
        return alts, notes

    # -- verdict ----------------------------------------------------------------------------
    def _verdict(
        self,
        store: Store,
        decision: Decision,
        s334: ShareSeries,
        fit: Any,
        panel: Hs6Panel | None,
        did: Did | None,
        end: int,
        hs_end: int,
        a: Test,
        b: Test,
        placebo_a: Test | None,
        placebo_b: Test | None,
        why: str,
        net: Test | None = None,
    ) -> Verdict:
        sh = s334.share
        figs = _dependence_figures(sh, end, hs_end, a, did, panel, placebo_a, placebo_b, net)
        ev_for, ev_against = _dependence_evidence(
            sh, end, hs_end, fit, a, b, did, panel, why, placebo_a, placebo_b, net
        )
        sup = ", ".join(panel.partners) if panel is not None else "—"
        hs_note = (
            f"; HS6 from {panel.source} ({panel.products} product codes, "
            f"{panel.listed_products} with a Section 301 line; share among {sup} only)"
            if panel is not None
            else ""
        )
        rationale = (
            f"(A) {a.label}: {_fmt(a)}; (B) {b.label}: {_fmt(b)}. Latest full year {end} "
            f"(January–December) from {s334.source}{hs_note}. Verdict rests on "
            f"{'statistical estimates' if decision.kind == 'estimated' else decision.kind}."
        )
        ev = _dependence_frame(fit, did)
        pids = sorted(set(s334.provenance_ids) | set(panel.provenance_ids if panel else []))
        chart = (
            _counterfactual(fit, title="China's share of US imports of computer and electronic "
                            "products vs its pre-2018 trend", unit="% of US NAICS 334 imports",
                            source=s334.source)
            if fit is not None
            else None
        )  # fmt: skip
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=rationale,
            figures=figs,
            evidence=ev,
            provenance_ids=pids,
            chart=chart,
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                f"NAICS 334 share against its {PRE_START}–{BASE_YEAR} trend (prediction interval, "
                "placebo break 2016) and a listed-vs-unlisted difference-in-differences on HS6 "
                "technology products (heading bootstrap, placebo 2015–2017)"
            ),
        )


def _dependence_figures(
    sh: pd.Series,
    end: int,
    hs_end: int,
    a: Test,
    did: Did | None,
    panel: Hs6Panel | None,
    placebo_a: Test | None,
    placebo_b: Test | None,
    net: Test | None,
) -> list[Figure]:
    """Figures of claim 12: the NAICS 334 share and its gap, the DiD and its parts, the
    placebos and the DiD net of the pre-tariff differential trend."""
    figs = [
        Figure("china_334_base", f"China's share, NAICS 334, {BASE_YEAR}", sh[BASE_YEAR], "%"),
        Figure("china_334_last", f"China's share, NAICS 334, {end}", sh[end], "%"),
        Figure("change", f"Change {BASE_YEAR}–{end} (before/after, not decisive)",
               sh[end] - sh[BASE_YEAR], "pp"),
        Figure("gap", f"Gap to the {PRE_START}–{BASE_YEAR} trend, {end}", a.estimate, "pp"),
        Figure("gap_low", "Gap, lower bound (90 %)", a.bounds[0], "pp"),
        Figure("gap_high", "Gap, upper bound (90 %)", a.bounds[1], "pp"),
    ]  # fmt: skip
    if placebo_a is not None and placebo_a.estimate is not None:
        figs.append(Figure("placebo_gap", "Placebo: gap in 2017 to the 2013–2016 trend",
                           placebo_a.estimate, "pp"))  # fmt: skip
    if did is not None:
        figs += [
            Figure("did", f"DiD listed − unlisted, {BASE_YEAR}–{hs_end}", did.estimate, "pp"),
            Figure("did_low", "DiD, lower bound (90 %)", did.low, "pp"),
            Figure("did_high", "DiD, upper bound (90 %)", did.high, "pp"),
            Figure("listed_change", "China's share, listed products, change",
                   did.listed_change, "pp"),
            Figure("unlisted_change", "China's share, unlisted products, change",
                   did.unlisted_change, "pp"),
        ]  # fmt: skip
    if placebo_b is not None and placebo_b.estimate is not None:
        figs.append(Figure("placebo_did", f"Placebo DiD {panel_first(panel)}–{BASE_YEAR}",
                           placebo_b.estimate, "pp"))  # fmt: skip
    if (
        placebo_b is not None
        and placebo_b.estimate is not None
        and net is not None
        and net.estimate is not None
    ):
        figs.append(Figure("did_net", "DiD net of the pre-tariff differential trend",
                           net.estimate, "pp"))  # fmt: skip
    return figs


def _dependence_evidence(
    sh: pd.Series,
    end: int,
    hs_end: int,
    fit: Any,
    a: Test,
    b: Test,
    did: Did | None,
    panel: Hs6Panel | None,
    why: str,
    placebo_a: Test | None,
    placebo_b: Test | None,
    net: Test | None,
) -> tuple[list[str], list[str]]:
    """Evidence for and against claim 12, one sentence per test, placebo and caveat."""
    sup = ", ".join(panel.partners) if panel is not None else "—"
    ev_for: list[str] = []
    ev_against: list[str] = []
    lo_a, hi_a = a.bounds
    if a.estimate is not None:
        side = ev_for if a.status == "supported" else ev_against
        side.append(
            f"China's share of US NAICS 334 imports was {sh[end]:.1f} % in {end} against "
            f"{fit.frame.set_index('year').at[end, 'trend']:.1f} % on its {PRE_START}–"
            f"{BASE_YEAR} trend: a gap of {a.estimate:+.1f} pp [{lo_a:+.1f}, {hi_a:+.1f}]."
        )
    if did is not None:
        side = ev_for if b.status == "supported" else ev_against
        side.append(
            f"In {TECH_GROUP} products China's share among {sup} fell {-did.listed_change:.1f} "
            f"pp where a Section 301 line applied and {-did.unlisted_change:.1f} pp where none "
            f"did ({BASE_YEAR}–{hs_end}): DiD {did.estimate:+.1f} pp [{did.low:+.1f}, "
            f"{did.high:+.1f}]."
        )
    else:
        ev_against.append(f"The listed-vs-unlisted comparison could not be made: {why}")
    if placebo_b is not None and placebo_b.estimate is not None:
        big = placebo_b.estimate <= DEP_SUPPORT_PP
        net_text = (
            f"; net of that pace the DiD is {net.estimate:+.1f} pp "
            f"[{net.bounds[0]:+.1f}, {net.bounds[1]:+.1f}] ({net.status})"
            if net is not None and net.estimate is not None
            else ""
        )
        (ev_against if big else ev_for).append(
            f"Before the tariffs ({panel_first(panel)}–{BASE_YEAR}) listed and unlisted "
            f"products moved {'apart' if big else 'together'} (placebo DiD "
            f"{placebo_b.estimate:+.1f} pp [{placebo_b.bounds[0]:+.1f}, "
            f"{placebo_b.bounds[1]:+.1f}]){net_text}."
        )
    if placebo_a is not None and placebo_a.estimate is not None:
        ev_for.append(
            f"A placebo break at 2016 gives a 2017 gap of {placebo_a.estimate:+.1f} pp: the "
            "trend fitted before the tariffs predicted the pre-tariff year well."
        )
    ev_against += [
        "A direct import share misses indirect dependence: Chinese parts and inputs "
        "assembled in Vietnam, Mexico or Taiwan, and Chinese-owned plants there.",
        "Unlisted products (laptops and phones, on the suspended List 4B) lost share too, "
        "and other restrictions (export controls, 2019–2023) and COVID fall in the same "
        "years, so part of the fall is not the tariffs'.",
    ]
    return ev_for, ev_against


def _dependence_frame(fit: Any, did: Did | None) -> pd.DataFrame:
    """The evidence table: the NAICS 334 share against its trend and the HS6 shares by year."""
    ev = (
        fit.frame.assign(series="NAICS 334 China share vs pre-trend")
        if fit is not None
        else pd.DataFrame()
    )
    if did is not None:
        long = did.shares.rename(columns={True: "listed", False: "unlisted"}).reset_index()
        ev = pd.concat([ev, long.assign(series=f"{TECH_GROUP} China share (staged suppliers)")],
                       ignore_index=True)  # fmt: skip
    return ev


#: ``add(name, tests, note)``: records one alternative of the robustness panel
_Add = Callable[[str, list[Test], str], None]


def _window_alternatives(
    add: _Add, s334: ShareSeries, panel: Hs6Panel | None, why: str, end: int, hs_end: int
) -> None:
    """Other base years (2016, 2018) and the end year one year earlier."""
    for base in (2016, 2018):
        add(
            f"base year {base}",
            [
                gap_test(s334, last_pre=base, year=end)[0],
                did_test(panel, base=base, end=hs_end, why=why)[0],
            ],
            f"pre-trend fitted {PRE_START}–{base}; DiD from {base}"
            + (" (2018 is partly treated: Lists 1–3 began July–September)" if base == 2018 else ""),
        )  # fmt: skip
    prev = end - 1
    add(
        f"end year {prev}",
        [
            gap_test(s334, last_pre=BASE_YEAR, year=prev)[0],
            did_test(panel, base=BASE_YEAR, end=min(prev, hs_end), why=why)[0],
        ],
        "one year earlier",
    )


def _latest_months_alternative(
    add: _Add, store: Store, s334: ShareSeries, panel: Hs6Panel | None, end: int
) -> None:
    """The year after the latest full year, on the months staged for it (the DiD is not a
    Section 301 contrast in that year)."""
    # the latest months: the part-year with the same months in every year of the trend
    later = end + 1
    months = _months_of(store, s334, later)
    part, pwhy = (
        _try(
            lambda: china_share(
                store, products=TECH_PRODUCTS, months=months, what=f"NAICS 334 Jan–{months}"
            )
        )
        if months
        else (None, f"no months of {later} in the store")
    )
    a_late = gap_test(part, last_pre=BASE_YEAR, year=later, note=pwhy)[0]
    b_late = _missing_test(
        "did",
        "Listed minus unlisted tech products, change in China's share",
        "pp",
        f"in {later} the IEEPA tariffs (from February 2025) hit listed and unlisted Chinese "
        "goods alike, so the unlisted products are no longer an untariffed comparator",
    )
    did_late = (
        did_test(panel, base=BASE_YEAR, end=later)[0]
        if panel is not None and later in set(panel.cells["year"])
        else None
    )
    add(
        f"end year {later} (January–{_month_name(months)})",
        [a_late, b_late],
        f"NAICS 334 share over January–{_month_name(months)} of each year; the DiD is not "
        "a Section 301 contrast in that year"
        + (
            f" (computed anyway: {did_late.estimate:+.1f} pp)"
            if did_late is not None and did_late.estimate is not None
            else ""
        ),
    )


def _measure_alternatives(
    add: _Add,
    store: Store,
    s334: ShareSeries,
    panel: Hs6Panel | None,
    why: str,
    end: int,
    hs_end: int,
) -> None:
    """Other measures: the staged partners as denominator, HS chapter 85 instead of NAICS 334,
    and the DiD net of the pre-tariff differential trend."""
    world_all = _try(
        lambda: china_share(store, products=TECH_PRODUCTS, denominator="partners", what="334")
    )
    add(
        "denominator: the staged partners, not the world total",
        [
            gap_test(world_all[0], last_pre=BASE_YEAR, year=end, note=world_all[1])[0],
            did_test(panel, base=BASE_YEAR, end=hs_end, why=why)[0],
        ],
        "NAICS 334 share among the 30 partners of the Census file",
    )
    hs85 = _try(lambda: _hs85_share(store))
    hs85_end = (
        int(hs85[0].share.index.max()) if hs85[0] is not None and len(hs85[0].share) else None
    )
    add(
        "HS chapter 85 instead of NAICS 334 (Census HS2, world total)",
        [
            gap_test(hs85[0], last_pre=BASE_YEAR, year=hs85_end, note=hs85[1])[0],
            did_test(panel, base=BASE_YEAR, end=hs_end, why=why)[0],
        ],
        f"electrical machinery and electronics; the HS2 file ends in 2021 (gap in {hs85_end})",
    )
    first = panel_first(panel)
    add(
        f"DiD net of the {first}–{BASE_YEAR} differential trend",
        [
            gap_test(s334, last_pre=BASE_YEAR, year=end)[0],
            did_test(panel, base=BASE_YEAR, end=hs_end, why=why, pre=first)[0]
            if first < BASE_YEAR
            else did_test(None, base=BASE_YEAR, end=hs_end, why="no HS6 year before 2017")[0],
        ],
        "the placebo DiD's yearly pace extrapolated linearly and subtracted",
    )


def _group_alternatives(
    add: _Add, s334: ShareSeries, panels: dict[str, tuple[Hs6Panel | None, str]], end: int
) -> None:
    """The DiD on the other HS technology groups."""
    for grp in ALT_GROUPS:
        p, w = panels[grp]
        add(
            f"HS group {grp} in the DiD",
            [
                gap_test(s334, last_pre=BASE_YEAR, year=end)[0],
                did_test(p, base=BASE_YEAR, end=_end_year(p, end), why=w)[0],
            ],
            "listed vs unlisted products of another technology group",
        )


def panel_first(panel: Hs6Panel | None) -> int:
    return int(panel.cells["year"].min()) if panel is not None else BASE_YEAR


def _placebo_gap(s: ShareSeries) -> Test | None:
    """The same gap at a policy-free break: trend to 2016, gap in 2017."""
    t, _ = gap_test(s, last_pre=BASE_YEAR - 1, year=BASE_YEAR, key="placebo")
    return t if t.estimate is not None else None


def _months_of(store: Store, s: ShareSeries, year: int) -> int:
    n = store.scalar(
        "SELECT count(DISTINCT month) FROM trade_flows WHERE source = ? AND year = ? "
        "AND partner = 'CHN' AND month IS NOT NULL",
        [s.source_name, year],
    )
    return int(n or 0)


def _month_name(n: int) -> str:
    names = ("", "January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
    return names[n] if 0 < n <= 12 else "no months"


def _hs85_share(store: Store) -> ShareSeries:
    found = store.df(
        "SELECT source FROM trade_flows WHERE reporter = 'USA' AND flow = 'import' "
        "AND partner = 'WLD' AND classification = 'HS' AND product_level = 2 "
        "GROUP BY source ORDER BY count(DISTINCT year) DESC LIMIT 1"
    )
    if found.empty:
        raise Missing("no_data", "no US imports by HS2 chapter with a world total")
    return china_share(
        store, products=("85",), source=str(found["source"].iloc[0]), classification="HS",
        what="China's share of US imports of HS 85",
    )  # fmt: skip


def _fmt(t: Test) -> str:
    if t.estimate is None:
        return f"not measured ({t.missing})"
    lo, hi = t.bounds
    return f"{t.estimate:+.1f} pp [{lo:+.1f}, {hi:+.1f}] → {t.status}"


def _counterfactual(fit: Any, *, title: str, unit: str, source: str) -> Any:
    return counterfactual_chart(
        fit.frame, last_pre=fit.last_pre, title=title, unit=unit, source=source
    )
