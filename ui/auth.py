"""Optional login gate (password list or OIDC) and the workspace access control.

``KAMSTUDIO_AUTH`` picks the mode: ``none`` (default, one local user), ``password`` (bcrypt
hashes in ``.streamlit/secrets.toml`` under ``[auth_passwords]``) or ``oidc`` (``st.login``
with the provider under ``[auth]``). :func:`gate` runs before anything else of the app and
stops the script until the person has signed in.

``python -m ui.auth hash`` prints a bcrypt hash for a new password (same as
``python -m kamcore.access hash``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping

import streamlit as st

from kamcore import access, db
from kamcore.demo import DEMO_NAME
from ui import state
from ui.i18n import labeller, language_selector, t

#: Failed password attempts a session may make before it has to wait.
MAX_ATTEMPTS = 5
LOCKOUT_SECONDS = 60
VISIBILITIES: list[str] = ["private", "named", "everyone"]


def mode() -> str:
    """The configured login mode: "none", "password" or "oidc"."""
    return state.settings().auth_mode


def _secret_section(name: str) -> Mapping[str, object] | None:
    try:
        section = st.secrets.get(name)
    except Exception:  # noqa: BLE001 - no secrets.toml at all, or one that does not parse
        return None
    return section if isinstance(section, Mapping) else None


def password_users() -> dict[str, str]:
    """Login name → bcrypt hash from ``[auth_passwords]`` in secrets.toml (empty when missing)."""
    section = _secret_section("auth_passwords") or {}
    return {str(name): value for name, value in section.items() if isinstance(value, str)}


def needs_sign_in() -> bool:
    """True when login is on and this session has not signed in (yet)."""
    current = mode()
    if current == "none":
        return False
    if current == "password":
        return st.session_state.get("auth_user") not in password_users()
    try:
        return not st.user.is_logged_in
    except Exception:  # noqa: BLE001 - OIDC not configured: the gate explains it
        return True


def gate() -> None:
    """Stop the app until the person has signed in (does nothing when login is off)."""
    current = mode()
    if current == "none":
        return
    if current == "password":
        _password_gate()
    else:
        _oidc_gate()


def logout() -> None:
    """Forget everything this session held (workspace, uploads, choices) except the language."""
    language = st.session_state.get("lang")
    state.close_workspace()
    st.session_state.clear()
    if language:
        st.session_state["lang"] = language


def _logout_clicked() -> bool:
    with st.sidebar:
        st.caption(t("auth.signed_in_as"))
        st.text(state.user())
        return st.button(t("auth.logout"), key="auth.logout", icon=":material/logout:")


def _password_gate() -> None:
    users = password_users()
    signed_in = st.session_state.get("auth_user")
    if signed_in and signed_in in users:
        if _logout_clicked():
            logout()
            st.rerun()
        return
    if signed_in:
        # Removed from secrets.toml since signing in: the session ends now.
        logout()
    language_selector()
    st.title(t("auth.title"))
    if not users:
        st.error(t("auth.no_users"))
        st.stop()
    locked_until = st.session_state.get("_auth_locked_until", 0.0)
    if time.monotonic() < locked_until:
        st.error(t("auth.too_many_attempts", seconds=int(locked_until - time.monotonic()) + 1))
        st.stop()
    with st.form("auth.form", clear_on_submit=True):
        name = st.text_input(t("auth.user"), key="auth.user", autocomplete="username")
        password = st.text_input(t("auth.password"), type="password", key="auth.password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.submit"), type="primary", key="auth.submit")
    if submitted:
        user = access.verify_password(users, name or "", password or "")
        if user is not None:
            language = st.session_state.get("lang")
            # A fresh session state on sign-in: nothing from before the login carries over.
            st.session_state.clear()
            if language:
                st.session_state["lang"] = language
            st.session_state["auth_user"] = user
            st.rerun()
        failures = st.session_state.get("_auth_failures", 0) + 1
        st.session_state["_auth_failures"] = failures
        if failures >= MAX_ATTEMPTS:
            st.session_state["_auth_failures"] = 0
            st.session_state["_auth_locked_until"] = time.monotonic() + LOCKOUT_SECONDS
        st.error(t("auth.wrong"))
    st.stop()


def _oidc_gate() -> None:
    if _secret_section("auth") is None:
        st.title(t("auth.title"))
        st.error(t("auth.oidc_not_configured"))
        st.stop()
    if not st.user.is_logged_in:
        language_selector()
        st.title(t("auth.title"))
        st.caption(t("auth.oidc_intro"))
        if st.button(t("auth.oidc_login"), key="auth.oidc_login", type="primary", icon=":material/login:"):
            try:
                st.login()
            except Exception:  # noqa: BLE001 - Authlib missing or provider unreachable
                st.error(t("auth.oidc_unavailable"))
        st.stop()
    identity = st.user.get("email") or st.user.get("preferred_username") or st.user.get("sub")
    if not identity:
        st.error(t("auth.oidc_no_identity"))
        st.stop()
    if st.session_state.get("auth_user") not in (None, identity):
        logout()  # another account signed in in this browser: start clean
    st.session_state["auth_user"] = str(identity)
    if _logout_clicked():
        logout()
        st.logout()


# --------------------------------------------------------------- workspace access
def may_manage(name: str) -> bool:
    """True when this session may rename, delete or change who sees workspace ``name``."""
    cfg = state.settings()
    if not cfg.login_required:
        return True
    if name == DEMO_NAME:
        return False
    return access.can_manage(state.principal(), access.read_access(cfg.workspaces_root, name))


def visible_workspaces() -> list[db.WorkspaceInfo]:
    """The workspace files this session may see (all of them with login off)."""
    cfg = state.settings()
    infos = db.list_workspaces(cfg.workspaces_root)
    if not cfg.login_required:
        return infos
    rules = access.read_rules(cfg.workspaces_root, [info.name for info in infos])
    return access.visible_workspaces(state.principal(), infos, rules)


def claim_new_workspace(name: str) -> None:
    """Make the signed-in user the owner of the workspace just created (private at first)."""
    cfg = state.settings()
    if cfg.login_required:
        access.write_access(cfg.workspaces_root, name,
                            access.WorkspaceAccess(owner=state.principal(), visibility="private"))


def access_control(name: str) -> None:
    """Who may open workspace ``name``: private to its owner, named users or everyone.

    Shown only with login on; only the owner (or anyone, for a workspace without owner)
    may change it. The demo workspace is always shared.
    """
    cfg = state.settings()
    if not cfg.login_required or name == DEMO_NAME:
        return
    rule = access.read_access(cfg.workspaces_root, name) or access.WorkspaceAccess()
    st.caption(t("auth.access_title"))
    if rule.owner:
        st.text(t("auth.owner", owner=rule.owner))
    if not may_manage(name):
        st.text(t(f"auth.visibility_{rule.visibility}"))
        return
    with st.form("data.access_form"):
        visibility = st.radio(
            t("auth.visibility"), VISIBILITIES, index=VISIBILITIES.index(rule.visibility),
            format_func=labeller("auth.visibility_"), key="data.access.visibility",
        )
        shared = st.text_area(t("auth.shared_with"), value="\n".join(rule.shared_with),
                              help=t("auth.shared_with_help"), key="data.access.shared_with")
        if st.form_submit_button(t("auth.save_access"), key="data.access.save"):
            access.write_access(cfg.workspaces_root, name, access.WorkspaceAccess(
                owner=rule.owner or state.principal(), visibility=visibility,
                shared_with=access.parse_user_list(shared or ""),
            ))
            st.toast(t("auth.access_saved"))


if __name__ == "__main__":
    raise SystemExit(access._main(sys.argv[1:]))
