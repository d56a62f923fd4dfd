"""End-to-end: a sales leader opens a key account from the portfolio page, writes an action,
and finds it again after the server restarts; the team list shows it as overdue."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from pathlib import Path

import pytest

from tests.e2e.conftest import running_server

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 180_000
ACTION = "Renegotiate the discount ladder"


def _page(browser, height: int = 1400):
    context = browser.new_context(viewport={"width": 1400, "height": height}, locale="en-GB")
    return context, context.new_page()


def _idle(page) -> None:
    """Wait until the script run has finished (Streamlit's running indicator is gone)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS)


def _grid_text(page, key: str) -> str:
    """The text of a Streamlit table (its cells are in the DOM for screen readers)."""
    return " ".join(page.locator(f".st-key-{key} [role=gridcell]").all_inner_texts())


def test_open_account_from_portfolio_write_action_and_find_it_after_restart(browser, tmp_path: Path, screenshots):
    workspaces = tmp_path / "workspaces"
    workspaces.mkdir()
    yesterday = dt.date.today() - dt.timedelta(days=1)
    with running_server(workspaces) as url:
        context, page = _page(browser)
        try:
            # the first visit builds the demo workspace and enters through the router
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
            page.get_by_role("link", name=re.compile("Portfolio")).first.click()
            page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
            page.locator(".st-key-portfolio-view").get_by_text("Accounts and drill-down", exact=True).click()
            table = page.locator(".st-key-portfolio-accounts_table")
            table.wait_for(timeout=TIMEOUT_MS)
            page.locator(".st-key-portfolio-accounts_table [role=gridcell]").first.wait_for(state="attached", timeout=TIMEOUT_MS)
            box = table.bounding_box()
            # the row-selection marker of the first row (left edge, below the header)
            page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
            page.get_by_role("heading", name="Key account").wait_for(timeout=TIMEOUT_MS)
            page.get_by_text("Health score (0–100)").wait_for(timeout=TIMEOUT_MS)
            page.wait_for_function("() => location.search.includes('account=')", timeout=TIMEOUT_MS)
            account = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["account"][0]
            assert re.fullmatch(r"\d{6}", account)
            page.get_by_text("What pulls the score down most:").first.wait_for(timeout=TIMEOUT_MS)
            _idle(page)
            page.locator("[data-testid=stExpander] summary").filter(has_text="Add an action").first.click()
            page.locator(".st-key-account-action_what input").fill(ACTION)
            # the date field is three spin buttons (day, month, year): type into the day, it moves on
            page.locator('.st-key-account-action_due [role=spinbutton][aria-label^="day"]').click()
            page.keyboard.type(yesterday.strftime("%d%m%Y"), delay=80)
            assert page.locator('.st-key-account-action_due input[type=date]').get_attribute("value") == \
                yesterday.isoformat()
            page.locator(".st-key-account-save_action button").click()
            page.get_by_text("Overdue actions: 1.").wait_for(timeout=TIMEOUT_MS)
            page.screenshot(path=str(screenshots / "account-en.png"))
        finally:
            context.close()

    # The server restarts on the same workspaces folder: the plan is still there.
    with running_server(workspaces) as url:
        context, page = _page(browser)
        try:
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
            page.goto(f"{url}/account?account={account}", wait_until="domcontentloaded")
            page.get_by_text("Overdue actions: 1.").wait_for(timeout=TIMEOUT_MS)
            page.get_by_text(ACTION).first.wait_for(state="attached", timeout=TIMEOUT_MS)
            page.goto(url + "/plans", wait_until="domcontentloaded")
            page.get_by_text("Overdue actions: 1.").wait_for(timeout=TIMEOUT_MS)
            page.locator(".st-key-plans-overdue_table [role=gridcell]").first.wait_for(state="attached", timeout=TIMEOUT_MS)
            overdue = _grid_text(page, "plans-overdue_table")
            assert ACTION in overdue and account in overdue
            page.screenshot(path=str(screenshots / "plans-en.png"))
        finally:
            context.close()
