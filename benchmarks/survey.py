"""Benchmark: the survey page on 3,000 respondents × 60 items (30 E/P pairs on 1–7, label-free).

Run: ``.venv/bin/python benchmarks/survey.py [--respondents 3000] [--pairs 30] [--repeats 5] [--labels]``

Prints seconds for
1. kamcore: ``prepare_survey`` on the stored table (scales, dictionary, PCA reverse keys), beside a
   plain-pandas baseline that only converts the columns to floats;
2. the page (Streamlit AppTest through the router, as a browser reload): first render after the
   table is chosen (cold cache: prepare + the default view, the gap chart) — target < 1.5 s;
3. every view switch (descriptives, gaps, knowledge gap, IPA, reliability, loyalty) — target < 1 s each.
Each figure is the minimum over --repeats runs (the machine is shared: the minimum is the page's own cost,
the rest is the queue for a core); the verdict compares wall-clock seconds with the target.
AppTest adds its own overhead (it runs app.py and the sidebar too), so page numbers are upper bounds.
Wall-clock and CPU seconds are both printed: on a shared machine (load average far above the core
count) wall-clock time measures the queue for a core, CPU time what the page itself costs.
The first page run of a process also imports scipy, plotly and pingouin-free kamcore; that one-off
cost is paid on the home page before the survey page is measured, as a running server has paid it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamcore import db  # noqa: E402
from kamcore.survey_prepare import prepare_survey  # noqa: E402

FIRST_RENDER_TARGET = 1.5
SWITCH_TARGET = 1.0
VIEWS = ("descriptives", "customer_gap", "knowledge_gap", "ipa", "reliability", "loyalty")


def make_survey(n: int, pairs: int, seed: int = 20261204) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dims = ["acc", "ava", "ada", "adv", "tan", "rel"]
    trait = rng.normal(0, 1, size=(n, len(dims)))
    data: dict[str, object] = {"Respondent": [f"R{i:05d}" for i in range(n)]}
    for j in range(pairs):
        dim = dims[j % len(dims)]
        base = trait[:, j % len(dims)]
        e = np.clip(np.round(5.5 + 0.8 * base + rng.normal(0, 0.8, n)), 1, 7)
        p = np.clip(np.round(4.8 + 0.9 * base + rng.normal(0, 1.0, n)), 1, 7)
        e[rng.random(n) < 0.02] = np.nan
        data[f"E_{dim}{j // len(dims) + 1}"] = e
        data[f"P_{dim}{j // len(dims) + 1}"] = p
    return pd.DataFrame(data)


NB7 = ("Helt uenig", "Uenig", "Litt uenig", "Verken enig eller uenig", "Litt enig", "Enig", "Helt enig")


def as_labels(table: pd.DataFrame) -> pd.DataFrame:
    """The same answers written as Norwegian 7-point agreement labels (as a Nettskjema export)."""
    out = table.copy()
    for column in out.columns[1:]:
        out[column] = out[column].map(lambda v: NB7[int(v) - 1] if pd.notna(v) else "")
    return out


def timed(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--respondents", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--labels", action="store_true", help="answers as Norwegian agreement labels")
    args = parser.parse_args()
    table = make_survey(args.respondents, args.pairs)
    if args.labels:
        table = as_labels(table)
    kind = "text labels" if args.labels else "numbers"
    print(f"survey: {len(table):,} respondents × {len(table.columns) - 1} items ({kind})")

    kam = timed(lambda: prepare_survey(table), args.repeats)
    codes = {label: k + 1 for k, label in enumerate(NB7)}
    convert = (lambda f: f.apply(lambda c: c.map(codes))) if args.labels else (lambda f: f.astype(float))
    base = timed(lambda: convert(table.drop(columns="Respondent")).describe(), args.repeats)
    print(f"prepare_survey            {kam:6.3f} s   (pandas convert+describe baseline {base:6.3f} s)")

    root = Path(tempfile.mkdtemp()) / "workspaces"
    root.mkdir()
    os.environ["KAMSTUDIO_WORKSPACES"] = str(root)
    db.create_workspace(root, "bench")
    with db.Workspace.open(db.workspace_path(root, "bench")) as ws:
        ws.import_table("answers", table, kind="survey")
        ws.import_table("warmup", table.head(40), kind="survey")
    import streamlit as st

    from tests.app.conftest import APP, RouterAppTest

    def session(table_name: str) -> RouterAppTest:
        at = RouterAppTest(Path(APP), default_timeout=120)
        at.session_state["lang"] = "en"
        at.session_state["workspace_name"] = "bench"
        at.session_state["app.start_page"] = "survey"
        at.session_state["survey.table"] = table_name
        return at

    # Warm the imports on the small survey (a running server has them); the big one is measured cold.
    warm = session("warmup")
    warm.run()
    assert not warm.exception, [e.value for e in warm.exception]

    def run(at: RouterAppTest) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        at.run()
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert at.get("plotly_chart") or at.dataframe, "the view drew nothing"
        return wall, used

    def report(label: str, runs: list[tuple[float, float]], target: float) -> None:
        wall, used = min(w for w, _ in runs), min(c for _, c in runs)
        verdict = "ok" if wall < target else "SLOW"
        print(f"{label:<26}{wall:6.3f} s wall (min of {len(runs)}) {used:6.3f} s CPU   target < {target} s  {verdict}")

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    # First render: a new session opens the survey page on the big table with nothing cached
    # (prepare_survey, the default view — the gap chart — and every figure computed from scratch).
    first = []
    for _ in range(args.repeats):
        st.cache_data.clear()
        at = session("answers")
        first.append(run(at))
    report("first render (gaps)", first, FIRST_RENDER_TARGET)
    # View switches: from another view to this one, in the warm session (prepare_survey cached on content).
    for view in VIEWS:
        runs = []
        for _ in range(args.repeats):
            at.session_state["survey.view.answers"] = "reliability" if view != "reliability" else "descriptives"
            at.run()
            at.session_state["survey.view.answers"] = view
            runs.append(run(at))
        report(f"switch to {view}", runs, SWITCH_TARGET)


if __name__ == "__main__":
    main()
