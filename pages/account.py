"""One key account: health and why, money, classes, selection, survey, and its account plan."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import streamlit as st

import ui.anonymity as anonymity
from kamcore import health, plans, portfolio
from kamcore import survey as survey_stats
from kamcore.errors import KamError
from ui import account_link, charts, data, i18n, key_accounts, relationships, router, state, widgets
from ui.figures import account as figures
from ui.i18n import fmt_date, fmt_num, fmt_pct, labeller, t

router.require_router()

PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stForm"], [data-testid="stExpander"], [data-testid="stFileUploader"],
  [data-testid="stDownloadButton"], .stButton, [data-testid="stElementToolbar"] { display: none !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
}
</style>"""
ATTITUDE_WORDS = ("tilfreds", "fornøyd", "nöjd", "satisf")
REPEAT_WORDS = ("gjenkjøp", "återköp", "repeat", "kjøpe igjen", "köpa igen")


def editing_allowed() -> bool:
    """False (with a sentence) in anonymised mode: the form shows pseudonyms, not what is saved."""
    if anonymity.on():
        st.warning(t("anonymise.editing_off"), icon=":material/visibility_off:")
        return False
    return True


def _amount(value: float | None) -> str:
    return fmt_num(value, 0)


# ---------------------------------------------------------------------------- pick an account
st.html(PRINT_CSS)
st.title(t("account.title"))
txn = data.transactions(filtered=False)
widgets.require(txn, "account.no_data")
widgets.require(None if "date" not in txn or "revenue" not in txn else txn, "account.needs_dates")
names = key_accounts.names()
ids = sorted(set(txn["customer_id"].dropna().astype(str)) | set(names), key=anonymity.account_sort_key)
short_ids, saved_at = key_accounts.shortlist()

requested = anonymity.real_account(st.query_params.get("account")) or st.session_state.get(account_link.SELECTED)
if requested in ids and requested != st.session_state.get("account.pick"):
    st.session_state["account.pick"] = requested
if st.session_state.get("account.pick") not in ids:
    first = next((a for a in short_ids if a in ids), None)
    if first is None:
        totals = txn.groupby(txn["customer_id"].astype(str))["revenue"].sum()
        first = str(totals.idxmax())
    st.session_state["account.pick"] = first


def _remember() -> None:
    chosen = st.session_state["account.pick"]
    st.session_state[account_link.SELECTED] = chosen
    st.query_params["account"] = anonymity.account(chosen)


labels = {a: anonymity.account(a) if anonymity.on() else f"{a} · {names.get(a, a)}" for a in ids}
account = st.selectbox(t("account.pick"), ids, format_func=labels.__getitem__, key="account.pick",
                       on_change=_remember, help=t("account.pick_help"))
st.query_params["account"] = anonymity.account(account)
st.session_state[account_link.SELECTED] = account
st.caption(t("account.scope_note"))

accounts_frame = data.accounts(filtered=False)
row = None
if accounts_frame is not None:
    match = accounts_frame[accounts_frame["customer_id"].astype(str) == account]
    row = match.iloc[0] if len(match) else None
facts_cols = st.columns(4)
facts = [("customer_name", names.get(account, account))]
for role in ("region", "industry", "owner", "segment", "cluster"):
    if row is not None and role in row.index and pd.notna(row[role]):
        facts.append((role, str(row[role])))
# the name and descriptors are the user's text: shown as text, never markdown
i18n.dataframe(
    pd.DataFrame({t("account.col_fact"): [t(f"app.role_{r}") for r, _ in facts],
                  t("account.col_value"): [v for _, v in facts]}),
    hide_index=True, width="content",
)
if account in short_ids:
    st.caption(t("account.on_shortlist"))

# ------------------------------------------------------------------------------------ health
st.subheader(t("account.health_title"))
chosen_weights = key_accounts.weights_editor("account")
try:
    scores = key_accounts.health_table(chosen_weights)
except KamError as exc:
    widgets.stop_with_error(exc)
me = scores[scores["account"] == account] if scores is not None else pd.DataFrame()
if me.empty:
    st.info(t("account.no_health"))
