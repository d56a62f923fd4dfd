"""ui/figures/clv.py on hand-made accounts: the join to the ABC ranking and both orderings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ui.figures import clv as figures


def values(order: list[str]) -> pd.DataFrame:
    """Five modelled accounts (as kamcore.clv.future_value returns them), in ``order``."""
    rows = {
        "K1": (0.90, 1000.0, 100.0, 2.0, 10.0),
        "K2": (0.20, 500.0, 400.0, 3.0, 30.0),
        "K3": (0.40, 0.0, 400.0, 1.0, 20.0),
        "K4": (0.10, 200.0, 900.0, 0.0, 40.0),
        "K5": (0.60, 50.0, 100.0, 4.0, 4.0),
    }
    frame = pd.DataFrame(
        [(k, *rows[k]) for k in order],
        columns=["account", "p_alive", "expected_revenue_12m", "revenue_at_risk", "recency", "T"],
    )
    # the change against the same 12 months a year earlier (kamcore.clv.revenue_change)
    before = {"K1": 20.0, "K2": 1200.0, "K3": 0.0, "K4": 3600.0, "K5": 1000.0}
    frame = frame.assign(
        frequency=1.0, expected_purchases_12m=1.0, last_year_revenue=frame["revenue_at_risk"] * 2
    )
    year_before = frame["account"].map(before)
    change = frame["last_year_revenue"] - year_before
    return frame.assign(
        year_before_revenue=year_before,
        revenue_change=change,
        revenue_change_pct=(change / year_before).where(year_before > 0),
    )


#: The page's ranking: K5 is hidden by its filters (not ranked); K1..K4 ranked 1..4.
CLASSES = pd.DataFrame(
    {
        "customer": pd.array(["K4", "K2", "K1", "K3"], dtype="string"),
        "rank": [1, 2, 3, 4],
        "abc_class": pd.array(["A", "A", "B", "C"], dtype="string"),
    }
)
NAMES = pd.Series(["Four", "Two", "One", "Three"], index=pd.Index(["K4", "K2", "K1", "K3"], dtype="string"))


@pytest.mark.parametrize("named_ranking", [False, True])
def test_with_classes_joins_class_rank_name_and_marks_hidden_accounts(named_ranking):
    classes = CLASSES.assign(name=NAMES.to_numpy()) if named_ranking else CLASSES
    joined = figures.with_classes(values(["K1", "K2", "K3", "K4", "K5"]), classes, NAMES)
    assert joined["abc_class"].tolist() == ["B", "A", "C", "A", "C"]
    assert joined["rank"].tolist()[:4] == [3.0, 2.0, 4.0, 1.0]
    assert np.isnan(joined["rank"].iloc[4])
    assert joined["name"].tolist()[:4] == ["One", "Two", "Three", "Four"]
    assert pd.isna(joined["name"].iloc[4])
    assert joined["in_view"].tolist() == [True, True, True, True, False]


@pytest.mark.parametrize("order", [["K1", "K2", "K3", "K4", "K5"], ["K5", "K3", "K1", "K4", "K2"]])
def test_orderings_by_risk_and_rank_break_ties_by_account(order):
    # sorted by account (as kamcore.clv returns them: the fast stable sort) or not (the
    # two-key sort): the same order. K2 and K3 tie at 400 at risk: K2 first.
    joined = figures.with_classes(values(order), CLASSES, NAMES)
    assert figures.by_risk(joined)["account"].tolist() == ["K4", "K2", "K3", "K1", "K5"]
    assert figures.by_rank(joined)["account"].tolist() == ["K4", "K2", "K1", "K3", "K5"]


def test_drifting_table_ranks_every_account_and_marks_those_below_the_limit():
    joined = figures.with_classes(values(["K1", "K2", "K3", "K4", "K5"]), CLASSES, NAMES)
    ranked = figures.by_risk(joined)
    table = figures.drifting_table(ranked, dt.date(2026, 10, 31), 0.5, presorted=True)
    assert table["Customer number"].tolist() == ["K4", "K2", "K3", "K1", "K5"]
    assert table.equals(figures.drifting_table(joined, dt.date(2026, 10, 31), 0.5))
    assert table["P(alive) %"].tolist() == [10.0, 20.0, 40.0, 90.0, 60.0]
    assert table["Below the limit"].tolist() == ["✓", "✓", "✓", "", ""]
    lower = figures.drifting_table(ranked, dt.date(2026, 10, 31), 0.15, presorted=True)
    assert lower["Below the limit"].tolist() == ["✓", "", "", "", ""]
    # last purchase: T − recency weeks before the end (K4: 40 weeks, K2: 27, K3: 19, K1: 8, K5: 0)
    assert table["Last purchase"].tolist() == [
        dt.date(2026, 1, 24),
        dt.date(2026, 4, 25),
        dt.date(2026, 6, 20),
        dt.date(2026, 9, 5),
        dt.date(2026, 10, 31),
    ]
    assert figures.accounts_table(figures.by_rank(joined), presorted=True).equals(
        figures.accounts_table(joined)
    )


def test_the_holdout_chart_sets_forecast_against_actual_by_calibration_frequency():
    # FHL 2005 fig. 4 on the CDNOW sample: the same table the core test checks against the paper
    from kamcore import clv
    from tests.core.test_clv import read_cdnow

    check = clv.holdout_check(
        read_cdnow("cdnow_sample.txt"), "id", "date", "value", calibration_end="1997-09-30",
        holdout_end="1998-06-30",
    )  # fmt: skip
    fig = figures.holdout_figure(check)
    actual, predicted = fig.data
    labels = ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert list(actual.x) == labels and list(predicted.x) == labels
    assert list(actual.y) == check.table["actual"].tolist()
    assert list(predicted.y) == check.table["predicted"].tolist()
    assert (actual.name, predicted.name) == ("Actual", "Forecast")
    assert fig.layout.title.text == "Model check: forecast against actual purchases, 1 Oct 1997 – 30 Jun 1998"
    assert fig.layout.yaxis.title.text == "Purchases per account in the test period"


@pytest.mark.parametrize("order", [["K1", "K2", "K3", "K4", "K5"], ["K5", "K3", "K1", "K4", "K2"]])
def test_drifting_list_ranked_by_the_change_against_last_year(order):
    """Last 12 months against the 12 before: K1 20 → 200 (+180, +900 %), K2 1200 → 800 (−400,
    −33.3 %), K3 0 → 800 (+800, no per cent: new), K4 3600 → 1800 (−1800, −50 %), K5 1000 → 200
    (−800, −80 %)."""
    joined = figures.with_classes(values(order), CLASSES, NAMES)
    by_pct = figures.ranked(joined, "change_pct")
    assert by_pct["account"].tolist() == ["K5", "K4", "K2", "K1", "K3"]  # no per cent: last
    assert figures.ranked(joined, "change")["account"].tolist() == ["K4", "K5", "K2", "K1", "K3"]
    assert figures.ranked(joined, "risk")["account"].tolist() == ["K4", "K2", "K3", "K1", "K5"]
    table = figures.drifting_table(by_pct, dt.date(2026, 10, 31), 0.5, presorted=True, rank="change_pct")
    assert table.equals(figures.drifting_table(joined, dt.date(2026, 10, 31), 0.5, rank="change_pct"))
    assert table["Change vs last year"].tolist() == [-800.0, -1800.0, -400.0, 180.0, 800.0]
    assert table["Change vs last year %"].tolist()[:4] == [-80.0, -50.0, -33.3, 900.0]
    assert np.isnan(table["Change vs last year %"].iloc[4])
    # ranked by the change, its columns come right after the class (by revenue at risk: as before)
    assert table.columns.tolist()[:6] == [
        "Customer number",
        "Customer",
        "Class",
        "Change vs last year %",
        "Change vs last year",
        "Revenue, last 12 months",
    ]
    risk = figures.drifting_table(joined, dt.date(2026, 10, 31), 0.5)
    assert risk.columns.tolist()[3:5] == ["P(alive) %", "Below the limit"]
    assert sorted(risk.columns) == sorted(table.columns)
    with pytest.raises(ValueError):
        figures.ranked(joined, "name")


@pytest.mark.parametrize("order", [["K1", "K2", "K3", "K4", "K5"], ["K5", "K3", "K1", "K4", "K2"]])
def test_ties_in_the_change_fall_back_to_the_amount_then_the_account(order):
    frame = values(order)
    frame["revenue_change_pct"] = -0.5
    frame["revenue_change"] = frame["account"].map(
        {"K1": -10.0, "K2": -30.0, "K3": -10.0, "K4": -20.0, "K5": -30.0}
    )
    joined = figures.with_classes(frame, CLASSES, NAMES)
    assert figures.ranked(joined, "change_pct")["account"].tolist() == ["K2", "K5", "K4", "K1", "K3"]
    assert figures.ranked(joined, "change")["account"].tolist() == ["K2", "K5", "K4", "K1", "K3"]
