"""manage.py start announces the port Streamlit really listens on."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage():
    spec = importlib.util.spec_from_file_location("kam_manage", ROOT / "manage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("args", "environ", "port"),
    [
        ([], {}, 8501),
        (["--server.port", "8600"], {}, 8600),
        (["--server.port=8700"], {}, 8700),
        (["--server.headless", "true", "--server.port", "9001", "--theme.base", "dark"], {}, 9001),
        (["--server.port", "8600", "--server.port=8601"], {}, 8601),
        ([], {"STREAMLIT_SERVER_PORT": "8555"}, 8555),
        (["--server.port", "8600"], {"STREAMLIT_SERVER_PORT": "8555"}, 8600),
        (["--server.portable", "1"], {}, 8501),
    ],
)
def test_server_port_is_read_from_the_arguments(args, environ, port):
    assert _manage().server_port(args, environ) == port


def test_start_prints_the_port_it_was_given(monkeypatch, capsys):
    manage = _manage()
    monkeypatch.setattr(manage, "ensure_venv", lambda: None)
    monkeypatch.setattr(manage, "ensure_requirements", lambda name: None)
    monkeypatch.setattr(manage, "ensure_chromium", lambda *args, **kwargs: None)
    called = {}
    monkeypatch.setattr(manage.subprocess, "call", lambda command, cwd: called.setdefault("command", command) and 0)
    manage.start(["--server.port", "8600"])
    out = capsys.readouterr().out
    assert "http://localhost:8600" in out
    assert "8501" not in out
    assert called["command"][-2:] == ["--server.port", "8600"]
