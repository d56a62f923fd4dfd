"""The Segments page's parts: cached clustering, the two sources, features and the name editor.

``pages/segments.py`` calls these in order; the defaults and the saved format are
``kamcore.segment_inputs``'s, the clustering ``kamcore.segments``'.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from kamcore import segment_inputs as inputs
from kamcore import segments as sg
from kamcore.errors import KamError
from kamcore.schemas import TableKind
from ui import charts, data, i18n, state, widgets
from ui.figures import segments as figures
from ui.i18n import fmt_num, labeller, t
from ui.shared import keyed

#: The names the page's editor shows for the account segments (session state, not a widget's:
#: it outlives the page): ``labels`` (:func:`labels_key` of the clustering they name), ``k``,
#: ``features`` and ``names`` (segment -> name, only where it is not the suggested name). The
#: meeting pack's cluster slide shows these, saved or not (ui.meeting_pack).
NAMES_SHOWN = "segments._names_shown"
#: :func:`labels_key`'s fingerprints of this session's clusterings by origin (session state)
LABELS_KEYS = "segments._labels_keys"

#: Above this many rows the automatic choice of k (the scan over every k: gap statistic, three
#: indices, stability re-runs; seconds at 50,000 accounts) runs in the background while the page
#: shows the result for the slider's k; below it, it is quick enough to wait for.
BACKGROUND_ROWS = 5_000


# The frame goes in unhashed (_table); the workspace key and the content hash identify it.
@st.cache_data(max_entries=16, show_spinner=False)
def cluster(
    _table: pd.DataFrame,
    workspace_key: str,
    table_hash: str,
    features: tuple[str, ...],
    k: int | None,
    scale: str,
    impute: str | None,
    diagnostics: bool = True,
) -> sg.SegmentResult:
    return sg.kmeans_segments(_table, list(features), k=k, scale=scale, impute=impute, diagnostics=diagnostics)


@st.cache_data(max_entries=16, show_spinner=False)
def projection(
    _table: pd.DataFrame,
    workspace_key: str,
    table_hash: str,
    features: tuple[str, ...],
    scale: str,
    impute: str | None,
) -> pd.DataFrame:
    return sg.pca_2d(_table, list(features), scale=scale, impute=impute)


def _account_features(transactions: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    table = sg.account_features(transactions)
    names = table["customer_name"] if "customer_name" in table else pd.Series(table.index, index=table.index)
    hover = names.astype("str").where(names.notna(), "") + " (" + table.index.astype("str") + ")"
    return table, hover


#: ``attrs`` key of a table whose content a key names (the account features: ``ui.data``'s key).
CONTENT_KEY = "segments.content_key"


def fingerprint(table: pd.DataFrame, features: list[str]) -> str:
    """:func:`kamcore.segment_inputs.frame_fingerprint` of ``table[features]``; once per content
    key and features when the table carries one (the account features: hashing 50,000 rows took
    0.05 s on every rerun of the page)."""
    # the key account_source set: ui.data's key of the transactions, then "account_features"
    frame_key = table.attrs.get(CONTENT_KEY)
    if frame_key is None:
        return inputs.frame_fingerprint(table[features])
    return keyed((*frame_key, "fingerprint", tuple(features)), inputs.frame_fingerprint, table[features])


def account_source() -> tuple[pd.DataFrame, str, str, pd.Series]:
    """Account table with RFM and margin features, its save name, key column and hover names."""
    found = data.transactions_keyed()
    widgets.require(found and found[0], "segments.no_transactions")
    transactions, frame_key = found
    try:  # once per data key (workspace, table version, filters): ui.shared.keyed
        with st.spinner(t("working.segments_features", rows=fmt_num(len(transactions)))):
            table, hover = keyed((*frame_key, "account_features"), _account_features, transactions)
    except KamError as exc:
        widgets.stop_with_error(exc)
    table.attrs[CONTENT_KEY] = (*frame_key, "account_features")  # (this session's shallow copy)
    return table, data.active_table(TableKind.transactions) or "transactions", "customer_id", hover


def survey_source() -> tuple[pd.DataFrame, str, str, pd.Series]:
    """The chosen survey table, its name, the respondent key column and hover labels."""
    name = widgets.table_picker(TableKind.survey, key="segments.survey_table")
    widgets.require(name, "segments.no_survey")
    table = data.table(name)
    widgets.require(table, "segments.no_survey")
    key = sg.respondent_key(table)
    if key is None:
        ids = pd.Series(np.arange(1, len(table) + 1), index=table.index).astype("str")
        key = inputs.ROW_KEY
    else:
        ids = inputs.respondent_ids(table[key])
    return table, name, key, ids


def pick_features(table: pd.DataFrame, source: str, key_column: str, table_name: str) -> list[str]:
    """The features multiselect, starting from ``kamcore.segment_inputs.default_features``."""
    options = inputs.feature_options(table, source, key_column)
    saved = state.workspace().load_object(inputs.FEATURES_KIND, table_name) if source == "survey" else None
    default = inputs.default_features(options, source, saved)
    remembered = st.session_state.get("segments.features")
    # Options change with the source; a stale choice would not be a valid value any more.
    if remembered is None or any(f not in options for f in remembered):
        st.session_state["segments.features"] = [f for f in default if f in options]
    return st.multiselect(
        t("segments.features"),
        options,
        key="segments.features",
        format_func=labeller("segments.feature_") if source == "accounts" else str,
        help=t("segments.features_help"),
    )


def saved_names(table_name: str, result: sg.SegmentResult) -> dict[int, str]:
    """Names saved earlier for this table, when they belong to the same features and k."""
    payload = state.workspace().load_object("segment_assignment", table_name)
    return inputs.names_from_payload(payload, result.k, result.features)


def name_editor(result: sg.SegmentResult, suggested: dict[int, str], start: dict[int, str],
                origin: tuple | None = None) -> dict[int, str]:
    """Editable segment names beside their size; returns the names to use. ``origin``: what
    ``result`` was computed from (:func:`labels_key`)."""
    signature = json.dumps([result.k, result.features, sorted(start.items())])
    if st.session_state.get("segments._names_signature") != signature:
        # Edits belong to one clustering; a new one starts from fresh names.
        st.session_state.pop("segments.names", None)
        st.session_state["segments._names_signature"] = signature
    frame = pd.DataFrame(
        {
            "name": [start.get(s, suggested[s]) for s in result.sizes.index],
            "suggested": [suggested[s] for s in result.sizes.index],
            "n": result.sizes.to_numpy(),
            "share": (100 * result.sizes.to_numpy() / result.sizes.sum()).round(0),
        },
        index=result.sizes.index,
    )
    edited = st.data_editor(
        frame,
        key="segments.names",
        on_change=_names_changed,
        disabled=["suggested", "n", "share"],
        width="stretch",
        placeholder=i18n.MISSING,
        column_config={
            "_index": st.column_config.NumberColumn(t("segments.col_segment")),
            "name": st.column_config.TextColumn(t("segments.col_name"), required=True, max_chars=80),
            "suggested": st.column_config.TextColumn(t("segments.col_suggested")),
            "n": st.column_config.NumberColumn(t("segments.col_n"), format=i18n.number_format(0)),
            "share": st.column_config.ProgressColumn(
                t("segments.col_share"), format=i18n.percent_format(), min_value=0, max_value=100
            ),
        },
    )
    names = {}
    for segment, name in edited["name"].items():
        text = str(name).strip() if pd.notna(name) else ""
        names[int(segment)] = text or suggested[int(segment)]
    if st.session_state.get("segments.source") == "accounts":  # the pack's cluster slide is about accounts
        st.session_state[NAMES_SHOWN] = {
            "labels": labels_key(result, origin), "k": result.k, "features": list(result.features),
            "names": {s: n for s, n in names.items() if n != suggested[s]},
        }  # fmt: skip
    return names


def _names_changed() -> None:
    """A name typed: a meeting pack built before no longer shows the page's names, so its
    downloads go (before the sidebar draws them again in this run)."""
    from ui import meeting_pack

    st.session_state.pop(meeting_pack.FILES_KEY, None)


def labels_key(result: sg.SegmentResult, origin: tuple | None = None) -> str:
    """A fingerprint of ``result``'s segments (which account is in which numbered segment).

    ``origin``: the cache key ``result`` came from (:func:`result_origin`, the page's own
    clustering); the fingerprint is then made once per origin in this session (issue 19: 50,000
    labels were hashed on every rerun), the same one as without it. Kept in the session, not
    shared: sessions have nothing to gain from each other's fingerprints of their own pages."""
    if origin is None:
        return _labels_digest(result)
    held = st.session_state.get(LABELS_KEYS)
    held = held if isinstance(held, dict) else {}
    key = held.get(origin)
    if key is None:
        key = _labels_digest(result)
        # this session's last few clusterings (a k or feature switched back and forth)
        st.session_state[LABELS_KEYS] = {**dict(list(held.items())[-7:]), origin: key}
    return key


