"""*Meeting pack* in the shared sidebar: choose sections, build, download the PPTX and the PDF.

The pack covers the current workspace, sidebar filters and language (and the anonymised mode
when it is on); the content comes from :mod:`kamcore.meeting_pack`, the files from
:mod:`ui.pack_render`. The built files stay in the session until something they depend on changes.
"""

from __future__ import annotations

import json

import streamlit as st

from kamcore.errors import KamError
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


VIEW_KEY = "pack._view"  # not a widget key: outlives the pages whose widgets it copies
#: Widget keys of the view settings the pack shows -> the name it keeps them under.
VIEW_WIDGETS = {
    "portfolio.a_threshold": "a_threshold", "portfolio.b_threshold": "b_threshold",
    "selection.normalisation": "normalisation", "selection.missing_policy": "missing",
    "selection.cut_mode": "cut_mode", "selection.cut_attractiveness": "cut_attractiveness",
    "selection.cut_strength": "cut_strength",
}
SELECTION_WEIGHTS = "selection._weights"  # ui.selection_state's remembered weights
#: The Segments page's k-means widgets -> the name the view keeps them under (kept together,
#: and only while the page clusters accounts: the pack's cluster slide is about accounts).
SEGMENT_WIDGETS = {"segments.features": "features", "segments.k_mode": "k_mode", "segments.k": "k",
                   "segments.scale": "scale", "segments.impute": "impute"}


def remember_view() -> dict:
    """The session's current view settings, kept beyond the page that shows their widgets.

    Called on every run (the sidebar), so a page's slider values are copied while that page is
    open and kept when the user moves to another page (Streamlit forgets the widgets' own state).
    """
    view = st.session_state.setdefault(VIEW_KEY, {})
    for key, name in VIEW_WIDGETS.items():
        if key in st.session_state and st.session_state[key] is not None:
            view[name] = st.session_state[key]
    weights = st.session_state.get(SELECTION_WEIGHTS)
    if weights:
        view["weights"] = dict(weights)
    if st.session_state.get("segments.source") == "accounts" and st.session_state.get("segments.features"):
        view["segments"] = {name: st.session_state.get(key) for key, name in SEGMENT_WIDGETS.items()}
    return view


def segment_view() -> dict | None:
    """The Segments page's last k-means choices for ``content.Inputs.segment_view``; None when the
    session has not clustered accounts there. ``names_shown``: what its name editor last showed
    (ui.segment_views.NAMES_SHOWN), so typing a name there changes the pack's fingerprint."""
    from ui import segment_views

    chosen = remember_view().get("segments")
    if not chosen:
        return None
    fixed = chosen.get("k_mode") == "fixed" and chosen.get("k") is not None
    return {"features": list(chosen["features"]), "k": int(chosen["k"]) if fixed else None,
            "scale": chosen.get("scale") or "standard", "impute": "median" if chosen.get("impute") else None,
            "names_shown": st.session_state.get(segment_views.NAMES_SHOWN)}


def page_segments(view: dict | None, waiting=None) -> tuple[dict | None, tuple | None]:
    """The Segments page's view for the pack and the clustering the page shows for it (its own
    cached result, or its automatic-k scan, waited for: ``waiting()`` is called first when the
    scan still runs), with the names the page shows for that clustering, typed or saved
    (``view["names"]``): what is on the page is what is in the pack."""
    from ui import segment_views

    if not view:
        return view, None
    view = {k: v for k, v in view.items() if k != "names_shown"}
    try:
        found = segment_views.page_result(view["features"], view["k"], view["scale"], view["impute"],
                                          waiting=waiting)
    except KamError:  # the page shows the same sentence; the pack goes without the slide
        return view, None
    if found is not None:
        shown = segment_views.names_shown(found[0])
        if shown is not None:
            view["names"] = shown
    return view, found


def view_settings() -> tuple[tuple[float, float], dict]:
    """(ABC thresholds, selection model choices) of the session's view for ``content.Inputs``."""
    from kamcore.meeting_pack import content

    view = remember_view()
    a, b = view.get("a_threshold"), view.get("b_threshold")
    thresholds = (a / 100, b / 100) if a is not None and b is not None and a < b else content.THRESHOLDS
    chosen: dict = {k: view[k] for k in ("weights", "normalisation", "missing") if k in view}
    if view.get("cut_mode") == "value":
        chosen |= {"cut_rule": "median", "cut_attractiveness": float(view.get("cut_attractiveness", 50)),
                   "cut_strength": float(view.get("cut_strength", 50))}
    elif view.get("cut_mode"):
        chosen |= {"cut_rule": view["cut_mode"], "cut_attractiveness": None, "cut_strength": None}
    return thresholds, chosen


def _fingerprint(sections: list[str]) -> str:
    """What the files depend on: workspace, language, filters, tables, sections, the anonymised mode."""
    return json.dumps({
        "ws": state.workspace_key(), "lang": lang(), "filters": data.current_filters().model_dump_json(),
        "tables": [data.active_table(k) for k in (TableKind.transactions, TableKind.accounts, TableKind.survey)],
        "sections": sections, "anonymised": anonymised(), "weights": key_accounts.weights(),
        "view": view_settings(), "segments": segment_view(),
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
        inputs.thresholds, inputs.selection_view = view_settings()
        if "segments" in sections:
            inputs.segment_view, inputs.segment_result = page_segments(
                segment_view(), waiting=lambda: status.write(t("pack.step_segments_scan")))
        pack = content.build(
            inputs, sections, shortlist_limit=state.settings().shortlist_limit,
            health_weights=key_accounts.weights(),
            # the account page's health inputs (team scores, buying-centre coverage, P(alive), survey)
            health_with=key_accounts.health_inputs_now() if "accounts" in sections else None,
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
    remember_view()
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
