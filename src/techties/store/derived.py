"""Derived artefacts cached inside the store: fitted coefficients, solved scenarios, draws.

A derived table is keyed by its name, the provenance ids of every input row and the source code
of the modules that compute it, so it is recomputed exactly when an input file or the code
changes, and ``techties provenance`` can list it beside the files it came from. Storing a result
drops the results of the same name computed by other code. A read-only store computes without
caching.

>>> table = cached(store, "incidence-specs", inputs=[3, 7], modules=["techties.models.incidence"],
...                compute=lambda: fit_everything())
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from techties._version import __version__
from techties.store.core import Store


@cache
def code_version(modules: tuple[str, ...]) -> str:
    """Hash of the techties version and the source files of ``modules``."""
    h = hashlib.sha256(__version__.encode())
    for m in modules:
        spec = importlib.util.find_spec(m)
        if spec is not None and spec.origin and Path(spec.origin).is_file():
            h.update(Path(spec.origin).read_bytes())
    return h.hexdigest()[:16]


def derived_key(name: str, inputs: Sequence[int], version: str, params: str = "") -> str:
    text = f"{name}|{sorted(set(int(i) for i in inputs))}|{version}|{params}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cached(
    store: Store,
    name: str,
    *,
    inputs: Sequence[int],
    modules: Sequence[str],
    compute: Callable[[], pd.DataFrame],
    params: str = "",
) -> pd.DataFrame:
    """The derived table ``name`` for these inputs and code, computed (and stored) if absent.

    ``params`` distinguishes results of the same inputs under other options (draws, seeds).
    """
    version = code_version(tuple(modules))
    key = derived_key(name, inputs, version, params)
    found = lookup(store, [(name, key)])
    if (name, key) in found:
        return found[(name, key)]
    table = compute()
    keep(store, [Derived(name, key, inputs, version, table)])
    return table


@dataclass(frozen=True, slots=True)
class Derived:
    """One result to keep: ``name``, ``key`` (:func:`derived_key`), inputs, code version."""

    name: str
    key: str
    inputs: Sequence[int]
    version: str
    table: pd.DataFrame


def lookup(store: Store, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], pd.DataFrame]:
    """The stored results among ``wanted`` ``(name, key)`` pairs, in one query."""
    if not wanted:
        return {}
    if len(wanted) == 1:
        (name, key), where = wanted[0], "name = ? AND key = ?"
        params: list[object] = [name, key]
    else:
        where = "(name, key) IN (SELECT unnest(?), unnest(?))"
        params = [[n for n, _ in wanted], [k for _, k in wanted]]
    rows = store.con.execute(f"SELECT name, key, payload FROM derived WHERE {where}", params)
    return {(n, k): pd.read_parquet(io.BytesIO(p)) for n, k, p in rows.fetchall()}


def keep(store: Store, results: Sequence[Derived], *, one_per_name: bool = False) -> None:
    """Store ``results`` in one transaction (a read-only store keeps nothing). Each drops the
    results of its name from other code (they can never be read again) and, with
    ``one_per_name``, every other result of its name."""
    if store.read_only or not results:
        return
    with store.transaction():
        for r in results:
            buf = io.BytesIO()
            r.table.to_parquet(buf, index=False)
            store.con.execute(
                "DELETE FROM derived WHERE name = ? AND (key = ? OR code_version <> ? OR ?)",
                [r.name, r.key, r.version, one_per_name],
            )
            store.con.execute(
                "INSERT INTO derived (name, key, inputs, code_version, rows, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [r.name, r.key, sorted(set(int(i) for i in r.inputs)), r.version, len(r.table),
                 buf.getvalue()],
            )  # fmt: skip


def derived_list(store: Store) -> pd.DataFrame:
    """Every cached derived table with its inputs (provenance ids) and code version."""
    return store.df(
        "SELECT name, key, inputs, code_version, rows, created_at FROM derived ORDER BY name, created_at"
    )
