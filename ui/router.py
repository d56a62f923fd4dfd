"""Make sure every page runs inside app.py's router (login gate, state, shared sidebar).

Streamlit keeps a process-wide flag for the old "pages/ folder" mode: until some session has
run ``st.navigation``, a request for ``/portfolio`` on a freshly started server executes
``pages/portfolio.py`` on its own — without the login gate. Pages call :func:`require_router`
first; when the router did not run, the session is sent through ``app.py`` instead.
"""

from __future__ import annotations

import inspect
import threading
from pathlib import Path

import streamlit as st

# Per script thread, never shared between sessions: "is app.py running this page right now?"
_run = threading.local()
# The page a first request asked for, kept in the session while it is sent through app.py.
_PENDING = "_router.pending_page"


def router_started() -> None:
    """Called by app.py before anything else."""
    _run.active = True


def router_finished() -> None:
    """Called by app.py after the page has run (also when it stopped early)."""
    _run.active = False


def require_router() -> None:
    """Send this session through app.py when a page is run without it.

    The page asked for and the link's query parameters (``?lang=``, ``?ws=``, a view) travel
    along, so a shared link opened as a fresh server's first request still lands where it points.
    """
    if not getattr(_run, "active", False):
        st.session_state[_PENDING] = Path(inspect.stack(context=0)[1].filename).stem  # no source lines read
        st.switch_page("app.py", query_params=st.query_params.to_dict())


def take_pending_page(known: set[str]) -> str | None:
    """The page a first request asked for before it was sent through app.py (asked once)."""
    wanted = st.session_state.pop(_PENDING, None)
    return wanted if wanted in known else None
