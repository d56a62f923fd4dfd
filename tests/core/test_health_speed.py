"""kamcore.health made faster (issue 19: Account and Plans at 1M rows) with every figure as before.

The functions as they were before this work are kept at the bottom of this file (``_old_*``, copied
unchanged but for their names) and the new ones must give exactly the same frames: same columns,
types, order and values, compared with ``check_exact`` on awkward data (padded and missing ids,
credit notes, ties, one-line accounts, empty dates, revenue and costs, text in number columns,
duplicate team rows, empty inputs) and on the demo workspace's own files. Nothing compared here
depends on the CPU: the sums are pandas' (the same code as before) or exact small integer counts,
and the sub-scores are additions, divisions and ``np.interp`` on the same numbers in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kamcore import health, survey_ingest
from kamcore.errors import KamError
from kamcore.health import (
    BAND_NAMES,
    BANDS,
    COMPONENTS,
    DRIVER_WORDS,
    MIN_EXPECTED_DAYS,
    MIN_GAP_DAYS,
    MIN_PURCHASE_DAYS,
    OUTLOOK_FLAT,
    SCALES,
    SUBSCORES,
    TEAM_COLUMNS,
    SalesMeasures,
    SurveyInput,
    _check_weights,
    survey_input,
)
from tests.core.demo_files import DEMO_DIR, read_norwegian
from tests.core.test_health_split import _awkward_lines


def _team(seed: int, ids: list[str]) -> pd.DataFrame:
    """Team scores as a user's accounts table brings them: padded and repeated ids (the first row
    counts), ids without sales, empty cells, text in a number column."""
    rng = np.random.default_rng(seed)
    picked = list(rng.choice(ids, size=len(ids) // 2, replace=False))
    picked += [f" {v}" for v in picked[:5]] + picked[5:8] + ["nobody", None, "  "]
    n = len(picked)
    strength = rng.integers(1, 6, n).astype(float)
    strength[rng.random(n) < 0.2] = np.nan
    coverage = rng.random(n).round(2)
    share = pd.Series(rng.integers(1, 6, n).astype(str), dtype=object)
    share[rng.random(n) < 0.1] = "mye"  # text: not a number
    return pd.DataFrame({"customer_id": pd.Series(picked, dtype=object), "relationship_strength": strength,
                         "share_of_wallet": share, "buying_centre_coverage": coverage,
                         "p_alive": np.where(rng.random(n) < 0.3, np.nan, rng.random(n)),
                         "expected_revenue_12m": rng.lognormal(6, 1.5, n) * np.where(rng.random(n) < 0.1, 0, 1)})


def _survey(ids: list[str], seed: int) -> tuple[pd.DataFrame, Any]:
    rng = np.random.default_rng(seed)
    who = rng.choice(ids[:40] + [" " + ids[0], "nobody"], size=150)
    responses = pd.DataFrame({"Kundenr": who, "E1": rng.integers(1, 8, 150), "P1": rng.integers(1, 8, 150),
                              "E2": rng.integers(1, 8, 150), "P2": rng.integers(1, 8, 150),
                              "Anbefale": rng.integers(0, 11, 150).astype(float)})
    responses.loc[rng.random(150) < 0.1, "Anbefale"] = np.nan
    responses.loc[rng.random(150) < 0.1, "P2"] = np.nan
    dictionary = survey_ingest.ItemDictionary.from_frame(pd.DataFrame({
        "item": ["E1", "P1", "E2", "P2", "Anbefale"],
        "dimension": ["accuracy", "accuracy", "speed", "speed", ""],
        "role": ["expectation", "perception", "expectation", "perception", "plain"],
        "pair": ["a1", "a1", "s1", "s1", ""],
    }))
    return responses, dictionary


def _same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    assert list(new.columns) == list(old.columns)
    pd.testing.assert_frame_equal(new, old, check_exact=True)


WEIGHTS = [None, {"money": 1.0, "buying": 2.0, "relationship": 0.5}, {"survey": 1.0}, {"money": 0.0, "buying": 1.0}]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("weights", WEIGHTS)
def test_score_equals_the_frozen_score_on_awkward_data(seed, weights):
    lines = _awkward_lines(seed)
    sales = health.sales_measures(lines, "2026-01-15 12:00")
    ids = sorted(sales.table.index)
    accounts = _team(seed, ids)
    survey = _survey(ids, seed)
    before = sales.table.copy()
    for kwargs in ({}, {"accounts": accounts}, {"survey": survey}, {"accounts": accounts, "survey": survey}):
        new = health.score(sales, weights=weights, **kwargs)
        _same(new, _old_score(sales, weights=weights, **kwargs))
    pd.testing.assert_frame_equal(sales.table, before)  # the shared measures are not changed
    assert (new["band"].isna() == new["health"].isna()).all() and set(new["band"].dropna()) <= set(BAND_NAMES)
    assert new["score_outlook"].notna().any() and new["score_nps"].notna().any()


def test_score_ties_sort_by_account_as_before():
    # equal health for every account: the order is the accounts' as text ("10" before "9")
    lines = pd.DataFrame({"customer_id": ["9", "10", "b", "a", "Å", "Z"], "revenue": [5.0] * 6,
                          "date": pd.to_datetime(["2026-01-01"] * 6), "profit": [1.0] * 6})
    new = health.score(health.sales_measures(lines))
    assert list(new["account"]) == ["10", "9", "Z", "a", "b", "Å"]
    _same(new, _old_score(health.sales_measures(lines)))


def test_drivers_on_ties_follow_the_driver_order_by_hand():
    lines = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "revenue": [5.0] * 4, "profit": [1.0] * 4,
                          "date": pd.to_datetime(["2026-01-01"] * 4)})
    team = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "relationship_strength": [2.0, 2.0, 5.0, 5.0],
                         "share_of_wallet": [2.0, 1.0, 5.0, 3.0], "buying_centre_coverage": [0.25, np.nan, 1.0, 1.0]})
    sales = health.sales_measures(lines)
    found = health.score(sales, accounts=team, weights={"relationship": 1.0}).set_index("account")
    # a: strength 2 -> 25, share 2 -> 25, coverage 0.25 -> 25: three equal shortfalls 75/3, the first two
    # in DRIVER_WORDS order; b: share 1 -> 0 (shortfall 50) before strength 25 (37.5); c: nothing falls
    # short; d: only share 3 -> 50 falls short
    assert found.loc["a", "driver_codes"] == ("relationship_strength", "share_of_wallet")
    assert found.loc["b", "driver_codes"] == ("share_of_wallet", "relationship_strength")
    assert found.loc["c", "driver_codes"] == () and found.loc["c", "drivers"] == ""
    assert found.loc["d", "driver_codes"] == ("share_of_wallet",)
    assert found.loc["d", "drivers"] == "share of wallet"
    _same(health.score(sales, accounts=team, weights={"relationship": 1.0}),
          _old_score(sales, accounts=team, weights={"relationship": 1.0}))


def test_score_of_unusual_column_types_equals_the_frozen_score():
    lines = _awkward_lines(7)
    sales = health.sales_measures(lines)
    ids = list(sales.table.index)
    # integer team scores on every account (kept integer, as reindex keeps them), nullable floats
    every = pd.DataFrame({"customer_id": ids, "relationship_strength": np.arange(len(ids)) % 5 + 1,
                          "p_alive": pd.array([0.5, None] * (len(ids) // 2) + [0.1] * (len(ids) % 2), dtype="Float64"),
                          "expected_revenue_12m": pd.array([100, None] * (len(ids) // 2) + [7] * (len(ids) % 2),
                                                           dtype="Int64")})
    _same(health.score(sales, accounts=every), _old_score(sales, accounts=every))
    # an accounts table without any of the team columns, or without its id column
    _same(health.score(sales, accounts=every[["customer_id"]]), _old_score(sales, accounts=every[["customer_id"]]))
    _same(health.score(sales, accounts=every.drop(columns="customer_id")),
          _old_score(sales, accounts=every.drop(columns="customer_id")))
    # an empty accounts table
    _same(health.score(sales, accounts=every.iloc[:0]), _old_score(sales, accounts=every.iloc[:0]))


@pytest.mark.parametrize("lines", [
    pd.DataFrame({"customer_id": ["a", "b"], "date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                  "revenue": [-5.0, -1.0], "profit": [-1.0, 0.0]}),
    pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2026-01-01"]), "revenue": [5.0], "profit": [1.0]}),
    pd.DataFrame({"customer_id": [1, 2, 1], "date": pd.to_datetime(["2026-01-01", "2025-01-01", "2024-05-01"]),
                  "revenue": [5.0, np.nan, 3.0], "profit": [np.nan, 1.0, 1.0]}),
    pd.DataFrame({"customer_id": ["a", "a", "b"], "date": pd.to_datetime(["2026-01-01", "2025-01-01", "2024-05-01"]),
                  "revenue": [5.0, 3.0, 3.0]}),  # no profit column: no margin
], ids=["credit_notes_only", "one_line", "numeric_ids", "no_profit"])
def test_small_cases_equal_the_frozen_functions(lines):
    new, old = health.sales_measures(lines), _old_sales_measures(lines)
    assert new.as_of == old.as_of
    _same(new.table, old.table)
    team = pd.DataFrame({"customer_id": ["a", "1"], "p_alive": [0.3, 0.9], "expected_revenue_12m": [1.0, 2.0]})
    _same(health.score(new, accounts=team), _old_score(old, accounts=team))


def test_score_of_no_accounts_equals_the_frozen_score():
    empty = SalesMeasures(health.sales_measures(_awkward_lines(1)).table.iloc[:0], pd.Timestamp("2026-01-01"))
    _same(health.score(empty), _old_score(empty))
    _same(health.score(empty, accounts=_team(1, ["1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007",
                                                    "1008", "1009"])),
          _old_score(empty, accounts=_team(1, ["1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007",
                                                "1008", "1009"])))


def _awkward_survey(seed: int) -> tuple[pd.DataFrame, Any]:
    responses, dictionary = _survey([f"{1000 + i}" for i in range(60)], seed)
    rng = np.random.default_rng(seed)
    who = responses["Kundenr"].astype(object)
    who[rng.random(len(who)) < 0.05] = None  # no account
    who[rng.random(len(who)) < 0.05] = "  "  # a blank account: one group, as before
    answers = responses["Anbefale"].astype(object)
    answers[rng.random(len(who)) < 0.05] = "vet ikke"  # text: left out
    answers[rng.random(len(who)) < 0.05] = " 8"
    return responses.assign(Kundenr=who, Anbefale=answers), dictionary


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_survey_measures_equal_the_frozen_ones(seed):
    responses, dictionary = _awkward_survey(seed)
    prepared = survey_input(responses, dictionary)
    assert prepared.recommend == "Anbefale"
    new = health.survey_measures(prepared)
    _same(new, _old_survey_measures(prepared))
    assert new["nps"].notna().sum() > 20


def test_survey_nps_by_hand_and_its_errors_as_before():
    responses = pd.DataFrame({"Kundenr": ["A", " A", "A", "B", "B", "C", None],
                              "E1": [7, 7, 7, 5, 5, 5, 5], "P1": [4, 5, 6, 5, 5, 5, 5],
                              "Anbefale": [9, 10, 6, 7, np.nan, np.nan, 10]})
    dictionary = survey_ingest.ItemDictionary.from_frame(pd.DataFrame({
        "item": ["E1", "P1", "Anbefale"], "dimension": ["accuracy", "accuracy", ""],
        "role": ["expectation", "perception", "plain"], "pair": ["a1", "a1", ""]}))
    prepared = survey_input(responses, dictionary)
    found = health.survey_measures(prepared)
    # A: promoters 9 and 10, detractor 6 -> 100 * (2 - 1) / 3; B: one passive -> 0; C: no answer
    assert found.loc["A", "nps"] == 100.0 * (2 - 1) / 3 and found.loc["B", "nps"] == 0.0
    assert np.isnan(found.loc["C", "nps"])
    _same(found, _old_survey_measures(prepared))
    for bad in (11, 7.5, -1):
        broken = survey_input(responses.assign(Anbefale=[9, 10, 6, bad, np.nan, np.nan, 10]), dictionary)
        broken = broken.model_copy(update={"recommend": "Anbefale"})
        with pytest.raises(KamError) as new_err:
            health.survey_measures(broken)
        with pytest.raises(KamError) as old_err:
            _old_survey_measures(broken)
        assert new_err.value.code == old_err.value.code == "survey.nps_out_of_range"
        assert str(new_err.value) == str(old_err.value)


@pytest.mark.parametrize(("seed", "as_of", "months"), [(1, None, 12), (2, "2025-12-31 10:00", 5), (3, "2026-03-01", 24)])
def test_monthly_revenue_equals_the_frozen_one(seed, as_of, months):
    lines = _awkward_lines(seed)
    new, old = health.monthly_revenue(lines, as_of=as_of, months=months), _old_monthly_revenue(lines, as_of=as_of, months=months)
    pd.testing.assert_series_equal(new, old, check_exact=True)
    assert new.to_dict() == old.to_dict() and len(new) > 100


def test_monthly_revenue_and_sales_of_ids_that_are_one_as_text():
    # 1 and 1.0 are one value, "1" another with the same text: one account "1" (as before), and
    # the text " 2" stays apart from "2" (monthly_revenue does not strip, as before)
    lines = pd.DataFrame({"customer_id": pd.Series([1, "1", 1.0, "2", 2, " 2", None], dtype=object),
                          "revenue": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
                          "date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-02-10", "2026-02-11", "2025-12-01",
                                                  "2026-01-01", "2026-01-01"])})
    found = health.monthly_revenue(lines, months=3)
    assert found.to_dict() == {" 2": [0.0, 32.0, 0.0], "1": [0.0, 1.0, 6.0], "2": [16.0, 0.0, 8.0]}
    pd.testing.assert_series_equal(found, _old_monthly_revenue(lines, months=3), check_exact=True)
    _same(health.sales_measures(lines).table, _old_sales_measures(lines).table)


def test_empty_sales_as_before():
    empty = pd.DataFrame({"customer_id": pd.Series([], dtype="str"), "date": pd.Series([], dtype="datetime64[us]"),
                          "revenue": pd.Series([], dtype=float)})
    for sales_measures in (health.sales_measures, _old_sales_measures):
        with pytest.raises(KamError) as err:
            sales_measures(empty)
        assert err.value.code == "health.no_dates"
    pd.testing.assert_series_equal(health.monthly_revenue(empty, as_of="2026-01-01"),
                                   _old_monthly_revenue(empty, as_of="2026-01-01"))
    # without a date to end at, the old function failed (IndexError); now: no account
    with pytest.raises(IndexError):
        _old_monthly_revenue(empty)
    pd.testing.assert_series_equal(health.monthly_revenue(empty), _old_monthly_revenue(empty, as_of="2026-01-01"))
    undated = pd.DataFrame({"customer_id": ["a"], "date": pd.Series([pd.NaT], dtype="datetime64[us]"), "revenue": [1.0]})
    assert health.monthly_revenue(undated).empty


def test_monthly_revenue_months_before_1970_and_with_a_time_zone():
    lines = pd.DataFrame({"customer_id": ["b", "a", "ä", "B", "a"], "revenue": [1.0, 2.0, 3.0, 4.0, 5.0],
                          "date": pd.to_datetime(["1969-11-30 23:00", "1969-12-31 23:59", "1970-01-01", "1969-12-01",
                                                  "1968-12-15"], format="ISO8601")})
    found = health.monthly_revenue(lines, months=3)
    assert found.to_dict() == {"B": [0.0, 4.0, 0.0], "a": [0.0, 2.0, 0.0], "b": [1.0, 0.0, 0.0], "ä": [0.0, 0.0, 3.0]}
    pd.testing.assert_series_equal(found, _old_monthly_revenue(lines, months=3), check_exact=True)
    zoned = lines.assign(date=lines["date"].dt.tz_localize("Europe/Oslo"))
    pd.testing.assert_series_equal(health.monthly_revenue(zoned, months=3), _old_monthly_revenue(zoned, months=3),
                                   check_exact=True)


@pytest.mark.parametrize("largest", [730, 5000])
def test_median_gaps_equal_pandas_grouped_median(largest):
    # whole-day gaps, odd and even counts, NaN, codes without a gap; beyond 1024 days pandas' own
    rng = np.random.default_rng(largest)
    codes = np.sort(rng.integers(0, 300, 5000))
    gaps = rng.integers(0, largest, 5000).astype(float)
    gaps[rng.random(5000) < 0.1] = np.nan
    expected = pd.Series(gaps).groupby(codes).median().reindex(range(310)).to_numpy()
    found = health._median_days(gaps, codes, 310)
    assert np.array_equal(found, expected, equal_nan=True) and np.isnan(found[300:]).all()
    # by hand: gaps 3, 1, 10 -> 3; 4, 7 -> 5.5; only NaN -> NaN
    found = health._median_days(np.array([3.0, 1.0, 10.0, 4.0, 7.0, np.nan]), np.array([0, 0, 0, 1, 1, 2]), 3)
    assert found[:2].tolist() == [3.0, 5.5] and np.isnan(found[2])
    assert np.isnan(health._median_days(np.array([np.nan]), np.array([0]), 1)).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("as_of", [None, "2025-09-30", "2026-01-15 12:00"])
@pytest.mark.parametrize("dates", ["with_times", "days", "days_in_seconds", "days_in_ns"])
def test_sales_measures_equal_the_frozen_ones(seed, as_of, dates):
    lines = _awkward_lines(seed)
    if dates != "with_times":  # dates that are all midnights (what sales files hold), in pandas' units
        unit = {"days": "us", "days_in_seconds": "s", "days_in_ns": "ns"}[dates]
        lines["date"] = lines["date"].dt.normalize().astype(f"datetime64[{unit}]")
    new, old = health.sales_measures(lines, as_of), _old_sales_measures(lines, as_of)
    assert new.as_of == old.as_of
    _same(new.table, old.table)
    # the same with ids as plain Python objects and as pandas' nullable text
    for ids in (lines["customer_id"].astype(object), lines["customer_id"].astype("string")):
        _same(health.sales_measures(lines.assign(customer_id=ids), as_of).table, old.table)



# ------------------------------------------------------------------ the demo workspace's files


@pytest.fixture(scope="module")
def demo():
    tx = read_norwegian(DEMO_DIR / "transactions.csv")
    sales = pd.DataFrame({
        "customer_id": tx["Kundenr"],
        "date": pd.to_datetime(tx["Fakturadato"], format="%d.%m.%Y"),
        "revenue": tx["Omsetning"],
        "profit": tx["Omsetning"] - tx["Kostnad"],
    })
    customers = read_norwegian(DEMO_DIR / "customers.csv")
    team = pd.DataFrame({"customer_id": customers["Kundenr"],
                         "relationship_strength": customers["Relasjonsstyrke"],
                         "share_of_wallet": customers["Kundeandel"]})
    from kamcore import health_inputs
    from kamcore.survey_prepare import prepare_survey

    accounts = health_inputs.account_frame(team, None, health_inputs.future_values(sales))
    raw = read_norwegian(DEMO_DIR / "survey_keyareas.csv")
    prepared = survey_input(prepare_survey(raw))  # as the app prepares it (its scales, keyed answers)
    return sales, accounts, prepared


def test_the_demo_scores_exactly_as_before(demo):
    sales, accounts, prepared = demo
    assert prepared is not None and prepared.recommend
    new_sales, old_sales = health.sales_measures(sales), _old_sales_measures(sales)
    _same(new_sales.table, old_sales.table)
    new_survey, old_survey = health.survey_measures(prepared), _old_survey_measures(prepared)
    _same(new_survey, old_survey)
    for weights in WEIGHTS:
        new = health.score(new_sales, accounts=accounts, survey=prepared, weights=weights, survey_table=new_survey)
        _same(new, _old_score(old_sales, accounts=accounts, survey=prepared, weights=weights))
    assert new["score_p_alive"].notna().all() and new["score_nps"].notna().sum() > 10
    for months in (12, 24):
        pd.testing.assert_series_equal(health.monthly_revenue(sales, months=months),
                                       _old_monthly_revenue(sales, months=months), check_exact=True)


# ------------------------------------------------------------------ the functions as they were
# kamcore.health before issue 19's second round (commit 5af0d50), unchanged but for their names:
# the reference the new functions must equal exactly. Do not "fix" them.


def _old_subscore(code: str, values: pd.Series) -> pd.Series:
    xs, ys = SCALES[code]
    v = pd.to_numeric(values, errors="coerce").astype(float)
    out = np.interp(v.fillna(0.0).to_numpy(), xs, ys)
    return pd.Series(np.where(v.isna(), np.nan, out), index=values.index)



def _old_survey_measures(survey: SurveyInput) -> pd.DataFrame:
    """Per account: the customer gap per key area (``gap::<area>``), their mean, and NPS."""
    from kamcore.survey import gap_by_account, nps

    by_account = gap_by_account(survey.responses, survey.dictionary, survey.account)
    out = by_account.set_index("account")
    area_cols = [c for c in out.columns if c.startswith("gap::")]
    out = out[area_cols].copy()
    out["areas_gap"] = out[area_cols].mean(axis=1) if area_cols else np.nan
    span = (survey.scale[1] - survey.scale[0]) if survey.scale else np.nan
    out["areas_relative"] = out["areas_gap"] / span if span and span > 0 else np.nan
    if survey.recommend and survey.recommend in survey.responses.columns:
        ids = survey.responses[survey.account].astype("string").str.strip()
        scores = {}
        for account_id, answers in survey.responses.groupby(ids)[survey.recommend]:
            values = pd.to_numeric(answers, errors="coerce").dropna()
            if len(values):
                scores[str(account_id)] = nps(values).score
        nps_series = pd.Series(scores, dtype=float)
        out = out.reindex(out.index.union(nps_series.index))
        out["nps"] = nps_series
    else:
        out["nps"] = np.nan
    out.index = out.index.astype(str)
    out.index.name = "customer_id"
    return out


# ------------------------------------------------------------------------------ main



def _old_sales_measures(transactions: pd.DataFrame, as_of: Any = None) -> SalesMeasures:
    """Money and buying measures of every account with a line on or before ``as_of`` (default:
    the last transaction date): :func:`money_measures` joined to :func:`buying_measures`, and the
    portfolio's median account margin, computed on integer account codes (a million lines in a
    fraction of a second). Ids are stripped; lines without a date or an id are ignored.

    """
    for column in ("customer_id", "date", "revenue"):
        if column not in transactions.columns:
            raise KamError("health.needs_column", "Health needs the sales column '{column}'.", column=column)
    dates = transactions["date"]
    # account codes: the distinct ids stripped once (not a million strings), then coded again so
    # " 7" and "7" are one account
    raw_codes, raw_ids = pd.factorize(transactions["customer_id"], use_na_sentinel=True)
    stripped = pd.Series(raw_ids, dtype="string").str.strip()
    usable = stripped.notna() & (stripped != "")
    id_codes, ids = pd.factorize(stripped.where(usable).astype(object), use_na_sentinel=True)
    code_of_raw = np.append(id_codes, -1)  # raw code -1 (a missing id) -> -1
    codes = code_of_raw[raw_codes]
    keep = (codes >= 0) & dates.notna().to_numpy()
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else dates[keep].max() if keep.any() else pd.NaT
    if pd.isna(as_of_ts):
        raise KamError("health.no_dates", "Health needs sales lines with dates.")
    keep &= (dates <= as_of_ts).to_numpy()
    if not keep.any():
        raise KamError("health.no_lines", "There are no sales lines on or before {date}.",
                       date=str(as_of_ts.date()))
    codes = codes[keep]
    when = dates.to_numpy()[keep]
    # only the accounts with a line kept, in order of their first line (as money_measures orders them)
    present = pd.unique(codes)
    index = pd.Index(np.asarray(ids, dtype=object)[present], name="customer_id").astype(str)
    revenue = pd.to_numeric(transactions["revenue"], errors="coerce").to_numpy(dtype=float)[keep]
    profit = (pd.to_numeric(transactions["profit"], errors="coerce").to_numpy(dtype=float)[keep]
              if "profit" in transactions.columns else None)
    table = pd.DataFrame(index=index)
    for name, value in _old_money(codes, when, revenue, profit, as_of_ts, present).items():
        table[name] = value
    for name, value in _old_buying(codes, when, revenue, as_of_ts, present).items():
        table[name] = value
    margins = table["margin"].dropna()
    table["margin_portfolio"] = float(margins.median()) if len(margins) else np.nan
    return SalesMeasures(table, as_of_ts)


def _old_money(codes: np.ndarray, when: np.ndarray, revenue: np.ndarray, profit: np.ndarray | None,
           as_of: pd.Timestamp, present: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`money_measures` on account codes (``when``: the lines' dates, datetime64)."""
    year = np.timedelta64(365, "D")
    end = np.datetime64(as_of)
    last_year = (when > end - year) & (when <= end)
    year_before = (when > end - 2 * year) & (when <= end - year)
    # one grouping for the three sums; a line outside a window counts as missing, which pandas'
    # sum skips exactly as it skips an empty cell (0 for an account without lines)
    windows = {"rev": np.where(last_year, revenue, np.nan), "prev": np.where(year_before, revenue, np.nan)}
    if profit is not None:
        windows["profit"] = np.where(last_year, profit, np.nan)
    sums = pd.DataFrame(windows).groupby(codes).sum().reindex(present, fill_value=0.0)
    rev, prev = sums["rev"].to_numpy(dtype=float), sums["prev"].to_numpy(dtype=float)
    growth = np.full(len(present), np.nan)
    np.divide(rev, prev, out=growth, where=prev > 0)
    growth -= 1.0
    margin = np.full(len(present), np.nan)
    if profit is not None:
        # revenue above 0 means lines in the year, so the profit sum is there (0 when all empty)
        np.divide(sums["profit"].to_numpy(dtype=float), rev, out=margin, where=rev > 0)
    return {"revenue_12m": rev, "revenue_prev_12m": prev, "growth": growth, "margin": margin}


