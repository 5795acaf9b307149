"""Warm-started PPML: pyfixest's Poisson fit with the IRLS loop of ppmlhdfe.

pyfixest's ``fepois`` absorbs the fixed effects from scratch at every IRLS step. ppmlhdfe
(Correia, Guimarães & Zylkin 2020, *Fast Poisson estimation with high-dimensional fixed
effects*, §3.2) instead starts each step's alternating projections from the previous step's
solution. Absorbing the fixed effects is the weighted projection ``M_w v = v − D α̂_w(v)`` onto
the complement of the dummies ``D``; it annihilates ``D``, so for any ``a``

    M_w (v − D a) = M_w v.

The previous step left ``z̃_{t−1} = z_{t−1} − D a_z`` and ``X̃_{t−1} = X − D a_X``, hence

    M_w z_t = M_w (z̃_{t−1} + (z_t − z_{t−1}))     and     M_w X = M_w X̃_{t−1}:

the same answer, but the input already has the previous fixed effects removed, so the demeaner
(pyfixest's own, unchanged — only its input differs) only has to remove the *change*, which
shrinks as IRLS converges. Every step is absorbed to pyfixest's tolerance (``fixef_tol``);
ppmlhdfe's tenfold tightening as the deviance converges was tried and dropped: it cost 10–15 %
at 1e6 rows and moved neither the coefficients nor the standard errors relative to
pyfixest's (3e-13 and 1.5e-9 either way).

Everything else is pyfixest's: the singleton dropping, the collinearity check,
the deviance criterion ``|D_t − D_{t−1}| / (0.1 + |D_{t−1}|) < iwls_tol`` (fixest's), and the
covariance matrix (``vcov``/``get_inference`` run on the attributes this loop leaves, exactly
as after pyfixest's own loop). :class:`WarmFepois` is substituted for pyfixest's ``Fepois``
class for the duration of one :func:`fepois_warm` call. For formulas that only name columns
(the ones techties builds) the model matrix is taken from the columns without pyfixest's
formula machinery (:meth:`WarmFepois.prepare_model_matrix`, same attributes), and the loop
skips pyfixest's exact no-ops (zero offset, unit weights): given the same demeaner output it
computes pyfixest's numbers bit for bit.

Guard: a panic inside pyfixest's Rust demeaner (an out-of-bounds row index) aborts the whole
interpreter — it cannot be caught. :func:`guarded_demean` checks the inputs that trigger it
(and weights that would give NaN) first and raises a :class:`~techties.errors.ModelError`.
"""

from __future__ import annotations

import contextlib
import keyword
import re
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from pyfixest.core.crv1 import crv1_meat_loop
from pyfixest.core.detect_singletons import detect_singletons
from pyfixest.core.nested_fixed_effects import count_fixef_fully_nested_all
from pyfixest.estimation.formula.model_matrix import create_model_matrix
from pyfixest.estimation.internals.demean_ import dispatch_demean
from pyfixest.estimation.internals.solvers import solve_ols
from pyfixest.estimation.internals.vcov_utils import (
    _check_cluster_df,
    _compute_bread,
    _count_G_for_ssc_correction,
    _get_cluster_df,
)
from pyfixest.estimation.models.feols_ import (
    _check_vcov_input,
    _deparse_vcov_input,
    _drop_multicollinear_variables,
)
from pyfixest.estimation.models.fepois_ import Fepois
from pyfixest.utils.dev_utils import _check_series_or_dataframe
from pyfixest.utils.utils import get_ssc
from scipy.special import gammaln

from techties.errors import ModelError

# No looser tolerance in the first steps (ppmlhdfe's ``start_inner_tol``): it changes the IRLS
# path, and pyfixest's covariance uses the weights of the last step's *start*, so a different
# path moves standard errors by up to 2e-5 relative on the ppmlhdfe separation cases.

_LOCK = threading.RLock()
_STATE = threading.local()


def check_demean_inputs(x: np.ndarray, flist: np.ndarray, weights: np.ndarray) -> None:
    """ModelError for inputs on which pyfixest's Rust demeaner would abort the process.

    The Rust code indexes the weights and the fixed-effect ids by row without bounds checks
    that Python can catch: a row-count mismatch panics inside a worker thread, and the panic
    aborts the whole interpreter (SIGABRT, no exception). Non-finite or non-positive weights do
    not crash it but silently return NaN.
    """
    n = x.shape[0]
    if flist.ndim != 2 or flist.shape[0] != n or weights.shape != (n,):
        raise ModelError(
            f"fixed-effect absorption got {n:,} rows of data, {flist.shape[0]:,} rows of "
            f"fixed-effect ids and {weights.size:,} weights",
            hint="the three must describe the same rows",
        )
    if n and not (np.isfinite(weights).all() and (weights > 0).all()):
        bad = int((~np.isfinite(weights) | (weights <= 0)).sum())
        raise ModelError(
            f"fixed-effect absorption got {bad:,} non-finite or non-positive weights",
            hint="check the outcome for overflow (fitted means of 0 or inf)",
        )


