"""kamcore.ingest.load_file: formats, typing, rejected rows and the quality report, exactly."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kamcore.errors import KamError
from kamcore.ingest import IngestSettings, QualityReport, load_file

NBSP = "\u00a0"
NNBSP = "\u202f"


def table(text: str | bytes, filename: str = "t.csv", **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    result = load_file(data, filename=filename, settings=IngestSettings(**kwargs) if kwargs else None)
    assert len(result.tables) == 1
    return result.tables[0]


def column(text: str, values: list[str], header: str = "Beløp") -> list[float]:
    body = "\n".join(f"{i};{v}" for i, v in enumerate(values, start=1))
    return table(f"Nr;{header}\n{body}\n").data[header].tolist()


# ----------------------------------------------------------------------- numbers
def test_norwegian_numbers_with_space_nbsp_and_dot_thousands():
    values = [
        "1 234 567,80",
        f"1{NBSP}234{NBSP}567,80",
        f"1{NNBSP}234{NNBSP}567,80",
        "1.234.567,80",
        "-1 250,00",
        "12,5",
    ]
    assert column("", values) == [1234567.8, 1234567.8, 1234567.8, 1234567.8, -1250.0, 12.5]


def test_currency_text_around_numbers():
    values = ["1250,5 kr", "NOK 1 250", "SEK 99,90", "kr 1.250,-", "€ 12,50", "−7,25", "kr -30,00"]
    assert column("", values) == [1250.5, 1250.0, 99.9, 1250.0, 12.5, -7.25, -30.0]


def test_dot_decimal_with_comma_thousands():
    parsed = table('Customer,Revenue\nA,"1,234,567.80"\nB,"2,500.50"\nC,0.5\n')
    assert parsed.data["Revenue"].tolist() == [1234567.8, 2500.5, 0.5]
    assert parsed.format.decimal == "."
    assert parsed.format.thousands == ","


def test_badly_grouped_dot_is_rejected_not_read_as_thousands():
    parsed = table(
        "Nr;Beløp\n1;1 000,50\n2;2 000,25\n3;3 000,00\n4;4 000,00\n5;5 000,00\n6;6 000,00\n7;7 000,00\n8;8 000,00\n9;9 000,00\n10;1.5\n"
    )
    assert parsed.data["Beløp"].tolist() == [
        1000.5,
        2000.25,
        3000.0,
        4000.0,
        5000.0,
        6000.0,
        7000.0,
        8000.0,
        9000.0,
    ]
    assert parsed.rejected["reason"].tolist() == ["Row 11, column 'Beløp': '1.5' is not a number."]


def test_infinity_and_nan_text_are_not_numbers():
    values = [str(v) for v in range(1, 11)] + ["inf"]
    parsed = table("Nr;Antall\n" + "\n".join(f"{i};{v}" for i, v in enumerate(values, 1)) + "\n")
    assert parsed.quality.rows_rejected == 1
    assert parsed.rejected["reason"].iloc[0] == "Row 12, column 'Antall': 'inf' is not a number."


def test_identifier_columns_stay_text_with_leading_zeros():
    parsed = table("Kundenr;Postnummer;Antall\n010042;0150;3\n010444;5003;4\n")
    assert parsed.data["Kundenr"].tolist() == ["010042", "010444"]
    assert parsed.data["Postnummer"].tolist() == ["0150", "5003"]
    assert str(parsed.data["Kundenr"].dtype) == "str"
    assert parsed.data["Antall"].dtype == np.float64


def test_integer_ids_without_leading_zero_stay_text_when_header_says_id():
    parsed = table("Ordrenr;Customer ID;Omsetning\n230001;17;10\n230002;18;20\n")
    assert parsed.data["Ordrenr"].tolist() == ["230001", "230002"]
    assert parsed.data["Customer ID"].tolist() == ["17", "18"]
    assert parsed.quality.columns_coerced == {"Omsetning": "number"}


# ------------------------------------------------------------------------- dates
def test_date_formats_day_first_and_iso():
    parsed = table("Nr;Dato;Kunde siden\n1;1.2.2026;2015-03-01\n2;15.12.2025;2019-06-30\n")
    assert parsed.data["Dato"].tolist() == [pd.Timestamp("2026-02-01"), pd.Timestamp("2025-12-15")]
    assert parsed.data["Kunde siden"].tolist() == [pd.Timestamp("2015-03-01"), pd.Timestamp("2019-06-30")]
    assert str(parsed.data["Dato"].dtype) == "datetime64[ns]"
    assert parsed.format.date_format == "%d.%m.%Y"
    assert parsed.quality.columns_coerced == {"Dato": "date", "Kunde siden": "date"}


def test_slash_dates_are_day_first_unless_a_month_would_exceed_12():
    day_first = table("Nr;Dato\n1;01/02/2026\n2;13/02/2026\n")
    assert day_first.data["Dato"].tolist() == [pd.Timestamp("2026-02-01"), pd.Timestamp("2026-02-13")]
    us = table("Customer ID,Order Date\nA,11/08/2016\nB,12/24/2016\n")
    assert us.data["Order Date"].tolist() == [pd.Timestamp("2016-11-08"), pd.Timestamp("2016-12-24")]
    assert us.format.date_format == "%m/%d/%Y"


def test_impossible_date_rejects_row_with_reason():
    rows = "\n".join(f"{i};{i}.1.2026" for i in range(1, 10))
    parsed = table(f"Nr;Dato\n{rows}\n10;31.02.2026\n")
    assert parsed.quality.rows_kept == 9
    assert parsed.rejected["source_row"].tolist() == [11]
    assert parsed.rejected["reason"].tolist() == [
        "Row 11, column 'Dato': '31.02.2026' is not a date (dd.mm.yyyy)."
    ]


def test_two_digit_year_is_not_read_as_year_26():
    rows = "\n".join(f"{i};0{i}.01.2026" for i in range(1, 10))
    parsed = table(f"Nr;Dato\n{rows}\n10;01.02.26\n")
    assert parsed.rejected["reason"].tolist() == [
        "Row 11, column 'Dato': '01.02.26' is not a date (dd.mm.yyyy)."
    ]


# ------------------------------------------------------------ encodings, layouts
NB_TEXT = "Kundenr;Kundenavn;Omsetning\r\n1;Bølgen Å Ærlig;1 000,50\r\n2;Øst;-2,00\r\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (NB_TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + NB_TEXT.encode("utf-8"), "utf-8-sig"),
        (NB_TEXT.encode("cp1252"), "cp1252"),
        (b"\xff\xfe" + NB_TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + NB_TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_encodings_detected_and_text_decoded(raw, encoding):
    parsed = table(raw)
    assert parsed.format.encoding == encoding
    assert parsed.data["Kundenavn"].tolist() == ["Bølgen Å Ærlig", "Øst"]
    assert parsed.data["Omsetning"].tolist() == [1000.5, -2.0]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_detected(delimiter):
    text = (
        delimiter.join(["Kunde", "Antall", "Notat"])
        + "\n"
        + delimiter.join(["A", "1", "x"])
        + "\n"
        + delimiter.join(["B", "2", "y"])
        + "\n"
    )
    parsed = table(text)
    assert parsed.format.delimiter == delimiter
    assert list(parsed.data.columns) == ["Kunde", "Antall", "Notat"]
    assert parsed.data["Antall"].tolist() == [1.0, 2.0]


def test_title_rows_and_blank_lines_above_header_are_skipped_and_reported():
    parsed = table(
        "Salgsrapport 2026;;\r\nGenerert av ERP;;\r\n\r\nKundenr;Kundenavn;Omsetning\r\n1;A;10\r\n2;B;20\r\n"
    )
    assert parsed.format.header_row == 4
    assert parsed.data["Kundenavn"].tolist() == ["A", "B"]
    codes = {i.code: i.params for i in parsed.quality.issues}
    assert codes["header_not_first"] == {"line": 4, "n_skipped": 3}


def test_quoted_fields_with_separators_newlines_and_quotes():
    parsed = table('Nr;Kommentar;Antall\n1;"a;b";1\n2;"første\nandre";2\n3;"sitat ""her""";3\n')
    assert parsed.data["Kommentar"].tolist() == ["a;b", "første\nandre", 'sitat "her"']


