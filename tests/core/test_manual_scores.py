"""Tests for kamcore.manual_scores: columns found by name, scores read and checked, the saved payload."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kamcore.errors import KamError
from kamcore.manual_scores import (
    MANUAL_COLUMN_HINTS,
    combine_manual_scores,
    manual_score_columns,
    manual_scores_from_payload,
    manual_scores_from_table,
    manual_scores_payload,
    same_scores,
    validate_manual_scores,
)


def test_manual_score_columns_match_demo_and_english_names():
    columns = ["Kundenr", "Kundenavn", "Strategisk passform", "Partnerskapsvilje", "Status"]
    assert manual_score_columns(columns) == {
        "strategic_fit": "Strategisk passform",
        "partnership_willingness": "Partnerskapsvilje",
    }
    assert manual_score_columns(["Strategic Fit", "PARTNERSHIP willingness"]) == {
        "strategic_fit": "Strategic Fit",
        "partnership_willingness": "PARTNERSHIP willingness",
    }


def test_manual_score_columns_map_every_demo_header_to_its_own_score():
    # the real header of data/demo/customers.csv plus the other demo tables' columns
    customers = (
        "Kundenr;Kundenavn;Region;Bransje;Selger;Status;Kunde siden;Strategisk passform;"
        "Partnerskapsvilje;Kundeandel;Relasjonsstyrke"
    ).split(";")
    others = ["Fakturadato", "Ordrenr", "Produktgruppe", "Omsetning", "Kostnad", "Antall", "Respondent"]
    others += ["Gruppe", "Tapt", "Anbefale", "Tilfredshet", "Gjenkjøp", "E_adv1", "P_acc3"]
    assert manual_score_columns(customers + others) == {
        "strategic_fit": "Strategisk passform",
        "partnership_willingness": "Partnerskapsvilje",
        "share_of_wallet": "Kundeandel",
        "relationship_strength": "Relasjonsstyrke",
    }
    assert manual_score_columns(others) == {}


def test_no_hint_contains_a_hint_of_another_score():
    for score, hints in MANUAL_COLUMN_HINTS.items():
        for other, other_hints in MANUAL_COLUMN_HINTS.items():
            if other != score:
                assert not [(h, o) for h in hints for o in other_hints if o in h], (score, other)


@pytest.mark.parametrize(
    ("column", "score"),
    [
        ("kundeandel", "share_of_wallet"),
        ("Share of wallet (1-5)", "share_of_wallet"),
        ("Andel av kjøp", "share_of_wallet"),
        ("Plånboksandel", "share_of_wallet"),
        ("Kundandel", "share_of_wallet"),
        ("RELASJONSSTYRKE", "relationship_strength"),
        ("Relasjon", "relationship_strength"),
        ("Relationship strength", "relationship_strength"),
        ("Relation", "relationship_strength"),
        ("Relationsstyrka", "relationship_strength"),
        ("Strategisk passform", "strategic_fit"),
        ("Partnerskapsvilje", "partnership_willingness"),
    ],
)
def test_each_manual_score_name_maps_to_exactly_one_score(column, score):
    assert manual_score_columns([column]) == {score: column}


def test_manual_scores_from_table_reads_comma_decimals_and_drops_bad_values():
    raw = pd.DataFrame(
        {
            "Kundenr": ["0012", "0013", "0014"],
            "Strategisk passform": ["4", "", "3,5"],
            "Partnerskapsvilje": ["9", "2", None],
        }
    )
    found = manual_scores_from_table(raw, "Kundenr")
    assert found["customer_id"].tolist() == ["0012", "0013", "0014"]
    np.testing.assert_allclose(found["strategic_fit"], [4.0, np.nan, 3.5])
    np.testing.assert_allclose(found["partnership_willingness"], [np.nan, 2.0, np.nan])


def test_payload_round_trip_keeps_who_and_when_of_unchanged_rows():
    names = ["fit", "wallet"]
    first = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "fit": [4, None, None],
            "wallet": [2, 5, None],
            "note": ["", "big", ""],
        }
    )
    t1, t2 = dt.datetime(2026, 11, 1, 9, 0), dt.datetime(2026, 11, 2, 10, 30)
    payload = manual_scores_payload(first, names, "kari", t1)
    assert set(payload["rows"]) == {"A", "B"}  # C has nothing
    second = first.assign(fit=[4, 3, None])
    payload2 = manual_scores_payload(second, names, "ola", t2, previous=payload)
    assert payload2["rows"]["A"] == {
        "scores": {"fit": 4.0, "wallet": 2.0},
        "note": "",
        "by": "kari",
        "at": "2026-11-01T09:00:00",
    }
    assert payload2["rows"]["B"]["by"] == "ola"
    assert payload2["rows"]["B"]["at"] == "2026-11-02T10:30:00"
    back = manual_scores_from_payload(payload2, names).set_index("customer_id")
    assert back.loc["B", "fit"] == 3.0
    assert back.loc["B", "note"] == "big"
    assert back.loc["A", "wallet"] == 2.0
    assert back.loc["A", "by"] == "kari"


def test_empty_payload_gives_empty_frame_with_columns():
    frame = manual_scores_from_payload(None, ["fit"])
    assert frame.columns.tolist() == ["customer_id", "fit", "note", "by", "at"]
    assert frame.empty


def test_saved_scores_win_over_table_values():
    saved = pd.DataFrame({"customer_id": ["A", "C"], "fit": [2.0, np.nan], "note": ["x", "cleared"]})
    initial = pd.DataFrame({"customer_id": ["A", "B", "C"], "fit": [5.0, 4.0, 3.0]})
    combined = combine_manual_scores(saved, initial).set_index("customer_id")
    assert combined.loc["A", "fit"] == 2.0
    assert combined.loc["B", "fit"] == 4.0
    assert np.isnan(combined.loc["C", "fit"])  # cleared by the team, not refilled
    assert combined.loc["A", "note"] == "x"


def test_cleared_score_is_kept_as_an_empty_row():
    cleared = pd.DataFrame({"customer_id": ["A", "B"], "fit": [None, None], "note": ["", ""]})
    payload = manual_scores_payload(cleared, ["fit"], "kari", dt.datetime(2026, 11, 1), keep=["A"])
    assert payload["rows"] == {"A": {"scores": {}, "note": "", "by": "kari", "at": "2026-11-01T00:00:00"}}


def test_same_scores_ignores_who_and_when():
    table = pd.DataFrame({"customer_id": ["A"], "fit": [4]})
    first = manual_scores_payload(table, ["fit"], "kari", dt.datetime(2026, 1, 1))
    second = manual_scores_payload(table, ["fit"], "ola", dt.datetime(2026, 2, 1))
    assert same_scores(first, second)
    third = manual_scores_payload(table.assign(fit=[5]), ["fit"], "ola", dt.datetime(2026, 2, 1))
    assert not same_scores(first, third)


def test_the_most_specific_hint_wins_over_an_earlier_loose_match():
    columns = ["Kundenr", "Relasjonsansvarlig", "Relasjonsstyrke", "Strategisk passform"]
    assert manual_score_columns(columns) == {
        "strategic_fit": "Strategisk passform",
        "relationship_strength": "Relasjonsstyrke",
    }


def test_validate_reads_comma_decimals_keeps_blanks_and_names_the_first_bad_cell():
    scores = pd.DataFrame({"customer_id": [7, 8, 9], "fit": ["4,5", " ", None], "wallet": [1, 5, 6]})
    with pytest.raises(KamError) as info:
        validate_manual_scores(scores, ["fit", "wallet", "absent"])
    assert info.value.code == "selection.manual_score_out_of_range"
    assert info.value.params == {"customer": "9", "score": "wallet", "value": "6"}
    checked = validate_manual_scores(scores.iloc[:2], ["fit", "wallet"])
    assert checked["customer_id"].tolist() == ["7", "8"]
    np.testing.assert_array_equal(checked["fit"].to_numpy(), [4.5, np.nan])
    assert checked["wallet"].tolist() == [1.0, 5.0]
