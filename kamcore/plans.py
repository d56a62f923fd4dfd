"""Account plans: objectives measured on the data, strategy notes, SWOT, actions, and follow-up.

Pure functions and pydantic models; storage is in :mod:`kamcore.db` (``Workspace.save_plan_item``
and friends), which keeps a history of every change with who and when.

Every dated metric is a *level on the last 12 months* at a given day ``d``: revenue, profit,
margin % and the number of orders over (d − 365 days, d]. An objective's baseline is that level
on its start day (or the latest value when the metric has no date: share of wallet, a key
area's survey gap, NPS), saved with the objective so later data never moves it; the actual is
the level on the last day of data (or the due day, if earlier).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kamcore import export
from kamcore.errors import KamError

METRICS: tuple[str, ...] = ("revenue", "profit", "margin", "share_of_wallet", "order_frequency", "gap", "nps")
DATED_METRICS: frozenset[str] = frozenset({"revenue", "profit", "margin", "order_frequency"})
ACTION_STATUSES: tuple[str, ...] = ("planned", "doing", "done", "dropped")
OPEN_STATUSES: frozenset[str] = frozenset({"planned", "doing"})
NOTE_HEADINGS: tuple[str, ...] = ("product", "price", "distribution", "communication", "service", "relationship")
SWOT_HEADINGS: tuple[str, ...] = ("strengths", "weaknesses", "opportunities", "threats")
PROGRESS_STATUSES: tuple[str, ...] = ("on", "behind", "not_started", "no_data")
TEXT_MAX = 2000
SHORT_MAX = 200
WINDOW = pd.Timedelta(days=365)

Metric = Literal["revenue", "profit", "margin", "share_of_wallet", "order_frequency", "gap", "nps"]
ActionStatus = Literal["planned", "doing", "done", "dropped"]


def new_id() -> str:
    """A short random id for a new objective or action."""
    return uuid.uuid4().hex[:12]


def _clean(text: Any, field: str, limit: int, *, required: bool = False) -> str:
    value = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text).strip()
    if required and not value:
        raise KamError("plans.empty_field", "'{field}' cannot be empty.", field=field)
    if len(value) > limit:
        raise KamError("plans.too_long", "'{field}' is longer than {limit} characters.", field=field, limit=limit)
    return value


class Objective(BaseModel):
    """A measurable goal for one account."""

    id: str = Field(default_factory=new_id)
    account: str
    title: str = ""
    metric: Metric
    area: str | None = None
    baseline: float | None = None
    target: float
    start: dt.date
    due: dt.date
    owner: str = ""

    @field_validator("account", mode="before")
    @classmethod
    def _account(cls, value: str) -> str:
        return _clean(value, "account", SHORT_MAX, required=True)

    @field_validator("title", "owner", mode="before")
    @classmethod
    def _short(cls, value: str) -> str:
        return _clean(value, "text", SHORT_MAX)

    @field_validator("target")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not np.isfinite(value):
            raise KamError("plans.bad_target", "The target must be a number.")
        return float(value)

    @model_validator(mode="after")
    def _dates_and_area(self) -> Objective:
        if self.due <= self.start:
            raise KamError("plans.due_before_start", "The due date must come after the start date.")
        if self.metric == "gap" and not self.area:
            raise KamError("plans.gap_needs_area", "An objective on a survey gap needs the key area.")
        if self.metric != "gap":
            self.area = None
        return self


class Action(BaseModel):
    """Something someone will do for an account, by a date, for one of its objectives."""

    id: str = Field(default_factory=new_id)
    account: str
    what: str
    owner: str = ""
    due: dt.date
    status: ActionStatus = "planned"
    objective_id: str | None = None

    @field_validator("what", mode="before")
    @classmethod
    def _what(cls, value: str) -> str:
        return _clean(value, "what", 500, required=True)

    @field_validator("account", mode="before")
    @classmethod
    def _account(cls, value: str) -> str:
        return _clean(value, "account", SHORT_MAX, required=True)

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, value: str) -> str:
        return _clean(value, "owner", SHORT_MAX)

    @field_validator("objective_id", mode="before")
    @classmethod
    def _objective(cls, value: Any) -> str | None:
        text = _clean(value, "objective", SHORT_MAX)
        return text or None


class StrategyNotes(BaseModel):
    """The handbook's strategy headings and a SWOT, as short texts."""

    account: str
    product: str = ""
    price: str = ""
    distribution: str = ""
    communication: str = ""
    service: str = ""
    relationship: str = ""
    strengths: str = ""
    weaknesses: str = ""
    opportunities: str = ""
    threats: str = ""

    @field_validator(*NOTE_HEADINGS, *SWOT_HEADINGS, mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return _clean(value, "note", TEXT_MAX)


class Plan(BaseModel):
    """Everything planned for one account."""

    account: str
    objectives: list[Objective] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    notes: StrategyNotes | None = None

    @model_validator(mode="after")
    def _one_account(self) -> Plan:
        others = {o.account for o in self.objectives} | {a.account for a in self.actions}
        if self.notes is not None:
            others.add(self.notes.account)
        others.discard(self.account)
        if others:
            raise KamError("plans.other_account", "The plan holds rows of another account ({other}).",
                           other=sorted(others)[0])
        ids = {o.id for o in self.objectives}
        for action in self.actions:
            if action.objective_id and action.objective_id not in ids:
                raise KamError("plans.unknown_objective",
                               "The action '{what}' is linked to an objective that is not in the plan.",
                               what=action.what)
        return self


#: Objective fields that decide what the baseline measures: changing one takes the baseline anew.
BASELINE_FIELDS: frozenset[str] = frozenset({"metric", "area", "start"})


def revise(item: Objective | Action, changes: dict[str, Any]) -> Objective | Action:
    """A changed copy of an objective or action, validated again as a new one would be.

    The id and the account never change. Changing an objective's metric, key area or start day
    clears its baseline (``None``): the caller takes it from the data again
    (:func:`baseline_for`); changing its title, target, due day or owner keeps the saved baseline.

    Examples
    --------
    >>> o = Objective(account="K1", metric="revenue", target=120.0, baseline=100.0,
    ...               start=dt.date(2026, 1, 1), due=dt.date(2026, 12, 31))
    >>> revise(o, {"target": 130.0}).baseline, revise(o, {"start": dt.date(2026, 2, 1)}).baseline
    (100.0, None)
    """
    fixed = {"id", "account"}
    values = item.model_dump() | {k: v for k, v in changes.items() if k not in fixed}
    if isinstance(item, Objective) and any(
            k in BASELINE_FIELDS and changes[k] != getattr(item, k) for k in changes):
        values["baseline"] = None
    return type(item)(**values)


# ------------------------------------------------------------------------------- metrics


def _account_lines(transactions: pd.DataFrame, account: str) -> pd.DataFrame:
    ids = transactions["customer_id"].astype("string").str.strip()
    return transactions.loc[(ids == account).fillna(False).to_numpy()]


def metric_value(
    metric: str,
    transactions: pd.DataFrame | None,
    account: str,
    at: Any = None,
    *,
    area: str | None = None,
    survey: Any = None,
    accounts: pd.DataFrame | None = None,
) -> float | None:
    """The metric's level for ``account`` on day ``at`` (None when the data cannot say).

    revenue / profit: sums over (at − 365 days, at]; margin: 100 · profit / revenue over the
    same window (None without revenue); order_frequency: distinct orders (order numbers, else
    invoice days) with positive revenue in the window; share_of_wallet: the team's 1–5 score in
    ``accounts``; gap: the account's mean customer gap (P − E) in key area ``area``; nps: the
    account's respondents' Net Promoter Score. The last three have no date and ignore ``at``.
    """
    if metric in DATED_METRICS:
        if transactions is None or not {"customer_id", "date", "revenue"} <= set(transactions.columns):
            return None
        lines = _account_lines(transactions, account)
        end = pd.Timestamp(at) if at is not None else transactions["date"].max()
        lines = lines[(lines["date"] > end - WINDOW) & (lines["date"] <= end)]
        if metric == "revenue":
            return float(lines["revenue"].sum())
        if metric == "profit":
            return float(lines["profit"].sum()) if "profit" in lines.columns else None
        if metric == "margin":
            revenue = float(lines["revenue"].sum())
            if "profit" not in lines.columns or revenue <= 0:
                return None
            return 100.0 * float(lines["profit"].sum()) / revenue
        positive = lines[lines["revenue"] > 0]
        key = "order_id" if "order_id" in positive.columns and positive["order_id"].notna().any() else "date"
        return float(positive[key].nunique())
    if metric == "share_of_wallet":
        if accounts is None or "share_of_wallet" not in accounts.columns:
            return None
        ids = accounts["customer_id"].astype("string").str.strip()
        values = pd.to_numeric(accounts.loc[(ids == account).fillna(False).to_numpy(), "share_of_wallet"],
                               errors="coerce").dropna()
        return float(values.iloc[0]) if len(values) else None
    if metric in ("gap", "nps"):
        from kamcore.health import survey_input, survey_measures

        prepared = survey_input(*survey) if isinstance(survey, tuple) else survey_input(survey)
        if prepared is None:
            return None
        measures = survey_measures(prepared)
        if account not in measures.index:
            return None
        column = f"gap::{area}" if metric == "gap" else "nps"
        if column not in measures.columns:
            return None
        value = measures.at[account, column]
        return None if pd.isna(value) else float(value)
    raise KamError("plans.unknown_metric", "'{metric}' is not a metric an objective can use.", metric=metric)


def baseline_for(objective: Objective, transactions: pd.DataFrame | None, *, survey: Any = None,
                 accounts: pd.DataFrame | None = None) -> float | None:
    """The objective's baseline from the data: the level on its start day (latest for undated metrics)."""
    at = objective.start if objective.metric in DATED_METRICS else None
    return metric_value(objective.metric, transactions, objective.account, at, area=objective.area,
                        survey=survey, accounts=accounts)


class Progress(BaseModel):
    """Where an objective stands."""

    objective_id: str
    baseline: float | None
    actual: float | None
    target: float
    share_of_target: float | None
    expected: float | None
    elapsed: float
    status: Literal["on", "behind", "not_started", "no_data"]
    as_of: dt.date


def objective_progress(
    objective: Objective,
    transactions: pd.DataFrame | None,
    survey: Any = None,
    *,
    accounts: pd.DataFrame | None = None,
    as_of: Any = None,
) -> Progress:
    """Baseline, actual to date, share of target, expected by now on a straight line, on/behind.

    Parameters
    ----------
    objective : Objective
    transactions : DataFrame
        Canonical sales lines (``customer_id``, ``date``, ``revenue``, ``profit``, ``order_id``).
    survey : optional
        For gap and NPS objectives (see :func:`kamcore.health.survey_input`).
    accounts : DataFrame, optional
        For share-of-wallet objectives (column ``share_of_wallet``).
    as_of : date, optional
        "Now"; default the last transaction date.

    Notes
    -----
    elapsed = (as_of − start) / (due − start), clipped to 0..1; expected = baseline +
    (target − baseline) · elapsed; share_of_target = (actual − baseline) / (target − baseline)
    (1 when target = baseline and actual ≥ target, else 0). The actual is the level on
    min(as_of, due). Status: ``not_started`` before the start day, ``no_data`` without an
    actual or baseline, ``on`` when actual ≥ expected, else ``behind``.
    """
    if as_of is None:
        has_dates = transactions is not None and "date" in transactions.columns and transactions["date"].notna().any()
        as_of = transactions["date"].max() if has_dates else pd.Timestamp(dt.date.today())
    now = pd.Timestamp(as_of).normalize()
    start, due = pd.Timestamp(objective.start), pd.Timestamp(objective.due)
    baseline = objective.baseline
    if baseline is None:
        baseline = baseline_for(objective, transactions, survey=survey, accounts=accounts)
    actual = metric_value(objective.metric, transactions, objective.account, min(now, due), area=objective.area,
                          survey=survey, accounts=accounts)
    elapsed = float(np.clip((now - start).days / (due - start).days, 0.0, 1.0))
    expected = None if baseline is None else baseline + (objective.target - baseline) * elapsed
    share = None
    if baseline is not None and actual is not None:
        if objective.target != baseline:
            share = (actual - baseline) / (objective.target - baseline)
        else:
            share = 1.0 if actual >= objective.target else 0.0
    if now < start:
        status = "not_started"
    elif actual is None or expected is None:
        status = "no_data"
    else:
        status = "on" if actual >= expected - 1e-9 else "behind"
    return Progress(objective_id=objective.id, baseline=baseline, actual=actual, target=objective.target,
                    share_of_target=share, expected=expected, elapsed=elapsed, status=status, as_of=now.date())


def progress_table(objectives: Sequence[Objective], transactions: pd.DataFrame | None, survey: Any = None, *,
                   accounts: pd.DataFrame | None = None, as_of: Any = None) -> pd.DataFrame:
    """One row per objective: its fields and its :class:`Progress`."""
    rows = []
    for objective in objectives:
        progress = objective_progress(objective, transactions, survey, accounts=accounts, as_of=as_of)
        rows.append(objective.model_dump() | progress.model_dump(exclude={"objective_id", "target"}))
    columns = [*Objective.model_fields, *[f for f in Progress.model_fields if f not in Objective.model_fields
                                          and f != "objective_id"]]
    return pd.DataFrame(rows, columns=columns)


def follow_up(progress: pd.DataFrame, by: str) -> pd.DataFrame:
    """Target against actual summed up by ``by`` (``account`` or ``owner``).

    Returns one row per group: ``objectives``, ``on``, ``behind``, ``not_started``, ``no_data``
    (counts) and ``mean_share_of_target`` (mean over objectives that have one).
    """
    if by not in ("account", "owner"):
        raise KamError("plans.bad_grouping", "Follow-up is by account or by owner, not '{by}'.", by=by)
    columns = [by, "objectives", *PROGRESS_STATUSES, "mean_share_of_target"]
    if progress.empty:
        return pd.DataFrame(columns=columns)
    keys = progress[by].fillna("").astype(str)
    counts = pd.crosstab(keys, progress["status"]).reindex(columns=list(PROGRESS_STATUSES), fill_value=0)
    out = counts.copy()
    out.insert(0, "objectives", counts.sum(axis=1))
    out["mean_share_of_target"] = pd.to_numeric(progress["share_of_target"], errors="coerce").groupby(keys).mean()
    out = out.rename_axis(by).reset_index()
    return out[columns].sort_values(by, kind="mergesort").reset_index(drop=True)


def overdue_actions(actions: Iterable[Action], today: dt.date) -> list[Action]:
    """Actions still planned or in progress whose due date is before ``today``, oldest first."""
    late = [a for a in actions if a.status in OPEN_STATUSES and a.due < today]
    return sorted(late, key=lambda a: (a.due, a.account, a.what))


HIDDEN_FIELDS: frozenset[str] = frozenset({"id", "account"})


def history_changes(history: pd.DataFrame) -> list[list[tuple[str, Any, Any]]]:
    """What each row of a plan history changed: ``(field, before, after)`` per changed field.

    ``history`` is :meth:`kamcore.db.Workspace.plan_history` (columns ``kind, item_id, change,
    payload, changed_at``; any order). The result is aligned with its rows. A created item
    lists its filled-in fields (before None); a changed one the fields whose value differs from
    the item's previous version; a deleted one nothing. ``id`` and ``account`` are left out.

    Examples
    --------
    >>> h = pd.DataFrame({"kind": ["action", "action"], "item_id": ["a1", "a1"],
    ...                   "change": ["changed", "created"],
    ...                   "payload": ['{"id": "a1", "what": "Visit", "due": "2026-03-01"}',
    ...                               '{"id": "a1", "what": "Call", "due": "2026-03-01"}'],
    ...                   "changed_at": pd.to_datetime(["2026-02-02", "2026-02-01"])})
    >>> history_changes(h)
    [[('what', 'Call', 'Visit')], [('due', None, '2026-03-01'), ('what', None, 'Call')]]
    """
    import json

    out: list[list[tuple[str, Any, Any]]] = [[] for _ in range(len(history))]
    order = sorted(range(len(history)), key=lambda i: (history["changed_at"].iloc[i], -i))  # newest first in
    previous: dict[tuple[str, str], dict[str, Any]] = {}
    for i in order:
        key = (str(history["kind"].iloc[i]), str(history["item_id"].iloc[i]))
        text = history["payload"].iloc[i]
        payload = json.loads(text) if isinstance(text, str) and text else {}
        change = history["change"].iloc[i]
        before = previous.get(key, {})
        if change != "deleted":
            fields = sorted(set(payload) | set(before))
            out[i] = [(f, before.get(f), payload.get(f)) for f in fields
                      if f not in HIDDEN_FIELDS and before.get(f) != payload.get(f)
                      and (change != "created" or payload.get(f) not in (None, ""))]
            previous[key] = payload
        else:
            previous.pop(key, None)
    return out


# --------------------------------------------------------------------------- XLSX round trip

_SHEETS = ("objectives", "actions", "notes")
_OBJECTIVE_COLUMNS = list(Objective.model_fields)
_ACTION_COLUMNS = list(Action.model_fields)


def plan_frames(plan: Plan) -> dict[str, pd.DataFrame]:
    """The plan as three tables (objectives, actions, notes as heading/text rows)."""
    objectives = pd.DataFrame([o.model_dump() for o in plan.objectives], columns=_OBJECTIVE_COLUMNS)
    actions = pd.DataFrame([a.model_dump() for a in plan.actions], columns=_ACTION_COLUMNS)
    notes = plan.notes or StrategyNotes(account=plan.account)
    headings = [*NOTE_HEADINGS, *SWOT_HEADINGS]
    notes_frame = pd.DataFrame({"heading": headings, "text": [getattr(notes, h) for h in headings]})
    for frame in (objectives, actions):
        for column in ("start", "due"):
            if column in frame.columns:
                frame[column] = pd.to_datetime(frame[column])
    return {"objectives": objectives, "actions": actions, "notes": notes_frame}


def plan_to_xlsx(plan: Plan) -> bytes:
    """The plan as a workbook with the sheets objectives, actions and notes (formulas neutralised)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, frame in plan_frames(plan).items():
        safe = export.neutralise_formulas(frame)
        sheet = workbook.create_sheet(title=name)
        sheet.append([export._xlsx_cell(sheet, c) for c in safe.columns])
        for row in safe.itertuples(index=False, name=None):
            sheet.append([export._xlsx_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _unquote(value: Any) -> Any:
    """Undo :func:`kamcore.export.neutralise_formulas` (a quote before = + - @ tab CR)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    frame = frame.dropna(how="all")
    out = []
    for record in frame.to_dict("records"):
        out.append({k: (None if not isinstance(v, str) and pd.isna(v) else _unquote(v)) for k, v in record.items()})
    return out


def _date(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        parsed = pd.to_datetime(value, errors="coerce", dayfirst=False)
        return None if pd.isna(parsed) else parsed.date()
    return pd.Timestamp(value).date()


def plan_from_xlsx(data: bytes, account: str) -> Plan:
    """Read a workbook written by :func:`plan_to_xlsx` (maybe edited) back into a plan for ``account``.

    Raises
    ------
    KamError
        ``plans.import_unreadable`` when the file is not such a workbook, ``plans.import_row``
        naming the sheet and row of the first invalid row, ``plans.import_other_account``
        when a row belongs to another account.
    """
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one sentence
        raise KamError("plans.import_unreadable", "The file is not a plan workbook exported from KAM Studio.") from exc
    if not set(_SHEETS) <= set(sheets):
        raise KamError("plans.import_unreadable", "The file is not a plan workbook exported from KAM Studio.")
    objectives, actions = [], []
    for kind, model, target in (("objectives", Objective, objectives), ("actions", Action, actions)):
        for row_no, record in enumerate(_records(sheets[kind]), start=2):
            record = {k: v for k, v in record.items() if k in model.model_fields}
            for column in ("start", "due"):
                if column in record:
                    record[column] = _date(record[column])
            for column in ("account", "id", "objective_id", "owner", "title", "what", "area", "status", "metric"):
                if record.get(column) is not None:
                    record[column] = str(record[column])
            if record.get("id") is None:
                record.pop("id", None)
            if str(record.get("account") or account).strip() != account:
                raise KamError("plans.import_other_account",
                               "Sheet '{sheet}', row {row}: the row belongs to account '{other}', not '{account}'.",
                               sheet=kind, row=row_no, other=str(record.get("account")), account=account)
            record["account"] = account
            try:
                target.append(model(**record))
            except (ValueError, TypeError) as exc:
                column = ""
                if isinstance(exc, ValidationError) and exc.errors():
                    column = ".".join(str(p) for p in exc.errors()[0].get("loc", ()))
                raise KamError("plans.import_row", "Sheet '{sheet}', row {row}: the value in '{column}' is not valid.",
                               sheet=kind, row=row_no, column=column or "?") from exc
    texts = {}
    for record in _records(sheets["notes"]):
        heading = str(record.get("heading") or "").strip()
        if heading in (*NOTE_HEADINGS, *SWOT_HEADINGS):
            texts[heading] = "" if record.get("text") is None else str(record["text"])
    try:
        return Plan(account=account, objectives=objectives, actions=actions,
                    notes=StrategyNotes(account=account, **texts))
    except ValueError as exc:
        if isinstance(exc, KamError):
            raise
        raise KamError("plans.import_unreadable", "The file is not a plan workbook exported from KAM Studio.") from exc


# ----------------------------------------------------------------------- programme effect


class ProgrammeEffect(BaseModel):
    """Key accounts against comparable accounts, before and after the programme started."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    start: dt.date
    before: tuple[dt.date, dt.date]
    after: tuple[dt.date, dt.date]
    months_after: float
    groups: pd.DataFrame  # group (key / comparable), accounts, revenue/margin before and after, growth
    pairs: pd.DataFrame  # key_account, comparable_account, revenue_before of each
    did_growth: float | None
    did_margin: float | None


def _window_totals(transactions: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    inside = transactions[(transactions["date"] >= lo) & (transactions["date"] < hi)]
    cols = ["revenue"] + (["profit"] if "profit" in transactions.columns else [])
    return inside.groupby("customer_id")[cols].sum()


def programme_effect(transactions: pd.DataFrame, key_accounts: Iterable[str], start: Any, *,
                     as_of: Any = None, months: int = 12) -> ProgrammeEffect:
    """Growth and margin of the key accounts against matched accounts not on the list.

    Parameters
    ----------
    transactions : DataFrame
        Canonical ``customer_id``, ``date``, ``revenue`` (``profit`` for margins).
    key_accounts : iterable of str
        The saved shortlist.
    start : date
        When the programme started (the day the shortlist was saved).
    as_of : date, optional
        Last day of data; default the last transaction date.
    months : int
        Length of the "before" window, and the longest "after" window.

    Notes
    -----
    before = [start − months, start); after = [start, min(start + months, as_of + 1 day)).
    Each key account with revenue before is paired with the not-listed account closest in
    log revenue before (greedy, largest key account first, each comparable used once).
    A group's growth = (revenue after per month) / (revenue before per month) − 1; its margin
    = profit / revenue in a window. did_growth = growth(key) − growth(comparable); did_margin =
    (margin after − margin before)(key) − (same)(comparable). The accounts were chosen, not
    drawn at random, so the difference is not proof that the programme caused it.
    """
    frame = transactions.loc[transactions["date"].notna()].copy()
    frame["customer_id"] = frame["customer_id"].astype("string").str.strip().astype(str)
    start_ts = pd.Timestamp(start).normalize()
    last = pd.Timestamp(as_of).normalize() if as_of is not None else frame["date"].max().normalize()
    before_lo = start_ts - pd.DateOffset(months=months)
    after_hi = min(start_ts + pd.DateOffset(months=months), last + pd.Timedelta(days=1))
    days_after = (after_hi - start_ts).days
    if days_after < 28:
        raise KamError("plans.effect_no_after",
                       "The data ends on {end}, too soon after the programme start {start} to compare.",
                       end=str(last.date()), start=str(start_ts.date()))
    before = _window_totals(frame, before_lo, start_ts)
    after = _window_totals(frame, start_ts, after_hi)
    keys = {str(k).strip() for k in key_accounts}
    rev_before = before["revenue"]
    eligible = rev_before[rev_before > 0]
    key_ids = sorted([k for k in keys if k in eligible.index], key=lambda k: (-eligible[k], k))
    if not key_ids:
        raise KamError("plans.effect_no_key_accounts", "None of the key accounts had sales before the start.")
    pool = eligible.drop(labels=[k for k in keys if k in eligible.index])
    log_pool = np.log(pool)
    pairs = []
    for k in key_ids:
        if log_pool.empty:
            break
        distance = (log_pool - np.log(eligible[k])).abs()
        best = distance.sort_values(kind="mergesort").index[0]
        pairs.append((k, best, float(eligible[k]), float(pool[best])))
        log_pool = log_pool.drop(best)
    pair_frame = pd.DataFrame(pairs, columns=["key_account", "comparable_account", "key_revenue_before",
                                              "comparable_revenue_before"])
    months_before = (start_ts - before_lo).days / 30.4375
    months_after = days_after / 30.4375
    rows = []
    for group, ids in (("key", key_ids), ("comparable", pair_frame["comparable_account"].tolist())):
        b = before.reindex(ids).fillna(0.0)
        a = after.reindex(ids).fillna(0.0)
        rb, ra = float(b["revenue"].sum()), float(a["revenue"].sum())
        growth = (ra / months_after) / (rb / months_before) - 1.0 if rb > 0 else np.nan
        mb = float(b["profit"].sum()) / rb if "profit" in b.columns and rb > 0 else np.nan
        ma = float(a["profit"].sum()) / ra if "profit" in a.columns and ra > 0 else np.nan
        rows.append({"group": group, "accounts": len(ids), "revenue_before": rb, "revenue_after": ra,
                     "growth": growth, "margin_before": mb, "margin_after": ma})
    groups = pd.DataFrame(rows)
    k, c = groups.iloc[0], groups.iloc[1]
    did_growth = float(k["growth"] - c["growth"]) if len(pair_frame) else None
    did_margin = float((k["margin_after"] - k["margin_before"]) - (c["margin_after"] - c["margin_before"])) \
        if len(pair_frame) else None
    if did_growth is not None and np.isnan(did_growth):
        did_growth = None
    if did_margin is not None and np.isnan(did_margin):
        did_margin = None
    return ProgrammeEffect(
        start=start_ts.date(),
        before=(before_lo.date(), (start_ts - pd.Timedelta(days=1)).date()),
        after=(start_ts.date(), (after_hi - pd.Timedelta(days=1)).date()),
        months_after=months_after,
        groups=groups,
        pairs=pair_frame,
        did_growth=did_growth,
        did_margin=did_margin,
    )


# ---------------------------------------------------------------------- workspace storage
# Thin wrappers over kamcore.db.Workspace's plan methods (the SQL lives there).


def load_plan(workspace: Any, account: str) -> Plan:
    """The saved plan of ``account`` (empty when nothing is saved)."""
    objectives = [Objective(**row["payload"]) for row in workspace.plan_items("objective", account)]
    ids = {o.id for o in objectives}
    actions = []
    for row in workspace.plan_items("action", account):
        action = Action(**row["payload"])
        if action.objective_id and action.objective_id not in ids:  # its objective was deleted meanwhile
            action = action.model_copy(update={"objective_id": None})
        actions.append(action)
    notes_rows = workspace.plan_items("notes", account)
    notes = StrategyNotes(**notes_rows[-1]["payload"]) if notes_rows else None
    return Plan(account=account, objectives=objectives, actions=actions, notes=notes)


def all_objectives(workspace: Any) -> list[Objective]:
    """Every account's objectives."""
    return [Objective(**row["payload"]) for row in workspace.plan_items("objective")]


def all_actions(workspace: Any) -> list[Action]:
    """Every account's actions."""
    return [Action(**row["payload"]) for row in workspace.plan_items("action")]


def item_meta(workspace: Any, kind: str, account: str | None = None) -> dict[str, dict[str, Any]]:
    """Item id -> who created and last changed it, and when."""
    out = {}
    for row in workspace.plan_items(kind, account):
        key = row["payload"].get("id") or row["payload"].get("account")
        out[str(key)] = {k: row[k] for k in ("created_by", "created_at", "updated_by", "updated_at")}
    return out


def save_item(workspace: Any, item: Objective | Action | StrategyNotes, user: str | None) -> None:
    """Save one objective, action or the notes (recorded in the plan history)."""
    if isinstance(item, StrategyNotes):
        workspace.save_plan_item("notes", item.account, item.account, item.model_dump(mode="json"), user)
    else:
        kind = "objective" if isinstance(item, Objective) else "action"
        workspace.save_plan_item(kind, item.id, item.account, item.model_dump(mode="json"), user)


def delete_item(workspace: Any, item: Objective | Action, user: str | None) -> None:
    """Delete one objective or action (actions linked to a deleted objective are unlinked)."""
    if isinstance(item, Objective):
        for action in load_plan(workspace, item.account).actions:
            if action.objective_id == item.id:
                save_item(workspace, action.model_copy(update={"objective_id": None}), user)
        workspace.delete_plan_item("objective", item.id, user)
    else:
        workspace.delete_plan_item("action", item.id, user)


def save_plan(workspace: Any, plan: Plan, user: str | None) -> None:
    """Save every item of ``plan`` (an import): new ids are added, existing ones updated."""
    for objective in plan.objectives:
        save_item(workspace, objective, user)
    for action in plan.actions:
        save_item(workspace, action, user)
    if plan.notes is not None:
        save_item(workspace, plan.notes, user)
