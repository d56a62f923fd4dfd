"""The Excel readers: fastexcel's columns, python-calamine's cells and openpyxl's cells give
ingest the same tables; hostile workbooks are refused before a reader allocates for them."""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

import kamcore.ingest_excel as ingest_excel
from kamcore.errors import KamError
from kamcore.ingest import IngestSettings, load_file
from kamcore.ingest_excel import SheetColumns, cell_text, excel_header_index, scan_xlsx

BAD = Path(__file__).resolve().parents[1] / "fixtures" / "bad"


def xlsx(build) -> bytes:
    workbook = Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_openpyxl(monkeypatch):
    """Make every sheet go through openpyxl (the reader KAM Studio used before)."""

    def openpyxl_sheet(_book, scan, filename, max_columns):
        return ingest_excel._read_openpyxl_sheet(data_holder["data"], scan, filename, max_columns)

    data_holder: dict[str, bytes] = {}
    monkeypatch.setattr(ingest_excel, "_read_columns", lambda *a, **k: None)
    monkeypatch.setattr(ingest_excel, "_read_calamine_sheet", openpyxl_sheet)
    return data_holder


def outcome(result):
    return [
        (
            t.name,
            t.data.to_dict("list"),
            [str(d) for d in t.data.dtypes],
            t.format.model_dump(),
            t.quality.model_dump(),
            t.rejected.to_dict("list"),
        )
        for t in result.tables
    ]


