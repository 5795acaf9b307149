"""The typer app and the CLI's vocabulary: every option that means the same thing in several
commands is declared here once, with the one parser that reads it.

=================  ============================================================================
``--reporter``     the country whose trade or tariff schedule it is (importer, tariff imposer)
``--partner``      the other country (exporter, tariff target); ISO3 or an English name
``--country``      the country a list entry or a science indicator is about; ISO3 or a name
``--years``        one year, a range or a list: ``2024``, ``2017-2019``, ``2017,2020-2022``
                   (``--year`` is the same option)
``--on``           one date, ``YYYY-MM-DD`` (``YYYY`` and ``YYYY-MM`` mean the first day)
``--since``        the first date, same forms as ``--on``
``--group``        a technology product group (``techties product-groups``)
``--store``        the store file; ``--json`` / ``--csv`` the output format
``--engine``       the engine: ``duckdb`` (embedded, default) or ``spark`` (queries, draws)
=================  ============================================================================

Command modules are ``techties/cli/cmd_<area>.py``; each imports ``app`` from here and decorates
its commands with ``@app.command()``. ``techties.cli.main`` imports them all.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from techties import config
from techties.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from techties.store import Store

app = typer.Typer(
    name="techties",
    help="Evidence and simulation engine for US–China technology and trade ties.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store", help=config.SETTINGS["store"].help, envvar="TECHTIES_STORE", show_default=False
    ),
]
DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data", help=config.SETTINGS["data"].help, envvar="TECHTIES_DATA", show_default=False
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help=config.SETTINGS["engine"].help,
        envvar="TECHTIES_ENGINE",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV output.")]

COUNTRY_FORMS = "ISO3 code or English name (CHN, China)"
ReporterOpt = Annotated[
    str | None,
    typer.Option(
        "--reporter",
        help=f"Reporting country: whose imports, exports or tariff schedule; {COUNTRY_FORMS}.",
        show_default=True,
    ),
]
PartnerOpt = Annotated[
    str | None,
    typer.Option("--partner", help=f"Partner country (exporter, tariff target); {COUNTRY_FORMS}."),
]
#: the suffix of a repeatable option's help (the rest is the single option's help)
REPEAT = " Repeat for several."
PartnersOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--partner", help=f"Partner country (exporter, tariff target); {COUNTRY_FORMS}." + REPEAT
    ),
]
CountryOpt = Annotated[str | None, typer.Option("--country", help=f"Country; {COUNTRY_FORMS}.")]
YEARS_FORMS = "2024, 2017-2019 or 2017,2020-2022"
YearsOpt = Annotated[
    str | None, typer.Option("--years", "--year", help=f"Years: {YEARS_FORMS}.", show_default=False)
]
DATE_FORMS = "YYYY-MM-DD (YYYY or YYYY-MM: the first day)"
OnOpt = Annotated[str | None, typer.Option("--on", help=f"Date, {DATE_FORMS}; default today.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help=f"First date, {DATE_FORMS}.")]
GroupOpt = Annotated[
    str | None,
    typer.Option(help="Technology product group (`techties product-groups`), e.g. semiconductors."),
]

LevelOpt = Annotated[int, typer.Option("--level", help="Product digits (0 = all goods).")]
OUT_HELP = "Output folder, created if missing (the command's help says what it writes)."
OutOpt = Annotated[Path, typer.Option("--out", help=OUT_HELP)]
MaybeOutOpt = Annotated[Path | None, typer.Option("--out", help=OUT_HELP)]
PlotOpt = Annotated[
    Path | None, typer.Option("--plot", help="Write the chart (.png, .svg or .html).")
]
ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--replace",
        help="Re-ingest files already in the store; a file repeating rows of an earlier file "
        "of its source (another release) replaces that file.",
    ),
]
LIST_HELP = "Export-control or sanctions list by name, e.g. 'BIS Entity List', 'BIS MEU'."

#: options that other commands once spelled differently → what to write now
RENAMED = {
    "--from": "--partner (a country) or --years (years)",
    "--to": "--years FIRST-LAST",
    "--target": "--partner",
    "--imposer": "--reporter",
    "--threshold": "--min-score (screen) or --threshold (panel chokepoints)",
}


def country(text: str | None, option: str, *, allow: tuple[str, ...] = ()) -> str | None:
    """The ISO3 code of a country option's value (None stays None)."""
    if text is None:
        return None
    from techties.countries import country_code

    return country_code(text, option=option, allow=allow)


