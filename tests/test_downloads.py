"""Downloads under failure: retries, verification, atomic replace and resume (issue #13).

Every test answers with an ``httpx.MockTransport``; waits between attempts are recorded, never
slept.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES
from techties.errors import FetchError
from techties.sources import get_source, http
from techties.sources.baci import DOWNLOAD_URL
from techties.sources.http import Retry, download_file, part_path, retry_after

CENSUS = (FIXTURES / "census" / "imports-hs10-2024.json").read_text("utf-8")
COMTRADE = (FIXTURES / "comtrade" / "api-842-156-2018.json").read_bytes()
BACI_URL = DOWNLOAD_URL.format(hs="HS17", release="V202501")
ARCHIVE = "BACI_HS17_V202501.zip"
URL = "https://example.test/data.json"


class Body(httpx.SyncByteStream):
    """A response body sent in ``chunks``, then (optionally) failing with ``then``."""

    def __init__(self, *chunks: bytes, then: BaseException | None = None) -> None:
        self.chunks = chunks
        self.then = then

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.then is not None:
            raise self.then


@pytest.fixture()
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the retry loop asked for (instead of sleeping)."""
    asked: list[float] = []
    monkeypatch.setattr(http, "sleep", asked.append)
    return asked


def serve(
    *answers: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client answering the n-th request with ``answers[n]`` (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1](request)

    return httpx.Client(transport=httpx.MockTransport(handler)), seen


def ok(body: bytes, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, content=body, headers=headers)


def status(code: int, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, headers=headers)


def baci_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(FIXTURES / "baci" / "BACI_HS17_Y2017_V202201.csv", "BACI_HS17_Y2017_V202501.csv")
        zf.write(FIXTURES / "baci" / "country_codes_V202201.csv", "country_codes_V202501.csv")
        zf.writestr("filler.bin", bytes(range(256)) * 64)  # so halves fall mid-archive
    return buf.getvalue()


def no_parts(folder: Path) -> bool:
    return not list(folder.glob(".*.part"))


# -- retries ---------------------------------------------------------------------------------


def test_connection_dropped_mid_body_then_success(tmp_path: Path, waits: list[float]) -> None:
    body = json.dumps([["a", "b"], ["1", "2"]]).encode()
    cut = lambda r: httpx.Response(  # noqa: E731
        200, stream=Body(body[:7], then=httpx.ReadError("connection reset")),
        headers={"Content-Length": str(len(body))},
    )  # fmt: skip
    client, seen = serve(cut, ok(body))
    target = download_file(client, URL, tmp_path / "d.json", expect="json")
    assert target.read_bytes() == body and len(seen) == 2 and waits == [1.0]
    assert "Range" not in seen[1].headers  # not resumable: fetched whole again
    assert no_parts(tmp_path)


def test_500_then_200_census(tmp_path: Path, waits: list[float]) -> None:
    client, seen = serve(status(500), ok(CENSUS.encode(), **{"Content-Type": "application/json"}))
    files = get_source("census").download(tmp_path, years=[2024], client=client, flows=["import"])
    assert len(seen) == 2 and waits == [1.0]
    assert files[0].read_text("utf-8") == CENSUS


def test_429_waits_what_retry_after_says(tmp_path: Path, waits: list[float]) -> None:
    client, seen = serve(status(429, **{"Retry-After": "7"}), ok(b"[]"))
    download_file(client, URL, tmp_path / "d.json", expect="json")
    assert waits == [7.0] and len(seen) == 2


def test_retry_after_as_http_date() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after("Sat, 01 Mar 2025 12:00:30 GMT", now=now) == 30.0
    assert retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0.0
    assert retry_after("120", now=now) == 120.0
    assert retry_after("soon", now=now) is None and retry_after(None) is None


def test_retry_after_longer_than_we_wait_gives_up(tmp_path: Path, waits: list[float]) -> None:
    client, seen = serve(status(503, **{"Retry-After": "3600"}))
    with pytest.raises(FetchError, match="wait 3600 s"):
        download_file(client, URL, tmp_path / "d.json", expect="json")
    assert len(seen) == 1 and waits == []


def test_exhausted_retries_name_url_and_attempts(tmp_path: Path, waits: list[float]) -> None:
    client, seen = serve(status(502))
    with pytest.raises(FetchError) as err:
        download_file(client, URL, tmp_path / "d.json", retry=Retry(attempts=3, backoff=2.0))
    assert URL in str(err.value) and "after 3 attempt(s)" in str(err.value)
    assert "HTTP 502" in str(err.value) and err.value.hint
    assert len(seen) == 3 and waits == [2.0, 4.0]


def test_connect_errors_are_retried_then_reported(tmp_path: Path, waits: list[float]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, seen = serve(refuse)
    with pytest.raises(FetchError, match="after 4 attempt") as err:
        download_file(client, URL, tmp_path / "d.json")
    assert "network" in (err.value.hint or "") and waits == [1.0, 2.0, 4.0] and len(seen) == 4


def test_client_errors_are_not_retried_and_keys_are_masked(
    tmp_path: Path, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TECHTIES_COMTRADE_KEY", "s3cret")
    client, seen = serve(lambda r: httpx.Response(401, json={"message": "invalid key"}))
    with pytest.raises(FetchError, match="HTTP 401") as err:
        get_source("comtrade").download(tmp_path, years=[2018], client=client)
    assert len(seen) == 1 and waits == []
    assert "s3cret" not in str(err.value) and "TECHTIES_COMTRADE_KEY" in (err.value.hint or "")
    assert "invalid key" in str(err.value)


# -- verification and atomic replace -----------------------------------------------------------


def test_html_page_with_200_is_refused_for_a_json_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TECHTIES_COMTRADE_KEY", "k")
    good = tmp_path / "comtrade-842-156-2018.json"
    good.write_bytes(COMTRADE)
    page = b"<!DOCTYPE html><html><body>Service unavailable</body></html>"
    client, _ = serve(ok(page, **{"Content-Type": "text/html; charset=utf-8"}))
    with pytest.raises(FetchError, match="HTML page, not JSON") as err:
        get_source("comtrade").download(tmp_path, years=[2018], client=client)
    assert "try later" in (err.value.hint or "")
    assert good.read_bytes() == COMTRADE and no_parts(tmp_path)


def test_json_error_answer_is_refused_for_comtrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TECHTIES_COMTRADE_KEY", "k")
    client, _ = serve(lambda r: httpx.Response(200, json={"error": "period out of range"}))
    with pytest.raises(FetchError, match="period out of range"):
        get_source("comtrade").download(tmp_path, years=[1900], client=client)
    assert not list(tmp_path.glob("*.json"))


def test_truncated_zip_is_refused_for_baci(tmp_path: Path) -> None:
    old = baci_zip()
    (tmp_path / ARCHIVE).write_bytes(old)
    client, _ = serve(ok(old[: len(old) // 2]))  # the server itself sends half an archive
    with pytest.raises(FetchError, match="not a complete zip archive") as err:
        get_source("baci").download(tmp_path, years=[2017], client=client)
    assert BACI_URL in str(err.value)
    assert (tmp_path / ARCHIVE).read_bytes() == old and no_parts(tmp_path)


def test_content_length_mismatch_is_retried_then_refused(
    tmp_path: Path, waits: list[float]
) -> None:
    good = tmp_path / "d.json"
    good.write_bytes(b'{"old": true}')
    short = lambda r: httpx.Response(  # noqa: E731
        200, stream=Body(b'{"new": '), headers={"Content-Length": "40"}
    )
    client, seen = serve(short)
    with pytest.raises(FetchError, match="received 8 bytes, Content-Length announced 40"):
        download_file(client, URL, good, expect="json")
    assert len(seen) == 4 and good.read_bytes() == b'{"old": true}' and no_parts(tmp_path)


def test_content_length_mismatch_in_memory_api(tmp_path: Path) -> None:
    short = lambda r: httpx.Response(  # noqa: E731
        200, stream=Body(b"[1, 2"), headers={"Content-Length": "9"}
    )
    client, seen = serve(short, ok(b"[1, 2, 3]"))
    assert http.fetch_json(client, URL) == [1, 2, 3] and len(seen) == 2


def test_checksum_mismatch_is_refused(tmp_path: Path) -> None:
    client, _ = serve(ok(b"payload"))
    with pytest.raises(FetchError, match="SHA-256"):
        download_file(client, URL, tmp_path / "f.bin", sha256="0" * 64)
    assert not (tmp_path / "f.bin").exists() and no_parts(tmp_path)
    good = hashlib.sha256(b"payload").hexdigest()
    assert download_file(client, URL, tmp_path / "f.bin", sha256=good).read_bytes() == b"payload"


def test_killed_download_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    old = baci_zip()
    (tmp_path / ARCHIVE).write_bytes(old)
    killed = lambda r: httpx.Response(  # noqa: E731
        200, stream=Body(b"PK\x03\x04 partial", then=KeyboardInterrupt())
    )
    client, _ = serve(killed)
    with pytest.raises(KeyboardInterrupt):
        get_source("baci").download(tmp_path, years=[2017], client=client)
    assert (tmp_path / ARCHIVE).read_bytes() == old and no_parts(tmp_path)


def test_source_layout_check_runs_before_replacing(tmp_path: Path) -> None:
    good = tmp_path / "oecd_tiva_exgr_fva_c26_27.csv"
    good.write_text("old", encoding="utf-8")
    client, _ = serve(ok(b"not,the,sdmx,layout\n1,2,3,4\n"))
    with pytest.raises(FetchError, match="expected layout"):
        get_source("oecd_tiva").download(tmp_path, client=client)
    assert good.read_text("utf-8") == "old" and no_parts(tmp_path)


# -- resume ----------------------------------------------------------------------------------


def _ranged(full: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
        return httpx.Response(
            206,
            content=full[start:],
            headers={"Content-Range": f"bytes {start}-{len(full) - 1}/{len(full)}"},
        )

    return answer


def test_resume_with_range_and_206(tmp_path: Path, waits: list[float]) -> None:
    full = baci_zip()
    half = len(full) // 2
    cut = lambda r: httpx.Response(  # noqa: E731
        200, stream=Body(full[:half], then=httpx.ReadError("reset")),
        headers={"Content-Length": str(len(full))},
    )  # fmt: skip
    client, seen = serve(cut, _ranged(full))
    files = get_source("baci").download(tmp_path, years=[2017], client=client)
    assert seen[1].headers["Range"] == f"bytes={half}-"
    assert seen[1].headers["Accept-Encoding"] == "identity"
    assert (tmp_path / ARCHIVE).read_bytes() == full and no_parts(tmp_path)
    assert [f.name for f in files] == ["BACI_HS17_Y2017_V202501.csv"]


def test_resume_falls_back_to_a_full_download_on_200(tmp_path: Path) -> None:
    full = baci_zip()
    part_path(tmp_path / ARCHIVE).write_bytes(full[:100])  # left by a killed process
    client, seen = serve(ok(full))
    get_source("baci").download(tmp_path, years=[2017], client=client)
    assert seen[0].headers["Range"] == "bytes=100-"
    assert (tmp_path / ARCHIVE).read_bytes() == full and no_parts(tmp_path)


def test_stale_part_that_does_not_fit_is_fetched_whole(tmp_path: Path) -> None:
    full = baci_zip()
    part_path(tmp_path / ARCHIVE).write_bytes(b"x" * 100)  # an older, different file
    client, seen = serve(_ranged(full), ok(full))
    get_source("baci").download(tmp_path, years=[2017], client=client)
    assert [r.headers.get("Range") for r in seen] == ["bytes=100-", None]
    assert (tmp_path / ARCHIVE).read_bytes() == full and no_parts(tmp_path)


# -- unpacking ---------------------------------------------------------------------------------


def test_damaged_member_leaves_the_previous_extract(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("tariff_database_2017.txt", b"A" * 1000)
    data = bytearray(buf.getvalue())
    data[data.index(b"A" * 10) + 5] = ord("B")  # payload no longer matches its CRC
    old = tmp_path / "tariff_database_2017.txt"
    old.write_text("previous", encoding="utf-8")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf, pytest.raises(zipfile.BadZipFile):
        http.extract_member(zf, "tariff_database_2017.txt", old)
    assert old.read_text("utf-8") == "previous" and no_parts(tmp_path)


def test_usitc_archive_is_verified_and_removed(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("tariff_database_2017.txt", "hts8|brief_description\n")
    client, _ = serve(ok(buf.getvalue()[:-30]), ok(buf.getvalue()))
    with pytest.raises(FetchError, match="zip"):
        get_source("usitc_tariffs").download(tmp_path, years=[2017], client=client)
    assert list(tmp_path.iterdir()) == []
    files = get_source("usitc_tariffs").download(tmp_path, years=[2017], client=client)
    assert [p.name for p in tmp_path.iterdir()] == [f.name for f in files]


def test_unfollowed_redirect_is_not_saved(tmp_path: Path) -> None:
    client, _ = serve(status(302, Location="https://example.test/moved.json"))
    with pytest.raises(FetchError, match=r"redirect to https://example\.test/moved\.json") as err:
        download_file(client, URL, tmp_path / "d.json")
    assert "follow_redirects" in (err.value.hint or "") and list(tmp_path.iterdir()) == []
