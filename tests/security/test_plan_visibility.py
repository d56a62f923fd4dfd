"""Account plans live in the workspace file: everyone who may open the workspace sees them, nobody else."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kamcore import access, db, plans
from kamcore.access import WorkspaceAccess
from tests.app.conftest import APP, RouterAppTest

PASSWORDS = {"kari": "riktig-hest-batteri", "ola": "ola-sitt-passord", "per": "pers-eget-passord"}
HASHES = {name: access.hash_password(pw, rounds=4) for name, pw in PASSWORDS.items()}
ACCOUNT = "051587"


@pytest.fixture
def team_workspace(demo_root: Path, monkeypatch: pytest.MonkeyPatch, server_routing) -> Path:
    monkeypatch.setenv("KAMSTUDIO_AUTH", "password")
    from ui import state

    state.settings.cache_clear()
    shutil.copyfile(demo_root / "demo.duckdb", db.workspace_path(demo_root, "team"))
    access.write_access(demo_root, "team", WorkspaceAccess(owner="kari", visibility="named", shared_with=("ola",)))
    with db.Workspace.open(db.workspace_path(demo_root, "team")) as ws:  # kari's plan, as the page saves it
        objective = plans.Objective(account=ACCOUNT, title="Kari's margin goal", metric="margin", target=5.0,
                                    start=dt.date(2026, 10, 1), due=dt.date(2027, 9, 30), owner="kari")
        plans.save_item(ws, objective, "kari")
        plans.save_item(ws, plans.Action(account=ACCOUNT, what="Kari's overdue call", due=dt.date(2026, 1, 5),
                                         owner="kari", objective_id=objective.id), "kari")
    return demo_root


def _signed_in(name: str) -> RouterAppTest:
    at = RouterAppTest(Path(APP), default_timeout=180)
    at.secrets["auth_passwords"] = HASHES
    at.session_state["lang"] = "en"
    at.session_state["app.start_page"] = "plans"
    at.run()
    at.text_input(key="auth.user").input(name)
    at.text_input(key="auth.password").input(PASSWORDS[name])
    at.button(key="auth.submit").click()
    at.run()
    at.session_state["app.start_page"] = "plans"  # the key-account follow-up page: every plan of the workspace
    return at.run()


def _texts(at) -> str:
    return " ".join(" ".join(map(str, df.value.astype(str).to_numpy().ravel())) for df in at.dataframe)


def test_a_plan_is_seen_by_whoever_may_open_the_workspace_and_by_nobody_else(team_workspace):
    ola = _signed_in("ola")
    assert "team" in ola.selectbox(key="app.workspace").options
    ola.selectbox(key="app.workspace").set_value("team").run()
    assert not ola.exception, [e.value for e in ola.exception]
    assert [t.value for t in ola.title] == ["Key accounts: follow-up"]
    shown = _texts(ola)
    assert "Kari's margin goal" in shown and "Kari's overdue call" in shown

    per = _signed_in("per")
    assert per.selectbox(key="app.workspace").options == ["demo"]
    assert [t.value for t in per.title] == ["Key accounts: follow-up"]
    assert "Kari's margin goal" not in _texts(per) and "Kari's overdue call" not in _texts(per)
    per.session_state["workspace_name"] = "team"  # a tampered request
    per.run()
    assert not per.exception
    assert [e.value for e in per.error] == ["You do not have access to the workspace 'team'."]
    assert "Kari's margin goal" not in _texts(per) and "Kari's overdue call" not in _texts(per)
