"""Workspaces: the files, their catalogue, saved objects, and the one connection-hardening recipe.

SQL lives only in the ``kamcore/db*`` modules: this one (workspaces) and
:mod:`kamcore.db_staging` (the private database that types one upload for ingest).

A *workspace* is one DuckDB file under the workspaces folder. It holds the user's tables
(stored under generated names so any display name round-trips literally), their column
mappings and quality reports in ``_kam_tables``, saved objects (scores, shortlists, item
dictionaries, segment names) in ``_kam_objects`` and workspace metadata in ``_kam_meta``.

Rules kept here so no other module has to think about them:

* Every identifier is quoted with :func:`quote_ident`; every user value is a bound parameter.
* Every connection is made by :func:`hardened_connection`: no file system or network
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
from typing import Any

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
    con = hardened_connection(":memory:", threads=2)
    try:
        view = "incoming_" + uuid.uuid4().hex
        con.register(view, _storable(df))
        values = _value_digest(con, view, df.shape[1])
    finally:
        con.close()
    return _digest(df, values)


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
    (other dtypes, e.g. ``object`` or categorical columns, go through pandas over a shallow
    copy; an ``object`` column of numbers and text becomes text, one of whole and decimal
    numbers float64, so DuckDB never types them from a sample).
    """
    names = [f"c{index}" for index in range(df.shape[1])]
    position = np.arange(len(df), dtype=np.int64)
    if all(_arrow_safe(dtype) for dtype in df.dtypes):
        table = _arrow_columns(df.set_axis(names, axis=1))
        table = table.replace_schema_metadata(None).add_column(0, _ROW_ORDER, pa.array(position))
        # The same chunk boundaries in every column (Arrow-backed text arrives in batches,
        # numpy columns in one piece): with columns chunked differently DuckDB stores the rows
        # in a way that costs a second full rewrite at the next checkpoint. Re-batching only
        # slices; combine_chunks() would copy every text column (~0.5 s per 1M rows).
        return pa.Table.from_batches(table.to_batches(), schema=table.schema)
    frame = df.set_axis(names, axis=1)
    for name in names:
        column = frame[name]
        if column.dtype != object:
            continue
        # DuckDB types an object column from a sample of its rows: a long column of numbers
        # and text was refused at the first value that differed, and one of whole and decimal
        # numbers was stored as integers (2.5 became 2). Typed here instead, at any length.
        kind = pd.api.types.infer_dtype(column, skipna=True)
        if kind in ("mixed", "mixed-integer"):
            frame[name] = column.where(column.isna(), column.astype(str))
        elif kind == "mixed-integer-float":
            frame[name] = pd.to_numeric(column).astype("float64")
    frame.insert(0, _ROW_ORDER, position)
    return frame


def _arrow_columns(frame: pd.DataFrame) -> pa.Table:
    """``pa.Table.from_pandas(frame, preserve_index=False)`` for an all-``_arrow_safe`` frame,
    without the pass that looks for NaN in float columns that have none.

    Notes
    -----
    ``from_pandas`` turns NaN into NULL, so it builds a validity mask for every float column
    (~3 ms per million values). A float column without NaN gives the same array either way;
    ``np.isnan(...).any()`` proves that in a fifth of the time, and the values are then
    wrapped as they are. Every other column (and a float column with NaN) goes through
    ``from_pandas`` exactly as before, one call for all of them.
    """
    plain: dict[int, pa.Array] = {}
    for index in range(frame.shape[1]):
        column = frame.iloc[:, index]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
            values = column.to_numpy()
            if not np.isnan(values).any():
                plain[index] = pa.array(values)
    if not plain:
        return pa.Table.from_pandas(frame, preserve_index=False)
    rest = [index for index in range(frame.shape[1]) if index not in plain]
    converted = iter(pa.Table.from_pandas(frame.iloc[:, rest], preserve_index=False).columns if rest else [])
    columns = [plain[index] if index in plain else next(converted) for index in range(frame.shape[1])]
    return pa.Table.from_arrays(columns, names=[str(c) for c in frame.columns])


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


