"""Issue 12, points 2, 8, 9 and 10 in the app: sessions follow a rename, the demo reset is an
administrator's, legacy workspaces cannot be claimed, names reveal nothing, and a refused
workspace choice is a sentence, not Streamlit's redacted error box."""

from __future__ import annotations

import pandas as pd
import pytest

from kamcore import access, db
from kamcore.access import WorkspaceAccess
from kamcore.errors import KamError
from tests.security.test_login import HASHES, PASSWORDS, _app, _set_mode, _sign_in


@pytest.fixture
def password_mode(demo_root, monkeypatch, server_routing):
    _set_mode(monkeypatch, "password")
    return demo_root


def _signed_in(user: str, page: str | None = None):
    at = _sign_in(_app({"auth_passwords": HASHES}), user, PASSWORDS[user])
    assert at.session_state["auth_user"] == user
    if page:
        at.switch_page(f"pages/{page}.py").run()
    return at


def test_a_session_follows_a_rename_by_another(password_mode):
    db.create_workspace(password_mode, "team")
    access.write_access(password_mode, "team", WorkspaceAccess(owner="kari", visibility="everyone"))
    viewer = _signed_in("ola")
    viewer.selectbox(key="app.workspace").select("team").run()
    assert viewer.session_state["_workspace"].name == "team"
    owner = _signed_in("kari", "data")
    owner.selectbox(key="app.workspace").select("team").run()
    owner.text_input(key="data.rename_to").input("team nord")
    owner.button(key="data.rename").click()
    owner.run()
    assert not owner.exception
    assert owner.session_state["workspace_name"] == "team nord"

    viewer.run()
    assert not viewer.exception
    assert viewer.session_state["workspace_name"] == "team nord"
    assert viewer.session_state["_workspace"].name == "team nord"
    assert [t.value for t in viewer.toast] == ["The workspace 'team' was renamed to 'team nord' meanwhile."]


def test_a_session_leaves_a_workspace_deleted_by_its_owner(password_mode):
    db.create_workspace(password_mode, "kortliv")
    access.write_access(password_mode, "kortliv", WorkspaceAccess(owner="kari", visibility="everyone"))
    viewer = _signed_in("ola")
    viewer.selectbox(key="app.workspace").select("kortliv").run()
    owner = _signed_in("kari", "data")
    owner.selectbox(key="app.workspace").select("kortliv").run()
    owner.checkbox(key="data.confirm_delete").check()
    owner.button(key="data.delete_workspace").click()
    owner.run()
    assert not (password_mode / "kortliv.duckdb").exists()
    viewer.run()
    assert not viewer.exception
    assert viewer.session_state["workspace_name"] == "demo"
    assert [t.value for t in viewer.toast] == ["The workspace 'kortliv' was deleted meanwhile."]


def test_only_an_administrator_resets_the_demo(password_mode, monkeypatch):
    monkeypatch.setenv("KAMSTUDIO_ADMINS", "kari")
    from ui import state

    state.settings.cache_clear()
    member = _signed_in("ola", "data")
    assert "data.reset_demo" not in [b.key for b in member.button]
    admin = _signed_in("kari", "data")
    before = member.session_state["_workspace"]
    admin.button(key="data.reset_demo").click()
    admin.run()
    assert not admin.exception
    assert not before.is_current()  # the member's connection was closed for the reset ...
    member.run()
    assert not member.exception  # ... and the member's session reopened the new file
    assert member.session_state["_workspace"].is_current()
    assert "transactions" in [t.name for t in member.session_state["_workspace"].tables()]


def test_login_off_still_lets_the_single_user_reset_the_demo(make_app):
    at = make_app("data")
    assert "data.reset_demo" in [b.key for b in at.button]


def test_a_workspace_from_before_login_cannot_be_claimed(password_mode):
    """Point 8: setting a legacy workspace private made user B its owner."""
    db.create_workspace(password_mode, "gammel")  # made before login: no rule
    from ui import state

    state._migrate_legacy_once.cache_clear()
    ola = _signed_in("ola", "data")
    assert access.read_access(password_mode, "gammel") == WorkspaceAccess(owner=None, visibility="everyone")
    ola.selectbox(key="app.workspace").select("gammel").run()
    assert not ola.exception
    assert "data.access.visibility" not in [r.key for r in ola.radio]  # no form to claim it with
    ola.text_input(key="data.rename_to").input("mitt")
    ola.button(key="data.rename").click()
    ola.run()
    assert [w.value for w in ola.warning] == ["Only the owner of this workspace can rename or delete it."]
    assert (password_mode / "gammel.duckdb").exists()
    # An administrator names the owner; from then on the owner manages it.
    access.assign_owner(password_mode, "gammel", "kari")
    assert access.read_access(password_mode, "gammel") == WorkspaceAccess(owner="kari", visibility="everyone")
    kari = _signed_in("kari", "data")
    kari.selectbox(key="app.workspace").select("gammel").run()
    assert "data.access.visibility" in [r.key for r in kari.radio]


