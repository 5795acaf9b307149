"""Build one-sector counterfactual inputs from a long gravity frame and estimated coefficients.

A gravity frame has one row per (exporter, importer) pair — domestic pairs included — with the
flow and the covariates of the estimated model. Coefficients come from the estimation layer as
``{"terms": [...], "estimate": [...], "vcov": [[...]], ...}`` (or a plain ``{term: estimate}``).

For a covariate change ``x → x'`` the partial effect on flows is ``ĉ_ij = exp(Σ_k β_k (x'_k − x_k))``.
The baseline is either the observed flows (``baseline="observed"``, as ``ge_gravity``) or the
model-implied flows ``a_i b_j exp(β·x_ij)`` with the observed margins (``baseline="fitted"``, as
the Advanced Guide: the PPML fitted values with exporter and importer fixed effects).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import ConfigError, DataWarning, SimulationInputError, did_you_mean
from techties.simulation.onesector import OneSectorResult, fitted_flows, solve_onesector

#: coefficient names that are not pair covariates (intercepts) and are ignored
INTERCEPTS = ("Intercept", "(Intercept)", "_cons", "const", "constant")
BASELINES = ("observed", "fitted")


def coefficient_map(coefficients: Mapping[str, Any]) -> dict[str, float]:
    """``{term: estimate}`` from the estimation layer's dict or a plain mapping."""
    if "terms" in coefficients and "estimate" in coefficients:
        terms, est = list(coefficients["terms"]), list(coefficients["estimate"])
        if len(terms) != len(est):
            raise SimulationInputError(
                f"coefficients have {len(terms)} terms but {len(est)} estimates",
                hint='expected {"terms": [...], "estimate": [...]} of equal length',
            )
        pairs = dict(zip(terms, est, strict=True))
    else:
        pairs = dict(coefficients)
    out: dict[str, float] = {}
    for k, v in pairs.items():
        try:
            out[str(k)] = float(v)
        except (TypeError, ValueError):
            raise SimulationInputError(f"coefficient {k!r} is {v!r}, expected a number") from None
    return out


