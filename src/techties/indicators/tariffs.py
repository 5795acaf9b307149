"""Applied tariffs from the dated ``tariff_measures`` panel: by product, partner and date.

Applied tariff of imposer *i* on product *p* from partner *j* on day *d*::

    applied(p, j, d) = MFN(p, d) + Σ_m additional_m(p, j, d)

- ``MFN(p, d)``: ad valorem part of the latest MFN row in force on *d* (largest ``start_date``;
  rows of the latest schedule vintage in force). Specific/compound duties are flagged
  (``mfn_specific``), not converted.
- ``additional_m``: every ``kind = 'additional'`` row in force on *d* whose target is *j* (or
  ALL) and whose product code equals *p* or is a prefix of it (an HS6 scope covers its HS8
  lines). Rows at a finer level than *p* (e.g. HTS10 lines of 9903.88.04 under an HTS8) are
  **partial** coverage: listed, not added.
- In force on *d*: ``status = 'in_force' AND start_date <= d AND (end_date IS NULL OR d <= end_date)``.
- Exclusions (``kind = 'exclusion'``) of the same program remove that program's additional
  duties only when ``apply_exclusions=True`` (they are coded at HTS8 while real exclusions are
  narrower product descriptions, so applying them by default would understate duties).

Aggregation to a coarser level (``level=6``) is the **simple (unweighted) mean over the tariff
lines** of the schedule in force (HTS8 for the US, 10-digit lines for China) — Bown's convention.
Which datasets count is set per imposer in :data:`DEFAULT_DATASETS` (files that duplicate each
other, e.g. the USTR annex lists and the USITC China Tariffs table, are not summed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from techties.errors import ConfigError, NoDataError
from techties.results import Result
from techties.store import Store

#: datasets summed by default, per imposer (others: every dataset)
DEFAULT_DATASETS: dict[str, tuple[str, ...]] = {
    "USA": ("usitc_tariff_database", "usitc_hts", "usitc_china_tariffs", "gta"),
    "CHN": ("bjz_2019", "mofcom_2025"),
}
#: US Section 301 waves on China: (name, effective date, Bown (2021) column)
US_WAVES: tuple[tuple[str, str, str], ...] = (
    ("List 1 (+25%)", "2018-07-06", "TT301_a"),
    ("List 2 (+25%)", "2018-08-23", "TT301_b"),
    ("List 3 (+10%)", "2018-09-24", "TT301_c"),
    ("List 3 step to 25%", "2019-05-10", "TT301_d"),
    ("List 4A (+15%)", "2019-09-01", "TT301_e"),
    ("Phase One (4A to 7.5%)", "2020-02-14", "TT301_f"),
)
#: Bown (2021) published simple means over HS6 (catalog 8.11), percentage points
BOWN_WAVE_MEANS = {"TT301_a": 2.42, "TT301_b": 0.80, "TT301_c": 5.48, "TT301_d": 8.21,
                   "TT301_e": 3.54, "TT301_f": -1.77}  # fmt: skip
#: Bown, Jung & Zhang (PIIE, 12 June 2019) Figure 1: China's average tariff (%), toward the
#: US and toward other exporters (catalog 8.10)
BJZ_PUBLISHED: dict[str, tuple[float, float]] = {
    "2018-01-01": (7.993, 7.993), "2018-04-02": (8.370, 7.993), "2018-05-01": (8.346, 7.970),
    "2018-07-01": (7.230, 6.854), "2018-07-06": (10.117, 6.854), "2018-08-23": (14.363, 6.854),
    "2018-09-24": (18.329, 6.854), "2018-11-01": (18.159, 6.683), "2019-01-01": (16.497, 6.668),
    "2019-06-01": (20.724, 6.668),
}  # fmt: skip

DateLike = str | dt.date


def _dates(on_date: DateLike | Sequence[DateLike]) -> list[dt.date]:
    items = [on_date] if isinstance(on_date, (str, dt.date)) else list(on_date)
    out = []
    for d in items:
        try:
            out.append(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)))
        except ValueError as exc:
            raise ConfigError(f"{d!r} is not a date", hint="Use YYYY-MM-DD.") from exc
    return out


def _listify(x: str | Iterable[str] | None) -> list[str] | None:
    if x is None:
        return None
    return [x] if isinstance(x, str) else list(x)


_SQL = """
WITH d AS (SELECT unnest($dates)::DATE AS on_date),
m AS MATERIALIZED (
    SELECT * FROM tariff_measures
    WHERE imposer = $imposer AND dataset IN (SELECT unnest($datasets)) AND status = 'in_force'
      AND start_date <= (SELECT max(on_date) FROM d)
      AND (end_date IS NULL OR end_date >= (SELECT min(on_date) FROM d))
      AND (kind = 'mfn' OR target = 'ALL' OR target IN (SELECT unnest($partners)))
),
mfn_all AS (
    SELECT d.on_date, m.* FROM m JOIN d
      ON m.kind = 'mfn' AND m.start_date <= d.on_date
     AND (m.end_date IS NULL OR d.on_date <= m.end_date)
),
latest AS (SELECT on_date, max(vintage) AS vintage FROM mfn_all GROUP BY on_date),
lines AS MATERIALIZED (
    SELECT a.on_date, a.product_code, arg_max(a.rate_pct, a.start_date) AS mfn_pct,
           arg_max(a.specific_rate, a.start_date) AS mfn_specific,
           arg_max(a.legal_reference, a.start_date) AS mfn_reference
    FROM mfn_all a JOIN latest l USING (on_date, vintage)
    {product_filter}
    GROUP BY ALL
),
grid AS (SELECT lines.*, p.partner FROM lines, (SELECT unnest($partners) AS partner) p),
codes AS (SELECT DISTINCT product_code FROM lines),
prefixes AS (
    SELECT product_code, unnest(list_distinct(['', product_code[:2], product_code[:4],
           product_code[:6], product_code[:8], product_code])) AS prefix
    FROM codes
),
-- candidate measures per tariff line (product level first, then dates and partners)
cand AS MATERIALIZED (
    SELECT c.product_code, m.measure, m.kind, m.program, m.rate_pct, m.rate_text,
           m.legal_reference, m.product_code AS measure_code, m.target, m.start_date,
           m.end_date, false AS partial
    FROM prefixes c JOIN m ON m.product_code = c.prefix AND m.kind <> 'mfn'
    UNION ALL
    SELECT c.product_code, m.measure, m.kind, m.program, m.rate_pct, m.rate_text,
           m.legal_reference, m.product_code, m.target, m.start_date, m.end_date, true
    FROM codes c JOIN (SELECT * FROM m WHERE kind <> 'mfn'
                       AND product_level > (SELECT min(length(product_code)) FROM codes)) m
      ON m.product_code[:6] = c.product_code[:6]
     AND m.product_level > length(c.product_code)
     AND m.product_code[:length(c.product_code)] = c.product_code
),
hits AS (
    SELECT g.on_date, g.product_code, g.partner, c.measure, c.kind, c.program, c.rate_pct,
           c.rate_text, c.legal_reference, c.measure_code, c.partial
    FROM grid g JOIN cand c ON c.product_code = g.product_code
     AND (c.target = g.partner OR c.target = 'ALL')
     AND c.start_date <= g.on_date AND (c.end_date IS NULL OR g.on_date <= c.end_date)
)
"""


_PRODUCT_FILTER = """WHERE list_has_any([a.product_code[:2], a.product_code[:4], a.product_code[:6],
                         a.product_code[:8], a.product_code], $products)"""


def _base_sql(params: dict[str, Any]) -> str:
    """The shared CTEs; the product filter is left out when every line is wanted."""
    return _SQL.replace("{product_filter}", _PRODUCT_FILTER if params.get("products") else "")


def measures_in_force(
    store: Store,
    products: str | Iterable[str] | None,
    partner: str | Iterable[str],
    on_date: DateLike | Sequence[DateLike],
    *,
    imposer: str = "USA",
    datasets: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per tariff line, partner, date and measure in force (MFN first), with references."""
    params = _params(store, products, partner, on_date, imposer, datasets)
    sql = _base_sql(params) + """
    SELECT on_date, product_code, partner, 'MFN' AS measure, 'mfn' AS kind, 'mfn' AS program,
           mfn_pct AS rate_pct, mfn_specific AS specific_rate, false AS partial,
           mfn_reference AS legal_reference, product_code AS measure_code
    FROM grid
    UNION ALL
    SELECT on_date, product_code, partner, measure, kind, program, rate_pct, false, partial,
           legal_reference, measure_code
    FROM hits
    ORDER BY on_date, partner, product_code, kind DESC, measure, measure_code
    """
    return store.df(sql, cast(Any, params))  # named parameters ($imposer …)


