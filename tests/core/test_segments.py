"""Tests for kamcore.segments: RFM scores, k-means segments, names and profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import silhouette_score

from kamcore import segments as sg
from kamcore.errors import KamError

ROOT = Path(__file__).resolve().parents[2]
ITEMS = ["Q6", "Q7", "Q8", "Q9", "Q10"]

# Case B in the domain primer: k-means, k = 3 on Q6–Q10 (1–10 scale), N = 144.
CASE_B = {
    "economists": (41, [3.41, 1.90, 1.70, 2.12, 2.09]),
    "hybrid": (45, [5.2, 3.04, 4.33, 5.91, 3.4]),
    "relationship": (58, [7.32, 7.22, 7.31, 7.15, 6.56]),
}


def case_b_survey(seed: int) -> pd.DataFrame:
    """A survey shaped like case B: three groups around the published centroids, sd 0.9."""
    rng = np.random.default_rng(seed)
    frames = []
    for group, (n, centre) in CASE_B.items():
        answers = np.clip(np.rint(rng.normal(centre, 0.9, size=(n, 5))), 1, 10)
        frame = pd.DataFrame(answers, columns=ITEMS)
        frames.append(frame.assign(group=group))
    survey = pd.concat(frames, ignore_index=True)
    survey.insert(0, "Respondent", np.arange(1, len(survey) + 1))
    return survey


def assert_recovers_case_b(result: sg.SegmentResult) -> None:
    """Sizes within ±5 and centroids within ±0.7 per item of the published segments."""
    published = np.array([centre for _, centre in CASE_B.values()])
    sizes = np.array([n for n, _ in CASE_B.values()])
    found = result.centroids[ITEMS].to_numpy()
    cost = ((found[:, None, :] - published[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    for row, col in zip(rows, cols, strict=True):
        assert abs(int(result.sizes.iloc[row]) - sizes[col]) <= 5
        assert np.all(np.abs(found[row] - published[col]) <= 0.7), (found[row], published[col])


# --------------------------------------------------------------------------- case B


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_case_b_with_k3_recovers_sizes_and_centroids(seed: int) -> None:
    result = sg.kmeans_segments(case_b_survey(seed), ITEMS, k=3)
    assert result.k == 3
    assert result.sizes.sum() == 144
    assert_recovers_case_b(result)
    assert result.choice_rule == "fixed"
    assert list(result.k_scores["k"]) == [3]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_case_b_auto_k_proposes_three(seed: int) -> None:
    result = sg.kmeans_segments(case_b_survey(seed), ITEMS)
    assert result.k == 3
    assert_recovers_case_b(result)
    assert list(result.k_scores["k"]) == list(range(2, 9))
    assert list(result.k_scores.columns) == [
        "k",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "gap",
        "gap_se",
    ]
    # The reason names the deciding rule and every index that disagrees with it.
    assert result.choice_rule == "gap_1se"
    assert result.choice_reason.startswith("k = 3: gap statistic")
    for index, label in [("silhouette", "Silhouette"), ("davies_bouldin", "Davies–Bouldin")]:
        other = result.k_by_index[index]
        expected = "agrees" if other == 3 else f"prefers k = {other}"
        assert f"{label} {expected}." in result.choice_reason
    assert result.stability_ari == pytest.approx(1.0, abs=0.05)
    assert result.silhouette_method == "exact"
    assert result.algorithm == "KMeans(n_init=10)"
    assert result.weighted_distinct_rows is None


DEALER = ROOT / "data" / "demo" / "survey_dealer.csv"


@pytest.mark.skipif(not DEALER.exists(), reason="demo survey not generated yet")
def test_demo_dealer_survey_matches_case_b() -> None:
    survey = pd.read_csv(DEALER, sep=";")
    incomplete = int(survey[ITEMS].isna().any(axis=1).sum())
    fixed = sg.kmeans_segments(survey, ITEMS, k=3)
    assert fixed.n_excluded_missing == incomplete
    assert fixed.n_used == len(survey) - incomplete
    assert_recovers_case_b(fixed)
    auto = sg.kmeans_segments(survey, ITEMS)
    assert auto.k == 3
    assert_recovers_case_b(auto)
    assert sg.respondent_key(survey) == "Respondent"


# --------------------------------------------------------------------------- k-means behaviour


def test_labels_are_deterministic_for_a_fixed_seed() -> None:
    survey = case_b_survey(7)
    first = sg.kmeans_segments(survey, ITEMS, random_state=11)
    second = sg.kmeans_segments(survey, ITEMS, random_state=11)
    pd.testing.assert_series_equal(first.labels, second.labels)
    pd.testing.assert_frame_equal(first.k_scores, second.k_scores)
    # Segment ids follow the first feature's centroid, so they are ordered the same way.
    assert first.centroids["Q6"].is_monotonic_increasing


def test_centroids_are_in_original_units() -> None:
    # Two clusters on very different scales; standard scaling must not leak into centroids.
    table = pd.DataFrame(
        {"visits": [0.0, 1.0, 0.0, 10.0, 11.0, 10.0], "revenue": [100, 110, 120, 1000, 1100, 1200]},
        index=list("abcdef"),
    )
    result = sg.kmeans_segments(table, ["visits", "revenue"], k=2)
    expected = pd.DataFrame(
        {"visits": [1 / 3, 31 / 3], "revenue": [110.0, 1100.0]},
        index=pd.Index([1, 2], name="segment"),
    )
    pd.testing.assert_frame_equal(result.centroids, expected)
    assert result.labels.to_dict() == {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 2}
    assert result.sizes.tolist() == [3, 3]
    for scale in ("minmax", "none"):
        other = sg.kmeans_segments(table, ["visits", "revenue"], k=2, scale=scale)
        pd.testing.assert_frame_equal(other.centroids, expected)


def test_missing_values_are_excluded_and_counted() -> None:
    survey = case_b_survey(4)
    survey.loc[[0, 50, 100], "Q7"] = np.nan
    survey.loc[100, "Q9"] = np.nan  # two gaps in one row still count as one row
    survey.loc[10, "group"] = None  # not a feature: must not count
    result = sg.kmeans_segments(survey, ITEMS, k=3)
    assert result.n_excluded_missing == 3
    assert result.n_imputed == 0
    assert result.n_used == 141
    assert result.labels.isna().sum() == 3
    assert result.labels.loc[[0, 50, 100]].isna().all()
    assert int(result.sizes.sum()) == 141

    imputed = sg.kmeans_segments(survey, ITEMS, k=3, impute="median")
    assert imputed.n_excluded_missing == 0
    assert imputed.n_imputed == 3
    assert imputed.labels.notna().all()


def test_labels_align_with_a_non_default_index() -> None:
    survey = case_b_survey(5).set_index("Respondent")
    survey.loc[3, "Q8"] = np.nan
    result = sg.kmeans_segments(survey, ITEMS, k=3)
    assert result.labels.index.equals(survey.index)
    assert pd.isna(result.labels.loc[3])
    truth = survey["group"].drop(index=3)
    labels = result.labels.drop(index=3)
    # Each true group maps onto one segment (allowing the odd noisy respondent).
    agreement = pd.crosstab(truth, labels).max(axis=1).sum() / len(truth)
    assert agreement > 0.95


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_permuting_rows_does_not_change_segments(seed: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 90))
    table = pd.DataFrame(rng.normal(size=(n, 3)).round(1), columns=["a", "b", "c"])
    table.loc[table.index % 3 == 1, "a"] += 6
    table.loc[table.index % 3 == 2, "b"] += 6
    order = data.draw(st.permutations(list(range(n))))
    shuffled = table.iloc[order]
    before = sg.kmeans_segments(table, ["a", "b", "c"], k=3)
    after = sg.kmeans_segments(shuffled, ["a", "b", "c"], k=3)
    assert before.sizes.tolist() == after.sizes.tolist()
    pd.testing.assert_series_equal(before.labels, after.labels.loc[table.index])


def test_silhouettes_match_sklearn() -> None:
    rng = np.random.default_rng(3)
    points = rng.normal(size=(700, 4))
    labelings = [rng.integers(0, k, size=700) for k in (2, 3, 5)]
    labelings.append(np.where(np.arange(700) == 0, 9, labelings[0]))  # a singleton cluster
    ours = sg._silhouettes(points, labelings)
    theirs = [silhouette_score(points, labels) for labels in labelings]
    assert ours == pytest.approx(theirs, rel=0, abs=1e-9)


def test_gap_rule_takes_the_first_elbow() -> None:
    gap = {2: 1.0, 3: 1.5, 4: 1.52, 5: 1.49}
    se = {2: 0.03, 3: 0.03, 4: 0.05, 5: 0.03}
    # 1.0 < 1.5 - 0.03; 1.5 >= 1.52 - 0.05 -> k = 3
    assert sg._gap_choice([2, 3, 4, 5], gap, se) == (3, True)
    rising = {2: 1.0, 3: 1.2, 4: 1.4}
    tight = {2: 0.01, 3: 0.01, 4: 0.01}
    assert sg._gap_choice([2, 3, 4], rising, tight) == (4, False)


def test_no_elbow_falls_back_to_silhouette() -> None:
    # Uniform noise: the gap keeps rising or is flat, so the rule says which one decided.
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.uniform(size=(300, 2)), columns=["x", "y"])
    result = sg.kmeans_segments(table, ["x", "y"], k_range=(2, 5))
    assert result.choice_rule in ("gap_1se", "highest_silhouette")
    if result.choice_rule == "highest_silhouette":
        assert result.k == result.k_by_index["silhouette"]
        assert "no elbow" in result.choice_reason
    else:
        assert result.k == result.k_by_index["gap"]


def test_large_table_uses_minibatch_and_sampled_silhouette() -> None:
    rng = np.random.default_rng(8)
    centres = np.array([[0, 0], [8, 0], [0, 8]])
    groups = rng.integers(0, 3, size=12_000)
    points = centres[groups] + rng.normal(size=(12_000, 2))
    table = pd.DataFrame(points, columns=["x", "y"])
    result = sg.kmeans_segments(table, ["x", "y"], k_range=(2, 4))
    assert result.algorithm.startswith("MiniBatchKMeans")
    assert result.silhouette_method == "sample of 5000"
    assert result.k == 3
    expected = np.sort(np.bincount(groups))
    assert np.abs(np.sort(result.sizes.to_numpy()) - expected).max() <= 60


def test_constant_feature_does_not_break_scaling() -> None:
    table = pd.DataFrame({"x": [1.0, 1.1, 5.0, 5.1], "flat": [2.0] * 4})
    result = sg.kmeans_segments(table, ["x", "flat"], k=2)
    assert result.sizes.tolist() == [2, 2]
    assert result.centroids["flat"].tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda t: sg.kmeans_segments(t, ["Q6", "nope"], k=2), "segments.missing_column"),
        (lambda t: sg.kmeans_segments(t, ["Q6", "group"], k=2), "segments.not_numeric"),
        (lambda t: sg.kmeans_segments(t, [], k=2), "segments.no_features"),
        (lambda t: sg.kmeans_segments(t, ["Q6"], k=1), "segments.bad_k"),
        (lambda t: sg.kmeans_segments(t.head(3), ["Q6", "Q7"], k=4), "segments.too_few_rows"),
        (lambda t: sg.kmeans_segments(t, ["Q6"], k=2, scale="cube"), "segments.bad_option"),
        (lambda t: sg.kmeans_segments(t, ["Q6"], k=2, impute="mean"), "segments.bad_option"),
    ],
)
def test_user_errors_are_kam_errors(call, code: str) -> None:
    with pytest.raises(KamError) as caught:
        call(case_b_survey(0))
    assert caught.value.code == code


def test_every_error_code_is_translated() -> None:
    source = (ROOT / "kamcore" / "segments.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'"segments\.([a-z_]+)"', source))
    catalogue = json.loads((ROOT / "ui" / "locales" / "err_segments.json").read_text("utf-8"))
    assert codes, "no error codes found"
    assert codes <= set(catalogue)
    for code in codes:
        assert set(catalogue[code]) == {"en", "nb", "sv"}
        assert all(catalogue[code][lang].strip() for lang in ("en", "nb", "sv"))


# --------------------------------------------------------------------------- naming & profiles


def test_describe_segments_names_case_b() -> None:
    result = sg.kmeans_segments(case_b_survey(1), ITEMS, k=3)
    names = sg.describe_segments(result, scale_range=(1, 10))
    # Segment 1 has the lowest Q6 (economists), 3 the highest (relationship-seeking).
    assert names[1] == "low Q6–Q10"
    assert names[3] == "high Q6–Q10"
    assert len(set(names.values())) == 3
    parts = sg.segment_name_parts(result, scale_range=(1, 10))
    assert parts[3] == [sg.NamePart(features=ITEMS, level="high")]
    labelled = sg.describe_segments(
        result, feature_labels={"Q6": "follow-up", "Q10": "loyalty"}, scale_range=(1, 10)
    )
    assert labelled[3] == "high follow-up–loyalty"


def test_describe_segments_by_feature_and_uniqueness() -> None:
    table = pd.DataFrame(
        {"visits": [0.0, 1.0, 0.0, 10.0, 11.0, 10.0], "revenue": [1000, 1100, 1200, 100, 110, 120]}
    )
    result = sg.kmeans_segments(table, ["visits", "revenue"], k=2)
    assert sg.describe_segments(result) == {
        1: "low visits, high revenue",
        2: "high visits, low revenue",
    }
    # Two segments that are both "average" get distinct names.
    flat = pd.DataFrame({"x": [0.0, 0.1, 0.2, 0.3]})
    same = sg.kmeans_segments(flat, ["x"], k=2)
    names = sg.describe_segments(same, scale_range=(0, 10))
    assert names == {1: "average x (segment 1)", 2: "average x (segment 2)"}


def test_segment_profile_exact_values() -> None:
    table = pd.DataFrame({"a": [1.0, 3.0, 10.0, 12.0, 99.0], "b": [0.0, 2.0, 4.0, 6.0, 8.0]})
    labels = pd.Series([1, 1, 2, 2, pd.NA], dtype="Int64")
    profile = sg.segment_profile(table, labels, ["a", "b"])
    expected = pd.DataFrame(
        {
            "segment": [1, 1, 2, 2],
            "feature": ["a", "b", "a", "b"],
            "n": [2, 2, 2, 2],
            "mean": [2.0, 1.0, 11.0, 5.0],
            "overall_mean": [6.5, 3.0, 6.5, 3.0],
            "difference": [-4.5, -2.0, 4.5, 2.0],
            "std": [np.sqrt(2), np.sqrt(2), np.sqrt(2), np.sqrt(2)],
        }
    )
    pd.testing.assert_frame_equal(profile, expected, check_dtype=False)


def test_profile_means_equal_centroids() -> None:
    survey = case_b_survey(2)
    result = sg.kmeans_segments(survey, ITEMS, k=3)
    profile = sg.segment_profile(survey, result.labels, ITEMS)
    wide = profile.pivot(index="segment", columns="feature", values="mean")[ITEMS]
    np.testing.assert_allclose(wide.to_numpy(), result.centroids.to_numpy())


def test_pca_2d_matches_an_independent_projection() -> None:
    survey = case_b_survey(3)
    survey.loc[5, "Q6"] = np.nan
    coords = sg.pca_2d(survey, ITEMS, scale="standard")
    assert list(coords.columns) == ["pc1", "pc2"]
    assert len(coords) == 143 and 5 not in coords.index
    complete = survey[ITEMS].dropna().to_numpy()
    z = (complete - complete.mean(axis=0)) / complete.std(axis=0)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(z, rowvar=False)))[::-1]
    ratio = coords.attrs["explained_variance_ratio"]
    np.testing.assert_allclose(ratio, eigenvalues[:2] / eigenvalues.sum(), rtol=1e-9)
    np.testing.assert_allclose(coords.var(ddof=1).to_numpy(), eigenvalues[:2], rtol=1e-9)
    single = sg.pca_2d(survey, ["Q6"], scale="none")
    assert (single["pc2"] == 0).all()
    assert single.attrs["explained_variance_ratio"] == [1.0, 0.0]


def test_respondent_key_guesses() -> None:
    assert sg.respondent_key(pd.DataFrame({"ID": [1, 2], "Q1": [3, 4]})) == "ID"
    assert sg.respondent_key(pd.DataFrame({"name": ["x", "y"], "Q1": [3, 4]})) == "name"
    assert sg.respondent_key(pd.DataFrame({"Q1": [3, 4]})) is None


# --------------------------------------------------------------------------- RFM


def four_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cust": ["A", "A", "A", "B", "C", "C", "D", "D", "D"],
            "date": pd.to_datetime(
                [
                    "2026-03-01",
                    "2026-03-01",
                    "2026-03-10",
                    "2026-01-05",
                    "2026-02-01",
                    "2026-02-20",
                    "2025-12-01",
                    "2026-02-10",
                    "2026-02-10",
                ]
            ),
            "order": ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9"],
            "value": [100.0, 50.0, 25.0, 400.0, 10.0, 20.0, 1000.0, 500.0, -100.0],
        }
    )


def test_rfm_hand_computed_four_customers() -> None:
    result = sg.rfm(four_customers(), "cust", "date", "value", order="order")
    assert result.attrs["as_of"] == pd.Timestamp("2026-03-11")
    assert result.attrs["frequency"] == "orders"
    assert result.index.tolist() == ["A", "B", "C", "D"]
    assert result["recency_days"].tolist() == [1, 65, 19, 29]
    assert result["frequency"].tolist() == [3, 1, 2, 3]
    assert result["monetary"].tolist() == [175.0, 400.0, 30.0, 1400.0]
    # Mid-rank quintiles of 4 values: ranks 1..4 -> 1, 2, 4, 5; a tie at ranks 3-4 -> 4.
    assert result["r_score"].tolist() == [5, 1, 4, 2]
    assert result["f_score"].tolist() == [4, 1, 2, 4]
    assert result["m_score"].tolist() == [2, 4, 1, 5]
    assert result["fm_score"].tolist() == [3, 3, 2, 5]
    assert result["rfm_segment"].tolist() == [
        "potential_loyalist",
        "at_risk",
        "potential_loyalist",
        "cant_lose",
    ]


def test_rfm_frequency_definitions_and_as_of() -> None:
    days = sg.rfm(four_customers(), "cust", "date", "value")
    assert days.attrs["frequency"] == "purchase_days"
    assert days["frequency"].tolist() == [2, 1, 2, 2]
    months = sg.rfm(four_customers(), "cust", "date", "value", frequency="active_months")
    assert months.attrs["frequency"] == "active_months"
    assert months["frequency"].tolist() == [1, 1, 1, 2]
    fixed = sg.rfm(four_customers(), "cust", "date", "value", as_of="2026-04-01")
    assert fixed["recency_days"].tolist() == [22, 86, 40, 50]
    with pytest.raises(KamError) as caught:
        sg.rfm(four_customers(), "cust", "date", "value", frequency="weekly")
    assert caught.value.code == "segments.bad_option"


def test_quintile_score_rules() -> None:
    assert sg.quintile_score(pd.Series([5, 1, 4, 2, 3])).tolist() == [5, 1, 4, 2, 3]
    assert sg.quintile_score(pd.Series(range(10))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert sg.quintile_score(pd.Series([7.0] * 6)).tolist() == [3] * 6
    assert sg.quintile_score(pd.Series([1, 2, 3, 4, 5]), higher_is_better=False).tolist() == [
        5,
        4,
        3,
        2,
        1,
    ]


@given(st.lists(st.integers(-50, 50), min_size=1, max_size=60))
def test_quintile_scores_are_monotone_and_bounded(values: list[int]) -> None:
    series = pd.Series(values)
    scores = sg.quintile_score(series)
    assert scores.between(1, 5).all()
    ordered = scores.iloc[np.argsort(series.to_numpy(), kind="stable")].to_numpy()
    assert (np.diff(ordered) >= 0).all()
    # Equal values always share a score.
    assert (scores.groupby(series).nunique() == 1).all()


def test_rfm_grid_covers_every_score_pair_and_every_segment() -> None:
    seen = {sg.rfm_segment(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert seen == set(sg.RFM_SEGMENTS)
    assert sg.rfm_segment(5, 5) == "champions"
    assert sg.rfm_segment(1, 1) == "lost"
    assert sg.rfm_segment(1, 5) == "cant_lose"
    assert sg.rfm_segment(5, 1) == "new"


def test_rfm_ignores_rows_without_customer_or_date() -> None:
    tx = four_customers()
    tx.loc[len(tx)] = [None, pd.Timestamp("2026-03-30"), "o10", 5.0]
    tx.loc[len(tx)] = ["E", pd.NaT, "o11", 5.0]
    result = sg.rfm(tx, "cust", "date", "value", order="order")
    assert result.index.tolist() == ["A", "B", "C", "D"]
    assert result.attrs["as_of"] == pd.Timestamp("2026-03-11")
    with pytest.raises(KamError) as caught:
        sg.rfm(tx.iloc[-1:], "cust", "date", "value")
    assert caught.value.code == "segments.no_transactions"


def test_account_features_add_margin_and_names() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["001", "001", "002"],
            "customer_name": ["Acme", "Acme", "Bolt"],
            "date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]),
            "order_id": ["1", "2", "3"],
            "revenue": [100.0, 100.0, -10.0],
            "profit": [30.0, 10.0, -5.0],
        }
    )
    features = sg.account_features(tx)
    assert features.index.tolist() == ["001", "002"]
    assert features["margin_pct"].iloc[0] == pytest.approx(0.2)
    assert np.isnan(features["margin_pct"].iloc[1])
    assert features["customer_name"].tolist() == ["Acme", "Bolt"]
    assert features["frequency"].tolist() == [2, 1]


def test_account_features_by_codes_equal_the_text_grouping() -> None:
    """A text customer_id is grouped on the portfolio's customer codes (issue 19); an object
    column takes the text groupby. Both give these hand-computed figures."""
    rows = {
        "customer_id": ["b", "a", "b", None, "c", "d", "a", "e"],
        "customer_name": [None, "A1", "B2", "X", None, "D", "A2", "E"],
        "date": pd.to_datetime(["2026-01-01", "2026-01-02", None, "2026-01-03", "2026-01-04", "2026-01-05",
                                "2026-01-06", None]),
        "order_id": ["1", "2", "3", "4", "5", "6", "7", "8"],
        "revenue": [100.0, np.nan, 50.0, 5.0, -10.0, 0.0, 20.0, 3.0],
        "profit": [30.0, 4.0, np.nan, 1.0, -5.0, 1.0, np.nan, 1.0],
    }
    text = pd.DataFrame(rows).astype({c: "str" for c in ("customer_id", "customer_name", "order_id")})
    text = text.assign(customer_id=text["customer_id"].where(pd.Series(rows["customer_id"]).notna()),
                       customer_name=text["customer_name"].where(pd.Series(rows["customer_name"]).notna()))
    as_object = pd.DataFrame(rows).astype({"customer_id": object, "customer_name": object, "order_id": object})
    assert isinstance(text["customer_id"].dtype, pd.StringDtype)
    assert not isinstance(as_object["customer_id"].dtype, pd.StringDtype)
    fast, slow = sg.account_features(text), sg.account_features(as_object)
    # e has no dated row; b's undated 50 counts in revenue (150) but its profit is missing (30)
    assert fast.index.tolist() == ["a", "b", "c", "d"]
    assert fast["margin_pct"].tolist()[:2] == [4.0 / 20.0, 30.0 / 150.0]
    assert fast["margin_pct"].iloc[2:].isna().all()  # revenue -10 and 0: no margin
    assert fast["customer_name"].tolist()[:2] == ["A1", "B2"]
    assert fast["customer_name"].iloc[2] != fast["customer_name"].iloc[2]  # c has no name: missing
    assert fast["customer_name"].iloc[3] == "D"
    pd.testing.assert_series_equal(fast["margin_pct"], slow["margin_pct"], check_index_type=False)
    assert fast["customer_name"].tolist()[:2] + fast["customer_name"].tolist()[3:] == (
        slow["customer_name"].tolist()[:2] + slow["customer_name"].tolist()[3:]
    )


CDNOW = ROOT / "tests" / "fixtures" / "real" / "cdnow_master.txt"


def test_rfm_on_cdnow() -> None:
    raw = pd.read_csv(CDNOW, sep=r"\s+", dtype={"customer_id": "str"})
    assert len(raw) == 69_659
    assert int((raw["dollar_value"] == 0).sum()) == 80
    raw = raw.assign(date=pd.to_datetime(raw["date"].astype("str"), format="%Y%m%d"))
    result = sg.rfm(raw, "customer_id", "date", "dollar_value")
    # Independent count: distinct first fields of the raw text lines.
    lines = CDNOW.read_text(encoding="utf-8").splitlines()[1:]
    distinct = {line.split()[0] for line in lines if line.strip()}
    assert len(distinct) == 23_570
    assert len(result) == 23_570
    assert set(result.index) == distinct
    assert result["monetary"].sum() == pytest.approx(raw["dollar_value"].sum())
    assert result.attrs["as_of"] == pd.Timestamp("1998-07-01")
    assert result["recency_days"].min() >= 1
    assert result[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    assert set(result["rfm_segment"]) <= set(sg.RFM_SEGMENTS)
    # Customer 00001 bought once on 1997-01-01 (one line): 546 days before 1998-07-01.
    assert result.loc["00001", ["recency_days", "frequency"]].tolist() == [546, 1]


def test_log_scale_groups_small_and_large_accounts_instead_of_isolating_the_giant() -> None:
    # Revenue 1, 2, 3 | 1,000, 2,000, 100,000. On z-scores the giant is a segment alone; on
    # sign(x)·log(1 + |x|) (0.69, 1.10, 1.39 | 6.91, 7.60, 11.51) the small three and the
    # large three are the two segments.
    table = pd.DataFrame({"revenue": [1.0, 2.0, 3.0, 1000.0, 2000.0, 100000.0]}, index=list("abcdef"))
    standard = sg.kmeans_segments(table, ["revenue"], k=2, scale="standard")
    assert standard.labels.to_dict() == {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 2}
    logged = sg.kmeans_segments(table, ["revenue"], k=2, scale="log")
    assert logged.labels.to_dict() == {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2, "f": 2}
    # Centroids stay in the original units.
    assert logged.centroids["revenue"].tolist() == [2.0, 103000.0 / 3]
    assert logged.scale == "log"


def test_log_scale_keeps_the_sign_of_losses() -> None:
    table = pd.DataFrame({"profit": [-5000.0, -4000.0, -3000.0, 10.0, 20.0, 30.0]}, index=list("abcdef"))
    coords = sg.pca_2d(table, ["profit"], scale="log")
    assert (coords.loc[["a", "b", "c"], "pc1"] * coords.loc["d", "pc1"] < 0).all()


def rfm_like_scores(n: int = 20_000, seed: int = 3) -> pd.DataFrame:
    """Three 1-5 scores for ``n`` accounts: at most 125 different rows, most of them repeated."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    base = np.array([[5, 5, 5], [3, 2, 2], [1, 1, 2]])[kind]
    noise = rng.integers(-1, 2, size=(n, 3))
    scores = np.clip(base + noise, 1, 5)
    return pd.DataFrame(scores.astype(float), columns=["r_score", "f_score", "m_score"])


