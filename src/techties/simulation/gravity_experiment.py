"""Run a ``baseline: gravity`` scenario: estimate, build trade costs, solve, report with a sign.

The steps follow the Advanced Guide's Chapter 2 do-files (``TradeWithoutBorder.do``,
``RTAsEffects.do``, ``RemovingSpecificBorder.do``, ``RTAImpacts.do``):

1. read the stored gravity dataset, keep ``estimation_years``, build the ``covariates``;
2. PPML (:func:`techties.models.gravity.fit_gravity`) with exporter and importer effects on the
   year, or exporter-time, importer-time and symmetric pair effects on the panel (one shared
   domestic pair effect, the reference the book omits);
3. trade costs in ``year``: ``t_ij = exp(μ_ij + β·x_ij)`` (``μ = 0`` without pair effects);
   pairs whose pair effect is not estimated get ``exp(μ̂_ij)`` from a second PPML of
   ``exp(μ_ij)`` on exporter and importer effects and ``fill_pair_effects`` (international pairs
   with an estimate), ``t_ii = 1`` for domestic pairs — the book's stage 2 ("tij_noRTA");
4. counterfactual costs ``t'_ij = exp(μ_ij + β·x'_ij)``; the partial effect on flows is
   ``ĉ = t'/t``;
5. baseline flows: the PPML fitted flows with exporter and importer effects and offset
   ``ln t`` (``flows: fitted``, the book's ``tradehat_BLN``) or the data (``observed``);
6. solve with :func:`techties.simulation.onesector.solve_onesector` (``method: exact``) or the
   book's loop (``geppml_book``, stopping threshold ``tol``; σ from ``elasticities.sigma``,
   multiplicative imbalance, ``reference`` the numeraire).

Sign convention (``sign``). Every ``*_pct`` column is reported either as ``change``,
``100 (CFL/BLN − 1)``, or — ``effect_of`` — as the effect of what the counterfactual removes,
``100 (BLN/CFL − 1)`` = (baseline − counterfactual)/counterfactual: the convention of the book's
NAFTA application and exercise ("effects of NAFTA", ``RTAsEffects.do``). The book's price column
there is ``(1 − p̂) · 100`` (denominator the baseline, not the counterfactual); ``price_pct`` under
``effect_of`` follows that formula so the two tables compare column by column.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from techties.errors import (
    ConfigError,
    DataWarning,
    NoDataError,
    SimulationInputError,
    did_you_mean,
)
from techties.models.gravity import GravityResult, GravitySpec, fit_gravity
from techties.results import Result, json_safe
from techties.simulation.geppml import ppml_fixed_effects
from techties.simulation.gravity_spec import Covariate, GravityExperiment, Sign
from techties.simulation.onesector import fitted_flows, solve_onesector
from techties.simulation.onesector_gravity import pair_codes, pair_matrix
from techties.simulation.onesector_result import OneSectorResult
from techties.simulation.options import SolverOptions
from techties.simulation.shock_inputs import country_indices
from techties.simulation.shocks import PairGroup, Pairs

if TYPE_CHECKING:
    from techties.store.core import Store


# --------------------------------------------------------------------------- pairs and columns


def pair_mask(pairs: Pairs, countries: Sequence[str]) -> np.ndarray:
    """N×N boolean (exporter × importer) of the pairs a pairs rule names (never the diagonal)."""
    n = len(countries)
    out = np.zeros((n, n), dtype=bool)
    if isinstance(pairs, PairGroup):
        ex = country_indices(countries, pairs.exporters)
        im = country_indices(countries, pairs.importers)
        out[np.ix_(ex, im)] = True
    else:
        for e, i in pairs:
            (a,), (b,) = country_indices(countries, e), country_indices(countries, i)
            out[a, b] = True
    np.fill_diagonal(out, False)
    return out


def _on_rows(mask: np.ndarray, codes: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    e, i = codes
    return (e >= 0) & (i >= 0) & mask[np.maximum(e, 0), np.maximum(i, 0)]


def build_covariates(
    df: pd.DataFrame, covariates: Sequence[Covariate], countries: Sequence[str]
) -> pd.DataFrame:
    """``df`` with every covariate definition applied in order (see :mod:`gravity_spec`)."""
    out = df.copy()
    codes = pair_codes(out, list(countries), exporter="exporter", importer="importer")
    year = out["year"].to_numpy()
    for cov in covariates:
        active = np.ones(len(out), dtype=bool) if cov.from_year is None else year >= cov.from_year
        if cov.kind == "dummy":
            assert cov.pairs is not None
            value = (_on_rows(pair_mask(cov.pairs, countries), codes) & active).astype(float)
        else:
            src = _column(out, str(cov.source), cov.name)
            value = np.log(src) if cov.kind == "log" else src.copy()
        if cov.except_pairs is not None:
            value[_on_rows(pair_mask(cov.except_pairs, countries), codes) & active] = 0.0
        out[cov.name] = value
    return out


def _column(df: pd.DataFrame, name: str, for_name: str) -> np.ndarray:
    if name not in df.columns:
        raise SimulationInputError(
            f"covariate {for_name!r} is built from column {name!r}, which the dataset lacks. "
            + did_you_mean(name, [str(c) for c in df.columns])
        )
    return np.asarray(df[name].to_numpy(dtype=float))


# --------------------------------------------------------------------------- trade costs


def _pair_effects(fit: GravityResult, rows: pd.DataFrame) -> np.ndarray:
    """Estimated pair effect of every row of the experiment's year (NaN: not estimated)."""
    pe = fit.pair_effects()
    merged = rows[["exporter", "importer"]].merge(pe, on=["exporter", "importer"], how="left")
    return merged["pair_effect"].to_numpy(dtype=float)


