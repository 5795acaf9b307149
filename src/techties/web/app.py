"""The dashboard as a WSGI application (standard library only; one request at a time).

Pages and endpoints::

    /                              verdict counts and the table of claims (?status=mixed filters)
    /claims/<id>                   one claim: verdict, key numbers, chart, method, rule, caveats,
                                   provenance, and the evidence table
    /claims/<id>/evidence.csv      the evidence table as CSV
    /api/claims                    every verdict as JSON (``Verdict.to_dict``)
    /api/claims/<id>               one verdict as JSON
    /sources                       the source files behind the verdicts (provenance, sha256)
    /refresh                       check every claim again (after an ingest), back to /

The claims are checked once, on the first request, and kept until ``/refresh``. Pages need no
network: CSS is inline and charts are inline SVG, as in the report.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler

import jinja2

from techties._version import __version__
from techties.claims import Claim, Verdict, check_all, load_catalog
from techties.errors import did_you_mean
from techties.report.build import (
    STATUS_TEXT,
    badge_text,
    claim_section,
    kind_counts,
    provenance_rows,
    status_counts,
)
from techties.results import json_safe
from techties.store import Store

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
#: rows of the evidence table shown on a claim page (the CSV has all of them)
EVIDENCE_ROWS = 200


class QuietHandler(WSGIRequestHandler):
    """Request handler without the per-request log line (it would drown the terminal)."""

    def log_message(self, format: str, *args: object) -> None:
        return


class Dashboard:
    """WSGI app over one open store: ``Dashboard(store)``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._verdicts: list[Verdict] | None = None
        self._checked = ""
        self._lock = threading.Lock()
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.PackageLoader("techties.web", "templates"),
                    jinja2.PackageLoader("techties.report", "templates"),
                ]
            ),
            autoescape=jinja2.select_autoescape(["html", "j2"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["cell"] = cell
        css = Path(__file__).parents[1] / "report" / "templates" / "report.css"
        self._css = css.read_text("utf-8") + (
            Path(__file__).parent / "templates" / "web.css"
        ).read_text("utf-8")

    # -- data --------------------------------------------------------------------------------
    def verdicts(self, *, refresh: bool = False) -> list[Verdict]:
        """Every claim's verdict (checked on first use and on refresh)."""
        with self._lock:
            if self._verdicts is None or refresh:
                self._verdicts = check_all(self.store)
                self._checked = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            return self._verdicts

    def _find(self, key: str) -> tuple[Claim, Verdict] | None:
        claims = {c.id: c for c in load_catalog()}
        for v in self.verdicts():
            if v.claim_id == key or str(claims[v.claim_id].number) == key:
                return claims[v.claim_id], v
        return None

    # -- WSGI --------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/") or "/"
        query = parse_qs(environ.get("QUERY_STRING", ""))
        parts = [p for p in path.split("/") if p]
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _reply(start_response, "405 Method Not Allowed", "text/plain", b"GET only\n")
        if not parts:
            return self._home(start_response, (query.get("status") or [None])[0])
        if parts == ["refresh"]:
            self.verdicts(refresh=True)
            return _reply(start_response, "303 See Other", "text/plain", b"", [("Location", "/")])
        if parts == ["sources"]:
            return self._sources(start_response)
        if parts == ["api", "claims"]:
            body = [v.to_dict() for v in self.verdicts()]
            return _json(start_response, body)
        if len(parts) == 3 and parts[:2] == ["api", "claims"]:
            found = self._find(parts[2])
            if found is None:
                return self._missing(start_response, parts[2], as_json=True)
            return _json(start_response, found[1].to_dict())
        if parts[0] == "claims" and len(parts) in (2, 3):
            found = self._find(parts[1])
            if found is None:
                return self._missing(start_response, parts[1])
            if len(parts) == 3 and parts[2] == "evidence.csv":
                buf = io.StringIO()
                found[1].evidence.to_csv(buf, index=False)
                return _reply(
                    start_response,
                    "200 OK",
                    "text/csv; charset=utf-8",
                    buf.getvalue().encode(),
                    [("Content-Disposition", f'attachment; filename="{found[0].id}.csv"')],
                )
            if len(parts) == 2:
                return self._claim(start_response, *found)
        return self._page(
            start_response,
            "notfound.html.j2",
            "404 Not Found",
            title="Not found",
            message=f"No page {path}.",
            hint="Start from the dashboard.",
        )

    # -- pages -------------------------------------------------------------------------------
    def _page(
        self, start_response: StartResponse, template: str, status: str = "200 OK", **ctx: Any
    ) -> list[bytes]:
        html = self._env.get_template(template).render(
            css=self._css,
            version=__version__,
            checked=self._checked,
            status_text=STATUS_TEXT,
            store_path=str(self.store.path),
            **ctx,
        )
        return _reply(start_response, status, "text/html; charset=utf-8", html.encode())

    def _home(self, start_response: StartResponse, status: str | None) -> list[bytes]:
        verdicts = self.verdicts()
        status = status if status in STATUS_TEXT else None  # an unknown filter shows them all
        claims = {c.id: c for c in load_catalog()}
        counts = status_counts(verdicts)
        shown = [v for v in verdicts if status in (None, v.status)]
        rows = [{"claim": claims[v.claim_id], "verdict": v, "badge": badge_text(v)} for v in shown]
        return self._page(
            start_response,
            "dashboard.html.j2",
            title="Claims checked against data",
            rows=rows,
            counts=counts,
            kind_rows=kind_counts(verdicts),
            chosen=status,
            total=len(verdicts),
        )

    def _claim(self, start_response: StartResponse, claim: Claim, verdict: Verdict) -> list[bytes]:
        evidence = verdict.evidence
        records = json_safe(evidence.head(EVIDENCE_ROWS)) if not evidence.empty else []
        return self._page(
            start_response,
            "claim.html.j2",
            title=f"Claim {claim.number}",
            s=claim_section(claim, verdict, self.store),
            columns=[str(c) for c in evidence.columns],
            records=records,
            n_evidence=len(evidence),
            shown=min(len(evidence), EVIDENCE_ROWS),
        )

    def _sources(self, start_response: StartResponse) -> list[bytes]:
        ids = sorted({i for v in self.verdicts() for i in v.provenance_ids})
        return self._page(
            start_response,
            "sources.html.j2",
            title="Sources",
            sources=provenance_rows(self.store, ids),
        )

    def _missing(
        self, start_response: StartResponse, key: str, *, as_json: bool = False
    ) -> list[bytes]:
        ids = [c.id for c in load_catalog()]
        message = f"No claim {key!r}."
        hint = did_you_mean(key, ids)
        if as_json:
            body = json.dumps({"error": message, "hint": hint}).encode()
            return _reply(start_response, "404 Not Found", "application/json", body)
        return self._page(
            start_response,
            "notfound.html.j2",
            "404 Not Found",
            title="No such claim",
            message=message,
            hint=hint,
        )


def cell(x: Any) -> str:
    """An evidence value for the page: thousands separators, four significant digits below
    10,000, whole numbers above (no exponents), — for missing."""
    if x is None:
        return "—"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if isinstance(x, int) or (abs(x) >= 1e4 and float(x).is_integer()):
        return f"{x:,.0f}"
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:,.4g}"


def _json(start_response: StartResponse, payload: Any) -> list[bytes]:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode()
    return _reply(start_response, "200 OK", "application/json; charset=utf-8", body)


def _reply(
    start_response: StartResponse,
    status: str,
    kind: str,
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", kind), ("Content-Length", str(len(body))), *(headers or [])],
    )
    return [body]
