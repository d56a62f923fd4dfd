"""Issue 19: the Account and Plans pages draw health at once while the future-value model is still
being fitted (a status says so; P(alive) and expected value are left out meanwhile), and show the
full figures once the fit is done: the same fit, made once."""

from __future__ import annotations

import threading

import pytest

from tests.app.conftest import new_app
from tests.app.test_clv_account import demo_values

ACCOUNT = "051587"
P_ALIVE_ROW = "Chance that it still buys (P(alive), BG/NBD)"
FITTING = "Fitting the future-value model to 47,880 transactions…"


def _finish_fits() -> None:
    for thread in threading.enumerate():
        if thread.name == "kam-future-value":
            thread.join(timeout=120)


@pytest.fixture
def held_fit(demo_root, monkeypatch):
    """The fit waits for the returned event (the demo's 47,880 rows count as large); ``calls``
    counts the fits."""
    from ui import clv_view, key_accounts

    monkeypatch.setattr(key_accounts, "WAIT_ROWS", 0)
    go = threading.Event()
    calls: list = []
    real = clv_view.clv.future_value

    def held(*args, **kwargs):
        calls.append(args)
        go.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(clv_view.clv, "future_value", held)
    yield go, calls
    go.set()
    _finish_fits()


def _measures(at) -> dict[str, str]:
    for frame in at.dataframe:
        value = frame.value
        if {"Measure", "Value"} <= set(value.columns) and "Days since the last order" in set(value["Measure"]):
            return dict(zip(value["Measure"], value["Value"], strict=True))
    raise AssertionError("no measures table")


def test_account_page_shows_health_at_once_while_the_fit_runs(held_fit):
    go, calls = held_fit
    at = new_app("home", timeout=180)
    at.session_state["app.start_page"] = "account"
    at.session_state["account._selected"] = ACCOUNT
    at.run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.label for s in at.status] == [FITTING]
    assert "Health score (0–100)" in {m.label for m in at.metric}
    assert P_ALIVE_ROW not in _measures(at)
    assert not [c.value for c in at.caption if "P(alive)" in str(c.value)]

    go.set()
    _finish_fits()
    at.run(timeout=180)  # what the status fragment's rerun does once the fit is done
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    assert len(calls) == 1  # one fit, shared by both runs (demo_values below calls it again)
    p_alive = float(demo_values().accounts.set_index("account").loc[ACCOUNT, "p_alive"])
    assert _measures(at)[P_ALIVE_ROW] == f"{p_alive * 100:.1f}%"
    assert f"P(alive) {p_alive:.0%};" in " ".join(str(c.value) for c in at.caption)


def test_plans_page_shows_the_health_list_at_once_while_the_fit_runs(held_fit):
    go, calls = held_fit
    at = new_app("plans", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.label for s in at.status] == [FITTING]
    assert any(" to act on; data up to " in str(c.value) for c in at.caption)  # the health list is drawn
    go.set()
    _finish_fits()
    at.run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    assert any(" to act on; data up to " in str(c.value) for c in at.caption)
    assert len(calls) == 1
