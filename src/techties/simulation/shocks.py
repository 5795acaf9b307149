"""Typed shocks and elasticity settings of the scenario language, each parsed once from YAML.

The YAML syntax is documented in :mod:`techties.simulation.scenario`; this leaf module (it imports
only :mod:`techties.errors` and numpy) turns one ``shocks`` / ``status_quo`` item into one of

* :class:`TariffShock` (``tariff``),
* :class:`ExportControlShock` (``export_control``, an iceberg cost),
* :class:`CoefficientShock` (``coefficient``, an estimated gravity coefficient, on listed
  pairs or on a :class:`PairGroup`: ``all``, ``{from, to}`` or ``{members}``),

and the ``elasticities`` mapping into :class:`Elasticities`. Every value is checked here, with a
:class:`~techties.errors.ConfigError` naming the scenario, the shock (``shocks[2]``) and the key;
country and sector names are checked against the baseline when the scenario runs. How the shocks
become solver inputs is :func:`techties.simulation.shock_inputs.apply_shocks`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias

import numpy as np

from techties.errors import ConfigError, UnknownNameError, did_you_mean

SHOCK_TYPES = ("tariff", "export_control", "coefficient")

#: one name or several: countries, sectors or the keywords ``all`` (and ``goods`` for sectors)
Names: TypeAlias = str | tuple[str, ...]

_NAME_HINT = "quote names that YAML reads as other values, e.g. 'NO' (Norway) or 'ON'"

# --------------------------------------------------------------------------- value checks


def as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def number(
    v: Any, what: str, *, lo: float | None = None, hi: float | None = None, hint: str | None = None
) -> float:
    """``v`` as a finite float in ``[lo, hi]``; ``what`` names the key in the error."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{what} must be a number, got {v!r}", hint=hint)
    x = float(v)
    if (lo is not None and x < lo) or (hi is not None and x > hi) or not np.isfinite(x):
        rng = f"[{lo if lo is not None else '-∞'}, {hi if hi is not None else '∞'}]"
        raise ConfigError(f"{what} = {x:g} is impossible; expected a value in {rng}", hint=hint)
    return x


def value_range(
    v: Any, what: str, *, lo: float = 0.0, hi: float | None = None
) -> tuple[float, float]:
    """``[low, high]`` with both ends in ``[lo, hi]`` and low ≤ high."""
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise ConfigError(f"{what} must be a list [low, high], got {v!r}", hint="e.g. [0.5, 1.5]")
    a, b = (number(x, what, lo=lo, hi=hi) for x in v)
    if a > b:
        raise ConfigError(f"{what}: low {a:g} is above high {b:g}", hint="write [low, high]")
    return a, b


def check_keys(
    spec: Mapping[str, Any], allowed: Sequence[str], required: Sequence[str], where: str
) -> None:
    """Unknown keys (with the closest allowed one) and missing required keys are errors."""
    for k in spec:
        if k not in allowed:
            raise ConfigError(f"unknown key {k!r} in {where}. " + did_you_mean(str(k), allowed))
    for k in required:
        if k not in spec:
            raise ConfigError(f"{where} needs {k!r}", hint=f"keys: {', '.join(allowed)}")


