"""``techties indicator KIND``: interdependence indicators from the store, as a table, JSON or
a chart.

    techties indicator share --group semiconductors --partner CHN --year 2024 \\
        --denominator partners --plot chips.png
    techties indicator share --classification NAICS --level 3 --product 334 --monthly
    techties indicator duty-rate --level 0 --year 2024 --json
    techties indicator concentration --level 6 --year 2024
    techties indicator chokepoints --level 6 --year 2024
    techties indicator decoupling --classification NAICS --level 3 --product 334 --by-product
    techties indicator rerouting --source comtrade --denominator partners --end-year 2024
    techties indicator coverage --source comtrade
    techties indicator mirror
    techties indicator coauthorship | entity-list | rd_intensity | ip_payments | doctorates

``techties panel``: shares, concentration and chokepoints of every reporter, product and period
at once (BACI scale), computed inside the store and written to Parquet files::

    techties panel --source baci --flow export --level 6 --unique-rows --out panel/
    techties panel --source baci --flow import --mirror --unique-rows --out imports/
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from techties.cli.app import CsvOpt, JsonOpt, StoreOpt, app, fmt, open_store_cli
from techties.cli.output import console, emit_json, print_frame
from techties.errors import ConfigError, did_you_mean

KINDS = (
    "share", "duty-rate", "concentration", "chokepoints", "decoupling", "us-share-of-china",
    "rerouting", "coverage",
    "mirror", "coauthorship", "entity-list", "rd_intensity", "ip_payments", "ip_receipts",
    "doctorates",
)  # fmt: skip


# options shared by `indicator` and `panel` (declared once)
FlowOpt = Annotated[str, typer.Option(help="import or export.")]
SourceOpt = Annotated[str | None, typer.Option(help="Source to read (when several).")]
ClassificationOpt = Annotated[str, typer.Option(help="HS or NAICS.")]
LevelOpt = Annotated[int, typer.Option(help="Product digits (0 = all goods).")]
YearOpt = Annotated[int | None, typer.Option(help="One year.")]
FromOpt = Annotated[int | None, typer.Option("--from", help="First year.")]
ToOpt = Annotated[int | None, typer.Option("--to", help="Last year.")]
MonthlyOpt = Annotated[bool, typer.Option("--monthly", help="Monthly periods.")]
MirrorOpt = Annotated[
    bool,
    typer.Option(
        "--mirror",
        help="Read the flows as partners report them, reporter and partner swapped "
        "(imports from a source that records exports only, such as BACI).",
    ),
]


def _selection(
    reporter: str | None,
    flow: str,
    source: str | None,
    classification: str,
    level: int,
    products: list[str] | None,
    group: str | None,
    years: tuple[int, int] | None,
    monthly: bool,
    mirror: bool = False,
) -> Any:
    from techties.indicators.shares import Selection

    return Selection(
        reporter=reporter, flow=flow, source=source, classification=classification,
        level=level, products=tuple(products or ()), group=group, years=years,
        frequency="monthly" if monthly else "annual", mirror=mirror,
    )  # fmt: skip


def _years(year: int | None, first: int | None, last: int | None) -> tuple[int, int] | None:
    if year is not None:
        return (year, year)
    if first is None and last is None:
        return None
    return (first or 1900, last or 2100)


def compute(kind: str, store: Any, opts: dict[str, Any]) -> Any:
    """The indicator result for ``kind`` (library calls only; see the module doc)."""
    from techties.indicators import concentration, decoupling, exposure, rerouting, science, shares

    sel = opts["selection"]
    partners = opts["partners"]
    denom = opts["denominator"]
    if kind == "share":
        return shares.partner_shares(store, sel, partners=partners, denominator=denom)
    if kind == "duty-rate":
        return exposure.effective_duty_rates(store, sel, partners=partners)
    if kind == "concentration":
        return concentration.supplier_concentration(store, sel, denominator=denom)
    if kind == "chokepoints":
        return concentration.chokepoints(store, sel, denominator=denom)
    if kind == "decoupling":
        return decoupling.decoupling(
            store, sel, partner=(partners or ["CHN"])[0], base_year=opts["base_year"],
            denominator=denom, by_product=opts["by_product"],
        )  # fmt: skip
    if kind == "us-share-of-china":
        return decoupling.share_of_total_imports(store, base_year=opts["base_year"])
    if kind == "rerouting":
        return rerouting.rerouting(
            store, sel, base_year=opts["base_year"], end_year=opts["end_year"],
            denominator=denom,
        )  # fmt: skip
    if kind == "coverage":
        return exposure.tariff_wave_coverage(
            store, sel, partner=(partners or ["CHN"])[0], base_year=opts["base_year"]
        )
    if kind == "mirror":
        return rerouting.mirror_gaps(
            store, reporter=sel.reporter or "USA", partner=(partners or ["CHN"])[0]
        )
    if kind == "coauthorship":
        return science.coauthorship(store, source=opts["science_source"])
    if kind == "entity-list":
        return science.entity_list_additions(store, partners or ["CHN"])
    return science.indicator_series(store, kind, partners or ["USA", "CHN"])


@app.command("indicator")
def indicator(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    reporter: Annotated[str, typer.Option(help="Reporting country (ISO3).")] = "USA",
    partner: Annotated[
        list[str] | None, typer.Option("--partner", help="Partner ISO3 (repeat for several).")
    ] = None,
    flow: FlowOpt = "import",
    source: SourceOpt = None,
    classification: ClassificationOpt = "HS",
    level: LevelOpt = 2,
    product: Annotated[
        list[str] | None, typer.Option("--product", help="Code prefix to keep (repeatable).")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(help="Technology product group (groups.yaml), e.g. semiconductors."),
    ] = None,
    year: YearOpt = None,
    first_year: FromOpt = None,
    last_year: ToOpt = None,
    monthly: MonthlyOpt = False,
    mirror: MirrorOpt = False,
    denominator: Annotated[
        str, typer.Option(help="world (partner WLD) or partners (sum over listed partners).")
    ] = "world",
    base_year: Annotated[int, typer.Option(help="Base year (decoupling, rerouting).")] = 2017,
    end_year: Annotated[int, typer.Option(help="End year (rerouting).")] = 2024,
    by_product: Annotated[bool, typer.Option("--by-product", help="Decoupling per product.")] = (
        False
    ),
    science_source: Annotated[str, typer.Option(help="ncses or openalex.")] = "ncses",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the chart (.png, .svg or .html).")
    ] = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Compute one interdependence indicator from the store (formula in `--json` output)."""
    if kind not in KINDS:
        raise ConfigError(f"No indicator named {kind!r}.", hint=did_you_mean(kind, KINDS))
    if kind == "rerouting" and level == 2:
        level = 6
    opts = {
        "selection": _selection(reporter, flow, source, classification, level, product, group,
                                _years(year, first_year, last_year), monthly, mirror),
        "partners": partner, "denominator": denominator, "base_year": base_year,
        "end_year": end_year, "by_product": by_product, "science_source": science_source,
    }  # fmt: skip
    with open_store_cli(store, read_only=True) as st:
        res = compute(kind, st, opts)
    if plot is not None:
        from techties import charts

        charts.save(res.plot(), plot)
    if json_:
        emit_json(res.to_dict())
        return
    table = res.tidy() if csv else _compact(res.tidy())
    print_frame(table, fmt=fmt(json_, csv), title=f"{res.title} ({res.units})")
    if not csv:
        lines = [f"formula: {res.formula}", *(f"note: {n}" for n in res.notes)]
        lines += [f"source: {res.source}"] if res.source else []
        lines += [f"chart: {plot}"] if plot is not None else []
        for line in lines:
            console.print(line, highlight=False, markup=False)


