"""End-to-end: from the Portfolio page, *Meeting pack* in the sidebar builds the pack and both
download buttons deliver their files (a real Chromium, a real server)."""

from __future__ import annotations

import io
import os

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 300_000
LEAVE_OUT = ("selection", "segments", "survey", "accounts")  # a short pack keeps the test quick


def test_meeting_pack_button_gives_the_pptx_and_the_pdf(browser, server, screenshots):
    from pptx import Presentation
    from pypdf import PdfReader

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server, wait_until="domcontentloaded")
        page.locator(".st-key-app-lang").wait_for(timeout=TIMEOUT_MS)
        page.goto(server + "/portfolio?lang=nb", wait_until="domcontentloaded")
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Møtepakke", exact=True).first.click()
        for section in LEAVE_OUT:
            page.locator(f".st-key-pack-section_{section} label").click()
            page.locator(f".st-key-pack-section_{section} input:not(:checked)").wait_for(
                state="attached", timeout=TIMEOUT_MS)
        page.locator(".st-key-pack-build button").click()
        pptx_button = page.locator(".st-key-pack-download_pptx button")
        pptx_button.wait_for(timeout=TIMEOUT_MS)
        page.screenshot(path=str(screenshots / "meeting_pack_nb.png"))
        if os.environ.get("KAM_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["KAM_SCREENSHOTS"], "meeting_pack_nb.png"))
        with page.expect_download(timeout=60_000) as info:
            pptx_button.click()
        pptx = info.value
        assert pptx.failure() is None
        assert pptx.suggested_filename.startswith("meeting_pack_demo_") and pptx.suggested_filename.endswith(".pptx")
        deck = Presentation(io.BytesIO(pptx.path().read_bytes()))
        titles = [next(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]
        assert titles[:2] == ["Møtepakke", "Få kunder står for omsetningen"]
        assert len(titles) == 5
        with page.expect_download(timeout=60_000) as info:
            page.locator(".st-key-pack-download_pdf button").click()
        pdf = info.value
        assert pdf.failure() is None and pdf.suggested_filename.endswith(".pdf")
        reader = PdfReader(io.BytesIO(pdf.path().read_bytes()))
        assert len(reader.pages) == 5
        assert "Få kunder står for omsetningen" in reader.pages[1].extract_text()
    finally:
        context.close()
