"""Source tariff_war_2025: the tracker's US tariffs by partner and WTO TTD China-on-US rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from techties.errors import SourceFormatError
from techties.store import Store
from techties.store.ingest import ingest_files
from techties.store.model_inputs import model_inputs


def tracker(tmp_path: Path, rows: list[tuple] | None = None) -> Path:
    rows = rows or [
        ("2025-04-05", "CHINA", 50.0, 4.0e11, 10.9),
        ("2025-04-05", "EUROPEAN UNION", 20.0, 6.0e11, 1.2),
        ("2025-04-05", "VIETNAM", 45.0, 1.4e11, 3.8),
        ("2025-05-12", "CHINA", 27.0, 4.0e11, 10.9),
        ("2025-05-12", "EUROPEAN UNION", 10.0, 6.0e11, 1.2),
        ("2025-05-12", "VIETNAM", 7.5, 1.4e11, 3.8),
    ]
    cols = ["date", "country_name", "effective tariff", "total imports", "2024 tariff"]
    p = tmp_path / "country-by-time.csv"
    pd.DataFrame(rows, columns=cols).to_csv(p, index=False)
    return p


def ttd(tmp_path: Path, reporter: str = "CHN") -> Path:
    rows = []
    for date, rates in {"2025-01-01": (10, 5), "2025-04-12": (135, 130), "2025-05-14": (20, 15)}.items():
        for hs, r, m in zip(("010121", "120190"), rates, (1e6, 3e6), strict=True):
            rows.append(("China", reporter, "C156", "United States", "USA", "C840", date, hs, r, m))
    cols = ["reporter_name", "reporter_iso", "reporter_code", "partner_name", "partner_iso",
            "partner_code", "year_dt", "hs_code", "best_avlbl", "imports"]  # fmt: skip
    p = tmp_path / "C156_C840.csv"
    pd.DataFrame(rows, columns=cols).to_csv(p, index=False)
    return p


def test_series_reach_the_store_as_arrays(store: Store, tmp_path: Path) -> None:
    ingest_files(store, "tariff_war_2025", [tracker(tmp_path), ttd(tmp_path)])
    us = model_inputs(store, "us_tariffs_2025")
    assert us.text("dates") == ("2025-04-05", "2025-05-12")
    assert us.text("partners") == ("CHN", "EUN", "VNM")
    np.testing.assert_allclose(us.array("effective_tariff"), [[50, 20, 45], [27, 10, 7.5]])
    np.testing.assert_allclose(us.array("tariff_2024"), [10.9, 1.2, 3.8])
    ch = model_inputs(store, "chn_tariffs_on_usa_2025")
    assert ch.text("hs6") == ("010121", "120190")
    np.testing.assert_allclose(ch.array("rate"), [[10, 135, 20], [5, 130, 15]])
    np.testing.assert_allclose(ch.array("imports"), [1e6, 3e6])
    assert us.provenance_ids and ch.provenance_ids


def test_bad_files_are_named(store: Store, tmp_path: Path) -> None:
    bad = tracker(tmp_path, [("2025-04-05", "ATLANTIS", 1.0, 1.0, 1.0)])
    with pytest.raises(SourceFormatError, match="ATLANTIS"):
        ingest_files(store, "tariff_war_2025", [bad])
    gap = tracker(tmp_path, [("2025-04-05", "CHINA", 1.0, 1.0, 1.0),
                             ("2025-05-12", "VIETNAM", 1.0, 1.0, 1.0)])  # fmt: skip
    with pytest.raises(SourceFormatError, match="not balanced"):
        ingest_files(store, "tariff_war_2025", [gap])
    with pytest.raises(SourceFormatError, match="China"):
        ingest_files(store, "tariff_war_2025", [ttd(tmp_path, reporter="JPN")])