def _params(
    store: Store,
    products: str | Iterable[str] | None,
    partner: str | Iterable[str],
    on_date: DateLike | Sequence[DateLike],
    imposer: str,
    datasets: Sequence[str] | None,
) -> dict[str, Any]:
    chosen = list(datasets) if datasets else list(DEFAULT_DATASETS.get(imposer, ()))
    if not chosen:
        chosen = [r[0] for r in store.con.execute(
            "SELECT DISTINCT dataset FROM tariff_measures WHERE imposer = ?", [imposer]
        ).fetchall()]
    prods = _listify(products)
    if prods is not None:
        prods = [p.replace(".", "").strip() for p in prods]
    partners = _listify(partner) or []
    bad = [p for p in partners if not re.fullmatch(r"[A-Z]{3}", p)]
    if bad or not partners:
        raise ConfigError(
            f"Partner {bad[0] if bad else partner!r} is not an ISO3 code.",
            hint="Use three upper-case letters such as CHN or DEU, or ALL for MFN only.",
        )
    out: dict[str, Any] = {
        "imposer": imposer,
        "datasets": chosen,
        "dates": _dates(on_date),
        "partners": partners,
    }
    if prods:
        out["products"] = prods
    return out


def _applied_lines(
    store: Store,
    products: str | Iterable[str] | None,
    partner: str | Iterable[str],
    on_date: DateLike | Sequence[DateLike],
    imposer: str,
    datasets: Sequence[str] | None,
    apply_exclusions: bool,
    programs: Sequence[str] | None,
    with_measures: bool = True,
) -> pd.DataFrame:
    params = _params(store, products, partner, on_date, imposer, datasets)
    params["programs"] = list(programs) if programs else None
    # exclusions: anti-join on (date, line, partner, program), only when asked for
    anti = (
        "AND NOT EXISTS (SELECT 1 FROM excl e WHERE e.on_date = h.on_date "
        "AND e.product_code = h.product_code AND e.partner = h.partner "
        "AND e.program = h.program)"
        if apply_exclusions
        else ""
    )
    measures = (
        "array_to_string(list_sort(list(h.measure || ' ' || coalesce(h.rate_text, ''))), '; ')"
        if with_measures
        else "NULL::VARCHAR"
    )
    sql = _base_sql(params) + f""",
    excl AS (SELECT DISTINCT on_date, product_code, partner, program FROM hits
             WHERE kind = 'exclusion' AND NOT partial),
    add AS (
        SELECT h.on_date, h.product_code, h.partner, sum(h.rate_pct) AS additional_pct,
               {measures} AS measures
        FROM hits h
        WHERE h.kind = 'additional' AND NOT h.partial
          AND ($programs IS NULL OR list_contains($programs, h.program)) {anti}
        GROUP BY ALL
    )
    SELECT g.on_date, g.partner, g.product_code, g.mfn_pct, g.mfn_specific,
           coalesce(a.additional_pct, 0) AS additional_pct,
           g.mfn_pct + coalesce(a.additional_pct, 0) AS applied_pct, a.measures
    FROM grid g LEFT JOIN add a USING (on_date, product_code, partner)
    """
    return store.df(sql, cast(Any, params))  # named parameters ($imposer …)


