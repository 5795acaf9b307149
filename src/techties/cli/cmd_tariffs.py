"""CLI for tariff measures: every measure in force on a product from a partner on a date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from techties.cli.app import (
    CsvOpt,
    JsonOpt,
    OnOpt,
    PartnerOpt,
    ReporterOpt,
    SinceOpt,
    StoreOpt,
    app,
    country,
    fmt,
    open_store_cli,
    parse_date,
)
from techties.cli.output import console, print_frame


@app.command()
def tariff(
    hs_code: Annotated[
        str, typer.Argument(help="HS/HTS code or prefix, e.g. 8471.50.01 or 847150.")
    ],
    partner: PartnerOpt = "CHN",
    on: OnOpt = None,
    reporter: ReporterOpt = "USA",
    level: Annotated[
        int | None, typer.Option("--level", help="Product digits (0 = all goods).")
    ] = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Print every tariff measure in force (MFN + additional duties) with its legal reference;
    with --level, the simple mean over the lines of each code of that many digits."""
    from techties.indicators.tariffs import applied_tariff, measures_in_force

    on_date = (parse_date(on, "--on") or dt.date.today()).isoformat()
    imposer = country(reporter, "--reporter") or "USA"
    from_ = country(partner, "--partner") or "CHN"
    with open_store_cli(store, read_only=True) as st:
        if level is not None:
            res = applied_tariff(st, hs_code, from_, on_date, level=level, imposer=imposer)
            out = res.tidy().assign(on_date=lambda t: t.on_date.astype(str).str[:10])
            print_frame(out, fmt=fmt(json_, csv), title=res.summary())
            return
        table = measures_in_force(st, hs_code, from_, on_date, imposer=imposer)
    if table.empty:
        from techties.errors import NoDataError

        raise NoDataError(
            f"No {imposer} tariff line matches {hs_code!r} on {on_date}.",
            hint="Check the code, or ingest the schedule: `techties report --data DIR`.",
        )
    table["on_date"] = table["on_date"].astype(str)
    cols = [
        "product_code",
        "measure",
        "rate_pct",
        "specific_rate",
        "partial",
        "legal_reference",
        "measure_code",
        "on_date",
        "partner",
    ]
    if not (json_ or csv):
        cols = ["product_code", "measure", "rate_pct", "legal_reference"]
    print_frame(
        table[cols],
        fmt=fmt(json_, csv),
        title=f"{imposer} tariff on {hs_code} from {from_} on {on_date}",
    )
    if not (json_ or csv):
        applied = table[(~table.partial) & (table.kind != "exclusion")]
        total = applied.groupby("product_code").rate_pct.sum(min_count=1)
        for code, pct in total.items():
            console.print(f"{code}: applied {pct:g}% ad valorem (MFN + additional in force)")


@app.command("tariff-events")
def tariff_events(
    reporter: ReporterOpt = None,
    partner: PartnerOpt = None,
    since: SinceOpt = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """List dated tariff actions (view tariff_events): measure, dates, products, mean rate.
    ``--reporter`` is the country imposing the tariff, ``--partner`` its target (ALL: measures
    on every partner)."""
    where: list[str] = ["true"]
    params: list[object] = []
    imposer = country(reporter, "--reporter")
    target = country(partner, "--partner", allow=("ALL",))
    for col, val in (("imposer", imposer), ("target", target)):
        if val:
            where.append(f"{col} = ?")
            params.append(val)
    first = parse_date(since, "--since")
    if first:
        where.append("start_date >= ?")
        params.append(first)
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
