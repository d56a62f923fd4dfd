"""The account plan on the key-account page: objectives, actions, strategy notes, exchange, history.

Every item can be added, changed in place and deleted; each save goes through
``kamcore.plans.save_item`` (the workspace keeps who and when, and the history shows what changed).
Edit forms open with the chosen item's current values (they are put into session state when the
choice changes, before the widgets are drawn).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd
import streamlit as st

from kamcore import plans
from kamcore.errors import KamError
from ui import account_print, anonymity, i18n, key_accounts, state, widgets
from ui.i18n import fmt_date, fmt_num, fmt_pct, labeller, t

DATE_FORMAT = "DD.MM.YYYY"
# Column widths (pixels) that keep the plan's grids inside a 1280-pixel screen's main area; a
# longer text ends in an ellipsis on screen (the full text shows on hover and on paper).
TEXT_WIDTH, ACTION_WIDTH, OWNER_WIDTH, SHARE_WIDTH = 150, 190, 110, 90


class PlanContext:
    """What every part of the plan needs: the account, its saved plan, the data that measures it."""

    def __init__(self, account: str, txn: pd.DataFrame, prepared: Any, team: pd.DataFrame | None) -> None:
        self.account = account
        self.txn = txn
        self.prepared = prepared
        self.team = team
        self.ws = state.workspace()
        self.user = state.user()
        self.plan = plans.load_plan(self.ws, account)
        self.last_day = txn["date"].max()
        self.areas = sorted({d for d in (prepared.dictionary.dimension_of().values() if prepared else []) if d})
        self.titles = {o.id: anonymity.text(o.title or t(f"account.metric_{o.metric}")) for o in self.plan.objectives}
        # In anonymised mode the forms would show pseudonyms, not what is saved: no editing.
        self.editable = not anonymity.on()

    def start_default(self) -> dt.date:
        return self.last_day.date() if pd.notna(self.last_day) else dt.date.today()

    def save(self, item: plans.Objective | plans.Action | plans.StrategyNotes) -> None:
        if isinstance(item, plans.Objective) and item.baseline is None:
            item = item.model_copy(update={"baseline": plans.baseline_for(
                item, self.txn, survey=self.prepared, accounts=self.team)})
        plans.save_item(self.ws, item, self.user)
        st.rerun()


def _by(meta: dict[str, dict[str, Any]], item_id: str) -> str:
    row = meta.get(item_id, {})
    return f"{row.get('updated_by') or ''} · {fmt_date(row.get('updated_at'))}"


def _load_into_state(marker: str, item_id: str, values: dict[str, Any]) -> None:
    """Put ``values`` into the edit widgets' keys when another item was chosen."""
    if st.session_state.get(marker) != item_id:
        for key, value in values.items():
            st.session_state[key] = value
        st.session_state[marker] = item_id


