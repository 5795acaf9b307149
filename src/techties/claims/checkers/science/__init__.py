"""Checkers on science, R&D, doctorates, multinational activity and research exchanges (the
``indicators`` table): claims 3, 5, 10 and 14.

Each verdict is about the claim as the debate states it. Where the staged data measure only a
proxy (activity for "gain", degrees awarded for "candidates", flows for "benefit"), the decisive
test has no estimate and says what is missing (→ unverifiable, ``no_data``); the proxy's direction
is reported in the rationale, the evidence for and against, the figures and the robustness panel
(rows named "proxy: …", which never change an unverifiable verdict). The effect claim (claim 5)
is tested against a counterfactual: a trend break at the policy date, the same break on the gap
to comparators (difference-in-differences in trends) and placebo break dates.

Layout: :mod:`._common` (shared constants and helpers) and one module per claim:
:mod:`.mne` (claim 3), :mod:`.rd_pace` (claim 5), :mod:`.doctorates` (claim 10),
:mod:`.exchanges` (claim 14).
"""

from __future__ import annotations

from collections.abc import Sequence

from techties.claims.checkers.science import (  # noqa: F401
    _common,
    doctorates,
    exchanges,
    mne,
    rd_pace,
)
from techties.claims.checkers.science._common import (  # noqa: F401
    CI,
    COUNTRY_NAMES,
    LOAD_NCSES,
    LOAD_OPENALEX,
    LOAD_WDI,
)
from techties.claims.checkers.science.doctorates import (  # noqa: F401
    DOCTORATE_GAP_PCT,
    DOCTORATE_MISSING,
    DOCTORATES,
    DOCTORATES_S2,
    DOCTORATES_S2_SE,
    DOCTORATES_SE,
    Doctorates,
)
from techties.claims.checkers.science.exchanges import (  # noqa: F401
    BENEFIT_CN_MISSING,
    BENEFIT_US_MISSING,
    COAUTHORED,
    COLLAB_CONTRADICT_PCT,
    COLLAB_EARLY,
    COLLAB_SUPPORT_PCT,
    COLLAB_YEAR,
    IP_BASE,
    IP_BASE_ALT,
    IP_GROWTH_PCT,
    IP_PAYMENTS,
    IP_RECEIPTS,
    OPENALEX_PAIR,
    TOP1PCT,
    ResearchExchanges,
)
from techties.claims.checkers.science.mne import (  # noqa: F401
    BERD_COMPARABLE_FROM,
    MNE_EMPLOYMENT,
    MNE_GROWTH_PCT,
    MNE_MISSING,
    MNE_RD,
    MNE_RD_EMPLOYMENT,
    MneActivityChina,
)
from techties.claims.checkers.science.rd_pace import (  # noqa: F401
    PATENT_ACCEL_LOG,
    PATENT_OUTCOME,
    PATENTS_RESIDENT,
    RD_ACCEL_PP,
    RD_COMPARATOR,
    RD_COMPARATORS,
    RD_INTENSITY,
    RD_LAST_PRE,
    RD_OUTCOME,
    RD_PLACEBO_DATES,
    RD_PRE,
    RD_START,
    ChinaRdPace,
)

__all__: Sequence[str] = (
    "ChinaRdPace",
    "Doctorates",
    "MneActivityChina",
    "ResearchExchanges",
)
