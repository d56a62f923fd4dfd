"""Every click on a download button delivers a file (no click may hang without one)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
CLICKS = 10


def test_download_csv_gives_a_file_on_every_click(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        # The very first request to a fresh server cannot deep-link (see test_smoke): home first.
        page.goto(server, wait_until="domcontentloaded")
        page.locator(".st-key-app-lang").wait_for(timeout=TIMEOUT_MS)
        page.goto(server + "/portfolio", wait_until="domcontentloaded")
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".st-key-portfolio-view").get_by_role("radio", name="Accounts and drill-down").click(timeout=TIMEOUT_MS)
        button = page.locator(".st-key-portfolio-accounts_download-csv button")
        button.wait_for(timeout=TIMEOUT_MS)
        got = []
        for _ in range(CLICKS):
            with page.expect_download(timeout=15_000) as info:
                button.click()
            download = info.value
            assert download.failure() is None
            got.append((download.suggested_filename, download.path().read_bytes()))
        assert [name for name, _ in got] == ["abc_accounts.csv"] * CLICKS
        # Every file is the same table: a header line and one line per account.
        first = got[0][1]
        assert first.count(b"\n") > 100
        assert all(content == first for _, content in got)
        assert page.locator('[data-testid="stDownloadButtonError"]').count() == 0
    finally:
        context.close()
