"""Child process for test_kill_import: imports a large table and reports each SQL statement.

Usage: python import_child.py <workspace> <table> <rows> <pause_after|-> [replace]

Prints ``ready`` before the import starts and ``done:<first two words>`` after every statement
of the import, then ``imported`` once it is committed. With ``pause_after`` set to a prefix
such as ``CREATE TABLE``, it sleeps right after that statement so the parent can kill it there.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from kamcore.db import Workspace  # noqa: E402


def big_frame(n_rows: int) -> pd.DataFrame:
    """A transaction table of ``n_rows`` rows (deterministic)."""
    rng = np.random.default_rng(20261123)
    customers = np.array([f"K{i:05d}" for i in range(5000)], dtype=object)
    products = np.array(["Skruer", "Bolter", "Verktøy"], dtype=object)
    return pd.DataFrame({
        "Kundenr": customers[rng.integers(0, 5000, n_rows)],
        "Fakturadato": pd.date_range("2024-01-01", periods=n_rows, freq="min"),
        "Omsetning": rng.normal(1000.0, 300.0, n_rows).round(2),
        "Produktgruppe": products[rng.integers(0, 3, n_rows)],
    })


class ReportingCursor:
    """Passes everything to a DuckDB cursor and reports each executed statement."""

    def __init__(self, cursor, pause_after: str) -> None:
        self._cursor = cursor
        self._pause_after = pause_after

    def __getattr__(self, name: str):
        return getattr(self._cursor, name)

    def execute(self, sql: str, *args):
        result = self._cursor.execute(sql, *args)
        head = " ".join(sql.split()[:2])
        print(f"done:{head}", flush=True)
        if self._pause_after != "-" and head.startswith(self._pause_after):
            time.sleep(120)
        return result


def main() -> None:
    path, table, n_rows, pause_after = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    replace = len(sys.argv) > 5 and sys.argv[5] == "replace"
    ws = Workspace.open(path)
    frame = big_frame(n_rows)
    plain_cursor = ws._cursor
    ws._cursor = lambda: ReportingCursor(plain_cursor(), pause_after)
    print("ready", flush=True)
    ws.import_table(table, frame, kind="transactions",
                    mapping={"customer_id": "Kundenr", "date": "Fakturadato", "revenue": "Omsetning"},
                    replace=replace)
    print("imported", flush=True)
    time.sleep(120)  # stay alive (holding the file) until the parent kills us


if __name__ == "__main__":
    main()
