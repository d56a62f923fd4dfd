"""Benchmark: BG/NBD + Gamma-Gamma (kamcore.clv) on 1,000,000 transactions / 50,000 accounts,
beside a reference fit, then the Portfolio page's "Future value" view on big workspaces.

1. kamcore.clv on the generated data of benchmarks/portfolio.py: summary, both fits,
   predictions, the hold-out check. Target: 50,000 accounts fit in seconds.
2. The reference: the textbook implementation (per-customer likelihood with ``betaln``, no
   grouping, no gradient, Nelder-Mead on log-parameters, as the ``lifetimes`` package does),
   against kamcore's fit on the same 10,000 accounts; both must reach the same maximum.
3. The full CDNOW file (23,570 customers) through kamcore.clv.
4. The Portfolio page (AppTest, server side) on a 1M-row workspace and on the CDNOW
   workspace: the page starts the fit in the background once drawn; opening the Future value
   view at once (waits for that fit, its step shown) and after it finished (no wait), then
   each change of sub-view, P(alive) limit and A/B threshold (target < 1 s: the fit is shared
   and cached per data key and filters; the per-account tables once per fit and ABC ranking).
   What a server does once before its first session (module imports, the component scan
   AppTest repeats per instance) is timed apart first and not counted; a new session's first
   render (target < 1.5 s) then counts reading the workspace with nothing cached. Beside the
   figures, in the same run: a rerun without any change (the floor of every view change) and
   the load average (the machine is shared: compare with the reference, not across runs).

Run: ``.venv/bin/python benchmarks/clv.py`` (add ``--no-page`` to skip part 4, ``--page-only``
to run only part 4).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from portfolio import make_transactions  # noqa: E402

from kamcore import clv  # noqa: E402

CDNOW = ROOT / "tests" / "fixtures" / "real" / "cdnow_master.txt"


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"  {label:<46} {time.perf_counter() - start:8.3f} s")
    return result


def reference_fit(summary: pd.DataFrame) -> tuple[dict[str, float], float]:
    """The textbook BG/NBD fit: every customer's likelihood with betaln, Nelder-Mead."""
    x = summary["frequency"].to_numpy(float)
    t_x = summary["recency"].to_numpy(float)
    T = summary["T"].to_numpy(float)

    def negative_ll(theta: np.ndarray) -> float:
        r, alpha, a, b = np.exp(theta)
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = special.betaln(a, b + x) - special.betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(
                x > 0,
                special.betaln(a + 1, np.maximum(b + x - 1, 1e-12))
                - special.betaln(a, b)
                - (r + x) * np.log(alpha + t_x),
                -np.inf,
            )
        return -float(np.sum(a1 + np.logaddexp(a2 + a3, a4)))

    result = optimize.minimize(
        negative_ll,
        np.zeros(4),
        method="Nelder-Mead",
        options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-8},
    )
    return dict(zip(("r", "alpha", "a", "b"), np.exp(result.x), strict=True)), -result.fun


def read_cdnow() -> pd.DataFrame:
    frame = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "quantity", "revenue"],
        dtype={"customer_id": str, "date": str},
    )
    return frame.assign(date=pd.to_datetime(frame["date"], format="%Y%m%d"))


