"""Shared data for the account page and the key-account follow-up page (cached per workspace)."""

from __future__ import annotations

import json
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from kamcore import health, manual_scores, plans, portfolio, selection
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from ui import data, state
from ui.i18n import fmt_num, fmt_pct, t
from ui.shared import handout, keyed

TEAM_SCORES = ("relationship_strength", "share_of_wallet")
#: Print styles of the key-account pages: no sidebar, header, forms, editors or buttons, and the
#: main block unboxed (Streamlit scrolls it inside a fixed-height frame, which printed one page only).
PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stForm"], [data-testid="stExpander"], [data-testid="stFileUploader"],
  [data-testid="stDownloadButton"], .stButton, [data-testid="stElementToolbar"],
  [data-testid="stBottom"], .modebar-container { display: none !important; }
  html, body, #root, .stApp, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"],
  [data-testid="stMainBlockContainer"], section.main {
    overflow: visible !important; height: auto !important; min-height: 0 !important; position: static !important;
  }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
  /* charts and tables keep the width they were drawn with on screen: landscape paper, and the
     page laid out as wide as a large screen's main area (1,047 px / 0.7) then scaled to the paper */
  @page { size: A4 landscape; margin: 10mm; }
  [data-testid="stMain"] { zoom: 0.7; }
  .st-key-account-exchange { display: none !important; }
  [data-testid="stPlotlyChart"], [data-testid="stMetric"], [data-testid="stDataFrame"] { break-inside: avoid; }
}
</style>"""
WEIGHTS_KEY = "health._weights"  # not a widget key: the weights outlive a page switch


def _names_of(frame: pd.DataFrame | None) -> MappingProxyType:
    if frame is None or "customer_id" not in frame:
        return MappingProxyType({})
    frame = frame.assign(customer_id=frame["customer_id"].astype(str)).drop_duplicates("customer_id")
    name = frame["customer_name"] if "customer_name" in frame else frame["customer_id"]
    return MappingProxyType(dict(zip(frame["customer_id"], name.fillna(frame["customer_id"]).astype(str),
                                     strict=True)))


def names() -> MappingProxyType:
    """Account id -> name (all accounts, whatever the sidebar filters), read-only: made once per
    data key and accounts table for every session (ui.shared.keyed), handed out as it is.
    Without an accounts table the names are the transactions' (``_names_of(derive_accounts(...))``,
    taken without rolling up every account: :func:`names_from_transactions`)."""
    found = data.transactions_keyed(filtered=False)
    if found is None:
        return _names_of(data.accounts(filtered=False))
    txn, frame_key = found
    if not has_accounts_table() and "customer_id" in txn:
        return keyed((*frame_key, "account.names.transactions"), names_from_transactions, txn,
                     account_codes(frame_key, txn))
    return keyed((*frame_key, "account.names", data.accounts_key(filtered=False)), _all_names)


def has_accounts_table() -> bool:
    """Whether an accounts table with an id column is active (``data.accounts`` then starts from
    it; without one it is the transactions' roll-up)."""
    name = data.active_table(TableKind.accounts)
    master = data.canonical_table(name) if name else None
    return master is not None and "customer_id" in master


def _all_names() -> MappingProxyType:
    return _names_of(data.accounts(filtered=False))


def account_codes(frame_key: tuple, txn: pd.DataFrame) -> SimpleNamespace | None:
    """The transactions' account ids as integer codes, once per data key (ui.shared.keyed; issue 19):
    ``.codes`` (one per line, in id order), ``.ids`` (the distinct ids as text, sorted: a tuple) and
    ``.code`` (id -> code). Only for text ids without missing ones (None otherwise): their codes'
    order is then the text order every roll-up by ``customer_id.astype(str)`` groups in."""
    return keyed((*frame_key, "account.codes"), _account_codes, txn)


def _account_codes(txn: pd.DataFrame) -> SimpleNamespace | None:
    ids = txn["customer_id"] if "customer_id" in txn else None
    if ids is None or ids.dtype == object or not pd.api.types.is_string_dtype(ids.dtype) or ids.isna().any():
        return None
    # ``pd.factorize(ids, sort=True)``, remembered per column by kamcore.portfolio: the survey's
    # repeat purchases and the portfolio analyses factorise the same cached column (issue 19)
    codes, uniques = portfolio.customer_codes(ids)
    codes.setflags(write=False)  # shared by every session
    distinct = tuple(pd.Series(uniques).astype(str).tolist())
    return SimpleNamespace(codes=codes, ids=distinct, code=MappingProxyType({a: i for i, a in enumerate(distinct)}))


def names_from_transactions(txn: pd.DataFrame, codes: SimpleNamespace | None = None) -> MappingProxyType:
    """``_names_of(tables.derive_accounts(txn))`` without the roll-up of every column (issue 19:
    0.36 s at a million lines): each account's last non-missing name in the lines' order
    (``groupby(...).last()``), its id when it has none, in id order. ``codes``: :func:`account_codes`'
    (else the ids are factorised here)."""
    if codes is None:
        found, uniques = pd.factorize(txn["customer_id"], sort=True, use_na_sentinel=True)
        ids = pd.Series(uniques).astype(str).to_numpy(dtype=object)
    else:
        found, ids = codes.codes, np.asarray(codes.ids, dtype=object)
    if "customer_name" not in txn:
        return MappingProxyType(dict(zip(ids, ids, strict=True)))
    name = txn["customer_name"]
    valid = name.notna().to_numpy(dtype=bool) & (found >= 0)
    last = np.full(len(ids), -1, dtype=np.int64)
    np.maximum.at(last, found[valid], np.flatnonzero(valid))
    has = last >= 0
    shown = ids.copy()  # an account without a name: its id
    shown[has] = name.iloc[last[has]].astype(str).to_numpy(dtype=object)
    return MappingProxyType(dict(zip(ids.tolist(), shown.tolist(), strict=True)))


def scores_name() -> str:
    """The name selection saves its manual scores and shortlist under (the accounts table's)."""
    return data.active_table(TableKind.accounts) or "accounts"


def team_scores() -> pd.DataFrame | None:
    """Relationship strength and share of wallet per account: the team's saved scores over the table's."""
    from kamcore import health_inputs

    name = data.active_table(TableKind.accounts)
    return health_inputs.team_scores(state.workspace(), name, data.table(name) if name else None, scores_name())


#: Up to this many transactions the pages wait for the future-value fit (a second or two at most);
#: above it they draw health at once without P(alive) and expected value, say so, and rerun by
#: themselves when the fit is done (issue 19).
WAIT_ROWS = 100_000


def _history() -> pd.DataFrame | None:
    """All transactions (no sidebar filters) when they have dates and revenue, else None."""
    history = data.transactions(filtered=False)
    if history is None or not {"date", "revenue"} <= set(history.columns):
        return None
    return history


def future_ready() -> bool:
    """Whether P(alive) and expected value can be read now: the shared future-value fit on all
    data (the one ``ui.clv_view`` shows, started here when no one has started it) is done, or the
    data is small enough to wait for it (:data:`WAIT_ROWS`), or there is nothing to fit."""
    from ui import clv_view  # optional input; imported late to keep start-up light

    history = _history()
    return history is None or len(history) <= WAIT_ROWS or clv_view.fit_done(history, start=False)


def start_future() -> None:
    """Start the future-value fit on all data if it is not running yet: the Account and Plans
    pages call it once they are drawn, so the fit does not compete with drawing them (the status
    box's check starts it too, a second after the page, should a page stop early)."""
    from ui import clv_view

    history = _history()
    if history is not None and len(history) > WAIT_ROWS:
        clv_view.fit_done(history)


def future_status() -> bool:
    """While the future-value model is being fitted: a status box saying that health is shown
    without its future-value part meanwhile, and a fragment that reruns the page once the fit is
    done (so the figures then shown are the full ones). Returns whether the fit is ready."""
    if future_ready():
        return True
    from ui import clv_view

    history = _history()
    # not a ``with`` block: leaving one would mark the box complete while the fit still runs
    box = st.status(t("account_future.fitting", rows=fmt_num(len(history))), state="running", expanded=True)
    box.write(t("account_future.meanwhile"))

    runs: list[int] = []  # this fragment's runs: the first is part of the page's run

    @st.fragment(run_every=1.0)
    def _look() -> None:
        # the page starts the fit once drawn (start_future); a later check starts it should it not have
        if clv_view.fit_done(history, start=bool(runs)):
            st.rerun()
        runs.append(1)

    _look()
    return False


def health_accounts(*, wait: bool = True) -> pd.DataFrame | None:
    """One row per account with what health reads besides sales: team scores, buying-centre
    coverage and P(alive) where present (status is never passed on); joined by
    ``kamcore.health_inputs.account_frame``, as the meeting pack joins them, once per data and
    inputs (ui.shared.keyed).

    ``wait=False`` (the pages): without P(alive) and expected value while their model is still
    being fitted (see :func:`future_status`), instead of waiting for it."""
    from kamcore import health_inputs
    from ui import clv_view, relationships  # both optional inputs; imported late to keep start-up light

    history = _history()
    future = None
    if history is not None and (wait or future_ready()):
        future = clv_view.account_values(history, filtered=False)
    team, coverage = team_scores(), relationships.coverage_frame()
    found = data.transactions_keyed(filtered=False)
    if found is None:
        return health_inputs.account_frame(team, coverage, future)
    # the fitted values are those of all of frame_key's transactions: whether they are there is enough
    frame_key = found[1]
    covered = None if coverage is None else coverage[["account", "coverage_score"]]
    return keyed((*frame_key, "health.accounts", _hash(team), _hash(covered), future is not None),
                 health_inputs.account_frame, team, coverage, future)


def _survey_table() -> tuple[str, pd.DataFrame, Any] | None:
    """The first survey with an account column and expectation/perception pairs, prepared exactly as the
    survey page prepares it (its scales, labels, shifts, saved dictionary and reverse keys): looked
    up once per script run (the Account page asks for it several times a run; issue 19), again
    when the run has written to the workspace."""
    return data.once_per_run("_key_accounts_survey_in_run", lambda _ws: _find_survey_table())


def _find_survey_table() -> tuple[str, pd.DataFrame, Any] | None:
    from ui import survey_views  # the survey page's own preparation, so the two never disagree

    for name in data.table_names(TableKind.survey):
        raw = data.table(name)
        if raw is None or raw.empty:
            continue
        try:
            prepared, _ = survey_views.prepared_table(name, raw)
            if prepared is None or not prepared.dictionary.pairs("gap"):
                continue
            found = health.survey_input(prepared)
            if found is not None:
                return name, raw, found
        except (KamError, ValueError, KeyError):
            continue
    return None


def survey() -> health.SurveyInput | None:
    """The first survey with an account column and expectation/perception pairs, ready for health."""
    found = _survey_table()
    return found[2] if found else None


def _survey_key(found: tuple[str, pd.DataFrame, Any] | None) -> str:
    """What identifies the survey health reads: its table name and its answers' content. Hashed
    once per script run for the survey :func:`_survey_table` found in it (the Account page asks
    four times a run, for its health, its background jobs and the plan; issue 19)."""
    if found is None:
        return ""
    responses = found[2].responses
    known = data.once_per_run("_key_accounts_survey_key_in_run", lambda _ws: [])
    for held, name, key in known:  # the very object found this run: its content is the same
        if held is responses and name == found[0]:
            return key
    key = found[0] + _hash(responses)
    known.append((responses, found[0], key))
    return key


def survey_measures() -> pd.DataFrame | None:
    """``health.survey_measures`` of :func:`survey`, made once per data key and survey for every
    session (ui.shared.keyed); None without a survey."""
    found = _survey_table()
    if found is None:
        return None
    txn_found = data.transactions_keyed(filtered=False)
    if txn_found is None:
        return health.survey_measures(found[2])
    return health_survey_table(txn_found[1], found[2], _survey_key(found))


def survey_name() -> str | None:
    """Name of the survey table :func:`survey` uses."""
    found = _survey_table()
    return found[0] if found else None


def health_inputs_now() -> Any:
    """What this session's account page scores health with (``kamcore.health_inputs.HealthInputs``,
    for the meeting pack: its key-account slides then show the page's figures)."""
    from kamcore import health_inputs

    return health_inputs.HealthInputs(health_accounts(), survey())


def weights() -> dict[str, float]:
    """The health weights chosen in this session (the defaults until someone changes them)."""
    return dict(st.session_state.get(WEIGHTS_KEY, health.DEFAULT_WEIGHTS))


def weights_editor(key: str) -> dict[str, float]:
    """Sliders for the four health weights (shared by every page through session state)."""
    current = weights()
    with st.expander(t("account.weights_title"), icon=":material/tune:"):
        st.caption(t("account.weights_help"))
        columns = st.columns(len(health.COMPONENTS))
        chosen = {}
        for column, component in zip(columns, health.COMPONENTS, strict=True):
            slider_key = f"{key}.weight_{component}"
            if slider_key not in st.session_state:
                st.session_state[slider_key] = int(round(100 * current.get(component, 0.0)))
            chosen[component] = column.slider(t(f"account.component_{component}"), 0, 100, step=5,
                                              key=slider_key) / 100
        if sum(chosen.values()) <= 0:
            st.warning(t("account.weights_zero"))
            return current
    if chosen != current:
        st.session_state[WEIGHTS_KEY] = chosen
    return chosen


def _sales_measures(txn: pd.DataFrame, as_of: Any) -> tuple:
    """``health.sales_measures`` as a plain tuple (what ui.shared.keyed hands out)."""
    return tuple(health.sales_measures(txn, as_of))


def _scored(sales: tuple, accounts: pd.DataFrame | None, prepared: Any, chosen: dict[str, float],
            survey_table: pd.DataFrame | None) -> pd.DataFrame:
    return health.score(health.SalesMeasures(*sales), accounts=accounts, survey=prepared, weights=chosen,
                        survey_table=survey_table)


def health_sales(frame_key: tuple, txn: pd.DataFrame, when: str | None) -> tuple:
    """``health.sales_measures`` of all transactions up to ``when``, once per data key and end date
    (by ui.data's content key: hashing a million rows cost 0.6 s a run). ui/account_health.py
    computes the same entry in the background on a large workspace."""
    return keyed((*frame_key, "health.sales", when), _sales_measures, txn, when)


def health_survey_table(frame_key: tuple, prepared: Any, survey_key: str) -> pd.DataFrame:
    """``health.survey_measures`` of the survey health reads, once per data key and survey."""
    return keyed((*frame_key, "health.survey_measures", survey_key), health.survey_measures, prepared)


def trends(frame_key: tuple, txn: pd.DataFrame) -> MappingProxyType:
    """Every account's last 12 monthly revenues (:func:`trend_lookup`), once per data key."""
    return keyed((*frame_key, "monthly_revenue_lookup", 12), trend_lookup, txn, 12)


def _hash(frame: pd.DataFrame | None) -> str:
    if frame is None:
        return ""
    return str(pd.util.hash_pandas_object(frame, index=False).sum())


def health_table(chosen_weights: dict[str, float] | None = None, as_of: Any = None, *,
                 accounts: Any = ..., wait: bool = True, kept: dict[str, Any] | None = None) -> pd.DataFrame | None:
    """Health of every account (all data, whatever the sidebar filters), lowest first: what
    ``kamcore.health.health_scores`` gives for the same inputs. The sales measures are made once
    per data key and end date, the scoring once per inputs and weights (ui.shared.keyed), so a
    new input (the future-value fit arriving) or weight costs only the scoring over the accounts.

    ``accounts``: :func:`health_accounts`' frame when the caller has it (else read here, with
    ``wait`` as there). ``kept``: ``ui.account_health.results`` (the sales and survey measures the
    background computed for this data and survey: read from there, not computed again)."""
    found = data.transactions_keyed(filtered=False)
    if found is None or "date" not in found[0] or "revenue" not in found[0]:
        return None
    txn, frame_key = found
    if accounts is ...:
        accounts = health_accounts(wait=wait)
    found_survey = _survey_table()
    prepared = found_survey[2] if found_survey else None
    survey_key = _survey_key(found_survey)
    kept = kept or {}
    survey_table = None
    if prepared is not None:
        survey_table = (handout(kept["survey"]) if "survey" in kept
                        else health_survey_table(frame_key, prepared, survey_key))
    when = None if as_of is None else str(as_of)
    chosen = chosen_weights or weights()
    sales = handout(kept["sales"]) if "sales" in kept and when is None else health_sales(frame_key, txn, when)
    return keyed((*frame_key, "health.score", when, _hash(accounts), survey_key, json.dumps(chosen, sort_keys=True)),
                 _scored, sales, accounts, prepared, chosen, survey_table)


def trend_lookup(txn: pd.DataFrame, months: int) -> MappingProxyType:
    """Account -> its last ``months`` monthly revenues (``health.monthly_revenue``) as a read-only
    dict, for ``ui.shared.keyed``: handed out as it is, not copied entry by entry."""
    return MappingProxyType(health.monthly_revenue(txn, months=months).to_dict())


def shortlist() -> tuple[list[str], Any]:
    """The saved key-account shortlist's ids and when it was saved (None when none is saved)."""
    ws = state.workspace()
    payload = ws.load_object("shortlist", scores_name()) or {}
    if not payload:
        for name in ws.list_objects("shortlist"):
            payload = ws.load_object("shortlist", name) or {}
            if payload:
                break
    ids = [str(c) for c in payload.get("customer_ids", [])]
    saved_at = payload.get("saved_at")
    return ids, (pd.Timestamp(saved_at).tz_localize(None) if saved_at and pd.Timestamp(saved_at).tzinfo
                 else (pd.Timestamp(saved_at) if saved_at else None))


def driver_text(codes: Any) -> str:
    """The drivers of a health score in the session's language."""
    return ", ".join(t(f"account.driver_{c}") for c in (codes or ()))


def missing_text(missing: Any) -> str:
    """Which components were left out, in words."""
    return ", ".join(t(f"account.component_{c}").lower() for c in (missing or ()))


def band_label(band: Any) -> str:
    """act / watch / good in the session's language."""
    return t(f"account.band_{band}") if isinstance(band, str) else "–"


def plan_of(account: str) -> plans.Plan:
    """The saved plan of ``account``."""
    return plans.load_plan(state.workspace(), account)


def score_text(value: Any) -> str:
    """A 0–100 score as text ("–" when missing)."""
    return fmt_num(None if value is None or pd.isna(value) else float(value), 0)


# ------------------------------------------------------------------ portfolio facts per account
MANUAL_NAMES = ("strategic_fit", "partnership_willingness", "share_of_wallet", "relationship_strength")


def _portfolio_facts(_txn: pd.DataFrame, _accounts: pd.DataFrame | None, _manual: pd.DataFrame | None,
                     weights_json: str) -> dict[str, Any]:
    from kamcore import portfolio

    facts: dict[str, Any] = {}
    history = _txn.assign(customer_id=_txn["customer_id"].astype(str))
    for measure in ("revenue", "profit"):
        if measure not in history.columns:
            continue
        try:
            moved = portfolio.movement(history, "customer_id", "date", measure)
        except KamError:
            continue
        facts[f"movement_{measure}"] = moved.accounts.assign(customer=moved.accounts["customer"].astype(str))
        facts["periods"] = (moved.previous, moved.current)
        if measure == "revenue":
            facts["churn"] = portfolio.churn_risk(moved).assign(
                customer=lambda f: f["customer"].astype(str))
    if "profit" in history.columns:
        current = facts.get("periods", (None, None))[1]
        window = history[["customer_id", "profit"]]  # the two columns the curve reads, not all twelve
        if current is not None:
            window = window.loc[(history["date"] >= pd.Timestamp(current.start))
                                & (history["date"] <= pd.Timestamp(current.end))]
        try:
            curve = portfolio.whale_curve(window, "customer_id", "profit")
            facts["whale"] = curve.assign(customer=curve["customer"].astype(str))
            facts["whale_summary"] = portfolio.whale_summary(curve)
        except KamError:
            pass
    try:
        measures = selection.account_measures(history, _accounts)
        model = selection.default_model()
        saved = json.loads(weights_json)
        if saved and set(saved) == {c.name for c in model.criteria}:
            model = model.with_weights(saved)
        scored = selection.score_accounts(measures, model, _manual)
        facts["selection"] = scored
        facts["selection_model"] = model
    except KamError:
        pass
    return facts


def portfolio_facts() -> dict[str, Any]:
    """Movement (ABC on revenue and profit), churn flags, whale curve and selection scores of all accounts."""
    found = portfolio_facts_call()
    if found is None:
        return {}
    # once per data key and inputs for every session, handed out without pickling (ui.shared.keyed)
    return keyed(*found)


def portfolio_facts_call() -> tuple | None:
    """``(key, _portfolio_facts, *its inputs)``: what :func:`portfolio_facts` computes, not yet
    computed (the Account page computes it in the background on a large workspace: ui/account_facts.py);
    None without transactions."""
    found = data.transactions_keyed(filtered=False)
    if found is None:
        return None
    txn, frame_key = found
    ws = state.workspace()
    name = data.active_table(TableKind.accounts)
    accounts = data.canonical_table(name) if name else None
    initial = None
    if name:
        raw = data.table(name)
        id_column = ws.table_info(name).mapping.get("customer_id")
        if raw is not None and id_column in raw.columns:
            initial = manual_scores.manual_scores_from_table(raw, id_column)
    saved = manual_scores.manual_scores_from_payload(ws.load_object("manual_scores", scores_name()), MANUAL_NAMES)
    manual = manual_scores.combine_manual_scores(saved, initial)
    shortlist_payload = ws.load_object("shortlist", scores_name()) or {}
    weights_json = json.dumps(shortlist_payload.get("weights") or {}, sort_keys=True)
    return ((*frame_key, "account.portfolio_facts", _hash(accounts), _hash(manual), weights_json),
            _portfolio_facts, txn, accounts, manual, weights_json)


# ---------------------------------------------------------------- the account page's sentences
def health_measures(h: pd.Series) -> pd.DataFrame:
    """The plain measures behind one account's health (one row of ``health_scores``) as a table."""
    rows = [
        ("account.measure_growth", fmt_pct(h["growth"])), ("account.measure_margin", fmt_pct(h["margin"])),
        ("account.measure_margin_portfolio", fmt_pct(h["margin_portfolio"])),
        ("account.measure_days_since", fmt_num(h["days_since"])),
        ("account.measure_usual_gap", fmt_num(h["usual_gap_days"])),
        ("account.measure_purchase_days", fmt_num(h["purchase_days_6m"])),
        ("account.measure_usual_purchase_days", fmt_num(h["usual_purchase_days_6m"], 1)),
    ]
    # optional inputs: the future-value model and the buying-centre map
    for name, label in (("p_alive", "account.measure_p_alive"), ("buying_centre_coverage", "account.measure_coverage"),
                        ("outlook", "account.measure_outlook")):
        if name in h and pd.notna(h[name]):
            rows.append((label, fmt_pct(h[name])))
    return pd.DataFrame({t("account.col_measure"): [t(k) for k, _ in rows],
                         t("account.col_value"): [v for _, v in rows]})


def class_rows(facts: dict[str, Any], account: str) -> pd.DataFrame | None:
    """ABC class on revenue and profit, last period and this, for ``account`` (None without)."""
    rows = []
    for measure in ("revenue", "profit"):
        moved = facts.get(f"movement_{measure}")
        mine = moved[moved["customer"] == account] if moved is not None else None
        if mine is None or mine.empty:
            continue
        m = mine.iloc[0]
        rows.append({
            t("account.col_measure"): t(f"account.measure_{measure}"),
            t("account.col_previous_class"): t(f"account.class_{m['previous_class']}"),
            t("account.col_current_class"): t(f"account.class_{m['current_class']}"),
            t("account.col_previous_value"): round(float(m["previous_value"])),
            t("account.col_current_value"): round(float(m["current_value"])),
        })
    return pd.DataFrame(rows) if rows else None


def whale_sentence(facts: dict[str, Any], account: str) -> str | None:
    """Where the account sits on the whale curve, in words (None when not on it)."""
    whale = facts.get("whale")
    mine = whale[whale["customer"] == account] if whale is not None else None
    if mine is None or mine.empty:
        return None
    w = mine.iloc[0]
    key = "account.whale_destroys" if w["profit"] < 0 else "account.whale_position"
    return t(key, rank=fmt_num(int(w["rank"])), n=fmt_num(len(whale)), profit=fmt_num(w["profit"], 0),
             cum=fmt_pct(w["cum_profit_pct"], 0), peak=fmt_pct(facts["whale_summary"].peak_pct, 0))


def churn_sentence(churn: pd.DataFrame, account: str) -> str | None:
    """The churn flag of ``account`` and its reasons in words (None when not flagged)."""
    mine = churn[churn["customer"] == account]
    if mine.empty:
        return None
    c = mine.iloc[0]
    reasons = []
    if bool(c["fell"]):
        reasons.append(t("account.churn_fell", pct=fmt_pct(-c["change_pct"] if pd.notna(c["change_pct"]) else None)))
    if bool(c["stopped"]):
        reasons.append(t("account.churn_stopped", days=fmt_num(c["days_since_purchase"])))
    return t("account.churn_flag", reasons="; ".join(reasons))


def rounded(values: pd.Series) -> pd.Series:
    """Objective values as tables show them: amounts to the krone, small values (margin %, 1–5
    scores, gaps, NPS) to one decimal."""
    v = values.astype(float)
    return v.where(v.abs() < 1000, v.round(0)).round(1)
