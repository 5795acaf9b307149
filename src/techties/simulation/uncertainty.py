"""Monte Carlo uncertainty of one-sector counterfactuals: coefficient and elasticity draws.

Each draw ``d`` takes gravity coefficients ``β_d ~ N(β̂, V)`` (the estimates and their
covariance, from the estimation layer) and, optionally, an elasticity of substitution
``σ_d ~ U[σ_lo, σ_hi]``; it rebuilds the partial effect ``ĉ_ij = exp(Σ_k β_dk Δx_kij)`` and
solves the full-endowment equilibrium. Percentiles over draws give the intervals.

Reproducibility: all draws are made up front from ``numpy.random.default_rng(seed)``, so the
result does not depend on the number of workers or on the engine. The draws are solved by
:func:`techties.simulation.parallel.solve_all`, as the scenario draws are: in this process
(``workers=1``), in a process pool (``workers > 1``), or as Spark tasks (``engine="spark"``,
``workers`` partitions). A draw that fails to converge raises
:class:`~techties.errors.SolverError` naming the draw (on Spark: one
:class:`~techties.errors.TaskFailedError` naming every failed draw).

The baseline flows are held fixed across draws (observed flows, or a fitted baseline built
once from the point estimates), unless ``levels`` are given: then each draw rebuilds the fitted
baseline at its own coefficients, as the Advanced Guide's procedure would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import ConfigError, SimulationInputError, SolverError, did_you_mean
from techties.results import Result, json_safe
from techties.simulation.onesector import (
    Imbalance,
    build_economy,
    equilibrium,
    fitted_flows,
)
from techties.simulation.onesector_result import _labels, _reference
from techties.simulation.options import SolverOptions
from techties.simulation.parallel import solve_all

MEASURES = ("real_gdp_pct", "welfare_pct")
PERCENTILES = (5.0, 50.0, 95.0)


@dataclass(frozen=True)
class OneSectorDraws(Result):
    """Distribution over draws of every country's welfare change (percent).

    ``real_gdp_pct`` is the Advanced Guide ``Ŷ/P̂ − 1``; ``welfare_pct`` is ge_gravity's
    ``Ê/P̂ − 1``. Rows of the arrays are draws, columns countries.
    """

    countries: list[str]
    real_gdp_pct: np.ndarray
    welfare_pct: np.ndarray
    terms: list[str]
    beta_draws: np.ndarray
    sigma_draws: np.ndarray
    seed: int | None
    sigma_range: tuple[float, float]
    iterations: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    title: str = "One-sector counterfactual: Monte Carlo intervals"

    @property
    def n_draws(self) -> int:
        return int(self.real_gdp_pct.shape[0])

    def tidy(self) -> pd.DataFrame:
        """Long table: country, measure, mean, std, p05, p50, p95, n_draws."""
        parts = []
        for measure in MEASURES:
            values = getattr(self, measure)
            p05, p50, p95 = np.percentile(values, PERCENTILES, axis=0)
            parts.append(
                pd.DataFrame(
                    {
                        "country": self.countries,
                        "measure": measure,
                        "mean": values.mean(axis=0),
                        "std": values.std(axis=0, ddof=1) if self.n_draws > 1 else np.nan,
                        "p05": p05,
                        "p50": p50,
                        "p95": p95,
                        "n_draws": self.n_draws,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def intervals(self, measure: str = "real_gdp_pct") -> pd.DataFrame:
        """One row per country: country, mean, p05, p50, p95 of ``measure``."""
        if measure not in MEASURES:
            raise ConfigError(
                f"measure {measure!r} is not known. " + did_you_mean(measure, MEASURES)
            )
        t = self.tidy()
        return t[t.measure == measure][["country", "mean", "p05", "p50", "p95"]].reset_index(
            drop=True
        )

    def summary(self) -> str:
        t = self.intervals().sort_values("p50")
        lo, hi = self.sigma_range
        sig = f"σ = {lo:g}" if lo == hi else f"σ ~ U[{lo:g}, {hi:g}]"
        first, last = t.iloc[0], t.iloc[-1]
        return (
            f"{self.title}: {self.n_draws:,} draws of {', '.join(self.terms)} and {sig}, "
            f"seed {self.seed}\nreal GDP change (Ŷ/P̂), % [p05, p95]: "
            f"lowest median {first.country} {first.p50:.2f} [{first.p05:.2f}, {first.p95:.2f}]; "
            f"highest {last.country} {last.p50:.2f} [{last.p05:.2f}, {last.p95:.2f}]"
        )

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(
            n_draws=self.n_draws,
            seed=self.seed,
            terms=self.terms,
            sigma_range=list(self.sigma_range),
            percentiles=list(PERCENTILES),
        )
        return json_safe(out)  # type: ignore[no-any-return]


def _coefficients(
    coefficients: Any, vcov: Any, covariates: Any, levels: Any = None
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Align estimates, covariance, covariate changes (and levels) on the drawn terms.

    The drawn terms are the changed ones followed by any further terms in ``levels``.
    """
    if isinstance(coefficients, Mapping) and "terms" in coefficients:
        all_terms = [str(t) for t in coefficients["terms"]]
        est = dict(zip(all_terms, np.asarray(coefficients["estimate"], dtype=float), strict=True))
        if vcov is None:
            vcov = coefficients.get("vcov")
    elif isinstance(coefficients, Mapping):
        all_terms = [str(t) for t in coefficients]
        est = {str(k): float(v) for k, v in coefficients.items()}
    else:
        raise SimulationInputError("coefficients must be a {term: estimate} mapping or the estimation dict")
    if vcov is None:
        raise SimulationInputError("no covariance matrix: pass vcov= or a coefficients dict with 'vcov'")
    v_all = np.asarray(vcov, dtype=float)
    if v_all.shape != (len(all_terms), len(all_terms)):
        raise SimulationInputError(f"vcov is {v_all.shape} but there are {len(all_terms)} coefficients")
    if not isinstance(covariates, Mapping) or (
        levels is not None and not isinstance(levels, Mapping)
    ):
        raise SimulationInputError("covariates (and levels) must map each term to an N×N array")
    terms = list(dict.fromkeys([str(t) for t in covariates] + [str(t) for t in levels or {}]))
    missing = [t for t in terms if t not in est]
    if missing:
        raise SimulationInputError(
            f"covariate {missing[0]!r} has no coefficient. " + did_you_mean(missing[0], est)
        )
    idx = [all_terms.index(t) for t in terms]
    shape = np.shape(next(iter(covariates.values()))) if covariates else (0, 0)

    def stack(source: Mapping[str, Any]) -> np.ndarray:
        return np.stack(
            [np.asarray(source[t], dtype=float) if t in source else np.zeros(shape) for t in terms]
        )

    dx = stack({str(k): v for k, v in covariates.items()})
    lx = None if levels is None else stack({str(k): v for k, v in levels.items()})
    return terms, np.array([est[t] for t in terms]), v_all[np.ix_(idx, idx)], dx, lx


