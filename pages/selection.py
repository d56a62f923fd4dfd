"""Key-account selection: weighted criteria, the portfolio matrix, the shortlist, readiness."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kamcore import selection, shortlist, tables
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from ui import account_link, anonymity, charts, clv_view, data, i18n, router, state, widgets
from ui import selection_state as held
from ui import selection_views as views
from ui import selection_work as work
from ui.figures import selection as figures
from ui.i18n import fmt_date, fmt_num, fmt_pct, labeller, t

router.require_router()

SENSITIVITY_RUNS = 200
SENSITIVITY_SPREAD = 0.20

# ------------------------------------------------------------------------------------ page

st.title(t("selection.title"))
st.caption(t("selection.intro"))

views.readiness_section()

# all filters but the period: growth compares the last 12 months with the 12 before
found = data.transactions_keyed(apply_period=False)
widgets.require(found and found[0], "selection.no_transactions")
transactions, frame_key = found
# the period filter's end date (if any) is the end of the 12-month window
period_end = data.current_filters().date_to
as_of = pd.Timestamp(period_end) if period_end is not None else transactions["date"].max()
try:  # computed once per data and window end (ui.selection_work); the spinner shows only when it takes a while
    with st.spinner(t("working.selection_measures", rows=fmt_num(len(transactions)))):
        measures = work.measures(frame_key, transactions, data.accounts(filtered=False), data.accounts_key(False),
                                 as_of)
except KamError as exc:
    widgets.stop_with_error(exc)
widgets.require(measures, "selection.no_transactions")
# what the measures below are made of: the key of every later result
frame_key = (*frame_key, data.accounts_key(False), str(as_of))
statuses = widgets.status_filter("selection.status", container=st.columns([2, 3])[0])
if statuses is not None:
    measures = measures.loc[
        tables.accounts_with_status(measures["customer_id"], data.account_status(), statuses)
    ].reset_index(drop=True)
    widgets.require(measures, "selection.no_accounts_status")
    frame_key = (*frame_key, "statuses", tuple(sorted(statuses)))
st.caption(t("selection.window_note", n=fmt_num(len(measures)), end=fmt_date(as_of)))

ws = state.workspace()
accounts_name = data.active_table(TableKind.accounts)
scores_name = accounts_name or "accounts"
with_added = views.with_added_criteria(views.BASE_MODEL, scores_name)
if selection.needs_future_value(with_added):  # P(alive) / expected revenue: fitted once, cached
    values = clv_view.account_values(transactions, period_end)
    measures = selection.add_future_value(measures, values)
    frame_key = (*frame_key, "future_value", work.content_key(values))
model = views.weight_controls(with_added)
views.criteria_editor(with_added, scores_name)
names = model.manual_names
saved_payload, manual, keep = views.manual_scores_in_use(names, scores_name, accounts_name)

view = widgets.choice("selection.view", ["matrix", "scores", "ranking"], key="selection.view", default="matrix",
                      option_prefix="selection.view")
if view == "scores":
    manual = views.score_editor(measures, manual, names, saved_payload, scores_name, keep)

try:
    with st.spinner(t("working.selection_scoring", n=fmt_num(len(measures)))):
        coverage, excluded, scored = work.scoring(frame_key, measures, model, manual)
except KamError as exc:
    widgets.stop_with_error(exc)

with st.expander(t("selection.coverage_title"), expanded=bool(coverage["share"].lt(1).any()),
                 icon=":material/rule:"):
    i18n.dataframe(figures.coverage_table(coverage), hide_index=True, key="selection.coverage")
n_missing = int((scored["missing_inputs"] != "").sum())
if excluded:
    st.caption(t("selection.excluded_note", n=fmt_num(excluded), total=fmt_num(len(measures))))
elif n_missing:
    st.caption(
        t(
            f"selection.missing_note_{model.missing}",
            n=fmt_num(n_missing),
            total=fmt_num(len(scored)),
        )
    )

# --------------------------------------------------------------------- shortlist state
limit = model.shortlist_limit
recommended = selection.recommended_size(scored, limit)
choices = work.account_choices(frame_key, scored, model, manual)  # ids and picker labels, once per scores
held.load_shortlist(lambda: ws.load_object("shortlist", scores_name), recommended, choices.known)

if view == "matrix":
    colour_by = st.segmented_control(
        t("selection.colour_by"),
        ["category", "abc"],
        format_func=labeller("selection.colour_by_"),
        default="category",
        key="selection.colour_by",
        required=True,
    )
    try:
        figure = work.matrix_figure(frame_key, scored, model, manual, colour_by)
    except (KamError, ImportError) as exc:
        widgets.error(exc)
        figure = figures.matrix_figure(scored, model, "category")
    event = charts.show(
        figure, key="selection.matrix", on_select="rerun", selection_mode=("points", "box", "lasso")
    )
    st.caption(figures.cuts_caption(scored, model))
    st.caption(t("selection.matrix_help"))
    picked = sorted(set(figures.picked_in_chart(event, figure)))
    held.note_chart_pick(picked)
    views.open_picked_account(picked, scored)
elif view == "ranking":
    ranking = figures.shortlist_table(scored.assign(chosen_by="rank"), pd.Series(dtype=float)).drop(
        columns=[t("selection.col_stability"), t("selection.col_chosen_by")]
    )
    account_link.account_table(ranking, scored["customer_id"].tolist(), key="selection.ranking_table",
                               hide_index=True, width="stretch", height=420)
    widgets.download_buttons(ranking, "kam_ranking", key="selection.download_ranking")

# -------------------------------------------------------------------------- shortlist
st.subheader(t("selection.shortlist_title"))
st.caption(t("selection.shortlist_intro", n=fmt_num(recommended), limit=fmt_num(limit)))
size = st.number_input(
    t("selection.shortlist_size"),
    min_value=1,
    max_value=len(scored),
    value=held.shortlist_size(len(scored)),
    step=1,
    key=held.SIZE_KEY,
)
held.set_size(int(size))
edits = held.shortlist_state()
try:
    chosen = selection.shortlist(scored, size=int(size), include=edits.include, exclude=edits.exclude, limit=limit)
    with st.spinner(t("working.selection_stability", runs=fmt_num(SENSITIVITY_RUNS))):
        report = work.sensitivity(frame_key, measures, model, manual, int(size), SENSITIVITY_RUNS,
                                  SENSITIVITY_SPREAD, scored=scored)
except KamError as exc:
    widgets.stop_with_error(exc)

chosen_ids = chosen.table["customer_id"].tolist()
held.show_pick(chosen_ids)
st.multiselect(
    t("selection.shortlist_pick"),
    choices.ids,
    format_func=anonymity.option_labels(dict(choices.labels)) if anonymity.on() else choices.labels.__getitem__,
    key=held.PICK_KEY,
    on_change=held.apply_pick_change,
    help=t("selection.shortlist_pick_help"),
)
if chosen.over_limit:
    st.warning(t("selection.over_limit", n=fmt_num(len(chosen.table)), limit=fmt_num(limit)))

shares = report.set_index("customer_id")["share_of_runs_on_shortlist"]
table = figures.shortlist_table(chosen.table, shares)
account_link.account_table(  # a row opens the account's page
    table[figures.shortlist_on_screen(table)],  # the download below keeps every column
    chosen.table["customer_id"].tolist(),
    key="selection.shortlist_table",
    hide_index=True,
    width="stretch",
    column_config={
        **{t(k): st.column_config.Column(width=w) for k, w in figures.SHORTLIST_ON_SCREEN.items()},
        t("selection.col_stability"): st.column_config.ProgressColumn(
            t("selection.col_stability"), min_value=0, max_value=100, format=i18n.percent_format(), width=80
        ),
    },
)
# (only the chosen accounts' shares: a dict of all 50,000 took a fifth of a second)
fragile = shortlist.fragile_accounts(chosen_ids, shares[shares.index.isin(chosen_ids)].to_dict())
st.caption(
    t(
        "selection.stability_note",
        spread=fmt_pct(SENSITIVITY_SPREAD, 0),
        runs=fmt_num(SENSITIVITY_RUNS),
        fragile=fmt_num(len(fragile)),
    )
)

left, right = st.columns(2)
if left.button(t("selection.save_shortlist"), key="selection.save_shortlist", icon=":material/save:"):
    payload = shortlist.shortlist_payload(
        chosen_ids, held.shortlist_state(), model, selection.matrix_cuts(scored, model), statuses,
        state.user(), dt.datetime.now(dt.UTC),
    )
    ws.save_object("shortlist", scores_name, payload, user=state.user())
    st.success(t("selection.shortlist_saved", n=fmt_num(len(chosen_ids))))
right.button(
    t("selection.reset_shortlist"),
    key="selection.reset_shortlist",
    icon=":material/restart_alt:",
    on_click=held.reset_shortlist,
    args=(recommended,),
)
widgets.download_buttons(table, "kam_shortlist", key="selection.download_shortlist")
