"""End-to-end: a sales leader switches anonymised mode on in the sidebar of a real browser; the
portfolio's account table, its charts and the key-account page show pseudonyms only."""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

import pytest

from kamcore.demo import DEMO_TABLES
from kamcore.ingest import load_file
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 180_000


def _real_names() -> set[str]:
    names: set[str] = set()
    for file_name, _kind, roles in DEMO_TABLES.values():
        frame = load_file(ROOT / "data" / "demo" / file_name).tables[0].data
        for role, column in roles.items():
            if role in ("customer_id", "account", "customer_name", "owner", "person", "contact"):
                names |= {str(v).strip() for v in frame[column].dropna()}
    return names


def _idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS)


def _shown(page) -> str:
    """The page's visible text plus every chart's hover and axis texts (Plotly's data)."""
    charts = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(p => JSON.stringify(p.data || []) + JSON.stringify(p.layout || {})).join(' ')"
    )
    # textContent, not innerText: also the table cells kept in the DOM for screen readers
    return page.evaluate("() => document.body.textContent") + " " + charts


def _leaks(text: str, names: set[str]) -> set[str]:
    return {n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text)}


def _shots(screenshots: Path) -> Path:
    folder = os.environ.get("KAMSTUDIO_SCREENSHOTS")
    return Path(folder) if folder else screenshots


def test_switch_on_in_the_sidebar_hides_every_name(browser, server, screenshots):
    names = _real_names()
    context = browser.new_context(viewport={"width": 1400, "height": 1300}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("link", name=re.compile("Portfolio")).first.click()
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".st-key-portfolio-view").get_by_text("Accounts and drill-down", exact=True).click()
        page.locator(".st-key-portfolio-accounts_table [role=gridcell]").first.wait_for(
            state="attached", timeout=TIMEOUT_MS)
        _idle(page)
        # with the switch off, the real names are there (in the table's cells, too)
        assert len(_leaks(_shown(page), names)) >= 10

        page.locator(".st-key-app-anonymise label").click()  # the sidebar switch
        page.wait_for_function("() => location.search.includes('app.anonymise=true')", timeout=TIMEOUT_MS)
        page.get_by_text(re.compile(r"^Customer \d{3}$")).first.wait_for(state="attached", timeout=TIMEOUT_MS)
        _idle(page)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert _leaks(_shown(page), names) == set()
        page.screenshot(path=str(_shots(screenshots) / "anonymised-portfolio-en.png"), full_page=True)

        # the key-account page, in Norwegian, opened from a link with the pseudonym
        table = page.locator(".st-key-portfolio-accounts_table")
        box = table.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row opens its account
        page.wait_for_function("() => location.search.includes('account=')", timeout=TIMEOUT_MS)
        account = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["account"][0]
        assert re.fullmatch(r"Customer \d{3}", account)
        page.goto(f"{server}/account?lang=nb&app.anonymise=true&account={urllib.parse.quote(account)}",
                  wait_until="domcontentloaded")
        page.get_by_text("Helsepoeng (0–100)").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text(account.replace("Customer", "Kunde")).first.wait_for(state="attached", timeout=TIMEOUT_MS)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        _idle(page)
        shown = _shown(page)
        assert account.replace("Customer", "Kunde") in shown
        assert _leaks(shown, names) == set()
        page.screenshot(path=str(_shots(screenshots) / "anonymised-account-nb.png"), full_page=True)
    except Exception:
        page.screenshot(path=str(_shots(screenshots) / "anonymised-failure.png"), full_page=True)
        raise
    finally:
        context.close()
