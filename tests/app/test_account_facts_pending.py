"""Issue 19: on a large workspace the Account page draws itself before the portfolio facts (ABC
classes and their movement, churn flag, whale curve, selection scores) are computed: a status box
says they are being computed, they are computed once in the background (shared by every session)
after the page is drawn, and the page then shows exactly what it shows when it computes them at
once (which tests/app/test_page_account.py checks against kamcore)."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from tests.app.conftest import new_app
from ui import account_facts

COMPUTING = "Computing the ABC classes, churn signals, whale curve and selection scores of all accounts…"
COMPUTING_NB = "Beregner ABC-klassene, frafallssignalene, hvalkurven og utvelgelsespoengene for alle kundene …"
CLASS_COLUMN = "Class, previous 12 months"


def _finish() -> None:
    for thread in threading.enumerate():
        if thread.name == account_facts.THREAD_NAME:
            thread.join(timeout=120)


def _shown(at) -> dict:
    """What the page shows, element by element (the status box and its fragment left out)."""
    return {
        "subheaders": [s.value for s in at.subheader],
        "metrics": [(m.label, m.value) for m in at.metric],
        "tables": [f.value.astype(str).to_dict("list") for f in at.dataframe],
        "markdown": [m.value for m in at.markdown],
        "captions": [c.value for c in at.caption],
        "warnings": [w.value for w in at.warning],
    }


@pytest.fixture
def held(demo_root, monkeypatch):
    """The demo counts as large for the facts; their computation waits for the returned event.
    ``calls`` holds one entry per computation."""
    from ui import key_accounts

    monkeypatch.setattr(account_facts, "WAIT_ROWS", 0)
    go = threading.Event()
    calls: list = []
    real = key_accounts._portfolio_facts

    def waiting(*args, **kwargs):
        calls.append(threading.current_thread().name)
        go.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(key_accounts, "_portfolio_facts", waiting)
    yield go, calls
    go.set()
    _finish()


@pytest.fixture
def at_once(demo_root) -> dict:
    """The page as shown when the facts are computed at once (the demo is small)."""
    at = new_app("account", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    return _shown(at)


def test_account_page_draws_first_and_shows_the_same_facts_once_computed(at_once, held):
    go, calls = held
    at = new_app("account", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.label for s in at.status] == [COMPUTING]
    shown = _shown(at)
    # drawn without them: no classes, whale sentence, churn line or selection section meanwhile
    assert "Key-account selection" not in shown["subheaders"]
    assert not [t for t in shown["tables"] if CLASS_COLUMN in t]
    assert not [m for m in shown["markdown"] if m.startswith("Whale curve")]
    assert not [c for c in shown["captions"] if c.startswith("ABC classes")]
    # the rest of the page is there, as when the facts are computed at once
    assert shown["subheaders"] == [s for s in at_once["subheaders"] if s != "Key-account selection"]
    assert calls == [account_facts.THREAD_NAME]  # started once the page was drawn, in the background

    second = new_app("account", timeout=180)  # another session meanwhile: the same computation
    assert [s.label for s in second.status] == [COMPUTING]
    go.set()
    _finish()
    at.run(timeout=180)  # what the status fragment's rerun does once they are there
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    done = _shown(at)
    assert done == at_once
    assert "Key-account selection" in done["subheaders"]
    assert [t for t in done["tables"] if CLASS_COLUMN in t]
    assert [m for m in done["markdown"] if m.startswith("Whale curve")]
    second.run(timeout=180)
    assert _shown(second) == at_once
    assert calls == [account_facts.THREAD_NAME]  # computed once for both sessions


def test_status_in_norwegian(held):
    at = new_app("account", lang="nb", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.label for s in at.status] == [COMPUTING_NB]


def test_small_workspace_computes_at_once_in_the_script(demo_root, monkeypatch):
    """Up to WAIT_ROWS transactions: no status box, no background thread, the facts in the run."""
    from ui import key_accounts

    threads: list[str] = []
    real = key_accounts._portfolio_facts

    def counted(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(key_accounts, "_portfolio_facts", counted)
    at = new_app("account", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    assert len(threads) == 1 and threads[0] != account_facts.THREAD_NAME
    assert "Key-account selection" in [s.value for s in at.subheader]
    assert isinstance(at.dataframe[0].value, pd.DataFrame)
