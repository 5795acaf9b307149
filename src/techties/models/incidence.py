"""Tariff incidence and pass-through (Amiti–Redding–Weinstein 2019; Fajgelbaum et al. 2020).

For product ``p``, partner ``c``, period ``t`` with duty-exclusive import value ``V``, quantity
``Q`` and unit value ``P = V/Q`` (what the foreign exporter receives), and tariff ``τ``:

    ln Y_pct = β_Y · ln(1 + τ_pct) + α_pc + δ_pt + γ_ct + ε_pct,   Y ∈ {V, Q, P}

(OLS on logs; PPML for ``V`` keeps zeros). Fixed effects: product × partner, product × period
and partner × period where the panel allows (see :data:`PANEL_NOTES`); SEs clustered by
product.

Meaning of ``β_P`` (duty-exclusive price response): the duty-inclusive price is
``P·(1+τ)``, so its elasticity to ``1+τ`` is ``1 + β_P``:

- ``β_P ≈ 0``  → **full pass-through**: foreign exporters did not cut prices; the tariff is
  paid entirely by US importers/consumers (ARW and Fajgelbaum et al. find this for 2018–19);
- ``β_P ≈ −1`` → zero pass-through: exporters absorbed the whole tariff.

``β_V`` and ``β_Q`` are the import-value and quantity responses (with full pass-through,
``β_Q`` is the import demand elasticity times −1 … i.e. ``−σ`` in a CES setting).

What each staged panel can identify is written in :data:`PANEL_NOTES` and repeated in each
result's summary.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from techties.errors import DataWarning, ModelError, NoDataError
from techties.models.fit import FitResult, check_columns, fit_fixest
from techties.results import TIDY_COLUMNS, Result
from techties.store import Store

PANEL_NOTES = {
    "comtrade_hs6_annual": (
        "Comtrade HS6, annual, US imports from China and comparison partners with quantities: "
        "identifies value, quantity and unit-value (duty-exclusive price) responses to the "
        "Section 301 tariffs, hence pass-through, from variation across products within China "
        "relative to the same products from untaxed partners (product×year and partner×year "
        "FE). Cannot separate within-year timing (annual data; tariffs are time-weighted within "
        "the year), unit values mix quality and composition within HS6, and quantities are "
        "missing or change units for some lines (those rows are dropped)."
    ),
    "census_hs2_monthly": (
        "Census monthly HS2 imports and calculated duties by partner (2013–2021): no "
        "quantities, so NO unit values and NO pass-through; identifies only the response of "
        "duty-exclusive import values to the effective tariff (duties/value) within "
        "chapter×partner over time, net of chapter×month and partner×month shocks. The "
        "effective rate is an import-weighted average within HS2 (composition shifts toward "
        "untaxed lines lower it mechanically), so the elasticity is biased toward zero."
    ),
    "census_naics_monthly": (
        "Census monthly NAICS3 imports and duties by partner (2013–2025, incl. the 2025 "
        "waves): like the HS2 panel — value responses only, no prices or quantities, effective "
        "tariff is duties/imports at NAICS3 (aggregation and composition bias)."
    ),
    "comtrade_hs6_232": (
        "Comtrade HS6, annual, the Section 232 steel and aluminium products only (Bown's TT232 "
        "columns), US imports from China, Vietnam and Mexico; the tariff is the 232 duty on every "
        "partner (Mexico only from June 2018 to May 2019) plus the Section 301 duty on China. "
        "Every partner paid the 232 duty, so the response is identified only by Mexico's "
        "exemption and China's 301 stacking within product×year: few products, wide intervals."
    ),
    "custom": "panel supplied by the user; identification depends on its variation.",
}


@dataclass
class IncidenceResult(Result):
    """β for each outcome (value, quantity, unit value) and its pass-through reading."""

    table: pd.DataFrame
    panel: str
    se_type: str
    nobs: dict[str, int]
    fits: dict[str, FitResult] = field(default_factory=dict, repr=False)
    title: str = "Tariff incidence"

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def pass_through(self) -> float | None:
        """Elasticity of the duty-inclusive price to (1+τ): ``1 + β_P`` (None without prices)."""
        t = self.table.set_index("outcome")
        if "unit_value" not in t.index:
            return None
        return 1.0 + float(t["estimate"].to_numpy()[t.index.get_loc("unit_value")])

    def summary(self) -> str:
        lines = [self.title, f"  panel: {self.panel}; SE: {self.se_type}"]
        for r in self.table.itertuples():
            lines.append(
                f"  ln {r.outcome:<11} on ln(1+τ): {r.estimate:+.3f} ({r.std_error:.3f})"
                f"  [{r.conf_low:+.3f}, {r.conf_high:+.3f}]  N = {self.nobs[str(r.outcome)]:,}"
            )
        pt = self.pass_through
        if pt is None:
            lines.append("  pass-through: not identified (no quantities → no unit values)")
        else:
            lines.append(
                f"  pass-through to duty-inclusive prices = 1 + β_P = {pt:.2f} "
                "(1 = full: exporters did not cut duty-exclusive prices; 0 = none)"
            )
        lines.append(f"  identifies: {PANEL_NOTES.get(self.panel, PANEL_NOTES['custom'])}")
        return "\n".join(lines)


def incidence(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str] = ("value", "quantity", "unit_value"),
    tariff: str = "tariff",
    fixed_effects: Sequence[str] = ("product^partner", "product^period", "partner^period"),
    cluster: str = "product",
    estimator: str = "ols",
    panel_name: str = "custom",
) -> IncidenceResult:
    """Regress each log outcome on ``ln(1 + tariff)`` (tariff as a fraction, 0.25 = 25 %).

    ``fixed_effects`` are interactions ``a^b`` of panel columns (built here as string ids).
    ``unit_value`` is computed as value/quantity when absent. ``estimator="ppml"`` fits the
    levels (zeros kept) and is only meaningful for value and quantity.
    """
    check_columns(panel, ["product", "partner", "period", tariff], "panel column")
    tau = pd.to_numeric(panel[tariff], errors="coerce")
    if (tau <= -1).any():
        raise ModelError(f"tariff {tariff!r} must be a fraction > −1 (0.25 = 25 %)")
    if tau.max() > 5:
        raise ModelError(
            f"tariff {tariff!r} reaches {tau.max():.1f}: looks like percent, not a fraction",
            hint="divide by 100",
        )
    data = panel.copy()
    data["ln1p_tariff"] = np.log1p(tau)
    if "unit_value" in outcomes and "unit_value" not in data.columns:
        check_columns(data, ["value", "quantity"], "column for unit values")
        q = pd.to_numeric(data["quantity"], errors="coerce")
        data["unit_value"] = np.where(q > 0, data["value"] / q.where(q > 0), np.nan)
    fes = [_fe_id(data, f) for f in fixed_effects]
    rows, nobs, fits = [], {}, {}
    for out in outcomes:
        fit = _fit_outcome(data, out, fes, cluster, estimator)
        t = fit.table[fit.table["term"] == "ln1p_tariff"].copy()
        if t.empty:
            raise ModelError(f"ln(1+τ) is collinear with the fixed effects for {out!r}")
        t["outcome"] = out
        rows.append(t)
        nobs[out], fits[out] = fit.nobs, fit
    table = pd.concat(rows, ignore_index=True)[["outcome", *TIDY_COLUMNS]]
    return IncidenceResult(
        table=table,
        panel=panel_name,
        se_type=next(iter(fits.values())).se_type,
        nobs=nobs,
        fits=fits,
        title=f"Tariff incidence ({panel_name})",
    )


def _fe_id(data: pd.DataFrame, spec: str) -> str:
    parts = spec.split("^")
    check_columns(data, parts, "fixed-effect column")
    name = "_fe_" + "_".join(parts)
    data[name] = data.groupby(parts, sort=False).ngroup()
    return name


def _fit_outcome(
    data: pd.DataFrame, out: str, fes: list[str], cluster: str, estimator: str
) -> FitResult:
    check_columns(data, [out], "outcome")
    y = pd.to_numeric(data[out], errors="coerce")
    if estimator == "ppml":
        return fit_fixest(
            data.assign(**{out: y}),
            out,
            ["ln1p_tariff"],
            fes,
            estimator="ppml",
            se="cluster",
            cluster=cluster,
            separation="fe",
        )
    bad = int((~(y > 0)).sum())
    if bad:
        warnings.warn(
            f"ln {out}: {bad:,} rows with zero/missing values dropped", DataWarning, stacklevel=3
        )
    sub = data[y > 0].copy()
    sub[f"ln_{out}"] = np.log(y[y > 0])
    return fit_fixest(
        sub, f"ln_{out}", ["ln1p_tariff"], fes, estimator="ols", se="cluster", cluster=cluster
    )


# ----------------------------------------------------------------------------- panel builders
#: Section 301 waves in Bown's HS6 file with their effective dates (changes in pp)
BOWN_301_DATES = {
    "TT301_a": "2018-07-06",
    "TT301_b": "2018-08-23",
    "TT301_c": "2018-09-24",
    "TT301_d": "2019-05-10",
    "TT301_e": "2019-09-01",
    "TT301_f": "2020-02-14",
}


def bown_annual_tariff(waves: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Time-weighted Section 301 additional tariff on China by HS6 and year (fraction), from
    Bown's waves (:func:`techties.models.panels.bown_waves`).

    ``τ_p,y = Σ_w Δτ_p,w · (days of year y on/after the wave date) / (days in y)``.
    """
    d = waves
    out = []
    for y in years:
        start, end = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y + 1}-01-01")
        days = (end - start).days
        tau = np.zeros(len(d))
        for col, date in BOWN_301_DATES.items():
            share = min(max((end - pd.Timestamp(date)).days, 0), days) / days
            tau += pd.to_numeric(d[col], errors="coerce").fillna(0.0).to_numpy() * share / 100
        out.append(
            pd.DataFrame(
                {"product": d["hs06"].astype(str).str.zfill(6), "period": y, "tariff": tau}
            )
        )
    return pd.concat(out, ignore_index=True).drop_duplicates(["product", "period"])


