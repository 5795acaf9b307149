"""Rerouting / connector countries, and mirror-flow gaps.

Products K = products on the tariff lists (default Section 301 lists 1–4A) whose China share fell
between the base year t0 and the end year t1. For each partner p (China and the connectors
Vietnam, Mexico, Taiwan, Korea …) present in the source::

    ΔV[p]      = Σ_{k ∈ K} V[p, k, t1] − Σ_{k ∈ K} V[p, k, t0]          (USD)
    growth[p]  = Σ_{k ∈ K} V[p, k, t1] / Σ_{k ∈ K} V[p, k, t0] − 1
    share[p, t] = Σ_{k ∈ K} V[p, k, t] / Σ_{k ∈ K} T[k, t]
    Δshare[p]  = 100 · (share[p, t1] − share[p, t0])                      (percentage points)

``T`` is the world total or, when the source has none, the sum over the partners it lists
(``denominator="partners"``; then shares are shares among those partners, e.g. CHN+VNM+MEX).
The connectors' own imports from China are reported beside, in the same products K where the
store has them by product — as the connector reports them (reporter = connector, partner = CHN,
imports) or, failing that, as China reports its exports to the connector (BACI records each flow
once, exporter → importer; read through ``Selection(mirror=True)``) — else for all goods where
the connector reports those, else the table says that those data are missing.

Mirror gap for reporter r and partner p (same product, year)::

    gap = M_r←p (r-reported imports) − X_p→r (p-reported exports);  ratio = M / X
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import ConfigError, NoDataError
from techties.indicators.decoupling import EXPOSED, exposure_flags
from techties.indicators.exposure import WAVES_301
from techties.indicators.registry import DENOMINATOR_HELP, SELECTION_HELP, register_indicator
from techties.indicators.result import IndicatorResult, provenance_ids, source_line
from techties.indicators.shares import Denominator, Selection, hs_base, partner_shares
from techties.store import Store

CONNECTORS = ("VNM", "MEX", "TWN", "KOR", "IND", "THA", "MYS")


@register_indicator(
    "rerouting",
    help="Falling China share vs rising connector countries in the listed products.",
    params_help={
        "selection": SELECTION_HELP,
        "base_year": "Base year.",
        "end_year": "End year.",
        "denominator": DENOMINATOR_HELP,
    },
)
def rerouting(
    store: Store,
    selection: Selection | None = None,
    *,
    base_year: int = 2017,
    end_year: int = 2024,
    origin: str = "CHN",
    connectors: Sequence[str] = CONNECTORS,
    denominator: Denominator = "world",
    only_listed: bool = True,
    only_falling: bool = True,
    measures: Sequence[str] = WAVES_301,
    **kwargs: Any,
) -> ReroutingResult:
    """Change in partners' US imports in the products where ``origin``'s share fell (module doc)."""
    kwargs.setdefault("level", 6)
    sel = selection or Selection(years=(base_year, end_year), **kwargs)
    shares = partner_shares(store, sel, denominator=denominator)
    t = shares.tidy()
    t = t[t["year"].isin([base_year, end_year])]
    years = set(t["year"])
    if years != {base_year, end_year}:
        raise NoDataError(
            f"Rerouting needs {base_year} and {end_year}; the source has {sorted(years)}.",
            hint="Pick years the source covers.",
        )
    notes = list(shares.notes)
    wide = _wide(t)
    if only_listed:
        flags, note = exposure_flags(store, list(wide.index), measures)
        if note:
            raise NoDataError(note, hint="Ingest the Section 301 lists or pass only_listed=False.")
        wide = wide[flags.reindex(wide.index) == EXPOSED]
    if only_falling:
        s0 = wide[("share", base_year, origin)].fillna(0)
        s1 = wide[("share", end_year, origin)].fillna(0)
        wide = wide[s1 < s0]
    table = _summarise(wide, [origin, *connectors], base_year, end_year)
    notes += _caveats(store, table, [origin, *connectors], sel, base_year, end_year)
    table = _mirror(store, table, origin, list(wide.index), base_year, end_year)
    return ReroutingResult(
        table=table,
        name="rerouting",
        units="USD, growth (ratio − 1), shares (0–1) and pp",
        formula="ΔV = ΣV[t1] − ΣV[t0]; Δshare = 100·(share[t1] − share[t0]) over products K",
        title=f"Where {sel.reporter}'s imports of listed products went, {base_year}→{end_year}",
        source=shares.source,
        notes=notes,
        provenance_ids=shares.provenance_ids,
        params={
            "base_year": base_year,
            "end_year": end_year,
            "products": len(wide),
            "denominator": denominator,
        },
    )


def _wide(t: pd.DataFrame) -> pd.DataFrame:
    tot = t.drop_duplicates(["year", "product"]).pivot_table(
        index="product", columns="year", values="total_usd", aggfunc="sum"
    )
    val = t.pivot_table(
        index="product", columns=["year", "partner"], values="value_usd", aggfunc="sum"
    )
    shr = t.pivot_table(index="product", columns=["year", "partner"], values="share", aggfunc="sum")
    tot.columns = pd.MultiIndex.from_tuples([("total", y, "") for y in tot.columns])
    val.columns = pd.MultiIndex.from_tuples([("value", c[0], c[1]) for c in val.columns.tolist()])
    shr.columns = pd.MultiIndex.from_tuples([("share", c[0], c[1]) for c in shr.columns.tolist()])
    return pd.concat([tot, val, shr], axis=1)


def _summarise(wide: pd.DataFrame, partners: Sequence[str], t0: int, t1: int) -> pd.DataFrame:
    rows = []
    total0 = wide[("total", t0, "")].fillna(0).sum() if ("total", t0, "") in wide else 0.0
    total1 = wide[("total", t1, "")].fillna(0).sum() if ("total", t1, "") in wide else 0.0
    for p in partners:
        if ("value", t0, p) not in wide and ("value", t1, p) not in wide:
            continue
        v0 = float(wide.get(("value", t0, p), pd.Series(dtype=float)).fillna(0).sum())
        v1 = float(wide.get(("value", t1, p), pd.Series(dtype=float)).fillna(0).sum())
        s0, s1 = v0 / total0 if total0 else float("nan"), v1 / total1 if total1 else float("nan")
        rows.append(
            {
                "partner": p,
                "products": len(wide),
                f"value_{t0}_usd": v0,
                f"value_{t1}_usd": v1,
                "change_usd": v1 - v0,
                "growth": v1 / v0 - 1 if v0 else float("nan"),
                f"share_{t0}": s0,
                f"share_{t1}": s1,
                "change_pp": 100 * (s1 - s0),
                "direction": "up" if v1 > v0 else "down" if v1 < v0 else "flat",
            }
        )
    return pd.DataFrame(rows)


def _caveats(
    store: Store, table: pd.DataFrame, partners: Sequence[str], sel: Selection, t0: int, t1: int
) -> list[str]:
    have = set(table["partner"]) if not table.empty else set()
    missing = [p for p in partners if p not in have]
    notes = []
    if missing:
        notes.append(
            f"no {sel.reporter} import data by product in this source for "
            f"{', '.join(missing)} ({t0}/{t1})"
        )
    return notes


def _mirror(
    store: Store, table: pd.DataFrame, origin: str, products: list[str], t0: int, t1: int
) -> pd.DataFrame:
    """Growth of the connectors' own imports from ``origin`` (module doc): same products first,
    then all goods; a text column ("+12.3% (same products, VNM-reported)" or "missing: …")."""
    growth = []
    for p in table["partner"] if not table.empty else []:
        if p == origin:
            growth.append("")
            continue
        growth.append(
            _same_products(store, p, origin, products, t0, t1)
            or _all_goods(store, p, origin, t0, t1)
            or f"missing: no {p}-reported imports from {origin} in the store"
        )
    out = table.copy()
    out[f"imports_from_{origin.lower()}_growth"] = growth
    return out


def _same_products(
    store: Store, reporter: str, origin: str, products: list[str], t0: int, t1: int
) -> str | None:
    """Growth of ``reporter``'s imports from ``origin`` in ``products`` (HS6), as ``reporter``
    reports them or, failing that, as ``origin`` reports its exports (mirror); None without
    data for both years."""
    if not products:
        return None
    for mirror, who in ((False, f"{reporter}-reported"), (True, f"{origin}-reported exports")):
        sel = Selection(reporter=reporter, flow="import", level=6, products=tuple(products),
                        years=(t0, t1), mirror=mirror)  # fmt: skip
        try:
            t = partner_shares(store, sel, denominator="partners", partners=[origin]).tidy()
        except (NoDataError, ConfigError):  # none stored, or several sources to choose from
            continue
        v = t[t["partner"] == origin].groupby("year")["value_usd"].sum()
        if {t0, t1} <= set(v.index) and v[t0] > 0:
            return f"{v[t1] / v[t0] - 1:+.1%} (same products, {who})"
    return None


def _all_goods(store: Store, reporter: str, origin: str, t0: int, t1: int) -> str | None:
    """Growth of ``reporter``'s reported imports from ``origin``, all goods (None without)."""
    got = store.df(
        "SELECT year, sum(value_usd) AS v FROM trade_flows WHERE reporter = ? AND partner = ? "
        "AND flow = 'import' AND product_level = 0 AND month IS NULL AND year IN (?, ?) "
        "GROUP BY year",
        [reporter, origin, t0, t1],
    ).set_index("year")["v"]
    if len(got) == 2 and got[t0]:
        return f"{got[t1] / got[t0] - 1:+.1%} (all goods)"
    return None