@dataclass(repr=False)
class AppliedTariff(Result):
    """Applied tariffs by product, partner and date (percent, ad valorem)."""

    table: pd.DataFrame
    imposer: str
    level: int
    params: dict[str, Any] = field(default_factory=dict)
    title: str = "Applied tariff"

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        t = self.table
        return (
            f"Applied tariff of {self.imposer} at level {self.level}: {t.product_code.nunique():,} "
            f"products × {t.partner.nunique()} partner(s) × {t.on_date.nunique()} date(s); "
            f"mean applied {t.applied_pct.mean():.2f}% (simple mean over products, ad valorem)"
        )


def applied_tariff(
    store: Store,
    products: str | Iterable[str] | None,
    partner: str | Iterable[str],
    on_date: DateLike | Sequence[DateLike],
    *,
    level: int = 8,
    imposer: str = "USA",
    datasets: Sequence[str] | None = None,
    apply_exclusions: bool = False,
    programs: Sequence[str] | None = None,
    with_measures: bool = True,
) -> AppliedTariff:
    """MFN + every additional measure in force, by product × partner × date (vectorised).

    ``products``: codes or prefixes (None = every line of the schedule in force); ``partner`` and
    ``on_date`` may be lists. ``level`` below the schedule's line level (e.g. 6 for the US HTS8
    schedule) aggregates by **simple mean over tariff lines** (``mfn_pct``, ``additional_pct``,
    ``applied_pct``; ``lines`` = number of lines). ``programs`` restricts the additional duties
    (e.g. ``["section_301"]``). ``with_measures`` adds a text column naming the additional
    measures summed on each line (costs about a third of the run time on all lines).
    """
    if level not in (2, 4, 6, 8, 10):
        raise ConfigError(f"level {level} is not one of 2, 4, 6, 8, 10")
    lines = _applied_lines(
        store, products, partner, on_date, imposer, datasets, apply_exclusions, programs,
        with_measures,
    )
    if lines.empty:
        raise NoDataError(
            f"No {imposer} tariff schedule in force for these products/dates in the store.",
            hint="Ingest the MFN schedule (e.g. `techties ingest usitc_tariffs FILE`).",
        )
    native = int(lines.product_code.str.len().max())
    lines = aggregate_lines(lines, level) if level < native else lines.assign(lines=1)
    params = {"products": products, "partner": partner, "on_date": on_date, "datasets": datasets}
    return AppliedTariff(lines, imposer, level, params)