def _flag(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{what} must be true or false, got {v!r}")
    return v


def _names(v: Any, what: str) -> Names:
    """A name or a list of names (numbers are read as their text, as before)."""
    items = v if isinstance(v, (list, tuple)) else [v]
    for x in items:
        if isinstance(x, bool) or not isinstance(x, (str, int, float)):
            raise ConfigError(
                f"{what} must be a name or a list of names, got {v!r}", hint=_NAME_HINT
            )
    return tuple(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v)


def _optional_names(spec: Mapping[str, Any], key: str, where: str) -> Names | None:
    return None if spec.get(key) is None else _names(spec[key], f"{where}.{key}")


def _source(spec: Mapping[str, Any]) -> str | None:
    return None if spec.get("source") is None else str(spec["source"])


def show_names(names: Names | None, default: str = "goods") -> str:
    """Names as the run log has always shown them (lists in brackets)."""
    if names is None:
        return default
    return str(list(names)) if isinstance(names, tuple) else names


def fmt_number(x: float) -> str:
    return str(int(x)) if x.is_integer() else repr(x)


# --------------------------------------------------------------------------- elasticities


@dataclass(frozen=True)
class Elasticities:
    """Trade elasticities: a common factor on the baseline's θ_j (multi-sector) or σ (one-sector).

    ``range`` (or ``sigma_range``) gives the uniform interval draws are taken from; with
    ``per_sector: true`` each sector's factor is drawn independently (default: one common
    factor, i.e. perfectly correlated elasticities).
    """

    #: where the values come from, as the scenario states it (None: not stated)
    source: str | None = None
    scale: float = 1.0
    range: tuple[float, float] | None = None
    sigma: float | None = None
    sigma_range: tuple[float, float] | None = None
    per_sector: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Elasticities:
        d = dict(d or {})
        keys = ["source", "scale", "range", "sigma", "sigma_range", "per_sector"]
        unknown = set(d) - set(keys)
        if unknown:
            key = sorted(unknown)[0]
            raise ConfigError(f"unknown key {key!r} in elasticities. " + did_you_mean(key, keys))
        if not isinstance(d.get("per_sector", False), bool):
            raise ConfigError("elasticities.per_sector must be true or false")
        scale = number(d.get("scale", 1.0), "elasticities.scale", lo=1e-3, hi=100)
        rng = (
            value_range(d["range"], "elasticities.range", lo=1e-3, hi=100) if "range" in d else None
        )
        sigma = (
            number(d["sigma"], "elasticities.sigma", lo=1.0001, hi=100) if "sigma" in d else None
        )
        srng = (
            value_range(d["sigma_range"], "elasticities.sigma_range", lo=1.0001, hi=100)
            if "sigma_range" in d
            else None
        )
        source = None if d.get("source") is None else str(d["source"])
        return cls(source, scale, rng, sigma, srng, bool(d.get("per_sector")))


# --------------------------------------------------------------------------- shocks


@dataclass(frozen=True)
class TariffShock:
    """``tariff``: exactly one of ``add`` (pp), ``to`` (level, %) or ``by_sector`` (sector → pp)
    on imposer × target (× ``sectors``, default ``goods``)."""

    kind: ClassVar[Literal["tariff"]] = "tariff"
    imposer: Names
    target: Names
    add: float | None = None
    to: float | None = None
    by_sector: tuple[tuple[str, float], ...] | None = None
    sectors: Names | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.add, self.to, self.by_sector)) != 1:
            raise ConfigError("a TariffShock takes exactly one of add, to, by_sector")

    def plan(self) -> tuple[tuple[Names, float], ...]:
        """``(sectors, pp)`` pairs: one per ``by_sector`` entry, else the shock's sectors."""
        if self.by_sector is not None:
            return self.by_sector
        value = self.add if self.add is not None else self.to
        return (("goods" if self.sectors is None else self.sectors, float(value or 0)),)

    @property
    def spec(self) -> Mapping[str, Any]:
        """The settings in the YAML's keys (read-only; for code written against ``spec``)."""
        d: dict[str, Any] = {"imposer": self.imposer, "target": self.target}
        if self.sectors is not None:
            d["sectors"] = self.sectors
        if self.by_sector is not None:
            d["by_sector"] = dict(self.by_sector)
        elif self.add is not None:
            d["add"] = self.add
        else:
            d["to"] = self.to
        if self.source is not None:
            d["source"] = self.source
        return MappingProxyType(d)

    def describe(self) -> str:
        who = f"tariff {show_names(self.imposer)} on {show_names(self.target)}"
        if self.by_sector is not None:
            pp = [v for _, v in self.by_sector]
            return f"{who}: {len(pp)} sectors, {min(pp):+g} to {max(pp):+g} pp"
        how = f"{self.add:+g} pp" if self.add is not None else f"to {fmt_number(self.to or 0.0)} %"
        return f"{who} ({show_names(self.sectors)}) {how}"


