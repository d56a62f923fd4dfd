"""Ingest staging: the private in-memory DuckDB that types one upload (owned by ingest).

The second of the ``kamcore/db*`` modules, the only ones that speak SQL (:mod:`kamcore.db`
holds the workspaces and their catalogue). :class:`IngestStaging` reads a CSV file (or a
frame of text cells from Excel), profiles a sample to plan each column, and coerces every
cell with ingest's parsing rules (:mod:`kamcore.ingest_rules`), turned into SQL here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from kamcore import ingest_rules as rules
from kamcore.db import hardened_connection

# Why this connection may read a file while workspace connections may not: it is a private,
# in-memory database that lives for one load_file() call, is never handed to anything the
# user drives, and holds no workspace. Before any statement runs, ``allowed_paths`` is set to
# the single file ingest is parsing (the temporary copy ingest itself wrote, or the path a
# calling script passed), then external access is switched off and the configuration is
# locked — so even this connection cannot open any other file, the network or an extension.
# Every statement is built here from fixed templates over generated column names
# (``c0``, ``c1`` ...); header text and cell values only ever arrive as data, never as SQL.


def _sql_text(value: str) -> str:
    """A SQL string literal for text ingest chose itself (a path, a regex, a format)."""
    return "'" + value.replace("'", "''") + "'"


def _staging_column(index: int) -> str:
    return f"c{index}"


def _native_column(index: int) -> str:
    """The column of ``c{index}``'s numbers, where the source has them (see load_frame)."""
    return f"n{index}"


def _date_column(index: int) -> str:
    """The column of ``c{index}``'s date-times, where the source has them (see load_frame)."""
    return f"d{index}"


#: The date format whose parse of a date-time's text (as Excel cells are written) is the value.
_NATIVE_DATE_PLAN = ("date", "%Y-%m-%d %H:%M:%S")


def _trimmed_text_sql(column: str) -> str:
    """``column`` trimmed, NULL when blank; trims only cells with an edge space (cheaper than
    trimming every cell)."""
    return (
        f"CASE WHEN starts_with({column}, ' ') OR ends_with({column}, ' ') THEN nullif(trim({column}), '') "
        f"ELSE nullif({column}, '') END"
    )


def _strip_spaces_sql(text: str) -> str:
    """``text`` without spaces, NBSP, narrow NBSP and thin spaces (plain replaces: fast)."""
    for char in rules.NUMBER_SPACES:
        text = f"replace({text}, {_sql_text(char)}, '')"
    return text


