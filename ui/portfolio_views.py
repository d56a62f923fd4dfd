"""The Portfolio page's views, one function per view of ``portfolio.view``.

``pages/portfolio.py`` reads the filters and the ABC classes and calls the chosen view; the
numbers are ``kamcore.portfolio``'s, the figures ``ui.figures.portfolio``'s. Charts that name
accounts open the account's page on a click (``ui.account_charts``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kamcore import portfolio
from kamcore.errors import KamError
from ui import account_charts, account_link, anonymity, charts, data, i18n, widgets
from ui.figures import portfolio as figures
from ui.i18n import fmt_date, fmt_num, fmt_pct, t

MOVEMENT_VIEWS = ("matrix", "sankey")
PARETO_MIN_BARS = 10
PARETO_MAX_BARS = 1000


def pareto_view(classes: pd.DataFrame, measure: str, thresholds: tuple[float, float]) -> None:
    """Value per account by rank with the cumulative share; a bar opens its account."""
    n = len(classes)
    shown = n
    if n > PARETO_MIN_BARS:
        shown = st.slider(
            t("portfolio.top_n"),
            min_value=PARETO_MIN_BARS,
            max_value=min(n, PARETO_MAX_BARS),
            value=min(n, 100),
            key="portfolio.top_n",
        )
    top = classes.head(shown)
    fig = figures.pareto_figure(top, measure, thresholds, n)
    account_charts.show(fig, key="portfolio.pareto_chart")
    if shown < n:
        st.caption(
            t(
                "portfolio.pareto_tail",
                shown=fmt_num(shown),
                share=fmt_pct(top["cum_share"].iloc[-1]),
                rest=fmt_num(n - shown),
            )
        )


def whale_view(frame: pd.DataFrame, names: pd.Series) -> None:
    """The whale curve with its four cards; a point on the curve opens its account."""
    if "profit" not in frame.columns:
        st.info(t("portfolio.whale_needs_profit"))
    else:
        try:
            curve = portfolio.whale_curve(frame, "customer_id", "profit")
        except KamError as exc:
            widgets.stop_with_error(exc)
        whale = portfolio.whale_summary(curve)
        cards = st.columns(4)
        cards[0].metric(
            t("portfolio.whale_peak"),
            fmt_pct(whale.peak_pct, 0),
            border=True,
            help=t("portfolio.whale_peak_help"),
        )
        cards[1].metric(
            t("portfolio.whale_at_peak"),
            fmt_num(whale.accounts_at_peak),
            border=True,
            help=t("portfolio.whale_at_peak_help", share=fmt_pct(whale.accounts_at_peak_share)),
        )
        cards[2].metric(t("portfolio.whale_destroying"), fmt_num(whale.n_destroying), border=True)
        cards[3].metric(
            t("portfolio.whale_destroyed"),
            fmt_num(whale.destroyed_profit) if whale.n_destroying else "–",
            border=True,
            help=t("portfolio.whale_destroyed_help"),
        )
        fig = figures.whale_figure(curve, names, whale)
        account_charts.show(fig, key="portfolio.whale_chart")
        st.caption(t("portfolio.whale_caption"))


def concentration_view(frame: pd.DataFrame, measure: str) -> None:
    """Top-20 % share, accounts for 80 %, HHI and Gini, and the concentration table."""
    try:
        conc = portfolio.concentration(frame, "customer_id", measure)
    except KamError as exc:
        widgets.stop_with_error(exc)
    cards = st.columns(4)
    cards[0].metric(t("portfolio.conc_top20pct"), fmt_pct(conc.top_20pct), border=True)
    cards[1].metric(
        t("portfolio.conc_for_80"),
        fmt_num(conc.accounts_for_80pct),
        border=True,
        help=t("portfolio.conc_for_80_help", share=fmt_pct(conc.accounts_for_80pct_share)),
    )
    cards[2].metric(
        t("portfolio.conc_hhi"), fmt_num(conc.hhi), border=True, help=t("portfolio.conc_hhi_help")
    )
    cards[3].metric(
        t("portfolio.conc_gini"), fmt_num(conc.gini, 2), border=True, help=t("portfolio.conc_gini_help")
    )
    table = figures.concentration_table(conc)
    i18n.dataframe(table, hide_index=True)
    st.caption(t("portfolio.conc_caption", n=fmt_num(conc.n_accounts), positive=fmt_num(conc.n_positive)))


def movement_view(statuses, measure: str, thresholds: tuple[float, float], names: pd.Series) -> None:
    """ABC movement between two periods and the churn-risk list."""
    found = data.transactions_keyed(statuses, apply_period=False)
    history = found[0] if found is not None else None
    widgets.require(
        None if history is None or "date" not in history else history, "portfolio.movement_needs_dates"
    )
    filters = data.current_filters()
    current = (
        (filters.date_from, filters.date_to)
        if filters.date_from is not None and filters.date_to is not None
        else None
    )
    try:
        moved = portfolio.movement(
            history, "customer_id", "date", measure, current=current, thresholds=thresholds
        )
    except KamError as exc:
        widgets.stop_with_error(exc)
    st.caption(
        t(
            "portfolio.movement_periods",
            prev_start=fmt_date(moved.previous.start),
            prev_end=fmt_date(moved.previous.end),
            cur_start=fmt_date(moved.current.start),
            cur_end=fmt_date(moved.current.end),
        )
    )
    shape = widgets.choice("portfolio.movement_view", MOVEMENT_VIEWS, key="portfolio.movement_view",
                           default="matrix", option_prefix="portfolio.movement_view")
    if shape == "matrix":
        fig = figures.movement_matrix_figure(moved.matrix)
    else:
        fig = figures.movement_sankey_figure(moved.matrix)
    charts.show(fig, key="portfolio.movement_chart")

    st.subheader(t("portfolio.churn_title"))
    drop_col, days_col = st.columns(2)
    drop = drop_col.slider(
        t("portfolio.churn_drop", measure=t(f"portfolio.measure_{measure}")),
        min_value=5,
        max_value=100,
        value=30,
        step=5,
        format=i18n.percent_format(),
        key="portfolio.churn_drop",
    )
    days = days_col.number_input(
        t("portfolio.churn_days"),
        min_value=1,
        max_value=730,
        value=90,
        step=1,
        key="portfolio.churn_days",
    )
    risk = portfolio.churn_risk(moved, min_drop=drop / 100, inactive_days=int(days))
    st.caption(t("portfolio.churn_count", n=fmt_num(len(risk)), value=fmt_num(risk["previous_value"].sum())))
    st.caption(t("clv.churn_note"))
    if not risk.empty:
        shown_risk = figures.churn_table(risk, names)
        # a row opens the account's page
        account_link.account_table(shown_risk, risk["customer"].astype(str).tolist(), hide_index=True,
                                   key="portfolio.churn_table")
        widgets.download_buttons(shown_risk, "churn_risk", key="portfolio.churn_download")


def accounts_view(frame: pd.DataFrame, classes: pd.DataFrame, measure: str, group: str, group_classes, names) -> None:
    """The accounts table (a row opens the account), by group, and one account's months."""
    shown_accounts = figures.accounts_table(classes, measure)
    # a row opens the account's page
    account_link.account_table(shown_accounts, classes["customer"].astype(str).tolist(), hide_index=True,
                               key="portfolio.accounts_table")
    widgets.download_buttons(shown_accounts, "abc_accounts", key="portfolio.accounts_download")

    if group_classes is not None:
        st.subheader(t("portfolio.group_table_title", group=t(f"app.role_{group}").lower()))
        shown_groups = figures.group_accounts_table(group_classes, group, names, measure)
        i18n.dataframe(shown_groups, hide_index=True, key="portfolio.group_table")
        widgets.download_buttons(shown_groups, f"abc_by_{group}", key="portfolio.group_download")

    if "date" in frame.columns:
        st.subheader(t("portfolio.drill_title"))
        ids = classes["customer"].astype("string").tolist()
        account = st.selectbox(
            t("portfolio.drill_account"),
            ids,
            format_func=anonymity.option_labels(names),
            key="portfolio.drill_account",
        )
        revenue_col = "revenue" if "revenue" in frame.columns else measure
        profit_col = "profit" if "profit" in frame.columns else None
        series = portfolio.monthly_series(
            frame.assign(customer_id=frame["customer_id"].astype("string")),
            account,
            "customer_id",
            "date",
            revenue_col,
            profit_col,
        )
        fig = figures.drill_figure(series, revenue_col, bool(profit_col), names.get(account, account))
        charts.show(fig, key="portfolio.drill_chart")
        account_link.open_button(account, key="portfolio.open_account")