def _linear(beta: np.ndarray, arrays: np.ndarray) -> np.ndarray:
    """``Σ_k β_k A_k`` for a stack of N×N arrays (elementwise; no BLAS threads)."""
    out = beta[0] * arrays[0]
    for k in range(1, arrays.shape[0]):
        out += beta[k] * arrays[k]
    return out


def _sigma_draws(
    sigma: float | Sequence[float], n: int, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[float, float]]:
    if isinstance(sigma, (int, float, np.floating)):
        return np.full(n, float(sigma)), (float(sigma), float(sigma))
    lo, hi = (float(s) for s in sigma)
    if not (1 < lo <= hi):
        raise ConfigError(f"sigma range must satisfy 1 < low ≤ high, got ({lo}, {hi})")
    return rng.uniform(lo, hi, n), (lo, hi)


def _solve_one(st: dict[str, Any], task: tuple[int, np.ndarray, float]) -> tuple[Any, ...]:
    """Draw ``k`` at coefficients ``beta`` and σ ``sigma``: (real GDP %, welfare %, iterations)
    of every country; ``st``: the inputs every draw shares (:func:`draw_onesector`)."""
    k, beta, sigma = task
    chat = np.exp(_linear(beta, st["dx"]))
    trade = st["trade"]
    if st["levels"] is not None:  # the Advanced Guide's baseline: fitted flows at β_d
        trade = fitted_flows(trade, np.exp(_linear(beta, st["levels"])), options=st["options"])
    eco = build_economy(
        trade,
        chat,
        sigma=sigma,
        tariff=st["tariff"],
        tariff_change=st["tariff_change"],
        imbalance=st["imbalance"],
        reference=st["reference"],
    )
    try:
        eq = equilibrium(eco, full=True, options=st["options"], stage=f"draw {k}")
    except SolverError as err:
        raise SolverError(
            f"{err.message} (β = {np.round(beta, 6).tolist()}, σ = {sigma:.4g})", hint=err.hint
        ) from None
    p_hat = eq.imr_hat
    gdp = 100 * (eq.output / eco.output / p_hat - 1)
    return gdp, 100 * (eq.spending / eco.spending / p_hat - 1), eq.iterations


