"""Portfolio: ABC/Pareto classes, profitability (whale curve), concentration and movement."""

from __future__ import annotations

import streamlit as st

from kamcore import portfolio
from kamcore.errors import KamError
from ui import charts, clv_view, data, i18n, router, widgets
from ui import portfolio_views as views
from ui.figures import portfolio as figures
from ui.i18n import fmt_num, fmt_pct, t
from ui.shared import keyed

router.require_router()

MEASURES = ("revenue", "profit", "quantity")
GROUPS = ("region", "owner", "industry")
VIEWS = ("pareto", "whale", "concentration", "movement", "accounts", "future")


def abc_work(frame, measure, thresholds, names):
    """ABC classes with display names and the per-class summary (one computation per process
    for the same data, filters, statuses, measure and thresholds: see ui.shared.keyed)."""
    classes = portfolio.abc_classes(frame, "customer_id", measure, thresholds)
    classes = classes.assign(name=classes["customer"].astype("string").map(names))
    return classes, portfolio.abc_summary(classes).set_index("abc_class")


def group_options(frame):
    """The grouping roles with more than one value in ``frame``."""
    return [g for g in GROUPS if g in frame.columns and frame[g].nunique() > 1]


def group_work(frame, measure, group, thresholds):
    """ABC classes within each ``group`` value and the accounts per class and group."""
    group_classes = portfolio.abc_by_group(frame, "customer_id", measure, group, thresholds)
    counts = portfolio.abc_summary(group_classes).pivot(index="group", columns="abc_class", values="accounts")
    return group_classes, counts


# ------------------------------------------------------------------------------ page

st.title(t("portfolio.title"))
st.caption(t("portfolio.intro"))

frame = data.transactions()
widgets.require(frame, "portfolio.no_data")
statuses = widgets.status_filter("portfolio.status", container=st.columns([2, 3])[0])
# The filtered frame and its content key: work below that is the same for every session with
# the same workspace, filters and choices is done once (ui.shared.keyed).
frame, frame_key = data.transactions_keyed(statuses)
widgets.require(frame, "portfolio.no_data_status")
measures = [m for m in MEASURES if m in frame.columns]
widgets.require(measures, "portfolio.no_measure")
names = keyed(frame_key, figures.account_names, frame)

# ------------------------------------------------------------ totals for these filters
totals = keyed(frame_key, figures.totals, frame)
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
groups = keyed(frame_key, group_options, frame)
group_labels = {"none": t("portfolio.group_none")} | {g: t(f"app.role_{g}") for g in groups}
group = far.selectbox(
    t("portfolio.group_by"),
    list(group_labels),
    format_func=group_labels.__getitem__,
    key="portfolio.group_by",
)
thresholds = (a_pct / 100, b_pct / 100)

try:
    classes, summary = keyed((*frame_key, measure, thresholds), abc_work, frame, measure, thresholds, names)
except KamError as exc:
    widgets.stop_with_error(exc)

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
    group_classes, counts = keyed((*frame_key, measure, group, thresholds), group_work,
                                  frame, measure, group, thresholds)
    fig = figures.group_figure(counts, group)
    charts.show(fig, key="portfolio.group_chart")
    st.caption(t("portfolio.group_caption"))

view = widgets.choice("portfolio.view", VIEWS, key="portfolio.view", default="pareto",
                      option_prefix="portfolio.view")

if view == "pareto":
    views.pareto_view(classes, measure, thresholds)
elif view == "whale":
    views.whale_view(frame, names)
elif view == "concentration":
    views.concentration_view(frame, measure)
elif view == "movement":
    views.movement_view(statuses, measure, thresholds, names)
elif view == "accounts":
    views.accounts_view(frame, classes, measure, group, group_classes, names)
elif view == "future":  # P(alive), drifting away (ui/clv_view.py)
    clv_view.render(classes, names, (*frame_key, measure, thresholds))

if view != "future":  # fitted in the background while this view is looked at (issue 18)
    clv_view.prefetch()
