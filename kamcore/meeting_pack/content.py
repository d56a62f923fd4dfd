"""What the meeting pack says: one :class:`Slide` per page of the deck, computed from kamcore.

Every number comes from the functions the pages call (``portfolio.abc_classes``,
``selection.score_accounts``, ``health.health_scores`` ...) on the workspace's canonical tables
with the same filters. Texts are catalogue keys (namespace ``pack`` and the pages' own) with typed
parameters, so the renderer writes them in the chosen language and number format.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kamcore import (
    health,
    health_inputs,
    manual_scores,
    plans,
    portfolio,
    segment_inputs,
    segments,
    selection,
    survey,
    tables,
)
from kamcore.errors import KamError
from kamcore.meeting_pack.sections import SECTIONS
from kamcore.schemas import FilterSettings, TableKind

THRESHOLDS = (0.80, 0.95)
PARETO_BARS = 100
#: The statuses every page shows by default (ui.widgets.status_filter): active and not described.
DEFAULT_STATUSES: tuple[str, ...] = ("active", tables.UNKNOWN_STATUS)
#: At most this many account slides (a shortlist is capped at 15 by default).
MAX_ACCOUNT_SLIDES = 20
#: Rows of a table on one slide (the shortlist, up to the default limit of 15, on one slide).
TABLE_ROWS = 12
SHORTLIST_ROWS = 15


def _key(namespace: str, name: str) -> str:
    """A page catalogue key from its namespace and name (portfolio + churn_count), written in two
    parts so the error-code check of tests/app/test_i18n.py does not take it for a KamError code."""
    return f"{namespace}.{name}"


# ----------------------------------------------------------------------------- typed values
@dataclass(frozen=True)
class Num:
    """A number the renderer writes in the language's format."""

    value: float | None
    decimals: int = 0


@dataclass(frozen=True)
class Pct:
    """A fraction (0.8) the renderer writes as a share (80,0 %)."""

    value: float | None
    decimals: int = 1


@dataclass(frozen=True)
class Date:
    """A date the renderer writes as the language does."""

    value: dt.date | None