else:
    h = me.iloc[0]
    rank = int(me.index[0]) + 1
    left, right = st.columns([1, 2])
    left.metric(t("account.health"), key_accounts.score_text(h["health"]), border=True,
                help=t("account.health_help"))
    left.metric(t("account.band"), key_accounts.band_label(h["band"]), border=True)
    left.caption(t("account.health_rank", rank=fmt_num(rank), n=fmt_num(len(scores))))
    with right:
        charts.show(figures.components_figure(h), key="account.components_chart")
    if h["driver_codes"]:
        st.write(t("account.drivers", drivers=key_accounts.driver_text(h["driver_codes"])))
    if h["missing"]:
        st.caption(t("account.missing_components", components=key_accounts.missing_text(h["missing"])))
    why = pd.DataFrame({
        t("account.col_measure"): [
            t("account.measure_growth"), t("account.measure_margin"), t("account.measure_margin_portfolio"),
            t("account.measure_days_since"), t("account.measure_usual_gap"),
            t("account.measure_purchase_days"), t("account.measure_usual_purchase_days"),
        ],
        t("account.col_value"): [
            fmt_pct(h["growth"]), fmt_pct(h["margin"]), fmt_pct(h["margin_portfolio"]),
            fmt_num(h["days_since"]), fmt_num(h["usual_gap_days"]),
            fmt_num(h["purchase_days_6m"]), fmt_num(h["usual_purchase_days_6m"], 1),
        ],
    })
    extra = {"p_alive": "account.measure_p_alive", "buying_centre_coverage": "account.measure_coverage"}
    shown = {t(label): fmt_pct(h[name]) for name, label in extra.items() if name in h and pd.notna(h[name])}
    if shown:  # optional inputs: the future-value model and the buying-centre map
        why = pd.concat([why, pd.DataFrame({t("account.col_measure"): list(shown),
                                            t("account.col_value"): list(shown.values())})], ignore_index=True)
    i18n.dataframe(why, hide_index=True, width="content")
    st.caption(t("account.as_of", date=fmt_date(h["as_of"])))

# -------------------------------------------------------------------------- money and classes
st.subheader(t("account.money_title"))
with_profit = "profit" in txn.columns
series = portfolio.monthly_series(txn.assign(customer_id=txn["customer_id"].astype(str)), account,
                                  "customer_id", "date", "revenue", "profit" if with_profit else None)
charts.show(figures.trend_figure(series, with_profit), key="account.trend_chart")

facts_all = key_accounts.portfolio_facts()
class_rows = []
for measure in ("revenue", "profit"):
    moved = facts_all.get(f"movement_{measure}")
    if moved is None:
        continue
    mine = moved[moved["customer"] == account]
    if mine.empty:
        continue
    m = mine.iloc[0]
    class_rows.append({
        t("account.col_measure"): t(f"account.measure_{measure}"),
        t("account.col_previous_class"): t(f"account.class_{m['previous_class']}"),
        t("account.col_current_class"): t(f"account.class_{m['current_class']}"),
        t("account.col_previous_value"): round(float(m["previous_value"])),
        t("account.col_current_value"): round(float(m["current_value"])),
    })
if class_rows:
    previous, current = facts_all["periods"]
    i18n.dataframe(pd.DataFrame(class_rows), hide_index=True, width="stretch")
    st.caption(t("account.class_periods", prev_start=fmt_date(previous.start), prev_end=fmt_date(previous.end),
                 cur_start=fmt_date(current.start), cur_end=fmt_date(current.end)))

whale = facts_all.get("whale")
if whale is not None:
    mine = whale[whale["customer"] == account]
    if not mine.empty:
        w = mine.iloc[0]
        summary = facts_all["whale_summary"]
        key = "account.whale_destroys" if w["profit"] < 0 else "account.whale_position"
        st.write(t(key, rank=fmt_num(int(w["rank"])), n=fmt_num(len(whale)), profit=_amount(w["profit"]),
                   cum=fmt_pct(w["cum_profit_pct"], 0), peak=fmt_pct(summary.peak_pct, 0)))

churn = facts_all.get("churn")
if churn is not None:
    mine = churn[churn["customer"] == account]
    if mine.empty:
        st.caption(t("account.churn_none"))
    else:
        c = mine.iloc[0]
        reasons = []
        if bool(c["fell"]):
            reasons.append(t("account.churn_fell", pct=fmt_pct(-c["change_pct"] if pd.notna(c["change_pct"]) else None)))
        if bool(c["stopped"]):
            reasons.append(t("account.churn_stopped", days=fmt_num(c["days_since_purchase"])))
        st.warning(t("account.churn_flag", reasons="; ".join(reasons)), icon=":material/trending_down:")

