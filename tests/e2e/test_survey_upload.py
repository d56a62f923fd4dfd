"""End-to-end: a real survey export goes in through the upload and reaches its results in two clicks.

Chromium (Debian's), a real server: new workspace → choose the file → Import (click 1) → Survey
(click 2) → the gap chart (pairs) or the descriptives (no pairs), in English and Norwegian.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.app.test_page_survey_fixtures import SURVEYS, independent

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 120_000


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="KAM Studio").wait_for(timeout=TIMEOUT_MS)
    return context, page


def _new_workspace_with(page, workspace: str, filename: str, mime: str) -> None:
    page.get_by_role("link", name=re.compile("Data & workspaces")).first.click()
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Workspaces").first.click()
    page.locator(".st-key-data-new_workspace input").fill(workspace)
    page.locator(".st-key-data-create button").click()
    page.get_by_text("This workspace is empty").first.wait_for(timeout=TIMEOUT_MS)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": filename, "mimeType": mime, "buffer": (SURVEYS / filename).read_bytes()}]
    )
    page.get_by_text("This looks like: Survey answers", exact=False).first.wait_for(timeout=TIMEOUT_MS)


def _choose_language(page, option: str) -> None:
    page.locator(".st-key-app-lang [role=combobox]").click()
    page.get_by_role("option", name=option).click()


def test_an_expectation_experience_export_reaches_the_gap_chart_in_two_clicks(browser, server, screenshots):
    answers, _ = independent("pairs_forventning_opplevelse_nb.csv")
    gap_1 = (answers["Opplevelse 1"] - answers["Forventning 1"]).mean()
    context, page = _open(browser, server)
    try:
        _new_workspace_with(page, "Undersøkelse E2E", "pairs_forventning_opplevelse_nb.csv", "text/csv")
        # The guess says survey, with its reason, before anything is stored.
        page.get_by_text("Why a survey:", exact=False).first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Import").first.click()  # click 1
        page.wait_for_timeout(2000)
        page.get_by_role("link", name=re.compile("^Survey")).first.click()  # click 2
        page.get_by_text("Customer gap: experience minus expectation").first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Exception").count() == 0
        # The gap table's first pair, as shown (two decimals), equals the independent mean difference.
        page.get_by_text(f"{gap_1:.2f}", exact=True).first.wait_for(state="attached", timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "survey-gaps-en.png"), full_page=True)
        _choose_language(page, "Norsk (bokmål)")
        page.get_by_text("Kundegap: opplevelse minus forventning", exact=False).first.wait_for(
            timeout=TIMEOUT_MS
        )
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Exception").count() == 0
        page.screenshot(path=str(screenshots / "survey-gaps-nb.png"), full_page=True)
    finally:
        context.close()


def test_a_nettskjema_export_with_labels_and_question_texts_reaches_the_descriptives(
    browser, server, screenshots
):
    answers, items = independent("bfi_nettskjema_nb.csv")
    context, page = _open(browser, server)
    try:
        _new_workspace_with(page, "Personlighet E2E", "bfi_nettskjema_nb.csv", "text/csv")
        page.get_by_text("Rows rejected", exact=False).first.wait_for(state="attached", timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Import").first.click()  # click 1
        page.wait_for_timeout(2000)
        page.get_by_role("link", name=re.compile("^Survey")).first.click()  # click 2
        page.get_by_text("Answers per item").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Read as a 6-point agreement scale.").first.wait_for(
            state="attached", timeout=TIMEOUT_MS
        )
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Exception").count() == 0
        page.screenshot(path=str(screenshots / "survey-labels-en.png"), full_page=True)
        _choose_language(page, "Norsk (bokmål)")
        page.get_by_text("Lest som en enighetsskala med 6 punkter.").first.wait_for(
            state="attached", timeout=TIMEOUT_MS
        )
        page.screenshot(path=str(screenshots / "survey-labels-nb.png"), full_page=True)
        assert pd.notna(answers[items[0]].mean())
    finally:
        context.close()


def test_a_microsoft_forms_xlsx_reaches_the_descriptives_and_offers_the_shift_per_item(browser, server, screenshots):
    answers, items = independent("ess10_microsoft_forms.xlsx")
    context, page = _open(browser, server)
    try:
        _new_workspace_with(
            page, "Forms E2E", "ess10_microsoft_forms.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        page.get_by_role("button", name="Import").first.click()  # click 1
        page.wait_for_timeout(2000)
        page.get_by_role("link", name=re.compile("^Survey")).first.click()  # click 2
        page.get_by_text("Answers per item").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("1 item(s) have answers that do not fit the scale", exact=False).first.wait_for(
            timeout=TIMEOUT_MS
        )
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Exception").count() == 0
        _choose_language(page, "Norsk (bokmål)")
        page.get_by_text("1 spørsmål har svar som ikke passer skalaen", exact=False).first.wait_for(
            timeout=TIMEOUT_MS
        )
        page.locator('[data-testid="stExpander"] summary').filter(has_text="Kolonner").first.click()
        caption = page.get_by_text("Kryss av et spørsmål", exact=False).first
        caption.wait_for(timeout=TIMEOUT_MS)
        page.locator(".st-key-survey-shift-Sheet1").first.scroll_into_view_if_needed()
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshots / "survey-forms-nb.png"))
        assert len(items) == 4 and pd.notna(answers[items[0]].mean())
    finally:
        context.close()


def test_unknown_labels_show_blank_cells_not_none(browser, server, screenshots):
    context, page = _open(browser, server)
    try:
        _new_workspace_with(page, "Sudzilla E2E", "sudzilla_google_forms.csv", "text/csv")
        page.get_by_role("button", name="Import").first.click()
        page.wait_for_timeout(2000)
        page.get_by_role("link", name=re.compile("^Survey")).first.click()
        page.get_by_text("Answers per item").first.wait_for(timeout=TIMEOUT_MS)
        _choose_language(page, "Norsk (bokmål)")
        grid = page.locator(".st-key-survey-label_mapping-sudzilla_google_forms").first
        grid.wait_for(timeout=TIMEOUT_MS)
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshots / "survey-unknown-labels-nb.png"))
        assert page.get_by_text("Exception").count() == 0
    finally:
        context.close()


def test_a_swedish_ecsi_customer_survey_reaches_descriptives_and_reliability(browser, server, screenshots):
    """ECSI mobile-phone survey (250 real customers, 1–10), Swedish two-row export: Import (1) → Survey (2)
    → the descriptives; Reliability (3) shows the perceived-quality block's alpha as pingouin computes it."""
    import pingouin

    answers, _items = independent("ecsi_mobi_sv.csv")
    alpha_perq = pingouin.cronbach_alpha(answers[[f"PERQ{i}" for i in range(1, 8)]])[0]
    context, page = _open(browser, server)
    try:
        _new_workspace_with(page, "ECSI E2E", "ecsi_mobi_sv.csv", "text/csv")
        page.get_by_text("Why a survey:", exact=False).first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("button", name="Import").first.click()  # click 1
        page.wait_for_timeout(2000)
        page.get_by_role("link", name=re.compile("^Survey")).first.click()  # click 2
        page.get_by_text("Answers per item").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Totalt sett, hur nöjd är du med operatören?").first.wait_for(
            state="attached", timeout=TIMEOUT_MS)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        assert page.get_by_text("Exception").count() == 0
        page.screenshot(path=str(screenshots / "survey-ecsi-en.png"), full_page=True)
        page.get_by_text("Reliability", exact=True).first.click()  # click 3
        page.get_by_text("Do the items of a dimension measure the same thing?").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshots / "survey-ecsi-reliability-en.png"), full_page=True)
        # The grid is drawn on a canvas: read the table through its own CSV download instead.
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            page.get_by_role("button", name="Download CSV").first.click()
        shown = pd.read_csv(download.value.path(), sep=None, engine="python", encoding="utf-8-sig")
        row = shown[shown.iloc[:, 0] == "perq"].iloc[0]
        assert float(str(row["Cronbach's alpha"]).replace(",", ".")) == pytest.approx(alpha_perq, abs=1e-9)
        _choose_language(page, "Norsk (bokmål)")
        page.get_by_text("Måler spørsmålene i en dimensjon det samme?").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshots / "survey-ecsi-reliability-nb.png"), full_page=True)
        page.get_by_text("Svar per spørsmål", exact=True).first.click()
        page.get_by_text("Svar per spørsmål").first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(screenshots / "survey-ecsi-nb.png"), full_page=True)
        assert page.get_by_text("Exception").count() == 0
    finally:
        context.close()
