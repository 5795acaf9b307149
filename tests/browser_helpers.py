"""Headless Debian Chromium for the page tests (report and web dashboard)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def watched_page(playwright: Any, errors: list[str], allowed: tuple[str, ...]) -> Any:
    """A 1200×900 page in Debian's Chromium that records console errors, page errors and every
    request whose URL does not start with one of ``allowed`` into ``errors``."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: errors.append(f"request {r.url}") if not r.url.startswith(allowed) else None,
    )
    return page
