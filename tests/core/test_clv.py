"""kamcore.clv: hand-computed likelihoods and predictions, stability, and the published CDNOW results.

The acceptance numbers come from Fader, Hardie & Lee (2005), "'Counting Your Customers' the
Easy Way", Marketing Science 24(2) (BG/NBD on the CDNOW 1/10 sample: r = 0.243, α = 4.414,
a = 0.793, b = 2.426, LL = −9,582.4), and Fader & Hardie (2013), "The Gamma-Gamma Model of
Monetary Value" (p = 6.25, q = 3.74, γ = 15.44 on the 946 customers of that sample who made a
repeat purchase in the 39-week calibration period, with their mean repeat-purchase value).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kamcore import clv
from kamcore.errors import KamError

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def read_cdnow(name: str) -> pd.DataFrame:
    frame = pd.read_csv(
        REAL / name,
        sep=r"\s+",
        header=None,
        names=["master_id", "id", "date", "cds", "value"],
        dtype={"master_id": str, "id": str, "date": str},
    )
    return frame.assign(date=pd.to_datetime(frame["date"], format="%Y%m%d"))


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return read_cdnow("cdnow_sample.txt")


@pytest.fixture(scope="module")
def cdnow_summary(cdnow) -> pd.DataFrame:
    return clv.summary(cdnow, "id", "date", "value", calibration_end="1997-09-30", unit="W")


# ----------------------------------------------------------------------------- summary


def test_summary_counts_purchase_days_and_measures_in_units():
    sales = pd.DataFrame(
        {
            "k": ["A", "A", "A", "A", "B", "B", "C", "D"],
            "d": pd.to_datetime(
                [
                    "2026-01-05",
                    "2026-01-05",
                    "2026-01-19",
                    "2026-03-02",
                    "2026-02-02",
                    "2026-02-16",
                    "2026-03-16",
                    "2026-04-06",
                ]
            ),
            # A buys twice on 5 Jan (one purchase of 100); B's second day is only a credit note
            "v": [60.0, 40.0, 40.0, 60.0, 80.0, -30.0, 10.0, 5.0],
        }
    )
    s = clv.summary(sales, "k", "d", "v", calibration_end="2026-03-30", unit="W")
    # D's first purchase is after the end: not a customer yet
    assert s["customer"].tolist() == ["A", "B", "C"]
    assert s["frequency"].tolist() == [2, 0, 0]
    assert s["recency"].tolist() == [8.0, 0.0, 0.0]  # 5 Jan -> 2 Mar = 56 days
    assert s["T"].tolist() == [12.0, 8.0, 2.0]  # to 30 Mar: 84, 56, 14 days
    assert s["monetary"].tolist() == [50.0, 0.0, 0.0]  # (40 + 60) / 2 repeat purchases
    assert s.attrs["unit"] == "W"
    days = clv.summary(sales, "k", "d", "v", calibration_end="2026-03-30", unit="D")
    assert days["T"].tolist() == [84.0, 56.0, 14.0]


def test_summary_refuses_unknown_unit_and_missing_column():
    sales = pd.DataFrame({"k": ["A"], "d": pd.to_datetime(["2026-01-01"]), "v": [1.0]})
    with pytest.raises(KamError) as err:
        clv.summary(sales, "k", "d", "v", unit="Y")
    assert err.value.code == "clv.bad_unit"
    with pytest.raises(KamError) as err:
        clv.summary(sales, "k", "missing", "v")
    assert err.value.code == "clv.missing_column"


def test_calibration_holdout_counts_later_purchase_days():
    sales = pd.DataFrame(
        {
            "k": ["A", "A", "A", "A", "B"],
            "d": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-02-05", "2026-02-05", "2026-01-15"]),
            "v": [1.0, 2.0, 3.0, 5.0, 4.0],
        }
    )
    out = clv.calibration_holdout(
        sales, "k", "d", "v", calibration_end="2026-01-29", holdout_end="2026-02-26"
    )
    assert out["holdout_frequency"].tolist() == [1, 0]
    assert out["holdout_monetary"].tolist() == [8.0, 0.0]
    assert out["holdout_T"].tolist() == [4.0, 4.0]
    with pytest.raises(KamError) as err:
        clv.calibration_holdout(sales, "k", "d", "v", calibration_end="2026-03-01", holdout_end="2026-02-26")
    assert err.value.code == "clv.no_holdout"


# ---------------------------------------------------------------- BG/NBD by hand


def test_bgnbd_likelihood_equals_hand_computed_fractions():
    # r = 1, α = 2, a = 1, b = 2.
    # x = 0, T = 3: L = α^r / (α+T)^r = 2/5.
    # x = 1, t_x = 1, T = 3: B(1,3)/B(1,2) = 2/3 and Γ(2)·2/(5²) = 2/25 -> 4/75;
    #   B(2,2)/B(1,2) = 1/3 and Γ(2)·2/(3²) = 2/9 -> 2/27; L = 4/75 + 2/27 = 258/2025.
    ll = clv.bgnbd_log_likelihood((1.0, 2.0, 1.0, 2.0), [0, 1], [0.0, 1.0], [3.0, 3.0])
    assert np.exp(ll) == pytest.approx([2 / 5, 258 / 2025], rel=1e-13)


def test_p_alive_by_hand_and_one_without_repeat_purchases():
    model = clv.BetaGeoModel(
        params={"r": 1.0, "alpha": 2.0, "a": 1.0, "b": 2.0}, log_likelihood=0.0, n_customers=2
    )
    frame = pd.DataFrame({"frequency": [0, 1, 0], "recency": [0.0, 1.0, 0.0], "T": [3.0, 3.0, 500.0]})
    # x = 1: 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)) = 1 / (1 + 1/2 · 25/9) = 18/43,
    # which is also the first term's share of the likelihood above: (4/75) / (258/2025).
    assert model.p_alive(frame).tolist() == pytest.approx([1.0, 18 / 43, 1.0], rel=1e-13)


def _hyp2f1_series(a: float, b: float, c: float, z: float, terms: int = 4000) -> float:
    """Gauss's series summed term by term in plain floats (independent of scipy)."""
    total, term = 1.0, 1.0
    for k in range(terms):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) < 1e-17 * abs(total):
            break
    return total


