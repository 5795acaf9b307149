"""What a canonical table may hold, declared once per table, with the per-source exceptions.

Every table a reader produces is checked against its :class:`TableSchema` by
:mod:`techties.store.validate` before anything is written (in :meth:`Store.write` and in the
Parquet-part path of :meth:`Store.write_plan`), so no reader can skip it:

- columns present with a compatible type; ``required`` columns never null;
- every DOUBLE finite (no NaN, no ±inf — ``1e400`` reads as inf); ``low``/``high`` bounds
  (signs, year ranges, date ranges); ``pattern`` for codes written as text;
- ``codes``: values from a named code list (:data:`CODE_LISTS`), unknown codes refused with
  counts and the nearest known codes;
- cross-column ``rules`` (SQL that must hold on every row, NULL counting as holding);
- ``key``: no two rows of one ingest share it (a repeated row doubles totals), and no ingest
  repeats rows another file of the same source already stored (:mod:`techties.store.repeats`;
  ``file_key`` adds the columns that tell files apart, e.g. a dated snapshot).

A source whose documentation says its data legitimately break a rule gets an :class:`Allow`
naming the rule it relaxes and why (:attr:`TableSchema.sources`); nothing is relaxed for all
sources at once. ``docs/data.md`` ("Validation") lists the rules and every exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from techties.countries import WB_AGGREGATES, country_codes

Bound = float | str | None


@dataclass(frozen=True, slots=True)
class Col:
    """One canonical column: SQL type and the checks on its values."""

    sql: str
    required: bool = False
    low: Bound = None  # smallest value allowed (dates as 'YYYY-MM-DD')
    high: Bound = None
    codes: str | None = None  # name of a list in CODE_LISTS
    pattern: str | None = None  # RE2 the whole text must match


@dataclass(frozen=True, slots=True)
class Rule:
    """A cross-column rule: ``sql`` must be true (or NULL) on every row."""

    name: str
    sql: str
    columns: tuple[str, ...]
    expected: str
    hint: str = "Check the file against the publisher's layout; it may have been edited."


@dataclass(frozen=True, slots=True)
class Allow:
    """What one source may hold that the table refuses, with the documented ``reason``."""

    reason: str
    bounds: Mapping[str, tuple[Bound, Bound]] = field(default_factory=dict)
    codes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    code_pattern: Mapping[str, str] = field(default_factory=dict)  # column → RE2 of extra codes
    rules: Mapping[str, Rule | None] = field(default_factory=dict)  # replaced (None: dropped)
    collapse_duplicates: bool = False  # identical repeated rows kept once (noted in provenance)


@dataclass(frozen=True, slots=True)
class TableSchema:
    table: str
    columns: Mapping[str, Col]
    key: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    sources: Mapping[str, tuple[Allow, ...]] = field(default_factory=dict)
    #: columns that tell two files of one source apart on top of ``key`` (a dated snapshot of a
    #: list repeats its entries by design); see :mod:`techties.store.repeats`
    file_key: tuple[str, ...] = ()

    def for_source(self, source: str) -> Effective:
        """The rules as they apply to ``source`` (its :class:`Allow` entries applied)."""
        cols = dict(self.columns)
        rules = {r.name: r for r in self.rules}
        extra: dict[str, frozenset[str]] = {}
        patterns: dict[str, str] = {}
        collapse: str | None = None
        reasons = []
        for allow in self.sources.get(source, ()):
            reasons.append(allow.reason)
            for name, (low, high) in allow.bounds.items():
                cols[name] = replace(cols[name], low=low, high=high)
            for name, codes in allow.codes.items():
                extra[name] = extra.get(name, frozenset()) | codes
            patterns.update(allow.code_pattern)
            for name, rule in allow.rules.items():
                if rule is None:
                    rules.pop(name, None)
                else:
                    rules[name] = rule
            if allow.collapse_duplicates:
                collapse = allow.reason
        return Effective(self.table, cols, self.key, tuple(rules.values()), extra, patterns,
                         collapse, tuple(reasons))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Effective:
    """A table's rules for one source (what :mod:`techties.store.validate` runs)."""

    table: str
    columns: Mapping[str, Col]
    key: tuple[str, ...]
    rules: tuple[Rule, ...]
    extra_codes: Mapping[str, frozenset[str]]
    code_patterns: Mapping[str, str]
    collapse: str | None  # why identical repeated rows are kept once (None: refused)
    reasons: tuple[str, ...]

    def known(self, column: str) -> frozenset[str]:
        name = self.columns[column].codes
        return CODE_LISTS[name] | self.extra_codes.get(column, frozenset()) if name else frozenset()