# ---------------------------------------------------------------------------------- selection
scored = facts_all.get("selection")
if scored is not None and account in set(scored["customer_id"].astype(str)):
    st.subheader(t("account.selection_title"))
    s = scored.loc[scored["customer_id"].astype(str) == account].iloc[0]
    cards = st.columns([1.6, 1, 1, 1])  # the box name is long in Norwegian and Swedish
    cards[0].metric(t("account.selection_box"), t(f"selection.category_{s['category']}"), border=True)
    cards[1].metric(t("account.selection_rank"), fmt_num(int(s["rank"])), border=True)
    cards[2].metric(t("account.selection_attractiveness"), fmt_num(s["attractiveness"]), border=True)
    cards[3].metric(t("account.selection_strength"), fmt_num(s["strength"]), border=True)
    model = facts_all["selection_model"]
    crit = pd.DataFrame({
        t("account.col_criterion"): [t(f"selection.criterion_{c.name}") for c in model.criteria],
        t("account.col_axis"): [t(f"account.axis_{c.axis}") for c in model.criteria],
        t("account.col_weight"): [c.weight for c in model.criteria],
        t("account.col_score"): [s.get(f"score__{c.name}") for c in model.criteria],
    })
    i18n.dataframe(crit, hide_index=True, width="stretch",
                 column_config={t("account.col_score"): st.column_config.ProgressColumn(
                     min_value=0, max_value=100, format="%.0f")})
    team = key_accounts.team_scores()
    if team is not None:
        mine = team[team["customer_id"].astype(str) == account]
        if not mine.empty:
            parts = [t("account.team_score", name=t(f"selection.criterion_{c}"), value=fmt_num(mine.iloc[0][c], 1))
                     for c in key_accounts.TEAM_SCORES if c in mine.columns and pd.notna(mine.iloc[0][c])]
            if parts:
                st.caption(t("account.team_scores", scores="; ".join(parts)))

# ------------------------------------------------------------------------------------- survey
prepared = key_accounts.survey()
if prepared is not None:
    measures = health.survey_measures(prepared)
    st.subheader(t("account.survey_section"))
    if account not in measures.index:
        st.caption(t("account.survey_none"))
    else:
        mine = measures.loc[account]
        try:
            everyone = survey_stats.customer_gap_by_dimension(prepared.responses, prepared.dictionary)
        except KamError:
            everyone = pd.DataFrame(columns=["dimension", "mean_gap"])
        all_gap = everyone.set_index("dimension")["mean_gap"] if len(everyone) else pd.Series(dtype=float)
        areas = pd.DataFrame({"area": [c.split("::", 1)[1] for c in measures.columns if c.startswith("gap::")]})
        areas["account_gap"] = [mine[f"gap::{a}"] for a in areas["area"]]
        areas["all_gap"] = [all_gap.get(a) for a in areas["area"]]
        charts.show(figures.survey_figure(areas), key="account.survey_chart")
        ids_in_survey = prepared.responses[prepared.account].astype("string").str.strip()
        n_resp = int((ids_in_survey == account).sum())
        line = [t("account.survey_respondents", n=fmt_num(n_resp))]
        if pd.notna(mine.get("nps")):
            overall = None
            if prepared.recommend:
                try:
                    overall = survey_stats.nps(prepared.responses[prepared.recommend]).score
                except KamError:
                    overall = None
            line.append(t("account.survey_nps", nps=fmt_num(mine["nps"]), all=fmt_num(overall)))
        rows = getattr(prepared.dictionary, "rows", [])

        def _item(words: tuple[str, ...]) -> str | None:
            for r in rows:
                text = f"{r.item} {r.question}".casefold()
                if r.role == "plain" and any(w in text for w in words) and r.item in prepared.responses.columns:
                    return r.item
            return None

        attitude, repeat = _item(ATTITUDE_WORDS), _item(REPEAT_WORDS)
        if attitude and repeat and prepared.scale:
            try:
                result = survey_stats.loyalty_types(prepared.responses[attitude], prepared.responses[repeat],
                                                    scale=prepared.scale)
                kinds = result.table.loc[result.table.index.intersection(
                    ids_in_survey[ids_in_survey == account].index), "loyalty_type"]
                if len(kinds):
                    counts = kinds.value_counts()
                    line.append(t("account.survey_loyalty", types=", ".join(
                        f"{t(f'survey.loyalty_{k}')} ({fmt_num(v)})" for k, v in counts.items())))
            except KamError:
                pass
        st.write(" · ".join(line))

