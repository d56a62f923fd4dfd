"""Tests for the survey ingest modules (survey_layout, survey_scales, survey_headers, survey_respondents): layouts, two-row headers, scales, labels, dictionary, exclusion."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore.errors import KamError
from kamcore.survey_headers import guess_item_dictionary
from kamcore.survey_layout import detect_layout, has_two_row_header, merge_two_row_header, to_wide
from kamcore.survey_model import ItemDictionary
from kamcore.survey_respondents import (
    ExclusionReport,
    churned_flag,
    exclude_incomplete,
    group_labels,
    respondent_attributes,
    survey_items,
)
from kamcore.survey_scales import apply_label_mapping, detect_scales, guess_label_mapping, reverse_items
from tests.core.demo_files import read_norwegian

ROOT = Path(__file__).resolve().parents[2]




# ---------------------------------------------------------------- layouts


def test_long_to_wide_keeps_order_and_blanks():
    long = pd.DataFrame(
        {
            "respondent": ["r1", "r1", "r2", "r3", "r3"],
            "item": ["Q2", "Q1", "Q1", "Q1", "Q2"],
            "value": [4, 5, 3, 1, 2],
        }
    )
    assert detect_layout(long) == "long"
    wide = to_wide(long)
    assert list(wide.columns) == ["respondent", "Q2", "Q1"]
    assert wide["respondent"].tolist() == ["r1", "r2", "r3"]
    assert wide["Q1"].tolist() == [5, 3, 1]
    assert wide["Q2"].iloc[0] == 4 and np.isnan(wide["Q2"].iloc[1]) and wide["Q2"].iloc[2] == 2


def test_long_with_other_names_and_explicit_columns():
    long = pd.DataFrame({"who": [1, 1, 2, 2], "q": ["a", "b", "a", "b"], "ans": [1, 2, 3, 4]})
    assert detect_layout(long) == "long"  # three columns, first repeats
    wide = to_wide(long, layout="long", respondent="who", item="q", value="ans")
    assert wide[["a", "b"]].to_numpy().tolist() == [[1, 2], [3, 4]]


def test_wide_is_returned_unchanged():
    wide = pd.DataFrame({"Respondent": [1, 2], "Q1": [3, 4], "Q2": [5, 6], "Q3": [1, 1]})
    assert detect_layout(wide) == "wide"
    out = to_wide(wide)
    pd.testing.assert_frame_equal(out, wide)
    assert out is not wide


def test_long_duplicate_names_row_and_item():
    long = pd.DataFrame({"respondent": ["a", "a", "a"], "item": ["Q1", "Q2", "Q1"], "value": [1, 2, 3]})
    with pytest.raises(KamError) as err:
        to_wide(long, layout="long")
    assert err.value.code == "survey.long_duplicate"
    assert err.value.params == {"row": 4, "respondent": "a", "item": "Q1"}


# ---------------------------------------------------------------- two-row headers

QUALTRICS = """StartDate,ResponseId,Q1_1,Q1_2,Q2
Start Date,Response ID,How accurate are our deliveries? - Accuracy,How available are we? - Availability,Would you recommend us?
"{""ImportId"":""startDate""}","{""ImportId"":""_recordId""}","{""ImportId"":""QID1_1""}","{""ImportId"":""QID1_2""}","{""ImportId"":""QID2""}"
2026-01-05,R_1,5,4,9
2026-01-06,R_2,3,,7
"""


def test_qualtrics_three_header_rows_read_without_header():
    raw = pd.read_csv(io.StringIO(QUALTRICS), header=None, dtype=str)
    assert has_two_row_header(raw)
    merged = merge_two_row_header(raw)
    assert merged.dropped_rows == 3
    assert list(merged.frame.columns) == ["StartDate", "ResponseId", "Q1_1", "Q1_2", "Q2"]
    assert merged.question_texts["Q1_1"] == "How accurate are our deliveries? - Accuracy"
    assert merged.question_texts["Q2"] == "Would you recommend us?"
    assert len(merged.frame) == 2
    assert merged.frame["Q1_1"].tolist() == [5.0, 3.0]
    assert np.isnan(merged.frame["Q1_2"].iloc[1])
    assert merged.frame["ResponseId"].tolist() == ["R_1", "R_2"]


def test_qualtrics_read_with_first_row_as_header():
    df = pd.read_csv(io.StringIO(QUALTRICS), dtype=str)
    merged = merge_two_row_header(df)
    assert merged.dropped_rows == 2
    assert merged.frame["Q2"].tolist() == [9.0, 7.0]
    assert merged.question_texts["Q1_2"] == "How available are we? - Availability"


def test_surveymonkey_matrix_continuation_columns():
    text = (
        "Respondent ID,How satisfied are you with,,Comment\n"
        ",Delivery,Advice,Open-Ended Response\n"
        "101,4,5,fine\n"
        "102,2,3,\n"
    )
    raw = pd.read_csv(io.StringIO(text), header=None, dtype=str)
    merged = merge_two_row_header(raw)
    assert list(merged.frame.columns) == [
        "Respondent ID",
        "How satisfied are you with",
        "How satisfied are you with - Advice",
        "Comment",
    ]
    assert merged.question_texts["How satisfied are you with - Advice"] == "Advice"
    assert merged.frame["How satisfied are you with - Advice"].tolist() == [5.0, 3.0]


def test_plain_header_is_not_two_rows():
    raw = pd.read_csv(io.StringIO("Q1,Q2\n1,2\n3,4\n5,6\n"), dtype=str)
    assert not has_two_row_header(raw)


# ---------------------------------------------------------------- scales and labels


def test_detect_numeric_scales_smallest_that_fits():
    df = pd.DataFrame(
        {
            "five": [1, 3, 5, 2],
            "seven": [1, 6, 7, 2],
            "ten": [1, 8, 10, 9],
            "zero_ten": [0, 3, 10, 5],
            "as_text": ["1", "4", "5", ""],
            "amount": [1.5, 2.0, 3.0, 4.0],
            "id": [1001, 1002, 1003, 1004],
            "free": ["good", "bad", "ok", None],
        }
    )
    scales = detect_scales(df, list(df.columns)).set_index("item")
    assert scales.loc["five", ["scale_min", "scale_max", "kind"]].tolist() == [1.0, 5.0, "numeric"]
    assert scales.loc["seven", ["scale_min", "scale_max"]].tolist() == [1.0, 7.0]
    assert scales.loc["ten", ["scale_min", "scale_max"]].tolist() == [1.0, 10.0]
    assert scales.loc["zero_ten", ["scale_min", "scale_max"]].tolist() == [0.0, 10.0]
    assert scales.loc["as_text", ["scale_min", "scale_max", "kind"]].tolist() == [1.0, 5.0, "numeric"]
    assert scales.loc["amount", "kind"] == "other"
    assert scales.loc["id", ["scale_min", "scale_max", "kind"]].tolist() == [1001.0, 1004.0, "other"]
    assert scales.loc["free", "kind"] == "other"


def test_norwegian_seven_point_labels():
    labels = ["Helt uenig", "Uenig", "Litt uenig", "Nøytral", "Litt enig", "Enig", "Helt enig"]
    mapping = guess_label_mapping(labels + [None, ""])
    assert mapping == {lab: i + 1 for i, lab in enumerate(labels)}
    # "Uenig" beside "Litt uenig" only fits the 7-point scale
    df = pd.DataFrame({"q": ["helt enig", " Litt uenig ", None, "Verken enig eller uenig", "Uenig"]})
    scales = detect_scales(df, ["q"])
    assert scales.iloc[0][["scale_min", "scale_max", "kind"]].tolist() == [1.0, 7.0, "labels"]
    out = apply_label_mapping(df, ["q"], guess_label_mapping(df["q"]))
    assert out["q"].iloc[[0, 1, 3, 4]].tolist() == [7.0, 3.0, 4.0, 2.0]
    # without it, "Litt uenig" is the second point of the 5-point scale
    short = detect_scales(df.iloc[:4], ["q"])
    assert short.iloc[0][["scale_min", "scale_max"]].tolist() == [1.0, 5.0]
    assert np.isnan(out["q"].iloc[2])


def test_five_point_chosen_without_seven_point_only_labels():
    mapping = guess_label_mapping(["Uenig", "Enig", "Helt enig", "Helt uenig"])
    assert mapping == {"Helt uenig": 1, "Uenig": 2, "Enig": 4, "Helt enig": 5}


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (
            ["Instämmer inte alls", "Instämmer inte", "Varken eller", "Instämmer", "Instämmer helt"],
            [1, 2, 3, 4, 5],
        ),
        (["Mycket missnöjd", "Missnöjd", "Neutral", "Nöjd", "Mycket nöjd"], [1, 2, 3, 4, 5]),
        (["Mycket missnöjd", "Något missnöjd", "Något nöjd", "Mycket nöjd"], [1, 3, 5, 7]),
        (
            ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"],
            [1, 2, 3, 4, 5],
        ),
        (
            [
                "Strongly disagree",
                "Somewhat disagree",
                "Neutral",
                "Somewhat agree",
                "Agree",
                "Strongly agree",
            ],
            [1, 3, 4, 5, 6, 7],
        ),
        (["1 - Not at all", "3", "5 = Very much"], None),
        (["1 - Not at all", "3 Middle", "5 = Very much"], [1, 3, 5]),
    ],
)
def test_label_scales_swedish_english_and_numbered(labels, expected):
    mapping = guess_label_mapping(labels)
    if expected is None:
        assert mapping == {}
    else:
        assert [mapping[lab] for lab in labels] == expected


def test_user_corrected_mapping_and_unmapped_label_names_row_and_column():
    df = pd.DataFrame({"Q1": ["Good", "Bad", "Okay", "5"], "Q2": [1, 2, 3, 4]})
    assert guess_label_mapping(df["Q1"]) == {}
    out = apply_label_mapping(df, ["Q1", "Q2"], {"bad": 1, "okay": 3, "good": 5})
    assert out["Q1"].tolist() == [5.0, 1.0, 3.0, 5.0]
    assert out["Q2"].dtype == float
    with pytest.raises(KamError) as err:
        apply_label_mapping(df, ["Q1"], {"bad": 1, "good": 5})
    assert err.value.code == "survey.unmapped_label"
    assert err.value.params == {"row": 4, "column": "Q1", "value": "Okay"}
    assert "Row 4, column 'Q1'" in str(err.value)


def test_reverse_items_uses_scale_ends():
    df = pd.DataFrame({"a": [1, 2, 7, np.nan], "b": [0, 10, 4, 5], "c": [1, 1, 1, 1]})
    out = reverse_items(df, ["a", "b"], {"a": 1, "b": 0}, {"a": 7, "b": 10})
    assert out["a"].tolist()[:3] == [7.0, 6.0, 1.0] and np.isnan(out["a"].iloc[3])
    assert out["b"].tolist() == [10.0, 0.0, 6.0, 5.0]
    assert out["c"].tolist() == [1, 1, 1, 1]


@given(st.lists(st.integers(1, 7), min_size=1, max_size=30))
@settings(max_examples=50, deadline=None)
def test_reversing_twice_is_identity(values):
    df = pd.DataFrame({"x": values})
    twice = reverse_items(reverse_items(df, ["x"], 1, 7), ["x"], 1, 7)
    assert twice["x"].tolist() == [float(v) for v in values]


# ---------------------------------------------------------------- item dictionary


def test_guess_dictionary_gap_pairs_and_key_areas():
    cols = ["E_acc1", "P_acc1", "E_adv2", "P_adv2", "E_ava1", "Anbefale", "Q5_r"]
    d = guess_item_dictionary(cols).set_index("item")
    assert list(d.columns) == ["question", "dimension", "role", "pair", "reverse", "scale_min", "scale_max"]
    assert d.loc["E_acc1", ["dimension", "role", "pair"]].tolist() == ["accuracy", "expectation", "acc1"]
    assert d.loc["P_acc1", ["dimension", "role", "pair"]].tolist() == ["accuracy", "perception", "acc1"]
    assert d.loc["P_adv2", ["dimension", "pair"]].tolist() == ["advice", "adv2"]
    # no P_ava1: an expectation without partner has no pair
    assert d.loc["E_ava1", ["dimension", "role", "pair"]].tolist() == ["availability", "expectation", ""]
    assert d.loc["Anbefale", ["dimension", "role", "pair"]].tolist() == ["", "plain", ""]
    assert d.loc["Q5_r", "reverse"] and not d.loc["E_acc1", "reverse"]


def test_importance_with_p_prefix_means_performance():
    d = guess_item_dictionary(["I_rel1", "P_rel1", "I_emp1", "P_emp1"]).set_index("item")
    assert d.loc["P_rel1", "role"] == "performance"
    assert d.loc["I_rel1", ["role", "pair", "dimension"]].tolist() == ["importance", "rel1", "reliability"]
    assert d.loc["P_emp1", "dimension"] == "empathy"


def test_words_in_question_texts_set_role_and_dimension():
    texts = {
        "q1": "Forventning: nøyaktighet i leveransene",
        "q2": "Opplevelse: tilgjengelighet hos selger",
        "q3": "Viktighet av rådgivning",
        "q4": "Förväntan på anpassning",
        "q5": "Hur nöjd är du (omvänd)",
    }
    d = guess_item_dictionary(list(texts), texts).set_index("item")
    assert d.loc["q1", ["role", "dimension", "question"]].tolist() == [
        "expectation",
        "accuracy",
        "Forventning: nøyaktighet i leveransene",
    ]
    assert d.loc["q2", ["role", "dimension"]].tolist() == ["perception", "availability"]
    assert d.loc["q3", ["role", "dimension"]].tolist() == ["importance", "advice"]
    assert d.loc["q4", ["role", "dimension"]].tolist() == ["expectation", "adaptation"]
    assert d.loc["q5", ["role", "reverse"]].tolist() == ["plain", True]


def test_dictionary_roundtrip_and_pairs():
    guessed = guess_item_dictionary(["E_acc1", "P_acc1", "I_x", "Perf_x", "Q9"])
    model = ItemDictionary.from_frame(
        guessed, available=["E_acc1", "P_acc1", "I_x", "Perf_x", "Q9", "Respondent"]
    )
    assert model.pairs("gap") == {"acc1": ("E_acc1", "P_acc1")}
    assert model.pairs("ipa") == {"x": ("I_x", "Perf_x")}
    pd.testing.assert_frame_equal(model.to_frame(), guessed)


def _dict(rows):
    return pd.DataFrame(rows, columns=["item", "question", "dimension", "role", "pair", "reverse"])


@pytest.mark.parametrize(
    ("rows", "code", "params"),
    [
        (
            [["E1", "", "", "expectation", "a", False], ["E2", "", "", "expectation", "a", False]],
            "survey.dictionary_pair_role_twice",
            {"row": 2, "pair": "a", "role": "expectation"},
        ),
        (
            [["E1", "", "", "expectation", "a", False], ["P1", "", "", "perception", "b", False]],
            "survey.dictionary_pair_incomplete",
            {"row": 1, "pair": "a", "partner": "perception"},
        ),
        (
            [["E1", "", "", "expectation", "a", False], ["P1", "", "", "performance", "a", False]],
            "survey.dictionary_pair_mixed",
            {"row": 2, "pair": "a"},
        ),
        (
            [["E1", "", "", "feeling", "", False]],
            "survey.dictionary_bad_role",
            {"row": 1, "value": "feeling"},
        ),
        (
            [["E1", "", "", "plain", "a", False]],
            "survey.dictionary_plain_in_pair",
            {"row": 1, "item": "E1", "pair": "a"},
        ),
        (
            [["E1", "", "", "plain", "", False], ["E1", "", "", "plain", "", False]],
            "survey.dictionary_duplicate_item",
            {"row": 2, "item": "E1", "first": 1},
        ),
        (
            [["Nope", "", "", "plain", "", False]],
            "survey.dictionary_unknown_item",
            {"row": 1, "item": "Nope"},
        ),
    ],
)
def test_dictionary_errors_name_row_and_column(rows, code, params):
    with pytest.raises(KamError) as err:
        ItemDictionary.from_frame(_dict(rows), available=["E1", "E2", "P1"])
    assert err.value.code == code
    assert err.value.params == params
    assert str(err.value).startswith(f"Row {params['row']}, column '")


def test_dictionary_accepts_blank_cells_from_the_grid():
    rows = _dict([["E1", None, None, None, None, None], ["P1", "q", "advice", "Perception ", "", "true"]])
    rows["scale_min"], rows["scale_max"] = [None, "1"], [None, "7,0"]
    model = ItemDictionary.from_frame(rows)
    assert model.scale_of("P1") == (1.0, 7.0) and model.scale_of("E1") is None
    assert model.rows[0].role == "plain" and model.rows[0].reverse is False
    assert model.rows[1].role == "perception" and model.rows[1].reverse is True
    assert model.dimension_of() == {"P1": "advice"}


# ---------------------------------------------------------------- respondent attributes


def test_respondent_attributes_by_name_and_values():
    df = pd.DataFrame(
        {
            "Respondent": ["R1", "R2", "L1"],
            "Type svar": ["kunde", "Kunde", "leverandør"],
            "Kundenr": ["007", "008", ""],
            "Tapt": ["ja", "nei", ""],
            "Segment": ["A", "B", None],
            "Q1": [1, 2, 3],
        }
    )
    attrs = respondent_attributes(df)
    assert attrs.model_dump() == {
        "respondent": "Respondent",
        "group": "Type svar",
        "account": "Kundenr",
        "churned": "Tapt",
        "segment": "Segment",
    }
    assert group_labels(df["Type svar"]).tolist() == ["customer", "customer", "supplier"]
    assert churned_flag(df["Tapt"]).tolist() == [True, False, False]
    assert survey_items(df, attrs) == ["Q1"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["yes", "No", None], [True, False, False]),
        ([1, 0, 1], [True, False, True]),
        (["tapt", "aktiv", "Tapt"], [True, False, True]),
        (["Churned", "active", ""], [True, False, False]),
    ],
)
def test_churned_flag_spellings(values, expected):
    assert churned_flag(pd.Series(values)).tolist() == expected


def test_swedish_and_english_groups():
    s = pd.Series(["kund", "Leverantör", "customer", "staff", "other", None])
    assert group_labels(s).tolist()[:4] == ["customer", "supplier", "customer", "supplier"]
    assert group_labels(s).isna().tolist()[4:] == [True, True]


# ---------------------------------------------------------------- incomplete responses


def test_listwise_and_pairwise_counts():
    df = pd.DataFrame(
        {
            "Q1": [1, 2, np.nan, 4, np.nan],
            "Q2": [1, np.nan, 3, 4, np.nan],
            "Note": ["a", "b", "c", "d", "e"],
        }
    )
    lw = exclude_incomplete(df, ["Q1", "Q2"], "listwise")
    assert isinstance(lw, ExclusionReport)
    assert (lw.n_before, lw.n_after, lw.n_dropped) == (5, 2, 3)
    assert lw.dropped_index == [1, 2, 4]
    assert lw.frame.index.tolist() == [0, 3]
    pw = exclude_incomplete(df, ["Q1", "Q2"], "pairwise")
    assert (pw.n_before, pw.n_after, pw.n_dropped) == (5, 4, 1)


def test_listwise_ignores_items_a_group_never_answers():
    df = pd.DataFrame(
        {
            "group": ["kunde", "kunde", "leverandør", "leverandør"],
            "E1": [5, 6, 4, np.nan],
            "P1": [4, np.nan, np.nan, np.nan],
        }
    )
    plain = exclude_incomplete(df, ["E1", "P1"], "listwise")
    assert plain.n_after == 1
    grouped = exclude_incomplete(df, ["E1", "P1"], "listwise", group="group")
    # staff never answer P1, so only row 1 (customer without P1) and row 3 (staff without E1) go
    assert grouped.frame.index.tolist() == [0, 2]
    assert grouped.n_dropped == 2


def test_case_b_demo_drops_two_of_146(demo_dir):
    dealer = read_norwegian(demo_dir / "survey_dealer.csv")
    items = survey_items(dealer)
    assert items == [f"Q{i}" for i in range(3, 13)]
    lw = exclude_incomplete(dealer, items, "listwise")
    pw = exclude_incomplete(dealer, items, "pairwise")
    assert (lw.n_before, lw.n_after, lw.n_dropped) == (146, 144, 2)
    assert (pw.n_after, pw.n_dropped) == (146, 0)


def test_keyareas_demo_dictionary_is_guessed(demo_dir):
    survey = read_norwegian(demo_dir / "survey_keyareas.csv")
    attrs = respondent_attributes(survey)
    assert (attrs.respondent, attrs.group, attrs.account, attrs.churned) == (
        "Respondent",
        "Gruppe",
        "Kundenr",
        "Tapt",
    )
    items = survey_items(survey, attrs)
    model = ItemDictionary.from_frame(guess_item_dictionary(items), available=survey.columns)
    pairs = model.pairs("gap")
    assert len(pairs) == 12
    assert pairs["adv3"] == ("E_adv3", "P_adv3")
    assert sorted(set(model.dimension_of().values())) == ["accuracy", "adaptation", "advice", "availability"]
    assert set(group_labels(survey["Gruppe"]).dropna()) == {"customer", "supplier"}


def test_two_row_header_over_text_label_answers():
    df = pd.DataFrame(
        {
            "Q1": ["Leveransene er nøyaktige", "Helt enig", "Enig", "Helt uenig"],
            "Q2": ["Selgeren er lett å nå", "Litt uenig", "Nøytral", "Uenig"],
        }
    )
    assert has_two_row_header(df)
    assert not has_two_row_header(df.iloc[1:])
    merged = merge_two_row_header(df)
    assert merged.question_texts == {"Q1": "Leveransene er nøyaktige", "Q2": "Selgeren er lett å nå"}
    assert merged.frame["Q1"].tolist() == ["Helt enig", "Enig", "Helt uenig"]


def test_the_ingest_split_keeps_the_old_import_path_working():
    import kamcore.survey_ingest as facade
    import kamcore.survey_layout as layout
    import kamcore.survey_respondents as respondents

    assert facade.merge_two_row_header is layout.merge_two_row_header
    assert facade.respondent_attributes is respondents.respondent_attributes
    for name in facade.__all__:
        assert getattr(facade, name) is not None
    lines = Path(facade.__file__).read_text(encoding="utf-8").count("\n")
    assert lines < 80  # the façade only re-exports; the topics live in their own modules
