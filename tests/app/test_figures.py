"""Direct tests of the figure builders and table formatters in ui.figures (no AppTest needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from scipy import stats

from kamcore import selection, survey
from ui import charts
from ui.figures import common
from ui.figures import portfolio as pf
from ui.figures import segments as sf
from ui.figures import selection as sel
from ui.figures import survey as sv
from ui.i18n import t

HOSTILE = "<b>Acme</b> & <img src=x>"
ESCAPED = "&lt;b&gt;Acme&lt;/b&gt; &amp; &lt;img src=x&gt;"


def test_safe_escapes_the_hostile_name_as_these_tests_expect():
    assert charts.safe(HOSTILE) == ESCAPED


# ----------------------------------------------------------------------------- common


@pytest.mark.parametrize(("n_rows", "height"), [(1, 320), (6, 320), (7, 350), (20, 740)])
def test_item_rows_height_grows_with_rows_and_first_row_is_on_top(n_rows, height):
    fig = common.style_item_rows(go.Figure(), n_rows, title="T", x_title="X")
    assert fig.layout.height == height  # max(320, 30 * n + 140)
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.title.text == "T"
    assert fig.layout.xaxis.title.text == "X"
    assert fig.layout.template.layout.colorway == tuple(charts.PALETTE)


# ----------------------------------------------------------------------------- survey


def gap_table(pairs: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pair": pairs,
            "n": [10, 12, 8],
            "mean_gap": [0.5, -1.25, 0.0],
            "ci_low": [0.1, -1.75, -0.5],
            "ci_high": [0.9, -0.75, 0.5],
            "mean_expectation": [5.0, 6.5, 4.0],
            "mean_perception": [5.5, 5.25, 4.0],
        }
    )


def test_gap_figure_sorts_by_gap_escapes_labels_and_draws_ci_whiskers():
    fig = sv.gap_figure(gap_table(["ok", HOSTILE, "flat"]), "pair", "Gap per pair")
    (trace,) = fig.data
    # ascending by gap, drawn top-down: the largest shortfall on top
    assert list(trace.y) == [ESCAPED, "flat", "ok"]
    assert list(trace.x) == [-1.25, 0.0, 0.5]
    assert list(trace.error_x.arrayminus) == [0.5, 0.5, 0.4]
    assert list(trace.error_x.array) == pytest.approx([0.5, 0.5, 0.4])
    assert fig.layout.title.text == "Gap per pair"
    assert fig.layout.xaxis.title.text == t("survey.axis_gap")
    assert fig.layout.height == 320
    assert fig.layout.yaxis.autorange == "reversed"


def test_gap_figure_draws_one_trace_per_group_in_churned_then_rest_colours():
    gaps = gap_table(["a", "b", "c"])
    fig = sv.gap_figure(gaps, "pair", "T", {"lost": gaps, "rest": gaps.assign(mean_gap=0.0)})
    assert [tr.name for tr in fig.data] == ["lost", "rest"]
    assert [tr.marker.color for tr in fig.data] == [charts.NEGATIVE, charts.POSITIVE]
    assert all(tr.showlegend for tr in fig.data)


def test_histogram_counts_every_scale_point_and_escapes_item_and_question():
    values = pd.Series([1.0, 2.0, 2.0, 5.0, np.nan])
    fig = sv.histogram_figure(survey.answer_counts(values, (1.0, 5.0)), HOSTILE, "Why <script>?", (1.0, 5.0))
    bars, curve = fig.data
    assert list(bars.x) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(bars.y) == [1, 2, 0, 0, 1]
    # n times the normal density with the answers' mean 2.5 and s.d. sqrt(3) (bin width 1)
    assert np.asarray(curve.y) == pytest.approx(4 * stats.norm.pdf(np.asarray(curve.x), 2.5, np.sqrt(3)))
    assert [s.x0 for s in fig.layout.shapes] == [2.5]
    title = fig.layout.title.text
    assert ESCAPED in title and HOSTILE not in title
    assert title.endswith("<br><sup>Why &lt;script&gt;?</sup>")
    assert fig.layout.xaxis.title.text == t("survey.axis_answer")
    assert fig.layout.yaxis.title.text == t("survey.axis_respondents")


def test_mirror_figure_orders_by_knowledge_gap_and_escapes_items():
    gaps = pd.DataFrame(
        {
            "item": ["small", HOSTILE],
            "gap": [0.1, 1.5],
            "mean_staff": [4.0, 3.0],
            "mean_customers": [4.1, 4.5],
        }
    )
    fig = sv.mirror_figure(gaps)
    customers, staff = fig.data[-2], fig.data[-1]
    assert list(customers.y) == [ESCAPED, "small"]
    assert list(customers.x) == [4.5, 4.1]
    assert list(staff.x) == [3.0, 4.0]
    assert fig.layout.title.text == t("survey.mirror_title")


def test_results_table_translates_roles_and_renames_only_present_columns():
    frame = pd.DataFrame({"dimension": ["x"], "role": ["expectation"], "n": [3]})
    shown = sv.results_table(frame, {"dimension": "D", "role": "R", "alpha": "A"})
    assert list(shown.columns) == ["D", "R"]
    assert shown["R"].tolist() == [t("survey.role_expectation")]


def test_pick_default_finds_a_word_in_the_name_or_question():
    options = ["Q1", "Q2", "Q3"]
    assert sv.pick_default(options, ("recommend",), {"Q2": "Would you recommend us?"}) == 1
    assert sv.pick_default(options, ("nps",), {}) == 0


# ----------------------------------------------------------------------------- portfolio


def test_account_names_show_name_and_id_or_the_id_alone():
    frame = pd.DataFrame({"customer_id": ["007", "007", "2"], "customer_name": ["Bond AS", "Bond AS", None]})
    assert pf.account_names(frame).to_dict() == {"007": "Bond AS (007)", "2": "2"}
    assert pf.account_names(frame[["customer_id"]]).to_dict() == {"007": "007", "2": "2"}
    # the first name given per account, whatever comes before or after it; a line without an id is skipped
    later = pd.DataFrame({"customer_id": ["2", "007", None, "2", "007", "3"],
                          "customer_name": [None, "Bond AS", "Lost", "Two AS", "James", None]}).astype("str")
    later = later.where(later != "None")
    assert pf.account_names(later).to_dict() == {"007": "Bond AS (007)", "2": "Two AS (2)", "3": "3"}


def test_pareto_figure_titles_axes_and_escapes_hover_names():
    top = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "value": [60.0, 30.0, 10.0],
            "cum_share": [0.6, 0.9, 1.0],
            "abc_class": ["A", "B", "C"],
            "name": [HOSTILE, "Beta (2)", None],
        }
    )
    fig = pf.pareto_figure(top, "revenue", (0.8, 0.95), n_accounts=40)
    bars = [tr for tr in fig.data if tr.type == "bar"]
    line = next(tr for tr in fig.data if tr.type == "scatter")
    assert [list(b.customdata) for b in bars] == [[ESCAPED], ["Beta (2)"], [""]]
    assert list(line.y) == pytest.approx([60.0, 90.0, 100.0])
    assert [s.y0 for s in fig.layout.shapes if s.type == "line"] == [80.0, 95.0]
    assert fig.layout.title.text == t(
        "portfolio.pareto_title", n="3", total="40", measure=t("portfolio.measure_revenue").lower()
    )
    assert fig.layout.xaxis.title.text == t("portfolio.axis_rank")
    assert fig.layout.yaxis.title.text == t("portfolio.axis_revenue")
    assert fig.layout.yaxis2.title.text == t("portfolio.axis_cumulative")


def test_movement_sankey_links_only_non_empty_cells():
    matrix = pd.DataFrame([[2, 0], [1, 3]], index=["A", "B"], columns=["A", "B"])
    (sankey,) = pf.movement_sankey_figure(matrix).data
    assert list(sankey.link.source) == [0, 1, 1]
    assert list(sankey.link.target) == [2, 2, 3]
    assert list(sankey.link.value) == [2, 1, 3]
    assert list(sankey.node.label) == [t("portfolio.class_A"), t("portfolio.class_B")] * 2


def test_drill_figure_escapes_the_account_in_the_title_and_omits_profit_when_unmapped():
    series = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01"]), "revenue": [5.0, 7.0]})
    fig = pf.drill_figure(series, "revenue", False, HOSTILE)
    assert len(fig.data) == 1
    assert fig.layout.title.text == t("portfolio.drill_chart_title", account=ESCAPED)
    assert fig.layout.yaxis.title.text == t("portfolio.axis_amount")


# ----------------------------------------------------------------------------- selection


def scored_accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["1", "2"],
            "customer_name": [HOSTILE, "Beta"],
            "revenue": [1000.0, 10.0],
            "profit": [100.0, 1.0],
            "attractiveness": [80.0, 20.0],
            "strength": [70.0, 30.0],
            "rank": [1, 2],
            "total": [75.0, 25.0],
            "category": ["key", "opportunistic"],
        }
    )


def test_matrix_figure_escapes_names_in_hover_and_cuts_at_the_medians():
    fig = sel.matrix_figure(scored_accounts(), selection.default_model(), "category")
    hover = [text for trace in fig.data for text in trace.hovertext]
    assert any(text.startswith(f"<b>{ESCAPED}</b> (1)") for text in hover)
    assert not any(HOSTILE in text for text in hover)
    assert [tr.name for tr in fig.data] == [sel.category_label(c) for c in selection.CATEGORIES]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [lines[0].y0, lines[1].x0] == [50.0, 50.0]  # median attractiveness, median strength
    assert fig.layout.xaxis.title.text == t("selection.matrix_x")
    assert fig.layout.yaxis.title.text == t("selection.matrix_y")


def test_matrix_figure_colours_by_the_classes_it_is_given():
    classes = selection.revenue_classes(scored_accounts())
    # "1" has nothing before it (A); "2" has 1000 of 1010 = 99 % before it, past 95 % (C)
    assert classes.to_dict() == {"1": "A", "2": "C"}
    fig = sel.matrix_figure(scored_accounts(), selection.default_model(), "abc", classes=classes)
    assert [tr.name for tr in fig.data] == [t("selection.abc_class", cls=g) for g in ("A", "B", "C")]
    assert [list(tr.customdata[:, 0]) if len(tr.x) else [] for tr in fig.data] == [["1"], [], ["2"]]
    # the figure uses the classes passed in, whatever they are
    given = pd.Series({"1": "B", "2": "B"})
    fig = sel.matrix_figure(scored_accounts(), selection.default_model(), "abc", classes=given)
    assert [len(tr.x) for tr in fig.data] == [0, 2, 0]


def test_matrix_draws_the_best_ranked_and_the_largest_of_a_large_portfolio(monkeypatch):
    monkeypatch.setattr(sel, "MATRIX_MAX_BEST", 3)
    monkeypatch.setattr(sel, "MATRIX_MAX_LARGEST", 2)
    n = 9
    scored = pd.DataFrame(
        {
            "customer_id": [str(i) for i in range(1, n + 1)],
            "customer_name": [f"Kunde {i}" for i in range(1, n + 1)],
            # ranks 1..9 in order; the largest revenues belong to ranks 9 and 7
            "revenue": [5.0, 4.0, 3.0, 2.0, 1.0, 6.0, 80.0, 7.0, 90.0],
            "profit": [1.0] * n,
            "attractiveness": [90.0 - 10 * i for i in range(n)],
            "strength": [90.0 - 10 * i for i in range(n)],
            "rank": list(range(1, n + 1)),
            "total": [90.0 - 10 * i for i in range(n)],
            "category": ["key"] * n,
        }
    )
    assert list(sel.drawn_accounts(scored)["customer_id"]) == ["1", "2", "3", "7", "9"]
    fig = sel.matrix_figure(scored, selection.default_model(), "category")
    drawn = sorted(str(c[0]) for tr in fig.data for c in tr.customdata)
    assert drawn == ["1", "2", "3", "7", "9"]
    assert t("selection.matrix_drawn", shown="5", total="9") in fig.layout.title.text
    # the cut-points are the whole portfolio's medians, not the drawn accounts'
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [lines[0].y0, lines[1].x0] == [50.0, 50.0]
    # up to the limit every account is drawn and nothing is said
    small = scored.head(5)
    fig = sel.matrix_figure(small, selection.default_model(), "category")
    assert sum(len(tr.x) for tr in fig.data) == 5
    assert t("selection.matrix_drawn", shown="5", total="5") not in fig.layout.title.text


def test_picked_in_chart_reads_customdata_or_falls_back_to_trace_and_index():
    fig = sel.matrix_figure(scored_accounts(), selection.default_model(), "category")
    key_trace = next(i for i, tr in enumerate(fig.data) if len(tr.x))
    event = {"selection": {"points": [{"customdata": ["2"]}, {"curve_number": key_trace, "point_index": 0}]}}
    assert sel.picked_in_chart(event, fig) == ["2", "1"]
    assert sel.picked_in_chart(None, fig) == []


def test_criteria_labels_translate_each_name():
    assert sel.criteria_labels("growth_potential, share_of_wallet") == ", ".join(
        [t("selection.criterion_growth_potential"), t("selection.criterion_share_of_wallet")]
    )


# ----------------------------------------------------------------------------- segments


def test_pca_chart_escapes_segment_names_and_hover_labels():
    coords = pd.DataFrame({"pc1": [0.0, 1.0, 2.0], "pc2": [1.0, 0.0, -1.0]}, index=["a", "b", "c"])
    coords.attrs["explained_variance_ratio"] = [0.5, 0.25]
    labels = pd.Series([0, 1, 1], index=["a", "b", "c"])
    hover = pd.Series([HOSTILE, "B", "C"], index=["a", "b", "c"])
    fig = sf.pca_chart(coords, labels, {0: HOSTILE, 1: "Big"}, hover)
    first, second = fig.data
    assert first.name == ESCAPED and list(first.customdata) == [ESCAPED]
    assert HOSTILE not in first.hovertemplate
    assert list(second.x) == [1.0, 2.0]
    assert fig.layout.xaxis.title.text == t("segments.pca_axis", n=1, share=charts_pct(0.5))
    # the legend sits at the very bottom of the figure, in a margin that holds it (2 names: 1 row)
    assert (fig.layout.legend.yref, fig.layout.legend.y, fig.layout.legend.yanchor) == ("container", 0, "bottom")
    assert fig.layout.margin.b == charts.LEGEND_BOTTOM_BASE + charts.TICK_LINE + charts.LEGEND_ROW


def test_pca_chart_draws_a_seeded_sample_of_a_large_portfolio_and_says_so(monkeypatch):
    monkeypatch.setattr(sf, "PCA_MAX_POINTS", 4)
    index = [f"k{i}" for i in range(10)]
    coords = pd.DataFrame({"pc1": [float(i) for i in range(10)], "pc2": [0.0] * 10}, index=index)
    coords.attrs["explained_variance_ratio"] = [0.5, 0.25]
    labels = pd.Series([i % 2 for i in range(10)], index=index)
    hover = pd.Series([f"Kunde {i}" for i in range(10)], index=index)
    ids = pd.Series([str(100 + i) for i in range(10)], index=index)
    fig = sf.pca_chart(coords, labels, {0: "Small", 1: "Big"}, hover, ids)
    xs = sorted(x for tr in fig.data for x in tr.x)
    assert len(xs) == 4 and set(xs) <= set(range(10))
    # each drawn point keeps its own hover text and account id
    for trace in fig.data:
        for x, text, account in zip(trace.x, trace.customdata, trace.ids, strict=True):
            assert (text, account) == (f"Kunde {int(x)}", str(100 + int(x)))
    assert t("segments.pca_sampled", shown="4", total="10") in fig.layout.title.text
    # the same sample every time (a rerun must not move the points)
    again = sf.pca_chart(coords, labels, {0: "Small", 1: "Big"}, hover, ids)
    assert sorted(x for tr in again.data for x in tr.x) == xs
    assert fig.layout.xaxis.title.text == t("segments.pca_axis", n=1, share=charts_pct(0.5))


def charts_pct(share: float) -> str:
    from ui.i18n import fmt_pct

    return fmt_pct(share)


def test_rfm_chart_counts_accounts_in_the_fixed_segment_order():
    from kamcore import segments as sg

    codes = list(sg.RFM_SEGMENTS)
    table = pd.DataFrame({"rfm_segment": [codes[1], codes[1], codes[0]]})
    (bars,) = sf.rfm_chart(table).data
    assert list(bars.x) == [1, 2] + [0] * (len(codes) - 2)
    assert list(bars.y) == [t(f"segments.rfm_{c}") for c in codes]
