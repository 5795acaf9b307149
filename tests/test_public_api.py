"""The public API: ``import techties`` re-exports exactly these names, each usable as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

import techties
from conftest import FIXTURES

#: China's effective duty rate in the Census fixture, by hand: CAL_DUT_YR / CON_VAL_YR summed
#: over its two lines (0 + 1,299 USD) / (1,000,000 + 17,300 USD)
CHN_RATE = 1_299 / 1_017_300

PUBLIC = [
    "DataWarning",
    "GravitySpec",
    "Result",
    "Selection",
    "Store",
    "TechtiesError",
    "Verdict",
    "__version__",
    "check",
    "check_all",
    "compare",
    "fit_gravity",
    "indicator",
    "ingest",
    "ingest_folder",
    "load_catalog",
    "open_store",
    "simulate",
]


def test_all_is_exact_and_sorted() -> None:
    assert techties.__all__ == PUBLIC == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(techties, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'opn_store'"):
        _ = techties.opn_store  # type: ignore[attr-defined]


def test_a_notebook_session_uses_only_the_public_api(tmp_path: Path) -> None:
    store = techties.open_store(tmp_path / "nb.duckdb")
    try:
        results = techties.ingest(store, "census", FIXTURES / "census" / "imports-hs10-2024.json")
        assert results and results[0].rows > 0
        # the same file again is skipped by its sha256, nothing is written twice
        again = techties.ingest(store, "census", [FIXTURES / "census" / "imports-hs10-2024.json"])
        assert all(r.skipped for r in again)
        v = techties.check("tariffs-cut-dependence", store=store)
        assert isinstance(v, techties.Verdict) and v.claim_id == "tariffs-cut-dependence"
        assert v.status in ("supported", "contradicted", "mixed", "unverifiable")
        html = v._repr_html_()
        assert html.startswith("<p><strong>") and "<table" in html
        # indicators: the registry, and one computed through it
        names = [i.name for i in techties.indicators.indicators()]
        assert {"duty-rate", "share", "concentration"} <= set(names)
        sel = techties.Selection(source="census", level=0)
        rate = techties.indicator("duty_rate", store, selection=sel)
        by_partner = rate.tidy().set_index("partner")["duty_rate"]
        expected = store.df(
            "SELECT partner, sum(duties_usd) / sum(value_usd) AS r FROM trade_flows "
            "WHERE duties_usd IS NOT NULL GROUP BY 1"
        ).set_index("partner")["r"]
        assert by_partner.sort_index().tolist() == pytest.approx(expected.sort_index().tolist())
        assert by_partner["CHN"] == pytest.approx(CHN_RATE, rel=1e-9)
        with pytest.raises(techties.TechtiesError, match="Did you mean 'duty-rate'"):
            techties.indicator("duty-rates", store)
        claims = techties.load_catalog()
        assert len(techties.check_all(store=store)) == len(claims)
    finally:
        store.close()


def test_simulate_by_name_says_which_names_exist() -> None:
    with pytest.raises(techties.TechtiesError, match="neither a file nor a library scenario"):
        techties.simulate("uschina_escalaton")