@dataclass(frozen=True)
class ExportControlShock:
    """``export_control``: a share ``s`` of the ``from → to`` flow in ``sectors`` faces the tariff
    equivalent ``cost`` ``t`` (∞: ``prohibitive``); ``remove`` lifts it.

    One meaning in both engines: at unchanged prices the flow is multiplied by
    ``(1 − s) + s (1 + t)^(−ε)`` with the trade elasticity ``ε`` (θ_j in the multi-sector model,
    σ − 1 in the one-sector one); the cost is an iceberg cost (it raises no revenue). Lifting
    divides by the same factor, so a fully shut flow (``share: 1``, ``prohibitive``) cannot be
    lifted (:func:`_export_control` refuses it).
    """

    kind: ClassVar[Literal["export_control"]] = "export_control"
    exporters: Names
    importers: Names
    sectors: Names | None = None
    #: tariff equivalent in percent; ``math.inf`` for ``prohibitive``
    cost: float = math.inf
    share: float = 1.0
    share_range: tuple[float, float] | None = None
    remove: bool = False
    source: str | None = None
    #: set on a removal made by a scenario's ``lift`` block: the position of the status-quo
    #: control it lifts, whose covered share it takes in every draw (an exact inverse)
    lifts: int | None = None

    @property
    def prohibitive(self) -> bool:
        return math.isinf(self.cost)

    def draw_share(self, rng: np.random.Generator) -> float:
        """The covered share of one draw: uniform on ``share_range``, else ``share``."""
        if self.share_range is not None:
            return float(rng.uniform(*self.share_range))
        return self.share

    @property
    def spec(self) -> Mapping[str, Any]:
        """The settings in the YAML's keys (read-only; for code written against ``spec``)."""
        d: dict[str, Any] = {"from": self.exporters, "to": self.importers}
        if self.sectors is not None:
            d["sectors"] = self.sectors
        d.update(cost="prohibitive" if self.prohibitive else self.cost, share=self.share)
        if self.share_range is not None:
            d["share_range"] = list(self.share_range)
        d["remove"] = self.remove
        if self.source is not None:
            d["source"] = self.source
        return MappingProxyType(d)

    def describe(self) -> str:
        verb = "lift" if self.remove else "impose"
        cost = "prohibitive" if self.prohibitive else fmt_number(self.cost)
        return (
            f"{verb} export control {show_names(self.exporters)} → {show_names(self.importers)} "
            f"({show_names(self.sectors)}), cost {cost}, share {fmt_number(self.share)}"
        )


@dataclass(frozen=True, eq=False)
class Coefficients:
    """An estimated coefficient vector (the estimation layer's JSON): terms, estimate, vcov."""

    terms: tuple[str, ...]
    estimate: np.ndarray
    vcov: np.ndarray


@dataclass(frozen=True)
class PairGroup:
    """Every ordered pair ``(exporter, importer)`` of distinct countries with the exporter in
    ``exporters`` and the importer in ``importers`` (``all``: every country of the baseline).

    ``form`` is how the YAML wrote it: ``all`` (``pairs: all``), ``from_to``
    (``pairs: {from: [..], to: [..]}``) or ``members`` (``pairs: {members: [..]}``, every ordered
    pair within the members). Names are checked against the baseline when the scenario runs.
    """

    exporters: Names
    importers: Names
    form: Literal["all", "from_to", "members"] = "from_to"

    @property
    def yaml(self) -> Any:
        """The ``pairs`` value as the scenario wrote it."""
        if self.form == "all":
            return "all"
        if self.form == "members":
            return {"members": self.exporters}
        return {"from": self.exporters, "to": self.importers}

    def describe(self) -> str:
        if self.form == "all":
            return "all pairs"
        if self.form == "members":
            return f"all pairs within {show_names(self.exporters)}"
        return f"all pairs from {show_names(self.exporters)} to {show_names(self.importers)}"


#: listed ``(exporter, importer)`` pairs, or a group of pairs
Pairs: TypeAlias = tuple[tuple[str, str], ...] | PairGroup