def _labels_digest(result: sg.SegmentResult) -> str:
    hashed = pd.util.hash_pandas_object(result.labels, index=True).to_numpy()
    return hashlib.sha1(hashed.tobytes()).hexdigest()


def result_origin(workspace_key: str, table_hash: str, features: tuple[str, ...], k: int | None, scale: str,
                  impute: str | None, diagnostics: bool, *, scanned: bool = False) -> tuple:
    """What identifies a clustering the page shows: :func:`cluster`'s cache key (the table by
    its workspace and content hash), or with ``scanned`` the automatic scan's (:func:`auto_scan`).
    k-means is seeded, so the same origin gives the same segments."""
    if scanned:
        return ("scan", workspace_key, table_hash, tuple(features), scale, impute)
    return ("cluster", workspace_key, table_hash, tuple(features), k, scale, impute, bool(diagnostics))


def names_shown(result: sg.SegmentResult) -> dict[int, str] | None:
    """The names the page's editor last showed for ``result`` where they differ from the
    suggested ones (typed, or saved earlier); None when the page showed another clustering."""
    shown = st.session_state.get(NAMES_SHOWN)
    if not shown or shown.get("k") != result.k or shown.get("features") != list(result.features):
        return None
    if shown.get("labels") != labels_key(result):
        return None
    return {int(s): str(n) for s, n in shown["names"].items()}


