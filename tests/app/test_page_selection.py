"""AppTest for the selection page: weights re-rank, scores persist, the shortlist reacts."""

from __future__ import annotations

from kamcore import db

SHORTLIST = "selection.shortlist_pick"


def shortlist_ids(at) -> list[str]:
    return list(at.multiselect(key=SHORTLIST).value)


def table_with(at, column: str):
    """The first table on the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_loads_on_the_demo(make_app):
    at = make_app("selection")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Key-account selection"
    assert len(at.get("plotly_chart")) == 1
    ids = shortlist_ids(at)
    # the key box is cut to hold at most the shortlist limit (15); the recommendation is its size
    assert 1 <= len(ids) <= 15
    table = table_with(at, "Why: strongest criteria")
    assert table["Customer no."].tolist() == ids
    assert table["Rank"].tolist() == list(range(1, len(ids) + 1))
    assert table["Why: strongest criteria"].str.len().gt(0).all()
    assert table["Stays on list when weights move ±20 %"].between(0, 100).all()


def test_moving_a_weight_slider_changes_the_ranks(make_app):
    at = make_app("selection")
    before = shortlist_ids(at)
    at.select_slider(key="selection.weight.strategic_fit").set_value(0.0)
    at.select_slider(key="selection.weight.partnership_willingness").set_value(0.0)
    at.select_slider(key="selection.weight.revenue").set_value(5.0)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    after = shortlist_ids(at)
    assert after != before
    # back to the default weights gives back the same list: the sliders alone drive the ranks
    at.select_slider(key="selection.weight.strategic_fit").set_value(1.0)
    at.select_slider(key="selection.weight.partnership_willingness").set_value(1.0)
    at.select_slider(key="selection.weight.revenue").set_value(1.0)
    at.run()
    assert shortlist_ids(at) == before


def test_all_strength_weights_zero_is_an_error_not_a_crash(make_app):
    at = make_app("selection")
    for name in ("share_of_wallet", "relationship_strength", "years_as_customer"):
        at.select_slider(key=f"selection.weight.{name}").set_value(0.0)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("at least one criterion with a weight above zero" in e.value for e in at.error)


def test_an_editor_edit_persists_after_reopening_the_workspace(make_app):
    at = make_app("selection")
    at.session_state["selection.view"] = "scores"
    at.run()
    editor = at.data_editor[0]
    assert editor.key == "selection.editor"
    first = str(editor.value.index[0])
    at.session_state["selection.editor"] = {
        "edited_rows": {0: {"share_of_wallet": 5, "note": "CEO meeting in March"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]

    again = make_app("selection")  # a new session: nothing carried over but the workspace
    again.session_state["selection.view"] = "scores"
    again.run()
    assert not again.exception, [e.value for e in again.exception]
    row = again.data_editor[0].value.loc[first]
    assert row["share_of_wallet"] == 5
    assert row["note"] == "CEO meeting in March"
    assert row["by"] == "local"
    assert row["at"] != ""


def test_a_score_out_of_range_is_shown_as_an_error(make_app):
    at = make_app("selection")
    at.session_state["selection.view"] = "scores"
    at.run()
    at.session_state["selection.editor"] = {
        "edited_rows": {0: {"strategic_fit": 9}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("is not a number from 1 to 5" in e.value for e in at.error)


def test_added_account_and_saved_shortlist_survive_a_new_session(make_app):
    at = make_app("selection")
    ids = shortlist_ids(at)
    options = at.multiselect(key=SHORTLIST).options
    outsider = next(o for o in options if o.split(" · ")[0] not in ids).split(" · ")[0]
    at.multiselect(key=SHORTLIST).select(outsider)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert outsider in shortlist_ids(at)
    assert len(shortlist_ids(at)) == 16
    assert any("more than the recommended maximum of 15" in w.value for w in at.warning)
    at.button(key="selection.save_shortlist").click()
    at.run()
    assert any("16 accounts saved" in s.value for s in at.success)

    again = make_app("selection")
    assert outsider in shortlist_ids(again)
    again.button(key="selection.reset_shortlist").click()
    again.run()
    assert outsider not in shortlist_ids(again)


def test_shortlist_size_above_the_limit_warns(make_app):
    at = make_app("selection")
    assert not at.warning
    at.number_input(key="selection.shortlist_size").set_value(20)
    at.run()
    assert len(shortlist_ids(at)) == 20
    assert any("20 accounts is more than the recommended maximum of 15" in w.value for w in at.warning)


def test_readiness_verdict_after_submit(make_app):
    at = make_app("selection")
    assert not at.success
    at.slider(key="selection.readiness.q1").set_value(1)
    for q in range(2, 6):
        at.slider(key=f"selection.readiness.q{q}").set_value(5)
    at.button(key="selection.readiness_submit").click()
    at.run()
    assert any(s.value.startswith("Ready (score 100 of 100)") for s in at.success)
    at.slider(key="selection.readiness.q1").set_value(5)
    at.button(key="selection.readiness_submit").click()
    at.run()
    assert any("fix this first: sales that are too transactional" in w.value for w in at.warning)


def test_colour_by_abc_class(make_app):
    at = make_app("selection")
    at.session_state["selection.colour_by"] = "abc"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_norwegian_labels(make_app):
    at = make_app("selection", lang="nb")
    assert at.title[0].value == "Valg av nøkkelkunder"  # the same as its navigation label
    assert at.select_slider(key="selection.weight.strategic_fit").label == "Strategisk passform"


def test_no_transactions_shows_an_info_message(make_app, demo_root):
    db.create_workspace(demo_root, "empty")
    at = make_app("selection")
    at.session_state["workspace_name"] = "empty"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("needs a transaction table" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_points_selected_in_the_matrix_join_the_shortlist(make_app):
    at = make_app("selection")
    ids = shortlist_ids(at)
    options = [o.split(" · ")[0] for o in at.multiselect(key=SHORTLIST).options]
    outsiders = [o for o in options if o not in ids][:2]
    at.session_state["selection.matrix"] = {
        "selection": {
            "points": [{"curve_number": 0, "point_index": 0, "customdata": [c]} for c in outsiders],
            "point_indices": [0, 1],
            "box": [],
            "lasso": [],
        }
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    after = shortlist_ids(at)
    assert set(outsiders) <= set(after)
    assert len(after) == len(ids) + 2
    # removing one by hand sticks although the chart selection is still active
    at.multiselect(key=SHORTLIST).unselect(outsiders[0])
    at.run()
    assert outsiders[0] not in shortlist_ids(at)
    assert outsiders[1] in shortlist_ids(at)


def test_a_sidebar_filter_rescopes_scoring_and_the_editor(make_app):
    at = make_app("selection")
    at.session_state["selection.view"] = "scores"
    at.run()
    # the status filter's default keeps the 389 active of the demo's 400 accounts (11 are lost)
    assert len(at.data_editor[0].value) == 389
    region = at.multiselect(key="filters.region")
    region.select(region.options[0])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    n_filtered = len(at.data_editor[0].value)
    assert 0 < n_filtered < 389
    assert any(c.value.startswith(f"{n_filtered} accounts, measured") for c in at.caption)


def test_the_period_filter_sets_the_end_of_the_12_month_window(make_app):
    at = make_app("selection")
    assert any("12 months up to 30 Oct 2026" in c.value for c in at.caption)
    before = shortlist_ids(at)
    at.selectbox(key="filters.period").set_value("2025")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("12 months up to 31 Dec 2025" in c.value for c in at.caption)
    assert shortlist_ids(at) != before


def add_criterion(at, kind: str, axis: str, name: str = "", measure: str | None = None):
    at.radio(key="selection.custom_kind").set_value(kind)
    at.text_input(key="selection.custom_name").input(name)
    if measure is not None:
        at.selectbox(key="selection.custom_measure").select(measure)
    at.radio(key="selection.custom_axis").set_value(axis)
    at.button(key="selection.custom_add").click()
    return at.run()


def test_the_room_adds_a_team_score_scores_it_and_removes_it(make_app, demo_root):
    at = make_app("selection")
    add_criterion(at, "team", "strength", name="Innovasjon")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.select_slider(key="selection.weight.Innovasjon").label == "Innovasjon"
    with db.Workspace.open(db.workspace_path(demo_root, "demo")) as ws:
        saved = ws.load_object("selection_criteria", "customers")
    assert [c["name"] for c in saved["criteria"]] == ["Innovasjon"]

    # The new score is a column of the score grid; a 5 for the 15th account moves it up.
    at.session_state["selection.view"] = "scores"
    at.run()
    assert "Innovasjon" in at.data_editor[0].value.columns
    # Strength counts only the new score: everyone gets the midpoint, until the last
    # account on the list gets a 1.
    for name in ("share_of_wallet", "relationship_strength", "years_as_customer"):
        at.select_slider(key=f"selection.weight.{name}").set_value(0.0)
    at.run()
    last = shortlist_ids(at)[-1]
    position = at.data_editor[0].value.index.get_loc(last)
    at.session_state["selection.editor"] = {
        "edited_rows": {position: {"Innovasjon": 1}}, "added_rows": [], "deleted_rows": []
    }
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert last not in shortlist_ids(at)

    # A new session in the same workspace finds the criterion; removing it takes it away.
    again = make_app("selection")
    assert again.select_slider(key="selection.weight.Innovasjon").value == 1.0
    again.button(key="selection.custom_remove.0").click().run()
    assert not again.exception
    assert "selection.weight.Innovasjon" not in [s.key for s in again.select_slider]


def test_a_measure_from_the_data_can_join_an_axis(make_app):
    at = make_app("selection")
    add_criterion(at, "measure", "attractiveness", measure="purchase_frequency")
    assert not at.exception and not at.error
    assert at.select_slider(key="selection.weight.purchase_frequency").label == "Purchase frequency"
    assert "purchase_frequency" not in at.selectbox(key="selection.custom_measure").options


def test_a_name_that_cannot_be_used_is_one_sentence(make_app):
    at = make_app("selection")
    add_criterion(at, "team", "strength", name="Potensial, stort")
    assert not at.exception
    assert any("cannot name a criterion" in e.value for e in at.error)
    add_criterion(at, "team", "strength", name="**Viktig**")
    assert not at.exception and not at.error
    # Typed text stays text: the slider label is escaped, never rendered as Markdown.
    assert at.select_slider(key="selection.weight.**Viktig**").label == r"\*\*Viktig\*\*"


def test_switching_workspace_loads_that_workspaces_saved_shortlist(make_app, demo_root):
    import shutil

    at = make_app("selection")
    ids = shortlist_ids(at)
    outsider = next(
        o.split(" · ")[0] for o in at.multiselect(key=SHORTLIST).options if o.split(" · ")[0] not in ids
    )
    # A second workspace (same data) whose saved shortlist holds one more account.
    shutil.copyfile(demo_root / "demo.duckdb", demo_root / "vest.duckdb")
    with db.Workspace.open(db.workspace_path(demo_root, "vest")) as ws:
        ws.save_object("shortlist", "customers", {"include": [outsider], "exclude": [], "size": 15})
    at.run()
    at.selectbox(key="app.workspace").set_value("vest")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["workspace_name"] == "vest"
    assert outsider in shortlist_ids(at)


# ------------------------------------------- coverage, missing scores, status and the cuts


def matrix_title(at) -> str:
    import json

    return json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]


def test_coverage_per_criterion_is_shown_with_the_demo_counts(make_app):
    import pandas as pd

    from tests.app.conftest import DEMO_DATA

    at = make_app("selection")
    coverage = table_with(at, "Accounts with a value").set_index("Criterion")
    customers = pd.read_csv(DEMO_DATA / "customers.csv", sep=";", dtype=str, encoding="utf-8-sig")
    active = customers[customers["Status"] == "aktiv"]
    assert coverage.loc["Strategic fit", "Accounts with a value"] == active["Strategisk passform"].notna().sum()
    assert coverage.loc["Share of wallet", "Accounts with a value"] == active["Kundeandel"].notna().sum()
    assert (coverage["Accounts"] == len(active)).all()
    assert coverage.loc["Strategic fit", "Accounts with a value"] < len(active)


def test_the_missing_score_choice_changes_the_scoring_and_shows_on_the_matrix(make_app):
    at = make_app("selection")
    assert "Missing scores: neutral (3)" in matrix_title(at)
    assert any("counts as neutral (3)" in c.value for c in at.caption)
    at.radio(key="selection.missing_policy").set_value("exclude").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Missing scores: exclude the account" in matrix_title(at)
    note = next(c.value for c in at.caption if "are left out because" in c.value)
    n_left_out = int(note.split(" of ")[0])
    assert n_left_out > 0
    editor_rows = 389 - n_left_out
    at.session_state["selection.view"] = "ranking"
    at.run()
    assert len(table_with(at, "Total score (0–100)")) == editor_rows


def test_lost_accounts_are_left_out_by_default_and_can_be_shown(make_app):
    import pandas as pd

    from tests.app.conftest import DEMO_DATA

    customers = pd.read_csv(DEMO_DATA / "customers.csv", sep=";", dtype=str, encoding="utf-8-sig")
    lost = set(customers.loc[customers["Status"] == "tapt", "Kundenr"])
    at = make_app("selection")
    at.session_state["selection.view"] = "ranking"
    at.run()
    ranked = set(table_with(at, "Total score (0–100)")["Customer no."])
    assert ranked and not ranked & lost
    at.multiselect(key="selection.status").select("churned").run()
    ranked = set(table_with(at, "Total score (0–100)")["Customer no."])
    assert lost <= ranked


def test_the_default_cuts_keep_the_key_box_within_the_shortlist_limit(make_app):
    at = make_app("selection")
    caption = next(c.value for c in at.caption if c.value.startswith("Cut-points"))
    n_key = int(caption.split("The key box holds ")[1].split(" of ")[0])
    assert 1 <= n_key <= 15
    assert caption.endswith("the shortlist limit is 15.")
    # the median cut (the old default) puts far more accounts in the key box
    at.radio(key="selection.cut_mode").set_value("median").run()
    caption = next(c.value for c in at.caption if c.value.startswith("Cut-points"))
    assert int(caption.split("The key box holds ")[1].split(" of ")[0]) > 15


def test_weights_and_cut_captions_are_written_the_norwegian_way(make_app):
    at = make_app("selection", lang="nb")
    assert not at.exception, [e.value for e in at.exception]
    weight = at.select_slider(key="selection.weight.revenue")
    assert "1,5" in weight.options and "1.5" not in weight.options
    caption = next(c.value for c in at.caption if c.value.startswith("Skillelinjer"))
    import re

    assert re.search(r"attraktivitet \d+,\d, vår styrke \d+,\d\.", caption), caption  # "72,1", not "72.1"
    assert "Manglende poeng: nøytral (3)" in matrix_title(at)
