"""The only module that speaks SQL: workspace files, their catalogue, and connection hardening.

A *workspace* is one DuckDB file under the workspaces folder. It holds the user's tables
(stored under generated names so any display name round-trips literally), their column
mappings and quality reports in ``_kam_tables``, saved objects (scores, shortlists, item
dictionaries, segment names) in ``_kam_objects`` and workspace metadata in ``_kam_meta``.

Rules kept here so no other module has to think about them:

* Every identifier is quoted with :func:`quote_ident`; every user value is a bound parameter.
* Connections opened for the user are hardened at open time: no file system or network
  access, no extension loading or installing, memory and threads capped, configuration
  locked so SQL cannot undo any of it.
* Every write is one transaction: it is either fully present or fully absent.
* DuckDB connections are not thread-safe; every call runs on its own ``cursor()``.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import json
import os
import re
import threading
import unicodedata
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from kamcore import names
from kamcore.errors import KamError
from kamcore.schemas import ColumnMapping, TableKind

SCHEMA_VERSION = "1"
# Stored beside the user's columns to keep their row order; unlikely to clash with a header.
_ROW_ORDER = "__kam_row_order__"
WORKSPACE_SUFFIX = ".duckdb"
#: Files beside a workspace that belong to it (write-ahead log, access sidecar written by
#: kamcore.access); renamed and deleted together with the workspace.
COMPANION_SUFFIXES = (".wal", ".access.json")
# Letters (any script, so æøå/äö work), digits, space, dash, underscore, dot; no path parts.
_WORKSPACE_NAME = re.compile(r"^[\w][\w .\-]{0,59}$", re.UNICODE)


class DbSettings(BaseModel):
    """Resource caps applied to every workspace connection."""

    model_config = ConfigDict(frozen=True)

    memory_limit: str = "2GB"
    threads: int = Field(default=2, ge=1, le=64)


class TableInfo(BaseModel):
    """What the catalogue knows about one stored table."""

    name: str
    kind: TableKind
    n_rows: int
    columns: list[str]
    mapping: ColumnMapping
    quality: dict[str, Any] | None = None
    content_hash: str
    created_at: dt.datetime


class WorkspaceInfo(BaseModel):
    """A workspace file as listed in the workspaces folder."""

    name: str
    path: Path
    size_bytes: int
    modified_at: dt.datetime


def _first(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    # DuckDB 2 refuses new work on a cursor with an unconsumed result, so results are always
    # fetched whole and the first row taken here.
    return rows[0] if rows else None


def quote_ident(name: str) -> str:
    """Quote an SQL identifier so any text (quotes, semicolons, unicode) is taken literally."""
    if "\x00" in name:
        raise KamError("db.bad_identifier", "A name cannot contain a NUL character.")
    return '"' + name.replace('"', '""') + '"'


def content_hash(df: pd.DataFrame) -> str:
    """A stable fingerprint of a table's columns, dtypes, values and row order (a cache key).

    Notes
    -----
    The values are hashed by DuckDB (:func:`_value_digest`) exactly as
    :meth:`Workspace.import_table` hashes a stored table, so the digest of a frame equals the
    ``content_hash`` of the table stored from it.
    """
    con = duckdb.connect(":memory:", config=_private_config())
    try:
        view = "incoming_" + uuid.uuid4().hex
        con.register(view, _storable(df))
        values = _value_digest(con, view, df.shape[1])
    finally:
        con.close()
    return _digest(df, values)


def _private_config() -> dict[str, Any]:
    # A throw-away in-memory database that only ever sees a registered frame.
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "threads": 2,
        "lock_configuration": True,
    }


def _digest(df: pd.DataFrame, values: str) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in df.columns]).encode())
    digest.update(json.dumps([str(t) for t in df.dtypes]).encode())
    digest.update(values.encode())
    return digest.hexdigest()[:32]


def _value_digest(cur: duckdb.DuckDBPyConnection, relation: str, n_columns: int) -> str:
    """Row count and two order-sensitive 64-bit hash aggregates over ``relation``'s rows.

    ``relation`` has the row position ``_ROW_ORDER`` and the values ``c0..c{n-1}`` (see
    :func:`_storable`). Each row's hash covers its position and every value, so changing,
    moving or swapping any value changes the (HUGEINT, so never wrapping) sum and, with all
    but negligible probability, the xor of the hashes combined in the other order.
    """
    values = [quote_ident(f"c{index}") for index in range(n_columns)]
    order = quote_ident(_ROW_ORDER)
    forward = ", ".join([order, *values])
    backward = ", ".join([*values, order])
    row = cur.execute(
        f"SELECT count(*), coalesce(sum(hash({forward})), 0), coalesce(bit_xor(hash({backward})), 0) "
        f"FROM {quote_ident(relation)}"
    ).fetchall()[0]
    return ":".join(str(v) for v in row)


_ARROW_SAFE_NUMPY = {np.dtype(t) for t in ("float32", "float64", "datetime64[us]", "datetime64[ns]")}


def _arrow_safe(dtype: Any) -> bool:
    """True for dtypes DuckDB reads identically from Arrow and from pandas (text, numbers,
    booleans, naive datetimes); frames of only these are scanned as a zero-copy Arrow table."""
    if isinstance(dtype, pd.StringDtype):
        return True
    if not isinstance(dtype, np.dtype):
        return False
    return dtype.kind in "biu" or dtype in _ARROW_SAFE_NUMPY


def _storable(df: pd.DataFrame) -> pa.Table | pd.DataFrame:
    """``df`` as DuckDB should scan it: row position first, then values named ``c0..``.

    Notes
    -----
    No deep copy of ``df``: Arrow-backed text and numpy columns are wrapped, not copied
    (other dtypes, e.g. mixed ``object`` or categorical columns, go through pandas exactly
    as before, over a shallow copy).
    """
    names = [f"c{index}" for index in range(df.shape[1])]
    position = np.arange(len(df), dtype=np.int64)
    if all(_arrow_safe(dtype) for dtype in df.dtypes):
        table = pa.Table.from_pandas(df.set_axis(names, axis=1), preserve_index=False)
        table = table.replace_schema_metadata(None).add_column(0, _ROW_ORDER, pa.array(position))
        # The same chunk boundaries in every column (Arrow-backed text arrives in batches,
        # numpy columns in one piece): with columns chunked differently DuckDB stores the rows
        # in a way that costs a second full rewrite at the next checkpoint. Re-batching only
        # slices; combine_chunks() would copy every text column (~0.5 s per 1M rows).
        return pa.Table.from_batches(table.to_batches(), schema=table.schema)
    frame = df.set_axis(names, axis=1)
    frame.insert(0, _ROW_ORDER, position)
    return frame


def _df_types(table: pa.Table) -> Any:
    """A ``types_mapper`` giving the dtypes DuckDB's ``.df()`` gives for ``table``'s columns."""
    nullable = {}
    for field, column in zip(table.schema, table.columns, strict=True):
        if column.null_count and pa.types.is_integer(field.type):
            nullable[field.type] = pd.api.types.pandas_dtype(str(field.type).replace("int", "Int").replace("uInt", "UInt"))
        elif column.null_count and pa.types.is_boolean(field.type):
            nullable[field.type] = pd.BooleanDtype()
        elif pa.types.is_decimal(field.type):
            nullable[field.type] = np.dtype("float64")
    return nullable.get if nullable else None


def _hardened_config(settings: DbSettings) -> dict[str, Any]:
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "memory_limit": settings.memory_limit,
        "threads": settings.threads,
        # Every read that depends on row order says ORDER BY (stored tables carry their row
        # position), so inserts may run in parallel: importing 1M rows from Arrow then takes
        # half the time.
        "preserve_insertion_order": False,
        # Locked at connect time, not with a later SET: a second session opening the same file
        # in this process shares the database instance, where a SET would fail as "locked".
        "lock_configuration": True,
    }


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text)


# ------------------------------------------------------------- the open-file registry
# Every Workspace in this process that is open on a file is registered under the file's
# resolved path. Operations on a workspace hold the file's lock shared; renaming, deleting or
# replacing the file holds it exclusively, closes every registered connection first (so the
# file has exactly one DuckDB instance, and none while it moves) and records what happened,
# so each session learns it on its next call ("renamed to …", "deleted", "replaced").


class _SharedLock:
    """Many holders share it, one holder excludes all; a sharer may re-enter (no writer
    preference, so nested reads inside one operation never wait for a queued writer)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer: int | None = None

    @contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            while self._writer is not None and self._writer != me:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            while self._writer is not None or self._readers:
                self._cond.wait()
            self._writer = me
        try:
            yield
        finally:
            with self._cond:
                self._writer = None
                self._cond.notify_all()


