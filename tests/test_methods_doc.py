"""docs/methods.md is written from the catalog; the committed file must be current."""

from __future__ import annotations

from conftest import ROOT
from techties.claims import load_catalog
from techties.claims.methods import methods_markdown


def test_methods_note_is_current() -> None:
    committed = (ROOT / "docs" / "methods.md").read_text("utf-8")
    assert committed == methods_markdown(), (
        "docs/methods.md is stale: run `python -m techties.claims.methods > docs/methods.md`"
    )
    for claim in load_catalog():
        assert f"### {claim.number}. {claim.paraphrase}" in committed
        assert claim.rule in committed