#: Section 232 waves in Bown's HS6 file (steel 25 % / aluminium 10 %; derivatives) and the
#: periods each partner paid them (Mexico was exempted on 20 May 2019)
BOWN_232_DATES = {"TT232_1": "2018-03-23", "TT232_2": "2020-02-08"}
SECTION_232_PERIODS = {
    "CHN": ("2018-03-23", None),
    "VNM": ("2018-03-23", None),
    "MEX": ("2018-06-01", "2019-05-20"),
}


def bown_annual_232(
    waves: pd.DataFrame,
    years: Sequence[int],
    periods: dict[str, tuple[str, str | None]] | None = None,
) -> pd.DataFrame:
    """Time-weighted Section 232 tariff by HS6, partner and year (``product, partner, period,
    tariff_232``; fraction), for the products Bown's file lists under TT232 (others omitted).

    A wave counts from its date, and for each partner only inside that partner's period.
    """
    d = waves
    cols = [c for c in BOWN_232_DATES if c in d.columns]
    rates = {c: pd.to_numeric(d[c], errors="coerce").fillna(0.0).to_numpy() / 100 for c in cols}
    hit = np.zeros(len(d), dtype=bool)
    for c in cols:
        hit |= rates[c] > 0
    product = d["hs06"].astype(str).str.zfill(6).to_numpy()[hit]
    out = []
    for partner, (start, stop) in (periods or SECTION_232_PERIODS).items():
        p_start = pd.Timestamp(start)
        p_stop = pd.Timestamp(stop) if stop else pd.Timestamp("2100-01-01")
        for y in years:
            y0, y1 = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y + 1}-01-01")
            tau = np.zeros(int(hit.sum()))
            for c in cols:
                a = max(y0, p_start, pd.Timestamp(BOWN_232_DATES[c]))
                b = min(y1, p_stop)
                share = max((b - a).days, 0) / (y1 - y0).days
                tau += rates[c][hit] * share
            out.append(
                pd.DataFrame(
                    {"product": product, "partner": partner, "period": y, "tariff_232": tau}
                )
            )
    return pd.concat(out, ignore_index=True).drop_duplicates(["product", "partner", "period"])


