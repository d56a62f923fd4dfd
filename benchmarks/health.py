"""Benchmark: the health computation behind the Account and Plans pages at 1M lines / 50k accounts.

Times, in one run and interleaved (min of ``--repeat`` runs each), the functions the pages call
on a cold render against the same functions as they were before issue 19's second round (kept
in ``tests/core/test_health_speed.py`` as the frozen reference the new ones must equal exactly)
and, for the sales measures, the plain pandas definitions (``money_measures`` + ``buying_measures``):

* ``sales_measures``: money and buying measures of every account (one pass over the lines);
* ``score``: health from those measures with team scores, P(alive) and expected value of 20k
  accounts and the demo's key-area survey;
* ``monthly_revenue``: Plans' 12-month sparklines;
* ``survey_measures``: the survey's gaps and NPS per account (the demo survey).

Every result is checked equal to the frozen one before it is timed. The new functions take the
customer column's codes from ``kamcore.portfolio.customer_codes`` (remembered per column, shared with
every other analysis of it): that memory is emptied before every timed run, so each run pays for
the codes as a cold render does ("codes shared": as on the Account page, where other analyses of the
column made them first); "Plans, cold" runs the four in a row as the Plans page does
(the sparklines then find the codes the sales measures made).

Run: ``.venv/bin/python benchmarks/health.py [--rows 1000000] [--accounts 50000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kamcore import health, portfolio, survey_ingest  # noqa: E402
from tests.core import test_health_speed as frozen  # noqa: E402
from tests.core.demo_files import DEMO_DIR, read_norwegian  # noqa: E402


def lines(rows: int, n_accounts: int) -> pd.DataFrame:
    """Canonical sales lines as benchmarks/views.py makes them (Pareto-sized accounts, 2 % credit notes)."""
    rng = np.random.default_rng(20261123)
    weights = rng.pareto(1.2, n_accounts) + 0.01
    account = rng.choice(n_accounts, size=rows, p=weights / weights.sum())
    account[:n_accounts] = rng.permutation(n_accounts)
    ids = pd.Series([f"{100000 + i}" for i in range(n_accounts)], dtype="str")
    revenue = rng.lognormal(7, 1, rows)
    revenue[rng.random(rows) < 0.02] *= -1
    return pd.DataFrame({
        "customer_id": ids.take(account).reset_index(drop=True),
        "date": pd.Timestamp("2023-11-01") + pd.to_timedelta(rng.integers(0, 1096, rows), unit="D"),
        "revenue": revenue,
        "profit": revenue - revenue * rng.uniform(0.5, 0.95, rows),
    })


def team(ids: pd.Index, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    picked = rng.choice(np.asarray(ids, dtype=object), size=min(20_000, len(ids)), replace=False)
    n = len(picked)
    return pd.DataFrame({"customer_id": pd.Series(picked, dtype="str"),
                         "relationship_strength": rng.integers(1, 6, n).astype(float),
                         "p_alive": rng.random(n), "expected_revenue_12m": rng.lognormal(8, 1, n)})


def demo_survey() -> health.SurveyInput:
    raw = read_norwegian(DEMO_DIR / "survey_keyareas.csv")
    attrs = survey_ingest.respondent_attributes(raw)
    dictionary = survey_ingest.ItemDictionary.from_frame(
        survey_ingest.guess_item_dictionary(survey_ingest.survey_items(raw, attrs), {}))
    return health.survey_input(raw, dictionary)


def plain_measures(txn: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The readable pandas definitions (what sales_measures computes, on a frame already clean)."""
    table = health.money_measures(txn, as_of).join(health.buying_measures(txn, as_of))
    table["margin_portfolio"] = float(table["margin"].dropna().median())
    return table


def cold() -> None:
    """Forget the remembered customer codes (what a new column, or a cleared cache, starts from)."""
    portfolio._FACTORIZED.clear()


