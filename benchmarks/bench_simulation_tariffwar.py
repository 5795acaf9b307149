"""Benchmark the 2025 tariff-war scenarios and the optimal-tariff search; prints times and ratios.

1. CP solve of ``tariffwar2025_truce_retaliation_icio2022`` on the full ICIO 2022 baseline
   (81 × 28) after warm-up — target < 1 s. Peer in the same run: plain damped iteration
   (``acceleration='none'``, damping 0.2; at 0.5 it fails on this
   baseline: value added turns negative).
2. ``--draws`` draws of that scenario on 2 processes — target: 1,000 draws < 5 minutes (with
   fewer draws the 1,000-draw time is extrapolated and printed as such).
3. The unilaterally optimal uniform US tariff on the 194-country ``liberation_day`` baseline
   (σ = 5, additive closure) — target < 30 s; ratio against a grid search of 41 tariffs.

Run: ``.venv/bin/python benchmarks/bench_simulation_tariffwar.py --store PATH [--draws 200]``
(a store holding the real data: ``techties ingest-folder ../shared/data``).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from techties.simulation.caliendo_parro import solve_caliendo_parro
from techties.simulation.mc_multisector import (
    central_draw,
    load_named_baseline,
    random_draws,
    run_draws,
)
from techties.simulation.onesector import solve_onesector
from techties.simulation.optimal_tariff import optimal_uniform_tariff, uniform_change
from techties.simulation.options import SolverOptions
from techties.simulation.scenario import Scenario
from techties.simulation.shock_inputs import multisector_inputs
from techties.simulation.tariffwar2025 import resolve
from techties.store import open_store

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "src/techties/simulation/scenarios"


def bench_icio(store, n_draws: int) -> None:  # type: ignore[no-untyped-def]
    sc = Scenario.from_yaml(LIB / "tariffwar2025_truce_retaliation_icio2022.yaml")
    base = load_named_baseline("icio2022", store)
    assert sc.tariff_war is not None
    shocks, _, _ = resolve(sc.tariff_war, store, base.countries)
    tau, kappa = multisector_inputs(base, list(enumerate(shocks)), central_draw(sc))
    peer = SolverOptions(acceleration="none", damping=0.2, max_iter=20000)
    rows = []
    for label, opts in (("techties default", None), ("plain damped (peer)", peer)):
        solve_caliendo_parro(base, tau, trade_cost_hat=kappa, options=opts)  # warm-up
        t0 = time.perf_counter()
        for _ in range(3):
            res = solve_caliendo_parro(base, tau, trade_cost_hat=kappa, options=opts)
        per = (time.perf_counter() - t0) / 3
        rows.append(per)
        print(f"ICIO 2022 81x28 {label:<22} {per * 1e3:8.1f} ms/solve  {res.iterations:5d} its")
    print(f"  speed-up vs peer {rows[1] / rows[0]:.1f}x   target < 1 s: "
          f"{'met' if rows[0] < 1 else 'NOT met'}")  # fmt: skip
    full = replace(sc, shocks=tuple(shocks), tariff_war=None)
    draws = random_draws(full, n_draws, seed=1)
    t0 = time.perf_counter()
    run_draws(full, base, draws, workers=2)
    total = time.perf_counter() - t0
    per_1000 = total / n_draws * 1000
    print(f"ICIO 2022 draws: {n_draws} on 2 processes {total:.1f} s "
          f"({total / n_draws * 1e3:.0f} ms/draw); 1,000 draws "
          f"{'measured' if n_draws >= 1000 else 'extrapolated'} {per_1000:.0f} s   "
          f"target < 300 s: {'met' if per_1000 < 300 else 'NOT met'}")  # fmt: skip


def bench_optimal(store) -> None:  # type: ignore[no-untyped-def]
    base = load_named_baseline("liberation_day", store)
    t0 = time.perf_counter()
    opt = optimal_uniform_tariff(base, "USA", sigma=5.0, closure="additive")
    search = time.perf_counter() - t0
    n, i = len(base.countries), base.countries.index("USA")
    t0 = time.perf_counter()
    grid = np.linspace(0, 1, 41)
    w = [solve_onesector(base.trade, sigma=5.0, tariff_change=uniform_change(n, i, t),
                         imbalance="additive", conditional=False).welfare_pct.iloc[i]
         for t in grid]  # fmt: skip
    peer = time.perf_counter() - t0
    print(f"optimal US tariff (194 countries): {opt.tariff:.3f} ({opt.welfare_pct:+.3f} %), "
          f"{opt.evaluations} solves in {search:.2f} s; grid of 41: {peer:.2f} s "
          f"(best {grid[int(np.argmax(w))]:.3f}), ratio {peer / search:.1f}x   target < 30 s: "
          f"{'met' if search < 30 else 'NOT met'}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--draws", type=int, default=200)
    args = ap.parse_args()
    with open_store(args.store) as store:
        bench_icio(store, args.draws)
        bench_optimal(store)


if __name__ == "__main__":
    main()
