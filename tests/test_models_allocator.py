"""techties.models.allocator: freed memory kept for reuse during a fit, settings put back after."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from techties.models import allocator
from techties.models.gravity import GravitySpec, fit_gravity


class FakeLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad, 0))
        return 1


def test_settings_change_once_and_are_restored_after_the_outermost_block(monkeypatch) -> None:
    fake = FakeLibc()
    monkeypatch.setattr(allocator, "_libc", fake)
    with allocator.reuse_freed_memory():
        assert fake.calls == [("mallopt", p, v) for p, v in allocator.DURING]
        with allocator.reuse_freed_memory():  # nested: no change
            pass
        assert len(fake.calls) == len(allocator.DURING)
    restored = [("mallopt", p, v) for p, v in allocator.SETTLED] + [("malloc_trim", 0, 0)]
    assert fake.calls[len(allocator.DURING) :] == restored
    assert allocator._depth == 0


def test_settings_are_restored_when_the_block_raises(monkeypatch) -> None:
    fake = FakeLibc()
    monkeypatch.setattr(allocator, "_libc", fake)
    with pytest.raises(ValueError), allocator.reuse_freed_memory():
        raise ValueError("boom")
    assert fake.calls[-1] == ("malloc_trim", 0, 0) and allocator._depth == 0


def test_threads_share_one_change(monkeypatch) -> None:
    fake = FakeLibc()
    monkeypatch.setattr(allocator, "_libc", fake)
    inside, go = threading.Barrier(3), threading.Event()

    def work() -> None:
        with allocator.reuse_freed_memory():
            inside.wait()
            go.wait()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert len(fake.calls) == len(allocator.DURING)  # the second thread changed nothing
    go.set()
    for t in threads:
        t.join()
    assert fake.calls[-1] == ("malloc_trim", 0, 0) and allocator._depth == 0


def test_without_glibc_the_block_does_nothing(monkeypatch) -> None:
    monkeypatch.setattr(allocator, "_libc", False)
    with allocator.reuse_freed_memory():
        assert allocator._depth == 0


def test_a_fit_gives_the_same_numbers_with_and_without_the_allocator_settings(
    monkeypatch,
) -> None:
    rng = np.random.default_rng(5)
    n, years = 40, 5
    e, i, t = (
        a.ravel() for a in np.meshgrid(*(np.arange(k) for k in (n, n, years)), indexing="ij")
    )
    import pandas as pd

    d = pd.DataFrame(
        {
            "exporter": e,
            "importer": i,
            "year": 2000 + t,
            "rta": ((rng.random((n, n)) < 0.3)[e, i] & (t > 2)).astype(float),
            "lnd": np.log1p(np.abs(e - i)) + rng.normal(0, 0.1, e.size),
        }
    )
    d["trade"] = rng.poisson(np.exp(rng.normal(0, 1, (n, n))[e, i] + 0.5 * d.rta - 0.8 * d.lnd))
    d["trade"] = d["trade"].astype(float)
    spec = GravitySpec(
        regressors=("rta", "lnd"),
        fixed_effects=("exporter_time", "importer_time", "pair"),
        symmetric_pair=False,
        separation="fe",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        on = fit_gravity(d, spec)
        monkeypatch.setattr(allocator, "_libc", False)
        off = fit_gravity(d, spec)
    assert on.table.equals(off.table)
    np.testing.assert_array_equal(on.vcov, off.vcov)
    np.testing.assert_array_equal(on.fitted, off.fitted)
