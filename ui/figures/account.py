"""Figures and tables of the account page and the key-account follow-up page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from kamcore import health
from ui import charts
from ui.i18n import dimension_label, t

BAND_COLORS = {"good": "#009E73", "watch": "#E69F00", "act": "#D55E00"}


def trend_figure(series: pd.DataFrame, with_profit: bool, months: int = 12) -> go.Figure:
    """The last ``months`` months' revenue (bars) beside the same months a year earlier (line).

    ``series`` is ``kamcore.portfolio.monthly_series`` output (one row per month, zeros included).
    """
    frame = series.set_index("month")
    current = frame.tail(months)
    previous = frame.reindex(current.index - pd.DateOffset(years=1))
    fig = go.Figure()
    fig.add_bar(x=current.index, y=current["revenue"], name=t("account.trend_revenue"),
                marker_color=charts.POSITIVE)
    fig.add_scatter(x=current.index, y=previous["revenue"].to_numpy(), name=t("account.trend_revenue_last_year"),
                    mode="lines+markers", line={"color": charts.NEUTRAL, "dash": "dot"})
    if with_profit:
        fig.add_scatter(x=current.index, y=current["profit"], name=t("account.trend_profit"),
                        mode="lines+markers", line={"color": charts.NEGATIVE})
    fig.update_layout(margin={"t": 90})
    return charts.style(fig, title=t("account.trend_title"), x_title=t("account.axis_month"),
                        y_title=t("account.axis_amount"), height=380)


def components_figure(row: pd.Series) -> go.Figure:
    """The health components of one account as bars on 0–100 (missing ones named, not drawn)."""
    labels, values, colors = [], [], []
    for component in health.COMPONENTS:
        value = row.get(component)
        if value is None or pd.isna(value):
            continue
        labels.append(t(f"account.component_{component}"))
        values.append(float(value))
        band = "act" if value < health.BANDS[0] else ("watch" if value < health.BANDS[1] else "good")
        colors.append(BAND_COLORS[band])
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=colors,
                           text=[f"{v:.0f}" for v in values], textposition="auto"))
    fig.update_xaxes(range=[0, 100])
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(showlegend=False, margin={"l": 10, "r": 10, "t": 50, "b": 40})
    return charts.style(fig, title=t("account.components_title"), x_title=t("account.axis_score"), height=260)


def survey_figure(areas: pd.DataFrame) -> go.Figure:
    """Customer gap (P − E) per key area: this account's respondents against all customers.

    ``areas`` has the columns ``area``, ``account_gap`` and ``all_gap``.
    """
    fig = go.Figure()
    # the four key areas by their name in the user's language; an area the user named keeps it
    labels = charts.safe_series(areas["area"].map(dimension_label))
    fig.add_bar(x=labels, y=areas["account_gap"], name=t("account.survey_this_account"),
                marker_color=charts.NEGATIVE)
    fig.add_bar(x=labels, y=areas["all_gap"], name=t("account.survey_all_customers"), marker_color=charts.NEUTRAL)
    fig.update_layout(barmode="group", margin={"t": 90})
    return charts.style(fig, title=t("account.survey_title"), x_title=t("account.axis_area"),
                        y_title=t("account.axis_gap"), height=340)


def effect_figure(groups: pd.DataFrame) -> go.Figure:
    """Monthly revenue growth of key accounts and their comparable accounts, after against before."""
    fig = go.Figure()
    labels = [t(f"plans.group_{g}") for g in groups["group"]]
    fig.add_bar(x=labels, y=groups["growth"] * 100, marker_color=[charts.POSITIVE, charts.NEUTRAL][: len(labels)],
                text=[f"{100 * g:+.1f}" for g in groups["growth"]], textposition="auto")
    fig.update_layout(showlegend=False)
    return charts.style(fig, title=t("plans.effect_chart_title"), x_title=t("plans.axis_group"),
                        y_title=t("plans.axis_growth"), height=320)
