"""Checkers on trade dependence (claims 2, 4, 6, 7, 12), via the indicators and models layers.

Shares come from ``techties.indicators.shares.partner_shares``; rerouting from
``techties.indicators.rerouting``; pass-through from ``techties.models.incidence``. These checkers
choose the inputs and apply the rule; they do not recompute the indicators.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.claims.base import Checker, Missing, layer, register, require_table, three_way
from techties.claims.verdict import Figure, Verdict
from techties.errors import NoDataError
from techties.store import Store

BASE_YEAR = 2017
SHIFT_SUPPORT_PP, SHIFT_CONTRA_PP = 3.0, 1.0
TECH_GROUP = "advanced_technology"
REROUTE_SHARE_DROP_PP = 2.0
REROUTE_GROWTH_PCT = 20.0
FVA_MIN_PCT, US_COMPONENT_MIN_PCT = 15.0, 10.0
PASS_HIGH, PASS_LOW, PASS_CI_BOUND = 0.8, 0.2, 0.5
LOAD_FLOWS = "ingest US import flows (trade-flows/) with `techties report --data DIR`"


def us_import_source(store: Store, *, first: int = BASE_YEAR) -> str:
    """The trade_flows source of annual-or-monthly US imports covering ``first`` and the most years."""
    require_table(store, "trade_flows", needed_for="US imports by partner", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, min(year) AS y0, max(year) AS y1 FROM trade_flows "
        "WHERE reporter = 'USA' AND flow = 'import' GROUP BY source ORDER BY y1 - y0 DESC, source"
    )
    found = found[(found["y0"] <= first) & (found["y1"] > first)]
    if found.empty:
        raise Missing(
            "no_data", f"no US import flows spanning {first} and a later year; {LOAD_FLOWS}."
        )
    return str(found["source"].iloc[0])


def china_share_change(
    store: Store, *, group: str | None, what: str
) -> tuple[pd.DataFrame, list[int], str]:
    """China's share of US imports by year (percent), from the shares indicator."""
    partner_shares = layer("techties.indicators.shares", "partner_shares", needed_for=what)
    source = us_import_source(store)
    kwargs: dict[str, Any] = {"reporter": "USA", "flow": "import", "source": source}
    kwargs.update({"group": group, "level": 2} if group else {"level": 0})
    try:
        res = partner_shares(store, partners=None, denominator="world", **kwargs)
    except NoDataError:
        res = partner_shares(store, partners=None, denominator="partners", **kwargs)
    t = res.tidy()
    t = t[t["month"].isna()] if "month" in t else t
    if "n_months" in t:
        t = t[t["n_months"].fillna(12) >= 12]
    by = t.groupby(["year", "partner"], as_index=False).agg(
        value_usd=("value_usd", "sum"), total_usd=("total_usd", "sum")
    )
    by["share_pct"] = 100 * by["value_usd"] / by["total_usd"]
    return by, list(res.provenance_ids), str(res.source or source)


def _shift_verdict(claim_id: str, store: Store, *, group: str | None, label: str) -> Verdict:
    by, ids, source = china_share_change(
        store, group=group, what=f"China's share of US imports ({label})"
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
            Figure("china_base", f"China share {BASE_YEAR}", chn[BASE_YEAR], "%"),
            Figure("china_last", f"China share {last}", chn[last], "%"),
            Figure("change", f"Change {BASE_YEAR}–{last}", change, "pp"),
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
    data = df.assign(date=pd.to_datetime(df["year"].astype(int).astype(str) + "-07-01"))
    line = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Year"),
            y=alt.Y("share_pct:Q", title="Share of US imports (%)"),
            color=alt.Color("partner:N", title="Supplier"),
            tooltip=["partner", "year", alt.Tooltip("share_pct:Q", format=".1f")],
        )
    )
    return charts.finish(
        line + charts.wave_rules(), title=title, subtitle="% of US imports by value", source=source
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
        return _shift_verdict(self.claim_id, store, group=None, label="all goods")


@register
class TechDependence(Checker):
    """Claim 12: China's share of US imports of technology goods fell after 2017."""

    name = "tech_dependence"
    claim_id = "tariffs-cut-dependence"
    method = (
        f"Computes supplier shares of US imports in the technology product group {TECH_GROUP!r} "
        f"(groups.yaml) with the shares indicator and compares China's share in {BASE_YEAR} with "
        f"the latest full year. Supported at a fall of at least {SHIFT_SUPPORT_PP:.0f} pp, "
        f"contradicted at less than {SHIFT_CONTRA_PP:.0f} pp."
    )

    def evaluate(self, store: Store) -> Verdict:
        return _shift_verdict(self.claim_id, store, group=TECH_GROUP, label="technology goods")


@register
class Rerouting(Checker):
    """Claim 4: trade with China was rerouted through connector countries rather than cut."""

    name = "rerouting"
    claim_id = "rerouting-not-decoupling"
    method = (
        "Reads China's share of US imports (shares indicator) and the rerouting indicator "
        "(connector countries' exports to the US and imports from China, growth since 2017). "
        f"Supported when China's share fell ≥ {REROUTE_SHARE_DROP_PP:.0f} pp and at least one connector "
        f"shows both flows up ≥ {REROUTE_GROWTH_PCT:.0f} %."
    )

    def evaluate(self, store: Store) -> Verdict:
        connectors = layer(
            "techties.indicators.rerouting", "connector_growth", needed_for="rerouting indicators"
        )
        by, ids, _source = china_share_change(store, group=None, what="China's share of US imports")
        chn = by[by["partner"] == "CHN"].set_index("year")["share_pct"]
        last = int(chn.index.max())
        drop = float(chn.get(BASE_YEAR, float("nan")) - chn[last])
        res = connectors(store, base_year=BASE_YEAR, year=last)
        t = res.tidy()
        both = t[
            (t["exports_to_us_growth_pct"] >= REROUTE_GROWTH_PCT)
            & (t["imports_from_china_growth_pct"] >= REROUTE_GROWTH_PCT)
        ]
        fell = drop >= REROUTE_SHARE_DROP_PP
        status = three_way(fell and not both.empty, fell and both.empty)
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=f"China's share of US imports fell {drop:.1f} pp; {len(both)} connector(s) grew both flows ≥ {REROUTE_GROWTH_PCT:.0f} %.",
            figures=[
                Figure("china_share_drop", f"Fall in China's share {BASE_YEAR}–{last}", drop, "pp"),
                Figure("connectors", "Connectors with both flows up", float(len(both)), "count"),
            ],
            evidence=t,
            provenance_ids=sorted({*ids, *getattr(res, "provenance_ids", [])}),
            chart=res.plot(),
        )


