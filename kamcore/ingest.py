"""Load CSV/TXT/XLSX/XLS uploads into typed tables with a data-quality report.

Public API: :func:`load_file`, :func:`guess_mapping` and the result models. The format is
detected from the content, never from the file name: encoding (UTF-8 ± BOM, cp1252/latin-1,
UTF-16), delimiter (``,`` ``;`` tab ``|``), the header line (title and blank lines above it
are skipped and reported), decimal comma and thousands separators, currency text and date
formats. Nothing is dropped silently: every data row is kept, rejected (with its line number
and a reason naming the row and column) or counted as empty.

Parsing and typing run in DuckDB (:class:`kamcore.db_staging.IngestStaging`) so a million-row file
is handled by vectorised, multi-threaded code; Python only looks at a sample to decide.

Examples
--------
>>> from kamcore.ingest import load_file
>>> result = load_file(b"Kundenr;Omsetning\\n7;1 234,50\\n", filename="salg.csv")
>>> result.tables[0].data["Omsetning"].tolist()
[1234.5]
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kamcore.db_staging import CsvReadError, IngestStaging
from kamcore.errors import KamError
from kamcore.ingest_excel import (
    SERIAL_MAX,
    SERIAL_MIN,
    TYPE_MAJORITY,
    SheetCells,
    SheetColumns,
    binary_file,
    cell_text,
    check_ole,
    check_xlsx_zip,
    corrupt_workbook,
    excel_header_index,
    read_xls,
    read_xlsx,
    too_many_cells,
    too_many_columns,
)
from kamcore.ingest_mapping import MappingGuess, guess_mapping, is_date_header, is_id_header
from kamcore.ingest_question_rows import find_header_rows
from kamcore.ingest_rules import COMPACT_DATE_FORMAT, DATE_FORMATS
from kamcore.ingest_text import (
    SAMPLE_BYTES,
    WHITESPACE,
    LineBreaks,
    TextLayout,
    control_char_share,
    count_line_breaks,
    decode_text,
    detect_encoding,
    detect_layout,
    first_nul_line,
    line_bounds,
    record_lines,
    sniff_container,
    split_mixed_encoding,
    whitespace_to_tabs,
)

__all__ = [
    "DetectedFormat",
    "IngestSettings",
    "LoadResult",
    "MappingGuess",
    "ParsedTable",
    "QualityIssue",
    "QualityReport",
    "guess_mapping",
    "load_file",
]

#: Rows sampled to decide each column's type; every row is still parsed and checked.
PROFILE_SAMPLE_ROWS = 10_000
#: Rejected rows listed one by one in the issues (all of them are in ParsedTable.rejected).
MAX_ROW_ISSUES = 50
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_TEXT_SUFFIXES = (".xlsx", ".xlsm", ".xls")


# --------------------------------------------------------------------------- models
class IngestSettings(BaseModel):
    """Limits applied to every upload (also protects the server from hostile files)."""

    model_config = ConfigDict(frozen=True)

    max_file_mb: float = Field(default=200, gt=0)
    max_columns: int = Field(default=500, ge=1)
    max_line_chars: int = Field(default=100_000, ge=10)
    max_xlsx_uncompressed_mb: float = Field(default=500, gt=0)
    max_sheets: int = Field(default=50, ge=1)
    #: Cells a table may span (rows x columns, as read, including empty cells of a workbook's
    #: grid) and texts a workbook may hold: bounds the memory one upload can take (~60-100
    #: bytes a cell while it is typed, so 15M cells stay under ~1.5 GB).
    max_cells: int = Field(default=15_000_000, ge=1)


class DetectedFormat(BaseModel):
    """What ingest found out about the file's format."""

    file_type: Literal["csv", "xlsx", "xls"]
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    thousands: str | None = None
    header_row: int = 1  # 1-based line (CSV) or row (Excel) of the header
    date_format: str | None = None  # strptime format of the first date column
    sheet: str | None = None


class QualityIssue(BaseModel):
    """One finding of the quality report; the UI translates ``quality.<code>`` with ``params``."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Literal["info", "warning", "error"] = "info"
    row: int | None = None
    column: str | None = None


#: English sentence per issue code (the catalogue ui/locales/quality.json holds nb/sv too).
QUALITY_SENTENCES: dict[str, str] = {
    "mixed_encoding": "{n} line(s) were not UTF-8 like the rest of the file and were read as Windows-1252 (lines {lines}); check the names on those lines.",
    "rows_summary": "{rows_read} rows read: {rows_kept} kept, {rows_rejected} rejected, {empty_rows} empty rows skipped.",
    "header_not_first": "The header is on line {line}; the {n_skipped} line(s) above it were skipped.",
    "empty_rows": "{n} completely empty rows were skipped.",
    "rejected_not_a_number": "Row {row}, column '{column}': '{value}' is not a number.",
    "rejected_not_a_date": "Row {row}, column '{column}': '{value}' is not a date ({format}).",
    "rejected_too_many_fields": "Row {row} has more fields than the header has columns ({n_columns}).",
    "more_rejected": "{n} more rejected rows are listed in the table of rejected rows.",
    "duplicate_header": "Two columns are called '{first}'; the second was renamed '{new_name}'.",
    "duplicate_header_case": "The columns '{first}' and '{second}' differ only in upper/lower case; '{second}' was renamed '{new_name}'.",
    "empty_header": "Column {position} has no header; it was named '{new_name}'.",
    "empty_columns_dropped": "{n} empty column(s) without a header were dropped.",
    "column_number": "Column '{column}' was read as numbers (decimal mark '{decimal}').",
    "column_date": "Column '{column}' was read as dates ({format}).",
    "excel_serial_dates": "Column '{column}' held Excel date numbers; they were converted to dates.",
    "duplicate_rows": "{n} rows are exact copies of an earlier row; they were kept.",
    "negative_values": "Column '{column}' has {n} negative values; they were kept.",
    # the same finding once the column's role is known (the Data page words it by role)
    "negative_values_revenue": "Column '{column}' has {n} negative values (credit notes); they were kept and reduce the revenue.",
    "negative_values_profit": "Column '{column}' has {n} negative values (lines sold at a loss); they were kept.",
    "missing_values": "Column '{column}' has {n} empty cells.",
    "empty_sheets": "Sheets without data were skipped: {sheets}.",
    "header_rows_kept": "{n} row(s) under the header, from line {line}, are survey-tool header rows (question texts or markers), not data; {n_texts} question texts were kept.",
    # singular twins: taken instead where n is 1 (QualityReport.sentences, ui.i18n.translate)
    "mixed_encoding_one": "{n} line was not UTF-8 like the rest of the file and was read as Windows-1252 (line {lines}); check the names on that line.",
    "empty_rows_one": "{n} completely empty row was skipped.",
    "more_rejected_one": "{n} more rejected row is listed in the table of rejected rows.",
    "empty_columns_dropped_one": "{n} empty column without a header was dropped.",
    "duplicate_rows_one": "{n} row is an exact copy of an earlier row; it was kept.",
    "negative_values_one": "Column '{column}' has {n} negative value; it was kept.",
    "negative_values_revenue_one": "Column '{column}' has {n} negative value (a credit note); it was kept and reduces the revenue.",
    "negative_values_profit_one": "Column '{column}' has {n} negative value (a line sold at a loss); it was kept.",
    "missing_values_one": "Column '{column}' has {n} empty cell.",
    "header_rows_kept_one": "{n} row under the header, on line {line}, is a survey-tool header row (question texts or markers), not data; {n_texts} question texts were kept.",
}


class QualityReport(BaseModel):
    """Data-quality report of one parsed table; every row is accounted for.

    ``rows_read = rows_kept + rows_rejected + empty_rows``. ``renamed_columns`` maps the new
    (unique) column name to the header text in the file.
    """

    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    empty_rows: int = 0
    columns_coerced: dict[str, str] = Field(default_factory=dict)  # column -> "number" | "date"
    duplicate_rows: int = 0
    negative_values: dict[str, int] = Field(default_factory=dict)
    missing_values: dict[str, int] = Field(default_factory=dict)
    renamed_columns: dict[str, str] = Field(default_factory=dict)
    #: Survey exports: column -> question text from a row of texts under the header.
    question_texts: dict[str, str] = Field(default_factory=dict)
    issues: list[QualityIssue] = Field(default_factory=list)

    def sentences(self, lang_lookup: Callable[[str], str | None] | None = None) -> list[str]:
        """One sentence per issue (the singular where ``n`` is 1); ``lang_lookup(code)`` may
        supply a translated template."""
        result = []
        for issue in self.issues:
            code = issue.code
            if str(issue.params.get("n")) == "1" and f"{code}_one" in QUALITY_SENTENCES:
                code = f"{code}_one"
            template = (lang_lookup(code) if lang_lookup else None) or QUALITY_SENTENCES[code]
            result.append(template.format(**issue.params))
        return result


class ParsedTable(BaseModel):
    """One table of an upload: typed data, detected format, quality report and rejected rows."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    data: pd.DataFrame
    format: DetectedFormat
    quality: QualityReport
    rejected: pd.DataFrame