def test_rejected_row_line_number_counts_quoted_newlines_and_blank_lines():
    rows = ['1;"to\nlinjer";1', "", "2;x;2"] + [f"{i};x;{i}" for i in range(3, 11)] + ["11;x;elleve"]
    parsed = table("Nr;Tekst;Antall\n" + "\n".join(rows) + "\n")
    # header line 1, record 1 on lines 2-3, blank line 4, records 2..10 on lines 5..13, bad row on line 14
    assert parsed.rejected["source_row"].tolist() == [14]
    assert parsed.quality.empty_rows == 1


def test_mixed_line_endings_keep_every_field():
    parsed = table("Kundenr;Omsetning\r\n1;10\n2;20\r3;30\r\n4;40\n")
    assert parsed.data["Kundenr"].tolist() == ["1", "2", "3", "4"]
    assert parsed.data["Omsetning"].tolist() == [10.0, 20.0, 30.0, 40.0]


def test_empty_rows_counted_and_empty_trailing_columns_dropped():
    parsed = table("Kundenr;Omsetning;;\n1;10;;\n;;;\n\n2;20;;\n   ;  ;;\n3;30;;\n")
    q = parsed.quality
    assert list(parsed.data.columns) == ["Kundenr", "Omsetning"]
    assert (q.rows_read, q.rows_kept, q.rows_rejected, q.empty_rows) == (6, 3, 0, 3)
    assert {"code": "empty_columns_dropped", "params": {"n": 2}} in [
        {"code": i.code, "params": i.params} for i in q.issues
    ]


