"""CLI for tariff measures: every measure in force on a product from a partner on a date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from techties.cli.app import CsvOpt, JsonOpt, StoreOpt, app, fmt, open_store_cli
from techties.cli.output import console, print_frame


@app.command()
def tariff(
    hs_code: Annotated[str, typer.Argument(help="HS/HTS code or prefix, e.g. 8471.50.01 or 847150.")],
    from_: Annotated[
        str, typer.Option("--from", help="Partner (exporter) ISO3 code, e.g. CHN.")
    ] = "CHN",
    on: Annotated[
        str | None, typer.Option("--on", help="Date YYYY-MM-DD (default: today).")
    ] = None,
    imposer: Annotated[
        str, typer.Option("--imposer", help="Country levying the tariff (USA, or CHN).")
    ] = "USA",
    level: Annotated[
        int | None,
        typer.Option("--level", help="Aggregate to this many digits (simple mean over lines)."),
    ] = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Print every tariff measure in force (MFN + additional duties) with its legal reference."""
    from techties.indicators.tariffs import applied_tariff, measures_in_force

    on_date = on or dt.date.today().isoformat()
    with open_store_cli(store, read_only=True) as st:
        if level is not None:
            res = applied_tariff(st, hs_code, from_.upper(), on_date, level=level,
                                 imposer=imposer.upper())
            out = res.tidy().assign(on_date=lambda t: t.on_date.astype(str).str[:10])
            print_frame(out, fmt=fmt(json_, csv), title=res.summary())
            return
        table = measures_in_force(st, hs_code, from_.upper(), on_date, imposer=imposer.upper())
    if table.empty:
        from techties.errors import NoDataError

        raise NoDataError(
            f"No {imposer.upper()} tariff line matches {hs_code!r} on {on_date}.",
            hint="Check the code, or ingest the schedule: `techties report --data DIR`.",
        )
    table["on_date"] = table["on_date"].astype(str)
    cols = ["product_code", "measure", "rate_pct", "specific_rate", "partial",
            "legal_reference", "measure_code", "on_date", "partner"]
    if not (json_ or csv):
        cols = ["product_code", "measure", "rate_pct", "legal_reference"]
    print_frame(table[cols], fmt=fmt(json_, csv),
                title=f"{imposer.upper()} tariff on {hs_code} from {from_.upper()} on {on_date}")
    if not (json_ or csv):
        applied = table[(~table.partial) & (table.kind != "exclusion")]
        total = applied.groupby("product_code").rate_pct.sum(min_count=1)
        for code, pct in total.items():
            console.print(f"{code}: applied {pct:g}% ad valorem (MFN + additional in force)")


@app.command("tariff-events")
def tariff_events(
    imposer: Annotated[str | None, typer.Option("--imposer", help="ISO3, e.g. USA.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="ISO3 or ALL.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="First start date.")] = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """List dated tariff actions (view tariff_events): measure, dates, products, mean rate."""
    where: list[str] = ["true"]
    params: list[str] = []
    for col, val in (("imposer", imposer), ("target", target)):
        if val:
            where.append(f"{col} = ?")
            params.append(val.upper())
    if since:
        where.append("start_date >= CAST(? AS DATE)")
        params.append(since)
    with open_store_cli(store, read_only=True) as st:
        table = st.df(
            "SELECT imposer, target, measure, dataset, start_date, end_date, status, products, "
            "round(mean_rate_pct, 2) AS mean_rate_pct, legal_reference FROM tariff_events "
            f"WHERE {' AND '.join(f'({w})' for w in where)}",
            params,
        )
    for col in ("start_date", "end_date"):
        table[col] = table[col].astype(str).replace({"NaT": ""})
    print_frame(table, fmt=fmt(json_, csv), title="Tariff events")
