"""What the one-sector solvers share: input checks, the equilibrium, and the result object.

Kept apart from the solvers (:mod:`techties.simulation.onesector` for the exact hat algebra,
:mod:`techties.simulation.geppml` for the Advanced Guide's loop) so that each solver imports
these pieces and neither imports the other's module back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import (
    ConfigError,
    SimulationInputError,
    UnknownNameError,
    did_you_mean,
)
from techties.results import Result, json_safe
from techties.simulation.options import SolverOptions


def _matrix(a: Any, name: str, *, n: int | None = None, nonneg: bool = False) -> np.ndarray:
    """``a`` as a finite square float array (an input error names the first bad cell)."""
    try:
        arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SimulationInputError(
            f"{name} is not numeric: {str(exc).splitlines()[0]}",
            hint="pass numbers (e.g. a DataFrame of flows with exporters as rows, importers as "
            "columns), with missing flows as 0",
        ) from exc
    if arr.size == 0:
        raise SimulationInputError(
            f"{name} is empty (shape {arr.shape})",
            hint="give at least two countries, with domestic flows on the diagonal",
        )
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise SimulationInputError(
            f"{name} must be a square N×N array (exporter × importer), got shape {arr.shape}"
        )
    if n is not None and arr.shape[0] != n:
        raise SimulationInputError(f"{name} is {arr.shape[0]}×{arr.shape[0]} but trade is {n}×{n}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise SimulationInputError(
            f"{name} has {int(bad.sum())} non-finite value(s), first at row {i}, column {j}",
            hint="fill missing flows with 0 and missing shocks with 1 (no change)",
        )
    if nonneg and np.any(arr < 0):
        i, j = np.argwhere(arr < 0)[0]
        raise SimulationInputError(
            f"{name} has a negative value {arr[i, j]} at row {i}, column {j}"
        )
    return arr


def _positive(v: np.ndarray, what: str) -> None:
    if np.any(v <= 0):
        raise SimulationInputError(
            f"{int((v <= 0).sum())} country(ies) have zero {what}; first is index "
            f"{int(np.argmax(v <= 0))}",
            hint="include domestic flows (exporter == importer) and drop empty countries",
        )


def _sigma(sigma: float) -> float:
    if not isinstance(sigma, (int, float, np.floating)) or not np.isfinite(sigma) or sigma <= 1:
        raise ConfigError(
            f"sigma (elasticity of substitution) must be a number above 1, got {sigma!r}",
            hint="the trade elasticity is 1 − σ; the Advanced Guide uses σ = 7",
        )
    return float(sigma)


# --------------------------------------------------------------------------- the fixed point


@dataclass(frozen=True, slots=True)
class Equilibrium:
    """One solved equilibrium (changes are ratios ``x'/x``; levels in the trade unit)."""

    price_hat: np.ndarray  # p̂_i factory-gate price
    imr_hat: np.ndarray  # P̂_j consumer price index = inward multilateral resistance
    omr_hat: np.ndarray  # Π̂_i outward multilateral resistance
    output: np.ndarray  # Y'_i
    spending: np.ndarray  # E'_j (buyer value incl. tariff revenue)
    revenue: np.ndarray  # R'_j tariff revenue
    trade: np.ndarray  # X'_ij at producer prices
    shares: np.ndarray  # λ'_ij (columns sum to one)
    iterations: int
    residual: float


def _labels(countries: Sequence[str] | None, n: int) -> list[str]:
    if countries is None:
        return [str(i) for i in range(n)]
    labels = [str(c) for c in countries]
    if len(labels) != n:
        raise SimulationInputError(f"{len(labels)} country labels given for a {n}×{n} trade matrix")
    if len(set(labels)) != n:
        dup = sorted({c for c in labels if labels.count(c) > 1})
        raise SimulationInputError(f"duplicate country labels: {', '.join(dup)}")
    return labels


def _reference(reference: int | str | None, labels: list[str]) -> int | None:
    if reference is None:
        return None
    if isinstance(reference, str):
        if reference not in labels:
            raise UnknownNameError(
                f"reference country {reference!r} is not in the data. "
                + did_you_mean(reference, labels)
            )
        return labels.index(reference)
    if isinstance(reference, (int, np.integer)) and not isinstance(reference, bool):
        if not 0 <= int(reference) < len(labels):
            raise ConfigError(f"reference index {reference} is outside 0..{len(labels) - 1}")
        return int(reference)
    raise ConfigError(f"reference must be a country label or index, got {reference!r}")


# --------------------------------------------------------------------------- result


def _pct(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(old > 0, 100.0 * (new / old - 1.0), np.nan)


def _exports(x: np.ndarray) -> np.ndarray:
    return x.sum(axis=1) - np.diag(x)


def _imports(x: np.ndarray) -> np.ndarray:
    return x.sum(axis=0) - np.diag(x)


@dataclass(frozen=True)
class OneSectorResult(Result):
    """Conditional (CDL) and full-endowment (FULL) one-sector counterfactual.

    All ``*_pct`` columns of :meth:`tidy` are percent changes ``100 (x'/x − 1)``; ``imr`` is the
    consumer price index ``P`` and ``omr`` is ``Π`` (both in price units, as the Advanced Guide
    reports them); exports/imports exclude domestic flows and are at producer prices.
    """

    countries: list[str]
    baseline: np.ndarray
    baseline_revenue: np.ndarray
    cdl: Equilibrium | None
    full: Equilibrium
    sigma: float
    imbalance: str
    reference: str | None
    options: SolverOptions = field(default_factory=SolverOptions)
    title: str = "One-sector general-equilibrium counterfactual"
    method: str = "exact"

    # -- derived quantities (all from the stored equilibria)
    @property
    def real_gdp_pct(self) -> pd.Series:
        """Advanced Guide real GDP change ``100 (Ŷ/P̂ − 1)`` by country."""
        return self.tidy().set_index("country")["real_gdp_pct"]

    @property
    def welfare_pct(self) -> pd.Series:
        """ge_gravity welfare change ``100 (Ê/P̂ − 1)`` by country."""
        return self.tidy().set_index("country")["welfare_pct"]

    def tidy(self) -> pd.DataFrame:
        """Per-country table: baseline levels and percent changes (CDL and FULL)."""
        f, x0 = self.full, self.baseline
        y0 = x0.sum(axis=1)
        e0 = x0.sum(axis=0) + self.baseline_revenue
        nan = np.full(len(self.countries), np.nan)
        c = self.cdl
        return pd.DataFrame(
            {
                "country": self.countries,
                "output_baseline": y0,
                "exports_baseline": _exports(x0),
                "imports_baseline": _imports(x0),
                "exports_cdl_pct": _pct(_exports(c.trade), _exports(x0)) if c else nan,
                "imports_cdl_pct": _pct(_imports(c.trade), _imports(x0)) if c else nan,
                "imr_cdl_pct": 100 * (c.imr_hat - 1) if c else nan,
                "omr_cdl_pct": 100 * (c.omr_hat - 1) if c else nan,
                "exports_full_pct": _pct(_exports(f.trade), _exports(x0)),
                "imports_full_pct": _pct(_imports(f.trade), _imports(x0)),
                "price_pct": 100 * (f.price_hat - 1),
                "output_pct": _pct(f.output, y0),
                "expenditure_pct": _pct(f.spending, e0),
                "imr_full_pct": 100 * (f.imr_hat - 1),
                "omr_full_pct": 100 * (f.omr_hat - 1),
                "tariff_revenue_baseline": self.baseline_revenue,
                "tariff_revenue_full": f.revenue,
                "real_gdp_pct": 100 * (f.output / y0 / f.imr_hat - 1),
                "welfare_pct": 100 * (f.spending / e0 / f.imr_hat - 1),
            }
        )

    def bilateral(self) -> pd.DataFrame:
        """Long table of flows: exporter, importer, baseline, CDL, FULL and percent changes."""
        n = len(self.countries)
        lab = np.asarray(self.countries, dtype=object)
        x0 = self.baseline.ravel()
        out = pd.DataFrame(
            {
                "exporter": np.repeat(lab, n),
                "importer": np.tile(lab, n),
                "trade_baseline": x0,
                "trade_cdl": self.cdl.trade.ravel() if self.cdl else np.nan,
                "trade_full": self.full.trade.ravel(),
            }
        )
        out["trade_cdl_pct"] = _pct(out["trade_cdl"].to_numpy(), x0)
        out["trade_full_pct"] = _pct(out["trade_full"].to_numpy(), x0)
        return out

    def summary(self) -> str:
        t = self.tidy().sort_values("real_gdp_pct")
        ref = self.reference or "world output"
        lines = [
            f"{self.title}: {len(self.countries)} countries, σ = {self.sigma:g}, "
            f"{self.imbalance} imbalance, numeraire {ref}",
            (
                f"FULL solved in {self.full.iterations} iterations, max relative excess demand "
                f"{self.full.residual:.1e} (tol {self.options.tol:.0e})"
            )
            if self.method == "exact"
            else (
                f"FULL: Advanced Guide loop stopped after {self.full.iterations} rounds (price "
                f"tolerance {self.options.tol:g}); max relative excess demand left "
                f"{self.full.residual:.1e} — not an exact equilibrium"
            ),
            "real GDP change (Advanced Guide Ŷ/P̂), %: "
            f"median {t.real_gdp_pct.median():.2f}, "
            f"min {t.real_gdp_pct.iloc[0]:.2f} ({t.country.iloc[0]}), "
            f"max {t.real_gdp_pct.iloc[-1]:.2f} ({t.country.iloc[-1]})",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(
            sigma=self.sigma,
            method=self.method,
            imbalance=self.imbalance,
            reference=self.reference,
            welfare_definitions={
                "real_gdp_pct": "Advanced Guide: 100 (Y'/Y / P'/P - 1)",
                "welfare_pct": "ge_gravity W-hat: 100 (E'/E / P'/P - 1), E incl. tariff revenue",
            },
            iterations={
                "cdl": self.cdl.iterations if self.cdl else None,
                "full": self.full.iterations,
            },
            residual={"cdl": self.cdl.residual if self.cdl else None, "full": self.full.residual},
            options=self.options.to_dict(),
        )
        return json_safe(out)  # type: ignore[no-any-return]

    def plot(self, measure: str = "real_gdp_pct") -> Any:
        """Bar chart of welfare changes by country (``real_gdp_pct`` or ``welfare_pct``)."""
        from techties.charts import finish

        data = self.tidy()[["country", measure]].rename(columns={measure: "change"})
        chart = change_bars(data, value_format=".2f")
        label = "real GDP (Ŷ/P̂)" if measure == "real_gdp_pct" else "welfare (Ê/P̂)"
        return finish(
            chart,
            title=f"Change in {label} by country",
            subtitle=f"percent, full-endowment GE, σ = {self.sigma:g}",
            source="techties one-sector structural gravity",
        )


def change_bars(data: pd.DataFrame, *, value_format: str) -> Any:
    """Bars of ``change`` (percent) by ``country``, largest first; falls red, rises blue."""
    import altair as alt

    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("country:N", sort="-y", title=None),
            y=alt.Y("change:Q", title="% change"),
            color=alt.condition("datum.change < 0", alt.value("#c0392b"), alt.value("#2c7fb8")),
            tooltip=["country", alt.Tooltip("change:Q", format=value_format)],
        )
    )
