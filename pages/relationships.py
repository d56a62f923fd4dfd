"""Buying centre: who we know at each key account, and where we hang by one thread."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kamcore import relationships as rel
from ui import anonymity, data, i18n, router, widgets
from ui import relationships as ui_rel
from ui.figures import relationships as figures
from ui.i18n import fmt_num, fmt_pct, labeller, lang, t

router.require_router()

st.title(t("relationships.title"))
st.caption(t("relationships.intro"))

loaded = ui_rel.frames()
widgets.require(loaded, "relationships.no_data")
contacts, people, links = loaded

DATE_FORMATS = {"nb": "DD.MM.YYYY", "sv": "YYYY-MM-DD"}
as_of = st.columns([1, 3])[0].date_input(
    t("relationships.as_of"),
    value=ui_rel.as_of_default(),
    key="relationships.as_of",
    help=t("relationships.as_of_help"),
    format=DATE_FORMATS.get(lang(), "DD/MM/YYYY"),
)
try:
    cover = rel.coverage(contacts, people, links, as_of=as_of)
    cover = rel.revenue_at_risk(cover, data.transactions(filtered=False), as_of=as_of)
except Exception as exc:  # noqa: BLE001 - one sentence for the user
    widgets.error(exc)
    st.stop()
widgets.require(cover, "relationships.no_data")

# the shared sidebar filters (region, industry, segment, account manager) narrow the accounts shown
filters = data.current_filters()
if any(getattr(filters, role) for role in ("region", "industry", "segment", "owner", "cluster")):
    kept = data.accounts()
    if kept is not None:
        cover = cover[cover["account"].isin(set(kept["customer_id"].astype(str)))]
    widgets.require(cover, "relationships.none_after_filters")

accounts = data.accounts(filtered=False)
names: dict[str, str] = {}
if accounts is not None and "customer_name" in accounts:
    names = dict(
        zip(accounts["customer_id"].astype(str), accounts["customer_name"].astype(str), strict=False)
    )


def account_label(account: str) -> str:
    name = names.get(account)
    return f"{name} ({account})" if name and name != account else account


# ---- the portfolio: which key accounts hang by one thread, and how much revenue that is ----------
single = cover[cover["single_thread"]]
total = float(cover["revenue_12m"].sum())
at_risk = float(cover["revenue_at_risk"].sum())
m1, m2, m3, m4 = st.columns(4)
m1.metric(t("relationships.metric_key_accounts"), fmt_num(len(cover)))
m2.metric(t("relationships.metric_single_thread"), fmt_num(len(single)))
m3.metric(t("relationships.metric_revenue_at_risk"), fmt_num(at_risk))
m4.metric(t("relationships.metric_share_at_risk"), fmt_pct(at_risk / total if total else 0.0))

st.subheader(t("relationships.list_title"))
f1, f2, f3 = st.columns([1, 1.4, 1])
models_present = [m.replace("-", "_") for m in rel.MODELS if m in set(cover["model"])]
chosen_models = f1.multiselect(
    t("relationships.filter_models"),
    models_present,
    key="relationships.models",
    placeholder=t("relationships.all"),
    format_func=labeller("relationships.model_"),
)
risks_present = [r for r in rel.RISKS if any(r in risks for risks in cover["risks"])]
chosen_risks = f2.multiselect(
    t("relationships.filter_risks"),
    risks_present,
    key="relationships.risks",
    placeholder=t("relationships.all"),
    format_func=labeller("relationships.risk_short_"),
)
only_single = f3.toggle(t("relationships.only_single"), key="relationships.only_single")

view = cover
if chosen_models:
    view = view[view["model"].str.replace("-", "_").isin(chosen_models)]
if chosen_risks:
    view = view[view["risks"].map(lambda codes: any(code in codes for code in chosen_risks))]
if only_single:
    view = view[view["single_thread"]]
view = view.sort_values(["revenue_at_risk", "revenue_12m"], ascending=False)

language = lang()
table = pd.DataFrame(
    {
        t("relationships.col_account"): view["account"].map(account_label),
        t("relationships.col_model"): view["model"].map(lambda m: figures.model_label(m, language)),
        t("relationships.col_single"): view["single_thread"],
        t("relationships.col_at_risk"): view["revenue_at_risk"].round(0),
        t("relationships.col_revenue"): view["revenue_12m"].round(0),
        t("relationships.col_thread"): view["thread"].astype("string"),
        t("relationships.col_decider"): view["decider_covered"],
        t("relationships.col_buyer"): view["buyer_covered"],
        t("relationships.col_exec"): view["exec_sponsor"],
        t("relationships.col_stale"): view["stale_links"],
        t("relationships.col_score"): view["coverage_score"],
        t("relationships.col_risks"): view["risks"].map(
            lambda codes: (
                ", ".join(figures.risk_label(f"short_{code}", language) for code in codes) if codes else "–"
            )
        ),
    }
)
i18n.dataframe(
    table,
    hide_index=True,
    key="relationships.list",
    decimals={t("relationships.col_revenue"): 0, t("relationships.col_at_risk"): 0},
    column_config={
        t("relationships.col_score"): st.column_config.ProgressColumn(
            min_value=0.0, max_value=1.0, format="percent"
        ),
    },
)
st.caption(t("relationships.list_caption", n=fmt_num(len(view)), total=fmt_num(len(cover))))
widgets.download_buttons(table, "buying_centre", key="relationships.download")
with st.expander(t("relationships.model_rules_title"), icon=":material/info:"):
    st.text(ui_rel.model_rules())

# ---- one account: the map -----------------------------------------------------------------------
st.subheader(t("relationships.account_title"))
order = list(cover.sort_values(["revenue_at_risk", "revenue_12m"], ascending=False)["account"])
account = st.selectbox(
    t("relationships.account_pick"),
    order,
    key="relationships.account",
    format_func=anonymity.option_labels({a: account_label(a) for a in order}),
)
try:
    ui_rel.render_account(contacts, people, links, account, as_of=as_of, key="relationships.detail")
except Exception as exc:  # noqa: BLE001
    widgets.error(exc)

# ---- edit: add, change, mark as left ------------------------------------------------------------
with st.expander(t("relationships.edit_title"), icon=":material/edit:"):
    prepared = rel.prepare_contacts(contacts)
    here = sorted(prepared.loc[prepared["account"] == account, "contact"].astype(str))
    NEW = "+"
    tab = st.segmented_control(
        t("relationships.edit_what"),
        ["contacts", "people", "links"],
        default="contacts",
        format_func=labeller("relationships.edit_what_"),
        key="relationships.edit_kind",
    )
    if tab == "contacts":
        options = [NEW, *here]
        contact_labels = anonymity.option_labels({NEW: t("relationships.new_contact")} | {c: c for c in here})
        pick = st.selectbox(
            t("relationships.field_contact"),
            options,
            key="relationships.c_pick",
            format_func=contact_labels,
        )
        # one form per contact, so its fields open with that contact's current values
        idx = options.index(pick)
        current = prepared[(prepared["account"] == account) & (prepared["contact"] == pick)]
        now = current.iloc[0] if len(current) else None
        with st.form(f"relationships.contact_form.{idx}"):
            new_name = st.text_input(
                t("relationships.field_new_contact"), key=f"relationships.c_name.{idx}", disabled=pick != NEW
            )
            title = st.text_input(
                t("relationships.field_title"),
                key=f"relationships.c_title.{idx}",
                value="" if now is None or pd.isna(now["title"]) else str(now["title"]),
            )
            roles = st.multiselect(
                t("relationships.field_roles"),
                list(rel.BUYING_ROLES),
                default=list(now["roles"]) if now is not None else [],
                key=f"relationships.c_roles.{idx}",
                placeholder=t("relationships.none_chosen"),
                format_func=labeller("relationships.brole_"),
            )
            attitude = st.selectbox(
                t("relationships.field_attitude"),
                list(rel.ATTITUDES),
                index=rel.ATTITUDES.index(now["attitude"]) if now is not None and now["attitude"] else 1,
                key=f"relationships.c_attitude.{idx}",
                format_func=labeller("relationships.attitude_"),
            )
            influence = st.slider(
                t("relationships.field_influence"),
                1,
                5,
                int(now["influence"]) if now is not None and pd.notna(now["influence"]) else 3,
                key=f"relationships.c_influence.{idx}",
            )
            was_left = now is not None and pd.notna(now["left_on"])
            left = st.checkbox(
                t("relationships.field_left"), value=was_left, key=f"relationships.c_left.{idx}"
            )
            left_on = st.date_input(
                t("relationships.field_left_on"),
                value=now["left_on"].date() if was_left else as_of,
                key=f"relationships.c_left_on.{idx}",
            )
            if st.form_submit_button(t("relationships.save"), type="primary"):
                name = new_name.strip() if pick == NEW else pick
                values = {
                    "title": title.strip() or None,
                    "roles": roles,
                    "attitude": attitude,
                    "influence": influence,
                    "left_on": left_on if left else None,
                }
                try:
                    ui_rel.save_edit(
                        ui_rel.new_edit("contacts", {"account": account, "contact": name}, values)
                    )
                    st.toast(t("relationships.saved"))
                    st.rerun()
                except Exception as exc:  # noqa: BLE001
                    widgets.error(exc)
    elif tab == "people":
        with st.form("relationships.person_form"):
            person = st.text_input(t("relationships.field_person"), key="relationships.p_name")
            role = st.selectbox(
                t("relationships.field_role"),
                list(rel.OUR_ROLES),
                key="relationships.p_role",
                format_func=labeller("relationships.our_role_"),
            )
            executive = st.checkbox(t("relationships.field_executive"), key="relationships.p_exec")
            if st.form_submit_button(t("relationships.save"), type="primary"):
                try:
                    ui_rel.save_edit(
                        ui_rel.new_edit("people", {"person": person}, {"role": role, "executive": executive})
                    )
                    st.toast(t("relationships.saved"))
                    st.rerun()
                except Exception as exc:  # noqa: BLE001
                    widgets.error(exc)
    elif tab == "links":
        ours = sorted(rel.prepare_people(people)["person"].astype(str))
        with st.form("relationships.link_form"):
            person = st.selectbox(t("relationships.field_person"), ours, key="relationships.l_person",
                                  format_func=anonymity.option_labels({p: p for p in ours}))
            contact = st.selectbox(t("relationships.field_contact"), here, key="relationships.l_contact",
                                   format_func=anonymity.option_labels({c: c for c in here}))
            strength = st.slider(t("relationships.field_strength"), 1, 5, 3, key="relationships.l_strength")
            last = st.date_input(
                t("relationships.field_last_contact"), value=as_of, key="relationships.l_last"
            )
            if st.form_submit_button(t("relationships.save"), type="primary"):
                try:
                    ui_rel.save_edit(
                        ui_rel.new_edit(
                            "links",
                            {"account": account, "person": person or "", "contact": contact or ""},
                            {"strength": strength, "last_contact": last},
                        )
                    )
                    st.toast(t("relationships.saved"))
                    st.rerun()
                except Exception as exc:  # noqa: BLE001
                    widgets.error(exc)
    history = ui_rel.edits()
    if history:
        st.caption(t("relationships.history"))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("relationships.col_when"): e.get("at"),
                        t("relationships.col_who"): e.get("user"),
                        t("relationships.col_what"): t(f"relationships.edit_what_{e['table']}"),
                        t("relationships.col_key"): " / ".join(str(v) for v in e["key"].values()),
                        t("relationships.col_values"): ", ".join(
                            f"{k}={v}" for k, v in e.get("values", {}).items()
                        ),
                    }
                    for e in reversed(history)
                ]
            ),
            hide_index=True,
            key="relationships.history",
        )
