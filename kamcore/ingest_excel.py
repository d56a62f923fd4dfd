"""Safe, fast reading of Excel workbooks into tables of cell text.

``.xlsx`` is read by fastexcel (calamine, in Rust, straight into Arrow columns); sheets it
cannot type column by column (a column mixing text and numbers, title rows above the header)
are read cell by cell through python-calamine, and sheets holding error cells (``#N/A``)
through openpyxl, which keeps their text. ``.xls`` is read by xlrd. Every path hands ingest
the same cell text (:func:`cell_text`), so a value is typed the same whichever reader saw it.

Checks run before any worksheet is parsed: the zip directory's declared uncompressed size
against a cap (zip bombs), DOCTYPE/ENTITY declarations in the XML parts (entity bombs —
calamine's XML reader does not expand entities either, and openpyxl parses through
defusedxml, asserted below), encryption (an OLE container holding an ``EncryptedPackage``
stream is a password-protected .xlsx), and a streamed count of the cells each worksheet
holds and of the grid the reader would build from them, and of the shared strings
(:func:`scan_xlsx`): a small file whose few cells sit far apart, or that holds millions of
tiny strings, is refused before a reader allocates memory for it.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

import defusedxml.ElementTree as SafeET
import numpy as np
import olefile
import openpyxl
import openpyxl.xml
import pyarrow as pa
import pyarrow.compute as pc
import xlrd
from pydantic import BaseModel, ConfigDict

from kamcore.errors import KamError
from kamcore.ingest_mapping import is_date_header

#: Bytes read from the start of each XML part to look for DTD declarations.
_XML_PROBE_BYTES = 8192
#: Decompressed bytes scanned at a time by :func:`scan_xlsx`.
#: Small enough that a window's numpy temporaries come from memory glibc keeps (with 1 MB
#: chunks a well-compressed sheet faulted in ~40,000 fresh pages per scan, 0.1 s of system
#: time; with 512 KB ~50,000 on a sheet compressed 16:1; with these, a few hundred).
_SCAN_CHUNK = 384 * 1024
#: Share of a column's non-empty cells that must be numbers for a date column's serials.
TYPE_MAJORITY = 0.9
#: Excel serial day numbers accepted as dates in a date-named column (1927-05-19 .. 2173-10-14).
SERIAL_MIN, SERIAL_MAX = 10_000, 100_000
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
#: Earliest date-time the Arrow path converts; earlier values are Excel times of day
#: (serials below 1) or fall in Excel's fictitious 1900-02-29, which openpyxl's rules decide.
_EARLIEST_DATETIME_MS = int((dt.datetime(1900, 3, 1) - dt.datetime(1970, 1, 1)).total_seconds() * 1000)
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_RELATIONSHIP_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


class SheetCells(BaseModel):
    """One worksheet as rows of Python cell values (None for empty cells)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    rows: list[tuple[Any, ...]]


