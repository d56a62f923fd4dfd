"""kamcore.health split in two (issue 19): the per-account sales measures, made once per data on
integer account codes, and the cheap scoring of them with the other inputs. The fast measures
must equal the plain pandas definitions (``money_measures`` and ``buying_measures``) exactly,
and ``health_scores`` must be their composition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamcore import health
from kamcore.errors import KamError


def _awkward_lines(seed: int, n: int = 4000, accounts: int = 120) -> pd.DataFrame:
    """Sales lines with what real files bring: padded and missing ids, empty dates, times of day,
    several lines on one day, credit notes, empty revenue and profit cells."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{1000 + i}" for i in range(accounts)], dtype=object)
    picked = ids[rng.integers(0, accounts, n)]
    padded = rng.random(n) < 0.1
    picked[padded] = [f" {v} " for v in picked[padded]]
    picked[rng.random(n) < 0.01] = None
    picked[rng.random(n) < 0.01] = "  "
    days = rng.integers(0, 1200, n)
    dates = pd.Timestamp("2023-06-01") + pd.to_timedelta(days, unit="D")
    dates = dates + pd.to_timedelta(np.where(rng.random(n) < 0.1, rng.integers(0, 86400, n), 0), unit="s")
    dates = pd.Series(dates).mask(rng.random(n) < 0.01)
    revenue = rng.lognormal(5, 1, n)
    revenue[rng.random(n) < 0.05] *= -1
    revenue[rng.random(n) < 0.01] = np.nan
    profit = revenue * rng.uniform(0.05, 0.4, n)
    profit[rng.random(n) < 0.02] = np.nan
    return pd.DataFrame({"customer_id": pd.Series(picked, dtype="str"), "date": dates,
                         "revenue": revenue, "profit": profit})


