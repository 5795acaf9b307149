"""Checking the catalog's claims against the store: one claim, or all of them with the verdicts
kept until anything they depend on changes (:mod:`techties.claims.kept`)."""

from __future__ import annotations

import warnings

from techties.claims import base
from techties.claims.base import Checker
from techties.claims.catalog import Claim, get_claim, load_catalog
from techties.claims.kept import keep_verdicts, read_kept
from techties.claims.listing import verdicts_key
from techties.claims.shared import sharing
from techties.claims.verdict import Verdict
from techties.errors import DataWarning
from techties.store import Store


def load_checkers() -> None:
    """Register the built-in checkers (they register when their package is imported). Done on
    first need, so reading kept verdicts imports none of the analysis layers behind them."""
    from techties.claims import checkers  # noqa: F401


def get_checker(name: str, *, claim_id: str | None = None) -> Checker:
    """:func:`techties.claims.base.get_checker` once the built-in checkers are registered."""
    load_checkers()
    return base.get_checker(name, claim_id=claim_id)


def check_claim(store: Store, claim_id: str, *, strict: bool = False) -> Verdict:
    """Check one claim (by id or number) against the store (see :func:`check_all`)."""
    return _check(store, get_claim(claim_id), strict=strict)


def check_all(store: Store, *, strict: bool = False) -> list[Verdict]:
    """Check every claim in the catalog against the store (checkers read nothing else).

    Unless ``strict``, a checker that fails unexpectedly gives an ``unverifiable (not_yet)``
    verdict naming the error (and a :class:`DataWarning`), and the verdicts of an earlier check
    are read back when nothing they depend on has changed (:mod:`techties.claims.kept`).
    """
    if strict:
        return _check_every(store, strict=True)
    kept = read_kept(store, verdicts_key(store))
    if kept is not None:
        return kept
    with warnings.catch_warnings(record=True) as caught:
        verdicts = _check_every(store, strict=False)
    for w in caught:  # shown as they would have been; a check that warned is not kept
        warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)
    if not caught:
        keep_verdicts(store, verdicts_key(store), verdicts)  # the model results it cached
    return verdicts


def _check_every(store: Store, *, strict: bool) -> list[Verdict]:
    with sharing():  # evidence several checkers read is built once (techties.claims.shared)
        return [_check(store, claim, strict=strict) for claim in load_catalog()]


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
