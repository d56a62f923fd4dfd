"""Byte-level checks for uploads: what a file really is, its encoding, delimiter and header line.

Everything here looks at content, never at the file name. The helpers are pure functions over
``bytes``/``str`` so they can be tested one by one; :mod:`kamcore.ingest` strings them together.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter

import numpy as np
from pydantic import BaseModel

#: Magic numbers of formats that are certainly not a text table, with the name shown to users.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"\x1f\x8b", "GZIP"),
    (b"BZh", "BZIP2"),
    (b"7z\xbc\xaf\x27\x1c", "7Z"),
    (b"Rar!", "RAR"),
    (b"MZ", "EXE"),
    (b"\x7fELF", "ELF"),
    (b"SQLite format 3\x00", "SQLITE"),
)
ZIP_SIGNATURE = b"PK\x03\x04"
EMPTY_ZIP_SIGNATURE = b"PK\x05\x06"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITERS: tuple[str, ...] = (";", "\t", "|", ",")
#: The layout's delimiter for tables aligned with runs of spaces/tabs (CDNOW, printed reports);
#: ingest rewrites such a file with tabs (see :func:`whitespace_to_tabs`) before reading it.
WHITESPACE = " "
_NUMBER_LIKE = re.compile(r"[-+]?\d+([.,]\d+)?")
SAMPLE_BYTES = 256 * 1024
# Physical lines as DuckDB and line_bounds() see them: LF, CRLF or a lone CR end a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_BREAK = re.compile(r"\r\n|\r|\n")


class TextLayout(BaseModel):
    """Where the table starts in a decoded text: delimiter, header line and its fields."""

    delimiter: str
    header_line: int  # 0-based physical line of the header record
    header: list[str]


def sniff_container(head: bytes) -> str:
    """'zip', 'ole', 'binary:<KIND>' or 'text' from the first bytes of a file.

    Notes
    -----
    UTF-16 text contains NUL bytes, so NULs only mean binary when no UTF-16 pattern fits.
    """
    if head.startswith(ZIP_SIGNATURE) or head.startswith(EMPTY_ZIP_SIGNATURE):
        return "zip"
    if head.startswith(OLE_SIGNATURE):
        return "ole"
    for signature, kind in BINARY_SIGNATURES:
        if head.startswith(signature):
            return f"binary:{kind}"
    if b"\x00" in head and detect_utf16(head) is None:
        return "binary:NUL"
    return "text"


def detect_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the bytes are UTF-16 (BOM or NUL pattern), else None."""
    if head.startswith(codecs.BOM_UTF16_LE) and not head.startswith(codecs.BOM_UTF32_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = head[: 4096 - (min(len(head), 4096) % 2)]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    # Latin-script UTF-16 has a NUL in every other byte and almost none in the rest.
    if odd.count(0) > 0.7 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.7 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> str:
    """The encoding of a text file: utf-8-sig, utf-8, utf-16-le/-be, cp1252 or latin-1.

    Notes
    -----
    Nordic exports are UTF-8 (often with BOM), Windows-1252 or UTF-16 ("Unicode text" from
    Excel). Valid UTF-8 is almost never produced by accident from cp1252 text containing
    æøå/äö, so strict UTF-8 is tried first; cp1252 covers the rest except five unassigned
    bytes, for which latin-1 (which decodes anything) is the answer.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    utf16 = detect_utf16(data[:4096])
    if utf16:
        return utf16
    if _is_utf8(data):
        return "utf-8"
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _is_utf8(data: bytes, chunk: int = 8 * 1024 * 1024) -> bool:
    """True when all of ``data`` is valid UTF-8 (checked in chunks: no full-size copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for offset in range(0, len(data), chunk):
            decoder.decode(view[offset : offset + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


#: A valid UTF-8 sequence for a character beyond ASCII (two to four bytes).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _single_byte(line: bytes, fallback: str) -> str:
    try:
        return line.decode(fallback)
    except UnicodeDecodeError:  # the five bytes cp1252 leaves unassigned
        return line.decode("latin-1")


def split_mixed_encoding(data: bytes, fallback: str = "cp1252", chunk: int = 4 << 20) -> tuple[bytes, list[int]] | None:
    """UTF-8 text with some lines in ``fallback`` (cp1252): the whole file as UTF-8, each line
    decoded in its own encoding, and the 1-based numbers of the lines read as ``fallback``.

    None when the file has no line that is UTF-8 with letters beyond ASCII (then it is simply
    a cp1252 file). Typical source: a UTF-8 export with rows appended by an older program.
    Works through the file in blocks of about ``chunk`` bytes (whole lines), splitting only
    the blocks that are not valid UTF-8 into lines, so memory stays near one copy of the file.
    """
    if _UTF8_MULTIBYTE.search(data) is None:
        return None
    pieces: list[bytes] = []
    fallback_lines: list[int] = []
    utf8_lines = 0
    line_no, position, size = 1, 0, len(data)
    while position < size:
        cut = data.find(b"\n", min(position + chunk, size) - 1)
        end = size if cut == -1 else cut + 1
        block = data[position:end]
        try:
            block.decode("utf-8")
            utf8_lines += not block.isascii()
            pieces.append(block)
        except UnicodeDecodeError:
            lines = block.split(b"\n")
            for index, line in enumerate(lines):
                if line.isascii():
                    continue
                try:
                    line.decode("utf-8")
                    utf8_lines += 1
                except UnicodeDecodeError:
                    fallback_lines.append(line_no + index)
                    lines[index] = _single_byte(line, fallback).encode("utf-8")
            pieces.append(b"\n".join(lines))
        line_no += block.count(b"\n")
        position = end
    if not utf8_lines or not fallback_lines:
        return None
    return b"".join(pieces), fallback_lines


def first_nul_line(data: bytes) -> int | None:
    """The 1-based line of the first NUL byte in UTF-8 ``data``, None when there is none."""
    position = data.find(b"\x00")
    if position == -1:
        return None
    return data.count(b"\n", 0, position) + 1


def decode_text(data: bytes, encoding: str) -> str:
    """``data`` decoded with ``encoding`` (BOM removed)."""
    if encoding in ("utf-16-le", "utf-16-be"):
        text = data.decode(encoding)
        return text[1:] if text.startswith("\ufeff") else text
    return data.decode(encoding)


def control_char_share(text: str) -> float:
    """Share of characters that are control characters other than tab, CR and LF."""
    if not text:
        return 0.0
    return len(_CONTROL.findall(text)) / len(text)


class LineBreaks(BaseModel):
    """How many LF, CR and CRLF (a CR right before an LF) a text holds."""

    lf: int
    cr: int
    crlf: int

    @property
    def lone_cr(self) -> bool:
        """A CR that is not part of a CRLF (old Mac line breaks, stray CRs)."""
        return self.cr > self.crlf


def count_line_breaks(data: bytes, chunk: int = 1 << 20) -> LineBreaks:
    """The LF, CR and CRLF counts of ``data`` in one pass over it.

    Notes
    -----
    numpy over 1 MB slices through reused masks (three to four times faster than
    ``bytes.count``, without a file-sized temporary); the CRLF pairs are
    looked for only in slices that hold a CR, so an LF-only file costs one compare more than
    counting its LF alone. ``chunk`` is the slice size (tests make it tiny to cross slices).
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    lf_mask = np.empty(min(chunk, raw.size), dtype=bool)
    cr_mask = np.empty(min(chunk, raw.size), dtype=bool)
    n_lf = n_cr = n_crlf = 0
    previous_cr = False  # the last byte of the slice before was a CR
    for offset in range(0, raw.size, chunk):
        part = raw[offset : offset + chunk]
        size = part.size
        lf, cr = lf_mask[:size], cr_mask[:size]
        np.equal(part, 10, out=lf)
        n_lf += int(np.count_nonzero(lf))
        if previous_cr and lf[0]:
            n_crlf += 1
        np.equal(part, 13, out=cr)
        crs = int(np.count_nonzero(cr))
        if crs:
            n_cr += crs
            # cr[:-1] is overwritten by the pairs only after it was read (same index or later).
            n_crlf += int(np.count_nonzero(np.logical_and(cr[:-1], lf[1:], out=cr[:-1])))
            previous_cr = bool(part[-1] == 13)
        else:
            previous_cr = False
    return LineBreaks(lf=n_lf, cr=n_cr, crlf=n_crlf)


def line_bounds(data: bytes, chunk: int = 1 << 20, n_breaks: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of every physical line of ``data`` (LF or CRLF line breaks).

    Notes
    -----
    ``data`` must not contain a lone CR (ingest rewrites those to LF first). Vectorised with
    numpy over 1 MB slices through one reused mask, filling two preallocated arrays: on a
    machine where fresh memory is slow to touch, file-sized temporaries would cost more than
    the scan itself. The end offset excludes the line break; a final line without a break
    is included. ``chunk`` is the slice size in bytes (tests make it tiny to cross slices);
    ``n_breaks`` is ``data.count(b"\\n")`` where the caller counted it already.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if n_breaks is None:
        n_breaks = data.count(b"\n")
    final = 0 if data.endswith(b"\n") else 1  # a last line without a line break
    starts = np.empty(n_breaks + final, dtype=np.int64)
    ends = np.empty(n_breaks + final, dtype=np.int64)
    starts[0] = 0
    mask = np.empty(min(chunk, raw.size), dtype=bool)
    filled = 0
    for offset in range(0, raw.size, chunk):
        part = raw[offset : offset + chunk]
        np.equal(part, 10, out=mask[: part.size])
        found = np.flatnonzero(mask[: part.size])
        if not found.size:
            continue
        # A CR right before the LF belongs to the line break (it may sit in the previous slice).
        before = found - 1
        crlf = raw[before + offset] == 13 if offset else np.where(before >= 0, raw[np.maximum(before, 0)] == 13, False)
        ends[filled : filled + found.size] = found + offset - crlf
        stop = min(filled + found.size + 1, starts.size)
        starts[filled + 1 : stop] = (found + offset + 1)[: stop - filled - 1]
        filled += found.size
    if final:
        ends[-1] = raw.size
    return starts, ends


def longest_line(data: bytes, starts: np.ndarray, ends: np.ndarray) -> tuple[int, int]:
    """(1-based line number, length in characters) of the longest line of UTF-8 ``data``."""
    if starts.size == 0:
        return 0, 0
    lengths = ends - starts
    index = int(np.argmax(lengths))
    chars = len(data[starts[index] : ends[index]].decode("utf-8", errors="replace"))
    return index + 1, chars


def _records(text: str, delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    """(0-based start line, fields) of the first ``limit`` records, blank lines as []."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for fields in reader:
            records.append((line, fields))
            line = reader.line_num
            if len(records) >= limit:
                break
    except csv.Error:
        pass
    return records


def _nonempty(fields: list[str]) -> int:
    return sum(1 for field in fields if field.strip())


def detect_layout(sample: str, complete: bool) -> TextLayout:
    """Delimiter and header line of a decoded text sample.

    Parameters
    ----------
    sample : the decoded start of the file (line breaks as in the file).
    complete : True when ``sample`` is the whole file; otherwise its last line may be cut and
        is ignored.

    Notes
    -----
    Delimiter: the candidate whose data lines (the last records of the sample, where title
    rows cannot be) most consistently split into the same number (> 1) of fields; ties go to
    ``;`` then tab, ``|``, ``,``. Header: the first record with at least 60 % of that modal
    count of non-empty fields — title lines ("Salgsrapport 2026") and blank lines above it
    have fewer.
    """
    if not complete:
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        sample = sample[:cut] if cut > 0 else sample
    best: tuple[tuple[float, int, int], str] | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        records = [fields for _, fields in _records(sample, delimiter, 200) if _nonempty(fields)]
        tail = records[-50:] if len(records) > 3 else records
        if not tail:
            continue
        counts = Counter(len(fields) for fields in tail)
        modal, freq = counts.most_common(1)[0]
        consistency = round(freq / len(tail), 1) if modal > 1 else 0.0
        score = (consistency, modal if modal > 1 else 0, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter)
    if not (best and best[0][0] > 0) and (figures := _whitespace_figures(sample)) is not None:
        return _whitespace_layout(sample, *figures)
    delimiter = best[1] if best and best[0][0] > 0 else ","
    records = _records(sample, delimiter, 200)
    widths = [_nonempty(fields) for _, fields in records if _nonempty(fields)]
    tail = widths[-50:] if len(widths) > 3 else widths
    modal_width = Counter(tail).most_common(1)[0][0] if tail else 0
    threshold = max(1, int(np.ceil(0.6 * modal_width)))
    for line, fields in records:
        if _nonempty(fields) >= threshold:
            return TextLayout(delimiter=delimiter, header_line=line, header=fields)
    return TextLayout(delimiter=delimiter, header_line=0, header=[])


def _physical_lines(text: str) -> list[str]:
    """``text`` split at LF, CRLF and CR only (str.splitlines also splits at \\x0c, \\x85 ...),
    so line numbers match the lines DuckDB and :func:`line_bounds` count."""
    return _BREAK.split(text)


def _whitespace_figures(sample: str) -> tuple[int, int] | None:
    """(fields per line, a field position holding numbers) when runs of spaces/tabs split
    ``sample`` into a table; None when they do not.

    Notes
    -----
    The last 50 non-blank lines must split into the same number (> 1) of fields in at least
    90 % of cases, and one field position must hold numbers in at least 80 % of the later
    half of those lines (where title and header lines cannot be): a column of names with
    spaces ("Ola Nordmann") is not a table, a report of figures is.
    """
    lines = [line.split() for line in _physical_lines(sample) if line.strip()][:200]
    tail = lines[-50:] if len(lines) > 3 else lines
    if len(tail) < 2:
        return None
    modal, freq = Counter(len(fields) for fields in tail).most_common(1)[0]
    if modal < 2 or freq / len(tail) < 0.9:
        return None
    rows = [fields for fields in tail if len(fields) == modal]
    rows = rows[len(rows) // 2 :]
    for position in range(modal):
        if sum(bool(_NUMBER_LIKE.fullmatch(fields[position])) for fields in rows) >= 0.8 * len(rows):
            return modal, position
    return None


def _whitespace_layout(sample: str, width: int, figures: int) -> TextLayout:
    """The header is the last non-blank line above the first line of figures (else line 0)."""
    lines = _physical_lines(sample)
    header_line = 0
    for number, line in enumerate(lines):
        fields = line.split()
        if len(fields) == width and _NUMBER_LIKE.fullmatch(fields[figures]):
            break
        if fields:
            header_line = number
    return TextLayout(delimiter=WHITESPACE, header_line=header_line, header=lines[header_line].split())


_EDGE_BLANKS = re.compile(rb"^[ \t]+|[ \t]+(?=\r?$)", re.MULTILINE)
_INNER_BLANKS = re.compile(rb"[ \t]+")


def whitespace_to_tabs(data: bytes) -> bytes:
    """``data`` with blanks at line starts/ends removed and every run of spaces/tabs as one tab.

    Line breaks are untouched, so every line keeps its number.
    """
    return _INNER_BLANKS.sub(b"\t", _EDGE_BLANKS.sub(b"", data))


def record_lines(text: str, delimiter: str, header_line: int, wanted: set[int]) -> dict[int, int]:
    """1-based physical line where each wanted data record starts (record 1 = after header).

    Notes
    -----
    Only used for rejected rows of files containing quotes (a quoted field may span lines),
    so the Python loop runs on the cold path. Blank lines are skipped as DuckDB skips them.
    """
    if not wanted:
        return {}
    lines = _LINE.findall(text)
    reader = csv.reader(
        io.StringIO("".join(lines[header_line:]), newline=""),
        delimiter=delimiter,
        quotechar='"',
        strict=False,
    )
    found: dict[int, int] = {}
    last = max(wanted)
    record = -1
    line = 0
    for fields in reader:
        start = line
        line = reader.line_num
        if not fields:
            continue
        record += 1
        if record in wanted:
            found[record] = header_line + start + 1
        if record >= last:
            break
    return found
