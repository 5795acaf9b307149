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
    found = store.con.execute(
        "SELECT payload FROM derived WHERE name = ? AND key = ?", [name, key]
    ).fetchone()
    if found is not None:
        return pd.read_parquet(io.BytesIO(found[0]))
    table = compute()
    if not store.read_only:
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        with store.transaction():
            # results of this name from other code can never be read again: drop them
            store.con.execute(
                "DELETE FROM derived WHERE name = ? AND (key = ? OR code_version <> ?)",
                [name, key, version],
            )
            store.con.execute(
                "INSERT INTO derived (name, key, inputs, code_version, rows, payload) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [name, key, sorted(set(int(i) for i in inputs)), version, len(table),
                 buf.getvalue()],
            )  # fmt: skip
    return table


def derived_list(store: Store) -> pd.DataFrame:
    """Every cached derived table with its inputs (provenance ids) and code version."""
    return store.df(
        "SELECT name, key, inputs, code_version, rows, created_at FROM derived ORDER BY name, created_at"
    )
