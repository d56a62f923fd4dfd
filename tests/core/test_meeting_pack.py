"""The meeting pack's content (kamcore.meeting_pack): sections, findings and tables against kamcore."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from kamcore import db, plans, portfolio, selection
from kamcore.demo import DEMO_NAME, build_demo_workspace
from kamcore.errors import KamError
from kamcore.meeting_pack import content as pc
from kamcore.schemas import FilterSettings

DEMO_DATA = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    path = build_demo_workspace(tmp_path_factory.mktemp("pack-demo") / f"{DEMO_NAME}.duckdb", DEMO_DATA)
    ws = db.Workspace.open(path)
    yield ws
    ws.close()


@pytest.fixture
def tiny(tmp_path: Path):
    """Five accounts, one sale each in 2026 (revenue 50, 20, 15, 10, 5; cost 10 each; account E loses money)."""
    ws = db.Workspace.open(tmp_path / "tiny.duckdb")
    frame = pd.DataFrame({
        "Kundenr": ["A", "B", "C", "D", "E"],
        "Navn": ["Alfa AS", "Beta AS", "Gamma AS", "Delta AS", "Epsilon AS"],
        "Dato": pd.to_datetime(["2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10", "2026-05-10"]),
        "Omsetning": [50.0, 20.0, 15.0, 10.0, 5.0],
        "Kostnad": [10.0, 10.0, 10.0, 10.0, 10.0],
        "Region": ["Vest", "Vest", "Øst", "Øst", "Øst"],
    })
    ws.import_table("sales", frame, kind="transactions", mapping={
        "customer_id": "Kundenr", "customer_name": "Navn", "date": "Dato", "revenue": "Omsetning",
        "cost": "Kostnad", "region": "Region"})
    yield ws
    ws.close()


def _find(slides, key):
    return [s for s in slides if s.title.key == key]


def _finding(slide, key):
    return next(f for f in slide.findings if f.key == key)


def test_tiny_title_and_concentration_are_the_hand_computed_numbers(tiny):
    inputs = pc.load_inputs(tiny, "Tiny", today=dt.date(2026, 12, 5))
    pack = pc.build(inputs, ["title", "portfolio"])
    title = pack.slides[0]
    assert title.section == "title"
    assert _finding(title, "pack.title_workspace").params == {"name": "Tiny"}
    totals = _finding(title, "pack.title_totals").params
    assert totals == {"accounts": pc.Num(5), "revenue": pc.Num(100.0)}
    assert _finding(title, "pack.title_date").params == {"date": pc.Date(dt.date(2026, 12, 5))}
    conc = _finding(_find(pack.slides, "pack.concentration_title")[0], "pack.concentration_finding").params
    # top 20 % of 5 accounts = 1 account: 50 of 100; 80 % is reached by A+B+C (85)
    assert conc["top20"] == pc.Pct(0.5)
    assert conc["n80"] == pc.Num(3)
    whale = _find(pack.slides, "pack.whale_title")[0]
    # profits 40, 10, 5, 0, -5: peak 55 of a total of 50 = 110 %; one account destroys 5
    assert _finding(whale, "pack.whale_finding").params["peak"] == pc.Pct(1.1, 0)
    assert _finding(whale, "pack.whale_destroying").params == {"n": pc.Num(1), "value": pc.Num(5.0)}


def test_tiny_filters_reach_every_number(tiny):
    filters = FilterSettings(region=("Øst",))
    pack = pc.build(pc.load_inputs(tiny, "Tiny", filters), ["title", "portfolio"])
    title = pack.slides[0]
    assert _finding(title, "pack.title_totals").params == {"accounts": pc.Num(3), "revenue": pc.Num(30.0)}
    assert _finding(title, "pack.title_filter").params == {"role": pc.Msg("app.role_region"), "values": "Øst"}
    pareto = _find(pack.slides, "pack.pareto_title")[0]
    table = next(v for v in pareto.visuals if isinstance(v, pc.Table))
    # 15, 10, 5 of 30: C alone is 50 % (A up to 80 % takes C and D: 83 %), E is the rest
    counts = {row[0].key: row[1] for row in table.rows}
    assert sum(n.value for n in counts.values()) == 3
    assert _finding(pareto, "pack.pareto_finding").params["total"] == pc.Num(3)


def test_sections_can_be_left_out_and_unknown_ones_refused(tiny):
    inputs = pc.load_inputs(tiny, "Tiny")
    pack = pc.build(inputs, ["title", "segments"])
    assert {s.section for s in pack.slides} == {"title", "segments"}
    assert pack.sections == ("title", "segments")
    with pytest.raises(KamError) as raised:
        pc.build(inputs, ["title", "charts"])
    assert raised.value.code == "pack.unknown_section"


def test_demo_pack_has_every_section_and_the_pages_numbers(demo):
    inputs = pc.load_inputs(demo, "demo", today=dt.date(2026, 12, 5))
    pack = pc.build(inputs)
    assert [s for s in pc.SECTIONS if any(x.section == s for x in pack.slides)] == list(pc.SECTIONS)
    # Pareto finding = kamcore's ABC summary on the same frame
    frame = inputs.transactions
    # as every page by default: accounts the customers table calls lost are left out
    status = demo.read_table("customers").set_index("Kundenr")["Status"]
    everyone = demo.read_table("transactions")["Kundenr"].drop_duplicates()
    kept = everyone[everyone.map(status).fillna("aktiv") == "aktiv"]
    assert frame["customer_id"].nunique() == len(kept) < len(everyone)
    assert _finding(pack.slides[0], "pack.title_statuses").params["statuses"].parts == [
        pc.Msg("status.active"), pc.Msg("status.unknown")]
    classes = portfolio.abc_classes(frame, "customer_id", "revenue", (0.8, 0.95))
    a = portfolio.abc_summary(classes).set_index("abc_class").loc["A"]
    params = _finding(_find(pack.slides, "pack.pareto_title")[0], "pack.pareto_finding").params
    assert params["n"] == pc.Num(int(a["accounts"]))
    assert params["total"] == pc.Num(len(classes))
    assert params["value"] == pc.Pct(float(a["value_share"]))
    conc = portfolio.concentration(frame, "customer_id", "revenue")
    cparams = _finding(_find(pack.slides, "pack.concentration_title")[0], "pack.concentration_finding").params
    assert cparams["n80"] == pc.Num(conc.accounts_for_80pct)
    assert cparams["gini"] == pc.Num(conc.gini, 2)
    # No shortlist saved in the demo: the recommended top accounts, one slide each
    measures = selection.account_measures(inputs.history, inputs.accounts, as_of=inputs.history["date"].max())
    model = selection.default_model().model_copy(update={"shortlist_limit": 15})
    manual = pc._manual_scores(inputs, model.manual_names, inputs.accounts_name)
    scored = selection.score_accounts(measures, model, manual)
    expected = selection.shortlist(scored, limit=15).table["customer_id"].astype(str).tolist()
    accounts = [s for s in pack.slides if s.section == "accounts"]
    assert len(accounts) == len(expected)
    names = dict(zip(inputs.accounts["customer_id"].astype(str), inputs.accounts["customer_name"], strict=True))
    assert [s.title.params["account"] for s in accounts] == [f"{names[c]} ({c})" for c in expected]
    # every slide carries a plain-language finding
    assert all(s.findings for s in pack.slides)


def test_saved_shortlist_and_weights_are_used(demo, tmp_path):
    ws = db.Workspace.open(tmp_path / "copy.duckdb")
    try:
        for info in demo.tables():
            ws.import_table(info.name, demo.read_table(info.name), kind=info.kind, mapping=info.mapping)
        weights = {c.name: (3.0 if c.name == "revenue" else 1.0) for c in selection.default_model().criteria}
        ws.save_object("shortlist", "customers", {"customer_ids": ["089244", "000000-not-there"],
                                                  "weights": weights, "saved_at": "2026-11-30T10:00:00+00:00"})
        for what, due, status in (("Ring innkjøpssjefen", dt.date(2026, 11, 1), "planned"),
                                  ("Send tilbud", dt.date(2027, 1, 15), "doing"),
                                  ("Ferdig møte", dt.date(2026, 10, 1), "done")):
            plans.save_item(ws, plans.Action(account="089244", what=what, owner="Kari", due=due, status=status),
                            user="test")
        pack = pc.build(pc.load_inputs(ws, "copy", today=dt.date(2026, 12, 5)), ["title", "selection", "accounts"])
    finally:
        ws.close()
    sel = _find(pack.slides, "pack.selection_title")[0]
    assert _finding(sel, "pack.shortlist_saved").params == {"n": pc.Num(1), "date": pc.Date(dt.date(2026, 11, 30))}
    weights_table = next(v for v in sel.visuals if isinstance(v, pc.Table))
    # 3 of 10 weight units on revenue
    assert weights_table.rows[0][0] == pc.Msg("selection.criterion_revenue")
    assert weights_table.rows[0][2] == pc.Pct(0.3, 0)
    accounts = [s for s in pack.slides if s.section == "accounts"]
    assert [s.title.params["account"] for s in accounts] == ["Jørgensen Byggservice AS (089244)"]
    # the plan: 3 actions, one overdue (planned, due before today); the overdue ones are listed
    assert _finding(accounts[0], "pack.account_plan").params == {
        "objectives": pc.Num(0), "actions": pc.Num(3), "overdue": pc.Num(1)}
    actions = accounts[0].visuals[-1]
    assert [c.key for c in actions.columns] == ["pack.col_action", "pack.col_owner", "pack.col_due", "pack.col_status"]
    assert actions.rows == [["Ring innkjøpssjefen", "Kari", pc.Date(dt.date(2026, 11, 1)), pc.Msg("pack.overdue")]]


def test_the_views_abc_thresholds_reach_the_pareto_slide(tiny):
    """Revenue 50, 20, 15, 10, 5: the default 80 %/95 % make A the first three accounts (85 % of
    revenue); the Portfolio page's sliders at 60 %/90 % make A the first two (70 %)."""
    default = pc.build(pc.load_inputs(tiny, "tiny", statuses=None), ["portfolio"])
    params = _finding(_find(default.slides, "pack.pareto_title")[0], "pack.pareto_finding").params
    assert (params["n"], params["value"], params["limit"]) == (pc.Num(3), pc.Pct(0.85), pc.Pct(0.8, 0))
    inputs = pc.load_inputs(tiny, "tiny", statuses=None)
    inputs.thresholds = (0.6, 0.9)
    pack = pc.build(inputs, ["portfolio"])
    pareto = _find(pack.slides, "pack.pareto_title")[0]
    params = _finding(pareto, "pack.pareto_finding").params
    assert (params["n"], params["value"], params["limit"]) == (pc.Num(2), pc.Pct(0.7), pc.Pct(0.6, 0))
    # the class table: A 2 accounts, B 2 (C and D: 15 + 10 = 25 %), C 1 (5 %)
    table = next(v for v in pareto.visuals if isinstance(v, pc.Table))
    assert [row[1] for row in table.rows] == [pc.Num(2), pc.Num(2), pc.Num(1)]
    assert table.rows[1][3] == pc.Pct(0.25)
    chart = next(v for v in pareto.visuals if isinstance(v, pc.Chart))
    assert chart.args[2] == (0.6, 0.9)


