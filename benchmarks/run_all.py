"""Every benchmark in one run, then each target line (figure, reference, OK/MISSED) together.

Runs benchmarks/excel.py, ingest.py, reading.py, shared_tables.py, portfolio.py, segments.py, clv.py and
views.py one after the other (each prints its figures beside its reference measured in the
same run), keeps their full output in ``--out`` and prints the machine's load average before
and after, and every line that states a target. The targets are those of issues 18 and 19.

Run: ``.venv/bin/python benchmarks/run_all.py [--out benchmark-results.txt] [--only excel,views]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {
    "excel": ["excel.py"],
    "ingest": ["ingest.py"],
    "reading": ["reading.py"],
    "shared": ["shared_tables.py"],
    "portfolio": ["portfolio.py"],
    "segments": ["segments.py"],
    "clv": ["clv.py", "--page-only"],
    "views": ["views.py"],
}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmark-results.txt"))
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(SCRIPTS))
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SCRIPTS)
    targets: list[str] = []
    with args.out.open("w", encoding="utf-8") as out:
        for name in chosen:
            script, *extra = SCRIPTS[name]
            header = f"== {name}: {load()}"
            print(header, flush=True)
            out.write(header + "\n")
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / script), *extra],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            text = "\n".join(
                line for line in done.stdout.splitlines() if "ScriptRunContext" not in line
            )
            out.write(text + "\n" + done.stderr[-2000:] + "\n")
            lines = [line for line in text.splitlines() if "target" in line or "over 1 s" in line]
            targets += [f"{name:10} {line.strip()}" for line in lines]
            print(f"   {time.perf_counter() - start:.0f} s, exit {done.returncode}", flush=True)
    print(f"\nafter: {load()}\n")
    print("\n".join(targets))


if __name__ == "__main__":
    main()
