"""kamcore.health: hand-computed scores on a tiny portfolio, and what the demo's planted stories demand."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from kamcore import health, survey_ingest
from kamcore.errors import KamError
from tests.core.demo_files import DEMO_DIR, read_norwegian


def _lines(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "revenue", "profit"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture
def tiny() -> pd.DataFrame:
    return _lines(
        [
            # A: 100 in the year before (2025), 80 in the last year (2026), margin 10 % in 2026
            ("A", "2025-01-31", 50.0, 5.0),
            ("A", "2025-06-30", 50.0, 5.0),
            ("A", "2026-03-31", 40.0, 4.0),
            ("A", "2026-06-30", 40.0, 4.0),
            ("B", "2026-12-01", 100.0, 30.0),  # margin 30 %
            ("C", "2026-12-31", 100.0, 20.0),  # margin 20 %: the portfolio median is 20 %
        ]
    )


TEAM = pd.DataFrame({"customer_id": ["A"], "relationship_strength": [2.0], "share_of_wallet": [4.0],
                     "status": ["churned"]})


def test_one_account_by_hand(tiny):
    scores = health.health_scores(tiny, accounts=TEAM, as_of="2026-12-31").set_index("account")
    a = scores.loc["A"]
    # money: growth 80/100 - 1 = -0.2 -> 70 * 0.3/0.5 = 42; margin 0.10 - 0.20 = -0.10 -> 70 * 0.05/0.15
    trend, margin = 42.0, 70.0 * 0.05 / 0.15
    assert a["score_trend"] == pytest.approx(trend)
    assert a["score_margin"] == pytest.approx(margin)
    assert a["money"] == pytest.approx((trend + margin) / 2)
    # buying: purchase days 31.01.25, 30.06.25, 31.03.26, 30.06.26 -> gaps 150, 274, 91, median 150;
    # 184 days since the last: ratio 184/150 -> 100 - 50 * (184/150 - 1) / 2
    recency = 100 - 50 * (184 / 150 - 1) / 2
    assert a["usual_gap_days"] == 150.0 and a["days_since"] == 184.0
    assert a["score_recency"] == pytest.approx(recency)
    # frequency: only 2 purchase days in the 12 months before the last 6 -> 1 expected: too few to judge
    assert np.isnan(a["score_frequency"])
    assert a["buying"] == pytest.approx(recency)
    # relationship: strength 2 -> 25, share of wallet 4 -> 75
    assert a["relationship"] == pytest.approx(50.0)
    assert np.isnan(a["survey"])
    assert a["missing"] == ("survey",)
    expected = (0.35 * (trend + margin) / 2 + 0.25 * recency + 0.2 * 50.0) / 0.8
    assert a["health"] == pytest.approx(expected)
    assert a["band"] == "watch"  # 45 <= 56.3 < 65
    # weighted shortfalls: margin 0.35 * (100 - 23.3) / 2 = 13.4, trend 0.35 * 58 / 2 = 10.2, strength 7.5
    assert a["driver_codes"] == ("margin", "trend")
    assert a["drivers"] == "margin against the portfolio, revenue trend against last year"


def test_status_is_never_an_input(tiny):
    with_status = health.health_scores(tiny, accounts=TEAM, as_of="2026-12-31")
    without = health.health_scores(tiny, accounts=TEAM.drop(columns="status"), as_of="2026-12-31")
    pd.testing.assert_frame_equal(with_status, without)


def test_weights_and_missing_components(tiny):
    only_money = health.health_scores(tiny, as_of="2026-12-31", weights={"money": 1.0}).set_index("account")
    assert only_money.loc["A", "health"] == pytest.approx(only_money.loc["A", "money"])
    # B and C have no previous year: money is their margin alone (30 % -> 70 + 30 * 0.10/0.10 = 100)
    assert only_money.loc["B", "money"] == pytest.approx(100.0)
    assert only_money.loc["C", "money"] == pytest.approx(70.0)
    no_team = health.health_scores(tiny, as_of="2026-12-31").set_index("account")
    assert no_team.loc["A", "missing"] == ("survey", "relationship")
    with pytest.raises(KamError) as caught:
        health.health_scores(tiny, weights={"mood": 1.0})
    assert caught.value.code == "health.unknown_component"
    with pytest.raises(KamError) as caught:
        health.health_scores(tiny, weights={"money": 0.0})
    assert caught.value.code == "health.no_weight"


def test_as_of_ignores_later_lines(tiny):
    early = health.health_scores(tiny, as_of="2026-06-30").set_index("account")
    assert "C" not in early.index and "B" not in early.index
    assert early.loc["A", "days_since"] == 0.0


def test_survey_component_by_hand(tiny):
    responses = pd.DataFrame({"Kundenr": ["A", "A"], "E1": [7, 7], "P1": [4, 5], "Anbefale": [9, 6]})
    dictionary = survey_ingest.ItemDictionary.from_frame(pd.DataFrame({
        "item": ["E1", "P1", "Anbefale"], "dimension": ["accuracy", "accuracy", ""],
        "role": ["expectation", "perception", "plain"], "pair": ["a1", "a1", ""],
    }))
    scores = health.health_scores(tiny, survey=(responses, dictionary), as_of="2026-12-31").set_index("account")
    a = scores.loc["A"]
    # gap (4-7 + 5-7)/2 = -2.5 on a 4..7 observed scale (range 3): -0.833 -> below -0.4 -> 0
    assert a["gap::accuracy"] == pytest.approx(-2.5)
    assert a["score_areas"] == 0.0
    # NPS: one promoter, one detractor -> 0 -> 50
    assert a["nps"] == 0.0 and a["score_nps"] == 50.0
    assert a["survey"] == pytest.approx(25.0)
    assert np.isnan(scores.loc["B", "survey"])


def test_monthly_revenue_for_sparklines(tiny):
    months = health.monthly_revenue(tiny, as_of="2026-12-31", months=12)
    assert months["A"][2] == 40.0 and months["A"][5] == 40.0 and sum(months["A"]) == 80.0
    assert months["C"][-1] == 100.0 and len(months["C"]) == 12
    later = health.monthly_revenue(tiny, as_of="2028-01-31", months=12)
    assert later["A"] == [0.0] * 12  # silent for a year: a flat line, not a missing one


# ------------------------------------------------------------------------- the demo's stories


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
    accounts = pd.DataFrame({
        "customer_id": customers["Kundenr"],
        "relationship_strength": customers["Relasjonsstyrke"],
        "share_of_wallet": customers["Kundeandel"],
    })
    lost = customers.loc[customers["Status"] == "tapt", "Kundenr"].tolist()
    raw = read_norwegian(DEMO_DIR / "survey_keyareas.csv")
    attrs = survey_ingest.respondent_attributes(raw)
    dictionary = survey_ingest.ItemDictionary.from_frame(
        survey_ingest.guess_item_dictionary(survey_ingest.survey_items(raw, attrs), {}))
    return sales, accounts, (raw, dictionary), lost


@pytest.fixture(scope="module")
def demo_plan() -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location("generate_demo", DEMO_DIR.parent / "generate_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_all()["_plan"]


def test_demo_every_lost_account_is_in_the_bottom_quarter_at_the_end(demo):
    sales, accounts, survey, lost = demo
    scores = health.health_scores(sales, accounts=accounts, survey=survey)
    assert len(scores) == 400 and len(lost) >= 8
    bottom = set(scores.nsmallest(len(scores) // 4, "health")["account"])
    assert set(lost) <= bottom
    # money is there for every account; survey (most accounts), relationship (both team scores empty)
    # and buying (new accounts with fewer than three purchase days: no rhythm yet) are left out
    assert set().union(*scores["missing"]) == {"survey", "relationship", "buying"}
    no_rhythm = scores["missing"].map(lambda m: "buying" in m)
    assert scores.loc[no_rhythm, "usual_gap_days"].isna().all()
    assert (scores.loc[no_rhythm, "revenue_prev_12m"] == 0).all()  # all of them are new
    no_team = scores["missing"].map(lambda m: "relationship" in m)
    assert scores.loc[no_team, ["relationship_strength", "share_of_wallet"]].isna().all().all()
    assert scores.loc[no_team, "relationship"].isna().all()


def test_demo_lost_accounts_are_flagged_three_months_before_their_last_order(demo):
    """Two thirds of the lost accounts are in watch/act three months before their last order.

    The sales alone do not foresee it (invoicing fades only ~10 % three months before); the weak
    relationship scores and the survey gaps do. Both carry no date, so they are used as they stand.
    """
    sales, accounts, survey, lost = demo
    last = sales[sales["customer_id"].isin(lost)].groupby("customer_id")["date"].max()
    flagged = 0
    for account, day in last.items():
        scores = health.health_scores(sales, accounts=accounts, survey=survey,
                                      as_of=day - pd.DateOffset(months=3)).set_index("account")
        flagged += scores.loc[account, "band"] in ("watch", "act")
    assert flagged * 3 >= 2 * len(last)


def test_demo_planted_decliners_are_watch_or_act(demo, demo_plan):
    sales, accounts, survey, _ = demo
    decliners = demo_plan.loc[demo_plan["role"] == "decliner", "Kundenr"].tolist()
    assert len(decliners) >= 5
    scores = health.health_scores(sales, accounts=accounts, survey=survey).set_index("account")
    assert scores.loc[decliners, "band"].isin(["watch", "act"]).all()
    assert scores.loc[decliners, "driver_codes"].map(lambda c: "trend" in c).all()


def test_p_alive_joins_the_buying_pattern_and_coverage_the_relationship(tiny):
    # kamcore.clv's P(alive) and the buying centre's coverage score are inputs when present.
    team = TEAM.assign(p_alive=[0.2], buying_centre_coverage=[0.6])
    a = health.health_scores(tiny, accounts=team, as_of="2026-12-31").set_index("account").loc["A"]
    recency = 100 - 50 * (184 / 150 - 1) / 2
    assert a["score_p_alive"] == pytest.approx(20.0)
    assert a["buying"] == pytest.approx((recency + 20.0) / 2)  # frequency has too few days to judge
    assert a["relationship"] == pytest.approx((25.0 + 75.0 + 60.0) / 3)
    without = health.health_scores(tiny, accounts=TEAM, as_of="2026-12-31").set_index("account").loc["A"]
    assert a["health"] < without["health"]


def test_expected_value_joins_the_money_component_when_present(tiny):
    # kamcore.clv's expected revenue for the next 12 months against the last 12 months' revenue,
    # scored as the revenue trend: A had 80 in the last year.
    trend, margin = 42.0, 70.0 * 0.05 / 0.15
    team = TEAM.assign(expected_revenue_12m=[60.0])
    a = health.health_scores(tiny, accounts=team, as_of="2026-12-31").set_index("account").loc["A"]
    # 60 / 80 - 1 = -0.25 -> 70 * 0.25 / 0.5 = 35
    assert a["outlook"] == pytest.approx(-0.25)
    assert a["score_outlook"] == pytest.approx(35.0)
    assert a["money"] == pytest.approx((trend + margin + 35.0) / 3)
    recency = 100 - 50 * (184 / 150 - 1) / 2
    assert a["health"] == pytest.approx((0.35 * (trend + margin + 35.0) / 3 + 0.25 * recency + 0.2 * 50.0) / 0.8)
    # a warning only: growth expected (90 / 80 - 1 = 0.125 -> 85) does not lift the score, nor does
    # a fall milder than the trend's (76 / 80 - 1 = -0.05 -> 70 * 0.45 / 0.5 = 63 > 42)
    for expected in (90.0, 76.0):
        up = health.health_scores(tiny, accounts=TEAM.assign(expected_revenue_12m=[expected]),
                                  as_of="2026-12-31").set_index("account").loc["A"]
        assert up["outlook"] == pytest.approx(expected / 80 - 1)
        assert np.isnan(up["score_outlook"])
        assert up["money"] == pytest.approx((trend + margin) / 2)
    # weighted shortfalls: margin 0.35 * 76.7 / 3 = 8.94, outlook 0.35 * 65 / 3 = 7.58,
    # strength 0.2 * 75 / 2 = 7.5, trend 0.35 * 58 / 3 = 6.77: margin, then the outlook
    assert a["driver_codes"] == ("margin", "outlook")
    assert a["drivers"] == "margin against the portfolio, expected revenue next year against last year"


def test_expected_value_left_out_when_absent(tiny):
    # without the column, or without revenue in the last 12 months, the sub-score is NaN and money
    # is trend and margin
    trend, margin = 42.0, 70.0 * 0.05 / 0.15
    a = health.health_scores(tiny, accounts=TEAM, as_of="2026-12-31").set_index("account").loc["A"]
    assert np.isnan(a["score_outlook"]) and np.isnan(a["outlook"])
    assert a["money"] == pytest.approx((trend + margin) / 2)
    # an account with no expected value (NaN) among others that have one
    team = pd.DataFrame({"customer_id": ["A", "B"], "expected_revenue_12m": [np.nan, 50.0]})
    scores = health.health_scores(tiny, accounts=team, as_of="2026-12-31").set_index("account")
    assert np.isnan(scores.loc["A", "score_outlook"])
    assert scores.loc["A", "money"] == pytest.approx((trend + margin) / 2)
    # B: 100 last year, 50 expected: -0.5 -> 0 (below flat: counted); no trend (no previous year),
    # margin 30 % -> 100
    assert scores.loc["B", "score_outlook"] == pytest.approx(0.0)
    assert scores.loc["B", "money"] == pytest.approx(50.0)
    # without a trend, an outlook of "as much as last year" or more is not counted: 100 -> 70
    flat = pd.DataFrame({"customer_id": ["B"], "expected_revenue_12m": [100.0]})
    b = health.health_scores(tiny, accounts=flat, as_of="2026-12-31").set_index("account").loc["B"]
    assert b["outlook"] == 0.0 and np.isnan(b["score_outlook"]) and b["money"] == pytest.approx(100.0)
    # no revenue in the last 12 months: the ratio is not defined, the outlook is left out
    late = health.health_scores(tiny, accounts=pd.DataFrame({"customer_id": ["A"], "expected_revenue_12m": [10.0]}),
                                as_of="2027-12-31").set_index("account").loc["A"]
    assert late["revenue_12m"] == 0.0 and np.isnan(late["score_outlook"])


def test_health_inputs_pass_the_expected_value_on_and_never_the_status():
    from kamcore import health_inputs

    team = pd.DataFrame({"customer_id": ["1"], "relationship_strength": [4.0], "status": ["tapt"]})
    future = pd.DataFrame({"account": ["1", "2"], "p_alive": [0.5, 0.9], "expected_revenue_12m": [10.0, 20.0],
                           "revenue_at_risk": [1.0, 2.0]})
    frame = health_inputs.account_frame(team, None, future)
    pd.testing.assert_frame_equal(frame, pd.DataFrame({
        "customer_id": ["1", "2"], "relationship_strength": [4.0, np.nan],
        "p_alive": [0.5, 0.9], "expected_revenue_12m": [10.0, 20.0]}), check_dtype=False)


def test_demo_planted_decliners_stay_watch_or_act_with_the_expected_value(demo, demo_plan):
    # BG/NBD expects the decliners to recover (a stationary rhythm): the outlook must not lift them.
    from kamcore import health_inputs

    sales, accounts, survey, _ = demo
    decliners = demo_plan.loc[demo_plan["role"] == "decliner", "Kundenr"].tolist()
    future = health_inputs.future_values(sales)
    assert future is not None and "expected_revenue_12m" in future.columns
    team = health_inputs.account_frame(accounts, None, future)
    scores = health.health_scores(sales, accounts=team, survey=survey).set_index("account")
    assert (scores.loc[decliners, "outlook"] > 0).all()  # the model expects more than last year ...
    assert scores.loc[decliners, "score_outlook"].isna().all()  # ... which is not counted
    assert scores.loc[decliners, "band"].isin(["watch", "act"]).all()
    assert scores.loc[decliners, "driver_codes"].map(lambda c: "trend" in c).all()
    assert scores["score_outlook"].notna().any()  # the outlook does warn about some accounts
