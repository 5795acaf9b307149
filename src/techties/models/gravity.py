"""Structural gravity: PPML (or log-OLS) with exporter-time, importer-time and pair fixed effects.

The estimating equation (Yotov et al. 2016, *An Advanced Guide to Trade Policy Analysis*, ch. 1):

    X_ij,t = exp(π_i,t + χ_j,t + μ_ij + β · z_ij,t) · ε_ij,t

estimated by Poisson pseudo-maximum likelihood (PPML, Santos Silva & Tenreyro 2006) through
``pyfixest.fepois``; OLS on ``ln X_ij,t`` (zeros dropped) through ``pyfixest.feols`` for
comparison. :class:`GravitySpec` adds the conventions of the gravity literature on top:

- fixed effects by keyword: ``exporter_time`` (π), ``importer_time`` (χ), ``pair`` (μ),
  ``exporter``, ``importer``, ``domestic_by_country`` (one dummy per country's intra-national
  flow, all international flows share the reference level); any other name is a data column;
- ``symmetric_pair``: pair ids ignore direction (i,j) = (j,i) — needed for the Advanced Guide's
  RTA estimate 0.557 (directional pairs give 0.567);
- ``pooled_domestic``: all domestic pairs share one pair fixed effect;
- ``border_by_year``: international-border dummies ``INTL_BRDR_<year>`` for every year but the
  last (globalisation trend, Advanced Guide Table 3 col. 7);
- ``lags``/``leads`` of a ``policy`` dummy (``RTA_LAG4`` …; built from the panel when absent);
- ``by_year``: regressors interacted with year dummies (the distance puzzle, Table 2);
- ``log``: columns replaced by their natural log under the name ``ln_<col>``.

Standard errors are clustered by (the same direction convention's) pair by default, as in the
Advanced Guide; the convention is stated in ``result.se_type``. Coefficients and covariance are
exported for the GE simulation layer with :meth:`GravityResult.export_coefficients` and read
back with :func:`load_coefficients`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import DataWarning, ModelError
from techties.models.allocator import reuse_freed_memory
from techties.models.fit import FitResult, check_columns, fit_fixest
from techties.models.separation import bin_codes
from techties.results import compare, json_safe

__all__ = [
    "GravityResult",
    "GravitySpec",
    "add_size_and_remoteness",
    "compare",
    "fit_gravity",
    "load_coefficients",
    "prepare_gravity",
]

FE_KEYWORDS = (
    "exporter_time",
    "importer_time",
    "pair",
    "exporter",
    "importer",
    "domestic_by_country",
)


@dataclass(frozen=True)
class GravitySpec:
    """What to estimate; every field has the Advanced Guide's default meaning."""

    regressors: tuple[str, ...]
    outcome: str = "trade"
    estimator: str = "ppml"
    fixed_effects: tuple[str, ...] = ("exporter_time", "importer_time")
    exporter: str = "exporter"
    importer: str = "importer"
    year: str = "year"
    years: tuple[int, ...] | None = None
    international_only: bool = False
    symmetric_pair: bool = True
    pooled_domestic: bool = False
    border_by_year: bool = False
    policy: str | None = None
    lags: tuple[int, ...] = ()
    leads: tuple[int, ...] = ()
    by_year: tuple[str, ...] = ()
    log: tuple[str, ...] = ()
    se: str = "cluster"
    cluster: str | None = "pair"
    separation: str = "full"
    title: str = ""
    irls: str = "warm"

    def to_dict(self) -> dict[str, Any]:
        return json_safe(asdict(self))  # type: ignore[no-any-return]