class _FileState:
    def __init__(self) -> None:
        self.lock = _SharedLock()
        self.generation = 0
        self.open: weakref.WeakSet[Workspace] = weakref.WeakSet()
        #: What ended each retired generation: ("renamed", new name), ("deleted", None),
        #: ("replaced", None) or ("reopen", None) when a move was attempted and failed.
        self.fates: dict[int, tuple[str, str | None]] = {}


_FILES: dict[str, _FileState] = {}
_FILES_LOCK = threading.Lock()


def _file_state(path: Path) -> _FileState:
    key = os.path.realpath(path)
    with _FILES_LOCK:
        state = _FILES.get(key)
        if state is None:
            state = _FILES[key] = _FileState()
        return state


def _retire(state: _FileState) -> int:
    """Close every connection registered on the file and start a new generation (caller holds
    the exclusive lock). Returns the generation just retired."""
    for workspace in list(state.open):
        workspace._close_connection()
    state.open = weakref.WeakSet()
    retired = state.generation
    state.generation += 1
    state.fates[retired] = ("reopen", None)
    return retired


@contextmanager
def _exclusive(*paths: Path) -> Iterator[list[_FileState]]:
    """Hold the exclusive lock of each path (in a fixed order, so two moves never deadlock)."""
    states = sorted({id(s): s for s in (_file_state(p) for p in paths)}.values(),
                    key=lambda s: id(s))
    with ExitStack() as stack:
        for state in states:
            stack.enter_context(state.lock.exclusive())
        yield [_file_state(p) for p in paths]


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc).lower()
    return "no space left" in text or "disk quota" in text or "file too large" in text


def _write_error(exc: duckdb.Error, name: str) -> KamError:
    """A write that DuckDB refused, as one sentence (the transaction is rolled back)."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:  # "transaction aborted" hides the first error
        chain.append(cause)
        cause = cause.__context__
    if any(_is_disk_full(error) for error in chain):
        return KamError("workspace.disk_full",
                        "The server's disk is full, so nothing was saved in '{name}'. Ask the administrator to free space.",
                        name=name)
    if isinstance(exc, duckdb.TransactionException | duckdb.ConstraintException) or "conflict" in str(exc).lower():
        return KamError("workspace.write_conflict",
                        "Someone else saved the same thing in '{name}' at the same moment, so nothing of yours was saved. Look again and retry.",
                        name=name)
    return KamError("workspace.write_failed",
                    "Saving in the workspace '{name}' failed and nothing was saved; the file may be damaged.",
                    name=name)


def _inode(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


def _workspace_gone(name: str, fate: tuple[str, str | None] | None) -> KamError:
    kind, new_name = fate or ("deleted", None)
    if kind == "renamed" and new_name:
        return KamError("workspace.renamed", "The workspace '{name}' was renamed to '{new}' meanwhile.",
                        name=name, new=new_name)
    if kind == "replaced":
        return KamError("workspace.replaced", "The workspace '{name}' was reset meanwhile; open it again.",
                        name=name)
    if kind == "reopen":
        return KamError("workspace.reopen", "The workspace '{name}' was closed for maintenance; open it again.",
                        name=name)
    return KamError("workspace.deleted", "The workspace '{name}' was deleted meanwhile.", name=name)


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a Workspace method under its file's shared lock, refusing a retired connection."""

    @functools.wraps(method)
    def wrapper(self: Workspace, *args: Any, **kwargs: Any) -> Any:
        with self._state.lock.shared():
            self._require_current()
            return method(self, *args, **kwargs)

    return wrapper


