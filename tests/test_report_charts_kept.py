"""The report's charts are kept in the store: a chart rendered before (same Vega-Lite spec) is
read back, byte for byte what rendering it again gives; a changed chart renders again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from techties import charts
from techties.claims import check_all
from techties.report import build_report
from techties.report.build import _table_counts, chart_svg, chart_svgs
from techties.store import open_store
from techties.store.derived import derived_list
from techties.store.manifest import ingest_folder

DATA = Path(__file__).parent / "fixtures" / "claims" / "data"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TECHTIES_DATA", raising=False)
    monkeypatch.setenv("TECHTIES_CACHE", str(tmp_path / "cache"))


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = charts.spec_svg

    def counted(spec: dict[str, object]) -> str:
        calls.append(1)
        return real(spec)

    monkeypatch.setattr(charts, "spec_svg", counted)
    return calls


def test_kept_charts_equal_fresh_renders_and_only_changed_charts_render_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        ingest_folder(store, DATA)
        verdicts = check_all(store)
        charted = [v for v in verdicts if v.chart is not None]
        assert charted
        simple = [chart_svg(v) for v in verdicts]  # the simple path: every chart rendered
        assert sum(s is not None for s in simple) == len(charted)
        assert chart_svgs(store, verdicts) == simple
        kept = derived_list(store)
        kept = kept[kept["name"].str.startswith("report-chart:")]
        assert sorted(kept["name"]) == sorted(f"report-chart:{v.claim_id}" for v in charted)
        assert all(list(i) == sorted(set(v.provenance_ids)) for i, v in
                   zip(kept.sort_values("name")["inputs"],
                       sorted(charted, key=lambda v: v.claim_id), strict=True))  # fmt: skip

        calls = _count_renders(monkeypatch)
        assert chart_svgs(store, verdicts) == simple and calls == []  # read back, none rendered

        changed = charted[0]
        changed.chart = changed.chart.properties(title="a changed chart title")
        again = chart_svgs(store, verdicts)
        assert len(calls) == 1 and "a changed chart title" in (again[verdicts.index(changed)] or "")
        assert again == [chart_svg(v) for v in verdicts]
        names = derived_list(store)["name"]
        assert names.str.startswith("report-chart:").sum() == len(charted)  # one per claim
        # the kept charts are not counted among the rows the claims read
        assert "derived" not in {r["table"] for r in _table_counts(store)}


def test_a_report_from_kept_charts_is_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def body(html: Path) -> str:
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", html.read_text("utf-8"))

    with open_store(tmp_path / "s.duckdb") as store:
        ingest_folder(store, DATA)
        first = build_report(store, tmp_path / "one").html
        calls = _count_renders(monkeypatch)
        second = build_report(store, tmp_path / "two").html
        assert calls == [] and body(second) == body(first) and "<svg" in body(first)
    with open_store(tmp_path / "s.duckdb", read_only=True) as ro:  # reads kept charts, keeps none
        before = derived_list(ro)
        third = build_report(ro, tmp_path / "three").html
        assert calls == [] and body(third) == body(first)
        assert derived_list(ro).equals(before)
