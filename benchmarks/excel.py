"""Benchmark: reading a 100,000-row x 11-column .xlsx (shared strings, as Excel writes it).

Variants, each run in its own subprocess (so peak memory is its own), interleaved, best of
``--repeat`` (default 3; the old reader once, it takes many seconds):

(a) KAM Studio ``load_file`` now: pre-parse checks (zip directory, entity probe, streamed
    cell/grid/shared-string count), fastexcel columns, cell text, typing, quality report.
(o) KAM Studio ``load_file`` before this change (openpyxl, cell by cell), run from the
    commit ``BASELINE`` checked out of git into a temporary folder.
(f) fastexcel ``read_excel(...).load_sheet(0).to_arrow()`` (calamine, Arrow) — no checks,
    no typing rules, nothing reported. The reference of the targets.
(e) fastexcel ``load_sheet(0, eager=True)`` (straight into Arrow, ~10 % less work than (f)):
    how (a) reads the cells, shown beside (f) for what (a) adds.
(c) python-calamine ``get_sheet_by_index(0).to_python()`` (Python lists of cell values).
(x) openpyxl read-only iteration over every row (``values_only``), with ``--openpyxl``.

Targets (issue 19): (o)/(a) >= 10; (a)/(f) <= 2.

Run: ``.venv/bin/python benchmarks/excel.py [--rows 100000] [--repeat 3] [--openpyxl]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The last commit with the openpyxl reader.
BASELINE = "3cb5829"


def run_variant(variant: str, path: Path) -> dict[str, float]:
    if variant in ("a", "o"):
        from kamcore.ingest import load_file
    elif variant in ("f", "e"):
        import fastexcel
    elif variant == "c":
        import python_calamine
    else:
        import openpyxl
    data = path.read_bytes()
    start, cpu = time.perf_counter(), time.process_time()
    if variant in ("a", "o"):
        rows = load_file(data, filename="salg.xlsx").tables[0].quality.rows_kept
    elif variant == "f":
        rows = fastexcel.read_excel(data).load_sheet(0).to_arrow().num_rows
    elif variant == "e":
        rows = fastexcel.read_excel(data).load_sheet(0, eager=True).num_rows
    elif variant == "c":
        import io

        rows = len(python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()) - 1
    else:
        import io

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu  # every thread's CPU time: far less load-dependent
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu": cpu_seconds, "peak_mb": peak_mb, "rows": rows}


def _child(variant: str, path: Path, pythonpath: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--variant", variant, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=pythonpath,
        env={"PYTHONPATH": str(pythonpath), "PATH": ""},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--openpyxl", action="store_true", help="also time openpyxl's iteration")
    parser.add_argument("--no-baseline", action="store_true", help="skip the old reader")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.file)))
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.excel_workbook import write

    with tempfile.TemporaryDirectory(prefix="kam_bench_") as tmp:
        tmpdir = Path(tmp)
        path = write(tmpdir / "salg.xlsx", args.rows)
        print(f"generated {args.rows:,} rows x 11 columns ({path.stat().st_size / 1e6:.1f} MB)")
        print("load average at the start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        old = tmpdir / "old"
        if not args.no_baseline:
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", BASELINE, "kamcore"], check=True, capture_output=True
            ).stdout
            import io

            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(old, filter="data")
        labels = {
            "a": "(a) KAM Studio load_file (now)",
            "o": f"(o) KAM Studio load_file ({BASELINE}, openpyxl)",
            "f": "(f) fastexcel -> Arrow",
            "e": "(e) fastexcel -> Arrow, eager",
            "c": "(c) python-calamine -> lists",
            "x": "(x) openpyxl read-only iteration",
        }
        variants = ["a", "f", "e", "c"] + (["x"] if args.openpyxl else [])
        runs: dict[str, list[dict[str, float]]] = {v: [] for v in variants + ["o"]}
        for repeat in range(args.repeat):
            for variant in variants:
                runs[variant].append(_child(variant, path, ROOT))
            if repeat == 0 and not args.no_baseline:
                runs["o"].append(_child("o", path, old))
        best = {v: min(r["seconds"] for r in rs) for v, rs in runs.items() if rs}
        cpu = {v: min(r["cpu"] for r in rs) for v, rs in runs.items() if rs}
        for variant in ["a", "o", *variants[1:]]:
            if variant not in best:
                continue
            peak = max(r["peak_mb"] for r in runs[variant])
            print(
                f"{labels[variant]:48} {best[variant]:7.2f}s  cpu {cpu[variant]:6.2f}s  peak {peak:5.0f} MB"
                f"  rows {runs[variant][0]['rows']:,}"
            )
        print()
        if "o" in best:
            speedup = best["o"] / best["a"]
            print(f"(o)/(a) = {speedup:.1f}x faster than before   (target >= 10)  {'OK' if speedup >= 10 else 'MISSED'}")
        ratio = best["a"] / best["f"]
        print(f"(a)/(f) = {ratio:.2f}   (target <= 2)   {'OK' if ratio <= 2 else 'MISSED'}")
        print(f"(a)/(e) = {best['a'] / best['e']:.2f}   (what the checks, typing and report add to the eager read)")
        print(f"(a)/(c) = {best['a'] / best['c']:.2f}")
        # CPU seconds of all threads: on a loaded machine the wall-clock ratios wander, these less
        # so (they miss what threads win on an idle one: the scan counts beside decompression).
        print(f"cpu (a)/(f) = {cpu['a'] / cpu['f']:.2f}" + (f"   cpu (o)/(a) = {cpu['o'] / cpu['a']:.1f}x" if "o" in cpu else ""))
        print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
