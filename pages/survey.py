"""Survey: pick a survey, prepare it (scales, labels, dictionary), filter respondents, view the results."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from kamcore import survey_respondents
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from kamcore.survey_model import DICTIONARY_COLUMNS, ROLES, ItemDictionary
from kamcore.survey_prepare import PreparedSurvey
from ui import anonymity, data, router, state, survey_views, widgets
from ui.figures import survey as figures
from ui.i18n import fmt_num, t

router.require_router()


def _number(value: object) -> object:
    """Numbers in a reason in the user's format (0,348066 in Norwegian); anything else as it is."""
    if isinstance(value, float):
        return fmt_num(value) if value.is_integer() else fmt_num(value, 6).rstrip("0")
    return value


def _saved(kind: str, name: str) -> dict:
    return state.workspace().load_object(kind, name) or {}


def _save(kind: str, name: str, payload: dict) -> None:
    if _saved(kind, name) != payload:
        state.workspace().save_object(kind, name, payload, user=state.user())
        st.toast(t("survey.dictionary_saved"), icon=":material/save:")


def columns_section(prepared: PreparedSurvey, name: str, shifts: dict) -> None:
    """Every column accounted for: items, attributes, and each excluded column with its reason."""
    n_items, n_attr, n_excl = len(prepared.dictionary.items), len(prepared.attributes.columns), len(prepared.excluded)
    pending = [n for n in prepared.scale_notes if not n.applied]
    if pending:
        st.warning(t("survey.scale_notes", n=fmt_num(len(pending))), icon=":material/straighten:")
    with st.expander(t("survey.columns_title", items=fmt_num(n_items), attributes=fmt_num(n_attr),
                       excluded=fmt_num(n_excl)), icon=":material/view_column:", expanded=bool(n_excl and not n_items)):
        if prepared.excluded:
            st.caption(t("survey.excluded_caption"))
            st.dataframe(pd.DataFrame({
                t("survey.col_column"): list(prepared.excluded),
                t("survey.col_reason"): [t(f"survey.excluded_{e.code}", **{k: _number(v) for k, v in e.params.items()})
                                          for e in prepared.excluded.values()],
            }), hide_index=True, width="stretch", key="survey.excluded_table", placeholder="")
        shown = [c for c in prepared.attributes.columns if not str(c).startswith("__")]
        st.caption(t("survey.attributes_caption", n=fmt_num(len(shown))))
        st.dataframe(pd.DataFrame({t("survey.col_column"): shown}), hide_index=True, key="survey.attribute_table", placeholder="")
        if prepared.scale_notes:
            shift_grid(prepared, name, shifts)


def shift_grid(prepared: PreparedSurvey, name: str, shifts: dict) -> None:
    """One row per item whose answers do not fit its header's scale; each item's shift is ticked on its own."""
    st.caption(t("survey.apply_shift"))
    notes = pd.DataFrame([n.model_dump() for n in prepared.scale_notes])
    for column in ("header_min", "header_max", "data_min", "data_max", "shift"):  # whole numbers, no "1.0"
        if notes[column].mod(1).eq(0).all():
            notes[column] = notes[column].astype("Int64")
    shown = figures.results_table(notes.drop(columns="applied"), {k: t(f"survey.col_note_{k}") for k in
                                  ("item", "header_min", "header_max", "data_min", "data_max", "shift")}).copy()
    shown.insert(0, t("survey.col_note_apply"), notes["item"].isin(list(shifts)).to_numpy())
    edited = st.data_editor(shown, key=f"survey.shift.{name}", hide_index=True, width="stretch", placeholder="",
                            num_rows="fixed", disabled=[c for c in shown.columns if c != t("survey.col_note_apply")],
                            column_config={t("survey.col_note_apply"): st.column_config.CheckboxColumn(
                                t("survey.col_note_apply"), help=t("survey.apply_shift_help")),
                                t("survey.col_note_item"): st.column_config.TextColumn(  # long questions: not all
                                    t("survey.col_note_item"), width="medium")})
    ticked = edited[t("survey.col_note_apply")].fillna(False).astype(bool).to_numpy()
    new = {**{k: v for k, v in shifts.items() if k not in set(notes["item"])},
           **{n.item: n.shift for n, on in zip(prepared.scale_notes, ticked, strict=True) if on}}
    if new != shifts:
        _save("survey_shifts", name, {"shifts": new})
        st.session_state.pop(f"survey.shift.{name}", None)
        st.rerun()