def aggregate_lines(lines: pd.DataFrame, level: int) -> pd.DataFrame:
    """Simple mean over tariff lines within each ``level``-digit code (rates in percent)."""
    out = lines.assign(code=lines.product_code.str[:level])
    g = out.groupby(["on_date", "partner", "code"], sort=True)
    agg = g.agg(
        mfn_pct=("mfn_pct", "mean"),
        mfn_specific=("mfn_specific", "any"),
        additional_pct=("additional_pct", "mean"),
        applied_pct=("applied_pct", "mean"),
        lines=("product_code", "size"),
    ).reset_index()
    return agg.rename(columns={"code": "product_code"})


# -- wave means (Bown 2021) ------------------------------------------------------------------
def us_wave_means(
    store: Store,
    *,
    hs6: Sequence[str] | None = None,
    datasets: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Simple mean over HS6 of the change in US Section 301 duties on China at each wave.

    change_w(h) = mean_{l ∈ h} add301(l, d_w) − mean_{l ∈ h} add301(l, d_w − 1 day), averaged
    over the HS6 codes ``hs6`` (default: every HS6 of the schedule in force), in percentage
    points. Lines are the HTS8 lines of the MFN schedule in force on each day.
    """
    days: list[dt.date] = []
    for _, d, _ in US_WAVES:
        day = dt.date.fromisoformat(d)
        days += [day - dt.timedelta(days=1), day]
    res = applied_tariff(
        store, None, "CHN", days, level=6, datasets=datasets, programs=["section_301"]
    ).tidy()
    wide = res.pivot_table(index="product_code", columns="on_date", values="additional_pct")
    wide.columns = [pd.Timestamp(c).date() for c in wide.columns]
    rows = []
    for name, d, col in US_WAVES:
        day = dt.date.fromisoformat(d)
        diff = wide[day] - wide[day - dt.timedelta(days=1)]
        if hs6 is not None:
            diff = diff.reindex(list(hs6))
        rows.append(
            {"wave": name, "date": day, "bown_column": col, "hs6": int(diff.notna().sum()),
             "mean_pp": float(diff.mean()), "published_pp": BOWN_WAVE_MEANS[col]}
        )
    return pd.DataFrame(rows)


# -- China's average tariff (Bown, Jung & Zhang 2019) ---------------------------------------
@dataclass(repr=False)
class ChinaAverageTariff(Result):
    """China's trade-weighted average tariff toward the US and toward other exporters."""

    table: pd.DataFrame
    weights: str
    title: str = "China's average tariff on US goods and on other exporters"

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        t = self.table
        first, last = t.iloc[0], t.iloc[-1]
        return (
            f"{self.title} ({self.weights}): US {first.toward_us_pct:.2f}% → "
            f"{last.toward_us_pct:.2f}%, others {first.toward_others_pct:.2f}% → "
            f"{last.toward_others_pct:.2f}% ({first.date} → {last.date})"
        )

    def plot(self) -> Any:
        """Step chart like the PIIE trade-war chart (computed lines; published as points)."""
        import altair as alt

        from techties.charts import finish, wave_rules

        t = self.table
        long = pd.concat(
            [
                pd.DataFrame({"date": t.date.astype(str), "pct": t.toward_us_pct,
                              "series": "Toward the US (techties)"}),
                pd.DataFrame({"date": t.date.astype(str), "pct": t.toward_others_pct,
                              "series": "Toward other exporters (techties)"}),
            ]
        )
        lines = alt.Chart(long).mark_line(interpolate="step-after").encode(
            x=alt.X("date:T", title=None), y=alt.Y("pct:Q", title="Average tariff, %"),
            color=alt.Color("series:N", title=None),
        )
        pub = pd.concat(
            [
                pd.DataFrame({"date": t.date.astype(str), "pct": t.published_us_pct,
                              "series": "Toward the US (BJZ 2019)"}),
                pd.DataFrame({"date": t.date.astype(str), "pct": t.published_others_pct,
                              "series": "Toward other exporters (BJZ 2019)"}),
            ]
        ).dropna()
        points = alt.Chart(pub).mark_point(filled=True, size=30).encode(
            x="date:T", y="pct:Q", shape=alt.Shape("series:N", title=None),
        )
        return finish(
            lines + points + wave_rules(str(t.date.min()), str(t.date.max())),
            title=self.title,
            subtitle=f"Percent; weights: {self.weights}",
            source="Bown, Jung & Zhang (PIIE 2019) data file; techties computation",
        )


def china_average_tariff(
    store: Store,
    dates: Sequence[DateLike] | None = None,
    *,
    weight_year: int = 2017,
    datasets: Sequence[str] | None = None,
) -> ChinaAverageTariff:
    """China's average applied tariff toward the US and toward others, trade-weighted.

    avg_j(d) = Σ_h w_h · τ_hj(d) / Σ_h w_h, where τ_hj(d) is the simple mean over the 10-digit
    lines in HS8 *h* of MFN + retaliation on partner *j* (others: MFN only) and w_h is China's
    ``weight_year`` imports **from the US** in HS8 *h* (``trade_flows``: reporter CHN, partner
    USA, flow import, product_level 8). The same US weights are used for both series, as in
    Bown, Jung & Zhang (2019). HS8 without a rate (specific duties) drop out of both sums.
    """
    days = _dates(dates or list(BJZ_PUBLISHED))
    w = store.df(
        "SELECT product_code, sum(value_usd) AS w FROM trade_flows WHERE reporter = 'CHN' "
        "AND partner = 'USA' AND flow = 'import' AND year = ? AND product_level = 8 "
        "GROUP BY product_code",
        [weight_year],
    )
    if w.empty:
        raise NoDataError(
            f"No {weight_year} HS8 imports of China from the US in trade_flows.",
            hint="Ingest the Bown-Jung-Zhang workbook with `techties ingest bjz_imports FILE`.",
        )
    res = applied_tariff(store, None, ["USA", "ALL"], days, level=8, imposer="CHN",
                         datasets=datasets).tidy()
    merged = res.merge(w, on="product_code", how="inner").dropna(subset=["applied_pct"])
    merged["wx"] = merged["w"] * merged["applied_pct"]
    g = merged.groupby(["on_date", "partner"])[["wx", "w"]].sum()
    avg = (g["wx"] / g["w"]).unstack("partner")
    table = pd.DataFrame(
        {
            "date": [pd.Timestamp(d).date() for d in avg.index],
            "toward_us_pct": avg["USA"].to_numpy(),
            "toward_others_pct": avg["ALL"].to_numpy(),
        }
    )
    pub = {dt.date.fromisoformat(k): v for k, v in BJZ_PUBLISHED.items()}
    table["published_us_pct"] = [pub.get(d, (np.nan, np.nan))[0] for d in table.date]
    table["published_others_pct"] = [pub.get(d, (np.nan, np.nan))[1] for d in table.date]
    weights = f"China's {weight_year} imports from the US by HS8 ({len(w):,} lines in trade_flows)"
    return ChinaAverageTariff(table, weights)
