"""Scenarios: a library scenario as shipped or adjusted (tariff levels each way as a multiple of
the scenario's, export controls on or off, uncertainty draws), run in a background process
(:mod:`techties.web.jobs`) with progress, cancel and limits; results per country with intervals
in a ranked chart. Running work is POST only."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from techties.web.http import WebError, json_reply, page, wants_json
from techties.web.jobs import MAX_DRAWS, Jobs

SCALES = ("0", "0.5", "1", "1.5", "2", "3")


def library() -> dict[str, dict[str, Any]]:
    """Library scenario name → its definition (the YAML as data)."""
    from techties.simulation.library import LIBRARY, library_names

    return {n: yaml.safe_load((LIBRARY / f"{n}.yaml").read_text("utf-8")) for n in library_names()}


def _kinds(data: dict[str, Any]) -> set[str]:
    return {next(iter(s)) for s in data.get("shocks") or [] if isinstance(s, dict)}


def adjust(data: dict[str, Any], us: float, china: float, controls: bool) -> dict[str, Any]:
    """The scenario with US and Chinese tariff shocks scaled and export controls kept or not."""
    out = copy.deepcopy(data)
    changed = (us, china, controls) != (1.0, 1.0, True)
    if not data.get("shocks"):  # e.g. a gravity experiment: its counterfactual is its own block
        if changed:
            raise WebError(
                400,
                "This scenario has no tariff or export-control shocks to adjust.",
                hint="Run it as shipped (tariff multiples 1, export controls on).",
            )
        return out
    shocks = []
    for s in out.get("shocks") or []:
        kind, body = next(iter(s.items()))
        if kind == "export_control" and not controls:
            continue
        if kind == "tariff" and isinstance(body.get("by_sector"), dict):
            f = us if body.get("imposer") == "USA" else china if body.get("imposer") == "CHN" else 1
            body["by_sector"] = {k: round(float(v) * f, 4) for k, v in body["by_sector"].items()}
        shocks.append(s)
    if not shocks:
        raise WebError(
            400,
            "The adjusted scenario has no shock left.",
            hint="Keep export controls on, or choose a scenario with tariffs.",
        )
    if changed:
        out["name"] = f"{out['name']} (adjusted: US tariffs ×{us:g}, China tariffs ×{china:g}" + (
            ", export controls off)" if not controls and "export_control" in _kinds(data) else ")"
        )
    out["shocks"] = shocks
    return out


def _field(form: Any, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = str(form.get(name) or default).strip()
    if value not in allowed:
        raise WebError(
            400, f"{name}={value!r} is not one of the allowed values.", allowed=list(allowed)
        )
    return value


async def run(request: Request) -> Response:
    lib = library()
    if request.headers.get("content-type", "").startswith("application/json"):
        form: Any = await request.json()
        if not isinstance(form, dict):
            raise WebError(400, "Send a JSON object.")
        form = {k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()}
    else:
        form = await request.form()
    name = _field(form, "scenario", tuple(lib), "uschina_escalation")
    us = float(_field(form, "us_tariffs", SCALES, "1"))
    china = float(_field(form, "china_tariffs", SCALES, "1"))
    controls = _field(form, "export_controls", ("on", "off", "true", "false"), "on")
    draws = int(_field(form, "draws", tuple(str(i) for i in range(MAX_DRAWS + 1)), "0"))
    spec = {
        "scenario": adjust(lib[name], us, china, controls in ("on", "true")),
        "draws": draws,
        "seed": 0,
        "library": name,
    }
    jobs: Jobs = request.app.state.jobs
    job = jobs.submit(spec)
    if wants_json(request):
        return json_reply(job.to_dict(), status=202)
    return RedirectResponse(f"/scenarios/jobs/{job.id}", status_code=303)


def _job(request: Request) -> Any:
    jobs: Jobs = request.app.state.jobs
    job = jobs.get(str(request.path_params["job"]))
    if job is None:
        raise WebError(404, "No such scenario run.", hint="Start one from /scenarios.")
    return job


def job_page(request: Request) -> Response:
    job = _job(request)
    if wants_json(request):
        return json_reply(job.to_dict())
    return page(request, "job.html.j2", title=f"Scenario run: {job.state}", job=job)


async def cancel(request: Request) -> Response:
    jobs: Jobs = request.app.state.jobs
    job = jobs.cancel(_job(request).id)
    assert job is not None
    if wants_json(request):
        return json_reply(job.to_dict())
    return RedirectResponse(f"/scenarios/jobs/{job.id}", status_code=303)


def scenarios(request: Request) -> Response:
    lib = library()
    rows = [
        {"name": n, "title": d.get("name", n), "description": d.get("description", ""),
         "baseline": d.get("baseline"), "shocks": sorted(_kinds(d))}
        for n, d in lib.items()
    ]  # fmt: skip
    if wants_json(request):
        return json_reply({"library": rows, "max_draws": MAX_DRAWS, "scales": SCALES})
    jobs: Jobs = request.app.state.jobs
    recent = sorted(jobs.jobs.values(), key=lambda j: -j.created)[:10]
    return page(
        request, "scenarios.html.j2", title="Scenarios", rows=rows, scales=SCALES,
        max_draws=MAX_DRAWS, recent=recent,
    )  # fmt: skip


ROUTES = [
    Route("/scenarios", scenarios),
    Route("/scenarios.json", scenarios),
    Route("/scenarios/run", run, methods=["POST"]),
    Route("/api/scenarios/run", run, methods=["POST"]),
    Route("/scenarios/jobs/{job}.json", job_page),
    Route("/api/scenarios/jobs/{job}", job_page),
    Route("/scenarios/jobs/{job}", job_page),
    Route("/scenarios/jobs/{job}/cancel", cancel, methods=["POST"]),
    Route("/api/scenarios/jobs/{job}/cancel", cancel, methods=["POST"]),
]
