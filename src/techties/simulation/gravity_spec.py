"""The ``gravity:`` block of a scenario: a GE experiment that starts from a stored gravity dataset.

Scenarios with ``baseline: gravity`` estimate their own trade costs, as the Advanced Guide's
Chapter 2 does, instead of reading a prepared baseline::

    baseline: gravity
    elasticities: {sigma: 7}
    gravity:
      dataset: chapter2application2          # a dataset of the store's gravity table
      estimation_years: [1986, 1990, 1994, 1998, 2002, 2006]
      year: 1994                             # the cross-section the GE counterfactual uses
      covariates:                            # columns built before estimating
        - {name: ln_DIST, log: DIST}
      regressors: [RTA]
      fixed_effects: [exporter_time, importer_time, pair]
      fill_pair_effects: [ln_DIST, CNTG, LANG, CLNY]
      counterfactual:
        - {covariate: RTA, to: 0, pairs: {members: [CAN, MEX, USA]}}
      reference: DEU
      method: geppml_book                    # or exact
      tol: 0.01                              # the book loop's threshold
      sign: effect_of                        # or change

Covariate definitions (``covariates``), applied in order; each has a ``name`` and exactly one of

* ``log: COL`` — the natural log of a column;
* ``column: COL`` — a copy of a column (with ``except`` to zero it on some pairs);
* ``dummy: PAIRS`` — 1 on the pairs (``all`` = every international pair), 0 elsewhere;

and optionally ``except: PAIRS`` (set to 0 there) and ``from_year: Y`` (``dummy`` and
``except`` act only in years ≥ Y). ``PAIRS`` is the scenario language's pairs rule: a list of
``[exporter, importer]``, ``all``, ``{from: [..], to: [..]}`` or ``{members: [..]}``.

``fixed_effects`` is ``[exporter, importer]`` (a cross-section; trade costs
``t_ij = exp(β·x_ij)``) or ``[exporter_time, importer_time, pair]`` (a panel; trade costs
``t_ij = exp(μ_ij + β·x_ij)`` with the estimated pair effects, symmetric pairs and one shared
domestic pair effect normalised to 0, as the book's do-files). Pairs without an estimated pair
effect (no trade in any year) get the prediction of a second PPML, ``exp(μ_ij)`` on exporter and
importer effects and ``fill_pair_effects`` in ``year`` (the book's stage 2).

``counterfactual`` items set ``covariate`` to the value ``to`` on ``pairs`` (in ``year``); the
partial effect on flows is ``exp(Σ β (x' − x))``. ``sign`` chooses how changes are reported:
``change`` (default) is ``(counterfactual − baseline)/baseline``; ``effect_of`` is the book's
"effects of NAFTA", ``(baseline − counterfactual)/counterfactual`` — the effect of the policy
*in place* in the baseline — with the book's price column ``1 − p̂`` (see
:mod:`techties.simulation.gravity_experiment`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from techties.errors import ConfigError, did_you_mean
from techties.simulation.geppml import BOOK_TOL
from techties.simulation.shocks import Pairs, as_list, check_keys, number, parse_pairs

GRAVITY_KEYS = (
    "dataset",
    "year",
    "estimation_years",
    "covariates",
    "regressors",
    "fixed_effects",
    "fill_pair_effects",
    "counterfactual",
    "reference",
    "method",
    "tol",
    "sign",
    "flows",
)
COVARIATE_KEYS = ("name", "log", "column", "dummy", "except", "from_year")
COUNTERFACTUAL_KEYS = ("covariate", "to", "pairs")
#: the two fixed-effect structures of the Advanced Guide's Chapter 2
CROSS_SECTION = ("exporter", "importer")
PANEL = ("exporter_time", "importer_time", "pair")
METHODS = ("exact", "geppml_book")
SIGNS = ("change", "effect_of")
FLOWS = ("fitted", "observed")
Sign = Literal["change", "effect_of"]


@dataclass(frozen=True)
class Covariate:
    """A column built before estimation (see the module docstring)."""

    name: str
    kind: Literal["log", "column", "dummy"]
    source: str | None = None  # the column of log / column
    pairs: Pairs | None = None  # the pairs of dummy
    except_pairs: Pairs | None = None
    from_year: int | None = None


@dataclass(frozen=True)
class CounterfactualChange:
    """``covariate`` set to ``to`` on ``pairs`` in the experiment's year."""

    covariate: str
    to: float
    pairs: Pairs


@dataclass(frozen=True)
class GravityExperiment:
    """A validated ``gravity:`` block."""

    dataset: str
    year: int
    regressors: tuple[str, ...]
    counterfactual: tuple[CounterfactualChange, ...]
    reference: str
    estimation_years: tuple[int, ...] = ()
    covariates: tuple[Covariate, ...] = ()
    fixed_effects: tuple[str, ...] = CROSS_SECTION
    fill_pair_effects: tuple[str, ...] = ()
    method: Literal["exact", "geppml_book"] = "exact"
    tol: float = BOOK_TOL
    sign: Sign = "change"
    flows: Literal["fitted", "observed"] = "fitted"

    @property
    def panel(self) -> bool:
        return self.fixed_effects == PANEL

    @property
    def years(self) -> tuple[int, ...]:
        """The years estimated on (default: the experiment's year alone)."""
        return self.estimation_years or (self.year,)


