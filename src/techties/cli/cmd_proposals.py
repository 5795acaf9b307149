"""CLI for the proposals comparison: ``techties proposals``."""

from __future__ import annotations

import json

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
def proposals(
    draws: DrawsOpt = 100,
    out: MaybeOutOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    coverage: CoverageOpt = 0.90,
    data: DataOpt = None,
    store: StoreOpt = None,
    json_: JsonOpt = False,
    engine: EngineOpt = None,
) -> None:
    """Lift the extra US–China tariffs, the chip export controls, or both, from the 2024 and the
    2025 status quo: the change in US and Chinese real income with intervals (six library
    scenarios proposal_*, Caliendo–Parro GE on Eora26 2017); --out writes proposals.csv,
    result.json and chart.svg."""
    from techties.cli.cmd_report import ingest_data_folder
    from techties.simulation.proposals import compare_proposals

    chosen = spark_ready(engine)
    with open_store_cli(store) as st:
        if data is not None:
            ingest_data_folder(st, data, quiet=True)
        res = compare_proposals(
            st, draws=draws, seed=seed, workers=workers, level=coverage, engine=chosen
        )
    if out is not None:
        from techties.charts import save

        out.mkdir(parents=True, exist_ok=True)
        res.tidy().to_csv(out / "proposals.csv", index=False)
        (out / "result.json").write_text(json.dumps(res.to_dict(), indent=2, ensure_ascii=False))
        save(res.plot(), out / "chart.svg")
    if json_:
        emit_json(res.to_dict())
        return
    print_frame(res.display(), title=res.title)
    console.print(
        "[dim]status quo 2024: 2018–19 US–China tariffs and the chip export controls; 2025: "
        "plus the 2025 tariff war at its latest staged levels (run logs: --json)[/]",
        highlight=False,
    )
    if out is not None:
        console.print(f"wrote {out}/proposals.csv, result.json, chart.svg", highlight=False)
