"""AppTest for the survey page on the demo: views, missing-answer rules, churned comparison, dictionary, filters."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from kamcore import db
from tests.app.conftest import DEMO_DATA as DEMO

VIEWS = ("descriptives", "customer_gap", "knowledge_gap", "ipa", "reliability", "loyalty")


def no_trouble(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def exclusion_caption(at) -> str:
    found = [c.value for c in at.caption if "dropped as incomplete" in c.value]
    assert len(found) == 1, [c.value for c in at.caption]
    return found[0]


def used_n(at) -> int:
    return int(re.search(r"(\d+) used", exclusion_caption(at)).group(1))


def tables_with(at, header: str) -> list[pd.DataFrame]:
    """The shown tables that have a column ``header``, in page order."""
    return [d.value for d in at.dataframe if header in d.value.columns]


def current_table(at) -> str:
    return at.selectbox(key="survey.table").value


def pick_table(at, name: str):
    at.selectbox(key="survey.table").set_value(name)
    at.run()
    return at


def show(at, view: str):
    at.session_state[f"survey.view.{current_table(at)}"] = view
    at.run()
    return at


def editor(at, prefix: str):
    return at.data_editor(key=f"{prefix}.{current_table(at)}")


def saved(demo_root, kind: str, name: str):
    ws = db.Workspace.open(next(demo_root.glob("*.duckdb")))
    try:
        return ws.load_object(kind, name)
    finally:
        ws.close()


def test_loads_on_the_demo_with_the_dictionary_and_opens_on_the_gaps(make_app):
    at = make_app("survey")
    no_trouble(at)
    assert at.title[0].value == "Survey & gaps"  # the same as its navigation label
    dictionary = editor(at, "survey.dictionary").value.set_index("item")
    assert dictionary.loc["E_adv1", ["dimension", "role", "pair", "scale_min", "scale_max"]].tolist() == [
        "advice",
        "expectation",
        "adv1",
        1.0,
        7.0,
    ]
    # Pairs exist, so the first view is the customer gap.
    assert any(s.value == "Customer gap: experience minus expectation" for s in at.subheader), [
        s.value for s in at.subheader
    ]
    assert len(at.get("plotly_chart")) >= 1


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_renders(make_app, view):
    at = show(make_app("survey"), view)
    no_trouble(at)
    assert len(at.dataframe) >= 1


def test_the_three_missing_answer_rules_and_the_count_dropped(make_app):
    at = pick_table(make_app("survey"), "survey_dealer")
    no_trouble(at)
    # The car-dealer study's own count: anyone with a blank out, 146 − 2 = 144.
    assert at.session_state["survey.exclusion.survey_dealer"] == "any"
    assert "146 respondents, 146 after the filters, 2 dropped" in exclusion_caption(at)
    assert used_n(at) == 144
    at.session_state["survey.exclusion.survey_dealer"] = "pairwise"
    at.run()
    no_trouble(at)
    assert used_n(at) == 146
    stats = tables_with(at, "Standard deviation")[0]
    assert stats["n"].max() == 146 and stats["n"].min() == 145
    at.session_state["survey.exclusion.survey_dealer"] = "listwise"
    at.run()
    no_trouble(at)
    assert any("This view uses 144 of 146 respondents: 2 left out" in c.value for c in at.caption)


def test_knowledge_gap_shows_advice_on_top(make_app):
    at = show(make_app("survey"), "knowledge_gap")
    no_trouble(at)
    table = tables_with(at, "Gap (customers − staff)")[0]
    top = table.sort_values("Gap (customers − staff)", ascending=False)["Item"].head(3)
    assert top.str.startswith("E_adv").all()


def test_churned_comparison_shows_lost_accounts_beside_the_rest(make_app):
    at = show(make_app("survey"), "customer_gap")
    assert len(tables_with(at, "Pair")) == 1
    at.toggle(key="survey.compare_churned").set_value(True)
    at.run()
    no_trouble(at)
    lost, rest, everyone = tables_with(at, "Pair")
    gap = "Gap (experience − expectation)"
    assert (lost["n"] + rest["n"]).tolist() == everyone["n"].tolist()
    assert lost[gap].mean() < rest[gap].mean() - 0.5
    assert any(c.value.startswith("Lost accounts (n = ") for c in at.caption)


def test_a_survey_without_pairs_opens_on_descriptives_and_explains_missing_views(make_app):
    at = pick_table(make_app("survey"), "survey_dealer")
    assert any(s.value == "Answers per item" for s in at.subheader), [s.value for s in at.subheader]
    for view in ("customer_gap", "ipa", "knowledge_gap"):
        show(at, view)
        no_trouble(at)
        assert len(at.info) >= 1, view


def test_a_dictionary_edit_is_saved_in_the_workspace(make_app, demo_root):
    at = pick_table(make_app("survey"), "survey_dealer")
    row = editor(at, "survey.dictionary").value["item"].tolist().index("Q9")
    at.session_state["survey.dictionary.survey_dealer"] = {
        "edited_rows": {row: {"dimension": "relationship"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    no_trouble(at)
    rows = pd.DataFrame(saved(demo_root, "item_dictionary", "survey_dealer")["rows"]).set_index("item")
    assert rows.loc["Q9", "dimension"] == "relationship"
    assert editor(at, "survey.dictionary").value.set_index("item").loc["Q9", "dimension"] == "relationship"


def test_a_deleted_dictionary_row_is_excluded_with_its_reason(make_app, demo_root):
    at = pick_table(make_app("survey"), "survey_dealer")
    row = editor(at, "survey.dictionary").value["item"].tolist().index("Q12")
    at.session_state["survey.dictionary.survey_dealer"] = {
        "edited_rows": {},
        "added_rows": [],
        "deleted_rows": [row],
    }
    at.run()
    no_trouble(at)
    [excluded] = tables_with(at, "Why it is not analysed")
    assert (
        excluded.set_index("Column").loc["Q12", "Why it is not analysed"]
        == "Removed from the item dictionary."
    )
    stats = tables_with(at, "Standard deviation")[0]
    assert "Q12" not in stats["Item"].tolist()


def test_a_row_added_to_the_dictionary_brings_an_item_back(make_app, demo_root):
    at = pick_table(make_app("survey"), "survey_dealer")
    row = editor(at, "survey.dictionary").value["item"].tolist().index("Q12")
    at.session_state["survey.dictionary.survey_dealer"] = {
        "edited_rows": {},
        "added_rows": [],
        "deleted_rows": [row],
    }
    at.run()
    at.session_state["survey.dictionary.survey_dealer"] = {
        "edited_rows": {},
        "added_rows": [{"item": "Q12", "dimension": "loyalty", "role": "plain"}],
        "deleted_rows": [],
    }
    at.run()
    no_trouble(at)
    rows = pd.DataFrame(saved(demo_root, "item_dictionary", "survey_dealer")["rows"]).set_index("item")
    assert rows.loc["Q12", "dimension"] == "loyalty"
    grid = editor(at, "survey.dictionary").value.set_index("item")
    assert grid.loc["Q12", ["scale_min", "scale_max"]].tolist() == [1.0, 10.0]  # left blank: from the answers
    assert "Q12" in tables_with(at, "Standard deviation")[0]["Item"].tolist()


def test_a_bad_dictionary_edit_is_an_error_sentence(make_app):
    at = make_app("survey")
    row = editor(at, "survey.dictionary").value["item"].tolist().index("P_acc1")
    at.session_state["survey.dictionary.survey_keyareas"] = {
        "edited_rows": {row: {"role": "expectation"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("pair 'acc1' already has an item with the role 'expectation'" in e.value for e in at.error)


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_shows_only_catalogue_strings(make_app, view):
    from tests.app.pseudo import untranslated

    at = make_app("survey", lang="qps")
    at.session_state[f"survey.view.{current_table(at)}"] = view
    at.session_state["survey.compare_churned"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert untranslated(at) == []


@pytest.mark.parametrize("lang", ["nb", "sv"])
def test_gap_views_in_norwegian_and_swedish(make_app, lang):
    at = make_app("survey", lang=lang)
    for view in ("customer_gap", "knowledge_gap", "loyalty", "reliability"):
        show(at, view)
        no_trouble(at)


def test_repeat_patronage_from_the_transactions(make_app):
    at = show(make_app("survey"), "loyalty")
    at.session_state["survey.repeat_source"] = "transactions"
    at.run()
    no_trouble(at)
    counts = tables_with(at, "Loyalty type")[0]
    assert counts["n"].sum() > 0
    assert any("months their account bought" in c.value for c in at.caption)


def test_loyalty_never_uses_one_item_for_both_axes_nor_an_expectation_as_attitude(make_app):
    at = show(make_app("survey"), "loyalty")
    no_trouble(at)
    attitude, repeat = at.selectbox(key="survey.attitude"), at.selectbox(key="survey.repeat")
    assert attitude.value != repeat.value
    assert attitude.value == "Tilfredshet" and repeat.value == "Gjenkjøp"
    assert not any(o.startswith("E_") for o in attitude.options)
    assert attitude.value not in repeat.options


def test_demo_keyareas_starts_pairwise_because_dropping_every_blank_would_lose_a_third(make_app):
    at = make_app("survey")
    no_trouble(at)
    assert current_table(at) == "survey_keyareas"
    assert at.session_state["survey.exclusion.survey_keyareas"] == "pairwise"
    assert used_n(at) == 91


def test_accounts_with_the_largest_shortfall_come_first_with_names_and_lost_flags(make_app):
    at = show(make_app("survey"), "customer_gap")
    no_trouble(at)
    assert any(s.value == "Accounts where the shortfall is largest" for s in at.subheader)
    [table] = tables_with(at, "Largest shortfall on")
    gap = "Gap (experience − expectation)"
    assert table[gap].is_monotonic_increasing
    assert table["Name"].notna().all() and (table["Name"] != "").all()
    lost = table["Lost"] == "yes"
    assert lost.sum() > 0
    assert lost.head(int(lost.sum())).all()
    assert {"Gap: Advice", "Gap: Accuracy"} <= set(table.columns)  # key areas in the user's language
    first = table["Account"].iloc[0]
    at.multiselect(key="survey.accounts").set_value([first])
    at.run()
    no_trouble(at)
    [table] = tables_with(at, "Largest shortfall on")
    assert table["Account"].tolist() == [first]


def test_sidebar_region_filter_reaches_respondents_through_their_account(make_app):
    at = make_app("survey")
    accounts_before = used_n(at)
    region = at.multiselect(key="filters.region")
    chosen = region.options[0]
    region.set_value([chosen])
    at.run()
    no_trouble(at)
    from kamcore.demo import DEMO_NAME  # noqa: F401 - the demo workspace is open

    after = int(re.search(r"(\d+) after the filters", exclusion_caption(at)).group(1))
    assert 0 < after < accounts_before
    # Independently: respondents whose account is in the chosen region (staff have no account).
    from tests.core.demo_files import read_norwegian

    survey = read_norwegian(DEMO / "survey_keyareas.csv")
    customers = read_norwegian(DEMO / "customers.csv")
    ids = set(customers.loc[customers["Region"] == chosen, "Kundenr"].astype(str))
    assert after == int(survey["Kundenr"].astype(str).isin(ids).sum())


def test_a_saved_respondent_segmentation_is_a_filter(make_app, demo_root):
    survey_name = "survey_dealer"
    ws = db.Workspace.open(next(demo_root.glob("*.duckdb")))
    try:
        labels = {str(i): ("Fornøyde" if i % 2 else "Kritiske") for i in range(1, 147)}
        # As the segments page saves it: the key is the respondent column's own name.
        ws.save_object(
            "segment_assignment",
            survey_name,
            {"key": "Respondent", "labels": labels, "names": {}, "features": [], "k": 2},
        )
    finally:
        ws.close()
    at = pick_table(make_app("survey"), survey_name)
    segments = at.multiselect(key="survey.segments")
    assert sorted(segments.options) == ["Fornøyde", "Kritiske"]
    segments.set_value(["Kritiske"])
    at.run()
    no_trouble(at)
    assert "146 respondents, 73 after the filters" in exclusion_caption(at)


def test_dictionary_roles_are_offered_in_the_chosen_language(make_app):
    at = make_app("survey", lang="nb")
    no_trouble(at)
    grid = editor(at, "survey.dictionary")
    options = json.loads(grid.proto.columns)["role"]["type_config"]["options"]
    labels = {o["value"]: o["label"] for o in options}
    assert labels["expectation"] == "Forventning" and labels["perception"] == "Opplevelse"
    assert set(grid.value["role"]) <= set(labels)


def test_reliability_shows_alpha_with_its_interval(make_app):
    import pingouin as pg

    from tests.core.demo_files import read_norwegian

    at = show(make_app("survey"), "reliability")
    no_trouble(at)
    table = tables_with(at, "95 % CI low")[0]
    row = table[(table["Dimension"] == "Advice") & (table["Role"] == "Expectation")].iloc[0]
    survey = read_norwegian(DEMO / "survey_keyareas.csv")
    customers = survey[survey["Gruppe"] == "kunde"]
    # Complete answers first: pingouin's listwise CI would count the dropped rows in n (Feldt's df use the complete n).
    alpha, (low, high) = pg.cronbach_alpha(customers[["E_adv1", "E_adv2", "E_adv3"]].dropna())
    assert row["Cronbach's alpha"] == pytest.approx(alpha, abs=1e-9)
    assert row["95 % CI low"] == pytest.approx(low, abs=6e-4) and row["95 % CI high"] == pytest.approx(
        high, abs=6e-4
    )


def test_a_block_pasted_into_the_dictionary_is_saved_as_pasted(make_app, demo_root):
    # Pasting a block from a spreadsheet edits several rows and columns at once and may add rows.
    at = pick_table(make_app("survey"), "survey_dealer")
    items = editor(at, "survey.dictionary").value["item"].tolist()
    rows = {items.index(q): q for q in ("Q3", "Q4", "Q5")}
    at.session_state["survey.dictionary.survey_dealer"] = {
        "edited_rows": {r: {"dimension": "service", "question": f"Pasted text {q}"} for r, q in rows.items()},
        "added_rows": [],
        "deleted_rows": [items.index("Q12")],
    }
    at.run()
    no_trouble(at)
    saved_rows = pd.DataFrame(saved(demo_root, "item_dictionary", "survey_dealer")["rows"]).set_index("item")
    for q in ("Q3", "Q4", "Q5"):
        assert saved_rows.loc[q, ["dimension", "question"]].tolist() == ["service", f"Pasted text {q}"]
    assert "Q12" not in saved_rows.index
    grid = editor(at, "survey.dictionary").value.set_index("item")
    assert grid.loc["Q4", "dimension"] == "service" and "Q12" not in grid.index


def test_a_saved_account_segment_in_the_sidebar_reaches_respondents_through_their_account(make_app, demo_root):
    from tests.core.demo_files import read_norwegian

    customers = read_norwegian(DEMO / "customers.csv")
    ids = sorted(customers["Kundenr"].astype(str))
    labels = {cid: ("Kjerne" if k % 3 == 0 else "Øvrige") for k, cid in enumerate(ids)}
    ws = db.Workspace.open(next(demo_root.glob("*.duckdb")))
    try:
        name = ws.tables("transactions")[0].name
        ws.save_object(
            "segment_assignment", name,
            {"key": "customer_id", "labels": labels, "names": {"1": "Kjerne", "2": "Øvrige"}, "features": [], "k": 2},
        )
    finally:
        ws.close()
    at = make_app("survey")
    cluster = at.multiselect(key="filters.cluster")
    assert sorted(cluster.options) == ["Kjerne", "Øvrige"]
    cluster.set_value(["Kjerne"])
    at.run()
    no_trouble(at)
    after = int(re.search(r"(\d+) after the filters", exclusion_caption(at)).group(1))
    survey = read_norwegian(DEMO / "survey_keyareas.csv")
    core = {cid for cid, seg in labels.items() if seg == "Kjerne"}
    assert after == int(survey["Kundenr"].astype(str).isin(core).sum()) > 0


def test_the_page_is_pick_prepare_filter_view_and_each_view_takes_one_prepared_survey():
    import dataclasses
    import inspect
    from pathlib import Path

    from kamcore.survey_prepare import PreparedSurvey
    from ui import survey_views

    page = Path(__file__).resolve().parents[2] / "pages" / "survey.py"
    assert len(page.read_text(encoding="utf-8").splitlines()) < 300
    [first, *_] = dataclasses.fields(survey_views.SurveyView)
    assert (first.name, first.type) in (("survey", PreparedSurvey), ("survey", "PreparedSurvey"))
    for name, render in survey_views.RENDER.items():
        assert len(inspect.signature(render).parameters) == 1, name
