"""Checkers on US firms' production in China (claim 6) and on US dependence on China for
technology goods (claim 12), each against a counterfactual.

Claim 6 ("restrictions pushed US firms to move production out of China") is about firms, not
about where imports are shipped from. Its direct measure is the employment of US companies in
China (NCSES foreign-employment tables, 2018–2022), set against the same companies' employment
in their other locations (a difference in growth: what would have happened without a push is
taken to be the growth elsewhere). China's share of US imports is a proxy (country of origin, not
ownership) and is shown for and against the claim, never decisive.

Claim 12 ("tariffs reduced US dependence on China for critical technology goods") is a
conjunction of two tests: (A) China's share of US imports of computer and electronic products
(NAICS 334, Census monthly, world total) in the latest full year against its 2013–2017 trend
projected forward (prediction interval), and (B) a difference-in-differences between
Section 301-listed and unlisted technology products (HS6, China's share among the staged
suppliers, heading-clustered bootstrap interval): the fall must be below the old trend *and*
larger where the tariffs hit.

Layout: :mod:`._common` (shared constants), :mod:`.shares` (China's share of US imports
and its pre-trend gap), :mod:`.hs6_did` (the listed-vs-unlisted difference-in-differences),
and one module per claim: :mod:`.production` (claim 6), :mod:`.dependence` (claim 12).
"""

from __future__ import annotations

from collections.abc import Sequence

from techties.claims.checkers.trade import (  # noqa: F401
    _common,
    dependence,
    hs6_did,
    production,
    shares,
)
from techties.claims.checkers.trade._common import (  # noqa: F401
    AGGREGATES,
    BASE_YEAR,
    DEP_CONTRA_PP,
    DEP_SUPPORT_PP,
    LEVEL,
    LOAD_FLOWS,
    PRE_START,
)
from techties.claims.checkers.trade.dependence import (  # noqa: F401
    ALT_GROUPS,
    TECH_GROUP,
    TECH_PRODUCTS,
    TechDependence,
    panel_first,
)
from techties.claims.checkers.trade.hs6_did import (  # noqa: F401
    BOOT_DRAWS,
    BOOT_SEED,
    Did,
    Hs6Panel,
    did_estimate,
    did_test,
    hs6_panel,
)
from techties.claims.checkers.trade.production import (  # noqa: F401
    ASIA,
    COMPARATORS,
    LOAD_NCSES,
    MNE_EMPLOYMENT,
    MNE_FIRST,
    MNE_RD,
    MOVE_CONTRA,
    MOVE_SUPPORT,
    UNDISTRIBUTED,
    SupplierShift,
    mne_frame,
    move_test,
    relative_growth,
)
from techties.claims.checkers.trade.shares import (  # noqa: F401
    ShareSeries,
    china_share,
    gap_test,
    us_import_source,
)

__all__: Sequence[str] = (
    "BASE_YEAR",
    "LOAD_FLOWS",
    "SupplierShift",
    "TechDependence",
)
