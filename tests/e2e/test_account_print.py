"""End-to-end: the key-account page prints as a clean document (browser print, A4 PDF)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 180_000
ACCOUNT = "051587"  # the demo's healthy diamond that loses money: every section of the page has content

HIDDEN_IN_PRINT = ("[data-testid=stSidebar]", "[data-testid=stHeader]", "[data-testid=stExpander]",
                   "[data-testid=stForm]", "[data-testid=stDownloadButton]", ".stButton")
VISIBLE = """(selector) => [...document.querySelectorAll(selector)]
    .filter(e => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0).length"""


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_the_account_page_prints_cleanly(browser, server, screenshots, lang):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(server, wait_until="domcontentloaded")  # the first visit builds the demo workspace
        page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
        page.goto(f"{server}/account?account={ACCOUNT}&lang={lang}", wait_until="domcontentloaded")
        health = {"en": "Health score (0–100)", "nb": "Helsepoeng (0–100)"}[lang]
        try:
            page.get_by_text(health).first.wait_for(timeout=TIMEOUT_MS)
        except Exception:
            page.screenshot(path=str(screenshots / f"account-print-failed-{lang}.png"), full_page=True)
            raise
        page.locator(".st-key-account-history_table, [data-testid=stExpander]").last.wait_for(
            state="attached", timeout=TIMEOUT_MS)
        page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=TIMEOUT_MS)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=TIMEOUT_MS)
        on_screen = {sel: page.evaluate(VISIBLE, sel) for sel in HIDDEN_IN_PRINT}
        assert on_screen["[data-testid=stSidebar]"] == 1 and on_screen["[data-testid=stExpander]"] >= 5

        # charts and tables keep the width they were drawn with on screen: on a 1280-pixel screen
        # each fits the landscape A4 paper laid out at 0.7 (297 mm − 2 × 10 mm = 1,047 px / 0.7)
        widths = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot, [data-testid=stDataFrame]')]
            .filter(e => e.getClientRects().length > 0).map(e => e.getBoundingClientRect().width)""")
        assert len(widths) >= 8 and max(widths) <= 1047 / 0.7, widths

        page.emulate_media(media="print")
        # nothing to click in print: no sidebar, header, forms, expanders, buttons
        in_print = {sel: page.evaluate(VISIBLE, sel) for sel in HIDDEN_IN_PRINT}
        assert in_print == dict.fromkeys(HIDDEN_IN_PRINT, 0), in_print
        # the content is there: health, the charts, the plan
        assert page.evaluate(VISIBLE, "[data-testid=stMetric]") >= 6
        assert page.evaluate(VISIBLE, ".js-plotly-plot") >= 3
        plan = {"en": "Account plan", "nb": "Kundeplan"}[lang]
        assert page.get_by_role("heading", name=plan).first.is_visible()
        # the main block is no longer a fixed-height scroll box, so every section reaches the paper
        main = page.evaluate("""() => { const m = document.querySelector('[data-testid=stMain]');
            const s = getComputedStyle(m); return [s.overflowY, m.scrollHeight > m.clientHeight + 1]; }""")
        assert main == ["visible", False], main
        page.screenshot(path=str(screenshots / f"account-print-{lang}.png"), full_page=True)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (screenshots / f"account-{lang}.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
        height = page.evaluate("() => document.documentElement.scrollHeight")
        # a landscape A4 page holds about 700 CSS pixels of height: every section printed, not one page
        assert pages >= 3 and pages >= height // 1400, (pages, height)
    finally:
        context.close()
