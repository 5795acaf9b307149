"""Claim 6: restrictions pushed US firms to move production out of China (US companies'
employment in China against their other locations; import shares as a proxy only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from techties import charts
from techties.claims.base import Checker, Missing, register
from techties.claims.checkers._evidence import ids, indicator_series
from techties.claims.checkers.trade._common import (
    BASE_YEAR,
    LEVEL,
    _try,
)
from techties.claims.checkers.trade.shares import (
    china_share,
    gap_test,
)
from techties.claims.rules import Decision, Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

LOAD_NCSES = "ingest the NCSES tables (tech-mne/) with `techties report --data DIR`"
#: NCSES indicator codes (as in science.mne) for US companies' activity abroad, by location
MNE_EMPLOYMENT = "ncses:MNE-EMP:us_company_employment_abroad:employees_total"
MNE_RD = "ncses:MNE-RD:us_company_rd_abroad:total"
#: first staged year of employment by location, and the first comparable BERD R&D year
MNE_FIRST = 2018
#: growth of China relative to the comparator, 100·Δln: supported ≤ −5, contradicted ≥ +5
MOVE_SUPPORT, MOVE_CONTRA = -5.0, 5.0
UNDISTRIBUTED, ASIA = "Undistributed", "Asia and Pacific"


def mne_frame(store: Store, indicator: str, what: str) -> pd.DataFrame:
    """Wide frame by year: ``CHN, WLD, undistributed, asia`` (NaN when not staged)."""
    chn = indicator_series(store, indicator, ["CHN"], needed_for=what, loaded_by=LOAD_NCSES)
    rest = store.df(
        "SELECT year, CASE WHEN country = 'WLD' THEN 'WLD' "
        "WHEN country_label = ? THEN 'undistributed' WHEN country_label = ? THEN 'asia' END AS k, "
        "max(value) AS value, max(provenance_id) AS provenance_id FROM indicators "
        "WHERE indicator = ? AND partner IS NULL AND value IS NOT NULL "
        "AND (country = 'WLD' OR (country IS NULL AND country_label IN (?, ?))) GROUP BY ALL",
        [UNDISTRIBUTED, ASIA, indicator, UNDISTRIBUTED, ASIA],
    )
    long = pd.concat([chn.assign(k="CHN")[["year", "k", "value", "provenance_id"]], rest])
    wide = long.pivot_table(index="year", columns="k", values="value", aggfunc="max")
    for k in ("CHN", "WLD", "undistributed", "asia"):
        if k not in wide:
            wide[k] = np.nan
    wide.index = wide.index.astype(int)
    wide.attrs["provenance_ids"] = ids(long)
    return wide.sort_index()


COMPARATORS: dict[str, tuple[str, Callable[[pd.DataFrame], pd.Series]]] = {
    "distributed": (
        "their other locations (world minus China minus undistributed)",
        lambda w: w["WLD"] - w["CHN"] - w["undistributed"].fillna(0.0),
    ),
    "all": ("all their other employment (world minus China)", lambda w: w["WLD"] - w["CHN"]),
    "asia": ("Asia and Pacific excluding China", lambda w: w["asia"] - w["CHN"]),
}


def relative_growth(
    wide: pd.DataFrame, comparator: str, *, base: int, end: int, trend: bool = False
) -> tuple[float | None, float | None, float | None, str]:
    """100·[Δln China − Δln comparator], base → end (with ``trend``: the OLS slope of
    100·ln(China / comparator) over base…end times the years, with its 90 % interval)."""
    _, fn = COMPARATORS[comparator]
    comp = fn(wide)
    ratio = pd.Series(100 * np.log(wide["CHN"] / comp), index=wide.index).dropna()
    ratio = ratio[(ratio.index >= base) & (ratio.index <= end)]
    if base not in ratio.index or end not in ratio.index:
        have = f"{ratio.index.min()}–{ratio.index.max()}" if len(ratio) else "none"
        return None, None, None, f"China and the comparator are needed in {base} and {end} ({have})"
    if not trend:
        return float(ratio[end] - ratio[base]), None, None, ""
    if len(ratio) < 4:
        return None, None, None, f"a trend needs 4 years; {len(ratio)} are staged"
    fit = stats.linregress(ratio.index.to_numpy(float), ratio.to_numpy())
    q = float(stats.t.ppf((1 + LEVEL) / 2, len(ratio) - 2))
    span = end - base
    est = float(fit.slope) * span
    return est, est - q * float(fit.stderr) * span, est + q * float(fit.stderr) * span, ""


def move_test(
    wide: pd.DataFrame | None,
    comparator: str = "distributed",
    *,
    base: int,
    end: int,
    trend: bool = False,
    what: str = "employment",
    why: str = "",
) -> Test:
    label = f"US firms' {what} growth in China minus {COMPARATORS[comparator][0]}"
    est = lo = hi = None
    missing = why
    if wide is not None and not why:
        est, lo, hi, missing = relative_growth(wide, comparator, base=base, end=end, trend=trend)
    return Test(
        f"relative_{what.replace(' ', '_')}", label, est, "log pts",
        support=Threshold("<=", MOVE_SUPPORT), contradict=Threshold(">=", MOVE_CONTRA),
        kind="estimated" if trend else "observed", low=lo, high=hi,
        interval=f"{LEVEL:.0%} interval of the OLS trend {base}–{end}" if trend else "",
        missing=missing or ("" if est is not None else "not measured"), digits=1,
    )  # fmt: skip


@register
class SupplierShift(Checker):
    """Claim 6: restrictions pushed US firms to move production out of China."""

    name = "supplier_shift"
    claim_id = "us-firms-moved-production"
    method = (
        "Reads US companies' employment in China and in their other locations (NCSES foreign "
        f"employment by location, {MNE_FIRST}–latest) from the indicators table and compares "
        "growth: 100·[Δln China − Δln other distributed locations]. Supported when China's "
        f"growth falls short by at least {-MOVE_SUPPORT:.0f} log points, contradicted when it "
        f"exceeds the comparator's by at least {MOVE_CONTRA:.0f}. China's share of US imports "
        "against its 2013–2017 trend is shown as a proxy (origin, not ownership), not decisive."
    )

    def evaluate(self, store: Store) -> Verdict:
        emp = mne_frame(store, MNE_EMPLOYMENT, "US companies' employment in China")
        years = [int(y) for y in emp["CHN"].dropna().index]
        if len(years) < 2:
            raise Missing("no_data", "US companies' employment in China needs two staged years.")
        base, end = max(MNE_FIRST, min(years)), max(years)
        main = move_test(emp, base=base, end=end)
        rd, rd_why = _try(lambda: mne_frame(store, MNE_RD, "US companies' R&D in China"))
        alts = {
            "comparator: world minus China (undistributed included)": [
                move_test(emp, "all", base=base, end=end)
            ],
            "comparator: Asia and Pacific excluding China": [
                move_test(emp, "asia", base=base, end=end)
            ],
            f"OLS trend over {base}–{end} ({LEVEL:.0%} interval)": [
                move_test(emp, base=base, end=end, trend=True)
            ],
            f"base year {base + 1}": [move_test(emp, base=base + 1, end=end)],
            f"end year {end - 1}": [move_test(emp, base=base, end=end - 1)],
            f"base year {BASE_YEAR}": [
                move_test(
                    None,
                    base=BASE_YEAR,
                    end=end,
                    why=f"employment by location is staged from {min(years)} only",
                )
            ],
            f"R&D performed in China instead of employment ({MNE_FIRST}–latest BERD)": [
                move_test(
                    rd,
                    base=MNE_FIRST,
                    end=int(rd.index.max()) if rd is not None else end,
                    what="R&D",
                    why=rd_why,
                )
            ],
        }
        notes = {
            "main specification": f"employment, {base}→{end}, comparator: other distributed locations",
            f"base year {BASE_YEAR}": "not measurable: no employment by location before 2018",
            "comparator: Asia and Pacific excluding China": (
                "includes India, Vietnam and Taiwan, the destinations a move would feed"
            ),
        }  # fmt: skip
        decision = decide([main], alts, notes=notes)
        return self._verdict(store, decision, emp, rd, base, end, main)

    def _verdict(
        self,
        store: Store,
        decision: Decision,
        emp: pd.DataFrame,
        rd: pd.DataFrame | None,
        base: int,
        end: int,
        main: Test,
    ) -> Verdict:
        comp = COMPARATORS["distributed"][1](emp)
        figs = _employment_figures(emp, comp, base, end, main)
        ev_for, ev_against = _employment_evidence(emp, comp, rd, base, end, main)
        proxy, proxy_figs, proxy_for, proxy_against = _import_share_proxy(store)
        figs += proxy_figs
        ev_for += proxy_for
        ev_against += proxy_against
        ev_against.append(
            "Employment is counted for US R&D-performing companies only (NCSES BERD), not all US "
            "multinationals, and starts in 2018, after the first tariffs; sales are not staged."
        )
        rationale = (
            f"{main.label}: {main.estimate if main.estimate is None else f'{main.estimate:+.1f}'} "
            f"log points ({base}–{end}, observed survey counts) → {main.status} under the rule "
            f"(supported ≤ {MOVE_SUPPORT:+.0f}, contradicted ≥ {MOVE_CONTRA:+.0f}). Import shares "
            "are a proxy shown for context, not decisive."
        )
        both = pd.concat(
            [emp.reset_index().melt(id_vars="year", var_name="series", value_name="value")
             .assign(measure="employment (thousands)")]
            + ([rd.reset_index().melt(id_vars="year", var_name="series", value_name="value")
                .assign(measure="R&D (USD m)")] if rd is not None else []),
            ignore_index=True,
        ).dropna(subset=["value"])  # fmt: skip
        pids = sorted(set(emp.attrs.get("provenance_ids", [])) |
                      set(rd.attrs.get("provenance_ids", []) if rd is not None else []) |
                      set(proxy[0].provenance_ids if proxy[0] is not None else []))  # fmt: skip
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=rationale,
            figures=figs,
            evidence=both,
            provenance_ids=pids,
            chart=_indexed_chart(emp, comp, base),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                "US firms' employment in China against their employment in other locations "
                "(difference in growth, comparator as counterfactual); import shares against "
                "their 2013–2017 trend as a proxy only"
            ),
        )


def _employment_change(
    emp: pd.DataFrame, comp: pd.Series, base: int, end: int
) -> tuple[float, float, float, float | None]:
    """China's employment in ``base`` and ``end``, its growth (%) and the comparator's."""
    chn = emp["CHN"].astype(float)
    chn0, chn1 = float(chn[base]), float(chn[end])
    chn_pct = 100 * (chn1 / chn0 - 1)
    comp_pct = 100 * (float(comp[end]) / float(comp[base]) - 1) if comp.notna().all() else None
    return chn0, chn1, chn_pct, comp_pct


def _employment_figures(
    emp: pd.DataFrame, comp: pd.Series, base: int, end: int, main: Test
) -> list[Figure]:
    chn0, chn1, chn_pct, comp_pct = _employment_change(emp, comp, base, end)
    share0 = 100 * chn0 / float(emp["WLD"][base]) if emp["WLD"].notna().all() else None
    share1 = 100 * chn1 / float(emp["WLD"][end]) if emp["WLD"].notna().all() else None
    figs = [
        Figure("employment_base", f"US companies' employment in China {base}", chn0, "thousand", 0),
        Figure("employment_last", f"US companies' employment in China {end}", chn1, "thousand", 0),
        Figure("employment_growth", f"Employment in China, change {base}–{end}", chn_pct, "% change", 1),
        Figure("comparator_growth", f"Employment in other distributed locations, change {base}–{end}",
               comp_pct, "% change", 1),
        Figure("relative_growth", "China minus comparator, growth", main.estimate, "log pts", 1),
    ]  # fmt: skip
    if share0 is not None and share1 is not None:
        figs.append(Figure("china_share_of_foreign_employment",
                           f"China's share of their foreign employment, change {base}–{end}",
                           share1 - share0, "pp", 2))  # fmt: skip
    return figs


def _employment_evidence(
    emp: pd.DataFrame, comp: pd.Series, rd: pd.DataFrame | None, base: int, end: int, main: Test
) -> tuple[list[str], list[str]]:
    """Evidence from employment (the decisive test) and R&D in China against elsewhere."""
    chn0, chn1, chn_pct, comp_pct = _employment_change(emp, comp, base, end)
    ev_for: list[str] = []
    ev_against: list[str] = []
    line = (
        f"US companies' employment in China went from {chn0:,.0f} to {chn1:,.0f} thousand "
        f"({base}–{end}, {chn_pct:+.0f} %)"
        + (f" against {comp_pct:+.0f} % in their other locations" if comp_pct is not None else "")
        + (f": {main.estimate:+.1f} log points relative growth." if main.estimate is not None else ".")
    )  # fmt: skip
    (ev_for if main.status == "supported" else ev_against).append(line)
    if rd is not None and not rd["CHN"].dropna().empty:
        rd_t = move_test(rd, base=MNE_FIRST, end=int(rd.index.max()), what="R&D")
        if rd_t.estimate is not None:
            (ev_for if rd_t.status == "supported" else ev_against).append(
                f"R&D performed in China by US companies grew {rd_t.estimate:+.1f} log points "
                f"relative to their R&D elsewhere ({MNE_FIRST}–{int(rd.index.max())})."
            )
    return ev_for, ev_against


def _import_share_proxy(
    store: Store,
) -> tuple[tuple[Any, str], list[Figure], list[str], list[str]]:
    """The proxy (not decisive): China's share of US goods imports against its 2013–2017 trend;
    returns ``(_try result, figures, evidence for, evidence against)``."""
    figs: list[Figure] = []
    ev_for: list[str] = []
    ev_against: list[str] = []
    proxy = _try(lambda: china_share(store, products=(), what="China's share of US imports"))
    proxy_fit = None
    if proxy[0] is not None:
        pt, proxy_fit = gap_test(proxy[0], last_pre=BASE_YEAR, year=None, key="proxy")
        if pt.estimate is not None:
            y = proxy_fit.year
            lo, hi = pt.bounds
            figs.append(Figure("import_share_gap",
                               f"Proxy: China's share of US imports vs its 2013–2017 trend, {y}",
                               pt.estimate, "pp"))  # fmt: skip
            (ev_for if hi < 0 else ev_against).append(
                f"Proxy only: China's share of US goods imports in {y} (January–December) "
                f"was {pt.estimate:+.1f} pp [{lo:+.1f}, {hi:+.1f}] off its 2013–2017 trend; "
                "this counts where goods are shipped from, not who owns the plants."
            )
    return proxy, figs, ev_for, ev_against


def _indexed_chart(emp: pd.DataFrame, comp: pd.Series, base: int) -> Any:
    data = pd.DataFrame(
        {
            "year": list(emp.index) * 2,
            "series": ["China"] * len(emp) + ["Other distributed locations"] * len(emp),
            "value": list(emp["CHN"]) + list(comp),
        }
    ).dropna()
    first = data[data["year"] == base].set_index("series")["value"]
    data["index"] = 100 * data["value"] / data["series"].map(first)
    data["date"] = pd.to_datetime(data["year"].astype(int).astype(str) + "-07-01")
    line = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Year"),
            y=alt.Y("index:Q", title=f"Index, {base} = 100", scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", title=None),
            tooltip=["series", "year", alt.Tooltip("value:Q", format=",.0f", title="thousand")],
        )
    )
    return charts.finish(
        line,
        title="Employment of US companies in China and in their other locations",
        subtitle=f"Index, {base} = 100 (thousands of employees of US R&D-performing companies)",
        source="NCSES foreign employment by location (BERD)",
    )
