"""``kill -9`` during an import leaves the table fully present or fully absent.

A child process imports a large table into a workspace and is killed with SIGKILL at chosen
statements of the import transaction and at (seeded) random moments; the parent then reopens
the workspace and checks the catalogue, the stored rows and the table imported before.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from kamcore.db import Workspace

CHILD = Path(__file__).with_name("import_child.py")
N_ROWS = 400_000
EARLIER = pd.DataFrame({"Kundenr": ["001", "002", "003"], "Omsetning": [10.5, -2.0, 7.25]})

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"),
]


def _prepared_workspace(path: Path) -> None:
    with Workspace.open(path) as ws:
        ws.import_table("earlier", EARLIER, kind="accounts", mapping={"customer_id": "Kundenr"})


def _run_and_kill(path: Path, *, stop_at: str | None, delay: float = 0.0, replace: bool = False,
                  table: str = "big") -> list[str]:
    """Start the child, wait for ``stop_at`` (a line prefix) or ``delay`` after ``ready``, kill -9."""
    pause = stop_at.removeprefix("done:") if stop_at and stop_at.startswith("done:") else "-"
    args = [sys.executable, str(CHILD), str(path), table, str(N_ROWS), pause]
    if replace:
        args.append("replace")
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        for line in child.stdout:
            seen.append(line.strip())
            if stop_at is not None and line.startswith(stop_at):
                break
            if stop_at is None and line.startswith("ready"):
                time.sleep(delay)
                break
            assert time.monotonic() < deadline, "child too slow"
        else:
            pytest.fail(f"child ended early: {child.stderr.read()[-2000:]}")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # Whatever the child printed before it died: how far the import had got.
    seen.extend(line.strip() for line in child.stdout.read().splitlines())
    return seen


def _check_all_or_nothing(path: Path, *, table: str = "big") -> bool:
    """Reopen after the kill; returns whether the import is present (asserting it is whole)."""
    with Workspace.open(path) as ws:
        earlier = ws.read_table("earlier") if table != "earlier" else None
        names = [info.name for info in ws.tables()]
        storage = ws._con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'data\\_%' ESCAPE '\\'"
        ).fetchone()[0]
        present = ws.has_table(table)
        if present:
            info = ws.table_info(table)
            frame = ws.read_table(table)
            assert info.n_rows == N_ROWS
            assert len(frame) == N_ROWS
            assert list(frame.columns) == ["Kundenr", "Fakturadato", "Omsetning", "Produktgruppe"]
            assert info.mapping.roles == {"customer_id": "Kundenr", "date": "Fakturadato", "revenue": "Omsetning"}
        if table != "earlier":
            pd.testing.assert_frame_equal(earlier, EARLIER)
            assert names == (["earlier", table] if present else ["earlier"])
        # No storage table without a catalogue entry (nothing half-imported left behind).
        assert storage == len(names)
    return present


@pytest.mark.parametrize(("stop_at", "expected"), [
    ("ready", False),                # killed before the transaction starts
    ("done:CREATE TABLE", False),    # right after the rows were written, before the catalogue
    ("done:INSERT INTO", False),     # catalogue entry written, COMMIT not yet run
    ("done:COMMIT", True),           # committed: must survive the kill
])
def test_kill_at_each_step(tmp_path, stop_at, expected):
    path = tmp_path / "w.duckdb"
    _prepared_workspace(path)
    seen = _run_and_kill(path, stop_at=stop_at)
    assert seen[-1].startswith(stop_at)
    assert not any(line == "imported" for line in seen)
    assert _check_all_or_nothing(path) is expected


def _import_seconds(path: Path) -> float:
    """How long the child takes from "ready" to "imported" (a full import, then killed)."""
    child = subprocess.Popen([sys.executable, str(CHILD), str(path), "big", str(N_ROWS), "-"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    started = None
    try:
        for line in child.stdout:
            if line.startswith("ready"):
                started = time.monotonic()
            if line.startswith("imported"):
                return time.monotonic() - started
        pytest.fail("calibration import did not finish")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)


def test_kill_at_random_moments(tmp_path):
    """Seeded random moments spread over the import; each outcome is whole either way."""
    rng = random.Random(20261123)
    calibration = tmp_path / "calibration.duckdb"
    _prepared_workspace(calibration)
    full = _import_seconds(calibration)
    outcomes = []
    for trial in range(4):
        path = tmp_path / f"w{trial}.duckdb"
        _prepared_workspace(path)
        seen = _run_and_kill(path, stop_at=None, delay=rng.uniform(0.1, 1.0) * full)
        present = _check_all_or_nothing(path)
        # Consistent with how far the child got: a reported COMMIT must have survived, and
        # the table cannot exist unless its catalogue row was written.
        if "done:COMMIT" in seen:
            assert present
        if present:
            assert "done:INSERT INTO" in seen
        outcomes.append((seen[-1], present))
    print("random kills (last statement reported, table present):", outcomes)


def test_kill_while_replacing_keeps_the_old_version(tmp_path):
    """Killed after dropping the old table inside the transaction: the old version is back."""
    path = tmp_path / "w.duckdb"
    _prepared_workspace(path)
    _run_and_kill(path, stop_at="done:DROP TABLE", replace=True, table="earlier")
    with Workspace.open(path) as ws:
        assert [info.name for info in ws.tables()] == ["earlier"]
        pd.testing.assert_frame_equal(ws.read_table("earlier"), EARLIER)
        assert ws.table_info("earlier").n_rows == 3
