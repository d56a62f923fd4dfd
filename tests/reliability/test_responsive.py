"""While one session is busy reading an upload, other sessions keep working."""

from __future__ import annotations

import threading

import kamcore.ingest
from tests.app.conftest import new_app


def test_other_sessions_render_while_an_upload_is_being_read(demo_root, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real_load_file = kamcore.ingest.load_file

    def slow_load_file(*args, **kwargs):
        started.set()
        # Stands for a huge or hostile file that takes long to read; released by the test.
        release.wait(timeout=120)
        return real_load_file(*args, **kwargs)

    monkeypatch.setattr(kamcore.ingest, "load_file", slow_load_file)
    outcome: dict[str, object] = {}

    def session_a() -> None:
        at = new_app("data")
        at.file_uploader(key="data.upload").upload("stor.csv", b"Kundenr;Omsetning\n1;10,5\n", "text/csv")
        at.run(timeout=180)
        outcome["a"] = at

    uploader = threading.Thread(target=session_a)
    uploader.start()
    try:
        assert started.wait(timeout=120), "session A never started reading its upload"
        # Session B uses the app normally while A is stuck in the middle of its upload.
        session_b = new_app("portfolio")
        assert not session_b.exception
        # The page really drew its numbers: 72 A accounts among the demo's active accounts
        # (the portfolio's account-status filter starts on "active").
        assert [m.value for m in session_b.metric if m.label == "A accounts"] == ["72"]
        assert uploader.is_alive(), "A should still be reading"
    finally:
        release.set()
        uploader.join(timeout=180)
    session_a_app = outcome["a"]
    assert not session_a_app.exception
    assert [m.value for m in session_a_app.metric if m.label == "Rows read"] == ["1"]
