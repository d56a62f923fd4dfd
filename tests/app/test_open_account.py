"""#15: every table that names accounts opens the chosen account's page (a row selection).

AppTest cannot click a grid row: each test sets the selection the browser would send for the
table's key, reruns, and checks that the key-account page opened on the account of that row.
The charts that name accounts are tested in tests/app/test_account_charts.py (the Pareto bars)
and tests/e2e/test_chart_click.py; the Relationships list in tests/app/test_page_relationships.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from kamcore import plans
from kamcore.db import Workspace
from tests.app.conftest import new_app

TIMEOUT = 300


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table(at, key: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if d.key == key]
    assert len(found) == 1, (key, [d.key for d in at.dataframe])
    return found[0]


def opens_from(at, key: str, row: int = 0) -> str:
    """Select ``row`` of the table ``key``; the key-account page opens on that row's account."""
    assert_clean(at)
    shown = table(at, key)
    assert len(shown) > row
    values = [str(v) for v in shown.iloc[row].tolist()]
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run(timeout=TIMEOUT)
    assert_clean(at)
    assert at.title[0].value == "Key account"
    account = at.session_state["account._selected"]
    assert at.selectbox(key="account.pick").value == account
    assert at.query_params["account"] == [account] or at.query_params["account"] == account
    # the row named that account: its number, "number · name" or "name (number)"
    assert any(v == account or v.startswith(f"{account} ·") or v.endswith(f"({account})") for v in values), (
        account, values)
    return account


def page(name: str, **choices) -> object:
    at = new_app(name, timeout=TIMEOUT)
    for key, value in choices.items():
        at.session_state[key] = value
        at.run(timeout=TIMEOUT)
    return at


@pytest.mark.parametrize(("name", "choices", "key", "row"), [
    ("portfolio", {"portfolio.view": "accounts"}, "portfolio.accounts_table", 1),
    ("portfolio", {"portfolio.view": "movement", "portfolio.churn_drop": 5}, "portfolio.churn_table", 0),
    ("portfolio", {"portfolio.view": "future", "portfolio.clv_below": 100}, "portfolio.clv_drifting", 2),
    ("portfolio", {"portfolio.view": "future", "portfolio.clv_show": "accounts"}, "portfolio.clv_accounts", 1),
    ("selection", {"selection.view": "ranking"}, "selection.ranking_table", 1),
    ("selection", {}, "selection.shortlist_table", 0),
    ("plans", {}, "plans.health_table", 1),
])
def test_a_row_opens_the_account(demo_root: Path, name: str, choices: dict, key: str, row: int):
    opens_from(page(name, **choices), key, row)


def test_a_row_of_the_survey_gap_per_account_opens_the_account(demo_root: Path):
    at = new_app("survey", timeout=TIMEOUT)
    at.session_state[f"survey.view.{at.selectbox(key='survey.table').value}"] = "customer_gap"
    at.run(timeout=TIMEOUT)
    opens_from(at, "survey.gap_by_account", 1)


@pytest.fixture
def planned(demo_root: Path) -> str:
    """One objective and two actions (one late, one still open) for a demo account."""
    account = "027522"
    with Workspace.open(demo_root / "demo.duckdb") as ws:
        objective = plans.Objective(account=account, title="Grow", metric="revenue", target=1e6,
                                    start=dt.date(2026, 1, 1), due=dt.date(2026, 12, 31), owner="Kari")
        plans.save_item(ws, objective, "local")
        plans.save_item(ws, plans.Action(account=account, what="Call", owner="Kari", due=dt.date(2026, 1, 15)),
                        "local")
        plans.save_item(ws, plans.Action(account=account, what="Visit", owner="Kari",
                                         due=dt.date.today() + dt.timedelta(days=30)), "local")
    return account


@pytest.mark.parametrize("key", ["plans.objectives_table", "plans.by_account", "plans.overdue_table",
                                 "plans.open_table"])
def test_a_row_of_the_plans_follow_up_opens_the_account(planned: str, key: str):
    at = new_app("plans", timeout=TIMEOUT)  # (the open actions' table sits in a closed expander)
    assert opens_from(at, key) == planned


# ------------------------------------------------------------------------ charts and buttons
def _click(curve: int, index: int, **extra) -> dict:
    point = {"curve_number": curve, "point_number": index, "point_index": index, **extra}
    return {"selection": {"points": [point], "point_indices": [index], "box": [], "lasso": []}}


def _landed(at) -> str:
    assert_clean(at)
    assert at.title[0].value == "Key account"
    account = at.session_state["account._selected"]
    assert at.selectbox(key="account.pick").value == account
    return account


def _chart(at, key: str) -> dict:
    import json

    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    assert len(found) == 1, key
    return json.loads(found[0].proto.spec)


@pytest.mark.parametrize(("name", "choices", "key"), [
    ("portfolio", {"portfolio.view": "whale"}, "portfolio.whale_chart"),
    ("segments", {}, "segments.pca"),
])
def test_a_click_on_an_account_in_a_chart_opens_it(demo_root: Path, name: str, choices: dict, key: str):
    at = page(name, **choices)
    assert_clean(at)
    spec = _chart(at, key)
    at.session_state[key] = _click(0, 1)
    at.run(timeout=TIMEOUT)
    account = _landed(at)
    # the account is the clicked point's: its id is carried by the second point of the first trace
    carried = spec["data"][0].get("ids") or [c[-1] if isinstance(c, list) else c for c in spec["data"][0]["customdata"]]
    assert str(carried[1]) == account


def test_one_bubble_picked_in_the_selection_matrix_opens_from_its_button(demo_root: Path):
    at = page("selection", **{"selection.view": "matrix"})
    assert_clean(at)
    spec = _chart(at, "selection.matrix")
    first = spec["data"][0]["customdata"][0]
    account = str(first[0] if isinstance(first, list) else first)
    at.session_state["selection.matrix"] = _click(0, 0, customdata=[account])
    at.run(timeout=TIMEOUT)
    # AppTest sends a chart's selection only on the run it was set for; a browser keeps sending it
    at.session_state["selection.matrix"] = _click(0, 0, customdata=[account])
    at.button(key="selection.open_picked").click().run(timeout=TIMEOUT)
    assert _landed(at) == account


def test_the_portfolio_drill_down_opens_its_account_from_the_button(demo_root: Path):
    at = page("portfolio", **{"portfolio.view": "accounts"})
    assert_clean(at)
    chosen = at.selectbox(key="portfolio.drill_account").value
    at.button(key="portfolio.open_account").click().run(timeout=TIMEOUT)
    assert _landed(at) == str(chosen)
