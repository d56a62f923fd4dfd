"""Nothing leaves the machine: a page load asks only the app's own server for anything."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000


def _own_or_inline(url: str, origin: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" == origin


@pytest.mark.parametrize("path", ["", "/portfolio"])
def test_a_page_load_requests_only_the_apps_own_origin(browser, server, path):
    origin = server.rstrip("/")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    try:
        page.goto(origin + path, wait_until="domcontentloaded")
        page.get_by_role("heading", name=re.compile("KAM Studio|Portfolio")).first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".st-key-app-lang").wait_for(timeout=TIMEOUT_MS)
        if path:
            page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(2000)
        # Headless Chromium does not always fetch the favicon, so the icon links are checked
        # as well as the requests: the page icon must not point at a font host either.
        icons = page.eval_on_selector_all("link[rel~='icon']", "links => links.map(l => l.href)")
        assert icons, "the page has no icon link"
        outside = [url for url in [*requested, *icons] if not _own_or_inline(url, origin)]
        assert outside == []
        assert any(url.startswith(origin) for url in requested)
    finally:
        context.close()
