"""Benchmark: reading a 1,000,000-row workspace table back, beside a bare Arrow fetch.

(a) ``Workspace.read_table`` + ``tables.canonical`` (what the app caches per table version);
(r) the same stored table fetched through DuckDB's Arrow interface into pandas with the same
    column types, nothing else (no row order, no names, no roles).
Each run in its own subprocess (peak memory VmHWM is its own; the baseline of a
Python process with the libraries imported is printed too), interleaved, best of ``--repeat``.

Targets (issue 19): (a)/(r) <= 2; peak of (a) < 800 MB.

Run: ``.venv/bin/python benchmarks/reading.py [--rows 1000000] [--repeat 3] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike ``ru_maxrss``, which a
    child started by ``subprocess`` inherits from the parent's size at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_variant(variant: str, folder: Path) -> dict[str, float]:
    from kamcore import tables
    from kamcore.db import Workspace, quote_ident
    from kamcore.demo import DEMO_NAME

    workspace = Workspace.open(folder / f"{DEMO_NAME}.duckdb")
    info = workspace.table_info("transactions")
    before = peak_mb()
    start = time.perf_counter()
    if variant == "a":
        frame = tables.canonical(workspace.read_table("transactions"), info.mapping)
    elif variant == "r":
        cur = workspace._cursor()
        storage = cur.execute("SELECT storage FROM _kam_tables WHERE name = 'transactions'").fetchall()[0][0]
        frame = cur.sql(f"SELECT * FROM {quote_ident(storage)}").to_arrow_table().to_pandas()  # noqa: S608 (quoted identifier)
    else:
        frame = None
    seconds = time.perf_counter() - start
    rows = 0 if frame is None else len(frame)
    peak = peak_mb()
    workspace.close()
    return {"seconds": seconds, "peak_mb": peak, "before_mb": before, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the workspace here once and reuse it")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.folder)))
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.views import build

    with tempfile.TemporaryDirectory(prefix="kam_read_") as tmp:
        folder = Path(tmp)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            if not any(args.keep.iterdir()):
                build(args.keep, args.rows, args.accounts)
            folder = args.keep
        else:
            build(folder, args.rows, args.accounts)
        runs: dict[str, list[dict[str, float]]] = {"a": [], "r": [], "0": []}
        for _ in range(args.repeat):
            for variant in runs:
                out = subprocess.run(
                    [sys.executable, __file__, "--variant", variant, "--folder", str(folder)],
                    check=True, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""},
                )  # fmt: skip
                runs[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = {v: min(r["seconds"] for r in rs) for v, rs in runs.items()}
        peak = {v: max(r["peak_mb"] for r in rs) for v, rs in runs.items()}
        print(f"{runs['a'][0]['rows']:,} rows")
        print(f"(a) read_table + canonical      {best['a']:6.2f} s   peak {peak['a']:5.0f} MB")
        print(f"(r) Arrow fetch, same types     {best['r']:6.2f} s   peak {peak['r']:5.0f} MB")
        print(f"    process with libraries only            peak {peak['0']:5.0f} MB")
        ratio = best["a"] / best["r"]
        print(f"(a)/(r) = {ratio:.2f} (target <= 2) {'OK' if ratio <= 2 else 'MISSED'}")
        print(f"peak (a) = {peak['a']:.0f} MB (target < 800) {'OK' if peak['a'] < 800 else 'MISSED'}")


if __name__ == "__main__":
    main()
