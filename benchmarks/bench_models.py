"""Benchmark of techties' estimation layer (not run by the test suite).

1. 3-way fixed-effect PPML (exporter-year, importer-year, pair; regressors RTA and ln distance)
   on generated gravity panels of 1,000,000 and 5,000,000 rows: ``fit_gravity`` (default
   warm-started IRLS loop, ``techties.models.ppml_fast``) against calling ``pyfixest.fepois``
   directly on the same data with its defaults (fixed-effect ids already built for it; its
   default ``fe`` separation check, which ``separation="fe"`` matches), in the same run.
   Target: pyfixest / techties ≥ 2, max |Δ coefficient| ≤ 1e-8, max relative Δ SE ≤ 1e-6.
2. Product-by-product gravity: one PPML per HS section with ``fit_by_product``, one process
   vs one per core; prints the speedup.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_models.py [--rows 1000000 5000000]
[--reps 2] [--big-reps 1] [--sections 12]``; ``--sections 0`` skips part 2.
Each round prints wall and CPU (user + sys) seconds of both sides and the load average.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

from techties.models.gravity import GravitySpec, fit_gravity


def gravity_panel(n_countries: int, n_years: int, seed: int = 0) -> pd.DataFrame:
    """Synthetic panel: X_ijt = exp(π_it + χ_jt + μ_ij + 0.5·RTA − 0.8·ln d_ij) · Poisson noise."""
    rng = np.random.default_rng(seed)
    c = np.arange(n_countries)
    e, i, t = (a.ravel() for a in np.meshgrid(c, c, np.arange(n_years), indexing="ij"))
    lnd = np.log(1 + np.abs(e - i))[:, None].ravel() + rng.normal(0, 0.1, e.size)
    pi = rng.normal(0, 1, (n_countries, n_years))[e, t]
    chi = rng.normal(0, 1, (n_countries, n_years))[i, t]
    mu = rng.normal(0, 0.5, (n_countries, n_countries))[e, i]
    rta = ((rng.random((n_countries, n_countries)) < 0.2)[e, i] & (t >= n_years // 2)).astype(float)
    mean = np.exp(2 + pi + chi + mu + 0.5 * rta - 0.8 * lnd)
    return pd.DataFrame(
        {
            "exporter": e,
            "importer": i,
            "year": 2000 + t,
            "trade": rng.poisson(mean).astype(float),
            "rta": rta,
            "lnd": lnd,
        }
    )


SPEC = GravitySpec(
    regressors=("rta", "lnd"),
    fixed_effects=("exporter_time", "importer_time", "pair"),
    separation="fe",
    symmetric_pair=False,
)


def _max_diffs(r, m) -> tuple[float, float]:
    """Max |Δ coefficient| and max relative Δ standard error of techties vs a pyfixest fit."""
    ref_b, ref_se = m.coef(), m.se()
    t = r.table.set_index("term")
    db = float(np.max(np.abs(t["estimate"].to_numpy() - ref_b[t.index].to_numpy())))
    ds = float(np.max(np.abs(t["std_error"].to_numpy() / ref_se[t.index].to_numpy() - 1)))
    return db, ds


def bench_ppml(rows: int, reps: int) -> None:
    n_years = 10
    n_c = round((rows / n_years) ** 0.5)
    d = gravity_panel(n_c, n_years)
    print(
        f"panel: {len(d):,} rows ({n_c} countries × {n_c} × {n_years} years); zeros: {(d.trade == 0).mean():.1%}"
    )
    import pyfixest as pf

    # the direct call gets ready-made fixed-effect ids (generous to the peer)
    direct = d.copy()
    direct["et"] = direct["exporter"] * 10_000 + direct["year"]
    direct["it"] = direct["importer"] * 10_000 + direct["year"]
    direct["pair"] = direct["exporter"] * 10_000 + direct["importer"]
    fml = "trade ~ rta + lnd | et + it + pair"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times: dict[str, list[tuple[float, float]]] = {"pyfixest": [], "techties": []}
        for rep in range(reps):  # alternating, so both sides see the same machine load
            t0, c0 = time.perf_counter(), time.process_time()
            m = pf.fepois(fml, direct, vcov={"CRV1": "pair"})
            times["pyfixest"].append((time.perf_counter() - t0, time.process_time() - c0))
            t0, c0 = time.perf_counter(), time.process_time()
            r = fit_gravity(d, SPEC)
            times["techties"].append((time.perf_counter() - t0, time.process_time() - c0))
            (pw, pc), (tw, tc) = times["pyfixest"][-1], times["techties"][-1]
            print(
                f"  round {rep + 1}: pyfixest {pw:6.2f} s wall {pc:6.2f} s CPU; techties {tw:6.2f} s "
                f"wall {tc:6.2f} s CPU; ratio {pw / tw:.2f}× wall {pc / tc:.2f}× CPU; load "
                + ", ".join(f"{v:.1f}" for v in os.getloadavg())
            )
    best = {k: min(v) for k, v in times.items()}
    db, ds = _max_diffs(r, m)
    print(f"  pyfixest.fepois direct : {best['pyfixest'][0]:6.2f} s  (N = {m._N:,})")
    print(
        f"  techties fit_gravity   : {best['techties'][0]:6.2f} s  (N = {r.nobs:,}, {r.model.iterations} IRLS steps)"
    )
    print(
        f"  speed-up pyfixest / techties (best wall) = {best['pyfixest'][0] / best['techties'][0]:.2f}×"
        f"  (target ≥ 2); max |Δ coef| = {db:.1e} (≤ 1e-8), max rel Δ SE = {ds:.1e} (≤ 1e-6)"
    )


def bench_sections(sections: int) -> None:
    from techties.models.products import fit_by_product

    spec = GravitySpec(**{**SPEC.__dict__, "regressors": ("rta",)})
    long = pd.concat(
        [gravity_panel(150, 8, seed=s).assign(section=s) for s in range(1, sections + 1)],
        ignore_index=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_by_product(long[long.section == 1], spec, "section", workers=1)  # warm-up (JIT)
        t0 = time.perf_counter()
        seq = fit_by_product(long, spec, "section", workers=1)
        t_seq = time.perf_counter() - t0
        workers = os.cpu_count() or 1
        t0 = time.perf_counter()
        par = fit_by_product(long, spec, "section", workers=workers)
        t_par = time.perf_counter() - t0
    assert all(abs(seq[k].coef("rta") - par[k].coef("rta")) < 1e-10 for k in seq)
    print(
        f"{sections} HS-section gravity fits (180,000 rows each), fit_by_product: one process "
        f"{t_seq:.2f} s; {workers} processes {t_par:.2f} s incl. worker start-up "
        f"(speedup {t_seq / t_par:.2f}×)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--reps", type=int, default=2, help="repeats at ≤ 1e6 rows (best kept)")
    ap.add_argument("--big-reps", type=int, default=1, help="repeats above 1e6 rows")
    ap.add_argument("--sections", type=int, default=8, help="0 skips the product benchmark")
    a = ap.parse_args()
    os.environ["PYTHONWARNINGS"] = "ignore"  # separation notes from the worker processes
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pf_warm = gravity_panel(40, 5)
        fit_gravity(pf_warm, SPEC)  # JIT / import warm-up for both paths
        fit_gravity(pf_warm, GravitySpec(**{**SPEC.__dict__, "irls": "pyfixest"}))
    for n in a.rows:
        bench_ppml(n, a.reps if n <= 1_000_000 else a.big_reps)
    if a.sections:
        bench_sections(a.sections)