def test_row_with_too_many_fields_is_rejected_short_row_padded():
    parsed = table("Kundenr;Navn;Omsetning\n1;a;10\n2;b\n3;c;30;ekstra\n4;d;40\n")
    assert parsed.data["Kundenr"].tolist() == ["1", "2", "4"]
    assert math.isnan(parsed.data["Omsetning"].iloc[1])
    assert parsed.rejected["reason"].tolist() == ["Row 4 has more fields than the header has columns (3)."]


# ------------------------------------------------------------ headers and report
def test_duplicate_headers_made_unique_and_reported():
    parsed = table("Kundenr;Omsetning;Omsetning;Revenue;revenue;;Notat\n1;10;20;1;2;x;n\n")
    assert list(parsed.data.columns) == [
        "Kundenr",
        "Omsetning",
        "Omsetning (2)",
        "Revenue",
        "revenue (2)",
        "column 6",
        "Notat",
    ]
    assert parsed.quality.renamed_columns == {
        "Omsetning (2)": "Omsetning",
        "revenue (2)": "revenue",
        "column 6": "",
    }
    sentences = parsed.quality.sentences()
    assert "Two columns are called 'Omsetning'; the second was renamed 'Omsetning (2)'." in sentences
    assert (
        "The columns 'Revenue' and 'revenue' differ only in upper/lower case; 'revenue' was renamed 'revenue (2)'."
        in sentences
    )
    assert "Column 6 has no header; it was named 'column 6'." in sentences


def test_quality_report_counts_exactly():
    text = (
        "Kundenr;Fakturadato;Omsetning;Region\n"
        "1;01.02.2026;1 000,00;Øst\n"
        "1;01.02.2026;1 000,00;Øst\n"
        "2;02.02.2026;-250,00;\n"
        "3;03.02.2026;500,00;Vest\n"
        "4;04.02.2026;tolv;Nord\n"
        "5;05.02.2026;300,00;Nord\n"
        "6;06.02.2026;-100,00;Nord\n"
        "7;07.02.2026;100,00;Nord\n"
        "8;08.02.2026;100,00;Nord\n"
        "9;09.02.2026;100,00;Nord\n"
        "10;10.02.2026;100,00;Nord\n"
    )
    parsed = table(text)
    q = parsed.quality
    assert isinstance(q, QualityReport)
    assert (q.rows_read, q.rows_kept, q.rows_rejected, q.empty_rows) == (11, 10, 1, 0)
    assert q.duplicate_rows == 1
    assert q.negative_values == {"Omsetning": 2}
    assert q.missing_values == {"Region": 1}
    assert q.columns_coerced == {"Fakturadato": "date", "Omsetning": "number"}
    assert parsed.rejected.columns.tolist() == [
        "Kundenr",
        "Fakturadato",
        "Omsetning",
        "Region",
        "source_row",
        "reason",
    ]
    assert parsed.rejected.iloc[0].tolist() == [
        "4",
        "04.02.2026",
        "tolv",
        "Nord",
        6,
        "Row 6, column 'Omsetning': 'tolv' is not a number.",
    ]
    issue = next(i for i in q.issues if i.code == "rejected_not_a_number")
    assert (issue.row, issue.column, issue.severity) == (6, "Omsetning", "warning")
    assert issue.params == {"row": 6, "column": "Omsetning", "value": "tolv"}
    assert q.sentences()[0] == "11 rows read: 10 kept, 1 rejected, 0 empty rows skipped."


