"""``techties indicator KIND``: interdependence indicators from the store, as a table, JSON or
a chart.

    techties indicator share --group semiconductors --partner CHN --years 2024 \\
        --denominator partners --plot chips.png
    techties indicator share --classification NAICS --level 3 --product 334 --monthly
    techties indicator duty-rate --level 0 --years 2024 --json
    techties indicator concentration --level 6 --years 2017-2024
    techties indicator chokepoints --level 6 --years 2024
    techties indicator decoupling --classification NAICS --level 3 --product 334 --by-product
    techties indicator rerouting --source comtrade --denominator partners --end-year 2024
    techties indicator coverage --source comtrade
    techties indicator mirror
    techties indicator coauthorship | entity-list | rd_intensity | ip_payments | doctorates
    techties indicators --json                # the registry: names, help, parameters

``techties panel``: shares, concentration and chokepoints of every reporter, product and period
at once (BACI scale), computed inside the store and written to Parquet files::

    techties panel --source baci --flow export --level 6 --unique-rows --out panel/
    techties panel --source baci --flow import --mirror --unique-rows --out imports/
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from techties import config
from techties.cli.app import (
    CsvOpt,
    EngineOpt,
    GroupOpt,
    JsonOpt,
    LevelOpt,
    OutOpt,
    PartnersOpt,
    PlotOpt,
    ReporterOpt,
    StoreOpt,
    YearsOpt,
    app,
    country,
    fmt,
    open_store_cli,
    year_range,
)
from techties.cli.output import console, emit_json, print_frame
from techties.errors import ConfigError

if TYPE_CHECKING:
    from techties.indicators.registry import Indicator

# options shared by `indicator` and `panel` (declared once)
FlowOpt = Annotated[str, typer.Option(help="import or export.")]
SourceOpt = Annotated[str | None, typer.Option(help="Source to read (when several).")]
ClassificationOpt = Annotated[str, typer.Option(help="HS or NAICS.")]
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


KIND_HELP = "The indicator (`techties indicators` lists every one, with its parameters)."
#: CLI defaults that differ by indicator (the product level when --level is left at 2)
DEFAULT_LEVEL = {"rerouting": 6}


def _option_values(
    sel: Any, reporter: str, partner: list[str] | None, opts: dict[str, Any]
) -> dict[str, Any]:
    """``option → value`` for the indicator parameters the CLI sets. An option that is absent
    leaves the function's default (``--partner`` not given: every indicator keeps its own)."""
    values: dict[str, Any] = {"selection": sel, "reporter": reporter, **opts}
    if partner:
        values.update(partners=list(partner), countries=list(partner), partner=partner[0])
    return values


def _parse_args(args: list[str] | None, ind: Indicator) -> dict[str, Any]:
    """``--arg name=value`` pairs, typed by the parameter (int, float, bool, lists by commas)."""
    out: dict[str, Any] = {}
    for item in args or ():
        name, sep, text = item.partition("=")
        if not sep:
            raise ConfigError(
                f"--arg {item!r} is not NAME=VALUE.", hint="E.g. --arg base_year=2018."
            )
        param = ind.param(name.strip().replace("-", "_"))
        out[param.name] = _typed(text.strip(), param.type)
    return out


def _typed(text: str, type_: str) -> Any:
    kinds = {t.strip() for t in type_.split("|")}
    if text.lower() in ("none", "null") and "None" in kinds:
        return None
    try:
        if "bool" in kinds:
            return text.lower() in ("1", "true", "yes", "on")
        if "int" in kinds:
            return int(text)
        if "float" in kinds:
            return float(text)
    except ValueError as exc:
        raise ConfigError(f"{text!r} is not a {type_}.") from exc
    if any(k.startswith(("Sequence", "list", "tuple")) for k in kinds):
        return [t.strip() for t in text.split(",") if t.strip()]
    return text


