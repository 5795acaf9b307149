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
  ``sectors`` take a name, a list, ``all`` (and ``goods`` for sectors). Shocks on the same cell
  apply in order — two ``add`` shocks add up — in both engines; levels stay ≥ 0.
* ``export_control``: an iceberg cost on ``from → to`` in the listed sectors. A share ``s`` of
  the flow facing a tariff-equivalent ``t`` (``prohibitive``: t = ∞) is represented by the
  sector-wide cost ``κ̂ = ((1 − s) + s (1 + t)^(−θ_j))^(−1/θ_j)``, which leaves the factor
  ``(1 − s) + s (1 + t)^(−θ_j)`` of the flow at unchanged prices (CES within the sector; the
  one-sector engine applies the same factor with ``θ = σ − 1``). ``remove: true`` applies
  ``1/κ̂`` (lifting a control that is part of the status quo); lifting a fully shut flow
  (``share: 1`` at a prohibitive cost) is an error.
* ``coefficient``: an estimated gravity coefficient ``β`` (JSON of the estimation layer:
  ``{"terms", "estimate", "vcov", "se_type", "nobs"}``) and a change ``Δx`` of its covariate on
  ``pairs``: partial effect ``exp(β Δx)`` on flows, i.e.
  ``κ̂_j = exp(−β Δx / θ_j)`` in each listed sector (default: goods). Draws take ``β`` from
  ``N(estimate, vcov)``.

One-sector baselines take ``tariff`` (no sectors; pp of ad-valorem, on the whole bilateral
flow), ``coefficient`` and ``export_control`` (a share of the bilateral flow facing the tariff
equivalent ``t``: flows × ``(1 − s) + s (1 + t)^(1−σ)``), with ``elasticities: {sigma: …}``.

``coefficient.pairs`` is a list of ``[exporter, importer]``, ``all`` (every ordered pair of
distinct countries), ``{from: [..], to: [..]}`` or ``{members: [..]}`` (every ordered pair
within the members).

Model settings:

