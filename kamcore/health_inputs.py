"""What the health score reads besides sales, gathered one way for every caller.

The key-account page (through ``ui.key_accounts``) and the meeting pack (``kamcore.meeting_pack``,
in the app and from ``manage.py pack``) both join team scores, buying-centre coverage and P(alive)
with :func:`account_frame`; in the app the pack is handed the page's own inputs (survey included),
and without a session (``manage.py pack``) :func:`for_workspace` reads them from the workspace the
way the app does, so an account's health on its slide is the figure its page shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kamcore import health, manual_scores, tables
from kamcore.errors import KamError
from kamcore.schemas import TableKind

TEAM_SCORES = ("relationship_strength", "share_of_wallet")
EDITS_KIND, EDITS_NAME = "relationship_edits", "edits"  # where the app keeps the buying-centre edits

Reader = Callable[[str], "pd.DataFrame | None"]


@dataclass
class HealthInputs:
    """``accounts`` for ``health_scores(accounts=...)`` and the ``survey`` (either may be None)."""

    accounts: pd.DataFrame | None
    survey: health.SurveyInput | None


def account_frame(team: pd.DataFrame | None, coverage: pd.DataFrame | None,
                  future: pd.DataFrame | None) -> pd.DataFrame | None:
    """One row per account (``customer_id``) with the team scores, ``buying_centre_coverage``,
    ``p_alive`` and ``expected_revenue_12m`` that exist; None when none does. Status is never passed on.

    ``team``: ``customer_id`` and team-score columns; ``coverage``: ``kamcore.relationships.coverage``
    (``account``, ``coverage_score``); ``future``: ``account``, ``p_alive`` and, when there,
    ``expected_revenue_12m`` (``kamcore.clv``).

    >>> team = pd.DataFrame({"customer_id": ["1", "2"], "relationship_strength": [4.0, 2.0]})
    >>> future = pd.DataFrame({"account": ["2", "3"], "p_alive": [0.5, 0.9]})
    >>> account_frame(team, None, future).to_dict("list")
    {'customer_id': ['1', '2', '3'], 'relationship_strength': [4.0, 2.0, nan], 'p_alive': [nan, 0.5, 0.9]}
    """
    parts: list[pd.DataFrame] = []
    if team is not None and not team.empty:
        parts.append(team.assign(customer_id=team["customer_id"].astype(str)).set_index("customer_id"))
    if coverage is not None and not coverage.empty:
        parts.append(coverage.assign(customer_id=coverage["account"].astype(str)).set_index("customer_id")
                     [["coverage_score"]].rename(columns={"coverage_score": "buying_centre_coverage"}))
    if future is not None and not future.empty:
        kept = [c for c in ("p_alive", "expected_revenue_12m") if c in future.columns]
        parts.append(future.assign(customer_id=future["account"].astype(str)).set_index("customer_id")[kept])
    if not parts:
        return None
    joined = pd.concat(parts, axis=1, join="outer")
    joined = joined[~joined.index.duplicated()]
    return joined.drop(columns=["status"], errors="ignore").rename_axis("customer_id").reset_index()


def team_scores(ws: Any, accounts_name: str | None, raw: pd.DataFrame | None,
                scores_name: str | None = None) -> pd.DataFrame | None:
    """Relationship strength and share of wallet per account: the team's saved scores over the
    accounts table's (``raw``, the table ``accounts_name`` as read)."""
    initial = None
    if accounts_name and raw is not None:
        id_column = ws.table_info(accounts_name).mapping.get("customer_id")
        if id_column in raw.columns:
            initial = manual_scores.manual_scores_from_table(raw, id_column)
    payload = ws.load_object("manual_scores", scores_name or accounts_name or "accounts")
    combined = manual_scores.combine_manual_scores(
        manual_scores.manual_scores_from_payload(payload, TEAM_SCORES), initial)
    present = [c for c in TEAM_SCORES if c in combined.columns]
    if combined.empty or not present:
        return None
    return combined[["customer_id", *present]]


def saved_shortlist(ws: Any, scores_name: str | None) -> list[str]:
    """The saved key-account shortlist's ids (the accounts table's, else any saved one)."""
    payload = ws.load_object("shortlist", scores_name or "accounts") or {}
    if not payload:
        for name in ws.list_objects("shortlist"):
            payload = ws.load_object("shortlist", name) or {}
            if payload:
                break
    return [str(c) for c in payload.get("customer_ids", [])]


def workspace_coverage(ws: Any, *, as_of: dt.date, accounts: Sequence[str],
                       read: Reader | None = None) -> pd.DataFrame | None:
    """``kamcore.relationships.coverage`` of the workspace's first contacts, people and links
    tables with the app's edits applied (``accounts``: the key accounts to include), or None
    without contacts and edits."""
    from kamcore import relationships as rel

    loaded: dict[TableKind, pd.DataFrame | None] = {}
    for kind in (TableKind.contacts, TableKind.people, TableKind.links):
        names = [info.name for info in ws.tables(kind)]
        loaded[kind] = _canonical(ws, names[0], read) if names else None
    edits = list((ws.load_object(EDITS_KIND, EDITS_NAME) or {}).get("edits", []))
    if loaded[TableKind.contacts] is None and not edits:
        return None
    frames = rel.apply_edits(loaded[TableKind.contacts], loaded[TableKind.people], loaded[TableKind.links], edits)
    return rel.coverage(*frames, as_of=as_of, accounts=list(accounts))


def _canonical(ws: Any, name: str, read: Reader | None) -> pd.DataFrame | None:
    raw = read(name) if read is not None else ws.read_table(name)
    return None if raw is None else tables.canonical(raw, ws.table_info(name).mapping)


def future_values(transactions: pd.DataFrame | None) -> pd.DataFrame | None:
    """P(alive) and the next 12 months' expected revenue per account (``account``, ``p_alive``,
    ``expected_revenue_12m``) from all of ``transactions``, fitted as the
    app's *Future value* view fits it; None when the models cannot be fitted to this data."""
    from kamcore import clv

    if transactions is None or not {"customer_id", "date", "revenue"} <= set(transactions.columns):
        return None
    try:
        return clv.future_value(transactions, None).accounts[["account", "p_alive", "expected_revenue_12m"]]
    except KamError:
        return None


def for_workspace(ws: Any, transactions: pd.DataFrame | None, *, accounts_name: str | None,
                  accounts_raw: pd.DataFrame | None, survey: health.SurveyInput | None = None,
                  future: pd.DataFrame | None = None) -> HealthInputs:
    """Everything health reads besides ``transactions`` (all of the workspace's sales), without a
    session: what ``manage.py pack`` scores with. ``survey``: the survey prepared for health (the
    pack's); ``future`` skips the P(alive) fit when given."""
    as_of = (transactions["date"].max().date() if transactions is not None and "date" in transactions
             and transactions["date"].notna().any() else dt.date.today())
    coverage = workspace_coverage(ws, as_of=as_of, accounts=saved_shortlist(ws, accounts_name))
    frame = account_frame(team_scores(ws, accounts_name, accounts_raw), coverage,
                          future if future is not None else future_values(transactions))
    return HealthInputs(frame, survey)
