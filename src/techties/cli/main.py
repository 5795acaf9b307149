"""The ``techties`` command. Presentation only: every command calls the library and prints."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from techties import config
from techties._version import __version__
from techties.cli.app import (
    RENAMED,
    CsvOpt,
    JsonOpt,
    ReplaceOpt,
    StoreOpt,
    YearsOpt,
    app,
    parse_years,
)
from techties.cli.app import fmt as _fmt
from techties.cli.app import open_store_cli as _open
from techties.cli.output import console, emit_json, fail, print_frame
from techties.errors import TechtiesError


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"techties {__version__}")
        raise typer.Exit()


@app.command()
def sources(json_: JsonOpt = False) -> None:
    """List the sources techties can read, with the table each fills."""
    import pandas as pd

    from techties.sources import all_sources

    rows = [
        {
            "source": s.name,
            "table": s.table,
            "title": s.title,
            "download": s.can_download,
            "homepage": s.homepage,
        }
        for s in all_sources().values()
    ]
    print_frame(
        pd.DataFrame(rows, columns=["source", "table", "title", "download", "homepage"]),
        fmt=_fmt(json_),
        title="Sources",
    )


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="Source name (see `techties sources`).")],
    paths: Annotated[list[Path], typer.Argument(help="Files or folders in the official layout.")],
    replace: ReplaceOpt = False,
    store: StoreOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Read local files of SOURCE into the store (all or nothing)."""
    from rich.progress import Progress

    from techties.sources import get_source
    from techties.store.ingest import expand, ingest_files

    src = get_source(source)
    files = expand(paths, src.patterns)
    with _open(store) as st, Progress(console=console, transient=True, disable=json_) as bar:
        task = bar.add_task(f"ingest {source}", total=len(files))
        results = ingest_files(
            st, source, files, replace=replace, progress=lambda _f: bar.advance(task)
        )
    _print_results(results, json_)


def _print_results(results: list[Any], json_: bool) -> None:
    import pandas as pd

    df = pd.DataFrame([r.to_dict() for r in results])
    if json_:
        emit_json([r.to_dict() for r in results])
        return
    if not df.empty:
        df = df.drop(columns=["details"])
    print_frame(df, title="Ingested")


@app.command()
def fetch(
    source: Annotated[str, typer.Argument(help="Source name.")],
    years: YearsOpt = None,
    dest: Annotated[
        Path | None, typer.Option("--dest", help="Download folder (default: cache).")
    ] = None,
    replace: ReplaceOpt = False,
    store: StoreOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Download SOURCE from its official endpoint, then ingest it."""
    from techties.cli.app import http_client
    from techties.sources import get_source
    from techties.store.ingest import ingest_files

    src = get_source(source)
    folder = dest or Path(config.get("cache") or ".") / source
    folder.mkdir(parents=True, exist_ok=True)
    with http_client() as client:
        files = src.download(folder, years=parse_years(years), client=client)
    with _open(store) as st:
        results = ingest_files(st, source, files, replace=replace)
    _print_results(results, json_)


@app.command()
def provenance(
    store: StoreOpt = None,
    derived: Annotated[
        bool, typer.Option("--derived", help="List the cached derived results and their inputs.")
    ] = False,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Show where every ingested file came from (append-only provenance log); with
    ``--derived``, the cached model results and the provenance ids they were computed from."""
    with _open(store, read_only=True) as st:
        if derived:
            from techties.store.derived import derived_list

            print_frame(derived_list(st), fmt=_fmt(json_, csv), title="Derived results")
        else:
            print_frame(st.provenance(), fmt=_fmt(json_, csv), title="Provenance")


@app.command()
def migrate(store: StoreOpt = None) -> None:
    """Create the store if it does not exist and apply pending schema migrations (reading
    commands never change a store)."""
    from techties.store.migrations import available

    with _open(store) as st:
        version = max(m.version for m in available())
        console.print(f"store {st.path}: schema {version:04d}, up to date", highlight=False)


@app.command()
def tables(store: StoreOpt = None, json_: JsonOpt = False) -> None:
    """List tables and views in the store with row counts."""
    with _open(store, read_only=True) as st:
        print_frame(st.tables(), fmt=_fmt(json_), title=f"Store {st.path}")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query (SELECT/WITH/DESCRIBE…).")],
    store: StoreOpt = None,
    json_: JsonOpt = False,
    csv: CsvOpt = False,
) -> None:
    """Run a read-only SQL query on the store."""
    with _open(store, read_only=True) as st:
        print_frame(st.read_only_query(query), fmt=_fmt(json_, csv))


@app.command()
def export(
    table: Annotated[str, typer.Argument(help="Table or view name.")],
    parquet: Annotated[Path, typer.Option("--parquet", help="Output Parquet path.")],
    store: StoreOpt = None,
) -> None:
    """Export a table to Parquet."""
    with _open(store, read_only=True) as st:
        out = st.export(table, parquet)
    console.print(f"wrote {out}")


# `techties report` (the main command) lives in techties.cli.cmd_report.


def _register_command_modules() -> None:
    """Import every ``techties.cli.cmd_*`` module; each adds its commands to ``app``."""
    import importlib
    import pkgutil

    import techties.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"techties.cli.{info.name}")


_register_command_modules()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn techties errors into one clear line."""
    import warnings

    from techties.cli.output import show_warning

    warnings.showwarning = show_warning
    run: Callable[..., Any] = app
    try:
        run(args=argv, standalone_mode=False)
    except TechtiesError as exc:
        fail(exc.message, exc.hint)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        fail("aborted")
        sys.exit(130)
    except Exception as exc:  # usage errors: typer's bundled click, or click itself
        import click

        usage = isinstance(exc, click.exceptions.ClickException) or (
            isinstance(exc, typer.TyperException) and hasattr(exc, "show")
        )
        if usage:
            _hint_renamed(exc)
            fail(_usage_line(exc, sys.argv[1:] if argv is None else argv))
            sys.exit(int(getattr(exc, "exit_code", 2)))
        raise


def _usage_line(exc: Exception, argv: list[str]) -> str:
    """A usage error as one line: what is wrong and where the options are listed."""
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    ctx = getattr(exc, "ctx", None)
    command = "techties"
    if ctx is not None and getattr(ctx, "parent", None) is not None:
        command += f" {ctx.info_name}"
    elif argv and argv[0] in _command_names():
        command += f" {argv[0]}"
    listed = "options" if command != "techties" else "commands"
    return f"{message} (`{command} --help` lists the {listed})"


def _command_names() -> set[str]:
    """The names typed on the command line (a command's name or its function's, dashed)."""
    return {
        c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
        for c in app.registered_commands
    }


def _hint_renamed(exc: Exception) -> None:
    """An option from an older spelling of the vocabulary: say what to write now."""
    name = getattr(exc, "option_name", None)
    if name in RENAMED and hasattr(exc, "message"):
        exc.message += f". The CLI now says {RENAMED[name]}."  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
