"""Checkers on export controls: Entity List reach (claim 9) and China's access to chips (claim 13)."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, provenance_of, register, require_table, three_way
from techties.claims.checkers._evidence import date_marker
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

ENTITY_LIST_ID = "bis-entity-list"
#: destinations that are the direct targets of US controls; the rest are "third parties"
PRIMARY_TARGETS = ("CHN", "RUS", "BLR", "IRN", "PRK")
WINDOW_YEARS = 4
REACH_UP, REACH_DOWN = 1.25, 0.8

CHIP_HS = "8542"
CHINA_DESTINATIONS = ("CHN", "HKG")
CHIP_BASE_YEAR = 2022
CHIP_DROP_PP = 3.0
#: a year whose total is below this fraction of the year before is treated as partial: eight of
#: twelve months give about 0.67 (the staged file's 2025, cut in September), while the largest
#: full-year fall in the Taiwan series is 9.5 % (2023)
PARTIAL_YEAR_FRACTION = 0.8
TAIWAN_FILE = "tech-semiconductors/taiwan_exports_by_country_2013_2025.csv"


def _group(iso3: str | None) -> str:
    if iso3 in ("CHN", "HKG"):
        return "China (incl. Hong Kong)"
    if iso3 in PRIMARY_TARGETS:
        return "Russia, Belarus, Iran, N. Korea"
    return "Third countries"


@register
class EntityListReach(Checker):
    """Claim 9: more Entity List entries for third-country destinations are being added."""

    name = "entity_list_reach"
    claim_id = "us-extends-rules-third-parties"
    method = (
        "Counts BIS Entity List entries by year of their earliest Federal Register citation and "
        "by destination (entity_list table), separating China and Russia/Belarus/Iran/North Korea "
        f"from all other ('third') countries. Compares third-country additions in the last "
        f"{WINDOW_YEARS} complete years with the {WINDOW_YEARS} years before "
        f"(supported ≥ {REACH_UP}×, contradicted ≤ {REACH_DOWN}×)."
    )

    def evaluate(self, store: Store) -> Verdict:
        require_table(
            store,
            "entity_list",
            needed_for="Entity List additions by year",
            loaded_by="ingest tech-export-controls/bis_entity_list.json",
        )
        rows = store.df(
            "SELECT country_iso3, year(date_added) AS year, count(*) AS entries FROM entity_list "
            "WHERE list_id = ? AND date_added IS NOT NULL GROUP BY ALL",
            [ENTITY_LIST_ID],
        )
        if rows.empty:
            raise Missing("no_data", "no dated BIS Entity List entries in the store.")
        rows["group"] = [_group(c) for c in rows["country_iso3"]]
        by = pd.DataFrame(rows.groupby(["year", "group"], as_index=False)["entries"].sum())
        latest = pd.Timestamp(
            store.scalar(
                "SELECT max(date_added) FROM entity_list WHERE list_id = ?", [ENTITY_LIST_ID]
            )
        )
        last = int(latest.year) if latest.month == 12 and latest.day == 31 else int(latest.year) - 1
        late = range(last - WINDOW_YEARS + 1, last + 1)
        early = range(last - 2 * WINDOW_YEARS + 1, last - WINDOW_YEARS + 1)
        third = by[by["group"] == "Third countries"].set_index("year")["entries"]
        n_late = int(sum(third.get(y, 0) for y in late))
        n_early = int(sum(third.get(y, 0) for y in early))
        ratio = n_late / n_early if n_early else float("inf")
        status = three_way(ratio >= REACH_UP, ratio <= REACH_DOWN)
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"{n_late:,} third-country entries were added in {late[0]}–{late[-1]} against "
                f"{n_early:,} in {early[0]}–{early[-1]} ({ratio:.2f}×), counting entries still "
                "listed at the snapshot."
            ),
            figures=[
                Figure(
                    "third_late",
                    f"Third-country entries added {late[0]}–{late[-1]}",
                    n_late,
                    "entries",
                ),
                Figure(
                    "third_early",
                    f"Third-country entries added {early[0]}–{early[-1]}",
                    n_early,
                    "entries",
                ),
                Figure("ratio", "Later / earlier window", ratio, "ratio", 2),
                Figure(
                    "china_total",
                    "China entries with a listing date (all years)",
                    float(by.loc[by["group"].str.startswith("China"), "entries"].sum()),
                    "entries",
                ),
            ],
            evidence=by,
            provenance_ids=provenance_of(store, "entity_list", "list_id = ?", [ENTITY_LIST_ID]),
            chart=_stacked(by[by["year"] >= last - 2 * WINDOW_YEARS - 1], partial=last + 1),
        )


def _stacked(by: pd.DataFrame, *, partial: int) -> Any:
    chart = (
        alt.Chart(by)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year of first listing", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("entries:Q", title="Entries added (still listed)"),
            color=alt.Color("group:N", title=None, legend=alt.Legend(labelLimit=400)),
            tooltip=["year", "group", "entries"],
        )
    )
    return charts.finish(
        chart,
        title="BIS Entity List entries by year added and destination",
        subtitle=f"Entries still listed at the snapshot (a lower bound on additions); {partial} is partial",
        source="BIS Entity List, Supplement No. 4 to 15 CFR Part 744",
    )


@register
class ChipAccess(Checker):
    """Claim 13: the China + Hong Kong share of Taiwan's chip exports fell after 2022."""

    name = "chip_access"
    claim_id = "controls-slowed-chip-access"
    method = (
        f"Sums Taiwan's exports of HS {CHIP_HS} (integrated circuits) by destination from the "
        "trade_flows table and computes the share going to mainland China and Hong Kong each year. "
        f"Compares the latest full year with {CHIP_BASE_YEAR} (supported if ≥ {CHIP_DROP_PP:.0f} pp "
        "lower, contradicted if higher)."
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
        df = store.df(
            f"SELECT year, sum(value_usd) / 1e9 AS total_bn, "
            f"sum(value_usd) FILTER (WHERE partner IN ('CHN','HKG')) / 1e9 AS china_hk_bn "
            f"FROM trade_flows WHERE {where} GROUP BY year ORDER BY year",
            [CHIP_HS + "%"],
        )
        if df.empty and not _taiwan_reader():
            raise Missing(
                "not_yet",
                f"no source reads the staged Taiwan customs file ({TAIWAN_FILE}) yet; Taiwan's "
                f"HS {CHIP_HS} exports by destination are needed.",
            )
        if df.empty or CHIP_BASE_YEAR not in set(df["year"]):
            raise Missing(
                "no_data",
                f"Taiwan's HS {CHIP_HS} exports by destination for {CHIP_BASE_YEAR} and later are not "
                "in the store; ingest tech-semiconductors/taiwan_exports_by_country_2013_2025.csv.",
            )
        df["china_hk_bn"] = df["china_hk_bn"].fillna(0.0)
        df["share_pct"] = 100 * df["china_hk_bn"] / df["total_bn"]
        df["partial"] = df["total_bn"] < PARTIAL_YEAR_FRACTION * df["total_bn"].shift(1)
        full = df[~df["partial"]]
        last = int(full["year"].max())
        if last <= CHIP_BASE_YEAR:
            raise Missing(
                "no_data", f"no full year of Taiwan's chip exports after {CHIP_BASE_YEAR}."
            )
        s = full.set_index("year")["share_pct"]
        change = float(s[last] - s[CHIP_BASE_YEAR])
        status = three_way(change <= -CHIP_DROP_PP, change > 0)
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"Mainland China and Hong Kong took {s[last]:.1f} % of Taiwan's integrated-circuit "
                f"exports in {last} against {s[CHIP_BASE_YEAR]:.1f} % in {CHIP_BASE_YEAR}"
                + (
                    f" ({', '.join(str(y) for y in df.loc[df['partial'], 'year'])} left out as a "
                    "partial year)."
                    if df["partial"].any()
                    else "."
                )
            ),
            figures=[
                Figure("share_base", f"China + HK share {CHIP_BASE_YEAR}", s[CHIP_BASE_YEAR], "%"),
                Figure("share_last", f"China + HK share {last}", s[last], "%"),
                Figure("change", f"Change {CHIP_BASE_YEAR}–{last}", change, "pp"),
                Figure(
                    "value_last",
                    f"Exports to China + HK {last}",
                    float(full.set_index("year")["china_hk_bn"][last]),
                    "USD bn",
                ),
            ],
            evidence=df,
            provenance_ids=provenance_of(store, "trade_flows", where, [CHIP_HS + "%"]),
            chart=_share_line(df),
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


