"""What the Account page computes once instead of several times per run (issue 19: its first
render at a million rows): the account ids' codes shared with the portfolio analyses, the
survey's content key hashed once per script run."""

from __future__ import annotations

import uuid

import pandas as pd

from kamcore import portfolio
from tests.app.conftest import new_app
from ui import key_accounts


def test_account_codes_are_the_portfolio_codes_of_the_same_column():
    txn = pd.DataFrame({"customer_id": pd.array(["b", "a", "c", "a", "b"], dtype="string[pyarrow]"),
                        "revenue": [1.0, 2.0, 3.0, 4.0, 5.0]})
    codes = key_accounts.account_codes(("test", uuid.uuid4().hex), txn)
    shared, customers = portfolio.customer_codes(txn["customer_id"])
    assert codes.codes is shared  # one factorisation of the column for both, not two
    assert codes.codes.tolist() == [1, 0, 2, 0, 1]
    assert codes.ids == ("a", "b", "c") == tuple(customers)
    assert dict(codes.code) == {"a": 0, "b": 1, "c": 2}
    assert not codes.codes.flags.writeable


def test_the_survey_is_hashed_once_per_run_of_the_account_page(demo_root, monkeypatch):
    asked: list = []
    keys: list = []
    hashed: list = []
    real_key, real_hash = key_accounts._survey_key, key_accounts._hash

    def survey_key(found):
        key = real_key(found)
        if found is not None:
            asked.append(found[2].responses)
            keys.append((found[0], key))
        return key

    def counted_hash(frame):
        hashed.append(frame)
        return real_hash(frame)

    monkeypatch.setattr(key_accounts, "_survey_key", survey_key)
    monkeypatch.setattr(key_accounts, "_hash", counted_hash)
    at = new_app("home", timeout=180)
    at.session_state["app.start_page"] = "account"
    at.session_state["account._selected"] = "051587"
    at.run(timeout=180)
    assert not at.exception
    first_run = len(asked)
    assert first_run >= 2  # asked for several times in the run...
    assert len({id(r) for r in asked}) == 1
    assert sum(any(f is r for r in asked) for f in hashed) == 1  # ...hashed once
    at.run(timeout=180)  # a new run: hashed again (the survey may have changed in between)
    assert not at.exception
    assert len(asked) > first_run
    assert sum(any(f is r for r in asked) for f in hashed) == 2
    content = str(pd.util.hash_pandas_object(asked[0], index=False).sum())
    assert {key for _name, key in keys} == {keys[0][0] + content}  # every call: the name and the content's hash


def test_the_monthly_series_takes_only_the_columns_it_reads(monkeypatch):
    from kamcore import portfolio as pf
    from ui import account_sections

    txn = pd.DataFrame({
        "customer_id": pd.array(["a", "b", "a", "c", "a"], dtype="string[pyarrow]"),
        "customer_name": pd.array(["A", "B", "A", "C", "A"], dtype="string[pyarrow]"),
        "region": pd.array(["Øst", "Vest", "Øst", "Nord", "Øst"], dtype="string[pyarrow]"),
        "date": pd.to_datetime(["2026-01-05", "2026-02-10", "2026-03-01", "2026-03-20", "2026-03-31"]),
        "revenue": [10.0, 5.0, 7.0, 1.0, 2.0],
        "profit": [1.0, 0.5, -0.5, 0.1, 0.2],
    })
    taken: list[list[str]] = []
    real = account_sections._own_lines
    monkeypatch.setattr(account_sections, "_own_lines",
                        lambda frame, key, account: taken.append(list(frame.columns)) or real(frame, key, account))
    key = ("test", uuid.uuid4().hex)
    series = account_sections.monthly_series(txn, key, "a", True)
    assert taken == [["customer_id", "date", "revenue", "profit"]]
    assert series["month"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02", "2026-03"]
    assert series["revenue"].tolist() == [10.0, 0.0, 9.0]
    assert series["profit"].tolist() == [1.0, 0.0, -0.3]
    full = pf.monthly_series(txn, "a", "customer_id", "date", "revenue", "profit")
    pd.testing.assert_frame_equal(series, full.reset_index(drop=True), check_freq=False)
    without = account_sections.monthly_series(txn, key, "a", False)
    assert taken[-1] == ["customer_id", "date", "revenue"] and list(without.columns) == ["month", "revenue"]
