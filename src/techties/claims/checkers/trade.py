"""Checkers on supplier shares of US imports (claims 6, 12), via the indicators layer.

Shares come from ``techties.indicators.shares.partner_shares``; rerouting from
``techties.indicators.rerouting``. These checkers
choose the inputs and apply the rule; they do not recompute the indicators.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from techties import charts
from techties.claims.base import (
    Checker,
    Missing,
    layer,
    register,
    require_table,
    three_way,
)
from techties.claims.checkers._evidence import date_marker, year_lines
from techties.claims.verdict import Figure, Verdict
from techties.store import Store

BASE_YEAR = 2017
SHIFT_SUPPORT_PP, SHIFT_CONTRA_PP = 3.0, 1.0
#: technology goods: NAICS 334, computer and electronic products (the HS6 technology groups need
#: HS6 imports from all partners with a world total, staged for 2024 only)
TECH_PRODUCTS = ("334",)
#: partner codes that are groups, not suppliers
AGGREGATES = ("WLD", "EUN", "USMCA", "EU", "OTH")
LOAD_FLOWS = "ingest US import flows (trade-flows/) with `techties report --data DIR`"


def us_import_source(store: Store, *, first: int = BASE_YEAR) -> tuple[str, str]:
    """(source, classification) of US imports by partner that has a world total and covers
    ``first`` and later years (the longest such series)."""
    require_table(store, "trade_flows", needed_for="US imports by partner", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, classification, min(year) AS y0, max(year) AS y1 FROM trade_flows "
        "WHERE reporter = 'USA' AND flow = 'import' AND partner = 'WLD' "
        "GROUP BY ALL ORDER BY y1 - y0 DESC, source"
    )
    found = found[(found["y0"] <= first) & (found["y1"] > first)]
    if found.empty:
        raise Missing(
            "no_data",
            f"no US imports by partner with a world total spanning {first} and a later year; "
            f"{LOAD_FLOWS} (e.g. the Census monthly NAICS file).",
        )
    return str(found["source"].iloc[0]), str(found["classification"].iloc[0])


def china_share_change(
    store: Store, *, products: tuple[str, ...], what: str
) -> tuple[pd.DataFrame, list[int], str, str]:
    """Partners' shares of US imports by full year (percent), from the shares indicator.

    ``products`` empty = all goods; else code prefixes in the source's classification.
    """
    partner_shares = layer("techties.indicators.shares", "partner_shares", needed_for=what)
    source, classification = us_import_source(store)
    level = len(products[0]) if products else 0
    res = partner_shares(
        store, reporter="USA", flow="import", source=source, classification=classification,
        level=level, products=products, denominator="world",
    )  # fmt: skip
    t = res.tidy()
    t = t[t["month"].isna() & ~t["partner"].isin(AGGREGATES)]
    if "n_months" in t:
        t = t[t["n_months"].fillna(12) >= 12]
    by = pd.DataFrame(
        t.groupby(["year", "partner"], as_index=False).agg(
            value_usd=("value_usd", "sum"), total_usd=("total_usd", "sum")
        )
    )
    by["share_pct"] = 100 * by["value_usd"] / by["total_usd"]
    return by, list(res.provenance_ids), str(res.source or source), classification


def _shift_verdict(
    claim_id: str, store: Store, *, products: tuple[str, ...], label: str
) -> Verdict:
    by, ids, source, _cls = china_share_change(
        store, products=products, what=f"China's share of US imports ({label})"
    )
    chn = by[by["partner"] == "CHN"].set_index("year")["share_pct"]
    if BASE_YEAR not in chn.index or chn.index.max() <= BASE_YEAR:
        raise Missing(
            "no_data",
            f"China's share of US imports ({label}) needs {BASE_YEAR} and a later full year.",
        )
    last = int(chn.index.max())
    change = float(chn[last] - chn[BASE_YEAR])
    status = three_way(change <= -SHIFT_SUPPORT_PP, change > -SHIFT_CONTRA_PP)
    gains = (
        by[by["year"].isin([BASE_YEAR, last])]
        .pivot_table(index="partner", columns="year", values="share_pct")
        .fillna(0)
    )
    gains["change_pp"] = gains[last] - gains[BASE_YEAR]
    top = gains.drop(index="CHN", errors="ignore").sort_values("change_pp", ascending=False).head(5)
    winners = ", ".join(f"{p} {v:+.1f} pp" for p, v in top["change_pp"].items())
    shown = by[by["partner"].isin(["CHN", *top.index[:4]])]
    return Verdict(
        claim_id,
        status,  # type: ignore[arg-type]
        rationale=(
            f"China's share of US imports ({label}) went from {chn[BASE_YEAR]:.1f} % in {BASE_YEAR} to "
            f"{chn[last]:.1f} % in {last} ({change:+.1f} pp). Largest gains: {winners}."
        ),
        figures=[
            Figure("change", f"China's share, change {BASE_YEAR}–{last}", change, "pp"),
            Figure("china_base", f"China share {BASE_YEAR}", chn[BASE_YEAR], "%"),
            Figure("china_last", f"China share {last}", chn[last], "%"),
            Figure(
                "china_value_last",
                f"US imports from China {last}",
                float(by[(by["partner"] == "CHN") & (by["year"] == last)]["value_usd"].iloc[0])
                / 1e9,
                "USD bn",
            ),
        ],
        evidence=by,
        method="",
        provenance_ids=ids,
        chart=_share_lines(shown, title=f"Supplier shares of US imports, {label}", source=source),
    )


def _share_lines(df: pd.DataFrame, *, title: str, source: str) -> Any:
    line = year_lines(
        df, y="share_pct", y_title="Share of US imports (%)", color="partner",
        color_title="Supplier", value_format=".1f",
    )  # fmt: skip
    # annual chart: one marker, at the first Section 301 wave, reads better than all waves
    marker = date_marker("2018-07-06", "Section 301 tariffs begin")
    return charts.finish(
        line + marker, title=title, subtitle="% of US imports by value", source=source
    )


@register
class SupplierShift(Checker):
    """Claim 6: China's share of US imports fell after 2017."""

    name = "supplier_shift"
    claim_id = "us-firms-moved-production"
    method = (
        "Computes supplier shares of US goods imports by year with the shares indicator "
        f"(partner value / world total) and compares China's share in {BASE_YEAR} with the latest "
        f"full year. Supported at a fall of at least {SHIFT_SUPPORT_PP:.0f} pp, contradicted at less "
        f"than {SHIFT_CONTRA_PP:.0f} pp."
    )

    def evaluate(self, store: Store) -> Verdict:
        return _shift_verdict(self.claim_id, store, products=(), label="all goods")


@register
class TechDependence(Checker):
    """Claim 12: China's share of US imports of technology goods fell after 2017."""

    name = "tech_dependence"
    claim_id = "tariffs-cut-dependence"
    method = (
        "Computes supplier shares of US imports of computer and electronic products (NAICS 334) "
        f"with the shares indicator and compares China's share in {BASE_YEAR} with "
        f"the latest full year. Supported at a fall of at least {SHIFT_SUPPORT_PP:.0f} pp, "
        f"contradicted at less than {SHIFT_CONTRA_PP:.0f} pp."
    )

    def evaluate(self, store: Store) -> Verdict:
        return _shift_verdict(
            self.claim_id, store, products=TECH_PRODUCTS, label="computer and electronic products"
        )
