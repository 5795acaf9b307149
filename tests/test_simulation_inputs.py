"""Every unusable solver input is a SimulationInputError that names the array, the first bad
cell and the fix (never a bare numpy or Python error)."""

from __future__ import annotations

import numpy as np
import pytest

from techties.errors import ConfigError, ModelError, SimulationInputError
from techties.simulation.onesector import solve_onesector

GOOD = [[10.0, 2.0], [3.0, 20.0]]


@pytest.mark.parametrize("method", ["exact", "geppml_book"])
@pytest.mark.parametrize(
    ("trade", "message", "hint"),
    [
        ([], "trade is empty (shape (0,))", "at least two countries"),
        (np.zeros((0, 0)), "trade is empty (shape (0, 0))", "at least two countries"),
        ([["a", "b"], ["c", "d"]], "trade is not numeric: could not convert string to float",
         "missing flows as 0"),
        ([[1.0, None], [1.0, 2.0]], "trade has 1 non-finite value(s), first at row 0, column 1",
         "fill missing flows with 0"),
        ([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], "trade must be a square N×N array", None),
        ([[1.0, -2.0], [1.0, 2.0]], "trade has a negative value -2.0 at row 0, column 1", None),
    ],
)  # fmt: skip
def test_bad_trade_matrix(trade: object, message: str, hint: str | None, method: str) -> None:
    with pytest.raises(SimulationInputError) as err:
        solve_onesector(trade, sigma=5.0, method=method, reference=0)  # type: ignore[arg-type]
    assert err.value.message.startswith(message)
    if hint:
        assert hint in (err.value.hint or "")
    # the callers that caught the older error classes still do
    assert isinstance(err.value, ModelError) and isinstance(err.value, ConfigError)


def test_bad_shock_arrays_name_themselves() -> None:
    with pytest.raises(SimulationInputError, match="cost_change is 3×3 but trade is 2×2"):
        solve_onesector(GOOD, np.ones((3, 3)), sigma=5.0)
    with pytest.raises(SimulationInputError, match="tariffs must stay above −100 %"):
        solve_onesector(GOOD, sigma=5.0, tariff_change=[[0.0, -1.5], [0.0, 0.0]])
    with pytest.raises(SimulationInputError, match="tariff_change is not numeric"):
        solve_onesector(GOOD, sigma=5.0, tariff_change=[["x", 0], [0, 0]])


def test_good_input_still_solves() -> None:
    res = solve_onesector(GOOD, sigma=5.0, tariff_change=[[0.0, 0.1], [0.0, 0.0]])
    # a 10 % tariff by country 1 on country 0 lowers their trade
    assert res.tidy().shape[0] == 2
