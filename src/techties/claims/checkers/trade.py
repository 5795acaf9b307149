"""Checkers on US firms' production in China (claim 6) and on US dependence on China for
technology goods (claim 12), each against a counterfactual.

Claim 6 ("restrictions pushed US firms to move production out of China") is about firms, not
about where imports are shipped from. Its direct measure is the employment of US companies in
China (NCSES foreign-employment tables, 2018–2022), set against the same companies' employment
in their other locations (a difference in growth: what would have happened without a push is
taken to be the growth elsewhere). China's share of US imports is a proxy (country of origin, not
ownership) and is shown for and against the claim, never decisive.

Claim 12 ("tariffs reduced US dependence on China for critical technology goods") is a
conjunction of two tests: (A) China's share of US imports of computer and electronic products
(NAICS 334, Census monthly, world total) in the latest full year against its 2013–2017 trend
projected forward (prediction interval), and (B) a difference-in-differences between
Section 301-listed and unlisted technology products (HS6, China's share among the staged
suppliers, heading-clustered bootstrap interval): the fall must be below the old trend *and*
larger where the tariffs hit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from techties import charts
from techties.claims.base import Checker, Missing, layer, register, require_table
from techties.claims.checkers._evidence import ids, indicator_series
from techties.claims.rules import Decision, Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError, TechtiesError
from techties.store import Store

#: base year of before/after comparisons elsewhere (sourcing.py imports it); here the last
#: pre-tariff year of the pre-trend and of the difference-in-differences
BASE_YEAR = 2017
LOAD_FLOWS = "ingest US import flows (trade-flows/) with `techties report --data DIR`"
LOAD_NCSES = "ingest the NCSES tables (tech-mne/) with `techties report --data DIR`"
#: partner codes that are groups, not suppliers
AGGREGATES = ("WLD", "EUN", "USMCA", "EU", "OTH")
#: two-sided level of every interval here
LEVEL = 0.90

# -- claim 12: rule (fixed before the data were read) ----------------------------------------
#: technology goods of the pre-trend test: NAICS 334, computer and electronic products
TECH_PRODUCTS = ("334",)
#: HS technology group of the listed-vs-unlisted test (techties.indicators.groups)
TECH_GROUP = "ict_electronics"
ALT_GROUPS = ("advanced_technology", "semiconductors")
#: supported when the whole interval is at or below −3 pp, contradicted when it is above −1 pp
DEP_SUPPORT_PP, DEP_CONTRA_PP = -3.0, -1.0
#: first year of the pre-trend fit (Census NAICS monthly starts in 2013)
PRE_START = 2013
BOOT_DRAWS = 999
BOOT_SEED = 20180706

# -- claim 6: rule ----------------------------------------------------------------------------
#: NCSES indicator codes (as in science.py) for US companies' activity abroad, by location
MNE_EMPLOYMENT = "ncses:MNE-EMP:us_company_employment_abroad:employees_total"
MNE_RD = "ncses:MNE-RD:us_company_rd_abroad:total"
#: first staged year of employment by location, and the first comparable BERD R&D year
MNE_FIRST = 2018
#: growth of China relative to the comparator, 100·Δln: supported ≤ −5, contradicted ≥ +5
MOVE_SUPPORT, MOVE_CONTRA = -5.0, 5.0
UNDISTRIBUTED, ASIA = "Undistributed", "Asia and Pacific"


# == shared: China's share of US imports by year ==============================================
def us_import_source(store: Store, *, first: int = BASE_YEAR) -> tuple[str, str]:
    """(source, classification) of US imports by partner that has a world total and covers
    ``first`` and later years (the longest such series)."""
    require_table(store, "trade_flows", needed_for="US imports by partner", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, classification, min(year) AS y0, max(year) AS y1 FROM trade_flows "
        "WHERE reporter = 'USA' AND flow = 'import' AND partner = 'WLD' "
        "AND classification = 'NAICS' GROUP BY ALL ORDER BY y1 - y0 DESC, source"
    )
    found = found[(found["y0"] <= first) & (found["y1"] > first)]
    if found.empty:
        raise Missing(
            "no_data",
            f"no US imports by NAICS industry and partner with a world total spanning {first} "
            f"and a later year; {LOAD_FLOWS} (the Census monthly NAICS file).",
        )
    return str(found["source"].iloc[0]), str(found["classification"].iloc[0])


@dataclass
class ShareSeries:
    """China's share of US imports (%) by year, with what it was read from."""

    share: pd.Series
    #: months of the last year (12 for a full year)
    months: dict[int, int]
    provenance_ids: list[int]
    source: str
    what: str
    #: the store's source name (``source`` is the label with the file)
    source_name: str = ""