class SheetColumns(BaseModel):
    """One worksheet read column by column, its header on the first row.

    ``body`` holds each column's cell text as :func:`cell_text` writes it (``c0..``, one row
    per sheet row below the header), except the columns of Excel numbers and dates: those are
    kept as values (``numbers``, ``dates``; their body column is all NULL) and written as text
    only where asked (:meth:`native_text`: the profiled rows, rejected rows, a column typed
    otherwise). ``forced_decimal`` names the columns of Excel numbers (decimal mark ``.``)
    and ``serial_dates`` the date-named columns of serial day numbers, read as dates;
    ``widths`` counts the non-blank cells of every row, header first.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    header: list[str]
    body: pa.Table
    forced_decimal: dict[int, str]
    serial_dates: list[int]
    widths: np.ndarray
    trailing_empty_rows: int = 0
    #: The Excel numbers of the ``forced_decimal`` columns (float64, NULL where blank): what
    #: parsing their text gives, handed to staging so it need not parse the text again.
    numbers: dict[int, pa.Array] = {}
    #: The Excel dates and date-times (and serial dates) as ``timestamp[s]`` (NULL where blank):
    #: what parsing their text as ``%Y-%m-%d %H:%M:%S`` gives.
    dates: dict[int, pa.Array] = {}

    def native_text(self, index: int, rows: np.ndarray | None = None) -> pa.Array:
        """The cell text of column ``index`` (one of ``numbers`` or ``dates``), of ``rows``
        (positions below the header; None: every row), as :func:`cell_text` writes it."""
        source = self.numbers[index] if index in self.numbers else self.dates[index]
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64)
            if len(rows) and rows[-1] - rows[0] == len(rows) - 1 and (np.diff(rows) == 1).all():
                source = source.slice(int(rows[0]), len(rows))  # a run of rows (the profiled head): no copy
            else:
                source = source.take(pa.array(rows, pa.int64()))
        valid = np.asarray(source.is_valid(), dtype=bool)
        if index in self.numbers:
            filled = pc.fill_null(source, 0.0) if source.null_count else source
            text = _number_texts(filled.to_numpy(zero_copy_only=False), valid)
        else:
            seconds = source.cast(pa.int64())
            text = _datetime_texts((pc.fill_null(seconds, 0) if source.null_count else seconds).to_numpy(zero_copy_only=False))
        if not source.null_count:
            return text
        return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.large_string()))


class SheetScan(BaseModel):
    """What the streamed scan of one worksheet part found (see :func:`scan_xlsx`)."""

    name: str
    part: str
    very_hidden: bool
    n_cells: int = 0
    n_rows: int = 0  # highest row number (or number of row elements, if larger)
    n_columns: int = 0  # highest column holding a cell (an upper bound below column AA)
    has_error_cells: bool = False
    starts_at_a1: bool = False


def corrupt_workbook(filename: str) -> KamError:
    """The sentence for a file that looks like, but cannot be read as, an Excel workbook."""
    return KamError(
        "ingest.corrupt_workbook",
        "The file '{filename}' is not a readable Excel workbook; it may be damaged. Open it in Excel, save it again and upload the new file.",
        filename=filename,
    )


def encrypted_workbook(filename: str) -> KamError:
    return KamError(
        "ingest.encrypted_workbook",
        "The workbook '{filename}' is protected with a password. Remove the password in Excel (File > Info > Protect Workbook) and upload it again.",
        filename=filename,
    )


def binary_file(filename: str, kind: str) -> KamError:
    """The sentence for a file holding no table (``kind``: what it is instead, e.g. "ZIP")."""
    return KamError(
        "ingest.binary_file",
        "The file '{filename}' does not contain a table (it is a {kind} file). Upload a CSV, TXT, XLSX or XLS file.",
        filename=filename,
        kind=kind,
    )


def _entity(filename: str) -> KamError:
    return KamError(
        "ingest.xml_entity",
        "The workbook '{filename}' contains XML entity declarations, which Excel never writes; it was refused as unsafe.",
        filename=filename,
    )


def too_many_columns(filename: str, n_columns: int, limit: int) -> KamError:
    """The sentence for a table wider than ``limit`` columns (text and Excel alike)."""
    return KamError(
        "ingest.too_many_columns",
        "The table in '{filename}' has {n_columns} columns; the limit is {limit}.",
        filename=filename,
        n_columns=n_columns,
        limit=limit,
    )


def too_many_cells(filename: str, n_rows: int, n_columns: int, limit: int, n_cells: int | None = None) -> KamError:
    """The sentence for a table that would take more cells than ``limit`` to read.

    ``n_cells`` defaults to rows × columns (pass the count where the cells were counted).
    """
    return KamError(
        "ingest.too_many_cells",
        "The table in '{filename}' is too large to read: {n_rows} rows × {n_columns} columns = {n_cells} cells, more than the limit of {limit}.",
        filename=filename,
        n_rows=n_rows,
        n_columns=n_columns,
        n_cells=n_rows * n_columns if n_cells is None else n_cells,
        limit=limit,
    )


def check_ole(data: bytes, filename: str) -> str:
    """'xls' for a legacy workbook; KamError for an encrypted workbook or another OLE file."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises several unrelated types on junk
        raise corrupt_workbook(filename) from exc
    try:
        streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    finally:
        ole.close()
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        raise encrypted_workbook(filename)
    if "workbook" in streams or "book" in streams:
        return "xls"
    raise binary_file(filename, "OLE")


def check_xlsx_zip(data: bytes, filename: str, max_uncompressed_mb: float) -> None:
    """Reject zips that are not workbooks, that would unpack beyond the cap, or carry a DTD.

    Notes
    -----
    The sizes come from the zip's central directory, read before anything is decompressed.
    A lying directory cannot help an attacker: :func:`scan_xlsx` stops reading any part at
    its declared size, the readers never expand entities, and only the first few KB of each
    XML part are decompressed here.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise corrupt_workbook(filename) from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise binary_file(filename, "ZIP")
    if "xl/workbook.bin" in names:
        raise KamError(
            "ingest.xlsb_not_supported",
            "'{filename}' is a binary Excel workbook (.xlsb). Save it as .xlsx in Excel and upload it again.",
            filename=filename,
        )
    declared = sum(info.file_size for info in infos)
    if declared > max_uncompressed_mb * 1024 * 1024:
        raise KamError(
            "ingest.zip_bomb",
            "The workbook '{filename}' would unpack to {size_mb} MB, more than the limit of {limit_mb} MB.",
            filename=filename,
            size_mb=round(declared / 1024 / 1024),
            limit_mb=f"{max_uncompressed_mb:g}",
        )
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as part:
                probe = part.read(_XML_PROBE_BYTES)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise corrupt_workbook(filename) from exc
        if b"<!DOCTYPE" in probe.upper() or b"<!ENTITY" in probe.upper():
            raise _entity(filename)


# ------------------------------------------------------------------------- pre-parse scan
_LAST_ROW = re.compile(rb"<row r=\"(\d+)\"")
_FIRST_CELL = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]+\d+)\"[^>]*?(/?)>")
_ANY_REFERENCE = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]{1,3})(\d{1,7})\"")


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + (char - 64)
    return number


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_part(archive: zipfile.ZipFile, name: str, filename: str) -> bytes:
    try:
        return archive.read(name)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise corrupt_workbook(filename) from exc


def _sheet_parts(archive: zipfile.ZipFile, filename: str) -> list[tuple[str, str, bool]]:
    """(name, zip part, very hidden) of every sheet in workbook order."""
    try:
        workbook = SafeET.fromstring(_read_part(archive, "xl/workbook.xml", filename))
        rels = SafeET.fromstring(_read_part(archive, "xl/_rels/workbook.xml.rels", filename))
    except KamError:
        raise
    except Exception as exc:  # defusedxml refuses DTDs/entities; anything else is damage
        if "Forbidden" in type(exc).__name__:
            raise _entity(filename) from exc
        raise corrupt_workbook(filename) from exc
    targets = {}
    for rel in rels:
        if _local(rel.tag) == "Relationship":
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id")] = path
    sheets = []
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = element.get(_RELATIONSHIP_ID) or element.get(_STRICT_RELATIONSHIP_ID)
        part = targets.get(rel_id)
        if part is None:
            raise corrupt_workbook(filename)
        sheets.append((element.get("name", ""), part, element.get("state", "visible") == "veryHidden"))
    return sheets


def _stream(archive: zipfile.ZipFile, part: str, filename: str, data: bytes | None = None) -> Any:
    """The decompressed part in windows ``(window, start, end)``: the previous chunk's last 64
    bytes, the chunk (``window[start:end]``) and 24 NUL bytes (so a pattern can be tested a few
    bytes past any position without a bounds check; no pattern matches a NUL). ``data``: the
    archive's bytes, where the caller holds them (see :func:`_inflate`)."""
    tail = b""
    for chunk in _inflate(archive, part, filename, data):
        yield b"".join((tail, chunk, _PAD)), len(tail), len(tail) + len(chunk)  # one copy
        tail = chunk[-64:]