def compute(
    kind: str, store: Any, values: dict[str, Any], args: dict[str, Any] | None = None
) -> Any:
    """The result of indicator ``kind``: each of its parameters takes the value of its option in
    ``values`` (see :func:`_option_values`) or of ``args`` (``--arg``), else the function's
    default."""
    from techties.indicators import get_indicator

    ind = get_indicator(kind)
    kwargs = {p.name: values[p.option] for p in ind.params if p.option in values}
    kwargs.update(args or {})
    missing = [p.name for p in ind.params if p.required and p.name not in kwargs]
    if missing:
        raise ConfigError(
            f"Indicator {kind!r} needs {missing[0]!r}.", hint=f"Pass --arg {missing[0]}=VALUE."
        )
    return ind(store, **kwargs)


def _list_indicators(json_: bool) -> None:
    from techties.indicators import indicators

    rows = [ind.to_dict() for ind in indicators()]
    if json_:
        emit_json(rows)
        return
    for row in rows:
        console.print(f"{row['name']}: {row['help']}", highlight=False, markup=False)
        for p in row["params"]:
            default = "required" if p["required"] else f"default {p['default']!r}"
            console.print(
                f"    --{p['option']} ({p['type']}, {default}): {p['help']}",
                highlight=False,
                markup=False,
            )


@app.command("indicator")
def indicator(
    kind: Annotated[str | None, typer.Argument(help=KIND_HELP)] = None,
    reporter: ReporterOpt = "USA",
    partner: PartnersOpt = None,
    flow: FlowOpt = "import",
    source: SourceOpt = None,
    classification: ClassificationOpt = "HS",
    level: LevelOpt = 2,
    product: Annotated[
        list[str] | None, typer.Option("--product", help="Code prefix to keep (repeatable).")
    ] = None,
    group: GroupOpt = None,
    years: YearsOpt = None,
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
    arg: Annotated[
        list[str] | None,
        typer.Option(
            "--arg", help="Any other parameter of the indicator, NAME=VALUE (see --list)."
        ),
    ] = None,
    plot: PlotOpt = None,
    store: StoreOpt = None,
    engine: EngineOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Compute one interdependence indicator from the store (formula in `--json` output);
    `techties indicators` lists every indicator and its parameters."""
    if kind is None:
        raise ConfigError("Name the indicator to compute.", hint=KIND_HELP)
    from techties.indicators import get_indicator

    ind = get_indicator(kind)
    extra = _parse_args(arg, ind)
    if level == 2:
        level = DEFAULT_LEVEL.get(ind.name, level)
    reporter = country(reporter, "--reporter") or "USA"
    partners = [country(p, "--partner", allow=("WLD",)) or p for p in partner or ()]
    sel = _selection(reporter, flow, source, classification, level, product, group,
                     year_range(years), monthly, mirror)  # fmt: skip
    values = _option_values(
        sel, reporter, partners,
        {"denominator": denominator, "base-year": base_year, "end-year": end_year,
         "by-product": by_product, "science-source": science_source},
    )  # fmt: skip
    on_spark = config.engine(engine) == "spark"
    with open_store_cli(store, read_only=True) as st:
        if on_spark:  # the trade tables read by Spark; the same indicator code
            from techties.spark.store import spark_store

            st = spark_store(st)
        res = compute(ind.name, st, values, extra)
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


@app.command("indicators")
def indicators_command(json_: JsonOpt = False) -> None:
    """List the indicators (name, help, parameters; `--json` for the registry as data)."""
    _list_indicators(json_)


@app.command("panel")
def panel(
    out: OutOpt,
    reporter: ReporterOpt = None,
    flow: FlowOpt = "import",
    source: SourceOpt = None,
    classification: ClassificationOpt = "HS",
    level: LevelOpt = 6,
    years: YearsOpt = None,
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
    """Shares, HHI, top partner and chokepoints of a whole panel, as Parquet files in OUT."""
    import time

    import pandas as pd

    from techties.indicators.concentration import write_panel

    sel = _selection(country(reporter, "--reporter"), flow, source, classification, level, None,
                     None, year_range(years), monthly, mirror)  # fmt: skip
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
