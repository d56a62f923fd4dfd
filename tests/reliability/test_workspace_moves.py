"""Issue 12, point 2 (and the write errors of point 10): renaming, deleting or resetting a
workspace while other sessions have it open loses nothing, and no write reports success
unless its rows are in the workspace file under the name the user sees."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from kamcore import db
from kamcore.errors import KamError

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(180)


def _rows(n: int, label: str) -> pd.DataFrame:
    return pd.DataFrame({"Kundenr": [f"{label}{i:05d}" for i in range(n)], "Omsetning": [float(i) for i in range(n)]})


def _tables_after_restart(path: Path) -> dict[str, int]:
    """Table name → rows, read by a fresh process (what a restarted server would see)."""
    code = (
        "import sys, json; from kamcore.db import Workspace\n"
        "with Workspace.open(sys.argv[1], create=False) as ws:\n"
        "    print(json.dumps({t.name: len(ws.read_table(t.name)) for t in ws.tables()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    import json

    return json.loads(out.stdout)


def test_rename_while_another_session_has_it_open(tmp_path):
    """Before: B's connection kept writing the renamed file through a second DuckDB instance;
    both imports "succeeded" and A's 3,000-row table was gone after a restart."""
    db.create_workspace(tmp_path, "team")
    b_view = db.Workspace.open(db.workspace_path(tmp_path, "team"))
    assert b_view.tables() == []
    target = db.rename_workspace(tmp_path, "team", "team 2026")
    a_view = db.Workspace.open(target)
    a_view.import_table("ordrer", _rows(3000, "A"), kind="transactions")
    with pytest.raises(KamError) as caught:
        b_view.import_table("ordrer_b", _rows(10, "B"), kind="transactions")
    assert caught.value.code == "workspace.renamed"
    assert str(caught.value) == "The workspace 'team' was renamed to 'team 2026' meanwhile."
    assert not b_view.is_current()
    b_view.close()
    a_view.close()
    assert _tables_after_restart(target) == {"ordrer": 3000}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team 2026.duckdb"]


def test_delete_while_another_session_has_it_open(tmp_path):
    """Before: B's next import "succeeded" into an orphan WAL of the deleted file."""
    db.create_workspace(tmp_path, "borte")
    b_view = db.Workspace.open(db.workspace_path(tmp_path, "borte"))
    b_view.tables()
    db.delete_workspace(tmp_path, "borte")
    with pytest.raises(KamError) as caught:
        b_view.import_table("ordrer", _rows(10, "B"), kind="transactions")
    assert caught.value.code == "workspace.deleted"
    with pytest.raises(KamError):
        b_view.read_table("ordrer")
    b_view.close()
    assert list(tmp_path.iterdir()) == []  # no orphan file or write-ahead log
    with pytest.raises(KamError) as reopened:
        db.Workspace.open(db.workspace_path(tmp_path, "borte"), create=False)
    assert reopened.value.code == "workspace.deleted"


def test_a_file_removed_behind_the_apps_back_fails_the_import(tmp_path):
    """Deleted outside the app (another process, an operator): the commit went to a file
    nobody will see again, so the import must not report success."""
    path = db.create_workspace(tmp_path, "ute")
    view = db.Workspace.open(path)
    path.unlink()
    with pytest.raises(KamError) as caught:
        view.import_table("ordrer", _rows(5, "X"), kind="transactions")
    assert caught.value.code == "workspace.deleted"
    view.close()