def china_share(
    store: Store,
    *,
    products: tuple[str, ...],
    source: str | None = None,
    classification: str = "NAICS",
    denominator: str = "world",
    months: int | None = None,
    what: str = "",
) -> ShareSeries:
    """China's yearly share (%) of US imports of ``products`` (code prefixes; empty = all goods)
    from the shares indicator: full years, or with ``months`` the first ``months`` months of each
    year (from monthly rows)."""
    partner_shares = layer("techties.indicators.shares", "partner_shares", needed_for=what)
    if source is None:
        source, classification = us_import_source(store)
    level = len(products[0]) if products else 0
    kw: dict[str, Any] = dict(
        reporter="USA", flow="import", source=source, classification=classification,
        level=level, products=products, denominator=denominator,
    )  # fmt: skip
    if months is not None:
        kw["frequency"] = "monthly"
    res = partner_shares(store, **kw)
    t = res.tidy()
    t = t[~t["partner"].isin(AGGREGATES)]
    if months is None:
        t = t[t["month"].isna()]
        n = t.groupby("year")["n_months"].max().fillna(12) if "n_months" in t else None
        chn = t[t["partner"] == "CHN"].groupby("year")[["value_usd", "total_usd"]].sum()
        counts = {int(y): int(n[y]) if n is not None else 12 for y in chn.index}
        keep = [y for y in chn.index if counts[int(y)] >= 12]
    else:
        t = t[t["month"].notna() & (t["month"] <= months)]
        chn = t[t["partner"] == "CHN"].groupby("year")[["value_usd", "total_usd"]].sum()
        counts = {
            int(y): int(g["month"].nunique()) for y, g in t[t["partner"] == "CHN"].groupby("year")
        }
        keep = [y for y in chn.index if counts[int(y)] >= months]
    chn = chn.loc[keep]
    share = (100 * chn["value_usd"] / chn["total_usd"]).astype(float)
    share.index = share.index.astype(int)
    return ShareSeries(
        share=share,
        months={int(y): counts[int(y)] for y in share.index},
        provenance_ids=list(res.provenance_ids),
        source=str(res.source or source),
        what=what,
        source_name=source,
    )


def _breaks() -> Any:
    return layer("techties.models.breaks", "pre_trend_gap", needed_for="pre-trend gap")


def gap_test(
    series: ShareSeries | None,
    *,
    last_pre: int,
    year: int | None,
    key: str = "gap",
    label: str = "China's share vs its pre-2018 trend",
    note: str = "",
) -> tuple[Test, Any]:
    """Test A: the share in ``year`` (default: last) minus its trend fitted on PRE_START…
    ``last_pre``, with the 90 % prediction interval (``models.breaks.pre_trend_gap``)."""
    pre_trend_gap = _breaks()
    missing = note
    fit = None
    if series is not None and not missing:
        s = series.share
        target = int(s.index.max()) if year is None else year
        try:
            fit = pre_trend_gap(
                s.index, s.to_numpy(), last_pre=last_pre, year=target, level=LEVEL,
                start=PRE_START,
            )  # fmt: skip
        except NoDataError as exc:
            missing = f"{series.what}: {exc.message}"
    if fit is None:
        return _missing_test(key, label, "pp", missing or "no share series"), None
    return (
        Test(
            key,
            label,
            float(fit.estimate),
            "pp",
            support=Threshold("<=", DEP_SUPPORT_PP),
            contradict=Threshold(">", DEP_CONTRA_PP),
            kind="estimated",
            low=float(fit.conf_low),
            high=float(fit.conf_high),
            interval=f"{LEVEL:.0%} prediction interval of the {PRE_START}–{last_pre} trend",
        ),
        fit,
    )


