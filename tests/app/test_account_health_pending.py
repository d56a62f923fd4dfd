"""Issue 19: on a large workspace the Account and Plans pages draw themselves before the health of
every account is computed (health is relative to the whole portfolio: the margin against the
portfolio's, the survey gaps against all customers', the rank among all accounts). A status box
says what is being computed; the sales measures, survey measures and 12-month trends are computed
once per data key in the background (shared by every session) after the page is drawn, and the
page then shows exactly what it shows when it computes them at once (which
tests/app/test_page_account.py and test_page_plans*.py check against kamcore)."""

from __future__ import annotations

import re
import threading

import pytest
import streamlit as st

from tests.app.conftest import new_app
from ui import account_health, shared

COMPUTING = "Computing the health of every account from 47,880 transactions…"
COMPUTING_NB = "Beregner helsen til alle kundene fra 47\u00a0880 transaksjoner …"
COMPUTING_SV = "Beräknar hälsan för alla kunder från 47\u00a0880 transaktioner …"


def _finish() -> None:
    for thread in threading.enumerate():
        if thread.name == account_health.THREAD_NAME:
            thread.join(timeout=120)


def _shown(at) -> dict:
    """What the page shows, element by element (status boxes and their fragments left out)."""
    return {
        "subheaders": [s.value for s in at.subheader],
        "metrics": [(m.label, m.value) for m in at.metric],
        "tables": [f.value.astype(str).to_dict("list") for f in at.dataframe],
        "markdown": [m.value for m in at.markdown],
        "captions": [c.value for c in at.caption],
        "warnings": [w.value for w in at.warning],
    }


def _page(page: str, lang: str = "en"):
    at = new_app(page, lang=lang, timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def held(demo_root, monkeypatch):
    """The demo counts as large for health; the pass over the sales lines waits for the returned
    event. ``calls`` holds the thread of every such pass."""
    from ui import key_accounts

    st.cache_resource.clear()  # nothing computed by an earlier page of this test
    monkeypatch.setattr(account_health, "WAIT_ROWS", 0)
    go = threading.Event()
    calls: list = []
    real = key_accounts._sales_measures

    def waiting(*args, **kwargs):
        calls.append(threading.current_thread().name)
        go.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(key_accounts, "_sales_measures", waiting)
    yield go, calls
    go.set()
    _finish()


@pytest.fixture
def account_at_once(demo_root) -> dict:
    at = _page("account")
    assert not at.status
    return _shown(at)


@pytest.fixture
def plans_at_once(demo_root) -> dict:
    at = _page("plans")
    assert not at.status
    return _shown(at)


def test_account_page_draws_first_and_shows_the_same_health_once_computed(account_at_once, held):
    go, calls = held
    at = _page("account")
    assert [s.label for s in at.status] == [COMPUTING]
    shown = _shown(at)
    # drawn without health and the survey results meanwhile (both relative to every account)
    assert "Health" in shown["subheaders"]
    assert "Health score (0–100)" not in [label for label, _ in shown["metrics"]]
    assert "Survey" not in " ".join(shown["subheaders"])
    assert any(s.startswith("Survey") for s in account_at_once["subheaders"])  # (the demo has one)
    # the rest of the page is there, as when health is computed at once
    assert shown["subheaders"] == [s for s in account_at_once["subheaders"] if not s.startswith("Survey")]
    assert "Key-account selection" in shown["subheaders"]
    assert calls == [account_health.THREAD_NAME]  # started once the page was drawn, in the background

    second = _page("account")  # another session meanwhile: the same computation
    assert [s.label for s in second.status] == [COMPUTING]
    go.set()
    _finish()
    shared._keyed_call.clear()  # as when keyed's ten-minute entries have expired: read from the job
    at.run(timeout=180)  # what the status fragment's rerun does once it is there
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    assert _shown(at) == account_at_once
    second.run(timeout=180)
    assert _shown(second) == account_at_once
    assert calls == [account_health.THREAD_NAME]  # computed once for both sessions


def test_plans_page_draws_first_and_shows_the_same_list_once_computed(plans_at_once, held, monkeypatch):
    from kamcore import health

    go, calls = held
    months: list[str] = []
    real_months = health.monthly_revenue
    monkeypatch.setattr(health, "monthly_revenue",
                        lambda *a, **k: months.append(threading.current_thread().name) or real_months(*a, **k))
    at = _page("plans")
    assert [s.label for s in at.status] == [COMPUTING]
    shown = _shown(at)
    # the list and its band counts wait; the sections below it are there meanwhile
    assert shown["subheaders"] == plans_at_once["subheaders"]
    assert len(shown["tables"]) == len(plans_at_once["tables"]) - 1
    assert not [c for c in shown["captions"] if c.startswith("Good:")]
    assert calls == [account_health.THREAD_NAME]
    go.set()
    _finish()
    shared._keyed_call.clear()  # as when keyed's ten-minute entries have expired: read from the job
    at.run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    assert _shown(at) == plans_at_once
    assert calls == [account_health.THREAD_NAME]
    assert months == [account_health.THREAD_NAME]  # the list's trends too, computed once, in the background


@pytest.mark.parametrize(("lang", "label"), [("nb", COMPUTING_NB), ("sv", COMPUTING_SV)])
def test_status_in_norwegian_and_swedish(held, lang, label):
    at = _page("account", lang=lang)
    assert [s.label for s in at.status] == [label]
    plans = _page("plans", lang=lang)
    assert [s.label for s in plans.status] == [label]


def test_one_computation_per_data_key(held, demo_root, monkeypatch):
    """The Plans page's computation (with its list's trends) reads the sales measures the Account
    page's computation made: one pass over the sales lines for both. Their keys name the workspace
    file and the transactions' content, so a session on another workspace (another upload) or
    other data never gets these."""
    go, calls = held
    keys: list[str] = []
    real = account_health.data.background
    monkeypatch.setattr(account_health.data, "background", lambda key, start: keys.append(key) or real(key, start))
    _page("account")
    _page("plans")
    assert calls == [account_health.THREAD_NAME]
    mine = sorted({k for k in keys if k.startswith("('account_health'")})
    assert [k.rsplit(", ", 1)[1] for k in mine] == ["'account')", "'plans')"]
    for key in mine:  # ui.data's key of the transactions: workspace file, table, content hash, mapping
        assert re.match(r"\('account_health', '" + re.escape(str(demo_root / "demo.duckdb"))
                        + r"', 'transactions', '[0-9a-f]{32}', '\{", key), key
    go.set()
    _finish()
    assert calls == [account_health.THREAD_NAME]


def test_small_workspace_computes_at_once_in_the_script(demo_root, monkeypatch):
    """Up to WAIT_ROWS transactions: no status box, no background thread, health in the run."""
    from ui import key_accounts

    st.cache_resource.clear()
    threads: list[str] = []
    real = key_accounts._sales_measures

    def counted(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(key_accounts, "_sales_measures", counted)
    at = _page("account")
    assert not at.status
    assert len(threads) == 1 and threads[0] != account_health.THREAD_NAME
    assert "Health score (0–100)" in [m.label for m in at.metric]
    plans = _page("plans")
    assert not plans.status
    assert threads == threads[:1]  # the second page reads the same sales measures
