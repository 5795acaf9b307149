"""Checkers on export controls: the reach of US rules into third countries (claim 9) and China's
access to advanced chips (claim 13).

Claim 9 counts BIS Entity List entries by year of first listing (a single snapshot: survivors
only) that bind firms outside the direct targets — entries for third-country destinations and
entries carrying a foreign-direct-product (FDP) footnote (§ 734.9: foreign-made items made with US
technology need a US licence, so the rule binds foreign suppliers) — and compares the later window
with the earlier one as a rate ratio with a quasi-Poisson interval over yearly counts.

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
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from techties import charts
from techties.claims.base import Checker, Missing, provenance_of, register, require_table
from techties.claims.rules import Test, Threshold, decide
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError
from techties.models import breaks
from techties.store import Store

ENTITY_LIST_ID = "bis-entity-list"
#: destinations that are the direct targets of US controls; the rest are "third parties"
PRIMARY_TARGETS = ("CHN", "RUS", "BLR", "IRN", "PRK")
WINDOW_YEARS = 4
#: the alternative window lengths of the robustness panel
ALT_WINDOWS = (3, 5)
REACH_UP, REACH_DOWN = 1.25, 0.8
#: two-sided level of the rate-ratio and pre-trend intervals (the project's default)
LEVEL = breaks.LEVEL
#: § 734.9 is the foreign-direct-product rules section; the Entity List footnotes 1 (§ 734.9(e)(1),
#: Huawei, 2020), 3 (§ 734.9(g), Russia/Belarus military end users, 2022), 4 (§ 734.9(e)(2),
#: advanced computing, 2022) and 5 (§ 734.9(e)(3), chip-making equipment, 2024) cite it
FDP_PATTERN = re.compile(r"734\.9\s*\(")
FDP_FOOTNOTES = {
    "fn3 § 734.9(g)": re.compile(r"734\.9\s*\(g\)"),
    "fn4 § 734.9(e)(2)": re.compile(r"734\.9\s*\(e\)\s*\(2\)"),
    "fn5 § 734.9(e)(3)": re.compile(r"734\.9\s*\(e\)\s*\(3\)"),
    "fn1 § 734.9(e)(1)": re.compile(r"734\.9\s*\(e\)(?!\s*\([23]\))"),
}

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


def _group(iso3: str | None, targets: Sequence[str] = PRIMARY_TARGETS) -> str:
    if iso3 in ("CHN", "HKG") and "CHN" in targets:
        return "China (incl. Hong Kong)"
    if iso3 in targets:
        return "Russia, Belarus, Iran, N. Korea"
    return "Third countries"


def rate_ratio(
    late: Sequence[float], early: Sequence[float], *, level: float = LEVEL
) -> tuple[float, float, float, float]:
    """Ratio of the mean yearly count in ``late`` to that in ``early`` with its interval.

    Log-linear Poisson model of the yearly counts with one rate per window; the interval is
    ``exp(log RR ± q · √(φ (1/N_late + 1/N_early)))`` with the dispersion ``φ`` (Pearson χ² over
    ``k − 2`` degrees of freedom, never below 1: entries come in batches by rule, so yearly counts
    are over-dispersed) and ``q`` the t quantile on ``k − 2`` degrees of freedom. Returns
    ``(ratio, low, high, φ)``.
    """
    lv, ev = np.asarray(late, dtype=float), np.asarray(early, dtype=float)
    n_l, n_e = float(lv.sum()), float(ev.sum())
    if n_e <= 0 or n_l <= 0:
        raise NoDataError("a rate ratio needs entries in both windows")
    chi2 = sum(float(((v - v.mean()) ** 2).sum() / v.mean()) for v in (lv, ev))
    dof = len(lv) + len(ev) - 2
    phi = max(1.0, chi2 / dof) if dof > 0 else 1.0
    ratio = (n_l / len(lv)) / (n_e / len(ev))
    q = float(stats.t.ppf(0.5 + level / 2, dof)) if dof > 0 else float(stats.norm.ppf(0.975))
    half = q * math.sqrt(phi * (1 / n_l + 1 / n_e))
    return ratio, ratio * math.exp(-half), ratio * math.exp(half), phi


def fdp_footnotes(text: str | None) -> list[str]:
    """The FDP footnotes an Entity List licence-requirement text cites (§ 734.9 rules)."""
    if not text:
        return []
    return [k for k, pat in FDP_FOOTNOTES.items() if pat.search(text)]


@register
class EntityListReach(Checker):
    """Claim 9: US export rules reach more firms outside the direct targets over time."""

    name = "entity_list_reach"
    claim_id = "us-extends-rules-third-parties"
    method = (
        "Counts BIS Entity List entries by year of their earliest Federal Register citation "
        "(entity_list table; survivors at the snapshot) that bind firms outside the direct targets "
        "(China, Russia, Belarus, Iran, North Korea): entries for third-country destinations and "
        "entries whose licence requirement cites a foreign-direct-product rule (§ 734.9). The "
        f"ratio of yearly additions in the last {WINDOW_YEARS} complete years to the "
        f"{WINDOW_YEARS} before, with a {LEVEL:.0%} quasi-Poisson interval over yearly counts, "
        f"decides (supported when the whole interval is ≥ {REACH_UP}, contradicted when ≤ "
        f"{REACH_DOWN}); windows, target definitions and each channel alone are the robustness "
        "panel."
    )

    def evaluate(self, store: Store) -> Verdict:
        require_table(
            store,
            "entity_list",
            needed_for="Entity List additions by year",
            loaded_by="ingest tech-export-controls/bis_entity_list.json",
        )
        rows = store.df(
            "SELECT country_iso3, address, license_requirement, year(date_added) AS year "
            "FROM entity_list WHERE list_id = ? AND date_added IS NOT NULL",
            [ENTITY_LIST_ID],
        )
        if rows.empty:
            raise Missing("no_data", "no dated BIS Entity List entries in the store.")
        rows["fdp"] = [bool(fdp_footnotes(t)) for t in rows["license_requirement"]]
        rows["hk"] = (rows["country_iso3"] == "CHN") & rows["address"].fillna("").str.contains(
            "Hong Kong", case=False
        )
        rows["group"] = [_group(c) for c in rows["country_iso3"]]
        latest = pd.Timestamp(
            store.scalar(
                "SELECT max(date_added) FROM entity_list WHERE list_id = ?", [ENTITY_LIST_ID]
            )
        )
        last = int(latest.year) if latest.month == 12 and latest.day == 31 else int(latest.year) - 1

        def reach(
            mask: pd.Series, window: int, label: str, key: str = "reach_ratio"
        ) -> tuple[Test, dict[str, Any]]:
            yearly = rows[mask].groupby("year").size()
            late = [int(yearly.get(y, 0)) for y in range(last - window + 1, last + 1)]
            early = [int(yearly.get(y, 0)) for y in range(last - 2 * window + 1, last - window + 1)]
            info = {"late": sum(late), "early": sum(early), "window": window, "phi": math.nan}
            try:
                ratio, lo, hi, phi = rate_ratio(late, early)
            except NoDataError as exc:
                return _ratio_test(key, label, None, missing=str(exc)), info
            info["phi"] = phi
            return _ratio_test(key, label, ratio, lo, hi), info

        third = rows["group"] == "Third countries"
        main_mask = third | rows["fdp"]
        main, info = reach(main_mask, WINDOW_YEARS, "Entries binding firms outside the targets")
        third_t, third_i = reach(third, WINDOW_YEARS, "Third-country entries", "third_ratio")
        fdp_t, fdp_i = reach(rows["fdp"], WINDOW_YEARS, "FDP-footnoted entries", "fdp_ratio")
        china_only = (rows["country_iso3"] != "CHN") | rows["fdp"]
        hk_third = main_mask | rows["hk"]
        alternatives: dict[str, list[Test]] = {
            "third-country entries only (no FDP channel)": [third_t],
            "FDP-footnoted entries only (the long-arm instrument)": [fdp_t],
            "direct target = China only (Russia, Iran… count as third countries)": [
                reach(china_only, WINDOW_YEARS, "Entries outside China or FDP")[0]
            ],
            "Hong Kong addresses counted as a third place": [
                reach(hk_third, WINDOW_YEARS, "Entries incl. Hong Kong")[0]
            ],
        }
        for w in ALT_WINDOWS:
            alternatives[f"{w}-year windows"] = [reach(main_mask, w, f"{w}-year windows")[0]]
        notes = {
            "main specification": (
                f"{info['late']:,} vs {info['early']:,} entries; dispersion φ = {info['phi']:.1f}"
            ),
            "third-country entries only (no FDP channel)": (
                f"{third_i['late']:,} vs {third_i['early']:,} entries"
            ),
            "FDP-footnoted entries only (the long-arm instrument)": (
                f"{fdp_i['late']:,} vs {fdp_i['early']:,} entries; FDP footnotes exist since 2020 "
                "and can be attached after listing"
            ),
        }
        decision = decide([main], alternatives, notes=notes)

        by = pd.DataFrame(
            rows.groupby(["year", "group"], as_index=False).agg(
                entries=("fdp", "size"), fdp_entries=("fdp", "sum")
            )
        )
        late_r = (last - WINDOW_YEARS + 1, last)
        early_r = (last - 2 * WINDOW_YEARS + 1, last - WINDOW_YEARS)
        fdp_kinds = pd.Series(
            [k for t in rows["license_requirement"] for k in fdp_footnotes(t)], dtype=object
        ).value_counts()
        ratio = main.estimate
        # survivor bias: entries listed long ago are more likely to have been removed, which
        # inflates the ratio; how many early-window removals would pull the point below 1.25
        undo = max(0, math.ceil(info["late"] / REACH_UP - info["early"]))
        lo, hi = main.bounds
        rat = (
            f"{info['late']:,} entries binding firms outside the direct targets were added in "
            f"{late_r[0]}–{late_r[1]} against {info['early']:,} in {early_r[0]}–{early_r[1]} "
            + (
                f"(rate ratio {ratio:.2f}, {LEVEL:.0%} interval {lo:.2f}–{hi:.2f}), "
                if ratio is not None
                else ""
            )
            + f"counting entries still listed at the snapshot; {third_i['late']:,} vs "
            f"{third_i['early']:,} third-country entries and {fdp_i['late']:,} vs "
            f"{fdp_i['early']:,} FDP-footnoted entries."
        )
        figures = [
            Figure("reach_late", f"Entries binding third-country firms {late_r[0]}–{late_r[1]}", info["late"], "entries"),
            Figure("reach_early", f"Entries binding third-country firms {early_r[0]}–{early_r[1]}", info["early"], "entries"),
            Figure("ratio", "Later / earlier window (rate ratio)", ratio, "ratio", 2),
            Figure("ratio_low", f"Rate ratio, {LEVEL:.0%} interval low", lo if ratio is not None else None, "ratio", 2),
            Figure("ratio_high", f"Rate ratio, {LEVEL:.0%} interval high", hi if ratio is not None else None, "ratio", 2),
            Figure("third_late", f"Third-country entries added {late_r[0]}–{late_r[1]}", third_i["late"], "entries"),
            Figure("third_early", f"Third-country entries added {early_r[0]}–{early_r[1]}", third_i["early"], "entries"),
            Figure("third_ratio", "Third-country entries, later / earlier", third_t.estimate, "ratio", 2),
            Figure("fdp_late", f"FDP-footnoted entries added {late_r[0]}–{late_r[1]}", fdp_i["late"], "entries"),
            Figure("fdp_early", f"FDP-footnoted entries added {early_r[0]}–{early_r[1]}", fdp_i["early"], "entries"),
            Figure("fdp_total", "Entries carrying an FDP footnote (snapshot)", float(rows["fdp"].sum()), "entries"),
            Figure("china_total", "China entries with a listing date (all years)", float((rows["country_iso3"] == "CHN").sum()), "entries"),
            Figure("removals_to_undo", "Early-window removals that would pull the point ratio below 1.25", float(undo), "entries"),
        ]  # fmt: skip
        figures += [
            Figure(f"fdp_{str(k).split()[0]}", f"Entries citing {k}", float(n), "entries")
            for k, n in fdp_kinds.items()
        ]
        t_ratio, f_ratio = third_t.estimate, fdp_t.estimate
        fdp_line = (
            f"FDP-footnoted entries — the rule under which foreign suppliers need a US licence — "
            f"went from {fdp_i['early']:,} added in {early_r[0]}–{early_r[1]} to {fdp_i['late']:,} "
            f"in {late_r[0]}–{late_r[1]}" + (f" ({f_ratio:.1f}×)." if f_ratio is not None else ".")
        )
        third_line = (
            f"Third-country listings alone went from {third_i['early']:,} entries in "
            f"{early_r[0]}–{early_r[1]} to {third_i['late']:,} in {late_r[0]}–{late_r[1]}"
            + (f" ({t_ratio:.2f}×)." if t_ratio is not None else ".")
        )
        ev_for: list[str] = []
        ev_against: list[str] = []
        # a channel that grew (ratio above 1) speaks for the claim, whether or not it clears
        # the threshold; one that shrank or stayed level speaks against it
        for ratio, line in ((f_ratio, fdp_line), (t_ratio, third_line)):
            (ev_for if ratio is not None and ratio > 1 else ev_against).append(line)
        if rows["fdp"].any():
            ev_for.append(
                f"{int(rows['fdp'].sum()):,} of {len(rows):,} listed entries carry an FDP footnote "
                f"at the snapshot, under {len(fdp_kinds)} footnote(s) (created from 2020 on)."
            )
        ev_against.append(
            "The list is one snapshot: removed entries are absent, so earlier years are "
            f"undercounted and the ratio is biased upwards ({undo:,} removals in the earlier "
            f"window would pull the point ratio below {REACH_UP})."
        )
        fn3 = rows["license_requirement"].fillna("").str.contains(FDP_FOOTNOTES["fn3 § 734.9(g)"])
        if rows["fdp"].any() and fn3.sum() > 0.5 * rows["fdp"].sum():
            ev_against.append(
                f"{int(fn3.sum()):,} of the {int(rows['fdp'].sum()):,} FDP-footnoted entries are "
                "Russian/Belarusian military end users (footnote 3, 2022): the channel's growth "
                "follows the sanctions on Russia as much as China policy."
            )
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=rat,
            figures=figures,
            evidence=by,
            provenance_ids=provenance_of(store, "entity_list", "list_id = ?", [ENTITY_LIST_ID]),
            chart=_stacked(by[by["year"] >= last - 2 * WINDOW_YEARS - 1], partial=last + 1),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                f"Rate ratio of yearly Entity List additions binding third-country firms (third-"
                f"country destinations or FDP footnotes), {late_r[0]}–{late_r[1]} against "
                f"{early_r[0]}–{early_r[1]}, with a quasi-Poisson interval; descriptive (no "
                "counterfactual), survivors only."
            ),
        )


def _ratio_test(
    key: str,
    label: str,
    ratio: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    missing: str = "",
) -> Test:
    return Test(
        key=key,
        label=label,
        estimate=ratio,
        unit="ratio",
        support=Threshold(">=", REACH_UP),
        contradict=Threshold("<=", REACH_DOWN),
        kind="estimated",
        low=low,
        high=high,
        interval=f"{LEVEL:.0%} quasi-Poisson interval over yearly counts",
        missing=missing,
        neutral=1.0,
    )


def _stacked(by: pd.DataFrame, *, partial: int) -> Any:
    bars = (
        alt.Chart(by)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year of first listing", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("entries:Q", title="Entries added (still listed)"),
            color=alt.Color("group:N", title=None, legend=alt.Legend(labelLimit=400)),
            tooltip=["year", "group", "entries", "fdp_entries"],
        )
    )
    fdp = by.groupby("year", as_index=False)["fdp_entries"].sum()
    line = (
        alt.Chart(fdp)
        .mark_line(point=True, color="#222", strokeDash=[5, 3])
        .encode(
            x="year:O",
            y="fdp_entries:Q",
            tooltip=["year", alt.Tooltip("fdp_entries:Q", title="FDP-footnoted")],
        )
    )
    return charts.finish(
        bars + line,
        title="BIS Entity List entries by year added and destination",
        subtitle=(
            "Entries still listed at the snapshot (a lower bound on additions); dashed: entries "
            f"carrying a foreign-direct-product footnote; {partial} is partial"
        ),
        source="BIS Entity List, Supplement No. 4 to 15 CFR Part 744",
    )


# -- claim 13 --------------------------------------------------------------------------------
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
        require_table(
            store,
            "trade_flows",
            needed_for="Taiwan's chip exports by destination",
            loaded_by="ingest tech-semiconductors/taiwan_exports_by_country_2013_2025.csv",
        )
        where = (
            "reporter = 'TWN' AND flow = 'export' AND product_code LIKE ? "
            "AND partner NOT IN ('WLD') AND month IS NULL"
        )
        raw = store.df(
            "SELECT year, substr(product_code, 1, 6) AS hs6, "
            "sum(value_usd) / 1e9 AS total_bn, "
            "sum(value_usd) FILTER (WHERE partner = 'CHN') / 1e9 AS china_bn, "
            "sum(value_usd) FILTER (WHERE partner = 'HKG') / 1e9 AS hk_bn "
            f"FROM trade_flows WHERE {where} GROUP BY ALL ORDER BY year",
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
        proc = (
            raw[raw["hs6"] == PROCESSORS].groupby("year")[["total_bn", "china_bn", "hk_bn"]].sum()
        )
        rest = (
            raw[raw["hs6"] != PROCESSORS].groupby("year")[["total_bn", "china_bn", "hk_bn"]].sum()
        )
        df = df.set_index("year")
        for name, part in (("processors_pct", proc), ("other_ics_pct", rest)):
            df[name] = 100 * (part["china_bn"] + part["hk_bn"]) / part["total_bn"]
        df = df.reset_index()
        full = df[~df["partial"]]
        last = int(full["year"].max())
        if last <= CHIP_BASE_YEAR:
            raise Missing(
                "no_data", f"no full year of Taiwan's chip exports after {CHIP_BASE_YEAR}."
            )
        s = full.set_index("year")
        try:
            gap = breaks.pre_trend_gap(s.index, s["share_pct"], last_pre=CHIP_BASE_YEAR, year=last)
        except NoDataError as exc:
            raise Missing(
                "no_data",
                f"the pre-trend of the China + HK share needs {breaks.MIN_PRE_POINTS} years up to "
                f"{CHIP_BASE_YEAR} ({exc.message}).",
            ) from None
        advanced = Test(
            key="advanced_chips",
            label="China's access to controlled advanced chips",
            estimate=None,
            unit="",
            support=Threshold("<=", -CHIP_DROP_PP),
            contradict=Threshold(">", 0.0),
            missing=ADVANCED_MISSING + ".",
        )
        main = _proxy_test(gap, "China + HK share of Taiwan's IC exports, gap to pre-trend")

        def alt_gap(series: pd.Series, label: str, **kw: Any) -> Test:
            try:
                r = breaks.pre_trend_gap(series.index, series, **kw)
            except NoDataError as exc:
                return _proxy_test(None, label, missing=exc.message)
            return _proxy_test(r, label)

        share = s["share_pct"]
        alts: dict[str, list[Test]] = {
            "proxy only — mainland China alone (Hong Kong left out)": [
                alt_gap(
                    s["mainland_pct"], "Mainland share, gap", last_pre=CHIP_BASE_YEAR, year=last
                )
            ],
            "proxy only — comparator: processors minus other ICs (difference in gaps)": [
                alt_gap(
                    (s["processors_pct"] - s["other_ics_pct"]).dropna(),
                    "Processors − other ICs, gap",
                    last_pre=CHIP_BASE_YEAR,
                    year=last,
                )
            ],
            "proxy only — trend fitted from 2015": [
                alt_gap(
                    share, "Gap (trend from 2015)", last_pre=CHIP_BASE_YEAR, year=last, start=2015
                )
            ],
            "proxy only — trend fitted from 2017": [
                alt_gap(
                    share, "Gap (trend from 2017)", last_pre=CHIP_BASE_YEAR, year=last, start=2017
                )
            ],
            "proxy only — trend to 2021 (2022 as a post year)": [
                alt_gap(share, "Gap (trend to 2021)", last_pre=2021, year=last)
            ],
            "proxy only — trend to 2020 (before the 2020 Huawei FDP rule)": [
                alt_gap(share, "Gap (trend to 2020)", last_pre=2020, year=last)
            ],
        }
        partial_years = [int(y) for y in df.loc[df["partial"], "year"]]
        if partial_years and partial_years[-1] > last:
            py = partial_years[-1]
            ser = pd.concat([share, df.set_index("year").loc[[py], "share_pct"]])
            alts[f"proxy only — {py} partial year (months not stated) as the latest year"] = [
                alt_gap(ser, f"Gap in {py} (partial)", last_pre=CHIP_BASE_YEAR, year=py)
            ]
        for f in (0.5, 1.5):
            alts[f"proxy only — thresholds × {f:g}"] = [main.moved(f)]
        notes = {
            k: "the controlled-item part stays unmeasured; this row is the proxy's direction only"
            for k in alts
        }
        decision = decide([advanced, main], alts, notes=notes)

        plac = breaks.placebo(
            share.index, share, dates=CHIP_PLACEBOS, design="gap", horizon=last - CHIP_BASE_YEAR,
            end=CHIP_BASE_YEAR,
        )  # fmt: skip
        plac_m = breaks.placebo(
            s.index, s["mainland_pct"], dates=CHIP_PLACEBOS, design="gap",
            horizon=last - CHIP_BASE_YEAR, end=CHIP_BASE_YEAR,
        )  # fmt: skip
        plac_fall = plac[plac["conf_high"] <= -CHIP_DROP_PP]
        peak = int(str(share.loc[:CHIP_BASE_YEAR].idxmax()))
        mgap = alts["proxy only — mainland China alone (Hong Kong left out)"][0]
        comp = alts["proxy only — comparator: processors minus other ICs (difference in gaps)"][0]
        plac_text = ", ".join(
            f"{int(d)}: {e:+.1f} pp" for d, e in zip(plac["placebo"], plac["estimate"], strict=True)
        )
        lo, hi = main.bounds
        rationale = (
            f"The decisive quantity — China's access to controlled advanced chips — is not "
            f"measured: HS 8542 is every integrated circuit. The proxy: mainland China and Hong "
            f"Kong took {share[last]:.1f} % of Taiwan's IC exports in {last}, {-gap.estimate:.1f} pp "
            f"below the {CHIP_FIRST_YEAR}–{CHIP_BASE_YEAR} trend ({LEVEL:.0%} prediction interval "
            f"{lo:+.1f} to {hi:+.1f} pp), but the share peaked in {peak} ({share[peak]:.1f} %), "
            f"before the October 2022 controls, and placebo breaks give {plac_text}."
            + (
                f" {', '.join(str(y) for y in partial_years)} is a partial year (the file has no "
                "months) and is left out of the main test."
                if partial_years
                else ""
            )
        )
        figures = [
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
            Figure("placebo_min", "Most negative placebo gap", float(plac["estimate"].min()) if not plac.empty else None, "pp"),
            Figure("placebo_falls", f"Placebo dates with a significant fall ≥ {CHIP_DROP_PP:.0f} pp", float(len(plac_fall)), "count"),
            Figure("value_last", f"Exports to China + HK {last}", float(s["china_hk_bn"][last]), "USD bn"),
        ]  # fmt: skip
        ev_for = [
            f"In {last} the mainland + Hong Kong share of Taiwan's IC exports was "
            f"{-gap.estimate:.1f} pp below its {CHIP_FIRST_YEAR}–{CHIP_BASE_YEAR} trend, outside "
            f"the {LEVEL:.0%} prediction interval ({lo:+.1f} to {hi:+.1f} pp).",
            f"The gap is larger than at every placebo date (most negative "
            f"{plac['estimate'].min():+.1f} pp)."
            if not plac.empty and gap.estimate < plac["estimate"].min()
            else "The mainland-only share also fell below its pre-trend "
            f"({mgap.estimate:+.1f} pp).",
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
        frame = gap.frame.copy()
        evidence = df.merge(
            frame[["year", "trend", "trend_low", "trend_high"]], on="year", how="left"
        )
        placebos = pd.concat(
            [plac.assign(series="mainland + HK"), plac_m.assign(series="mainland")],
            ignore_index=True,
        )
        evidence = pd.concat([evidence, placebos.rename(columns={"estimate": "placebo_gap"})],
                             ignore_index=True)  # fmt: skip
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=rationale,
            figures=figures,
            evidence=evidence,
            provenance_ids=provenance_of(store, "trade_flows", where, [CHIP_HS + "%"]),
            chart=breaks.counterfactual_chart(
                frame,
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
