"""Issue 12, point 7: CSV exports in the user's language, with no cell Excel could split
into a formula (Nordic Excel splits on ';', English on ',')."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from kamcore import export

FRAME = pd.DataFrame({
    "Kundenavn": ["x;=1+1;", "Nord-Norge AS", "=HYPERLINK(\"http://x\")", "a, @SUM(1)", "linje\n+1", "Tab\t-2"],
    "Omsetning": [1234.5, -250.0, 1.0, 2.25, 3.0, 0.5],
})


def test_norwegian_and_swedish_get_semicolons_and_decimal_commas():
    expected = (
        "\ufeffKundenavn;Omsetning\r\n"
        "\"x;'=1+1;\";1234,5\r\n"
        "Nord-Norge AS;-250,0\r\n"
        "\"'=HYPERLINK(\"\"http://x\"\")\";1,0\r\n"
        "a, '@SUM(1);2,25\r\n"
        "\"linje\n'+1\";3,0\r\n"
        "Tab\t'-2;0,5\r\n"
    ).encode("utf-8")
    assert export.csv_format("nb") == (";", ",") == export.csv_format("sv")
    assert export.to_csv_bytes(FRAME, *export.csv_format("nb")) == expected
    assert export.to_csv_bytes(FRAME, *export.csv_format("sv")) == expected


def test_english_gets_commas_and_decimal_points():
    data = export.to_csv_bytes(FRAME, *export.csv_format("en"))
    assert data.startswith(b"\xef\xbb\xbfKundenavn,Omsetning\r\nx;'=1+1;,1234.5\r\nNord-Norge AS,-250.0\r\n")


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
@pytest.mark.parametrize("excel_separator", [",", ";", "\t"])
def test_no_separator_splits_a_formula_off_any_cell(language, excel_separator):
    """Read the export as a spreadsheet with the *other* list separator would (no quote
    handling at all, the worst case): no resulting cell starts with a formula character,
    except numbers that are real numbers."""
    text = export.to_csv_bytes(FRAME, *export.csv_format(language)).decode("utf-8-sig")
    for line in re.split(r"\r\n|\n|\r", text):
        for cell in line.split(excel_separator):
            stripped = cell.lstrip(' "')
            if stripped[:1] in ("=", "+", "-", "@"):
                assert re.fullmatch(r"-\d+([.,]\d+)?", stripped), (language, excel_separator, cell)


def test_the_right_reader_gets_the_values_back():
    text = export.to_csv_bytes(FRAME, *export.csv_format("nb")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["Kundenavn", "Omsetning"]
    assert [r[0] for r in rows[1:]] == ["x;'=1+1;", "Nord-Norge AS", "'=HYPERLINK(\"http://x\")", "a, '@SUM(1)",
                                        "linje\n'+1", "Tab\t'-2"]
    assert all(len(r) == 2 for r in rows)
