"""Buying-centre helpers shared by pages: load the relationship tables, render one account, edits.

For the key-account page: ``relationships.account_section(customer_id, key="account.relationships")``
draws the map, the model and the risks of one account (or a note when no contacts are imported).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from kamcore import relationships as rel
from kamcore.schemas import TableKind
from ui import anonymity, charts, data, state
from ui.account_names import names_of
from ui.figures import relationships as figures
from ui.i18n import MISSING, fmt_date, fmt_num, lang, t
from ui.shared import keyed

EDITS_KIND = "relationship_edits"
EDITS_NAME = "edits"


def edits() -> list[dict]:
    """The edits made in the app, oldest first (each with table, key, values, user, at)."""
    payload = state.workspace().load_object(EDITS_KIND, EDITS_NAME) or {}
    return list(payload.get("edits", []))


def save_edit(edit: dict) -> None:
    """Append one edit (from ``kamcore.relationships.make_edit``) to the workspace's history."""
    history = edits()
    history.append(edit)
    state.workspace().save_object(EDITS_KIND, EDITS_NAME, {"edits": history}, user=state.user())


def new_edit(table: str, key: dict, values: dict, *, remove: bool = False) -> dict:
    """An edit by the signed-in person, now (``remove``: take the row out)."""
    return rel.make_edit(table, key, values, user=state.user(), at=dt.datetime.now(), remove=remove)


def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """Contacts, our people and links (canonical, edits applied), or None without any of them."""
    loaded = {}
    for kind in (TableKind.contacts, TableKind.people, TableKind.links):
        name = data.active_table(kind)
        loaded[kind] = data.canonical_table(name) if name else None
    history = edits()
    if loaded[TableKind.contacts] is None and not history:
        return None
    return rel.apply_edits(
        loaded[TableKind.contacts], loaded[TableKind.people], loaded[TableKind.links], history
    )


def as_of_default() -> dt.date:
    """The last invoice date in the data (so the demo is seen as of its own end), else today."""
    txn = data.transactions(filtered=False)
    if txn is not None and "date" in txn and txn["date"].notna().any():
        return txn["date"].max().date()
    return dt.date.today()


def key_account_ids() -> list[str]:
    """The saved key-account shortlist (empty when none is saved)."""
    from ui import key_accounts  # the shortlist lives with the selection's saved objects

    return key_accounts.shortlist()[0]


def _edited_frames(contacts: pd.DataFrame | None, people: pd.DataFrame | None, links: pd.DataFrame | None,
                   history: list[dict]) -> tuple:
    return tuple(rel.apply_edits(contacts, people, links, history))


def _last_day(txn: pd.DataFrame) -> dt.date | None:
    dates = txn["date"] if "date" in txn else None
    return dates.max().date() if dates is not None and dates.notna().any() else None


def _keyed_frames() -> tuple[tuple | None, tuple | None]:
    """:func:`frames` made once per data key, tables and edits for every session (ui.shared.keyed),
    and that key; ``(None, None)`` without transactions (then :func:`frames` is the way)."""
    found = data.transactions_keyed(filtered=False)
    if found is None:
        return None, None
    txn, frame_key = found
    ws = state.workspace()
    loaded, tables_key = {}, []
    for kind in (TableKind.contacts, TableKind.people, TableKind.links):
        name = data.active_table(kind)
        loaded[kind] = data.canonical_table(name) if name else None
        info = ws.table_info(name) if loaded[kind] is not None else None
        tables_key.append(None if info is None else (name, info.content_hash, info.mapping.model_dump_json()))
    history = edits()
    if loaded[TableKind.contacts] is None and not history:
        return None, None
    last = keyed((*frame_key, "relationships.last_day"), _last_day, txn)
    parts = ("relationships.frames", tuple(tables_key), json.dumps(history, sort_keys=True, default=str), last)
    edited = keyed((*frame_key, *parts), _edited_frames, loaded[TableKind.contacts], loaded[TableKind.people],
                   loaded[TableKind.links], history)
    return edited, (*frame_key, *parts)


