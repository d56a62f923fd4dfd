"""Health of every account after the first paint on a large workspace (issue 19): the Account and
Plans pages' portfolio-wide health work.

Health is relative to the whole portfolio (an account's margin against the portfolio's, its survey
gaps against all customers', its rank among all accounts), so it cannot be given for one account
alone. Its costly part is the pass over every sales line (``kamcore.health.sales_measures``), the
survey measures of every account (``kamcore.health.survey_measures``) and, for the Plans page's
list, every account's monthly revenue (``kamcore.health.monthly_revenue``): about a second over a
million lines. On a large workspace (more than :data:`WAIT_ROWS` transactions) these are computed
once per data key and survey in a background thread shared by every session, started once the
page is drawn (:func:`start`); meanwhile the pages draw everything else, show a status box saying
what is being computed (:func:`status`) and rerun themselves when it is done. They are computed
into the very cache entries ``key_accounts.health_table`` and the Plans page read (the same
functions on the same inputs), so nothing shown changes. Small workspaces compute them at once,
in the page's run, as before.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui import data, key_accounts
from ui.i18n import fmt_num, t

THREAD_NAME = "kam-account-health"
#: up to this many transactions health is computed at once (as ``key_accounts.WAIT_ROWS``)
WAIT_ROWS = 100_000


def _work(frame_key: tuple, txn: pd.DataFrame, prepared: Any, survey_key: str, page: str) -> dict[str, Any]:
    """The portfolio-wide health work, into ``ui.shared.keyed``'s entries (the keys the pages read;
    an entry already made is not made again), and kept in the job too (:func:`results`: keyed's
    entries live ten minutes, the job an hour): the 12-month trends only for the Plans page's list."""
    kept: dict[str, Any] = {"sales": key_accounts.health_sales(frame_key, txn, None)}
    if prepared is not None:
        kept["survey"] = key_accounts.health_survey_table(frame_key, prepared, survey_key)
    if page == "plans":
        kept["trends"] = key_accounts.trends(frame_key, txn)
    return kept


def _call(page: str) -> tuple | None:
    """``(frame_key, txn, prepared survey, survey key, page)`` of this session's data; None when
    health has nothing to be computed from or the data is small enough to compute it at once."""
    found = data.transactions_keyed(filtered=False)
    if found is None or "date" not in found[0] or "revenue" not in found[0] or len(found[0]) <= WAIT_ROWS:
        return None
    txn, frame_key = found
    found_survey = key_accounts._survey_table()
    prepared = found_survey[2] if found_survey else None
    return frame_key, txn, prepared, key_accounts._survey_key(found_survey), page


def _job(call: tuple) -> data.DeferredJob:
    frame_key, _txn, _prepared, survey_key, page = call
    return data.background(repr(("account_health", *frame_key, survey_key, page)),
                           lambda: data.DeferredJob(_work, call, THREAD_NAME))


def job(page: str) -> data.DeferredJob | None:
    """This session's background health computation for ``page`` ("account" or "plans": the
    latter with the trends of its list); None on a small workspace or without data."""
    call = _call(page)
    return _job(call) if call is not None else None


def pending(page: str) -> bool:
    """Whether health is still being computed in the background (a large workspace): the page then
    shows :func:`status` instead of health. False when it can be had now (computed in the page's
    run if not yet there: a small workspace, or the background computation done or failed)."""
    found = job(page)
    return found is not None and not found.done()


def results(page: str) -> dict[str, Any]:
    """What the finished background computation of ``page`` made (``"sales"``: the sales measures
    up to the data's last day, ``"survey"``: the survey measures, ``"trends"`` on Plans), for the
    page to read instead of computing it again once ``keyed``'s entries have expired; empty on a
    small workspace, while it runs, or when it failed (the page then computes in its run)."""
    found = job(page)
    if found is None or not found.done() or found._error is not None:
        return {}
    return dict(found._result)


def start(page: str) -> None:
    """Start the background computation if it is not running yet (the pages call it once drawn,
    so that it does not compete with drawing them)."""
    call = _call(page)
    if call is not None:
        _job(call).ensure_started()


def status(page: str) -> None:
    """While health is being computed: a status box saying what (``page``: "account" or "plans",
    whose sentence says what waits for it) and a fragment that reruns the page once it is done
    (its first check after the page's run starts the work, should the page have stopped early)."""
    call = _call(page)
    rows = len(call[1]) if call is not None else 0
    box = st.status(t("account_health.computing", rows=fmt_num(rows)), state="running", expanded=True)
    box.write(t(f"account_health.meanwhile_{page}"))
    job = _job(call) if call is not None else None
    runs: list[int] = []  # this fragment's runs: the first is part of the page's run

    @st.fragment(run_every=1.0)
    def _look() -> None:
        if job is None:
            st.rerun()
        if runs:
            job.ensure_started()
        if job.done():
            st.rerun()
        runs.append(1)

    _look()