class LoadResult(BaseModel):
    """Everything read from one uploaded file."""

    filename: str
    tables: list[ParsedTable]
    issues: list[QualityIssue] = Field(default_factory=list)  # file-level (e.g. empty sheets)


# --------------------------------------------------------------------------- errors
def _error(code: str, message: str, **params: Any) -> KamError:
    return KamError(f"ingest.{code}", message, **params)


def _empty_file(filename: str) -> KamError:
    return _error("empty_file", "The file '{filename}' is empty.", filename=filename)


def _header_only(filename: str) -> KamError:
    return _error(
        "header_only",
        "The file '{filename}' has a header row but no data rows.",
        filename=filename,
    )


# --------------------------------------------------------------------------- entry point
def load_file(
    source: str | Path | bytes,
    filename: str | None = None,
    settings: IngestSettings | None = None,
) -> LoadResult:
    """Parse an uploaded CSV/TXT/XLSX/XLS file into typed tables with quality reports.

    Parameters
    ----------
    source : a path, or the file's bytes (e.g. from ``st.file_uploader(...).getvalue()``).
    filename : the name shown in messages and used for the table name (default: the path's
        name, or ``"upload"``).
    settings : size and shape limits (defaults: :class:`IngestSettings`).

    Returns
    -------
    LoadResult
        One :class:`ParsedTable` per CSV, or per non-empty Excel sheet.

    Notes
    -----
    Raises :class:`kamcore.errors.KamError` with a code from ``ui/locales/err_ingest.json``
    for files that cannot be used (empty, header only, binary, damaged or encrypted
    workbook, zip or XML bomb, over a size/shape limit). Never leaves a temporary file.
    """
    settings = settings or IngestSettings()
    path: Path | None = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        data: bytes | None = bytes(source)
        size = len(data)
        filename = filename or "upload"
    else:
        path = Path(source)
        filename = filename or path.name
        if not path.is_file():
            raise _error("not_found", "The file '{filename}' was not found.", filename=filename)
        size = path.stat().st_size
        data = None
    if size > settings.max_file_mb * 1024 * 1024:
        raise _error(
            "file_too_large",
            "The file '{filename}' is {size_mb} MB; the limit is {limit_mb} MB.",
            filename=filename,
            size_mb=f"{size / 1024 / 1024:.1f}",
            limit_mb=f"{settings.max_file_mb:g}",
        )
    if size == 0:
        raise _empty_file(filename)
    if data is None:
        assert path is not None
        data = path.read_bytes()
    container = sniff_container(data[:SAMPLE_BYTES])
    looks_like_workbook = filename.lower().endswith(_TEXT_SUFFIXES)
    if container == "zip":
        check_xlsx_zip(data, filename, settings.max_xlsx_uncompressed_mb)
        sheets = read_xlsx(data, filename, settings.max_sheets, settings.max_columns, settings.max_cells)
        return _tables_from_sheets(sheets, filename, "xlsx", settings)
    if container == "ole":
        check_ole(data, filename)
        sheets = read_xls(data, filename, settings.max_sheets, settings.max_columns)
        return _tables_from_sheets(sheets, filename, "xls", settings)
    if container.startswith("binary:"):
        if looks_like_workbook:
            raise corrupt_workbook(filename)
        raise binary_file(filename, container.split(":", 1)[1])
    table = _load_text(data, path, filename, settings)
    return LoadResult(filename=filename, tables=[table])


# --------------------------------------------------------------------------- CSV / text
def _load_text(data: bytes, path: Path | None, filename: str, settings: IngestSettings) -> ParsedTable:
    """A CSV/TXT upload: decode, count, check, find the layout, stage and type, report.

    The line bounds are found on another thread (see _TextFile.find_lines_soon) while the
    layout is detected and staging reads the header and the profile's sample; the longest
    line is checked once they are in, before the typed scan (and before any later refusal is
    raised, so the sentences come in the same order as when it was checked first).
    The staging database opens on another thread meanwhile (see IngestStaging), allowed to
    read the file DuckDB will most likely be given: the upload's own path, else the copy
    written to the temporary folder. Should the text be rewritten after all (a path whose
    text changes), that connection is closed and one for the copy opened. An upload that
    arrives as bytes (every upload of the app) is written to the copy on another thread too,
    once its size in cells is accepted, while its lines are found and checked; should its
    text change after that, it is written again.
    """
    with tempfile.TemporaryDirectory(prefix="kam_ingest_") as tmp:
        copy = Path(tmp) / "upload.csv"
        staging = IngestStaging(readable_file=path if path is not None else copy, background=True)
        text: _TextFile | None = None
        try:
            text = _TextFile.decode(data, filename)
            breaks = count_line_breaks(text.utf8)
            n_lines = _check_cells(text.utf8, filename, settings, n_breaks=breaks.lf)
            if path is None or text.rewritten:
                text.write_soon(copy)  # after the cheap refusals: a refused upload writes nothing
            text.find_lines_soon(breaks)
            sample = _checked_sample(text, filename)
            try:
                layout, delimiter_found = _text_layout(text, sample, filename)
                header_rows = text.drop_header_rows(sample, layout)
                _check_text_size(layout, n_lines, filename, settings)
                csv_path = path if path is not None and not text.rewritten else text.write(copy)
                if csv_path != staging.readable_file:
                    staging.close()
                    staging = IngestStaging(readable_file=csv_path)
                table = _type_text(text, csv_path, staging, layout, delimiter_found, header_rows, filename, settings)
            except KamError:
                # The line lengths are checked once the lines are found, which may be after a
                # later check failed: a line too long is still what the user is told first.
                _check_line_lengths(text, filename, settings)
                raise
        finally:
            if text is not None:
                text.settle()  # no write may outlive the temporary folder
            staging.close()
    _warn_mixed_encoding(table, text.fallback_lines)
    return _with_question_texts(table, header_rows, layout.header)