def guarded_demean(
    x: np.ndarray, flist: np.ndarray, weights: np.ndarray, demeaner: Any, cached: Any = None
) -> tuple[np.ndarray, bool, Any]:
    """pyfixest's ``dispatch_demean`` after :func:`check_demean_inputs`."""
    check_demean_inputs(x, flist, weights)
    return dispatch_demean(
        x=x, flist=flist, weights=weights, demeaner=demeaner, cached_preconditioner=cached
    )


def unit_weight_deviance(y: np.ndarray, mu: np.ndarray, pos: np.ndarray) -> float:
    """pyfixest's ``_compute_deviance(y, mu)``, bit for bit, with less work.

    ``2 Σ w (y ln(y/μ) − (y − μ))`` with ``w = 1`` (multiplying by 1 is exact) and
    ``y ln(y/μ) = 0`` where ``y = 0``: the logarithm is taken on the rows ``pos`` where
    ``y > 0`` only (most gravity flows are zero), and the sum runs over the same full-length
    array in the same order as pyfixest's. ``y`` and ``mu`` flat; unit weights only
    (:meth:`WarmFepois._irls` uses pyfixest's otherwise).
    """
    y_pos = y[pos]
    log_part = y_pos / mu[pos]
    np.log(log_part, out=log_part)
    log_part *= y_pos
    terms = np.zeros(y.shape)
    terms[pos] = log_part
    terms -= y - mu
    return float(2 * np.sum(terms))


def _plain_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and name != "Intercept"