@register
class ChinaImportReliance(Checker):
    """Claim 2: China's exports embody much foreign value added, with a large US part."""

    name = "china_import_reliance"
    claim_id = "china-hightech-relies-on-imports"
    method = (
        "Reads the foreign value-added share of China's gross exports (WIOD via the exposure "
        "indicator) and the US share of China's imports of HS 8541/8542 components (shares "
        f"indicator). Supported when the first is ≥ {FVA_MIN_PCT:.0f} % and the second ≥ "
        f"{US_COMPONENT_MIN_PCT:.0f} %; contradicted when the first is below {FVA_MIN_PCT:.0f} %."
    )

    def evaluate(self, store: Store) -> Verdict:
        fva = layer(
            "techties.indicators.exposure",
            "foreign_value_added_share",
            needed_for="foreign value added in China's exports",
        )
        partner_shares = layer(
            "techties.indicators.shares",
            "partner_shares",
            needed_for="US share of China's component imports",
        )
        f = fva(store, exporter="CHN").tidy()
        fva_last = f.sort_values("year").iloc[-1]
        s = partner_shares(
            store,
            reporter="CHN",
            flow="import",
            products=("8541", "8542"),
            level=0,
            partners=["USA"],
        ).tidy()
        s_last = s.sort_values("year").iloc[-1]
        fva_pct, us_pct = 100 * float(fva_last["share"]), 100 * float(s_last["share"])
        status = three_way(
            fva_pct >= FVA_MIN_PCT and us_pct >= US_COMPONENT_MIN_PCT, fva_pct < FVA_MIN_PCT
        )
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=f"Foreign value added is {fva_pct:.1f} % of China's exports ({int(fva_last['year'])}); the US supplies {us_pct:.1f} % of China's chip imports ({int(s_last['year'])}).",
            figures=[
                Figure(
                    "fva_pct",
                    f"Foreign VA share of China's exports {int(fva_last['year'])}",
                    fva_pct,
                    "%",
                ),
                Figure(
                    "us_component_pct",
                    f"US share of China's HS 8541/8542 imports {int(s_last['year'])}",
                    us_pct,
                    "%",
                ),
            ],
            evidence=f,
            chart=None,
        )


@register
class TariffIncidence(Checker):
    """Claim 7: US tariff-inclusive import prices rose about one for one with the tariffs."""

    name = "tariff_incidence"
    claim_id = "tariff-cost-on-us"
    method = (
        "Estimates the pass-through of the 2018–19 tariffs to US tariff-inclusive import prices "
        "with the incidence model (log unit values on log(1 + tariff) with product and time fixed "
        f"effects) and reports duties paid on imports from China. Supported at pass-through ≥ {PASS_HIGH} "
        f"with the 95 % interval above {PASS_CI_BOUND}; contradicted at ≤ {PASS_LOW}."
    )

    def evaluate(self, store: Store) -> Verdict:
        fit = layer(
            "techties.models.incidence", "fit_incidence", needed_for="tariff pass-through estimate"
        )
        res = fit(store)
        t = res.tidy()
        row = t[t["term"].str.contains("tariff")].iloc[0]
        est, lo = float(row["estimate"]), float(row["conf_low"])
        status = three_way(est >= PASS_HIGH and lo > PASS_CI_BOUND, est <= PASS_LOW)
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=f"Estimated pass-through {est:.2f} (95 % interval {lo:.2f} to {float(row['conf_high']):.2f}).",
            figures=[
                Figure("pass_through", "Pass-through to tariff-inclusive prices", est, "share", 2),
                Figure("conf_low", "95 % interval, low", lo, "share", 2),
                Figure("conf_high", "95 % interval, high", float(row["conf_high"]), "share", 2),
            ],
            evidence=t,
            provenance_ids=list(getattr(res, "provenance_ids", [])),
            chart=res.plot() if hasattr(res, "plot") else None,
        )
