"""The verdicts of every claim, kept in the store until anything they could depend on changes.

:func:`techties.claims.check_all` reads the verdicts kept by an earlier check of the same store
instead of checking every claim again, when nothing the checkers could read has changed: the key
(:func:`techties.claims.listing.verdicts_key`) hashes every provenance row (an ingest, a replacement or a superseded file
changes it), the model results cached in ``derived``, the source of every techties module and
data file, and the versions of the libraries that compute. Checkers read nothing but the store
(:mod:`techties.claims`), so equal keys mean equal verdicts.

The verdicts are kept as a pickle signed with a key only this user's techties has
(``<cache>/verdicts.key``, made on first use, readable by its owner alone): a store made
elsewhere, or a payload changed after it was written, is never unpickled — the claims are
checked again. A check that warned (a checker failed, a layer warned) is not kept, so its
warnings show again on the next run. A read-only store reads kept verdicts and keeps none.
Their one-line listing is kept beside them (:mod:`techties.claims.listing`).
"""

from __future__ import annotations

import hmac
import io
import pickle

import pandas as pd

from techties.claims.listing import code_stamp, keep_listing, secret, sign, verdicts_key
from techties.claims.verdict import Verdict
from techties.store import Store
from techties.store.derived import Derived, keep, lookup

#: the derived result holding the verdicts (``report-``: a report artefact, not model evidence)
NAME = "report-verdicts"

__all__ = ["NAME", "code_stamp", "keep_verdicts", "read_kept", "verdicts_key"]


def read_kept(store: Store, key: str) -> list[Verdict] | None:
    """The verdicts kept under ``key``, if their signature is this user's."""
    key_bytes = secret()
    found = lookup(store, [(NAME, key)]).get((NAME, key)) if key_bytes else None
    if key_bytes is None or found is None or found.empty:
        return None
    payload, mac = bytes(found["payload"].iloc[0]), str(found["mac"].iloc[0])
    if not hmac.compare_digest(mac, sign(key_bytes, key, payload)):
        return None  # written by someone else, or changed: never unpickled
    verdicts = pickle.loads(payload)
    return verdicts if isinstance(verdicts, list) else None


def keep_verdicts(store: Store, key: str, verdicts: list[Verdict]) -> None:
    """Keep ``verdicts`` under ``key`` (replacing the ones kept before)."""
    key_bytes = secret()
    if store.read_only or key_bytes is None:
        return
    buf = io.BytesIO()
    pickle.dump(verdicts, buf, protocol=pickle.HIGHEST_PROTOCOL)
    payload = buf.getvalue()
    table = pd.DataFrame({"payload": [payload], "mac": [sign(key_bytes, key, payload)]})
    ids = [int(r[0]) for r in store.con.execute("SELECT id FROM provenance").fetchall()]
    keep(store, [Derived(NAME, key, ids, code_stamp()[:16], table)], one_per_name=True)
    keep_listing(store, key, verdicts, ids)  # what `techties claims` prints, read without pandas