# ------------------------------------------------------------------------------ objectives
def objectives(ctx: PlanContext) -> None:
    """The objectives with progress, a form to add one and one to change or delete one."""
    st.subheader(t("account.objectives_title"))
    plan = ctx.plan
    if plan.objectives:
        progress = plans.progress_table(plan.objectives, ctx.txn, ctx.prepared, accounts=ctx.team,
                                        as_of=ctx.last_day)
        meta = plans.item_meta(ctx.ws, "objective", ctx.account)
        shown = pd.DataFrame({
            t("account.col_objective"): [ctx.titles[i] for i in progress["id"]],
            t("account.col_metric"): [t(f"account.metric_{m}") + (f" · {a}" if a else "")
                                      for m, a in zip(progress["metric"], progress["area"], strict=True)],
            **{t(f"account.col_{c}"): key_accounts.rounded(progress[c]) for c in ("baseline", "target", "actual", "expected")},
            t("account.col_share"): (100 * progress["share_of_target"].astype(float)).round(0),
            t("account.col_status"): [t(f"account.progress_{s}") for s in progress["status"]],
            t("account.col_period"): [f"{fmt_date(a)} – {fmt_date(b)}" for a, b in zip(progress["start"], progress["due"],
                                                                                    strict=True)],
            t("account.col_owner"): progress["owner"],
            t("account.col_by"): [_by(meta, i) for i in progress["id"]],
        })
        # On screen two grids that each fit a laptop's main area without a sideways scroll: how far
        # each objective has come, then its period, owner and last change. Paper gets one table.
        objective, status = t("account.col_objective"), t("account.col_status")
        who = [objective, status, t("account.col_period"), t("account.col_owner"), t("account.col_by")]
        with st.container(key="account.screen_objectives"):
            i18n.dataframe(shown.drop(columns=who[1:]), hide_index=True, width="stretch",
                           key="account.objectives_table", column_config={
                               objective: st.column_config.Column(width=TEXT_WIDTH),
                               t("account.col_metric"): st.column_config.Column(width=TEXT_WIDTH),
                               t("account.col_share"): st.column_config.ProgressColumn(
                                   min_value=0, max_value=100, format=i18n.percent_format(), width=SHARE_WIDTH),
                           })
            i18n.dataframe(shown[who], hide_index=True, width="stretch", key="account.objectives_who_table",
                           column_config={objective: st.column_config.Column(width=TEXT_WIDTH)})
        account_print.printed(shown.assign(**{t("account.col_share"): [
            fmt_pct(v / 100, 0) if pd.notna(v) else None for v in shown[t("account.col_share")]]}))
        st.caption(t("account.objectives_caption", date=fmt_date(ctx.last_day)))
    else:
        st.caption(t("account.no_objectives"))
    if not ctx.editable:
        return
    with st.expander(t("account.add_objective"), icon=":material/flag:"):
        with st.form("account.objective_form", clear_on_submit=True):
            _objective_fields(ctx, "account.objective_", new=True)
            submitted = st.form_submit_button(t("account.save_objective"), key="account.save_objective")
        if submitted:
            _save_objective(ctx, "account.objective_", None)
    if plan.objectives:
        with st.expander(t("account.change_objective_title"), icon=":material/edit:"):
            _change_objective(ctx)


def _objective_fields(ctx: PlanContext, prefix: str, *, new: bool) -> None:
    st.text_input(t("account.objective_name"), key=f"{prefix}name", max_chars=plans.SHORT_MAX)
    c1, c2, c3 = st.columns(3)
    c1.selectbox(t("account.objective_metric"), plans.METRICS, format_func=labeller("account.metric_"),
                 key=f"{prefix}metric", help=t("account.objective_metric_help"))
    c2.selectbox(t("account.objective_area"), ctx.areas or [""], key=f"{prefix}area",
                 help=t("account.objective_area_help"))
    c3.number_input(t("account.objective_target"), key=f"{prefix}target", help=t("account.objective_target_help"),
                    **({"value": None} if new else {}))
    d1, d2, d3 = st.columns(3)
    start = ctx.start_default()
    defaults = ({"value": start}, {"value": start + dt.timedelta(days=365)}, {"value": ctx.user}) if new \
        else ({}, {}, {})
    d1.date_input(t("account.objective_start"), key=f"{prefix}start", format=DATE_FORMAT, **defaults[0])
    d2.date_input(t("account.objective_due"), key=f"{prefix}due", format=DATE_FORMAT, **defaults[1])
    d3.text_input(t("account.owner"), key=f"{prefix}owner", max_chars=plans.SHORT_MAX, **defaults[2])


def _save_objective(ctx: PlanContext, prefix: str, existing: plans.Objective | None) -> None:
    s = st.session_state
    try:
        if s[f"{prefix}target"] is None:
            raise KamError("plans.bad_target", "The target must be a number.")
        values = {"title": s[f"{prefix}name"], "metric": s[f"{prefix}metric"],
                  "area": s[f"{prefix}area"] or None, "target": s[f"{prefix}target"],
                  "start": s[f"{prefix}start"], "due": s[f"{prefix}due"], "owner": s[f"{prefix}owner"]}
        item = plans.Objective(account=ctx.account, **values) if existing is None \
            else plans.revise(existing, values)
        ctx.save(item)
    except (KamError, ValueError) as exc:
        widgets.error(exc)


