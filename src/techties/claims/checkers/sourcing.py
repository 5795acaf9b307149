"""Checkers on where US imports and China's inputs come from: rerouting through third
countries (claim 4) and China's reliance on imported inputs (claim 2)."""

from __future__ import annotations

import re

import pandas as pd

from techties.claims.base import Checker, Missing, layer, register, require_table, three_way
from techties.claims.checkers.trade import BASE_YEAR, LOAD_FLOWS
from techties.claims.verdict import Figure, Verdict
from techties.errors import TechtiesError
from techties.store import Store

REROUTE_SHARE_DROP_PP = 2.0
REROUTE_GROWTH_PCT = 20.0
REROUTE_END = 2024
FVA_MIN_PCT, US_COMPONENT_MIN_PCT = 15.0, 10.0
#: exporters shown beside China in the value-added chart
FVA_PEERS = ("CHN", "USA", "JPN", "KOR", "TWN")
WIOD_LOAD = "ingest tech-gvc/dva_gtrade.dta (source wiod_dva) with `techties report --data DIR`"
COMPONENTS = ("8541", "8542")


def _mirror_growth(text: object) -> float | None:
    """``"+12.3% (all goods)"`` → 12.3; ``"missing: …"`` → None (the rerouting table's text)."""
    m = re.match(r"\s*([+-]?\d+(?:\.\d+)?)%", str(text or ""))
    return float(m.group(1)) if m else None


@register
class Rerouting(Checker):
    """Claim 4: trade with China was rerouted through connector countries rather than cut."""

    name = "rerouting"
    claim_id = "rerouting-not-decoupling"
    method = (
        "Runs the rerouting indicator on US imports by HS6 product: in the Section 301-listed "
        f"products whose China share fell between {BASE_YEAR} and {REROUTE_END}, how China's and the "
        "connectors' (Vietnam, Mexico …) US sales changed, and the connectors' own imports from "
        "China where the store has them. The rule needs China's share down at least "
        f"{REROUTE_SHARE_DROP_PP:.0f} pp and a connector with both flows up at least "
        f"{REROUTE_GROWTH_PCT:.0f} %."
    )

    def evaluate(self, store: Store) -> Verdict:
        rerouting = layer("techties.indicators.rerouting", "rerouting", needed_for="rerouting")
        source = _hs6_import_source(store)
        res = rerouting(
            store, base_year=BASE_YEAR, end_year=REROUTE_END, source=source, denominator="partners"
        )
        t = res.tidy()
        chn = t[t["partner"] == "CHN"]
        if chn.empty:
            raise Missing("no_data", "the rerouting table has no China row.")
        drop = -float(chn["change_pp"].iloc[0])
        conn = t[t["partner"] != "CHN"].copy()
        conn["mirror_pct"] = [
            _mirror_growth(x) for x in conn.filter(like="imports_from").iloc[:, 0]
        ]
        up = conn[100 * conn["growth"] >= REROUTE_GROWTH_PCT]
        both = up[up["mirror_pct"].fillna(-1e9) >= REROUTE_GROWTH_PCT]
        fell = drop >= REROUTE_SHARE_DROP_PP
        cut = fell and (up.empty or bool((up["mirror_pct"].notna() & (up["mirror_pct"] < 0)).all()))
        status = three_way(fell and not both.empty, cut)
        unknown = up[up["mirror_pct"].isna()]["partner"].tolist()
        note = (
            f" Their own imports from China are not in the store for {', '.join(unknown)}, so "
            "rerouting through them cannot be confirmed or ruled out."
            if unknown
            else ""
        )
        figs = [
            Figure(
                "china_share_change",
                f"China's share, listed products, change {BASE_YEAR}–{REROUTE_END}",
                -drop,
                "pp",
            )
        ]
        figs += [
            Figure(f"{r['partner']}_growth", f"{r['partner']} sales to the US in these products, change",
                   100 * float(r["growth"]), "% change", 0)
            for r in conn.to_dict("records")
        ]  # fmt: skip
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"In {int(chn['products'].iloc[0]):,} listed HS6 products, China's share of US imports "
                f"fell {drop:.1f} pp (share among {', '.join(t['partner'])}, the partners in the "
                f"source); {', '.join(up['partner']) or 'no connector'} grew their US sales "
                f"by at least {REROUTE_GROWTH_PCT:.0f} %.{note}"
            ),
            figures=figs,
            evidence=t,
            provenance_ids=list(res.provenance_ids),
            chart=res.plot(),
        )


