"""ui.account_charts: which account a click in a chart means (the mapping a browser click feeds)."""

from __future__ import annotations

import pandas as pd

from kamcore import portfolio
from ui import account_charts
from ui.figures import portfolio as pf
from ui.figures import segments as sf


def click(curve: int, index: int, **extra) -> dict:
    return {"curve_number": curve, "point_number": index, "point_index": index, **extra}


def event(*points: dict) -> dict:
    return {"selection": {"points": list(points), "point_indices": [p["point_index"] for p in points],
                          "box": [], "lasso": []}}


def pareto() -> tuple[pd.DataFrame, object]:
    top = pd.DataFrame(
        {
            "customer": ["0042", "0007", "0100", "0013"],
            "rank": [1, 2, 3, 4],
            "value": [60.0, 25.0, 10.0, 5.0],
            "cum_share": [0.6, 0.85, 0.95, 1.0],
            "abc_class": ["A", "B", "B", "C"],
            "name": ["Nord AS (0042)", "Vest AS (0007)", None, "Sør AS (0013)"],
        }
    )
    return top, pf.pareto_figure(top, "revenue", (0.8, 0.95), n_accounts=4)


def test_a_click_on_a_pareto_bar_or_the_cumulative_line_names_its_account():
    _, fig = pareto()
    # traces: A bars, B bars, C bars, then the cumulative line
    assert [tr.type for tr in fig.data] == ["bar", "bar", "bar", "scatter"]
    assert account_charts.account_in_event(event(click(0, 0)), fig) == "0042"
    assert account_charts.account_in_event(event(click(1, 1)), fig) == "0100"
    assert account_charts.account_in_event(event(click(2, 0)), fig) == "0013"
    assert account_charts.account_in_event(event(click(3, 1)), fig) == "0007"
    # the id the browser sends with the point wins over the lookup
    assert account_charts.account_in_event(event(click(0, 0, id="0999")), fig) == "0999"


def test_nothing_several_or_a_point_without_an_account_opens_nothing():
    _, fig = pareto()
    assert account_charts.account_in_event(None, fig) is None
    assert account_charts.account_in_event({}, fig) is None
    assert account_charts.account_in_event({"selection": {"points": []}}, fig) is None
    assert account_charts.account_in_event(event(click(0, 0), click(1, 0)), fig) is None
    assert account_charts.accounts_in_event(event(click(0, 0), click(1, 0), click(3, 0)), fig) == ["0042", "0007"]
    # a point index or trace outside the figure (a stale event after the data changed)
    assert account_charts.account_in_event(event(click(0, 5)), fig) is None
    assert account_charts.account_in_event(event(click(9, 0)), fig) is None
    # without the figure and without an id in the event there is nothing to go on
    assert account_charts.account_in_event(event(click(0, 0))) is None


def test_the_whale_curve_origin_is_no_account_and_its_points_are():
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "profit": [50.0, 30.0, -20.0]})
    curve = portfolio.whale_curve(frame, "customer_id", "profit")
    fig = pf.whale_figure(curve, pd.Series({"a": "A AS", "b": "B AS", "c": "C AS"}), portfolio.whale_summary(curve))
    assert account_charts.account_in_event(event(click(0, 0)), fig) is None  # (0, 0)
    assert account_charts.account_in_event(event(click(0, 1)), fig) == "a"  # most profitable first
    assert account_charts.account_in_event(event(click(0, 3)), fig) == "c"
    assert account_charts.account_in_event(event(click(1, 0)), fig) is None  # the peak marker
    # hover texts are unchanged: the name, never the id
    assert list(fig.data[0].customdata) == ["", "A AS", "B AS", "C AS"]


def test_segment_scatter_points_carry_account_ids_only_for_accounts():
    coords = pd.DataFrame({"pc1": [0.0, 1.0, 2.0], "pc2": [1.0, 0.0, -1.0]}, index=["007", "2", "31"])
    labels = pd.Series([1, 0, 1], index=coords.index)
    hover = pd.Series(["Bond (007)", "Two (2)", "Tri (31)"], index=coords.index)
    ids = pd.Series(coords.index, index=coords.index)
    fig = sf.pca_chart(coords, labels, {0: "Small", 1: "Big"}, hover, ids)
    assert account_charts.account_in_event(event(click(0, 0)), fig) == "2"
    assert account_charts.account_in_event(event(click(1, 1)), fig) == "31"
    respondents = sf.pca_chart(coords, labels, {0: "Small", 1: "Big"}, hover)
    assert account_charts.account_in_event(event(click(1, 0)), respondents) is None


# ------------------------------------------------------------------ on the Portfolio page


def test_a_clicked_pareto_bar_opens_its_account_page(make_app):
    import json

    at = make_app("portfolio")
    (chart,) = at.get("plotly_chart")
    first_id = chart.proto.id
    largest = json.loads(chart.proto.spec)["data"][0]["ids"][0]
    assert any(c.value == "Click a point to open the account." for c in at.caption)
    at.run()
    # the chart keeps its id from run to run (a browser's selection is sent for that id)
    assert at.get("plotly_chart")[0].proto.id == first_id
    at.session_state["portfolio.pareto_chart"] = event(click(0, 0))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Key account"
    assert len(largest) == 6 and largest.isdigit()
    assert at.query_params["account"] == largest
