"""AppTest for the Portfolio page on the demo workspace."""

from __future__ import annotations

import pandas as pd

from kamcore import db
from kamcore.demo import DEMO_NAME
from kamcore.schemas import ColumnMapping
from tests.app.pseudo import untranslated
from ui.i18n import fmt_num

VIEWS = ("pareto", "whale", "concentration", "movement", "accounts")


def class_counts(at) -> dict[str, int]:
    """Accounts per class as shown on the three summary cards."""
    cards = {m.label: m.value for m in at.metric}
    return {cls: int(cards[f"{cls} accounts"].replace(",", "")) for cls in ("A", "B", "C")}


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_page_loads_with_class_cards(make_app):
    at = make_app("portfolio")
    assert_clean(at)
    counts = class_counts(at)
    # the demo has 400 accounts, 11 of them lost: the status filter shows the 389 active ones
    assert sum(counts.values()) == 389
    assert all(n > 0 for n in counts.values())
    assert at.get("plotly_chart"), "the Pareto chart is drawn by default"
    at.multiselect(key="portfolio.status").select("churned").run()
    assert_clean(at)
    assert sum(class_counts(at).values()) == 400


def test_every_view_renders(make_app):
    at = make_app("portfolio")
    for view in VIEWS:
        at.segmented_control(key="portfolio.view").set_value(view).run()
        assert_clean(at)
    at.segmented_control(key="portfolio.view").set_value("movement").run()
    at.segmented_control(key="portfolio.movement_view").set_value("sankey").run()
    assert_clean(at)


def test_a_threshold_slider_moves_accounts_between_classes(make_app):
    at = make_app("portfolio")
    before = class_counts(at)
    at.slider(key="portfolio.a_threshold").set_value(60).run()
    assert_clean(at)
    after = class_counts(at)
    assert after["A"] < before["A"]
    assert after["B"] > before["B"]
    assert after["C"] == before["C"]  # the B limit did not move
    assert sum(after.values()) == sum(before.values())


def test_b_threshold_slider_moves_accounts_between_b_and_c(make_app):
    at = make_app("portfolio")
    before = class_counts(at)
    at.slider(key="portfolio.b_threshold").set_value(99).run()
    after = class_counts(at)
    assert after["A"] == before["A"]
    assert after["B"] > before["B"]
    assert after["C"] < before["C"]


def test_a_limit_above_b_limit_is_an_error_message_not_an_exception(make_app):
    at = make_app("portfolio")
    at.slider(key="portfolio.a_threshold").set_value(90).run()
    at.slider(key="portfolio.b_threshold").set_value(60).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "ABC limits" in at.error[0].value


def test_region_filter_changes_the_numbers(make_app):
    at = make_app("portfolio")
    before = class_counts(at)
    region = at.multiselect(key="filters.region")
    region.set_value([region.options[0]]).run()
    assert_clean(at)
    after = class_counts(at)
    assert 0 < sum(after.values()) < sum(before.values())


def test_measure_changes_the_classes(make_app):
    at = make_app("portfolio")
    by_revenue = class_counts(at)
    at.selectbox(key="portfolio.measure").set_value("profit").run()
    assert_clean(at)
    by_profit = class_counts(at)
    assert by_profit != by_revenue
    assert sum(by_profit.values()) == sum(by_revenue.values())


def test_churn_slider_changes_the_accounts_at_risk(make_app):
    at = make_app("portfolio")
    at.segmented_control(key="portfolio.view").set_value("movement").run()
    at.slider(key="portfolio.churn_drop").set_value(10).run()
    many = at.dataframe[0].value
    at.slider(key="portfolio.churn_drop").set_value(90).run()
    assert_clean(at)
    few = at.dataframe[0].value
    assert len(few) < len(many)


def test_group_by_region_and_drill_down(make_app):
    at = make_app("portfolio")
    at.selectbox(key="portfolio.group_by").set_value("region").run()
    assert_clean(at)
    at.segmented_control(key="portfolio.view").set_value("accounts").run()
    accounts = at.dataframe[0].value
    assert len(accounts) == 389  # the active accounts (the status filter's default)
    drill = at.selectbox(key="portfolio.drill_account")
    drill.set_value(drill.options[-1] if isinstance(drill.options[-1], str) else drill.value)
    at.run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 2  # group chart + monthly chart


