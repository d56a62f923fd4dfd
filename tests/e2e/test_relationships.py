"""End-to-end: a sales leader opens the Buying centre page, sees who hangs by one thread, and the map."""

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
    page.locator(".st-key-app-lang [role=combobox]").click()
    page.get_by_role("option", name=option).click()


def _metric(page, label: str) -> str:
    card = page.locator("[data-testid=stMetric]").filter(has_text=label).first
    card.wait_for(timeout=TIMEOUT_MS)
    return card.locator("[data-testid=stMetricValue]").inner_text()


def test_list_and_map_of_the_buying_centre(browser, server, screenshots):
    context, page = _open(browser, server)
    try:
        # one click: the page opens on the list, single threads and revenue at risk on top
        page.get_by_role("link", name=re.compile("Buying centre")).first.click()
        page.get_by_role("heading", name="Buying centre").first.wait_for(timeout=TIMEOUT_MS)
        assert _metric(page, "Key accounts") == "20"
        assert _metric(page, "Hang by one thread") == "10"
        at_risk = _metric(page, "Revenue at risk, 12 months (NOK)")
        assert re.fullmatch(r"\d{2},\d{3},\d{3}", at_risk), at_risk
        # the list: the whale first, a bow-tie with all its revenue at risk
        grid = page.locator("[data-testid=stDataFrame]").first
        grid.wait_for(timeout=TIMEOUT_MS)
        first_row = grid.locator("table tbody tr").first
        first_row.wait_for(state="attached", timeout=TIMEOUT_MS)
        cells = first_row.locator("td").all_inner_texts()
        assert cells[:2] == ["Pedersen Rehabilitering AS (027522)", "Bow-tie"], cells
        assert cells[3] == cells[4] != "0", cells  # all its revenue of 12 months is at risk
        # the map of the account the picker opens on (the whale, the largest revenue at risk)
        plot = page.locator(".st-key-relationships-detail-map .js-plotly-plot").first
        plot.wait_for(timeout=TIMEOUT_MS)
        labels = plot.locator("text").all_text_contents()
        assert any("Ingrid Solberg" in text for text in labels), labels
        assert any("Our people" in text for text in labels)
        assert page.get_by_text("Every link runs through one of our people.").count() == 1
        page.screenshot(path=str(screenshots / "relationships-en.png"))
        plot.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "relationships-map-en.png"))

        # the second click: only the accounts that hang by one thread
        page.locator(".st-key-relationships-only_single label").click()
        page.get_by_text("10 of 20 accounts shown", exact=False).wait_for(timeout=TIMEOUT_MS)

        # another account: the decider who left is greyed out on the map
        page.locator(".st-key-relationships-account [role=combobox]").click()
        page.keyboard.type("021695")
        page.get_by_role("option", name=re.compile(r"\(021695\)")).click()
        page.get_by_text("The decider we knew has left, and no other decider is covered.").wait_for(
            timeout=TIMEOUT_MS
        )
        plot.locator("text", has_text="Left 14 Aug 2026").first.wait_for(timeout=TIMEOUT_MS)
        plot.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "relationships-decider-left-en.png"))

        _choose_language(page, "Norsk (bokmål)")
        page.get_by_role("heading", name="Kjøpssenter").first.wait_for(timeout=TIMEOUT_MS)
        assert _metric(page, "Henger i én tråd") == "10"
        plot.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Beslutningstakeren vi kjente har sluttet", exact=False).wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Exception").count() == 0
        page.screenshot(path=str(screenshots / "relationships-map-nb.png"))
        page.locator("h1").first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "relationships-nb.png"))
    finally:
        context.close()
