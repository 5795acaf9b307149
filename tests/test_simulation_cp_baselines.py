"""Baseline builders: a synthetic MRIO → Caliendo–Parro baseline; ICIO/WIOD cubes for checks."""

from __future__ import annotations

import numpy as np
import pytest

from techties.errors import ConfigError
from techties.simulation.baselines import baseline_from_mrio, icio_datasets, load_icio_flows
from techties.simulation.caliendo_parro import solve_caliendo_parro
from techties.store import Store


def _mrio(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, s = 3, 2
    z = rng.uniform(1, 10, (n * s, n * s))
    z[np.kron(np.eye(n), np.ones((s, s))) > 0] *= 8  # home bias in inputs
    f = rng.uniform(5, 20, (n * s, n))
    f[np.kron(np.eye(n), np.ones((s, 1))) > 0] *= 8
    # value added must be positive: scale intermediate use down relative to output
    return z * 0.4, f


def test_mrio_baseline_is_consistent_and_calibrated() -> None:
    z, f = _mrio()
    tariff = np.full((3, 3, 2), 0.05)
    tariff[np.arange(3), np.arange(3), :] = 0
    raw = baseline_from_mrio(
        z,
        f,
        ("A", "B", "C"),
        ("goods", "services"),
        np.array([4.0, 8.0]),
        tariff=tariff,
        calibrate=False,
    )
    assert np.allclose(raw.pi.sum(axis=1), 1)
    assert np.allclose(raw.beta + raw.gamma.sum(axis=1), 1)
    assert np.allclose(raw.alpha.sum(axis=1), 1)
    assert raw.deficit.sum() == pytest.approx(0, abs=1e-9)
    # gross output of country A, goods = its row sums
    assert raw.value_added[0] == pytest.approx(
        (raw.beta[0] * (z.sum(axis=1) + f.sum(axis=1))[:2]).sum()
    )
    cal = baseline_from_mrio(
        z, f, ("A", "B", "C"), ("goods", "services"), np.array([4.0, 8.0]), tariff=tariff
    )
    zero = solve_caliendo_parro(cal)
    assert np.max(np.abs(zero.w_hat - 1)) < 1e-9
    # a tariff cut by A raises trade: A's imports grow
    tau = cal.tau.copy()
    tau[0, 1:, :] = 1.0
    cut = solve_caliendo_parro(cal, tau).tidy().set_index("country")
    assert cut.loc["A", "imports_change"] > 0


def test_mrio_rejects_negative_cells() -> None:
    z, f = _mrio()
    z[0, 0] = -1
    with pytest.raises(ConfigError, match="non-negative"):
        baseline_from_mrio(z, f, ("A", "B", "C"), ("g", "s"), np.array([4.0, 8.0]))


def test_icio_and_wiod_cubes_match_catalog(real_store: Store) -> None:
    pytest.importorskip("h5py")
    assert "icio2017" in icio_datasets(real_store)
    icio = load_icio_flows(real_store, "icio2017")
    assert (icio.year, len(icio.countries), len(icio.sectors)) == (2017, 81, 28)
    goods = slice(0, 27)
    assert icio.bilateral("CHN", "USA", goods) / 1e3 == pytest.approx(367.8, abs=0.1)
    assert icio.bilateral("USA", "CHN", goods) / 1e3 == pytest.approx(102.9, abs=0.1)
    assert icio.elasticities["FGO"][0] == pytest.approx(2.91)
    wiod = load_icio_flows(real_store, "wiod2014")
    assert wiod.bilateral("CHN", "USA", slice(0, 15)) / 1e3 == pytest.approx(337.0, abs=0.1)