def _conditional_expectation_paper(params: dict, x: float, t_x: float, T: float, t: float) -> float:
    """FHL (2005) eq. (10) exactly as printed, with the series above."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    z = t / (alpha + T + t)
    hyp = _hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    denominator = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return numerator / denominator


PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 36.0), (14, 30.0, 38.0)],
)
def test_conditional_expectation_matches_the_paper_formula(x, t_x, T):
    model = clv.BetaGeoModel(params=PAPER, log_likelihood=0.0, n_customers=1)
    frame = pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [T]})
    expected = _conditional_expectation_paper(PAPER, x, t_x, T, 39.0)
    assert model.expected_purchases(frame, 39.0).iloc[0] == pytest.approx(expected, rel=1e-9)


def test_expected_purchases_of_a_new_customer_match_the_series_and_the_initial_rate():
    model = clv.BetaGeoModel(params=PAPER, log_likelihood=0.0, n_customers=1)
    r, alpha, a, b = PAPER.values()
    for t in (1.0, 39.0, 78.0):
        z = t / (alpha + t)
        series = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * _hyp2f1_series(r, b, a + b - 1, z))
        assert model.expected_purchases_new(t) == pytest.approx(series, rel=1e-9)
    # while nobody has yet had a chance to drop out, purchases come at the mean rate r/α
    assert model.expected_purchases_new(1e-6) / 1e-6 == pytest.approx(r / alpha, rel=1e-5)


def test_large_frequencies_stay_finite_and_consistent():
    params = (0.243, 4.414, 0.793, 2.426)
    x = np.array([500.0, 5000.0, 20000.0])
    t_x = np.array([30.0, 38.0, 38.5])
    T = np.array([38.86, 38.86, 38.86])
    ll = clv.bgnbd_log_likelihood(params, x, t_x, T)
    assert np.isfinite(ll).all()
    model = clv.BetaGeoModel(
        params=dict(zip(("r", "alpha", "a", "b"), params, strict=True)), log_likelihood=0.0, n_customers=3
    )
    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": T})
    alive = model.p_alive(frame).to_numpy()
    expected = model.expected_purchases(frame, 10.0).to_numpy()
    assert np.isfinite(alive).all() and np.isfinite(expected).all()
    # a heavy buyer whose last purchase was days ago is gone with near certainty:
    # log odds(dead) = log(a/(b+x−1)) + (r+x)·log((α+T)/(α+t_x)) ≈ 91.6, so P(alive) ≈ e^−91.6
    r, alpha, a, b = params
    log_odds = math.log(a / (b + 5000 - 1)) + (r + 5000) * math.log((alpha + 38.86) / (alpha + 38.0))
    assert math.log(alive[1]) == pytest.approx(-log_odds, rel=1e-9)
    assert alive[2] < alive[1] < 1e-39
    # ... and one who bought very recently is alive and keeps buying at about (r+x)/(α+T) a week.
    # Independent check: E[Y(t) | alive] = E_p[(1 − ((α+T)/(α+T+pt))^(r+x)) / p] with the
    # drop-out probability p ~ Beta(a, b+x), integrated numerically.
    recent = pd.DataFrame({"frequency": [5000.0], "recency": [38.85], "T": [38.86]})
    got = model.expected_purchases(recent, 1.0).iloc[0]
    rx, aT = r + 5000, alpha + 38.86
    alive_part = stats.beta(a, b + 5000).expect(lambda p: -math.expm1(-rx * math.log1p(p / aT)) / p)
    assert got == pytest.approx(alive_part * model.p_alive(recent).iloc[0], rel=1e-6)
    assert 0.95 * rx / aT < got < rx / aT


def test_nearly_no_drop_out_falls_back_without_nan():
    # a, b very large (drop-out probability 1/2000 per purchase): 2F1 overflows in both forms
    model = clv.BetaGeoModel(
        params={"r": 2.0, "alpha": 5.0, "a": 1500.0, "b": 3.0e6}, log_likelihood=0.0, n_customers=1
    )
    frame = pd.DataFrame({"frequency": [63.0, 0.0], "recency": [119.0, 0.0], "T": [120.0, 50.0]})
    got = model.expected_purchases(frame, 52.0).to_numpy()
    # without drop-out the expectation is (r+x)/(α+T) per week
    nbd = np.array([65.0 / 125.0 * 52.0, 2.0 / 55.0 * 52.0])
    assert np.isfinite(got).all()
    assert got == pytest.approx(nbd * model.p_alive(frame).to_numpy(), rel=0.01)


@pytest.mark.parametrize("point", [(0.5, 3.0, 0.8, 2.5), (2.0, 10.0, 1.7, 0.6)])
def test_bgnbd_gradient_matches_finite_differences(point):
    x = np.array([0.0, 1.0, 4.0, 12.0])
    t_x = np.array([0.0, 3.0, 20.0, 30.0])
    T = np.array([10.0, 25.0, 30.0, 31.0])
    _, grad = clv._bgnbd_ll(*point, x, t_x, T, gradient=True)
    for i in range(4):
        step = 1e-6 * point[i]
        up = list(point)
        down = list(point)
        up[i] += step
        down[i] -= step
        numeric = (clv.bgnbd_log_likelihood(up, x, t_x, T) - clv.bgnbd_log_likelihood(down, x, t_x, T)) / (
            2 * step
        )
        assert grad[i] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_fit_refuses_too_few_customers_and_impossible_rows():
    frame = pd.DataFrame({"frequency": [1, 0], "recency": [2.0, 0.0], "T": [3.0, 3.0]})
    with pytest.raises(KamError) as err:
        clv.fit_bgnbd(frame)
    assert err.value.code == "clv.too_few_customers"
    bad = pd.DataFrame({"frequency": [1] * 12, "recency": [5.0] * 12, "T": [4.0] * 12})
    with pytest.raises(KamError) as err:
        clv.fit_bgnbd(bad)
    assert err.value.code == "clv.bad_summary"


# ------------------------------------------------------------------- Gamma-Gamma by hand


def test_gamma_gamma_likelihood_and_expected_spend_by_hand():
    # p = 1, q = 2, γ = 3, x = 1, m = 2: Γ(3)/(Γ(1)Γ(2)) · 3² · 2⁰ · 1¹ / (3 + 2)³ = 18/125
    ll = clv.gamma_gamma_log_likelihood((1.0, 2.0, 3.0), [1.0], [2.0])
    assert math.exp(ll[0]) == pytest.approx(18 / 125, rel=1e-13)
    model = clv.GammaGammaModel(params={"p": 1.0, "q": 2.0, "v": 3.0}, log_likelihood=0.0, n_customers=1)
    frame = pd.DataFrame({"frequency": [1, 0, 3], "monetary": [2.0, 0.0, 10.0]})
    # p(γ + m x)/(p x + q − 1): (3 + 2)/2 = 2.5; no repeat purchase: pγ/(q−1) = 3; (3 + 30)/4 = 8.25
    assert model.expected_spend(frame).tolist() == pytest.approx([2.5, 3.0, 8.25], rel=1e-13)
    assert model.population_mean == 3.0


def test_gamma_gamma_gradient_matches_finite_differences():
    point = (2.0, 3.5, 12.0)
    x = np.array([1.0, 2.0, 7.0])
    m = np.array([10.0, 25.5, 14.0])
    _, grad = clv._gg_ll(*point, x, m, gradient=True)
    for i in range(3):
        step = 1e-6 * point[i]
        up = list(point)
        down = list(point)
        up[i] += step
        down[i] -= step
        numeric = (clv.gamma_gamma_log_likelihood(up, x, m) - clv.gamma_gamma_log_likelihood(down, x, m)) / (
            2 * step
        )
        assert grad[i] == pytest.approx(numeric, rel=1e-6)


# ------------------------------------------------------------------------------- CLV


def test_clv_sums_monthly_purchases_times_spend_discounted():
    model = clv.BetaGeoModel(params=PAPER, log_likelihood=0.0, n_customers=1, unit="W")
    frame = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86], "monetary": [22.35]})
    frame.attrs["unit"] = "W"
    month = 365.25 / 12 / 7
    undiscounted = clv.clv(frame, model, spend=10.0, months=12)
    assert undiscounted.iloc[0] == pytest.approx(
        10.0 * model.expected_purchases(frame, 12 * month).iloc[0], rel=1e-12
    )
    by_month = [model.expected_purchases(frame, i * month).iloc[0] for i in range(0, 4)]
    rate = 0.10
    hand = sum((by_month[i] - by_month[i - 1]) * 10.0 * 0.25 / 1.10 ** (i / 12) for i in range(1, 4))
    got = clv.clv(frame, model, spend=10.0, months=3, annual_discount_rate=rate, margin=0.25)
    assert got.iloc[0] == pytest.approx(hand, rel=1e-12)
    with pytest.raises(KamError) as err:
        clv.clv(frame, model, spend=1.0, months=0)
    assert err.value.code == "clv.bad_horizon"


# ---------------------------------------------------------------- CDNOW acceptance


def test_cdnow_summary_reproduces_the_published_summary(cdnow_summary):
    published = pd.read_csv(REAL / "cdnow_sample_summary.csv", dtype={"ID": str})
    assert len(cdnow_summary) == 2357
    ours = cdnow_summary.assign(ID=cdnow_summary["customer"].astype(int)).set_index("ID").sort_index()
    theirs = published.assign(ID=published["ID"].astype(int)).set_index("ID").sort_index()
    assert (ours["frequency"] == theirs["x"]).all()
    assert int(ours["frequency"].sum()) == 2457
    # the published file rounds to two decimals
    assert np.abs(ours["recency"] - theirs["t_x"]).max() <= 0.005 + 1e-9
    assert np.abs(ours["T"] - theirs["T"]).max() <= 0.005 + 1e-9
    assert np.abs(ours["monetary"] - theirs["zbar"]).max() <= 0.005 + 1e-9


def test_cdnow_bgnbd_reproduces_the_paper(cdnow_summary):
    model = clv.fit_bgnbd(cdnow_summary)
    rounded = {k: round(v, 3) for k, v in model.params.items()}
    assert rounded == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(model.log_likelihood, 1) == -9582.4
    assert model.n_customers == 2357


def test_cdnow_gamma_gamma_reproduces_the_note(cdnow_summary):
    # Fitted, as in Fader & Hardie's note, on the 946 customers with a repeat purchase in the
    # calibration period and their exact mean repeat-purchase value: p = 6.25, q = 3.74, γ = 15.44.
    model = clv.fit_gamma_gamma(cdnow_summary)
    assert model.n_customers == 946
    assert {k: round(v, 2) for k, v in model.params.items()} == {"p": 6.25, "q": 3.74, "v": 15.44}
    # The lifetimes documentation shows v = 15.45: it fits the same customers on the published
    # summary file, whose mean values are rounded to cents. The same fit here gives the same.
    published = pd.read_csv(REAL / "cdnow_sample_summary.csv").rename(
        columns={"x": "frequency", "zbar": "monetary"}
    )
    rounded = clv.fit_gamma_gamma(published)
    assert {k: round(v, 2) for k, v in rounded.params.items()} == {"p": 6.25, "q": 3.74, "v": 15.45}


def test_cdnow_holdout_comparison_by_calibration_frequency(cdnow):
    check = clv.holdout_check(
        cdnow, "id", "date", "value", calibration_end="1997-09-30", holdout_end="1998-06-30", censor=7
    )
    assert check.unit == "W"
    table = check.table.set_index("bin")
    # actual: counted here directly from the raw file, day by day
    rows = cdnow.groupby(["id", "date"]).size().reset_index()[["id", "date"]]
    cal = rows[rows["date"] <= "1997-09-30"].groupby("id").size() - 1
    hold = rows[(rows["date"] > "1997-09-30") & (rows["date"] <= "1998-06-30")].groupby("id").size()
    hold = hold.reindex(cal.index, fill_value=0)
    bins = cal.clip(upper=7)
    assert table["customers"].tolist() == [int((bins == k).sum()) for k in range(8)]
    assert table["customers"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert table["label"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["actual"].tolist() == pytest.approx(
        [float(hold[bins == k].mean()) for k in range(8)], rel=1e-12
    )
    assert check.total_actual == 1882.0
    # predicted: FHL eq. (10) as printed, per customer, averaged per bin
    s = clv.summary(cdnow, "id", "date", "value", calibration_end="1997-09-30")
    paper = np.array(
        [
            _conditional_expectation_paper(check.params, x, t_x, T, 39.0)
            for x, t_x, T in s[["frequency", "recency", "T"]].itertuples(index=False)
        ]
    )
    by_bin = pd.Series(paper).groupby(np.minimum(s["frequency"].to_numpy(), 7)).mean()
    assert table["predicted"].tolist() == pytest.approx(by_bin.tolist(), rel=1e-9)
    # The paper's figure 4 story: the forecast rises with past frequency like the actuals and
    # stays close to them; the whole cohort is under-forecast by about 12 %.
    assert table["predicted"].is_monotonic_increasing
    assert (np.abs(table["predicted"] - table["actual"]) < 0.4).all()
    assert check.total_predicted == pytest.approx(1653.4, abs=0.05)
    assert not check.fits_badly


def test_holdout_groups_of_similar_size_for_frequent_buyers(cdnow):
    check = clv.holdout_check(
        cdnow, "id", "date", "value", calibration_end="1997-09-30", holdout_end="1998-06-30", groups=4
    )
    # CDNOW's calibration frequencies have quartiles 0, 0, 1: the bins are 0, 1 and 2 or more
    top = int(clv.summary(cdnow, "id", "date", "value", calibration_end="1997-09-30")["frequency"].max())
    assert check.table["label"].tolist() == ["0", "1", f"2–{top}"]
    assert check.table["customers"].tolist() == [1411, 439, 507]
    assert check.table["bin"].tolist() == [0, 1, 2]


def test_fit_is_fast_path_equivalent_on_compressed_rows(cdnow_summary):
    # the fit evaluates each distinct (x, t_x, T) once, weighted: the likelihood is the same sum
    model = clv.fit_bgnbd(cdnow_summary)
    ll = clv.bgnbd_log_likelihood(
        tuple(model.params.values()), cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"]
    )
    assert float(ll.sum()) == pytest.approx(model.log_likelihood, rel=1e-12)


# -------------------------------------------------------------------- the app's view


def _read_demo(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / name, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Kundenr": str})


def test_demo_lost_accounts_have_low_p_alive_at_the_end_of_the_data():
    raw = _read_demo("transactions.csv")
    sales = pd.DataFrame(
        {
            "customer_id": raw["Kundenr"],
            "date": pd.to_datetime(raw["Fakturadato"], format="%d.%m.%Y"),
            "revenue": raw["Omsetning"].astype(float),
        }
    )
    status = _read_demo("customers.csv").set_index("Kundenr")["Status"]
    values = clv.account_future_value(sales)
    assert values.columns.tolist() == ["account", "p_alive", "expected_purchases_12m", "expected_revenue_12m"]
    values = values.set_index("account")
    lost = values.loc[status[status == "tapt"].index.intersection(values.index)]
    active = values.loc[status[status == "aktiv"].index.intersection(values.index)]
    assert len(lost) == 11
    # every lost account is less likely alive than every active one ...
    assert lost["p_alive"].max() < active["p_alive"].min()
    assert active["p_alive"].median() > 0.95
    assert lost["p_alive"].median() < 0.01
    # ... and those silent for 16 weeks or more (all but the one lost most recently, quiet for
    # 15 weeks after buying every two weeks or so) are below 10 %: the demo's buyers almost
    # never drop out (the fitted drop-out chance is 1 in 2,300 purchases), so a short silence
    # is weak evidence
    full = clv.future_value(sales)
    silence = full.accounts.set_index("account").eval("T - recency")
    long_silent = lost.loc[silence.loc[lost.index] >= 16]
    assert len(long_silent) == 10
    assert (long_silent["p_alive"] < 0.1).all()
    # a long-silent lost account is expected to buy less than a fifth of what a typical active one will
    assert long_silent["expected_revenue_12m"].max() < 0.2 * active["expected_revenue_12m"].median()
    at_risk = full.accounts.sort_values("revenue_at_risk", ascending=False).head(len(lost))
    # revenue at risk = (1 − P(alive)) × last 12 months' revenue; the lost accounts lead the list
    assert set(at_risk["account"]) == set(lost.index)
    assert full.accounts["revenue_at_risk"].to_numpy() == pytest.approx(
        ((1 - full.accounts["p_alive"]) * full.accounts["last_year_revenue"].clip(lower=0)).to_numpy()
    )


def test_selection_measures_p_alive_and_expected_revenue_as_criteria():
    from kamcore import selection

    raw = _read_demo("transactions.csv")
    sales = pd.DataFrame(
        {
            "customer_id": raw["Kundenr"],
            "date": pd.to_datetime(raw["Fakturadato"], format="%d.%m.%Y"),
            "revenue": raw["Omsetning"].astype(float),
        }
    )
    plain = selection.account_measures(sales)
    assert "p_alive" not in plain.columns  # the models are fitted only when asked for
    measures = selection.account_measures(sales, future_value=True)
    values = clv.account_future_value(sales).set_index("account")
    got = measures.set_index("customer_id")
    assert got["p_alive"].to_numpy() == pytest.approx(values.loc[got.index, "p_alive"].to_numpy(), rel=1e-12)
    assert got["expected_revenue_12m"].to_numpy() == pytest.approx(
        values.loc[got.index, "expected_revenue_12m"].to_numpy(), rel=1e-12
    )
    # Attractiveness by P(alive) alone, lower is better: the lost accounts lead the ranking.
    model = selection.SelectionModel(
        criteria=(
            selection.measure_criterion("p_alive", "attractiveness", "lower_is_better"),
            selection.measure_criterion("expected_revenue_12m", "strength", weight=0.0),
            selection.measure_criterion("revenue", "strength"),
        )
    )
    assert selection.needs_future_value(model)
    scored = selection.score_accounts(measures, model)
    status = _read_demo("customers.csv").set_index("Kundenr")["Status"]
    lost = set(status[status == "tapt"].index)
    top_by_attractiveness = scored.sort_values(["attractiveness", "customer_id"], ascending=[False, True])
    assert set(top_by_attractiveness["customer_id"].head(len(lost))) == lost


def test_add_future_value_leaves_unknown_accounts_neutral():
    from kamcore import selection

    measures = pd.DataFrame({"customer_id": ["1", "2"], "revenue": [10.0, 20.0]})
    values = pd.DataFrame(
        {"account": ["2"], "p_alive": [0.25], "expected_purchases_12m": [1.0], "expected_revenue_12m": [40.0]}
    )
    out = selection.add_future_value(measures, values)
    assert out["p_alive"].isna().tolist() == [True, False]
    assert out["p_alive"].iloc[1] == 0.25 and out["expected_revenue_12m"].iloc[1] == 40.0
    assert selection.add_future_value(measures, None)["p_alive"].isna().all()


def test_every_clv_error_code_has_a_translation():
    import json
    import re

    source = (Path(clv.__file__)).read_text(encoding="utf-8")
    codes = set(re.findall(r'"clv\.([a-z_]+)"', source))
    catalogue = json.loads(
        (Path(__file__).resolve().parents[2] / "ui" / "locales" / "err_clv.json").read_text()
    )
    assert codes and sorted(codes - set(catalogue)) == []
    assert all(set(entry) == {"en", "nb", "sv"} for entry in catalogue.values())


def contract_sales() -> pd.DataFrame:
    """60 contract customers invoiced every 28 days; every tenth stopped in June 2025."""
    rows = []
    for i in range(60):
        day = pd.Timestamp("2023-11-01") + pd.Timedelta(days=(7 * i) % 28)
        stop = pd.Timestamp("2025-06-30") if i % 10 == 0 else pd.Timestamp("2026-10-31")
        while day <= stop:
            rows.append((f"K{i:03d}", day, 1000.0 + i))
            day += pd.Timedelta(days=28)
    return pd.DataFrame(rows, columns=["customer_id", "date", "revenue"])


def test_fixed_rhythm_is_recognised():
    check = clv.holdout_check(contract_sales(), "customer_id", "date", "revenue", groups=8)
    # every gap is exactly 28 days: the coefficient of variation is 0
    assert check.regularity == 0.0
    assert check.regular_rhythm
    cdnow_like = clv.holdout_check(
        read_cdnow("cdnow_sample.txt"),
        "id",
        "date",
        "value",
        calibration_end="1997-09-30",
        holdout_end="1998-06-30",
    )
    assert not cdnow_like.regular_rhythm


def test_fits_badly_flags_a_large_miss():
    check = clv.HoldoutCheck(
        calibration_end="2025-10-31",
        holdout_end="2026-10-31",
        unit="W",
        table=pd.DataFrame(),
        total_actual=100.0,
        total_predicted=75.0,
        total_error=0.25,
        bin_error=0.25,
        regularity=1.0,
        params={},
    )
    assert check.fits_badly
    assert not check.model_copy(update={"total_error": 0.2, "bin_error": 0.3}).fits_badly
    assert check.model_copy(update={"total_error": 0.1, "bin_error": 0.31}).fits_badly


def test_future_value_with_check_equals_the_separate_check(cdnow):
    sales = cdnow.rename(columns={"id": "customer_id", "value": "revenue"})
    together = clv.future_value(sales, "1998-06-30", with_check=True, check_groups=4)
    alone = clv.holdout_check(sales, "customer_id", "date", "revenue", holdout_end="1998-06-30", groups=4)
    assert together.check_error is None
    assert together.check.calibration_end == alone.calibration_end
    pd.testing.assert_frame_equal(together.check.table, alone.table)
    short = clv.future_value(sales.loc[sales["date"] <= "1997-01-20"], with_check=True)
    # 19 days of data: the check's calibration period (before the last 28 days) is empty
    assert short.check is None
    assert short.check_error["code"] == "clv.nothing_before_end"


def test_future_value_reports_each_step_as_it_starts(cdnow):
    sales = cdnow.rename(columns={"id": "customer_id", "value": "revenue"})
    steps: list[str] = []
    with_check = clv.future_value(sales, "1998-06-30", with_check=True, on_step=steps.append)
    assert steps == ["summary", "bgnbd", "gamma_gamma", "values", "check"]
    steps.clear()
    without = clv.future_value(sales, "1998-06-30", on_step=steps.append)
    assert steps == ["summary", "bgnbd", "gamma_gamma", "values"]
    # reporting changes nothing in the result
    pd.testing.assert_frame_equal(with_check.accounts, without.accounts)


# ----------------------------------------------- revenue against the same 12 months last year


def test_revenue_change_against_the_same_months_a_year_earlier_by_hand():
    """End 31.10.2026: last year is (31.10.2025, 31.10.2026], the year before (31.10.2024,
    31.10.2025] — each end day inside its window, each start day outside."""
    sales = pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "A", "A", "A", "A", "B", "C", "D", "E", "E"],
            "date": pd.to_datetime(
                [
                    "2024-10-31",  # A: before both windows
                    "2024-11-01",  # A: first day of the year before
                    "2025-10-31",  # A: last day of the year before
                    "2025-11-01",  # A: first day of last year
                    "2026-06-01",  # A: a credit note last year
                    "2026-10-31",  # A: the end day itself
                    "2026-11-01",  # A: after the end: left out
                    "2023-05-05",  # B: bought long ago only
                    "2026-02-02",  # C: new last year
                    "2026-11-05",  # D: only after the end: no row
                    "2025-01-10",  # E: only a credit note the year before
                    "2026-01-10",
                ]
            ),
            "revenue": [1000.0, 200.0, 300.0, 100.0, -30.0, 50.0, 999.0, 400.0, 70.0, 500.0, -50.0, 100.0],
        }
    )
    out = clv.revenue_change(sales, "2026-10-31")
    assert out.columns.tolist() == [
        "account", "last_year_revenue", "year_before_revenue", "revenue_change", "revenue_change_pct"
    ]  # fmt: skip
    assert out["account"].tolist() == ["A", "B", "C", "E"]
    # A: 100 − 30 + 50 = 120 against 200 + 300 = 500: −380, −76 %
    assert out["last_year_revenue"].tolist() == [120.0, 0.0, 70.0, 100.0]
    assert out["year_before_revenue"].tolist() == [500.0, 0.0, 0.0, -50.0]
    assert out["revenue_change"].tolist() == [-380.0, 0.0, 70.0, 150.0]
    assert out["revenue_change_pct"].iloc[0] == pytest.approx(-0.76, abs=1e-12)
    # no positive base a year earlier: no per cent (B: nothing either year; C: new; E: credit only)
    assert out["revenue_change_pct"].iloc[1:].isna().all()
    # six-month windows: (30.04.2026, 31.10.2026] = −30 + 50 = 20 against (31.10.2025, 30.04.2026] = 100
    half = clv.revenue_change(sales, "2026-10-31", months=6).set_index("account")
    assert half.loc["A", ["last_year_revenue", "year_before_revenue", "revenue_change"]].tolist() == [
        20.0,
        100.0,
        -80.0,
    ]
    assert half.loc["A", "revenue_change_pct"] == pytest.approx(-0.8, abs=1e-12)
    # without an end: the latest date (here 31.10.2026 once the later lines are gone)
    earlier = sales.loc[sales["date"] <= "2026-10-31"]
    assert clv.revenue_change(earlier).equals(out)


def _demo_sales() -> pd.DataFrame:
    raw = _read_demo("transactions.csv")
    return pd.DataFrame(
        {
            "customer_id": raw["Kundenr"],
            "date": pd.to_datetime(raw["Fakturadato"], format="%d.%m.%Y"),
            "revenue": raw["Omsetning"].astype(float),
        }
    )


def _demo_plan() -> pd.DataFrame:
    """The demo generator's account plan (roles: "decliner", "churned", ...)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_demo", DEMO.parent / "generate_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_all()["_plan"]


