"""Editing the buying centre in the app: add, change, mark as left and remove contacts, our people
and links. Every save is one edit record (``kamcore.relationships.make_edit``) appended to the
workspace's list with who and when (:func:`ui.relationships.save_edit`); the tables are the
imported ones with the edits replayed (:func:`kamcore.relationships.apply_edits`).

Each form is keyed by the row it edits, so it opens with that row's current values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from kamcore import relationships as rel
from ui import i18n, widgets
from ui import relationships as ui_rel
from ui.i18n import labeller, t

NEW = "+"
DATE_FORMAT = "DD.MM.YYYY"


def _save(table: str, key: dict[str, Any], values: dict[str, Any], *, remove: bool = False) -> None:
    try:
        ui_rel.save_edit(ui_rel.new_edit(table, key, values, remove=remove))
        st.toast(t("relationships.removed" if remove else "relationships.saved"))
        st.rerun()
    except Exception as exc:  # noqa: BLE001 - one sentence for the user
        widgets.error(exc)


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)) else str(value)


def _date(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _left_fields(prefix: str, left_on: Any, as_of: dt.date, label: str) -> dt.date | None:
    was_left = _date(left_on) is not None
    left = st.checkbox(label, value=was_left, key=f"{prefix}.left")
    day = st.date_input(t("relationships.field_left_on"), value=_date(left_on) or as_of, key=f"{prefix}.left_on",
                        format=DATE_FORMAT)
    return day if left else None


def _remove_button(prefix: str, label: str, table: str, key: dict[str, Any]) -> None:
    if st.button(label, key=f"{prefix}.remove", icon=":material/delete:", help=t("relationships.remove_help")):
        _save(table, key, {}, remove=True)


def contact_editor(contacts: pd.DataFrame, account: str, as_of: dt.date) -> None:
    """Add a contact at ``account``, change one, mark one as left, or remove one entered by mistake."""
    prepared = rel.prepare_contacts(contacts)
    here = sorted(prepared.loc[prepared["account"] == account, "contact"].astype(str))
    options = [NEW, *here]
    pick = st.selectbox(t("relationships.field_contact"), options, key="relationships.c_pick",
                        format_func=lambda c: t("relationships.new_contact") if c == NEW else c)
    idx = options.index(pick)
    current = prepared[(prepared["account"] == account) & (prepared["contact"] == pick)]
    now = current.iloc[0] if len(current) else None
    prefix = f"relationships.c_{idx}"
    with st.form(f"relationships.contact_form.{idx}"):
        new_name = st.text_input(t("relationships.field_new_contact"), key=f"relationships.c_name.{idx}",
                                 disabled=pick != NEW)
        c1, c2 = st.columns(2)
        title = c1.text_input(t("relationships.field_title"), key=f"relationships.c_title.{idx}",
                              value=_text(None if now is None else now["title"]))
        department = c2.text_input(t("relationships.field_department"), key=f"relationships.c_department.{idx}",
                                   value=_text(None if now is None else now["department"]))
        roles = st.multiselect(t("relationships.field_roles"), list(rel.BUYING_ROLES),
                               default=list(now["roles"]) if now is not None else [],
                               key=f"relationships.c_roles.{idx}", placeholder=t("relationships.none_chosen"),
                               format_func=labeller("relationships.brole_"))
        c3, c4, c5 = st.columns(3)
        attitude = c3.selectbox(t("relationships.field_attitude"), list(rel.ATTITUDES),
                                index=rel.ATTITUDES.index(now["attitude"]) if now is not None and now["attitude"]
                                else 1, key=f"relationships.c_attitude.{idx}",
                                format_func=labeller("relationships.attitude_"))
        influence = c4.slider(t("relationships.field_influence"), 1, 5,
                              int(now["influence"]) if now is not None and pd.notna(now["influence"]) else 3,
                              key=f"relationships.c_influence.{idx}")
        last = c5.date_input(t("relationships.field_last_contact"), key=f"relationships.c_last.{idx}",
                             value=_date(None if now is None else now["last_contact"]), format=DATE_FORMAT)
        left_on = _left_fields(prefix, None if now is None else now["left_on"], as_of, t("relationships.field_left"))
        if st.form_submit_button(t("relationships.save"), type="primary"):
            name = new_name.strip() if pick == NEW else pick
            _save("contacts", {"account": account, "contact": name}, {
                "title": title.strip() or None, "department": department.strip() or None, "roles": roles,
                "attitude": attitude, "influence": influence, "last_contact": last, "left_on": left_on})
    if pick != NEW:
        _remove_button(prefix, t("relationships.remove_contact"), "contacts", {"account": account, "contact": pick})


def person_editor(people: pd.DataFrame, as_of: dt.date) -> None:
    """Add one of our people, change one, mark one as having left us, or remove one entered by mistake."""
    prepared = rel.prepare_people(people)
    options = [NEW, *sorted(prepared["person"].astype(str))]
    pick = st.selectbox(t("relationships.field_person"), options, key="relationships.p_pick",
                        format_func=lambda p: t("relationships.new_person") if p == NEW else p)
    idx = options.index(pick)
    current = prepared[prepared["person"] == pick]
    now = current.iloc[0] if len(current) else None
    prefix = f"relationships.p_{idx}"
    role_now = now["role"] if now is not None and now["role"] in rel.OUR_ROLES else rel.OUR_ROLES[0]
    with st.form(f"relationships.person_form.{idx}"):
        name = st.text_input(t("relationships.field_new_person"), key=f"relationships.p_name.{idx}",
                             disabled=pick != NEW)
        role = st.selectbox(t("relationships.field_role"), list(rel.OUR_ROLES), index=rel.OUR_ROLES.index(role_now),
                            key=f"relationships.p_role.{idx}", format_func=labeller("relationships.our_role_"))
        executive = st.checkbox(t("relationships.field_executive"), key=f"relationships.p_exec.{idx}",
                                value=bool(now["executive"]) if now is not None else False)
        left_on = _left_fields(prefix, None if now is None else now["left_on"], as_of,
                               t("relationships.field_person_left"))
        if st.form_submit_button(t("relationships.save"), type="primary"):
            person = name.strip() if pick == NEW else pick
            _save("people", {"person": person}, {"role": role, "executive": executive, "left_on": left_on})
    if pick != NEW:
        _remove_button(prefix, t("relationships.remove_person"), "people", {"person": pick})


def link_editor(contacts: pd.DataFrame, people: pd.DataFrame, links: pd.DataFrame, account: str,
                as_of: dt.date) -> None:
    """Add a link between one of ours and a contact at ``account``, change its strength and last
    contact, or remove a wrong one."""
    prepared = rel.prepare_contacts(contacts)
    here = sorted(prepared.loc[prepared["account"] == account, "contact"].astype(str))
    ours = sorted(rel.prepare_people(people)["person"].astype(str))
    try:
        existing = rel.link_contacts(prepared, rel.prepare_links(links)) if len(links) else pd.DataFrame()
    except Exception:  # noqa: BLE001 - ambiguous names: the page above already says so
        existing = pd.DataFrame()
    if len(existing):
        existing = existing[existing["account"] == account].sort_values(["person", "contact"]).reset_index(drop=True)
    pairs = list(zip(existing["person"].astype(str), existing["contact"].astype(str), strict=True)) \
        if len(existing) else []
    options = [NEW, *[f"{p} → {c}" for p, c in pairs]]
    pick = st.selectbox(t("relationships.field_link"), options, key="relationships.l_pick",
                        format_func=lambda o: t("relationships.new_link") if o == NEW else o)
    idx = options.index(pick)
    now = existing.iloc[idx - 1] if idx else None
    prefix = f"relationships.l_{idx}"
    with st.form(f"relationships.link_form.{idx}"):
        c1, c2 = st.columns(2)
        person = c1.selectbox(t("relationships.field_person"), ours, key=f"relationships.l_person.{idx}",
                              index=ours.index(now["person"]) if now is not None and now["person"] in ours else 0,
                              disabled=idx > 0)
        contact = c2.selectbox(t("relationships.field_contact"), here, key=f"relationships.l_contact.{idx}",
                               index=here.index(now["contact"]) if now is not None and now["contact"] in here else 0,
                               disabled=idx > 0)
        strength = st.slider(t("relationships.field_strength"), 1, 5, key=f"relationships.l_strength.{idx}",
                             value=int(now["strength"]) if now is not None and pd.notna(now["strength"]) else 3)
        last = st.date_input(t("relationships.field_last_contact"), key=f"relationships.l_last.{idx}",
                             value=_date(None if now is None else now["last_contact"]) or as_of, format=DATE_FORMAT)
        if st.form_submit_button(t("relationships.save"), type="primary"):
            key = {"account": account, "person": person or "", "contact": contact or ""}
            if idx:
                key = {"account": account, "person": pairs[idx - 1][0], "contact": pairs[idx - 1][1]}
            _save("links", key, {"strength": strength, "last_contact": last})
    if idx:
        _remove_button(prefix, t("relationships.remove_link"), "links",
                       {"account": account, "person": pairs[idx - 1][0], "contact": pairs[idx - 1][1]})


def editor(contacts: pd.DataFrame, people: pd.DataFrame, links: pd.DataFrame, account: str, as_of: dt.date) -> None:
    """The three editors behind one choice, and the history of edits (who, when, what)."""
    tab = st.segmented_control(t("relationships.edit_what"), ["contacts", "people", "links"], default="contacts",
                               format_func=labeller("relationships.edit_what_"), key="relationships.edit_kind")
    if tab == "contacts":
        contact_editor(contacts, account, as_of)
    elif tab == "people":
        person_editor(people, as_of)
    elif tab == "links":
        link_editor(contacts, people, links, account, as_of)
    history = ui_rel.edits()
    if history:
        st.caption(t("relationships.history"))
        i18n.dataframe(pd.DataFrame([{
            t("relationships.col_when"): e.get("at"),
            t("relationships.col_who"): e.get("user"),
            t("relationships.col_what"): t(f"relationships.edit_what_{e['table']}"),
            t("relationships.col_change"): t("relationships.change_removed" if e.get("remove")
                                             else "relationships.change_saved"),
            t("relationships.col_key"): " / ".join(str(v) for v in e["key"].values()),
            t("relationships.col_values"): ", ".join(f"{k}={v}" for k, v in e.get("values", {}).items()),
        } for e in reversed(history)]), hide_index=True, key="relationships.history")