class Workspace:
    """One open workspace file with a hardened connection.

    Open with :meth:`Workspace.open`; close with :meth:`close` (or use as a context manager).
    """

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._con = connection
        self._state = _file_state(path)
        self._generation = self._state.generation
        self._closed = False
        try:
            self._inode: tuple[int, int] | None = _inode(path)
        except OSError:
            self._inode = None

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, path: str | Path, settings: DbSettings | None = None, *, create: bool = True) -> Workspace:
        """Open the workspace file at ``path``, hardened (creating it unless ``create=False``:
        then a missing file is KamError ``workspace.deleted``)."""
        settings = settings or DbSettings()
        path = Path(path)
        state = _file_state(path)
        with state.lock.shared():
            if not create and not path.exists():
                raise _workspace_gone(path.stem, None)
            workspace = cls._connect(path, settings)
            workspace._ensure_schema_unlocked()
            state.open.add(workspace)
            return workspace

    @classmethod
    def _connect(cls, path: Path, settings: DbSettings) -> Workspace:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), config=_hardened_config(settings))
        except duckdb.IOException as exc:
            if _is_lock_error(exc):
                raise KamError(
                    "db.workspace_busy",
                    "The workspace '{name}' is open in another program. Close it there and try again.",
                    name=path.stem,
                ) from exc
            raise KamError(
                "db.workspace_unreadable",
                "The workspace '{name}' could not be opened; the file may be damaged.",
                name=path.stem,
            ) from exc
        except duckdb.ConnectionException as exc:
            # The file is already open in this process with other settings (e.g. by a script).
            raise KamError(
                "db.workspace_busy",
                "The workspace '{name}' is open in another program. Close it there and try again.",
                name=path.stem,
            ) from exc
        except duckdb.Error as exc:
            raise KamError(
                "db.workspace_unreadable",
                "The workspace '{name}' could not be opened; the file may be damaged.",
                name=path.stem,
            ) from exc
        return cls(path, con)

    def close(self) -> None:
        """Close the connection; the workspace file stays."""
        with self._state.lock.shared():
            self._closed = True
            self._state.open.discard(self)
            self._close_connection()

    def _close_connection(self) -> None:
        try:
            self._con.close()
        except duckdb.Error:  # pragma: no cover - already closed
            pass

    def is_current(self) -> bool:
        """False once the file was renamed, deleted or replaced since this connection opened."""
        return not self._closed and self._generation == self._state.generation

    def fate(self) -> KamError | None:
        """Why this connection is no longer current (None while it is)."""
        if self.is_current():
            return None
        return _workspace_gone(self.name, self._state.fates.get(self._generation))

    def _require_current(self) -> None:
        if self._generation != self._state.generation:
            raise _workspace_gone(self.name, self._state.fates.get(self._generation))
        if self._closed:
            raise KamError("workspace.closed", "The workspace '{name}' is closed.", name=self.name)

    def _require_durable(self) -> None:
        """After a commit: the file written is still the one under this workspace's name."""
        try:
            same = self._inode is not None and _inode(self.path) == self._inode
        except OSError:
            same = False
        if not same:
            raise KamError("workspace.deleted", "The workspace '{name}' was deleted meanwhile.", name=self.name)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def name(self) -> str:
        """The workspace name (the file name without its suffix)."""
        return self.path.stem

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        return self._con.cursor()

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            try:
                yield cur
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:  # the failed statement already ended the transaction
                    pass
                raise
            else:
                cur.execute("COMMIT")
        except duckdb.Error as exc:
            raise _write_error(exc, self.name) from exc
        finally:
            cur.close()
        # The commit went to the file under this name, not to one renamed or deleted meanwhile.
        self._require_durable()

    def _ensure_schema_unlocked(self) -> None:
        with self._transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS _kam_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
            )
            cur.execute(
                """CREATE TABLE IF NOT EXISTS _kam_tables (
                    name VARCHAR PRIMARY KEY,
                    storage VARCHAR NOT NULL UNIQUE,
                    kind VARCHAR NOT NULL,
                    mapping VARCHAR NOT NULL,
                    quality VARCHAR,
                    n_rows BIGINT NOT NULL,
                    columns VARCHAR NOT NULL,
                    content_hash VARCHAR NOT NULL,
                    created_at TIMESTAMP NOT NULL)"""
            )
            cur.execute(
                """CREATE TABLE IF NOT EXISTS _kam_objects (
                    kind VARCHAR NOT NULL,
                    name VARCHAR NOT NULL,
                    payload VARCHAR NOT NULL,
                    saved_by VARCHAR,
                    saved_at TIMESTAMP NOT NULL,
                    PRIMARY KEY (kind, name))"""
            )
            cur.execute(
                "INSERT INTO _kam_meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [SCHEMA_VERSION],
            )

    # ------------------------------------------------------------------- tables
    @_guarded
    def tables(self, kind: TableKind | str | None = None) -> list[TableInfo]:
        """All stored tables (optionally of one kind), oldest first."""
        cur = self._cursor()
        sql = (
            "SELECT name, kind, mapping, quality, n_rows, columns, content_hash, created_at "
            "FROM _kam_tables"
        )
        params: list[Any] = []
        if kind is not None:
            sql += " WHERE kind = ?"
            params.append(str(kind))
        rows = cur.execute(sql + " ORDER BY created_at, name", params).fetchall()
        return [self._info_from_row(row) for row in rows]

    @staticmethod
    def _info_from_row(row: tuple[Any, ...]) -> TableInfo:
        name, kind, mapping, quality, n_rows, columns, digest, created_at = row
        return TableInfo(
            name=name,
            kind=TableKind(kind),
            mapping=ColumnMapping(roles=json.loads(mapping)),
            quality=json.loads(quality) if quality else None,
            n_rows=n_rows,
            columns=json.loads(columns),
            content_hash=digest,
            created_at=created_at,
        )

    @_guarded
    def has_table(self, name: str) -> bool:
        """True when a table of that name is stored."""
        cur = self._cursor()
        return _first(cur.execute("SELECT 1 FROM _kam_tables WHERE name = ?", [name]).fetchall()) is not None

    @_guarded
    def table_info(self, name: str) -> TableInfo:
        """Catalogue entry for ``name``; KamError when it does not exist."""
        cur = self._cursor()
        row = _first(cur.execute(
            "SELECT name, kind, mapping, quality, n_rows, columns, content_hash, created_at "
            "FROM _kam_tables WHERE name = ?",
            [name],
        ).fetchall())
        if row is None:
            raise KamError("db.no_table", "There is no table called '{name}' in this workspace.", name=name)
        return self._info_from_row(row)

    def _storage(self, cur: duckdb.DuckDBPyConnection, name: str) -> str:
        row = _first(cur.execute("SELECT storage FROM _kam_tables WHERE name = ?", [name]).fetchall())
        if row is None:
            raise KamError("db.no_table", "There is no table called '{name}' in this workspace.", name=name)
        return row[0]

    @_guarded
    def read_table(self, name: str) -> pd.DataFrame:
        """The stored table as a DataFrame with its original column names.

        Notes
        -----
        Fetched as Arrow and handed to pandas without copying text (pandas' ``str`` columns
        are Arrow-backed): several times faster than a row-ordered ``.df()`` and a third of
        its peak memory on a million rows. Rows come back in stored order; only if the scan
        returned them out of order are they put back (``take``). Dtypes are those ``.df()``
        gives: nullable ``Int64``/``boolean`` where an integer or boolean column has NULLs,
        decimals as float64.
        """
        cur = self._cursor()
        storage = self._storage(cur, name)
        table = cur.sql(f"SELECT * FROM {quote_ident(storage)}").to_arrow_table()
        order = table.column(_ROW_ORDER).to_numpy()
        if order.size > 1 and not (order[1:] > order[:-1]).all():
            table = table.take(pa.array(np.argsort(order, kind="stable")))
        table = table.drop_columns([_ROW_ORDER])
        frame = table.to_pandas(types_mapper=_df_types(table), split_blocks=True, self_destruct=True)
        del table
        # Storage columns have generated names (older workspaces: DuckDB's version of the
        # header); the catalogue holds the literal names, in the same order.
        frame.columns = json.loads(
            cur.execute("SELECT columns FROM _kam_tables WHERE name = ?", [name]).fetchone()[0]
        )
        return frame

    @_guarded
    def import_table(
        self,
        name: str,
        df: pd.DataFrame,
        *,
        kind: TableKind | str,
        mapping: ColumnMapping | dict[str, str] | None = None,
        quality: dict[str, Any] | None = None,
        replace: bool = False,
    ) -> TableInfo:
        """Store ``df`` as table ``name`` in one transaction (all or nothing).

        ``df`` must have unique column names that differ also when compared case-insensitively
        (DuckDB folds case); ``mapping`` must only name columns of ``df``.
        """
        name = name.strip()
        if not name:
            raise KamError("db.empty_table_name", "A table needs a name.")
        quote_ident(name)  # refuses NUL: no one types it, and it breaks widgets and JSON
        mapping = mapping if isinstance(mapping, ColumnMapping) else ColumnMapping(roles=mapping or {})
        columns = [str(c) for c in df.columns]
        folded: dict[str, str] = {}
        for column in columns:
            if column.casefold() in folded:
                raise KamError(
                    "db.duplicate_columns",
                    "Columns '{first}' and '{second}' differ only in upper/lower case; rename one of them.",
                    first=folded[column.casefold()],
                    second=column,
                )
            folded[column.casefold()] = column
        missing = sorted(set(mapping.roles.values()) - set(columns))
        if missing:
            raise KamError(
                "db.mapping_unknown_column",
                "The mapping names column(s) that are not in the table: {columns}.",
                columns=", ".join(missing),
            )
        storable = _storable(df)
        storage = "data_" + uuid.uuid4().hex
        view = "incoming_" + uuid.uuid4().hex
        with self._transaction() as cur:
            exists = _first(cur.execute("SELECT storage FROM _kam_tables WHERE name = ?", [name]).fetchall())
            if exists and not replace:
                raise KamError(
                    "db.table_exists",
                    "A table called '{name}' already exists; choose another name or replace it.",
                    name=name,
                )
            # Stored under generated column names (DuckDB renames empty headers and cuts names
            # at NUL); the literal names live in the catalogue and read_table() puts them back.
            cur.register(view, storable)
            try:
                cur.execute(f"CREATE TABLE {quote_ident(storage)} AS SELECT * FROM {quote_ident(view)}")
            finally:
                try:
                    cur.unregister(view)
                except duckdb.Error:  # the transaction already failed; keep the first error
                    pass
            del storable
            # Hashed from the stored table (already in DuckDB's buffers): the same digest
            # content_hash(df) computes, at a fraction of pandas' hashing cost.
            digest = _digest(df, _value_digest(cur, storage, len(columns)))
            if exists:
                cur.execute(f"DROP TABLE {quote_ident(exists[0])}")
                cur.execute("DELETE FROM _kam_tables WHERE name = ?", [name])
            cur.execute(
                "INSERT INTO _kam_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    name,
                    storage,
                    str(TableKind(kind)),
                    json.dumps(mapping.roles),
                    json.dumps(quality, default=str) if quality is not None else None,
                    len(df),
                    json.dumps(columns),
                    digest,
                    dt.datetime.now(),
                ],
            )
        return self.table_info(name)

    @_guarded
    def set_mapping(self, name: str, mapping: ColumnMapping, kind: TableKind | str | None = None) -> TableInfo:
        """Replace the saved column mapping (and optionally the kind) of table ``name``."""
        info = self.table_info(name)
        missing = sorted(set(mapping.roles.values()) - set(info.columns))
        if missing:
            raise KamError(
                "db.mapping_unknown_column",
                "The mapping names column(s) that are not in the table: {columns}.",
                columns=", ".join(missing),
            )
        with self._transaction() as cur:
            cur.execute(
                "UPDATE _kam_tables SET mapping = ?, kind = ? WHERE name = ?",
                [json.dumps(mapping.roles), str(TableKind(kind or info.kind)), name],
            )
        return self.table_info(name)

    @_guarded
    def rename_table(self, old: str, new: str) -> TableInfo:
        """Give table ``old`` the display name ``new``."""
        new = new.strip()
        if not new:
            raise KamError("db.empty_table_name", "A table needs a name.")
        with self._transaction() as cur:
            self._storage(cur, old)
            if _first(cur.execute("SELECT 1 FROM _kam_tables WHERE name = ?", [new]).fetchall()):
                raise KamError(
                    "db.table_exists",
                    "A table called '{name}' already exists; choose another name or replace it.",
                    name=new,
                )
            cur.execute("UPDATE _kam_tables SET name = ? WHERE name = ?", [new, old])
        return self.table_info(new)

    @_guarded
    def drop_table(self, name: str) -> None:
        """Delete table ``name`` and its catalogue entry."""
        with self._transaction() as cur:
            storage = self._storage(cur, name)
            cur.execute(f"DROP TABLE {quote_ident(storage)}")
            cur.execute("DELETE FROM _kam_tables WHERE name = ?", [name])

    # ------------------------------------------------------------------ objects
    @_guarded
    def save_object(self, kind: str, name: str, payload: dict[str, Any], user: str | None = None) -> None:
        """Save (or overwrite) a JSON-serialisable object under (kind, name)."""
        text = json.dumps(payload, default=str, ensure_ascii=False)
        with self._transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO _kam_objects VALUES (?, ?, ?, ?, ?)",
                [kind, name, text, user, dt.datetime.now()],
            )

    @_guarded
    def load_object(self, kind: str, name: str) -> dict[str, Any] | None:
        """The payload saved under (kind, name), or None."""
        cur = self._cursor()
        row = _first(cur.execute(
            "SELECT payload FROM _kam_objects WHERE kind = ? AND name = ?", [kind, name]
        ).fetchall())
        return json.loads(row[0]) if row else None

    @_guarded
    def object_saved_by(self, kind: str, name: str) -> tuple[str | None, dt.datetime] | None:
        """Who saved (kind, name) and when, or None."""
        cur = self._cursor()
        row = _first(cur.execute(
            "SELECT saved_by, saved_at FROM _kam_objects WHERE kind = ? AND name = ?", [kind, name]
        ).fetchall())
        return (row[0], row[1]) if row else None

    @_guarded
    def list_objects(self, kind: str) -> list[str]:
        """Names of the objects saved under ``kind``."""
        cur = self._cursor()
        rows = cur.execute("SELECT name FROM _kam_objects WHERE kind = ? ORDER BY name", [kind]).fetchall()
        return [row[0] for row in rows]

    @_guarded
    def delete_object(self, kind: str, name: str) -> None:
        """Remove the object saved under (kind, name), if any."""
        with self._transaction() as cur:
            cur.execute("DELETE FROM _kam_objects WHERE kind = ? AND name = ?", [kind, name])

    # --------------------------------------------------------------------- meta
    @_guarded
    def get_meta(self, key: str) -> str | None:
        """A workspace-level setting (owner, visibility, …), or None."""
        cur = self._cursor()
        row = _first(cur.execute("SELECT value FROM _kam_meta WHERE key = ?", [key]).fetchall())
        return row[0] if row else None

    @_guarded
    def set_meta(self, key: str, value: str) -> None:
        """Set a workspace-level setting."""
        with self._transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO _kam_meta VALUES (?, ?)", [key, value])

    @_guarded
    def checkpoint(self) -> None:
        """Flush the write-ahead log into the file (before copying it for download)."""
        self._cursor().execute("CHECKPOINT")

    # ------------------------------------------------------------ account plans
    # Objectives, actions and strategy notes of account plans (kamcore.plans), one JSON payload
    # per item with who created/changed it and when, plus an append-only history of every change.
    # The two tables are created on first write; reads before that find nothing.
    PLAN_KINDS = ("objective", "action", "notes")

    def _plan_tables_exist(self, cur: duckdb.DuckDBPyConnection) -> bool:
        row = cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = '_kam_plan_items'"
        ).fetchone()
        return bool(row and row[0])

    def _check_plan_kind(self, kind: str) -> None:
        if kind not in self.PLAN_KINDS:
            raise KamError("db.plan_kind", "'{kind}' is not a part of an account plan.", kind=kind)

    def save_plan_item(
        self, kind: str, item_id: str, account: str, payload: dict[str, Any], user: str | None = None
    ) -> None:
        """Create or update one plan item and record the change in the plan history."""
        self._check_plan_kind(kind)
        text = json.dumps(payload, default=str, ensure_ascii=False, sort_keys=True)
        now = dt.datetime.now()
        with self._transaction() as cur:
            cur.execute(
                """CREATE TABLE IF NOT EXISTS _kam_plan_items (
                    kind VARCHAR NOT NULL, item_id VARCHAR NOT NULL, account VARCHAR NOT NULL,
                    payload VARCHAR NOT NULL, created_by VARCHAR, created_at TIMESTAMP NOT NULL,
                    updated_by VARCHAR, updated_at TIMESTAMP NOT NULL, PRIMARY KEY (kind, item_id))"""
            )
            cur.execute(
                """CREATE TABLE IF NOT EXISTS _kam_plan_history (
                    kind VARCHAR NOT NULL, item_id VARCHAR NOT NULL, account VARCHAR NOT NULL,
                    change VARCHAR NOT NULL, payload VARCHAR, changed_by VARCHAR,
                    changed_at TIMESTAMP NOT NULL)"""
            )
            old = _first(cur.execute(
                "SELECT payload FROM _kam_plan_items WHERE kind = ? AND item_id = ?", [kind, item_id]
            ).fetchall())
            if old is not None and old[0] == text:
                return
            if old is None:
                cur.execute(
                    "INSERT INTO _kam_plan_items VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [kind, item_id, account, text, user, now, user, now],
                )
            else:
                cur.execute(
                    "UPDATE _kam_plan_items SET account = ?, payload = ?, updated_by = ?, updated_at = ? "
                    "WHERE kind = ? AND item_id = ?",
                    [account, text, user, now, kind, item_id],
                )
            cur.execute(
                "INSERT INTO _kam_plan_history VALUES (?, ?, ?, ?, ?, ?, ?)",
                [kind, item_id, account, "created" if old is None else "changed", text, user, now],
            )

    def delete_plan_item(self, kind: str, item_id: str, user: str | None = None) -> None:
        """Remove one plan item (the history keeps it, marked deleted)."""
        self._check_plan_kind(kind)
        with self._transaction() as cur:
            if not self._plan_tables_exist(cur):
                return
            row = _first(cur.execute(
                "SELECT account, payload FROM _kam_plan_items WHERE kind = ? AND item_id = ?", [kind, item_id]
            ).fetchall())
            if row is None:
                return
            cur.execute("DELETE FROM _kam_plan_items WHERE kind = ? AND item_id = ?", [kind, item_id])
            cur.execute(
                "INSERT INTO _kam_plan_history VALUES (?, ?, ?, ?, ?, ?, ?)",
                [kind, item_id, row[0], "deleted", row[1], user, dt.datetime.now()],
            )

    def plan_items(self, kind: str, account: str | None = None) -> list[dict[str, Any]]:
        """Plan items of ``kind`` (one account's, or all), oldest first.

        Each is ``{"payload": dict, "account", "created_by", "created_at", "updated_by", "updated_at"}``.
        """
        self._check_plan_kind(kind)
        cur = self._cursor()
        if not self._plan_tables_exist(cur):
            return []
        sql = (
            "SELECT payload, account, created_by, created_at, updated_by, updated_at FROM _kam_plan_items "
            "WHERE kind = ?"
        )
        params: list[Any] = [kind]
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        rows = cur.execute(sql + " ORDER BY created_at, item_id", params).fetchall()
        keys = ("account", "created_by", "created_at", "updated_by", "updated_at")
        return [{"payload": json.loads(row[0]), **dict(zip(keys, row[1:], strict=True))} for row in rows]

    def plan_history(self, account: str | None = None) -> pd.DataFrame:
        """Every change to plan items (one account's, or all), newest first."""
        columns = ["kind", "item_id", "account", "change", "payload", "changed_by", "changed_at"]
        cur = self._cursor()
        if not self._plan_tables_exist(cur):
            return pd.DataFrame(columns=columns)
        sql = f"SELECT {', '.join(columns)} FROM _kam_plan_history"
        params: list[Any] = []
        if account is not None:
            sql += " WHERE account = ?"
            params.append(account)
        rows = cur.execute(sql + " ORDER BY changed_at DESC, item_id", params).fetchall()
        return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- workspace files
