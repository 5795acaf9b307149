"""Product-by-product gravity: one PPML per product (HS section, chapter …), on all cores.

:func:`fit_by_product` splits a long panel (one row per product, exporter, importer, year) by
``by``, fits ``spec`` on every product with :func:`~techties.models.gravity.fit_gravity` and
returns the fits keyed by product. Work shared between products:

- cores: within one process pyfixest's Rust demeaner already uses every core; with
  ``workers > 1`` the products are cut into contiguous chunks, one per spawned process with one
  numba/BLAS/rayon thread each (no oversubscription);
- starting values (``share_start=True``, off by default): inside a chunk, a product whose rows are the same (exporter, importer, year)
  cells as the previous product's starts IRLS from the previous fitted means, rescaled to this
  product's total and averaged with its outcome (the shape of pyfixest's own start,
  ``(y + ȳ)/2``). The optimum does not depend on the start, only the iteration path does;
- one process per chunk, not per product: imports and numba compilation are paid once per
  worker.

With the default settings every fit is the fit of that product alone (tests check
coefficients and standard errors).

Results are returned without the pyfixest model object (``model=None``) so that they can cross
process boundaries.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing as mp
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from techties import config
from techties.errors import ConfigError, ModelError
from techties.models.fit import check_columns
from techties.models.gravity import GravityResult, GravitySpec, fit_gravity

_THREAD_VARS = (
    "NUMBA_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "RAYON_NUM_THREADS",
)


def _one_thread() -> None:
    """Worker initializer: one numba/BLAS thread per process (the pool supplies parallelism)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"


def shared_start(previous: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Starting means for ``y`` from a fit on the same cells: ``(y + s·μ_prev)/2``.

    ``s = Σy / Σμ_prev`` over rows with a previous fitted mean; rows without one (dropped from the
    previous sample) get pyfixest's own start ``(y + ȳ)/2``.
    """
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(previous) & (previous > 0)
    scale = y[ok].sum() / previous[ok].sum() if ok.any() and previous[ok].sum() > 0 else 1.0
    base = np.where(ok, scale * np.where(ok, previous, 0.0), np.nanmean(y))
    out = (y + base) / 2
    fallback = (y + np.nanmean(y)) / 2
    return np.where(np.isfinite(out) & (out > 0), out, fallback)


def _strip(r: GravityResult) -> GravityResult:
    return replace(r, model=None)


def _fit_chunk(
    parts: list[tuple[Any, pd.DataFrame]], spec: GravitySpec, share_start: bool
) -> list[tuple[Any, GravityResult]]:
    keys = [spec.exporter, spec.importer, spec.year]
    out: list[tuple[Any, GravityResult]] = []
    prev_cells: pd.DataFrame | None = None
    prev_fit: np.ndarray | None = None
    for product, part in parts:
        cells = part[keys].reset_index(drop=True)
        start = None
        same = prev_cells is not None and cells.equals(prev_cells)
        if share_start and same and prev_fit is not None:
            start = shared_start(prev_fit, part[spec.outcome].to_numpy())
        r = fit_gravity(part, spec, start=start)
        out.append((product, _strip(r)))
        prev_cells, prev_fit = cells, r.fitted
    return out


def _fit_one(part: pd.DataFrame, spec: GravitySpec) -> GravityResult:
    """One product's fit from its rows in any order (a Spark task's group)."""
    order = [spec.exporter, spec.importer, spec.year]
    return _strip(fit_gravity(part.sort_values(order, kind="stable").reset_index(drop=True), spec))


def fit_by_product(
    data: pd.DataFrame,
    spec: GravitySpec,
    by: str,
    *,
    products: Sequence[Any] | None = None,
    workers: int = 1,
    share_start: bool = False,
    engine: str | None = None,
) -> dict[Any, GravityResult]:
    """Fit ``spec`` separately for every value of ``by``; returns ``{product: fit}``.

    ``products``: the products to fit, in this order (default: every value, sorted);
    ``workers``: processes (default 1, in this process: pyfixest's Rust demeaner already runs
    on every core within one fit, and on a 2-core machine a pool measured slower — see
    docs/models.md; more workers pay off with spare cores and many small products);
    ``share_start``: warm-start a product from the previous one on the same cells (off by default:
    on generated panels it saved no time, and because pyfixest's covariance uses the weights of
    the last IRLS step, a different path moves standard errors by up to ~1e-6 relative).
    Rows of each product are taken in (exporter, importer, year) order.
    ``engine``: ``spark`` fits each product in a Spark task
    (:func:`techties.spark.jobs.apply_by_key`; a failing product raises one
    :class:`~techties.errors.TaskFailedError` naming it, holding the other fits); default the
    ``engine`` setting (``duckdb``: this process or ``workers`` processes).
    """
    check_columns(data, [by], "product column")
    present = pd.unique(data[by])
    wanted = sorted(present) if products is None else list(products)
    missing = [p for p in wanted if p not in set(present)]
    if missing:
        raise ModelError(f"products not in column {by!r}: {missing[:5]}", hint="check the codes")
    order = [spec.exporter, spec.importer, spec.year]
    check_columns(data, order, "column")
    if config.engine(engine) == "spark":
        if share_start:
            raise ConfigError("share_start needs the local engine (products in one chunk).")
        from techties.spark.jobs import apply_by_key

        fit = functools.partial(_fit_one, spec=spec)
        return apply_by_key(data, by, fit, keys=wanted).complete("product fit")
    groups = dict(iter(data.groupby(by, sort=False)))
    parts = [
        (p, groups[p].sort_values(order, kind="stable").reset_index(drop=True)) for p in wanted
    ]
    n = max(1, min(workers, len(parts)))
    if n == 1:
        return dict(_fit_chunk(parts, spec, share_start))
    bounds = np.linspace(0, len(parts), n + 1).round().astype(int)
    chunks = [parts[a:b] for a, b in itertools.pairwise(bounds)]
    # spawn, not fork: forking after numba/BLAS threads start can deadlock the workers
    with ProcessPoolExecutor(
        max_workers=n, mp_context=mp.get_context("spawn"), initializer=_one_thread
    ) as pool:
        done = pool.map(_fit_chunk, chunks, [spec] * n, [share_start] * n)
        return {p: r for chunk in done for p, r in chunk}
