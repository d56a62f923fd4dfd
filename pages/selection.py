"""Key-account selection: weighted criteria, the portfolio matrix, the shortlist, readiness."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kamcore import selection, tables
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from ui import account_link, anonymity, charts, clv_view, data, i18n, router, state, widgets
from ui.figures import selection as figures
from ui.i18n import escape_markdown, fmt_date, fmt_num, fmt_pct, labeller, t

router.require_router()

BASE_MODEL = selection.default_model()
AXES = ("attractiveness", "strength")
SENSITIVITY_RUNS = 200
SENSITIVITY_SPREAD = 0.20
#: Weights the room can give a criterion: 0 to 5 in halves.
WEIGHT_STEPS = tuple(step / 2 for step in range(11))


def nearest_step(weight: float) -> float:
    """``weight`` on the slider's half steps (a saved weight may lie between them)."""
    return min(WEIGHT_STEPS, key=lambda step: (abs(step - weight), step))


def readiness_section() -> None:
    """The primer's five questions; the verdict appears once the form is submitted."""
    with st.expander(t("selection.readiness_title"), icon=":material/checklist:"):
        st.caption(t("selection.readiness_intro"))
        with st.form("selection.readiness_form", border=False):
            answers = {
                q: st.slider(
                    t(f"selection.readiness_q{q}"),
                    min_value=1,
                    max_value=5,
                    value=3,
                    key=f"selection.readiness.q{q}",
                    help=t(f"selection.readiness_q{q}_scale"),
                )
                for q in range(1, 6)
            }
            if st.form_submit_button(t("selection.readiness_submit"), key="selection.readiness_submit"):
                st.session_state["selection._readiness"] = answers
        answered = st.session_state.get("selection._readiness")
        if not answered:
            return
        try:
            result = selection.readiness_check(answered)
        except KamError as exc:
            widgets.error(exc)
            return
        score = fmt_num(result.score)
        fix = ", ".join(t(f"selection.readiness_short_q{q}") for q in result.fix_first)
        if result.verdict == "ready":
            st.success(t("selection.verdict_ready", score=score))
        elif result.verdict == "partly_ready":
            st.warning(t("selection.verdict_partly_ready", score=score, fix=fix))
        else:
            st.error(t("selection.verdict_not_now", score=score))
        st.markdown(
            "\n".join(
                f"- {t(f'selection.reason_q{r.question}_{r.code}', **r.params)}" for r in result.reasons
            )
        )


def added_criteria(scores_name: str) -> list[selection.Criterion]:
    """The criteria the team added in this workspace (saved there, held in the session)."""
    held: dict[str, list[dict]] = st.session_state.setdefault("selection._added", {})
    slot = f"{state.workspace_key()}|{scores_name}"
    if slot not in held:
        saved = state.workspace().load_object("selection_criteria", scores_name) or {}
        held[slot] = list(saved.get("criteria", []))
    return [selection.Criterion(**c) for c in held[slot]]


def save_added_criteria(scores_name: str, criteria: list[selection.Criterion]) -> None:
    payload = [c.model_dump(exclude={"weight"}) for c in criteria]
    st.session_state["selection._added"][f"{state.workspace_key()}|{scores_name}"] = payload
    state.workspace().save_object("selection_criteria", scores_name, {"criteria": payload}, user=state.user())


def with_added_criteria(base: selection.SelectionModel, scores_name: str) -> selection.SelectionModel:
    """``base`` plus the criteria the team added in this workspace."""
    model = base
    for criterion in added_criteria(scores_name):
        model = selection.add_criterion(model, criterion)
    return model