class ReroutingResult(IndicatorResult):
    """Rerouting table; ``plot()``: slope chart of shares (base → end year) by partner."""

    def plot(self) -> Any:
        t = self.tidy()
        t0, t1 = self.params["base_year"], self.params["end_year"]
        long = pd.concat(
            [
                pd.DataFrame(
                    {"partner": t["partner"], "year": str(t0), "share_pct": t[f"share_{t0}"] * 100}
                ),
                pd.DataFrame(
                    {"partner": t["partner"], "year": str(t1), "share_pct": t[f"share_{t1}"] * 100}
                ),
            ]
        )
        base = alt.Chart(long).encode(
            x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share_pct:Q", title="share (%)"),
            color=alt.Color("partner:N", legend=None),
        )
        lines = base.mark_line(point=True, strokeWidth=2.5)
        end = long[long["year"] == str(t1)]
        labels = (
            alt.Chart(end)
            .mark_text(align="left", dx=8, fontSize=12)
            .encode(
                x="year:N",
                y="share_pct:Q",
                text="partner:N",
                color=alt.Color("partner:N", legend=None),
            )
        )
        subtitle = (
            f"Share of US imports of the {self.params['products']:,} listed products "
            "whose China share fell, %"
        )
        if self.params.get("denominator") == "partners":
            subtitle += " (of the partners listed)"
        return charts.finish(
            alt.layer(lines, labels),
            title=self.title,
            subtitle=subtitle,
            source=self.source,
            width=360,
        )