class _TextFile:
    """A text upload as UTF-8 bytes with its line bounds, and whether it differs from the file."""

    def __init__(self, utf8: bytes, encoding: str, bom: int, fallback_lines: list[int]) -> None:
        self.utf8 = utf8
        self.encoding = encoding
        self.bom = bom
        self.fallback_lines = fallback_lines
        # DuckDB reads UTF-8 with or without BOM itself; anything else gets a UTF-8 copy.
        self.rewritten = encoding not in ("utf-8", "utf-8-sig")
        none = np.zeros(0, dtype=np.int64)
        self._facts = _LineFacts(starts=none, ends=none, blank=none, longest=-1, last_quote=-1)
        self._finding: _LinesOnThread | None = None  # see find_lines_soon()
        self._writing: _Writing | None = None  # see write_soon()

    @classmethod
    def decode(cls, data: bytes, filename: str) -> _TextFile:
        """The upload in UTF-8 (each line in its own encoding if mixed); refuses a NUL byte."""
        encoding = detect_encoding(data)
        # A UTF-8 BOM stays in place (DuckDB skips it; slicing it off would copy the whole file):
        # it is a prefix of the first line only, and is cut from the text sample.
        bom = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
        mixed = split_mixed_encoding(data) if encoding in ("cp1252", "latin-1") else None
        fallback_lines: list[int] = []
        if encoding in ("utf-8", "utf-8-sig"):
            utf8 = data
        elif mixed is not None:
            # UTF-8 with some lines from a Windows program: each line in its own encoding.
            utf8, fallback_lines = mixed
            encoding = "utf-8+cp1252"
        else:
            utf8 = decode_text(data, encoding).encode("utf-8")
        nul_line = first_nul_line(utf8)
        if nul_line is not None:
            raise _error(
                "nul_character",
                "Line {line} of '{filename}' contains a NUL character (a zero byte), which a text table cannot hold; the file may be damaged. Export it again and upload the new file.",
                line=nul_line,
                filename=filename,
            )
        return cls(utf8, encoding, bom, fallback_lines)

    @property
    def lines(self) -> _LineFacts:
        """The text's line bounds and what follows from them (waits for find_lines_soon())."""
        if self._finding is not None:
            finding, self._finding = self._finding, None
            self._facts = finding.result()
        return self._facts

    @property
    def starts(self) -> np.ndarray:
        """Where each physical line starts (waits for find_lines_soon())."""
        return self.lines.starts

    @property
    def ends(self) -> np.ndarray:
        """Where each physical line ends, its line break excluded (waits for find_lines_soon())."""
        return self.lines.ends

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return self.starts, self.ends

    def _use_lines(self, starts: np.ndarray, ends: np.ndarray) -> None:
        _ = self.lines  # a search still running is for the text before: wait for it, then drop it
        self._facts = _line_facts(self.utf8, starts, ends)

    def replace(self, utf8: bytes) -> None:
        """Use the rewritten ``utf8`` (same lines) from now on."""
        self.utf8 = utf8
        self.rewritten = True
        self._use_lines(*_text_line_bounds(utf8, self.bom))

    def find_lines_soon(self, breaks: LineBreaks) -> None:
        """Begin finding the line bounds on another thread (after the size check: a refused
        file costs no per-line work); :attr:`starts` and :attr:`ends` wait for them.

        ``breaks``: the text's line-break counts. A text with a lone CR is rewritten here first:
        DuckDB loses the first field after a lone CR in a file that also uses LF, and one
        line-break style avoids that (the line count, and so every line number, is kept).

        Notes
        -----
        The search is numpy over 1 MB slices (~0.045 s on 74 MB), which releases the GIL, so it
        runs beside the layout detection and staging's first reads instead of before them.
        """
        if breaks.lone_cr:
            self.replace(self.utf8.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            return
        _ = self.lines
        self._finding = _LinesOnThread(self.utf8, self.bom, breaks.lf)

    def drop_header_rows(self, sample: str, layout: TextLayout) -> _DroppedHeaderRows:
        """Blank the survey tools' extra header rows (see :func:`_drop_header_rows`); the line
        bounds are waited for only where there are such rows."""
        dropped = _drop_header_rows(self.utf8, self.bom, sample, layout, self._bounds)
        if dropped is None:
            return _DroppedHeaderRows()
        utf8, starts, ends, header_rows = dropped
        self.utf8 = utf8
        self._use_lines(starts, ends)
        self.rewritten = True
        return header_rows

    def write_soon(self, path: Path) -> None:
        """Begin writing the text as it is now to ``path`` on another thread (see write())."""
        self.settle()
        self._writing = _Writing(path, self.utf8)

    def settle(self) -> None:
        """Wait for a write begun by write_soon() (its error, if any, is write()'s to raise)
        and for a line search begun by find_lines_soon()."""
        if self._writing is not None:
            self._writing.thread.join()
        if self._finding is not None:
            self._finding.thread.join()

    def write(self, path: Path) -> Path:
        """The text at ``path``: written now, unless write_soon() wrote this very text there."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.thread.join()
            if writing.path == path and writing.data is self.utf8:
                if writing.error is not None:
                    raise writing.error
                return path
        path.write_bytes(self.utf8)
        return path


@dataclasses.dataclass(frozen=True)
class _LineFacts:
    """A text's physical lines: where each starts and ends, which are blank, the longest, and
    where its last quotation mark is (-1: none)."""

    starts: np.ndarray
    ends: np.ndarray
    blank: np.ndarray  # indices of the lines without a character, increasing
    longest: int  # index of the first longest line (-1: no line)
    last_quote: int


def _line_facts(utf8: bytes, starts: np.ndarray, ends: np.ndarray) -> _LineFacts:
    """:class:`_LineFacts` of ``utf8`` with the line bounds ``starts`` and ``ends``."""
    lengths = ends - starts
    return _LineFacts(
        starts=starts,
        ends=ends,
        blank=np.flatnonzero(lengths == 0),
        longest=int(np.argmax(lengths)) if lengths.size else -1,
        last_quote=utf8.rfind(b'"'),
    )


class _LinesOnThread:
    """:class:`_LineFacts` of a text, found on its own thread; :meth:`result` waits."""

    def __init__(self, utf8: bytes, bom: int, n_breaks: int) -> None:
        self._args = (utf8, bom, n_breaks)
        self._facts: _LineFacts | None = None
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="kam-ingest-lines", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            utf8, bom, n_breaks = self._args
            self._facts = _line_facts(utf8, *_text_line_bounds(utf8, bom, n_breaks))
        except BaseException as exc:  # raised by result(), on the thread that needs the lines
            self._error = exc

    def result(self) -> _LineFacts:
        self.thread.join()
        if self._error is not None:
            raise self._error
        assert self._facts is not None
        return self._facts


class _Writing:
    """``data`` being written to ``path`` on its own thread (file I/O runs without the GIL)."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path, self.data = path, data
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="kam-ingest-write", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.path.write_bytes(self.data)
        except BaseException as exc:  # raised by _TextFile.write(), where the file is needed
            self.error = exc


def _checked_sample(text: _TextFile, filename: str) -> str:
    """The text sample; refuses an empty or binary file."""
    utf8, bom = text.utf8, text.bom
    sample = utf8[bom : bom + SAMPLE_BYTES].decode("utf-8", errors="ignore")
    if not sample.strip() and not utf8[bom:].strip():
        raise _empty_file(filename)
    if control_char_share(sample) > 0.01:
        raise binary_file(filename, "binary")
    return sample


def _check_line_lengths(text: _TextFile, filename: str, settings: IngestSettings) -> None:
    """Refuse a line over ``max_line_chars`` (the first of the longest, numbered from 1)."""
    lines = text.lines
    if lines.longest < 0:
        return
    start, end = int(lines.starts[lines.longest]), int(lines.ends[lines.longest])
    line_no, n_chars = lines.longest + 1, len(text.utf8[start:end].decode("utf-8", errors="replace"))
    if n_chars > settings.max_line_chars:
        raise _error(
            "line_too_long",
            "Line {line} of '{filename}' is {n_chars} characters long; the limit is {limit}.",
            line=line_no,
            filename=filename,
            n_chars=n_chars,
            limit=settings.max_line_chars,
        )


def _text_layout(text: _TextFile, sample: str, filename: str) -> tuple[TextLayout, str]:
    """Delimiter, header line and header (a whitespace-aligned table becomes tab-separated),
    and the delimiter as found (for the report)."""
    layout = detect_layout(sample, complete=len(text.utf8) - text.bom <= SAMPLE_BYTES)
    if not layout.header:
        raise _empty_file(filename)
    delimiter_found = layout.delimiter
    if layout.delimiter == WHITESPACE:
        # Columns aligned with spaces: one tab per gap makes it a tab-separated file with the
        # same lines (so line numbers in the report still point into the user's file).
        text.replace(whitespace_to_tabs(text.utf8))
        layout = TextLayout(delimiter="\t", header_line=layout.header_line, header=layout.header)
    return layout, delimiter_found


def _check_text_size(layout: TextLayout, n_lines: int, filename: str, settings: IngestSettings) -> None:
    header_width = _trimmed_width(layout.header)
    if header_width > settings.max_columns:
        raise too_many_columns(filename, header_width, settings.max_columns)
    if n_lines * max(1, len(layout.header)) > settings.max_cells:
        raise too_many_cells(filename, n_lines, max(1, len(layout.header)), settings.max_cells)


def _type_text(
    text: _TextFile,
    csv_path: Path,
    staging: IngestStaging,
    layout: TextLayout,
    delimiter_found: str,
    header_rows: _DroppedHeaderRows,
    filename: str,
    settings: IngestSettings,
) -> ParsedTable:
    """Stage the CSV at ``csv_path`` in ``staging`` (allowed to read it) and type it (see
    :func:`_type_table`); the caller closes ``staging``."""
    # One column more than the header: a row with extra fields fills it and is rejected.
    n_columns = min(len(layout.header), settings.max_columns) + 1
    try:
        staging.load_csv(
            csv_path,
            delimiter=layout.delimiter,
            n_columns=n_columns,
            skip_lines=layout.header_line,
            head_rows=1 + PROFILE_SAMPLE_ROWS,  # the header and the profile's sample (first_row 1)
            # A line too long is refused before DuckDB retries with 128 MB buffers to read it.
            before_long_records=lambda: _check_line_lengths(text, filename, settings),
        )
    except CsvReadError as exc:
        raise _unreadable_text(filename) from exc
    header_record = [v if v is not None else "" for v in staging.head(1)[0]][: len(layout.header)]
    records = _TextRecords(text, layout, filename, settings)
    return _type_table(
        staging,
        header=header_record,
        first_row=1,
        name=Path(filename).stem or filename,
        filename=filename,
        fmt=DetectedFormat(
            file_type="csv",
            encoding=text.encoding,
            delimiter=delimiter_found,
            header_row=layout.header_line + 1,
        ),
        settings=settings,
        source_rows=records.source_rows,
        extra_empty=lambda: records.blank_lines - header_rows.n_lines,
        header_line_skipped=layout.header_line,
        forced_decimal={},
        default_decimal="," if layout.delimiter == ";" else ".",
        serial_dates=[],
        check_records=records.check,
        expected_records=records.expected,
    )


def _unreadable_text(filename: str) -> KamError:
    return _error(
        "unreadable_text",
        "The file '{filename}' could not be split into rows and columns; check that it is a CSV or text table.",
        filename=filename,
    )


class _TextRecords:
    """What Python knows of a text file's records: lines, blank lines, quotes; where a record is.

    Taken from the line bounds when first asked for (:meth:`expected`, before the typed scan),
    so staging's first reads run while the bounds are still being found.
    """

    def __init__(self, text: _TextFile, layout: TextLayout, filename: str, settings: IngestSettings) -> None:
        self.text, self.layout, self.filename, self.settings = text, layout, filename, settings

    @functools.cached_property
    def blank_lines(self) -> int:
        """Blank lines below the header."""
        blank = self.text.lines.blank
        return int(blank.size - np.searchsorted(blank, self.layout.header_line, side="right"))

    @functools.cached_property
    def has_quotes(self) -> bool:
        """A quotation mark from the header on."""
        return self.text.lines.last_quote >= self._header_start

    @functools.cached_property
    def n_lines(self) -> int:
        return int(self.text.starts.size) - self.layout.header_line

    @functools.cached_property
    def odd_quotes(self) -> bool:
        return self.has_quotes and self.text.utf8.count(b'"', self._header_start) % 2 == 1

    @property
    def _header_start(self) -> int:
        starts = self.text.starts
        return int(starts[self.layout.header_line]) if starts.size else 0

    def expected(self) -> int | None:
        """Refuse a line over the limit, then: the records (header included) a CSV without
        quotes must give, one per non-blank line; None where quotes may join lines."""
        _check_line_lengths(self.text, self.filename, self.settings)
        return None if self.has_quotes else self.n_lines - self.blank_lines

    def check(self, n_records: int) -> None:
        """Refuse a record count that cannot be right for this file."""
        expected = self.n_lines - self.blank_lines
        if not self.has_quotes and n_records != expected:
            # Without quotes every non-blank line is one record; a mismatch means the
            # reader lost or invented rows, which must never pass silently.
            raise _unreadable_text(self.filename)
        if self.odd_quotes and n_records < expected:
            # An opening quote that is never closed swallows the lines after it into
            # one cell; paired quotes ("" escapes included) keep the count even.
            raise _error(
                "unbalanced_quotes",
                "The file '{filename}' has a quotation mark (\") that is never closed, so the rows after it cannot be told apart. Fix the quote in the file and upload it again.",
                filename=self.filename,
            )

    def source_rows(self, record_numbers: np.ndarray) -> np.ndarray:
        text = self.text
        return _csv_source_rows(record_numbers, text.utf8, text.starts, text.ends, self.layout, self.has_quotes)


def _warn_mixed_encoding(table: ParsedTable, fallback_lines: list[int]) -> None:
    if fallback_lines:
        shown = ", ".join(str(line) for line in fallback_lines[:10]) + (" …" if len(fallback_lines) > 10 else "")
        table.quality.issues.append(QualityIssue(
            code="mixed_encoding", severity="warning", params={"n": len(fallback_lines), "lines": shown},
        ))


class _DroppedHeaderRows(BaseModel):
    n_lines: int = 0  # lines blanked (kept as empty lines, so line numbers still point into the file)
    first_line: int = 0  # 1-based
    n_records: int = 0
    question_texts: list[str] = Field(default_factory=list)


def _drop_header_rows(
    utf8: bytes,
    bom: int,
    sample: str,
    layout: TextLayout,
    line_bounds: Callable[[], tuple[np.ndarray, np.ndarray]],
) -> tuple[bytes, np.ndarray, np.ndarray, _DroppedHeaderRows] | None:
    """Blank the survey tools' extra header rows (question texts, ImportIds, markers) before typing.

    ``line_bounds()`` gives the text's line starts and ends (asked for only where there are
    such rows). Returns the rewritten text, its line bounds and what was blanked, or None
    where the sample shows no such rows.
    """
    below = [(line, fields) for line, fields in _sample_records(sample, layout.delimiter) if line > layout.header_line]
    records = [fields for _line, fields in below]
    lines = [line for line, _fields in below]
    found = find_header_rows([str(h) for h in layout.header], [r for r in records if any(c.strip() for c in r)][:200])
    if not found.n_records:
        return None
    starts, ends = line_bounds()
    nonblank = [line for line, r in zip(lines, records, strict=True) if any(c.strip() for c in r)]
    first = nonblank[0]
    after = nonblank[found.n_records] if len(nonblank) > found.n_records else int(starts.size)
    # Lines first .. after-1 hold the header rows (a quoted text may span several lines).
    a, b = int(starts[first]), int(starts[after]) if after < starts.size else len(utf8)
    segment = utf8[a:b]
    kept_breaks = bytes(ch for ch in segment if ch in b"\r\n")
    utf8 = utf8[:a] + kept_breaks + utf8[b:]
    starts, ends = _text_line_bounds(utf8, bom)
    n_lines = sum(1 for i in range(first, min(after, int(starts.size))) if (ends[i] - starts[i]) == 0)
    return (
        utf8,
        starts,
        ends,
        _DroppedHeaderRows(n_lines=n_lines, first_line=first + 1, n_records=found.n_records,
                           question_texts=found.question_texts),
    )


def _sample_records(sample: str, delimiter: str) -> list[tuple[int, list[str]]]:
    from kamcore.ingest_text import _records

    return _records(sample, delimiter, 260)


def _with_question_texts(table: ParsedTable, rows: _DroppedHeaderRows, header: list[str]) -> ParsedTable:
    """Question texts keyed by the table's column names, and a sentence in the report."""
    if not rows.n_records:
        return table
    texts: dict[str, str] = {}
    originals = {v: k for k, v in table.quality.renamed_columns.items()}
    positions = {str(h).strip(): i for i, h in enumerate(header)}
    for column in table.data.columns:
        original = table.quality.renamed_columns.get(column, column)
        i = positions.get(str(original).strip())
        if i is not None and i < len(rows.question_texts) and rows.question_texts[i]:
            texts[str(column)] = rows.question_texts[i]
    del originals
    issue = QualityIssue(
        code="header_rows_kept",
        params={"line": rows.first_line, "n": rows.n_records, "n_texts": len(texts)},
    )
    quality = table.quality.model_copy(
        update={"question_texts": texts, "issues": [*table.quality.issues[:1], issue, *table.quality.issues[1:]]}
    )
    return table.model_copy(update={"quality": quality})


def _check_cells(
    utf8: bytes, filename: str, settings: IngestSettings, width: int = 1, n_breaks: int | None = None
) -> int:
    """Refuse a text whose lines x ``width`` fields exceed ``max_cells``; the line count.

    Counting line breaks is one byte count, done before any per-line work (with ``width`` 1,
    as the header is not known yet) and again once the header's width is: a 150 MB file of
    one-character lines is refused here instead of growing to gigabytes.
    """
    n_lines = ((utf8.count(b"\n") if n_breaks is None else n_breaks) or utf8.count(b"\r")) + 1
    if n_lines * width > settings.max_cells:
        raise too_many_cells(filename, n_lines, width, settings.max_cells)
    return n_lines


def _text_line_bounds(utf8: bytes, bom: int, n_breaks: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`line_bounds` of ``utf8`` with the first line starting after a BOM of ``bom`` bytes."""
    starts, ends = line_bounds(utf8, n_breaks=n_breaks)
    if bom and starts.size:
        starts[0] = min(bom, int(ends[0]))
    return starts, ends


def _trimmed_width(fields: list[str] | tuple[Any, ...]) -> int:
    width = len(fields)
    while width and (fields[width - 1] is None or not str(fields[width - 1]).strip()):
        width -= 1
    return width


def _csv_source_rows(
    records: np.ndarray,
    utf8: bytes,
    starts: np.ndarray,
    ends: np.ndarray,
    layout: TextLayout,
    has_quotes: bool,
) -> np.ndarray:
    """1-based file line of each data record (record 1 is the first line after the header)."""
    if records.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not has_quotes:
        line_index = np.arange(starts.size)
        nonblank = line_index[(line_index > layout.header_line) & ((ends - starts) > 0)]
        return nonblank[records - 1] + 1
    text = utf8.decode("utf-8", errors="replace")
    found = record_lines(text, layout.delimiter, layout.header_line, {int(r) for r in records})
    return np.array([found.get(int(r), 0) for r in records], dtype=np.int64)


# --------------------------------------------------------------------------- Excel
def _tables_from_sheets(
    sheets: list[SheetCells], filename: str, file_type: Literal["xlsx", "xls"], settings: IngestSettings
) -> LoadResult:
    tables: list[ParsedTable] = []
    skipped: list[str] = []
    header_only = False
    for sheet in sheets:
        try:
            table = _sheet_table(sheet, filename, file_type, settings)
        except KamError as exc:
            if exc.code == "ingest.header_only":
                header_only = True
                skipped.append(sheet.name)
                continue
            raise
        if table is None:
            skipped.append(sheet.name)
            continue
        tables.append(table)
    if not tables:
        if header_only:
            raise _header_only(filename)
        raise _empty_file(filename)
    issues = []
    if skipped:
        issue = QualityIssue(code="empty_sheets", params={"sheets": ", ".join(skipped)}, severity="warning")
        issues.append(issue)
        tables[0].quality.issues.append(issue)
    return LoadResult(filename=filename, tables=tables, issues=issues)


def _sheet_table(
    sheet: SheetCells | SheetColumns, filename: str, file_type: Literal["xlsx", "xls"], settings: IngestSettings
) -> ParsedTable | None:
    if isinstance(sheet, SheetColumns):
        return _columns_table(sheet, filename, file_type, settings)
    rows = [row for row in sheet.rows]
    widths = [sum(1 for v in row if v is not None and str(v).strip() != "") for row in rows]
    if not any(widths):
        return None
    header_index = _excel_header_index(widths)
    header = [cell_text(v) or "" for v in rows[header_index]]
    n_columns = max(len(r) for r in rows[header_index:])
    if _trimmed_width(header) > settings.max_columns:
        raise too_many_columns(filename, _trimmed_width(header), settings.max_columns)
    header += [""] * (n_columns - len(header))
    body = rows[header_index + 1 :]
    if not any(widths[header_index + 1 :]):
        raise _header_only(filename)
    # Survey tools' extra header rows (question texts, markers) go with the header, not the data.
    sample = [[cell_text(v) or "" for v in row] for row in body[:260]]
    nonblank = [i for i, row in enumerate(sample) if any(c.strip() for c in row)]
    found = find_header_rows(header, [sample[i] for i in nonblank][:200])
    header_rows = _DroppedHeaderRows()
    first_body = header_index + 1
    if found.n_records:
        cut = nonblank[found.n_records - 1] + 1
        header_rows = _DroppedHeaderRows(first_line=first_body + nonblank[0] + 1, n_records=found.n_records,
                                         question_texts=found.question_texts)
        body, first_body = body[cut:], first_body + cut
        if not body:
            raise _header_only(filename)
    columns: list[list[Any]] = [[row[i] if i < len(row) else None for row in body] for i in range(n_columns)]
    forced_decimal: dict[int, str] = {}
    serial_dates: list[int] = []
    texts: dict[str, list[str | None]] = {}
    for index, values in enumerate(columns):
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        filled = [v for v in values if v is not None and str(v).strip() != ""]
        if filled and len(numbers) >= 0.5 * len(filled):
            forced_decimal[index] = "."
            integral = all(float(v).is_integer() and SERIAL_MIN <= v <= SERIAL_MAX for v in numbers)
            if integral and is_date_header(header[index]) and len(numbers) >= TYPE_MAJORITY * len(filled):
                serial_dates.append(index)
                values = [
                    (_EXCEL_EPOCH + pd.Timedelta(days=float(v))).to_pydatetime()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)
                    else v
                    for v in values
                ]
                forced_decimal.pop(index)
        texts[f"c{index}"] = [cell_text(v) for v in values]
    frame = pd.DataFrame(texts, dtype=object)
    excel_rows = np.arange(first_body + 1, first_body + 1 + len(body), dtype=np.int64)
    with IngestStaging() as staging:
        staging.load_frame(frame)

        def source_rows(record_numbers: np.ndarray) -> np.ndarray:
            return excel_rows[record_numbers]

        table = _type_table(
            staging,
            header=header,
            first_row=0,
            name=sheet.name,
            filename=filename,
            fmt=DetectedFormat(file_type=file_type, header_row=header_index + 1, sheet=sheet.name),
            settings=settings,
            source_rows=source_rows,
            extra_empty=0,
            header_line_skipped=header_index,
            forced_decimal=forced_decimal,
            default_decimal=",",
            serial_dates=serial_dates,
        )
    return _with_question_texts(table, header_rows, header)


def _excel_header_index(widths: list[int]) -> int:
    return excel_header_index(widths)


def _columns_table(
    sheet: SheetColumns, filename: str, file_type: Literal["xlsx", "xls"], settings: IngestSettings
) -> ParsedTable | None:
    """A sheet read column by column (header on its first row): staged as Arrow text."""
    if not sheet.widths.any():
        return None
    if _trimmed_width(sheet.header) > settings.max_columns:
        raise too_many_columns(filename, _trimmed_width(sheet.header), settings.max_columns)
    if not sheet.widths[1:].any():
        raise _header_only(filename)
    excel_rows = np.arange(2, 2 + sheet.body.num_rows, dtype=np.int64)
    with IngestStaging() as staging:
        staging.load_frame(
            sheet.body,
            numbers=sheet.numbers,
            dates=sheet.dates,
            native_text=sheet.native_text,
            text_rows=PROFILE_SAMPLE_ROWS,
        )

        def source_rows(record_numbers: np.ndarray) -> np.ndarray:
            return excel_rows[record_numbers]

        return _type_table(
            staging,
            header=sheet.header,
            first_row=0,
            name=sheet.name,
            filename=filename,
            fmt=DetectedFormat(file_type=file_type, header_row=1, sheet=sheet.name),
            settings=settings,
            source_rows=source_rows,
            extra_empty=sheet.trailing_empty_rows,
            header_line_skipped=0,
            forced_decimal=sheet.forced_decimal,
            default_decimal=",",
            serial_dates=sheet.serial_dates,
        )


# --------------------------------------------------------------------------- typing
def _unique_names(header: list[str], keep: list[int]) -> tuple[list[str], dict[str, str], list[QualityIssue]]:
    """Unique, non-empty names for the kept columns, with the renames and their issues."""
    names: list[str] = []
    renamed: dict[str, str] = {}
    issues: list[QualityIssue] = []
    taken: dict[str, str] = {}
    for index in keep:
        original = header[index] if index < len(header) else ""
        name = original
        if not original.strip():
            name = f"column {index + 1}"
            k = 2
            while name.casefold() in taken:
                name = f"column {index + 1} ({k})"
                k += 1
            renamed[name] = original
            issues.append(
                QualityIssue(
                    code="empty_header",
                    params={"position": index + 1, "new_name": name},
                    severity="warning",
                    column=name,
                )
            )
        elif original.casefold() in taken:
            first = taken[original.casefold()]
            k = 2
            while f"{original} ({k})".casefold() in taken:
                k += 1
            name = f"{original} ({k})"
            renamed[name] = original
            same = first == original
            issues.append(
                QualityIssue(
                    code="duplicate_header" if same else "duplicate_header_case",
                    params={"first": first, "second": original, "new_name": name},
                    severity="warning",
                    column=name,
                )
            )
        taken[name.casefold()] = name
        names.append(name)
    return names, renamed, issues


def _choose_plans(
    profile: pd.DataFrame,
    names: dict[int, str],
    forced_decimal: dict[int, str],
    default_decimal: str,
) -> tuple[dict[int, tuple[str, str | None]], str]:
    """Per column: ("number", decimal), ("date", format) or ("text", None); and the file's decimal."""
    votes_comma = int(profile["vote_comma"].sum()) if len(profile) else 0
    votes_dot = int(profile["vote_dot"].sum()) if len(profile) else 0
    file_decimal = "," if votes_comma > votes_dot else "." if votes_dot > votes_comma else default_decimal
    plans: dict[int, tuple[str, str | None]] = {}
    for row in profile.to_dict("records"):
        index = int(row["column"])
        nonempty = row["nonempty"]
        plans[index] = ("text", None)
        if nonempty == 0:
            continue
        needed = TYPE_MAJORITY * nonempty
        date_counts = {fmt: row[f"date:{fmt}"] for fmt, _ in DATE_FORMATS}
        best_format = max(date_counts, key=lambda fmt: date_counts[fmt])  # first of equals wins
        if best_format == COMPACT_DATE_FORMAT and is_id_header(names[index]):
            date_counts[best_format] = 0  # an order number such as 20240115 is not a date
            best_format = max(date_counts, key=lambda fmt: date_counts[fmt])
        if date_counts[best_format] >= needed and date_counts[best_format] > 0:
            plans[index] = ("date", best_format)
            continue
        if index in forced_decimal:
            decimal = forced_decimal[index]
        elif row["vote_comma"] > row["vote_dot"]:
            decimal = ","
        elif row["vote_dot"] > row["vote_comma"]:
            decimal = "."
        else:
            decimal = file_decimal
        parsed = row["num_comma"] if decimal == "," else row["num_dot"]
        if parsed < needed:
            continue
        # Identifiers stay text: leading zeros matter, and "Kundenr 1001" is not a quantity.
        if row["leading_zero"] > 0 or (is_id_header(names[index]) and row["integers"] == nonempty):
            continue
        plans[index] = ("number", decimal)
    numeric_decimals = [option for kind, option in plans.values() if kind == "number"]
    # Majority of the numeric columns; on a tie the leftmost numeric column decides.
    decimal = max(numeric_decimals, key=numeric_decimals.count) if numeric_decimals else file_decimal
    return plans, decimal


def _type_table(
    staging: IngestStaging,
    *,
    header: list[str],
    first_row: int,
    name: str,
    filename: str,
    fmt: DetectedFormat,
    settings: IngestSettings,
    source_rows: Callable[[np.ndarray], np.ndarray],
    extra_empty: int | Callable[[], int],
    header_line_skipped: int,
    forced_decimal: dict[int, str],
    default_decimal: str,
    serial_dates: list[int],
    check_records: Callable[[int], None] | None = None,
    expected_records: Callable[[], int | None] | None = None,
) -> ParsedTable:
    """Type the staged text table, split rows into kept/rejected/empty and build the report.

    ``expected_records()``: the records (header included) counted from the lines of a CSV
    without quotes, where each non-blank line is one record; None where that cannot be known.
    Called once, after the profile and before the scan: a CSV's line checks run there (its
    line bounds are found meanwhile). ``extra_empty``: empty records staging does not see
    (a CSV's blank lines), or a function giving them after the scan.
    """
    header = [str(h) if h is not None else "" for h in header]
    n_staged = staging.n_columns
    header_width = min(len(header), n_staged)
    columns = list(range(header_width))
    # Past the header (CSV: one spare column) a value means the row has too many fields.
    overflow = list(range(header_width, n_staged))
    profile = staging.profile(columns, first_row, PROFILE_SAMPLE_ROWS)
    plans, decimal = _choose_plans(profile, {i: header[i] for i in columns}, forced_decimal, default_decimal)
    # Nothing more is read from staging after this: a CSV's duplicates are counted and its
    # staging closed on another thread while the report is built (n_duplicates waits).
    coerced_rows = staging.coerce(
        plans,
        first_row=first_row,
        overflow=overflow,
        expected_records=expected_records() if expected_records is not None else None,
        then_close=True,
    )
    if check_records is not None:
        check_records(coerced_rows.n_records)
    kept, rejected_raw = coerced_rows.kept, coerced_rows.rejected
    n_empty = coerced_rows.n_empty
    if len(kept) == 0 and len(rejected_raw) == 0:
        raise _header_only(filename)
    # A column without a header and without a single value is an export artefact: dropped.
    dropped = [i for i in columns if not header[i].strip() and coerced_rows.nonempty.get(i, 1) == 0]
    keep = [i for i in columns if i not in dropped]
    column_names, renamed, issues = _unique_names(header, keep)
    names = dict(zip(keep, column_names, strict=True))

    data, coerced = _typed_frame(kept, keep, plans, names, column_names)
    rejected, row_issues = _rejected_rows(
        rejected_raw, keep, overflow, names, plans, source_rows, header_width
    )
    fmt = fmt.model_copy(
        update={
            "decimal": decimal,
            "thousands": _thousands(profile, plans),
            "date_format": next((opt for kind, opt in plans.values() if kind == "date"), None),
        }
    )
    if callable(extra_empty):
        extra_empty = extra_empty()
    quality = _quality_report(data, coerced, renamed, len(kept), len(rejected), n_empty + extra_empty)
    quality.duplicate_rows = coerced_rows.n_duplicates
    quality.issues = [
        *_summary_issues(quality, header_line_skipped, len(dropped), keep, names, plans, serial_dates),
        *issues,
        *row_issues,
        *_finding_issues(quality),
    ]
    return ParsedTable(name=name, data=data, format=fmt, quality=quality, rejected=rejected)


def _typed_frame(
    kept: pd.DataFrame,
    keep: list[int],
    plans: dict[int, tuple[str, str | None]],
    names: dict[int, str],
    column_names: list[str],
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The kept rows as the table's frame (numbers float64, dates datetime64[ns], text str),
    and the columns coerced to a number or a date."""
    coerced: dict[str, str] = {}
    series: list[pd.Series] = []
    for index in keep:
        kind, _option = plans[index]
        values = kept[f"c{index}"]
        if kind == "number":
            values = values.astype("float64")
            coerced[names[index]] = "number"
        elif kind == "date":
            values = values.astype("datetime64[ns]")
            coerced[names[index]] = "date"
        elif values.dtype != "str":
            values = values.astype("str")
        series.append(values.reset_index(drop=True))
    # Positional construction: headers may repeat case-insensitively or look like anything.
    data = (
        pd.concat(series, axis=1, ignore_index=True)
        if series
        else pd.DataFrame(index=pd.RangeIndex(len(kept)))
    )
    data.columns = column_names
    return data, coerced


def _quality_report(
    data: pd.DataFrame,
    coerced: dict[str, str],
    renamed: dict[str, str],
    n_kept: int,
    n_rejected: int,
    n_empty: int,
) -> QualityReport:
    """The counts of the report (its issues and duplicate rows are added by the caller)."""
    return QualityReport(
        rows_read=n_kept + n_rejected + n_empty,
        rows_kept=n_kept,
        rows_rejected=n_rejected,
        empty_rows=n_empty,
        columns_coerced=coerced,
        negative_values={
            c: int(n) for c in data.columns if coerced.get(c) == "number" and (n := int((data[c] < 0).sum()))
        },
        missing_values={c: int(n) for c in data.columns if (n := int(data[c].isna().sum()))},
        renamed_columns=renamed,
    )


def _summary_issues(
    quality: QualityReport,
    header_line_skipped: int,
    n_dropped: int,
    keep: list[int],
    names: dict[int, str],
    plans: dict[int, tuple[str, str | None]],
    serial_dates: list[int],
) -> list[QualityIssue]:
    """The report's opening sentences: rows, skipped lines, empty rows and columns, and how
    each number and date column was read."""
    summary = [
        QualityIssue(
            code="rows_summary",
            params={
                "rows_read": quality.rows_read,
                "rows_kept": quality.rows_kept,
                "rows_rejected": quality.rows_rejected,
                "empty_rows": quality.empty_rows,
            },
        )
    ]
    if header_line_skipped:
        summary.append(
            QualityIssue(
                code="header_not_first",
                params={"line": header_line_skipped + 1, "n_skipped": header_line_skipped},
            )
        )
    if quality.empty_rows:
        summary.append(QualityIssue(code="empty_rows", params={"n": quality.empty_rows}))
    if n_dropped:
        summary.append(QualityIssue(code="empty_columns_dropped", params={"n": n_dropped}))
    for index in keep:
        column = names[index]
        kind, option = plans[index]
        if index in serial_dates and kind == "date":
            summary.append(QualityIssue(code="excel_serial_dates", params={"column": column}, column=column))
        if kind == "number":
            summary.append(
                QualityIssue(
                    code="column_number", params={"column": column, "decimal": option}, column=column
                )
            )
        elif kind == "date":
            summary.append(
                QualityIssue(
                    code="column_date",
                    params={"column": column, "format": _human_format(option)},
                    column=column,
                )
            )
    return summary


def _finding_issues(quality: QualityReport) -> list[QualityIssue]:
    """The report's closing findings: duplicate rows, negative values, missing values."""
    tail = []
    if quality.duplicate_rows:
        tail.append(QualityIssue(code="duplicate_rows", params={"n": quality.duplicate_rows}, severity="warning"))
    for column, n in quality.negative_values.items():
        tail.append(QualityIssue(code="negative_values", params={"column": column, "n": n}, column=column))
    for column, n in quality.missing_values.items():
        tail.append(QualityIssue(code="missing_values", params={"column": column, "n": n}, column=column))
    return tail


def _human_format(date_format: str | None) -> str:
    """strptime format as users write it: '%d.%m.%Y' -> 'dd.mm.yyyy'."""
    text = date_format or ""
    for code, human in (
        ("%d", "dd"),
        ("%m", "mm"),
        ("%Y", "yyyy"),
        ("%y", "yy"),
        ("%H", "hh"),
        ("%M", "mm"),
        ("%S", "ss"),
    ):
        text = text.replace(code, human)
    return text


def _thousands(profile: pd.DataFrame, plans: dict[int, tuple[str, str | None]]) -> str | None:
    numeric = [i for i, (kind, _) in plans.items() if kind == "number"]
    if not numeric or not len(profile):
        return None
    rows = profile[profile["column"].isin(numeric)]
    marks = {" ": "th_space", "\u00a0": "th_nbsp", "\u202f": "th_nnbsp", ".": "th_dot", ",": "th_comma"}
    totals = {mark: int(rows[col].sum()) for mark, col in marks.items()}
    decimals = {opt for i, (kind, opt) in plans.items() if kind == "number"}
    for mark in decimals:
        totals.pop(mark, None)
    best = max(totals, key=lambda m: totals[m]) if totals else None
    return best if best is not None and totals[best] > 0 else None


def _rejected_rows(
    raw: pd.DataFrame,
    keep: list[int],
    overflow: list[int],
    names: dict[int, str],
    plans: dict[int, tuple[str, str | None]],
    source_rows: Callable[[np.ndarray], np.ndarray],
    n_header_columns: int,
) -> tuple[pd.DataFrame, list[QualityIssue]]:
    """Rejected rows as raw text + ``source_row`` + ``reason``, and the first ones as issues."""
    columns = [names[i] for i in keep]
    if raw.empty:
        frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
        frame["source_row"] = pd.Series([], dtype="int64")
        frame["reason"] = pd.Series([], dtype="str")
        return frame, []
    rows = source_rows(raw["rid"].to_numpy(dtype=np.int64))
    frame = pd.DataFrame({names[i]: raw[f"raw_c{i}"].astype("str") for i in keep})
    frame["source_row"] = rows
    row_text = pd.Series(rows, index=raw.index).astype("str")
    reasons = pd.Series("", index=raw.index, dtype="str")
    issues: list[QualityIssue] = []
    first_issue: dict[int, QualityIssue] = {}
    for index in keep + overflow:
        flag = f"bad_c{index}"
        if flag not in raw:
            continue
        mask = raw[flag].fillna(False).astype(bool)
        if not mask.any():
            continue
        value = raw.loc[mask, f"raw_c{index}"].astype("str")
        if index in overflow:
            sentence = (
                "Row "
                + row_text[mask]
                + f" has more fields than the header has columns ({n_header_columns})."
            )
            code, params_of = (
                "rejected_too_many_fields",
                (lambda pos, _v: {"row": int(rows[pos]), "n_columns": n_header_columns}),
            )
        elif plans[index][0] == "number":
            sentence = (
                "Row " + row_text[mask] + f", column '{names[index]}': '" + value + "' is not a number."
            )
            code, params_of = (
                "rejected_not_a_number",
                (lambda pos, v, c=names[index]: {"row": int(rows[pos]), "column": c, "value": v}),
            )
        else:
            human = _human_format(plans[index][1])
            sentence = (
                "Row "
                + row_text[mask]
                + f", column '{names[index]}': '"
                + value
                + f"' is not a date ({human})."
            )
            code, params_of = (
                "rejected_not_a_date",
                (
                    lambda pos, v, c=names[index], h=human: {
                        "row": int(rows[pos]),
                        "column": c,
                        "value": v,
                        "format": h,
                    }
                ),
            )
        reasons[mask] = (reasons[mask] + " " + sentence).str.strip()
        for pos, v in zip(np.flatnonzero(mask.to_numpy()), value.tolist(), strict=True):
            if pos in first_issue or len(first_issue) >= MAX_ROW_ISSUES:
                continue
            params = params_of(pos, v)
            first_issue[pos] = QualityIssue(
                code=code,
                params=params,
                severity="warning",
                row=int(rows[pos]),
                column=params.get("column"),
            )
    frame["reason"] = reasons.to_numpy()
    issues = [first_issue[pos] for pos in sorted(first_issue)]
    if len(raw) > len(issues):
        issues.append(
            QualityIssue(code="more_rejected", params={"n": len(raw) - len(issues)}, severity="warning")
        )
    return frame.reset_index(drop=True), issues
