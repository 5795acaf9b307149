"""The indicator registry: the names it holds, parameters that match the functions, errors, the
listing (`techties indicators --json`), and a new indicator reached from the CLI by one
registration."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fixtures.indicators.flows import write_flows
from techties.cli.main import main
from techties.errors import UnknownNameError
from techties.indicators import get_indicator, indicators, register_indicator
from techties.indicators.registry import unregister_indicator
from techties.indicators.result import IndicatorResult, provenance_ids, source_line
from techties.indicators.shares import Selection
from techties.store import Store, open_store

EXPECTED = [
    "chokepoints", "coauthorship", "concentration", "coverage", "decoupling", "doctorates",
    "duty-rate", "entity-list", "ip_payments", "ip_receipts", "mirror", "rd_intensity",
    "rerouting", "share", "us-share-of-china",
]  # fmt: skip


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "reg.duckdb"
    with open_store(path) as st:
        rows = [
            {"year": 2024, "partner": p, "product_code": "TOTAL", "value_usd": v}
            for p, v in (("CHN", 30.0), ("VNM", 50.0), ("MEX", 20.0), ("WLD", 100.0))
        ]
        write_flows(st, rows, location="reg.csv")
    return path


def test_registry_lists_exactly_the_cli_indicators() -> None:
    assert [ind.name for ind in indicators()] == EXPECTED


def test_parameters_match_the_function_signatures() -> None:
    for ind in indicators():
        sig = inspect.signature(ind.func)
        assert next(iter(sig.parameters)) == "store", ind.name
        for p in ind.params:
            fp = sig.parameters[p.name]
            assert p.type == fp.annotation, (ind.name, p.name)
            assert p.required == (fp.default is fp.empty), (ind.name, p.name)
            assert p.required or p.default == fp.default, (ind.name, p.name)
            assert p.help, (ind.name, p.name)
        required = {
            n
            for i, (n, fp) in enumerate(sig.parameters.items())
            if i and fp.default is fp.empty and fp.kind is not fp.VAR_KEYWORD
        }
        assert required <= {p.name for p in ind.params} | set(ind.bind), ind.name
        assert ind.result_type == sig.return_annotation, ind.name
        assert ind.help.endswith(".") and "\n" not in ind.help, ind.name


def test_known_records() -> None:
    share = get_indicator("share")
    assert share.func.__qualname__ == "partner_shares"
    assert [(p.name, p.type, p.default) for p in share.params] == [
        ("selection", "Selection | None", None),
        ("partners", "Sequence[str] | None", None),
        ("denominator", "Denominator", "world"),
    ]
    assert share.result_type == "ShareResult" and share.has_chart
    assert get_indicator("mirror").has_chart is False  # a plain IndicatorResult
    co = get_indicator("coauthorship").param("source")
    assert (co.option, co.default) == ("science-source", "ncses")
    rd = get_indicator("rd_intensity")
    assert rd.bind == {"series": "rd_intensity"} and [p.name for p in rd.params] == ["countries"]
    assert get_indicator("us-share-of-china").params[0].default == 2017


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError) as exc:
        get_indicator("duty_rate")
    assert str(exc.value).startswith("No indicator named 'duty_rate'.")
    assert exc.value.hint.startswith("Available: chokepoints, coauthorship")
    assert exc.value.hint.endswith("Did you mean 'duty-rate'?")
    with pytest.raises(UnknownNameError, match="has no parameter 'partnr'"):
        get_indicator("decoupling").param("partnr")


def test_registration_checks_the_signature() -> None:
    def toy(store: Store, selection: Selection | None = None, *, weight: float) -> None: ...

    with pytest.raises(ValueError, match="has no parameter 'partner'"):
        register_indicator("toy-bad", help="x.", params_help={"partner": "p", "weight": "w"})(toy)
    with pytest.raises(ValueError, match="required parameter 'weight' needs a help line"):
        register_indicator("toy-bad", help="x.", params_help={"selection": "s"})(toy)
    with pytest.raises(ValueError, match="'share' is already registered"):
        register_indicator("share", help="x.", params_help={"weight": "w"})(toy)
    assert "toy-bad" not in [i.name for i in indicators()]


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["indicators", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == EXPECTED
    by = {r["name"]: r for r in rows}
    assert by["share"]["function"] == "techties.indicators.shares.partner_shares"
    assert by["share"]["result"] == "ShareResult" and by["share"]["chart"] is True
    assert by["decoupling"]["params"][1] == {
        "name": "partner",
        "option": "partner",
        "type": "str",
        "default": "CHN",
        "required": False,
        "help": "The partner whose share is followed (ISO3).",
    }
    assert by["rerouting"]["params"][2]["option"] == "end-year"
    assert by["entity-list"]["params"][0]["default"] == ["CHN"]


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["indicators"])
    text = capsys.readouterr().out
    assert "duty-rate: Effective duty rate: calculated duties / customs value" in text
    assert "--science-source (str, default 'ncses'): ncses or openalex." in text


def test_unknown_kind_and_missing_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["indicator", "chokepoint"])
    assert exc.value.code == 1
    assert "Did you mean 'chokepoints'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["indicator"])
    assert exc.value.code == 1
    assert "Name the indicator to compute" in capsys.readouterr().err


# -- a new indicator is one registration ------------------------------------------------------


def toy_share(
    store: Store, selection: Selection | None = None, *, partner: str = "CHN", scale: float = 1.0
) -> IndicatorResult:
    """The partner's share of the reporter's total (partner WLD), per year, times ``scale``."""
    sel = selection or Selection()
    rows = (
        "SELECT * FROM trade_flows WHERE reporter = ? AND flow = ? AND product_code = 'TOTAL' "
        "AND partner IN (?, 'WLD')"
    )
    params = [sel.reporter, sel.flow, partner]
    table = store.df(
        f"SELECT year, ? AS partner, "
        f"sum(value_usd) FILTER (WHERE partner = ?) / sum(value_usd) FILTER (WHERE partner = 'WLD')"
        f" * ? AS share FROM ({rows}) GROUP BY year ORDER BY year",
        [partner, partner, scale, *params],
    )
    ids = provenance_ids(store, rows, params)
    return IndicatorResult(
        table=table, name="toy_share", units="share × scale", formula="V[partner] / V[WLD]",
        title=f"Toy share of {partner}", source=source_line(store, ids), provenance_ids=ids,
    )  # fmt: skip


@pytest.fixture()
def toy() -> Iterator[None]:
    register_indicator(
        "toy-share",
        help="A toy partner share of the total.",
        params_help={"selection": "The trade rows.", "partner": "Partner.", "scale": "Factor."},
    )(toy_share)
    yield
    unregister_indicator("toy-share")


@pytest.mark.usefixtures("toy")
def test_a_registered_indicator_runs_from_the_cli(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["indicator", "toy-share", "--partner", "VNM", "--store", str(store_path), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert payload["name"] == "toy_share"
    assert payload["table"] == [{"year": 2024, "partner": "VNM", "share": 0.5}]
    assert payload["source"].startswith("test: reg.csv (sha256 ")

    # no --partner: the function's default (CHN); --arg sets a parameter the CLI has no option for
    main(["indicator", "toy-share", "--arg", "scale=100", "--store", str(store_path), "--json"])
    assert json.loads(capsys.readouterr().out)["table"][0]["share"] == pytest.approx(30.0)

    main(["indicator", "toy-share", "--partner", "MEX", "--store", str(store_path)])
    text = capsys.readouterr().out
    assert "Toy share of MEX" in text and "│   0.2 │" in text
    assert "formula: V[partner] / V[WLD]" in text

    main(["indicators", "--json"])
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["toy-share"]["params"][2] == {
        "name": "scale", "option": "scale", "type": "float", "default": 1.0, "required": False,
        "help": "Factor.",
    }  # fmt: skip
    assert listed["toy-share"]["chart"] is False


@pytest.mark.usefixtures("toy")
def test_arg_errors(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in (
        (["--arg", "scal=2"], "Indicator 'toy-share' has no parameter 'scal'"),
        (["--arg", "scale"], "--arg 'scale' is not NAME=VALUE"),
        (["--arg", "scale=big"], "'big' is not a float"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["indicator", "toy-share", *args, "--store", str(store_path)])
        assert exc.value.code == 1
        assert message in capsys.readouterr().err


def test_cli_passes_what_it_passed_before(
    store_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each built-in indicator gets the arguments its old `if` branch gave it."""
    seen: dict[str, dict[str, Any]] = {}

    def spy(name: str) -> Any:
        def call(store: Store, **kwargs: Any) -> IndicatorResult:
            seen[name] = kwargs
            return IndicatorResult(table=pd.DataFrame({"x": [1]}), name=name, units="", formula="")

        return call

    from techties.indicators import registry

    for name, ind in list(registry.INDICATORS.items()):
        monkeypatch.setitem(
            registry.INDICATORS, name, type(ind)(**{**ind.__dict__, "func": spy(name)})
        )
    for name in EXPECTED:
        main(["indicator", name, "--store", str(store_path), "--json"])
    main(["indicator", "mirror", "--partner", "VNM", "--store", str(store_path), "--json"])
    capsys.readouterr()
    sel = seen["share"].pop("selection")
    assert (sel.reporter, sel.level, sel.years) == ("USA", 2, None)
    assert seen["share"] == {"denominator": "world"}
    assert seen["concentration"].pop("selection").level == 2
    assert seen["concentration"] == {"denominator": "world"}
    assert seen["rerouting"].pop("selection").level == 6  # its own default level
    assert seen["rerouting"] == {"base_year": 2017, "end_year": 2024, "denominator": "world"}
    seen["decoupling"].pop("selection")
    assert seen["decoupling"] == {"base_year": 2017, "denominator": "world", "by_product": False}
    assert seen["us-share-of-china"] == {"base_year": 2017}
    assert seen["mirror"] == {"reporter": "USA", "partner": "VNM"}
    assert seen["coauthorship"] == {"source": "ncses"}
    assert seen["rd_intensity"] == {"series": "rd_intensity"}
    assert seen["entity-list"] == {}
