"""Issue 19: on a large workspace the Account and Plans pages draw health at once while the
future-value model is still being fitted (a status says that its future-value part is being
computed; P(alive) and expected revenue are left out meanwhile) and show the full figures once
the fit is done: the same fit, made once, and the sales measures over all lines made once too.
Every figure shown is kamcore's ``health_scores`` on the inputs of that moment."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kamcore import db, health
from kamcore.meeting_pack import content as pc
from tests.app.conftest import new_app
from ui.i18n import fmt_num

P_ALIVE_ROW = "Chance that it still buys (P(alive), BG/NBD)"
FITTING = ("Computing the future-value part of health (P(alive) and expected revenue) "
           "from 47,880 transactions…")
FITTING_NB = ("Beregner framtidig verdi-delen av helsen (P(aktiv) og forventet omsetning) "
              "fra 47\u00a0880 transaksjoner …")


def _finish_fits() -> None:
    for thread in threading.enumerate():
        if thread.name == "kam-future-value":
            thread.join(timeout=120)


@pytest.fixture
def held_fit(demo_root, monkeypatch):
    """The demo counts as large (no waiting for the fit); the fit waits for the returned event.
    ``fits`` counts the fits, ``measured`` the sales measures over all lines (each entry: the
    fits started by then)."""
    from ui import clv_view, key_accounts

    monkeypatch.setattr(key_accounts, "WAIT_ROWS", 0)
    go = threading.Event()
    fits: list = []
    measured: list = []
    real_fit, real_measures = clv_view.clv.future_value, health.sales_measures

    def held(*args, **kwargs):
        fits.append(args)
        go.wait(60)
        return real_fit(*args, **kwargs)

    def counted(*args, **kwargs):
        measured.append(len(fits))  # how many fits had started when the sales lines were measured
        return real_measures(*args, **kwargs)

    monkeypatch.setattr(clv_view.clv, "future_value", held)
    monkeypatch.setattr(health, "sales_measures", counted)
    yield go, fits, measured
    go.set()
    _finish_fits()


@pytest.fixture
def expected(demo_root: Path):
    """kamcore's health of every account with the page's inputs: ``full`` with the fitted values,
    ``pending`` without P(alive) and expected revenue (as while the fit runs)."""
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        inputs = pc.load_inputs(ws, "demo")
        scored_with = pc.health_inputs_for(inputs, pc.health_survey(pc.survey_result(inputs)))
    txn = inputs.everything.assign(customer_id=inputs.everything["customer_id"].astype(str))
    assert {"p_alive", "expected_revenue_12m"} <= set(scored_with.accounts.columns)
    full = health.health_scores(txn, accounts=scored_with.accounts, survey=scored_with.survey)
    without = scored_with.accounts.drop(columns=["p_alive", "expected_revenue_12m"])
    pending = health.health_scores(txn, accounts=without, survey=scored_with.survey)
    return full.set_index("account"), pending.set_index("account")


def _measures(at) -> dict[str, str]:
    for frame in at.dataframe:
        value = frame.value
        if {"Measure", "Value"} <= set(value.columns) and "Days since the last order" in set(value["Measure"]):
            return dict(zip(value["Measure"], value["Value"], strict=True))
    raise AssertionError("no measures table")


def _rounded(values) -> list:
    """Whole numbers as the list shows them (None for no score, so two lists compare)."""
    return [None if v != v else round(float(v)) for v in values]


def _health_shown(at) -> str:
    return next(m.value for m in at.metric if m.label == "Health score (0–100)")


def test_account_page_shows_health_at_once_while_the_fit_runs(expected, held_fit):
    go, fits, measured = held_fit
    full, pending = expected
    # an account whose figure moves when the future-value part arrives, so the test can tell
    moved = (full["health"].round() - pending["health"].reindex(full.index).round()).abs()
    account = str(moved[moved >= 1].index[0])
    at = new_app("home", timeout=180)
    at.session_state["app.start_page"] = "account"
    at.session_state["account._selected"] = account
    at.run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.label for s in at.status] == [FITTING]
    assert _health_shown(at) == fmt_num(pending.loc[account, "health"], 0, "en")
    assert P_ALIVE_ROW not in _measures(at)
    assert not [c.value for c in at.caption if "P(alive)" in str(c.value)]

    go.set()
    _finish_fits()
    at.run(timeout=180)  # what the status fragment's rerun does once the fit is done
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    assert _health_shown(at) == fmt_num(full.loc[account, "health"], 0, "en")
    assert _measures(at)[P_ALIVE_ROW] == f"{full.loc[account, 'p_alive'] * 100:.1f}%"
    assert f"P(alive) {full.loc[account, 'p_alive']:.0%};" in " ".join(str(c.value) for c in at.caption)
    assert len(fits) == 1  # one fit, shared by both runs
    # the fit's arrival re-scored the accounts, not the sales lines; and the fit started only once
    # the page was drawn, not while health was computed
    assert measured == [0]


def test_plans_page_shows_the_health_list_at_once_while_the_fit_runs(expected, held_fit):
    go, fits, measured = held_fit
    full, pending = expected
    at = new_app("plans", lang="nb", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert [s.label for s in at.status] == [FITTING_NB]

    def shown_health(at) -> dict[str, float]:
        table = next(f.value for f in at.dataframe if "Helse" in f.value.columns)
        return dict(zip(table["Kundenr."].astype(str), _rounded(table["Helse"]), strict=True))

    listed = shown_health(at)
    assert len(listed) == len(pending)
    assert listed == dict(zip(pending.index, _rounded(pending["health"]), strict=True))
    go.set()
    _finish_fits()
    at.run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.status
    listed = shown_health(at)
    assert listed == dict(zip(full.index, _rounded(full["health"]), strict=True))
    assert listed != dict(zip(pending.index, _rounded(pending["health"]), strict=True))
    assert len(fits) == 1 and measured == [0]
