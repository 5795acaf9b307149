"""Benchmark optimal and retaliatory tariffs on the 194-country ``liberation_day`` baseline
(balanced trade, σ = 5).

1. ``optimal_uniform_tariff`` (exact search, polished to the root of the welfare slope) — the
   acceptance target: the optimal-tariff search under 30 s on 2 cores. Peer in the same run:
   ``formula_fixed_point``, the FOC formula's fixed point, the way the ``ustariff`` package finds
   the optimum (one equation added to the equilibrium); ratio printed.
2. The same search with input–output linkages (``io_share=0.49``), and the partners' optimal
   retaliation on US goods (``retaliation(mode="optimal")``, a search over the common rate;
   ``"optimal_each"``, a rate per partner by L-BFGS-B, timed against the common-rate search).
3. ``nash_uniform_tariffs`` (FOC best responses iterated) against one numerical best response;
   a war by numerical searches needs one per country per round (194 × rounds × that time).

Run: ``.venv/bin/python benchmarks/bench_simulation_nash.py --store PATH`` (a store holding the
real data: ``techties ingest-folder ../shared/data``).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from techties.simulation.mc_multisector import load_named_baseline
from techties.simulation.optimal_tariff import formula_fixed_point, optimal_uniform_tariff
from techties.simulation.retaliation import liberation_day_schedule, retaliation
from techties.simulation.tariff_nash import balanced_baseline, nash_uniform_tariffs, tariff_matrix
from techties.store import open_store

TARGET = 30.0


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    args = ap.parse_args()
    with open_store(args.store, read_only=True) as store:
        raw = load_named_baseline("liberation_day", store)
        sched = liberation_day_schedule(store, raw.countries)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    base, t_bal = timed(lambda: balanced_baseline(raw, 5.0))
    print(f"balanced baseline                  {t_bal:8.2f} s")
    opt, t_opt = timed(lambda: optimal_uniform_tariff(base, "USA", sigma=5.0))
    foc, t_foc = timed(lambda: formula_fixed_point(base, "USA", sigma=5.0))
    print(f"optimal US tariff, exact search    {t_opt:8.2f} s  {opt.evaluations} solves; "
          f"{opt.tariff:.4f}, US welfare {opt.welfare_pct:+.4f} %   target < {TARGET:.0f} s: "
          f"{'met' if t_opt < TARGET else 'MISSED'}")  # fmt: skip
    print(f"peer: FOC fixed point (ustariff)   {t_foc:8.2f} s  {foc.evaluations} solves; "
          f"{foc.tariff:.4f}, US welfare {foc.welfare_pct:+.4f} %; search / peer "
          f"{t_opt / t_foc:.1f}×")  # fmt: skip
    io, t_io = timed(lambda: optimal_uniform_tariff(base, "USA", sigma=5.0, io_share=0.49))
    print(f"optimal US tariff with IO (β 0.49) {t_io:8.2f} s  {io.evaluations} solves; "
          f"{io.tariff:.4f}, US welfare {io.welfare_pct:+.4f} %; / one-sector search "
          f"{t_io / t_opt:.1f}×")  # fmt: skip
    rep, t_rep = timed(lambda: retaliation(base, 5.0, sched, mode="optimal"))
    print(f"optimal retaliation on US goods    {t_rep:8.2f} s  rate {rep.rate:.4f}; US welfare "
          f"{rep.welfare_pct('USA'):+.3f} %; / optimal-tariff search {t_rep / t_opt:.1f}×")  # fmt: skip
    each, t_each = timed(lambda: retaliation(base, 5.0, sched, mode="optimal_each"))
    partner_rates = np.delete(each.reply, base.countries.index("USA"))
    print(f"optimal retaliation, rate each     {t_each:8.2f} s  rates {partner_rates.min():.4f}–"
          f"{partner_rates.max():.4f}; US welfare {each.welfare_pct('USA'):+.4f} % "
          f"(common rate {rep.welfare_pct('USA'):+.4f} %); / common-rate search "
          f"{t_each / t_rep:.0f}×")  # fmt: skip
    war, t_war = timed(lambda: nash_uniform_tariffs(base, 5.0))
    others = war.tariffs.copy()
    others[base.countries.index("USA")] = 0.0
    one, t_one = timed(lambda: optimal_uniform_tariff(base, "USA", sigma=5.0,
                                                      extra_change=tariff_matrix(others)))  # fmt: skip
    print(f"Nash (FOC best responses)          {t_war:8.2f} s  {war.rounds} rounds; US tariff "
          f"{war.tariff('USA'):.4f}, US welfare {war.welfare_pct('USA'):+.3f} %")  # fmt: skip
    print(f"peer: one numerical US best response {t_one:6.2f} s ({one.evaluations} solves; "
          f"tariff {one.tariff:.4f}); a war by searches ≈ {194 * war.rounds * t_one:,.0f} s, "
          f"{194 * war.rounds * t_one / t_war:,.0f}× the FOC iteration")  # fmt: skip


if __name__ == "__main__":
    main()
