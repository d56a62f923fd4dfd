"""Cached access to the open workspace's tables as canonical frames, with the shared filters."""

from __future__ import annotations

import json
import threading
from typing import Any

import pandas as pd
import scipy.optimize  # noqa: F401  (loads SciPy's BLAS, so the limit below covers it too)
import streamlit as st
from threadpoolctl import threadpool_limits

from kamcore import tables
from kamcore.errors import KamError
from kamcore.schemas import FILTER_ROLES, FilterSettings, TableKind
from ui import state
from ui.i18n import fmt_num, t

# One BLAS thread per computation, for the whole server process: the sessions already run in
# parallel, and OpenBLAS threads spinning beside them made small matrix products (model fits,
# criterion totals, k-means) several times slower on a busy 2-core machine, never faster.
threadpool_limits(limits=1, user_api="blas")


def table_names(kind: TableKind | str | None = None) -> list[str]:
    """Names of the tables in the open workspace, optionally of one kind."""
    infos = _catalogue()
    if kind is not None:
        infos = [info for info in infos if info.kind == TableKind(kind)]
    return [info.name for info in infos]


def _file_stamp(path) -> tuple:
    """Changes whenever the workspace file or its write-ahead log is written (size, mtime)."""
    stamp = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            found = file.stat()
            stamp.append((found.st_mtime_ns, found.st_size))
        except OSError:
            stamp.append(None)
    return tuple(stamp)


def once_per_run(slot: str, read):
    """``read(ws)`` for the open workspace, read once per script run (a page asks many times
    per run; each read is a DuckDB query). Read again when the run has written to the
    workspace: the key holds the file's and its log's size and modification time."""
    ws = state.workspace()
    token = state._run_token()
    key = (token, id(ws), _file_stamp(ws.path))
    held = st.session_state.get(slot)
    if token is not None and held is not None and held[0] == key:
        return held[1]
    value = read(ws)
    if token is not None:
        st.session_state[slot] = (key, value)
    return value


def _catalogue() -> list:
    """The open workspace's table list (TableInfo, oldest first), once per run."""
    return once_per_run("_catalogue_in_run", lambda ws: ws.tables())


def _info(name: str):
    """The catalogue entry of table ``name`` (None when there is none)."""
    return next((info for info in _catalogue() if info.name == name), None)


def active_table(kind: TableKind | str) -> str | None:
    """The table of ``kind`` this session works with: the chosen one, else the first."""
    names = table_names(kind)
    chosen = st.session_state.get(f"active.{kind}")
    if chosen in names:
        return chosen
    return names[0] if names else None


def set_active_table(kind: TableKind | str, name: str) -> None:
    """Remember which table of ``kind`` the pages should use."""
    st.session_state[f"active.{kind}"] = name


# Cached as resources: one frame per workspace table version, shared by every session and
# handed out as a shallow copy (pandas' copy-on-write keeps the cached frame unchanged when a
# page adds or changes columns). cache_data would pickle and unpickle a million-row frame on
# every rerun of every session. The key holds the workspace path and the table's content hash,
# so two workspaces (or two versions of a table) never share an entry; the workspace object
# itself is not hashed (leading "_").
@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _read_raw(_ws, workspace_key: str, name: str, content_hash: str) -> pd.DataFrame:
    return _ws.read_table(name)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _read_canonical(_ws, workspace_key: str, name: str, content_hash: str, mapping_json: str,
                    assignment_json: str) -> pd.DataFrame:
    info = _ws.table_info(name)
    # Only the mapped columns: an export's other columns are never read into memory.
    frame = tables.canonical(_ws.read_table(name, columns=list(info.mapping.roles.values())), info.mapping)
    return tables.attach_segments(frame, json.loads(assignment_json) if assignment_json else None)


# Filtered views and account roll-ups: small entries per filter state, so changing a view on a
# page (not the filters) costs nothing here, and every session with the same filters shares one.
@st.cache_resource(max_entries=6, ttl=600, show_spinner=False)
def _filtered(_frame: pd.DataFrame, key: tuple, filters_json: str, apply_period: bool) -> pd.DataFrame:
    return tables.apply_filters(_frame, FilterSettings.model_validate_json(filters_json), apply_period=apply_period)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _choices(_frame: pd.DataFrame, key: tuple) -> dict:
    return _compute_choices(_frame)


def _compute_choices(_frame: pd.DataFrame) -> dict:
    """What the sidebar offers for an unfiltered frame: the date range and each role's values."""
    out: dict = {}
    if "date" in _frame and _frame["date"].notna().any():
        out["date"] = (_frame["date"].min().date(), _frame["date"].max().date())
    for role in (*FILTER_ROLES, "cluster"):
        if role in _frame:
            out[role] = sorted(_frame[role].dropna().astype(str).unique().tolist())
    return out


