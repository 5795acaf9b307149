"""Settings are declared once; the docs and CLI must agree with them."""

from __future__ import annotations

from pathlib import Path

from techties import config

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text()
    assert config.settings_markdown() in doc


def test_explicit_beats_environment(monkeypatch) -> None:
    monkeypatch.setenv("TECHTIES_DATA", "/from/env")
    assert config.get("data") == "/from/env"
    assert config.get("data", "/explicit") == "/explicit"


def test_unknown_setting_suggests() -> None:
    import pytest

    from techties.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'store'"):
        config.get("stor")


def test_every_source_is_documented() -> None:
    from techties.sources import all_sources

    doc = (ROOT / "docs" / "data.md").read_text()
    missing = [name for name in all_sources() if f"| `{name}` |" not in doc]
    assert missing == [], f"add these sources to docs/data.md: {missing}"


def test_every_command_module_registers_on_the_main_app() -> None:
    from techties.cli.main import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    for expected in (
        "report",
        "claims",
        "check",
        "simulate",
        "tariff",
        "entities",
        "gravity",
        "indicator",
        "sql",
    ):
        assert expected in names


def test_memory_setting_reaches_duckdb_and_a_bad_size_is_refused(monkeypatch, tmp_path) -> None:
    import pytest

    from techties.errors import ConfigError
    from techties.store import open_store

    monkeypatch.setenv("TECHTIES_MEMORY", "1GB")
    with open_store(tmp_path / "m.duckdb") as st:
        limit = st.scalar("SELECT current_setting('memory_limit')")
    assert limit == "953.6 MiB"  # 1GB = 10^9 bytes, printed by DuckDB in MiB
    monkeypatch.setenv("TECHTIES_MEMORY", "lots")
    with pytest.raises(ConfigError, match="TECHTIES_MEMORY='lots' is not a memory size"):
        open_store(tmp_path / "n.duckdb")