def test_sentences_use_a_translated_template_when_given():
    parsed = table("Nr;Antall\n1;2\n")
    nb = {
        "rows_summary": "{rows_read} rader lest: {rows_kept} beholdt, {rows_rejected} avvist, {empty_rows} tomme."
    }
    assert parsed.quality.sentences(nb.get)[0] == "1 rader lest: 1 beholdt, 0 avvist, 0 tomme."


def test_every_row_is_accounted_for():
    rows = [
        "1;10",
        "",
        "2;x",
        "3;30",
        ";",
        "4;40",
        "5;50",
        "6;60",
        "7;70",
        "8;80",
        "9;90",
        "10;100",
        "11;110",
    ]
    parsed = table("Nr;Antall\n" + "\n".join(rows) + "\n")
    q = parsed.quality
    assert q.rows_kept + q.rows_rejected + q.empty_rows == q.rows_read == 13
    assert (q.rows_kept, q.rows_rejected, q.empty_rows) == (10, 1, 2)


def test_text_cells_round_trip_literally():
    parsed = table(
        'Kundenr;**bold**;"x""; DROP TABLE t; --"\n1;<img src=x onerror=alert(1)>;"=HYPERLINK(""a"")"\n'
    )
    assert list(parsed.data.columns) == ["Kundenr", "**bold**", 'x"; DROP TABLE t; --']
    assert parsed.data["**bold**"].tolist() == ["<img src=x onerror=alert(1)>"]
    assert parsed.data['x"; DROP TABLE t; --'].tolist() == ['=HYPERLINK("a")']


def test_settings_limits_raise_clear_errors():
    with pytest.raises(KamError) as exc:
        load_file(b"a;b\n" + b"1;2\n" * 400_000, filename="big.csv", settings=IngestSettings(max_file_mb=1))
    assert exc.value.code == "ingest.file_too_large"
    assert str(exc.value) == "The file 'big.csv' is 1.5 MB; the limit is 1 MB."
    with pytest.raises(KamError) as exc:
        load_file(b"a;b;c\n1;2;3\n", filename="w.csv", settings=IngestSettings(max_columns=2))
    assert (exc.value.code, exc.value.params["n_columns"]) == ("ingest.too_many_columns", 3)
    with pytest.raises(KamError) as exc:
        load_file(
            b"a;b\n1;" + b"x" * 50 + b"\n", filename="l.csv", settings=IngestSettings(max_line_chars=40)
        )
    assert str(exc.value) == "Line 2 of 'l.csv' is 52 characters long; the limit is 40."


def test_path_source_and_filename_default(tmp_path):
    path = tmp_path / "salg.csv"
    path.write_bytes("Kundenr;Omsetning\n1;1,5\n".encode("cp1252"))
    result = load_file(path)
    assert result.filename == "salg.csv"
    assert result.tables[0].name == "salg"
    assert result.tables[0].data["Omsetning"].tolist() == [1.5]
    assert list(tmp_path.iterdir()) == [path]