* ``closure: multiplicative | additive`` — how trade imbalances move in the one-sector engine:
  ``multiplicative`` (default; ``E = φ Y`` with φ fixed, the Advanced Guide's convention) or
  ``additive`` (``E = Y + D`` with the deficit ``D`` fixed in units of the numeraire). The
  multi-sector engine holds deficits fixed in nominal terms, i.e. it is additive: it accepts
  ``closure: additive`` and refuses ``multiplicative``.
* ``status_quo`` items ``{scenario: NAME}`` stand for that scenario's world, and ``lift``
  (``tariffs: {between: [..]} | all``, ``export_controls: {from: [..]} | all``) makes the policy
  undo parts of the status quo exactly (:mod:`techties.simulation.compose`);
  ``tariff_war_2025: {…, role: status_quo}`` puts the 2025 episode in the status quo.
* ``year`` — the data year of the baseline: ``wiod2014`` has 2000, 2005, 2010 and 2014
  (default 2014); ``eora2017`` only 2017 and ``cp2015`` only 1993 (any other year is an error).

Each item is parsed once into a typed shock (:class:`~techties.simulation.shocks.TariffShock`,
:class:`~techties.simulation.shocks.ExportControlShock`,
:class:`~techties.simulation.shocks.CoefficientShock`) and applied once, for both engines, by
:func:`techties.simulation.shock_inputs.apply_shocks`. This module holds the declarative part;
running is :mod:`techties.simulation.mc_multisector`, which does not import it back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from techties.errors import ConfigError, NoDataError, UnknownNameError, did_you_mean
from techties.simulation.compose import (
    LiftSpec,
    check_not_in_shocks,
    expand_status_quo,
    lift_shocks,
    parse_lift,
)
from techties.simulation.gravity_spec import GravityExperiment, parse_gravity
from techties.simulation.mc_multisector import (
    BASELINE_YEARS,
    CLOSURES,
    Closure,
    Progress,
    ScenarioResult,
    load_named_baseline,
)
from techties.simulation.shared_status_quo import run_scenarios as run_all
from techties.simulation.shocks import (
    SHOCK_TYPES,
    CoefficientShock,
    Elasticities,
    ExportControlShock,
    Shock,
    TariffShock,
    as_list,
    check_keys,
    parse_shock,
)
from techties.simulation.tariffwar2025 import TariffWarSpec, parse_spec, resolve

if TYPE_CHECKING:
    from techties.store.core import Store

#: the library's folder (``techties.simulation.library`` lists and runs it)
LIBRARY = Path(__file__).resolve().parent / "scenarios"
BASELINES = ("cp2015", "eora2017", "icio2022", "wiod2014", "liberation_day", "gravity")
MULTISECTOR = ("cp2015", "eora2017", "icio2022")
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
    "closure",
    "tariff_war_2025",
    "gravity",
    "lift",
)
#: elasticity keys that act on the multi-sector θ_j (one-sector baselines take sigma instead)
THETA_KEYS = ("scale", "range", "per_sector")


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
    #: trade-imbalance closure (None: the engine's default, multiplicative for one-sector)
    closure: Closure | None = None
    #: data year of the baseline (None: its default year)
    year: int | None = None
    #: ``tariff_war_2025`` block: shocks read from the stored 2025 tariff series at run time
    tariff_war: TariffWarSpec | None = None
    #: ``gravity`` block (``baseline: gravity``): estimate, build trade costs, solve
    gravity: GravityExperiment | None = None
    #: a ``lift`` block waiting for a status quo read at run time (``tariff_war_2025`` with
    #: ``role: status_quo``); otherwise ``lift`` is already in :attr:`shocks`
    pending_lift: LiftSpec | None = None

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
        optional_shocks = bool({"tariff_war_2025", "lift"} & set(data)) or (
            data.get("baseline") == "gravity"
        )
        required = ("name", "baseline") + (() if optional_shocks else ("shocks",))
        check_keys(data, SCENARIO_KEYS, required, where)
        baseline = str(data["baseline"])
        if baseline not in BASELINES:
            raise UnknownNameError(
                f"{where}: unknown baseline {baseline!r}.", hint=did_you_mean(baseline, BASELINES)
            )
        _check_gravity(data, baseline, where)
        bdir = base_dir or Path.cwd()
        raw_shocks = as_list(data.get("shocks") or [])
        check_not_in_shocks(raw_shocks, where)
        shocks = tuple(
            parse_shock(s, bdir, f"{where}: shocks[{k}]") for k, s in enumerate(raw_shocks)
        )
        status = expand_status_quo(
            as_list(data.get("status_quo") or []), bdir, where, baseline, _load_part
        )
        el = _elasticities(data.get("elasticities"), baseline, where)
        war = parse_spec(data.get("tariff_war_2025"), where)
        lift = parse_lift(data.get("lift"), where)
        pending = None
        if war is not None and war.role == "status_quo":
            pending = lift
        else:
            shocks = (*lift_shocks(status, lift, where), *shocks)
        return cls(
            name=str(data["name"]),
            baseline=baseline,
            shocks=shocks,
            status_quo=status,
            elasticities=el,
            description=str(data.get("description", "")),
            path=path,
            report=tuple(str(c) for c in as_list(data.get("report") or [])),
            closure=_closure(data.get("closure"), baseline, where),
            year=_year(data.get("year"), baseline, where),
            tariff_war=war,
            gravity=parse_gravity(data["gravity"], where) if baseline == "gravity" else None,
            pending_lift=pending,
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
        progress: Progress | None = None,
        engine: str | None = None,
    ) -> ScenarioResult:
        """Solve the central case and ``draws`` uncertainty draws (in ``workers`` parallel
        processes, or as Spark tasks over ``workers`` partitions with ``engine="spark"``;
        default: the ``engine`` setting).

        The baseline :attr:`baseline` names is built from ``store`` (see
        :func:`techties.store.model_inputs.model_inputs`); ``base``: a prebuilt baseline to use
        instead (e.g. the same baseline with elasticities from another source); ``progress``:
        called as ``progress(done, total)`` before the first draw and after each one (an
        exception it raises stops the run between draws). Returns a
        :class:`~techties.simulation.mc_multisector.ScenarioResult`.
        """
        return run_scenarios(
            [self], draws=draws, seed=seed, workers=workers, store=store, level=level, base=base,
            progress=progress, engine=engine,
        )[0]  # fmt: skip

    def with_tariff_war(
        self, store: Store, countries: Sequence[str]
    ) -> tuple[Scenario, list[str], tuple[int, ...]]:
        """This scenario with its ``tariff_war_2025`` block read from ``store`` into plain shocks
        (as the policy, or appended to the status quo with ``role: status_quo``, where a pending
        ``lift`` then applies to it); also the run-log lines and the provenance ids read."""
        if self.tariff_war is None:
            return self, [], ()
        shocks, log, ids = resolve(self.tariff_war, store, countries)
        if self.tariff_war.role == "status_quo":
            sq = (*self.status_quo, *shocks)
            lifted = lift_shocks(sq, self.pending_lift, self.name)
            sc = replace(self, status_quo=sq, shocks=(*lifted, *self.shocks))
            log = [f"status quo: {line}" for line in log]
        else:
            sc = replace(self, shocks=(*shocks, *self.shocks))
        return replace(sc, tariff_war=None, pending_lift=None), log, ids

    def _run_gravity(self, draws: int, store: Store | None, level: float) -> ScenarioResult:
        """Estimate on the stored gravity dataset, build trade costs, solve (central case)."""
        from techties.simulation import gravity_experiment as ge

        assert self.gravity is not None
        ge.check_runnable(draws, self.closure)
        if store is None:
            raise NoDataError(
                f"scenario {self.name!r} estimates on gravity dataset {self.gravity.dataset!r}",
                hint="pass store=open_store(...) holding source gravity",
            )
        base = ge.load_gravity_baseline(self.gravity, store)
        res = ge.solve_gravity(base, float(self.elasticities.sigma or 0))
        g = self.gravity
        solver = (
            f"the Advanced Guide's GEPPML loop (threshold {g.tol:g}): {res.full.iterations} rounds"
            if g.method == "geppml_book"
            else f"exact equilibrium: {res.full.iterations} iterations, residual "
            f"{res.full.residual:.1e}"
        )
        steps = [
            f"scenario {self.name!r} ({self.path or 'in memory'})",
            f"baseline {base.name} ({len(base.countries)} countries)",
            *base.steps(),
            f"elasticity of substitution σ = {self.elasticities.sigma:g}; reference (numeraire) "
            f"{g.reference}; multiplicative imbalance (E = φY)",
            f"solved: {solver}",
            ge.sign_line(g.sign),
        ]
        central = ge.GravityExperimentResult(res, g.sign, base.fit)
        return ScenarioResult(self, central, None, level, steps, base.provenance_ids)