# ---------------------------------------------------------------------------- buying centre
st.subheader(t("app.page_relationships"))
relationships.account_section(account, key="account.relationships")

# --------------------------------------------------------------------------------------- plan
st.header(t("account.plan_title"))
ws = state.workspace()
user = state.user()
plan = plans.load_plan(ws, account)
last_day = txn["date"].max()
team_frame = key_accounts.health_accounts()
area_options = sorted({d for d in (prepared.dictionary.dimension_of().values() if prepared else []) if d})

# objectives
st.subheader(t("account.objectives_title"))
objective_titles = {o.id: anonymity.text(o.title or t(f"account.metric_{o.metric}")) for o in plan.objectives}
if plan.objectives:
    progress = plans.progress_table(plan.objectives, txn, prepared, accounts=team_frame, as_of=last_day)
    meta = plans.item_meta(ws, "objective", account)
    shown = pd.DataFrame({
        t("account.col_objective"): [objective_titles[i] for i in progress["id"]],
        t("account.col_metric"): [t(f"account.metric_{m}") + (f" · {a}" if a else "")
                                  for m, a in zip(progress["metric"], progress["area"], strict=True)],
        t("account.col_baseline"): progress["baseline"].astype(float).round(1),
        t("account.col_target"): progress["target"].astype(float).round(1),
        t("account.col_actual"): progress["actual"].astype(float).round(1),
        t("account.col_expected"): progress["expected"].astype(float).round(1),
        t("account.col_share"): progress["share_of_target"],
        t("account.col_status"): [t(f"account.progress_{s}") for s in progress["status"]],
        t("account.col_start"): [fmt_date(d) for d in progress["start"]],
        t("account.col_due"): [fmt_date(d) for d in progress["due"]],
        t("account.col_owner"): progress["owner"],
        t("account.col_by"): [f"{meta.get(i, {}).get('updated_by') or ''} · "
                              f"{fmt_date(meta.get(i, {}).get('updated_at'))}" for i in progress["id"]],
    })
    i18n.dataframe(shown, hide_index=True, width="stretch", key="account.objectives_table", column_config={
        t("account.col_share"): st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="percent"),
    })
    st.caption(t("account.objectives_caption", date=fmt_date(last_day)))
else:
    st.caption(t("account.no_objectives"))

with st.expander(t("account.add_objective"), icon=":material/flag:"):
    with st.form("account.objective_form", clear_on_submit=True):
        st.text_input(t("account.objective_name"), key="account.objective_name", max_chars=plans.SHORT_MAX)
        c1, c2, c3 = st.columns(3)
        c1.selectbox(t("account.objective_metric"), plans.METRICS, format_func=labeller("account.metric_"),
                     key="account.objective_metric", help=t("account.objective_metric_help"))
        c2.selectbox(t("account.objective_area"), area_options or [""], key="account.objective_area",
                     help=t("account.objective_area_help"))
        c3.number_input(t("account.objective_target"), value=None, key="account.objective_target",
                        help=t("account.objective_target_help"))
        d1, d2, d3 = st.columns(3)
        start_default = last_day.date() if pd.notna(last_day) else dt.date.today()
        d1.date_input(t("account.objective_start"), value=start_default, key="account.objective_start",
                      format="DD.MM.YYYY")
        d2.date_input(t("account.objective_due"), value=start_default + dt.timedelta(days=365),
                      key="account.objective_due", format="DD.MM.YYYY")
        d3.text_input(t("account.owner"), value=user, key="account.objective_owner", max_chars=plans.SHORT_MAX)
        submitted = st.form_submit_button(t("account.save_objective"), key="account.save_objective")
    if submitted and editing_allowed():
        s = st.session_state
        try:
            if s["account.objective_target"] is None:
                raise KamError("plans.bad_target", "The target must be a number.")
            objective = plans.Objective(
                account=account, title=s["account.objective_name"], metric=s["account.objective_metric"],
                area=s["account.objective_area"] or None, target=s["account.objective_target"],
                start=s["account.objective_start"], due=s["account.objective_due"],
                owner=s["account.objective_owner"],
            )
            objective = objective.model_copy(update={
                "baseline": plans.baseline_for(objective, txn, survey=prepared, accounts=team_frame)})
            plans.save_item(ws, objective, user)
            st.rerun()
        except (KamError, ValueError) as exc:
            widgets.error(exc)

