"""Data & workspaces: upload exports, confirm the column mapping, read the quality report."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from kamcore import db
from kamcore.demo import DEMO_NAME
from kamcore.ingest import IngestSettings, guess_mapping, load_file
from kamcore.ingest_mapping import survey_evidence
from kamcore.schemas import ROLES, ColumnMapping, TableKind, missing_required_roles, roles_for_kind
from ui import anonymity, auth, data, i18n, router, state, widgets
from ui.i18n import escape_markdown, fmt_date, fmt_num, labeller, t

router.require_router()

NONE = "—"
KINDS = [kind.value for kind in TableKind]


def _delimiter_label(delimiter: str | None) -> str:
    """How the detected separator is named to the user (runs of spaces get words)."""
    if not delimiter:
        return "–"
    return t("data.delimiter_whitespace") if delimiter == " " else repr(delimiter)


def upload_token(content: bytes) -> str:
    """Identifies an uploaded file by its content, so widget keys are stable across reruns."""
    return hashlib.sha256(content).hexdigest()[:12]


def uploader_key(upload_round: int) -> str:
    """The file uploader's widget key; a new round (after an import) starts with no files."""
    return "data.upload" if upload_round == 0 else f"data.upload.{upload_round}"


#: Which page shows a table of each kind (none for "other").
KIND_PAGES = {
    "transactions": ("pages/portfolio.py", "start.open_portfolio", ":material/leaderboard:"),
    "accounts": ("pages/portfolio.py", "start.open_portfolio", ":material/leaderboard:"),
    "survey": ("pages/survey.py", "start.open_survey", ":material/fact_check:"),
}


def dismiss(token: str) -> None:
    """Forget one pending upload (and empty the uploader, so it does not come back)."""
    st.session_state["data.pending"].pop(token, None)
    st.session_state["data.upload_round"] = st.session_state.get("data.upload_round", 0) + 1
    st.rerun()


def show_import_summary(workspace_name: str) -> None:
    """What the last import stored (table, rows, kind) and a link to the page that uses it."""
    done = st.session_state.get("data.last_import")
    if not done or done["workspace"] != workspace_name:
        return
    # The table name comes from the user: escaped so it shows literally in the message.
    sentence = t("start.imported", name=escape_markdown(done["name"]), rows=fmt_num(done["rows"]),
                 kind=t(f"data.kind_{done['kind']}"))
    if done.pop("toast", False):
        # Seen wherever the page is scrolled to (the Import button was further down).
        st.toast(sentence, icon=":material/check_circle:")
    with st.container(border=True, key="data.import_summary"):
        st.success(sentence, icon=":material/check_circle:")
        target = KIND_PAGES.get(done["kind"])
        link, close = st.columns([3, 1], vertical_alignment="center")
        if target:
            path, label_key, icon = target
            link.page_link(path, label=t(label_key), icon=icon)
        else:
            link.caption(t("start.imported_other"))
        if close.button(t("data.dismiss"), key="data.import_summary_dismiss"):
            del st.session_state["data.last_import"]
            st.rerun()


def role_label(role: str) -> str:
    """A role's name: sales roles in app.json, the buying-centre roles in relationships.json."""
    return t(f"app.role_{role}") if role in ROLES else t(f"relationships.role_{role}")


def mapping_editor(columns: list[str], initial: ColumnMapping, key: str, kind: str | None = None) -> ColumnMapping:
    """One selector per role of ``kind``; returns the mapping the user confirmed."""
    roles: dict[str, str] = {}
    options = [NONE, *columns]
    grid = st.columns(3)
    for index, role in enumerate(roles_for_kind(kind)):
        current = initial.get(role)
        chosen = grid[index % 3].selectbox(
            role_label(role), options,
            index=options.index(current) if current in options else 0,
            key=f"{key}.role.{role}",
        )
        if chosen != NONE:
            roles[role] = chosen
    return ColumnMapping(roles=roles)


#: Negative values read differently by role: credit notes in revenue, loss lines in profit.
NEGATIVE_BY_ROLE = {"revenue": "negative_values_revenue", "profit": "negative_values_profit"}


