"""Tests for kamcore.selection: scoring by hand, categories, sensitivity, readiness."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import selection as sel
from kamcore.errors import KamError
from kamcore.manual_scores import manual_scores_from_payload, manual_scores_payload
from kamcore.selection import (
    Criterion,
    SelectionModel,
    account_measures,
    categorise,
    criterion_coverage,
    default_model,
    key_size_cuts,
    matrix_cuts,
    n_excluded,
    readiness_check,
    score_accounts,
    sensitivity,
    shortlist,
)

# ------------------------------------------------------------------ the 4-account example
#
# revenue: A 100, B 400, C 200, D 300  -> percentile ranks 1,4,2,3 -> 0, 100, 33.33, 66.67
# fit (manual 1-5): A 5, B 1, C -, D 3 -> 100, 0, 50 (midpoint, reported), 50
# years: A 10, B 4, C 2, D 1           -> ranks 4,3,2,1 -> 100, 66.67, 33.33, 0
# weights revenue 2, fit 1 (attractiveness), years 1 (strength)
# attractiveness = (2 rev + fit) / 3:  A 33.33, B 66.67, C 38.89, D 61.11  (median 50)
# strength = years:                    A 100,   B 66.67, C 33.33, D 0      (median 50)
# total = (2 rev + fit + years) / 4:   A 50,    B 66.67, C 37.5,  D 45.83
# rank: B 1, A 2, D 3, C 4
# category: A maintenance, B key, C opportunistic, D key_development


def four_accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "customer_name": ["Alfa AS", "Beta AS", "Gamma AB", "Delta AS"],
            "revenue": [100.0, 400.0, 200.0, 300.0],
            "years_as_customer": [10.0, 4.0, 2.0, 1.0],
        }
    )


def four_manual() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["A", "B", "D"], "fit": [5, 1, 3]})


def four_model(**kwargs) -> SelectionModel:
    return SelectionModel(
        criteria=(
            Criterion(name="revenue", source="revenue", weight=2, axis="attractiveness"),
            Criterion(name="fit", source="manual:fit", weight=1, axis="attractiveness"),
            Criterion(name="years", source="years_as_customer", weight=1, axis="strength"),
        ),
        **kwargs,
    )


def by_id(scored: pd.DataFrame) -> pd.DataFrame:
    return scored.set_index("customer_id").loc[["A", "B", "C", "D"]]


def test_hand_computed_four_accounts():
    scored = score_accounts(four_accounts(), four_model(), four_manual())
    s = by_id(scored)
    np.testing.assert_allclose(s["score__revenue"], [0, 100, 100 / 3, 200 / 3])
    np.testing.assert_allclose(s["score__fit"], [100, 0, 50, 50])
    np.testing.assert_allclose(s["score__years"], [100, 200 / 3, 100 / 3, 0])
    np.testing.assert_allclose(s["attractiveness"], [100 / 3, 200 / 3, 350 / 9, 550 / 9])
    np.testing.assert_allclose(s["strength"], [100, 200 / 3, 100 / 3, 0])
    np.testing.assert_allclose(s["total"], [50, 200 / 3, 37.5, 275 / 6])
    assert s["rank"].tolist() == [2, 1, 4, 3]
    assert s["category"].tolist() == ["maintenance", "key", "opportunistic", "key_development"]
    assert s["top_criteria"].tolist() == [
        "fit, years",
        "revenue, years",
        "revenue, fit, years",
        "revenue, fit",
    ]
    assert s["missing_inputs"].tolist() == ["", "", "fit", ""]
    # sorted by rank, input columns carried through
    assert scored["customer_id"].tolist() == ["B", "A", "D", "C"]
    assert scored["customer_name"].tolist() == ["Beta AS", "Alfa AS", "Delta AS", "Gamma AB"]


def test_minmax_without_winsorising_by_hand():
    model = four_model(normalisation="minmax", winsorise=0.0)
    s = by_id(score_accounts(four_accounts(), model, four_manual()))
    # years 10, 4, 2, 1 on min 1 .. max 10
    np.testing.assert_allclose(s["score__years"], [100, 100 / 3, 100 / 9, 0])
    np.testing.assert_allclose(s["score__revenue"], [0, 100, 100 / 3, 200 / 3])


def test_robust_minmax_clips_an_outlier():
    values = [float(v) for v in range(1, 20)] + [1000.0]
    accounts = pd.DataFrame(
        {"customer_id": [f"K{i:02d}" for i in range(20)], "revenue": values, "years_as_customer": 1.0}
    )
    model = four_model(normalisation="minmax", winsorise=0.05)
    s = score_accounts(accounts, model).set_index("customer_id")
    # linear quantiles of 1..19, 1000: q05 = 1 + 0.95 = 1.95; q95 = 19 + 0.05 * 981 = 68.05
    assert s.loc["K19", "score__revenue"] == pytest.approx(100.0)
    assert s.loc["K00", "score__revenue"] == pytest.approx(0.0)
    assert s.loc["K09", "score__revenue"] == pytest.approx(100 * (10 - 1.95) / (68.05 - 1.95))


@pytest.mark.parametrize("missing", ["neutral", "exclude"])
def test_scoring_in_one_pass_equals_the_three_calls(missing):
    """``selection.scoring`` (one pass, issue 19) gives what coverage, n_excluded and score_accounts
    give one by one; the robust min-max scores of a measure with a gap, by hand."""
    accounts = four_accounts().assign(revenue=[100.0, np.nan, 200.0, 300.0])
    model = four_model(normalisation="minmax", winsorise=0.0, missing=missing)
    coverage, excluded, scored = sel.scoring(accounts, model, four_manual())
    pd.testing.assert_frame_equal(coverage, sel.criterion_coverage(accounts, model, four_manual()))
    assert excluded == sel.n_excluded(accounts, model, four_manual())
    pd.testing.assert_frame_equal(scored, score_accounts(accounts, model, four_manual()))
    assert coverage["n_scored"].tolist() == [3, 3, 4]
    if missing == "neutral":
        assert excluded == 0
        # revenue: lo 100, hi 300 -> A 0, C 50, D 100; B has none -> 50
        assert by_id(scored)["score__revenue"].tolist() == [0.0, 50.0, 50.0, 100.0]
        # totals (2 revenue + fit + years) / 4: A 50, B 100/3, C 40.28, D 62.5 (years: lo 1, hi 10)
        assert by_id(scored)["rank"].tolist() == [2, 4, 3, 1]
    else:  # B (no revenue) and C (no fit) are left out before the others are scaled
        assert excluded == 2
        assert scored["customer_id"].tolist() == ["D", "A"]  # in rank order: D 62.5, A 50
        assert scored["score__revenue"].tolist() == [100.0, 0.0]
        assert scored["score__years"].tolist() == [0.0, 100.0]


def test_percentile_ties_share_the_average_rank():
    accounts = four_accounts().assign(revenue=[100.0, 300.0, 300.0, 50.0])
    s = by_id(score_accounts(accounts, four_model(), four_manual()))
    # ranks 2, 3.5, 3.5, 1 -> (r - 1) / 3 * 100
    np.testing.assert_allclose(s["score__revenue"], [100 / 3, 250 / 3, 250 / 3, 0])


def test_rank_ties_broken_by_customer_id():
    accounts = pd.DataFrame(
        {"customer_id": ["Z", "M", "A"], "revenue": [5.0, 5.0, 5.0], "years_as_customer": 2.0}
    )
    scored = score_accounts(accounts, four_model())
    assert scored["customer_id"].tolist() == ["A", "M", "Z"]
    assert scored["rank"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(scored["total"], 50.0)


def test_weights_scaled_by_seven_change_nothing():
    model = four_model()
    scaled = model.with_weights({c.name: 7 * c.weight for c in model.criteria})
    a = score_accounts(four_accounts(), model, four_manual())
    b = score_accounts(four_accounts(), scaled, four_manual())
    pd.testing.assert_frame_equal(a, b)


def test_changing_one_weight_changes_ranks():
    heavy_years = four_model().with_weights({"years": 10})
    s = by_id(score_accounts(four_accounts(), heavy_years, four_manual()))
    # total = (2 rev + fit + 10 years) / 13: A (0+100+1000)/13 is now the best
    assert s.loc["A", "rank"] == 1
    assert s.loc["A", "total"] == pytest.approx(1100 / 13)


def test_lower_is_better_flips_the_score():
    higher = four_model()
    lower = SelectionModel(
        criteria=tuple(
            c.model_copy(update={"direction": "lower_is_better"}) if c.name == "years" else c
            for c in higher.criteria
        )
    )
    a = by_id(score_accounts(four_accounts(), higher, four_manual()))
    b = by_id(score_accounts(four_accounts(), lower, four_manual()))
    np.testing.assert_allclose(b["score__years"], 100 - a["score__years"])
    np.testing.assert_allclose(b["score__years"], [0, 100 / 3, 200 / 3, 100])


def test_manual_lower_is_better_flips_the_fixed_scale():
    model = SelectionModel(
        criteria=(
            Criterion(name="risk", source="manual:risk", direction="lower_is_better", axis="attractiveness"),
            Criterion(name="years", source="years_as_customer", axis="strength"),
        )
    )
    manual = pd.DataFrame({"customer_id": ["A", "B"], "risk": [1, 4]})
    s = by_id(score_accounts(four_accounts(), model, manual))
    np.testing.assert_allclose(s["score__risk"], [100, 25, 50, 50])


def test_missing_manual_scores_are_midpoint_and_reported():
    scored = by_id(score_accounts(four_accounts(), four_model()))
    np.testing.assert_allclose(scored["score__fit"], 50.0)
    assert (scored["missing_inputs"] == "fit").all()


def test_missing_computed_measure_is_neutral_and_reported():
    accounts = four_accounts().assign(revenue=[100.0, np.nan, 200.0, 300.0])
    s = by_id(score_accounts(accounts, four_model(), four_manual()))
    # A, C, D ranked among themselves: 0, 50, 100; B neutral 50
    np.testing.assert_allclose(s["score__revenue"], [0, 50, 50, 100])
    assert s.loc["B", "missing_inputs"] == "revenue"


def test_manual_score_out_of_range_is_a_user_error():
    manual = pd.DataFrame({"customer_id": ["A"], "fit": [7]})
    with pytest.raises(KamError) as info:
        score_accounts(four_accounts(), four_model(), manual)
    assert info.value.code == "selection.manual_score_out_of_range"
    assert info.value.params == {"customer": "A", "score": "fit", "value": "7"}


def test_model_rejects_an_axis_without_weight_and_unknown_source():
    with pytest.raises(KamError) as info:
        score_accounts(four_accounts(), four_model().with_weights({"years": 0}))
    assert info.value.code == "selection.axis_without_weight"
    assert info.value.params == {"axis": "strength"}
    odd = SelectionModel(
        criteria=(*four_model().criteria, Criterion(name="x", source="turnover", axis="strength"))
    )
    with pytest.raises(KamError) as info:
        score_accounts(four_accounts(), odd)
    assert info.value.code == "selection.unknown_source"
    twice = SelectionModel(criteria=(*four_model().criteria, four_model().criteria[0]))
    with pytest.raises(KamError) as info:
        sensitivity(four_accounts(), twice, 2)
    assert info.value.code == "selection.duplicate_criterion"


def test_default_model_matches_the_issue():
    model = default_model()
    by_axis = {
        axis: [c.source for c in model.criteria if c.axis == axis] for axis in ("attractiveness", "strength")
    }
    assert by_axis["attractiveness"] == [
        "revenue",
        "profit",
        "growth_pct",
        "manual:strategic_fit",
        "manual:partnership_willingness",
    ]
    assert by_axis["strength"] == [
        "manual:share_of_wallet",
        "manual:relationship_strength",
        "years_as_customer",
    ]
    assert model.normalisation == "percentile"
    assert model.shortlist_limit == 15


# ------------------------------------------------------------------------------ categories


def test_categories_on_a_known_layout_with_user_cuts():
    attractiveness = pd.Series([80.0, 80.0, 20.0, 20.0, 60.0], index=list("abcde"))
    strength = pd.Series([90.0, 10.0, 90.0, 10.0, 60.0], index=list("abcde"))
    result = categorise(attractiveness, strength, cut_attractiveness=60, cut_strength=70)
    assert result.tolist() == [
        "key",
        "key_development",
        "maintenance",
        "opportunistic",
        "key_development",  # on the attractiveness cut counts as attractive; 60 < 70 is weak
    ]


def test_categories_default_to_the_median():
    attractiveness = pd.Series([10.0, 20.0, 30.0, 40.0])
    strength = pd.Series([40.0, 30.0, 20.0, 10.0])
    # medians 25 and 25
    assert categorise(attractiveness, strength).tolist() == [
        "maintenance",
        "maintenance",
        "key_development",
        "key_development",
    ]


def test_model_cut_points_reach_the_scores():
    model = four_model(cut_attractiveness=35.0, cut_strength=20.0)
    s = by_id(score_accounts(four_accounts(), model, four_manual()))
    # attractiveness 33.3, 66.7, 38.9, 61.1; strength 100, 66.7, 33.3, 0
    assert s["category"].tolist() == ["maintenance", "key", "key", "key_development"]


# ----------------------------------------------------------------------------- sensitivity


def spread_accounts(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    accounts = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(n)],
            "revenue": rng.gamma(2.0, 1000.0, n),
            "years_as_customer": rng.uniform(0, 20, n),
        }
    )
    # one account best on every criterion: it must survive every perturbation
    accounts.loc[0, ["revenue", "years_as_customer"]] = [1e6, 50.0]
    return accounts


def test_sensitivity_is_deterministic_for_a_seed():
    accounts, model = spread_accounts(), four_model()
    a = sensitivity(accounts, model, shortlist_size=5, random_state=42)
    b = sensitivity(accounts, model, shortlist_size=5, random_state=42)
    pd.testing.assert_frame_equal(a, b)
    assert a["share_of_runs_on_shortlist"].between(0, 1).all()
    shares = a.set_index("customer_id")["share_of_runs_on_shortlist"]
    assert shares["C000"] == 1.0
    # every run puts exactly 5 accounts on the list
    assert shares.sum() == pytest.approx(5.0)
    assert a["on_shortlist"].sum() == 5


def test_sensitivity_differs_between_seeds_when_the_list_is_fragile():
    accounts = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "revenue": [3.0, 1.0, 2.0],
            "years_as_customer": [1.0, 3.0, 2.0],
        }
    )
    model = four_model().with_weights({"revenue": 1, "fit": 0.001})
    shares = [
        sensitivity(accounts, model, 1, n_runs=50, random_state=s)["share_of_runs_on_shortlist"].tolist()
        for s in range(5)
    ]
    assert len({tuple(x) for x in shares}) > 1


def test_sensitivity_without_spread_equals_the_base_shortlist():
    accounts, model = spread_accounts(), four_model()
    report = sensitivity(accounts, model, shortlist_size=4, n_runs=10, spread=0.0)
    base = score_accounts(accounts, model)
    top = set(base.loc[base["rank"] <= 4, "customer_id"])
    on = set(report.loc[report["share_of_runs_on_shortlist"] == 1.0, "customer_id"])
    assert on == top
    assert set(report.loc[report["on_shortlist"], "customer_id"]) == top
    assert report["share_of_runs_on_shortlist"].isin([0.0, 1.0]).all()


def test_sensitivity_ties_go_to_the_smaller_customer_id():
    # Five accounts with identical figures: every run ties them all, and the two smallest
    # ids fill a shortlist of two, as a stable sort by id would choose.
    accounts = pd.DataFrame(
        {
            "customer_id": ["E", "C", "A", "D", "B"],
            "revenue": [5.0] * 5,
            "years_as_customer": [2.0] * 5,
        }
    )
    report = sensitivity(accounts, four_model(), shortlist_size=2, n_runs=20, random_state=3)
    shares = report.set_index("customer_id")["share_of_runs_on_shortlist"]
    assert shares.to_dict() == {"A": 1.0, "B": 1.0, "C": 0.0, "D": 0.0, "E": 0.0}


# ------------------------------------------------------------------------------- shortlist


def test_shortlist_by_rank_include_exclude_and_limit():
    scored = score_accounts(four_accounts(), four_model(), four_manual())
    result = shortlist(scored, size=2, include=["C"], exclude=["A"], limit=2)
    assert result.table["customer_id"].tolist() == ["B", "C"]
    assert result.table["chosen_by"].tolist() == ["rank", "manual"]
    assert result.over_limit is False
    assert shortlist(scored, size=3, limit=2).over_limit is True
    # recommended = number of key accounts (B only), at least one
    assert shortlist(scored).recommended_size == 1
    assert shortlist(scored).table["customer_id"].tolist() == ["B"]


def test_shortlist_rejects_unknown_accounts():
    scored = score_accounts(four_accounts(), four_model(), four_manual())
    with pytest.raises(KamError) as info:
        shortlist(scored, include=["X"])
    assert info.value.code == "selection.unknown_account"


# ------------------------------------------------------------------------------- readiness


def test_readiness_ready_when_everything_speaks_for_kam():
    result = readiness_check({1: 1, 2: 5, 3: 5, 4: 5, 5: 5})
    assert result.verdict == "ready"
    assert result.score == 100.0
    assert result.fix_first == []
    assert [r.code for r in result.reasons] == ["for"] * 5


def test_readiness_question_one_counts_against():
    # very transactional sales (5) with everything else perfect
    result = readiness_check({1: 5, 2: 5, 3: 5, 4: 5, 5: 5})
    assert result.score == 80.0
    assert result.reasons[0].code == "against"
    assert result.reasons[0].points == 0.0
    assert result.verdict == "partly_ready"
    assert result.fix_first == [1]


def test_readiness_not_now():
    result = readiness_check({1: 5, 2: 1, 3: 2, 4: 1, 5: 3})
    # points 0, 0, 25, 0, 50 -> 15
    assert result.score == 15.0
    assert result.verdict == "not_now"
    assert result.fix_first == [1, 2, 3, 4]


def test_readiness_middle_without_blockers_names_the_weakest():
    result = readiness_check({1: 3, 2: 4, 3: 3, 4: 4, 5: 3})
    # points 50, 75, 50, 75, 50 -> 60
    assert result.score == 60.0
    assert result.verdict == "partly_ready"
    assert result.fix_first == [1, 3, 5]


def test_readiness_rejects_incomplete_or_invalid_answers():
    with pytest.raises(KamError) as info:
        readiness_check({1: 3, 2: 3})
    assert info.value.code == "selection.readiness_incomplete"
    assert info.value.params == {"questions": "3, 4, 5"}
    with pytest.raises(KamError) as info:
        readiness_check({1: 3, 2: 3, 3: 3, 4: 3, 5: 6})
    assert info.value.code == "selection.readiness_answer"


# -------------------------------------------------------------------------------- measures


def test_account_measures_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": ["001", "001", "001", "001", "002", "002"],
            "customer_name": ["Alfa", "Alfa", "Alfa", "Alfa", "Beta", "Beta"],
            "date": pd.to_datetime(
                ["2024-03-10", "2025-12-01", "2026-01-15", "2026-01-20", "2025-06-01", "2026-05-05"]
            ),
            "revenue": [100.0, 200.0, 300.0, -50.0, 80.0, 120.0],
            "cost": [50.0, 100.0, 200.0, -20.0, 40.0, 60.0],
        }
    )
    m = account_measures(tx, as_of=dt.date(2026, 6, 30)).set_index("customer_id")
    # L12 = (2025-06-30, 2026-06-30]; P12 = (2024-06-30, 2025-06-30]
    # 001: L12 revenue 200+300-50 = 450, profit 100+100-30 = 170; P12 nothing (2024-03 is older)
    # 002: L12 revenue 120, profit 60; P12 revenue 80
    assert m.loc["001", "revenue"] == 450.0
    assert m.loc["001", "profit"] == 170.0
    assert m.loc["001", "margin_pct"] == pytest.approx(100 * 170 / 450)
    assert np.isnan(m.loc["001", "growth_pct"])
    assert m.loc["002", "growth_pct"] == pytest.approx(50.0)
    assert m.loc["001", "purchase_frequency"] == 2  # Dec 2025 and Jan 2026
    assert m.loc["002", "purchase_frequency"] == 1
    assert m.loc["001", "portfolio_share"] == pytest.approx(450 / 570)
    # first purchase 2024-03-10 -> 842 days
    assert m.loc["001", "years_as_customer"] == pytest.approx(842 / 365.25)
    assert m.loc["002", "customer_name"] == "Beta"


def test_account_measures_prefers_customer_since_from_accounts():
    tx = pd.DataFrame(
        {
            "customer_id": ["001"],
            "date": pd.to_datetime(["2026-01-01"]),
            "revenue": [10.0],
        }
    )
    accounts = pd.DataFrame(
        {
            "customer_id": ["001"],
            "customer_name": ["Alfa AS"],
            "customer_since": pd.to_datetime(["2016-01-01"]),
        }
    )
    m = account_measures(tx, accounts, as_of=dt.date(2026, 1, 1))
    assert m.loc[0, "years_as_customer"] == pytest.approx(3653 / 365.25)
    assert m.loc[0, "customer_name"] == "Alfa AS"
    assert np.isnan(m.loc[0, "profit"])  # no profit or cost column


def test_account_measures_needs_the_roles():
    with pytest.raises(KamError) as info:
        account_measures(pd.DataFrame({"customer_id": ["1"], "revenue": [1.0]}))
    assert info.value.code == "selection.missing_columns"


# -------------------------------------------------------------------------------- property


@settings(max_examples=60, deadline=None)
@given(
    revenue=st.lists(st.floats(min_value=-1e6, max_value=1e7, allow_nan=False), min_size=1, max_size=25),
    weights=st.tuples(
        st.floats(min_value=0.01, max_value=100),
        st.floats(min_value=0, max_value=100),
        st.floats(min_value=0.01, max_value=100),
    ),
    normalisation=st.sampled_from(["percentile", "minmax"]),
    data=st.data(),
)
def test_ranks_are_a_permutation_and_scores_bounded(revenue, weights, normalisation, data):
    n = len(revenue)
    years = data.draw(st.lists(st.floats(0, 80), min_size=n, max_size=n))
    fit = data.draw(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=n, max_size=n))
    accounts = pd.DataFrame(
        {"customer_id": [f"K{i}" for i in range(n)], "revenue": revenue, "years_as_customer": years}
    )
    manual = pd.DataFrame({"customer_id": accounts["customer_id"], "fit": fit})
    model = four_model(normalisation=normalisation).with_weights(
        dict(zip(["revenue", "fit", "years"], weights))
    )
    scored = score_accounts(accounts, model, manual)
    assert sorted(scored["rank"].tolist()) == list(range(1, n + 1))
    for column in ("total", "attractiveness", "strength", "score__revenue", "score__fit"):
        assert scored[column].between(-1e-9, 100 + 1e-9).all(), column
    assert scored["total"].is_monotonic_decreasing
    assert set(scored["category"]) <= {"key", "key_development", "maintenance", "opportunistic"}


def test_manual_scores_survive_a_workspace_reopen(tmp_path):
    from kamcore.db import Workspace

    table = pd.DataFrame({"customer_id": ["0012", "0013"], "fit": [4, None], "note": ["", "ring Q1"]})
    payload = manual_scores_payload(table, ["fit"], "kari", dt.datetime(2026, 11, 23, 12, 0))
    path = tmp_path / "ws.duckdb"
    ws = Workspace.open(path)
    ws.save_object("manual_scores", "customers", payload, user="kari")
    ws.close()
    reopened = Workspace.open(path)
    try:
        back = manual_scores_from_payload(reopened.load_object("manual_scores", "customers"), ["fit"])
    finally:
        reopened.close()
    back = back.set_index("customer_id")
    assert back.loc["0012", "fit"] == 4.0
    assert back.loc["0013", "note"] == "ring Q1"
    assert back.loc["0012", "by"] == "kari"
    scored = score_accounts(
        pd.DataFrame(
            {"customer_id": ["0012", "0013"], "revenue": [1.0, 2.0], "years_as_customer": [1.0, 1.0]}
        ),
        four_model(),
        back.reset_index(),
    ).set_index("customer_id")
    assert scored.loc["0012", "score__fit"] == 75.0
    assert scored.loc["0013", "missing_inputs"] == "fit"


# ------------------------------------------------------------------ criteria the team adds
def test_team_criterion_is_a_manual_score_with_a_tidy_name():
    criterion = sel.team_criterion("  Innovasjons  partner ", "strength", "higher_is_better")
    assert (criterion.name, criterion.source, criterion.axis) == (
        "Innovasjons partner",
        "manual:Innovasjons partner",
        "strength",
    )
    assert criterion.is_manual and criterion.manual_name == "Innovasjons partner"


@pytest.mark.parametrize("name", ["", "   ", "A, B", "x" * 41, "Revenue", "margin_pct", "strategic_fit"])
def test_team_criterion_names_that_cannot_be_used(name):
    with pytest.raises(KamError) as exc:
        sel.team_criterion(name, "strength")
    assert exc.value.code == "selection.bad_criterion_name"


def test_measure_criterion_only_from_computed_measures():
    assert sel.measure_criterion("purchase_frequency", "attractiveness").source == "purchase_frequency"
    with pytest.raises(KamError) as exc:
        sel.measure_criterion("manual:x", "attractiveness")
    assert exc.value.code == "selection.unknown_source"


def test_add_and_remove_criteria():
    base = sel.default_model()
    added = sel.add_criterion(base, sel.team_criterion("Innovasjon", "strength"))
    assert [c.name for c in added.criteria][-1] == "Innovasjon"
    assert added.manual_names[-1] == "Innovasjon"
    with pytest.raises(KamError) as exc:
        sel.add_criterion(added, sel.team_criterion("innovasjon", "attractiveness"))
    assert exc.value.code == "selection.duplicate_criterion"
    assert sel.remove_criterion(added, "Innovasjon") == base
    assert sel.remove_criterion(base, "nothing") == base


def test_an_added_team_score_drives_its_axis_exactly():
    # Strength is the team score alone: score = 100 * (s - 1) / 4; missing counts as 3.
    model = sel.SelectionModel(
        criteria=(
            sel.Criterion(name="revenue", source="revenue", axis="attractiveness"),
            sel.team_criterion("Innovasjon", "strength"),
        )
    )
    accounts = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue": [10.0, 20.0, 30.0]})
    manual = pd.DataFrame({"customer_id": ["a", "b"], "Innovasjon": [5.0, 2.0]})
    scored = sel.score_accounts(accounts, model, manual).set_index("customer_id")
    assert scored.loc[["a", "b", "c"], "strength"].tolist() == [100.0, 25.0, 50.0]
    assert scored.loc["c", "missing_inputs"] == "Innovasjon"
    lower = model.model_copy(
        update={"criteria": (model.criteria[0], sel.team_criterion("Innovasjon", "strength", "lower_is_better"))}
    )
    scored = sel.score_accounts(accounts, lower, manual).set_index("customer_id")
    assert scored.loc[["a", "b", "c"], "strength"].tolist() == [0.0, 75.0, 50.0]


def test_saving_scores_keeps_those_of_a_criterion_removed_for_now():
    when = dt.datetime(2026, 11, 23, 12, 0)
    first = manual_scores_payload(
        pd.DataFrame({"customer_id": ["a"], "strategic_fit": [4.0], "Innovasjon": [5.0]}),
        ["strategic_fit", "Innovasjon"],
        "kari",
        when,
    )
    second = manual_scores_payload(
        pd.DataFrame({"customer_id": ["a"], "strategic_fit": [2.0]}), ["strategic_fit"], "ola", when, previous=first
    )
    assert second["rows"]["a"]["scores"] == {"Innovasjon": 5.0, "strategic_fit": 2.0}
    assert second["rows"]["a"]["by"] == "ola"


# ------------------------------------------------------- missing scores, coverage, key-size cuts
#
# The 4-account example under the other two missing-score policies (C has no "fit" score).


def test_coverage_counts_the_accounts_with_a_value_per_criterion():
    coverage = criterion_coverage(four_accounts(), four_model(), four_manual())
    assert coverage["criterion"].tolist() == ["revenue", "fit", "years"]
    assert coverage["axis"].tolist() == ["attractiveness", "attractiveness", "strength"]
    assert coverage["n_scored"].tolist() == [4, 3, 4]
    assert coverage["n_accounts"].tolist() == [4, 4, 4]
    np.testing.assert_allclose(coverage["share"], [1.0, 0.75, 1.0])


def test_missing_as_lowest_scores_the_missing_fit_zero():
    s = by_id(score_accounts(four_accounts(), four_model(missing="lowest"), four_manual()))
    np.testing.assert_allclose(s["score__fit"], [100, 0, 0, 50])
    # C: attractiveness (2 * 33.33 + 0) / 3 = 22.22, total (2 * 33.33 + 0 + 33.33) / 4 = 25
    np.testing.assert_allclose(s.loc["C", "attractiveness"], 200 / 9)
    np.testing.assert_allclose(s.loc["C", "total"], 25.0)
    assert s["missing_inputs"].tolist() == ["", "", "fit", ""]


def test_missing_as_lowest_is_the_worst_score_for_a_lower_is_better_criterion():
    model = SelectionModel(
        criteria=(
            Criterion(name="revenue", source="revenue", axis="attractiveness"),
            Criterion(name="fit", source="manual:fit", direction="lower_is_better", axis="strength"),
        ),
        missing="lowest",
    )
    s = by_id(score_accounts(four_accounts(), model, four_manual()))
    # fit 5, 1, -, 3 -> 100, 0, -, 50 -> flipped 0, 100, -, 50; missing C -> 0 (worst), not 100
    np.testing.assert_allclose(s["score__fit"], [0, 100, 0, 50])


def test_exclude_leaves_the_account_out_before_normalising():
    scored = score_accounts(four_accounts(), four_model(missing="exclude"), four_manual())
    assert sorted(scored["customer_id"]) == ["A", "B", "D"]
    s = scored.set_index("customer_id").loc[["A", "B", "D"]]
    # revenue 100, 400, 300 -> 0, 100, 50; years 10, 4, 1 -> 100, 50, 0; fit 100, 0, 50
    np.testing.assert_allclose(s["score__revenue"], [0, 100, 50])
    np.testing.assert_allclose(s["score__years"], [100, 50, 0])
    np.testing.assert_allclose(s["attractiveness"], [100 / 3, 200 / 3, 50])
    np.testing.assert_allclose(s["total"], [50, 62.5, 37.5])
    assert s["rank"].tolist() == [2, 1, 3]
    assert n_excluded(four_accounts(), four_model(missing="exclude"), four_manual()) == 1
    assert n_excluded(four_accounts(), four_model(), four_manual()) == 0


def test_exclude_ignores_criteria_with_weight_zero():
    model = four_model(missing="exclude").with_weights({"fit": 0.0})
    scored = score_accounts(four_accounts(), model, four_manual())
    assert sorted(scored["customer_id"]) == ["A", "B", "C", "D"]


def test_exclude_with_nobody_left_is_a_sentence():
    with pytest.raises(KamError) as caught:
        score_accounts(four_accounts(), four_model(missing="exclude"), None)
    assert caught.value.code == "selection.no_accounts_left"


def test_sensitivity_uses_the_same_accounts_as_the_scoring():
    report = sensitivity(four_accounts(), four_model(missing="exclude"), 1, n_runs=5, manual_scores=four_manual())
    assert sorted(report["customer_id"]) == ["A", "B", "D"]


@pytest.mark.parametrize("missing", ["neutral", "lowest", "exclude"])
def test_sensitivity_reusing_the_scored_accounts_gives_the_same_report(missing):
    model, manual = four_model(missing=missing), four_manual()
    scored = score_accounts(four_accounts(), model, manual)
    for size in (1, 2, 3):
        computed = sensitivity(four_accounts(), model, size, n_runs=40, spread=0.5, manual_scores=manual)
        reused = sensitivity(four_accounts(), model, size, n_runs=40, spread=0.5, manual_scores=manual, scored=scored)
        pd.testing.assert_frame_equal(reused, computed)


#            a   s
# 0         90  85
# 1         80  30
# 2         70  75
# 3         60  65
# 4         50  20
# 5         40  10
# m = 3 (the upper medians): a >= 70 -> {0, 1, 2}; s >= 65 -> {0, 2, 3}; key {0, 2} = 2
# m = 2: a >= 80 -> {0, 1}; s >= 75 -> {0, 2}; key {0} = 1
KEY_A = pd.Series([90.0, 80, 70, 60, 50, 40])
KEY_S = pd.Series([85.0, 30, 75, 65, 20, 10])


@pytest.mark.parametrize(("target", "cuts"), [(15, (70.0, 65.0)), (2, (70.0, 65.0)), (1, (80.0, 75.0))])
def test_key_size_cuts_by_hand(target, cuts):
    assert key_size_cuts(KEY_A, KEY_S, target) == cuts


def test_key_size_cuts_with_ties_keep_every_tied_account():
    flat = pd.Series([50.0, 50.0, 50.0, 50.0])
    assert key_size_cuts(flat, flat, 1) == (50.0, 50.0)


def test_key_size_rule_keeps_the_key_box_within_the_shortlist_limit():
    rng = np.random.default_rng(7)
    n = 400
    accounts = pd.DataFrame(
        {
            "customer_id": [f"K{i:03d}" for i in range(n)],
            "revenue": rng.integers(1, 10_000, n).astype(float),
            "years_as_customer": rng.integers(0, 30, n).astype(float),
        }
    )
    model = SelectionModel(
        criteria=(
            Criterion(name="revenue", source="revenue", axis="attractiveness"),
            Criterion(name="years", source="years_as_customer", axis="strength"),
        ),
        cut_rule="key_size",
        shortlist_limit=15,
    )
    scored = score_accounts(accounts, model)
    n_key = int((scored["category"] == "key").sum())
    assert 1 <= n_key <= 15
    cut_a, cut_s = matrix_cuts(scored, model)
    key = (scored["attractiveness"] >= cut_a) & (scored["strength"] >= cut_s)
    assert key.sum() == n_key
    # the median rule on the same scores puts far more accounts in the key box
    median_key = score_accounts(accounts, model.model_copy(update={"cut_rule": "median"}))
    assert (median_key["category"] == "key").sum() > 15


def test_given_cut_values_win_over_the_rule():
    model = four_model(cut_rule="key_size", cut_attractiveness=35.0, cut_strength=20.0)
    s = by_id(score_accounts(four_accounts(), model, four_manual()))
    assert s["category"].tolist() == ["maintenance", "key", "key", "key_development"]


def test_axis_scores_that_are_equal_in_exact_arithmetic_tie_on_every_cpu():
    # 0.1 + 0.2 != 0.3 in binary floats, and BLAS kernels (which differ by CPU) add in
    # different orders: without rounding, float noise would decide boxes and ranks.
    from kamcore.selection import _axis_score

    model = SelectionModel(
        criteria=(
            Criterion(name="a", source="a", weight=1, axis="attractiveness"),
            Criterion(name="b", source="b", weight=1, axis="attractiveness"),
        )
    )
    scores = pd.DataFrame({"a": [0.1, 0.3], "b": [0.2, 0.0]}, index=["X", "Y"])
    axis = _axis_score(scores, model, "attractiveness")
    assert axis["X"] == axis["Y"] == 0.15


def test_sensitivity_seed_is_the_deprecated_name_of_random_state():
    accounts, model = four_accounts(), four_model()
    manual = four_manual()
    expected = sensitivity(accounts, model, 2, n_runs=20, random_state=7, manual_scores=manual)
    with pytest.warns(DeprecationWarning, match="random_state"):
        old = sensitivity(accounts, model, 2, n_runs=20, seed=7, manual_scores=manual)
    pd.testing.assert_frame_equal(old, expected)


def test_revenue_classes_are_the_portfolio_abc_classes_of_the_scored_accounts():
    scored = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "revenue": [500.0, 300.0, 150.0, 50.0]})
    # cumulative shares 50 %, 80 %, 95 %, 100 % with cut-offs 80 % / 95 %
    assert sel.revenue_classes(scored).to_dict() == {"a": "A", "b": "A", "c": "B", "d": "C"}
    with pytest.raises(KamError) as info:
        sel.revenue_classes(scored.drop(columns="revenue"))
    assert info.value.code == "selection.missing_columns"
