"""The account page and the survey page read one survey the same way (issue 14, one scale detector).

The demo's key-area survey re-written on 1–100 sliders — a scale the old fixed-scale detector
(1–5, 1–7, 1–10, 0–10) never knew — tied to the demo's accounts: the account page's gap per key area
and the survey page's gap per account equal a plain-pandas computation on the slider answers.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest

from kamcore import db
from tests.app.conftest import DEMO_DATA, new_app

ACCOUNT = "051587"
TABLE = "survey_keyareas"
AREAS = {"acc": "accuracy", "ava": "availability", "ada": "adaptation", "adv": "advice"}


def slider_survey() -> pd.DataFrame:
    """The demo's answers 1–7 written as 1–100 slider positions: 1 -> 4, 7 -> 100 (16 apart)."""
    table = pd.read_csv(DEMO_DATA / "survey_keyareas.csv", sep=";", dtype={"Kundenr": str}, encoding="utf-8-sig")
    for column in table.columns:
        if column[:2] in ("E_", "P_"):
            table[column] = (table[column] - 1) * 16 + 4
    return table


def expected_gaps(table: pd.DataFrame, account: str) -> dict[str, float]:
    """Plain pandas: the account's customer respondents, P − E per pair, mean per pair, mean per area."""
    mine = table[(table["Kundenr"] == account) & (table["Gruppe"] == "kunde")]
    out = {}
    for code, area in AREAS.items():
        pairs = [(f"E_{code}{k}", f"P_{code}{k}") for k in (1, 2, 3)]
        out[area] = sum((mine[p] - mine[e]).mean() for e, p in pairs) / len(pairs)
    return out


def plotly_values(values) -> list:
    """A Plotly JSON array: a plain list, or a typed array ({"dtype", "bdata"}) as plotly 6 writes one."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


@pytest.fixture
def sliders_root(demo_root):
    ws = db.Workspace.open(next(demo_root.glob("*.duckdb")))
    try:
        for kind in ("item_dictionary", "survey_labels", "survey_shifts"):
            if TABLE in ws.list_objects(kind):
                ws.delete_object(kind, TABLE)
        ws.drop_table(TABLE)
        ws.import_table(TABLE, slider_survey(), kind="survey", mapping={"customer_id": "Kundenr"})
    finally:
        ws.close()
    return demo_root


def test_account_page_shows_the_slider_surveys_gaps_on_the_survey_pages_numbers(sliders_root):
    table = slider_survey()
    want = expected_gaps(table, ACCOUNT)
    assert len(table[table["Kundenr"] == ACCOUNT]) >= 1 and all(pd.notna(v) for v in want.values())

    at = new_app("home", timeout=180)
    at.session_state["app.start_page"] = "account"
    at.session_state["account._selected"] = ACCOUNT
    at.run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert "Survey" in [s.value for s in at.subheader]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    survey_chart = next(c for c in charts if c["data"] and c["data"][0].get("name") == "This account")
    shown = dict(zip(plotly_values(survey_chart["data"][0]["x"]), plotly_values(survey_chart["data"][0]["y"]),
                     strict=True))
    # the four key areas by their names in the catalogue (English here)
    assert set(shown) == {area.capitalize() for area in AREAS.values()}
    for area, value in want.items():
        assert shown[area.capitalize()] == pytest.approx(value), area

    # The survey page: the same items on 1–100 and the same gap for this account.
    page = new_app("home", timeout=180)
    page.session_state["app.start_page"] = "survey"
    page.session_state["survey.table"] = TABLE
    page.run(timeout=180)
    assert not page.exception, [e.value for e in page.exception]
    dictionary = page.data_editor(key=f"survey.dictionary.{TABLE}").value.set_index("item")
    items = [c for c in table.columns if c[:2] in ("E_", "P_")]
    assert dictionary.loc[items, "scale_min"].tolist() == [1.0] * 24
    assert dictionary.loc[items, "scale_max"].tolist() == [100.0] * 24
    by_account = next(d.value for d in page.dataframe if "Account" in d.value.columns)
    row = by_account[by_account["Account"].astype(str) == ACCOUNT].iloc[0]
    for area, value in want.items():
        assert row[f"Gap: {area.capitalize()}"] == pytest.approx(value), area
    assert row["Gap (experience − expectation)"] == pytest.approx(
        sum((table.loc[(table["Kundenr"] == ACCOUNT) & (table["Gruppe"] == "kunde"), f"P_{c}{k}"]
             - table.loc[(table["Kundenr"] == ACCOUNT) & (table["Gruppe"] == "kunde"), f"E_{c}{k}"]).mean()
            for c in AREAS for k in (1, 2, 3)) / 12)

