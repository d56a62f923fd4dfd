"""Start page: what is in the workspace and the story, page by page."""

from __future__ import annotations

import streamlit as st

from kamcore import portfolio, tables
from kamcore.schemas import TableKind
from ui import data, router, state
from ui.i18n import fmt_num, fmt_pct, t
from ui.shared import shared

router.require_router()

st.title(t("home.title"))
st.caption(t("home.subtitle"))

ws = state.workspace()
infos = ws.tables()
transactions = data.transactions()

cols = st.columns(4)
cols[0].metric(t("home.tables"), fmt_num(len(infos)))
cols[1].metric(t("home.transaction_rows"),
               fmt_num(sum(i.n_rows for i in infos if i.kind == TableKind.transactions)))
# Two different counts, each named: accounts that bought (the story's base), and the
# customers table's accounts (which may include some without sales).
n_with_sales = 0 if transactions is None else int(transactions["customer_id"].nunique())
cols[2].metric(t("home.accounts_with_sales"), fmt_num(n_with_sales))
accounts_table = data.active_table(TableKind.accounts)
master = data.canonical_table(accounts_table) if accounts_table else None
if master is not None and "customer_id" in master:
    master = tables.apply_filters(master, data.current_filters(), apply_period=False)
    cols[2].caption(t("home.accounts_in_table", n=fmt_num(master["customer_id"].nunique())))
cols[3].metric(t("home.surveys"), fmt_num(sum(1 for i in infos if i.kind == TableKind.survey)))

if transactions is not None and len(transactions) and "revenue" in transactions:
    # The story in three numbers, on whatever period and filters the sidebar shows.
    st.subheader(t("home.headline_title"))
    conc = portfolio.concentration(transactions, customer="customer_id", value="revenue")
    cards = st.columns(3)
    cards[0].metric(
        t("home.headline_80"), fmt_num(conc.accounts_for_80pct),
        help=t("home.headline_80_help", share=fmt_pct(conc.accounts_for_80pct_share)),
        border=True,
    )
    cards[0].caption(t("home.headline_80_caption", share=fmt_pct(conc.accounts_for_80pct_share),
                       n=fmt_num(conc.n_accounts)))
    if "profit" in transactions:
        whale = portfolio.whale_summary(portfolio.whale_curve(transactions, customer="customer_id", profit="profit"))
        cards[1].metric(t("home.headline_destroying"), fmt_num(whale.n_destroying), border=True)
        cards[1].caption(t("home.headline_destroying_caption", peak=fmt_pct(whale.peak_pct, 0)))
    else:
        cards[1].metric(t("home.headline_destroying"), "–", border=True)
        cards[1].caption(t("home.headline_no_profit"))
    all_dates = data.transactions(apply_period=False)
    if all_dates is not None and all_dates["date"].notna().any():
        # The same for every session on this data and filter: computed once (ui.shared).
        moved = shared(portfolio.movement, all_dates, customer="customer_id", date="date", value="revenue")
        risk = portfolio.churn_risk(moved)
        # The headline is about accounts that matter: those that were A or B a year earlier.
        risk = risk[risk["previous_class"].isin(["A", "B"])]
        cards[2].metric(t("home.headline_risk"), fmt_num(len(risk)), border=True)
        cards[2].caption(t("home.headline_risk_caption"))

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