#: code lists named by ``Col.codes``
CODE_LISTS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "country": country_codes(),  # ISO 3166-1 alpha-3 (current and withdrawn), WLD, EUU, XKX
        # the migrations' own codes: trade_flows "group code such as EUN, WLD"; tariff_measures
        # target "or 'ALL' (MFN, erga omnes)"; indicators "or WB aggregate code: WLD, EAS…"
        "trade_country": country_codes() | {"EUN"},
        "tariff_target": country_codes() | {"ALL"},
        "indicator_country": country_codes() | WB_AGGREGATES,
        "flow": frozenset({"import", "export", "re-import", "re-export"}),
        "classification": frozenset({"HS", "HTS", "SCHEDULE_B", "NAICS", "CCC", "TOTAL"}),
        "value_basis": frozenset(
            {"customs_consumption", "customs_general", "customs", "CIF", "FOB", "FAS"}
        ),
        "kind": frozenset({"mfn", "additional", "exclusion"}),
        "status": frozenset({"in_force", "suspended"}),
        "date_basis": frozenset({"earliest citation", "effective date", "listed on"}),
        "relationship": frozenset({"1:1", "1:n", "n:1", "n:n"}),
    }
)

#: plausible years and dates for every table (a year 0 or 20170 is a broken cell)
Y0, Y1 = 1900, 2100
D0, D1 = "1900-01-01", "2100-12-31"
_COUNTRY = Col("VARCHAR", required=True, codes="country")
_TRADER = Col("VARCHAR", required=True, codes="trade_country")
_AMOUNT = Col("DOUBLE", low=0)
# Over-quota tariff-rate-quota rates reach 350 % (tobacco, HTS 2401; peanuts 131.8 %; dairy) and
# specific or compound duties exceed the value of low-value lines (apparel, ch. 61/62): in the
# staged 2024 HS10 and monthly HS2 files 37 of ~400,000 rows have duties above value, the highest
# at 3.5x. Census rounds both to whole dollars (hence + 2 USD).
_CENSUS_DUTIES = Allow(
    "US duties exceed the customs value on over-quota TRQ lines (up to 350 %, tobacco) and on "
    "low-value lines with specific/compound rates; Census rounds to whole dollars",
    rules={
        "duties_within_value": Rule(
            "duties_within_value", "duties_usd <= 3.5 * value_usd + 2",
            ("duties_usd", "value_usd"),
            "duties_usd at most 3.5 x value_usd (350 %, the highest US rate) + 2 USD rounding",
        )
    },
)  # fmt: skip
_COMTRADE_AREAS = Allow(
    "UN Comtrade area codes that are not ISO 3166 (mapped in comtrade.SPECIAL_AREAS: W00 -> WLD, "
    "EUR -> EUN, S19 'Other Asia, nes' = Taiwan, _X 'areas nes', X1)",
    codes={c: frozenset({"S19", "_X", "X1"}) for c in ("reporter", "partner")},
)