def coverage_frame(as_of: dt.date | None = None) -> pd.DataFrame | None:
    """``kamcore.relationships.coverage`` of the open workspace (edits applied, the saved shortlist's
    accounts included, uncovered ones as ``no_coverage``), or None without contacts; made once per
    data key, tables, edits, end date and shortlist (ui.shared.keyed).

    For other pages, e.g. the health score's relationship component (``coverage_score`` by account).
    """
    loaded, frame_key = _keyed_frames()
    if frame_key is None:
        loaded = frames()
        if loaded is None:
            return None
        return rel.coverage(*loaded, as_of=as_of or as_of_default(), accounts=key_account_ids())
    when = as_of or frame_key[-1] or dt.date.today()
    return keyed((*frame_key, "relationships.coverage", when, tuple(key_account_ids())),
                 _coverage, loaded, when, key_account_ids())


def _coverage(loaded: tuple, as_of: dt.date, accounts: list[str]) -> pd.DataFrame:
    return rel.coverage(*loaded, as_of=as_of, accounts=accounts)


def portfolio(as_of: dt.date) -> tuple[pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] | None:
    """Coverage and revenue at risk of every key account (shortlist and accounts with contacts),
    narrowed by the shared sidebar filters, with ``on_shortlist``; and the three frames. None
    without contacts and shortlist."""
    loaded = frames()
    short_ids = key_account_ids()
    if loaded is None and not short_ids:
        return None
    if loaded is None:
        loaded = rel.apply_edits(None, None, None, [])
    cover = rel.coverage(*loaded, as_of=as_of, accounts=short_ids)
    cover = rel.revenue_at_risk(cover, data.transactions(filtered=False), as_of=as_of)
    cover["on_shortlist"] = cover["account"].isin(set(short_ids))
    filters = data.current_filters()
    if any(getattr(filters, role) for role in ("region", "industry", "segment", "owner", "cluster")):
        kept = data.accounts()
        if kept is not None:
            # the filtered accounts among the few covered (no set of every account id)
            kept_ids = kept["customer_id"].astype(str)
            kept_ids = kept_ids[kept_ids.isin(cover["account"].unique().tolist()).fillna(False).to_numpy(dtype=bool)]
            cover = cover[cover["account"].isin(kept_ids.tolist())]
    return cover, loaded


def account_names(ids: pd.Series | list[str] | None = None) -> dict[str, str]:
    """Account id -> name as ``data.accounts(filtered=False)`` names them (the accounts table's
    name, else the last name on the account's transactions); empty without either. With
    ``ids``, only those accounts (``ui.account_names.names_of``: no roll-up of every account)."""
    if ids is not None:
        return names_of(ids) or {}
    accounts = data.accounts(filtered=False)
    if accounts is None or "customer_name" not in accounts:
        return {}
    return dict(zip(accounts["customer_id"].astype(str), accounts["customer_name"].astype(str), strict=False))


def account_label(account: str, names: dict[str, str]) -> str:
    """``Name (id)``, or the id alone."""
    name = names.get(account)
    return f"{name} ({account})" if name and name != account else account


def portfolio_table(view: pd.DataFrame, names: dict[str, str], with_shortlist: bool) -> pd.DataFrame:
    """The portfolio list as shown: one row per account, headers and words in the session's language."""
    language = lang()
    columns = {
        t("relationships.col_account"): view["account"].map(lambda a: account_label(a, names)),
        t("relationships.col_model"): view["model"].map(lambda m: figures.model_label(m, language)),
        t("relationships.col_single"): view["single_thread"],
        t("relationships.col_at_risk"): view["revenue_at_risk"].round(0),
        t("relationships.col_revenue"): view["revenue_12m"].round(0),
        t("relationships.col_thread"): view["thread"].astype("string"),
        t("relationships.col_decider"): view["decider_covered"],
        t("relationships.col_buyer"): view["buyer_covered"],
        t("relationships.col_exec"): view["exec_sponsor"],
        t("relationships.col_stale"): view["stale_links"],
        t("relationships.col_score"): (100 * view["coverage_score"]).round(0),
        t("relationships.col_risks"): view["risks"].map(
            lambda codes: ", ".join(figures.risk_label(f"short_{c}", language) for c in codes) if codes else "–"),
    }
    if with_shortlist:
        columns[t("relationships.col_shortlist")] = view["on_shortlist"]
    return pd.DataFrame(columns)