def criteria_editor(model: selection.SelectionModel, scores_name: str) -> None:
    """Add a team score or another measure as a criterion, or remove one added earlier."""
    added = added_criteria(scores_name)
    with st.expander(t("selection.custom_title"), icon=":material/tune:"):
        st.caption(t("selection.custom_intro"))
        unused = [m for m in selection.COMPUTED_SOURCES if m not in {c.source for c in model.criteria}]
        with st.form("selection.custom_form", clear_on_submit=True):
            left, right = st.columns(2)
            kind = left.radio(
                t("selection.custom_kind"),
                ["team", "measure"],
                format_func=labeller("selection.custom_kind_"),
                key="selection.custom_kind",
                horizontal=True,
            )
            name = left.text_input(
                t("selection.custom_name"),
                key="selection.custom_name",
                max_chars=selection.CRITERION_NAME_MAX,
                help=t("selection.custom_name_help"),
            )
            measure = left.selectbox(
                t("selection.custom_measure"),
                unused,
                format_func=figures.criterion_label,
                key="selection.custom_measure",
                placeholder=t("selection.custom_none_left"),
            )
            axis = right.radio(
                t("selection.custom_axis"), AXES, format_func=labeller("selection.axis_"), key="selection.custom_axis"
            )
            direction = right.radio(
                t("selection.custom_direction"),
                ["higher_is_better", "lower_is_better"],
                format_func=labeller("selection.custom_direction_"),
                key="selection.custom_direction",
            )
            if st.form_submit_button(t("selection.custom_add"), key="selection.custom_add", icon=":material/add:"):
                try:
                    if kind == "team":
                        new = selection.team_criterion(name, axis, direction)
                    else:
                        new = selection.measure_criterion(str(measure), axis, direction)
                    selection.add_criterion(model, new)  # refuses a name already in use
                    save_added_criteria(scores_name, [*added, new])
                    st.rerun()
                except KamError as exc:
                    widgets.error(exc)
        if added:
            st.caption(t("selection.custom_added"))
        for position, criterion in enumerate(added):
            label, button = st.columns([4, 1], vertical_alignment="center")
            label.text(f"{figures.criterion_label(criterion.name)} · {t(f'selection.axis_{criterion.axis}')}")
            if button.button(t("selection.custom_remove"), key=f"selection.custom_remove.{position}"):
                save_added_criteria(scores_name, [c for c in added if c.name != criterion.name])
                st.rerun()


def weight_controls(base: selection.SelectionModel) -> selection.SelectionModel:
    """Weight sliders per criterion, normalisation and cut-points -> the model to score with."""
    remembered: dict[str, float] = st.session_state.setdefault("selection._weights", {})
    st.subheader(t("selection.criteria_title"))
    st.caption(t("selection.criteria_intro"))
    weights: dict[str, float] = {}
    weight_labels = {step: fmt_num(step, 1) for step in WEIGHT_STEPS}
    for axis, column in zip(AXES, st.columns(2), strict=True):
        column.markdown(f"**{t(f'selection.axis_{axis}')}**")
        for criterion in (c for c in base.criteria if c.axis == axis):
            weights[criterion.name] = column.select_slider(
                # a name the team typed is shown as typed, never as Markdown
                escape_markdown(figures.criterion_label(criterion.name)),
                options=WEIGHT_STEPS,
                value=nearest_step(float(remembered.get(criterion.name, criterion.weight))),
                # "1,5" in Norwegian and Swedish (a printf slider format always writes "1.5")
                format_func=weight_labels.__getitem__,
                key=f"selection.weight.{criterion.name}",
                help=t(f"selection.criterion_{criterion.name}_help")
                if not criterion.is_manual or criterion.name in {c.name for c in BASE_MODEL.criteria}
                else t("selection.custom_team_help"),
            )
    # widget values vanish when the user visits another page; keep a copy
    remembered.update(weights)

    left, middle, right = st.columns(3)
    normalisation = left.radio(
        t("selection.normalisation"),
        ["percentile", "minmax"],
        format_func=labeller("selection.normalisation_"),
        key="selection.normalisation",
        horizontal=True,
        help=t("selection.normalisation_help"),
    )
    missing = left.radio(
        t("selection.missing_policy"),
        list(selection.MISSING_POLICIES),
        format_func=labeller("selection.missing_policy_"),
        key="selection.missing_policy",
        help=t("selection.missing_policy_help"),
    )
    cut_mode = middle.radio(
        t("selection.cut_mode"),
        [*selection.CUT_RULES, "value"],
        format_func=labeller("selection.cut_mode_"),
        key="selection.cut_mode",
        help=t("selection.cut_mode_help", limit=fmt_num(state.settings().shortlist_limit)),
    )
    custom = cut_mode == "value"
    cut_a = right.slider(
        t("selection.cut_attractiveness"), 0, 100, 50, key="selection.cut_attractiveness", disabled=not custom
    )
    cut_s = right.slider(
        t("selection.cut_strength"), 0, 100, 50, key="selection.cut_strength", disabled=not custom
    )
    model = base.with_weights(weights)
    return model.model_copy(
        update={
            "normalisation": normalisation,
            "cut_attractiveness": float(cut_a) if custom else None,
            "cut_strength": float(cut_s) if custom else None,
            "cut_rule": "median" if custom else cut_mode,
            "missing": missing,
            "shortlist_limit": state.settings().shortlist_limit,
        }
    )


