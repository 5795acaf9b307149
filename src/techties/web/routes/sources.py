"""Sources: every stored file behind the verdicts, with provenance id, version and sha256."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from techties.web.http import json_reply, page, wants_json
from techties.web.state import Explorer


def _rows(ex: Explorer) -> list[dict[str, Any]]:
    from techties.report.build import provenance_rows

    used = {i for v in ex.verdicts() for i in v.provenance_ids}

    def build() -> list[dict[str, Any]]:
        with ex.reader() as st:
            every = [int(i) for i in st.provenance()["id"]]
            rows = provenance_rows(st, every)
        for r in rows:
            r["used_by_claims"] = r["id"] in used
            r["version"] = "" if str(r["version"]) in ("nan", "None", "NaT") else r["version"]
        return rows

    rows: list[dict[str, Any]] = ex.cached(("sources",), build)
    return rows


def sources(request: Request) -> Response:
    ex: Explorer = request.app.state.explorer
    rows = _rows(ex)
    if wants_json(request):
        return json_reply(rows)
    return page(request, "sources.html.j2", title="Sources", sources=rows)


ROUTES = [
    Route("/sources", sources),
    Route("/sources.json", sources),
    Route("/api/sources", sources),
]
