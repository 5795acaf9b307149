"""The typer app and the options every command shares.

Command modules are ``techties/cli/cmd_<area>.py``; each imports ``app`` from here and decorates
its commands with ``@app.command()``. ``techties.cli.main`` imports them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from techties import config
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
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV output.")]


def fmt(json_: bool, csv: bool = False) -> str:
    """Output format name for :func:`techties.cli.output.print_frame`."""
    return "json" if json_ else "csv" if csv else "table"


def open_store_cli(store: Path | None, *, read_only: bool = False) -> Store:
    from techties.store import open_store

    return open_store(store, read_only=read_only)
