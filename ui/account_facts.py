"""The Account page's portfolio facts (ABC movement on revenue and profit, churn flags, whale curve,
selection scores: ``key_accounts.portfolio_facts``) after the first paint on a large workspace
(issue 19), once the health of every account is computed (ui/account_health.py: one background
computation at a time, so the one the page waits for first gets the machine).

They need every account's figures (classes, ranks and the whale curve are relative to the whole
portfolio), about a second over a million rows. On a large workspace they are computed once per
data key and inputs in a background thread, shared by every session, started once the page is
drawn (:func:`start`); meanwhile the page shows a status box and reruns itself when they are ready
(:func:`status`). The figures are those of the very same function (``key_accounts._portfolio_facts``
on the same inputs), so nothing shown changes. Small workspaces (up to :data:`WAIT_ROWS`
transactions) compute them at once, as before.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import account_health, data, key_accounts
from ui.i18n import t
from ui.shared import handout, keyed

THREAD_NAME = "kam-account-facts"
#: up to this many transactions the facts are computed at once (as ``key_accounts.WAIT_ROWS``)
WAIT_ROWS = 100_000


def _large(call: tuple) -> bool:
    return len(call[2]) > WAIT_ROWS  # call: (key, fn, txn, accounts, manual, weights)


def _job(call: tuple) -> data.DeferredJob:
    # call: (key, fn, *args): the key names the work, fn(*args) does it
    return data.background(repr(("account_facts", *call[0])), lambda: data.DeferredJob(call[1], call[2:], THREAD_NAME))


def facts() -> dict[str, Any] | None:
    """``key_accounts.portfolio_facts()`` when it can be had now; None while it is being computed
    in the background (a large workspace). ``{}`` without transactions."""
    call = key_accounts.portfolio_facts_call()
    if call is None:
        return {}
    if not _large(call):
        return keyed(*call)
    job = _job(call)
    if not job.done():
        return None
    return handout(job.result())  # an unexpected error of the computation is raised here, as before


def start() -> None:
    """Start the background computation if it is not running yet (the page calls it once drawn,
    so that it does not compete with drawing the page)."""
    if account_health.pending("account"):  # one after the other: health first (ui/account_health.py)
        return
    call = key_accounts.portfolio_facts_call()
    if call is not None and _large(call):
        _job(call).ensure_started()


def status() -> None:
    """While the facts are being computed: a status box saying so and a fragment that reruns the
    page once they are ready (the first check after the page's run starts them, should the page
    have stopped before :func:`start`)."""
    box = st.status(t("account_facts.computing"), state="running", expanded=True)
    box.write(t("account_facts.meanwhile"))
    call = key_accounts.portfolio_facts_call()
    job = _job(call) if call is not None and _large(call) else None
    health = account_health.job("account")  # computed first: the facts start once it is done (not beside it)
    runs: list[int] = []  # this fragment's runs: the first is part of the page's run

    @st.fragment(run_every=1.0)
    def _look() -> None:
        if job is None:
            st.rerun()
        if runs and (health is None or health.done()):
            job.ensure_started()
        if job.done():
            st.rerun()
        runs.append(1)

    _look()