def section_232_panel(panel: pd.DataFrame, tariffs_232: pd.DataFrame) -> pd.DataFrame:
    """The 232 products of an incidence panel (from :func:`comtrade_incidence_panel`) with
    ``tariff`` = Section 232 duty of the partner + the panel's own (Section 301) tariff."""
    keys = ["product", "partner", "period"]
    p = panel[panel["product"].isin(set(tariffs_232["product"]))].merge(
        tariffs_232, on=keys, how="left"
    )
    p["tariff"] = p["tariff"].fillna(0.0) + p["tariff_232"].fillna(0.0)
    return p


def comtrade_incidence_panel(
    flows: pd.DataFrame, tariffs: pd.DataFrame, *, treated_partner: str = "CHN"
) -> pd.DataFrame:
    """Attach the China tariff to China rows (0 for other partners); keeps products with a
    single quantity unit across years and partners (unit values comparable).

    Rows without a reported quantity (Comtrade's ``N/A`` unit, stored as a missing quantity)
    do not count as a unit: a product measured in kg every year but one stays in the panel,
    and a product never reported with a quantity leaves it (it has no unit values)."""
    units = flows.dropna(subset=["quantity"]).groupby("product")["qty_unit"].nunique()
    ok = units.index[units == 1]
    p = flows[flows["product"].isin(ok)].merge(tariffs, on=["product", "period"], how="left")
    p["tariff"] = np.where(p["partner"] == treated_partner, p["tariff"].fillna(0.0), 0.0)
    return p


