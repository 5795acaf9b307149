"""The web explorer as an ASGI application (Starlette), served by uvicorn (``techties serve``).

Pages, each with a JSON twin (same path + ``.json``, or under ``/api/``)::

    /  /claims                    the verdict table (?status=mixed; unknown value → 400)
    /claims/<id>                  one claim: verdict, figures, chart, method, robustness, caveats,
                                  provenance, evidence   (/claims/<id>/evidence.csv)
    /indicators                   shares, concentration, chokepoints, decoupling, rerouting, duty
                                  rates of a trade selection (.json, .csv)
    /tariffs                      every tariff measure in force on a code, date and direction
    /entities                     fuzzy search across every staged export-control list
    /scenarios                    library scenarios; POST /scenarios/run starts a run
    /scenarios/jobs/<id>          a run's progress and results; POST .../cancel stops it
    /sources                      every stored file with its provenance id and sha256

Every error has one JSON shape (see :mod:`techties.web.http`); ``HEAD`` answers with the
headers only; no ``GET`` changes anything.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techties.errors import TechtiesError
from techties.web.cache import AnswerCache
from techties.web.http import WebError, error_response, from_techties
from techties.web.jobs import Jobs
from techties.web.routes import ROUTES
from techties.web.state import Explorer

#: environment variable naming a pickle of the verdicts checked by ``techties serve`` (so each
#: of several worker processes does not check every claim again)
VERDICTS_ENV = "TECHTIES_WEB_VERDICTS"


class HeadWithoutBody:
    """ASGI middleware: a ``HEAD`` request gets the ``GET`` headers and an empty body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def drop_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, drop_body)


async def _web_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WebError)
    return error_response(request, exc)


async def _techties_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TechtiesError)
    return error_response(request, from_techties(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: (f"No page {request.url.path}.", "Start from the claims page, /."),
        405: (f"{request.method} is not allowed on {request.url.path}.",
              "Pages are GET; running work (scenarios) is POST."),
    }  # fmt: skip
    message, hint = messages.get(exc.status_code, (str(exc.detail), None))
    response = error_response(request, WebError(exc.status_code, message, hint=hint))
    for k, v in (exc.headers or {}).items():
        response.headers[k] = v
    return response


def create_app(explorer: Explorer, *, jobs: Jobs | None = None) -> Starlette:
    """The explorer over an open :class:`Explorer`; scenario runs in ``jobs`` (default: a new
    :class:`Jobs` on the same store file)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        app.state.jobs.close()

    app = Starlette(
        routes=ROUTES,
        lifespan=lifespan,
        exception_handlers={
            WebError: _web_error,
            TechtiesError: _techties_error,
            HTTPException: _http_error,
        },
    )
    app.state.explorer = explorer
    app.state.jobs = jobs or Jobs(explorer.path)
    app.add_middleware(
        AnswerCache, stamp=explorer.stamp, jobs_version=lambda: app.state.jobs.version
    )
    app.add_middleware(HeadWithoutBody)  # outermost: a kept GET answer loses its body
    return app


def from_env() -> Any:
    """The app factory uvicorn calls in each worker (``techties serve`` sets the store path and
    the checked verdicts in the environment)."""
    import pickle

    explorer = Explorer.open(os.environ.get("TECHTIES_STORE"))
    path = os.environ.get(VERDICTS_ENV)
    if path and os.path.isfile(path):  # the verdicts serve checked (not a data file)
        explorer.preload(pickle.loads(Path(path).read_bytes()))
    else:
        explorer.verdicts()
    return create_app(explorer)