def test_the_views_selection_weights_and_normalisation_are_used(demo):
    inputs = pc.load_inputs(demo, "demo", today=dt.date(2026, 12, 5))
    names = [c.name for c in selection.default_model().criteria]
    inputs.selection_view = {"weights": {n: (4.0 if n == "profit" else 1.0) for n in names},
                             "normalisation": "minmax"}
    chosen = pc.selection_result(inputs)
    assert chosen.model.normalisation == "minmax"
    assert {c.name: c.weight for c in chosen.model.criteria}["profit"] == 4.0
    pack = pc.build(inputs, ["selection"])
    weights_table = next(v for v in _find(pack.slides, "pack.selection_title")[0].visuals if isinstance(v, pc.Table))
    # 4 of 11 weight units on profit (eight criteria: seven at 1, profit at 4)
    assert weights_table.rows[1][0] == pc.Msg("selection.criterion_profit")
    assert weights_table.rows[1][2] == pc.Pct(4 / 11, 0)
    # no shortlist saved: the recommended accounts are the top of the view's model, not the default's
    measures = selection.account_measures(inputs.history, inputs.accounts, as_of=inputs.history["date"].max())
    model = chosen.model
    scored = selection.score_accounts(measures, model, pc._manual_scores(inputs, model.manual_names, "customers"))
    expected = selection.shortlist(scored, limit=15).table["customer_id"].astype(str).tolist()
    assert chosen.shortlist == expected
    default = pc.selection_result(pc.load_inputs(demo, "demo", today=dt.date(2026, 12, 5)))
    assert default.shortlist != expected


