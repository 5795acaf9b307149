"""Every ``techties …`` line in README.md and docs/*.md runs as written.

The lines are taken from the fenced code blocks (continued lines and quoted strings joined,
comments dropped) and run in order, in the CLI's own process, from a working folder whose
``../shared/data`` is the real data folder, on a copy of the store built from it. Files the
docs name by their official names are put where the docs expect them: the real file of that
name, or a test fixture in the same official layout (BACI is not in the data folder). Downloads
are answered offline by an ``httpx.MockTransport`` serving the official API layouts of the
fixtures. Downloads are stored in a store of their own: the fixtures hold other figures than
the real files for the same rows, which the store refuses as a second copy of that data
(``techties.store.repeats``). A YAML file the docs name is the YAML block written above the line.

A line passes when the command exits 0, its ``--json`` output parses, and every file or folder
it was asked to write (``--out``, ``--plot``, ``--export``, ``--parquet``) exists.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES, ROOT
from techties.cli import app as cli_app
from techties.cli.main import main
from techties.store import Store

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: lines not run here, with the reason and the test that covers them instead
#: (by command: every ``techties serve …`` line, whatever its options)
NOT_RUN = {
    "serve": "runs until Ctrl-C; tests/test_web.py and tests/test_web_serve.py start the server "
    "and drive it",
}

#: lines whose comment quotes a published table: the numbers they write, to the published digits
#: (Yotov et al. 2016, An Advanced Guide to Trade Policy Analysis, Table 1 column PPML)
PUBLISHED = {
    "gravity --dataset chapter1application1": (
        "coef.json",
        {"ln_DIST": -0.841, "CNTG": 0.437, "LANG": 0.247, "CLNY": -0.222},
    ),
}

#: options whose value is a file or folder the command writes
WRITES = ("--out", "--plot", "--export", "--parquet")


@dataclass(frozen=True)
class DocLine:
    file: Path
    line: int
    text: str

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.text)[1:]

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line}"


def _commands(segment: str) -> list[str]:
    """The ``techties …`` commands of one shell line (``a && b`` has two)."""
    words = shlex.split(segment, comments=True)
    out: list[list[str]] = []
    current: list[str] | None = None
    for word in words:
        if word in ("&&", ";", "||"):
            current = None
        elif current is None and re.fullmatch(r"(\S*/)?techties", word):
            current = ["techties"]
            out.append(current)
        elif current is not None:
            current.append(word)
    return [shlex.join(c) for c in out]


def doc_lines() -> list[DocLine]:
    """Every techties command in a fenced block of the docs, in reading order."""
    found: list[DocLine] = []
    for path in DOCS:
        fence, shell, pending, start = False, False, "", 0
        for n, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
            if raw.lstrip().startswith("```"):
                fence, pending = not fence, ""
                shell = raw.strip()[3:] in SHELL_FENCES
                continue
            if not (fence and shell) or (not pending and "techties" not in raw):
                continue
            text = (pending + " " + raw.strip()) if pending else raw.strip()
            start = start if pending else n
            if text.endswith("\\"):
                pending = text[:-1].rstrip()
                continue
            try:
                commands = _commands(text)
            except ValueError:  # an open quote: the string goes on on the next line
                pending = text
                continue
            pending = ""
            found += [DocLine(path.relative_to(ROOT), start, c) for c in commands]
    return found


#: code blocks that hold shell lines (a Python or YAML block is not run here)
SHELL_FENCES = ("", "bash", "sh", "shell", "console")
ALL_LINES = doc_lines()
#: each distinct line once (the same line in several files is run the first time it is read)
LINES = [d for i, d in enumerate(ALL_LINES) if d.text not in {e.text for e in ALL_LINES[:i]}]


def test_the_docs_have_the_commands_users_read_first() -> None:
    texts = [d.text for d in ALL_LINES]
    assert texts[0] == "techties report --data ../shared/data --out report"  # the main job
    assert "techties sources" in texts and "techties claims" in texts
    assert len(LINES) >= 50
    assert set(NOT_RUN) <= {d.argv[0] for d in ALL_LINES if d.argv}


# -- the working folder -------------------------------------------------------------------------


def _baci(dest: Path, year: int) -> Path:
    """The BACI fixture under the docs' file name (its year and version), codes beside it."""
    src = FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv"
    lines = src.read_text("utf-8").splitlines()
    body = [re.sub(r"^2017,", f"{year},", line) for line in lines[1:]]
    out = dest / f"BACI_HS17_Y{year}_V202501.csv"
    out.write_text("\n".join([lines[0], *body]) + "\n", "utf-8")
    shutil.copy(FIXTURES / "baci" / "country_codes_V202201.csv", dest / "country_codes_V202501.csv")
    return out