def quality_table(report, roles: dict[str, str] | None = None) -> pd.DataFrame:
    """The report's issues as rows a person can read (text shown literally, never as markup).

    ``roles`` maps a column to its (proposed) role, so negative values are named for what they
    are: credit notes in a revenue column, loss-making lines in a profit column.
    """
    rows = []
    for issue in report.issues:
        code = issue.code
        if code == "negative_values":
            code = NEGATIVE_BY_ROLE.get((roles or {}).get(issue.column or ""), code)
        rows.append({
            t("data.severity"): t(f"data.severity_{issue.severity}"),
            # a whole-file note has no row or column: an empty cell, not "None"
            t("data.row"): issue.row,
            t("data.column"): issue.column or "",
            t("data.message"): t(f"quality.{code}", **issue.params),
        })
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame[t("data.row")] = frame[t("data.row")].astype("Int64")
    return frame


def show_quality(report, rejected: pd.DataFrame, key: str, roles: dict[str, str] | None = None) -> None:
    """Metrics, issues and the rejected rows of one parsed table."""
    cols = st.columns(4)
    cols[0].metric(t("data.rows_read"), fmt_num(report.rows_read))
    cols[1].metric(t("data.rows_kept"), fmt_num(report.rows_kept))
    cols[2].metric(t("data.rows_rejected"), fmt_num(report.rows_rejected))
    cols[3].metric(t("data.duplicate_rows"), fmt_num(report.duplicate_rows))
    issues = quality_table(report, roles)
    if not issues.empty:
        i18n.dataframe(issues, hide_index=True, key=f"{key}.issues")
    details = {
        t("data.columns_coerced"): report.columns_coerced,
        t("data.negative_values"): report.negative_values,
        t("data.missing_values"): report.missing_values,
    }
    detail_rows = [
        {t("data.check"): check, t("data.column"): column, t("data.value"): str(value)}
        for check, values in details.items() for column, value in values.items()
    ]
    if detail_rows:
        with st.expander(t("data.quality_details")):
            st.dataframe(pd.DataFrame(detail_rows), hide_index=True, key=f"{key}.details")
    if len(rejected):
        st.warning(t("data.rejected_note", n=fmt_num(len(rejected))))
        i18n.dataframe(rejected.head(200), hide_index=True, key=f"{key}.rejected")
        widgets.download_buttons(rejected, "rejected_rows", key=f"{key}.rejected_download")


# --------------------------------------------------------------------------- page
st.title(t("data.title"))
st.caption(t("data.subtitle"))
cfg = state.settings()
ws = state.workspace()

# ---- step 1: the client's workspace ---------------------------------------------------
# A new client starts here: create a workspace, upload its exports, import, see the story.
with st.container(border=True, key="data.step_workspace"):
    st.subheader(t("start.step1_title"))
    st.caption(t("start.steps_caption"))
    st.caption(t("start.current_workspace"))
    st.text(ws.name)
    widgets.create_workspace_form("data")

with st.expander(t("start.manage_workspaces"), expanded=False, icon=":material/folder_open:"):
    listing = auth.visible_workspaces()
    st.dataframe(
        pd.DataFrame([
            {t("data.name"): w.name, t("data.size_mb"): round(w.size_bytes / 1e6, 2),
             t("data.modified"): fmt_date(w.modified_at)} for w in listing
        ]),
        hide_index=True, key="data.workspace_list",
    )
    with st.form("data.rename_form"):
        renamed = st.text_input(t("data.rename_to"), key="data.rename_to")
        confirm_delete = st.checkbox(t("data.confirm_delete"), key="data.confirm_delete")
        do_rename, do_delete = st.columns(2)
        rename_clicked = do_rename.form_submit_button(t("data.rename"), key="data.rename")
        delete_clicked = do_delete.form_submit_button(t("data.delete_workspace"), key="data.delete_workspace")
    if rename_clicked or delete_clicked:
        try:
            if ws.name == DEMO_NAME:
                st.warning(t("data.demo_protected"))
            elif not auth.may_manage(ws.name):
                st.warning(t("auth.not_owner"))
            elif rename_clicked:
                state.close_workspace()
                target = db.rename_workspace(cfg.workspaces_root, ws.name, renamed, cfg.db)
                state.switch_workspace(target.stem)
                st.rerun()
            elif not confirm_delete:
                st.warning(t("data.tick_to_delete"))
            else:
                state.close_workspace()
                db.delete_workspace(cfg.workspaces_root, ws.name, cfg.db)
                state.switch_workspace(DEMO_NAME)
                st.rerun()
        except Exception as exc:  # noqa: BLE001
            widgets.error(exc)
    auth.access_control(ws.name)
    ws = state.workspace()

    def _workspace_bytes(workspace=ws) -> bytes:
        workspace.checkpoint()
        return workspace.path.read_bytes()

    st.download_button(
        t("data.download_workspace"), data=_workspace_bytes, file_name=ws.path.name,
        mime="application/octet-stream", key="data.download_workspace", icon=":material/download:",
        on_click="ignore",  # a rerun on click could drop the file the click asked for (see widgets)
        # the file holds the real names: not while anonymised mode is on
        disabled=anonymity.on(), help=t("anonymise.workspace_download_off") if anonymity.on() else None,
    )
    if ws.name == DEMO_NAME and auth.may_reset_demo() and st.button(t("data.reset_demo"), key="data.reset_demo"):
        with st.spinner(t("data.resetting")):
            state.reset_demo()
        st.rerun()

