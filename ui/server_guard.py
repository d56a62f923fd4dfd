"""Process-wide guards around Streamlit's own endpoints, installed once by app.py.

Streamlit accepts two things from any connected client, before any line of the app runs:

* **uploads** (``PUT /_stcore/upload_file/<session id>/<file id>``) for any active session,
  kept in memory until the session's next run drops them;
* **"clear cache"** (a ``clear_cache`` message on the websocket), which empties
  the data and resource caches for every user of the process.

With login on, :func:`install` makes the upload store refuse files for a session that has not
signed in and caps what a signed-in session may hold (``KAMSTUDIO_SESSION_UPLOAD_MB``), and
turns "clear cache" into a no-op (the caches are keyed by workspace content, so they never
hold stale data; a restart empties them). The gate tells this module which sessions have
signed in (:func:`signed_in` / :func:`signed_out`).

Both guards replace Streamlit internals, which a Streamlit release may rename. So
:func:`internals_problems` checks, for the installed Streamlit, that every internal used
here is still what this module expects (names, signatures, and the upload route and message
handler still calling them); :func:`install` refuses to start the app with login on when
anything is off (a guard silently not applying would be worse), and
tests/security/test_server_guard_internals.py fails on it. ``requirements.txt`` pins
Streamlit to :data:`SUPPORTED_STREAMLIT`.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

import streamlit
from streamlit import runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

_lock = threading.Lock()
_installed_on: set[int] = set()
#: session id -> upload budget in bytes, for the sessions signed in right now.
_signed_in: dict[str, int] = {}
_login_required = False


#: Streamlit versions whose internals this module was checked against (requirements.txt pins one).
SUPPORTED_STREAMLIT = ("1.67.0",)


def internals_problems() -> list[str]:
    """What is not as this module expects in the installed Streamlit (empty: all is well)."""
    from streamlit.runtime import app_session
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    problems = []
    if streamlit.__version__ not in SUPPORTED_STREAMLIT:
        problems.append(f"Streamlit {streamlit.__version__} is not one of {SUPPORTED_STREAMLIT}")
    add_file = getattr(MemoryUploadedFileManager, "add_file", None)
    if add_file is None or list(inspect.signature(add_file).parameters) != ["self", "session_id", "file"]:
        problems.append("MemoryUploadedFileManager.add_file(session_id, file) changed")
    for name in ("remove_session_files", "get_files"):
        if not callable(getattr(MemoryUploadedFileManager, name, None)):
            problems.append(f"MemoryUploadedFileManager.{name} is missing")
    if "self.file_storage" not in inspect.getsource(MemoryUploadedFileManager.__init__):
        problems.append("MemoryUploadedFileManager.file_storage is missing")
    try:
        from streamlit.web.server.starlette import starlette_routes

        if "upload_mgr.add_file(" not in inspect.getsource(starlette_routes):
            problems.append("the upload route no longer calls uploaded_file_mgr.add_file")
    except ImportError:
        problems.append("streamlit.web.server.starlette.starlette_routes is missing")
    handler = getattr(app_session.AppSession, "_handle_clear_cache_request", None)
    if handler is None:
        problems.append("AppSession._handle_clear_cache_request is missing")
    elif handler is not _no_global_clear and "self._handle_clear_cache_request()" not in inspect.getsource(
            app_session.AppSession):
        problems.append("AppSession no longer handles clear_cache through _handle_clear_cache_request")
    return problems


def _no_global_clear(self: Any) -> None:
    # Any client may send "clear_cache"; with login on it must not empty every user's
    # caches. The session's own state is left alone too (sign-out does that).
    return None


class UploadRefused(Exception):
    """An upload this session may not make (not signed in, or over its budget)."""


def current_session_id() -> str | None:
    """The id of the session whose script is running (None outside a server run)."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def install(login_required: bool) -> None:
    """Wrap this process's upload store and cache-clearing handler (idempotent)."""
    global _login_required
    _login_required = login_required
    if not login_required or not runtime.exists():
        return
    instance = runtime.get_instance()
    manager = instance.uploaded_file_mgr
    with _lock:
        if id(manager) in _installed_on:
            return
        # (Streamlit's upload store is always a MemoryUploadedFileManager; AppTest's is a mock.)
        problems = internals_problems()
        if problems:
            raise RuntimeError("KAM Studio's upload and cache guards do not fit this Streamlit: "
                               + "; ".join(problems))
        _installed_on.add(id(manager))
    original_add = manager.add_file

    def add_file(session_id: str, file: Any) -> None:
        with _lock:
            budget = _signed_in.get(session_id)
        if budget is None:
            raise _refusal(403, "Sign in before uploading.")
        held = sum(len(f.data) for f in list(manager.file_storage.get(session_id, {}).values())
                   if f.file_id != file.file_id)
        if held + len(file.data) > budget:
            raise _refusal(413, "This session holds too many uploads; import or remove some first.")
        original_add(session_id, file)

    manager.add_file = add_file  # type: ignore[method-assign]

    from streamlit.runtime import app_session

    app_session.AppSession._handle_clear_cache_request = _no_global_clear  # type: ignore[method-assign]


def _refusal(status: int, detail: str) -> Exception:
    try:
        from starlette.exceptions import HTTPException

        return HTTPException(status_code=status, detail=detail)
    except ImportError:  # pragma: no cover - Streamlit 1.67 always ships Starlette
        return UploadRefused(detail)


def signed_in(budget_bytes: int) -> None:
    """Record that the running session has signed in (uploads up to ``budget_bytes``)."""
    session_id = current_session_id()
    if session_id is not None:
        with _lock:
            _signed_in[session_id] = budget_bytes


def signed_out() -> None:
    """Record that the running session is not signed in, and drop whatever it uploaded."""
    session_id = current_session_id()
    if session_id is None:
        return
    with _lock:
        _signed_in.pop(session_id, None)
    if runtime.exists():
        runtime.get_instance().uploaded_file_mgr.remove_session_files(session_id)


def forget_closed_sessions() -> None:
    """Drop the records of sessions that no longer exist (called now and then)."""
    if not runtime.exists():
        return
    instance = runtime.get_instance()
    with _lock:
        ids = list(_signed_in)
    for session_id in ids:
        if instance.get_client(session_id) is None and not instance.is_active_session(session_id):
            with _lock:
                _signed_in.pop(session_id, None)