@dataclass
class GravityResult(FitResult):
    """A gravity fit: :class:`FitResult` plus the spec and the GE export."""

    spec: GravitySpec | None = field(default=None)
    #: (exporter, importer, pair id) of every pair in the estimation frame (pair FE fits only)
    pair_rows: pd.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["spec"] = self.spec.to_dict() if self.spec else None
        return out

    def pair_effects(self, *, tol: float = 1e-12) -> pd.DataFrame:
        """Estimated pair fixed effects ``μ_ij`` (log scale), one row per directional pair.

        Columns ``exporter``, ``importer``, ``pair_effect``; a pair whose flows were dropped
        (all zero, so PPML has no estimate) has NaN. Pair effects are identified only up to
        shifts the exporter-time and importer-time effects absorb; with ``pooled_domestic``
        they are normalised so that the shared domestic effect is 0 (the Advanced Guide's
        choice: its omitted pair dummy is the intra-national one), so ``exp(pair_effect)`` is
        the trade cost of a pair relative to domestic trade. Computed from the model's
        fixed effects (``pyfixest`` ``fixef`` with ``atol = btol = tol``; 1e-12 recovers
        ``ln μ̂`` to 1e-10 on the Advanced Guide panel).
        """
        if self.spec is None or "pair" not in self.spec.fixed_effects or self.pair_rows is None:
            raise ModelError(
                "this fit has no pair fixed effects",
                hint="fit with GravitySpec(fixed_effects=(..., 'pair'))",
            )
        if self.model is None:
            raise ModelError(
                "the pyfixest model of this fit was not kept; refit to get pair effects"
            )
        values = self.model.fixef(atol=tol, btol=tol)["C(_fe_pair)"]
        by_id = {str(k): float(v) for k, v in values.items()}
        sp = self.spec
        out = self.pair_rows.rename(columns={sp.exporter: "exporter", sp.importer: "importer"})
        # pyfixest leaves out its reference level (effect 0); dropped pairs have no estimate
        effect = out["_fe_pair"].astype(str).map(by_id).astype(float)
        effect = effect.where(~(effect.isna() & out["_used"]), 0.0).where(out["_used"])
        if sp.pooled_domestic:
            dom = effect[out["_fe_pair"] == -1].dropna()
            if len(dom):
                effect = effect - float(dom.iloc[0])
        out = out.drop(columns=["_fe_pair", "_used"]).assign(pair_effect=effect.to_numpy())
        return out.reset_index(drop=True)

    def coefficients(self) -> dict[str, Any]:
        """``{"terms", "estimate", "vcov", "se_type", "spec", "nobs"}`` (the GE exchange format)."""
        return {
            "terms": self.terms,
            "estimate": [float(v) for v in self.table["estimate"]],
            "vcov": json_safe(self.vcov),
            "se_type": self.se_type,
            "spec": self.spec.to_dict() if self.spec else {},
            "nobs": self.nobs,
        }

    def export_coefficients(self, path: str | Path) -> Path:
        """Write :meth:`coefficients` as JSON (read back with :func:`load_coefficients`)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.coefficients(), indent=1), "utf-8")
        return out

    def compare(self, *others: FitResult, names: list[str] | None = None) -> pd.DataFrame:
        """Side-by-side estimates of this fit and ``others`` (:func:`techties.results.compare`)."""
        return compare([self, *others], names)


def load_coefficients(path: str | Path) -> dict[str, Any]:
    """Read an exported coefficient file; checks the keys and the covariance shape."""
    p = Path(path)
    try:
        d = json.loads(p.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read coefficient file {p}: {exc}") from exc
    need = ("terms", "estimate", "vcov", "se_type", "spec", "nobs")
    missing = [k for k in need if k not in d]
    if missing:
        raise ModelError(
            f"coefficient file {p} lacks keys {missing}",
            hint="export it with GravityResult.export_coefficients",
        )
    k = len(d["terms"])
    if len(d["estimate"]) != k or len(d["vcov"]) != k or any(len(r) != k for r in d["vcov"]):
        raise ModelError(f"coefficient file {p}: estimate/vcov do not match {k} terms")
    return dict(d)


def _country_codes(e: pd.Series, i: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes of exporters and importers in one sorted set of countries, and its size.

    ``pd.factorize(concat([e, i]), sort=True)``; small non-negative-offset integer ids are
    ranked through a table instead (the same codes, without hashing ten million values).
    """
    if pd.api.types.is_integer_dtype(e) and pd.api.types.is_integer_dtype(i):
        ve, vi = e.to_numpy(dtype=np.int64), i.to_numpy(dtype=np.int64)
        if len(ve) and not (e.isna().any() or i.isna().any()):
            lo = min(int(ve.min()), int(vi.min()))
            span = max(int(ve.max()), int(vi.max())) - lo + 1
            if span <= 4 * (len(ve) + len(vi)) + 1024:
                seen = np.zeros(span, dtype=bool)
                seen[ve - lo] = True
                seen[vi - lo] = True
                rank = np.cumsum(seen) - 1
                return rank[ve - lo], rank[vi - lo], int(seen.sum())
        both = pd.concat([e, i])  # only the grouping matters: skip the cast to text
    else:
        both = pd.concat([e.astype(str), i.astype(str)])
    codes, _ = pd.factorize(both, sort=True)
    n = int(codes.max()) + 1 if len(codes) else 1
    return codes[: len(e)], codes[len(e) :], n