def fill_pair_effects(
    gamma: np.ndarray, z: pd.DataFrame, known: np.ndarray, countries: Sequence[str]
) -> tuple[np.ndarray, GravityResult, int]:
    """The book's stage 2: PPML of ``exp(μ_ij)`` on exporter and importer effects and ``z``
    over the international pairs with an estimate; returns ``μ`` with the others predicted
    (N×N), the fit, and how many pairs were filled. ``gamma``, ``known``: N×N; ``z``: the
    year's rows (exporter, importer, year and the regressors)."""
    n = len(countries)
    codes = pair_codes(z, list(countries), exporter="exporter", importer="importer")
    intl = ~np.eye(n, dtype=bool)
    est = z.assign(tij=np.exp(gamma[codes]))
    est = est[known[codes] & intl[codes]]
    regs = tuple(c for c in z.columns if c not in ("exporter", "importer", "year"))
    spec = GravitySpec(regressors=regs, outcome="tij", fixed_effects=("exporter", "importer"),
                       international_only=True, se="hetero", cluster=None)  # fmt: skip
    fit = fit_gravity(est.reset_index(drop=True), spec)
    beta = fit.table.set_index("term")["estimate"]
    zb = sum((beta[r] * z[r].to_numpy(dtype=float) for r in regs), start=np.zeros(len(z)))
    k = np.exp(pair_matrix(codes, zb, n, fill=-np.inf))
    use = known & intl
    fe = ppml_fixed_effects(np.where(use, np.exp(gamma), 0.0), np.where(use, k, 0.0), reference=0)
    predicted = np.log(np.outer(fe.exp_pi, fe.exp_chi) * k)
    missing = ~known & intl
    out = np.where(missing, predicted, gamma)
    np.fill_diagonal(out, 0.0)
    return out, fit, int(missing.sum())