def _change_objective(ctx: PlanContext) -> None:
    picked = st.selectbox(t("account.change_objective"), list(ctx.titles), format_func=ctx.titles.__getitem__,
                          key="account.change_objective")
    objective = next(o for o in ctx.plan.objectives if o.id == picked)
    prefix = "account.edit_objective_"
    area = objective.area if objective.area in ctx.areas else (ctx.areas or [""])[0]
    _load_into_state("account._editing_objective", objective.id, {
        f"{prefix}name": objective.title, f"{prefix}metric": objective.metric, f"{prefix}area": area,
        f"{prefix}target": float(objective.target), f"{prefix}start": objective.start,
        f"{prefix}due": objective.due, f"{prefix}owner": objective.owner})
    with st.form("account.objective_edit_form"):
        _objective_fields(ctx, prefix, new=False)
        st.caption(t("account.change_objective_help"))
        saved = st.form_submit_button(t("account.update_objective"), key="account.update_objective",
                                      icon=":material/save:")
    if saved:
        _save_objective(ctx, prefix, objective)
    if st.button(t("account.delete_objective"), key="account.delete_objective", icon=":material/delete:"):
        plans.delete_item(ctx.ws, objective, ctx.user)
        st.rerun()


# --------------------------------------------------------------------------------- actions
def actions(ctx: PlanContext) -> None:
    """The actions (overdue flagged), a form to add one and one to change or delete one."""
    st.subheader(t("account.actions_title"))
    plan = ctx.plan
    today = dt.date.today()
    overdue = plans.overdue_actions(plan.actions, today)
    if overdue:
        st.warning(t("account.overdue_warning", n=fmt_num(len(overdue))), icon=":material/alarm:")
    if plan.actions:
        late_ids = {a.id for a in overdue}
        meta = plans.item_meta(ctx.ws, "action", ctx.account)
        shown = pd.DataFrame({
            t("account.col_action"): [a.what for a in plan.actions],
            t("account.col_owner"): [a.owner for a in plan.actions],
            t("account.col_due"): [fmt_date(a.due) for a in plan.actions],
            t("account.col_status"): [t(f"account.status_{a.status}") for a in plan.actions],
            t("account.col_overdue"): [t("account.overdue") if a.id in late_ids else "" for a in plan.actions],
            t("account.col_objective"): [ctx.titles.get(a.objective_id, "") for a in plan.actions],
            t("account.col_by"): [_by(meta, a.id) for a in plan.actions],
        })
        with st.container(key="account.screen_actions"):
            i18n.dataframe(shown, hide_index=True, width="stretch", key="account.actions_table", column_config={
                t("account.col_action"): st.column_config.Column(width=ACTION_WIDTH),
                t("account.col_owner"): st.column_config.Column(width=OWNER_WIDTH),
                t("account.col_objective"): st.column_config.Column(width=TEXT_WIDTH)})
        account_print.printed(shown)
    else:
        st.caption(t("account.no_actions"))
    if not ctx.editable:
        return
    with st.expander(t("account.add_action"), icon=":material/task_alt:"):
        with st.form("account.action_form", clear_on_submit=True):
            _action_fields(ctx, "account.action_", new=True)
            added = st.form_submit_button(t("account.save_action"), key="account.save_action")
        if added:
            _save_action(ctx, "account.action_", None)
    if plan.actions:
        with st.expander(t("account.change_title"), icon=":material/edit:"):
            _change_action(ctx)


def _action_fields(ctx: PlanContext, prefix: str, *, new: bool) -> None:
    st.text_input(t("account.action_what"), key=f"{prefix}what", max_chars=500)
    a1, a2, a3, a4 = st.columns(4)
    a1.text_input(t("account.owner"), key=f"{prefix}owner", max_chars=plans.SHORT_MAX,
                  **({"value": ctx.user} if new else {}))
    a2.date_input(t("account.action_due"), key=f"{prefix}due", format=DATE_FORMAT,
                  **({"value": dt.date.today() + dt.timedelta(days=14)} if new else {}))
    a3.selectbox(t("account.action_status"), plans.ACTION_STATUSES, format_func=labeller("account.status_"),
                 key=f"{prefix}status")
    labels = {"": t("account.no_objective")} | ctx.titles
    a4.selectbox(t("account.action_objective"), list(labels), format_func=labels.__getitem__,
                 key=f"{prefix}objective")


