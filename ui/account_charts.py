"""Open the key-account page from a Plotly chart that names accounts (a click on a point).

A chart is clickable when its account traces give each point its customer id as Plotly's
per-point ``ids`` (``""`` for a point without an account: a curve's origin); hover texts and
``customdata`` stay as they were. :func:`show` draws the chart with Streamlit's point selection
(``on_select="rerun"``, ``selection_mode="points"``) and, when exactly one account is clicked,
opens its page through :func:`ui.account_link.open_account`. :func:`account_in_event` is the
mapping from a selection event to the account, unit-tested without a browser.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from ui import account_link, charts
from ui.i18n import t


def _point_id(point: Any, figure: Any) -> str | None:
    """The Plotly id of one selected point: from the event, else looked up in ``figure``."""
    found = point.get("id")
    if found is None and figure is not None:
        trace, index = point.get("curve_number"), point.get("point_index")
        if trace is not None and index is not None and 0 <= trace < len(figure.data):
            ids = figure.data[trace].ids
            found = ids[index] if ids is not None and 0 <= index < len(ids) else None
    return None if found is None or str(found) == "" else str(found)


def accounts_in_event(event: Any, figure: Any = None) -> list[str]:
    """Customer ids of the selected points, in order, each once (points without an id skipped).

    ``event`` is the value ``st.plotly_chart(on_select="rerun")`` returns (an attribute-style
    dict: ``{"selection": {"points": [...]}}``). A point's account is its Plotly ``id``; the
    event may leave it out, so it is looked up in ``figure`` by ``curve_number`` and
    ``point_index``.
    """
    try:
        points = event["selection"]["points"] if event else []
    except (KeyError, TypeError):
        points = []
    found: list[str] = []
    for point in points or []:
        account = _point_id(point, figure)
        if account is not None and account not in found:
            found.append(account)
    return found


def account_in_event(event: Any, figure: Any = None) -> str | None:
    """The one account a click selected, or None (nothing, a point without an account, or several)."""
    found = accounts_in_event(event, figure)
    return found[0] if len(found) == 1 else None


def show(fig: Any, *, key: str, hint: bool = True) -> Any:
    """``charts.show(fig)`` where clicking an account's point opens that account's page."""
    # Streamlit makes a drag pan when only point clicks are selectable; a drag zooms, as on
    # every other chart (a figure that chose its own drag mode keeps it)
    if fig.layout.dragmode is None:
        fig.update_layout(dragmode="zoom")
    # Streamlit's chart id hashes the figure's JSON, and a click selection survives the rerun
    # only while the id stays the same: a figure built fresh and one rebuilt from a dict (a
    # charts.memo_figure hit) differ in key order, so both are shown rebuilt from their dict
    fig = go.Figure(fig.to_dict())
    event = charts.show(fig, key=key, on_select="rerun", selection_mode="points")
    if hint:
        st.caption(t("account_charts.click_hint"))
    account = account_in_event(event, fig)
    if account is not None:
        account_link.open_account(account)
    return event