def test_a_section_without_data_gives_no_slide_and_the_title_says_so(tiny):
    pack = pc.build(pc.load_inputs(tiny, "tiny", statuses=None), ["portfolio", "survey"])
    assert [s.section for s in pack.slides if s.section == "survey"] == []
    assert pack.slides[0].section == "title" and pack.slides[0].findings[-1] == pc.Msg("pack.no_survey")
    assert pack.sections == ("title", "portfolio", "survey")  # asked for, and said why it is empty
    # only the survey asked for: the deck is the title slide, which says why
    pack = pc.build(pc.load_inputs(tiny, "tiny", statuses=None), ["survey"])
    assert [s.section for s in pack.slides] == ["title"]
    assert pc.Msg("pack.no_survey") in pack.slides[0].findings


def test_the_segments_pages_k_means_view_reaches_the_cluster_slide(tiny):
    """Revenue 50, 20, 15, 10, 5 (one sale each), clustered on revenue alone, unscaled, at k = 3:
    the least squared distance splits them into {50}, {20, 15}, {10, 5} (within sums 0 + 12.5 +
    12.5 = 25; {50}, {20}, {15, 10, 5} gives 50). The slide lists 1, 2, 2 accounts with revenue
    50, 35, 15 (50 %, 35 %, 15 %), as kamcore.segments finds them at that k."""
    inputs = pc.load_inputs(tiny, "tiny", statuses=None)
    # without a visit to the Segments page: no slide of the page's clusters (and nothing saved)
    assert not _find(pc.build(inputs, ["segments"]).slides, "pack.page_clusters_title")
    inputs.segment_view = {"features": ["monetary"], "k": 3, "scale": "none", "impute": None}
    slide = _find(pc.build(inputs, ["segments"]).slides, "pack.page_clusters_title")[0]
    table = next(v for v in slide.visuals if isinstance(v, pc.Table))
    assert [row[1:] for row in table.rows] == [
        [pc.Num(1), pc.Num(50.0), pc.Pct(0.5)], [pc.Num(2), pc.Num(35.0), pc.Pct(0.35)],
        [pc.Num(2), pc.Num(15.0), pc.Pct(0.15)]]
    from kamcore import segments

    result = segments.kmeans_segments(segments.account_features(inputs.every_status), ["monetary"], k=3,
                                      scale="none")
    assert sorted(result.sizes.tolist()) == sorted(row[1].value for row in table.rows)
    # no names saved: the page's suggested names, here from revenue alone (largest revenue first)
    high, average, low = (pc.Join([pc.Msg(f"segments.level_{level}", {"what": pc.Join([pc.Msg("segments.short_monetary")], "/")})])
                          for level in ("high", "average", "low"))
    assert [row[0] for row in table.rows] == [high, average, low]
    params = _finding(slide, "pack.page_clusters_finding").params
    assert (params["k"], params["n"], params["accounts"], params["share"]) == (pc.Num(3), pc.Num(5), pc.Num(1), pc.Pct(0.5))
    assert params["name"] == high
    assert params["features"] == pc.Join([pc.Msg("segments.feature_monetary")])
    # a view that no longer fits the data (a feature gone) falls back to what the pack did before
    inputs.segment_view = {"features": ["no_such"], "k": 3, "scale": "none", "impute": None}
    assert not _find(pc.build(inputs, ["segments"]).slides, "pack.page_clusters_title")