def _inflate(archive: zipfile.ZipFile, part: str, filename: str, data: bytes | None) -> Any:
    """The decompressed bytes of ``part`` in chunks of at most :data:`_SCAN_CHUNK`.

    Notes
    -----
    A deflated or stored part (all Excel writes) is inflated here straight from the
    archive's bytes ``data``, through ISA-L where python-isal is installed (2-3x zlib's speed, the
    same bytes); anything else (encrypted, another method, a local header that disagrees with
    the directory) goes through :mod:`zipfile`, which refuses it. Either way no more than the
    part's declared size is ever produced, and the CRC is checked at its end, as
    :mod:`zipfile` does: a part whose data ends early or whose CRC is wrong is corrupt.
    """
    info = archive.getinfo(part)
    raw = None if data is None else _raw_member(data, info)
    if raw is None:
        try:
            with archive.open(part) as handle:
                while chunk := handle.read(_SCAN_CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise corrupt_workbook(filename) from exc
        return
    left, crc = info.file_size, 0
    if info.compress_type == zipfile.ZIP_STORED:
        stored = raw[: info.file_size]
        for at in range(0, len(stored), _SCAN_CHUNK):
            chunk = bytes(stored[at : at + _SCAN_CHUNK])
            left -= len(chunk)
            crc = _crc32(chunk, crc)
            yield chunk
    else:
        inflater = _zlib.decompressobj(-15)
        pending: bytes | memoryview = b""
        at = 0
        while left > 0 and not inflater.eof:
            if len(pending) < _INFLATE_INPUT // 2 and at < len(raw):
                # Topped up, so that a call whose output reached the chunk size and left a
                # little input unread is not followed by one inflating only that little.
                more = raw[at : at + _INFLATE_INPUT - len(pending)]
                at += len(more)
                pending = b"".join((pending, more)) if pending else more
            before = len(pending)
            try:
                # Called with no input too: output held back by max_length comes out then.
                chunk = inflater.decompress(pending, min(_SCAN_CHUNK, left))
            except _zlib.error as exc:
                raise corrupt_workbook(filename) from exc
            pending = inflater.unconsumed_tail
            if chunk:
                left -= len(chunk)
                crc = _crc32(chunk, crc)
                yield chunk
            elif len(pending) == before:
                break  # no progress: the data ends before the end-of-stream marker
        if left and not inflater.eof:
            raise corrupt_workbook(filename)  # zipfile: EOFError
    # Like zipfile, a part that ends (properly) before its declared size is read to its end.
    if crc != info.CRC:
        raise corrupt_workbook(filename)


def _raw_member(data: bytes, info: zipfile.ZipInfo) -> memoryview | None:
    """The compressed bytes of a plain deflated or stored member of the zip ``data`` (no copy), or None where
    :mod:`zipfile` should decide (encrypted, another method, a local header that disagrees)."""
    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED) or info.flag_bits & 0x61:
        return None
    buffer = memoryview(data)
    offset = info.header_offset
    header = bytes(buffer[offset : offset + 30])
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        return None
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    name = bytes(buffer[offset + 30 : offset + 30 + name_length])
    if name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437"):
        return None
    begin = offset + 30 + name_length + extra_length
    if begin + info.compress_size > len(buffer):
        return None
    return buffer[begin : begin + info.compress_size]


#: Compressed bytes handed to the inflater at a time. Its unread rest is copied on every call:
#: kept below glibc's 128 KB threshold for mapping a block of its own, the copy reuses freed
#: memory instead of faulting fresh pages in (128 KB here: ~22,000 page faults, a tenth of a
#: second of system time, on the 100k-row benchmark workbook; 64 KB: ~450).
_INFLATE_INPUT = 64 * 1024
try:  # ISA-L's inflate and CRC: the same bytes as zlib's, 2-3x faster
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - python-isal is optional
    import zlib as _zlib
_crc32 = _zlib.crc32


_PAD = b"\0" * 24


class _ChunkFacts(NamedTuple):
    n_tags: int  # cells: "<c " or "<c>"
    n_references: int  # cells written with their reference first: '<c r="'
    n_row_elements: int  # "<row"
    widest: int  # the widest column named by a two- or three-letter reference (0: none)
    highest_row: int  # the highest row number any reference names (0: none)


