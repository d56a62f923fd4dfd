"""The Selection page's panels: readiness, weights, added criteria and the score editor.

``pages/selection.py`` calls these in order; what they remember between runs is kept by
``ui.selection_state`` and the rules are ``kamcore.selection``'s.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kamcore import manual_scores, selection
from kamcore.errors import KamError
from ui import account_link, anonymity, data, i18n, selection_state, state, widgets
from ui.figures import selection as figures
from ui.i18n import escape_markdown, fmt_num, labeller, t

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
                selection_state.set_readiness_answers(answers)
        answered = selection_state.readiness_answers()
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
    held = selection_state.held_criteria(
        f"{state.workspace_key()}|{scores_name}",
        lambda: (state.workspace().load_object("selection_criteria", scores_name) or {}).get("criteria", []),
    )
    return [selection.Criterion(**c) for c in held]


def save_added_criteria(scores_name: str, criteria: list[selection.Criterion]) -> None:
    payload = [c.model_dump(exclude={"weight"}) for c in criteria]
    selection_state.hold_criteria(f"{state.workspace_key()}|{scores_name}", payload)
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
    remembered = selection_state.remembered_weights()
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
    return manual_scores.manual_scores_from_table(raw, id_column)


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
        payload = manual_scores.manual_scores_payload(
            table, names, state.user(), dt.datetime.now(dt.UTC), previous=saved_payload, keep=keep
        )
    except KamError as exc:
        widgets.error(exc)
        return manual
    if not manual_scores.same_scores(payload, saved_payload):
        state.workspace().save_object("manual_scores", scores_name, payload, user=state.user())
        st.toast(t("selection.scores_saved"), icon=":material/save:")
    return manual_scores.manual_scores_from_payload(payload, names)


def manual_scores_in_use(
    names: list[str], scores_name: str, accounts_name: str | None
) -> tuple[dict | None, pd.DataFrame, set[str]]:
    """The saved scores payload, the scores in use (saved, else from the accounts table) and the
    accounts whose scores are kept when the editor saves (``keep``)."""
    saved_payload = state.workspace().load_object("manual_scores", scores_name)
    try:
        initial = initial_scores(accounts_name)
    except KamError as exc:
        widgets.error(exc)
        initial = None
    saved = manual_scores.manual_scores_from_payload(saved_payload, names)
    manual = manual_scores.combine_manual_scores(saved, initial)
    keep = set(saved["customer_id"])
    if initial is not None:
        keep |= set(
            initial.loc[initial[[c for c in names if c in initial.columns]].notna().any(axis=1), "customer_id"]
        )
    return saved_payload, manual, keep


def open_picked_account(picked: list[str], scored: pd.DataFrame) -> None:
    """With one bubble picked in the matrix, a button that opens that account's page.

    A click in the matrix also adds the account to the shortlist (the matrix's own use), so
    the account page opens from a button rather than from the click itself.
    """
    st.caption(t("account_charts.matrix_hint"))
    if len(picked) != 1:
        return
    names = scored.set_index("customer_id")["customer_name"]
    name = names.get(picked[0])
    label = picked[0] if name is None or pd.isna(name) else f"{picked[0]} · {name}"
    label = anonymity.text(label)  # pseudonyms in anonymised mode
    # the label is text the user's file gave: a button label is Markdown, so escape it
    if st.button(t("account_charts.open_picked", account=escape_markdown(label)), key="selection.open_picked",
                 icon=":material/person_search:"):
        account_link.open_account(picked[0])
