"""Per-session state: settings, the open workspace, the signed-in user."""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from kamcore import access, db
from kamcore.demo import DEMO_NAME, build_demo_workspace
from kamcore.errors import KamError
from kamcore.settings import AppSettings, load_settings
from ui import server_guard, session_binding


@functools.cache
def settings() -> AppSettings:
    """Settings from the environment, read once per process (they hold no user data)."""
    return load_settings()


def init() -> None:
    """Set this session's defaults once; safe to call on every run."""
    st.session_state.setdefault("lang", "en")
    st.session_state.setdefault("workspace_name", DEMO_NAME)


def ensure_demo() -> None:
    """Create the demo workspace on first start so there is something to see at once.

    With login on, workspaces that have no access rule yet (made before login was switched
    on, and the demo) get an explicit one once per process: shared, without an owner.
    """
    cfg = settings()
    path = db.workspace_path(cfg.workspaces_root, DEMO_NAME)
    if not path.exists():
        build_demo_workspace(path, cfg.demo_data_dir, cfg.db)
    if cfg.login_required:
        _migrate_legacy_once(str(cfg.workspaces_root))


@functools.cache
def _migrate_legacy_once(root: str) -> None:
    access.migrate_legacy(root, [info.name for info in db.list_workspaces(root)])


def reset_demo() -> None:
    """Rebuild the demo workspace from data/; every session that has it open reopens it."""
    close_workspace()
    cfg = settings()
    db.replace_workspace(db.workspace_path(cfg.workspaces_root, DEMO_NAME),
                         lambda target: build_demo_workspace(target, cfg.demo_data_dir, cfg.db), cfg.db)


def workspace_name() -> str:
    """Name of the workspace this session works in."""
    return st.session_state.get("workspace_name", DEMO_NAME)


def workspace() -> db.Workspace:
    """The open workspace of this session (one connection per session, never shared)."""
    _require_sign_in()
    held = st.session_state.get("_workspace")
    if held is not None and not held.is_current():
        _follow(held)
    name = workspace_name()
    # Checked on every call, not only when opening: the owner may stop sharing meanwhile.
    _check_access(name)
    held = st.session_state.get("_workspace")
    if held is not None and held.name == name:
        return held
    close_workspace()
    cfg = settings()
    opened = db.Workspace.open(db.workspace_path(cfg.workspaces_root, name), cfg.db, create=False)
    st.session_state["_workspace"] = opened
    return opened


def _follow(held: db.Workspace) -> None:
    """The open workspace was renamed, deleted or reset by someone else: move this session."""
    fate = held.fate()
    close_workspace()
    if fate is None or fate.code == "workspace.reopen":
        return
    if fate.code == "workspace.renamed" and authorised(fate.params["new"]):
        st.session_state["workspace_name"] = fate.params["new"]
    elif fate.code != "workspace.replaced":
        st.session_state["workspace_name"] = DEMO_NAME
        for key in [k for k in st.session_state if str(k).startswith(WORKSPACE_SCOPED_KEYS)]:
            del st.session_state[key]
    from ui.i18n import error_message  # here: ui.i18n is heavier than this module needs

    st.toast(error_message(fate), icon=":material/info:")


def authorised(name: str) -> bool:
    """True when this session may open workspace ``name`` right now (see authorised_workspace).

    Checked against the files once per script run (a page asks many times per run).
    """
    token = _run_token()
    memo = (token, name, principal())
    if token is not None and st.session_state.get("_authorised_in_run") == memo:
        return True
    cfg = settings()
    allowed = access.may_open(cfg.workspaces_root, principal(), name)
    if allowed and token is not None:
        st.session_state["_authorised_in_run"] = memo
    return allowed