@dataclass(frozen=True)
class CoefficientShock:
    """``coefficient``: the covariate of ``term`` changes by ``change`` on the listed
    ``[exporter, importer]`` pairs (or a :class:`PairGroup`); partial effect ``exp(β Δx)`` on
    flows."""

    kind: ClassVar[Literal["coefficient"]] = "coefficient"
    term: str
    pairs: Pairs
    coefficients: Coefficients
    change: float = 1.0
    sectors: Names | None = None
    file: str | None = None
    source: str | None = None

    @property
    def term_index(self) -> int:
        return self.coefficients.terms.index(self.term)

    def draw_beta(self, rng: np.random.Generator) -> np.ndarray:
        """One coefficient vector from ``N(estimate, vcov)``."""
        c = self.coefficients
        return rng.multivariate_normal(c.estimate, c.vcov)

    @property
    def spec(self) -> Mapping[str, Any]:
        """The settings in the YAML's keys (read-only; for code written against ``spec``)."""
        pairs = (
            self.pairs.yaml if isinstance(self.pairs, PairGroup) else list(map(list, self.pairs))
        )
        d: dict[str, Any] = {"term": self.term, "pairs": pairs, "change": self.change}
        for key in ("sectors", "file", "source"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return MappingProxyType(d)

    def describe(self) -> str:
        where = (
            self.pairs.describe()
            if isinstance(self.pairs, PairGroup)
            else f"{len(self.pairs)} pairs"
        )
        return f"coefficient {self.term} Δx={fmt_number(self.change)} on {where}"


Shock: TypeAlias = TariffShock | ExportControlShock | CoefficientShock


# --------------------------------------------------------------------------- parsing


def parse_shock(item: Any, base_dir: Path, where: str) -> Shock:
    """One ``shocks`` / ``status_quo`` item (``{kind: {settings}}``); ``where`` names it in
    errors (``scenario.yaml: shocks[2]``); coefficient files are read relative to ``base_dir``."""
    if not isinstance(item, Mapping) or len(item) != 1:
        raise ConfigError(
            f"{where}: each shock is a mapping with one key ({', '.join(SHOCK_TYPES)}), "
            f"got {item!r}"
        )
    kind, spec = next(iter(item.items()))
    if kind not in SHOCK_TYPES:
        raise ConfigError(
            f"{where}: unknown shock type {kind!r}. " + did_you_mean(str(kind), SHOCK_TYPES)
        )
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: {kind} needs a mapping of settings, got {spec!r}")
    return _PARSERS[kind](dict(spec), base_dir, f"{where}.{kind}")


def _tariff(spec: dict[str, Any], _: Path, where: str) -> TariffShock:
    keys = ("imposer", "target", "sectors", "add", "to", "by_sector", "source")
    check_keys(spec, keys, ("imposer", "target"), where)
    modes = [k for k in ("add", "to", "by_sector") if k in spec]
    if len(modes) != 1:
        raise ConfigError(
            f"{where}: give exactly one of add, to, by_sector (got {modes})",
            hint="add: percentage points; to: a level in percent; by_sector: {sector: pp}",
        )
    pp_hint = "percentage points of ad-valorem tariff, e.g. add: 25"
    add = (
        number(spec["add"], f"{where}.add", lo=-100, hi=1000, hint=pp_hint)
        if "add" in spec
        else None
    )
    to = None
    if "to" in spec:
        to = number(spec["to"], f"{where}.to (percent)", lo=0, hi=1000, hint="e.g. to: 25")
    by_sector = None
    if "by_sector" in spec:
        raw = spec["by_sector"]
        if not isinstance(raw, Mapping) or not raw:
            raise ConfigError(
                f"{where}.by_sector must map sector → percentage points",
                hint="e.g. by_sector: {Agriculture: 20, Textiles: 10}",
            )
        by_sector = tuple(
            (str(k), number(v, f"{where}.by_sector[{k!r}]", lo=-100, hi=1000, hint=pp_hint))
            for k, v in raw.items()
        )
    return TariffShock(
        imposer=_names(spec["imposer"], f"{where}.imposer"),
        target=_names(spec["target"], f"{where}.target"),
        add=add,
        to=to,
        by_sector=by_sector,
        sectors=_optional_names(spec, "sectors", where),
        source=_source(spec),
    )


def _export_control(spec: dict[str, Any], _: Path, where: str) -> ExportControlShock:
    keys = ("from", "to", "sectors", "cost", "share", "share_range", "remove", "source")
    check_keys(spec, keys, ("from", "to"), where)
    cost = spec.get("cost", "prohibitive")
    te = math.inf
    if cost != "prohibitive":
        te = number(
            cost,
            f"{where}.cost (tariff equivalent, percent)",
            lo=0,
            hint="'prohibitive' or a tariff equivalent in percent, e.g. 50",
        )
    share = number(
        spec.get("share", 1.0), f"{where}.share", lo=0, hi=1, hint="a fraction of the flow"
    )
    share_range = None
    if "share_range" in spec:
        share_range = value_range(spec["share_range"], f"{where}.share_range", lo=0, hi=1)
    remove = _flag(spec.get("remove", False), f"{where}.remove")
    if remove and math.isinf(te) and share == 1:
        raise ConfigError(
            f"{where}: remove: true with share 1 and a prohibitive cost lifts a flow that the "
            "control shuts completely; hat algebra cannot reopen it (the data would show no "
            "flow, and a change of a zero flow stays zero)",
            hint="give the covered share below 1, or a finite cost (a tariff equivalent in %)",
        )
    return ExportControlShock(
        exporters=_names(spec["from"], f"{where}.from"),
        importers=_names(spec["to"], f"{where}.to"),
        sectors=_optional_names(spec, "sectors", where),
        cost=te,
        share=share,
        share_range=share_range,
        remove=remove,
        source=_source(spec),
    )


def _coefficient(spec: dict[str, Any], base_dir: Path, where: str) -> CoefficientShock:
    keys = ("file", "coefficients", "term", "pairs", "change", "sectors", "source")
    check_keys(spec, keys, ("term", "pairs"), where)
    coefs = _load_coefficients(spec, base_dir, where)
    term = str(spec["term"])
    if term not in coefs.terms:
        raise UnknownNameError(
            f"{where}: term {term!r} is not in the coefficient file.",
            hint=did_you_mean(term, coefs.terms),
        )
    change = number(spec.get("change", 1.0), f"{where}.change")
    pairs = parse_pairs(spec["pairs"], f"{where}.pairs")
    return CoefficientShock(
        term=term,
        pairs=pairs,
        coefficients=coefs,
        change=change,
        sectors=_optional_names(spec, "sectors", where),
        file=None if spec.get("file") is None else str(spec["file"]),
        source=_source(spec),
    )


_PAIRS_HINT = (
    "pairs: [[USA, CHN], [CHN, USA]], pairs: all, pairs: {from: [USA], to: [CHN, MEX]} "
    "or pairs: {members: [USA, CAN, MEX]}"
)


def parse_pairs(v: Any, what: str) -> Pairs:
    """``pairs``: a list of ``[exporter, importer]``, ``all``, ``{from, to}`` or ``{members}``."""
    if v == "all":
        return PairGroup("all", "all", "all")
    if isinstance(v, Mapping):
        keys = set(v)
        if keys == {"members"}:
            return PairGroup(
                _names(v["members"], f"{what}.members"),
                _names(v["members"], f"{what}.members"),
                "members",
            )
        if keys == {"from", "to"}:
            return PairGroup(_names(v["from"], f"{what}.from"), _names(v["to"], f"{what}.to"))
        bad = sorted(keys - {"from", "to", "members"})
        raise ConfigError(
            f"{what} takes either 'from' and 'to' or 'members', got {sorted(map(str, keys))}"
            + (". " + did_you_mean(str(bad[0]), ("from", "to", "members")) if bad else ""),
            hint=_PAIRS_HINT,
        )
    if not isinstance(v, list) or not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in v):
        raise ConfigError(f"{what} must be a list of [exporter, importer]", hint=_PAIRS_HINT)
    for p in v:
        _names(list(p), what)
    return tuple((str(e), str(i)) for e, i in v)


