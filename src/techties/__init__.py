"""techties: evidence and simulation engine for US–China technology and trade ties.

The public API (imported on first use, so ``import techties`` stays light)::

    import techties
    store = techties.open_store("techties.duckdb")
    techties.ingest(store, "census", ["2024-hs10-imports.json"])     # one source's files
    techties.ingest_folder(store, "../shared/data")                  # a whole data folder
    v = techties.check("tariffs-cut-dependence", store=store)        # one Verdict
    verdicts = techties.check_all(store=store)
    res = techties.simulate("uschina_escalation", store=store, draws=100)
    rate = techties.indicator("duty-rate", store, selection=techties.Selection(level=0))
    fit = techties.fit_gravity(frame, techties.GravitySpec(...))

Every result has ``summary()``, ``tidy()``, ``to_dict()`` and ``plot()``; in a notebook it shows
as a table (``_repr_html_``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from techties._lazy import lazy_names
from techties._version import __version__

#: public name → module it lives in (the only place names are re-exported)
_EXPORTS = {
    "DataWarning": "techties.errors",
    "GravitySpec": "techties.models.gravity",
    "Result": "techties.results",
    "Selection": "techties.indicators.shares",
    "Store": "techties.store",
    "TechtiesError": "techties.errors",
    "Verdict": "techties.claims",
    "compare": "techties.results",
    "fit_gravity": "techties.models.gravity",
    "load_catalog": "techties.claims",
    "open_store": "techties.store",
}

__all__ = [
    "DataWarning",
    "GravitySpec",
    "Result",
    "Selection",
    "Store",
    "TechtiesError",
    "Verdict",
    "__version__",
    "check",
    "check_all",
    "compare",
    "fit_gravity",
    "indicator",
    "ingest",
    "ingest_folder",
    "load_catalog",
    "open_store",
    "simulate",
]

if TYPE_CHECKING:
    from techties.claims import Verdict, load_catalog
    from techties.errors import DataWarning, TechtiesError
    from techties.indicators.shares import Selection
    from techties.models.gravity import GravitySpec, fit_gravity
    from techties.results import Result, compare
    from techties.store import Store, open_store


__getattr__ = lazy_names("techties", _EXPORTS, globals())


def __dir__() -> list[str]:
    return __all__


def ingest(store: Store, source: str, paths: list[str | Path] | str | Path) -> list[Any]:
    """Ingest files of one source into ``store`` (all or nothing; already-ingested files are
    skipped by sha256). Returns one ingest result per file."""
    from techties.store.ingest import ingest_files

    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return ingest_files(store, source, files)


def ingest_folder(store: Store, folder: str | Path) -> list[Any]:
    """Ingest every file the data manifest names under ``folder``."""
    from techties.store.manifest import ingest_folder as _ingest_folder

    return _ingest_folder(store, Path(folder))


def indicator(name: str, store: Store, **params: Any) -> Any:
    """Compute the registered indicator ``name`` on ``store`` (``duty-rate`` may be written
    ``duty_rate``); ``params`` are its parameters (``techties.indicators.indicators()`` lists every indicator
    with its parameters), e.g.
    ``selection=techties.Selection(source="census", level=0)``."""
    from techties.indicators import get_indicator
    from techties.indicators.registry import INDICATORS

    dashed = name.replace("_", "-")
    return get_indicator(dashed if name not in INDICATORS and dashed in INDICATORS else name)(
        store, **params
    )


def check(claim_id: str, *, store: Store) -> Verdict:
    """The verdict of one claim (id or number) on ``store`` (everything it reads is in the
    store; ``verdict.provenance_ids`` name the ingested files)."""
    from techties.claims import check_claim

    return check_claim(store, claim_id)


def check_all(*, store: Store) -> list[Verdict]:
    """Every claim's verdict on ``store``, in catalog order."""
    from techties.claims import check_all as _check_all

    return _check_all(store)


def simulate(
    scenario: str | Path, *, store: Store | None = None, draws: int = 0, seed: int = 0
) -> Any:
    """Run a scenario (a YAML file or a library name such as ``uschina_escalation``) on the
    baseline in ``store`` (default: the store ``TECHTIES_STORE`` names)."""
    from techties.simulation.library import simulate as _simulate

    return _simulate(scenario, store=store, draws=draws, seed=seed)
