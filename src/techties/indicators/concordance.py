"""HS6 concordance across vintages, HS → BEC, HS6 → HTS8, and technology product groups.

Converting values x_f on source codes f to target codes t::

    y_t = Σ_f w(f→t) · x_f        with Σ_t w(f→t) = 1 for every f

so totals are preserved exactly. Weights:

- ``equal`` (default): w(f→t) = 1 / n(f), n(f) = number of target codes linked to f;
- ``trade``: given target-vintage flows T_t (e.g. the same trade in a year already reported in
  the target vintage), w(f→t) = T_t / Σ_{t'∈links(f)} T_t'; a source code whose targets all
  have T = 0 (or no data) keeps equal weights and is listed in the report.

Multi-step conversions (HS2022 → HS2007) compose adjacent steps: W = W₁ · W₂ · … (weights
multiply along paths and add over paths); trade weights are applied to the composed links.
For each adjacent pair the store's links come from the ``hs_conversion``/``hs_conversion_un``
sources where they have the code (UN conversion tables: one old code per new code) and otherwise from ``hs_correlation``
(UN/WCO correlation tables), because the consolidated 2022↔2017 correlation lists every pair
inside n:n groups.

A :class:`ConversionReport` says what was split (one source code → several targets) and merged
(several sources → one target). Round trips are exact for codes whose mapping is one-to-one in
both directions.

Technology product groups are data (``groups.yaml`` beside this module, extendable by a user
YAML file with the same layout): each group has a title, the HS vintage its codes are written in,
a stated basis, and 4- or 6-digit codes (4-digit headings expand to every HS6 code under them).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from techties.errors import (
    ConfigError,
    NoDataError,
    UnknownCodeError,
    UnknownNameError,
    did_you_mean,
)

VINTAGES = ("HS1992", "HS1996", "HS2002", "HS2007", "HS2012", "HS2017", "HS2022")


@dataclass(frozen=True)
class ConversionReport:
    """What a conversion did: counts, and which codes were split or merged."""

    from_vintage: str
    to_vintage: str
    weight_basis: str
    source_codes: int
    one_to_one: int
    split: dict[str, list[str]] = field(default_factory=dict)
    merged: dict[str, list[str]] = field(default_factory=dict)
    equal_fallback: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.from_vintage} → {self.to_vintage} ({self.weight_basis} weights): "
            f"{self.source_codes:,} source codes, {self.one_to_one:,} one-to-one, "
            f"{len(self.split):,} split, {len(self.merged):,} target codes merged"
            + (
                f", {len(self.equal_fallback):,} split equally for lack of trade"
                if self.equal_fallback
                else ""
            )
            + (
                f", {len(self.unmapped):,} without a path ({', '.join(self.unmapped[:5])})"
                if self.unmapped
                else ""
            )
        )


@dataclass(frozen=True)
class Concordance:
    """Links ``from_code → to_code`` with weights summing to 1 per source code."""

    from_vintage: str
    to_vintage: str
    links: pd.DataFrame  # from_code, to_code, weight
    weight_basis: str = "equal"
    equal_fallback: tuple[str, ...] = ()
    unmapped: tuple[str, ...] = ()

    @classmethod
    def from_links(
        cls, links: pd.DataFrame, from_vintage: str, to_vintage: str, *, weight_basis: str = "equal"
    ) -> Concordance:
        df = links[["from_code", "to_code"]].drop_duplicates().copy()
        if "weight" in links.columns and weight_basis != "equal":
            df = links[["from_code", "to_code", "weight"]].copy()
        else:
            df["weight"] = 1.0 / df.groupby("from_code")["to_code"].transform("size")
        return cls(from_vintage, to_vintage, df.reset_index(drop=True), weight_basis)

    @property
    def source_codes(self) -> set[str]:
        return set(self.links["from_code"])

    def then(self, other: Concordance) -> Concordance:
        """Compose two steps: w(f→u) = Σ_t w₁(f→t) · w₂(t→u)."""
        m = self.links.merge(
            other.links, left_on="to_code", right_on="from_code", suffixes=("", "_2")
        )
        m["w"] = m["weight"] * m["weight_2"]
        out = pd.DataFrame(m.groupby(["from_code", "to_code_2"])["w"].sum()).reset_index()
        out = out.rename(columns={"to_code_2": "to_code", "w": "weight"})
        # source codes whose every target has no link in the next step (e.g. 999999 "not
        # specified") are kept out of the links and reported; converting values on them raises
        lost = tuple(sorted(self.source_codes - set(out["from_code"])))
        return Concordance(
            self.from_vintage,
            other.to_vintage,
            out,
            self.weight_basis,
            unmapped=self.unmapped + lost,
        )

    def reweight(self, target_values: Mapping[str, float] | pd.Series) -> Concordance:
        """Trade weights: w(f→t) ∝ T_t over the targets linked to f (equal where Σ T = 0)."""
        t = pd.Series(target_values, dtype=float).groupby(level=0).sum()
        df = self.links[["from_code", "to_code"]].copy()
        df["t"] = df["to_code"].map(t).fillna(0.0).clip(lower=0.0)
        tot = df.groupby("from_code")["t"].transform("sum")
        n = df.groupby("from_code")["to_code"].transform("size")
        df["weight"] = (df["t"] / tot).where(tot > 0, 1.0 / n)
        fallback = sorted(set(df.loc[(tot <= 0) & (n > 1), "from_code"]))
        return Concordance(
            self.from_vintage,
            self.to_vintage,
            df[["from_code", "to_code", "weight"]],
            "trade",
            tuple(fallback),
            self.unmapped,
        )

    def convert(self, values: Mapping[str, float] | pd.Series) -> pd.Series:
        """Values on source codes → values on target codes (totals preserved)."""
        x = pd.Series(values, dtype=float)
        x.index = x.index.astype(str)
        unknown = sorted(set(x.index) - self.source_codes)
        if unknown:
            raise UnknownCodeError(
                f"<{self.from_vintage} values>",
                "code",
                {c: 1 for c in unknown},
                expected=f"{self.from_vintage} HS6 codes with a link to {self.to_vintage}",
                hint="Check the vintage of the data; codes are 6 digits with leading zeros.",
            )
        m = self.links[self.links["from_code"].isin(x.index)]
        y = (m["weight"] * m["from_code"].map(x)).groupby(m["to_code"]).sum()
        return y.rename(None)

    def report(self) -> ConversionReport:
        n_to = self.links.groupby("from_code")["to_code"].agg(list)
        n_from = self.links.groupby("to_code")["from_code"].agg(list)
        split = {str(f): sorted(ts) for f, ts in n_to.items() if len(ts) > 1}
        merged = {str(t): sorted(fs) for t, fs in n_from.items() if len(fs) > 1}
        one = sum(1 for f, ts in n_to.items() if len(ts) == 1 and len(n_from[ts[0]]) == 1)
        return ConversionReport(
            self.from_vintage,
            self.to_vintage,
            self.weight_basis,
            len(n_to),
            one,
            split,
            merged,
            list(self.equal_fallback),
            list(self.unmapped),
        )


def _check_vintage(v: str) -> str:
    vv = v.upper().replace(" ", "")
    if vv not in VINTAGES:
        raise UnknownNameError(f"Unknown HS vintage {v!r}.", hint=did_you_mean(vv, VINTAGES))
    return vv


def _step(store: Any, a: str, b: str) -> Concordance:
    df = store.df(
        "SELECT c.from_code, c.to_code, p.source FROM hs_concordance c "
        "JOIN provenance p ON p.id = c.provenance_id WHERE from_vintage = ? AND to_vintage = ?",
        [a, b],
    )
    if df.empty:
        raise NoDataError(
            f"The store has no {a} → {b} concordance.",
            hint="Ingest the UN correlation tables: `techties ingest hs_correlation "
            "DATA/trade-concordances/comtrade-conversion-weights/HS_consolidated_comtrade_"
            "concordances.csv`.",
        )
    is_conv = df["source"].isin(["hs_conversion", "hs_conversion_un"])
    conv = df[is_conv].drop_duplicates(["from_code", "to_code"])
    corr = df[~is_conv & ~df["from_code"].isin(set(conv["from_code"]))]
    return Concordance.from_links(pd.concat([conv, corr]), a, b)


def load_concordance(
    store: Any,
    from_vintage: str,
    to_vintage: str,
    *,
    trade_weights: Mapping[str, float] | pd.Series | None = None,
) -> Concordance:
    """The concordance between two HS vintages (adjacent steps composed; see module doc)."""
    a, b = _check_vintage(from_vintage), _check_vintage(to_vintage)
    i, j = VINTAGES.index(a), VINTAGES.index(b)
    if i == j:
        raise ConfigError(f"{a} → {b}: the vintages are the same.")
    path = VINTAGES[i : j + 1] if i < j else VINTAGES[j : i + 1][::-1]
    conc = _step(store, path[0], path[1])
    for x, y in itertools.pairwise(path[1:]):
        conc = conc.then(_step(store, x, y))
    return conc.reweight(trade_weights) if trade_weights is not None else conc


def convert_values(
    store: Any,
    values: Mapping[str, float] | pd.Series,
    from_vintage: str,
    to_vintage: str,
    *,
    trade_weights: Mapping[str, float] | pd.Series | None = None,
) -> tuple[pd.Series, ConversionReport]:
    """Convert values keyed by HS6 code between vintages; returns values and the report."""
    conc = load_concordance(store, from_vintage, to_vintage, trade_weights=trade_weights)
    return conc.convert(values), conc.report()


def bec_links(store: Any, vintage: str = "HS2017") -> pd.DataFrame:
    """HS6 (any vintage) → BEC Rev.4 with weights, via the HS2017 → BEC correlation."""
    v = _check_vintage(vintage)
    bec = store.df("SELECT hs_vintage, hs_code, bec_code FROM hs_bec")
    if bec.empty:
        raise NoDataError(
            "The store has no HS → BEC correlation.",
            hint="`techties ingest hs_bec DATA/trade-concordances/onecampaign/hs17_bec.csv`",
        )
    base = str(bec["hs_vintage"].iloc[0])
    b = Concordance.from_links(
        bec.rename(columns={"hs_code": "from_code", "bec_code": "to_code"}), base, "BEC4"
    )
    if v == base:
        return b.links
    return load_concordance(store, v, base).then(b).links


def hts8_children(store: Any, hs6: str, vintage: str = "HS2017") -> list[str]:
    """The US HTS8 codes under an HS6 code in the HTS of that HS revision."""
    v = _check_vintage(vintage)
    rows = store.df(
        "SELECT hts8 FROM hs6_hts8 WHERE vintage = ? AND hs6 = ? ORDER BY hts8",
        [v, str(hs6).zfill(6)],
    )
    if rows.empty and not store.scalar("SELECT count(*) FROM hs6_hts8 WHERE vintage = ?", [v]):
        raise NoDataError(
            f"The store has no HS6 → HTS8 tree for {v}.",
            hint="`techties ingest hs_hts_tree DATA/trade-concordances/us_tariff_data/`",
        )
    return rows["hts8"].tolist()


# -- technology product groups -------------------------------------------------------------
@dataclass(frozen=True)
class ProductGroup:
    name: str
    title: str
    vintage: str
    basis: str
    codes: tuple[str, ...]
    exclude: tuple[str, ...] = ()


def _parse_groups(raw: Any, where: str) -> dict[str, ProductGroup]:
    if not isinstance(raw, dict) or not isinstance(raw.get("groups"), dict):
        raise ConfigError(f"{where}: expected a mapping with a 'groups' key.")
    out = {}
    for name, g in raw["groups"].items():
        if not isinstance(g, dict) or not g.get("codes") or not g.get("basis"):
            raise ConfigError(
                f"{where}: group {name!r} needs 'codes' and 'basis'.",
                hint="See src/techties/indicators/groups.yaml for the layout.",
            )
        codes = tuple(str(c).replace(".", "").strip() for c in g["codes"])
        bad = [c for c in codes if not (c.isdigit() and len(c) in (2, 4, 6))]
        if bad:
            raise ConfigError(
                f"{where}: group {name!r} has codes that are not 2/4/6 digits: {bad[:5]}"
            )
        out[str(name)] = ProductGroup(
            str(name),
            str(g.get("title", name)),
            _check_vintage(str(g.get("vintage", "HS2017"))),
            " ".join(str(g["basis"]).split()),
            codes,
            tuple(str(c).replace(".", "") for c in g.get("exclude", []) or []),
        )
    return out


def load_groups(user_path: str | Path | None = None) -> dict[str, ProductGroup]:
    """Built-in groups, plus (overriding by name) those in a user YAML file."""
    text = resources.files("techties.indicators").joinpath("groups.yaml").read_text("utf-8")
    groups = _parse_groups(yaml.safe_load(text), "groups.yaml")
    if user_path is not None:
        p = Path(user_path)
        if not p.exists():
            raise ConfigError(f"Group file {p} does not exist.")
        try:
            groups.update(_parse_groups(yaml.safe_load(p.read_text("utf-8")), str(p)))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    return groups


def _universe(store: Any, vintage: str) -> set[str]:
    if store is None:
        raise NoDataError(
            "Expanding 2/4-digit headings needs the HS6 code list of the vintage.",
            hint="Pass a store with the HS correlation tables ingested.",
        )
    codes = set(
        store.df("SELECT DISTINCT from_code FROM hs_concordance WHERE from_vintage = ?", [vintage])[
            "from_code"
        ]
    )
    if not codes:
        raise NoDataError(
            f"The store has no {vintage} codes.",
            hint="`techties ingest hs_correlation …HS_consolidated_comtrade_concordances.csv`",
        )
    return codes


def group_codes(
    name: str,
    vintage: str = "HS2017",
    *,
    store: Any = None,
    user_path: str | Path | None = None,
) -> list[str]:
    """HS6 codes of a technology group in ``vintage``.

    Headings (2/4 digits) are expanded in the requested vintage itself (a heading-based group
    keeps its definition across revisions); 6-digit codes written in another vintage are carried
    over with the concordance (every target code receiving a positive weight). Exclusions are
    treated the same way and removed last.
    """
    groups = load_groups(user_path)
    if name not in groups:
        raise UnknownNameError(f"No product group {name!r}.", hint=did_you_mean(name, groups))
    g, v = groups[name], _check_vintage(vintage)

    def resolve(codes: tuple[str, ...]) -> set[str]:
        heads = [c for c in codes if len(c) < 6]
        six = {c for c in codes if len(c) == 6}
        out: set[str] = set()
        if heads:
            out |= {u for u in _universe(store, v) if any(u.startswith(h) for h in heads)}
        if six and v != g.vintage:
            if store is None:
                raise NoDataError(
                    f"Converting group {name!r} from {g.vintage} to {v} needs a store.",
                    hint="Pass a store with the HS correlation tables ingested.",
                )
            links = load_concordance(store, g.vintage, v).links
            six = set(links.loc[links["from_code"].isin(six) & (links["weight"] > 0), "to_code"])
        return out | six

    return sorted(resolve(g.codes) - resolve(g.exclude))