#: Digits of a reference's row number read (Excel's last row, 1048576, has seven); a longer
#: number counts as this large, which exceeds every row number a sheet can give it.
_ROW_DIGITS = 8
_TOO_FAR = 10**_ROW_DIGITS


_ZEROS = np.uint64(0x3030303030303030)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH = np.uint64(0x8080808080808080)
_BYTE4_HIGH = np.uint64(0x80 << 32)
_LOW_BYTE = np.uint64(0xFF)
_THREE_BYTES = np.uint64(0xFFFFFF)
_ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)
_NIBBLES = np.uint64(0x0F0F0F0F0F0F0F0F)
_PAIRS = np.uint64(0x00FF00FF00FF00FF)
_FOURS = np.uint64(0x0000FFFF0000FFFF)


def _words(window: bytes) -> np.ndarray:
    """``words[p]``: the eight bytes ``window[p : p + 8]`` as one little-endian number."""
    return np.ndarray(shape=(len(window) - 7,), dtype="<u8", buffer=window, strides=(1,))


def _above(words: np.ndarray, limit: int) -> np.ndarray:
    """High bit of each byte set where the byte's low seven bits exceed ``limit`` (< 0x80)."""
    return (words & _LOW7) + np.uint64((0x7F - limit) * 0x0101010101010101)


def _high_bits(words: np.ndarray) -> np.ndarray:
    return words & _HIGH


def _leading_bytes(flags: np.ndarray) -> np.ndarray:
    """How many bytes, from the first (lowest), come before the first flagged one (high bit
    set), 0-8."""
    lowest = flags & (~flags + np.uint64(1))
    return (np.bitwise_count(lowest - np.uint64(1)) >> 3).astype(np.int64)