@register_indicator(
    "mirror",
    help="Reporter-reported imports minus partner-reported exports (gap, ratio).",
    params_help={"reporter": "Importing country (ISO3).", "partner": "Exporting country (ISO3)."},
)
def mirror_gaps(
    store: Store,
    *,
    reporter: str = "USA",
    partner: str = "CHN",
    level: int = 0,
    years: tuple[int, int] | None = None,
) -> IndicatorResult:
    """Reporter's imports from partner vs partner's exports to reporter (module doc)."""
    span = "" if years is None else f"AND year BETWEEN {int(years[0])} AND {int(years[1])}"
    # one file per (year, product): the same flow staged in two files is not added twice
    base = (
        "SELECT year, product, arg_max(v, provenance_id) AS v, [max(provenance_id)] AS ids "
        "FROM (SELECT year, {code} AS product, provenance_id, sum(value_usd) AS v "
        "FROM trade_flows WHERE reporter = ? AND partner = ? AND flow = ? AND month IS NULL "
        f"AND product_level = ? {span} GROUP BY ALL) GROUP BY ALL"
    )
    code = "'TOTAL'" if level == 0 else f"substr(product_code, 1, {int(level)})"
    m = store.df(base.format(code=code), [reporter, partner, "import", level])
    x = store.df(base.format(code=code), [partner, reporter, "export", level])
    if m.empty or x.empty:
        which = f"{reporter}-reported imports" if m.empty else f"{partner}-reported exports"
        raise NoDataError(
            f"No {which} ({reporter}–{partner}, {level}-digit) in the store: no mirror gap.",
            hint="Ingest both reporters' files (e.g. comtrade-totals for USA and CHN).",
        )
    t = m.merge(x, on=["year", "product"], suffixes=("_m", "_x"))
    ids = sorted({int(i) for col in ("ids_m", "ids_x") for ids in t[col] for i in ids})
    table = (
        pd.DataFrame(
            {
                "year": t["year"],
                "product": t["product"],
                f"{reporter.lower()}_imports_usd": t["v_m"],
                f"{partner.lower()}_exports_usd": t["v_x"],
                "gap_usd": t["v_m"] - t["v_x"],
                "ratio": t["v_m"] / t["v_x"],
            }
        )
        .sort_values(["product", "year"])
        .reset_index(drop=True)
    )
    return IndicatorResult(
        table=table,
        name="mirror_gap",
        units="USD; ratio",
        formula="gap = M (reporter imports) − X (partner exports); ratio = M / X",
        title=f"Mirror gap: {reporter}-reported imports from {partner} vs {partner}-reported "
        "exports",
        source=source_line(store, ids),
        notes=[
            "imports are CIF/customs value, exports FOB: part of the gap is freight and "
            "insurance; the rest is re-exports via third countries and timing",
            "where a flow is in several files, the latest ingested file is used",
        ],
        provenance_ids=ids,
    )