def _in_row_order(table: pa.Table) -> pa.Table:
    """``table`` with its rows in stored order (``_ROW_ORDER`` increasing).

    A parallel scan returns whole row groups in any order, each in order inside: such runs
    are put back in order by slicing (no copy, ~0.2 s less than ``take`` on a million rows);
    anything else (thousands of runs, overlapping runs) is gathered with ``take``.
    """
    order = table.column(_ROW_ORDER).to_numpy()
    if order.size < 2:
        return table
    if (order[1:] > order[:-1]).all():
        return table
    # Runs of consecutive positions (stored positions are 0, 1, 2, ...).
    falls = np.flatnonzero(order[1:] != order[:-1] + 1) + 1
    if falls.size < 4096:
        starts = np.concatenate([[0], falls])
        ends = np.concatenate([falls, [order.size]])
        by_first = np.argsort(order[starts], kind="stable")
        starts, ends = starts[by_first], ends[by_first]
        if (order[ends[:-1] - 1] < order[starts[1:]]).all():
            return pa.concat_tables([table.slice(int(a), int(b - a)) for a, b in zip(starts, ends, strict=True)])
    return table.take(pa.array(np.argsort(order, kind="stable")))


def hardened_connection(
    database: str | Path = ":memory:",
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    readable_file: Path | None = None,
    **options: Any,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection hardened by the one recipe every connection of KAM Studio uses.

    No file system or network access (``readable_file``, for an in-memory staging database
    only, is the single file it may read), no extension installing or loading, optional
    ``memory_limit`` and ``threads`` caps, other settings from ``options`` (DuckDB names), and
    the configuration locked so SQL cannot undo any of it.

    Notes
    -----
    Without ``readable_file`` everything is set and locked at connect time, not with a later
    SET: a second session opening the same workspace file in this process shares the
    database instance, where a SET would fail as "locked" (and a different configuration
    would refuse the connection). DuckDB refuses ``allowed_paths`` in the connect
    configuration together with external access off, so with ``readable_file`` the path is
    allowed first, then external access is switched off and the configuration locked,
    before the connection is handed out.
    """
    # The hardening keys come last: no option can switch any of them back on.
    config: dict[str, Any] = {
        **options,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
    }
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = int(threads)
    if readable_file is None:
        config |= {"enable_external_access": False, "lock_configuration": True}
        return duckdb.connect(str(database), config=config)
    if str(database) != ":memory:":
        raise ValueError("only an in-memory database may read a file")
    con = duckdb.connect(":memory:", config=config)
    try:
        path = str(Path(readable_file).resolve()).replace("'", "''")
        con.execute(f"SET allowed_paths = ['{path}']")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _workspace_connection(path: Path, settings: DbSettings) -> duckdb.DuckDBPyConnection:
    return hardened_connection(
        path,
        memory_limit=settings.memory_limit,
        threads=settings.threads,
        # Every read that depends on row order says ORDER BY (stored tables carry their row
        # position), so inserts may run in parallel: importing 1M rows from Arrow then takes
        # half the time.
        preserve_insertion_order=False,
        # Text leaves as Arrow large_string, the type pandas keeps its text in: read_table()
        # then hands it over without widening every offset array (a copy per text column).
        arrow_large_buffer_size=True,
    )


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
            con = _workspace_connection(path, settings)
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
    def read_table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The stored table as a DataFrame with its original column names.

        ``columns``: only these columns (names as in the catalogue), in the table's order; a name
        the table does not have is left out. Default: every column.

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
        row = _first(cur.execute("SELECT storage, columns FROM _kam_tables WHERE name = ?", [name]).fetchall())
        if row is None:
            raise KamError("db.no_table", "There is no table called '{name}' in this workspace.", name=name)
        # Storage columns have generated names (older workspaces: DuckDB's version of the
        # header); the catalogue holds the literal names, in the same order.
        storage, names = row[0], json.loads(row[1])
        select = "*"
        if columns is not None:
            wanted = set(columns)
            stored = [c for c in cur.sql(f"SELECT * FROM {quote_ident(storage)}").columns if c != _ROW_ORDER]
            keep = [index for index, column in enumerate(names) if column in wanted]
            select = ", ".join(quote_ident(column) for column in [_ROW_ORDER, *(stored[i] for i in keep)])
            names = [names[i] for i in keep]
        table = cur.sql(f"SELECT {select} FROM {quote_ident(storage)}").to_arrow_table()
        table = _in_row_order(table)
        table = table.drop_columns([_ROW_ORDER])
        frame = table.to_pandas(types_mapper=_df_types(table), split_blocks=True, self_destruct=True)
        del table
        frame.columns = names
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
        return _workspace_connection(path, settings or DbSettings())
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