def pair_codes(
    df: pd.DataFrame, index: list[str], *, exporter: str, importer: str
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions ``(i, j)`` of every frame row in the N×N layout (−1 if not in ``index``)."""
    pos = {label: k for k, label in enumerate(index)}

    def codes(column: pd.Series) -> np.ndarray:
        raw, uniques = pd.factorize(column)
        lookup = np.array([pos.get(str(u), -1) for u in uniques] + [-1], dtype=np.int64)
        return lookup[raw]  # raw −1 (missing) picks the trailing −1

    return codes(df[exporter]), codes(df[importer])


def pair_matrix(codes: tuple[np.ndarray, np.ndarray], values: Any, n: int, *, fill: float) -> np.ndarray:
    """N×N array (exporter × importer) of per-row ``values``; absent pairs get ``fill``."""
    e, i = codes
    keep = (e >= 0) & (i >= 0)
    out = np.full((n, n), fill, dtype=float)
    out[e[keep], i[keep]] = np.asarray(values, dtype=float)[keep]
    return out


def _countries(df: pd.DataFrame, exporter: str, importer: str, given: Sequence[str] | None) -> list[str]:
    found = sorted(set(df[exporter].astype(str).unique()) | set(df[importer].astype(str).unique()))
    if given is None:
        return found
    wanted = [str(c) for c in given]
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise SimulationInputError(f"countries not in the gravity frame: {', '.join(missing)}")
    return wanted


def _check_frame(df: pd.DataFrame, cols: Sequence[str], exporter: str, importer: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SimulationInputError(
            f"gravity frame lacks column(s) {', '.join(map(repr, missing))}. "
            + did_you_mean(missing[0], [str(c) for c in df.columns])
        )
    dup = df.duplicated([exporter, importer])
    if dup.any():
        row = int(np.argmax(dup.to_numpy()))
        raise SimulationInputError(
            f"{int(dup.sum())} duplicate (exporter, importer) pair(s) in the gravity frame; "
            f"first at row {row + 1:,} ({df[exporter].iloc[row]}, {df[importer].iloc[row]})",
            hint="keep one year (or aggregate) before simulating",
        )


def log_cost_change(
    df: pd.DataFrame, beta: Mapping[str, float], changes: Mapping[str, Any]
) -> np.ndarray:
    """Per-row ``Σ_k β_k (x'_k − x_k)`` for the changed covariates.

    Each value of ``changes`` is the counterfactual covariate: a scalar (for every row), the
    name of a column holding it, or an array/Series aligned with ``df``'s rows.
    """
    total = np.zeros(len(df))
    for term, new in changes.items():
        if term not in beta:
            raise SimulationInputError(
                f"changed covariate {term!r} has no coefficient. " + did_you_mean(term, beta)
            )
        if term not in df.columns:
            raise SimulationInputError(f"changed covariate {term!r} is not a column of the gravity frame")
        old = df[term].to_numpy(dtype=float)
        if isinstance(new, str):
            if new not in df.columns:
                raise SimulationInputError(f"counterfactual column {new!r} (for {term!r}) is not in the frame")
            new_v = df[new].to_numpy(dtype=float)
        else:
            new_v = np.broadcast_to(np.asarray(new, dtype=float), old.shape)
        total += beta[term] * (new_v - old)
    if not np.all(np.isfinite(total)):
        bad = int(np.argmax(~np.isfinite(total)))
        raise SimulationInputError(f"covariate change is not finite at row {bad + 1:,} of the gravity frame")
    return total


def solve_from_gravity(
    df: pd.DataFrame,
    coefficients: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    sigma: float,
    exporter: str = "exporter",
    importer: str = "importer",
    trade: str = "trade",
    baseline: str = "observed",
    countries: Sequence[str] | None = None,
    tariff: str | None = None,
    tariff_change: str | None = None,
    **solve_kwargs: Any,
) -> OneSectorResult:
    """Solve the one-sector counterfactual of ``changes`` to gravity covariates.

    ``changes`` maps a covariate to its counterfactual value (scalar, column name or row-aligned
    array), e.g. ``{"INTL_BRDR": 0}`` removes every international border. ``tariff`` and
    ``tariff_change`` name columns with baseline ad-valorem tariffs and their change (fractions).
    Pairs absent from ``df`` get zero trade and no shock (a :class:`DataWarning` counts them).
    Other keyword arguments go to :func:`solve_onesector` (``imbalance``, ``reference``, …).
    """
    if baseline not in BASELINES:
        raise ConfigError(f"baseline {baseline!r} is not known. " + did_you_mean(baseline, BASELINES))
    beta = coefficient_map(coefficients)
    cols = [exporter, importer, trade, *changes, *(c for c in (tariff, tariff_change) if c)]
    _check_frame(df, cols, exporter, importer)
    labels = _countries(df, exporter, importer, countries)
    codes = pair_codes(df, labels, exporter=exporter, importer=importer)
    n_absent = len(labels) ** 2 - int(((codes[0] >= 0) & (codes[1] >= 0)).sum())
    if n_absent:
        warnings.warn(
            f"{n_absent:,} exporter–importer pair(s) absent from the gravity frame were set to "
            "zero trade with no shock",
            DataWarning,
            stacklevel=2,
        )
    n = len(labels)
    x = pair_matrix(codes, df[trade], n, fill=0.0)
    chat = np.exp(pair_matrix(codes, log_cost_change(df, beta, changes), n, fill=0.0))
    if baseline == "fitted":
        x = fitted_flows(x, _gravity_term(df, beta, codes, n), options=solve_kwargs.get("options"))
    t0 = pair_matrix(codes, df[tariff], n, fill=0.0) if tariff else None
    dt = pair_matrix(codes, df[tariff_change], n, fill=0.0) if tariff_change else None
    return solve_onesector(
        x, chat, sigma=sigma, countries=labels, tariff=t0, tariff_change=dt, **solve_kwargs
    )


def _gravity_term(
    df: pd.DataFrame, beta: Mapping[str, float], codes: tuple[np.ndarray, np.ndarray], n: int
) -> np.ndarray:
    """``exp(Σ_k β_k x_k)`` over every coefficient that is a pair covariate (0 where absent)."""
    unknown = [t for t in beta if t not in df.columns and t not in INTERCEPTS]
    if unknown:
        raise SimulationInputError(
            f"coefficient(s) {', '.join(map(repr, unknown))} are not columns of the gravity frame, "
            "so the fitted baseline cannot be built",
            hint="pass only the pair covariates of the model (fixed effects are absorbed)",
        )
    index = sum((beta[t] * df[t].to_numpy(dtype=float) for t in beta if t in df.columns),
                start=np.zeros(len(df)))
    present = pair_matrix(codes, np.ones(len(df)), n, fill=0.0)
    return np.exp(pair_matrix(codes, index, n, fill=0.0)) * present
