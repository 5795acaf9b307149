"""Running scenarios: solve the status quo and the policy, and draw parameters in parallel.

The shocks become solver inputs in :mod:`techties.simulation.shock_inputs` (one function for
both engines); scenarios reach this module as :class:`RunnableScenario` (the scenario module
imports this one, never the reverse).

Uncertainty: each draw takes (a) one common factor on every trade elasticity, uniform on
``elasticities.range`` (``sigma_range`` for one-sector), (b) each estimated coefficient vector
from ``N(estimate, vcov)``, (c) each export control's covered share uniform on ``share_range``.
Intervals are equal-tailed quantiles of the draws (default 90 %). Draws run in worker processes
(``workers``, default: all cores) or as Spark tasks (``engine="spark"``), each solving the
status-quo and the policy equilibria (:mod:`techties.simulation.parallel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import pandas as pd

from techties.errors import ConfigError, NoDataError, UnknownNameError, did_you_mean
from techties.results import Result, json_safe
from techties.simulation.caliendo_parro import (
    CaliendoParroResult,
    MultiSectorBaseline,
    rebaseline,
    solve_caliendo_parro,
)
from techties.simulation.parallel import Progress, solve_all, where
from techties.simulation.runlog import applied_steps, elasticity_source
from techties.simulation.shock_inputs import Draw, multisector_inputs, onesector_inputs
from techties.simulation.shocks import (
    CoefficientShock,
    Elasticities,
    ExportControlShock,
    Shock,
)

if TYPE_CHECKING:
    from techties.store.core import Store


class RunnableScenario(Protocol):
    """What running needs of a scenario (:class:`techties.simulation.scenario.Scenario` has it;
    this module does not import that one, which calls :func:`run_scenario`)."""

    @property
    def name(self) -> str: ...

    @property
    def baseline(self) -> str: ...

    @property
    def path(self) -> Path | None: ...

    @property
    def shocks(self) -> tuple[Shock, ...]: ...

    @property
    def status_quo(self) -> tuple[Shock, ...]: ...

    @property
    def elasticities(self) -> Elasticities: ...

    @property
    def multisector(self) -> bool: ...

    @property
    def closure(self) -> Closure | None: ...

    @property
    def year(self) -> int | None: ...


MS_MEASURES = (
    "real_income_change",
    "welfare_cp",
    "terms_of_trade",
    "volume_of_trade",
    "real_wage_change",
    "imports_change",
    "exports_change",
)
OS_MEASURES = ("welfare_pct", "real_gdp_pct", "exports_full_pct", "imports_full_pct")
BASELINES = ("cp2015", "eora2017", "icio2022", "wiod2014", "liberation_day")
#: data years each named baseline has (the last one is its default)
BASELINE_YEARS: dict[str, tuple[int, ...]] = {
    "cp2015": (1993,),
    "eora2017": (2017,),
    "icio2022": (2022,),
    "wiod2014": (2000, 2005, 2010, 2014),
    "liberation_day": (2023,),
}
#: trade-imbalance closures of the one-sector engine (``imbalance=`` of ``solve_onesector``)
CLOSURES = ("multiplicative", "additive")
Closure = Literal["multiplicative", "additive"]


# --------------------------------------------------------------------------- baselines


_CACHE: dict[tuple[str, str, int, int], Any] = {}


def load_named_baseline(name: str, store: Store, year: int | None = None) -> Any:
    """The baseline a scenario names, built from the store (multi-sector ones calibrated;
    cached per process and store state) for ``year`` (default: its last year in
    :data:`BASELINE_YEARS`). Its ``provenance_ids`` name the rows it came from."""
    from techties.simulation import baselines as bl

    if name not in BASELINES:
        raise UnknownNameError(f"No baseline named {name!r}.", hint=did_you_mean(name, BASELINES))
    years = BASELINE_YEARS[name]
    year = years[-1] if year is None else year
    if year not in years:
        raise ConfigError(
            f"baseline {name!r} has no year {year}; it has {', '.join(map(str, years))}"
        )
    where = store.path if store.path != ":memory:" else f"memory-{id(store)}"
    key = (name, where, int(store.scalar("SELECT coalesce(max(id), 0) FROM provenance")), year)
    if key not in _CACHE:
        if name == "cp2015":
            raw = bl.load_cp2015(store).baseline
            from techties.simulation.caliendo_parro import calibrate_baseline

            _CACHE[key] = calibrate_baseline(raw, deficit=np.zeros(len(raw.countries)))
        elif name == "eora2017":
            _CACHE[key] = bl.load_eora2017(store)
        elif name == "icio2022":
            _CACHE[key] = bl.load_icio_multisector(store, "icio2022")
        elif name == "liberation_day":
            _CACHE[key] = bl.load_liberation_day_onesector(store)
        else:
            _CACHE[key] = bl.load_wiod2014_onesector(store, year=year)
    return _CACHE[key]


# --------------------------------------------------------------------------- draws


def central_draw(sc: RunnableScenario) -> Draw:
    """The central case: the elasticities' ``scale`` (or ``sigma``), every export control's
    ``share`` and every coefficient's estimate."""
    shocks = (*sc.status_quo, *sc.shocks)
    return Draw(
        sc.elasticities.scale,
        sc.elasticities.sigma,
        {k: s.share for k, s in enumerate(shocks) if isinstance(s, ExportControlShock)},
        {
            k: np.asarray(s.coefficients.estimate)
            for k, s in enumerate(shocks)
            if isinstance(s, CoefficientShock)
        },
    )


