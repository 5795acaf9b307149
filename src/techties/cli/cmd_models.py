"""``techties gravity``: structural gravity (PPML/OLS) on a gravity dataset in the store.

    techties gravity --dataset 1_tradewithoutborder -r ln_DIST,CNTG,INTL_BRDR \\
        --fe exporter,importer --se hetero
    techties gravity --dataset chapter1application1 -r ln_DIST,CNTG,LANG,CLNY --log DIST \\
        --years 1986,1990,1994,1998,2002,2006 --international-only --export coef.json --plot c.png
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from techties.cli.app import (
    CsvOpt,
    JsonOpt,
    PlotOpt,
    StoreOpt,
    YearsOpt,
    app,
    fmt,
    open_store_cli,
    parse_years,
)
from techties.cli.output import console, emit_json, print_frame


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").split(",") if x.strip())


@app.command()
def gravity(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Gravity dataset in the store.")],
    regressors: Annotated[str, typer.Option("--regressors", "-r", help="Comma-separated.")],
    estimator: Annotated[str, typer.Option(help="ppml or ols (on ln trade).")] = "ppml",
    fe: Annotated[
        str, typer.Option("--fe", help="Fixed effects: exporter_time, importer_time, pair, …")
    ] = "exporter_time,importer_time",
    log: Annotated[str | None, typer.Option(help="Columns to log (→ ln_<col>).")] = None,
    years: YearsOpt = None,
    international_only: Annotated[bool, typer.Option(help="Drop domestic flows.")] = False,
    directional_pairs: Annotated[bool, typer.Option(help="Pair ids (i,j) ≠ (j,i).")] = False,
    pooled_domestic: Annotated[bool, typer.Option(help="One pair FE for domestic flows.")] = False,
    border_by_year: Annotated[bool, typer.Option(help="INTL_BRDR_<year> dummies.")] = False,
    se: Annotated[str, typer.Option(help="cluster (by pair), hetero (HC1) or iid.")] = "cluster",
    export: Annotated[Path | None, typer.Option(help="Write coefficients + vcov JSON.")] = None,
    plot: PlotOpt = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Estimate a gravity equation on a dataset ingested with `techties ingest gravity`."""
    from techties.models.gravity import GravitySpec, fit_gravity
    from techties.store.gravity import gravity_frame

    spec = GravitySpec(
        regressors=_split(regressors),
        estimator=estimator,
        fixed_effects=_split(fe),
        log=_split(log),
        years=tuple(parse_years(years) or ()) or None,
        international_only=international_only,
        symmetric_pair=not directional_pairs,
        pooled_domestic=pooled_domestic,
        border_by_year=border_by_year,
        se=se,
        title=f"Gravity ({estimator.upper()}) on {dataset}",
    )
    with open_store_cli(store, read_only=True) as st:
        frame = gravity_frame(st, dataset)
    result = fit_gravity(frame, spec)
    if export:
        result.export_coefficients(export)
    if plot:
        from techties import charts

        charts.save(result.plot(), plot)
    if json_:
        emit_json(result.to_dict())
        return
    print_frame(result.tidy(), fmt=fmt(json_, csv), title=result.title)
    if not csv:
        console.print(f"N = {result.nobs:,}; standard errors: {result.se_type}")
        for k, v in result.dropped.items():
            if v:
                console.print(f"dropped {v:,} rows ({k})")
