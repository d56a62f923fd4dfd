"""The place in the app lives in the URL: a reload (F5) or a shared link opens the same view.

``?lang=nb&ws=Kunde+Vest`` on any page's URL (``/portfolio``) carries the language and the
workspace; the page is the URL's path; main view choices (``widgets.choice``) are bound to
their own query parameters by Streamlit (``?portfolio.view=accounts``).

A link is only a wish: the workspace it names goes through the same access check as the
workspace picker (:mod:`kamcore.access`). When the reader may not open it — or it does not
exist, which the reader is not told apart from "not allowed" — one neutral sentence says so
and the default workspace opens.
"""

from __future__ import annotations

import streamlit as st

from kamcore import db
from kamcore.demo import DEMO_NAME
from kamcore.errors import KamError
from ui import state
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

LANG = "lang"
WORKSPACE = "ws"
_LANG_DONE = "_links.lang_restored"
_WORKSPACE_DONE = "_links.workspace_restored"
_REFUSED = "_links.refused"


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value if isinstance(value, str) and value else None


def restore_language() -> None:
    """Take the language from the URL, once per session (before anything is translated)."""
    if st.session_state.get(_LANG_DONE):
        return
    st.session_state[_LANG_DONE] = True
    wanted = _param(LANG)
    if wanted in LANGUAGES:
        st.session_state["lang"] = wanted
        st.session_state["app.lang"] = wanted


def may_open(name: str) -> bool:
    """True when this session may open workspace ``name``: the same server-side check as the
    picker and every switch (``ui.state.authorised``: the file exists and its
    ``kamcore.access`` rule lets the reader in)."""
    try:
        db.check_workspace_name(name)
    except KamError:
        return False
    return state.authorised(name)


def restore_workspace() -> None:
    """Open the workspace the URL names, once per session and only if the reader may open it.

    Call after sign-in (the check needs to know who is reading).
    """
    if st.session_state.get(_WORKSPACE_DONE):
        return
    st.session_state[_WORKSPACE_DONE] = True
    wanted = _param(WORKSPACE)
    if wanted is None or wanted == state.workspace_name():
        return
    if may_open(wanted):
        state.switch_workspace(wanted)
    else:
        # Neither the name nor whether it exists is repeated back: one neutral sentence.
        st.session_state[_REFUSED] = True


def show_refusal() -> None:
    """The one sentence for a link whose workspace could not be opened (shown once)."""
    if st.session_state.pop(_REFUSED, False):
        st.info(t("links.workspace_unavailable"), icon=":material/link_off:")


def publish() -> None:
    """Write this session's language and workspace into the URL (defaults are left out)."""
    wanted = {
        LANG: st.session_state.get("lang", DEFAULT_LANGUAGE),
        WORKSPACE: state.workspace_name(),
    }
    defaults = {LANG: DEFAULT_LANGUAGE, WORKSPACE: DEMO_NAME}
    for name, value in wanted.items():
        if value == defaults[name] or (name == LANG and value not in LANGUAGES):
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value