def _named_files(work: Path, shared: Path) -> None:
    """The files the docs name, where a command run in ``work`` finds them."""
    (work / "path" / "to").mkdir(parents=True)
    census = shared / "trade-flows" / "us-imports-hs10-2024" / "2024-hs10-imports5700.parquet"
    (work / "path" / "to" / census.name).symlink_to(census)
    (work / "Chapter1Application1.dta").symlink_to(
        shared / "trade-agtpa" / "Chapter1Application1.dta"
    )
    _baci(work, 2017)
    _baci(work, 2022)


def _yaml_above(doc: DocLine) -> str:
    """The last ```yaml block above ``doc`` in its file."""
    text = (ROOT / doc.file).read_text("utf-8").splitlines()[: doc.line]
    blocks = re.findall(r"```yaml\n(.*?)```", "\n".join(text) + "\n", flags=re.S)
    assert blocks, f"{doc}: names a YAML file but no ```yaml block is above it"
    return str(blocks[-1])


def _serve_fixtures(request: httpx.Request) -> httpx.Response:
    """The official APIs, answered with the fixtures (Census, UN Comtrade, World Bank)."""
    host, params = request.url.host, request.url.params
    if host == "api.census.gov":
        name = (
            "imports-hs10-2024.json"
            if "imports" in request.url.path
            else "exports-hs6-2024-03.json"
        )
        text = (FIXTURES / "census" / name).read_text("utf-8")
        return httpx.Response(
            200, text=text.replace("2024-03", params["time"]).replace("_MO", "_YR")
        )
    if host == "comtradeapi.un.org":
        doc = json.loads((FIXTURES / "comtrade" / "api-842-156-2018.json").read_text("utf-8"))
        year = int(params["period"])
        for row in doc["data"]:
            row.update(refYear=year, period=str(year), refPeriodId=year * 10000 + 101)
        return httpx.Response(200, json=doc)
    if host == "api.worldbank.org":
        code = request.url.path.rsplit("/", 1)[-1]
        page = json.loads(
            (FIXTURES / "tech" / "wdi" / f"api_page{params['page']}.json").read_text()
        )
        for row in page[1]:
            row["indicator"]["id"] = code
        return httpx.Response(200, json=page)
    return httpx.Response(404, text=f"no fixture for {request.url}")


@pytest.fixture(scope="module")
def workdir(
    real_store: Store, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """``root/work`` (the folder commands run in), ``root/shared/data`` (the real data) and a
    copy of the real store as the default store."""
    root = tmp_path_factory.mktemp("docs")
    (root / "shared").mkdir()
    (root / "shared" / "data").symlink_to(shared_data.resolve())
    work = root / "work"
    work.mkdir()
    _named_files(work, shared_data)
    real_store.con.execute("CHECKPOINT")
    shutil.copy(real_store.path, root / "store.duckdb")
    parts = Path(f"{real_store.path}.parts")
    if parts.is_dir():
        shutil.copytree(parts, root / "store.duckdb.parts")
    mp = pytest.MonkeyPatch()
    mp.setenv("TECHTIES_STORE", str(root / "store.duckdb"))
    mp.setenv("TECHTIES_CACHE", str(root / "cache"))
    mp.setenv("TECHTIES_COMTRADE_KEY", "docs-test")
    mp.delenv("TECHTIES_DATA", raising=False)
    mp.setattr(
        cli_app, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(_serve_fixtures))
    )
    try:
        yield work
    finally:
        mp.undo()


@pytest.mark.parametrize("doc", LINES, ids=str)
def test_doc_line_runs_as_written(
    doc: DocLine, workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if doc.argv[:1] and doc.argv[0] in NOT_RUN:
        pytest.skip(NOT_RUN[doc.argv[0]])
    monkeypatch.chdir(workdir)
    argv = doc.argv
    if argv[:1] == ["fetch"]:
        monkeypatch.setenv("TECHTIES_STORE", str(workdir.parent / "fetched.duckdb"))
    for word in argv:
        if word.endswith((".yaml", ".yml")) and not Path(word).exists():
            Path(word).write_text(_yaml_above(doc), "utf-8")
    capsys.readouterr()
    try:
        main(argv)
    except SystemExit as exc:
        err = capsys.readouterr().err
        pytest.fail(f"{doc}: `{doc.text}` exited {exc.code}:\n{err[-2000:]}")
    out = capsys.readouterr().out
    if "--json" in argv:
        json.loads(out)
    for opt in WRITES:
        if opt in argv:
            written = Path(argv[argv.index(opt) + 1])
            assert written.exists(), f"{doc}: {opt} {written} was not written"
    for key, (name, published) in PUBLISHED.items():
        if key in doc.text:
            coef = json.loads(Path(name).read_text("utf-8"))
            got = dict(zip(coef["terms"], coef["estimate"], strict=True))
            assert got == pytest.approx(published, abs=5e-4), f"{doc}: {got}"
