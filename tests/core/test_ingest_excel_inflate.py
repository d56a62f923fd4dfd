"""The scan's own inflate of a worksheet part (ISA-L where python-isal is installed, zlib
otherwise): the same bytes as :mod:`zipfile` gives, never more than the declared size, and a
part that is damaged or unusual refused as :mod:`zipfile` refuses it."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib

import pytest

import kamcore.ingest_excel as ingest_excel
from kamcore.errors import KamError
from kamcore.ingest_excel import scan_xlsx

SHEET = "xl/worksheets/sheet1.xml"


def rows_xml(n_rows: int) -> str:
    return "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="s"><v>{r % 7}</v></c></row>' for r in range(1, n_rows + 1)
    )


def workbook(sheet_xml: str, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal workbook around ``sheet_xml``, every part written with ``method``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr(
            SHEET,
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + sheet_xml
            + "</sheetData></worksheet>",
        )
    return buffer.getvalue()


def headers_of(data: bytes, name: str) -> tuple[int, int]:
    """Offsets of the local header and of the central directory entry of ``name``."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    return info.header_offset, central


def patched(data: bytes, name: str, *, size_delta: int = 0, flags: int = 0, crc_xor: int = 0) -> bytes:
    """``data`` with the member's declared size, flags or CRC changed in both headers."""
    out = bytearray(data)
    local, central = headers_of(data, name)
    for at, flag_at, crc_at, size_at in ((local, 6, 14, 22), (central, 8, 16, 24)):
        (size,) = struct.unpack_from("<I", out, at + size_at)
        struct.pack_into("<I", out, at + size_at, size + size_delta)
        (bits,) = struct.unpack_from("<H", out, at + flag_at)
        struct.pack_into("<H", out, at + flag_at, bits | flags)
        (crc,) = struct.unpack_from("<I", out, at + crc_at)
        struct.pack_into("<I", out, at + crc_at, crc ^ crc_xor)
    return bytes(out)


def chunks(data: bytes, name: str = SHEET) -> list[bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return list(ingest_excel._inflate(archive, name, "x.xlsx", data))


@pytest.fixture(params=["isal-or-zlib", "zlib"])
def inflater(request, monkeypatch):
    """Both the module the code found (python-isal where installed) and the standard zlib."""
    if request.param == "zlib":
        monkeypatch.setattr(ingest_excel, "_zlib", zlib)
        monkeypatch.setattr(ingest_excel, "_crc32", zlib.crc32)
    return request.param


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("size", [7, 64, 1000, 1024 * 1024])
def test_the_part_comes_out_byte_for_byte_in_chunks_of_at_most_the_chunk_size(monkeypatch, inflater, method, size):
    data = workbook(rows_xml(3000), method)
    expected = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    monkeypatch.setattr(ingest_excel, "_SCAN_CHUNK", size)
    got = chunks(data)
    assert b"".join(got) == expected
    assert max(len(chunk) for chunk in got) <= size
    assert ingest_excel._raw_member(data, zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET)) is not None


def test_the_scan_finds_the_same_counts_through_either_inflater(monkeypatch):
    data = workbook(rows_xml(2500) + '<row r="2501"><c r="AB2501"><v>1</v></c></row>')
    found = scan_xlsx(data, "x.xlsx", 10**9)
    assert [(s.n_cells, s.n_rows, s.n_columns) for s in found] == [(5001, 2501, 28)]
    monkeypatch.setattr(ingest_excel, "_zlib", zlib)
    monkeypatch.setattr(ingest_excel, "_crc32", zlib.crc32)
    assert scan_xlsx(data, "x.xlsx", 10**9) == found