def _year(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 1900 <= v <= 2100:
        raise ConfigError(f"{what} must be a calendar year, got {v!r}", hint="e.g. 2006")
    return v


def _choice(v: Any, allowed: tuple[str, ...], what: str) -> Any:
    if v not in allowed:
        raise ConfigError(f"{what} {v!r} is not known. " + did_you_mean(str(v), allowed))
    return v


def _names(v: Any, what: str) -> tuple[str, ...]:
    items = as_list(v)
    if not items or not all(isinstance(x, str) and x for x in items):
        raise ConfigError(f"{what} must be a list of column names, got {v!r}")
    return tuple(items)


def _covariate(raw: Any, where: str) -> Covariate:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping, e.g. {{name: ln_DIST, log: DIST}}")
    check_keys(raw, COVARIATE_KEYS, ("name",), where)
    kinds = [k for k in ("log", "column", "dummy") if k in raw]
    if len(kinds) != 1:
        raise ConfigError(
            f"{where}: give exactly one of log, column, dummy (got {kinds})",
            hint="{name: ln_DIST, log: DIST}, {name: INTL_BRDR, dummy: all}",
        )
    kind = kinds[0]
    name = _names(raw["name"], f"{where}.name")[0]
    source = _names(raw[kind], f"{where}.{kind}")[0] if kind != "dummy" else None
    pairs = parse_pairs(raw["dummy"], f"{where}.dummy") if kind == "dummy" else None
    exc = parse_pairs(raw["except"], f"{where}.except") if "except" in raw else None
    if kind == "log" and exc is not None:
        raise ConfigError(f"{where}: except is for column and dummy covariates, not log")
    start = _year(raw["from_year"], f"{where}.from_year") if "from_year" in raw else None
    return Covariate(name, kind, source, pairs, exc, start)  # type: ignore[arg-type]


def _change(raw: Any, where: str) -> CounterfactualChange:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping, e.g. {{covariate: RTA, to: 0, pairs: all}}")
    check_keys(raw, COUNTERFACTUAL_KEYS, COUNTERFACTUAL_KEYS, where)
    return CounterfactualChange(
        covariate=_names(raw["covariate"], f"{where}.covariate")[0],
        to=number(raw["to"], f"{where}.to"),
        pairs=parse_pairs(raw["pairs"], f"{where}.pairs"),
    )


def parse_gravity(raw: Any, where: str) -> GravityExperiment:
    """Validate a ``gravity:`` block (unknown keys are errors with the closest allowed one)."""
    where = f"{where}: gravity"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping with keys {', '.join(GRAVITY_KEYS)}")
    required = ("dataset", "year", "regressors", "counterfactual", "reference")
    check_keys(raw, GRAVITY_KEYS, required, where)
    fe = tuple(as_list(raw.get("fixed_effects", list(CROSS_SECTION))))
    if fe not in (CROSS_SECTION, PANEL):
        raise ConfigError(
            f"{where}.fixed_effects {list(fe)} is not one of the Advanced Guide's structures",
            hint="[exporter, importer] (a cross-section) or "
            "[exporter_time, importer_time, pair] (a panel with pair effects)",
        )
    fill = _names(raw["fill_pair_effects"], f"{where}.fill_pair_effects") if "fill_pair_effects" in raw else ()
    if fe == PANEL and not fill:
        raise ConfigError(
            f"{where}: a panel with pair effects needs fill_pair_effects (the regressors that "
            "predict the trade costs of pairs without an estimated pair effect)",
            hint="the book uses fill_pair_effects: [ln_DIST, CNTG, LANG, CLNY]",
        )
    if fe == CROSS_SECTION and fill:
        raise ConfigError(f"{where}: fill_pair_effects is for panels with pair effects")
    changes = tuple(
        _change(c, f"{where}.counterfactual[{k}]") for k, c in enumerate(as_list(raw["counterfactual"]))
    )
    if not changes:
        raise ConfigError(f"{where}.counterfactual is empty", hint="e.g. [{covariate: RTA, to: 0, pairs: all}]")
    regs = _names(raw["regressors"], f"{where}.regressors")
    for c in changes:
        if c.covariate not in regs:
            raise ConfigError(
                f"{where}.counterfactual changes {c.covariate!r}, which is not estimated. "
                + did_you_mean(c.covariate, regs)
            )
    method = _choice(raw.get("method", "exact"), METHODS, f"{where}.method")
    if "tol" in raw and method != "geppml_book":
        raise ConfigError(f"{where}.tol is the book loop's threshold; it needs method: geppml_book")
    return GravityExperiment(
        dataset=str(raw["dataset"]),
        year=_year(raw["year"], f"{where}.year"),
        regressors=regs,
        counterfactual=changes,
        reference=str(raw["reference"]),
        estimation_years=tuple(
            _year(y, f"{where}.estimation_years") for y in as_list(raw.get("estimation_years") or [])
        ),
        covariates=tuple(
            _covariate(c, f"{where}.covariates[{k}]") for k, c in enumerate(as_list(raw.get("covariates") or []))
        ),
        fixed_effects=fe,
        fill_pair_effects=fill,
        method=method,
        tol=number(raw.get("tol", BOOK_TOL), f"{where}.tol", lo=1e-12, hi=0.5),
        sign=_choice(raw.get("sign", "change"), SIGNS, f"{where}.sign"),
        flows=_choice(raw.get("flows", "fitted"), FLOWS, f"{where}.flows"),
    )
