"""Build the report from verdicts: presentation only, every number comes from a Verdict.

``build_report(store, out_dir)`` checks every claim, renders ``report.html`` with jinja2 (charts
as inline SVG via :func:`techties.charts.to_svg`, CSS inline, no network needed to open it) and,
with ``pdf=True``, prints it to ``report.pdf`` with headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from techties import charts
from techties._version import __version__
from techties.claims import Claim, Verdict, check_all, load_catalog
from techties.claims.listing import TABLE_COLUMNS, listing_rows
from techties.claims.rules import KIND_TEXT, KINDS
from techties.errors import ConfigError
from techties.store import Store
from techties.store.derived import Derived, code_version, derived_key, keep, lookup

#: threads rendering the report's charts (vl-convert releases the GIL while it renders)
CHART_THREADS = max(1, min(4, os.cpu_count() or 1))
#: modules whose code a cached chart depends on, and the derived results' name prefix
CHART_MODULES, CHART_PREFIX = ("techties.charts",), "report-chart:"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
STATUS_TEXT = {
    "supported": "Supported",
    "contradicted": "Contradicted",
    "mixed": "Mixed",
    "unverifiable": "Unverifiable",
}
REASON_TEXT = {
    "no_data": "the staged data cannot answer it",
    "not_yet": "the evidence layer is not available yet",
    "out_of_scope": "outside what techties measures",
}


@dataclass(frozen=True, slots=True)
class ReportResult:
    html: Path
    pdf: Path | None
    verdicts: list[Verdict]

    def counts(self) -> dict[str, int]:
        return status_counts(self.verdicts)


def status_counts(verdicts: list[Verdict]) -> dict[str, int]:
    """How many verdicts have each status (every status listed, zeros included)."""
    out = dict.fromkeys(STATUS_TEXT, 0)
    for v in verdicts:
        out[v.status] += 1
    return out


def kind_counts(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Verdict counts by evidence kind (observed, estimated, modelled, none) and status: one row
    per kind, so model-based verdicts are never counted together with observed ones."""
    rows = []
    for kind in (*KINDS, None):
        these = [v for v in verdicts if (v.kind if v.status != "unverifiable" else None) == kind]
        rows.append(
            {
                "kind": kind or "none",
                "text": KIND_TEXT[kind] if kind else "nothing decisive (unverifiable)",
                "counts": status_counts(these),
                "total": len(these),
            }
        )
    return [r for r in rows if r["total"]]


def badge_text(verdict: Verdict) -> str:
    """``"Supported"``, ``"Mixed (fragile)"``, ``"Supported · model result"``."""
    text = STATUS_TEXT[verdict.status] + (" (fragile)" if verdict.fragile else "")
    if verdict.status == "unverifiable":  # nothing decided: no evidence kind on the badge
        return text
    return text + {"modelled": " · model result", "estimated": " · estimate"}.get(
        verdict.kind or "", ""
    )


