"""A workspace held by another process gives a clear "busy" sentence, in the app too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kamcore.db import Workspace
from kamcore.errors import KamError
from ui.i18n import translate

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS held (x INTEGER)")
print("held", flush=True)
time.sleep(120)
"""

pytestmark = pytest.mark.timeout(120)


def _hold(path: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def _release(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)


def test_open_elsewhere_is_busy(tmp_path):
    path = tmp_path / "Kunder 2026.duckdb"
    Workspace.open(path).close()
    child = _hold(path)
    try:
        with pytest.raises(KamError) as info:
            Workspace.open(path)
        assert info.value.code == "db.workspace_busy"
        assert info.value.params == {"name": "Kunder 2026"}
        assert str(info.value) == (
            "The workspace 'Kunder 2026' is open in another program. Close it there and try again."
        )
        assert translate("err_db.workspace_busy", "nb", **info.value.params) == (
            "Arbeidsområdet «Kunder 2026» er åpent i et annet program. Lukk det der og prøv igjen."
        )
    finally:
        _release(child)
    with Workspace.open(path) as ws:  # usable again once the other program has let go
        assert ws.tables() == []


def test_app_shows_busy_as_one_sentence(demo_root):
    child = _hold(demo_root / "demo.duckdb")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["lang"] = "sv"
        at.run()
    finally:
        _release(child)
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Arbetsytan ”demo” är öppen i ett annat program. Stäng den där och försök igen."
    ]
