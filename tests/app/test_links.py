"""Reload and links keep the place: language, workspace and main view come from the URL,
and a link cannot open a workspace its reader may not open."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kamcore import access, db
from kamcore.access import WorkspaceAccess
from tests.app.conftest import APP, RouterAppTest

PASSWORDS = {"kari": "riktig-hest-batteri", "ola": "ola-sitt-passord"}
NEUTRAL = "The workspace in this link is not available to you, so the default workspace is open."


def _open(query: dict[str, str], page: str = "home", lang: str | None = None) -> AppTest:
    """A new session (a reload or a link opened) on ``page`` with ``query`` in the URL."""
    at = RouterAppTest(Path(APP), default_timeout=60)
    at.query_params.update(query)
    if lang:
        at.session_state["lang"] = lang
    at.session_state["app.start_page"] = page
    at.run()
    return at


def test_the_language_in_the_url_is_used_from_the_first_run(demo_root):
    at = _open({"lang": "nb"}, page="data")
    assert not at.exception
    assert at.title[0].value == "Data og arbeidsområder"
    assert at.selectbox(key="app.lang").value == "nb"


def test_an_unknown_language_in_the_url_is_ignored(demo_root):
    at = _open({"lang": "xx"}, page="data")
    assert not at.exception
    assert at.title[0].value == "Data & workspaces"


def test_choosing_a_language_and_a_workspace_writes_them_into_the_url(demo_root):
    db.create_workspace(demo_root, "Kunde Vest")
    at = _open({}, page="home")
    assert "lang" not in at.query_params and "ws" not in at.query_params
    at.selectbox(key="app.lang").select("sv").run()
    at.selectbox(key="app.workspace").select("Kunde Vest").run()
    assert not at.exception
    assert at.query_params["lang"] == "sv"
    assert at.query_params["ws"] == "Kunde Vest"
    # Back to the defaults: the URL is clean again.
    at.selectbox(key="app.lang").select("en").run()
    at.selectbox(key="app.workspace").select("demo").run()
    assert "lang" not in at.query_params and "ws" not in at.query_params


def test_a_reload_opens_the_linked_workspace(demo_root):
    db.create_workspace(demo_root, "Kunde Vest")
    at = _open({"lang": "sv", "ws": "Kunde Vest"}, page="data")
    assert not at.exception and not at.info or NEUTRAL not in [i.value for i in at.info]
    assert at.session_state["workspace_name"] == "Kunde Vest"
    assert at.selectbox(key="app.workspace").value == "Kunde Vest"
    assert at.title[0].value == "Data och arbetsytor"


@pytest.mark.parametrize("name", ["Finnes ikke", "../demo", "a/../../etc"])
def test_a_link_to_a_missing_or_malformed_workspace_opens_the_default(demo_root, name):
    at = _open({"ws": name})
    assert not at.exception and not at.error
    assert [i.value for i in at.info if i.value == NEUTRAL] == [NEUTRAL]
    assert at.session_state["workspace_name"] == "demo"
    assert at.session_state["_workspace"].name == "demo"
    # The sentence is said once; the URL no longer names the refused workspace.
    assert "ws" not in at.query_params
    at.run()
    assert NEUTRAL not in [i.value for i in at.info]


@pytest.mark.parametrize(("lang", "label"), [("en", "Accounts and drill-down"), ("nb", "Kunder og detaljer")])
def test_the_main_view_is_taken_from_the_url(demo_root, lang, label):
    # Streamlit keeps a bound choice in the URL under its shown label (in the link's language).
    at = _open({"lang": lang, "portfolio.view": label}, page="portfolio")
    assert not at.exception
    assert at.segmented_control(key="portfolio.view").value == "accounts"
    assert any("portfolio.accounts_download.csv" in b.proto.id for b in at.get("download_button"))


# ------------------------------------------------------------------ with login on
@pytest.fixture
def password_mode(demo_root, monkeypatch):
    from streamlit.runtime import pages_manager

    original = pages_manager.PagesManager.__init__

    def init(self, *args, **kwargs):  # as tests/security/conftest.py: app.py runs on every run
        original(self, *args, **kwargs)
        pages_manager.PagesManager.uses_pages_directory = False

    monkeypatch.setattr(pages_manager.PagesManager, "__init__", init)
    monkeypatch.setenv("KAMSTUDIO_AUTH", "password")
    from ui import state

    state.settings.cache_clear()
    db.create_workspace(demo_root, "kari privat")
    access.write_access(demo_root, "kari privat", WorkspaceAccess(owner="kari", visibility="private"))
    return demo_root


def _signed_in(query: dict[str, str], name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets.update({"auth_passwords": {n: access.hash_password(p, rounds=4) for n, p in PASSWORDS.items()}})
    at.query_params.update(query)
    at.session_state["lang"] = "en"
    at.run()
    assert "_workspace" not in at.session_state  # nothing opened before sign-in
    at.text_input(key="auth.user").input(name)
    at.text_input(key="auth.password").input(PASSWORDS[name])
    at.button(key="auth.submit").click()
    return at.run()


def test_a_link_cannot_open_a_workspace_its_reader_may_not_open(password_mode):
    ola = _signed_in({"ws": "kari privat"}, "ola")
    assert not ola.exception
    # The same neutral sentence as for a workspace that does not exist: nothing is revealed.
    assert [i.value for i in ola.info if i.value == NEUTRAL] == [NEUTRAL]
    assert not [e.value for e in ola.error if "kari privat" in e.value]
    assert ola.session_state["workspace_name"] == "demo"
    assert ola.session_state["_workspace"].name == "demo"


def test_the_owner_follows_the_same_link_into_her_workspace(password_mode):
    kari = _signed_in({"ws": "kari privat"}, "kari")
    assert not kari.exception
    assert NEUTRAL not in [i.value for i in kari.info]
    assert kari.session_state["workspace_name"] == "kari privat"
    assert kari.session_state["_workspace"].name == "kari privat"


@pytest.mark.parametrize(
    ("page", "key", "label", "value"),
    [("selection", "selection.view", "Full rangering", "ranking"),
     ("segments", "segments.source", "Respondenter i en undersøkelse", "survey")],
)
def test_selection_and_segments_views_are_taken_from_the_url(demo_root, page, key, label, value):
    at = _open({"lang": "nb", key: label}, page=page)
    assert not at.exception
    assert at.segmented_control(key=key).value == value
