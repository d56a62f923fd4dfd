"""End-to-end: a click on an account's bar in the Portfolio page's Pareto chart opens that
account's page (Streamlit's Plotly point selection, ui/account_charts.py)."""

from __future__ import annotations

import re
import urllib.parse

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 180_000
CHART = ".st-key-portfolio-pareto_chart .js-plotly-plot"


def _idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS)


def test_a_click_on_a_pareto_bar_opens_that_account(browser, server, screenshots):
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, locale="en-GB")
    page = context.new_page()
    try:
        # enter through the router (the first visit builds the demo), then the Portfolio page
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("link", name=re.compile("Portfolio")).first.click()
        page.locator(CHART).wait_for(timeout=TIMEOUT_MS)
        _idle(page)
        page.get_by_text("Click a point to open the account.").wait_for(timeout=TIMEOUT_MS)
        # the largest account: first bar of the first (class A) trace; its Plotly id is its customer id
        expected = page.evaluate(f"() => document.querySelector('{CHART}').data[0].ids[0]")
        assert re.fullmatch(r"\d{6}", expected)
        bar = page.locator(f"{CHART} g.trace.bars").first.locator("path").first
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        target = (box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.75)
        page.mouse.move(*target)  # hover first, as a person does: Plotly picks the hovered point
        page.mouse.click(*target)
        page.get_by_role("heading", name="Key account").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function("() => location.search.includes('account=')", timeout=TIMEOUT_MS)
        account = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["account"][0]
        assert account == expected
        assert "/account" in urllib.parse.urlparse(page.url).path
        page.screenshot(path=str(screenshots / "account_from_chart.png"))
    finally:
        context.close()
