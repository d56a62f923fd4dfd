"""The login gate: nothing of the app renders before sign-in; workspaces follow access rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kamcore import access, db
from kamcore.access import WorkspaceAccess

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PASSWORDS = {"kari": "riktig-hest-batteri", "ola": "ola-sitt-passord"}
HASHES = {name: access.hash_password(pw, rounds=4) for name, pw in PASSWORDS.items()}
OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-secret-not-used",
    "client_id": "kam-studio",
    "client_secret": "not-used",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}


def _set_mode(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("KAMSTUDIO_AUTH", mode)
    from ui import state

    state.settings.cache_clear()


def _app(secrets: dict | None = None, user: dict | None = None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if secrets:
        at.secrets.update(secrets)
    if user is not None:
        at.user = user
    at.session_state["lang"] = lang
    at.run()
    return at


def _nothing_of_the_app(at: AppTest) -> None:
    """No workspace, table, filter, chart or navigation element was rendered."""
    assert not at.exception
    assert at.get("selectbox") == [] or [s.key for s in at.selectbox] == ["app.lang"]
    assert not at.dataframe
    assert not at.get("plotly_chart")
    assert "_workspace" not in at.session_state
    assert "filters" not in at.session_state


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="auth.user").input(name)
    at.text_input(key="auth.password").input(password)
    at.button(key="auth.submit").click()
    return at.run()


@pytest.fixture
def password_mode(demo_root, monkeypatch, server_routing):
    _set_mode(monkeypatch, "password")
    return demo_root


@pytest.fixture
def legacy_password_mode(demo_root, monkeypatch):
    """Password login with Streamlit's legacy pages/ routing left as it is."""
    _set_mode(monkeypatch, "password")
    return demo_root


def test_login_off_by_default(make_app):
    at = make_app(None)
    assert not at.exception
    assert at.selectbox(key="app.workspace").value == "demo"
    assert "auth.logout" not in [b.key for b in at.button]


def test_password_login_form_comes_first(password_mode):
    at = _app({"auth_passwords": HASHES})
    _nothing_of_the_app(at)
    assert [t.value for t in at.title] == ["Sign in to KAM Studio"]
    assert [w.key for w in at.text_input] == ["auth.user", "auth.password"]


@pytest.mark.parametrize("page", ["data", "home"])
def test_deep_link_to_a_page_still_needs_sign_in(legacy_password_mode, page):
    """Streamlit's legacy pages/ routing can run a page without app.py (seen on a real server:
    a fresh process serving /data). The page must still show only the sign-in form."""
    at = _app({"auth_passwords": HASHES})
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    assert "Sign in to KAM Studio" in [t.value for t in at.title]
    assert [w.key for w in at.text_input] == ["auth.user", "auth.password"]
    assert not at.dataframe and not at.metric
    assert "_workspace" not in at.session_state


def test_wrong_password_is_refused(password_mode):
    at = _sign_in(_app({"auth_passwords": HASHES}), "kari", "feil-passord-her")
    _nothing_of_the_app(at)
    assert [e.value for e in at.error] == ["The user name or password is not correct."]
    assert "auth_user" not in at.session_state
    at = _sign_in(at, "nobody", PASSWORDS["kari"])
    assert [e.value for e in at.error] == ["The user name or password is not correct."]
    assert "auth_user" not in at.session_state


def test_too_many_attempts_lock_the_name_across_sessions(password_mode, monkeypatch):
    """Issue 12, point 4: the throttle was per browser session, so reconnecting reset it.
    Now it counts per user name and per client address for the whole process."""
    from ui import auth

    now = [1000.0]
    monkeypatch.setattr(auth.THROTTLE, "clock", lambda: now[0])
    for _ in range(6):  # each guess from a fresh session, as a reconnecting script does
        at = _sign_in(_app({"auth_passwords": HASHES}, lang="nb"), "kari", "feil-passord-her")
    # Blocked now: even the right password, in yet another new session, is refused unchecked.
    at = _sign_in(_app({"auth_passwords": HASHES}, lang="nb"), "kari", PASSWORDS["kari"])
    _nothing_of_the_app(at)
    assert "auth_user" not in at.session_state
    assert [e.value for e in at.error] == ["For mange mislykkede forsøk. Prøv igjen om 3 sekunder."]
    # The wait is short for a user name (at most 30 s), so a real user is not locked out long.
    now[0] += 31
    at = _sign_in(_app({"auth_passwords": HASHES}), "kari", PASSWORDS["kari"])
    assert at.session_state["auth_user"] == "kari"