def model_rules() -> str:
    """The model rules in words, one per line."""
    return "\n".join(t(f"relationships.rule_{model.replace('-', '_')}") for model in rel.MODELS)


def risk_words(codes) -> list[str]:
    """Risk codes in the session's language."""
    return [figures.risk_label(code, lang()) for code in codes]


def render_account(
    contacts: pd.DataFrame,
    people: pd.DataFrame,
    links: pd.DataFrame,
    account: str,
    *,
    as_of: dt.date,
    key: str,
    key_accounts: list[str] | None = None,
) -> None:
    """Map, model and risks of one account, plus its contacts as a table. A key account (in
    ``key_accounts``) without any contact is shown with the risk ``no_coverage``."""
    is_key = str(account) in set(key_accounts or ())
    cover = rel.coverage(contacts, people, links, as_of=as_of, accounts=[str(account)] if is_key else None)
    row = cover[cover["account"] == str(account)]
    if row.empty:
        st.info(t("relationships.no_contacts_for_account"))
        return
    row = row.iloc[0]
    if row["n_contacts"] + row["n_left"] == 0:
        st.warning("\n".join(f"- {words}" for words in risk_words(row["risks"])), icon=":material/warning:")
        st.caption(t("relationships.no_contacts_key_account"))
        return
    left, middle, right = st.columns(3)
    left.metric(t("relationships.col_model"), figures.model_label(row["model"], lang()))
    middle.metric(t("relationships.col_ours"), fmt_num(row["n_our_people"]))
    right.metric(t("relationships.col_contacts"), fmt_num(row["n_contacts"]))
    st.caption(t(f"relationships.rule_{row['model'].replace('-', '_')}"))
    if row["risks"]:
        # catalogue sentences only (no user text), one bullet per risk
        st.warning("\n".join(f"- {words}" for words in risk_words(row["risks"])), icon=":material/warning:")
    else:
        st.success(t("relationships.no_risks"), icon=":material/check_circle:")
    fig = figures.account_map(contacts, people, links, str(account), lang(), as_of=as_of)
    charts.show(fig, key=f"{key}.map")
    prepared = rel.prepare_contacts(contacts)
    mine = prepared[prepared["account"] == str(account)]
    left_mask = mine["left_on"].notna() & (mine["left_on"] <= pd.Timestamp(as_of))
    st.dataframe(
        anonymity.frame(pd.DataFrame(
            {
                t("relationships.col_contact"): mine["contact"].astype("string"),
                t("relationships.col_title"): mine["title"].astype("string"),
                t("relationships.col_roles"): mine["roles"].map(lambda r: figures.roles_text(r, lang())),
                t("relationships.col_attitude"): mine["attitude"].map(
                    lambda a: t(f"relationships.attitude_{a or 'unknown'}")
                ),
                t("relationships.col_influence"): mine["influence"],
                t("relationships.col_status"): [
                    t("relationships.left_on", date=fmt_date(d)) if gone else t("relationships.status_active")
                    for gone, d in zip(left_mask, mine["left_on"], strict=True)
                ],
            }
        )),
        hide_index=True,
        key=f"{key}.contacts",
        placeholder=MISSING,
    )


def account_section(account: str, *, key: str) -> None:
    """Everything about one account's buying centre, for any page (e.g. the key-account page)."""
    loaded = _keyed_frames()[0] or frames()
    if loaded is None:
        st.info(t("relationships.no_data"))
        return
    try:
        render_account(*loaded, str(account), as_of=as_of_default(), key=key, key_accounts=key_account_ids())
    except Exception as exc:  # noqa: BLE001 - a user sentence, not a traceback
        from ui import widgets

        widgets.error(exc)