def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    draws: int = 0,
    seed: int = 0,
    workers: int | None = None,
    store: Store | None = None,
    level: float = 0.90,
    base: Any = None,
    progress: Progress | None = None,
    engine: str | None = None,
) -> list[ScenarioResult]:
    """:meth:`Scenario.run` for each scenario, in order, with the same arguments. Scenarios that
    share a status quo solve it once per draw
    (:func:`techties.simulation.mc_multisector.run_scenarios`): the results are those of
    running them one by one."""
    out: dict[int, ScenarioResult] = {}
    plain: list[tuple[int, Scenario, list[str], tuple[int, ...]]] = []
    for i, sc in enumerate(scenarios):
        if sc.gravity is not None:
            out[i] = sc._run_gravity(draws, store, level)
            continue
        log: list[str] = []
        ids: tuple[int, ...] = ()
        if sc.tariff_war is not None:
            if store is None:
                raise NoDataError(
                    f"scenario {sc.name!r} reads the 2025 tariff series from a store",
                    hint="pass store=open_store(...) holding source tariff_war_2025",
                )
            countries = (base or load_named_baseline(sc.baseline, store, sc.year)).countries
            sc, log, ids = sc.with_tariff_war(store, countries)
        plain.append((i, sc, log, ids))
    solved = run_all(
        [sc for _, sc, _, _ in plain], draws=draws, seed=seed, workers=workers, store=store,
        level=level, base=base, progress=progress, engine=engine,
    )  # fmt: skip
    for (i, _, log, ids), res in zip(plain, solved, strict=True):
        res.steps[2:2] = log
        res.provenance_ids = sorted({*res.provenance_ids, *ids})
        out[i] = res
    return [out[i] for i in range(len(scenarios))]


_LOADING: list[Path] = []


def library_names() -> list[str]:
    """Names of the library scenarios (``uschina_escalation``, ``chip_export_controls`` …)."""
    return sorted(f.stem for f in LIBRARY.glob("*.yaml"))


def scenario_file(scenario: str | Path) -> Path:
    """A scenario YAML file: a path, or the name of a library scenario."""
    p = Path(scenario)
    if p.is_file():
        return p
    name = str(scenario)
    lib = LIBRARY / (name if name.endswith(".yaml") else f"{name}.yaml")
    if lib.is_file():
        return lib
    raise ConfigError(
        f"scenario {name!r} is neither a file nor a library scenario.",
        hint=did_you_mean(p.stem, library_names()) or f"Library: {', '.join(library_names())}.",
    )


