"""Binding a signed-in session to the browser that signed in (issue 12, point 5).

Streamlit lets any client that presents a session's id (it appears in upload URLs, so in
proxy logs) reconnect to that session, and with password login every client looks the same
to it. So the sign-in is bound to the connection it happened on and to a random token the
signing-in browser keeps as a cookie: every run on another connection (a reconnect) must
present that cookie, or the session is signed out before anything runs.

The cookie is set from the page (``document.cookie``), because a Streamlit script has no
HTTP response to put a ``Set-Cookie`` header on — so it cannot be ``HttpOnly``. What makes up
for that (docs/security.md, "Session binding"):

* the token is **rotated on every reconnect**: a token read by a script in the page is good
  for at most one reconnect, and using it signs the real browser out (which the user notices)
  — or it is dead already because the real browser reconnected first;
* the cookie is ``SameSite=Strict``, ``path=/``, ``Secure`` over HTTPS, and a session cookie;
* only a SHA-256 digest of the token is kept on the server, compared in constant time;
* nothing from a user's file is ever rendered as HTML (tests/security/test_no_markup.py), so
  there is no script of an attacker's in the page to read the cookie with.

This module imports only Streamlit: ``ui.state`` uses it to check every run (also widget
callbacks, which run before app.py's gate), ``ui.auth`` to bind at sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import streamlit as st

#: The browser cookie (one per signed-in tab) that proves a websocket connection belongs to
#: the browser that signed in.
BIND_COOKIE_PREFIX = "kam_bind_"


def connection_id() -> str | None:
    """Identifies this run's websocket connection (None outside a request)."""
    try:
        # Random per websocket handshake (RFC 6455), so it identifies the connection.
        return st.context.headers.get("Sec-Websocket-Key")
    except Exception:  # noqa: BLE001 - no request context
        return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _new_token(bind: dict) -> None:
    token = secrets.token_urlsafe(32)
    bind["digest"] = _digest(token)
    st.session_state["_auth_token"] = token


def bind_session() -> None:
    """At sign-in: a new token, remembered by digest, and the connection it happened on."""
    bind = {"cookie": BIND_COOKIE_PREFIX + secrets.token_hex(6), "connection": connection_id()}
    _new_token(bind)
    st.session_state["_auth_bind"] = bind


def binding_holds() -> bool:
    """True when this run's connection is the one that signed in, or presents its cookie.

    A connection that presents the cookie becomes the session's connection and gets a new
    token (sent to the browser by :func:`keep_cookie` in this run): the old one is spent.
    """
    bind = st.session_state.get("_auth_bind")
    if not isinstance(bind, dict):
        return False
    connection = connection_id()
    if connection == bind.get("connection"):
        return True
    try:
        presented = st.context.cookies.get(bind["cookie"])
    except Exception:  # noqa: BLE001
        presented = None
    if presented and hmac.compare_digest(_digest(presented), bind["digest"]):
        bind["connection"] = connection
        _new_token(bind)
        return True
    return False


def keep_cookie() -> None:
    """Give the browser its binding cookie (rendered on each signed-in run: idempotent)."""
    bind, token = st.session_state.get("_auth_bind"), st.session_state.get("_auth_token")
    if not isinstance(bind, dict) or not token:
        return
    # Both values are ours (a fixed prefix + hex, and URL-safe base64), never user text.
    script = (
        "<script>(function(){var s=location.protocol==='https:'?'; Secure':'';"
        f"document.cookie={json.dumps(bind['cookie'] + '=' + token)}+'; path=/; SameSite=Strict'+s;"
        "})();</script>"
    )
    with st.sidebar:
        st.html(script, unsafe_allow_javascript=True)
