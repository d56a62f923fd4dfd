"""Key accounts, team-wide: health list, targets against actuals, overdue actions, programme effect."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from kamcore import plans
from kamcore.errors import KamError
from ui import (
    account_health,
    account_link,
    anonymity,
    charts,
    data,
    i18n,
    key_accounts,
    router,
    state,
    widgets,
)
from ui.figures import account as figures
from ui.i18n import fmt_date, fmt_num, fmt_pct, t

router.require_router()

st.html(key_accounts.PRINT_CSS)
st.title(t("plans.title"))
st.caption(t("plans.intro"))
found = data.transactions_keyed(filtered=False)
txn, frame_key = found if found is not None else (None, None)
widgets.require(txn, "plans.no_data")
widgets.require(None if "date" not in txn or "revenue" not in txn else txn, "plans.needs_dates")
ws = state.workspace()
names = key_accounts.names()
short_ids, saved_at = key_accounts.shortlist()


def _texts(values, label) -> list[str]:
    """``label(value)`` for every value, translated once per distinct value (50,000 accounts
    share a handful of bands and driver lists; each translation reads the session's language)."""
    memo: dict = {}
    out = []
    for value in values.to_numpy(dtype=object):
        key = tuple(value) if isinstance(value, list | tuple | np.ndarray) else value
        if key not in memo:
            memo[key] = label(value)
        out.append(memo[key])
    return out


def _health_list(scores: pd.DataFrame, kept: dict) -> None:
    """The health list of every account (or the shortlist), with its bands counted (``kept``:
    ``account_health.results``, the trends the background computed, if it did)."""
    scopes = ["shortlist", "all"] if short_ids else ["all"]
    scope = widgets.choice("plans.scope", scopes, key="plans.scope", default=scopes[0], option_prefix="plans.scope")
    if not short_ids:
        st.caption(t("plans.no_shortlist"))
    listed = scores[scores["account"].isin(short_ids)] if scope == "shortlist" else scores
    # once per data key (ui.shared.keyed), as a read-only dict (turning the Series into one cost 0.3 s a run)
    trend = kept["trends"] if "trends" in kept else key_accounts.trends(frame_key, txn)
    # the ids as a plain object array: iterating an Arrow column element by element is slow at 50,000
    accounts = listed["account"].to_numpy(dtype=object)
    shown = pd.DataFrame({
        t("plans.col_account"): accounts,
        t("plans.col_name"): [names.get(a, a) for a in accounts],
        t("plans.col_health"): listed["health"].round(0).to_numpy(),
        t("plans.col_band"): _texts(listed["band"], key_accounts.band_label),
        t("plans.col_trend"): [trend.get(a, []) for a in accounts],
        t("plans.col_drivers"): _texts(listed["driver_codes"], key_accounts.driver_text),
        t("plans.col_revenue_12m"): listed["revenue_12m"].round(0).to_numpy(),
        t("plans.col_missing"): _texts(listed["missing"], key_accounts.missing_text),
    })
    account_link.account_table(
        shown, accounts.tolist(), key="plans.health_table", hide_index=True, width="stretch",
        column_config={
            t("plans.col_health"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f"),
            t("plans.col_trend"): st.column_config.LineChartColumn(y_min=0),
        },
    )
    counts = listed["band"].value_counts()
    st.caption(t("plans.band_counts", good=fmt_num(int(counts.get("good", 0))),
                 watch=fmt_num(int(counts.get("watch", 0))), act=fmt_num(int(counts.get("act", 0))),
                 date=fmt_date(scores["as_of"].iloc[0]) if len(scores) else "–"))


# ------------------------------------------------------------------------------ health list
st.subheader(t("plans.health_title"))
# on a large workspace health is computed after the first paint (ui/account_health.py, issue 19)
if account_health.pending("plans"):
    account_health.status("plans")
    chosen_weights = key_accounts.weights_editor("plans")
    health_inputs = key_accounts.health_accounts(wait=key_accounts.future_ready())
else:
    kept = account_health.results("plans")  # what the background computed (large workspace), if it did
    # while the future-value model is fitted: health at once without it, then a rerun (issue 19)
    ready = key_accounts.future_status()
    chosen_weights = key_accounts.weights_editor("plans")
    health_inputs = key_accounts.health_accounts(wait=ready)  # team scores, coverage, P(alive): read once
    try:
        scores = key_accounts.health_table(chosen_weights, accounts=health_inputs, kept=kept)
    except KamError as exc:
        widgets.stop_with_error(exc)
    widgets.require(scores, "plans.no_data")
    _health_list(scores, kept)

# ------------------------------------------------------------------------ targets vs actuals
st.subheader(t("plans.followup_title"))
objectives = plans.all_objectives(ws)
last_day = txn["date"].max()
if not objectives:
    st.caption(t("plans.no_objectives"))
else:
    prepared = key_accounts.survey()
    progress = plans.progress_table(objectives, txn, prepared, accounts=health_inputs,
                                    as_of=last_day)
    detail = pd.DataFrame({
        t("plans.col_account"): progress["account"],
        t("plans.col_name"): [names.get(a, a) for a in progress["account"]],
        t("plans.col_objective"): [o or t(f"account.metric_{m}") for o, m in zip(progress["title"], progress["metric"],
                                                                                  strict=True)],
        t("plans.col_owner"): progress["owner"],
        **{t(f"plans.col_{c}"): key_accounts.rounded(progress[c]) for c in ("baseline", "target", "actual")},
        t("plans.col_share"): (100 * progress["share_of_target"].astype(float)).round(0),
        t("plans.col_status"): [t(f"account.progress_{s}") for s in progress["status"]],
        t("plans.col_due"): [fmt_date(d) for d in progress["due"]],
    })
    account_link.account_table(detail, progress["account"].tolist(), key="plans.objectives_table",
                               hide_index=True, width="stretch", column_config={
                                   t("plans.col_share"): st.column_config.ProgressColumn(
                                       min_value=0, max_value=100, format=i18n.percent_format())})
    st.caption(t("plans.followup_caption", date=fmt_date(last_day)))
    by_left, by_right = st.columns(2)
    for column, by in ((by_left, "owner"), (by_right, "account")):
        summary = plans.follow_up(progress, by)
        column.markdown(f"**{t(f'plans.by_{by}')}**")
        frame = pd.DataFrame({
            t(f"plans.col_{by}"): summary[by] if by == "owner" else [f"{a} · {names.get(a, a)}" for a in summary[by]],
            t("plans.col_objectives"): summary["objectives"],
            t("plans.col_on"): summary["on"],
            t("plans.col_behind"): summary["behind"],
            t("plans.col_mean_share"): [fmt_pct(v) for v in summary["mean_share_of_target"]],
        })
        if by == "account":  # a row opens the account's page (i18n.dataframe shows pseudonyms when on)
            with column:
                account_link.account_table(frame, summary["account"].astype(str).tolist(), hide_index=True,
                                           width="stretch", key="plans.by_account")
        else:
            column.dataframe(anonymity.frame(frame), hide_index=True, width="stretch", key=f"plans.by_{by}")

# --------------------------------------------------------------------------------- actions
st.subheader(t("plans.actions_title"))
actions = plans.all_actions(ws)
today = dt.date.today()
late = plans.overdue_actions(actions, today)
if late:
    st.warning(t("plans.overdue_count", n=fmt_num(len(late))), icon=":material/alarm:")
    overdue = pd.DataFrame({
        t("plans.col_account"): [a.account for a in late],
        t("plans.col_name"): [names.get(a.account, a.account) for a in late],
        t("plans.col_action"): [a.what for a in late],
        t("plans.col_owner"): [a.owner for a in late],
        t("plans.col_due"): [fmt_date(a.due) for a in late],
        t("plans.col_days_late"): [(today - a.due).days for a in late],
        t("plans.col_status"): [t(f"account.status_{a.status}") for a in late],
    })
    account_link.account_table(overdue, [a.account for a in late], key="plans.overdue_table", hide_index=True,
                               width="stretch")
else:
    st.caption(t("plans.no_overdue"))
open_actions = [a for a in actions if a.status in plans.OPEN_STATUSES and a not in late]
if open_actions:
    with st.expander(t("plans.open_actions", n=fmt_num(len(open_actions))), icon=":material/list:"):
        account_link.account_table(pd.DataFrame({  # a row opens the account's page
            t("plans.col_account"): [a.account for a in open_actions],
            t("plans.col_name"): [names.get(a.account, a.account) for a in open_actions],
            t("plans.col_action"): [a.what for a in open_actions],
            t("plans.col_owner"): [a.owner for a in open_actions],
            t("plans.col_due"): [fmt_date(a.due) for a in open_actions],
            t("plans.col_status"): [t(f"account.status_{a.status}") for a in open_actions],
        }), [a.account for a in open_actions], hide_index=True, width="stretch", key="plans.open_table")

# ------------------------------------------------------------------------- programme effect
st.subheader(t("plans.effect_title"))
st.caption(t("plans.effect_intro"))
if not short_ids:
    st.info(t("plans.effect_needs_shortlist"))
    account_health.start("plans")
    key_accounts.start_future()  # the page ends here: the future-value fit, if not running yet
    st.stop()
default_start = saved_at.date() if saved_at is not None else last_day.date()
first_day = txn["date"].min().date()
st.caption(t("plans.effect_saved", date=fmt_date(saved_at) if saved_at is not None else "–"))
start = st.date_input(t("plans.effect_start"), value=min(max(default_start, first_day), last_day.date()),
                      min_value=first_day, max_value=last_day.date(), key="plans.effect_start",
                      format="DD.MM.YYYY", help=t("plans.effect_start_help"))
try:
    effect = plans.programme_effect(txn, short_ids, start, as_of=last_day)
except KamError as exc:
    widgets.error(exc)
    account_health.start("plans")
    key_accounts.start_future()  # the page ends here: the future-value fit, if not running yet
    st.stop()
groups = effect.groups
cards = st.columns(3)
cards[0].metric(t("plans.effect_did_growth"), fmt_pct(effect.did_growth), border=True,
                help=t("plans.effect_did_growth_help"))
cards[1].metric(t("plans.effect_did_margin"),
                "–" if effect.did_margin is None else t("plans.points", n=fmt_num(100 * effect.did_margin, 1)),
                border=True, help=t("plans.effect_did_margin_help"))
cards[2].metric(t("plans.effect_pairs"), fmt_num(len(effect.pairs)), border=True)
st.caption(t("plans.effect_windows", b0=fmt_date(effect.before[0]), b1=fmt_date(effect.before[1]),
             a0=fmt_date(effect.after[0]), a1=fmt_date(effect.after[1])))
charts.show(figures.effect_figure(groups), key="plans.effect_chart")
i18n.dataframe(pd.DataFrame({
    t("plans.axis_group"): [t(f"plans.group_{g}") for g in groups["group"]],
    t("plans.col_accounts"): groups["accounts"],
    t("plans.col_revenue_before"): groups["revenue_before"].round(0),
    t("plans.col_revenue_after"): groups["revenue_after"].round(0),
    **{t(f"plans.col_{c}"): [fmt_pct(v) for v in groups[c]] for c in ("growth", "margin_before", "margin_after")},
}), hide_index=True, width="stretch", key="plans.effect_table")
st.warning(t("plans.effect_caveat"), icon=":material/info:")
account_health.start("plans")  # once the page is drawn (issue 19): health of every account, if not computed yet
key_accounts.start_future()  # once the page is drawn (issue 19): the future-value fit, if not running yet