def initial_scores(accounts_name: str | None) -> pd.DataFrame | None:
    """Manual scores found in the uploaded accounts table (e.g. 'Strategisk passform')."""
    if accounts_name is None:
        return None
    raw = data.table(accounts_name)
    id_column = state.workspace().table_info(accounts_name).mapping.get("customer_id")
    if raw is None or id_column is None:
        return None
    return selection.manual_scores_from_table(raw, id_column)


def score_editor(
    measures: pd.DataFrame,
    manual: pd.DataFrame,
    names: list[str],
    saved_payload: dict | None,
    scores_name: str,
    keep: set[str],
) -> pd.DataFrame:
    """The 1-5 score grid; edits are saved at once with who and when. Returns the scores in use."""
    st.caption(t("selection.editor_intro"))
    base = measures[["customer_id", "customer_name", "revenue"]].sort_values(
        ["revenue", "customer_id"], ascending=[False, True]
    )
    base = base.merge(manual[["customer_id", *names, "note", "by", "at"]], on="customer_id", how="left")
    for text_column in ("note", "by", "at"):
        base[text_column] = pd.Series(
            ["" if pd.isna(v) else str(v) for v in base[text_column]], index=base.index, dtype="str"
        )
    base["revenue"] = base["revenue"].round(0)
    # customer id as index: a different set of accounts (other filters) resets the edits
    base = base.set_index("customer_id")
    column_config = {
        "_index": st.column_config.TextColumn(t("selection.col_customer_id"), disabled=True),
        "customer_name": st.column_config.TextColumn(t("selection.col_customer_name")),
        "revenue": st.column_config.NumberColumn(
            t("selection.col_revenue_12m"), format=i18n.number_format(0)
        ),
        "note": st.column_config.TextColumn(t("selection.col_note"), max_chars=500),
        "by": st.column_config.TextColumn(t("selection.col_by")),
        "at": st.column_config.TextColumn(t("selection.col_at")),
    }
    for name in names:
        column_config[name] = st.column_config.NumberColumn(
            figures.criterion_label(name),
            min_value=1,
            max_value=5,
            step=1,
            format="%d",
            help=t("selection.score_help"),
        )
    edited = st.data_editor(
        shown := anonymity.frame(base),  # pseudonyms in anonymised mode; saved as real ids below
        key="selection.editor",
        num_rows="fixed",
        disabled=["customer_name", "revenue", "by", "at"],
        column_config=column_config,
        width="stretch",
        height=420,
        placeholder="–",
    )
    edits = (st.session_state.get("selection.editor") or {}).get("edited_rows")
    if not edits:
        return manual
    table = anonymity.editor_result(shown, edited, base).reset_index()
    try:
        payload = selection.manual_scores_payload(
            table, names, state.user(), dt.datetime.now(dt.UTC), previous=saved_payload, keep=keep
        )
    except KamError as exc:
        widgets.error(exc)
        return manual
    if not selection.same_scores(payload, saved_payload):
        state.workspace().save_object("manual_scores", scores_name, payload, user=state.user())
        st.toast(t("selection.scores_saved"), icon=":material/save:")
    return selection.manual_scores_from_payload(payload, names)