# ---- upload ---------------------------------------------------------------------------
st.subheader(t("start.step2_title"))
st.caption(t("data.upload_help"))

# What the last import brought in, and where to see it; the upload it came from is gone.
show_import_summary(ws.name)

# The uploader's key changes after each import, which empties it: an imported file does not
# come back with its preview and an active Import button.
upload_round = st.session_state.setdefault("data.upload_round", 0)
uploads = st.file_uploader(
    t("data.upload_label"), type=["csv", "tsv", "txt", "xlsx", "xls"], accept_multiple_files=True,
    key=uploader_key(upload_round), help=t("data.upload_tooltip"), max_upload_size=cfg.max_upload_mb,
)
# Streamlit writes the box's own words ("Drag and drop", "Browse files", "200MB per file") in
# English only; the page says the same in the user's language.
st.caption(t("data.upload_limits", mb=fmt_num(cfg.max_upload_mb)))
pending: dict[str, dict] = st.session_state.setdefault("data.pending", {})
for upload in uploads or []:
    content = upload.getvalue()
    token = upload_token(content)
    if token in pending:
        continue
    with st.status(t("data.reading"), expanded=False) as status:
        try:
            result: object = load_file(content, filename=upload.name,
                                       settings=IngestSettings(max_file_mb=cfg.max_upload_mb))
            status.update(label=t("data.read_ok"), state="complete")
        except Exception as exc:  # noqa: BLE001
            status.update(label=t("data.read_failed"), state="error")
            result = exc
    pending[token] = {"filename": upload.name, "result": result, "imported": []}

