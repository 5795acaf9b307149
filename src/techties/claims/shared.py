"""Evidence several checkers read, built once while every claim is checked.

:func:`techties.claims.check_all` runs the checkers inside :func:`sharing`; there
:func:`shared` keeps what it builds, per store and key, for the next checker that asks (the ICIO
cubes, read by claims 2, 4 and 8). Outside it, :func:`shared` builds every time. The store does not
change while the claims are checked: checkers only read it (the model results they cache in
``derived`` are nobody's evidence). A build that fails is not kept: the next caller builds
again and meets the same error. Shared values are read, never changed: :func:`read_only`
freezes their numpy arrays, so a change would raise instead of altering another claim's input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np

from techties.simulation.baselines import SectoralFlows, load_icio_flows
from techties.store import Store

T = TypeVar("T")
_KEPT: ContextVar[dict[tuple[int, str], Any] | None] = ContextVar("techties_shared", default=None)


@contextmanager
def sharing() -> Iterator[None]:
    """Keep what :func:`shared` builds until the block ends (nested blocks share the outer)."""
    token = _KEPT.set({}) if _KEPT.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _KEPT.reset(token)


def shared(store: Store, key: str, build: Callable[[], T]) -> T:
    """``build()``, kept for the other checkers of this :func:`sharing` block."""
    kept = _KEPT.get()
    if kept is None:
        return build()
    at = (id(store), key)
    if at not in kept:
        kept[at] = build()
    value: T = kept[at]
    return value


def read_only(*arrays: np.ndarray) -> None:
    """Make numpy arrays read-only (shared evidence is never changed in place)."""
    for a in arrays:
        a.setflags(write=False)


def icio_flows(store: Store, dataset: str) -> SectoralFlows:
    """:func:`~techties.simulation.baselines.load_icio_flows`, shared (its arrays read-only)."""

    def build() -> SectoralFlows:
        f = load_icio_flows(store, dataset)
        read_only(f.flows, f.tariff, *f.elasticities.values())
        return f

    return shared(store, f"icio_flows:{dataset}", build)
