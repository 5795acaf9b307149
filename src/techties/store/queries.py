"""Named, parameterised queries over ``trade_flows``: the row selection of an indicator, the
inventory that plans it, and the grouped partner-share, concentration and chokepoint queries.

The indicator layer (:mod:`techties.indicators.shares`, :mod:`techties.indicators.concentration`)
decides *what* to read — the source, the product level of each year, a product group's codes,
the denominator — and hands it over as a :class:`FlowFilter` / :class:`RowSpec`; the SQL text is
written here only. The formulas are those of the indicator modules' docs.

Rules of the SQL text:

- every value a caller passes (codes, years, partners, thresholds, source names) is a DuckDB
  parameter ``?``; each function returns ``(sql, params)`` with the parameters in textual order,
  so a caller nesting a query as ``FROM (sql)`` passes its ``params`` at that place;
- the only things written into the text are this module's constants (the world code
  :data:`WORLD`, the tie rule :data:`TIE_VALUE`), integers checked to a range (product levels and
  code lengths, :func:`check_level`) and identifiers checked against a whitelist (a table or
  view name, :func:`check_identifier` and :func:`check_table`; key columns, :data:`KEY_COLUMNS`).
  A name that fails is refused with a :mod:`techties.errors` error that names it.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import pandas as pd

from techties.errors import ConfigError, UnknownNameError, did_you_mean
from techties.store.core import Store
from techties.store.parts import physical

#: a query and its parameters, in textual order
Sql: TypeAlias = tuple[str, list[Any]]
#: (include, exclude) code prefixes of a product group in one code vintage
GroupCodes: TypeAlias = Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]

#: partner code of the world total in ``trade_flows``
WORLD = "WLD"
#: the value the top supplier is chosen by: rounded to 0.001 USD (concentration module doc)
TIE_VALUE = "round({} * 1000)"
#: the keys of one group of the share and concentration tables
KEYS = "source, reporter, year, month, product"
#: product codes have at most this many digits (HS10, Schedule B)
MAX_LEVEL = 10
#: columns a query may name as keys (of ``trade_flows`` and of the tables derived from it here)
KEY_COLUMNS = frozenset(
    {"source", "reporter", "partner", "flow", "classification", "vintage", "value_basis", "year",
     "month", "mkey", "row_month", "product", "product_code", "product_level"}
)  # fmt: skip
#: HS vintage of the 6-digit part of a stored code (HTS/Schedule B vintages follow the HS one)
BASE_VINTAGE = (
    "CASE WHEN coalesce(vintage, '') LIKE 'HS%' THEN vintage "
    "WHEN year >= 2022 THEN 'HS2022' WHEN year >= 2017 THEN 'HS2017' "
    "WHEN year >= 2012 THEN 'HS2012' ELSE 'HS2007' END"
)
#: concordance links, one ingested table per (vintage pair, source code): conversion tables
#: before the consolidated correlation file, then the earliest ingested
ONE_TABLE_LINKS = (
    "SELECT from_vintage, to_vintage, from_code, to_code, weight FROM ("
    "SELECT c.*, dense_rank() OVER (PARTITION BY c.from_vintage, c.to_vintage, c.from_code "
    "ORDER BY (p.source IN ('hs_conversion', 'hs_conversion_un')) DESC, c.provenance_id) AS pick "
    "FROM hs_concordance c JOIN provenance p ON p.id = c.provenance_id) WHERE pick = 1"
)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# -- whitelists ------------------------------------------------------------------------------
def check_identifier(name: str, what: str = "table name") -> str:
    """``name`` if it is a plain SQL identifier (letters, digits, ``_``; not a digit first)."""
    if not isinstance(name, str) or not _IDENT.match(name):
        raise ConfigError(f"Bad {what} {name!r}.", hint="Use letters, digits and _.")
    return name


def check_table(store: Store, name: str) -> str:
    """``name`` if the store has a table or view of that name (the whitelist of relations)."""
    store._check_table(check_identifier(name))  # the store's own check (with its suggestions)
    return name


def check_level(level: int, what: str = "Product level") -> int:
    """``level`` as an int if it is a number of code digits, 0 to :data:`MAX_LEVEL`."""
    try:
        digits = operator.index(level)
    except TypeError:
        digits = -1
    if isinstance(level, bool) or not 0 <= digits <= MAX_LEVEL:
        raise ConfigError(f"{what} {level!r} is not 0–{MAX_LEVEL} digits.")
    return digits


def check_columns(keys: str | Sequence[str]) -> list[str]:
    """Key columns (``"a, b"`` or a sequence) if every one is in :data:`KEY_COLUMNS`."""
    cols = [k.strip() for k in keys.split(",")] if isinstance(keys, str) else list(keys)
    for c in cols:
        if c not in KEY_COLUMNS:
            raise UnknownNameError(f"Unknown key column {c!r}.", hint=did_you_mean(c, KEY_COLUMNS))
    return cols


def join_on(left: str, right: str, keys: str | Sequence[str]) -> str:
    """Join condition on ``keys`` that matches NULLs (annual rows have month NULL)."""
    a, b = check_identifier(left, "alias"), check_identifier(right, "alias")
    return " AND ".join(f"{a}.{c} IS NOT DISTINCT FROM {b}.{c}" for c in check_columns(keys))


def relation_sql(table: str, mirror: bool) -> str:
    """What rows are read from: ``table``, or its mirror (reporter and partner swapped, exports
    read as imports and the other way round, world totals left out)."""
    check_identifier(table)
    if not mirror:
        return table
    return (
        f"(SELECT * REPLACE (partner AS reporter, reporter AS partner, CASE flow "
        f"WHEN 'export' THEN 'import' WHEN 'import' THEN 'export' ELSE flow END AS flow) "
        f"FROM {table} WHERE partner <> '{WORLD}')"
    )


# -- the row filter --------------------------------------------------------------------------
#: columns :func:`inventory` groups by and filters after grouping (see there why)
GROUPED = frozenset({"flow", "classification", "value_basis", "source"})


@dataclass(frozen=True, slots=True)
class FlowFilter:
    """The rows of a selection: a table (or its mirror) and the values rows must have.

    The filter is written once, by :meth:`where`; :func:`inventory` applies the same conditions
    to grouped rows (:meth:`keeps`) for the columns it groups by.
    """

    table: str = "trade_flows"
    mirror: bool = False
    flow: str = "import"
    classifications: tuple[str, ...] = ("HS",)
    reporter: str | None = None
    years: tuple[int, int] | None = None
    value_basis: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        check_identifier(self.table)

    @property
    def relation(self) -> str:
        return relation_sql(self.table, self.mirror)

    def where(self, *, grouped: bool = True) -> Sql:
        """The WHERE conditions and their parameters. ``grouped=False`` leaves out the conditions
        on :data:`GROUPED` columns (flow, classification, value basis, source), which
        :func:`inventory` applies to the grouped rows instead."""
        classes = list(self.classifications)
        terms: list[tuple[str, str, list[Any]]] = [
            ("flow", "flow = ?", [self.flow]),
            ("classification", "list_contains(?::VARCHAR[], classification)", [classes]),
        ]
        if self.reporter is not None:
            terms.append(("reporter", "reporter = ?", [self.reporter]))
        if self.years is not None:
            lo, hi = self.years
            terms.append(("year", "year BETWEEN ? AND ?", [int(lo), int(hi)]))
        if self.value_basis is not None:
            terms.append(("value_basis", "value_basis = ?", [self.value_basis]))
        if self.source is not None:
            terms.append(("source", "source = ?", [self.source]))
        kept = [t for t in terms if grouped or t[0] not in GROUPED]
        return " AND ".join([t[1] for t in kept] or ["TRUE"]), [p for t in kept for p in t[2]]

    def keeps(self, frame: pd.DataFrame) -> pd.Series:
        """Which rows of a frame grouped by the :data:`GROUPED` columns pass the filter."""
        keep = (frame["flow"] == self.flow) & frame["classification"].isin(self.classifications)
        if self.source is not None:
            keep &= frame["source"] == self.source
        if self.value_basis is not None:
            keep &= frame["value_basis"] == self.value_basis
        return keep


def inventory(store: Store, flows: FlowFilter, *, metadata: bool = True) -> pd.DataFrame:
    """Per source, flow, classification, value basis, year, row frequency (``monthly``),
    product level and code vintage, whether ``flows`` has rows there (one scan of the table).

    The scan groups by low-cardinality columns; flow, classification, source and value basis
    are group keys filtered on the grouped rows rather than SQL conditions (in a bulk part they
    are constants of the view, and a plain GROUP BY over them is ~2x faster in DuckDB than
    filtering every row on them or collecting ``list(DISTINCT …)``). Reporter and years stay in
    SQL. With ``metadata`` bulk Parquet parts are answered from metadata (:func:`part_inventory`).
    """
    check_table(store, flows.table)
    where, params = flows.where(grouped=False)
    relation, head = (part_inventory(store, flows) if metadata else None) or (flows.relation, [])
    raw = store.df(
        f"SELECT source, flow, classification, value_basis, year, "
        f"month IS NOT NULL AS monthly, product_level, coalesce(vintage, '') AS vintage "
        f"FROM {relation} WHERE {where} GROUP BY ALL",
        [*head, *params],
    )
    return raw[flows.keeps(raw)]


#: the columns :func:`inventory` reads besides the year
INVENTORY_COLUMNS = ("source", "flow", "classification", "value_basis", "month", "product_level",
                     "vintage")  # fmt: skip
#: SQL literals a part's constants are read from (NULL, an integer, a quoted string)
_LITERAL = re.compile(r"NULL|0|-?[1-9][0-9]*|'(?:[^']|'')*'")
_TYPE = re.compile(r"[A-Z][A-Z0-9_]*")


def part_inventory(store: Store, flows: FlowFilter) -> Sql | None:
    """The relation :func:`inventory` groups, each bulk Parquet part of ``flows.table`` given
    as one row per year it holds (its constants cast as the view casts them, ``parts.view_sql``;
    the constant year, or the row-group statistics of a stored one when each non-empty row group
    holds one year and no NULL), not its rows; None unless every part is answered so and the
    table is read unmirrored for every reporter. The rows written by ``Store.write`` are read as
    before; the same conditions apply to both, so the grouped result is the scan's.
    """
    table = flows.table
    native = physical(table)
    if flows.mirror or flows.reporter is not None or native == table:
        return None
    found = store.con.execute(
        "SELECT file, rows, columns, constants FROM store_parts WHERE table_name = ? "
        "ORDER BY provenance_id",
        [table],
    ).fetchall()
    if not found:
        return None
    kinds = {str(n): str(k) for n, k, *_ in store.con.execute(f'DESCRIBE "{native}"').fetchall()}
    names = [*INVENTORY_COLUMNS, "year"]
    if not all(n in kinds and _TYPE.fullmatch(kinds[n]) for n in names):
        return None
    files = [str(store.parts_root / rel) for rel, *_ in found]
    years: dict[str, set[str]] = {f: set() for f in files}
    counted = dict.fromkeys(files, 0)
    for file, n, lo, hi, nulls in store.con.execute(
        "SELECT file_name, row_group_num_rows, stats_min_value, stats_max_value, "
        "stats_null_count FROM parquet_metadata(?::VARCHAR[]) WHERE path_in_schema = 'year'",
        [files],
    ).fetchall():
        if file not in years or (n and (nulls != 0 or lo is None or lo != hi)):
            return None  # this row group's years are not pinned by its statistics
        years[file].update([lo] if n else [])
        counted[file] += n
    values: list[list[str | None]] = [[] for _ in names]
    for file, (_, rows, columns, constants) in zip(files, found, strict=True):
        stored, const = json.loads(columns), json.loads(constants)
        if any(c in stored for c in INVENTORY_COLUMNS):
            return None
        if "year" not in stored:
            years[file] = {const.get("year", "NULL")} if rows else set()
        elif counted[file] != rows:  # every row is in a row group read above
            return None
        texts = [const.get(c, "NULL") for c in INVENTORY_COLUMNS]
        if not all(isinstance(t, str) and _LITERAL.fullmatch(t) for t in [*texts, *years[file]]):
            return None
        for year in sorted(years[file]):
            for column, text in zip(values, [*texts, year], strict=True):
                column.append(_unquote(text))
    cols = ", ".join(names)
    picks = ", ".join(f"unnest(?::VARCHAR[]) AS {n}" for n in names)
    typed = ", ".join(f"CAST({n} AS {kinds[n]}) AS {n}" for n in names)
    relation = f"(SELECT {cols} FROM {native} UNION ALL SELECT {typed} FROM (SELECT {picks}))"
    return relation, values


def _unquote(literal: str) -> str | None:
    """The value of an SQL literal of :data:`_LITERAL` as text (None for NULL)."""
    if literal == "NULL":
        return None
    return literal[1:-1].replace("''", "'") if literal.startswith("'") else literal


# -- the selected rows -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Part:
    """Years read at one product level from annual or monthly rows."""

    years: tuple[int, ...]
    level: int
    monthly: bool

    def __post_init__(self) -> None:
        check_level(self.level, "Stored product level")


@dataclass(frozen=True, slots=True)
class RowSpec:
    """The rows of a resolved selection: the filter (with its one source), the stored product
    level of each year (``plan``), and how products are labelled.

    ``level`` digits label each product (0: all goods, ``'TOTAL'``); with ``group`` every row is
    labelled with the group's name and kept when its code starts with one of the group's
    prefixes for its vintage (``group_codes``); ``products`` keeps codes starting with one of
    these prefixes; ``monthly`` keeps months as periods (else annual periods, month NULL);
    ``harmonise_to`` maps 6-digit codes of other HS vintages to that vintage.
    """

    flows: FlowFilter
    plan: tuple[Part, ...]
    level: int
    monthly: bool = False
    group: str | None = None
    group_codes: GroupCodes = field(default_factory=dict)
    products: tuple[str, ...] = ()
    harmonise_to: str | None = None

    def __post_init__(self) -> None:
        check_level(self.level)
        codes = [*self.products, *(c for g in self.group_codes.values() for cs in g for c in cs)]
        for code in codes:
            check_level(len(code), f"Product code {code!r}: length")

    @property
    def years(self) -> list[int]:
        """Every year of the plan, sorted."""
        return sorted({y for part in self.plan for y in part.years})

    @property
    def product_expr(self) -> str:
        if self.group:
            return "?::VARCHAR"
        if self.level == 0:
            return "'TOTAL'"
        if all(p.level == self.level for p in self.plan):
            return "product_code"
        return f"substr(product_code, 1, {self.level})"


def rows_sql(spec: RowSpec) -> Sql:
    """SQL selecting the rows of ``spec`` as (source, reporter, partner, year, month, row_month,
    product, product_code, vintage, value_usd, duties_usd, provenance_id); ``month`` is NULL
    for annual periods, ``row_month`` is the month of the stored row."""
    harmonise = spec.harmonise_to if not spec.group else None
    sql, params = _select_rows(spec, BASE_VINTAGE if harmonise else "vintage")
    if harmonise is None:
        return sql, params
    return _harmonised(sql, spec.level), [*params, harmonise, harmonise]


def _select_rows(spec: RowSpec, vintage: str) -> Sql:
    where, params = spec.flows.where()
    conds = [where, _plan_condition(spec.plan, params)]
    head: list[Any] = []
    if spec.group:
        head.append(spec.group)
        conds.append(_prefix_by_vintage(spec.group_codes, params))
    if spec.products:
        conds.append(_prefix_condition(spec.products, params))
    month = "month" if spec.monthly else "NULL::TINYINT"
    sql = (
        f"SELECT source, reporter, partner, year, {month} AS month, month AS row_month, "
        f"{spec.product_expr} AS product, product_code, {vintage} AS vintage, value_usd, "
        f"duties_usd, provenance_id FROM {spec.flows.relation} WHERE {' AND '.join(conds)}"
    )
    return sql, head + params


def _harmonised(rows: str, level: int) -> str:
    """Map 6-digit codes of other HS vintages to the target (the two parameters after the
    rows' own) through ``hs_concordance``.

    value[k_target] = Σ_k_from weight[k_from → k_target] · value[k_from]; codes without a
    concordance row (or already in the target) keep their code and full value. Where several
    ingested tables link the same code (the UN conversion tables and the consolidated
    correlation file), one table's links are used (:data:`ONE_TABLE_LINKS`) — the conversion
    table first, as in :func:`techties.indicators.concordance.load_concordance` — so no value
    is counted twice.
    """
    return (
        f"SELECT r.source, r.reporter, r.partner, r.year, r.month, r.row_month, "
        f"substr(coalesce(c.to_code, substr(r.product_code, 1, 6)), 1, {check_level(level)}) "
        f"AS product, r.product_code, r.vintage, r.value_usd * coalesce(c.weight, 1) AS value_usd, "
        f"r.duties_usd * coalesce(c.weight, 1) AS duties_usd, r.provenance_id "
        f"FROM ({rows}) r LEFT JOIN ({ONE_TABLE_LINKS}) c ON c.from_vintage = r.vintage "
        f"AND c.from_vintage <> ? AND c.to_vintage = ? AND c.from_code = substr(r.product_code, 1, 6)"
    )


def _plan_condition(plan: Sequence[Part], params: list[Any]) -> str:
    parts = []
    for part in plan:
        month = "month IS NOT NULL" if part.monthly else "month IS NULL"
        parts.append(f"({_years_condition(part.years, params)} AND product_level = ? AND {month})")
        params.append(part.level)
    return "(" + " OR ".join(parts) + ")"


def _years_condition(years: Sequence[int], params: list[Any]) -> str:
    """``year`` in ``years``: a range when they follow each other, else ``IN`` (both are
    pushed into the Parquet scan as zone-map filters; a ``list_contains`` per row is not)."""
    ys = sorted({int(y) for y in years})
    if not ys:
        return "FALSE"
    if ys == list(range(ys[0], ys[-1] + 1)):
        params.extend([ys[0], ys[-1]])
        return "year BETWEEN ? AND ?"
    params.extend(ys)
    return f"year IN ({', '.join('?' for _ in ys)})"


def _prefix_condition(prefixes: Sequence[str], params: list[Any]) -> str:
    by_len: dict[int, list[str]] = {}
    for p in prefixes:
        by_len.setdefault(check_level(len(p), f"Product code {p!r}: length"), []).append(p)
    parts = []
    for n, codes in sorted(by_len.items()):
        parts.append(f"list_contains(?::VARCHAR[], substr(product_code, 1, {n}))")
        params.append(codes)
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _prefix_by_vintage(codes: GroupCodes, params: list[Any]) -> str:
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


# -- facts about the selected rows -------------------------------------------------------------
def listed_partners(store: Store, rows: Sql) -> list[str]:
    """The partner codes in the selected rows, sorted."""
    sql, params = rows
    return sorted(store.df(f"SELECT DISTINCT partner FROM ({sql})", params)["partner"])


def has_world_total(store: Store, rows: Sql) -> bool:
    """Whether the selected rows include world totals (partner :data:`WORLD`)."""
    sql, params = rows
    return bool(store.scalar(f"SELECT count(*) FROM ({sql}) WHERE partner = '{WORLD}'", params))


def year_span(store: Store, rows: Sql) -> tuple[Any, Any]:
    """(first, last) year of the selected rows (NULLs when there are none)."""
    sql, params = rows
    years = store.df(f"SELECT min(year) AS lo, max(year) AS hi FROM ({sql})", params)
    return years["lo"].iloc[0], years["hi"].iloc[0]


def has_concordance(store: Store, target: str) -> bool:
    """Whether ``hs_concordance`` exists and links codes to the vintage ``target``."""
    if not store.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name = 'hs_concordance'"
    ):
        return False
    n = store.scalar("SELECT count(*) FROM hs_concordance WHERE to_vintage = ?", [target])
    return bool(n)


# -- grouped queries ---------------------------------------------------------------------------
Denominator = Literal["world", "partners"]


def check_denominator(denominator: str, hint: str = "Use 'world' or 'partners'.") -> None:
    if denominator not in ("world", "partners"):
        raise ConfigError(f"Unknown denominator {denominator!r}.", hint=hint)


def world_total_sql(rows: Sql) -> Sql:
    """The world total (partner :data:`WORLD`) by source, reporter, year, month and product."""
    sql, params = rows
    return (
        f"SELECT {KEYS}, sum(value_usd) AS total_usd FROM ({sql}) "
        f"WHERE partner = '{WORLD}' GROUP BY ALL",
        list(params),
    )


def share_sql(
    rows: Sql,
    *,
    denominator: Denominator,
    excluded: Sequence[str] = (),
    partners: Sequence[str] | None = None,
    count_months: bool = False,
) -> Sql:
    """The partner-share table of the selected rows (unordered)::

        share[r, p, k, t] = v[r, p, k, t] / T[r, k, t]
        T = v[r, WLD, k, t]                            denominator="world"
          = Σ_{p ≠ WLD, p ∉ excluded} v[r, p, k, t]     denominator="partners"

    Rows are source, reporter, year, month, product, partner, value_usd, total_usd, share,
    n_months (the distinct months of stored rows added into an annual period when
    ``count_months``, else NULL). ``partners`` limits the rows returned, not the total.
    """
    check_denominator(denominator)
    sql, params = rows
    # annual periods have month NULL: join on coalesce(month, 0) so plain equality works
    keys = "reporter, year, mkey, product"
    total_params: list[Any] = []
    if denominator == "world":
        total = f"partner = '{WORLD}'"
    else:
        total = f"partner <> '{WORLD}' AND NOT list_contains(?::VARCHAR[], partner)"
        total_params = [list(excluded)]
    keep, keep_params = "", []
    if partners:
        keep = "AND list_contains(?::VARCHAR[], v.partner)"
        keep_params = [list(partners)]
    months = "count(DISTINCT row_month)" if count_months else "NULL::BIGINT"
    query = (
        f"WITH v AS (SELECT source, reporter, year, coalesce(month, 0)::TINYINT AS mkey, "
        f"product, partner, sum(value_usd) AS value_usd, {months} AS n_months "
        f"FROM ({sql}) GROUP BY ALL), "
        f"t AS (SELECT {keys}, sum(value_usd) AS total_usd FROM v WHERE {total} GROUP BY ALL) "
        f"SELECT v.source, v.reporter, v.year, nullif(v.mkey, 0)::TINYINT AS month, v.product, "
        f"v.partner, v.value_usd, t.total_usd, v.value_usd / nullif(t.total_usd, 0) AS share, "
        f"v.n_months FROM v LEFT JOIN t USING ({keys}) WHERE v.partner <> '{WORLD}' {keep}"
    )
    return query, [*params, *total_params, *keep_params]


def concentration_sql(
    rows: Sql, *, denominator: Denominator = "partners", excluded: Sequence[str] = ()
) -> Sql:
    """The per-product concentration table of the selected rows (unordered)::

        v_p = Σ value_usd over the rows of supplier p (p ≠ WLD, p ∉ excluded, v_p > 0)
        T = Σ_p v_p (denominator="partners")  or  the world total (denominator="world")
        hhi = Σ_p v_p² / T²    top_share = max_p v_p / T    top_supplier: :data:`TIE_VALUE`

    Columns source, reporter, year, month, product, n_suppliers, total_usd, hhi, top_share,
    top_supplier; groups with T ≤ 0 are left out.
    """
    check_denominator(denominator, hint="Use 'partners' or 'world'.")
    sql, params = rows
    v_sql = (
        f"SELECT {KEYS}, partner, sum(value_usd) AS v FROM ({sql}) "
        f"WHERE partner <> '{WORLD}' AND NOT list_contains(?::VARCHAR[], partner) "
        f"GROUP BY ALL HAVING sum(value_usd) > 0"
    )
    agg = (
        f"SELECT {KEYS}, count(*) AS n_suppliers, sum(v) AS suppliers_usd, "
        f"sum(v * v) AS sum_v2, max(v) AS top_usd, "
        f"arg_max(partner, ({TIE_VALUE.format('v')}, partner)) AS top_supplier FROM v GROUP BY ALL"
    )
    all_params: list[Any] = [*params, list(excluded)]
    if denominator == "partners":
        inner = f"WITH v AS ({v_sql}), a AS ({agg}) SELECT a.*, a.suppliers_usd AS total_usd FROM a"
    else:
        total_sql, total_params = world_total_sql(rows)
        inner = (
            f"WITH v AS ({v_sql}), a AS ({agg}), t AS ({total_sql}) "
            f"SELECT a.*, t.total_usd FROM a JOIN t ON {join_on('a', 't', KEYS)}"
        )
        all_params += total_params
    final = (
        f"SELECT source, reporter, year, month, product, n_suppliers, total_usd, "
        f"sum_v2 / (total_usd * total_usd) AS hhi, top_usd / total_usd AS top_share, "
        f"top_supplier FROM ({inner}) WHERE total_usd > 0"
    )
    return final, all_params


def chokepoint_sql(relation: Sql, thresholds: Iterable[float]) -> Sql:
    """Chokepoint counts from a concentration relation (a query with the columns of
    :func:`concentration_sql`, or ``SELECT * FROM`` a table of them)::

        n_chokepoints[r, t, θ] = #{k : top_share[r, k, t] > θ}    value_usd = Σ of their total_usd

    per reporter and period, over all products (``top_supplier = 'ALL'``) and split by the top
    supplier; one row per threshold θ. One pass over the relation (a FILTER per threshold).
    """
    sql, params = relation
    ths = [float(t) for t in thresholds]
    if not ths:
        raise ConfigError("No chokepoint thresholds given.", hint="Pass e.g. (0.5, 0.7).")
    cols = ", ".join(
        f"count(*) FILTER (WHERE top_share > ?) AS n{i}, "
        f"coalesce(sum(total_usd) FILTER (WHERE top_share > ?), 0) AS v{i}"
        for i in range(len(ths))
    )
    grouped = (
        f"SELECT reporter, year, month, CASE WHEN grouping(top_supplier) = 1 THEN 'ALL' "
        f"ELSE top_supplier END AS top_supplier, count(*) AS n_products, {cols} "
        f"FROM r GROUP BY GROUPING SETS ((reporter, year, month), "
        f"(reporter, year, month, top_supplier))"
    )
    parts = [
        f"SELECT reporter, year, month, ?::DOUBLE AS threshold, top_supplier, "
        f"n{i} AS n_chokepoints, n_products, v{i} AS value_usd FROM g"
        for i in range(len(ths))
    ]
    query = f"WITH r AS ({sql}), g AS ({grouped}) " + " UNION ALL ".join(parts)
    return query, [*params, *(t for t in ths for _ in (0, 1)), *ths]
