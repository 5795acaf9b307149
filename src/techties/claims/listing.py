"""The key of a check's verdicts, their signature, and the one-line listing of each verdict.

:func:`verdicts_key` says what the verdicts of a store depend on (every provenance row, the model
results cached in ``derived``, the source of every techties module and data file, and the
versions of the libraries that compute); :mod:`techties.claims.kept` keeps the verdicts under it.
Beside them it keeps their *listing* — the row ``techties claims`` prints for each claim — as
signed JSON, so that listing the verdicts of a checked store reads one row and imports neither
the analysis layers nor pandas (:func:`read_listing`). This module imports nothing heavier than
the store.

Both are signed with a key only this user's techties has (``<cache>/verdicts.key``, made on
first use, readable by its owner alone): a listing written elsewhere, or changed after it was
written, is not shown — the claims are checked again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import secrets
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techties import config
from techties.claims.catalog import load_catalog
from techties.store import Store

if TYPE_CHECKING:
    from techties.claims.verdict import Verdict

#: libraries whose results the verdicts carry (an upgrade checks the claims again)
LIBRARIES = ("numpy", "pandas", "scipy", "duckdb", "pyarrow", "pyfixest", "altair", "statsmodels")
#: the derived row holding the listing (``report-``: a report artefact, not model evidence); its
#: payload is ``<signature>\n<JSON>``, not Parquet like other derived results
LISTING = "report-verdict-list"
#: the columns ``techties claims`` prints, then the fields of its ``--json`` output
TABLE_COLUMNS = ("no", "claim", "verdict", "key_number")
JSON_FIELDS = ("claim_id", "status", "reason", "rationale")


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


def secret() -> bytes | None:
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


def sign(secret: bytes, key: str, payload: bytes) -> str:
    return hmac.new(secret, key.encode() + b"\0" + payload, hashlib.sha256).hexdigest()


def listing_rows(verdicts: Sequence[Verdict]) -> list[dict[str, Any]]:
    """One row per verdict: the table ``techties claims`` prints, then its JSON fields."""
    numbers = {c.id: c.number for c in load_catalog()}
    rows = []
    for v in verdicts:
        d = v.to_dict()
        key_number = f"{v.figures[0].label}: {v.figures[0].formatted()}" if v.figures else ""
        rows.append(
            {"no": numbers[v.claim_id], "claim": v.claim_id, "verdict": v.badge,
             "key_number": key_number, **{f: d[f] for f in JSON_FIELDS}}
        )  # fmt: skip
    return rows


def keep_listing(store: Store, key: str, verdicts: Sequence[Verdict], inputs: list[int]) -> None:
    """Keep the listing of ``verdicts`` under ``key`` (replacing any listing kept before)."""
    key_bytes = secret()
    if store.read_only or key_bytes is None:
        return
    body = json.dumps(listing_rows(verdicts), sort_keys=True).encode()
    payload = sign(key_bytes, key, body).encode() + b"\n" + body
    with store.transaction():
        store.con.execute("DELETE FROM derived WHERE name = ?", [LISTING])
        store.con.execute(
            "INSERT INTO derived (name, key, inputs, code_version, rows, payload) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [LISTING, key, sorted(set(inputs)), code_stamp()[:16], len(verdicts), payload],
        )


def read_listing(store: Store) -> list[dict[str, Any]] | None:
    """The listing kept by the last check of ``store``, if nothing it depends on has changed
    since and its signature is this user's (else None: check the claims)."""
    key_bytes = secret()
    if key_bytes is None:
        return None
    key = verdicts_key(store)
    row = store.con.execute(
        "SELECT payload FROM derived WHERE name = ? AND key = ?", [LISTING, key]
    ).fetchone()
    if row is None:
        return None
    mac, _, body = bytes(row[0]).partition(b"\n")
    if not hmac.compare_digest(mac.decode("ascii", "replace"), sign(key_bytes, key, body)):
        return None
    rows = json.loads(body)
    return rows if isinstance(rows, list) else None