def _share_line(df: pd.DataFrame) -> Any:
    data = df.assign(date=pd.to_datetime(df["year"].astype(str) + "-07-01"))
    base = alt.Chart(data).encode(
        x=alt.X("date:T", title="Year"),
        y=alt.Y(
            "share_pct:Q", title="Share of Taiwan's IC exports (%)", scale=alt.Scale(zero=False)
        ),
        tooltip=["year", alt.Tooltip("share_pct:Q", format=".1f"), "partial"],
    )
    # a partial year is drawn as a hollow point
    line = base.mark_line(color=charts.PALETTE[0]) + base.mark_point(
        color=charts.PALETTE[0], size=40
    ).encode(
        fill=alt.condition("datum.partial", alt.value("white"), alt.value(charts.PALETTE[0])),
        opacity=alt.value(1),
    )
    marks = date_marker("2022-10-07", "Oct 2022 controls", y=8)
    return charts.finish(
        line + marks,
        title="Mainland China + Hong Kong share of Taiwan's integrated-circuit exports",
        subtitle="% of HS 8542 exports by value"
        + (
            f"; {', '.join(str(y) for y in df.loc[df['partial'], 'year'])} is a partial year"
            if "partial" in df and df["partial"].any()
            else " (last year may be partial)"
        ),
        source="Taiwan customs (ROC Ministry of Finance), HS 8542",
    )
