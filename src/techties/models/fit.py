"""The thin layer over pyfixest shared by every techties model.

:func:`fit_fixest` validates names, drops incomplete rows and (for PPML) separated rows with
counts, calls ``pyfixest.feols``/``pyfixest.fepois`` and wraps the answer in a :class:`FitResult`
(``summary``/``tidy``/``to_dict``/``plot``, plus the covariance matrix). No estimation code is
re-implemented here: coefficients and standard errors are pyfixest's. PPML runs pyfixest's
Poisson fit with a warm-started IRLS loop by default (``irls="warm"``, see
:mod:`techties.models.ppml_fast`: same demeaner, same convergence rule, same covariance code,
fewer demeaning sweeps); ``irls="pyfixest"`` calls plain ``pyfixest.fepois``.

Standard-error conventions (stated in every result as ``se_type``):

- ``cluster``: cluster-robust CRV1 by the named column, pyfixest small-sample factor
  ``G/(G-1) · (N-1)/(N-K)`` (``ssc(k_adj=True, G_adj=True)``) — Stata's ``vce(cluster)``;
  ppmlhdfe omits ``(N-1)/(N-K)`` for Poisson, so its SEs are smaller by that factor.
- ``hetero``: HC1, ``N/(N-K)`` factor (Stata ``robust``).
- ``iid``: classical.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import DataWarning, ModelError, SeparationWarning, did_you_mean
from techties.models.allocator import reuse_freed_memory
from techties.models.separation import find_separated
from techties.results import TIDY_COLUMNS, Result, json_safe

ESTIMATORS = ("ppml", "ols")
SE_TYPES = ("cluster", "hetero", "iid")
#: how PPML's IRLS loop is run: "warm" (ppmlhdfe-style warm starts, :mod:`.ppml_fast`) or
#: "pyfixest" (plain ``pyfixest.fepois``); both give the same estimates and covariance
IRLS = ("warm", "pyfixest")


@dataclass
class FitResult(Result):
    """Coefficients, covariance and bookkeeping of one fit."""

    estimator: str
    formula: str
    table: pd.DataFrame
    vcov: np.ndarray
    nobs: int
    se_type: str
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_terms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    model: Any = field(default=None, repr=False)
    title: str = ""
    #: PPML fitted means per input row (NaN for rows not in the estimation sample)
    fitted: np.ndarray | None = field(default=None, repr=False)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def terms(self) -> list[str]:
        return list(self.table["term"])

    def _value(self, term: str, column: str) -> float:
        t = self.table.set_index("term")
        if term not in t.index:
            raise ModelError(f"term {term!r} is not in this fit", hint=did_you_mean(term, t.index))
        return float(t[column].to_numpy()[t.index.get_loc(term)])

    def coef(self, term: str) -> float:
        """Point estimate of ``term`` (ModelError when it is not in the fit)."""
        return self._value(term, "estimate")

    def se(self, term: str) -> float:
        """Standard error of ``term`` (convention in :attr:`se_type`)."""
        return self._value(term, "std_error")

    def summary(self) -> str:
        lines = [self.title or f"{self.estimator.upper()} fit", f"  formula: {self.formula}"]
        lines.append(f"  N = {self.nobs:,}; standard errors: {self.se_type}")
        for k, v in self.dropped.items():
            if v:
                lines.append(f"  dropped {v:,} rows ({k})")
        if self.dropped_terms:
            lines.append(f"  dropped collinear terms: {', '.join(self.dropped_terms)}")
        for r in self.table.itertuples():
            lines.append(
                f"  {r.term:<24} {r.estimate:>10.4f}  ({r.std_error:.4f})  p={r.p_value:.3f}"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(
            estimator=self.estimator,
            formula=self.formula,
            nobs=self.nobs,
            se_type=self.se_type,
            dropped=self.dropped,
            dropped_terms=self.dropped_terms,
            notes=self.notes,
            vcov=json_safe(self.vcov),
        )
        return out

    def plot(self) -> Any:
        """Coefficient plot: point estimates with 95 % confidence intervals."""
        import altair as alt

        from techties import charts

        t = self.table
        base = alt.Chart(t).encode(y=alt.Y("term:N", sort=None, title=None))
        bars = base.mark_rule(color=charts.PALETTE[1]).encode(
            x=alt.X("conf_low:Q", title="estimate (95 % CI)"), x2="conf_high:Q"
        )
        dots = base.mark_point(filled=True, color=charts.PALETTE[0]).encode(x="estimate:Q")
        zero = alt.Chart(alt.Data(values=[{"x": 0}])).mark_rule(color="#888").encode(x="x:Q")
        return charts.finish(
            bars + dots + zero,
            title=self.title or "Coefficients",
            subtitle=f"{self.estimator.upper()}, N = {self.nobs:,}; SE: {self.se_type}",
        )


def check_columns(data: pd.DataFrame, names: Sequence[str], what: str) -> None:
    """ModelError naming the first missing column (with a did-you-mean)."""
    for n in names:
        if n not in data.columns:
            raise ModelError(
                f"{what} {n!r} is not a column of the data",
                hint=did_you_mean(n, map(str, data.columns)),
            )


def se_description(se: str, cluster: str | None) -> str:
    if se == "cluster":
        return f"cluster-robust (CRV1) by {cluster}, small-sample factor G/(G-1)·(N-1)/(N-K)"
    if se == "hetero":
        return "heteroskedasticity-robust HC1, factor N/(N-K)"
    return "classical (iid)"


def _vcov_arg(se: str, cluster: str | None) -> Any:
    if se not in SE_TYPES:
        raise ModelError(f"unknown standard-error type {se!r}", hint=did_you_mean(se, SE_TYPES))
    if se == "cluster":
        if not cluster:
            raise ModelError("se='cluster' needs a cluster column")
        return {"CRV1": cluster}
    return se


def _drop_incomplete(data: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, int]:
    num = data[cols]
    bad = num.isna().any(axis=1)
    for c in cols:
        if pd.api.types.is_numeric_dtype(num[c]):
            bad |= ~np.isfinite(num[c].astype(float))
    n_bad = int(bad.sum())
    return (data.loc[~bad] if n_bad else data), n_bad


@reuse_freed_memory()
def fit_fixest(
    data: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    fixed_effects: Sequence[str] = (),
    *,
    estimator: str = "ppml",
    se: str = "hetero",
    cluster: str | None = None,
    separation: str = "full",
    title: str = "",
    fixef_tol: float = 1e-6,
    irls: str = "warm",
    start: np.ndarray | None = None,
) -> FitResult:
    """Fit ``outcome ~ regressors | fixed_effects`` by PPML or OLS with pyfixest.

    Rows with missing/non-finite values in used columns are dropped (DataWarning with the count).
    For PPML the outcome must be ≥ 0 and not all zero; separated rows (see
    :mod:`techties.models.separation`) are dropped with a SeparationWarning giving the counts.
    Collinear regressors that pyfixest drops are listed in ``dropped_terms`` (DataWarning).
    ``irls`` picks the PPML loop (:data:`IRLS`); ``start`` gives warm-loop starting means, one
    per row of ``data`` (e.g. a previous fit's on the same rows), ignored by ``"pyfixest"``.
    """
    if estimator not in ESTIMATORS:
        raise ModelError(
            f"unknown estimator {estimator!r}", hint=did_you_mean(estimator, ESTIMATORS)
        )
    if irls not in IRLS:
        raise ModelError(f"unknown IRLS loop {irls!r}", hint=did_you_mean(irls, IRLS))
    if start is not None and len(start) != len(data):
        raise ModelError(
            f"start has {len(start):,} values for {len(data):,} rows",
            hint="give one starting mean per row of the data",
        )
    regressors, fixed_effects = list(regressors), list(fixed_effects)
    check_columns(data, [outcome], "outcome")
    check_columns(data, regressors, "regressor")
    check_columns(data, fixed_effects, "fixed effect")
    vcov = _vcov_arg(se, cluster)
    if cluster:
        check_columns(data, [cluster], "cluster column")
    used = list(
        dict.fromkeys([outcome, *regressors, *fixed_effects, *([cluster] if cluster else [])])
    )
    sub = data[used].assign(_row=np.arange(len(data)))
    if start is not None:
        sub["_start"] = np.asarray(start, dtype=float)
    frame, n_missing = _drop_incomplete(sub, used)
    dropped = {"missing values": n_missing}
    if n_missing:
        warnings.warn(
            f"{n_missing:,} rows with missing or non-finite values dropped",
            DataWarning,
            stacklevel=2,
        )
    if frame.empty:
        raise ModelError(
            "no complete rows left to estimate on", hint="check the columns for missing values"
        )
    frame = frame.reset_index(drop=True)
    if estimator == "ppml":
        frame, dropped = _ppml_checks(
            frame, outcome, regressors, fixed_effects, separation, dropped
        )
    mu0 = frame.pop("_start").to_numpy() if start is not None else None
    fml = f"{outcome} ~ " + (" + ".join(regressors) if regressors else "1")
    if fixed_effects:
        fml += " | " + " + ".join(fixed_effects)
    model = _call_pyfixest(fml, frame, estimator, vcov, fixef_tol, irls, mu0)
    fit = _wrap(model, fml, estimator, se, cluster, regressors, dropped, title, len(frame))
    if estimator == "ppml":
        fit.fitted = np.full(len(data), np.nan)
        rows = model._data["_row"].to_numpy()
        fit.fitted[rows] = np.asarray(model._Y_hat_response, dtype=float)
    return fit


def _ppml_checks(
    frame: pd.DataFrame,
    outcome: str,
    regressors: list[str],
    fixed_effects: list[str],
    separation: str,
    dropped: dict[str, int],
) -> tuple[pd.DataFrame, dict[str, int]]:
    y = frame[outcome].to_numpy(dtype=float)
    if (y < 0).any():
        raise ModelError(
            f"PPML needs a non-negative outcome; {outcome!r} has {int((y < 0).sum()):,} negative values",
            hint="use the level of trade (not its log) and check the sign of the data",
        )
    if not (y > 0).any():
        raise ModelError(f"outcome {outcome!r} is zero in every row: nothing to estimate")
    sep, counts = find_separated(frame, outcome, regressors, fixed_effects, method=separation)
    dropped = {
        **dropped,
        "separated (fixed effects)": counts["fe"],
        "separated (regressors)": counts["lp"],
    }
    if sep.any():
        warnings.warn(
            f"{int(sep.sum()):,} separated observations dropped ({counts['fe']:,} in all-zero "
            f"fixed-effect groups, {counts['lp']:,} separated by regressors)",
            SeparationWarning,
            stacklevel=3,
        )
    return (frame.loc[~sep].reset_index(drop=True) if sep.any() else frame), dropped


def _call_pyfixest(
    fml: str,
    frame: pd.DataFrame,
    estimator: str,
    vcov: Any,
    fixef_tol: float,
    irls: str = "warm",
    start: np.ndarray | None = None,
) -> Any:
    import pyfixest as pf

    from techties.models.ppml_fast import fepois_warm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if estimator == "ppml" and irls == "warm":
                return fepois_warm(
                    fml,
                    frame,
                    start=start,
                    vcov=vcov,
                    separation_check=[],
                    fixef_tol=fixef_tol,
                    iwls_tol=1e-8,
                    copy_data=False,
                )
            if estimator == "ppml":
                return pf.fepois(
                    fml,
                    frame,
                    vcov=vcov,
                    separation_check=[],
                    fixef_tol=fixef_tol,
                    iwls_tol=1e-8,
                    copy_data=False,
                )
            return pf.feols(fml, frame, vcov=vcov, fixef_tol=fixef_tol, copy_data=False)
    except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
        raise ModelError(f"pyfixest could not fit {fml!r}: {exc}") from exc


def _wrap(
    model: Any,
    fml: str,
    estimator: str,
    se: str,
    cluster: str | None,
    regressors: list[str],
    dropped: dict[str, int],
    title: str,
    n_in: int,
) -> FitResult:
    t = model.tidy().reset_index()
    t.columns = list(TIDY_COLUMNS)
    t["term"] = t["term"].astype(str)
    kept = set(t["term"])
    lost = [r for r in regressors if r not in kept]
    if lost:
        warnings.warn(f"collinear regressors dropped: {', '.join(lost)}", DataWarning, stacklevel=3)
    if regressors and not kept:
        raise ModelError("every regressor is collinear with the fixed effects; nothing identified")
    nobs = int(model._N)
    if n_in - nobs:
        dropped = {**dropped, "singleton fixed-effect groups": n_in - nobs}
    return FitResult(
        title=title,
        estimator=estimator,
        formula=fml,
        table=t,
        vcov=np.asarray(model._vcov, dtype=float),
        nobs=nobs,
        se_type=se_description(se, cluster),
        dropped=dropped,
        dropped_terms=lost,
        model=model,
    )
