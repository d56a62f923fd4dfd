"""Every file of the bad-input corpus gives exactly the outcome in tests/fixtures/bad/expected.json.

The corpus is written by tests/fixtures/bad/make_corpus.py; the manifest names, per file,
either the error code or each table's counts, detected format, columns and rejection reasons.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from kamcore.errors import KamError
from kamcore.ingest import guess_mapping, load_file

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "fixtures" / "bad"
REAL = ROOT / "tests" / "fixtures" / "real"
EXPECTED: dict[str, dict] = json.loads((BAD / "expected.json").read_text(encoding="utf-8"))
CATALOGUE = json.loads((ROOT / "ui" / "locales" / "err_ingest.json").read_text(encoding="utf-8"))


def test_corpus_is_complete_and_every_file_has_an_expectation():
    files = sorted(p.name for p in BAD.iterdir() if p.suffix not in (".py", ".json"))
    assert len(files) >= 30
    assert files == sorted(EXPECTED)
    assert sum("error" in outcome for outcome in EXPECTED.values()) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_outcome(name):
    expected = EXPECTED[name]
    if "error" in expected:
        with pytest.raises(KamError) as exc:
            load_file(BAD / name)
        assert exc.value.code == expected["error"]
        # One clear sentence, with its translations, and no traceback text.
        what = exc.value.code.split(".", 1)[1]
        assert set(CATALOGUE[what]) == {"en", "nb", "sv"}
        assert CATALOGUE[what]["en"].format(**exc.value.params) == str(exc.value)
        assert "Traceback" not in str(exc.value)
        return
    result = load_file(BAD / name)
    actual = [
        {
            "name": t.name,
            "rows_kept": t.quality.rows_kept,
            "rows_rejected": t.quality.rows_rejected,
            "empty_rows": t.quality.empty_rows,
            "file_type": t.format.file_type,
            "encoding": t.format.encoding,
            "delimiter": t.format.delimiter,
            "decimal": t.format.decimal,
            "header_row": t.format.header_row,
            "columns": list(t.data.columns),
            "reasons": t.rejected["reason"].tolist(),
        }
        for t in result.tables
    ]
    assert actual == expected["tables"]
    for t in result.tables:
        q = t.quality
        assert q.rows_read == q.rows_kept + q.rows_rejected + q.empty_rows


def test_error_catalogue_placeholders_match_in_every_language():
    for what, entry in CATALOGUE.items():
        names = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert names["nb"] == names["en"] == names["sv"], what


def test_cp1252_semicolon_file_values_and_reason():
    parsed = load_file(BAD / "nb_semicolon_cp1252.csv").tables[0]
    assert parsed.format.encoding == "cp1252"
    assert parsed.data["Kundenavn"].iloc[:4].tolist() == [
        "Bølgen Bygg AS",
        "Fjørå Fisk",
        "Østlandet Øl",
        "Ærlig Åkerbruk",
    ]
    assert parsed.data["Omsetning"].iloc[:2].tolist() == [1234.0, 2468.07]
    assert parsed.rejected[["Omsetning", "source_row", "reason"]].values.tolist() == [
        ["tolv", 14, "Row 14, column 'Omsetning': 'tolv' is not a number."]
    ]


def test_currency_file_values():
    parsed = load_file(BAD / "currency_text.csv").tables[0]
    assert parsed.data["Beløp"].tolist() == [
        1250.0,
        1250.0,
        99.9,
        1250.5,
        -1250.0,
        1234567.8,
        1000.25,
        1234567.8,
        12.5,
        -7.25,
    ]
    assert parsed.quality.negative_values == {"Beløp": 2}


def test_credit_notes_kept_and_counted():
    parsed = load_file(BAD / "credit_notes.csv").tables[0]
    assert parsed.data["Omsetning"].sum() == pytest.approx(2750.0)
    assert parsed.quality.negative_values == {"Omsetning": 2, "Kostnad": 2}


def test_excel_serial_dates_file():
    parsed = load_file(BAD / "excel_serial_dates.xlsx").tables[0]
    assert parsed.data["Fakturadato"].tolist() == [
        pd.Timestamp(d) for d in ("2026-01-01", "2026-02-01", "2026-03-01")
    ]
    assert parsed.data["Omsetning"].tolist() == [1000.0, 2000.25, -500.0]
    assert parsed.data["Tekstbeløp"].tolist() == [1234.5, 99.9, 1000.0]


def test_legacy_xls_through_xlrd():
    parsed = load_file(BAD / "legacy.xls").tables[0]
    assert parsed.format.file_type == "xls"
    assert parsed.data["SeriesID"].iloc[0] == "GDPC1"
    assert parsed.data["Model"].iloc[0] == 1.0


def test_formula_cells_are_loaded_as_text_and_numbers_stay_numbers():
    parsed = load_file(BAD / "formula_cells.csv").tables[0]
    assert parsed.data["Navn"].tolist() == [
        '=HYPERLINK("http://evil.example","klikk")',
        "+cmd|' /C calc'!A0",
        "@SUM(A1:A2)",
        "-2+3",
    ]
    assert parsed.data["Omsetning"].tolist() == [-250.0, 100.0, 200.0, 300.0]


# --------------------------------------------------------------------- real files
def test_superstore_rows_and_mapping():
    parsed = load_file(REAL / "superstore.csv").tables[0]
    assert parsed.quality.rows_kept == 9994 and parsed.quality.rows_rejected == 0
    assert parsed.format.date_format == "%m/%d/%Y"
    assert parsed.data["Order Date"].iloc[0] == pd.Timestamp("2016-11-08")
    assert parsed.data["Sales"].iloc[0] == 261.96
    assert parsed.data["Customer ID"].nunique() == 793
    guess = guess_mapping(parsed.data)
    assert guess.kind == "transactions"
    assert guess.mapping.roles == {
        "customer_id": "Customer ID",
        "customer_name": "Customer Name",
        "date": "Order Date",
        "order_id": "Order ID",
        "revenue": "Sales",
        "profit": "Profit",
        "quantity": "Quantity",
        "product": "Category",
        "region": "Region",
        "segment": "Segment",
    }
    profit = parsed.data.groupby("Customer ID")["Profit"].sum()
    assert int((profit < 0).sum()) == 155


def test_northwind_orders_and_customers():
    orders = load_file(REAL / "northwind" / "orders.csv").tables[0]
    assert orders.quality.rows_kept == 830
    guess = guess_mapping(orders.data)
    assert guess.kind == "transactions"
    assert guess.mapping.get("customer_id") == "customer_id"
    assert guess.mapping.get("date") == "order_date"
    assert guess.mapping.get("order_id") == "order_id"
    customers = load_file(REAL / "northwind" / "customers.csv").tables[0]
    assert customers.quality.rows_kept == 91
    guess = guess_mapping(customers.data)
    assert guess.kind == "accounts"
    assert guess.mapping.get("customer_name") == "company_name"


def test_northwind_revenue_total_from_order_details():
    details = load_file(REAL / "northwind" / "order_details.csv").tables[0].data
    revenue = (details["unit_price"] * details["quantity"] * (1 - details["discount"])).sum()
    assert round(revenue, 2) == 1265793.04
    assert len(details) == 2155


def test_bfi_is_a_survey_with_missing_cells():
    parsed = load_file(REAL / "bfi.csv").tables[0]
    assert parsed.quality.rows_kept == 2800
    assert sum(parsed.quality.missing_values.values()) == 731
    assert guess_mapping(parsed.data).kind == "survey"


def test_cdnow_whitespace_aligned_file_loads_as_a_transaction_table():
    parsed = load_file(REAL / "cdnow_master.txt").tables[0]
    # Independent reading of the same file: split every line on whitespace.
    lines = (REAL / "cdnow_master.txt").read_text(encoding="utf-8").splitlines()
    rows = [line.split() for line in lines[1:] if line.strip()]
    assert len(rows) == 69_659
    assert parsed.format.delimiter == " " and parsed.format.date_format == "%Y%m%d"
    assert parsed.quality.rows_kept == 69_659 and parsed.quality.rows_rejected == 0
    assert list(parsed.data.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert parsed.data["customer_id"].tolist() == [row[0] for row in rows]  # zero padding kept
    assert parsed.data["date"].dt.strftime("%Y%m%d").tolist() == [row[1] for row in rows]
    assert parsed.data["number_of_cds"].tolist() == [float(row[2]) for row in rows]
    assert round(parsed.data["dollar_value"].sum(), 2) == round(sum(float(row[3]) for row in rows), 2)
    assert int((parsed.data["dollar_value"] == 0).sum()) == 80
    guess = guess_mapping(parsed.data)
    assert guess.kind == "transactions"
    assert guess.mapping.roles == {
        "customer_id": "customer_id",
        "date": "date",
        "revenue": "dollar_value",
        "quantity": "number_of_cds",
    }
