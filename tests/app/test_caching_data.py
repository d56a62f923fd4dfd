"""Issue 19 (Views): the shared tables in ui/data.py are computed once per content.

Counts calls with monkeypatched wrappers; never timed.
"""

from __future__ import annotations

import kamcore.tables
from tests.app.conftest import new_app


def counting(monkeypatch, module, name: str) -> list:
    """Replace ``module.name`` by a wrapper that records each call's arguments."""
    real = getattr(module, name)
    calls: list = []

    def wrapper(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def transaction_filters(calls: list) -> list:
    """The apply_filters calls on transactions (the customers table has no ``date``)."""
    return [(args, kwargs) for args, kwargs in calls if "date" in args[0].columns]


def test_a_region_filters_the_transactions_once_when_no_period_is_chosen(demo_root, monkeypatch):
    """Home asks for the transactions with and without the period; with no period chosen both
    are the same rows, filtered (copied) once."""
    calls = counting(monkeypatch, kamcore.tables, "apply_filters")
    at = new_app("home")
    assert not at.exception
    region = next(w for w in at.multiselect if w.key == "filters.region")
    calls.clear()
    region.set_value([region.options[0]]).run()
    assert not at.exception
    filtered = transaction_filters(calls)
    assert len(filtered) == 1
    frame = filtered[0][0][0]
    chosen = frame["region"] == region.options[0]
    assert 0 < chosen.sum() < len(frame)

    # A period chosen: the rows with and without it differ, so both are filtered.
    calls.clear()
    at.selectbox(key="filters.period").set_value("last12").run()
    assert not at.exception
    periods = sorted(kwargs.get("apply_period", True) for _args, kwargs in transaction_filters(calls))
    assert periods == [False, True]


def test_accounts_with_and_without_filters_share_one_roll_up_while_no_filter_is_set(demo_root, monkeypatch):
    """The survey page asks for the accounts filtered and unfiltered: with no filter set they are
    the same accounts, rolled up from the transactions once; a filter makes a second roll-up."""
    calls = counting(monkeypatch, kamcore.tables, "derive_accounts")
    at = new_app("survey")
    assert not at.exception
    assert len(calls) == 1
    assert len(calls[0][0][0]) == 47_880  # every transaction line of the demo

    region = next(w for w in at.multiselect if w.key == "filters.region")
    region.set_value([region.options[0]]).run()
    assert not at.exception
    assert len(calls) == 2
    rows = calls[1][0][0]
    assert 0 < len(rows) < 47_880 and set(rows["region"]) == {region.options[0]}


def test_statuses_keep_every_row_without_a_copy_and_drop_the_others():
    import pandas as pd

    from ui import data

    frame = pd.DataFrame({"customer_id": pd.Series(["01", "02", "03", "01"], dtype="string"),
                          "revenue": [1.0, 2.0, 3.0, 4.0]})
    status = pd.Series(["active", "churned"], index=["01", "02"], dtype="string")
    with_status = data._with_status.__wrapped__
    kept = with_status(frame, ("k",), status, ("s",), ("active", "churned", "unknown"))
    assert kept is frame
    active = with_status(frame, ("k",), status, ("s",), ("active",))
    assert active["revenue"].tolist() == [1.0, 4.0] and active.index.tolist() == [0, 3]


def test_the_pages_read_only_the_mapped_columns_of_a_table(demo_root, monkeypatch):
    import kamcore.db

    calls = counting(monkeypatch, kamcore.db.Workspace, "read_table")
    at = new_app("portfolio")
    assert not at.exception
    reads = [(args[1], kwargs.get("columns")) for args, kwargs in calls if args[1] == "transactions"]
    assert len(reads) == 1
    with kamcore.db.Workspace.open(demo_root / "demo.duckdb") as ws:
        mapped = list(ws.table_info("transactions").mapping.roles.values())
    assert reads[0][1] == mapped and 0 < len(mapped)
