"""Constants and helpers shared by the trade checkers (claims 6 and 12); ``BASE_YEAR`` and
``LOAD_FLOWS`` are also used by the sourcing checkers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from techties.claims.base import Missing
from techties.errors import TechtiesError

#: base year of before/after comparisons elsewhere (the sourcing checkers import it); here the last
#: pre-tariff year of the pre-trend and of the difference-in-differences
BASE_YEAR = 2017
LOAD_FLOWS = "ingest US import flows (trade-flows/) with `techties report --data DIR`"
#: partner codes that are groups, not suppliers
AGGREGATES = ("WLD", "EUN", "USMCA", "EU", "OTH")
#: two-sided level of every interval here
LEVEL = 0.90
#: supported when the whole interval is at or below −3 pp, contradicted when it is above −1 pp
DEP_SUPPORT_PP, DEP_CONTRA_PP = -3.0, -1.0
#: first year of the pre-trend fit (Census NAICS monthly starts in 2013)
PRE_START = 2013


def _try(fn: Callable[[], Any]) -> tuple[Any, str]:
    """``(fn(), "")``, or ``(None, why)`` when the evidence is missing."""
    try:
        return fn(), ""
    except Missing as m:
        return None, m.what
    except TechtiesError as exc:
        return None, exc.message
