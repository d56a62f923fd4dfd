"""kamcore.ingest.guess_mapping: roles from EN/NB/SV headers and data, and the table kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamcore.ingest import guess_mapping, load_file
from kamcore.ingest_mapping import is_date_header, is_id_header
from kamcore.schemas import TableKind

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def frame_with(header: str, values: list) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"Kundenr": [f"K{i % 2}" for i in range(n)], header: values})


TEXT = ["a", "b", "a", "c"]
NUMBERS = [1.0, -2.0, 3.5, 4.0]
DATES = list(pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]))


@pytest.mark.parametrize(
    ("header", "values", "role"),
    [
        ("Kundenavn", TEXT, "customer_name"),
        ("Kundnamn", TEXT, "customer_name"),
        ("Customer Name", TEXT, "customer_name"),
        ("Dato", DATES, "date"),
        ("Fakturadato", DATES, "date"),
        ("Datum", DATES, "date"),
        ("Order Date", DATES, "date"),
        ("Omsetning", NUMBERS, "revenue"),
        ("Salg", NUMBERS, "revenue"),
        ("Försäljning", NUMBERS, "revenue"),
        ("Sales", NUMBERS, "revenue"),
        ("Revenue", NUMBERS, "revenue"),
        ("Kostnad", NUMBERS, "cost"),
        ("Cost", NUMBERS, "cost"),
        ("Fortjeneste", NUMBERS, "profit"),
        ("DB", NUMBERS, "profit"),
        ("Dekningsbidrag", NUMBERS, "profit"),
        ("TB", NUMBERS, "profit"),
        ("Täckningsbidrag", NUMBERS, "profit"),
        ("Profit", NUMBERS, "profit"),
        ("Antall", NUMBERS, "quantity"),
        ("Antal", NUMBERS, "quantity"),
        ("Quantity", NUMBERS, "quantity"),
        ("Produkt", TEXT, "product"),
        ("Produktgruppe", TEXT, "product"),
        ("Region", TEXT, "region"),
        ("Distrikt", TEXT, "region"),
        ("Bransje", TEXT, "industry"),
        ("Bransch", TEXT, "industry"),
        ("Industry", TEXT, "industry"),
        ("Segment", TEXT, "segment"),
        ("Selger", TEXT, "owner"),
        ("Säljare", TEXT, "owner"),
        ("KAM", TEXT, "owner"),
        ("Owner", TEXT, "owner"),
        ("Sales Rep", TEXT, "owner"),
        ("Status", TEXT, "status"),
        ("Kunde siden", DATES, "customer_since"),
        ("Kund sedan", DATES, "customer_since"),
        ("Customer since", DATES, "customer_since"),
    ],
)
def test_glossary_headers(header, values, role):
    guess = guess_mapping(frame_with(header, values))
    assert guess.mapping.get(role) == header
    assert guess.mapping.get("customer_id") == "Kundenr"
    assert role in guess.reasons


@pytest.mark.parametrize("header", ["Land", "Country", "Land/region", "Country/Region", "land_region", "Landskode"])
def test_a_country_column_is_not_offered_as_region(header):
    # Excel and Power BI call a country column "Country/Region"; a country is not a sales region.
    table = frame_with(header, ["Norge", "Sverige", "Norge", "Danmark"])
    guess = guess_mapping(table)
    assert "region" not in guess.mapping.roles
    assert guess.mapping.roles == {"customer_id": "Kundenr"}


def test_a_region_column_beside_a_country_column_is_still_the_region():
    table = pd.DataFrame({"Kundenr": ["1", "2", "1"], "Land": ["Norge", "Sverige", "Norge"],
                          "Salgsregion": ["Nord", "Sør", "Nord"], "Landsdel": ["x", "y", "x"]})
    assert guess_mapping(table).mapping.get("region") == "Salgsregion"


@pytest.mark.parametrize(
    "header", ["Kundenr", "Kundenummer", "Kundnr", "Customer ID", "customer_id", "Kunde-ID"]
)
def test_customer_id_headers(header):
    table = pd.DataFrame({header: ["1", "2", "1"], "Omsetning": [1.0, 2.0, 3.0]})
    guess = guess_mapping(table)
    assert guess.mapping.get("customer_id") == header
    assert guess.kind == TableKind.transactions


def test_data_vetoes_a_header_match():
    # "Omsetning" as text cannot be revenue; "Dato" holding text cannot be the date.
    table = pd.DataFrame({"Kundenr": ["1", "2"], "Omsetning": ["høy", "lav"], "Dato": ["x", "y"]})
    roles = guess_mapping(table).mapping.roles
    assert "revenue" not in roles and "date" not in roles


def test_data_fallbacks_for_date_and_customer_id():
    table = pd.DataFrame(
        {
            "A": ["C-01", "C-02", "C-01", "C-02", "C-03", "C-01"],
            "B": pd.to_datetime(["2026-01-01"] * 6),
            "C": np.arange(6, dtype=float),
        }
    )
    guess = guess_mapping(table)
    assert guess.mapping.roles == {"customer_id": "A", "date": "B"}
    assert guess.kind == TableKind.transactions


def test_kind_accounts_when_one_row_per_id_and_other_without_ids():
    accounts = pd.DataFrame({"Kundenr": ["1", "2", "3"], "Kundenavn": ["a", "b", "c"]})
    assert guess_mapping(accounts).kind == TableKind.accounts
    other = pd.DataFrame({"x": ["a b", "c d"], "y": [1.5, 2.5]})
    assert guess_mapping(other).kind == TableKind.other


def test_survey_kind_for_likert_items_with_respondent():
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"Respondent": [f"R{i}" for i in range(20)]})
    for q in range(1, 6):
        table[f"Q{q}"] = rng.integers(1, 8, 20).astype(float)
    guess = guess_mapping(table)
    assert guess.kind == TableKind.survey
    assert guess.mapping.roles == {}


def test_each_column_used_once_and_best_match_wins():
    table = pd.DataFrame(
        {
            "Kundenr": ["1", "1"],
            "Ship Date": pd.to_datetime(["2026-01-02", "2026-01-03"]),
            "Order Date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "Sub-Category": ["x", "y"],
            "Category": ["a", "b"],
        }
    )
    roles = guess_mapping(table).mapping.roles
    assert roles["date"] == "Order Date"
    assert roles["product"] == "Category"
    assert len(set(roles.values())) == len(roles)


def test_header_helpers():
    assert is_id_header("Kundenr") and is_id_header("Customer ID") and is_id_header("Postal Code")
    assert not is_id_header("Omsetning") and not is_id_header("Antall")
    assert is_date_header("Fakturadato") and is_date_header("Order Date") and not is_date_header("Region")


# ------------------------------------------------------------------------- demo
@pytest.mark.skipif(not (DEMO / "transactions.csv").exists(), reason="demo data not generated yet")
def test_demo_files_map_and_kind():
    transactions = load_file(DEMO / "transactions.csv").tables[0]
    guess = guess_mapping(transactions.data)
    assert guess.kind == TableKind.transactions
    assert guess.mapping.roles == {
        "customer_id": "Kundenr",
        "customer_name": "Kundenavn",
        "date": "Fakturadato",
        "order_id": "Ordrenr",
        "revenue": "Omsetning",
        "cost": "Kostnad",
        "quantity": "Antall",
        "product": "Produktgruppe",
        "region": "Region",
        "industry": "Bransje",
        "owner": "Selger",
    }
    assert transactions.format.model_dump() == {
        "file_type": "csv",
        "encoding": "utf-8-sig",
        "delimiter": ";",
        "decimal": ",",
        "thousands": transactions.format.thousands,
        "header_row": 1,
        "date_format": "%d.%m.%Y",
        "sheet": None,
    }
    assert transactions.quality.rows_rejected == 0
    customers = load_file(DEMO / "customers.csv").tables[0]
    guess = guess_mapping(customers.data)
    assert guess.kind == TableKind.accounts
    assert guess.mapping.roles == {
        "customer_id": "Kundenr",
        "customer_name": "Kundenavn",
        "region": "Region",
        "industry": "Bransje",
        "owner": "Selger",
        "status": "Status",
        "customer_since": "Kunde siden",
    }
    for name in ("survey_keyareas", "survey_dealer"):
        survey = load_file(DEMO / f"{name}.csv").tables[0]
        assert guess_mapping(survey.data).kind == TableKind.survey


def test_answer_columns_compare_texts_stripped_and_count_only_filled_cells():
    from kamcore.ingest_mapping import _answer_columns

    n = 3000
    # Three unknown labels written with stray spaces, and blanks: after stripping three
    # distinct answers in 2,500 filled cells, the same in two columns -> both are answers.
    labels = ["  alfa", "alfa ", "beta", " gamma ", "", "gamma"]
    q = [labels[i % 6] for i in range(n)]
    # 20 spellings of one text (distinct only before stripping): one answer, not a scale.
    one = ["x" + " " * (i % 20) for i in range(n)]
    # Three answers in three filled cells of 3,000: too few cells for a scale of three.
    sparse = ["alfa", "beta", "gamma"] + [""] * (n - 3)
    table = pd.DataFrame(
        {
            "q1": pd.Series(q, dtype="str"),
            "q2": pd.Series(q[::-1], dtype="str"),
            "kunde": pd.Series([f"K{i}" for i in range(n)], dtype="str"),
            "ett": pd.Series(one, dtype="str"),
            "tynn": pd.Series(sparse, dtype="str"),
            "tynn2": pd.Series(sparse, dtype="object"),
        }
    )
    assert _answer_columns(table) == ["q1", "q2"]
    # Four filled cells of six for three answers pass the half-rule in both sparse columns.
    small = pd.DataFrame({"a": ["alfa", " beta", "gamma ", "alfa", "", ""], "b": ["alfa", "beta", "gamma", "gamma", None, ""]})
    assert _answer_columns(small) == []  # 3 distinct > 0.5 * 4 filled cells
    small = pd.concat([small] * 2, ignore_index=True)
    assert _answer_columns(small) == ["a", "b"]  # 3 distinct <= 0.5 * 8