def robustness_line(verdict: Verdict) -> str:
    """``"4 of 5 specifications give supported, 1 mixed"`` (computable specifications only)."""
    t = verdict.robustness
    if t.empty:
        return ""
    ok = t[t["status"] != "unverifiable"]
    if ok.empty:
        return "No alternative specification could be computed."
    counts = ok["status"].value_counts()
    parts = ", ".join(f"{n} {s}" for s, n in counts.items())
    if verdict.status == "unverifiable":
        return (
            "The claim as stated cannot be measured, so no specification decides it; "
            f"the {len(ok)} computable specifications of what can be measured give {parts}."
        )
    return f"Of {len(ok)} computable specifications: {parts}."


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("techties.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def chart_svg(verdict: Verdict) -> str | None:
    """Inline SVG of the verdict's chart (None when it has none or it cannot render)."""
    spec = _spec(verdict)
    return None if spec is None else _inline(_render(verdict.claim_id, spec))


def chart_svgs(store: Store, verdicts: list[Verdict]) -> list[str | None]:
    """:func:`chart_svg` of every verdict, in order. A chart rendered before — the same Vega-Lite
    spec and vl-convert version — is read back from the store's ``derived`` table (one result
    ``report-chart:<claim id>`` per claim); the others render on threads and are kept."""
    specs = [_spec(v) for v in verdicts]
    version, renderer = code_version(CHART_MODULES), charts.renderer_version()
    keys: list[tuple[str, str] | None] = []
    for v, spec in zip(verdicts, specs, strict=True):
        if spec is None:
            keys.append(None)
            continue
        text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
        params = f"vl-convert={renderer}|spec={hashlib.sha256(text.encode()).hexdigest()}"
        name = f"{CHART_PREFIX}{v.claim_id}"
        keys.append((name, derived_key(name, v.provenance_ids, version, params)))
    found = {k: str(t["svg"].iloc[0]) for k, t in lookup(store, [k for k in keys if k]).items()}
    todo = [(i, k, spec) for i, (k, spec) in enumerate(zip(keys, specs, strict=True))
            if k is not None and spec is not None and k not in found]  # fmt: skip
    # vl-convert renders outside the GIL: the charts render side by side
    with ThreadPoolExecutor(max_workers=CHART_THREADS) as pool:
        done = list(pool.map(lambda t: _render(verdicts[t[0]].claim_id, t[2]), todo))
    new = []
    for (i, k, _), svg in zip(todo, done, strict=True):
        if svg is not None:
            found[k] = svg
            frame = pd.DataFrame({"svg": [svg]})
            new.append(Derived(k[0], k[1], verdicts[i].provenance_ids, version, frame))
    keep(store, new, one_per_name=True)
    return [None if k is None else _inline(found.get(k)) for k in keys]


def _spec(verdict: Verdict) -> dict[str, Any] | None:
    if verdict.chart is None:
        return None
    try:
        spec: dict[str, Any] = verdict.chart.to_dict()
    except Exception as exc:  # a broken chart must not sink the report; say so in the section
        warnings.warn(f"chart of {verdict.claim_id} failed: {exc}", stacklevel=3)
        return None
    return spec


def _render(claim_id: str, spec: dict[str, Any]) -> str | None:
    try:
        return charts.spec_svg(spec)
    except Exception as exc:  # a broken chart must not sink the report; say so in the section
        warnings.warn(f"chart of {claim_id} failed: {exc}", stacklevel=3)
        return None


def _inline(svg: str | None) -> str | None:
    """Drop the XML prolog; make the chart scale with the column."""
    if svg is None:
        return None
    svg = svg[svg.find("<svg") :]
    return svg.replace("<svg ", '<svg role="img" class="chart" ', 1)


def _short(location: str) -> str:
    """``folder/file`` (many official files share a name such as ``data.csv``)."""
    return "/".join(Path(location).parts[-2:])


def provenance_rows(store: Store, ids: list[int]) -> list[dict[str, Any]]:
    """Provenance rows (file name, source, sha256, rows) of the given ids."""
    if not ids:
        return []
    df = store.provenance(ids)
    return [
        {
            "id": int(r["id"]),
            "source": r["source"],
            "file": _short(str(r["location"])),
            "location": str(r["location"]),
            "sha256": r["sha256"],
            "rows": int(r["rows_written"]),
            "version": r["version"] or "",
        }
        for _, r in df.iterrows()
    ]


def claim_section(
    claim: Claim, verdict: Verdict, store: Store, *, svg: str | bool | None = True
) -> dict[str, Any]:
    """The template's fields for one claim; ``svg``: the chart already rendered (True: render)."""
    return {
        "claim": claim,
        "verdict": verdict,
        "status_text": STATUS_TEXT[verdict.status],
        "badge": badge_text(verdict),
        "kind_text": verdict.kind_text,
        "robustness_line": robustness_line(verdict),
        "robustness": verdict.robustness.to_dict("records"),
        "reason_text": REASON_TEXT.get(verdict.reason or "", ""),
        "figures": verdict.figures,
        "svg": chart_svg(verdict) if svg is True else svg or None,
        "provenance": provenance_rows(store, verdict.provenance_ids),
        "evidence_rows": len(verdict.evidence),
    }


def render_html(store: Store, verdicts: list[Verdict]) -> str:
    """The report as one HTML string."""
    claims = {c.id: c for c in load_catalog()}
    svgs = chart_svgs(store, verdicts)
    sections = [
        claim_section(claims[v.claim_id], v, store, svg=svg)
        for v, svg in zip(verdicts, svgs, strict=True)
    ]
    counts = status_counts(verdicts)
    css = (Path(__file__).parent / "templates" / "report.css").read_text("utf-8")
    all_ids = sorted({i for v in verdicts for i in v.provenance_ids})
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            sections=sections,
            counts=counts,
            kind_rows=kind_counts(verdicts),
            status_text=STATUS_TEXT,
            css=css,
            version=__version__,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            store_path=str(store.path),
            tables=_table_counts(store),
            sources=provenance_rows(store, all_ids),
        )
    )


def _table_counts(store: Store) -> list[dict[str, Any]]:
    """Rows of each table the claims read (``derived``: model results, not the kept charts and
    verdicts, whose names start with ``report-``)."""
    t = store.tables()
    kept = int(store.scalar("SELECT count(*) FROM derived WHERE starts_with(name, 'report-')") or 0)
    t = t.assign(rows=t["rows"] - kept * (t["table"] == "derived"))
    t = t[(t["kind"] == "table") & (t["rows"] > 0)]
    t = t[~t["table"].isin(["provenance", "schema_migrations"])]
    return [{"table": str(r["table"]), "rows": int(r["rows"])} for r in t.to_dict("records")]


def build_report(store: Store, out_dir: str | Path, *, pdf: bool = False) -> ReportResult:
    """Check every claim on ``store`` and write ``report.html`` (and ``report.pdf``) into
    ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    verdicts = check_all(store)
    html = out / "report.html"
    html.write_text(render_html(store, verdicts), "utf-8")
    pdf_path = to_pdf(html, out / "report.pdf") if pdf else None
    return ReportResult(html, pdf_path, verdicts)


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(html: Path, pdf: Path, *, timeout: float = 120) -> Path:
    """Print the HTML report to PDF with headless Chromium (``--print-to-pdf``)."""
    exe = find_chromium()
    if exe is None:
        raise ConfigError(
            "PDF export needs Chromium, which was not found.",
            hint="Install it (Debian: apt-get install chromium) or open report.html and print it.",
        )
    cmd = [
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}", html.resolve().as_uri(),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not pdf.exists():
        last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        raise ConfigError(
            f"Chromium could not print {html} to PDF (exit {proc.returncode}). {last}".strip(),
            hint="Open report.html in a browser and print it to PDF instead.",
        )
    return pdf


def verdict_frame(verdicts: list[Verdict]) -> pd.DataFrame:
    """One row per verdict: what ``techties claims`` lists (:func:`listing_rows`)."""
    return pd.DataFrame(listing_rows(verdicts), columns=list(TABLE_COLUMNS))
