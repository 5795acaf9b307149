"""Golden test: Advanced Guide ch. 2 application 1, "trade without borders" (2006, σ = 7, DEU).

Procedure of the book (Yotov et al. 2016, TradeWithoutBorder.do): PPML with exporter and importer
fixed effects on 2006 flows incl. domestic ones (ln_DIST, CNTG, INTL_BRDR); the baseline is the
PPML fitted flows; the counterfactual sets INTL_BRDR = 0 (partial effect exp(2.47445) on every
international flow); multiplicative imbalance (E = φY); DEU's price index is the numeraire.
Published outputs: ``trade-agtpa/results/1_TradeWithoutBorder_FULL*`` (catalog 8.5).

Where differences remain. The baseline and the conditional (CDL) results match the book to
≤ 1e-4 pp (exports to 1e-5 relative). The full-endowment (FULL) results differ by up to 0.6 pp in real GDP because the
book's published FULL solution is not an exact equilibrium: its loop stops when factory-gate
prices move by less than a loose tolerance between iterations, and its own flows
``Y E t / (Π P)`` then miss output by up to 0.59 % (HKG) and spending by up to 5 %; world
spending exceeds world output by 0.42 %, which biases every price index by a near-common factor
— our real GDP changes are 1.00057× the book's at the median. Removing that common factor leaves
a median difference of 0.012 pp. Our solution clears every market to 1e-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared
from techties.simulation import solve_from_gravity

pytestmark = pytest.mark.realdata

BOOK_COEF = {"ln_DIST": -0.7912879, "CNTG": 0.6736456, "INTL_BRDR": -2.47445}
TERMS = list(BOOK_COEF)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = pd.read_stata(shared("trade-agtpa", "1_TradeWithoutBorder.dta"))
    # the authors renamed the reference country DEU to ZZZ so Stata drops its importer dummy
    d = d.replace({"exporter": {"ZZZ": "DEU"}, "importer": {"ZZZ": "DEU"}})
    return d[["exporter", "importer", "trade", *TERMS]]


@pytest.fixture(scope="module")
def book() -> pd.DataFrame:
    folder = ("trade-agtpa", "results")
    xls = pd.read_excel(shared(*folder, "1_TradeWithoutBorder_FULL.xls"), engine="openpyxl")
    prod = pd.read_stata(shared(*folder, "1_TradeWithoutBorder_FULL_PROD.dta"))
    cons = pd.read_stata(shared(*folder, "1_TradeWithoutBorder_FULL_CONS.dta"))
    out = xls.set_index("country").join(
        prod.set_index("country")[["Xi_BLN", "Y_FULL", "OMR_FULL", "change_OMR_CDL",
                                   "change_OMR_FULL"]]
    )
    return out.join(cons.set_index("country")[["IMR_FULL", "change_IMR_CDL"]])


@pytest.fixture(scope="module")
def ours(data: pd.DataFrame) -> pd.DataFrame:
    res = solve_from_gravity(data, BOOK_COEF, {"INTL_BRDR": 0}, sigma=7, baseline="fitted",
                             reference="DEU")
    assert res.full.residual <= 1e-10 and res.cdl is not None and res.cdl.residual <= 1e-10
    return res.tidy().set_index("country")


def test_first_stage_ppml_reproduces_the_book_coefficients(data: pd.DataFrame) -> None:
    pf = pytest.importorskip("pyfixest")
    fit = pf.fepois("trade ~ ln_DIST + CNTG + INTL_BRDR | exporter + importer", data=data,
                    vcov="hetero")
    coef = fit.coef()
    for term, value in BOOK_COEF.items():
        assert coef[term] == pytest.approx(value, abs=2e-6)
    # HC1 standard errors; the book's Stata ppml robust SEs are 0.0501494, 0.1073719, 0.1193816
    np.testing.assert_allclose(fit.se()[TERMS], [0.0501494, 0.1073719, 0.1193816], rtol=0.02)


def test_fitted_baseline_and_conditional_results_match_the_book(
    ours: pd.DataFrame, book: pd.DataFrame
) -> None:
    b = book.loc[ours.index]
    assert len(b) == 69
    np.testing.assert_allclose(ours.exports_baseline, b.Xi_BLN, rtol=1e-5)
    # exports up to +1,457 % (HKG): compare levels to 1e-5 (the book's PPML stops near 1e-6)
    np.testing.assert_allclose(1 + ours.exports_cdl_pct / 100, 1 + b.change_Xi_CDL / 100, rtol=1e-5)
    assert (ours.imr_cdl_pct - b.change_IMR_CDL).abs().max() < 1e-4
    assert (ours.omr_cdl_pct - b.change_OMR_CDL).abs().max() < 1e-4


def test_full_endowment_real_gdp_matches_the_book(ours: pd.DataFrame, book: pd.DataFrame) -> None:
    diff = (ours.real_gdp_pct - book.change_rGDP_FULL.loc[ours.index]).abs()
    assert diff.median() <= 0.10  # 0.086 pp
    assert diff.max() <= 0.60  # 0.598 pp (HKG)
    assert ours.real_gdp_pct["NER"] == pytest.approx(71.188, abs=0.15)  # ours 71.28
    assert ours.real_gdp_pct["USA"] == pytest.approx(10.652, abs=0.1)
    assert ours.real_gdp_pct["DEU"] == pytest.approx(24.313, abs=0.1)
    assert ours.real_gdp_pct.idxmin() == "SGP"
    assert ours.real_gdp_pct.mean() == pytest.approx(43.35, abs=0.1)


def test_full_endowment_prices_imr_and_exports_match_the_book(
    ours: pd.DataFrame, book: pd.DataFrame
) -> None:
    b = book.loc[ours.index]
    price = (ours.price_pct - b.change_price_FULL).abs()
    assert price.median() <= 0.10 and price.max() <= 0.50  # 0.076 / 0.460 pp
    imr = (ours.imr_full_pct - b.change_IMR_FULL).abs()
    assert imr.median() <= 0.10 and imr.max() <= 0.90  # 0.082 / 0.829 pp
    # exports change by +20 % … +1,540 %: compare levels, (1 + ours) / (1 + book) − 1
    rel = ((1 + ours.exports_full_pct / 100) / (1 + b.change_Xi_FULL / 100) - 1).abs()
    assert rel.median() <= 0.0025 and rel.max() <= 0.025


def test_book_full_solution_leaves_excess_demand_that_explains_the_gap(
    data: pd.DataFrame, ours: pd.DataFrame, book: pd.DataFrame
) -> None:
    """Rebuild the book's FULL flows from its published Y, Π and P: markets do not clear."""
    labels = list(ours.index)
    wide = {
        v: data.pivot(index="exporter", columns="importer", values=v).loc[labels, labels]
        .to_numpy(dtype=float)
        for v in ["trade", "ln_DIST", "CNTG"]
    }
    t_cfl = np.exp(BOOK_COEF["ln_DIST"] * wide["ln_DIST"] + BOOK_COEF["CNTG"] * wide["CNTG"])
    y0, e0 = wide["trade"].sum(axis=1), wide["trade"].sum(axis=0)
    b = book.loc[labels]
    y_full = b.Y_FULL.to_numpy()
    e_full = e0 / y0 * y_full
    x_full = np.outer(y_full, e_full) * t_cfl / np.outer(b.OMR_FULL, b.IMR_FULL)
    excess = np.abs(x_full.sum(axis=1) / y_full - 1)
    assert excess.max() > 0.005  # 0.59 % for HKG
    assert x_full.sum() / e_full.sum() == pytest.approx(1.0042, abs=2e-4)
    # what remains after the book's common price-index bias is small
    ratio = (1 + ours.real_gdp_pct / 100) / (1 + b.change_rGDP_FULL / 100)
    assert ratio.median() == pytest.approx(1.00057, abs=5e-5)
    adjusted = (1 + ours.real_gdp_pct / 100) / ratio.median() * 100 - 100
    assert (adjusted - b.change_rGDP_FULL).abs().median() <= 0.02
