"""Portfolio: ABC/Pareto classes, profitability (whale curve), concentration and movement."""

from __future__ import annotations

import streamlit as st

from kamcore import portfolio, tables
from kamcore.errors import KamError
from ui import account_link, anonymity, charts, clv_view, data, i18n, router, widgets
from ui.figures import portfolio as figures
from ui.i18n import fmt_date, fmt_num, fmt_pct, t

router.require_router()

MEASURES = ("revenue", "profit", "quantity")
GROUPS = ("region", "owner", "industry")
VIEWS = ("pareto", "whale", "concentration", "movement", "accounts", "future")
MOVEMENT_VIEWS = ("matrix", "sankey")
PARETO_MIN_BARS = 10
PARETO_MAX_BARS = 1000


def with_status(frame, statuses):
    """Rows of accounts whose status is among ``statuses`` (all rows when there is no status)."""
    if frame is None or statuses is None:
        return frame
    return frame.loc[tables.accounts_with_status(frame["customer_id"], data.account_status(), statuses)]


# ------------------------------------------------------------------------------ page

st.title(t("portfolio.title"))
st.caption(t("portfolio.intro"))

frame = data.transactions()
widgets.require(frame, "portfolio.no_data")
statuses = widgets.status_filter("portfolio.status", container=st.columns([2, 3])[0])
frame = with_status(frame, statuses)
widgets.require(frame, "portfolio.no_data_status")
measures = [m for m in MEASURES if m in frame.columns]
widgets.require(measures, "portfolio.no_measure")
names = figures.account_names(frame)

# ------------------------------------------------------------ totals for these filters
totals = figures.totals(frame)
for column, (name, value) in zip(st.columns(len(totals)), totals.items(), strict=True):
    column.metric(t(f"portfolio.total_{name}"), fmt_num(value), border=True)
st.caption(figures.totals_caption(data.current_filters()))

left, middle, right, far = st.columns([1.2, 1, 1, 1.2])
# format_func gets a dict lookup, not a t() call, so the labels are fixed when the script runs
# (AppTest calls format_func outside the session, where the language is unknown).
measure_labels = {m: t(f"portfolio.measure_{m}") for m in measures}
measure = left.selectbox(
    t("portfolio.measure"),
    measures,
    format_func=measure_labels.__getitem__,
    key="portfolio.measure",
    help=t("portfolio.measure_help"),
)
a_pct = middle.slider(
    t("portfolio.a_threshold"),
    min_value=50,
    max_value=95,
    value=80,
    step=1,
    format=i18n.percent_format(),
    key="portfolio.a_threshold",
    help=t("portfolio.a_threshold_help"),
)
b_pct = right.slider(
    t("portfolio.b_threshold"),
    min_value=55,
    max_value=100,
    value=95,
    step=1,
    format=i18n.percent_format(),
    key="portfolio.b_threshold",
    help=t("portfolio.b_threshold_help"),
)
groups = [g for g in GROUPS if g in frame.columns and frame[g].nunique() > 1]
group_labels = {"none": t("portfolio.group_none")} | {g: t(f"app.role_{g}") for g in groups}
group = far.selectbox(
    t("portfolio.group_by"),
    list(group_labels),
    format_func=group_labels.__getitem__,
    key="portfolio.group_by",
)
thresholds = (a_pct / 100, b_pct / 100)

try:
    classes = portfolio.abc_classes(frame, "customer_id", measure, thresholds)
except KamError as exc:
    widgets.stop_with_error(exc)
classes = classes.assign(name=classes["customer"].astype("string").map(names))
summary = portfolio.abc_summary(classes).set_index("abc_class")

# ----------------------------------------------------------------- class summary cards
for column, cls in zip(st.columns(3), portfolio.CLASSES, strict=True):
    row = summary.loc[cls]
    column.metric(
        figures.class_label(cls),
        fmt_num(int(row["accounts"])),
        border=True,
        help=t(f"portfolio.class_{cls}_help", a=fmt_pct(thresholds[0], 0), b=fmt_pct(thresholds[1], 0)),
    )
    column.caption(
        t(
            "portfolio.class_caption",
            accounts=fmt_pct(row["account_share"]),
            value=fmt_pct(row["value_share"]),
            measure=t(f"portfolio.measure_{measure}").lower(),
        )
    )
n_non_positive = int(classes["non_positive"].sum())
if n_non_positive:
    st.caption(
        t(
            "portfolio.non_positive_note",
            n=fmt_num(n_non_positive),
            measure=t(f"portfolio.measure_{measure}").lower(),
        )
    )

group_classes = None
if group != "none":
    group_classes = portfolio.abc_by_group(frame, "customer_id", measure, group, thresholds)
    grouped = portfolio.abc_summary(group_classes)
    counts = grouped.pivot(index="group", columns="abc_class", values="accounts")
    fig = figures.group_figure(counts, group)
    charts.show(fig, key="portfolio.group_chart")
    st.caption(t("portfolio.group_caption"))

view = widgets.choice("portfolio.view", VIEWS, key="portfolio.view", default="pareto",
                      option_prefix="portfolio.view")

# ---------------------------------------------------------------------- Pareto chart
if view == "pareto":
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
    charts.show(fig, key="portfolio.pareto_chart")
    if shown < n:
        st.caption(
            t(
                "portfolio.pareto_tail",
                shown=fmt_num(shown),
                share=fmt_pct(top["cum_share"].iloc[-1]),
                rest=fmt_num(n - shown),
            )
        )

# ----------------------------------------------------------------------- whale curve
elif view == "whale":
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
        charts.show(fig, key="portfolio.whale_chart")
        st.caption(t("portfolio.whale_caption"))

# --------------------------------------------------------------------- concentration
elif view == "concentration":
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

# -------------------------------------------------------------------------- movement
elif view == "movement":
    history = with_status(data.transactions(apply_period=False), statuses)
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

# -------------------------------------------------------------- accounts + drill-down
elif view == "accounts":
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

# ------------------------------------------------ future value: P(alive), drifting away (ui/clv_view.py)
elif view == "future":
    clv_view.render(classes, names)
