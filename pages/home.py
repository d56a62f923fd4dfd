"""Start page: what is in the workspace and the story, page by page."""

from __future__ import annotations

import streamlit as st

from kamcore.schemas import TableKind
from ui import data, state
from ui.i18n import fmt_num, t

st.title(t("home.title"))
st.caption(t("home.subtitle"))

ws = state.workspace()
infos = ws.tables()
transactions = data.transactions()

cols = st.columns(4)
cols[0].metric(t("home.tables"), fmt_num(len(infos)))
cols[1].metric(t("home.transaction_rows"),
               fmt_num(sum(i.n_rows for i in infos if i.kind == TableKind.transactions)))
accounts = data.accounts()
cols[2].metric(t("home.accounts"), fmt_num(0 if accounts is None else len(accounts)))
cols[3].metric(t("home.surveys"), fmt_num(sum(1 for i in infos if i.kind == TableKind.survey)))

st.subheader(t("home.story_title"))
steps = [
    ("pages/portfolio.py", "portfolio", ":material/leaderboard:"),
    ("pages/selection.py", "selection", ":material/grid_view:"),
    ("pages/segments.py", "segments", ":material/bubble_chart:"),
    ("pages/survey.py", "survey", ":material/fact_check:"),
]
for path, name, icon in steps:
    with st.container(border=True):
        st.page_link(path, label=t(f"home.step_{name}"), icon=icon)
        st.caption(t(f"home.step_{name}_text"))

if transactions is None:
    st.info(t("home.no_transactions"))
with st.container(border=True):
    st.page_link("pages/data.py", label=t("home.step_data"), icon=":material/upload_file:")
    st.caption(t("home.step_data_text"))
