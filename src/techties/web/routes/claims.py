"""Claims: the verdict table (``/``, ``/claims``), one claim, its evidence as CSV, and JSON twins
built from ``Verdict.to_dict`` (what ``techties claims --json`` prints)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from techties.errors import did_you_mean
from techties.web.http import WebError, choice, csv_reply, json_reply, page, records, wants_json
from techties.web.state import Explorer

#: rows of the evidence table shown on a claim page (the CSV has all of them)
EVIDENCE_ROWS = 200
STATUSES = ("supported", "contradicted", "mixed", "unverifiable")


def _ex(request: Request) -> Explorer:
    explorer: Explorer = request.app.state.explorer
    return explorer


def claims_table(request: Request) -> Response:
    """Every verdict; ``?status=`` keeps one verdict (unknown → 400 naming the four)."""
    from techties.report.build import STATUS_TEXT, badge_text, kind_counts, status_counts

    status = choice(request, "status", STATUSES, None)
    ex = _ex(request)
    verdicts = ex.verdicts()
    shown = [v for v in verdicts if status in (None, v.status)]
    if wants_json(request):
        return json_reply([v.to_dict() for v in shown])
    claims = ex.claims()
    rows = [{"claim": claims[v.claim_id], "verdict": v, "badge": badge_text(v)} for v in shown]
    return page(
        request,
        "dashboard.html.j2",
        title="Claims checked against data",
        rows=rows,
        counts=status_counts(verdicts),
        kind_rows=kind_counts(verdicts),
        chosen=status,
        total=len(verdicts),
        status_text=STATUS_TEXT,
        json_href="/claims.json" + (f"?status={status}" if status else ""),
    )


def _found(request: Request) -> Any:
    key = str(request.path_params["key"])
    found = _ex(request).find(key)
    if found is None:
        ids = list(_ex(request).claims())
        raise WebError(
            404,
            f"No claim {key!r}.",
            hint=did_you_mean(key, ids) or "The claims page lists every claim.",
        )
    return found


def claim_page(request: Request) -> Response:
    from techties.report.build import STATUS_TEXT, claim_section

    claim, verdict = _found(request)
    if wants_json(request):
        return json_reply(verdict.to_dict())
    ex = _ex(request)

    def build() -> dict[str, Any]:
        with ex.reader() as st:
            section = claim_section(claim, verdict, st)
        return section

    evidence = verdict.evidence
    return page(
        request,
        "claim.html.j2",
        title=f"Claim {claim.number}",
        s=ex.cached(("claim", claim.id), build),
        columns=[str(c) for c in evidence.columns],
        records=records(evidence, EVIDENCE_ROWS) if not evidence.empty else [],
        n_evidence=len(evidence),
        shown=min(len(evidence), EVIDENCE_ROWS),
        status_text=STATUS_TEXT,
    )


def evidence_csv(request: Request) -> Response:
    claim, verdict = _found(request)
    return csv_reply(verdict.evidence, f"{claim.id}.csv")


ROUTES = [
    Route("/", claims_table),
    Route("/claims", claims_table),
    Route("/claims.json", claims_table),
    Route("/api/claims", claims_table),
    Route("/claims/{key}.json", claim_page),
    Route("/api/claims/{key}", claim_page),
    Route("/claims/{key}/evidence.csv", evidence_csv),
    Route("/claims/{key}", claim_page),
]
