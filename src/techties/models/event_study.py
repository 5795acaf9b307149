"""Event studies of trade around tariff waves, and trade diversion.

Design (one partner, products ``p`` observed over periods ``t``; ``E_p`` = period in which
product ``p`` was first hit, missing for never-hit products):

    V_p,t = exp( α_p + δ_t + Σ_{k ≠ ref} β_k · 1[t − E_p = k] ) · ε_p,t

estimated by PPML (``pyfixest.fepois``; zeros kept) or OLS on ``ln V`` (zeros dropped), with
product (× partner) and period (× partner) fixed effects, SEs clustered by product. Event time
is binned at the window ends (``k ≤ lo`` → ``lo``, ``k ≥ hi`` → ``hi``); ``ref`` (default −1) is
the omitted period. ``exp(β_k) − 1`` is the proportional change of treated products' imports
``k`` periods after the tariff relative to untreated products and to period ``ref``.

Trade diversion (:func:`trade_diversion`) runs the same design on US imports *from other
partners* (Vietnam, Mexico …) of the products hit by the China tariffs: β_k > 0 means imports of
those products from that partner grew relative to other products.

``estimator="saturated"`` calls ``pyfixest.event_study(..., estimator="saturated")`` (Sun &
Abraham cohort-interacted estimator, robust to heterogeneous effects under staggered adoption)
on ``ln V``; use it when waves hit products at different dates (Lists 1–3 in 2018, 4A in 2019).

Functions take a tidy panel (columns ``product``, ``partner``, ``period``, ``value``,
``event_period``) so they do not depend on the store; :mod:`techties.models.panels` builds such
panels from the store or from the staged files.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from techties.errors import DataWarning, ModelError
from techties.models.fit import FitResult, check_columns, fit_fixest
from techties.results import TIDY_COLUMNS, Result

PANEL_COLUMNS = ("product", "partner", "period", "value", "event_period")


@dataclass(frozen=True)
class EventStudySpec:
    """Window, reference period, estimator and inference of an event study."""

    window: tuple[int, int] = (-3, 4)
    reference: int = -1
    estimator: str = "ppml"
    cluster: str = "product"
    balance: bool = True
    outcome: str = "value"


@dataclass
class EventStudyResult(Result):
    """Dynamic coefficients ``β_k`` by event time (and partner), with 95 % bands."""

    table: pd.DataFrame
    spec: EventStudySpec
    se_type: str
    nobs: dict[str, int]
    fits: dict[str, Any] = field(default_factory=dict, repr=False)
    title: str = "Event study"
    note: str = ""

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [self.title, f"  estimator: {self.spec.estimator}; SE: {self.se_type}"]
        lines.append(f"  reference period: {self.spec.reference}; window {self.spec.window}")
        for partner, g in self.table.groupby("partner", sort=False):
            lines.append(f"  partner {partner} (N = {self.nobs.get(str(partner), 0):,}):")
            for k, b, se in zip(g["event_time"], g["estimate"], g["std_error"], strict=True):
                pct = 100 * (np.exp(float(b)) - 1)
                lines.append(f"    k={int(k):+d}  {b:+.3f} ({se:.3f})  ≈ {pct:+.1f} %")
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def plot(self) -> Any:
        """The familiar event-study chart: coefficients with 95 % bands, zero line, ref period."""
        import altair as alt

        from techties import charts

        t = self.table.copy()
        ref = pd.DataFrame(
            {"event_time": [self.spec.reference], "estimate": [0.0], "partner": [p]}
            for p in t["partner"].unique()
        )
        t = pd.concat([t, ref.assign(conf_low=0.0, conf_high=0.0)], ignore_index=True)
        base = alt.Chart(t).encode(
            x=alt.X("event_time:Q", title="periods relative to the tariff (ref. = omitted)"),
            color=alt.Color("partner:N", title="partner"),
        )
        band = base.mark_area(opacity=0.2).encode(y="conf_low:Q", y2="conf_high:Q")
        line = base.mark_line(point=True).encode(
            y=alt.Y("estimate:Q", title="coefficient (log points)")
        )
        zero = alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(color="#888").encode(y="y:Q")
        start = (
            alt.Chart(alt.Data(values=[{"x": self.spec.reference + 0.5}]))
            .mark_rule(strokeDash=[4, 3], color="#888")
            .encode(x="x:Q")
        )
        return charts.finish(
            band + line + zero + start,
            title=self.title,
            subtitle=f"{self.spec.estimator.upper()} event-study coefficients, 95 % CI ({self.se_type})",
        )


def check_panel(panel: pd.DataFrame, outcome: str = "value") -> None:
    cols = [c for c in PANEL_COLUMNS if c != "value"] + [outcome]
    check_columns(panel, cols, "panel column")
    if panel.duplicated(["product", "partner", "period"]).any():
        n = int(panel.duplicated(["product", "partner", "period"]).sum())
        raise ModelError(
            f"panel has {n:,} duplicate (product, partner, period) rows",
            hint="aggregate the panel (sum values) before estimating",
        )


def balance_panel(panel: pd.DataFrame, outcome: str = "value") -> pd.DataFrame:
    """Fill absent product × period cells with zero trade (products seen at least once)."""
    periods = np.sort(panel["period"].unique())
    keys = panel[["product", "partner", "event_period"]].drop_duplicates(["product", "partner"])
    grid = keys.merge(pd.DataFrame({"period": periods}), how="cross")
    out = grid.merge(
        panel.drop(columns=["event_period"]), on=["product", "partner", "period"], how="left"
    )
    out[outcome] = out[outcome].fillna(0.0)
    return out


def event_dummies(panel: pd.DataFrame, spec: EventStudySpec) -> tuple[pd.DataFrame, list[str]]:
    lo, hi = spec.window
    if not lo <= spec.reference <= hi:
        raise ModelError(f"reference period {spec.reference} is outside the window {spec.window}")
    k = (panel["period"] - panel["event_period"]).clip(lower=lo, upper=hi)
    names = []
    out = panel.copy()
    for j in range(lo, hi + 1):
        if j == spec.reference:
            continue
        name = f"event_m{-j}" if j < 0 else f"event_p{j}"
        out[name] = (k == j).astype(float)
        names.append(name)
    return out, names


def _term_time(term: str) -> int:
    return -int(term[7:]) if term.startswith("event_m") else int(term[7:])


def event_study(
    panel: pd.DataFrame, spec: EventStudySpec | None = None, *, title: str = ""
) -> EventStudyResult:
    """Event study per partner in ``panel`` (see module docstring for the equation)."""
    spec = spec or EventStudySpec()
    check_panel(panel, spec.outcome)
    if panel["event_period"].notna().sum() == 0:
        raise ModelError("no treated products in the panel (event_period is empty everywhere)")
    rows, nobs, fits = [], {}, {}
    for partner, sub in panel.groupby("partner", sort=True):
        fit = _fit_partner(sub, spec)
        fits[str(partner)] = fit
        nobs[str(partner)] = fit.nobs
        t = fit.table
        t = t[t["term"].str.startswith("event_")].copy()
        t["event_time"] = t["term"].map(_term_time)
        t["partner"] = str(partner)
        rows.append(t)
    table = pd.concat(rows, ignore_index=True)[[*TIDY_COLUMNS, "event_time", "partner"]]
    first = next(iter(fits.values()))
    return EventStudyResult(
        table=table,
        spec=spec,
        se_type=first.se_type,
        nobs=nobs,
        fits=fits,
        title=title or "Event study of imports around the tariff dates",
    )


def _fit_partner(sub: pd.DataFrame, spec: EventStudySpec) -> FitResult:
    if spec.estimator == "saturated":
        return _fit_saturated(sub, spec)
    if spec.estimator not in ("ppml", "ols"):
        raise ModelError(
            f"unknown event-study estimator {spec.estimator!r}",
            hint="use 'ppml', 'ols' or 'saturated'",
        )
    data = balance_panel(sub, spec.outcome) if spec.balance else sub.copy()
    outcome = spec.outcome
    if spec.estimator == "ols":
        zero = int((data[outcome] <= 0).sum())
        if zero:
            warnings.warn(
                f"OLS on ln {outcome}: {zero:,} zero cells dropped", DataWarning, stacklevel=3
            )
        data = data[data[outcome] > 0].copy()
        data["ln_value"] = np.log(data[outcome])
        outcome = "ln_value"
    data, names = event_dummies(data, spec)
    data["product_fe"] = data["product"].astype(str)
    data["period_fe"] = data["period"].astype(str)
    return fit_fixest(
        data,
        outcome,
        names,
        ["product_fe", "period_fe"],
        estimator=spec.estimator,
        se="cluster",
        cluster=spec.cluster,
        separation="fe",
    )


def _fit_saturated(sub: pd.DataFrame, spec: EventStudySpec) -> FitResult:
    import pyfixest as pf

    # the saturated estimator needs a balanced panel: products traded in every period
    pos = sub[sub[spec.outcome] > 0]
    full = pos.groupby("product")["period"].nunique() == sub["period"].nunique()
    data = pos[pos["product"].isin(full.index[full])].copy()
    if data.empty:
        raise ModelError("no product is traded in every period; the saturated estimator needs that")
    data["ln_value"] = np.log(data[spec.outcome])
    data["cohort"] = data["event_period"].fillna(0).astype(int)
    data["unit"] = pd.factorize(data["product"])[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = pf.event_study(
                data,
                yname="ln_value",
                idname="unit",
                tname="period",
                gname="cohort",
                estimator="saturated",
                cluster="unit",
            )
            agg = m.aggregate(weighting="shares")
    except (ValueError, KeyError, np.linalg.LinAlgError) as exc:
        raise ModelError(f"pyfixest saturated event study failed: {exc}") from exc
    t = agg.reset_index()
    t.columns = ["period_rel", *t.columns[1:]]
    rel = pd.to_numeric(t["period_rel"].astype(str).str.extract(r"(-?\d+)")[0])
    keep = rel.between(*spec.window) & (rel != spec.reference)
    t = t[keep]
    table = pd.DataFrame(
        {
            "term": [f"event_m{-int(r)}" if r < 0 else f"event_p{int(r)}" for r in rel[keep]],
            "estimate": t["Estimate"].to_numpy(dtype=float),
            "std_error": t["Std. Error"].to_numpy(dtype=float),
        }
    )
    table["statistic"] = table["estimate"] / table["std_error"]
    from scipy import stats

    table["p_value"] = 2 * stats.norm.sf(np.abs(table["statistic"]))
    table["conf_low"] = table["estimate"] - 1.96 * table["std_error"]
    table["conf_high"] = table["estimate"] + 1.96 * table["std_error"]
    return FitResult(
        estimator="saturated",
        formula="ln_value ~ cohort × relative period | unit + period (Sun–Abraham)",
        table=table,
        vcov=np.diag(table["std_error"].to_numpy() ** 2),
        nobs=len(data),
        se_type="cluster-robust by product (pyfixest saturated event study, aggregated by cohort shares)",
    )


def trade_diversion(
    panel: pd.DataFrame, partners: list[str] | None = None, spec: EventStudySpec | None = None
) -> EventStudyResult:
    """The event study for each partner's imports of the tariffed products (β_k > 0: diversion)."""
    if partners is not None:
        missing = sorted(set(partners) - set(panel["partner"].astype(str)))
        if missing:
            raise ModelError(f"partners {missing} are not in the panel")
        panel = panel[panel["partner"].astype(str).isin(partners)]
    res = event_study(panel, spec, title="Trade diversion: imports of China-tariffed products")
    res.note = (
        "coefficients by partner; >0 means that partner's exports of the tariffed products to "
        "the US grew relative to its other products after the tariff date"
    )
    return res
