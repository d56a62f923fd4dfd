"""The sections of the key-account page above the plan: the account, health and why, money and
classes, selection, survey. Each is one function the page calls in order."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from kamcore import portfolio, tables
from kamcore import survey as survey_stats
from kamcore.errors import KamError
from ui import (
    account_facts,
    account_health,
    account_link,
    anonymity,
    charts,
    data,
    i18n,
    key_accounts,
    widgets,
)
from ui.figures import account as figures
from ui.i18n import fmt_date, fmt_num, t
from ui.shared import keyed

ATTITUDE_WORDS = ("tilfreds", "fornøyd", "nöjd", "satisf")
REPEAT_WORDS = ("gjenkjøp", "återköp", "repeat", "kjøpe igjen", "köpa igen")


def _account_ids(txn: pd.DataFrame) -> tuple[str, ...]:
    """Every account id in the transactions, as text, sorted."""
    return tuple(sorted(set(txn["customer_id"].dropna().unique().astype(str).tolist())))


def _account_ids_boxed(txn: pd.DataFrame) -> SimpleNamespace:
    """``_account_ids`` in a namespace (``.ids``), which ui.shared.keyed hands out as it is."""
    return SimpleNamespace(ids=_account_ids(txn))


def _largest_account(txn: pd.DataFrame) -> str:
    """The account with the most revenue (the picker's last resort)."""
    return str(txn.groupby(txn["customer_id"].astype(str))["revenue"].sum().idxmax())


def _largest_by_codes(txn: pd.DataFrame, codes: SimpleNamespace) -> str:
    """:func:`_largest_account` on the ids' integer codes (``key_accounts.account_codes``): the same
    groupby sum in the same order (the codes follow the text ids' order), without grouping text."""
    revenue = txn["revenue"].to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(revenue)
    n = len(codes.ids)
    # plain sums first, with a bound on how far they can be from pandas' (compensated) sums:
    # n * eps * sum|x| per account; only accounts within reach of the largest are summed again as
    # pandas sums them (almost always one: then it is the largest)
    sums = np.bincount(codes.codes[known], weights=revenue[known], minlength=n)
    slack = (np.bincount(codes.codes[known], weights=np.abs(revenue[known]), minlength=n)
             * np.bincount(codes.codes[known], minlength=n) * np.finfo(float).eps * 2)
    top = int(np.argmax(sums))
    near = np.flatnonzero(sums + slack >= sums[top] - slack[top])
    if len(near) == 1:
        return codes.ids[top]
    mine = np.isin(codes.codes, near)
    exact = txn["revenue"][mine].groupby(codes.codes[mine]).sum()
    return codes.ids[int(exact.idxmax())]


def _rows_by_account(txn: pd.DataFrame) -> MappingProxyType:
    """Account id (as text) -> positions of its transactions, in order (read-only: handed out
    as it is, not copied entry by entry). Made on integer codes: one stable sort of a million."""
    codes, ids = pd.factorize(txn["customer_id"], use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes[codes >= 0], minlength=len(ids))
    ends = np.cumsum(counts) + int((codes < 0).sum())  # missing ids (code -1) sort first
    starts = ends - counts
    found: dict[str, np.ndarray] = {}
    for name, start, end in zip(np.asarray(ids).astype(str).tolist(), starts.tolist(), ends.tolist(), strict=True):
        found[name] = order[start:end] if name not in found else np.sort(np.concatenate([found[name], order[start:end]]))
    return MappingProxyType(found)


def _month_span(txn: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First days of the first and the last month with a dated transaction (None without)."""
    dates = pd.to_datetime(txn["date"])
    if dates.notna().sum() == 0:
        return None
    return dates.min().to_period("M").to_timestamp(), dates.max().to_period("M").to_timestamp()


def monthly_series(txn: pd.DataFrame, frame_key: tuple | None, account: str, with_profit: bool) -> pd.DataFrame:
    """``portfolio.monthly_series`` of ``account`` on all transactions: with ``frame_key``
    (``data.transactions_keyed``'s) read from the account's own rows, found once per data key
    (a million rows were compared and converted to text on every run), with every month of
    the whole data as the full call gives."""
    profit = "profit" if with_profit else None
    span = keyed((*frame_key, "account.month_span"), _month_span, txn) if frame_key is not None else None
    # the account's rows of only the columns the series reads (taking rows out of a million-line
    # frame costs per column, the text ones most; issue 19)
    read = txn[[c for c in ("customer_id", "date", "revenue", profit) if c is not None and c in txn]]
    mine = _own_lines(read, frame_key, account) if span else None  # by the ids' codes (no positions per account)
    if span and mine is None:  # ids that are not text: the positions of every account, once per key
        rows = keyed((*frame_key, "account.rows"), _rows_by_account, txn).get(account)
        mine = read.iloc[rows] if rows is not None else None
    if mine is None or mine.empty:  # no key, no dates or no rows of this account: the full call
        return portfolio.monthly_series(txn.assign(customer_id=txn["customer_id"].astype(str)), account,
                                        "customer_id", "date", "revenue", profit)
    series = portfolio.monthly_series(mine.assign(customer_id=mine["customer_id"].astype(str)), account,
                                      "customer_id", "date", "revenue", profit)
    months = pd.date_range(span[0], span[1], freq="MS", name="month")
    return series.set_index("month").reindex(months, fill_value=0.0).reset_index()


def _picker(found: tuple[str, ...], names: Mapping[str, str]) -> SimpleNamespace:
    """The picker's options (the ids in the data, and named accounts without sales), their labels
    and the options as a set (a namespace: ui.shared.keyed hands it out as it is)."""
    known = set(found)
    # the usual case: the sorted ids of the data key as they are
    ids = tuple(found) if all(a in known for a in names) else tuple(sorted(known | set(names)))
    labels = MappingProxyType({a: f"{a} · {names.get(a, a)}" for a in ids})
    return SimpleNamespace(ids=ids, labels=labels, id_set=frozenset(ids))


def pick_account(txn: pd.DataFrame, names: dict[str, str], short_ids: list[str],
                 frame_key: tuple | None = None) -> str:
    """The account picker: the one asked for in the link or by another page, else the first key
    account, else the largest; the choice goes back into the URL (``?account=``)."""
    # (50,000 accounts: the switch is looked up once, not once per account)
    anonymised = anonymity.on()
    # (in a namespace: ui.shared.keyed hands a tuple out element by element, 50,000 of them every run)
    codes = key_accounts.account_codes(frame_key, txn) if frame_key is not None else None
    if codes is not None:  # the ids' codes' distinct ids: the same sorted text ids (issue 19)
        found = codes.ids
    else:
        found = (keyed((*frame_key, "account.ids"), _account_ids_boxed, txn).ids if frame_key is not None
                 else _account_ids(txn))
    if anonymised:
        ids = sorted(set(found) | set(names), key=anonymity.account_sort_key)
        labels = {a: anonymity.account(a) for a in ids}
        id_set = set(ids)
    else:  # the options and their labels once per data key and names, for every session
        picker = (keyed((*frame_key, "account.picker", data.accounts_key(filtered=False)), _picker, found, names)
                  if frame_key is not None else _picker(found, names))
        ids, labels, id_set = picker.ids, picker.labels, picker.id_set
    requested = anonymity.real_account(st.query_params.get("account")) or st.session_state.get(account_link.SELECTED)
    if requested in id_set and requested != st.session_state.get("account.pick"):
        st.session_state["account.pick"] = requested
    if st.session_state.get("account.pick") not in id_set:
        first = next((a for a in short_ids if a in id_set), None)
        if first is None:
            if codes is not None:
                first = keyed((*frame_key, "account.largest.codes"), _largest_by_codes, txn, codes)
            else:
                first = (keyed((*frame_key, "account.largest"), _largest_account, txn) if frame_key is not None
                         else _largest_account(txn))
        st.session_state["account.pick"] = first

    def remember() -> None:
        chosen = st.session_state["account.pick"]
        st.session_state[account_link.SELECTED] = chosen
        st.query_params["account"] = anonymity.account(chosen)

    account = st.selectbox(t("account.pick"), ids, format_func=labels.__getitem__, key="account.pick",
                           on_change=remember, help=t("account.pick_help"))
    st.query_params["account"] = anonymity.account(account)
    st.session_state[account_link.SELECTED] = account
    st.caption(t("account.scope_note"))
    return account


def _own_lines(txn: pd.DataFrame, frame_key: tuple, account: str) -> pd.DataFrame | None:
    """The transactions of ``account``, in order, found by its integer code (``key_accounts.account_codes``,
    once per data key); None when the ids are not text without missing ones."""
    codes = key_accounts.account_codes(frame_key, txn)
    if codes is None:
        return None
    code = codes.code.get(account)
    return txn.iloc[np.flatnonzero(codes.codes == code)] if code is not None else txn.iloc[:0]


def _account_rows(account: str) -> pd.DataFrame | None:
    """``data.accounts(filtered=False)``, or without an accounts table only the rows it would give
    ``account`` (the roll-up of its own transactions: one group of ``tables.derive_accounts``,
    the same values, without rolling up every account at a million lines; issue 19)."""
    found = data.transactions_keyed(filtered=False)
    if found is None or key_accounts.has_accounts_table() or "customer_id" not in found[0]:
        return data.accounts(filtered=False)
    mine = _own_lines(found[0], found[1], account)
    return tables.derive_accounts(mine) if mine is not None else data.accounts(filtered=False)


def facts(account: str, names: dict[str, str], short_ids: list[str]) -> None:
    """Name, region, industry, owner, segment of the account (as text, never markdown)."""
    frame = _account_rows(account)
    row = None
    if frame is not None:
        match = frame[frame["customer_id"].astype(str) == account]
        row = match.iloc[0] if len(match) else None
    shown = [("customer_name", names.get(account, account))]
    for role in ("region", "industry", "owner", "segment", "cluster"):
        if row is not None and role in row.index and pd.notna(row[role]):
            shown.append((role, str(row[role])))
    i18n.dataframe(pd.DataFrame({t("account.col_fact"): [t(f"app.role_{r}") for r, _ in shown],
                                 t("account.col_value"): [v for _, v in shown]}), hide_index=True, width="content")
    if account in short_ids:
        st.caption(t("account.on_shortlist"))


def health_section(account: str) -> pd.DataFrame | None:
    """Health, its band and rank, the components, what pulls it down and the measures behind it.

    While the future-value model is still being fitted on a large workspace, health is drawn at
    once without its future-value part, a status box says so and the page reruns when the fit is
    done (``key_accounts.future_status``). Returns the health inputs besides sales it scored with
    (``key_accounts.health_accounts``: the plan below reads the same)."""
    st.subheader(t("account.health_title"))
    if account_health.pending("account"):  # a large workspace: health computed after the first paint (issue 19)
        account_health.status("account")
        key_accounts.weights_editor("account")
        return key_accounts.health_accounts(wait=key_accounts.future_ready())
    ready = key_accounts.future_status()
    chosen_weights = key_accounts.weights_editor("account")
    inputs = key_accounts.health_accounts(wait=ready)
    try:
        scores = key_accounts.health_table(chosen_weights, accounts=inputs, kept=account_health.results("account"))
    except KamError as exc:
        widgets.stop_with_error(exc)
    me = scores[scores["account"].to_numpy() == account] if scores is not None else pd.DataFrame()
    if me.empty:
        st.info(t("account.no_health"))
        return inputs
    h = me.iloc[0]
    left, right = st.columns([1, 2])
    left.metric(t("account.health"), key_accounts.score_text(h["health"]), border=True, help=t("account.health_help"))
    left.metric(t("account.band"), key_accounts.band_label(h["band"]), border=True)
    left.caption(t("account.health_rank", rank=fmt_num(int(me.index[0]) + 1), n=fmt_num(len(scores))))
    with right:
        charts.show(figures.components_figure(h), key="account.components_chart")
    if h["driver_codes"] and float(h["health"]) < 99.5:  # nothing pulls a score shown as 100 down
        st.write(t("account.drivers", drivers=key_accounts.driver_text(h["driver_codes"])))
    if h["missing"]:
        st.caption(t("account.missing_components", components=key_accounts.missing_text(h["missing"])))
    i18n.dataframe(key_accounts.health_measures(h), hide_index=True, width="content")
    st.caption(t("account.as_of", date=fmt_date(h["as_of"])))
    from ui import clv_view  # issue 18: P(alive) and expected value beside health

    outlook = clv_view.account_outlook(account) if ready else None
    if outlook:
        st.caption(outlook)
    return inputs


def money_section(txn: pd.DataFrame, account: str, frame_key: tuple | None = None) -> None:
    """Monthly revenue and profit against last year, ABC classes and their movement, whale curve, churn."""
    st.subheader(t("account.money_title"))
    with_profit = "profit" in txn.columns
    series = monthly_series(txn, frame_key, account, with_profit)
    charts.show(figures.trend_figure(series, with_profit), key="account.trend_chart")
    facts_all = account_facts.facts()
    if facts_all is None:  # a large workspace: computed after the first paint (issue 19)
        account_facts.status()
        return
    classes = key_accounts.class_rows(facts_all, account)
    if classes is not None:
        previous, current = facts_all["periods"]
        i18n.dataframe(classes, hide_index=True, width="stretch")
        st.caption(t("account.class_periods", prev_start=fmt_date(previous.start), prev_end=fmt_date(previous.end),
                     cur_start=fmt_date(current.start), cur_end=fmt_date(current.end)))
    whale = key_accounts.whale_sentence(facts_all, account)
    if whale:
        st.write(whale)
    churn = facts_all.get("churn")
    if churn is not None:
        flag = key_accounts.churn_sentence(churn, account)
        if flag is None:
            st.caption(t("account.churn_none"))
        else:
            st.warning(flag, icon=":material/trending_down:")


def selection_section(account: str) -> None:
    """The account's McDonald box, rank, the two axes and the criteria behind them."""
    facts_all = account_facts.facts()
    scored = facts_all.get("selection") if facts_all is not None else None  # None: see money_section
    if scored is None:
        return
    mine = scored.loc[scored["customer_id"].astype(str).to_numpy() == account]
    if mine.empty:
        return
    st.subheader(t("account.selection_title"))
    s = mine.iloc[0]
    cards = st.columns([1.6, 1, 1, 1])  # the box name is long in Norwegian and Swedish
    cards[0].metric(t("account.selection_box"), t(f"selection.category_{s['category']}"), border=True)
    cards[1].metric(t("account.selection_rank"), fmt_num(int(s["rank"])), border=True)
    cards[2].metric(t("account.selection_attractiveness"), fmt_num(s["attractiveness"]), border=True)
    cards[3].metric(t("account.selection_strength"), fmt_num(s["strength"]), border=True)
    model = facts_all["selection_model"]
    i18n.dataframe(pd.DataFrame({
        t("account.col_criterion"): [t(f"selection.criterion_{c.name}") for c in model.criteria],
        t("account.col_axis"): [t(f"account.axis_{c.axis}") for c in model.criteria],
        t("account.col_weight"): [c.weight for c in model.criteria],
        t("account.col_score"): [s.get(f"score__{c.name}") for c in model.criteria],
    }), hide_index=True, width="stretch", column_config={t("account.col_score"): st.column_config.ProgressColumn(
        min_value=0, max_value=100, format="%.0f")})
    team = key_accounts.team_scores()
    if team is not None:
        mine = team[team["customer_id"].astype(str) == account]
        if not mine.empty:
            parts = [t("account.team_score", name=t(f"selection.criterion_{c}"), value=fmt_num(mine.iloc[0][c], 1))
                     for c in key_accounts.TEAM_SCORES if c in mine.columns and pd.notna(mine.iloc[0][c])]
            if parts:
                st.caption(t("account.team_scores", scores="; ".join(parts)))


def _item(prepared: Any, words: tuple[str, ...]) -> str | None:
    for r in getattr(prepared.dictionary, "rows", []):
        text = f"{r.item} {r.question}".casefold()
        if r.role == "plain" and any(w in text for w in words) and r.item in prepared.responses.columns:
            return r.item
    return None


def survey_section(account: str, prepared: Any) -> None:
    """The account's respondents' gaps per key area against all customers, NPS and loyalty types."""
    if prepared is None or account_health.pending("account"):  # relative to all customers: after health (issue 19)
        return
    kept = account_health.results("account").get("survey")  # what the background computed, if it did
    measures = key_accounts.survey_measures() if kept is None else kept.copy(deep=False)  # once per data key
    if measures is None:
        return
    st.subheader(t("account.survey_section"))
    if account not in measures.index:
        st.caption(t("account.survey_none"))
        return
    mine = measures.loc[account]
    try:
        everyone = survey_stats.customer_gap_by_dimension(prepared.responses, prepared.dictionary)
    except KamError:
        everyone = pd.DataFrame(columns=["dimension", "mean_gap"])
    all_gap = everyone.set_index("dimension")["mean_gap"] if len(everyone) else pd.Series(dtype=float)
    areas = pd.DataFrame({"area": [c.split("::", 1)[1] for c in measures.columns if c.startswith("gap::")]})
    areas["account_gap"] = [mine[f"gap::{a}"] for a in areas["area"]]
    areas["all_gap"] = [all_gap.get(a) for a in areas["area"]]
    charts.show(figures.survey_figure(areas), key="account.survey_chart")
    ids_in_survey = prepared.responses[prepared.account].astype("string").str.strip()
    line = [t("account.survey_respondents", n=fmt_num(int((ids_in_survey == account).sum())))]
    if pd.notna(mine.get("nps")):
        overall = None
        if prepared.recommend:
            try:
                overall = survey_stats.nps(prepared.responses[prepared.recommend]).score
            except KamError:
                overall = None
        line.append(t("account.survey_nps", nps=fmt_num(mine["nps"]), all=fmt_num(overall)))
    attitude, repeat = _item(prepared, ATTITUDE_WORDS), _item(prepared, REPEAT_WORDS)
    if attitude and repeat and prepared.scale:
        try:
            result = survey_stats.loyalty_types(prepared.responses[attitude], prepared.responses[repeat],
                                                scale=prepared.scale)
            kinds = result.table.loc[result.table.index.intersection(
                ids_in_survey[ids_in_survey == account].index), "loyalty_type"]
            if len(kinds):
                line.append(t("account.survey_loyalty", types=", ".join(
                    f"{t(f'survey.loyalty_{k}')} ({fmt_num(v)})" for k, v in kinds.value_counts().items())))
        except KamError:
            pass
    st.write(" · ".join(line))