class WarmFepois(Fepois):
    """pyfixest's ``Fepois`` with a warm-started IRLS loop (see the module docstring)."""

    def _plain_design(self) -> tuple[str, list[str], list[str]] | None:
        """(outcome, regressors, fixed effects) when the model matrix is just columns.

        That is: ``y ~ x1 + … | f1 + …`` naming float64 columns (integer ones for the fixed
        effects) with finite values, no weights, offset, instruments or separation check —
        the formulas techties builds. Anything else (None) goes through pyfixest's formula
        machinery.
        """
        f = self.FixestFormula
        if (
            f._first_stage is not None
            or not f.fixed_effects
            or self._weights_name is not None
            or self._offset_name is not None
            or self.separation_check
            or self._drop_intercept
        ):
            return None
        lhs, rhs = re.split(r"\s*~\s*", f._second_stage, maxsplit=1)
        y, xs = lhs.strip(), [t.strip() for t in rhs.split("+")]
        fes = [t.strip() for t in f.fixed_effects.split("+")]
        names = [y, *xs, *fes]
        data = self._data
        if (
            not all(map(_plain_name, names))
            or len(set(names)) != len(names)
            or not all(n in data.columns for n in names)
            or not all(data[n].dtype == np.float64 for n in [y, *xs])
            or not all(pd.api.types.is_integer_dtype(data[n]) for n in fes)
            or not np.isfinite(data[[y, *xs]].to_numpy()).all()
        ):
            return None
        return y, xs, fes

    def prepare_model_matrix(self) -> None:
        """pyfixest's ``prepare_model_matrix``, without its formula machinery when it can.

        For a :meth:`_plain_design` the outcome, regressor and fixed-effect columns are taken
        from the data directly: fixed effects factorised to ``int32`` codes named
        ``__fixed_effect__(f)``, singleton rows dropped (pyfixest's ``detect_singletons``)
        and every attribute set as pyfixest's code sets it (tests compare them all). The
        column order and the formulaic model spec come from pyfixest's own model matrix of
        the first 50 rows. Otherwise pyfixest's own method runs.
        """
        plain = self._plain_design()
        if plain is None:
            Fepois.prepare_model_matrix(self)
            return
        data = self._data
        data.reset_index(drop=True, inplace=True)
        # column names and order (formulaic may reorder terms) and the model spec, from the
        # formula machinery on the first rows
        head = create_model_matrix(
            formula=self.FixestFormula,
            data=data.iloc[:50].copy(),
            drop_singletons=False,
            drop_intercept=self._drop_intercept,
            context=self._context,
        )
        y = head.dependent.columns[0]
        xs = list(head.independent.columns)
        fe_names = list(head.fixed_effects.columns)  # type: ignore[union-attr]
        by_name = {f"__fixed_effect__({f})": f for f in plain[2]}
        if sorted(xs) != sorted(plain[1]) or sorted(fe_names) != sorted(by_name):
            Fepois.prepare_model_matrix(self)
            return
        columns: dict[str, Any] = {n: data[n] for n in [y, *xs]}
        for name in fe_names:
            columns[name] = pd.factorize(data[by_name[name]])[0].astype(np.int32)
        design = pd.DataFrame(columns, index=data.index)
        dropped: list[int] = []
        if self._drop_singletons:
            single = detect_singletons(design[fe_names].to_numpy())
            if single.any():
                dropped = np.flatnonzero(single).tolist()
                design = design.loc[~single]
                data.drop(dropped, inplace=True)
                warnings.warn(
                    f"{int(single.sum())} singleton fixed effect(s) dropped from the model.",
                    stacklevel=2,
                )
        self._Y = design[[y]]  # type: ignore[assignment]
        self._Y_untransformed = self._Y.copy()  # type: ignore[assignment]
        self._X = design[xs]
        self._fe = design[fe_names]
        self._endogvar = None
        self._Z = None
        self._weights_df = None
        self._offset_df = None
        self._na_index = frozenset(dropped)
        self._icovars = None
        self._X_is_empty = not self._X.shape[0] > 0
        self._model_spec = head.model_spec
        self._coefnames = list(xs)
        self._coefnames_z = None
        self._depvar = y
        self._has_fixef = True
        self._fixef = self.FixestFormula.fixed_effects
        self._k_fe = self._fe.nunique(axis=0)
        self._n_fe = len(self._k_fe)
        self._weights = self._set_weights()
        self._N, self._N_rows = self._set_nobs()
        # Fepois.prepare_model_matrix's own part (its separation check is off here)
        self._Y = _check_series_or_dataframe(self._Y)  # type: ignore[arg-type]
        if np.any(self._Y < 0):
            raise ValueError("The dependent variable must be a weakly positive number.")

    def vcov(self, vcov: Any, vcov_kwargs: Any = None, data: Any = None) -> Any:
        """pyfixest's ``vcov``; one-way CRV1 without its sort of the cluster codes.

        For ``{"CRV1": column}`` this is pyfixest's CRV branch step for step (same helpers,
        same Rust meat loop, same attributes) except that the cluster ids handed to the meat
        loop are ``arange(G)`` instead of ``np.unique`` of the factorised cluster codes: the
        codes of ``pd.factorize`` on a column without missing values (checked first, as
        pyfixest does) are exactly ``0 … G−1``, so the array is the same and the sort of
        N codes (0.3–0.5 s at 4e6 rows) is skipped. Anything else goes to pyfixest's method.
        """
        one_way = (
            isinstance(vcov, dict)
            and list(vcov) == ["CRV1"]
            and isinstance(vcov["CRV1"], str)
            and "+" not in vcov["CRV1"]
        )
        if not one_way or vcov_kwargs or self._is_iv or data is None:
            return Fepois.vcov(self, vcov, vcov_kwargs=vcov_kwargs, data=data)
        _check_vcov_input(vcov=vcov, vcov_kwargs=vcov_kwargs, data=self._data)
        (self._vcov_type, self._vcov_type_detail, self._is_clustered, self._clustervar) = (
            _deparse_vcov_input(vcov, self._has_fixef, self._is_iv)
        )
        self._bread = _compute_bread(self._is_iv, self._tXZ, self._tZZinv, self._tZX, self._hessian)
        self._lag = self._time_id = self._panel_id = self._is_sorted = None
        self._cluster_df = _get_cluster_df(data=data, clustervar=self._clustervar)
        _check_cluster_df(cluster_df=self._cluster_df, data=data)
        self._G = _count_G_for_ssc_correction(cluster_df=self._cluster_df, ssc_dict=self._ssc_dict)
        codes = pd.factorize(self._cluster_df[self._cluster_df.columns[0]])[0]
        k_fe_nested, n_fully_nested = 0, 0
        if self._fixef is not None and self._ssc_dict["k_fixef"] == "nonnested":
            fe: Any = self._fe.to_numpy() if isinstance(self._fe, pd.DataFrame) else self._fe
            flags, n_fully_nested = count_fixef_fully_nested_all(
                all_fixef_array=np.array(self._fixef.replace("^", "_").split("+"), dtype=str),
                cluster_colnames=np.array(self._cluster_df.columns, dtype=str),
                cluster_data=codes.reshape((-1, 1)).astype(np.uintp),
                fe_data=fe.astype(np.uintp),
            )
            k_fe_nested = np.sum(self._k_fe[flags]) if n_fully_nested > 0 else 0
        ssc, self._df_k, df_t = get_ssc(
            ssc_dict=self._ssc_dict,
            N=self._N,
            k=self._k,
            k_fe=self._k_fe.sum() if self._has_fixef else 0,  # type: ignore[arg-type]
            n_fe=self._n_fe,
            k_fe_nested=k_fe_nested,
            n_fe_fully_nested=n_fully_nested,
            G=self._G[0],
            vcov_sign=1,
            vcov_type="CRV",
        )
        self._ssc = np.array([ssc])
        meat = crv1_meat_loop(
            scores=self._scores.astype(np.float64),
            clustid=np.arange(len(codes) and codes.max() + 1).astype(np.uintp),
            cluster_col=codes.astype(np.uintp),
        )
        self._vcov = np.zeros((self._k, self._k))
        self._vcov += self._ssc[0] * (self._bread @ meat @ self._bread)
        self._df_t = np.min(np.array([df_t], dtype=float))
        self.get_inference()
        return self

    def get_fit(self) -> None:
        if self._fe is None:  # nothing to warm-start: pyfixest's own loop
            Fepois.get_fit(self)
            return
        self.to_array()
        state = self._irls()
        self._finish(*state)

    def _start(self) -> np.ndarray:
        start = getattr(_STATE, "start", None)
        rows = self._data.index.to_numpy()
        if start is not None and len(rows) == self._N and rows.max() < len(start):
            mu0 = np.asarray(start, dtype=float)[rows].reshape((self._N, 1))
            if np.isfinite(mu0).all() and (mu0 > 0).all():
                return mu0
        return (self._Y + np.mean(self._Y)) / 2  # pyfixest's (and glm's) start

    # size: one IRLS loop, step for step beside pyfixest's Fepois.get_fit
    def _irls(self) -> tuple[np.ndarray, ...]:
        """pyfixest's IRLS loop, warm-started, on the same numbers.

        Where pyfixest adds a zero offset or multiplies by unit weights the loop skips the
        operation (both are exact no-ops in floating point), the fixed-effect ids are cast
        once to the unsigned type the demeaner takes (pyfixest casts them at every step) and
        the deviance takes logarithms only where ``y > 0`` (:func:`unit_weight_deviance`):
        the arrays computed are pyfixest's, bit for bit, given the same demeaner output.
        """
        y = self._Y
        y_flat = y.ravel()
        pos = np.flatnonzero(y_flat != 0)
        off = self._offset if np.any(self._offset) else None
        unit = not self._has_weights and bool(np.all(self._weights == 1))
        fe = np.ascontiguousarray(self._fe, dtype=np.uintp)

        def deviance(mu: np.ndarray) -> float:
            if unit:
                return unit_weight_deviance(y_flat, mu.ravel(), pos)
            return float(self._compute_deviance(y, mu))

        mu = self._start()
        eta = np.log(mu)
        last = deviance(mu)
        z_prev = z_res_prev = x_res_prev = None
        n, k = self._X.shape
        for i in range(self.maxiter):
            # z = eta - off + y / mu - 1, as pyfixest (eta - 0 and 1 * mu are exact)
            z = np.divide(y, mu)
            z += eta if off is None else eta - off
            z -= 1
            w = mu if unit else self._weights * mu
            # column-major, so each column is written in one pass (the demeaner returns the same
            # numbers for either layout)
            zx = np.empty((n, 1 + k), order="F")
            if z_prev is None or z_res_prev is None or x_res_prev is None:
                zx[:, 0] = z[:, 0]
                zx[:, 1:] = self._X
            else:  # z_res_prev + (z - z_prev): the sum is commutative, so bit for bit
                np.subtract(z[:, 0], z_prev[:, 0], out=zx[:, 0])
                zx[:, 0] += z_res_prev[:, 0]
                zx[:, 1:] = x_res_prev
            zx_res, ok, used_pre = guarded_demean(
                zx, fe, w.ravel(), self._demeaner, self._preconditioner
            )
            del zx
            self._seed_preconditioner(used_pre)
            if not ok:
                raise ModelError(
                    f"absorbing the fixed effects did not converge in "
                    f"{self._demeaner.fixef_maxiter} iterations",
                    hint="check for weakly connected fixed effects or raise fixef_maxiter",
                )
            z_res, x_res = zx_res[:, :1], zx_res[:, 1:]
            if i == 0:
                x_res, self._coefnames, self._collin_vars, self._collin_index = (
                    _drop_multicollinear_variables(x_res, self._coefnames, self._collin_tol)
                )
                if self._collin_index:
                    self._X = self._X[:, ~np.array(self._collin_index)]  # type: ignore[assignment]
                    k = self._X.shape[1]
                self._X_is_empty = self._X.shape[1] == 0
                self._k = self._X.shape[1]
            sw = np.sqrt(w)
            wx, wz = sw * x_res, sw * z_res
            xwx = wx.T @ wx
            delta = solve_ols(xwx, wx.T @ wz, self._solver).reshape((-1, 1))
            resid = z_res - x_res @ delta
            eta = z - resid
            if off is not None:
                eta += off
            mu = np.exp(eta)
            deviance_t = deviance(mu)
            crit = np.abs(deviance_t - last) / (0.1 + np.abs(last))
            last = deviance_t
            z_prev, z_res_prev, x_res_prev = z, z_res, x_res
            self.iterations = i + 1
            if crit < self.tol:
                self.convergence = True
                break
        return delta, mu, eta, w, wx, wz, resid, xwx

    def _finish(
        self,
        delta: np.ndarray,
        mu: np.ndarray,
        eta: np.ndarray,
        w: np.ndarray,
        wx: np.ndarray,
        wz: np.ndarray,
        resid: np.ndarray,
        xwx: np.ndarray,
    ) -> None:
        """The attributes pyfixest's ``Fepois.get_fit`` leaves for its inference code.

        The same numbers as pyfixest's; with unit weights the products with the weights
        (exact no-ops) are skipped and the deviance is :func:`unit_weight_deviance`.
        """
        self._beta_hat = delta.flatten()
        self._Y_hat_response = mu.flatten()
        self._Y_hat_link = eta.flatten()
        user_weights = self._weights.ravel()
        unit = not self._has_weights and bool(np.all(user_weights == 1))

        def weighted(v: np.ndarray) -> np.ndarray:
            return v if unit else user_weights * v

        self._irls_weights = w.flatten()
        self._u_hat = (wz - wx @ delta).ravel()
        self._u_hat_working = resid
        self._u_hat_response = self._Y - mu  # mu is np.exp(eta)
        y = self._Y.ravel()
        self._y_hat_null = np.full_like(y, np.average(y, weights=user_weights), dtype=float)
        log_y_factorial = gammaln(y + 1)
        ll = y * np.log(self._Y_hat_response) - self._Y_hat_response - log_y_factorial
        self._loglik = np.sum(weighted(ll))
        if self._has_weights:
            self._loglik_null = None
            self._pseudo_r2 = None
        else:
            ll0 = y * np.log(self._y_hat_null) - self._y_hat_null - log_y_factorial
            self._loglik_null = np.sum(weighted(ll0))
            self._pseudo_r2 = 1 - (self._loglik / self._loglik_null)
        self._pearson_chi2 = np.sum(
            weighted((y - self._Y_hat_response) ** 2 / self._Y_hat_response)
        )
        self._weights = w
        if unit:
            self.deviance = np.float64(  # type: ignore[assignment]
                unit_weight_deviance(y, self._Y_hat_response, np.flatnonzero(y != 0))
            )
        else:
            self.deviance = self._compute_deviance(y, mu, user_weights)
        self._Y, self._X = wz, wx  # type: ignore[assignment]
        self._Z = self._X
        self._tZX = self._Z.T @ self._X  # type: ignore[assignment]
        self._tZXinv = np.linalg.inv(self._tZX)
        self._Xbeta = eta
        self._scores = self._u_hat[:, None] * self._X
        self._hessian = xwx
        if self.convergence:
            self._convergence = True


@contextlib.contextmanager
def _warm_class(start: np.ndarray | None) -> Iterator[None]:
    """Let pyfixest build :class:`WarmFepois` instead of ``Fepois`` inside the block."""
    import pyfixest.estimation.FixestMulti_ as multi

    with _LOCK:
        original = multi.Fepois
        multi.Fepois = WarmFepois  # type: ignore[misc]
        _STATE.start = start
        try:
            yield
        finally:
            multi.Fepois = original  # type: ignore[misc]
            _STATE.start = None


def fepois_warm(fml: str, data: Any, *, start: np.ndarray | None = None, **kwargs: Any) -> Any:
    """``pyfixest.fepois(fml, data, **kwargs)`` fitted by :class:`WarmFepois`.

    ``start``: optional starting means ``μ₀ > 0``, one per row of ``data`` (rows pyfixest drops
    as singletons are skipped); ignored unless finite and positive.
    """
    import pyfixest as pf

    with _warm_class(start):
        return pf.fepois(fml, data, **kwargs)