def apply_pick_change() -> None:
    """The multiselect changed: additions become 'include', removals become 'exclude'."""
    new = set(st.session_state.get("selection.shortlist_pick", []))
    shown = set(st.session_state.get("selection._shown", []))
    include = set(st.session_state["selection._include"])
    exclude = set(st.session_state["selection._exclude"])
    for customer in new - shown:
        include.add(customer)
        exclude.discard(customer)
    for customer in shown - new:
        exclude.add(customer)
        include.discard(customer)
    st.session_state["selection._include"] = sorted(include)
    st.session_state["selection._exclude"] = sorted(exclude)


def reset_shortlist(recommended: int) -> None:
    """Back to the top accounts by rank, without manual additions or removals."""
    st.session_state["selection._include"] = []
    st.session_state["selection._exclude"] = []
    st.session_state["selection._size"] = recommended
    st.session_state["selection.shortlist_size"] = recommended


# ------------------------------------------------------------------------------------ page

st.title(t("selection.title"))
st.caption(t("selection.intro"))

readiness_section()

# all filters but the period: growth compares the last 12 months with the 12 before
transactions = data.transactions(apply_period=False)
widgets.require(transactions, "selection.no_transactions")
# the period filter's end date (if any) is the end of the 12-month window
period_end = data.current_filters().date_to
as_of = pd.Timestamp(period_end) if period_end is not None else transactions["date"].max()
try:
    measures = selection.account_measures(transactions, data.accounts(filtered=False), as_of=as_of)
except KamError as exc:
    widgets.stop_with_error(exc)
widgets.require(measures, "selection.no_transactions")
statuses = widgets.status_filter("selection.status", container=st.columns([2, 3])[0])
if statuses is not None:
    measures = measures.loc[
        tables.accounts_with_status(measures["customer_id"], data.account_status(), statuses)
    ].reset_index(drop=True)
    widgets.require(measures, "selection.no_accounts_status")
st.caption(t("selection.window_note", n=fmt_num(len(measures)), end=fmt_date(as_of)))

ws = state.workspace()
accounts_name = data.active_table(TableKind.accounts)
scores_name = accounts_name or "accounts"
with_added = with_added_criteria(BASE_MODEL, scores_name)
if selection.needs_future_value(with_added):  # P(alive) / expected revenue: fitted once, cached
    measures = selection.add_future_value(measures, clv_view.account_values(transactions, period_end))
model = weight_controls(with_added)
criteria_editor(with_added, scores_name)
names = model.manual_names
saved_payload = ws.load_object("manual_scores", scores_name)
try:
    initial = initial_scores(accounts_name)
except KamError as exc:
    widgets.error(exc)
    initial = None
saved = selection.manual_scores_from_payload(saved_payload, names)
manual = selection.combine_manual_scores(saved, initial)
keep = set(saved["customer_id"])
if initial is not None:
    keep |= set(
        initial.loc[initial[[c for c in names if c in initial.columns]].notna().any(axis=1), "customer_id"]
    )

view = widgets.choice("selection.view", ["matrix", "scores", "ranking"], key="selection.view", default="matrix",
                      option_prefix="selection.view")
if view == "scores":
    manual = score_editor(measures, manual, names, saved_payload, scores_name, keep)

try:
    coverage = selection.criterion_coverage(measures, model, manual)
    excluded = selection.n_excluded(measures, model, manual)
    scored = selection.score_accounts(measures, model, manual)
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
if "selection._include" not in st.session_state:
    saved_list = ws.load_object("shortlist", scores_name) or {}
    st.session_state["selection._include"] = list(saved_list.get("include", []))
    st.session_state["selection._exclude"] = list(saved_list.get("exclude", []))
    st.session_state["selection._size"] = int(saved_list.get("size", recommended))