def random_draws(
    sc: RunnableScenario, n: int, seed: int, base_sectors: Sequence[str] = ()
) -> list[Draw]:
    """``n`` parameter draws (``base_sectors`` sizes per-sector elasticity factors)."""
    rng = np.random.default_rng(seed)
    shocks = (*sc.status_quo, *sc.shocks)
    el = sc.elasticities
    out = []
    for _ in range(n):
        size = len(base_sectors) if el.per_sector and base_sectors else None
        factor = rng.uniform(*el.range, size=size) if el.range else el.scale
        sigma = rng.uniform(*el.sigma_range) if el.sigma_range else el.sigma
        shares: dict[int, float] = {}
        for k, s in enumerate(shocks):
            if isinstance(s, ExportControlShock):
                # a lifted control takes the share drawn for the status-quo control it lifts
                shares[k] = shares[s.lifts] if s.lifts is not None else s.draw_share(rng)
        betas = {
            k: s.draw_beta(rng) for k, s in enumerate(shocks) if isinstance(s, CoefficientShock)
        }
        out.append(Draw(factor if size else float(factor), sigma, shares, betas))
    return out


# --------------------------------------------------------------------------- solving


def solve_multisector(
    sc: RunnableScenario,
    base: MultiSectorBaseline,
    draw: Draw,
    start: tuple[CaliendoParroResult | None, CaliendoParroResult] | None = None,
) -> tuple[CaliendoParroResult | None, CaliendoParroResult]:
    """Status-quo equilibrium first (if any), then the policy shocks relative to it.

    ``start``: the (status quo, policy) solutions of the central case, to start draws from.
    """
    sq_start, start_policy = start if start is not None else (None, None)
    sq, world = solve_status_quo(sc, base, draw, sq_start)
    return sq, solve_policy(sc, world, draw, start_policy)


def solve_status_quo(
    sc: RunnableScenario,
    base: MultiSectorBaseline,
    draw: Draw,
    start: CaliendoParroResult | None = None,
) -> tuple[CaliendoParroResult | None, MultiSectorBaseline]:
    """The status-quo equilibrium at ``draw``'s parameters (``None`` without a status quo) and
    the world the policy starts from: the baseline at the draw's θ, rebaselined to the status
    quo if there is one."""
    base = base.with_(theta=base.theta * draw.theta_factor)
    if not sc.status_quo:
        return None, base
    tau, kappa = multisector_inputs(base, list(enumerate(sc.status_quo)), draw)
    if np.any(np.isinf(kappa)):
        raise ConfigError(
            "a status-quo export control with share 1 shuts flows completely; the policy "
            "cannot reopen them in hat algebra",
            hint="use share < 1, or write the imposition as the scenario and read it reversed",
        )
    sq = solve_caliendo_parro(base, tau, trade_cost_hat=kappa, label="status quo", start=start)
    return sq, rebaseline(sq, f"{base.name} + status quo")


def solve_policy(
    sc: RunnableScenario,
    world: MultiSectorBaseline,
    draw: Draw,
    start: CaliendoParroResult | None = None,
) -> CaliendoParroResult:
    """The policy shocks relative to ``world`` (from :func:`solve_status_quo`)."""
    n_sq = len(sc.status_quo)
    shocks = [(n_sq + k, s) for k, s in enumerate(sc.shocks)]
    tau, kappa = multisector_inputs(world, shocks, draw)
    return solve_caliendo_parro(world, tau, trade_cost_hat=kappa, label=sc.name, start=start)


def solve_onesector_scenario(sc: RunnableScenario, base: Any, draw: Draw) -> Any:
    """The policy shocks on a one-sector baseline (no status quo) at ``draw``'s parameters,
    under the scenario's trade-imbalance ``closure`` (default multiplicative)."""
    from techties.simulation.onesector import solve_onesector

    if sc.status_quo:
        raise ConfigError("status_quo shocks are only supported on multi-sector baselines")
    inputs = onesector_inputs(base, enumerate(sc.shocks), draw)
    return solve_onesector(
        base.trade,
        inputs.cost,
        sigma=float(draw.sigma or 0),
        tariff=inputs.tariff0,
        tariff_change=inputs.dtariff,
        countries=base.countries,
        imbalance=sc.closure or "multiplicative",
    )


