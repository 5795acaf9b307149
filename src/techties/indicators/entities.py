"""Queries on export-control list entries: events (date added, rule) and counts by year.

All counts are **survivor counts**: each staged list is a snapshot of entries still listed, so
entries removed before the snapshot are absent and "additions in year Y" counts only the entries
added in Y that were still listed at the snapshot date (a lower bound on historical additions).
The date an Entity List entry was added is the earliest Federal Register date it cites.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from techties.errors import NoDataError, UnknownNameError, did_you_mean


def _check_list(store: Any, list_name: str) -> None:
    known = set(store.df("SELECT DISTINCT list FROM entity_list")["list"])
    if not known:
        raise NoDataError(
            "The store holds no export-control list entries.",
            hint="Ingest them: `techties ingest export_lists DATA/tech-export-controls/`.",
        )
    if list_name not in known:
        raise UnknownNameError(
            f"No list named {list_name!r} in the store.", hint=did_you_mean(list_name, known)
        )


def _where(country: str | None, since: int | dt.date | None) -> tuple[str, list[Any]]:
    """Filter on the heading or ISO3 code, and on the date added (a year: its 1 January)."""
    first = dt.date(since, 1, 1) if isinstance(since, int) else since
    sql = " AND (? IS NULL OR lower(country) = lower(?) OR country_iso3 = upper(?))"
    sql += " AND (?::DATE IS NULL OR date_added >= ?::DATE)"
    return sql, [country, country, country, first, first]


def entity_events(
    store: Any,
    *,
    list_name: str = "BIS Entity List",
    country: str | None = None,
    since: int | dt.date | None = None,
) -> pd.DataFrame:
    """One row per entry: name, country, date added (earliest citation), rule citation.

    Survivor basis (see module docstring). Entries without a dated citation are kept only when
    ``since`` is not given.
    """
    _check_list(store, list_name)
    where, params = _where(country, since)
    return store.df(
        "SELECT name, country, CAST(date_added AS VARCHAR) AS date_added, rule_citation, "
        "date_basis, provenance_id "
        "FROM entity_list_events WHERE list = ?" + where + " ORDER BY date_added, name",
        [list_name, *params],
    )


def entity_counts_by_year(
    store: Any,
    *,
    list_name: str = "BIS Entity List",
    country: str | None = None,
    since: int | dt.date | None = None,
) -> pd.DataFrame:
    """Entries by year first added (survivor counts); undated entries shown as year NULL."""
    _check_list(store, list_name)
    where, params = _where(country, since)
    return store.df(
        "SELECT year(date_added) AS year_added, count(*) AS entries_still_listed "
        "FROM entity_list_events WHERE list = ?" + where + " GROUP BY 1 ORDER BY 1 NULLS LAST",
        [list_name, *params],
    )


def entries_citing(store: Any, date: str, *, list_name: str = "BIS Entity List") -> pd.DataFrame:
    """Entries citing a rule of a given date (ISO), by country: additions and revisions alike."""
    _check_list(store, list_name)
    return store.df(
        "SELECT country, count(DISTINCT name || '|' || provenance_id || '|' || coalesce(country,'')) "
        "AS entries FROM entity_list_citations WHERE list = ? AND citation_date = ?::DATE "
        "GROUP BY 1 ORDER BY 2 DESC",
        [list_name, date],
    )


def additions_chart(
    store: Any,
    *,
    list_name: str = "BIS Entity List",
    country: str | None = "China",
    since: int | None = 2010,
) -> Any:
    """Bar chart of entries by year first added (survivor counts, stated in the subtitle)."""
    import altair as alt

    from techties.charts import finish

    df = entity_counts_by_year(store, list_name=list_name, country=country, since=since).dropna()
    df["year_added"] = df["year_added"].astype(int)
    where = f" under {country}" if country else ""
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("year_added:O", title="Year first added (earliest Federal Register date)"),
            y=alt.Y("entries_still_listed:Q", title="Entries"),
            tooltip=["year_added", "entries_still_listed"],
        )
    )
    snap = store.scalar("SELECT max(snapshot) FROM entity_list WHERE list = ?", [list_name])
    return finish(
        bars,
        title=f"{list_name}: entries{where} by year first added",
        subtitle="Survivor counts: entries still listed at the snapshot"
        + (f" of {snap:%Y-%m-%d}" if snap is not None else "")
        + "; removed entries are absent, so earlier years are lower bounds.",
        source=f"{list_name} (15 CFR 744 Supp. 4 via NSF Restricted Entities Guide); techties",
    )