def _plain(lines: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The measures as the readable pandas definitions give them (ids stripped, lines kept as health keeps them)."""
    frame = lines.loc[lines["date"].notna()].copy()
    frame["customer_id"] = frame["customer_id"].astype("string").str.strip()
    frame = frame[frame["customer_id"].notna() & (frame["customer_id"] != "")]
    frame = frame[frame["date"] <= as_of]
    frame["customer_id"] = frame["customer_id"].astype(str)
    table = health.money_measures(frame, as_of).join(health.buying_measures(frame, as_of))
    table["margin_portfolio"] = float(table["margin"].dropna().median())
    return table


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("as_of", [None, "2025-09-30", "2026-01-15 12:00"])
def test_fast_measures_equal_the_plain_definitions_exactly(seed, as_of):
    lines = _awkward_lines(seed)
    found = health.sales_measures(lines, as_of)
    expected_as_of = pd.Timestamp(as_of) if as_of else lines.loc[
        lines["customer_id"].str.strip().fillna("") != "", "date"].max()
    assert found.as_of == expected_as_of
    plain = _plain(lines, found.as_of)
    assert len(found.table) == len(plain) > 100
    pd.testing.assert_frame_equal(found.table, plain, check_exact=True)


def test_measures_of_one_account_by_hand():
    lines = pd.DataFrame({
        "customer_id": ["7", " 7", "7", "7", "7", "8", None],
        "date": pd.to_datetime(["2025-01-10", "2025-01-10 15:00", "2025-07-01", "2026-03-01", "2026-06-30",
                                "2026-06-01", "2026-06-30"], format="ISO8601"),
        "revenue": [100.0, 50.0, -20.0, 60.0, 40.0, 10.0, 999.0],
        "profit": [10.0, 5.0, -2.0, np.nan, 8.0, 1.0, 99.0],
    })
    table = health.sales_measures(lines).table
    assert list(table.index) == ["7", "8"]  # the line without an id is not an account
    seven = table.loc["7"]
    # last 12 months (30.06.25, 30.06.26]: -20 + 60 + 40; the 12 before: 100 + 50
    assert seven["revenue_12m"] == 80.0 and seven["revenue_prev_12m"] == 150.0
    assert seven["growth"] == pytest.approx(80.0 / 150.0 - 1.0)
    assert seven["margin"] == pytest.approx((-2.0 + 8.0) / 80.0)  # the empty profit cell counts 0
    # purchase days (positive lines): 10.01.25 00:00 and 15:00, 01.03.26, 30.06.26 -> gaps in whole
    # days 0, 414 (414 days 9 hours), 121: median 121
    assert seven["days_since"] == 0.0
    assert seven["usual_gap_days"] == 121.0
    assert seven["purchase_days_6m"] == 2.0  # 01.03.26 and 30.06.26 are after 30.12.25
    assert table.loc["8", "days_since"] == 29.0 and np.isnan(table.loc["8", "usual_gap_days"])


def test_health_scores_is_the_score_of_the_measures():
    lines = _awkward_lines(4)
    accounts = pd.DataFrame({"customer_id": ["1003", "1010", " 1020"], "relationship_strength": [4.0, 1.0, 3.0],
                             "p_alive": [0.2, 0.9, np.nan], "expected_revenue_12m": [10.0, 5000.0, 1.0]})
    weights = {"money": 1.0, "buying": 2.0, "relationship": 0.5}
    sales = health.sales_measures(lines, "2026-02-01")
    before = sales.table.copy()
    scored = health.score(sales, accounts=accounts, weights=weights)
    pd.testing.assert_frame_equal(sales.table, before)  # the shared measures are not changed
    pd.testing.assert_frame_equal(
        scored, health.health_scores(lines, accounts=accounts, as_of="2026-02-01", weights=weights),
        check_exact=True)
    row = scored.set_index("account").loc["1010"]
    assert row["score_p_alive"] == pytest.approx(90.0) and row["relationship_strength"] == 1.0


def test_patterns_of_drivers_and_missing_are_per_row():
    lines = _awkward_lines(5)
    scored = health.health_scores(lines)
    for _, row in scored.iterrows():
        absent = tuple(c for c in health.COMPONENTS if pd.isna(row[c]))
        assert row["missing"] == absent
        assert row["drivers"] == ", ".join(health.DRIVER_WORDS[c] for c in row["driver_codes"])
    assert {len(c) for c in scored["driver_codes"]} >= {1, 2}


def test_errors_are_the_same_as_before():
    lines = _awkward_lines(6)
    with pytest.raises(KamError) as err:
        health.sales_measures(lines.drop(columns="revenue"))
    assert err.value.code == "health.needs_column"
    with pytest.raises(KamError) as err:
        health.sales_measures(lines.assign(customer_id=" "))
    assert err.value.code == "health.no_dates"
    with pytest.raises(KamError) as err:
        health.sales_measures(lines, "2000-01-01")
    assert err.value.code == "health.no_lines"
    with pytest.raises(KamError) as err:  # the weights are checked before the data, as before
        health.health_scores(lines.drop(columns="revenue"), weights={"money": -1.0})
    assert err.value.code == "health.bad_weight"


@pytest.mark.parametrize("lines", [
    # only credit notes: no purchase day at all
    pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                  "revenue": [-5.0, -1.0], "profit": [-1.0, 0.0]}),
    # a single line
    pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2026-01-01"]), "revenue": [5.0], "profit": [1.0]}),
    # numeric ids, empty revenue and profit cells
    pd.DataFrame({"customer_id": [1, 2, 1], "date": pd.to_datetime(["2026-01-01", "2025-01-01", "2024-05-01"]),
                  "revenue": [5.0, np.nan, 3.0], "profit": [np.nan, 1.0, 1.0]}),
], ids=["credit_notes_only", "one_line", "numeric_ids"])
def test_small_edge_cases_equal_the_plain_definitions(lines):
    found = health.sales_measures(lines)
    pd.testing.assert_frame_equal(found.table, _plain(lines, found.as_of), check_exact=True)


def _plain_monthly(transactions: pd.DataFrame, as_of=None, months: int = 12) -> pd.Series:
    """The 12-month revenue lists as a pandas pivot gives them (the definition monthly_revenue keeps)."""
    frame = transactions.loc[transactions["date"].notna(), ["customer_id", "date", "revenue"]].copy()
    end = pd.Timestamp(as_of) if as_of is not None else frame["date"].max()
    frame = frame[frame["date"] <= end]
    last = end.to_period("M")
    periods = pd.period_range(last - months + 1, last, freq="M")
    frame["month"] = frame["date"].dt.to_period("M")
    frame["customer_id"] = frame["customer_id"].astype(str)
    everyone = sorted(frame["customer_id"].unique())
    frame = frame[frame["month"] >= periods[0]]
    pivot = frame.pivot_table(index="customer_id", columns="month", values="revenue", aggfunc="sum",
                              fill_value=0.0).reindex(index=everyone, columns=periods, fill_value=0.0)
    return pd.Series([list(map(float, row)) for row in pivot.to_numpy()], index=pivot.index, dtype=object)


@pytest.mark.parametrize(("seed", "as_of", "months"), [(1, None, 12), (2, "2025-12-31 10:00", 5), (3, "2026-03-01", 24)])
def test_monthly_revenue_equals_the_pivot_exactly(seed, as_of, months):
    lines = _awkward_lines(seed).dropna(subset=["customer_id"])
    found = health.monthly_revenue(lines, as_of=as_of, months=months)
    plain = _plain_monthly(lines, as_of, months)
    assert list(found.index) == list(plain.index) and len(found) > 100
    assert found.to_dict() == plain.to_dict()
    assert all(len(v) == months for v in found)


def test_monthly_revenue_ignores_lines_without_an_id():
    lines = pd.DataFrame({"customer_id": pd.Series(["x", None, "x"], dtype="str"), "revenue": [1.0, 50.0, 2.0],
                          "date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-02-10"])})
    assert health.monthly_revenue(lines, months=3).to_dict() == {"x": [0.0, 1.0, 2.0]}
