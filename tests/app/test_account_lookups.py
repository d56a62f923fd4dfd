"""Issue 19: the account page reads one account's months from its own rows, found once per data
key (ui.shared.keyed), and gives what portfolio.monthly_series gives on all transactions."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from kamcore import portfolio
from ui import account_sections

TXN = pd.DataFrame({
    "customer_id": pd.array(["a", "b", "a", "c", "b", "a"], dtype="string[pyarrow]"),
    "date": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-03-01", "2026-05-31", "2026-02-02", "2026-03-15"]),
    "revenue": [10.0, 5.0, 7.0, 4.0, 2.5, 1.0],
    "profit": [1.0, 0.5, 0.7, 0.4, 0.25, -2.0],
})


def _key() -> tuple:
    return ("test", uuid.uuid4().hex)  # a data key no other test shares


@pytest.fixture
def counted(monkeypatch):
    calls: list[str] = []
    for name in ("_rows_by_account", "_month_span", "_account_ids", "_largest_account"):
        real = getattr(account_sections, name)
        monkeypatch.setattr(account_sections, name, lambda txn, _real=real, _name=name: calls.append(_name) or _real(txn))
    return calls


def test_monthly_series_of_one_account_over_every_month_of_the_data(counted):
    key = _key()
    got = account_sections.monthly_series(TXN, key, "a", True)
    expected = pd.DataFrame({
        "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]),
        "revenue": [10.0, 0.0, 8.0, 0.0, 0.0],
        "profit": [1.0, 0.0, -1.3, 0.0, 0.0],
    })
    pd.testing.assert_frame_equal(got, expected, check_freq=False)
    full = portfolio.monthly_series(TXN.assign(customer_id=TXN["customer_id"].astype(str)), "a", "customer_id",
                                    "date", "revenue", "profit")
    pd.testing.assert_frame_equal(got, full, check_freq=False)
    # b without profit; then every account and revenue only, with one lookup per data key
    b = account_sections.monthly_series(TXN, key, "b", False)
    assert b["revenue"].tolist() == [5.0, 2.5, 0.0, 0.0, 0.0] and list(b.columns) == ["month", "revenue"]
    assert account_sections.monthly_series(TXN, key, "c", True)["profit"].tolist() == [0.0, 0.0, 0.0, 0.0, 0.4]
    # text ids: the account's lines found by the ids' integer codes (no positions of every account)
    assert sorted(counted) == ["_month_span"]


def test_an_account_without_rows_gets_the_full_call(counted):
    got = account_sections.monthly_series(TXN, _key(), "z", False)
    assert got["revenue"].tolist() == [0.0] * 5
    assert got["month"].iloc[0] == pd.Timestamp("2026-01-01")
    assert "_rows_by_account" not in counted  # text ids: no positions of every account for it


def test_account_ids_and_the_largest_once_per_data_key(counted):
    key = _key()
    for _ in range(2):
        assert account_sections.keyed((*key, "account.ids"), account_sections._account_ids, TXN) == ("a", "b", "c")
        # a: 10 + 7 + 1 = 18 against b's 7.5 and c's 4
        assert account_sections.keyed((*key, "account.largest"), account_sections._largest_account, TXN) == "a"
    assert counted == ["_account_ids", "_largest_account"]


def test_account_ids_handed_out_as_one_object(counted):
    """The picker's ids come out of the shared cache as the very tuple (not rebuilt id by id every run)."""
    key = _key()
    first = account_sections.keyed((*key, "account.ids"), account_sections._account_ids_boxed, TXN).ids
    again = account_sections.keyed((*key, "account.ids"), account_sections._account_ids_boxed, TXN).ids
    assert first == ("a", "b", "c") and again is first
    assert counted == ["_account_ids"]