def _hs6_import_source(store: Store) -> str:
    """The source of US imports by HS6 product covering the base and end years."""
    require_table(store, "trade_flows", needed_for="US imports by product", loaded_by=LOAD_FLOWS)
    found = store.df(
        "SELECT source, count(DISTINCT partner) AS partners FROM trade_flows "
        "WHERE reporter = 'USA' AND flow = 'import' AND classification = 'HS' "
        "AND product_level = 6 AND year IN (?, ?) GROUP BY source "
        "HAVING count(DISTINCT year) = 2 ORDER BY partners DESC, source",
        [BASE_YEAR, REROUTE_END],
    )
    if found.empty:
        raise Missing(
            "no_data",
            f"no US imports by HS6 product for both {BASE_YEAR} and {REROUTE_END}; {LOAD_FLOWS}.",
        )
    return str(found["source"].iloc[0])


@register
class ChinaImportReliance(Checker):
    """Claim 2: China's exports embody much foreign value added, with a large US part."""

    name = "china_import_reliance"
    claim_id = "china-hightech-relies-on-imports"
    method = (
        "Computes the foreign value-added share of China's gross exports, 1 − ΣDVA / Σgross "
        "exports over partners (WIOD 2016 via icio, indicators.gvc.foreign_value_added_share), "
        "and the US share of China's imports of HS 8541/8542 components where China-reported "
        f"imports by partner are stored. Supported when the first is ≥ {FVA_MIN_PCT:.0f} % and "
        f"the second ≥ {US_COMPONENT_MIN_PCT:.0f} %; contradicted when the first is below "
        f"{FVA_MIN_PCT:.0f} %; mixed otherwise, including when the US share is not in the data."
    )

    def evaluate(self, store: Store) -> Verdict:
        fva = layer(
            "techties.indicators.gvc",
            "foreign_value_added_share",
            needed_for="the foreign value-added share of China's exports",
        )
        try:
            res = fva(store, exporter=[*FVA_PEERS])
        except TechtiesError as exc:
            return self._context_only(store, Missing("no_data", f"{exc} {WIOD_LOAD}"))
        t = res.tidy()
        chn = t[t["exporter"] == "CHN"].sort_values("year")
        if chn.empty:
            return self._context_only(
                store, Missing("no_data", f"no WIOD value-added rows for China; {WIOD_LOAD}.")
            )
        last = chn.iloc[-1]
        year, fva_pct = int(last["year"]), float(last["share_pct"])
        us_pct, us_year, us_ids = _us_component_share(store)
        status = three_way(
            fva_pct >= FVA_MIN_PCT and us_pct is not None and us_pct >= US_COMPONENT_MIN_PCT,
            fva_pct < FVA_MIN_PCT,
        )
        first = chn.iloc[0]
        figures = [
            Figure("fva_pct", f"Foreign VA share of China's gross exports {year}", fva_pct, "%"),
            Figure("fva_first_pct", f"Foreign VA share of China's gross exports "
                   f"{int(first['year'])}", float(first["share_pct"]), "%"),
            Figure("fva_usd_bn", f"Foreign VA in China's gross exports {year}",
                   float(last["fva_usd_mn"]) / 1e3, "USD bn"),
        ]  # fmt: skip
        if us_pct is None:
            us_text = (
                "China-reported imports of HS 8541/8542 by partner are not in the store, so the "
                "US part of these inputs cannot be measured and the claim's second half is "
                "unverified"
            )
            ctx, _t, ctx_ids = _total_import_context(store)
            figures += ctx
            us_ids = ctx_ids
            if ctx:
                us_text += (
                    f" (for context only: the US supplied {ctx[-1].value:.1f} % of all of "
                    f"China's imports in {ctx[-1].label.split()[-2]})"
                )
        else:
            figures.append(
                Figure("us_component_pct", f"US share of China's HS 8541/8542 imports {us_year}",
                       us_pct, "%")
            )  # fmt: skip
            us_text = f"the US supplied {us_pct:.1f} % of China's HS 8541/8542 imports in {us_year}"
        return Verdict(
            self.claim_id,
            status,  # type: ignore[arg-type]
            rationale=(
                f"Foreign value added was {fva_pct:.1f} % of China's gross exports in {year} "
                f"({float(first['share_pct']):.1f} % in {int(first['year'])}; WIOD 2016, all "
                f"goods and services, not high-tech only); {us_text}."
            ),
            figures=figures,
            evidence=t,
            provenance_ids=sorted(set(res.provenance_ids) | set(us_ids)),
            chart=res.plot(),
        )

    def _context_only(self, store: Store, m: Missing) -> Verdict:
        """Unverifiable, with the US share of China's total imports as context where stored."""
        v = Verdict.unverifiable(self.claim_id, m.reason, m.what, method=self.method)
        figs, t, ids = _total_import_context(store)
        if not figs:
            return v
        v.figures.extend(figs)
        v.missing += (
            " Shown for context: the US share of all of China's imports, which is not the "
            "component share the rule needs."
        )
        v.evidence, v.provenance_ids = t, ids
        return v