def _run_token() -> int | None:
    """Identifies the current script run of this session (None outside one)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    # Streamlit makes a new coordinator object at the start of every run.
    coordinator = getattr(ctx, "parallel_coordinator", None) if ctx is not None else None
    return id(coordinator) if coordinator is not None else None


def authorised_workspace(name: str) -> str:
    """``name`` when this session may open that workspace now, else KamError ``access.denied``.

    The single server-side check for every workspace choice (picker, link, switch), run on
    every page run: the file must exist and, with login on, its access rule must allow the
    signed-in user. A missing rule never means "shared", and the sentence is the same
    whether the workspace does not exist or is someone else's.
    """
    if not authorised(name):
        raise KamError("access.denied", "You do not have access to the workspace '{name}'.", name=name)
    return name


#: Session keys whose values belong to one workspace (chosen tables, filter values, the
#: shortlist being built): forgotten on a switch, so the next workspace's own saved state loads.
WORKSPACE_SCOPED_KEYS = (
    "active.",
    "filters.",
    "selection._include",
    "selection._exclude",
    "selection._size",
    "selection._shown",
    "selection._last_pick",
    "selection.shortlist_size",
    "selection.shortlist_pick",
)


def switch_workspace(name: str) -> None:
    """Make ``name`` this session's workspace and forget choices that belonged to the old one."""
    authorised_workspace(name)
    close_workspace()
    st.session_state["workspace_name"] = name
    for key in [k for k in st.session_state if str(k).startswith(WORKSPACE_SCOPED_KEYS)]:
        del st.session_state[key]


def close_workspace() -> None:
    """Close this session's connection (before rename, delete or reset)."""
    held = st.session_state.pop("_workspace", None)
    if held is not None:
        held.close()


def workspace_key() -> str:
    """Identifies the open workspace in cache keys (its file path)."""
    return str(workspace().path.resolve())


def user() -> str:
    """The signed-in user's name, or "local" when login is off."""
    return st.session_state.get("auth_user") or "local"


def principal() -> str | None:
    """Who workspace access rules apply to: the login name, None when login is off.

    With login on but nobody signed in (cannot happen behind ui.auth.gate) this is "",
    which matches no owner, so only workspaces shared with everyone are visible.
    """
    if not settings().login_required:
        return None
    return st.session_state.get("auth_user") or ""


#: Draws the sign-in form and stops the run until the person has signed in; ui.auth
#: registers its gate here when it is imported (this module cannot import ui.auth, which is
#: built on it). Until one is registered, a run that needs a signed-in user just stops.
_sign_in_form: Callable[[], None] | None = None


def register_sign_in_form(form: Callable[[], None]) -> None:
    """Set what :func:`workspace` shows a session that has not signed in (ui.auth.gate)."""
    global _sign_in_form
    _sign_in_form = form


def sign_out() -> None:
    """Forget everything this session held (workspace, uploads, choices) except the language."""
    language = st.session_state.get("lang")
    close_workspace()
    st.session_state.clear()
    server_guard.signed_out()
    if language:
        st.session_state["lang"] = language


def _require_sign_in() -> None:
    # Defence in depth: while a folder called pages/ exists, Streamlit's legacy routing can run
    # a deep-linked page (/data) without app.py and its login gate; no page can read a
    # workspace before sign-in even then.
    if not settings().login_required:
        return
    if st.session_state.get("auth_user"):
        # Also in widget callbacks, which Streamlit runs before app.py's gate: a connection
        # that is not the signing-in browser's (a copied session id) reads nothing.
        if settings().auth_mode != "password" or session_binding.binding_holds():
            return
        sign_out()
        st.stop()
    if _sign_in_form is not None:
        _sign_in_form()
    if not st.session_state.get("auth_user"):
        st.stop()


def _check_access(name: str) -> None:
    if authorised(name):
        return
    if workspace_name() == name and name != DEMO_NAME:
        # Fall back to the shared demo so the next run works; this one shows the message.
        close_workspace()
        st.session_state["workspace_name"] = DEMO_NAME
    raise KamError("access.denied", "You do not have access to the workspace '{name}'.", name=name)
