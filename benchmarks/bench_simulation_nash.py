"""Benchmark the tariff war on the 194-country ``liberation_day`` baseline (balanced trade, σ = 5).

1. ``nash_uniform_tariffs``: every country's best-response uniform tariff, iterated to the Nash
   point — target < 30 s on 2 cores.
2. Peer in the same run: one numerical best response (Brent search of the US tariff with the
   others' Nash tariffs held fixed, ``optimal_uniform_tariff``); a war by numerical searches
   needs one per country per round, so the printed extrapolation is 194 × rounds × that time.

Run: ``.venv/bin/python benchmarks/bench_simulation_nash.py --store PATH`` (a store holding the
real data: ``techties ingest-folder ../shared/data``).
"""

from __future__ import annotations

import argparse
import os
import time

from techties.simulation.mc_multisector import load_named_baseline
from techties.simulation.optimal_tariff import optimal_uniform_tariff
from techties.simulation.tariff_nash import balanced_baseline, nash_uniform_tariffs, tariff_matrix
from techties.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    args = ap.parse_args()
    with open_store(args.store, read_only=True) as store:
        raw = load_named_baseline("liberation_day", store)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    base = balanced_baseline(raw, 5.0)
    t_bal = time.perf_counter() - t0
    t0 = time.perf_counter()
    war = nash_uniform_tariffs(base, 5.0)
    t_war = time.perf_counter() - t0
    others = war.tariffs.copy()
    us = base.countries.index("USA")
    others[us] = 0.0
    t0 = time.perf_counter()
    opt = optimal_uniform_tariff(base, "USA", sigma=5.0, extra_change=tariff_matrix(others))
    t_one = time.perf_counter() - t0
    print(f"balanced baseline             {t_bal:8.2f} s")
    print(f"Nash (FOC best responses)     {t_war:8.2f} s  {war.rounds} rounds; US tariff "
          f"{war.tariff('USA'):.4f}, US welfare {war.welfare_pct('USA'):+.3f} %   target < 30 s: "
          f"{'met' if t_war < 30 else 'MISSED'}")  # fmt: skip
    print(f"peer: one numerical US best response {t_one:8.2f} s ({opt.evaluations} solves; "
          f"tariff {opt.tariff:.4f}); a war by searches ≈ {194 * war.rounds * t_one:,.0f} s, "
          f"{194 * war.rounds * t_one / t_war:,.0f}× the FOC iteration")  # fmt: skip


if __name__ == "__main__":
    main()