def check_workspace_name(name: str) -> str:
    """The trimmed name, or KamError when it could escape the folder or is unusable."""
    name = name.strip()
    if not _WORKSPACE_NAME.match(name) or name in {".", ".."}:
        raise KamError(
            "db.bad_workspace_name",
            "'{name}' cannot be used as a workspace name: use letters, digits, spaces, '-', '_' or '.' (at most 60).",
            name=name,
        )
    return name


#: At most this many bytes (UTF-8) in a new workspace name, so the file and every companion
#: (``.duckdb.access.json`` and its temporary) fit the 255-byte file-name limit.
MAX_NAME_BYTES = 120
def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ")[0] if name else "UNKNOWN"


def name_skeleton(name: str) -> str:
    """What a name looks like: NFKC, look-alike letters of any script mapped (Unicode's
    confusables data), case-folded, spaces collapsed (see kamcore.names)."""
    return names.skeleton(name)


def check_new_workspace_name(root: str | Path, name: str) -> str:
    """The name a new (or renamed) workspace gets, NFKC-normalised; KamError when unusable.

    Refused: names :func:`check_workspace_name` refuses, names longer than
    :data:`MAX_NAME_BYTES` bytes, letters from more than one script (``dеmo`` with a Cyrillic
    ``е``), and names that look like an existing workspace's (``Demo``, ``dеmo``, ``demo ``).
    The last sentence is the same whether the other workspace is the person's own or one
    they cannot see, so it does not reveal other users' workspace names.
    """
    name = check_workspace_name(unicodedata.normalize("NFKC", name))
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise KamError("workspace.name_too_long",
                       "The name is too long: use at most {n} letters (fewer with special characters).",
                       n=MAX_NAME_BYTES // 2)
    scripts = {_script(c) for c in name if c.isalpha()}
    if len(scripts) > 1:
        raise KamError("workspace.name_mixed_scripts",
                       "'{name}' mixes letters from different alphabets; write it in one alphabet.", name=name)
    skeleton = name_skeleton(name)
    if any(name_skeleton(info.name) == skeleton for info in list_workspaces(root)):
        raise KamError("workspace.name_unavailable",
                       "The name '{name}' cannot be used for a new workspace; choose another.", name=name)
    return name


def workspace_path(root: str | Path, name: str) -> Path:
    """Where the workspace ``name`` lives under ``root``."""
    return Path(root) / (check_workspace_name(name) + WORKSPACE_SUFFIX)


def list_workspaces(root: str | Path) -> list[WorkspaceInfo]:
    """The workspace files under ``root``, by name."""
    root = Path(root)
    if not root.exists():
        return []
    infos = []
    for path in sorted(root.glob("*" + WORKSPACE_SUFFIX)):
        stat = path.stat()
        infos.append(
            WorkspaceInfo(
                name=path.stem,
                path=path,
                size_bytes=stat.st_size,
                modified_at=dt.datetime.fromtimestamp(stat.st_mtime),
            )
        )
    return infos


def create_workspace(root: str | Path, name: str, settings: DbSettings | None = None) -> Path:
    """Create an empty workspace; KamError if the name is taken, looks like a taken one or is
    unusable (see :func:`check_new_workspace_name`)."""
    name = unicodedata.normalize("NFKC", name.strip())
    path = workspace_path(root, name)
    with _exclusive(path):
        check_new_workspace_name(root, name)
        workspace = Workspace._connect(path, settings or DbSettings())
        try:
            workspace._ensure_schema_unlocked()
        finally:
            workspace._close_connection()
    return path


def _probe_other_processes(path: Path, settings: DbSettings | None) -> duckdb.DuckDBPyConnection:
    """A connection that holds the file's lock, proving no other process has it open."""
    try:
        return duckdb.connect(str(path), config=_hardened_config(settings or DbSettings()))
    except duckdb.Error as exc:
        raise KamError(
            "db.workspace_busy",
            "The workspace '{name}' is open in another program. Close it there and try again.",
            name=path.stem,
        ) from exc


def rename_workspace(root: str | Path, old: str, new: str, settings: DbSettings | None = None) -> Path:
    """Rename a workspace with its companions, coordinated with every session that has it open.

    Every connection of this process to the file is closed first (their sessions are told
    "renamed to …" on their next call), an operation in progress finishes before, and a
    workspace open in another process is refused as busy.
    """
    source = workspace_path(root, old)
    new = unicodedata.normalize("NFKC", new.strip())
    target = workspace_path(root, new)
    with _exclusive(source, target) as (state, _):
        if not source.exists():
            raise KamError("db.no_workspace", "There is no workspace called '{name}'.", name=old)
        if name_skeleton(new) != name_skeleton(old) or target.exists():
            check_new_workspace_name(root, new)
        retired = _retire(state)
        probe = _probe_other_processes(source, settings)
        try:
            probe.execute("CHECKPOINT")
            source.rename(target)
            for suffix in COMPANION_SUFFIXES:
                companion = source.with_name(source.name + suffix)
                if companion.exists():
                    companion.rename(target.with_name(target.name + suffix))
            state.fates[retired] = ("renamed", target.stem)
        finally:
            probe.close()
    return target


def delete_workspace(root: str | Path, name: str, settings: DbSettings | None = None) -> None:
    """Delete a workspace with its write-ahead log and access sidecar, after closing every
    connection of this process to it (their sessions are told it was deleted)."""
    path = workspace_path(root, name)
    with _exclusive(path) as (state,):
        if not path.exists():
            raise KamError("db.no_workspace", "There is no workspace called '{name}'.", name=name)
        retired = _retire(state)
        _probe_other_processes(path, settings).close()
        path.unlink()
        for suffix in COMPANION_SUFFIXES:
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        state.fates[retired] = ("deleted", None)


def replace_workspace(path: str | Path, build: Callable[[Path], None], settings: DbSettings | None = None) -> None:
    """Replace the workspace file at ``path`` by what ``build(temporary_path)`` writes.

    Every connection of this process is closed first and its session reopens the new file on
    its next call (told that it was reset); the access sidecar stays.
    """
    path = Path(path)
    with _exclusive(path) as (state,):
        retired = _retire(state)
        if path.exists():
            _probe_other_processes(path, settings).close()
        temporary = path.with_name(path.name + ".rebuild")
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
        try:
            build(temporary)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
            os.replace(temporary, path)
        finally:
            for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
                leftover.unlink(missing_ok=True)
        state.fates[retired] = ("replaced", None)


# === ingest staging (owned by ingest) ===
# Imports used only by the staging code live here, inside the block ingest owns (numpy and
# pyarrow are imported at the top: Workspace.import_table hands frames over as Arrow too).
import pyarrow.compute as pc  # noqa: E402

#
# Why this connection may read a file while workspace connections may not: it is a private,
# in-memory database that lives for one load_file() call, is never handed to anything the
# user drives, and holds no workspace. Before any statement runs, ``allowed_paths`` is set to
# the single file ingest is parsing (the temporary copy ingest itself wrote, or the path a
# calling script passed), then external access is switched off and the configuration is
# locked — so even this connection cannot open any other file, the network or an extension.
# Every statement is built here from fixed templates over generated column names
# (``c0``, ``c1`` ...); header text and cell values only ever arrive as data, never as SQL.

#: Characters removed from number cells before parsing: space, tab, NBSP, narrow NBSP.
_NUMBER_SPACES = r"[ \t\x{00A0}\x{202F}\x{2009}]"
#: Currency codes and signs allowed before or after a number ("kr 1.250,-", "1250,5 kr").
_CURRENCY = r"(?i)^(kr\.?|nok|sek|dkk|eur|usd|€|\$|£)|(kr\.?|nok|sek|dkk|eur|usd|€|\$|£|,-|\.-)$"
_NUMBER_COMMA = r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"
_NUMBER_DOT = r"[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)([eE][+-]?\d+)?"
# Unambiguous votes for the decimal mark: a separator followed by other than three digits,
# or both marks in thousands-then-decimal order, or two or more thousands groups.
_VOTE_COMMA = r"[+-]?[\d.]*,(\d{1,2}|\d{4,})|[+-]?\d{1,3}(\.\d{3})+,\d+|[+-]?\d{1,3}(\.\d{3}){2,}"
_VOTE_DOT = r"[+-]?[\d,]*\.(\d{1,2}|\d{4,})([eE][+-]?\d+)?|[+-]?\d{1,3}(,\d{3})+\.\d+|[+-]?\d{1,3}(,\d{3}){2,}"

#: Thousands separators counted per column (cells with a digit, the mark, three digits).
_THOUSANDS_PATTERNS = {
    "th_space": r"\d \d{3}",
    "th_nbsp": r"\d\x{00A0}\d{3}",
    "th_nnbsp": r"\d\x{202F}\d{3}",
    "th_dot": r"\d\.\d{3}(\D|$)",
    "th_comma": r"\d,\d{3}(\D|$)",
}

#: yyyymmdd: strptime would also read seven digits ("1997011"), so coercing checks the shape too.
COMPACT_DATE_FORMAT = "%Y%m%d"

#: Date formats ingest recognises, each with the shape a cell must have first (so that
#: "%d.%m.%Y" never swallows a two-digit year). Order breaks ties: European day-first wins.
STAGING_DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("%d.%m.%Y", r"\d{1,2}\.\d{1,2}\.\d{4}"),
    ("%Y-%m-%d", r"\d{4}-\d{1,2}-\d{1,2}"),
    ("%d/%m/%Y", r"\d{1,2}/\d{1,2}/\d{4}"),
    ("%m/%d/%Y", r"\d{1,2}/\d{1,2}/\d{4}"),
    ("%d-%m-%Y", r"\d{1,2}-\d{1,2}-\d{4}"),
    ("%d.%m.%y", r"\d{1,2}\.\d{1,2}\.\d{2}"),
    ("%Y-%m-%d %H:%M:%S", r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}"),
    ("%Y-%m-%dT%H:%M:%S", r"\d{4}-\d{1,2}-\d{1,2}T\d{1,2}:\d{2}:\d{2}"),
    ("%Y-%m-%d %H:%M", r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}"),
    ("%d.%m.%Y %H:%M", r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}"),
    ("%d.%m.%Y %H:%M:%S", r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}:\d{2}"),
    # Compact ISO (19970101, CDNOW and many ERP exports); the shape only admits real months
    # and days of the 1900s and 2000s, and the cell must have all eight digits.
    (COMPACT_DATE_FORMAT, r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"),
)


def _sql_text(value: str) -> str:
    """A SQL string literal for text ingest chose itself (a path, a regex, a format)."""
    return "'" + value.replace("'", "''") + "'"


def _staging_column(index: int) -> str:
    return f"c{index}"


def _trimmed_text_sql(column: str) -> str:
    """``column`` trimmed, NULL when blank; trims only cells with an edge space (cheaper than
    trimming every cell)."""
    return (
        f"CASE WHEN starts_with({column}, ' ') OR ends_with({column}, ' ') THEN nullif(trim({column}), '') "
        f"ELSE nullif({column}, '') END"
    )


def _strip_spaces_sql(text: str) -> str:
    """``text`` without spaces, NBSP, narrow NBSP and thin spaces (plain replaces: fast)."""
    for char in (" ", "\u00a0", "\u202f"):
        text = f"replace({text}, {_sql_text(char)}, '')"
    return text


def _clean_number_sql(compact: str) -> str:
    """Space-free number text without currency words/signs and with ASCII minus."""
    return f"regexp_replace(replace({compact}, '−', '-'), {_sql_text(_CURRENCY)}, '', 'g')"


def _fast_number_sql(compact: str, decimal: str) -> str:
    """The plain cast of space-free text when no thousands mark of the other kind is present."""
    if decimal == ",":
        return f"CASE WHEN NOT contains({compact}, '.') THEN TRY_CAST(replace({compact}, ',', '.') AS DOUBLE) END"
    return f"CASE WHEN NOT contains({compact}, ',') THEN TRY_CAST({compact} AS DOUBLE) END"


def _slow_number_sql(compact: str, decimal: str) -> str:
    """The strict parse: currency removed, thousands must be grouped in threes."""
    cleaned = _clean_number_sql(compact)
    if decimal == ",":
        return (
            f"CASE WHEN regexp_full_match({cleaned}, {_sql_text(_NUMBER_COMMA)}) "
            f"THEN TRY_CAST(replace(replace({cleaned}, '.', ''), ',', '.') AS DOUBLE) END"
        )
    return (
        f"CASE WHEN regexp_full_match({cleaned}, {_sql_text(_NUMBER_DOT)}) "
        f"THEN TRY_CAST(replace({cleaned}, ',', '') AS DOUBLE) END"
    )


def _parse_number_sql(compact: str, decimal: str, fast: str | None = None) -> str:
    """A finite DOUBLE from space-free text ``compact`` (see _strip_spaces_sql), or NULL.

    Notes
    -----
    Fast path for the common case (no thousands mark of the other kind, no currency): a
    plain cast (pass its column as ``fast`` when already computed). Everything else goes
    through the strict pattern, which only allows correctly grouped thousands, so "1.5" in a
    decimal-comma column is rejected rather than read as 15. "inf" and "nan" are not amounts.
    """
    fast = fast or f"({_fast_number_sql(compact, decimal)})"
    slow = _slow_number_sql(compact, decimal)
    return f"CASE WHEN isfinite({fast}) THEN {fast} WHEN {fast} IS NULL THEN {slow} END"


def _parse_date_sql(text: str, date_format: str) -> str:
    shape = dict(STAGING_DATE_FORMATS)[date_format]
    return (
        f"CASE WHEN regexp_full_match({text}, {_sql_text(shape)}) "
        f"THEN TRY_STRPTIME({text}, {_sql_text(date_format)}) END"
    )


#: Rows per Arrow batch fetched from staging: a multiple of DuckDB's row-group size (122,880)
#: so that, when Workspace.import_table stores the rows again, batches line up with row groups.
_ARROW_BATCH_ROWS = 122_880 * 64


#: The longest record DuckDB's reader allows: first try, and retry (see IngestStaging._run).
_MAX_LINE_BYTES = (4 * 1024 * 1024, 128 * 1024 * 1024)


class CsvReadError(Exception):
    """DuckDB could not split the file into rows (carries DuckDB's own message)."""


class CoercedRows(BaseModel):
    """The outcome of :meth:`IngestStaging.coerce`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kept: pd.DataFrame  # typed columns c{i} plus rid, in file order
    rejected: pd.DataFrame  # rid, trimmed text raw_c{i} of every column, flags bad_c{i}
    n_empty: int
    n_duplicates: int
    n_records: int  # records read, header record(s) included
    nonempty: dict[int, int]  # per text-planned column: data records with a value
    scan: Literal["typed", "text"]  # which scan produced the rows (see IngestStaging.coerce)


class IngestStaging:
    """A private in-memory DuckDB that types one upload; nothing outlives ``close()``.

    The source is either the CSV file (read by DuckDB's ``read_csv`` with every field as
    text) or a registered frame of text columns (Excel). Columns are ``c0..c{n-1}``; the
    record number ``rid`` is the 0-based position in the source, in file order.
    """

    #: Let DuckDB's reader type CSV cells where it can (see _typed_source); tests switch it
    #: off to compare with the text scan, which every file can take.
    typed_scan: bool = True

    def __init__(self, readable_file: Path | None = None, threads: int | None = None) -> None:
        self._con = duckdb.connect(":memory:")
        if readable_file is not None:
            self._con.execute(f"SET allowed_paths = [{_sql_text(str(Path(readable_file).resolve()))}]")
        self._con.execute("SET enable_external_access = false")
        self._con.execute("SET autoinstall_known_extensions = false")
        self._con.execute("SET autoload_known_extensions = false")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self._con.execute("SET preserve_insertion_order = true")
        # Text leaves as large_string, the layout pandas' str dtype uses: no cast on to_pandas().
        self._con.execute("SET arrow_large_buffer_size = true")
        self._con.execute("SET lock_configuration = true")
        self.n_columns = 0
        self._csv: dict[str, Any] | None = None
        self._parallel = True
        self._strict = False
        # DuckDB sizes its read buffers from the longest record it must allow; 128 MB buffers
        # make a 70 MB file ~0.5 s slower to read. Ingest has refused files with lines over
        # max_line_chars before this, so 4 MB is enough unless a quoted field spans many
        # lines; _run() retries with 128 MB when DuckDB says a record is longer.
        self._max_line_bytes = _MAX_LINE_BYTES[0]
        self._first_record: list[tuple[Any, ...]] | None = None

    def close(self) -> None:
        """Drop everything staged."""
        self._con.close()

    def __enter__(self) -> IngestStaging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sources
    def load_csv(self, path: Path, *, delimiter: str, n_columns: int, skip_lines: int) -> None:
        """Use the UTF-8 CSV at ``path`` as source (every field text); CsvReadError if unreadable.

        Blank lines are skipped by DuckDB (ingest counts them itself); short rows are padded
        with NULL. ``n_columns`` must exceed the header's width by one, so a row with extra
        fields shows up in the last column (ingest rejects it) instead of being cut silently.
        """
        self._csv = {"path": Path(path).resolve(), "delimiter": delimiter, "skip": int(skip_lines)}
        self.n_columns = n_columns
        self._parallel = True
        self._strict = n_columns > 1
        self._first_record = None
        # Read once here (it proves the file splits into rows) and kept: ingest asks for it next.
        self._first_record = self.head(1)

    def load_frame(self, frame: pd.DataFrame | pa.Table) -> None:
        """Use a frame (or Arrow table) of text columns (renamed ``c0..``) as source."""
        if isinstance(frame, pa.Table):
            staged: pd.DataFrame | pa.Table = frame.rename_columns([_staging_column(i) for i in range(frame.num_columns)])
            n_columns = frame.num_columns
        else:
            staged = frame.copy()
            staged.columns = [_staging_column(i) for i in range(staged.shape[1])]
            n_columns = staged.shape[1]
        self._con.register("incoming_frame", staged)
        self._csv = None
        self._first_record = None
        self.n_columns = n_columns

    def _source(self) -> str:
        if self._csv is None:
            casts = ", ".join(f"CAST({_staging_column(i)} AS VARCHAR) AS {_staging_column(i)}" for i in range(self.n_columns))
            return f"(SELECT {casts} FROM incoming_frame)"
        path, delimiter = _sql_text(str(self._csv["path"])), _sql_text(self._csv["delimiter"])
        common = (
            f"header = false, auto_detect = false, delim = {delimiter}, quote = '\"', escape = '\"', "
            f"max_line_size = {self._max_line_bytes}, skip = {self._csv['skip']}, encoding = 'utf-8'"
        )
        if self._strict:
            # Fast path: every record has exactly the header's width. Where the strict reader
            # accepts a file it yields the same fields as the padding reader below (whose
            # spare column is then empty anyway); any irregular record makes it fail, and
            # _run() retries with the padding reader.
            width = self.n_columns - 1
            columns = "{" + ", ".join(f"'{_staging_column(i)}': 'VARCHAR'" for i in range(width)) + "}"
            return (
                f"(SELECT *, CAST(NULL AS VARCHAR) AS {_staging_column(width)} FROM read_csv({path}, "
                f"columns = {columns}, {common}, null_padding = false, strict_mode = true))"
            )
        columns = "{" + ", ".join(f"'{_staging_column(i)}': 'VARCHAR'" for i in range(self.n_columns)) + "}"
        return (
            f"read_csv({path}, columns = {columns}, {common}, null_padding = true, strict_mode = false"
            + ("" if self._parallel else ", parallel = false")
            + ")"
        )

    def _typed_source(self, plans: dict[int, tuple[str, str | None]]) -> str | None:
        """``read_csv`` typing the planned columns itself, or None where its rules differ from ingest's.

        Notes
        -----
        DuckDB's reader parses ``1 234,50`` and ``dd.mm.yyyy`` while it splits the file, which
        is several times cheaper than parsing every text cell afterwards. It is only used where
        every value it accepts is a value ingest's own rules accept with the same result (the
        property tests in ``tests/core/test_ingest_typed_scan.py`` pin this): one decimal mark
        for all number columns, space (or nothing) as thousands separator (its ``.``/``,``
        thousands handling accepts ``1.5`` as 15), one date format, the header on the first
        record, every record exactly as wide as the header. Whatever it refuses (currency,
        ``1.234,50``, a bad date, a ragged row) makes the scan fail, and :meth:`coerce` falls
        back to the text scan, which also finds and explains the rows to reject.
        """
        if self._csv is None or not self._strict:
            return None
        decimals = {option or "." for kind, option in plans.values() if kind == "number"}
        date_formats = {option or "%Y-%m-%d" for kind, option in plans.values() if kind == "date"}
        if len(decimals) > 1 or len(date_formats) > 1 or COMPACT_DATE_FORMAT in date_formats:
            return None
        types = {"number": "DOUBLE", "date": "TIMESTAMP", "text": "VARCHAR"}
        width = self.n_columns - 1
        column_types = {i: types[plans[i][0]] if i in plans else "VARCHAR" for i in range(width)}
        columns = "{" + ", ".join(f"'{_staging_column(i)}': '{t}'" for i, t in column_types.items()) + "}"
        options = [
            f"columns = {columns}",
            "header = true",
            "auto_detect = false",
            f"delim = {_sql_text(self._csv['delimiter'])}",
            "quote = '\"'",
            "escape = '\"'",
            f"max_line_size = {self._max_line_bytes}",
            f"skip = {self._csv['skip']}",
            "encoding = 'utf-8'",
            "null_padding = false",
            "strict_mode = true",
        ]
        if decimals:
            options += [f"decimal_separator = {_sql_text(decimals.pop())}", "thousands = ' '"]
        if date_formats:
            options.append(f"timestampformat = {_sql_text(date_formats.pop())}")
        return f"read_csv({_sql_text(str(self._csv['path']))}, {', '.join(options)})"

    def _count_records(self, expected: int | None) -> int:
        """``expected`` if the caller counted the records, else the text reader's count."""
        if expected is not None:
            return expected
        return int(self._run(lambda source: f"SELECT count(*) FROM {source}")[0][0])

    def _run(self, build: Any, fetch: str = "all") -> Any:
        """Run ``build(source_sql)``; on a CSV error retry with the padding reader, then with
        the serial one; CsvReadError when all fail."""
        while True:
            try:
                if fetch == "arrow":
                    return self._con.sql(build(self._source())).to_arrow_table(batch_size=_ARROW_BATCH_ROWS)
                return self._con.execute(build(self._source())).fetchall()
            except duckdb.Error as exc:
                if self._csv is not None and "Maximum line size" in str(exc) and self._max_line_bytes < _MAX_LINE_BYTES[1]:
                    self._max_line_bytes = _MAX_LINE_BYTES[1]
                    continue
                if self._csv is not None and self._strict:
                    self._strict = False
                    continue
                # The parallel reader refuses quoted newlines together with null padding.
                if self._csv is not None and self._parallel:
                    self._parallel = False
                    continue
                raise CsvReadError(str(exc)) from exc

    def head(self, n: int) -> list[tuple[Any, ...]]:
        """The first ``n`` records of the source in file order."""
        if n == 1 and self._first_record is not None:
            return list(self._first_record)
        return self._run(lambda source: f"SELECT * FROM {source} LIMIT {int(n)}")

    # ---------------------------------------------------------------- profiling
    def profile(self, columns: list[int], first_row: int, sample_rows: int) -> pd.DataFrame:
        """How many cells of each column parse as numbers / dates, in the first data records.

        Uses records ``first_row .. first_row + sample_rows`` (reading stops there). Returns
        one row per column index with ``nonempty``, ``num_comma``, ``num_dot``,
        ``vote_comma``, ``vote_dot``, ``leading_zero``, ``integers``, ``th_*`` and
        ``date:<format>`` counts.
        """
        self._run(
            lambda source: "CREATE OR REPLACE TEMP TABLE profile_sample AS "
            f"SELECT * FROM {source} LIMIT {int(sample_rows)} OFFSET {int(first_row)}"
        )
        # Every measure is evaluated once per distinct (column, value) and weighted by how
        # often the value occurs: the same counts as cell by cell, but repeated values
        # (names, regions, dates, products) cost one regex/strptime evaluation instead of
        # thousands. count(x) becomes sum(n) over the values where x is not NULL.
        measures = {
            "nonempty": "t <> ''",
            "num_comma": f"({_parse_number_sql('s', ',')}) IS NOT NULL",
            "num_dot": f"({_parse_number_sql('s', '.')}) IS NOT NULL",
            "vote_comma": f"regexp_full_match(v, {_sql_text(_VOTE_COMMA)})",
            "vote_dot": f"regexp_full_match(v, {_sql_text(_VOTE_DOT)})",
            "leading_zero": "regexp_full_match(v, '0[0-9]+')",
            "integers": "regexp_full_match(v, '[+-]?[0-9]+')",
        }
        for mark, pattern in _THOUSANDS_PATTERNS.items():
            measures[mark] = f"regexp_matches(t, {_sql_text(pattern)})"
        for date_format, _shape in STAGING_DATE_FORMATS:
            measures[f"date:{date_format}"] = f"({_parse_date_sql('t', date_format)}) IS NOT NULL"
        selects = ", ".join(f"coalesce(sum(n) FILTER (WHERE {condition}), 0)" for condition in measures.values())
        rows = []
        # Batches keep the statement a sane size for wide files.
        for start in range(0, len(columns), 50):
            batch = columns[start : start + 50]
            cells = " UNION ALL ".join(
                f"SELECT {int(index)} AS idx, {_staging_column(index)} AS val FROM profile_sample" for index in batch
            )
            distinct = f"SELECT idx, val, count(*) AS n FROM ({cells}) GROUP BY idx, val"
            prepared = f"SELECT idx, n, trim(val) AS t, {_strip_spaces_sql('val')} AS s FROM ({distinct})"
            cleaned = f"SELECT *, {_clean_number_sql('s')} AS v FROM ({prepared})"
            found = {
                int(row[0]): row[1:]
                for row in self._con.execute(f"SELECT idx, {selects} FROM ({cleaned}) GROUP BY idx").fetchall()
            }
            for index in batch:
                counts = found.get(int(index), (0,) * len(measures))
                rows.append({"column": index, **{n: int(c) for n, c in zip(measures, counts, strict=True)}})
        self._con.execute("DROP TABLE profile_sample")
        return pd.DataFrame(rows)

    # ----------------------------------------------------------------- coercing
    def coerce(
        self,
        plans: dict[int, tuple[str, str | None]],
        *,
        first_row: int,
        overflow: list[int],
        expected_records: int | None = None,
    ) -> CoercedRows:
        """Type every column per ``plans`` and split data records into kept, rejected and empty.

        ``plans`` maps a column index to ``("number", decimal)``, ``("date", format)`` or
        ``("text", None)``; columns in ``overflow`` (past the header) make a row rejected when
        they hold a value. Records before ``first_row`` (the header) are read and dropped.
        ``expected_records`` is the number of records (header included) the caller counted
        itself, where it can (a CSV without quotes); it guards the typed scan.

        Notes
        -----
        One streaming scan of the source parses every cell exactly once and delivers typed
        values, flags and (for flagged rows only) the text to Arrow; the split into
        kept/rejected/empty then runs on Arrow masks. Nothing is materialised in DuckDB.
        A CSV first gets the typed scan (DuckDB's reader parses the cells, see
        :meth:`_typed_source`); only if the reader refuses a value, or a parsed value fails
        a check, is the file scanned again as text with ingest's own rules.
        """
        all_columns = [_staging_column(i) for i in range(self.n_columns)]
        # Nested levels so each cell is trimmed, cleaned and parsed once: t_ = text (NULL
        # when blank; trimmed only when it has a leading/trailing space, which is cheaper
        # than trimming every cell), s_ = without spaces, f_ = plain cast, p_ = parsed.
        level1 = ", ".join(f"{_trimmed_text_sql(c)} AS t_{c}" for c in all_columns)
        level2, level3, level4, values, bad = [], [], [], [], []
        for index, (kind, option) in plans.items():
            column = _staging_column(index)
            if kind == "number":
                level2.append(f"{_strip_spaces_sql(f't_{column}')} AS s_{column}")
                level3.append(f"{_fast_number_sql(f's_{column}', option or '.')} AS f_{column}")
                level4.append(f"{_parse_number_sql(f's_{column}', option or '.', fast=f'f_{column}')} AS p_{column}")
                values.append(f"p_{column} AS {column}")
                bad.append(f"(t_{column} IS NOT NULL AND p_{column} IS NULL) AS bad_{column}")
            elif kind == "date":
                date_format = option or "%Y-%m-%d"
                parse = f"TRY_STRPTIME(t_{column}, {_sql_text(date_format)})"
                if date_format == COMPACT_DATE_FORMAT:
                    parse = f"CASE WHEN regexp_full_match(t_{column}, '[0-9]{{8}}') THEN {parse} END"
                level4.append(f"{parse} AS p_{column}")
                # strptime's %Y also takes a two-digit year ("01.02.26" -> year 26): refuse it.
                valid = f"year(p_{column}) >= 1000" if "%Y" in date_format else "true"
                values.append(f"CAST(CASE WHEN {valid} THEN p_{column} END AS TIMESTAMP) AS {column}")
                bad.append(f"(t_{column} IS NOT NULL AND NOT coalesce({valid}, false)) AS bad_{column}")
            else:
                values.append(f"t_{column} AS {column}")
        for index in overflow:
            column = _staging_column(index)
            bad.append(f"(t_{column} IS NOT NULL) AS bad_{column}")
        bad_names = [item.rsplit(" AS ", 1)[1] for item in bad]
        value_columns = [_staging_column(i) for i in plans]
        empty = " AND ".join(f"t_{c} IS NULL" for c in all_columns) or "true"
        row_hash = f"hash({', '.join(value_columns)})" if value_columns else "0"
        texts = ", ".join(f"t_{c}" for c in all_columns)
        any_bad_sql = " OR ".join(bad_names) or "false"
        # A text column's value is its trimmed text already; only the other columns need their
        # text beside the parsed value (for rejected rows, NULL elsewhere).
        text_columns = {_staging_column(i) for i, (kind, _option) in plans.items() if kind == "text"}
        raw_columns = [c for c in all_columns if c not in text_columns]
        raw_text = [f"CASE WHEN {any_bad_sql} THEN t_{c} END AS raw_{c}" for c in raw_columns]

        def build_typed(source: str) -> str:
            # Cells arrive typed: numbers and dates need only the checks the reader does not
            # make (finite, four-digit year). One flag says whether any cell failed them; if
            # so the file goes to the text scan, which also says which cells and why.
            checks = []
            for index, (kind, option) in plans.items():
                column = _staging_column(index)
                if kind == "number":
                    checks.append(f"NOT isfinite(t_{column})")
                elif kind == "date" and "%Y" in (option or "%Y-%m-%d"):
                    checks.append(f"year(t_{column}) < 1000")
            width = self.n_columns - 1
            cleaned = []
            for i in range(width):
                c = _staging_column(i)
                if plans.get(i, ("text", None))[0] == "text":
                    cleaned.append(f"{_trimmed_text_sql(c)} AS t_{c}")
                else:
                    cleaned.append(f"{c} AS t_{c}")
            cleaned += [f"CAST(NULL AS VARCHAR) AS t_{_staging_column(i)}" for i in range(width, self.n_columns)]
            outer = [f"t_{c} AS {c}" for c in value_columns] + [
                f"coalesce({' OR '.join(checks) or 'false'}, false) AS any_bad",
                f"({empty}) AS is_empty",
                f"{row_hash} AS row_hash",
            ]
            return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(cleaned)} FROM {source})"

        def build(source: str) -> str:
            sql = f"SELECT {level1} FROM {source}"
            for level in (level2, level3, level4):
                if level:
                    sql = f"SELECT *, {', '.join(level)} FROM ({sql})"
            sql = f"SELECT {', '.join(values + bad + [f'({empty}) AS is_empty', f'{row_hash} AS row_hash'])}, {texts} FROM ({sql})"
            outer = [*value_columns, *bad_names, "is_empty", "row_hash"]
            # No ORDER BY: a projection over one scan keeps the source (= file) order, and so
            # does OFFSET under preserve_insertion_order. Dropping the header record(s) here
            # rather than slicing the Arrow result also makes DuckDB hand over whole batches.
            return f"SELECT {', '.join(outer + raw_text)} FROM ({sql}) OFFSET {int(first_row)}"

        rejected_names = ["rid", *[f"raw_{c}" for c in all_columns], *bad_names]
        table = None
        typed_source = self._typed_source(plans) if first_row == 1 and self.typed_scan else None
        if typed_source is not None:
            try:
                table = self._con.sql(build_typed(typed_source)).to_arrow_table(batch_size=_ARROW_BATCH_ROWS)
            except duckdb.Error:
                table = None  # a value the reader refuses: the text scan decides what it is
            if table is not None and pc.any(table.column("any_bad")).as_py():
                table = None
            if table is not None and first_row + table.num_rows != self._count_records(expected_records):
                # The reader can lose rows silently where the text reader stops with an error
                # (seen: title lines with LF above a CRLF table). Never keep such a result.
                table = None
        typed = table is not None
        if table is None:
            table = self._run(build, fetch="arrow")
        if table.num_rows or not first_row:
            n_records = first_row + table.num_rows
        else:
            n_records = len(self.head(first_row))  # no data record: count the header record(s)
        table = table.append_column("rid", pa.array(np.arange(first_row, first_row + table.num_rows, dtype=np.int64)))
        is_empty = pc.fill_null(table.column("is_empty"), False)
        any_bad = pa.array(np.zeros(table.num_rows, dtype=bool))
        for name in [] if typed else bad_names:
            any_bad = pc.or_(any_bad, pc.fill_null(table.column(name), False))
        nonempty = {
            i: table.num_rows - table.column(_staging_column(i)).null_count
            for i, (kind, _option) in plans.items()
            if kind == "text"
        }
        n_empty = int(pc.sum(is_empty).as_py() or 0)
        n_bad = int(pc.sum(any_bad).as_py() or 0)
        rejected_columns = ["rid", *[c if c in text_columns else f"raw_{c}" for c in all_columns], *bad_names]
        if typed:
            # Nothing failed a check (else the text scan ran): no rejected rows.
            kept_with_hash = table.filter(pc.invert(is_empty)) if n_empty else table
            rejected = pa.table(
                {"rid": pa.array([], pa.int64())}
                | {name: pa.array([], pa.large_string()) for name in rejected_names[1 : 1 + len(all_columns)]}
                | {name: pa.array([], pa.bool_()) for name in bad_names}
            )
        elif n_empty == 0 and n_bad == 0:
            # The common case: every record is kept, so skip copying the table through a filter.
            kept_with_hash = table
            rejected = table.slice(0, 0).select(rejected_columns).rename_columns(rejected_names)
        else:
            kept_with_hash = table.filter(pc.invert(pc.or_(is_empty, any_bad)))
            rejected = (
                table.filter(pc.and_(pc.invert(is_empty), any_bad))
                .select(rejected_columns)
                .rename_columns(rejected_names)
            )
        del table
        # Rows whose 64-bit hash of all typed values repeats; a false match needs a collision.
        n_duplicates = 0
        if value_columns and kept_with_hash.num_rows:
            # Sorting and comparing neighbours is ~50x faster than pc.count_distinct here.
            hashes = np.sort(kept_with_hash.column("row_hash").to_numpy())
            n_duplicates = int(np.count_nonzero(hashes[1:] == hashes[:-1]))
        # Left in DuckDB's batches: pandas wraps chunked text as it is, and copying every text
        # column into one chunk costs more than the whole scan on a machine where fresh memory
        # is slow to touch.
        kept = kept_with_hash.select(["rid", *value_columns])
        del kept_with_hash
        return CoercedRows(
            kept=kept.to_pandas(),
            rejected=rejected.to_pandas(),
            n_empty=n_empty,
            n_duplicates=n_duplicates,
            n_records=n_records,
            nonempty=nonempty,
            scan="typed" if typed else "text",
        )


# === end ingest staging ===