def test_throttle_backs_off_per_name_and_per_address():
    from kamcore.access import LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("kari", "10.0.0.9")
    assert throttle.wait_seconds("kari", "10.0.0.9") == 0  # four free failures
    throttle.failed("kari", "10.0.0.9")
    assert throttle.wait_seconds("kari", "10.0.0.9") == 2.0  # fifth: 2 s
    assert throttle.wait_seconds("KARI ", "192.0.2.1") == 2.0  # the name, from anywhere
    assert throttle.wait_seconds("ola", "10.0.0.9") == 2.0  # the address, for any name
    assert throttle.wait_seconds("ola", "192.0.2.1") == 0
    for expected in (4.0, 8.0, 16.0, 30.0, 30.0):  # doubling, capped at 30 s for the name
        throttle.failed("kari", "10.0.0.9")
        assert throttle.wait_seconds("kari", "192.0.2.1") == expected
    assert throttle.wait_seconds("ola", "10.0.0.9") == 64.0  # the address keeps doubling
    throttle.succeeded("kari", "10.0.0.9")
    assert throttle.wait_seconds("kari", "10.0.0.9") == 0


def test_right_password_opens_the_app_and_logout_closes_it(password_mode):
    at = _sign_in(_app({"auth_passwords": HASHES}), "kari", PASSWORDS["kari"])
    assert not at.exception
    assert at.session_state["auth_user"] == "kari"
    assert at.selectbox(key="app.workspace").value == "demo"
    assert "kari" in [t.value for t in at.sidebar.text]
    at.button(key="auth.logout").click()
    at.run()
    _nothing_of_the_app(at)
    assert "auth_user" not in at.session_state
    assert at.session_state["lang"] == "en"


def test_no_users_configured_fails_closed(password_mode):
    at = _app()
    _nothing_of_the_app(at)
    assert [e.value for e in at.error][0].startswith("Login by password is switched on, but no users are set up.")


def test_user_removed_from_secrets_is_signed_out(password_mode):
    at = _sign_in(_app({"auth_passwords": HASHES}), "ola", PASSWORDS["ola"])
    assert at.session_state["auth_user"] == "ola"
    at.secrets["auth_passwords"] = {"kari": HASHES["kari"]}
    at.run()
    _nothing_of_the_app(at)
    assert "auth_user" not in at.session_state


def test_private_workspace_is_hidden_from_others(password_mode):
    db.create_workspace(password_mode, "kari privat")
    access.write_access(password_mode, "kari privat", WorkspaceAccess(owner="kari", visibility="private"))
    db.create_workspace(password_mode, "team")
    access.write_access(password_mode, "team", WorkspaceAccess(owner="kari", visibility="named",
                                                              shared_with=("ola",)))
    kari = _sign_in(_app({"auth_passwords": HASHES}), "kari", PASSWORDS["kari"])
    assert kari.selectbox(key="app.workspace").options == ["demo", "kari privat", "team"]
    ola = _sign_in(_app({"auth_passwords": HASHES}), "ola", PASSWORDS["ola"])
    assert ola.selectbox(key="app.workspace").options == ["demo", "team"]
    # Forcing the name into the session (as a tampered request would) is refused.
    ola.session_state["workspace_name"] = "kari privat"
    ola.run()
    assert not ola.exception
    assert [e.value for e in ola.error] == ["You do not have access to the workspace 'kari privat'."]
    assert "_workspace" not in ola.session_state
    ola.run()  # the next run is back on the shared demo
    assert not ola.exception
    assert not [e.value for e in ola.error if "access" in e.value]
    assert ola.session_state["_workspace"].name == "demo"
    assert ola.session_state["workspace_name"] == "demo"


def test_owner_shares_from_the_data_page(password_mode):
    db.create_workspace(password_mode, "kari privat")
    access.write_access(password_mode, "kari privat", WorkspaceAccess(owner="kari", visibility="private"))
    kari = _sign_in(_app({"auth_passwords": HASHES}), "kari", PASSWORDS["kari"])
    kari.selectbox(key="app.workspace").select("kari privat").run()
    kari.switch_page("pages/data.py").run()
    assert not kari.exception
    kari.radio(key="data.access.visibility").set_value("named")
    kari.text_area(key="data.access.shared_with").input("ola\n sven ")
    kari.button(key="data.access.save").click()
    kari.run()
    assert not kari.exception
    assert access.read_access(password_mode, "kari privat") == WorkspaceAccess(
        owner="kari", visibility="named", shared_with=("ola", "sven"))
    ola = _sign_in(_app({"auth_passwords": HASHES}), "ola", PASSWORDS["ola"])
    assert ola.selectbox(key="app.workspace").options == ["demo", "kari privat"]
    ola.session_state["workspace_name"] = "kari privat"
    ola.switch_page("pages/data.py").run()
    assert not ola.exception
    assert not [e.value for e in ola.error if "access" in e.value]
    assert ola.session_state["_workspace"].name == "kari privat"
    # Ola sees the workspace but cannot change who else does.
    assert "data.access.visibility" not in [r.key for r in ola.radio]


