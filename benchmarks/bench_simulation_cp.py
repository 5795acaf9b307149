"""Benchmark the multi-sector (Caliendo–Parro) engine; prints timings and ratios.

1. CP (2015) NAFTA, 31 × 40, per solve after warm-up — target < 1 s. Peer in the same run: the
   same solver with plain damped iteration (``acceleration='none'``, damping 0.5), the scheme
   of the original replication code.
2. 1,000 multi-sector draws of the US–China escalation scenario on the Eora 2017 baseline
   (37 × 23), both cores — target < 2 minutes; ratio against one process on a subset.
3. Draws started from the central case (the 2024 proposals: three policies sharing one status
   quo, as the GE claims run them), one process, CPU time per solve: Newton steps with the
   central solution's Jacobian (the default) against the peer ``SolverOptions(newton=False)``,
   the plain Anderson iteration from the same start (the solver before the Newton steps),
   alternated A/B/A/B; target: at most 0.6 × the peer's CPU time, the same equilibria.

The baselines come from a store: ``--store PATH`` (default: a throwaway store in a temporary
folder); with ``--data DIR`` the folder's files not yet in the store are ingested first (loading
is not timed).

Run: ``.venv/bin/python benchmarks/bench_simulation_cp.py [--data DIR] [--store PATH]
[--draws 1000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from techties.simulation.baselines import load_cp2015
from techties.simulation.caliendo_parro import calibrate_baseline, solve_caliendo_parro
from techties.simulation.library import scenario_file
from techties.simulation.mc_multisector import (
    central_draw,
    load_named_baseline,
    newton_matrices,
    random_draws,
    run_draws,
    solve_multisector,
    solve_policy,
    solve_status_quo,
)
from techties.simulation.options import SolverOptions
from techties.simulation.scenario import Scenario
from techties.simulation.shock_inputs import multisector_inputs
from techties.store import Store, open_store
from techties.store.manifest import ingest_folder

ROOT = Path(__file__).resolve().parents[1]


def bench_nafta(store: Store, repeats: int = 5) -> None:
    cp = load_cp2015(store)
    base = calibrate_baseline(cp.baseline, deficit=np.zeros(31))
    tau = cp.nafta_tariffs()
    solve_caliendo_parro(base, tau)  # warm-up
    rows = []
    for label, opts in [
        ("Anderson (default)", SolverOptions()),
        ("plain damped 0.5 (peer)", SolverOptions(acceleration="none", damping=0.5)),
    ]:
        t0 = time.perf_counter()
        for _ in range(repeats):
            res = solve_caliendo_parro(base, tau, options=opts)
        per = (time.perf_counter() - t0) / repeats
        rows.append((label, per, res.iterations, res.residual))
        mex = res.tidy().set_index("country").loc["MEX", "welfare_cp"]
        print(
            f"NAFTA 31x40 {label:<26} {per * 1e3:8.1f} ms/solve  {res.iterations:4d} its  "
            f"residual {res.residual:.1e}  Mexico welfare {mex:.3f} %"
        )
    print(
        f"  speed-up vs peer: {rows[1][1] / rows[0][1]:.1f}x   target < 1 s per solve: "
        f"{'met' if rows[0][1] < 1 else 'NOT met'}"
    )


def bench_draws(store: Store, n: int) -> None:
    sc = Scenario.from_yaml(ROOT / "src/techties/simulation/scenarios/uschina_escalation.yaml")
    base = load_named_baseline("eora2017", store)
    draws = random_draws(sc, n, seed=1)
    start = solve_multisector(sc, base, central_draw(sc))  # central case, as Scenario.run does
    sub = draws[: max(20, n // 20)]
    t0 = time.perf_counter()
    run_draws(sc, base, sub, workers=1, start=start)
    one = (time.perf_counter() - t0) / len(sub)
    t0 = time.perf_counter()
    out = run_draws(sc, base, draws, workers=2, start=start)
    total = time.perf_counter() - t0
    print(
        f"Eora 37x23 escalation: 1 process {one * 1e3:.0f} ms/draw; {n} draws on 2 processes "
        f"{total:.1f} s ({total / n * 1e3:.0f} ms/draw, speed-up {one * n / total:.2f}x)   "
        f"target < 120 s: {'met' if total < 120 else 'NOT met'}"
    )
    usa = out[:, 0, 0]
    print(
        f"  USA real income change over draws: 5-95 % [{np.quantile(usa, 0.05):.3f}, "
        f"{np.quantile(usa, 0.95):.3f}]"
    )


def bench_newton(store: Store, n: int = 40, rounds: int = 2) -> None:
    names = ("proposal_2024_lift_tariffs", "proposal_2024_lift_controls", "proposal_2024_lift_both")
    scs = [Scenario.from_yaml(scenario_file(name)) for name in names]
    base = load_named_baseline("eora2017", store)
    sq, world = solve_status_quo(scs[0], base, central_draw(scs[0]))
    starts = [sq, *(solve_policy(sc, world, central_draw(sc)) for sc in scs)]
    newton_matrices(starts)  # once per start, as the scenario runner does before the draws
    samples = [random_draws(sc, n, 0, base.sectors) for sc in scs]
    problems = []  # (baseline, τ', κ̂, start) of every status-quo and policy solve of the draws
    for k in range(n):
        b = base.with_(theta=base.theta * samples[0][k].theta_factor)
        tau, kappa = multisector_inputs(b, list(enumerate(scs[0].status_quo)), samples[0][k])
        problems.append((b, tau, kappa, sq))
        _, w = solve_status_quo(scs[0], base, samples[0][k], sq)
        n_sq = len(scs[0].status_quo)
        for sc, s, start in zip(scs, samples, starts[1:], strict=True):
            shocks = [(n_sq + j, x) for j, x in enumerate(sc.shocks)]
            problems.append((w, *multisector_inputs(w, shocks, s[k]), start))
    cpu = {"newton": 0.0, "plain": 0.0}
    its = {"newton": 0, "plain": 0}
    out: dict[str, list[np.ndarray]] = {"newton": [], "plain": []}
    for _ in range(rounds):
        for label, opts in (("newton", SolverOptions()), ("plain", SolverOptions(newton=False))):
            out[label] = []
            t0 = time.process_time()
            for b, tau, kappa, start in problems:
                res = solve_caliendo_parro(b, tau, trade_cost_hat=kappa, start=start, options=opts)
                its[label] += res.iterations
                out[label].append(res.real_income_hat())
            cpu[label] += time.process_time() - t0
    per = {k: v / (rounds * len(problems)) * 1e3 for k, v in cpu.items()}
    gap = max(float(np.max(np.abs(a / b - 1))) for a, b in zip(*out.values(), strict=True))
    ratio = per["newton"] / per["plain"]
    print(
        f"Eora draws from the central case ({len(problems)} solves x {rounds}): Newton steps "
        f"{per['newton']:.1f} ms CPU/solve ({its['newton'] / rounds / len(problems):.1f} its), "
        f"plain Anderson (peer) {per['plain']:.1f} ms ({its['plain'] / rounds / len(problems):.1f} "
        f"its), ratio {ratio:.2f}   max relative gap in real income {gap:.1e}   "
        f"target ratio <= 0.6: {'met' if ratio <= 0.6 else 'NOT met'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--newton-draws", type=int, default=40)
    args = ap.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_store(args.store or Path(tmp) / "bench.duckdb") as store,
    ):
        if args.data is not None and args.data.is_dir():
            ingest_folder(store, args.data)
        bench_nafta(store)
        bench_draws(store, args.draws)
        bench_newton(store, args.newton_draws)


if __name__ == "__main__":
    main()