def _pair_ids(e: pd.Series, i: pd.Series, symmetric: bool) -> pd.Series:
    """Integer pair ids; with ``symmetric`` (i, j) and (j, i) share one id."""
    ce, ci, n = _country_codes(e, i)
    if symmetric:
        ce, ci = np.minimum(ce, ci), np.maximum(ce, ci)
    return pd.Series(ce.astype(np.int64) * n + ci, index=e.index)


def _shifted(df: pd.DataFrame, spec: GravitySpec, k: int) -> pd.Series:
    """``policy`` of the same directional pair ``k`` years earlier (k > 0) or later (k < 0)."""
    assert spec.policy is not None
    src = df[[spec.exporter, spec.importer, spec.year, spec.policy]].copy()
    src[spec.year] = src[spec.year] + k
    merged = df[[spec.exporter, spec.importer, spec.year]].merge(
        src, on=[spec.exporter, spec.importer, spec.year], how="left"
    )
    return pd.Series(merged[spec.policy].to_numpy(), index=df.index)


def _find_column(df: pd.DataFrame, name: str) -> str | None:
    lower = {str(c).lower(): str(c) for c in df.columns}
    return lower.get(name.lower())


def _add_policy_dynamics(df: pd.DataFrame, spec: GravitySpec) -> list[str]:
    if not (spec.lags or spec.leads):
        return []
    if spec.policy is None:
        raise ModelError("lags/leads need spec.policy (the policy dummy, e.g. 'RTA')")
    check_columns(df, [spec.policy], "policy")
    names = []
    for k, tag in [*[(k, f"lag{k}") for k in spec.lags], *[(-k, f"lead{k}") for k in spec.leads]]:
        want = f"{spec.policy}_{tag}"
        have = _find_column(df, want)
        if have is None:
            df[want] = _shifted(df, spec, k)
            have = want
        names.append(have)
    return names


