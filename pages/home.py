"""Start page: what is in the workspace and the story, page by page."""

from __future__ import annotations

import streamlit as st

from kamcore import portfolio, tables
from kamcore.demo import DEMO_NAME
from kamcore.schemas import TableKind
from ui import auth, data, router, state, widgets
from ui.i18n import fmt_num, fmt_pct, t
from ui.shared import keyed

router.require_router()


def headline_numbers(transactions, all_dates) -> dict:
    """The story's numbers for these transactions (``all_dates``: the same without the period
    filter, for the movement): computed once per data and filter state (ui.shared.keyed)."""
    numbers: dict = {"accounts": int(transactions["customer_id"].nunique()), "conc": None, "whale": None,
                     "risk": None}
    if not len(transactions) or "revenue" not in transactions:
        return numbers
    numbers["conc"] = portfolio.concentration(transactions, customer="customer_id", value="revenue")
    if "profit" in transactions:
        numbers["whale"] = portfolio.whale_summary(
            portfolio.whale_curve(transactions, customer="customer_id", profit="profit"))
    if all_dates is not None and all_dates["date"].notna().any():
        risk = portfolio.churn_risk(portfolio.movement(all_dates, customer="customer_id", date="date",
                                                       value="revenue"))
        numbers["risk"] = portfolio.at_risk_former_ab(risk)
    return numbers


def headline(column, label: str, value: str, help: str | None = None) -> None:  # noqa: A002
    """A bordered headline card whose label wraps (a metric's own label is cut with "…")."""
    with column.container(border=True):
        st.markdown(label, help=help)  # catalogue text only
        st.metric(label, value, label_visibility="collapsed")


st.title(t("home.title"))
st.caption(t("home.subtitle"))

ws = state.workspace()

# While the demo is the only workspace, the way to a client's own data is the first thing shown.
if [info.name for info in auth.visible_workspaces()] == [DEMO_NAME]:
    with st.container(border=True, key="home.new_client"):
        st.subheader(t("start.home_title"))
        st.caption(t("start.home_text"))
        widgets.create_workspace_form("home", then_page="pages/data.py")

infos = ws.tables()
found = data.transactions_keyed()
transactions, frame_key = found if found is not None else (None, ())
numbers = None
if transactions is not None:
    dated = data.transactions_keyed(apply_period=False)
    if dated is not None and "date" not in dated[0]:
        dated = None
    numbers = keyed((*frame_key, *(dated[1] if dated else ("no dates",))), headline_numbers, transactions,
                    dated[0] if dated else None)

cols = st.columns(4)
cols[0].metric(t("home.tables"), fmt_num(len(infos)))
cols[1].metric(t("home.transaction_rows"),
               fmt_num(sum(i.n_rows for i in infos if i.kind == TableKind.transactions)))
# Two different counts, each named: accounts that bought (the story's base), and the
# customers table's accounts (which may include some without sales).
n_with_sales = 0 if numbers is None else numbers["accounts"]
cols[2].metric(t("home.accounts_with_sales"), fmt_num(n_with_sales))
accounts_table = data.active_table(TableKind.accounts)
master = data.canonical_table(accounts_table) if accounts_table else None
if master is not None and "customer_id" in master:
    master = tables.apply_filters(master, data.current_filters(), apply_period=False)
    cols[2].caption(t("home.accounts_in_table", n=fmt_num(master["customer_id"].nunique())))
cols[3].metric(t("home.surveys"), fmt_num(sum(1 for i in infos if i.kind == TableKind.survey)))

if numbers is not None and numbers["conc"] is not None:
    # The story in three numbers, on whatever period and filters the sidebar shows.
    st.subheader(t("home.headline_title"))
    conc = numbers["conc"]
    cards = st.columns(3)
    headline(cards[0], t("home.headline_80"), fmt_num(conc.accounts_for_80pct),
             help=t("home.headline_80_help", share=fmt_pct(conc.accounts_for_80pct_share)))
    cards[0].caption(t("home.headline_80_caption", share=fmt_pct(conc.accounts_for_80pct_share),
                       n=fmt_num(conc.n_accounts)))
    if numbers["whale"] is not None:
        whale = numbers["whale"]
        headline(cards[1], t("home.headline_destroying"), fmt_num(whale.n_destroying))
        cards[1].caption(t("home.headline_destroying_caption", peak=fmt_pct(whale.peak_pct, 0)))
    else:
        headline(cards[1], t("home.headline_destroying"), "–")
        cards[1].caption(t("home.headline_no_profit"))
    if numbers["risk"] is not None:
        headline(cards[2], t("home.headline_risk"), fmt_num(numbers["risk"]))
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
