"""Buying centre: who we know at each key account, and where we hang by one thread."""

from __future__ import annotations

import streamlit as st

from kamcore import relationships as rel
from ui import account_link, anonymity, i18n, relationship_edits, router, widgets
from ui import relationships as ui_rel
from ui.i18n import fmt_num, fmt_pct, labeller, lang, t

router.require_router()

st.title(t("relationships.title"))
st.caption(t("relationships.intro"))

DATE_FORMATS = {"nb": "DD.MM.YYYY", "sv": "YYYY-MM-DD"}
as_of = st.columns([1, 3])[0].date_input(
    t("relationships.as_of"), value=ui_rel.as_of_default(), key="relationships.as_of",
    help=t("relationships.as_of_help"), format=DATE_FORMATS.get(lang(), "DD/MM/YYYY"),
)
try:
    found = ui_rel.portfolio(as_of)
except Exception as exc:  # noqa: BLE001 - one sentence for the user
    widgets.stop_with_error(exc)
widgets.require(found, "relationships.no_data")
cover, (contacts, people, links) = found
widgets.require(cover, "relationships.none_after_filters")
names = ui_rel.account_names(cover["account"])  # only the accounts shown
with_shortlist = bool(cover["on_shortlist"].any())

# ---- the portfolio: which key accounts hang by one thread (or none), and how much revenue that is --------
single = cover[cover["single_thread"]]
uncovered = cover[cover["n_links"] == 0]
total = float(cover["revenue_12m"].sum())
at_risk = float(cover["revenue_at_risk"].sum())
m1, m2, m3, m4, m5 = st.columns([0.7, 0.9, 0.8, 1.5, 1.2])  # the amount and the share need the room
m1.metric(t("relationships.metric_key_accounts"), fmt_num(len(cover)), help=t("relationships.metric_key_accounts_help"))
m2.metric(t("relationships.metric_single_thread"), fmt_num(len(single)))
m3.metric(t("relationships.metric_no_coverage"), fmt_num(len(uncovered)), help=t("relationships.metric_no_coverage_help"))
m4.metric(t("relationships.metric_revenue_at_risk"), fmt_num(at_risk), help=t("relationships.metric_at_risk_help"))
m5.metric(t("relationships.metric_share_at_risk"), fmt_pct(at_risk / total if total else 0.0))

st.subheader(t("relationships.list_title"))
f1, f2, f3, f4 = st.columns([1, 1.4, 1, 1])
models_present = [m.replace("-", "_") for m in rel.MODELS if m in set(cover["model"])]
chosen_models = f1.multiselect(t("relationships.filter_models"), models_present, key="relationships.models",
                               placeholder=t("relationships.all"), format_func=labeller("relationships.model_"))
risks_present = [r for r in rel.RISKS if any(r in risks for risks in cover["risks"])]
chosen_risks = f2.multiselect(t("relationships.filter_risks"), risks_present, key="relationships.risks",
                              placeholder=t("relationships.all"), format_func=labeller("relationships.risk_short_"))
only_single = f3.toggle(t("relationships.only_single"), key="relationships.only_single")
only_shortlist = f4.toggle(t("relationships.only_shortlist"), key="relationships.only_shortlist",
                           disabled=not with_shortlist)

view = cover
if chosen_models:
    view = view[view["model"].str.replace("-", "_").isin(chosen_models)]
if chosen_risks:
    view = view[view["risks"].map(lambda codes: any(code in codes for code in chosen_risks))]
if only_single:
    view = view[view["single_thread"]]
if only_shortlist:
    view = view[view["on_shortlist"]]
view = view.sort_values(["revenue_at_risk", "revenue_12m", "account"], ascending=[False, False, True])
table = ui_rel.portfolio_table(view, names, with_shortlist)
account_link.account_table(  # a row opens the key-account page
    table, view["account"].tolist(), key="relationships.list", hide_index=True,
    decimals={t("relationships.col_revenue"): 0, t("relationships.col_at_risk"): 0},
    column_config={t("relationships.col_score"): st.column_config.ProgressColumn(
        min_value=0, max_value=100, format=i18n.percent_format())})
st.caption(t("relationships.list_caption", n=fmt_num(len(view)), total=fmt_num(len(cover))))
widgets.download_buttons(table, "buying_centre", key="relationships.download")
with st.expander(t("relationships.model_rules_title"), icon=":material/info:"):
    st.text(ui_rel.model_rules())

# ---- one account: the map -----------------------------------------------------------------------
st.subheader(t("relationships.account_title"))
order = list(cover.sort_values(["revenue_at_risk", "revenue_12m", "account"],
                               ascending=[False, False, True])["account"])
account = st.selectbox(t("relationships.account_pick"), order, key="relationships.account",
                       format_func=anonymity.option_labels({a: ui_rel.account_label(a, names) for a in order}))
try:
    ui_rel.render_account(contacts, people, links, account, as_of=as_of, key="relationships.detail",
                          key_accounts=ui_rel.key_account_ids())
except Exception as exc:  # noqa: BLE001
    widgets.error(exc)

# ---- edit: add, change, mark as left, remove ----------------------------------------------------
with st.expander(t("relationships.edit_title"), icon=":material/edit:"):
    if anonymity.on():  # the forms would show pseudonyms, not what is saved
        st.warning(t("anonymise.editing_off"), icon=":material/visibility_off:")
    else:
        relationship_edits.editor(contacts, people, links, account, as_of)