def draw_onesector(
    trade: Any,
    covariates: Mapping[str, Any],
    coefficients: Any,
    vcov: Any = None,
    n_draws: int = 1_000,
    *,
    sigma: float | Sequence[float],
    seed: int | None = 0,
    workers: int | None = 1,
    tariff: Any = None,
    tariff_change: Any = None,
    imbalance: Imbalance = "multiplicative",
    reference: int | str | None = None,
    countries: Sequence[str] | None = None,
    options: SolverOptions | None = None,
    levels: Mapping[str, Any] | None = None,
    engine: str | None = None,
) -> OneSectorDraws:
    """Distribution of every country's welfare change over coefficient (and σ) draws.

    ``covariates`` maps each changed gravity term to its N×N change ``Δx`` (counterfactual minus
    baseline); ``coefficients`` is ``{term: estimate}`` or the estimation dict (``terms``,
    ``estimate``, ``vcov``); ``vcov`` is the covariance of all its terms (the block of the
    changed terms is used). ``sigma``: a number, or a ``(low, high)`` range drawn uniformly.
    ``workers``: processes (``None`` = all cores; 1 = in this process), or Spark partitions
    with ``engine="spark"`` (default: the ``engine`` setting; ``None`` = Spark's default
    parallelism). ``levels``: the N×N
    baseline levels of every pair term of the gravity model; when given, each draw rebuilds the
    baseline as the fitted flows ``a_i b_j exp(Σ_k β_dk x_kij)`` with the margins of ``trade``
    (the Advanced Guide's procedure, see :func:`fitted_flows`) instead of holding it fixed.
    """
    if isinstance(n_draws, bool) or not isinstance(n_draws, int) or n_draws < 1:
        raise ConfigError(f"n_draws must be a positive integer, got {n_draws!r}")
    terms, beta_hat, cov, dx, lx = _coefficients(coefficients, vcov, covariates, levels)
    x = np.asarray(trade, dtype=float)
    if dx.shape[1:] != x.shape:
        raise SimulationInputError(f"covariate changes are {dx.shape[1:]} but trade is {x.shape}")
    labels = _labels(countries, x.shape[0] if x.ndim == 2 else 0)
    opts = options or SolverOptions()
    rng = np.random.default_rng(seed)
    beta = rng.multivariate_normal(beta_hat, cov, size=n_draws, method="eigh")
    sig, sig_range = _sigma_draws(sigma, n_draws, rng)
    build_economy(
        x, None, sigma=sig_range[0], tariff=tariff, tariff_change=tariff_change, imbalance=imbalance
    )  # validate once, before any process starts
    state = {
        "trade": x,
        "dx": dx,
        "levels": lx,
        "options": opts,
        "imbalance": imbalance,
        "tariff": None if tariff is None else np.asarray(tariff, dtype=float),
        "tariff_change": None if tariff_change is None else np.asarray(tariff_change, dtype=float),
        "reference": _reference(reference if reference is not None else opts.reference, labels),
    }
    tasks = [(k, beta[k], float(sig[k])) for k in range(n_draws)]
    done = solve_all(_solve_one, state, tasks, workers=workers, engine=engine, what="draw")
    return OneSectorDraws(
        countries=labels,
        real_gdp_pct=np.stack([d[0] for d in done]),
        welfare_pct=np.stack([d[1] for d in done]),
        terms=terms,
        beta_draws=beta,
        sigma_draws=sig,
        seed=seed,
        sigma_range=sig_range,
        iterations=np.array([d[2] for d in done], dtype=int),
    )