def _tags_at(data: np.ndarray, end: int) -> np.ndarray:
    """Every position ``p`` where ``<c``, ``<r`` or ``"e`` starts and ends below ``end``, in
    no particular order.

    Compares two bytes at a time at even and at odd positions: less work than finding every
    ``<`` and testing the byte after each (cells and rows are a quarter of an Excel sheet's
    tags)."""
    found = []
    for offset in (0, 1):
        pairs = data[offset : offset + (end - offset) // 2 * 2].view("<u2")
        found.append(np.flatnonzero((pairs == 0x633C) | (pairs == 0x723C) | (pairs == 0x6522)) * 2 + offset)
    return np.concatenate(found)


def _chunk_counts(window: bytes, start: int, end: int) -> _ChunkFacts:
    """What ``window[start:end]`` holds (see :func:`_window_facts`)."""
    return _window_facts(window, start, end)[0]


def _window_facts(window: bytes, start: int, end: int) -> tuple[_ChunkFacts, bool]:
    """What ``window[start:end]`` holds (see :func:`_stream`): counts of cells, cells that
    start with their reference and row elements, each counted in the chunk holding its last
    byte (so one cut by a chunk boundary is counted once); and over every reference in the
    window (``<c r="`` + 1-3 letters + digits), the widest two- or three-letter column and the
    highest row number; and whether the window holds an error cell's ``t="e"``.

    Notes
    -----
    Two-byte compares find every ``<c`` and ``<r``; the bytes after each decide what it opens, and a reference's
    letters and digits are read column by column over all references at once (numpy, which
    releases the GIL: this runs beside the decompression of the next chunk). A reference cut
    by the end of the window is read again whole from the next window (its 64 bytes of
    overlap hold every reference Excel writes); a cut one only ever reads as a narrower
    column or a smaller row, never a wider or larger one, so it cannot mislead the checks.
    """
    data = np.frombuffer(window, dtype=np.uint8)
    tags = _tags_at(data, end)
    second = data[tags + 1]
    cells = tags[second == 0x63]  # '<c'
    quotes = tags[(second == 0x65) & (tags >= 2)]  # '"e', and room for 't=' before it
    has_error_cells = bool(
        ((data[quotes - 2] == 0x74) & (data[quotes - 1] == 0x3D) & (data[quotes + 2] == 0x22)).any()
    )  # 't="e"'
    third = data[cells + 2]
    cell_space = third == 0x20  # '<c '
    cell_tag = cell_space | (third == 0x3E)  # or '<c>'
    n_tags = int(np.count_nonzero(cell_tag & (cells >= start - 2)))
    spaced = cells[cell_space]
    words = _words(window)
    referenced = (words[spaced] >> np.uint64(24)) & _THREE_BYTES == 0x223D72  # 'r="' after '<c '
    n_references = int(np.count_nonzero(referenced & (spaced >= start - 5)))
    rows = tags[(second == 0x72) & (tags >= start - 3)]  # '<r'
    n_row_elements = int(np.count_nonzero((data[rows + 2] == 0x6F) & (data[rows + 3] == 0x77)))  # 'ow'
    at = spaced[referenced] + 6  # the reference's first letter
    # Eight bytes from each reference's first letter and first digit, read as one number
    # (little-endian: the first byte lowest) and tested a byte at a time within it (SWAR).
    letters = words[at]
    not_upper = _high_bits(~_above(letters, 0x40) | _above(letters, 0x5A) | letters) | _BYTE4_HIGH
    n_letters = _leading_bytes(not_upper)
    n_letters[n_letters > 3] = 0  # 0: no letter, or four and more
    digits_at = at + n_letters
    digit_words = words[digits_at]
    digits = digit_words ^ _ZEROS  # a digit byte becomes its value, any other byte >= 10
    n_digits = _leading_bytes(_high_bits(_above(digits, 9) | digits))
    n_digits[n_letters == 0] = 0
    # A ninth digit: more than are read (a reference with more digits than this counts as
    # _TOO_FAR, whatever follows).
    ninth = data[digits_at + 8]
    n_digits[(n_digits == 8) & ((ninth - 0x30) < 10)] = _ROW_DIGITS + 1
    # A reference is letters, digits and the closing quote.
    after = np.where(n_digits < 8, (digit_words >> (np.minimum(n_digits, 7) * 8).astype(np.uint64)) & _LOW_BYTE, ninth)
    has_row = (n_digits > 0) & ((n_digits > _ROW_DIGITS) | (after == 0x22))
    highest_row = 0
    if has_row.any():
        if int(n_digits[has_row].max()) > _ROW_DIGITS:
            highest_row = _TOO_FAR
        else:
            n = n_digits[has_row].astype(np.uint64)
            value = digits[has_row]
            # Only the digits, moved to the high bytes (leading zeros below), then read as one
            # decimal number: pairs, fours, eights (three multiplications).
            keep = np.where(n == 8, _ALL_BITS, (np.uint64(1) << (n * np.uint64(8))) - np.uint64(1))
            value = (value & keep) << ((np.uint64(8) - n) * np.uint64(8))
            value = ((value & _NIBBLES) * np.uint64(2561)) >> np.uint64(8)
            value = ((value & _PAIRS) * np.uint64(6553601)) >> np.uint64(16)
            value = ((value & _FOURS) * np.uint64(42949672960001)) >> np.uint64(32)
            highest_row = int(value.max())
    widest = 0
    wide = has_row & (n_letters >= 2)
    if wide.any():
        letters = [((letters[wide] >> np.uint64(8 * k)) & _LOW_BYTE).astype(np.int64) - 64 for k in range(3)]
        two = np.where(n_letters[wide] == 2, letters[0] * 26 + letters[1], 0)
        three = np.where(n_letters[wide] == 3, letters[0] * 676 + letters[1] * 26 + letters[2], 0)
        widest = int(np.maximum(two, three).max())
    facts = _ChunkFacts(
        n_tags=n_tags,
        n_references=n_references,
        n_row_elements=n_row_elements,
        widest=widest,
        highest_row=highest_row,
    )
    return facts, has_error_cells


class _PartCounts:
    """What the fast pass of :func:`_scan_part` has found so far; :meth:`add` takes each
    window in order (on the scan's worker thread)."""

    def __init__(self, scan: SheetScan) -> None:
        self.scan = scan
        self.n_tags = self.n_references = self.n_row_elements = self.highest = self.wide = 0
        self.first_seen = self.inconsistent = False

    def add(self, window: bytes, start: int, end: int) -> None:
        facts, has_error_cells = _window_facts(window, start, end)
        if has_error_cells:
            self.scan.has_error_cells = True
        self.n_tags += facts.n_tags
        self.n_references += facts.n_references
        self.n_row_elements += facts.n_row_elements
        if not self.first_seen:
            first = _FIRST_CELL.search(window)
            if first is not None:
                self.first_seen = True
                self.scan.starts_at_a1 = first.group(1) == b"A1" and first.group(2) == b""
        last_row = _LAST_ROW.search(window, max(0, window.rfind(b"<row r=")))
        if last_row:
            self.highest = max(self.highest, int(last_row.group(1)))
        self.highest = max(self.highest, self.n_row_elements)
        # Rows come in order: a reference to a later row than the last row element so far
        # disagrees with its row (only a crafted file has one); two- and three-letter columns
        # give the widest column.
        self.wide = max(self.wide, facts.widest)
        self.inconsistent = self.inconsistent or facts.highest_row > self.highest


def _scan_part(archive: zipfile.ZipFile, scan: SheetScan, filename: str, max_cells: int, data: bytes | None = None) -> None:
    """Count the cells of one worksheet part and bound the grid calamine builds from them.

    Notes
    -----
    calamine places a cell at its own reference (``r="SF70000"``) and allocates the grid from
    the first to the last row and column holding a value. The fast pass counts cells, their
    references and row elements (:func:`_chunk_counts`) and uses two regular expressions: row
    numbers, and every reference that names a two- or three-letter column or a row after the
    highest row number so far (rows come in order, so only a crafted file has those). Where
    the bound exceeds ``max_cells`` or the file is unusual (a cell whose reference is missing
    or not written first, as Excel writes it), every reference is read (slower, exact).

    The part is decompressed here in chunks of up to 384 KB while a worker thread counts the previous
    chunk and looks for error cells in it (zlib and numpy release the GIL); at most two chunks
    are held.
    """
    counts = _PartCounts(scan)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-scan") as pool:
        pending: Future[None] | None = None
        for window, start, end in _stream(archive, scan.part, filename, data):
            if pending is not None:
                pending.result()
                if counts.n_tags > max_cells:
                    break
            pending = pool.submit(counts.add, window, start, end)
        if pending is not None:
            pending.result()
    n_tags, n_references = counts.n_tags, counts.n_references
    scan.n_cells = n_tags
    n_rows = max(counts.highest, counts.n_row_elements)
    n_columns = counts.wide or (26 if n_tags else 0)
    usual = n_tags == n_references  # every cell starts with its reference
    if usual and not counts.inconsistent and n_rows * n_columns <= max_cells or n_tags > max_cells:
        scan.n_rows, scan.n_columns = n_rows, n_columns
        return
    n_cells = 0
    for window, start, end in _stream(archive, scan.part, filename, data):
        n_cells += _chunk_counts(window, start, end).n_tags
        for letters, digits_text in _ANY_REFERENCE.findall(window):
            n_columns = max(n_columns, _column_number(letters))
            n_rows = max(n_rows, int(digits_text))
    # Cells without a reference follow the previous one: at most one column further each.
    scan.n_cells = n_cells
    scan.n_rows, scan.n_columns = n_rows, n_columns + max(0, n_cells - n_references)


def scan_xlsx(data: bytes, filename: str, max_cells: int) -> list[SheetScan]:
    """Every sheet of an .xlsx, each worksheet's cells counted before any reader parses it.

    Refuses (``ingest.too_many_cells``) a worksheet holding more than ``max_cells`` cells, or
    whose grid (highest row x widest column, which calamine allocates) exceeds it, and a
    shared-string table of more than ``max_cells`` strings. Only decompresses and counts
    bytes: memory stays at one chunk per part.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise corrupt_workbook(filename) from exc
    scans = []
    for name, part, very_hidden in _sheet_parts(archive, filename):
        scan = SheetScan(name=name, part=part, very_hidden=very_hidden)
        if part not in archive.NameToInfo:
            raise corrupt_workbook(filename)
        _scan_part(archive, scan, filename, max_cells, data)
        if scan.n_cells > max_cells:
            raise too_many_cells(filename, scan.n_rows, scan.n_columns, max_cells, n_cells=scan.n_cells)
        if scan.n_rows * scan.n_columns > max_cells:
            raise too_many_cells(filename, scan.n_rows, scan.n_columns, max_cells)
        scans.append(scan)
    shared = "xl/sharedStrings.xml"
    if shared in archive.NameToInfo:
        n_strings = 0
        tail = b""
        for chunk in _inflate(archive, shared, filename, data):
            # Plus those cut by the chunk boundary (3 + 3 bytes hold no whole one).
            seam = tail + chunk[:3]
            n_strings += chunk.count(b"<si>") + chunk.count(b"<si ") + seam.count(b"<si>") + seam.count(b"<si ")
            tail = chunk[-3:]
        if n_strings > max_cells:
            raise KamError(
                "ingest.too_many_strings",
                "The workbook '{filename}' holds {n_strings} different texts; the limit is {limit}.",
                filename=filename,
                n_strings=n_strings,
                limit=max_cells,
            )
    return scans


# ------------------------------------------------------------------------------- readers
def read_xlsx(
    data: bytes, filename: str, max_sheets: int, max_columns: int, max_cells: int = 15_000_000
) -> list[SheetCells | SheetColumns]:
    """Every worksheet (very hidden ones aside) of an .xlsx, formulas as their cached values."""
    if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - depends on the environment
        raise RuntimeError("openpyxl must parse through defusedxml; unset OPENPYXL_DEFUSEDXML=False")
    scans = [scan for scan in scan_xlsx(data, filename, max_cells) if not scan.very_hidden]
    _check_sheet_count(len(scans), filename, max_sheets)
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:  # fastexcel raises its own error types on damaged files
        raise corrupt_workbook(filename) from exc
    result: list[SheetCells | SheetColumns] = []
    calamine_book = None
    for scan in scans:
        sheet: SheetCells | SheetColumns | None = None
        if scan.starts_at_a1 and not scan.has_error_cells:
            sheet = _read_columns(reader, scan, filename, max_columns)
        if sheet is None and scan.has_error_cells:
            sheet = _read_openpyxl_sheet(data, scan, filename, max_columns)
        elif sheet is None:
            if calamine_book is None:
                calamine_book = _calamine_book(data, filename)
            sheet = _read_calamine_sheet(calamine_book, scan, filename, max_columns)
        result.append(sheet)
    return result


def _read_columns(reader: Any, scan: SheetScan, filename: str, max_columns: int) -> SheetColumns | None:
    """The sheet as Arrow columns through fastexcel, or None where only cell by cell will do.

    Header on the first row and every column of one type below it (numbers, dates, text or
    booleans, and blanks); anything else (a title above the header, text among numbers,
    times of day, durations) is None, and the caller reads the sheet cell by cell.
    """
    import fastexcel

    try:
        options = {"header_row": 0, "schema_sample_rows": None, "dtype_coercion": "strict"}
        # Eager: straight into Arrow, ~10 % less work than a lazy sheet's to_arrow().
        batch = reader.load_sheet(scan.name, eager=True, **options)
        # fastexcel names a column without a header "__UNNAMED__<i>"; only where such a name
        # occurs is it asked (through a lazy sheet) which names it made up (a header may be
        # written so, too).
        names = list(batch.schema.names)
        if any(name.startswith("__UNNAMED__") for name in names):
            sheet = reader.load_sheet(scan.name, **options)
            columns = [(column.name, column.column_name_from == "generated") for column in sheet.available_columns()]
        else:
            columns = [(name, False) for name in names]
    except fastexcel.UnsupportedColumnTypeCombinationError:
        return None
    except Exception:
        return None  # an empty sheet, or a header fastexcel cannot name: the general reader decides
    header: list[str] = []
    seen: set[str] = set()
    for name, generated in columns:
        if generated:
            name = ""
        else:
            # fastexcel renames a repeated header "a" to "a_1"; ingest names repeats itself.
            base = re.fullmatch(r"(.*)_\d+", name)
            if base and base.group(1) in seen:
                return None
        seen.add(name)
        header.append(name)
    if len(header) != batch.num_columns:
        return None
    texts: list[pa.Array] = []
    present: list[pa.Array] = []  # per column: an array NULL exactly where the cell is blank
    forced_decimal: dict[int, str] = {}
    excel_numbers: dict[int, pa.Array] = {}
    excel_dates: dict[int, pa.Array] = {}
    free_text: set[int] = set()  # columns of text cells (may be blank)
    serial_dates: list[int] = []
    for index in range(batch.num_columns):
        array = batch.column(index)
        kind = array.type
        if pa.types.is_floating(kind) or pa.types.is_integer(kind):
            values = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
            valid = np.asarray(array.is_valid())
            if valid.any():
                numbers = values[valid]
                integral = np.floor(numbers) == numbers
                if (
                    is_date_header(header[index])
                    and integral.all()
                    and ((numbers >= SERIAL_MIN) & (numbers <= SERIAL_MAX)).all()
                ):
                    days = np.where(valid, values, 0).astype(np.int64)
                    stamps = (_EXCEL_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[s]")
                    excel_dates[index] = pa.array(stamps.astype(np.int64), pa.timestamp("s"), mask=~valid)
                    serial_dates.append(index)
                else:
                    forced_decimal[index] = "."
                    # -0.0 is written "0" and parses back as 0.0: the same here.
                    excel_numbers[index] = pa.array(np.where(values == 0, 0.0, values), pa.float64(), mask=~valid)
                # Kept as values; their text is written only where needed (native_text).
                texts.append(pa.nulls(len(array), pa.large_string()))
                present.append(array)
            else:
                texts.append(pa.nulls(len(array), pa.large_string()))
                present.append(texts[-1])
        elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            millis = pc.fill_null(array.cast(pa.timestamp("ms")).cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
            valid = np.asarray(array.is_valid())
            if valid.any() and millis[valid].min() < _EARLIEST_DATETIME_MS:
                return None
            seconds = np.floor_divide(np.where(valid, millis, 0), 1000)
            excel_dates[index] = pa.array(seconds, pa.timestamp("s"), mask=~valid)
            texts.append(pa.nulls(len(array), pa.large_string()))
            present.append(array)
        elif pa.types.is_boolean(kind):
            texts.append(pc.if_else(array, "TRUE", "FALSE").cast(pa.large_string()))
            present.append(texts[-1])
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            free_text.add(index)
            texts.append(array.cast(pa.large_string()))
            present.append(texts[-1])
        elif pa.types.is_null(kind):
            texts.append(pa.nulls(len(array), pa.large_string()))
            present.append(texts[-1])
        else:
            return None  # durations and anything else: cell by cell
    body = pa.table(texts, names=[f"c{i}" for i in range(len(texts))]) if texts else pa.table({})
    widths = np.zeros(body.num_rows, dtype=np.int64)
    for index, array in enumerate(present):
        if index in free_text:
            filled = _filled_text(array)
        else:
            filled = pc.is_valid(array)  # the text of a number, date or boolean is never blank
        widths += np.asarray(filled, dtype=np.int64)
    header_width = sum(1 for name in header if name.strip())
    all_widths = np.concatenate([[header_width], widths])
    if header_width == 0 or excel_header_index(all_widths) != 0:
        return None  # a title or a blank line above the header
    if len(header) > max_columns:
        filled_columns = [i for i, array in enumerate(present) if header[i].strip() or array.null_count < len(array)]
        if filled_columns and filled_columns[-1] + 1 > max_columns:
            raise too_many_columns(filename, filled_columns[-1] + 1, max_columns)
    return SheetColumns(
        name=scan.name,
        header=header,
        body=body,
        forced_decimal=forced_decimal,
        numbers=excel_numbers,
        dates=excel_dates,
        serial_dates=serial_dates,
        widths=all_widths,
        trailing_empty_rows=max(0, scan.n_rows - 1 - body.num_rows),
    )


def _filled_text(array: pa.Array) -> pa.Array:
    """True where a text cell is neither NULL nor blank (empty, or whitespace only: what
    ``utf8_trim_whitespace`` would trim to ""), without writing the trimmed strings."""
    blank = pc.or_(pc.equal(pc.binary_length(array), 0), pc.utf8_is_space(array))
    return pc.fill_null(pc.and_(pc.is_valid(array), pc.invert(blank)), False)


def _datetime_texts(seconds: np.ndarray) -> pa.Array:
    """Seconds since 1970 as ``YYYY-MM-DD HH:MM:SS`` (what :func:`cell_text` writes for a
    datetime); Arrow's cast writes exactly this form, some twenty times faster than strftime."""
    return pa.array(seconds, pa.timestamp("s")).cast(pa.large_string())


#: Non-integral numbers in this range are written by Arrow's cast exactly as repr() writes them
#: (both the shortest round-trip digits, fixed notation); outside it the exponent forms differ.
_ARROW_REPR_LOW, _ARROW_REPR_HIGH = 1e-4, 1e10


def _number_texts(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Excel numbers as :func:`cell_text` writes them: whole numbers without '.0', else repr."""
    with np.errstate(invalid="ignore"):
        whole = valid & (np.trunc(values) == values) & (np.abs(values) < 1e15)
    if whole.sum() == valid.sum():
        return pa.array(np.where(valid, values, 0).astype(np.int64)).cast(pa.large_string())
    filled = np.where(valid, values, 0.0)
    texts = pa.array(filled).cast(pa.large_string())
    magnitude = np.abs(filled)
    other = np.flatnonzero(~whole & valid & ((magnitude < _ARROW_REPR_LOW) | (magnitude >= _ARROW_REPR_HIGH)))
    if other.size:
        # Few in practice (amounts of ten billion and more, tiny fractions): written by repr().
        mask = np.zeros(len(texts), dtype=bool)
        mask[other] = True
        fixed = pa.array([repr(float(v)) for v in values[other]], pa.large_string())
        texts = pc.replace_with_mask(texts, pa.array(mask), fixed)
    if not whole.any():
        return texts
    as_int = pa.array(np.where(whole, values, 0).astype(np.int64)).cast(pa.large_string())
    return pc.if_else(pa.array(whole), as_int, texts)


def excel_header_index(widths: np.ndarray | list[int]) -> int:
    """The header row: the first row at least 60 % as wide as the usual width of the last rows."""
    widths = np.asarray(widths, dtype=np.int64)
    filled = widths[widths > 0]
    tail = filled[-50:] if len(filled) > 3 else filled
    values, counts = np.unique(tail, return_counts=True)
    modal = int(values[np.argmax(counts)])  # the smallest of equally frequent widths
    threshold = max(1, -(-6 * modal // 10))
    return int(np.flatnonzero(widths >= threshold)[0])


def _calamine_book(data: bytes, filename: str) -> Any:
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise corrupt_workbook(filename) from exc


def _calamine_value(value: Any) -> Any:
    if value == "":
        return None
    if type(value) is dt.date:
        # calamine gives a date where the time is midnight; openpyxl (and cell_text) a datetime.
        return dt.datetime(value.year, value.month, value.day)
    return value


def _read_calamine_sheet(book: Any, scan: SheetScan, filename: str, max_columns: int) -> SheetCells:
    """The sheet cell by cell through python-calamine, on the grid openpyxl would give."""
    try:
        sheet = book.get_sheet_by_name(scan.name)
        values = sheet.to_python()
        top, left = sheet.start if values else (0, 0)
    except Exception as exc:
        raise corrupt_workbook(filename) from exc
    pad = (None,) * left
    rows: list[tuple[Any, ...]] = [()] * top
    for row in values:
        cells = pad + tuple(_calamine_value(v) for v in row)
        _check_width(cells, filename, max_columns)
        rows.append(cells)
    rows.extend([()] * max(0, scan.n_rows - len(rows)))
    return SheetCells(name=scan.name, rows=rows)


def _read_openpyxl_sheet(data: bytes, scan: SheetScan, filename: str, max_columns: int) -> SheetCells:
    """The sheet through openpyxl, which keeps error cells (``#N/A``) as their text."""
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError/ValueError/XML errors on damaged files
        if "EntitiesForbidden" in type(exc).__name__ or "DTD" in str(exc):
            raise _entity(filename) from exc
        raise corrupt_workbook(filename) from exc
    try:
        sheet = workbook[scan.name]
        if hasattr(sheet, "reset_dimensions"):
            # Excel's stored dimension can be wrong; reading without it reads every cell.
            sheet.reset_dimensions()
        rows: list[tuple[Any, ...]] = []
        try:
            for row in sheet.iter_rows(values_only=True):
                _check_width(row, filename, max_columns)
                rows.append(tuple(row))
        except KamError:
            raise
        except Exception as exc:
            raise corrupt_workbook(filename) from exc
        return SheetCells(name=scan.name, rows=rows)
    finally:
        workbook.close()
def read_xls(data: bytes, filename: str, max_sheets: int, max_columns: int) -> list[SheetCells]:
    """Every worksheet of a legacy .xls, dates converted with the workbook's date mode."""
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise encrypted_workbook(filename) from exc
        raise corrupt_workbook(filename) from exc
    except Exception as exc:
        raise corrupt_workbook(filename) from exc
    try:
        _check_sheet_count(book.nsheets, filename, max_sheets)
        result = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.ncols > max_columns:
                raise too_many_columns(filename, sheet.ncols, max_columns)
            rows = []
            for r in range(sheet.nrows):
                row = []
                for cell in sheet.row(r):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        row.append(None)
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        row.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        row.append(bool(cell.value))
                    else:
                        row.append(cell.value)
                rows.append(tuple(row))
            result.append(SheetCells(name=sheet.name, rows=rows))
            book.unload_sheet(index)
        return result
    finally:
        book.release_resources()


def _check_sheet_count(n_sheets: int, filename: str, max_sheets: int) -> None:
    if n_sheets > max_sheets:
        raise KamError(
            "ingest.too_many_sheets",
            "The workbook '{filename}' has {n_sheets} sheets; the limit is {limit}.",
            filename=filename,
            n_sheets=n_sheets,
            limit=max_sheets,
        )


def _check_width(row: tuple[Any, ...], filename: str, max_columns: int) -> None:
    if len(row) > max_columns:
        last = max((i for i, v in enumerate(row) if v is not None and v != ""), default=-1)
        if last + 1 > max_columns:
            raise too_many_columns(filename, last + 1, max_columns)


def cell_text(value: Any) -> str | None:
    """A cell value as the text ingest's parser understands (numbers with '.', ISO dates)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
