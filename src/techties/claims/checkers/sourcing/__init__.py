"""Checkers on where US imports and China's inputs come from: rerouting through third
countries (claim 4) and China's reliance on imported inputs (claim 2).

Both read the OECD ICIO 2023 sectoral trade cubes (``trade-ge-baseline/icio2023-tariffwar``,
source ``icio_tariffwar``, through :func:`techties.simulation.baselines.load_icio_flows`) and,
for claim 2, the ICIO-based input–output and value-added shares of
``trade-ge-baseline/ruv-icio2021-14sec`` (source ``ruv_icio``). Like US imports by HS6 product,
the Section 301 lists and the WIOD value-added rows, they come from the store, and the verdicts
list the provenance ids of every row they used.

Claim 4 — *decoupling has not cut trade with China; it has been rerouted* — is a conjunction of
three tests, fixed before the data were looked at:

(a) **not cut**: China's goods reaching the US directly *and* through the connectors (Vietnam,
    Mexico) rose from 2017 to the last ICIO year (2022)::

        reach[t] = X[CHN→USA, t] + Σ_c X[CHN→c, t] · u[c, t],
        u[c, t]  = X[c→USA, t] / Σ_j X[c→j, t]           (goods; j includes c itself)

    i.e. China's exports to a connector are attributed to the US in proportion to the US share of
    the connector's goods sales (proportionality assumption). Supported if the change is ≥ 0 %,
    contradicted if ≤ −10 %.
(b1) **the connectors' US sales grew because of the tariffs**: growth of the connectors' US sales
    2017→2024 in the Section 301-listed HS6 products minus the growth in unlisted products (the
    comparator), in pp, with a 90 % bootstrap interval over products; products harmonised to
    HS2017 so the HS2022 renumbering is not read as China falling to zero. Supported if the whole
    interval is ≥ +10 pp, contradicted if ≤ 0 pp.
(b2) **the connectors' growth is linked to inputs from China**: China's goods exports to the
    connectors against its exports to other destinations, ``y_t = 100·(ln X[CHN→conn] −
    ln X[CHN→others])``, the 2022 gap to the 2014–2017 trend with its 90 % prediction interval
    (models.breaks.pre_trend_gap). Supported if the whole interval is ≥ +10 log points,
    contradicted if ≤ 0.

Claim 2 — *China's high-technology exports depend on imported inputs, a good part of which come
from the US* — is a conjunction of two observed accounting numbers:

(A) the foreign value-added share of China's electronics exports (ICIO sector group D26–D27,
    computers, electronic and electrical equipment), single-country Hummels–Ishii–Yi measure::

        A[k, s] = (1 − β_s) · io[k, s];  d_k = China's domestic share of its use of k (ICIO)
        FVA_s   = [1' (A ∘ (1 − d)) (I − A ∘ d)⁻¹]_s

    supported if ≥ 15 %, contradicted if < 10 %;
(B) the US share of China's imports of computer and electronic goods (ICIO C26, intermediate and
    final use together — the cube does not split them), latest year: supported if ≥ 10 %,
    contradicted if < 5 %.

Layout: :mod:`.inputs` (the ICIO and input–output tables), :mod:`._common` (shared
helpers), and one module per claim: :mod:`.reliance` (claim 2), :mod:`.rerouting` (claim 4).
"""

from __future__ import annotations

from techties.claims.checkers.sourcing import (  # noqa: F401
    _common,
    inputs,
    reliance,
    rerouting,
)
from techties.claims.checkers.sourcing.inputs import (  # noqa: F401
    RUV_ELECTRONICS,
    RUV_MAP,
    RUV_SECTORS,
    SERVICES,
    Icio,
    RuvChina,
    load_icio,
    load_ruv_china,
)
from techties.claims.checkers.sourcing.reliance import (  # noqa: F401
    COMPONENTS,
    ELECTRONICS,
    ELECTRONICS_WIDE,
    FVA_CONTRA,
    FVA_LOAD,
    FVA_SUPPORT,
    US_CONTRA,
    US_SUPPORT,
    WIOD_ELECTRONICS,
    ChinaImportReliance,
    fva_share,
    us_input_share,
    us_share,
)
from techties.claims.checkers.sourcing.rerouting import (  # noqa: F401
    ALL_CONNECTORS,
    CONNECTORS,
    DRAWS,
    HARMONISE_TO,
    ICIO_END,
    ICIO_FIRST,
    LEVEL,
    LINK_CONTRA,
    LINK_SUPPORT,
    LIST_VINTAGE,
    LISTED_CONTRA,
    LISTED_SUPPORT,
    LISTS_301,
    MACHINERY,
    REACH_CONTRA,
    REACH_SUPPORT,
    REROUTE_END,
    SEED,
    Panel,
    Rerouting,
    china_reach,
    link_series,
    listed_gap,
)