def _missing_test(key: str, label: str, unit: str, why: str) -> Test:
    return Test(
        key, label, None, unit, support=Threshold("<=", DEP_SUPPORT_PP),
        contradict=Threshold(">", DEP_CONTRA_PP), missing=why,
    )  # fmt: skip


# == claim 12 (B): listed vs unlisted technology products =====================================
@dataclass
class Hs6Panel:
    """US imports of one technology group by HS6 product, partner and year, with exposure."""

    #: ``year, heading, listed, chn_usd, total_usd`` (summed over the products of a heading)
    cells: pd.DataFrame
    partners: list[str]
    source: str
    group: str
    provenance_ids: list[int]
    products: int
    listed_products: int


def _hs6_source(store: Store) -> str:
    require_table(store, "trade_flows", needed_for="US imports by HS6", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, count(DISTINCT year) AS years, count(DISTINCT partner) AS partners "
        "FROM trade_flows WHERE reporter = 'USA' AND flow = 'import' AND product_level = 6 "
        "AND month IS NULL AND classification IN ('HS', 'HTS') AND partner = 'CHN' "
        "GROUP BY source ORDER BY years DESC, source"
    )
    if found.empty:
        raise Missing("no_data", f"no US imports from China by HS6 product; {LOAD_FLOWS}.")
    return str(found["source"].iloc[0])


def hs6_panel(store: Store, group: str) -> Hs6Panel:
    """China's and the staged suppliers' US sales of ``group`` products by year, split into
    products with a Section 301 line (Lists 1–4A) and products without one."""
    flags_of = layer("techties.indicators.decoupling", "exposure_flags", needed_for="exposure")
    load_groups = layer("techties.indicators.concordance", "load_groups", needed_for="groups")
    from techties.indicators.decoupling import EXPOSED

    g = load_groups()[group]
    source = _hs6_source(store)
    raw = store.df(
        "SELECT year, partner, product_code AS code, coalesce(vintage, '') AS vintage, "
        "coalesce(value_basis, '') AS basis, sum(value_usd) AS v, "
        "list(DISTINCT provenance_id) AS pids FROM trade_flows WHERE source = ? "
        "AND reporter = 'USA' AND flow = 'import' AND product_level = 6 AND month IS NULL "
        "AND partner <> 'WLD' GROUP BY ALL",
        [source],
    )
    keep = raw["code"].map(
        lambda c: any(c.startswith(p) for p in g.codes) and not any(c.startswith(x) for x in g.exclude)
    )  # fmt: skip
    raw = raw[keep]
    if raw.empty or "CHN" not in set(raw["partner"]):
        raise Missing("no_data", f"no US imports of {group} products from China by HS6.")
    # one value basis per partner and year (Comtrade stores China at CIF and FOB)
    order = ("customs_consumption", "customs_general", "customs", "CIF", "FOB", "")
    raw["rank"] = raw["basis"].map(lambda b: order.index(b) if b in order else 9)
    best = raw.groupby(["partner", "year"])["rank"].transform("min")
    raw = raw[raw["rank"] == best]
    listed = _listed(store, raw[["code", "vintage"]].drop_duplicates(), flags_of, EXPOSED)
    raw = raw.merge(listed, on=["code", "vintage"], how="left")
    raw["heading"] = raw["code"].str[:4]
    raw["chn"] = np.where(raw["partner"] == "CHN", raw["v"], 0.0)
    cells = (
        raw.groupby(["year", "heading", "listed"], as_index=False)
        .agg(chn_usd=("chn", "sum"), total_usd=("v", "sum"))
        .sort_values(["year", "heading", "listed"])
    )
    codes = raw.drop_duplicates(["code", "vintage"])
    return Hs6Panel(
        cells=cells.reset_index(drop=True),
        partners=sorted(set(raw["partner"])),
        source=source,
        group=group,
        provenance_ids=ids(raw, "pids"),
        products=len(codes),
        listed_products=int(codes["listed"].sum()),
    )


