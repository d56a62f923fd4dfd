"""The upload and clear-cache guards (ui/server_guard.py) replace Streamlit internals. If a
Streamlit release renames or reshapes them, the guards would silently stop applying: these
tests fail loudly instead, and the app refuses to start with login on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit

from ui import server_guard

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_streamlit_has_every_internal_the_guards_use():
    assert server_guard.internals_problems() == []


def test_requirements_pin_the_streamlit_the_guards_were_checked_against():
    pins = re.findall(r"^streamlit==(\S+)$", (ROOT / "requirements.txt").read_text(encoding="utf-8"), re.M)
    assert pins == [streamlit.__version__]
    assert streamlit.__version__ in server_guard.SUPPORTED_STREAMLIT


@pytest.mark.parametrize("change", ["version", "signature", "handler", "storage"])
def test_a_changed_internal_is_reported(monkeypatch, change):
    from streamlit.runtime import app_session
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    if change == "version":
        monkeypatch.setattr(streamlit, "__version__", "1.99.0")
        expected = "Streamlit 1.99.0 is not one of"
    elif change == "signature":
        monkeypatch.setattr(MemoryUploadedFileManager, "add_file", lambda self, session_id, file, replace: None)
        expected = "add_file(session_id, file) changed"
    elif change == "handler":
        monkeypatch.delattr(app_session.AppSession, "_handle_clear_cache_request")
        expected = "_handle_clear_cache_request is missing"
    else:
        def __init__(self):  # noqa: N807 - stands for a release that stores files elsewhere
            self.files_by_session = {}

        monkeypatch.setattr(MemoryUploadedFileManager, "__init__", __init__)
        expected = "file_storage is missing"
    problems = server_guard.internals_problems()
    assert len(problems) == 1 and expected in problems[0], problems


def test_install_refuses_to_run_the_app_when_an_internal_changed(monkeypatch):
    class FakeRuntime:
        uploaded_file_mgr = object()

    monkeypatch.setattr(server_guard.runtime, "exists", lambda: True)
    monkeypatch.setattr(server_guard.runtime, "get_instance", lambda: FakeRuntime())
    monkeypatch.setattr(streamlit, "__version__", "1.99.0")
    with pytest.raises(RuntimeError, match="do not fit this Streamlit: Streamlit 1.99.0 is not one of"):
        server_guard.install(True)
    server_guard.install(False)  # login off: nothing is replaced, nothing to check