def histograms(table: pd.DataFrame, result: sg.SegmentResult, names: dict[int, str], source: str) -> None:
    for feature in result.features:
        charts.show(
            figures.histogram_figure(table, result, names, source, feature), key=f"segments.hist.{feature}"
        )


class _Scan(data.BackgroundJob):
    """The automatic choice of k for one table, features and settings, run in a background
    thread and shared by every session that asks for the same key (see :func:`auto_scan`)."""

    def __init__(self, table: pd.DataFrame, features: list[str], scale: str, impute: str | None) -> None:
        self._args = (table, features, scale, impute)
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        self._begin()
        threading.Thread(target=self._run, name="kam-segments-scan", daemon=True).start()

    def retry_if_failed(self) -> None:
        """Start again after an unexpected failure; a KamError stays the answer for this key."""
        with self._lock:
            if self.done() and self._error is not None and not isinstance(self._error, KamError):
                self._start()

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: a thread has its own nice value
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # pages first
        table, features, scale, impute = self._args
        try:
            self._result = sg.kmeans_segments(table, features, k=None, scale=scale, impute=impute)
        except Exception as exc:  # handed to whoever reads the result
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> sg.SegmentResult:
        return super().result()


def auto_scan(table: pd.DataFrame, workspace_key: str, table_hash: str, features: tuple[str, ...], scale: str,
              impute: str | None) -> _Scan:
    """The background scan for this workspace, table content (hash), features and settings:
    started by the first caller, then shared (one per key in the process)."""
    key = json.dumps(["segments_scan", workspace_key, table_hash, list(features), scale, impute])
    scan = data.background(key, lambda: _Scan(table.copy(deep=False), list(features), scale, impute))
    scan.retry_if_failed()
    return scan