def _listed(store: Store, codes: pd.DataFrame, flags_of: Any, exposed: str) -> pd.DataFrame:
    """``code, vintage, listed``: a Section 301 line falls in the code or, for an HS2012/HS2022
    code, in one of its HS2017 counterparts (the lists are on the 2018 HTS)."""
    counterparts = pd.DataFrame(columns=["vintage", "code", "to_code"])
    other = codes[~codes["vintage"].isin(["HS2017", "", "HTS2018"])]
    if not other.empty and store.has_table("hs_concordance"):
        counterparts = store.df(
            "SELECT DISTINCT from_vintage AS vintage, from_code AS code, to_code "
            "FROM hs_concordance WHERE to_vintage = 'HS2017' "
            "AND list_contains(?::VARCHAR[], from_code)",
            [sorted(set(other["code"]))],
        )
    flags, note = flags_of(store, sorted(set(codes["code"]) | set(counterparts["to_code"])))
    if note:
        raise Missing("no_data", f"Section 301 lists are needed to split products: {note}")
    hit = {c for c, f in flags.items() if f == exposed}
    cp_hit = counterparts[counterparts["to_code"].isin(hit)]
    via = set(zip(cp_hit["vintage"], cp_hit["code"], strict=True))
    out = codes.copy()
    out["listed"] = [
        c in hit or (v, c) in via for c, v in zip(out["code"], out["vintage"], strict=True)
    ]
    return out


def _shares(cells: pd.DataFrame, weights: pd.Series | None = None) -> pd.DataFrame:
    """China's share (%) by year and listed/unlisted, headings weighted by ``weights``
    (bootstrap draw counts; None = each heading once)."""
    c = cells
    if weights is not None:
        w = c["heading"].map(weights).fillna(0.0)
        c = c.assign(chn_usd=c["chn_usd"] * w, total_usd=c["total_usd"] * w)
    agg = c.groupby(["year", "listed"])[["chn_usd", "total_usd"]].sum()
    return (100 * agg["chn_usd"] / agg["total_usd"]).unstack("listed")


def _cell(sh: pd.DataFrame, year: int, listed: bool) -> float:
    return float(sh.at[year, listed])  # type: ignore[arg-type]


def _did_of(sh: pd.DataFrame, base: int, end: int) -> float:
    try:
        at = {(y, k): _cell(sh, y, k) for y in (base, end) for k in (True, False)}
        d = (at[end, True] - at[base, True]) - (at[end, False] - at[base, False])
    except KeyError:
        return math.nan
    return float(d)


@dataclass
class Did:
    estimate: float
    low: float
    high: float
    listed_change: float
    unlisted_change: float
    shares: pd.DataFrame
    draws: int


