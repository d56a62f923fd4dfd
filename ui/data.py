"""Cached access to the open workspace's tables as canonical frames, with the shared filters."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from kamcore import tables
from kamcore.schemas import FilterSettings, TableKind
from ui import state


def table_names(kind: TableKind | str | None = None) -> list[str]:
    """Names of the tables in the open workspace, optionally of one kind."""
    return [info.name for info in state.workspace().tables(kind)]


def active_table(kind: TableKind | str) -> str | None:
    """The table of ``kind`` this session works with: the chosen one, else the first."""
    names = table_names(kind)
    chosen = st.session_state.get(f"active.{kind}")
    if chosen in names:
        return chosen
    return names[0] if names else None


def set_active_table(kind: TableKind | str, name: str) -> None:
    """Remember which table of ``kind`` the pages should use."""
    st.session_state[f"active.{kind}"] = name


# The key holds the workspace path and the table's content hash, so two workspaces (or two
# versions of a table) never share an entry; the frame itself is not hashed (leading "_").
@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _read_raw(_ws, workspace_key: str, name: str, content_hash: str) -> pd.DataFrame:
    return _ws.read_table(name)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _read_canonical(_ws, workspace_key: str, name: str, content_hash: str, mapping_json: str,
                    assignment_json: str) -> pd.DataFrame:
    info = _ws.table_info(name)
    frame = tables.canonical(_ws.read_table(name), info.mapping)
    return tables.attach_segments(frame, json.loads(assignment_json) if assignment_json else None)


def table(name: str) -> pd.DataFrame | None:
    """The stored table ``name`` with its original columns, or None."""
    ws = state.workspace()
    if not ws.has_table(name):
        return None
    info = ws.table_info(name)
    return _read_raw(ws, state.workspace_key(), name, info.content_hash)


def segment_assignment() -> dict | None:
    """The saved account segmentation (from the Segments page), if any."""
    ws = state.workspace()
    for name in ws.list_objects("segment_assignment"):
        payload = ws.load_object("segment_assignment", name)
        if payload and payload.get("key") == "customer_id":
            return payload
    return None


def canonical_table(name: str) -> pd.DataFrame | None:
    """Table ``name`` with its mapping applied (role-named columns) and segments attached."""
    ws = state.workspace()
    if not ws.has_table(name):
        return None
    info = ws.table_info(name)
    assignment = segment_assignment()
    return _read_canonical(
        ws,
        state.workspace_key(),
        name,
        info.content_hash,
        json.dumps(info.mapping.roles, sort_keys=True),
        json.dumps(assignment, sort_keys=True) if assignment else "",
    )


def current_filters() -> FilterSettings:
    """The shared sidebar filters as set in this session."""
    return st.session_state.get("filters", FilterSettings())


def transactions(filtered: bool = True, apply_period: bool = True) -> pd.DataFrame | None:
    """Canonical transactions of the active table, by default filtered by the sidebar."""
    name = active_table(TableKind.transactions)
    if name is None:
        return None
    frame = canonical_table(name)
    if frame is None or "customer_id" not in frame:
        return None
    if not filtered:
        return frame
    return tables.apply_filters(frame, current_filters(), apply_period=apply_period)


def accounts(filtered: bool = True) -> pd.DataFrame | None:
    """One row per account: the account table (if any) enriched with transaction totals."""
    txn = transactions(filtered=filtered)
    name = active_table(TableKind.accounts)
    master = canonical_table(name) if name else None
    if master is None or "customer_id" not in master:
        return tables.derive_accounts(txn) if txn is not None else None
    master = master.drop_duplicates("customer_id")
    if filtered:
        master = tables.apply_filters(master, current_filters(), apply_period=False)
    return tables.merge_accounts(master, txn)


def account_status() -> pd.Series | None:
    """Status per customer id from the active customers table's ``status`` role, or None."""
    name = active_table(TableKind.accounts)
    master = canonical_table(name) if name else None
    if master is None or "status" not in master or "customer_id" not in master:
        return None
    return tables.account_status(master)
