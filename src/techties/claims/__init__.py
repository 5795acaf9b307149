"""Claims as data, checked against the store: the catalog, checkers and verdicts.

>>> from techties.claims import check_all
>>> verdicts = check_all(store)          # one Verdict per claim in the catalog
"""

from __future__ import annotations

import warnings
from pathlib import Path

from techties.claims.base import CHECKERS, DATA_DIR, Checker, Missing, get_checker, register

# the built-in checkers register themselves on import (any import of techties.claims.* runs this)
from techties.claims import checkers  # noqa: F401  isort: skip
from techties.claims.catalog import Claim, get_claim, load_catalog
from techties.claims.verdict import REASONS, STATUSES, Figure, Verdict, format_value
from techties.errors import DataWarning
from techties.store import Store


def check_claim(
    store: Store, claim_id: str, *, strict: bool = False, data: Path | None = None
) -> Verdict:
    """Check one claim (by id or number) against the store (see :func:`check_all`)."""
    token = DATA_DIR.set(data)
    try:
        return _check(store, get_claim(claim_id), strict=strict)
    finally:
        DATA_DIR.reset(token)


def check_all(store: Store, *, strict: bool = False, data: Path | None = None) -> list[Verdict]:
    """Check every claim in the catalog.

    ``data`` is the folder of source files for checkers that read outside the store (GE
    baselines; default ``TECHTIES_DATA``). Unless ``strict``, a checker that fails unexpectedly
    gives an ``unverifiable (not_yet)`` verdict naming the error (and a :class:`DataWarning`).
    """
    token = DATA_DIR.set(data)
    try:
        return [_check(store, claim, strict=strict) for claim in load_catalog()]
    finally:
        DATA_DIR.reset(token)


def _check(store: Store, claim: Claim, *, strict: bool) -> Verdict:
    try:
        return get_checker(claim.checker, claim_id=claim.id).check(store)
    except Exception as exc:
        if strict:
            raise
        warnings.warn(f"checker {claim.checker!r} failed: {exc!r}", DataWarning, stacklevel=3)
        v = Verdict.unverifiable(
            claim.id, "not_yet", f"the evidence layer failed: {type(exc).__name__}: {exc}"
        )
        v.title = claim.paraphrase
        v.method = get_checker(claim.checker, claim_id=claim.id).method
        return v


__all__ = [
    "CHECKERS",
    "REASONS",
    "STATUSES",
    "Checker",
    "Claim",
    "Figure",
    "Missing",
    "Verdict",
    "check_all",
    "check_claim",
    "format_value",
    "get_checker",
    "get_claim",
    "load_catalog",
    "register",
]