def test_reset_replaces_the_file_under_every_open_session(tmp_path):
    """Before: "Reset demo" replaced the file while every session kept the old instance."""
    path = db.create_workspace(tmp_path, "demo")
    with db.Workspace.open(path) as setup:
        setup.import_table("gammel", _rows(3, "G"), kind="accounts")
    viewer = db.Workspace.open(path)
    assert [t.name for t in viewer.tables()] == ["gammel"]

    def build(target: Path) -> None:
        with db.Workspace.open(target) as fresh:
            fresh.import_table("ny", _rows(7, "N"), kind="accounts")

    db.replace_workspace(path, build)
    with pytest.raises(KamError) as caught:
        viewer.tables()
    assert caught.value.code == "workspace.replaced"
    viewer.close()
    with db.Workspace.open(path, create=False) as again:
        again.import_table("etter", _rows(2, "E"), kind="accounts")
    assert _tables_after_restart(path) == {"ny": 7, "etter": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_an_import_in_progress_finishes_before_the_rename(tmp_path):
    """A rename waits for a running import; the import's rows move with the file."""
    path = db.create_workspace(tmp_path, "travel")
    view = db.Workspace.open(path)
    errors: list[BaseException] = []

    def rename() -> None:
        try:
            db.rename_workspace(tmp_path, "travel", "travelt")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    big = _rows(200_000, "S")
    with view._state.lock.shared():  # the import below holds the same shared lock
        mover = threading.Thread(target=rename)
        mover.start()
        mover.join(0.5)
        assert mover.is_alive()  # waiting for the operation to finish
        view.import_table("stor", big, kind="transactions")
    mover.join(60)
    assert errors == []
    view.close()
    assert _tables_after_restart(tmp_path / "travelt.duckdb") == {"stor": 200_000}


def test_two_sessions_import_the_same_name_at_once(tmp_path):
    """Point 10: a concurrent same-name import said only "Something went wrong"."""
    path = db.create_workspace(tmp_path, "samtidig")
    first, second = db.Workspace.open(path), db.Workspace.open(path)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    original = db._storable

    def slow_storable(df):
        barrier.wait(10)  # both transactions are past their "does it exist?" check
        return original(df)

    def run(view, label):
        try:
            view.import_table("ordrer", _rows(1000, label), kind="transactions")
            outcomes.append("ok")
        except KamError as exc:
            outcomes.append(exc.code)

    db._storable = slow_storable
    try:
        threads = [threading.Thread(target=run, args=(v, label)) for v, label in ((first, "A"), (second, "B"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        db._storable = original
    assert sorted(outcomes) == ["ok", "workspace.write_conflict"]
    first.close()
    second.close()
    assert _tables_after_restart(path) == {"ordrer": 1000}


def _mount_tiny_disk(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture
def tiny_disk(tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tiny_disk(disk, "3m"):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_says_so_and_keeps_the_workspace(tiny_disk):
    """Point 10: a full disk said only "Something went wrong"; the data must stay intact."""
    path = db.create_workspace(tiny_disk, "full")
    with db.Workspace.open(path) as ws:
        ws.import_table("liten", _rows(100, "L"), kind="transactions")
    ballast = tiny_disk / "ballast"
    with open(ballast, "wb", buffering=0) as handle:  # fill the disk
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    with db.Workspace.open(path) as ws, pytest.raises(KamError) as caught:
        ws.import_table("stor", _rows(200_000, "S"), kind="transactions")
    assert caught.value.code == "workspace.disk_full"
    assert str(caught.value) == (
        "The server's disk is full, so nothing was saved in 'full'. Ask the administrator to free space."
    )
    ballast.unlink()
    with db.Workspace.open(path) as ws:
        assert [(t.name, t.n_rows) for t in ws.tables()] == [("liten", 100)]
        assert len(ws.read_table("liten")) == 100


def test_a_full_disk_leaves_no_half_written_access_rule(tiny_disk):
    """Point 10: a full disk left a 0-byte ``.access.json.tmp``."""
    from kamcore import access
    from kamcore.access import WorkspaceAccess

    db.create_workspace(tiny_disk, "regler")
    access.write_access(tiny_disk, "regler", WorkspaceAccess(owner="kari", visibility="private"))
    with open(tiny_disk / "ballast", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
        except OSError:
            pass
    with pytest.raises(KamError) as caught:
        access.write_access(tiny_disk, "regler", WorkspaceAccess(owner="kari", visibility="everyone"))
    assert caught.value.code == "access.write_failed"
    assert access.read_access(tiny_disk, "regler") == WorkspaceAccess(owner="kari", visibility="private")
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["ballast", "regler.duckdb", "regler.duckdb.access.json"]
