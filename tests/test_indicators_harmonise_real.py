"""HS harmonisation on the real store, which holds two tables for the same vintage pair."""

from __future__ import annotations

import pytest

from techties.indicators.shares import partner_shares
from techties.store import Store

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
BN = 1e9


def test_harmonised_hs_values_are_not_counted_twice(real_store: Store) -> None:
    """The store holds two HS2022→HS2017 tables (UN conversion table and the consolidated
    correlation file); harmonising must use one, so totals are preserved: US imports from China
    2024, HS6 Comtrade, USD 462.62 bn as reported (HS2022) and after conversion to HS2017
    (weights sum to 1 per code). Counting both tables gave 925.24 bn."""
    base = dict(reporter="USA", flow="import", source="comtrade", classification="HS", level=6)
    asis = partner_shares(real_store, denominator="partners", **base).tidy()
    conv = partner_shares(real_store, denominator="partners", hs_vintage="HS2017", **base).tidy()
    for t in (asis, conv):
        v = t[(t["partner"] == "CHN") & (t["year"] == 2024)]["value_usd"].sum() / BN
        assert v == pytest.approx(462.62, abs=0.01)