def test_new_workspace_belongs_to_its_creator(password_mode):
    at = _sign_in(_app({"auth_passwords": HASHES}), "ola", PASSWORDS["ola"])
    at.switch_page("pages/data.py").run()
    at.text_input(key="data.new_workspace").input("Olas kunder")
    at.button(key="data.create").click()
    at.run()
    assert not at.exception
    assert access.read_access(password_mode, "Olas kunder") == WorkspaceAccess(owner="ola", visibility="private")
    kari = _sign_in(_app({"auth_passwords": HASHES}), "kari", PASSWORDS["kari"])
    assert "Olas kunder" not in kari.selectbox(key="app.workspace").options


# ------------------------------------------------------------------------ OIDC
def test_oidc_without_provider_fails_closed(demo_root, monkeypatch, server_routing):
    _set_mode(monkeypatch, "oidc")
    at = _app(user={"is_logged_in": False})
    _nothing_of_the_app(at)
    assert at.error[0].value.startswith("Single sign-on is switched on, but no provider is set up.")


def test_oidc_shows_only_the_sign_in_button(demo_root, monkeypatch, server_routing):
    _set_mode(monkeypatch, "oidc")
    at = _app({"auth": OIDC}, user={"is_logged_in": False})
    _nothing_of_the_app(at)
    assert [b.key for b in at.button] == ["auth.oidc_login"]


def test_oidc_signed_in_user_gets_the_app(demo_root, monkeypatch, server_routing):
    _set_mode(monkeypatch, "oidc")
    at = _app({"auth": OIDC}, user={"is_logged_in": True, "email": "kari@firma.no", "name": "Kari"})
    assert not at.exception
    assert at.session_state["auth_user"] == "kari@firma.no"
    assert at.selectbox(key="app.workspace").value == "demo"
    assert "auth.logout" in [b.key for b in at.button]


def test_a_repeat_sign_in_skips_bcrypt_but_a_wrong_password_never_does(monkeypatch):
    """Load (issue 12): bcrypt off the critical path where safe."""
    import bcrypt as bcrypt_module

    calls = []
    real = bcrypt_module.checkpw
    monkeypatch.setattr(access.bcrypt, "checkpw", lambda pw, h: calls.append(1) or real(pw, h))
    now = [0.0]
    verified = access.VerifiedPasswords(ttl=100, clock=lambda: now[0])
    users = dict(HASHES)
    assert verified.verify(users, "kari", PASSWORDS["kari"]) == "kari" and len(calls) == 1
    assert verified.verify(users, " kari", PASSWORDS["kari"]) == "kari" and len(calls) == 1  # no bcrypt
    assert verified.verify(users, "kari", "feil-passord-her") is None and len(calls) == 2
    assert verified.verify(users, "ola", PASSWORDS["kari"]) is None and len(calls) == 3
    assert verified.verify(users, "nobody", PASSWORDS["kari"]) is None and len(calls) == 4
    now[0] = 101  # expired
    assert verified.verify(users, "kari", PASSWORDS["kari"]) == "kari" and len(calls) == 5
    users["kari"] = access.hash_password("et-nytt-passord", rounds=4)  # the line was changed
    assert verified.verify(users, "kari", PASSWORDS["kari"]) is None and len(calls) == 6


def test_simultaneous_sign_ins_of_one_user_share_one_bcrypt_check_but_wrong_ones_do_not(monkeypatch):
    """Load (issue 12): four tabs of one user signing in at the same moment cost one bcrypt
    check, not four; four simultaneous wrong guesses still cost four."""
    import threading
    import time

    real = access.bcrypt.checkpw
    calls: list[bytes] = []
    entered, release = threading.Event(), threading.Event()

    def slow_checkpw(password: bytes, hashed: bytes) -> bool:
        calls.append(password)
        entered.set()
        release.wait(10)  # hold the first check open until every sign-in has arrived
        return real(password, hashed)

    monkeypatch.setattr(access.bcrypt, "checkpw", slow_checkpw)
    for password, expected, expected_calls in ((PASSWORDS["kari"], "kari", 1), ("feil-passord-her", None, 4)):
        verified = access.VerifiedPasswords()
        calls.clear()
        entered.clear()
        release.clear()
        results: list[str | None] = []
        threads = [threading.Thread(target=lambda pw=password: results.append(verified.verify(HASHES, "kari", pw)))
                   for _ in range(4)]
        threads[0].start()
        assert entered.wait(10)  # the first check is running
        for thread in threads[1:]:
            thread.start()
        time.sleep(0.3)  # they arrive while it runs
        release.set()
        for thread in threads:
            thread.join(10)
        assert results == [expected] * 4
        assert len(calls) == expected_calls
