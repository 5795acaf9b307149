"""Claims as data, checked against the store: the catalog, checkers and verdicts.

>>> from techties.claims import check_all
>>> verdicts = check_all(store)          # one Verdict per claim in the catalog

Names load on first use (as in :mod:`techties`): listing the kept verdicts of a checked store
(:mod:`techties.claims.listing`, ``techties claims``) imports none of the analysis stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from techties._lazy import lazy_names

if TYPE_CHECKING:
    from techties.claims.base import CHECKERS, Checker, Missing, register
    from techties.claims.catalog import Claim, get_claim, load_catalog
    from techties.claims.checking import (
        check_all,
        check_claim,
        get_checker,
        load_checkers,
    )
    from techties.claims.verdict import REASONS, STATUSES, Figure, Verdict, format_value

#: public name → module it lives in
_EXPORTS = {
    "CHECKERS": "techties.claims.base",
    "Checker": "techties.claims.base",
    "Missing": "techties.claims.base",
    "register": "techties.claims.base",
    "Claim": "techties.claims.catalog",
    "get_claim": "techties.claims.catalog",
    "load_catalog": "techties.claims.catalog",
    "check_all": "techties.claims.checking",
    "check_claim": "techties.claims.checking",
    "get_checker": "techties.claims.checking",
    "load_checkers": "techties.claims.checking",
    "REASONS": "techties.claims.verdict",
    "STATUSES": "techties.claims.verdict",
    "Figure": "techties.claims.verdict",
    "Verdict": "techties.claims.verdict",
    "format_value": "techties.claims.verdict",
}


__getattr__ = lazy_names("techties.claims", _EXPORTS, globals())


def __dir__() -> list[str]:
    return __all__


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
    "load_checkers",
    "register",
]
