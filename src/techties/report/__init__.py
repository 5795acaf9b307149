"""The techties report: one self-contained HTML file (inline SVG charts and CSS), optional PDF."""

from techties.report.build import ReportResult, build_report, render_html, to_pdf

__all__ = ["ReportResult", "build_report", "render_html", "to_pdf"]
