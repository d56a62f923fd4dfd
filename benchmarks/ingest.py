"""Benchmark: KAM Studio's CSV ingest against plain pandas and bare DuckDB on 1,000,000 rows.

Generates a Norwegian-format transaction export (``;`` separator, decimal comma, space as
thousands separator, ``dd.mm.yyyy`` dates, UTF-8 with BOM, 10 columns) in a temporary folder
and, each in its own subprocess so peak memory (``ru_maxrss``) is not shared, measures:

(a) ``kamcore.ingest.load_file`` + ``Workspace.import_table`` into a fresh workspace file,
(b) ``pandas.read_csv(sep=";", decimal=",", thousands=" ", parse_dates=..., dayfirst=True)``,
(c) DuckDB's bare ``read_csv`` into a table (its own sniffing, no coercion of ``1 234,50``).

Targets: (a) <= 1.5 x (c), (a) at least 2 x faster than (b), peak memory of (a) < 1.5 GB.

Run: ``.venv/bin/python benchmarks/ingest.py [--rows 1000000]``.
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
COLUMNS = [
    "Kundenr",
    "Kundenavn",
    "Fakturadato",
    "Ordrenr",
    "Produktgruppe",
    "Omsetning",
    "Kostnad",
    "Antall",
    "Region",
    "Selger",
]


def _nok(amounts_ore):
    """Øre as Norwegian text: '-1 234,50' (space thousands, decimal comma)."""
    import numpy as np
    import pandas as pd

    sign = np.where(amounts_ore < 0, "-", "")
    absolute = np.abs(amounts_ore)
    kroner = pd.Series(absolute // 100).map("{:,}".format).str.replace(",", " ", regex=False)
    ore = pd.Series(absolute % 100).astype(str).str.zfill(2)
    return sign + kroner + "," + ore


def generate(path: Path, rows: int, seed: int = 20261123) -> None:
    """Write the benchmark CSV (deterministic for a given seed)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    customers = rng.integers(10_000, 10_400, rows)
    days = pd.to_datetime("2023-11-01") + pd.to_timedelta(rng.integers(0, 1096, rows), unit="D")
    revenue = rng.lognormal(8, 1.2, rows).astype(np.int64) * np.where(rng.random(rows) < 0.03, -1, 1)
    cost = (revenue * rng.uniform(0.4, 0.9, rows)).astype(np.int64)
    frame = pd.DataFrame(
        {
            "Kundenr": customers.astype(str),
            "Kundenavn": "Kunde " + pd.Series(customers).astype(str) + " AS",
            "Fakturadato": days.strftime("%d.%m.%Y"),
            "Ordrenr": (500_000 + np.arange(rows) // 3).astype(str),
            "Produktgruppe": np.array(["Maskiner", "Reservedeler", "Service", "Forbruk", "Verktøy"])[
                rng.integers(0, 5, rows)
            ],
            "Omsetning": _nok(revenue),
            "Kostnad": _nok(cost),
            "Antall": rng.integers(1, 50, rows).astype(str),
            "Region": np.array(["Øst", "Vest", "Nord", "Midt", "Sør"])[rng.integers(0, 5, rows)],
            "Selger": np.array(["Kari", "Ola", "Åse", "Pål", "Siri", "Jørn"])[rng.integers(0, 6, rows)],
        }
    )
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        frame.to_csv(handle, sep=";", index=False, lineterminator="\r\n")


def run_variant(variant: str, csv_path: Path, workdir: Path) -> dict[str, float]:
    """Run one variant in this process; returns seconds and rows."""
    import pandas as pd

    start = time.perf_counter()
    timings = {}
    if variant == "a":
        from kamcore.db import Workspace
        from kamcore.ingest import IngestSettings, guess_mapping, load_file

        result = load_file(csv_path, settings=IngestSettings(max_file_mb=500))
        table = result.tables[0]
        timings["load_file"] = time.perf_counter() - start
        guess = guess_mapping(table.data)
        with Workspace.open(workdir / "bench.duckdb") as workspace:
            workspace.import_table(
                "transactions",
                table.data,
                kind=guess.kind,
                mapping=guess.mapping,
                quality=table.quality.model_dump(),
            )
        rows = table.quality.rows_kept
    elif variant == "b":
        frame = pd.read_csv(
            csv_path,
            sep=";",
            decimal=",",
            thousands=" ",
            encoding="utf-8-sig",
            parse_dates=["Fakturadato"],
            dayfirst=True,
            date_format="%d.%m.%Y",
            dtype={"Kundenr": str, "Ordrenr": str},
        )
        rows = len(frame)
    else:
        import duckdb

        con = duckdb.connect(str(workdir / "bare.duckdb"))
        con.execute(
            "CREATE TABLE t AS SELECT * FROM read_csv(?, delim = ';', decimal_separator = ',', header = true)",
            [str(csv_path)],
        )
        rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        con.close()
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "peak_mb": peak_mb, "rows": rows, **timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--variant", choices=["a", "b", "c"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.rows)
        return
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.csv, args.workdir)))
        return

    with tempfile.TemporaryDirectory(prefix="kam_bench_") as tmp:
        tmpdir = Path(tmp)
        csv_path = tmpdir / "transactions.csv"
        started = time.perf_counter()
        # Generated in a child too: a forked child inherits its parent's peak RSS on Linux,
        # so this process must stay small for the per-variant peaks to mean anything.
        subprocess.run(
            [sys.executable, __file__, "--generate", str(csv_path), "--rows", str(args.rows)],
            check=True,
            cwd=ROOT,
        )
        size_mb = csv_path.stat().st_size / 1024 / 1024
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s")
        results = {}
        labels = {
            "a": "(a) KAM Studio load_file + import_table",
            "b": "(b) pandas.read_csv (same options)",
            "c": "(c) DuckDB bare read_csv into a table",
        }
        for variant in "abc":
            workdir = tmpdir / variant
            workdir.mkdir()
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--variant",
                    variant,
                    "--csv",
                    str(csv_path),
                    "--workdir",
                    str(workdir),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={"PYTHONPATH": str(ROOT), "PATH": ""},
            )
            results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
            r = results[variant]
            print(
                f"{labels[variant]:45} {r['seconds']:7.2f} s   peak {r['peak_mb']:7.0f} MB   rows {r['rows']:,}"
            )
            if "load_file" in r:
                print(f"{'    of which load_file()':45} {r['load_file']:7.2f} s")
        a, b, c = (results[v]["seconds"] for v in "abc")
        peak = results["a"]["peak_mb"]
        print()
        print(f"(a)/(c) = {a / c:.2f}  (target <= 1.5)   {'OK' if a / c <= 1.5 else 'MISSED'}")
        print(f"(b)/(a) = {b / a:.2f}  (target >= 2)     {'OK' if b / a >= 2 else 'MISSED'}")
        print(f"peak (a) = {peak:.0f} MB  (target < 1536) {'OK' if peak < 1536 else 'MISSED'}")


if __name__ == "__main__":
    main()