# actions
st.subheader(t("account.actions_title"))
today = dt.date.today()
overdue = plans.overdue_actions(plan.actions, today)
if overdue:
    st.warning(t("account.overdue_warning", n=fmt_num(len(overdue))), icon=":material/alarm:")
if plan.actions:
    late_ids = {a.id for a in overdue}
    meta = plans.item_meta(ws, "action", account)
    shown_actions = pd.DataFrame({
        t("account.col_action"): [a.what for a in plan.actions],
        t("account.col_owner"): [a.owner for a in plan.actions],
        t("account.col_due"): [fmt_date(a.due) for a in plan.actions],
        t("account.col_status"): [t(f"account.status_{a.status}") for a in plan.actions],
        t("account.col_overdue"): [t("account.overdue") if a.id in late_ids else "" for a in plan.actions],
        t("account.col_objective"): [objective_titles.get(a.objective_id, "") for a in plan.actions],
        t("account.col_by"): [f"{meta.get(a.id, {}).get('updated_by') or ''} · "
                              f"{fmt_date(meta.get(a.id, {}).get('updated_at'))}" for a in plan.actions],
    })
    i18n.dataframe(shown_actions, hide_index=True, width="stretch", key="account.actions_table")
else:
    st.caption(t("account.no_actions"))

with st.expander(t("account.add_action"), icon=":material/task_alt:"):
    with st.form("account.action_form", clear_on_submit=True):
        st.text_input(t("account.action_what"), key="account.action_what", max_chars=500)
        a1, a2, a3, a4 = st.columns(4)
        a1.text_input(t("account.owner"), value=user, key="account.action_owner", max_chars=plans.SHORT_MAX)
        a2.date_input(t("account.action_due"), value=today + dt.timedelta(days=14), key="account.action_due",
                      format="DD.MM.YYYY")
        a3.selectbox(t("account.action_status"), plans.ACTION_STATUSES, format_func=labeller("account.status_"),
                     key="account.action_status")
        objective_labels = {"": t("account.no_objective")} | objective_titles
        a4.selectbox(t("account.action_objective"), list(objective_labels), format_func=objective_labels.__getitem__,
                     key="account.action_objective")
        added = st.form_submit_button(t("account.save_action"), key="account.save_action")
    if added and editing_allowed():
        s = st.session_state
        try:
            action = plans.Action(account=account, what=s["account.action_what"], owner=s["account.action_owner"],
                                  due=s["account.action_due"], status=s["account.action_status"],
                                  objective_id=s["account.action_objective"] or None)
            plans.save_item(ws, action, user)
            st.rerun()
        except (KamError, ValueError) as exc:
            widgets.error(exc)

if plan.actions or plan.objectives:
    with st.expander(t("account.change_title"), icon=":material/edit:"):
        if plan.actions:
            action_labels = {a.id: f"{anonymity.text(a.what)} · {fmt_date(a.due)}" for a in plan.actions}
            e1, e2 = st.columns([2, 1])
            picked = e1.selectbox(t("account.change_action"), list(action_labels),
                                  format_func=action_labels.__getitem__, key="account.change_action")
            new_status = e2.selectbox(t("account.action_status"), plans.ACTION_STATUSES,
                                      format_func=labeller("account.status_"), key="account.change_status")
            b1, b2 = st.columns(2)
            if b1.button(t("account.update_status"), key="account.update_status", icon=":material/save:") \
                    and editing_allowed():
                action = next(a for a in plan.actions if a.id == picked)
                plans.save_item(ws, action.model_copy(update={"status": new_status}), user)
                st.rerun()
            if b2.button(t("account.delete_action"), key="account.delete_action", icon=":material/delete:") \
                    and editing_allowed():
                plans.delete_item(ws, next(a for a in plan.actions if a.id == picked), user)
                st.rerun()
        if plan.objectives:
            o1, o2 = st.columns([2, 1])
            picked_objective = o1.selectbox(t("account.change_objective"), list(objective_titles),
                                            format_func=objective_titles.__getitem__, key="account.change_objective")
            o2.write("")
            if o2.button(t("account.delete_objective"), key="account.delete_objective", icon=":material/delete:") \
                    and editing_allowed():
                plans.delete_item(ws, next(o for o in plan.objectives if o.id == picked_objective), user)
                st.rerun()