class GravityBaseline:
    """What a gravity scenario is solved on: the fit, the year's flows and trade costs."""

    def __init__(self, exp: GravityExperiment, frame: pd.DataFrame) -> None:
        self.exp = exp
        self.notes: list[str] = []
        countries = sorted(set(frame.exporter.astype(str)) | set(frame.importer.astype(str)))
        self.countries = tuple(countries)
        self.provenance_ids = tuple(frame.attrs.get("provenance_ids", ()))
        data = build_covariates(frame, exp.covariates, countries)
        if exp.year not in set(data.year):
            raise NoDataError(
                f"gravity dataset {exp.dataset!r} has no rows for year {exp.year}",
                hint=f"years in it: {', '.join(map(str, sorted(set(data.year))))}",
            )
        panel = data[data.year.isin(exp.years)].reset_index(drop=True)
        spec = GravitySpec(
            regressors=exp.regressors, fixed_effects=exp.fixed_effects,
            pooled_domestic=exp.panel, symmetric_pair=True, title=exp.dataset,
        )  # fmt: skip
        self.fit = fit_gravity(panel, spec)
        self.beta = self.fit.table.set_index("term")["estimate"]
        self.rows = data[data.year == exp.year].reset_index(drop=True)
        self._costs()

    def _costs(self) -> None:
        exp, rows, n = self.exp, self.rows, len(self.countries)
        codes = pair_codes(rows, list(self.countries), exporter="exporter", importer="importer")
        trade = rows["trade"].to_numpy(dtype=float)
        present = pair_matrix(codes, np.isfinite(trade).astype(float), n, fill=0.0) > 0
        self.trade = pair_matrix(codes, np.nan_to_num(trade), n, fill=0.0)
        xb = np.zeros(len(rows))
        xb_cf = np.zeros(len(rows))
        for term in exp.regressors:
            x = rows[term].to_numpy(dtype=float)
            x_cf = x.copy()
            for c in exp.counterfactual:
                if c.covariate == term:
                    x_cf[_on_rows(pair_mask(c.pairs, self.countries), codes)] = c.to
            xb += self.beta[term] * x
            xb_cf += self.beta[term] * x_cf
        self.changed_pairs = int((xb_cf != xb).sum())
        gamma = np.zeros((n, n))
        if exp.panel:
            g = pair_matrix(codes, _pair_effects(self.fit, rows), n, fill=np.nan)
            known = np.isfinite(g)
            z = rows[["exporter", "importer", "year", *exp.fill_pair_effects]]
            gamma, self.fill_fit, self.filled = fill_pair_effects(
                np.nan_to_num(g), z, known, self.countries
            )
        self.cost = np.where(present, np.exp(gamma + pair_matrix(codes, xb, n, fill=0.0)), 0.0)
        self.cost_change = np.exp(pair_matrix(codes, xb_cf - xb, n, fill=0.0))
        if not present.all():
            warnings.warn(
                f"{int((~present).sum()):,} pair(s) of {exp.dataset} {exp.year} have no trade "
                "value; they are left out (zero flow, no shock)",
                DataWarning,
                stacklevel=3,
            )
        self.flows = fitted_flows(self.trade, self.cost) if exp.flows == "fitted" else self.trade

    @property
    def name(self) -> str:
        return f"gravity dataset {self.exp.dataset}, {self.exp.year}"

    def steps(self) -> list[str]:
        """Run-log lines: what was estimated and applied."""
        exp, fit = self.exp, self.fit
        est = ", ".join(f"{t} {self.beta[t]:.6g}" for t in exp.regressors)
        years = ", ".join(map(str, exp.years))
        lines = [
            f"estimated: PPML {fit.formula} on {fit.nobs:,} rows ({years}): {est}",
            "covariates built: " + (", ".join(_describe(c) for c in exp.covariates) or "none"),
        ]
        if exp.panel:
            lines.append(
                f"pair effects: symmetric, domestic pairs share one effect (= 0); {self.filled} "
                f"pair(s) without an estimate filled by PPML on exporter and importer effects "
                f"and {', '.join(exp.fill_pair_effects)} ({exp.year})"
            )
        for c in exp.counterfactual:
            where = _pairs_text(c.pairs)
            lines.append(f"counterfactual: {c.covariate} = {c.to:g} on {where} in {exp.year}")
        lines.append(f"{self.changed_pairs} pair(s) change trade costs")
        lines.append(
            f"baseline flows: {'PPML fitted flows (exporter, importer effects, offset ln t)' if exp.flows == 'fitted' else 'the data'}"
        )
        return lines