def labels_section(prepared: PreparedSurvey, name: str, labels: dict) -> None:
    """The label -> number mapping of each label scale, correctable; unknown labels listed with no number."""
    if not prepared.label_scales:
        return
    rows = [(lab, val) for sc in prepared.label_scales for lab, val in sorted(sc.mapping.items(), key=lambda kv: kv[1])]
    rows += [(lab, None) for sc in prepared.label_scales for lab in sc.unknown]
    unknown = sum(len(sc.unknown) for sc in prepared.label_scales)
    with st.expander(t("survey.labels_title"), icon=":material/translate:", expanded=bool(unknown)):
        st.caption(t("survey.labels_help"))
        for sc in prepared.label_scales:
            if sc.family not in ("unknown", "user"):
                st.caption(t("survey.label_scale", family=t(f"survey.family_{sc.family}"), points=fmt_num(sc.points)))
        if unknown:
            st.warning(t("survey.unknown_labels", n=fmt_num(unknown)), icon=":material/help:")
        base = pd.DataFrame(rows, columns=["label", "value"]).astype({"value": "Float64"})
        edited = st.data_editor(base, key=f"survey.label_mapping.{name}", hide_index=True, num_rows="fixed", placeholder="",
                                disabled=["label"], column_config={
                                    "label": st.column_config.TextColumn(t("survey.col_label")),
                                    "value": st.column_config.NumberColumn(t("survey.col_value"), step=1)})
        guessed = dict(rows)
        changed = {str(r.label): float(r.value) for r in edited.itertuples()
                   if pd.notna(r.value) and (guessed.get(r.label) is None or float(r.value) != guessed[r.label])}
        if {**labels, **changed} != labels:
            _save("survey_labels", name, {"labels": {**labels, **changed}})
            st.session_state.pop(f"survey.label_mapping.{name}", None)  # its row numbers refer to this table
            st.rerun()


