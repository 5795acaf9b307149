"""The explorer's answer cache: an ASGI middleware that keeps each page's answer as bytes (with a
gzip copy when that pays) under its URL, and answers repeats without entering the application.

A page depends on the store alone, which does not change while the server holds it read-only, so
its first answer is kept (least recently used dropped past :data:`MAX_BYTES`). The key and the
``ETag`` also carry the store's stamp (:attr:`techties.web.state.Explorer.stamp`: file identity,
size, modification time and last provenance id), so a validator from a server on an older build
of the store never matches after a rebuild. Scenario pages also carry the runs' version (a run that
starts or ends changes ``/scenarios``); a run's own page (``/scenarios/jobs/…``) is never kept,
and only ``200`` answers are.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: bytes of answers (plain and gzip) kept per worker process
MAX_BYTES = 64 * 1024 * 1024
#: answers smaller than this are sent as they are (gzip would not pay for its time)
GZIP_MIN = 1400
#: paths never kept (progress changes by the second); paths whose answer follows the runs
NEVER = ("/scenarios/jobs/", "/api/scenarios/jobs/")
RUNS = ("/scenarios", "/api/scenarios")
#: content types worth compressing
TEXTUAL = (b"text/", b"application/json", b"image/svg")


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]  # without content-length
    body: bytes
    etag: bytes
    gz: bytes | None = None  # the gzip copy, made on the first request that accepts it
    gz_tried: bool = False

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz or b"")


class AnswerCache:
    """ASGI middleware: ``GET``/``HEAD`` answers kept as bytes per URL, ``ETag`` and
    ``If-None-Match`` (304), gzip when the client accepts it and the body is large enough."""

    def __init__(
        self, app: ASGIApp, *, stamp: str, jobs_version: Callable[[], int] = lambda: 0
    ) -> None:
        self.app = app
        self.stamp = stamp
        self.jobs_version = jobs_version
        self.answers: OrderedDict[bytes, Answer] = OrderedDict()
        self.bytes = 0
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    def key(self, scope: Scope) -> bytes | None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        path: str = scope["path"]
        if path.startswith(NEVER):
            return None
        runs = f"#runs={self.jobs_version()}" if path.startswith(RUNS) else ""
        return f"{path}?{scope['query_string'].decode('latin-1')}{runs}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        kept = self.answers.get(key)
        if kept is None:
            self.misses += 1
            kept = await self._answer(scope, receive, send, key)
            if kept is None:
                return
        else:
            self.hits += 1
            self.answers.move_to_end(key)
        await self._send(kept, scope, send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, key: bytes
    ) -> Answer | None:
        """Run the application; keep a whole 200 answer (sent by the caller), pass others on."""
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        bodies = [m for m in messages if m["type"] == "http.response.body"]
        whole = bool(bodies) and not any(m.get("more_body") for m in bodies)
        if start is None or start["status"] != 200 or not whole:
            for m in messages:
                await send(m)
            return None
        body = b"".join(m.get("body", b"") for m in bodies)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        digest = hashlib.sha256(self.stamp.encode() + b"\0" + body).hexdigest()[:24]
        answer = Answer(200, headers, body, f'"{digest}"'.encode())
        with self._lock:
            self.answers[key] = answer
            self.bytes += answer.size
            self._trim()
        return answer

    def _trim(self) -> None:
        while self.bytes > MAX_BYTES and len(self.answers) > 1:
            _, old = self.answers.popitem(last=False)
            self.bytes -= old.size

    async def _send(self, answer: Answer, scope: Scope, send: Send) -> None:
        asked = dict(scope["headers"])
        headers = [*answer.headers, (b"etag", answer.etag), (b"vary", b"accept-encoding")]
        if answer.etag in _tags(asked.get(b"if-none-match", b"")):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = answer.body
        if _accepts_gzip(asked.get(b"accept-encoding", b"")) and self._gzip(answer):
            assert answer.gz is not None
            body = answer.gz
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _gzip(self, answer: Answer) -> bool:
        """Whether a gzip copy is worth sending (made once: textual, large, a fifth smaller)."""
        if not answer.gz_tried:
            answer.gz_tried = True
            kind = dict(answer.headers).get(b"content-type", b"")
            if len(answer.body) >= GZIP_MIN and kind.startswith(TEXTUAL):
                packed = gzip.compress(answer.body, compresslevel=6, mtime=0)
                if len(packed) < 0.8 * len(answer.body):
                    answer.gz = packed
                    with self._lock:
                        self.bytes += len(packed)
                        self._trim()
        return answer.gz is not None


def _tags(header: bytes) -> set[bytes]:
    """The entity tags of an ``If-None-Match`` header (weak ones compared by their value)."""
    return {t.strip().removeprefix(b"W/") for t in header.split(b",") if t.strip()}


def _accepts_gzip(header: bytes) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip (``gzip;q=0`` refuses it)."""
    for item in header.lower().split(b","):
        name, _, params = item.strip().partition(b";")
        if name.strip() in (b"gzip", b"*"):
            q = params.strip().removeprefix(b"q=")
            return not params.strip().startswith(b"q=") or _float(q) > 0
    return False


def _float(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