def _describe(c: Covariate) -> str:
    body = {"log": f"ln({c.source})", "column": str(c.source), "dummy": "1 on " + _pairs_text(c.pairs)}[c.kind]
    if c.except_pairs is not None:
        body += ", 0 on " + _pairs_text(c.except_pairs)
    if c.from_year is not None:
        body += f" (from {c.from_year})"
    return f"{c.name} = {body}"


def _pairs_text(p: Pairs | None) -> str:
    if isinstance(p, PairGroup):
        return "every international pair" if p.form == "all" else p.describe()
    return f"pairs {[list(x) for x in p or ()]}"


# --------------------------------------------------------------------------- solving, reporting


def load_gravity_baseline(exp: GravityExperiment, store: Store) -> GravityBaseline:
    """The fit, flows and trade costs of ``exp`` from the store's gravity table."""
    from techties.store.gravity import gravity_frame

    return GravityBaseline(exp, gravity_frame(store, exp.dataset))


def solve_gravity(base: GravityBaseline, sigma: float) -> OneSectorResult:
    """Solve the counterfactual of ``base`` (exact equilibrium or the book's loop)."""
    exp = base.exp
    opts = SolverOptions(tol=exp.tol, max_iter=200) if exp.method == "geppml_book" else None
    return solve_onesector(
        base.flows,
        base.cost_change,
        sigma=sigma,
        countries=list(base.countries),
        reference=exp.reference,
        method=exp.method,
        options=opts,
    )


def signed(table: pd.DataFrame, sign: Sign) -> pd.DataFrame:
    """Every ``*_pct`` column in the ``sign`` convention (see the module docstring)."""
    if sign == "change":
        return table
    out = table.copy()
    for col in [c for c in out.columns if c.endswith("_pct")]:
        ratio = 1 + out[col] / 100
        out[col] = -out[col] if col == "price_pct" else 100 * (1 / ratio - 1)
    return out


class GravityExperimentResult(Result):
    """A gravity scenario's solution, reported in its sign convention."""

    def __init__(self, central: OneSectorResult, sign: Sign, fit: GravityResult) -> None:
        self.central = central
        self.sign = sign
        self.fit = fit
        self.title = central.title

    @property
    def full(self) -> Any:
        return self.central.full

    def tidy(self) -> pd.DataFrame:
        return signed(self.central.tidy(), self.sign)

    def summary(self) -> str:
        head = "changes: (counterfactual − baseline)/baseline" if self.sign == "change" else (
            "effects of what the counterfactual removes: (baseline − counterfactual)/counterfactual"
        )
        return f"{self.central.summary()}\n{head}"

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(sign=self.sign, method=self.central.method)
        return json_safe(d)  # type: ignore[no-any-return]


def sign_line(sign: Sign) -> str:
    if sign == "change":
        return "reported: changes, 100 (counterfactual/baseline − 1)"
    return (
        "reported: effects of what the counterfactual removes, 100 (baseline/counterfactual − 1) "
        "(the Advanced Guide's 'effects of NAFTA'); price_pct = 100 (1 − p̂) as the book's files"
    )


def check_runnable(draws: int, closure: str | None) -> None:
    if draws:
        raise ConfigError(
            "gravity scenarios solve the central case only (draws would re-estimate the model)",
            hint="run with draws=0",
        )
    if closure not in (None, "multiplicative"):
        raise ConfigError("gravity scenarios use the Advanced Guide's multiplicative closure")
