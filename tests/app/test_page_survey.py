"""AppTest for the survey page: views switch, exclusion changes n, churned comparison, no-pairs info."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from kamcore import db

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


def pick_table(at, name: str):
    at.selectbox(key="survey.table").set_value(name)
    at.run()
    return at


def test_loads_on_the_demo_with_the_dictionary(make_app):
    at = make_app("survey")
    no_trouble(at)
    assert at.title[0].value == "Survey & gaps"  # the same as its navigation label
    editor = at.data_editor(key="survey.dictionary")
    dictionary = editor.value.set_index("item")
    assert dictionary.loc["E_adv1", ["dimension", "role", "pair"]].tolist() == [
        "advice",
        "expectation",
        "adv1",
    ]
    assert len(at.get("plotly_chart")) >= 1


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_renders(make_app, view):
    at = make_app("survey")
    at.session_state["survey.view"] = view
    at.run()
    no_trouble(at)
    assert len(at.dataframe) >= 1


def test_listwise_or_pairwise_changes_the_shown_n(make_app):
    at = pick_table(make_app("survey"), "survey_dealer")
    no_trouble(at)
    assert used_n(at) == 144
    assert "146 respondents, 2 dropped" in exclusion_caption(at)
    at.session_state[f"survey.exclusion.{current_table(at)}"] = "pairwise"
    at.run()
    no_trouble(at)
    assert used_n(at) == 146
    stats = tables_with(at, "Standard deviation")[0]
    assert stats["n"].max() == 146 and stats["n"].min() == 145


def test_knowledge_gap_shows_advice_on_top(make_app):
    at = make_app("survey")
    at.session_state["survey.view"] = "knowledge_gap"
    at.run()
    no_trouble(at)
    table = tables_with(at, "Gap (customers − staff)")[0]
    top = table.sort_values("Gap (customers − staff)", ascending=False)["Item"].head(3)
    assert top.str.startswith("E_adv").all()


def test_churned_comparison_shows_lost_accounts_beside_the_rest(make_app):
    at = make_app("survey")
    at.session_state["survey.view"] = "customer_gap"
    at.run()
    assert len(tables_with(at, "Pair")) == 1
    at.toggle(key="survey.compare_churned").set_value(True)
    at.run()
    no_trouble(at)
    pair_tables = tables_with(at, "Pair")
    assert len(pair_tables) == 3  # lost accounts, the rest, everyone
    lost, rest, everyone = pair_tables
    gap = "Gap (experience − expectation)"
    assert (lost["n"] + rest["n"]).tolist() == everyone["n"].tolist()
    assert lost[gap].mean() < rest[gap].mean() - 0.5
    assert any(c.value.startswith("Lost accounts (n = ") for c in at.caption)


def test_a_survey_without_pairs_shows_an_info_not_an_exception(make_app):
    at = pick_table(make_app("survey"), "survey_dealer")
    for view in ("customer_gap", "ipa", "knowledge_gap"):
        at.session_state["survey.view"] = view
        at.run()
        no_trouble(at)
        assert len(at.info) >= 1, view


def test_a_dictionary_edit_is_saved_in_the_workspace(make_app, demo_root):
    at = pick_table(make_app("survey"), "survey_dealer")
    editor = at.data_editor(key="survey.dictionary")
    row = editor.value.reset_index(drop=True).index[editor.value["item"].tolist().index("Q9")]
    at.session_state["survey.dictionary"] = {
        "edited_rows": {int(row): {"dimension": "relationship"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    no_trouble(at)
    ws = db.Workspace.open(next(demo_root.glob("*.duckdb")))
    try:
        payload = ws.load_object("item_dictionary", "survey_dealer")
    finally:
        ws.close()
    saved = pd.DataFrame(payload["rows"]).set_index("item")
    assert saved.loc["Q9", "dimension"] == "relationship"


def test_a_bad_dictionary_edit_is_an_error_sentence(make_app):
    at = make_app("survey")
    editor = at.data_editor(key="survey.dictionary")
    row = editor.value["item"].tolist().index("P_acc1")
    at.session_state["survey.dictionary"] = {
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
    at.session_state["survey.view"] = view
    at.session_state["survey.compare_churned"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert untranslated(at) == []


@pytest.mark.parametrize("lang", ["nb", "sv"])
def test_gap_views_in_norwegian_and_swedish(make_app, lang):
    at = make_app("survey", lang=lang)
    for view in ("customer_gap", "knowledge_gap", "loyalty"):
        at.session_state["survey.view"] = view
        at.run()
        no_trouble(at)


def add_survey(demo_root, name: str, frame: pd.DataFrame) -> None:
    ws = db.Workspace.open(next(demo_root.glob("*.duckdb")))
    try:
        ws.import_table(name, frame, kind="survey")
    finally:
        ws.close()


def test_text_labels_and_a_two_row_header_are_understood(make_app, demo_root):
    labels = ["Helt uenig", "Uenig", "Litt uenig", "Nøytral", "Litt enig", "Enig", "Helt enig"]
    frame = pd.DataFrame(
        {
            "ResponseId": ["Response ID", "R_1", "R_2", "R_3", "R_4"],
            "Q1": ["Nøyaktighet i leveransene", labels[6], labels[5], labels[0], None],
            "Q2": ["Selgeren er lett å nå", labels[2], labels[3], labels[4], labels[1]],
        }
    )
    add_survey(demo_root, "labelled", frame)
    at = pick_table(make_app("survey"), "labelled")
    no_trouble(at)
    assert any("header rows" in c.value for c in at.caption)
    mapping = at.data_editor(key="survey.label_mapping").value.set_index("label")["value"]
    assert mapping["Helt enig"] == 7 and mapping["Litt uenig"] == 3
    dictionary = at.data_editor(key="survey.dictionary").value.set_index("item")
    assert dictionary.loc["Q1", "question"] == "Nøyaktighet i leveransene"
    assert dictionary.loc["Q1", "dimension"] == "accuracy"
    at.session_state[f"survey.exclusion.{current_table(at)}"] = "pairwise"
    at.run()
    stats = tables_with(at, "Standard deviation")[0].set_index("Item")
    assert stats.loc["Q1", "n"] == 3 and stats.loc["Q1", "Mean"] == pytest.approx((7 + 6 + 1) / 3)
    assert stats.loc["Q2", "Mean"] == pytest.approx((3 + 4 + 5 + 2) / 4)


def test_repeat_patronage_from_the_transactions(make_app):
    at = make_app("survey")
    at.session_state["survey.view"] = "loyalty"
    at.run()
    at.session_state["survey.repeat_source"] = "transactions"
    at.run()
    no_trouble(at)
    counts = tables_with(at, "Loyalty type")[0]
    assert counts["n"].sum() > 0
    assert any("months their account bought" in c.value for c in at.caption)


def current_table(at) -> str:
    """The survey table the page shows (its exclusion choice is kept per table)."""
    return at.selectbox(key="survey.table").value


def test_demo_keyareas_starts_pairwise_because_listwise_would_drop_a_third(make_app):
    at = make_app("survey")
    no_trouble(at)
    assert current_table(at) == "survey_keyareas"
    assert at.session_state["survey.exclusion.survey_keyareas"] == "pairwise"
    assert used_n(at) == 91


def test_accounts_with_the_largest_shortfall_come_first_with_names_and_lost_flags(make_app):
    at = make_app("survey")
    at.session_state["survey.view"] = "customer_gap"
    at.run()
    no_trouble(at)
    assert any(s.value == "Accounts where the shortfall is largest" for s in at.subheader)
    [table] = tables_with(at, "Largest shortfall on")
    gap = "Gap (experience − expectation)"
    assert table[gap].is_monotonic_increasing
    assert table["Name"].notna().all() and (table["Name"] != "").all()
    # On the demo the lost accounts are the ones that feel the largest shortfall.
    lost = table["Lost"] == "yes"
    assert lost.sum() > 0
    assert lost.head(int(lost.sum())).all()
    assert {"Gap: advice", "Gap: accuracy"} <= set(table.columns)
    # Filtering to one account leaves its row alone.
    first = table["Account"].iloc[0]
    at.multiselect(key="survey.accounts").set_value([first])
    at.run()
    no_trouble(at)
    [table] = tables_with(at, "Largest shortfall on")
    assert table["Account"].tolist() == [first]


def test_dictionary_roles_are_offered_in_the_chosen_language(make_app):
    import json

    at = make_app("survey", lang="nb")
    no_trouble(at)
    [editor] = [d for d in at.data_editor if d.key == "survey.dictionary"]
    options = json.loads(editor.proto.columns)["role"]["type_config"]["options"]
    labels = {o["value"]: o["label"] for o in options}
    assert labels["expectation"] == "Forventning" and labels["perception"] == "Opplevelse"
    # The stored values stay the codes kamcore understands.
    assert set(editor.value["role"]) <= set(labels)