def test_the_plans_trend_lookup_once_per_data_key(monkeypatch):
    from kamcore import health
    from ui import key_accounts

    calls: list = []
    real = health.monthly_revenue
    monkeypatch.setattr(health, "monthly_revenue", lambda *a, **k: calls.append(k) or real(*a, **k))
    key = _key()
    for _ in range(2):
        trend = account_sections.keyed((*key, "trend", 3), key_accounts.trend_lookup, TXN, 3)
        # the last three months up to 31 May 2026: March, April, May
        assert dict(trend) == {"a": [8.0, 0.0, 0.0], "b": [0.0, 0.0, 0.0], "c": [0.0, 0.0, 4.0]}
        with pytest.raises(TypeError):
            trend["a"] = []  # read-only: every session gets the same one
    assert calls == [{"months": 3}]


def test_monthly_series_without_text_ids_reads_the_keyed_positions(counted):
    """Ids that are not text (or with missing ones): the positions of every account, once per key."""
    numbers = TXN.assign(customer_id=TXN["customer_id"].map({"a": 1, "b": 2, "c": 3}))
    key = _key()
    got = account_sections.monthly_series(numbers, key, "1", True)
    assert got["revenue"].tolist() == [10.0, 0.0, 8.0, 0.0, 0.0]
    assert sorted(counted) == ["_month_span", "_rows_by_account"]


NAMED = pd.DataFrame({
    "customer_id": pd.array(["b", "a", "c", "a", "b", "a", "d"], dtype="string[pyarrow]"),
    "customer_name": pd.array(["B", "A1", None, None, "B", "A2", None], dtype="string[pyarrow]"),
    "revenue": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
})


def test_names_from_the_transactions_as_the_roll_up_of_every_account_names_them():
    from kamcore import tables
    from ui import key_accounts

    # a: its last name (A2; the missing one after A1 skipped), c and d: no name, so their ids
    expected = {"a": "A2", "b": "B", "c": "c", "d": "d"}
    assert dict(key_accounts.names_from_transactions(NAMED)) == expected
    assert dict(key_accounts._names_of(tables.derive_accounts(NAMED))) == expected
    codes = key_accounts.account_codes(_key(), NAMED)
    assert codes.ids == ("a", "b", "c", "d") and codes.codes.tolist() == [1, 0, 2, 0, 1, 0, 3]
    assert dict(key_accounts.names_from_transactions(NAMED, codes)) == expected
    assert dict(key_accounts.names_from_transactions(NAMED.drop(columns="customer_name"), codes)) == {
        "a": "a", "b": "b", "c": "c", "d": "d"}
    # a missing id: no codes (the roll-up names no such account); the names leave it out
    gap = NAMED.assign(customer_id=pd.array(["b", None, "c", "a", "b", "a", "d"], dtype="string[pyarrow]"))
    assert key_accounts.account_codes(_key(), gap) is None
    assert dict(key_accounts.names_from_transactions(gap)) == {"a": "A2", "b": "B", "c": "c", "d": "d"}


def test_the_largest_account_by_codes_is_the_one_pandas_sums_to_the_most():
    from ui import key_accounts

    codes = key_accounts.account_codes(_key(), TXN)
    assert account_sections._largest_by_codes(TXN, codes) == "a" == account_sections._largest_account(TXN)
    # b: 1 + ten times 1e-16; plain sums give 1.0 for both (a would win the tie), pandas'
    # compensated sum 1.000000000000001 for b: b is the largest, as the roll-up says
    close = pd.DataFrame({"customer_id": pd.array(["a"] + ["b"] * 11, dtype="string[pyarrow]"),
                          "revenue": [1.0, 1.0] + [1e-16] * 10})
    assert account_sections._largest_account(close) == "b"
    assert account_sections._largest_by_codes(close, key_accounts.account_codes(_key(), close)) == "b"
    # an exact tie: the first id, as idxmax gives it
    tie = pd.DataFrame({"customer_id": pd.array(["b", "a", "c"], dtype="string[pyarrow]"),
                        "revenue": [5.0, 5.0, 1.0]})
    assert account_sections._largest_by_codes(tie, key_accounts.account_codes(_key(), tie)) == "a"
