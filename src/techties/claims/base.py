"""Checkers: small classes registered by name, each turning store evidence into a :class:`Verdict`.

A checker implements :meth:`Checker.evaluate`. It gathers evidence by calling the layers
(indicators, models, simulation) or by querying canonical store tables, and applies its rule with
the thresholds stated in the catalog. When a layer has not landed it raises :class:`Missing` with
reason ``not_yet``; when the store cannot answer, ``no_data`` — :meth:`Checker.check` turns both
into an ``unverifiable`` verdict that says what evidence is missing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from techties.claims.catalog import Claim, get_claim
from techties.claims.verdict import Reason, Verdict
from techties.errors import NoDataError, TechtiesError, UnknownNameError, did_you_mean
from techties.store import Store

CHECKERS: dict[str, type[Checker]] = {}
class Missing(Exception):
    """Evidence a checker needs is not available (``reason`` is ``not_yet`` or ``no_data``)."""

    def __init__(self, reason: Reason, what: str, *, method: str = "") -> None:
        super().__init__(what)
        self.reason: Reason = reason
        self.what = what
        self.method = method


def register(cls: type[Checker]) -> type[Checker]:
    """Class decorator adding a checker to :data:`CHECKERS` under ``cls.name``."""
    CHECKERS[cls.name] = cls
    return cls


def get_checker(name: str, *, claim_id: str | None = None) -> Checker:
    """The checker registered as ``name``; a generic checker (one class for many catalog entries,
    such as ``out_of_scope``) is bound to ``claim_id``."""
    if name not in CHECKERS:
        raise UnknownNameError(f"No checker named {name!r}.", hint=did_you_mean(name, CHECKERS))
    cls = CHECKERS[name]
    if cls.generic and claim_id is not None:
        cls = type(cls.__name__, (cls,), {"claim_id": claim_id})
    return cls()


class Checker(ABC):
    """Base of every checker: ``check(store) -> Verdict``."""

    name: ClassVar[str]
    claim_id: ClassVar[str]
    #: the method in two sentences (query or model spec); shown in the report
    method: ClassVar[str] = ""
    #: True for a checker shared by several catalog entries (bound by ``get_checker``)
    generic: ClassVar[bool] = False

    @property
    def claim(self) -> Claim:
        return get_claim(self.claim_id)

    def check(self, store: Store) -> Verdict:
        """Evaluate the claim on ``store``; missing evidence gives an honest ``unverifiable``."""
        try:
            verdict = self.evaluate(store)
        except Missing as m:
            verdict = Verdict.unverifiable(
                self.claim_id, m.reason, m.what, method=m.method or self.method
            )
        except NoDataError as exc:
            verdict = Verdict.unverifiable(self.claim_id, "no_data", _said(exc), method=self.method)
        except TechtiesError as exc:  # a layer refused the inputs: say so, never guess
            verdict = Verdict.unverifiable(
                self.claim_id, "no_data", f"{type(exc).__name__}: {_said(exc)}", method=self.method
            )
        verdict.title = self.claim.paraphrase + (
            " (model result)" if verdict.kind == "modelled" else ""
        )
        if not verdict.method:
            verdict.method = self.method
        return verdict

    @abstractmethod
    def evaluate(self, store: Store) -> Verdict:
        """Gather evidence and apply the rule (raise :class:`Missing` when evidence is absent)."""


def _said(exc: TechtiesError) -> str:
    return exc.message if not exc.hint else f"{exc.message} ({exc.hint})"


# -- helpers shared by checkers -------------------------------------------------------------
def require_table(store: Store, table: str, *, needed_for: str, loaded_by: str) -> None:
    """Raise ``not_yet`` if the table does not exist, ``no_data`` if it is empty."""
    if not store.has_table(table):
        raise Missing("not_yet", f"the store has no {table!r} table yet ({needed_for}).")
    if store.count(table) == 0:
        raise Missing("no_data", f"the {table!r} table is empty ({needed_for}); {loaded_by}.")


def provenance_of(
    store: Store, table: str, where: str = "TRUE", params: Sequence[Any] = ()
) -> list[int]:
    """Distinct provenance ids of the rows of ``table`` matching ``where``."""
    ids = store.df(
        f'SELECT DISTINCT provenance_id FROM "{table}" WHERE {where} ORDER BY 1', list(params)
    )
    return [int(i) for i in ids["provenance_id"]]


def pct_change(new: float, old: float) -> float:
    """Percentage change ``100 (new − old) / old``."""
    if old == 0:
        return float("nan")
    return 100.0 * (new - old) / old