def product_rows(
    store: Store,
    *,
    source: str,
    years: tuple[int, int],
    reporter: str = "USA",
    flow: str = "import",
) -> pd.DataFrame:
    """The rows :func:`product_panel` pivots: value by partner, year, HS6 code and vintage (the
    latest ingested file where several hold the same flow) and its provenance id."""
    return store.df(
        "SELECT partner, year, product_code, coalesce(vintage, '') AS vintage, "
        "arg_max(v, provenance_id) AS value_usd, max(provenance_id) AS provenance_id FROM ("
        "SELECT partner, year, product_code, vintage, provenance_id, sum(value_usd) AS v "
        "FROM trade_flows WHERE reporter = ? AND flow = ? AND source = ? AND classification = 'HS' "
        "AND product_level = 6 AND month IS NULL AND year BETWEEN ? AND ? AND partner <> 'WLD' "
        "GROUP BY ALL) GROUP BY ALL",
        [reporter, flow, source, int(years[0]), int(years[1])],
    )  # fmt: skip


def product_panel(
    store: Store,
    *,
    source: str,
    years: tuple[int, int],
    reporter: str = "USA",
    flow: str = "import",
    hs_vintage: str | None = "HS2017",
    rows: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[int], list[str]]:
    """Values by HS6 product (rows) and ``(partner, year)`` (columns), codes of every HS vintage
    carried to ``hs_vintage`` through :func:`techties.indicators.concordance.load_concordance`
    (None: codes as written). Returns the panel, provenance ids and notes. ``rows``: the
    :func:`product_rows` of the same arguments, read once for panels of several vintages.

    ``value[k_target] = Σ_k w(k → k_target) · value[k]`` with weights summing to 1 per source
    code (totals preserved); codes the concordance does not know keep their code (noted). Where
    the same flow is in several files, the latest ingested file is used.
    """
    from techties.indicators.concordance import load_concordance

    if rows is None:
        rows = product_rows(store, source=source, years=years, reporter=reporter, flow=flow)
    if rows.empty:
        raise NoDataError(
            f"No {reporter} {flow}s by HS6 product in source {source!r} for {years[0]}–{years[1]}."
        )
    notes: list[str] = []
    if hs_vintage is not None:
        parts = []
        for v, part in rows.groupby("vintage"):
            base = hs_base(str(v)) if v else None
            if base is None or base == hs_vintage:
                parts.append(part)
                continue
            conc = load_concordance(store, base, hs_vintage)
            links = conc.links
            known = part["product_code"].isin(conc.source_codes)
            m = part[known].merge(links, left_on="product_code", right_on="from_code")
            m["value_usd"] = m["value_usd"] * m["weight"]
            m["product_code"] = m["to_code"]
            parts += [m[part.columns], part[~known]]
            if (~known).any():
                notes.append(
                    f"{int((~known).sum())} {base} rows have codes the {base}→{hs_vintage} "
                    "concordance does not list; kept as written"
                )
        rows = pd.concat(parts, ignore_index=True)
        notes.append(f"HS codes carried to {hs_vintage} through the store's concordance")
    else:
        notes.append("codes compared as written across HS vintages")
    panel = rows.pivot_table(
        index="product_code", columns=["partner", "year"], values="value_usd", aggfunc="sum"
    ).fillna(0.0)
    panel.index.name = "product"
    ids = sorted({int(i) for i in rows["provenance_id"]})
    return panel, ids, notes


__all__ = [
    "CONNECTORS",
    "ReroutingResult",
    "mirror_gaps",
    "product_panel",
    "product_rows",
    "provenance_ids",
    "rerouting",
]