def test_owner_command(password_mode, monkeypatch, capsys):
    db.create_workspace(password_mode, "eldre")
    monkeypatch.setenv("KAMSTUDIO_WORKSPACES", str(password_mode))
    assert access._main(["owner", "eldre", "kari"]) == 0
    assert capsys.readouterr().out == "eldre: owner kari, visibility private\n"
    assert access.read_access(password_mode, "eldre") == WorkspaceAccess(owner="kari", visibility="private")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("kari privat", "workspace.name_unavailable"),  # someone else's private name
        ("Kari Privat", "workspace.name_unavailable"),  # case
        ("kari  privat", "workspace.name_unavailable"),  # spaces
        ("kаri privat", "workspace.name_mixed_scripts"),  # Cyrillic а among Latin letters
        ("кари", None),  # one alphabet is fine
        ("ｄｅｍｏ", "workspace.name_unavailable"),  # full-width letters normalise to "demo"
        ("𠀀" * 60, "workspace.name_too_long"),  # 60 four-byte letters: the files would not fit
    ],
)
def test_new_workspace_names(password_mode, name, code):
    """Point 9: "already exists" confirmed other users' private names, look-alikes were
    allowed, and a name of four-byte characters left a hidden, ownerless file."""
    db.create_workspace(password_mode, "kari privat")
    access.write_access(password_mode, "kari privat", WorkspaceAccess(owner="kari", visibility="private"))
    ola = _signed_in("ola", "data")
    before = sorted(p.name for p in password_mode.iterdir())
    ola.text_input(key="data.new_workspace").input(name)
    ola.button(key="data.create").click()
    ola.run()
    assert not ola.exception
    after = sorted(p.name for p in password_mode.iterdir())
    if code is None:
        assert ola.session_state["workspace_name"] == name
        assert access.read_access(password_mode, name) == WorkspaceAccess(owner="ola", visibility="private")
        return
    assert after == before  # nothing left behind
    messages = [e.value for e in ola.error]
    expected = {
        "workspace.name_unavailable": f"The name '{db.unicodedata.normalize('NFKC', name).strip()}' cannot be used "
                                      "for a new workspace; choose another.",
        "workspace.name_mixed_scripts": f"'{name}' mixes letters from different alphabets; write it in one alphabet.",
        "workspace.name_too_long": "The name is too long: use at most 60 letters (fewer with special characters).",
    }[code]
    assert messages == [expected]


def test_taken_names_get_the_same_sentence_whoever_owns_them(tmp_path):
    db.create_workspace(tmp_path, "mine")
    db.create_workspace(tmp_path, "theirs")
    access.write_access(tmp_path, "theirs", WorkspaceAccess(owner="kari", visibility="private"))
    sentences = []
    for name in ("mine", "theirs"):
        with pytest.raises(KamError) as caught:
            db.create_workspace(tmp_path, name)
        sentences.append((caught.value.code, caught.value.message))
    assert sentences[0] == sentences[1]


def test_a_refused_workspace_choice_is_a_sentence_not_a_crash(password_mode):
    """Point 10: B picks a workspace that A stopped sharing a moment ago (the picker still
    lists it): Streamlit's redacted error box replaced the page."""
    db.create_workspace(password_mode, "delt")
    with db.Workspace.open(db.workspace_path(password_mode, "delt")) as ws:
        ws.import_table("t", pd.DataFrame({"a": [1]}), kind="other")
    access.write_access(password_mode, "delt", WorkspaceAccess(owner="kari", visibility="everyone"))
    ola = _signed_in("ola")
    assert "delt" in ola.selectbox(key="app.workspace").options
    access.write_access(password_mode, "delt", WorkspaceAccess(owner="kari", visibility="private"))
    ola.selectbox(key="app.workspace").select("delt").run()
    assert not ola.exception
    assert [e.value for e in ola.sidebar.error] == ["You do not have access to the workspace 'delt'."]
    assert ola.session_state["workspace_name"] == "demo"
    assert ola.title  # the page is still there