known = set(scored["customer_id"])
st.session_state["selection._include"] = [c for c in st.session_state["selection._include"] if c in known]

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
        figure = figures.matrix_figure(scored, model, colour_by)
    except (KamError, ImportError) as exc:
        widgets.error(exc)
        figure = figures.matrix_figure(scored, model, "category")
    event = charts.show(
        figure, key="selection.matrix", on_select="rerun", selection_mode=("points", "box", "lasso")
    )
    st.caption(figures.cuts_caption(scored, model))
    st.caption(t("selection.matrix_help"))
    picked = sorted(set(figures.picked_in_chart(event, figure)))
    # a chart selection stays active across reruns: act only when it changes
    if picked and picked != st.session_state.get("selection._last_pick"):
        include = set(st.session_state["selection._include"]) | set(picked)
        st.session_state["selection._include"] = sorted(include)
        st.session_state["selection._exclude"] = sorted(
            set(st.session_state["selection._exclude"]) - set(picked)
        )
    st.session_state["selection._last_pick"] = picked
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
if st.session_state.get("selection.shortlist_size", 0) > len(scored):
    # fewer accounts after a filter change: a stored size above the new maximum would raise
    st.session_state["selection.shortlist_size"] = len(scored)
size = st.number_input(
    t("selection.shortlist_size"),
    min_value=1,
    max_value=len(scored),
    value=min(max(1, st.session_state["selection._size"]), len(scored)),
    step=1,
    key="selection.shortlist_size",
)
st.session_state["selection._size"] = int(size)
try:
    chosen = selection.shortlist(
        scored,
        size=int(size),
        include=st.session_state["selection._include"],
        exclude=st.session_state["selection._exclude"],
        limit=limit,
    )
    report = selection.sensitivity(
        measures,
        model,
        int(size),
        n_runs=SENSITIVITY_RUNS,
        spread=SENSITIVITY_SPREAD,
        seed=0,
        manual_scores=manual,
    )
except KamError as exc:
    widgets.stop_with_error(exc)

chosen_ids = chosen.table["customer_id"].tolist()
names_by_id = dict(zip(scored["customer_id"], scored["customer_name"].fillna(""), strict=True))
st.session_state["selection.shortlist_pick"] = chosen_ids
st.session_state["selection._shown"] = chosen_ids
st.multiselect(
    t("selection.shortlist_pick"),
    scored["customer_id"].tolist(),
    format_func=anonymity.option_labels({c: f"{c} · {names_by_id.get(c, '')}" for c in scored["customer_id"]}),
    key="selection.shortlist_pick",
    on_change=apply_pick_change,
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
fragile = chosen.table.loc[chosen.table["customer_id"].map(shares).lt(0.5), "customer_id"]
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
    ws.save_object(
        "shortlist",
        scores_name,
        {
            "customer_ids": chosen_ids,
            "include": st.session_state["selection._include"],
            "exclude": st.session_state["selection._exclude"],
            "size": int(size),
            "weights": {c.name: c.weight for c in model.criteria},
            "normalisation": model.normalisation,
            # how the list was reached: missing scores, box cuts and the statuses shown
            "missing": model.missing,
            "cuts": list(selection.matrix_cuts(scored, model)),
            "statuses": sorted(statuses) if statuses is not None else None,
            "saved_by": state.user(),
            "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
        user=state.user(),
    )
    st.success(t("selection.shortlist_saved", n=fmt_num(len(chosen_ids))))
right.button(
    t("selection.reset_shortlist"),
    key="selection.reset_shortlist",
    icon=":material/restart_alt:",
    on_click=reset_shortlist,
    args=(recommended,),
)
widgets.download_buttons(table, "kam_shortlist", key="selection.download_shortlist")
