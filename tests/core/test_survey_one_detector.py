"""One scale detector (issue 14): the account page and health read a survey exactly as the survey page does.

``survey_items`` and ``health.survey_input`` take their items, scales, label numbers and reverse keys
from ``prepare_survey``; surveys the old fixed-scale detector (1–5, 1–7, 1–10, 0–10 only) could not read
— 1–100 sliders and a Norwegian 6-point agreement scale — reach the health score with the right numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamcore import health
from kamcore.survey import customer_gap_by_dimension
from kamcore.survey_prepare import prepare_survey
from kamcore.survey_respondents import survey_items
from kamcore.survey_scales import detect_scales

ACCOUNTS = ["A1", "A1", "A2", "A2", "A3", "A3"]
# 1–100 sliders, two key areas (rel: two pairs, emp: one pair); every column has an answer ≤ 10.
SLIDERS = {
    "E_rel1": [90, 80, 70, 60, 5, 100],
    "P_rel1": [60, 70, 75, 50, 10, 90],
    "E_rel2": [85, 95, 8, 70, 50, 60],
    "P_rel2": [80, 55, 30, 65, 40, 3],
    "E_emp1": [70, 9, 100, 80, 60, 90],
    "P_emp1": [50, 20, 90, 100, 7, 60],
}
NB6 = ("Helt uenig", "Uenig", "Litt uenig", "Litt enig", "Enig", "Helt enig")


def sliders() -> pd.DataFrame:
    return pd.DataFrame({"Kundenr": ACCOUNTS, **SLIDERS})


def expected_areas(values: dict[str, list[float]]) -> pd.DataFrame:
    """Plain pandas: per account the mean P − E of each pair, then the mean of the pairs in each area."""
    frame = pd.DataFrame(values).assign(account=ACCOUNTS)
    pairs = {"rel1": "rel", "rel2": "rel", "emp1": "emp"}
    d = pd.DataFrame({p: frame[f"P_{p}"] - frame[f"E_{p}"] for p in pairs}).assign(account=ACCOUNTS)
    per_pair = d.groupby("account").mean()
    return pd.DataFrame({
        "gap::reliability": per_pair[["rel1", "rel2"]].mean(axis=1),  # E_rel/P_rel: the SERVQUAL area
        "gap::empathy": per_pair["emp1"],
    })


def test_the_old_detector_missed_sliders_and_survey_items_now_finds_them():
    table = sliders()
    assert set(detect_scales(table, list(SLIDERS))["kind"]) == {"other"}  # what the account page used to use
    assert survey_items(table) == list(SLIDERS)


def test_health_reads_a_slider_survey_on_its_1_to_100_scale():
    prepared = prepare_survey(sliders())
    found = health.survey_input(prepared)
    assert found is not None
    assert (found.account, found.scale) == ("Kundenr", (1.0, 100.0))
    measures = health.survey_measures(found)
    want = expected_areas(SLIDERS)
    # hand check of A1: rel pairs -20 and -22.5 -> -21.25; emp -4.5
    assert want.loc["A1"].tolist() == [-21.25, -4.5]
    for account in ("A1", "A2", "A3"):
        assert measures.loc[account, "gap::reliability"] == pytest.approx(want.loc[account, "gap::reliability"])
        assert measures.loc[account, "gap::empathy"] == pytest.approx(want.loc[account, "gap::empathy"])
        areas = (want.loc[account, "gap::reliability"] + want.loc[account, "gap::empathy"]) / 2
        assert measures.loc[account, "areas_gap"] == pytest.approx(areas)
        assert measures.loc[account, "areas_relative"] == pytest.approx(areas / 99)


def test_health_applies_the_dictionarys_reverse_keys_as_the_survey_page_does():
    proposed = prepare_survey(sliders()).dictionary.to_frame()
    proposed.loc[proposed["item"] == "P_emp1", "reverse"] = True
    prepared = prepare_survey(sliders(), proposed)
    measures = health.survey_measures(health.survey_input(prepared))
    keyed = dict(SLIDERS, P_emp1=[101 - v for v in SLIDERS["P_emp1"]])  # 1 + 100 − x
    want = expected_areas(keyed)
    assert want.loc["A1", "gap::empathy"] == 26.5  # ((101 − 50) − 70 + (101 − 20) − 9) / 2
    for account in ("A1", "A2", "A3"):
        assert measures.loc[account, "gap::empathy"] == pytest.approx(want.loc[account, "gap::empathy"])
    # the survey page's gap per area (all customers) uses the same keyed answers
    page = customer_gap_by_dimension(prepared.keyed(), prepared.dictionary).set_index("dimension")
    everyone = pd.Series(keyed["P_emp1"]) - pd.Series(keyed["E_emp1"])
    assert page.loc["empathy", "mean_gap"] == pytest.approx(everyone.mean())


def test_health_reads_norwegian_six_point_labels_as_1_to_6():
    numbers = {
        "E_rel1": [6, 5, 4, 6, 3, 5],
        "P_rel1": [4, 5, 2, 1, 3, 6],
        "E_rel2": [5, 6, 6, 5, 4, 2],
        "P_rel2": [3, 6, 5, 4, 1, 2],
        "E_emp1": [6, 4, 5, 5, 6, 3],
        "P_emp1": [2, 4, 6, 3, 5, 1],
    }
    table = pd.DataFrame({"Kundenr": ACCOUNTS, **{c: [NB6[v - 1] for v in vs] for c, vs in numbers.items()}})
    assert set(detect_scales(table, list(numbers))["scale_max"]) == {7.0}  # the old detector: a 7-point scale
    assert survey_items(table) == list(numbers)
    prepared = prepare_survey(table)
    assert prepared.responses.to_dict("list") == {c: [float(v) for v in vs] for c, vs in numbers.items()}
    found = health.survey_input(prepared)
    assert found.scale == (1.0, 6.0)
    measures = health.survey_measures(found)
    want = expected_areas(numbers)
    for account in ("A1", "A2", "A3"):
        assert measures.loc[account, ["gap::reliability", "gap::empathy"]].tolist() == pytest.approx(want.loc[account].tolist())
        assert measures.loc[account, "areas_relative"] == pytest.approx(want.loc[account].mean() / 5)


def test_slider_items_whose_answers_stay_high_keep_the_slider_scale_of_their_numbered_family():
    # Everybody expects a lot: Forventning 2 never goes below 20, yet it is a 1–100 slider like Forventning 1.
    table = pd.DataFrame({
        "Forventning 1": [80, 90, 70, 100, 60, 5],
        "Opplevelse 1": [60, 95, 40, 90, 65, 30],
        "Forventning 2": [85, 75, 90, 95, 50, 20],
        "Opplevelse 2": [70, 70, 85, 60, 55, 3],
        "Alder": [34, 51, 27, 45, 62, 38],  # no numbered family: not a rating scale
    })
    prepared = prepare_survey(table)
    frame = prepared.dictionary.to_frame().set_index("item")
    assert frame.index.tolist() == ["Forventning 1", "Opplevelse 1", "Forventning 2", "Opplevelse 2"]
    assert frame["scale_max"].tolist() == [100.0] * 4 and frame["scale_min"].tolist() == [1.0] * 4
    assert prepared.dictionary.pairs("gap") == {"1": ("Forventning 1", "Opplevelse 1"),
                                                "2": ("Forventning 2", "Opplevelse 2")}
    assert "Alder" not in frame.index and ("Alder" in prepared.excluded or "Alder" in prepared.attributes)
    assert not np.isnan(prepared.responses["Opplevelse 1"]).any()
