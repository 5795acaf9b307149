"""Benchmark of techties' estimation layer (not run by the test suite).

1. 3-way fixed-effect PPML (exporter-year, importer-year, pair) on a generated gravity panel of
   1,000,000 rows: ``techties.models.gravity.fit_gravity`` against calling ``pyfixest.fepois``
   directly on the same data (with the fixed-effect ids already built for it), in the same run.
   Target: wrapper / direct ≤ 1.1. The wrapper is run with ``separation="fe"`` — the same
   separation check pyfixest runs by default — and the extra cost of the full (rectifier)
   check is printed separately.
2. Product-by-product gravity: one PPML per HS section as independent jobs, sequential vs a
   ``ProcessPoolExecutor`` using all cores; prints the speedup.

Run: ``.venv/bin/python benchmarks/bench_models.py [--rows 1000000] [--sections 16]``
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

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
        }
    )


SPEC = GravitySpec(
    regressors=("rta",),
    fixed_effects=("exporter_time", "importer_time", "pair"),
    separation="fe",
    symmetric_pair=False,
)


def bench_wrapper(rows: int) -> None:
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pf.fepois("trade ~ rta | et + it + pair", direct.head(20_000))  # JIT warm-up
        times: dict[str, list[float]] = {"pyfixest": [], "techties": []}
        for _ in range(2):
            t0 = time.perf_counter()
            m = pf.fepois("trade ~ rta | et + it + pair", direct, vcov={"CRV1": "pair"})
            times["pyfixest"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r = fit_gravity(d, SPEC)
            times["techties"].append(time.perf_counter() - t0)
    best = {k: min(v) for k, v in times.items()}
    print(f"pyfixest.fepois direct : {best['pyfixest']:.2f} s  (rta = {m.coef().iloc[0]:.4f})")
    print(f"techties fit_gravity   : {best['techties']:.2f} s  (rta = {r.coef('rta'):.4f})")
    print(f"ratio techties / pyfixest = {best['techties'] / best['pyfixest']:.3f}  (target ≤ 1.1)")
    full = GravitySpec(**{**SPEC.__dict__, "separation": "full"})
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_gravity(d, full)
    print(f"with the full separation check (rectifier): {time.perf_counter() - t0:.2f} s")


def _section_job(seed: int) -> float:
    d = gravity_panel(90, 8, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_gravity(d, SPEC).coef("rta")


def _one_thread() -> None:
    """Worker initializer: one numba/BLAS thread per process (the pool supplies parallelism)."""
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


def bench_sections(sections: int) -> None:
    seeds = list(range(1, sections + 1))
    _section_job(0)  # warm-up (JIT)
    t0 = time.perf_counter()
    seq = [_section_job(s) for s in seeds]
    t_seq = time.perf_counter() - t0
    workers = os.cpu_count() or 1
    # spawn, not fork: forking after numba/BLAS threads start can deadlock the workers
    t0 = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_one_thread
    ) as pool:
        list(pool.map(_section_job, [0] * workers))  # start + JIT-compile every worker
        t_start = time.perf_counter() - t0
        t1 = time.perf_counter()
        par = list(pool.map(_section_job, seeds))
        t_par = time.perf_counter() - t1
    assert np.allclose(seq, par)
    print(
        f"{sections} HS-section gravity fits (64,800 rows each): sequential {t_seq:.2f} s; "
        f"{workers} processes {t_par:.2f} s once started (speedup {t_seq / t_par:.2f}×), "
        f"worker start-up + JIT {t_start:.2f} s (speedup incl. start-up "
        f"{t_seq / (t_par + t_start):.2f}×)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--sections", type=int, default=24)
    a = ap.parse_args()
    bench_wrapper(a.rows)
    bench_sections(a.sections)