def _total_import_context(store: Store) -> tuple[list[Figure], pd.DataFrame, list[int]]:
    """The US share of China's total imports (decoupling indicator), labelled as context."""
    try:
        total = layer("techties.indicators.decoupling", "share_of_total_imports", needed_for="")
        res = total(store, reporter="CHN", partner="USA", base_year=BASE_YEAR)
    except (Missing, TechtiesError):
        return [], pd.DataFrame(), []
    t = res.tidy().sort_values("year")
    last = t.iloc[-1]
    base = t[t["year"] == BASE_YEAR]
    figs = []
    if not base.empty:
        figs.append(
            Figure("us_share_base", f"US share of China's imports, all goods {BASE_YEAR} (context)",
                   100 * float(base["share"].iloc[0]), "%")
        )  # fmt: skip
    figs.append(
        Figure("us_share_last", f"US share of China's imports, all goods {int(last['year'])} "
               "(context)", 100 * float(last["share"]), "%")
    )  # fmt: skip
    return figs, t, list(res.provenance_ids)


def _us_component_share(store: Store) -> tuple[float | None, int | None, list[int]]:
    """US share (%) of China-reported imports of HS 8541/8542 in the latest year with a world
    total: ``100 · V[CHN ← USA] / V[CHN ← WLD]``; ``(None, None, [])`` when not stored."""
    if not store.has_table("trade_flows"):
        return None, None, []
    where = (
        "reporter = 'CHN' AND flow = 'import' AND classification = 'HS' AND month IS NULL "
        "AND product_level = 4 AND product_code IN (SELECT unnest(?)) AND partner IN ('USA', 'WLD')"
    )
    params: list[object] = [list(COMPONENTS)]
    df = store.df(
        "SELECT year, sum(value_usd) FILTER (WHERE partner = 'USA') AS us, "
        "sum(value_usd) FILTER (WHERE partner = 'WLD') AS world "
        f"FROM trade_flows WHERE {where} GROUP BY year HAVING world > 0 ORDER BY year",
        params,
    )
    if df.empty:
        return None, None, []
    last = df.iloc[-1]
    ids = store.df(f"SELECT DISTINCT provenance_id FROM trade_flows WHERE {where}", params)
    us = 0.0 if pd.isna(last["us"]) else float(last["us"])
    return (
        100 * us / float(last["world"]),
        int(last["year"]),
        [int(i) for i in ids["provenance_id"]],
    )