def test_without_profit_the_whale_view_says_what_to_map(make_app, demo_root):
    ws = db.Workspace.open(demo_root / f"{DEMO_NAME}.duckdb")
    roles = dict(ws.table_info("transactions").mapping.roles)
    roles.pop("cost", None)
    roles.pop("profit", None)
    ws.set_mapping("transactions", ColumnMapping(roles=roles))
    ws.close()

    at = make_app("portfolio")
    assert_clean(at)
    at.segmented_control(key="portfolio.view").set_value("whale").run()
    assert_clean(at)
    assert any("map a cost column" in info.value for info in at.info)
    assert "profit" not in at.selectbox(key="portfolio.measure").options


def test_norwegian_page(make_app):
    at = make_app("portfolio", lang="nb")
    assert_clean(at)
    labels = [m.label for m in at.metric]
    assert labels == ["Samlet omsetning", "Samlet fortjeneste", "Kunder med salg", "A-kunder", "B-kunder", "C-kunder"]


def test_every_view_shows_only_catalogue_strings(make_app):
    at = make_app("portfolio", lang="qps")
    assert untranslated(at) == []
    for view in VIEWS:
        at.segmented_control(key="portfolio.view").set_value(view).run()
        assert not at.exception, [e.value for e in at.exception]
        assert untranslated(at) == [], view


# ------------------------------------------------- totals and numbers in the user's language


def demo_active_sums() -> tuple[float, float, int]:
    """Revenue, profit (revenue - cost) and accounts of the demo's active accounts, from the CSVs."""
    from tests.app.conftest import DEMO_DATA

    sales = pd.read_csv(DEMO_DATA / "transactions.csv", sep=";", decimal=",", dtype={"Kundenr": str},
                        encoding="utf-8-sig")
    customers = pd.read_csv(DEMO_DATA / "customers.csv", sep=";", dtype={"Kundenr": str}, encoding="utf-8-sig")
    active = set(customers.loc[customers["Status"] == "aktiv", "Kundenr"])
    mine = sales[sales["Kundenr"].isin(active)]
    return float(mine["Omsetning"].sum()), float((mine["Omsetning"] - mine["Kostnad"]).sum()), mine["Kundenr"].nunique()


def shown_cells(element) -> pd.DataFrame:
    """The text a table shows in each cell (its Styler display values)."""
    from streamlit import dataframe_util

    return dataframe_util.convert_arrow_bytes_to_pandas_df(element.proto.arrow_data.styler.display_values)


def test_totals_state_revenue_and_profit_for_the_filters_in_norwegian(make_app):
    at = make_app("portfolio", lang="nb")
    assert_clean(at)
    revenue, profit, n_accounts = demo_active_sums()
    cards = {m.label: m.value for m in at.metric}
    assert cards["Samlet omsetning"] == fmt_num(revenue, 0, "nb")
    assert cards["Samlet fortjeneste"] == fmt_num(profit, 0, "nb")
    assert cards["Kunder med salg"] == fmt_num(n_accounts, 0, "nb")
    assert "\u00a0" in cards["Samlet omsetning"]  # "41 558 139", never "41,558,139"
    assert any(c.value.startswith("Summer for alle datoer") for c in at.caption)


def test_the_accounts_table_writes_norwegian_numbers_and_still_sorts_as_numbers(make_app):
    at = make_app("portfolio", lang="nb")
    at.segmented_control(key="portfolio.view").set_value("accounts").run()
    assert_clean(at)
    (table,) = at.dataframe
    values = table.value
    cells = shown_cells(table)
    top = values["Omsetning"].iloc[0]
    assert isinstance(top, float)  # the value is a number: sorting works on it
    assert cells["Omsetning"].iloc[0] == fmt_num(top, 2, "nb")
    assert "," in cells["Omsetning"].iloc[0] and "." not in cells["Omsetning"].iloc[0]

