"""End-to-end: the key-account page prints as a clean document (browser print, A4 PDF)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from tests.e2e.conftest import running_server

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 180_000
ACCOUNT = "051587"  # the demo's healthy diamond that loses money: every section of the page has content

HIDDEN_IN_PRINT = ("[data-testid=stSidebar]", "[data-testid=stHeader]", "[data-testid=stExpander]",
                   "[data-testid=stForm]", "[data-testid=stDownloadButton]", ".stButton")
VISIBLE = """(selector) => [...document.querySelectorAll(selector)]
    .filter(e => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0).length"""


# the plan written for the account: long texts, so a table that does not wrap would run off the page
OWNER = "Kari Nordmann-Østensjø"
ACTION_OWNER = "Ola Fredrik Hansen"
OBJECTIVES = (("Stop the losses on the hospital contract", "margin", 5.0, OWNER),
              ("Grow revenue with the new regional warehouses", "revenue", 80_000_000.0, ACTION_OWNER))
ACTION = "Renegotiate the discount ladder with the purchasing manager before the budget round"
NOTE = "Pilot the consignment stock at the two largest sites and measure the fill rate every month"
START, DUE = dt.date(2026, 1, 1), dt.date(2027, 6, 30)
PERIOD = {"en": "1 Jan 2026 – 30 Jun 2027", "nb": "01.01.2026 – 30.06.2027"}


@pytest.fixture(scope="module")
def plan_server(tmp_path_factory):
    """A server on a demo workspace whose account has a plan with two objectives, an action, notes."""
    from kamcore import plans
    from kamcore.db import Workspace
    from kamcore.demo import DEMO_NAME, build_demo_workspace
    from kamcore.settings import load_settings

    root = tmp_path_factory.mktemp("print-workspaces")
    path = build_demo_workspace(root / f"{DEMO_NAME}.duckdb", load_settings().demo_data_dir)
    with Workspace.open(path) as ws:
        for title, metric, target, owner in OBJECTIVES:
            objective = plans.Objective(account=ACCOUNT, title=title, metric=metric, target=target,
                                        start=START, due=DUE, owner=owner)
            plans.save_item(ws, objective, "lead")
        plans.save_item(ws, plans.Action(account=ACCOUNT, what=ACTION, owner=ACTION_OWNER, due=DUE,
                                         objective_id=objective.id), "lead")
        plans.save_item(ws, plans.StrategyNotes(account=ACCOUNT, service=NOTE), "lead")
    with running_server(root) as url:
        yield url


# every grid on the page: its scroll box is no wider than the grid (nothing to scroll sideways)
GRIDS_WIDER_THAN_SHOWN = """() => [...document.querySelectorAll('[data-testid=stDataFrame]')]
    .filter(e => e.getClientRects().length > 0)
    .map(e => [e.querySelector('.dvn-scroller'), (e.closest('[class*=st-key-]') || e).className])
    .filter(([s, _]) => s && s.scrollWidth > s.clientWidth + 1)
    .map(([s, text]) => [text, s.scrollWidth, s.clientWidth])"""


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_the_account_page_prints_cleanly(browser, plan_server, screenshots, lang):
    server = plan_server
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
        page.get_by_text(ACTION).first.wait_for(state="attached", timeout=TIMEOUT_MS)
        on_screen = {sel: page.evaluate(VISIBLE, sel) for sel in HIDDEN_IN_PRINT}
        assert on_screen["[data-testid=stSidebar]"] == 1 and on_screen["[data-testid=stExpander]"] >= 5

        # charts and tables keep the width they were drawn with on screen: on a 1280-pixel screen
        # each fits the landscape A4 paper laid out at 0.7 (297 mm − 2 × 10 mm = 1,047 px / 0.7)
        widths = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot, [data-testid=stDataFrame]')]
            .filter(e => e.getClientRects().length > 0).map(e => e.getBoundingClientRect().width)""")
        assert len(widths) >= 8 and max(widths) <= 1047 / 0.7, widths
        # no table needs a sideways scroll on a 1280-pixel screen (the objectives' period, owner and
        # last change were off to the right before)
        assert page.evaluate(GRIDS_WIDER_THAN_SHOWN) == []
        page.locator(".st-key-account-screen_objectives").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / f"account-plan-screen-{lang}.png"))

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
        # the plan reaches the paper whole, as text: every column of the objectives (period, owner,
        # who changed it last), the action and the notes in full
        text = _pdf_text(pdf)
        for wanted in (*[o[0] for o in OBJECTIVES], OWNER, ACTION_OWNER, PERIOD[lang], "lead ·", ACTION, NOTE):
            assert wanted in text, (wanted, lang)
        assert text.count(PERIOD[lang]) == 2
    finally:
        context.close()