def best(fn, repeat: int, *, forget: bool = True) -> tuple[float, float]:
    """The shortest wall time and the shortest CPU time of this process over ``repeat`` runs
    (``forget``: the remembered customer codes forgotten before each)."""
    wall, cpu = [], []
    for _ in range(repeat):
        if forget:
            cold()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def plans(module, txn, accounts, survey, old: bool = False) -> None:
    """What a cold Plans render asks of kamcore.health: the measures, the survey's, the score, the sparklines."""
    prefix = "_old_" if old else ""
    sales = getattr(module, prefix + "sales_measures")(txn)
    table = getattr(module, prefix + "survey_measures")(survey)
    getattr(module, prefix + "score")(sales, accounts=accounts, survey=survey, survey_table=table)
    getattr(module, prefix + "monthly_revenue")(txn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    txn = lines(args.rows, args.accounts)
    survey = demo_survey()
    sales = health.sales_measures(txn)
    accounts = team(sales.table.index)
    survey_table = health.survey_measures(survey)

    # the same results first (exactly), then the clock
    old_sales = frozen._old_sales_measures(txn)
    pd.testing.assert_frame_equal(sales.table, old_sales.table, check_exact=True)
    pd.testing.assert_frame_equal(health.score(sales, accounts=accounts, survey=survey, survey_table=survey_table),
                                  frozen._old_score(sales, accounts=accounts, survey=survey, survey_table=survey_table),
                                  check_exact=True)
    pd.testing.assert_series_equal(health.monthly_revenue(txn), frozen._old_monthly_revenue(txn), check_exact=True)
    pd.testing.assert_frame_equal(survey_table, frozen._old_survey_measures(survey), check_exact=True)

    cases = [
        ("sales_measures", lambda: health.sales_measures(txn), lambda: frozen._old_sales_measures(txn),
         ("plain pandas definitions", lambda: plain_measures(txn, sales.as_of))),
        ("sales_measures, codes shared", lambda: health.sales_measures(txn), lambda: frozen._old_sales_measures(txn),
         None),
        ("score", lambda: health.score(sales, accounts=accounts, survey=survey, survey_table=survey_table),
         lambda: frozen._old_score(sales, accounts=accounts, survey=survey, survey_table=survey_table), None),
        ("monthly_revenue", lambda: health.monthly_revenue(txn), lambda: frozen._old_monthly_revenue(txn), None),
        ("survey_measures", lambda: health.survey_measures(survey), lambda: frozen._old_survey_measures(survey), None),
        ("Plans, cold", lambda: plans(health, txn, accounts, survey),
         lambda: plans(frozen, txn, accounts, survey, old=True), None),
    ]
    print(f"{args.rows:,} lines, {len(sales.table):,} accounts; min of {args.repeat} runs, interleaved")
    print(f"load average {'/'.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'function':28} {'now':>8} {'before':>8} {'speed-up':>9}   {'cpu now':>8} {'before':>8}   reference "
          "(wall time; CPU seconds of this process beside it: on a busy machine wall time overstates)")
    for name, new, old, reference in cases:
        new_s, old_s = [], []
        shared = "codes shared" in name  # another analysis of the column has made its codes already
        if shared:
            portfolio.customer_codes(txn["customer_id"])
        for _ in range(args.repeat):  # interleaved, so load affects both alike
            new_s.append(best(new, 1, forget=not shared))
            old_s.append(best(old, 1, forget=not shared))
        new_t, old_t = min(s[0] for s in new_s), min(s[0] for s in old_s)
        new_c, old_c = min(s[1] for s in new_s), min(s[1] for s in old_s)
        extra = ""
        if reference is not None:
            ref_wall, ref_cpu = best(reference[1], max(1, args.repeat // 2))
            extra = f"{reference[0]} {ref_wall:.3f} s (cpu {ref_cpu:.3f} s)"
        print(f"{name:28} {new_t:7.3f}s {old_t:7.3f}s {old_t / new_t:8.1f}x   {new_c:7.3f}s {old_c:7.3f}s   {extra}")
    print(f"load average {'/'.join(f'{v:.1f}' for v in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()