TRADE_FLOWS = TableSchema(
    "trade_flows",
    {
        "source": Col("VARCHAR", required=True),
        "reporter": _TRADER,
        "partner": _TRADER,
        "flow": Col("VARCHAR", required=True, codes="flow"),
        "year": Col("SMALLINT", required=True, low=Y0, high=Y1),
        "month": Col("TINYINT", low=1, high=12),
        "classification": Col("VARCHAR", required=True, codes="classification"),
        "vintage": Col("VARCHAR"),
        "product_code": Col("VARCHAR", required=True, pattern=r"TOTAL|\d{2,11}"),
        "product_level": Col("TINYINT", required=True, low=0, high=11),
        "value_usd": _AMOUNT,
        "quantity": _AMOUNT,
        "quantity_unit": Col("VARCHAR"),
        "duties_usd": _AMOUNT,
        "value_basis": Col("VARCHAR", required=True, codes="value_basis"),
    },
    key=(
        "source",
        "reporter",
        "partner",
        "flow",
        "year",
        "month",
        "classification",
        "vintage",
        "product_code",
        "value_basis",
    ),
    rules=(
        Rule(
            "level_is_code_length",
            "product_level = CASE WHEN product_code = 'TOTAL' THEN 0 ELSE length(product_code) END",
            ("product_code", "product_level"),
            "product_level = number of digits of product_code (0 for TOTAL)",
        ),
        Rule(
            "duties_within_value",
            "duties_usd <= value_usd",
            ("duties_usd", "value_usd"),
            "duties_usd no larger than value_usd",
            "Duties above the value usually mean swapped or shifted columns.",
        ),
        Rule(
            "quantity_has_unit",
            "quantity IS NULL OR quantity_unit IS NOT NULL",
            ("quantity", "quantity_unit"),
            "a quantity_unit wherever quantity is given",
        ),
    ),
    sources={
        "census": (
            _CENSUS_DUTIES,
            Allow(
                "Census grouping code 0020 USMCA (NAFTA) (sources.countries.CENSUS_GROUPS)",
                codes={"partner": frozenset({"USMCA"})},
            ),
        ),
        "census_naics_monthly": (
            _CENSUS_DUTIES,
            Allow(
                "duties are collected on entries in the month, refunds included (CATALOG-trade "
                "§11.2), so a month's net duties can be negative",
                bounds={"duties_usd": (None, None)},
            ),
            Allow(
                "the extract's partner aggregate USMCA (NAFTA) (EUROPEAN UNION is EUN)",
                codes={"partner": frozenset({"USMCA"})},
            ),
        ),
        "comtrade": (_COMTRADE_AREAS,),
        "comtrade_latin1": (_COMTRADE_AREAS,),
        "comtrade_legacy": (_COMTRADE_AREAS,),
        "baci": (
            Allow(
                "BACI's country_codes file lists economies without an ISO3 code (490 'Other Asia, "
                "nes', 697 'Europe EFTA, nes', 849 'US Misc. Pacific Isds'): the reader names "
                "them N<code> (or S19 where the release gives Comtrade's code)",
                codes={c: frozenset({"S19"}) for c in ("reporter", "partner")},
                code_pattern={c: r"N\d{1,3}" for c in ("reporter", "partner")},
            ),
        ),
        "taiwan_customs": (
            Allow(
                "the portal's residual destination 其他國家 'other countries' (OTH)",
                codes={"partner": frozenset({"OTH"})},
            ),
        ),
    },
)

GRAVITY = TableSchema(
    "gravity",
    {
        "dataset": Col("VARCHAR", required=True),
        "exporter": _COUNTRY,
        "importer": _COUNTRY,
        "year": Col("SMALLINT", required=True, low=Y0, high=Y1),
        "trade": _AMOUNT,
        "trade_unit": Col("VARCHAR", required=True),
        "covariates": Col("MAP(VARCHAR, DOUBLE)"),
    },
    key=("dataset", "exporter", "importer", "year"),
    rules=(
        Rule(
            "covariates_finite",
            "len(list_filter(map_values(covariates), lambda x: x IS NOT NULL AND NOT isfinite(x))) = 0",
            ("covariates",),
            "finite covariates (no NaN or infinity)",
        ),
    ),
    sources={
        "gravity": (
            Allow(
                "the Advanced Guide writes Romania as ROM (its pre-2002 code, CATALOG-trade §1); "
                "GE_gravity's example has a rest-of-world aggregate ROW (§2)",
                codes={c: frozenset({"ROM", "ROW"}) for c in ("exporter", "importer")},
            ),
        ),
    },
)