def core() -> None:
    table = make_transactions()
    print(f"1. kamcore.clv on {len(table):,} transactions, {table['customer_id'].nunique():,} accounts")
    summary = timed(
        "summary (purchase days -> x, t_x, T, m)",
        lambda: clv.summary(table, "customer_id", "date", "revenue"),
    )
    bg = timed("fit_bgnbd", lambda: clv.fit_bgnbd(summary))
    timed("fit_gamma_gamma", lambda: clv.fit_gamma_gamma(summary))
    timed(
        "p_alive + expected purchases (52 weeks)",
        lambda: (bg.p_alive(summary), bg.expected_purchases(summary, 52)),
    )
    timed("future_value (all of the above per account)", lambda: clv.future_value(table))
    timed(
        "future_value + hold-out check (what the page fits)",
        lambda: clv.future_value(table, with_check=True, check_groups=8),
    )
    timed(
        "holdout_check (refit on all but the last year)",
        lambda: clv.holdout_check(table, "customer_id", "date", "revenue", groups=8),
    )

    print("2. the same fit beside the textbook reference, on 10,000 of those accounts")
    sample = summary.iloc[:: max(1, len(summary) // 10_000)].head(10_000).reset_index(drop=True)
    ours = timed("kamcore fit_bgnbd (grouped, gradient, L-BFGS-B)", lambda: clv.fit_bgnbd(sample))
    ref_params, ref_ll = timed("reference (betaln per row, Nelder-Mead)", lambda: reference_fit(sample))
    print(
        f"  log-likelihood kamcore {ours.log_likelihood:.4f}, reference {ref_ll:.4f} "
        f"(kamcore ≥ reference: {ours.log_likelihood >= ref_ll - 1e-6})"
    )
    print("  params kamcore   " + ", ".join(f"{k}={v:.5g}" for k, v in ours.params.items()))
    print("  params reference " + ", ".join(f"{k}={v:.5g}" for k, v in ref_params.items()))

    cdnow = read_cdnow()
    print(f"3. full CDNOW file: {len(cdnow):,} rows, {cdnow['customer_id'].nunique():,} customers")
    fv = timed("future_value", lambda: clv.future_value(cdnow))
    check = timed(
        "holdout_check (weeks 40-78 after 1997-09-30)",
        lambda: clv.holdout_check(
            cdnow, "customer_id", "date", "revenue", calibration_end="1997-09-30", holdout_end="1998-06-30"
        ),
    )
    print(
        "  BG/NBD on 23,570: "
        + ", ".join(f"{k}={v:.3f}" for k, v in fv.bgnbd.params.items())
        + f"; hold-out forecast {check.total_predicted:,.0f} vs actual {check.total_actual:,.0f}"
    )


def _workspace(folder: str, frame: pd.DataFrame) -> None:
    """A workspace in ``folder`` holding ``frame`` as its transactions, opened by the app."""
    from kamcore import db
    from kamcore.demo import DEMO_NAME

    ws = db.Workspace.open(db.workspace_path(Path(folder), DEMO_NAME))
    roles = {c: c for c in ("customer_id", "date", "revenue", "profit") if c in frame.columns}
    ws.import_table("transactions", frame, kind="transactions", mapping=roles)
    ws.close()
    os.environ["KAMSTUDIO_WORKSPACES"] = folder
    from ui import state

    state.settings.cache_clear()


def _join_background() -> float:
    """Seconds until a background future-value fit (started by the Pareto view) has finished."""
    import threading

    start = time.perf_counter()
    for thread in threading.enumerate():
        if thread.name == "kam-future-value":
            thread.join()
    return time.perf_counter() - start


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


#: One Streamlit component registry for every AppTest of this run. Each new AppTest scans the
#: installed packages' metadata for components (0.4 s, 2 s with a cold disk cache): a cost of
#: the test harness, paid by a server once at start-up, not per session. Shared, so the
#: figures below are the page's own (its scan is timed once in warm_up()).
_COMPONENTS: dict[str, object] = {}


def _app(page_name: str):
    from tests.app.conftest import RouterAppTest

    at = RouterAppTest(ROOT / "app.py", default_timeout=300)
    if "manager" in _COMPONENTS:
        at._bidi_component_manager = _COMPONENTS["manager"]
    at.session_state["app.start_page"] = page_name
    return at


def warm_up() -> None:
    """What a server does once, before its first session: import the modules (Streamlit, the
    pages, Plotly and its template, pandas' Styler), scan the components. Timed apart and not
    counted below: a render of the Portfolio page and each future-value sub-view on a small
    workspace (20,000 rows), then every cache is cleared."""
    import logging

    import streamlit as st

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as folder:
        _workspace(folder, make_transactions(20_000, 1_000))
        start = time.perf_counter()
        from streamlit.components.v2.component_manager import BidiComponentManager

        manager = BidiComponentManager()
        manager.discover_and_register_components(start_file_watching=False)
        _COMPONENTS["manager"] = manager
        scan = time.perf_counter() - start
        start = time.perf_counter()
        at = _app("portfolio")
        at.run()
        at.segmented_control(key="portfolio.view").set_value("future").run()
        for show in ("accounts", "check", "drifting"):
            at.segmented_control(key="portfolio.clv_show").set_value(show).run()
        assert not at.exception, [e.value for e in at.exception]
        imports = time.perf_counter() - start
        _join_background()
    st.cache_data.clear()
    st.cache_resource.clear()
    print(f"   not counted below: component scan {scan:.2f} s (test harness: per AppTest, shared here),")
    print(f"   first request's imports + a 20,000-row warm-up of the page and its sub-views {imports:.2f} s")


def page(name: str, frame: pd.DataFrame) -> None:
    """Portfolio page timings (AppTest) on a workspace holding ``frame`` as its transactions."""
    import streamlit as st

    with tempfile.TemporaryDirectory() as folder:
        _workspace(folder, frame)
        print(f"4. Portfolio page on {name} ({len(frame):,} rows; AppTest, server side; {_load()})")
        rows: list[tuple[str, float, str]] = []

        def record(label: str, seconds: float, target: str = "") -> None:
            rows.append((label, seconds, target))
            limit = {"< 1.5 s": 1.5, "< 1 s": 1.0}.get(target)
            flag = "" if limit is None else ("  ok" if seconds < limit else "  MISSED")
            print(f"  {label:<50} {seconds:8.3f} s  {target:<8}{flag}", flush=True)

        def step(at, label: str, action, target: str = "< 1 s") -> None:
            start = time.perf_counter()
            action()
            record(label, time.perf_counter() - start, target)
            assert not at.exception, [e.value for e in at.exception]
            assert not at.error, [e.value for e in at.error]

        # (i) the user opens Future value the moment the page is drawn: waits for the fit
        # that the page started in the background, with its step shown (st.status)
        st.cache_data.clear()
        st.cache_resource.clear()
        at = _app("portfolio")
        step(at, "open the page, nothing cached (Pareto; starts fit)", at.run, "< 1.5 s")
        step(
            at,
            "Future value at once (waits for the fit, step shown)",
            lambda: at.segmented_control(key="portfolio.view").set_value("future").run(),
            "(waits)",
        )
        # (ii) as usually: the Pareto view is looked at while the models fit in the background
        _join_background()
        st.cache_data.clear()
        st.cache_resource.clear()
        at = _app("portfolio")
        step(at, "open the page again, nothing cached", at.run, "< 1.5 s")
        record("  (the fit, in the background, took)", _join_background(), "")
        step(at, "reference: the Pareto view again, nothing changed", at.run, "(ref.)")

        def view(key: str):
            return at.segmented_control(key=key)

        step(
            at,
            "Future value view, after the background fit",
            lambda: view("portfolio.view").set_value("future").run(),
        )
        step(at, "reference: Future value again, nothing changed", at.run, "(ref.)")
        step(at, "sub-view: all accounts", lambda: view("portfolio.clv_show").set_value("accounts").run())
        step(at, "sub-view: model check", lambda: view("portfolio.clv_show").set_value("check").run())
        step(at, "sub-view: drifting away", lambda: view("portfolio.clv_show").set_value("drifting").run())
        step(at, "P(alive) limit 80 %", lambda: at.slider(key="portfolio.clv_below").set_value(80).run())
        step(at, "A threshold 70 % (new classes joined, no refit)",
             lambda: at.slider(key="portfolio.a_threshold").set_value(70).run())  # fmt: skip
        step(
            at,
            "A threshold back to 80 % (ranking cached)",
            lambda: at.slider(key="portfolio.a_threshold").set_value(80).run(),
        )
        step(
            at,
            "B threshold 90 % (new classes joined)",
            lambda: at.slider(key="portfolio.b_threshold").set_value(90).run(),
        )
        step(at, "back to the Pareto view", lambda: view("portfolio.view").set_value("pareto").run())
        step(at, "Future value view again (cached)", lambda: view("portfolio.view").set_value("future").run())
        changes = [s for label, s, target in rows if target == "< 1 s"]
        references = [s for label, s, target in rows if target == "(ref.)"]
        print(
            f"  slowest view change {max(changes):.3f} s (target < 1 s: {'ok' if max(changes) < 1 else 'MISSED'}); "
            f"a rerun without change (reference, same run) {min(references):.3f}-{max(references):.3f} s; {_load()}"
        )


def machine_speed() -> None:
    """A fixed pure-Python loop, to scale the figures when the machine is shared and loaded."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    print(
        f"0. machine speed: 10M Python additions in {time.perf_counter() - start:.2f} s "
        "(run it again on an idle machine to compare: every figure below scales with it)"
    )


def main() -> None:
    print(f"clv benchmark: {_load()}")
    machine_speed()
    if "--page-only" not in sys.argv:
        core()
    if "--no-page" not in sys.argv:
        warm_up()
        page("a 1M-row workspace", make_transactions())
        page("the full CDNOW file", read_cdnow()[["customer_id", "date", "revenue"]])
    print(f"end: {_load()}")


if __name__ == "__main__":
    main()