@app.command("panel")
def panel(
    out: Annotated[Path, typer.Option("--out", help="Folder for the Parquet files.")],
    reporter: Annotated[
        str | None, typer.Option(help="One reporting country (ISO3); default every one.")
    ] = None,
    flow: FlowOpt = "import",
    source: SourceOpt = None,
    classification: ClassificationOpt = "HS",
    level: LevelOpt = 6,
    year: YearOpt = None,
    first_year: FromOpt = None,
    last_year: ToOpt = None,
    monthly: MonthlyOpt = False,
    mirror: MirrorOpt = False,
    threshold: Annotated[
        list[float] | None,
        typer.Option("--threshold", help="Chokepoint threshold (repeatable; default 0.5, 0.7)."),
    ] = None,
    unique_rows: Annotated[
        bool,
        typer.Option(
            "--unique-rows",
            help="The source has one row per reporter × partner × product × period (BACI does): "
            "skips aggregating to that grain. Wrong results if rows repeat.",
        ),
    ] = False,
    store: StoreOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Shares, HHI, top partner and chokepoints of a whole panel, as Parquet files."""
    import time

    import pandas as pd

    from techties.indicators.concentration import write_panel

    sel = _selection(reporter, flow, source, classification, level, None, None,
                     _years(year, first_year, last_year), monthly, mirror)  # fmt: skip
    started = time.perf_counter()
    with open_store_cli(store, read_only=True) as st:
        written = write_panel(
            st, sel, out, thresholds=tuple(threshold or (0.5, 0.7)), unique_rows=unique_rows
        )
    took = time.perf_counter() - started
    table = pd.DataFrame(
        [{"table": k, "rows": n, "file": str(path)} for k, (path, n) in written.items()]
    )
    if json_:
        emit_json({"tables": table.to_dict("records"), "seconds": round(took, 3)})
        return
    print_frame(table, fmt="table", title=f"Panel indicators ({took:.1f} s)")
    for line in (
        "concentration: total_usd = Σ_p v_p, n_suppliers, hhi = Σ_p v_p² / total², "
        "top_share = max_p v_p / total, top_supplier (values to 0.001 USD, ties → larger code)",
        "chokepoints: products with top_share > threshold, per reporter and period",
        "shares: share = v_p / total_usd for every reporter × partner × product × period",
    ):
        console.print(line, highlight=False, markup=False)


def _compact(table: Any) -> Any:
    """Drop columns that repeat one value or are empty, for the terminal table."""
    drop = [c for c in ("source", "reporter", "flow", "period", "denominator") if c in table]
    drop += [c for c in ("month", "n_months") if c in table and table[c].isna().all()]
    return table.drop(columns=[c for c in drop if table[c].nunique(dropna=False) <= 1])
