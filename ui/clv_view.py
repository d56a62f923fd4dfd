"""Portfolio section "Future value": P(alive), next year's expected revenue, who is drifting away,
and how well the model predicted a hold-out period on this workspace's own data.

The models (kamcore.clv: BG/NBD and Gamma-Gamma) are fitted once per workspace, table,
filters and end date, in a background thread that the Portfolio page starts as soon as it is
drawn (:func:`prefetch`), and shared by every session; opening the view waits only if that fit
is still running, with its current step shown; changing the sub-view only redraws.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from typing import NamedTuple

import pandas as pd
import streamlit as st

from kamcore import clv
from kamcore.errors import KamError
from kamcore.schemas import FilterSettings, TableKind
from ui import account_link, charts, data, i18n, state, widgets
from ui.figures import clv as figures
from ui.i18n import fmt_date, fmt_num, fmt_pct, t
from ui.shared import keyed

SHOW = ("drifting", "accounts", "check")
#: Session-state flag: this session has opened the view (so its filters' fit is made ahead).
OPENED = "portfolio.clv_opened"
#: The model check groups accounts into this many bins of similar purchase frequency.
HOLDOUT_GROUPS = 8


def _cache_key(as_of: dt.date | None, filtered: bool = True) -> str:
    """Workspace, table version and every filter but the period (the models need all history)."""
    name = data.active_table(TableKind.transactions) or ""
    info = state.workspace().table_info(name)
    if filtered:
        filters = data.current_filters().model_copy(update={"date_from": None, "date_to": None}).model_dump_json()
    else:
        filters = "unfiltered"
    return "|".join([state.workspace_key(), name, info.content_hash, filters, str(as_of)])


#: At most one fit runs at a time in the server process (they are CPU-bound; two at once on
#: a small server would only slow each other and the pages).
_FIT_SLOTS = threading.Semaphore(1)


class _Fit(data.BackgroundJob):
    """One fit of the models, run in a background thread and shared by every session that asks
    for the same key; ``step`` says what it is doing (for the progress shown while waiting)."""

    def __init__(self, history: pd.DataFrame, as_of: dt.date | None, *, start: bool = True) -> None:
        self._lock = threading.Lock()
        self._started = False
        self.step = "queued"
        self._begin()
        self._history, self._as_of = history, as_of  # kept until started (the cached frame, not a copy)
        if start:
            self.ensure_started()

    def ensure_started(self) -> None:
        """Start the fit when no one has yet (a page may make the job first and start it once drawn)."""
        with self._lock:
            if not self._started:
                self._started = True
                history, self._history = self._history, None
                self._start(history, self._as_of)

    def _start(self, history: pd.DataFrame, as_of: dt.date | None) -> None:
        self.step = "queued"
        self._begin()
        threading.Thread(target=self._run, args=(history, as_of), name="kam-future-value", daemon=True).start()

    def retry_if_failed(self, history: pd.DataFrame, as_of: dt.date | None) -> None:
        """Start again after an unexpected failure (memory, say); a KamError (this data cannot
        be modelled) stays the answer for this key."""
        with self._lock:
            if self.done() and self._error is not None and not isinstance(self._error, KamError):
                self._start(history, as_of)

    def _run(self, history: pd.DataFrame, as_of: dt.date | None) -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: a thread has its own nice value
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # pages first
        try:
            with _FIT_SLOTS:
                # one pass over the transactions for the values and the hold-out check
                self._result = clv.future_value(
                    history, as_of, with_check=True, check_groups=HOLDOUT_GROUPS, on_step=self._at
                )
        except Exception as exc:  # handed to whoever reads the result
            self._error = exc
        finally:
            self._done.set()

    def _at(self, step: str) -> None:
        self.step = step

    def result(self) -> clv.FutureValue:
        return super().result()


def _fit(history: pd.DataFrame, key: str, as_of: dt.date | None, *, start: bool = True) -> _Fit:
    """The fit for ``key`` (workspace path, table version, filters, end date): started by the
    first caller, then shared, so a session that asks while it runs waits for that very fit.
    ``start=False``: made (and shared) but not started, for a page that starts it once drawn."""
    fit = data.background(f"future_value|{key}", lambda: _Fit(history, as_of, start=start))
    if start:
        fit.ensure_started()
        fit.retry_if_failed(history, as_of)
    return fit


def _step_label(fit: _Fit, rows: int) -> str:
    return t(f"clv.step_{fit.step}", rows=fmt_num(rows))


def _future(history: pd.DataFrame, key: str, as_of: dt.date | None, *, status: bool) -> clv.FutureValue:
    """The fitted models for ``key``: at once when already fitted (by this or another session, or
    in the background since the page opened), else after waiting with the step shown."""
    fit = _fit(history, key, as_of)
    if not fit.done():
        if status:
            with st.status(_step_label(fit, len(history)), expanded=False) as box:
                while not fit.wait(0.2):
                    box.update(label=_step_label(fit, len(history)))
                box.update(label=t("clv.fitted"), state="complete")
        else:
            with st.spinner(_step_label(fit, len(history))):
                fit.wait()
    return fit.result()


def prefetch() -> None:
    """Start fitting the models in the background for this session's workspace and filters (the
    Portfolio page calls it once drawn), so opening *Future value* later costs no wait."""
    filters = data.current_filters()
    unfiltered = filters.model_copy(update={"date_from": None, "date_to": None}) == FilterSettings()
    # Without filters the fit is the one every session shares; with filters it is fitted ahead
    # only for a session that has opened the view (no CPU spent on every filter change).
    if not (unfiltered or st.session_state.get(OPENED)):
        return
    history = data.transactions(apply_period=False)
    if history is None or not {"date", "revenue"} <= set(history.columns):
        return
    _fit(history, _cache_key(filters.date_to), filters.date_to)


def fit_done(history: pd.DataFrame, *, start: bool = True) -> bool:
    """Whether the fit on all data (``history`` is ``data.transactions(filtered=False)``: the one
    :func:`account_values` with ``filtered=False`` and :func:`account_outlook` read) is done;
    started here in the background when no one has started it (``start=False``: not yet, so a
    page can draw first without the fit competing for the processor), never waited for."""
    return _fit(history, _cache_key(None, False), None, start=start).done()


def _check(result: clv.FutureValue) -> clv.HoldoutCheck | KamError:
    """The hold-out check, or the KamError saying why this data cannot be checked."""
    if result.check is not None:
        return result.check
    error = result.check_error or {}
    return KamError(error.get("code", "clv.fit_failed"), error.get("message", ""), **error.get("params", {}))


def account_values(history: pd.DataFrame, as_of: dt.date | None = None, *, filtered: bool = True) -> pd.DataFrame | None:
    """What :func:`kamcore.clv.account_future_value` returns (``account``, ``p_alive``,
    ``expected_purchases_12m``, ``expected_revenue_12m``), cached with the portfolio view's fit,
    for pages that show or score it; None when the models cannot be fitted to this data.

    ``history`` is ``data.transactions(apply_period=False)`` (``filtered=False``: of
    ``data.transactions(filtered=False)``); ``as_of`` the period filter's end.
    """
    try:
        result = _future(history, _cache_key(as_of, filtered), as_of, status=False)
    except KamError:
        return None
    return result.accounts[["account", "p_alive", "expected_purchases_12m", "expected_revenue_12m"]]


def account_outlook(account: str) -> str | None:
    """One sentence for the key-account page: ``account``'s P(alive) and its next 12 months'
    expected purchase days and revenue, from the fit on all data that health reads (shared
    with it: no second fit); None when the models cannot be fitted or the account has no
    purchase."""
    history = data.transactions(filtered=False)
    if history is None or not {"date", "revenue"} <= set(history.columns):
        return None
    try:
        result = _future(history, _cache_key(None, False), None, status=False)
    except KamError:
        return None
    values = result.accounts
    mine = values.loc[values["account"].astype(str).to_numpy() == str(account)]
    if mine.empty:
        return None
    row = mine.iloc[0]
    return t(
        "clv.account_outlook",
        end=fmt_date(result.as_of),
        p_alive=fmt_pct(float(row["p_alive"]), 0),
        purchases=fmt_num(float(row["expected_purchases_12m"]), 1),
        revenue=fmt_num(float(row["expected_revenue_12m"])),
    )


class AccountTables(NamedTuple):
    """The per-account tables the view draws from, made once per fit and ABC ranking."""

    #: Every modelled account with its class, rank, name and ``in_view`` (figures.with_classes).
    joined: pd.DataFrame
    #: The accounts the page shows, ranked by revenue at risk (the drifting-away list's order).
    by_risk: pd.DataFrame
    #: The same accounts in ABC order (the all-accounts table's order).
    by_rank: pd.DataFrame
    #: Last year's and next year's revenue per ABC class (the all-accounts chart).
    outlook: pd.DataFrame


def account_tables(values: pd.DataFrame, classes: pd.DataFrame, names: pd.Series) -> tuple:
    """Join the fitted values to the page's ABC ranking and order them for both lists: the
    fields of :class:`AccountTables`, as a plain tuple (what ui.shared.keyed hands out)."""
    joined = figures.with_classes(values, classes, names)
    shown = joined.loc[joined["in_view"].to_numpy()]
    return (joined, figures.by_risk(shown), figures.by_rank(shown), figures.class_outlook(shown))


def render(classes: pd.DataFrame, names: pd.Series, classes_key: tuple | None = None) -> None:
    """Draw the section for the page's ABC ranking ``classes`` and display ``names``.

    ``classes_key`` identifies ``classes`` and ``names`` (the page's data key, measure and
    thresholds): with it the per-account tables are made once per fit and ranking and shared
    (ui.shared.keyed), so a change of sub-view or P(alive) limit only redraws, and a change of
    the A/B thresholds only joins the new classes (the models are not fitted again: their
    inputs are the transactions, filters and end date, not the classes).
    """
    history = data.transactions(apply_period=False)
    if history is None or not {"date", "revenue"} <= set(history.columns):
        st.info(t("clv.needs_dates"))
        return
    as_of = data.current_filters().date_to
    st.session_state[OPENED] = True
    fit_key = _cache_key(as_of)
    try:
        result = _future(history, fit_key, as_of, status=True)
    except KamError as exc:
        widgets.error(exc)
        return
    check = _check(result)
    if classes_key is None:
        tables = AccountTables(*account_tables(result.accounts, classes, names))
    else:
        tables = AccountTables(*keyed((fit_key, *classes_key), account_tables, result.accounts, classes, names))

    st.caption(t("clv.intro", end=fmt_date(result.as_of)))
    if isinstance(check, clv.HoldoutCheck):
        if check.fits_badly:
            st.warning(t("clv.warn_fit", error=fmt_pct(check.total_error, 0)), icon=":material/warning:")
        if check.regular_rhythm:
            st.warning(t("clv.warn_regular"), icon=":material/event_repeat:")
    if result.spend_fallback:
        st.caption(t("clv.spend_fallback"))

    # The models learn from every account (the lost ones teach what drifting away looks like);
    # the figures below cover the accounts the page shows (its status and period filters).
    joined, accounts = tables.joined, tables.by_risk
    if len(accounts) < len(joined):
        st.caption(t("clv.hidden_accounts", n=fmt_num(len(joined) - len(accounts))))
    cards = st.columns(4)
    cards[0].metric(
        t("clv.card_expected"),
        fmt_num(accounts["expected_revenue_12m"].sum()),
        border=True,
        help=t("clv.card_expected_help"),
    )
    cards[1].metric(
        t("clv.card_active"),
        fmt_num(int((accounts["p_alive"] >= 0.5).sum())),
        border=True,
        help=t("clv.card_active_help", n=fmt_num(len(accounts))),
    )
    cards[2].metric(
        t("clv.card_at_risk"),
        fmt_num(accounts["revenue_at_risk"].sum()),
        border=True,
        help=t("clv.card_at_risk_help"),
    )
    if isinstance(check, clv.HoldoutCheck):
        cards[3].metric(
            t("clv.card_check"), fmt_pct(check.total_error, 0), border=True, help=t("clv.card_check_help")
        )
    else:
        cards[3].metric(t("clv.card_check"), "–", border=True, help=t("clv.card_check_help"))

    show = widgets.choice(
        "clv.show", SHOW, key="portfolio.clv_show", default="drifting", option_prefix="clv.show"
    )
    if show == "drifting":
        rank = widgets.choice(
            "clv.rank", figures.RANKS, key="portfolio.clv_rank", default="risk", option_prefix="clv.rank"
        )
        st.caption(t("clv.drifting_intro") if rank == "risk" else t(f"clv.drifting_intro_{rank}"))
        below = st.slider(
            t("clv.below"),
            min_value=5,
            max_value=100,
            value=50,
            step=5,
            format=i18n.percent_format(),  # "50 %" in nb/sv, as the caption below writes it
            key="portfolio.clv_below",
            help=t("clv.below_help"),
        )
        # (the shown accounts in account order, as kamcore returns them: the quick sort)
        ordered = tables.by_risk if rank == "risk" else figures.ranked(joined.loc[joined["in_view"].to_numpy()], rank)
        table = figures.drifting_table(ordered, result.as_of, below / 100, presorted=True, rank=rank)
        drifting = accounts.loc[accounts["p_alive"].to_numpy() < below / 100]
        st.caption(
            t(
                "clv.drifting_count",
                n=fmt_num(len(drifting)),
                share=fmt_pct(below / 100, 0),
                last_year=fmt_num(drifting["last_year_revenue"].sum()),
                at_risk=fmt_num(drifting["revenue_at_risk"].sum()),
                ranking=t(f"clv.ranked_by_{rank}"),
            )
        )
        if table.empty:
            st.info(t("clv.drifting_none"))
        else:
            shown = table.head(figures.DRIFTING_ROWS)
            account_link.account_table(  # a row opens the account's page
                shown,
                shown[t("portfolio.col_customer")].astype(str).tolist(),
                hide_index=True,
                key="portfolio.clv_drifting",
                decimals={
                    t("clv.col_p_alive"): 1,
                    t("clv.col_last_year"): 0,
                    t("clv.col_change"): 0,
                    t("clv.col_change_pct"): 1,
                    t("clv.col_at_risk"): 0,
                    t("clv.col_expected_revenue"): 0,
                },
            )
            if len(table) > len(shown):
                st.caption(t("clv.drifting_more", shown=fmt_num(len(shown)), total=fmt_num(len(table))))
            widgets.download_buttons(table, "drifting_away", key="portfolio.clv_drifting_download")
    elif show == "accounts":
        charts.show(figures.class_outlook_figure(tables.outlook), key="portfolio.clv_outlook")
        table = figures.accounts_table(tables.by_rank, presorted=True)
        shown = table.head(figures.ACCOUNT_ROWS)
        account_link.account_table(  # a row opens the account's page
            shown,
            shown[t("portfolio.col_customer")].astype(str).tolist(),
            hide_index=True,
            key="portfolio.clv_accounts",
            decimals={
                t("portfolio.col_rank"): 0,
                t("clv.col_p_alive"): 1,
                t("clv.col_expected_purchases"): 1,
                t("clv.col_last_year"): 0,
                t("clv.col_expected_revenue"): 0,
            },
        )
        if len(table) > len(shown):
            st.caption(t("clv.drifting_more", shown=fmt_num(len(shown)), total=fmt_num(len(table))))
        widgets.download_buttons(table, "future_value", key="portfolio.clv_accounts_download")
    elif isinstance(check, clv.HoldoutCheck):
        charts.show(figures.holdout_figure(check), key="portfolio.clv_holdout")
        st.caption(
            t(
                "clv.holdout_caption",
                cal_end=fmt_date(check.calibration_end),
                end=fmt_date(check.holdout_end),
                actual=fmt_num(check.total_actual),
                predicted=fmt_num(check.total_predicted),
                error=fmt_pct(check.total_error, 0),
            )
        )
        i18n.dataframe(
            figures.holdout_table(check),
            hide_index=True,
            key="portfolio.clv_holdout_table",
            decimals={t("clv.col_actual"): 2, t("clv.col_predicted"): 2},
        )
    else:
        widgets.error(check)