def measures(sc: RunnableScenario, res: Any) -> pd.DataFrame:
    t = res.tidy()
    cols = MS_MEASURES if sc.multisector else OS_MEASURES
    return t[["country", *cols]]


# --------------------------------------------------------------------------- parallel draws

_WORKER: dict[str, Any] = {}


def _init_worker(sc: RunnableScenario, base: Any, start: Any) -> None:
    _WORKER.update(sc=sc, base=base, start=start)


def _solve_draw(draw: Draw) -> np.ndarray:
    sc, base = _WORKER["sc"], _WORKER["base"]
    if sc.multisector:
        m = solve_multisector(sc, base, draw, _WORKER["start"])[1].measures()
        return np.column_stack([m[k] for k in MS_MEASURES])
    res = solve_onesector_scenario(sc, base, draw)
    return measures(sc, res).drop(columns="country").to_numpy(dtype=float)


def _solve_shared(shared: tuple[RunnableScenario, Any, Any], draw: Draw) -> np.ndarray:
    _init_worker(*shared)
    return _solve_draw(draw)


def run_draws(
    sc: RunnableScenario,
    base: Any,
    draws: Sequence[Draw],
    workers: int | None,
    start: Any = None,
    engine: str | None = None,
    *,
    progress: Progress | None = None,
) -> np.ndarray:
    """Solve every draw; returns ``[draw, country, measure]``.

    ``start``: central-case solutions the multi-sector draws start their iterations from.
    The draws run by :func:`techties.simulation.parallel.solve_all` on ``engine`` (default: the
    ``engine`` setting): ``duckdb`` in ``workers`` processes, ``spark`` as Spark tasks over
    ``workers`` partitions (failed draws raise one :class:`~techties.errors.TaskFailedError`
    naming them). ``progress``: see :data:`~techties.simulation.parallel.Progress`.
    """
    solved = solve_all(_solve_shared, (sc, base, start), list(draws), workers=workers,
                       engine=engine, what="draw", progress=progress)  # fmt: skip
    return np.stack(solved)


