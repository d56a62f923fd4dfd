"""Tests for kamcore.segment_inputs: default features, the cache fingerprint, the saved assignment."""

from __future__ import annotations

import pandas as pd

from kamcore import segment_inputs as inputs


def survey() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Respondent": [1, 2, 3],
            "Q1": ["45–59", "60+", "30–44"],  # text: never a feature
            **{f"Q{i}": [i, i + 1, i + 2] for i in range(2, 10)},
        }
    )


def test_survey_options_are_numeric_columns_but_the_key():
    assert inputs.feature_options(survey(), "survey", "Respondent") == [f"Q{i}" for i in range(2, 10)]
    # no key column: the respondent column is numeric and offered
    assert inputs.feature_options(survey(), "survey", "row_number")[0] == "Respondent"


def test_account_options_and_defaults_follow_the_fixed_order():
    table = pd.DataFrame(columns=["m_score", "monetary", "r_score", "frequency", "other"])
    options = inputs.feature_options(table, "accounts", "customer_id")
    assert options == ["frequency", "monetary", "r_score", "m_score"]
    assert inputs.default_features(options, "accounts") == ["r_score", "m_score"]


def test_survey_defaults_are_the_kept_features_else_the_first_five():
    options = [f"Q{i}" for i in range(2, 10)]
    assert inputs.default_features(options, "survey") == ["Q2", "Q3", "Q4", "Q5", "Q6"]
    kept = {"features": ["Q6", "Q7", "Q8", "Q9"]}
    assert inputs.default_features(options, "survey", kept) == ["Q6", "Q7", "Q8", "Q9"]
    # one kept column gone (renamed, dropped): the kept choice is stale
    assert inputs.default_features(options, "survey", {"features": ["Q6", "Q10"]}) == ["Q2", "Q3", "Q4", "Q5", "Q6"]
    assert inputs.default_features(["Q2", "Q3"], "survey", {"features": []}) == ["Q2", "Q3"]
    assert inputs.default_features([], "survey") == []


def test_the_demo_dealer_survey_starts_from_case_b_features(tmp_path):
    from kamcore.db import Workspace
    from kamcore.demo import DEMO_SEGMENT_FEATURES

    assert DEMO_SEGMENT_FEATURES == {"survey_dealer": ["Q6", "Q7", "Q8", "Q9", "Q10"]}
    with Workspace.open(tmp_path / "w.duckdb") as ws:
        ws.save_object(inputs.FEATURES_KIND, "survey_dealer", {"features": DEMO_SEGMENT_FEATURES["survey_dealer"]})
        saved = ws.load_object(inputs.FEATURES_KIND, "survey_dealer")
    options = [f"Q{i}" for i in range(3, 13)]
    assert inputs.default_features(options, "survey", saved) == ["Q6", "Q7", "Q8", "Q9", "Q10"]


def test_the_fingerprint_changes_with_values_index_and_column_names_only():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]}, index=["0001", "0002"])
    same = frame.copy()
    assert inputs.frame_fingerprint(frame) == inputs.frame_fingerprint(same)
    assert len(inputs.frame_fingerprint(frame)) == 64
    assert inputs.frame_fingerprint(frame) != inputs.frame_fingerprint(frame.set_axis(["0001", "0003"]))
    assert inputs.frame_fingerprint(frame) != inputs.frame_fingerprint(frame.rename(columns={"b": "c"}))
    changed = frame.copy()
    changed.loc["0002", "a"] = 2.5
    assert inputs.frame_fingerprint(frame) != inputs.frame_fingerprint(changed)


def test_respondent_ids_write_whole_floats_as_integers():
    assert inputs.respondent_ids(pd.Series([101.0, 7.0])).tolist() == ["101", "7"]
    assert inputs.respondent_ids(pd.Series(["A-1", "0007"])).tolist() == ["A-1", "0007"]
    assert inputs.respondent_ids(pd.Series([1.5, 2.0])).tolist() == ["1.5", "2.0"]


def test_the_assignment_payload_leaves_out_rows_without_a_segment():
    ids = pd.Series(["r1", "r2", "r3"], index=[10, 11, 12])
    labels = pd.Series([0, None, 1], index=[10, 11, 12], dtype="float")
    payload = inputs.assignment_payload("Respondent", ids, labels, {0: "Loyal", 1: "Price"}, ("Q6", "Q7"), 2)
    assert payload == {
        "key": "Respondent",
        "labels": {"r1": "Loyal", "r3": "Price"},
        "names": {"0": "Loyal", "1": "Price"},
        "features": ["Q6", "Q7"],
        "k": 2,
    }
    assert inputs.names_from_payload(payload, 2, ["Q6", "Q7"]) == {0: "Loyal", 1: "Price"}
    assert inputs.names_from_payload(payload, 2, ["Q7", "Q6"]) == {}
    assert inputs.names_from_payload(payload, 3, ["Q6", "Q7"]) == {}
    assert inputs.names_from_payload(None, 2, ["Q6", "Q7"]) == {}
