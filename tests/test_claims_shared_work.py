"""Work the checkers share (rows read once for several groups or list sets, bootstrap results
kept per panel) gives exactly what building each piece on its own gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from techties.claims.checkers.sourcing import _panels as pn
from techties.claims.checkers.sourcing import rerouting as rr
from techties.claims.checkers.trade import hs6_did
from techties.indicators.concordance import load_groups
from techties.store import Store


def _lambda_filter(
    codes: pd.Series, prefixes: tuple[str, ...], exclude: tuple[str, ...]
) -> pd.Series:
    """The per-row filter the vectorised ``in_group`` replaced."""
    return codes.map(
        lambda c: (
            any(c.startswith(p) for p in prefixes) and not any(c.startswith(x) for x in exclude)
        )
    ).astype(bool)


def test_in_group_equals_the_per_row_filter_on_generated_codes() -> None:
    rng = np.random.default_rng(7)
    codes = pd.Series(
        [f"{n:06d}" for n in rng.integers(0, 999_999, 5_000)] + ["8541", "854140", "85", ""],
        dtype="str",
    )
    cases = [(("85",), ()), (("8541", "8542", "9030"), ("854140",)), ((), ()), (("",), ("85",))]
    cases += [(tuple(g.codes), tuple(g.exclude)) for g in load_groups().values()]
    for prefixes, exclude in cases:
        got = hs6_did.in_group(codes, prefixes, exclude)
        want = _lambda_filter(codes, prefixes, exclude)
        assert got.dtype == bool and got.index.equals(want.index)
        assert got.tolist() == want.tolist(), (prefixes, exclude)


def _same_panel(a: hs6_did.Hs6Panel, b: hs6_did.Hs6Panel) -> None:
    pd.testing.assert_frame_equal(a.cells, b.cells, check_exact=True)
    assert (a.partners, a.source, a.group, a.provenance_ids, a.products, a.listed_products) == (
        b.partners, b.source, b.group, b.provenance_ids, b.products, b.listed_products
    )  # fmt: skip


def test_hs6_panels_from_shared_rows_equal_panels_built_alone(real_store: Store) -> None:
    rows = hs6_did.hs6_rows(real_store)
    before = rows[1].copy()
    for group in load_groups():
        try:
            alone = hs6_did.hs6_panel(real_store, group)
        except rr.Missing:
            with pytest.raises(rr.Missing):
                hs6_did.hs6_panel(real_store, group, rows=rows)
            continue
        _same_panel(hs6_did.hs6_panel(real_store, group, rows=rows), alone)
    pd.testing.assert_frame_equal(rows[1], before)  # the shared rows are left as they were


def _close(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(np.isclose(a[k], b[k], rtol=1e-12, atol=0) for k in a)


def test_rerouting_panels_and_gaps_shared_equal_those_built_alone(real_store: Store) -> None:
    """A product panel sums rows in the order DuckDB returns them, so two builds of the same
    panel agree to the last bits only up to summation order (checked: 1e-12 relative)."""
    years = sorted({2015, 2016, rr.BASE_YEAR, 2018, 2023, rr.REROUTE_END})
    shared = rr._Panels(real_store, years)
    for hs, measures in [(rr.HARMONISE_TO, rr.LISTS_301), (rr.HARMONISE_TO, rr.LISTS_301[:3]),
                         ("HS2022", rr.LISTS_301), (None, rr.LISTS_301)]:  # fmt: skip
        got = shared(hs, measures)
        alone = pn._panel(real_store, pn._products(real_store, years, hs), hs_vintage=hs,
                          measures=measures)  # fmt: skip
        pd.testing.assert_frame_equal(got.values, alone.values, check_exact=False, rtol=1e-12)
        pd.testing.assert_series_equal(got.listed, alone.listed, check_exact=True)
        assert (got.ids, got.source, got.notes) == (alone.ids, alone.source, alone.notes)
        assert got.values is shared(hs, rr.LISTS_301).values  # one product panel per vintage
        for connectors, t0, t1 in [(rr.CONNECTORS, rr.BASE_YEAR, rr.REROUTE_END),
                                   (("VNM",), 2018, 2023), (rr.CONNECTORS, 2015, rr.BASE_YEAR)]:  # fmt: skip
            first = rr.listed_gap(got, connectors, t0, t1)
            kept = dict(first)
            first["estimate"] = -1.0  # a caller changing its copy changes nothing kept
            assert rr.listed_gap(got, connectors, t0, t1) == kept
            assert _close(kept, rr.listed_gap(alone, connectors, t0, t1))
            got.gaps.clear()  # computed again on the same panel: the same numbers exactly
            assert rr.listed_gap(got, connectors, t0, t1) == kept
    assert len(shared.products) == 3


def test_product_rows_read_once_are_left_as_they_were(real_store: Store) -> None:
    years = sorted({2015, 2016, rr.BASE_YEAR, 2018, 2023, rr.REROUTE_END})
    shared = rr._Panels(real_store, years)
    shared(rr.HARMONISE_TO)
    assert shared.rows is not None
    before = shared.rows.copy()
    shared("HS2022"), shared(None)
    pd.testing.assert_frame_equal(shared.rows, before, check_exact=True)


def test_shared_builds_once_inside_sharing_and_every_time_outside(store: Store) -> None:
    from techties.claims.shared import shared, sharing

    calls: list[int] = []

    def build() -> list[int]:
        calls.append(1)
        return [len(calls)]

    assert shared(store, "k", build) == [1] and shared(store, "k", build) == [2]
    with sharing():
        first = shared(store, "k", build)
        with sharing():  # a nested block shares the outer one
            assert shared(store, "k", build) is first
        assert shared(store, "other", build) == [4] and len(calls) == 4

        def fails() -> list[int]:
            calls.append(1)
            raise ValueError("no")

        for _ in range(2):  # a failed build is not kept: built (and failing) again
            with pytest.raises(ValueError):
                shared(store, "bad", fails)
        assert len(calls) == 6
    assert shared(store, "k", build) == [7]  # the block ended: nothing kept


def test_the_icio_is_read_once_per_run_and_cannot_be_changed(real_store: Store) -> None:
    from techties.claims.checkers.sourcing import inputs
    from techties.claims.shared import icio_flows, sharing
    from techties.simulation.baselines import icio_datasets

    fresh = inputs.load_icio(real_store)
    with sharing():
        icio, why, ids = inputs.icio_or_why(real_store)
        again = inputs.icio_or_why(real_store)[0]
        cubes = {icio_flows(real_store, d).year: icio_flows(real_store, d).flows
                 for d in icio_datasets(real_store)}  # fmt: skip
    assert assert_same_objects(cubes, icio.flows)
    assert why == "" and icio is again and ids == list(fresh.provenance_ids)
    assert sorted(icio.flows) == sorted(fresh.flows)
    for year, cube in icio.flows.items():
        assert np.array_equal(cube, fresh.flows[year]) and not cube.flags.writeable
        with pytest.raises(ValueError):
            cube[0, 0, 0] = 1.0
    assert inputs.icio_or_why(real_store)[0] is not icio  # outside a run: read again


def assert_same_objects(a: dict[int, np.ndarray], b: dict[int, np.ndarray]) -> bool:
    """Claim 8's per-dataset cubes are the very arrays claims 2 and 4 read (one read a run)."""
    return sorted(a) == sorted(b) and all(a[k] is b[k] for k in a)