def test_fixed_k_without_diagnostics_is_the_same_fit_with_nothing_else() -> None:
    table = rfm_like_scores()
    lean = sg.kmeans_segments(table, ["r_score", "f_score", "m_score"], k=3, diagnostics=False)
    full = sg.kmeans_segments(table, ["r_score", "f_score", "m_score"], k=3)
    pd.testing.assert_series_equal(lean.labels, full.labels)
    pd.testing.assert_frame_equal(lean.centroids, full.centroids)
    assert lean.choice_rule == full.choice_rule == "fixed"
    assert np.isnan(lean.stability_ari) and not np.isnan(full.stability_ari)
    assert lean.k_scores["k"].tolist() == [3] and lean.k_scores.drop(columns="k").isna().all().all()
    assert lean.k_by_index == {}


def test_repeated_rows_are_clustered_once_weighted_by_count() -> None:
    table = rfm_like_scores()
    result = sg.kmeans_segments(table, ["r_score", "f_score", "m_score"], k=3, diagnostics=False)
    distinct = table.drop_duplicates()
    assert result.algorithm == "KMeans(n_init=10)"
    assert result.weighted_distinct_rows == len(distinct)
    # Equal rows share a segment, and the three kinds come out with their true sizes.
    per_row = table.assign(segment=result.labels).groupby(["r_score", "f_score", "m_score"])["segment"].nunique()
    assert (per_row == 1).all()
    # The same objective as clustering every row: weighted inertia equals row-by-row inertia.
    from sklearn.cluster import KMeans

    scaled = (table - table.mean()) / table.std(ddof=0)
    centres = scaled.groupby(result.labels.to_numpy()).mean()
    inertia = float(((scaled.to_numpy() - centres.loc[result.labels.to_numpy()].to_numpy()) ** 2).sum())
    reference = KMeans(n_clusters=3, n_init=10, random_state=0).fit(scaled.to_numpy()).inertia_
    assert inertia <= reference * (1 + 1e-9)


@pytest.mark.parametrize("order", [None, "order_id"])
def test_rfm_on_text_customer_ids_equals_the_grouped_computation(order) -> None:
    # Text ids take the code path (shared with the portfolio analyses); the same frame with
    # object ids takes pandas' groupby. Both must give identical tables.
    rng = np.random.default_rng(5)
    n = 3_000
    ids = pd.Series([f"K{i:03d}" for i in rng.integers(0, 250, n)], dtype="str")
    ids[rng.random(n) < 0.02] = None
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"))
    dates[rng.random(n) < 0.02] = pd.NaT
    orders = pd.Series((rng.integers(0, 900, n)).astype(str), dtype="str")
    orders[rng.random(n) < 0.03] = None
    table = pd.DataFrame({"k": ids, "d": dates, "v": rng.normal(100, 50, n), "o": orders})
    plain = table.assign(k=table["k"].astype(object))
    arguments = {"order": "o"} if order else {}
    fast = sg.rfm(table, "k", "d", "v", **arguments)
    slow = sg.rfm(plain, "k", "d", "v", **arguments)
    pd.testing.assert_frame_equal(fast, slow, check_index_type=False)
    assert fast.attrs == slow.attrs
    assert list(fast.index[:3]) == ["K000", "K001", "K002"]
