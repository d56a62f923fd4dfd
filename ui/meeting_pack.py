"""*Meeting pack* in the shared sidebar: choose sections, build, download the PPTX and the PDF.

The pack covers the current workspace, sidebar filters and language (and the anonymised mode
when it is on); the content comes from :mod:`kamcore.meeting_pack`, the files from
:mod:`ui.pack_render`. The built files stay in the session until something they depend on changes.
"""

from __future__ import annotations

import json

import streamlit as st

from kamcore.meeting_pack.sections import SECTIONS
from kamcore.schemas import TableKind
from ui import data, key_accounts, state, widgets
from ui.i18n import base_language, lang, t

FILES_KEY = "pack._files"
MIME = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}


def anonymised() -> bool:
    """True when the anonymised mode (the sidebar switch, ``ui.anonymity``) is on in this session."""
    try:
        from ui import anonymity
    except ImportError:  # a version without the anonymised mode
        return False
    return bool(anonymity.on())


def _pseudonymiser():
    """The workspace's pseudonymiser in the session's language while the mode is on, else None."""
    if not anonymised():
        return None
    from ui import anonymity

    return anonymity.pseudonymiser()


def _fingerprint(sections: list[str]) -> str:
    """What the files depend on: workspace, language, filters, tables, sections, the anonymised mode."""
    return json.dumps({
        "ws": state.workspace_key(), "lang": lang(), "filters": data.current_filters().model_dump_json(),
        "tables": [data.active_table(k) for k in (TableKind.transactions, TableKind.accounts, TableKind.survey)],
        "sections": sections, "anonymised": anonymised(), "weights": key_accounts.weights(),
    }, sort_keys=True, default=str)


def build(sections: list[str]) -> dict:
    """Build the pack for this session's view, reporting progress in an ``st.status`` box."""
    from kamcore.meeting_pack import content
    from ui import pack_render

    language = lang()
    with st.status(t("pack.building"), expanded=True) as status:
        warm = pack_render.warm_up()
        ws = state.workspace()
        pseudonymiser = _pseudonymiser()
        inputs = content.load_inputs(
            ws, state.workspace_name(), data.current_filters(),
            active={"transactions": data.active_table(TableKind.transactions),
                    "accounts": data.active_table(TableKind.accounts),
                    "survey": data.active_table(TableKind.survey)})
        if pseudonymiser is not None:  # the workspace is usually named after the client
            inputs.name = content.Msg("pack.anonymised_workspace")
        pack = content.build(
            inputs, sections, shortlist_limit=state.settings().shortlist_limit,
            health_weights=key_accounts.weights(),
            progress=lambda section: status.write(t("pack.step_section", section=t(f"pack.section_{section}"))),
        )
        warm.join()
        bar = st.progress(0.0)

        def drawn(i: int, n: int) -> None:
            if i < n:
                bar.progress(i / n, text=t("pack.step_slides", i=i + 1, n=n))
            else:
                bar.progress(1.0, text=t("pack.step_charts"))

        laid_out = pack_render.pages(pack, language, drawn, pseudonymiser)
        status.write(t("pack.step_files"))
        job = pack_render._PdfJob(laid_out, base_language(language))
        files = {"pptx": pack_render.to_pptx(laid_out), "pdf": job.result()}
        status.update(label=t("pack.built", n=len(pack.slides)), state="complete", expanded=False)
    return {"files": files, "names": {k: pack_render.filename(pack, k) for k in files}, "n": len(pack.slides)}


def sidebar() -> None:
    """The *Meeting pack* panel at the bottom of the shared sidebar."""
    with st.sidebar.expander(t("pack.button"), icon=":material/slideshow:"):
        st.caption(t("pack.intro"))
        if anonymised():
            st.caption(t("pack.anonymised"))
        chosen = [s for s in SECTIONS
                  if st.checkbox(t(f"pack.section_{s}"), value=True, key=f"pack.section_{s}")]
        fingerprint = _fingerprint(chosen)
        held = st.session_state.get(FILES_KEY)
        if st.button(t("pack.build"), key="pack.build", icon=":material/slideshow:", disabled=not chosen,
                     width="stretch"):
            try:
                held = {"fingerprint": fingerprint, **build(chosen)}
                st.session_state[FILES_KEY] = held
            except Exception as exc:  # noqa: BLE001 - one sentence, never a traceback
                st.session_state.pop(FILES_KEY, None)
                held = None
                widgets.error(exc)
        if not chosen:
            st.caption(t("pack.none_chosen"))
        if held and held.get("fingerprint") == fingerprint:
            for kind in ("pptx", "pdf"):
                st.download_button(t(f"pack.download_{kind}"), data=held["files"][kind],
                                   file_name=held["names"][kind], mime=MIME[kind], key=f"pack.download_{kind}",
                                   icon=":material/download:", on_click="ignore", width="stretch")
