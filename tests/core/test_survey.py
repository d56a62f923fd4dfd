"""Tests for kamcore.survey: hand-computed examples, scipy/pingouin cross-checks, the demo story."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kamcore.errors import KamError
from kamcore.survey import (
    QUADRANTS,
    alpha_if_dropped,
    cronbach_alpha,
    customer_gap,
    customer_gap_by_dimension,
    describe_dimensions,
    describe_items,
    distribution,
    holm,
    ipa,
    loyalty_types,
    mirror_gap,
    nps,
    reliability_by_dimension,
    repeat_purchase_months,
    signed_rank_p,
)
from kamcore.survey_headers import guess_item_dictionary
from kamcore.survey_model import ItemDictionary
from kamcore.survey_respondents import (
    churned_flag,
    exclude_incomplete,
    group_labels,
    respondent_attributes,
    survey_items,
)
from tests.core.demo_files import read_norwegian

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-9




def random_survey(seed: int, n: int = 40, items: int = 4, missing: float = 0.1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(4, 1.2, size=(n, 1))
    values = np.clip(np.round(base + rng.normal(0, 1, size=(n, items))), 1, 7)
    values[rng.random(values.shape) < missing] = np.nan
    return pd.DataFrame(values, columns=[f"i{j}" for j in range(items)])


# ---------------------------------------------------------------- descriptives


def test_describe_items_by_hand():
    df = pd.DataFrame({"Q1": [1, 2, 2, 5, np.nan], "Q2": [7, 7, 7, 7, 7]})
    out = describe_items(df, ["Q1", "Q2"]).set_index("item")
    q1 = out.loc["Q1"]
    assert q1["n"] == 4
    assert q1["mean"] == 2.5
    # deviations -1.5, -0.5, -0.5, 2.5 -> squares sum 9, / 3
    assert q1["sd"] == pytest.approx(math.sqrt(3), abs=TOL)
    assert (q1["median"], q1["min"], q1["max"]) == (2.0, 1.0, 5.0)
    assert q1["distribution"] == {1.0: 1, 2.0: 2, 5.0: 1}
    assert out.loc["Q2", "sd"] == 0.0


def test_distribution_fills_the_scale():
    df = pd.DataFrame({"Q1": [1, 3, 3, np.nan]})
    out = distribution(df, ["Q1"], scale=(1, 5))
    assert out["value"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert out["count"].tolist() == [1, 0, 2, 0, 0]
    assert out["share"].tolist() == pytest.approx([1 / 3, 0, 2 / 3, 0, 0])


def test_case_b_shaped_file_reproduces_its_own_means_and_sds(demo_dir):
    dealer = read_norwegian(demo_dir / "survey_dealer.csv")
    items = [f"Q{i}" for i in range(3, 13)]
    kept = exclude_incomplete(dealer, items, "listwise").frame
    out = describe_items(kept, items).set_index("item")
    raw = (demo_dir / "survey_dealer.csv").read_text(encoding="utf-8-sig").splitlines()
    header = raw[0].split(";")
    rows = [line.split(";") for line in raw[1:] if line]
    complete = [r for r in rows if all(r[header.index(q)] != "" for q in items)]
    assert len(complete) == 144
    for q in items:
        values = [int(r[header.index(q)]) for r in complete]
        assert out.loc[q, "n"] == 144
        assert out.loc[q, "mean"] == pytest.approx(statistics.fmean(values), abs=1e-12)
        assert out.loc[q, "sd"] == pytest.approx(statistics.stdev(values), abs=1e-12)
    # the published rounded means of the primer (N = 144)
    published = {"Q6": 5.55, "Q7": 4.40, "Q8": 4.78, "Q9": 5.33}
    for q, m in published.items():
        assert round(out.loc[q, "mean"], 2) == pytest.approx(m, abs=0.011)


def test_describe_dimensions_keeps_roles_apart():
    df = pd.DataFrame({"E_acc1": [6, 7], "E_acc2": [4, np.nan], "P_acc1": [2, 3], "P_acc2": [4, 5]})
    model = ItemDictionary.from_frame(guess_item_dictionary(list(df.columns)))
    out = describe_dimensions(df, model).set_index("role")
    # respondent scores: E = (5, 7) ; P = (3, 4)
    assert out.loc["expectation", ["n_items", "n", "mean"]].tolist() == [2, 2, 6.0]
    assert out.loc["expectation", "sd"] == pytest.approx(math.sqrt(2), abs=TOL)
    assert out.loc["perception", "mean"] == 3.5


# ---------------------------------------------------------------- customer gap


def test_customer_gap_by_hand():
    df = pd.DataFrame({"E": [5, 6, 7, 4, np.nan], "P": [4, 6, 5, 5, 3]})
    out = customer_gap(df, {"x": ("E", "P")})
    assert list(out.columns) == [
        "pair",
        "n",
        "mean_expectation",
        "mean_perception",
        "mean_gap",
        "ci_low",
        "ci_high",
        "t_p",
        "wilcoxon_p",
        "p_holm",
        "d_z",
        "small_n",
    ]
    row = out.iloc[0]
    # d = -1, 0, -2, 1: mean -0.5, squared deviations 0.25 + 0.25 + 2.25 + 2.25 = 5, var 5/3
    sd = math.sqrt(5 / 3)
    assert row["n"] == 4
    assert row["mean_expectation"] == 5.5 and row["mean_perception"] == 5.0
    assert row["mean_gap"] == -0.5
    t975_3 = 3.182446305284263  # t(0.975, df = 3) from tables
    assert row["ci_low"] == pytest.approx(-0.5 - t975_3 * sd / 2, abs=1e-9)
    assert row["ci_high"] == pytest.approx(-0.5 + t975_3 * sd / 2, abs=1e-9)
    assert row["d_z"] == pytest.approx(-0.5 / sd, abs=TOL)
    t = -0.5 / (sd / 2)
    assert row["t_p"] == pytest.approx(2 * stats.t.sf(abs(t), 3), abs=TOL)
    assert row["p_holm"] == row["t_p"]
    assert np.isnan(row["wilcoxon_p"])  # only three non-zero differences
    assert bool(row["small_n"])


def test_customer_gap_matches_scipy_and_pingouin():
    df = random_survey(7, n=60, items=6, missing=0.08)
    pairs = {"a": ("i0", "i1"), "b": ("i2", "i3"), "c": ("i4", "i5")}
    out = customer_gap(df, pairs).set_index("pair")
    for name, (e, p) in pairs.items():
        both = df[[e, p]].dropna()
        x, y = both[p].to_numpy(), both[e].to_numpy()
        assert out.loc[name, "n"] == len(both)
        assert out.loc[name, "mean_gap"] == pytest.approx((x - y).mean(), abs=TOL)
        res = stats.ttest_rel(x, y)
        assert out.loc[name, "t_p"] == pytest.approx(res.pvalue, abs=TOL)
        ci = res.confidence_interval()
        assert out.loc[name, "ci_low"] == pytest.approx(ci.low, abs=TOL)
        assert out.loc[name, "ci_high"] == pytest.approx(ci.high, abs=TOL)
        assert out.loc[name, "wilcoxon_p"] == pytest.approx(stats.wilcoxon(x - y).pvalue, abs=TOL)
        assert out.loc[name, "d_z"] == pytest.approx(
            pg.compute_effsize(x, y, paired=True, eftype="cohen_dz"), abs=TOL
        )
        assert not out.loc[name, "small_n"]
    expected_holm = pg.multicomp(out["t_p"].to_numpy(), method="holm")[1]
    assert out["p_holm"].to_numpy() == pytest.approx(expected_holm, abs=TOL)


@pytest.mark.parametrize(
    "d",
    [
        [1, 1, 2, -1, 0, 3, 1, 2, -2, 1],  # ties and a zero: scipy's exhaustive permutation branch
        [2, 2, 2, -2, 1, 1, 3, 0, 0, 4, -1, 2],
        [1.5, -0.25, 3.0, 2.0, 0.5, 4.0, -1.0],  # no ties: exact distribution
        [1, 1, 2, -1, 0, 3, 1, 2, -2, 1, 1, 1, 2, 3, 1, -1, 2, 2, 1, 1],  # ties, n > 13: normal approximation
    ],
)
def test_signed_rank_p_equals_scipy(d):
    assert signed_rank_p(np.array(d, dtype=float)) == pytest.approx(stats.wilcoxon(d).pvalue, abs=1e-12)


def test_signed_rank_needs_six_nonzero_differences():
    assert np.isnan(signed_rank_p(np.array([1.0, 2.0, 0.0, 0.0, -1.0, 3.0, 2.0])))
    assert np.isnan(signed_rank_p(np.zeros(10)))


def test_customer_gap_constant_difference_and_tiny_n():
    df = pd.DataFrame({"E": [5, 6, 7], "P": [4, 5, 6], "E2": [1, np.nan, np.nan], "P2": [2, 3, np.nan]})
    out = customer_gap(df, {"same": ("E", "P"), "one": ("E2", "P2")}).set_index("pair")
    assert out.loc["same", ["mean_gap", "ci_low", "ci_high"]].tolist() == [-1.0, -1.0, -1.0]
    assert np.isnan(out.loc["same", "t_p"]) and np.isnan(out.loc["same", "d_z"])
    assert out.loc["one", "n"] == 1 and out.loc["one", "mean_gap"] == 1.0
    assert np.isnan(out.loc["one", "ci_low"])
    assert out["p_holm"].isna().all()


@given(
    st.lists(st.tuples(st.integers(1, 7), st.integers(1, 7)), min_size=3, max_size=25),
)
@settings(max_examples=60, deadline=None)
def test_gap_swaps_sign_and_ci_holds_mean(answers):
    df = pd.DataFrame(answers, columns=["E", "P"])
    forward = customer_gap(df, {"x": ("E", "P")}).iloc[0]
    backward = customer_gap(df, {"x": ("P", "E")}).iloc[0]
    assert forward["mean_gap"] == pytest.approx(forward["mean_perception"] - forward["mean_expectation"])
    assert backward["mean_gap"] == pytest.approx(-forward["mean_gap"])
    assert forward["ci_low"] <= forward["mean_gap"] + 1e-12 <= forward["ci_high"] + 2e-12
    if not np.isnan(forward["t_p"]):
        assert backward["t_p"] == pytest.approx(forward["t_p"])


def test_customer_gap_by_dimension_by_hand():
    df = pd.DataFrame(
        {
            "E_acc1": [6, 7, 5],
            "P_acc1": [4, 7, 5],
            "E_acc2": [6, np.nan, 3],
            "P_acc2": [6, 2, 3],
            "E_adv1": [7, 6, 6],
            "P_adv1": [5, 5, 4],
        }
    )
    model = ItemDictionary.from_frame(guess_item_dictionary(list(df.columns)))
    out = customer_gap_by_dimension(df, model).set_index("dimension")
    # accuracy scores (pairs answered on both sides): E = 6, 7, 4 ; P = 5, 7, 4
    assert out.loc["accuracy", "mean_expectation"] == pytest.approx(17 / 3)
    assert out.loc["accuracy", "mean_perception"] == pytest.approx(16 / 3)
    assert out.loc["advice", "mean_gap"] == pytest.approx(-5 / 3)
    assert out.loc["advice", "n"] == 3


def test_holm_by_hand_and_nan():
    # sorted 0.01, 0.02, 0.04 with m = 3 -> 0.03, 0.04, 0.04
    assert holm([0.04, 0.01, np.nan, 0.02]).tolist()[:2] == pytest.approx([0.04, 0.03])
    out = holm([0.04, 0.01, np.nan, 0.02])
    assert np.isnan(out[2]) and out[3] == pytest.approx(0.04)
    assert holm([0.5, 0.9]).tolist() == [1.0, 1.0]


@given(st.lists(st.floats(0, 1), min_size=1, max_size=20))
@settings(max_examples=80, deadline=None)
def test_holm_matches_pingouin(pvals):
    ours = holm(pvals)
    theirs = pg.multicomp(np.array(pvals), method="holm")[1]
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert np.all(ours >= np.array(pvals) - 1e-15)


# ---------------------------------------------------------------- mirror / knowledge gap


def test_mirror_gap_by_hand():
    customers = pd.DataFrame({"E1": [7, 6, 6, 5]})
    staff = pd.DataFrame({"E1": [4, 5, 3]})
    row = mirror_gap(customers, staff, ["E1"]).iloc[0]
    assert (row["n_customers"], row["n_staff"]) == (4, 3)
    assert (row["mean_customers"], row["mean_staff"], row["gap"]) == (6.0, 4.0, 2.0)
    # s1² = 2/3, s2² = 1 ; pooled = sqrt((2 + 2) / 5) ; g = 2 / pooled · (1 − 3/19)
    assert row["hedges_g"] == pytest.approx(2 / math.sqrt(0.8) * (1 - 3 / 19), abs=TOL)
    se = math.sqrt((2 / 3) / 4 + 1 / 3)
    assert row["welch_p"] == pytest.approx(
        2 * stats.t.sf(2 / se, (se**4) / (((2 / 3) / 4) ** 2 / 3 + (1 / 3) ** 2 / 2)), abs=TOL
    )
    assert bool(row["small_n"])


def test_mirror_gap_matches_scipy_and_pingouin():
    cust = random_survey(11, n=35, items=3)
    staff = random_survey(12, n=14, items=3) - 1
    out = mirror_gap(cust, staff, ["i0", "i1", "i2"]).set_index("item")
    for item in ["i0", "i1", "i2"]:
        x, y = cust[item].dropna().to_numpy(), staff[item].dropna().to_numpy()
        res = stats.ttest_ind(x, y, equal_var=False)
        assert out.loc[item, "welch_p"] == pytest.approx(res.pvalue, abs=TOL)
        ci = res.confidence_interval()
        assert out.loc[item, "ci_low"] == pytest.approx(ci.low, abs=TOL)
        assert out.loc[item, "ci_high"] == pytest.approx(ci.high, abs=TOL)
        assert out.loc[item, "hedges_g"] == pytest.approx(pg.compute_effsize(x, y, eftype="hedges"), abs=TOL)
        assert out.loc[item, "gap"] == pytest.approx(x.mean() - y.mean(), abs=TOL)
    assert out["p_holm"].to_numpy() == pytest.approx(
        pg.multicomp(out["welch_p"].to_numpy(), method="holm")[1], abs=TOL
    )


# ---------------------------------------------------------------- IPA


def test_ipa_quadrants_at_grand_means_from_series():
    importance = pd.Series({"a": 6.0, "b": 6.0, "c": 3.0, "d": 3.0, "e": 4.5})
    performance = pd.Series({"a": 3.0, "b": 6.0, "c": 3.0, "d": 6.0, "e": 4.5})
    out = ipa(importance, performance).set_index("item")
    assert out["importance_crosshair"].iloc[0] == 4.5 and out["performance_crosshair"].iloc[0] == 4.5
    assert out["quadrant"].to_dict() == {
        "a": "concentrate_here",
        "b": "keep_up_the_good_work",
        "c": "low_priority",
        "d": "possible_overkill",
        "e": "keep_up_the_good_work",  # on the cross-hair counts as high
    }


def test_ipa_midpoint_and_dataframe_input():
    imp = pd.DataFrame({"a": [5, 7], "b": [5, 5], "c": [2, 2]})
    perf = pd.DataFrame({"a": [3, 3], "b": [6, 6], "c": [5, 6]})
    by_mean = ipa(imp, perf).set_index("item")
    assert by_mean.loc["a", ["importance", "performance"]].tolist() == [6.0, 3.0]
    # grand means: importance (6 + 5 + 2) / 3 = 13/3, performance (3 + 6 + 5.5) / 3
    assert by_mean["quadrant"].tolist() == ["concentrate_here", "keep_up_the_good_work", "possible_overkill"]
    by_mid = ipa(imp, perf, crosshair="midpoint", scale=(1, 5)).set_index("item")
    assert by_mid["importance_crosshair"].iloc[0] == 3.0
    assert by_mid["quadrant"].tolist() == [
        "keep_up_the_good_work",
        "keep_up_the_good_work",
        "possible_overkill",
    ]
    assert set(by_mid["quadrant"]) <= set(QUADRANTS)


def test_ipa_items_must_match():
    with pytest.raises(KamError) as err:
        ipa(pd.Series({"a": 1.0, "b": 2.0}), pd.Series({"a": 1.0, "c": 2.0}))
    assert err.value.code == "survey.ipa_items_differ"
    assert err.value.params == {"item": "b"}


# ---------------------------------------------------------------- reliability


def test_cronbach_alpha_by_hand():
    df = pd.DataFrame({"a": [1, 2, 3, np.nan], "b": [2, 3, 5, 4]})
    # var a = 1, var b = 7/3, var(sum 3, 5, 8) = 19/3 -> 2 · (1 − (10/3)/(19/3)) = 18/19
    assert cronbach_alpha(df, ["a", "b"]) == pytest.approx(18 / 19, abs=TOL)


def test_cronbach_alpha_matches_pingouin_listwise():
    df = random_survey(3, n=80, items=5, missing=0.05)
    items = list(df.columns)
    assert cronbach_alpha(df, items) == pytest.approx(
        pg.cronbach_alpha(df[items], nan_policy="listwise")[0], abs=TOL
    )
    dropped = alpha_if_dropped(df, items).set_index("item")
    complete = df.dropna()
    for item in items:
        rest = [c for c in items if c != item]
        assert dropped.loc[item, "alpha_if_dropped"] == pytest.approx(
            pg.cronbach_alpha(complete[rest])[0], abs=TOL
        )
        r = np.corrcoef(complete[item], complete[rest].sum(axis=1))[0, 1]
        assert dropped.loc[item, "item_rest_r"] == pytest.approx(r, abs=TOL)
    assert (dropped["n"] == len(complete)).all()


def test_reliability_by_dimension_and_degenerate_alpha():
    df = pd.DataFrame({"P_acc1": [1, 2, 3], "P_acc2": [2, 3, 5], "P_adv1": [1, 2, 3], "E_adv1": [1, 1, 1]})
    model = ItemDictionary.from_frame(guess_item_dictionary(list(df.columns)))
    out = reliability_by_dimension(df, model).set_index(["dimension", "role"])
    assert out.loc[("accuracy", "perception"), "alpha"] == pytest.approx(18 / 19)
    assert np.isnan(out.loc[("advice", "perception"), "alpha"])  # a single item has no alpha
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1, 1], "b": [2, 2]}), ["a", "b"]))


# ---------------------------------------------------------------- loyalty and NPS


def test_loyalty_types_with_given_cuts():
    attitude = pd.Series([6, 6, 2, 2, 4, np.nan], index=list("abcdef"))
    repeat = pd.Series([6, 2, 6, 2, 5, 7], index=list("abcdef"))
    res = loyalty_types(attitude, repeat, cut_attitude=4, cut_repeat=4)
    assert res.cut_rule == "given"
    assert res.table["loyalty_type"].to_dict() == {
        "a": "true",
        "b": "latent",
        "c": "spurious",
        "d": "none",
        "e": "spurious",
    }  # 4 is not above the cut
    assert res.counts.set_index("loyalty_type")["n"].to_dict() == {
        "true": 1,
        "latent": 1,
        "spurious": 2,
        "none": 1,
    }
    assert res.counts["share"].sum() == pytest.approx(1.0)


def test_loyalty_default_cuts_median_or_midpoint():
    attitude = pd.Series([1, 2, 3, 6, 7])
    repeat = pd.Series([7, 1, 2, 6, 3])
    med = loyalty_types(attitude, repeat)
    assert (med.cut_rule, med.cut_attitude, med.cut_repeat) == ("median", 3.0, 3.0)
    assert med.table["loyalty_type"].tolist() == ["spurious", "none", "none", "true", "latent"]
    mid = loyalty_types(attitude, repeat, scale=(1, 7))
    assert (mid.cut_rule, mid.cut_attitude, mid.cut_repeat) == ("midpoint", 4.0, 4.0)


def test_nps_by_hand():
    res = nps(pd.Series([10, 9, 8, 7, 6, 0, np.nan, 10]))
    assert (res.n, res.promoters, res.passives, res.detractors) == (7, 3, 2, 2)
    assert res.score == pytest.approx(100 / 7)
    assert res.share_promoters == pytest.approx(3 / 7)


def test_nps_rejects_answers_off_the_scale():
    with pytest.raises(KamError) as err:
        nps(pd.Series([10, 7.5, 3]))
    assert err.value.code == "survey.nps_out_of_range"
    assert err.value.params == {"row": 3, "value": "7.5"}
    with pytest.raises(KamError):
        nps(pd.Series([np.nan, np.nan]))


@given(st.lists(st.integers(0, 10), min_size=1, max_size=50))
@settings(max_examples=60, deadline=None)
def test_nps_bounds(values):
    res = nps(pd.Series(values))
    assert -100 <= res.score <= 100
    assert res.promoters + res.passives + res.detractors == res.n == len(values)


# ---------------------------------------------------------------- the demo story


@pytest.fixture(scope="module")
def keyareas(demo_dir):
    survey = read_norwegian(demo_dir / "survey_keyareas.csv")
    attrs = respondent_attributes(survey)
    items = survey_items(survey, attrs)
    model = ItemDictionary.from_frame(guess_item_dictionary(items), available=survey.columns)
    group = group_labels(survey[attrs.group])
    churned = churned_flag(survey[attrs.churned])
    return survey, model, group, churned


def test_demo_knowledge_gap_is_on_advice(keyareas):
    survey, model, group, _ = keyareas
    expectation = model.items_with_role("expectation")
    out = mirror_gap(survey[group == "customer"], survey[group == "supplier"], expectation)
    dims = out["item"].map(model.dimension_of())
    advice = out[dims == "advice"]
    others = out[dims != "advice"]
    assert (advice["gap"] > 1.0).all()
    assert (advice["p_holm"] < 0.01).all()
    assert (others["gap"].abs() < 0.6).all()
    assert out.sort_values("gap", ascending=False)["item"].head(3).str.contains("adv").all()


def test_demo_customer_gap_is_concentrated_in_churned_accounts(keyareas):
    survey, model, group, churned = keyareas
    customers = group == "customer"
    lost = customer_gap_by_dimension(survey[customers & churned], model).set_index("dimension")
    rest = customer_gap_by_dimension(survey[customers & ~churned], model).set_index("dimension")
    assert (lost["mean_gap"] < rest["mean_gap"] - 0.4).all()
    assert lost.loc[["accuracy", "availability"], "mean_gap"].max() < -1.5
    assert rest["mean_gap"].min() > -0.8


def test_repeat_purchase_months_by_hand():
    tx = pd.DataFrame(
        {
            "customer_id": ["001", "001", "001", "002", "003", "001"],
            "date": pd.to_datetime(
                ["2026-10-03", "2026-10-20", "2026-01-15", "2025-10-31", "2025-11-01", "2025-11-30"]
            ),
            "revenue": [1.0, 2.0, 3.0, 4.0, 5.0, -1.0],
        }
    )
    out = repeat_purchase_months(tx, months=12).set_index("customer_id")["purchase_months"].to_dict()
    # window: Nov 2025 .. Oct 2026. 001 bought in Oct 2026 (twice), Jan 2026, Nov 2025 (a credit note)
    assert out == {"001": 3, "002": 0, "003": 1}
    assert repeat_purchase_months(tx, months=1).set_index("customer_id")["purchase_months"].to_dict() == {
        "001": 1,
        "002": 0,
        "003": 0,
    }
    with pytest.raises(KamError) as err:
        repeat_purchase_months(tx.drop(columns="date"))
    assert err.value.params == {"column": "date"}


def test_repeat_purchase_months_by_codes_equal_the_general_path():
    """A text customer_id with plain dates is counted on the portfolio's customer codes (issue 19);
    the same lines with object ids take the general path: the same table, ids in first-line order."""
    ids = ["003", "001", None, "001", "002", "001", "004", "003"]
    dates = pd.to_datetime(["2025-11-01", "2026-10-03", "2026-10-04", "2026-10-20", "2025-10-31", "2026-01-15",
                            None, "2026-09-30"])
    text = pd.DataFrame({"customer_id": pd.array(ids, dtype="str"), "date": dates})
    plain = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "date": dates})
    assert isinstance(text["customer_id"].dtype, pd.StringDtype)
    assert not isinstance(plain["customer_id"].dtype, pd.StringDtype)
    for months, expected in ((12, [2, 2, 0]), (1, [0, 1, 0]), (2, [1, 1, 0])):
        fast, general = repeat_purchase_months(text, months), repeat_purchase_months(plain, months)
        # 004 has no dated line: not listed
        assert fast["customer_id"].tolist() == ["003", "001", "002"]
        assert fast["purchase_months"].tolist() == expected
        pd.testing.assert_frame_equal(fast, general)


# ------------------------------------------------------------------------- gap per account
def test_gap_by_account_by_hand():
    from kamcore.survey import gap_by_account
    from kamcore.survey_model import ItemDictionary

    dictionary = ItemDictionary.from_frame(
        pd.DataFrame(
            {
                "item": ["E1", "P1", "E2", "P2", "E3", "P3"],
                "dimension": ["advice", "advice", "advice", "advice", "accuracy", "accuracy"],
                "role": ["expectation", "perception"] * 3,
                "pair": ["q1", "q1", "q2", "q2", "q3", "q3"],
            }
        )
    )
    responses = pd.DataFrame(
        {
            "Kundenr": ["A", "A", "B", "C", " ", "D"],
            # d = P - E: A r1 (q1 -2, q2 0, q3 +1), A r2 (q1 -4, q2 -, q3 +1); B (q1 +1, q2 +1, q3 -3)
            # C answered no pair on both sides; the blank id is left out; D only q3 (0).
            "E1": [7, 6, 5, 7, 1, None],
            "P1": [5, 2, 6, None, 1, None],
            "E2": [6, None, 4, None, 1, None],
            "P2": [6, 5, 5, 3, 1, None],
            "E3": [5, 5, 6, None, 1, 4],
            "P3": [6, 6, 3, None, 1, 4],
        }
    )
    out = gap_by_account(responses, dictionary, "Kundenr")
    # A: q1 mean(-2, -4) = -3, q2 0, q3 +1 -> mean -2/3; advice mean(-3, 0) = -1.5, accuracy +1
    # B: q1 +1, q2 +1, q3 -3 -> mean -1/3; advice +1, accuracy -3
    # D: q3 0 -> mean 0; advice NaN, accuracy 0
    assert out["account"].tolist() == ["A", "B", "D"]
    assert out["n"].tolist() == [2, 1, 1]
    assert out["mean_gap"].tolist() == pytest.approx([-2 / 3, -1 / 3, 0.0])
    assert out["gap::advice"].iloc[:2].tolist() == [-1.5, 1.0] and np.isnan(out["gap::advice"].iloc[2])
    assert out["gap::accuracy"].tolist() == [1.0, -3.0, 0.0]
    assert out["worst_pair"].tolist() == ["q1", "q3", "q3"]
    assert out["worst_gap"].tolist() == [-3.0, -3.0, 0.0]


def test_gap_by_account_on_the_demo_puts_churned_accounts_first(keyareas):
    from kamcore.survey import gap_by_account

    survey, model, group, churned = keyareas
    customers = survey[group == "customer"]
    out = gap_by_account(customers, model, "Kundenr")
    lost = set(customers.loc[churned[group == "customer"], "Kundenr"].astype(str))
    assert lost, "the demo has churned respondents"
    assert set(out["account"]) == set(customers["Kundenr"].dropna().astype(str))
    # The accounts with the largest shortfall are mostly the lost ones (the demo's story).
    worst = set(out["account"].head(len(lost)))
    assert len(worst & lost) >= 0.7 * len(lost)


# ------------------------------------------------------------ answer counts, dimension scores
def test_answer_counts_by_hand():
    from kamcore.survey import answer_counts

    c = answer_counts(pd.Series([1.0, 2.0, 2.0, 5.0, 2.5, np.nan]), (1.0, 5.0))
    # 2.5 has no bar but counts in n, mean and s.d.
    assert c.counts.to_dict() == {1.0: 1, 2.0: 2, 3.0: 0, 4.0: 0, 5.0: 1}
    assert c.n == 5
    assert c.mean == pytest.approx(12.5 / 5)
    # deviations -1.5, -0.5, -0.5, 2.5, 0: squares sum 9.0, / (n - 1) = 2.25
    assert c.sd == pytest.approx(1.5)
    single = answer_counts(pd.Series([3.0]), (1.0, 3.0))
    assert single.counts.tolist() == [0, 0, 1] and single.n == 1 and np.isnan(single.sd)


def test_dimension_scores_average_the_answered_items_and_feed_describe_dimensions():
    from kamcore.survey import describe_dimensions, dimension_scores
    from kamcore.survey_model import ItemDictionary

    answers = pd.DataFrame({"E1": [7, 5, np.nan], "E2": [5, np.nan, np.nan], "P1": [2, 4, 6]})
    scores = dimension_scores(answers, {"acc": ["E1", "E2"], "ava": ["P1"]})
    assert scores["acc"].tolist()[:2] == [6.0, 5.0] and np.isnan(scores["acc"].iloc[2])
    assert scores["ava"].tolist() == [2.0, 4.0, 6.0]
    dictionary = ItemDictionary.from_frame(
        pd.DataFrame({"item": ["E1", "E2", "P1"], "dimension": ["acc", "acc", "acc"],
                      "role": ["expectation", "expectation", "perception"]})
    )
    described = describe_dimensions(answers, dictionary).set_index("role")
    # expectation: scores 6 and 5 (the third respondent answered none) -> mean 5.5, sd sqrt(0.5)
    assert described.loc["expectation", ["n_items", "n"]].tolist() == [2, 2]
    assert described.loc["expectation", "mean"] == pytest.approx(5.5)
    assert described.loc["expectation", "sd"] == pytest.approx(np.sqrt(0.5))
    assert described.loc["perception", "mean"] == pytest.approx(4.0)
