"""Declarative general-equilibrium scenarios (YAML) that a policy analyst can write.

A scenario names a baseline, the elasticities (and their source and uncertainty range), the
*status quo* shocks that describe the world the policy starts from (relative to the data year)
and the policy ``shocks``; the result is the change from the status-quo equilibrium to the
equilibrium after the policy. Example (``scenarios/uschina_escalation.yaml`` has real ones)::

    name: US tariffs on Chinese machinery
    baseline: eora2017            # eora2017 | cp2015 (multi-sector), wiod2014 (one-sector)
    elasticities:
      source: Fontagné, Guimbard & Orefice (2022), as stored in the baseline
      range: [0.75, 1.25]         # draws: one common factor on every θ, uniform
    status_quo: []                # shocks already in force (same syntax as shocks)
    shocks:
      - tariff: {imposer: USA, target: CHN, sectors: [Electrica and Machinery], add: 25}
      - export_control:
          from: [USA, JPN]
          to: CHN
          sectors: [Electrica and Machinery]
          cost: prohibitive       # or a tariff equivalent in percent, e.g. 50
          share: 0.2              # share of the sector flow covered (default 1)
          share_range: [0.1, 0.3]
      - coefficient: {file: rta.json, term: FTA, pairs: [[USA, CHN], [CHN, USA]], change: 1}

Shock semantics (multi-sector; ``τ = 1 + tariff``):

* ``tariff``: ``add`` percentage points, set ``to`` a level in percent, or ``by_sector``
  ``{sector: pp}``, on the cells (imposer n, target i, sector j); ``imposer``/``target``/
  ``sectors`` take a name, a list, ``all`` (and ``goods`` for sectors).
* ``export_control``: an iceberg cost on ``from → to`` in the listed sectors. A share ``s`` of
  the flow facing a tariff-equivalent ``t`` (``prohibitive``: t = ∞) is represented by the
  sector-wide cost ``κ̂ = ((1 − s) + s (1 + t)^(−θ_j))^(−1/θ_j)``, which removes that share of the
  flow at unchanged prices (CES within the sector). ``remove: true`` applies ``1/κ̂`` (lifting a
  control that is part of the status quo).
* ``coefficient``: an estimated gravity coefficient ``β`` (JSON of the estimation layer:
  ``{"terms", "estimate", "vcov", "se_type", "nobs"}``) and a change ``Δx`` of its covariate on
  the listed ``[exporter, importer]`` pairs: partial effect ``exp(β Δx)`` on flows, i.e.
  ``κ̂_j = exp(−β Δx / θ_j)`` in each listed sector (default: goods). Draws take ``β`` from
  ``N(estimate, vcov)``.

One-sector baselines take ``tariff`` (no sectors; pp of ad-valorem), ``coefficient`` and
``export_control`` (a share of the bilateral flow), with ``elasticities: {sigma: …}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from techties.errors import ConfigError, UnknownNameError, did_you_mean
from techties.simulation.mc_multisector import run_scenario

if TYPE_CHECKING:
    from techties.store.core import Store

BASELINES = ("cp2015", "eora2017", "wiod2014")
MULTISECTOR = ("cp2015", "eora2017")
SHOCK_TYPES = ("tariff", "export_control", "coefficient")
SCENARIO_KEYS = (
    "name",
    "description",
    "baseline",
    "elasticities",
    "status_quo",
    "shocks",
    "report",
    "notes",
    "year",
)


def _as_list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _number(v: Any, what: str, *, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{what} must be a number, got {v!r}")
    x = float(v)
    if (lo is not None and x < lo) or (hi is not None and x > hi) or not np.isfinite(x):
        rng = f"[{lo if lo is not None else '-∞'}, {hi if hi is not None else '∞'}]"
        raise ConfigError(f"{what} = {x:g} is impossible; expected a value in {rng}")
    return x


def _range(v: Any, what: str, *, lo: float = 0.0, hi: float | None = None) -> tuple[float, float]:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise ConfigError(f"{what} must be a list [low, high], got {v!r}")
    a, b = (_number(x, what, lo=lo, hi=hi) for x in v)
    if a > b:
        raise ConfigError(f"{what}: low {a:g} is above high {b:g}")
    return a, b


@dataclass(frozen=True)
class Elasticities:
    """Trade elasticities: a common factor on the baseline's θ_j (multi-sector) or σ (one-sector).

    ``range`` (or ``sigma_range``) gives the uniform interval draws are taken from; with
    ``per_sector: true`` each sector's factor is drawn independently (default: one common
    factor, i.e. perfectly correlated elasticities).
    """

    source: str = "as stored in the baseline"
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
        scale = _number(d.get("scale", 1.0), "elasticities.scale", lo=1e-3, hi=100)
        rng = _range(d["range"], "elasticities.range", lo=1e-3, hi=100) if "range" in d else None
        sigma = (
            _number(d["sigma"], "elasticities.sigma", lo=1.0001, hi=100) if "sigma" in d else None
        )
        srng = (
            _range(d["sigma_range"], "elasticities.sigma_range", lo=1.0001, hi=100)
            if "sigma_range" in d
            else None
        )
        return cls(
            str(d.get("source", cls.source)), scale, rng, sigma, srng, bool(d.get("per_sector"))
        )


@dataclass(frozen=True)
class Shock:
    """One validated shock (see the module docstring); ``kind`` is one of SHOCK_TYPES."""

    kind: str
    spec: Mapping[str, Any]
    coefficients: Mapping[str, Any] | None = None

    def describe(self) -> str:
        s = self.spec
        if self.kind == "tariff":
            if "by_sector" in s:
                pp = list(s["by_sector"].values())
                return (
                    f"tariff {s['imposer']} on {s['target']}: {len(pp)} sectors, "
                    f"{min(pp):+g} to {max(pp):+g} pp"
                )
            how = f"{s['add']:+g} pp" if "add" in s else f"to {s['to']} %"
            return f"tariff {s['imposer']} on {s['target']} ({s.get('sectors', 'goods')}) {how}"
        if self.kind == "export_control":
            verb = "lift" if s.get("remove") else "impose"
            return (
                f"{verb} export control {s['from']} → {s['to']} ({s.get('sectors', 'goods')}), "
                f"cost {s.get('cost', 'prohibitive')}, share {s.get('share', 1)}"
            )
        return f"coefficient {s['term']} Δx={s.get('change', 1)} on {len(s['pairs'])} pairs"


def _parse_shock(item: Any, base_dir: Path, where: str) -> Shock:
    if not isinstance(item, Mapping) or len(item) != 1:
        raise ConfigError(
            f"{where}: each shock is a mapping with one key ({', '.join(SHOCK_TYPES)}), "
            f"got {item!r}"
        )
    kind, spec = next(iter(item.items()))
    if kind not in SHOCK_TYPES:
        raise ConfigError(
            f"{where}: unknown shock type {kind!r}. " + did_you_mean(kind, SHOCK_TYPES)
        )
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: {kind} needs a mapping of settings, got {spec!r}")
    spec = dict(spec)
    if kind == "tariff":
        _check_keys(
            spec,
            ("imposer", "target", "sectors", "add", "to", "by_sector", "source"),
            ("imposer", "target"),
            f"{where}.tariff",
        )
        modes = [k for k in ("add", "to", "by_sector") if k in spec]
        if len(modes) != 1:
            raise ConfigError(
                f"{where}.tariff: give exactly one of add, to, by_sector (got {modes})"
            )
        if "add" in spec:
            _number(spec["add"], f"{where}.tariff.add", lo=-100, hi=1000)
        if "to" in spec:
            _number(spec["to"], f"{where}.tariff.to (percent)", lo=0, hi=1000)
        if "by_sector" in spec:
            if not isinstance(spec["by_sector"], Mapping):
                raise ConfigError(f"{where}.tariff.by_sector must map sector → percentage points")
            for k, v in spec["by_sector"].items():
                _number(v, f"{where}.tariff.by_sector[{k!r}]", lo=-100, hi=1000)
        return Shock(kind, spec)
    if kind == "export_control":
        _check_keys(
            spec,
            ("from", "to", "sectors", "cost", "share", "share_range", "remove", "source"),
            ("from", "to"),
            f"{where}.export_control",
        )
        cost = spec.get("cost", "prohibitive")
        if cost != "prohibitive":
            _number(cost, f"{where}.export_control.cost (tariff equivalent, percent)", lo=0)
        _number(spec.get("share", 1.0), f"{where}.export_control.share", lo=0, hi=1)
        if "share_range" in spec:
            _range(spec["share_range"], f"{where}.export_control.share_range", lo=0, hi=1)
        return Shock(kind, spec)
    _check_keys(
        spec,
        ("file", "coefficients", "term", "pairs", "change", "sectors", "source"),
        ("term", "pairs"),
        f"{where}.coefficient",
    )
    coefs = _load_coefficients(spec, base_dir, where)
    if spec["term"] not in coefs["terms"]:
        raise UnknownNameError(
            f"{where}: term {spec['term']!r} is not in the coefficient file.",
            hint=did_you_mean(str(spec["term"]), coefs["terms"]),
        )
    _number(spec.get("change", 1.0), f"{where}.coefficient.change")
    pairs = spec["pairs"]
    if not isinstance(pairs, list) or not all(
        isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs
    ):
        raise ConfigError(f"{where}.coefficient.pairs must be a list of [exporter, importer]")
    return Shock(kind, spec, coefs)


def _check_keys(
    spec: Mapping[str, Any], allowed: Sequence[str], required: Sequence[str], where: str
) -> None:
    for k in spec:
        if k not in allowed:
            raise ConfigError(f"unknown key {k!r} in {where}. " + did_you_mean(str(k), allowed))
    for k in required:
        if k not in spec:
            raise ConfigError(f"{where} needs {k!r}", hint=f"keys: {', '.join(allowed)}")


def _load_coefficients(spec: Mapping[str, Any], base_dir: Path, where: str) -> dict[str, Any]:
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
        raise ConfigError(f"{where}.coefficient needs 'file' or 'coefficients'")
    if not isinstance(raw, Mapping) or not {"terms", "estimate"} <= set(raw):
        raise ConfigError(
            f"{where}: coefficients must be {{'terms': [...], 'estimate': [...], 'vcov': ...}}"
        )
    terms, est = list(raw["terms"]), np.asarray(raw["estimate"], dtype=float)
    vcov = np.asarray(raw.get("vcov", np.zeros((len(terms), len(terms)))), dtype=float)
    if est.shape != (len(terms),) or vcov.shape != (len(terms), len(terms)):
        raise ConfigError(f"{where}: terms, estimate and vcov have inconsistent sizes")
    return {**raw, "terms": terms, "estimate": est, "vcov": vcov}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario; :meth:`run` builds the inputs, solves and records the steps."""

    name: str
    baseline: str
    shocks: tuple[Shock, ...]
    status_quo: tuple[Shock, ...] = ()
    elasticities: Elasticities = field(default_factory=Elasticities)
    description: str = ""
    path: Path | None = None
    report: tuple[str, ...] = ()

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"scenario file {path} does not exist")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"scenario file {path} is not valid YAML: {exc}") from None
        return cls.from_dict(data, base_dir=path.parent, path=path)

    @classmethod
    def from_dict(
        cls, data: Any, *, base_dir: Path | None = None, path: Path | None = None
    ) -> Scenario:
        where = str(path) if path else "scenario"
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{where}: a scenario is a mapping with keys {', '.join(SCENARIO_KEYS)}"
            )
        _check_keys(data, SCENARIO_KEYS, ("name", "baseline", "shocks"), where)
        baseline = str(data["baseline"])
        if baseline not in BASELINES:
            raise UnknownNameError(
                f"{where}: unknown baseline {baseline!r}.", hint=did_you_mean(baseline, BASELINES)
            )
        bdir = base_dir or Path.cwd()
        shocks = tuple(
            _parse_shock(s, bdir, f"{where}: shocks[{k}]")
            for k, s in enumerate(_as_list(data.get("shocks") or []))
        )
        status = tuple(
            _parse_shock(s, bdir, f"{where}: status_quo[{k}]")
            for k, s in enumerate(_as_list(data.get("status_quo") or []))
        )
        el = Elasticities.from_dict(data.get("elasticities"))
        if baseline in MULTISECTOR and (el.sigma or el.sigma_range):
            raise ConfigError(f"{where}: sigma is for one-sector baselines; use scale/range for θ")
        if baseline not in MULTISECTOR and el.sigma is None:
            raise ConfigError(f"{where}: one-sector baseline {baseline!r} needs elasticities.sigma")
        return cls(
            name=str(data["name"]),
            baseline=baseline,
            shocks=shocks,
            status_quo=status,
            elasticities=el,
            description=str(data.get("description", "")),
            path=path,
            report=tuple(str(c) for c in _as_list(data.get("report") or [])),
        )

    @property
    def multisector(self) -> bool:
        return self.baseline in MULTISECTOR

    def run(
        self,
        *,
        draws: int = 0,
        seed: int = 0,
        workers: int | None = None,
        store: Store | None = None,
        level: float = 0.90,
        base: Any = None,
    ) -> Any:
        """Solve the central case and ``draws`` uncertainty draws (in parallel processes).

        The baseline :attr:`baseline` names is built from ``store`` (see
        :func:`techties.store.model_inputs.model_inputs`); ``base``: a prebuilt baseline to use
        instead (e.g. the same baseline with elasticities from another source). Returns a
        :class:`~techties.simulation.mc_multisector.ScenarioResult`.
        """
        return run_scenario(
            self, draws=draws, seed=seed, workers=workers, store=store, level=level, base=base
        )
