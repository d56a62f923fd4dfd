"""Data & workspaces: upload exports, confirm the column mapping, read the quality report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kamcore import access, db
from kamcore.demo import DEMO_NAME
from kamcore.ingest import IngestSettings, guess_mapping, load_file
from kamcore.ingest_mapping import survey_evidence
from kamcore.schemas import TableKind, missing_required_roles, roles_for_kind
from ui import anonymity, auth, data, i18n, router, state, widgets
from ui import upload_views as views
from ui.i18n import fmt_date, fmt_num, labeller, t

router.require_router()

KINDS = [kind.value for kind in TableKind]
#: The sentence for each reason ``kamcore.access.manage_refusal`` gives.
REFUSALS = {"demo_protected": "data.demo_protected", "not_owner": "auth.not_owner"}

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
        hide_index=True, key="data.workspace_list", placeholder=i18n.MISSING,
    )
    with st.form("data.rename_form"):
        renamed = st.text_input(t("data.rename_to"), key="data.rename_to")
        confirm_delete = st.checkbox(t("data.confirm_delete"), key="data.confirm_delete")
        do_rename, do_delete = st.columns(2)
        rename_clicked = do_rename.form_submit_button(t("data.rename"), key="data.rename")
        delete_clicked = do_delete.form_submit_button(t("data.delete_workspace"), key="data.delete_workspace")
    if rename_clicked or delete_clicked:
        # the demo stays; with login on only the owner renames or deletes (kamcore.access)
        refusal = access.manage_refusal(
            ws.name, state.principal(), access.read_access(cfg.workspaces_root, ws.name),
            login_required=cfg.login_required, demo_name=DEMO_NAME,
        )
        try:
            if refusal is not None:
                st.warning(t(REFUSALS[refusal]))
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
views.show_import_summary(ws.name)

# The uploader's key changes after each import, which empties it: an imported file does not
# come back with its preview and an active Import button.
upload_round = st.session_state.setdefault("data.upload_round", 0)
uploads = st.file_uploader(
    t("data.upload_label"), type=["csv", "tsv", "txt", "xlsx", "xls"], accept_multiple_files=True,
    key=views.uploader_key(upload_round), help=t("data.upload_tooltip"), max_upload_size=cfg.max_upload_mb,
)
# Streamlit writes the box's own words ("Drag and drop", "Browse files", "200MB per file") in
# English only; the page says the same in the user's language.
st.caption(t("data.upload_limits", mb=fmt_num(cfg.max_upload_mb)))
pending: dict[str, dict] = st.session_state.setdefault("data.pending", {})
for upload in uploads or []:
    content = upload.getvalue()
    token = views.upload_token(content)
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
                views.dismiss(token)
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
            # Guessed once per upload, not on every rerun of the mapping step (~0.05 s at 1M rows).
            guesses = item.setdefault("guesses", {})
            if parsed.name not in guesses:
                guesses[parsed.name] = guess_mapping(parsed.data)
            guess = guesses[parsed.name]
            fmt = parsed.format
            st.caption(t(
                "data.detected_format", file_type=fmt.file_type, encoding=fmt.encoding or "–",
                delimiter=views.delimiter_label(fmt.delimiter), decimal=views.delimiter_label(fmt.decimal),
                header_row=fmt.header_row,
            ))
            st.info(t("data.found_kind", kind=t(f"data.kind_{guess.kind.value}")))
            if guess.kind.value == "survey":  # why: issue 14
                evidence = survey_evidence(parsed.data)
                st.caption(t("survey.found_long") if evidence["long"] else t(
                    "survey.found_answers", answers=fmt_num(evidence["answers"]), columns=fmt_num(evidence["columns"])))
            i18n.dataframe(parsed.data.head(50), key=f"{key}.preview")
            views.show_quality(parsed.quality, parsed.rejected, key,
                         roles={column: role for role, column in guess.mapping.roles.items()})
            kind = st.segmented_control(t("data.kind"), KINDS, default=guess.kind.value,
                                        format_func=labeller("data.kind_"), key=f"{key}.kind")
            kind = kind or guess.kind.value
            mapping = views.mapping_editor([str(c) for c in parsed.data.columns], guess.mapping, key=f"{key}.map", kind=kind)
            missing = missing_required_roles(kind, mapping)
            if missing:
                st.warning(t("data.missing_roles", roles=", ".join(views.role_label(r) for r in missing)))
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
            views.dismiss(token)

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
             t("start.still_to_map"): ", ".join(views.role_label(r) for r in missing_required_roles(i.kind, i.mapping))
             or views.NONE}
            for i in infos
        ]),
        hide_index=True, key="data.tables", placeholder=i18n.MISSING,
    )
    chosen = st.selectbox(t("data.edit_table"), [i.name for i in infos], key="data.edit_table")
    info = ws.table_info(chosen)
    with st.container(border=True):
        kind = st.segmented_control(t("data.kind"), KINDS, default=info.kind.value,
                                    format_func=labeller("data.kind_"), key=f"data.kind.{chosen}")
        mapping = views.mapping_editor(info.columns, info.mapping, key=f"data.mapping.{chosen}", kind=kind or info.kind)
        missing = missing_required_roles(kind or info.kind, mapping)
        if missing:
            st.warning(t("data.missing_roles", roles=", ".join(views.role_label(r) for r in missing)))
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
