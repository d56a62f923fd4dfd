"""Issue 12, point 5 in a real browser: signing in gives this tab a binding cookie, and the
tab keeps its session over a dropped connection, while a client with only the session id
does not get it (tests/security/test_shared_server.py)."""

from __future__ import annotations

import pytest

from tests.security.tcp_relay import Relay
from tests.security.wsclient import Client, password_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
TIMEOUT_MS = 90_000
PASSWORD = "kari-sitt-passord"


def _reconnects(url: str) -> int:
    import urllib.request

    with urllib.request.urlopen(url + "/_stcore/metrics", timeout=30) as response:
        text = response.read().decode()
    lines = [line for line in text.splitlines() if "reconnect" in line and not line.startswith("#")]
    return int(float(lines[0].rsplit(" ", 1)[1])) if lines else 0


def test_the_signed_in_tab_survives_a_reconnect_and_a_copied_session_id_does_not(browser, tmp_path):
    with password_server(tmp_path, {"kari": PASSWORD}) as (url, _):
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        page = context.new_page()
        try:
            relay = Relay(int(url.rsplit(":", 1)[1]))
            page.goto(f"http://127.0.0.1:{relay.port}", wait_until="domcontentloaded")
            page.locator(".st-key-auth-user input").fill("kari")
            page.locator(".st-key-auth-password input").fill(PASSWORD)
            page.locator(".st-key-auth-submit button").click()
            page.locator(".st-key-app-workspace").wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(1000)
            cookies = {c["name"]: c for c in context.cookies() if c["name"].startswith("kam_bind_")}
            assert len(cookies) == 1
            cookie = next(iter(cookies.values()))
            assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
            assert cookie["expires"] == -1  # a session cookie: gone when the browser closes

            # Drop the connection: the frontend reconnects with its session id and cookie.
            assert _reconnects(url) == 0
            relay.cut()
            page.wait_for_timeout(8000)
            page.locator(".st-key-app-filters-period, .st-key-filters-period").first.click(timeout=TIMEOUT_MS)
            page.keyboard.press("Escape")
            assert _reconnects(url) == 1  # the same session, resumed by the tab
            assert page.get_by_role("heading", name="Sign in to KAM Studio").count() == 0
            assert page.locator(".st-key-app-workspace").count() == 1

            # The first run on the new connection (opening a page) spends the token; the tab
            # is given a new one and keeps its session over the next dropped connection too.
            page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Portfolio").first.click()
            page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(1000)
            rotated = [c for c in context.cookies() if c["name"] == cookie["name"]]
            assert len(rotated) == 1 and rotated[0]["value"] != cookie["value"]
            relay.cut()
            page.wait_for_timeout(8000)
            page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Segments").first.click()
            page.get_by_role("heading", name="Segments").first.wait_for(timeout=TIMEOUT_MS)
            assert _reconnects(url) == 2
            assert page.get_by_role("heading", name="Sign in to KAM Studio").count() == 0
            assert page.locator(".st-key-app-workspace").count() == 1

            # The reconnect presented the session id (third entry); another client presenting
            # it without the cookie gets the sign-in form.
            assert len(relay.subprotocols) == 3
            session_id = relay.subprotocols[2].split(",")[2].strip()
            assert len(session_id) == 36
            with Client(url, session_id=session_id) as thief:
                run = thief.rerun()
                assert thief.session_id == session_id
                assert "Sign in to KAM Studio" in run.texts()
                assert "kari" not in run.texts()
        finally:
            context.close()
