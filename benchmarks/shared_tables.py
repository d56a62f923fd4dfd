"""Benchmark: the shared work every page pays on a cold start (ui/data.py), at 1,000,000 rows.

Steps, each timed in a fresh process (interleaved, best of ``--repeat``), on the workspace
``benchmarks/views.py`` builds (1M transactions, 50k accounts):

* read: ``Workspace.read_table`` of the mapped columns;
* canonical: ``tables.canonical`` (roles, types, text stripped);
* choices: the sidebar's filter values (``ui.data._compute_choices``);
* derived accounts: ``tables.derive_accounts``;
* status mask: ``tables.accounts_with_status`` (one status per account, active/churned);
* region filter: ``tables.apply_filters`` with one region chosen.

Beside each, where there is one, the plain pandas recipe whose result the step must equal
(reference): canonical = every text column ``astype("string").str.strip()``, numbers through
``to_numeric`` and dates through ``to_datetime``; status mask = every row mapped to its
status text. Both are checked equal before the clock is read.

Run: ``.venv/bin/python benchmarks/shared_tables.py [--repeat 3] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def plain_canonical(df, mapping):
    import pandas as pd

    from kamcore import tables
    from kamcore.schemas import DATE_ROLES, NUMERIC_ROLES

    out = pd.DataFrame(index=df.index)
    for role, column in mapping.roles.items():
        values = df[column]
        if role in NUMERIC_ROLES:
            values = pd.to_numeric(values, errors="coerce").astype("float64")
        elif role in DATE_ROLES:
            values = pd.to_datetime(values, errors="coerce")
        elif role == "status":
            values = tables.normalise_status(values)
        else:
            values = values.astype("string").str.strip()
        out[role] = values
    if "profit" not in out and {"revenue", "cost"} <= set(out.columns):
        out["profit"] = out["revenue"] - out["cost"]
    return out.reset_index(drop=True)


def plain_status_mask(ids, status, chosen):
    from kamcore import tables

    return ids.astype("string").map(status).fillna(tables.UNKNOWN_STATUS).isin(list(chosen)).to_numpy()


def run_steps(folder: Path, reference: bool) -> dict[str, float]:
    import numpy as np
    import pandas as pd

    import ui.data
    from kamcore import tables
    from kamcore.db import Workspace
    from kamcore.demo import DEMO_NAME
    from kamcore.schemas import FilterSettings

    workspace = Workspace.open(folder / f"{DEMO_NAME}.duckdb")
    info = workspace.table_info("transactions")
    out: dict[str, float] = {}

    def step(name, work):
        start = time.perf_counter()
        result = work()
        out[name] = time.perf_counter() - start
        return result

    raw = step("read", lambda: workspace.read_table("transactions", columns=list(info.mapping.roles.values())))
    canonical = plain_canonical if reference else tables.canonical
    frame = step("canonical", lambda: canonical(raw, info.mapping))
    raw = None  # as the app: only the canonical frame is kept
    step("choices", lambda: ui.data._compute_choices(frame))
    step("derived accounts", lambda: tables.derive_accounts(frame))
    ids = frame["customer_id"].drop_duplicates().dropna().to_numpy()
    status = pd.Series(np.where(np.arange(len(ids)) % 7 == 0, "churned", "active"), index=ids, dtype="string")
    mask = plain_status_mask if reference else tables.accounts_with_status
    step("status mask", lambda: mask(frame["customer_id"], status, {"active", "unknown"}))
    step("region filter", lambda: tables.apply_filters(frame, FilterSettings(region=(frame["region"].iloc[0],))))
    workspace.close()
    return out


def check_equal(folder: Path) -> None:
    """The fast steps give exactly the reference's results (else the figures mean nothing)."""
    import numpy as np
    import pandas as pd

    from kamcore import tables
    from kamcore.db import Workspace
    from kamcore.demo import DEMO_NAME

    with Workspace.open(folder / f"{DEMO_NAME}.duckdb") as workspace:
        info = workspace.table_info("transactions")
        raw = workspace.read_table("transactions")
    frame = tables.canonical(raw, info.mapping)
    pd.testing.assert_frame_equal(frame, plain_canonical(raw, info.mapping), check_exact=True)
    known = frame["customer_id"].drop_duplicates().dropna().to_numpy()[100:]  # and 100 unknown ids
    status = pd.Series(np.where(np.arange(len(known)) % 7 == 0, "churned", "active"), index=known, dtype="string")
    for chosen in ({"active", "unknown"}, {"churned"}):
        np.testing.assert_array_equal(tables.accounts_with_status(frame["customer_id"], status, chosen),
                                      plain_status_mask(frame["customer_id"], status, chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the workspace here once and reuse it")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.variant:
        print(json.dumps(run_steps(args.folder, args.variant == "reference")))
        return
    from benchmarks.views import build

    with tempfile.TemporaryDirectory(prefix="kam_shared_") as tmp:
        folder = Path(tmp)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            if not any(args.keep.iterdir()):
                build(args.keep, args.rows, args.accounts)
            folder = args.keep
        else:
            build(folder, args.rows, args.accounts)
        check_equal(folder)
        runs: dict[str, list[dict[str, float]]] = {"app": [], "reference": []}
        for _ in range(args.repeat):
            for variant in runs:
                done = subprocess.run(
                    [sys.executable, __file__, "--variant", variant, "--folder", str(folder)],
                    check=True, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""},
                )  # fmt: skip
                runs[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"load average {'/'.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
        print(f"{'step (fresh process, best of ' + str(args.repeat) + ')':40} {'app':>8} {'plain pandas':>13}")
        total = {"app": 0.0, "reference": 0.0}
        for name in runs["app"][0]:
            best = {variant: min(run[name] for run in found) for variant, found in runs.items()}
            total = {variant: total[variant] + best[variant] for variant in total}
            same = name not in ("canonical", "status mask")
            reference = "(same code)" if same else f"{best['reference']:12.3f}s"
            print(f"{name:40} {best['app']:7.3f}s {reference:>13}")
        print(f"{'all steps':40} {total['app']:7.3f}s {total['reference']:12.3f}s")


if __name__ == "__main__":
    main()
