"""End-to-end: a person opens KAM Studio, sees the demo, switches language, sees charts."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
    return context, page


def _choose_language(page, option: str) -> None:
    # Streamlit marks each widget's container with its key: st-key-<key with dots as dashes>.
    page.locator(".st-key-app-lang [role=combobox]").click()
    page.get_by_role("option", name=option).click()


def test_demo_loads_switches_language_and_draws_charts(browser, server, screenshots):
    context, page = _open(browser, server)
    try:
        # The overview shows the demo workspace's accounts.
        page.get_by_text("Accounts with sales", exact=True).first.wait_for(timeout=TIMEOUT_MS)

        # The portfolio page draws Plotly charts from the demo data.
        page.get_by_role("link", name=re.compile("Portfolio")).first.click()
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert page.locator(".js-plotly-plot").count() >= 1
        page.screenshot(path=str(screenshots / "portfolio-en.png"), full_page=True)

        # Switching to Norwegian keeps the page and translates it.
        _choose_language(page, "Norsk (bokmål)")
        page.get_by_role("link", name=re.compile("Portefølje")).first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Exception").count() == 0
        page.screenshot(path=str(screenshots / "portfolio-nb.png"), full_page=True)

        # And to Swedish.
        _choose_language(page, "Svenska")
        page.get_by_role("link", name=re.compile("Portfölj")).first.wait_for(timeout=TIMEOUT_MS)
    finally:
        context.close()


def test_two_browser_contexts_are_separate_sessions(browser, server):
    first, page_a = _open(browser, server)
    second, page_b = _open(browser, server)
    try:
        _choose_language(page_a, "Svenska")
        page_a.get_by_role("link", name=re.compile("Översikt")).first.wait_for(timeout=TIMEOUT_MS)
        # Session B never sees A's choice.
        page_b.reload()
        page_b.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
        assert page_b.get_by_role("link", name=re.compile("Overview")).count() >= 1
        assert page_b.get_by_role("link", name=re.compile("Översikt")).count() == 0
    finally:
        first.close()
        second.close()


def test_a_deep_link_as_the_first_request_still_runs_the_router(browser, fresh_server):
    """The first request to a new server, straight to /portfolio, must go through app.py.

    Streamlit's old pages/ mode would run pages/portfolio.py alone: no login gate, no state
    set-up, no shared sidebar, a raw file list as navigation.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(fresh_server + "/portfolio?lang=nb", wait_until="domcontentloaded")
        # The link's page and language survive the detour through app.py (a consultant's
        # shared link is often the first request after `manage.py start`).
        page.get_by_role("heading", name="Portefølje", exact=False).first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_url("**/portfolio?lang=nb", timeout=TIMEOUT_MS)
        page.locator(".st-key-app-lang").wait_for(timeout=TIMEOUT_MS)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        nav_links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        assert any("Portefølje" in text for text in nav_links)
        # Legacy auto-discovered pages would list raw file names such as "app".
        assert not any(text.strip() == "app" for text in nav_links)
    finally:
        context.close()


def test_an_upload_is_seen_in_its_own_session_only(browser, server):
    """Person A uploads a messy Norwegian workbook and sees the quality report; B sees nothing of it."""
    from tests.app.test_page_data import messy_norwegian_workbook

    first, page_a = _open(browser, server)
    second, page_b = _open(browser, server)
    try:
        page_a.get_by_role("link", name=re.compile("Data & workspaces")).first.click()
        page_a.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[{
            "name": "salg-hemmelig.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": messy_norwegian_workbook(),
        }])
        page_a.get_by_text("Rows rejected").first.wait_for(timeout=TIMEOUT_MS)
        page_a.get_by_text("salg-hemmelig.xlsx").first.wait_for(timeout=TIMEOUT_MS)
        # The rejected row is listed with its reason, in plain words (data grids draw on a canvas,
        # so the cell text is in the DOM for screen readers but not "visible").
        page_a.get_by_text("'tolv' is not a number").first.wait_for(state="attached", timeout=TIMEOUT_MS)

        page_b.get_by_role("link", name=re.compile("Data & workspaces")).first.click()
        page_b.get_by_text("Upload", exact=True).first.wait_for(timeout=TIMEOUT_MS)
        page_b.wait_for_timeout(2000)
        assert page_b.get_by_text("salg-hemmelig.xlsx").count() == 0
        assert page_b.get_by_text("Rows rejected").count() == 0
    finally:
        first.close()
        second.close()


def test_the_clients_own_export_goes_in_and_the_portfolio_story_appears(browser, server):
    """The consultant's second act in a real browser: new workspace, the client's export (CDNOW,
    aligned with spaces) uploaded and imported as guessed, and the Pareto story on its data."""
    from tests.app.test_client_export import CDNOW, independent_class_a_count

    context, page = _open(browser, server)
    try:
        page.get_by_role("link", name=re.compile("Data & workspaces")).first.click()
        # Creating the client's workspace is the first visible step (no expander to open).
        page.locator(".st-key-data-new_workspace input").fill("Klient CDNOW")
        page.locator(".st-key-data-create button").click()
        page.get_by_text("This workspace is empty").first.wait_for(timeout=TIMEOUT_MS)

        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[{
            "name": "cdnow_master.txt", "mimeType": "text/plain", "buffer": CDNOW.read_bytes(),
        }])
        page.get_by_text("separator spaces (aligned columns)", exact=False).first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Import").first.click()
        page.wait_for_timeout(3000)

        page.get_by_role("link", name=re.compile("Portfolio")).first.click()
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        class_a, accounts = independent_class_a_count()
        share = f"{100 * class_a / accounts:.1f}% of the accounts, 80.0% of revenue"
        page.get_by_text(share).first.wait_for(timeout=TIMEOUT_MS)
    finally:
        context.close()
