"""The kamcore example in the README runs and prints what the demo data says."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_python_example_runs_on_the_demo_data():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 1
    output = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(blocks[0], "README.md", "exec"), {})  # noqa: S102 - our own README
    finally:
        os.chdir(cwd)
    lines = output.getvalue().splitlines()
    assert lines[0] == "; , 47880"
    assert lines[-1] == "78"
