"""Open the account page from any table or chart that names an account.

Pages call :func:`account_table` instead of ``st.dataframe`` (a row click opens the account),
or :func:`open_account` themselves (e.g. from a Plotly click). The chosen account travels in
session state and ends up in the account page's URL (``?account=…``), so the page is linkable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from ui.i18n import t

SELECTED = "account._selected"  # not a widget key: survives the page switch
ACCOUNT_PAGE = "pages/account.py"


def open_account(account: Any) -> None:
    """Remember ``account`` and switch to the account page."""
    from ui import anonymity  # the link carries the pseudonym in anonymised mode

    st.session_state[SELECTED] = str(account)
    st.switch_page(ACCOUNT_PAGE, query_params={"account": str(anonymity.account(str(account)))})


def picked_row(event: Any) -> int | None:
    """The row position selected in a ``st.dataframe`` selection event, if any."""
    try:
        rows = event.selection.rows
    except AttributeError:
        rows = (event or {}).get("selection", {}).get("rows", []) if isinstance(event, dict) else []
    return int(rows[0]) if rows else None


def account_table(frame: Any, ids: Sequence[Any], *, key: str, hint: bool = True, **kwargs: Any) -> Any:
    """``i18n.dataframe(frame)`` where selecting a row opens that row's account (``ids`` by position)."""
    from ui import i18n  # numbers and dates in the user's language, as every table

    event = i18n.dataframe(frame, key=key, on_select="rerun", selection_mode="single-row", **kwargs)
    if hint:
        st.caption(t("account.open_hint"))
    row = picked_row(event)
    if row is not None and row < len(ids):
        open_account(ids[row])
    return event


def open_button(account: Any, *, key: str, container: Any = None) -> None:
    """A button that opens ``account``'s page."""
    target = container if container is not None else st
    if target.button(t("account.open_button"), key=key, icon=":material/person_search:"):
        open_account(account)
