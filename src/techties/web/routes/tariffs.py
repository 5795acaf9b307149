"""Tariff lookup: an HS/HTS code, a date and a direction → every measure in force (MFN and each
additional duty) with its legal reference and the applied rate, as ``techties tariff`` prints
them (:func:`techties.indicators.tariffs.measures_in_force`), and the code's tariff history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from techties.web.http import (
    WebError,
    choice,
    code,
    computed,
    csv_reply,
    date,
    json_reply,
    page,
    records,
    svg,
)
from techties.web.state import Explorer

#: direction → (imposer, partner)
DIRECTIONS = {"us-on-china": ("USA", "CHN"), "china-on-us": ("CHN", "USA")}
COLUMNS = ["product_code", "measure", "kind", "rate_pct", "specific_rate", "partial",
           "legal_reference", "measure_code"]  # fmt: skip
#: most tariff lines shown for one code prefix (the CSV has them all)
MAX_LINES = 400


def history_dates(last: dt.date) -> list[dt.date]:
    """Quarter starts from 2017 to ``last``, plus ``last`` and the tariff-wave dates."""
    from techties.charts import TARIFF_WAVES

    out = {dt.date(y, m, 1) for y in range(2017, last.year + 1) for m in (1, 4, 7, 10)}
    out |= {dt.date.fromisoformat(d) for d in TARIFF_WAVES.values()}
    return sorted(d for d in out | {last} if d <= last)


def applied(table: Any) -> Any:
    """Applied ad valorem rate per line and date: MFN plus every additional duty in force that
    covers the whole line (partial measures and exclusions are listed, not added)."""
    full = table[(~table.partial.astype(bool)) & (table.kind != "exclusion")]
    return full.groupby(["on_date", "product_code"], as_index=False).rate_pct.sum(min_count=1)


def lookup(ex: Explorer, product: str, on: dt.date, direction: str) -> dict[str, Any]:
    from techties.indicators.tariffs import measures_in_force

    imposer, partner = DIRECTIONS[direction]
    with ex.reader() as st:
        table = measures_in_force(st, product, partner, on.isoformat(), imposer=imposer)
        past = measures_in_force(st, product, partner, history_dates(on), imposer=imposer)
    if table.empty:
        raise WebError(
            404,
            f"No {imposer} tariff line matches {product!r} on {on.isoformat()}.",
            hint="Check the code (HS6 such as 847150, or a chapter such as 85) and the date.",
        )
    rates = applied(table)
    hist = applied(past).groupby("on_date", as_index=False).rate_pct.mean()
    mfn: Any = past[past.kind == "mfn"].groupby("on_date", as_index=False).rate_pct.mean()
    hist = hist.merge(mfn.rename(columns={"rate_pct": "mfn_pct"}), on="on_date", how="left")
    hist["on_date"] = hist["on_date"].astype(str).str[:10]
    table = table.assign(on_date=table.on_date.astype(str).str[:10])
    return {
        "imposer": imposer,
        "partner": partner,
        "product": product,
        "on_date": on.isoformat(),
        "lines": int(table.product_code.nunique()),
        "measures": table[[*COLUMNS, "on_date", "partner"]],
        "applied": rates.assign(on_date=rates.on_date.astype(str).str[:10]),
        "history": hist,
    }


def history_chart(out: dict[str, Any]) -> str:
    import altair as alt

    from techties.charts import finish

    long = out["history"].melt("on_date", var_name="series", value_name="pct").dropna()
    long["series"] = long["series"].map(
        {"rate_pct": "applied (MFN + additional)", "mfn_pct": "MFN"}
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True, interpolate="step-after")
        .encode(
            x=alt.X("on_date:T", title=None),
            y=alt.Y("pct:Q", title="ad valorem rate, %"),
            color=alt.Color("series:N", title=None),
            tooltip=["on_date:T", "series:N", alt.Tooltip("pct:Q", format=".2f")],
        )
    )
    lines = "" if out["lines"] == 1 else f", simple mean over {out['lines']} lines"
    return svg(
        finish(
            chart,
            title=f"{out['imposer']} tariff on {out['product']} from {out['partner']}",
            subtitle=f"ad valorem %, quarterly{lines}",
            source="techties store: tariff_measures (schedules and dated actions)",
        )
    )


def tariffs(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    path = request.url.path
    asked = bool(request.query_params.get("code"))
    if not asked and path == "/tariffs":
        return page(request, "tariffs.html.j2", title="Tariff lookup", q=None, out=None)
    q: dict[str, Any] = {
        "code": code(request, "code"),
        "on": date(request, "on", dt.date.today()),
        "direction": choice(request, "direction", tuple(DIRECTIONS), "us-on-china"),
    }
    out = computed(ex, "tariff", q, lambda: lookup(ex, q["code"], q["on"], q["direction"]))
    if path.endswith(".json"):
        return json_reply({k: records(v) if hasattr(v, "columns") else v for k, v in out.items()})
    if path.endswith(".csv"):
        return csv_reply(out["measures"], f"tariff-{q['code']}-{q['on']}.csv")
    chart = computed(ex, "tariff-chart", q, lambda: history_chart(out))
    return page(
        request,
        "tariffs.html.j2",
        title=f"Tariff on {q['code']}",
        q=q,
        out=out,
        rows=records(out["measures"], MAX_LINES),
        applied_rows=records(out["applied"], MAX_LINES),
        chart=chart,
    )


ROUTES = [
    Route("/tariffs", tariffs),
    Route("/tariffs.json", tariffs),
    Route("/tariffs.csv", tariffs),
]
