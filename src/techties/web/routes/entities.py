"""Entity search: fuzzy name/alias screening across every staged list (the ``techties screen``
matcher, :mod:`techties.indicators.screening`), filtered by country and date added, with the
additions-by-year chart of ``techties entities --by-year``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from techties.web.http import (
    WebError,
    choice,
    computed,
    country,
    csv_reply,
    date,
    json_reply,
    page,
    records,
    svg,
    text_param,
)
from techties.web.state import Explorer

SURVIVOR_NOTE = (
    "Survivor counts: the lists are snapshots of entries still listed; entries removed earlier "
    "are absent, so additions by year are lower bounds."
)
THRESHOLDS = ("0.7", "0.75", "0.8", "0.85", "0.9", "0.95", "1")


def _lists(ex: Explorer) -> list[str]:
    def build() -> list[str]:
        with ex.reader() as st:
            return [
                str(x) for x in st.df("SELECT DISTINCT list FROM entity_list ORDER BY 1")["list"]
            ]

    found: list[str] = ex.cached(("entity-lists",), build)
    return found


def _screener(ex: Explorer) -> Any:
    """The matcher over every list, and (list, entry) → (ISO3, date added) for the filters."""
    from techties.indicators.screening import load_screener

    def build() -> tuple[Any, dict[tuple[str, int], tuple[Any, Any]]]:
        with ex.reader() as st:
            screener = load_screener(st)
            facts = st.df("SELECT list, entry, country_iso3, date_added FROM entity_list")
        keys = {
            (str(lst), int(entry)): (iso, added)
            for lst, entry, iso, added in facts.itertuples(index=False, name=None)
        }
        return screener, keys

    return ex.cached(("screener",), build)


def search(ex: Explorer, q: dict[str, Any]) -> Any:
    import pandas as pd

    screener, facts = _screener(ex)
    matches = screener.screen(q["q"], threshold=float(q["min_score"]), limit=200)
    rows = []
    for m in matches:
        iso, added = facts.get((m.list, int(m.entry)), (None, None))
        if q["list"] and m.list != q["list"]:
            continue
        if q["country"] and iso != q["country"]:
            continue
        if q["since"] and (added is None or pd.isna(added) or added.date() < q["since"]):
            continue
        rows.append({f: getattr(m, f) for f in type(m).__slots__} | {"country_iso3": iso})
    cols = ["score", "list", "name", "matched_on", "country", "country_iso3", "date_added",
            "entry", "provenance_id"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def additions(ex: Explorer, q: dict[str, Any]) -> dict[str, Any]:
    from techties.indicators.entities import additions_chart, entity_counts_by_year

    since = q["since"].year if q["since"] else None
    name = q["list"] or "BIS Entity List"
    with ex.reader() as st:
        counts = entity_counts_by_year(st, list_name=name, country=q["country"], since=since)
        chart = svg(additions_chart(st, list_name=name, country=q["country"], since=since))
    return {"list": name, "counts": counts, "chart": chart}


def entities(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    text = text_param(request, "q")
    where = request.query_params.get("country", "").strip()
    lists = _lists(ex)
    q: dict[str, Any] = {
        "q": text,
        "country": country(where, "country") if where else None,
        "since": date(request, "since", None),
        "list": choice(request, "list", lists, None),
        "min_score": choice(request, "min_score", THRESHOLDS, "0.85"),
    }
    if request.url.path != "/entities" and not text:
        raise WebError(400, "Give a name to search for: ?q=NAME.", hint="E.g. ?q=huawei.")
    found: Any = computed(ex, "entities", q, lambda: search(ex, q)) if text else None
    filters = {k: q[k] for k in ("country", "since", "list")}  # what the chart depends on
    by_year = computed(ex, "additions", filters, lambda: additions(ex, q))
    if request.url.path.endswith(".json"):
        return json_reply(
            {"query": q, "basis": SURVIVOR_NOTE, "matches": records(found),
             "additions_by_year": {"list": by_year["list"], "rows": records(by_year["counts"])}}
        )  # fmt: skip
    if request.url.path.endswith(".csv"):
        return csv_reply(found, "entities.csv")
    return page(
        request,
        "entities.html.j2",
        title="Entity search",
        q=q,
        lists=lists,
        thresholds=THRESHOLDS,
        rows=records(found) if found is not None else None,
        by_year=by_year,
        note=SURVIVOR_NOTE,
        today=dt.date.today().isoformat(),
    )


ROUTES = [
    Route("/entities", entities),
    Route("/entities.json", entities),
    Route("/entities.csv", entities),
]