def _save_action(ctx: PlanContext, prefix: str, existing: plans.Action | None) -> None:
    s = st.session_state
    try:
        values = {"what": s[f"{prefix}what"], "owner": s[f"{prefix}owner"], "due": s[f"{prefix}due"],
                  "status": s[f"{prefix}status"], "objective_id": s[f"{prefix}objective"] or None}
        ctx.save(plans.Action(account=ctx.account, **values) if existing is None else plans.revise(existing, values))
    except (KamError, ValueError) as exc:
        widgets.error(exc)


def _change_action(ctx: PlanContext) -> None:
    labels = {a.id: f"{a.what} · {fmt_date(a.due)}" for a in ctx.plan.actions}
    picked = st.selectbox(t("account.change_action"), list(labels), format_func=labels.__getitem__,
                          key="account.change_action")
    action = next(a for a in ctx.plan.actions if a.id == picked)
    prefix = "account.edit_action_"
    _load_into_state("account._editing_action", action.id, {
        f"{prefix}what": action.what, f"{prefix}owner": action.owner, f"{prefix}due": action.due,
        f"{prefix}status": action.status,
        f"{prefix}objective": action.objective_id if action.objective_id in ctx.titles else ""})
    with st.form("account.action_edit_form"):
        _action_fields(ctx, prefix, new=False)
        saved = st.form_submit_button(t("account.update_status"), key="account.update_status",
                                      icon=":material/save:")
    if saved:
        _save_action(ctx, prefix, action)
    if st.button(t("account.delete_action"), key="account.delete_action", icon=":material/delete:"):
        plans.delete_item(ctx.ws, action, ctx.user)
        st.rerun()


# ---------------------------------------------------------------------------------- notes
def notes(ctx: PlanContext) -> None:
    """Strategy notes by the handbook's headings and a SWOT."""
    st.subheader(t("account.notes_title"))
    saved = ctx.plan.notes or plans.StrategyNotes(account=ctx.account)
    headings = [*plans.NOTE_HEADINGS, *plans.SWOT_HEADINGS]
    written = [(h, getattr(saved, h)) for h in headings if getattr(saved, h)]
    if written:
        shown = pd.DataFrame({t("account.col_heading"): [t(f"account.note_{h}") for h, _ in written],
                              t("account.col_text"): [text for _, text in written]})
        with st.container(key="account.screen_notes"):
            i18n.dataframe(shown, hide_index=True, width="stretch", key="account.notes_table")
        account_print.printed(shown)
    else:
        st.caption(t("account.no_notes"))
    if not ctx.editable:
        return
    with st.expander(t("account.edit_notes"), icon=":material/edit_note:"):
        with st.form("account.notes_form"):
            st.caption(t("account.notes_help"))
            for group, n_columns in ((plans.NOTE_HEADINGS, 3), (plans.SWOT_HEADINGS, 2)):
                if group is plans.SWOT_HEADINGS:
                    st.markdown(f"**{t('account.swot_title')}**")
                columns = st.columns(n_columns)
                for i, heading in enumerate(group):
                    columns[i % n_columns].text_area(
                        t(f"account.note_{heading}"), value=getattr(saved, heading), height=100,
                        key=f"account.note_{heading}_{ctx.account}", max_chars=plans.TEXT_MAX)
            submitted = st.form_submit_button(t("account.save_notes"), key="account.save_notes")
        if submitted:
            try:
                values = {h: st.session_state[f"account.note_{h}_{ctx.account}"] for h in headings}
                ctx.save(plans.StrategyNotes(account=ctx.account, **values))
            except (KamError, ValueError) as exc:
                widgets.error(exc)


