"""Load benchmark: N simultaneous sessions sign in and open the Portfolio page.

Starts its own ``streamlit run app.py`` on 127.0.0.1 (password login with bcrypt at 12
rounds as in production, --users distinct names, the demo workspace in a temporary folder), then N scripted clients (Streamlit's websocket protocol, see
tests/security/wsclient.py) at the same moment: load the sign-in page, sign in, open
Portfolio. Prints p50/p95/max of the time to sign in and of the time the Portfolio page took,
beside the figures measured before the shared-work cache (issue 12: 20 sessions, 14.5 s
p50 to sign in, 5.3 s for Portfolio). Target on a 2-core machine: Portfolio p95 under 3 s.

Bounded: only localhost, N clients (default 20, at most 60), every wait has a timeout, the
whole run stops after --deadline seconds (default 300), and the server is stopped at the end.

Run: ``.venv/bin/python benchmarks/load.py [--sessions 20] [--port 0] [--url http://127.0.0.1:8501]``
(with --url, an already running password server with user ``kari`` / --password is used).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.security.wsclient import Client, password_server  # noqa: E402

BEFORE = {20: {"sign_in_p50": 14.5, "portfolio_p50": 5.3}, 50: {"sign_in_p50": 32.0, "portfolio_p95": 25.0}}
PASSWORD = "load-test-passord"


def _one_session(url: str, user: str, password: str, start: threading.Event, results: list, timeout: float) -> None:
    start.wait()
    row: dict[str, float | str] = {}
    t0 = time.monotonic()
    try:
        with Client(url, timeout=timeout) as client:
            client.rerun()
            t1 = time.monotonic()
            run = client.sign_in(user, password)
            if user not in run.texts():
                raise RuntimeError("sign-in failed")
            t2 = time.monotonic()
            client.rerun(page="portfolio")
            t3 = time.monotonic()
            row = {"first_page": t1 - t0, "sign_in": t2 - t0, "portfolio": t3 - t2}
    except Exception as exc:  # noqa: BLE001 - reported, not raised: one slow client must not hide the rest
        row = {"error": f"{type(exc).__name__}: {exc}"}
    results.append(row)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_load(url: str, sessions: int, users: list[str], password: str, deadline: float) -> list[dict]:
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests run only against this machine (127.0.0.1 / localhost)")
    # Warm-up: one session fills the shared caches, as the first user of the day would.
    warm: list[dict] = []
    event = threading.Event()
    event.set()
    _one_session(url, users[0], password, event, warm, timeout=deadline)
    results: list[dict] = []
    start = threading.Event()
    threads = [
        threading.Thread(target=_one_session, args=(url, users[i % len(users)], password, start, results, deadline),
                         daemon=True)
        for i in range(sessions)
    ]
    for thread in threads:
        thread.start()
    start.set()
    stop_at = time.monotonic() + deadline
    for thread in threads:
        thread.join(max(0.0, stop_at - time.monotonic()))
    return results


def report(results: list[dict], sessions: int, load: tuple[float, float] | None = None) -> dict[str, float]:
    ok = [r for r in results if "error" not in r]
    errors = [r["error"] for r in results if "error" in r]
    print(f"sessions: {sessions}, finished: {len(ok)}, failed: {len(errors)}")
    if load is not None:
        # The machine is shared: the figures mean little without how busy it was meanwhile.
        print(f"load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f} ({os.cpu_count()} cores)")
    for error in sorted(set(errors))[:5]:
        print("  error:", error)
    figures: dict[str, float] = {}
    for name in ("first_page", "sign_in", "portfolio"):
        values = [float(r[name]) for r in ok]
        if not values:
            continue
        figures[f"{name}_p50"] = statistics.median(values)
        figures[f"{name}_p95"] = _percentile(values, 0.95)
        print(f"{name:>10}: p50 {figures[f'{name}_p50']:5.2f} s   p95 {figures[f'{name}_p95']:5.2f} s   "
              f"max {max(values):5.2f} s")
    before = BEFORE.get(sessions)
    if before:
        print("before   : " + ", ".join(f"{k} {v:.1f} s" for k, v in before.items()))
    if "portfolio_p95" in figures:
        verdict = "met" if figures["portfolio_p95"] < 3.0 and not errors else "NOT met"
        print(f"target portfolio p95 < 3 s: {verdict}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--users", type=int, default=5, help="distinct login names the sessions use")
    parser.add_argument("--url", default=None, help="an already running server on localhost")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--deadline", type=float, default=300.0)
    args = parser.parse_args(argv)
    sessions = max(1, min(args.sessions, 60))
    users = [f"bruker{i}" for i in range(max(1, args.users))]
    if args.url:
        start = os.getloadavg()[0]
        results = run_load(args.url, sessions, ["kari"], args.password, args.deadline)
        figures = report(results, sessions, (start, os.getloadavg()[0]))
        return 0 if figures else 1
    with tempfile.TemporaryDirectory(prefix="kam_load_") as tmp, \
            password_server(Path(tmp), {user: args.password for user in users}, rounds=12) as (url, _):
        start = os.getloadavg()[0]
        results = run_load(url, sessions, users, args.password, args.deadline)
        figures = report(results, sessions, (start, os.getloadavg()[0]))
    return 0 if figures else 1


if __name__ == "__main__":
    raise SystemExit(main())
