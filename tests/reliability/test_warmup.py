"""Load (issue 12): the full garbage collection Streamlit runs after every script run must not
walk the ~200,000 objects of the imported libraries each time (0.3 s with the interpreter lock
held, per run, per session: most of the sign-in wait with 20 sessions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc, json, time
import streamlit, pandas
from ui import warmup
before = len(gc.get_objects())
warmup.start()
warmup.start()  # a second call (every script run calls it) starts nothing new
assert warmup.wait(240)
import threading
workers = [t.name for t in threading.enumerate() if t.name == "kam-warmup"]
print(json.dumps({"before": before, "after": len(gc.get_objects()), "frozen": gc.get_freeze_count(),
                  "failed": warmup.import_all(), "workers": workers,
                  "plotly": "plotly.graph_objects" in __import__("sys").modules,
                  "styler": "pandas.io.formats.style" in __import__("sys").modules}))
"""


def test_warm_up_imports_everything_once_and_takes_it_out_of_full_collections():
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["failed"] == []  # every ui and kamcore module imports outside a script run
    assert found["plotly"]  # the pages' libraries came with them
    assert found["styler"]  # and pandas' Styler, imported by the first table on a page (issue 19)
    assert found["workers"] == []  # one thread, finished
    # Everything imported is frozen (more than Streamlit + pandas alone), and what a full
    # collection still walks is a small rest.
    assert found["frozen"] > found["before"] > 50_000
    assert found["after"] < found["frozen"] / 20