def test_a_highly_compressed_part_is_inflated_one_chunk_at_a_time(monkeypatch, inflater):
    # 12 MB of one repeated cell compress to a few KB: no call may inflate more than a chunk.
    cell = '<row r="1"><c r="A1"><v>1</v></c></row>'
    data = workbook(cell * (12 * 1024 * 1024 // len(cell)))
    monkeypatch.setattr(ingest_excel, "_SCAN_CHUNK", 256 * 1024)
    got = chunks(data)
    assert max(len(chunk) for chunk in got) <= 256 * 1024
    assert sum(len(chunk) for chunk in got) == zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_wrong_crc_is_refused_as_zipfile_refuses_it(inflater, method):
    data = patched(workbook(rows_xml(200), method), SHEET, crc_xor=1)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    with pytest.raises(KamError) as exc:
        scan_xlsx(data, "x.xlsx", 10**9)
    assert exc.value.code == "ingest.corrupt_workbook"


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_part_that_ends_before_its_declared_size_is_read_to_its_end_as_zipfile_reads_it(inflater, method):
    data = patched(workbook(rows_xml(200), method), SHEET, size_delta=10)
    assert b"".join(chunks(data)) == zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    [scan] = scan_xlsx(data, "x.xlsx", 10**9)
    assert (scan.n_cells, scan.n_rows) == (400, 200)


def test_deflate_data_cut_before_its_end_of_stream_marker_is_refused(inflater):
    data = bytearray(workbook(rows_xml(400)))
    local, central = headers_of(bytes(data), SHEET)
    for at in (local + 18, central + 20):  # the compressed size, 30 bytes less
        (size,) = struct.unpack_from("<I", data, at)
        struct.pack_into("<I", data, at, size - 30)
    data = bytes(data)
    with pytest.raises((EOFError, zipfile.BadZipFile)):
        zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    with pytest.raises(KamError) as exc:
        scan_xlsx(data, "x.xlsx", 10**9)
    assert exc.value.code == "ingest.corrupt_workbook"


def test_a_part_longer_than_its_declared_size_is_read_only_that_far_and_refused(monkeypatch, inflater):
    original = workbook(rows_xml(200))
    declared = zipfile.ZipFile(io.BytesIO(original)).getinfo(SHEET).file_size - 100
    data = patched(original, SHEET, size_delta=-100)
    monkeypatch.setattr(ingest_excel, "_SCAN_CHUNK", 64)
    archive = zipfile.ZipFile(io.BytesIO(data))
    produced = 0
    with pytest.raises(KamError) as exc:
        for chunk in ingest_excel._inflate(archive, SHEET, "x.xlsx", data):
            produced += len(chunk)
    assert exc.value.code == "ingest.corrupt_workbook"  # the CRC of the first `declared` bytes
    assert produced == declared


def test_a_local_header_naming_another_part_goes_through_zipfile_and_is_refused(inflater):
    data = bytearray(workbook(rows_xml(50)))
    local, _central = headers_of(bytes(data), SHEET)
    data[local + 30 : local + 30 + len(SHEET)] = SHEET.replace("sheet1", "sheetX").encode()
    data = bytes(data)
    assert ingest_excel._raw_member(data, zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET)) is None
    with pytest.raises(KamError) as exc:
        scan_xlsx(data, "x.xlsx", 10**9)
    assert exc.value.code == "ingest.corrupt_workbook"


def test_an_encrypted_part_goes_through_zipfile_and_is_refused(inflater):
    data = patched(workbook(rows_xml(50)), SHEET, flags=0x1)
    assert ingest_excel._raw_member(data, zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET)) is None
    with pytest.raises(KamError) as exc:
        scan_xlsx(data, "x.xlsx", 10**9)
    assert exc.value.code == "ingest.corrupt_workbook"


def test_damaged_deflate_data_is_refused(inflater):
    data = bytearray(workbook(rows_xml(400)))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET)
    begin = info.header_offset + 30 + len(SHEET) + len(info.extra)
    data[begin : begin + 40] = b"\xff" * 40
    with pytest.raises(KamError) as exc:
        scan_xlsx(bytes(data), "x.xlsx", 10**9)
    assert exc.value.code == "ingest.corrupt_workbook"


# ------------------------------------------------------------ the chunk counts (SWAR)
_REFERENCE = re.compile(rb'<c r="([A-Z]+)([0-9]*)(.?)', re.DOTALL)


def plain_counts(text: bytes) -> tuple[int, int, int, int, int]:
    """What ``_chunk_counts`` must find in ``text`` as one whole chunk, in plain Python."""
    n_tags = len(re.findall(rb"<c[ >]", text))
    n_references = text.count(b'<c r="')
    n_rows = text.count(b"<row")
    widest = highest = 0
    for letters, digits, after in _REFERENCE.findall(text):
        if len(letters) > 3 or not digits:
            continue
        if len(digits) > 8:  # more digits than a sheet has rows, whatever follows
            highest = ingest_excel._TOO_FAR
        elif after == b'"':
            highest = max(highest, int(digits))
        else:
            continue
        if len(letters) >= 2:
            number = 0
            for char in letters:
                number = number * 26 + char - 64
            widest = max(widest, number)
    return n_tags, n_references, n_rows, widest, highest


