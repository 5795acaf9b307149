"""Indicators explorer: a trade selection (product group or codes, reporter, partners, years,
denominator) → shares, concentration, chokepoints, decoupling, rerouting or duty rates, through
the public registry (``techties.indicator``). The query is the URL, so a view can be shared;
``.json`` gives ``IndicatorResult.to_dict`` (as ``techties indicator --json``), ``.csv`` the
tidy table."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from techties.errors import TechtiesError
from techties.web.http import (
    WebError,
    choice,
    countries,
    country,
    csv_reply,
    from_techties,
    integer,
    json_reply,
    page,
    records,
    svg,
    wants_json,
    years,
)
from techties.web.state import Explorer

#: the trade indicators the explorer offers (every one takes a selection)
KINDS = ("share", "concentration", "chokepoints", "decoupling", "rerouting", "duty-rate")
TABLE_ROWS = 300


def _groups() -> list[str]:
    from techties.indicators.concordance import load_groups

    return sorted(load_groups())


def _sources(ex: Explorer) -> list[str]:
    def build() -> list[str]:
        with ex.reader() as st:
            got = st.df("SELECT DISTINCT source FROM trade_flows ORDER BY 1")
        return [str(s) for s in got["source"]]

    found: list[str] = ex.cached(("trade-sources",), build)
    return found


def query(request: Request, ex: Explorer) -> dict[str, Any]:
    """The checked query (every value validated against a known list or range)."""
    sources = _sources(ex)
    default_source = next((s for s in ("census", "comtrade", "baci") if s in sources), None)
    products = [
        p.strip()
        for v in request.query_params.getlist("product")
        for p in v.split(",")
        if p.strip()
    ]
    for p in products:
        if not (p.isdigit() and 1 <= len(p) <= 10):
            raise WebError(400, f"product={p!r} is not a code prefix.", hint="E.g. 8542 or 334.")
    group = choice(request, "group", _groups(), None)
    if not products and group is None:
        products = ["85"]  # electrical machinery, where US imports from China are largest
    kind = choice(request, "indicator", KINDS, "share")
    assert kind is not None
    return {
        "indicator": kind,
        "source": choice(request, "source", sources, default_source),
        "reporter": country(request.query_params.get("reporter", "") or "USA", "reporter"),
        "partners": countries(request, "partners", ["CHN"]),
        "flow": choice(request, "flow", ("import", "export"), "import"),
        "classification": choice(request, "classification", ("HS", "NAICS"), "HS"),
        "level": integer(request, "level", 6 if kind == "rerouting" else 2, 0, 10),
        "group": group,
        "product": products,
        "years": years(request) or (None if request.query_params else (2017, 2021)),
        "denominator": choice(request, "denominator", ("world", "partners"), "world"),
        "base_year": integer(request, "base_year", 2017, 1990, 2100),
        "end_year": integer(request, "end_year", 2024, 1990, 2100),
    }


def compute(ex: Explorer, q: dict[str, Any]) -> Any:
    """The indicator result (each registry parameter from the query, else its default)."""
    import techties
    from techties.indicators import get_indicator
    from techties.indicators.shares import Selection

    sel = Selection(
        reporter=q["reporter"], flow=q["flow"], source=q["source"],
        classification=q["classification"], level=q["level"], products=tuple(q["product"]),
        group=q["group"], years=q["years"],
    )  # fmt: skip
    partners = q["partners"]
    values = {
        "selection": sel, "denominator": q["denominator"], "base_year": q["base_year"],
        "end_year": q["end_year"], "partners": partners, "partner": partners[0],
    }  # fmt: skip
    ind = get_indicator(q["indicator"])
    kwargs = {p.name: values[p.name] for p in ind.params if p.name in values}
    with ex.reader() as st:
        return techties.indicator(q["indicator"], st, **kwargs)


def _key(q: dict[str, Any]) -> tuple[Any, ...]:
    return ("indicator", *(str(q[k]) for k in sorted(q)))


def share_url(q: dict[str, Any]) -> str:
    """The explorer URL of a query (what the address bar shows after the form is sent)."""
    flat = {
        **q,
        "partners": ",".join(q["partners"]),
        "product": ",".join(q["product"]),
        "years": "" if q["years"] is None else f"{q['years'][0]}-{q['years'][1]}",
    }
    return urlencode({k: v for k, v in flat.items() if v not in (None, "")})


def indicators(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    q = query(request, ex)
    wanted = request.url.path
    ran = bool(request.query_params)

    def build() -> dict[str, Any]:
        try:
            res = compute(ex, q)
        except TechtiesError as exc:
            return {"error": from_techties(exc)}
        return {"result": res, "tidy": res.tidy(), "dict": res.to_dict()}

    out = ex.cached(_key(q), build) if ran or wanted != "/indicators" else None
    if out is not None and "error" in out:
        raise out["error"]
    if wanted.endswith(".json"):
        assert out is not None
        return json_reply({"query": q, "result": out["dict"]})
    if wanted.endswith(".csv"):
        assert out is not None
        return csv_reply(out["tidy"], f"{q['indicator']}.csv")
    chart = None
    if out is not None:
        chart = ex.cached(("chart", *_key(q)), lambda: _chart(out["result"]))
    return page(
        request,
        "indicators.html.j2",
        title="Indicators",
        q=q,
        kinds=KINDS,
        groups=_groups(),
        sources=_sources(ex),
        out=out,
        rows=records(out["tidy"], TABLE_ROWS) if out else [],
        columns=[str(c) for c in out["tidy"].columns] if out else [],
        n_rows=len(out["tidy"]) if out else 0,
        chart=chart,
        link=share_url(q),
        json_page=wants_json(request),
    )


def _chart(result: Any) -> str | None:
    try:
        return svg(result.plot())
    except (NotImplementedError, TechtiesError, ValueError):
        return None


ROUTES = [
    Route("/indicators", indicators),
    Route("/indicators.json", indicators),
    Route("/indicators.csv", indicators),
]
