"""CLI for technology data: export-control list entries, name screening, indicators, groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from techties.cli.app import (
    LIST_HELP,
    REPEAT,
    CountryOpt,
    CsvOpt,
    JsonOpt,
    SinceOpt,
    StoreOpt,
    app,
    fmt,
    open_store_cli,
    parse_date,
)
from techties.cli.app import country as country_option
from techties.cli.output import console, emit_json, print_frame, records

if TYPE_CHECKING:
    from techties.store import Store

SURVIVOR_NOTE = (
    "Survivor counts: the list is a snapshot of entries still listed; entries removed earlier "
    "are absent, so additions by year are lower bounds."
)


@app.command()
def entities(
    country: CountryOpt = None,
    since: SinceOpt = None,
    list_: Annotated[str, typer.Option("--list", help=LIST_HELP)] = "BIS Entity List",
    by_year: Annotated[
        bool, typer.Option("--by-year", help="Count entries by year first added instead.")
    ] = False,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Entries of an export-control list with the date and rule that added them.

    The date added is the earliest Federal Register date cited for the entry. Counts are
    survivor counts (entries still on the list at the snapshot date).
    """
    from techties.indicators.entities import entity_counts_by_year, entity_events

    code = country_option(country, "--country")
    first = parse_date(since, "--since")
    with open_store_cli(store, read_only=True) as st:
        if by_year:
            df = entity_counts_by_year(st, list_name=list_, country=code, since=first)
        else:
            df = entity_events(st, list_name=list_, country=code, since=first)
    if json_:
        emit_json(
            {
                "list": list_,
                "country": code,
                "since": None if first is None else first.isoformat(),
                "basis": SURVIVOR_NOTE,
                "rows": records(df),
            }
        )
        return
    print_frame(df, fmt=fmt(json_, csv), title=f"{list_}: {len(df):,} rows")
    if not csv:
        console.print(f"[dim]{SURVIVOR_NOTE}[/]")


@app.command()
def screen(
    name: Annotated[str, typer.Argument(help="Company or institution name to screen.")],
    threshold: Annotated[
        float, typer.Option("--min-score", help="Minimum match score (0–1).")
    ] = 0.85,
    list_: Annotated[list[str] | None, typer.Option("--list", help=LIST_HELP + REPEAT)] = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Screen NAME against every export-control/sanctions list in the store."""
    from techties.indicators.screening import screen as run_screen

    with open_store_cli(store, read_only=True) as st:
        df = run_screen(st, name, threshold=threshold, lists=list_)
    print_frame(df, fmt=fmt(json_, csv), title=f"Matches for {name!r} (score ≥ {threshold})")


@app.command("tech-indicators")
def indicators_cmd(
    country: CountryOpt = None,
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Indicator code (substring match).")
    ] = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """List indicators in the store (with a country or indicator: the values)."""
    country = country_option(country, "--country")
    with open_store_cli(store, read_only=True) as st:
        if country is None and indicator is None:
            df = st.df(
                "SELECT source, indicator, name, unit, count(DISTINCT country_label) AS countries, "
                "min(year) AS first_year, max(year) AS last_year, count(*) AS rows "
                "FROM indicators GROUP BY ALL ORDER BY source, indicator"
            )
        else:
            df = st.df(
                "SELECT source, indicator, name, unit, country, partner, year, value, flag "
                "FROM indicators WHERE (? IS NULL OR country = ?) "
                "AND (? IS NULL OR indicator ILIKE '%' || ? || '%') "
                "ORDER BY indicator, country, partner, year",
                [country, country, indicator, indicator],
            )
            if df.empty:
                _refuse_empty(st, country, indicator)
    print_frame(df, fmt=fmt(json_, csv), title="Indicators")


def _refuse_empty(st: Store, country: str | None, indicator: str | None) -> None:
    """No value matched: say whether the indicator or the country is unknown, with suggestions."""
    from techties.errors import NoDataError, UnknownNameError, did_you_mean

    codes = st.df("SELECT DISTINCT indicator FROM indicators")["indicator"].astype(str).tolist()
    if indicator is not None and not any(indicator.lower() in c.lower() for c in codes):
        close = did_you_mean(indicator, codes) if codes else "The store holds no indicators."
        raise UnknownNameError(f"No indicator code contains {indicator!r}.", hint=close)
    raise NoDataError(
        f"No indicator values for {country}" + (f" matching {indicator!r}." if indicator else "."),
        hint="`techties tech-indicators` lists the indicators and how many countries each has.",
    )


@app.command("product-groups")
def product_groups(
    name: Annotated[str | None, typer.Argument(help="Group name; omit to list all groups.")] = None,
    vintage: Annotated[str, typer.Option("--vintage", help="HS vintage, e.g. HS2017.")] = "HS2017",
    user_groups: Annotated[
        str | None, typer.Option("--groups", help="A user YAML file with more groups.")
    ] = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Technology product groups (HS6) and the basis each is defined on."""
    import pandas as pd

    from techties.indicators.concordance import group_codes, load_groups

    defs = load_groups(user_groups)
    if name is None:
        df = pd.DataFrame(
            [
                {
                    "group": g.name,
                    "title": g.title,
                    "vintage": g.vintage,
                    "defined_codes": len(g.codes),
                    "basis": g.basis,
                }
                for g in defs.values()
            ]
        )
        print_frame(df, fmt=fmt(json_, csv), title="Technology product groups")
        return
    with open_store_cli(store, read_only=True) as st:
        codes = group_codes(name, vintage, store=st, user_path=user_groups)
    df = pd.DataFrame({"hs6": codes})
    print_frame(df, fmt=fmt(json_, csv), title=f"{name} in {vintage}: {len(codes)} HS6 codes")
