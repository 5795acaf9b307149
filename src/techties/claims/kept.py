"""The verdicts of every claim, kept in the store until anything they could depend on changes.

:func:`techties.claims.check_all` reads the verdicts kept by an earlier check of the same store
instead of checking every claim again, when nothing the checkers could read has changed: the key
(:func:`verdicts_key`) hashes every provenance row (an ingest, a replacement or a superseded file
changes it), the model results cached in ``derived``, the source of every techties module and
data file, and the versions of the libraries that compute. Checkers read nothing but the store
(:mod:`techties.claims`), so equal keys mean equal verdicts.

The verdicts are kept as a pickle signed with a key only this user's techties has
(``<cache>/verdicts.key``, made on first use, readable by its owner alone): a store made
elsewhere, or a payload changed after it was written, is never unpickled — the claims are
checked again. A check that warned (a checker failed, a layer warned) is not kept, so its
warnings show again on the next run. A read-only store reads kept verdicts and keeps none.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import pickle
import platform
import secrets
from functools import cache
from importlib import metadata
from pathlib import Path

import pandas as pd

from techties import config
from techties.claims.verdict import Verdict
from techties.store import Store
from techties.store.derived import Derived, keep, lookup

#: the derived result holding the verdicts (``report-``: a report artefact, not model evidence)
NAME = "report-verdicts"
#: libraries whose results the verdicts carry (an upgrade checks the claims again)
LIBRARIES = ("numpy", "pandas", "scipy", "duckdb", "pyarrow", "pyfixest", "altair", "statsmodels")


@cache
def code_stamp() -> str:
    """Hash of every file of the techties package (modules, catalog, scenarios, templates) and
    of the Python and library versions."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(platform.python_version().encode())
    for lib in LIBRARIES:
        try:
            h.update(f"|{lib}={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"|{lib}=absent".encode())
    for f in sorted(root.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts and f.suffix not in {".pyc", ".pyo"}:
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def verdicts_key(store: Store) -> str:
    """What the verdicts depend on: provenance, cached model results, code and libraries."""
    h = hashlib.sha256(code_stamp().encode())
    h.update(str(config.get("engine")).encode())  # the raw setting: never refused here
    for sql in (
        "SELECT id, source, version, location, sha256, bytes, target_table, rows_written, "
        "replaces, details FROM provenance ORDER BY id",
        "SELECT name, key, code_version, rows FROM derived "
        "WHERE NOT starts_with(name, 'report-') ORDER BY name, key",
    ):
        for row in store.con.execute(sql).fetchall():
            h.update(repr(row).encode())
    return h.hexdigest()[:32]


def _secret() -> bytes | None:
    """This user's signing key (None when the cache folder cannot hold one)."""
    path = Path(config.get("cache") or ".") / "verdicts.key"
    try:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == 32 else None


def _sign(secret: bytes, key: str, payload: bytes) -> str:
    return hmac.new(secret, key.encode() + b"\0" + payload, hashlib.sha256).hexdigest()


def read_kept(store: Store, key: str) -> list[Verdict] | None:
    """The verdicts kept under ``key``, if their signature is this user's."""
    secret = _secret()
    found = lookup(store, [(NAME, key)]).get((NAME, key)) if secret else None
    if secret is None or found is None or found.empty:
        return None
    payload, mac = bytes(found["payload"].iloc[0]), str(found["mac"].iloc[0])
    if not hmac.compare_digest(mac, _sign(secret, key, payload)):
        return None  # written by someone else, or changed: never unpickled
    verdicts = pickle.loads(payload)
    return verdicts if isinstance(verdicts, list) else None


def keep_verdicts(store: Store, key: str, verdicts: list[Verdict]) -> None:
    """Keep ``verdicts`` under ``key`` (replacing the ones kept before)."""
    secret = _secret()
    if store.read_only or secret is None:
        return
    buf = io.BytesIO()
    pickle.dump(verdicts, buf, protocol=pickle.HIGHEST_PROTOCOL)
    payload = buf.getvalue()
    table = pd.DataFrame({"payload": [payload], "mac": [_sign(secret, key, payload)]})
    ids = [int(r[0]) for r in store.con.execute("SELECT id FROM provenance").fetchall()]
    keep(store, [Derived(NAME, key, ids, code_stamp()[:16], table)], one_per_name=True)