def test_the_names_the_segments_page_shows_reach_the_cluster_slide_saved_or_not(tiny):
    """The tiny accounts at k = 3 on revenue: {50}, {20, 15}, {10, 5} (segments 3, 2, 1 by
    centroid). A saved name for segment 3 is used until the page shows other names: then the
    page's names (typed, not saved) are used, and the rest keep the suggested names."""
    from kamcore import segments

    inputs = pc.load_inputs(tiny, "tiny", statuses=None)
    view = {"features": ["monetary"], "k": 3, "scale": "none", "impute": None}
    result = segments.kmeans_segments(segments.account_features(inputs.every_status), ["monetary"], k=3,
                                      scale="none")
    assert result.labels.to_dict() == {"A": 3, "B": 2, "C": 2, "D": 1, "E": 1}
    tiny.save_object("segment_assignment", "transactions", {
        "key": "customer_id", "labels": {"A": "Saved top", "B": "x", "C": "x", "D": "y", "E": "y"},
        "names": {"3": "Saved top"}, "features": ["monetary"], "k": 3})
    high, average, low = (pc.Join([pc.Msg(f"segments.level_{level}", {"what": pc.Join([pc.Msg("segments.short_monetary")], "/")})])
                          for level in ("high", "average", "low"))

    def names(segment_view, segment_result=None) -> list:
        inputs.segment_view, inputs.segment_result = segment_view, segment_result
        slide = _find(pc.build(inputs, ["segments"]).slides, "pack.page_clusters_title")[0]
        table = next(v for v in slide.visuals if isinstance(v, pc.Table))
        assert _finding(slide, "pack.page_clusters_finding").params["name"] == table.rows[0][0]
        return [row[0] for row in table.rows]  # by revenue: segments 3, 2, 1

    assert names(dict(view)) == ["Saved top", average, low]
    # the page shows a typed name for segment 1 and the suggested one for segment 3 (the user
    # typed the suggestion back over the saved name): the pack shows the page's names
    assert names({**view, "names": {1: "Typed small"}}) == [high, average, "Typed small"]
    assert names({**view, "names": {}}) == [high, average, low]
    # the page's own result (the app passes it): used as it is, with its account features table
    table = segments.account_features(inputs.every_status)
    assert names({**view, "names": {2: "Middle"}}, (result, table)) == [high, "Middle", low]
    # ... unless it was made for other features
    other = segments.kmeans_segments(table, ["monetary", "frequency"], k=3, scale="none")
    assert names({**view, "names": {}}, (other, table)) == [high, average, low]
