"""Account page and key-account follow-up page (AppTest on the demo workspace)."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest

from kamcore import db, plans
from tests.app.conftest import ROOT, new_app
from tests.app.pseudo import untranslated
from ui import i18n

ACCOUNT = "051587"  # Brekstad Eiendom KF: a large account that loses money (data/README.md)
PAGES = ["account", "plans"]


def _table(at, *columns: str):
    """The first table on the page that has all ``columns`` (plain tables carry no key in AppTest)."""
    for frame in at.dataframe:
        value = frame.value
        if all(c in value.columns for c in columns):
            return value
    raise AssertionError(f"no table with {columns}")


def _account_app(account: str = ACCOUNT, lang: str = "en"):
    at = new_app("home", lang=lang, timeout=180)
    at.session_state["app.start_page"] = "account"
    at.session_state["account._selected"] = account
    return at.run(timeout=180)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "nb", "sv"])
def test_page_loads_without_exception(make_app, page, lang):
    at = make_app(page, lang=lang, timeout=180) if page == "plans" else _account_app(lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_no_string_missing_from_the_catalogue(make_app, page):
    at = make_app(page, lang="qps", timeout=180) if page == "plans" else _account_app(lang="qps")
    assert not at.exception, [e.value for e in at.exception]
    assert untranslated(at) == []


@pytest.mark.parametrize("module", ["plans", "health"])
def test_every_error_code_raised_in_kamcore_has_a_translation(module):
    source = (ROOT / "kamcore" / f"{module}.py").read_text(encoding="utf-8")
    codes = set(re.findall(rf'"{module}\.([a-z_]+)"', source))
    assert codes
    assert sorted(code for code in codes if code not in i18n.catalogue(f"err_{module}")) == []


def test_account_page_shows_health_and_why(demo_root):
    at = _account_app()
    assert at.selectbox(key="account.pick").value == ACCOUNT
    assert at.query_params["account"] == [ACCOUNT] or at.query_params["account"] == ACCOUNT
    metrics = {m.label: m.value for m in at.metric}
    assert re.fullmatch(r"\d{1,3}", metrics["Health score (0–100)"])
    assert metrics["Status"] in ("Good", "Watch", "Act")
    texts = " ".join(str(m.value) for m in at.markdown)
    assert "What pulls the score down most:" in texts
    # it loses money: the whale-curve sentence says so, and margin is among the drivers
    assert "loses money" in texts
    assert "margin against the portfolio" in texts
    subheaders = [s.value for s in at.subheader]
    for heading in ("Health", "Revenue and profit", "Key-account selection", "Survey", "Objectives", "Actions"):
        assert heading in subheaders


def test_opening_an_account_from_the_portfolio_page(make_app):
    at = make_app("portfolio", timeout=180)
    at.segmented_control(key="portfolio.view").set_value("accounts").run(timeout=180)
    at.selectbox(key="portfolio.drill_account").set_value(ACCOUNT).run(timeout=180)
    at.button(key="portfolio.open_account").click().run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Key account"
    assert at.selectbox(key="account.pick").value == ACCOUNT


def _add_objective(at, name: str, metric: str, target: float):
    at.text_input(key="account.objective_name").input(name)
    at.selectbox(key="account.objective_metric").set_value(metric)
    at.number_input(key="account.objective_target").set_value(target)
    at.text_input(key="account.objective_owner").input("Kari Nordmann")
    return at.button(key="account.save_objective").click().run(timeout=180)


def _add_action(at, what: str, due: dt.date, objective_label: str | None = None):
    at.text_input(key="account.action_what").input(what)
    at.date_input(key="account.action_due").set_value(due)
    at.text_input(key="account.action_owner").input("Ola Hansen")
    if objective_label is not None:
        box = at.selectbox(key="account.action_objective")
        box.set_value(next(o for o in box.options if o == objective_label) if objective_label in box.options
                      else box.options[1])
    return at.button(key="account.save_action").click().run(timeout=180)


def test_objectives_and_actions_survive_a_restart_and_the_team_sees_the_overdue_one(demo_root: Path):
    at = _account_app()
    at = _add_objective(at, "Stop the losses", "margin", 5.0)
    at = _add_objective(at, "Grow revenue", "revenue", 70_000_000.0)
    assert not at.exception, [e.value for e in at.exception]
    yesterday = dt.date.today() - dt.timedelta(days=1)
    at = _add_action(at, "Renegotiate the discount ladder", yesterday)
    at = _add_action(at, "Visit the purchasing manager", dt.date.today() + dt.timedelta(days=10))
    at = _add_action(at, "Quarterly business review", dt.date.today() + dt.timedelta(days=30))
    assert not at.exception, [e.value for e in at.exception]
    assert any("Overdue actions: 1" in w.value for w in at.warning)

    # The server restarts: a new session on the same workspaces folder finds everything.
    at = _account_app()
    objectives = _table(at, "Objective", "Measured by")
    assert sorted(objectives["Objective"]) == ["Grow revenue", "Stop the losses"]
    assert set(objectives["Measured by"]) == {"Margin % (12 months)", "Revenue (12 months)"}
    # baselines come from the data: the margin of a money-losing whale is negative
    margin_row = objectives[objectives["Objective"] == "Stop the losses"].iloc[0]
    assert margin_row["Baseline"] < 0
    actions = _table(at, "Action", "Overdue")
    assert len(actions) == 3
    assert actions.loc[actions["Action"] == "Renegotiate the discount ladder", "Overdue"].item() == "Overdue"
    assert (actions["Last changed"].str.startswith("local")).all()

    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        stored = plans.load_plan(ws, ACCOUNT)
        assert len(stored.objectives) == 2 and len(stored.actions) == 3
        assert len(ws.plan_history(ACCOUNT)) == 5

    team = new_app("plans", timeout=180)
    assert not team.exception, [e.value for e in team.exception]
    overdue = _table(team, "Action", "Days late")
    assert overdue["Action"].tolist() == ["Renegotiate the discount ladder"]
    assert overdue["Customer no."].tolist() == [ACCOUNT]
    assert overdue["Days late"].tolist() == [1]
    followup = _table(team, "Objective", "Share of the way")
    assert sorted(followup["Objective"]) == ["Grow revenue", "Stop the losses"]


def test_action_status_update_and_notes_are_saved(demo_root: Path):
    at = _account_app()
    at = _add_action(at, "Call the CFO", dt.date.today() - dt.timedelta(days=3))
    at.selectbox(key="account.edit_action_status").set_value("done")
    at = at.button(key="account.update_status").click().run(timeout=180)
    assert not any("Overdue" in w.value for w in at.warning)
    at.text_area(key=f"account.note_price_{ACCOUNT}").input("=cut the deepest discounts")
    at.text_area(key=f"account.note_threats_{ACCOUNT}").input("A competitor offers a framework agreement")
    at = at.button(key="account.save_notes").click().run(timeout=180)
    notes = _table(at, "Heading", "Text")
    assert notes["Heading"].tolist() == ["Price", "Threats"]
    assert notes["Text"].tolist()[0] == "=cut the deepest discounts"  # shown as text, stored as written
    history = _table(at, "Change", "When")
    assert sorted(history["Change"]) == ["changed", "created", "created"]


def test_health_list_has_trend_lines_and_weights_change_scores(make_app):
    at = make_app("plans", timeout=180)
    table = _table(at, "Health", "Pulled down by")
    assert len(table) == 400  # no shortlist saved in the demo: all accounts
    assert table["Health"].is_monotonic_increasing
    assert all(len(points) == 12 for points in table["Revenue per month, trend"])
    first = table.iloc[0]["Health"]
    at.slider(key="plans.weight_money").set_value(100).run(timeout=180)
    at.slider(key="plans.weight_buying").set_value(0).run(timeout=180)
    at.slider(key="plans.weight_survey").set_value(0).run(timeout=180)
    at.slider(key="plans.weight_relationship").set_value(0).run(timeout=180)
    changed = _table(at, "Health", "Pulled down by")
    assert changed["Health"].tolist() != table["Health"].tolist()
    assert first != changed.iloc[0]["Health"] or table.iloc[0]["Customer no."] != changed.iloc[0]["Customer no."]


def test_programme_effect_on_a_saved_shortlist(demo_root: Path):
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        ws.save_object("shortlist", "customers", {"customer_ids": [ACCOUNT, "065115"],
                                                  "saved_at": "2026-03-01T09:00:00+00:00"}, user="leader")
    at = new_app("plans", timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert len(_table(at, "Health", "Pulled down by")) == 2  # the saved key accounts
    assert at.date_input(key="plans.effect_start").value == dt.date(2026, 3, 1)
    groups = _table(at, "Accounts", "Growth per month")
    assert groups["Accounts"].tolist() == [2, 2]
    labels = [m.label for m in at.metric]
    assert "Extra growth of key accounts" in labels
    assert any("not drawn at random" in w.value for w in at.warning)


def test_the_account_page_shows_the_buying_centre_and_future_value_inputs(make_app):
    # 027522 is the demo's whale held by one account manager (a bow-tie, see data/README.md).
    at = make_app("account")
    at.session_state["account._selected"] = "027522"
    at.run()
    assert not at.exception
    assert "Buying centre" in [s.value for s in at.subheader]
    texts = " ".join(str(m.value) for m in at.markdown) + " ".join(str(c.value) for c in at.caption)
    assert "Bow-tie" in texts or "bow-tie" in texts
    why = [df.value for df in at.dataframe if "Measure" in df.value.columns][0]
    measures = set(why["Measure"])
    assert "Chance that it still buys (P(alive), BG/NBD)" in measures
    assert "Buying-centre coverage" in measures
    # the expected value joins health as the outlook (#18): its measure is listed when present
    assert "Expected revenue next 12 months against the last 12 (BG/NBD)" in measures


def test_objectives_and_actions_are_changed_in_place_with_who_when_and_what(demo_root: Path):
    at = _account_app()
    at = _add_objective(at, "Grow revenue", "revenue", 70_000_000.0)
    at = _add_action(at, "Call the CFO", dt.date(2026, 11, 20))
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        before = plans.load_plan(ws, ACCOUNT)
    objective, action = before.objectives[0], before.actions[0]
    # the change form opens with the objective's saved values
    assert at.text_input(key="account.edit_objective_name").value == "Grow revenue"
    assert at.number_input(key="account.edit_objective_target").value == 70_000_000.0
    at.text_input(key="account.edit_objective_name").input("Grow revenue to 80 million")
    at.number_input(key="account.edit_objective_target").set_value(80_000_000.0)
    at.date_input(key="account.edit_objective_due").set_value(dt.date(2027, 12, 31))
    at = at.button(key="account.update_objective").click().run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    # the action's text, due date, owner and status, changed in place
    assert at.text_input(key="account.edit_action_what").value == "Call the CFO"
    at.text_input(key="account.edit_action_what").input("Visit the CFO in Trondheim")
    at.date_input(key="account.edit_action_due").set_value(dt.date(2026, 12, 15))
    at.selectbox(key="account.edit_action_status").set_value("doing")
    at.selectbox(key="account.edit_action_objective").set_value(objective.id)
    at = at.button(key="account.update_status").click().run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]

    objectives = _table(at, "Objective", "Measured by")
    assert objectives["Objective"].tolist() == ["Grow revenue to 80 million"]
    assert objectives["Target"].tolist() == [80_000_000.0]
    # on screen the period, owner and last change are in the second objectives grid
    assert _table(at, "Objective", "Period")["Period"].tolist() == ["30 Oct 2026 – 31 Dec 2027"]
    actions = _table(at, "Action", "Overdue")
    assert actions[["Action", "Due", "Status", "Objective"]].values.tolist() == [
        ["Visit the CFO in Trondheim", "15 Dec 2026", "In progress", "Grow revenue to 80 million"]]
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        after = plans.load_plan(ws, ACCOUNT)
        history = ws.plan_history(ACCOUNT)
    # the same items (ids), the baseline taken from the data when it was written is kept
    assert after.objectives[0].id == objective.id and after.actions[0].id == action.id
    assert after.objectives[0].baseline == objective.baseline
    assert sorted(history["change"]) == ["changed", "changed", "created", "created"]
    assert set(history["changed_by"]) == {"local"}
    shown = _table(at, "Change", "What changed")
    changed = {}  # the newest row of each part (the history is newest first)
    for part, text in zip(shown["Part"], shown["What changed"], strict=True):
        changed.setdefault(part, text)
    assert "Target: 70,000,000 → 80,000,000" in changed["Objective"]
    assert "Name: Grow revenue → Grow revenue to 80 million" in changed["Objective"]
    assert "Due: 30 Oct 2027 → 31 Dec 2027" in changed["Objective"]
    assert "Action: Call the CFO → Visit the CFO in Trondheim" in changed["Action"]
    assert "Due: 20 Nov 2026 → 15 Dec 2026" in changed["Action"]
    assert "Status: Planned → In progress" in changed["Action"]


def test_a_plan_goes_out_to_xlsx_and_comes_back_in(demo_root: Path):
    import openpyxl

    at = _account_app()
    at = _add_objective(at, "Grow revenue", "revenue", 70_000_000.0)
    at = _add_action(at, "Call the CFO", dt.date(2026, 11, 20))
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        plan = plans.load_plan(ws, ACCOUNT)
    exported = plans.plan_to_xlsx(plan)  # the bytes the download button serves
    book = openpyxl.load_workbook(io.BytesIO(exported))
    actions = book["actions"]
    header = [c.value for c in actions[1]]
    actions.cell(row=2, column=header.index("what") + 1, value="Call the CFO and the buyer")
    actions.append([None if h not in ("account", "what", "due", "status") else
                    {"account": ACCOUNT, "what": "Send the framework offer", "due": dt.datetime(2027, 1, 15),
                     "status": "planned"}[h] for h in header])
    edited = io.BytesIO()
    book.save(edited)
    at.file_uploader(key="account.import_file").upload("plan.xlsx", edited.getvalue(),
                                                       "application/vnd.openxmlformats-officedocument"
                                                       ".spreadsheetml.sheet").run(timeout=180)
    assert not at.error, [e.value for e in at.error]
    assert any("holds 1 objectives and 2 actions" in c.value for c in at.caption), [c.value for c in at.caption]
    at = at.button(key="account.import_button").click().run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    actions_shown = _table(at, "Action", "Overdue")
    assert sorted(actions_shown["Action"]) == ["Call the CFO and the buyer", "Send the framework offer"]
    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        back = plans.load_plan(ws, ACCOUNT)
    assert [o.id for o in back.objectives] == [o.id for o in plan.objectives]  # updated, not duplicated
    assert back.objectives[0].baseline == plan.objectives[0].baseline


def test_every_section_of_the_account_page_is_kamcores_figure(demo_root: Path):
    """Trend with last year, ABC classes on revenue and profit and their movement, churn flag,
    McDonald box and rank, survey respondents and NPS of one account: each as kamcore computes it."""
    import json

    from kamcore import health, portfolio, selection
    from kamcore.meeting_pack import content as pc

    with db.Workspace.open(demo_root / "demo.duckdb") as ws:
        inputs = pc.load_inputs(ws, "demo", statuses=None)
        survey_input = pc.health_survey(pc.survey_result(inputs))
        manual = pc._manual_scores(inputs, selection.default_model().manual_names, "customers")
    history = inputs.everything.assign(customer_id=inputs.everything["customer_id"].astype(str))
    at = _account_app()
    assert not at.exception, [e.value for e in at.exception]
    # the monthly trend carries this year's revenue, last year's and the profit
    trend = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Revenue a year earlier" in c.proto.spec)
    assert [d["name"] for d in trend["data"]] == ["Revenue", "Revenue a year earlier", "Profit"]
    # classes, last period and this, on revenue and profit
    classes = _table(at, "Class, previous 12 months", "Class, last 12 months")
    for measure, label in (("revenue", "Revenue"), ("profit", "Profit")):
        moved = portfolio.movement(history, "customer_id", "date", measure).accounts
        mine = moved[moved["customer"].astype(str) == ACCOUNT].iloc[0]
        row = classes[classes.iloc[:, 0] == label].iloc[0]
        assert row["Class, previous 12 months"] == i18n.translate(f"account.class_{mine['previous_class']}", "en")
        assert row["Class, last 12 months"] == i18n.translate(f"account.class_{mine['current_class']}", "en")
        assert row["Previous 12 months"] == round(float(mine["previous_value"]))
    # the churn flag: shown exactly when kamcore flags the account
    churn = portfolio.churn_risk(portfolio.movement(history, "customer_id", "date", "revenue"))
    flagged = ACCOUNT in set(churn["customer"].astype(str))
    assert any(w.value.startswith("Churn flag:") for w in at.warning) == flagged
    assert any(c.value.startswith("No churn flag") for c in at.caption) == (not flagged)
    # the portfolio box and rank of the default selection model
    measures = selection.account_measures(history, inputs.accounts)
    model = selection.default_model()
    scored = selection.score_accounts(measures, model, manual)
    me = scored[scored["customer_id"].astype(str) == ACCOUNT].iloc[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Portfolio box"] == i18n.translate(f"selection.category_{me['category']}", "en")
    assert metrics["Rank"] == i18n.fmt_num(int(me["rank"]), 0, "en")
    # the survey: this account's respondents and NPS
    ids = survey_input.responses[survey_input.account].astype("string").str.strip()
    nps = health.survey_measures(survey_input).loc[ACCOUNT, "nps"]
    line = next(m.value for m in at.markdown if "respondents" in str(m.value))
    assert line.startswith(f"{i18n.fmt_num(int((ids == ACCOUNT).sum()), 0, 'en')} respondents")
    assert f"NPS {i18n.fmt_num(nps, 0, 'en')} (all customers" in line