TARIFF_MEASURES = TableSchema(
    "tariff_measures",
    {
        "dataset": Col("VARCHAR", required=True),
        "imposer": _COUNTRY,
        "target": Col("VARCHAR", required=True, codes="tariff_target"),
        "product_code": Col("VARCHAR", required=True, pattern=r"(\d{2,10}[A-Z]?)?"),
        "vintage": Col("VARCHAR", required=True),
        "product_level": Col("TINYINT", required=True, low=0, high=10),
        "measure": Col("VARCHAR", required=True),
        "kind": Col("VARCHAR", required=True, codes="kind"),
        "program": Col("VARCHAR"),
        # 350 % is the highest rate of any staged schedule (US over-quota tobacco)
        "rate_pct": Col("DOUBLE", low=0, high=1000),
        "specific_rate": Col("BOOLEAN", required=True),
        "rate_text": Col("VARCHAR"),
        "start_date": Col("DATE", low=D0, high=D1),
        "end_date": Col("DATE", low=D0, high=D1),
        "status": Col("VARCHAR", required=True, codes="status"),
        "legal_reference": Col("VARCHAR"),
    },
    key=(
        "dataset",
        "imposer",
        "target",
        "product_code",
        "vintage",
        "measure",
        "kind",
        "program",
        "start_date",
        "legal_reference",
    ),
    rules=(
        Rule(
            "end_after_start",
            "end_date >= start_date",
            ("start_date", "end_date"),
            "end_date (last day in force) on or after start_date",
        ),
        Rule(
            "level_is_digits",
            "product_level = length(regexp_replace(product_code, '[^0-9]', '', 'g'))",
            ("product_code", "product_level"),
            "product_level = digits of product_code",
        ),
    ),
    sources={
        "china_retaliation_2025": (
            Allow(
                "the annex lists China's 10-digit national lines; the staged list keeps only the "
                "HS8, so an HS8 with two national lines appears twice (0306.32.10, rows 252-253)",
                collapse_duplicates=True,
            ),
        ),
    },
)

_NAMED = Rule(
    "name_has_a_letter", r"regexp_matches(name, '\p{L}')", ("name",),
    "a name with at least one letter", "A name of digits only is usually a shifted column.",
)  # fmt: skip
ENTITY_LIST = TableSchema(
    "entity_list",
    {
        "list": Col("VARCHAR", required=True),
        "list_id": Col("VARCHAR", required=True),
        "entry": Col("INTEGER", required=True, low=1),
        "name": Col("VARCHAR", required=True),
        "aliases": Col("VARCHAR[]"),
        "country": Col("VARCHAR"),
        "country_iso3": Col("VARCHAR", codes="country"),
        "address": Col("VARCHAR"),
        "citations": Col("VARCHAR[]"),
        "citation_dates": Col("DATE[]"),
        "date_added": Col("DATE", low=D0, high=D1),
        "date_basis": Col("VARCHAR", codes="date_basis"),
        "first_citation": Col("VARCHAR"),
        "license_requirement": Col("VARCHAR"),
        "license_policy": Col("VARCHAR"),
        "notes": Col("VARCHAR"),
        "snapshot": Col("DATE", low=D0, high=D1),
    },
    key=("list_id", "entry"),
    file_key=("snapshot",),
    rules=(
        _NAMED,
        Rule(
            "added_before_snapshot",
            "date_added <= snapshot",
            ("date_added", "snapshot"),
            "date_added on or before the list's snapshot date",
        ),
        Rule(
            "citation_dates_plausible",
            "len(list_filter(citation_dates, lambda d: d < DATE '1900-01-01' "
            "OR d > DATE '2100-12-31')) = 0",
            ("citation_dates",),
            "citation dates between 1900 and 2100",
        ),
        Rule(
            "one_date_per_citation",
            "len(citations) = len(citation_dates)",
            ("citations", "citation_dates"),
            "one (possibly empty) date per citation",
        ),
    ),
    sources={
        "ofac_sdn": (
            Allow(
                "OFAC lists vessels under their hull names, some of digits only ('7-28', "
                "ent_num 23156, a DPRK vessel)",
                rules={"name_has_a_letter": None},
            ),
        ),
    },
)