def dictionary_section(prepared: PreparedSurvey, name: str, columns: list[str]) -> None:
    """The item dictionary grid: edit, add, remove and paste rows; upload and download it as CSV."""
    with st.expander(t("survey.dictionary_title"), icon=":material/list_alt:"):
        st.caption(t("survey.dictionary_help"))
        if prepared.suggested_reverse:
            st.caption(t("survey.reverse_suggested", items=", ".join(prepared.suggested_reverse)))
        upload = st.file_uploader(t("survey.dictionary_upload"), type=["csv"], key="survey.dictionary_upload")
        if upload is not None and st.session_state.get("survey._dictionary_upload_id") != upload.file_id:
            st.session_state["survey._dictionary_upload_id"] = upload.file_id
            try:
                frame = pd.read_csv(io.BytesIO(upload.getvalue()), sep=None, engine="python", dtype=str,
                                    keep_default_na=False, encoding="utf-8-sig")
                model = ItemDictionary.from_frame(frame, available=columns)
                _save("item_dictionary", name, {"rows": model.to_frame().to_dict("records")})
                st.rerun()
            except (KamError, ValueError, UnicodeDecodeError) as exc:
                widgets.error(exc if isinstance(exc, KamError) else KamError(
                    "survey.dictionary_unreadable", "The item dictionary file could not be read as a CSV table."))
        base = prepared.dictionary.to_frame()
        edited = st.data_editor(base, key=f"survey.dictionary.{name}", num_rows="dynamic", hide_index=True, placeholder="",
                                width="stretch", column_config={
            "item": st.column_config.SelectboxColumn(t("survey.col_item"), options=columns, required=True),
            "question": st.column_config.TextColumn(t("survey.col_question")),
            "dimension": st.column_config.TextColumn(t("survey.col_dimension"), help=t("survey.dimension_help")),
            "role": st.column_config.SelectboxColumn(t("survey.col_role"), options=list(ROLES),
                                                     format_func=figures.role_label, help=t("survey.role_help")),
            "pair": st.column_config.TextColumn(t("survey.col_pair"), help=t("survey.pair_help")),
            "reverse": st.column_config.CheckboxColumn(t("survey.col_reverse"), help=t("survey.reverse_help")),
            "scale_min": st.column_config.NumberColumn(t("survey.col_scale_min")),
            "scale_max": st.column_config.NumberColumn(t("survey.col_scale_max"))})
        editor = st.session_state.get(f"survey.dictionary.{name}") or {}
        if any(editor.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")):
            try:
                model = ItemDictionary.from_frame(edited[list(DICTIONARY_COLUMNS)], available=columns)
                _save("item_dictionary", name, {"rows": model.to_frame().to_dict("records")})
                st.session_state.pop(f"survey.dictionary.{name}", None)
                st.rerun()
            except KamError as exc:
                widgets.error(exc)
        widgets.download_buttons(base, f"{name}_item_dictionary", key="survey.dictionary_download")


# ------------------------------------------------------------------------------ pick → prepare

st.title(t("survey.title"))
st.caption(t("survey.intro"))
name = widgets.table_picker(TableKind.survey, key="survey.table", label_key="survey.table_pick")
widgets.require(name, "survey.no_survey")
raw = data.table(name)
widgets.require(raw, "survey.empty_table")
labels = _saved("survey_labels", name).get("labels", {})
shifts = _saved("survey_shifts", name).get("shifts", {})
prepared, problem = survey_views.prepared_table(name, raw)
if problem is not None:
    widgets.error(problem)  # the saved dictionary no longer fits the data: the proposed one is shown
if prepared is None:
    st.stop()
if prepared.layout == "long":
    st.caption(t("survey.long_converted"))
columns_section(prepared, name, shifts)
labels_section(prepared, name, labels)
dictionary_section(prepared, name, [str(c) for c in raw.columns] if prepared.layout == "wide"
                   else list(prepared.responses.columns) + list(prepared.attributes.columns))
d = prepared.dictionary
widgets.require(d.items, "survey.no_items")

# ------------------------------------------------------------------------------ filter
keep = pd.Series(True, index=prepared.responses.index)
filters = data.current_filters()
account = prepared.attribute("account")
if account is not None:
    account = account.astype("string").str.strip()
    active = any(getattr(filters, r) for r in ("region", "industry", "segment", "owner", "cluster"))
    accounts_now = data.accounts() if active else None  # (the filtered accounts: only when a filter is on)
    if accounts_now is not None:
        # the filtered accounts among the survey's few (a set of 50,000 ids took half a second)
        shown_ids = accounts_now["customer_id"].astype(str)
        shown_ids = shown_ids[shown_ids.isin(account.unique().tolist()).fillna(False).to_numpy(dtype=bool)]
        keep &= account.isin(shown_ids.tolist()).fillna(False).astype(bool)
for role in ("region", "owner"):
    own = prepared.attribute(role)
    if own is not None and getattr(filters, role):
        keep &= own.astype("string").isin(getattr(filters, role)).fillna(False).astype(bool)
segment = prepared.attribute("respondent_segment")
if segment is None:
    segment = prepared.attribute("segment")
has_segments = segment is not None and segment.notna().any()
left, middle = st.columns(2) if account is not None or has_segments else (None, None)
if account is not None:
    ids = sorted(account.dropna().loc[lambda s: s != ""].unique().tolist(), key=anonymity.account_sort_key)
    chosen = left.multiselect(t("survey.filter_accounts"), ids, key="survey.accounts", placeholder=t("survey.all"),
                              format_func=anonymity.option_labels({i: i for i in ids}))
    if chosen:
        keep &= account.isin(chosen).fillna(False).astype(bool)
if has_segments:
    chosen = (middle if account is not None else left).multiselect(t("survey.filter_segments"), sorted(segment.dropna().astype(str).unique().tolist()),
                                key="survey.segments", placeholder=t("survey.all"))
    if chosen:
        keep &= segment.astype("string").isin(chosen).fillna(False).astype(bool)
responses, keyed = prepared.responses[keep], prepared.keyed()[keep]
group_column = prepared.attribute_roles.get("group")
frame = pd.concat([responses, prepared.attributes.loc[keep, [group_column]]], axis=1) if group_column else responses
# As the source study counted (the car-dealer study: 146 − 2 = 144) unless that throws away more than a
# tenth of the respondents (blanks scattered over many items): then every figure uses what was answered.
strict = survey_respondents.exclude_incomplete(frame, d.items, "listwise", group=group_column)
method = widgets.choice("survey.exclusion", ["any", "listwise", "pairwise"], key=f"survey.exclusion.{name}",
                        default="pairwise" if strict.n_dropped > 0.10 * max(strict.n_before, 1) else "any",
                        option_prefix="survey.exclusion", help_key="survey.exclusion_help")
report = strict if method == "any" else survey_respondents.exclude_incomplete(frame, d.items, "pairwise", group=group_column)
st.caption(t("survey.exclusion_report", before=fmt_num(int(len(prepared.responses))), filtered=fmt_num(int(keep.sum())),
             after=fmt_num(report.n_after), dropped=fmt_num(report.n_dropped), method=t(f"survey.exclusion_{method}")))
widgets.require(report.frame, "survey.nobody_left")
index = report.frame.index
staff = None
if group_column:
    is_staff = (survey_respondents.group_labels(prepared.attributes.loc[index, group_column]) == "supplier").fillna(False)
    staff, index = keyed.loc[index[is_staff.to_numpy()]], index[~is_staff.to_numpy()]
churned = prepared.attribute("churned_flag")
compare = False
if churned is not None and churned.reindex(index, fill_value=False).any():
    compare = st.toggle(t("survey.compare_churned"), key="survey.compare_churned", help=t("survey.compare_help"))

# ------------------------------------------------------------------------------ view
view = survey_views.SurveyView(
    survey=prepared.rows(index), method=method, staff=staff, churned=churned, compare=compare, account=account,
    purchase_months=prepared.attribute("purchase_months"))
default_view = "customer_gap" if d.pairs("gap") else "descriptives"
chosen_view = widgets.choice("survey.view", list(survey_views.VIEWS), key=f"survey.view.{name}", default=default_view,
                             option_prefix="survey.view")
try:
    survey_views.RENDER[chosen_view](view)
except KamError as exc:
    widgets.error(exc)
