"""CLI for general-equilibrium scenarios: ``techties simulate SCENARIO.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from techties.cli.app import (
    CoverageOpt,
    DataOpt,
    DrawsOpt,
    EngineOpt,
    JsonOpt,
    MaybeOutOpt,
    SeedOpt,
    StoreOpt,
    WorkersOpt,
    app,
    open_store_cli,
    spark_ready,
)
from techties.cli.output import console, emit_json, print_frame


@app.command()
def simulate(
    scenario: Annotated[
        str, typer.Argument(help="Scenario YAML file, or a library name (e.g. uschina_escalation).")
    ],
    draws: DrawsOpt = 0,
    out: MaybeOutOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    coverage: CoverageOpt = 0.90,
    data: DataOpt = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    engine: EngineOpt = None,
) -> None:
    """Run a scenario and print every country's welfare change (with intervals when --draws);
    --out writes countries.parquet/.csv, draws.parquet, result.json and chart.svg.

    The baseline comes from the store; with --data DIR the folder's model inputs (and any other
    manifest files not yet stored) are ingested first. --engine spark solves the draws as Spark
    tasks (--workers partitions; master: setting spark_master); --engine duckdb (the default)
    in --workers processes."""
    from techties.cli.cmd_report import ingest_data_folder
    from techties.simulation.library import simulate as run

    chosen = spark_ready(engine)
    with open_store_cli(store) as st:
        if data is not None:
            ingest_data_folder(st, data, quiet=True)
        res = run(scenario, draws=draws, seed=seed, workers=workers, store=st, level=coverage,
                  engine=chosen)  # fmt: skip
    table = res.tidy()
    if out is not None:
        write_outputs(res, out)
    if json_:
        emit_json(res.to_dict())
        return
    key = res.measures[:2]
    cols = ["country"] + [c for c in table.columns if c.startswith(key)]
    print_frame(table[cols], title=res.title)
    for step in res.steps:
        console.print(f"[dim]{step}[/]", highlight=False)
    if out is not None:
        console.print(
            f"wrote {out}/countries.parquet, countries.csv, result.json, chart.svg", highlight=False
        )


def write_outputs(res: object, out: Path) -> None:
    """``countries.{parquet,csv}``, ``draws.parquet`` (with --draws), ``result.json`` and
    ``chart.svg`` (welfare by country with intervals)."""
    import json

    from techties.simulation.mc_multisector import ScenarioResult

    assert isinstance(res, ScenarioResult)
    out.mkdir(parents=True, exist_ok=True)
    table = res.tidy()
    table.to_parquet(out / "countries.parquet", index=False)
    table.to_csv(out / "countries.csv", index=False)
    if res.draws is not None:
        res.draws_long().to_parquet(out / "draws.parquet", index=False)
    (out / "result.json").write_text(json.dumps(res.to_dict(), indent=2, ensure_ascii=False))
    from techties.charts import save

    save(res.plot(), out / "chart.svg")
