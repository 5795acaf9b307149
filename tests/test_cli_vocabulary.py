"""One CLI vocabulary: an option name means one thing in every command, and its values are read
by one parser (countries by name or code, years as ranges or lists, dates in one format)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
import typer

from techties.cli.app import REPEAT, parse_date, parse_years, year_range
from techties.cli.main import app, main
from techties.countries import country_code
from techties.errors import ConfigError, UnknownNameError


def _options() -> dict[str, dict[str, set[str]]]:
    """``--option → {help text: commands}`` over every command of the CLI."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if param.param_type_name == "option":
                for opt in param.opts:
                    found[opt][(param.help or "").removesuffix(REPEAT)].add(name)
    return found


def test_every_option_name_has_one_meaning() -> None:
    options = _options()
    differing = {opt: dict(helps) for opt, helps in options.items() if len(helps) > 1}
    assert differing == {}
    # the shared names are there, in the commands a user expects
    assert options["--partner"][next(iter(options["--partner"]))] == {
        "indicator", "tariff", "tariff-events"
    }  # fmt: skip
    assert {c for cs in options["--years"].values() for c in cs} == {
        "fetch", "gravity", "indicator", "panel"
    }  # fmt: skip
    assert {c for cs in options["--since"].values() for c in cs} == {"entities", "tariff-events"}
    for gone in ("--from", "--to", "--target", "--imposer"):
        assert gone not in options


@pytest.mark.parametrize(
    ("argv", "new"),
    [
        (["tariff", "8471.50.01", "--from", "CHN"], "--partner"),
        (["tariff-events", "--imposer", "USA"], "--reporter"),
        (["tariff-events", "--target", "CHN"], "--partner"),
        (["indicator", "share", "--from", "2018"], "--years"),
        (["screen", "Huawei", "--threshold", "0.9"], "--min-score"),
    ],
)
def test_an_old_option_name_says_what_to_write_now(
    argv: list[str], new: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "No such option" in err and new in err.partition(". The CLI now says ")[2]
    assert "Traceback" not in err


def test_countries_by_code_or_name() -> None:
    assert [country_code(t) for t in ("CHN", "chn", "CN", "China", "china", "Russia")] == [
        "CHN", "CHN", "CHN", "CHN", "CHN", "RUS"
    ]  # fmt: skip
    assert country_code("Viet Nam") == "VNM" and country_code("United States") == "USA"
    assert country_code("all", allow=("ALL",)) == "ALL" and country_code("WLD") == "WLD"
    with pytest.raises(UnknownNameError) as err:
        country_code("Chna", option="--country")
    assert err.value.message == "--country 'Chna' is not a country techties knows."
    assert "Did you mean 'China' (CHN)" in (err.value.hint or "")


def test_an_unknown_country_is_refused_not_an_empty_table(
    store_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["entities", "--country", "Chna"],
        ["tech-indicators", "--country", "ZZZ"],
        ["tariff", "8471.50.01", "--partner", "XXX"],
    ):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--store", store_path])
        assert exc.value.code == 1
        assert "is not a country techties knows" in capsys.readouterr().err


@pytest.fixture()
def store_path(tmp_path: object) -> str:
    from pathlib import Path

    from techties.store import open_store

    path = Path(str(tmp_path)) / "vocab.duckdb"
    open_store(path).close()
    return str(path)


def test_years_are_read_one_way() -> None:
    assert parse_years("2024") == [2024]
    assert parse_years("2017-2019") == [2017, 2018, 2019]
    assert parse_years("2017,2020-2021, 2017") == [2017, 2020, 2021]
    assert parse_years(None) is None and parse_years(" ") is None
    assert year_range("2017-2024") == (2017, 2024) and year_range("2024") == (2024, 2024)
    for bad in ("17", "2019-2017", "2017-", "twenty"):
        with pytest.raises(ConfigError, match="is not a list of years"):
            parse_years(bad)
    with pytest.raises(ConfigError, match="has gaps") as err:
        year_range("2017,2019")
    assert err.value.hint == "Use e.g. 2017-2019."


def test_dates_are_read_one_way() -> None:
    assert parse_date("2019-06-30", "--on") == dt.date(2019, 6, 30)
    assert parse_date("2019-06", "--on") == dt.date(2019, 6, 1)
    assert parse_date("2018", "--since") == dt.date(2018, 1, 1)
    assert parse_date(None, "--on") is None
    for bad in ("2019-13-01", "30/06/2019", "2019-02-30"):
        with pytest.raises(ConfigError, match=f"--on '{bad}' is not a date"):
            parse_date(bad, "--on")


@pytest.mark.parametrize("command", sorted(typer.main.get_command(app).commands))  # type: ignore[attr-defined]
def test_a_wrong_option_is_one_line_and_exit_2(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--no-such-option"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert err == (
        f"error: No such option: --no-such-option (`techties {command} --help` lists the options)"
    )


def test_flags_render_as_flags(capsys: pytest.CaptureFixture[str]) -> None:
    main(["tables", "--help"])
    out = capsys.readouterr().out
    assert "--json " in out and "<bool>" not in out


@pytest.mark.parametrize(
    ("argv", "message", "hint"),
    [
        (["indicator", "share", "--source", "censsu"], "No source 'censsu' in table 'trade_flows'.",
         "Did you mean 'census'?"),
        (["indicator", "share", "--flow", "imprt"], "No flow 'imprt'.",
         "Did you mean 'import'?"),
        (["indicator", "share", "--reporter", "CHN"], "No reporter 'CHN' in table 'trade_flows'.",
         "Available: USA."),
        (["tech-indicators", "--indicator", "ZZZ"], "No indicator code contains 'ZZZ'.",
         "The store holds no indicators."),
    ],
)  # fmt: skip
def test_an_unknown_value_is_named_with_what_exists(
    argv: list[str], message: str, hint: str, census_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--store", census_store])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert f"error: {message}" in err and hint in err


@pytest.fixture()
def census_store(tmp_path: object) -> str:
    from pathlib import Path

    from conftest import FIXTURES
    from techties.store import open_store
    from techties.store.ingest import ingest_files

    path = Path(str(tmp_path)) / "census.duckdb"
    with open_store(path) as st:
        ingest_files(st, "census", [FIXTURES / "census" / "imports-hs10-2024.json"])
    return str(path)
