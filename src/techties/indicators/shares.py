"""Bilateral dependence: a partner's share of a country's imports (or exports).

For reporter r, flow f, product group g (HS2/4/6 chapter, a list of code prefixes or a technology
group) and period t::

    share[r, p, g, t] = V[r, p, g, t] / T[r, g, t]

    V[r, p, g, t] = Σ_{k ∈ g} value_usd[r, p, k, t]          (customs value, current USD)
    T[r, g, t]    = V[r, WLD, g, t]                           denominator="world"
                  = Σ_{p not inside another listed p'} V[r, p, g, t]  denominator="partners"

``denominator="world"`` needs the source's world total (partner ``WLD``); without one the share
cannot be computed and :class:`~techties.errors.NoDataError` says so (no silent approximation).
``denominator="partners"`` divides by the sum over the partners in the source (a member of an
aggregate that is itself listed, e.g. Slovakia inside the EU, is counted once), and is labelled so.

Rows are read from one source at one product level (the coarsest level at or below the requested
detail), so levels and sources are never added together. Annual periods use a source's annual
rows, or add its monthly rows (``n_months`` says how many months were present).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import altair as alt
import pandas as pd

from techties import charts
from techties.errors import ConfigError, NoDataError, TechtiesError, UnknownNameError, did_you_mean
from techties.indicators import concordance
from techties.indicators.registry import DENOMINATOR_HELP, SELECTION_HELP, register_indicator
from techties.indicators.result import (
    IndicatorResult,
    has_table,
    provenance_ids,
    source_line,
    time_axis,
    wave_markers,
)
from techties.store import Store

Denominator = Literal["world", "partners"]
Frequency = Literal["annual", "monthly"]

WORLD = "WLD"
EU27 = frozenset(
    [
        "AUT",
        "BEL",
        "BGR",
        "HRV",
        "CYP",
        "CZE",
        "DNK",
        "EST",
        "FIN",
        "FRA",
        "DEU",
        "GRC",
        "HUN",
        "IRL",
        "ITA",
        "LVA",
        "LTU",
        "LUX",
        "MLT",
        "NLD",
        "POL",
        "PRT",
        "ROU",
        "SVK",
        "SVN",
        "ESP",
        "SWE",
    ]
)
#: partner aggregates and their members (members are not added again when the aggregate is listed)
AGGREGATES: dict[str, frozenset[str]] = {
    "EUN": EU27,
    "EU": EU27,
    "EU27": EU27,
    "USMCA": frozenset({"USA", "CAN", "MEX"}),
    "NAFTA": frozenset({"USA", "CAN", "MEX"}),
}
FAMILIES = {"HS": ("HS", "HTS", "TOTAL"), "NAICS": ("NAICS", "TOTAL")}
#: preferred value basis when a source stores several for the same flows
BASIS_ORDER = ("customs_consumption", "customs_general", "customs", "CIF", "FOB")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Selection:
    """Which trade rows an indicator reads.

    ``level`` is the number of code digits products are aggregated to (0 = all goods; 3 for
    NAICS3). ``products`` are code prefixes to keep; ``group`` is a technology product group
    (``techties.indicators.groups``), resolved per HS vintage. ``reporter=None`` keeps every
    reporter (each is its own denominator).

    ``mirror=True`` reads the flows as the partners report them, reporter and partner swapped:
    the imports of r from p are p's exports to r (and the other way round). That is how a source
    that records each flow once, exporter → importer (BACI), answers questions about imports;
    the values keep the source's basis (BACI: FOB, not the CIF of import statistics). Mirrored
    world totals are left out.
    """

    reporter: str | None = "USA"
    flow: str = "import"
    source: str | None = None
    classification: str = "HS"
    level: int = 2
    products: tuple[str, ...] = ()
    group: str | None = None
    years: tuple[int, int] | None = None
    frequency: Frequency = "annual"
    table: str = "trade_flows"
    hs_vintage: str | None = None
    value_basis: str | None = None
    mirror: bool = False

    def __post_init__(self) -> None:
        if self.classification not in FAMILIES:
            raise ConfigError(
                f"Unknown classification {self.classification!r}.",
                hint=f"Use one of {', '.join(FAMILIES)}.",
            )
        if self.frequency not in ("annual", "monthly"):
            raise ConfigError(
                f"Unknown frequency {self.frequency!r}.", hint="Use 'annual' or 'monthly'."
            )
        if not _IDENT.match(self.table):
            raise ConfigError(f"Bad table name {self.table!r}.", hint="Use a table or view name.")
        if self.level < 0 or self.level > 10:
            raise ConfigError(f"Product level {self.level} is not 0–10 digits.")

    @property
    def relation(self) -> str:
        """What the rows are read from: the table, or its mirror (class doc)."""
        if not self.mirror:
            return self.table
        return (
            f"(SELECT * REPLACE (partner AS reporter, reporter AS partner, CASE flow "
            f"WHEN 'export' THEN 'import' WHEN 'import' THEN 'export' ELSE flow END AS flow) "
            f"FROM {self.table} WHERE partner <> '{WORLD}')"
        )

    @property
    def detail(self) -> int:
        """Digits the input rows must have (the level, or the longest product prefix)."""
        codes = [len(c) for c in self.products]
        return max([self.level, *codes])


@dataclass(frozen=True, slots=True)
class Part:
    """Years read at one product level from annual or monthly rows."""

    years: tuple[int, ...]
    level: int
    monthly: bool


@dataclass(frozen=True, slots=True)
class Resolved:
    """A selection bound to one source and, per year, one product level and row frequency."""

    sel: Selection
    source: str
    plan: tuple[Part, ...]
    vintages: tuple[str, ...]
    group_codes: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    harmonise_to: str | None = None

    @property
    def product_expr(self) -> str:
        if self.sel.group:
            return "?::VARCHAR"
        if self.sel.level == 0:
            return "'TOTAL'"
        if all(p.level == self.sel.level for p in self.plan):
            return "product_code"
        return f"substr(product_code, 1, {int(self.sel.level)})"

    @property
    def levels(self) -> list[int]:
        return sorted({p.level for p in self.plan})

    @property
    def monthly_rows(self) -> bool:
        return any(p.monthly for p in self.plan)


def _where_common(sel: Selection) -> tuple[list[str], list[Any]]:
    where = ["flow = ?", "list_contains(?::VARCHAR[], classification)"]
    params: list[Any] = [sel.flow, list(FAMILIES[sel.classification])]
    if sel.reporter is not None:
        where.append("reporter = ?")
        params.append(sel.reporter)
    if sel.years is not None:
        where.append("year BETWEEN ? AND ?")
        params.extend([int(sel.years[0]), int(sel.years[1])])
    if sel.value_basis is not None:
        where.append("value_basis = ?")
        params.append(sel.value_basis)
    return where, params


def resolve(store: Store, sel: Selection) -> Resolved:
    """Pick the source, product level and row frequency for ``sel`` (one scan of the table)."""
    if not has_table(store, sel.table):
        raise NoDataError(
            f"The store has no table {sel.table!r}.",
            hint="Ingest trade flows first (`techties ingest` or `techties report --data DIR`).",
        )
    found = _inventory(store, sel)
    what = _describe(sel)
    if found.empty:
        raise NoDataError(
            f"No {what} in table {sel.table!r}.",
            hint="Check reporter, flow, source and years; `techties tables` lists what is stored.",
        )
    sources = sorted(set(found["source"]))
    if len(sources) > 1:
        raise ConfigError(
            f"{what} come from {len(sources)} sources ({', '.join(sources)}); "
            "adding them would double count.",
            hint="Pass source= (CLI: --source) with one of them.",
        )
    bases = sorted({str(b) for bs in found["bases"] for b in bs})
    if len(bases) > 1:  # one value basis only: the same flow at two valuations is not added
        chosen = min(bases, key=lambda b: (BASIS_ORDER.index(b) if b in BASIS_ORDER else 99, b))
        sel = replace(sel, value_basis=chosen)
    plan = _plan(found, sel)
    if not plan:
        deepest = int(found["max_level"].max())
        raise NoDataError(
            f"{what} in source {sources[0]!r} go only to {deepest} digits"
            + (" at this frequency" if sel.frequency == "monthly" else "")
            + f"; {sel.detail} digits were asked for.",
            hint="Ask for a coarser level, fewer digits in the product codes, or annual periods.",
        )
    vintages = tuple(sorted({str(v) for vs in found["vintages"] for v in vs}))
    res = Resolved(sel, sources[0], plan, vintages)
    if sel.group:
        codes, notes = _group_codes(store, sel.group, vintages)
        res = replace(res, group_codes=codes, notes=tuple(notes))
    harmonise = sel.hs_vintage and sel.classification == "HS" and 0 < sel.detail <= 6
    if harmonise and sel.hs_vintage and _has_concordance(store, sel.hs_vintage):
        res = replace(res, harmonise_to=sel.hs_vintage)
    return res


def _inventory(store: Store, sel: Selection) -> pd.DataFrame:
    """Per source, year and frequency of the rows ``sel`` asks for: the coarsest product level
    at or below the detail asked (``level``), the deepest level, and the code vintages and value
    bases stored.

    One scan grouping by low-cardinality columns; flow, classification, source and value basis
    are group keys filtered here rather than SQL conditions (in a bulk part they are constants
    of the view, and a plain GROUP BY over them is ~2x faster in DuckDB than filtering every
    row on them or collecting ``list(DISTINCT …)``). Reporter and years stay in SQL.
    """
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if sel.reporter is not None:
        where.append("reporter = ?")
        params.append(sel.reporter)
    if sel.years is not None:
        where.append("year BETWEEN ? AND ?")
        params.extend([int(sel.years[0]), int(sel.years[1])])
    raw = store.df(
        f"SELECT source, flow, classification, value_basis, year, "
        f"month IS NOT NULL AS monthly, product_level, coalesce(vintage, '') AS vintage "
        f"FROM {sel.relation} WHERE {' AND '.join(where)} GROUP BY ALL",
        params,
    )
    keep = (raw["flow"] == sel.flow) & raw["classification"].isin(FAMILIES[sel.classification])
    if sel.source is not None:
        keep &= raw["source"] == sel.source
    if sel.value_basis is not None:
        keep &= raw["value_basis"] == sel.value_basis
    raw = raw[keep]
    keys = ["source", "year", "monthly"]
    if raw.empty:
        return pd.DataFrame(columns=[*keys, "level", "max_level", "vintages", "bases"])
    deep = raw["product_level"].where(raw["product_level"] >= sel.detail)
    return (
        raw.assign(level=deep)
        .groupby(keys, sort=True)
        .agg(
            level=("level", "min"),
            max_level=("product_level", "max"),
            vintages=("vintage", lambda v: sorted(set(v))),
            bases=("value_basis", lambda v: sorted({str(b) for b in v})),
        )
        .reset_index()
    )


def _has_concordance(store: Store, target: str) -> bool:
    if not has_table(store, "hs_concordance"):
        return False
    n = store.scalar("SELECT count(*) FROM hs_concordance WHERE to_vintage = ?", [target])
    return bool(n)


#: HS vintage of the 6-digit part of a stored code (HTS/Schedule B vintages follow the HS one)
BASE_VINTAGE = (
    "CASE WHEN coalesce(vintage, '') LIKE 'HS%' THEN vintage "
    "WHEN year >= 2022 THEN 'HS2022' WHEN year >= 2017 THEN 'HS2017' "
    "WHEN year >= 2012 THEN 'HS2012' ELSE 'HS2007' END"
)


def _plan(found: pd.DataFrame, sel: Selection) -> tuple[Part, ...]:
    """Per year: annual rows if there are any at enough detail, else monthly rows (for
    ``frequency="monthly"`` only monthly rows); the coarsest level at or below the detail."""
    chosen: dict[tuple[int, bool], list[int]] = {}
    for year, rows in found.dropna(subset=["level"]).groupby("year", sort=True):
        by_kind = {bool(m): int(lv) for m, lv in zip(rows["monthly"], rows["level"], strict=True)}
        if sel.frequency == "monthly":
            kind = True if True in by_kind else None
        else:
            kind = False if False in by_kind else True if True in by_kind else None
        if kind is not None:
            chosen.setdefault((by_kind[kind], kind), []).append(int(str(year)))
    return tuple(Part(tuple(ys), lv, m) for (lv, m), ys in sorted(chosen.items()))


def hs_base(vintage: str) -> str | None:
    """HS vintage of the 6-digit part of a stored code vintage ('HTS2024' → 'HS2022')."""
    if vintage.startswith("HS"):
        return vintage
    digits = re.findall(r"(\d{4})", vintage)
    if not digits:
        return None
    year = int(digits[0])
    for start, hs in ((2022, "HS2022"), (2017, "HS2017"), (2012, "HS2012")):
        if year >= start:
            return hs
    return "HS2007"


def _group_codes(
    store: Store, group: str, vintages: Iterable[str]
) -> tuple[dict[str, tuple[tuple[str, ...], tuple[str, ...]]], list[str]]:
    """(include, exclude) code prefixes of a technology group for each stored vintage.

    Headings (< 6 digits) hold across HS revisions and are used as written; 6-digit codes of
    another vintage go through the concordance when the store has it (else as written, noted).
    """
    groups = concordance.load_groups()
    if group not in groups:
        raise UnknownNameError(f"No product group {group!r}.", hint=did_you_mean(group, groups))
    g = groups[group]
    as_written = (tuple(g.codes), tuple(g.exclude))
    six = any(len(c) >= 6 for c in (*g.codes, *g.exclude))
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    notes = [
        f"group {group}: {g.title} ({g.vintage}; codes {', '.join(g.codes)}"
        + (f"; excluding {', '.join(g.exclude)}" if g.exclude else "")
        + ")"
    ]
    for v in vintages:
        base = hs_base(v)
        if not six or base in (None, g.vintage):
            out[v] = as_written
            continue
        try:
            out[v] = (tuple(concordance.group_codes(group, base, store=store)), ())
            notes.append(
                f"6-digit codes of {group} carried from {g.vintage} to {base} through "
                "the concordance"
            )
        except TechtiesError:
            out[v] = as_written
            notes.append(
                f"6-digit codes of {group} ({g.vintage}) applied as written to {v} rows "
                "(no concordance in the store)"
            )
    return out, notes


def _describe(sel: Selection) -> str:
    who = sel.reporter or "all reporters"
    seen = ", mirrored from partners' reports" if sel.mirror else ""
    return f"{sel.flow} rows of {who} ({sel.classification}, {sel.frequency}{seen})"


def selection_sql(res: Resolved) -> tuple[str, list[Any]]:
    """SQL selecting the rows of ``res`` as (source, reporter, partner, year, month, row_month,
    product, vintage, value_usd, duties_usd, provenance_id); ``month`` is NULL for annual periods,
    ``row_month`` is the month of the stored row."""
    sel = res.sel
    where, params = _where_common(sel)
    where.append("source = ?")
    params.append(res.source)
    where.append(_plan_condition(res.plan, params))
    head: list[Any] = []
    if sel.group:
        head.append(sel.group)
        where.append(_prefix_by_vintage(res.group_codes, params))
    if sel.products:
        where.append(_prefix_condition(sel.products, params))
    month = "month" if sel.frequency == "monthly" else "NULL::TINYINT"
    sql = (
        f"SELECT source, reporter, partner, year, {month} AS month, month AS row_month, "
        f"{res.product_expr} AS product, product_code, vintage, value_usd, duties_usd, "
        f"provenance_id FROM {sel.relation} "
        f"WHERE {' AND '.join(where)}"
    )
    if res.harmonise_to and not sel.group:
        return _harmonised(sql, res.harmonise_to, sel.level), [
            *head,
            *params,
            res.harmonise_to,
            res.harmonise_to,
        ]
    return sql, head + params


#: concordance links, one ingested table per (vintage pair, source code): conversion tables
#: before the consolidated correlation file, then the earliest ingested
_ONE_TABLE_LINKS = (
    "SELECT from_vintage, to_vintage, from_code, to_code, weight FROM ("
    "SELECT c.*, dense_rank() OVER (PARTITION BY c.from_vintage, c.to_vintage, c.from_code "
    "ORDER BY (p.source IN ('hs_conversion', 'hs_conversion_un')) DESC, c.provenance_id) AS pick "
    "FROM hs_concordance c JOIN provenance p ON p.id = c.provenance_id) WHERE pick = 1"
)


def _harmonised(rows_sql: str, target: str, level: int) -> str:
    """Map 6-digit codes of other HS vintages to ``target`` through ``hs_concordance``.

    value[k_target] = Σ_k_from weight[k_from → k_target] · value[k_from]; codes without a
    concordance row (or already in ``target``) keep their code and full value. Where several
    ingested tables link the same code (the UN conversion tables and the consolidated
    correlation file), one table's links are used — the conversion table first, as in
    :func:`techties.indicators.concordance.load_concordance` — so no value is counted twice.
    """
    return (
        f"SELECT r.source, r.reporter, r.partner, r.year, r.month, r.row_month, "
        f"substr(coalesce(c.to_code, substr(r.product_code, 1, 6)), 1, {int(level)}) AS product, "
        f"r.product_code, r.vintage, r.value_usd * coalesce(c.weight, 1) AS value_usd, "
        f"r.duties_usd * coalesce(c.weight, 1) AS duties_usd, r.provenance_id "
        f"FROM ({rows_sql.replace('vintage, value_usd', f'{BASE_VINTAGE} AS vintage, value_usd', 1)}) r "
        f"LEFT JOIN ({_ONE_TABLE_LINKS}) c ON c.from_vintage = r.vintage AND c.from_vintage <> ? "
        f"AND c.to_vintage = ? AND c.from_code = substr(r.product_code, 1, 6)"
    )


def _plan_condition(plan: Sequence[Part], params: list[Any]) -> str:
    parts = []
    for part in plan:
        month = "month IS NOT NULL" if part.monthly else "month IS NULL"
        parts.append(f"(list_contains(?::SMALLINT[], year) AND product_level = ? AND {month})")
        params.extend([list(part.years), part.level])
    return "(" + " OR ".join(parts) + ")"


def _prefix_condition(prefixes: Sequence[str], params: list[Any]) -> str:
    by_len: dict[int, list[str]] = {}
    for p in prefixes:
        by_len.setdefault(len(p), []).append(p)
    parts = []
    for n, codes in sorted(by_len.items()):
        parts.append(f"list_contains(?::VARCHAR[], substr(product_code, 1, {n}))")
        params.append(codes)
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _prefix_by_vintage(
    codes: dict[str, tuple[tuple[str, ...], tuple[str, ...]]], params: list[Any]
) -> str:
    parts = []
    for vintage, (include, exclude) in codes.items():
        params.append(vintage)
        sub: list[Any] = []
        cond = _prefix_condition(include, sub)
        if exclude:
            cond += f" AND NOT {_prefix_condition(exclude, sub)}"
        params.extend(sub)
        parts.append(f"(coalesce(vintage, '') = ? AND {cond})")
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def listed_partners(store: Store, rows_sql: str, params: list[Any]) -> list[str]:
    """The partner codes in the selected rows, sorted."""
    return sorted(store.df(f"SELECT DISTINCT partner FROM ({rows_sql})", params)["partner"])


def excluded_members(store: Store, rows_sql: str, params: list[Any]) -> list[str]:
    """Members of the listed aggregates that are themselves listed (left out as suppliers so
    that they are not counted twice)."""
    return members_of_listed(listed_partners(store, rows_sql, params))


def members_of_listed(partners: Iterable[str]) -> list[str]:
    """The partners in ``partners`` that belong to an aggregate also in ``partners``."""
    listed = set(partners)
    out: set[str] = set()
    for agg, members in AGGREGATES.items():
        if agg in listed:
            out |= members & listed
    return sorted(out)


def share_sql(
    store: Store,
    sel: Selection,
    *,
    partners: Sequence[str] | None = None,
    denominator: Denominator = "world",
) -> tuple[str, list[Any], Resolved, str, list[Any]]:
    """SQL of the partner-share table (unordered), its parameters, the resolved selection and
    the row-selection SQL with its parameters (for provenance). Runs inside DuckDB, so callers
    can materialise it at any scale."""
    res = resolve(store, sel)
    rows_sql, params = selection_sql(res)
    # annual periods have month NULL: join on coalesce(month, 0) so plain equality works
    keys = "reporter, year, mkey, product"
    if denominator == "world":
        world_total_sql(store, res, rows_sql, params)  # raises NoDataError without WLD rows
        total_sql = (
            f"SELECT {keys}, sum(value_usd) AS total_usd FROM v WHERE partner = '{WORLD}' "
            f"GROUP BY ALL"
        )
        total_params: list[Any] = []
    elif denominator == "partners":
        excluded = excluded_members(store, rows_sql, params)
        total_sql = (
            f"SELECT {keys}, sum(value_usd) AS total_usd FROM v "
            f"WHERE partner <> '{WORLD}' AND NOT list_contains(?::VARCHAR[], partner) "
            f"GROUP BY ALL"
        )
        total_params = [excluded]
    else:
        raise ConfigError(
            f"Unknown denominator {denominator!r}.", hint="Use 'world' or 'partners'."
        )
    keep = ""
    keep_params: list[Any] = []
    if partners:
        keep = "AND list_contains(?::VARCHAR[], v.partner)"
        keep_params = [list(partners)]
    months = (
        "count(DISTINCT row_month)"
        if res.monthly_rows and sel.frequency == "annual"
        else "NULL::BIGINT"
    )
    sql = (
        f"WITH v AS (SELECT source, reporter, year, coalesce(month, 0)::TINYINT AS mkey, "
        f"product, partner, sum(value_usd) AS value_usd, {months} AS n_months "
        f"FROM ({rows_sql}) GROUP BY ALL), t AS ({total_sql}) "
        f"SELECT v.source, v.reporter, v.year, nullif(v.mkey, 0)::TINYINT AS month, v.product, "
        f"v.partner, v.value_usd, t.total_usd, v.value_usd / nullif(t.total_usd, 0) AS share, "
        f"v.n_months FROM v LEFT JOIN t USING ({keys}) WHERE v.partner <> '{WORLD}' {keep}"
    )
    return sql, [*params, *total_params, *keep_params], res, rows_sql, params


@register_indicator(
    "share",
    help="Partner shares of the reporter's trade by product and period.",
    params_help={
        "selection": SELECTION_HELP,
        "partners": "Partners to show (shares stay of the full total); default every one.",
        "denominator": DENOMINATOR_HELP,
    },
)
def partner_shares(
    store: Store,
    selection: Selection | None = None,
    *,
    partners: Sequence[str] | None = None,
    denominator: Denominator = "world",
    **kwargs: Any,
) -> ShareResult:
    """Partner shares of the reporter's trade by product and period (formula in module doc).

    ``partners`` limits the rows returned (shares are still of the full total). Keyword
    arguments build a :class:`Selection` when none is given.
    """
    sel = selection or Selection(**kwargs)
    sql, all_params, res, rows_sql, params = share_sql(
        store, sel, partners=partners, denominator=denominator
    )
    order = " ORDER BY reporter, product, year, month, partner"
    table = store.df(sql + order, all_params)
    table = _finish_table(table, res, denominator)
    ids = provenance_ids(store, rows_sql, params)
    return ShareResult(
        table=table,
        name="partner_share",
        title=_share_title(sel, partners),
        units=f"share of {_flow_word(sel)} (0–1); values in current USD",
        formula="share = V[partner, product, period] / T[product, period]; T = "
        + ("world total (partner WLD)" if denominator == "world" else "sum over listed partners"),
        source=source_line(store, ids),
        notes=_share_notes(res, denominator, table),
        provenance_ids=ids,
        params={"selection": _sel_dict(sel), "denominator": denominator, "source": res.source},
    )


def join_on(left: str, right: str, keys: str) -> str:
    """Join condition on ``keys`` that matches NULLs (annual rows have month NULL)."""
    cols = [k.strip() for k in keys.split(",")]
    return " AND ".join(f"{left}.{c} IS NOT DISTINCT FROM {right}.{c}" for c in cols)


def world_total_sql(
    store: Store, res: Resolved, rows_sql: str, params: list[Any]
) -> tuple[str, list[Any]]:
    has = store.scalar(f"SELECT count(*) FROM ({rows_sql}) WHERE partner = '{WORLD}'", params)
    if not has:
        years = store.df(f"SELECT min(year) AS lo, max(year) AS hi FROM ({rows_sql})", params)
        span = f"{years['lo'].iloc[0]}–{years['hi'].iloc[0]}" if not years.empty else "?"
        parts = store.df(f"SELECT DISTINCT partner FROM ({rows_sql}) ORDER BY 1", params)
        listed = ", ".join(parts["partner"].head(12))
        raise NoDataError(
            f"Source {res.source!r} has no world total (partner {WORLD}) for "
            f"{_describe(res.sel)} at {res.levels} digits, {span}; it lists only the partners "
            f"{listed}{' …' if len(parts) > 12 else ''}, so a share of the reporter's total "
            "imports cannot be computed from it.",
            hint="Use a source with world totals, or denominator='partners' (CLI --denominator "
            "partners) for shares among the listed partners.",
        )
    keys = "source, reporter, year, month, product"
    return (
        f"SELECT {keys}, sum(value_usd) AS total_usd FROM ({rows_sql}) "
        f"WHERE partner = '{WORLD}' GROUP BY ALL",
        list(params),
    )


def _finish_table(table: pd.DataFrame, res: Resolved, denominator: str) -> pd.DataFrame:
    table["flow"] = res.sel.flow
    table["denominator"] = denominator
    table["period"] = _period(table)
    if not res.monthly_rows or res.sel.frequency == "monthly":
        table = table.drop(columns=["n_months"])
    cols = ["source", "reporter", "flow", "period", "year", "month", "product", "partner"]
    rest = [c for c in table.columns if c not in cols]
    return table[cols + rest].reset_index(drop=True)


def _period(table: pd.DataFrame) -> pd.Series:
    if table.empty:
        return pd.Series([], dtype="datetime64[ns]")
    month = table["month"].fillna(1).astype(int)
    return pd.to_datetime(
        pd.DataFrame({"year": table["year"].astype(int), "month": month, "day": 1})
    )


def _share_notes(res: Resolved, denominator: str, table: pd.DataFrame) -> list[str]:
    notes = [f"source {res.source}, rows at {'/'.join(map(str, res.levels))} digits", *res.notes]
    if denominator == "partners":
        notes.append(
            "denominator is the sum over the partners in the source, not the reporter's world total"
        )
    if "n_months" in table and (table["n_months"] < 12).any():
        short = sorted(set(table.loc[table["n_months"] < 12, "year"].astype(int)))
        notes.append(f"annual sums of monthly rows; incomplete years: {short}")
    if table["share"].isna().any():
        notes.append(f"{int(table['share'].isna().sum())} rows without a total (share missing)")
    if res.harmonise_to:
        notes.append(f"HS codes harmonised to {res.harmonise_to} through hs_concordance")
    elif len(res.vintages) > 1 and res.sel.level > 4 and not res.sel.group:
        notes.append(
            f"codes span HS vintages {', '.join(res.vintages)}; codes are compared as written"
        )
    return notes


def _share_title(sel: Selection, partners: Sequence[str] | None) -> str:
    who = " and ".join(partners) if partners and len(partners) <= 3 else "Partner"
    what = sel.group or ("all goods" if sel.level == 0 else f"{sel.classification}{sel.level}")
    return f"{who} share of {sel.reporter or 'each reporter'}'s {_flow_word(sel)}, {what}"


def _flow_word(sel: Selection) -> str:
    return "imports" if sel.flow == "import" else "exports" if sel.flow == "export" else sel.flow


def _sel_dict(sel: Selection) -> dict[str, Any]:
    return {k: getattr(sel, k) for k in sel.__dataclass_fields__}


class ShareResult(IndicatorResult):
    """Partner shares; ``plot()`` draws share lines over time with the tariff-wave markers."""

    def share(self, partner: str, product: str, year: int, month: int | None = None) -> float:
        """One share value, read from :meth:`tidy`."""
        t = self.tidy()
        hit = t[(t["partner"] == partner) & (t["product"] == product) & (t["year"] == year)]
        if month is not None:
            hit = hit[hit["month"] == month]
        if len(hit) != 1:
            raise NoDataError(
                f"No single share for {partner} {product} {year}{'' if month is None else month}."
            )
        return float(hit["share"].iloc[0])

    def plot(
        self,
        *,
        products: Sequence[str] | None = None,
        partners: Sequence[str] | None = None,
        top: int = 6,
        kind: Literal["lines", "stacked"] = "lines",
    ) -> Any:
        """Share lines over time with the tariff-wave markers (bars for a single year), or
        ``kind="stacked"``: stacked supplier shares of one product by period (top suppliers
        and the rest as "other")."""
        t = self.tidy().dropna(subset=["share"])
        if kind == "stacked":
            return self._stacked(t, products, top)
        if products:
            t = t[t["product"].isin(products)]
        if partners:
            t = t[t["partner"].isin(partners)]
        multi_product = t["product"].nunique() > 1
        series = "product" if multi_product and t["partner"].nunique() == 1 else "partner"
        if series == "partner":
            keep = t.groupby("partner")["value_usd"].sum().nlargest(top).index
            t = t[t["partner"].isin(keep)]
        else:
            keep = t.groupby("product")["value_usd"].sum().nlargest(top).index
            t = t[t["product"].isin(keep)]
        annual = bool(t["month"].isna().all())
        data = pd.DataFrame(
            {
                "partner": t["partner"].astype(str),
                "product": t["product"].astype(str),
                "year": t["year"].astype(int),
                "share_pct": t["share"].astype(float) * 100,
                "date": t["period"].dt.strftime("%Y-%m-%d"),
            }
        )
        if data["year"].nunique() <= 1:
            return self._bar(data, series)
        lines = (
            alt.Chart(data)
            .mark_line(point=annual, strokeWidth=2)
            .encode(
                x=alt.X("date:T", title=None, axis=time_axis(annual)),
                y=alt.Y("share_pct:Q", title="share (%)"),
                color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="right")),
                tooltip=[series, "date:T", alt.Tooltip("share_pct:Q", format=".2f")],
            )
        )
        if series == "partner" and data["product"].nunique() > 1:
            lines = lines.encode(
                strokeDash=alt.StrokeDash("product:N", legend=alt.Legend(orient="right"))
            )
        start, end = data["date"].min(), data["date"].max()
        layer = alt.layer(lines, wave_markers(start, end))
        return charts.finish(layer, title=self.title, subtitle=_subtitle(self), source=self.source)

    def _stacked(self, t: pd.DataFrame, products: Sequence[str] | None, top: int) -> Any:
        product = (products or [str(t.groupby("product")["value_usd"].sum().idxmax())])[0]
        t = t[t["product"] == product]
        if t.empty:
            raise NoDataError(f"No shares of product {product!r} to plot.")
        listed = set(t["partner"])
        aggregates = {a for a, members in AGGREGATES.items() if a in listed and members & listed}
        t = t[~t["partner"].isin(aggregates)]  # members are shown; the bloc would count twice
        keep = [str(p) for p in t.groupby("partner")["value_usd"].sum().nlargest(top).index]
        t = t[t["partner"].isin(keep)]
        data = t.assign(supplier=t["partner"], date=t["period"].dt.strftime("%Y-%m-%d"))[
            ["date", "supplier", "share"]
        ]
        rest = 1 - data.groupby("date", as_index=False)["share"].sum().set_index("date")["share"]
        data = pd.concat(
            [data, pd.DataFrame({"date": rest.index, "supplier": "other", "share": rest.values})],
            ignore_index=True,
        )
        data["share_pct"] = data["share"] * 100
        order = [*keep, "other"]
        monthly = t["month"].notna().any()
        bars = alt.Chart(data).mark_area() if monthly else alt.Chart(data).mark_bar()
        chart = bars.encode(
            x=alt.X(
                "date:T" if monthly else "year(date):O",
                title=None,
                axis=time_axis(False) if monthly else alt.Axis(labelAngle=0),
            ),
            y=alt.Y(
                "share_pct:Q", title="share (%)", stack="zero", scale=alt.Scale(domain=[0, 100])
            ),
            color=alt.Color(
                "supplier:N",
                title=None,
                legend=alt.Legend(orient="right"),
                scale=alt.Scale(domain=order, range=_stack_colours(len(order) - 1)),
            ),
            order=alt.Order("supplier_rank:Q"),
            tooltip=["supplier", "date:T", alt.Tooltip("share_pct:Q", format=".1f")],
        ).transform_calculate(supplier_rank=f"indexof({order!r}, datum.supplier)")
        return charts.finish(
            chart,
            title=f"Suppliers of {self.params['selection']['reporter'] or 'each reporter'}'s "
            f"imports, {product}",
            subtitle=_subtitle(self) + "; stacked, largest suppliers first",
            source=self.source,
        )

    def _bar(self, data: pd.DataFrame, series: str) -> Any:
        label = "partner" if series == "product" else series
        bars = (
            alt.Chart(data)
            .mark_bar(color=charts.PALETTE[1])
            .encode(
                y=alt.Y(f"{label}:N", sort="-x", title=None),
                x=alt.X("share_pct:Q", title="share (%)"),
                tooltip=[label, alt.Tooltip("share_pct:Q", format=".2f")],
            )
        )
        text = bars.mark_text(align="left", dx=3, fontSize=11).encode(
            text=alt.Text("share_pct:Q", format=".1f")
        )
        year = int(data["year"].iloc[0])
        return charts.finish(
            alt.layer(bars, text),
            title=f"{self.title}, {year}",
            subtitle=_subtitle(self),
            source=self.source,
        )


def _stack_colours(n: int) -> list[str]:
    """House colours for ``n`` suppliers (grey kept for "other")."""
    named = [c for c in charts.PALETTE if c != "#7f8c8d"]
    return [*(named * (n // len(named) + 1))[:n], "#c8c8c8"]


def _subtitle(res: IndicatorResult) -> str:
    denom = res.params.get("denominator")
    base = "Share of imports, %" if "import" in res.units else "Share, %"
    if denom == "partners":
        return base + " (of the sum over the partners in the source, not the world total)"
    return base + " of the world total"