def parse_years(text: str | None, option: str = "--years") -> list[int] | None:
    """``"2017-2019,2024"`` → [2017, 2018, 2019, 2024] (sorted, each once)."""
    if text is None or not text.strip():
        return None
    out: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", part)
        if not m or int(m.group(2) or m.group(1)) < int(m.group(1)):
            raise ConfigError(
                f"{option} {text!r} is not a list of years.", hint=f"Use e.g. {YEARS_FORMS}."
            )
        out.update(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
    return sorted(out)


def year_range(text: str | None, option: str = "--years") -> tuple[int, int] | None:
    """``--years`` for commands that take one contiguous range: (first, last)."""
    years = parse_years(text, option)
    if years is None:
        return None
    if years != list(range(years[0], years[-1] + 1)):
        raise ConfigError(
            f"{option} {text!r} has gaps; this command takes one range of years.",
            hint=f"Use e.g. {years[0]}-{years[-1]}.",
        )
    return (years[0], years[-1])


def parse_date(text: str | None, option: str) -> dt.date | None:
    """``2019-06-30``, ``2019-06`` or ``2019`` → a date (the first day when partial)."""
    if text is None or not text.strip():
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text.strip())
    try:
        if m is None or (m.group(3) and not m.group(2)):
            raise ValueError(text)
        return dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError as exc:
        raise ConfigError(
            f"{option} {text!r} is not a date.", hint=f"Use {DATE_FORMS}, e.g. 2019-06-30."
        ) from exc


def fmt(json_: bool, csv: bool = False) -> str:
    """Output format name for :func:`techties.cli.output.print_frame`."""
    return "json" if json_ else "csv" if csv else "table"


def http_client() -> httpx.Client:
    """The HTTP client every download of the CLI uses (one place to set time-outs; tests
    replace it with an ``httpx.MockTransport`` client)."""
    import httpx

    return httpx.Client(timeout=120, follow_redirects=True)


def open_store_cli(
    store: Path | None, *, read_only: bool = False, shared: bool = False
) -> Store:
    """Open the store. ``shared``: writable if no other process has it open (so model results
    are cached in it), else read-only beside that process (e.g. ``techties serve``)."""
    from techties.errors import StoreError
    from techties.store import open_store

    if not shared:
        return open_store(store, read_only=read_only)
    try:
        return open_store(store)
    except StoreError as exc:
        if "Could not set lock" not in str(exc):
            raise
        return open_store(store, read_only=True)


#: ``--workers`` of simulate and serve (one meaning: how many work in parallel), true on both
#: engines of simulate
WORKERS_HELP = (
    "How many work in parallel — simulate: the draws' worker processes (default all cores), or "
    "with --engine spark the draws' Spark partitions (default: Spark's default parallelism); "
    "serve: server worker processes."
)
#: the draw options of simulate and proposals (one meaning each)
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed of the draws.")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", help=WORKERS_HELP)]
CoverageOpt = Annotated[
    float, typer.Option("--coverage", help="Coverage of the intervals (0.90: 5th–95th).")
]
DrawsOpt = Annotated[int, typer.Option("--draws", help="Uncertainty draws (0 = central case only).")]


def spark_ready(engine: str | None) -> str:
    """The engine a command runs on (``--engine`` or the setting); for ``spark``, checks that
    pyspark and Java are there (one line saying how to install them otherwise)."""
    chosen = config.engine(engine)
    if chosen == "spark":
        from techties.spark.session import require_java, require_pyspark

        require_pyspark()
        require_java()
    return chosen