INDICATORS = TableSchema(
    "indicators",
    {
        "source": Col("VARCHAR", required=True),
        "indicator": Col("VARCHAR", required=True),
        "name": Col("VARCHAR", required=True),
        "unit": Col("VARCHAR", required=True),
        "country": Col("VARCHAR", codes="indicator_country"),
        "country_label": Col("VARCHAR", required=True),
        "partner": Col("VARCHAR", codes="indicator_country"),
        "partner_label": Col("VARCHAR"),
        "year": Col("SMALLINT", required=True, low=Y0, high=Y1),
        # signed: growth rates, net FDI inflows, BoP flows are negative in WDI and NCSES
        "value": Col("DOUBLE"),
        "flag": Col("VARCHAR"),
    },
    key=("source", "indicator", "country_label", "partner_label", "year"),
    sources={
        "wiod_dva": (
            Allow(
                "WIOD's 44 economies include its rest-of-the-world region ROW (CATALOG-tech §4)",
                codes={"country": frozenset({"ROW"}), "partner": frozenset({"ROW"})},
            ),
        ),
    },
)

_HS6 = Col("VARCHAR", required=True, pattern=r"\d{6}")
HS_CONCORDANCE = TableSchema(
    "hs_concordance",
    {
        "from_vintage": Col("VARCHAR", required=True),
        "from_code": _HS6,
        "to_vintage": Col("VARCHAR", required=True),
        "to_code": _HS6,
        "relationship": Col("VARCHAR", required=True, codes="relationship"),
        "weight": Col("DOUBLE", required=True, low=0, high=1),
        "weight_basis": Col("VARCHAR", required=True),
    },
    key=("from_vintage", "from_code", "to_vintage", "to_code"),
    rules=(Rule("weight_positive", "weight > 0", ("weight",), "a weight above 0"),),
)
HS_BEC = TableSchema(
    "hs_bec",
    {
        "hs_vintage": Col("VARCHAR", required=True),
        "hs_code": _HS6,
        "bec_code": Col("VARCHAR", required=True, pattern=r"\d{1,3}"),
        "relationship": Col("VARCHAR", codes="relationship"),
    },
    key=("hs_vintage", "hs_code", "bec_code"),
)
HS6_HTS8 = TableSchema(
    "hs6_hts8",
    {
        "vintage": Col("VARCHAR", required=True),
        "hs6": _HS6,
        "hts8": Col("VARCHAR", required=True, pattern=r"\d{8}"),
    },
    key=("vintage", "hs6", "hts8"),
)
MODEL_INPUTS = TableSchema(
    "model_inputs",
    {
        "dataset": Col("VARCHAR", required=True),
        "item": Col("VARCHAR", required=True),
        "shape": Col("INTEGER[]", required=True),
        "pos": Col("BIGINT", required=True, low=0),
        # signs are checked per array by the readers (sources._arrays: signed arrays declared)
        "value": Col("DOUBLE"),
        "text": Col("VARCHAR"),
        "unit": Col("VARCHAR"),
    },
    key=("dataset", "item", "pos"),
    rules=(
        Rule(
            "number_or_label",
            "value IS NULL OR text IS NULL",
            ("value", "text"),
            "a number or a label in a cell, not both",
        ),
        Rule(
            "pos_in_shape",
            "pos < list_aggregate(shape, 'product')",
            ("pos", "shape"),
            "pos inside the array's shape",
        ),
    ),
)

#: table name → its schema
SCHEMAS: Mapping[str, TableSchema] = MappingProxyType(
    {
        s.table: s
        for s in (
            TRADE_FLOWS,
            GRAVITY,
            TARIFF_MEASURES,
            ENTITY_LIST,
            INDICATORS,
            HS_CONCORDANCE,
            HS_BEC,
            HS6_HTS8,
            MODEL_INPUTS,
        )
    }
)