@st.cache_resource(max_entries=6, ttl=600, show_spinner=False)
def _derived_accounts(_transactions: pd.DataFrame, key: tuple) -> pd.DataFrame:
    return tables.derive_accounts(_transactions)


# Work started once per key and shared by every session that asks for it (a background fit:
# ui/clv_view.py). ``key`` must name the workspace path and the content hash of the data.
# Up to five jobs per data key (future-value fit, segments scan, Account health, Plans health,
# Account facts): 24 entries keep two or three workspaces' jobs without evicting a running one,
# which would start the same work again. Each holds per-account results, not transactions.
@st.cache_resource(max_entries=24, ttl=3600, show_spinner=False)
def _background(_start: Any, key: str) -> Any:
    return _start()


def background(key: str, start: Any) -> Any:
    """``start()``, called once per ``key`` in this process; every later call with the same key
    gets the object it returned (for a running or finished background job)."""
    return _background(start, key)


class BackgroundJob:
    """A result computed in a background thread: ``_begin()`` before the thread starts, and the
    thread's body sets ``_result`` or ``_error`` and finally ``_done``. Shared by the Future value
    fit (ui/clv_view.py), the Segments page's automatic k (ui/segment_views.py) and :class:`DeferredJob`."""

    def _begin(self) -> None:
        self._done = threading.Event()
        self._result: Any = None
        self._error: Exception | None = None

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def result(self) -> Any:
        """The result, once there; the job's error raised again (a KamError as a new one)."""
        self._done.wait()
        if isinstance(self._error, KamError):
            raise KamError(self._error.code, self._error.message, **self._error.params)
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