def test_future_value_carries_the_change_and_the_demo_decliners_lead_by_it():
    """The demo plants 14 active accounts whose last 12 months are 30–60 % of the 12 before
    (data/generate_demo.py, story 3). They keep buying, so P(alive) stays high and only some
    of them show by revenue at risk; ranked by the fall in per cent they are all near the top."""
    sales = _demo_sales()
    full = clv.future_value(sales)
    change = clv.revenue_change(sales, full.as_of).set_index("account")
    accounts = full.accounts.set_index("account")
    columns = ["last_year_revenue", "year_before_revenue", "revenue_change", "revenue_change_pct"]
    assert accounts.index.tolist() == change.index.tolist()  # every demo account bought before the end
    pd.testing.assert_frame_equal(accounts[columns], change[columns])

    plan = _demo_plan()
    decliners = set(plan.loc[plan["role"] == "decliner", "Kundenr"].astype(str))
    assert len(decliners) == 14
    status = _read_demo("customers.csv").set_index("Kundenr")["Status"]
    active = accounts.loc[status[status == "aktiv"].index.intersection(accounts.index)]
    assert len(active) == 389
    # every decliner fell by more than 30 % and still looks alive to the model
    assert (active.loc[sorted(decliners), "revenue_change_pct"] < -0.3).all()
    assert (active.loc[sorted(decliners), "p_alive"] > 0.95).all()

    def places(order: pd.DataFrame) -> list[int]:
        return sorted(i for i, account in enumerate(order.index) if account in decliners)

    by_pct = (
        active.reset_index()
        .sort_values(["revenue_change_pct", "revenue_change", "account"], na_position="last", kind="stable")
        .set_index("account")
    )
    by_amount = (
        active.reset_index().sort_values(["revenue_change", "account"], kind="stable").set_index("account")
    )
    by_risk = (
        active.reset_index()
        .sort_values(["revenue_at_risk", "account"], ascending=[False, True])
        .set_index("account")
    )
    # by the fall in per cent, all 14 are among the first 44 of 389; the accounts between them
    # are real falls too (small accounts with few invoices, normal accounts drifting down)
    assert places(by_pct) == [2, 6, 8, 9, 12, 13, 15, 18, 20, 26, 28, 31, 40, 43]
    # by the fall in money the largest decliner leads, all within the first 95
    assert places(by_amount) == [0, 13, 14, 16, 24, 32, 33, 46, 50, 54, 55, 72, 74, 94]
    # by revenue at risk (the model) half of them are beyond the first 200 rows the page shows
    assert len([p for p in places(by_risk) if p < 200]) == 7
