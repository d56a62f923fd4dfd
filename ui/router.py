"""Make sure every page runs inside app.py's router (login gate, state, shared sidebar).

Streamlit keeps a process-wide flag for the old "pages/ folder" mode: until some session has
run ``st.navigation``, a request for ``/portfolio`` on a freshly started server executes
``pages/portfolio.py`` on its own — without the login gate. Pages call :func:`require_router`
first; when the router did not run, the session is sent through ``app.py`` instead.
"""

from __future__ import annotations

import threading

import streamlit as st

# Per script thread, never shared between sessions: "is app.py running this page right now?"
_run = threading.local()


def router_started() -> None:
    """Called by app.py before anything else."""
    _run.active = True


def router_finished() -> None:
    """Called by app.py after the page has run (also when it stopped early)."""
    _run.active = False


def require_router() -> None:
    """Send this session through app.py when a page is run without it."""
    if not getattr(_run, "active", False):
        st.switch_page("app.py")
