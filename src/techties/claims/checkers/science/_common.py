"""Constants and helpers shared by the science checkers (claims 3, 5, 10 and 14)."""

from __future__ import annotations

from typing import Any

from techties.claims.rules import Decision
from techties.claims.verdict import Verdict
from techties.models.breaks import LEVEL

LOAD_WDI = "ingest the WDI indicator files (tech-wdi/) with `techties report --data DIR`"
LOAD_NCSES = "ingest the NCSES tables (tech-science/, tech-mne/) with `techties report --data DIR`"
LOAD_OPENALEX = "ingest tech-science/openalex/WrldCo_years.zip with `techties report --data DIR`"
CI = f"{LEVEL:.0%} CI, OLS trend break"
COUNTRY_NAMES = {
    "CHN": "China",
    "HIC": "high-income countries",
    "USA": "United States",
    "WLD": "world",
    "OED": "OECD members",
    "EUU": "European Union",
    "KOR": "Korea",
    "JPN": "Japan",
    "DEU": "Germany",
}


def _name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def _verdict(
    claim_id: str, decision: Decision, **fields: Any
) -> Verdict:  # a tiny alias keeps call sites short
    return Verdict.decided(claim_id, decision, **fields)
