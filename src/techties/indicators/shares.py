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

import pandas as pd

from techties.errors import ConfigError, NoDataError, TechtiesError, UnknownNameError, did_you_mean
from techties.indicators import concordance
from techties.indicators.aggregates import AGGREGATES, EU27, members_of_listed
from techties.indicators.registry import DENOMINATOR_HELP, SELECTION_HELP, register_indicator
from techties.indicators.result import has_table, provenance_ids, source_line
from techties.indicators.shares_result import ShareResult
from techties.store import Store, queries
from techties.store.queries import (
    BASE_VINTAGE,
    WORLD,
    Denominator,
    FlowFilter,
    Part,
    RowSpec,
    join_on,
)

__all__ = [
    "AGGREGATES",
    "BASE_VINTAGE",
    "BASIS_ORDER",
    "EU27",
    "FAMILIES",
    "WORLD",
    "Denominator",
    "Frequency",
    "Part",
    "Resolved",
    "Selection",
    "ShareResult",
    "excluded_members",
    "hs_base",
    "join_on",
    "listed_partners",
    "members_of_listed",
    "partner_shares",
    "resolve",
    "selection_sql",
    "share_sql",
    "world_total_sql",
]

Frequency = Literal["annual", "monthly"]

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
        return queries.relation_sql(self.table, self.mirror)

    @property
    def detail(self) -> int:
        """Digits the input rows must have (the level, or the longest product prefix)."""
        codes = [len(c) for c in self.products]
        return max([self.level, *codes])


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
    def rows(self) -> RowSpec:
        """The rows to read, for the store's queries (:func:`techties.store.queries.rows_sql`)."""
        sel = self.sel
        return RowSpec(
            flows=flow_filter(sel, source=self.source),
            plan=self.plan,
            level=sel.level,
            monthly=sel.frequency == "monthly",
            group=sel.group,
            group_codes=self.group_codes,
            products=tuple(sel.products),
            harmonise_to=self.harmonise_to,
        )

    @property
    def product_expr(self) -> str:
        return self.rows.product_expr

    @property
    def levels(self) -> list[int]:
        return sorted({p.level for p in self.plan})

    @property
    def monthly_rows(self) -> bool:
        return any(p.monthly for p in self.plan)


def flow_filter(sel: Selection, source: str | None = None) -> FlowFilter:
    """The row filter of ``sel`` (``source`` in place of the selection's own, when given)."""
    return FlowFilter(
        table=sel.table,
        mirror=sel.mirror,
        flow=sel.flow,
        classifications=FAMILIES[sel.classification],
        reporter=sel.reporter,
        years=sel.years,
        value_basis=sel.value_basis,
        source=sel.source if source is None else source,
    )


#: the flows trade_flows allows (its CHECK constraint, migration 0001)
FLOWS = ("import", "export", "re-import", "re-export")


def _refuse_unknown_value(store: Store, sel: Selection) -> None:
    """When nothing matches because the flow is not a flow, or a source or reporter is not in the
    table at all, say which, with the values that are (only on this error path: it scans)."""
    if sel.flow not in FLOWS:  # the values trade_flows allows (migration 0001)
        raise UnknownNameError(f"No flow {sel.flow!r}.", hint=did_you_mean(sel.flow, FLOWS))
    for column, value in (("source", sel.source), ("reporter", sel.reporter)):
        if value is None:
            continue
        known = store.df(f'SELECT DISTINCT "{column}" AS v FROM "{sel.table}" WHERE v IS NOT NULL')
        values = [str(v) for v in known["v"]]
        if values and value not in values:
            # a reporter without rows is missing data (callers may skip it); a source or flow
            # that is not there is a wrong name
            error = NoDataError if column == "reporter" else UnknownNameError
            raise error(
                f"No {column} {value!r} in table {sel.table!r}.", hint=did_you_mean(value, values)
            )


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
        _refuse_unknown_value(store, sel)
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
    if harmonise and sel.hs_vintage and queries.has_concordance(store, sel.hs_vintage):
        res = replace(res, harmonise_to=sel.hs_vintage)
    return res


def _inventory(store: Store, sel: Selection) -> pd.DataFrame:
    """Per source, year and frequency of the rows ``sel`` asks for: the coarsest product level
    at or below the detail asked (``level``), the deepest level, and the code vintages and value
    bases stored (from one scan of the table, :func:`techties.store.queries.inventory`)."""
    raw = queries.inventory(store, flow_filter(sel))
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
    """SQL selecting the rows of ``res`` and its parameters (columns:
    :func:`techties.store.queries.rows_sql`)."""
    return queries.rows_sql(res.rows)


def listed_partners(store: Store, rows_sql: str, params: list[Any]) -> list[str]:
    """The partner codes in the selected rows, sorted."""
    return queries.listed_partners(store, (rows_sql, params))


def excluded_members(store: Store, rows_sql: str, params: list[Any]) -> list[str]:
    """Members of the listed aggregates that are themselves listed (left out as suppliers so
    that they are not counted twice)."""
    return members_of_listed(listed_partners(store, rows_sql, params))


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
    excluded: list[str] = []
    if denominator == "world":
        world_total_sql(store, res, rows_sql, params)  # raises NoDataError without WLD rows
    elif denominator == "partners":
        excluded = excluded_members(store, rows_sql, params)
    else:
        raise ConfigError(
            f"Unknown denominator {denominator!r}.", hint="Use 'world' or 'partners'."
        )
    sql, all_params = queries.share_sql(
        (rows_sql, params),
        denominator=denominator,
        excluded=excluded,
        partners=partners,
        count_months=res.monthly_rows and sel.frequency == "annual",
    )
    return sql, all_params, res, rows_sql, params


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


def world_total_sql(
    store: Store, res: Resolved, rows_sql: str, params: list[Any]
) -> tuple[str, list[Any]]:
    """The world total of the selected rows by source, reporter, year, month and product; a
    :class:`~techties.errors.NoDataError` naming the listed partners when the source has none."""
    rows = (rows_sql, params)
    if not queries.has_world_total(store, rows):
        lo, hi = queries.year_span(store, rows)
        listed = queries.listed_partners(store, rows)
        raise NoDataError(
            f"Source {res.source!r} has no world total (partner {WORLD}) for "
            f"{_describe(res.sel)} at {res.levels} digits, {lo}–{hi}; it lists only the "
            f"partners {', '.join(listed[:12])}{' …' if len(listed) > 12 else ''}, so a share "
            "of the reporter's total imports cannot be computed from it.",
            hint="Use a source with world totals, or denominator='partners' (CLI --denominator "
            "partners) for shares among the listed partners.",
        )
    return queries.world_total_sql(rows)


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
