"""Tests for kamcore.survey_prepare / survey_labels / survey_model: from any survey table to analysable answers."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamcore import export
from kamcore.errors import KamError
from kamcore.ingest import load_file
from kamcore.survey import alpha_ci, cronbach_alpha_ci, reliability_by_dimension
from kamcore.survey_labels import choose_scale
from kamcore.survey_model import ItemDictionary, ItemRow, apply_keys
from kamcore.survey_prepare import guess_dictionary, header_scale, prepare_survey, suggest_reverse_keys

ROOT = Path(__file__).resolve().parents[2]
BFI = Path("/work/shared/data/bfi.csv")
BFI_REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    path = BFI if BFI.exists() else ROOT / "tests" / "fixtures" / "real" / "bfi.csv"
    return pd.read_csv(path)


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("labels", "points", "expected"),
    [
        # The issue's personality inventory: six agreement labels, no neutral -> 1..6 (not 1,2,3,5,6,7).
        (
            ["Helt uenig", "Uenig", "Litt uenig", "Litt enig", "Enig", "Helt enig"],
            6,
            {"Helt uenig": 1, "Uenig": 2, "Litt uenig": 3, "Litt enig": 4, "Enig": 5, "Helt enig": 6},
        ),
        (
            ["Helt uenig", "Uenig", "Verken enig eller uenig", "Enig", "Helt enig"],
            5,
            {"Helt uenig": 1, "Uenig": 2, "Verken enig eller uenig": 3, "Enig": 4, "Helt enig": 5},
        ),
        (
            ["Helt uenig", "Uenig", "Litt uenig", "Nøytral", "Litt enig", "Enig", "Helt enig"],
            7,
            {
                "Helt uenig": 1,
                "Uenig": 2,
                "Litt uenig": 3,
                "Nøytral": 4,
                "Litt enig": 5,
                "Enig": 6,
                "Helt enig": 7,
            },
        ),
        # R's factor spelling, four points without a neutral.
        (
            ["StronglyDisagree", "Disagree", "Agree", "StronglyAgree"],
            4,
            {"StronglyDisagree": 1, "Disagree": 2, "Agree": 3, "StronglyAgree": 4},
        ),
        (
            ["Mycket missnöjd", "Missnöjd", "Varken nöjd eller missnöjd", "Nöjd", "Mycket nöjd"],
            5,
            {
                "Mycket missnöjd": 1,
                "Missnöjd": 2,
                "Varken nöjd eller missnöjd": 3,
                "Nöjd": 4,
                "Mycket nöjd": 5,
            },
        ),
        (
            ["Meget utilfreds", "Utilfreds", "Tilfreds", "Meget tilfreds"],
            4,
            {"Meget utilfreds": 1, "Utilfreds": 2, "Tilfreds": 3, "Meget tilfreds": 4},
        ),
        (["Aldri", "Sjelden", "Ofte", "Alltid"], 4, {"Aldri": 1, "Sjelden": 2, "Ofte": 3, "Alltid": 4}),
        (
            ["Never", "Rarely", "Sometimes", "Often", "Always"],
            5,
            {"Never": 1, "Rarely": 2, "Sometimes": 3, "Often": 4, "Always": 5},
        ),
        (
            [
                "Not at all important",
                "Slightly important",
                "Moderately important",
                "Very important",
                "Extremely important",
            ],
            5,
            {
                "Not at all important": 1,
                "Slightly important": 2,
                "Moderately important": 3,
                "Very important": 4,
                "Extremely important": 5,
            },
        ),
        (
            ["Mycket dålig", "Dålig", "Bra", "Mycket bra"],
            4,
            {"Mycket dålig": 1, "Dålig": 2, "Bra": 3, "Mycket bra": 4},
        ),
        (
            ["Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely", "Very likely"],
            5,
            {
                "Very unlikely": 1,
                "Unlikely": 2,
                "Neither likely nor unlikely": 3,
                "Likely": 4,
                "Very likely": 5,
            },
        ),
    ],
)
def test_the_scale_is_chosen_from_the_whole_set_of_labels(labels, points, expected):
    scale = choose_scale(labels)
    assert scale is not None and scale.points == points
    assert scale.mapping == {k: float(v) for k, v in expected.items()}
    assert (scale.scale_min, scale.scale_max) == (1.0, float(points)) and scale.unknown == []


def test_numbered_labels_use_their_numbers_up_to_eleven_points():
    scale = choose_scale(["0 - Not at all likely", "5", "10 - Extremely likely", "7"])
    assert scale.mapping == {"0 - Not at all likely": 0.0, "5": 5.0, "10 - Extremely likely": 10.0, "7": 7.0}
    assert (scale.scale_min, scale.scale_max, scale.points) == (0.0, 10.0, 11)


def test_unknown_labels_are_listed_not_guessed():
    scale = choose_scale(["Helt uenig", "Enig", "Helt enig", "Vet ikke"])
    assert scale.unknown == ["Vet ikke"] and "Vet ikke" not in scale.mapping
    assert choose_scale(["Yum!", "Horrendous"]) is None


# ---------------------------------------------------------------- header scales


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Anbefaling (0-10)", (0.0, 10.0)),
        ("Kvalitet 1–7", (1.0, 7.0)),
        ("Q5 [1-5]", (1.0, 5.0)),
        ("Holdning (-3 til +3)", (-3.0, 3.0)),
        ("Slider (skala 1 til 100)", (1.0, 100.0)),
        ("Q1-2", None),
        ("Forventning 1", None),
        ("År 2019-2020", None),
    ],
)
def test_scales_named_in_headers(header, expected):
    assert header_scale(header) == expected


def test_any_integer_range_is_a_scale_and_nothing_is_dropped_in_silence():
    rng = np.random.default_rng(7)
    n = 60
    table = pd.DataFrame(
        {
            "Respondent": [f"R{i}" for i in range(n)],
            "Reiseklasse": rng.choice(["Økonomi", "Business"], n),
            "Slider 1": rng.integers(1, 101, n).astype(float),
            "Holdning": rng.integers(-3, 4, n).astype(float),
            "Anbefaling (0-10)": rng.integers(1, 12, n).astype(float),  # the tool wrote 0–10 as 1–11
            "Vekt": rng.random(n),
            "Alder": rng.integers(18, 80, n).astype(float),
            "Kommentar": [f"tekst {i}" for i in range(n)],
            "Tom": [None] * n,
        }
    )
    from kamcore.ingest import guess_mapping

    guess = guess_mapping(table)
    assert guess.kind.value == "survey" and guess.reasons["kind"] == "4 of 8 columns hold answers on a rating scale"
    prepared = prepare_survey(table)
    d = prepared.dictionary
    assert d.items == ["Slider 1", "Holdning", "Anbefaling (0-10)"]
    assert d.scale_of("Slider 1") == (1.0, 100.0)
    assert d.scale_of("Holdning") == (-3.0, 3.0)
    assert d.scale_of("Anbefaling (0-10)") == (1.0, 11.0)
    [note] = prepared.scale_notes
    assert (note.item, note.header_min, note.header_max, note.data_min, note.data_max, note.shift) == (
        "Anbefaling (0-10)",
        0.0,
        10.0,
        1.0,
        11.0,
        -1.0,
    )
    assert {k: v.code for k, v in prepared.excluded.items()} == {
        "Vekt": "decimals",
        "Kommentar": "free_text",
        "Tom": "empty",
    }
    assert set(prepared.attributes.columns) == {"Respondent", "Reiseklasse", "Alder"}
    every = set(d.items) | set(prepared.attributes.columns) | set(prepared.excluded)
    assert every == set(table.columns)
    shifted = prepare_survey(table, shifts={"Anbefaling (0-10)": -1})
    assert shifted.dictionary.scale_of("Anbefaling (0-10)") == (0.0, 10.0) and shifted.scale_notes[0].applied
    np.testing.assert_array_equal(shifted.responses["Anbefaling (0-10)"], table["Anbefaling (0-10)"] - 1)


def test_excluded_reasons_have_sentences_in_every_language():
    import json

    catalogue = json.loads((ROOT / "ui" / "locales" / "survey.json").read_text(encoding="utf-8"))
    from kamcore.survey_prepare import EXCLUSION_SENTENCES

    for code, english in EXCLUSION_SENTENCES.items():
        entry = catalogue[f"excluded_{code}"]
        assert entry["en"] == english and entry["nb"] and entry["sv"]


# ---------------------------------------------------------------- roles, pairs, dimensions


@pytest.mark.parametrize(
    ("columns", "pairs"),
    [
        (
            [f"Forventning {k}" for k in (1, 2)] + [f"Opplevelse {k}" for k in (1, 2)],
            {"1": ("Forventning 1", "Opplevelse 1"), "2": ("Forventning 2", "Opplevelse 2")},
        ),
        (
            ["Förväntan leverans", "Upplevelse leverans"],
            {"leverans": ("Förväntan leverans", "Upplevelse leverans")},
        ),
        (
            ["Forventning service", "Oplevelse service"],
            {"service": ("Forventning service", "Oplevelse service")},
        ),
        (["Expectation_speed", "Perception_speed"], {"speed": ("Expectation_speed", "Perception_speed")}),
        (["E1", "E2", "P1", "P2"], {"1": ("E1", "P1"), "2": ("E2", "P2")}),
        (["e1", "s1", "e2", "s2"], {"1": ("e1", "s1"), "2": ("e2", "s2")}),  # s = satisfaction: the experience side
        (["E_1", "S_1"], {"1": ("E_1", "S_1")}),
        (["exp_price", "perc_price"], {"price": ("exp_price", "perc_price")}),
        (["Q3_E", "Q3_P"], {"q3": ("Q3_E", "Q3_P")}),
        (["Forventning 1", "Erfaring 1"], {"1": ("Forventning 1", "Erfaring 1")}),
        (["Expectation 3", "Experience 3"], {"3": ("Expectation 3", "Experience 3")}),
        (["Förväntan 2", "Upplevelse 2"], {"2": ("Förväntan 2", "Upplevelse 2")}),
        (["speed_E", "speed_P", "price_E", "price_P"], {"speed": ("speed_E", "speed_P"), "price": ("price_E", "price_P")}),
    ],
)
def test_expectation_perception_pairs_from_headers(columns, pairs):
    assert guess_dictionary(columns).pairs("gap") == pairs


def test_importance_performance_pairs_and_viktighet_tilfredshet():
    d = guess_dictionary(["Viktighet pris", "Tilfredshet pris", "Viktighet levering", "Tilfredshet levering"])
    assert d.pairs("ipa") == {
        "pris": ("Viktighet pris", "Tilfredshet pris"),
        "levering": ("Viktighet levering", "Tilfredshet levering"),
    }
    # I and P without any E: P is performance (importance–performance analysis).
    d = guess_dictionary(["I1", "P1", "I2", "P2"])
    assert d.pairs("ipa") == {"1": ("I1", "P1"), "2": ("I2", "P2")} and d.pairs("gap") == {}


def test_letters_of_five_dimensions_are_dimensions_not_roles(bfi):
    d = guess_dictionary([c for c in bfi.columns if len(c) == 2 and c[1].isdigit()])
    assert d.pairs("gap") == {} and set(d.items_with_role("plain")) == set(d.items)
    assert d.dimension_of()["E1"] == "E" and d.dimension_of()["O5"] == "O" and d.dimension_of()["A3"] == "A"
    key_areas = guess_dictionary(["E_acc1", "P_acc1", "E_acc2", "P_acc2"])
    assert key_areas.dimension_of() == {
        "E_acc1": "accuracy",
        "P_acc1": "accuracy",
        "E_acc2": "accuracy",
        "P_acc2": "accuracy",
    }


# ---------------------------------------------------------------- reverse keys and alpha


def test_reverse_keys_from_the_first_principal_component_match_psych(bfi):
    prepared = prepare_survey(bfi)
    assert prepared.suggested_reverse == BFI_REVERSED
    assert prepared.dictionary.reversed_items() == BFI_REVERSED
    # Answers stay as given; keyed() turns the reversed items round on the 1..6 scale.
    np.testing.assert_array_equal(prepared.responses["A1"].to_numpy(), bfi["A1"].to_numpy())
    np.testing.assert_array_equal(prepared.keyed()["A1"].to_numpy(), 7 - bfi["A1"].to_numpy())


def test_suggestion_needs_complete_answers_and_three_items():
    d = ItemDictionary(rows=[ItemRow(item=c, dimension="X", scale_min=1, scale_max=5) for c in "ab"])
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5] * 4, "b": [5, 4, 3, 2, 1] * 4})
    assert suggest_reverse_keys(frame, d) == []  # two items: no group


def test_alpha_uses_the_keys_and_its_interval_is_feldts_as_pingouin(bfi):
    import pingouin as pg

    prepared = prepare_survey(bfi)
    table = reliability_by_dimension(prepared.keyed(), prepared.dictionary).set_index("dimension")
    keyed = prepared.keyed()
    for dim in "ACENO":
        items = [f"{dim}{k}" for k in range(1, 6)]
        complete = keyed[items].dropna()
        alpha, (low, high) = pg.cronbach_alpha(complete)
        assert table.loc[dim, "alpha"] == pytest.approx(alpha, abs=1e-12)
        assert table.loc[dim, "ci_low"] == pytest.approx(low, abs=5.1e-4)
        assert table.loc[dim, "ci_high"] == pytest.approx(high, abs=5.1e-4)
        assert table.loc[dim, "n"] == len(complete)
    # Without the keys, Agreeableness (A1 reversed) would look far less consistent.
    unkeyed = reliability_by_dimension(prepared.responses, prepared.dictionary).set_index("dimension")
    assert unkeyed.loc["A", "alpha"] < table.loc["A", "alpha"] - 0.2


def test_alpha_ci_by_hand():
    from scipy.stats import f

    low, high = alpha_ci(0.8, n=50, k=5)
    assert low == pytest.approx(1 - 0.2 * f.ppf(0.975, 49, 196), abs=1e-12)
    assert high == pytest.approx(1 - 0.2 * f.ppf(0.025, 49, 196), abs=1e-12)
    assert np.isnan(alpha_ci(float("nan"), 50, 5)[0]) and np.isnan(alpha_ci(0.8, 1, 5)[0])
    r = cronbach_alpha_ci(
        pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]}), ["a", "b", "c"]
    )
    # item variances 2.5 + 2.3 + 1.5 = 6.3; sum scores 4, 7, 9, 13, 14 have variance 17.3
    assert r.alpha == pytest.approx(1.5 * (1 - 6.3 / 17.3), abs=1e-12) and r.n == 5


# ---------------------------------------------------------------- the user's dictionary


def test_the_users_dictionary_decides_the_items_and_removed_ones_are_excluded(bfi):
    proposed = prepare_survey(bfi).dictionary.to_frame()
    mine = proposed[proposed["item"] != "O5"].copy()
    mine.loc[mine["item"] == "A2", "question"] = "Spør hvordan andre har det."
    prepared = prepare_survey(bfi, mine)
    assert "O5" not in prepared.dictionary.items and prepared.excluded["O5"].code == "removed"
    assert prepared.dictionary.row("A2").question == "Spør hvordan andre har det."
    with pytest.raises(KamError) as err:
        prepare_survey(bfi, pd.concat([mine, pd.DataFrame([{"item": "age"}])], ignore_index=True))
    assert err.value.code == "survey.dictionary_item_not_answers"


def test_dictionary_round_trips_through_the_downloaded_csv(bfi):
    d = prepare_survey(bfi).dictionary
    d = ItemDictionary(
        rows=[*d.rows[:2], d.rows[2].model_copy(update={"question": "=cmd|' /C calc'!A0"}), *d.rows[3:]]
    )
    data = export.to_csv_bytes(d.to_frame())
    back = pd.read_csv(
        io.BytesIO(data), sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    again = ItemDictionary.from_frame(back)
    assert [r.model_dump(exclude={"question"}) for r in again.rows] == [
        r.model_dump(exclude={"question"}) for r in d.rows
    ]
    assert again.rows[0].question == d.rows[0].question
    assert not again.rows[2].question.startswith("=")  # neutralised on export


def test_blank_rows_from_a_grid_are_skipped_and_reverse_needs_a_scale():
    frame = pd.DataFrame(
        [{"item": "a", "scale_min": 1, "scale_max": 5, "reverse": True}, {"item": None, "question": None}]
    )
    assert ItemDictionary.from_frame(frame).items == ["a"]
    with pytest.raises(KamError) as err:
        ItemDictionary.from_frame(pd.DataFrame([{"item": "a", "reverse": True}]))
    assert err.value.code == "survey.dictionary_reverse_needs_scale"
    with pytest.raises(KamError) as err:
        ItemDictionary.from_frame(pd.DataFrame([{"item": "a", "scale_min": 5, "scale_max": 1}]))
    assert err.value.code == "survey.dictionary_scale_order"


def test_apply_keys_turns_round_only_the_reversed_items():
    d = ItemDictionary(rows=[ItemRow(item="a", reverse=True, scale_min=-3, scale_max=3), ItemRow(item="b")])
    out = apply_keys(pd.DataFrame({"a": [-3.0, 0.0, 2.0, np.nan], "b": [1.0, 2.0, 3.0, 4.0]}), d)
    np.testing.assert_array_equal(out["a"], [3.0, 0.0, -2.0, np.nan])
    np.testing.assert_array_equal(out["b"], [1.0, 2.0, 3.0, 4.0])


# ---------------------------------------------------------------- attributes and accounts


def test_churn_repeat_months_and_saved_respondent_segments_come_with_the_attributes():
    table = pd.DataFrame(
        {
            "Respondent": ["1", "2", "3"],
            "Kundenr": ["K1", "K2", "K9"],
            "Q1": [1.0, 2.0, 3.0],
            "Q2": [2.0, 3.0, 4.0],
            "Q3": [3.0, 4.0, 5.0],
        }
    )
    accounts = pd.DataFrame({"customer_id": ["K1", "K2"], "status": ["churned", "active"]})
    transactions = pd.DataFrame(
        {
            "customer_id": ["K1", "K2", "K2"],
            "date": pd.to_datetime(["2026-01-05", "2026-01-09", "2026-03-01"]),
        }
    )
    segments = {"key": "Respondent", "labels": {"1": "A", "3": "B"}}
    p = prepare_survey(table, accounts=accounts, transactions=transactions, segments=segments)
    assert p.attribute("churned_flag").tolist() == [True, False, False]
    assert p.attribute("purchase_months").tolist()[:2] == [1.0, 2.0] and np.isnan(
        p.attribute("purchase_months")[2]
    )
    assert p.attribute("respondent_segment").tolist()[0] == "A" and pd.isna(
        p.attribute("respondent_segment")[1]
    )
    lower = prepare_survey(table, segments={"key": "respondent", "labels": {"2": "C"}})
    assert lower.attribute("respondent_segment").tolist()[1] == "C"


def test_the_statistics_do_not_import_the_ingest_for_their_data_model():
    code = "import sys, kamcore.survey; print('kamcore.survey_ingest' in sys.modules, 'kamcore.ingest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------- question-text rows at ingest


def test_a_question_text_row_is_kept_as_questions_never_rejected():
    text = (
        "Svar-ID;Kjønn;A1;A2;A3\r\n"
        "Svar-ID;Kjønn;Er likegyldig til andres følelser;Spør hvordan andre har det;Vet hvordan trøste andre\r\n"
        "1;Mann;Helt uenig;Enig;Litt enig\r\n2;Kvinne;Uenig;Helt enig;Enig\r\n3;Kvinne;Litt uenig;Enig;Helt enig\r\n"
    ).encode("cp1252")
    parsed = load_file(text, "nettskjema.csv").tables[0]
    assert (
        parsed.quality.rows_rejected == 0 and parsed.quality.rows_kept == 3 and parsed.quality.empty_rows == 0
    )
    assert parsed.quality.question_texts["A1"] == "Er likegyldig til andres følelser"
    assert parsed.data["A1"].tolist() == ["Helt uenig", "Uenig", "Litt uenig"]
    assert any(i.code == "header_rows_kept" and i.params["line"] == 2 for i in parsed.quality.issues)
    prepared = prepare_survey(parsed.data, question_texts=parsed.quality.question_texts)
    assert prepared.dictionary.row("A2").question == "Spør hvordan andre har det"
    assert prepared.responses["A3"].tolist() == [4.0, 5.0, 6.0]  # 6-point: Litt enig = 4


def test_qualtrics_three_header_rows_with_a_quoted_multiline_text_and_numbers():
    text = (
        "ResponseId,Q1,Q2,Q3\n"
        'Response ID,"How satisfied are you\nwith delivery?",Price level,Overall\n'
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}","{""ImportId"":""QID3""}"\n'
        "R_1,5,4,3\nR_2,4,4,2\nR_3,3,5,1\n"
        + "".join(f"R_{i},{1 + i % 5},2,2\n" for i in range(4, 30))
        + "R_30,x,2,2\n"
    )
    parsed = load_file(text.encode(), "qualtrics.csv").tables[0]
    assert parsed.quality.question_texts["Q1"] == "How satisfied are you\nwith delivery?"
    # The one bad row is still found, with its line in the file.
    assert parsed.quality.rows_rejected == 1 and parsed.rejected["source_row"].tolist() == [34]
    assert parsed.data["Q2"].tolist()[:3] == [4.0, 4.0, 5.0] and parsed.quality.rows_kept == 29


def test_ordinary_tables_keep_their_first_row():
    text = b"Kundenr;Navn;Omsetning\n001;Alfa AS;100,5\n002;Beta AS;200\n003;Gamma AS;300\n"
    parsed = load_file(text, "kunder.csv").tables[0]
    assert parsed.quality.rows_kept == 3 and parsed.quality.question_texts == {}


def test_an_excel_export_with_title_rows_and_a_question_text_row(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Kundeundersøkelse 2026"])
    ws.append([])
    ws.append(["ID", "Forventning 1", "Opplevelse 1", "Anbefaling (0-10)"])
    ws.append(
        [
            "ID",
            "Hvor raskt forventer du svar?",
            "Hvor raskt fikk du svar?",
            "Hvor sannsynlig er det at du anbefaler oss?",
        ]
    )
    for i, (e, p, r) in enumerate([(6, 4, 8), (7, 5, 9), (5, 5, 10), (6, 3, 4)], start=1):
        ws.append([i, e, p, r])
    path = tmp_path / "forms.xlsx"
    wb.save(path)
    parsed = load_file(path).tables[0]
    assert parsed.quality.rows_rejected == 0 and parsed.quality.rows_kept == 4
    assert parsed.quality.question_texts["Opplevelse 1"] == "Hvor raskt fikk du svar?"
    assert parsed.data["Forventning 1"].tolist() == [6.0, 7.0, 5.0, 6.0]
    prepared = prepare_survey(parsed.data, question_texts=parsed.quality.question_texts)
    assert prepared.dictionary.pairs("gap") == {"1": ("Forventning 1", "Opplevelse 1")}
    assert prepared.dictionary.row("Forventning 1").question == "Hvor raskt forventer du svar?"
    assert prepared.dictionary.scale_of("Anbefaling (0-10)") == (0.0, 10.0)


def test_segment_keys_written_from_float_respondent_ids_match():
    table = pd.DataFrame({"Respondent": [1.0, 2.0, 3.0], "Q1": [1.0, 2.0, 3.0], "Q2": [2.0, 3.0, 4.0],
                          "Q3": [3.0, 4.0, 5.0]})
    p = prepare_survey(table, segments={"key": "Respondent", "labels": {"1": "A", "2": "B", "3": "A"}})
    assert p.attribute("respondent_segment").tolist() == ["A", "B", "A"]
    rows = prepare_survey(table.drop(columns="Respondent"), segments={"key": "row_number", "labels": {"2": "B"}})
    assert rows.attribute("respondent_segment").tolist()[1] == "B"


# ---------------------------------------------------------------- every label family, language and length


def _family_cases():
    from kamcore.survey_labels import CUTS, FAMILIES

    for (family, language), positions in sorted(FAMILIES.items()):
        for points, cut in CUTS.items():
            # The first spelling of the most extreme position of each point (the first for negatives).
            labels = [positions[group[0] if group[0] < 0 else group[-1]][0] for group in cut]
            yield pytest.param(family, language, points, labels, id=f"{family}-{language}-{points}")


@pytest.mark.parametrize(("family", "language", "points", "labels"), list(_family_cases()))
def test_every_label_family_in_every_language_from_four_to_seven_points(family, language, points, labels):
    # 4 and 6 points have no neutral middle, 5 and 7 have one: the scale follows the labels present.
    from kamcore.survey_labels import FAMILIES, normalise_label

    scale = choose_scale(list(reversed(labels)))
    assert (scale.family, scale.points) == (family, points)
    if scale.language != language:  # Danish and Norwegian share words ("helt uenig" … "helt enig"): same scale
        same = {normalise_label(sp): pos for pos, sps in FAMILIES[(family, scale.language)].items() for sp in sps}
        ours = {normalise_label(sp): pos for pos, sps in FAMILIES[(family, language)].items() for sp in sps}
        assert all(same[normalise_label(lab)] == ours[normalise_label(lab)] for lab in labels)
    assert [scale.mapping[lab] for lab in labels] == [float(k) for k in range(1, points + 1)]
    assert scale.unknown == []


@pytest.mark.parametrize("points", [8, 9, 10, 11])
def test_numbered_label_scales_of_eight_to_eleven_points(points):
    labels = [f"{k} - Helt uenig" if k == 1 else f"{k} - Helt enig" if k == points else str(k) for k in range(1, points + 1)]
    scale = choose_scale(labels)
    assert (scale.family, scale.points, scale.scale_min, scale.scale_max) == ("numbered", points, 1.0, float(points))
    assert scale.mapping[f"{points} - Helt enig"] == float(points)


@pytest.mark.parametrize("lang", ["en", "nb", "sv"])
def test_dictionary_round_trips_through_the_csv_of_every_language(bfi, lang):
    # The page's download writes ';' and a decimal comma for nb/sv; its upload reads either back.
    d = prepare_survey(bfi).dictionary
    d = ItemDictionary(rows=[d.rows[0].model_copy(update={"scale_min": -2.5, "scale_max": 2.5}), *d.rows[1:]])
    separator, decimal = export.csv_format(lang)
    data = export.to_csv_bytes(d.to_frame(), sep=separator, decimal=decimal)
    assert (b"-2,5" in data) == (lang != "en")
    back = pd.read_csv(
        io.BytesIO(data), sep=None, engine="python", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    again = ItemDictionary.from_frame(back, available=list(bfi.columns))
    assert again.to_frame().equals(d.to_frame())
    assert again.scale_of(d.rows[0].item) == (-2.5, 2.5)


def test_rows_cuts_answers_and_attributes_to_the_chosen_respondents(bfi):
    prepared = prepare_survey(bfi)
    index = prepared.responses.index[[0, 2, 5]]
    part = prepared.rows(index)
    assert list(part.responses.index) == list(index) == list(part.attributes.index)
    assert part.dictionary is prepared.dictionary and part.excluded == prepared.excluded
    np.testing.assert_array_equal(part.keyed()["A1"].to_numpy(), 7 - bfi["A1"].to_numpy()[[0, 2, 5]])
    assert len(prepared.responses) == len(bfi)  # the whole survey is untouched
