"""Existence check of Poisson (PPML) estimates: which observations are *separated*.

An observation with ``y_i = 0`` is separated when some linear combination ``z = Xγ + Dα`` of the
regressors and fixed-effect dummies satisfies ``z_i > 0``, ``z ≥ 0`` on every ``y = 0`` row and
``z = 0`` on every ``y > 0`` row (Correia, Guimarães & Zylkin 2021, "Verifying the existence of
maximum likelihood estimates for generalized linear models"). Its fitted mean is zero in the
limit, the likelihood has no finite maximum while it is in the sample, and it must be dropped.

Two checks, applied in order:

1. fixed effects: a row in a fixed-effect group whose outcomes are all zero is separated by that
   group's dummy (repeated until nothing changes);
2. regressors and fixed effects together, one of
   - linear programme (exact, small designs): maximise ``Σ s_i`` subject to ``M_+ γ = 0``,
     ``M_0 γ ≥ s``, ``0 ≤ s ≤ 1``, where ``M = [X, D]``. Because the set of certificates is a
     convex cone, one solution has ``s_i = 1`` on every separated row;
   - rectifier (ppmlhdfe's default ``relu`` method, large designs): regress ``u`` on ``[X, D]``
     with weight ``K`` on ``y > 0`` rows and 1 elsewhere (fixed effects absorbed with pyfixest's
     demeaner), set ``u_i = max(û_i, 0)`` on ``y = 0`` rows and repeat until ``û ≥ 0``; rows
     with ``û_i > 0`` at that point are separated.

Both return boolean masks over the input rows; :func:`find_separated` combines them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

#: designs with more (rows × columns) cells than this use the rectifier instead of the LP
LP_MAX_CELLS = 2_000_000


def bin_codes(col: pd.Series) -> np.ndarray:
    """Non-negative integer group codes for ``np.bincount``: small non-negative integer ids
    as they are (gaps only add empty bins), anything else factorised."""
    if pd.api.types.is_integer_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        v = col.to_numpy()
        if v.dtype.kind in "iu" and len(v) and v.min() >= 0 and v.max() < 4 * len(v) + 1024:
            return v.astype(np.intp, copy=False)
    return pd.factorize(col)[0]


def fe_separated(y: np.ndarray, fe: pd.DataFrame) -> np.ndarray:
    """Rows in a fixed-effect group whose outcomes are all zero (iterated to a fixed point)."""
    sep = np.zeros(len(y), dtype=bool)
    if fe.shape[1] == 0:
        return sep
    codes = [bin_codes(fe[c]) for c in fe.columns]
    changed = True
    while changed:
        changed = False
        keep = ~sep
        for c in codes:
            kept = c[keep]
            totals = np.bincount(kept, weights=y[keep], minlength=c.max() + 1)
            counts = np.bincount(kept, minlength=c.max() + 1)
            bad = (totals[c] <= 0) & (counts[c] > 0) & keep
            if bad.any():
                sep |= bad
                changed = True
                keep = ~sep
    return sep


def _design(x: np.ndarray, fe: pd.DataFrame) -> sparse.csr_matrix:
    n = x.shape[0]
    blocks = [sparse.csr_matrix(x), sparse.csr_matrix(np.ones((n, 1)))]
    for c in fe.columns:
        code, uniq = pd.factorize(fe[c])
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), code)), shape=(n, len(uniq))))
    return sparse.hstack(blocks, format="csr")


def lp_separated(
    y: np.ndarray, x: np.ndarray, fe: pd.DataFrame, *, tol: float = 1e-7
) -> np.ndarray:
    """Exact separation check by linear programming (see module docstring)."""
    sep = np.zeros(len(y), dtype=bool)
    zero = y <= 0
    if not zero.any():
        return sep
    m = _design(x, fe)
    m_pos, m_zero = m[~zero], m[zero]
    k, nz = m.shape[1], int(zero.sum())
    # variables: gamma (k, free), s (nz, in [0, 1]); minimise -sum(s)
    c = np.concatenate([np.zeros(k), -np.ones(nz)])
    a_ub = sparse.hstack([-m_zero, sparse.identity(nz)], format="csr")  # s - M0 g <= 0
    b_ub = np.zeros(nz)
    a_eq = sparse.hstack([m_pos, sparse.csr_matrix((m_pos.shape[0], nz))], format="csr")
    b_eq = np.zeros(m_pos.shape[0])
    bounds = [(None, None)] * k + [(0.0, 1.0)] * nz
    # gamma is scale-free: bound it so the LP stays bounded and well scaled
    bounds[:k] = [(-1e6, 1e6)] * k
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - highs reports infeasible/failed
        return sep
    s = res.x[k:]
    sep[np.flatnonzero(zero)[s > 0.5]] = True
    return sep


def relu_separated(
    y: np.ndarray,
    x: np.ndarray,
    fe: pd.DataFrame,
    *,
    weight: float = 1e4,
    tol: float = 1e-5,
    maxiter: int = 1000,
) -> np.ndarray:
    """Rectifier (ReLU) separation check of Correia, Guimarães & Zylkin (see module docstring)."""
    zero = y <= 0
    if not zero.any():
        return np.zeros(len(y), dtype=bool)
    w = np.where(zero, 1.0, weight)
    u = zero.astype(float)
    flist = (
        np.column_stack([pd.factorize(fe[c])[0] for c in fe.columns]).astype(np.uint64)
        if fe.shape[1]
        else None
    )
    xc = np.column_stack([x, np.ones(len(y))]) if flist is None else x
    uhat = u
    for _ in range(maxiter):
        uhat = _weighted_fit(u, xc, flist, w)
        if (uhat[zero] >= -tol).all() and (np.abs(uhat[~zero]) <= tol).all():
            break
        u = np.where(zero, np.maximum(uhat, 0.0), 0.0)
    return zero & (uhat > tol)


def _weighted_fit(
    u: np.ndarray, x: np.ndarray, flist: np.ndarray | None, w: np.ndarray
) -> np.ndarray:
    """Fitted values of the weighted regression of ``u`` on ``x`` and the fixed effects."""
    ux = np.column_stack([u, x]).astype(np.float64)
    if flist is not None:
        from pyfixest.estimation import demean

        from techties.models.ppml_fast import check_demean_inputs

        check_demean_inputs(ux, flist, w)  # a bad input would abort the interpreter
        ux, _ = demean(np.ascontiguousarray(ux), flist, w, tol=1e-10, maxiter=10_000)
    ut, xt = ux[:, 0], ux[:, 1:]
    resid = ut
    if xt.shape[1]:
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(xt * sw[:, None], ut * sw, rcond=None)[0]
        resid = ut - xt @ beta
    return np.asarray(u - resid)


def find_separated(
    data: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    fixed_effects: Sequence[str],
    *,
    method: str = "full",
) -> tuple[np.ndarray, dict[str, int]]:
    """Mask of separated rows of ``data`` and counts by check (``{"fe": n, "lp": m}``).

    ``method``: ``"full"`` (FE check, then the LP when the design is small enough), ``"fe"``
    (fixed-effect check only), ``"lp"``/``"relu"`` (force one method) or ``"none"``.
    """
    y = data[outcome].to_numpy(dtype=float)
    counts = {"fe": 0, "lp": 0}
    if method == "none":
        return np.zeros(len(y), dtype=bool), counts
    fe = data[list(fixed_effects)]
    sep = fe_separated(y, fe)
    counts["fe"] = int(sep.sum())
    if method in ("full", "lp", "relu"):
        keep = ~sep
        x = data.loc[keep, list(regressors)].to_numpy(dtype=float)
        width = x.shape[1] + 1 + sum(int(fe[c][keep].nunique()) for c in fe.columns)
        small = int(keep.sum()) * width <= LP_MAX_CELLS
        use_lp = method == "lp" or (method == "full" and small)
        found = (lp_separated if use_lp else relu_separated)(y[keep], x, fe[keep])
        counts["lp"] = int(found.sum())
        sep[np.flatnonzero(keep)[found]] = True
    return sep, counts
