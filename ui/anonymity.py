"""Anonymised mode in the app: the sidebar switch and the exits every real name passes through.

The pseudonyms come from :mod:`kamcore.anonymise` (stable per workspace, random, stored in it).
They are applied where data *leaves* the app, not where it is read: every table
(``i18n.dataframe``), every chart (``charts.show``), every CSV/XLSX download
(``widgets.download_buttons``), the sidebar filter choices, the account page's picker and its
``?account=`` link. Computations, caches and saved objects (plans, shortlists, scores, edits)
keep working on the real account numbers, so every total, share and statistic is the same with
the switch on or off, cached frames can never be the wrong kind for a session, and a plan
edited while the switch is off is the same plan when it is on. The few places that show a
name outside those exits (the account page's facts, plan texts, ...) call :func:`text`,
:func:`frame` or :func:`account` themselves.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from kamcore.anonymise import Pseudonymiser, for_workspace

#: Session/widget key of the sidebar switch (also ``?anonymise=`` in the URL, so a reload in
#: front of an audience stays anonymised).
KEY = "app.anonymise"


def on() -> bool:
    """True while this session shows pseudonyms instead of real names."""
    return bool(st.session_state.get(KEY, False))


def switch() -> None:
    """The sidebar switch."""
    from ui.i18n import t

    st.sidebar.toggle(t("anonymise.switch"), key=KEY, help=t("anonymise.switch_help"), bind="query-params")


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _pseudonymiser(_ws: Any, workspace_key: str, signature: str, lang: str) -> Pseudonymiser:
    return for_workspace(_ws, lang=lang)


def _signature(ws: Any) -> str:
    """What the assignment depends on: every table's version and mapping, and the plan owners."""
    from kamcore.anonymise import plan_persons

    tables = [(i.name, i.content_hash, i.mapping.roles) for i in ws.tables()]
    return json.dumps([tables, sorted(set(plan_persons(ws)))], sort_keys=True, default=str)


def pseudonymiser() -> Pseudonymiser | None:
    """This workspace's pseudonymiser in the session's language, or None while the switch is off."""
    if not on():
        return None
    from ui import state
    from ui.i18n import base_language, lang

    # Looked up once per script run (a page asks for every table and chart it shows).
    token = (state._run_token(), state.workspace_key(), lang())
    memo = st.session_state.get("_anonymise.memo")
    if token[0] is not None and memo is not None and memo[0] == token:
        return memo[1]
    ws = state.workspace()
    pseudo = _pseudonymiser(ws, state.workspace_key(), _signature(ws), base_language(lang()))
    st.session_state["_anonymise.memo"] = (token, pseudo)
    return pseudo


def frame(df: Any, roles: dict[str, str] | None = None) -> Any:
    """``df`` with pseudonyms when the switch is on (see ``Pseudonymiser.frame``); else ``df``."""
    pseudo = pseudonymiser()
    if pseudo is None or not isinstance(df, pd.DataFrame):
        return df
    return pseudo.frame(df, roles)


def text(value: Any) -> Any:
    """``value`` with real names replaced when the switch is on (non-text passes unchanged)."""
    pseudo = pseudonymiser()
    return value if pseudo is None else pseudo.text(value)


def account(account_id: Any) -> Any:
    """The account's pseudonym when the switch is on, else the account number itself."""
    pseudo = pseudonymiser()
    return account_id if pseudo is None else pseudo.account(account_id)


def real_account(value: Any) -> Any:
    """The real account number behind ``value`` (a pseudonym from a link); ``value`` otherwise."""
    pseudo = pseudonymiser()
    if pseudo is None or value is None:
        return value
    real = pseudo.real_account(value)
    return value if real is None else real


def account_sort_key(account_id: Any) -> Any:
    """Sort accounts by what is shown: by pseudonym when the switch is on (so the order of a
    list reveals nothing about the real numbers or names)."""
    shown = account(account_id)
    return str(shown) if shown is not None else ""


def option_labels(names: dict[Any, Any]) -> Any:
    """A ``format_func`` showing ``names[option]`` — with pseudonyms when the switch is on
    ("010042 · Sauda AS" becomes "Kunde 017", not "Kunde 017 · Kunde 017"). The labels are
    fixed now: Streamlit may format options outside this script run."""
    pseudo = pseudonymiser()
    if pseudo is None:
        fixed = {k: str(v) for k, v in names.items()}
        return lambda option: fixed.get(option, str(option))
    fixed = {k: _collapse(str(pseudo.text(str(v)))) for k, v in names.items()}
    return lambda option: fixed.get(option, str(pseudo.text(str(option))))


def _collapse(label: str) -> str:
    """"Kunde 017 · Kunde 017" or "Kunde 017 (Kunde 017)" -> "Kunde 017"."""
    for left, sep, right in (label.partition(" · "), label.partition(" (")):
        if sep and right.rstrip(")") == left:
            return left
    return label


def person(name: Any) -> Any:
    """The salesperson's pseudonym when the switch is on, else the name."""
    pseudo = pseudonymiser()
    return name if pseudo is None else pseudo.person(name)


def editor_result(shown: pd.DataFrame, edited: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """What a data editor fed with ``shown`` (= ``frame(real)``) means in real values.

    A cell the person left as shown takes the real value back (the index always does); a cell
    they changed keeps their value. With the switch off, ``edited`` itself.
    """
    if not on() or edited is None:
        return edited
    out = edited.copy()
    out.index = real.index
    for column in real.columns:
        if column in out.columns:
            untouched = out[column].astype(object).eq(shown[column].astype(object).set_axis(out.index))
            if untouched.any():
                values = out[column].astype(object)
                values[untouched] = real[column].astype(object)[untouched.to_numpy()]
                out[column] = values
    return out


def plan(account_plan: Any) -> Any:
    """A ``kamcore.plans.Plan`` with pseudonyms when the switch is on (for its export)."""
    pseudo = pseudonymiser()
    return account_plan if pseudo is None else pseudo.plan(account_plan)


# ------------------------------------------------------------------------------ charts
def _scrub(node: Any, pseudo: Pseudonymiser) -> Any:
    """Every text in a Plotly figure's JSON with names replaced (``charts.safe``-escaped ones too)."""
    if isinstance(node, str):
        return pseudo.text(node)
    if isinstance(node, dict):
        return {k: _scrub(v, pseudo) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_scrub(v, pseudo) for v in node]
    if hasattr(node, "dtype") and getattr(node.dtype, "kind", "") in "OUS":
        return [_scrub(v, pseudo) for v in node.tolist()]
    return node


def figure(fig: Any) -> Any:
    """A copy of the Plotly figure ``fig`` with every real name replaced, when the switch is on."""
    pseudo = pseudonymiser()
    if pseudo is None:
        return fig
    import plotly.graph_objects as go

    return go.Figure(_scrub(fig.to_plotly_json(), pseudo))
