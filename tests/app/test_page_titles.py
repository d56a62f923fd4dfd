"""A page's title is the label that led to it in the navigation, in every language."""

from __future__ import annotations

import pytest

from ui import i18n


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
@pytest.mark.parametrize("page", ["data", "selection", "segments", "survey"])
def test_the_page_title_equals_its_navigation_label(page, language):
    assert i18n.translate(f"{page}.title", language) == i18n.translate(f"app.page_{page}", language)


@pytest.mark.parametrize("language", ["en", "nb", "sv"])
def test_the_portfolio_title_opens_with_its_navigation_label(language):
    # The portfolio title adds its question after a colon: "Portfolio: who matters, and do they pay?"
    title = i18n.translate("portfolio.title", language)
    assert title.startswith(i18n.translate("app.page_portfolio", language) + ":")


def test_the_survey_title_is_survey_and_gaps():
    assert [i18n.translate("survey.title", lang) for lang in ("en", "nb", "sv")] == [
        "Survey & gaps", "Undersøkelse og gap", "Enkät och gap"]