def _load_coefficients(spec: Mapping[str, Any], base_dir: Path, where: str) -> Coefficients:
    if "coefficients" in spec:
        raw = spec["coefficients"]
    elif "file" in spec:
        path = (base_dir / str(spec["file"])).resolve()
        if not path.is_file():
            raise ConfigError(f"{where}: coefficient file {path} does not exist")
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: {path} is not valid JSON ({exc})") from None
    else:
        raise ConfigError(
            f"{where} needs 'file' or 'coefficients'",
            hint="file: the estimation layer's JSON, relative to the scenario file",
        )
    if not isinstance(raw, Mapping) or not {"terms", "estimate"} <= set(raw):
        raise ConfigError(
            f"{where}: coefficients must be {{'terms': [...], 'estimate': [...], 'vcov': ...}}"
        )
    terms = tuple(str(t) for t in raw["terms"])
    est = np.asarray(raw["estimate"], dtype=float)
    vcov = np.asarray(raw.get("vcov", np.zeros((len(terms), len(terms)))), dtype=float)
    if est.shape != (len(terms),) or vcov.shape != (len(terms), len(terms)):
        raise ConfigError(f"{where}: terms, estimate and vcov have inconsistent sizes")
    return Coefficients(terms, est, vcov)


_PARSERS: dict[str, Callable[[dict[str, Any], Path, str], Shock]] = {
    "tariff": _tariff,
    "export_control": _export_control,
    "coefficient": _coefficient,
}
