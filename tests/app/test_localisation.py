"""Numbers, dates and chart formats in the user's language: the shared machinery in ui.i18n/ui.charts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from ui import charts, i18n
from ui.i18n import fmt_num

NBSP = "\u00a0"


def display(view) -> pd.DataFrame:
    """What a pandas Styler shows in each cell (as Streamlit sends it to the browser)."""
    view._compute()
    body = view._translate(False, False)["body"]  # as streamlit's pandas_styler_utils reads it
    return pd.DataFrame([[cell["display_value"] for cell in row[1:]] for row in body], columns=view.data.columns)


def test_a_small_negative_amount_is_zero_not_minus_zero():
    assert fmt_num(-0.3, 0, "nb") == "0"
    assert fmt_num(-0.0, 0, "en") == "0"
    assert fmt_num(-0.04, 1, "en") == "0.0"
    assert fmt_num(-0.6, 0, "en") == "-1"


@pytest.mark.parametrize(
    ("language", "amount", "share", "day"),
    [
        ("nb", f"66{NBSP}502{NBSP}851,88", "12,5", "30.10.2026"),
        ("sv", f"66{NBSP}502{NBSP}851,88", "12,5", "2026-10-30"),
        ("en", "66,502,851.88", "12.5", "30 Oct 2026"),
    ],
)
def test_tables_write_numbers_in_the_language_and_keep_the_values(language, amount, share, day):
    frame = pd.DataFrame(
        {
            "amount": [66502851.88, 1234.5],
            "share": [12.5, 3.0],
            "rank": [1, 2],
            "when": [dt.date(2026, 10, 30), dt.date(2026, 1, 2)],
            "note": ["x", None],
        }
    )
    view, config = i18n.table_view(frame, decimals={"share": 1}, language=language)
    shown = display(view)
    assert shown.loc[0, "amount"] == amount
    assert shown.loc[1, "amount"] == fmt_num(1234.5, 2, language)
    assert shown.loc[0, "share"] == share
    assert shown.loc[1, "rank"] == "2"
    assert shown.loc[1, "note"] == "–"  # never "None"
    # the values themselves stay numbers, so the column sorts as numbers
    assert view.data["amount"].tolist() == [66502851.88, 1234.5]
    assert config["when"]["type_config"]["format"] == i18n.TABLE_DATE_FORMATS[language]
    assert i18n.fmt_date(dt.date(2026, 10, 30), language) == day


def test_a_large_table_uses_printf_formats_with_the_language_thousands_separator():
    n = i18n.STYLER_MAX_CELLS + 1
    frame = pd.DataFrame({"amount": [float(i) for i in range(n)]})
    view, config = i18n.table_view(frame, language="nb")
    assert view is frame
    assert config["amount"]["type_config"]["format"] == f"%'{NBSP},d"
    assert i18n.number_format(2, "en") == "%,.2f"


def test_decimals_are_the_fewest_that_show_the_values():
    assert i18n.decimals_of(pd.Series([1.0, 2.0])) == 0
    assert i18n.decimals_of(pd.Series([1.5, 2.0])) == 1
    assert i18n.decimals_of(pd.Series([1.25, 2.0])) == 2
    assert i18n.decimals_of(pd.Series([1.2345])) == 2


def test_charts_use_the_language_separators_and_full_numbers_on_number_axes():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[70_000_000.0, 1.5]))
    charts.localise(fig, "nb")
    assert fig.layout.separators == "," + NBSP
    assert fig.layout.yaxis.tickformat == ",~r"  # "70 000 000", not "70M"
    assert fig.layout.xaxis.tickformat is None  # a category axis keeps its labels
    charts.localise(fig, "en")
    assert fig.layout.separators == ".,"


def test_date_axes_show_numeric_dates_in_norwegian_and_swedish():
    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    fig = go.Figure(go.Bar(x=months, y=list(range(12))))
    charts.localise(fig, "nb")
    stops = {tuple(s.dtickrange): s.value for s in fig.layout.xaxis.tickformatstops}
    assert stops[("M1", "M12")] == "%m.%Y"
    assert "%b" not in "".join(stops.values())  # no English month names
    assert fig.layout.xaxis.hoverformat == "%d.%m.%Y"
    fig = go.Figure(go.Bar(x=months, y=list(range(12))))
    charts.localise(fig, "en")
    assert not fig.layout.xaxis.tickformatstops  # English keeps Plotly's month names


def test_a_legend_gets_its_own_row_under_the_title():
    two = go.Figure([go.Bar(x=[1], y=[1], name="A"), go.Bar(x=[1], y=[2], name="B")])
    charts.style(two, title="Title")
    template = two.layout.template.layout
    # the title is pinned to the top of the figure, the legend sits on the plot's top edge
    assert (template.title.yref, template.title.y, template.title.yanchor) == ("container", 1.0, "top")
    assert (template.legend.yref, template.legend.yanchor) == ("paper", "bottom")
    assert two.layout.margin.t == charts.TOP_MARGIN_WITH_LEGEND
    one = charts.style(go.Figure(go.Bar(x=[1], y=[1], name="A")), title="Title")
    assert one.layout.margin.t is None  # no legend: the template's smaller margin


def test_wrap_breaks_long_titles_between_words():
    assert charts.wrap("Gap statistic (look for the elbow)", 20) == "Gap statistic<br>(look for the elbow)"
    assert charts.wrap("Calinski–Harabasz (higher is better)", 20) == "Calinski–Harabasz<br>(higher is better)"
    assert charts.wrap("one two three four", 9) == "one two<br>three<br>four"
    assert charts.wrap("Segments on a map of the two main directions (PCA)", 30) == (
        "Segments on a map of the two<br>main directions (PCA)"
    )


def test_key_area_dimensions_are_translated_and_own_names_kept(monkeypatch):
    from ui.figures import survey as sv

    monkeypatch.setattr(i18n, "lang", lambda: "nb")
    assert i18n.dimension_label("accuracy") == "Nøyaktighet"
    assert i18n.dimension_label("Leveranse") == "Leveranse"
    table = sv.results_table(pd.DataFrame({"dimension": ["advice", "Pris"], "n": [3, 4]}),
                             {"dimension": "Dimensjon", "n": "n"})
    assert table["Dimensjon"].tolist() == ["Rådgivning", "Pris"]
    # the account page's gap chart (and the pack's account slide) name the areas the same way
    from ui.figures import account as account_figures

    areas = pd.DataFrame({"area": ["accuracy", "Pris"], "account_gap": [0.1, -0.2], "all_gap": [-0.7, 0.0]})
    figure = account_figures.survey_figure(areas)
    assert [list(bar.x) for bar in figure.data] == [["Nøyaktighet", "Pris"]] * 2


def test_a_column_given_only_a_width_keeps_the_language_format():
    # The shortlist fixes its column widths so it fits beside the sidebar; its numbers must
    # still be written in the user's language (not "7.900000").
    import streamlit as st

    frame = pd.DataFrame({"total": [7.9, 12.25], "when": [dt.date(2026, 10, 30), dt.date(2026, 1, 2)]})
    view, config = i18n.table_view(
        frame, column_config={"total": st.column_config.Column(width=55), "when": st.column_config.Column(width=90)},
        language="nb")
    assert display(view).loc[0, "total"] == "7,90"  # two decimals show both values
    assert config["when"]["width"] == 90
    assert config["when"]["type_config"]["format"] == i18n.TABLE_DATE_FORMATS["nb"]
    big = pd.DataFrame({"total": [float(i) for i in range(i18n.STYLER_MAX_CELLS + 1)]})
    _, big_config = i18n.table_view(big, column_config={"total": st.column_config.Column(width=55)}, language="nb")
    assert big_config["total"]["width"] == 55
    assert big_config["total"]["type_config"]["format"] == f"%'{NBSP},d"