# strategy notes and SWOT
st.subheader(t("account.notes_title"))
notes = plan.notes or plans.StrategyNotes(account=account)
headings = [*plans.NOTE_HEADINGS, *plans.SWOT_HEADINGS]
written = [(h, getattr(notes, h)) for h in headings if getattr(notes, h)]
if written:
    i18n.dataframe(pd.DataFrame({t("account.col_heading"): [t(f"account.note_{h}") for h, _ in written],
                               t("account.col_text"): [text for _, text in written]}),
                 hide_index=True, width="stretch", key="account.notes_table")
else:
    st.caption(t("account.no_notes"))
with st.expander(t("account.edit_notes"), icon=":material/edit_note:"):
    with st.form("account.notes_form"):
        st.caption(t("account.notes_help"))
        columns = st.columns(3)
        for i, heading in enumerate(plans.NOTE_HEADINGS):
            columns[i % 3].text_area(t(f"account.note_{heading}"), value=anonymity.text(getattr(notes, heading)),
                                     key=f"account.note_{heading}_{account}", max_chars=plans.TEXT_MAX, height=100)
        st.markdown(f"**{t('account.swot_title')}**")
        columns = st.columns(2)
        for i, heading in enumerate(plans.SWOT_HEADINGS):
            columns[i % 2].text_area(t(f"account.note_{heading}"), value=anonymity.text(getattr(notes, heading)),
                                     key=f"account.note_{heading}_{account}", max_chars=plans.TEXT_MAX, height=100)
        notes_saved = st.form_submit_button(t("account.save_notes"), key="account.save_notes")
    if notes_saved and editing_allowed():
        try:
            values = {h: st.session_state[f"account.note_{h}_{account}"] for h in headings}
            plans.save_item(ws, plans.StrategyNotes(account=account, **values), user)
            st.rerun()
        except (KamError, ValueError) as exc:
            widgets.error(exc)

# export / import / history
st.subheader(t("account.exchange_title"))
safe_name = re.sub(r"[^0-9A-Za-z_-]+", "_", str(anonymity.account(account)))[:40] or "account"
exported_plan = anonymity.plan(plan)  # pseudonyms in anonymised mode
st.download_button(t("account.export_plan"), data=lambda: plans.plan_to_xlsx(exported_plan),
                   file_name=f"plan_{safe_name}.xlsx", key="account.export_plan", icon=":material/download:",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
with st.expander(t("account.import_title"), icon=":material/upload:"):
    st.caption(t("account.import_help"))
    upload = st.file_uploader(t("account.import_file"), type=["xlsx"], key="account.import_file")
    if upload is not None:
        try:
            imported = plans.plan_from_xlsx(upload.getvalue(), account)
            st.caption(t("account.import_preview", objectives=fmt_num(len(imported.objectives)),
                         actions=fmt_num(len(imported.actions))))
            if st.button(t("account.import_button"), key="account.import_button", icon=":material/upload:") \
                    and editing_allowed():
                plans.save_plan(ws, imported, user)
                st.success(t("account.imported"))
                st.rerun()
        except KamError as exc:
            widgets.error(exc)
with st.expander(t("account.history_title"), icon=":material/history:"):
    history = ws.plan_history(account)
    if history.empty:
        st.caption(t("account.no_history"))
    else:
        i18n.dataframe(pd.DataFrame({
            t("account.col_part"): [t(f"account.kind_{k}") for k in history["kind"]],
            t("account.col_change"): [t(f"account.change_{c}") for c in history["change"]],
            t("account.col_by"): history["changed_by"].fillna(""),
            t("account.col_when"): [f"{fmt_date(w)} {pd.Timestamp(w):%H:%M}" for w in history["changed_at"]],
            t("account.col_content"): history["payload"],
        }), hide_index=True, width="stretch", key="account.history_table")