class DeferredJob(BackgroundJob):
    """``work(*args)`` in a background thread named ``thread_name``, made when first asked for and
    started by the first :meth:`ensure_started` (a page starts it once drawn, so that it does not
    compete with drawing); shared by every session that asks for the same key (the Account page's
    portfolio facts, ui/account_facts.py, and the health of every account, ui/account_health.py)."""

    def __init__(self, work: Any, args: tuple, thread_name: str) -> None:
        self._lock = threading.Lock()
        self._started = False
        self._begin()
        self._work, self._thread_name = work, thread_name
        self._args: tuple | None = args  # kept until started (the cached frames, not copies)

    def ensure_started(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            args, self._args = self._args, None
        threading.Thread(target=self._run, args=args, name=self._thread_name, daemon=True).start()

    def _run(self, *args: Any) -> None:
        # not niced, unlike the future-value fit: pandas holds the GIL most of the time, and a niced
        # thread holding it while descheduled on a busy machine would hold up every page run
        try:
            self._result = self._work(*args)
        except Exception as exc:  # handed to whoever reads the result (the page computes it again)
            self._error = exc
        finally:
            self._done.set()


def table(name: str) -> pd.DataFrame | None:
    """The stored table ``name`` with its original columns, or None."""
    ws = state.workspace()
    info = _info(name)
    if info is None:
        return None
    return _read_raw(ws, state.workspace_key(), name, info.content_hash).copy(deep=False)


def segment_assignment() -> dict | None:
    """The saved account segmentation (from the Segments page), if any."""
    return once_per_run("_segments_in_run", _read_segment_assignment)


def _read_segment_assignment(ws) -> dict | None:
    for name in ws.list_objects("segment_assignment"):
        payload = ws.load_object("segment_assignment", name)
        if payload and payload.get("key") == "customer_id":
            return payload
    return None


def canonical_table(name: str) -> pd.DataFrame | None:
    """Table ``name`` with its mapping applied (role-named columns) and segments attached."""
    if _info(name) is None:
        return None
    return _canonical(name)[0].copy(deep=False)


def _canonical(name: str) -> tuple[pd.DataFrame, tuple]:
    """The cached canonical frame of ``name`` and the key that identifies its content."""
    ws = state.workspace()
    info = _info(name) or ws.table_info(name)
    assignment = segment_assignment()
    key = (
        state.workspace_key(),
        name,
        info.content_hash,
        json.dumps(info.mapping.roles, sort_keys=True),
        json.dumps(assignment, sort_keys=True) if assignment else "",
    )
    # Streamlit shows the spinner only when the block outlasts its short delay: on a cache
    # hit the user sees nothing; on the first read of a large table, what is happening.
    with st.spinner(t("loading.reading_table", name=name, rows=fmt_num(info.n_rows))):
        return _read_canonical(ws, *key), key


def current_filters() -> FilterSettings:
    """The shared sidebar filters as set in this session."""
    return st.session_state.get("filters", FilterSettings())


def transactions(filtered: bool = True, apply_period: bool = True) -> pd.DataFrame | None:
    """Canonical transactions of the active table, by default filtered by the sidebar."""
    filtered_frame = _transactions(filtered, apply_period)
    return None if filtered_frame is None else filtered_frame[0].copy(deep=False)


@st.cache_resource(max_entries=12, ttl=600, show_spinner=False)
def _with_status(_frame: pd.DataFrame, key: tuple, _status: pd.Series, status_key: tuple,
                 chosen: tuple) -> pd.DataFrame:
    mask = tables.accounts_with_status(_frame["customer_id"], _status, set(chosen))
    return _frame if mask.all() else _frame.loc[mask]  # every account kept: no copy of the rows


def transactions_keyed(statuses: frozenset[str] | None = None, apply_period: bool = True,
                       filtered: bool = True) -> tuple[pd.DataFrame, tuple] | None:
    """The sidebar-filtered transactions of accounts whose status is in ``statuses`` (every
    account when None), with a key that identifies their content: the workspace file, the
    table's content hash, mapping, segments, filters and statuses. Pages use the key for work
    shared by every session with the same data and choices (``ui.shared.keyed``). Computed
    once per key for the whole process. ``filtered=False``: every transaction, whatever the
    sidebar filters (the key then names no filters)."""
    found = _transactions(filtered, apply_period)
    if found is None:
        return None
    frame, key = found
    if statuses is None:
        return frame.copy(deep=False), key
    status = _status_and_key()
    if status is None:
        return frame.copy(deep=False), (*key, "statuses", None)
    chosen = tuple(sorted(statuses))
    return _with_status(frame, key, status[0], status[1], chosen).copy(deep=False), (*key, status[1], chosen)


def _transactions(filtered: bool, apply_period: bool) -> tuple[pd.DataFrame, tuple] | None:
    name = active_table(TableKind.transactions)
    if name is None or _info(name) is None:
        return None
    frame, key = _canonical(name)
    if "customer_id" not in frame:
        return None
    settings = current_filters()
    if not filtered or settings == FilterSettings():
        # No filter set: the filtered rows are all rows, so the same frame and key (pages that
        # ask for both, e.g. accounts() and accounts(filtered=False), share one roll-up).
        return frame, key
    if settings.date_from is None and settings.date_to is None:
        # No period chosen: the same rows with or without it, so one filtered frame (and one key
        # for the work pages share) instead of two copies of the same rows.
        apply_period = True
    filters = settings.model_dump_json()
    return _filtered(frame, key, filters, apply_period), (*key, filters, apply_period)


def accounts_key(filtered: bool = True) -> tuple:
    """What ``accounts(filtered)`` is made of, for keyed work: the accounts table's content key
    (if any), the transactions' key and the filters."""
    name = active_table(TableKind.accounts)
    master = _canonical(name)[1] if name and _info(name) is not None else None
    found = _transactions(filtered, True)
    settings = current_filters()
    return ("accounts", master, found[1] if found is not None else None,
            settings.model_dump_json() if filtered and settings != FilterSettings() else None)


def accounts(filtered: bool = True) -> pd.DataFrame | None:
    """One row per account: the account table (if any) enriched with transaction totals."""
    found = _transactions(filtered, True)
    txn = found[0] if found is not None else None
    name = active_table(TableKind.accounts)
    master = canonical_table(name) if name else None
    if master is None or "customer_id" not in master:
        return _derived_accounts(txn, found[1]).copy(deep=False) if found is not None else None
    master = master.drop_duplicates("customer_id")
    if filtered:
        master = tables.apply_filters(master, current_filters(), apply_period=False)
    if found is None:
        return master
    # tables.merge_accounts, with the transaction roll-up taken from the cache.
    derived = _derived_accounts(txn, found[1])
    extra = [c for c in derived.columns if c == "customer_id" or c not in master.columns]
    return master.merge(derived[extra], on="customer_id", how="left")


def filter_choices() -> dict | None:
    """For the sidebar: ``{"date": (first, last), role: sorted values}`` of the unfiltered
    transactions (else accounts), computed once per table version; None without data."""
    found = _transactions(False, True)
    if found is not None and not found[0].empty:
        return _choices(*found)
    frame = accounts(filtered=False)
    if frame is None or frame.empty:
        return None
    return _compute_choices(frame)


def account_status() -> pd.Series | None:
    """Status per customer id from the active customers table's ``status`` role, or None."""
    found = _status_and_key()
    return None if found is None else found[0].copy(deep=False)


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _account_status(_master: pd.DataFrame, key: tuple) -> pd.Series:
    return tables.account_status(_master)


def _status_and_key() -> tuple[pd.Series, tuple] | None:
    """The status per customer id, computed once per customers-table version, and its key."""
    name = active_table(TableKind.accounts)
    if not name or _info(name) is None:
        return None
    master, key = _canonical(name)
    if "status" not in master or "customer_id" not in master:
        return None
    return _account_status(master, key), key
