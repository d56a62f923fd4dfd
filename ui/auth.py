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
from collections.abc import Mapping

import streamlit as st

from kamcore import access, db
from kamcore.demo import DEMO_NAME
from ui import server_guard, session_binding, state
from ui.i18n import labeller, language_selector, t

VISIBILITIES: list[str] = ["private", "named", "everyone"]
#: Failed sign-ins per user name and per client address, for the whole process (not per
#: browser session: reconnecting must not reset it). See kamcore.access.LoginThrottle.
THROTTLE = access.LoginThrottle()
#: Repeat sign-ins of a user with the same password skip bcrypt (see VerifiedPasswords).
VERIFIED = access.VerifiedPasswords()
#: The binding cookie's name prefix (see ui.session_binding).
BIND_COOKIE_PREFIX = session_binding.BIND_COOKIE_PREFIX


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


state.register_sign_in_form(gate)


def logout() -> None:
    """Forget everything this session held (workspace, uploads, choices) except the language."""
    state.sign_out()


def client_address() -> str | None:
    """The client's address for the sign-in throttle (None on localhost).

    Behind a reverse proxy every connection comes from the proxy; set
    ``KAMSTUDIO_CLIENT_IP_HEADER`` (e.g. ``X-Real-IP``) to a header the proxy overwrites.
    """
    header = state.settings().client_ip_header
    try:
        if header:
            value = st.context.headers.get(header)
            return value.split(",")[0].strip() if value else None
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (scripts, tests)
        return None


def _logout_clicked() -> bool:
    with st.sidebar:
        st.caption(t("auth.signed_in_as"))
        st.text(state.user())
        return st.button(t("auth.logout"), key="auth.logout", icon=":material/logout:")


def _password_gate() -> None:
    users = password_users()
    signed_in = st.session_state.get("auth_user")
    if signed_in and signed_in in users and session_binding.binding_holds():
        server_guard.signed_in(state.settings().session_upload_mb * 1024 * 1024)
        session_binding.keep_cookie()
        if _logout_clicked():
            logout()
            st.rerun()
        return
    if signed_in or st.session_state.get("_auth_bind"):
        # Removed from secrets.toml since signing in, or another client presenting this
        # session's id without the signing-in browser's cookie: the session ends now.
        logout()
    server_guard.signed_out()
    language_selector()
    st.title(t("auth.title"))
    if not users:
        st.error(t("auth.no_users"))
        st.stop()
    with st.form("auth.form", clear_on_submit=True):
        name = st.text_input(t("auth.user"), key="auth.user", autocomplete="username")
        password = st.text_input(t("auth.password"), type="password", key="auth.password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.submit"), type="primary", key="auth.submit")
    if submitted:
        name = (name or "").strip()
        address = client_address()
        wait = THROTTLE.wait_seconds(name, address)
        if wait > 0:
            # Refused without checking the password: not even the right one gets in now.
            st.error(t("auth.too_many_attempts", seconds=int(wait) + 1))
            st.stop()
        user = VERIFIED.verify(users, name, password or "")
        if user is not None:
            THROTTLE.succeeded(name, address)
            language = st.session_state.get("lang")
            # A fresh session state on sign-in: nothing from before the login carries over.
            st.session_state.clear()
            if language:
                st.session_state["lang"] = language
            st.session_state["auth_user"] = user
            session_binding.bind_session()
            server_guard.forget_closed_sessions()
            st.rerun()
        THROTTLE.failed(name, address)
        st.error(t("auth.wrong"))
    st.stop()


def _oidc_gate() -> None:
    if _secret_section("auth") is None:
        st.title(t("auth.title"))
        st.error(t("auth.oidc_not_configured"))
        st.stop()
    if not st.user.is_logged_in:
        server_guard.signed_out()
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
    server_guard.signed_in(state.settings().session_upload_mb * 1024 * 1024)
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


def may_reset_demo() -> bool:
    """True when this session may rebuild the demo (anyone with login off; admins with it on)."""
    cfg = state.settings()
    return not cfg.login_required or state.user() in cfg.admins


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


def create_workspace(name: str) -> str:
    """Create workspace ``name`` owned by this user; returns the name as stored.

    With login on the new file is invisible to everyone until its rule is written; if the
    rule cannot be written, the file is removed again, so no ownerless file is left behind.
    """
    cfg = state.settings()
    path = db.create_workspace(cfg.workspaces_root, name, cfg.db)
    try:
        claim_new_workspace(path.stem)
    except Exception:
        db.delete_workspace(cfg.workspaces_root, path.stem, cfg.db)
        raise
    return path.stem


def access_control(name: str) -> None:
    """Who may open workspace ``name``: private to its owner, named users or everyone.

    Shown only with login on; only the owner may change it (a workspace without an owner
    waits for an administrator to name one). The demo workspace is always shared.
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
                owner=rule.owner, visibility=visibility,
                shared_with=access.parse_user_list(shared or ""),
            ))
            st.toast(t("auth.access_saved"))


if __name__ == "__main__":
    raise SystemExit(access._main(sys.argv[1:]))
