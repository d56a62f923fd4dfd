"""Per-session state: settings, the open workspace, the signed-in user."""

from __future__ import annotations

import functools

import streamlit as st

from kamcore import db
from kamcore.demo import DEMO_NAME, build_demo_workspace
from kamcore.settings import AppSettings, load_settings


@functools.cache
def settings() -> AppSettings:
    """Settings from the environment, read once per process (they hold no user data)."""
    return load_settings()


def init() -> None:
    """Set this session's defaults once; safe to call on every run."""
    st.session_state.setdefault("lang", "en")
    st.session_state.setdefault("workspace_name", DEMO_NAME)


def ensure_demo() -> None:
    """Create the demo workspace on first start so there is something to see at once."""
    cfg = settings()
    path = db.workspace_path(cfg.workspaces_root, DEMO_NAME)
    if not path.exists():
        build_demo_workspace(path, cfg.demo_data_dir, cfg.db)


def reset_demo() -> None:
    """Rebuild the demo workspace from data/ (closing this session's connection first)."""
    close_workspace()
    cfg = settings()
    build_demo_workspace(db.workspace_path(cfg.workspaces_root, DEMO_NAME), cfg.demo_data_dir, cfg.db)


def workspace_name() -> str:
    """Name of the workspace this session works in."""
    return st.session_state.get("workspace_name", DEMO_NAME)


def workspace() -> db.Workspace:
    """The open workspace of this session (one connection per session, never shared)."""
    name = workspace_name()
    held = st.session_state.get("_workspace")
    if held is not None and held.name == name:
        return held
    close_workspace()
    cfg = settings()
    opened = db.Workspace.open(db.workspace_path(cfg.workspaces_root, name), cfg.db)
    st.session_state["_workspace"] = opened
    return opened


def switch_workspace(name: str) -> None:
    """Make ``name`` this session's workspace and forget choices that belonged to the old one."""
    close_workspace()
    st.session_state["workspace_name"] = name
    for key in [k for k in st.session_state if str(k).startswith(("active.", "filters."))]:
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