# ---------------------------------------------------------------------- exchange and history
def exchange(ctx: PlanContext) -> None:
    """Export the plan to XLSX, import an edited workbook back, and the history of changes."""
    st.subheader(t("account.exchange_title"))
    safe_name = re.sub(r"[^0-9A-Za-z_-]+", "_", str(anonymity.account(ctx.account)))[:40] or "account"
    plan = anonymity.plan(ctx.plan)  # pseudonyms in anonymised mode
    st.download_button(t("account.export_plan"), data=lambda: plans.plan_to_xlsx(plan),
                       file_name=f"plan_{safe_name}.xlsx", key="account.export_plan", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with st.expander(t("account.import_title"), icon=":material/upload:"):
        _import(ctx)
    with st.expander(t("account.history_title"), icon=":material/history:"):
        history(ctx)


def _import(ctx: PlanContext) -> None:
    """Read an edited plan workbook back (not in anonymised mode: it would hold pseudonyms)."""
    if not ctx.editable:
        st.warning(t("anonymise.editing_off"), icon=":material/visibility_off:")
        return
    st.caption(t("account.import_help"))
    upload = st.file_uploader(t("account.import_file"), type=["xlsx"], key="account.import_file")
    if upload is not None:
        try:
            imported = plans.plan_from_xlsx(upload.getvalue(), ctx.account)
            st.caption(t("account.import_preview", objectives=fmt_num(len(imported.objectives)),
                         actions=fmt_num(len(imported.actions))))
            if st.button(t("account.import_button"), key="account.import_button", icon=":material/upload:"):
                plans.save_plan(ctx.ws, imported, ctx.user)
                st.success(t("account.imported"))
                st.rerun()
        except KamError as exc:
            widgets.error(exc)


def _value_text(value: Any, field: str = "", titles: dict[str, str] | None = None) -> str:
    if value is None or value == "":
        return "–"
    if field in ("status", "metric"):
        return t(f"account.{field}_{value}")
    if field == "objective_id":
        return (titles or {}).get(value, str(value))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return fmt_num(value, 2 if float(value) % 1 and abs(value) < 1000 else 0)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return fmt_date(dt.date.fromisoformat(value))
    return str(value)


def _field_name(field: str) -> str:
    if field in (*plans.NOTE_HEADINGS, *plans.SWOT_HEADINGS):
        return t(f"account.note_{field}")
    return t(f"account.field_{field}")


def history(ctx: PlanContext) -> None:
    """Who changed what in the plan, and when (newest first)."""
    rows = ctx.ws.plan_history(ctx.account)
    if rows.empty:
        st.caption(t("account.no_history"))
        return
    changes = plans.history_changes(rows)
    i18n.dataframe(pd.DataFrame({
        t("account.col_part"): [t(f"account.kind_{k}") for k in rows["kind"]],
        t("account.col_change"): [t(f"account.change_{c}") for c in rows["change"]],
        t("account.col_by"): rows["changed_by"].fillna(""),
        t("account.col_when"): [f"{fmt_date(w)} {pd.Timestamp(w):%H:%M}" for w in rows["changed_at"]],
        t("account.col_content"): ["; ".join(
            f"{_field_name(f)}: {_value_text(old, f, ctx.titles)} → {_value_text(new, f, ctx.titles)}"
            if old is not None else f"{_field_name(f)}: {_value_text(new, f, ctx.titles)}"
            for f, old, new in fields) for fields in changes],
    }), hide_index=True, width="stretch", key="account.history_table")


def render(account: str, txn: pd.DataFrame, prepared: Any, team: pd.DataFrame | None) -> None:
    """The whole account plan of ``account``."""
    st.header(t("account.plan_title"))
    ctx = PlanContext(account, txn, prepared, team)
    if not ctx.editable:
        st.warning(t("anonymise.editing_off"), icon=":material/visibility_off:")
    objectives(ctx)
    actions(ctx)
    notes(ctx)
    with st.container(key="account.exchange"):  # nothing to print here: hidden in print
        exchange(ctx)