def _load_part(name: str, base_dir: Path) -> Scenario:
    """A scenario named in a ``status_quo`` item: a YAML path (relative to the including file)
    or the name of a library scenario."""
    path = scenario_file(base_dir / name if name.endswith((".yaml", ".yml")) else name)
    path = path.resolve()
    if path in _LOADING:
        raise ConfigError(f"status_quo: scenario {name!r} includes itself ({path})")
    _LOADING.append(path)
    try:
        return Scenario.from_yaml(path)
    finally:
        _LOADING.pop()


def _check_gravity(data: Mapping[str, Any], baseline: str, where: str) -> None:
    """``baseline: gravity`` and a ``gravity`` block go together; shocks live in the block."""
    if baseline != "gravity":
        if "gravity" in data:
            raise ConfigError(f"{where}: a gravity block needs baseline: gravity")
        return
    if "gravity" not in data:
        raise ConfigError(
            f"{where}: baseline: gravity needs a gravity block (dataset, year, regressors, "
            "counterfactual, reference)",
            hint="see docs/simulation.md, 'Scenarios from a gravity dataset'",
        )
    for key in ("shocks", "status_quo", "year", "tariff_war_2025", "lift"):
        if data.get(key):
            raise ConfigError(
                f"{where}: {key} is not used with baseline: gravity; the counterfactual is "
                "gravity.counterfactual and the year gravity.year",
                hint="e.g. counterfactual: [{covariate: INTL_BRDR, to: 0, pairs: all}]",
            )


def _elasticities(raw: Any, baseline: str, where: str) -> Elasticities:
    """The elasticities, checked against the engine: σ for one-sector, θ factors for multi."""
    el = Elasticities.from_dict(raw)
    if baseline in MULTISECTOR and (el.sigma or el.sigma_range):
        raise ConfigError(
            f"{where}: sigma is for one-sector baselines; use scale/range for θ",
            hint="elasticities: {scale: 1, range: [0.75, 1.25]}",
        )
    if baseline not in MULTISECTOR:
        if el.sigma is None:
            raise ConfigError(
                f"{where}: one-sector baseline {baseline!r} needs elasticities.sigma",
                hint="elasticities: {sigma: 5, sigma_range: [4, 6]}",
            )
        given = [k for k in THETA_KEYS if isinstance(raw, Mapping) and k in raw]
        if given:
            raise ConfigError(
                f"{where}: elasticities.{given[0]} acts on the multi-sector θ_j; the one-sector "
                f"baseline {baseline!r} would ignore it",
                hint="give sigma (central value) and sigma_range (draws)",
            )
    return el


def _closure(value: Any, baseline: str, where: str) -> Closure | None:
    """``closure``: ``multiplicative`` or ``additive``; the multi-sector engine is additive."""
    if value is None:
        return None
    if value not in CLOSURES:
        raise ConfigError(
            f"{where}: closure {value!r} is not known. " + did_you_mean(str(value), CLOSURES),
            hint="multiplicative: E = φY (φ fixed); additive: E = Y + D (D fixed)",
        )
    if baseline in MULTISECTOR and value != "additive":
        raise ConfigError(
            f"{where}: the multi-sector engine holds deficits fixed in nominal terms (an "
            f"additive closure); closure: {value} is for one-sector baselines",
            hint="drop 'closure' or write closure: additive",
        )
    return value  # type: ignore[no-any-return]


def _year(value: Any, baseline: str, where: str) -> int | None:
    """``year``: one of the baseline's data years (:data:`BASELINE_YEARS`)."""
    if value is None:
        return None
    years = BASELINE_YEARS[baseline]
    shown = ", ".join(map(str, years))
    if isinstance(value, bool) or not isinstance(value, int) or value not in years:
        has = f"only {shown}" if len(years) == 1 else f"the years {shown}"
        raise ConfigError(
            f"{where}: year {value!r} is not in baseline {baseline!r}, which has {has}",
            hint=f"drop 'year' (default {years[-1]})"
            + ("" if len(years) == 1 else f" or choose one of {shown}"),
        )
    return value


__all__ = [
    "BASELINES",
    "BASELINE_YEARS",
    "CLOSURES",
    "MULTISECTOR",
    "SCENARIO_KEYS",
    "SHOCK_TYPES",
    "CoefficientShock",
    "Elasticities",
    "ExportControlShock",
    "Scenario",
    "Shock",
    "TariffShock",
    "run_scenarios",
]