#: partner codes of aggregates in the Census extracts (world, EU, USMCA): not partners
CENSUS_AGGREGATES = ("WLD", "EUN", "USMCA")


def census_monthly_panel(store: Store, source: str = "census", *, level: int = 2) -> pd.DataFrame:
    """Monthly US imports for consumption and calculated duties by product and partner from the
    store's ``trade_flows`` (``source="census"``, ``level=2``: the HS2 monthly extracts;
    ``source="census_naics_monthly"``, ``level=3``: NAICS3), aggregates dropped. Columns
    ``product, partner, period`` (months since year 0), ``value, duties, tariff``;
    ``attrs["provenance_ids"]`` names the rows' files."""
    marks = ", ".join("?" for _ in CENSUS_AGGREGATES)
    where = (
        "source = ? AND reporter = 'USA' AND flow = 'import' AND product_level = ? "
        f"AND month IS NOT NULL AND duties_usd IS NOT NULL AND partner NOT IN ({marks})"
    )
    d = store.df(
        "SELECT product_code AS product, partner, 12 * year + month - 1 AS period, "
        "sum(value_usd) AS value, sum(duties_usd) AS duties, list(DISTINCT provenance_id) AS ids "
        f"FROM trade_flows WHERE {where} GROUP BY ALL ORDER BY partner, product, period",
        [source, level, *CENSUS_AGGREGATES],
    )
    if d.empty:
        raise NoDataError(
            f"no monthly {source} imports with duties at product level {level} in trade_flows",
            hint="Ingest them first: `techties ingest census trade-flows/us-imports-hs2-monthly/` "
            "or `techties ingest census_naics_monthly trade-flows/us-imports-naics-monthly/` "
            "(or `techties report --data DIR`).",
        )
    ids = sorted({int(i) for x in d["ids"] for i in x})
    p = d.drop(columns="ids")
    p = p[p["value"] > 0].copy()
    p["period"] = p["period"].astype(np.int64)
    p["tariff"] = (p["duties"] / p["value"]).clip(lower=0.0)
    p.attrs["provenance_ids"] = ids
    return p.reset_index(drop=True)