def _old_buying(codes: np.ndarray, when: np.ndarray, revenue: np.ndarray, as_of: pd.Timestamp,
            present: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`buying_measures` on account codes: purchase days sorted by account and date once
    (``when``: the lines' dates, datetime64)."""
    positive = revenue > 0
    # the distinct (account, date) pairs in account and date order: dates ranked, then one integer
    # key per pair sorted and made unique at once
    rank, moments = pd.factorize(when[positive], sort=True)
    pairs = np.sort(codes[positive].astype(np.int64) * len(moments) + rank)
    pairs = pairs[np.append(True, pairs[1:] != pairs[:-1])] if len(pairs) else pairs
    moments = np.asarray(moments, dtype=when.dtype)
    buy_codes, stamp = pairs // len(moments), moments[pairs % len(moments)]
    n_codes = int(codes.max()) + 1
    day = np.timedelta64(1, "D")
    end = np.datetime64(as_of)
    # the last purchase day of each account: the last row of its block
    block_end = np.ones(len(buy_codes), dtype=bool)
    block_end[:-1] = buy_codes[1:] != buy_codes[:-1]
    has_buy = np.zeros(n_codes, dtype=bool)
    has_buy[buy_codes[block_end]] = True
    last = np.full(n_codes, end, dtype=stamp.dtype)
    last[buy_codes[block_end]] = stamp[block_end]
    days_since = np.where(has_buy, ((end - last) // day).astype(float), np.nan)
    # the rhythm of the account's last two active years (up to its last purchase, so a dormant
    # account is judged against how it used to buy)
    life = stamp > last[buy_codes] - 730 * day
    life_codes, life_stamp = buy_codes[life], stamp[life]
    gaps = np.full(len(life_stamp), np.nan)
    if len(life_stamp) > 1:
        gaps[1:] = (life_stamp[1:] - life_stamp[:-1]) // day
        gaps[1:][life_codes[1:] != life_codes[:-1]] = np.nan  # each account's first day has no gap
    median_gap = pd.Series(gaps).groupby(life_codes).median().reindex(range(n_codes)).to_numpy(dtype=float)
    n_days = np.bincount(life_codes, minlength=n_codes)
    usual_gap = np.where(n_days >= MIN_PURCHASE_DAYS, np.maximum(median_gap, MIN_GAP_DAYS), np.nan)
    half = np.timedelta64(182, "D")
    recent = np.bincount(buy_codes[stamp > end - half], minlength=n_codes).astype(float)
    before = (stamp > end - 3 * half) & (stamp <= end - half)
    usual_n = np.bincount(buy_codes[before], minlength=n_codes) / 2.0
    usual_n = np.where(usual_n >= MIN_EXPECTED_DAYS, usual_n, np.nan)
    return {"days_since": days_since[present], "usual_gap_days": usual_gap[present],
            "purchase_days_6m": recent[present], "usual_purchase_days_6m": usual_n[present]}


def _old_score(sales: SalesMeasures, *, accounts: pd.DataFrame | None = None, survey: Any = None,
          weights: Mapping[str, float] | None = None, survey_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Health from the :func:`sales_measures` of the data and the other inputs of
    :func:`health_scores` (same meaning, same result): the cheap part, over one row per account.
    ``sales`` is not changed. ``survey_table``: :func:`survey_measures` of ``survey`` when the
    caller has made it already (a caller that keeps it per survey scores without recomputing it)."""
    w = _check_weights(weights)
    as_of_ts = sales.as_of
    table = sales.table.copy()
    sub = pd.DataFrame(index=table.index)
    sub["trend"] = _old_subscore("trend", table["growth"])
    sub["margin"] = _old_subscore("margin", table["margin"] - table["margin_portfolio"])
    sub["recency"] = _old_subscore("recency", table["days_since"] / table["usual_gap_days"])
    sub["frequency"] = _old_subscore("frequency", table["purchase_days_6m"] / table["usual_purchase_days_6m"])

    prepared = survey_input(*survey) if isinstance(survey, tuple) else survey_input(survey)
    if prepared is not None:
        measures = _old_survey_measures(prepared) if survey_table is None else survey_table
        table = table.join(measures, how="left")
        sub["areas"] = _old_subscore("areas", table["areas_relative"])
        sub["nps"] = _old_subscore("nps", table["nps"])
    else:
        sub["areas"] = np.nan
        sub["nps"] = np.nan

    if accounts is not None and "customer_id" in accounts.columns:
        team = accounts.assign(customer_id=accounts["customer_id"].astype("string").str.strip().astype(str))
        team = team.drop_duplicates("customer_id").set_index("customer_id")
        for column in TEAM_COLUMNS:
            table[column] = (pd.to_numeric(team[column], errors="coerce").reindex(table.index)
                             if column in team.columns else np.nan)
    else:
        for column in TEAM_COLUMNS:
            table[column] = np.nan
    sub["relationship_strength"] = _old_subscore("relationship_strength", table["relationship_strength"])
    sub["share_of_wallet"] = _old_subscore("share_of_wallet", table["share_of_wallet"])
    sub["coverage"] = _old_subscore("coverage", table["buying_centre_coverage"])
    sub["p_alive"] = _old_subscore("p_alive", table["p_alive"])
    revenue = table["revenue_12m"].where(table["revenue_12m"] > 0)
    table["outlook"] = table["expected_revenue_12m"] / revenue - 1.0
    # a warning only: BG/NBD assumes each account keeps its long-run rhythm, so it expects a
    # decliner to recover; the outlook counts when it is worse than the trend (and than flat)
    outlook = _old_subscore("outlook", table["outlook"])
    sub["outlook"] = outlook.where(outlook < np.minimum(sub["trend"].fillna(OUTLOOK_FLAT), OUTLOOK_FLAT))

    out = pd.DataFrame(index=table.index)
    for component, codes in SUBSCORES.items():
        out[component] = sub[list(codes)].mean(axis=1, skipna=True)
    weight_row = np.array([w[c] for c in COMPONENTS])
    scores = out[list(COMPONENTS)].to_numpy(dtype=float)
    used = ~np.isnan(scores) & (weight_row > 0)
    total_w = (used * weight_row).sum(axis=1)
    health = np.where(total_w > 0, np.nansum(np.where(used, scores, 0.0) * weight_row, axis=1)
                      / np.where(total_w > 0, total_w, 1.0), np.nan)
    out["health"] = health
    out["band"] = pd.cut(out["health"], bins=[-np.inf, BANDS[0], BANDS[1], np.inf], right=False,
                         labels=list(BAND_NAMES)).astype("string")
    # which components are missing, as one of 16 patterns per account (a tuple made once per pattern)
    absent = np.isnan(scores)
    pattern = absent.astype(np.int64) @ (1 << np.arange(len(COMPONENTS)))
    missing = np.empty(1 << len(COMPONENTS), dtype=object)
    for p in range(len(missing)):
        missing[p] = tuple(c for i, c in enumerate(COMPONENTS) if p >> i & 1)
    out["missing"] = missing[pattern].tolist()

    # weighted shortfall of every sub-score: w_c * (100 - s) / (sub-scores available in c)
    order = list(DRIVER_WORDS)
    short_cols = []
    for component, codes in SUBSCORES.items():
        block = sub[list(codes)]
        n_avail = block.notna().sum(axis=1).replace(0, np.nan)
        for code in codes:
            short_cols.append((w[component] * (100.0 - block[code]) / n_avail).rename(code))
    shortfall = pd.concat(short_cols, axis=1)[order].to_numpy(dtype=float)
    shortfall = np.where(np.isnan(shortfall) | (shortfall <= 0), -np.inf, shortfall)
    # stable ordering: largest shortfall first, ties in DRIVER_WORDS order
    ranked = np.argsort(-shortfall, axis=1, kind="stable")[:, :2]
    # the two codes (fewer when fewer fall short) as one pattern per account: made once per pattern
    finite = np.isfinite(np.take_along_axis(shortfall, ranked, axis=1))
    none = len(order)  # "no code"
    pair = (np.where(finite[:, 0], ranked[:, 0], none) * (none + 1)
            + np.where(finite[:, 1], ranked[:, 1], none)) if len(ranked) else np.zeros(0, dtype=np.int64)
    found, inverse = np.unique(pair, return_inverse=True)
    made = [tuple(order[j] for j in divmod(int(v), none + 1) if j != none) for v in found]
    codes_of = np.empty(len(made), dtype=object)
    codes_of[:] = made
    words_of = np.array([", ".join(DRIVER_WORDS[c] for c in codes) for codes in made], dtype=object)
    out["driver_codes"] = codes_of[inverse.ravel()].tolist()
    out["drivers"] = words_of[inverse.ravel()].tolist()
    for code in sub.columns:
        out[f"score_{code}"] = sub[code]
    out = out.join(table)
    out = out.rename_axis("account").reset_index()
    out["as_of"] = as_of_ts
    first = ["account", "health", *COMPONENTS, "band", "drivers", "driver_codes", "missing"]
    out = out[first + [c for c in out.columns if c not in first]]
    return out.sort_values(["health", "account"], kind="mergesort", na_position="last").reset_index(drop=True)


def _old_monthly_revenue(transactions: pd.DataFrame, *, as_of: Any = None, months: int = 12) -> pd.Series:
    """Per account, its revenue in each of the last ``months`` calendar months (a list; for sparklines).

    Every account with a dated line up to ``as_of`` is there (sorted by id; a flat line for one
    silent all year). Months are numbered (year · 12 + month) and summed per account and month in
    one grouping on integer codes, the sums pandas' own.

    """
    dates = transactions["date"]
    end = pd.Timestamp(as_of) if as_of is not None else dates.max()
    kept = (dates.notna() & (dates <= end)).to_numpy()
    # ids coded once over the column, their distinct values as text sorted (a few thousand, not a million)
    raw_codes, raw_ids = pd.factorize(transactions["customer_id"], use_na_sentinel=True)
    text_codes, everyone = pd.factorize(pd.Index(raw_ids).astype(str).to_numpy(dtype=object), sort=True)
    codes = np.append(text_codes, -1)[raw_codes]
    kept = kept & (codes >= 0)  # a line without an id belongs to no account
    codes = codes[kept]
    present = np.zeros(len(everyone), dtype=bool)
    present[codes] = True  # accounts silent for a year get a flat line; those without a line none
    when = dates[kept]
    month_no = (when.dt.year * 12 + when.dt.month - 1).to_numpy(dtype=np.int64)
    first = end.year * 12 + end.month - 1 - (months - 1)
    inside = month_no >= first
    key = codes[inside].astype(np.int64) * months + (month_no[inside] - first)
    revenue = pd.to_numeric(transactions["revenue"], errors="coerce").to_numpy(dtype=float)[kept][inside]
    sums = pd.Series(revenue).groupby(key, sort=False).sum()
    grid = np.zeros(len(everyone) * months)
    grid[sums.index.to_numpy()] = sums.to_numpy()
    rows = grid.reshape(len(everyone), months)[present].tolist()
    index = pd.Index(np.asarray(everyone, dtype=object)[present], name="customer_id").astype(str)
    return pd.Series(rows, index=index, dtype=object)