def _clean_number_sql(compact: str) -> str:
    """Space-free number text without currency words/signs and with ASCII minus."""
    return f"regexp_replace(replace({compact}, {_sql_text(rules.MINUS_SIGN)}, '-'), {_sql_text(rules.CURRENCY)}, '', 'g')"


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
            f"CASE WHEN regexp_full_match({cleaned}, {_sql_text(rules.NUMBER_COMMA)}) "
            f"THEN TRY_CAST(replace(replace({cleaned}, '.', ''), ',', '.') AS DOUBLE) END"
        )
    return (
        f"CASE WHEN regexp_full_match({cleaned}, {_sql_text(rules.NUMBER_DOT)}) "
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
    shape = dict(rules.DATE_FORMATS)[date_format]
    return (
        f"CASE WHEN regexp_full_match({text}, {_sql_text(shape)}) "
        f"THEN TRY_STRPTIME({text}, {_sql_text(date_format)}) END"
    )


#: Rows per Arrow batch fetched from staging: a multiple of DuckDB's row-group size (122,880)
#: so that, when Workspace.import_table stores the rows again, batches line up with row groups.
_ARROW_BATCH_ROWS = 122_880 * 64


#: The longest record DuckDB's reader allows: first try, and retry (see IngestStaging._run).
_MAX_LINE_BYTES = (4 * 1024 * 1024, 128 * 1024 * 1024)


class _OnThread:
    """``function()`` running on its own thread; :meth:`result` waits and returns or raises."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self._function = function
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kam-ingest-staging", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._function()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class CsvReadError(Exception):
    """DuckDB could not split the file into rows (carries DuckDB's own message)."""


class CoercedRows(BaseModel):
    """The outcome of :meth:`IngestStaging.coerce`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kept: pd.DataFrame  # typed columns c{i} plus rid, in file order
    rejected: pd.DataFrame  # rid, trimmed text raw_c{i} of every column, flags bad_c{i}
    n_empty: int
    #: Rows repeating an earlier row: the count, or the thread counting them (see coerce).
    duplicates: Any
    n_records: int  # records read, header record(s) included
    nonempty: dict[int, int]  # per text-planned column: data records with a value
    scan: Literal["typed", "text"]  # which scan produced the rows (see IngestStaging.coerce)

    @property
    def n_duplicates(self) -> int:
        """Rows that repeat an earlier row (waits for the count where a thread makes it)."""
        if isinstance(self.duplicates, _OnThread):
            self.duplicates = self.duplicates.result()
        return int(self.duplicates)


class IngestStaging:
    """A private in-memory DuckDB that types one upload; nothing outlives ``close()``.

    The source is either the CSV file (read by DuckDB's ``read_csv`` with every field as
    text) or a registered frame of text columns (Excel). Columns are ``c0..c{n-1}``; the
    record number ``rid`` is the 0-based position in the source, in file order.
    """

    #: Let DuckDB's reader type CSV cells where it can (see _typed_source); tests switch it
    #: off to compare with the text scan, which every file can take.
    typed_scan: bool = True

    def __init__(
        self, readable_file: Path | None = None, threads: int | None = None, *, background: bool = False
    ) -> None:
        """``background``: open the connection on another thread, taken at its first use.

        Opening an in-memory DuckDB takes ~0.02 s (its catalogue of functions), nearly all of
        it without the GIL: ingest starts it before reading the file and splitting its lines,
        which it then overlaps. :meth:`close` waits for it, and for a close begun by
        :meth:`coerce` (``then_close``), so nothing outlives ``close()`` either way.
        """

        def connect() -> duckdb.DuckDBPyConnection:
            return hardened_connection(
                ":memory:",
                threads=threads,
                readable_file=readable_file,
                preserve_insertion_order=True,
                # Text leaves as large_string, the layout pandas' str dtype uses: no cast on to_pandas().
                arrow_large_buffer_size=True,
            )

        self.readable_file = readable_file
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._opening: _OnThread | None = _OnThread(connect) if background else None
        self._closing: _OnThread | None = None
        if not background:
            self._connection = connect()
        self.n_columns = 0
        self._numbers: list[int] = []  # columns with their numbers beside the text (load_frame)
        self._dates: list[int] = []  # columns with their date-times beside the text (load_frame)
        self._native_text: Any = None  # writes those columns' text where needed (load_frame)
        self._text_rows = 0  # rows of those columns whose text is staged
        self._frame: pa.Table | None = None
        self._csv: dict[str, Any] | None = None
        self._parallel = True
        self._strict = False
        # DuckDB sizes its read buffers from the longest record it must allow; 128 MB buffers
        # make a 70 MB file ~0.5 s slower to read. Ingest has refused files with lines over
        # max_line_chars before this, so 4 MB is enough unless a quoted field spans many
        # lines; _run() retries with 128 MB when DuckDB says a record is longer.
        self._max_line_bytes = _MAX_LINE_BYTES[0]
        self._first_record: list[tuple[Any, ...]] | None = None
        self._head_rows = 0  # records of a CSV kept in _head (see load_csv)
        self._head: pa.Table | None = None
        self._before_long_records: Callable[[], None] | None = None  # see load_csv

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            if self._opening is None:
                raise RuntimeError("the staging database is closed")
            opening, self._opening = self._opening, None
            self._connection = opening.result()
        return self._connection

    def close(self) -> None:
        """Drop everything staged (waits for a connection still opening or closing)."""
        if self._opening is not None:
            opening, self._opening = self._opening, None
            try:
                self._connection = opening.result()
            except Exception:
                self._connection = None  # it never opened: nothing to close
        if self._closing is not None:
            # First: the thread may still be using the connection (see coerce). An error of
            # its duplicate count is the count's (n_duplicates raises it), not the close's.
            closing, self._closing = self._closing, None
            closing.wait()
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()

    def __enter__(self) -> IngestStaging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sources
    def load_csv(
        self,
        path: Path,
        *,
        delimiter: str,
        n_columns: int,
        skip_lines: int,
        head_rows: int = 1,
        before_long_records: Callable[[], None] | None = None,
    ) -> None:
        """Use the UTF-8 CSV at ``path`` as source (every field text); CsvReadError if unreadable.

        Blank lines are skipped by DuckDB (ingest counts them itself); short rows are padded
        with NULL. ``n_columns`` must exceed the header's width by one, so a row with extra
        fields shows up in the last column (ingest rejects it) instead of being cut silently.
        ``head_rows``: the first records read now and kept (the header, and where ingest asks
        for it the profile's sample: :meth:`profile` then reads no file, which saves planning
        and starting a second read of it). ``before_long_records()`` runs before any read is
        retried with room for records over 4 MB (128 MB buffers, which cost time and memory);
        raising there refuses the file instead (ingest checks its lines' lengths there).
        """
        self._csv = {"path": Path(path).resolve(), "delimiter": delimiter, "skip": int(skip_lines)}
        self._before_long_records = before_long_records
        self._numbers, self._dates, self._native_text, self._frame = [], [], None, None
        self.n_columns = n_columns
        self._parallel = True
        self._strict = n_columns > 1
        self._first_record = None
        self._head_rows = 0
        self._head = None
        if head_rows > 1:
            # The same statement the profile ran on the file (a LIMIT over the same reader,
            # with the same retries), kept in file order, from which it now takes its sample.
            # Kept in Arrow rather than a temporary table: writing 10,000 records into DuckDB's
            # storage costs ~0.01 s, and again for the profile's copy of them.
            columns = ", ".join(_staging_column(i) for i in range(self.n_columns))
            self._head = self._run(
                lambda source: f"SELECT {columns} FROM {source} LIMIT {int(head_rows)}",
                fetch="arrow",
                first_records=True,
            )
            self._head_rows = int(head_rows)
            first = self._head.slice(0, 1).to_pylist()
            self._first_record = [tuple(row[_staging_column(i)] for i in range(self.n_columns)) for row in first]
            return
        # Read once here (it proves the file splits into rows) and kept: ingest asks for it next.
        self._first_record = self.head(1)

    def load_frame(
        self,
        frame: pd.DataFrame | pa.Table,
        numbers: dict[int, pa.Array] | None = None,
        dates: dict[int, pa.Array] | None = None,
        native_text: Any = None,
        text_rows: int = 0,
    ) -> None:
        """Use a frame (or Arrow table) of text columns (renamed ``c0..``) as source.

        Arrow tables only: ``numbers`` holds per column the float64 values its text parses to
        as a number with decimal mark ``.`` (Excel's numbers), ``dates`` the ``timestamp[s]``
        values its text parses to as ``%Y-%m-%d %H:%M:%S``. Those columns' text is not in the
        frame: ``native_text(index, rows)`` writes it (rows None: all), and it is staged for the
        first ``text_rows`` rows (what :meth:`profile` reads), for every row only where the
        plan does not take the values themselves, and for rejected rows (see :meth:`coerce`).
        """
        self._numbers = sorted(numbers or {})
        self._dates = sorted(dates or {})
        self._native_text = native_text
        self._text_rows = int(text_rows)
        self._frame = None
        if isinstance(frame, pa.Table):
            if (self._numbers or self._dates) and native_text is None:
                raise ValueError("numbers and dates are only taken with native_text")
            staged: pd.DataFrame | pa.Table = frame.rename_columns([_staging_column(i) for i in range(frame.num_columns)])
            n_rows = frame.num_rows
            head = np.arange(min(self._text_rows, n_rows), dtype=np.int64)
            for index in [*self._numbers, *self._dates]:
                text = pa.chunked_array(
                    [native_text(index, head), pa.nulls(n_rows - len(head), pa.large_string())], pa.large_string()
                )
                staged = staged.set_column(index, _staging_column(index), text)
            for index in self._numbers:
                staged = staged.append_column(_native_column(index), (numbers or {})[index])
            for index in self._dates:
                staged = staged.append_column(_date_column(index), (dates or {})[index])
            n_columns = frame.num_columns
            self._frame = staged
        else:
            if self._numbers or self._dates:
                raise ValueError("numbers are only taken beside an Arrow table")
            staged = frame.copy()
            staged.columns = [_staging_column(i) for i in range(staged.shape[1])]
            n_columns = staged.shape[1]
        self._con.register("incoming_frame", staged)
        self._csv = None
        self._first_record = None
        self.n_columns = n_columns

    def _stage_all_text(self, columns: list[int]) -> None:
        """Stage the text of every row of these columns of numbers or dates (see load_frame)."""
        columns = [i for i in columns if i in self._numbers or i in self._dates]
        if not columns or self._frame is None:
            return
        for index in columns:
            self._frame = self._frame.set_column(index, _staging_column(index), self._native_text(index, None))
        self._text_rows = self._frame.num_rows
        self._con.unregister("incoming_frame")
        self._con.register("incoming_frame", self._frame)

    def _source(self, *, small_buffer: bool = False) -> str:
        """The staged source as SQL; ``small_buffer``: read the CSV in buffers of the longest
        record allowed rather than DuckDB's default (32 MB), for statements that stop after the
        first records (see _run)."""
        if self._csv is None:
            casts = ", ".join(
                [f"CAST({_staging_column(i)} AS VARCHAR) AS {_staging_column(i)}" for i in range(self.n_columns)]
                + [f"CAST({_native_column(i)} AS DOUBLE) AS {_native_column(i)}" for i in self._numbers]
                + [f"CAST({_date_column(i)} AS TIMESTAMP) AS {_date_column(i)}" for i in self._dates]
            )
            return f"(SELECT {casts} FROM incoming_frame)"
        path, delimiter = _sql_text(str(self._csv["path"])), _sql_text(self._csv["delimiter"])
        common = (
            f"header = false, auto_detect = false, delim = {delimiter}, quote = '\"', escape = '\"', "
            f"max_line_size = {self._max_line_bytes}, skip = {self._csv['skip']}, encoding = 'utf-8'"
            + self._buffer_option(small_buffer)
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

    def _buffer_option(self, small_buffer: bool = False) -> str:
        """``read_csv``'s buffer size as an option: the longest record allowed for a statement
        that stops after the first records, twice that for a whole-file scan.

        Notes
        -----
        The reader shares a scan out between threads by buffer. With its default for 4 MB
        records (32 MB or more) a 70 MB file makes a few pieces and one of the two threads
        idles at the end: the typed scan of 1M rows takes ~0.45 s, ~0.40 s with 8 MB buffers.
        After a retry for longer records (128 MB) the reader's default is kept.
        """
        if small_buffer:
            return f", buffer_size = {self._max_line_bytes}"
        if self._max_line_bytes > _MAX_LINE_BYTES[0]:
            return ""
        return f", buffer_size = {2 * self._max_line_bytes}"

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
        if len(decimals) > 1 or len(date_formats) > 1 or rules.COMPACT_DATE_FORMAT in date_formats:
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
            f"max_line_size = {self._max_line_bytes}{self._buffer_option()}",
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

    def _run(self, build: Any, fetch: str = "all", first_records: bool = False) -> Any:
        """Run ``build(source_sql)``; on a CSV error retry with the padding reader, then with
        the serial one; CsvReadError when all fail.

        ``first_records``: the statement reads only the first records (a LIMIT), so it first
        runs over small read buffers, which saves filling DuckDB's default 32 MB buffers from a
        large file (~25 ms for one record, ~50 ms for the profile's sample). Should that fail
        in any way, it runs again exactly as without the flag, so what happens on an error
        (the retries, the sentence) is decided by the usual reader.
        """
        if first_records and self._csv is not None:
            try:
                if fetch == "arrow":
                    return self._con.sql(build(self._source(small_buffer=True))).to_arrow_table()
                return self._con.execute(build(self._source(small_buffer=True))).fetchall()
            except duckdb.Error:
                pass
        while True:
            try:
                if fetch == "arrow":
                    return self._con.sql(build(self._source())).to_arrow_table(batch_size=_ARROW_BATCH_ROWS)
                return self._con.execute(build(self._source())).fetchall()
            except duckdb.Error as exc:
                if self._csv is not None and "Maximum line size" in str(exc) and self._max_line_bytes < _MAX_LINE_BYTES[1]:
                    if self._before_long_records is not None:
                        self._before_long_records()  # may refuse the file before the costly retry
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
        columns = ", ".join(_staging_column(i) for i in range(self.n_columns)) or "*"
        return self._run(lambda source: f"SELECT {columns} FROM {source} LIMIT {int(n)}", first_records=True)

    # ---------------------------------------------------------------- profiling
    def profile(self, columns: list[int], first_row: int, sample_rows: int) -> pd.DataFrame:
        """How many cells of each column parse as numbers / dates, in the first data records.

        Uses records ``first_row .. first_row + sample_rows`` (reading stops there). Returns
        one row per column index with ``nonempty``, ``num_comma``, ``num_dot``,
        ``vote_comma``, ``vote_dot``, ``leading_zero``, ``integers``, ``th_*`` and
        ``date:<format>`` counts.
        """
        if first_row + sample_rows > self._text_rows:
            self._stage_all_text([*self._numbers, *self._dates])
        registered = self._csv is not None and self._head is not None and first_row + sample_rows <= self._head_rows
        if registered:
            assert self._head is not None
            self._con.register("profile_sample", self._head.slice(first_row, sample_rows))
        else:
            self._run(
                lambda source: "CREATE OR REPLACE TEMP TABLE profile_sample AS "
                f"SELECT * FROM {source} LIMIT {int(sample_rows)} OFFSET {int(first_row)}",
                first_records=True,
            )
        # Every measure is evaluated once per distinct (column, value) and weighted by how
        # often the value occurs: the same counts as cell by cell, but repeated values
        # (names, regions, dates, products) cost one regex/strptime evaluation instead of
        # thousands. count(x) becomes sum(n) over the values where x is not NULL.
        measures = {
            "nonempty": "t <> ''",
            "num_comma": f"({_parse_number_sql('s', ',')}) IS NOT NULL",
            "num_dot": f"({_parse_number_sql('s', '.')}) IS NOT NULL",
            "vote_comma": f"regexp_full_match(v, {_sql_text(rules.VOTE_COMMA)})",
            "vote_dot": f"regexp_full_match(v, {_sql_text(rules.VOTE_DOT)})",
            "leading_zero": "regexp_full_match(v, '0[0-9]+')",
            "integers": "regexp_full_match(v, '[+-]?[0-9]+')",
        }
        for mark, pattern in rules.THOUSANDS_PATTERNS.items():
            measures[mark] = f"regexp_matches(t, {_sql_text(pattern)})"
        for date_format, _shape in rules.DATE_FORMATS:
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
        if registered:
            self._con.unregister("profile_sample")
        else:
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
        then_close: bool = False,
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

        ``then_close``: nothing more will be read from staging. A CSV's duplicate rows are
        then counted on another thread, which closes the connection after (a numpy sort
        and freeing DuckDB's memory, both without the GIL, while ingest builds its report);
        ``n_duplicates`` of the result waits for the count, :meth:`close` for the thread.
        """
        native_numbers = {i for i in self._numbers if plans.get(i) == ("number", ".")}
        native_dates = {i for i in self._dates if plans.get(i) == _NATIVE_DATE_PLAN}
        # A column of numbers or dates typed otherwise (as text, say) is read from its text.
        self._stage_all_text([i for i in [*self._numbers, *self._dates] if i not in native_numbers | native_dates])
        scan = _ScanSql(plans, self.n_columns, overflow, native_numbers=native_numbers, native_dates=native_dates)
        table = self._typed_scan(scan, first_row, expected_records)
        typed = table is not None
        if table is None:
            table = self._run(lambda source: scan.text_scan(source, first_row), fetch="arrow")
        n_records = self._records_read(table, first_row)
        table = table.append_column("rid", pa.array(np.arange(first_row, first_row + table.num_rows, dtype=np.int64)))
        kept_with_hash, rejected, n_empty = _split_rows(table, scan, typed)
        if rejected.num_rows and scan.taken:
            # Their text is written for the rejected rows only (rid: the row of the frame).
            rids = rejected.column("rid").to_numpy()
            for index in sorted(scan.taken):
                name = f"raw_{_staging_column(index)}"
                position = rejected.schema.get_field_index(name)
                rejected = rejected.set_column(position, name, self._native_text(index, rids))
        nonempty = {
            i: table.num_rows - table.column(_staging_column(i)).null_count
            for i, (kind, _option) in plans.items()
            if kind == "text"
        }
        del table
        if then_close and self._csv is not None and self._closing is None:
            duplicates: Any = self._count_then_close(kept_with_hash, scan)
        else:
            duplicates = self._count_duplicates(kept_with_hash, scan)
        # Left in DuckDB's batches: pandas wraps chunked text as it is, and copying every text
        # column into one chunk costs more than the whole scan on a machine where fresh memory
        # is slow to touch.
        kept = kept_with_hash.select(["rid", *scan.value_columns])
        del kept_with_hash
        return CoercedRows(
            kept=kept.to_pandas(),
            rejected=rejected.to_pandas(),
            n_empty=n_empty,
            duplicates=duplicates,
            n_records=n_records,
            nonempty=nonempty,
            scan="typed" if typed else "text",
        )

    def _typed_scan(self, scan: _ScanSql, first_row: int, expected_records: int | None) -> pa.Table | None:
        """The typed scan's rows, or None when it may not run or its result cannot be trusted."""
        typed_source = self._typed_source(scan.plans) if first_row == 1 and self.typed_scan else None
        if typed_source is None:
            return None
        try:
            table = self._con.sql(scan.typed_scan(typed_source)).to_arrow_table(batch_size=_ARROW_BATCH_ROWS)
        except duckdb.Error:
            return None  # a value the reader refuses: the text scan decides what it is
        if pc.any(table.column("any_bad")).as_py():
            return None
        if first_row + table.num_rows != self._count_records(expected_records):
            # The reader can lose rows silently where the text reader stops with an error
            # (seen: title lines with LF above a CRLF table). Never keep such a result.
            return None
        return table

    def _count_then_close(self, kept_with_hash: pa.Table, scan: _ScanSql) -> _OnThread:
        """:meth:`_count_duplicates` on a thread that then closes the connection (see coerce)."""
        connection = self._con  # opened (and so owned) here, before the thread takes it

        def count_then_close() -> int:
            try:
                return self._count_duplicates(kept_with_hash, scan)
            finally:
                self._connection = None
                connection.close()

        self._closing = _OnThread(count_then_close)
        return self._closing

    def _count_duplicates(self, kept_with_hash: pa.Table, scan: _ScanSql) -> int:
        """Rows whose 64-bit hash of all typed values repeats; a false match needs a collision.

        Notes
        -----
        Sorting and comparing neighbours is ~50x faster than pc.count_distinct here. Where the
        scan hashed only the numbers and dates (``scan.key_columns``), a row whose key hash is
        unique has values no other row has, so only the rows whose key hash repeats are hashed
        again over all their values (on a transaction export: a handful of rows); where most
        rows repeat their key, every row is hashed again, which counts the same.
        """
        if not scan.value_columns or not kept_with_hash.num_rows:
            return 0
        keys = kept_with_hash.column("row_hash").to_numpy()
        ordered = np.sort(keys)
        repeats = ordered[1:] == ordered[:-1]
        if scan.key_columns == scan.value_columns:
            return int(np.count_nonzero(repeats))
        repeated = np.unique(ordered[1:][repeats])
        if not repeated.size:
            return 0
        values = kept_with_hash.select(scan.value_columns)
        if repeated.size < kept_with_hash.num_rows // 8:
            rows = np.flatnonzero(np.isin(keys, repeated))
            if rows.size < kept_with_hash.num_rows // 4:
                values = _take_rows(values, rows)
        self._con.register("duplicate_candidates", values)
        try:
            hashes = (
                self._con.sql(f"SELECT hash({', '.join(scan.value_columns)}) FROM duplicate_candidates")
                .to_arrow_table()
                .column(0)
                .to_numpy()
            )
        finally:
            self._con.unregister("duplicate_candidates")
        hashes = np.sort(hashes)
        return int(np.count_nonzero(hashes[1:] == hashes[:-1]))

    def _records_read(self, table: pa.Table, first_row: int) -> int:
        """Records read, header record(s) included."""
        if table.num_rows or not first_row:
            return first_row + table.num_rows
        return len(self.head(first_row))  # no data record: count the header record(s)


class _ScanSql:
    """The SQL of one :meth:`IngestStaging.coerce`, built once from the plans for both scans.

    Nested levels so each cell is trimmed, cleaned and parsed once: ``t_`` = text (NULL when
    blank; trimmed only when it has a leading/trailing space, which is cheaper than trimming
    every cell), ``s_`` = without spaces, ``f_`` = plain cast, ``p_`` = parsed.
    """

    def __init__(
        self,
        plans: dict[int, tuple[str, str | None]],
        n_columns: int,
        overflow: list[int],
        native_numbers: set[int] | None = None,
        native_dates: set[int] | None = None,
    ) -> None:
        self.plans = plans
        # Columns planned as numbers with decimal '.' whose numbers the source holds already,
        # and as '%Y-%m-%d %H:%M:%S' dates whose date-times it holds: their values are taken as
        # they are, their text is not read (the caller writes it for rejected rows).
        self.native = {i for i in native_numbers or set() if plans.get(i) == ("number", ".")}
        self.native_dates = {i for i in native_dates or set() if plans.get(i) == _NATIVE_DATE_PLAN}
        self.taken = self.native | self.native_dates
        self.n_columns = n_columns
        self.all_columns = [_staging_column(i) for i in range(n_columns)]
        self.value_columns = [_staging_column(i) for i in plans]
        # A text column's value is its trimmed text already; only the other columns need their
        # text beside the parsed value (for rejected rows, NULL elsewhere).
        self.text_columns = {_staging_column(i) for i, (kind, _option) in plans.items() if kind == "text"}
        self._plan_cells(overflow)
        self.bad_names = [item.rsplit(" AS ", 1)[1] for item in self.bad]
        self.empty = " AND ".join(self._is_null(i) for i in range(n_columns)) or "true"
        # The scans hash each row's numbers and dates only where the table also has text: no
        # text cell is hashed then (hashing every text cell is ~10 % of the typed scan), and
        # IngestStaging._count_duplicates hashes all values of the rows whose key repeats.
        others = [c for c in self.value_columns if c not in self.text_columns]
        self.key_columns = others if others and len(others) < len(self.value_columns) else self.value_columns
        self.row_hash = f"hash({', '.join(self.key_columns)})" if self.value_columns else "0"

    def _is_null(self, index: int) -> str:
        """Whether the cell of column ``index`` is empty."""
        if index in self.native:
            return f"{_native_column(index)} IS NULL"
        if index in self.native_dates:
            return f"{_date_column(index)} IS NULL"
        return f"t_{_staging_column(index)} IS NULL"

    def _plan_cells(self, overflow: list[int]) -> None:
        """Each planned column's steps (levels 2-4), its value and its bad flag."""
        self.level1 = ", ".join(
            [f"{_trimmed_text_sql(c)} AS t_{c}" for i, c in enumerate(self.all_columns) if i not in self.taken]
            + [_native_column(i) for i in sorted(self.native)]
            + [_date_column(i) for i in sorted(self.native_dates)]
        )
        self.level2: list[str] = []
        self.level3: list[str] = []
        self.level4: list[str] = []
        self.values: list[str] = []
        self.bad: list[str] = []
        for index, (kind, option) in self.plans.items():
            column = _staging_column(index)
            if index in self.native:
                # The number its text parses to (a cell with text always has a number): no parsing.
                self.values.append(f"{_native_column(index)} AS {column}")
                self.bad.append(f"false AS bad_{column}")
            elif index in self.native_dates:
                # The date-time its text parses to (years 1900 and later: no year check).
                self.values.append(f"{_date_column(index)} AS {column}")
                self.bad.append(f"false AS bad_{column}")
            elif kind == "number":
                self.level2.append(f"{_strip_spaces_sql(f't_{column}')} AS s_{column}")
                self.level3.append(f"{_fast_number_sql(f's_{column}', option or '.')} AS f_{column}")
                self.level4.append(
                    f"{_parse_number_sql(f's_{column}', option or '.', fast=f'f_{column}')} AS p_{column}"
                )
                self.values.append(f"p_{column} AS {column}")
                self.bad.append(f"(t_{column} IS NOT NULL AND p_{column} IS NULL) AS bad_{column}")
            elif kind == "date":
                date_format = option or rules.DEFAULT_DATE_FORMAT
                parse = f"TRY_STRPTIME(t_{column}, {_sql_text(date_format)})"
                if date_format == rules.COMPACT_DATE_FORMAT:
                    parse = f"CASE WHEN regexp_full_match(t_{column}, '[0-9]{{8}}') THEN {parse} END"
                self.level4.append(f"{parse} AS p_{column}")
                # strptime's %Y also takes a two-digit year ("01.02.26" -> year 26): refuse it.
                valid = f"year(p_{column}) >= 1000" if "%Y" in date_format else "true"
                self.values.append(f"CAST(CASE WHEN {valid} THEN p_{column} END AS TIMESTAMP) AS {column}")
                self.bad.append(f"(t_{column} IS NOT NULL AND NOT coalesce({valid}, false)) AS bad_{column}")
            else:
                self.values.append(f"t_{column} AS {column}")
        for index in overflow:
            column = _staging_column(index)
            self.bad.append(f"(t_{column} IS NOT NULL) AS bad_{column}")

    def text_scan(self, source: str, first_row: int) -> str:
        """Every cell as text through ingest's rules: values, bad flags, and text for bad rows."""
        any_bad = " OR ".join(self.bad_names) or "false"
        raw_text = [
            f"CAST(NULL AS VARCHAR) AS raw_{c}" if i in self.taken else f"CASE WHEN {any_bad} THEN t_{c} END AS raw_{c}"
            for i, c in enumerate(self.all_columns)
            if c not in self.text_columns
        ]
        texts = [f"t_{c}" for i, c in enumerate(self.all_columns) if i not in self.taken]
        sql = f"SELECT {self.level1} FROM {source}"
        for level in (self.level2, self.level3, self.level4):
            if level:
                sql = f"SELECT *, {', '.join(level)} FROM ({sql})"
        flags = [f"({self.empty}) AS is_empty", f"{self.row_hash} AS row_hash"]
        sql = f"SELECT {', '.join(self.values + self.bad + flags + texts)} FROM ({sql})"
        outer = [*self.value_columns, *self.bad_names, "is_empty", "row_hash"]
        # No ORDER BY: a projection over one scan keeps the source (= file) order, and so
        # does OFFSET under preserve_insertion_order. Dropping the header record(s) here
        # rather than slicing the Arrow result also makes DuckDB hand over whole batches.
        return f"SELECT {', '.join(outer + raw_text)} FROM ({sql}) OFFSET {int(first_row)}"

    def typed_scan(self, source: str) -> str:
        """Cells arrive typed: numbers and dates need only the checks the reader does not make
        (finite, four-digit year). One flag says whether any cell failed them; if so the file
        goes to the text scan, which also says which cells and why."""
        checks = []
        for index, (kind, option) in self.plans.items():
            column = _staging_column(index)
            if kind == "number":
                checks.append(f"NOT isfinite(t_{column})")
            elif kind == "date" and "%Y" in (option or rules.DEFAULT_DATE_FORMAT):
                checks.append(f"year(t_{column}) < 1000")
        width = self.n_columns - 1
        cleaned = []
        for i in range(width):
            c = _staging_column(i)
            if self.plans.get(i, ("text", None))[0] == "text":
                cleaned.append(f"{_trimmed_text_sql(c)} AS t_{c}")
            else:
                cleaned.append(f"{c} AS t_{c}")
        cleaned += [f"CAST(NULL AS VARCHAR) AS t_{_staging_column(i)}" for i in range(width, self.n_columns)]
        outer = [f"t_{c} AS {c}" for c in self.value_columns] + [
            f"coalesce({' OR '.join(checks) or 'false'}, false) AS any_bad",
            f"({self.empty}) AS is_empty",
            f"{self.row_hash} AS row_hash",
        ]
        return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(cleaned)} FROM {source})"


def _take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """``table.take(rows)`` for increasing ``rows``, batch by batch: a take over the whole
    chunked table first joins every chunk (a copy of each text column) to pick a few rows."""
    parts = []
    start = 0
    for batch in table.to_batches():
        stop = start + batch.num_rows
        lo, hi = np.searchsorted(rows, [start, stop])
        if hi > lo:
            parts.append(batch.take(pa.array(rows[lo:hi] - start)))
        start = stop
    return pa.Table.from_batches(parts, schema=table.schema)


def _split_rows(table: pa.Table, scan: _ScanSql, typed: bool) -> tuple[pa.Table, pa.Table, int]:
    """Kept rows (with their row hash), rejected rows and the number of empty records."""
    rejected_names = ["rid", *[f"raw_{c}" for c in scan.all_columns], *scan.bad_names]
    is_empty = pc.fill_null(table.column("is_empty"), False)
    n_empty = int(pc.sum(is_empty).as_py() or 0)
    if typed:
        # Nothing failed a check (else the text scan ran): no rejected rows.
        kept_with_hash = table.filter(pc.invert(is_empty)) if n_empty else table
        rejected = pa.table(
            {"rid": pa.array([], pa.int64())}
            | {name: pa.array([], pa.large_string()) for name in rejected_names[1 : 1 + len(scan.all_columns)]}
            | {name: pa.array([], pa.bool_()) for name in scan.bad_names}
        )
        return kept_with_hash, rejected, n_empty
    any_bad = pa.array(np.zeros(table.num_rows, dtype=bool))
    for name in scan.bad_names:
        any_bad = pc.or_(any_bad, pc.fill_null(table.column(name), False))
    n_bad = int(pc.sum(any_bad).as_py() or 0)
    rejected_columns = [
        "rid",
        *[c if c in scan.text_columns else f"raw_{c}" for c in scan.all_columns],
        *scan.bad_names,
    ]
    if n_empty == 0 and n_bad == 0:
        # The common case: every record is kept, so skip copying the table through a filter.
        return table, table.slice(0, 0).select(rejected_columns).rename_columns(rejected_names), n_empty
    kept_with_hash = table.filter(pc.invert(pc.or_(is_empty, any_bad)))
    rejected = (
        table.filter(pc.and_(pc.invert(is_empty), any_bad)).select(rejected_columns).rename_columns(rejected_names)
    )
    return kept_with_hash, rejected, n_empty
