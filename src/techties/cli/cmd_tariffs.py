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
