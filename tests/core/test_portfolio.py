"""Tests for kamcore.portfolio: hand-computed cases, invariants and the Superstore data."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import portfolio
from kamcore.errors import KamError

SUPERSTORE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "superstore.csv"


def frame(pairs: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"kunde": pd.Series([c for c, _ in pairs], dtype="str"), "oms": [v for _, v in pairs]}
    )


def classes_of(result: pd.DataFrame) -> dict[str, str]:
    return dict(zip(result["customer"], result["abc_class"], strict=True))


# ---------------------------------------------------------------------- abc_classes


def test_columns_and_order():
    result = portfolio.abc_classes(frame([("x", 1.0)]), "kunde", "oms")
    assert list(result.columns) == [
        "customer",
        "value",
        "share",
        "cum_share",
        "rank",
        "abc_class",
        "non_positive",
    ]


def test_ties_are_broken_by_customer_id_ascending():
    # c=40, a=30, b=30 (tie), d=0; thresholds (0.5, 0.8):
    # c before 0 -> A; a before .4 -> A; b before .7 -> B; d is non-positive -> C
    table = frame([("b", 30.0), ("d", 0.0), ("c", 40.0), ("a", 30.0)])
    result = portfolio.abc_classes(table, "kunde", "oms", thresholds=(0.5, 0.8))
    assert result["customer"].tolist() == ["c", "a", "b", "d"]
    assert result["rank"].tolist() == [1, 2, 3, 4]
    assert result["abc_class"].tolist() == ["A", "A", "B", "C"]
    assert result["share"].tolist() == pytest.approx([0.4, 0.3, 0.3, 0.0])
    assert result["cum_share"].tolist() == pytest.approx([0.4, 0.7, 1.0, 1.0])
    assert result["non_positive"].tolist() == [False, False, False, True]


def test_the_account_crossing_the_threshold_is_a():
    # 70 -> A (before 0); 20 -> A (before .7, crosses .8 to .9); 10 -> B (before .9 < .95)
    result = portfolio.abc_classes(frame([("k1", 70), ("k2", 20), ("k3", 10)]), "kunde", "oms")
    assert classes_of(result) == {"k1": "A", "k2": "A", "k3": "B"}
    assert result.loc[result["abc_class"] == "A", "share"].sum() == pytest.approx(0.9)


def test_an_account_starting_exactly_at_the_threshold_is_not_a():
    # before(k2) = .80 exactly -> B; before(k3) = .95 (0.8 + 0.15 in floats) -> C
    result = portfolio.abc_classes(frame([("k1", 80), ("k2", 15), ("k3", 5)]), "kunde", "oms")
    assert classes_of(result) == {"k1": "A", "k2": "B", "k3": "C"}


def test_credit_notes_net_and_non_positive_accounts():
    table = frame([("x", 100.0), ("x", -30.0), ("y", 50.0), ("z", 20.0), ("z", -40.0), ("w", 0.0)])
    result = portfolio.abc_classes(table, "kunde", "oms")
    # positive total = 70 + 50 = 120; w (0) and z (-20) get share 0 and class C
    assert result["customer"].tolist() == ["x", "y", "w", "z"]
    assert result["value"].tolist() == [70.0, 50.0, 0.0, -20.0]
    assert result["share"].tolist() == pytest.approx([70 / 120, 50 / 120, 0.0, 0.0])
    assert result["cum_share"].tolist() == pytest.approx([70 / 120, 1.0, 1.0, 1.0])
    assert result["abc_class"].tolist() == ["A", "A", "C", "C"]
    assert result["non_positive"].tolist() == [False, False, True, True]


def test_missing_customer_ids_and_values():
    table = pd.DataFrame({"kunde": ["x", None, "y", "y"], "oms": [10.0, 99.0, np.nan, 5.0]})
    result = portfolio.abc_classes(table, "kunde", "oms")
    assert result["customer"].tolist() == ["x", "y"]
    assert result["value"].tolist() == [10.0, 5.0]


def test_single_account():
    result = portfolio.abc_classes(frame([("only", 42.0)]), "kunde", "oms")
    assert result.to_dict("records") == [
        {
            "customer": "only",
            "value": 42.0,
            "share": 1.0,
            "cum_share": 1.0,
            "rank": 1,
            "abc_class": "A",
            "non_positive": False,
        }
    ]


def test_single_loss_making_account():
    result = portfolio.abc_classes(frame([("only", -5.0)]), "kunde", "oms")
    assert result["abc_class"].tolist() == ["C"]
    assert result["share"].tolist() == [0.0]
    assert result["non_positive"].tolist() == [True]


def test_ten_equal_accounts():
    # shares .1 each; before = 0, .1, ..., .9. A while before < .8 -> 8 accounts; the 9th
    # starts at .8 (0.7999999999999999 in a float cumsum, which must count as .8) -> B;
    # the 10th starts at .9 < .95 -> B.
    table = frame([(f"k{i:02d}", 5.0) for i in range(10)])
    result = portfolio.abc_classes(table, "kunde", "oms")
    assert result["abc_class"].tolist() == ["A"] * 8 + ["B"] * 2
    assert result["customer"].tolist() == [f"k{i:02d}" for i in range(10)]


def test_twenty_equal_accounts():
    # shares .05: 16 A (before 0 .. .75), 3 B (before .8, .85, .9), 1 C (before .95)
    table = frame([(f"k{i:02d}", 1.0) for i in range(20)])
    result = portfolio.abc_classes(table, "kunde", "oms")
    assert result["abc_class"].value_counts().to_dict() == {"A": 16, "B": 3, "C": 1}


def test_b_threshold_of_one_puts_every_positive_account_in_a_or_b():
    table = frame([("a", 90), ("b", 5), ("c", 3), ("d", 2), ("e", -1)])
    result = portfolio.abc_classes(table, "kunde", "oms", thresholds=(0.5, 1.0))
    assert result["abc_class"].tolist() == ["A", "B", "B", "B", "C"]


def test_numeric_customer_ids_sort_numerically():
    table = pd.DataFrame({"kunde": [10, 9, 100], "oms": [1.0, 1.0, 1.0]})
    assert portfolio.abc_classes(table, "kunde", "oms")["customer"].tolist() == [9, 10, 100]


@pytest.mark.parametrize(
    "thresholds",
    [
        (0.9, 0.8),
        (0.8, 0.8),
        (0.0, 0.5),
        (0.5, 1.1),
        (-0.1, 0.5),
        (float("nan"), 0.9),
        ("a", 0.9),
        (0.8,),
        None,
    ],
)
def test_bad_thresholds(thresholds):
    with pytest.raises(KamError) as info:
        portfolio.abc_classes(frame([("x", 1.0)]), "kunde", "oms", thresholds=thresholds)
    assert info.value.code == "portfolio.bad_thresholds"
    assert "got" in str(info.value)


def test_input_errors():
    with pytest.raises(KamError) as info:
        portfolio.abc_classes(frame([("x", 1.0)]), "kunde", "omsetning")
    assert info.value.code == "portfolio.missing_column"
    assert info.value.params == {"column": "omsetning"}
    text = pd.DataFrame({"kunde": ["x"], "oms": ["tolv"]})
    with pytest.raises(KamError) as info:
        portfolio.abc_classes(text, "kunde", "oms")
    assert info.value.code == "portfolio.not_numeric"
    with pytest.raises(KamError) as info:
        portfolio.abc_classes(frame([]), "kunde", "oms")
    assert info.value.code == "portfolio.empty"


def test_abc_by_group():
    table = pd.DataFrame(
        {
            "kunde": ["x", "y", "z", "w", "x"],
            "region": ["N", "N", "S", "S", "S"],
            "oms": [90.0, 10.0, 50.0, 30.0, 20.0],
        }
    )
    result = portfolio.abc_by_group(table, "kunde", "oms", "region")
    assert list(result.columns) == ["group", *portfolio.ABC_COLUMNS]
    # N: x .9 A, y before .9 -> B.  S: z .5 A, w before .5 -> A (crosses to .8), x before .8 -> B
    assert result[["group", "customer", "abc_class"]].values.tolist() == [
        ["N", "x", "A"],
        ["N", "y", "B"],
        ["S", "z", "A"],
        ["S", "w", "A"],
        ["S", "x", "B"],
    ]
    assert result.groupby("group")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_abc_summary_counts_all_classes_even_when_empty():
    result = portfolio.abc_classes(frame([("x", 60.0), ("y", 40.0), ("z", -5.0)]), "kunde", "oms")
    summary = portfolio.abc_summary(result)
    # x A; y before .6 -> A; z non-positive C; B is empty but listed
    assert summary.to_dict("list") == {
        "abc_class": ["A", "B", "C"],
        "accounts": [2, 0, 1],
        "account_share": pytest.approx([2 / 3, 0.0, 1 / 3]),
        "value": [100.0, 0.0, -5.0],
        "value_share": pytest.approx([1.0, 0.0, 0.0]),
    }


def test_abc_summary_per_group():
    table = pd.DataFrame({"kunde": ["x", "y", "z"], "region": ["N", "N", "S"], "oms": [90.0, 10.0, 5.0]})
    summary = portfolio.abc_summary(portfolio.abc_by_group(table, "kunde", "oms", "region"))
    assert summary[["group", "abc_class", "accounts"]].values.tolist() == [
        ["N", "A", 1],
        ["N", "B", 1],
        ["N", "C", 0],
        ["S", "A", 1],
        ["S", "B", 0],
        ["S", "C", 0],
    ]
    assert summary["account_share"].tolist() == pytest.approx([0.5, 0.5, 0, 1, 0, 0])


# -------------------------------------------------------------------- concentration


def test_concentration_by_hand():
    # shares .5 .3 .2: HHI = 2500 + 900 + 400 = 3800.
    # Gini, x ascending 20 30 50, n 3: ((-2)*20 + 0*30 + 2*50) / (3*100) = 0.2
    result = portfolio.concentration(frame([("a", 50), ("b", 30), ("c", 20)]), "kunde", "oms")
    assert result.hhi == pytest.approx(3800)
    assert result.gini == pytest.approx(0.2)
    assert result.n_accounts == 3
    assert result.total == 100
    assert result.top_1pct == pytest.approx(0.5)  # ceil(.03) = 1 account
    assert result.top_20pct == pytest.approx(0.5)  # ceil(.6) = 1 account
    assert result.top_5 == result.top_10 == result.top_20 == pytest.approx(1.0)
    assert result.accounts_for_80pct == 2  # b crosses .8 (before .5)
    assert result.accounts_for_80pct_share == pytest.approx(2 / 3)


def test_concentration_counts_loss_accounts_as_zero():
    table = frame([("a", 50), ("b", 30), ("c", 20), ("d", -10)])
    result = portfolio.concentration(table, "kunde", "oms")
    # x = 0 20 30 50, n 4: (-3*0 - 1*20 + 1*30 + 3*50) / (4*100) = 0.4
    assert result.gini == pytest.approx(0.4)
    assert result.hhi == pytest.approx(3800)
    assert (result.n_accounts, result.n_positive) == (4, 3)
    assert result.top_20pct == pytest.approx(0.5)  # ceil(.8) = 1


def test_concentration_extremes():
    one = portfolio.concentration(frame([("a", 7.0)]), "kunde", "oms")
    assert (one.hhi, one.gini, one.accounts_for_80pct) == (10_000, 0.0, 1)
    equal = portfolio.concentration(frame([(f"k{i}", 3.0) for i in range(4)]), "kunde", "oms")
    assert equal.hhi == pytest.approx(2500)
    assert equal.gini == pytest.approx(0.0)
    with pytest.raises(KamError) as info:
        portfolio.concentration(frame([("a", -1.0), ("b", 0.0)]), "kunde", "oms")
    assert info.value.code == "portfolio.no_positive"


def test_top_count():
    assert portfolio.top_count(793, 0.01) == 8
    assert portfolio.top_count(100, 0.05) == 5
    assert portfolio.top_count(3, 0.01) == 1


def gini_mean_difference(values: np.ndarray) -> float:
    """Gini as the mean absolute difference over all pairs / (2 · mean) — independent formula."""
    x = np.clip(values, 0, None)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


@given(st.lists(st.integers(-50, 1000), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_gini_and_hhi_match_independent_formulas(values):
    if max(values) <= 0:
        return
    table = frame([(f"k{i:03d}", float(v)) for i, v in enumerate(values)])
    result = portfolio.concentration(table, "kunde", "oms")
    array = np.array(values, dtype=float)
    assert result.gini == pytest.approx(gini_mean_difference(array), abs=1e-12)
    positive = np.clip(array, 0, None)
    assert result.hhi == pytest.approx(((positive / positive.sum() * 100) ** 2).sum())


# ---------------------------------------------------------------------- whale curve


def test_whale_curve_by_hand():
    table = frame([("z", -100.0), ("x", 100.0), ("w", 0.0), ("y", 50.0), ("x", 50.0)])
    curve = portfolio.whale_curve(table, "kunde", "oms")
    assert curve["customer"].tolist() == ["x", "y", "w", "z"]
    assert curve["cum_profit"].tolist() == [150.0, 200.0, 200.0, 100.0]
    assert curve["cum_profit_pct"].tolist() == pytest.approx([1.5, 2.0, 2.0, 1.0])
    assert curve["cum_accounts_pct"].tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0])
    summary = portfolio.whale_summary(curve)
    assert summary.total_profit == 100.0
    assert summary.peak_profit == 200.0
    assert summary.peak_pct == pytest.approx(2.0)
    assert summary.accounts_at_peak == 2  # the first maximum: w adds nothing
    assert summary.accounts_at_peak_share == pytest.approx(0.5)
    assert (summary.n_destroying, summary.destroyed_profit) == (1, 100.0)


def test_no_loss_making_account_means_zero_lost_not_minus_zero():
    curve = portfolio.whale_curve(frame([("x", 100.0), ("y", 50.0)]), "kunde", "oms")
    summary = portfolio.whale_summary(curve)
    assert summary.n_destroying == 0
    assert str(summary.destroyed_profit) == "0.0"  # not "-0.0"


def test_whale_curve_needs_positive_total():
    with pytest.raises(KamError) as info:
        portfolio.whale_curve(frame([("x", 10.0), ("y", -30.0)]), "kunde", "oms")
    assert info.value.code == "portfolio.no_total_profit"
    assert info.value.params == {"total": -20.0}


# ------------------------------------------------------------------------- movement


def movement_table() -> pd.DataFrame:
    rows = [
        ("p", "2025-03-01", 600.0),
        ("p", "2026-12-01", 150.0),
        ("p", "2026-12-15", -50.0),  # credit note: not a purchase
        ("q", "2025-05-01", 300.0),
        ("q", "2026-06-15", 500.0),
        ("r", "2025-07-01", 100.0),
        ("s", "2026-02-01", 300.0),
        ("t", "2024-06-01", 999.0),  # outside both periods
    ]
    return pd.DataFrame(
        {
            "kunde": pd.Series([r[0] for r in rows], dtype="str"),
            "dato": pd.to_datetime([r[1] for r in rows]),
            "oms": [r[2] for r in rows],
        }
    )


PERIODS = {"current": ("2026-01-01", "2026-12-31"), "previous": ("2025-01-01", "2025-12-31")}


def test_movement_classes_and_matrix():
    # previous: p 600, q 300, r 100 (total 1000) -> p A, q A (before .6), r B (before .9)
    # current:  q 500, s 300, p 100 (total 900)  -> q A, s A (before .56), p B (before .89)
    result = portfolio.movement(movement_table(), "kunde", "dato", "oms", **PERIODS)
    accounts = result.accounts.set_index("customer")
    assert accounts["previous_class"].to_dict() == {"p": "A", "q": "A", "r": "B", "s": "new"}
    assert accounts["current_class"].to_dict() == {"p": "B", "q": "A", "r": "lost", "s": "A"}
    assert accounts["previous_value"].to_dict() == {"p": 600, "q": 300, "r": 100, "s": 0}
    assert accounts["current_value"].to_dict() == {"p": 100, "q": 500, "r": 0, "s": 300}
    assert accounts.loc["p", "change_pct"] == pytest.approx(-500 / 600)
    assert accounts.loc["r", "change_pct"] == pytest.approx(-1.0)
    assert math.isnan(accounts.loc["s", "change_pct"])
    assert accounts.loc["p", "last_purchase"] == pd.Timestamp("2026-12-01")
    expected = pd.DataFrame(
        [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]],
        index=pd.Index(["A", "B", "C", "new"], name="previous"),
        columns=pd.Index(["A", "B", "C", "lost"], name="current"),
        dtype="int64",
    )
    pd.testing.assert_frame_equal(result.matrix, expected, check_column_type=False, check_index_type=False)
    assert result.current.start == dt.date(2026, 1, 1)
    assert result.previous.end == dt.date(2025, 12, 31)


def test_churn_risk():
    moved = portfolio.movement(movement_table(), "kunde", "dato", "oms", **PERIODS)
    risk = portfolio.churn_risk(moved, min_drop=0.5, inactive_days=90)
    # p fell 83 % (bought 30 days before the end); q grew but last bought 199 days before
    # the end; r was lost. s is new (no previous value) and never at risk.
    assert risk["customer"].tolist() == ["p", "q", "r"]
    assert risk["fell"].tolist() == [True, False, True]
    assert risk["stopped"].tolist() == [False, True, True]
    assert risk["days_since_purchase"].tolist() == [30, 199, 548]
    looser = portfolio.churn_risk(moved, min_drop=0.9, inactive_days=200)
    assert looser["customer"].tolist() == ["r"]


def test_churn_risk_drop_is_strictly_more_than():
    table = pd.DataFrame(
        {"kunde": ["x", "x"], "dato": pd.to_datetime(["2025-06-01", "2026-12-30"]), "oms": [100.0, 70.0]}
    )
    moved = portfolio.movement(table, "kunde", "dato", "oms", **PERIODS)
    assert portfolio.churn_risk(moved, min_drop=0.3).empty
    assert portfolio.churn_risk(moved, min_drop=0.29)["customer"].tolist() == ["x"]


@pytest.mark.parametrize(("drop", "days"), [(0, 90), (1.5, 90), (0.3, 0), (0.3, 1.5)])
def test_churn_risk_validation(drop, days):
    moved = portfolio.movement(movement_table(), "kunde", "dato", "oms", **PERIODS)
    with pytest.raises(KamError):
        portfolio.churn_risk(moved, min_drop=drop, inactive_days=days)


def test_default_periods_are_last_twelve_months_and_the_twelve_before():
    current, previous = portfolio.default_periods(pd.Timestamp("2024-02-29 13:45"))
    assert (current.start, current.end) == (dt.date(2023, 3, 1), dt.date(2024, 2, 29))
    assert (previous.start, previous.end) == (dt.date(2022, 3, 1), dt.date(2023, 2, 28))
    # movement() uses the latest date in the data (2026-12-15 here)
    moved = portfolio.movement(movement_table(), "kunde", "dato", "oms")
    assert (moved.current.start, moved.current.end) == (dt.date(2025, 12, 16), dt.date(2026, 12, 15))
    assert (moved.previous.start, moved.previous.end) == (dt.date(2024, 12, 16), dt.date(2025, 12, 15))


def test_movement_current_only_compares_with_same_length_before():
    moved = portfolio.movement(movement_table(), "kunde", "dato", "oms", current=("2026-07-01", "2026-12-31"))
    assert (moved.previous.start, moved.previous.end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    accounts = moved.accounts.set_index("customer")
    assert accounts["previous_class"].to_dict() == {"q": "A", "s": "A", "p": "new"}
    assert accounts["current_class"].to_dict() == {"q": "lost", "s": "lost", "p": "A"}


def test_movement_errors():
    with pytest.raises(KamError) as info:
        portfolio.movement(
            movement_table(),
            "kunde",
            "dato",
            "oms",
            current=("2030-01-01", "2030-12-31"),
            previous=("2029-01-01", "2029-12-31"),
        )
    assert info.value.code == "portfolio.no_rows_in_periods"
    with pytest.raises(KamError) as info:
        portfolio.movement(movement_table(), "kunde", "dato", "oms", current=("2026-12-31", "2026-01-01"))
    assert info.value.code == "portfolio.period_reversed"
    with pytest.raises(KamError) as info:
        portfolio.movement(movement_table(), "kunde", "dato", "oms", current=("i går", "i dag"))
    assert info.value.code == "portfolio.bad_period"


def test_monthly_series_fills_empty_months():
    table = movement_table()
    table["db"] = table["oms"] * 0.25
    series = portfolio.monthly_series(table, "q", "kunde", "dato", "oms", "db")
    assert list(series.columns) == ["month", "revenue", "profit"]
    # the data runs 2024-06 .. 2026-12: 31 months
    assert len(series) == 31
    assert series["month"].iloc[0] == pd.Timestamp("2024-06-01")
    nonzero = series[series["revenue"] != 0]
    assert nonzero["month"].tolist() == [pd.Timestamp("2025-05-01"), pd.Timestamp("2026-06-01")]
    assert nonzero["revenue"].tolist() == [300.0, 500.0]
    assert nonzero["profit"].tolist() == [75.0, 125.0]
    assert series["revenue"].sum() == 800.0


# ------------------------------------------------------------------ property tests

customers = st.sampled_from([f"K{i:02d}" for i in range(25)])
rows = st.lists(st.tuples(customers, st.integers(-500, 5000)), min_size=1, max_size=80)


@st.composite
def thresholds(draw):
    first = draw(st.integers(1, 98))
    second = draw(st.integers(first + 1, 100))
    return first / 100, second / 100


def naive_classes(pairs: list[tuple[str, int]], limits: tuple[float, float]) -> dict[str, str]:
    """Straightforward re-implementation: dict totals, sort, running sum."""
    totals: dict[str, float] = {}
    for customer, value in pairs:
        totals[customer] = totals.get(customer, 0) + value
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    positive_total = sum(v for _, v in ranked if v > 0)
    result, running = {}, 0.0
    for customer, value in ranked:
        if value <= 0:
            result[customer] = "C"
            continue
        # compare in integers (scaled by 100) so rounding cannot blur the boundary
        before_pct = running * 100
        if before_pct < limits[0] * 100 * positive_total - 1e-6:
            result[customer] = "A"
        elif before_pct < limits[1] * 100 * positive_total - 1e-6:
            result[customer] = "B"
        else:
            result[customer] = "C"
        running += value
    return result


@given(rows, thresholds())
@settings(max_examples=300, deadline=None)
def test_abc_invariants(pairs, limits):
    result = portfolio.abc_classes(frame(pairs), "kunde", "oms", thresholds=limits)
    labels = result["abc_class"].tolist()
    # classes are ordered A before B before C in rank order
    assert labels == sorted(labels)
    assert result["rank"].tolist() == list(range(1, len(result) + 1))
    # class counts sum to the number of accounts
    assert result["abc_class"].value_counts().sum() == len({c for c, _ in pairs})
    positive = result[~result["non_positive"]]
    if positive.empty:
        assert set(labels) == {"C"}
        return
    assert positive["share"].sum() == pytest.approx(1.0)
    a_share = result.loc[result["abc_class"] == "A", "share"].sum()
    ab_share = result.loc[result["abc_class"].isin(["A", "B"]), "share"].sum()
    # A covers at least the first threshold, A+B at least the second
    assert a_share >= limits[0] - 1e-9
    assert ab_share >= limits[1] - 1e-9
    # ... and A is the smallest such set: without its last account it is below the threshold
    last_a = result[result["abc_class"] == "A"].iloc[-1]
    assert a_share - last_a["share"] < limits[0] + 1e-9
    assert classes_of(result) == naive_classes(pairs, limits)


# ----------------------------------------------------------------- real Superstore


@pytest.fixture(scope="module")
def superstore() -> pd.DataFrame:
    return pd.read_csv(SUPERSTORE, dtype={"Customer ID": "str"})


def test_superstore_abc_by_sales(superstore):
    result = portfolio.abc_classes(superstore, "Customer ID", "Sales")
    assert len(result) == 793
    assert result["abc_class"].value_counts().to_dict() == {"A": 396, "B": 209, "C": 188}
    # independent: plain pandas groupby, sort, cumsum
    net = superstore.groupby("Customer ID")["Sales"].sum()
    net = net.sort_values(ascending=False)
    before = (net.cumsum() - net) / net.sum()
    assert int((before < 0.80).sum()) == 396
    assert int(((before >= 0.80) & (before < 0.95)).sum()) == 209
    assert int((before >= 0.95).sum()) == 188
    assert result.loc[result["abc_class"] == "A", "share"].sum() >= 0.80


def test_superstore_abc_by_profit(superstore):
    result = portfolio.abc_classes(superstore, "Customer ID", "Profit")
    assert int(result["non_positive"].sum()) == 155
    assert result["abc_class"].value_counts().to_dict() == {"A": 256, "B": 188, "C": 349}
    totals = superstore.groupby("Customer ID")["Profit"].sum()
    pairs = list(zip(superstore["Customer ID"], superstore["Profit"], strict=True))
    assert int((totals < 0).sum()) == 155
    counts = pd.Series(naive_classes(pairs, (0.80, 0.95))).value_counts().to_dict()
    assert counts == {"A": 256, "B": 188, "C": 349}


def test_superstore_whale_and_concentration(superstore):
    curve = portfolio.whale_curve(superstore, "Customer ID", "Profit")
    summary = portfolio.whale_summary(curve)
    totals = superstore.groupby("Customer ID")["Profit"].sum()
    assert summary.n_destroying == 155
    assert summary.destroyed_profit == pytest.approx(-totals[totals < 0].sum())
    assert summary.accounts_at_peak == 638
    assert summary.peak_pct == pytest.approx(totals[totals > 0].sum() / totals.sum())
    sales = portfolio.concentration(superstore, "Customer ID", "Sales")
    net = superstore.groupby("Customer ID")["Sales"].sum().to_numpy()
    assert sales.gini == pytest.approx(gini_mean_difference(net))
    assert sales.accounts_for_80pct == 396
    top8 = np.sort(net)[::-1][:8].sum() / net.sum()
    assert sales.top_1pct == pytest.approx(top8)


def test_period_before_uses_days_when_not_whole_months():
    moved = portfolio.movement(movement_table(), "kunde", "dato", "oms", current=("2026-06-10", "2026-06-19"))
    assert (moved.previous.start, moved.previous.end) == (dt.date(2026, 5, 31), dt.date(2026, 6, 9))
    assert moved.accounts["current_class"].tolist() == ["A"]
    assert moved.accounts["previous_class"].tolist() == ["new"]


# ------------------------------------------------------------ error catalogue


def test_every_error_code_has_a_translated_sentence_with_the_same_placeholders():
    import json
    import re
    import string

    source = Path(portfolio.__file__).read_text(encoding="utf-8")
    raised = dict(re.findall(r'"portfolio\.(\w+)",\s*"([^"]+)"', source))
    catalogue_path = Path(__file__).resolve().parents[2] / "ui" / "locales" / "err_portfolio.json"
    catalogue = json.loads(catalogue_path.read_text(encoding="utf-8"))
    assert set(raised) == set(catalogue)

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for code, message in raised.items():
        assert catalogue[code]["en"] == message
        for language in ("nb", "sv"):
            assert catalogue[code][language] != message
            assert fields(catalogue[code][language]) == fields(message), (code, language)


def test_customer_codes_are_reused_for_the_same_arrow_column_and_never_for_another() -> None:
    from kamcore import portfolio as pf

    table = pd.DataFrame(
        {"k": pd.Series(["b", "a", "b", "c"], dtype="str"), "v": [1.0, 2.0, 3.0, 4.0]}
    )
    first = pf._factorized(table["k"])
    again = pf._factorized(table.copy(deep=False)["k"])
    assert again[0] is first[0]  # a shallow copy shares the Arrow data: no second factorize
    assert first[0].tolist() == [1, 0, 1, 2] and first[1].tolist() == ["a", "b", "c"]
    changed = table.assign(k=pd.Series(["c", "a", "b", "c"], dtype="str"))
    codes, names = pf._factorized(changed["k"])
    assert codes.tolist() == [2, 0, 1, 2] and names.tolist() == ["a", "b", "c"]
    assert pf.abc_classes(changed, "k", "v")["customer"].tolist() == ["c", "b", "a"]


def test_the_overview_counts_only_former_a_and_b_accounts_at_risk():
    risk = pd.DataFrame({"previous_class": ["A", "B", "C", "C", "A", None]})
    assert portfolio.at_risk_former_ab(risk) == 3
    assert portfolio.at_risk_former_ab(risk.iloc[2:4]) == 0


def test_customer_codes_leave_with_their_column() -> None:
    import gc

    from kamcore import portfolio as pf

    column = pd.Series([f"K{i % 7}" for i in range(1000)], dtype="str")
    key = id(column.array._pa_array)
    codes, names = pf.customer_codes(column)
    assert key in pf._FACTORIZED and names.tolist() == [f"K{i}" for i in range(7)]
    kept = pf.customer_codes(column.copy(deep=False))[0]
    assert kept is codes  # still remembered while the column lives
    del column, kept
    gc.collect()
    assert key not in pf._FACTORIZED  # the million-row codes do not outlive the column
    assert codes.tolist()[:8] == [0, 1, 2, 3, 4, 5, 6, 0]  # a caller's own reference stays valid


def test_a_new_column_reusing_a_dead_columns_id_keeps_its_own_codes() -> None:
    from kamcore import portfolio as pf

    column = pd.Series(["b", "a"], dtype="str")
    pf.customer_codes(column)
    key = id(column.array._pa_array)
    stale_ref = pf._FACTORIZED[key][0]
    newer = pd.Series(["x", "y", "x"], dtype="str")
    pf.customer_codes(newer)
    # a late callback for a dead weakref must not remove an entry it does not own
    pf._forget_factorized(id(newer.array._pa_array), stale_ref)
    assert id(newer.array._pa_array) in pf._FACTORIZED
    assert pf.customer_codes(newer)[0].tolist() == [0, 1, 0]