def same_as_openpyxl(data: bytes, monkeypatch, path_expected: str) -> list:
    seen: list[str] = []
    real_columns, real_cells = ingest_excel._read_columns, ingest_excel._read_calamine_sheet

    def spy_columns(*args, **kwargs):
        sheet = real_columns(*args, **kwargs)
        seen.append("columns" if sheet is not None else "columns refused")
        return sheet

    def spy_cells(*args, **kwargs):
        seen.append("cells")
        return real_cells(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(ingest_excel, "_read_columns", spy_columns)
        patch.setattr(ingest_excel, "_read_calamine_sheet", spy_cells)
        fast = outcome(load_file(data, filename="bok.xlsx"))
    assert path_expected in seen, seen
    with monkeypatch.context() as patch:
        holder = with_openpyxl(patch)
        holder["data"] = data
        reference = outcome(load_file(data, filename="bok.xlsx"))
    assert fast == reference
    return fast


def typed_sheet(workbook):
    sheet = workbook.active
    sheet.title = "Salg"
    sheet.append(["Kundenr", "Navn", "Fakturadato", "Tid", "Beløp", "Antall", "Aktiv", "Fakturadato 2", "Notat"])
    values = [
        (1001, "Bølgen AS", dt.datetime(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 45, 10), 1250.5, 3, True, 46023, " x "),
        (1002, "  ", dt.datetime(2026, 2, 6), dt.datetime(1960, 7, 1, 8, 0, 59), -0.1, 0, False, 46054, None),
        (1003, "Fjørå", None, dt.datetime(2030, 12, 31, 23, 59, 59), 1e-5, 10**14, True, 46100, "=tekst"),
        (1004, None, dt.datetime(2024, 2, 29), None, 1e20, -7, None, 46101, ""),
        (1005, "Ærlig", dt.datetime(2025, 6, 30), dt.datetime(2025, 6, 30, 0, 0, 1), 0.25, 12, False, None, "sist"),
    ]
    for row in values:
        sheet.append(list(row))
    sheet.append([None] * 9)
    sheet.append([1006, "Etter tom rad", dt.datetime(2025, 1, 1), None, 123456789.125, 1, True, 46200, None])


def test_typed_columns_read_by_fastexcel_give_the_same_table_as_openpyxl(monkeypatch):
    [(name, data, dtypes, fmt, quality, rejected)] = same_as_openpyxl(xlsx(typed_sheet), monkeypatch, "columns")
    assert name == "Salg"
    assert data["Kundenr"] == ["1001", "1002", "1003", "1004", "1005", "1006"]  # an id stays text
    assert data["Beløp"] == [1250.5, -0.1, 1e-5, 1e20, 0.25, 123456789.125]
    assert data["Tid"][1] == pd.Timestamp("1960-07-01 08:00:59")
    assert data["Fakturadato 2"][0] == pd.Timestamp("2026-01-01")  # serial day numbers
    assert dtypes[2] == "datetime64[ns]" and dtypes[6] == "str"
    assert quality["empty_rows"] == 1 and fmt["header_row"] == 1


def test_a_column_mixing_text_and_numbers_is_read_cell_by_cell_with_the_same_result(monkeypatch):
    def build(workbook):
        sheet = workbook.active
        sheet.append(["Kunde", "Beløp", "Dato"])
        for i in range(12):
            sheet.append([f"K{i}", i * 10.5, dt.datetime(2026, 1, i + 1)])
        sheet.append(["K12", "tolv", dt.datetime(2026, 2, 1, 12, 30)])

    [table] = same_as_openpyxl(xlsx(build), monkeypatch, "columns refused")
    assert table[5]["reason"] == ["Row 14, column 'Beløp': 'tolv' is not a number."]
    assert table[1]["Dato"][:2] == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-02")]


def test_title_rows_and_an_offset_table_are_read_cell_by_cell_with_the_same_result(monkeypatch):
    def build(workbook):
        sheet = workbook.active
        sheet["C2"] = "Salgsrapport 2026"
        sheet.append([])
        for row in [("Kunde", "Dato", "Beløp"), ("A", dt.datetime(2026, 3, 1), 10), ("B", dt.datetime(2026, 3, 2), 2.5)]:
            sheet.append([None, None, *row])

    [table] = same_as_openpyxl(xlsx(build), monkeypatch, "cells")
    assert table[3]["header_row"] == 4
    assert table[1]["Beløp"] == [10.0, 2.5]


def test_error_cells_keep_their_text_through_openpyxl():
    def build(workbook):
        sheet = workbook.active
        sheet.append(["Kunde", "Beløp"])
        for i in range(10):
            sheet.append([f"K{i}", i + 0.5])
        sheet.append(["B", "#N/A"])
        sheet["B12"].data_type = "e"

    parsed = load_file(xlsx(build), filename="e.xlsx").tables[0]
    assert parsed.rejected["reason"].tolist() == ["Row 12, column 'Beløp': '#N/A' is not a number."]


def test_number_text_is_the_shortest_round_trip_form():
    import numpy as np

    values = np.array([0.1 + 0.2, 1e-5, 1e20, 1e15, 999999999999999.0, -2.5, 5e-324, 12.0])
    texts = ingest_excel._number_texts(values, np.ones(len(values), dtype=bool)).to_pylist()
    assert texts == [cell_text(float(v)) for v in values]
    assert texts == ["0.30000000000000004", "1e-05", "1e+20", "1000000000000000.0", "999999999999999", "-2.5", "5e-324", "12"]
    assert ingest_excel._number_texts(np.array([3.5e15, 1e16]), np.ones(2, dtype=bool)).to_pylist() == ["3500000000000000.0", "1e+16"]


def test_header_index_is_the_first_row_wide_enough():
    assert excel_header_index([1, 0, 3, 3, 3, 2]) == 2
    assert excel_header_index([2, 3, 3, 3]) == 0  # 2 >= 60 % of 3
    assert excel_header_index([1, 5, 5, 4, 4]) == 1  # equally frequent widths: the smaller is usual


def test_legacy_xls_still_reads():
    parsed = load_file(BAD / "legacy.xls").tables[0]
    assert parsed.format.file_type == "xls" and parsed.quality.rows_kept > 0


# --------------------------------------------------------------------------- hostile files
def raw_xlsx(sheet_xml: str, shared: str | None = None) -> bytes:
    """A minimal workbook around hand-written worksheet XML (as a crafted file would be)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' if shared else "")
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            + ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' if shared else "")
            + "</Relationships>",
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + sheet_xml
            + "</sheetData></worksheet>",
        )
        if shared:
            archive.writestr("xl/sharedStrings.xml", shared)
    return buffer.getvalue()


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def sparse_far_column(rows: int) -> bytes:
    """One number per row, in column SF (500): a small file whose grid is rows x 500."""
    body = '<row r="1"><c r="A1"><v>1</v></c></row>' + "".join(
        f'<row r="{r}"><c r="SF{r}"><v>{r}</v></c></row>' for r in range(2, rows + 1)
    )
    return raw_xlsx(body)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_a_small_workbook_with_cells_far_apart_is_refused_before_reading_and_memory_returns(monkeypatch):
    data = sparse_far_column(40_000)
    assert len(data) < 600_000

    def must_not_read(*args, **kwargs):
        raise AssertionError("a reader was opened before the cell count was checked")

    load_file(xlsx(typed_sheet), filename="warm.xlsx")
    gc.collect()
    baseline = _rss_mb()
    with monkeypatch.context() as patch:
        import fastexcel

        patch.setattr(fastexcel, "read_excel", must_not_read)
        with pytest.raises(KamError) as exc:
            load_file(data, filename="glissen.xlsx")
    assert exc.value.code == "ingest.too_many_cells"
    assert str(exc.value) == (
        "The table in 'glissen.xlsx' is too large to read: 40000 rows × 500 columns = 20000000 cells, "
        "more than the limit of 15000000."
    )
    gc.collect()
    assert _rss_mb() - baseline < 30


def test_a_cell_reference_far_below_its_row_counts_where_calamine_puts_it():
    # Row elements say rows 1-2; the second cell claims row 900000 of column SF.
    data = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="SF900000"><v>2</v></c></row>')
    [scan] = scan_xlsx(data, "x.xlsx", 10**9)
    assert (scan.n_rows, scan.n_columns) == (900_000, 500)
    with pytest.raises(KamError) as exc:
        load_file(data, filename="x.xlsx")
    assert exc.value.code == "ingest.too_many_cells"
    # A single-letter column far down is found too.
    data = raw_xlsx('<row r="1"><c r="A1"><v>1</v></c><c r="B999999"><v>2</v></c></row>')
    [scan] = scan_xlsx(data, "x.xlsx", 10**9)
    assert scan.n_rows == 999_999


def test_cells_counted_when_references_are_missing_or_not_first():
    cells = "".join(f'<c s="0" r="{col}1"><v>1</v></c>' for col in ("A", "B", "C")) + "<c><v>4</v></c>"
    [scan] = scan_xlsx(raw_xlsx(f'<row r="1">{cells}</row>'), "x.xlsx", 1000)
    assert scan.n_cells == 4 and scan.n_rows == 1 and scan.n_columns >= 4


def test_millions_of_tiny_shared_strings_are_refused():
    shared = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "<si><t>a</t></si>" * 2001
        + "</sst>"
    )
    data = raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=shared)
    with pytest.raises(KamError) as exc:
        load_file(data, filename="tekst.xlsx", settings=IngestSettings(max_cells=2000))
    assert exc.value.code == "ingest.too_many_strings"
    assert str(exc.value) == "The workbook 'tekst.xlsx' holds 2001 different texts; the limit is 2000."


def test_hostile_corpus_never_reaches_fastexcel(monkeypatch):
    import fastexcel

    def must_not_read(*args, **kwargs):
        raise AssertionError("fastexcel opened a refused workbook")

    monkeypatch.setattr(fastexcel, "read_excel", must_not_read)
    for name, code in [
        ("billion_laughs.xlsx", "ingest.xml_entity"),
        ("zip_bomb.xlsx", "ingest.zip_bomb"),
        ("encrypted.xlsx", "ingest.encrypted_workbook"),
        ("not_a_zip.xlsx", "ingest.corrupt_workbook"),
    ]:
        with pytest.raises(KamError) as exc:
            load_file(BAD / name)
        assert exc.value.code == code, name


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_a_csv_of_one_character_lines_is_refused_by_its_line_count_and_memory_returns():
    data = b"a\n" + b"x\n" * 16_000_000  # 32 MB, 16M cells
    load_file(b"a\nx\n", filename="warm.csv")
    gc.collect()
    baseline = _rss_mb()
    with pytest.raises(KamError) as exc:
        load_file(data, filename="linjer.csv")
    assert exc.value.code == "ingest.too_many_cells"
    assert exc.value.params["n_rows"] == 16_000_002 and exc.value.params["n_columns"] == 1
    gc.collect()
    assert _rss_mb() - baseline < 30


def test_the_cell_limit_counts_header_fields_times_lines():
    rows = "".join(f"{i};{i}\n" for i in range(60))
    with pytest.raises(KamError) as exc:
        load_file(f"a;b\n{rows}".encode(), filename="to.csv", settings=IngestSettings(max_cells=100))
    assert exc.value.params == {
        "filename": "to.csv", "n_rows": 62, "n_columns": 2, "n_cells": 124, "limit": 100,
    }  # fmt: skip
    assert load_file(f"a;b\n{rows}".encode(), filename="to.csv", settings=IngestSettings(max_cells=124)).tables


def test_columns_model_is_what_the_fast_reader_returns():
    data = xlsx(typed_sheet)
    import fastexcel

    [scan] = scan_xlsx(data, "t.xlsx", 10**6)
    sheet = ingest_excel._read_columns(fastexcel.read_excel(data), scan, "t.xlsx", 500)
    assert isinstance(sheet, SheetColumns)
    assert sheet.forced_decimal == {0: ".", 4: ".", 5: "."}
    assert sheet.serial_dates == [7]
    # '=tekst' is a formula to openpyxl (no cached value: empty); '' is not written.
    assert sheet.widths.tolist() == [9, 9, 7, 7, 5, 8, 0, 7]


def _facts(text: bytes) -> ingest_excel._ChunkFacts:
    """The facts of ``text`` as one chunk."""
    return ingest_excel._chunk_counts(text + ingest_excel._PAD, 0, len(text))


def test_the_scan_reads_every_reference_for_the_widest_column_and_the_highest_row():
    chunk = b'<row r="7"><c r="A7" t="s"><v>0</v></c><c r="K7"><v>1</v></c><c r="A8"/><c r="AB3"/></row>'
    assert _facts(chunk) == (4, 4, 1, 28, 8)  # cells, references, rows, widest (AB), highest row
    assert _facts(b'<c r="ZZZ1048576"/>')[3:] == (26 * 676 + 26 * 26 + 26, 1048576)
    assert _facts(b'<c r="XFD1"/><c r="B500"/>')[3:] == (16384, 500)
    assert _facts(b'<c r="A99"/><c r="B100"/><c r="C95"/><c r="D109"/><c r="E999x"/><c r="F0108"/>')[3:] == (0, 109)
    assert _facts(b'<c r="A99"/><c r="F0110"/><c r="G00000007"/>')[3:] == (0, 110)  # leading zeros: by value
    # Not a reference: no digits, four letters, no closing quote; and cells without one.
    assert _facts(b'<c r="AB"/><c r="ABCD1"/><c r="AB3x"/><c t="s" r="AC5"/><c><v>1</v></c>') == (5, 3, 0, 0, 0)
    # More digits than a sheet has rows: as far as the scan reads.
    assert _facts(b'<c r="A123456789012"/>')[4] == ingest_excel._TOO_FAR
    assert _facts(b'<row r="1"/><rows/><cols><col/></cols><c/>') == (0, 0, 2, 0, 0)


@pytest.mark.parametrize("size", [5, 6, 7, 11, 64, 1000])
def test_the_scan_counts_each_cell_row_and_reference_once_wherever_chunks_are_cut(size):
    text = b"".join(
        b'<row r="%d" spans="1:3"><c r="A%d" t="s"><v>0</v></c><c r="B%d"/><c><v>2</v></c></row>' % (r, r, r)
        for r in range(1, 40)
    )
    totals = np.zeros(3, dtype=np.int64)
    tail = b""
    for offset in range(0, len(text), size):
        chunk = text[offset : offset + size]
        totals += _facts_in(tail + chunk + ingest_excel._PAD, len(tail), len(tail) + len(chunk))
        tail = chunk[-64:]
    assert totals.tolist() == [39 * 3, 39 * 2, 39] == list(_facts(text)[:3])


def _facts_in(window: bytes, start: int, end: int) -> list[int]:
    return list(ingest_excel._chunk_counts(window, start, end)[:3])


@pytest.mark.parametrize("size", [64, 97, 250, 4096])
def test_a_worksheet_scanned_in_small_chunks_gives_what_one_chunk_gives(monkeypatch, size):
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="e"><v>#N/A</v></c>'
        + (f'<c r="AD{r}"><v>1</v></c>' if r == 150 else "")
        + "</row>"
        for r in range(1, 300)
    )
    data = raw_xlsx(rows + '<row r="300"><c r="C300"><v>1</v></c><c r="C301"><v>1</v></c></row>')
    [whole] = scan_xlsx(data, "x.xlsx", 10**9)
    assert (whole.n_cells, whole.n_rows, whole.n_columns, whole.starts_at_a1, whole.has_error_cells) == (
        601, 301, 30, True, True,
    )  # fmt: skip
    monkeypatch.setattr(ingest_excel, "_SCAN_CHUNK", size)
    assert scan_xlsx(data, "x.xlsx", 10**9) == [whole]


def test_shared_strings_cut_by_a_chunk_boundary_are_counted_once(monkeypatch):
    shared = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + '<si><t>a</t></si><si xml:space="preserve"><t> b</t></si>' * 1000
        + "</sst>"
    )
    data = raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared=shared)
    for size in (7, 10, 33):
        monkeypatch.setattr(ingest_excel, "_SCAN_CHUNK", size)
        scan_xlsx(data, "tekst.xlsx", 2000)
        with pytest.raises(KamError) as exc:
            scan_xlsx(data, "tekst.xlsx", 1999)
        assert exc.value.params["n_strings"] == 2000


def test_number_texts_are_what_cell_text_writes_for_every_magnitude():
    values = np.array(
        [0.0, -0.0, 1.0, -7.0, 0.1, 0.5, 1 / 3, -2 / 3, 6085.24, -1234.5, 1e-4, 9.999e-5, 1.5e-5, 3e-9,
         123456.789, 9999999999.5, 1e10 + 0.5, 12345678901.25, 999999999999999.0, 1e15, 1e15 + 2.0,
         123456789012345.6, 1e16, 2.5e20, 0.30000000000000004, 1e-300, 4.0, 42.0]
    )  # fmt: skip
    valid = np.ones(len(values), dtype=bool)
    valid[3] = False
    texts = ingest_excel._number_texts(values, valid).to_pylist()
    expected = [cell_text(float(v)) for v in values]
    assert [t for t, ok in zip(texts, valid, strict=True) if ok] == [e for e, ok in zip(expected, valid, strict=True) if ok]
    assert texts[8] == "6085.24" and texts[10] == "0.0001" and texts[11] == "9.999e-05" and texts[20] == "1000000000000002.0"
    # whole numbers alone take the integer path
    whole = ingest_excel._number_texts(np.array([3.0, -12.0, 0.0]), np.ones(3, dtype=bool)).to_pylist()
    assert whole == ["3", "-12", "0"]


def test_datetime_texts_are_what_cell_text_writes():
    stamps = [dt.datetime(1900, 3, 1), dt.datetime(2024, 2, 29, 13, 5, 9), dt.datetime(9999, 12, 31, 23, 59, 59)]
    seconds = np.array([int((s - dt.datetime(1970, 1, 1)).total_seconds()) for s in stamps], dtype=np.int64)
    assert ingest_excel._datetime_texts(seconds).to_pylist() == [cell_text(s) for s in stamps]


@pytest.mark.parametrize(
    "header",
    [
        ["Kunde", None, "Beløp"],  # an empty header cell: fastexcel makes up "__UNNAMED__1"
        ["Kunde", "__UNNAMED__1", "Beløp"],  # a header written like fastexcel's made-up name
        ["Kunde", "Notat", "Beløp"],  # no such name: fastexcel is not asked where names came from
    ],
)
def test_header_names_fastexcel_made_up_are_told_from_headers_written_so(monkeypatch, header):
    def build(workbook):
        sheet = workbook.active
        sheet.append(header)
        sheet.append(["A", "x", 10])
        sheet.append(["B", "y", 2.5])

    [(_name, data, _dtypes, _fmt, quality, _rejected)] = same_as_openpyxl(xlsx(build), monkeypatch, "columns")
    expected = ["Kunde", "column 2", "Beløp"] if header[1] is None else header
    assert list(data) == expected
    assert data[expected[1]] == ["x", "y"]


def rejected_rows_sheet(workbook):
    """Numbers, date-times and serial dates beside a text column of amounts with bad cells."""
    sheet = workbook.active
    sheet.title = "Salg"
    sheet.append(["Pris", "Beløp", "Kundenr", "Ordredag", "Tidspunkt", "Fakturadato", "Kunde"])
    amounts = [1250.5, -0.0, 1e-5, 1e16, 12345678901.25, 3.0, -7.125, 0.1] + [i * 0.5 for i in range(8, 20)]
    for i, amount in enumerate(amounts):
        price = "abc" if i in (6, 16) else f"{i + 1},50"
        sheet.append(
            [price, amount, 1001 + i, 20240101 + i, dt.datetime(2024, 1, 1, 8, 30, 15) + dt.timedelta(hours=7 * i),
             45000 + i, f"Kunde {i}"]
        )  # fmt: skip


@pytest.mark.parametrize("sample_rows", [10_000, 3])
def test_numbers_and_dates_staged_as_values_give_the_text_of_rejected_rows(monkeypatch, sample_rows):
    # With a sample of 3 rows, the rejected rows and most of the columns typed otherwise than
    # their Excel type (Kundenr: text, Ordredag: compact dates) lie past the text staged for it.
    import kamcore.ingest as ingest

    monkeypatch.setattr(ingest, "PROFILE_SAMPLE_ROWS", sample_rows)
    [(name, data, dtypes, fmt, quality, rejected)] = same_as_openpyxl(
        xlsx(rejected_rows_sheet), monkeypatch, "columns"
    )
    assert name == "Salg" and quality["rows_rejected"] == 2 and quality["rows_kept"] == 18
    assert rejected["Beløp"] == ["-7.125", "8"]
    assert rejected["Kundenr"] == ["1007", "1017"]
    assert rejected["Ordredag"] == ["20240107", "20240117"]
    assert rejected["Tidspunkt"] == ["2024-01-03 02:30:15", "2024-01-06 00:30:15"]
    assert rejected["Fakturadato"] == ["2023-03-21 00:00:00", "2023-03-31 00:00:00"]
    assert rejected["source_row"] == [8, 18]
    assert data["Beløp"][:7] == [1250.5, 0.0, 1e-5, 1e16, 12345678901.25, 3.0, 0.1]
    assert data["Kundenr"][:7] == ["1001", "1002", "1003", "1004", "1005", "1006", "1008"]
    assert data["Ordredag"][-1] == pd.Timestamp("2024-01-20")
    assert data["Ordredag"][1] == pd.Timestamp("2024-01-02")
    assert data["Tidspunkt"][5] == pd.Timestamp("2024-01-02 19:30:15")
    assert data["Fakturadato"][0] == pd.Timestamp("2023-03-15")
    assert dtypes == ["float64", "float64", "str", "datetime64[ns]", "datetime64[ns]", "datetime64[ns]", "str"]


def test_the_columns_model_keeps_numbers_and_dates_as_values_and_writes_their_text_on_demand():
    import fastexcel

    data = xlsx(rejected_rows_sheet)
    [scan] = scan_xlsx(data, "t.xlsx", 10**6)
    sheet = ingest_excel._read_columns(fastexcel.read_excel(data), scan, "t.xlsx", 500)
    assert sorted(sheet.numbers) == [1, 2, 3] and sorted(sheet.dates) == [4, 5]
    assert sheet.body.column(1).null_count == 20  # no text staged for them
    assert sheet.native_text(1).to_pylist()[:8] == [
        "1250.5", "0", "1e-05", "1e+16", "12345678901.25", "3", "-7.125", "0.1",
    ]  # fmt: skip
    assert sheet.native_text(1, np.array([4, 2])).to_pylist() == ["12345678901.25", "1e-05"]
    assert sheet.native_text(4, np.array([0])).to_pylist() == ["2024-01-01 08:30:15"]
    assert sheet.native_text(5, np.array([7])).to_pylist() == ["2023-03-22 00:00:00"]
    assert [cell_text(v) for v in (1e-5, 1e16, 12345678901.25)] == ["1e-05", "1e+16", "12345678901.25"]
