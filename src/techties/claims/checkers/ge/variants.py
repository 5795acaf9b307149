"""The robustness variants of the GE checkers: the Caliendo–Parro (2015) θ on the Eora 2017
baseline and the one-sector WIOD 2014 baseline (sector tariffs and covered shares converted to
bilateral equivalents on the Eora 2017 flows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from techties.claims.checkers.ge._common import (
    CP_TO_EORA,
    SEED,
    WIOD_SIGMA,
    WIOD_SIGMA_RANGE,
    WORKERS,
    _welfare_draws,
)
from techties.errors import NoDataError
from techties.simulation.mc_multisector import load_named_baseline
from techties.simulation.scenario import Scenario
from techties.store.core import Store
from techties.store.model_inputs import model_inputs


def _eora(store: Store) -> Any:
    return load_named_baseline("eora2017", store)


def _cp_theta_baseline(store: Store) -> Any:
    """The calibrated Eora 2017 baseline with Caliendo–Parro (2015) θ on its goods sectors
    (simple means of the CP sectors in each Eora sector; services keep their θ); its
    ``provenance_ids`` add the rows of ``T.txt``."""
    from techties.simulation.baselines import CP2015_SECTORS

    inputs = model_inputs(store, "cp2015")
    cp = dict(zip(CP2015_SECTORS[:20], inputs.array("T").ravel(), strict=True))
    base = _eora(store)
    theta = np.asarray(base.theta, dtype=float).copy()
    for k, sector in enumerate(base.sectors):
        if sector in CP_TO_EORA:
            theta[k] = float(np.mean([cp[s] for s in CP_TO_EORA[sector]]))
    return base.with_(
        theta=theta,
        name=f"{base.name}, θ of Caliendo–Parro (2015)",
        provenance_ids=tuple(sorted({*base.provenance_ids, *inputs.provenance_ids})),
    )


def cp_theta_on_eora(store: Store) -> dict[str, float]:
    """The θ the Caliendo–Parro alternative uses, by Eora goods sector (for the method text)."""
    base = _cp_theta_baseline(store)
    return {s: float(t) for s, t in zip(base.sectors, base.theta, strict=True) if s in CP_TO_EORA}


def _eora_flows(base: Any) -> np.ndarray:
    """Baseline flows at producer prices ``F[importer, exporter, sector]``."""
    return np.asarray(base.pi * base.expenditure[:, None, :] / base.tau, dtype=float)


def _sector_index(base: Any, name: str) -> int:
    from techties.simulation.sectors import SECTOR_ALIASES

    lower = [s.lower() for s in base.sectors]
    key = SECTOR_ALIASES.get(name.lower(), name).lower()
    if key not in lower:
        raise NoDataError(f"sector {name!r} is not in the Eora baseline")
    return lower.index(key)


def _one(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise NoDataError("the one-sector conversion needs one country per shock side")
        return str(value[0])
    return str(value)


def _worlds(sc: Any) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The status-quo world and the world after the policy, each as additive sector tariffs
    ``{(imposer, target): {sector: pp}}`` and export controls ``{(from, to, sectors): spec}``."""

    def accumulate(
        shocks: Sequence[Any], tariffs: dict[Any, Any], controls: dict[Any, Any]
    ) -> None:
        for s in shocks:
            spec = s.spec
            if s.kind == "tariff":
                if "by_sector" not in spec:
                    raise NoDataError("the one-sector conversion takes by_sector tariffs only")
                key = (_one(spec["imposer"]), _one(spec["target"]))
                row = tariffs.setdefault(key, {})
                for sector, pp in spec["by_sector"].items():
                    row[sector] = row.get(sector, 0.0) + float(pp)
            elif s.kind == "export_control":
                sectors = tuple(spec.get("sectors") or ())
                ckey = (_one(spec["from"]), _one(spec["to"]), sectors)
                if spec.get("remove"):
                    controls.pop(ckey, None)
                else:
                    controls[ckey] = spec
            else:
                raise NoDataError("the one-sector conversion does not take coefficient shocks")

    sq_t: dict[Any, Any] = {}
    sq_c: dict[Any, Any] = {}
    accumulate(sc.status_quo, sq_t, sq_c)
    after_t = {k: dict(v) for k, v in sq_t.items()}
    after_c = dict(sq_c)
    accumulate(sc.shocks, after_t, after_c)
    return {"tariffs": sq_t, "controls": sq_c}, {"tariffs": after_t, "controls": after_c}