# ------------------------------------------------------------------------- Excel
def xlsx(build) -> bytes:
    workbook = Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_sheets_are_tables_and_empty_sheets_are_a_warning():
    import datetime as dt

    def build(workbook):
        first = workbook.active
        first.title = "Salg"
        first.append(["Kundenr", "Fakturadato", "Omsetning", "Beløp tekst"])
        first.append(["1001", dt.datetime(2026, 1, 5), 1250.5, "1 234,50"])
        first.append(["1002", dt.datetime(2026, 1, 6), -300, "kr 99,90"])
        workbook.create_sheet("Tom")
        other = workbook.create_sheet("Kunder")
        other.append(["Rapport"])
        other.append([])
        other.append(["Kundenr", "Status"])
        other.append(["1001", "aktiv"])

    result = load_file(xlsx(build), filename="bok.xlsx")
    assert [t.name for t in result.tables] == ["Salg", "Kunder"]
    sales, customers = result.tables
    assert sales.data["Fakturadato"].tolist() == [pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-06")]
    assert sales.data["Omsetning"].tolist() == [1250.5, -300.0]
    assert sales.data["Beløp tekst"].tolist() == [1234.5, 99.9]
    assert sales.format.file_type == "xlsx" and sales.format.sheet == "Salg"
    assert customers.format.header_row == 3
    assert customers.data.to_dict("list") == {"Kundenr": ["1001"], "Status": ["aktiv"]}
    assert [(i.code, i.params) for i in result.issues] == [("empty_sheets", {"sheets": "Tom"})]


def test_excel_serial_dates_in_a_date_column():
    def build(workbook):
        sheet = workbook.active
        sheet.append(["Kunde", "Fakturadato", "Omsetning"])
        sheet.append(["A", 46023, 1.234])
        sheet.append(["B", 46054, 2.5])

    parsed = load_file(xlsx(build), filename="s.xlsx").tables[0]
    assert parsed.data["Fakturadato"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")]
    # Excel numbers are real numbers: 1.234 is not "1 234" with a dot thousands separator.
    assert parsed.data["Omsetning"].tolist() == [1.234, 2.5]
    assert "excel_serial_dates" in [i.code for i in parsed.quality.issues]


def test_excel_rejected_row_names_the_sheet_row():
    def build(workbook):
        sheet = workbook.active
        sheet.append(["Salgsrapport"])
        sheet.append(["Kunde", "Omsetning"])
        for i in range(10):
            sheet.append([f"K{i}", i * 10])
        sheet.append(["K10", "tolv"])

    parsed = load_file(xlsx(build), filename="r.xlsx").tables[0]
    assert parsed.rejected["source_row"].tolist() == [13]
    assert parsed.rejected["reason"].tolist() == ["Row 13, column 'Omsetning': 'tolv' is not a number."]


# -------------------------------------------------------------------- properties
def norwegian(value: float) -> str:
    """repr-exact digits, space thousands, decimal comma: 1234567.8 -> '1 234 567,8'."""
    text = repr(value)
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("-")
    whole, _, fraction = digits.partition(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    return sign + grouped + ("," + fraction if fraction and fraction != "0" else "")


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False).filter(
    lambda v: "e" not in repr(v)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(finite, min_size=1, max_size=30))
def test_any_float_in_norwegian_format_parses_back_exactly(values):
    body = "\n".join(f"{i};{norwegian(v)}" for i, v in enumerate(values, start=1))
    parsed = table(f"Nr;Beløp\n{body}\n")
    assert parsed.quality.rows_rejected == 0
    assert parsed.data["Beløp"].tolist() == [float(v) + 0.0 for v in values]


def test_quality_catalogue_matches_the_english_sentences():
    import json
    import re
    from pathlib import Path

    from kamcore.ingest import QUALITY_SENTENCES

    catalogue = json.loads(
        (Path(__file__).resolve().parents[2] / "ui" / "locales" / "quality.json").read_text("utf-8")
    )
    assert set(catalogue) == set(QUALITY_SENTENCES)
    for code, sentence in QUALITY_SENTENCES.items():
        assert catalogue[code]["en"] == sentence
        placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in catalogue[code].items()}
        assert placeholders["nb"] == placeholders["sv"] == placeholders["en"], code


def test_compact_dates_are_read_only_with_all_eight_digits():
    rows = "".join(f"{i};202501{(i % 28) + 1:02d};{i},5\n" for i in range(1, 30))
    parsed = table(f"Nr;Dato;Beløp\n{rows}30;2025011;1,5\n")
    assert parsed.format.date_format == "%Y%m%d"
    assert parsed.data["Dato"].iloc[0] == pd.Timestamp("2025-01-02")
    assert parsed.quality.rows_rejected == 1
    assert parsed.rejected["Dato"].tolist() == ["2025011"]


def test_an_order_number_that_looks_like_a_compact_date_stays_text():
    rows = "".join(f"202501{(i % 28) + 1:02d};{i},5\n" for i in range(1, 30))
    parsed = table(f"Ordrenr;Beløp\n{rows}")
    assert parsed.data["Ordrenr"].dtype == "str"
    assert parsed.data["Ordrenr"].iloc[0] == "20250102"


@pytest.mark.parametrize(("header", "is_id"), [("number_of_cds", False), ("Antall av enheter", False), ("Order number", True)])
def test_number_of_is_a_count_not_an_identifier(header, is_id):
    from kamcore.ingest_mapping import is_id_header

    assert is_id_header(header) is is_id


def test_a_count_of_one_is_worded_in_the_singular():
    parsed = table("Kundenr;Beløp;Selger\n0101;12 500,00;Kari\n0102;-4 250,50;\n0103;100,00;Ola\n")
    sentences = parsed.quality.sentences()
    assert "Column 'Selger' has 1 empty cell." in sentences
    assert "Column 'Beløp' has 1 negative value; it was kept." in sentences
    two = table("Kundenr;Beløp\n0101;-1,00\n0102;-2,00\n0103;\n0104;\n")
    assert "Column 'Beløp' has 2 negative values; they were kept." in two.quality.sentences()
    assert "Column 'Beløp' has 2 empty cells." in two.quality.sentences()
