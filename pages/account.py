"""One key account: health and why, money, classes, selection, survey, buying centre and its plan."""

from __future__ import annotations

import streamlit as st

from ui import (
    account_facts,
    account_health,
    account_plan,
    account_print,
    account_sections,
    data,
    key_accounts,
    relationships,
    router,
    widgets,
)
from ui.i18n import t

router.require_router()

st.html(key_accounts.PRINT_CSS)
st.html(account_print.CSS)
st.title(t("account.title"))
found = data.transactions_keyed(filtered=False)
txn, frame_key = found if found is not None else (None, None)
widgets.require(txn, "account.no_data")
widgets.require(None if "date" not in txn or "revenue" not in txn else txn, "account.needs_dates")
names = key_accounts.names()
short_ids, _saved_at = key_accounts.shortlist()

account = account_sections.pick_account(txn, names, short_ids, frame_key)
account_sections.facts(account, names, short_ids)
inputs = account_sections.health_section(account)  # team scores, coverage, P(alive): read once
account_sections.money_section(txn, account, frame_key)
account_sections.selection_section(account)
prepared = key_accounts.survey()
account_sections.survey_section(account, prepared)

st.subheader(t("app.page_relationships"))
relationships.account_section(account, key="account.relationships")

account_plan.render(account, txn, prepared, inputs)
account_health.start("account")  # once the page is drawn (issue 19): health of every account, if not computed yet
key_accounts.start_future()  # then (issue 19): the future-value fit, if not running yet
account_facts.start()  # and the portfolio facts of a large workspace, if not computed yet
