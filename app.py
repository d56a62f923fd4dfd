"""KAM Studio entry point: page config, session state, login gate, navigation, shared sidebar."""

from __future__ import annotations

import streamlit as st

from ui import auth, i18n, state, widgets
from ui.i18n import t

st.set_page_config(page_title="KAM Studio", page_icon=":material/handshake:", layout="wide")
state.init()
# With login on, nothing below renders until the person has signed in.
auth.gate()

try:
    state.ensure_demo()
    state.workspace()
except Exception as exc:  # noqa: BLE001 - shown as one sentence, never a traceback
    widgets.stop_with_error(exc)

i18n.language_selector()

pages = {
    t("app.section_start"): [
        st.Page("pages/home.py", title=t("app.page_home"), icon=":material/home:", default=True),
        st.Page("pages/data.py", title=t("app.page_data"), icon=":material/upload_file:"),
    ],
    t("app.section_analyse"): [
        st.Page("pages/portfolio.py", title=t("app.page_portfolio"), icon=":material/leaderboard:"),
        st.Page("pages/selection.py", title=t("app.page_selection"), icon=":material/grid_view:"),
        st.Page("pages/segments.py", title=t("app.page_segments"), icon=":material/bubble_chart:"),
        st.Page("pages/survey.py", title=t("app.page_survey"), icon=":material/fact_check:"),
    ],
}
page = st.navigation(pages)

widgets.workspace_picker()
try:
    widgets.sidebar_filters()
except Exception as exc:  # noqa: BLE001
    widgets.error(exc)

page.run()
