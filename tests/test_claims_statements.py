"""Claims 15–19: China catching up (rule on small stores and on the real data), personnel
exchanges, and the sentences listed as out of scope."""

from __future__ import annotations

import pytest

from techties.claims import check_claim, load_catalog
from techties.claims.checkers import statements
from techties.store import Store
from test_claims_helpers import indicators, need_table, write_rows


def _catchup(store: Store, chn_gerd_late: float, chn_top_late: float) -> None:
    need_table(store, "indicators")
    gerd = {("CHN", 2010): 200.0, ("USA", 2010): 400.0, ("CHN", 2021): chn_gerd_late,
            ("USA", 2021): 800.0}  # fmt: skip
    top = {("CHN", 2010): 0.5, ("USA", 2010): 2.0, ("CHN", 2020): chn_top_late,
           ("USA", 2020): 2.0}  # fmt: skip
    write_rows(
        store, "indicators", indicators(statements.GERD, gerd) + indicators(statements.TOP1, top)
    )


@pytest.mark.parametrize(
    ("gerd", "top", "status"),
    [
        # China/US: GERD 50 % → 75 %, top-1 % 25 % → 50 %: both +25 points
        (600.0, 1.0, "supported"),
        # GERD 50 % → 45 % (fell): one part contradicts the conjunction
        (360.0, 1.0, "contradicted"),
        # GERD 50 % → 52.5 % (+2.5 points, under the 5-point threshold): mixed
        (420.0, 1.0, "mixed"),
    ],
)
def test_catch_up_rule(store: Store, gerd: float, top: float, status: str) -> None:
    _catchup(store, gerd, top)
    v = check_claim(store, "china-catching-up", strict=True)
    assert v.status == status, v.summary()
    assert v.kind == "observed"
    assert v.figure("top1_change") == pytest.approx(25.0)
    assert v.robustness["spec"].iloc[0] == "main specification"


def test_catch_up_fragile_when_the_threshold_moves(store: Store) -> None:
    # GERD +6 points: supported at 5, not at 7.5 (thresholds × 1.5) → mixed (fragile)
    _catchup(store, 448.0, 1.0)
    v = check_claim(store, "china-catching-up", strict=True)
    assert (v.decision.main_status, v.status, v.fragile) == ("supported", "mixed", True)  # type: ignore[union-attr]
    assert v.label == "mixed (fragile)"
    moved = v.robustness.set_index("spec")["status"]
    assert moved["thresholds × 1.5 (further from neutral)"] == "mixed"


def test_out_of_scope_sentences_say_why(store: Store) -> None:
    out = [c for c in load_catalog() if c.checker == "out_of_scope"]
    assert [c.number for c in out] == [16, 17, 19]
    for c in out:
        v = check_claim(store, c.id, strict=True)
        assert (v.status, v.reason) == ("unverifiable", "out_of_scope")
        assert v.missing == c.rule
        assert c.rule.startswith(("Not testable", "A policy recommendation"))


@pytest.mark.realdata
@pytest.mark.slow
def test_catch_up_on_the_real_data(real_store: Store) -> None:
    v = check_claim(real_store, "china-catching-up", strict=True)
    # NCSES SRD-1: China 212.16 / US 408.5 (2010) → 667.64 / 806.01 (2021), PPP USD bn
    assert v.figure("gerd_change") == pytest.approx(
        100 * (667.64 / 806.01 - 212.16 / 408.5), abs=1e-6
    )
    # NCSES SPBS-54: China 0.46 / US 1.84 (2010) → 1.09 / 1.41 (2020)
    assert v.figure("top1_change") == pytest.approx(100 * (1.09 / 1.41 - 0.46 / 1.84), abs=1e-6)
    assert v.status == "supported" and not v.fragile
    specs = v.robustness.set_index("spec")["status"]
    assert specs["5-year window"] == "supported"
    assert specs["20-year window"] == "unverifiable"  # SPBS-54 starts in 2003


@pytest.mark.realdata
@pytest.mark.slow
def test_personnel_exchanges_are_unverifiable_with_the_stay_rate(real_store: Store) -> None:
    v = check_claim(real_store, "personnel-exchanges-benefit", strict=True)
    assert (v.status, v.reason) == ("unverifiable", "no_data")
    # NCSES 2-8: 43,902 Chinese recipients 2017–23, 78.5 % intending to stay
    assert v.figure("stay_pct") == pytest.approx(78.5)
    assert v.figure("stay_n") == pytest.approx(43_902)
    assert v.evidence_for and v.evidence_against
