"""The first hour in a real browser: create a client workspace, upload, import (a double click
imports once), follow the link to the page that uses it, and a reload or a shared link keeps the
language, workspace, page and view."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 120_000

SALES = (
    "Kundenr;Kundenavn;Fakturadato;Omsetning\n"
    + "".join(
        f"{100 + i % 6};Kunde {i % 6} AS;{1 + i % 28:02d}.{1 + i % 12:02d}.2025;{1000 * (1 + i % 6)},50\n"
        for i in range(24)
    )
).encode("utf-8")


def _settle(page) -> None:
    page.locator(".st-key-app-lang").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=TIMEOUT_MS, polling=500,
    )


def test_import_ends_cleanly_and_a_reload_keeps_the_place(browser, server, screenshots):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        # Start where `manage.py start` opens the browser: the root URL.
        page.goto(server, wait_until="domcontentloaded")
        _settle(page)
        page.goto(server + "/data", wait_until="domcontentloaded")
        _settle(page)
        # 1 · the client's workspace, in plain sight.
        page.locator(".st-key-data-new_workspace input").fill("Klient F5")
        page.locator(".st-key-data-create button").click()
        page.get_by_text("This workspace is empty").first.wait_for(timeout=TIMEOUT_MS)

        # 2 · upload and import; a double click on Import imports once.
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[{
            "name": "salg.csv", "mimeType": "text/csv", "buffer": SALES,
        }])
        page.get_by_role("button", name="Import", exact=True).wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Import", exact=True).dblclick()
        page.get_by_text("Imported table 'salg': 24 rows, Transactions (many rows per account).").wait_for(
            timeout=TIMEOUT_MS)
        _settle(page)
        page.screenshot(path=str(screenshots / "imported-en.png"))
        assert page.get_by_text("already exists").count() == 0
        assert page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0
        assert page.get_by_role("button", name="Import", exact=True).count() == 0
        assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0  # the uploader is empty

        # 3 · the link to the page that uses the table.
        page.get_by_role("link", name="3 · See it: open the Portfolio").click()
        page.wait_for_url(re.compile(r"/portfolio"), timeout=TIMEOUT_MS)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)

        # Norwegian, and the accounts view.
        page.locator(".st-key-app-lang [role=combobox]").click()
        page.get_by_role("option", name="Norsk (bokmål)").click()
        page.get_by_role("link", name=re.compile("Portefølje")).first.wait_for(timeout=TIMEOUT_MS)
        _settle(page)
        page.locator(".st-key-portfolio-view").get_by_role("radio", name="Kunder og detaljer").click(
            timeout=TIMEOUT_MS)
        _settle(page)
        page.wait_for_function("() => location.search.includes('portfolio.view')", timeout=TIMEOUT_MS)
        query = parse_qs(urlsplit(page.url).query)
        assert query["lang"] == ["nb"] and query["ws"] == ["Klient F5"]
        link = page.url

        # F5, then the same link in another browser: the same place each time.
        page.reload(wait_until="domcontentloaded")
        for viewer in (page, context.browser.new_context(viewport={"width": 1440, "height": 900}).new_page()):
            if viewer is not page:
                viewer.goto(link, wait_until="domcontentloaded")
            _settle(viewer)
            assert urlsplit(viewer.url).path.endswith("/portfolio")
            viewer.get_by_role("heading", name=re.compile("Portefølje")).first.wait_for(timeout=TIMEOUT_MS)
            assert viewer.locator(".st-key-app-workspace input").input_value() == "Klient F5"
            chosen = viewer.locator(".st-key-portfolio-view [role=radio][aria-checked=true]")
            assert chosen.inner_text() == "Kunder og detaljer"
            viewer.locator(".st-key-portfolio-accounts_download-csv").wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "reloaded-nb.png"))
    finally:
        context.close()


def test_a_link_to_a_workspace_that_does_not_exist_opens_the_demo(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/?ws=Ingen+slik&lang=sv", wait_until="domcontentloaded")
        _settle(page)
        page.get_by_text("Arbetsytan i den här länken är inte tillgänglig för dig").wait_for(timeout=TIMEOUT_MS)
        assert page.locator(".st-key-app-workspace input").input_value() == "demo"
        assert "ws" not in parse_qs(urlsplit(page.url).query)
    finally:
        context.close()
