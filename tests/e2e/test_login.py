"""End-to-end: with password login on, nothing of the app shows before sign-in (even for a
deep link) or after signing out."""

from __future__ import annotations

import re

import bcrypt
import pytest

from tests.e2e.conftest import running_server

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
PASSWORD = "fjordkraft-2026-demo"


@pytest.fixture
def password_server(tmp_path):
    workspaces = tmp_path / "workspaces"
    workspaces.mkdir()
    secrets = tmp_path / "secrets.toml"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    secrets.write_text(f'[auth_passwords]\nkari = "{hashed}"\n', encoding="utf-8")
    with running_server(workspaces, {"KAMSTUDIO_AUTH": "password"}, ["--secrets.files", str(secrets)]) as url:
        yield url


def test_a_deep_link_shows_only_the_sign_in_form_until_the_password_is_right(browser, password_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(password_server + "/portfolio", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Sign in to KAM Studio").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        assert page.locator(".js-plotly-plot").count() == 0
        assert page.locator('[data-testid="stSidebarNavLink"]').count() == 0
        assert page.locator(".st-key-app-workspace").count() == 0

        page.locator(".st-key-auth-user input").fill("kari")
        page.locator(".st-key-auth-password input").fill("wrong-password-here")
        page.locator(".st-key-auth-submit button").click()
        page.get_by_text("The user name or password is not correct.").wait_for(timeout=TIMEOUT_MS)
        assert page.locator(".js-plotly-plot").count() == 0

        page.locator(".st-key-auth-user input").fill("kari")
        page.locator(".st-key-auth-password input").fill(PASSWORD)
        page.locator(".st-key-auth-submit button").click()
        page.locator('[data-testid="stSidebarNavLink"]').first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_role("link", name=re.compile("Portfolio")).first.click()
        page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)

        # Signing out returns to the sign-in form and takes the app away, reload included.
        page.locator(".st-key-auth-logout button").click()
        page.get_by_role("heading", name="Sign in to KAM Studio").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        assert page.locator(".js-plotly-plot").count() == 0
        assert page.locator('[data-testid="stSidebarNavLink"]').count() == 0
        page.reload(wait_until="domcontentloaded")
        page.get_by_role("heading", name="Sign in to KAM Studio").wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        assert page.locator(".js-plotly-plot").count() == 0
    finally:
        context.close()
