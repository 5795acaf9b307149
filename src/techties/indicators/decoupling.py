"""Decoupling: the change in a partner's share of a reporter's imports since a base year, split
by tariff exposure.

For reporter r (USA), partner p (CHN), product group g, exposure class e (products on the
Section 301 lists 1–4A vs not) and year t, with base year t0 (2017)::

    share[g, e, t]   = Σ_{k ∈ g, e} V[p, k, t] / Σ_{k ∈ g, e} T[k, t]
    change_pp[g, e, t] = 100 · (share[g, e, t] − share[g, e, t0])          (percentage points)
    value_index[g, e, t] = Σ_{k ∈ g, e} V[p, k, t] / Σ_{k ∈ g, e} V[p, k, t0]

``T`` is the world total (partner WLD) or, with ``denominator="partners"``, the sum over the
partners in the source (then ``share`` is a share among those partners, and labelled so). A
product is exposed when any listed tariff line falls in it (see
:mod:`techties.indicators.exposure`). The US share of China's imports is the same call with
``reporter="CHN", partner="USA"`` (it needs China-reported imports by product in the store).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import NoDataError
from techties.indicators.exposure import WAVES_301, covered_codes
from techties.indicators.registry import DENOMINATOR_HELP, SELECTION_HELP, register_indicator
from techties.indicators.result import IndicatorResult, has_table, source_line, wave_markers
from techties.indicators.shares import Denominator, Selection, partner_shares
from techties.store import Store

EXPOSED, NOT_EXPOSED, UNKNOWN = "on 301 lists 1–4A", "not on the lists", "exposure unknown"


def exposure_flags(
    store: Store, products: Sequence[str], measures: Sequence[str] = WAVES_301
) -> tuple[pd.Series, str | None]:
    """Exposure class of each product code (listed line inside it, or it inside a listed line).

    Returns the classes and a note when the store has no tariff lists (then every product is
    'exposure unknown').
    """
    codes = pd.Series(sorted(set(products)), dtype=object)
    try:
        lines = covered_codes(store, measures)
    except NoDataError as exc:
        return pd.Series(UNKNOWN, index=codes), f"no exposure split: {exc.message}"
    listed = set(lines["product_code"].astype(str))
    prefixes = {n: {c[:n] for c in listed} for n in range(2, 11)}
    out = {}
    for code in codes:
        n = len(code)
        hit = code in prefixes.get(n, set()) or any(code[:m] in listed for m in range(2, n))
        out[code] = EXPOSED if hit else NOT_EXPOSED
    return pd.Series(out), None


@register_indicator(
    "decoupling",
    help="Change of the partner's share since the base year, by tariff exposure class.",
    params_help={
        "selection": SELECTION_HELP,
        "partner": "The partner whose share is followed (ISO3).",
        "base_year": "Base year of the changes.",
        "denominator": DENOMINATOR_HELP,
        "by_product": "One row per product instead of per exposure class.",
    },
)
def decoupling(
    store: Store,
    selection: Selection | None = None,
    *,
    partner: str = "CHN",
    base_year: int = 2017,
    denominator: Denominator = "world",
    by_product: bool = False,
    split_exposure: bool = True,
    measures: Sequence[str] = WAVES_301,
    **kwargs: Any,
) -> DecouplingResult:
    """Change in ``partner``'s share of the reporter's imports since ``base_year`` (module doc)."""
    sel = selection or Selection(**kwargs)
    shares = partner_shares(store, sel, denominator=denominator)
    t = shares.tidy()
    if base_year not in set(t["year"]):
        raise NoDataError(
            f"Base year {base_year} is not in the data ({sorted(set(t['year']))}).",
            hint="Pick a base year the source covers.",
        )
    mine = t[t["partner"] == partner]
    totals = t.drop_duplicates(["year", "month", "product"])[
        ["year", "month", "product", "total_usd"]
    ]
    frame = totals.merge(
        mine[["year", "month", "product", "value_usd"]], how="left", on=["year", "month", "product"]
    ).fillna({"value_usd": 0.0})
    notes = list(shares.notes)
    if split_exposure and sel.classification == "HS":
        flags, note = exposure_flags(store, list(frame["product"].astype(str)), measures)
        frame["exposure"] = frame["product"].astype(str).map(flags)
        if note:
            notes.append(note)
    else:
        frame["exposure"] = "all products"
    frame["product_group"] = frame["product"] if by_product else (sel.group or _group_label(sel))
    table = _changes(frame, base_year)
    split = frame["exposure"].nunique() > 1
    return DecouplingResult(
        table=table,
        name="decoupling",
        units="share (0–1), change in percentage points, value index (base = 1)",
        formula="change_pp = 100·(share_t − share_t0); share = Σ V[partner] / Σ T by group "
        "and exposure",
        title=f"{partner} share of {sel.reporter}'s imports"
        + (" by tariff exposure" if split else "")
        + f" (base {base_year})",
        source=shares.source,
        notes=notes,
        provenance_ids=shares.provenance_ids,
        params={"partner": partner, "base_year": base_year, "denominator": denominator},
    )


def _group_label(sel: Selection) -> str:
    if sel.products:
        return "+".join(sel.products)
    return "all goods" if sel.level == 0 else f"all {sel.classification} products"


def _changes(frame: pd.DataFrame, base_year: int) -> pd.DataFrame:
    keys = ["product_group", "exposure", "year"]
    agg = (
        frame.groupby(keys, sort=True)
        .agg(
            partner_usd=("value_usd", "sum"),
            total_usd=("total_usd", "sum"),
            products=("product", "nunique"),
        )
        .reset_index()
    )
    agg["share"] = agg["partner_usd"] / agg["total_usd"]
    base = agg[agg["year"] == base_year].set_index(["product_group", "exposure"])
    idx = pd.MultiIndex.from_frame(agg[["product_group", "exposure"]])
    agg["share_base"] = base["share"].reindex(idx).to_numpy()
    agg["change_pp"] = 100 * (agg["share"] - agg["share_base"])
    agg["value_index"] = agg["partner_usd"] / base["partner_usd"].reindex(idx).to_numpy()
    return agg


class DecouplingResult(IndicatorResult):
    """Decoupling table; ``plot()``: share lines by exposure class (slope chart for 2 years)."""

    def change(self, year: int, exposure: str | None = None, group: str | None = None) -> float:
        t = self.tidy()
        t = t[t["year"] == year]
        if exposure is not None:
            t = t[t["exposure"] == exposure]
        if group is not None:
            t = t[t["product_group"] == group]
        if len(t) != 1:
            raise NoDataError(f"{len(t)} rows match year {year}, exposure {exposure!r}.")
        return float(t["change_pp"].iloc[0])

    def plot(self, *, years: Sequence[int] | None = None) -> Any:
        t = self.tidy()
        if years:
            t = t[t["year"].isin(years)]
        series = t["product_group"].astype(str) + " · " + t["exposure"].astype(str)
        if t["product_group"].nunique() == 1:
            series = t["exposure"].astype(str)
        elif t["exposure"].nunique() == 1:
            series = t["product_group"].astype(str)
        data = pd.DataFrame(
            {
                "year": t["year"].astype(int).astype(str) + "-07-01",
                "series": series,
                "share_pct": t["share"] * 100,
                "change": t["change_pp"].round(1),
            }
        )
        lines = (
            alt.Chart(data)
            .mark_line(point=True, strokeWidth=2.5)
            .encode(
                x=alt.X("year:T", title=None, axis=alt.Axis(format="%Y", tickCount="year")),
                y=alt.Y("share_pct:Q", title="share (%)"),
                color=alt.Color(
                    "series:N", title=None, legend=alt.Legend(orient="right", labelLimit=260)
                ),
                tooltip=["series", "year:T", alt.Tooltip("share_pct:Q", format=".1f"), "change"],
            )
        )
        last = data[data["year"] == data["year"].max()]
        labels = (
            alt.Chart(last)
            .mark_text(align="left", dx=6, fontSize=11)
            .encode(
                x="year:T",
                y="share_pct:Q",
                text=alt.Text("change:Q", format="+.1f"),
                color=alt.Color("series:N", legend=None),
            )
        )
        layer = alt.layer(lines, labels, wave_markers(data["year"].min(), data["year"].max()))
        return charts.finish(
            layer,
            title=self.title,
            subtitle=(
                "Share of the listed partners' total (not world), %"
                if self.params.get("denominator") == "partners"
                else "Share of imports, %"
            )
            + "; label: change since the base year, pp",
            source=self.source,
        )


@register_indicator(
    "us-share-of-china",
    help="US share of China's total merchandise imports (China-reported, WDI totals).",
    params_help={"base_year": "Base year of the changes."},
)
def share_of_total_imports(
    store: Store, *, reporter: str = "CHN", partner: str = "USA", base_year: int = 2017
) -> DecouplingResult:
    """The partner's share of the reporter's total merchandise imports, all goods.

    ``share[t] = M[reporter ← partner, t] / M_WDI[reporter, t]``: the reporter's own imports
    from the partner (trade_flows, all goods, annual; where a flow is in several files the latest
    ingested is used) over its merchandise imports from the world (WDI ``TM.VAL.MRCH.CD.WT``).
    This is the US share of China's imports with the defaults; by product it needs China's
    imports by product, which the staged files do not have.
    """
    if not has_table(store, "indicators"):
        raise NoDataError("The store has no indicators table (WDI).")
    num = store.df(
        "SELECT year, arg_max(v, provenance_id) AS partner_usd, max(provenance_id) AS pid FROM "
        "(SELECT year, provenance_id, sum(value_usd) AS v FROM trade_flows WHERE reporter = ? "
        "AND partner = ? AND flow = 'import' AND product_level = 0 AND month IS NULL "
        "GROUP BY ALL) GROUP BY year",
        [reporter, partner],
    )
    den = store.df(
        "SELECT year, value AS total_usd, provenance_id AS did FROM indicators "
        "WHERE indicator = 'TM.VAL.MRCH.CD.WT' AND country = ? AND value IS NOT NULL",
        [reporter],
    )
    if num.empty or den.empty:
        which = (
            f"{reporter}-reported imports from {partner}"
            if num.empty
            else (f"WDI merchandise imports of {reporter} (TM.VAL.MRCH.CD.WT)")
        )
        raise NoDataError(
            f"No {which} in the store.",
            hint="Ingest comtrade-totals and tech-wdi/tm.val.mrch.cd.wt.",
        )
    t = num.merge(den, on="year").sort_values("year").reset_index(drop=True)
    ids = sorted({int(i) for i in (*t.pop("pid"), *t.pop("did"))})
    t["share"] = t["partner_usd"] / t["total_usd"]
    base = t.loc[t["year"] == base_year, "share"]
    t["change_pp"] = 100 * (t["share"] - (base.iloc[0] if len(base) else float("nan")))
    t.insert(0, "exposure", "all products")
    t.insert(0, "product_group", "all goods")
    return DecouplingResult(
        table=t,
        name="share_of_total_imports",
        units="share (0–1); change in pp",
        formula="share = M[reporter ← partner] / WDI merchandise imports of the reporter",
        title=f"{partner} share of {reporter}'s merchandise imports (base {base_year})",
        source=source_line(store, ids),
        notes=[
            f"numerator {reporter}-reported (CIF), denominator WDI (current US$); all goods only"
        ],
        provenance_ids=ids,
        params={"reporter": reporter, "partner": partner},
    )
