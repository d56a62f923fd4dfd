"""The overview page tells the story in three numbers, following the sidebar filters."""

from __future__ import annotations


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_numbers_on_the_demo(make_app):
    at = make_app("home")
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Accounts with sales"] == "400"
    # Planted in the demo data (data/README.md): 78 accounts make 80 % of revenue, 46 lose money.
    assert metrics["Accounts that make 80 % of revenue"] == "78"
    assert metrics["Accounts that lose money"] == "46"
    assert int(metrics["A/B accounts at risk of churning"]) > 0


def test_headline_follows_the_region_filter(make_app):
    at = make_app("home")
    before = _metrics(at)["Accounts that make 80 % of revenue"]
    at.multiselect(key="filters.region").select("Nord").run()
    assert not at.exception
    after = _metrics(at)["Accounts that make 80 % of revenue"]
    assert int(after) < int(before)


def test_each_account_count_says_what_it_counts(make_app, demo_root):
    """A customers table with two accounts without sales: 400 with sales, 402 in the table."""
    import pandas as pd

    from kamcore import db
    from kamcore.demo import DEMO_NAME

    ws = db.Workspace.open(demo_root / f"{DEMO_NAME}.duckdb")
    info = ws.table_info("customers")
    table = ws.read_table("customers")
    id_column = info.mapping.roles["customer_id"]
    extra = pd.DataFrame([{**table.iloc[0].to_dict(), id_column: new} for new in ("999001", "999002")])
    ws.import_table("customers", pd.concat([table, extra], ignore_index=True), kind=info.kind,
                    mapping=info.mapping, replace=True)
    ws.close()

    at = make_app("home")
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Accounts with sales"] == "400"
    assert "Accounts" not in metrics
    captions = [c.value for c in at.caption]
    assert "402 accounts in the customers table" in captions
    assert any(c.endswith("of the 400 accounts with sales") for c in captions)
