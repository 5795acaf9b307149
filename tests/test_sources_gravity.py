"""Gravity datasets: Stata/R/.dlm containers, covariate map, wide frame for estimation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from techties.errors import NoDataError
from techties.sources import get_source
from techties.store import Store
from techties.store.gravity import gravity_frame
from techties.store.ingest import ingest_files

DLM = FIXTURES / "gravity" / "sample_data_set.dlm"


def _agtpa(tmp_path: Path) -> Path:
    """A small file in the Advanced Guide's Stata layout (float32 year/pair_id, int8 dummies)."""
    df = pd.DataFrame(
        {
            "exporter": ["ARG", "ARG", "AUS"],
            "importer": ["ARG", "AUS", "ARG"],
            "pair_id": np.array([12339, 1, 1], "float32"),
            "year": np.array([1986] * 3, "float32"),
            "trade": [61288.59, 27.76, np.nan],
            "DIST": [533.9, 12044.6, 12044.6],
            "CNTG": np.array([0, 0, 0], "int8"),
            "LANG": np.array([0, 1, 1], "int8"),
        }
    )
    p = tmp_path / "Chapter1Application1.dta"
    df.to_stata(p, write_index=False)
    return p


def test_dlm_is_csv_and_covariates_in_map() -> None:
    t = get_source("gravity").read(DLM).to_pylist()
    assert t[0]["dataset"] == "sample_data_set" and t[0]["trade_unit"] == "USD million"
    assert dict(t[0]["covariates"])["lndist"] == 9.7126 and len(t) == 3


def test_stata_ingest_and_wide_frame(tmp_path: Path, store: Store) -> None:
    ingest_files(store, "gravity", [_agtpa(tmp_path)])
    wide = gravity_frame(store, "chapter1application1")
    assert list(wide.columns) == [
        "exporter",
        "importer",
        "year",
        "trade",
        "pair_id",
        "DIST",
        "CNTG",
        "LANG",
    ]
    assert wide.attrs["trade_unit"] == "USD million" and wide.year.tolist() == [1986] * 3
    assert wide.trade.isna().sum() == 1 and wide.LANG.tolist() == [0.0, 1.0, 1.0]


def test_unknown_dataset(store: Store) -> None:
    with pytest.raises(NoDataError, match="No gravity dataset 'nope'"):
        gravity_frame(store, "nope")