def scan_pending(scan: _Scan, k: int, rows: int) -> None:
    """While the scan runs: what is being done and what is shown meanwhile; the page reruns by
    itself once the scan is done (a fragment looks every second)."""
    # not a ``with`` block: leaving one would mark the box complete while the scan still runs
    box = st.status(t("segments.scan_running", rows=fmt_num(rows)), state="running", expanded=True)
    box.write(t("segments.scan_steps"))
    box.write(t("segments.scan_meanwhile", k=k))

    @st.fragment(run_every=1.0)
    def _look() -> None:
        if scan.done():
            st.rerun()

    _look()


def result_or_pending(table: pd.DataFrame, workspace_key: str, table_hash: str, features: tuple[str, ...],
                      k_fixed: int, scale: str, impute: str | None) -> tuple[sg.SegmentResult, Any]:
    """The automatic result when it is ready (or quick to get); else the result for the slider's
    k at once, with the scan left running in the background (its handle as second value)."""
    if len(table) <= BACKGROUND_ROWS:
        return cluster(table, workspace_key, table_hash, features, None, scale, impute), None
    scan = auto_scan(table, workspace_key, table_hash, features, scale, impute)
    if scan.done():
        return scan.result(), None
    quick = cluster(table, workspace_key, table_hash, features, k_fixed, scale, impute, False)
    return quick, scan


def auto_origin(rows: int, pending: Any, workspace_key: str, table_hash: str, features: tuple[str, ...],
                k_fixed: int, scale: str, impute: str | None) -> tuple:
    """:func:`result_origin` of the result :func:`result_or_pending` gave for these arguments
    (``rows``: the table's; ``pending``: the scan handle it gave, None when there was none)."""
    if rows <= BACKGROUND_ROWS:
        return result_origin(workspace_key, table_hash, features, None, scale, impute, True)
    if pending is None:
        return result_origin(workspace_key, table_hash, features, None, scale, impute, True, scanned=True)
    return result_origin(workspace_key, table_hash, features, k_fixed, scale, impute, False)


def page_result(
    features: list[str], k: int | None, scale: str, impute: str | None, *, waiting: Any = None
) -> tuple[sg.SegmentResult, pd.DataFrame] | None:
    """The account clustering the page shows for these choices — from the page's own cache, or
    with the automatic k (``k`` None) on a large table from its background scan, waited for
    (``waiting()`` is called first when it still runs): the page shows that very result once the
    scan ends. With the account features table; None when there are no transactions or a
    feature is missing. For the meeting pack, so its slide and the page agree."""
    found = data.transactions_keyed()
    if not found or found[0] is None:
        return None
    transactions, frame_key = found
    table, _hover = keyed((*frame_key, "account_features"), _account_features, transactions)
    if not features or any(f not in table.columns for f in features):
        return None
    clustered = table[features]
    workspace_key, table_hash = state.workspace_key(), inputs.frame_fingerprint(clustered)
    if k is not None:
        return cluster(clustered, workspace_key, table_hash, tuple(features), k, scale, impute, False), table
    if len(clustered) <= BACKGROUND_ROWS:
        return cluster(clustered, workspace_key, table_hash, tuple(features), None, scale, impute), table
    scan = auto_scan(clustered, workspace_key, table_hash, tuple(features), scale, impute)
    if not scan.done() and waiting is not None:
        waiting()
    return scan.result(), table
