"""AppTest: P(alive) and expected revenue as criteria the room adds on the selection page."""

from __future__ import annotations

from tests.app.test_page_selection import add_criterion


def test_p_alive_and_expected_revenue_join_the_axes(make_app):
    at = make_app("selection")
    options = at.selectbox(key="selection.custom_measure").options
    assert "P(alive)" in options and "Expected revenue, next 12 months" in options
    add_criterion(at, "measure", "attractiveness", measure="Expected revenue, next 12 months")
    assert not at.exception and not at.error, [e.value for e in at.error]
    add_criterion(at, "measure", "strength", measure="P(alive)")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.select_slider(key="selection.weight.expected_revenue_12m").label == "Expected revenue, next 12 months"
    # slider labels are Markdown-escaped; the browser shows "P(alive)"
    assert at.select_slider(key="selection.weight.p_alive").label == r"P\(alive\)"
    for view in ("scores", "ranking", "matrix"):
        at.session_state["selection.view"] = view
        at.run()
        assert not at.exception, [e.value for e in at.exception]


def test_the_criteria_are_named_in_norwegian(make_app):
    at = make_app("selection", lang="nb")
    options = at.selectbox(key="selection.custom_measure").options
    assert "P(aktiv)" in options and "Forventet omsetning neste 12 mnd." in options
