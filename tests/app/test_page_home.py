"""The overview page tells the story in three numbers, following the sidebar filters."""

from __future__ import annotations


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_numbers_on_the_demo(make_app):
    at = make_app("home")
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["Accounts"] == "400"
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
