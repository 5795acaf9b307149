"""Downloads that survive a flaky network and never leave a half-written file behind.

Every source's ``download()`` goes through this module:

- **Retries.** Connection, read and time-out errors, HTTP 429 and 5xx answers and bodies shorter
  than their ``Content-Length`` are retried up to :attr:`Retry.attempts` times, waiting
  ``backoff · 2^(n-1)`` seconds (capped) or what the server asks in ``Retry-After`` (seconds or
  an HTTP date). Other 4xx answers fail at once. The wait goes through the module-level
  :data:`sleep`, which tests replace.
- **Verification.** The body must not be an HTML page when data was asked for, must have the
  announced length, must parse (``expect="json"``) or pass ``zipfile.testzip`` (``expect="zip"``),
  match a published SHA-256 when one is given, and pass the source's own ``verify`` callback.
- **Atomic replace.** Files stream to ``.<name>.part`` beside the target and are renamed over
  it (``os.replace``) only once verified: on any failure — including ``KeyboardInterrupt`` — the
  previous file is untouched and the temporary file removed.
- **Resume.** With ``resume=True`` (large archives), a retry after a dropped connection, or a
  ``.part`` left by a killed process, asks for the rest with ``Range``; a ``206`` answer is
  appended, a ``200`` starts over. A resumed file that fails verification is fetched once more
  in full.
- **Streaming unpack.** :func:`extract_member` copies one archive member to disk in chunks.

Failures raise :class:`~techties.errors.FetchError` naming the URL (API keys masked), what went
wrong and the fix.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from techties.errors import ConfigError, FetchError, SourceFormatError

T = TypeVar("T")

#: the wait between attempts (tests replace it with a recorder)
sleep: Callable[[float], None] = time.sleep

CHUNK = 1 << 20
#: query parameters whose values never appear in messages
SECRET_PARAMS = frozenset({"key", "subscription-key", "api_key", "apikey", "token"})
HTML_TYPES = ("text/html", "application/xhtml+xml")
KINDS = {"json": "JSON", "zip": "a zip archive", "csv": "CSV"}
HINTS = {
    401: "the endpoint refused the request: check your API key",
    403: "the endpoint refused the request: check your API key",
    404: "check the years and parameters (the file may not be published yet)",
}


@dataclass(frozen=True, slots=True)
class Retry:
    """How often and how long to retry: ``attempts`` in all, ``backoff · 2^(n-1)`` seconds
    after the n-th failure, never more than ``max_wait`` (a longer ``Retry-After`` gives up)."""

    attempts: int = 4
    backoff: float = 1.0
    max_wait: float = 120.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff < 0 or self.max_wait < 0:
            raise ConfigError(f"invalid retry policy {self!r}", hint="attempts ≥ 1, waits ≥ 0")

    def wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return float(min(self.backoff * 2 ** (attempt - 1), self.max_wait))


RETRY = Retry()


class _Transient(Exception):
    """A failure worth another attempt (``what`` goes into the final message)."""

    def __init__(self, what: str, *, retry_after: float | None = None, hint: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after
        self.hint = hint or "The server or the network failed; try again later."


def shown_url(url: httpx.URL | str) -> str:
    """``url`` with API keys masked, for messages."""
    u = httpx.URL(str(url))
    if not any(k.lower() in SECRET_PARAMS for k in u.params):
        return str(u)
    params = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in u.params.multi_items()]
    return str(u.copy_with(params=params))


def part_path(target: Path) -> Path:
    """The temporary file a download of ``target`` streams into (same folder)."""
    return target.with_name(f".{target.name}.part")


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _retrying(call: Callable[[], T], url: str, policy: Retry) -> T:
    """Run ``call`` until it succeeds, a non-transient error occurs or attempts run out."""
    last = _Transient("no attempt made")
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except _Transient as exc:
            last = exc
            if exc.retry_after is not None and exc.retry_after > policy.max_wait:
                raise FetchError(
                    f"{url}: {exc.what}; the server asks to wait {exc.retry_after:.0f} s "
                    f"(Retry-After), longer than the {policy.max_wait:.0f} s techties waits",
                    hint="Try again later.",
                ) from exc
            if attempt < policy.attempts:
                sleep(policy.wait(attempt, exc.retry_after))
    raise FetchError(
        f"{url}: failed after {policy.attempts} attempt(s); last: {last.what}", hint=last.hint
    ) from last


def _check_status(resp: httpx.Response, url: str, hints: Mapping[int, str]) -> None:
    code = resp.status_code
    if code == 204:  # a download that answers "no content" has failed
        raise FetchError(
            f"{url} answered HTTP 204 No Content",
            hint=hints.get(204) or "No data for these parameters: check the years.",
        )
    if 300 <= code < 400:
        raise FetchError(
            f"{url} answered HTTP {code}, a redirect to {resp.headers.get('Location', '?')}",
            hint="Follow redirects: build the client with httpx.Client(follow_redirects=True).",
        )
    if code < 400:
        return
    what = f"HTTP {code} {resp.reason_phrase}".strip()
    if code == 429 or code >= 500:
        hint = hints.get(code) or (
            "The API is rate-limiting requests; wait a while or use an API key."
            if code == 429
            else "The server is failing; try again later."
        )
        raise _Transient(what, retry_after=retry_after(resp.headers.get("Retry-After")), hint=hint)
    detail = _body_snippet(resp)
    raise FetchError(
        f"{url} answered {what}{f': {detail}' if detail else ''}",
        hint=hints.get(code) or HINTS.get(code) or "Check the URL and parameters.",
    )


def _body_snippet(resp: httpx.Response) -> str:
    """The first line of a short non-HTML error body (APIs explain their 4xx there)."""
    try:
        resp.read()
    except httpx.HTTPError:
        return ""
    if _is_html(resp) or not resp.content:
        return ""
    lines = resp.content[:200].decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else ""


def _is_html(resp: httpx.Response) -> bool:
    ctype = resp.headers.get("Content-Type", "").lower()
    return any(ctype.startswith(t) for t in HTML_TYPES)


def _check_type(resp: httpx.Response, url: str, expect: str | None) -> None:
    if expect and _is_html(resp):
        raise FetchError(
            f"{url}: the server returned an HTML page, not {KINDS.get(expect, expect)}",
            hint="Check the URL or try later (a maintenance or login page).",
        )


def _expected_total(resp: httpx.Response, offset: int) -> int | None:
    """Bytes the finished file should have, from Content-Range or Content-Length."""
    if resp.status_code == 206:
        total = resp.headers.get("Content-Range", "").rpartition("/")[2]
        if total.isdigit():
            return int(total)
    length = resp.headers.get("Content-Length", "")
    if length.isdigit() and resp.headers.get("Content-Encoding", "identity") == "identity":
        return int(length) + (offset if resp.status_code == 206 else 0)
    return None


def _range_start(resp: httpx.Response) -> int | None:
    spec = resp.headers.get("Content-Range", "").removeprefix("bytes ").partition("-")[0]
    return int(spec) if spec.isdigit() else None


@contextmanager
def _get(
    client: httpx.Client,
    url: str,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[httpx.Response]:
    """Stream a GET, turning retryable transport errors into :class:`_Transient`."""
    try:
        with client.stream("GET", url, params=params, headers=headers) as resp:
            yield resp
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise _Transient(
            f"{type(exc).__name__}: {exc}",
            hint="Check your network connection (and proxy settings), or try again later.",
        ) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"Cannot reach {url}: {exc}", hint="Check the URL.") from exc


def _short(received: int, expected: int | None) -> None:
    if expected is not None and received != expected:
        raise _Transient(
            f"received {received:,} bytes, Content-Length announced {expected:,}",
            hint="The connection was cut mid-transfer; try again.",
        )


def fetch_bytes(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    expect: str | None = None,
    hints: Mapping[int, str] | None = None,
    retry: Retry | None = None,
) -> bytes:
    """GET a (small) body into memory with retries; refuse HTML and short bodies;
    ``expect="json"`` also requires it to parse."""
    body, shown = _fetch(client, url, params, expect, hints, retry)
    if expect == "json":
        _json_body(body, f"{shown}: ")
    return body


def _fetch(
    client: httpx.Client,
    url: str,
    params: Mapping[str, str] | None,
    expect: str | None,
    hints: Mapping[int, str] | None,
    retry: Retry | None,
) -> tuple[bytes, str]:
    """(body, URL as shown in messages) of a GET with retries and the length check."""
    shown = shown_url(httpx.URL(url, params=params))

    def attempt() -> bytes:
        with _get(client, url, params) as resp:
            _check_status(resp, shown, hints or {})
            _check_type(resp, shown, expect)
            body = b"".join(resp.iter_bytes(CHUNK))
            _short(len(body), _expected_total(resp, 0))  # None when content-encoded
        return body

    return _retrying(attempt, shown, retry or RETRY), shown


def fetch_json(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    hints: Mapping[int, str] | None = None,
    retry: Retry | None = None,
) -> Any:
    """GET a JSON API answer (see :func:`fetch_bytes`) and return it parsed."""
    body, shown = _fetch(client, url, params, "json", hints, retry)
    return _json_body(body, f"{shown}: ")


def _json_body(body: bytes, prefix: str = "") -> Any:
    """``body`` parsed, or FetchError saying why it is not JSON."""
    if not body.strip():
        raise FetchError(
            f"{prefix}the answer is empty, not JSON",
            hint="No data for these parameters (check the years), or try later.",
        )
    if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise FetchError(
            f"{prefix}the server returned an HTML page, not JSON",
            hint="Check the URL or try later (a maintenance or login page).",
        )
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(
            f"{prefix}the answer is not JSON ({exc})", hint="Check the URL or try later."
        ) from exc


def check_json(path: Path) -> None:
    """Refuse a file that does not parse as JSON (or is an HTML page)."""
    _json_body(path.read_bytes())


def check_zip(path: Path) -> None:
    """Refuse a file that is not a complete zip archive (every member's CRC checked)."""
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise FetchError(
            f"the download is not a complete zip archive ({exc})",
            hint="The transfer was cut or the server sent something else; try again.",
        ) from exc
    if bad is not None:
        raise FetchError(
            f"the download is a damaged zip archive (member {bad!r} fails its CRC)",
            hint="Try again; if it persists, report it to the publisher.",
        )


def check_sha256(path: Path, expected: str) -> None:
    """Refuse a file whose SHA-256 differs from the published ``expected`` digest."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected.lower():
        raise FetchError(
            f"the download's SHA-256 is {digest.hexdigest()}, the publisher gives {expected}",
            hint="The file is damaged or was replaced; try again or check the publisher's page.",
        )


_CHECKS: dict[str, Callable[[Path], None]] = {"json": check_json, "zip": check_zip}


def _stream_once(
    client: httpx.Client,
    url: str,
    part: Path,
    *,
    params: Mapping[str, str] | None,
    expect: str | None,
    hints: Mapping[int, str],
    resume: bool,
) -> bool:
    """One attempt: stream into ``part`` (appending on a 206 answer); True when it resumed."""
    offset = part.stat().st_size if resume and part.exists() else 0
    headers = {"Accept-Encoding": "identity"} if resume else {}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    shown = shown_url(httpx.URL(url, params=params))
    with _get(client, url, params, headers) as resp:
        if resp.status_code == 416:  # the part is not a prefix of the file: start over
            part.unlink(missing_ok=True)
            raise _Transient("HTTP 416 to a resume request", retry_after=0.0)
        _check_status(resp, shown, hints)
        _check_type(resp, shown, expect)
        appending = bool(offset) and resp.status_code == 206
        if appending and _range_start(resp) != offset:
            part.unlink(missing_ok=True)
            raise _Transient("the server resumed at the wrong byte", retry_after=0.0)
        with open(part, "ab" if appending else "wb") as fh:
            for chunk in resp.iter_bytes():  # as received: a cut loses nothing already sent
                fh.write(chunk)
        _short(part.stat().st_size, _expected_total(resp, offset if appending else 0))
    return appending


def _verify(
    part: Path,
    url: str,
    expect: str | None,
    sha256: str | None,
    verify: Callable[[Path], object] | None,
) -> None:
    checks = [c for c in (_CHECKS.get(expect or ""), verify) if c is not None]
    try:
        if sha256:
            check_sha256(part, sha256)
        for check in checks:
            check(part)
    except FetchError as exc:
        raise FetchError(f"{url}: {exc.message}", hint=exc.hint) from exc
    except SourceFormatError as exc:
        raise FetchError(
            f"{url}: the answer is not in the expected layout: {exc.message}",
            hint=exc.hint or "Check the URL and parameters, or try later.",
        ) from exc


def download_file(
    client: httpx.Client,
    url: str,
    target: Path,
    *,
    params: Mapping[str, str] | None = None,
    expect: str | None = None,
    verify: Callable[[Path], object] | None = None,
    sha256: str | None = None,
    resume: bool = False,
    hints: Mapping[int, str] | None = None,
    retry: Retry | None = None,
) -> Path:
    """GET ``url`` into ``target`` safely: stream to ``.<name>.part``, retry (resuming with
    ``Range`` when ``resume``), verify, then rename over ``target``. On any failure ``target``
    is left as it was and the part file is removed. ``expect`` is ``"json"``, ``"zip"``,
    ``"csv"`` or None; ``verify(path)`` is the source's own check (may raise
    :class:`SourceFormatError` or :class:`FetchError`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(target)
    shown = shown_url(httpx.URL(url, params=params))
    if not resume:
        part.unlink(missing_ok=True)

    def attempt() -> bool:
        return _stream_once(
            client, url, part, params=params, expect=expect, hints=hints or {}, resume=resume
        )

    try:
        resumed = _retrying(attempt, shown, retry or RETRY)
        try:
            _verify(part, shown, expect, sha256, verify)
        except FetchError:
            if not resumed:
                raise
            part.unlink(missing_ok=True)  # a resumed file failed its check: fetch it whole once
            _retrying(attempt, shown, retry or RETRY)
            _verify(part, shown, expect, sha256, verify)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


def write_atomic(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` through a temporary file and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(target)
    try:
        part.write_bytes(data)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


def extract_member(zf: zipfile.ZipFile, name: str, target: Path) -> Path:
    """Copy archive member ``name`` to ``target`` in chunks (never whole in memory), through a
    temporary file and a rename (a damaged member leaves ``target`` as it was)."""
    part = part_path(target)
    try:
        with zf.open(name) as src, open(part, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target