def _one_sector_shocks(world: Mapping[str, Any], base: Any) -> list[dict[str, Any]]:
    """A world's sector tariffs and controls as bilateral one-sector shocks: the tariff is the
    flow-weighted mean over all Eora sectors (services at 0); a control's share is its sector
    share times the sector's part of the bilateral flow (Eora 2017, producer prices)."""
    flows = _eora_flows(base)
    idx = {c: k for k, c in enumerate(base.countries)}
    out: list[dict[str, Any]] = []
    for (imposer, target), rates in world["tariffs"].items():
        f = flows[idx[imposer], idx[target], :]
        pp = sum(float(v) * f[_sector_index(base, s)] for s, v in rates.items()) / f.sum()
        if abs(pp) > 1e-12:
            out.append({"tariff": {"imposer": imposer, "target": target, "add": float(pp)}})
    for (exporter, importer, sectors), spec in world["controls"].items():
        f = flows[idx[importer], idx[exporter], :]
        part = sum(f[_sector_index(base, s)] for s in sectors) / f.sum() if sectors else 1.0
        ctl: dict[str, Any] = {
            "from": exporter,
            "to": importer,
            "share": float(spec.get("share", 1.0)) * part,
        }
        if "share_range" in spec:
            ctl["share_range"] = [float(x) * part for x in spec["share_range"]]
        if spec.get("cost", "prohibitive") != "prohibitive":
            ctl["cost"] = spec["cost"]
        out.append({"export_control": ctl})
    return out


def _solve_wiod(
    sc: Any, draws: int, store: Store
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """The scenario on the one-sector WIOD 2014 baseline: the worlds before and after the policy
    are each solved from the baseline (same seed, so the same σ draws), and the policy's change
    is their ratio, ``(1 + w_after) / (1 + w_status_quo) − 1`` (exact in the one-sector model
    when both worlds are equilibria of the same baseline)."""
    base = _eora(store)
    results: list[tuple[list[str], np.ndarray, np.ndarray | None] | None] = []
    for world in _worlds(sc):
        shocks = _one_sector_shocks(world, base)
        if not shocks:
            results.append(None)
            continue
        one = Scenario.from_dict(
            {
                "name": f"{sc.name} (one-sector WIOD 2014)",
                "baseline": "wiod2014",
                "elasticities": {
                    "sigma": WIOD_SIGMA,
                    "sigma_range": list(WIOD_SIGMA_RANGE),
                    "source": "σ = 1 + θ, θ = 4 (Simonovska & Waugh 2014), ±25 %",
                },
                "shocks": shocks,
            }
        )
        res = one.run(draws=draws, store=store, workers=WORKERS, seed=SEED)
        results.append(_welfare_draws(res))
    done = [r for r in results if r is not None]
    if not done:
        raise NoDataError("the scenario has no shock the one-sector baseline can take")
    countries = done[0][0]
    n = len(countries)

    def level(r: Any, which: int) -> np.ndarray:
        if r is None:
            return np.ones(n) if which == 0 else np.ones((max(draws, 1), n))
        return 1 + (r[1] if which == 0 else r[2]) / 100

    sq, after = results
    central = 100 * (level(after, 0) / level(sq, 0) - 1)
    sample = 100 * (level(after, 1) / level(sq, 1) - 1) if draws else None
    return countries, central, sample
