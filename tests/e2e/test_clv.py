"""End-to-end: in Chromium, the Portfolio page's Future value view shows who is drifting away and
how well the model predicted the last year, in English and Norwegian."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_smoke import TIMEOUT_MS, _choose_language, _open

pytestmark = pytest.mark.e2e


def test_future_value_view_in_english_and_norwegian(browser, server, screenshots):
    context, page = _open(browser, server)
    try:
        page.get_by_role("link", name=re.compile("Portfolio")).first.click()
        page.get_by_text("Future value", exact=True).first.click()
        page.get_by_text("Revenue at risk").first.wait_for(timeout=TIMEOUT_MS)
        # the drifting-away list: its caption names how many accounts are below 50 % P(alive)
        count = page.get_by_text(re.compile(r"accounts with P\(alive\) below 50%")).first
        count.wait_for(timeout=TIMEOUT_MS)
        # the list is not empty on the demo: every account shown, ranked by revenue at risk
        page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=TIMEOUT_MS)
        count.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)  # the grid draws its cells on a canvas after it appears
        page.screenshot(path=str(screenshots / "future-drifting-en.png"), full_page=True)
        page.get_by_text("All accounts", exact=True).first.click()
        page.get_by_text(re.compile("Revenue by ABC class: last 12 months")).first.wait_for(
            timeout=TIMEOUT_MS
        )
        page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)  # the grid draws its cells on a canvas after it appears
        page.screenshot(path=str(screenshots / "future-accounts-en.png"), full_page=True)
        page.get_by_text("Model check", exact=True).first.click()
        page.get_by_text(re.compile("Model check: forecast against actual purchases")).first.wait_for(
            timeout=TIMEOUT_MS
        )
        assert page.locator(".js-plotly-plot").count() >= 1
        page.screenshot(path=str(screenshots / "future-en.png"), full_page=True)

        _choose_language(page, "Norsk (bokmål)")
        page.get_by_text("Omsetning i faresonen").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text(re.compile("Modellsjekk: varslet mot faktiske kjøp")).first.wait_for(
            timeout=TIMEOUT_MS
        )
        assert page.get_by_text("Exception").count() == 0
        page.screenshot(path=str(screenshots / "future-nb.png"), full_page=True)
        page.get_by_text("Glir unna", exact=True).first.click()
        page.get_by_text(re.compile(r"P\(aktiv\) under 50")).first.wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "future-drifting-nb.png"), full_page=True)
    finally:
        context.close()


def test_key_account_page_states_p_alive_and_expected_value(browser, server, screenshots):
    # the demo's whale (data/README.md), opened by its link
    context, page = _open(browser, server)
    try:
        page.goto(f"{server}/account?account=027522", wait_until="domcontentloaded")
        line = page.get_by_text(re.compile(r"Future-value model \(BG/NBD and Gamma-Gamma"))
        line.first.wait_for(timeout=TIMEOUT_MS)
        assert re.search(
            r"P\(alive\) \d+%; next 12 months about [\d.,]+ purchase days", line.first.inner_text()
        )
        line.first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "account-future-en.png"))
        _choose_language(page, "Norsk (bokmål)")
        line = page.get_by_text(re.compile(r"Framtidig verdi \(BG/NBD og Gamma-Gamma"))
        line.first.wait_for(timeout=TIMEOUT_MS)
        assert re.search(r"P\(aktiv\) \d+\u00a0%; neste 12 måneder omtrent", line.first.inner_text())
        line.first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "account-future-nb.png"))
    finally:
        context.close()