def prepare_gravity(
    data: pd.DataFrame, spec: GravitySpec
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Build the estimation frame: returns (frame, regressor names, fixed-effect columns)."""
    check_columns(data, [spec.exporter, spec.importer, spec.year, spec.outcome], "column")
    df = data.copy()
    df[spec.year] = pd.to_numeric(df[spec.year]).astype(int)
    if spec.years is not None:
        df = df[df[spec.year].isin(spec.years)]
    domestic = _same_country(df[spec.exporter], df[spec.importer])
    if spec.international_only:
        df, domestic = df[~domestic], domestic[~domestic]
    if df.empty:
        raise ModelError("no rows left after the year/international filters")
    for col in spec.log:
        check_columns(df, [col], "column to log")
        v = pd.to_numeric(df[col], errors="coerce").astype(float)
        if (v <= 0).any():
            raise ModelError(f"cannot take the log of {col!r}: {int((v <= 0).sum()):,} values ≤ 0")
        df[f"ln_{col}"] = np.log(v)
    regs = [r for r in spec.regressors if r not in spec.by_year]
    check_columns(df, regs, "regressor")
    regs += _add_policy_dynamics(df, spec)
    years = sorted(df[spec.year].unique())
    for var in spec.by_year:
        check_columns(df, [var], "by_year regressor")
        for y in years:
            df[f"{var}_{y}"] = df[var] * (df[spec.year] == y)
            regs.append(f"{var}_{y}")
    if spec.border_by_year:
        for y in years[:-1]:
            df[f"INTL_BRDR_{y}"] = ((~domestic) & (df[spec.year] == y)).astype(float)
            regs.append(f"INTL_BRDR_{y}")
    fes = [_fe_column(df, spec, name, domestic) for name in spec.fixed_effects]
    if spec.cluster == "pair":  # the pair fixed effect's ids unless domestic pairs are pooled
        pair_fe = "pair" in spec.fixed_effects and not spec.pooled_domestic
        df["_cl_pair"] = (
            df["_fe_pair"]
            if pair_fe
            else _pair_ids(df[spec.exporter], df[spec.importer], spec.symmetric_pair)
        )
    if spec.estimator == "ols":
        out = pd.to_numeric(df[spec.outcome], errors="coerce")
        zero = int((out <= 0).sum())
        if zero:
            warnings.warn(
                f"OLS on ln {spec.outcome}: {zero:,} zero flows dropped", DataWarning, stacklevel=3
            )
        df = df[out > 0].copy()
        df[f"ln_{spec.outcome}"] = np.log(df[spec.outcome].astype(float))
    return df, regs, fes


def _same_country(e: pd.Series, i: pd.Series) -> pd.Series:
    """Rows whose exporter and importer are the same country (compared as text)."""
    if pd.api.types.is_integer_dtype(e) and pd.api.types.is_integer_dtype(i):
        return e == i  # integers are equal exactly when their text is: skip the cast
    return e.astype(str) == i.astype(str)


def _group_id(*cols: pd.Series) -> pd.Series:
    """Integer id of each combination of ``cols``, numbered in order of first appearance.

    The ids of ``groupby(cols, sort=False).ngroup()``, computed by factorising one integer key
    per row (cheaper on million-row panels): integer columns enter the key as offsets from
    their minimum, other columns as their factorised codes. Float columns, missing values and
    keys that would overflow take the groupby.
    """
    parts: list[tuple[np.ndarray, int]] = []
    for c in cols:
        if pd.api.types.is_float_dtype(c) or c.isna().any():
            parts = []
            break
        if pd.api.types.is_integer_dtype(c) and not isinstance(c.dtype, pd.CategoricalDtype):
            v = c.to_numpy(dtype=np.int64)
            lo = int(v.min()) if len(v) else 0
            parts.append((v - lo, (int(v.max()) - lo + 1) if len(v) else 1))
        else:
            code, uniques = pd.factorize(c)
            parts.append((code.astype(np.int64), max(len(uniques), 1)))
    if not parts or np.prod([float(size) for _, size in parts]) >= 2.0**62:
        frame = pd.concat(cols, axis=1, ignore_index=True)
        return frame.groupby(list(frame.columns), sort=False).ngroup()
    key = parts[0][0]
    for code, size in parts[1:]:
        key = key * size + code
    return pd.Series(pd.factorize(key)[0].astype(np.int64), index=cols[0].index)


def _fe_column(df: pd.DataFrame, spec: GravitySpec, name: str, domestic: pd.Series) -> str:
    e, i, t = df[spec.exporter], df[spec.importer], df[spec.year]
    col = f"_fe_{name}"
    if name == "exporter_time":
        df[col] = _group_id(e, t)
    elif name == "importer_time":
        df[col] = _group_id(i, t)
    elif name == "exporter":
        df[col] = _group_id(e)
    elif name == "importer":
        df[col] = _group_id(i)
    elif name == "pair":
        pair = _pair_ids(e, i, spec.symmetric_pair)
        df[col] = pair.where(~domestic, -1) if spec.pooled_domestic else pair
    elif name == "domestic_by_country":
        df[col] = _group_id(e).where(domestic, -1)
    else:
        check_columns(df, [name], "fixed effect (or one of " + ", ".join(FE_KEYWORDS) + ")")
        return name
    return col


def add_size_and_remoteness(
    data: pd.DataFrame,
    *,
    distance: str = "DIST",
    exporter: str = "exporter",
    importer: str = "importer",
    year: str = "year",
    outcome: str = "trade",
) -> pd.DataFrame:
    """Add ``ln_Y``, ``ln_E``, ``ln_REM_EXP``, ``ln_REM_IMP`` (Advanced Guide ch. 1, Table 1).

    ``Y_it = Σ_j X_ijt`` and ``E_jt = Σ_i X_ijt`` over all flows incl. domestic;
    ``REM_EXP_it = Σ_j DIST_ij / (E_jt / E_t)`` and ``REM_IMP_jt = Σ_i DIST_ij / (Y_it / Y_t)``
    with world totals ``E_t = Σ_j E_jt``, ``Y_t = Σ_i Y_it``. Call on the full panel (domestic
    flows included) before filtering.
    """
    check_columns(data, [distance, exporter, importer, year, outcome], "column")
    d = data.copy()
    d["_Y"] = d.groupby([exporter, year])[outcome].transform("sum")
    d["_E"] = d.groupby([importer, year])[outcome].transform("sum")
    e_world = d.drop_duplicates([importer, year]).groupby(year)["_E"].sum()
    y_world = d.drop_duplicates([exporter, year]).groupby(year)["_Y"].sum()
    re = d[distance] / (d["_E"] / d[year].map(e_world))
    ri = d[distance] / (d["_Y"] / d[year].map(y_world))
    d["ln_Y"], d["ln_E"] = np.log(d["_Y"]), np.log(d["_E"])
    d["ln_REM_EXP"] = np.log(re.groupby([d[exporter], d[year]]).transform("sum"))
    d["ln_REM_IMP"] = np.log(ri.groupby([d[importer], d[year]]).transform("sum"))
    return d.drop(columns=["_Y", "_E"])


@reuse_freed_memory()
def fit_gravity(
    data: pd.DataFrame, spec: GravitySpec, *, start: np.ndarray | None = None
) -> GravityResult:
    """Estimate ``spec`` on a gravity panel (one row per exporter, importer, year).

    PPML runs the warm-started IRLS loop (``spec.irls="warm"``, :mod:`techties.models.ppml_fast`)
    unless ``spec.irls="pyfixest"``. ``start``: optional starting means, one per row of ``data``
    (for instance ``previous.fitted`` of a fit on the same rows); the estimates do not depend
    on it, only the number of iterations does.
    """
    if start is not None:
        if len(start) != len(data):
            raise ModelError(
                f"start has {len(start):,} values for {len(data):,} rows",
                hint="give one starting mean per row of the data (e.g. a previous fit's .fitted)",
            )
        data = data.assign(_start_mu=np.asarray(start, dtype=float))
    df, regs, fes = prepare_gravity(data, spec)
    outcome = spec.outcome if spec.estimator == "ppml" else f"ln_{spec.outcome}"
    cluster = None
    if spec.se == "cluster":
        cluster = "_cl_pair" if spec.cluster == "pair" else spec.cluster
    fit = fit_fixest(
        df,
        outcome,
        regs,
        fes,
        estimator=spec.estimator,
        se=spec.se,
        cluster=cluster,
        separation=spec.separation,
        title=spec.title,
        irls=spec.irls,
        start=df["_start_mu"].to_numpy() if start is not None else None,
    )
    label = "pair" + (" (symmetric)" if spec.symmetric_pair else " (directional)")
    se_type = fit.se_type.replace("_cl_pair", label)
    formula = fit.formula.replace("_fe_", "")
    return GravityResult(
        title=fit.title,
        estimator=fit.estimator,
        formula=formula,
        table=fit.table,
        vcov=fit.vcov,
        nobs=fit.nobs,
        se_type=se_type,
        dropped=fit.dropped,
        dropped_terms=fit.dropped_terms,
        notes=fit.notes,
        model=fit.model,
        spec=spec,
        fitted=_per_input_row(fit.fitted, df.index, data.index) if fit.fitted is not None else None,
        pair_rows=_pair_rows(df, spec, fit.fitted) if "pair" in spec.fixed_effects else None,
    )


def _pair_rows(df: pd.DataFrame, spec: GravitySpec, fitted: np.ndarray | None) -> pd.DataFrame:
    """Each (exporter, importer) of the frame with its pair id and whether any of its rows
    was estimated (pairs with only zero flows are dropped by PPML)."""
    rows = df[[spec.exporter, spec.importer, "_fe_pair"]]
    if fitted is None:
        used = np.ones(len(rows), dtype=bool)
    else:  # any row of the pair estimated (a groupby-any by pair id, by bincount)
        code = bin_codes(rows["_fe_pair"])
        used = (np.bincount(code, weights=np.isfinite(fitted)) > 0)[code]
    # first row of each (exporter, importer), as drop_duplicates keeps it
    directed = _pair_ids(rows[spec.exporter], rows[spec.importer], symmetric=False)
    first = ~directed.duplicated().to_numpy()
    return rows.assign(_used=used)[first]


def _per_input_row(values: np.ndarray, used: pd.Index, index: pd.Index) -> np.ndarray | None:
    """Spread per-estimation-row ``values`` back over the rows of the input data."""
    if not index.is_unique:
        return None
    out = np.full(len(index), np.nan)
    out[index.get_indexer(used)] = values
    return out
