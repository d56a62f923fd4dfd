"""kamcore.plans: objective progress, follow-up, overdue actions, XLSX round trip, programme effect,
and the plan storage in the workspace (kamcore.db) — all on small hand-computed inputs."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from kamcore import db, plans
from kamcore.errors import KamError
from kamcore.survey_ingest import ItemDictionary

D = dt.date


def _code(exc: Exception) -> str:
    """The KamError code, also when pydantic wrapped it in a ValidationError."""
    if isinstance(exc, KamError):
        return exc.code
    return exc.errors()[0]["ctx"]["error"].code


def _lines(rows: list[tuple[str, str, float, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "revenue", "profit", "order_id"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


@pytest.fixture
def sales() -> pd.DataFrame:
    # Account A: 2025 revenue 100 + 200 (profit 20 + 30), then 2026 lines; B is another account.
    return _lines(
        [
            ("A", "2025-03-01", 100.0, 20.0, "o1"),
            ("A", "2025-09-01", 200.0, 30.0, "o2"),
            ("A", "2025-09-01", 50.0, 5.0, "o2"),
            ("A", "2026-02-01", 300.0, 90.0, "o3"),
            ("A", "2026-04-01", -40.0, -4.0, "c1"),
            ("B", "2026-03-01", 999.0, 1.0, "o9"),
        ]
    )


def _objective(metric: str, target: float, **kw) -> plans.Objective:
    return plans.Objective(account="A", metric=metric, target=target, start=D(2026, 1, 1), due=D(2026, 12, 31),
                           owner="Kari", **kw)


def test_revenue_objective_progress_by_hand(sales):
    # baseline = revenue in (2025-01-01, 2026-01-01] = 100 + 200 + 50 = 350
    # actual on 2026-04-01 = revenue in (2025-04-01, 2026-04-01] = 200 + 50 + 300 - 40 = 510
    # elapsed = 90 / 364 days; expected = 350 + (650 - 350) * 90/364 = 424.175...
    # share of target = (510 - 350) / (650 - 350) = 0.5333
    progress = plans.objective_progress(_objective("revenue", 650.0), sales, as_of="2026-04-01")
    assert progress.baseline == pytest.approx(350.0)
    assert progress.actual == pytest.approx(510.0)
    assert progress.elapsed == pytest.approx(90 / 364)
    assert progress.expected == pytest.approx(350.0 + 300.0 * 90 / 364)
    assert progress.share_of_target == pytest.approx(160 / 300)
    assert progress.status == "on"


def test_behind_when_actual_below_the_straight_line(sales):
    # target 2000: expected on 2026-04-01 = 350 + 1650 * 90/364 = 757.97 > 510
    progress = plans.objective_progress(_objective("revenue", 2000.0), sales, as_of="2026-04-01")
    assert progress.expected == pytest.approx(350.0 + 1650.0 * 90 / 364)
    assert progress.status == "behind"
    assert progress.share_of_target == pytest.approx(160 / 1650)


def test_margin_profit_and_order_frequency_by_hand(sales):
    # on 2026-04-01: profit 30 + 5 + 90 - 4 = 121; revenue 510; margin 100 * 121 / 510
    assert plans.metric_value("profit", sales, "A", "2026-04-01") == pytest.approx(121.0)
    assert plans.metric_value("margin", sales, "A", "2026-04-01") == pytest.approx(100 * 121 / 510)
    # orders with positive revenue: o2 and o3 (c1 is a credit note, o1 is outside the window)
    assert plans.metric_value("order_frequency", sales, "A", "2026-04-01") == 2.0
    assert plans.metric_value("margin", sales, "C", "2026-04-01") is None


def test_saved_baseline_is_kept_and_new_data_moves_only_the_actual(sales):
    objective = _objective("revenue", 650.0)
    objective = objective.model_copy(update={"baseline": plans.baseline_for(objective, sales)})
    assert objective.baseline == pytest.approx(350.0)
    first = plans.objective_progress(objective, sales)  # as of the last line, 2026-04-01
    more = pd.concat([sales, _lines([("A", "2026-05-04", 100.0, 10.0, "o4")])], ignore_index=True)
    second = plans.objective_progress(objective, more)  # next month's export
    assert first.baseline == second.baseline == pytest.approx(350.0)
    assert first.actual == pytest.approx(510.0)
    # (2025-05-04, 2026-05-04]: 200 + 50 + 300 - 40 + 100
    assert second.actual == pytest.approx(610.0)
    assert second.as_of == D(2026, 5, 4)


def test_not_started_before_the_start_day(sales):
    objective = plans.Objective(account="A", metric="revenue", target=1.0, start=D(2026, 6, 1), due=D(2026, 12, 1))
    progress = plans.objective_progress(objective, sales, as_of="2026-04-01")
    assert progress.status == "not_started"
    assert progress.elapsed == 0.0


def test_share_of_wallet_from_the_accounts_table(sales):
    accounts = pd.DataFrame({"customer_id": ["A", "B"], "share_of_wallet": [2.0, 5.0]})
    objective = _objective("share_of_wallet", 4.0, baseline=1.0)
    progress = plans.objective_progress(objective, sales, accounts=accounts, as_of="2026-07-02")
    # elapsed 182/364 = 0.5: expected 1 + 3 * 0.5 = 2.5; actual 2 -> behind, share (2-1)/3
    assert progress.expected == pytest.approx(2.5)
    assert progress.actual == 2.0
    assert progress.share_of_target == pytest.approx(1 / 3)
    assert progress.status == "behind"
    assert plans.objective_progress(objective, sales).status == "no_data"  # no accounts table


def test_gap_and_nps_objectives_read_the_survey(sales):
    responses = pd.DataFrame(
        {"Kundenr": ["A", "A", "B"], "E1": [6, 7, 5], "P1": [4, 6, 5], "Anbefale": [9, 5, 10]}
    )
    dictionary = ItemDictionary.from_frame(pd.DataFrame({
        "item": ["E1", "P1", "Anbefale"], "dimension": ["accuracy", "accuracy", ""],
        "role": ["expectation", "perception", "plain"], "pair": ["acc1", "acc1", ""],
        "question": ["", "", "Would you recommend us?"],
    }))
    survey = (responses, dictionary)
    # A: gaps -2 and -1 -> -1.5; NPS of (9, 5): one promoter, one detractor -> 0
    assert plans.metric_value("gap", sales, "A", area="accuracy", survey=survey) == pytest.approx(-1.5)
    assert plans.metric_value("nps", sales, "A", survey=survey) == pytest.approx(0.0)
    assert plans.metric_value("nps", sales, "B", survey=survey) == pytest.approx(100.0)
    with pytest.raises(ValueError) as caught:
        plans.Objective(account="A", metric="gap", target=0, start=D(2026, 1, 1), due=D(2026, 2, 1))
    assert _code(caught.value) == "plans.gap_needs_area"


def test_objective_and_action_validation():
    with pytest.raises(ValueError) as caught:
        plans.Objective(account="A", metric="revenue", target=1, start=D(2026, 2, 1), due=D(2026, 2, 1))
    assert _code(caught.value) == "plans.due_before_start"
    with pytest.raises(ValueError) as caught:
        plans.Action(account="A", what="   ", due=D(2026, 1, 1))
    assert _code(caught.value) == "plans.empty_field"
    with pytest.raises(ValueError):
        plans.Action(account="A", what="x", due=D(2026, 1, 1), status="someday")


def test_follow_up_by_owner_and_account(sales):
    objectives = [
        _objective("revenue", 650.0),  # on (see above)
        _objective("revenue", 2000.0),  # behind
        plans.Objective(account="B", metric="revenue", target=500.0, start=D(2026, 1, 1), due=D(2026, 12, 31),
                        owner="Ola"),
    ]
    table = plans.progress_table(objectives, sales, as_of="2026-04-01")
    assert table["status"].tolist() == ["on", "behind", "on"]
    by_owner = plans.follow_up(table, "owner").set_index("owner")
    assert by_owner.loc["Kari", "objectives"] == 2
    assert by_owner.loc["Kari", "on"] == 1 and by_owner.loc["Kari", "behind"] == 1
    assert by_owner.loc["Kari", "mean_share_of_target"] == pytest.approx((160 / 300 + 160 / 1650) / 2)
    # B: baseline 0 (no line before 2026), actual 999, share 999 / 500
    assert by_owner.loc["Ola", "mean_share_of_target"] == pytest.approx(999 / 500)
    by_account = plans.follow_up(table, "account")
    assert by_account["account"].tolist() == ["A", "B"]
    assert by_account["objectives"].tolist() == [2, 1]


def test_overdue_actions_are_open_and_past_due():
    actions = [
        plans.Action(account="A", what="late call", due=D(2026, 1, 10), status="planned"),
        plans.Action(account="A", what="late visit", due=D(2026, 1, 5), status="doing"),
        plans.Action(account="A", what="done already", due=D(2026, 1, 1), status="done"),
        plans.Action(account="B", what="dropped", due=D(2026, 1, 1), status="dropped"),
        plans.Action(account="B", what="due today", due=D(2026, 1, 20), status="planned"),
    ]
    late = plans.overdue_actions(actions, D(2026, 1, 20))
    assert [a.what for a in late] == ["late visit", "late call"]


def test_xlsx_round_trip_is_formula_safe():
    objective = _objective("revenue", 650.0, title="=HYPERLINK(\"http://evil\")")
    action = plans.Action(account="A", what="+call the buyer", due=D(2026, 3, 1), objective_id=objective.id,
                          owner="Kari", status="doing")
    plan = plans.Plan(account="A", objectives=[objective], actions=[action],
                      notes=plans.StrategyNotes(account="A", price="-5 % on volume", threats="@competitor"))
    data = plans.plan_to_xlsx(plan)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert set(book.sheetnames) == {"objectives", "actions", "notes"}
    cells = [c.value for row in book["objectives"].iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://evil\")" in cells
    assert all(not (isinstance(c, str) and c.startswith("=")) for c in cells)
    assert all(c.data_type != "f" for row in book["actions"].iter_rows() for c in row)
    back = plans.plan_from_xlsx(data, "A")
    assert back == plan


def test_import_refuses_another_accounts_rows_and_junk():
    plan = plans.Plan(account="A", actions=[plans.Action(account="A", what="x", due=D(2026, 3, 1))])
    with pytest.raises(KamError) as caught:
        plans.plan_from_xlsx(plans.plan_to_xlsx(plan), "B")
    assert caught.value.code == "plans.import_other_account"
    with pytest.raises(KamError) as caught:
        plans.plan_from_xlsx(b"not a workbook", "A")
    assert caught.value.code == "plans.import_unreadable"


def test_programme_effect_difference_in_differences_by_hand():
    # Programme start 2026-01-01, 12 months before, 6 months after (data ends 2026-06-30).
    rows = []
    # K (key): 120 before (12 months), 90 after (6 months); profit 12 before, 18 after.
    rows += [("K", "2025-06-01", 120.0, 12.0, "k1"), ("K", "2026-03-01", 90.0, 18.0, "k2")]
    # C1 (closest to K in revenue before: 100 vs 120) and C2 (far: 10): C1 is the comparable.
    rows += [("C1", "2025-06-01", 100.0, 20.0, "c1"), ("C1", "2026-06-30", 50.0, 10.0, "c2")]
    rows += [("C2", "2025-06-01", 10.0, 1.0, "c3"), ("C2", "2026-03-01", 30.0, 3.0, "c4")]
    effect = plans.programme_effect(_lines(rows), ["K"], "2026-01-01")
    assert effect.pairs[["key_account", "comparable_account"]].values.tolist() == [["K", "C1"]]
    months_before = 365 / 30.4375
    months_after = 181 / 30.4375  # 2026-01-01 .. 2026-06-30
    growth_k = (90 / months_after) / (120 / months_before) - 1
    growth_c = (50 / months_after) / (100 / months_before) - 1
    assert effect.did_growth == pytest.approx(growth_k - growth_c)
    # margins: K 0.10 -> 0.20, C1 0.20 -> 0.20: difference in differences 0.10
    assert effect.did_margin == pytest.approx(0.10)
    groups = effect.groups.set_index("group")
    assert groups.loc["key", "revenue_after"] == 90.0
    assert effect.after == (D(2026, 1, 1), D(2026, 6, 30))
    with pytest.raises(KamError) as caught:
        plans.programme_effect(_lines(rows), ["K"], "2026-06-20")
    assert caught.value.code == "plans.effect_no_after"


def test_plans_persist_with_who_when_and_history(tmp_path):
    path = tmp_path / "w.duckdb"
    with db.Workspace.open(path) as ws:
        assert plans.load_plan(ws, "A").objectives == []
        assert ws.plan_history().empty
        objective = _objective("revenue", 650.0)
        plans.save_item(ws, objective, "kari")
        action = plans.Action(account="A", what="Call", due=D(2026, 2, 1), objective_id=objective.id)
        plans.save_item(ws, action, "ola")
        plans.save_item(ws, action.model_copy(update={"status": "done"}), "ola")
        plans.save_item(ws, action.model_copy(update={"status": "done"}), "ola")  # no change: no history row
        plans.save_item(ws, plans.StrategyNotes(account="A", product="Bundles"), "kari")
    with db.Workspace.open(path) as ws:  # "after a restart"
        plan = plans.load_plan(ws, "A")
        assert plan.objectives == [objective]
        assert plan.actions[0].status == "done"
        assert plan.notes.product == "Bundles"
        history = ws.plan_history("A")
        assert sorted(history["change"].tolist()) == ["changed", "created", "created", "created"]
        meta = plans.item_meta(ws, "action", "A")[action.id]
        assert meta["created_by"] == "ola" and meta["updated_at"] >= meta["created_at"]
        plans.delete_item(ws, objective, "kari")
        assert plans.load_plan(ws, "A").actions[0].objective_id is None
        assert "deleted" in ws.plan_history("A")["change"].tolist()
        assert ws.tables() == []  # plan tables are not data tables
        with pytest.raises(KamError):
            ws.save_plan_item("secret", "x", "A", {})


def test_revise_keeps_id_account_and_baseline_unless_what_is_measured_changes():
    objective = plans.Objective(account="K1", title="Grow", metric="revenue", target=120.0, baseline=100.0,
                                start=dt.date(2026, 1, 1), due=dt.date(2026, 12, 31), owner="Kari")
    changed = plans.revise(objective, {"title": "Grow more", "target": 150.0, "due": dt.date(2027, 6, 30),
                                       "owner": "Ola", "id": "other", "account": "K2"})
    assert (changed.id, changed.account, changed.baseline) == (objective.id, "K1", 100.0)
    assert (changed.title, changed.target, changed.due, changed.owner) == ("Grow more", 150.0,
                                                                          dt.date(2027, 6, 30), "Ola")
    assert plans.revise(objective, {"metric": "profit"}).baseline is None
    assert plans.revise(objective, {"start": dt.date(2026, 2, 1)}).baseline is None
    assert plans.revise(objective, {"start": dt.date(2026, 1, 1)}).baseline == 100.0  # unchanged value
    with pytest.raises(ValueError) as err:
        plans.revise(objective, {"due": dt.date(2025, 12, 1)})
    assert _code(err.value) == "plans.due_before_start"
    action = plans.Action(account="K1", what="Call", due=dt.date(2026, 3, 1), owner="Kari")
    moved = plans.revise(action, {"what": "Visit the CFO", "due": dt.date(2026, 4, 15), "status": "doing"})
    assert (moved.id, moved.what, moved.due, moved.status, moved.owner) == (
        action.id, "Visit the CFO", dt.date(2026, 4, 15), "doing", "Kari")
    with pytest.raises(ValueError) as err:
        plans.revise(action, {"what": "  "})
    assert _code(err.value) == "plans.empty_field"


def test_next_months_export_updates_the_actual_and_leaves_the_plan_alone(tmp_path, sales):
    from kamcore.schemas import ColumnMapping, TableKind
    from kamcore.tables import canonical

    mapping = {"customer_id": "customer_id", "date": "date", "revenue": "revenue", "profit": "profit",
               "order_id": "order_id"}
    path = tmp_path / "w.duckdb"
    with db.Workspace.open(path) as ws:
        ws.import_table("transactions", sales, kind=TableKind.transactions, mapping=mapping)
        txn = canonical(ws.read_table("transactions"), ColumnMapping(roles=mapping))
        objective = _objective("revenue", 900.0)
        objective = objective.model_copy(update={"baseline": plans.baseline_for(objective, txn)})
        plans.save_item(ws, objective, "kari")
        plans.save_item(ws, plans.Action(account="A", what="Call", due=D(2026, 5, 1)), "kari")
        before = plans.objective_progress(objective, txn, as_of="2026-04-30")
        # 365 days to 1 Jan 2026: 100 + 200 + 50; to 30 Apr 2026: 200 + 50 + 300 − 40 (March 2025 is out)
        assert (before.baseline, before.actual) == (350.0, 510.0)
        history = ws.plan_history()
    # next month's export: the same lines plus May 2026, imported over the old table
    newer = pd.concat([sales, _lines([("A", "2026-05-20", 120.0, 30.0, "o4")])], ignore_index=True)
    with db.Workspace.open(path) as ws:
        ws.import_table("transactions", newer, kind=TableKind.transactions, mapping=mapping, replace=True)
        txn = canonical(ws.read_table("transactions"), ColumnMapping(roles=mapping))
        plan = plans.load_plan(ws, "A")
        assert plan.objectives == [objective] and len(plan.actions) == 1
        pd.testing.assert_frame_equal(ws.plan_history(), history)  # nothing in the plan changed
        after = plans.objective_progress(plan.objectives[0], txn, as_of="2026-05-31")
        assert (after.baseline, after.actual) == (350.0, 630.0)  # only the actual moved: + 120
