"""Checker on export controls: the reach of US rules into third countries (claim 9).

Claim 9 counts BIS Entity List entries by year of first listing (a single snapshot: survivors
only) that bind firms outside the direct targets — entries for third-country destinations and
entries carrying a foreign-direct-product (FDP) footnote (§ 734.9: foreign-made items made with US
technology need a US licence, so the rule binds foreign suppliers) — and compares the later window
with the earlier one as a rate ratio with a quasi-Poisson interval over yearly counts.

China's access to advanced chips (claim 13) is checked in :mod:`techties.claims.checkers.chips`;
its names stay importable from here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from scipy import stats

from techties import charts
from techties.claims.base import Checker, Missing, provenance_of, register, require_table

# claim 13 moved to chips.py; its names are re-exported for code that imports them from here
from techties.claims.checkers.chips import (  # noqa: F401
    ADVANCED_MISSING,
    CHINA_DESTINATIONS,
    CHIP_BASE_YEAR,
    CHIP_DROP_PP,
    CHIP_FIRST_YEAR,
    CHIP_HS,
    CHIP_PLACEBOS,
    PARTIAL_YEAR_FRACTION,
    PROCESSORS,
    TAIWAN_FILE,
    ChipAccess,
    _proxy_test,
    _taiwan_reader,
)
from techties.claims.rules import Decision, Test, Threshold, decide
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
#: two-sided level of the rate-ratio intervals (the project's default)
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


#: the rows of the robustness panel that each count one channel (their notes give the counts)
THIRD_ONLY = "third-country entries only (no FDP channel)"
FDP_ONLY = "FDP-footnoted entries only (the long-arm instrument)"


@dataclass(frozen=True)
class _Channel:
    """The rate-ratio test of one set of entries and its counts (``late``, ``early``: entries in
    the two windows; ``window``; ``phi``: the dispersion, NaN when no ratio)."""

    test: Test
    info: dict[str, Any]


@dataclass(frozen=True)
class _Reach:
    """The dated entries, the last complete year and the tests of the decisive count and of each
    channel alone."""

    rows: pd.DataFrame
    last: int
    main: _Channel
    third: _Channel
    fdp: _Channel
    #: entries citing each FDP footnote (snapshot)
    fdp_kinds: pd.Series

    @property
    def late_r(self) -> tuple[int, int]:
        return (self.last - WINDOW_YEARS + 1, self.last)

    @property
    def early_r(self) -> tuple[int, int]:
        return (self.last - 2 * WINDOW_YEARS + 1, self.last - WINDOW_YEARS)

    @property
    def undo(self) -> int:
        # survivor bias: entries listed long ago are more likely to have been removed, which
        # inflates the ratio; how many early-window removals would pull the point below 1.25
        info = self.main.info
        return max(0, math.ceil(info["late"] / REACH_UP - info["early"]))


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
        rows, last = _entity_rows(store)
        third = rows["group"] == "Third countries"
        main_mask = third | rows["fdp"]
        r = _Reach(
            rows=rows,
            last=last,
            main=_reach(
                rows, last, main_mask, WINDOW_YEARS, "Entries binding firms outside the targets"
            ),
            third=_reach(rows, last, third, WINDOW_YEARS, "Third-country entries", "third_ratio"),
            fdp=_reach(rows, last, rows["fdp"], WINDOW_YEARS, "FDP-footnoted entries", "fdp_ratio"),
            fdp_kinds=pd.Series(
                [k for t in rows["license_requirement"] for k in fdp_footnotes(t)], dtype=object
            ).value_counts(),
        )
        decision = decide([r.main.test], _reach_alternatives(r, main_mask), notes=_reach_notes(r))
        return self._verdict(store, decision, r)

    def _verdict(self, store: Store, decision: Decision, r: _Reach) -> Verdict:
        by = pd.DataFrame(
            r.rows.groupby(["year", "group"], as_index=False).agg(
                entries=("fdp", "size"), fdp_entries=("fdp", "sum")
            )
        )
        late_r, early_r = r.late_r, r.early_r
        ev_for, ev_against = _reach_evidence_text(r)
        return Verdict.decided(
            self.claim_id,
            decision,
            rationale=_reach_rationale(r),
            figures=_reach_figures(r),
            evidence=by,
            provenance_ids=provenance_of(store, "entity_list", "list_id = ?", [ENTITY_LIST_ID]),
            chart=_stacked(by[by["year"] >= r.last - 2 * WINDOW_YEARS - 1], partial=r.last + 1),
            evidence_for=ev_for,
            evidence_against=ev_against,
            design=(
                f"Rate ratio of yearly Entity List additions binding third-country firms (third-"
                f"country destinations or FDP footnotes), {late_r[0]}–{late_r[1]} against "
                f"{early_r[0]}–{early_r[1]}, with a quasi-Poisson interval; descriptive (no "
                "counterfactual), survivors only."
            ),
        )


def _entity_rows(store: Store) -> tuple[pd.DataFrame, int]:
    """The dated Entity List entries (with ``fdp``, ``hk`` and ``group`` columns) and the last
    complete year of listings."""
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
        store.scalar("SELECT max(date_added) FROM entity_list WHERE list_id = ?", [ENTITY_LIST_ID])
    )
    last = int(latest.year) if latest.month == 12 and latest.day == 31 else int(latest.year) - 1
    return rows, last


def _reach(
    rows: pd.DataFrame,
    last: int,
    mask: pd.Series,
    window: int,
    label: str,
    key: str = "reach_ratio",
) -> _Channel:
    """The rate ratio of the ``mask`` entries added in the last ``window`` years up to ``last``
    to those added in the ``window`` years before."""
    yearly = rows[mask].groupby("year").size()
    late = [int(yearly.get(y, 0)) for y in range(last - window + 1, last + 1)]
    early = [int(yearly.get(y, 0)) for y in range(last - 2 * window + 1, last - window + 1)]
    info = {"late": sum(late), "early": sum(early), "window": window, "phi": math.nan}
    try:
        ratio, lo, hi, phi = rate_ratio(late, early)
    except NoDataError as exc:
        return _Channel(_ratio_test(key, label, None, missing=str(exc)), info)
    info["phi"] = phi
    return _Channel(_ratio_test(key, label, ratio, lo, hi), info)


def _reach_alternatives(r: _Reach, main_mask: pd.Series) -> dict[str, list[Test]]:
    """The robustness panel: each channel alone, other target definitions, other windows."""
    rows, last = r.rows, r.last
    china_only = (rows["country_iso3"] != "CHN") | rows["fdp"]
    hk_third = main_mask | rows["hk"]
    alternatives: dict[str, list[Test]] = {
        THIRD_ONLY: [r.third.test],
        FDP_ONLY: [r.fdp.test],
        "direct target = China only (Russia, Iran… count as third countries)": [
            _reach(rows, last, china_only, WINDOW_YEARS, "Entries outside China or FDP").test
        ],
        "Hong Kong addresses counted as a third place": [
            _reach(rows, last, hk_third, WINDOW_YEARS, "Entries incl. Hong Kong").test
        ],
    }
    for w in ALT_WINDOWS:
        alternatives[f"{w}-year windows"] = [
            _reach(rows, last, main_mask, w, f"{w}-year windows").test
        ]
    return alternatives


def _reach_notes(r: _Reach) -> dict[str, str]:
    info, third_i, fdp_i = r.main.info, r.third.info, r.fdp.info
    return {
        "main specification": (
            f"{info['late']:,} vs {info['early']:,} entries; dispersion φ = {info['phi']:.1f}"
        ),
        THIRD_ONLY: f"{third_i['late']:,} vs {third_i['early']:,} entries",
        FDP_ONLY: (
            f"{fdp_i['late']:,} vs {fdp_i['early']:,} entries; FDP footnotes exist since 2020 "
            "and can be attached after listing"
        ),
    }


def _reach_rationale(r: _Reach) -> str:
    info, third_i, fdp_i = r.main.info, r.third.info, r.fdp.info
    late_r, early_r = r.late_r, r.early_r
    ratio = r.main.test.estimate
    lo, hi = r.main.test.bounds
    return (
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


def _reach_figures(r: _Reach) -> list[Figure]:
    rows, info, third_i, fdp_i = r.rows, r.main.info, r.third.info, r.fdp.info
    late_r, early_r = r.late_r, r.early_r
    ratio = r.main.test.estimate
    lo, hi = r.main.test.bounds
    figures = [
        Figure("reach_late", f"Entries binding third-country firms {late_r[0]}–{late_r[1]}", info["late"], "entries"),
        Figure("reach_early", f"Entries binding third-country firms {early_r[0]}–{early_r[1]}", info["early"], "entries"),
        Figure("ratio", "Later / earlier window (rate ratio)", ratio, "ratio", 2),
        Figure("ratio_low", f"Rate ratio, {LEVEL:.0%} interval low", lo if ratio is not None else None, "ratio", 2),
        Figure("ratio_high", f"Rate ratio, {LEVEL:.0%} interval high", hi if ratio is not None else None, "ratio", 2),
        Figure("third_late", f"Third-country entries added {late_r[0]}–{late_r[1]}", third_i["late"], "entries"),
        Figure("third_early", f"Third-country entries added {early_r[0]}–{early_r[1]}", third_i["early"], "entries"),
        Figure("third_ratio", "Third-country entries, later / earlier", r.third.test.estimate, "ratio", 2),
        Figure("fdp_late", f"FDP-footnoted entries added {late_r[0]}–{late_r[1]}", fdp_i["late"], "entries"),
        Figure("fdp_early", f"FDP-footnoted entries added {early_r[0]}–{early_r[1]}", fdp_i["early"], "entries"),
        Figure("fdp_total", "Entries carrying an FDP footnote (snapshot)", float(rows["fdp"].sum()), "entries"),
        Figure("china_total", "China entries with a listing date (all years)", float((rows["country_iso3"] == "CHN").sum()), "entries"),
        Figure("removals_to_undo", "Early-window removals that would pull the point ratio below 1.25", float(r.undo), "entries"),
    ]  # fmt: skip
    figures += [
        Figure(f"fdp_{str(k).split()[0]}", f"Entries citing {k}", float(n), "entries")
        for k, n in r.fdp_kinds.items()
    ]
    return figures


def _reach_evidence_text(r: _Reach) -> tuple[list[str], list[str]]:
    """The evidence for and against the claim as stated, one sentence each."""
    rows, third_i, fdp_i = r.rows, r.third.info, r.fdp.info
    late_r, early_r = r.late_r, r.early_r
    t_ratio, f_ratio = r.third.test.estimate, r.fdp.test.estimate
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
            f"at the snapshot, under {len(r.fdp_kinds)} footnote(s) (created from 2020 on)."
        )
    ev_against.append(
        "The list is one snapshot: removed entries are absent, so earlier years are "
        f"undercounted and the ratio is biased upwards ({r.undo:,} removals in the earlier "
        f"window would pull the point ratio below {REACH_UP})."
    )
    fn3 = rows["license_requirement"].fillna("").str.contains(FDP_FOOTNOTES["fn3 § 734.9(g)"])
    if rows["fdp"].any() and fn3.sum() > 0.5 * rows["fdp"].sum():
        ev_against.append(
            f"{int(fn3.sum()):,} of the {int(rows['fdp'].sum()):,} FDP-footnoted entries are "
            "Russian/Belarusian military end users (footnote 3, 2022): the channel's growth "
            "follows the sanctions on Russia as much as China policy."
        )
    return ev_for, ev_against


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