def run_scenario(
    sc: RunnableScenario,
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
    """Solve ``sc`` (central case and ``draws`` draws) on its baseline from ``store``; ``base``:
    a prebuilt baseline of the scenario's type to use instead (e.g. with other elasticities);
    ``progress``: told of each draw solved (:data:`Progress`); ``engine``: where the draws run
    (:func:`run_draws`)."""
    _check_run(draws, level)
    base = _baseline(sc, store, base)
    steps = _steps(sc, base)
    central = central_draw(sc)
    start = None
    if sc.multisector:
        start = solve_multisector(sc, base, central)
        res: Any = start[1]
    else:
        res = solve_onesector_scenario(sc, base, central)
    steps.append(f"central case solved ({_solver_note(res)})")
    sample = None
    if draws:
        sectors = getattr(base, "sectors", ())
        newton_matrices(start)
        sample = run_draws(sc, base, random_draws(sc, draws, seed, sectors), workers, start,
                           engine, progress=progress)  # fmt: skip
        steps.append(f"{draws} draws (seed {seed}, {where(engine, workers)})")
    ids = getattr(base, "provenance_ids", ())
    return ScenarioResult(sc, res, sample, level, steps, ids)


def newton_matrices(starts: Sequence[CaliendoParroResult | None] | None) -> None:
    """Compute the Newton matrices of the central solutions the draws start from
    (:meth:`CaliendoParroResult.newton_matrix`) here, once, so that every worker receives them
    with the solutions instead of computing them again."""
    for s in starts or ():
        if s is not None:
            s.newton_matrix()


def _check_run(draws: int, level: float) -> None:
    if draws < 0:
        raise ConfigError(f"draws must be ≥ 0, got {draws}")
    if not 0 < level < 1:
        raise ConfigError(f"level must be in (0, 1), got {level}")


def _baseline(sc: RunnableScenario, store: Store | None, base: Any) -> Any:
    """``base``, or the baseline ``sc`` names built from ``store``."""
    if base is not None:
        return base
    if store is None:
        raise NoDataError(
            f"scenario {sc.name!r} needs a store holding its baseline {sc.baseline!r}",
            hint="pass store=open_store(...) (the CLI ingests --data DIR first)",
        )
    return load_named_baseline(sc.baseline, store, sc.year)


def _steps(sc: RunnableScenario, base: Any) -> list[str]:
    """The first lines of a run's log: the scenario, its baseline, the shocks applied."""
    steps = [f"scenario {sc.name!r} ({sc.path or 'in memory'})"]
    steps.append(f"baseline {base.name}; " + "; ".join(getattr(base, "notes", ())))
    return steps + applied_steps(sc, base)


def _solver_note(res: Any) -> str:
    if isinstance(res, CaliendoParroResult):
        return f"{res.iterations} iterations, max relative excess demand {res.residual:.1e}"
    return f"{res.full.iterations} iterations, residual {res.full.residual:.1e}"


class ScenarioResult(Result):
    """Central solution of a scenario plus draw-based intervals for every country."""

    def __init__(
        self,
        scenario: RunnableScenario,
        central: Any,
        draws: np.ndarray | None,
        level: float,
        steps: list[str],
        provenance_ids: Sequence[int] = (),
    ) -> None:
        self.scenario = scenario
        self.central = central
        self.draws = draws
        self.level = level
        self.steps = steps
        #: store rows of the baseline the scenario was solved on
        self.provenance_ids = sorted(int(i) for i in provenance_ids)
        self.title = f"Scenario: {scenario.name}"

    @property
    def measures(self) -> tuple[str, ...]:
        return MS_MEASURES if self.scenario.multisector else OS_MEASURES

    def tidy(self) -> pd.DataFrame:
        """Per country: central value of every measure and ``<measure>_low/_high`` intervals."""
        t = measures(self.scenario, self.central).reset_index(drop=True)
        if self.draws is not None:
            a = (1 - self.level) / 2
            lo, hi = np.quantile(self.draws, [a, 1 - a], axis=0)
            for m, name in enumerate(self.measures):
                t[f"{name}_low"] = lo[:, m]
                t[f"{name}_high"] = hi[:, m]
        return t

    def welfare_decomposition(self, steps: int = 40) -> pd.DataFrame:
        """Why ``welfare_cp`` and ``real_income_change`` differ (multi-sector): the one-step CP
        terms beside the same terms chained along the path to the central solution, whose sum
        is the exact change (:func:`techties.simulation.welfare.path_decomposition`)."""
        from techties.simulation.welfare import path_decomposition

        if not isinstance(self.central, CaliendoParroResult):
            raise ConfigError("the welfare decomposition is for multi-sector scenarios")
        c = self.central
        return path_decomposition(c.baseline, c.tau_new, c.trade_cost_hat, steps=steps)

    def draws_long(self) -> pd.DataFrame:
        """Every draw: draw, country, measure, value."""
        if self.draws is None:
            return pd.DataFrame(columns=["draw", "country", "measure", "value"])
        d, c, m = self.draws.shape
        countries = list(self.central.tidy()["country"])
        return pd.DataFrame(
            {
                "draw": np.repeat(np.arange(d), c * m),
                "country": np.tile(np.repeat(countries, m), d),
                "measure": np.tile(list(self.measures), d * c),
                "value": self.draws.ravel(),
            }
        )

    def summary(self) -> str:
        key = self.measures[0]
        t = self.tidy()
        lines = [self.title, *("  " + s for s in self.steps), f"{key} (%) by country:"]
        for _, r in t.iterrows():
            ci = (
                f"  [{r[key + '_low']:.3f}, {r[key + '_high']:.3f}]"
                if self.draws is not None
                else ""
            )
            lines.append(f"  {r.country:<5}{r[key]:>9.3f}{ci}")
        return "\n".join(lines)

    def plot(self, measure: str | None = None) -> Any:
        """Bars of ``measure`` by country (default: the exact real-income change) with intervals."""
        import altair as alt

        from techties.charts import finish
        from techties.simulation.onesector_result import change_bars

        key = measure or self.measures[0]
        if key not in self.measures:
            raise UnknownNameError(
                f"unknown measure {key!r}.", hint=did_you_mean(key, self.measures)
            )
        t = self.tidy().rename(columns={key: "change"})
        bars = change_bars(t, value_format=".3f")
        layers: Any = bars
        if self.draws is not None:
            rules = (
                alt.Chart(t)
                .mark_rule(color="#333")
                .encode(x=alt.X("country:N", sort="-y"), y=f"{key}_low:Q", y2=f"{key}_high:Q")
            )
            layers = bars + rules
        el = elasticity_source(self.scenario.elasticities, self.scenario.multisector)
        return finish(
            layers,
            title=f"{self.scenario.name}: {key.replace('_', ' ')} by country",
            subtitle=(
                f"percent; {self.level:.0%} intervals from {0 if self.draws is None else len(self.draws)} draws"
            ),
            source=f"techties GE on {self.scenario.baseline}; elasticities: {el}",
        )

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(
            scenario=self.scenario.name,
            baseline=self.scenario.baseline,
            steps=self.steps,
            level=self.level,
            draws=0 if self.draws is None else int(self.draws.shape[0]),
            elasticities_source=elasticity_source(
                self.scenario.elasticities, self.scenario.multisector
            ),
        )
        return json_safe(d)  # type: ignore[no-any-return]