def did_estimate(panel: Hs6Panel, *, base: int, end: int, pre: int | None = None) -> Did:
    """(listed Δshare − unlisted Δshare), base → end, with a percentile interval from a
    bootstrap that resamples HS4 headings (products of a heading are drawn together).

    With ``pre`` the differential trend of pre → base (a placebo DiD) is extrapolated
    linearly to end and taken off: DiD − placebo · (end − base) / (base − pre), same draws."""
    if end <= base or (pre is not None and pre >= base):
        raise NoDataError(f"a DiD needs years in order ({pre or ''} {base} < {end})")
    years = [base, end] + ([pre] if pre is not None else [])
    cells = panel.cells[panel.cells["year"].isin(years)]
    sh = _shares(cells)
    for y in years:
        if y not in sh.index:
            raise NoDataError(f"no HS6 imports of {panel.group} products in {y}")
    if True not in sh.columns or False not in sh.columns or sh.isna().to_numpy().any():
        raise NoDataError(
            f"{panel.group}: both listed and unlisted products must be imported in {base} and {end}"
        )
    est = _did_of(sh, base, end)
    ratio = 0.0 if pre is None else (end - base) / (base - pre)
    if pre is not None:
        est -= ratio * _did_of(sh, pre, base)
    # heading × (year, class) sums; a draw weights headings by how often they were picked
    wide = cells.pivot_table(
        index="heading", columns=["year", "listed"], values=["chn_usd", "total_usd"],
        aggfunc="sum", fill_value=0.0,
    )  # fmt: skip
    rng = np.random.default_rng(BOOT_SEED)
    n = len(wide)
    counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(BOOT_DRAWS)])

    def share(year: int, listed: bool) -> np.ndarray:
        c = counts @ wide[("chn_usd", year, listed)].to_numpy(float)
        t = counts @ wide[("total_usd", year, listed)].to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100 * c / t

    def did(b: int, e: int) -> np.ndarray:
        return (share(e, True) - share(b, True)) - (share(e, False) - share(b, False))

    boot = did(base, end) - (ratio * did(pre, base) if pre is not None else 0.0)
    draws = boot[np.isfinite(boot)]
    if len(draws) < BOOT_DRAWS // 2:
        raise NoDataError(f"{panel.group}: too few headings for a bootstrap interval")
    lo, hi = np.quantile(draws, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return Did(
        estimate=est,
        low=min(float(lo), est),
        high=max(float(hi), est),
        listed_change=_cell(sh, end, True) - _cell(sh, base, True),
        unlisted_change=_cell(sh, end, False) - _cell(sh, base, False),
        shares=_shares(panel.cells),
        draws=len(draws),
    )


def did_test(
    panel: Hs6Panel | None,
    *,
    base: int,
    end: int,
    why: str = "",
    key: str = "did",
    pre: int | None = None,
) -> tuple[Test, Did | None]:
    """Test B from :func:`did_estimate` (or not measured, saying why)."""
    label = "Listed minus unlisted tech products, change in China's share"
    if pre is not None:
        label += f" (net of the {pre}–{base} differential trend)"
    if panel is None or why:
        return _missing_test(key, label, "pp", why or "no HS6 panel"), None
    try:
        d = did_estimate(panel, base=base, end=end, pre=pre)
    except NoDataError as exc:
        return _missing_test(key, label, "pp", exc.message), None
    return (
        Test(
            key,
            label,
            d.estimate,
            "pp",
            support=Threshold("<=", DEP_SUPPORT_PP),
            contradict=Threshold(">", DEP_CONTRA_PP),
            kind="estimated",
            low=d.low,
            high=d.high,
            interval=f"{LEVEL:.0%} bootstrap interval, HS4 headings resampled ({d.draws} draws)",
        ),
        d,
    )


def _try(fn: Callable[[], Any]) -> tuple[Any, str]:
    """``(fn(), "")``, or ``(None, why)`` when the evidence is missing."""
    try:
        return fn(), ""
    except Missing as m:
        return None, m.what
    except TechtiesError as exc:
        return None, exc.message


def _end_year(panel: Hs6Panel | None, wanted: int) -> int:
    if panel is None:
        return wanted
    years = set(panel.cells["year"])
    return wanted if wanted in years else max(y for y in years if y <= wanted) if years else wanted


# == claim 12 checker ==========================================================================
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
        panels: dict[str, tuple[Hs6Panel | None, str]] = {
            grp: _try(partial(hs6_panel, store, grp)) for grp in (TECH_GROUP, *ALT_GROUPS)
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
            if net is not None and net.estimate is not None:
                figs.append(Figure("did_net", "DiD net of the pre-tariff differential trend",
                                   net.estimate, "pp"))  # fmt: skip
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
        ev = (
            fit.frame.assign(series="NAICS 334 China share vs pre-trend")
            if fit is not None
            else pd.DataFrame()
        )
        if did is not None:
            long = did.shares.rename(columns={True: "listed", False: "unlisted"}).reset_index()
            ev = pd.concat([ev, long.assign(series=f"{TECH_GROUP} China share (staged suppliers)")],
                           ignore_index=True)  # fmt: skip
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
    chart = layer("techties.models.breaks", "counterfactual_chart", needed_for="chart")
    return chart(fit.frame, last_pre=fit.last_pre, title=title, unit=unit, source=source)


# == claim 6 ===================================================================================
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
        chn = emp["CHN"].astype(float)
        chn0, chn1 = float(chn[base]), float(chn[end])
        comp = COMPARATORS["distributed"][1](emp)
        chn_pct = 100 * (chn1 / chn0 - 1)
        comp_pct = 100 * (float(comp[end]) / float(comp[base]) - 1) if comp.notna().all() else None
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


__all__: Sequence[str] = ("BASE_YEAR", "LOAD_FLOWS", "SupplierShift", "TechDependence")