def random_cells(rnd: random.Random) -> bytes:
    pieces = []
    for _ in range(rnd.randint(0, 30)):
        kind = rnd.random()
        if kind < 0.6:
            letters = bytes(rnd.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ@[`az\x80\xc1") for _ in range(rnd.choice([0, 1, 1, 2, 3, 4, 5])))
            digits = bytes(rnd.choice(b"0123456789") for _ in range(rnd.choice([0, 1, 3, 6, 7, 8, 8, 9, 12])))
            pieces.append(b'<c r="' + letters + digits + rnd.choice([b'"', b'"', b"x", b"", b":", b"/"]) + b' t="s"><v>1</v></c>')
        elif kind < 0.75:
            pieces.append(b'<row r="%d">' % rnd.randint(0, 10**7))
        elif kind < 0.85:
            pieces.append(rnd.choice([b"<c><v>2</v></c>", b'<c t="s" r="A1"/>', b"<rows/><col/>", b"<cols>"]))
        else:
            pieces.append(bytes(rnd.choice(b'<cr="ow >AZ19') for _ in range(rnd.randint(1, 8))))
    return b"".join(pieces)


def test_the_chunk_counts_agree_with_plain_python_on_random_references():
    rnd = random.Random(19)
    for _ in range(3000):
        text = random_cells(rnd)
        assert tuple(ingest_excel._chunk_counts(text + ingest_excel._PAD, 0, len(text))) == plain_counts(text), text


def test_the_byte_tests_of_the_chunk_counts():
    # Each byte value as a reference's first letter and as its first digit.
    for value in range(256):
        byte = bytes([value])
        text = b'<c r="' + byte + b'12"/><c r="A' + byte + b'"/>'
        assert tuple(ingest_excel._chunk_counts(text + ingest_excel._PAD, 0, len(text))) == plain_counts(text), value
    assert plain_counts(b'<c r="AB12"/><c r="XFD1048576"/><c r="A012345678"/>') == (3, 3, 0, 16384, ingest_excel._TOO_FAR)
    assert plain_counts(b'<row r="1"><c r="ZZ99"/><c r="B00000100"/></row>') == (2, 2, 1, 702, 100)


def test_error_cells_are_found_wherever_the_window_puts_them():
    rnd = random.Random(7)
    pieces = [b't="e"', b't="e', b'"e"', b't=e"', b'<c r="A1" t="e">', b"<v>#N/A</v>", b"<c>", b"xx", b'"', b"e"]
    found = 0
    for _ in range(4000):
        text = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        end = rnd.randint(0, len(text))
        start = rnd.randint(0, end)
        window = text[:end] + ingest_excel._PAD
        expected = b't="e"' in window
        found += expected
        assert ingest_excel._window_facts(window, start, end)[1] is expected, (window, start, end)
    assert 1000 < found < 3000  # both answers well represented


@pytest.mark.parametrize("chunk_size", [64 * 1024, 384 * 1024])
def test_every_chunk_but_the_last_is_full(monkeypatch, inflater, chunk_size):
    # Input is topped up before it runs low: no call inflates only the little a full call left.
    data = workbook(rows_xml(60_000))
    monkeypatch.setattr(ingest_excel, "_SCAN_CHUNK", chunk_size)
    sizes = [len(chunk) for chunk in chunks(data)]
    assert len(sizes) > 3
    assert set(sizes[:-1]) == {chunk_size}
    assert sum(sizes) == zipfile.ZipFile(io.BytesIO(data)).getinfo(SHEET).file_size


# ------------------------------------------------------------ cell text of numbers and dates
def test_native_text_of_a_run_of_rows_is_that_of_the_same_rows_taken_one_by_one():
    import datetime as dt

    import fastexcel
    import numpy as np
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Beløp", "Antall", "Dato"])
    for r in range(40):
        sheet.append(
            [
                None if r % 7 == 3 else r * 1.25,  # blanks among numbers
                r,  # no blanks
                None if r % 5 == 1 else dt.datetime(2024, 1, 1) + dt.timedelta(days=r, hours=r % 3),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    [scan] = scan_xlsx(data, "t.xlsx", 10**6)
    columns = ingest_excel._read_columns(fastexcel.read_excel(data), scan, "t.xlsx", 500)
    assert sorted(columns.numbers) == [0, 1] and sorted(columns.dates) == [2]
    for index in (0, 1, 2):
        every = columns.native_text(index).to_pylist()
        for rows in (np.arange(0, 10), np.arange(5, 40), np.array([9, 3, 4]), np.array([2, 3, 5])):
            assert columns.native_text(index, rows).to_pylist() == [every[r] for r in rows]
    assert columns.native_text(0, np.arange(2, 5)).to_pylist() == ["2.5", None, "5"]
    assert columns.native_text(1, np.arange(0, 3)).to_pylist() == ["0", "1", "2"]
    assert columns.native_text(2, np.arange(0, 3)).to_pylist() == ["2024-01-01 00:00:00", None, "2024-01-03 02:00:00"]


def test_a_text_cell_is_filled_unless_trimming_whitespace_leaves_nothing():
    import pyarrow as pa
    import pyarrow.compute as pc

    # Every code point alone and three times over, and a few mixtures.
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = points + [c * 3 for c in points[:0x3100]] + ["", " a ", " ", "\t\n", "\u00a0\u3000", "x\u2028", None]
    array = pa.array(texts, pa.large_string())
    trimmed = pc.fill_null(pc.and_(pc.is_valid(array), pc.not_equal(pc.utf8_trim_whitespace(array), "")), False)
    assert ingest_excel._filled_text(array).equals(trimmed)
    assert ingest_excel._filled_text(pa.array(["", " ", "\u00a0", " a", None, "0"])).to_pylist() == [
        False, False, False, True, False, True,
    ]  # fmt: skip
