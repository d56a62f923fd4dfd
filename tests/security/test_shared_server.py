"""Issue 12 against a real server with password login, driven by a scripted websocket client.

User A is ``kari``, user B is ``ola``. Each test reproduces an attack that worked before
(the promises are in docs/security.md, "Who can see what" and "Login").
"""

from __future__ import annotations

import time
import urllib.request

import pandas as pd
import pytest

from kamcore import access, db
from kamcore.access import WorkspaceAccess
from tests.security.wsclient import Client, password_server

pytestmark = [pytest.mark.timeout(300)]

USERS = {"kari": "kari-sitt-passord", "ola": "ola-sitt-passord", "per": "per-sitt-passord"}
SECRET = "HEMMELIG-4711"  # the private workspace's table name (the data page lists it)


def _private_workspace(root, name: str = "kari privat") -> None:
    db.create_workspace(root, name)
    with db.Workspace.open(db.workspace_path(root, name)) as ws:
        ws.import_table(SECRET, pd.DataFrame({"Kundenr": ["1", "2"], "Kundenavn": ["Kunde " + SECRET, "Annen AS"],
                                                "Omsetning": [100.0, 50.0]}),
                        kind="accounts", mapping={"customer_id": "Kundenr", "customer_name": "Kundenavn"})
    access.write_access(root, name, WorkspaceAccess(owner="kari", visibility="private"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared-server")
    with password_server(root, USERS, env={"KAMSTUDIO_ADMINS": "kari"}) as (url, workspaces):
        _private_workspace(workspaces)
        yield url, workspaces


def _signed_in(url: str, user: str) -> Client:
    client = Client(url)
    run = client.sign_in(user, USERS[user])
    assert user in run.texts(), run.texts()[:5]
    return client


@pytest.mark.parametrize("change", ["rename", "delete"])
def test_old_name_of_a_renamed_or_deleted_private_workspace_is_refused(server, change):
    """Point 1: while one of A's tabs still has the private workspace open, A renames (or
    deletes) it in another tab; B then sends the old name as the workspace choice (a value
    outside the picker's options). B must get the refusal sentence and nothing of A's."""
    url, workspaces = server
    name = f"kari {change}"
    _private_workspace(workspaces, name)
    with _signed_in(url, "kari") as keeper, _signed_in(url, "kari") as owner, _signed_in(url, "ola") as other:
        keeper.rerun({"app.workspace": name})
        assert keeper.rerun(page="data").contains(SECRET)  # the data page lists its tables
        owner.rerun({"app.workspace": name})
        owner.rerun(page="data")
        if change == "rename":
            owner.rerun({"data.rename_to": f"{name} ny", "data.rename": True})
            assert (workspaces / f"{name} ny.duckdb").exists()
        else:
            owner.rerun({"data.confirm_delete": True, "data.delete_workspace": True})
        assert not (workspaces / f"{name}.duckdb").exists()

        switched = other.rerun({"app.workspace": name})
        for page in ("data", "portfolio", "home"):
            run = other.rerun(page=page)
            assert not run.contains(SECRET), page
        assert f"You do not have access to the workspace '{name}'." in switched.texts()
        assert not (workspaces / f"{name}.duckdb").exists()  # nothing re-created under the old name


def test_a_name_with_no_access_file_is_not_shared(server):
    """Point 1: a workspace file without a rule (copied in by hand after the server started)
    is refused, not "shared with everyone"."""
    url, workspaces = server
    with _signed_in(url, "ola") as other:  # the server has started (and migrated) before the copy
        _private_workspace(workspaces, "uten regel")
        access.access_path(workspaces, "uten regel").unlink()
        run = other.rerun({"app.workspace": "uten regel"})
        assert "You do not have access to the workspace 'uten regel'." in run.texts()
        assert not other.rerun(page="data").contains(SECRET)


def test_a_known_session_id_does_not_take_over_a_signed_in_session(server):
    """Point 5: a second client presenting A's session id (it is in upload URLs, so in proxy
    logs) used to get A's session while A was connected and for 120 s after A left."""
    url, workspaces = server
    with _signed_in(url, "kari") as victim:
        victim.rerun({"app.workspace": "kari privat"})
        assert victim.rerun(page="data").contains(SECRET)
        session_id = victim.session_id
        # While A is connected.
        with Client(url, session_id=session_id) as thief:
            run = thief.rerun(page="data")
            assert thief.session_id == session_id  # Streamlit did hand over the session ...
            assert not run.contains(SECRET)  # ... but it is signed out before anything runs
            assert "Sign in to KAM Studio" in run.texts()
            assert "kari" not in run.texts()
    # After A closed the tab (the session waits for a reconnect).
    with _signed_in(url, "kari") as victim:
        victim.rerun({"app.workspace": "kari privat"})
        assert victim.rerun(page="data").contains(SECRET)
        session_id = victim.session_id
    time.sleep(1)
    with Client(url, session_id=session_id) as thief:
        run = thief.rerun(page="data")
        assert not run.contains(SECRET)
        assert "Sign in to KAM Studio" in run.texts()


def test_the_signed_in_browser_itself_reconnects_with_its_cookie(server):
    """Point 5, the other side: the browser that signed in keeps its session over a reconnect,
    because it holds the binding cookie the sign-in gave it."""
    url, _ = server
    with _signed_in(url, "kari") as tab:
        script = next(text for text in tab.last.texts() if "kam_bind_" in text)
        cookie = script.split('document.cookie="', 1)[1].split('"', 1)[0]
        cookie_name, cookie_value = cookie.split("=", 1)
        tab.rerun({"app.workspace": "kari privat"})
        session_id = tab.session_id
    with Client(url, session_id=session_id, cookies={cookie_name: "x" + cookie_value[1:]}) as forged:
        assert not forged.rerun(page="data").contains(SECRET)
    with _signed_in(url, "kari") as tab:
        cookie_name, cookie_value = _binding_cookie(tab.last)
        tab.rerun({"app.workspace": "kari privat"})
        session_id = tab.session_id
    with Client(url, session_id=session_id, cookies={cookie_name: cookie_value}) as again:
        run = again.rerun(page="data")
        assert again.session_id == session_id
        assert run.contains(SECRET)
        assert "kari" in run.texts()
        # The reconnect spent the token: the browser was given a new one in this run.
        rotated_name, rotated = _binding_cookie(run)
        assert rotated_name == cookie_name and rotated != cookie_value
    # The old token is good for nothing now (a copy read from the page is worth one reconnect
    # at most); the new one works, once.
    with Client(url, session_id=session_id, cookies={cookie_name: cookie_value}) as replay:
        assert not replay.rerun(page="data").contains(SECRET)
    with _signed_in(url, "kari") as tab:
        cookie_name, first = _binding_cookie(tab.last)
        tab.rerun({"app.workspace": "kari privat"})
        session_id = tab.session_id
    with Client(url, session_id=session_id, cookies={cookie_name: first}) as again:
        _, second = _binding_cookie(again.rerun(page="data"))
    with Client(url, session_id=session_id, cookies={cookie_name: second}) as once_more:
        run = once_more.rerun(page="data")
        assert run.contains(SECRET) and "kari" in run.texts()


def _binding_cookie(run) -> tuple[str, str]:
    script = next(text for text in run.texts() if "kam_bind_" in text)
    cookie = script.split('document.cookie="', 1)[1].split('"', 1)[0]
    name, value = cookie.split("=", 1)
    return name, value


def _metrics(url: str) -> str:
    with urllib.request.urlopen(url + "/_stcore/metrics", timeout=30) as response:
        return response.read().decode()


def test_nothing_is_accepted_or_cleared_before_sign_in(server):
    """Point 6: an anonymous session could upload 5 × 100 MB and clear everyone's cache."""
    url, _ = server
    with Client(url) as anonymous:
        anonymous.rerun()
        assert anonymous.upload("big.csv", b"x" * 1_000_000) == 403
        with _signed_in(url, "per") as member:
            member.rerun(page="portfolio")  # fills the shared data cache
            before = [line for line in _metrics(url).splitlines() if "_read_canonical" in line]
            assert before
            from streamlit.proto.BackMsg_pb2 import BackMsg

            message = BackMsg()
            message.clear_cache = True
            anonymous.send(message)
            time.sleep(1)
            after = [line for line in _metrics(url).splitlines() if "_read_canonical" in line]
            assert after == before
            # Signed in: uploads are accepted up to the session's budget.
            assert member.upload("small.csv", b"Kundenr;Omsetning\n1;2\n") == 204


def test_a_signed_in_session_has_an_upload_budget(tmp_path):
    with password_server(tmp_path, {"kari": USERS["kari"]}, env={"KAMSTUDIO_SESSION_UPLOAD_MB": "2"}) as (url, _):
        with _signed_in(url, "kari") as member:
            assert member.upload("a.csv", b"1" * 1_500_000, file_id="a") == 204
            assert member.upload("b.csv", b"2" * 1_000_000, file_id="b") == 413
            assert member.upload("a.csv", b"3" * 1_800_000, file_id="a") == 204  # replacing is fine


def test_reconnecting_does_not_reset_the_sign_in_throttle(tmp_path):
    """Point 4: 60 guesses in 20 s from reconnecting sessions, then the right password worked."""
    with password_server(tmp_path, {"kari": USERS["kari"]}) as (url, _):
        refused = counted = 0
        # Guess from a new connection each time until 8 failures have counted (blocks of 2, 4
        # and 8 s lie between them): bounded by time, not by tries, so a fast machine that
        # makes all its tries inside one block and a slow one that outlives the blocks agree.
        deadline = time.monotonic() + 90
        while counted < 8 and time.monotonic() < deadline:
            with Client(url) as guesser:
                run = guesser.sign_in("kari", "feil-passord-her")
                was_refused = any(text.startswith("Too many failed attempts") for text in run.texts())
                refused += was_refused
                counted += "The user name or password is not correct." in run.texts()
            if was_refused:
                time.sleep(0.5)
        # the 8th counted failure blocks the name for 2 * 2**3 = 16 s from now
        assert counted == 8
        assert refused >= 1  # (how many depends on how fast the machine answers: the waits expire)
        with Client(url) as attacker:
            run = attacker.sign_in("kari", USERS["kari"])
            assert any(text.startswith("Too many failed attempts") for text in run.texts())
            assert "kari" not in run.texts()