@dataclass(frozen=True)
class Msg:
    """A catalogue text (``key`` with ``params``), e.g. a class label inside a sentence."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


#: A sentence or a cell: a catalogue text; inside, values are typed or user text (plain str).
Text = Msg


@dataclass
class Chart:
    """A figure built by the renderer with one of the app's figure builders.

    ``kind`` names the builder (see ``ui/pack_render.py`` FIGURES); ``args`` are its inputs.
    """

    kind: str
    args: tuple = ()


@dataclass
class Table:
    """A native table: ``columns`` are catalogue texts, ``rows`` hold typed values or user text."""

    columns: list[Msg]
    rows: list[list[Any]]


@dataclass
class Slide:
    """One page: a title, the plain-language findings, then up to two visuals side by side."""

    section: str
    title: Msg
    findings: list[Msg] = field(default_factory=list)
    visuals: list[Chart | Table] = field(default_factory=list)
    note: Msg | None = None


@dataclass
class Pack:
    """The deck: its slides and what it covers."""

    workspace: str | Msg  # a Msg in the anonymised mode (the workspace is usually named after the client)
    slides: list[Slide]
    filters: FilterSettings
    created: dt.date
    sections: tuple[str, ...]


# ------------------------------------------------------------------------------------ inputs
@dataclass
class Inputs:
    """The canonical tables the pack reads (as the pages see them)."""

    workspace: Any
    name: str | Msg
    filters: FilterSettings
    transactions: pd.DataFrame | None  # all sidebar filters applied
    history: pd.DataFrame | None  # all filters but the period
    everything: pd.DataFrame | None  # no filters (health, account trends)
    accounts: pd.DataFrame | None  # canonical accounts table (one row per account)
    accounts_name: str | None
    accounts_raw: pd.DataFrame | None
    survey_name: str | None = None
    statuses: tuple[str, ...] | None = None  # the account statuses kept (None: no status in the data)
    today: dt.date = field(default_factory=dt.date.today)
    #: The session's view settings: the Portfolio page's ABC thresholds (A, B cumulative shares),
    #: and the Selection page's model choices (``weights`` by criterion, ``normalisation``,
    #: ``missing``, ``cut_rule``, ``cut_attractiveness``, ``cut_strength``) over the saved ones.
    thresholds: tuple[float, float] = THRESHOLDS
    selection_view: Mapping[str, Any] | None = None
    #: The Segments page's k-means choices when the user has been there (``features``, ``k``:
    #: a number or None for the automatic choice, ``scale``, ``impute``, and optionally
    #: ``names``: segment -> the name the page shows where it is not the suggested one, typed or
    #: saved; with it the saved names are not read); None: the saved segments.
    segment_view: Mapping[str, Any] | None = None
    #: The clustering the Segments page shows for ``segment_view`` and the account features table
    #: it clustered (``(SegmentResult, DataFrame)``, from the app: the page's own result, so the
    #: slide and the page agree); None: computed here from ``every_status``.
    segment_result: Any = None
    #: All sidebar filters, every account status: the rows the Segments page clusters.
    every_status: pd.DataFrame | None = None


def _first(ws: Any, kind: TableKind, chosen: str | None) -> str | None:
    names = [info.name for info in ws.tables(kind)]
    if chosen in names:
        return chosen
    return names[0] if names else None


def _segment_assignment(ws: Any) -> dict | None:
    for name in ws.list_objects("segment_assignment"):
        payload = ws.load_object("segment_assignment", name)
        if payload and payload.get("key") == "customer_id":
            return payload
    return None


def load_inputs(
    ws: Any,
    name: str,
    filters: FilterSettings | None = None,
    *,
    active: Mapping[str, str | None] | None = None,
    today: dt.date | None = None,
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
) -> Inputs:
    """Read ``ws``'s tables the way ``ui.data`` does: canonical, segments attached, filtered.

    ``active`` names the table per kind the session works with (default: the first of each kind).
    ``statuses``: the account statuses the analyses keep when the customers table has a status
    (default: active and without status, as every page's status filter; None keeps all).
    Health and the key accounts' trends read all sales, as the account page does.
    """
    filters = filters or FilterSettings()
    active = dict(active or {})
    assignment = _segment_assignment(ws)
    txn_name = _first(ws, TableKind.transactions, active.get("transactions"))
    everything = history = current = None
    if txn_name:
        info = ws.table_info(txn_name)
        frame = tables.attach_segments(tables.canonical(ws.read_table(txn_name), info.mapping), assignment)
        if "customer_id" in frame:
            everything = frame
            history = tables.apply_filters(frame, filters, apply_period=False)
            current = tables.apply_filters(frame, filters, apply_period=True)
    acc_name = _first(ws, TableKind.accounts, active.get("accounts"))
    accounts = raw = None
    if acc_name:
        raw = ws.read_table(acc_name)
        accounts = tables.canonical(raw, ws.table_info(acc_name).mapping)
        if "customer_id" not in accounts:
            accounts = None
        else:
            accounts = tables.attach_segments(accounts, assignment).drop_duplicates("customer_id")
    kept: tuple[str, ...] | None = None
    every_status = current
    if statuses is not None and accounts is not None and "status" in accounts:
        status = tables.account_status(accounts)
        kept = tuple(sorted(statuses))
        if current is not None:
            current = current.loc[tables.accounts_with_status(current["customer_id"], status, set(kept))]
            history = history.loc[tables.accounts_with_status(history["customer_id"], status, set(kept))]
    return Inputs(
        workspace=ws, name=name, filters=filters, transactions=current, history=history, statuses=kept,
        everything=everything, accounts=accounts, accounts_name=acc_name, accounts_raw=raw,
        survey_name=active.get("survey"), today=today or dt.date.today(), every_status=every_status,
    )


def _names(frame: pd.DataFrame | None, accounts: pd.DataFrame | None = None) -> dict[str, str]:
    """Account id -> display name (the accounts table's name first, else the transactions')."""
    out: dict[str, str] = {}
    for source in (frame, accounts):
        if source is None or "customer_id" not in source or "customer_name" not in source:
            continue
        part = source[["customer_id", "customer_name"]].dropna().astype(str).drop_duplicates("customer_id")
        out.update(dict(zip(part["customer_id"], part["customer_name"], strict=True)))
    return out


def _label(names: Mapping[str, str], account: str) -> str:
    name = names.get(account)
    return f"{name} ({account})" if name and name != account else account


# ----------------------------------------------------------------------------- the sections
def title_slide(inputs: Inputs) -> Slide:
    f = inputs.filters
    findings: list[Msg] = [Msg("pack.title_workspace", {"name": inputs.name})]
    if f.date_from is not None and f.date_to is not None:
        findings.append(Msg("pack.title_period", {"start": Date(f.date_from), "end": Date(f.date_to)}))
    else:
        findings.append(Msg("pack.title_all_dates"))
    chosen = [(role, values) for role in ("region", "industry", "segment", "owner", "cluster")
              if (values := getattr(f, role))]
    for role, values in chosen:
        findings.append(Msg("pack.title_filter", {"role": Msg(f"app.role_{role}"), "values": ", ".join(values)}))
    if not chosen:
        findings.append(Msg("pack.title_no_filters"))
    if inputs.statuses is not None:
        findings.append(Msg("pack.title_statuses", {"statuses": _Join([Msg(f"status.{s}") if s in ("active", "churned", "unknown") else s
                                                 for s in inputs.statuses])}))
    frame = inputs.transactions
    if frame is not None and "revenue" in frame:
        findings.append(Msg("pack.title_totals", {"accounts": Num(frame["customer_id"].nunique()),
                                                 "revenue": Num(float(frame["revenue"].sum()))}))
    findings.append(Msg("pack.title_date", {"date": Date(inputs.today)}))
    return Slide("title", Msg("pack.deck_title"), findings)


def portfolio_slides(inputs: Inputs) -> list[Slide]:
    frame = inputs.transactions
    if frame is None or frame.empty or "revenue" not in frame:
        return [Slide("portfolio", Msg("pack.portfolio_title"), [Msg("pack.no_transactions")])]
    frame = frame.assign(customer_id=frame["customer_id"].astype("string"))
    names = _names(frame, inputs.accounts)
    slides: list[Slide] = []
    # Pareto: the few accounts that carry the revenue
    thresholds = inputs.thresholds
    classes = portfolio.abc_classes(frame, "customer_id", "revenue", thresholds)
    classes = classes.assign(name=classes["customer"].astype(str).map(lambda c: _label(names, c)))
    summary = portfolio.abc_summary(classes).set_index("abc_class")
    a = summary.loc["A"]
    top = classes.head(PARETO_BARS)
    findings = [Msg("pack.pareto_finding", {
        "n": Num(int(a["accounts"])), "total": Num(len(classes)), "accounts": Pct(float(a["account_share"])),
        "value": Pct(float(a["value_share"])), "limit": Pct(thresholds[0], 0)})]
    if len(classes) > len(top):
        findings.append(Msg(_key("portfolio", "pareto_tail"), {"shown": Num(len(top)),
                                                      "share": Pct(float(top["cum_share"].iloc[-1])),
                                                      "rest": Num(len(classes) - len(top))}))
    rows = [[Msg(f"portfolio.class_{cls}"), Num(int(summary.loc[cls, "accounts"])),
             Pct(float(summary.loc[cls, "account_share"])), Pct(float(summary.loc[cls, "value_share"]))]
            for cls in portfolio.CLASSES]
    slides.append(Slide(
        "portfolio", Msg("pack.pareto_title"), findings,
        [Chart("pareto", (top.reset_index(drop=True), "revenue", thresholds, len(classes))),
         Table([Msg("pack.col_class"), Msg("pack.col_accounts"), Msg("pack.col_account_share"),
                Msg("pack.col_revenue_share")], rows)],
    ))
    # Whale curve: where profit is made and destroyed
    if "profit" in frame:
        try:
            curve = portfolio.whale_curve(frame, "customer_id", "profit")
            whale = portfolio.whale_summary(curve)
            name_series = pd.Series({c: _label(names, c) for c in curve["customer"].astype(str)}, dtype="object")
            findings = [Msg("pack.whale_finding", {"peak": Pct(whale.peak_pct, 0), "n": Num(whale.accounts_at_peak),
                                                   "share": Pct(whale.accounts_at_peak_share)})]
            if whale.n_destroying:
                findings.append(Msg("pack.whale_destroying", {"n": Num(whale.n_destroying),
                                                              "value": Num(whale.destroyed_profit)}))
            slides.append(Slide("portfolio", Msg("pack.whale_title"), findings,
                                [Chart("whale", (curve, name_series, whale))]))
        except KamError:
            pass
    # Concentration
    conc = portfolio.concentration(frame, "customer_id", "revenue")
    slides.append(Slide(
        "portfolio", Msg("pack.concentration_title"),
        [Msg("pack.concentration_finding", {"top20": Pct(conc.top_20pct), "n80": Num(conc.accounts_for_80pct),
                                            "share80": Pct(conc.accounts_for_80pct_share),
                                            "gini": Num(conc.gini, 2), "hhi": Num(conc.hhi)})],
        [Chart("concentration", (conc,)),
         Table([Msg("pack.col_measure"), Msg("pack.col_value")], [
             [Msg("portfolio.conc_top20pct"), Pct(conc.top_20pct)],
             [Msg("portfolio.conc_for_80"), Num(conc.accounts_for_80pct)],
             [Msg(_key("portfolio", "conc_hhi")), Num(conc.hhi)],
             [Msg(_key("portfolio", "conc_gini")), Num(conc.gini, 2)],
         ])],
        note=Msg(_key("portfolio", "conc_caption"), {"n": Num(conc.n_accounts), "positive": Num(conc.n_positive)}),
    ))
    # Movement between classes: previous period against the current one
    history = inputs.history
    if history is not None and "date" in history and history["date"].notna().any():
        f = inputs.filters
        current = (f.date_from, f.date_to) if f.date_from is not None and f.date_to is not None else None
        try:
            moved = portfolio.movement(history.assign(customer_id=history["customer_id"].astype("string")),
                                       "customer_id", "date", "revenue", current=current, thresholds=thresholds)
        except KamError:
            moved = None
        if moved is not None:
            acc = moved.accounts
            down = int(((acc["previous_class"] == "A") & acc["current_class"].isin(["B", "C", "lost"])).sum())
            up = int((acc["previous_class"].isin(["B", "C", "new"]) & (acc["current_class"] == "A")).sum())
            risk = portfolio.churn_risk(moved)
            findings = [
                Msg(_key("portfolio", "movement_periods"), {
                    "prev_start": Date(moved.previous.start), "prev_end": Date(moved.previous.end),
                    "cur_start": Date(moved.current.start), "cur_end": Date(moved.current.end)}),
                Msg("pack.movement_finding", {"down": Num(down), "up": Num(up),
                                              "lost": Num(int((acc["current_class"] == "lost").sum())),
                                              "new": Num(int((acc["previous_class"] == "new").sum()))}),
                Msg(_key("portfolio", "churn_count"), {"n": Num(len(risk)), "value": Num(float(risk["previous_value"].sum()))}),
            ]
            top_risk = risk.sort_values("previous_value", ascending=False).head(8)
            table = Table([Msg("pack.col_account"), Msg(_key("portfolio", "col_previous_value")),
                           Msg(_key("portfolio", "col_current_value")), Msg("pack.col_change")],
                          [[_label(names, str(r.customer)), Num(r.previous_value), Num(r.current_value),
                            Pct(None if pd.isna(r.change_pct) else float(r.change_pct))]
                           for r in top_risk.itertuples()])
            visuals: list[Chart | Table] = [Chart("movement", (moved.matrix,))]
            if table.rows:
                visuals.append(table)
            slides.append(Slide("portfolio", Msg("pack.movement_title"), findings, visuals))
    return slides


def _manual_scores(inputs: Inputs, names: list[str], scores_name: str) -> pd.DataFrame:
    ws = inputs.workspace
    initial = None
    if inputs.accounts_name and inputs.accounts_raw is not None:
        id_column = ws.table_info(inputs.accounts_name).mapping.get("customer_id")
        if id_column in inputs.accounts_raw.columns:
            initial = manual_scores.manual_scores_from_table(inputs.accounts_raw, id_column)
    saved = manual_scores.manual_scores_from_payload(ws.load_object("manual_scores", scores_name), names)
    manual = manual_scores.combine_manual_scores(saved, initial)
    return manual


@dataclass
class SelectionResult:
    scored: pd.DataFrame
    model: selection.SelectionModel
    shortlist: list[str]
    saved: dict


def selection_result(inputs: Inputs, limit: int = 15) -> SelectionResult | None:
    """The selection page's scores with the saved shortlist's weights, and the shortlist (saved, else
    the recommended top accounts)."""
    history = inputs.history
    if history is None or not {"date", "revenue"} <= set(history.columns):
        return None
    ws = inputs.workspace
    scores_name = inputs.accounts_name or "accounts"
    saved = ws.load_object("shortlist", scores_name) or {}
    if not saved:
        for other in ws.list_objects("shortlist"):
            saved = ws.load_object("shortlist", other) or {}
            if saved:
                break
    period_end = inputs.filters.date_to
    as_of = pd.Timestamp(period_end) if period_end is not None else history["date"].max()
    try:
        measures = selection.account_measures(history, inputs.accounts, as_of=as_of)
        model = selection.default_model()
        view = dict(inputs.selection_view or {})
        names = {c.name for c in model.criteria}
        weights = {k: v for k, v in {**(saved.get("weights") or {}), **(view.get("weights") or {})}.items()
                   if k in names}
        model = model.with_weights(weights).model_copy(update={
            "normalisation": view.get("normalisation", saved.get("normalisation", model.normalisation)),
            "missing": view.get("missing", saved.get("missing", model.missing)),
            "shortlist_limit": limit,
            **{k: view[k] for k in ("cut_rule", "cut_attractiveness", "cut_strength") if k in view},
        })
        manual = _manual_scores(inputs, model.manual_names, scores_name)
        scored = selection.score_accounts(measures, model, manual)
    except KamError:
        return None
    known = set(scored["customer_id"].astype(str))
    ids = [i for i in (str(c) for c in saved.get("customer_ids", [])) if i in known]
    if not ids:
        ids = selection.shortlist(scored, limit=limit).table["customer_id"].astype(str).tolist()
    return SelectionResult(scored, model, ids, saved)


def selection_slides(inputs: Inputs, result: SelectionResult | None) -> list[Slide]:
    if result is None:
        return [Slide("selection", Msg("pack.selection_title"), [Msg("pack.no_selection")])]
    scored, model = result.scored, result.model
    counts = scored["category"].value_counts()
    saved_at = result.saved.get("saved_at")
    findings = [Msg("pack.selection_finding", {"n": Num(len(scored)), "key_box": Num(int(counts.get("key", 0))),
                                               "dev": Num(int(counts.get("key_development", 0)))})]
    if result.saved.get("customer_ids"):
        when = pd.Timestamp(saved_at).date() if saved_at else None
        findings.append(Msg("pack.shortlist_saved", {"n": Num(len(result.shortlist)), "date": Date(when)}))
    else:
        findings.append(Msg("pack.shortlist_recommended", {"n": Num(len(result.shortlist))}))
    weights = Table([Msg("pack.col_criterion"), Msg("pack.col_axis"), Msg("pack.col_weight")],
                    [[Msg(f"selection.criterion_{c.name}") if c.manual_name is None or c.name in _KNOWN_CRITERIA
                      else c.name, Msg(f"selection.axis_{c.axis}"), Pct(c.weight / total, 0)]
                     for total in [sum(c.weight for c in model.criteria) or 1.0] for c in model.criteria])
    slides = [Slide("selection", Msg("pack.selection_title"), findings,
                    [Chart("matrix", (scored, model, "category")), weights],
                    note=Msg("pack.weights_note"))]
    chosen = scored.set_index(scored["customer_id"].astype(str)).reindex(result.shortlist).dropna(how="all")
    rows = [[Num(int(r["rank"])), f"{r.get('customer_name') or ''} ({cid})" if pd.notna(r.get("customer_name"))
             else cid, Msg(f"selection.category_{r['category']}"), Num(r.get("revenue")),
             Num(r["attractiveness"]), Num(r["strength"]), Num(r["total"])]
            for cid, r in chosen.iterrows()]
    for start in range(0, max(len(rows), 1), SHORTLIST_ROWS):
        slides.append(Slide(
            "selection", Msg("pack.shortlist_title"),
            [Msg("pack.shortlist_finding", {"n": Num(len(rows)),
                                            "revenue": Pct(_share(scored, chosen, "revenue"))})],
            [Table([Msg("pack.col_rank"), Msg("pack.col_account"), Msg("pack.col_box"), Msg("pack.col_revenue_12m"),
                    Msg(_key("selection", "axis_attractiveness")), Msg(_key("selection", "axis_strength")), Msg("pack.col_total")],
                   rows[start:start + SHORTLIST_ROWS])],
        ))
    return slides


_KNOWN_CRITERIA = frozenset(c.name for c in selection.default_model().criteria)


def _share(scored: pd.DataFrame, chosen: pd.DataFrame, column: str) -> float | None:
    if column not in scored:
        return None
    total = float(scored[column].clip(lower=0).sum())
    return float(chosen[column].clip(lower=0).sum()) / total if total > 0 else None


def segment_slides(inputs: Inputs) -> list[Slide]:
    frame = inputs.transactions
    if frame is None or not {"date", "revenue"} <= set(frame.columns):
        return [Slide("segments", Msg("pack.segments_title"), [Msg("pack.no_transactions")])]
    try:
        table = segments.rfm(frame, "customer_id", "date", "revenue",
                             order="order_id" if "order_id" in frame else None)
    except KamError:
        return [Slide("segments", Msg("pack.segments_title"), [Msg("pack.no_transactions")])]
    total = float(table["monetary"].clip(lower=0).sum()) or 1.0
    grouped = table.groupby("rfm_segment", observed=True).agg(
        accounts=("monetary", "size"), revenue=("monetary", lambda s: float(s.clip(lower=0).sum())),
        recency=("recency_days", "median"))
    grouped = grouped.reindex([s for s in segments.RFM_SEGMENTS if s in grouped.index])
    biggest = grouped["revenue"].idxmax()
    findings = [Msg("pack.rfm_finding", {"segment": Msg(f"segments.rfm_{biggest}"),
                                         "share": Pct(grouped.loc[biggest, "revenue"] / total),
                                         "n": Num(int(grouped.loc[biggest, "accounts"]))})]
    at_risk = [s for s in ("at_risk", "cant_lose") if s in grouped.index]
    if at_risk:
        findings.append(Msg("pack.rfm_at_risk", {"n": Num(int(grouped.loc[at_risk, "accounts"].sum())),
                                                 "share": Pct(float(grouped.loc[at_risk, "revenue"].sum()) / total)}))
    rows = [[Msg(f"segments.rfm_{s}"), Num(int(r.accounts)), Pct(r.revenue / total), Num(r.recency)]
            for s, r in grouped.iterrows()]
    slides = [Slide("segments", Msg("pack.segments_title"), findings,
                    [Chart("rfm", (table,)),
                     Table([Msg("pack.col_segment"), Msg("pack.col_accounts"), Msg("pack.col_revenue_share"),
                            Msg("pack.col_recency")], rows)])]
    viewed = _page_clusters(inputs)
    if viewed is not None:
        slides.append(viewed)
    elif "cluster" in frame and frame["cluster"].notna().any():
        per = frame.groupby("cluster", observed=True).agg(accounts=("customer_id", "nunique"),
                                                          revenue=("revenue", "sum"))
        per = per.sort_values("revenue", ascending=False)
        rev_total = float(per["revenue"].clip(lower=0).sum()) or 1.0
        slides.append(Slide("segments", Msg("pack.clusters_title"),
                            [Msg("pack.clusters_finding", {"n": Num(len(per)), "name": str(per.index[0]),
                                                           "share": Pct(max(float(per["revenue"].iloc[0]), 0) / rev_total)})],
                            [Table([Msg("pack.col_segment"), Msg("pack.col_accounts"), Msg("pack.col_revenue"),
                                    Msg("pack.col_revenue_share")],
                                   [[str(c), Num(int(r.accounts)), Num(r.revenue), Pct(max(r.revenue, 0) / rev_total)]
                                    for c, r in per.head(TABLE_ROWS).iterrows()])]))
    return slides


def page_clusters(inputs: Inputs) -> tuple[segments.SegmentResult, pd.DataFrame] | None:
    """The Segments page's k-means view (its features, k, scaling, imputing) on the page's rows
    (all filters, every status), with accounts and revenue per cluster; None when the session has
    no such view or it cannot be computed."""
    view = inputs.segment_view
    frame = inputs.every_status
    if not view or not view.get("features") or frame is None or not {"date", "revenue"} <= set(frame.columns):
        return None
    if inputs.segment_result is not None and list(inputs.segment_result[0].features) == list(view["features"]):
        result, table = inputs.segment_result
    else:
        try:
            result, table = _cluster_view(frame, view)
        except KamError:
            return None
        if result is None:
            return None
    labels = result.labels.dropna()
    revenue = table.loc[labels.index, "monetary"].groupby(labels).sum()
    per = pd.DataFrame({"accounts": result.sizes, "revenue": revenue.reindex(result.sizes.index).fillna(0.0)})
    return result, per.sort_values("revenue", ascending=False, kind="stable")


def _cluster_view(frame: pd.DataFrame, view: Mapping[str, Any]) -> tuple[Any, pd.DataFrame]:
    """k-means of the accounts in ``frame`` with the page's choices ``view`` and the account
    features table; ``(None, table)`` when a feature is missing (KamError when it cannot be made)."""
    table = segments.account_features(frame)
    features = [f for f in view["features"] if f in table.columns]
    if features != list(view["features"]):
        return None, table
    k = view.get("k")
    result = segments.kmeans_segments(table, features, k=int(k) if k is not None else None,
                                      scale=view.get("scale", "standard"), impute=view.get("impute"),
                                      diagnostics=k is None)
    return result, table


def _suggested_names(result: segments.SegmentResult) -> dict[int, Any]:
    """The names the Segments page suggests for account segments (ui.figures.segments.default_names),
    as catalogue texts: "high recency/frequency, low margin", numbered when two are the same."""
    names: dict[int, Any] = {}
    for segment, parts in segments.segment_name_parts(result).items():
        phrases = [Msg(_key("segments", f"level_{part.level}"),
                       {"what": _Join([Msg(_key("segments", f"short_{f}")) for f in part.features], "/")})
                   for part in parts]
        names[int(segment)] = _Join(phrases)
    return {s: Msg(_key("segments", "name_numbered"), {"name": n, "segment": s})
            if sum(other == n for other in names.values()) > 1 else n for s, n in names.items()}


def _page_clusters(inputs: Inputs) -> Slide | None:
    found = page_clusters(inputs)
    if found is None:
        return None
    result, per = found
    shown = (inputs.segment_view or {}).get("names")
    if shown is not None:  # the names on the page, typed or saved (what is on the page is in the pack)
        saved = {int(s): str(n) for s, n in shown.items()}
    else:
        payload = _segment_assignment(inputs.workspace) if inputs.workspace is not None else None
        saved = segment_inputs.names_from_payload(payload, result.k, result.features)

    suggested = _suggested_names(result)

    def name(segment: Any) -> Any:
        return saved.get(int(segment)) or suggested.get(int(segment)) or Msg("pack.cluster_number",
                                                                              {"n": Num(int(segment))})

    rev_total = float(per["revenue"].clip(lower=0).sum()) or 1.0
    top = per.index[0]
    features = _Join([Msg(_key("segments", f"feature_{f}")) for f in result.features])
    return Slide("segments", Msg("pack.page_clusters_title"),
                 [Msg("pack.page_clusters_finding", {
                     "k": Num(result.k), "n": Num(int(per["accounts"].sum())), "features": features,
                     "name": name(top), "accounts": Num(int(per.loc[top, "accounts"])),
                     "share": Pct(max(float(per.loc[top, "revenue"]), 0.0) / rev_total)})],
                 [Table([Msg("pack.col_segment"), Msg("pack.col_accounts"), Msg("pack.col_revenue"),
                         Msg("pack.col_revenue_share")],
                        [[name(c), Num(int(r.accounts)), Num(r.revenue), Pct(max(r.revenue, 0) / rev_total)]
                         for c, r in per.head(TABLE_ROWS).iterrows()])])


@dataclass
class SurveyResult:
    name: str
    gaps: pd.DataFrame
    ipa: pd.DataFrame | None
    texts: dict[str, str]
    n: int
    prepared: Any


def survey_result(inputs: Inputs) -> SurveyResult | None:
    """The first survey (or the session's) with expectation/perception pairs, prepared as the Survey
    page prepares it (saved dictionary, labels and shifts), customer respondents only."""
    from kamcore import survey_ingest
    from kamcore.survey_prepare import prepare_survey

    ws = inputs.workspace
    names = [info.name for info in ws.tables(TableKind.survey)]
    if inputs.survey_name in names:
        names.remove(inputs.survey_name)
        names.insert(0, inputs.survey_name)
    for name in names:
        raw = ws.read_table(name)
        if raw is None or raw.empty:
            continue
        info = ws.table_info(name)

        def saved(kind: str, name: str = name) -> dict:
            return ws.load_object(kind, name) or {}

        rows = saved("item_dictionary").get("rows")
        options = {"segments": ws.load_object("segment_assignment", name),
                   "question_texts": (info.quality or {}).get("question_texts") or {},
                   "label_mapping": saved("survey_labels").get("labels", {}),
                   "shifts": saved("survey_shifts").get("shifts", {}), "mapping": dict(info.mapping.roles)}
        try:
            try:
                prepared = prepare_survey(raw, pd.DataFrame(rows) if rows else None, accounts=inputs.accounts,
                                          transactions=inputs.everything, **options)
            except KamError:
                prepared = prepare_survey(raw, None, accounts=inputs.accounts, transactions=inputs.everything,
                                          **options)
        except (KamError, ValueError, KeyError):
            continue
        d = prepared.dictionary
        pairs = d.pairs("gap")
        if not pairs:
            continue
        keyed = prepared.keyed()
        group_column = prepared.attribute_roles.get("group")
        if group_column:
            is_staff = (survey_ingest.group_labels(prepared.attributes[group_column]) == "supplier").fillna(False)
            keyed = keyed[~is_staff.to_numpy()]
        try:
            gaps = survey.customer_gap(keyed, pairs)
        except KamError:
            continue
        ipa_pairs = d.pairs("ipa") or pairs
        first = next(iter(ipa_pairs.values()))[0]
        row = next((r for r in d.rows if r.item == first), None)
        scale = (row.scale_min, row.scale_max) if row is not None and row.scale_min is not None else (
            float(keyed[first].min()), float(keyed[first].max()))
        try:
            importance = keyed[[p[0] for p in ipa_pairs.values()]].set_axis(list(ipa_pairs), axis=1)
            performance = keyed[[p[1] for p in ipa_pairs.values()]].set_axis(list(ipa_pairs), axis=1)
            ipa_result = survey.ipa(importance, performance, crosshair="mean", scale=scale)
        except KamError:
            ipa_result = None
        texts = {r.item: r.question for r in d.rows if r.question}
        return SurveyResult(name, gaps, ipa_result, {p: texts.get(e, p) for p, (e, _) in ipa_pairs.items()},
                            len(keyed), prepared)
    return None


def survey_slides(inputs: Inputs, result: SurveyResult | None) -> list[Slide]:
    if result is None:
        return [Slide("survey", Msg("pack.survey_title"), [Msg("pack.no_survey")])]
    gaps = result.gaps.dropna(subset=["mean_gap"])
    findings = [Msg("pack.survey_respondents", {"n": Num(result.n), "name": result.name})]
    if not gaps.empty:
        worst = gaps.loc[gaps["mean_gap"].idxmin()]
        short = int((gaps["mean_gap"] < 0).sum())
        findings.append(Msg("pack.gap_finding", {"short": Num(short), "total": Num(len(gaps)),
                                                 "item": str(worst["pair"]), "gap": Num(float(worst["mean_gap"]), 2)}))
    worst_rows = gaps.sort_values("mean_gap").head(TABLE_ROWS)
    slides = [Slide("survey", Msg("pack.survey_title"), findings,
                    [Chart("gap", (result.gaps,)),
                     Table([Msg(_key("survey", "col_pair")), Msg("pack.col_expectation"), Msg("pack.col_perception"),
                            Msg("pack.col_gap"), Msg("pack.col_n")],
                           [[str(r.pair), Num(r.mean_expectation, 2), Num(r.mean_perception, 2), Num(r.mean_gap, 2),
                             Num(int(r.n))] for r in worst_rows.itertuples()])])]
    if result.ipa is not None and not result.ipa.empty:
        focus = result.ipa[result.ipa["quadrant"] == "concentrate_here"]["item"].astype(str).tolist()
        findings = [Msg("pack.ipa_finding", {"n": Num(len(focus)), "items": ", ".join(focus) or "–"})]
        rows = [[str(r.item), Num(r.importance, 2), Num(r.performance, 2),
                 Msg(f"survey.quadrant_{r.quadrant}") if r.quadrant else ""]
                for r in result.ipa.sort_values(["quadrant", "importance"], ascending=[True, False])
                .head(TABLE_ROWS).itertuples()]
        slides.append(Slide("survey", Msg("pack.ipa_title"), findings,
                            [Chart("ipa", (result.ipa, result.texts)),
                             Table([Msg(_key("survey", "col_pair")), Msg(_key("survey", "col_importance")),
                                    Msg(_key("survey", "col_performance")), Msg(_key("survey", "col_quadrant"))], rows)]))
    return slides


def health_survey(survey_res: SurveyResult | None) -> health.SurveyInput | None:
    """The pack's survey prepared for health (None without a survey or an account column)."""
    health_input = None
    if survey_res is not None:
        try:
            # As the account page: the prepared survey's keyed answers, account and group (issue 14).
            health_input = health.survey_input(survey_res.prepared)
        except (KamError, ValueError, KeyError):
            health_input = None
    return health_input


def health_inputs_for(inputs: Inputs, survey_input: health.SurveyInput | None = None) -> health_inputs.HealthInputs:
    """What the account page scores health with, read from the workspace without a session
    (``kamcore.health_inputs.for_workspace``): team scores, buying-centre coverage, P(alive), and
    ``survey_input`` (the pack's survey, prepared for health)."""
    return health_inputs.for_workspace(inputs.workspace, inputs.everything, accounts_name=inputs.accounts_name,
                                       accounts_raw=inputs.accounts_raw, survey=survey_input)


def account_slides(inputs: Inputs, shortlist: list[str], survey_res: SurveyResult | None = None,
                   weights: Mapping[str, float] | None = None,
                   scored_with: health_inputs.HealthInputs | None = None) -> list[Slide]:
    """One slide per key account. Health is scored with ``scored_with`` (the account page's inputs,
    from the app), else with :func:`health_inputs_for` and the survey of ``survey_res``."""
    txn = inputs.everything
    if not shortlist:
        return [Slide("accounts", Msg("pack.accounts_title"), [Msg("pack.no_shortlist")])]
    if txn is None or not {"date", "revenue"} <= set(txn.columns):
        return [Slide("accounts", Msg("pack.accounts_title"), [Msg("pack.no_transactions")])]
    txn = txn.assign(customer_id=txn["customer_id"].astype(str))
    names = _names(txn, inputs.accounts)
    if scored_with is None:
        scored_with = health_inputs_for(inputs, health_survey(survey_res))
    health_input = scored_with.survey
    try:
        scores = health.health_scores(txn, accounts=scored_with.accounts, survey=health_input,
                                      weights=weights or health.DEFAULT_WEIGHTS)
    except KamError:
        scores = None
    gap_by_area = None
    everyone = None
    if health_input is not None:
        try:
            gap_by_area = health.survey_measures(health_input)
            everyone = survey.customer_gap_by_dimension(health_input.responses, health_input.dictionary)
        except (KamError, ValueError, KeyError, AttributeError):
            gap_by_area = None
    ws = inputs.workspace
    slides: list[Slide] = []
    for account in shortlist[:MAX_ACCOUNT_SLIDES]:
        label = _label(names, account)
        findings: list[Msg] = []
        visuals: list[Chart | Table] = []
        row = None
        if scores is not None:
            me = scores[scores["account"].astype(str) == account]
            if not me.empty:
                row = me.iloc[0]
                findings.append(Msg("pack.account_health", {
                    "score": Num(row["health"]), "band": Msg(f"account.band_{row['band']}"),
                    "rank": Num(int(me.index[0]) + 1), "n": Num(len(scores))}))
                drivers = [Msg(f"account.driver_{c}") for c in (row["driver_codes"] or ())]
                if drivers and not _full_marks(row["health"]):  # nothing pulls a 100 down
                    findings.append(Msg("pack.account_drivers", {"drivers": _Join(drivers)}))
        series = portfolio.monthly_series(txn, account, "customer_id", "date", "revenue",
                                          "profit" if "profit" in txn else None)
        if not series.empty:
            last12 = float(series["revenue"].tail(12).sum())
            before = float(series["revenue"].iloc[-24:-12].sum()) if len(series) > 12 else None
            findings.append(Msg("pack.account_trend", {"revenue": Num(last12),
                                                       "change": Pct((last12 - before) / before
                                                                     if before and before > 0 else None)}))
            visuals.append(Chart("trend", (series, "profit" in txn)))
        facts: list[list[Any]] = []
        if row is not None:
            facts.append([Msg("account.health"), Num(row["health"]), Msg(f"account.band_{row['band']}")])
            facts += [[Msg(f"account.component_{c}"), Num(row.get(c)), ""] for c in health.COMPONENTS
                      if pd.notna(row.get(c))]
        if gap_by_area is not None and account in gap_by_area.index and everyone is not None:
            mine = gap_by_area.loc[account]
            all_gap = everyone.set_index("dimension")["mean_gap"] if len(everyone) else pd.Series(dtype=float)
            areas = [c.split("::", 1)[1] for c in gap_by_area.columns if c.startswith("gap::")]
            gaps = {a: mine[f"gap::{a}"] for a in areas if pd.notna(mine[f"gap::{a}"])}
            if gaps:
                worst = min(gaps, key=gaps.get)
                findings.append(Msg("pack.account_gap", {"area": _Dimension(worst), "gap": Num(float(gaps[worst]), 2)}))
                facts += [[Msg("pack.gap_row", {"area": _Dimension(a)}), Num(float(g), 2),
                           Msg("pack.gap_all", {"gap": Num(all_gap.get(a), 2)})] for a, g in gaps.items()]
        table: Table | None = None
        if facts:
            table = Table([Msg("pack.col_measure"), Msg("pack.col_value"), Msg("pack.col_comment")], facts)
        plan = plans.load_plan(ws, account)
        overdue = plans.overdue_actions(plan.actions, inputs.today)
        if plan.objectives or plan.actions:
            findings.append(Msg("pack.account_plan", {"objectives": Num(len(plan.objectives)),
                                                      "actions": Num(len(plan.actions)),
                                                      "overdue": Num(len(overdue))}))
            shown = overdue or [a for a in plan.actions if a.status in plans.OPEN_STATUSES]
            if shown:
                owner = [a.owner for a in shown[:6]]
                table = Table([Msg("pack.col_action"), Msg("pack.col_owner"), Msg("pack.col_due"),
                               Msg("pack.col_status")],
                              [[a.what, o, Date(a.due),
                                Msg("pack.overdue") if a in overdue else Msg(f"account.status_{a.status}")]
                               for a, o in zip(shown[:6], owner, strict=True)])
        else:
            findings.append(Msg("pack.account_no_plan"))
        if table is not None:
            visuals.append(table)
        slides.append(Slide("accounts", Msg("pack.account_title", {"account": label}), findings, visuals))
    return slides


def _full_marks(score: Any) -> bool:
    """True for a health score shown as 100 (its drivers pull nothing down that anyone can see)."""
    return score is not None and not pd.isna(score) and float(score) >= 99.5


@dataclass(frozen=True)
class _Join:
    """Catalogue texts (or user text) joined with commas (or ``sep``)."""

    parts: list[Any]
    sep: str = ", "


@dataclass(frozen=True)
class _Dimension:
    """A survey dimension code: the four key areas translated, others as the user named them."""

    name: str


Join = _Join
Dimension = _Dimension


# ------------------------------------------------------------------------------------ build
def build(inputs: Inputs, sections: Iterable[str] = SECTIONS, *, shortlist_limit: int = 15,
          progress: Callable[[str], None] | None = None,
          health_weights: Mapping[str, float] | None = None,
          health_with: health_inputs.HealthInputs | None = None) -> Pack:
    """The pack's slides for ``sections`` (in deck order), from ``inputs``.

    ``progress(section)`` is called before each section is computed; ``health_weights`` and
    ``health_with`` are the health weights and inputs the session's account page uses (default:
    the standard weights, and the inputs read from the workspace).
    """
    wanted = [s for s in SECTIONS if s in set(sections) | {"title"}]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise KamError("pack.unknown_section", "Unknown pack section: {name}.", name=sorted(unknown)[0])
    slides: list[Slide] = []
    chosen: SelectionResult | None = None
    survey_res: SurveyResult | None = None
    left_out: list[Msg] = []  # why a section has no slide (e.g. no survey in a client's export)
    for section in wanted:
        if progress is not None:
            progress(section)
        made: list[Slide] = []
        if section == "title":
            made = [title_slide(inputs)]
        elif section == "portfolio":
            made = portfolio_slides(inputs)
        elif section == "selection":
            chosen = selection_result(inputs, shortlist_limit)
            made = selection_slides(inputs, chosen)
        elif section == "segments":
            made = segment_slides(inputs)
        elif section == "survey":
            survey_res = survey_result(inputs)
            made = survey_slides(inputs, survey_res)
        elif section == "accounts":
            if chosen is None:
                chosen = selection_result(inputs, shortlist_limit)
            if survey_res is None:
                survey_res = survey_result(inputs)
            made = account_slides(inputs, chosen.shortlist if chosen else [], survey_res, health_weights,
                                  health_with)
        if section != "title" and _only_says_no_data(made):
            left_out += [f for s in made for f in s.findings if f not in left_out]
        else:
            slides += made
    if left_out and slides and slides[0].section == "title":
        # a slide that would only say "no data" is not shown; the title slide says what is missing
        slides[0].findings += left_out
    return Pack(inputs.name, slides, inputs.filters, inputs.today, tuple(wanted))


NO_DATA = frozenset({"pack.no_transactions", "pack.no_selection", "pack.no_survey", "pack.no_shortlist"})


def _only_says_no_data(slides: list[Slide]) -> bool:
    """True when a section's slides hold nothing but a "no data" sentence."""
    return bool(slides) and all(not s.visuals and s.findings and all(f.key in NO_DATA for f in s.findings)
                                for s in slides)


def payload_json(value: Any) -> str:
    """Stable JSON of a saved payload (for cache keys)."""
    return json.dumps(value, sort_keys=True, default=str)
