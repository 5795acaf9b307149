"""``techties report`` (the main command), ``techties claims`` and ``techties check``.

``report`` makes sure the store has data — from ``--data DIR`` (a folder of official source
files described by a data manifest) or, without it and with an empty store, from the official
endpoints — then checks every claim and writes a self-contained HTML report (and a PDF).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from techties import config
from techties.cli import app as cli_app
from techties.cli.app import DataOpt, JsonOpt, OutOpt, StoreOpt, app, open_store_cli
from techties.cli.output import console, emit_json, print_frame, print_rows
from techties.errors import ConfigError, TechtiesError

if TYPE_CHECKING:
    from techties.store import Store

NO_DATA_HINT = (
    "Provide data in one of three ways: `techties report --data DIR` with a folder of official "
    "source files (for example ../shared/data; see docs/data.md), set TECHTIES_DATA=DIR, or run "
    "it again with network access so techties can download from the official endpoints."
)

#: years the report downloads when it fetches from the official endpoints (base year 2017 of the
#: checkers, a pre-period, and the latest full years)
REPORT_YEARS = range(2015, 2025)


def store_has_data(store: Store) -> bool:
    """True when anything has been ingested (the provenance log has a row with rows written)."""
    return bool(store.scalar("SELECT count(*) FROM provenance WHERE rows_written > 0"))


def ingest_data_folder(store: Store, data: Path, *, quiet: bool = False) -> int:
    """Ingest every manifest entry found under ``data`` with a progress bar; files ingested."""
    from rich.progress import Progress

    from techties.store.manifest import ingest_folder, load_manifest

    if not data.is_dir():
        raise ConfigError(f"Data folder {data} does not exist.", hint=NO_DATA_HINT)
    entries = load_manifest(data)
    with Progress(console=console, transient=True, disable=quiet) as bar:
        task = bar.add_task("ingesting data folder", total=max(len(entries), 1))
        results = ingest_folder(
            store, data, progress=lambda src, n: bar.update(task, advance=1, description=src)
        )
    return sum(not r.skipped for r in results)


def download_all(store: Store, *, quiet: bool = False) -> int:
    """Download every downloadable source from its official endpoint and ingest it."""
    from rich.progress import Progress

    from techties.sources import all_sources
    from techties.store.ingest import ingest_files

    sources = [s for s in all_sources().values() if s.can_download]
    if not sources:
        raise ConfigError("The store is empty and no source can be downloaded.", hint=NO_DATA_HINT)
    cache = Path(config.get("cache") or ".")
    done, failed = 0, []
    with cli_app.http_client() as client, Progress(console=console, disable=quiet) as bar:
        task = bar.add_task("downloading", total=len(sources))
        for src in sources:
            bar.update(task, description=f"downloading {src.name}")
            folder = cache / src.name
            folder.mkdir(parents=True, exist_ok=True)
            try:
                files = src.download(folder, years=list(REPORT_YEARS), client=client)
            except TechtiesError as exc:  # unreachable endpoint, missing API key …
                failed.append(f"{src.name}: {exc.message}")
                bar.advance(task)
                continue
            if files:
                done += sum(not r.skipped for r in ingest_files(store, src.name, files))
            bar.advance(task)
    if failed and not done:
        raise ConfigError(
            f"The store is empty and no official endpoint could be used ({failed[0]}"
            + (f"; {len(failed) - 1} more failed" if len(failed) > 1 else "")
            + ").",
            hint=NO_DATA_HINT,
        )
    return done


@app.command()
def report(
    data: DataOpt = None,
    out: OutOpt = Path("techties-report"),
    store: StoreOpt = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the report to PDF (Chromium).")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """The main job: obtain the data, check every claim, write a self-contained HTML report
    (OUT/report.html, and OUT/report.pdf with --pdf)."""
    from techties.report import build_report
    from techties.report.build import verdict_frame

    with open_store_cli(store) as st:
        if data is not None:
            new = ingest_data_folder(st, data, quiet=json_)
            if not json_:
                console.print(f"{new} new file(s) ingested from {data}")
        elif not store_has_data(st):
            new = download_all(st, quiet=json_)
        if not store_has_data(st):
            raise ConfigError(
                f"The store {st.path} holds no data to check claims with.", hint=NO_DATA_HINT
            )
        with console.status("checking claims and writing the report", spinner="dots"):
            result = build_report(st, out, pdf=pdf)
    if json_:
        emit_json(
            {
                "html": str(result.html),
                "pdf": str(result.pdf) if result.pdf else None,
                "counts": result.counts(),
                "verdicts": [v.to_dict() for v in result.verdicts],
            }
        )
        return
    print_frame(verdict_frame(result.verdicts), title="Verdicts")
    console.print(f"report: {result.html}" + (f"\npdf:    {result.pdf}" if result.pdf else ""))


@app.command()
def claims(store: StoreOpt = None, data: DataOpt = None, json_: JsonOpt = False) -> None:
    """List the claims in the catalog with their verdicts on the store (with --data DIR, the
    folder's files not yet in the store are ingested first)."""
    from techties.claims.listing import JSON_FIELDS, TABLE_COLUMNS, listing_rows, read_listing

    # beside `techties serve` (which holds the store read-only) the claims are checked read-only
    with open_store_cli(store, shared=data is None) as st:
        if data is not None:
            ingest_data_folder(st, data, quiet=True)
        # a checked store answers from the kept listing, without the analysis layers
        rows = read_listing(st)
        if rows is None:
            from techties.claims import check_all

            rows = listing_rows(check_all(st))
    if json_:
        emit_json([{k: r[k] for k in JSON_FIELDS} for r in rows])
        return
    print_rows(rows, TABLE_COLUMNS, title="Claims", right=("no",))


@app.command()
def check(
    claim_id: Annotated[str, typer.Argument(help="Claim id or number (see `techties claims`).")],
    store: StoreOpt = None,
    data: DataOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Check one claim and show its verdict with the evidence behind it (with --data DIR, the
    folder's files not yet in the store are ingested first)."""
    from techties.claims import check_claim

    with open_store_cli(store, shared=data is None) as st:
        if data is not None:
            ingest_data_folder(st, data, quiet=True)
        verdict = check_claim(st, claim_id)
        prov = st.provenance(verdict.provenance_ids) if verdict.provenance_ids else None
    if json_:
        d = verdict.to_dict()
        d["provenance"] = (
            [] if prov is None else prov[["id", "source", "location", "sha256"]].to_dict("records")
        )
        emit_json(d)
        return
    console.print(verdict.summary(), highlight=False)
    console.print(f"method: {verdict.method}", highlight=False)
    if not verdict.evidence.empty:
        print_frame(verdict.evidence, title="Evidence", max_rows=40)


__all__ = ["TechtiesError", "check", "claims", "report"]