for token, item in list(pending.items()):
    result = item["result"]
    with st.container(border=True):
        st.text(item["filename"])
        if isinstance(result, Exception):
            widgets.error(result)
            if st.button(t("data.dismiss"), key=f"data.dismiss.{token}"):
                dismiss(token)
            continue
        imported = item.setdefault("imported", [])
        names = [table.name for table in result.tables if table.name not in imported]
        chosen_sheets = names
        if len(names) > 1:
            chosen_sheets = st.multiselect(t("data.sheets"), names, default=names[:1], key=f"data.sheets.{token}")
        for parsed in result.tables:
            if parsed.name not in chosen_sheets:
                continue
            key = f"data.pending.{token}.{parsed.name}"
            guess = guess_mapping(parsed.data)
            fmt = parsed.format
            st.caption(t(
                "data.detected_format", file_type=fmt.file_type, encoding=fmt.encoding or "–",
                delimiter=_delimiter_label(fmt.delimiter), decimal=fmt.decimal or "–",
                header_row=fmt.header_row,
            ))
            st.info(t("data.found_kind", kind=t(f"data.kind_{guess.kind.value}")))
            if guess.kind.value == "survey":  # why: issue 14
                evidence = survey_evidence(parsed.data)
                st.caption(t("survey.found_long") if evidence["long"] else t(
                    "survey.found_answers", answers=fmt_num(evidence["answers"]), columns=fmt_num(evidence["columns"])))
            i18n.dataframe(parsed.data.head(50), key=f"{key}.preview")
            show_quality(parsed.quality, parsed.rejected, key,
                         roles={column: role for role, column in guess.mapping.roles.items()})
            kind = st.segmented_control(t("data.kind"), KINDS, default=guess.kind.value,
                                        format_func=labeller("data.kind_"), key=f"{key}.kind")
            kind = kind or guess.kind.value
            mapping = mapping_editor([str(c) for c in parsed.data.columns], guess.mapping, key=f"{key}.map", kind=kind)
            missing = missing_required_roles(kind, mapping)
            if missing:
                st.warning(t("data.missing_roles", roles=", ".join(role_label(r) for r in missing)))
            table_name = st.text_input(t("data.table_name"), value=parsed.name, key=f"{key}.name")
            replace = st.checkbox(t("data.replace_existing"), key=f"{key}.replace")
            if st.button(t("data.import"), key=f"{key}.import", type="primary", disabled=bool(missing)):
                try:
                    with st.spinner(t("data.importing")):
                        stored = ws.import_table(table_name, parsed.data, kind=kind, mapping=mapping,
                                                 quality=parsed.quality.model_dump(mode="json"), replace=replace)
                except Exception as exc:  # noqa: BLE001 - the workspace is unchanged on failure
                    widgets.error(exc)
                    continue
                # Consumed at once, before anything else is drawn: a second click (or a rerun that
                # interrupts this one) finds no Import button for this table any more.
                imported.append(parsed.name)
                if len(imported) >= len(result.tables):
                    del pending[token]
                st.session_state["data.upload_round"] = upload_round + 1
                st.session_state["data.last_import"] = {
                    "workspace": ws.name, "name": stored.name, "rows": stored.n_rows, "kind": stored.kind.value,
                    "toast": True,
                }
                data.set_active_table(stored.kind.value, stored.name)
                st.rerun()
        if st.button(t("start.dismiss_upload"), key=f"data.dismiss.{token}", icon=":material/close:"):
            dismiss(token)

# ---- tables already in the workspace ----------------------------------------------
st.subheader(t("data.tables_in"))
st.text(ws.name)
infos = ws.tables()
if infos:
    # One short line per table: how many roles are mapped and which the analysis still needs
    # (the full list of 15 roles does not fit a cell; the editor below shows each mapping).
    st.dataframe(
        pd.DataFrame([
            {t("data.name"): i.name, t("data.kind"): t(f"data.kind_{i.kind.value}"),
             t("data.rows"): i.n_rows, t("data.columns"): len(i.columns),
             t("start.roles_mapped"): t("start.roles_of", n=len(i.mapping.roles), total=len(roles_for_kind(i.kind))),
             t("start.still_to_map"): ", ".join(role_label(r) for r in missing_required_roles(i.kind, i.mapping))
             or NONE}
            for i in infos
        ]),
        hide_index=True, key="data.tables",
    )
    chosen = st.selectbox(t("data.edit_table"), [i.name for i in infos], key="data.edit_table")
    info = ws.table_info(chosen)
    with st.container(border=True):
        kind = st.segmented_control(t("data.kind"), KINDS, default=info.kind.value,
                                    format_func=labeller("data.kind_"), key=f"data.kind.{chosen}")
        mapping = mapping_editor(info.columns, info.mapping, key=f"data.mapping.{chosen}", kind=kind or info.kind)
        missing = missing_required_roles(kind or info.kind, mapping)
        if missing:
            st.warning(t("data.missing_roles", roles=", ".join(role_label(r) for r in missing)))
        save, drop = st.columns(2)
        if save.button(t("data.save_mapping"), key="data.save_mapping", type="primary"):
            try:
                ws.set_mapping(chosen, mapping, kind or info.kind)
                st.toast(t("data.mapping_saved"))
            except Exception as exc:  # noqa: BLE001
                widgets.error(exc)
        if drop.button(t("data.delete_table"), key="data.delete_table"):
            ws.drop_table(chosen)
            st.rerun()
else:
    st.info(t("data.no_tables"))
